/*
 * claim-letter.c -- what one dunning document claims.
 * See claim-letter.h.
 */
#include "claim-letter.h"

#include <string.h>

#include "ds-error.h"
#include "ledger-claim.h"
#include "ledger.h"

static const DsStep *
document_step (const DsConfig *config, const DsDocument *document)
{
	const DsStrategy *strategy = ds_config_find_strategy (
		config, document->strategy);

	return strategy ? ds_strategy_step (strategy, document->step_index)
			: NULL;
}

gboolean
ds_claim_letter_needs_rates (const DsConfig *config,
			     const DsDocument *document)
{
	const DsStep *step = document_step (config, document);

	return step != NULL && step->interest;
}

void
ds_claim_letter_step_policy (const DsConfig *config, const DsStep *step,
			     const DsRateTables *rates,
			     DsClaimPolicy *policy)
{
	ds_claim_policy_init (policy, rates);
	policy->step = step ? step->name : NULL;
	policy->step_fee = step ? step->fee : 0;
	policy->interest = step != NULL && step->interest;
	policy->compensation = step != NULL && step->compensation;
	policy->deadline_days = step ? step->deadline_days : 0;
	policy->contract_rate_bp = config->rules.contract_rate_bp;
	policy->settled_since = config->rules.paid_late ?
				DS_CLAIM_SETTLED_ANY : DS_DATE_NONE;
	policy->ahead_days = ds_claim_letter_step_ahead (step);
}

gboolean
ds_claim_letter_rules_policy (DsStore *store, const DsConfig *config,
			      const char *customer_id,
			      const DsRateTables *rates,
			      DsClaimPolicy *policy, GError **error)
{
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, customer_id, error);

	if (customer == NULL)
		return FALSE;
	ds_claim_policy_init (policy, rates);
	policy->contract_rate_bp = config->rules.contract_rate_bp;
	policy->settled_since = config->rules.paid_late ?
				DS_CLAIM_SETTLED_ANY : DS_DATE_NONE;
	policy->calendar = ds_config_calendar (config, customer->entity_id);
	return TRUE;
}

int
ds_claim_letter_step_ahead (const DsStep *step)
{
	if (step == NULL || step->from_previous || step->offset_days >= 0)
		return 0;
	return -step->offset_days;
}

void
ds_claim_letter_policy (const DsConfig *config, const DsDocument *document,
			const DsRateTables *rates, DsClaimPolicy *policy)
{
	ds_claim_letter_step_policy (config, document_step (config, document),
				     rates, policy);
	policy->step = document->step;
	policy->calendar = ds_config_calendar (config, document->entity_id);
}

gboolean
ds_claim_letter_customer_policy (DsStore *store, const DsConfig *config,
				 const char *customer_id, DsDate as_of,
				 const DsRateTables *rates,
				 DsClaimPolicy *policy, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (DsDocument) last = ds_document_last_sent (
		store, customer_id, as_of, &local);

	if (last == NULL) {
		if (g_error_matches (local, DS_ERROR, DS_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	ds_claim_letter_policy (config, last, rates, policy);
	policy->step = NULL;	/* freed with `last`; no new fee */
	policy->step_fee = 0;
	policy->deadline_days = 0;
	return TRUE;
}

const DsStep *
ds_claim_letter_find_step (const DsConfig *config, const char *name)
{
	for (guint i = 0; i < config->strategies->len; i++) {
		const DsStrategy *strategy = config->strategies->pdata[i];

		for (guint j = 0; j < strategy->steps->len; j++) {
			const DsStep *step = strategy->steps->pdata[j];

			if (strcmp (step->name, name) == 0)
				return step;
		}
	}
	return NULL;
}

static gboolean
listed (const char *const *invoice_ids, const char *invoice_id)
{
	return invoice_id != NULL &&
	       g_strv_contains (invoice_ids, invoice_id);
}

/*
 * Whether a step of the invoice's own chases what is open of it: not
 * when the ERP sees it paid and only the law's order left a balance.
 */
static gboolean
chased (const DsClaimItem *item)
{
	return item->open > 0 && item->state != DS_CLAIM_ITEM_SURVIVING;
}

/*
 * Items: the document's, and the surviving balances no step chases --
 * principal the law's order left owed, interest still owed on an
 * invoice paid.
 */
static void
restrict_items (DsClaim *claim, const char *const *invoice_ids)
{
	for (guint i = claim->items->len; i-- > 0;) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (listed (invoice_ids, item->invoice_id) ||
		    item->state == DS_CLAIM_ITEM_SURVIVING ||
		    (item->state == DS_CLAIM_ITEM_SETTLED &&
		     item->interest > 0))
			continue;
		g_ptr_array_remove_index (claim->items, i);
	}
}

static gboolean
item_kept (const DsClaim *claim, const char *invoice_id)
{
	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (g_strcmp0 (item->invoice_id, invoice_id) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The new fee covers only the document's overdue invoices. */
static gboolean
restrict_fee (DsClaimCost *fee, const char *const *invoice_ids)
{
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	int kept = 0;

	for (int i = 0; fee->invoices && fee->invoices[i] != NULL; i++) {
		if (!listed (invoice_ids, fee->invoices[i]))
			continue;
		g_strv_builder_add (builder, fee->invoices[i]);
		kept++;
	}
	g_strfreev (fee->invoices);
	fee->invoices = g_strv_builder_end (builder);
	return kept > 0;
}

/*
 * An earlier document's cost goes with its invoices: it is claimed again
 * on a letter about one of them, and on no other letter, so that two
 * letters never ask for the same cost beside different invoices.  A cost
 * whose invoices are all settled (costs survive payment of the principal)
 * belongs to no later letter's invoices and is claimed on each, as the
 * open debt it is.
 */
static gboolean
earlier_cost_kept (const DsClaimCost *cost, const char *const *invoice_ids,
		   GHashTable *open_invoices)
{
	gboolean orphan = TRUE;

	if (cost->kind != DS_CLAIM_COST_FEE)
		return listed (invoice_ids, cost->invoice_id) ||
		       !g_hash_table_contains (open_invoices,
					       cost->invoice_id);
	if (cost->invoices == NULL)
		return TRUE;
	for (int i = 0; cost->invoices[i] != NULL; i++) {
		if (listed (invoice_ids, cost->invoices[i]))
			return TRUE;
		if (g_hash_table_contains (open_invoices, cost->invoices[i]))
			orphan = FALSE;
	}
	return orphan;
}

/* Whether a cost belongs to an item the letter lists. */
static gboolean
cost_of_kept_item (const DsClaim *claim, const DsClaimCost *cost)
{
	if (cost->kind != DS_CLAIM_COST_FEE)
		return item_kept (claim, cost->invoice_id);
	for (int i = 0; cost->invoices && cost->invoices[i] != NULL; i++)
		if (item_kept (claim, cost->invoices[i]))
			return TRUE;
	return FALSE;
}

/*
 * A cost paid off stays on the letter only beside an item it lists,
 * where it explains what the item's payments went to.
 */
static void
restrict_costs (DsClaim *claim, const char *const *invoice_ids,
		GHashTable *open_invoices)
{
	for (guint i = claim->costs->len; i-- > 0;) {
		DsClaimCost *cost = claim->costs->pdata[i];
		gboolean keep;

		if (cost->cost_id != 0)
			keep = earlier_cost_kept (cost, invoice_ids,
						  open_invoices) &&
			       (cost->open > 0 ||
				cost_of_kept_item (claim, cost));
		else if (cost->kind == DS_CLAIM_COST_FEE)
			keep = restrict_fee (cost, invoice_ids);
		else
			keep = listed (invoice_ids, cost->invoice_id);
		if (!keep)
			g_ptr_array_remove_index (claim->costs, i);
	}
}

/* The cost a payment went to, among those the letter keeps. */
static gboolean
cost_kept (const DsClaim *claim, const DsClaimApplication *application)
{
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (cost->kind == application->cost_kind &&
		    g_strcmp0 (cost->trace_id, application->trace_id) == 0 &&
		    g_strcmp0 (cost->invoice_id,
			       application->invoice_id) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
application_kept (const DsClaim *claim,
		  const DsClaimApplication *application)
{
	if (application->target == DS_CLAIM_TO_COST)
		return cost_kept (claim, application);
	return application->invoice_id == NULL ||
	       item_kept (claim, application->invoice_id);
}

static void
restrict_lines (DsClaim *claim)
{
	for (guint i = claim->interest->len; i-- > 0;) {
		const DsClaimInterest *line = claim->interest->pdata[i];

		if (!item_kept (claim, line->invoice_id))
			g_ptr_array_remove_index (claim->interest, i);
	}
	for (guint i = claim->applications->len; i-- > 0;) {
		if (!application_kept (claim, claim->applications->pdata[i]))
			g_ptr_array_remove_index (claim->applications, i);
	}
}

static void
sum (DsClaim *claim)
{
	claim->principal = claim->interest_total = 0;
	claim->fees = claim->compensation = 0;
	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (ds_claim_item_claimed (item))
			claim->principal += item->open;
		if (item->state != DS_CLAIM_ITEM_DISPUTED)
			claim->interest_total += item->interest;
	}
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (cost->waived || cost->kind == DS_CLAIM_COST_INTEREST)
			continue;
		if (cost->kind == DS_CLAIM_COST_FEE)
			claim->fees += cost->open;
		else
			claim->compensation += cost->open;
	}
	claim->total = claim->principal + claim->interest_total +
		       claim->fees + claim->compensation - claim->unapplied;
}

void
ds_claim_letter_restrict (DsClaim *claim, const char *const *invoice_ids)
{
	g_autoptr (GHashTable) open_invoices = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		if (chased (item))
			g_hash_table_add (open_invoices,
					  g_strdup (item->invoice_id));
	}
	restrict_items (claim, invoice_ids);
	restrict_costs (claim, invoice_ids, open_invoices);
	restrict_lines (claim);
	sum (claim);
}

DsClaim *
ds_claim_letter_compute (DsStore *store, const DsConfig *config,
			 const DsDocument *document,
			 const DsRateTables *rates, GError **error)
{
	g_autoptr (GPtrArray) invoice_ids = g_ptr_array_new ();
	DsClaimPolicy policy;
	DsClaim *claim;

	ds_claim_letter_policy (config, document, rates, &policy);
	claim = ds_claim_compute (store, document->customer_id,
				  document->as_of, &policy, error);
	if (claim == NULL)
		return NULL;
	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *item = document->items->pdata[i];

		g_ptr_array_add (invoice_ids, item->invoice_id);
	}
	g_ptr_array_add (invoice_ids, NULL);
	ds_claim_letter_restrict (claim,
				  (const char *const *) invoice_ids->pdata);
	claim->deadline = document->deadline;
	return claim;
}
