/*
 * claim-surviving.c -- balances the law's order leaves on invoices the
 * ERP shows paid.  See claim-surviving.h.
 *
 * Cheap where nothing survives: a payment is looked at only when it
 * names an invoice the ERP now shows paid and a document about that
 * invoice claimed costs or interest; only then is the customer's claim
 * computed, once per customer and cycle.
 */
#include "claim-surviving.h"

#include <string.h>

#include "claim-letter.h"
#include "ds-error.h"
#include "ledger-claim.h"
#include "ledger.h"
#include "money.h"

typedef struct {
	DsStore *store;
	const DsConfig *config;
	DsPlan *plan;
	DsDate as_of;
	GHashTable *claims;		/* customer id -> DsClaim */
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

/* As `dunspool claim` shows it without options, on the cycle's date. */
static const DsClaim *
customer_claim (Survey *survey, const char *customer_id, GError **error)
{
	const DsClaim *known = g_hash_table_lookup (survey->claims,
						    customer_id);
	const DsRateTables *rates;
	g_autoptr (DsCustomer) customer = NULL;
	DsClaimPolicy policy;
	DsClaim *claim;

	if (known != NULL)
		return known;
	rates = ds_rate_tables_default (error);
	customer = rates ? ds_ledger_get_customer (survey->store,
						   customer_id, error) : NULL;
	if (customer == NULL)
		return NULL;
	ds_claim_policy_init (&policy, rates);
	policy.contract_rate_bp = survey->config->rules.contract_rate_bp;
	policy.settled_since = survey->config->rules.paid_late ?
			       DS_CLAIM_SETTLED_ANY : DS_DATE_NONE;
	policy.calendar = ds_config_calendar (survey->config,
					      customer->entity_id);
	if (!ds_claim_letter_customer_policy (survey->store, survey->config,
					      customer_id, survey->as_of,
					      rates, &policy, error))
		return NULL;
	claim = ds_claim_compute (survey->store, customer_id, survey->as_of,
				  &policy, error);
	if (claim != NULL)
		g_hash_table_insert (survey->claims, g_strdup (customer_id),
				     claim);
	return claim;
}

typedef struct {
	gint64 principal;
	gint64 interest;
	gint64 costs;
} Balance;

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

static gboolean
survey_payment (Survey *survey, const DsPlanEvent *payment,
		GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autofree char *invoice_id = paid_invoice (survey, payment, &local);
	g_autofree char *claimed_by = NULL;
	const DsClaim *claim;
	Balance balance;

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
	claim = customer_claim (survey, payment->customer_id, error);
	if (claim == NULL)
		return FALSE;
	balance = balance_of (claim, invoice_id);
	if (balance.principal + balance.interest + balance.costs > 0)
		g_ptr_array_add (survey->plan->events, surviving_event (
			payment, claim, invoice_id, claimed_by, &balance));
	return TRUE;
}

gboolean
ds_claim_surviving_plan (DsStore *store, const DsConfig *config,
			 DsPlan *plan, DsDate as_of, GError **error)
{
	g_autoptr (GHashTable) claims = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify) ds_claim_free);
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
