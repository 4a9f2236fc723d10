/*
 * check_money.c -- amounts and dates parse strictly and print exactly.
 */
#include <check.h>
#include <stdlib.h>

#include "date.h"
#include "ds-error.h"
#include "money.h"

static const DsNumberFormat comma_dot = { ',', '.' };

static const struct {
	const char *text;
	const char *currency;
	const DsNumberFormat *format;
	gint64 minor;
} good_amounts[] = {
	{ "1355.90", "EUR", &ds_number_format_plain, 135590 },
	{ "1.355,90", "EUR", &comma_dot, 135590 },	/* case 17 */
	{ "1355,9", "EUR", &comma_dot, 135590 },
	{ "55.94", "USD", &ds_number_format_plain, 5594 },
	{ "-12.5", "EUR", &ds_number_format_plain, -1250 },
	{ "1000", "JPY", &ds_number_format_plain, 1000 },
	{ "0.125", "KWD", &ds_number_format_plain, 125 },
	{ "1.234.567,89", "EUR", &comma_dot, 123456789 },
};

static const struct {
	const char *text;
	const char *currency;
	const DsNumberFormat *format;
} bad_amounts[] = {
	{ "", "EUR", &ds_number_format_plain },
	{ "12.345", "EUR", &ds_number_format_plain },
	{ "1,355.90", "EUR", &ds_number_format_plain },
	{ "13.55,90", "EUR", &comma_dot },
	{ "12.", "EUR", &ds_number_format_plain },
	{ "1e3", "EUR", &ds_number_format_plain },
	{ "12.5", "JPY", &ds_number_format_plain },
	{ "99999999999999999999", "EUR", &ds_number_format_plain },
	{ "abc", "EUR", &ds_number_format_plain },
};

START_TEST (test_money_parse_good)
{
	g_autoptr (GError) error = NULL;
	gint64 minor = 0;

	ck_assert_msg (ds_money_parse (good_amounts[_i].text,
				       good_amounts[_i].currency,
				       good_amounts[_i].format, &minor,
				       &error),
		       "%s: %s", good_amounts[_i].text,
		       error ? error->message : "");
	ck_assert_int_eq (minor, good_amounts[_i].minor);
}
END_TEST

START_TEST (test_money_parse_bad)
{
	g_autoptr (GError) error = NULL;
	gint64 minor = 0;

	ck_assert_msg (!ds_money_parse (bad_amounts[_i].text,
					bad_amounts[_i].currency,
					bad_amounts[_i].format, &minor,
					&error),
		       "accepted \"%s\"", bad_amounts[_i].text);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
}
END_TEST

/* A decimal-comma amount in a decimal-point file is named as such,
 * not as "more decimals than the currency". */
START_TEST (test_money_parse_other_format_named)
{
	g_autoptr (GError) error = NULL;
	gint64 minor = 0;

	ck_assert (!ds_money_parse ("1.355,90", "EUR",
				    &ds_number_format_plain, &minor, &error));
	ck_assert_str_eq (error->message,
			  "amount \"1.355,90\": not a number in this "
			  "file's format (decimal mark '.', no thousands "
			  "separator)");
}
END_TEST

START_TEST (test_money_format)
{
	g_autofree char *plain = ds_money_to_decimal (135590, "EUR");
	g_autofree char *german = ds_money_format (123456789, "EUR",
						   &comma_dot);
	g_autofree char *negative = ds_money_to_decimal (-5, "EUR");
	g_autofree char *yen = ds_money_to_decimal (1000, "JPY");

	ck_assert_str_eq (plain, "1355.90");
	ck_assert_str_eq (german, "1.234.567,89");
	ck_assert_str_eq (negative, "-0.05");
	ck_assert_str_eq (yen, "1000");
}
END_TEST

START_TEST (test_date_formats)
{
	g_autoptr (GError) error = NULL;
	DsDate dmy, mdy, iso;
	char text[DS_DATE_ISO_LEN];

	/* case 17: "03/04/2024" is 3 April under a D/M/Y profile */
	ck_assert (ds_date_parse ("03/04/2024", "D/M/YYYY", &dmy, NULL));
	ds_date_format_iso (dmy, text);
	ck_assert_str_eq (text, "2024-04-03");
	ck_assert (ds_date_parse ("1/26/2013", "M/D/YYYY", &mdy, NULL));
	ds_date_format_iso (mdy, text);
	ck_assert_str_eq (text, "2013-01-26");
	ck_assert (ds_date_parse_iso ("2024-02-29", &iso, NULL));
	ck_assert_int_eq ((gint64) iso - (gint64) dmy, -34);

	ck_assert (!ds_date_parse_iso ("2023-02-29", &iso, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	ck_assert (!ds_date_parse_iso ("03/04/2024", &iso, NULL));
	ck_assert (!ds_date_parse_iso ("2024-1-5", &iso, NULL));
	ck_assert (!ds_date_parse ("13/13/2024", "D/M/YYYY", &iso, NULL));
	ck_assert (!ds_date_parse ("", "D/M/YYYY", &iso, NULL));
}
END_TEST

static Suite *
money_suite (void)
{
	Suite *suite = suite_create ("money");
	TCase *tc = tcase_create ("core");

	tcase_add_loop_test (tc, test_money_parse_good, 0,
			     G_N_ELEMENTS (good_amounts));
	tcase_add_loop_test (tc, test_money_parse_bad, 0,
			     G_N_ELEMENTS (bad_amounts));
	tcase_add_test (tc, test_money_parse_other_format_named);
	tcase_add_test (tc, test_money_format);
	tcase_add_test (tc, test_date_formats);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (money_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
