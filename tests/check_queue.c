/*
 * check_queue.c -- the queue verbs and the retry of deferred e-mail:
 * a 4xx from the relay defers with back-off, the cycle leaves it until
 * it is due, flush tries it now, the last try expires it into a letter;
 * requeue makes a new attempt; hold and release stop and restart a ready
 * document and a queued letter; cancel before hand-off cancels, after
 * it requests, and an e-mail with the relay cannot be called back.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cycle.h"
#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "planner.h"
#include "production.h"
#include "queue.h"
#include "spool.h"
#include "testsink.h"
#include "testutil.h"

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
	"Bremen,DE,de,EUR,DE01,slow@example.test,,2020-01-01\n"
	"C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,Łódzka 5,"
	"40212,Düsseldorf,DE,de,EUR,DE01,,,\n";

static const char invoices_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-1001,C1,2024-01-01,2024-01-31,EUR,100000\n"
	"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n";

static char *directory;
static DsTestSink sink;
static DsInstance *instance;

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
	ck_assert (g_file_set_contents (path, joined, -1, NULL));
}

static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autofree char *e = NULL, *c = NULL, *i = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	const char *paths[4];

	directory = ds_test_tmpdir ();
	root = g_build_filename (directory, "instance", NULL);
	ds_test_sink_start (&sink, directory, (const char *const[]) {
		"--defer", "slow@*", NULL });
	ck_assert (ds_instance_create (root, &error));
	configure_smtp (root, sink.url);
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	e = ds_test_write (directory, "entities.csv", entities_csv);
	c = ds_test_write (directory, "customers.csv", customers_csv);
	i = ds_test_write (directory, "invoices.csv", invoices_csv);
	paths[0] = e;
	paths[1] = c;
	paths[2] = i;
	paths[3] = NULL;
	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, &error));
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
run_cycle (const char *iso)
{
	DsCycleTally tally = { 0 };
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (GError) error = NULL;
	DsDate day;

	ck_assert (ds_date_parse_iso (iso, &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day, &tally, &error), "%s",
		       error ? error->message : "");
}

/* Plan and produce the day's documents, stopping before dispatch. */
static void
produce_only (const char *iso)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRenderer) renderer = ds_renderer_new (
		instance->config->templates, DS_FONT_DIR, &error);
	g_autoptr (DsPlan) plan = NULL;
	DsDate day;

	ck_assert_msg (renderer != NULL, "%s", error ? error->message : "");
	ck_assert (ds_date_parse_iso (iso, &day, NULL));
	plan = ds_planner_plan (instance->store, instance->config, day,
				&error);
	ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < plan->documents->len; i++) {
		DsDocument *document = g_ptr_array_index (plan->documents, i);
		DsProduction production = {
			instance, renderer, plan->open_items, day,
		};
		g_autofree char *state = NULL;

		ck_assert (ds_document_insert (instance->store, document,
					       "test", &error));
		ck_assert_msg (ds_production_run (&production,
						  document->trace_id, &state,
						  &error), "%s",
			       error ? error->message : "");
		ck_assert_str_eq (state, "ready");
	}
}

static char *
trace_of (const char *customer_id)
{
	g_autoptr (GPtrArray) list = ds_document_list_for (instance->store,
							   customer_id,
							   NULL);

	ck_assert_uint_eq (list->len, 1);
	return g_strdup (g_ptr_array_index (list, 0));
}

static DsDocument *
document_of (const char *customer_id)
{
	g_autofree char *trace_id = trace_of (customer_id);

	return ds_document_get (instance->store, trace_id, NULL);
}

static DsAttempt *
attempt_at (const char *trace_id, guint index)
{
	g_autoptr (GPtrArray) attempts = ds_attempt_list_for_trace (
		instance->store, trace_id, NULL);

	ck_assert_uint_gt (attempts->len, index);
	return g_ptr_array_steal_index (attempts, index);
}

static guint
attempt_count (const char *trace_id)
{
	g_autoptr (GPtrArray) attempts = ds_attempt_list_for_trace (
		instance->store, trace_id, NULL);

	return attempts->len;
}

static char *
next_try (gint64 attempt_id)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT next_try_at FROM attempts WHERE attempt_id = %"
		G_GINT64_FORMAT, attempt_id);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return g_strdup ((const char *) sqlite3_column_text (statement, 0));
}

/* Seconds from now until an ISO UTC time. */
static gint64
seconds_until (const char *iso)
{
	g_autoptr (GDateTime) then = g_date_time_new_from_iso8601 (iso, NULL);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

	ck_assert (then != NULL);
	return g_date_time_difference (then, now) / G_TIME_SPAN_SECOND;
}

/* A second sink needs a directory of its own. */
static const char *
other_directory (void)
{
	static char *path;

	g_free (path);
	path = g_build_filename (directory, "relay-2", NULL);
	ck_assert (g_mkdir_with_parents (path, 0700) == 0);
	return path;
}

static void
queue_ok (const char *trace_id, DsQueueAction action, guint expected)
{
	g_autoptr (GError) error = NULL;
	guint changed = 0;

	ck_assert_msg (ds_queue_act (instance, trace_id, action, "test",
				     &changed, &error), "%s",
		       error ? error->message : "");
	ck_assert_uint_eq (changed, expected);
}

START_TEST (test_queue_deferred_email_backs_off_until_flush)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) first = NULL;
	g_autoptr (DsAttempt) second = NULL;
	g_autofree char *wait1 = NULL, *wait2 = NULL;
	DsDispatchTally tally = { 0 };
	g_autoptr (GError) error = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	first = attempt_at (trace_id, 0);
	ck_assert_str_eq (first->state, "deferred");
	ck_assert_int_eq (first->tries, 1);
	wait1 = next_try (first->attempt_id);
	ck_assert_int_ge (seconds_until (wait1),
			  DS_DISPATCH_BACKOFF_FIRST - 60);
	ck_assert_int_le (seconds_until (wait1), DS_DISPATCH_BACKOFF_FIRST);

	/* The next cycle leaves it: its next try has not come. */
	run_cycle ("2024-02-04");
	g_clear_pointer (&second, ds_attempt_free);
	second = attempt_at (trace_id, 0);
	ck_assert_int_eq (second->tries, 1);

	ck_assert_msg (ds_queue_flush (instance, &tally, &error), "%s",
		       error ? error->message : "");
	ck_assert_int_eq (tally.retried, 1);
	ck_assert_int_eq (tally.deferred, 1);
	g_clear_pointer (&second, ds_attempt_free);
	second = attempt_at (trace_id, 0);
	ck_assert_str_eq (second->state, "deferred");
	ck_assert_int_eq (second->tries, 2);
	wait2 = next_try (second->attempt_id);
	ck_assert_int_ge (seconds_until (wait2),
			  2 * DS_DISPATCH_BACKOFF_FIRST - 60);
	ck_assert_uint_eq (attempt_count (trace_id), 1);
}
END_TEST

START_TEST (test_queue_deferred_expires_into_letter)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) email = NULL;
	g_autoptr (DsAttempt) letter = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	for (int i = 1; i < DS_DISPATCH_MAX_TRIES; i++) {
		DsDispatchTally tally = { 0 };

		ck_assert (ds_queue_flush (instance, &tally, NULL));
		ck_assert_int_eq (tally.retried, 1);
	}
	email = attempt_at (trace_id, 0);
	ck_assert_str_eq (email->state, "expired");
	ck_assert_int_eq (email->tries, DS_DISPATCH_MAX_TRIES);
	letter = attempt_at (trace_id, 1);
	ck_assert_int_eq (letter->channel, DS_CHANNEL_LETTER);
	ck_assert_str_eq (letter->state, "queued");
}
END_TEST

START_TEST (test_queue_requeue_makes_new_attempt)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) old = NULL;
	g_autoptr (DsAttempt) fresh = NULL;
	DsDispatchTally tally = { 0 };
	DsTestSink good;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	queue_ok (trace_id, DS_QUEUE_REQUEUE, 2);
	old = attempt_at (trace_id, 0);
	ck_assert_str_eq (old->state, "cancelled");
	fresh = attempt_at (trace_id, 1);
	ck_assert_str_eq (fresh->state, "queued");
	ck_assert_int_eq (fresh->channel, DS_CHANNEL_EMAIL);
	ck_assert_str_eq (fresh->driver, "smtp");

	/* The relay takes mail again: the new attempt goes out. */
	ds_test_sink_start (&good, other_directory (), NULL);
	g_free (instance->config->mail_relay);
	instance->config->mail_relay = g_strdup (good.url);
	ck_assert (ds_queue_flush (instance, &tally, NULL));
	g_clear_pointer (&fresh, ds_attempt_free);
	fresh = attempt_at (trace_id, 1);
	ck_assert_str_eq (fresh->state, "handed-off");
	ck_assert_uint_eq (ds_test_sink_count (&good), 1);
	ds_test_sink_stop (&good);
	/* Nothing left to requeue: the last attempt went out. */
	ck_assert (!ds_queue_act (instance, trace_id, DS_QUEUE_REQUEUE,
				  NULL, NULL, NULL));
}
END_TEST

static void
import_text (const char *name, const char *text)
{
	g_autofree char *path = ds_test_write (directory, name, text);
	const char *paths[] = { path, NULL };
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_import_files (instance->store, paths,
					instance->config->profiles, NULL,
					&reports, &error), "%s",
		       error ? error->message : "");
}

static void
copy_templates (const char *from, const char *to)
{
	g_autofree char *source = g_build_filename (
		instance->config->templates, from, NULL);
	g_autofree char *target = g_build_filename (
		instance->config->templates, to, NULL);
	g_autofree char *command = g_strdup_printf ("cp -r '%s' '%s'",
						    source, target);

	ck_assert_int_eq (system (command), 0);
}

static gboolean
journaled (const char *trace_id, const char *event, const char *evidence)
{
	g_autoptr (GPtrArray) records = ds_journal_for_object (
		instance->store, "document", trace_id, NULL);

	for (guint i = 0; records != NULL && i < records->len; i++) {
		const DsJournalRecord *record = records->pdata[i];

		if (g_strcmp0 (record->event, event) == 0 &&
		    g_strcmp0 (record->evidence, evidence) == 0)
			return TRUE;
	}
	return FALSE;
}

/*
 * A reminder stuck in action-required (no Italian templates) holds the
 * next step back; fixed and requeued three weeks later, it is dated on
 * the day it is made, and the next step counts from that day.
 */
START_TEST (test_queue_requeued_document_dated_when_made)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsDocument) stuck = NULL;
	g_autoptr (DsDocument) made = NULL;
	g_autoptr (GPtrArray) documents = NULL;
	DsDate day;

	import_text ("customers-it.csv", "customer_id,name,contact,street,"
		"postal_code,city,country,language,currency,entity,email,fax,"
		"paperless_since\n"
		"C2,Großkreutz Getränkehandel KG,,Łódzka 5,40212,"
		"Düsseldorf,DE,it,EUR,DE01,,,\n");
	run_cycle ("2024-02-03");
	trace_id = trace_of ("C2");
	stuck = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (stuck->state, "action-required");
	for (const char *const *d = (const char *const[]) {
		     "2024-02-14", "2024-02-20", "2024-02-23", NULL };
	     *d != NULL; d++)
		run_cycle (*d);
	documents = ds_document_list_for (instance->store, "C2", NULL);
	ck_assert_uint_eq (documents->len, 1);	/* no first notice yet */

	/* The operator adds Italian templates (English ones will do). */
	copy_templates ("en", "it");
	queue_ok (trace_id, DS_QUEUE_REQUEUE, 1);
	run_cycle ("2024-02-24");
	made = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (made->state, "dispatched");
	ck_assert (ds_date_parse_iso ("2024-02-24", &day, NULL));
	ck_assert_int_eq (made->as_of, day);
	ck_assert (journaled (trace_id, "redated",
			      "from 2024-02-03 to 2024-02-24"));

	/* The first notice keeps its gap of 10 days from the reminder's
	 * new date. */
	run_cycle ("2024-03-04");
	g_clear_pointer (&documents, g_ptr_array_unref);
	documents = ds_document_list_for (instance->store, "C2", NULL);
	ck_assert_uint_eq (documents->len, 1);
	run_cycle ("2024-03-05");
	g_clear_pointer (&documents, g_ptr_array_unref);
	documents = ds_document_list_for (instance->store, "C2", NULL);
	ck_assert_uint_eq (documents->len, 2);
}
END_TEST

/*
 * A process killed after writing a document's PDF and before recording
 * it leaves the file behind: the next cycle makes the document anew
 * over it instead of failing on it every day.
 */
START_TEST (test_queue_stale_pdf_replaced)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (DsDocument) made = NULL;
	g_autofree char *month = NULL;
	g_autofree char *stale = NULL;
	g_autofree char *trace_id = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };
	DsDate day;

	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	plan = ds_planner_plan (instance->store, instance->config, day,
				&error);
	ck_assert (plan != NULL && plan->documents->len > 0);
	for (guint i = 0; i < plan->documents->len; i++)
		ck_assert (ds_document_insert (instance->store,
			plan->documents->pdata[i], "test", NULL));
	trace_id = trace_of ("C2");
	month = ds_instance_spool_path (instance, "documents/2024-02");
	ck_assert (g_mkdir_with_parents (month, 0750) == 0);
	stale = g_strdup_printf ("%s/%s.pdf", month, trace_id);
	ck_assert (g_file_set_contents (stale, "half a PDF", -1, NULL));

	cycle = ds_cycle_new (instance, NULL);
	ck_assert (ds_cycle_run (cycle, day, &tally, NULL));
	ck_assert_int_eq (tally.failures, 0);
	made = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (made->state, "dispatched");
	ck_assert_str_eq (made->pdf_path, stale);
}
END_TEST

/* Instalments that do not add up to their invoice stop its customer's
 * letter in action-required, with the reason, not the cycle. */
START_TEST (test_queue_bad_instalments_need_action)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsDocument) stuck = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };
	DsDate day;

	import_text ("instalments.csv", "invoice_id,number,due_date,amount\n"
		     "INV-2001,1,2024-01-31,500.00\n"
		     "INV-2001,2,2024-02-29,600.00\n");
	cycle = ds_cycle_new (instance, NULL);
	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	ck_assert (ds_cycle_run (cycle, day, &tally, NULL));
	ck_assert_int_eq (tally.failures, 0);
	ck_assert_int_eq (tally.action_required, 1);
	trace_id = trace_of ("C2");
	stuck = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (stuck->state, "action-required");
	ck_assert_msg (strstr (stuck->reason, "instalments add up to "
			       "1100.00 EUR, the invoice to 135590.00 EUR")
		       != NULL, "%s", stuck->reason);
}
END_TEST

START_TEST (test_queue_hold_and_release_ready_document)
{
	g_autoptr (DsDocument) held = NULL;
	g_autoptr (DsDocument) released = NULL;
	g_autoptr (GError) error = NULL;

	produce_only ("2024-02-03");
	held = document_of ("C2");
	ck_assert_str_eq (held->state, "ready");
	queue_ok (held->trace_id, DS_QUEUE_HOLD, 1);
	run_cycle ("2024-02-03");
	ck_assert_uint_eq (attempt_count (held->trace_id), 0);
	/* Holding twice changes nothing, and says so. */
	ck_assert (!ds_queue_act (instance, held->trace_id, DS_QUEUE_HOLD,
				  NULL, NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	ck_assert (strstr (error->message, "document is held") != NULL);

	queue_ok (held->trace_id, DS_QUEUE_RELEASE, 1);
	run_cycle ("2024-02-03");
	released = document_of ("C2");
	ck_assert_str_eq (released->state, "dispatched");
	ck_assert_uint_eq (attempt_count (released->trace_id), 1);
}
END_TEST

START_TEST (test_queue_hold_queued_letter_skips_batch)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) letter = NULL;
	gint64 attempt_id, batches = 0;
	DsDate day;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C2");
	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_REGISTERED, "print",
				      &attempt_id, NULL));
	queue_ok (trace_id, DS_QUEUE_HOLD, 1);
	ck_assert (ds_date_parse_iso ("2024-02-05", &day, NULL));
	ck_assert (ds_batch_build (instance, day, &batches, NULL));
	ck_assert_int_eq (batches, 0);
	queue_ok (trace_id, DS_QUEUE_RELEASE, 1);
	ck_assert (ds_batch_build (instance, day, &batches, NULL));
	ck_assert_int_eq (batches, 1);
	letter = ds_attempt_get (instance->store, attempt_id, NULL);
	ck_assert_str_eq (letter->state, "handed-off");
}
END_TEST

START_TEST (test_queue_cancel_before_and_after_hand_off)
{
	g_autofree char *c1 = NULL;
	g_autoptr (DsDocument) c2 = NULL;
	g_autoptr (DsDocument) cancelled = NULL;
	g_autoptr (DsAttempt) letter = NULL;
	g_autoptr (GError) error = NULL;

	/* Before hand-off: the ready document is cancelled outright. */
	produce_only ("2024-02-03");
	c2 = document_of ("C2");
	queue_ok (c2->trace_id, DS_QUEUE_CANCEL, 1);
	run_cycle ("2024-02-03");
	cancelled = document_of ("C2");
	ck_assert_str_eq (cancelled->state, "cancelled");
	ck_assert_uint_eq (attempt_count (c2->trace_id), 0);

	/* The deferred e-mail is not handed off: cancelled. */
	c1 = trace_of ("C1");
	queue_ok (c1, DS_QUEUE_CANCEL, 1);
	letter = attempt_at (c1, 0);
	ck_assert_str_eq (letter->state, "cancelled");
	ck_assert (!ds_queue_act (instance, c1, DS_QUEUE_CANCEL, NULL, NULL,
				  &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
}
END_TEST

START_TEST (test_queue_cancel_in_batch_is_a_request)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) letter = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GBytes) confirm = NULL;
	g_autofree char *text = NULL;
	g_autofree char *status = ds_instance_spool_path (instance,
							  "status");

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C2");
	queue_ok (trace_id, DS_QUEUE_CANCEL, 1);
	letter = attempt_at (trace_id, 0);
	ck_assert_str_eq (letter->state, "cancel-requested");
	/* The mailroom pulls the letter before printing: cancelled. */
	text = g_strdup_printf ("trace_id,state\n%s,cancelled\n", trace_id);
	confirm = g_bytes_new (text, strlen (text));
	ck_assert (ds_spool_write_file (status, "pulled.csv", confirm, NULL));
	ck_assert (ds_feedback_process_status (instance, &reports, NULL));
	g_clear_pointer (&letter, ds_attempt_free);
	letter = attempt_at (trace_id, 0);
	ck_assert_str_eq (letter->state, "cancelled");
}
END_TEST

START_TEST (test_queue_cancel_handed_off_email_refused)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (GError) error = NULL;
	DsTestSink good;
	DsDispatchTally tally = { 0 };

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	ds_test_sink_start (&good, other_directory (), NULL);
	g_free (instance->config->mail_relay);
	instance->config->mail_relay = g_strdup (good.url);
	ck_assert (ds_queue_flush (instance, &tally, NULL));
	ds_test_sink_stop (&good);
	ck_assert (!ds_queue_act (instance, trace_id, DS_QUEUE_CANCEL, NULL,
				  NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	ck_assert (strstr (error->message, "handed-off") != NULL);
}
END_TEST

START_TEST (test_queue_password_file_others_can_read)
{
	g_autofree char *secret = ds_test_write (directory, "smtp-password",
						 "s3cret\n");
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) waiting = NULL;
	g_autoptr (DsAttempt) sent = NULL;
	g_autoptr (DsDocument) letter = NULL;
	DsDispatchTally tally = { 0 };

	ck_assert (g_chmod (secret, 0644) == 0);
	g_free (instance->config->mail_password_file);
	instance->config->mail_password_file = g_strdup (secret);
	/* The e-mail waits, queued; the letter goes out regardless. */
	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	waiting = attempt_at (trace_id, 0);
	ck_assert_str_eq (waiting->state, "queued");
	ck_assert_int_eq (waiting->tries, 0);
	letter = document_of ("C2");
	ck_assert_str_eq (letter->state, "dispatched");

	ck_assert (g_chmod (secret, 0600) == 0);
	ck_assert (ds_queue_flush (instance, &tally, NULL));
	sent = attempt_at (trace_id, 0);
	ck_assert_int_eq (sent->tries, 1);
	ck_assert_str_ne (sent->state, "queued");
}
END_TEST

START_TEST (test_queue_interrupted_submission_is_reconciled)
{
	g_autofree char *trace_id = NULL;
	g_autoptr (DsAttempt) stuck = NULL;
	g_autoptr (DsAttempt) fresh = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *sql = NULL;
	DsDispatchTally tally = { 0 };
	gint64 attempt_id;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	/* A second try that a crash cut short an hour ago. */
	ck_assert (ds_queue_act (instance, trace_id, DS_QUEUE_CANCEL, NULL,
				 NULL, NULL));
	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_EMAIL, "smtp", &attempt_id,
				      NULL));
	ck_assert (ds_attempt_move (instance->store, attempt_id,
				    "submitting", NULL, NULL));
	sql = g_strdup_printf ("UPDATE attempts SET updated_at ="
			       " '2020-01-01T00:00:00Z' WHERE attempt_id = %"
			       G_GINT64_FORMAT, attempt_id);
	ck_assert (ds_store_exec (instance->store, sql, NULL));

	ck_assert (ds_queue_flush (instance, &tally, NULL));
	stuck = ds_attempt_get (instance->store, attempt_id, NULL);
	ck_assert_str_eq (stuck->state, "unknown-outcome");
	ck_assert_int_eq (stuck->tries, 1);
	/* Never simply sent again: requeue refuses it. */
	ck_assert (!ds_queue_act (instance, trace_id, DS_QUEUE_REQUEUE, NULL,
				  NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	queue_ok (trace_id, DS_QUEUE_RECONCILE, 2);
	g_clear_pointer (&stuck, ds_attempt_free);
	stuck = ds_attempt_get (instance->store, attempt_id, NULL);
	ck_assert_str_eq (stuck->state, "failed");
	fresh = attempt_at (trace_id, 2);
	ck_assert_str_eq (fresh->state, "queued");
	ck_assert_int_eq (fresh->channel, DS_CHANNEL_EMAIL);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("queue");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_queue_deferred_email_backs_off_until_flush);
	tcase_add_test (tc, test_queue_deferred_expires_into_letter);
	tcase_add_test (tc, test_queue_requeue_makes_new_attempt);
	tcase_add_test (tc, test_queue_hold_and_release_ready_document);
	tcase_add_test (tc, test_queue_hold_queued_letter_skips_batch);
	tcase_add_test (tc, test_queue_cancel_before_and_after_hand_off);
	tcase_add_test (tc, test_queue_cancel_in_batch_is_a_request);
	tcase_add_test (tc, test_queue_cancel_handed_off_email_refused);
	tcase_add_test (tc, test_queue_password_file_others_can_read);
	tcase_add_test (tc, test_queue_interrupted_submission_is_reconciled);
	tcase_add_test (tc, test_queue_requeued_document_dated_when_made);
	tcase_add_test (tc, test_queue_bad_instalments_need_action);
	tcase_add_test (tc, test_queue_stale_pdf_replaced);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
