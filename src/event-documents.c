/*
 * event-documents.c -- acknowledgements, promise confirmations and
 * dispute notices.  See event-documents.h.
 */
#define G_LOG_DOMAIN "dunspool-events"

#include "event-documents.h"

#include <sqlite3.h>
#include <string.h>

#include "ds-error.h"

/* The ledger record an event is about, read by its object id. */
typedef struct {
	const char *kind;		/* the document's step */
	char *object;			/* "payment:P7" */
	char *customer_id;
	char *currency;			/* NULL: the customer's */
	char *invoice_id;		/* the invoice named; may be NULL */
	DsLetterEvent event;		/* its dates and amount only */
	DsDate resolved;		/* a dispute's; NONE: open */
	char *id;
	char *reason;
} EventRecord;

static void
event_record_clear (EventRecord *record)
{
	g_free (record->object);
	g_free (record->customer_id);
	g_free (record->currency);
	g_free (record->invoice_id);
	g_free (record->id);
	g_free (record->reason);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EventRecord, event_record_clear)

static gboolean
not_found (GError **error, const char *object)
{
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
		     "the ledger holds no %s", object);
	return FALSE;
}

static gboolean
read_payment (DsStore *store, const char *customer_id, const char *id,
	      DsDate as_of, EventRecord *record, GError **error)
{
	g_autoptr (GPtrArray) payments = ds_ledger_payments (
		store, customer_id, as_of, error);

	if (payments == NULL)
		return FALSE;
	for (guint i = 0; i < payments->len; i++) {
		const DsPayment *payment = payments->pdata[i];

		if (strcmp (payment->payment_id, id) != 0)
			continue;
		record->currency = g_strdup (payment->currency);
		record->invoice_id = g_strdup (payment->invoice_id);
		record->event.date = payment->date;
		record->event.promised_date = DS_DATE_NONE;
		record->event.amount = payment->amount;
		return TRUE;
	}
	return not_found (error, record->object);
}

static gboolean
read_promise (DsStore *store, const char *customer_id, const char *id,
	      DsDate as_of, EventRecord *record, GError **error)
{
	g_autoptr (GPtrArray) promises = ds_ledger_promises (
		store, customer_id, as_of, error);

	if (promises == NULL)
		return FALSE;
	for (guint i = 0; i < promises->len; i++) {
		const DsPromise *promise = promises->pdata[i];

		if (strcmp (promise->promise_id, id) != 0)
			continue;
		record->invoice_id = g_strdup (promise->invoice_id);
		record->event.date = promise->made_on;
		record->event.promised_date = promise->promised_date;
		record->event.amount = promise->amount;
		return TRUE;
	}
	return not_found (error, record->object);
}

/* "INV1@2024-03-01": the invoice and the day the dispute was opened. */
static gboolean
read_dispute (DsStore *store, const char *id, EventRecord *record,
	      GError **error)
{
	const char *at = strrchr (id, '@');
	g_autofree char *invoice_id = at ? g_strndup (id, at - id) : NULL;
	DsDate opened;
	g_autoptr (GPtrArray) disputes = NULL;
	g_autoptr (DsInvoice) invoice = NULL;

	if (at == NULL || !ds_date_parse_iso (at + 1, &opened, NULL))
		return not_found (error, record->object);
	disputes = ds_ledger_disputes (store, invoice_id, error);
	if (disputes == NULL)
		return FALSE;
	for (guint i = 0; i < disputes->len; i++) {
		const DsDispute *dispute = disputes->pdata[i];

		if (dispute->opened != opened)
			continue;
		invoice = ds_ledger_get_invoice (store, invoice_id, error);
		if (invoice == NULL)
			return FALSE;
		record->currency = g_strdup (invoice->currency);
		record->invoice_id = g_steal_pointer (&invoice_id);
		record->reason = g_strdup (dispute->reason);
		record->event.date = dispute->opened;
		record->resolved = dispute->resolved;
		return TRUE;
	}
	return not_found (error, record->object);
}

/* Read the record of an event document's object ("payment:P7", ...). */
static gboolean
read_record (DsStore *store, const char *customer_id, const char *object,
	     DsDate as_of, EventRecord *record, GError **error)
{
	const char *colon = strchr (object, ':');
	g_autofree char *kind = colon ? g_strndup (object, colon - object)
				      : NULL;

	record->object = g_strdup (object);
	record->customer_id = g_strdup (customer_id);
	record->event.date = DS_DATE_NONE;
	record->event.promised_date = DS_DATE_NONE;
	record->resolved = DS_DATE_NONE;
	if (colon == NULL)
		return not_found (error, object);
	record->id = g_strdup (colon + 1);
	if (strcmp (kind, "payment") == 0) {
		record->kind = DS_EVENT_ACKNOWLEDGEMENT;
		return read_payment (store, customer_id, record->id, as_of,
				     record, error);
	}
	if (strcmp (kind, "promise") == 0) {
		record->kind = DS_EVENT_PROMISE_CONFIRMATION;
		return read_promise (store, customer_id, record->id, as_of,
				     record, error);
	}
	if (strcmp (kind, "dispute") == 0) {
		record->kind = DS_EVENT_DISPUTE_NOTICE;
		return read_dispute (store, record->id, record, error);
	}
	return not_found (error, object);
}

/* ---- planning --------------------------------------------------------- */

/* The event's object and whether [events] wants a document for it. */
static const char *
wanted (const DsEventSettings *settings, const DsPlanEvent *event)
{
	if (strcmp (event->event, "payment-received") == 0)
		return settings->acknowledge_payments ? "payment" : NULL;
	if (strcmp (event->event, "promise-made") == 0)
		return settings->confirm_promises ? "promise" : NULL;
	if (strcmp (event->event, "dispute-opened") == 0)
		return settings->dispute_notices ? "dispute" : NULL;
	return NULL;
}

/*
 * A promise whose date has passed is not confirmed, nor a dispute
 * already resolved: after downtime the document would say what is no
 * longer true.
 */
static gboolean
event_due (const EventRecord *record, DsDate as_of)
{
	if (strcmp (record->kind, DS_EVENT_PROMISE_CONFIRMATION) == 0)
		return record->event.promised_date >= as_of;
	if (strcmp (record->kind, DS_EVENT_DISPUTE_NOTICE) == 0)
		return record->resolved == DS_DATE_NONE ||
		       record->resolved > as_of;
	return TRUE;
}

static gboolean
document_made (DsStore *store, const char *kind, const char *object,
	       gboolean *made, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT 1 FROM documents WHERE step = ? AND event_object = ?",
		error);
	int step;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, kind);
	ds_store_bind_text (statement, 2, object);
	step = sqlite3_step (statement);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ds_store_fail (store, error, "event document");
	*made = step == SQLITE_ROW;
	return TRUE;
}

static gboolean
has_text (const char *text)
{
	return text != NULL && *text != '\0';
}

static gboolean
reachable (const DsCustomer *customer, DsChannel channel)
{
	switch (channel) {
	case DS_CHANNEL_EMAIL:
		return has_text (customer->email);
	case DS_CHANNEL_FAX:
		return has_text (customer->fax);
	case DS_CHANNEL_LETTER:
	case DS_CHANNEL_REGISTERED:
		return has_text (customer->street) &&
		       has_text (customer->city);
	default:
		return FALSE;
	}
}

static DsChannel
choose_channel (const DsEventSettings *settings,
		const DsCustomer *customer)
{
	for (int i = 0; i < settings->n_channels; i++)
		if (reachable (customer, settings->channels[i]))
			return settings->channels[i];
	return settings->channels[0];
}

static void
add_item (DsDocument *document, const char *invoice_id,
	  const DsOpenItem *open, DsDate as_of)
{
	DsDocumentItem *item = g_new0 (DsDocumentItem, 1);

	item->invoice_id = g_strdup (invoice_id);
	if (open != NULL) {
		item->open_amount = open->open;
		item->days_overdue = MAX ((gint64) as_of - (gint64) open->due,
					  0);
	}
	document->total += item->open_amount;
	g_ptr_array_add (document->items, item);
}

/*
 * The invoices a document lists: the one the event names; for a promise
 * of the customer's balance, the customer's open undisputed invoices in
 * the promise's currency.
 */
static void
add_items (DsDocument *document, const EventRecord *record,
	   GHashTable *open_items, DsDate as_of)
{
	GHashTableIter iter;
	gpointer value;

	if (record->invoice_id != NULL) {
		add_item (document, record->invoice_id,
			  g_hash_table_lookup (open_items,
					       record->invoice_id), as_of);
		return;
	}
	if (strcmp (record->kind, DS_EVENT_PROMISE_CONFIRMATION) != 0)
		return;
	g_hash_table_iter_init (&iter, open_items);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		const DsOpenItem *open = value;

		if (strcmp (open->invoice.customer_id,
			    document->customer_id) == 0 &&
		    strcmp (open->invoice.currency, document->currency) == 0 &&
		    !open->disputed)
			add_item (document, open->invoice.invoice_id, open,
				  as_of);
	}
}

static DsDocument *
new_document (DsStore *store, const DsConfig *config,
	      const DsCustomer *customer, const EventRecord *record,
	      GHashTable *open_items, DsDate as_of)
{
	DsDocument *document = g_new0 (DsDocument, 1);

	document->customer_id = g_strdup (customer->customer_id);
	document->entity_id = g_strdup (customer->entity_id);
	document->strategy = g_strdup (DS_DOCUMENT_EVENT_STRATEGY);
	document->step = g_strdup (record->kind);
	document->step_index = -1;
	document->channel = choose_channel (&config->events, customer);
	document->as_of = as_of;
	document->deadline = DS_DATE_NONE;
	document->language = g_strdup (customer->language);
	document->currency = g_strdup (record->currency ? record->currency
							: customer->currency);
	document->event_object = g_strdup (record->object);
	document->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	add_items (document, record, open_items, as_of);
	ds_document_derive_ids (store, document);
	return document;
}

static gboolean
plan_event (DsStore *store, const DsConfig *config, DsPlan *plan,
	    const DsPlanEvent *event, const char *object_kind, DsDate as_of,
	    GError **error)
{
	g_autofree char *object = g_strdup_printf ("%s:%s", object_kind,
						   event->object_id);
	g_auto (EventRecord) record = { 0 };
	g_autoptr (DsCustomer) customer = NULL;
	gboolean made = FALSE;

	if (!read_record (store, event->customer_id, object, as_of, &record,
			  error) ||
	    !document_made (store, record.kind, object, &made, error))
		return FALSE;
	if (made || !event_due (&record, as_of))
		return TRUE;
	customer = ds_ledger_get_customer (store, event->customer_id, error);
	if (customer == NULL)
		return FALSE;
	g_ptr_array_add (plan->documents,
			 new_document (store, config, customer, &record,
				       plan->open_items, as_of));
	return TRUE;
}

gboolean
ds_event_documents_plan (DsStore *store, const DsConfig *config,
			 DsPlan *plan, DsDate as_of, GError **error)
{
	for (guint i = 0; i < plan->events->len; i++) {
		const DsPlanEvent *event = plan->events->pdata[i];
		const char *object_kind = wanted (&config->events, event);

		if (object_kind != NULL &&
		    !plan_event (store, config, plan, event, object_kind,
				 as_of, error)) {
			g_prefix_error (error, "%s %s: ", event->event,
					event->object_id);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- production ------------------------------------------------------- */

void
ds_event_letter_free (DsEventLetter *letter)
{
	if (letter == NULL)
		return;
	if (letter->items != NULL)
		g_ptr_array_unref (letter->items);
	g_free (letter->id);
	g_free (letter->invoice_id);
	g_free (letter->reason);
	g_free (letter);
}

/* An invoice as it stands: settled when not among the open items. */
static DsLetterItem *
letter_item (DsStore *store, const char *invoice_id, GHashTable *open_items,
	     DsDate as_of, GError **error)
{
	const DsOpenItem *open = g_hash_table_lookup (open_items, invoice_id);
	g_autoptr (DsInvoice) invoice = NULL;
	DsLetterItem *item;

	if (open == NULL) {
		invoice = ds_ledger_get_invoice (store, invoice_id, error);
		if (invoice == NULL)
			return NULL;
	}
	item = g_new0 (DsLetterItem, 1);
	item->invoice_id = g_strdup (invoice_id);
	if (open != NULL) {
		item->reference = g_strdup (open->invoice.reference);
		item->issue_date = open->invoice.issue_date;
		item->due_date = open->due;
		item->amount = open->invoice.amount;
		item->paid = open->paid;
		item->open = open->open;
		item->days_overdue = MAX ((gint64) as_of -
					  (gint64) open->due, 0);
		return item;
	}
	item->reference = g_strdup (invoice->reference);
	item->issue_date = invoice->issue_date;
	item->due_date = invoice->due_date;
	item->amount = invoice->amount;
	item->paid = invoice->amount;
	return item;
}

DsEventLetter *
ds_event_letter_load (DsStore *store, const DsDocument *document,
		      GHashTable *open_items, GError **error)
{
	g_autoptr (DsEventLetter) letter = g_new0 (DsEventLetter, 1);
	g_auto (EventRecord) record = { 0 };

	g_return_val_if_fail (document->event_object != NULL, NULL);
	if (!read_record (store, document->customer_id,
			  document->event_object, document->as_of, &record,
			  error))
		return NULL;
	letter->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_item_free);
	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *entry = document->items->pdata[i];
		DsLetterItem *item = letter_item (store, entry->invoice_id,
						  open_items, document->as_of,
						  error);

		if (item == NULL)
			return NULL;
		letter->total += item->open;
		g_ptr_array_add (letter->items, item);
	}
	letter->event = record.event;
	letter->id = g_steal_pointer (&record.id);
	letter->invoice_id = g_steal_pointer (&record.invoice_id);
	letter->reason = g_steal_pointer (&record.reason);
	letter->event.id = letter->id;
	letter->event.invoice_id = letter->invoice_id;
	letter->event.reason = letter->reason;
	return g_steal_pointer (&letter);
}
