/*
 * calendar.c -- working days, holidays and send hours.  See calendar.h.
 */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

#include "ds-error.h"

struct _DsCalendar {
	gboolean working[7];		/* Monday first */
	GHashTable *holidays;		/* DsDate -> name */
	int first_year;			/* covered by the data; 0: none */
	int last_year;
	int window_start;		/* minutes after midnight */
	int window_end;			/* exclusive */
	GTimeZone *zone;
};

static const char *const weekday_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

DsCalendar *
ds_calendar_new (void)
{
	DsCalendar *calendar = g_new0 (DsCalendar, 1);

	for (int i = 0; i < 7; i++)
		calendar->working[i] = TRUE;
	calendar->holidays = g_hash_table_new_full (g_direct_hash,
						    g_direct_equal, NULL,
						    g_free);
	calendar->window_end = 24 * 60;
	calendar->zone = g_time_zone_new_utc ();
	return calendar;
}

void
ds_calendar_free (DsCalendar *calendar)
{
	if (calendar == NULL)
		return;
	g_hash_table_unref (calendar->holidays);
	g_time_zone_unref (calendar->zone);
	g_free (calendar);
}

gboolean
ds_calendar_set_working_days (DsCalendar *calendar, char **names,
			      const char **why)
{
	gboolean working[7] = { FALSE };
	int count = 0;

	for (int i = 0; names != NULL && names[i] != NULL; i++) {
		g_autofree char *name = g_strstrip (g_strdup (names[i]));
		int day = -1;

		for (int j = 0; j < 7; j++)
			if (g_ascii_strcasecmp (name, weekday_names[j]) == 0)
				day = j;
		if (day < 0) {
			*why = "days are mon, tue, wed, thu, fri, sat, sun";
			return FALSE;
		}
		count += !working[day];
		working[day] = TRUE;
	}
	if (count == 0) {
		*why = "at least one working day is needed";
		return FALSE;
	}
	memcpy (calendar->working, working, sizeof working);
	return TRUE;
}

static gboolean
parse_minutes (const char *text, int *minutes)
{
	unsigned hour, minute;
	char extra;

	if (sscanf (text, "%2u:%2u%c", &hour, &minute, &extra) != 2 ||
	    hour > 24 || minute > 59 || (hour == 24 && minute > 0))
		return FALSE;
	*minutes = hour * 60 + minute;
	return TRUE;
}

gboolean
ds_calendar_set_send_window (DsCalendar *calendar, const char *text,
			     const char **why)
{
	g_auto (GStrv) parts = g_strsplit (text, "-", 3);
	int start, end;

	if (g_strv_length (parts) != 2 ||
	    !parse_minutes (g_strstrip (parts[0]), &start) ||
	    !parse_minutes (g_strstrip (parts[1]), &end) || start >= end) {
		*why = "must be HH:MM-HH:MM, the start before the end";
		return FALSE;
	}
	calendar->window_start = start;
	calendar->window_end = end;
	return TRUE;
}

gboolean
ds_calendar_set_time_zone (DsCalendar *calendar, const char *identifier,
			   const char **why)
{
	GTimeZone *zone = g_time_zone_new_identifier (identifier);

	if (zone == NULL) {
		*why = "not a time zone this system knows (IANA name)";
		return FALSE;
	}
	g_time_zone_unref (calendar->zone);
	calendar->zone = zone;
	return TRUE;
}

static gboolean
holiday_fail (GError **error, const char *path, int line, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s:%d: %s", path,
		     line, why);
	return FALSE;
}

static gboolean
add_holiday_line (DsCalendar *calendar, const char *path, int number,
		  const char *line, GError **error)
{
	const char *comma = strchr (line, ',');
	g_autofree char *date_text = NULL;
	DsDate date;
	int year, month, day;

	if (comma == NULL || comma[1] == '\0')
		return holiday_fail (error, path, number,
				     "expected DATE,NAME");
	date_text = g_strndup (line, comma - line);
	if (!ds_date_parse_iso (date_text, &date, NULL))
		return holiday_fail (error, path, number,
				     "not an ISO date (YYYY-MM-DD)");
	ds_date_to_ymd (date, &year, &month, &day);
	if (calendar->first_year == 0 || year < calendar->first_year)
		calendar->first_year = year;
	calendar->last_year = MAX (calendar->last_year, year);
	g_hash_table_replace (calendar->holidays, GUINT_TO_POINTER (date),
			      g_strdup (comma + 1));
	return TRUE;
}

gboolean
ds_calendar_load_holidays (DsCalendar *calendar, const char *path,
			   GError **error)
{
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	gboolean header = FALSE;

	g_autoptr (GError) local = NULL;

	if (!g_file_get_contents (path, &contents, NULL, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "holidays: %s", local->message);
		return FALSE;
	}
	lines = g_strsplit (contents, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);

		if (*line == '\0' || *line == '#')
			continue;
		if (!header) {
			if (strcmp (line, "date,name") != 0)
				return holiday_fail (error, path, i + 1,
					"the header must be \"date,name\"");
			header = TRUE;
			continue;
		}
		if (!add_holiday_line (calendar, path, i + 1, line, error))
			return FALSE;
	}
	return TRUE;
}

/* Day 1 (0001-01-01) was a Monday. */
static int
weekday (DsDate date)
{
	return (int) ((date - 1) % 7);
}

const char *
ds_calendar_holiday (const DsCalendar *calendar, DsDate date)
{
	return g_hash_table_lookup (calendar->holidays,
				    GUINT_TO_POINTER (date));
}

gboolean
ds_calendar_is_working_day (const DsCalendar *calendar, DsDate date)
{
	return calendar->working[weekday (date)] &&
	       ds_calendar_holiday (calendar, date) == NULL;
}

DsDate
ds_calendar_next_working_day (const DsCalendar *calendar, DsDate date)
{
	/* At least one weekday works, and no year is all holidays. */
	while (!ds_calendar_is_working_day (calendar, date))
		date++;
	return date;
}

gboolean
ds_calendar_covers (const DsCalendar *calendar, DsDate date)
{
	int year, month, day;

	ds_date_to_ymd (date, &year, &month, &day);
	return calendar->first_year != 0 && year >= calendar->first_year &&
	       year <= calendar->last_year;
}

gboolean
ds_calendar_in_send_window (const DsCalendar *calendar, GDateTime *instant)
{
	g_autoptr (GDateTime) local = g_date_time_to_timezone (
		instant, calendar->zone);
	int minutes = g_date_time_get_hour (local) * 60 +
		      g_date_time_get_minute (local);
	DsDate date = ds_date_from_ymd (g_date_time_get_year (local),
					g_date_time_get_month (local),
					g_date_time_get_day_of_month (local));

	return ds_calendar_is_working_day (calendar, date) &&
	       minutes >= calendar->window_start &&
	       minutes < calendar->window_end;
}
