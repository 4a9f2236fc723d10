/*
 * check_claim.c -- what is claimed: netting, legal allocation order,
 * interest, fees, fixed compensation and waivers, with the exact values
 * of cases 1 to 5 and 8 to 10 (the money cases) and the claim's part of
 * cases 6 and 7 (what a reminder ahead of the due date asks for); the
 * rest of them is the planner's.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"
#include "date.h"
#include "ds-error.h"
#include "journal.h"
#include "ledger-claim.h"
#include "money.h"
#include "rates.h"
#include "store.h"
#include "testutil.h"

static DsRateTables *rates;

static void
load_rates (void)
{
	g_autofree char *dir = ds_test_srcpath ("data/rates");
	g_autoptr (GError) error = NULL;

	rates = ds_rate_tables_load (dir, &error);
	if (rates == NULL)
		g_error ("%s", error->message);
}

static void
free_rates (void)
{
	g_clear_pointer (&rates, ds_rate_tables_free);
}

static DsDate
day (const char *iso)
{
	DsDate date = DS_DATE_NONE;

	if (!ds_date_parse_iso (iso, &date, NULL))
		g_error ("bad test date %s", iso);
	return date;
}

/* A policy with nothing on top of the principal unless a test asks. */
static DsClaimPolicy
plain_policy (void)
{
	DsClaimPolicy policy;

	ds_claim_policy_init (&policy, rates);
	policy.interest = FALSE;
	policy.compensation = FALSE;
	return policy;
}

static DsClaim *
compute (const DsClaimInput *input, const char *as_of,
	 const DsClaimPolicy *policy)
{
	g_autoptr (GError) error = NULL;
	DsClaim *claim = ds_claim_compute_input (input, day (as_of), policy,
						 &error);

	ck_assert_msg (claim != NULL, "%s", error ? error->message : "");
	return claim;
}

static const DsClaimItem *
item (const DsClaim *claim, guint index)
{
	ck_assert_uint_gt (claim->items->len, index);
	return claim->items->pdata[index];
}

static const DsClaimCost *
cost_of (const DsClaim *claim, DsClaimCostKind kind, const char *invoice)
{
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (cost->kind == kind &&
		    g_strcmp0 (cost->invoice_id, invoice) == 0)
			return cost;
	}
	return NULL;
}

static guint
count_new (const DsClaim *claim, DsClaimCostKind kind)
{
	guint count = 0;

	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		count += cost->kind == kind && cost->cost_id == 0;
	}
	return count;
}

static gboolean
has_note (const DsClaim *claim, const char *text)
{
	for (guint i = 0; i < claim->notes->len; i++)
		if (strstr (claim->notes->pdata[i], text) != NULL)
			return TRUE;
	return FALSE;
}

/* ---- case 1: a fee with zero interest ---- */

START_TEST (test_claim_case1_fee_with_zero_interest)
{
	/* as a step with interest off, and as a 0% contract rate (US) */
	static const char *const jurisdictions[] = { "DE", "US" };
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C1", "EUR", jurisdictions[_i], TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	g_autofree char *total = NULL;

	ds_claim_input_add_invoice (input, "INV-1", day ("2024-01-01"),
				    day ("2024-01-31"), 100000);
	policy.step_fee = 5000;
	if (_i == 1) {
		policy.interest = TRUE;
		policy.contract_rate_bp = 0;
	}
	claim = compute (input, "2024-03-01", &policy);

	ck_assert_int_eq (claim->principal, 100000);
	ck_assert_int_eq (claim->interest_total, 0);
	ck_assert_int_eq (claim->fees, 5000);
	ck_assert_int_eq (claim->compensation, 0);
	ck_assert_int_eq (claim->total, 105000);
	total = ds_money_to_decimal (claim->total, claim->currency);
	ck_assert_str_eq (total, "1050.00");
	ck_assert_uint_eq (count_new (claim, DS_CLAIM_COST_FEE), 1);
}
END_TEST

/* ---- case 2: costs survive payment of the principal ---- */

/*
 * Invoice X 100.00 due 2024-03-15; a notice on 2024-03-27 claimed a fee
 * of 10.00 and 12 days' interest, 0.41; the customer pays 100.00 for X
 * the same day.
 */
static DsClaimInput *
case2_input (const char *jurisdiction)
{
	DsClaimInput *input = ds_claim_input_new ("C2", "EUR", jurisdiction,
						  TRUE);

	ds_claim_input_add_invoice (input, "X", day ("2024-02-15"),
				    day ("2024-03-15"), 10000);
	ds_claim_input_add_cost (input, DS_CLAIM_COST_FEE, 1, "T1", NULL,
				 day ("2024-03-27"), 1000);
	ds_claim_input_add_cost (input, DS_CLAIM_COST_INTEREST, 2, "T1", "X",
				 day ("2024-03-27"), 41);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "P1",
				   day ("2024-03-27"), 10000, "X");
	return input;
}

START_TEST (test_claim_case2_de_allocates_costs_first)
{
	g_autoptr (DsClaimInput) input = case2_input ("DE");
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimCost *fee;

	policy.interest = TRUE;
	claim = compute (input, "2024-03-27", &policy);

	/* § 367 BGB: fee 10.00 and interest 0.41 paid first, 89.59 to
	 * principal, so 10.41 of the principal stays open */
	ck_assert_int_eq (claim->total, 1041);
	ck_assert_int_eq (item (claim, 0)->open, 1041);
	ck_assert_int_eq (item (claim, 0)->paid, 8959);
	fee = cost_of (claim, DS_CLAIM_COST_FEE, NULL);
	ck_assert_int_eq (fee->paid, 1000);
	ck_assert_int_eq (fee->open, 0);
	ck_assert_int_eq (claim->interest_total, 0);
	ck_assert_uint_eq (claim->applications->len, 3);
}
END_TEST

/*
 * The ERP sees X paid: the payment names it and covers it.  § 367 put
 * part of it to the fee and interest first, so principal survives: the
 * item says so, is claimed, and a note tells why.
 */
START_TEST (test_claim_surviving_balance_is_named)
{
	g_autoptr (DsClaimInput) de = case2_input ("DE");
	g_autoptr (DsClaimInput) at = case2_input ("AT");
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (DsClaim) settled = NULL;
	g_autoptr (JsonNode) json = NULL;
	JsonObject *first;

	policy.interest = TRUE;
	claim = compute (de, "2024-04-10", &policy);
	settled = compute (at, "2024-04-10", &policy);

	ck_assert_int_eq (item (claim, 0)->state, DS_CLAIM_ITEM_SURVIVING);
	ck_assert (ds_claim_item_claimed (item (claim, 0)));
	ck_assert_int_eq (item (claim, 0)->open, 1041);
	ck_assert_int_eq (item (claim, 0)->days_overdue, 26);
	ck_assert_int_eq (claim->principal, 1041);
	ck_assert (has_note (claim, "§ 367 BGB"));
	ck_assert (has_note (claim, "still owed (EUR): X 10.41;"));
	json = ds_claim_to_json (claim);
	first = json_array_get_object_element (json_object_get_array_member (
		json_node_get_object (json), "items"), 0);
	ck_assert_str_eq (json_object_get_string_member (first, "state"),
			  "surviving");
	/* no legal order: the payment paid principal, the costs stay */
	ck_assert_int_eq (item (settled, 0)->state, DS_CLAIM_ITEM_SETTLED);
	ck_assert (!has_note (settled, "still owed"));
}
END_TEST

START_TEST (test_claim_case2_eu_costs_stay_after_principal)
{
	g_autoptr (DsClaimInput) input = case2_input ("AT");
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) now = NULL;
	g_autoptr (DsClaim) later = NULL;

	policy.interest = TRUE;
	now = compute (input, "2024-03-27", &policy);
	later = compute (input, "2024-09-30", &policy);

	/* the payment goes to principal; fee and interest stay: 10.41 */
	for (int i = 0; i < 2; i++) {
		const DsClaim *claim = i == 0 ? now : later;

		ck_assert_int_eq (claim->principal, 0);
		ck_assert_int_eq (claim->fees, 1000);
		ck_assert_int_eq (claim->interest_total, 41);
		ck_assert_int_eq (claim->total, 1041);
		ck_assert_int_eq (item (claim, 0)->state,
				  DS_CLAIM_ITEM_SETTLED);
	}
}
END_TEST

START_TEST (test_claim_case2_waiver_clears_it)
{
	static const char *const jurisdictions[] = { "DE", "AT" };
	g_autoptr (DsClaimInput) input = case2_input (jurisdictions[_i]);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;

	policy.interest = TRUE;
	((DsClaimCost *) input->costs->pdata[0])->waived = TRUE;
	ds_claim_input_waive_interest (input, "X", day ("2024-04-02"));
	claim = compute (input, "2024-04-02", &policy);

	/* nothing is left, so the paid invoice drops out of the claim */
	ck_assert_int_eq (claim->total, 0);
	ck_assert_uint_eq (claim->items->len, 0);
	ck_assert_uint_eq (claim->interest->len, 0);
}
END_TEST

/* ---- case 3: legal allocation order, Germany § 367 ---- */

START_TEST (test_claim_case3_section_367)
{
	/* consumer, 2023 H1: 6.62%; 14 days on 100.00 = 0.25 */
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C3", "EUR", "DE", FALSE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimApplication *first, *second, *third;

	ds_claim_input_add_invoice (input, "Y", day ("2023-02-01"),
				    day ("2023-03-01"), 10000);
	ds_claim_input_add_cost (input, DS_CLAIM_COST_FEE, 1, "T1", NULL,
				 day ("2023-03-10"), 500);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "P1",
				   day ("2023-03-15"), 5000, "Y");
	policy.interest = TRUE;
	claim = compute (input, "2023-03-15", &policy);

	ck_assert_uint_eq (claim->applications->len, 3);
	first = claim->applications->pdata[0];
	second = claim->applications->pdata[1];
	third = claim->applications->pdata[2];
	ck_assert_int_eq (first->target, DS_CLAIM_TO_COST);
	ck_assert_int_eq (first->amount, 500);
	ck_assert_int_eq (second->target, DS_CLAIM_TO_INTEREST);
	ck_assert_int_eq (second->amount, 25);
	ck_assert_int_eq (third->target, DS_CLAIM_TO_PRINCIPAL);
	ck_assert_int_eq (third->amount, 4475);
	ck_assert_int_eq (item (claim, 0)->open, 5525);
	ck_assert_int_eq (claim->total, 5525);
}
END_TEST

START_TEST (test_claim_unclaimed_invoice_payment_goes_to_principal)
{
	/* no earlier claim: a payment for the invoice pays principal, and
	 * the ledger and the claim agree on what is open */
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C3", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;

	ds_claim_input_add_invoice (input, "Y", day ("2023-02-01"),
				    day ("2023-03-01"), 10000);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "P1",
				   day ("2023-03-15"), 5000, "Y");
	policy.interest = TRUE;
	claim = compute (input, "2023-03-15", &policy);

	ck_assert_int_eq (item (claim, 0)->open, 5000);
	ck_assert_uint_eq (claim->applications->len, 1);
}
END_TEST

static const struct {
	const char *jurisdiction;
	DsClaimTarget first;
	DsClaimTarget last;
} legal_orders[] = {
	{ "DE", DS_CLAIM_TO_COST, DS_CLAIM_TO_PRINCIPAL },	/* § 367 */
	{ "CH", DS_CLAIM_TO_COST, DS_CLAIM_TO_PRINCIPAL },	/* art. 85 */
	{ "FR", DS_CLAIM_TO_INTEREST, DS_CLAIM_TO_PRINCIPAL },	/* 1343-1 */
	{ "AT", DS_CLAIM_TO_PRINCIPAL, DS_CLAIM_TO_PRINCIPAL },
};

START_TEST (test_claim_payment_follows_the_legal_order)
{
	g_autoptr (DsClaimInput) input = ds_claim_input_new (
		"C3", "EUR", legal_orders[_i].jurisdiction, TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimApplication *first, *last;
	gint64 accrued = 0;

	ds_claim_input_add_invoice (input, "Y", day ("2024-01-01"),
				    day ("2024-01-31"), 100000);
	ds_claim_input_add_cost (input, DS_CLAIM_COST_FEE, 1, "T1", NULL,
				 day ("2024-02-10"), 500);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "P1",
				   day ("2024-02-20"), 2000, "Y");
	policy.interest = TRUE;
	claim = compute (input, "2024-02-20", &policy);

	first = claim->applications->pdata[0];
	last = claim->applications->pdata[claim->applications->len - 1];
	ck_assert_int_eq (first->target, legal_orders[_i].first);
	ck_assert_int_eq (last->target, legal_orders[_i].last);
	/* whatever the order, the whole payment is accounted for */
	for (guint i = 0; i < claim->interest->len; i++)
		accrued += ((DsClaimInterest *)
			    claim->interest->pdata[i])->line.amount;
	ck_assert_int_gt (accrued, 0);
	ck_assert_int_eq (claim->total, 100000 + 500 + accrued - 2000);
}
END_TEST

/* ---- case 4: instalments ---- */

static DsClaimInput *
case4_input (void)
{
	DsClaimInput *input = ds_claim_input_new ("C4", "EUR", "DE", TRUE);
	DsClaimInvoice *invoice = ds_claim_input_add_invoice (
		input, "Z", day ("2024-01-01"), day ("2024-02-29"), 100000);

	ds_claim_invoice_add_instalment (invoice, 1, day ("2024-01-31"),
					 50000);
	ds_claim_invoice_add_instalment (invoice, 2, day ("2024-02-29"),
					 50000);
	return input;
}

START_TEST (test_claim_case4_instalments)
{
	g_autoptr (DsClaimInput) input = case4_input ();
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = compute (input, "2024-02-10", &policy);
	char due[DS_DATE_ISO_LEN];

	ck_assert_int_eq (claim->total, 50000);
	ck_assert_uint_eq (claim->items->len, 2);
	ck_assert_int_eq (item (claim, 0)->state, DS_CLAIM_ITEM_OVERDUE);
	ck_assert_int_eq (item (claim, 0)->instalment, 1);
	ck_assert_int_eq (item (claim, 0)->instalments, 2);
	ds_date_format_iso (item (claim, 0)->due_date, due);
	ck_assert_str_eq (due, "2024-01-31");
	ck_assert_int_eq (item (claim, 0)->days_overdue, 10);
	ck_assert_int_eq (item (claim, 1)->state, DS_CLAIM_ITEM_NOT_DUE);
	ck_assert_int_eq (item (claim, 1)->open, 50000);
}
END_TEST

/* ---- case 7: a reminder ahead of the due date ---- */

START_TEST (test_claim_case7_pre_due_reminder_claims_the_invoice)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C7", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) ahead = NULL;
	g_autoptr (DsClaim) too_early = NULL;
	g_autoptr (DsClaim) without = NULL;

	ds_claim_input_add_invoice (input, "I1", day ("2024-05-21"),
				    day ("2024-06-20"), 10000);
	/* a step 5 days before due, with what a notice would add */
	policy.interest = TRUE;
	policy.compensation = TRUE;
	policy.step_fee = 500;
	policy.ahead_days = 5;
	ahead = compute (input, "2024-06-15", &policy);
	too_early = compute (input, "2024-06-14", &policy);
	policy.ahead_days = 0;
	without = compute (input, "2024-06-15", &policy);

	/* the whole open amount, no interest, no compensation, no fee:
	 * nothing is late yet */
	ck_assert_int_eq (item (ahead, 0)->state, DS_CLAIM_ITEM_DUE_SOON);
	ck_assert (ds_claim_item_claimed (item (ahead, 0)));
	ck_assert_int_eq (item (ahead, 0)->days_overdue, 0);
	ck_assert_int_eq (ahead->principal, 10000);
	ck_assert_int_eq (ahead->interest_total, 0);
	ck_assert_int_eq (ahead->compensation, 0);
	ck_assert_int_eq (ahead->fees, 0);
	ck_assert_int_eq (ahead->total, 10000);
	ck_assert_uint_eq (ahead->interest->len, 0);
	/* outside the days ahead, and for other steps: not claimed */
	ck_assert_int_eq (item (too_early, 0)->state, DS_CLAIM_ITEM_NOT_DUE);
	ck_assert_int_eq (too_early->total, 0);
	ck_assert_int_eq (item (without, 0)->state, DS_CLAIM_ITEM_NOT_DUE);
	ck_assert_int_eq (without->total, 0);
}
END_TEST

/* Ahead of an instalment: that instalment, not the invoice's rest. */
START_TEST (test_claim_pre_due_reminder_of_an_instalment)
{
	g_autoptr (DsClaimInput) input = case4_input ();
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;

	policy.ahead_days = 5;
	claim = compute (input, "2024-01-26", &policy);
	ck_assert_int_eq (item (claim, 0)->state, DS_CLAIM_ITEM_DUE_SOON);
	ck_assert_int_eq (item (claim, 1)->state, DS_CLAIM_ITEM_NOT_DUE);
	ck_assert_int_eq (claim->total, 50000);
}
END_TEST

START_TEST (test_claim_instalment_interest_from_its_own_due_date)
{
	g_autoptr (DsClaimInput) input = case4_input ();
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimInterest *interest;

	policy.interest = TRUE;
	claim = compute (input, "2024-02-10", &policy);

	/* 10 days at 12.62% on 500.00 */
	ck_assert_uint_eq (claim->interest->len, 1);
	interest = claim->interest->pdata[0];
	ck_assert_int_eq (interest->instalment, 1);
	ck_assert_int_eq (interest->line.days, 10);
	ck_assert_int_eq (interest->line.amount, 173);
}
END_TEST

START_TEST (test_claim_instalments_must_add_up)
{
	g_autoptr (DsClaimInput) input = case4_input ();
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (GError) error = NULL;
	DsClaimInvoice *invoice = input->invoices->pdata[0];

	invoice->amount = 90000;
	ck_assert_ptr_null (ds_claim_compute_input (input, day ("2024-02-10"),
						    &policy, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
}
END_TEST

/* ---- case 5: credit notes ---- */

START_TEST (test_claim_case5_credit_notes)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C5", "EUR", "FR", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	DsClaimCredit *cancelled;

	ds_claim_input_add_invoice (input, "F", day ("2024-01-01"),
				    day ("2024-01-31"), 80000);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_NOTE, "CN-1",
				   day ("2024-02-05"), 30000, NULL);
	cancelled = ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_NOTE,
					       "CN-2", day ("2024-02-06"),
					       20000, "F");
	cancelled->cancelled = TRUE;
	claim = compute (input, "2024-02-20", &policy);

	ck_assert_int_eq (claim->total, 50000);
	ck_assert_int_eq (item (claim, 0)->credited, 30000);
	ck_assert_uint_eq (claim->credits->len, 1);
	ck_assert_str_eq (((DsClaimCredit *) claim->credits->pdata[0])
			  ->credit_id, "CN-1");
}
END_TEST

START_TEST (test_claim_unapplied_cash_nets_the_total)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C5", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;

	ds_claim_input_add_invoice (input, "A", day ("2024-01-01"),
				    day ("2024-01-31"), 30000);
	ds_claim_input_add_invoice (input, "B", day ("2024-01-05"),
				    day ("2024-02-05"), 20000);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "P9",
				   day ("2024-02-10"), 60000, NULL);
	claim = compute (input, "2024-02-20", &policy);

	ck_assert_int_eq (claim->unapplied, 10000);
	ck_assert_int_eq (claim->total, -10000);
	ck_assert (has_note (claim, "credit balance"));
}
END_TEST

/* ---- case 6 (the claim's part): disputed invoices are not claimed ---- */

START_TEST (test_claim_disputed_invoice_not_claimed)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C6", "EUR", "DE", TRUE);
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;
	DsClaimInvoice *disputed;

	ds_claim_policy_init (&policy, rates);
	disputed = ds_claim_input_add_invoice (input, "D", day ("2024-01-01"),
					       day ("2024-01-31"), 70000);
	disputed->disputed = TRUE;
	ds_claim_input_add_invoice (input, "E", day ("2024-01-01"),
				    day ("2024-01-31"), 10000);
	claim = compute (input, "2024-03-01", &policy);

	ck_assert_int_eq (item (claim, 0)->state, DS_CLAIM_ITEM_DISPUTED);
	ck_assert_int_eq (claim->principal, 10000);
	ck_assert_ptr_null (cost_of (claim, DS_CLAIM_COST_COMPENSATION, "D"));
	for (guint i = 0; i < claim->interest->len; i++)
		ck_assert_str_eq (((DsClaimInterest *)
				   claim->interest->pdata[i])->invoice_id,
				  "E");
}
END_TEST

/* ---- case 8 (the claim's part): the printed deadline ---- */

START_TEST (test_claim_case8_deadline)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C8", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	char deadline[DS_DATE_ISO_LEN];

	ds_claim_input_add_invoice (input, "G", day ("2023-12-01"),
				    day ("2023-12-31"), 10000);
	policy.deadline_days = 14;
	claim = compute (input, "2024-01-15", &policy);
	ds_date_format_iso (claim->deadline, deadline);
	ck_assert_str_eq (deadline, "2024-01-29");
}
END_TEST

/* ---- case 9: rate change inside the late period ---- */

START_TEST (test_claim_case9_two_interest_lines)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C9", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimInterest *first, *second;

	ds_claim_input_add_invoice (input, "H", day ("2023-05-20"),
				    day ("2023-06-20"), 100000);
	policy.interest = TRUE;
	claim = compute (input, "2023-08-31", &policy);

	ck_assert_uint_eq (claim->interest->len, 2);
	first = claim->interest->pdata[0];
	second = claim->interest->pdata[1];
	ck_assert_int_eq (first->line.days, 10);
	ck_assert_int_eq (first->line.rate_bp, 1062);
	ck_assert_int_eq (first->line.amount, 291);
	ck_assert_int_eq (second->line.days, 62);
	ck_assert_int_eq (second->line.rate_bp, 1212);
	ck_assert_int_eq (second->line.amount, 2059);
	ck_assert_int_eq (claim->interest_total, 2350);
	ck_assert_int_eq (claim->total, 102350);
}
END_TEST

/* ---- case 10: statutory interest and fixed compensation ---- */

static DsClaimInput *
case10_input (void)
{
	DsClaimInput *input = ds_claim_input_new ("C10", "EUR", "DE", TRUE);

	ds_claim_input_add_invoice (input, "A", day ("2024-02-15"),
				    day ("2024-03-15"), 100000);
	ds_claim_input_add_invoice (input, "B", day ("2024-02-20"),
				    day ("2024-03-20"), 20000);
	ds_claim_input_add_invoice (input, "C", day ("2024-03-01"),
				    day ("2024-04-01"), 30000);
	ds_claim_input_add_credit (input, DS_CLAIM_CREDIT_PAYMENT, "PA",
				   day ("2024-04-14"), 100000, "A");
	return input;
}

START_TEST (test_claim_case10_interest_and_compensation)
{
	g_autoptr (DsClaimInput) input = case10_input ();
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;
	const DsClaimInterest *paid_late = NULL;
	static const char *const late[] = { "A", "B", "C" };

	ds_claim_policy_init (&policy, rates);
	claim = compute (input, "2024-04-20", &policy);

	for (guint i = 0; i < claim->interest->len; i++) {
		const DsClaimInterest *interest = claim->interest->pdata[i];

		if (strcmp (interest->invoice_id, "A") == 0)
			paid_late = interest;
	}
	ck_assert_ptr_nonnull (paid_late);
	ck_assert_int_eq (paid_late->line.days, 30);
	ck_assert_int_eq (paid_late->line.rate_bp, 1262);
	ck_assert_int_eq (paid_late->line.amount, 1037);

	for (gsize i = 0; i < G_N_ELEMENTS (late); i++) {
		const DsClaimCost *cost = cost_of (
			claim, DS_CLAIM_COST_COMPENSATION, late[i]);

		ck_assert_msg (cost != NULL, "no compensation for %s",
			       late[i]);
		ck_assert_int_eq (cost->amount, 4000);
		ck_assert_ptr_nonnull (strstr (cost->basis, "288 (5)"));
	}
	ck_assert_int_eq (claim->compensation, 12000);
}
END_TEST

/* § 288 (5) BGB holds for invoices from 29 July 2014 on, not before. */
START_TEST (test_claim_no_compensation_before_the_law)
{
	g_autoptr (DsClaimInput) input = ds_claim_input_new ("C11", "EUR",
							     "DE", TRUE);
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;

	ds_claim_input_add_invoice (input, "OLD", day ("2014-07-28"),
				    day ("2014-08-27"), 100000);
	ds_claim_input_add_invoice (input, "NEW", day ("2014-07-29"),
				    day ("2014-08-28"), 100000);
	ds_claim_policy_init (&policy, rates);
	claim = compute (input, "2014-10-01", &policy);
	ck_assert_ptr_null (cost_of (claim, DS_CLAIM_COST_COMPENSATION,
				     "OLD"));
	ck_assert_ptr_nonnull (cost_of (claim, DS_CLAIM_COST_COMPENSATION,
					"NEW"));
	ck_assert_int_eq (claim->compensation, 4000);
}
END_TEST

START_TEST (test_claim_compensation_never_twice)
{
	g_autoptr (DsClaimInput) input = case10_input ();
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;
	DsClaimCost *waived;

	ds_claim_policy_init (&policy, rates);
	policy.settled_since = day ("2024-04-01");
	ds_claim_input_add_cost (input, DS_CLAIM_COST_COMPENSATION, 5, "T0",
				 "B", day ("2024-04-05"), 4000);
	waived = ds_claim_input_add_cost (input, DS_CLAIM_COST_COMPENSATION,
					  6, "T0", "C", day ("2024-04-05"),
					  4000);
	waived->waived = TRUE;
	claim = compute (input, "2024-04-20", &policy);

	/* B's was claimed before, C's was waived: only A's is new */
	ck_assert_uint_eq (count_new (claim, DS_CLAIM_COST_COMPENSATION), 1);
	ck_assert_int_eq (cost_of (claim, DS_CLAIM_COST_COMPENSATION, "A")
			  ->cost_id, 0);
	ck_assert_int_eq (claim->compensation, 8000);
}
END_TEST

START_TEST (test_claim_paid_late_out_of_scope)
{
	/* without settled_since, an invoice paid late that nobody claimed
	 * is not reopened for interest */
	g_autoptr (DsClaimInput) input = case10_input ();
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;

	ds_claim_policy_init (&policy, rates);
	policy.settled_since = DS_DATE_NONE;
	claim = compute (input, "2024-04-20", &policy);

	ck_assert_ptr_null (cost_of (claim, DS_CLAIM_COST_COMPENSATION, "A"));
	ck_assert_uint_eq (claim->items->len, 2);
	ck_assert_uint_eq (claim->credits->len, 0);
}
END_TEST

START_TEST (test_claim_uk_fixed_sums_by_band)
{
	static const struct {
		gint64 debt;
		gint64 fixed;
	} bands[] = {
		{ 99999, 4000 }, { 100000, 7000 }, { 999999, 7000 },
		{ 1000000, 10000 },
	};
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C11", "GBP", "GB", TRUE);
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS (bands); i++) {
		g_autofree char *id = g_strdup_printf ("U%zu", i);

		ds_claim_input_add_invoice (input, id, day ("2024-01-01"),
					    day ("2024-01-31"),
					    bands[i].debt);
	}
	ds_claim_policy_init (&policy, rates);
	claim = compute (input, "2024-03-01", &policy);
	for (gsize i = 0; i < G_N_ELEMENTS (bands); i++) {
		g_autofree char *id = g_strdup_printf ("U%zu", i);

		ck_assert_int_eq (cost_of (claim, DS_CLAIM_COST_COMPENSATION,
					   id)->amount, bands[i].fixed);
	}
}
END_TEST

START_TEST (test_claim_no_statutory_interest_says_so)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C12", "USD", "US", TRUE);
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;

	ds_claim_input_add_invoice (input, "U", day ("2024-01-01"),
				    day ("2024-01-31"), 10000);
	ds_claim_policy_init (&policy, rates);
	claim = compute (input, "2024-03-01", &policy);

	ck_assert_uint_eq (claim->interest->len, 0);
	ck_assert_ptr_nonnull (strstr (claim->interest_basis,
				       "no contract rate"));
	ck_assert_int_eq (claim->total, 10000);
}
END_TEST

START_TEST (test_claim_other_currency_left_out)
{
	g_autoptr (DsClaimInput) input =
		ds_claim_input_new ("C13", "EUR", "DE", TRUE);
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	DsClaimInvoice *dollars;

	ds_claim_input_add_invoice (input, "E1", day ("2024-01-01"),
				    day ("2024-01-31"), 10000);
	dollars = ds_claim_input_add_invoice (input, "U1", day ("2024-01-01"),
					      day ("2024-01-31"), 50000);
	g_free (dollars->currency);
	dollars->currency = g_strdup ("USD");
	claim = compute (input, "2024-03-01", &policy);

	ck_assert_int_eq (claim->total, 10000);
	ck_assert (has_note (claim, "U1"));
}
END_TEST

START_TEST (test_claim_json_money_is_decimal_text)
{
	g_autoptr (DsClaimInput) input = case10_input ();
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (JsonNode) node = NULL;
	JsonObject *root;
	JsonArray *interest;

	ds_claim_policy_init (&policy, rates);
	policy.settled_since = day ("2024-04-01");
	claim = compute (input, "2024-04-20", &policy);
	node = ds_claim_to_json (claim);
	root = json_node_get_object (node);

	ck_assert_str_eq (json_object_get_string_member (root, "currency"),
			  "EUR");
	ck_assert_str_eq (json_object_get_string_member (
		json_object_get_object_member (root, "totals"),
		"compensation"), "120.00");
	interest = json_object_get_array_member (root, "interest");
	ck_assert_str_eq (json_object_get_string_member (
		json_array_get_object_element (interest, 0), "amount"),
		"10.37");
	ck_assert_str_eq (json_object_get_string_member (
		json_array_get_object_element (interest, 0), "rate"),
		"12.62");
	ck_assert_str_eq (json_object_get_string_member (root, "as_of"),
			  "2024-04-20");
}
END_TEST

START_TEST (test_claim_print_names_lines)
{
	g_autoptr (DsClaimInput) input = case10_input ();
	DsClaimPolicy policy;
	g_autoptr (DsClaim) claim = NULL;
	g_autofree char *text = NULL;
	size_t length = 0;
	FILE *out = open_memstream (&text, &length);

	ds_claim_policy_init (&policy, rates);
	policy.settled_since = day ("2024-04-01");
	claim = compute (input, "2024-04-20", &policy);
	ds_claim_print (claim, out);
	fclose (out);

	ck_assert_ptr_nonnull (strstr (text, "2024-03-16 to 2024-04-14"));
	ck_assert_ptr_nonnull (strstr (text, "12.62%"));
	ck_assert_ptr_nonnull (strstr (text, "act/365"));
	ck_assert_ptr_nonnull (strstr (text, "compensation"));
}
END_TEST

/* ---- through the database ---- */

typedef struct {
	char *dir;
	DsStore *store;
} Instance;

static void
exec_ok (DsStore *store, const char *sql)
{
	g_autoptr (GError) error = NULL;

	if (!ds_store_exec (store, sql, &error))
		g_error ("%s: %s", sql, error->message);
}

static Instance
instance_new (void)
{
	Instance instance = { ds_test_tmpdir (), NULL };
	g_autofree char *path = g_build_filename (instance.dir, "db.sqlite",
						  NULL);
	g_autoptr (GError) error = NULL;

	instance.store = ds_store_open (path, &error);
	if (instance.store == NULL)
		g_error ("%s", error->message);
	exec_ok (instance.store,
		 "INSERT INTO entities (entity_id, name, street, postal_code,"
		 " city, country) VALUES ('DE01', 'Nordlicht GmbH',"
		 " 'Weg 7', '50667', 'Köln', 'DE');"
		 "INSERT INTO customers (customer_id, name, country, language,"
		 " currency, entity_id, b2b) VALUES ('C2', 'Kunde GmbH', 'DE',"
		 " 'de', 'EUR', 'DE01', 1);"
		 "INSERT INTO invoices (invoice_id, customer_id, issue_date,"
		 " due_date, currency, amount) VALUES ('X', 'C2',"
		 " '2024-02-15', '2024-03-15', 'EUR', 10000);");
	return instance;
}

static void
instance_free (Instance *instance)
{
	ds_store_close (instance->store);
	ds_test_rmtree (instance->dir);
	g_free (instance->dir);
}

static void
add_document (DsStore *store, const char *trace_id, const char *as_of)
{
	g_autofree char *sql = g_strdup_printf (
		"INSERT INTO documents (trace_id, idempotency_key,"
		" customer_id, entity_id, strategy, step, step_index,"
		" channel, as_of, state, language, currency, total,"
		" created_at) VALUES"
		" ('%s', 'key-%s', 'C2', 'DE01', 'default', 'first', 1,"
		" 'letter', '%s', 'dispatched', 'de', 'EUR', 0,"
		" '%sT08:00:00Z');"
		"INSERT INTO document_items (trace_id, invoice_id,"
		" open_amount, days_overdue) VALUES ('%s', 'X', 10000, 12);",
		trace_id, trace_id, as_of, as_of, trace_id);

	exec_ok (store, sql);
}

static gint64
count_rows (DsStore *store, const char *sql)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);

	ck_assert_ptr_nonnull (statement);
	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

static DsClaim *
compute_stored (DsStore *store, const char *as_of,
		const DsClaimPolicy *policy)
{
	g_autoptr (GError) error = NULL;
	DsClaim *claim = ds_claim_compute (store, "C2", day (as_of), policy,
					   &error);

	ck_assert_msg (claim != NULL, "%s", error ? error->message : "");
	return claim;
}

/* Case 2 end to end: recorded, paid, still owed, waived, journaled. */
START_TEST (test_claim_store_case2_record_pay_waive)
{
	Instance instance = instance_new ();
	DsStore *store = instance.store;
	DsClaimPolicy policy;
	g_autoptr (DsClaim) notice = NULL;
	g_autoptr (DsClaim) after_payment = NULL;
	g_autoptr (DsClaim) after_waiver = NULL;
	g_autoptr (GPtrArray) fee_records = NULL;
	g_autoptr (GPtrArray) interest_records = NULL;
	g_autoptr (GError) error = NULL;
	gint64 waived = 0, records = 0, bad = 0;

	ds_claim_policy_init (&policy, rates);
	policy.compensation = FALSE;
	policy.step_fee = 1000;
	policy.step = "first";
	notice = compute_stored (store, "2024-03-27", &policy);
	ck_assert_int_eq (notice->interest_total, 41);
	ck_assert_int_eq (notice->total, 11041);

	add_document (store, "T1", "2024-03-27");
	ck_assert (ds_ledger_claim_record (store, "T1", notice, NULL));
	ck_assert (ds_ledger_claim_record (store, "T1", notice, NULL));
	ck_assert_int_eq (count_rows (store, "SELECT count(*) FROM"
				      " claim_costs"), 2);

	exec_ok (store, "INSERT INTO payments (payment_id, customer_id, date,"
		 " currency, amount, invoice_id) VALUES ('P1', 'C2',"
		 " '2024-03-27', 'EUR', 10000, 'X')");
	policy.step_fee = 0;
	after_payment = compute_stored (store, "2024-03-27", &policy);
	ck_assert_int_eq (after_payment->total, 1041);

	ck_assert_msg (ds_claim_waive (store, "C2", NULL, day ("2024-04-02"),
				       "goodwill", &policy, &waived, &error),
		       "%s", error ? error->message : "");
	after_waiver = compute_stored (store, "2024-04-02", &policy);
	ck_assert_int_eq (after_waiver->total, 0);
	/* 10.41 plus 6 more days' interest on it, 0.02 */
	ck_assert_int_eq (waived, 1043);

	fee_records = ds_journal_for_object (store, "customer", "C2", NULL);
	interest_records = ds_journal_for_object (store, "invoice", "X",
						  NULL);
	ck_assert_uint_eq (fee_records->len, 1);
	ck_assert_str_eq (((DsJournalRecord *) fee_records->pdata[0])->event,
			  "waived");
	ck_assert_uint_eq (interest_records->len, 1);
	ck_assert (ds_journal_verify (store, &records, &bad, NULL));
	ck_assert_int_eq (records, 2);
	instance_free (&instance);
}
END_TEST

START_TEST (test_claim_store_dispute_survives_reimport)
{
	Instance instance = instance_new ();
	DsStore *store = instance.store;
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;

	exec_ok (store, "INSERT INTO disputes (invoice_id, opened, reason)"
		 " VALUES ('X', '2024-03-20', 'quality');"
		 "UPDATE invoices SET amount = 9000 WHERE invoice_id = 'X'");
	claim = compute_stored (store, "2024-04-01", &policy);

	ck_assert_int_eq (item (claim, 0)->state, DS_CLAIM_ITEM_DISPUTED);
	ck_assert_int_eq (item (claim, 0)->amount, 9000);
	ck_assert_int_eq (claim->total, 0);
	instance_free (&instance);
}
END_TEST

START_TEST (test_claim_store_instalments_and_credit_notes)
{
	Instance instance = instance_new ();
	DsStore *store = instance.store;
	DsClaimPolicy policy = plain_policy ();
	g_autoptr (DsClaim) claim = NULL;
	g_autoptr (GError) error = NULL;

	exec_ok (store, "INSERT INTO instalments VALUES"
		 " ('X', 1, '2024-03-15', 6000), ('X', 2, '2024-04-15', 4000);"
		 "INSERT INTO credit_notes (credit_note_id, customer_id, date,"
		 " currency, amount, status) VALUES"
		 " ('CN1', 'C2', '2024-03-20', 'EUR', 1000, 'open'),"
		 " ('CN2', 'C2', '2024-03-21', 'EUR', 2000, 'cancelled')");
	claim = compute_stored (store, "2024-04-01", &policy);

	ck_assert_uint_eq (claim->items->len, 2);
	ck_assert_int_eq (claim->principal, 5000);
	ck_assert_uint_eq (claim->credits->len, 1);
	ck_assert_ptr_null (ds_claim_compute (store, "nobody",
					      day ("2024-04-01"), &policy,
					      &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	instance_free (&instance);
}
END_TEST

static Suite *
claim_suite (void)
{
	Suite *suite = suite_create ("claim");
	TCase *cases = tcase_create ("cases");
	TCase *rules = tcase_create ("rules");
	TCase *stored = tcase_create ("store");

	tcase_add_unchecked_fixture (cases, load_rates, free_rates);
	tcase_add_loop_test (cases, test_claim_case1_fee_with_zero_interest,
			     0, 2);
	tcase_add_test (cases, test_claim_case2_de_allocates_costs_first);
	tcase_add_test (cases, test_claim_case2_eu_costs_stay_after_principal);
	tcase_add_test (cases, test_claim_surviving_balance_is_named);
	tcase_add_loop_test (cases, test_claim_case2_waiver_clears_it, 0, 2);
	tcase_add_test (cases, test_claim_case3_section_367);
	tcase_add_test (cases, test_claim_case4_instalments);
	tcase_add_test (cases,
			test_claim_case7_pre_due_reminder_claims_the_invoice);
	tcase_add_test (cases, test_claim_pre_due_reminder_of_an_instalment);
	tcase_add_test (cases, test_claim_case5_credit_notes);
	tcase_add_test (cases, test_claim_disputed_invoice_not_claimed);
	tcase_add_test (cases, test_claim_case8_deadline);
	tcase_add_test (cases, test_claim_case9_two_interest_lines);
	tcase_add_test (cases, test_claim_case10_interest_and_compensation);
	tcase_add_test (cases, test_claim_no_compensation_before_the_law);
	suite_add_tcase (suite, cases);

	tcase_add_unchecked_fixture (rules, load_rates, free_rates);
	tcase_add_test (rules,
		test_claim_unclaimed_invoice_payment_goes_to_principal);
	tcase_add_loop_test (rules, test_claim_payment_follows_the_legal_order,
			     0, G_N_ELEMENTS (legal_orders));
	tcase_add_test (rules,
		test_claim_instalment_interest_from_its_own_due_date);
	tcase_add_test (rules, test_claim_instalments_must_add_up);
	tcase_add_test (rules, test_claim_unapplied_cash_nets_the_total);
	tcase_add_test (rules, test_claim_compensation_never_twice);
	tcase_add_test (rules, test_claim_paid_late_out_of_scope);
	tcase_add_test (rules, test_claim_uk_fixed_sums_by_band);
	tcase_add_test (rules, test_claim_no_statutory_interest_says_so);
	tcase_add_test (rules, test_claim_other_currency_left_out);
	tcase_add_test (rules, test_claim_json_money_is_decimal_text);
	tcase_add_test (rules, test_claim_print_names_lines);
	suite_add_tcase (suite, rules);

	tcase_add_unchecked_fixture (stored, load_rates, free_rates);
	tcase_add_test (stored, test_claim_store_case2_record_pay_waive);
	tcase_add_test (stored, test_claim_store_dispute_survives_reimport);
	tcase_add_test (stored, test_claim_store_instalments_and_credit_notes);
	suite_add_tcase (suite, stored);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (claim_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
