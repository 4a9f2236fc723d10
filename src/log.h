/*
 * log.h -- log records an operator can search: one per event, with the
 * ids and state as journald fields and a fixed MESSAGE_ID per kind.
 *
 * Every record goes through GLib structured logging, under the log
 * domain of the module that writes it (G_LOG_DOMAIN, "dunspool-NAME"),
 * so G_MESSAGES_DEBUG selects modules and journald gets, besides
 * MESSAGE and PRIORITY:
 *
 *   MESSAGE_ID          the event kind's id, explained in the journal
 *                       catalog (doc/dunspool.catalog, journalctl -x)
 *   DUNSPOOL_TRACE_ID   the document, when the event has one
 *   DUNSPOOL_ATTEMPT    the attempt id, when the event has one
 *   DUNSPOOL_CHANNEL    email, letter, registered, fax
 *   DUNSPOOL_STATE      the state reached
 *   CODE_FILE, CODE_LINE, CODE_FUNC, GLIB_DOMAIN
 *
 * so that `journalctl DUNSPOOL_TRACE_ID=DS6KAQTAHM4M` shows one
 * document's story.
 *
 * Debtor data (names, addresses, amounts) never goes into the message
 * or a field at info level or above: a caller passes it apart, as
 * `debtor`, and it is appended to the message only at debug level or
 * when the administrator asks for it with DUNSPOOL_LOG_DEBTOR_DATA=1 in
 * the environment.  The message itself holds ids, states, counts and
 * causes, object id first: "DS6KAQTAHM4M: dispatched: channel=letter".
 */
#ifndef DS_LOG_H
#define DS_LOG_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	DS_LOG_DOCUMENT_PLANNED,
	DS_LOG_DOCUMENT_RENDERED,
	DS_LOG_DOCUMENT_DISPATCHED,
	DS_LOG_DOCUMENT_ACTION_REQUIRED,
	DS_LOG_DOCUMENT_STATE,
	DS_LOG_ATTEMPT_STATE,
	DS_LOG_IMPORT,
	DS_LOG_INPUT_REFUSED,
	DS_LOG_BATCH,
	DS_LOG_CYCLE,
	DS_LOG_DAEMON,
	DS_LOG_SPOOL,
	DS_LOG_SCORER,
	DS_LOG_NO_SPACE,
	DS_LOG_EVENT_COUNT
} DsLogEvent;

/* What the record is about; every member may be left 0 or NULL. */
typedef struct {
	const char *trace_id;
	gint64 attempt;
	const char *channel;
	const char *state;
	const char *debtor;	/* logged only at debug level or when asked */
} DsLogFields;

/* The MESSAGE_ID of an event kind: 32 lowercase hex digits. */
const char *ds_log_message_id (DsLogEvent event);

/* TRUE when DUNSPOOL_LOG_DEBTOR_DATA=1: debtor data at every level. */
gboolean ds_log_debtor_data_allowed (void);

void ds_log_event_full (const char *domain, const char *file,
			const char *line, const char *function,
			GLogLevelFlags level, DsLogEvent event,
			const DsLogFields *fields, const char *format, ...)
	G_GNUC_PRINTF (8, 9);

/*
 * One info record for a journal record (journal.c calls it for every
 * record appended): documents, attempts, batches, imports and cycles,
 * under the log domain "dunspool-journal", with the event kind the
 * object and event name give.  Evidence (an SMTP reply may name a
 * recipient) counts as debtor data.  Other objects are not logged.
 */
void ds_log_journal_record (const char *object_kind, const char *object_id,
			    const char *trace_id, const char *event,
			    const char *old_state, const char *new_state,
			    const char *evidence);

/*
 * A program that reports events of this kind itself, on its own output
 * (the CLI's import report names every file, its counts, warnings and
 * refusal), calls this once: their records then go to the journal when
 * standard error is journald's, and are not written to standard error
 * a second time.  Info and debug records, shown only when asked for
 * with G_MESSAGES_DEBUG, are written as always.
 */
void ds_log_set_reported (DsLogEvent event);

/*
 * ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_BATCH,
 *               &(DsLogFields) { .channel = "letter" },
 *               "%s: batch created: documents=%d", id, n);
 * The fields (a DsLogFields pointer, or NULL) come first after the
 * event: a compound literal holds commas a named macro argument could
 * not.
 */
#define ds_log_event(level, event, ...) \
	ds_log_event_full (G_LOG_DOMAIN, __FILE__, G_STRINGIFY (__LINE__), \
			   G_STRFUNC, (level), (event), __VA_ARGS__)

G_END_DECLS

#endif
