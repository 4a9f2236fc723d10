/*
 * check_scorer.c -- the scorer sees nothing later than its date, refuses
 * a model of other features, saves and loads models exactly, explains its
 * scores, and meets its targets on the bundled IBM ledger.
 *
 * The bundled ledger is loaded by a small fixture loader of its own
 * (libcsv and plain inserts), in the shape the `ibm-ar` profile gives it:
 * an invoice per row, its payment on SettledDate, and for Disputed=Yes a
 * dispute opened on the issue date and resolved when paid.
 */
#include <check.h>
#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"
#include "evaluate.h"
#include "ledger-history.h"
#include "money.h"
#include "scorer-dunning.h"
#include "scorer-features.h"
#include "scorer.h"
#include "testutil.h"

/* ---- the fixture ------------------------------------------------------ */

typedef struct {
	GPtrArray *rows;	/* GPtrArray of char * fields */
	GPtrArray *row;
} CsvTable;

static void
csv_field_cb (void *field, size_t length, void *data)
{
	CsvTable *table = data;

	g_ptr_array_add (table->row, g_strndup (field, length));
}

static void
csv_row_cb (int terminator, void *data)
{
	CsvTable *table = data;

	g_ptr_array_add (table->rows, table->row);
	table->row = g_ptr_array_new_with_free_func (g_free);
}

/* Every row of a CSV file under data/, the header first. */
static GPtrArray *
csv_read (const char *relative)
{
	g_autofree char *path = ds_test_srcpath (relative);
	g_autofree char *contents = NULL;
	struct csv_parser parser;
	CsvTable table;
	gsize length;

	ck_assert_msg (g_file_get_contents (path, &contents, &length, NULL),
		       "%s", path);
	table.rows = g_ptr_array_new_with_free_func (
		(GDestroyNotify) g_ptr_array_unref);
	table.row = g_ptr_array_new_with_free_func (g_free);
	ck_assert (csv_init (&parser, CSV_STRICT | CSV_APPEND_NULL) == 0);
	ck_assert (csv_parse (&parser, contents, length, csv_field_cb,
			      csv_row_cb, &table) == length);
	csv_fini (&parser, csv_field_cb, csv_row_cb, &table);
	csv_free (&parser);
	g_ptr_array_unref (table.row);
	return table.rows;
}

static const char *
field (GPtrArray *row, guint index)
{
	const char *text = g_ptr_array_index (row, index);

	return *text ? text : NULL;
}

static void
insert (DsStore *store, const char *sql, const char *const *values,
	guint count)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);

	ck_assert_msg (statement != NULL, "%s", sql);
	for (guint i = 0; i < count; i++)
		sqlite3_bind_text (statement, i + 1, values[i], -1,
				   SQLITE_TRANSIENT);
	ck_assert_msg (sqlite3_step (statement) == SQLITE_DONE, "%s: %s",
		       sql, sqlite3_errmsg (ds_store_db (store)));
}

static void
load_masters (DsStore *store, GHashTable *currencies)
{
	g_autoptr (GPtrArray) entities = csv_read ("data/ibm-ar/entities.csv");
	g_autoptr (GPtrArray) customers = csv_read (
		"data/ibm-ar/customers.csv");

	for (guint i = 1; i < entities->len; i++) {
		GPtrArray *row = g_ptr_array_index (entities, i);
		const char *values[] = { field (row, 0), field (row, 1),
			field (row, 2), field (row, 3), field (row, 4),
			field (row, 5) };

		insert (store, "INSERT INTO entities (entity_id, name, street,"
			" postal_code, city, country) VALUES (?, ?, ?, ?, ?,"
			" ?)", values, G_N_ELEMENTS (values));
	}
	/* customer_id,name,contact,street,postal_code,city,country,
	 * language,currency,entity,... */
	for (guint i = 1; i < customers->len; i++) {
		GPtrArray *row = g_ptr_array_index (customers, i);
		const char *values[] = { field (row, 0), field (row, 1),
			field (row, 6), field (row, 7), field (row, 8),
			field (row, 9) };

		insert (store, "INSERT INTO customers (customer_id, name,"
			" country, language, currency, entity_id) VALUES (?,"
			" ?, ?, ?, ?, ?)", values, G_N_ELEMENTS (values));
		g_hash_table_insert (currencies, g_strdup (field (row, 0)),
				     g_strdup (field (row, 8)));
	}
}

static char *
iso_from_mdy (const char *text)
{
	DsDate date;

	ck_assert_msg (ds_date_parse (text, "M/D/YYYY", &date, NULL), "%s",
		       text);
	return ds_date_to_iso (date);
}

/*
 * countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,
 * DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,
 * DaysLate -- the last two are outcomes and are not loaded at all.
 */
static void
load_invoice (DsStore *store, GPtrArray *row, const char *currency)
{
	g_autofree char *issued = iso_from_mdy (field (row, 4));
	g_autofree char *due = iso_from_mdy (field (row, 5));
	g_autofree char *settled = iso_from_mdy (field (row, 8));
	g_autofree char *amount = NULL;
	g_autofree char *payment_id = g_strconcat ("P", field (row, 3), NULL);
	g_autofree char *billing = g_ascii_strdown (field (row, 9), -1);
	gint64 minor;

	ck_assert (ds_money_parse (field (row, 6), currency,
				   &ds_number_format_plain, &minor, NULL));
	amount = g_strdup_printf ("%" G_GINT64_FORMAT, minor);
	{
		const char *values[] = { field (row, 3), field (row, 1),
			issued, due, currency, amount, billing };

		insert (store, "INSERT INTO invoices (invoice_id, customer_id,"
			" issue_date, due_date, currency, amount, billing)"
			" VALUES (?, ?, ?, ?, ?, ?, ?)", values, 7);
	}
	{
		const char *values[] = { payment_id, field (row, 1), settled,
			currency, amount, field (row, 3) };

		insert (store, "INSERT INTO payments (payment_id, customer_id,"
			" date, currency, amount, invoice_id) VALUES (?, ?, ?,"
			" ?, ?, ?)", values, 6);
	}
	if (strcmp (field (row, 7), "Yes") == 0) {
		const char *values[] = { field (row, 3), issued, settled };

		insert (store, "INSERT INTO disputes (invoice_id, opened,"
			" resolved) VALUES (?, ?, ?)", values, 3);
	}
}

/* A fresh store in `dir` holding the bundled IBM ledger. */
static DsStore *
ibm_store (const char *dir)
{
	g_autofree char *path = g_build_filename (dir, "ledger.db", NULL);
	g_autoptr (GHashTable) currencies = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (GPtrArray) invoices = csv_read (
		"data/ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv");
	g_autoptr (GError) error = NULL;
	DsStore *store = ds_store_open (path, &error);

	ck_assert_msg (store != NULL, "%s", error ? error->message : "");
	ck_assert (ds_store_begin (store, NULL));
	load_masters (store, currencies);
	for (guint i = 1; i < invoices->len; i++) {
		GPtrArray *row = g_ptr_array_index (invoices, i);

		load_invoice (store, row, g_hash_table_lookup (
			currencies, field (row, 1)));
	}
	ck_assert (ds_store_commit (store, NULL));
	return store;
}

/*
 * What the daemon would have done about the ledger, made up but dated
 * consistently: up to three documents per invoice (one invoice in three
 * left alone) at 5, 14 and 23 days after the due date while it was
 * unpaid, through all four channels; a journaled delivery outcome for
 * four documents in five, from a day before the document's date (a
 * clock that disagrees) to three days after; and a promise for every fifth
 * invoice 10 days after its due date, half naming the invoice, most with
 * the day they were made.
 */
static void
add_dunning_history (DsStore *store)
{
	ck_assert (ds_store_exec (store,
		"INSERT INTO documents (trace_id, idempotency_key,"
		" customer_id, entity_id, strategy, step, step_index, channel,"
		" as_of, state, language, currency, total, created_at)"
		" SELECT 'T' || n || '-' || i.invoice_id,"
		"  'K' || n || '-' || i.invoice_id, i.customer_id,"
		"  c.entity_id, 'default', 'reminder', n - 1,"
		"  CASE (i.rowid + n) % 4 WHEN 0 THEN 'email'"
		"   WHEN 1 THEN 'letter' WHEN 2 THEN 'registered'"
		"   ELSE 'fax' END,"
		"  date (i.due_date, '+' || (n * 9 - 4) || ' days'),"
		"  'dispatched', c.language, i.currency, i.amount,"
		"  '2026-01-01T00:00:00Z'"
		" FROM invoices i JOIN customers c USING (customer_id),"
		"  (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3)"
		" WHERE i.rowid % 3 != 0"
		" AND date (i.due_date, '+' || (n * 9 - 4) || ' days') <"
		"  (SELECT max (p.date) FROM payments p"
		"   WHERE p.invoice_id = i.invoice_id);"
		"INSERT INTO document_items (trace_id, invoice_id,"
		" open_amount, days_overdue)"
		" SELECT trace_id, substr (trace_id, 4), total, 0"
		" FROM documents;"
		"INSERT INTO journal (at, actor, object_kind, object_id,"
		" trace_id, event, old_state, new_state, prev_hash, hash)"
		" SELECT at, 'test', 'attempt', rowid, trace_id, state,"
		"  'submitting', state, '', '' FROM ("
		"  SELECT d.as_of || 'T09:00:00Z' AS at, d.rowid,"
		"   d.trace_id, 'handed-off' AS state FROM documents d"
		"  UNION ALL"
		"  SELECT date (d.as_of, ((d.rowid % 5) - 1) || ' days')"
		"   || 'T10:00:00Z', d.rowid, d.trace_id, s.state"
		"  FROM documents d JOIN (SELECT 0 AS k, 'delivered' AS state"
		"   UNION ALL SELECT 1, 'returned'"
		"   UNION ALL SELECT 2, 'bounced-hard'"
		"   UNION ALL SELECT 3, 'delivered-assumed') s"
		"   ON s.k = d.rowid % 5)"
		" ORDER BY at, rowid;"
		"INSERT INTO promises (promise_id, customer_id, promised_date,"
		" amount, invoice_id, made_on)"
		" SELECT 'PR-' || invoice_id, customer_id,"
		"  date (due_date, '+10 days'), amount,"
		"  CASE WHEN rowid % 2 = 0 THEN invoice_id END,"
		"  CASE WHEN rowid % 7 != 0"
		"   THEN date (due_date, '+3 days') END"
		" FROM invoices WHERE rowid % 5 = 0;", NULL));
}

static DsDate
date (const char *iso)
{
	DsDate value;

	ck_assert (ds_date_parse_iso (iso, &value, NULL));
	return value;
}

#define END_OF_TIME (ds_date_from_ymd (9999, 12, 31))

/* ---- ledger history "as of" ------------------------------------------- */

/* One invoice of 100.00 due 2024-03-01, paid 40.00 + 60.00, disputed. */
static DsStore *
small_store (const char *dir)
{
	g_autofree char *path = g_build_filename (dir, "small.db", NULL);
	DsStore *store = ds_store_open (path, NULL);

	ck_assert (store != NULL);
	ck_assert (ds_store_exec (store,
		"INSERT INTO entities (entity_id, name, street, postal_code,"
		" city, country) VALUES ('E', 'E', 's', 'p', 'c', 'DE');"
		"INSERT INTO customers (customer_id, name, country, language,"
		" currency, entity_id) VALUES ('C', 'C', 'DE', 'de', 'EUR',"
		" 'E');"
		"INSERT INTO invoices (invoice_id, customer_id, issue_date,"
		" due_date, currency, amount) VALUES ('I1', 'C', '2024-02-01',"
		" '2024-03-01', 'EUR', 10000);"
		"INSERT INTO payments (payment_id, customer_id, date,"
		" currency, amount, invoice_id) VALUES"
		" ('P1', 'C', '2024-02-20', 'EUR', 4000, 'I1'),"
		" ('P2', 'C', '2024-03-10', 'EUR', 6000, 'I1');"
		"INSERT INTO disputes (invoice_id, opened, resolved) VALUES"
		" ('I1', '2024-02-05', '2024-02-25');", NULL));
	return store;
}

static const struct {
	const char *as_of;
	gint64 paid;
	const char *settled;	/* "" while open */
	gboolean disputed;
} small_cases[] = {
	{ "2024-02-01", 0, "", FALSE },
	{ "2024-02-05", 0, "", TRUE },
	{ "2024-02-20", 0, "", TRUE },	/* that day's payment not yet */
	{ "2024-02-21", 4000, "", TRUE },
	{ "2024-02-25", 4000, "", FALSE },
	{ "2024-03-10", 4000, "", FALSE },
	{ "2024-03-11", 10000, "2024-03-10", FALSE },
};

START_TEST (test_history_as_of)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = small_store (dir);
	g_autoptr (DsLedgerHistory) history = ds_ledger_history_load (
		store, END_OF_TIME, NULL);
	const DsHistoryInvoice *invoice;
	DsDate as_of = date (small_cases[_i].as_of);
	char settled[DS_DATE_ISO_LEN];

	ck_assert (history != NULL);
	invoice = ds_ledger_history_find (history, "I1");
	ck_assert (invoice != NULL);
	ck_assert_int_eq (ds_history_invoice_paid (invoice, as_of),
			  small_cases[_i].paid);
	ds_date_format_iso (ds_history_invoice_settled (invoice, as_of),
			    settled);
	ck_assert_str_eq (settled, small_cases[_i].settled);
	ck_assert_int_eq (ds_history_invoice_open (invoice, as_of),
			  settled[0] == '\0');
	ck_assert_int_eq (ds_history_invoice_disputed (invoice, as_of),
			  small_cases[_i].disputed);
	ds_test_rmtree (dir);
}
END_TEST

/* Loading as of a day reads nothing dated after it. */
START_TEST (test_history_load_bounded)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = small_store (dir);
	g_autoptr (DsLedgerHistory) early = ds_ledger_history_load (
		store, date ("2024-01-31"), NULL);
	g_autoptr (DsLedgerHistory) middle = ds_ledger_history_load (
		store, date ("2024-02-22"), NULL);
	const DsHistoryInvoice *invoice;

	ck_assert_int_eq (ds_ledger_history_invoices (early)->len, 0);
	invoice = ds_ledger_history_find (middle, "I1");
	ck_assert_int_eq (invoice->events->len, 1);
	ck_assert_int_eq (invoice->dispute_resolved, DS_DATE_NONE);
	ck_assert (ds_history_invoice_disputed (invoice, date ("2024-02-22")));
	ds_test_rmtree (dir);
}
END_TEST

/* ---- leakage ---------------------------------------------------------- */

/*
 * A copy of the ledger with every event on or after `as_of` deleted,
 * except invoices issued on that day (known that day): payments, credit
 * notes, disputes, promises, documents and journal records.
 */
static DsStore *
truncated_copy (DsStore *store, const char *dir, DsDate as_of)
{
	char iso[DS_DATE_ISO_LEN];
	g_autofree char *path = NULL;
	g_autofree char *copy = NULL;
	g_autofree char *cut = NULL;
	DsStore *truncated;

	ds_date_format_iso (as_of, iso);
	path = g_strdup_printf ("%s/cut-%s.db", dir, iso);
	copy = g_strdup_printf ("VACUUM INTO '%s'", path);
	ck_assert (ds_store_exec (store, copy, NULL));
	truncated = ds_store_open (path, NULL);
	ck_assert (truncated != NULL);
	cut = g_strdup_printf (
		"DELETE FROM payments WHERE date >= '%1$s';"
		"DELETE FROM credit_notes WHERE date >= '%1$s';"
		"DELETE FROM disputes WHERE opened > '%1$s';"
		"UPDATE disputes SET resolved = NULL WHERE resolved > '%1$s';"
		"DELETE FROM promises"
		" WHERE ifnull (made_on, promised_date) >= '%1$s';"
		"DELETE FROM document_items WHERE trace_id IN"
		" (SELECT trace_id FROM documents WHERE as_of >= '%1$s');"
		"DELETE FROM documents WHERE as_of >= '%1$s';"
		"DROP TRIGGER journal_no_delete;"
		"DELETE FROM journal WHERE at >= '%1$s';"
		"DELETE FROM invoices WHERE issue_date > '%1$s';", iso);
	ck_assert (ds_store_exec (truncated, cut, NULL));
	return truncated;
}

/* Rows compared bit for bit, so that NaN equals NaN. */
static void
assert_same_rows (const DsFeatureMatrix *full, guint full_row,
		  const DsFeatureMatrix *cut, guint cut_row, const char *what)
{
	const float *a = ds_feature_matrix_row (full, full_row);
	const float *b = ds_feature_matrix_row (cut, cut_row);
	const DsFeature *features = ds_scorer_features_list (NULL);

	for (guint i = 0; i < full->columns; i++)
		ck_assert_msg (memcmp (&a[i], &b[i], sizeof (float)) == 0,
			       "%s: %s: %g with the future, %g without",
			       what, features[i].name, a[i], b[i]);
}

static guint
column (const char *name)
{
	guint count;
	const DsFeature *list = ds_scorer_features_list (&count);

	for (guint i = 0; i < count; i++)
		if (strcmp (list[i].name, name) == 0)
			return i;
	ck_abort_msg ("no feature %s", name);
	return 0;
}

/* How many compared rows carried dunning history, so that the
 * comparisons are not of zeros with zeros. */
typedef struct {
	guint invoice_actions;
	guint customer_actions;
	guint outcomes;		/* a delivery outcome known */
	guint kept;
	guint broken;
} DunningTally;

static void
tally_dunning (DunningTally *tally, const DsFeatureMatrix *matrix,
	       guint row)
{
	const float *values = ds_feature_matrix_row (matrix, row);

	tally->invoice_actions += values[column ("dunning_email")] +
		values[column ("dunning_letter")] +
		values[column ("dunning_registered")] +
		values[column ("dunning_fax")] > 0;
	tally->customer_actions += values[column ("customer_dunning_email")] +
		values[column ("customer_dunning_letter")] +
		values[column ("customer_dunning_registered")] +
		values[column ("customer_dunning_fax")] > 0;
	tally->outcomes += values[column ("last_delivery_outcome")] > 0 ||
		values[column ("customer_last_delivery_outcome")] > 0;
	tally->kept += values[column ("promises_kept")] > 0;
	tally->broken += values[column ("promises_broken")] > 0;
}

/* A store and its histories, as finally known, or cut at a day. */
typedef struct {
	DsStore *store;
	DsLedgerHistory *ledger;
	DsDunningHistory *dunning;
} Known;

static void
known_load (Known *known, DsStore *store)
{
	known->store = store;
	known->ledger = ds_ledger_history_load (store, END_OF_TIME, NULL);
	known->dunning = ds_dunning_history_load (store, END_OF_TIME, NULL);
	ck_assert (known->ledger != NULL && known->dunning != NULL);
}

static void
known_clear (Known *known)
{
	ds_dunning_history_free (known->dunning);
	ds_ledger_history_free (known->ledger);
	ds_store_close (known->store);
}

/* Every 50th invoice, as of its issue date. */
START_TEST (test_features_no_leakage_at_issue)
{
	g_autofree char *dir = ds_test_tmpdir ();
	Known full;
	GPtrArray *invoices;
	DunningTally tally = { 0 };
	guint checked = 0;

	DsStore *store = ibm_store (dir);

	add_dunning_history (store);
	known_load (&full, store);
	invoices = ds_ledger_history_invoices (full.ledger);
	for (guint i = 25; i < invoices->len; i += 50) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);
		DsDate as_of = invoice->issue_date;
		Known cut;
		g_autoptr (DsFeatureMatrix) with = ds_feature_matrix_new (
			full.dunning);
		g_autoptr (DsFeatureMatrix) without = NULL;

		known_load (&cut, truncated_copy (full.store, dir, as_of));
		without = ds_feature_matrix_new (cut.dunning);
		ds_scorer_features_add (with, invoice, as_of);
		ds_scorer_features_add (without, ds_ledger_history_find (
			cut.ledger, invoice->invoice_id), as_of);
		assert_same_rows (with, 0, without, 0, invoice->invoice_id);
		tally_dunning (&tally, with, 0);
		checked++;
		known_clear (&cut);
	}
	ck_assert_int_ge (checked, 45);
	/* At issue nothing was sent about the invoice yet, but to its
	 * customer: the customer's columns were compared with values. */
	ck_assert_int_eq (tally.invoice_actions, 0);
	ck_assert_int_gt (tally.customer_actions, 20);
	ck_assert_int_gt (tally.outcomes, 10);
	ck_assert_int_gt (tally.kept + tally.broken, 10);
	known_clear (&full);
	ds_test_rmtree (dir);
}
END_TEST

/* Every invoice open on a day, as the planner scores them. */
static const char *const open_days[] = {
	"2012-03-15", "2012-11-30", "2013-06-30", "2013-07-01", "2013-12-01",
};

START_TEST (test_features_no_leakage_open_items)
{
	g_autofree char *dir = ds_test_tmpdir ();
	DsDate as_of = date (open_days[_i]);
	DunningTally tally = { 0 };
	Known full, cut;
	g_autoptr (DsFeatureMatrix) with = NULL;
	g_autoptr (DsFeatureMatrix) without = NULL;
	DsStore *store = ibm_store (dir);

	add_dunning_history (store);
	known_load (&full, store);
	known_load (&cut, truncated_copy (store, dir, as_of));
	with = ds_scorer_features_open_items (full.ledger, full.dunning,
					      as_of);
	without = ds_scorer_features_open_items (cut.ledger, cut.dunning,
						 as_of);

	ck_assert_int_gt (with->rows, 10);
	ck_assert_int_eq (with->rows, without->rows);
	for (guint row = 0; row < with->rows; row++) {
		const DsHistoryInvoice *a = g_ptr_array_index (with->invoices,
							       row);
		const DsHistoryInvoice *b = g_ptr_array_index (
			without->invoices, row);

		ck_assert_str_eq (a->invoice_id, b->invoice_id);
		assert_same_rows (with, row, without, row, a->invoice_id);
		tally_dunning (&tally, with, row);
	}
	ck_assert_int_gt (tally.invoice_actions, 0);
	ck_assert_int_gt (tally.customer_actions, 0);
	ck_assert_int_gt (tally.outcomes, 0);
	ck_assert_int_gt (tally.kept + tally.broken, 0);
	known_clear (&cut);
	known_clear (&full);
	ds_test_rmtree (dir);
}
END_TEST

/* ---- the dunning columns, value by value ------------------------------ */

/*
 * The small store's invoice I1 (paid 40.00 on 2024-02-20, 60.00 on
 * 2024-03-10), dunned: a letter dated 2024-03-05, also about a second
 * invoice I2 (one letter to the customer all the same), that came back on
 * 2024-03-09, an e-mail dated 2024-03-12 delivered that day after a
 * soft bounce journaled the day before its date (a clock that
 * disagrees: known with the document, not before); a promise
 * for I1 made 2024-03-06 to pay by 2024-03-08 (kept within the grace),
 * and one for the account, its day not recorded, to pay by 2024-02-10
 * (broken).
 */
static void
add_small_dunning (DsStore *store)
{
	ck_assert (ds_store_exec (store,
		"INSERT INTO documents (trace_id, idempotency_key,"
		" customer_id, entity_id, strategy, step, step_index, channel,"
		" as_of, state, language, currency, total, created_at) VALUES"
		" ('T1', 'K1', 'C', 'E', 'default', 'reminder', 0, 'letter',"
		"  '2024-03-05', 'dispatched', 'de', 'EUR', 6000, 'x'),"
		" ('T2', 'K2', 'C', 'E', 'default', 'notice', 1, 'email',"
		"  '2024-03-12', 'dispatched', 'de', 'EUR', 6000, 'x'),"
		/* a dispute notice: no dunning action, in no column */
		" ('T3', 'K3', 'C', 'E', 'event', 'dispute-notice', -1,"
		"  'email', '2024-03-07', 'dispatched', 'de', 'EUR', 0, 'x');"
		"INSERT INTO invoices (invoice_id, customer_id, issue_date,"
		" due_date, currency, amount) VALUES ('I2', 'C',"
		" '2024-02-15', '2024-03-15', 'EUR', 5000);"
		"INSERT INTO document_items (trace_id, invoice_id,"
		" open_amount, days_overdue) VALUES ('T1', 'I1', 6000, 4),"
		" ('T1', 'I2', 5000, 0), ('T2', 'I1', 6000, 11),"
		" ('T3', 'I1', 6000, 6);"
		"INSERT INTO journal (at, actor, object_kind, object_id,"
		" trace_id, event, new_state, prev_hash, hash) VALUES"
		" ('2024-03-05T10:00:00Z', 't', 'attempt', '1', 'T1',"
		"  'handed-off', 'handed-off', '', ''),"
		" ('2024-03-09T08:00:00Z', 't', 'attempt', '1', 'T1',"
		"  'returned', 'returned', '', ''),"
		" ('2024-03-11T09:00:00Z', 't', 'attempt', '2', 'T2',"
		"  'bounced-soft', 'bounced-soft', '', ''),"
		" ('2024-03-12T09:00:00Z', 't', 'attempt', '2', 'T2',"
		"  'delivered', 'delivered', '', ''),"
		" ('2024-03-07T09:00:00Z', 't', 'attempt', '3', 'T3',"
		"  'delivered', 'delivered', '', '');"
		"INSERT INTO promises (promise_id, customer_id, promised_date,"
		" amount, invoice_id, made_on) VALUES"
		" ('PR1', 'C', '2024-03-08', 6000, 'I1', '2024-03-06'),"
		" ('PR2', 'C', '2024-02-10', 10000, NULL, NULL);", NULL));
}

static const struct {
	const char *as_of;
	float email, letter, days, outcome, kept, broken;
} dunning_cases[] = {
	{ "2024-02-15", 0, 0, NAN, NAN, 0, 0 },
	{ "2024-02-16", 0, 0, NAN, NAN, 0, 1 },	/* PR2's grace over */
	{ "2024-03-05", 0, 0, NAN, NAN, 0, 1 },	/* T1 that very day */
	{ "2024-03-06", 0, 1, 1, 0, 0, 1 },	/* sent, no outcome */
	{ "2024-03-09", 0, 1, 4, 0, 0, 1 },	/* returned that day */
	{ "2024-03-10", 0, 1, 5, 3, 0, 1 },	/* returned */
	{ "2024-03-12", 0, 1, 7, 3, 0, 1 },	/* T2's bounce not yet */
	{ "2024-03-13", 1, 1, 1, 1, 0, 1 },	/* T2 delivered */
	{ "2024-03-14", 1, 1, 2, 1, 1, 1 },	/* PR1 paid in its grace */
};

static void
assert_value (const float *row, const char *name, float expected,
	      const char *as_of)
{
	float value = row[column (name)];

	ck_assert_msg (isnan (expected) ? isnan (value) : value == expected,
		       "%s: %s is %g, not %g", as_of, name, value, expected);
}

START_TEST (test_dunning_columns)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = small_store (dir);
	g_autoptr (DsLedgerHistory) ledger = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsFeatureMatrix) matrix = NULL;
	const char *as_of = dunning_cases[_i].as_of;
	const float *row;

	add_small_dunning (store);
	ledger = ds_ledger_history_load (store, END_OF_TIME, NULL);
	dunning = ds_dunning_history_load (store, END_OF_TIME, NULL);
	ck_assert (ledger != NULL && dunning != NULL);
	matrix = ds_feature_matrix_new (dunning);
	ds_scorer_features_add (matrix, ds_ledger_history_find (ledger, "I1"),
				date (as_of));
	row = ds_feature_matrix_row (matrix, 0);

	assert_value (row, "dunning_email", dunning_cases[_i].email, as_of);
	assert_value (row, "dunning_letter", dunning_cases[_i].letter, as_of);
	assert_value (row, "dunning_registered", 0, as_of);
	assert_value (row, "dunning_fax", 0, as_of);
	assert_value (row, "days_since_last_action", dunning_cases[_i].days,
		      as_of);
	assert_value (row, "last_delivery_outcome",
		      dunning_cases[_i].outcome, as_of);
	/* The customer has no other invoice: the same from its side. */
	assert_value (row, "customer_dunning_email", dunning_cases[_i].email,
		      as_of);
	assert_value (row, "customer_dunning_letter",
		      dunning_cases[_i].letter, as_of);
	assert_value (row, "customer_days_since_last_action",
		      dunning_cases[_i].days, as_of);
	assert_value (row, "customer_last_delivery_outcome",
		      dunning_cases[_i].outcome, as_of);
	assert_value (row, "promises_kept", dunning_cases[_i].kept, as_of);
	assert_value (row, "promises_broken", dunning_cases[_i].broken,
		      as_of);
	ds_test_rmtree (dir);
}
END_TEST

/* Loaded for a day, the dunning history holds nothing later. */
START_TEST (test_dunning_load_bounded)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = small_store (dir);
	g_autoptr (DsDunningHistory) dunning = NULL;
	DsDunningSummary summary;

	add_small_dunning (store);
	dunning = ds_dunning_history_load (store, date ("2024-03-08"), NULL);
	ck_assert (dunning != NULL);
	/* Asked about a later day, it says only what it had read: the
	 * letter, not its return on 03-09, not the e-mail of 03-12. */
	ds_dunning_invoice_summary (dunning, "I1", date ("2024-03-14"),
				    &summary);
	ck_assert_int_eq (summary.actions[DS_DUNNING_LETTER], 1);
	ck_assert_int_eq (summary.actions[DS_DUNNING_EMAIL], 0);
	ck_assert (summary.days_since_last_action == 9);
	ck_assert (summary.last_outcome == DS_DUNNING_OUTCOME_UNKNOWN);
	ds_dunning_customer_summary (dunning, "NOBODY", date ("2024-03-14"),
				     &summary);
	ck_assert_int_eq (summary.actions[DS_DUNNING_LETTER], 0);
	ck_assert (isnan (summary.days_since_last_action));
	ck_assert (isnan (summary.last_outcome));
	ds_test_rmtree (dir);
}
END_TEST

/* ---- models ----------------------------------------------------------- */

/* A quick scorer: trained on 2012 only, few rounds. */
static DsScorer *
small_scorer (DsStore *store, DsLedgerHistory **history_out)
{
	g_autoptr (GError) error = NULL;
	DsLedgerHistory *history = ds_ledger_history_load (store, END_OF_TIME,
							   NULL);
	g_autoptr (DsTrainingSet) set = ds_training_set_new (
		date ("2013-01-01"), NULL);
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	DsScorerParams params;
	DsScorer *scorer;

	for (guint i = 0; i < invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);

		if (invoice->issue_date < set->cutoff)
			ds_training_set_add (set, invoice);
	}
	ds_scorer_params_init (&params);
	params.late_rounds = params.delay_rounds = 30;
	params.threads = 2;
	scorer = ds_scorer_train (set, &params, &error);
	ck_assert_msg (scorer != NULL, "%s", error ? error->message : "");
	*history_out = history;
	return scorer;
}

START_TEST (test_scorer_round_trip)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "scorer.json", NULL);
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsScorer) trained = small_scorer (store, &history);
	g_autoptr (DsScorer) loaded = NULL;
	g_autoptr (DsFeatureMatrix) matrix = ds_scorer_features_open_items (
		history, NULL, date ("2013-03-01"));
	g_autoptr (GError) error = NULL;
	gsize cells = (gsize) matrix->rows * (matrix->columns + 1);
	g_autofree double *late = g_new (double, matrix->rows);
	g_autofree double *days = g_new (double, matrix->rows);
	g_autofree double *late_again = g_new (double, matrix->rows);
	g_autofree double *days_again = g_new (double, matrix->rows);
	g_autofree double *parts = g_new (double, cells);
	g_autofree double *parts_again = g_new (double, cells);
	g_autoptr (GDir) listing = NULL;

	ck_assert (ds_scorer_predict (trained, matrix, late, days, NULL));
	ck_assert (ds_scorer_contributions (trained, matrix, parts, NULL,
					    NULL));
	/* Saved twice: the second replaces the first whole. */
	ck_assert (ds_scorer_save (trained, path, &error));
	ck_assert (ds_scorer_save (trained, path, &error));
	loaded = ds_scorer_load (path, 1, &error);
	ck_assert_msg (loaded != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq (ds_scorer_trained_until (loaded),
			  date ("2013-01-01"));
	ck_assert (ds_scorer_predict (loaded, matrix, late_again, days_again,
				      NULL));
	ck_assert (ds_scorer_contributions (loaded, matrix, parts_again, NULL,
					    NULL));
	ck_assert (memcmp (late, late_again, matrix->rows * sizeof *late) ==
		   0);
	ck_assert (memcmp (days, days_again, matrix->rows * sizeof *days) ==
		   0);
	ck_assert (memcmp (parts, parts_again, cells * sizeof *parts) == 0);

	/* No temporary file left beside the model. */
	listing = g_dir_open (dir, 0, NULL);
	for (const char *name; (name = g_dir_read_name (listing)) != NULL;)
		ck_assert_msg (!g_str_has_prefix (name, "scorer.json.") &&
			       !g_str_has_prefix (name, ".scorer"),
			       "left behind: %s", name);
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_scorer_load_missing)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "none.json", NULL);
	g_autoptr (GError) error = NULL;

	ck_assert (ds_scorer_load (path, 1, &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	ds_test_rmtree (dir);
}
END_TEST

/* Rewrite one string member of the model file, at a JSON path. */
static void
tamper (const char *path, const char *model, const char *member,
	const char *value)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (JsonGenerator) generator = json_generator_new ();
	JsonObject *object;

	ck_assert (json_parser_load_from_file (parser, path, NULL));
	object = json_node_get_object (json_parser_get_root (parser));
	if (model != NULL) {
		/* libxgboost keeps attributes at learner.attributes. */
		object = json_object_get_object_member (
			json_object_get_object_member (
				json_object_get_object_member (object, model),
				"learner"), "attributes");
	}
	json_object_set_string_member (object, member, value);
	json_generator_set_root (generator, json_parser_get_root (parser));
	ck_assert (json_generator_to_file (generator, path, NULL));
}

static const struct {
	const char *model;	/* NULL: the file's own schema */
	const char *member;
	const char *value;
} tampered[] = {
	{ NULL, "schema", "dunspool-features/0:amount" },
	{ "late", "dunspool_schema", "dunspool-features/0:amount" },
	{ "delay", "dunspool_schema", "dunspool-features/1:amount" },
};

START_TEST (test_scorer_refuses_other_schema_on_load)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "scorer.json", NULL);
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsScorer) trained = small_scorer (store, &history);
	g_autoptr (GError) error = NULL;

	ck_assert (ds_scorer_save (trained, path, NULL));
	tamper (path, tampered[_i].model, tampered[_i].member,
		tampered[_i].value);
	ck_assert (ds_scorer_load (path, 1, &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert_msg (strstr (error->message, "retrain") != NULL, "%s",
		       error->message);
	ds_test_rmtree (dir);
}
END_TEST

/* libxgboost would take a short row; the scorer must not. */
START_TEST (test_scorer_refuses_other_schema_per_batch)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsScorer) scorer = small_scorer (store, &history);
	g_autoptr (DsFeatureMatrix) matrix = ds_scorer_features_open_items (
		history, NULL, date ("2013-03-01"));
	g_autofree double *late = g_new (double, matrix->rows);
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) again = NULL;

	ck_assert (ds_scorer_predict (scorer, matrix, late, NULL, NULL));

	/* The same values read as one column fewer. */
	matrix->columns--;
	matrix->rows = matrix->values->len / matrix->columns;
	ck_assert (!ds_scorer_predict (scorer, matrix, late, NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	matrix->columns++;
	matrix->rows = matrix->values->len / matrix->columns;

	/* The right width under another schema's name. */
	g_free (matrix->schema);
	matrix->schema = g_strdup ("dunspool-features/0:amount");
	ck_assert (!ds_scorer_contributions (scorer, matrix, NULL, NULL,
					     &again));
	ck_assert (g_error_matches (again, DS_ERROR, DS_ERROR_PERMANENT));
	ds_test_rmtree (dir);
}
END_TEST

/* ---- scores and explanations ------------------------------------------ */

START_TEST (test_score_open_items_and_explain)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "scorer.json", NULL);
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsScoreReport) report = NULL;
	g_autoptr (DsScoreReport) explained = NULL;
	g_autoptr (DsScorer) saved = NULL;
	g_autoptr (GError) error = NULL;
	DsScoreOptions options = { path, date ("2013-09-02"), 2, NULL, TRUE };
	const DsScore *first, *score;
	double margin;

	/* No model yet: trained on the ledger before the day, and saved. */
	ck_assert_msg (ds_score_run (store, &options, &report, &error), "%s",
		       error ? error->message : "");
	saved = ds_scorer_load (path, 1, NULL);
	ck_assert (saved != NULL);
	ck_assert_int_eq (ds_scorer_trained_until (saved),
			  date ("2013-09-02"));
	ck_assert_int_gt (report->scores->len, 10);
	for (guint i = 0; i < report->scores->len; i++) {
		score = g_ptr_array_index (report->scores, i);
		ck_assert (score->late_probability >= 0 &&
			   score->late_probability <= 1);
		ck_assert_int_ge (score->expected_payment, options.as_of);
		ck_assert_int_eq (score->reasons->len, 3);
		ck_assert_int_gt (score->open, 0);
	}
	first = g_ptr_array_index (report->scores, 0);

	/* The explanation adds up to the score. */
	options.explain = first->invoice_id;
	ck_assert (ds_score_run (store, &options, &explained, &error));
	score = g_ptr_array_index (explained->scores, 0);
	ck_assert_str_eq (score->invoice_id, first->invoice_id);
	ck_assert_int_eq (score->reasons->len, ds_scorer_features_count ());
	margin = score->late_base;
	for (guint i = 0; i < score->reasons->len; i++)
		margin += g_array_index (score->reasons, DsScoreReason,
					 i).late;
	ck_assert_double_eq_tol (1 / (1 + exp (-margin)),
				 score->late_probability, 1e-4);

	options.explain = "NO-SUCH-INVOICE";
	ck_assert (!ds_score_run (store, &options, &explained, &error) &&
		   g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));

	/* An earlier day: the saved model knows later payments, so the
	 * scores come from one of what was known then; the file stays. */
	g_clear_pointer (&report, ds_score_report_free);
	g_clear_error (&error);
	options.explain = NULL;
	options.as_of = date ("2013-03-01");
	ck_assert (ds_score_run (store, &options, &report, &error));
	ck_assert_int_eq (report->trained_until, date ("2013-03-01"));
	g_clear_pointer (&saved, ds_scorer_free);
	saved = ds_scorer_load (path, 1, NULL);
	ck_assert_int_eq (ds_scorer_trained_until (saved),
			  date ("2013-09-02"));
	ds_test_rmtree (dir);
}
END_TEST

/* ---- the backtest ----------------------------------------------------- */

START_TEST (test_evaluate_meets_targets)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsEvaluation) evaluation = NULL;
	g_autoptr (DsEvaluation) again = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (JsonNode) json = NULL;
	g_autoptr (JsonNode) json_again = NULL;
	g_autofree char *text = NULL;
	g_autofree char *text_again = NULL;
	DsEvaluateOptions options = { DS_DATE_NONE, 1 };

	ck_assert_msg (ds_evaluate_run (store, &options, &evaluation, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (evaluation->split, date ("2013-07-01"));
	ck_assert_int_gt (evaluation->train_invoices, 1500);
	ck_assert_int_gt (evaluation->test_invoices, 500);
	ck_assert_double_ge (evaluation->model.auc, DS_EVALUATE_TARGET_AUC);
	ck_assert_double_le (evaluation->model.mae_days,
			     DS_EVALUATE_TARGET_MAE_DAYS);
	ck_assert_double_gt (evaluation->model.auc,
			     evaluation->customer_late_ratio.auc);
	ck_assert_double_lt (evaluation->model.mae_days,
			     evaluation->customer_mean_delay.mae_days);
	ck_assert_double_lt (evaluation->model.mae_days,
			     evaluation->due_date.mae_days);
	ck_assert_double_gt (evaluation->capture_model,
			     evaluation->capture_oldest_first);
	ck_assert (evaluation->targets_met);

	/* The same figures, to the last digit, on a second run. */
	ck_assert (ds_evaluate_run (store, &options, &again, NULL));
	json = ds_evaluation_to_json (evaluation);
	json_again = ds_evaluation_to_json (again);
	text = json_to_string (json, FALSE);
	text_again = json_to_string (json_again, FALSE);
	ck_assert_str_eq (text, text_again);
	ck_assert (strstr (text, "\"capture_top20\":{\"model\":") != NULL);
	ds_test_rmtree (dir);
}
END_TEST

static Suite *
scorer_suite (void)
{
	Suite *suite = suite_create ("scorer");
	TCase *history = tcase_create ("history");
	TCase *leakage = tcase_create ("leakage");
	TCase *model = tcase_create ("model");
	TCase *evaluate = tcase_create ("evaluate");

	tcase_add_loop_test (history, test_history_as_of, 0,
			     G_N_ELEMENTS (small_cases));
	tcase_add_test (history, test_history_load_bounded);
	tcase_add_loop_test (history, test_dunning_columns, 0,
			     G_N_ELEMENTS (dunning_cases));
	tcase_add_test (history, test_dunning_load_bounded);
	suite_add_tcase (suite, history);

	tcase_set_timeout (leakage, 120);
	tcase_add_test (leakage, test_features_no_leakage_at_issue);
	tcase_add_loop_test (leakage, test_features_no_leakage_open_items, 0,
			     G_N_ELEMENTS (open_days));
	suite_add_tcase (suite, leakage);

	tcase_set_timeout (model, 120);
	tcase_add_test (model, test_scorer_round_trip);
	tcase_add_test (model, test_scorer_load_missing);
	tcase_add_loop_test (model, test_scorer_refuses_other_schema_on_load,
			     0, G_N_ELEMENTS (tampered));
	tcase_add_test (model, test_scorer_refuses_other_schema_per_batch);
	tcase_add_test (model, test_score_open_items_and_explain);
	suite_add_tcase (suite, model);

	tcase_set_timeout (evaluate, 300);
	tcase_add_test (evaluate, test_evaluate_meets_targets);
	suite_add_tcase (suite, evaluate);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (scorer_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
