/*
 * check_agenda.c -- the collectors' worklist: tasks ordered by expected
 * cash per minute and cut at each collector's capacity; broken promises
 * and open disputes found in the ledger as of the date; call tasks of
 * the strategy's call steps.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agenda.h"
#include "document.h"
#include "feedback.h"
#include "instance.h"
#include "ledger.h"
#include "planner.h"
#include "testutil.h"

static char *directory;
static DsInstance *instance;

static DsDate
day (const char *iso)
{
	DsDate date;

	ck_assert (ds_date_parse_iso (iso, &date, NULL));
	return date;
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

static const char *
subjects (const GPtrArray *tasks, GString *out)
{
	g_string_truncate (out, 0);
	for (guint i = 0; i < tasks->len; i++) {
		const DsAgendaTask *task = g_ptr_array_index (tasks, i);

		g_string_append_printf (out, "%s%s", i ? " " : "",
					task->subject);
	}
	return out->str;
}

/* ---- capacity --------------------------------------------------------- */

START_TEST (test_capacity_cuts_by_cash_per_minute)
{
	static const struct {
		DsAgendaKind kind;
		const char *collector, *subject;
		gint64 amount;
	} tasks[] = {
		/* promise: 10 min, yield 0.5; dispute: 20 min, 0.25 */
		{ DS_AGENDA_DISPUTE, "anna", "D-big", 400000 },	/* 5000 */
		{ DS_AGENDA_PROMISE, "anna", "P-mid", 60000 },	/* 3000 */
		{ DS_AGENDA_DISPUTE, "anna", "D-mid", 200000 },	/* 2500 */
		{ DS_AGENDA_PROMISE, "anna", "P-small", 20000 }, /* 1000 */
		{ DS_AGENDA_PROMISE, "anna", "P-tiny", 2000 },	/* 100 */
		{ DS_AGENDA_PROMISE, "bruno", "P-b1", 10000 },
		{ DS_AGENDA_PROMISE, "bruno", "P-b2", 30000 },
		{ DS_AGENDA_RETURNED, "carla", "R-c1", 10000 },
	};
	DsAgendaSettings settings;
	g_autoptr (GPtrArray) all = g_ptr_array_new ();
	g_autoptr (DsAgenda) agenda = NULL;
	g_autoptr (GString) text = g_string_new (NULL);
	const DsAgendaList *anna, *bruno, *carla;

	ds_agenda_settings_init (&settings);
	/* anna 45 min: D-big 20, P-mid 10, D-mid no (50), P-small 10 = 40,
	 * P-tiny no (50); bruno 10 min: one task; carla the default 240 */
	g_hash_table_insert (settings.capacities, g_strdup ("anna"),
			     GINT_TO_POINTER (45));
	g_hash_table_insert (settings.capacities, g_strdup ("bruno"),
			     GINT_TO_POINTER (10));
	for (gsize i = 0; i < G_N_ELEMENTS (tasks); i++)
		g_ptr_array_add (all, ds_agenda_task_new (
			tasks[i].kind, tasks[i].collector, "C1",
			tasks[i].subject, "EUR", tasks[i].amount,
			day ("2013-05-01")));
	agenda = ds_agenda_plan (&settings, g_steal_pointer (&all),
				 day ("2013-05-02"), NULL);

	ck_assert_uint_eq (agenda->lists->len, 3);
	anna = g_ptr_array_index (agenda->lists, 0);
	bruno = g_ptr_array_index (agenda->lists, 1);
	carla = g_ptr_array_index (agenda->lists, 2);
	ck_assert_str_eq (anna->collector, "anna");
	ck_assert_str_eq (subjects (anna->tasks, text), "D-big P-mid P-small");
	ck_assert_str_eq (subjects (anna->cut, text), "D-mid P-tiny");
	ck_assert_int_eq (anna->minutes, 40);
	ck_assert_int_eq (anna->capacity, 45);
	ck_assert_str_eq (subjects (bruno->tasks, text), "P-b2");
	ck_assert_str_eq (subjects (bruno->cut, text), "P-b1");
	ck_assert_int_eq (carla->capacity, 240);
	ck_assert_uint_eq (carla->tasks->len, 1);
	ds_agenda_settings_clear (&settings);
}
END_TEST

START_TEST (test_capacity_zero_cuts_everything)
{
	DsAgendaSettings settings;
	g_autoptr (GPtrArray) all = g_ptr_array_new ();
	g_autoptr (DsAgenda) agenda = NULL;
	const DsAgendaList *list;

	ds_agenda_settings_init (&settings);
	g_hash_table_insert (settings.capacities, g_strdup ("anna"),
			     GINT_TO_POINTER (0));
	g_ptr_array_add (all, ds_agenda_task_new (DS_AGENDA_PROMISE, "anna",
		"C1", "P1", "EUR", 1000, day ("2013-05-01")));
	g_ptr_array_add (all, ds_agenda_task_new (DS_AGENDA_PROMISE, "bruno",
		"C2", "P2", "EUR", 1000, day ("2013-05-01")));
	agenda = ds_agenda_plan (&settings, g_steal_pointer (&all),
				 day ("2013-05-02"), "anna");

	/* only anna's list, asked for by name */
	ck_assert_uint_eq (agenda->lists->len, 1);
	list = g_ptr_array_index (agenda->lists, 0);
	ck_assert_uint_eq (list->tasks->len, 0);
	ck_assert_uint_eq (list->cut->len, 1);
	ds_agenda_settings_clear (&settings);
}
END_TEST

/* ---- from the ledger -------------------------------------------------- */

/* The default configuration, `from` replaced by `to` where given. */
static void
open_instance_with (const char *extra, const char *from, const char *to)
{
	g_autofree char *conf = NULL;
	g_autofree char *text = NULL;
	g_autofree char *whole = NULL;
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_instance_create (directory, &error), "%s",
		       error ? error->message : "");
	conf = g_build_filename (directory, "dunspool.conf", NULL);
	ck_assert (g_file_get_contents (conf, &text, NULL, NULL));
	if (from != NULL) {
		g_auto (GStrv) parts = g_strsplit (text, from, 2);

		ck_assert_uint_eq (g_strv_length (parts), 2);
		g_free (text);
		text = g_strjoin (to, parts[0], parts[1], NULL);
	}
	whole = g_strconcat (text, "\n", extra, NULL);
	ck_assert (g_file_set_contents (conf, whole, -1, NULL));
	instance = ds_instance_open (directory, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
}

/* The default strategy's first step, up to its channels. */
#define REMINDER "[step reminder]\noffset = 3\n"

static void
open_instance (const char *extra)
{
	open_instance_with (extra, NULL, NULL);
}

static void
load_ledger (void)
{
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE",
	};
	static const struct {
		const char *id, *collector;
	} customers[] = { { "C1", "anna" }, { "C2", "bruno" } };
	static const struct {
		const char *id, *customer, *due;
		gint64 amount;
	} invoices[] = {
		{ "I1", "C1", "2013-04-01", 100000 },
		{ "I2", "C1", "2013-04-10", 50000 },
		{ "I3", "C2", "2013-04-01", 80000 },
		{ "I4", "C2", "2013-04-01", 30000 },
	};
	DsLedgerOutcome outcome;
	DsStore *store = instance->store;

	ck_assert (ds_ledger_put_entity (store, &entity, &outcome, NULL));
	for (gsize i = 0; i < G_N_ELEMENTS (customers); i++) {
		DsCustomer customer = {
			.customer_id = (char *) customers[i].id,
			.name = "Kunde", .street = "Weg 1",
			.postal_code = "1", .city = "Köln", .country = "DE",
			.language = "de", .currency = "EUR",
			.entity_id = "DE01", .b2b = TRUE,
			.collector = (char *) customers[i].collector,
			.phone = "+49 221 4711",
		};

		ck_assert (ds_ledger_put_customer (store, &customer, &outcome,
						   NULL));
	}
	for (gsize i = 0; i < G_N_ELEMENTS (invoices); i++) {
		DsInvoice invoice = {
			.invoice_id = (char *) invoices[i].id,
			.customer_id = (char *) invoices[i].customer,
			.issue_date = day ("2013-03-01"),
			.due_date = day (invoices[i].due),
			.currency = "EUR", .amount = invoices[i].amount,
		};

		ck_assert (ds_ledger_put_invoice (store, &invoice, &outcome,
						  NULL));
	}
}

static void
put_promise (const char *id, const char *customer, const char *date,
	     gint64 amount, const char *invoice)
{
	DsPromise promise = {
		.promise_id = (char *) id, .customer_id = (char *) customer,
		.promised_date = day (date), .amount = amount,
		.invoice_id = (char *) invoice, .made_on = day ("2013-04-15"),
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_promise (instance->store, &promise,
					  &outcome, NULL));
}

START_TEST (test_collect_broken_promises_and_disputes)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsAgenda) agenda = NULL;
	g_autoptr (GString) text = g_string_new (NULL);
	DsLedgerOutcome outcome;
	const DsAgendaList *anna, *bruno;

	open_instance ("[collectors]\nanna = 15\nbruno = 60\n");
	load_ledger ();
	/* C1 promised I1 for 04-20 and did not pay: broken on 05-02 */
	put_promise ("PR1", "C1", "2013-04-20", 100000, "I1");
	/* C1 promised I2 for 04-25 and paid it: kept */
	put_promise ("PR2", "C1", "2013-04-25", 50000, "I2");
	ck_assert (ds_ledger_put_payment (instance->store, "P1", "C1",
					  day ("2013-04-24"), "EUR", 50000,
					  "I2", &outcome, NULL));
	/* C1's promise for 05-10 is not due yet */
	put_promise ("PR3", "C1", "2013-05-10", 1000, "I1");
	/* C2 disputes I3 */
	ck_assert (ds_ledger_put_dispute (instance->store, "I3",
					  day ("2013-04-05"), DS_DATE_NONE,
					  "quality", &outcome, NULL));
	/* C2 promised 200.00 of what was due by 04-28, and paid none */
	put_promise ("PR4", "C2", "2013-04-28", 20000, NULL);

	agenda = ds_agenda_build (instance, day ("2013-05-02"), NULL,
				  &error);
	ck_assert_msg (agenda != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq (agenda->lists->len, 2);
	anna = g_ptr_array_index (agenda->lists, 0);
	bruno = g_ptr_array_index (agenda->lists, 1);
	ck_assert_str_eq (subjects (anna->tasks, text), "PR1");
	ck_assert_uint_eq (anna->cut->len, 0);
	/* PR4: min (20000, 110000) x 0.5 / 10 = 1000 a minute; the
	 * dispute on I3: 80000 x 0.25 / 20 = 1000, then the larger */
	ck_assert_str_eq (subjects (bruno->tasks, text), "I3 PR4");
	ck_assert_int_eq (bruno->minutes, 30);
	ck_assert_int_eq (((DsAgendaTask *) g_ptr_array_index (
		bruno->tasks, 1))->amount, 20000);
}
END_TEST

/* Plan and store `date`'s steps, as the cycle does. */
static void
take (const char *date)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsPlan) plan = ds_planner_plan (instance->store,
						   instance->config,
						   day (date), &error);

	ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < plan->documents->len; i++)
		ck_assert_msg (ds_planner_store_document (instance->store,
			g_ptr_array_index (plan->documents, i), NULL,
			&error), "%s", error ? error->message : "");
}

static const DsAgendaList *
list_of (const DsAgenda *agenda, const char *collector)
{
	for (guint i = 0; i < agenda->lists->len; i++) {
		const DsAgendaList *list = g_ptr_array_index (agenda->lists,
							      i);

		if (strcmp (list->collector, collector) == 0)
			return list;
	}
	ck_abort_msg ("no list for %s", collector);
	return NULL;
}

static const char *
kinds (const GPtrArray *tasks, GString *out)
{
	g_string_truncate (out, 0);
	for (guint i = 0; i < tasks->len; i++) {
		const DsAgendaTask *task = g_ptr_array_index (tasks, i);

		g_string_append_printf (out, "%s%s:%s", i ? " " : "",
					ds_agenda_kind_name (task->kind),
					task->customer_id);
	}
	return out->str;
}

START_TEST (test_call_tasks_on_the_agenda)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsAgenda) before = NULL;
	g_autoptr (DsAgenda) agenda = NULL;
	g_autoptr (DsAgenda) after = NULL;
	g_autoptr (GString) text = g_string_new (NULL);
	DsLedgerOutcome outcome;
	const DsAgendaList *anna, *bruno;
	const DsAgendaTask *call;

	/* the default strategy's reminder becomes a call */
	open_instance_with ("[collectors]\nanna = 15\nbruno = 60\n"
			    "[agenda]\nminutes_call = 12\nyield_call = 0.3\n",
			    REMINDER "channels = email;letter\n",
			    REMINDER "channels = call;letter\n");
	load_ledger ();
	/* calls on 04-04: C1 about I1 (I2 is not due), C2 about I3, I4 */
	take ("2013-04-04");
	take ("2013-04-04");
	/* C2 pays I4 before the agenda's day; C1 broke a promise */
	ck_assert (ds_ledger_put_payment (instance->store, "P1", "C2",
					  day ("2013-04-20"), "EUR", 30000,
					  "I4", &outcome, NULL));
	put_promise ("PR1", "C1", "2013-04-20", 100000, "I1");

	before = ds_agenda_build (instance, day ("2013-04-03"), NULL,
				  &error);
	ck_assert_msg (before != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq (before->lists->len, 0);

	agenda = ds_agenda_build (instance, day ("2013-05-02"), NULL,
				  &error);
	ck_assert_msg (agenda != NULL, "%s", error ? error->message : "");
	anna = list_of (agenda, "anna");
	bruno = list_of (agenda, "bruno");
	/* anna, 15 minutes: the promise (100000 x 0.5 / 10 = 5000 a
	 * minute) before the call (100000 x 0.3 / 12 = 2500), which no
	 * longer fits and is cut */
	ck_assert_str_eq (kinds (anna->tasks, text), "promise:C1");
	ck_assert_str_eq (kinds (anna->cut, text), "call:C1");
	/* bruno: what is still open of the call's invoices, I3 */
	ck_assert_str_eq (kinds (bruno->tasks, text), "call:C2");
	call = g_ptr_array_index (bruno->tasks, 0);
	ck_assert_int_eq (call->amount, 80000);
	ck_assert_int_eq (call->minutes, 12);
	ck_assert_int_eq ((gint64) call->cash_per_minute, 2000);
	ck_assert_int_eq (call->since, day ("2013-04-04"));
	ck_assert_ptr_null (call->note);
	ck_assert_int_gt (call->task_id, 0);

	/* bruno reached C2: the call leaves the agenda */
	ck_assert_msg (ds_feedback_close_task (instance->store,
					       call->task_id, "reached",
					       NULL, &error),
		       "%s", error ? error->message : "");
	after = ds_agenda_build (instance, day ("2013-05-02"), "bruno",
				 &error);
	ck_assert_msg (after != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq (list_of (after, "bruno")->tasks->len, 0);
	ck_assert_uint_eq (list_of (after, "bruno")->cut->len, 0);
}
END_TEST

static char *
task_column (const char *column, const char *customer_id)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT %s FROM tasks t JOIN documents d USING (trace_id)"
		" WHERE t.kind = 'call' AND t.customer_id = '%s'", column,
		customer_id);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (statement != NULL);
	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return ds_store_column_text (statement, 0);
}

/*
 * Once every invoice a call is about is paid, the cycle closes the call
 * task as settled and supersedes the call; a call with an invoice still
 * open stays.  A reached customer counts the call as delivered.
 */
START_TEST (test_paid_call_closes_itself)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) items = NULL;
	g_autoptr (GHashTable) open_items = g_hash_table_new (g_str_hash,
							      g_str_equal);
	g_autofree char *paid = NULL;
	g_autofree char *still_open = NULL;
	DsLedgerOutcome outcome;
	gint64 closed = 0;

	open_instance_with ("", REMINDER "channels = email;letter\n",
			    REMINDER "channels = call;letter\n");
	load_ledger ();
	take ("2013-04-04");
	ck_assert (ds_ledger_put_payment (instance->store, "P3", "C2",
					  day ("2013-04-20"), "EUR", 80000,
					  "I3", &outcome, NULL));
	ck_assert (ds_ledger_put_payment (instance->store, "P4", "C2",
					  day ("2013-04-20"), "EUR", 30000,
					  "I4", &outcome, NULL));
	items = ds_ledger_open_items (instance->store, day ("2013-04-21"),
				      &error);
	ck_assert_msg (items != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		g_hash_table_insert (open_items, item->invoice.invoice_id,
				     item);
	}
	ck_assert_msg (ds_feedback_close_settled_calls (
			       instance->store, open_items, day ("2013-04-21"),
			       &closed, &error), "%s",
		       error ? error->message : "");
	ck_assert_int_eq (closed, 1);
	paid = task_column ("t.state || ' ' || t.outcome || ' ' || d.state",
			    "C2");
	ck_assert_str_eq (paid, "done settled superseded");
	still_open = task_column ("t.state || ' ' || d.state", "C1");
	ck_assert_str_eq (still_open, "open task");
	/* again: nothing more to close */
	ck_assert (ds_feedback_close_settled_calls (instance->store,
		open_items, day ("2013-04-21"), &closed, NULL));
	ck_assert_int_eq (closed, 1);
}
END_TEST

START_TEST (test_call_without_phone_noted)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsAgenda) agenda = NULL;
	DsLedgerOutcome outcome;
	const DsAgendaTask *call;
	DsCustomer customer = {
		.customer_id = "C3", .name = "Kunde", .street = "Weg 1",
		.postal_code = "1", .city = "Köln", .country = "DE",
		.language = "de", .currency = "EUR", .entity_id = "DE01",
		.b2b = TRUE,
	};
	DsInvoice invoice = {
		.invoice_id = "I9", .customer_id = "C3",
		.issue_date = day ("2013-03-01"),
		.due_date = day ("2013-04-01"), .currency = "EUR",
		.amount = 10000,
	};

	/* the reminder is a call and nothing else */
	open_instance_with ("", REMINDER "channels = email;letter\n",
			    REMINDER "channels = call\n");
	load_ledger ();
	ck_assert (ds_ledger_put_customer (instance->store, &customer,
					   &outcome, NULL));
	ck_assert (ds_ledger_put_invoice (instance->store, &invoice,
					  &outcome, NULL));
	take ("2013-04-04");
	agenda = ds_agenda_build (instance, day ("2013-04-05"),
				  "unassigned", &error);
	ck_assert_msg (agenda != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq (list_of (agenda, "unassigned")->tasks->len, 1);
	call = g_ptr_array_index (list_of (agenda, "unassigned")->tasks, 0);
	ck_assert_int_eq (call->kind, DS_AGENDA_CALL);
	ck_assert_str_eq (call->note, "no phone number");

	/* an operator cancels the call: off the agenda */
	ck_assert (ds_document_move (instance->store, call->subject,
				     "cancelled", NULL, "test", NULL));
	g_clear_pointer (&agenda, ds_agenda_free);
	agenda = ds_agenda_build (instance, day ("2013-04-05"),
				  "unassigned", &error);
	ck_assert_msg (agenda != NULL, "%s", error ? error->message : "");
	ck_assert_uint_eq (list_of (agenda, "unassigned")->tasks->len, 0);
}
END_TEST

static Suite *
agenda_suite (void)
{
	Suite *suite = suite_create ("agenda");
	TCase *capacity = tcase_create ("capacity");
	TCase *ledger = tcase_create ("ledger");

	tcase_add_test (capacity, test_capacity_cuts_by_cash_per_minute);
	tcase_add_test (capacity, test_capacity_zero_cuts_everything);
	tcase_add_checked_fixture (ledger, setup, teardown);
	tcase_add_test (ledger, test_collect_broken_promises_and_disputes);
	tcase_add_test (ledger, test_call_tasks_on_the_agenda);
	tcase_add_test (ledger, test_call_without_phone_noted);
	tcase_add_test (ledger, test_paid_call_closes_itself);
	suite_add_tcase (suite, capacity);
	suite_add_tcase (suite, ledger);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (agenda_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
