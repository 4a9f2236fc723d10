/*
 * check_dispatch.c -- case 16 of the field cases: twenty documents, one
 * of them with a template error (its customer's language lacks the
 * step's letter template in the instance's templates/).  Nineteen are
 * dispatched, the one waits in action-required with its reason, and the
 * bytes sent are exactly the bytes validated: each e-mail's attachment
 * is the stored PDF whose SHA-256 the journal recorded before the
 * document was validated.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cycle.h"
#include "document.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "testutil.h"
#include "trace.h"

#define CUSTOMERS 20
#define EMAIL_CUSTOMERS 14
#define BROKEN "C20"

static char *directory;
static DsInstance *instance;

/* C01..C14 take e-mail, C15..C20 letters; C20 writes French. */
static char *
customers_csv (void)
{
	GString *text = g_string_new (
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n");

	for (int i = 1; i <= CUSTOMERS; i++) {
		gboolean email = i <= EMAIL_CUSTOMERS;

		g_string_append_printf (
			text, "C%02d,Kunde %02d GmbH,Kontakt %02d,"
			"Hauptstraße %d,%05d,Berlin,DE,%s,EUR,DE01,%s%s,,%s\n",
			i, i, i, i, 10100 + i,
			i == CUSTOMERS ? "fr" : "de",
			email ? "ap" : "", email ? "@example.test" : "",
			email ? "2020-01-01" : "");
	}
	return g_string_free (text, FALSE);
}

static char *
invoices_csv (void)
{
	GString *text = g_string_new (
		"invoice_id,customer_id,issue_date,due_date,currency,"
		"amount\n");

	for (int i = 1; i <= CUSTOMERS; i++)
		g_string_append_printf (text, "INV-%04d,C%02d,2024-01-01,"
					"2024-01-31,EUR,%d\n", i, i,
					10000 + 100 * i);
	return g_string_free (text, FALSE);
}

static void
import_ledger (void)
{
	g_autofree char *customers = customers_csv ();
	g_autofree char *invoices = invoices_csv ();
	g_autofree char *e = ds_test_write (directory, "entities.csv",
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone\n"
		"DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,"
		"DE,DE89370400440532013000,COBADEFFXXX,DE000000000,"
		"forderungen@example.de,+49 221 99 000000\n");
	g_autofree char *c = ds_test_write (directory, "customers.csv",
					    customers);
	g_autofree char *i = ds_test_write (directory, "invoices.csv",
					    invoices);
	const char *paths[] = { e, c, i, NULL };
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_import_files (instance->store, paths,
					instance->config->profiles, NULL,
					&reports, &error), "%s",
		       error ? error->message : "");
}

static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autofree char *broken = NULL;
	g_autoptr (GError) error = NULL;

	directory = ds_test_tmpdir ();
	root = g_build_filename (directory, "instance", NULL);
	ck_assert (ds_instance_create (root, &error));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	/* The template error: French has no reminder letter. */
	broken = g_build_filename (instance->config->templates, "fr",
				   "reminder.letter", NULL);
	ck_assert_msg (g_unlink (broken) == 0, "%s", broken);
	import_ledger ();
}

static void
teardown (void)
{
	ds_instance_free (instance);
	ds_test_rmtree (directory);
	g_free (directory);
}

static gint64
count (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/* The decoded PDF attached to the message in FILE. */
static GBytes *
attached_pdf (const char *file)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GMappedFile) mapped = g_mapped_file_new (file, FALSE,
							    &error);
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	GMimePartIter *iter;
	GBytes *pdf = NULL;

	ck_assert_msg (mapped != NULL, "%s", error ? error->message : "");
	g_mime_init ();
	stream = g_mime_stream_mem_new_with_buffer (
		g_mapped_file_get_contents (mapped),
		g_mapped_file_get_length (mapped));
	parser = g_mime_parser_new_with_stream (stream);
	message = g_mime_parser_construct_message (parser, NULL);
	ck_assert (message != NULL);
	iter = g_mime_part_iter_new (message->mime_part);
	do {
		GMimeObject *part = g_mime_part_iter_get_current (iter);
		GMimeStream *out;
		GByteArray *array;

		if (!GMIME_IS_PART (part) || !g_mime_content_type_is_type (
			    g_mime_object_get_content_type (part),
			    "application", "pdf"))
			continue;
		out = g_mime_stream_mem_new ();
		g_mime_data_wrapper_write_to_stream (
			g_mime_part_get_content (GMIME_PART (part)), out);
		array = g_mime_stream_mem_get_byte_array (
			GMIME_STREAM_MEM (out));
		pdf = g_bytes_new (array->data, array->len);
		g_object_unref (out);
		break;
	} while (g_mime_part_iter_next (iter));
	g_mime_part_iter_free (iter);
	g_object_unref (message);
	g_object_unref (parser);
	g_object_unref (stream);
	ck_assert_msg (pdf != NULL, "%s: no PDF attached", file);
	return pdf;
}

/* The SHA-256 the journal recorded for the document before validation. */
static char *
validated_sha256 (const char *trace_id)
{
	g_autoptr (GPtrArray) records = ds_journal_for_trace (
		instance->store, trace_id, NULL);
	char *rendered = NULL;

	for (guint i = 0; i < records->len; i++) {
		DsJournalRecord *record = g_ptr_array_index (records, i);
		const char *sha;

		if (g_strcmp0 (record->event, "validated") == 0) {
			ck_assert (rendered != NULL);
			return rendered;
		}
		if (g_strcmp0 (record->event, "rendered") != 0 ||
		    record->evidence == NULL ||
		    (sha = strstr (record->evidence, "sha256=")) == NULL)
			continue;
		g_free (rendered);
		rendered = g_strndup (sha + 7, 64);
	}
	ck_abort_msg ("%s: never validated", trace_id);
	return NULL;
}

START_TEST (test_dispatch_case16_one_bad_item_in_a_batch)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) broken = NULL;
	g_autoptr (DsDocument) failed = NULL;
	g_autoptr (GPtrArray) batches = NULL;
	g_autofree char *manifest = NULL;
	g_autofree char *mail = ds_instance_spool_path (instance,
							"outgoing/mail");
	DsBatch *batch;
	DsDate day;

	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day, &tally, &error), "%s",
		       error ? error->message : "");

	ck_assert_int_eq (tally.planned, CUSTOMERS);
	ck_assert_int_eq (tally.action_required, 1);
	ck_assert_int_eq (count ("SELECT count(*) FROM documents"
				 " WHERE state = 'dispatched'"),
			  CUSTOMERS - 1);
	broken = ds_document_list_for (instance->store, BROKEN, NULL);
	ck_assert_uint_eq (broken->len, 1);
	failed = ds_document_get (instance->store, broken->pdata[0], NULL);
	ck_assert_str_eq (failed->state, "action-required");
	ck_assert_msg (strstr (failed->reason, "\"fr\"") &&
		       strstr (failed->reason, "reminder"), "%s",
		       failed->reason);
	ck_assert_int_eq (count ("SELECT count(*) FROM attempts a JOIN"
				 " documents d USING (trace_id) WHERE"
				 " d.customer_id = '" BROKEN "'"), 0);

	/* E-mail: what left is what was validated, byte for byte. */
	ck_assert_int_eq (count ("SELECT count(*) FROM attempts WHERE"
				 " channel = 'email' AND state ="
				 " 'handed-off'"), EMAIL_CUSTOMERS);
	for (int i = 1; i <= EMAIL_CUSTOMERS; i++) {
		g_autofree char *customer = g_strdup_printf ("C%02d", i);
		g_autoptr (GPtrArray) list = ds_document_list_for (
			instance->store, customer, NULL);
		g_autoptr (DsDocument) document = ds_document_get (
			instance->store, list->pdata[0], NULL);
		g_autofree char *name = g_strdup_printf (
			"%s.eml", document->trace_id);
		g_autofree char *eml = g_build_filename (mail, name, NULL);
		g_autoptr (GBytes) sent = attached_pdf (eml);
		g_autofree char *sent_sha = g_compute_checksum_for_bytes (
			G_CHECKSUM_SHA256, sent);
		g_autofree char *checked = validated_sha256 (
			document->trace_id);

		ck_assert_str_eq (sent_sha, checked);
		ck_assert_str_eq (sent_sha, document->pdf_sha256);
	}

	/* Letters: the five good ones in the batch, the bad one not. */
	batches = ds_batch_list (instance, NULL);
	ck_assert_uint_eq (batches->len, 1);
	batch = g_ptr_array_index (batches, 0);
	ck_assert_int_eq (batch->documents,
			  CUSTOMERS - EMAIL_CUSTOMERS - 1);
	ck_assert (g_file_get_contents (batch->manifest_path, &manifest,
					NULL, NULL));
	ck_assert (strstr (manifest, failed->trace_id) == NULL);
	ck_assert (ds_trace_verify (instance->store, NULL, stderr, NULL));
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("dispatch");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 120);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_dispatch_case16_one_bad_item_in_a_batch);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
