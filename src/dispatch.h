/*
 * dispatch.h -- hand ready documents to their channels.
 *
 * For each document in state "ready" the dispatcher opens an attempt on
 * the document's channel and drives it as far as this process can:
 *
 *   email       queued -> submitting -> handed-off (smtp relay accepted,
 *               or the pickup file written); deferred on a temporary
 *               failure, with back-off, expired after the last try;
 *               failed when every recipient was refused; failed and
 *               expired escalate to a new letter attempt; unknown-outcome
 *               when the connection was lost after the message was sent.
 *               The relay's password comes from [mail] password_file,
 *               refused while others may read it: the attempt then
 *               waits, queued, and the other documents go on.
 *   fax         queued -> submitting -> handed-off (spool driver: the PDF
 *               and a job file in outgoing/fax; hylafax driver: a checked
 *               TIFF G3 given to sendfax, followed by ds_dispatch_poll).
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
	gint64 deferred;	/* temporary failures, to be tried again */
	gint64 retried;		/* due attempts submitted again */
} DsDispatchTally;

/* Back-off of deferred attempts: seconds, doubled per try, capped. */
#define DS_DISPATCH_BACKOFF_FIRST ((gint64) 15 * 60)
#define DS_DISPATCH_BACKOFF_MAX ((gint64) 24 * 3600)
/* Tries before a deferred attempt expires. */
#define DS_DISPATCH_MAX_TRIES 8
/* An attempt "submitting" longer than this was interrupted. */
#define DS_DISPATCH_STALE_SECONDS ((gint64) 15 * 60)

gboolean ds_dispatch_ready (DsInstance *instance,
			    DsDispatchTally *tally, GError **error);

/*
 * Submit the attempts the dispatcher owns that are due: queued ones not
 * waiting for a print batch (released from hold, requeued, left by a
 * crash before submission) and deferred ones whose next try has come
 * (attempts.next_try_at; none: at once).  Deferred again on a temporary
 * failure with a longer wait; expired after DS_DISPATCH_MAX_TRIES.
 * FLUSH: every deferred attempt is due now.  First, an attempt found
 * "submitting" for over DS_DISPATCH_STALE_SECONDS (a crash cut it short)
 * becomes unknown-outcome: never resent until reconciled.
 */
gboolean ds_dispatch_due (DsInstance *instance, gboolean flush,
			  DsDispatchTally *tally, GError **error);

/*
 * Ask the fax server about every handed-off hylafax attempt and record
 * what it says (channel-fax.h: delivered, partial, failed; a line fault
 * calls again as a new attempt).  A fax the operator cancelled
 * (cancel-requested) is removed with faxrm, or, when the call was made
 * already, its outcome recorded.  A job the server cannot tell about is
 * logged and asked again next time.
 */
gboolean ds_dispatch_poll (DsInstance *instance, DsDispatchTally *tally,
			   GError **error);

/*
 * Escalation: an e-mail nobody will accept, or a fax that did not get
 * through, becomes a new letter attempt (driver "print") that the next
 * print batch takes.  The failed attempt is left as it is.
 */
gboolean ds_dispatch_escalate_to_letter (DsStore *store,
					 const char *trace_id,
					 const char *why, GError **error);

G_END_DECLS

#endif
