/*
 * check_feedback.c -- status files dropped into status/new: bounce
 * messages (RFC 3464) matched by VERP address or Message-ID, hard ones
 * escalated to a letter in the next print batch; mailroom batch
 * confirmations; returned-letter scans opening a task; carrier tracking
 * of registered letters; late and duplicate feedback journaled without
 * moving anything, for every kind of row; rows that skip a state (a
 * batch still created, told posted) and other bad files refused whole,
 * with their physical line and a reason on one line.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cycle.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "spool.h"
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
	"40212,Düsseldorf,DE,de,EUR,DE01,,,\n";

static const char invoices_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-1001,C1,2024-01-01,2024-01-31,EUR,100000\n"
	"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n";

static char *directory;
static DsInstance *instance;

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
	ck_assert_msg (ds_instance_create (root, &error), "%s",
		       error ? error->message : "");
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	e = ds_test_write (directory, "entities.csv", entities_csv);
	c = ds_test_write (directory, "customers.csv", customers_csv);
	i = ds_test_write (directory, "invoices.csv", invoices_csv);
	paths[0] = e;
	paths[1] = c;
	paths[2] = i;
	paths[3] = NULL;
	ck_assert_msg (ds_import_files (instance->store, paths,
					instance->config->profiles, NULL,
					&reports, &error), "%s",
		       error ? error->message : "");
}

static void
teardown (void)
{
	ds_instance_free (instance);
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

static char *
trace_of (const char *customer_id)
{
	g_autoptr (GPtrArray) list = ds_document_list_for (instance->store,
							   customer_id,
							   NULL);

	ck_assert_uint_eq (list->len, 1);
	return g_strdup (g_ptr_array_index (list, 0));
}

static GPtrArray *
attempts_of (const char *trace_id)
{
	GPtrArray *attempts = ds_attempt_list_for_trace (instance->store,
							 trace_id, NULL);

	ck_assert (attempts != NULL);
	return attempts;
}

static const char *
attempt_state (GPtrArray *attempts, guint index)
{
	ck_assert_uint_gt (attempts->len, index);
	return ((DsAttempt *) g_ptr_array_index (attempts, index))->state;
}

static gint64
count (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (sqlite3_step (statement) == SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/* Drop TEXT as status/new/NAME the way a writer must, then process. */
static GPtrArray *
drop_status (const char *name, const char *text)
{
	g_autofree char *status = ds_instance_spool_path (instance,
							  "status");
	g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
	g_autoptr (GError) error = NULL;
	GPtrArray *reports = NULL;

	ck_assert_msg (ds_spool_write_file (status, name, bytes, &error),
		       "%s", error ? error->message : "");
	ck_assert_msg (ds_feedback_process_status (instance, &reports,
						   &error), "%s",
		       error ? error->message : "");
	ck_assert_uint_eq (reports->len, 1);
	return reports;
}

static DsFeedbackReport *
only_report (GPtrArray *reports)
{
	return g_ptr_array_index (reports, 0);
}

/*
 * A delivery status notification.  TO: the address it was sent to (the
 * VERP address, or another); MESSAGE_ID: of the returned headers.
 */
static char *
dsn_for (const char *recipient, const char *to, const char *action,
	 const char *status, const char *message_id)
{
	return g_strdup_printf (
		"Return-Path: <>\n"
		"Date: Sat, 3 Feb 2024 10:00:00 +0000\n"
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\n"
		"To: %s\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; "
		"report-type=delivery-status;\n\tboundary=\"B1\"\n"
		"\n"
		"--B1\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n"
		"Your message could not be delivered.\n"
		"\n"
		"--B1\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.example.test\n"
		"\n"
		"Final-Recipient: rfc822; %s\n"
		"Action: %s\n"
		"Status: %s\n"
		"Diagnostic-Code: smtp; 550 %s user unknown\n"
		"\n"
		"--B1\n"
		"Content-Type: text/rfc822-headers\n"
		"\n"
		"From: Nordlicht <forderungen@example.de>\n"
		"To: ap@example.test\n"
		"Message-ID: %s\n"
		"\n"
		"--B1--\n", to, recipient, action, status, status,
		message_id);
}

static char *
dsn (const char *to, const char *action, const char *status,
     const char *message_id)
{
	return dsn_for ("ap@example.test", to, action, status, message_id);
}

static char *
verp (const char *trace_id)
{
	return g_strdup_printf ("bounces+%s@dunspool.invalid", trace_id);
}

static char *
message_id (const char *trace_id)
{
	return g_strdup_printf ("<%s@dunspool.invalid>", trace_id);
}

/*
 * A message to a customer's two addresses: one hard bounce leaves the
 * attempt as it was and is journaled, the other may still have it; the
 * bounce of the second makes it bounced-hard and escalates it.
 */
START_TEST (test_feedback_hard_bounce_of_one_address_of_two)
{
	static const char two_addresses_csv[] =
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n"
		"C1,Weißenfels Maschinenbau GmbH,Björn Köhler,Mühlenweg 70,"
		"28195,Bremen,DE,de,EUR,DE01,"
		"\"ap@example.test; CFO@example.test\",,2020-01-01\n";
	g_autofree char *path = ds_test_write (directory, "two.csv",
					       two_addresses_csv);
	const char *paths[] = { path, NULL };
	g_autoptr (GPtrArray) imported = NULL;
	g_autoptr (GPtrArray) first = NULL, second = NULL;
	g_autoptr (GPtrArray) repeated = NULL;
	g_autoptr (GPtrArray) after = NULL;
	g_autofree char *trace_id = NULL, *to = NULL, *id = NULL;
	g_autofree char *text = NULL, *sql = NULL;

	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &imported, NULL));
	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	to = verp (trace_id);
	id = message_id (trace_id);

	text = dsn_for ("ap@example.test", to, "failed", "5.1.1", id);
	first = drop_status ("bounce-1.eml", text);
	ck_assert_uint_eq (only_report (first)->escalated, 0);
	after = attempts_of (trace_id);
	ck_assert_uint_eq (after->len, 1);
	ck_assert_str_eq (attempt_state (after, 0), "handed-off");
	sql = g_strdup_printf ("SELECT count(*) FROM journal"
			       " WHERE trace_id = '%s'"
			       " AND event = 'bounce-partial'"
			       " AND evidence LIKE 'bounced <ap@example.test>;"
			       " may have it: <cfo@example.test>;%%'",
			       trace_id);
	ck_assert_int_eq (count (sql), 1);

	/* the same news again, in another file: ignored */
	repeated = drop_status ("bounce-1-again.eml", text);
	ck_assert_uint_eq (only_report (repeated)->applied, 0);
	ck_assert_uint_eq (only_report (repeated)->ignored, 1);
	ck_assert_int_eq (count (sql), 1);

	g_free (text);
	text = dsn_for ("cfo@example.test", to, "failed", "5.1.1", id);
	second = drop_status ("bounce-2.eml", text);
	ck_assert_uint_eq (only_report (second)->escalated, 1);
	g_ptr_array_unref (after);
	after = attempts_of (trace_id);
	ck_assert_uint_eq (after->len, 2);
	ck_assert_str_eq (attempt_state (after, 0), "bounced-hard");
	ck_assert_str_eq (attempt_state (after, 1), "queued");
}
END_TEST

START_TEST (test_feedback_hard_bounce_escalates_to_next_batch)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *to = NULL, *id = NULL, *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (GPtrArray) after = NULL;
	DsAttempt *letter;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 1);
	ck_assert_str_eq (attempt_state (attempts, 0), "handed-off");

	to = verp (trace_id);
	id = message_id ("DS0000000000");
	text = dsn (to, "failed", "5.1.1", id);
	reports = drop_status ("bounce-1.eml", text);
	ck_assert_str_eq (only_report (reports)->kind, "bounce");
	ck_assert_uint_eq (only_report (reports)->escalated, 1);
	ck_assert (strstr (only_report (reports)->path, "/archive/"));

	after = attempts_of (trace_id);
	ck_assert_uint_eq (after->len, 2);
	ck_assert_str_eq (attempt_state (after, 0), "bounced-hard");
	ck_assert_str_eq (attempt_state (after, 1), "queued");
	letter = g_ptr_array_index (after, 1);
	ck_assert_int_eq (letter->channel, DS_CHANNEL_LETTER);
	ck_assert_str_eq (letter->driver, "print");

	run_cycle ("2024-02-04");
	g_ptr_array_unref (after);
	after = attempts_of (trace_id);
	letter = g_ptr_array_index (after, 1);
	ck_assert_str_eq (letter->state, "handed-off");
	ck_assert (letter->batch_id != NULL);
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " actor = 'feed:bounce-1.eml' AND"
				 " new_state = 'bounced-hard'"), 1);
}
END_TEST

START_TEST (test_feedback_soft_bounce_by_message_id_then_hard)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *id = NULL, *soft = NULL, *hard = NULL;
	g_autoptr (GPtrArray) first = NULL;
	g_autoptr (GPtrArray) second = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	id = message_id (trace_id);
	/* Sent to a plain address: only the Message-ID tells. */
	soft = dsn ("postmaster@dunspool.invalid", "delayed", "4.2.2", id);
	first = drop_status ("soft.eml", soft);
	ck_assert_uint_eq (only_report (first)->escalated, 0);
	g_clear_pointer (&attempts, g_ptr_array_unref);
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 1);
	ck_assert_str_eq (attempt_state (attempts, 0), "bounced-soft");

	hard = dsn ("postmaster@dunspool.invalid", "failed", "5.2.1", id);
	second = drop_status ("hard.eml", hard);
	ck_assert_uint_eq (only_report (second)->escalated, 1);
	g_clear_pointer (&attempts, g_ptr_array_unref);
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 2);
	ck_assert_str_eq (attempt_state (attempts, 0), "bounced-hard");
}
END_TEST

START_TEST (test_feedback_duplicate_bounce_is_journaled_only)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *to = NULL, *id = NULL, *text = NULL;
	g_autofree char *late = NULL;
	g_autoptr (GPtrArray) first = NULL;
	g_autoptr (GPtrArray) second = NULL;
	g_autoptr (GPtrArray) third = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	to = verp (trace_id);
	id = message_id (trace_id);
	text = dsn (to, "failed", "5.1.1", id);
	first = drop_status ("bounce.eml", text);
	second = drop_status ("bounce.eml", text);
	ck_assert_uint_eq (only_report (second)->applied, 0);
	ck_assert_uint_eq (only_report (second)->ignored, 1);
	ck_assert_uint_eq (only_report (second)->escalated, 0);
	/* A late "delayed" after the hard bounce moves nothing back. */
	late = dsn (to, "delayed", "4.4.1", id);
	third = drop_status ("late.eml", late);
	ck_assert_uint_eq (only_report (third)->ignored, 1);
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 2);
	ck_assert_str_eq (attempt_state (attempts, 0), "bounced-hard");
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " event = 'ignored' AND object_kind ="
				 " 'attempt'"), 2);
}
END_TEST

START_TEST (test_feedback_report_reconciles_unknown_outcome)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *to = NULL, *id = NULL, *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	gint64 attempt_id;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	/* As if the connection had dropped after DATA on a second try. */
	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_EMAIL, "smtp", &attempt_id,
				      NULL));
	ck_assert (ds_attempt_move (instance->store, attempt_id,
				    "submitting", NULL, NULL));
	ck_assert (ds_attempt_move (instance->store, attempt_id,
				    "unknown-outcome", "lost after DATA",
				    NULL));
	to = verp (trace_id);
	id = message_id (trace_id);
	text = dsn (to, "delayed", "4.4.7", id);
	reports = drop_status ("delayed.eml", text);
	ck_assert (!only_report (reports)->refused);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 1), "bounced-soft");
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " old_state = 'unknown-outcome' AND"
				 " new_state = 'handed-off'"), 1);
}
END_TEST

/* Exim and others return the whole message as message/rfc822. */
START_TEST (test_feedback_bounce_with_whole_original)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	text = g_strdup_printf (
		"From: Mail Delivery System <mailer-daemon@mx.example.test>\n"
		"To: postmaster@dunspool.invalid\n"
		"Subject: Mail delivery failed\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; "
		"report-type=delivery-status; boundary=\"X\"\n\n"
		"--X\nContent-Type: text/plain\n\nFailed.\n\n"
		"--X\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.test\n\n"
		"Final-Recipient: rfc822;ap@example.test\n"
		"Action: failed\nStatus: 5.7.1\n\n"
		"--X\nContent-Type: message/rfc822\n\n"
		"From: forderungen@example.de\nTo: ap@example.test\n"
		"Subject: Zahlungserinnerung\n"
		"Message-ID: <%s@dunspool.invalid>\n\nText.\n\n"
		"--X--\n", trace_id);
	reports = drop_status ("exim.eml", text);
	ck_assert_msg (!only_report (reports)->refused, "%s",
		       only_report (reports)->refusal);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "bounced-hard");
}
END_TEST

START_TEST (test_feedback_delivery_report_marks_delivered)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *to = NULL, *id = NULL, *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	to = verp (trace_id);
	id = message_id (trace_id);
	text = dsn (to, "delivered", "2.0.0", id);
	reports = drop_status ("delivered.eml", text);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "delivered");
}
END_TEST

/*
 * Files that are not what they claim go to corrupt/ with a reason and
 * the line it is about (0: the whole file).
 */
static const struct {
	const char *name;
	const char *text;
	const char *reason;
	int line;
} refused_files[] = {
	{ "plain.eml", "From: a@example.test\nTo: b@example.test\n"
	  "Subject: hello\n\nno report here\n", "delivery-status", 0 },
	{ "header.csv", "who,what\nx,y\n", "header needs state", 1 },
	{ "scan.txt", "DS0000000000\n", "no letter to it", 1 },
	{ "bad-state.csv", "trace_id,state\nDS0000000000,lost\n",
	  "line 2", 2 },
	{ "bad-code.eml", "From: m@example.test\nTo: bounces+DS0000000000"
	  "@dunspool.invalid\nMIME-Version: 1.0\nContent-Type: "
	  "multipart/report; boundary=\"Z\"\n\n--Z\nContent-Type: "
	  "message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Action: failed\nStatus: 9.9.9\n\n--Z--\n", "RFC 3463", 0 },
};

START_TEST (test_feedback_refuses_bad_files_with_reason)
{
	g_autoptr (GPtrArray) reports = drop_status (refused_files[_i].name,
						     refused_files[_i].text);
	DsFeedbackReport *report = only_report (reports);
	g_autofree char *reason_path = g_strdup_printf ("%s.reason",
							report->path);
	g_autofree char *reason = NULL;
	g_autofree char *line = g_strdup_printf ("\nline: %d\n",
						 refused_files[_i].line);

	ck_assert (report->refused);
	ck_assert_msg (strstr (report->refusal, refused_files[_i].reason),
		       "%s", report->refusal);
	ck_assert_int_eq (report->refusal_line, refused_files[_i].line);
	ck_assert (strstr (report->path, "/corrupt/") != NULL);
	ck_assert (g_file_get_contents (reason_path, &reason, NULL, NULL));
	ck_assert (strstr (reason, refused_files[_i].reason) != NULL);
	ck_assert_msg (strstr (reason, line) != NULL, "%s", reason);
}
END_TEST

START_TEST (test_feedback_symlink_refused)
{
	g_autofree char *status = ds_instance_spool_path (instance,
							  "status/new");
	g_autofree char *target = ds_test_write (directory, "target.csv",
						 "batch_id,state\n");
	g_autofree char *link = g_build_filename (status, "link.csv", NULL);
	g_autoptr (GPtrArray) reports = NULL;

	ck_assert (symlink (target, link) == 0);
	ck_assert (ds_feedback_process_status (instance, &reports, NULL));
	ck_assert_uint_eq (reports->len, 1);
	ck_assert (only_report (reports)->refused);
	ck_assert (strstr (only_report (reports)->refusal, "symbolic link"));
}
END_TEST

static DsBatch *
first_batch (void)
{
	g_autoptr (GPtrArray) batches = ds_batch_list (instance, NULL);

	ck_assert_uint_ge (batches->len, 1);
	return g_ptr_array_steal_index (batches, 0);
}

START_TEST (test_feedback_mailroom_confirms_batch)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;
	g_autoptr (DsBatch) batch = NULL;
	g_autoptr (GPtrArray) first = NULL;
	g_autoptr (GPtrArray) again = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C2");
	batch = first_batch ();
	text = g_strdup_printf ("batch_id;state\n%s;printed\n%s;posted\n",
				batch->batch_id, batch->batch_id);
	first = drop_status ("mailroom.csv", text);
	ck_assert_str_eq (only_report (first)->kind, "mailroom");
	ck_assert_uint_eq (only_report (first)->applied, 2);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "posted");
	again = drop_status ("mailroom-again.csv", text);
	ck_assert_uint_eq (only_report (again)->ignored, 2);
	ck_assert (!only_report (again)->refused);
}
END_TEST

static void
post_first_batch (void)
{
	g_autoptr (DsBatch) batch = first_batch ();

	ck_assert (ds_batch_mark (instance, batch->batch_id, "printed",
				  NULL));
	ck_assert (ds_batch_mark (instance, batch->batch_id, "posted",
				  NULL));
}

START_TEST (test_feedback_returned_scan_opens_task_once)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *scan = NULL;
	g_autoptr (GPtrArray) first = NULL;
	g_autoptr (GPtrArray) again = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (GPtrArray) tasks = NULL;

	run_cycle ("2024-02-03");
	post_first_batch ();
	trace_id = trace_of ("C2");
	scan = g_strdup_printf ("%s\r\n", trace_id);
	first = drop_status ("scan-1.txt", scan);
	ck_assert_str_eq (only_report (first)->kind, "scan");
	ck_assert_uint_eq (only_report (first)->tasks, 1);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "returned");
	again = drop_status ("scan-2.txt", scan);
	ck_assert_uint_eq (only_report (again)->ignored, 1);
	tasks = ds_feedback_open_tasks (instance, NULL);
	ck_assert_uint_eq (tasks->len, 1);
	ck_assert (strstr (tasks->pdata[0], trace_id) != NULL);
	ck_assert (strstr (tasks->pdata[0], "research-address") != NULL);
}
END_TEST

START_TEST (test_feedback_carrier_tracks_registered_letter)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *notice = NULL;
	g_autoptr (GPtrArray) first = NULL;
	g_autoptr (GPtrArray) second = NULL;
	g_autoptr (GPtrArray) third = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	gint64 attempt_id;
	DsDate day;

	run_cycle ("2024-02-03");
	post_first_batch ();
	trace_id = trace_of ("C2");
	/* The same document again, as a registered letter. */
	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_REGISTERED, "print",
				      &attempt_id, NULL));
	ck_assert (ds_date_parse_iso ("2024-02-05", &day, NULL));
	ck_assert (ds_batch_build (instance, day, &(gint64) { 0 }, NULL));
	{
		g_autoptr (GPtrArray) batches = ds_batch_list (instance,
							       NULL);
		DsBatch *newest = g_ptr_array_index (batches, 0);

		ck_assert (ds_batch_mark (instance, newest->batch_id,
					  "printed", NULL));
		ck_assert (ds_batch_mark (instance, newest->batch_id,
					  "posted", NULL));
	}
	notice = g_strdup_printf ("trace_id,tracking_number,state\n"
				  "%s,RR123456785DE,notice-left\n", trace_id);
	first = drop_status ("carrier-1.csv", notice);
	ck_assert_uint_eq (only_report (first)->applied, 1);
	second = drop_status ("carrier-2.csv", "tracking_number,status\n"
			      "RR123456785DE,unclaimed\n");
	ck_assert_uint_eq (only_report (second)->applied, 1);
	third = drop_status ("carrier-3.csv", "tracking_number,status\n"
			     "RR123456785DE,returned\n");
	ck_assert_uint_eq (only_report (third)->tasks, 1);
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 2);
	ck_assert_str_eq (attempt_state (attempts, 0), "posted");
	ck_assert_str_eq (attempt_state (attempts, 1), "returned");
}
END_TEST

START_TEST (test_feedback_illegal_move_refuses_whole_file)
{
	g_autofree char *c1 = NULL, *c2 = NULL, *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	gint64 journal;

	run_cycle ("2024-02-03");
	post_first_batch ();
	c2 = trace_of ("C2");
	c1 = trace_of ("C1");
	journal = count ("SELECT count(*) FROM journal");
	/* Line 2 is fine, line 3 names a document without a letter. */
	text = g_strdup_printf ("trace_id,state\n%s,delivered-assumed\n"
				"%s,signed\n", c2, c1);
	reports = drop_status ("mixed.csv", text);
	ck_assert (only_report (reports)->refused);
	ck_assert (strstr (only_report (reports)->refusal, "line 3"));
	attempts = attempts_of (c2);
	ck_assert_str_eq (attempt_state (attempts, 0), "posted");
	ck_assert_int_eq (count ("SELECT count(*) FROM journal"), journal);
}
END_TEST

START_TEST (test_feedback_signed_before_posted_refused)
{
	g_autofree char *c2 = NULL, *text = NULL;
	g_autoptr (GPtrArray) reports = NULL;

	run_cycle ("2024-02-03");
	c2 = trace_of ("C2");
	text = g_strdup_printf ("trace_id,state\n%s,signed\n", c2);
	reports = drop_status ("early.csv", text);
	ck_assert (only_report (reports)->refused);
	ck_assert (strstr (only_report (reports)->refusal, "not allowed"));
}
END_TEST

/*
 * A batch still "created" cannot be posted: the mailroom skipped a
 * step, or named the wrong batch.  The whole file is refused with the
 * line and the step it skips, and nothing moves.
 */
START_TEST (test_feedback_batch_posted_while_created_refused)
{
	g_autoptr (DsBatch) batch = NULL;
	g_autoptr (DsBatch) after = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autofree char *text = NULL;
	g_autofree char *reason_path = NULL, *reason = NULL;
	DsFeedbackReport *report;
	gint64 journal;

	run_cycle ("2024-02-03");
	batch = first_batch ();
	ck_assert_str_eq (batch->state, "created");
	journal = count ("SELECT count(*) FROM journal");
	text = g_strdup_printf ("batch_id,state\n%s,posted\n",
				batch->batch_id);
	reports = drop_status ("b1.csv", text);
	report = only_report (reports);
	ck_assert (report->refused);
	ck_assert_int_eq (report->refusal_line, 2);
	ck_assert_msg (strstr (report->refusal, "created -> posted is not "
			       "allowed: it skips printed"), "%s",
		       report->refusal);
	ck_assert (strstr (report->path, "/corrupt/") != NULL);
	reason_path = g_strdup_printf ("%s.reason", report->path);
	ck_assert (g_file_get_contents (reason_path, &reason, NULL, NULL));
	ck_assert_msg (strstr (reason, "\nline: 2\n"), "%s", reason);
	ck_assert (strstr (reason, batch->batch_id) != NULL);
	after = first_batch ();
	ck_assert_str_eq (after->state, "created");
	ck_assert_int_eq (count ("SELECT count(*) FROM journal"), journal);
}
END_TEST

/* Told twice in one file: the second time is journaled only. */
START_TEST (test_feedback_batch_confirmed_twice_in_one_file)
{
	g_autoptr (DsBatch) batch = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autofree char *text = NULL;

	run_cycle ("2024-02-03");
	batch = first_batch ();
	text = g_strdup_printf ("batch_id,state\n%s,printed\n%s,printed\n"
				"%s,posted\n%s,printed\n", batch->batch_id,
				batch->batch_id, batch->batch_id,
				batch->batch_id);
	reports = drop_status ("twice.csv", text);
	ck_assert (!only_report (reports)->refused);
	ck_assert_uint_eq (only_report (reports)->applied, 2);
	ck_assert_uint_eq (only_report (reports)->ignored, 2);
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " object_kind = 'batch' AND"
				 " event = 'ignored' AND"
				 " evidence LIKE 'mailroom state=printed"
				 " file=twice.csv %'"), 2);
}
END_TEST

/*
 * The mailroom reported the letter posted on its own before it
 * confirmed the batch: the batch still moves, the letter, already past
 * printed, keeps its state.
 */
START_TEST (test_feedback_batch_confirmed_after_its_letter)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *letter = NULL, *text = NULL;
	g_autoptr (DsBatch) batch = NULL;
	g_autoptr (DsBatch) after = NULL;
	g_autoptr (GPtrArray) first = NULL, second = NULL;
	g_autoptr (GPtrArray) attempts = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C2");
	batch = first_batch ();
	letter = g_strdup_printf ("trace_id,state\n%s,printed\n%s,posted\n",
				  trace_id, trace_id);
	first = drop_status ("letter.csv", letter);
	ck_assert_uint_eq (only_report (first)->applied, 2);
	text = g_strdup_printf ("batch_id,state\n%s,printed\n%s,posted\n",
				batch->batch_id, batch->batch_id);
	second = drop_status ("batch.csv", text);
	ck_assert_msg (!only_report (second)->refused, "%s",
		       only_report (second)->refusal);
	ck_assert_uint_eq (only_report (second)->applied, 2);
	after = first_batch ();
	ck_assert_str_eq (after->state, "posted");
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "posted");
	ck_assert_int_eq (count ("SELECT count(*) FROM journal WHERE"
				 " object_kind = 'attempt' AND"
				 " event = 'ignored' AND old_state = 'posted'"
				 " AND evidence LIKE 'batch % printed'"), 1);
}
END_TEST

/*
 * Every kind of letter row draws the same line: news a letter is past
 * is journaled as ignored (a trace id row, a carrier's row); a row that
 * skips a state refuses the file (a carrier's row, a returned scan).
 */
START_TEST (test_feedback_letter_rows_late_or_skipping)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *printed = NULL, *notice = NULL, *scan = NULL;
	g_autoptr (GPtrArray) late = NULL, left = NULL, posted = NULL;
	g_autoptr (GPtrArray) signed_early = NULL, returned = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	gint64 attempt_id;
	DsDate day;

	run_cycle ("2024-02-03");
	post_first_batch ();
	trace_id = trace_of ("C2");

	/* Posted; the mailroom's "printed" comes late. */
	printed = g_strdup_printf ("trace_id,state\n%s,printed\n",
				   trace_id);
	late = drop_status ("late.csv", printed);
	ck_assert_msg (!only_report (late)->refused, "%s",
		       only_report (late)->refusal);
	ck_assert_uint_eq (only_report (late)->ignored, 1);

	/* The same document as a registered letter, printed only. */
	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_REGISTERED, "print",
				      &attempt_id, NULL));
	ck_assert (ds_date_parse_iso ("2024-02-05", &day, NULL));
	ck_assert (ds_batch_build (instance, day, &(gint64) { 0 }, NULL));
	{
		g_autoptr (GPtrArray) batches = ds_batch_list (instance,
							       NULL);
		DsBatch *newest = g_ptr_array_index (batches, 0);

		ck_assert (ds_batch_mark (instance, newest->batch_id,
					  "printed", NULL));
	}
	notice = g_strdup_printf ("trace_id,tracking_number,state\n"
				  "%s,RR123456785DE,notice-left\n", trace_id);
	signed_early = drop_status ("carrier-0.csv", notice);
	ck_assert (only_report (signed_early)->refused);
	ck_assert_msg (strstr (only_report (signed_early)->refusal,
			       "printed -> notice-left is not allowed: it "
			       "skips posted"), "%s",
		       only_report (signed_early)->refusal);

	/* Posted: the carrier's notice comes, then its "posted", late. */
	ck_assert (ds_attempt_move (instance->store, attempt_id, "posted",
				    NULL, NULL));
	left = drop_status ("carrier-1.csv", notice);
	ck_assert_uint_eq (only_report (left)->applied, 1);
	posted = drop_status ("carrier-2.csv", "tracking_number,status\n"
			      "RR123456785DE,posted\n");
	ck_assert_msg (!only_report (posted)->refused, "%s",
		       only_report (posted)->refusal);
	ck_assert_uint_eq (only_report (posted)->ignored, 1);

	/* A notice left, then returned: it was never reported unclaimed. */
	scan = g_strdup_printf ("%s\n", trace_id);
	returned = drop_status ("scan.txt", scan);
	ck_assert (only_report (returned)->refused);
	ck_assert_int_eq (only_report (returned)->refusal_line, 1);
	ck_assert_msg (strstr (only_report (returned)->refusal,
			       "notice-left -> returned is not allowed: it "
			       "skips unclaimed"), "%s",
		       only_report (returned)->refusal);
	attempts = attempts_of (trace_id);
	ck_assert_str_eq (attempt_state (attempts, 0), "posted");
	ck_assert_str_eq (attempt_state (attempts, 1), "notice-left");
}
END_TEST

/*
 * A quoted field may hold line breaks: the rows after it are still told
 * by their physical line, and a value quoted in the reason is escaped,
 * so that the refusal and its NAME.reason stay one line each.
 */
START_TEST (test_feedback_refusal_on_one_line_with_its_line)
{
	g_autofree char *trace_id = NULL, *text = NULL;
	g_autofree char *reason_path = NULL, *reason = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	DsFeedbackReport *report;
	guint lines = 0;

	run_cycle ("2024-02-03");
	post_first_batch ();
	trace_id = trace_of ("C2");
	text = g_strdup_printf ("trace_id,state,note\n"
				"%s,delivered-assumed,\"first\nsecond\"\n"
				"%s,\"lo\r\nst\",x\n", trace_id, trace_id);
	reports = drop_status ("multi.csv", text);
	report = only_report (reports);
	ck_assert (report->refused);
	ck_assert_int_eq (report->refusal_line, 4);
	ck_assert_msg (strstr (report->refusal, "line 4: state \"lo\\r\\nst\" "
			       "is not one a letter can report"), "%s",
		       report->refusal);
	ck_assert (strpbrk (report->refusal, "\r\n") == NULL);
	reason_path = g_strdup_printf ("%s.reason", report->path);
	ck_assert (g_file_get_contents (reason_path, &reason, NULL, NULL));
	for (const char *p = reason; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_msg (lines == 4 && strchr (reason, '\r') == NULL, "%s",
		       reason);
	ck_assert (strstr (reason, "\nline: 4\n") != NULL);
}
END_TEST

START_TEST (test_feedback_maildir_bounces)
{
	g_autofree char *trace_id = NULL;
	g_autofree char *to = NULL, *id = NULL, *bounce = NULL;
	g_autofree char *maildir = g_build_filename (directory, "Maildir",
						     NULL);
	g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
	g_autofree char *cur_dir = g_build_filename (maildir, "cur", NULL);
	g_autofree char *seen = NULL, *flagged = NULL;
	g_autofree char *a = NULL, *b = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (GError) error = NULL;

	run_cycle ("2024-02-03");
	trace_id = trace_of ("C1");
	to = verp (trace_id);
	id = message_id (trace_id);
	bounce = dsn (to, "failed", "5.1.1", id);
	ck_assert (g_mkdir_with_parents (new_dir, 0700) == 0);
	ck_assert (g_mkdir_with_parents (cur_dir, 0700) == 0);
	a = ds_test_write (new_dir, "1707000000.1.host", bounce);
	b = ds_test_write (new_dir, "1707000001.2.host",
			   "From: ap@example.test\nTo: bounces@x\n"
			   "Subject: Out of office\n\nBack Monday.\n");
	ck_assert_msg (ds_feedback_process_maildir (instance, maildir,
						    &reports, &error), "%s",
		       error ? error->message : "");
	ck_assert_uint_eq (reports->len, 2);
	ck_assert (!only_report (reports)->refused);
	ck_assert (((DsFeedbackReport *) reports->pdata[1])->refused);
	seen = g_build_filename (cur_dir, "1707000000.1.host:2,S", NULL);
	flagged = g_build_filename (cur_dir, "1707000001.2.host:2,F", NULL);
	ck_assert (g_file_test (seen, G_FILE_TEST_IS_REGULAR));
	ck_assert (g_file_test (flagged, G_FILE_TEST_IS_REGULAR));
	ck_assert (!g_file_test (a, G_FILE_TEST_EXISTS));
	attempts = attempts_of (trace_id);
	ck_assert_uint_eq (attempts->len, 2);
	ck_assert_str_eq (attempt_state (attempts, 0), "bounced-hard");
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("feedback");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_feedback_hard_bounce_escalates_to_next_batch);
	tcase_add_test (tc, test_feedback_hard_bounce_of_one_address_of_two);
	tcase_add_test (tc, test_feedback_soft_bounce_by_message_id_then_hard);
	tcase_add_test (tc, test_feedback_duplicate_bounce_is_journaled_only);
	tcase_add_test (tc, test_feedback_delivery_report_marks_delivered);
	tcase_add_test (tc, test_feedback_bounce_with_whole_original);
	tcase_add_test (tc, test_feedback_report_reconciles_unknown_outcome);
	tcase_add_loop_test (tc, test_feedback_refuses_bad_files_with_reason,
			     0, G_N_ELEMENTS (refused_files));
	tcase_add_test (tc, test_feedback_symlink_refused);
	tcase_add_test (tc, test_feedback_mailroom_confirms_batch);
	tcase_add_test (tc, test_feedback_returned_scan_opens_task_once);
	tcase_add_test (tc, test_feedback_carrier_tracks_registered_letter);
	tcase_add_test (tc, test_feedback_illegal_move_refuses_whole_file);
	tcase_add_test (tc, test_feedback_signed_before_posted_refused);
	tcase_add_test (tc, test_feedback_batch_posted_while_created_refused);
	tcase_add_test (tc, test_feedback_batch_confirmed_twice_in_one_file);
	tcase_add_test (tc, test_feedback_batch_confirmed_after_its_letter);
	tcase_add_test (tc, test_feedback_letter_rows_late_or_skipping);
	tcase_add_test (tc, test_feedback_refusal_on_one_line_with_its_line);
	tcase_add_test (tc, test_feedback_maildir_bounces);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
