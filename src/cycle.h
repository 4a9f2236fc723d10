/*
 * cycle.h -- the daily cycle for one as-of date.
 *
 * One cycle: import what waits in incoming/new and apply the feedback in
 * status/new (feedback.h); plan the documents due on the date and the
 * event documents its ledger events call for (event-documents.h); store
 * them; produce (render, store, validate) every scheduled document;
 * dispatch every ready one, submit again the deferred attempts that are
 * due and ask the fax server about the faxes it has; build the day's
 * print batches.  Running the cycle for a date that ran already adds nothing:
 * planning finds the documents by their idempotency keys, and each later
 * stage only takes what is in its input state.  A document that fails
 * does not stop the others.  The cycle's start and end are journaled.
 *
 * Below the free-space threshold ([instance] min_free_bytes, on the
 * spool's or the database's file system) the cycle does nothing and
 * fails with DS_ERROR_TEMPORARY saying so (ds_spool_check_room).
 *
 * At its end the cycle anchors the journal's head in the instance's
 * anchor file (ds_journal_anchor, ds_instance_anchor_path) and leaves it
 * in the tally, for the daemon's log; an anchor that cannot be written
 * is a warning, not a failed cycle.
 */
#ifndef DS_CYCLE_H
#define DS_CYCLE_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "instance.h"
#include "render.h"

G_BEGIN_DECLS

typedef struct {
	gint64 planned;
	gint64 produced;
	gint64 action_required;
	gint64 superseded;	/* documents, and calls paid meanwhile */
	/* dispatched; call: the call tasks opened */
	gint64 by_channel[DS_CHANNEL_COUNT];
	gint64 batches;
	gint64 failures;
	gint64 disputed_skipped;
	gint64 journal_seq;		/* the head anchored at the end */
	char journal_hash[65];
} DsCycleTally;

typedef struct _DsCycle DsCycle;

DsCycle *ds_cycle_new (DsInstance *instance, GError **error);
void ds_cycle_free (DsCycle *cycle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsCycle, ds_cycle_free)

gboolean ds_cycle_run (DsCycle *cycle, DsDate as_of, DsCycleTally *tally,
		       GError **error);

/* Run the cycle for every day from `from` to `to`, inclusive. */
gboolean ds_cycle_replay (DsCycle *cycle, DsDate from, DsDate to,
			  DsCycleTally *tally, GError **error);

G_END_DECLS

#endif
