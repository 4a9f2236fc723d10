/*
 * agenda.h -- the collectors' daily worklist (DESIGN section 6).
 *
 * The tasks that need a person, as of a date:
 *
 *   promise    a promise to pay whose date passed within the last
 *              settings.promise_days while what it covered is still
 *              open (the invoice it names, or else the customer's
 *              invoices due by the promised date): call about it;
 *   returned   an open task from channel feedback, such as a returned
 *              letter with no other address (feedback.h);
 *   dispute    an invoice under a dispute open on the date;
 *   call       an open call task of a strategy's call step (planner.h)
 *              planned on the date or before, worth what is still open
 *              on the date of the invoices it lists, disputed ones
 *              aside (none: not listed); noted "no phone number" when
 *              the customer has none on file.
 *
 * A task stored in the tasks table (returned, call) carries its task id,
 * with which the collector closes it (ds_feedback_close_task).
 *
 * Each task is worth its amount at stake times the share of it that
 * such a task is expected to bring in (settings.yield), over the minutes
 * it takes (settings.minutes).  Each collector's list is ordered by that
 * expected cash per minute, riskiest amounts first on a tie, and cut at
 * the collector's capacity in minutes: a task that does not fit in what
 * is left is cut, and a smaller one after it may still fit.  A customer
 * with no collector goes to "unassigned".
 *
 * Settings, from the optional groups of dunspool.conf:
 *   [agenda]      capacity = 240   promise_days = 30
 *                 minutes_promise = 10  minutes_returned = 15
 *                 minutes_dispute = 20  minutes_call = 10
 *                 yield_promise = 0.5   yield_returned = 0.3
 *                 yield_dispute = 0.25  yield_call = 0.2
 *   [collectors]  NAME = MINUTES   (a day's capacity per collector)
 *
 * XXX: amounts of several currencies are compared as numbers.
 */
#ifndef DS_AGENDA_H
#define DS_AGENDA_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "config.h"
#include "date.h"
#include "instance.h"

G_BEGIN_DECLS

typedef enum {
	DS_AGENDA_PROMISE,
	DS_AGENDA_RETURNED,
	DS_AGENDA_DISPUTE,
	DS_AGENDA_CALL,
	DS_AGENDA_KIND_COUNT
} DsAgendaKind;

const char *ds_agenda_kind_name (DsAgendaKind kind);

typedef struct {
	int capacity;		/* minutes, for collectors not listed */
	int promise_days;
	int minutes[DS_AGENDA_KIND_COUNT];
	double yield[DS_AGENDA_KIND_COUNT];
	GHashTable *capacities;	/* collector -> GINT_TO_POINTER (minutes) */
} DsAgendaSettings;

void ds_agenda_settings_init (DsAgendaSettings *settings);
gboolean ds_agenda_settings_load (const DsConfig *config,
				  DsAgendaSettings *settings, GError **error);
void ds_agenda_settings_clear (DsAgendaSettings *settings);
int ds_agenda_capacity (const DsAgendaSettings *settings,
			const char *collector);

typedef struct {
	DsAgendaKind kind;
	char *collector;
	char *customer_id;
	char *subject;		/* invoice, trace or promise id */
	char *currency;
	gint64 amount;		/* at stake, minor units */
	DsDate since;		/* when it arose */
	int minutes;
	double cash_per_minute;	/* expected, minor units */
	gint64 task_id;		/* in the tasks table; 0: not stored */
	char *note;		/* such as "no phone number"; NULL */
} DsAgendaTask;

DsAgendaTask *ds_agenda_task_new (DsAgendaKind kind, const char *collector,
				  const char *customer_id,
				  const char *subject, const char *currency,
				  gint64 amount, DsDate since);
void ds_agenda_task_free (DsAgendaTask *task);

typedef struct {
	char *collector;
	int capacity;
	int minutes;		/* taken by the tasks kept */
	GPtrArray *tasks;	/* DsAgendaTask kept, in order */
	GPtrArray *cut;		/* DsAgendaTask over capacity, in order */
} DsAgendaList;

typedef struct {
	DsDate date;
	GPtrArray *lists;	/* DsAgendaList by collector name */
} DsAgenda;

void ds_agenda_free (DsAgenda *agenda);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsAgenda, ds_agenda_free)

/* Every task open on `date`: a GPtrArray of DsAgendaTask. */
GPtrArray *ds_agenda_collect (DsInstance *instance,
			      const DsAgendaSettings *settings, DsDate date,
			      GError **error);

/*
 * Value, order and cut `tasks` (taken over) into one list per collector;
 * only `collector`'s when not NULL.
 */
DsAgenda *ds_agenda_plan (const DsAgendaSettings *settings,
			  GPtrArray *tasks, DsDate date,
			  const char *collector);

/* `dunspool agenda`: collect and plan for the instance. */
DsAgenda *ds_agenda_build (DsInstance *instance, DsDate date,
			   const char *collector, GError **error);

void ds_agenda_print (const DsAgenda *agenda, FILE *out);
JsonNode *ds_agenda_to_json (const DsAgenda *agenda);

G_END_DECLS

#endif
