/*
 * ledger-history.c -- read the receivables history in one pass.  See
 * ledger-history.h.
 *
 * Three queries, each bounded by the `known_on` date: the invoices with
 * their customers, the events that settle them, and their disputes.  The
 * rows are joined in memory through a hash table of invoices by id.
 * Nothing later than `known_on` is read at all, so a history loaded for a
 * day cannot leak what came after it, whatever its caller asks.
 */
#include "ledger-history.h"

#include <string.h>

#include "ds-error.h"

struct _DsLedgerHistory {
	DsDate known_on;
	GPtrArray *customers;	/* DsHistoryCustomer, owned, by id */
	GPtrArray *invoices;	/* DsHistoryInvoice, owned, by issue date */
	GHashTable *by_id;	/* invoice_id -> DsHistoryInvoice */
};

static void
history_invoice_free (DsHistoryInvoice *invoice)
{
	g_free (invoice->invoice_id);
	g_array_unref (invoice->events);
	g_free (invoice);
}

static void
history_customer_free (DsHistoryCustomer *customer)
{
	g_free (customer->customer_id);
	g_free (customer->country);
	g_free (customer->entity_id);
	g_ptr_array_unref (customer->invoices);
	g_free (customer);
}

void
ds_ledger_history_free (DsLedgerHistory *history)
{
	if (history == NULL)
		return;
	g_hash_table_unref (history->by_id);
	g_ptr_array_unref (history->invoices);
	g_ptr_array_unref (history->customers);
	g_free (history);
}

static char *
column_strdup (sqlite3_stmt *statement, int column)
{
	return g_strdup ((const char *) sqlite3_column_text (statement,
							     column));
}

static DsBilling
billing_from_text (const char *text)
{
	if (g_strcmp0 (text, "paper") == 0)
		return DS_BILLING_PAPER;
	if (g_strcmp0 (text, "electronic") == 0)
		return DS_BILLING_ELECTRONIC;
	return DS_BILLING_UNKNOWN;
}

/*
 * A date column that must parse: the store only ever holds ISO dates, so
 * anything else is damage, reported rather than read as "no date".
 */
static gboolean
require_date (sqlite3_stmt *statement, int column, DsDate *date,
	      GError **error)
{
	const char *text = (const char *) sqlite3_column_text (statement,
							       column);
	g_autoptr (GError) local = NULL;

	if (text != NULL && ds_date_parse_iso (text, date, &local))
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
		     "ledger history: %s: bad date \"%s\"",
		     sqlite3_column_name (statement, column),
		     text ? text : "NULL");
	return FALSE;
}

static gboolean
bind_known_on (DsStore *store, sqlite3_stmt *statement, DsDate known_on,
	       GError **error)
{
	char iso[DS_DATE_ISO_LEN];

	ds_date_format_iso (known_on, iso);
	if (sqlite3_bind_text (statement, 1, iso, -1, SQLITE_TRANSIENT) !=
	    SQLITE_OK)
		return ds_store_fail (store, error, "ledger history");
	return TRUE;
}

static DsHistoryCustomer *
customer_for_row (DsLedgerHistory *history, sqlite3_stmt *statement)
{
	const char *id = (const char *) sqlite3_column_text (statement, 1);
	DsHistoryCustomer *last = NULL;

	if (history->customers->len > 0)
		last = g_ptr_array_index (history->customers,
					  history->customers->len - 1);
	if (last != NULL && strcmp (last->customer_id, id) == 0)
		return last;

	last = g_new0 (DsHistoryCustomer, 1);
	last->customer_id = g_strdup (id);
	last->country = column_strdup (statement, 2);
	last->entity_id = column_strdup (statement, 3);
	last->invoices = g_ptr_array_new ();
	g_ptr_array_add (history->customers, last);
	return last;
}

/* Invoices ordered by customer, then issue date, then id. */
static gboolean
read_invoices (DsLedgerHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT i.invoice_id, i.customer_id, c.country, c.entity_id,"
		" i.issue_date, i.due_date, i.currency, i.amount, i.billing"
		" FROM invoices i JOIN customers c USING (customer_id)"
		" WHERE i.issue_date <= ?1"
		" ORDER BY i.customer_id, i.issue_date, i.invoice_id", error);
	int status;

	if (statement == NULL ||
	    !bind_known_on (store, statement, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		DsHistoryCustomer *customer = customer_for_row (history,
								statement);
		DsHistoryInvoice *invoice = g_new0 (DsHistoryInvoice, 1);

		invoice->invoice_id = column_strdup (statement, 0);
		invoice->customer = customer;
		invoice->currency = g_intern_string (
			(const char *) sqlite3_column_text (statement, 6));
		invoice->amount = sqlite3_column_int64 (statement, 7);
		invoice->billing = billing_from_text (
			(const char *) sqlite3_column_text (statement, 8));
		invoice->events = g_array_new (FALSE, FALSE,
					       sizeof (DsHistoryEvent));
		invoice->index = customer->invoices->len;
		g_ptr_array_add (customer->invoices, invoice);
		g_ptr_array_add (history->invoices, invoice);
		g_hash_table_insert (history->by_id, invoice->invoice_id,
				     invoice);
		if (!require_date (statement, 4, &invoice->issue_date,
				   error) ||
		    !require_date (statement, 5, &invoice->due_date, error))
			return FALSE;
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "ledger history");
	return TRUE;
}

/*
 * Payments and open credit notes allocated to invoices, in date order so
 * that each invoice's events come out sorted.
 */
static gboolean
read_events (DsLedgerHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT invoice_id, date, amount FROM payments"
		" WHERE invoice_id IS NOT NULL AND date <= ?1"
		" UNION ALL"
		" SELECT invoice_id, date, amount FROM credit_notes"
		" WHERE invoice_id IS NOT NULL AND status = 'open'"
		" AND date <= ?1"
		" ORDER BY 2, 1", error);
	int status;

	if (statement == NULL ||
	    !bind_known_on (store, statement, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *id = (const char *) sqlite3_column_text (
			statement, 0);
		DsHistoryInvoice *invoice = g_hash_table_lookup (
			history->by_id, id);
		DsHistoryEvent event = { 0 };

		/* A payment for an invoice issued after known_on. */
		if (invoice == NULL)
			continue;
		if (!require_date (statement, 1, &event.date, error))
			return FALSE;
		event.amount = sqlite3_column_int64 (statement, 2);
		g_array_append_val (invoice->events, event);
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "ledger history");
	return TRUE;
}

/* The first dispute of each invoice; a resolution after known_on is
 * not known yet. */
static gboolean
read_disputes (DsLedgerHistory *history, DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT invoice_id, opened, resolved FROM disputes"
		" WHERE opened <= ?1 ORDER BY invoice_id, opened", error);
	int status;

	if (statement == NULL ||
	    !bind_known_on (store, statement, history->known_on, error))
		return FALSE;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *id = (const char *) sqlite3_column_text (
			statement, 0);
		DsHistoryInvoice *invoice = g_hash_table_lookup (
			history->by_id, id);
		DsDate resolved;

		if (invoice == NULL || invoice->dispute_opened != DS_DATE_NONE)
			continue;
		if (!require_date (statement, 1, &invoice->dispute_opened,
				   error))
			return FALSE;
		resolved = ds_store_column_date (statement, 2);
		if (resolved != DS_DATE_NONE && resolved <= history->known_on)
			invoice->dispute_resolved = resolved;
	}
	if (status != SQLITE_DONE)
		return ds_store_fail (store, error, "ledger history");
	return TRUE;
}

static int
compare_by_issue (gconstpointer a, gconstpointer b)
{
	const DsHistoryInvoice *left = *(DsHistoryInvoice *const *) a;
	const DsHistoryInvoice *right = *(DsHistoryInvoice *const *) b;

	if (left->issue_date != right->issue_date)
		return left->issue_date < right->issue_date ? -1 : 1;
	return strcmp (left->invoice_id, right->invoice_id);
}

DsLedgerHistory *
ds_ledger_history_load (DsStore *store, DsDate known_on, GError **error)
{
	g_autoptr (DsLedgerHistory) history = g_new0 (DsLedgerHistory, 1);

	g_return_val_if_fail (known_on != DS_DATE_NONE, NULL);

	history->known_on = known_on;
	history->customers = g_ptr_array_new_with_free_func (
		(GDestroyNotify) history_customer_free);
	history->invoices = g_ptr_array_new_with_free_func (
		(GDestroyNotify) history_invoice_free);
	history->by_id = g_hash_table_new (g_str_hash, g_str_equal);

	/* One read transaction, so the three queries see one ledger. */
	if (!ds_store_exec (store, "SAVEPOINT ledger_history", error))
		return NULL;
	if (!read_invoices (history, store, error) ||
	    !read_events (history, store, error) ||
	    !read_disputes (history, store, error)) {
		ds_store_exec (store, "ROLLBACK TO ledger_history;"
			       "RELEASE ledger_history", NULL);
		return NULL;
	}
	if (!ds_store_exec (store, "RELEASE ledger_history", error))
		return NULL;

	g_ptr_array_sort (history->invoices, compare_by_issue);
	return g_steal_pointer (&history);
}

DsDate
ds_ledger_history_known_on (const DsLedgerHistory *history)
{
	return history->known_on;
}

GPtrArray *
ds_ledger_history_customers (const DsLedgerHistory *history)
{
	return history->customers;
}

GPtrArray *
ds_ledger_history_invoices (const DsLedgerHistory *history)
{
	return history->invoices;
}

const DsHistoryInvoice *
ds_ledger_history_find (const DsLedgerHistory *history,
			const char *invoice_id)
{
	return g_hash_table_lookup (history->by_id, invoice_id);
}

gint64
ds_history_invoice_paid (const DsHistoryInvoice *invoice, DsDate as_of)
{
	gint64 paid = 0;

	for (guint i = 0; i < invoice->events->len; i++) {
		const DsHistoryEvent *event = &g_array_index (
			invoice->events, DsHistoryEvent, i);

		if (as_of != DS_DATE_NONE && event->date >= as_of)
			break;
		paid += event->amount;
	}
	return paid;
}

DsDate
ds_history_invoice_settled (const DsHistoryInvoice *invoice, DsDate as_of)
{
	gint64 paid = 0;
	DsDate settled = DS_DATE_NONE;

	/* The last day on which the paid sum went from short to full. */
	for (guint i = 0; i < invoice->events->len; i++) {
		const DsHistoryEvent *event = &g_array_index (
			invoice->events, DsHistoryEvent, i);
		gboolean was_short = paid < invoice->amount;

		if (as_of != DS_DATE_NONE && event->date >= as_of)
			break;
		paid += event->amount;
		if (paid < invoice->amount)
			settled = DS_DATE_NONE;
		else if (was_short)
			settled = event->date;
	}
	return settled;
}

gboolean
ds_history_invoice_open (const DsHistoryInvoice *invoice, DsDate as_of)
{
	return invoice->issue_date <= as_of &&
	       ds_history_invoice_settled (invoice, as_of) == DS_DATE_NONE;
}

gboolean
ds_history_invoice_disputed (const DsHistoryInvoice *invoice, DsDate as_of)
{
	return invoice->dispute_opened != DS_DATE_NONE &&
	       invoice->dispute_opened <= as_of &&
	       (invoice->dispute_resolved == DS_DATE_NONE ||
		invoice->dispute_resolved > as_of);
}
