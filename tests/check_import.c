/*
 * check_import.c -- ledger files come in whole or not at all, every row
 * accounted for with its physical line, the same bytes twice change
 * nothing, and nothing is guessed (case 17).
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds-error.h"
#include "import.h"
#include "journal.h"
#include "ledger.h"
#include "testutil.h"

#define ENTITIES \
	"entity_id,name,street,postal_code,city,country,iban,bic,vat_id," \
	"email,phone\n" \
	"DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE," \
	"DE89370400440532013000,COBADEFFXXX,DE000000000,f@example.de,+49\n"

#define CUSTOMERS \
	"customer_id,name,contact,street,postal_code,city,country," \
	"language,currency,entity,email,fax,paperless_since\n" \
	"C1,Müller KG,Jürgen,Hauptstr. 1,10115,Berlin,DE,de,EUR,DE01," \
	"ap@example.com,,2013-04-06\n" \
	"C2,Dupont SA,,1 rue Neuve,75002,Paris,FR,fr,EUR,DE01,,,\n"

#define INVOICE_HEADER \
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"

/* An ERP's invoices, for a profile of its own (Bearbeiter: a clerk). */
#define ERP_HEADER "Beleg,Kunde,Datum,Faellig,Betrag,Quelle,Bearbeiter\n"

typedef struct {
	char *dir;
	char *profiles;		/* the bundled profiles */
	DsStore *store;
} Fixture;

static Fixture
fixture_new (void)
{
	Fixture fixture;
	g_autofree char *path = NULL;
	g_autoptr (GError) error = NULL;

	fixture.dir = ds_test_tmpdir ();
	fixture.profiles = ds_test_srcpath ("data/profiles");
	path = g_build_filename (fixture.dir, "db.sqlite", NULL);
	fixture.store = ds_store_open (path, &error);
	ck_assert_msg (fixture.store != NULL, "%s", error->message);
	return fixture;
}

static void
fixture_free (Fixture *fixture)
{
	ds_store_close (fixture->store);
	ds_test_rmtree (fixture->dir);
	g_free (fixture->dir);
	g_free (fixture->profiles);
}

/* Import a file that must be read; its report. */
static DsImportReport *
import_ok (Fixture *fixture, const char *path, const char *profile)
{
	g_autoptr (GError) error = NULL;
	DsImportReport *report = NULL;

	ck_assert_msg (ds_import_file (fixture->store, path,
				       fixture->profiles, profile, &report,
				       &error),
		       "%s: %s", path, error ? error->message : "");
	ck_assert (!report->refused);
	return report;
}

static DsImportReport *
import_text (Fixture *fixture, const char *name, const char *text,
	     const char *profile)
{
	g_autofree char *path = ds_test_write (fixture->dir, name, text);

	return import_ok (fixture, path, profile);
}

/* The entity DE01 and customers C1, C2 (both EUR). */
static void
import_masters (Fixture *fixture)
{
	g_autoptr (DsImportReport) entities = import_text (
		fixture, "entities.csv", ENTITIES, NULL);
	g_autoptr (DsImportReport) customers = import_text (
		fixture, "customers.csv", CUSTOMERS, NULL);

	ck_assert_int_eq (entities->accepted, 1);
	ck_assert_int_eq (customers->accepted, 2);
}

static gint64
count_rows (Fixture *fixture, const char *table)
{
	g_autofree char *sql = g_strdup_printf ("SELECT COUNT (*) FROM %s",
						table);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (fixture->store,
							       sql, NULL);

	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

static DsDate
day (const char *iso)
{
	DsDate date = DS_DATE_NONE;

	ck_assert (ds_date_parse_iso (iso, &date, NULL));
	return date;
}

static DsInvoice *
get_invoice (Fixture *fixture, const char *id)
{
	g_autoptr (GError) error = NULL;
	DsInvoice *invoice = ds_ledger_get_invoice (fixture->store, id,
						    &error);

	ck_assert_msg (invoice != NULL, "%s", error ? error->message : "");
	return invoice;
}

static const DsImportError *
error_at (const DsImportReport *report, int line)
{
	for (guint i = 0; i < report->errors->len; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		if (row_error->line == line)
			return row_error;
	}
	ck_abort_msg ("no error on line %d", line);
	return NULL;
}

/* The bundled ledger. */

START_TEST (test_import_ibm_ar_bundled)
{
	Fixture fixture = fixture_new ();
	g_autofree char *ledger = ds_test_srcpath (
		"data/ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv");
	g_autofree char *customers = ds_test_srcpath (
		"data/ibm-ar/customers.csv");
	g_autofree char *entities = ds_test_srcpath (
		"data/ibm-ar/entities.csv");
	const char *paths[] = { ledger, customers, entities, NULL };
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInvoice) invoice = NULL;
	g_autoptr (GPtrArray) payments = NULL;
	g_autoptr (GPtrArray) disputes = NULL;
	const DsImportReport *report;
	const DsPayment *payment;

	ck_assert_msg (ds_import_files (fixture.store, paths,
					fixture.profiles, NULL, &reports,
					&error),
		       "%s", error ? error->message : "");
	ck_assert_uint_eq (reports->len, 3);
	report = reports->pdata[0];
	ck_assert_str_eq (report->kind, "entities");
	ck_assert_int_eq (report->accepted, 4);
	report = reports->pdata[1];
	ck_assert_str_eq (report->kind, "customers");
	ck_assert_int_eq (report->accepted, 100);
	report = reports->pdata[2];
	ck_assert_str_eq (report->kind, "invoices");
	ck_assert_str_eq (report->profile, "ibm-ar");
	ck_assert_int_eq (report->accepted, 2466);
	ck_assert_int_eq (report->rejected, 0);
	/* countryCode, PaperlessDate, DaysToSettle, DaysLate: ignore= */
	ck_assert_ptr_null (report->unknown_columns[0]);

	ck_assert_int_eq (count_rows (&fixture, "invoices"), 2466);
	ck_assert_int_eq (count_rows (&fixture, "payments"), 2466);
	ck_assert_int_eq (count_rows (&fixture, "disputes"), 561);
	ck_assert_int_eq (count_rows (&fixture, "customers"), 100);
	ck_assert_int_eq (count_rows (&fixture, "entities"), 4);
	ck_assert_int_eq (count_rows (&fixture, "journal"), 3);

	/* 391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,
	 * 1/15/2013,Paper,13,0 */
	invoice = get_invoice (&fixture, "0000611365");
	ck_assert_str_eq (invoice->customer_id, "0379-NEVHP");
	ck_assert_uint_eq (invoice->issue_date, day ("2013-01-02"));
	ck_assert_uint_eq (invoice->due_date, day ("2013-02-01"));
	ck_assert_str_eq (invoice->currency, "EUR");
	ck_assert_int_eq (invoice->amount, 5594);
	ck_assert_int_eq (invoice->billing, DS_BILLING_PAPER);
	payments = ds_ledger_payments (fixture.store, "0379-NEVHP",
				       day ("2013-01-15"), &error);
	ck_assert_uint_ge (payments->len, 1);
	payment = payments->pdata[payments->len - 1];
	ck_assert_str_eq (payment->payment_id, "ibm-0000611365");
	ck_assert_uint_eq (payment->date, day ("2013-01-15"));
	ck_assert_str_eq (payment->invoice_id, "0000611365");
	ck_assert_int_eq (payment->amount, 5594);

	/* 406,8976-AMJEO,...,0007900770,1/26/2013,...,Yes,3/3/2013,... */
	disputes = ds_ledger_disputes (fixture.store, "0007900770", &error);
	ck_assert_uint_eq (disputes->len, 1);
	ck_assert_uint_eq (((DsDispute *) disputes->pdata[0])->opened,
			   day ("2013-01-26"));
	ck_assert_uint_eq (((DsDispute *) disputes->pdata[0])->resolved,
			   DS_DATE_NONE);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_same_file_twice_changes_nothing)
{
	Fixture fixture = fixture_new ();
	g_autofree char *path = NULL;
	g_autoptr (DsImportReport) first = NULL;
	g_autoptr (DsImportReport) second = NULL;
	g_autoptr (GPtrArray) journal = NULL;

	import_masters (&fixture);
	path = ds_test_write (fixture.dir, "invoices.csv", INVOICE_HEADER
			      "I1,C1,2024-01-02,2024-02-01,EUR,100.00\n");
	first = import_ok (&fixture, path, NULL);
	ck_assert_int_eq (first->accepted, 1);
	second = import_ok (&fixture, path, NULL);
	ck_assert (second->already_imported);
	ck_assert_str_eq (second->sha256, first->sha256);
	ck_assert_str_eq (second->imported_at, first->imported_at);
	ck_assert_int_eq (second->accepted + second->updated +
			  second->unchanged + second->rejected, 0);
	journal = ds_journal_for_object (fixture.store, "import",
					 first->sha256, NULL);
	ck_assert_uint_eq (journal->len, 1);
	ck_assert_str_eq (((DsJournalRecord *) journal->pdata[0])->event,
			  "imported");
	ck_assert_ptr_nonnull (strstr (((DsJournalRecord *)
					journal->pdata[0])->evidence,
				       "accepted=1"));
	ck_assert_int_eq (count_rows (&fixture, "imports"), 3);
	ck_assert_int_eq (count_rows (&fixture, "journal"), 3);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_changed_file_updates)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) first = NULL;
	g_autoptr (DsImportReport) second = NULL;
	g_autoptr (DsInvoice) invoice = NULL;

	import_masters (&fixture);
	first = import_text (&fixture, "invoices.csv", INVOICE_HEADER
			     "I1,C1,2024-01-02,2024-02-01,EUR,100.00\n"
			     "I2,C1,2024-01-02,2024-02-01,EUR,200.00\n", NULL);
	second = import_text (&fixture, "invoices.csv", INVOICE_HEADER
			      "I1,C1,2024-01-02,2024-02-01,EUR,100.00\n"
			      "I2,C1,2024-01-02,2024-02-01,EUR,250.00\n"
			      "I3,C2,2024-01-05,2024-02-04,EUR,3.00\n", NULL);
	ck_assert (!second->already_imported);
	ck_assert_int_eq (second->accepted, 1);
	ck_assert_int_eq (second->updated, 1);
	ck_assert_int_eq (second->unchanged, 1);
	ck_assert_int_eq (second->rejected, 0);
	invoice = get_invoice (&fixture, "I2");
	ck_assert_int_eq (invoice->amount, 25000);
	fixture_free (&fixture);
}
END_TEST

/* Case 6: a disputed invoice re-imported with a corrected amount. */
START_TEST (test_import_dispute_survives_corrected_invoice)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) invoices = NULL;
	g_autoptr (DsImportReport) disputes = NULL;
	g_autoptr (DsImportReport) corrected = NULL;
	g_autoptr (GPtrArray) items = NULL;
	const DsOpenItem *item;

	import_masters (&fixture);
	invoices = import_text (&fixture, "invoices.csv", INVOICE_HEADER
				"I1,C1,2024-01-02,2024-02-01,EUR,1000.00\n",
				NULL);
	disputes = import_text (&fixture, "disputes.csv",
				"invoice_id,opened,resolved,reason\n"
				"I1,2024-02-05,,wrong quantity\n", NULL);
	ck_assert_int_eq (disputes->accepted, 1);
	corrected = import_text (&fixture, "invoices.csv", INVOICE_HEADER
				 "I1,C1,2024-01-02,2024-02-01,EUR,900.00\n",
				 NULL);
	ck_assert_int_eq (corrected->updated, 1);
	items = ds_ledger_open_items (fixture.store, day ("2024-05-01"),
				      NULL);
	ck_assert_uint_eq (items->len, 1);
	item = items->pdata[0];
	ck_assert_int_eq (item->invoice.amount, 90000);
	ck_assert (item->disputed);
	fixture_free (&fixture);
}
END_TEST

/* The same through the ibm-ar profile: one row, three records. */
#define IBM_HEADER \
	"countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate," \
	"DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill," \
	"DaysToSettle,DaysLate\n"

START_TEST (test_import_ibm_ar_row_corrected)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) first = NULL;
	g_autoptr (DsImportReport) second = NULL;
	g_autoptr (GPtrArray) disputes = NULL;
	g_autoptr (GPtrArray) payments = NULL;

	import_masters (&fixture);
	first = import_text (&fixture, "ar.csv", IBM_HEADER
			     "391,C1,,0001,1/26/2013,2/25/2013,61.74,Yes,"
			     "3/3/2013,Electronic,36,6\n"
			     "391,C2,,0002,1/26/2013,2/25/2013,10.00,No,,"
			     "Paper,,\n", NULL);
	ck_assert_str_eq (first->profile, "ibm-ar");
	ck_assert_int_eq (first->accepted, 2);
	ck_assert_int_eq (count_rows (&fixture, "payments"), 1);
	ck_assert_int_eq (count_rows (&fixture, "disputes"), 1);

	second = import_text (&fixture, "ar.csv", IBM_HEADER
			      "391,C1,,0001,1/26/2013,2/25/2013,60.00,Yes,"
			      "3/3/2013,Electronic,36,6\n"
			      "391,C2,,0002,1/26/2013,2/25/2013,10.00,No,,"
			      "Paper,,\n", NULL);
	ck_assert_int_eq (second->updated, 1);
	ck_assert_int_eq (second->unchanged, 1);
	disputes = ds_ledger_disputes (fixture.store, "0001", NULL);
	ck_assert_uint_eq (disputes->len, 1);
	payments = ds_ledger_payments (fixture.store, "C1",
				       day ("2013-12-31"), NULL);
	ck_assert_int_eq (((DsPayment *) payments->pdata[0])->amount, 6000);
	fixture_free (&fixture);
}
END_TEST

/* Row errors: each row rejected on its own line, with field and why. */
static const struct {
	int line;
	const char *field;	/* NULL: the whole row */
	const char *reason;	/* a part of the reason */
} row_errors[] = {
	{ 3, "customer_id", "unknown customer \"CX\"" },
	{ 4, "invoice_id", "also on line 2" },
	{ 5, "issue_date", "no such day" },
	{ 6, "amount", "more decimals" },
	{ 7, "currency", "not the customer's (EUR)" },
	{ 8, "billing", "not paper or electronic" },
	{ 9, NULL, "6 fields where the header has 7" },
	{ 10, "issue_date", "missing value" },
	{ 11, "due_date", "due before it was issued" },
	{ 13, "amount", "negative" },
	{ 14, "amount", "not a number" },
	{ 15, "amount", "an invoice of 0 claims nothing" },
};

static const char row_errors_file[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount,billing\n"
	"I1,C1,2024-01-02,2024-02-01,EUR,100.00,paper\n"
	"I2,CX,2024-01-02,2024-02-01,EUR,1.00,\n"
	"I1,C1,2024-01-02,2024-02-01,EUR,1.00,\n"
	"I3,C1,2024-02-30,2024-03-01,EUR,1.00,\n"
	"I4,C1,2024-01-02,2024-02-01,EUR,12.345,\n"
	"I5,C1,2024-01-02,2024-02-01,USD,1.00,\n"
	"I6,C1,2024-01-02,2024-02-01,EUR,1.00,fax\n"
	"I7,C1,2024-01-02,2024-02-01,EUR,1.00\n"
	"I8,C1,,2024-02-01,EUR,1.00,\n"
	"I9,C1,2024-03-01,2024-02-01,EUR,1.00,\n"
	"\n"
	"I10,C1,2024-01-02,2024-02-01,EUR,-5.00,\n"
	"I11,C1,2024-01-02,2024-02-01,EUR,1 000,\n"
	"I12,C1,2024-01-02,2024-02-01,EUR,0.00,\n";

START_TEST (test_import_row_errors)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (sqlite3_stmt) stored = NULL;
	const DsImportError *row_error;

	import_masters (&fixture);
	report = import_text (&fixture, "invoices.csv", row_errors_file, NULL);
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (report->rejected, G_N_ELEMENTS (row_errors));
	ck_assert_uint_eq (report->errors->len, G_N_ELEMENTS (row_errors));
	row_error = error_at (report, row_errors[_i].line);
	ck_assert_str_eq (row_error->field ? row_error->field : "(row)",
			  row_errors[_i].field ? row_errors[_i].field :
			  "(row)");
	ck_assert_msg (strstr (row_error->reason, row_errors[_i].reason),
		       "line %d: \"%s\" lacks \"%s\"", row_error->line,
		       row_error->reason, row_errors[_i].reason);

	stored = ds_store_prepare (fixture.store,
				   "SELECT field, reason FROM import_errors"
				   " WHERE file_sha256 = ?1 AND line = ?2",
				   NULL);
	sqlite3_bind_text (stored, 1, report->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int (stored, 2, row_errors[_i].line);
	ck_assert_int_eq (sqlite3_step (stored), SQLITE_ROW);
	ck_assert_str_eq ((const char *) sqlite3_column_text (stored, 1),
			  row_error->reason);
	fixture_free (&fixture);
}
END_TEST

/* Codes of the right shape that no standard lists: the row, the field
 * and the code are named, and the good rows go in. */
START_TEST (test_import_unknown_iso_codes)
{
	static const struct {
		int line;
		const char *field;
		const char *reason;
	} wanted[] = {
		{ 3, "country", "\"XQ\" is no ISO 3166-1 country code" },
		{ 4, "language", "\"qq\" is no ISO 639-1 language code" },
		{ 5, "currency", "\"EUX\" is no ISO 4217 currency code" },
		{ 6, "country", "\"uk\" is not 2 capital letters" },
	};
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) entities = import_text (
		&fixture, "entities.csv", ENTITIES, NULL);
	g_autoptr (DsImportReport) report = import_text (
		&fixture, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n"
		"C1,A,,S 1,1,X,CH,it,CHF,DE01,,,\n"
		"C2,B,,S 1,1,X,XQ,en,EUR,DE01,,,\n"
		"C3,C,,S 1,1,X,GB,qq,GBP,DE01,,,\n"
		"C4,D,,S 1,1,X,DE,de,EUX,DE01,,,\n"
		"C5,E,,S 1,1,X,uk,en,GBP,DE01,,,\n", NULL);

	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (report->rejected, G_N_ELEMENTS (wanted));
	for (gsize i = 0; i < G_N_ELEMENTS (wanted); i++) {
		const DsImportError *row_error = error_at (report,
							   wanted[i].line);

		ck_assert_str_eq (row_error->field, wanted[i].field);
		ck_assert_str_eq (row_error->reason, wanted[i].reason);
	}
	fixture_free (&fixture);
}
END_TEST

/*
 * A customer's e-mail field may list several addresses, ',' or ';'
 * between them; it is stored in one form, and an address that is not
 * one, or is there twice, is a row error naming it.
 */
START_TEST (test_import_email_lists)
{
	static const struct {
		int line;
		const char *reason;
	} wanted[] = {
		{ 3, "\"ben@\" is not an e-mail address "
		     "(local-part@domain, plain ASCII)" },
		{ 4, "\"A@x.test\" is listed twice" },
		{ 5, "\"<d@x.test>\" is not an e-mail address "
		     "(local-part@domain, plain ASCII)" },
		{ 6, "\"e..f@x.test\" is not an e-mail address "
		     "(local-part@domain, plain ASCII)" },
	};
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) entities = import_text (
		&fixture, "entities.csv", ENTITIES, NULL);
	g_autoptr (DsImportReport) report = import_text (
		&fixture, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n"
		"C1,A,,S 1,1,X,DE,de,EUR,DE01,\" anna@x.test ;ben@y.test,"
		"c@z.test;\",,\n"
		"C2,B,,S 1,1,X,DE,de,EUR,DE01,anna@x.test; ben@,,\n"
		"C3,C,,S 1,1,X,DE,de,EUR,DE01,\"a@x.test,A@x.test\",,\n"
		"C4,D,,S 1,1,X,DE,de,EUR,DE01,<d@x.test>,,\n"
		"C5,E,,S 1,1,X,DE,de,EUR,DE01,e..f@x.test,,\n",
		NULL);
	g_autoptr (DsCustomer) customer = NULL;

	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (report->rejected, G_N_ELEMENTS (wanted));
	for (gsize i = 0; i < G_N_ELEMENTS (wanted); i++) {
		const DsImportError *row_error = error_at (report,
							   wanted[i].line);

		ck_assert_str_eq (row_error->field, "email");
		ck_assert_str_eq (row_error->reason, wanted[i].reason);
	}
	customer = ds_ledger_get_customer (fixture.store, "C1", NULL);
	ck_assert_str_eq (customer->email,
			  "anna@x.test, ben@y.test, c@z.test");

	/* the entity's sender address too */
	g_clear_pointer (&entities, ds_import_report_free);
	entities = import_text (&fixture, "entities-2.csv",
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone\n"
		"FR01,Nord SARL,1 rue,75002,Paris,FR,,,,"
		"Nord <f@example.fr>,\n", NULL);
	ck_assert_int_eq (entities->rejected, 1);
	ck_assert_str_eq (error_at (entities, 2)->field, "email");
	fixture_free (&fixture);
}
END_TEST

/* An id over 64 characters and text over 1000 are row errors. */
START_TEST (test_import_field_lengths)
{
	g_autoptr (GString) text = g_string_new (
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax\n");
	g_autofree char *long_id = g_strnfill (65, 'K');
	g_autofree char *id = g_strnfill (64, 'K');
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) entities = import_text (
		&fixture, "entities.csv", ENTITIES, NULL);
	g_autoptr (DsImportReport) report = NULL;
	const DsImportError *row_error;

	g_string_append_printf (text, "%s,A,,S 1,1,X,DE,de,EUR,DE01,,\n",
				long_id);
	g_string_append_printf (text, "%s,", id);
	for (int i = 0; i < 1000; i++)
		g_string_append (text, "\xc3\xbc");	/* 2 bytes, 1 char */
	g_string_append (text, ",,S 1,1,X,DE,de,EUR,DE01,,\n");
	g_string_append (text, "C3,B");
	for (int i = 0; i < 1000; i++)
		g_string_append_c (text, 'b');
	g_string_append (text, ",,S 1,1,X,DE,de,EUR,DE01,,\n");
	report = import_text (&fixture, "customers.csv", text->str, NULL);

	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (report->rejected, 2);
	row_error = error_at (report, 2);
	ck_assert_str_eq (row_error->field, "customer_id");
	ck_assert_str_eq (row_error->reason,
			  "65 characters; at most 64 in an id");
	row_error = error_at (report, 4);
	ck_assert_str_eq (row_error->field, "name");
	ck_assert_str_eq (row_error->reason,
			  "1001 characters; at most 1000");
	fixture_free (&fixture);
}
END_TEST

/*
 * A customer's currency does not change once anything of theirs is
 * booked in the old one, open or paid: the claim, in the customer's
 * currency, would drop it.  A customer without records may change.
 */
START_TEST (test_import_currency_change_after_booking)
{
	static const char changed[] =
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax\n"
		"C1,Kunde AG,,Str 1,10115,Berlin,DE,de,USD,DE01,,\n";
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) invoices = NULL;
	g_autoptr (DsImportReport) refused = NULL;
	g_autoptr (DsImportReport) payments = NULL;
	g_autoptr (DsImportReport) accepted = NULL;
	g_autoptr (DsCustomer) customer = NULL;
	const DsImportError *row_error;

	import_masters (&fixture);
	invoices = import_text (&fixture, "invoices.csv", INVOICE_HEADER
				"I1,C1,2024-01-02,2024-02-01,EUR,100.00\n"
				"I2,C1,2024-01-03,2024-02-02,EUR,50.00\n",
				NULL);
	refused = import_text (&fixture, "customers-usd.csv", changed, NULL);
	ck_assert_int_eq (refused->rejected, 1);
	row_error = error_at (refused, 2);
	ck_assert_str_eq (row_error->field, "currency");
	ck_assert_str_eq (row_error->reason, "cannot change to USD: 2 of "
			  "the customer's invoices, payments and credit "
			  "notes are in another currency (I1 in EUR); a "
			  "customer in a new currency needs a new customer "
			  "id");
	customer = ds_ledger_get_customer (fixture.store, "C1", NULL);
	ck_assert_str_eq (customer->currency, "EUR");

	payments = import_text (&fixture, "payments.csv",
				"payment_id,customer_id,date,currency,amount,"
				"invoice_id\n"
				"P1,C1,2024-02-05,EUR,100.00,I1\n"
				"P2,C1,2024-02-05,EUR,50.00,I2\n", NULL);
	ck_assert_int_eq (payments->accepted, 2);
	accepted = import_text (&fixture, "customers-usd-2.csv", changed,
				NULL);
	ck_assert_int_eq (accepted->rejected, 1);
	ck_assert (strstr (error_at (accepted, 2)->reason,
			   "cannot change to USD: 4 of") != NULL);
	g_clear_pointer (&accepted, ds_import_report_free);
	accepted = import_text (&fixture, "customers-c2.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax\n"
		"C2,Dupont SA,,1 rue Neuve,75002,Paris,FR,fr,USD,DE01,,\n",
		NULL);
	ck_assert_int_eq (accepted->rejected, 0);
	ck_assert_int_eq (accepted->updated, 1);
	fixture_free (&fixture);
}
END_TEST

/* Instalments never add up to more than their invoice; a corrected
 * instalment replaces its own amount. */
START_TEST (test_import_instalments_within_invoice)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) invoices = NULL;
	g_autoptr (DsImportReport) first = NULL;
	g_autoptr (DsImportReport) corrected = NULL;

	import_masters (&fixture);
	invoices = import_text (&fixture, "invoices.csv", INVOICE_HEADER
				"I1,C1,2024-01-02,2024-02-01,EUR,1000.00\n",
				NULL);
	first = import_text (&fixture, "instalments.csv",
			     "invoice_id,number,due_date,amount\n"
			     "I1,1,2024-02-01,500.00\n"
			     "I1,2,2024-03-01,600.00\n", NULL);
	ck_assert_int_eq (first->accepted, 1);
	ck_assert_str_eq (error_at (first, 3)->field, "amount");
	ck_assert_str_eq (error_at (first, 3)->reason,
			  "the instalments would add up to more than the "
			  "invoice: 500.00 EUR left for this one");
	corrected = import_text (&fixture, "instalments-2.csv",
				 "invoice_id,number,due_date,amount\n"
				 "I1,1,2024-02-01,400.00\n"
				 "I1,2,2024-03-01,600.00\n", NULL);
	ck_assert_int_eq (corrected->rejected, 0);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_report_for_people_and_programs)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autofree char *text = NULL;
	g_autofree char *hint = NULL;
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autoptr (JsonNode) root = NULL;
	JsonObject *object;
	JsonObject *first_error;

	import_masters (&fixture);
	report = import_text (&fixture, "invoices.csv", row_errors_file, NULL);
	text = ds_import_report_format (report, 2);
	ck_assert_msg (strstr (text, ": invoices: 13 rows: 1 accepted, 0 "
				     "updated, 0 unchanged, 12 rejected\n"),
		       "%s", text);
	ck_assert (strstr (text, "  line 3: customer_id: unknown customer "
				 "\"CX\"\n"));
	hint = g_strdup_printf ("  and 10 more rejected rows: dunspool "
				"import --errors %.12s lists them all\n",
				report->sha256);
	ck_assert_msg (strstr (text, hint), "%s", text);

	ds_import_report_add_json (report, builder);
	root = json_builder_get_root (builder);
	object = json_node_get_object (root);
	ck_assert_str_eq (json_object_get_string_member (object, "kind"),
			  "invoices");
	ck_assert (json_object_get_null_member (object, "profile"));
	ck_assert_int_eq (json_object_get_int_member (object, "accepted"), 1);
	ck_assert_int_eq (json_object_get_int_member (object, "rejected"), 12);
	first_error = json_array_get_object_element (
		json_object_get_array_member (object, "errors"), 0);
	ck_assert_int_eq (json_object_get_int_member (first_error, "line"), 3);
	ck_assert_str_eq (json_object_get_string_member (first_error, "field"),
			  "customer_id");
	fixture_free (&fixture);
}
END_TEST

/*
 * An earlier import's rejected rows, every one, from the database: by
 * the file, by its SHA-256 or the start of it, and not for a file never
 * imported.
 */
START_TEST (test_import_report_load_lists_every_rejected_row)
{
	Fixture fixture = fixture_new ();
	g_autofree char *path = NULL;
	g_autofree char *other = NULL;
	g_autofree char *prefix = NULL;
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsImportReport) by_file = NULL;
	g_autoptr (DsImportReport) by_sha = NULL;
	g_autoptr (DsImportReport) by_prefix = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;

	import_masters (&fixture);
	path = ds_test_write (fixture.dir, "invoices.csv", row_errors_file);
	report = import_ok (&fixture, path, NULL);
	by_file = ds_import_report_load (fixture.store, path, &error);
	ck_assert_msg (by_file != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (by_file->sha256, report->sha256);
	ck_assert_str_eq (by_file->kind, "invoices");
	ck_assert_int_eq (by_file->accepted, 1);
	ck_assert_int_eq (by_file->rejected, G_N_ELEMENTS (row_errors));
	ck_assert_uint_eq (by_file->errors->len, G_N_ELEMENTS (row_errors));
	for (guint i = 0; i < by_file->errors->len; i++) {
		const DsImportError *stored = by_file->errors->pdata[i];
		const DsImportError *read = report->errors->pdata[i];

		ck_assert_int_eq (stored->line, read->line);
		ck_assert_str_eq (stored->reason, read->reason);
	}
	text = ds_import_report_format (by_file, 0);
	ck_assert (strstr (text, "more rejected") == NULL);
	ck_assert (strstr (text, "  line 15: amount: ") != NULL);

	by_sha = ds_import_report_load (fixture.store, report->sha256, NULL);
	ck_assert (by_sha != NULL);
	ck_assert_str_eq (by_sha->path, "invoices.csv");
	prefix = g_ascii_strup (report->sha256, 12);
	by_prefix = ds_import_report_load (fixture.store, prefix, NULL);
	ck_assert (by_prefix != NULL);
	ck_assert_str_eq (by_prefix->sha256, report->sha256);

	other = ds_test_write (fixture.dir, "other.csv", "never imported\n");
	ck_assert (ds_import_report_load (fixture.store, other, &error) ==
		   NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	ck_assert (strstr (error->message, "never imported") != NULL);
	g_clear_error (&error);
	ck_assert (ds_import_report_load (fixture.store, "0123abcd",
					  &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	g_clear_error (&error);
	ck_assert (ds_import_report_load (fixture.store, "no-such.csv",
					  &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	fixture_free (&fixture);
}
END_TEST

/* Columns nobody reads are named in a warning; the rows come in. */
START_TEST (test_import_unknown_columns_named)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsImportReport) known = NULL;
	g_autofree char *text = NULL;
	g_autofree char *hint = NULL;
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autoptr (JsonNode) root = NULL;
	JsonObject *object;
	JsonArray *unknown;
	JsonObject *warning;

	import_masters (&fixture);
	known = import_text (&fixture, "known.csv", INVOICE_HEADER
			     "I0,C1,2024-01-02,2024-02-01,EUR,5.00\n", NULL);
	ck_assert_ptr_null (known->unknown_columns[0]);
	text = ds_import_report_format (known, 0);
	ck_assert_msg (strstr (text, "warning") == NULL, "%s", text);
	g_free (text);

	report = import_text (&fixture, "extra.csv",
			      "invoice_id,customer_id,Notes,issue_date,"
			      "due_date,currency,amount,cost centre,\n"
			      "I1,C1,call first,2024-01-02,2024-02-01,EUR,"
			      "10.00,4711,\n"
			      "I2,C2,,2024-01-03,2024-02-02,EUR,20.00,,\n",
			      NULL);
	ck_assert_int_eq (report->accepted, 2);
	ck_assert_int_eq (count_rows (&fixture, "invoices"), 3);
	ck_assert_uint_eq (g_strv_length (report->unknown_columns), 2);
	ck_assert_str_eq (report->unknown_columns[0], "Notes");
	ck_assert_str_eq (report->unknown_columns[1], "cost centre");
	text = ds_import_report_format (report, 0);
	ck_assert_msg (strstr (text, ": invoices: 2 rows: 2 accepted, 0 "
				     "updated, 0 unchanged, 0 rejected\n"
				     "  line 1: warning: unknown columns, "
				     "not read: \"Notes\", \"cost centre\" "
				     "(the native invoices format has no "
				     "such columns)\n"),
		       "%s", text);

	ds_import_report_add_json (report, builder);
	root = json_builder_get_root (builder);
	object = json_node_get_object (root);
	unknown = json_object_get_array_member (object, "unknown_columns");
	ck_assert_uint_eq (json_array_get_length (unknown), 2);
	ck_assert_str_eq (json_array_get_string_element (unknown, 1),
			  "cost centre");
	warning = json_array_get_object_element (
		json_object_get_array_member (object, "warnings"), 0);
	ck_assert_int_eq (json_object_get_int_member (warning, "line"), 1);
	ck_assert (strstr (json_object_get_string_member (warning, "reason"),
			   "\"Notes\", \"cost centre\""));
	ck_assert_uint_eq (json_array_get_length (
		json_object_get_array_member (object, "errors")), 0);

	/* a column without a name that holds data: named by its place */
	g_clear_pointer (&report, ds_import_report_free);
	report = import_text (&fixture, "unnamed.csv", "invoice_id,"
			      "customer_id,issue_date,due_date,currency,"
			      "amount,\n"
			      "I3,C1,2024-01-02,2024-02-01,EUR,1.00,\n"
			      "I4,C1,2024-01-02,2024-02-01,EUR,2.00,x\n"
			      "I5,C1,2024-01-02,2024-02-01,EUR,3.00,y\n",
			      NULL);
	ck_assert_int_eq (report->accepted, 3);
	ck_assert_uint_eq (g_strv_length (report->unknown_columns), 1);
	ck_assert_str_eq (report->unknown_columns[0],
			  "column 7 (no name; data on line 3)");
	fixture_free (&fixture);
}
END_TEST

/* A profile knows the columns it reads, its signature and ignore=. */
START_TEST (test_import_unknown_columns_of_a_profile)
{
	Fixture fixture = fixture_new ();
	g_autofree char *profiles = g_build_filename (fixture.dir, "profiles",
						      NULL);
	g_autofree char *profile = NULL;
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsImportReport) quiet = NULL;
	g_autofree char *text = NULL;
	g_autofree char *path = NULL;
	g_autoptr (GError) error = NULL;
	static const char first[] =
		ERP_HEADER "E1,C1,2024-01-02,2024-02-01,10.00,SAP,mk\n";
	static const char second[] =
		ERP_HEADER "E2,C1,2024-01-02,2024-02-01,10.00,SAP,mk\n";

	import_masters (&fixture);
	g_mkdir (profiles, 0750);
	profile = ds_test_write (profiles, "erp.conf",
				 "[profile]\nsignature=Beleg;Kunde;Quelle\n"
				 "[invoices]\ninvoice_id={Beleg}\n"
				 "customer_id={Kunde}\nissue_date={Datum}\n"
				 "due_date={Faellig}\namount={Betrag}\n");
	path = ds_test_write (fixture.dir, "erp.csv", first);
	ck_assert_msg (ds_import_file (fixture.store, path, profiles, NULL,
				       &report, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_uint_eq (g_strv_length (report->unknown_columns), 1);
	ck_assert_str_eq (report->unknown_columns[0], "Bearbeiter");
	text = ds_import_report_format (report, 0);
	ck_assert_msg (strstr (text, "  line 1: warning: unknown column, not "
				     "read: \"Bearbeiter\" (profile erp "
				     "neither reads nor ignores it: add it "
				     "to its ignore= to be quiet)\n"),
		       "%s", text);

	g_free (profile);
	profile = ds_test_write (profiles, "erp.conf",
				 "[profile]\nsignature=Beleg;Kunde;Quelle\n"
				 "ignore=bearbeiter\n"
				 "[invoices]\ninvoice_id={Beleg}\n"
				 "customer_id={Kunde}\nissue_date={Datum}\n"
				 "due_date={Faellig}\namount={Betrag}\n");
	g_free (path);
	path = ds_test_write (fixture.dir, "erp2.csv", second);
	ck_assert (ds_import_file (fixture.store, path, profiles, NULL,
				   &quiet, NULL));
	ck_assert_int_eq (quiet->accepted, 1);
	ck_assert_ptr_null (quiet->unknown_columns[0]);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_line_numbers_count_quoted_line_breaks)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) entities = NULL;
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsCustomer) customer = NULL;

	entities = import_text (&fixture, "entities.csv", ENTITIES, NULL);
	report = import_text (&fixture, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax\r\n"
		"C1,\"Müller, Söhne\",,\"Hof 2\r\nAufgang \"\"B\"\"\","
		"10115,Berlin,DE,de,EUR,DE01,,\r\n"
		"C2,\"Two\n\nBlank\",,x,1,y,DE,de,EUR,DE01,,\r\n"
		"C3,Bad,,x,1,y,DE,de,EUR,XX99,,\r\n", NULL);
	ck_assert_int_eq (report->accepted, 2);
	ck_assert_int_eq (report->rejected, 1);
	ck_assert_int_eq (error_at (report, 7)->line, 7);
	ck_assert_str_eq (error_at (report, 7)->field, "entity");
	customer = ds_ledger_get_customer (fixture.store, "C1", NULL);
	ck_assert_str_eq (customer->name, "Müller, Söhne");
	ck_assert_str_eq (customer->street, "Hof 2\nAufgang \"B\"");
	fixture_free (&fixture);
}
END_TEST

/* Control characters in a reason, escaped: one reason, one line. */
static const struct {
	const char *text;
	const char *escaped;
} escapes[] = {
	{ "plain, Köln", "plain, Köln" },
	{ "a\r\nb", "a\\r\\nb" },
	{ "tab\there", "tab\\there" },
	{ "bell\a, esc\033, del\177", "bell\\x07, esc\\x1B, del\\x7F" },
	{ "next line\xc2\x85", "next line\\u0085" },
	{ "line\xe2\x80\xa8separator", "line\\u2028separator" },
	{ "not UTF-8 \xff", "not UTF-8 \\xFF" },
	{ "a backslash \\n stays", "a backslash \\n stays" },
	{ "", "" },
};

START_TEST (test_import_escape_controls)
{
	g_autofree char *once = ds_error_escape_controls (escapes[_i].text);
	g_autofree char *twice = ds_error_escape_controls (once);

	ck_assert_str_eq (once, escapes[_i].escaped);
	ck_assert_str_eq (twice, once);
	ck_assert (ds_error_escape_controls (NULL) == NULL);
}
END_TEST

/*
 * Values with line breaks, tabs and other control characters, quoted in
 * the reasons of their rows: each reason on one line, the report one
 * line per rejected row, the database the same.
 */
START_TEST (test_import_reasons_quote_values_on_one_line)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) entities = NULL;
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (sqlite3_stmt) stored = NULL;
	g_autofree char *text = NULL;
	guint lines = 0;

	entities = import_text (&fixture, "entities.csv", ENTITIES, NULL);
	report = import_text (&fixture, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax\r\n"
		"C1,\"Müller\r\nSöhne\",,x,1,y,\"D\r\nE\",de,EUR,DE01,,\r\n"
		"C2,Two,,x,1,y,DE,de,EUR,\"X\tY\",,\r\n"
		"C3,\"Three\nLines\nHere\",,x,1,y,DE,de,\"EU\001R\",DE01,,"
		"\r\n", NULL);
	ck_assert_int_eq (report->rejected, 3);
	ck_assert_msg (strstr (error_at (report, 2)->reason, "\"D\\nE\""),
		       "%s", error_at (report, 2)->reason);
	ck_assert_msg (strstr (error_at (report, 5)->reason, "\"X\\tY\""),
		       "%s", error_at (report, 5)->reason);
	ck_assert_msg (strstr (error_at (report, 6)->reason, "\"EU\\x01R\""),
		       "%s", error_at (report, 6)->reason);
	for (guint i = 0; i < report->errors->len; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		ck_assert_msg (strpbrk (row_error->reason, "\r\n\t\001") ==
			       NULL, "%s", row_error->reason);
	}

	text = ds_import_report_format (report, 0);
	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	ck_assert_msg (lines == 1 + 3 && strchr (text, '\r') == NULL, "%s",
		       text);

	stored = ds_store_prepare (fixture.store,
				   "SELECT count(*) FROM import_errors"
				   " WHERE reason GLOB '*[' || char (10, 13)"
				   " || ']*'", NULL);
	ck_assert_int_eq (sqlite3_step (stored), SQLITE_ROW);
	ck_assert_int_eq (sqlite3_column_int (stored, 0), 0);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_byte_order_mark_and_crlf)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;

	import_masters (&fixture);
	report = import_text (&fixture, "invoices.csv",
			      "\xEF\xBB\xBFinvoice_id,customer_id,issue_date,"
			      "due_date,currency,amount\r\n"
			      "I1,C1,2024-01-02,2024-02-01,EUR,100.00\r\n"
			      "I2,C1,2024-01-02,2024-02-01,EUR,x\r\n", NULL);
	ck_assert_str_eq (report->kind, "invoices");
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (error_at (report, 3)->line, 3);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_order_of_arguments_does_not_matter)
{
	Fixture fixture = fixture_new ();
	g_autofree char *invoices = ds_test_write (
		fixture.dir, "a.csv", INVOICE_HEADER
		"I1,C1,2024-01-02,2024-02-01,EUR,100.00\n");
	g_autofree char *payments = ds_test_write (
		fixture.dir, "b.csv",
		"payment_id,customer_id,date,currency,amount,invoice_id\n"
		"P1,C1,2024-01-20,EUR,40.00,I1\n");
	g_autofree char *customers = ds_test_write (fixture.dir, "c.csv",
						    CUSTOMERS);
	g_autofree char *entities = ds_test_write (fixture.dir, "d.csv",
						   ENTITIES);
	const char *paths[] = { payments, invoices, customers, entities,
				NULL };
	static const char *const order[] = {
		"entities", "customers", "invoices", "payments"
	};
	g_autoptr (GPtrArray) reports = NULL;

	ck_assert (ds_import_files (fixture.store, paths, fixture.profiles,
				    NULL, &reports, NULL));
	ck_assert_uint_eq (reports->len, 4);
	for (guint i = 0; i < reports->len; i++) {
		const DsImportReport *report = reports->pdata[i];

		ck_assert_str_eq (report->kind, order[i]);
		ck_assert_int_eq (report->rejected, 0);
	}
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_rejected_rows_retried_with_same_file)
{
	Fixture fixture = fixture_new ();
	g_autofree char *path = ds_test_write (
		fixture.dir, "invoices.csv", INVOICE_HEADER
		"I1,C1,2024-01-02,2024-02-01,EUR,100.00\n");
	g_autoptr (DsImportReport) early = import_ok (&fixture, path, NULL);
	g_autoptr (DsImportReport) again = NULL;

	ck_assert_int_eq (early->rejected, 1);
	ck_assert_str_eq (error_at (early, 2)->reason,
			  "unknown customer \"C1\"");
	import_masters (&fixture);
	again = import_ok (&fixture, path, NULL);
	ck_assert (!again->already_imported);
	ck_assert_int_eq (again->accepted, 1);
	ck_assert_int_eq (again->rejected, 0);
	ck_assert_int_eq (count_rows (&fixture, "import_errors"), 0);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_every_native_kind)
{
	Fixture fixture = fixture_new ();
	g_autoptr (GError) error = NULL;
	g_autoptr (DsImportReport) invoices = NULL;
	g_autoptr (DsImportReport) instalments = NULL;
	g_autoptr (DsImportReport) payments = NULL;
	g_autoptr (DsImportReport) notes = NULL;
	g_autoptr (DsImportReport) disputes = NULL;
	g_autoptr (DsImportReport) promises = NULL;
	g_autoptr (DsInvoice) invoice = NULL;
	g_autoptr (GPtrArray) read = NULL;
	g_autoptr (GPtrArray) items = NULL;

	import_masters (&fixture);
	invoices = import_text (&fixture, "invoices.csv",
		"invoice_id,customer_id,issue_date,due_date,currency,amount,"
		"tax_amount,reference,billing\n"
		"I1,C1,2024-01-01,2024-02-29,EUR,1000.00,159.66,PO-1,"
		"Electronic\n"
		"I2,C2,2024-01-01,2024-01-31,EUR,800.00,,,\n", NULL);
	instalments = import_text (&fixture, "instalments.csv",
		"invoice_id,number,due_date,amount\n"
		"I1,1,2024-01-31,500.00\n"
		"I1,2,2024-02-29,500.00\n"
		"I1,2,2024-03-31,500.00\n"
		"I1,x,2024-03-31,500.00\n", NULL);
	payments = import_text (&fixture, "payments.csv",
		"payment_id,customer_id,date,currency,amount,invoice_id\n"
		"P1,C2,2024-02-01,EUR,100.00,I2\n"
		"P2,C2,2024-02-01,EUR,5.00,\n"
		"P3,C2,2024-02-01,EUR,5.00,I1\n", NULL);
	notes = import_text (&fixture, "credit_notes.csv",
		"credit_note_id,customer_id,date,currency,amount,invoice_id,"
		"status\n"
		"N1,C2,2024-02-01,EUR,300.00,I2,open\n"
		"N2,C2,2024-02-01,EUR,200.00,I2,cancelled\n"
		"N3,C2,2024-02-01,EUR,200.00,I2,void\n", NULL);
	disputes = import_text (&fixture, "disputes.csv",
		"invoice_id,opened,resolved,reason\n"
		"I2,2024-02-05,2024-02-10,price\n"
		"I9,2024-02-05,,price\n"
		"I2,2024-02-12,2024-02-11,price\n", NULL);
	promises = import_text (&fixture, "promises.csv",
		"promise_id,customer_id,promised_date,amount,invoice_id,"
		"made_on\n"
		"PR1,C1,2024-05-10,500.00,I1,2024-04-02\n"
		"PR2,C1,2024-05-10,500.00,I2,\n"
		"PR3,C1,2024-05-10,500.00,I1,2024-05-11\n"
		"PR4,C1,2024-05-10,0.00,I1,2024-05-01\n", NULL);

	ck_assert_int_eq (invoices->accepted, 2);
	invoice = get_invoice (&fixture, "I1");
	ck_assert_int_eq (invoice->tax_amount, 15966);
	ck_assert_str_eq (invoice->reference, "PO-1");
	ck_assert_int_eq (invoice->billing, DS_BILLING_ELECTRONIC);
	ck_assert_int_eq (instalments->accepted, 2);
	ck_assert_int_eq (error_at (instalments, 4)->line, 4);
	ck_assert_str_eq (error_at (instalments, 5)->field, "number");
	ck_assert_int_eq (payments->accepted, 2);
	ck_assert (strstr (error_at (payments, 4)->reason,
			   "belongs to customer \"C1\""));
	ck_assert_int_eq (notes->accepted, 2);
	ck_assert_str_eq (error_at (notes, 4)->field, "status");
	ck_assert_int_eq (disputes->accepted, 1);
	ck_assert_str_eq (error_at (disputes, 3)->reason,
			  "unknown invoice \"I9\"");
	ck_assert_str_eq (error_at (disputes, 4)->reason,
			  "resolved before it was opened");
	ck_assert_int_eq (promises->accepted, 1);
	ck_assert_str_eq (error_at (promises, 3)->field, "invoice_id");
	ck_assert_str_eq (error_at (promises, 4)->reason,
			  "made after the date it promises");
	ck_assert_str_eq (error_at (promises, 5)->reason,
			  "a promise of 0 promises nothing");

	read = ds_ledger_instalments (fixture.store, "I1", &error);
	ck_assert_uint_eq (read->len, 2);
	ck_assert_int_eq (((DsInstalment *) read->pdata[1])->amount, 50000);
	/* Case 5's shape: 800.00 less the open note 300.00 and 100.00 paid;
	 * the cancelled note is ignored. */
	items = ds_ledger_open_items (fixture.store, day ("2024-03-01"), NULL);
	for (guint i = 0; i < items->len; i++) {
		const DsOpenItem *item = items->pdata[i];

		if (strcmp (item->invoice.invoice_id, "I2") == 0)
			ck_assert_int_eq (item->open, 40000);
	}
	fixture_free (&fixture);
}
END_TEST

/* Case 17. */

START_TEST (test_import_case17_semicolons)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsInvoice) invoice = NULL;

	import_masters (&fixture);
	report = import_text (&fixture, "invoices.csv",
			      "invoice_id;customer_id;issue_date;due_date;"
			      "currency;amount\n"
			      "S1;C1;2024-04-03;2024-05-03;EUR;1355.90\n",
			      NULL);
	ck_assert_int_eq (report->accepted, 1);
	invoice = get_invoice (&fixture, "S1");
	ck_assert_int_eq (invoice->amount, 135590);
	fixture_free (&fixture);
}
END_TEST

static const char case17_file[] =
	"invoice_id;customer_id;issue_date;due_date;currency;amount\n"
	"K1;C1;03/04/2024;03/05/2024;EUR;1.355,90\n";

START_TEST (test_import_case17_decimal_comma_and_day_month)
{
	Fixture fixture = fixture_new ();
	g_autofree char *profiles = g_build_filename (fixture.dir, "profiles",
						      NULL);
	g_autofree char *profile = NULL;
	g_autofree char *path = NULL;
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (DsInvoice) invoice = NULL;
	g_autoptr (GError) error = NULL;

	import_masters (&fixture);
	g_mkdir (profiles, 0750);
	profile = ds_test_write (profiles, "dmy-comma.conf",
				 "[profile]\ndate_format=D/M/YYYY\n"
				 "decimal=,\nthousands=.\n");
	path = ds_test_write (fixture.dir, "invoices.csv", case17_file);
	ck_assert_msg (ds_import_file (fixture.store, path, profiles,
				       "dmy-comma", &report, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_str_eq (report->profile, "dmy-comma");
	invoice = get_invoice (&fixture, "K1");
	ck_assert_int_eq (invoice->amount, 135590);
	ck_assert_uint_eq (invoice->issue_date, day ("2024-04-03"));
	ck_assert_uint_eq (invoice->due_date, day ("2024-05-03"));
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_case17_bundled_profiles)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) german = NULL;
	g_autoptr (DsImportReport) british = NULL;
	g_autoptr (DsInvoice) first = NULL;
	g_autoptr (DsInvoice) second = NULL;

	import_masters (&fixture);
	german = import_text (&fixture, "de.csv",
			      "invoice_id;customer_id;issue_date;due_date;"
			      "currency;amount\n"
			      "G1;C1;03.04.2024;03.05.2024;EUR;1.355,90\n",
			      "native-de");
	british = import_text (&fixture, "uk.csv", INVOICE_HEADER
			       "B1,C1,03/04/2024,03/05/2024,EUR,"
			       "\"1,355.90\"\n",
			       "native-uk");
	ck_assert_int_eq (german->accepted, 1);
	ck_assert_int_eq (british->accepted, 1);
	first = get_invoice (&fixture, "G1");
	second = get_invoice (&fixture, "B1");
	ck_assert_int_eq (first->amount, 135590);
	ck_assert_int_eq (second->amount, 135590);
	ck_assert_uint_eq (first->issue_date, day ("2024-04-03"));
	ck_assert_uint_eq (second->issue_date, day ("2024-04-03"));
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_case17_no_declared_format)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;
	const DsImportError *row_error;

	import_masters (&fixture);
	report = import_text (&fixture, "invoices.csv", INVOICE_HEADER
			      "I1,C1,2024-01-02,2024-02-01,EUR,1.00\n"
			      "I2,C1,03/04/2024,2024-05-03,EUR,1355.90\n",
			      NULL);
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (report->rejected, 1);
	row_error = error_at (report, 3);
	ck_assert_str_eq (row_error->field, "issue_date");
	ck_assert_msg (strstr (row_error->reason, "\"03/04/2024\" is "
				"ambiguous"), "%s", row_error->reason);
	ck_assert_ptr_null (ds_ledger_get_invoice (fixture.store, "I2",
						   &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	ck_assert_int_eq (ds_ledger_count_invoices (fixture.store,
						    ds_date_today_utc ()),
			  1);
	fixture_free (&fixture);
}
END_TEST

/* Files refused as a whole: nothing written, the line where known. */
static const struct {
	const char *name;
	const char *contents;
	gsize length;		/* 0: up to the NUL */
	int line;
	const char *reason;
} refusals[] = {
	{ "binary.csv", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, 1,
	  "not UTF-8" },
	{ "latin1.csv", INVOICE_HEADER "I1,C1,2024-01-02,2024-02-01,EUR,1\n"
	  "I2,M\xfcller,2024-01-02,2024-02-01,EUR,1\n", 0, 3, "not UTF-8" },
	{ "unknown.csv", "foo,bar\n1,2\n", 0, 1, "not that of a known" },
	{ "quotes.csv", INVOICE_HEADER "I1,\"C1\"x,2024-01-02,2024-02-01,"
	  "EUR,1\n", 0, 2, "malformed quoting" },
	{ "open.csv", INVOICE_HEADER "I1,C1,2024-01-02,2024-02-01,EUR,1\n"
	  "I2,\"C1,2024-01-02\n", 0, 3, "not closed" },
	{ "twice.csv", "invoice_id,customer_id,issue_date,due_date,currency,"
	  "amount,Amount\n", 0, 1, "appears twice" },
	{ "empty.csv", "", 0, 0, "empty file" },
	{ "blank.csv", "\n\n", 0, 1, "no header row" },
};

START_TEST (test_import_refuses_whole_file)
{
	Fixture fixture = fixture_new ();
	g_autofree char *path = g_build_filename (fixture.dir,
						  refusals[_i].name, NULL);
	gsize length = refusals[_i].length ? refusals[_i].length :
		       strlen (refusals[_i].contents);
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;

	import_masters (&fixture);
	ck_assert (g_file_set_contents (path, refusals[_i].contents, length,
					NULL));
	ck_assert (!ds_import_file (fixture.store, path, fixture.profiles,
				    NULL, &report, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	ck_assert (report->refused);
	ck_assert_int_eq (report->refusal_code, DS_ERROR_INPUT);
	ck_assert_int_eq (report->refusal_line, refusals[_i].line);
	ck_assert_msg (strstr (report->refusal, refusals[_i].reason),
		       "%s", report->refusal);
	ck_assert_int_eq (count_rows (&fixture, "invoices"), 0);
	ck_assert_int_eq (count_rows (&fixture, "imports"), 2);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_refuses_symlink)
{
	Fixture fixture = fixture_new ();
	g_autofree char *target = ds_test_write (fixture.dir, "real.csv",
						 ENTITIES);
	g_autofree char *link = g_build_filename (fixture.dir, "link.csv",
						  NULL);
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;

	ck_assert_int_eq (symlink (target, link), 0);
	ck_assert (!ds_import_file (fixture.store, link, NULL, NULL, &report,
				    &error));
	ck_assert (strstr (report->refusal, "symbolic link"));
	ck_assert_int_eq (count_rows (&fixture, "entities"), 0);
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_broken_profile_is_config_error)
{
	Fixture fixture = fixture_new ();
	g_autofree char *profiles = g_build_filename (fixture.dir, "profiles",
						      NULL);
	g_autofree char *profile = NULL;
	g_autofree char *path = ds_test_write (fixture.dir, "e.csv",
					       ENTITIES);
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;

	g_mkdir (profiles, 0750);
	profile = ds_test_write (profiles, "typo.conf",
				 "[profile]\ndate_fromat=D/M/YYYY\n");
	ck_assert (!ds_import_file (fixture.store, path, profiles, NULL,
				    &report, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	ck_assert (strstr (error->message, "date_fromat"));
	ck_assert_int_eq (report->refusal_code, DS_ERROR_CONFIG);
	g_clear_error (&error);
	g_clear_pointer (&report, ds_import_report_free);
	ck_assert (!ds_import_file (fixture.store, path, fixture.profiles,
				    "no-such", &report, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	fixture_free (&fixture);
}
END_TEST

START_TEST (test_import_profile_missing_column_refused)
{
	Fixture fixture = fixture_new ();
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *path = ds_test_write (fixture.dir, "ar.csv",
		"customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
		"Disputed,SettledDate,PaperlessBill\n"
		"C1,1,1/2/2013,2/1/2013,1.00,No,,Paper\n");

	import_masters (&fixture);
	ck_assert (ds_import_file (fixture.store, path, fixture.profiles,
				   NULL, &report, &error));
	ck_assert_str_eq (report->profile, "ibm-ar");
	ck_assert_int_eq (report->accepted, 1);
	ck_assert_int_eq (count_rows (&fixture, "payments"), 0);
	g_clear_pointer (&report, ds_import_report_free);
	g_free (path);
	path = ds_test_write (fixture.dir, "native.csv", INVOICE_HEADER
			      "I1,C1,2024-01-02,2024-02-01,EUR,1.00\n");
	ck_assert (!ds_import_file (fixture.store, path, fixture.profiles,
				    "ibm-ar", &report, &error));
	ck_assert_int_eq (report->refusal_line, 1);
	ck_assert (strstr (report->refusal, "no column \"invoiceNumber\""));
	fixture_free (&fixture);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("import");
	TCase *ledger = tcase_create ("ledger files");
	TCase *rows = tcase_create ("rows");
	TCase *formats = tcase_create ("formats");
	TCase *files = tcase_create ("files");
	SRunner *runner;
	int failed;

	tcase_set_timeout (ledger, 60);
	tcase_add_test (ledger, test_import_ibm_ar_bundled);
	tcase_add_test (ledger, test_import_same_file_twice_changes_nothing);
	tcase_add_test (ledger, test_import_changed_file_updates);
	tcase_add_test (ledger,
			test_import_dispute_survives_corrected_invoice);
	tcase_add_test (ledger, test_import_ibm_ar_row_corrected);
	tcase_add_test (ledger,
			test_import_order_of_arguments_does_not_matter);
	tcase_add_test (ledger,
			test_import_rejected_rows_retried_with_same_file);
	tcase_add_test (ledger, test_import_every_native_kind);
	tcase_add_loop_test (rows, test_import_row_errors, 0,
			     G_N_ELEMENTS (row_errors));
	tcase_add_test (rows, test_import_unknown_iso_codes);
	tcase_add_test (rows, test_import_email_lists);
	tcase_add_test (rows, test_import_field_lengths);
	tcase_add_test (rows, test_import_currency_change_after_booking);
	tcase_add_test (rows, test_import_instalments_within_invoice);
	tcase_add_test (rows, test_import_report_for_people_and_programs);
	tcase_add_test (rows,
			test_import_report_load_lists_every_rejected_row);
	tcase_add_test (rows, test_import_unknown_columns_named);
	tcase_add_test (rows, test_import_unknown_columns_of_a_profile);
	tcase_add_test (rows,
			test_import_line_numbers_count_quoted_line_breaks);
	tcase_add_loop_test (rows, test_import_escape_controls, 0,
			     G_N_ELEMENTS (escapes));
	tcase_add_test (rows, test_import_reasons_quote_values_on_one_line);
	tcase_add_test (formats, test_import_byte_order_mark_and_crlf);
	tcase_add_test (formats, test_import_case17_semicolons);
	tcase_add_test (formats,
			test_import_case17_decimal_comma_and_day_month);
	tcase_add_test (formats, test_import_case17_bundled_profiles);
	tcase_add_test (formats, test_import_case17_no_declared_format);
	tcase_add_loop_test (files, test_import_refuses_whole_file, 0,
			     G_N_ELEMENTS (refusals));
	tcase_add_test (files, test_import_refuses_symlink);
	tcase_add_test (files, test_import_broken_profile_is_config_error);
	tcase_add_test (files, test_import_profile_missing_column_refused);
	suite_add_tcase (suite, ledger);
	suite_add_tcase (suite, rows);
	suite_add_tcase (suite, formats);
	suite_add_tcase (suite, files);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
