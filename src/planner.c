/*
 * planner.c -- propose the documents due on a date.  See planner.h.
 */
#include "planner.h"

#include <string.h>

#include "action-limits.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "journal.h"
#include "ledger-events.h"

static void
plan_event_free (DsPlanEvent *event)
{
	g_free (event->object_kind);
	g_free (event->object_id);
	g_free (event->event);
	g_free (event->evidence);
	g_free (event->trace_id);
	g_free (event->customer_id);
	g_free (event->task_kind);
	g_free (event);
}

void
ds_plan_free (DsPlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref (plan->documents);
	g_ptr_array_unref (plan->events);
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
	case DS_CHANNEL_CALL:
		return has_text (customer->phone);
	case DS_CHANNEL_COUNT:
		break;
	}
	return FALSE;
}

/* ---- segments and exclusions -------------------------------------- */

static gboolean
in_list (GStrv list, const char *value)
{
	return list == NULL ||
	       (value != NULL && g_strv_contains ((const char *const *) list,
						  value));
}

static gboolean
has_tag (const DsCustomer *customer, const char *tag)
{
	g_auto (GStrv) tags = NULL;

	if (customer->tags == NULL || tag == NULL)
		return FALSE;
	tags = g_strsplit (customer->tags, ",", -1);
	for (int i = 0; tags[i] != NULL; i++)
		if (strcmp (g_strstrip (tags[i]), tag) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
has_any_tag (const DsCustomer *customer, GStrv tags)
{
	if (tags == NULL)
		return TRUE;
	for (int i = 0; tags[i] != NULL; i++)
		if (has_tag (customer, tags[i]))
			return TRUE;
	return FALSE;
}

gboolean
ds_planner_segment_matches (const DsSegment *segment,
			    const DsCustomer *customer,
			    const DsOpenItem *item)
{
	return in_list (segment->entities, customer->entity_id) &&
	       in_list (segment->countries, customer->country) &&
	       in_list (segment->currencies, item->invoice.currency) &&
	       has_any_tag (customer, segment->tags) &&
	       (segment->b2b < 0 || segment->b2b == !!customer->b2b) &&
	       (segment->amount_min < 0 ||
		item->open >= segment->amount_min) &&
	       (segment->amount_max < 0 ||
		item->open <= segment->amount_max);
}

static const DsStrategy *
strategy_for (const DsConfig *config, const DsCustomer *customer,
	      const DsOpenItem *item)
{
	for (guint i = 0; i < config->segments->len; i++) {
		const DsSegment *segment = config->segments->pdata[i];

		if (ds_planner_segment_matches (segment, customer, item))
			return segment->strategy;
	}
	return ds_config_default_strategy (config);
}

static gboolean
invoice_blocked (const DsRules *rules, const DsCustomer *customer,
		 const DsOpenItem *item)
{
	g_autofree char *invoice_tag = g_strdup_printf (
		"%s:%s", rules->blocked_tag, item->invoice.invoice_id);

	return has_tag (customer, rules->blocked_tag) ||
	       has_tag (customer, invoice_tag);
}

static gboolean
below_minimum (const DsRules *rules, const DsOpenItem *item)
{
	const gint64 *minimum = g_hash_table_lookup (rules->minimum,
						     item->invoice.currency);

	return minimum != NULL && item->open < *minimum;
}

/* ---- per customer: records read once ------------------------------- */

typedef struct {
	DsCustomer *customer;
	gint64 open;		/* open items in the customer's currency */
	int balance;		/* -1 not yet known, 0 owes, 1 credit */
	GPtrArray *promises;	/* of DsPromise; NULL: not yet read */
} CustomerState;

static void
customer_state_free (CustomerState *state)
{
	if (state->promises != NULL)
		g_ptr_array_unref (state->promises);
	g_free (state);
}

typedef struct {
	DsStore *store;
	const DsConfig *config;
	DsDate as_of;
	DsPlan *plan;
	GHashTable *states;		/* customer id -> CustomerState */
	GHashTable *open_documents;	/* customer/strategy/step/currency */
	GHashTable *events;		/* kind/id/event, planned already */
} Planner;

static CustomerState *
state_of (Planner *planner, const DsOpenItem *item, GError **error)
{
	const char *customer_id = item->invoice.customer_id;
	CustomerState *state = g_hash_table_lookup (planner->states,
						    customer_id);
	DsCustomer *customer;

	if (state != NULL)
		return state;
	customer = ds_ledger_get_customer (planner->store, customer_id,
					   error);
	if (customer == NULL)
		return NULL;
	g_hash_table_insert (planner->plan->customers,
			     customer->customer_id, customer);
	state = g_new0 (CustomerState, 1);
	state->customer = customer;
	state->balance = -1;
	g_hash_table_insert (planner->states, customer->customer_id, state);
	return state;
}

/*
 * Net balance: open items less unapplied cash and unallocated open
 * credit notes, in the customer's currency.
 */
static gboolean
credit_balance (Planner *planner, CustomerState *state, gboolean *credit,
		GError **error)
{
	const DsCustomer *customer = state->customer;
	g_autoptr (GPtrArray) payments = NULL;
	g_autoptr (GPtrArray) notes = NULL;
	gint64 balance = state->open;

	if (state->balance >= 0) {
		*credit = state->balance;
		return TRUE;
	}
	payments = ds_ledger_payments (planner->store, customer->customer_id,
				       planner->as_of, error);
	notes = payments ? ds_ledger_credit_notes (planner->store,
		customer->customer_id, planner->as_of, error) : NULL;
	if (notes == NULL)
		return FALSE;
	for (guint i = 0; i < payments->len; i++) {
		const DsPayment *payment = payments->pdata[i];

		if (payment->invoice_id == NULL &&
		    g_strcmp0 (payment->currency, customer->currency) == 0)
			balance -= payment->amount;
	}
	for (guint i = 0; i < notes->len; i++) {
		const DsCreditNote *note = notes->pdata[i];

		if (note->invoice_id == NULL &&
		    note->status == DS_CREDIT_NOTE_OPEN &&
		    g_strcmp0 (note->currency, customer->currency) == 0)
			balance -= note->amount;
	}
	state->balance = balance < 0;
	*credit = state->balance;
	return TRUE;
}

/* The exclusions that need no reading: blocked, below the minimum. */
static gboolean
excluded (const Planner *planner, const CustomerState *state,
	  const DsOpenItem *item)
{
	const DsRules *rules = &planner->config->rules;

	return invoice_blocked (rules, state->customer, item) ||
	       below_minimum (rules, item);
}

/* ---- events --------------------------------------------------------- */

static DsPlanEvent *
add_event (Planner *planner, const char *kind, const char *id,
	   const char *event, char *evidence)
{
	g_autofree char *key = g_strdup_printf ("%s/%s/%s", kind, id, event);
	DsPlanEvent *entry;

	if (g_hash_table_contains (planner->events, key)) {
		g_free (evidence);
		return NULL;
	}
	entry = g_new0 (DsPlanEvent, 1);
	entry->object_kind = g_strdup (kind);
	entry->object_id = g_strdup (id);
	entry->event = g_strdup (event);
	entry->evidence = evidence;
	g_ptr_array_add (planner->plan->events, entry);
	g_hash_table_add (planner->events, g_steal_pointer (&key));
	return entry;
}

static gboolean
event_recorded (DsStore *store, const DsPlanEvent *event, gboolean *found,
		GError **error)
{
	g_autoptr (GPtrArray) records = ds_journal_for_object (
		store, event->object_kind, event->object_id, error);

	if (records == NULL)
		return FALSE;
	*found = FALSE;
	for (guint i = 0; i < records->len; i++) {
		const DsJournalRecord *record = records->pdata[i];

		if (g_strcmp0 (record->event, event->event) == 0)
			*found = TRUE;
	}
	return TRUE;
}

static gboolean
record_event (DsStore *store, const DsPlanEvent *event, GError **error)
{
	DsJournalEntry entry = {
		.object_kind = event->object_kind,
		.object_id = event->object_id,
		.trace_id = event->trace_id,
		.event = event->event, .new_state = event->event,
		.evidence = event->evidence,
	};
	gint64 task_id;

	if (!ds_store_begin (store, error))
		return FALSE;
	if (!ds_journal_append (store, &entry, error) ||
	    (event->task_kind != NULL &&
	     !ds_feedback_open_task_of_kind (store, event->trace_id,
					     event->task_kind,
					     event->evidence, &task_id,
					     error)) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

gboolean
ds_planner_record_events (DsStore *store, const DsPlan *plan,
			  GError **error)
{
	for (guint i = 0; i < plan->events->len; i++) {
		const DsPlanEvent *event = plan->events->pdata[i];
		gboolean found;

		if (!event_recorded (store, event, &found, error))
			return FALSE;
		if (!found && !record_event (store, event, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- storing: documents and calls ----------------------------------- */

/*
 * A call is a step taken like a document (its row, items and step
 * records, journaled "planned") that is never produced: it moves to
 * "task" at once and opens the collector's call task, all in one
 * transaction, so that a crash leaves neither half.  It prints no
 * deadline, so the next step's timing runs from the call's date.
 */
static gboolean
store_call (DsStore *store, DsDocument *document, const char *evidence,
	    GError **error)
{
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, document->customer_id, error);
	g_autofree char *reason = NULL;
	gint64 task_id;

	if (customer == NULL)
		return FALSE;
	reason = g_strdup_printf ("step=%s invoices=%u%s", document->step,
				  document->items->len,
				  has_text (customer->phone) ? "" :
				  " no phone number");
	document->deadline = DS_DATE_NONE;
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!ds_document_insert (store, document, evidence, error) ||
	    !ds_document_move (store, document->trace_id, "task",
			       "call-task", reason, error) ||
	    !ds_feedback_open_task_of_kind (store, document->trace_id,
					    DS_TASK_CALL, reason, &task_id,
					    error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	g_free (document->state);
	document->state = g_strdup ("task");
	return TRUE;
}

gboolean
ds_planner_store_document (DsStore *store, DsDocument *document,
			   const char *evidence, GError **error)
{
	if (document->channel == DS_CHANNEL_CALL)
		return store_call (store, document, evidence, error);
	return ds_document_insert (store, document, evidence, error);
}

/* ---- promises ------------------------------------------------------- */

/*
 * The promise that governs an invoice on the date: of the promises made
 * for it or for the customer's balance, the one promising the latest.
 */
static const DsPromise *
governing_promise (Planner *planner, CustomerState *state,
		   const DsOpenItem *item, GError **error)
{
	const DsPromise *latest = NULL;

	if (state->promises == NULL)
		state->promises = ds_ledger_promises (planner->store,
			state->customer->customer_id, planner->as_of, error);
	if (state->promises == NULL)
		return NULL;
	for (guint i = 0; i < state->promises->len; i++) {
		const DsPromise *promise = state->promises->pdata[i];

		if (promise->invoice_id != NULL &&
		    strcmp (promise->invoice_id,
			    item->invoice.invoice_id) != 0)
			continue;
		if (latest == NULL ||
		    promise->promised_date > latest->promised_date)
			latest = promise;
	}
	return latest;
}

/*
 * 1: paused under a promise; 0: no promise holds (one broken is
 * journaled); -1: the database failed.
 */
static int
promise_pauses (Planner *planner, CustomerState *state,
		const DsOpenItem *item, GError **error)
{
	g_autoptr (GError) local = NULL;
	const DsPromise *promise = governing_promise (planner, state, item,
						      &local);
	DsDate until;
	g_autofree char *promised = NULL;

	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return -1;
	}
	if (promise == NULL)
		return 0;
	until = promise->promised_date +
		planner->config->rules.promise_grace_days;
	if (planner->as_of <= until)
		return 1;
	promised = ds_date_to_iso (promise->promised_date);
	add_event (planner, "promise", promise->promise_id, "promise-broken",
		   g_strdup_printf ("invoice=%s promised=%s grace=%d open=%"
				    G_GINT64_FORMAT,
				    item->invoice.invoice_id, promised,
				    planner->config->rules.promise_grace_days,
				    item->open));
	return 0;
}

/* ---- steps ---------------------------------------------------------- */

/*
 * The step the rules make due for one invoice on `as_of`, or -1.  See
 * planner.h; `taken` is the last step the invoice took.
 */
static int
due_step (const DsStrategy *strategy, const DsOpenItem *item,
	  const DsStepTaken *taken, DsDate as_of)
{
	int index = taken->step_index + 1;
	const DsStep *step = ds_strategy_step (strategy, index);
	DsDate due = item->due;		/* an instalment's, where there are */
	gint64 base;

	while (step != NULL && step->offset_days < 0 &&
	       !step->from_previous && as_of > due && taken->step_index < 0)
		step = ds_strategy_step (strategy, ++index);
	if (step == NULL)
		return -1;
	base = step->from_previous && taken->step_index >= 0 ?
	       (gint64) taken->taken_on : (gint64) due;
	if ((gint64) as_of < base + step->offset_days)
		return -1;
	if (taken->step_index >= 0 &&
	    ((gint64) as_of < (gint64) taken->taken_on + step->gap_days ||
	     (taken->deadline != DS_DATE_NONE && as_of <= taken->deadline)))
		return -1;
	return index;
}

/*
 * After the final step, a strategy that escalates hands the invoice
 * over: once its delay has run from the final document and that
 * document's deadline has passed.
 */
static gboolean
escalation_due (const Planner *planner, const DsStrategy *strategy,
		const DsStepTaken *taken)
{
	DsDate after;

	if (strategy->escalation == NULL ||
	    taken->step_index != (int) strategy->steps->len - 1)
		return FALSE;
	after = taken->taken_on + strategy->escalation_days;
	if (taken->deadline != DS_DATE_NONE)
		after = MAX (after, taken->deadline + 1);
	return planner->as_of >= after;
}

static void
escalate (Planner *planner, const DsStrategy *strategy,
	  const DsCustomer *customer, const DsOpenItem *item,
	  const DsStepTaken *taken)
{
	DsPlanEvent *event = add_event (planner, "invoice",
		item->invoice.invoice_id, "escalated",
		g_strdup_printf ("to=%s strategy=%s after=%s invoice=%s open=%"
				 G_GINT64_FORMAT, strategy->escalation,
				 strategy->name, taken->trace_id,
				 item->invoice.invoice_id, item->open));

	if (event == NULL)
		return;
	event->trace_id = g_strdup (taken->trace_id);
	event->customer_id = g_strdup (customer->customer_id);
	event->task_kind = g_strdup_printf ("hand-over-%s",
					    strategy->escalation);
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

/*
 * The decision for one invoice: the step the rules allow (`step_index`,
 * -1 for none) and its channel.  This is where a next-best-action policy
 * may choose to wait (return -1) or another allowed channel; it must not
 * choose a step the rules do not allow.
 */
static int
decide (const Planner *planner, const DsCustomer *customer,
	const DsOpenItem *item, const DsStrategy *strategy, int step_index,
	DsChannel *channel)
{
	const DsStep *step = ds_strategy_step (strategy, step_index);
	gboolean possible;

	if (step == NULL)
		return -1;
	*channel = choose_channel (step, customer, item, planner->as_of,
				   &possible);
	return step_index;
}

/* ---- documents ------------------------------------------------------ */

static DsDocument *
new_document (const Planner *planner, const DsCustomer *customer,
	      const DsOpenItem *item, const DsStrategy *strategy,
	      int step_index)
{
	const DsStep *step = ds_strategy_step (strategy, step_index);
	const DsCalendar *calendar = ds_config_calendar (planner->config,
							 customer->entity_id);
	DsDocument *document = g_new0 (DsDocument, 1);
	DsDate as_of = planner->as_of;

	document->customer_id = g_strdup (customer->customer_id);
	document->entity_id = g_strdup (customer->entity_id);
	document->strategy = g_strdup (strategy->name);
	document->step = g_strdup (step->name);
	document->step_index = step_index;
	document->as_of = as_of;
	document->language = g_strdup (customer->language);
	document->currency = g_strdup (item->invoice.currency);
	if (step->deadline_days > 0)
		document->deadline = as_of + step->deadline_days;
	if (step->deadline_days > 0 && calendar != NULL)
		document->deadline = ds_calendar_next_working_day (
			calendar, document->deadline);
	document->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	return document;
}

static void
add_item (DsDocument *document, const DsOpenItem *item, DsDate as_of)
{
	DsDocumentItem *entry = g_new0 (DsDocumentItem, 1);

	entry->invoice_id = g_strdup (item->invoice.invoice_id);
	entry->instalment = item->instalment;
	entry->open_amount = ds_open_item_claimed (item);
	entry->days_overdue = (gint64) as_of - (gint64) item->due;
	document->total += entry->open_amount;
	g_ptr_array_add (document->items, entry);
}

/*
 * Put the item into the document of its customer, strategy, step and
 * currency, starting one if needed.  The channel is decided by the first
 * item and narrowed by the others: a document goes by e-mail only when
 * every one of its items may.
 */
static void
assign (Planner *planner, const DsCustomer *customer,
	const DsOpenItem *item, const DsStrategy *strategy, int step_index,
	DsChannel channel)
{
	g_autofree char *key = g_strdup_printf ("%s/%s/%d/%s",
		customer->customer_id, strategy->name, step_index,
		item->invoice.currency);
	DsDocument *document = g_hash_table_lookup (planner->open_documents,
						    key);

	if (document == NULL) {
		document = new_document (planner, customer, item, strategy,
					 step_index);
		document->channel = channel;
		g_ptr_array_add (planner->plan->documents, document);
		g_hash_table_insert (planner->open_documents,
				     g_steal_pointer (&key), document);
	} else if (channel != document->channel &&
		   !ds_planner_channel_possible (customer, item,
						 document->channel,
						 planner->as_of)) {
		document->channel = channel;
	}
	add_item (document, item, planner->as_of);
}

static gboolean
working_day (const Planner *planner, const DsCustomer *customer)
{
	const DsCalendar *calendar = ds_config_calendar (planner->config,
							 customer->entity_id);

	return calendar == NULL ||
	       ds_calendar_is_working_day (calendar, planner->as_of);
}

/*
 * Whether an invoice that would be chased is held: 1 under a promise to
 * pay (a broken one is journaled and holds nothing) or when the
 * customer's balance is a credit; 0 not; -1 the database failed.  Read
 * only for invoices with something due, as it costs queries.
 */
static int
held (Planner *planner, CustomerState *state, const DsOpenItem *item,
      GError **error)
{
	int paused = promise_pauses (planner, state, item, error);
	gboolean credit = FALSE;

	if (paused != 0) {
		planner->plan->paused += paused > 0;
		return paused;
	}
	if (planner->config->rules.skip_credit_balance &&
	    !credit_balance (planner, state, &credit, error))
		return -1;
	planner->plan->excluded += credit;
	return credit;
}

/* The step rules for an invoice nothing excludes. */
static gboolean
plan_steps (Planner *planner, CustomerState *state, const DsOpenItem *item,
	    GError **error)
{
	const DsStrategy *strategy = strategy_for (planner->config,
						   state->customer, item);
	DsStepTaken taken = { 0 };
	g_autofree char *last_trace_id = NULL;
	DsChannel channel = DS_CHANNEL_LETTER;
	gboolean escalating;
	int step_index, hold;

	if (!ds_document_last_step (planner->store, item->invoice.invoice_id,
				    item->instalment, strategy->name, &taken,
				    error))
		return FALSE;
	last_trace_id = taken.trace_id;
	if (taken.unsent)
		return TRUE;	/* the last step's document has not gone out */
	step_index = due_step (strategy, item, &taken, planner->as_of);
	escalating = step_index < 0 &&
		     escalation_due (planner, strategy, &taken);
	if (step_index < 0 && !escalating)
		return TRUE;
	hold = held (planner, state, item, error);
	if (hold != 0)
		return hold > 0;
	if (escalating) {
		escalate (planner, strategy, state->customer, item, &taken);
		return TRUE;
	}
	step_index = decide (planner, state->customer, item, strategy,
			     step_index, &channel);
	if (step_index >= 0)
		assign (planner, state->customer, item, strategy, step_index,
			channel);
	return TRUE;
}

static gboolean
plan_item (Planner *planner, const DsOpenItem *item, GError **error)
{
	CustomerState *state;

	if (item->disputed) {
		planner->plan->disputed++;
		return TRUE;
	}
	state = g_hash_table_lookup (planner->states,
				     item->invoice.customer_id);
	if (!working_day (planner, state->customer)) {
		planner->plan->not_working++;
		return TRUE;
	}
	if (excluded (planner, state, item)) {
		planner->plan->excluded++;
		return TRUE;
	}
	return plan_steps (planner, state, item, error);
}

/* Read every customer once and sum their open items. */
static gboolean
load_customers (Planner *planner, GPtrArray *items, GError **error)
{
	for (guint i = 0; i < items->len; i++) {
		const DsOpenItem *item = items->pdata[i];
		CustomerState *state = state_of (planner, item, error);

		if (state == NULL)
			return FALSE;
		if (g_strcmp0 (item->invoice.currency,
			       state->customer->currency) == 0)
			state->open += item->open;
	}
	return TRUE;
}

/* Derive the ids and drop what was planned before. */
static void
drop_known (DsStore *store, DsPlan *plan)
{
	for (guint i = plan->documents->len; i-- > 0;) {
		DsDocument *document = g_ptr_array_index (plan->documents, i);

		ds_document_derive_ids (store, document);
		if (ds_document_exists (store, document->idempotency_key))
			g_ptr_array_remove_index (plan->documents, i);
	}
}

static DsPlan *
plan_new (GPtrArray *items)
{
	DsPlan *plan = g_new0 (DsPlan, 1);

	plan->documents = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_free);
	plan->events = g_ptr_array_new_with_free_func (
		(GDestroyNotify) plan_event_free);
	plan->open_items = g_hash_table_new_full (g_str_hash, g_str_equal,
		NULL, (GDestroyNotify) ds_open_item_free);
	plan->customers = g_hash_table_new_full (g_str_hash, g_str_equal,
		NULL, (GDestroyNotify) ds_customer_free);
	plan->open = items->len;
	return plan;
}

/* The plan keeps the items for rendering, keyed by invoice id. */
static void
keep_items (DsPlan *plan, GPtrArray *items)
{
	g_ptr_array_set_free_func (items, NULL);
	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		g_hash_table_insert (plan->open_items,
				     item->invoice.invoice_id, item);
	}
}

DsPlan *
ds_planner_plan (DsStore *store, const DsConfig *config, DsDate as_of,
		 GError **error)
{
	g_autoptr (GPtrArray) items = ds_ledger_open_items (store, as_of,
							    error);
	g_autoptr (DsPlan) plan = NULL;
	g_autoptr (GHashTable) states = NULL;
	g_autoptr (GHashTable) open_documents = NULL;
	g_autoptr (GHashTable) events = NULL;
	Planner planner;

	if (items == NULL)
		return NULL;
	plan = plan_new (items);
	states = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
					(GDestroyNotify) customer_state_free);
	open_documents = g_hash_table_new_full (g_str_hash, g_str_equal,
						g_free, NULL);
	events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					NULL);
	planner = (Planner) {
		store, config, as_of, plan, states, open_documents, events,
	};
	if (!load_customers (&planner, items, error) ||
	    !ds_ledger_events_read (store, as_of,
				    config->rules.promise_grace_days,
				    plan->events, error))
		return NULL;
	for (guint i = 0; i < items->len; i++)
		if (!plan_item (&planner, items->pdata[i], error))
			return NULL;
	keep_items (plan, items);
	drop_known (store, plan);
	/*
	 * A policy that decides per document (channel, or wait) goes here:
	 * after the known ones are dropped, before the limits count them.
	 */
	if (!ds_action_limits_apply (store, &config->limits, plan->documents,
				     as_of, &plan->deferred, error))
		return NULL;
	return g_steal_pointer (&plan);
}
