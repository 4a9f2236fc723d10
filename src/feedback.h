/*
 * feedback.h -- what comes back from the channels: bounce messages,
 * mailroom confirmations, returned-letter scans and carrier tracking,
 * dropped into SPOOL/status/new (DESIGN sections 4 and 8).
 *
 * Kinds of status file, told apart by content (libmagic, then the
 * header line), never by name:
 *
 *   bounce       an RFC 5322 message holding an RFC 3464 report
 *                (multipart/report with message/delivery-status).  Its
 *                document is found through the VERP address it was sent
 *                to (bounces+TRACE@domain) or the Message-ID of the
 *                returned message (<TRACE@domain>).  Status 5.x.x (RFC
 *                3463) moves the document's e-mail attempt to
 *                bounced-hard, 4.x.x or Action: delayed to bounced-soft,
 *                Action: delivered to delivered; an attempt in
 *                unknown-outcome is first reconciled to handed-off, since
 *                the report proves the relay had it.  A hard bounce
 *                escalates: a new letter attempt (driver "print") for
 *                the next print batch; the bounced attempt is never
 *                edited.
 *   mailroom     CSV (comma or semicolon) with a header naming its
 *                columns: batch_id,state (printed, posted) confirms whole
 *                batches; trace_id,state[,tracking_number][,note] moves
 *                the document's last letter attempt (printed, posted,
 *                delivered-assumed, returned, notice-left, signed,
 *                unclaimed, cancelled); tracking_number,state without a
 *                trace id is a carrier's tracking file, matched through
 *                the tracking numbers stored before.  "status" may stand
 *                for "state".
 *   scan         one trace id per line, as a DataMatrix reader types
 *                them: each a returned letter.
 *
 * A returned letter opens a task for its customer's collector: research
 * the address (table tasks, journaled).
 *
 * Promises: one file is applied in one transaction, wholly or not at
 * all.  Every row is judged as states.h says, whatever its kind (batch,
 * trace id, tracking number, scan, bounce): a line naming an unknown
 * document or batch, an unknown state, or a move the state tables
 * refuse (one that skips a state, created -> posted, or leads nowhere)
 * refuses the whole file with its physical line number and the states
 * skipped (DS_ERROR_INPUT); feedback for an object already in that
 * state, past it, or in a terminal state (late, duplicate) is journaled
 * as "ignored" and moves nothing.  A value quoted in a refusal has its
 * control characters escaped (ds-error.h): one refusal, one line.  The
 * journal's actor is "feed:NAME".
 */
#ifndef DS_FEEDBACK_H
#define DS_FEEDBACK_H

#include <glib.h>

#include "instance.h"

G_BEGIN_DECLS

typedef struct {
	char *path;		/* where the file is now */
	const char *kind;	/* "bounce", "mailroom", "scan" */
	guint applied;		/* objects moved */
	guint ignored;		/* late or duplicate: journaled only */
	guint escalated;	/* new attempts opened */
	guint tasks;		/* tasks opened */
	gboolean refused;
	int refusal_line;	/* the line refused; 0: the whole file */
	char *refusal;
} DsFeedbackReport;

DsFeedbackReport *ds_feedback_report_new (const char *path);
void ds_feedback_report_free (DsFeedbackReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsFeedbackReport, ds_feedback_report_free)

/* One line: "NAME: kind=... applied=N ignored=N ..." or the refusal. */
char *ds_feedback_report_format (const DsFeedbackReport *report);

/*
 * Read and apply one status file in one transaction.  FALSE with
 * DS_ERROR_INPUT when the file is wrong (nothing applied), or another
 * code when the database failed.  The file itself is not moved.
 */
gboolean ds_feedback_apply_file (DsInstance *instance, const char *path,
				 DsFeedbackReport *report, GError **error);

/*
 * Everything in SPOOL/status/new: claim each file, check it (libmagic,
 * size, name), apply it, then archive it, or move it to corrupt/ with
 * its reason, or give it back to new/ when the database failed.
 * *reports (may be NULL): a DsFeedbackReport per file.  Each report is
 * logged.  FALSE when the spool or the database failed.
 */
gboolean ds_feedback_process_status (DsInstance *instance,
				     GPtrArray **reports, GError **error);

/*
 * The bounce mailbox as a Maildir: each message in MAILDIR/new is applied
 * as a status file, then moved to MAILDIR/cur with the flag S (seen)
 * when applied, or F (flagged, for a person to read) when refused; a
 * message the database could not take stays in new/.  *reports as for
 * ds_feedback_process_status.
 */
gboolean ds_feedback_process_maildir (DsInstance *instance,
				      const char *maildir,
				      GPtrArray **reports, GError **error);

/*
 * Collectors' tasks (table tasks), each about one document and open
 * until a collector closes it: research-address (a returned letter,
 * below), call (a strategy's call step, planner.h), hand-over-legal and
 * hand-over-agency (after the final step, planner.h).
 */
#define DS_TASK_CALL "call"

/*
 * Open a task of KIND for the customer of TRACE_ID, assigned to the
 * customer's collector, once per document and kind (a second call
 * changes nothing: *task_id 0), and journal it as "task-opened".  Runs
 * inside the caller's transaction, if any.
 */
gboolean ds_feedback_open_task_of_kind (DsStore *store,
					const char *trace_id,
					const char *kind, const char *reason,
					gint64 *task_id, GError **error);

/*
 * Open the task "research-address" for the customer of TRACE_ID, once
 * per document (a second call changes nothing: *opened FALSE), and
 * journal it.  For a returned letter, however it was reported.
 */
gboolean ds_feedback_open_task (DsStore *store, const char *trace_id,
				const char *reason, gboolean *opened,
				GError **error);

/*
 * A collector closes an open task with its outcome: reached, no-answer,
 * promise (the customer promised to pay) or done; NOTE is free text and
 * may be NULL.  Journaled as "task-done" with the outcome; a call task
 * also closes its call document ("call-done").  A task that is unknown
 * (DS_ERROR_NOT_FOUND) or done already (DS_ERROR_STATE), or an unknown
 * outcome (DS_ERROR_INPUT), changes nothing.
 */
gboolean ds_feedback_task_outcome_known (const char *outcome);
gboolean ds_feedback_close_task (DsStore *store, gint64 task_id,
				 const char *outcome, const char *note,
				 GError **error);

/*
 * The outcome "promise" with the promise itself: the task is closed as
 * above and, in the same transaction, the promise enters the ledger as
 * an imported one would (promise id "task-ID"; made on MADE_ON, for
 * PROMISED; of AMOUNT, a decimal in the document's currency, or the
 * document's total when NULL; about the document's invoice when it
 * lists one, else the customer's balance), so that chasing pauses until
 * PROMISED plus the grace days (planner.h) and a broken promise comes
 * to the agenda.  PROMISED before MADE_ON, or an amount that does not
 * parse or is not above 0, is DS_ERROR_INPUT and changes nothing.
 */
gboolean ds_feedback_close_task_with_promise (DsStore *store,
					      gint64 task_id,
					      const char *note,
					      DsDate made_on, DsDate promised,
					      const char *amount,
					      GError **error);

/*
 * Close, as done with the outcome "settled", each open call task none
 * of whose invoices is among OPEN_ITEMS (invoice id -> DsOpenItem on
 * AS_OF), and supersede its call; each in its own transaction,
 * journaled.  The daily cycle does it after planning.  *closed counts.
 */
gboolean ds_feedback_close_settled_calls (DsStore *store,
					  GHashTable *open_items,
					  DsDate as_of, gint64 *closed,
					  GError **error);

/* The open tasks, as "TASK_ID TRACE_ID CUSTOMER KIND" lines, for tests
 * and the agenda: a GPtrArray of strings. */
GPtrArray *ds_feedback_open_tasks (DsInstance *instance, GError **error);

G_END_DECLS

#endif
