/*
 * check_planner.c -- which documents are due on a date: step timing,
 * gaps and deadlines, one step per cycle, disputes, channels, grouping
 * and idempotency; instalments each with their own steps; call steps as
 * collectors' tasks.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "ledger.h"
#include "planner.h"
#include "store.h"
#include "testutil.h"

static char *directory;
static DsStore *store;
static DsConfig *config;

/* Steps as in cases 7 and 8: a pre-due reminder, then notices. */
static const char strategy_text[] =
	"[strategy]\nname = test\nsteps = before;reminder;first;final\n"
	"[step before]\noffset = -5\nchannels = email;letter\ndeadline = 0\n"
	"[step reminder]\noffset = 3\nchannels = email;letter\n"
	"deadline = 0\n"
	"[step first]\noffset = 14\ngap = 10\nchannels = fax;letter\n"
	"deadline = 14\n"
	"[step final]\noffset = 28\ngap = 7\nchannels = registered\n"
	"deadline = 7\n";

static DsDate
day (const char *iso)
{
	DsDate date;

	ck_assert (ds_date_parse_iso (iso, &date, NULL));
	return date;
}

/* A call between two letters; the final step runs from the call. */
static const char call_strategy_text[] =
	"[strategy]\nname = calls\nsteps = reminder;call;final\n"
	"[step reminder]\noffset = 3\nchannels = letter\ndeadline = 0\n"
	"[step call]\noffset = 5\nrelative_to = previous\n"
	"channels = call;letter\ndeadline = 10\n"
	"[step final]\noffset = 7\nrelative_to = previous\n"
	"channels = letter\ndeadline = 0\n";

/* A call first, with no other channel. */
static const char call_first_text[] =
	"[strategy]\nname = ring\nsteps = call;letter\n"
	"[step call]\noffset = 3\nchannels = call\ndeadline = 0\n"
	"[step letter]\noffset = 3\nrelative_to = previous\n"
	"channels = letter\ndeadline = 0\n";

static void
put_customer_with_phone (const char *id, const char *email,
			 const char *fax, const char *paperless_since,
			 const char *phone)
{
	DsCustomer customer = {
		.customer_id = (char *) id, .name = "Kunde GmbH",
		.contact = "Frau Muster", .street = "Weg 1",
		.postal_code = "50667", .city = "Köln", .country = "DE",
		.language = "de", .currency = "EUR", .entity_id = "DE01",
		.email = (char *) email, .fax = (char *) fax, .b2b = TRUE,
		.phone = (char *) phone, .collector = "anna",
	};
	DsLedgerOutcome outcome;

	if (paperless_since != NULL)
		customer.paperless_since = day (paperless_since);
	ck_assert (ds_ledger_put_customer (store, &customer, &outcome,
					   NULL));
}

static void
put_customer (const char *id, const char *email, const char *fax,
	      const char *paperless_since)
{
	put_customer_with_phone (id, email, fax, paperless_since, NULL);
}

static void
put_invoice (const char *id, const char *customer, const char *issued,
	     const char *due, gint64 amount)
{
	DsInvoice invoice = {
		.invoice_id = (char *) id, .customer_id = (char *) customer,
		.issue_date = day (issued), .due_date = day (due),
		.currency = "EUR", .amount = amount,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_invoice (store, &invoice, &outcome, NULL));
}

/*
 * The default file with `strategy` in place of its own, and the limit
 * line `limit` (such as "touches = 0") replaced by `value`.
 */
static void
load_config (const char *strategy, const char *limit, const char *value)
{
	g_autofree char *conf = NULL;
	g_autofree char *text = NULL;
	g_autofree char *whole = NULL;
	g_autoptr (GError) error = NULL;
	char *line;

	text = g_strdup (ds_config_default_text ());
	*strstr (text, "[strategy]") = '\0';
	whole = g_strconcat (text, strategy, NULL);
	if (limit != NULL) {
		line = strstr (whole, limit);
		ck_assert (line != NULL && strlen (value) == strlen (limit));
		memcpy (line, value, strlen (value));
	}
	conf = ds_test_write (directory, "dunspool.conf", whole);
	ds_config_free (config);
	config = ds_config_load (directory, conf, &error);
	ck_assert_msg (config != NULL, "%s", error ? error->message : "");
}

/* The entity and customers C1 and C2 into `store`. */
static void
put_parties (void)
{
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE",
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_entity (store, &entity, &outcome, NULL));
	put_customer ("C1", "ap@example.com", "+49 30 1", "2012-01-01");
	put_customer ("C2", NULL, NULL, NULL);
}

static void
setup (void)
{
	g_autofree char *db = NULL;

	directory = ds_test_tmpdir ();
	db = g_build_filename (directory, "db.sqlite", NULL);
	store = ds_store_open (db, NULL);
	config = NULL;
	load_config (strategy_text, NULL, NULL);
	put_parties ();
}

static void
teardown (void)
{
	ds_config_free (config);
	ds_store_close (store);
	ds_test_rmtree (directory);
	g_free (directory);
}

static DsPlan *
plan_on (const char *iso)
{
	g_autoptr (GError) error = NULL;
	DsPlan *plan = ds_planner_plan (store, config, day (iso), &error);

	ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
	return plan;
}

/* Plan and store, as the cycle does; returns the number planned. */
static guint
take (const char *iso)
{
	g_autoptr (DsPlan) plan = plan_on (iso);

	for (guint i = 0; i < plan->documents->len; i++) {
		g_autoptr (GError) error = NULL;

		ck_assert_msg (ds_planner_store_document (store,
			g_ptr_array_index (plan->documents, i), NULL,
			&error), "%s", error ? error->message : "");
	}
	return plan->documents->len;
}

static DsDocument *
only_document (DsPlan *plan)
{
	ck_assert_uint_eq (plan->documents->len, 1);
	return g_ptr_array_index (plan->documents, 0);
}

START_TEST (test_planner_pre_due_reminder_case_7)
{
	g_autoptr (DsPlan) early = NULL;
	g_autoptr (DsPlan) on_time = NULL;

	put_invoice ("I1", "C1", "2024-05-21", "2024-06-20", 10000);
	early = plan_on ("2024-06-14");
	ck_assert_uint_eq (early->documents->len, 0);
	on_time = plan_on ("2024-06-15");
	ck_assert_str_eq (only_document (on_time)->step, "before");
	ck_assert_int_eq (only_document (on_time)->channel,
			  DS_CHANNEL_EMAIL);
}
END_TEST

START_TEST (test_planner_pre_due_never_after_due_date)
{
	g_autoptr (DsPlan) late = NULL;

	/* first seen after its due date: the pre-due step is passed by */
	put_invoice ("I1", "C1", "2024-05-21", "2024-06-20", 10000);
	late = plan_on ("2024-06-21");
	ck_assert_uint_eq (late->documents->len, 0);
	ck_assert_uint_eq (take ("2024-06-23"), 1);
	{
		DsStepTaken taken;

		ck_assert (ds_document_last_step (store, "I1", 0, "test",
						  &taken, NULL));
		ck_assert_int_eq (taken.step_index, 1);
		g_free (taken.trace_id);
	}
}
END_TEST

START_TEST (test_planner_one_step_per_cycle)
{
	/* 90 days overdue on arrival: the reminder first, nothing more */
	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-04-30"), 1);
	ck_assert_uint_eq (take ("2024-04-30"), 0);
	/* the next step only after its gap from the document sent */
	ck_assert_uint_eq (take ("2024-05-09"), 0);
	ck_assert_uint_eq (take ("2024-05-10"), 1);
}
END_TEST

START_TEST (test_planner_deadline_case_8)
{
	g_autoptr (DsPlan) first = NULL;
	g_autofree char *deadline = NULL;

	put_invoice ("I1", "C2", "2023-12-01", "2023-12-22", 5000);
	ck_assert_uint_eq (take ("2023-12-25"), 1);	/* reminder */
	first = plan_on ("2024-01-15");
	deadline = ds_date_to_iso (only_document (first)->deadline);
	ck_assert_str_eq (deadline, "2024-01-29");
	ck_assert (ds_document_insert (store, only_document (first), NULL,
				       NULL));
	/* final: offset and gap passed long ago, but not the deadline */
	ck_assert_uint_eq (take ("2024-01-29"), 0);
	ck_assert_uint_eq (take ("2024-01-30"), 1);
}
END_TEST

START_TEST (test_planner_disputed_never_chased)
{
	g_autoptr (DsPlan) plan = NULL;
	DsLedgerOutcome outcome;

	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert (ds_ledger_put_dispute (store, "I1", day ("2024-01-01"),
					  DS_DATE_NONE, "quality", &outcome,
					  NULL));
	plan = plan_on ("2024-03-01");
	ck_assert_uint_eq (plan->documents->len, 0);
	ck_assert_int_eq (plan->disputed, 1);
}
END_TEST

START_TEST (test_planner_channels)
{
	g_autoptr (DsPlan) plan = NULL;

	/* C1: e-mail and fax; C2: neither, paper only */
	put_invoice ("I1", "C1", "2024-01-01", "2024-01-31", 5000);
	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-02-03"), 2);
	plan = plan_on ("2024-02-14");
	ck_assert_uint_eq (plan->documents->len, 2);
	for (guint i = 0; i < 2; i++) {
		DsDocument *document = g_ptr_array_index (plan->documents,
							  i);

		ck_assert_int_eq (document->channel,
				  g_str_equal (document->customer_id, "C1") ?
				  DS_CHANNEL_FAX : DS_CHANNEL_LETTER);
	}
}
END_TEST

START_TEST (test_planner_one_document_per_customer_and_step)
{
	g_autoptr (DsPlan) plan = NULL;
	DsDocument *document;

	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	put_invoice ("I2", "C2", "2024-01-02", "2024-01-31", 7000);
	put_invoice ("I3", "C2", "2024-01-20", "2024-02-19", 9000);
	plan = plan_on ("2024-02-05");
	document = only_document (plan);
	ck_assert_uint_eq (document->items->len, 2);
	ck_assert_int_eq (document->total, 12000);
	ck_assert_str_eq (document->step, "reminder");
}
END_TEST

START_TEST (test_planner_paid_invoice_not_chased)
{
	g_autoptr (DsPlan) plan = NULL;
	DsLedgerOutcome outcome;

	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert (ds_ledger_put_payment (store, "P1", "C2",
					  day ("2024-02-02"), "EUR", 5000,
					  "I1", &outcome, NULL));
	plan = plan_on ("2024-02-05");
	ck_assert_uint_eq (plan->documents->len, 0);
}
END_TEST

START_TEST (test_planner_idempotency_key_ignores_run_date)
{
	g_autoptr (DsPlan) first = NULL;
	g_autoptr (DsPlan) again = NULL;

	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	first = plan_on ("2024-02-05");
	again = plan_on ("2024-02-07");
	ck_assert_str_eq (only_document (first)->idempotency_key,
			  only_document (again)->idempotency_key);
	ck_assert_str_eq (only_document (first)->trace_id,
			  only_document (again)->trace_id);
	ck_assert_uint_eq (strlen (only_document (first)->trace_id), 12);
}
END_TEST

/* ---- trace ids: one instance, one id per key ---------------------------- */

static gint64
count_rows (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);

	ck_assert (statement != NULL);
	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/* Open DIRECTORY/NAME as `store` (closing the one open). */
static void
reopen_store (const char *name)
{
	g_autofree char *db = g_build_filename (directory, name, NULL);
	g_autoptr (GError) error = NULL;

	ds_store_close (store);
	store = ds_store_open (db, &error);
	ck_assert_msg (store != NULL, "%s", error ? error->message : "");
}

/* The trace id of the one document planned on the date. */
static char *
planned_trace_id (const char *iso)
{
	g_autoptr (DsPlan) plan = plan_on (iso);

	ck_assert_str_eq (only_document (plan)->idempotency_key,
			  "test/reminder/C2:I2");
	return g_strdup (only_document (plan)->trace_id);
}

static gboolean
is_trace_id (const char *id)
{
	return strlen (id) == DS_TRACE_ID_LEN - 1 &&
	       g_str_has_prefix (id, "DS") &&
	       strspn (id + 2, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == 10;
}

/*
 * Two instances made apart, dunning the same ledger, give the same
 * document the same key and different trace ids (so their VERP
 * addresses and Message-IDs differ); one instance gives it the same id
 * every time, also after it was closed and opened again, and once the
 * document is stored it plans nothing more for the step.
 */
START_TEST (test_planner_trace_ids_differ_between_instances)
{
	g_autofree char *id = NULL;
	g_autofree char *again = NULL;
	g_autofree char *reopened = NULL;
	g_autofree char *other = NULL;
	g_autofree char *first_key = NULL;

	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	id = planned_trace_id ("2024-02-03");
	ck_assert_msg (is_trace_id (id), "%s", id);
	again = planned_trace_id ("2024-02-05");
	ck_assert_str_eq (again, id);
	first_key = g_strdup (ds_store_instance_key (store));
	reopen_store ("db.sqlite");
	ck_assert_str_eq (ds_store_instance_key (store), first_key);
	reopened = planned_trace_id ("2024-02-03");
	ck_assert_str_eq (reopened, id);

	reopen_store ("other.sqlite");
	ck_assert_str_ne (ds_store_instance_key (store), first_key);
	put_parties ();
	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	other = planned_trace_id ("2024-02-03");
	ck_assert_msg (is_trace_id (other), "%s", other);
	ck_assert_str_ne (other, id);

	reopen_store ("db.sqlite");
	ck_assert_uint_eq (take ("2024-02-03"), 1);
	ck_assert_uint_eq (take ("2024-02-03"), 0);
	ck_assert_uint_eq (take ("2024-02-05"), 0);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM documents"), 1);
	ck_assert_int_eq (count_rows (
		"SELECT count(*) FROM documents WHERE trace_id = (SELECT"
		" trace_id FROM invoice_steps WHERE invoice_id = 'I2')"), 1);
}
END_TEST

/*
 * The derivation, against an independent computation: under the key
 * "0123456789abcdef" four times, "test/reminder/C2:I2" gives
 * DSB707A7Z26P, the first 50 bits of HMAC-SHA-256 in Crockford base32
 * (Python: hmac.new (key, message, hashlib.sha256)).
 */
START_TEST (test_planner_trace_id_is_keyed_hash)
{
	g_autofree char *id = NULL;

	ck_assert (ds_store_exec (store, "UPDATE instance SET instance_key ="
				  " '0123456789abcdef0123456789abcdef"
				  "0123456789abcdef0123456789abcdef'", NULL));
	reopen_store ("db.sqlite");
	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	id = planned_trace_id ("2024-02-03");
	ck_assert_str_eq (id, "DSB707A7Z26P");
}
END_TEST

/*
 * An instance from before the instance key: its documents were stored
 * under ids of their key alone (DSMSX8QCMN76: the first 50 bits of
 * SHA-256 of "test/reminder/C2:I2").  Opened, it gains a key; the
 * document keeps its id, the date run again makes nothing, and the next
 * step has an id under the new key.
 */
START_TEST (test_planner_instance_key_migrated)
{
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (DsDocument) stored = NULL;
	g_autoptr (DsPlan) next = NULL;
	g_autofree char *old_key = NULL;
	int version = ds_store_schema_version (store);

	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	plan = plan_on ("2024-02-03");
	g_free (only_document (plan)->trace_id);
	only_document (plan)->trace_id = g_strdup ("DSMSX8QCMN76");
	ck_assert (ds_planner_store_document (store, only_document (plan),
					      NULL, NULL));
	old_key = g_strdup (ds_store_instance_key (store));
	ck_assert (ds_store_exec (store, DS_TEST_UNDO_AFTER_10
				  "DROP TABLE instance;"
				  "PRAGMA user_version = 9;", NULL));
	reopen_store ("db.sqlite");
	ck_assert_int_eq (ds_store_schema_version (store), version);
	ck_assert_uint_eq (strlen (ds_store_instance_key (store)), 64);
	ck_assert_str_ne (ds_store_instance_key (store), old_key);

	stored = ds_document_get (store, "DSMSX8QCMN76", NULL);
	ck_assert (stored != NULL);
	ck_assert_str_eq (stored->idempotency_key, "test/reminder/C2:I2");
	ck_assert_uint_eq (take ("2024-02-03"), 0);
	ck_assert_uint_eq (take ("2024-02-13"), 0);
	next = plan_on ("2024-02-14");
	ck_assert_str_eq (only_document (next)->step, "first");
	ck_assert_msg (is_trace_id (only_document (next)->trace_id), "%s",
		       only_document (next)->trace_id);
	ck_assert (ds_planner_store_document (store, only_document (next),
					      NULL, NULL));
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM documents"), 2);
	ck_assert (ds_store_check_integrity (store, NULL));
}
END_TEST

/*
 * Case 4: 1,000.00 in two instalments, 500.00 due 2024-01-31 and 500.00
 * due 2024-02-29, nothing paid: the overdue first part is chased from
 * its own due date, for its own amount.
 */
START_TEST (test_planner_instalments_case_4)
{
	g_autoptr (DsPlan) early = NULL;
	g_autoptr (DsPlan) plan = NULL;
	DsInstalment parts[] = {
		{ .invoice_id = "I1", .number = 1,
		  .due_date = day ("2024-01-31"), .amount = 50000 },
		{ .invoice_id = "I1", .number = 2,
		  .due_date = day ("2024-02-29"), .amount = 50000 },
	};
	DsLedgerOutcome outcome;
	DsDocument *document;
	DsDocumentItem *item;
	const DsOpenItem *open;

	put_invoice ("I1", "C2", "2024-01-01", "2024-02-29", 100000);
	for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
		ck_assert (ds_ledger_put_instalment (store, &parts[i],
						     &outcome, NULL));
	early = plan_on ("2024-02-02");
	ck_assert_uint_eq (early->documents->len, 0);
	plan = plan_on ("2024-02-10");
	document = only_document (plan);
	ck_assert_str_eq (document->step, "reminder");
	item = g_ptr_array_index (document->items, 0);
	ck_assert_int_eq (item->open_amount, 50000);
	ck_assert_int_eq (item->days_overdue, 10);
	ck_assert_int_eq (item->instalment, 1);
	ck_assert_int_eq (document->total, 50000);
	open = g_hash_table_lookup (plan->open_items, "I1");
	ck_assert_int_eq (open->instalment, 1);
	ck_assert_int_eq (open->instalments, 2);
	ck_assert_int_eq (open->due_open, 50000);
}
END_TEST

/* ---- instalments: one sequence each --------------------------------- */

/*
 * I1 for C2: 1,000.00 in three instalments, 300.00 due 2024-01-31,
 * 300.00 due 2024-03-31, 400.00 due 2024-05-31.
 */
static void
put_three_instalments (void)
{
	DsInstalment parts[] = {
		{ .invoice_id = "I1", .number = 1,
		  .due_date = day ("2024-01-31"), .amount = 30000 },
		{ .invoice_id = "I1", .number = 2,
		  .due_date = day ("2024-03-31"), .amount = 30000 },
		{ .invoice_id = "I1", .number = 3,
		  .due_date = day ("2024-05-31"), .amount = 40000 },
	};
	DsLedgerOutcome outcome;

	put_invoice ("I1", "C2", "2024-01-01", "2024-05-31", 100000);
	for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
		ck_assert (ds_ledger_put_instalment (store, &parts[i],
						     &outcome, NULL));
}

static void
pay (const char *id, const char *iso, gint64 amount, const char *invoice)
{
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_payment (store, id, "C2", day (iso), "EUR",
					  amount, invoice, &outcome, NULL));
}

/* The step index the instalment last took under "test", or -1. */
static int
last_step (const char *invoice, int instalment)
{
	DsStepTaken taken;

	ck_assert (ds_document_last_step (store, invoice, instalment, "test",
					  &taken, NULL));
	g_free (taken.trace_id);
	return taken.step_index;
}

/* The one document planned on the date, stored; its key is returned. */
static char *
take_one (const char *iso, const char *step, int instalment,
	  gint64 open_amount)
{
	g_autoptr (DsPlan) plan = plan_on (iso);
	DsDocument *document = only_document (plan);
	DsDocumentItem *item;

	ck_assert_str_eq (document->step, step);
	ck_assert_uint_eq (document->items->len, 1);
	item = g_ptr_array_index (document->items, 0);
	ck_assert_int_eq (item->instalment, instalment);
	ck_assert_int_eq (item->open_amount, open_amount);
	ck_assert (ds_planner_store_document (store, document, NULL, NULL));
	return g_strdup (document->idempotency_key);
}

/*
 * Instalment 1 takes its reminder and first notice and is paid;
 * instalment 2 then takes its own reminder, three days after its own
 * due date, not the first notice's successor of instalment 1.
 */
START_TEST (test_planner_instalment_takes_its_own_steps)
{
	g_autofree char *reminder = NULL;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autoptr (DsPlan) again = NULL;

	put_three_instalments ();
	reminder = take_one ("2024-02-03", "reminder", 1, 30000);
	ck_assert_str_eq (reminder, "test/reminder/C2:I1#1");
	first = take_one ("2024-02-14", "first", 1, 30000);
	ck_assert_str_eq (first, "test/first/C2:I1#1");
	pay ("P1", "2024-02-20", 30000, "I1");

	/* instalment 2 is not due yet; its pre-due step is passed by
	 * when it is first seen after its due date */
	ck_assert_uint_eq (take ("2024-03-01"), 0);
	ck_assert_uint_eq (take ("2024-04-02"), 0);
	second = take_one ("2024-04-03", "reminder", 2, 30000);
	ck_assert_str_eq (second, "test/reminder/C2:I1#2");
	ck_assert_int_eq (last_step ("I1", 1), 2);
	ck_assert_int_eq (last_step ("I1", 2), 1);
	ck_assert_int_eq (last_step ("I1", 3), -1);
	ck_assert_int_eq (last_step ("I1", 0), -1);

	/* the same date again adds nothing */
	again = plan_on ("2024-04-03");
	ck_assert_uint_eq (again->documents->len, 0);
	ck_assert_uint_eq (take ("2024-04-03"), 0);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM documents"), 3);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM invoice_steps"
				      " WHERE instalment = 2"), 1);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM document_items"
				      " WHERE instalment = 2"), 1);

	/* its first notice after the offset and the gap */
	ck_assert_uint_eq (take ("2024-04-13"), 0);
	g_free (first);
	first = take_one ("2024-04-14", "first", 2, 30000);
	ck_assert_str_eq (first, "test/first/C2:I1#2");
}
END_TEST

/*
 * Case 7 for an instalment: the reminder ahead of instalment 2 asks
 * for instalment 2, not for what the invoice has open in all.
 */
START_TEST (test_planner_pre_due_reminder_of_an_instalment)
{
	g_autofree char *before = NULL;

	put_three_instalments ();
	before = take_one ("2024-01-26", "before", 1, 30000);
	pay ("P1", "2024-01-30", 30000, "I1");
	ck_assert_uint_eq (take ("2024-03-25"), 0);
	g_free (before);
	before = take_one ("2024-03-26", "before", 2, 30000);
	ck_assert_str_eq (before, "test/before/C2:I1#2");
}
END_TEST

/*
 * Instalment 1 reminded and paid, then nothing runs until two more
 * instalments fell due: one step, the reminder of instalment 2 (the
 * earliest unpaid), claiming both; instalment 3 starts nothing beside
 * it, then or later.
 */
START_TEST (test_planner_instalments_catch_up_one_step)
{
	g_autofree char *key = NULL;

	put_three_instalments ();
	g_free (take_one ("2024-02-03", "reminder", 1, 30000));
	pay ("P1", "2024-02-10", 30000, "I1");
	key = take_one ("2024-06-20", "reminder", 2, 70000);
	ck_assert_str_eq (key, "test/reminder/C2:I1#2");
	ck_assert_uint_eq (take ("2024-06-20"), 0);
	ck_assert_uint_eq (take ("2024-06-29"), 0);	/* the gap */
	g_free (take_one ("2024-06-30", "first", 2, 70000));
	ck_assert_int_eq (last_step ("I1", 3), -1);

	/* instalment 2 paid: instalment 3, long due, starts over */
	pay ("P2", "2024-07-01", 30000, "I1");
	g_free (key);
	key = take_one ("2024-07-02", "reminder", 3, 40000);
	ck_assert_str_eq (key, "test/reminder/C2:I1#3");
}
END_TEST

/*
 * An invoice without instalments: the same key as before instalments
 * took steps of their own (and so the same trace id), its steps under
 * instalment 0, and beside an instalment in one document, each named as
 * it is.
 */
START_TEST (test_planner_without_instalments_keys_unchanged)
{
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (DsPlan) both = NULL;
	DsDocument *document;
	DsDocumentItem *item;

	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	plan = plan_on ("2024-02-03");
	document = only_document (plan);
	item = g_ptr_array_index (document->items, 0);
	ck_assert_int_eq (item->instalment, 0);
	ck_assert_int_eq (((DsOpenItem *) g_hash_table_lookup (
		plan->open_items, "I2"))->instalments, 0);
	ck_assert_str_eq (document->idempotency_key, "test/reminder/C2:I2");
	ck_assert (ds_planner_store_document (store, document, NULL, NULL));
	ck_assert_int_eq (last_step ("I2", 0), 1);
	ck_assert_int_eq (last_step ("I2", 1), -1);

	put_three_instalments ();
	put_invoice ("I3", "C2", "2024-01-01", "2024-01-31", 7000);
	both = plan_on ("2024-02-04");
	document = only_document (both);
	ck_assert_str_eq (document->idempotency_key,
			  "test/reminder/C2:I1#1,I3");
}
END_TEST

/*
 * An instance upgraded from before: its steps were recorded per
 * invoice.  The migration gives the reminder taken to instalment 1
 * (whose due date its item counted from), so the next step is the
 * first notice, not a second reminder.  Taken back to schema 8: the
 * migrations after the instalment one are undone too.
 */
START_TEST (test_planner_instalment_steps_migrated)
{
	g_autofree char *db = g_build_filename (directory, "db.sqlite", NULL);
	static const char downgrade[] =
		DS_TEST_UNDO_AFTER_10
		"CREATE TABLE old_steps ("
		" invoice_id TEXT NOT NULL REFERENCES invoices,"
		" strategy TEXT NOT NULL, step_index INTEGER NOT NULL,"
		" trace_id TEXT NOT NULL REFERENCES documents,"
		" taken_on TEXT NOT NULL,"
		" PRIMARY KEY (invoice_id, strategy, step_index));"
		"INSERT INTO old_steps SELECT invoice_id, strategy,"
		" step_index, trace_id, taken_on FROM invoice_steps;"
		"DROP TABLE invoice_steps;"
		"ALTER TABLE old_steps RENAME TO invoice_steps;"
		"ALTER TABLE document_items DROP COLUMN instalment;"
		"DROP TABLE instance;"
		"PRAGMA user_version = 8;";
	int version = ds_store_schema_version (store);

	put_three_instalments ();
	put_invoice ("I2", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-02-05"), 1);
	ck_assert (ds_store_exec (store, downgrade, NULL));
	ds_store_close (store);
	store = ds_store_open (db, NULL);
	ck_assert (store != NULL);
	ck_assert_int_eq (ds_store_schema_version (store), version);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM invoice_steps"
				      " WHERE invoice_id = 'I1'"
				      " AND instalment = 1"), 1);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM invoice_steps"
				      " WHERE invoice_id = 'I2'"
				      " AND instalment = 0"), 1);
	ck_assert_int_eq (count_rows ("SELECT count(*) FROM document_items"
				      " WHERE invoice_id = 'I1'"
				      " AND instalment = 1"), 1);
	ck_assert (ds_store_check_integrity (store, NULL));
	ck_assert_int_eq (last_step ("I1", 1), 1);
	ck_assert_uint_eq (take ("2024-02-06"), 0);
	ck_assert_uint_eq (take ("2024-02-15"), 1);
	ck_assert_int_eq (last_step ("I1", 1), 2);
}
END_TEST

/* ---- call steps --------------------------------------------------------- */

/* One text per task: "KIND CUSTOMER STATE REASON", by task id. */
static char *
tasks_text (void)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT kind, customer_id, collector, state, reason"
		" FROM tasks ORDER BY task_id", NULL);
	GString *text = g_string_new (NULL);

	while (sqlite3_step (statement) == SQLITE_ROW)
		g_string_append_printf (text, "%s%s %s %s %s %s",
			text->len ? "\n" : "",
			sqlite3_column_text (statement, 0),
			sqlite3_column_text (statement, 1),
			sqlite3_column_text (statement, 2),
			sqlite3_column_text (statement, 3),
			sqlite3_column_text (statement, 4));
	return g_string_free (text, FALSE);
}

static char *
document_state (const char *trace_id)
{
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   NULL);

	ck_assert (document != NULL);
	return g_strdup (document->state);
}

START_TEST (test_call_step_is_a_task_once)
{
	g_autoptr (DsPlan) early = NULL;
	g_autoptr (DsPlan) call = NULL;
	g_autofree char *trace_id = NULL;
	g_autofree char *state = NULL;
	g_autofree char *tasks = NULL;
	DsDocument *document;
	DsStepTaken taken;

	load_config (call_strategy_text, NULL, NULL);
	put_customer_with_phone ("C3", NULL, NULL, NULL, "+49 221 555");
	put_invoice ("I1", "C3", "2024-01-01", "2024-01-31", 5000);
	put_invoice ("I2", "C3", "2024-01-02", "2024-01-31", 7000);
	ck_assert_uint_eq (take ("2024-02-03"), 1);	/* reminder */

	/* the call: 5 days after the reminder, one for both invoices */
	early = plan_on ("2024-02-07");
	ck_assert_uint_eq (early->documents->len, 0);
	call = plan_on ("2024-02-08");
	document = only_document (call);
	ck_assert_int_eq (document->channel, DS_CHANNEL_CALL);
	ck_assert_uint_eq (document->items->len, 2);
	trace_id = g_strdup (document->trace_id);
	ck_assert (ds_planner_store_document (store, document, NULL, NULL));
	/* a call prints no deadline, though the step names one */
	ck_assert_int_eq (document->deadline, DS_DATE_NONE);
	state = document_state (trace_id);
	ck_assert_str_eq (state, "task");
	tasks = tasks_text ();
	ck_assert_str_eq (tasks, "call C3 anna open step=call invoices=2");

	/* the same date again, and later ones: nothing more */
	ck_assert_uint_eq (take ("2024-02-08"), 0);
	ck_assert_uint_eq (take ("2024-02-14"), 0);
	g_free (tasks);
	tasks = tasks_text ();
	ck_assert_str_eq (tasks, "call C3 anna open step=call invoices=2");
	ck_assert (ds_document_last_step (store, "I1", 0, "calls", &taken,
					  NULL));
	ck_assert_int_eq (taken.step_index, 1);
	g_free (taken.trace_id);

	/* the final step runs 7 days from the call's date */
	ck_assert_uint_eq (take ("2024-02-15"), 1);
}
END_TEST

START_TEST (test_call_falls_back_without_phone)
{
	g_autoptr (DsPlan) plan = NULL;

	load_config (call_strategy_text, NULL, NULL);
	/* C2 has no phone number: the step's next channel, a letter */
	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-02-03"), 1);
	plan = plan_on ("2024-02-08");
	ck_assert_int_eq (only_document (plan)->channel, DS_CHANNEL_LETTER);
	ck_assert_str_eq (only_document (plan)->step, "call");
}
END_TEST

START_TEST (test_call_only_no_phone_is_a_task)
{
	g_autoptr (DsPlan) plan = NULL;
	g_autofree char *tasks = NULL;

	load_config (call_first_text, NULL, NULL);
	put_invoice ("I1", "C2", "2024-01-01", "2024-01-31", 5000);
	plan = plan_on ("2024-02-03");
	ck_assert_int_eq (only_document (plan)->channel, DS_CHANNEL_CALL);
	ck_assert (ds_planner_store_document (store, only_document (plan),
					      NULL, NULL));
	tasks = tasks_text ();
	ck_assert_str_eq (tasks, "call C2 anna open step=call invoices=1 "
			  "no phone number");
}
END_TEST

START_TEST (test_call_is_a_touch)
{
	g_autoptr (DsPlan) held = NULL;

	/* one touch per customer in 30 days: the call is that touch */
	load_config (call_first_text, "touches = 0", "touches = 1");
	put_customer_with_phone ("C3", NULL, NULL, NULL, "+49 221 555");
	put_invoice ("I1", "C3", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-02-03"), 1);	/* the call */
	held = plan_on ("2024-02-06");
	ck_assert_uint_eq (held->documents->len, 0);
	ck_assert_int_eq (held->deferred, 1);
	ck_assert_uint_eq (take ("2024-03-03"), 0);
	ck_assert_uint_eq (take ("2024-03-04"), 1);	/* 30 days on */
}
END_TEST

START_TEST (test_call_daily_volume)
{
	g_autoptr (DsPlan) plan = NULL;

	/* one call a day: the second customer's call waits a day */
	load_config (call_first_text, "call = 0", "call = 1");
	put_customer_with_phone ("C3", NULL, NULL, NULL, "+49 221 555");
	put_customer_with_phone ("C4", NULL, NULL, NULL, "+49 221 556");
	put_invoice ("I1", "C3", "2024-01-01", "2024-01-31", 5000);
	put_invoice ("I2", "C4", "2024-01-01", "2024-01-31", 5000);
	plan = plan_on ("2024-02-03");
	ck_assert_uint_eq (plan->documents->len, 1);
	ck_assert_int_eq (plan->deferred, 1);
	ck_assert_uint_eq (take ("2024-02-03"), 1);
	ck_assert_uint_eq (take ("2024-02-03"), 0);
	ck_assert_uint_eq (take ("2024-02-04"), 1);
}
END_TEST

START_TEST (test_call_task_closed_with_outcome)
{
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *trace_id = NULL;
	g_autofree char *state = NULL;
	g_autofree char *tasks = NULL;

	load_config (call_first_text, NULL, NULL);
	put_customer_with_phone ("C3", NULL, NULL, NULL, "+49 221 555");
	put_invoice ("I1", "C3", "2024-01-01", "2024-01-31", 5000);
	plan = plan_on ("2024-02-03");
	trace_id = g_strdup (only_document (plan)->trace_id);
	ck_assert (ds_planner_store_document (store, only_document (plan),
					      NULL, NULL));
	ck_assert (!ds_feedback_close_task (store, 1, "maybe", NULL,
					    &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	g_clear_error (&error);
	ck_assert_msg (ds_feedback_close_task (store, 1, "reached",
					       "pays Friday", &error),
		       "%s", error ? error->message : "");
	state = document_state (trace_id);
	ck_assert_str_eq (state, "closed");
	tasks = tasks_text ();
	ck_assert_str_eq (tasks, "call C3 anna done step=call invoices=1");
	ck_assert (!ds_feedback_close_task (store, 1, "reached", NULL,
					    &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	g_clear_error (&error);
	ck_assert (!ds_feedback_close_task (store, 9, "reached", NULL,
					    &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
}
END_TEST

START_TEST (test_call_promise_pauses_chasing)
{
	g_autoptr (DsPlan) paused = NULL;
	g_autoptr (DsPlan) broken = NULL;
	g_autoptr (GPtrArray) promises = NULL;
	g_autoptr (GError) error = NULL;
	const DsPromise *promise;

	load_config (call_first_text, NULL, NULL);
	put_customer_with_phone ("C3", NULL, NULL, NULL, "+49 221 555");
	put_invoice ("I1", "C3", "2024-01-01", "2024-01-31", 5000);
	ck_assert_uint_eq (take ("2024-02-03"), 1);	/* the call */
	/* a promise for a day before the call was made: refused */
	ck_assert (!ds_feedback_close_task_with_promise (store, 1, NULL,
		day ("2024-02-04"), day ("2024-02-03"), NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	g_clear_error (&error);
	ck_assert_msg (ds_feedback_close_task_with_promise (store, 1,
		"by the 20th", day ("2024-02-04"), day ("2024-02-20"), NULL,
		&error), "%s", error ? error->message : "");

	promises = ds_ledger_promises (store, "C3", day ("2024-02-06"),
				       NULL);
	ck_assert_uint_eq (promises->len, 1);
	promise = g_ptr_array_index (promises, 0);
	ck_assert_str_eq (promise->promise_id, "task-1");
	ck_assert_str_eq (promise->invoice_id, "I1");
	ck_assert_int_eq (promise->amount, 5000);

	/* the letter fell due on 02-06: paused through 02-20 + 5 days */
	paused = plan_on ("2024-02-25");
	ck_assert_uint_eq (paused->documents->len, 0);
	ck_assert_int_eq (paused->paused, 1);
	broken = plan_on ("2024-02-26");
	ck_assert_str_eq (only_document (broken)->step, "letter");
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("planner");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_planner_pre_due_reminder_case_7);
	tcase_add_test (tc, test_planner_pre_due_never_after_due_date);
	tcase_add_test (tc, test_planner_one_step_per_cycle);
	tcase_add_test (tc, test_planner_deadline_case_8);
	tcase_add_test (tc, test_planner_disputed_never_chased);
	tcase_add_test (tc, test_planner_channels);
	tcase_add_test (tc, test_planner_one_document_per_customer_and_step);
	tcase_add_test (tc, test_planner_paid_invoice_not_chased);
	tcase_add_test (tc, test_planner_idempotency_key_ignores_run_date);
	tcase_add_test (tc, test_planner_trace_ids_differ_between_instances);
	tcase_add_test (tc, test_planner_trace_id_is_keyed_hash);
	tcase_add_test (tc, test_planner_instance_key_migrated);
	tcase_add_test (tc, test_planner_instalments_case_4);
	tcase_add_test (tc, test_planner_instalment_takes_its_own_steps);
	tcase_add_test (tc, test_planner_pre_due_reminder_of_an_instalment);
	tcase_add_test (tc, test_planner_instalments_catch_up_one_step);
	tcase_add_test (tc, test_planner_without_instalments_keys_unchanged);
	tcase_add_test (tc, test_planner_instalment_steps_migrated);
	tcase_add_test (tc, test_call_step_is_a_task_once);
	tcase_add_test (tc, test_call_falls_back_without_phone);
	tcase_add_test (tc, test_call_only_no_phone_is_a_task);
	tcase_add_test (tc, test_call_is_a_touch);
	tcase_add_test (tc, test_call_daily_volume);
	tcase_add_test (tc, test_call_task_closed_with_outcome);
	tcase_add_test (tc, test_call_promise_pauses_chasing);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
