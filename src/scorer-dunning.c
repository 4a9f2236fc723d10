/*
 * scorer-dunning.c -- the dunning history in one pass.  See
 * scorer-dunning.h.
 *
 * Three queries, each bounded by the `known_on` date: the documents with
 * their items, the delivery outcomes journaled for their attempts (with
 * their documents' items), and the promises.  Each invoice and each
 * customer that was dunned gets a record number; its actions (by date)
 * and outcomes (by the day they became known) are slices of two flat
 * arrays per kind of record, so that a store of millions of documents
 * costs some twenty bytes per action and per record rather than a few
 * allocations each.  The "as of" answers walk a slice up to the date.
 * Nothing later than `known_on` is read, so a history loaded for a day
 * cannot leak what came after it.
 */
#include "scorer-dunning.h"

#include <math.h>
#include <string.h>

#include "ds-error.h"

/*
 * An action (value: its DsDunningChannel, CHANNELS for another channel)
 * or an outcome (value: its DsDunningOutcome) on a date.
 */
typedef struct {
	DsDate date;
	guint value;
} Mark;

/* A mark of one record, while loading. */
typedef struct {
	guint record;
	Mark mark;
} PendingMark;

/*
 * The marks of every record of one kind: record r's are
 * marks[first[r]] up to marks[first[r + 1]], by date.
 */
typedef struct {
	GArray *first;		/* guint per record, and one more */
	GArray *marks;		/* Mark */
	GArray *pending;	/* PendingMark, while loading */
} MarkList;

/* The invoices, or the customers, that were dunned. */
typedef struct {
	GHashTable *numbers;	/* id -> record number + 1 */
	GStringChunk *ids;
	guint count;
	MarkList actions;
	MarkList outcomes;
} Records;

typedef struct {
	DsDate made;		/* NONE: not recorded */
	DsDate promised;
	char *invoice_id;	/* NULL: the customer's account */
} Promise;

struct _DsDunningHistory {
	DsDate known_on;
	Records invoices;
	Records customers;
	GHashTable *promises;	/* customer id -> GArray of Promise */
};

static const char *const channel_names[DS_DUNNING_CHANNELS] = {
	[DS_DUNNING_EMAIL] = "email",
	[DS_DUNNING_LETTER] = "letter",
	[DS_DUNNING_REGISTERED] = "registered",
	[DS_DUNNING_FAX] = "fax",
};

/* Attempt states that say how a delivery went (states.h). */
static const struct {
	const char *state;
	DsDunningOutcome outcome;
} outcome_states[] = {
	{ "delivered", DS_DUNNING_OUTCOME_DELIVERED },
	{ "delivered-assumed", DS_DUNNING_OUTCOME_DELIVERED },
	{ "signed", DS_DUNNING_OUTCOME_DELIVERED },
	{ "bounced-soft", DS_DUNNING_OUTCOME_BOUNCED },
	{ "bounced-hard", DS_DUNNING_OUTCOME_BOUNCED },
	{ "failed", DS_DUNNING_OUTCOME_BOUNCED },
	{ "returned", DS_DUNNING_OUTCOME_RETURNED },
	{ "unclaimed", DS_DUNNING_OUTCOME_RETURNED },
};

static void
mark_list_init (MarkList *list)
{
	list->first = g_array_new (FALSE, FALSE, sizeof (guint));
	list->marks = g_array_new (FALSE, FALSE, sizeof (Mark));
	list->pending = g_array_new (FALSE, FALSE, sizeof (PendingMark));
}

static void
mark_list_clear (MarkList *list)
{
	g_clear_pointer (&list->first, g_array_unref);
	g_clear_pointer (&list->marks, g_array_unref);
	g_clear_pointer (&list->pending, g_array_unref);
}

static void
records_init (Records *records)
{
	records->numbers = g_hash_table_new (g_str_hash, g_str_equal);
	records->ids = g_string_chunk_new (64 * 1024);
	mark_list_init (&records->actions);
	mark_list_init (&records->outcomes);
}

static void
records_clear (Records *records)
{
	g_clear_pointer (&records->numbers, g_hash_table_unref);
	g_clear_pointer (&records->ids, g_string_chunk_free);
	mark_list_clear (&records->actions);
	mark_list_clear (&records->outcomes);
}

static void
promises_free (GArray *promises)
{
	for (guint i = 0; i < promises->len; i++)
		g_free (g_array_index (promises, Promise, i).invoice_id);
	g_array_unref (promises);
}

void
ds_dunning_history_free (DsDunningHistory *history)
{
	if (history == NULL)
		return;
	records_clear (&history->invoices);
	records_clear (&history->customers);
	if (history->promises != NULL)
		g_hash_table_unref (history->promises);
	g_free (history);
}

DsDate
ds_dunning_history_known_on (const DsDunningHistory *history)
{
	return history->known_on;
}

static guint
record_number (Records *records, const char *id)
{
	gpointer number = g_hash_table_lookup (records->numbers, id);

	if (number != NULL)
		return GPOINTER_TO_UINT (number) - 1;
	g_hash_table_insert (records->numbers,
			     g_string_chunk_insert (records->ids, id),
			     GUINT_TO_POINTER (++records->count));
	return records->count - 1;
}

static void
add_mark (Records *records, MarkList *list, const char *id, DsDate date,
	  guint value)
{
	PendingMark pending = { record_number (records, id), { date, value } };

	g_array_append_val (list->pending, pending);
}

/*
 * By record, then date; g_array_sort is stable, so the order of loading
 * (journal order for outcomes) stays within a day.
 */
static int
compare_pending (gconstpointer a, gconstpointer b)
{
	const PendingMark *left = a, *right = b;

	if (left->record != right->record)
		return left->record < right->record ? -1 : 1;
	return (left->mark.date > right->mark.date) -
	       (left->mark.date < right->mark.date);
}

/* The pending marks into slices of one array. */
static void
mark_list_finish (MarkList *list, guint records)
{
	guint next = 0;

	g_array_sort (list->pending, compare_pending);
	g_array_set_size (list->first, records + 1);
	g_array_set_size (list->marks, list->pending->len);
	for (guint record = 0; record <= records; record++) {
		g_array_index (list->first, guint, record) = next;
		while (next < list->pending->len &&
		       g_array_index (list->pending, PendingMark,
				      next).record == record) {
			g_array_index (list->marks, Mark, next) =
				g_array_index (list->pending, PendingMark,
					       next).mark;
			next++;
		}
	}
	g_clear_pointer (&list->pending, g_array_unref);
}

static void
records_finish (Records *records)
{
	mark_list_finish (&records->actions, records->count);
	mark_list_finish (&records->outcomes, records->count);
}

static guint
channel_from_name (const char *name)
{
	guint channel;

	for (channel = 0; channel < DS_DUNNING_CHANNELS; channel++)
		if (g_strcmp0 (name, channel_names[channel]) == 0)
			break;
	return channel;
}

/* A date column that must parse (the first ten characters of a time). */
static gboolean
require_date (sqlite3_stmt *statement, int column, DsDate *date,
	      GError **error)
{
	const char *text = (const char *) sqlite3_column_text (statement,
							       column);
	g_autofree char *day = text ? g_strndup (text, 10) : NULL;
	g_autoptr (GError) local = NULL;

	if (day != NULL && ds_date_parse_iso (day, date, &local))
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
		     "dunning history: %s: bad date \"%s\"",
		     sqlite3_column_name (statement, column),
		     text ? text : "NULL");
	return FALSE;
}

static gboolean
bind_date (DsStore *store, sqlite3_stmt *statement, int index, DsDate date,
	   GError **error)
{
	char iso[DS_DATE_ISO_LEN];

	ds_date_format_iso (date, iso);
	if (sqlite3_bind_text (statement, index, iso, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK)
		return ds_store_fail (store, error, "dunning history");
	return TRUE;
}

/*
 * One row per document and item, so each document's rows come
 * together: the document is the customer's action once, each item the
 * invoice's.
 */
static gboolean
read_documents (DsDunningHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.trace_id, d.customer_id, d.channel, d.as_of,"
		" i.invoice_id FROM documents d"
		" LEFT JOIN document_items i USING (trace_id)"
		" WHERE d.as_of <= ?1 AND d.strategy <> 'event'"
		" ORDER BY d.as_of, d.trace_id, i.invoice_id", error);
	g_autofree char *last = NULL;
	int status;

	if (statement == NULL ||
	    !bind_date (store, statement, 1, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *trace_id = (const char *) sqlite3_column_text (
			statement, 0);
		const char *invoice_id = (const char *) sqlite3_column_text (
			statement, 4);
		guint channel = channel_from_name ((const char *)
			sqlite3_column_text (statement, 2));
		DsDate date;

		if (!require_date (statement, 3, &date, error))
			return FALSE;
		if (g_strcmp0 (last, trace_id) != 0) {
			add_mark (&history->customers,
				  &history->customers.actions,
				  (const char *) sqlite3_column_text (
					  statement, 1), date, channel);
			g_free (last);
			last = g_strdup (trace_id);
		}
		if (invoice_id != NULL)
			add_mark (&history->invoices,
				  &history->invoices.actions, invoice_id,
				  date, channel);
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "dunning history");
	return TRUE;
}

static DsDunningOutcome
outcome_of (const char *state)
{
	for (guint i = 0; i < G_N_ELEMENTS (outcome_states); i++)
		if (strcmp (state, outcome_states[i].state) == 0)
			return outcome_states[i].outcome;
	g_return_val_if_reached (DS_DUNNING_OUTCOME_UNKNOWN);
}

/*
 * Outcomes in journal order, one row per outcome and item of its
 * document, each known from the day of its record but not before its
 * document's date.
 */
static gboolean
read_outcomes (DsDunningHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT j.seq, j.new_state, j.at, d.as_of, d.customer_id,"
		" i.invoice_id FROM journal j"
		" JOIN documents d ON d.trace_id = j.trace_id"
		" LEFT JOIN document_items i ON i.trace_id = j.trace_id"
		" WHERE j.object_kind = 'attempt'"
		" AND j.new_state IN ('delivered', 'delivered-assumed',"
		"  'signed', 'bounced-soft', 'bounced-hard', 'failed',"
		"  'returned', 'unclaimed')"
		" AND substr (j.at, 1, 10) <= ?1 AND d.as_of <= ?1"
		" AND d.strategy <> 'event'"
		" ORDER BY j.seq, i.invoice_id", error);
	gint64 last = -1;
	int status;

	if (statement == NULL ||
	    !bind_date (store, statement, 1, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 seq = sqlite3_column_int64 (statement, 0);
		const char *invoice_id = (const char *) sqlite3_column_text (
			statement, 5);
		DsDunningOutcome outcome = outcome_of ((const char *)
			sqlite3_column_text (statement, 1));
		DsDate known, date;

		if (!require_date (statement, 2, &known, error) ||
		    !require_date (statement, 3, &date, error))
			return FALSE;
		known = MAX (known, date);
		if (seq != last)
			add_mark (&history->customers,
				  &history->customers.outcomes,
				  (const char *) sqlite3_column_text (
					  statement, 4), known, outcome);
		last = seq;
		if (invoice_id != NULL)
			add_mark (&history->invoices,
				  &history->invoices.outcomes, invoice_id,
				  known, outcome);
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "dunning history");
	return TRUE;
}

static gboolean
read_promise_row (DsDunningHistory *history, sqlite3_stmt *statement,
		  GError **error)
{
	const char *customer_id = (const char *) sqlite3_column_text (
		statement, 0);
	GArray *promises = g_hash_table_lookup (history->promises,
						customer_id);
	Promise promise = { DS_DATE_NONE, DS_DATE_NONE, NULL };

	if (!require_date (statement, 1, &promise.promised, error) ||
	    (sqlite3_column_type (statement, 3) != SQLITE_NULL &&
	     !require_date (statement, 3, &promise.made, error)))
		return FALSE;
	promise.invoice_id = g_strdup ((const char *)
				       sqlite3_column_text (statement, 2));
	if (promises == NULL) {
		promises = g_array_new (FALSE, FALSE, sizeof (Promise));
		g_hash_table_insert (history->promises,
				     g_strdup (customer_id), promises);
	}
	g_array_append_val (promises, promise);
	return TRUE;
}

/* Promises made on or before known_on (else promised by then). */
static gboolean
read_promises (DsDunningHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT customer_id, promised_date, invoice_id, made_on"
		" FROM promises WHERE ifnull (made_on, promised_date) <= ?1"
		" ORDER BY customer_id, promised_date, promise_id", error);
	int status;

	if (statement == NULL ||
	    !bind_date (store, statement, 1, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW)
		if (!read_promise_row (history, statement, error))
			return FALSE;
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "dunning history");
	return TRUE;
}

DsDunningHistory *
ds_dunning_history_load (DsStore *store, DsDate known_on, GError **error)
{
	g_autoptr (DsDunningHistory) history = g_new0 (DsDunningHistory, 1);
	gboolean read;

	g_return_val_if_fail (known_on != DS_DATE_NONE, NULL);

	history->known_on = known_on;
	records_init (&history->invoices);
	records_init (&history->customers);
	history->promises = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify) promises_free);

	/* One read transaction, so the three queries see one store. */
	if (!ds_store_exec (store, "SAVEPOINT dunning_history", error))
		return NULL;
	read = read_documents (history, store, error) &&
	       read_outcomes (history, store, error) &&
	       read_promises (history, store, error);
	if (!read) {
		ds_store_exec (store, "ROLLBACK TO dunning_history;"
			       "RELEASE dunning_history", NULL);
		return NULL;
	}
	if (!ds_store_exec (store, "RELEASE dunning_history", error))
		return NULL;

	records_finish (&history->invoices);
	records_finish (&history->customers);
	return g_steal_pointer (&history);
}

/* ---- as of a date ----------------------------------------------------- */

static void
summarise (const Records *records, const char *id, DsDate as_of,
	   DsDunningSummary *summary)
{
	gpointer number = records != NULL ?
			  g_hash_table_lookup (records->numbers, id) : NULL;
	guint record, first, end;
	DsDate last = DS_DATE_NONE;

	memset (summary->actions, 0, sizeof summary->actions);
	summary->days_since_last_action = NAN;
	summary->last_outcome = NAN;
	if (number == NULL)
		return;
	record = GPOINTER_TO_UINT (number) - 1;

	first = g_array_index (records->actions.first, guint, record);
	end = g_array_index (records->actions.first, guint, record + 1);
	for (guint i = first; i < end; i++) {
		const Mark *action = &g_array_index (records->actions.marks,
						     Mark, i);

		if (action->date >= as_of)
			break;
		if (action->value < DS_DUNNING_CHANNELS)
			summary->actions[action->value]++;
		last = action->date;
	}
	if (last == DS_DATE_NONE)
		return;
	summary->days_since_last_action = (double) as_of - last;

	summary->last_outcome = DS_DUNNING_OUTCOME_UNKNOWN;
	first = g_array_index (records->outcomes.first, guint, record);
	end = g_array_index (records->outcomes.first, guint, record + 1);
	for (guint i = first; i < end; i++) {
		const Mark *outcome = &g_array_index (records->outcomes.marks,
						      Mark, i);

		if (outcome->date >= as_of)
			break;
		summary->last_outcome = outcome->value;
	}
}

void
ds_dunning_invoice_summary (const DsDunningHistory *history,
			    const char *invoice_id, DsDate as_of,
			    DsDunningSummary *summary)
{
	summarise (history ? &history->invoices : NULL, invoice_id, as_of,
		   summary);
}

void
ds_dunning_customer_summary (const DsDunningHistory *history,
			     const char *customer_id, DsDate as_of,
			     DsDunningSummary *summary)
{
	summarise (history ? &history->customers : NULL, customer_id, as_of,
		   summary);
}

/*
 * What the promise covered that was still open after the last day of its
 * window; FALSE when the invoice it names is not in the history.
 */
static gboolean
covered_open (const DsHistoryCustomer *customer, const Promise *promise,
	      DsDate until, gint64 *open)
{
	gboolean found = promise->invoice_id == NULL;

	*open = 0;
	for (guint i = 0; i < customer->invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			customer->invoices, i);

		if (promise->invoice_id != NULL ?
		    strcmp (promise->invoice_id, invoice->invoice_id) != 0 :
		    invoice->issue_date > until)
			continue;
		found = TRUE;
		*open += invoice->amount -
			 ds_history_invoice_paid (invoice, until + 1);
	}
	return found;
}

void
ds_dunning_promises (const DsDunningHistory *history,
		     const DsHistoryCustomer *customer, DsDate as_of,
		     guint *kept, guint *broken)
{
	const GArray *promises = history ? g_hash_table_lookup (
		history->promises, customer->customer_id) : NULL;

	*kept = *broken = 0;
	if (promises == NULL)
		return;
	for (guint i = 0; i < promises->len; i++) {
		const Promise *promise = &g_array_index (promises, Promise,
							 i);
		DsDate made = promise->made != DS_DATE_NONE ? promise->made :
			      promise->promised;
		DsDate until = promise->promised +
			       DS_DUNNING_PROMISE_GRACE_DAYS;
		gint64 open;

		if (made >= as_of || until >= as_of ||
		    !covered_open (customer, promise, until, &open))
			continue;
		if (open > 0)
			(*broken)++;
		else
			(*kept)++;
	}
}
