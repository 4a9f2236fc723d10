/*
 * ledger.c -- the receivables records in SQLite.  See ledger.h.
 *
 * This file holds all SQL on the ledger tables (entities through
 * promises) and on the import bookkeeping (imports, import_errors).
 *
 * Writes are generated from one table of column lists: a record is bound
 * once, in column order, to an INSERT that does nothing on a key conflict
 * and, when nothing was inserted, to an UPDATE that touches the row only
 * when some column differs.  sqlite3_changes then tells inserted, updated
 * and unchanged apart without a read before each write, and an update is
 * an UPDATE (never a DELETE and INSERT), so rows that refer to the record
 * keep referring to it.
 *
 * Reads "as of" a date compare ISO date text, which orders like dates.
 * The writer never checks references; an insert that breaks a foreign key
 * fails the statement, which the caller treats as a failure of the whole
 * transaction.
 */
#include "ledger.h"

#include <string.h>

#include "ds-error.h"

/* The tables written through a writer, in the order of the slots. */
typedef enum {
	TABLE_ENTITIES,
	TABLE_CUSTOMERS,
	TABLE_INVOICES,
	TABLE_INSTALMENTS,
	TABLE_PAYMENTS,
	TABLE_CREDIT_NOTES,
	TABLE_DISPUTES,
	TABLE_PROMISES,
	TABLE_COUNT
} LedgerTable;

typedef struct {
	const char *name;
	int key_columns;	/* the first columns form the primary key */
	const char *columns[18];
} TableSpec;

static const TableSpec table_specs[TABLE_COUNT] = {
	[TABLE_ENTITIES] = { "entities", 1, {
		"entity_id", "name", "street", "postal_code", "city",
		"country", "iban", "bic", "vat_id", "email", "phone",
		"jurisdiction", "letter_profile", NULL } },
	[TABLE_CUSTOMERS] = { "customers", 1, {
		"customer_id", "name", "contact", "street", "postal_code",
		"city", "country", "language", "currency", "entity_id",
		"email", "fax", "phone", "b2b", "tags", "collector",
		"paperless_since", NULL } },
	[TABLE_INVOICES] = { "invoices", 1, {
		"invoice_id", "customer_id", "issue_date", "due_date",
		"currency", "amount", "tax_amount", "reference", "billing",
		NULL } },
	[TABLE_INSTALMENTS] = { "instalments", 2, {
		"invoice_id", "number", "due_date", "amount", NULL } },
	[TABLE_PAYMENTS] = { "payments", 1, {
		"payment_id", "customer_id", "date", "currency", "amount",
		"invoice_id", NULL } },
	[TABLE_CREDIT_NOTES] = { "credit_notes", 1, {
		"credit_note_id", "customer_id", "date", "currency",
		"amount", "invoice_id", "status", NULL } },
	[TABLE_DISPUTES] = { "disputes", 2, {
		"invoice_id", "opened", "resolved", "reason", NULL } },
	[TABLE_PROMISES] = { "promises", 1, {
		"promise_id", "customer_id", "promised_date", "amount",
		"invoice_id", "made_on", NULL } },
};

/* Statements a writer keeps besides the inserts and updates. */
typedef enum {
	LOOKUP_ENTITY,
	LOOKUP_CUSTOMER,
	LOOKUP_INVOICE,
	LOOKUP_INSTALMENT_ROOM,
	LOOKUP_IMPORT_ERROR,
	LOOKUP_IN_OTHER_CURRENCY,
	LOOKUP_COUNT
} LedgerLookup;

static const char *const lookup_sql[LOOKUP_COUNT] = {
	[LOOKUP_ENTITY] = "SELECT 1 FROM entities WHERE entity_id = ?1",
	[LOOKUP_CUSTOMER] =
		"SELECT currency FROM customers WHERE customer_id = ?1",
	[LOOKUP_INVOICE] = "SELECT customer_id, currency FROM invoices"
			   " WHERE invoice_id = ?1",
	/* what of the invoice its other instalments leave */
	[LOOKUP_INSTALMENT_ROOM] =
		"SELECT i.amount - COALESCE ((SELECT SUM (n.amount)"
		" FROM instalments n WHERE n.invoice_id = ?1"
		" AND n.number <> ?2), 0) FROM invoices i"
		" WHERE i.invoice_id = ?1",
	[LOOKUP_IMPORT_ERROR] = "INSERT INTO import_errors"
				" (file_sha256, line, field, reason)"
				" VALUES (?1, ?2, ?3, ?4)",
	/* the customer's history in another currency */
	[LOOKUP_IN_OTHER_CURRENCY] =
		"SELECT id, currency, count (*) OVER () FROM ("
		" SELECT invoice_id AS id, currency FROM invoices"
		" WHERE customer_id = ?1 AND currency <> ?2"
		" UNION ALL SELECT payment_id, currency FROM payments"
		" WHERE customer_id = ?1 AND currency <> ?2"
		" UNION ALL SELECT credit_note_id, currency FROM credit_notes"
		" WHERE customer_id = ?1 AND currency <> ?2)"
		" ORDER BY id LIMIT 1",
};

struct _DsLedgerWriter {
	DsStore *store;
	sqlite3_stmt *inserts[TABLE_COUNT];
	sqlite3_stmt *updates[TABLE_COUNT];
	sqlite3_stmt *lookups[LOOKUP_COUNT];
};

typedef void (*BindFunc) (sqlite3_stmt *statement, gconstpointer record);

/* Freeing the records. */

void
ds_entity_free (DsEntity *entity)
{
	if (entity == NULL)
		return;
	g_free (entity->entity_id);
	g_free (entity->name);
	g_free (entity->street);
	g_free (entity->postal_code);
	g_free (entity->city);
	g_free (entity->country);
	g_free (entity->iban);
	g_free (entity->bic);
	g_free (entity->vat_id);
	g_free (entity->email);
	g_free (entity->phone);
	g_free (entity->jurisdiction);
	g_free (entity->letter_profile);
	g_free (entity);
}

void
ds_customer_free (DsCustomer *customer)
{
	if (customer == NULL)
		return;
	g_free (customer->customer_id);
	g_free (customer->name);
	g_free (customer->contact);
	g_free (customer->street);
	g_free (customer->postal_code);
	g_free (customer->city);
	g_free (customer->country);
	g_free (customer->language);
	g_free (customer->currency);
	g_free (customer->entity_id);
	g_free (customer->email);
	g_free (customer->fax);
	g_free (customer->phone);
	g_free (customer->tags);
	g_free (customer->collector);
	g_free (customer);
}

GStrv
ds_email_list_split (const char *list)
{
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	g_auto (GStrv) parts = NULL;

	if (list == NULL)
		return g_strv_builder_end (builder);
	parts = g_strsplit_set (list, ",;", -1);
	for (char **part = parts; *part != NULL; part++) {
		g_strstrip (*part);
		if (**part != '\0')
			g_strv_builder_add (builder, *part);
	}
	return g_strv_builder_end (builder);
}

void
ds_invoice_clear (DsInvoice *invoice)
{
	g_clear_pointer (&invoice->invoice_id, g_free);
	g_clear_pointer (&invoice->customer_id, g_free);
	g_clear_pointer (&invoice->currency, g_free);
	g_clear_pointer (&invoice->reference, g_free);
}

void
ds_invoice_free (DsInvoice *invoice)
{
	if (invoice == NULL)
		return;
	ds_invoice_clear (invoice);
	g_free (invoice);
}

void
ds_open_item_free (DsOpenItem *item)
{
	if (item == NULL)
		return;
	ds_invoice_clear (&item->invoice);
	g_free (item);
}

void
ds_instalment_free (DsInstalment *instalment)
{
	if (instalment == NULL)
		return;
	g_free (instalment->invoice_id);
	g_free (instalment);
}

void
ds_payment_free (DsPayment *payment)
{
	if (payment == NULL)
		return;
	g_free (payment->payment_id);
	g_free (payment->customer_id);
	g_free (payment->currency);
	g_free (payment->invoice_id);
	g_free (payment);
}

void
ds_credit_note_free (DsCreditNote *credit_note)
{
	if (credit_note == NULL)
		return;
	g_free (credit_note->credit_note_id);
	g_free (credit_note->customer_id);
	g_free (credit_note->currency);
	g_free (credit_note->invoice_id);
	g_free (credit_note);
}

void
ds_dispute_free (DsDispute *dispute)
{
	if (dispute == NULL)
		return;
	g_free (dispute->invoice_id);
	g_free (dispute->reason);
	g_free (dispute);
}

void
ds_promise_free (DsPromise *promise)
{
	if (promise == NULL)
		return;
	g_free (promise->promise_id);
	g_free (promise->customer_id);
	g_free (promise->invoice_id);
	g_free (promise);
}

void
ds_ledger_import_free (DsLedgerImport *import)
{
	if (import == NULL)
		return;
	g_free (import->file_sha256);
	g_free (import->file_name);
	g_free (import->kind);
	g_free (import->profile);
	g_free (import->imported_at);
	g_free (import);
}

const char *
ds_billing_name (DsBilling billing)
{
	switch (billing) {
	case DS_BILLING_PAPER:
		return "paper";
	case DS_BILLING_ELECTRONIC:
		return "electronic";
	case DS_BILLING_UNKNOWN:
	default:
		return NULL;
	}
}

static DsBilling
billing_from_name (const char *name)
{
	if (g_strcmp0 (name, "paper") == 0)
		return DS_BILLING_PAPER;
	if (g_strcmp0 (name, "electronic") == 0)
		return DS_BILLING_ELECTRONIC;
	return DS_BILLING_UNKNOWN;
}

/* Binding values and reading columns. */

/* The bindings of each table, in the column order of table_specs. */

static void
bind_entity (sqlite3_stmt *statement, gconstpointer record)
{
	const DsEntity *entity = record;

	ds_store_bind_text (statement, 1, entity->entity_id);
	ds_store_bind_text (statement, 2, entity->name);
	ds_store_bind_text (statement, 3, entity->street);
	ds_store_bind_text (statement, 4, entity->postal_code);
	ds_store_bind_text (statement, 5, entity->city);
	ds_store_bind_text (statement, 6, entity->country);
	ds_store_bind_text (statement, 7, entity->iban);
	ds_store_bind_text (statement, 8, entity->bic);
	ds_store_bind_text (statement, 9, entity->vat_id);
	ds_store_bind_text (statement, 10, entity->email);
	ds_store_bind_text (statement, 11, entity->phone);
	ds_store_bind_text (statement, 12, entity->jurisdiction);
	ds_store_bind_text (statement, 13, entity->letter_profile);
}

static void
bind_customer (sqlite3_stmt *statement, gconstpointer record)
{
	const DsCustomer *customer = record;

	ds_store_bind_text (statement, 1, customer->customer_id);
	ds_store_bind_text (statement, 2, customer->name);
	ds_store_bind_text (statement, 3, customer->contact);
	ds_store_bind_text (statement, 4, customer->street);
	ds_store_bind_text (statement, 5, customer->postal_code);
	ds_store_bind_text (statement, 6, customer->city);
	ds_store_bind_text (statement, 7, customer->country);
	ds_store_bind_text (statement, 8, customer->language);
	ds_store_bind_text (statement, 9, customer->currency);
	ds_store_bind_text (statement, 10, customer->entity_id);
	ds_store_bind_text (statement, 11, customer->email);
	ds_store_bind_text (statement, 12, customer->fax);
	ds_store_bind_text (statement, 13, customer->phone);
	sqlite3_bind_int (statement, 14, customer->b2b ? 1 : 0);
	ds_store_bind_text (statement, 15, customer->tags);
	ds_store_bind_text (statement, 16, customer->collector);
	ds_store_bind_date (statement, 17, customer->paperless_since);
}

/* A tax amount of 0 is stored as none given. */
static void
bind_invoice (sqlite3_stmt *statement, gconstpointer record)
{
	const DsInvoice *invoice = record;

	ds_store_bind_text (statement, 1, invoice->invoice_id);
	ds_store_bind_text (statement, 2, invoice->customer_id);
	ds_store_bind_date (statement, 3, invoice->issue_date);
	ds_store_bind_date (statement, 4, invoice->due_date);
	ds_store_bind_text (statement, 5, invoice->currency);
	sqlite3_bind_int64 (statement, 6, invoice->amount);
	if (invoice->tax_amount != 0)
		sqlite3_bind_int64 (statement, 7, invoice->tax_amount);
	else
		sqlite3_bind_null (statement, 7);
	ds_store_bind_text (statement, 8, invoice->reference);
	ds_store_bind_text (statement, 9, ds_billing_name (invoice->billing));
}

static void
bind_instalment (sqlite3_stmt *statement, gconstpointer record)
{
	const DsInstalment *instalment = record;

	ds_store_bind_text (statement, 1, instalment->invoice_id);
	sqlite3_bind_int (statement, 2, instalment->number);
	ds_store_bind_date (statement, 3, instalment->due_date);
	sqlite3_bind_int64 (statement, 4, instalment->amount);
}

static void
bind_payment (sqlite3_stmt *statement, gconstpointer record)
{
	const DsPayment *payment = record;

	ds_store_bind_text (statement, 1, payment->payment_id);
	ds_store_bind_text (statement, 2, payment->customer_id);
	ds_store_bind_date (statement, 3, payment->date);
	ds_store_bind_text (statement, 4, payment->currency);
	sqlite3_bind_int64 (statement, 5, payment->amount);
	ds_store_bind_text (statement, 6, payment->invoice_id);
}

static void
bind_credit_note (sqlite3_stmt *statement, gconstpointer record)
{
	const DsCreditNote *credit_note = record;

	ds_store_bind_text (statement, 1, credit_note->credit_note_id);
	ds_store_bind_text (statement, 2, credit_note->customer_id);
	ds_store_bind_date (statement, 3, credit_note->date);
	ds_store_bind_text (statement, 4, credit_note->currency);
	sqlite3_bind_int64 (statement, 5, credit_note->amount);
	ds_store_bind_text (statement, 6, credit_note->invoice_id);
	ds_store_bind_text (statement, 7,
		   credit_note->status == DS_CREDIT_NOTE_CANCELLED ?
		   "cancelled" : "open");
}

static void
bind_dispute (sqlite3_stmt *statement, gconstpointer record)
{
	const DsDispute *dispute = record;

	ds_store_bind_text (statement, 1, dispute->invoice_id);
	ds_store_bind_date (statement, 2, dispute->opened);
	ds_store_bind_date (statement, 3, dispute->resolved);
	ds_store_bind_text (statement, 4, dispute->reason);
}

static void
bind_promise (sqlite3_stmt *statement, gconstpointer record)
{
	const DsPromise *promise = record;

	ds_store_bind_text (statement, 1, promise->promise_id);
	ds_store_bind_text (statement, 2, promise->customer_id);
	ds_store_bind_date (statement, 3, promise->promised_date);
	sqlite3_bind_int64 (statement, 4, promise->amount);
	ds_store_bind_text (statement, 5, promise->invoice_id);
	ds_store_bind_date (statement, 6, promise->made_on);
}

/* Generating and keeping the statements of a writer. */

static char *
insert_sql (const TableSpec *spec)
{
	GString *sql = g_string_new ("INSERT INTO ");
	int n;

	g_string_append_printf (sql, "%s (", spec->name);
	for (n = 0; spec->columns[n] != NULL; n++)
		g_string_append_printf (sql, "%s%s", n ? ", " : "",
					spec->columns[n]);
	g_string_append (sql, ") VALUES (");
	for (int i = 0; i < n; i++)
		g_string_append_printf (sql, "%s?%d", i ? ", " : "", i + 1);
	g_string_append (sql, ") ON CONFLICT DO NOTHING");
	return g_string_free (sql, FALSE);
}

static char *
update_sql (const TableSpec *spec)
{
	GString *sql = g_string_new ("UPDATE ");
	int i;

	g_string_append_printf (sql, "%s SET ", spec->name);
	for (i = spec->key_columns; spec->columns[i] != NULL; i++)
		g_string_append_printf (sql, "%s%s = ?%d",
					i > spec->key_columns ? ", " : "",
					spec->columns[i], i + 1);
	g_string_append (sql, " WHERE ");
	for (i = 0; i < spec->key_columns; i++)
		g_string_append_printf (sql, "%s = ?%d AND ",
					spec->columns[i], i + 1);
	g_string_append (sql, "(");
	for (i = spec->key_columns; spec->columns[i] != NULL; i++)
		g_string_append_printf (sql, "%s%s IS NOT ?%d",
					i > spec->key_columns ? " OR " : "",
					spec->columns[i], i + 1);
	g_string_append (sql, ")");
	return g_string_free (sql, FALSE);
}

DsLedgerWriter *
ds_ledger_writer_new (DsStore *store)
{
	DsLedgerWriter *writer = g_new0 (DsLedgerWriter, 1);

	writer->store = store;
	return writer;
}

void
ds_ledger_writer_free (DsLedgerWriter *writer)
{
	if (writer == NULL)
		return;
	for (int i = 0; i < TABLE_COUNT; i++) {
		sqlite3_finalize (writer->inserts[i]);
		sqlite3_finalize (writer->updates[i]);
	}
	for (int i = 0; i < LOOKUP_COUNT; i++)
		sqlite3_finalize (writer->lookups[i]);
	g_free (writer);
}

/* Prepare a statement on first use; reset it on every later one. */
static sqlite3_stmt *
writer_statement (DsLedgerWriter *writer, sqlite3_stmt **slot,
		  const char *sql, GError **error)
{
	if (*slot == NULL) {
		*slot = ds_store_prepare (writer->store, sql, error);
		return *slot;
	}
	sqlite3_reset (*slot);
	sqlite3_clear_bindings (*slot);
	return *slot;
}

static sqlite3_stmt *
writer_lookup (DsLedgerWriter *writer, LedgerLookup lookup, GError **error)
{
	return writer_statement (writer, &writer->lookups[lookup],
				 lookup_sql[lookup], error);
}

/* Run a bound write; *changed says whether it changed a row. */
static gboolean
writer_step (DsLedgerWriter *writer, sqlite3_stmt *statement,
	     const char *table, gboolean *changed, GError **error)
{
	sqlite3 *db = ds_store_db (writer->store);
	int step = sqlite3_step (statement);

	sqlite3_reset (statement);
	if (step != SQLITE_DONE) {
		g_autofree char *what = g_strdup_printf ("write %s", table);

		return ds_store_fail (writer->store, error, what);
	}
	*changed = sqlite3_changes (db) > 0;
	return TRUE;
}

static gboolean
writer_put (DsLedgerWriter *writer, LedgerTable table, BindFunc bind,
	    gconstpointer record, DsLedgerOutcome *outcome, GError **error)
{
	const TableSpec *spec = &table_specs[table];
	sqlite3_stmt *statement;
	gboolean changed = FALSE;
	DsLedgerOutcome result;

	if (writer->inserts[table] == NULL) {
		g_autofree char *insert = insert_sql (spec);
		g_autofree char *update = update_sql (spec);
		g_autoptr (sqlite3_stmt) inserting =
			ds_store_prepare (writer->store, insert, error);
		g_autoptr (sqlite3_stmt) updating = inserting == NULL ? NULL :
			ds_store_prepare (writer->store, update, error);

		if (updating == NULL)
			return FALSE;
		writer->inserts[table] = g_steal_pointer (&inserting);
		writer->updates[table] = g_steal_pointer (&updating);
	}

	statement = writer->inserts[table];
	bind (statement, record);
	if (!writer_step (writer, statement, spec->name, &changed, error))
		return FALSE;
	result = DS_LEDGER_INSERTED;

	if (!changed) {
		statement = writer->updates[table];
		bind (statement, record);
		if (!writer_step (writer, statement, spec->name, &changed,
				  error))
			return FALSE;
		result = changed ? DS_LEDGER_UPDATED : DS_LEDGER_UNCHANGED;
	}
	if (outcome != NULL)
		*outcome = result;
	return TRUE;
}

gboolean
ds_ledger_writer_put_entity (DsLedgerWriter *writer, const DsEntity *entity,
			     DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_ENTITIES, bind_entity, entity,
			   outcome, error);
}

gboolean
ds_ledger_writer_put_customer (DsLedgerWriter *writer,
			       const DsCustomer *customer,
			       DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_CUSTOMERS, bind_customer, customer,
			   outcome, error);
}

gboolean
ds_ledger_writer_put_invoice (DsLedgerWriter *writer,
			      const DsInvoice *invoice,
			      DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_INVOICES, bind_invoice, invoice,
			   outcome, error);
}

gboolean
ds_ledger_writer_put_instalment (DsLedgerWriter *writer,
				 const DsInstalment *instalment,
				 DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_INSTALMENTS, bind_instalment,
			   instalment, outcome, error);
}

gboolean
ds_ledger_writer_put_payment (DsLedgerWriter *writer,
			      const DsPayment *payment,
			      DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_PAYMENTS, bind_payment, payment,
			   outcome, error);
}

gboolean
ds_ledger_writer_put_credit_note (DsLedgerWriter *writer,
				  const DsCreditNote *credit_note,
				  DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_CREDIT_NOTES, bind_credit_note,
			   credit_note, outcome, error);
}

gboolean
ds_ledger_writer_put_dispute (DsLedgerWriter *writer,
			      const DsDispute *dispute,
			      DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_DISPUTES, bind_dispute, dispute,
			   outcome, error);
}

gboolean
ds_ledger_writer_put_promise (DsLedgerWriter *writer,
			      const DsPromise *promise,
			      DsLedgerOutcome *outcome, GError **error)
{
	return writer_put (writer, TABLE_PROMISES, bind_promise, promise,
			   outcome, error);
}

/* One-write forms over a writer of their own. */

gboolean
ds_ledger_put_entity (DsStore *store, const DsEntity *entity,
		      DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_entity (writer, entity, outcome, error);
}

gboolean
ds_ledger_put_customer (DsStore *store, const DsCustomer *customer,
			DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_customer (writer, customer, outcome,
					      error);
}

gboolean
ds_ledger_put_invoice (DsStore *store, const DsInvoice *invoice,
		       DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_invoice (writer, invoice, outcome, error);
}

gboolean
ds_ledger_put_instalment (DsStore *store, const DsInstalment *instalment,
			  DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_instalment (writer, instalment, outcome,
						error);
}

gboolean
ds_ledger_put_payment (DsStore *store, const char *payment_id,
		       const char *customer_id, DsDate date,
		       const char *currency, gint64 amount,
		       const char *invoice_id, DsLedgerOutcome *outcome,
		       GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);
	DsPayment payment = {
		.payment_id = (char *) payment_id,
		.customer_id = (char *) customer_id,
		.date = date,
		.currency = (char *) currency,
		.amount = amount,
		.invoice_id = (char *) invoice_id,
	};

	return ds_ledger_writer_put_payment (writer, &payment, outcome,
					     error);
}

gboolean
ds_ledger_put_credit_note (DsStore *store, const DsCreditNote *credit_note,
			   DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_credit_note (writer, credit_note,
						 outcome, error);
}

gboolean
ds_ledger_put_dispute (DsStore *store, const char *invoice_id,
		       DsDate opened, DsDate resolved, const char *reason,
		       DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);
	DsDispute dispute = {
		.invoice_id = (char *) invoice_id,
		.opened = opened,
		.resolved = resolved,
		.reason = (char *) reason,
	};

	return ds_ledger_writer_put_dispute (writer, &dispute, outcome,
					     error);
}

gboolean
ds_ledger_put_promise (DsStore *store, const DsPromise *promise,
		       DsLedgerOutcome *outcome, GError **error)
{
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (store);

	return ds_ledger_writer_put_promise (writer, promise, outcome, error);
}

/* Lookups through a writer. */

static gboolean
lookup_missing (GError **error, const char *what, const char *id)
{
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND, "no %s \"%s\"",
		     what, id);
	return FALSE;
}

/* Step a bound lookup: TRUE on a row, NOT_FOUND or a database error. */
static gboolean
lookup_step (DsLedgerWriter *writer, sqlite3_stmt *statement,
	     const char *what, const char *id, GError **error)
{
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		return TRUE;
	case SQLITE_DONE:
		return lookup_missing (error, what, id);
	default:
		return ds_store_fail (writer->store, error, what);
	}
}

gboolean
ds_ledger_writer_find_entity (DsLedgerWriter *writer, const char *entity_id,
			      GError **error)
{
	sqlite3_stmt *statement = writer_lookup (writer, LOOKUP_ENTITY,
						 error);
	gboolean found;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, entity_id);
	found = lookup_step (writer, statement, "entity", entity_id, error);
	sqlite3_reset (statement);
	return found;
}

gboolean
ds_ledger_writer_find_customer (DsLedgerWriter *writer,
				const char *customer_id, char **currency,
				GError **error)
{
	sqlite3_stmt *statement = writer_lookup (writer, LOOKUP_CUSTOMER,
						 error);
	gboolean found;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, customer_id);
	found = lookup_step (writer, statement, "customer", customer_id,
			     error);
	if (found && currency != NULL)
		*currency = ds_store_column_text (statement, 0);
	sqlite3_reset (statement);
	return found;
}

gboolean
ds_ledger_writer_find_invoice (DsLedgerWriter *writer,
			       const char *invoice_id, char **customer_id,
			       char **currency, GError **error)
{
	sqlite3_stmt *statement = writer_lookup (writer, LOOKUP_INVOICE,
						 error);
	gboolean found;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, invoice_id);
	found = lookup_step (writer, statement, "invoice", invoice_id,
			     error);
	if (found && customer_id != NULL)
		*customer_id = ds_store_column_text (statement, 0);
	if (found && currency != NULL)
		*currency = ds_store_column_text (statement, 1);
	sqlite3_reset (statement);
	return found;
}

gboolean
ds_ledger_writer_in_other_currency (DsLedgerWriter *writer,
				    const char *customer_id,
				    const char *currency, char **record_id,
				    char **record_currency, gint64 *count,
				    GError **error)
{
	sqlite3_stmt *statement = writer_lookup (
		writer, LOOKUP_IN_OTHER_CURRENCY, error);
	int step;

	*record_id = *record_currency = NULL;
	*count = 0;
	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, customer_id);
	ds_store_bind_text (statement, 2, currency);
	step = sqlite3_step (statement);
	if (step == SQLITE_ROW) {
		*record_id = ds_store_column_text (statement, 0);
		*record_currency = ds_store_column_text (statement, 1);
		*count = sqlite3_column_int64 (statement, 2);
	}
	sqlite3_reset (statement);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ds_store_fail (writer->store, error, "ledger");
	return TRUE;
}

gboolean
ds_ledger_writer_instalment_room (DsLedgerWriter *writer,
				  const char *invoice_id, int number,
				  gint64 *room, GError **error)
{
	sqlite3_stmt *statement = writer_lookup (writer,
						 LOOKUP_INSTALMENT_ROOM,
						 error);
	int step;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, invoice_id);
	sqlite3_bind_int (statement, 2, number);
	step = sqlite3_step (statement);
	*room = step == SQLITE_ROW ? sqlite3_column_int64 (statement, 0)
				   : G_MAXINT64;
	sqlite3_reset (statement);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ds_store_fail (writer->store, error, "instalments");
	return TRUE;
}

/* The import bookkeeping. */

#define IMPORT_COLUMNS \
	"file_sha256, file_name, kind, profile, imported_at, accepted," \
	" updated, unchanged, rejected"

static DsLedgerImport *
import_from_row (sqlite3_stmt *statement)
{
	DsLedgerImport *import = g_new0 (DsLedgerImport, 1);

	import->file_sha256 = ds_store_column_text (statement, 0);
	import->file_name = ds_store_column_text (statement, 1);
	import->kind = ds_store_column_text (statement, 2);
	import->profile = ds_store_column_text (statement, 3);
	import->imported_at = ds_store_column_text (statement, 4);
	import->accepted = sqlite3_column_int64 (statement, 5);
	import->updated = sqlite3_column_int64 (statement, 6);
	import->unchanged = sqlite3_column_int64 (statement, 7);
	import->rejected = sqlite3_column_int64 (statement, 8);
	return import;
}

DsLedgerImport *
ds_ledger_get_import (DsStore *store, const char *sha256, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT " IMPORT_COLUMNS " FROM imports"
		" WHERE file_sha256 = ?1", error);
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, sha256);
	step = sqlite3_step (statement);
	if (step == SQLITE_DONE) {
		lookup_missing (error, "import of", sha256);
		return NULL;
	}
	if (step != SQLITE_ROW) {
		ds_store_fail (store, error, "imports");
		return NULL;
	}
	return import_from_row (statement);
}

DsLedgerImport *
ds_ledger_find_import (DsStore *store, const char *sha256_prefix,
		       GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT " IMPORT_COLUMNS " FROM imports"
		" WHERE substr (file_sha256, 1, length (?1)) = ?1"
		" ORDER BY file_sha256 LIMIT 2", error);
	g_autoptr (DsLedgerImport) import = NULL;
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, sha256_prefix);
	step = sqlite3_step (statement);
	if (step == SQLITE_DONE) {
		lookup_missing (error, "import of", sha256_prefix);
		return NULL;
	}
	if (step != SQLITE_ROW) {
		ds_store_fail (store, error, "imports");
		return NULL;
	}
	import = import_from_row (statement);
	step = sqlite3_step (statement);
	if (step == SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "%s: the start of more than one file's SHA-256: "
			     "give more of it", sha256_prefix);
		return NULL;
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "imports");
		return NULL;
	}
	return g_steal_pointer (&import);
}

static void
ledger_import_error_free (gpointer data)
{
	DsLedgerImportError *row_error = data;

	g_free (row_error->field);
	g_free (row_error->reason);
	g_free (row_error);
}

GPtrArray *
ds_ledger_import_errors (DsStore *store, const char *sha256,
			 GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT line, field, reason FROM import_errors"
		" WHERE file_sha256 = ?1 ORDER BY line, rowid", error);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (
		ledger_import_error_free);
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, sha256);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		DsLedgerImportError *row_error = g_new0 (DsLedgerImportError,
							 1);

		row_error->line = sqlite3_column_int (statement, 0);
		row_error->field = ds_store_column_text (statement, 1);
		row_error->reason = ds_store_column_text (statement, 2);
		g_ptr_array_add (errors, row_error);
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "import_errors");
		return NULL;
	}
	return g_steal_pointer (&errors);
}

gboolean
ds_ledger_put_import (DsStore *store, const DsLedgerImport *import,
		      GError **error)
{
	g_autoptr (sqlite3_stmt) forget = ds_store_prepare (store,
		"DELETE FROM import_errors WHERE file_sha256 = ?1", error);
	g_autoptr (sqlite3_stmt) record = NULL;

	if (forget == NULL)
		return FALSE;
	ds_store_bind_text (forget, 1, import->file_sha256);
	if (sqlite3_step (forget) != SQLITE_DONE)
		return ds_store_fail (store, error, "import_errors");

	record = ds_store_prepare (store,
		"INSERT INTO imports (file_sha256, file_name, kind, profile,"
		" imported_at, accepted, updated, unchanged, rejected)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (file_sha256) DO UPDATE SET"
		" file_name = ?2, kind = ?3, profile = ?4, imported_at = ?5,"
		" accepted = ?6, updated = ?7, unchanged = ?8,"
		" rejected = ?9", error);
	if (record == NULL)
		return FALSE;
	ds_store_bind_text (record, 1, import->file_sha256);
	ds_store_bind_text (record, 2, import->file_name);
	ds_store_bind_text (record, 3, import->kind);
	ds_store_bind_text (record, 4, import->profile);
	ds_store_bind_text (record, 5, import->imported_at);
	sqlite3_bind_int64 (record, 6, import->accepted);
	sqlite3_bind_int64 (record, 7, import->updated);
	sqlite3_bind_int64 (record, 8, import->unchanged);
	sqlite3_bind_int64 (record, 9, import->rejected);
	if (sqlite3_step (record) != SQLITE_DONE)
		return ds_store_fail (store, error, "imports");
	return TRUE;
}

gboolean
ds_ledger_writer_put_import_error (DsLedgerWriter *writer,
				   const char *sha256, int line,
				   const char *field, const char *reason,
				   GError **error)
{
	sqlite3_stmt *statement = writer_lookup (writer, LOOKUP_IMPORT_ERROR,
						 error);
	gboolean changed;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, sha256);
	sqlite3_bind_int (statement, 2, line);
	ds_store_bind_text (statement, 3, field);
	ds_store_bind_text (statement, 4, reason);
	return writer_step (writer, statement, "import_errors", &changed,
			    error);
}

/* Reads. */

/* Run a query bound to up to two texts; each row becomes one record. */
typedef gpointer (*RowFunc) (sqlite3_stmt *statement);

static GPtrArray *
select_rows (DsStore *store, const char *sql, const char *first,
	     const char *second, RowFunc row, GDestroyNotify free_func,
	     GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);
	g_autoptr (GPtrArray) rows = NULL;
	int step;

	if (statement == NULL)
		return NULL;
	if (first != NULL)
		ds_store_bind_text (statement, 1, first);
	if (second != NULL)
		ds_store_bind_text (statement, 2, second);
	rows = g_ptr_array_new_with_free_func (free_func);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (rows, row (statement));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "ledger read");
		return NULL;
	}
	return g_steal_pointer (&rows);
}

/* The single record a key selects, or NULL with NOT_FOUND. */
static gpointer
select_one (DsStore *store, const char *sql, const char *key,
	    const char *what, RowFunc row, GDestroyNotify free_func,
	    GError **error)
{
	g_autoptr (GPtrArray) rows = select_rows (store, sql, key, NULL, row,
						  free_func, error);

	if (rows == NULL)
		return NULL;
	if (rows->len == 0) {
		lookup_missing (error, what, key);
		return NULL;
	}
	return g_ptr_array_steal_index (rows, 0);
}

static gpointer
entity_from_row (sqlite3_stmt *statement)
{
	DsEntity *entity = g_new0 (DsEntity, 1);

	entity->entity_id = ds_store_column_text (statement, 0);
	entity->name = ds_store_column_text (statement, 1);
	entity->street = ds_store_column_text (statement, 2);
	entity->postal_code = ds_store_column_text (statement, 3);
	entity->city = ds_store_column_text (statement, 4);
	entity->country = ds_store_column_text (statement, 5);
	entity->iban = ds_store_column_text (statement, 6);
	entity->bic = ds_store_column_text (statement, 7);
	entity->vat_id = ds_store_column_text (statement, 8);
	entity->email = ds_store_column_text (statement, 9);
	entity->phone = ds_store_column_text (statement, 10);
	entity->jurisdiction = ds_store_column_text (statement, 11);
	entity->letter_profile = ds_store_column_text (statement, 12);
	return entity;
}

static gpointer
customer_from_row (sqlite3_stmt *statement)
{
	DsCustomer *customer = g_new0 (DsCustomer, 1);

	customer->customer_id = ds_store_column_text (statement, 0);
	customer->name = ds_store_column_text (statement, 1);
	customer->contact = ds_store_column_text (statement, 2);
	customer->street = ds_store_column_text (statement, 3);
	customer->postal_code = ds_store_column_text (statement, 4);
	customer->city = ds_store_column_text (statement, 5);
	customer->country = ds_store_column_text (statement, 6);
	customer->language = ds_store_column_text (statement, 7);
	customer->currency = ds_store_column_text (statement, 8);
	customer->entity_id = ds_store_column_text (statement, 9);
	customer->email = ds_store_column_text (statement, 10);
	customer->fax = ds_store_column_text (statement, 11);
	customer->phone = ds_store_column_text (statement, 12);
	customer->b2b = sqlite3_column_int (statement, 13) != 0;
	customer->tags = ds_store_column_text (statement, 14);
	customer->collector = ds_store_column_text (statement, 15);
	customer->paperless_since = ds_store_column_date (statement, 16);
	return customer;
}

#define INVOICE_COLUMNS \
	"invoice_id, customer_id, issue_date, due_date, currency, amount," \
	" tax_amount, reference, billing"

static void
invoice_from_row (sqlite3_stmt *statement, DsInvoice *invoice)
{
	invoice->invoice_id = ds_store_column_text (statement, 0);
	invoice->customer_id = ds_store_column_text (statement, 1);
	invoice->issue_date = ds_store_column_date (statement, 2);
	invoice->due_date = ds_store_column_date (statement, 3);
	invoice->currency = ds_store_column_text (statement, 4);
	invoice->amount = sqlite3_column_int64 (statement, 5);
	invoice->tax_amount = sqlite3_column_int64 (statement, 6);
	invoice->reference = ds_store_column_text (statement, 7);
	invoice->billing = billing_from_name (
		(const char *) sqlite3_column_text (statement, 8));
}

static gpointer
invoice_new_from_row (sqlite3_stmt *statement)
{
	DsInvoice *invoice = g_new0 (DsInvoice, 1);

	invoice_from_row (statement, invoice);
	return invoice;
}

static gpointer
instalment_from_row (sqlite3_stmt *statement)
{
	DsInstalment *instalment = g_new0 (DsInstalment, 1);

	instalment->invoice_id = ds_store_column_text (statement, 0);
	instalment->number = sqlite3_column_int (statement, 1);
	instalment->due_date = ds_store_column_date (statement, 2);
	instalment->amount = sqlite3_column_int64 (statement, 3);
	return instalment;
}

static gpointer
payment_from_row (sqlite3_stmt *statement)
{
	DsPayment *payment = g_new0 (DsPayment, 1);

	payment->payment_id = ds_store_column_text (statement, 0);
	payment->customer_id = ds_store_column_text (statement, 1);
	payment->date = ds_store_column_date (statement, 2);
	payment->currency = ds_store_column_text (statement, 3);
	payment->amount = sqlite3_column_int64 (statement, 4);
	payment->invoice_id = ds_store_column_text (statement, 5);
	return payment;
}

static gpointer
credit_note_from_row (sqlite3_stmt *statement)
{
	DsCreditNote *credit_note = g_new0 (DsCreditNote, 1);
	const char *status = (const char *) sqlite3_column_text (statement,
								 6);

	credit_note->credit_note_id = ds_store_column_text (statement, 0);
	credit_note->customer_id = ds_store_column_text (statement, 1);
	credit_note->date = ds_store_column_date (statement, 2);
	credit_note->currency = ds_store_column_text (statement, 3);
	credit_note->amount = sqlite3_column_int64 (statement, 4);
	credit_note->invoice_id = ds_store_column_text (statement, 5);
	credit_note->status = g_strcmp0 (status, "cancelled") == 0 ?
			      DS_CREDIT_NOTE_CANCELLED : DS_CREDIT_NOTE_OPEN;
	return credit_note;
}

static gpointer
dispute_from_row (sqlite3_stmt *statement)
{
	DsDispute *dispute = g_new0 (DsDispute, 1);

	dispute->invoice_id = ds_store_column_text (statement, 0);
	dispute->opened = ds_store_column_date (statement, 1);
	dispute->resolved = ds_store_column_date (statement, 2);
	dispute->reason = ds_store_column_text (statement, 3);
	return dispute;
}

static gpointer
promise_from_row (sqlite3_stmt *statement)
{
	DsPromise *promise = g_new0 (DsPromise, 1);

	promise->promise_id = ds_store_column_text (statement, 0);
	promise->customer_id = ds_store_column_text (statement, 1);
	promise->promised_date = ds_store_column_date (statement, 2);
	promise->amount = sqlite3_column_int64 (statement, 3);
	promise->invoice_id = ds_store_column_text (statement, 4);
	promise->made_on = ds_store_column_date (statement, 5);
	return promise;
}

DsEntity *
ds_ledger_get_entity (DsStore *store, const char *entity_id, GError **error)
{
	return select_one (store,
		"SELECT entity_id, name, street, postal_code, city, country,"
		" iban, bic, vat_id, email, phone, jurisdiction,"
		" letter_profile FROM entities WHERE entity_id = ?1",
		entity_id, "entity", entity_from_row,
		(GDestroyNotify) ds_entity_free, error);
}

DsCustomer *
ds_ledger_get_customer (DsStore *store, const char *customer_id,
			GError **error)
{
	return select_one (store,
		"SELECT customer_id, name, contact, street, postal_code,"
		" city, country, language, currency, entity_id, email, fax,"
		" phone, b2b, tags, collector, paperless_since"
		" FROM customers WHERE customer_id = ?1",
		customer_id, "customer", customer_from_row,
		(GDestroyNotify) ds_customer_free, error);
}

DsInvoice *
ds_ledger_get_invoice (DsStore *store, const char *invoice_id,
		       GError **error)
{
	return select_one (store,
		"SELECT " INVOICE_COLUMNS " FROM invoices"
		" WHERE invoice_id = ?1",
		invoice_id, "invoice", invoice_new_from_row,
		(GDestroyNotify) ds_invoice_free, error);
}

static gboolean
row_exists (DsStore *store, const char *sql, const char *key)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, key);
	return sqlite3_step (statement) == SQLITE_ROW;
}

gboolean
ds_ledger_customer_exists (DsStore *store, const char *customer_id)
{
	return row_exists (store,
			   "SELECT 1 FROM customers WHERE customer_id = ?1",
			   customer_id);
}

gboolean
ds_ledger_entity_exists (DsStore *store, const char *entity_id)
{
	return row_exists (store,
			   "SELECT 1 FROM entities WHERE entity_id = ?1",
			   entity_id);
}

GPtrArray *
ds_ledger_instalments (DsStore *store, const char *invoice_id,
		       GError **error)
{
	return select_rows (store,
		"SELECT invoice_id, number, due_date, amount FROM instalments"
		" WHERE invoice_id = ?1 ORDER BY number",
		invoice_id, NULL, instalment_from_row,
		(GDestroyNotify) ds_instalment_free, error);
}

GPtrArray *
ds_ledger_payments (DsStore *store, const char *customer_id, DsDate as_of,
		    GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);

	return select_rows (store,
		"SELECT payment_id, customer_id, date, currency, amount,"
		" invoice_id FROM payments WHERE customer_id = ?1"
		" AND date <= ?2 ORDER BY date, payment_id",
		customer_id, date, payment_from_row,
		(GDestroyNotify) ds_payment_free, error);
}

GPtrArray *
ds_ledger_credit_notes (DsStore *store, const char *customer_id,
			DsDate as_of, GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);

	return select_rows (store,
		"SELECT credit_note_id, customer_id, date, currency, amount,"
		" invoice_id, status FROM credit_notes WHERE customer_id = ?1"
		" AND date <= ?2 ORDER BY date, credit_note_id",
		customer_id, date, credit_note_from_row,
		(GDestroyNotify) ds_credit_note_free, error);
}

GPtrArray *
ds_ledger_promises (DsStore *store, const char *customer_id, DsDate as_of,
		    GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);

	return select_rows (store,
		"SELECT promise_id, customer_id, promised_date, amount,"
		" invoice_id, made_on FROM promises WHERE customer_id = ?1"
		" AND (made_on IS NULL OR made_on <= ?2)"
		" ORDER BY promised_date, promise_id",
		customer_id, date, promise_from_row,
		(GDestroyNotify) ds_promise_free, error);
}

GPtrArray *
ds_ledger_disputes (DsStore *store, const char *invoice_id, GError **error)
{
	return select_rows (store,
		"SELECT invoice_id, opened, resolved, reason FROM disputes"
		" WHERE invoice_id = ?1 ORDER BY opened",
		invoice_id, NULL, dispute_from_row,
		(GDestroyNotify) ds_dispute_free, error);
}

/*
 * What was settled on each invoice by `as_of` (payments and open credit
 * notes allocated to it, dated on or before), and which invoices had a
 * dispute open that day, are computed once as tables and joined, so the
 * query stays one pass over the invoices however many there are.
 */
static gpointer
open_item_from_row (sqlite3_stmt *statement)
{
	DsOpenItem *item = g_new0 (DsOpenItem, 1);

	invoice_from_row (statement, &item->invoice);
	item->paid = sqlite3_column_int64 (statement, 9);
	item->open = item->invoice.amount - item->paid;
	item->disputed = sqlite3_column_int (statement, 10) != 0;
	item->due = item->invoice.due_date;
	item->due_open = item->open;
	if (sqlite3_column_type (statement, 11) != SQLITE_NULL) {
		ds_date_parse_iso ((const char *) sqlite3_column_text (
			statement, 11), &item->due, NULL);
		item->due_open = MAX (0, sqlite3_column_int64 (statement,
							       12) -
				      item->paid);
		item->instalment = sqlite3_column_int (statement, 13);
		item->next_open = MAX (0, sqlite3_column_int64 (statement,
								15) -
				       item->paid);
	}
	item->instalments = sqlite3_column_int (statement, 14);
	return item;
}

gint64
ds_open_item_claimed (const DsOpenItem *item)
{
	if (item->due_open > 0)
		return item->due_open;
	return item->instalments > 0 ? item->next_open : item->open;
}

GPtrArray *
ds_ledger_open_items (DsStore *store, DsDate as_of, GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);

	return select_rows (store,
		"WITH settled (invoice_id, paid) AS ("
		"  SELECT invoice_id, SUM (amount) FROM ("
		"   SELECT invoice_id, amount FROM payments"
		"    WHERE invoice_id IS NOT NULL AND date <= ?1"
		"   UNION ALL"
		"   SELECT invoice_id, amount FROM credit_notes"
		"    WHERE invoice_id IS NOT NULL AND status = 'open'"
		"    AND date <= ?1)"
		"  GROUP BY invoice_id),"
		" disputed (invoice_id) AS ("
		"  SELECT DISTINCT invoice_id FROM disputes"
		"   WHERE opened <= ?1 AND (resolved IS NULL"
		"   OR resolved > ?1)),"
		/* per instalment, what falls due up to and including it */
		" schedule (invoice_id, number, due_date, upto, count) AS ("
		"  SELECT invoice_id, number, due_date, SUM (amount) OVER ("
		"   PARTITION BY invoice_id ORDER BY number),"
		"   COUNT (*) OVER (PARTITION BY invoice_id)"
		"  FROM instalments),"
		/* the instalments not covered, the first due ranked 1 */
		" uncovered (invoice_id, number, due_date, upto, ordinal)"
		"  AS (SELECT c.invoice_id, c.number, c.due_date, c.upto,"
		"   ROW_NUMBER () OVER (PARTITION BY c.invoice_id"
		"    ORDER BY c.due_date, c.number)"
		"  FROM schedule c LEFT JOIN settled s USING (invoice_id)"
		"  WHERE c.upto > COALESCE (s.paid, 0)),"
		/* what is due now, and how many instalments there are */
		" parts (invoice_id, due_amount, count) AS ("
		"  SELECT invoice_id,"
		"   COALESCE (MAX (CASE WHEN due_date <= ?1 THEN upto END),"
		"    0),"
		"   MAX (count)"
		"  FROM schedule GROUP BY invoice_id)"
		" SELECT i.invoice_id, i.customer_id, i.issue_date,"
		"  i.due_date, i.currency, i.amount, i.tax_amount,"
		"  i.reference, i.billing, COALESCE (s.paid, 0),"
		"  d.invoice_id IS NOT NULL, u.due_date, p.due_amount,"
		"  u.number, COALESCE (p.count, 0), u.upto"
		" FROM invoices i"
		" LEFT JOIN settled s ON s.invoice_id = i.invoice_id"
		" LEFT JOIN disputed d ON d.invoice_id = i.invoice_id"
		" LEFT JOIN parts p ON p.invoice_id = i.invoice_id"
		" LEFT JOIN uncovered u ON u.invoice_id = i.invoice_id"
		"  AND u.ordinal = 1"
		" WHERE i.issue_date <= ?1"
		"  AND i.amount - COALESCE (s.paid, 0) > 0"
		" ORDER BY i.customer_id, i.due_date, i.invoice_id",
		date, NULL, open_item_from_row,
		(GDestroyNotify) ds_open_item_free, error);
}

static gint64
count_dated (DsStore *store, const char *sql, DsDate as_of)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);
	g_autofree char *date = ds_date_to_iso (as_of);

	if (statement == NULL)
		return -1;
	ds_store_bind_text (statement, 1, date);
	if (sqlite3_step (statement) != SQLITE_ROW)
		return -1;
	return sqlite3_column_int64 (statement, 0);
}

gint64
ds_ledger_count_invoices (DsStore *store, DsDate as_of)
{
	return count_dated (store,
		"SELECT COUNT (*) FROM invoices WHERE issue_date <= ?1",
		as_of);
}

gint64
ds_ledger_count_payments (DsStore *store, DsDate as_of)
{
	return count_dated (store,
		"SELECT COUNT (*) FROM payments WHERE date <= ?1", as_of);
}
