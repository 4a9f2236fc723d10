/*
 * date.h -- calendar dates and UTC times.
 *
 * A DsDate is a calendar date with no time and no zone, held as the day
 * number GDate uses (day 1 is 0001-01-01), so that adding days and
 * subtracting dates is integer arithmetic.  0 means "no date"; functions
 * that need a date reject it.  Parsing is strict and never guesses: a text
 * that does not match the declared format, or a day that does not exist,
 * is an error naming the text.  Times are always UTC.
 */
#ifndef DS_DATE_H
#define DS_DATE_H

#include <glib.h>

G_BEGIN_DECLS

typedef guint32 DsDate;

#define DS_DATE_NONE ((DsDate) 0)
#define DS_DATE_ISO_LEN 11	/* "YYYY-MM-DD" and its NUL */

/*
 * The years a parsed date may have.  Receivables live in decades, not
 * millennia: a year outside this range is a typing error, and refusing
 * it keeps every date plus any offset dunspool adds a four-digit year.
 */
#define DS_DATE_MIN_YEAR 1900
#define DS_DATE_MAX_YEAR 2199

/*
 * Date formats a mapping profile may declare.  "YYYY-MM-DD", "D/M/YYYY",
 * "M/D/YYYY", "D.M.YYYY"; D and M take one or two digits, DD and MM two.
 */
gboolean ds_date_parse (const char *text, const char *format, DsDate *date,
			GError **error);
gboolean ds_date_parse_iso (const char *text, DsDate *date, GError **error);

DsDate ds_date_from_ymd (int year, int month, int day);
void ds_date_to_ymd (DsDate date, int *year, int *month, int *day);
void ds_date_format_iso (DsDate date, char out[DS_DATE_ISO_LEN]);
char *ds_date_to_iso (DsDate date);

/* The date of a UTC instant, and today's UTC date. */
DsDate ds_date_today_utc (void);

/* "2026-12-03T18:37:39Z" for the journal and logs; seconds precision. */
char *ds_time_now_utc_iso (void);

G_END_DECLS

#endif
