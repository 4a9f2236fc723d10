/*
 * states.c -- transition tables.  See states.h for the machines.
 */
#include "states.h"

#include <string.h>

typedef struct {
	const char *from;
	const char *to;		/* space-separated list */
} Transition;

/*
 * "cancelled" is the operator's (dunspool queue cancel) before hand-off;
 * "superseded" is the planner's when the claim was settled.
 */
static const Transition document_transitions[] = {
	{ "scheduled", "rendered action-required task superseded "
		       "cancelled" },
	{ "rendered", "validated action-required invalid superseded "
		      "cancelled" },
	{ "validated", "ready held superseded cancelled" },
	{ "action-required", "scheduled superseded cancelled" },
	{ "held", "ready superseded cancelled" },
	{ "ready", "dispatched held superseded cancelled" },
	{ "dispatched", "closed" },
	/* A call: a collector's task, closed with the call's outcome. */
	{ "task", "closed superseded cancelled" },
	{ "invalid", "" },
	{ "closed", "" },
	{ "superseded", "" },
	{ "cancelled", "" },
};

static const Transition attempt_transitions[] = {
	{ "queued", "submitting held cancelled" },
	{ "held", "queued cancelled" },
	{ "submitting", "handed-off deferred unknown-outcome failed" },
	{ "deferred", "submitting held cancelled expired" },
	{ "unknown-outcome", "handed-off failed deferred" },
	{ "handed-off", "delivered bounced-soft bounced-hard partial failed "
			"printed cancel-requested" },
	/* Too late: the provider produced it (printed, faxed) anyway. */
	{ "cancel-requested", "cancelled printed delivered partial failed" },
	{ "bounced-soft", "delivered bounced-hard" },
	{ "printed", "posted returned" },
	{ "posted", "delivered-assumed returned notice-left signed" },
	{ "notice-left", "signed unclaimed" },
	{ "unclaimed", "returned" },
	{ "delivered-assumed", "returned" },
	{ "delivered", "" },
	{ "bounced-hard", "" },
	{ "partial", "" },
	{ "failed", "" },
	{ "cancelled", "" },
	{ "expired", "" },
	{ "returned", "" },
	{ "signed", "" },
};

static const Transition batch_transitions[] = {
	{ "created", "printed" },
	{ "printed", "posted" },
	{ "posted", "" },
};

static const Transition *
machine_table (DsMachine machine, gsize *length)
{
	switch (machine) {
	case DS_MACHINE_DOCUMENT:
		*length = G_N_ELEMENTS (document_transitions);
		return document_transitions;
	case DS_MACHINE_ATTEMPT:
		*length = G_N_ELEMENTS (attempt_transitions);
		return attempt_transitions;
	case DS_MACHINE_BATCH:
		*length = G_N_ELEMENTS (batch_transitions);
		return batch_transitions;
	}
	g_assert_not_reached ();
}

static const Transition *
find_state (DsMachine machine, const char *state)
{
	gsize length;
	const Transition *table = machine_table (machine, &length);

	for (gsize i = 0; i < length; i++)
		if (g_strcmp0 (table[i].from, state) == 0)
			return &table[i];
	return NULL;
}

gboolean
ds_state_known (DsMachine machine, const char *state)
{
	return find_state (machine, state) != NULL;
}

gboolean
ds_state_terminal (DsMachine machine, const char *state)
{
	const Transition *entry = find_state (machine, state);

	return entry != NULL && entry->to[0] == '\0';
}

gboolean
ds_state_allowed (DsMachine machine, const char *from, const char *to)
{
	const Transition *entry = find_state (machine, from);
	gsize length = strlen (to);
	const char *p;

	if (entry == NULL || !ds_state_known (machine, to))
		return FALSE;
	for (p = entry->to; (p = strstr (p, to)) != NULL; p += length) {
		gboolean starts = p == entry->to || p[-1] == ' ';
		gboolean ends = p[length] == '\0' || p[length] == ' ';

		if (starts && ends)
			return TRUE;
	}
	return FALSE;
}
