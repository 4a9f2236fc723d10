/*
 * dispatch.h -- hand ready documents to their channels.
 *
 * For each document in state "ready" the dispatcher opens an attempt on
 * the document's channel and drives it as far as this process can:
 *
 *   email       queued -> submitting -> handed-off (smtp relay accepted,
 *               or the pickup file written); deferred on a temporary
 *               failure; failed when every recipient was refused, which
 *               escalates to a new letter attempt; unknown-outcome when
 *               the connection was lost after the message was sent.
 *   fax         queued -> submitting -> handed-off (spool driver: the PDF
 *               and a job file in outgoing/fax).
 *   letter,     queued, waiting for the day's print batch (batch.h).
 *   registered
 *
 * The document moves to "dispatched" once its attempt exists.  Every
 * attempt is committed as "submitting" before anything leaves the
 * machine, so a crash in between leaves evidence, never a silent resend.
 */
#ifndef DS_DISPATCH_H
#define DS_DISPATCH_H

#include <glib.h>

#include "instance.h"

G_BEGIN_DECLS

typedef struct {
	gint64 by_channel[DS_CHANNEL_COUNT];
	gint64 failures;
} DsDispatchTally;

gboolean ds_dispatch_ready (DsInstance *instance,
			    DsDispatchTally *tally, GError **error);

G_END_DECLS

#endif
