/*
 * calendar.h -- the working days, public holidays and send hours of one
 * creditor entity.
 *
 * A calendar says which dates are working days (a set of weekdays minus
 * the public holidays of a data file) and in which hours of which time
 * zone documents may go out.  The planner takes no step on a day that is
 * not a working day: a step that falls on a weekend or holiday is taken
 * on the next working day, and a printed payment deadline that would
 * fall on one moves to the next working day too (§ 193 BGB, art. 78 CO,
 * and the common-law practice elsewhere).  An entity without a calendar
 * works every day, send hours all day, UTC.
 *
 * Holiday files are CSV, UTF-8: an optional "# comment" line, the header
 * "date,name", then one ISO date and a name per line.  data/holidays/
 * ships DE, FR, GB, US and CH for 2012-2027, written by
 * tools/holidays.py (which says which holidays each file holds).  Dates
 * outside the years a file covers are working days when their weekday
 * is; ds_calendar_covers() tells whether a date was checked.
 *
 * A calendar is immutable once loaded and touches nothing but the file it
 * is loaded from.
 */
#ifndef DS_CALENDAR_H
#define DS_CALENDAR_H

#include <glib.h>

#include "date.h"

G_BEGIN_DECLS

typedef struct _DsCalendar DsCalendar;

/* Every day a working day, no holidays, send hours all day, UTC. */
DsCalendar *ds_calendar_new (void);
void ds_calendar_free (DsCalendar *calendar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsCalendar, ds_calendar_free)

/*
 * Setters, for the configuration.  Working days as "mon;tue;wed;thu;fri"
 * names (a GStrv); a send window "HH:MM-HH:MM" in the calendar's zone;
 * a time zone by its IANA name.  FALSE with the reason in *why (static)
 * when the value is not one.
 */
gboolean ds_calendar_set_working_days (DsCalendar *calendar,
				       char **names, const char **why);
gboolean ds_calendar_set_send_window (DsCalendar *calendar,
				      const char *text, const char **why);
gboolean ds_calendar_set_time_zone (DsCalendar *calendar,
				    const char *identifier,
				    const char **why);

/* Add the holidays of a file; DS_ERROR_CONFIG naming file and line. */
gboolean ds_calendar_load_holidays (DsCalendar *calendar, const char *path,
				    GError **error);

gboolean ds_calendar_is_working_day (const DsCalendar *calendar,
				     DsDate date);

/* The date itself when it is a working day, else the next one. */
DsDate ds_calendar_next_working_day (const DsCalendar *calendar,
				     DsDate date);

/* The holiday's name, or NULL when the date is none. */
const char *ds_calendar_holiday (const DsCalendar *calendar, DsDate date);

/* Whether the holiday data covers the year of `date`. */
gboolean ds_calendar_covers (const DsCalendar *calendar, DsDate date);

/* Whether `instant` lies within the send window, in the calendar's zone
   and on one of its working days. */
gboolean ds_calendar_in_send_window (const DsCalendar *calendar,
				     GDateTime *instant);

G_END_DECLS

#endif
