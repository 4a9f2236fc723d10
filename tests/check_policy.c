/*
 * check_policy.c -- the next best action: the control group is a stable
 * share of customers, decisions reproduce and are journaled once with
 * their alternatives, waiting is bounded, the response statistics count
 * each decision's outcome once, when it is known, the channel report
 * adds them up, and in a replay the scorer takes over from the rules
 * once enough invoices were settled.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "channel-stats.h"
#include "cycle.h"
#include "document.h"
#include "instance.h"
#include "journal.h"
#include "ledger.h"
#include "policy.h"
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
put_customer (const char *id)
{
	DsCustomer customer = {
		.customer_id = (char *) id, .name = "Kunde GmbH",
		.street = "Weg 1", .postal_code = "50667", .city = "Köln",
		.country = "DE", .language = "de", .currency = "EUR",
		.entity_id = "DE01", .email = "ap@example.com", .b2b = TRUE,
		.paperless_since = day ("2012-01-01"),
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_customer (instance->store, &customer,
					   &outcome, NULL));
}

static void
put_invoice (const char *id, const char *customer, gint64 amount)
{
	DsInvoice invoice = {
		.invoice_id = (char *) id, .customer_id = (char *) customer,
		.issue_date = day ("2013-01-01"),
		.due_date = day ("2013-01-10"), .currency = "EUR",
		.amount = amount,
	};
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_invoice (instance->store, &invoice,
					  &outcome, NULL));
}

static void
put_payment (const char *id, const char *customer, const char *date,
	     gint64 amount, const char *invoice)
{
	DsLedgerOutcome outcome;

	ck_assert (ds_ledger_put_payment (instance->store, id, customer,
					  day (date), "EUR", amount, invoice,
					  &outcome, NULL));
}

/*
 * A fresh instance whose dunspool.conf has `strategy_text` (NULL: the
 * default strategy) and ends with `policy_text`.
 */
static void
open_instance_with (const char *strategy_text, const char *policy_text)
{
	g_autofree char *conf = NULL;
	g_autofree char *text = NULL;
	g_autofree char *whole = NULL;
	g_autoptr (GError) error = NULL;
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE",
	};
	DsLedgerOutcome outcome;

	ck_assert_msg (ds_instance_create (directory, &error), "%s",
		       error ? error->message : "");
	conf = g_build_filename (directory, "dunspool.conf", NULL);
	ck_assert (g_file_get_contents (conf, &text, NULL, NULL));
	if (strategy_text != NULL)
		*strstr (text, "[strategy]") = '\0';
	whole = g_strconcat (text, strategy_text ? strategy_text : "",
			     "\n[policy]\n", policy_text, NULL);
	ck_assert (g_file_set_contents (conf, whole, -1, NULL));
	instance = ds_instance_open (directory, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	ck_assert (ds_ledger_put_entity (instance->store, &entity, &outcome,
					 NULL));
}

static void
open_instance (const char *policy_text)
{
	open_instance_with (NULL, policy_text);
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

/* A "reminder" document (step 0 of the default strategy) by e-mail. */
static DsDocument *
reminder (const char *customer, const char *invoice, gint64 open,
	  const char *as_of)
{
	DsDocument *document = g_new0 (DsDocument, 1);
	DsDocumentItem *item = g_new0 (DsDocumentItem, 1);

	document->customer_id = g_strdup (customer);
	document->entity_id = g_strdup ("DE01");
	document->strategy = g_strdup ("default");
	document->step = g_strdup ("reminder");
	document->step_index = 0;
	document->channel = DS_CHANNEL_EMAIL;
	document->as_of = day (as_of);
	document->language = g_strdup ("de");
	document->currency = g_strdup ("EUR");
	document->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	item->invoice_id = g_strdup (invoice);
	item->open_amount = open;
	g_ptr_array_add (document->items, item);
	document->total = open;
	ds_document_derive_ids (instance->store, document);
	return document;
}

/* Open items of the documents' invoices, as the planner keeps them. */
static GHashTable *
open_items (const char *as_of)
{
	g_autoptr (GPtrArray) items = ds_ledger_open_items (instance->store,
							    day (as_of),
							    NULL);
	GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal,
		NULL, (GDestroyNotify) ds_open_item_free);

	ck_assert (items != NULL);
	g_ptr_array_set_free_func (items, NULL);
	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		g_hash_table_insert (table, item->invoice.invoice_id, item);
	}
	return table;
}

/* Every invoice scored as `late_probability`. */
static void
use_scores (DsPolicy *policy, double late_probability,
	    const char *const *invoices)
{
	g_autoptr (GPtrArray) scores = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_score_free);

	for (guint i = 0; invoices[i] != NULL; i++) {
		DsScore *score = g_new0 (DsScore, 1);

		score->invoice_id = g_strdup (invoices[i]);
		score->late_probability = late_probability;
		g_ptr_array_add (scores, score);
	}
	ds_policy_use_scores (policy, scores);
}

/* A customer id outside (or inside) the control group. */
static const char *
customer_in_control (gboolean control, const DsPolicySettings *settings)
{
	static char id[16];

	for (int i = 0;; i++) {
		g_snprintf (id, sizeof id, "K%04d", i);
		if (ds_policy_is_control (settings, id) == control)
			return id;
	}
}

static DsPolicy *
prepared_policy (const char *as_of, const char *const *invoices)
{
	g_autoptr (GError) error = NULL;
	DsPolicy *policy = ds_policy_new (instance, &error);

	ck_assert_msg (policy != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_policy_prepare (policy, day (as_of), &error), "%s",
		       error ? error->message : "");
	use_scores (policy, 0.8, invoices);
	return policy;
}

static void
decide (DsPolicy *policy, const DsDocument *document, const char *as_of,
	DsPolicyDecision *decision)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) items = open_items (as_of);
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		instance->store, document->customer_id, NULL);

	ck_assert (customer != NULL);
	ck_assert_msg (ds_policy_decide (policy, document, customer, items,
					 decision, &error), "%s",
		       error ? error->message : "");
}

/* ---- the control group ------------------------------------------------ */

START_TEST (test_control_split_share_and_stability)
{
	static const struct {
		double share;
		int low, high;		/* of 20,000 customers */
	} cases[] = {
		{ 0.0, 0, 0 },
		{ 0.15, 2800, 3200 },
		{ 0.5, 9700, 10300 },
		{ 1.0, 20000, 20000 },
	};
	DsPolicySettings settings, smaller;

	ds_policy_settings_init (&settings);
	ck_assert (fabs (settings.control_share - 0.15) < 1e-12);
	ds_policy_settings_init (&smaller);
	smaller.control_share = 0.10;
	for (gsize c = 0; c < G_N_ELEMENTS (cases); c++) {
		int count = 0;

		settings.control_share = cases[c].share;
		for (int i = 0; i < 20000; i++) {
			char id[16];
			gboolean control;

			g_snprintf (id, sizeof id, "%04d-C%05d", i % 9973, i);
			control = ds_policy_is_control (&settings, id);
			ck_assert (control ==
				   ds_policy_is_control (&settings, id));
			/* a larger share only adds customers */
			if (cases[c].share >= 0.10 &&
			    ds_policy_is_control (&smaller, id))
				ck_assert (control);
			count += control;
		}
		ck_assert_msg (count >= cases[c].low &&
			       count <= cases[c].high, "share %.2f: %d",
			       cases[c].share, count);
	}
}
END_TEST

START_TEST (test_control_customer_stays_on_rules)
{
	static const char *const invoices[] = { "I1", NULL };
	g_autoptr (DsPolicy) policy = NULL;
	g_autoptr (DsDocument) document = NULL;
	DsPolicyDecision decision;
	DsPolicySettings settings;
	const char *customer;

	open_instance ("control_share = 0.5\n");
	ds_policy_settings_init (&settings);
	settings.control_share = 0.5;
	customer = customer_in_control (TRUE, &settings);
	put_customer (customer);
	put_invoice ("I1", customer, 50000);
	policy = prepared_policy ("2013-01-20", invoices);
	document = reminder (customer, "I1", 50000, "2013-01-20");
	decide (policy, document, "2013-01-20", &decision);

	ck_assert (decision.control);
	ck_assert_int_eq (decision.verdict, DS_POLICY_RULES);
	ck_assert_int_eq (decision.channel, DS_CHANNEL_EMAIL);
	ck_assert (decision.propensity == 1.0);
}
END_TEST

/* ---- decisions -------------------------------------------------------- */

static guint
journal_decisions (const char *customer)
{
	g_autoptr (GPtrArray) records = ds_journal_for_object (
		instance->store, "customer", customer, NULL);
	guint count = 0;

	ck_assert (records != NULL);
	for (guint i = 0; i < records->len; i++) {
		const DsJournalRecord *record = g_ptr_array_index (records, i);

		if (strcmp (record->event, "decided") != 0)
			continue;
		ck_assert (strstr (record->evidence, "alternatives=email:"));
		ck_assert (strstr (record->evidence, "wait"));
		ck_assert (strstr (record->evidence, " p="));
		count++;
	}
	return count;
}

/* One decision about I1 on 2013-01-20 in a fresh instance. */
static void
decide_in_fresh_instance (DsPolicyDecision *decision)
{
	static const char *const invoices[] = { "I1", NULL };
	g_autoptr (DsPolicy) policy = NULL;
	g_autoptr (DsDocument) document = NULL;

	open_instance ("control_share = 0\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	policy = prepared_policy ("2013-01-20", invoices);
	document = reminder ("C1", "I1", 50000, "2013-01-20");
	decide (policy, document, "2013-01-20", decision);
}

START_TEST (test_decision_reproduces_and_is_journaled_once)
{
	static const char *const invoices[] = { "I1", NULL };
	g_autoptr (DsPolicy) policy = NULL;
	g_autoptr (DsDocument) document = NULL;
	DsPolicyDecision first, second, rerun;
	DsPolicyCounts counts;
	const char *customer = "C1";

	/* The same key, date and statistics draw the same numbers. */
	decide_in_fresh_instance (&first);
	teardown ();
	setup ();
	decide_in_fresh_instance (&second);

	/* A re-run of the day takes the recorded decision. */
	policy = prepared_policy ("2013-01-20", invoices);
	document = reminder (customer, "I1", 50000, "2013-01-20");
	decide (policy, document, "2013-01-20", &rerun);
	ck_assert_int_eq (rerun.verdict, first.verdict);
	ck_assert_int_eq (rerun.alternatives[rerun.chosen].action,
			  first.alternatives[first.chosen].action);
	ck_assert (rerun.propensity == first.propensity);

	ck_assert (!first.control);
	ck_assert_str_eq (first.segment, "high");
	/* e-mail and letter are both possible, and waiting */
	ck_assert_uint_eq (first.alternatives_count, 3);
	ck_assert_int_eq (first.alternatives[2].action, DS_POLICY_WAIT);
	ck_assert_uint_eq (first.chosen, second.chosen);
	ck_assert (first.propensity == second.propensity);
	ck_assert (first.propensity > 0 && first.propensity <= 1);
	for (guint i = 0; i < first.alternatives_count; i++)
		ck_assert (first.alternatives[i].value ==
			   second.alternatives[i].value);
	for (guint i = 0; i < first.alternatives_count; i++)
		ck_assert (first.alternatives[first.chosen].value >=
			   first.alternatives[i].value);

	ck_assert (ds_policy_count (instance->store, &counts, NULL));
	ck_assert_int_eq (counts.decisions, 1);
	ck_assert_uint_eq (journal_decisions (customer), 1);
}
END_TEST

START_TEST (test_wait_is_bounded)
{
	static const char *const invoices[] = { "I1", NULL };
	static const struct {
		const char *date;
		gboolean wait;
	} days[] = {
		{ "2013-01-20", TRUE }, { "2013-01-21", TRUE },
		{ "2013-01-22", TRUE }, { "2013-01-23", FALSE },
	};

	/* Waiting always looks best; it may last three days only. */
	open_instance ("control_share = 0\nprior_wait = 10000;1\n"
		       "prior_channel = 1;10000\nmax_wait_days = 3\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	for (gsize i = 0; i < G_N_ELEMENTS (days); i++) {
		g_autoptr (DsPolicy) policy = prepared_policy (days[i].date,
							       invoices);
		g_autoptr (DsDocument) document = reminder ("C1", "I1", 50000,
							    days[i].date);
		DsPolicyDecision decision;

		decide (policy, document, days[i].date, &decision);
		ck_assert_msg ((decision.verdict == DS_POLICY_SKIP) ==
			       days[i].wait, "%s", days[i].date);
	}
}
END_TEST

/* A pre-due reminder goes to high-risk documents only. */
START_TEST (test_pre_due_reminder_only_at_high_risk)
{
	static const char *const invoices[] = { "I1", NULL };
	static const struct {
		double risk;
		DsPolicyVerdict verdict;
		guint alternatives;
	} cases[] = {
		{ 0.1, DS_POLICY_SKIP, 1 },
		{ 0.3, DS_POLICY_SKIP, 1 },
		{ 0.9, DS_POLICY_PRE_DUE, 3 },
	};

	open_instance_with ("[strategy]\nname = default\n"
			    "steps = before;reminder\n"
			    "[step before]\noffset = -5\n"
			    "channels = email;letter\ndeadline = 0\n"
			    "[step reminder]\noffset = 3\n"
			    "channels = letter\ndeadline = 0\n",
			    "control_share = 0\nprior_wait = 1;1000\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *date = ds_date_to_iso (day ("2013-01-03") +
							i);
		g_autoptr (DsPolicy) policy = prepared_policy (date,
							       invoices);
		g_autoptr (DsDocument) document = reminder ("C1", "I1", 50000,
							    date);
		DsPolicyDecision decision;

		g_free (document->step);
		document->step = g_strdup ("before");
		ds_document_derive_ids (instance->store, document);
		use_scores (policy, cases[i].risk, invoices);
		decide (policy, document, date, &decision);
		ck_assert_int_eq (decision.verdict, cases[i].verdict);
		ck_assert_uint_eq (decision.alternatives_count,
				   cases[i].alternatives);
	}
}
END_TEST

/* ---- the bandit update ------------------------------------------------ */

static void
assert_responses (const char *action_name, int action, gint64 successes,
		  gint64 failures)
{
	gint64 s, f;

	ck_assert (ds_policy_responses (instance->store, "high", action,
					"reminder", &s, &f, NULL));
	ck_assert_msg (s == successes && f == failures,
		       "%s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
		       action_name, s, f);
}

static guint
learn (const char *as_of)
{
	g_autoptr (GError) error = NULL;
	DsPolicySettings settings;
	guint resolved = 99;

	ds_policy_settings_init (&settings);
	ck_assert_msg (ds_policy_learn (instance->store, &settings,
					day (as_of), &resolved, &error),
		       "%s", error ? error->message : "");
	return resolved;
}

START_TEST (test_bandit_update_counts_outcomes_once)
{
	static const char *const invoices[] = { "I1", "I2", NULL };
	g_autoptr (DsPolicy) policy = NULL;
	g_autoptr (DsDocument) paid = NULL;
	g_autoptr (DsDocument) unpaid = NULL;
	DsPolicyDecision paid_decision, unpaid_decision;
	int paid_action, unpaid_action;
	gint64 successes[DS_CHANNEL_COUNT + 1] = { 0 };
	gint64 failures[DS_CHANNEL_COUNT + 1] = { 0 };

	open_instance ("control_share = 0\nhorizon_days = 30\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	put_invoice ("I2", "C1", 70000);
	policy = prepared_policy ("2013-01-20", invoices);
	paid = reminder ("C1", "I1", 50000, "2013-01-20");
	unpaid = reminder ("C1", "I2", 70000, "2013-01-20");
	decide (policy, paid, "2013-01-20", &paid_decision);
	decide (policy, unpaid, "2013-01-20", &unpaid_decision);
	paid_action = paid_decision.alternatives[paid_decision.chosen].action;
	unpaid_action =
		unpaid_decision.alternatives[unpaid_decision.chosen].action;
	put_payment ("P1", "C1", "2013-02-01", 50000, "I1");

	/* Nothing is known yet: the payment counts from the next day. */
	ck_assert_uint_eq (learn ("2013-02-01"), 0);
	assert_responses ("paid", paid_action, 0, 0);

	/* The paid decision is a success as soon as the payment is known. */
	ck_assert_uint_eq (learn ("2013-02-02"), 1);
	successes[paid_action + 1]++;
	assert_responses ("paid", paid_action, successes[paid_action + 1],
			  failures[paid_action + 1]);

	/* The other fails once its 30 days have run, and only then. */
	ck_assert_uint_eq (learn ("2013-02-19"), 0);
	ck_assert_uint_eq (learn ("2013-02-20"), 1);
	failures[unpaid_action + 1]++;
	assert_responses ("unpaid", unpaid_action,
			  successes[unpaid_action + 1],
			  failures[unpaid_action + 1]);

	/* Learning again counts nothing twice. */
	ck_assert_uint_eq (learn ("2013-02-20"), 0);
	ck_assert_uint_eq (learn ("2013-06-01"), 0);
	assert_responses ("paid", paid_action, successes[paid_action + 1],
			  failures[paid_action + 1]);
}
END_TEST

/* A channel that never brings cash in loses to one that does. */
START_TEST (test_bandit_posterior_moves_choice)
{
	static const char *const invoices[] = { "I1", NULL };
	guint letters = 0;

	open_instance ("control_share = 0\nprior_wait = 1;1000\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	for (int i = 0; i < 30; i++) {
		g_autofree char *date = NULL;
		g_autoptr (DsPolicy) policy = NULL;
		g_autoptr (DsDocument) document = NULL;
		DsPolicyDecision decision;
		int action;

		date = ds_date_to_iso (day ("2013-01-20") + i);
		policy = prepared_policy (date, invoices);
		document = reminder ("C1", "I1", 50000, date);
		decide (policy, document, date, &decision);
		action = decision.alternatives[decision.chosen].action;
		letters += action == DS_CHANNEL_LETTER;
		/* e-mail never works, letters always do */
		ck_assert (ds_store_exec (instance->store, action ==
			DS_CHANNEL_LETTER ?
			"UPDATE policy_decisions SET outcome = 'paid'"
			" WHERE outcome IS NULL;"
			"INSERT INTO channel_responses VALUES"
			" ('high', 'letter', 'reminder', 1, 0)"
			" ON CONFLICT DO UPDATE SET successes = successes + 1"
			: "UPDATE policy_decisions SET outcome = 'unpaid'"
			" WHERE outcome IS NULL;"
			"INSERT INTO channel_responses VALUES"
			" ('high', 'email', 'reminder', 0, 1)"
			" ON CONFLICT DO UPDATE SET failures = failures + 1",
			NULL));
	}
	/* the last ten days: the letter nearly always */
	ck_assert_msg (letters >= 20, "letters %u of 30", letters);
}
END_TEST

/* ---- the channel report ---------------------------------------------- */

START_TEST (test_channel_report_figures)
{
	static const char *const invoices[] = { "I1", "I2", NULL };
	g_autoptr (DsPolicy) policy = NULL;
	g_autoptr (DsDocument) paid = NULL;
	g_autoptr (DsDocument) unpaid = NULL;
	g_autoptr (DsChannelStats) stats = NULL;
	g_autoptr (GError) error = NULL;
	DsPolicyDecision decisions[2];
	const DsChannelStatsRow *row;
	gint64 cost = 0, rows = 0;

	open_instance ("control_share = 0\n");
	put_customer ("C1");
	put_invoice ("I1", "C1", 50000);
	put_invoice ("I2", "C1", 70000);
	policy = prepared_policy ("2013-01-20", invoices);
	paid = reminder ("C1", "I1", 50000, "2013-01-20");
	unpaid = reminder ("C1", "I2", 70000, "2013-01-20");
	decide (policy, paid, "2013-01-20", &decisions[0]);
	decide (policy, unpaid, "2013-01-20", &decisions[1]);
	put_payment ("P1", "C1", "2013-02-01", 50000, "I1");
	for (int i = 0; i < 2; i++) {
		int action = decisions[i].alternatives[decisions[i].chosen]
			     .action;

		if (action != DS_POLICY_WAIT)
			cost += ds_policy_settings (policy)->cost[action];
	}

	stats = ds_channel_stats_build (instance->store, day ("2013-03-01"),
					&error);
	ck_assert_msg (stats != NULL, "%s", error ? error->message : "");
	/* no control group: one group, the policy's */
	ck_assert_uint_eq (stats->groups->len, 1);
	row = g_ptr_array_index (stats->groups, 0);
	ck_assert_str_eq (row->segment, "policy");
	ck_assert_int_eq (row->decisions, 2);
	/* paid 12 days after the decision: not within 7, within 14, 30 */
	ck_assert_int_eq (row->matured[0], 2);
	ck_assert_int_eq (row->paid[0], 0);
	ck_assert_int_eq (row->paid[1], 1);
	ck_assert_int_eq (row->paid[2], 1);
	ck_assert (row->median_days == 12);
	ck_assert_int_eq (row->collected, 50000);
	ck_assert_int_eq (row->cost, cost);
	for (guint i = 0; i < stats->rows->len; i++)
		rows += ((const DsChannelStatsRow *) g_ptr_array_index (
			stats->rows, i))->decisions;
	ck_assert_int_eq (rows, 2);

	ck_assert_int_eq (row->delivered, 0);

	/* a collector who reached the customer on a call: delivered */
	g_clear_pointer (&stats, ds_channel_stats_free);
	ck_assert (ds_document_insert (instance->store, paid, NULL, NULL));
	ck_assert (ds_store_exec (instance->store, "INSERT INTO tasks"
		" (trace_id, customer_id, kind, state, outcome, created_at)"
		" SELECT trace_id, customer_id, 'call', 'done', 'reached',"
		" '2013-01-21T09:00:00Z' FROM documents", NULL));
	stats = ds_channel_stats_build (instance->store, day ("2013-03-01"),
					NULL);
	row = g_ptr_array_index (stats->groups, 0);
	ck_assert_int_eq (row->delivered, 1);

	/* ten days after: the 14- and 30-day windows have not run */
	g_clear_pointer (&stats, ds_channel_stats_free);
	stats = ds_channel_stats_build (instance->store, day ("2013-01-30"),
					NULL);
	row = g_ptr_array_index (stats->groups, 0);
	ck_assert_int_eq (row->matured[0], 2);
	ck_assert_int_eq (row->matured[1], 0);
	ck_assert_int_eq (row->paid[0], 0);

	/* the printed report shows "-" where nothing has matured */
	{
		char *text = NULL;
		size_t size = 0;
		FILE *out = open_memstream (&text, &size);

		ds_channel_stats_print (stats, out);
		fclose (out);
		ck_assert_msg (strstr (text, "nan") == NULL, "%s", text);
		ck_assert (strstr (text, "    -      -") != NULL);
		free (text);
	}
}
END_TEST

/* ---- the scorer takes over in a replay ---------------------------------- */

/*
 * Ten customers, an invoice each every ten days of 2013's first half,
 * paid from 15 days early to 12 days late by customer.
 */
static void
load_history (void)
{
	for (int c = 0; c < 10; c++) {
		g_autofree char *customer = g_strdup_printf ("C%d", c);

		put_customer (customer);
		for (int n = 0; n < 18; n++) {
			g_autofree char *id = g_strdup_printf ("I%d-%02d", c,
							       n);
			g_autofree char *payment = g_strdup_printf ("P%d-%02d",
								    c, n);
			DsDate issued = day ("2013-01-01") + 10 * n;
			DsInvoice invoice = {
				.invoice_id = id, .customer_id = customer,
				.issue_date = issued, .due_date = issued + 30,
				.currency = "EUR", .amount = 10000 + 731 * n,
			};
			g_autofree char *paid = ds_date_to_iso (
				issued + 30 + 3 * c - 15);
			DsLedgerOutcome outcome;

			ck_assert (ds_ledger_put_invoice (instance->store,
							  &invoice, &outcome,
							  NULL));
			put_payment (payment, customer, paid, invoice.amount,
				     id);
		}
	}
}

static gint64
count (const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, sql, NULL);

	ck_assert (statement != NULL);
	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/*
 * After a replay has sent documents, the scorer's dunning columns of the
 * open items carry them: documents to the customer and about the
 * invoice, and the days since the last.
 */
static void
assert_dunning_columns_carried (DsDate as_of)
{
	g_autoptr (DsLedgerHistory) ledger = ds_ledger_history_load (
		instance->store, as_of, NULL);
	g_autoptr (DsDunningHistory) dunning = ds_dunning_history_load (
		instance->store, as_of, NULL);
	g_autoptr (DsFeatureMatrix) matrix = NULL;
	guint count, customer = 0, invoice = 0, since = 0;
	const DsFeature *features = ds_scorer_features_list (&count);

	ck_assert (ledger != NULL && dunning != NULL);
	matrix = ds_scorer_features_open_items (ledger, dunning, as_of);
	ck_assert_int_gt (matrix->rows, 0);
	for (guint row = 0; row < matrix->rows; row++) {
		const float *values = ds_feature_matrix_row (matrix, row);

		for (guint i = 0; i < count; i++) {
			const char *name = features[i].name;

			if (g_str_has_prefix (name, "customer_dunning_"))
				customer += values[i] > 0;
			else if (g_str_has_prefix (name, "dunning_"))
				invoice += values[i] > 0;
			else if (strcmp (name, "days_since_last_action") == 0)
				since += !isnan (values[i]);
		}
	}
	ck_assert_int_gt (customer, 0);
	ck_assert_int_gt (invoice, 0);
	ck_assert_int_gt (since, 0);
}

START_TEST (test_replay_scorer_takes_over)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (DsScorer) scorer = NULL;
	g_autofree char *model = NULL;
	DsCycleTally tally = { 0 };
	DsPolicyCounts counts;

	open_instance ("control_share = 0.2\nmin_settled = 40\n"
		       "retrain_days = 30\n");
	load_history ();
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_replay (cycle, day ("2013-01-01"),
					day ("2013-06-30"), &tally, &error),
		       "%s", error ? error->message : "");

	ck_assert (ds_policy_count (instance->store, &counts, NULL));
	ck_assert_int_gt (counts.decisions, 0);
	ck_assert_int_gt (counts.rules, counts.control);
	ck_assert (counts.first_scored != DS_DATE_NONE);
	/* rules until 40 invoices were settled, then the model; the
	 * control group on rules throughout */
	ck_assert_int_eq (count ("SELECT count (*) FROM policy_decisions"
				 " WHERE verdict = 'rules' AND control = 0"
				 " AND decided_on >= (SELECT min (decided_on)"
				 " FROM policy_decisions"
				 " WHERE verdict != 'rules')"), 0);
	ck_assert_int_eq (count ("SELECT count (*) FROM policy_decisions"
				 " WHERE control = 1 AND verdict != 'rules'"),
			  0);
	/* retrained monthly: the model on disk is the last month's */
	model = ds_instance_model_path (instance);
	scorer = ds_scorer_load (model, 1, &error);
	ck_assert_msg (scorer != NULL, "%s", error ? error->message : "");
	ck_assert (ds_scorer_trained_until (scorer) > day ("2013-05-31"));
	ck_assert (ds_scorer_trained_until (scorer) > counts.first_scored);
	assert_dunning_columns_carried (day ("2013-06-30"));
}
END_TEST

static Suite *
policy_suite (void)
{
	Suite *suite = suite_create ("policy");
	TCase *control = tcase_create ("control");
	TCase *decisions = tcase_create ("decisions");
	TCase *bandit = tcase_create ("bandit");
	TCase *takeover = tcase_create ("takeover");

	tcase_add_test (control, test_control_split_share_and_stability);
	tcase_add_checked_fixture (decisions, setup, teardown);
	tcase_add_test (decisions, test_control_customer_stays_on_rules);
	tcase_add_test (decisions,
			test_decision_reproduces_and_is_journaled_once);
	tcase_add_test (decisions, test_wait_is_bounded);
	tcase_add_test (decisions, test_pre_due_reminder_only_at_high_risk);
	tcase_add_checked_fixture (bandit, setup, teardown);
	tcase_add_test (bandit, test_bandit_update_counts_outcomes_once);
	tcase_add_test (bandit, test_bandit_posterior_moves_choice);
	tcase_add_test (bandit, test_channel_report_figures);
	tcase_set_timeout (bandit, 60);
	suite_add_tcase (suite, control);
	suite_add_tcase (suite, decisions);
	suite_add_tcase (suite, bandit);
	tcase_add_checked_fixture (takeover, setup, teardown);
	tcase_add_test (takeover, test_replay_scorer_takes_over);
	tcase_set_timeout (takeover, 120);
	suite_add_tcase (suite, takeover);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (policy_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
