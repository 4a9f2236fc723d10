/*
 * check_interest.c -- rate tables load strictly, and statutory interest
 * comes out per rate period with the cases' exact values (cases 9, 10).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "ds-error.h"
#include "interest.h"
#include "rates.h"
#include "testutil.h"

static DsRateTables *bundled;

static void
load_bundled (void)
{
	g_autofree char *dir = ds_test_srcpath ("data/rates");
	g_autoptr (GError) error = NULL;

	bundled = ds_rate_tables_load (dir, &error);
	if (bundled == NULL)
		g_error ("%s", error->message);
}

static void
free_bundled (void)
{
	g_clear_pointer (&bundled, ds_rate_tables_free);
}

static DsDate
day (const char *iso)
{
	DsDate date = DS_DATE_NONE;

	if (!ds_date_parse_iso (iso, &date, NULL))
		g_error ("bad test date %s", iso);
	return date;
}

static GPtrArray *
compute (const char *jurisdiction, gboolean b2b, gint64 principal,
	 const char *due, const char *to)
{
	g_autoptr (GError) error = NULL;
	DsInterestRule rule;
	const char *why = NULL;
	GPtrArray *lines;

	ck_assert_msg (ds_interest_rule_statutory (jurisdiction, b2b, &rule,
						   &why), "%s", why);
	lines = ds_interest_compute (&rule, bundled, principal,
				     day (due) + 1, day (due) + 1, day (to),
				     &error);
	ck_assert_msg (lines != NULL, "%s", error ? error->message : "");
	return lines;
}

static void
assert_line (GPtrArray *lines, guint index, const char *from,
	     const char *to, int days, int rate_bp, gint64 amount)
{
	const DsInterestLine *line;
	char text[DS_DATE_ISO_LEN];

	ck_assert_uint_gt (lines->len, index);
	line = lines->pdata[index];
	ds_date_format_iso (line->from, text);
	ck_assert_str_eq (text, from);
	ds_date_format_iso (line->to, text);
	ck_assert_str_eq (text, to);
	ck_assert_int_eq (line->days, days);
	ck_assert_int_eq (line->rate_bp, rate_bp);
	ck_assert_int_eq (line->amount, amount);
}

/* ---- rate tables ---- */

/* § 288 (2) BGB: + 8 points for invoices before 29 July 2014, + 9 after. */
START_TEST (test_interest_de_b2b_margin_by_issue_date)
{
	DsInterestRule before, after;
	const char *why = NULL;

	ck_assert (ds_interest_rule_statutory ("DE", TRUE, &before, &why));
	after = before;
	ds_interest_rule_for_invoice (&before, ds_date_from_ymd (2014, 7, 28));
	ds_interest_rule_for_invoice (&after, ds_date_from_ymd (2014, 7, 29));
	ck_assert_int_eq (before.margin_bp, 800);
	ck_assert_int_eq (after.margin_bp, 900);
	ck_assert_str_eq (before.law, "§ 288 (2) BGB a. F.");
}
END_TEST

START_TEST (test_rates_bundled_values)
{
	static const struct {
		const char *table;
		const char *date;
		int rate_bp;
	} expected[] = {
		/* the cases' German base rates */
		{ DS_RATE_TABLE_DE_BASE, "2023-01-01", 162 },
		{ DS_RATE_TABLE_DE_BASE, "2023-06-30", 162 },
		{ DS_RATE_TABLE_DE_BASE, "2023-07-01", 312 },
		{ DS_RATE_TABLE_DE_BASE, "2024-01-01", 362 },
		{ DS_RATE_TABLE_DE_BASE, "2020-03-01", -88 },
		{ DS_RATE_TABLE_ECB, "2012-01-01", 100 },
		{ DS_RATE_TABLE_ECB, "2024-01-01", 450 },
		{ DS_RATE_TABLE_ECB, "2024-07-01", 425 },
		{ DS_RATE_TABLE_BOE, "2012-01-01", 50 },
		{ DS_RATE_TABLE_BOE, "2023-12-31", 525 },
		{ DS_RATE_TABLE_BOE, "2020-03-19", 10 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (expected); i++) {
		const DsRateTable *table = ds_rate_tables_get (
			bundled, expected[i].table, NULL);
		int rate = 0;

		ck_assert_ptr_nonnull (table);
		ck_assert (ds_rate_table_at (table, day (expected[i].date),
					     &rate, NULL));
		ck_assert_msg (rate == expected[i].rate_bp, "%s on %s: %d",
			       expected[i].table, expected[i].date, rate);
	}
}
END_TEST

START_TEST (test_rates_checked_through_and_changes)
{
	const DsRateTable *table = ds_rate_tables_get (
		bundled, DS_RATE_TABLE_DE_BASE, NULL);
	char text[DS_DATE_ISO_LEN];

	ds_date_format_iso (ds_rate_table_checked_through (table), text);
	ck_assert_str_eq (text, "2026-06-30");
	ds_date_format_iso (ds_rate_table_next_change (table,
						       day ("2023-03-01")),
			    text);
	ck_assert_str_eq (text, "2023-07-01");
}
END_TEST

static const struct {
	const char *text;
	const char *why;
} bad_tables[] = {
	{ "2023-01-01,1.62\n", "header" },
	{ "effective_from,rate_percent\n2023-01-01,1.625\n", "decimals" },
	{ "effective_from,rate_percent\n2023-07-01,1\n2023-01-01,2\n",
	  "increase" },
	{ "effective_from,rate_percent\n01.01.2023,1.62\n", "YYYY-MM-DD" },
	{ "effective_from,rate_percent\n2023-01-01,1,62\n", "expected" },
	{ "effective_from,rate_percent\n2023-01-01,abc\n", "percentage" },
	{ "# checked-through: soon\neffective_from,rate_percent\n"
	  "2023-01-01,1\n", "checked-through" },
	{ "effective_from,rate_percent\n", "no rates" },
};

START_TEST (test_rates_reject_bad_tables)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRateTable) table =
		ds_rate_table_parse ("bad", bad_tables[_i].text, &error);

	ck_assert_ptr_null (table);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	ck_assert_msg (strstr (error->message, bad_tables[_i].why) != NULL,
		       "%s", error->message);
}
END_TEST

START_TEST (test_rates_before_first_row_is_an_error)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRateTable) table = ds_rate_table_parse (
		"t", "effective_from,rate_percent\n2023-01-01,-0.5\n", NULL);
	int rate = 0;

	ck_assert (ds_rate_table_at (table, day ("2023-05-05"), &rate, NULL));
	ck_assert_int_eq (rate, -50);
	ck_assert (!ds_rate_table_at (table, day ("2022-12-31"), &rate,
				      &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
}
END_TEST

START_TEST (test_rates_missing_directory)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRateTables) tables =
		ds_rate_tables_load ("/nonexistent/rates", &error);

	ck_assert_ptr_null (tables);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
}
END_TEST

START_TEST (test_rate_format)
{
	g_autofree char *high = ds_rate_format (1262);
	g_autofree char *negative = ds_rate_format (-88);
	g_autofree char *whole = ds_rate_format (500);

	ck_assert_str_eq (high, "12.62%");
	ck_assert_str_eq (negative, "-0.88%");
	ck_assert_str_eq (whole, "5.00%");
}
END_TEST

/* ---- amounts ---- */

START_TEST (test_interest_amount_rounds_half_up)
{
	gint64 amount = -1;
	g_autoptr (GError) error = NULL;

	/* 18.25 x 10% x 1 / 365 = 0.005 exactly: half a cent goes up */
	ck_assert (ds_interest_amount (1825, 1000, 1, &amount, NULL));
	ck_assert_int_eq (amount, 1);
	ck_assert (ds_interest_amount (1824, 1000, 1, &amount, NULL));
	ck_assert_int_eq (amount, 0);
	ck_assert (ds_interest_amount (100000, 0, 30, &amount, NULL));
	ck_assert_int_eq (amount, 0);
	ck_assert (!ds_interest_amount (G_MAXINT64 / 2, 1200, 400, &amount,
					&error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
}
END_TEST

/* case 9: the base rate changes inside the late period */
START_TEST (test_interest_case9_rate_change)
{
	g_autoptr (GPtrArray) lines =
		compute ("DE", TRUE, 100000, "2023-06-20", "2023-08-31");

	ck_assert_uint_eq (lines->len, 2);
	assert_line (lines, 0, "2023-06-21", "2023-06-30", 10, 1062, 291);
	assert_line (lines, 1, "2023-07-01", "2023-08-31", 62, 1212, 2059);
	ck_assert_ptr_nonnull (strstr (((DsInterestLine *)
		lines->pdata[1])->basis, "base rate 3.12% + 9 points"));
}
END_TEST

/* case 10: paid 30 days late */
START_TEST (test_interest_case10_thirty_days)
{
	g_autoptr (GPtrArray) lines =
		compute ("DE", TRUE, 100000, "2024-03-15", "2024-04-14");

	ck_assert_uint_eq (lines->len, 1);
	assert_line (lines, 0, "2024-03-16", "2024-04-14", 30, 1262, 1037);
}
END_TEST

START_TEST (test_interest_de_consumer_merges_equal_half_years)
{
	/* base rate -0.88% through 2019 and 2020: one period at 4.12% */
	g_autoptr (GPtrArray) lines =
		compute ("DE", FALSE, 100000, "2018-12-31", "2020-12-31");

	ck_assert_uint_eq (lines->len, 1);
	assert_line (lines, 0, "2019-01-01", "2020-12-31", 731, 412, 8251);
}
END_TEST

START_TEST (test_interest_fr_fixed_per_half_year)
{
	/* ECB 2.50% on 2023-01-01, 4.00% on 2023-07-01; + 10 points */
	g_autoptr (GPtrArray) lines =
		compute ("FR", TRUE, 100000, "2023-06-24", "2023-07-05");

	ck_assert_uint_eq (lines->len, 2);
	assert_line (lines, 0, "2023-06-25", "2023-06-30", 6, 1250, 205);
	assert_line (lines, 1, "2023-07-01", "2023-07-05", 5, 1400, 192);
}
END_TEST

START_TEST (test_interest_eu_floor_for_euro_area)
{
	/* Austria: ECB 4.50% on 2024-01-01 + 8 points */
	g_autoptr (GPtrArray) lines =
		compute ("AT", TRUE, 10000, "2024-03-15", "2024-03-27");

	ck_assert_uint_eq (lines->len, 1);
	assert_line (lines, 0, "2024-03-16", "2024-03-27", 12, 1250, 41);
}
END_TEST

START_TEST (test_interest_gb_fixed_for_the_debt)
{
	/* overdue from 2023-07-10: Bank Rate 5.00% on 2023-06-30, kept
	 * into 2024 although the Bank Rate was 5.25% by then */
	g_autoptr (GPtrArray) lines =
		compute ("UK", TRUE, 100000, "2023-07-09", "2024-01-10");

	ck_assert_uint_eq (lines->len, 1);
	assert_line (lines, 0, "2023-07-10", "2024-01-10", 185, 1300, 6589);
	ck_assert_ptr_nonnull (strstr (((DsInterestLine *)
		lines->pdata[0])->basis, "on 2023-06-30"));
}
END_TEST

START_TEST (test_interest_ch_five_percent)
{
	g_autoptr (GPtrArray) lines =
		compute ("CH", FALSE, 100000, "2023-01-31", "2024-01-31");

	ck_assert_uint_eq (lines->len, 1);
	assert_line (lines, 0, "2023-02-01", "2024-01-31", 365, 500, 5000);
}
END_TEST

START_TEST (test_interest_no_statutory_rule)
{
	static const struct {
		const char *jurisdiction;
		gboolean b2b;
	} none[] = {
		{ "US", TRUE }, { "GB", FALSE }, { "FR", FALSE },
		{ "EU", FALSE }, { "JP", TRUE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (none); i++) {
		DsInterestRule rule;
		const char *why = NULL;

		ck_assert (!ds_interest_rule_statutory (none[i].jurisdiction,
							none[i].b2b, &rule,
							&why));
		ck_assert_ptr_nonnull (why);
	}
}
END_TEST

START_TEST (test_interest_contract_rate)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) lines = NULL;
	g_autofree char *text = NULL;
	DsInterestRule rule;

	ds_interest_rule_contract (&rule, 1800);
	lines = ds_interest_compute (&rule, NULL, 50000, day ("2024-01-01"),
				     day ("2024-01-01"), day ("2024-01-10"),
				     &error);
	ck_assert_ptr_nonnull (lines);
	assert_line (lines, 0, "2024-01-01", "2024-01-10", 10, 1800, 247);
	text = ds_interest_rule_describe (&rule);
	ck_assert_ptr_nonnull (strstr (text, "act/365"));
}
END_TEST

START_TEST (test_interest_unchecked_and_too_early)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) late =
		compute ("DE", TRUE, 100000, "2026-06-01", "2026-07-15");
	DsInterestRule rule;
	const char *why;

	ck_assert_uint_eq (late->len, 1);
	ck_assert (((DsInterestLine *) late->pdata[0])->unchecked);
	ck_assert (ds_interest_rule_statutory ("DE", TRUE, &rule, &why));
	ck_assert_ptr_null (ds_interest_compute (&rule, bundled, 100000,
						 day ("2011-01-01"),
						 day ("2011-01-01"),
						 day ("2011-02-01"), &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
}
END_TEST

static Suite *
interest_suite (void)
{
	Suite *suite = suite_create ("interest");
	TCase *rates = tcase_create ("rates");
	TCase *interest = tcase_create ("interest");

	tcase_add_unchecked_fixture (rates, load_bundled, free_bundled);
	tcase_add_test (interest, test_interest_de_b2b_margin_by_issue_date);
	tcase_add_test (rates, test_rates_bundled_values);
	tcase_add_test (rates, test_rates_checked_through_and_changes);
	tcase_add_loop_test (rates, test_rates_reject_bad_tables, 0,
			     G_N_ELEMENTS (bad_tables));
	tcase_add_test (rates, test_rates_before_first_row_is_an_error);
	tcase_add_test (rates, test_rates_missing_directory);
	tcase_add_test (rates, test_rate_format);
	suite_add_tcase (suite, rates);

	tcase_add_unchecked_fixture (interest, load_bundled, free_bundled);
	tcase_add_test (interest, test_interest_amount_rounds_half_up);
	tcase_add_test (interest, test_interest_case9_rate_change);
	tcase_add_test (interest, test_interest_case10_thirty_days);
	tcase_add_test (interest,
			test_interest_de_consumer_merges_equal_half_years);
	tcase_add_test (interest, test_interest_fr_fixed_per_half_year);
	tcase_add_test (interest, test_interest_eu_floor_for_euro_area);
	tcase_add_test (interest, test_interest_gb_fixed_for_the_debt);
	tcase_add_test (interest, test_interest_ch_five_percent);
	tcase_add_test (interest, test_interest_no_statutory_rule);
	tcase_add_test (interest, test_interest_contract_rate);
	tcase_add_test (interest, test_interest_unchecked_and_too_early);
	suite_add_tcase (suite, interest);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (interest_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
