/*
 * claim-surviving.c -- balances the law's order leaves on invoices the
 * ERP shows paid.  See claim-surviving.h.
 *
 * Cheap where nothing survives: a payment is looked at only when it
 * names an invoice the ERP now shows paid and a document about that
 * invoice claimed costs or interest; only then is the customer's claim
 * computed, once per customer and cycle (again after a write-off of the
 * customer's).
 */
#include "claim-surviving.h"

#include <string.h>

#include "claim-letter.h"
#include "ds-error.h"
#include "journal.h"
#include "ledger-claim.h"
#include "ledger.h"
#include "money.h"

/* A customer's claim as the letters make it, and the policy of it. */
typedef struct {
	DsClaim *claim;
	DsClaimPolicy policy;
} Known;

static void
known_free (Known *known)
{
	ds_claim_free (known->claim);
	g_free (known);
}

typedef struct {
	DsStore *store;
	const DsConfig *config;
	DsPlan *plan;
	DsDate as_of;
	GHashTable *claims;		/* customer id -> Known */
	GHashTable *seen;		/* invoice ids looked at */
} Survey;

/* The invoice a payment names, when the ERP shows it paid; else NULL. */
static char *
paid_invoice (Survey *survey, const DsPlanEvent *event, GError **error)
{
	g_autoptr (GPtrArray) payments = ds_ledger_payments (
		survey->store, event->customer_id, survey->as_of, error);

	if (payments == NULL)
		return NULL;
	for (guint i = 0; i < payments->len; i++) {
		const DsPayment *payment = payments->pdata[i];

		if (strcmp (payment->payment_id, event->object_id) != 0 ||
		    payment->invoice_id == NULL ||
		    g_hash_table_contains (survey->plan->open_items,
					   payment->invoice_id))
			continue;
		return g_strdup (payment->invoice_id);
	}
	return NULL;
}

/*
 * As `dunspool claim` shows it without options, on the cycle's date;
 * computed again after a write-off of the customer's (forget_claim).
 */
static const Known *
customer_claim (Survey *survey, const char *customer_id, GError **error)
{
	Known *known = g_hash_table_lookup (survey->claims, customer_id);
	const DsRateTables *rates;
	DsClaimPolicy policy;
	DsClaim *claim;

	if (known != NULL)
		return known;
	rates = ds_rate_tables_default (error);
	if (rates == NULL ||
	    !ds_claim_letter_rules_policy (survey->store, survey->config,
					   customer_id, rates, &policy,
					   error))
		return NULL;
	if (!ds_claim_letter_customer_policy (survey->store, survey->config,
					      customer_id, survey->as_of,
					      rates, &policy, error))
		return NULL;
	claim = ds_claim_compute (survey->store, customer_id, survey->as_of,
				  &policy, error);
	if (claim == NULL)
		return NULL;
	known = g_new0 (Known, 1);
	known->claim = claim;
	known->policy = policy;
	g_hash_table_insert (survey->claims, g_strdup (customer_id), known);
	return known;
}

typedef struct {
	gint64 principal;
	gint64 interest;
	gint64 costs;
} Balance;

static gint64
balance_total (const Balance *balance)
{
	return balance->principal + balance->interest + balance->costs;
}

static gboolean
cost_of_invoice (const DsClaimCost *cost, const char *invoice_id)
{
	if (cost->kind == DS_CLAIM_COST_FEE)
		return cost->invoices != NULL &&
		       g_strv_contains ((const char *const *) cost->invoices,
					invoice_id);
	return g_strcmp0 (cost->invoice_id, invoice_id) == 0;
}

static Balance
balance_of (const DsClaim *claim, const char *invoice_id)
{
	Balance balance = { 0 };

	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (strcmp (item->invoice_id, invoice_id) != 0)
			continue;
		if (item->state == DS_CLAIM_ITEM_SURVIVING)
			balance.principal += item->open;
		balance.interest += item->interest;
	}
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (!cost->waived && cost->cost_id != 0 &&
		    cost_of_invoice (cost, invoice_id))
			balance.costs += cost->open;
	}
	return balance;
}

static DsPlanEvent *
surviving_event (const DsPlanEvent *payment, const DsClaim *claim,
		 const char *invoice_id, const char *trace_id,
		 const Balance *balance)
{
	DsPlanEvent *event = g_new0 (DsPlanEvent, 1);
	g_autofree char *principal = ds_money_to_decimal (balance->principal,
							  claim->currency);
	g_autofree char *interest = ds_money_to_decimal (balance->interest,
							 claim->currency);
	g_autofree char *costs = ds_money_to_decimal (balance->costs,
						      claim->currency);

	event->object_kind = g_strdup ("invoice");
	event->object_id = g_strdup (invoice_id);
	event->event = g_strdup ("balance-survives");
	event->customer_id = g_strdup (payment->customer_id);
	event->trace_id = g_strdup (trace_id);
	event->evidence = g_strdup_printf (
		"customer=%s payment=%s principal=%s interest=%s costs=%s "
		"currency=%s: paid as allocated, still owed after costs and "
		"interest claimed; claimed on every letter, no step of its "
		"own chases it", payment->customer_id, payment->object_id,
		principal, interest, costs, claim->currency);
	return event;
}

/* [rules] write_off of the currency in *limit; FALSE: none listed. */
static gboolean
write_off_limit (const Survey *survey, const char *currency,
		 gint64 *limit)
{
	const gint64 *amount = g_hash_table_lookup (
		survey->config->rules.write_off, currency);

	if (amount == NULL)
		return FALSE;
	*limit = *amount;
	return TRUE;
}

/* Whether the journal holds "written-off" for the invoice already. */
static gboolean
written_off_before (DsStore *store, const char *invoice_id,
		    gboolean *found, GError **error)
{
	g_autoptr (GPtrArray) records = ds_journal_for_object (
		store, "invoice", invoice_id, error);

	if (records == NULL)
		return FALSE;
	*found = FALSE;
	for (guint i = 0; i < records->len; i++) {
		const DsJournalRecord *record = records->pdata[i];

		if (g_strcmp0 (record->event, "written-off") == 0)
			*found = TRUE;
	}
	return TRUE;
}

static gboolean
journal_write_off (Survey *survey, const DsPlanEvent *payment,
		   const char *currency, const char *invoice_id,
		   const char *trace_id, const Balance *balance,
		   const char *reason, GError **error)
{
	g_autofree char *principal = ds_money_to_decimal (balance->principal,
							  currency);
	g_autofree char *interest = ds_money_to_decimal (balance->interest,
							 currency);
	g_autofree char *costs = ds_money_to_decimal (balance->costs,
						      currency);
	g_autofree char *evidence = g_strdup_printf (
		"customer=%s payment=%s principal=%s interest=%s costs=%s "
		"currency=%s: %s", payment->customer_id, payment->object_id,
		principal, interest, costs, currency, reason);
	DsJournalEntry entry = {
		.object_kind = "invoice",
		.object_id = invoice_id,
		.trace_id = trace_id,
		.event = "written-off",
		.old_state = "surviving",
		.new_state = "written-off",
		.evidence = evidence,
	};

	return ds_journal_append (survey->store, &entry, error);
}

/*
 * Write the invoice's balance off: waive its costs and interest from
 * the start (ds_claim_waive), which gives back to its principal what
 * the law's order took from the payment, and journal "written-off", in
 * one transaction.  Rolled back, *written FALSE, when that would leave
 * anything of the invoice owed or take more than the limit off the
 * customer's claim (a fee shared with other invoices, paid from their
 * payments): the balance is then left to the letters.
 */
static gboolean
write_off (Survey *survey, const DsPlanEvent *payment, const Known *known,
	   const char *invoice_id, const char *trace_id,
	   const Balance *balance, gint64 limit, gboolean *written,
	   GError **error)
{
	const char *currency = known->claim->currency;
	DsClaimPolicy policy = known->policy;
	g_autofree char *owed = ds_money_to_decimal (balance_total (balance),
						     currency);
	g_autofree char *most = ds_money_to_decimal (limit, currency);
	g_autofree char *reason = g_strdup_printf (
		"written off: surviving balance %s %s at or below [rules] "
		"write_off %s %s", owed, currency, most, currency);
	g_autoptr (DsClaim) after = NULL;
	Balance left;
	gint64 waived;

	*written = FALSE;
	if (!ds_store_begin (survey->store, error))
		return FALSE;
	if (!ds_claim_waive (survey->store, payment->customer_id, invoice_id,
			     survey->as_of, reason, &policy, &waived, error))
		goto fail;
	after = ds_claim_compute (survey->store, payment->customer_id,
				  survey->as_of, &policy, error);
	if (after == NULL)
		goto fail;
	left = balance_of (after, invoice_id);
	if (balance_total (&left) != 0 || waived > limit) {
		ds_store_rollback (survey->store);
		return TRUE;
	}
	if (!journal_write_off (survey, payment, currency, invoice_id,
				trace_id, balance, reason, error) ||
	    !ds_store_commit (survey->store, error))
		goto fail;
	*written = TRUE;
	return TRUE;

fail:
	ds_store_rollback (survey->store);
	return FALSE;
}

/* Written off if [rules] write_off allows; *written says whether. */
static gboolean
maybe_write_off (Survey *survey, const DsPlanEvent *payment,
		 const Known *known, const char *invoice_id,
		 const char *trace_id, const Balance *balance,
		 gboolean *written, GError **error)
{
	gint64 limit;
	gboolean before;

	*written = FALSE;
	if (!write_off_limit (survey, known->claim->currency, &limit) ||
	    balance_total (balance) > limit)
		return TRUE;
	if (!written_off_before (survey->store, invoice_id, &before, error))
		return FALSE;
	if (before)
		return TRUE;
	if (!write_off (survey, payment, known, invoice_id, trace_id,
			balance, limit, written, error))
		return FALSE;
	if (*written)	/* the cached claim still holds what was waived */
		g_hash_table_remove (survey->claims, payment->customer_id);
	return TRUE;
}

static gboolean
survey_payment (Survey *survey, const DsPlanEvent *payment,
		GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autofree char *invoice_id = paid_invoice (survey, payment, &local);
	g_autofree char *claimed_by = NULL;
	const Known *known;
	Balance balance;
	gboolean written;

	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (invoice_id == NULL ||
	    g_hash_table_contains (survey->seen, invoice_id))
		return TRUE;
	g_hash_table_add (survey->seen, g_strdup (invoice_id));
	if (!ds_ledger_claim_last_claimed (survey->store, invoice_id,
					   survey->as_of, &claimed_by, error))
		return FALSE;
	if (claimed_by == NULL)
		return TRUE;
	known = customer_claim (survey, payment->customer_id, error);
	if (known == NULL)
		return FALSE;
	balance = balance_of (known->claim, invoice_id);
	if (balance_total (&balance) <= 0)
		return TRUE;
	if (!maybe_write_off (survey, payment, known, invoice_id, claimed_by,
			      &balance, &written, error))
		return FALSE;
	if (!written)
		g_ptr_array_add (survey->plan->events, surviving_event (
			payment, known->claim, invoice_id, claimed_by,
			&balance));
	return TRUE;
}

gboolean
ds_claim_surviving_plan (DsStore *store, const DsConfig *config,
			 DsPlan *plan, DsDate as_of, GError **error)
{
	g_autoptr (GHashTable) claims = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify) known_free);
	g_autoptr (GHashTable) seen = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);
	Survey survey = { store, config, plan, as_of, claims, seen };
	guint received = plan->events->len;	/* the ones added follow */

	for (guint i = 0; i < received; i++) {
		const DsPlanEvent *event = plan->events->pdata[i];

		if (strcmp (event->event, "payment-received") != 0 ||
		    event->customer_id == NULL)
			continue;
		if (!survey_payment (&survey, event, error)) {
			g_prefix_error (error, "payment %s: ",
					event->object_id);
			return FALSE;
		}
	}
	return TRUE;
}
