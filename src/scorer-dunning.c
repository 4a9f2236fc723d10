/*
 * scorer-dunning.c -- the dunning history in one pass.  See
 * scorer-dunning.h.
 *
 * Three queries, each bounded by the `known_on` date: the documents with
 * their items, the delivery outcomes journaled for their attempts, and
 * the promises.  Each invoice and each customer that was dunned gets a
 * record of its actions (by date) and outcomes (by the day they became
 * known); the "as of" answers walk a record up to the date.  Nothing
 * later than `known_on` is read, so a history loaded for a day cannot
 * leak what came after it.
 */
#include "scorer-dunning.h"

#include <math.h>
#include <string.h>

#include "ds-error.h"

typedef struct {
	DsDate date;
	guint channel;		/* DsDunningChannel; CHANNELS: another */
} Action;

typedef struct {
	DsDate known;
	DsDunningOutcome outcome;
} Outcome;

typedef struct {
	DsDate made;		/* NONE: not recorded */
	DsDate promised;
	char *invoice_id;	/* NULL: the customer's account */
} Promise;

typedef struct {
	GArray *actions;	/* Action by date */
	GArray *outcomes;	/* Outcome by the day known */
	GArray *promises;	/* Promise; customers only, else NULL */
} Record;

/* A document as the outcome query needs it: whose records it feeds. */
typedef struct {
	DsDate date;
	Record *customer;
	GPtrArray *invoices;	/* Record *, borrowed */
} DocumentRecords;

struct _DsDunningHistory {
	DsDate known_on;
	GHashTable *invoices;	/* invoice id -> Record */
	GHashTable *customers;	/* customer id -> Record */
	GHashTable *documents;	/* trace id -> DocumentRecords, loading */
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
promise_clear (Promise *promise)
{
	g_free (promise->invoice_id);
}

static void
record_free (Record *record)
{
	g_array_unref (record->actions);
	g_array_unref (record->outcomes);
	if (record->promises != NULL)
		g_array_unref (record->promises);
	g_free (record);
}

static void
document_records_free (DocumentRecords *document)
{
	g_ptr_array_unref (document->invoices);
	g_free (document);
}

void
ds_dunning_history_free (DsDunningHistory *history)
{
	if (history == NULL)
		return;
	g_hash_table_unref (history->invoices);
	g_hash_table_unref (history->customers);
	if (history->documents != NULL)
		g_hash_table_unref (history->documents);
	g_free (history);
}

DsDate
ds_dunning_history_known_on (const DsDunningHistory *history)
{
	return history->known_on;
}

static Record *
record_for (GHashTable *records, const char *id)
{
	Record *record = g_hash_table_lookup (records, id);

	if (record != NULL)
		return record;
	record = g_new0 (Record, 1);
	record->actions = g_array_new (FALSE, FALSE, sizeof (Action));
	record->outcomes = g_array_new (FALSE, FALSE, sizeof (Outcome));
	g_hash_table_insert (records, g_strdup (id), record);
	return record;
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

/* One row of the document query: a new document, or another item. */
static gboolean
read_document_row (DsDunningHistory *history, sqlite3_stmt *statement,
		   DocumentRecords **current, GError **error)
{
	const char *trace_id = (const char *) sqlite3_column_text (statement,
								   0);
	const char *invoice_id = (const char *) sqlite3_column_text (
		statement, 4);
	DocumentRecords *document = *current;
	Action action;

	if (!require_date (statement, 3, &action.date, error))
		return FALSE;
	action.channel = channel_from_name (
		(const char *) sqlite3_column_text (statement, 2));
	if (document == NULL || g_hash_table_lookup (history->documents,
						     trace_id) != document) {
		document = g_new0 (DocumentRecords, 1);
		document->date = action.date;
		document->customer = record_for (history->customers,
			(const char *) sqlite3_column_text (statement, 1));
		document->invoices = g_ptr_array_new ();
		g_array_append_val (document->customer->actions, action);
		g_hash_table_insert (history->documents, g_strdup (trace_id),
				     document);
		*current = document;
	}
	if (invoice_id != NULL) {
		Record *invoice = record_for (history->invoices, invoice_id);

		g_array_append_val (invoice->actions, action);
		g_ptr_array_add (document->invoices, invoice);
	}
	return TRUE;
}

/* Documents by date, each with its items, so actions come out sorted. */
static gboolean
read_documents (DsDunningHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.trace_id, d.customer_id, d.channel, d.as_of,"
		" i.invoice_id FROM documents d"
		" LEFT JOIN document_items i USING (trace_id)"
		" WHERE d.as_of <= ?1"
		" ORDER BY d.as_of, d.trace_id, i.invoice_id", error);
	DocumentRecords *current = NULL;
	int status;

	if (statement == NULL ||
	    !bind_date (store, statement, 1, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW)
		if (!read_document_row (history, statement, &current, error))
			return FALSE;
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
 * Outcomes in journal order, known from the day of their record but not
 * before their document's date.
 */
static gboolean
read_outcomes (DsDunningHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT trace_id, new_state, at FROM journal"
		" WHERE object_kind = 'attempt' AND trace_id IS NOT NULL"
		" AND new_state IN ('delivered', 'delivered-assumed',"
		"  'signed', 'bounced-soft', 'bounced-hard', 'failed',"
		"  'returned', 'unclaimed')"
		" AND substr (at, 1, 10) <= ?1 ORDER BY seq", error);
	int status;

	if (statement == NULL ||
	    !bind_date (store, statement, 1, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		const DocumentRecords *document = g_hash_table_lookup (
			history->documents,
			sqlite3_column_text (statement, 0));
		Outcome outcome;

		/* An attempt of a document dated after known_on. */
		if (document == NULL)
			continue;
		if (!require_date (statement, 2, &outcome.known, error))
			return FALSE;
		outcome.known = MAX (outcome.known, document->date);
		outcome.outcome = outcome_of ((const char *)
			sqlite3_column_text (statement, 1));
		g_array_append_val (document->customer->outcomes, outcome);
		for (guint i = 0; i < document->invoices->len; i++) {
			Record *invoice = g_ptr_array_index (
				document->invoices, i);

			g_array_append_val (invoice->outcomes, outcome);
		}
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "dunning history");
	return TRUE;
}

static gboolean
read_promise_row (DsDunningHistory *history, sqlite3_stmt *statement,
		  GError **error)
{
	Record *customer = record_for (history->customers,
		(const char *) sqlite3_column_text (statement, 0));
	Promise promise = { DS_DATE_NONE, DS_DATE_NONE, NULL };

	if (!require_date (statement, 1, &promise.promised, error) ||
	    (sqlite3_column_type (statement, 3) != SQLITE_NULL &&
	     !require_date (statement, 3, &promise.made, error)))
		return FALSE;
	promise.invoice_id = g_strdup ((const char *)
				       sqlite3_column_text (statement, 2));
	if (customer->promises == NULL) {
		customer->promises = g_array_new (FALSE, FALSE,
						  sizeof (Promise));
		g_array_set_clear_func (customer->promises,
					(GDestroyNotify) promise_clear);
	}
	g_array_append_val (customer->promises, promise);
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

static int
compare_outcomes (gconstpointer a, gconstpointer b)
{
	const Outcome *left = a, *right = b;

	return (left->known > right->known) - (left->known < right->known);
}

/* Journal order within a day is kept: g_array_sort is stable. */
static void
sort_outcomes (GHashTable *records)
{
	GHashTableIter iter;
	Record *record;

	g_hash_table_iter_init (&iter, records);
	while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
		g_array_sort (record->outcomes, compare_outcomes);
}

DsDunningHistory *
ds_dunning_history_load (DsStore *store, DsDate known_on, GError **error)
{
	g_autoptr (DsDunningHistory) history = g_new0 (DsDunningHistory, 1);
	gboolean read;

	g_return_val_if_fail (known_on != DS_DATE_NONE, NULL);

	history->known_on = known_on;
	history->invoices = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, (GDestroyNotify) record_free);
	history->customers = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, (GDestroyNotify) record_free);
	history->documents = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify) document_records_free);

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

	g_clear_pointer (&history->documents, g_hash_table_unref);
	sort_outcomes (history->invoices);
	sort_outcomes (history->customers);
	return g_steal_pointer (&history);
}

/* ---- as of a date ----------------------------------------------------- */

static void
summarise (const Record *record, DsDate as_of, DsDunningSummary *summary)
{
	DsDate last = DS_DATE_NONE;

	memset (summary->actions, 0, sizeof summary->actions);
	summary->days_since_last_action = NAN;
	summary->last_outcome = NAN;
	if (record == NULL)
		return;

	for (guint i = 0; i < record->actions->len; i++) {
		const Action *action = &g_array_index (record->actions,
						       Action, i);

		if (action->date >= as_of)
			break;
		if (action->channel < DS_DUNNING_CHANNELS)
			summary->actions[action->channel]++;
		last = action->date;
	}
	if (last == DS_DATE_NONE)
		return;
	summary->days_since_last_action = (double) as_of - last;

	summary->last_outcome = DS_DUNNING_OUTCOME_UNKNOWN;
	for (guint i = 0; i < record->outcomes->len; i++) {
		const Outcome *outcome = &g_array_index (record->outcomes,
							 Outcome, i);

		if (outcome->known >= as_of)
			break;
		summary->last_outcome = outcome->outcome;
	}
}

void
ds_dunning_invoice_summary (const DsDunningHistory *history,
			    const char *invoice_id, DsDate as_of,
			    DsDunningSummary *summary)
{
	summarise (history ? g_hash_table_lookup (history->invoices,
						  invoice_id) : NULL,
		   as_of, summary);
}

void
ds_dunning_customer_summary (const DsDunningHistory *history,
			     const char *customer_id, DsDate as_of,
			     DsDunningSummary *summary)
{
	summarise (history ? g_hash_table_lookup (history->customers,
						  customer_id) : NULL,
		   as_of, summary);
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
	const Record *record = history ? g_hash_table_lookup (
		history->customers, customer->customer_id) : NULL;

	*kept = *broken = 0;
	if (record == NULL || record->promises == NULL)
		return;
	for (guint i = 0; i < record->promises->len; i++) {
		const Promise *promise = &g_array_index (record->promises,
							 Promise, i);
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
