/*
 * cycle.c -- run the daily cycle.  See cycle.h.
 */
#define G_LOG_DOMAIN "dunspool-cycle"

#include "cycle.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "batch.h"
#include "claim-surviving.h"
#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "event-documents.h"
#include "feedback.h"
#include "journal.h"
#include "log.h"
#include "planner.h"
#include "policy.h"
#include "production.h"
#include "spool.h"

struct _DsCycle {
	DsInstance *instance;
	DsRenderer *renderer;
	DsPolicy *policy;	/* the next best action, see policy.h */
};

DsCycle *
ds_cycle_new (DsInstance *instance, GError **error)
{
	g_autoptr (DsCycle) cycle = g_new0 (DsCycle, 1);

	cycle->instance = instance;
	cycle->renderer = ds_renderer_new (instance->config->templates,
					   DS_FONT_DIR, error);
	if (cycle->renderer == NULL)
		return NULL;
	cycle->policy = ds_policy_new (instance, error);
	if (cycle->policy == NULL)
		return NULL;
	return g_steal_pointer (&cycle);
}

void
ds_cycle_free (DsCycle *cycle)
{
	if (cycle == NULL)
		return;
	ds_renderer_free (cycle->renderer);
	ds_policy_free (cycle->policy);
	g_free (cycle);
}

static gboolean
journal_cycle (DsStore *store, DsDate as_of, const char *event,
	       const char *evidence, GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);
	DsJournalEntry entry = {
		.object_kind = "cycle", .object_id = date, .event = event,
		.evidence = evidence,
	};

	return ds_journal_append (store, &entry, error);
}

static gboolean
store_plan (DsStore *store, DsPlan *plan, DsCycleTally *tally,
	    GError **error)
{
	for (guint i = 0; i < plan->documents->len; i++) {
		DsDocument *document = g_ptr_array_index (plan->documents,
							  i);
		g_autofree char *evidence = g_strdup_printf (
			"key=%s channel=%s items=%u",
			document->idempotency_key,
			ds_channel_name (document->channel),
			document->items->len);

		if (!ds_planner_store_document (store, document, evidence,
						error))
			return FALSE;
		tally->planned++;
		/* A call is "sent" when its task is opened. */
		if (document->channel == DS_CHANNEL_CALL)
			tally->by_channel[DS_CHANNEL_CALL]++;
	}
	return ds_planner_record_events (store, plan, error);
}

/*
 * The next best action for each proposed document: drop the ones not
 * worth sending today, send the others by the channel decided.
 */
static gboolean
decide_plan (DsCycle *cycle, DsPlan *plan, DsDate as_of, GError **error)
{
	guint i = 0;

	if (plan->documents->len > 0 &&
	    !ds_policy_prepare (cycle->policy, as_of, error))
		return FALSE;
	while (i < plan->documents->len) {
		DsDocument *document = g_ptr_array_index (plan->documents, i);
		DsPolicyDecision decision;

		if (!ds_policy_decide (cycle->policy, document,
				       g_hash_table_lookup (
					       plan->customers,
					       document->customer_id),
				       plan->open_items, &decision, error))
			return FALSE;
		if (decision.verdict == DS_POLICY_SKIP) {
			g_ptr_array_remove_index (plan->documents, i);
			continue;
		}
		document->channel = decision.channel;
		i++;
	}
	return TRUE;
}

static void
count_outcome (DsCycleTally *tally, const char *state)
{
	if (g_strcmp0 (state, "ready") == 0)
		tally->produced++;
	else if (g_strcmp0 (state, "action-required") == 0)
		tally->action_required++;
	else if (g_strcmp0 (state, "superseded") == 0)
		tally->superseded++;
}

static gboolean
produce_scheduled (DsCycle *cycle, GHashTable *open_items, DsDate as_of,
		   DsCycleTally *tally, GError **error)
{
	DsProduction production = {
		cycle->instance, cycle->renderer, open_items, as_of,
	};
	g_autoptr (GPtrArray) scheduled = ds_document_list_in_state (
		cycle->instance->store, "scheduled", error);

	if (scheduled == NULL)
		return FALSE;
	for (guint i = 0; i < scheduled->len; i++) {
		const char *trace_id = g_ptr_array_index (scheduled, i);
		g_autofree char *state = NULL;
		g_autoptr (GError) local = NULL;

		if (ds_production_run (&production, trace_id, &state,
				       &local)) {
			count_outcome (tally, state);
			continue;
		}
		tally->failures++;
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_CYCLE,
			      &(DsLogFields) { .trace_id = trace_id },
			      "%s: production failed: %s", trace_id,
			      local->message);
	}
	return TRUE;
}

/*
 * Documents left scheduled by an earlier day (requeued from
 * action-required, or a production that failed) are made before the
 * day's plan, dated today: the planner then counts the next step from
 * them instead of planning it beside them.
 */
static gboolean
produce_carried_over (DsCycle *cycle, DsDate as_of, DsCycleTally *tally,
		      GError **error)
{
	DsStore *store = cycle->instance->store;
	g_autoptr (GPtrArray) scheduled = ds_document_list_in_state (
		store, "scheduled", error);
	g_autoptr (GPtrArray) items = NULL;
	g_autoptr (GHashTable) open_items = NULL;

	if (scheduled == NULL)
		return FALSE;
	if (scheduled->len == 0)
		return TRUE;
	items = ds_ledger_open_items (store, as_of, error);
	if (items == NULL)
		return FALSE;
	open_items = g_hash_table_new (g_str_hash, g_str_equal);
	for (guint i = 0; i < items->len; i++) {
		DsOpenItem *item = g_ptr_array_index (items, i);

		g_hash_table_insert (open_items, item->invoice.invoice_id,
				     item);
	}
	return produce_scheduled (cycle, open_items, as_of, tally, error);
}

/* Batches CUPS has finished are printed; a CUPS fault waits a day. */
static void
poll_printer (DsInstance *instance)
{
	g_autoptr (GError) local = NULL;
	gint64 printed = 0;

	if (!ds_batch_poll_printed (instance, &printed, &local))
		g_warning ("printer: %s", local->message);
}

static gboolean
import_incoming (DsInstance *instance)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (GError) status = NULL;

	if (!ds_spool_process_incoming (instance, &local))
		g_warning ("incoming: %s", local->message);
	/* Feedback first: a bounce escalates before the day's batches. */
	if (!ds_feedback_process_status (instance, NULL, &status))
		g_warning ("status: %s", status->message);
	return TRUE;
}

/*
 * The journal's head into the anchor file and the tally.  Always TRUE:
 * the cycle's work is done and recorded; a missing anchor only weakens
 * the proof against records cut off the end, and is said.
 */
static gboolean
anchor_head (DsInstance *instance, DsCycleTally *tally)
{
	g_autofree char *path = ds_instance_anchor_path (instance);
	g_autofree char *hash = NULL;
	g_autoptr (GError) local = NULL;

	if (!ds_journal_anchor (instance->store, path, &tally->journal_seq,
				&hash, &local)) {
		g_warning ("journal anchor not written: %s", local->message);
		return TRUE;
	}
	g_strlcpy (tally->journal_hash, hash, sizeof tally->journal_hash);
	return TRUE;
}

/*
 * One cycle at a time per instance: the daemon's, and any `dunspool run`
 * or replay beside it, take an exclusive flock on cycle.lock beside the
 * database and wait for each other; the second finds done what the first
 * did.  The lock goes with the process, however it ends.  -1 and
 * `error` set when the lock file cannot be opened.
 */
static int
cycle_lock (DsInstance *instance, GError **error)
{
	g_autofree char *directory = g_path_get_dirname (
		instance->config->database);
	g_autofree char *path = g_build_filename (directory, "cycle.lock",
						  NULL);
	int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0640);

	if (fd < 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY, "%s: %s",
			     path, g_strerror (errno));
		return -1;
	}
	while (flock (fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: lock: %s", path, g_strerror (errno));
		close (fd);
		return -1;
	}
	return fd;
}

static gboolean
cycle_run_locked (DsCycle *cycle, DsDate as_of, DsCycleTally *tally,
		  GError **error)
{
	DsStore *store = cycle->instance->store;
	DsDispatchTally dispatched = { 0 };
	g_autoptr (DsPlan) plan = NULL;
	g_autofree char *summary = NULL;
	gint64 planned_before = tally->planned;

	if (!ds_spool_check_room (cycle->instance, error))
		return FALSE;
	if (!import_incoming (cycle->instance))
		return FALSE;
	if (!produce_carried_over (cycle, as_of, tally, error))
		return FALSE;
	plan = ds_planner_plan (store, cycle->instance->config, as_of, error);
	if (plan == NULL ||
	    !ds_claim_surviving_plan (store, cycle->instance->config, plan,
				      as_of, error) ||
	    !decide_plan (cycle, plan, as_of, error) ||
	    !ds_event_documents_plan (store, cycle->instance->config, plan,
				      as_of, error) ||
	    !store_plan (store, plan, tally, error) ||
	    !ds_feedback_close_settled_calls (store, plan->open_items, as_of,
					      &tally->superseded, error) ||
	    !produce_scheduled (cycle, plan->open_items, as_of, tally,
				error) ||
	    !ds_dispatch_ready (cycle->instance, &dispatched, error) ||
	    !ds_dispatch_due (cycle->instance, FALSE, &dispatched,
			      error) ||
	    !ds_dispatch_poll (cycle->instance, &dispatched, error) ||
	    !ds_batch_build (cycle->instance, as_of, &tally->batches, error))
		return FALSE;
	poll_printer (cycle->instance);
	for (int i = 0; i < DS_CHANNEL_COUNT; i++)
		tally->by_channel[i] += dispatched.by_channel[i];
	tally->failures += dispatched.failures;
	tally->disputed_skipped += plan->disputed;
	if (tally->planned == planned_before &&
	    dispatched.by_channel[DS_CHANNEL_EMAIL] +
	    dispatched.by_channel[DS_CHANNEL_LETTER] +
	    dispatched.by_channel[DS_CHANNEL_REGISTERED] +
	    dispatched.by_channel[DS_CHANNEL_FAX] == 0)
		return anchor_head (cycle->instance, tally);
	summary = g_strdup_printf ("open=%" G_GINT64_FORMAT " planned=%"
				   G_GINT64_FORMAT " disputed=%"
				   G_GINT64_FORMAT, plan->open,
				   tally->planned - planned_before,
				   plan->disputed);
	return journal_cycle (store, as_of, "cycle-run", summary, error) &&
	       anchor_head (cycle->instance, tally);
}

gboolean
ds_cycle_run (DsCycle *cycle, DsDate as_of, DsCycleTally *tally,
	      GError **error)
{
	int lock = cycle_lock (cycle->instance, error);
	gboolean ran;

	if (lock < 0)
		return FALSE;
	ran = cycle_run_locked (cycle, as_of, tally, error);
	close (lock);
	return ran;
}

gboolean
ds_cycle_replay (DsCycle *cycle, DsDate from, DsDate to,
		 DsCycleTally *tally, GError **error)
{
	for (DsDate day = from; day <= to; day++)
		if (!ds_cycle_run (cycle, day, tally, error)) {
			g_autofree char *date = ds_date_to_iso (day);

			g_prefix_error (error, "cycle %s: ", date);
			return FALSE;
		}
	return TRUE;
}
