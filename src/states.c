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

/* The states FROM leads to in one step. */
static GStrv
next_states (DsMachine machine, const char *from)
{
	const Transition *entry = find_state (machine, from);

	return g_strsplit (entry != NULL ? entry->to : "", " ", -1);
}

/*
 * Every state some way leads to from FROM, each mapped to the state it
 * is first reached from: breadth first, so along a shortest way.
 */
static GHashTable *
reachable (DsMachine machine, const char *from)
{
	GHashTable *before = g_hash_table_new_full (g_str_hash, g_str_equal,
						    g_free, g_free);
	g_autoptr (GPtrArray) queue = g_ptr_array_new_with_free_func (g_free);

	g_ptr_array_add (queue, g_strdup (from));
	for (guint i = 0; i < queue->len; i++) {
		g_auto (GStrv) next = next_states (machine, queue->pdata[i]);

		for (char **state = next; *state != NULL; state++) {
			if (**state == '\0' || strcmp (*state, from) == 0 ||
			    g_hash_table_contains (before, *state))
				continue;
			g_hash_table_insert (before, g_strdup (*state),
					     g_strdup (queue->pdata[i]));
			g_ptr_array_add (queue, g_strdup (*state));
		}
	}
	return before;
}

DsStateReport
ds_state_judge_report (DsMachine machine, const char *from, const char *to)
{
	g_autoptr (GHashTable) after_to = NULL;

	if (!ds_state_known (machine, from) || !ds_state_known (machine, to))
		return DS_STATE_REPORT_REFUSED;
	if (ds_state_allowed (machine, from, to))
		return DS_STATE_REPORT_MOVES;
	if (strcmp (from, to) == 0 || ds_state_terminal (machine, from))
		return DS_STATE_REPORT_STALE;

	/* Past it: a way leads from TO to where the object is. */
	after_to = reachable (machine, to);
	return g_hash_table_contains (after_to, from) ?
	       DS_STATE_REPORT_STALE : DS_STATE_REPORT_REFUSED;
}

char *
ds_state_refusal (DsMachine machine, const char *from, const char *to)
{
	g_autoptr (GHashTable) before = reachable (machine, from);
	g_autoptr (GPtrArray) skipped = g_ptr_array_new ();
	g_autofree char *list = NULL;

	if (!g_hash_table_contains (before, to))
		return g_strdup_printf ("%s -> %s is not allowed", from, to);
	for (const char *state = g_hash_table_lookup (before, to);
	     strcmp (state, from) != 0;
	     state = g_hash_table_lookup (before, state))
		g_ptr_array_insert (skipped, 0, (gpointer) state);
	if (skipped->len == 0)
		return g_strdup_printf ("%s -> %s is not allowed", from, to);
	g_ptr_array_add (skipped, NULL);
	list = g_strjoinv (", ", (char **) skipped->pdata);
	return g_strdup_printf ("%s -> %s is not allowed: it skips %s", from,
				to, list);
}
