/*
 * check_batch.c -- the cups driver of print batches against stand-in lp
 * and lpstat commands on PATH (tests/cups): a batch is sent once, its
 * request id kept and journaled, and it becomes printed, with its
 * letters, only when lpstat lists the request as completed.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cycle.h"
#include "document.h"
#include "ds-error.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "testutil.h"

static char *directory;
static char *cups_dir;
static DsInstance *instance;

static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autofree char *scripts = ds_test_srcpath ("tests/cups");
	g_autofree char *path = NULL;
	g_autofree char *e = NULL, *c = NULL, *i = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };
	const char *paths[4];
	DsDate day;

	directory = ds_test_tmpdir ();
	cups_dir = g_build_filename (directory, "cups", NULL);
	ck_assert (g_mkdir (cups_dir, 0700) == 0);
	g_setenv ("FAKECUPS_DIR", cups_dir, TRUE);
	path = g_strdup_printf ("%s:%s", scripts, g_getenv ("PATH"));
	g_setenv ("PATH", path, TRUE);
	root = g_build_filename (directory, "instance", NULL);
	ck_assert (ds_instance_create (root, &error));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	e = ds_test_write (directory, "entities.csv",
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone\n"
		"DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,"
		"DE,DE89370400440532013000,COBADEFFXXX,DE000000000,"
		"forderungen@example.de,+49 221 99 000000\n");
	c = ds_test_write (directory, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n"
		"C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,"
		"Łódzka 5,40212,Düsseldorf,DE,de,EUR,DE01,,,\n");
	i = ds_test_write (directory, "invoices.csv",
		"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
		"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n");
	paths[0] = e;
	paths[1] = c;
	paths[2] = i;
	paths[3] = NULL;
	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, &error));
	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day, &tally, &error), "%s",
		       error ? error->message : "");
}

static void
teardown (void)
{
	ds_instance_free (instance);
	ds_test_rmtree (directory);
	g_free (directory);
	g_free (cups_dir);
}

static DsBatch *
the_batch (void)
{
	g_autoptr (GPtrArray) batches = ds_batch_list (instance, NULL);

	ck_assert_uint_eq (batches->len, 1);
	return g_ptr_array_steal_index (batches, 0);
}

static char *
letter_state (void)
{
	g_autoptr (GPtrArray) list = ds_document_list_for (instance->store,
							   "C2", NULL);
	g_autoptr (GPtrArray) attempts = ds_attempt_list_for_trace (
		instance->store, list->pdata[0], NULL);

	return g_strdup (((DsAttempt *) attempts->pdata[0])->state);
}

START_TEST (test_batch_cups_printed_when_completed)
{
	g_autoptr (DsBatch) batch = the_batch ();
	g_autoptr (DsBatch) after = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) records = NULL;
	g_autofree char *request = NULL;
	g_autofree char *again = NULL;
	g_autofree char *log = NULL;
	g_autofree char *log_path = g_build_filename (cups_dir, "lp.log",
						      NULL);
	g_autofree char *state = NULL;
	g_autofree char *completed = NULL;
	gint64 printed = -1;

	ck_assert_msg (ds_batch_print (instance, batch->batch_id,
				       "mailroom", &request, &error), "%s",
		       error ? error->message : "");
	ck_assert_str_eq (request, "mailroom-1");
	ck_assert (g_file_get_contents (log_path, &log, NULL, NULL));
	ck_assert (strstr (log, batch->pdf_path) != NULL);
	records = ds_journal_for_object (instance->store, "batch",
					 batch->batch_id, NULL);
	ck_assert (strstr (((DsJournalRecord *) records->pdata[
		records->len - 1])->evidence, "request=mailroom-1"));

	/* Sent once only. */
	ck_assert (!ds_batch_print (instance, batch->batch_id, "mailroom",
				    &again, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));

	/* Not completed yet: nothing moves. */
	ck_assert (ds_batch_poll_printed (instance, &printed, NULL));
	ck_assert_int_eq (printed, 0);
	state = letter_state ();
	ck_assert_str_eq (state, "handed-off");

	completed = g_build_filename (cups_dir, "completed", NULL);
	ck_assert (g_file_set_contents (completed, "mailroom-1  dunspool  "
					"20480  Sat 03 Feb 2024 10:00:00\n",
					-1, NULL));
	ck_assert (ds_batch_poll_printed (instance, &printed, NULL));
	ck_assert_int_eq (printed, 1);
	after = the_batch ();
	ck_assert_str_eq (after->state, "printed");
	g_free (state);
	state = letter_state ();
	ck_assert_str_eq (state, "printed");
	ck_assert (ds_batch_poll_printed (instance, &printed, NULL));
	ck_assert_int_eq (printed, 0);
}
END_TEST

static gboolean
dot_files_in (const char *print_dir)
{
	g_autoptr (GDir) dir = g_dir_open (print_dir, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
		if (name[0] == '.')
			return TRUE;
	return FALSE;
}

/* What a run killed around the batch's record leaves, and the next run. */
START_TEST (test_batch_interrupted_run_leaves_nothing_to_print_twice)
{
	g_autoptr (DsBatch) batch = the_batch ();
	g_autofree char *print_dir = g_path_get_dirname (batch->pdf_path);
	g_autofree char *pdf_name = g_path_get_basename (batch->pdf_path);
	g_autofree char *csv_name = g_path_get_basename (
		batch->manifest_path);
	g_autofree char *hidden_pdf = NULL, *hidden_csv = NULL;
	g_autofree char *orphan = g_build_filename (
		print_dir, ".DE01-20240204-1.pdf", NULL);
	g_autofree char *orphan_csv = g_build_filename (
		print_dir, ".DE01-20240204-1.csv", NULL);
	g_autofree char *orphan_named = g_build_filename (
		print_dir, "DE01-20240204-1.pdf", NULL);
	g_autoptr (GError) error = NULL;
	gint64 built = 0;
	DsDate day;

	/* A normal run leaves no hidden file behind. */
	ck_assert (!dot_files_in (print_dir));

	/* Killed after the commit: the recorded batch's files hidden. */
	hidden_pdf = g_strconcat (print_dir, "/.", pdf_name, NULL);
	hidden_csv = g_strconcat (print_dir, "/.", csv_name, NULL);
	ck_assert (g_rename (batch->pdf_path, hidden_pdf) == 0);
	ck_assert (g_rename (batch->manifest_path, hidden_csv) == 0);
	/* Killed before it: files of a batch never recorded. */
	ck_assert (g_file_set_contents (orphan, "%PDF-1.4 half", -1, NULL));
	ck_assert (g_file_set_contents (orphan_csv, "sequence\n", -1, NULL));

	ck_assert (ds_date_parse_iso ("2024-02-04", &day, NULL));
	ck_assert_msg (ds_batch_build (instance, day, &built, &error), "%s",
		       error ? error->message : "");
	ck_assert (g_file_test (batch->pdf_path, G_FILE_TEST_IS_REGULAR));
	ck_assert (g_file_test (batch->manifest_path,
				G_FILE_TEST_IS_REGULAR));
	ck_assert (!g_file_test (orphan, G_FILE_TEST_EXISTS));
	ck_assert (!g_file_test (orphan_named, G_FILE_TEST_EXISTS));
	ck_assert (!dot_files_in (print_dir));
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("batch");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_batch_cups_printed_when_completed);
	tcase_add_test (tc,
		test_batch_interrupted_run_leaves_nothing_to_print_twice);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
