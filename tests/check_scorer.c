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
 * except invoices issued on that day (known that day).
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

/* Every 50th invoice, as of its issue date. */
START_TEST (test_features_no_leakage_at_issue)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (DsStore) store = ibm_store (dir);
	g_autoptr (DsLedgerHistory) full = ds_ledger_history_load (
		store, END_OF_TIME, NULL);
	GPtrArray *invoices = ds_ledger_history_invoices (full);
	guint checked = 0;

	for (guint i = 25; i < invoices->len; i += 50) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);
		DsDate as_of = invoice->issue_date;
		g_autoptr (DsStore) cut_store = truncated_copy (store, dir,
								as_of);
		g_autoptr (DsLedgerHistory) cut = ds_ledger_history_load (
			cut_store, END_OF_TIME, NULL);
		g_autoptr (DsFeatureMatrix) with = ds_feature_matrix_new ();
		g_autoptr (DsFeatureMatrix) without =
			ds_feature_matrix_new ();

		ds_scorer_features_add (with, invoice, as_of);
		ds_scorer_features_add (without, ds_ledger_history_find (
			cut, invoice->invoice_id), as_of);
		assert_same_rows (with, 0, without, 0, invoice->invoice_id);
		checked++;
	}
	ck_assert_int_ge (checked, 45);
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
	g_autoptr (DsStore) store = ibm_store (dir);
	DsDate as_of = date (open_days[_i]);
	g_autoptr (DsLedgerHistory) full = ds_ledger_history_load (
		store, END_OF_TIME, NULL);
	g_autoptr (DsStore) cut_store = truncated_copy (store, dir, as_of);
	g_autoptr (DsLedgerHistory) cut = ds_ledger_history_load (
		cut_store, END_OF_TIME, NULL);
	g_autoptr (DsFeatureMatrix) with = ds_scorer_features_open_items (
		full, as_of);
	g_autoptr (DsFeatureMatrix) without = ds_scorer_features_open_items (
		cut, as_of);

	ck_assert_int_gt (with->rows, 10);
	ck_assert_int_eq (with->rows, without->rows);
	for (guint row = 0; row < with->rows; row++) {
		const DsHistoryInvoice *a = g_ptr_array_index (with->invoices,
							       row);
		const DsHistoryInvoice *b = g_ptr_array_index (
			without->invoices, row);

		ck_assert_str_eq (a->invoice_id, b->invoice_id);
		assert_same_rows (with, row, without, row, a->invoice_id);
	}
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
		date ("2013-01-01"));
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
		history, date ("2013-03-01"));
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
		history, date ("2013-03-01"));
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
