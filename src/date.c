/*
 * date.c -- strict calendar dates.  See date.h.
 */
#include "date.h"

#include <string.h>

#include "ds-error.h"

DsDate
ds_date_from_ymd (int year, int month, int day)
{
	if (!g_date_valid_dmy (day, month, year))
		return DS_DATE_NONE;
	g_autoptr (GDate) date = g_date_new_dmy (day, month, year);
	return g_date_get_julian (date);
}

void
ds_date_to_ymd (DsDate date, int *year, int *month, int *day)
{
	g_autoptr (GDate) gdate = g_date_new_julian (date);

	*year = g_date_get_year (gdate);
	*month = g_date_get_month (gdate);
	*day = g_date_get_day (gdate);
}

void
ds_date_format_iso (DsDate date, char out[DS_DATE_ISO_LEN])
{
	int year, month, day;

	if (date == DS_DATE_NONE) {
		out[0] = '\0';
		return;
	}
	ds_date_to_ymd (date, &year, &month, &day);
	g_snprintf (out, DS_DATE_ISO_LEN, "%04d-%02d-%02d", year, month, day);
}

char *
ds_date_to_iso (DsDate date)
{
	char out[DS_DATE_ISO_LEN];

	ds_date_format_iso (date, out);
	return g_strdup (out);
}

/*
 * Read a run of digits for one date field: at least `min` and at most
 * `max` of them.  Returns the position after the run, or NULL.
 */
static const char *
read_field (const char *p, int min, int max, int *value)
{
	int count = 0;

	*value = 0;
	while (g_ascii_isdigit (*p) && count < max) {
		*value = *value * 10 + (*p++ - '0');
		count++;
	}
	if (count < min || g_ascii_isdigit (*p))
		return NULL;
	return p;
}

gboolean
ds_date_parse (const char *text, const char *format, DsDate *date,
	       GError **error)
{
	int year = 0, month = 0, day = 0;
	const char *p = text;
	const char *f = format;

	if (text == NULL || *text == '\0') {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "empty date");
		return FALSE;
	}
	while (*f != '\0' && p != NULL) {
		if (g_str_has_prefix (f, "YYYY")) {
			p = read_field (p, 4, 4, &year);
			f += 4;
		} else if (*f == 'M' || *f == 'D') {
			gboolean two = f[1] == f[0];
			int *field = *f == 'M' ? &month : &day;

			p = read_field (p, two ? 2 : 1, 2, field);
			f += two ? 2 : 1;
		} else if (*p == *f) {
			p++;
			f++;
		} else {
			p = NULL;
		}
	}
	if (p == NULL || *p != '\0' || *f != '\0') {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "date \"%s\" does not match the format %s",
			     text, format);
		return FALSE;
	}
	*date = ds_date_from_ymd (year, month, day);
	if (year < DS_DATE_MIN_YEAR || year > DS_DATE_MAX_YEAR) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "date \"%s\": year outside %d-%d", text,
			     DS_DATE_MIN_YEAR, DS_DATE_MAX_YEAR);
		return FALSE;
	}
	if (*date == DS_DATE_NONE) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "date \"%s\": no such day", text);
		return FALSE;
	}
	return TRUE;
}

gboolean
ds_date_parse_iso (const char *text, DsDate *date, GError **error)
{
	return ds_date_parse (text, "YYYY-MM-DD", date, error);
}

DsDate
ds_date_today_utc (void)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

	return ds_date_from_ymd (g_date_time_get_year (now),
				 g_date_time_get_month (now),
				 g_date_time_get_day_of_month (now));
}

char *
ds_time_now_utc_iso (void)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

	return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}
