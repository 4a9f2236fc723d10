/*
 * action-limits.h -- action limits over the documents a plan proposes.
 *
 * The limits of [limits] in dunspool.conf: at most TOUCHES documents per
 * customer within PERIOD days (the day planned included), at least
 * MIN_GAP days between documents to one customer on different days, and
 * at most so many documents per channel per day.  A call (channel
 * call, a collector's task: planner.h) is a touch like any document, and
 * [limits] call caps the calls of a day.  Documents that went out or may
 * still go out count, calls open or done too; superseded, invalid and
 * cancelled ones do not.  Proposed documents are taken in the order
 * given (the planner's order, or a policy's); those over a limit are
 * removed from the array and counted in *deferred: they are proposed
 * again on a later day, when the limits allow.  Nothing is written:
 * the counts come from the documents table, read-only.
 */
#ifndef DS_ACTION_LIMITS_H
#define DS_ACTION_LIMITS_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "store.h"

G_BEGIN_DECLS

/* `documents` is a GPtrArray of DsDocument with a free function. */
gboolean ds_action_limits_apply (DsStore *store, const DsLimits *limits,
			  GPtrArray *documents, DsDate as_of,
			  gint64 *deferred, GError **error);

G_END_DECLS

#endif
