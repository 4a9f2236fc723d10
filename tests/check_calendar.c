/*
 * check_calendar.c -- working days, the shipped holiday data (Easter
 * and its movable feasts, substitute and observed days), send windows.
 */
#include <check.h>
#include <stdlib.h>

#include "calendar.h"
#include "testutil.h"

static DsDate
day (const char *iso)
{
	DsDate date;

	ck_assert (ds_date_parse_iso (iso, &date, NULL));
	return date;
}

static DsCalendar *
load (const char *country)
{
	g_autofree char *relative = g_strdup_printf ("data/holidays/%s.csv",
						     country);
	g_autofree char *path = ds_test_srcpath (relative);
	g_autoptr (GError) error = NULL;
	DsCalendar *calendar = ds_calendar_new ();
	char *mon_fri[] = { "mon", "tue", "wed", "thu", "fri", NULL };
	const char *why = NULL;

	ck_assert (ds_calendar_set_working_days (calendar, mon_fri, &why));
	ck_assert_msg (ds_calendar_load_holidays (calendar, path, &error),
		       "%s", error ? error->message : "");
	return calendar;
}

static const struct {
	const char *country;
	const char *date;
	gboolean holiday;
} holidays[] = {
	/* Easter Sunday 2012-04-08, 2019-04-21, 2024-03-31, 2027-03-28 */
	{ "DE", "2012-04-06", TRUE }, { "DE", "2012-04-09", TRUE },
	{ "DE", "2019-04-19", TRUE }, { "DE", "2019-05-30", TRUE },
	{ "DE", "2024-03-29", TRUE }, { "DE", "2024-05-20", TRUE },
	{ "DE", "2027-03-26", TRUE }, { "DE", "2017-10-31", TRUE },
	{ "DE", "2018-10-31", FALSE }, { "DE", "2024-04-02", FALSE },
	{ "FR", "2024-05-08", TRUE }, { "FR", "2024-05-09", TRUE },
	{ "FR", "2024-03-29", FALSE }, { "FR", "2024-07-14", TRUE },
	{ "GB", "2012-06-05", TRUE }, { "GB", "2012-05-28", FALSE },
	{ "GB", "2020-05-08", TRUE }, { "GB", "2022-09-19", TRUE },
	{ "GB", "2022-12-27", TRUE }, { "GB", "2023-05-08", TRUE },
	{ "US", "2021-12-31", TRUE }, { "US", "2024-11-28", TRUE },
	{ "US", "2020-06-19", FALSE }, { "US", "2021-06-18", TRUE },
	{ "CH", "2024-08-01", TRUE }, { "CH", "2024-01-02", TRUE },
	{ "CH", "2024-05-09", TRUE },
};

START_TEST (test_calendar_shipped_holidays)
{
	g_autoptr (DsCalendar) calendar = load (holidays[_i].country);
	DsDate date = day (holidays[_i].date);

	ck_assert_msg ((ds_calendar_holiday (calendar, date) != NULL) ==
		       holidays[_i].holiday, "%s %s", holidays[_i].country,
		       holidays[_i].date);
	ck_assert (ds_calendar_covers (calendar, date));
}
END_TEST

START_TEST (test_calendar_next_working_day_skips_weekend_and_holiday)
{
	g_autoptr (DsCalendar) calendar = load ("DE");

	/* Good Friday 2024-03-29, weekend, Easter Monday: Tuesday */
	ck_assert_uint_eq (ds_calendar_next_working_day (calendar,
		day ("2024-03-29")), day ("2024-04-02"));
	ck_assert_uint_eq (ds_calendar_next_working_day (calendar,
		day ("2024-06-15")), day ("2024-06-17"));
	ck_assert_uint_eq (ds_calendar_next_working_day (calendar,
		day ("2024-06-14")), day ("2024-06-14"));
	ck_assert (!ds_calendar_covers (calendar, day ("2030-01-01")));
}
END_TEST

START_TEST (test_calendar_send_window_in_its_zone)
{
	g_autoptr (DsCalendar) calendar = load ("DE");
	g_autoptr (GDateTime) early = g_date_time_new_utc (2024, 6, 14, 5,
							    30, 0);
	g_autoptr (GDateTime) open = g_date_time_new_utc (2024, 6, 14, 6,
							   30, 0);
	g_autoptr (GDateTime) saturday = g_date_time_new_utc (2024, 6, 15,
							       9, 0, 0);
	const char *why = NULL;

	ck_assert (ds_calendar_set_time_zone (calendar, "Europe/Berlin",
					      &why));
	ck_assert (ds_calendar_set_send_window (calendar, "08:00-18:00",
						&why));
	ck_assert (!ds_calendar_in_send_window (calendar, early));
	ck_assert (ds_calendar_in_send_window (calendar, open));
	ck_assert (!ds_calendar_in_send_window (calendar, saturday));
	ck_assert (!ds_calendar_set_send_window (calendar, "18:00-08:00",
						 &why));
	ck_assert (!ds_calendar_set_time_zone (calendar, "Mars/Olympus",
					       &why));
}
END_TEST

START_TEST (test_calendar_bad_file_names_line)
{
	g_autofree char *directory = ds_test_tmpdir ();
	g_autofree char *path = ds_test_write (directory, "X.csv",
		"date,name\n2024-01-01,New Year\n2024-13-01,Nothing\n");
	g_autoptr (DsCalendar) calendar = ds_calendar_new ();
	g_autoptr (GError) error = NULL;

	ck_assert (!ds_calendar_load_holidays (calendar, path, &error));
	ck_assert_msg (g_str_has_suffix (error->message,
		       "X.csv:3: not an ISO date (YYYY-MM-DD)"), "%s",
		       error->message);
	ds_test_rmtree (directory);
}
END_TEST

static Suite *
calendar_suite (void)
{
	Suite *suite = suite_create ("calendar");
	TCase *tc = tcase_create ("core");

	tcase_add_loop_test (tc, test_calendar_shipped_holidays, 0,
			     G_N_ELEMENTS (holidays));
	tcase_add_test (tc,
		test_calendar_next_working_day_skips_weekend_and_holiday);
	tcase_add_test (tc, test_calendar_send_window_in_its_zone);
	tcase_add_test (tc, test_calendar_bad_file_names_line);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (calendar_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
