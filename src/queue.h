/*
 * queue.h -- the operator's hands on the queue, by trace id: what
 * postsuper, lp/cancel and faxrm users know.
 *
 *   hold     a document not yet dispatched (validated, ready) and its
 *            attempts not yet handed off (queued, deferred) stop where
 *            they are (postsuper -h).
 *   release  what hold stopped goes on: the document back to ready, the
 *            attempts back to queued (postsuper -H).
 *   requeue  the last attempt, when it is deferred, failed, expired,
 *            bounced-hard or returned, is tried again as a NEW attempt on
 *            the same channel and driver; a deferred one is cancelled
 *            first so that only one is live (postsuper -r).  An attempt
 *            in unknown-outcome is never requeued: reconcile it first.
 *            A document in action-required (its data fixed since) goes
 *            back to scheduled and is produced again by the next cycle.
 *   cancel   before hand-off it cancels (the document, its queued, held
 *            or deferred attempts); after hand-off it is a request,
 *            cancel-requested, until the provider's production point
 *            answers: the mailroom pulls the letter (cancelled) or
 *            prints it; the fax server removes the job (faxrm, at the
 *            next poll) or has sent it (lp cancel, faxrm).  An e-mail
 *            handed to the relay cannot be called back: refused.
 *   reconcile  the operator checked with the provider that an attempt
 *            in unknown-outcome did not go out: it fails, and a new
 *            attempt on the same channel and driver is queued.  (That it
 *            did go out, a delivery report or the provider's status
 *            says.)
 *   flush    deferred attempts are tried now, whatever their back-off
 *            (postqueue -f).
 *
 * Every change goes through ds_document_move / ds_attempt_move, journaled
 * with the operator as actor and the reason given.  An act that changes
 * nothing fails with DS_ERROR_STATE saying why; an unknown trace id with
 * DS_ERROR_NOT_FOUND.
 */
#ifndef DS_QUEUE_H
#define DS_QUEUE_H

#include <glib.h>

#include "dispatch.h"
#include "instance.h"

G_BEGIN_DECLS

typedef enum {
	DS_QUEUE_HOLD,
	DS_QUEUE_RELEASE,
	DS_QUEUE_REQUEUE,
	DS_QUEUE_CANCEL,
	DS_QUEUE_RECONCILE,
} DsQueueAction;

/* "hold" etc. to the action; FALSE for an unknown name. */
gboolean ds_queue_action_from_name (const char *name, DsQueueAction *action);

/*
 * Apply ACTION to the document TRACE_ID and its attempts, in one
 * transaction.  *changed (may be NULL): objects moved or created.
 */
gboolean ds_queue_act (DsInstance *instance, const char *trace_id,
		       DsQueueAction action, const char *reason,
		       guint *changed, GError **error);

/* Clear the back-off of every deferred attempt and submit them now. */
gboolean ds_queue_flush (DsInstance *instance, DsDispatchTally *tally,
			 GError **error);

G_END_DECLS

#endif
