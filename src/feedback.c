/*
 * feedback.c -- status files to state changes.  See feedback.h.
 *
 * A file is read whole, classified, and its rows turned into moves of
 * attempts and batches inside one transaction opened here; any refusal
 * rolls the whole file back.  The moves themselves go through
 * ds_attempt_move and ds_batch_mark, which check the state tables and
 * journal; this module decides only which object a row names and which
 * state it asks for.
 *
 * It also keeps the collectors' tasks (table tasks): opened here for a
 * returned letter and, through ds_feedback_open_task_of_kind, by the
 * planner for calls and hand-overs; closed by a collector with an
 * outcome (dunspool task done).
 */
#define G_LOG_DOMAIN "dunspool-feedback"

#include "feedback.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <string.h>

#include "batch.h"
#include "channel-email.h"
#include "csv-reader.h"
#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "ledger.h"
#include "money.h"
#include "production.h"
#include "spool.h"
#include "states.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)

typedef struct {
	DsInstance *instance;
	DsFeedbackReport *report;
	const char *name;	/* the file's base name, for evidence */
	char *sha256;		/* the file's hash, for evidence */
} Feedback;

DsFeedbackReport *
ds_feedback_report_new (const char *path)
{
	DsFeedbackReport *report = g_new0 (DsFeedbackReport, 1);

	report->path = g_strdup (path);
	return report;
}

void
ds_feedback_report_free (DsFeedbackReport *report)
{
	if (report == NULL)
		return;
	g_free (report->path);
	g_free (report->refusal);
	g_free (report);
}

char *
ds_feedback_report_format (const DsFeedbackReport *report)
{
	g_autofree char *name = g_path_get_basename (report->path);

	if (report->refused)
		return g_strdup_printf ("%s: refused: %s", name,
					ds_error_after_name (report->refusal,
							     name));
	return g_strdup_printf ("%s: kind=%s applied=%u ignored=%u "
				"escalated=%u tasks=%u", name,
				report->kind ? report->kind : "-",
				report->applied, report->ignored,
				report->escalated, report->tasks);
}

static gboolean
input_fail (GError **error, int line, const char *format, ...)
	G_GNUC_PRINTF (3, 4);

static gboolean
input_fail (GError **error, int line, const char *format, ...)
{
	va_list arguments;
	g_autofree char *text = NULL;
	g_autofree char *why = NULL;

	va_start (arguments, format);
	text = g_strdup_vprintf (format, arguments);
	va_end (arguments);
	why = ds_error_escape_controls (text);
	if (line > 0)
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "line %d: %s",
			     line, why);
	else
		g_set_error_literal (error, DS_ERROR, DS_ERROR_INPUT, why);
	return FALSE;
}

/* -- moving one attempt ------------------------------------------------ */

/*
 * Move ATTEMPT to TO for this file, judged as feedback: news the
 * attempt is already at or past is journaled as ignored and counted so;
 * a move that skips a state or leads nowhere is the file's fault.
 * *moved says whether the state really changed, which is what
 * escalation depends on.
 */
static gboolean
feedback_move (Feedback *feedback, const DsAttempt *attempt, const char *to,
	       const char *detail, int line, gboolean *moved, GError **error)
{
	g_autofree char *evidence = g_strdup_printf ("%s file=%s sha256=%s",
						     detail, feedback->name,
						     feedback->sha256);
	g_autoptr (GError) local = NULL;

	if (!ds_attempt_report (feedback->instance->store,
				attempt->attempt_id, to, evidence, moved,
				&local)) {
		if (g_error_matches (local, DS_ERROR, DS_ERROR_STATE))
			return input_fail (error, line, "%s", local->message);
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (*moved)
		feedback->report->applied++;
	else
		feedback->report->ignored++;
	return TRUE;
}

/* The last attempt of TRACE_ID on one of CHANNELS (ended by COUNT). */
static DsAttempt *
last_attempt (Feedback *feedback, const char *trace_id,
	      const DsChannel *channels, GError **error)
{
	g_autoptr (GPtrArray) attempts = ds_attempt_list_for_trace (
		feedback->instance->store, trace_id, error);

	if (attempts == NULL)
		return NULL;
	for (guint i = attempts->len; i-- > 0;) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);

		for (const DsChannel *c = channels; *c != DS_CHANNEL_COUNT;
		     c++)
			if (attempt->channel == *c)
				return g_ptr_array_steal_index (attempts, i);
	}
	return NULL;
}

/* -- tasks ------------------------------------------------------------- */

gboolean
ds_feedback_open_task_of_kind (DsStore *store, const char *trace_id,
			       const char *kind, const char *reason,
			       gint64 *task_id, GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   error);
	g_autoptr (DsCustomer) customer = NULL;
	g_autoptr (sqlite3_stmt) statement = NULL;
	g_autofree char *now = ds_time_now_utc_iso ();
	g_autofree char *id_text = NULL;
	DsJournalEntry entry = {
		.object_kind = "task", .trace_id = trace_id,
		.event = "task-opened", .new_state = "open",
		.evidence = reason,
	};

	*task_id = 0;
	if (document == NULL)
		return FALSE;
	customer = ds_ledger_get_customer (store, document->customer_id,
					   error);
	if (customer == NULL)
		return FALSE;
	statement = ds_store_prepare (store,
		"INSERT OR IGNORE INTO tasks (trace_id, customer_id,"
		" collector, kind, reason, created_at)"
		" VALUES (?, ?, ?, ?, ?, ?)", error);
	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, trace_id);
	ds_store_bind_text (statement, 2, customer->customer_id);
	ds_store_bind_text (statement, 3, customer->collector);
	ds_store_bind_text (statement, 4, kind);
	ds_store_bind_text (statement, 5, reason);
	ds_store_bind_text (statement, 6, now);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "task");
	if (sqlite3_changes (ds_store_db (store)) == 0)
		return TRUE;
	*task_id = sqlite3_last_insert_rowid (ds_store_db (store));
	id_text = g_strdup_printf ("%" G_GINT64_FORMAT, *task_id);
	entry.object_id = id_text;
	return ds_journal_append (store, &entry, error);
}

gboolean
ds_feedback_open_task (DsStore *store, const char *trace_id,
		       const char *reason, gboolean *opened, GError **error)
{
	gint64 task_id = 0;

	if (!ds_feedback_open_task_of_kind (store, trace_id,
					    "research-address", reason,
					    &task_id, error))
		return FALSE;
	*opened = task_id != 0;
	return TRUE;
}

static const char *const task_outcomes[] = {
	"reached", "no-answer", "promise", "done", NULL,
};

gboolean
ds_feedback_task_outcome_known (const char *outcome)
{
	return outcome != NULL &&
	       g_strv_contains ((const char *const *) task_outcomes, outcome);
}

/* The task's kind and document; FALSE with an error when none is open. */
static gboolean
open_task_row (DsStore *store, gint64 task_id, char **kind,
	       char **trace_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT kind, trace_id, state FROM tasks WHERE task_id = ?",
		error);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_int64 (statement, 1, task_id);
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "task %" G_GINT64_FORMAT ": no such task",
			     task_id);
		return FALSE;
	default:
		return ds_store_fail (store, error, "task");
	}
	if (g_strcmp0 ((const char *) sqlite3_column_text (statement, 2),
		       "open") != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "task %" G_GINT64_FORMAT ": done already",
			     task_id);
		return FALSE;
	}
	*kind = ds_store_column_text (statement, 0);
	*trace_id = ds_store_column_text (statement, 1);
	return TRUE;
}

static gboolean
mark_task_done (DsStore *store, gint64 task_id, const char *trace_id,
		const char *outcome, const char *evidence, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"UPDATE tasks SET state = 'done', outcome = ?2"
		" WHERE task_id = ?1", error);
	g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT,
						    task_id);
	DsJournalEntry entry = {
		.object_kind = "task", .object_id = id_text,
		.trace_id = trace_id, .event = "task-done",
		.old_state = "open", .new_state = "done",
		.evidence = evidence,
	};

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_int64 (statement, 1, task_id);
	ds_store_bind_text (statement, 2, outcome);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "task");
	return ds_journal_append (store, &entry, error);
}

/*
 * Inside the caller's transaction: close the open task TASK_ID with
 * OUTCOME (known) and journal it; a call also closes its document.
 * *trace_id: the task's document.
 */
static gboolean
close_task (DsStore *store, gint64 task_id, const char *outcome,
	    const char *note, char **trace_id, GError **error)
{
	g_autofree char *kind = NULL;
	g_autofree char *evidence = note != NULL && *note != '\0' ?
		g_strdup_printf ("outcome=%s note=%s", outcome, note) :
		g_strdup_printf ("outcome=%s", outcome);

	return open_task_row (store, task_id, &kind, trace_id, error) &&
	       mark_task_done (store, task_id, *trace_id, outcome, evidence,
			       error) &&
	       (g_strcmp0 (kind, DS_TASK_CALL) != 0 ||
		ds_document_move (store, *trace_id, "closed", "call-done",
				  evidence, error));
}

static gboolean
outcome_fail (gint64 task_id, const char *outcome, GError **error)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "task %" G_GINT64_FORMAT ": outcome \"%s\" is not one "
		     "of reached, no-answer, promise, done", task_id,
		     outcome != NULL ? outcome : "");
	return FALSE;
}

gboolean
ds_feedback_close_task (DsStore *store, gint64 task_id,
			const char *outcome, const char *note,
			GError **error)
{
	g_autofree char *trace_id = NULL;

	if (!ds_feedback_task_outcome_known (outcome))
		return outcome_fail (task_id, outcome, error);
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!close_task (store, task_id, outcome, note, &trace_id, error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

/* The promise a closed task records, from its document. */
static gboolean
put_task_promise (DsStore *store, gint64 task_id, const char *trace_id,
		  DsDate made_on, DsDate promised, const char *amount,
		  GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   error);
	g_autofree char *promise_id = g_strdup_printf (
		"task-%" G_GINT64_FORMAT, task_id);
	DsPromise promise = {
		.promise_id = promise_id, .promised_date = promised,
		.made_on = made_on,
	};
	DsLedgerOutcome outcome;

	if (document == NULL)
		return FALSE;
	promise.customer_id = document->customer_id;
	promise.amount = document->total;
	if (amount != NULL &&
	    !ds_money_parse (amount, document->currency,
			     &ds_number_format_plain, &promise.amount, error))
		return FALSE;
	if (promise.amount <= 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "task %" G_GINT64_FORMAT ": a promise is of an "
			     "amount above 0", task_id);
		return FALSE;
	}
	if (document->items->len == 1)
		promise.invoice_id = ((DsDocumentItem *) g_ptr_array_index (
			document->items, 0))->invoice_id;
	return ds_ledger_put_promise (store, &promise, &outcome, error);
}

gboolean
ds_feedback_close_task_with_promise (DsStore *store, gint64 task_id,
				     const char *note, DsDate made_on,
				     DsDate promised, const char *amount,
				     GError **error)
{
	g_autofree char *trace_id = NULL;

	if (promised < made_on) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "task %" G_GINT64_FORMAT ": a promise for a "
			     "day before it was made", task_id);
		return FALSE;
	}
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!close_task (store, task_id, "promise", note, &trace_id,
			 error) ||
	    !put_task_promise (store, task_id, trace_id, made_on, promised,
			       amount, error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

/* A returned letter: the collector researches the address.  Once. */
static gboolean
open_task (Feedback *feedback, const char *trace_id, const char *reason,
	   GError **error)
{
	gboolean opened = FALSE;

	if (!ds_feedback_open_task (feedback->instance->store, trace_id,
				    reason, &opened, error))
		return FALSE;
	feedback->report->tasks += opened;
	return TRUE;
}

/* Close one call task whose invoices were all paid, and its call. */
static gboolean
close_settled_call (DsStore *store, gint64 task_id, const char *trace_id,
		    DsDate as_of, GError **error)
{
	g_autofree char *date = ds_date_to_iso (as_of);
	g_autofree char *evidence = g_strdup_printf (
		"outcome=settled: every invoice paid by %s", date);

	if (!ds_store_begin (store, error))
		return FALSE;
	if (!mark_task_done (store, task_id, trace_id, "settled", evidence,
			     error) ||
	    !ds_document_move (store, trace_id, "superseded", NULL,
			       evidence, error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return TRUE;
}

/*
 * The open call tasks none of whose invoices is open, from rows of
 * (task, document, invoice) ordered by task: their ids in TASKS, their
 * documents in TRACES.
 */
static gboolean
settled_calls (DsStore *store, GHashTable *open_items, GArray *tasks,
	       GPtrArray *traces, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT t.task_id, t.trace_id, i.invoice_id FROM tasks t"
		" JOIN document_items i USING (trace_id)"
		" WHERE t.kind = '" DS_TASK_CALL "' AND t.state = 'open'"
		" ORDER BY t.task_id", error);
	gint64 task_id = 0;
	gboolean open = TRUE;
	int step;

	if (statement == NULL)
		return FALSE;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 row_task = sqlite3_column_int64 (statement, 0);

		if (row_task != task_id) {
			if (task_id != 0 && !open)
				g_array_append_val (tasks, task_id);
			else if (task_id != 0)
				g_free (g_ptr_array_steal_index (
					traces, traces->len - 1));
			task_id = row_task;
			open = FALSE;
			g_ptr_array_add (traces, ds_store_column_text (
				statement, 1));
		}
		open |= g_hash_table_contains (open_items,
			(const char *) sqlite3_column_text (statement, 2));
	}
	if (step != SQLITE_DONE)
		return ds_store_fail (store, error, "call tasks");
	if (task_id != 0 && !open)
		g_array_append_val (tasks, task_id);
	else if (task_id != 0)
		g_free (g_ptr_array_steal_index (traces, traces->len - 1));
	return TRUE;
}

gboolean
ds_feedback_close_settled_calls (DsStore *store, GHashTable *open_items,
				 DsDate as_of, gint64 *closed,
				 GError **error)
{
	g_autoptr (GArray) tasks = g_array_new (FALSE, FALSE,
						sizeof (gint64));
	g_autoptr (GPtrArray) traces = g_ptr_array_new_with_free_func (
		g_free);

	if (!settled_calls (store, open_items, tasks, traces, error))
		return FALSE;
	for (guint i = 0; i < tasks->len; i++) {
		if (!close_settled_call (store, g_array_index (tasks, gint64,
							       i),
					 traces->pdata[i], as_of, error))
			return FALSE;
		(*closed)++;
	}
	return TRUE;
}

GPtrArray *
ds_feedback_open_tasks (DsInstance *instance, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store,
		"SELECT task_id, trace_id, customer_id, kind FROM tasks"
		" WHERE state = 'open' ORDER BY task_id", error);
	g_autoptr (GPtrArray) tasks = g_ptr_array_new_with_free_func (g_free);
	int step;

	if (statement == NULL)
		return NULL;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (tasks, g_strdup_printf (
			"%lld %s %s %s",
			(long long) sqlite3_column_int64 (statement, 0),
			sqlite3_column_text (statement, 1),
			sqlite3_column_text (statement, 2),
			sqlite3_column_text (statement, 3)));
	if (step != SQLITE_DONE) {
		ds_store_fail (instance->store, error, "tasks");
		return NULL;
	}
	return g_steal_pointer (&tasks);
}

/* -- bounces (RFC 3464) ------------------------------------------------ */

typedef enum {
	BOUNCE_NONE,
	BOUNCE_SOFT,
	BOUNCE_HARD,
	BOUNCE_DELIVERED,
} BounceOutcome;

typedef struct {
	BounceOutcome outcome;
	GString *evidence;	/* per recipient: status, action, who */
	GPtrArray *hard;	/* addresses that failed for good */
} BounceReport;

/* The decoded content of a leaf part, as text. */
static char *
part_text (GMimeObject *object)
{
	GMimeDataWrapper *content;
	g_autoptr (GMimeStream) stream = NULL;
	GByteArray *bytes;

	if (!GMIME_IS_PART (object))
		return NULL;
	content = g_mime_part_get_content (GMIME_PART (object));
	if (content == NULL)
		return NULL;
	stream = g_mime_stream_mem_new ();
	g_mime_data_wrapper_write_to_stream (content, stream);
	bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
	return g_strndup ((const char *) bytes->data, bytes->len);
}

static gboolean
content_is (GMimeObject *object, const char *type, const char *subtype)
{
	GMimeContentType *content = g_mime_object_get_content_type (object);

	return content != NULL &&
	       g_mime_content_type_is_type (content, type, subtype);
}

typedef struct {
	GMimeObject *status;	/* message/delivery-status */
	GMimeObject *original;	/* message/rfc822 or text/rfc822-headers */
} ReportParts;

static void
find_report_parts (GMimeObject *parent, GMimeObject *part,
		   gpointer user_data)
{
	ReportParts *parts = user_data;

	if (content_is (part, "message", "delivery-status") &&
	    parts->status == NULL)
		parts->status = part;
	else if ((content_is (part, "message", "rfc822") ||
		  content_is (part, "text", "rfc822-headers")) &&
		 parts->original == NULL)
		parts->original = part;
}

/* An RFC 3463 status code: class 2, 4 or 5, then two numbers. */
static gboolean
status_code_valid (const char *code)
{
	g_auto (GStrv) fields = g_strsplit (code, ".", -1);

	if (g_strv_length (fields) != 3 || strlen (fields[0]) != 1 ||
	    strchr ("245", fields[0][0]) == NULL)
		return FALSE;
	for (int i = 1; i < 3; i++) {
		gsize length = strlen (fields[i]);

		if (length == 0 || length > 3)
			return FALSE;
		for (gsize j = 0; j < length; j++)
			if (!g_ascii_isdigit (fields[i][j]))
				return FALSE;
	}
	return TRUE;
}

/* The value of FIELD in one block of "Name: value" lines, trimmed. */
static char *
block_field (const char *block, const char *field)
{
	g_auto (GStrv) lines = g_strsplit (block, "\n", -1);
	gsize length = strlen (field);

	for (char **line = lines; *line != NULL; line++)
		if (g_ascii_strncasecmp (*line, field, length) == 0 &&
		    (*line)[length] == ':')
			return g_strstrip (g_strdup (*line + length + 1));
	return NULL;
}

static BounceOutcome
recipient_outcome (const char *action, const char *status)
{
	if (g_ascii_strcasecmp (action, "delivered") == 0 ||
	    g_ascii_strcasecmp (action, "relayed") == 0 ||
	    g_ascii_strcasecmp (action, "expanded") == 0)
		return status[0] == '2' ? BOUNCE_DELIVERED : BOUNCE_NONE;
	if (g_ascii_strcasecmp (action, "delayed") == 0 || status[0] == '4')
		return BOUNCE_SOFT;
	if (g_ascii_strcasecmp (action, "failed") == 0 && status[0] == '5')
		return BOUNCE_HARD;
	return BOUNCE_NONE;
}

/*
 * The address of a Final-Recipient field ("rfc822; ap@example.test"),
 * lower case, added to ADDRESSES; other address types are left out.
 */
static void
add_final_recipient (GPtrArray *addresses, const char *field)
{
	const char *semicolon = field ? strchr (field, ';') : NULL;
	g_autofree char *type = NULL;
	g_autofree char *address = NULL;

	if (semicolon == NULL)
		return;
	type = g_strstrip (g_strndup (field, semicolon - field));
	address = g_strstrip (g_strdup (semicolon + 1));
	if (g_ascii_strcasecmp (type, "rfc822") == 0 && *address != '\0')
		g_ptr_array_add (addresses, g_ascii_strdown (address, -1));
}

/*
 * The per-recipient blocks of a delivery-status body (the first block
 * is about the message).  The document counts as delivered when any
 * recipient got it, else hard when any refusal is permanent, else soft.
 */
static gboolean
parse_delivery_status (const char *text, BounceReport *bounce,
		       GError **error)
{
	g_autofree char *clean = g_strdup (text);
	g_auto (GStrv) blocks = NULL;
	gboolean hard = FALSE, soft = FALSE, delivered = FALSE;

	g_strdelimit (clean, "\r", ' ');
	blocks = g_regex_split_simple ("\n[ \t]*\n", clean, 0, 0);
	if (blocks == NULL)
		return input_fail (error, 0, "delivery status: not UTF-8");
	/* An empty body splits into no blocks at all. */
	for (guint i = 1; blocks[0] != NULL && blocks[i] != NULL; i++) {
		g_autofree char *action = block_field (blocks[i], "Action");
		g_autofree char *status = block_field (blocks[i], "Status");
		g_autofree char *who = block_field (blocks[i],
						    "Final-Recipient");
		char *space;

		if (action == NULL && status == NULL)
			continue;
		if (action == NULL || status == NULL)
			return input_fail (error, 0, "delivery status: a "
					   "recipient without Action or "
					   "Status");
		if ((space = strpbrk (status, " \t(")) != NULL)
			*space = '\0';
		if (!status_code_valid (status))
			return input_fail (error, 0, "delivery status: "
					   "\"%s\" is not an RFC 3463 code",
					   status);
		switch (recipient_outcome (action, status)) {
		case BOUNCE_HARD:
			hard = TRUE;
			add_final_recipient (bounce->hard, who);
			break;
		case BOUNCE_SOFT: soft = TRUE; break;
		case BOUNCE_DELIVERED: delivered = TRUE; break;
		case BOUNCE_NONE: break;
		}
		g_string_append_printf (bounce->evidence,
					"%s status=%s action=%s recipient=%s",
					i > 1 ? ";" : "", status, action,
					who ? who : "-");
	}
	bounce->outcome = delivered ? BOUNCE_DELIVERED :
			  hard ? BOUNCE_HARD :
			  soft ? BOUNCE_SOFT : BOUNCE_NONE;
	if (bounce->outcome == BOUNCE_NONE)
		return input_fail (error, 0, "delivery status: no recipient "
				   "with an outcome");
	return TRUE;
}

/* The trace id in "<TRACE@domain>", or NULL. */
static char *
message_id_trace_id (const char *message_id)
{
	g_autofree char *bare = NULL;
	g_autofree char *address = NULL;
	char *at;

	if (message_id == NULL)
		return NULL;
	bare = g_strstrip (g_strdup (message_id));
	if (bare[0] == '<')
		memmove (bare, bare + 1, strlen (bare));
	g_strdelimit (bare, ">", '\0');
	at = strchr (bare, '@');
	if (at == NULL)
		return NULL;
	*at = '\0';
	/* The VERP check shares the trace id's syntax. */
	address = g_strdup_printf ("bounces+%s@x", bare);
	return ds_email_verp_trace_id (address);
}

static char *
original_message_id (GMimeObject *original)
{
	g_autofree char *headers = NULL;

	if (original == NULL)
		return NULL;
	if (GMIME_IS_MESSAGE_PART (original)) {
		GMimeMessage *message = g_mime_message_part_get_message (
			GMIME_MESSAGE_PART (original));

		return message ? message_id_trace_id (
			g_mime_message_get_message_id (message)) : NULL;
	}
	headers = part_text (original);
	if (headers == NULL)
		return NULL;
	g_strdelimit (headers, "\r", '\n');
	{
		g_autofree char *value = block_field (headers, "Message-ID");

		return message_id_trace_id (value);
	}
}

/* VERP: the bounce went to bounces+TRACE@domain. */
static char *
verp_trace_id (GMimeMessage *message)
{
	static const char *const headers[] = {
		"Delivered-To", "X-Original-To", "To", "Envelope-To",
	};
	for (gsize i = 0; i < G_N_ELEMENTS (headers); i++) {
		const char *value = g_mime_object_get_header (
			GMIME_OBJECT (message), headers[i]);
		g_autoptr (InternetAddressList) addresses = NULL;

		if (value == NULL)
			continue;
		addresses = internet_address_list_parse (NULL, value);
		for (int j = 0; addresses != NULL &&
		     j < internet_address_list_length (addresses); j++) {
			InternetAddress *address =
				internet_address_list_get_address (addresses,
								   j);
			char *trace_id;

			if (!INTERNET_ADDRESS_IS_MAILBOX (address))
				continue;
			trace_id = ds_email_verp_trace_id (
				internet_address_mailbox_get_addr (
					INTERNET_ADDRESS_MAILBOX (address)));
			if (trace_id != NULL)
				return trace_id;
		}
	}
	return NULL;
}

static GMimeMessage *
parse_message (GBytes *contents, GError **error)
{
	g_autoptr (GMimeStream) stream = NULL;
	g_autoptr (GMimeParser) parser = NULL;
	GMimeMessage *message;

	g_mime_init ();
	stream = g_mime_stream_mem_new_with_buffer (
		g_bytes_get_data (contents, NULL),
		g_bytes_get_size (contents));
	parser = g_mime_parser_new_with_stream (stream);
	message = g_mime_parser_construct_message (parser, NULL);
	if (message == NULL)
		input_fail (error, 0, "not a mail message");
	return message;
}

static const char *
bounce_state (BounceOutcome outcome)
{
	switch (outcome) {
	case BOUNCE_HARD: return "bounced-hard";
	case BOUNCE_SOFT: return "bounced-soft";
	case BOUNCE_DELIVERED: return "delivered";
	case BOUNCE_NONE: break;
	}
	g_assert_not_reached ();
}

/* The To addresses of a stored message, lower case. */
static GPtrArray *
message_recipients (GBytes *stored)
{
	g_autoptr (GMimeMessage) message = parse_message (stored, NULL);
	GPtrArray *recipients = g_ptr_array_new_with_free_func (g_free);
	InternetAddressList *to;

	if (message == NULL)
		return recipients;
	to = g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO);
	for (int i = 0; i < internet_address_list_length (to); i++) {
		InternetAddress *address =
			internet_address_list_get_address (to, i);

		if (INTERNET_ADDRESS_IS_MAILBOX (address))
			g_ptr_array_add (recipients, g_ascii_strdown (
				internet_address_mailbox_get_addr (
					INTERNET_ADDRESS_MAILBOX (address)),
				-1));
	}
	return recipients;
}

/*
 * Add to GONE every address that EVIDENCE names after "refused <" (the
 * relay refused it for good) or "bounced <" (an earlier partial
 * bounce).  One the relay deferred has an attempt of its own, which
 * either reaches it or, expired, sends the document by letter.
 */
static void
add_gone_recipients (GHashTable *gone, const char *evidence)
{
	static const char *const marks[] = { "refused <", "bounced <" };

	for (gsize m = 0; evidence != NULL && m < G_N_ELEMENTS (marks);
	     m++) {
		const char *p = evidence;

		while ((p = strstr (p, marks[m])) != NULL) {
			const char *start = p + strlen (marks[m]);
			const char *end = strchr (start, '>');

			if (end == NULL)
				break;
			g_hash_table_add (gone, g_ascii_strdown (
				start, end - start));
			p = end;
		}
	}
}

/*
 * The recipients of the document's message that may still have it,
 * joined "<a@x>, <b@y>", or NULL when none is left: each was refused
 * by the relay, or bounced hard in this report or an earlier one.
 * NULL too when the report names no address or the stored message
 * cannot be read: then the bounce counts for the whole message.
 */
static char *
recipients_left (Feedback *feedback, const char *trace_id,
		 const BounceReport *bounce, gboolean *repeated,
		 GError **error)
{
	DsStore *store = feedback->instance->store;
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (GBytes) stored = NULL;
	g_autoptr (GPtrArray) recipients = NULL;
	g_autoptr (GPtrArray) records = NULL;
	g_autoptr (GHashTable) gone = NULL;
	GString *left = NULL;

	*repeated = FALSE;
	if (bounce->hard->len == 0)
		return NULL;
	document = ds_document_get (store, trace_id, error);
	records = document ? ds_journal_for_trace (store, trace_id, error)
			   : NULL;
	if (records == NULL)
		return NULL;
	stored = ds_production_load_email (document, NULL);
	recipients = stored ? message_recipients (stored) : NULL;
	if (recipients == NULL || recipients->len < 2)
		return NULL;
	gone = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < records->len; i++)
		add_gone_recipients (gone, ((DsJournalRecord *)
					    records->pdata[i])->evidence);
	*repeated = TRUE;
	for (guint i = 0; i < bounce->hard->len; i++)
		if (g_hash_table_add (gone,
				      g_strdup (bounce->hard->pdata[i])))
			*repeated = FALSE;
	for (guint i = 0; i < recipients->len; i++) {
		if (g_hash_table_contains (gone, recipients->pdata[i]))
			continue;
		if (left == NULL)
			left = g_string_new (NULL);
		else
			g_string_append (left, ", ");
		g_string_append_printf (left, "<%s>",
					(char *) recipients->pdata[i]);
	}
	return left ? g_string_free (left, FALSE) : NULL;
}

/*
 * Journal a hard bounce of some of the message's recipients: the
 * attempt keeps its state, the record names who bounced and who may
 * still have the message.  A REPEATED report, naming no address that
 * had not bounced before, is journaled as ignored and counted so.
 */
static gboolean
journal_partial_bounce (Feedback *feedback, const DsAttempt *attempt,
			const BounceReport *bounce, const char *left,
			gboolean repeated, GError **error)
{
	g_autoptr (GString) evidence = g_string_new (NULL);
	g_autofree char *id_text = g_strdup_printf (
		"%" G_GINT64_FORMAT, attempt->attempt_id);
	DsJournalEntry entry = {
		.object_kind = "attempt", .object_id = id_text,
		.trace_id = attempt->trace_id,
		.event = repeated ? "ignored" : "bounce-partial",
		.old_state = attempt->state, .new_state = attempt->state,
	};

	for (guint i = 0; i < bounce->hard->len; i++)
		g_string_append_printf (evidence, "bounced <%s>; ",
					(char *) bounce->hard->pdata[i]);
	g_string_append_printf (evidence, "may have it: %s; %s file=%s "
				"sha256=%s", left, bounce->evidence->str,
				feedback->name, feedback->sha256);
	entry.evidence = evidence->str;
	if (!ds_journal_append (feedback->instance->store, &entry, error))
		return FALSE;
	if (repeated)
		feedback->report->ignored++;
	else
		feedback->report->applied++;
	return TRUE;
}

static gboolean
apply_bounce (Feedback *feedback, GBytes *contents, GError **error)
{
	static const DsChannel email[] = {
		DS_CHANNEL_EMAIL, DS_CHANNEL_COUNT
	};
	g_autoptr (GMimeMessage) message = parse_message (contents, error);
	g_autofree char *trace_id = NULL;
	g_autofree char *status_text = NULL;
	g_autoptr (DsAttempt) attempt = NULL;
	g_autoptr (GString) evidence = g_string_new ("dsn");
	g_autoptr (GPtrArray) hard = g_ptr_array_new_with_free_func (g_free);
	BounceReport bounce = { BOUNCE_NONE, evidence, hard };
	ReportParts parts = { NULL, NULL };
	g_autoptr (GError) local = NULL;
	g_autofree char *left = NULL;
	gboolean repeated = FALSE;
	gboolean moved;

	feedback->report->kind = "bounce";
	if (message == NULL)
		return FALSE;
	g_mime_message_foreach (message, find_report_parts, &parts);
	if (parts.status == NULL || (status_text = part_text (parts.status))
	    == NULL)
		return input_fail (error, 0, "no message/delivery-status "
				   "part: not an RFC 3464 report");
	if (!parse_delivery_status (status_text, &bounce, error))
		return FALSE;
	trace_id = verp_trace_id (message);
	if (trace_id == NULL)
		trace_id = original_message_id (parts.original);
	if (trace_id == NULL)
		return input_fail (error, 0, "neither a VERP address nor the "
				   "returned Message-ID names a document");
	attempt = last_attempt (feedback, trace_id, email, &local);
	if (local != NULL) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (attempt == NULL)
		return input_fail (error, 0, "%s: no e-mail attempt",
				   trace_id);
	if (g_strcmp0 (attempt->state, "unknown-outcome") == 0) {
		/* A report proves the relay had it: reconciled. */
		if (!feedback_move (feedback, attempt, "handed-off",
				    "reconciled: a delivery report came "
				    "back", 0, &moved, error))
			return FALSE;
		g_free (attempt->state);
		attempt->state = g_strdup ("handed-off");
	}
	if (bounce.outcome == BOUNCE_HARD &&
	    ds_state_allowed (DS_MACHINE_ATTEMPT, attempt->state,
			      "bounced-hard")) {
		left = recipients_left (feedback, trace_id, &bounce,
					&repeated, &local);
		if (local != NULL) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		if (left != NULL)
			return journal_partial_bounce (feedback, attempt,
						       &bounce, left,
						       repeated, error);
	}
	if (!feedback_move (feedback, attempt,
			    bounce_state (bounce.outcome), evidence->str, 0,
			    &moved, error))
		return FALSE;
	if (!moved || bounce.outcome != BOUNCE_HARD)
		return TRUE;
	feedback->report->escalated++;
	return ds_dispatch_escalate_to_letter (feedback->instance->store,
					       trace_id, evidence->str,
					       error);
}

/* -- mailroom and carrier files ---------------------------------------- */

typedef struct {
	GPtrArray *rows;	/* of GPtrArray of char* */
	GArray *lines;		/* int: the physical line each row starts on */
} CsvRows;

static gboolean
keep_row (guint line, char **fields, guint n_fields, gpointer data,
	  GError **error)
{
	CsvRows *rows = data;
	GPtrArray *row = g_ptr_array_new_full (n_fields, g_free);
	int at = line;

	for (guint i = 0; i < n_fields; i++)
		g_ptr_array_add (row, g_strdup (fields[i]));
	g_ptr_array_add (rows->rows, row);
	g_array_append_val (rows->lines, at);
	return TRUE;
}

/*
 * The rows of TEXT, each with the physical line it starts on in
 * *LINES (csv-reader.h), so that a row after a quoted field holding a
 * line break is still told by its line.
 */
static GPtrArray *
read_rows (const char *text, gsize length, GArray **lines, GError **error)
{
	CsvRows rows = {
		g_ptr_array_new_with_free_func (
			(GDestroyNotify) g_ptr_array_unref),
		g_array_new (FALSE, FALSE, sizeof (int)),
	};

	if (!ds_csv_read (text, length,
			  ds_csv_detect_delimiter (text, length), keep_row,
			  &rows, error)) {
		g_ptr_array_unref (rows.rows);
		g_array_unref (rows.lines);
		return NULL;
	}
	*lines = rows.lines;
	return rows.rows;
}

typedef struct {
	int batch_id, trace_id, state, tracking, note;
} Columns;

static int
column_index (GPtrArray *header, const char *name, const char *alias)
{
	for (guint i = 0; i < header->len; i++) {
		const char *field = g_ptr_array_index (header, i);

		if (g_ascii_strcasecmp (field, name) == 0 ||
		    (alias && g_ascii_strcasecmp (field, alias) == 0))
			return i;
	}
	return -1;
}

static const char *
row_field (GPtrArray *row, int column)
{
	if (column < 0 || (guint) column >= row->len)
		return NULL;
	return *(const char *) row->pdata[column] ? row->pdata[column] : NULL;
}

/* The states a mailroom or a carrier may report for a letter. */
static const char *const letter_states[] = {
	"printed", "posted", "delivered-assumed", "returned", "notice-left",
	"signed", "unclaimed", "cancelled",
};

static gboolean
letter_state_known (const char *state)
{
	for (gsize i = 0; i < G_N_ELEMENTS (letter_states); i++)
		if (strcmp (state, letter_states[i]) == 0)
			return TRUE;
	return FALSE;
}

/* A returned letter, once really moved, opens the research task. */
static gboolean
letter_moved (Feedback *feedback, const DsAttempt *attempt,
	      const char *state, GError **error)
{
	if (strcmp (state, "returned") != 0)
		return TRUE;
	return open_task (feedback, attempt->trace_id,
			  "letter returned: research the address", error);
}

static DsAttempt *
row_attempt (Feedback *feedback, const char *trace_id,
	     const char *tracking, int line, GError **error)
{
	static const DsChannel letters[] = {
		DS_CHANNEL_LETTER, DS_CHANNEL_REGISTERED, DS_CHANNEL_COUNT
	};
	DsStore *store = feedback->instance->store;
	DsAttempt *attempt = NULL;
	gint64 attempt_id = 0;
	GError *local = NULL;

	if (trace_id != NULL) {
		attempt = last_attempt (feedback, trace_id, letters, &local);
	} else if (ds_attempt_find_by_provider_id (store, tracking,
						   &attempt_id, &local) &&
		   attempt_id != 0) {
		attempt = ds_attempt_get (store, attempt_id, &local);
	}
	if (attempt != NULL)
		return attempt;
	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	input_fail (error, line, "%s %s: no letter to it",
		    trace_id ? "trace id" : "tracking number",
		    trace_id ? trace_id : tracking);
	return NULL;
}

static gboolean
apply_letter_row (Feedback *feedback, GPtrArray *row, const Columns *at,
		  int line, GError **error)
{
	const char *trace_id = row_field (row, at->trace_id);
	const char *tracking = row_field (row, at->tracking);
	const char *state = row_field (row, at->state);
	const char *note = row_field (row, at->note);
	g_autoptr (DsAttempt) attempt = NULL;
	g_autofree char *detail = NULL;
	gboolean moved;

	if (state == NULL || !letter_state_known (state))
		return input_fail (error, line, "state \"%s\" is not one a "
				   "letter can report", state ? state : "");
	if (trace_id == NULL && tracking == NULL)
		return input_fail (error, line, "neither a trace id nor a "
				   "tracking number");
	attempt = row_attempt (feedback, trace_id, tracking, line, error);
	if (attempt == NULL)
		return FALSE;
	if (tracking != NULL && trace_id != NULL &&
	    !ds_attempt_set_provider_id (feedback->instance->store,
					 attempt->attempt_id, tracking,
					 error))
		return FALSE;
	detail = g_strdup_printf ("mailroom state=%s tracking=%s note=%s",
				  state, tracking ? tracking : "-",
				  note ? note : "-");
	return feedback_move (feedback, attempt, state, detail, line,
			      &moved, error) &&
	       (!moved || letter_moved (feedback, attempt, state, error));
}

static gboolean
apply_batch_row (Feedback *feedback, GPtrArray *row, const Columns *at,
		 int line, GError **error)
{
	const char *batch_id = row_field (row, at->batch_id);
	const char *state = row_field (row, at->state);
	g_autofree char *evidence = NULL;
	g_autoptr (GError) local = NULL;
	gboolean moved;

	if (batch_id == NULL || state == NULL ||
	    (strcmp (state, "printed") != 0 && strcmp (state, "posted") != 0))
		return input_fail (error, line, "a batch id and printed or "
				   "posted");
	evidence = g_strdup_printf ("mailroom state=%s file=%s sha256=%s",
				    state, feedback->name, feedback->sha256);
	if (!ds_batch_report (feedback->instance, batch_id, state, evidence,
			      &moved, &local)) {
		if (local->domain == DS_ERROR &&
		    (local->code == DS_ERROR_STATE ||
		     local->code == DS_ERROR_NOT_FOUND))
			return input_fail (error, line, "%s",
					   local->message);
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (moved)
		feedback->report->applied++;
	else
		feedback->report->ignored++;
	return TRUE;
}

static gboolean
apply_table (Feedback *feedback, GPtrArray *rows, GArray *lines,
	     GError **error)
{
	GPtrArray *header = g_ptr_array_index (rows, 0);
	Columns at = {
		column_index (header, "batch_id", "batch"),
		column_index (header, "trace_id", "trace"),
		column_index (header, "state", "status"),
		column_index (header, "tracking_number", "tracking"),
		column_index (header, "note", NULL),
	};

	feedback->report->kind = "mailroom";
	if (at.state < 0 ||
	    (at.batch_id < 0 && at.trace_id < 0 && at.tracking < 0))
		return input_fail (error, 1, "header needs state and one of "
				   "batch_id, trace_id, tracking_number");
	for (guint i = 1; i < rows->len; i++) {
		GPtrArray *row = g_ptr_array_index (rows, i);
		int line = g_array_index (lines, int, i);
		gboolean ok = at.batch_id >= 0 ?
			apply_batch_row (feedback, row, &at, line, error) :
			apply_letter_row (feedback, row, &at, line, error);

		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean
looks_like_trace_id (const char *text)
{
	g_autofree char *address = g_strdup_printf ("bounces+%s@x", text);
	g_autofree char *trace_id = ds_email_verp_trace_id (address);

	return trace_id != NULL && strchr (text, ',') == NULL;
}

/* A scan of returned envelopes: one trace id per line. */
static gboolean
apply_scan (Feedback *feedback, GPtrArray *rows, GArray *lines,
	    GError **error)
{
	Columns at = { -1, 0, 1, -1, -1 };

	feedback->report->kind = "scan";
	for (guint i = 0; i < rows->len; i++) {
		GPtrArray *row = g_ptr_array_index (rows, i);
		int line = g_array_index (lines, int, i);
		g_autoptr (GPtrArray) returned = g_ptr_array_new ();

		if (i == 0 && row->len == 1 &&
		    g_ascii_strcasecmp (row->pdata[0], "trace_id") == 0)
			continue;
		if (row->len != 1 || !looks_like_trace_id (row->pdata[0]))
			return input_fail (error, line, "not a trace id");
		g_ptr_array_add (returned, row->pdata[0]);
		g_ptr_array_add (returned, (gpointer) "returned");
		if (!apply_letter_row (feedback, returned, &at, line, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
apply_text (Feedback *feedback, GBytes *contents, GError **error)
{
	gsize length;
	const char *text = g_bytes_get_data (contents, &length);
	g_autoptr (GPtrArray) rows = NULL;
	g_autoptr (GArray) lines = NULL;
	GPtrArray *first;

	if (!g_utf8_validate (text, length, NULL))
		return input_fail (error, 0, "not UTF-8");
	if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		length -= 3;
	}
	rows = read_rows (text, length, &lines, error);
	if (rows == NULL)
		return FALSE;
	if (rows->len == 0)
		return input_fail (error, 0, "no rows");
	first = g_ptr_array_index (rows, 0);
	if (first->len == 1 && (looks_like_trace_id (first->pdata[0]) ||
				g_ascii_strcasecmp (first->pdata[0],
						    "trace_id") == 0))
		return apply_scan (feedback, rows, lines, error);
	return apply_table (feedback, rows, lines, error);
}

/* -- one file ---------------------------------------------------------- */

static gboolean
is_mail (GBytes *contents)
{
	gsize length;
	const char *text = g_bytes_get_data (contents, &length);
	g_autoptr (GRegex) header = g_regex_new (
		"^(Return-Path|Received|From|Date|MIME-Version|To|Subject|"
		"Delivered-To|Content-Type|Message-ID):", G_REGEX_CASELESS,
		0, NULL);

	return g_regex_match_full (header, text, MIN (length, 200), 0, 0,
				   NULL, NULL);
}

gboolean
ds_feedback_apply_file (DsInstance *instance, const char *path,
			DsFeedbackReport *report, GError **error)
{
	g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
	g_autoptr (GBytes) contents = NULL;
	g_autofree char *name = g_path_get_basename (path);
	g_autofree char *actor = g_strdup_printf ("feed:%s", name);
	g_autofree char *previous = NULL;
	Feedback feedback = { instance, report, name, NULL };
	gboolean ok;

	if (file == NULL)
		return FALSE;
	contents = g_mapped_file_get_bytes (file);
	if (g_bytes_get_size (contents) == 0)
		return input_fail (error, 0, "empty file");
	feedback.sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256,
							contents);
	previous = g_strdup (ds_journal_actor ());
	ds_journal_set_actor (actor);
	ok = ds_store_begin (instance->store, error);
	if (ok)
		ok = is_mail (contents) ?
		     apply_bounce (&feedback, contents, error) :
		     apply_text (&feedback, contents, error);
	if (ok)
		ok = ds_store_commit (instance->store, error);
	else
		ds_store_rollback (instance->store);
	ds_journal_set_actor (previous);
	if (!ok) {
		report->applied = report->ignored = 0;
		report->escalated = report->tasks = 0;
		report->refusal_line = ds_error_input_line (
			error ? *error : NULL);
		g_prefix_error (error, "%s: ", name);
	}
	g_free (feedback.sha256);
	return ok;
}

/* -- the status queue -------------------------------------------------- */

static void
settle (DsInstance *instance, const char *status, DsFeedbackReport *report,
	GError *failure)
{
	const char *root = instance->config->spool;
	g_autoptr (GError) move_error = NULL;
	char *moved;

	if (failure == NULL) {
		moved = ds_spool_archive (root, report->path, &move_error);
	} else if (failure->code == DS_ERROR_INPUT) {
		report->refused = TRUE;
		report->refusal = g_strdup (failure->message);
		moved = ds_spool_reject (root, report->path,
					 report->refusal_line,
					 failure->message, &move_error);
	} else {
		moved = ds_spool_unclaim (status, report->path, &move_error);
	}
	if (moved == NULL) {
		g_warning ("%s: left in place: %s", report->path,
			   move_error->message);
		return;
	}
	g_free (report->path);
	report->path = moved;
}

static gboolean
process_one (DsInstance *instance, const char *status, const char *name,
	     GPtrArray *reports, GError **error)
{
	g_autoptr (GError) local = NULL;
	int lock_fd;
	g_autofree char *path = ds_spool_claim (status, name, &lock_fd,
						&local);
	g_autoptr (DsFeedbackReport) report = NULL;
	g_autofree char *line = NULL;
	gboolean database_failed;

	if (path == NULL) {
		if (!g_error_matches (local, DS_ERROR, DS_ERROR_NOT_FOUND))
			g_warning ("%s: cannot claim: %s", name,
				   local->message);
		return TRUE;
	}
	report = ds_feedback_report_new (path);
	if (ds_spool_check_input (path, instance->config->max_input_bytes,
				  NULL, &local))
		ds_feedback_apply_file (instance, path, report, &local);
	database_failed = local != NULL && local->code != DS_ERROR_INPUT;
	settle (instance, status, report, local);
	ds_spool_release (lock_fd);
	line = ds_feedback_report_format (report);
	if (database_failed)
		g_warning ("status: %s: will try again: %s", name,
			   local->message);
	else
		g_message ("status: %s", line);
	g_ptr_array_add (reports, g_steal_pointer (&report));
	if (database_failed) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	return TRUE;
}

gboolean
ds_feedback_process_status (DsInstance *instance, GPtrArray **reports,
			    GError **error)
{
	g_autofree char *status = ds_instance_spool_path (instance,
							  "status");
	g_autoptr (GPtrArray) names = NULL;
	g_autoptr (GPtrArray) done = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_feedback_report_free);
	gboolean ok;

	ok = ds_spool_check_room (instance, error) &&
	     ds_spool_requeue_stale (status, 3600, error) &&
	     (names = ds_spool_list_new (status, error)) != NULL;
	for (guint i = 0; ok && i < names->len; i++)
		ok = process_one (instance, status, names->pdata[i], done,
				  error);
	if (reports != NULL)
		*reports = g_steal_pointer (&done);
	return ok;
}

/* -- a Maildir --------------------------------------------------------- */

/* MAILDIR/new/NAME to MAILDIR/cur/NAME:2,FLAG; the new path. */
static char *
maildir_file (const char *maildir, const char *name, char flag,
	      GError **error)
{
	g_autofree char *from = g_build_filename (maildir, "new", name, NULL);
	g_autofree char *base = g_strdup (name);
	g_autofree char *target = NULL;
	char *info = strstr (base, ":2,");

	if (info != NULL)
		*info = '\0';
	target = g_strdup_printf ("%s/cur/%s:2,%c", maildir, base, flag);
	if (g_rename (from, target) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: %s", from, g_strerror (errno));
		return NULL;
	}
	return g_steal_pointer (&target);
}

static gboolean
maildir_one (DsInstance *instance, const char *maildir, const char *name,
	     GPtrArray *reports, GError **error)
{
	g_autofree char *path = g_build_filename (maildir, "new", name, NULL);
	g_autoptr (DsFeedbackReport) report = ds_feedback_report_new (path);
	g_autoptr (GError) local = NULL;
	g_autoptr (GError) move_error = NULL;
	g_autofree char *line = NULL;
	char *moved;

	if (ds_spool_check_input (path, instance->config->max_input_bytes,
				  NULL, &local))
		ds_feedback_apply_file (instance, path, report, &local);
	if (local != NULL && local->code != DS_ERROR_INPUT) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (local != NULL) {
		report->refused = TRUE;
		report->refusal = g_strdup (local->message);
	}
	moved = maildir_file (maildir, name, local ? 'F' : 'S',
			      &move_error);
	if (moved == NULL) {
		g_warning ("%s: left in new/: %s", path, move_error->message);
	} else {
		g_free (report->path);
		report->path = moved;
	}
	line = ds_feedback_report_format (report);
	g_message ("maildir: %s", line);
	g_ptr_array_add (reports, g_steal_pointer (&report));
	return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

gboolean
ds_feedback_process_maildir (DsInstance *instance, const char *maildir,
			     GPtrArray **reports, GError **error)
{
	g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
	g_autoptr (GDir) dir = g_dir_open (new_dir, 0, error);
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) done = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_feedback_report_free);
	const char *name;
	gboolean ok = TRUE;

	if (dir == NULL)
		return FALSE;
	while ((name = g_dir_read_name (dir)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	for (guint i = 0; ok && i < names->len; i++)
		ok = maildir_one (instance, maildir, names->pdata[i], done,
				  error);
	if (reports != NULL)
		*reports = g_steal_pointer (&done);
	return ok;
}
