/*
 * states.h -- the state machines of documents, attempts and batches.
 *
 * A document is one rendered dunning step for one customer; an attempt
 * is one try to deliver it through one channel; a batch is one day's
 * print run of one entity.  Their states are strings (as stored and
 * journaled) and may only move along the transitions listed in states.c.
 * Terminal states never move again: feedback that arrives for an object
 * in a terminal state is journaled by the caller but changes nothing.
 *
 *   document: scheduled -> rendered -> validated -> ready -> dispatched
 *             -> closed; action-required and invalid when rendering or
 *             validation fails; held by an operator; superseded when
 *             the claim was settled before hand-off; cancelled by an
 *             operator before hand-off.  A call (channel call) is no
 *             document to produce: scheduled -> task (a collector's
 *             call task) -> closed when the call is done.
 *   attempt:  queued -> submitting -> handed-off -> (channel states);
 *             deferred (retry), unknown-outcome (reconcile first),
 *             cancelled, expired, failed; held by an operator while
 *             queued or deferred; after hand-off a cancel is only a
 *             request (cancel-requested) until the provider's
 *             production point says cancelled or printed.
 *             e-mail: delivered, bounced-soft -> bounced-hard.
 *             letter: printed -> posted -> delivered-assumed | returned.
 *             registered: posted -> notice-left -> signed | unclaimed
 *             -> returned.
 *   batch:    created -> printed -> posted.
 *
 * Feedback (a mailroom's confirmation, a carrier's tracking, a returned
 * envelope, a bounce, a provider's or a fax server's state) is judged
 * against the same tables, in three ways:
 *
 *   moves     the table allows it: the object moves;
 *   stale     late or repeated: the object is in that state already, or
 *             past it (posted, told printed), or in a terminal state:
 *             journaled as ignored, nothing moves;
 *   refused   it skips a state (a batch still created, told posted) or
 *             asks for a state the object can never reach from where it
 *             is: the report is wrong, and whoever sent it is told.
 */
#ifndef DS_STATES_H
#define DS_STATES_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	DS_MACHINE_DOCUMENT,
	DS_MACHINE_ATTEMPT,
	DS_MACHINE_BATCH,
} DsMachine;

gboolean ds_state_known (DsMachine machine, const char *state);
gboolean ds_state_terminal (DsMachine machine, const char *state);
gboolean ds_state_allowed (DsMachine machine, const char *from,
			   const char *to);

typedef enum {
	DS_STATE_REPORT_MOVES,
	DS_STATE_REPORT_STALE,
	DS_STATE_REPORT_REFUSED,
} DsStateReport;

/* What feedback asking an object in FROM for TO is, as above. */
DsStateReport ds_state_judge_report (DsMachine machine, const char *from,
				     const char *to);

/*
 * Why FROM -> TO is refused, for a message: "created -> posted is not
 * allowed: it skips printed" (the states on the shortest way from FROM
 * to TO), or without the reason when no way leads there.
 */
char *ds_state_refusal (DsMachine machine, const char *from,
			const char *to);

G_END_DECLS

#endif
