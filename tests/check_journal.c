/*
 * check_journal.c -- the journal chains its records and names the first
 * one that was altered; its anchors find records cut off its end.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ds-error.h"
#include "journal.h"
#include "store.h"
#include "testutil.h"

static char *directory;
static DsStore *store;

static void
setup (void)
{
	g_autofree char *path = NULL;

	directory = ds_test_tmpdir ();
	path = g_build_filename (directory, "db.sqlite", NULL);
	store = ds_store_open (path, NULL);
	ck_assert (store != NULL);
}

static void
teardown (void)
{
	ds_store_close (store);
	ds_test_rmtree (directory);
	g_free (directory);
}

static void
append (const char *object_id, const char *event, const char *evidence)
{
	DsJournalEntry entry = {
		.actor = "test", .object_kind = "document",
		.object_id = object_id, .trace_id = object_id,
		.event = event, .new_state = event, .evidence = evidence,
	};

	ck_assert (ds_journal_append (store, &entry, NULL));
}

START_TEST (test_journal_chain_verifies)
{
	gint64 records, bad;

	append ("DSA", "planned", NULL);
	append ("DSA", "rendered", "sha256=00");
	append ("DSB", "planned", "x\ny");
	ck_assert (ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (records, 3);
	ck_assert_int_eq (bad, 0);
}
END_TEST

START_TEST (test_journal_names_altered_record)
{
	g_autoptr (GError) error = NULL;
	gint64 records, bad;

	for (int i = 0; i < 5; i++)
		append ("DSA", "rendered", "pages=1");
	/* An intruder with write access drops the guard and edits. */
	ck_assert (ds_store_exec (store,
		"DROP TRIGGER journal_no_update;"
		"UPDATE journal SET evidence = 'pages=2' WHERE seq = 3",
		NULL));
	ck_assert (!ds_journal_verify (store, &records, &bad, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CORRUPT));
	ck_assert_int_eq (bad, 3);
}
END_TEST

START_TEST (test_journal_names_removed_record)
{
	gint64 records, bad;

	for (int i = 0; i < 4; i++)
		append ("DSA", "rendered", NULL);
	ck_assert (ds_store_exec (store,
		"DROP TRIGGER journal_no_delete;"
		"DELETE FROM journal WHERE seq = 2", NULL));
	ck_assert (!ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (bad, 3);
}
END_TEST

START_TEST (test_journal_empty_and_field_boundaries)
{
	gint64 records, bad;
	DsJournalEntry split_a = {
		.actor = "ab", .object_kind = "c", .object_id = "1",
		.event = "e",
	};

	ck_assert (ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (records, 0);
	ck_assert (ds_journal_append (store, &split_a, NULL));
	/* Moving a character across a field boundary breaks the hash. */
	ck_assert (ds_store_exec (store,
		"DROP TRIGGER journal_no_update;"
		"UPDATE journal SET actor = 'a', object_kind = 'bc'", NULL));
	ck_assert (!ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (bad, 1);
}
END_TEST

START_TEST (test_journal_reads_by_trace_in_order)
{
	g_autoptr (GPtrArray) records = NULL;

	append ("DSA", "planned", NULL);
	append ("DSB", "planned", NULL);
	append ("DSA", "rendered", NULL);
	records = ds_journal_for_trace (store, "DSA", NULL);
	ck_assert_uint_eq (records->len, 2);
	ck_assert_str_eq (((DsJournalRecord *) records->pdata[0])->event,
			  "planned");
	ck_assert_str_eq (((DsJournalRecord *) records->pdata[1])->event,
			  "rendered");
}
END_TEST

static char *
anchor_path (void)
{
	return g_build_filename (directory, "journal-anchors", NULL);
}

/* Anchors: one line per new head, 0640; all of them match. */
START_TEST (test_journal_anchors_written_and_checked)
{
	g_autofree char *path = anchor_path ();
	g_autofree char *contents = NULL;
	g_autofree char *hash = NULL;
	g_auto (GStrv) lines = NULL;
	gint64 seq, anchors, last;
	GStatBuf status;

	/* Nothing to anchor in an empty journal; a missing file is fine. */
	ck_assert (ds_journal_anchor (store, path, &seq, NULL, NULL));
	ck_assert_int_eq (seq, 0);
	ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
	ck_assert (ds_journal_check_anchors (store, path, &anchors, &last,
					     NULL));
	ck_assert_int_eq (anchors, 0);

	append ("DSA", "planned", NULL);
	append ("DSA", "rendered", NULL);
	ck_assert (ds_journal_anchor (store, path, &seq, &hash, NULL));
	ck_assert_int_eq (seq, 2);
	ck_assert_int_eq (strlen (hash), 64);
	/* The same head again adds no line. */
	ck_assert (ds_journal_anchor (store, path, NULL, NULL, NULL));
	append ("DSB", "planned", NULL);
	ck_assert (ds_journal_anchor (store, path, NULL, NULL, NULL));

	ck_assert (g_file_get_contents (path, &contents, NULL, NULL));
	lines = g_strsplit (contents, "\n", -1);
	ck_assert_uint_eq (g_strv_length (lines), 3);	/* and "" */
	ck_assert (g_str_has_prefix (lines[0], "2 "));
	ck_assert (strstr (lines[0], hash) != NULL);
	ck_assert (g_str_has_prefix (lines[1], "3 "));
	ck_assert (g_str_has_suffix (lines[1], "Z"));
	ck_assert (g_stat (path, &status) == 0);
	ck_assert_int_eq (status.st_mode & 0777, 0640);

	ck_assert (ds_journal_check_anchors (store, path, &anchors, &last,
					     NULL));
	ck_assert_int_eq (anchors, 2);
	ck_assert_int_eq (last, 3);
}
END_TEST

/* The newest records deleted: the chain is whole, the anchor is not. */
START_TEST (test_journal_anchor_finds_cut)
{
	g_autofree char *path = anchor_path ();
	g_autoptr (GError) error = NULL;
	gint64 records, bad, anchors, last;

	for (int i = 0; i < 5; i++)
		append ("DSA", "rendered", NULL);
	ck_assert (ds_journal_anchor (store, path, NULL, NULL, NULL));
	ck_assert (ds_store_exec (store,
		"DROP TRIGGER journal_no_delete;"
		"DELETE FROM journal WHERE seq > 3", NULL));
	ck_assert (ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (records, 3);
	ck_assert (!ds_journal_check_anchors (store, path, &anchors, &last,
					      &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CORRUPT));
	ck_assert_msg (strstr (error->message, "journal cut") &&
		       strstr (error->message, "record 5") &&
		       strstr (error->message, "ends at record 3") &&
		       strstr (error->message, "line 1"),
		       "%s", error->message);
}
END_TEST

/*
 * The records after an anchored one rewritten as a new whole chain (or
 * cut and appended to again past the anchor): the anchored hash differs.
 */
START_TEST (test_journal_anchor_finds_rewritten_head)
{
	g_autofree char *path = anchor_path ();
	g_autoptr (GError) error = NULL;
	gint64 records, bad, anchors, last;

	for (int i = 0; i < 3; i++)
		append ("DSA", "rendered", NULL);
	ck_assert (ds_journal_anchor (store, path, NULL, NULL, NULL));
	ck_assert (ds_store_exec (store,
		"DROP TRIGGER journal_no_delete;"
		"DELETE FROM journal WHERE seq = 3", NULL));
	append ("DSA", "forged", NULL);
	append ("DSA", "forged", NULL);
	ck_assert (ds_journal_verify (store, &records, &bad, NULL));
	ck_assert (!ds_journal_check_anchors (store, path, &anchors, &last,
					      &error));
	ck_assert_msg (strstr (error->message, "journal record 3 differs "
			       "from its anchor") != NULL,
		       "%s", error->message);
}
END_TEST

START_TEST (test_journal_anchor_refuses_garbage)
{
	g_autofree char *path = anchor_path ();
	g_autoptr (GError) error = NULL;
	gint64 anchors, last;

	append ("DSA", "rendered", NULL);
	ck_assert (ds_journal_anchor (store, path, NULL, NULL, NULL));
	ck_assert (g_file_set_contents (path, "1 nothex 2026\n", -1, NULL));
	ck_assert (!ds_journal_check_anchors (store, path, &anchors, &last,
					      &error));
	ck_assert_msg (strstr (error->message, "line 1: not an anchor"),
		       "%s", error->message);
	g_clear_error (&error);
	ck_assert (g_file_set_contents (path, "1 00 2026\n", -1, NULL));
	ck_assert (!ds_journal_check_anchors (store, path, &anchors, &last,
					      &error));
	ck_assert_msg (strstr (error->message, "line 1: not an anchor"),
		       "%s", error->message);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("journal");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_journal_chain_verifies);
	tcase_add_test (tc, test_journal_names_altered_record);
	tcase_add_test (tc, test_journal_names_removed_record);
	tcase_add_test (tc, test_journal_empty_and_field_boundaries);
	tcase_add_test (tc, test_journal_reads_by_trace_in_order);
	tcase_add_test (tc, test_journal_anchors_written_and_checked);
	tcase_add_test (tc, test_journal_anchor_finds_cut);
	tcase_add_test (tc, test_journal_anchor_finds_rewritten_head);
	tcase_add_test (tc, test_journal_anchor_refuses_garbage);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
