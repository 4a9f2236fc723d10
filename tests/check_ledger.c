/*
 * check_ledger.c -- ledger records go in and come back as they were put;
 * writes say inserted, updated or unchanged; open items are what was
 * known on the date asked about.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"
#include "ledger.h"
#include "testutil.h"

typedef struct {
	char *dir;
	DsStore *store;
} Fixture;

static DsDate
day (const char *iso)
{
	DsDate date = DS_DATE_NONE;

	ck_assert_msg (ds_date_parse_iso (iso, &date, NULL), "%s", iso);
	return date;
}

static void
put_ok (gboolean ok, const GError *error)
{
	ck_assert_msg (ok, "%s", error ? error->message : "");
}

/* A store with entity DE01 and customers C1 (EUR) and C2 (EUR). */
static Fixture
fixture_new (void)
{
	Fixture fixture;
	g_autofree char *path = NULL;
	g_autoptr (GError) error = NULL;
	DsEntity entity = {
		.entity_id = "DE01", .name = "Nordlicht GmbH",
		.street = "Beispielweg 7", .postal_code = "50667",
		.city = "Köln", .country = "DE",
	};
	DsCustomer customer = {
		.customer_id = "C1", .name = "Müller KG", .country = "DE",
		.language = "de", .currency = "EUR", .entity_id = "DE01",
		.b2b = TRUE,
	};

	fixture.dir = ds_test_tmpdir ();
	path = g_build_filename (fixture.dir, "db.sqlite", NULL);
	fixture.store = ds_store_open (path, &error);
	ck_assert_msg (fixture.store != NULL, "%s", error->message);
	put_ok (ds_ledger_put_entity (fixture.store, &entity, NULL, &error),
		error);
	put_ok (ds_ledger_put_customer (fixture.store, &customer, NULL,
					&error), error);
	customer.customer_id = "C2";
	put_ok (ds_ledger_put_customer (fixture.store, &customer, NULL,
					&error), error);
	return fixture;
}

static void
fixture_free (Fixture *fixture)
{
	ds_store_close (fixture->store);
	ds_test_rmtree (fixture->dir);
	g_free (fixture->dir);
}

static void
put_invoice (DsStore *store, const char *id, const char *customer,
	     const char *issued, const char *due, gint64 amount)
{
	g_autoptr (GError) error = NULL;
	DsInvoice invoice = {
		.invoice_id = (char *) id, .customer_id = (char *) customer,
		.issue_date = day (issued), .due_date = day (due),
		.currency = "EUR", .amount = amount,
	};

	put_ok (ds_ledger_put_invoice (store, &invoice, NULL, &error), error);
}

static void
put_payment (DsStore *store, const char *id, const char *date,
	     gint64 amount, const char *invoice)
{
	g_autoptr (GError) error = NULL;

	put_ok (ds_ledger_put_payment (store, id, "C1", day (date), "EUR",
				       amount, invoice, NULL, &error), error);
}

static GPtrArray *
open_items (DsStore *store, const char *as_of)
{
	g_autoptr (GError) error = NULL;
	GPtrArray *items = ds_ledger_open_items (store, day (as_of), &error);

	ck_assert_msg (items != NULL, "%s", error ? error->message : "");
	return items;
}

static const DsOpenItem *
find_item (GPtrArray *items, const char *invoice_id)
{
	for (guint i = 0; i < items->len; i++) {
		const DsOpenItem *item = items->pdata[i];

		if (strcmp (item->invoice.invoice_id, invoice_id) == 0)
			return item;
	}
	return NULL;
}

START_TEST (test_ledger_entity_round_trip)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsEntity) read = NULL;
	DsLedgerOutcome outcome;
	DsEntity entity = {
		.entity_id = "FR01", .name = "Nordlicht SAS",
		.street = "12 rue de l'Exemple", .postal_code = "75002",
		.city = "Paris", .country = "FR",
		.iban = "FR1420041010050500013M02606", .bic = "PSSTFRPPPAR",
		.vat_id = "FR00000000000", .email = "r@example.fr",
		.phone = "+33 1 99", .jurisdiction = "FR",
		.letter_profile = "nfz11001",
	};

	put_ok (ds_ledger_put_entity (fixture.store, &entity, &outcome,
				      &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_INSERTED);
	read = ds_ledger_get_entity (fixture.store, "FR01", &error);
	ck_assert_msg (read != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (read->name, "Nordlicht SAS");
	ck_assert_str_eq (read->street, "12 rue de l'Exemple");
	ck_assert_str_eq (read->iban, "FR1420041010050500013M02606");
	ck_assert_str_eq (read->jurisdiction, "FR");
	ck_assert_str_eq (read->letter_profile, "nfz11001");
	ck_assert (ds_ledger_entity_exists (fixture.store, "FR01"));
	ck_assert (!ds_ledger_entity_exists (fixture.store, "XX01"));

	put_ok (ds_ledger_put_entity (fixture.store, &entity, &outcome,
				      &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_UNCHANGED);
	entity.iban = NULL;
	put_ok (ds_ledger_put_entity (fixture.store, &entity, &outcome,
				      &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_UPDATED);
	g_clear_pointer (&read, ds_entity_free);
	read = ds_ledger_get_entity (fixture.store, "FR01", &error);
	ck_assert_ptr_null (read->iban);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_customer_round_trip)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsCustomer) read = NULL;
	DsLedgerOutcome outcome;
	DsCustomer customer = {
		.customer_id = "C9", .name = "Groß-Öztürk AG",
		.contact = "Jürgen", .street = "Łódzka 5",
		.postal_code = "10115", .city = "Berlin", .country = "DE",
		.language = "de", .currency = "EUR", .entity_id = "DE01",
		.email = "ap@example.com", .fax = "+49 30 1", .phone = "+49",
		.b2b = FALSE, .tags = "key,slow", .collector = "anna",
		.paperless_since = day ("2013-04-06"),
	};

	put_ok (ds_ledger_put_customer (fixture.store, &customer, &outcome,
					&error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_INSERTED);
	read = ds_ledger_get_customer (fixture.store, "C9", &error);
	ck_assert_msg (read != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (read->name, "Groß-Öztürk AG");
	ck_assert_str_eq (read->street, "Łódzka 5");
	ck_assert_str_eq (read->entity_id, "DE01");
	ck_assert_str_eq (read->tags, "key,slow");
	ck_assert (!read->b2b);
	ck_assert_uint_eq (read->paperless_since, day ("2013-04-06"));
	ck_assert (ds_ledger_customer_exists (fixture.store, "C9"));
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_get_missing_is_not_found)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;

	ck_assert_ptr_null (ds_ledger_get_customer (fixture.store, "nobody",
						    &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	g_clear_error (&error);
	ck_assert_ptr_null (ds_ledger_get_invoice (fixture.store, "none",
						   &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	g_clear_error (&error);
	ck_assert_ptr_null (ds_ledger_get_entity (fixture.store, "none",
						  &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_invoice_round_trip)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInvoice) read = NULL;
	DsLedgerOutcome outcome;
	DsInvoice invoice = {
		.invoice_id = "I1", .customer_id = "C1",
		.issue_date = day ("2024-01-02"),
		.due_date = day ("2024-02-01"), .currency = "EUR",
		.amount = 135590, .tax_amount = 21649, .reference = "PO 7",
		.billing = DS_BILLING_ELECTRONIC,
	};

	put_ok (ds_ledger_put_invoice (fixture.store, &invoice, &outcome,
				       &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_INSERTED);
	read = ds_ledger_get_invoice (fixture.store, "I1", &error);
	ck_assert_msg (read != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (read->customer_id, "C1");
	ck_assert_uint_eq (read->issue_date, day ("2024-01-02"));
	ck_assert_uint_eq (read->due_date, day ("2024-02-01"));
	ck_assert_str_eq (read->currency, "EUR");
	ck_assert_int_eq (read->amount, 135590);
	ck_assert_int_eq (read->tax_amount, 21649);
	ck_assert_str_eq (read->reference, "PO 7");
	ck_assert_int_eq (read->billing, DS_BILLING_ELECTRONIC);
	fixture_free (&fixture);
}
END_TEST

/* Case 6, the ledger's part: correcting an invoice keeps its dispute. */
START_TEST (test_ledger_invoice_update_keeps_dispute)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) items = NULL;
	g_autoptr (GPtrArray) disputes = NULL;
	DsLedgerOutcome outcome;
	DsInvoice invoice = {
		.invoice_id = "I1", .customer_id = "C1",
		.issue_date = day ("2024-01-02"),
		.due_date = day ("2024-02-01"), .currency = "EUR",
		.amount = 100000,
	};

	put_ok (ds_ledger_put_invoice (fixture.store, &invoice, NULL, &error),
		error);
	put_ok (ds_ledger_put_dispute (fixture.store, "I1", day ("2024-02-05"),
				       DS_DATE_NONE, "wrong quantity", NULL,
				       &error), error);
	invoice.amount = 90000;
	put_ok (ds_ledger_put_invoice (fixture.store, &invoice, &outcome,
				       &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_UPDATED);

	disputes = ds_ledger_disputes (fixture.store, "I1", &error);
	ck_assert_uint_eq (disputes->len, 1);
	ck_assert_str_eq (((DsDispute *) disputes->pdata[0])->reason,
			  "wrong quantity");
	items = open_items (fixture.store, "2024-03-01");
	ck_assert_uint_eq (items->len, 1);
	ck_assert_int_eq (find_item (items, "I1")->open, 90000);
	ck_assert (find_item (items, "I1")->disputed);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_other_records_round_trip)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) instalments = NULL;
	g_autoptr (GPtrArray) payments = NULL;
	g_autoptr (GPtrArray) notes = NULL;
	g_autoptr (GPtrArray) promises = NULL;
	DsLedgerOutcome outcome;
	DsInstalment instalment = { "I1", 2, day ("2024-02-29"), 50000 };
	DsCreditNote note = { "CN1", "C1", day ("2024-01-20"), "EUR", 20000,
			      NULL, DS_CREDIT_NOTE_CANCELLED };
	DsPromise promise = { "P1", "C1", day ("2024-05-10"), 30000, "I1",
			      day ("2024-04-01") };
	const DsCreditNote *read_note;
	const DsPromise *read_promise;

	put_invoice (fixture.store, "I1", "C1", "2024-01-01", "2024-01-31",
		     100000);
	put_ok (ds_ledger_put_instalment (fixture.store, &instalment,
					  &outcome, &error), error);
	ck_assert_int_eq (outcome, DS_LEDGER_INSERTED);
	instalment.number = 1;
	instalment.due_date = day ("2024-01-31");
	put_ok (ds_ledger_put_instalment (fixture.store, &instalment, NULL,
					  &error), error);
	put_ok (ds_ledger_put_credit_note (fixture.store, &note, NULL,
					   &error), error);
	put_ok (ds_ledger_put_promise (fixture.store, &promise, NULL, &error),
		error);
	put_payment (fixture.store, "PAY1", "2024-01-15", 1000, NULL);

	instalments = ds_ledger_instalments (fixture.store, "I1", &error);
	ck_assert_uint_eq (instalments->len, 2);
	ck_assert_int_eq (((DsInstalment *) instalments->pdata[0])->number, 1);
	ck_assert_uint_eq (((DsInstalment *) instalments->pdata[1])->due_date,
			   day ("2024-02-29"));
	payments = ds_ledger_payments (fixture.store, "C1",
				       day ("2024-12-31"), &error);
	ck_assert_uint_eq (payments->len, 1);
	ck_assert_ptr_null (((DsPayment *) payments->pdata[0])->invoice_id);
	notes = ds_ledger_credit_notes (fixture.store, "C1",
					day ("2024-12-31"), &error);
	ck_assert_uint_eq (notes->len, 1);
	read_note = notes->pdata[0];
	ck_assert_int_eq (read_note->status, DS_CREDIT_NOTE_CANCELLED);
	ck_assert_int_eq (read_note->amount, 20000);
	promises = ds_ledger_promises (fixture.store, "C1",
				       day ("2024-04-01"), &error);
	ck_assert_uint_eq (promises->len, 1);
	read_promise = promises->pdata[0];
	ck_assert_uint_eq (read_promise->promised_date, day ("2024-05-10"));
	ck_assert_str_eq (read_promise->invoice_id, "I1");
	g_clear_pointer (&promises, g_ptr_array_unref);
	promises = ds_ledger_promises (fixture.store, "C1",
				       day ("2024-03-31"), &error);
	ck_assert_uint_eq (promises->len, 0);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_open_items_not_yet_issued)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GPtrArray) before = NULL;
	g_autoptr (GPtrArray) on = NULL;

	put_invoice (fixture.store, "I1", "C1", "2024-02-01", "2024-03-02",
		     5000);
	before = open_items (fixture.store, "2024-01-31");
	on = open_items (fixture.store, "2024-02-01");
	ck_assert_uint_eq (before->len, 0);
	ck_assert_uint_eq (on->len, 1);
	ck_assert_int_eq (ds_ledger_count_invoices (fixture.store,
						    day ("2024-01-31")), 0);
	ck_assert_int_eq (ds_ledger_count_invoices (fixture.store,
						    day ("2024-02-01")), 1);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_open_items_payment_after_as_of)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GPtrArray) before = NULL;
	g_autoptr (GPtrArray) on = NULL;

	put_invoice (fixture.store, "I1", "C1", "2024-02-01", "2024-03-02",
		     5000);
	put_payment (fixture.store, "PAY1", "2024-03-10", 5000, "I1");
	before = open_items (fixture.store, "2024-03-09");
	on = open_items (fixture.store, "2024-03-10");
	ck_assert_uint_eq (before->len, 1);
	ck_assert_int_eq (find_item (before, "I1")->paid, 0);
	ck_assert_int_eq (find_item (before, "I1")->open, 5000);
	ck_assert_uint_eq (on->len, 0);
	ck_assert_int_eq (ds_ledger_count_payments (fixture.store,
						    day ("2024-03-09")), 0);
	ck_assert_int_eq (ds_ledger_count_payments (fixture.store,
						    day ("2024-03-10")), 1);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_open_items_partial_payments)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) items = NULL;
	DsCreditNote open_note = { "CN1", "C1", day ("2024-02-15"), "EUR",
				   10000, "I1", DS_CREDIT_NOTE_OPEN };
	DsCreditNote cancelled = { "CN2", "C1", day ("2024-02-15"), "EUR",
				   20000, "I1", DS_CREDIT_NOTE_CANCELLED };
	const DsOpenItem *item;

	put_invoice (fixture.store, "I1", "C1", "2024-01-01", "2024-01-31",
		     100000);
	put_payment (fixture.store, "PAY1", "2024-02-01", 30000, "I1");
	put_payment (fixture.store, "PAY2", "2024-02-10", 20000, "I1");
	put_payment (fixture.store, "PAY3", "2024-02-10", 7700, NULL);
	put_ok (ds_ledger_put_credit_note (fixture.store, &open_note, NULL,
					   &error), error);
	put_ok (ds_ledger_put_credit_note (fixture.store, &cancelled, NULL,
					   &error), error);

	items = open_items (fixture.store, "2024-02-10");
	item = find_item (items, "I1");
	ck_assert_int_eq (item->paid, 50000);
	ck_assert_int_eq (item->open, 50000);
	g_clear_pointer (&items, g_ptr_array_unref);
	items = open_items (fixture.store, "2024-02-15");
	item = find_item (items, "I1");
	ck_assert_int_eq (item->paid, 60000);
	ck_assert_int_eq (item->open, 40000);
	fixture_free (&fixture);
}
END_TEST

static const struct {
	const char *as_of;
	gboolean open_dispute;		/* I1: 2024-02-10 to 02-20 */
	gboolean unresolved_dispute;	/* I2: from 2024-02-12 */
} dispute_days[] = {
	{ "2024-02-09", FALSE, FALSE },
	{ "2024-02-10", TRUE, FALSE },
	{ "2024-02-12", TRUE, TRUE },
	{ "2024-02-19", TRUE, TRUE },
	{ "2024-02-20", FALSE, TRUE },
	{ "2025-01-01", FALSE, TRUE },
};

START_TEST (test_ledger_open_items_disputes)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) items = NULL;

	put_invoice (fixture.store, "I1", "C1", "2024-01-01", "2024-01-31",
		     1000);
	put_invoice (fixture.store, "I2", "C1", "2024-01-01", "2024-01-31",
		     1000);
	put_ok (ds_ledger_put_dispute (fixture.store, "I1", day ("2024-02-10"),
				       day ("2024-02-20"), NULL, NULL,
				       &error), error);
	put_ok (ds_ledger_put_dispute (fixture.store, "I2", day ("2024-02-12"),
				       DS_DATE_NONE, "quality", NULL,
				       &error), error);
	items = open_items (fixture.store, dispute_days[_i].as_of);
	ck_assert_uint_eq (items->len, 2);
	ck_assert_int_eq (find_item (items, "I1")->disputed,
			  dispute_days[_i].open_dispute);
	ck_assert_int_eq (find_item (items, "I2")->disputed,
			  dispute_days[_i].unresolved_dispute);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_open_items_order)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GPtrArray) items = NULL;
	static const char *const expected[] = { "B", "A", "C", "D" };

	put_invoice (fixture.store, "D", "C2", "2024-01-01", "2024-01-10", 1);
	put_invoice (fixture.store, "C", "C1", "2024-01-01", "2024-02-01", 1);
	put_invoice (fixture.store, "A", "C1", "2024-01-01", "2024-01-20", 1);
	put_invoice (fixture.store, "B", "C1", "2024-01-01", "2024-01-20", 0);
	put_invoice (fixture.store, "B", "C1", "2024-01-01", "2024-01-15", 1);
	items = open_items (fixture.store, "2024-03-01");
	ck_assert_uint_eq (items->len, G_N_ELEMENTS (expected));
	for (guint i = 0; i < items->len; i++)
		ck_assert_str_eq (((DsOpenItem *)
				   items->pdata[i])->invoice.invoice_id,
				  expected[i]);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_ledger_import_record_replaces_errors)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsLedgerWriter) writer = ds_ledger_writer_new (
		fixture.store);
	g_autoptr (DsLedgerImport) read = NULL;
	g_autoptr (sqlite3_stmt) count = NULL;
	DsLedgerImport import = {
		.file_sha256 = "abc", .file_name = "invoices.csv",
		.kind = "invoices", .imported_at = "2024-01-01T00:00:00Z",
		.accepted = 9, .rejected = 1,
	};

	put_ok (ds_ledger_put_import (fixture.store, &import, &error), error);
	put_ok (ds_ledger_writer_put_import_error (writer, "abc", 7, "amount",
						   "not a number", &error),
		error);
	import.accepted = 10;
	import.rejected = 0;
	put_ok (ds_ledger_put_import (fixture.store, &import, &error), error);
	read = ds_ledger_get_import (fixture.store, "abc", &error);
	ck_assert_int_eq (read->accepted, 10);
	ck_assert_int_eq (read->rejected, 0);
	ck_assert_ptr_null (read->profile);
	count = ds_store_prepare (fixture.store,
				  "SELECT COUNT (*) FROM import_errors", NULL);
	ck_assert_int_eq (sqlite3_step (count), SQLITE_ROW);
	ck_assert_int_eq (sqlite3_column_int (count, 0), 0);
	fixture_free (&fixture);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("ledger");
	TCase *records = tcase_create ("records");
	TCase *open = tcase_create ("open items");
	SRunner *runner;
	int failed;

	tcase_add_test (records, test_ledger_entity_round_trip);
	tcase_add_test (records, test_ledger_customer_round_trip);
	tcase_add_test (records, test_ledger_get_missing_is_not_found);
	tcase_add_test (records, test_ledger_invoice_round_trip);
	tcase_add_test (records, test_ledger_invoice_update_keeps_dispute);
	tcase_add_test (records, test_ledger_other_records_round_trip);
	tcase_add_test (records, test_ledger_import_record_replaces_errors);
	tcase_add_test (open, test_ledger_open_items_not_yet_issued);
	tcase_add_test (open, test_ledger_open_items_payment_after_as_of);
	tcase_add_test (open, test_ledger_open_items_partial_payments);
	tcase_add_loop_test (open, test_ledger_open_items_disputes, 0,
			     G_N_ELEMENTS (dispute_days));
	tcase_add_test (open, test_ledger_open_items_order);
	suite_add_tcase (suite, records);
	suite_add_tcase (suite, open);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
