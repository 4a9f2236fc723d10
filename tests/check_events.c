/*
 * check_events.c -- event documents through the daily cycle: a promise
 * in the ledger makes exactly one confirmation with the promised date
 * and amount in its PDF, made on the first run after downtime, and
 * neither a re-run of the date nor a catch-up adds one; two payments on
 * one invoice make two acknowledgements when [events] enables them (and
 * unapplied cash one without a table) and none when it does not; a
 * dispute makes one notice and the invoice is not chased afterwards
 * while the customer's other invoice is.
 */
#include <check.h>
#include <sqlite3.h>
#include <string.h>

#include "cycle.h"
#include "document.h"
#include "event-documents.h"
#include "import.h"
#include "instance.h"
#include "testutil.h"

static const char entities_csv[] =
	"entity_id,name,street,postal_code,city,country,iban,bic,vat_id,"
	"email,phone\n"
	"GB01,Northwind Supplies Ltd,1 Harbour Road,BS1 4DJ,Bristol,GB,"
	"GB29NWBK60161331926819,NWBKGB2L,GB000000000,"
	"credit@example.co.uk,+44 117 000 0000\n";

static const char customers_csv[] =
	"customer_id,name,contact,street,postal_code,city,country,language,"
	"currency,entity,email,fax\n"
	"C1,Ashdown Engineering Ltd,Nigel Ashdown,2 Mill Lane,BS2 0AA,"
	"Bristol,GB,en,GBP,GB01,ap@example.test,\n"
	"C2,Pemberton Foods Ltd,Alice Pemberton,3 Quay Street,BS1 5AB,"
	"Bristol,GB,en,GBP,GB01,,\n"
	"C3,Harrow Tools Ltd,,4 King Street,BS1 4ER,Bristol,GB,en,GBP,"
	"GB01,,\n";

static const char invoices_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-1001,C1,2024-01-01,2024-01-31,GBP,100000\n"
	"INV-2001,C2,2024-01-02,2024-01-31,GBP,135590\n"
	"INV-3001,C3,2024-01-02,2024-01-31,GBP,7700\n"
	"INV-3002,C3,2024-01-02,2024-01-31,GBP,4400\n";

static const char payments_csv[] =
	"payment_id,customer_id,date,currency,amount,invoice_id\n"
	"P1,C1,2024-03-02,GBP,250.00,INV-1001\n"
	"P2,C1,2024-03-03,GBP,300.00,INV-1001\n"
	"P3,C1,2024-03-04,GBP,20.00,\n";

static const char promises_csv[] =
	"promise_id,customer_id,promised_date,amount,invoice_id,made_on\n"
	"PR1,C2,2024-03-20,412.35,INV-2001,2024-03-01\n";

static const char disputes_csv[] =
	"invoice_id,opened,resolved,reason\n"
	"INV-3001,2024-03-01,,goods damaged\n";

static char *directory;
static DsInstance *instance;

/* A new instance whose dunspool.conf has `events` as its [events]. */
static void
open_instance (const char *events)
{
	g_autofree char *root = g_build_filename (directory, "instance",
						  NULL);
	g_autofree char *path = g_build_filename (root, "dunspool.conf",
						  NULL);
	g_autofree char *text = NULL;
	g_autofree char *changed = NULL;
	g_autoptr (GError) error = NULL;
	char *group, *end;

	ck_assert_msg (ds_instance_create (root, &error), "%s",
		       error ? error->message : "");
	ck_assert (g_file_get_contents (path, &text, NULL, NULL));
	group = strstr (text, "[events]\n");
	ck_assert (group != NULL);
	end = strstr (group, "\n\n");
	ck_assert (end != NULL);
	*group = '\0';
	changed = g_strconcat (text, "[events]\n", events, end, NULL);
	ck_assert (g_file_set_contents (path, changed, -1, NULL));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
}

static void
import_fixture (void)
{
	static const struct {
		const char *name;
		const char *text;
	} files[] = {
		{ "entities.csv", entities_csv },
		{ "customers.csv", customers_csv },
		{ "invoices.csv", invoices_csv },
		{ "payments.csv", payments_csv },
		{ "promises.csv", promises_csv },
		{ "disputes.csv", disputes_csv },
	};
	g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
		g_ptr_array_add (paths, ds_test_write (directory,
						       files[i].name,
						       files[i].text));
	g_ptr_array_add (paths, NULL);
	ck_assert_msg (ds_import_files (instance->store,
					(const char *const *) paths->pdata,
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
	directory = ds_test_tmpdir ();
	instance = NULL;
}

static void
teardown (void)
{
	ds_instance_free (instance);
	ds_test_rmtree (directory);
	g_free (directory);
}

static void
replay (const char *from, const char *to)
{
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (GError) error = NULL;
	DsCycleTally tally = { 0 };
	DsDate first, last;

	ck_assert (ds_date_parse_iso (from, &first, NULL));
	ck_assert (ds_date_parse_iso (to, &last, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_replay (cycle, first, last, &tally, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (tally.failures, 0);
}

static gint64
count (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (statement != NULL);
	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

static char *
text_of (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (statement != NULL);
	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return g_strdup ((const char *) sqlite3_column_text (statement, 0));
}

/* The stored PDF's text, every run of white space made one space. */
static char *
pdf_text (const DsDocument *document)
{
	const char *argv[] = {
		"pdftotext", "-enc", "UTF-8", document->pdf_path, "-", NULL,
	};
	g_autofree char *out = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);
	int status = 0;

	ck_assert (document->pdf_path != NULL);
	ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL,
				     G_SPAWN_SEARCH_PATH |
				     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				     &out, NULL, &status, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (status, 0);
	return g_regex_replace_literal (space, out, -1, 0, " ", 0, NULL);
}

static DsDocument *
event_document (const char *kind, const char *object)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT trace_id FROM documents WHERE step = '%s'"
		" AND event_object = '%s'", kind, object);
	g_autofree char *trace_id = text_of (sql);
	g_autoptr (GError) error = NULL;
	DsDocument *document = ds_document_get (instance->store, trace_id,
						&error);

	ck_assert_msg (document != NULL, "%s", error ? error->message : "");
	return document;
}

START_TEST (test_promise_confirmed_once)
{
	g_autoptr (DsDocument) document = NULL;
	g_autofree char *text = NULL;

	open_instance ("confirm_promises = true\n"
		       "dispute_notices = false\n");
	import_fixture ();
	/* Made on 1 March, the first run on the 4th: caught up. */
	replay ("2024-03-04", "2024-03-04");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'promise-confirmation'"), 1);
	document = event_document (DS_EVENT_PROMISE_CONFIRMATION,
				   "promise:PR1");
	ck_assert_str_eq (document->strategy, DS_DOCUMENT_EVENT_STRATEGY);
	ck_assert_str_eq (document->customer_id, "C2");
	ck_assert_int_eq (document->channel, DS_CHANNEL_LETTER);
	ck_assert_str_eq (document->state, "dispatched");
	ck_assert_uint_eq (document->items->len, 1);
	text = pdf_text (document);
	ck_assert_msg (strstr (text, "20 March 2024") != NULL, "%s", text);
	ck_assert_msg (strstr (text, "412.35 GBP") != NULL, "%s", text);
	ck_assert_msg (strstr (text, "INV-2001") != NULL, "%s", text);
	/* It asks for nothing: no payment details block. */
	ck_assert_msg (strstr (text, "Payment details") == NULL, "%s", text);

	replay ("2024-03-04", "2024-03-04");
	replay ("2024-03-01", "2024-03-12");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'promise-confirmation'"), 1);
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " object_kind = 'promise' AND"
				 " event = 'promise-made'"), 1);
}
END_TEST

START_TEST (test_payments_acknowledged)
{
	g_autoptr (DsDocument) first = NULL;
	g_autoptr (DsDocument) second = NULL;
	g_autoptr (DsDocument) unapplied = NULL;
	g_autofree char *text = NULL;
	g_autofree char *unapplied_text = NULL;

	open_instance ("acknowledge_payments = true\n"
		       "confirm_promises = false\n"
		       "dispute_notices = false\n"
		       "channels = email;letter\n");
	import_fixture ();
	replay ("2024-03-02", "2024-03-05");
	replay ("2024-03-05", "2024-03-05");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'acknowledgement'"), 3);
	ck_assert_int_eq (count ("SELECT count(*) FROM documents d JOIN"
				 " document_items i USING (trace_id) WHERE"
				 " d.step = 'acknowledgement' AND"
				 " i.invoice_id = 'INV-1001'"), 2);
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " event_object IS NOT NULL"), 3);
	first = event_document (DS_EVENT_ACKNOWLEDGEMENT, "payment:P1");
	second = event_document (DS_EVENT_ACKNOWLEDGEMENT, "payment:P2");
	ck_assert_str_ne (first->trace_id, second->trace_id);
	ck_assert_str_ne (first->idempotency_key, second->idempotency_key);
	/* The customer has an e-mail address: e-mail. */
	ck_assert_int_eq (first->channel, DS_CHANNEL_EMAIL);
	ck_assert_uint_eq (first->items->len, 1);
	ck_assert_str_eq (((DsDocumentItem *) first->items->pdata[0])
			  ->invoice_id, "INV-1001");
	text = pdf_text (second);
	ck_assert_msg (strstr (text, "300.00 GBP") != NULL, "%s", text);
	ck_assert_msg (strstr (text, "3 March 2024") != NULL, "%s", text);
	ck_assert_msg (strstr (text, "shows the invoice as it now stands")
		       != NULL, "%s", text);
	ck_assert_msg (strstr (text, "INV-1001") != NULL, "%s", text);
	/* Unapplied cash: credited to the account, no table. */
	unapplied = event_document (DS_EVENT_ACKNOWLEDGEMENT, "payment:P3");
	ck_assert_uint_eq (unapplied->items->len, 0);
	unapplied_text = pdf_text (unapplied);
	ck_assert_msg (strstr (unapplied_text, "credited it to your account")
		       != NULL, "%s", unapplied_text);
	ck_assert_msg (strstr (unapplied_text, "Days overdue") == NULL, "%s",
		       unapplied_text);
	/* Acknowledgements take no step of a strategy. */
	ck_assert_int_eq (count ("SELECT count(*) FROM invoice_steps s JOIN"
				 " documents d USING (trace_id) WHERE"
				 " d.event_object IS NOT NULL"), 0);
}
END_TEST

START_TEST (test_payments_not_acknowledged)
{
	open_instance ("acknowledge_payments = false\n");
	import_fixture ();
	replay ("2024-03-02", "2024-03-05");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'acknowledgement'"), 0);
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " event = 'payment-received'"), 3);
}
END_TEST

START_TEST (test_dispute_notice)
{
	g_autoptr (DsDocument) document = NULL;
	g_autofree char *text = NULL;

	open_instance ("dispute_notices = true\n"
		       "confirm_promises = false\n");
	import_fixture ();
	replay ("2024-03-01", "2024-04-30");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'dispute-notice'"), 1);
	document = event_document (DS_EVENT_DISPUTE_NOTICE,
				   "dispute:INV-3001@2024-03-01");
	ck_assert_str_eq (document->customer_id, "C3");
	ck_assert_int_eq (document->channel, DS_CHANNEL_LETTER);
	text = pdf_text (document);
	ck_assert_msg (strstr (text, "INV-3001") != NULL, "%s", text);
	ck_assert_msg (strstr (text, "paused all reminders") != NULL, "%s",
		       text);
	ck_assert_msg (strstr (text, "goods damaged") != NULL, "%s", text);
	/* The disputed invoice is not chased; its neighbour is. */
	ck_assert_int_eq (count ("SELECT count(*) FROM document_items i"
				 " JOIN documents d USING (trace_id)"
				 " WHERE i.invoice_id = 'INV-3001'"
				 " AND d.event_object IS NULL"), 0);
	ck_assert_int_gt (count ("SELECT count(*) FROM document_items i"
				 " JOIN documents d USING (trace_id)"
				 " WHERE i.invoice_id = 'INV-3002'"
				 " AND d.event_object IS NULL"), 0);
	replay ("2024-03-01", "2024-03-31");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'dispute-notice'"), 1);
}
END_TEST

/*
 * A confirmation chases nothing: it is no touch of the customer.  With
 * one touch in 30 days, C2's new invoice still gets its reminder three
 * days after the promise was confirmed.
 */
START_TEST (test_event_document_is_no_touch)
{
	g_autofree char *path = NULL;
	const char *paths[2] = { NULL, NULL };
	g_autoptr (GPtrArray) reports = NULL;

	open_instance ("confirm_promises = true\n"
		       "dispute_notices = false\n");
	instance->config->limits.touches = 1;
	instance->config->limits.period_days = 30;
	import_fixture ();
	path = ds_test_write (directory, "invoices-2.csv",
			      "invoice_id,customer_id,issue_date,due_date,"
			      "currency,amount\n"
			      "INV-2002,C2,2024-02-01,2024-03-01,GBP,"
			      "500.00\n");
	paths[0] = path;
	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, NULL));
	replay ("2024-03-01", "2024-03-04");
	ck_assert_int_eq (count ("SELECT count(*) FROM documents WHERE"
				 " step = 'promise-confirmation'"
				 " AND as_of = '2024-03-01'"), 1);
	ck_assert_int_eq (count ("SELECT count(*) FROM documents d"
				 " JOIN document_items USING (trace_id)"
				 " WHERE invoice_id = 'INV-2002'"
				 " AND d.as_of = '2024-03-04'"), 1);
}
END_TEST

static Suite *
events_suite (void)
{
	Suite *suite = suite_create ("events");
	TCase *tc = tcase_create ("events");

	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_set_timeout (tc, 120);
	tcase_add_test (tc, test_promise_confirmed_once);
	tcase_add_test (tc, test_payments_acknowledged);
	tcase_add_test (tc, test_payments_not_acknowledged);
	tcase_add_test (tc, test_dispute_notice);
	tcase_add_test (tc, test_event_document_is_no_touch);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (events_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? 0 : 1;
}
