/*
 * check_cycle.c -- the daily cycle end to end on a small ledger in the
 * native format: an e-mail on the wire to a real SMTP server on loopback
 * carrying the stored PDF byte for byte, a letter in the day's print
 * batch, a refused e-mail escalated to a letter, one message to a
 * customer's three addresses of which the relay refuses one (case 14),
 * a document that cannot be rendered held in action-required while the
 * others go out, a disputed invoice left alone, a second run adding
 * nothing, and the proof check naming an altered PDF and an altered
 * journal record.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cycle.h"
#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "production.h"
#include "queue.h"
#include "testsink.h"
#include "testutil.h"
#include "trace.h"

static const char entities_csv[] =
	"entity_id,name,street,postal_code,city,country,iban,bic,vat_id,"
	"email,phone\n"
	"DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,DE,"
	"DE89370400440532013000,COBADEFFXXX,DE000000000,"
	"forderungen@example.de,+49 221 99 000000\n";

static const char customers_csv[] =
	"customer_id,name,contact,street,postal_code,city,country,language,"
	"currency,entity,email,fax,paperless_since\n"
	"C1,Weißenfels Maschinenbau GmbH,Björn Köhler,Mühlenweg 70,28195,"
	"Bremen,DE,de,EUR,DE01,ap@example.test,,2020-01-01\n"
	"C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,Łódzka 5,"
	"40212,Düsseldorf,DE,de,EUR,DE01,,,\n"
	"C3,Pemberton Services GmbH,Nigel Ashdown,Hauptstraße 1,10115,"
	"Berlin,DE,de,EUR,DE01,refused@example.test,,2020-01-01\n"
	"C4,株式会社サンプル,Tanaka,Ringstraße 3,80331,München,DE,de,EUR,"
	"DE01,,,\n";

static const char invoices_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-1001,C1,2024-01-01,2024-01-31,EUR,100000\n"
	"INV-1002,C1,2024-01-01,2024-01-31,EUR,5000\n"
	"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n"
	"INV-3001,C3,2024-01-02,2024-01-31,EUR,7700\n"
	"INV-4001,C4,2024-01-02,2024-01-31,EUR,9900\n";

static const char disputes_csv[] =
	"invoice_id,opened,resolved,reason\n"
	"INV-1002,2024-01-10,,goods damaged\n";

static char *directory;
static DsTestSink sink;
static DsInstance *instance;

/*
 * The default configuration with the smtp driver pointed at the sink,
 * and without event documents (check_events.c), so that the fixture's
 * dispute makes no notice and the counts below are of steps alone.
 */
static void
configure_smtp (const char *root, const char *url)
{
	g_autofree char *path = g_build_filename (root, "dunspool.conf",
						  NULL);
	g_autofree char *text = NULL;
	g_autofree char *relay = g_strdup_printf ("driver = smtp\n"
						  "relay = %s\n", url);
	g_auto (GStrv) parts = NULL;
	g_autofree char *joined = NULL;

	ck_assert (g_file_get_contents (path, &text, NULL, NULL));
	parts = g_strsplit (text, "driver = pickup\n", 2);
	ck_assert (parts[1] != NULL);
	joined = g_strjoin (relay, parts[0], parts[1], NULL);
	g_strfreev (parts);
	parts = g_strsplit (joined, "dispute_notices = true\n", 2);
	ck_assert (parts[1] != NULL);
	g_free (joined);
	joined = g_strjoin ("dispute_notices = false\n", parts[0], parts[1],
			    NULL);
	ck_assert (g_file_set_contents (path, joined, -1, NULL));
}

static void
import_fixture (void)
{
	g_autoptr (GPtrArray) reports = NULL;
	g_autofree char *e = ds_test_write (directory, "entities.csv",
					    entities_csv);
	g_autofree char *c = ds_test_write (directory, "customers.csv",
					    customers_csv);
	g_autofree char *i = ds_test_write (directory, "invoices.csv",
					    invoices_csv);
	g_autofree char *d = ds_test_write (directory, "disputes.csv",
					    disputes_csv);
	const char *paths[] = { e, c, i, d, NULL };
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_import_files (instance->store, paths,
					instance->config->profiles, NULL,
					&reports, &error), "%s",
		       error ? error->message : "");
	for (guint n = 0; n < reports->len; n++) {
		DsImportReport *report = g_ptr_array_index (reports, n);

		ck_assert_int_eq (report->rejected, 0);
		ck_assert (!report->refused);
	}
}

static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autoptr (GError) error = NULL;

	directory = ds_test_tmpdir ();
	root = g_build_filename (directory, "instance", NULL);
	ds_test_sink_start (&sink, directory, (const char *const[]) {
		"--refuse", "refused@*", "--defer", "later@*", NULL });
	ck_assert_msg (ds_instance_create (root, &error), "%s",
		       error ? error->message : "");
	configure_smtp (root, sink.url);
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	import_fixture ();
}

static void
teardown (void)
{
	ds_instance_free (instance);
	ds_test_sink_stop (&sink);
	ds_test_rmtree (directory);
	g_free (directory);
}

static void
run_cycle (const char *iso, DsCycleTally *tally)
{
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (GError) error = NULL;
	DsDate day;

	ck_assert (ds_date_parse_iso (iso, &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day, tally, &error), "%s",
		       error ? error->message : "");
}

/* The one document of a customer. */
static DsDocument *
document_of (const char *customer_id)
{
	g_autoptr (GPtrArray) list = ds_document_list_for (instance->store,
							   customer_id,
							   NULL);

	ck_assert_uint_eq (list->len, 1);
	return ds_document_get (instance->store,
				g_ptr_array_index (list, 0), NULL);
}

static gint64
count (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/* The PDF part of a message on the wire, decoded. */
static GBytes *
attached_pdf (GBytes *message)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *parsed;
	GMimePartIter *iter;
	GBytes *pdf = NULL;

	g_mime_init ();
	stream = g_mime_stream_mem_new_with_buffer (
		g_bytes_get_data (message, NULL), g_bytes_get_size (message));
	parser = g_mime_parser_new_with_stream (stream);
	parsed = g_mime_parser_construct_message (parser, NULL);
	ck_assert (parsed != NULL);
	iter = g_mime_part_iter_new (parsed->mime_part);
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
	g_object_unref (parsed);
	g_object_unref (parser);
	g_object_unref (stream);
	ck_assert_msg (pdf != NULL, "no PDF attached");
	return pdf;
}

START_TEST (test_cycle_email_on_the_wire_is_the_stored_pdf)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GBytes) sent_pdf = NULL;
	g_autoptr (GBytes) stored_pdf = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03", &tally);
	document = document_of ("C1");
	ck_assert_int_eq (document->channel, DS_CHANNEL_EMAIL);
	ck_assert_uint_eq (document->items->len, 1);	/* 1002 disputed */
	ck_assert_uint_eq (ds_test_sink_count (&sink), 1);
	message = ds_test_sink_file (&sink, 1, "eml");
	sent_pdf = attached_pdf (message);
	stored_pdf = ds_production_load_pdf (document, NULL);
	ck_assert (g_bytes_equal (sent_pdf, stored_pdf));
	attempts = ds_attempt_list_for_trace (instance->store,
					      document->trace_id, NULL);
	ck_assert_uint_eq (attempts->len, 1);
	ck_assert_str_eq (((DsAttempt *) attempts->pdata[0])->state,
			  "handed-off");
}
END_TEST

START_TEST (test_cycle_letter_in_print_batch)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GPtrArray) batches = NULL;
	g_autofree char *manifest = NULL;
	DsBatch *batch;

	run_cycle ("2024-02-03", &tally);
	document = document_of ("C2");
	ck_assert_int_eq (document->channel, DS_CHANNEL_LETTER);
	batches = ds_batch_list (instance, NULL);
	ck_assert_uint_eq (batches->len, 1);
	batch = g_ptr_array_index (batches, 0);
	ck_assert (g_file_get_contents (batch->manifest_path, &manifest,
					NULL, NULL));
	ck_assert (strstr (manifest, document->trace_id) != NULL);
	ck_assert (g_file_test (batch->pdf_path, G_FILE_TEST_IS_REGULAR));
	ck_assert (ds_batch_mark (instance, batch->batch_id, "printed",
				  NULL));
	ck_assert (!ds_batch_mark (instance, batch->batch_id, "printed",
				   NULL));
	ck_assert (ds_batch_mark (instance, batch->batch_id, "posted",
				  NULL));
	ck_assert_int_eq (count ("SELECT count(*) FROM attempts"
				 " WHERE state = 'posted'"), batch->documents);
}
END_TEST

START_TEST (test_cycle_refused_email_escalates_to_letter)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	DsAttempt *first, *second;

	run_cycle ("2024-02-03", &tally);
	document = document_of ("C3");
	attempts = ds_attempt_list_for_trace (instance->store,
					      document->trace_id, NULL);
	ck_assert_uint_eq (attempts->len, 2);
	first = g_ptr_array_index (attempts, 0);
	second = g_ptr_array_index (attempts, 1);
	ck_assert_int_eq (first->channel, DS_CHANNEL_EMAIL);
	ck_assert_str_eq (first->state, "failed");
	ck_assert_int_eq (second->channel, DS_CHANNEL_LETTER);
	ck_assert_str_eq (second->state, "handed-off");
	ck_assert (second->batch_id != NULL);
}
END_TEST

/* A customer with three addresses; the relay refuses the third. */
static const char customer_list_csv[] =
	"customer_id,name,contact,street,postal_code,city,country,language,"
	"currency,entity,email,fax,paperless_since\n"
	"C5,Halvorsen Logistik GmbH,Ines Halvorsen,Kai 4,20457,Hamburg,DE,"
	"de,EUR,DE01,\"anna@example.test; ben@example.test,"
	"refused@example.test; later@example.test\",,2020-01-01\n";

static const char invoice_list_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-5001,C5,2024-01-02,2024-01-31,EUR,24000\n";

static void
import_text (const char *name, const char *text)
{
	g_autoptr (GPtrArray) reports = NULL;
	g_autofree char *path = ds_test_write (directory, name, text);
	const char *paths[] = { path, NULL };
	DsImportReport *report;

	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, NULL));
	report = g_ptr_array_index (reports, 0);
	ck_assert_int_eq (report->rejected, 0);
}

/* The sink's envelope of the message sent to `address`. */
static JsonObject *
envelope_to (const char *address)
{
	for (guint n = 1; n <= ds_test_sink_count (&sink); n++) {
		JsonObject *envelope = ds_test_sink_envelope (&sink, n);
		JsonArray *rcpt = json_object_get_array_member (envelope,
								"rcpt_tos");

		for (guint i = 0; i < json_array_get_length (rcpt); i++)
			if (strcmp (json_array_get_string_element (rcpt, i),
				    address) == 0)
				return envelope;
		json_object_unref (envelope);
	}
	ck_abort_msg ("no message to %s", address);
	return NULL;
}

/*
 * Case 14 through the cycle: the customer's list gives three
 * recipients, the two good ones get the message, and the journal
 * records the refusal of the third beside the hand-off.
 */
START_TEST (test_cycle_email_to_a_list_records_the_refusal)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (JsonObject) envelope = NULL;
	g_autofree char *sql = NULL;
	JsonArray *rcpt, *refused;
	DsDispatchTally retried = { 0 };
	DsAttempt *attempt;

	import_text ("customers-list.csv", customer_list_csv);
	import_text ("invoices-list.csv", invoice_list_csv);
	run_cycle ("2024-02-03", &tally);
	document = document_of ("C5");
	ck_assert_int_eq (document->channel, DS_CHANNEL_EMAIL);
	attempts = ds_attempt_list_for_trace (instance->store,
					      document->trace_id, NULL);
	ck_assert_uint_eq (attempts->len, 2);
	attempt = g_ptr_array_index (attempts, 0);
	ck_assert_str_eq (attempt->state, "handed-off");
	/* the deferred address has an attempt of its own, retried */
	attempt = g_ptr_array_index (attempts, 1);
	ck_assert_str_eq (attempt->state, "deferred");
	ck_assert_str_eq (attempt->detail, "to=later@example.test");
	ck_assert_int_eq (attempt->tries, 1);
	ck_assert (ds_dispatch_due (instance, TRUE, &retried, NULL));
	g_ptr_array_unref (attempts);
	attempts = ds_attempt_list_for_trace (instance->store,
					      document->trace_id, NULL);
	attempt = g_ptr_array_index (attempts, 1);
	ck_assert_str_eq (attempt->state, "deferred");
	ck_assert_int_eq (attempt->tries, 2);
	ck_assert_uint_eq (ds_test_sink_count (&sink), 2);

	envelope = envelope_to ("anna@example.test");
	rcpt = json_object_get_array_member (envelope, "rcpt_tos");
	ck_assert_uint_eq (json_array_get_length (rcpt), 2);
	ck_assert_str_eq (json_array_get_string_element (rcpt, 1),
			  "ben@example.test");
	refused = json_object_get_array_member (envelope, "refused");
	ck_assert_uint_eq (json_array_get_length (refused), 2);
	ck_assert_str_eq (json_array_get_string_element (refused, 0),
			  "refused@example.test");

	sql = g_strdup_printf ("SELECT count(*) FROM journal"
			       " WHERE trace_id = '%s'"
			       " AND evidence LIKE '%%accepted=2 refused=2;"
			       " refused <refused@example.test>: 550 %%;"
			       " deferred <later@example.test>: 451 %%'",
			       document->trace_id);
	ck_assert_int_eq (count (sql), 1);
}
END_TEST

START_TEST (test_cycle_unrenderable_held_others_go)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;

	run_cycle ("2024-02-03", &tally);
	document = document_of ("C4");
	ck_assert_str_eq (document->state, "action-required");
	ck_assert (document->reason != NULL);
	ck_assert_int_eq (tally.action_required, 1);
	ck_assert_int_eq (tally.produced, 3);
	ck_assert_int_eq (count ("SELECT count(*) FROM attempts"
				 " WHERE trace_id = '" "' OR trace_id IN"
				 " (SELECT trace_id FROM documents"
				 "  WHERE customer_id = 'C4')"), 0);
}
END_TEST

START_TEST (test_cycle_second_run_adds_nothing)
{
	DsCycleTally tally = { 0 };
	gint64 journal, documents;

	run_cycle ("2024-02-03", &tally);
	journal = count ("SELECT count(*) FROM journal");
	documents = count ("SELECT count(*) FROM documents");
	run_cycle ("2024-02-03", &tally);
	run_cycle ("2024-02-04", &tally);
	ck_assert_int_eq (count ("SELECT count(*) FROM journal"), journal);
	ck_assert_int_eq (count ("SELECT count(*) FROM documents"),
			  documents);
	ck_assert_uint_eq (ds_test_sink_count (&sink), 1);
	ck_assert_int_eq (count ("SELECT count(*) FROM document_items"
				 " WHERE invoice_id = 'INV-1002'"), 0);
}
END_TEST

START_TEST (test_cycle_verify_names_altered_pdf_and_record)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *report = NULL;
	FILE *out;
	char *buffer = NULL;
	size_t size = 0;

	run_cycle ("2024-02-03", &tally);
	ck_assert (ds_trace_verify (instance->store, NULL, stderr, NULL));
	document = document_of ("C2");
	g_chmod (document->pdf_path, 0640);
	ck_assert (g_file_set_contents (document->pdf_path, "%PDF-1.4 x",
					-1, NULL));
	ck_assert (ds_store_exec (instance->store,
		"DROP TRIGGER journal_no_update;"
		"UPDATE journal SET evidence = 'forged' WHERE seq = 5",
		NULL));
	out = open_memstream (&buffer, &size);
	ck_assert (!ds_trace_verify (instance->store, NULL, out, &error));
	fclose (out);
	report = buffer;
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CORRUPT));
	ck_assert (strstr (error->message, "record 5") != NULL);
	ck_assert (strstr (error->message, document->pdf_path) != NULL);
	ck_assert (strstr (report, document->trace_id) != NULL);
}
END_TEST

START_TEST (test_cycle_requeue_after_fixing_action_required)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsDocument) held = NULL;
	g_autoptr (DsDocument) produced = NULL;
	g_autoptr (DsCustomer) customer = NULL;
	g_autoptr (GError) error = NULL;
	DsLedgerOutcome outcome;
	guint changed = 0;

	run_cycle ("2024-02-03", &tally);
	held = document_of ("C4");
	ck_assert_str_eq (held->state, "action-required");
	/* the operator corrects the name and requeues the document */
	customer = ds_ledger_get_customer (instance->store, "C4", NULL);
	g_free (customer->name);
	customer->name = g_strdup ("Sample KK");
	ck_assert (ds_ledger_put_customer (instance->store, customer,
					   &outcome, NULL));
	ck_assert_msg (ds_queue_act (instance, held->trace_id,
				     DS_QUEUE_REQUEUE, "name fixed",
				     &changed, &error), "%s",
		       error ? error->message : "");
	ck_assert_uint_eq (changed, 1);
	run_cycle ("2024-02-04", &tally);
	produced = document_of ("C4");
	ck_assert_str_eq (produced->trace_id, held->trace_id);
	ck_assert_str_eq (produced->state, "dispatched");
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("cycle");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_cycle_email_on_the_wire_is_the_stored_pdf);
	tcase_add_test (tc, test_cycle_letter_in_print_batch);
	tcase_add_test (tc, test_cycle_refused_email_escalates_to_letter);
	tcase_add_test (tc, test_cycle_email_to_a_list_records_the_refusal);
	tcase_add_test (tc, test_cycle_unrenderable_held_others_go);
	tcase_add_test (tc, test_cycle_second_run_adds_nothing);
	tcase_add_test (tc, test_cycle_requeue_after_fixing_action_required);
	tcase_add_test (tc, test_cycle_verify_names_altered_pdf_and_record);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
