/*
 * queue.c -- hold, release, requeue, cancel, flush.  See queue.h.
 *
 * Hold, release and cancel are tables: for the document and for each
 * attempt, the state an object in a given state moves to.  Requeue,
 * reconcile and flush make new attempts and have their own functions.
 */
#define G_LOG_DOMAIN "dunspool-queue"

#include "queue.h"

#include <string.h>

#include "document.h"
#include "ds-error.h"
#include "states.h"

typedef struct {
	const char *from;
	const char *to;
} QueueRule;

typedef struct {
	const char *name;
	const QueueRule *document;
	gsize n_document;
	const QueueRule *attempt;
	gsize n_attempt;
} QueueRules;

static const QueueRule hold_document[] = {
	{ "validated", "held" }, { "ready", "held" },
};
static const QueueRule hold_attempt[] = {
	{ "queued", "held" }, { "deferred", "held" },
};
static const QueueRule release_document[] = {
	{ "held", "ready" },
};
static const QueueRule release_attempt[] = {
	{ "held", "queued" },
};
static const QueueRule cancel_document[] = {
	{ "scheduled", "cancelled" }, { "rendered", "cancelled" },
	{ "validated", "cancelled" }, { "ready", "cancelled" },
	{ "held", "cancelled" }, { "action-required", "cancelled" },
};
static const QueueRule cancel_attempt[] = {
	{ "queued", "cancelled" }, { "held", "cancelled" },
	{ "deferred", "cancelled" }, { "handed-off", "cancel-requested" },
};

#define RULES(name, document, attempt) \
	{ name, document, G_N_ELEMENTS (document), attempt, \
	  G_N_ELEMENTS (attempt) }

static const QueueRules queue_rules[] = {
	[DS_QUEUE_HOLD] = RULES ("hold", hold_document, hold_attempt),
	[DS_QUEUE_RELEASE] = RULES ("release", release_document,
				    release_attempt),
	[DS_QUEUE_REQUEUE] = { "requeue", NULL, 0, NULL, 0 },
	[DS_QUEUE_CANCEL] = RULES ("cancel", cancel_document,
				   cancel_attempt),
	[DS_QUEUE_RECONCILE] = { "reconcile", NULL, 0, NULL, 0 },
};

gboolean
ds_queue_action_from_name (const char *name, DsQueueAction *action)
{
	for (gsize i = 0; i < G_N_ELEMENTS (queue_rules); i++)
		if (g_strcmp0 (queue_rules[i].name, name) == 0) {
			*action = (DsQueueAction) i;
			return TRUE;
		}
	return FALSE;
}

static const char *
rule_target (const QueueRule *rules, gsize n_rules, const char *from)
{
	for (gsize i = 0; i < n_rules; i++)
		if (strcmp (rules[i].from, from) == 0)
			return rules[i].to;
	return NULL;
}

/* An e-mail the relay has cannot be called back. */
static gboolean
recallable (const DsAttempt *attempt, const char *to)
{
	return !(attempt->channel == DS_CHANNEL_EMAIL &&
		 g_strcmp0 (to, "cancel-requested") == 0);
}

static gboolean
apply_rules (DsStore *store, const DsDocument *document,
	     GPtrArray *attempts, const QueueRules *rules,
	     const char *evidence, guint *changed, GError **error)
{
	const char *to = rule_target (rules->document, rules->n_document,
				      document->state);

	if (to != NULL) {
		if (!ds_document_move (store, document->trace_id, to,
				       rules->name, evidence, error))
			return FALSE;
		(*changed)++;
	}
	for (guint i = 0; i < attempts->len; i++) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);

		to = rule_target (rules->attempt, rules->n_attempt,
				  attempt->state);
		if (to == NULL || !recallable (attempt, to))
			continue;
		if (!ds_attempt_move (store, attempt->attempt_id, to,
				      evidence, error))
			return FALSE;
		(*changed)++;
	}
	return TRUE;
}

static gboolean
requeue_allowed (const char *state)
{
	static const char *const states[] = {
		"deferred", "failed", "expired", "bounced-hard", "returned",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
		if (strcmp (state, states[i]) == 0)
			return TRUE;
	return FALSE;
}

/* The last attempt again, as a new one; a deferred one is retired. */
static gboolean
requeue (DsStore *store, GPtrArray *attempts, const char *evidence,
	 guint *changed, GError **error)
{
	DsAttempt *last;
	gint64 attempt_id;

	if (attempts->len == 0)
		return TRUE;
	last = g_ptr_array_index (attempts, attempts->len - 1);
	if (!requeue_allowed (last->state))
		return TRUE;
	if (strcmp (last->state, "deferred") == 0) {
		g_autofree char *why = g_strdup_printf ("requeued: %s",
							evidence);

		if (!ds_attempt_move (store, last->attempt_id, "cancelled",
				      why, error))
			return FALSE;
		(*changed)++;
	}
	if (!ds_attempt_create (store, last->trace_id, last->channel,
				last->driver, &attempt_id, error))
		return FALSE;
	(*changed)++;
	return TRUE;
}

/* Checked with the provider: the unknown outcome did not go out. */
static gboolean
reconcile (DsStore *store, GPtrArray *attempts, const char *evidence,
	   guint *changed, GError **error)
{
	for (guint i = 0; i < attempts->len; i++) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);
		g_autofree char *why = NULL;
		gint64 attempt_id;

		if (strcmp (attempt->state, "unknown-outcome") != 0)
			continue;
		why = g_strdup_printf ("not delivered, by the operator: %s",
				       evidence);
		if (!ds_attempt_move (store, attempt->attempt_id, "failed",
				      why, error) ||
		    !ds_attempt_create (store, attempt->trace_id,
					attempt->channel, attempt->driver,
					&attempt_id, error))
			return FALSE;
		*changed += 2;
	}
	return TRUE;
}

static char *
describe (const DsDocument *document, GPtrArray *attempts)
{
	GString *text = g_string_new (NULL);

	g_string_append_printf (text, "document is %s", document->state);
	for (guint i = 0; i < attempts->len; i++) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);

		g_string_append_printf (text, ", attempt %" G_GINT64_FORMAT
					" (%s) is %s", attempt->attempt_id,
					ds_channel_name (attempt->channel),
					attempt->state);
	}
	return g_string_free (text, FALSE);
}

gboolean
ds_queue_act (DsInstance *instance, const char *trace_id,
	      DsQueueAction action, const char *reason, guint *changed,
	      GError **error)
{
	DsStore *store = instance->store;
	const QueueRules *rules = &queue_rules[action];
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   error);
	g_autoptr (GPtrArray) attempts = NULL;
	g_autofree char *evidence = g_strdup_printf ("%s: %s", rules->name,
						     reason ? reason :
						     "by the operator");
	guint moved = 0;
	gboolean ok = FALSE;

	if (document == NULL)
		return FALSE;
	attempts = ds_attempt_list_for_trace (store, trace_id, error);
	if (attempts == NULL || !ds_store_begin (store, error))
		return FALSE;
	switch (action) {
	case DS_QUEUE_REQUEUE:
		if (strcmp (document->state, "action-required") == 0) {
			/* fixed by the operator: produce it again */
			ok = ds_document_move (store, trace_id, "scheduled",
					       "requeued", evidence, error);
			moved += ok;
			break;
		}
		ok = requeue (store, attempts, evidence, &moved, error);
		break;
	case DS_QUEUE_RECONCILE:
		ok = reconcile (store, attempts, evidence, &moved, error);
		break;
	case DS_QUEUE_HOLD:
	case DS_QUEUE_RELEASE:
	case DS_QUEUE_CANCEL:
		ok = apply_rules (store, document, attempts, rules, evidence,
				  &moved, error);
		break;
	}
	if (!ok) {
		ds_store_rollback (store);
		return FALSE;
	}
	if (!ds_store_commit (store, error))
		return FALSE;
	if (changed != NULL)
		*changed = moved;
	if (moved == 0) {
		g_autofree char *state = describe (document, attempts);

		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "%s: nothing to %s: %s", trace_id, rules->name,
			     state);
		return FALSE;
	}
	g_message ("%s: %s: moved=%u", trace_id, rules->name, moved);
	return TRUE;
}

gboolean
ds_queue_flush (DsInstance *instance, DsDispatchTally *tally,
		GError **error)
{
	return ds_dispatch_due (instance, TRUE, tally, error);
}
