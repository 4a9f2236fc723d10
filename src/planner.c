/*
 * planner.c -- propose the documents due on a date.  See planner.h.
 */
#include "planner.h"

#include <string.h>

#include "document.h"
#include "ds-error.h"

void
ds_plan_free (DsPlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref (plan->documents);
	g_hash_table_unref (plan->open_items);
	g_hash_table_unref (plan->customers);
	g_free (plan);
}

static gboolean
has_text (const char *text)
{
	return text != NULL && *text != '\0';
}

/*
 * Electronic billing: the invoice says so, or, when it does not, the
 * customer had switched to paperless bills by that date.
 */
static gboolean
billed_electronically (const DsCustomer *customer, const DsOpenItem *item,
		       DsDate as_of)
{
	switch (item->invoice.billing) {
	case DS_BILLING_ELECTRONIC:
		return TRUE;
	case DS_BILLING_PAPER:
		return FALSE;
	case DS_BILLING_UNKNOWN:
		break;
	}
	return customer->paperless_since != DS_DATE_NONE &&
	       customer->paperless_since <= as_of;
}

gboolean
ds_planner_channel_possible (const DsCustomer *customer,
			     const DsOpenItem *item, DsChannel channel,
			     DsDate as_of)
{
	switch (channel) {
	case DS_CHANNEL_EMAIL:
		return has_text (customer->email) &&
		       billed_electronically (customer, item, as_of);
	case DS_CHANNEL_FAX:
		return has_text (customer->fax);
	case DS_CHANNEL_LETTER:
	case DS_CHANNEL_REGISTERED:
		return has_text (customer->street) &&
		       has_text (customer->city);
	case DS_CHANNEL_COUNT:
		break;
	}
	return FALSE;
}

/*
 * The step due for one invoice on `as_of`, or -1.  See the rules in
 * planner.h; `taken` is the last step the invoice took.
 */
static int
due_step (const DsConfig *config, const DsOpenItem *item,
	  const DsStepTaken *taken, DsDate as_of)
{
	int index = taken->step_index + 1;
	const DsStep *step = ds_config_step (config, index);
	DsDate due = item->invoice.due_date;

	while (step != NULL && step->offset_days < 0 && as_of > due &&
	       taken->step_index < 0)
		step = ds_config_step (config, ++index);
	if (step == NULL)
		return -1;
	if ((gint64) as_of < (gint64) due + step->offset_days)
		return -1;
	if (taken->step_index >= 0 &&
	    ((gint64) as_of < (gint64) taken->taken_on + step->gap_days ||
	     (taken->deadline != DS_DATE_NONE && as_of <= taken->deadline)))
		return -1;
	return index;
}

static DsChannel
choose_channel (const DsStep *step, const DsCustomer *customer,
		const DsOpenItem *item, DsDate as_of, gboolean *possible)
{
	for (int i = 0; i < step->n_channels; i++) {
		if (ds_planner_channel_possible (customer, item,
						 step->channels[i], as_of)) {
			*possible = TRUE;
			return step->channels[i];
		}
	}
	*possible = FALSE;
	return step->channels[0];
}

static DsDocument *
new_document (const DsConfig *config, const DsCustomer *customer,
	      const DsOpenItem *item, int step_index, DsDate as_of)
{
	const DsStep *step = ds_config_step (config, step_index);
	DsDocument *document = g_new0 (DsDocument, 1);

	document->customer_id = g_strdup (customer->customer_id);
	document->entity_id = g_strdup (customer->entity_id);
	document->strategy = g_strdup (config->strategy);
	document->step = g_strdup (step->name);
	document->step_index = step_index;
	document->as_of = as_of;
	document->language = g_strdup (customer->language);
	document->currency = g_strdup (item->invoice.currency);
	if (step->deadline_days > 0)
		document->deadline = as_of + step->deadline_days;
	document->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	return document;
}

static void
add_item (DsDocument *document, const DsOpenItem *item, DsDate as_of)
{
	DsDocumentItem *entry = g_new0 (DsDocumentItem, 1);

	entry->invoice_id = g_strdup (item->invoice.invoice_id);
	entry->open_amount = item->open;
	entry->days_overdue = (gint64) as_of -
			      (gint64) item->invoice.due_date;
	document->total += item->open;
	g_ptr_array_add (document->items, entry);
}

static DsCustomer *
customer_of (DsStore *store, DsPlan *plan, const char *customer_id,
	     GError **error)
{
	DsCustomer *customer = g_hash_table_lookup (plan->customers,
						    customer_id);

	if (customer != NULL)
		return customer;
	customer = ds_ledger_get_customer (store, customer_id, error);
	if (customer != NULL)
		g_hash_table_insert (plan->customers, customer->customer_id,
				     customer);
	return customer;
}

/*
 * Put the item into the document of its customer, step and currency,
 * starting one if needed.  The channel is decided by the first item and
 * narrowed by the others: a document goes by e-mail only when every one
 * of its items may.
 */
static void
assign (DsPlan *plan, GHashTable *open_documents, const DsConfig *config,
	const DsCustomer *customer, const DsOpenItem *item, int step_index,
	DsDate as_of)
{
	const DsStep *step = ds_config_step (config, step_index);
	g_autofree char *key = g_strdup_printf ("%s/%d/%s",
		customer->customer_id, step_index, item->invoice.currency);
	DsDocument *document = g_hash_table_lookup (open_documents, key);
	gboolean possible;
	DsChannel channel = choose_channel (step, customer, item, as_of,
					    &possible);

	if (document == NULL) {
		document = new_document (config, customer, item, step_index,
					 as_of);
		document->channel = channel;
		g_ptr_array_add (plan->documents, document);
		g_hash_table_insert (open_documents, g_steal_pointer (&key),
				     document);
	} else if (channel != document->channel &&
		   !ds_planner_channel_possible (customer, item,
						 document->channel, as_of)) {
		document->channel = channel;
	}
	add_item (document, item, as_of);
}

static gboolean
plan_item (DsStore *store, DsPlan *plan, GHashTable *open_documents,
	   const DsConfig *config, const DsOpenItem *item, DsDate as_of,
	   GError **error)
{
	DsStepTaken taken;
	DsCustomer *customer;
	int step_index;

	if (item->disputed) {
		plan->disputed++;
		return TRUE;
	}
	if (!ds_document_last_step (store, item->invoice.invoice_id,
				    config->strategy, &taken, error))
		return FALSE;
	step_index = due_step (config, item, &taken, as_of);
	g_free (taken.trace_id);
	if (step_index < 0)
		return TRUE;
	customer = customer_of (store, plan, item->invoice.customer_id,
				error);
	if (customer == NULL)
		return FALSE;
	assign (plan, open_documents, config, customer, item, step_index,
		as_of);
	return TRUE;
}

/* Derive the ids and drop what was planned before. */
static void
drop_known (DsStore *store, DsPlan *plan)
{
	for (guint i = plan->documents->len; i-- > 0;) {
		DsDocument *document = g_ptr_array_index (plan->documents, i);

		ds_document_derive_ids (document);
		if (ds_document_exists (store, document->idempotency_key))
			g_ptr_array_remove_index (plan->documents, i);
	}
}

DsPlan *
ds_planner_plan (DsStore *store, const DsConfig *config, DsDate as_of,
		 GError **error)
{
	g_autoptr (DsPlan) plan = g_new0 (DsPlan, 1);
	g_autoptr (GHashTable) open_documents = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr (GPtrArray) items = ds_ledger_open_items (store, as_of,
							    error);

	if (items == NULL)
		return NULL;
	plan->documents = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_free);
	plan->open_items = g_hash_table_new_full (g_str_hash, g_str_equal,
		NULL, (GDestroyNotify) ds_open_item_free);
	plan->customers = g_hash_table_new_full (g_str_hash, g_str_equal,
		NULL, (GDestroyNotify) ds_customer_free);
	plan->open = items->len;

	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		if (!plan_item (store, plan, open_documents, config, item,
				as_of, error))
			return NULL;
	}
	/* The plan keeps the items for rendering, keyed by invoice id. */
	g_ptr_array_set_free_func (items, NULL);
	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		g_hash_table_insert (plan->open_items,
				     item->invoice.invoice_id, item);
	}
	drop_known (store, plan);
	return g_steal_pointer (&plan);
}
