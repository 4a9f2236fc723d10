/*
 * check_rules.c -- what the configuration adds to planning: errors that
 * name file, line and key; segments; calendars; exclusions (blocked,
 * minimum, credit balance); promises to pay (case 6); hand-over after
 * the final step; action limits; and a document's claim recorded once.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "claim-letter.h"
#include "config.h"
#include "cycle.h"
#include "document.h"
#include "instance.h"
#include "journal.h"
#include "ledger-claim.h"
#include "ledger.h"
#include "planner.h"
#include "production.h"
#include "rates.h"
#include "render.h"
#include "store.h"
#include "testutil.h"

static char *directory;
static DsStore *store;
static DsConfig *config;

static const char strategy_text[] =
	"[strategy]\nname = test\nsteps = reminder;first;final\n"
	"escalation = legal\nescalation_days = 14\n"
	"[step reminder]\noffset = 3\nchannels = letter\ndeadline = 0\n"
	"[step first]\noffset = 14\ngap = 10\nchannels = letter\n"
	"deadline = 10\nfee = 5.00\ninterest = false\n"
	"compensation = false\n"
	"[step final]\noffset = 28\ngap = 7\nchannels = letter\n"
	"deadline = 7\n"
	"[strategy gentle]\nsteps = soft\n"
	"[step soft]\noffset = 30\nchannels = letter\ndeadline = 0\n"
	"template = reminder\n"
	"[segment consumers]\nb2b = false\nstrategy = gentle\n";

static DsDate
day (const char *iso)
{
	DsDate date;

	ck_assert (ds_date_parse_iso (iso, &date, NULL));
	return date;
}

/*
 * Cut from `text` the groups `extra` gives again, as an administrator
 * would edit them: a key given twice is a configuration error.
 */
static void
drop_groups_given (char *text, const char *extra)
{
	g_auto (GStrv) lines = g_strsplit (extra, "\n", -1);

	for (int i = 0; lines[i] != NULL; i++) {
		g_autofree char *header = g_strconcat ("\n", lines[i], "\n",
						       NULL);
		char *start = lines[i][0] == '[' ? strstr (text, header)
						   : NULL;
		char *end;

		if (start == NULL)
			continue;
		start++;
		end = strstr (start, "\n[");
		end = end != NULL ? end + 1 : start + strlen (start);
		memmove (start, end, strlen (end) + 1);
	}
}

/* The default text with `extra` before its strategy and ours after. */
static DsConfig *
load_config (const char *extra, const char *strategy, GError **error)
{
	g_autofree char *text = g_strdup (ds_config_default_text ());
	g_autofree char *whole = NULL;
	g_autofree char *path = NULL;

	*strstr (text, "[strategy]") = '\0';
	drop_groups_given (text, extra);
	whole = g_strconcat (text, extra, strategy, NULL);
	path = ds_test_write (directory, "dunspool.conf", whole);
	return ds_config_load (directory, path, error);
}

static void
use_config (const char *extra)
{
	g_autoptr (GError) error = NULL;

	ds_config_free (config);
	config = load_config (extra, strategy_text, &error);
	ck_assert_msg (config != NULL, "%s", error ? error->message : "");
}

static void
put_customer (const char *id, gboolean b2b, const char *tags)
{
	DsCustomer customer = {
		.customer_id = (char *) id, .name = "Kunde GmbH",
		.street = "Weg 1", .postal_code = "50667", .city = "Köln",
		.country = "DE", .language = "de", .currency = "EUR",
		.entity_id = "DE01", .b2b = b2b, .tags = (char *) tags,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_customer (store, &customer, &outcome,
					   NULL));
}

static void
put_invoice (const char *id, const char *customer, const char *due,
	     gint64 amount)
{
	DsInvoice invoice = {
		.invoice_id = (char *) id, .customer_id = (char *) customer,
		.issue_date = day (due) - 30, .due_date = day (due),
		.currency = "EUR", .amount = amount,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_invoice (store, &invoice, &outcome, NULL));
}

static void
setup (void)
{
	g_autofree char *db = NULL;
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE", .jurisdiction = "DE",
	};
	DsLedgerOutcome outcome;

	directory = ds_test_tmpdir ();
	db = g_build_filename (directory, "db.sqlite", NULL);
	store = ds_store_open (db, NULL);
	ck_assert (ds_ledger_put_entity (store, &entity, &outcome, NULL));
	use_config ("");
}

static void
teardown (void)
{
	g_clear_pointer (&config, ds_config_free);
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

/* Plan, store and record events, as the cycle does. */
static guint
take (const char *iso)
{
	g_autoptr (DsPlan) plan = plan_on (iso);

	for (guint i = 0; i < plan->documents->len; i++)
		ck_assert (ds_document_insert (store,
			g_ptr_array_index (plan->documents, i), NULL, NULL));
	ck_assert (ds_planner_record_events (store, plan, NULL));
	return plan->documents->len;
}

static guint
journal_count_in (DsStore *ledger, const char *kind, const char *id,
		  const char *event)
{
	g_autoptr (GPtrArray) records = ds_journal_for_object (ledger, kind,
							       id, NULL);
	guint count = 0;

	ck_assert (records != NULL);
	for (guint i = 0; i < records->len; i++) {
		const DsJournalRecord *record = records->pdata[i];

		count += g_strcmp0 (record->event, event) == 0;
	}
	return count;
}

static guint
journal_count (const char *kind, const char *id, const char *event)
{
	return journal_count_in (store, kind, id, event);
}

/* ---- configuration errors ---------------------------------------- */

static const struct {
	const char *strategy;
	const char *message;	/* after "dunspool.conf:" */
	const char *extra;	/* groups before the strategy; NULL none */
} bad_configs[] = {
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\nfee = 5,00\n",
	  "[step a] fee:" },
	{ "[strategy]\nname = x\nsteps = a;b\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n[step b]\noffset = 2\n"
	  "channels = letter\ndeadline = 0\n",
	  "[step b] offset: must be later than the previous step's" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\nrelative_to = previous\n",
	  "[step a] relative_to: the first step has no previous step" },
	{ "[strategy]\nname = x\nsteps = a\nescalation = court\n[step a]\n"
	  "offset = 3\nchannels = letter\ndeadline = 0\n",
	  "[strategy] escalation: must be legal or agency" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n[segment s]\nstrategy = none\n",
	  "[segment s] strategy: no strategy of this name" },
	{ "[calendar DE01]\nholidays = XX\n[strategy]\nname = x\n"
	  "steps = a\n[step a]\noffset = 3\nchannels = letter\n"
	  "deadline = 0\n",
	  "[calendar DE01] holidays:" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\noffset = 4\n",
	  "[step a] offset: given twice (first on line" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n",
	  "[rules] write_off: entries are \"CUR AMOUNT\", as EUR 5.00, "
	  "the amount not negative",
	  "[rules]\nwrite_off = EUR 1,00\n" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n",
	  "[rules] write_off: entries are \"CUR AMOUNT\", as EUR 5.00, "
	  "the amount not negative",
	  "[rules]\nwrite_off = EUR 1.00;XX 1.00\n" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n",
	  "[rules] write_off: entries are \"CUR AMOUNT\", as EUR 5.00, "
	  "the amount not negative",
	  "[rules]\nwrite_off = 1.00\n" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter\ndeadline = 0\n",
	  "[rules] write_off: entries are \"CUR AMOUNT\", as EUR 5.00, "
	  "the amount not negative",
	  "[rules]\nwrite_off = EUR -1.00\n" },
	{ "[strategy]\nname = x\nsteps = a\n[step a]\noffset = 3\n"
	  "channels = letter;letter\ndeadline = 0\n",
	  "[step a] channels: \"letter\" is not one of email, letter, "
	  "registered, fax, call (each once)" },
};

/* A group nobody reads is named, even when it holds no key. */
START_TEST (test_rules_config_unknown_empty_group)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsConfig) bad = load_config (
		"", "[strategy]\nname = x\nsteps = a\n[step a]\n"
		"offset = 3\nchannels = letter\ndeadline = 0\n[stepp b]\n",
		&error);

	ck_assert (bad == NULL);
	ck_assert_msg (strstr (error->message, "[stepp b]: unknown group")
		       != NULL, "%s", error->message);
}
END_TEST

/* The error names the file, the line of the key, the group and key. */
START_TEST (test_rules_config_error_names_file_line_key)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsConfig) bad = load_config (
		bad_configs[_i].extra ? bad_configs[_i].extra : "",
		bad_configs[_i].strategy, &error);
	g_autofree char *path = g_build_filename (directory, "dunspool.conf",
						  NULL);
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	g_autofree char *prefix = NULL;
	const char *key = strchr (bad_configs[_i].message, ']') + 2;
	g_autofree char *key_name = g_strndup (key, strcspn (key, ":"));
	int line = 0;

	ck_assert (bad == NULL);
	ck_assert (g_file_get_contents (path, &contents, NULL, NULL));
	lines = g_strsplit (contents, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++)
		if (g_str_has_prefix (lines[i], key_name) &&
		    lines[i][strlen (key_name)] == ' ')
			line = i + 1;
	prefix = g_strdup_printf ("%s:%d: %s", path, line,
				  bad_configs[_i].message);
	ck_assert_msg (line > 0 && g_str_has_prefix (error->message, prefix),
		       "%s\nwanted %s", error->message, prefix);
}
END_TEST

/* ---- segments, calendars, exclusions ----------------------------- */

START_TEST (test_rules_segment_assigns_strategy)
{
	g_autoptr (DsPlan) plan = NULL;
	DsDocument *document;

	put_customer ("B2B", TRUE, NULL);
	put_customer ("CONSUMER", FALSE, NULL);
	put_invoice ("I-B", "B2B", "2024-03-01", 10000);
	put_invoice ("I-C", "CONSUMER", "2024-03-01", 10000);
	plan = plan_on ("2024-03-04");
	ck_assert_uint_eq (plan->documents->len, 1);
	document = plan->documents->pdata[0];
	ck_assert_str_eq (document->customer_id, "B2B");
	g_clear_pointer (&plan, ds_plan_free);
	plan = plan_on ("2024-03-31");
	for (guint i = 0; i < plan->documents->len; i++) {
		document = plan->documents->pdata[i];
		if (strcmp (document->customer_id, "CONSUMER") == 0) {
			ck_assert_str_eq (document->strategy, "gentle");
			ck_assert_str_eq (document->step, "soft");
		}
	}
	{
		const DsStrategy *gentle = ds_config_find_strategy (
			config, "gentle");
		const DsStep *soft = ds_strategy_step (gentle, 0);

		ck_assert_str_eq (soft->template_name, "reminder");
	}
}
END_TEST

/* A step due on a Saturday is taken on Monday; Easter moves deadlines. */
START_TEST (test_rules_calendar_moves_step_and_deadline)
{
	put_customer ("C1", TRUE, NULL);
	use_config ("[calendar DE01]\nholidays = DE\n"
		    "time_zone = Europe/Berlin\n");
	/* reminder due 2024-06-15, a Saturday */
	put_invoice ("I-1", "C1", "2024-06-12", 10000);
	ck_assert_uint_eq (take ("2024-06-15"), 0);
	ck_assert_uint_eq (take ("2024-06-16"), 0);
	ck_assert_uint_eq (take ("2024-06-17"), 1);
	/* first notice 2024-03-19: deadline 03-29 Good Friday -> 04-02 */
	put_invoice ("I-2", "C1", "2024-02-20", 10000);
	ck_assert_uint_eq (take ("2024-02-23"), 1);
	{
		g_autoptr (DsPlan) plan = plan_on ("2024-03-19");
		DsDocument *document = plan->documents->pdata[0];

		ck_assert_uint_eq (plan->documents->len, 1);
		ck_assert_uint_eq (document->deadline, day ("2024-04-02"));
	}
}
END_TEST

START_TEST (test_rules_exclusions)
{
	g_autoptr (DsPlan) plan = NULL;
	DsLedgerOutcome outcome;
	DsPayment cash = {
		.payment_id = "P-1", .customer_id = "CREDIT",
		.date = day ("2024-03-01"), .currency = "EUR",
		.amount = 50000,
	};

	use_config ("[rules]\nminimum = EUR 5.00\n");
	put_customer ("BLOCKED", TRUE, "vip,blocked");
	put_customer ("ONE", TRUE, "blocked:I-ONE-1");
	put_customer ("CREDIT", TRUE, NULL);
	put_customer ("SMALL", TRUE, NULL);
	put_invoice ("I-BLOCKED", "BLOCKED", "2024-03-01", 10000);
	put_invoice ("I-ONE-1", "ONE", "2024-03-01", 10000);
	put_invoice ("I-ONE-2", "ONE", "2024-03-01", 10000);
	put_invoice ("I-CREDIT", "CREDIT", "2024-03-01", 10000);
	put_invoice ("I-SMALL", "SMALL", "2024-03-01", 499);
	ck_assert (ds_ledger_put_payment (store, cash.payment_id,
		cash.customer_id, cash.date, cash.currency, cash.amount,
		NULL, &outcome, NULL));
	plan = plan_on ("2024-03-04");
	ck_assert_uint_eq (plan->documents->len, 1);
	ck_assert_str_eq (((DsDocumentItem *) ((DsDocument *)
		plan->documents->pdata[0])->items->pdata[0])->invoice_id,
		"I-ONE-2");
	ck_assert_int_eq (plan->excluded, 4);
}
END_TEST

/* ---- promises (case 6), escalation ------------------------------- */

START_TEST (test_rules_case6_promise_pauses_then_breaks)
{
	DsPromise promise = {
		.promise_id = "PR-1", .customer_id = "C1",
		.promised_date = day ("2024-05-10"), .amount = 10000,
		.invoice_id = "I-1", .made_on = day ("2024-04-20"),
	};
	DsLedgerOutcome outcome;

	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-04-01", 10000);
	ck_assert_uint_eq (take ("2024-04-05"), 1);	/* reminder */
	ck_assert (ds_ledger_put_promise (store, &promise, &outcome, NULL));
	/* grace 5: paused through 2024-05-15 */
	for (DsDate d = day ("2024-04-20"); d <= day ("2024-05-15"); d++) {
		g_autofree char *iso = ds_date_to_iso (d);

		ck_assert_msg (take (iso) == 0, "chased on %s", iso);
	}
	ck_assert_uint_eq (journal_count ("promise", "PR-1",
					  "promise-broken"), 0);
	ck_assert_uint_eq (take ("2024-05-16"), 1);	/* first notice */
	ck_assert_uint_eq (journal_count ("promise", "PR-1",
					  "promise-broken"), 1);
	/* the same date again: nothing more */
	ck_assert_uint_eq (take ("2024-05-16"), 0);
	ck_assert_uint_eq (take ("2024-05-17"), 0);
	ck_assert_uint_eq (journal_count ("promise", "PR-1",
					  "promise-broken"), 1);
}
END_TEST

START_TEST (test_rules_kept_promise_is_never_chased)
{
	DsPromise promise = {
		.promise_id = "PR-2", .customer_id = "C1",
		.promised_date = day ("2024-05-10"), .amount = 10000,
		.made_on = day ("2024-04-02"),
	};
	DsLedgerOutcome outcome;

	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-04-01", 10000);
	ck_assert (ds_ledger_put_promise (store, &promise, &outcome, NULL));
	ck_assert (ds_ledger_put_payment (store, "P-1", "C1",
		day ("2024-05-09"), "EUR", 10000, "I-1", &outcome, NULL));
	for (DsDate d = day ("2024-04-02"); d <= day ("2024-06-30"); d++) {
		g_autofree char *iso = ds_date_to_iso (d);

		ck_assert_msg (take (iso) == 0, "chased on %s", iso);
	}
	ck_assert_uint_eq (journal_count ("promise", "PR-2",
					  "promise-broken"), 0);
	ck_assert_uint_eq (journal_count ("promise", "PR-2",
					  "promise-kept"), 1);
}
END_TEST

START_TEST (test_rules_escalation_after_final_step_once)
{
	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-01-01", 10000);
	for (DsDate d = day ("2024-01-02"); d <= day ("2024-03-31"); d++) {
		g_autofree char *iso = ds_date_to_iso (d);

		take (iso);
		take (iso);
	}
	ck_assert_uint_eq (journal_count ("invoice", "I-1", "escalated"), 1);
	{
		g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
			"SELECT count(*), min (kind) FROM tasks"
			" WHERE state = 'open' AND customer_id = 'C1'", NULL);

		ck_assert (sqlite3_step (statement) == SQLITE_ROW);
		ck_assert_int_eq (sqlite3_column_int (statement, 0), 1);
		ck_assert_str_eq ((const char *)
				  sqlite3_column_text (statement, 1),
				  "hand-over-legal");
	}
}
END_TEST

/* Payments, promises and disputes reach the journal once each. */
START_TEST (test_rules_ledger_events_once)
{
	DsPromise promise = {
		.promise_id = "PR-3", .customer_id = "C1",
		.promised_date = day ("2024-05-10"), .amount = 5000,
		.made_on = day ("2024-04-20"),
	};
	DsLedgerOutcome outcome;

	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-04-01", 10000);
	put_invoice ("I-2", "C1", "2024-04-01", 10000);
	ck_assert (ds_ledger_put_payment (store, "P-1", "C1",
		day ("2024-04-18"), "EUR", 5000, "I-1", &outcome, NULL));
	ck_assert (ds_ledger_put_promise (store, &promise, &outcome, NULL));
	ck_assert (ds_ledger_put_dispute (store, "I-2", day ("2024-04-19"),
		day ("2024-04-25"), "quantity", &outcome, NULL));
	/* down until 04-21: the events of 04-18 to 04-20 come now */
	take ("2024-04-21");
	take ("2024-04-21");
	ck_assert_uint_eq (journal_count ("payment", "P-1",
					  "payment-received"), 1);
	ck_assert_uint_eq (journal_count ("promise", "PR-3",
					  "promise-made"), 1);
	ck_assert_uint_eq (journal_count ("dispute", "I-2@2024-04-19",
					  "dispute-opened"), 1);
	ck_assert_uint_eq (journal_count ("dispute", "I-2@2024-04-19",
					  "dispute-resolved"), 0);
	take ("2024-04-25");
	take ("2024-04-26");
	ck_assert_uint_eq (journal_count ("dispute", "I-2@2024-04-19",
					  "dispute-resolved"), 1);
	ck_assert_uint_eq (journal_count ("payment", "P-1",
					  "payment-received"), 1);
}
END_TEST

/* ---- limits, catch-up, claims ------------------------------------ */

static guint
documents_about (const char *invoice_id)
{
	g_autoptr (GPtrArray) documents = ds_document_list_for (
		store, invoice_id, NULL);

	ck_assert (documents != NULL);
	return documents->len;
}

START_TEST (test_rules_daily_letter_limit_defers)
{
	use_config ("[limits]\nletter = 2\n");
	put_customer ("C1", TRUE, NULL);
	put_customer ("C2", TRUE, NULL);
	put_customer ("C3", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-03-01", 5000);
	put_invoice ("I-2", "C2", "2024-03-01", 10000);
	put_invoice ("I-3", "C3", "2024-03-01", 20000);
	ck_assert_uint_eq (take ("2024-03-04"), 2);
	/* the most money first: the smallest waits */
	ck_assert_uint_eq (documents_about ("I-1"), 0);
	ck_assert_uint_eq (documents_about ("I-3"), 1);
	ck_assert_uint_eq (take ("2024-03-04"), 0);
	ck_assert_uint_eq (take ("2024-03-05"), 1);
}
END_TEST

START_TEST (test_rules_touch_limit_and_gap)
{
	use_config ("[limits]\ntouches = 1\nperiod = 10\nmin_gap = 3\n");
	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-03-01", 10000);
	put_invoice ("I-2", "C1", "2024-03-02", 10000);
	ck_assert_uint_eq (take ("2024-03-04"), 1);
	/* I-2's reminder was due 03-05: the touch limit holds it */
	for (DsDate d = day ("2024-03-05"); d <= day ("2024-03-13"); d++) {
		g_autofree char *iso = ds_date_to_iso (d);

		ck_assert_msg (take (iso) == 0, "sent on %s", iso);
	}
	ck_assert_uint_eq (take ("2024-03-14"), 1);
}
END_TEST

/* After downtime, one step, with the fee recorded once. */
START_TEST (test_rules_catch_up_fee_once)
{
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (DsClaim) again = NULL;
	g_autoptr (GError) error = NULL;
	DsDocument *document;

	put_customer ("C1", TRUE, NULL);
	put_invoice ("I-1", "C1", "2024-03-01", 100000);
	ck_assert_uint_eq (take ("2024-03-04"), 1);
	/* down from 03-05 to 04-30: the first notice, once */
	plan = plan_on ("2024-05-01");
	ck_assert_uint_eq (plan->documents->len, 1);
	document = plan->documents->pdata[0];
	ck_assert_str_eq (document->step, "first");
	ck_assert (ds_document_insert (store, document, NULL, NULL));
	claim = ds_claim_letter_compute (store, config, document, NULL,
					 &error);
	ck_assert_msg (claim != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq (claim->fees, 500);
	ck_assert_int_eq (claim->total, 100500);
	ck_assert (ds_ledger_claim_record (store, document->trace_id, claim,
					   NULL));
	ck_assert (ds_ledger_claim_record (store, document->trace_id, claim,
					   NULL));
	ck_assert_uint_eq (take ("2024-05-01"), 0);
	/* the earlier fee stays, the step's own is not added again */
	again = ds_claim_compute (store, "C1", day ("2024-05-02"),
		&(DsClaimPolicy) { .step_fee = 0, .settled_since =
				   DS_DATE_NONE, .contract_rate_bp = -1 },
		&error);
	ck_assert_msg (again != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq (again->fees, 500);
	ck_assert_int_eq (again->total, 100500);
}
END_TEST


/* ---- the claim on the letter (cases 9 and 10 on paper) ------------ */

static const char letter_strategy[] =
	"[strategy]\nname = letters\nsteps = notice;again\n"
	"[step notice]\noffset = 72\nchannels = letter\ndeadline = 14\n"
	"template = first\n"
	"fee = 5.00\ninterest = true\ncompensation = true\n"
	"[step again]\noffset = 100\nchannels = letter\ndeadline = 7\n"
	"template = second\n"
	"fee = 5.00\ninterest = true\ncompensation = true\n";

/* An instance whose strategy is `strategy`; NULL: the default one. */
static DsInstance *
letter_instance_with (const char *strategy)
{
	g_autofree char *root = g_build_filename (directory, "instance",
						  NULL);
	g_autofree char *text = g_strdup (ds_config_default_text ());
	g_autofree char *conf = NULL;
	g_autoptr (GError) error = NULL;
	DsInstance *instance;

	ck_assert_msg (ds_instance_create (root, &error), "%s",
		       error ? error->message : "");
	if (strategy != NULL)
		*strstr (text, "[strategy]") = '\0';
	conf = g_strconcat (text, strategy, NULL);
	g_free (ds_test_write (root, "dunspool.conf", conf));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	return instance;
}

static DsInstance *
letter_instance (void)
{
	return letter_instance_with (letter_strategy);
}

/* The entity DE01 and its customer C1, writing in `language`. */
static void
letter_parties_in (DsStore *ledger, const char *language)
{
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE", .jurisdiction = "DE",
		.iban = "DE89370400440532013000",
	};
	DsCustomer customer = {
		.customer_id = "C1", .name = "Kunde GmbH", .street = "Weg 1",
		.postal_code = "10115", .city = "Berlin", .country = "DE",
		.language = (char *) language, .currency = "EUR",
		.entity_id = "DE01",
		.b2b = TRUE,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_entity (ledger, &entity, &outcome, NULL));
	ck_assert (ds_ledger_put_customer (ledger, &customer, &outcome,
					   NULL));
}

/* An invoice of C1 issued 30 days before it is due. */
static void
letter_invoice (DsStore *ledger, const char *id, const char *due,
		gint64 amount)
{
	DsInvoice invoice = {
		.invoice_id = (char *) id, .customer_id = "C1",
		.issue_date = day (due) - 30, .due_date = day (due),
		.currency = "EUR", .amount = amount,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_invoice (ledger, &invoice, &outcome, NULL));
}

static void
letter_ledger_in (DsStore *ledger, const char *language)
{
	letter_parties_in (ledger, language);
	letter_invoice (ledger, "INV-9", "2023-06-20", 100000);
}

static void
letter_ledger (DsStore *ledger)
{
	letter_ledger_in (ledger, "en");
}

/* Plan, store and produce the day's documents; the last trace id. */
static char *
produce (DsInstance *instance, DsRenderer *renderer, const char *iso)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsPlan) plan = ds_planner_plan (instance->store,
		instance->config, day (iso), &error);
	char *trace_id = NULL;

	ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
	for (guint i = 0; i < plan->documents->len; i++) {
		DsDocument *document = plan->documents->pdata[i];
		DsProduction production = {
			instance, renderer, plan->open_items, day (iso),
		};
		g_autofree char *state = NULL;

		ck_assert (ds_document_insert (instance->store, document,
					       NULL, NULL));
		ck_assert_msg (ds_production_run (&production,
			document->trace_id, &state, &error), "%s",
			error ? error->message : "");
		ck_assert_str_eq (state, "ready");
		g_free (trace_id);
		trace_id = g_strdup (document->trace_id);
	}
	return trace_id;
}

static char *
pdf_text (DsStore *ledger, const char *trace_id)
{
	g_autoptr (DsDocument) document = ds_document_get (ledger, trace_id,
							   NULL);
	const char *argv[] = {
		"pdftotext", "-enc", "UTF-8", document->pdf_path, "-", NULL,
	};
	char *out = NULL;
	int status;

	ck_assert (g_spawn_sync (NULL, (char **) argv, NULL,
				 G_SPAWN_SEARCH_PATH |
				 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				 &out, NULL, &status, NULL));
	return out;
}

/* Line breaks and no-break spaces read as spaces. */
static void
assert_contains (const char *text, const char *wanted)
{
	g_auto (GStrv) parts = g_strsplit (text, "\u00a0", -1);
	g_autofree char *flat = g_strjoinv (" ", parts);

	g_strdelimit (flat, "\n", ' ');
	ck_assert_msg (strstr (flat, wanted) != NULL, "\"%s\" not in:\n%s",
		       wanted, text);
}

START_TEST (test_rules_letter_prints_interest_fee_compensation)
{
	g_autoptr (DsInstance) instance = letter_instance ();
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (DsRenderer) renderer = ds_renderer_new (templates, NULL,
							   NULL);
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autofree char *text = NULL;
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (DsClaimInput) input = NULL;

	ck_assert (renderer != NULL);
	letter_ledger (instance->store);
	/* 2023-06-20 + 72 = 2023-08-31: case 9, both lines, 23.50 */
	first = produce (instance, renderer, "2023-08-31");
	ck_assert (first != NULL);
	document = ds_document_get (instance->store, first, NULL);
	text = pdf_text (instance->store, first);
	assert_contains (text, "Interest on INV-9: 1,000.00 EUR from "
			 "21 Jun 2023 to 30 Jun 2023, 10 days at 10.62%");
	assert_contains (text, "62 days at 12.12%");
	assert_contains (text, "2.91 EUR");
	assert_contains (text, "20.59 EUR");
	assert_contains (text, "Fixed compensation for invoice INV-9 "
			 "(§ 288 (5) BGB)");
	assert_contains (text, "Dunning fee");
	assert_contains (text, "1,068.50 EUR");	/* 1000 + 23.50 + 40 + 5 */
	/* the record holds what the letter claims, not the items only */
	g_clear_pointer (&document, ds_document_free);
	document = ds_document_get (instance->store, first, NULL);
	ck_assert_int_eq (document->total, 106850);
	/* recorded once: fee, compensation and interest of INV-9 */
	input = ds_ledger_claim_read (instance->store, "C1",
				      day ("2023-09-01"), NULL);
	ck_assert_uint_eq (input->costs->len, 3);
	/* the next step: compensation not again, the first fee stays */
	second = produce (instance, renderer, "2023-09-28");
	ck_assert (second != NULL && strcmp (first, second) != 0);
	g_free (text);
	text = pdf_text (instance->store, second);
	assert_contains (text, "Dunning fee of our letter of 31 Aug 2023");
	ck_assert_msg (strstr (text, "Fixed compensation") != NULL, "%s",
		       text);
	g_clear_pointer (&input, ds_claim_input_free);
	input = ds_ledger_claim_read (instance->store, "C1",
				      day ("2023-09-28"), NULL);
	ck_assert_uint_eq (input->costs->len, 5);	/* + fee, interest */
}
END_TEST

/*
 * An earlier letter's costs go with its invoices: a letter the next day
 * about another invoice of the same customer claims neither the first
 * letter's fee nor its compensation (the fresh-eyes report's case-10
 * double claim).
 */
START_TEST (test_rules_letter_claims_only_its_invoices_costs)
{
	g_autoptr (DsInstance) instance = letter_instance ();
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (DsRenderer) renderer = ds_renderer_new (templates, NULL,
							   NULL);
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autofree char *text = NULL;
	DsInvoice later = {
		.invoice_id = "INV-10", .customer_id = "C1",
		.issue_date = day ("2023-05-22"),
		.due_date = day ("2023-06-21"), .currency = "EUR",
		.amount = 50000,
	};
	DsLedgerOutcome outcome;

	letter_ledger (instance->store);
	ck_assert (ds_ledger_put_invoice (instance->store, &later, &outcome,
					  NULL));
	first = produce (instance, renderer, "2023-08-31");	/* INV-9 */
	second = produce (instance, renderer, "2023-09-01");	/* INV-10 */
	ck_assert (first != NULL && second != NULL);
	text = pdf_text (instance->store, second);
	assert_contains (text, "Fixed compensation for invoice INV-10");
	ck_assert_msg (strstr (text, "invoice INV-9") == NULL, "%s", text);
	ck_assert_msg (strstr (text, "of our letter of") == NULL, "%s", text);
}
END_TEST

/*
 * Case 7 on paper: a reminder five days before 2024-06-20 goes out on
 * 2024-06-15 and asks for the invoice's open amount -- its item listed,
 * the total 100.00, no interest and no compensation -- never 0.00 with
 * an empty table.
 */
START_TEST (test_rules_letter_case7_pre_due_reminder)
{
	g_autoptr (DsInstance) instance = letter_instance_with (
		"[strategy]\nname = ahead\nsteps = pre;notice\n"
		"[step pre]\noffset = -5\nchannels = letter\ndeadline = 0\n"
		"template = reminder\n"
		"[step notice]\noffset = 14\nchannels = letter\n"
		"deadline = 10\ntemplate = first\nfee = 5.00\n"
		"interest = true\ncompensation = true\n");
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (DsRenderer) renderer = ds_renderer_new (templates, NULL,
							   NULL);
	g_autofree char *early = NULL;
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimItem *item;

	ck_assert (renderer != NULL);
	letter_parties_in (instance->store, "en");
	letter_invoice (instance->store, "INV-7", "2024-06-20", 10000);
	early = produce (instance, renderer, "2024-06-14");
	ck_assert (early == NULL);
	trace_id = produce (instance, renderer, "2024-06-15");
	ck_assert (trace_id != NULL);
	document = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (document->step, "pre");

	/* the letter's claim: the invoice, whole, and nothing on top */
	claim = ds_claim_letter_compute (instance->store, instance->config,
					 document, NULL, NULL);
	ck_assert (claim != NULL);
	ck_assert_uint_eq (claim->items->len, 1);
	item = claim->items->pdata[0];
	ck_assert_str_eq (item->invoice_id, "INV-7");
	ck_assert_int_eq (item->state, DS_CLAIM_ITEM_DUE_SOON);
	ck_assert_int_eq (item->open, 10000);
	ck_assert_int_eq (claim->interest_total, 0);
	ck_assert_int_eq (claim->compensation, 0);
	ck_assert_int_eq (claim->fees, 0);
	ck_assert_int_eq (claim->total, 10000);
	ck_assert_int_eq (document->total, 10000);

	/* and on paper: the item row, the total asked for */
	text = pdf_text (instance->store, trace_id);
	assert_contains (text, "INV-7");
	assert_contains (text, "Please transfer 100.00 EUR");
	ck_assert_msg (strstr (text, "Interest") == NULL, "%s", text);
	ck_assert_msg (strstr (text, "compensation") == NULL, "%s", text);
}
END_TEST

static char *
query_text (DsStore *ledger, const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (ledger, sql,
							       NULL);

	ck_assert (statement != NULL);
	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return g_strdup ((const char *) sqlite3_column_text (statement, 0));
}

/* The claim as `dunspool claim` shows it without options. */
static DsClaim *
claim_as_the_letters (DsInstance *instance, const char *iso)
{
	g_autofree char *rates_dir = ds_rate_tables_default_dir ();
	g_autoptr (DsRateTables) rates = ds_rate_tables_load (rates_dir,
							      NULL);
	g_autoptr (GError) error = NULL;
	DsClaimPolicy policy;
	DsClaim *claim;

	ck_assert (rates != NULL);
	ds_claim_policy_init (&policy, rates);
	policy.settled_since = DS_DATE_NONE;
	ck_assert (ds_claim_letter_customer_policy (instance->store,
		instance->config, "C1", day (iso), rates, &policy, &error));
	claim = ds_claim_compute (instance->store, "C1", day (iso), &policy,
				  &error);
	ck_assert_msg (claim != NULL, "%s", error ? error->message : "");
	return claim;
}

/*
 * The letter and the claim of one date agree once a payment leaves a
 * balance under § 367 BGB.  R-1 1,000.00 is paid in full by the ERP's
 * allocation on 2024-04-14, after the first notice claimed its
 * compensation and interest; § 367 puts 40.00 and 10.37 of the payment
 * to them, so 50.37 of R-1's principal survives.  The second notice of
 * 2024-04-20 claims it, beside R-2..R-4, exactly as `dunspool claim`
 * does (1,081.29), and shows where the payment went.
 */
START_TEST (test_rules_letter_claims_the_surviving_balance)
{
	g_autoptr (DsInstance) instance = letter_instance_with (NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (DsDocument) letter = NULL;
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;
	DsCycleTally tally = { 0 };
	DsLedgerOutcome outcome;

	letter_parties_in (instance->store, "en");
	letter_invoice (instance->store, "R-1", "2024-03-15", 100000);
	letter_invoice (instance->store, "R-2", "2024-03-15", 20000);
	letter_invoice (instance->store, "R-3", "2024-03-16", 30000);
	letter_invoice (instance->store, "R-4", "2024-03-17", 40000);
	ck_assert (ds_ledger_put_payment (instance->store, "P-1", "C1",
		day ("2024-04-14"), "EUR", 100000, "R-1", &outcome, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	for (DsDate d = day ("2024-03-15"); d <= day ("2024-04-01"); d++)
		ck_assert_msg (ds_cycle_run (cycle, d, &tally, &error), "%s",
			       error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day ("2024-04-20"), &tally,
				     &error), "%s",
		       error ? error->message : "");

	trace_id = query_text (instance->store,
		"SELECT trace_id FROM documents WHERE as_of = '2024-04-20'");
	letter = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_str_eq (letter->step, "second");
	claim = claim_as_the_letters (instance, "2024-04-20");
	ck_assert_int_eq (claim->total, 108129);
	ck_assert_int_eq (letter->total, claim->total);

	text = pdf_text (instance->store, trace_id);
	assert_contains (text, "1,081.29 EUR");
	assert_contains (text, "R-1");
	assert_contains (text, "50.37");
	assert_contains (text, "Payment P-1 of 14 Apr 2024 on invoice R-1 "
			 "(applied to costs and interest) -40.00 EUR");
	assert_contains (text, "-10.37 EUR");
	assert_contains (text, "Fixed compensation for invoice R-1");

	/* not lost silently: journaled once, when the payment came in */
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-1",
					     "balance-survives"), 1);
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-2",
					     "balance-survives"), 0);
	ck_assert (ds_cycle_run (cycle, day ("2024-04-21"), &tally, NULL));
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-1",
					     "balance-survives"), 1);
	g_free (text);
	text = query_text (instance->store, "SELECT evidence FROM journal"
			   " WHERE event = 'balance-survives'");
	assert_contains (text, "payment=P-1 principal=50.37 interest=0.10 "
			 "costs=0.00 currency=EUR");
}
END_TEST

/*
 * [rules] write_off (the shipped 1.00 EUR).  R-1 100.00 due 2024-03-01:
 * the notice of 2024-03-05 claims its interest, 0.14, and with fee
 * 10.00 in the second run its fee too.  The customer pays exactly
 * 100.00 that day; § 367 BGB gives 0.14 (10.14) of it to the costs and
 * interest, so that much of R-1's principal survives.  0.14 is written
 * off when the cycle of 2024-03-06 sees the payment: journaled once,
 * gone from the claim and from R-2's notice of 2024-03-14.  10.14 is
 * above it: journaled as surviving and claimed on R-2's notice.
 */
static const struct {
	const char *fee;
	gint64 surviving;
	gboolean written_off;
} write_offs[] = {
	{ "0.00", 14, TRUE },
	{ "10.00", 1014, FALSE },
};

/* What is owed of the invoice, principal and interest; -1: not listed. */
static gint64
item_open (const DsClaim *claim, const char *invoice_id,
	   DsClaimItemState *state)
{
	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (strcmp (item->invoice_id, invoice_id) != 0)
			continue;
		*state = item->state;
		return item->open + item->interest;
	}
	*state = DS_CLAIM_ITEM_SETTLED;
	return -1;
}

static void
run_days (DsCycle *cycle, const char *from, const char *to)
{
	g_autoptr (GError) error = NULL;
	DsCycleTally tally = { 0 };

	for (DsDate d = day (from); d <= day (to); d++)
		ck_assert_msg (ds_cycle_run (cycle, d, &tally, &error), "%s",
			       error ? error->message : "");
}

START_TEST (test_rules_small_surviving_balance_written_off)
{
	g_autofree char *strategy = g_strdup_printf (
		"[strategy]\nname = small\nsteps = notice\n"
		"[step notice]\noffset = 4\nchannels = letter\n"
		"deadline = 14\ntemplate = first\nfee = %s\n"
		"interest = true\ncompensation = false\n",
		write_offs[_i].fee);
	g_autoptr (DsInstance) instance = letter_instance_with (strategy);
	gboolean written_off = write_offs[_i].written_off;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (DsDocument) letter = NULL;
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;
	g_autofree char *waivers = NULL;
	DsClaimItemState state;
	DsLedgerOutcome outcome;

	letter_parties_in (instance->store, "en");
	letter_invoice (instance->store, "R-1", "2024-03-01", 10000);
	letter_invoice (instance->store, "R-2", "2024-03-10", 20000);
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	run_days (cycle, "2024-03-01", "2024-03-05");
	ck_assert (ds_ledger_put_payment (instance->store, "P-1", "C1",
		day ("2024-03-05"), "EUR", 10000, "R-1", &outcome, NULL));
	claim = claim_as_the_letters (instance, "2024-03-05");
	ck_assert_int_eq (item_open (claim, "R-1", &state),
			  write_offs[_i].surviving);
	ck_assert_int_eq (state, DS_CLAIM_ITEM_SURVIVING);
	g_clear_pointer (&claim, ds_claim_free);

	run_days (cycle, "2024-03-06", "2024-03-06");
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-1",
					     "written-off"), written_off);
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-1",
					     "balance-survives"),
			   !written_off);
	waivers = query_text (instance->store, "SELECT count(*) || ' ' ||"
			      " (SELECT count(*) FROM claim_waivers)"
			      " FROM journal WHERE event = 'waived'");
	/* a re-run of the date, and the next days, add nothing */
	run_days (cycle, "2024-03-06", "2024-03-14");
	run_days (cycle, "2024-03-06", "2024-03-06");
	ck_assert_uint_eq (journal_count_in (instance->store, "invoice", "R-1",
					     "written-off"), written_off);
	text = query_text (instance->store, "SELECT count(*) || ' ' ||"
			   " (SELECT count(*) FROM claim_waivers)"
			   " FROM journal WHERE event = 'waived'");
	ck_assert_str_eq (text, waivers);
	ck_assert_str_eq (text, written_off ? "1 1" : "0 0");
	g_clear_pointer (&text, g_free);

	claim = claim_as_the_letters (instance, "2024-03-14");
	trace_id = query_text (instance->store,
		"SELECT trace_id FROM documents WHERE as_of = '2024-03-14'");
	letter = ds_document_get (instance->store, trace_id, NULL);
	ck_assert_int_eq (letter->total, claim->total);
	if (written_off) {
		text = query_text (instance->store, "SELECT evidence FROM"
				   " journal WHERE event = 'written-off'");
		assert_contains (text, "payment=P-1 principal=0.14 "
				 "interest=0.00 costs=0.00 currency=EUR: "
				 "written off: surviving balance 0.14 EUR at "
				 "or below [rules] write_off 1.00 EUR");
		ck_assert_int_eq (item_open (claim, "R-1", &state), -1);
		/* R-2 and its interest, nothing of R-1 */
		ck_assert_int_eq (claim->principal, 20000);
		ck_assert_int_eq (letter->total,
				  20000 + claim->interest_total);
		g_clear_pointer (&text, g_free);
		text = pdf_text (instance->store, trace_id);
		ck_assert (strstr (text, "R-1") == NULL);
	} else {
		/* with interest on the 10.14 since 2024-03-05 */
		ck_assert_int_eq (item_open (claim, "R-1", &state), 1017);
		ck_assert_int_eq (state, DS_CLAIM_ITEM_SURVIVING);
		ck_assert_int_eq (claim->principal, 20000 + 1014);
	}
}
END_TEST

static const struct {
	const char *language;
	const char *interest;
	const char *compensation;
	const char *total;
} letter_languages[] = {
	{ "de", "Verzugszinsen auf INV-9: 1.000,00 EUR vom",
	  "Verzugspauschale für Rechnung INV-9", "1.068,50 EUR" },
	{ "fr", "Intérêts de retard sur INV-9 : 1 000,00 EUR du",
	  "Indemnité forfaitaire pour frais de recouvrement, facture INV-9",
	  "1 068,50 EUR" },
};

/* The charge lines in the other languages: words, numbers, glyphs. */
START_TEST (test_rules_letter_charges_in_each_language)
{
	g_autoptr (DsInstance) instance = letter_instance ();
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (DsRenderer) renderer = ds_renderer_new (templates, NULL,
							   NULL);
	g_autofree char *trace_id = NULL;
	g_autofree char *text = NULL;

	letter_ledger_in (instance->store, letter_languages[_i].language);
	trace_id = produce (instance, renderer, "2023-08-31");
	text = pdf_text (instance->store, trace_id);
	assert_contains (text, letter_languages[_i].interest);
	assert_contains (text, letter_languages[_i].compensation);
	assert_contains (text, letter_languages[_i].total);
}
END_TEST

/* The e-mail text and HTML list the same lines as the letter. */
START_TEST (test_rules_email_lists_charges)
{
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (DsRenderer) renderer = ds_renderer_new (templates, NULL,
							   NULL);
	g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_item_free);
	g_autoptr (GPtrArray) charges = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_charge_free);
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GError) error = NULL;
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE",
	};
	DsCustomer customer = {
		.customer_id = "C1", .name = "Kunde GmbH", .street = "Weg 1",
		.postal_code = "10115", .city = "Berlin", .country = "DE",
	};
	DsLetterItem *item = g_new0 (DsLetterItem, 1);
	DsLetterCharge *credit = g_new0 (DsLetterCharge, 1);
	DsLetterCharge *fee = g_new0 (DsLetterCharge, 1);
	DsLetter letter = {
		.entity = &entity, .customer = &customer,
		.trace_id = "DS0000000001", .step = "first",
		.language = "en", .date = day ("2024-02-15"),
		.currency = "EUR", .items = items, .charges = charges,
		.total = 50500,
	};

	item->invoice_id = g_strdup ("R5");
	item->issue_date = day ("2024-01-01");
	item->due_date = day ("2024-01-31");
	item->amount = 80000;
	item->paid = 30000;
	item->open = 50000;
	g_ptr_array_add (items, item);
	credit->kind = DS_LETTER_CHARGE_CREDIT_NOTE;
	credit->included = TRUE;
	credit->id = g_strdup ("G5A");
	credit->invoice_id = g_strdup ("R5");
	credit->date = day ("2024-02-01");
	credit->amount = 30000;
	g_ptr_array_add (charges, credit);
	fee->kind = DS_LETTER_CHARGE_FEE;
	fee->amount = 500;
	g_ptr_array_add (charges, fee);
	ck_assert (renderer != NULL);
	rendered = ds_renderer_render (renderer, &letter, &error);
	ck_assert_msg (rendered != NULL, "%s", error ? error->message : "");
	assert_contains (rendered->text, "- Credit note G5A of 1 Feb 2024 on "
			 "invoice R5 (included in Paid): 300.00 EUR");
	assert_contains (rendered->text, "- Dunning fee: 5.00 EUR");
	assert_contains (rendered->html, "Dunning fee: 5.00 EUR");
	assert_contains (rendered->text, "505.00 EUR");
}
END_TEST

static gint64
journal_records (DsStore *ledger)
{
	gint64 records = 0, bad = 0;

	ck_assert (ds_journal_verify (ledger, &records, &bad, NULL));
	return records;
}

/*
 * Down from 2023-08-01 to 2023-09-27: the first run takes the one step
 * that fell due, with its fee and compensation once; the same date three
 * times leaves the journal as after the first run.
 */
START_TEST (test_rules_cycle_catch_up_once_and_reruns_add_nothing)
{
	g_autoptr (DsInstance) instance = letter_instance ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (DsClaimInput) input = NULL;
	DsCycleTally tally = { 0 };
	gint64 after_first;

	letter_ledger (instance->store);
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert (ds_cycle_run (cycle, day ("2023-07-31"), &tally, NULL));
	ck_assert_int_eq (tally.planned, 0);
	ck_assert (ds_cycle_run (cycle, day ("2023-09-28"), &tally, &error));
	ck_assert_int_eq (tally.planned, 1);
	after_first = journal_records (instance->store);
	ck_assert (ds_cycle_run (cycle, day ("2023-09-28"), &tally, NULL));
	ck_assert (ds_cycle_run (cycle, day ("2023-09-28"), &tally, NULL));
	ck_assert_int_eq (tally.planned, 1);
	ck_assert_int_eq (journal_records (instance->store), after_first);
	input = ds_ledger_claim_read (instance->store, "C1",
				      day ("2023-09-28"), NULL);
	/* one fee, one compensation, the interest of INV-9 */
	ck_assert_uint_eq (input->costs->len, 3);
}
END_TEST

static Suite *
rules_suite (void)
{
	Suite *suite = suite_create ("rules");
	TCase *tc = tcase_create ("core");

	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_set_timeout (tc, 60);
	tcase_add_loop_test (tc, test_rules_config_error_names_file_line_key,
			     0, G_N_ELEMENTS (bad_configs));
	tcase_add_test (tc, test_rules_config_unknown_empty_group);
	tcase_add_test (tc, test_rules_segment_assigns_strategy);
	tcase_add_test (tc, test_rules_calendar_moves_step_and_deadline);
	tcase_add_test (tc, test_rules_exclusions);
	tcase_add_test (tc, test_rules_case6_promise_pauses_then_breaks);
	tcase_add_test (tc, test_rules_kept_promise_is_never_chased);
	tcase_add_test (tc, test_rules_escalation_after_final_step_once);
	tcase_add_test (tc, test_rules_ledger_events_once);
	tcase_add_test (tc, test_rules_daily_letter_limit_defers);
	tcase_add_test (tc, test_rules_touch_limit_and_gap);
	tcase_add_test (tc, test_rules_catch_up_fee_once);
	tcase_add_test (tc,
			test_rules_letter_prints_interest_fee_compensation);
	tcase_add_test (tc,
			test_rules_letter_claims_only_its_invoices_costs);
	tcase_add_test (tc, test_rules_email_lists_charges);
	tcase_add_test (tc, test_rules_letter_case7_pre_due_reminder);
	tcase_add_test (tc, test_rules_letter_claims_the_surviving_balance);
	tcase_add_loop_test (tc,
			     test_rules_small_surviving_balance_written_off,
			     0, G_N_ELEMENTS (write_offs));
	tcase_add_loop_test (tc, test_rules_letter_charges_in_each_language,
			     0, G_N_ELEMENTS (letter_languages));
	tcase_add_test (tc,
			test_rules_cycle_catch_up_once_and_reruns_add_nothing);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (rules_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
