/*
 * ledger-claim.c -- the SQL behind a claim.  See ledger-claim.h.
 *
 * Every read is one statement per record kind, bound to the customer and
 * the as-of date, so that the claim sees the ledger exactly as it stood
 * on that date.  Dates are stored as ISO text and compare as text.
 */
#include "ledger-claim.h"

#include <string.h>

#include "ds-error.h"
#include "journal.h"

/* Documents in these states never went out: their costs do not count. */
#define NEVER_SENT "('superseded', 'invalid')"

typedef struct {
	DsStore *store;
	const char *customer_id;
	char as_of[DS_DATE_ISO_LEN];
	DsClaimInput *input;
} Reader;

static sqlite3_stmt *
prepare_bound (Reader *reader, const char *sql, GError **error)
{
	sqlite3_stmt *statement = ds_store_prepare (reader->store, sql,
						    error);

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, reader->customer_id, -1,
			   SQLITE_TRANSIENT);
	sqlite3_bind_text (statement, 2, reader->as_of, -1,
			   SQLITE_TRANSIENT);
	return statement;
}

static const char *
column_text (sqlite3_stmt *statement, int column)
{
	return (const char *) sqlite3_column_text (statement, column);
}

/* A stored date that does not parse is damage, not input. */
static gboolean
column_date (sqlite3_stmt *statement, int column, DsDate *date,
	     GError **error)
{
	const char *text = column_text (statement, column);

	*date = DS_DATE_NONE;
	if (text == NULL)
		return TRUE;
	if (ds_date_parse_iso (text, date, NULL))
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
		     "stored date \"%s\" in %s is not YYYY-MM-DD", text,
		     sqlite3_column_name (statement, column));
	return FALSE;
}

/* Step a statement: TRUE on a row, FALSE when done or failed. */
static gboolean
next_row (Reader *reader, sqlite3_stmt *statement, gboolean *failed,
	  GError **error)
{
	int status = sqlite3_step (statement);

	if (status == SQLITE_ROW)
		return TRUE;
	if (status != SQLITE_DONE) {
		*failed = TRUE;
		ds_store_fail (reader->store, error, "claim read");
	}
	return FALSE;
}

static DsClaimInput *
read_party (DsStore *store, const char *customer_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"SELECT c.currency, c.b2b,"
		" coalesce (e.jurisdiction, e.country)"
		" FROM customers c JOIN entities e USING (entity_id)"
		" WHERE c.customer_id = ?", error);
	int status;

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, customer_id, -1, SQLITE_STATIC);
	status = sqlite3_step (statement);
	if (status == SQLITE_DONE) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no customer %s", customer_id);
		return NULL;
	}
	if (status != SQLITE_ROW) {
		ds_store_fail (store, error, "claim read");
		return NULL;
	}
	return ds_claim_input_new (customer_id, column_text (statement, 0),
				   column_text (statement, 2),
				   sqlite3_column_int (statement, 1) != 0);
}

static gboolean
read_invoices (Reader *reader, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = prepare_bound (
		reader,
		"SELECT i.invoice_id, i.issue_date, i.due_date, i.currency,"
		" i.amount, i.reference, EXISTS (SELECT 1 FROM disputes d"
		"  WHERE d.invoice_id = i.invoice_id AND d.opened <= ?2"
		"  AND (d.resolved IS NULL OR d.resolved > ?2))"
		" FROM invoices i WHERE i.customer_id = ?1"
		" AND i.issue_date <= ?2 ORDER BY i.due_date, i.invoice_id",
		error);
	gboolean failed = FALSE;

	if (statement == NULL)
		return FALSE;
	while (next_row (reader, statement, &failed, error)) {
		DsDate issue, due;
		DsClaimInvoice *invoice;

		if (!column_date (statement, 1, &issue, error) ||
		    !column_date (statement, 2, &due, error))
			return FALSE;
		invoice = ds_claim_input_add_invoice (
			reader->input, column_text (statement, 0), issue, due,
			sqlite3_column_int64 (statement, 4));
		g_free (invoice->currency);
		invoice->currency = g_strdup (column_text (statement, 3));
		invoice->reference = g_strdup (column_text (statement, 5));
		invoice->disputed = sqlite3_column_int (statement, 6) != 0;
	}
	return !failed;
}

static DsClaimInvoice *
find_invoice (Reader *reader, const char *invoice_id)
{
	GPtrArray *invoices = reader->input->invoices;

	for (guint i = 0; i < invoices->len; i++) {
		DsClaimInvoice *invoice = invoices->pdata[i];

		if (strcmp (invoice->invoice_id, invoice_id) == 0)
			return invoice;
	}
	return NULL;
}

static gboolean
read_instalments (Reader *reader, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = prepare_bound (
		reader,
		"SELECT s.invoice_id, s.number, s.due_date, s.amount"
		" FROM instalments s JOIN invoices i USING (invoice_id)"
		" WHERE i.customer_id = ?1 AND i.issue_date <= ?2"
		" ORDER BY s.invoice_id, s.number", error);
	gboolean failed = FALSE;

	if (statement == NULL)
		return FALSE;
	while (next_row (reader, statement, &failed, error)) {
		DsClaimInvoice *invoice = find_invoice (
			reader, column_text (statement, 0));
		DsDate due;

		if (!column_date (statement, 2, &due, error))
			return FALSE;
		if (invoice != NULL)
			ds_claim_invoice_add_instalment (
				invoice, sqlite3_column_int (statement, 1),
				due, sqlite3_column_int64 (statement, 3));
	}
	return !failed;
}

/* Payments and credit notes share one shape: id, date, currency, ... */
static gboolean
read_credits (Reader *reader, DsClaimCreditKind kind, const char *sql,
	      GError **error)
{
	g_autoptr (sqlite3_stmt) statement = prepare_bound (reader, sql,
							    error);
	gboolean failed = FALSE;

	if (statement == NULL)
		return FALSE;
	while (next_row (reader, statement, &failed, error)) {
		DsClaimCredit *credit;
		DsDate date;

		if (!column_date (statement, 1, &date, error))
			return FALSE;
		credit = ds_claim_input_add_credit (
			reader->input, kind, column_text (statement, 0), date,
			sqlite3_column_int64 (statement, 3),
			column_text (statement, 4));
		g_free (credit->currency);
		credit->currency = g_strdup (column_text (statement, 2));
		credit->cancelled = g_strcmp0 (column_text (statement, 5),
					       "cancelled") == 0;
	}
	return !failed;
}

static GStrv
document_invoices (Reader *reader, const char *trace_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		reader->store,
		"SELECT invoice_id FROM document_items WHERE trace_id = ?"
		" ORDER BY invoice_id", error);
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	gboolean failed = FALSE;
	int count = 0;

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, trace_id, -1, SQLITE_STATIC);
	while (next_row (reader, statement, &failed, error)) {
		g_strv_builder_add (builder, column_text (statement, 0));
		count++;
	}
	if (failed || count == 0)
		return NULL;
	return g_strv_builder_end (builder);
}

static DsClaimCostKind
cost_kind (const char *text)
{
	if (g_strcmp0 (text, "fee") == 0)
		return DS_CLAIM_COST_FEE;
	if (g_strcmp0 (text, "compensation") == 0)
		return DS_CLAIM_COST_COMPENSATION;
	return DS_CLAIM_COST_INTEREST;
}

static gboolean
read_costs (Reader *reader, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = prepare_bound (
		reader,
		"SELECT k.cost_id, k.kind, k.trace_id, k.invoice_id,"
		" k.claimed_on, k.amount, k.basis, EXISTS (SELECT 1"
		"  FROM claim_waivers w WHERE w.cost_id = k.cost_id"
		"  AND w.waived_on <= ?2)"
		" FROM claim_costs k JOIN documents d USING (trace_id)"
		" WHERE k.customer_id = ?1 AND k.claimed_on <= ?2"
		" AND k.currency = ?3 AND d.state NOT IN " NEVER_SENT
		" ORDER BY k.claimed_on, k.cost_id", error);
	gboolean failed = FALSE;

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 3, reader->input->currency, -1,
			   SQLITE_STATIC);
	while (next_row (reader, statement, &failed, error)) {
		DsClaimCost *cost;
		DsDate claimed_on;
		g_autoptr (GError) local = NULL;

		if (!column_date (statement, 4, &claimed_on, error))
			return FALSE;
		cost = ds_claim_input_add_cost (
			reader->input, cost_kind (column_text (statement, 1)),
			sqlite3_column_int64 (statement, 0),
			column_text (statement, 2), column_text (statement, 3),
			claimed_on, sqlite3_column_int64 (statement, 5));
		cost->basis = g_strdup (column_text (statement, 6));
		cost->waived = sqlite3_column_int (statement, 7) != 0;
		if (cost->kind != DS_CLAIM_COST_FEE)
			continue;
		cost->invoices = document_invoices (reader, cost->trace_id,
						    &local);
		if (local != NULL) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
	}
	return !failed;
}

static gboolean
read_interest_waivers (Reader *reader, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = prepare_bound (
		reader,
		"SELECT invoice_id, max (waived_on) FROM claim_waivers"
		" WHERE customer_id = ?1 AND kind = 'interest'"
		" AND waived_on <= ?2 GROUP BY invoice_id", error);
	gboolean failed = FALSE;

	if (statement == NULL)
		return FALSE;
	while (next_row (reader, statement, &failed, error)) {
		DsDate through;

		if (!column_date (statement, 1, &through, error))
			return FALSE;
		ds_claim_input_waive_interest (reader->input,
					       column_text (statement, 0),
					       through);
	}
	return !failed;
}

DsClaimInput *
ds_ledger_claim_read (DsStore *store, const char *customer_id, DsDate as_of,
		      GError **error)
{
	Reader reader = { store, customer_id };
	g_autoptr (DsClaimInput) input = read_party (store, customer_id,
						     error);

	if (input == NULL)
		return NULL;
	reader.input = input;
	ds_date_format_iso (as_of, reader.as_of);
	if (!read_invoices (&reader, error) ||
	    !read_instalments (&reader, error) ||
	    !read_credits (&reader, DS_CLAIM_CREDIT_PAYMENT,
			   "SELECT payment_id, date, currency, amount,"
			   " invoice_id, NULL FROM payments"
			   " WHERE customer_id = ?1 AND date <= ?2", error) ||
	    !read_credits (&reader, DS_CLAIM_CREDIT_NOTE,
			   "SELECT credit_note_id, date, currency, amount,"
			   " invoice_id, status FROM credit_notes"
			   " WHERE customer_id = ?1 AND date <= ?2", error) ||
	    !read_costs (&reader, error) ||
	    !read_interest_waivers (&reader, error))
		return NULL;
	return g_steal_pointer (&input);
}

gboolean
ds_ledger_claim_last_claimed (DsStore *store, const char *invoice_id,
			      DsDate as_of, char **trace_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"SELECT d.trace_id FROM document_items i"
		" JOIN claim_costs k ON k.trace_id = i.trace_id"
		" JOIN documents d ON d.trace_id = i.trace_id"
		" WHERE i.invoice_id = ?1 AND k.claimed_on <= ?2"
		" AND d.state NOT IN " NEVER_SENT
		" AND (k.kind = 'fee' OR k.invoice_id = ?1)"
		" ORDER BY d.as_of DESC, d.trace_id DESC LIMIT 1", error);

	*trace_id = NULL;
	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, invoice_id);
	ds_store_bind_date (statement, 2, as_of);
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		*trace_id = g_strdup (column_text (statement, 0));
		return TRUE;
	case SQLITE_DONE:
		return TRUE;
	default:
		return ds_store_fail (store, error, "claim read");
	}
}

/* ---- writes ---------------------------------------------------- */

static gboolean
insert_cost (DsStore *store, sqlite3_stmt *statement, const char *kind,
	     const char *invoice_id, gint64 amount, const char *basis,
	     GError **error)
{
	sqlite3_reset (statement);
	sqlite3_bind_text (statement, 3, invoice_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text (statement, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64 (statement, 7, amount);
	sqlite3_bind_text (statement, 8, basis, -1, SQLITE_TRANSIENT);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "claim record");
	return TRUE;
}

/* Interest as the document prints it: per invoice, instalments summed. */
static gboolean
insert_interest (DsStore *store, sqlite3_stmt *statement,
		 const DsClaim *claim, GError **error)
{
	g_autoptr (GHashTable) sums = g_hash_table_new_full (
		g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr (GPtrArray) order = g_ptr_array_new ();

	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];
		gint64 *sum = g_hash_table_lookup (sums, item->invoice_id);

		if (item->state == DS_CLAIM_ITEM_DISPUTED)
			continue;
		if (sum == NULL) {
			sum = g_new0 (gint64, 1);
			g_hash_table_insert (sums, item->invoice_id, sum);
			g_ptr_array_add (order, item->invoice_id);
		}
		*sum += item->interest;
	}
	for (guint i = 0; i < order->len; i++) {
		gint64 sum = *(gint64 *) g_hash_table_lookup (
			sums, order->pdata[i]);

		if (sum > 0 &&
		    !insert_cost (store, statement, "interest",
				  order->pdata[i], sum, claim->interest_basis,
				  error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
record_costs (DsStore *store, const char *trace_id, const DsClaim *claim,
	      GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"INSERT OR IGNORE INTO claim_costs (trace_id, customer_id,"
		" invoice_id, kind, claimed_on, currency, amount, basis)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
	char claimed_on[DS_DATE_ISO_LEN];

	if (statement == NULL)
		return FALSE;
	ds_date_format_iso (claim->as_of, claimed_on);
	sqlite3_bind_text (statement, 1, trace_id, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, claim->customer_id, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 5, claimed_on, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 6, claim->currency, -1,
			   SQLITE_STATIC);
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (cost->cost_id != 0)
			continue;
		if (!insert_cost (store, statement,
				  ds_claim_cost_kind_name (cost->kind),
				  cost->invoice_id, cost->amount, cost->basis,
				  error))
			return FALSE;
	}
	return insert_interest (store, statement, claim, error);
}

gboolean
ds_ledger_claim_record (DsStore *store, const char *trace_id,
			const DsClaim *claim, GError **error)
{
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!record_costs (store, trace_id, claim, error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

static gboolean
insert_waiver (DsStore *store, const char *customer_id, const char *kind,
	       gint64 cost_id, const char *invoice_id, DsDate on,
	       const char *reason, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"INSERT INTO claim_waivers (customer_id, kind, cost_id,"
		" invoice_id, waived_on, actor, reason, created_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
	g_autofree char *now = ds_time_now_utc_iso ();
	char waived_on[DS_DATE_ISO_LEN];

	if (statement == NULL)
		return FALSE;
	ds_date_format_iso (on, waived_on);
	sqlite3_bind_text (statement, 1, customer_id, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, kind, -1, SQLITE_STATIC);
	if (cost_id != 0)
		sqlite3_bind_int64 (statement, 3, cost_id);
	sqlite3_bind_text (statement, 4, invoice_id, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 5, waived_on, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 6, ds_journal_actor (), -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 7, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 8, now, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "waiver");
	return TRUE;
}

/* The cost must be one of this customer's. */
static gboolean
cost_of_customer (DsStore *store, const char *customer_id, gint64 cost_id,
		  GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"SELECT 1 FROM claim_costs WHERE cost_id = ?"
		" AND customer_id = ? AND kind != 'interest'", error);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_int64 (statement, 1, cost_id);
	sqlite3_bind_text (statement, 2, customer_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) == SQLITE_ROW)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
		     "customer %s has no fee or compensation %"
		     G_GINT64_FORMAT, customer_id, cost_id);
	return FALSE;
}

gboolean
ds_ledger_claim_waive_cost (DsStore *store, const char *customer_id,
			    gint64 cost_id, DsDate on, const char *reason,
			    GError **error)
{
	return cost_of_customer (store, customer_id, cost_id, error) &&
	       insert_waiver (store, customer_id, "cost", cost_id, NULL, on,
			      reason, error);
}

/* The invoice must be one of this customer's. */
static gboolean
invoice_of_customer (DsStore *store, const char *customer_id,
		     const char *invoice_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store,
		"SELECT 1 FROM invoices WHERE invoice_id = ?"
		" AND customer_id = ?", error);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, invoice_id, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, customer_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) == SQLITE_ROW)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
		     "customer %s has no invoice %s", customer_id,
		     invoice_id);
	return FALSE;
}

gboolean
ds_ledger_claim_waive_interest (DsStore *store, const char *customer_id,
				const char *invoice_id, DsDate on,
				const char *reason, GError **error)
{
	return invoice_of_customer (store, customer_id, invoice_id, error) &&
	       insert_waiver (store, customer_id, "interest", 0, invoice_id,
			      on, reason, error);
}
