/*
 * journal.h -- the append-only, hash-chained record of everything that
 * happened: imports, decisions, state changes, operator acts.
 *
 * Each record holds its UTC time, the actor (daemon, cli:USER, feed:FILE),
 * the object it is about (kind and id, and the trace id when it concerns a
 * document), an event name, the old and new state, and evidence (a
 * provider id, an SMTP reply, a file hash) as text.  Its hash is SHA-256
 * over the previous record's hash and its own fields in a fixed encoding,
 * so that changing, removing or reordering any record breaks every hash
 * after it.  Records are never updated or deleted (the table refuses it).
 *
 * Appending joins the caller's transaction: a state change and its journal
 * record commit together or not at all.
 */
#ifndef DS_JOURNAL_H
#define DS_JOURNAL_H

#include <glib.h>

#include "store.h"

G_BEGIN_DECLS

typedef struct {
	const char *actor;
	const char *object_kind;	/* document, attempt, batch, task,
					   invoice, customer, promise,
					   dispute (id INVOICE@OPENED),
					   payment, import, cycle */
	const char *object_id;
	const char *trace_id;		/* NULL when not about a document */
	const char *event;		/* imported, planned, rendered, ... */
	const char *old_state;		/* NULL for none */
	const char *new_state;
	const char *evidence;		/* free text, may be NULL */
} DsJournalEntry;

typedef struct {
	gint64 seq;
	char *at;
	char *actor;
	char *object_kind;
	char *object_id;
	char *trace_id;
	char *event;
	char *old_state;
	char *new_state;
	char *evidence;
	char *hash;
} DsJournalRecord;

void ds_journal_record_free (DsJournalRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsJournalRecord, ds_journal_record_free)

/* Who acts for this process: "daemon" or "cli:USER".  Default "cli". */
void ds_journal_set_actor (const char *actor);
const char *ds_journal_actor (void);

gboolean ds_journal_append (DsStore *store, const DsJournalEntry *entry,
			    GError **error);

/*
 * The records of one trace id, or about one object (kind, id), in order:
 * a GPtrArray of DsJournalRecord.
 */
GPtrArray *ds_journal_for_trace (DsStore *store, const char *trace_id,
				 GError **error);
GPtrArray *ds_journal_for_object (DsStore *store, const char *object_kind,
				  const char *object_id, GError **error);

/*
 * The records a query of the caller's picks, in the query's order: SQL
 * selects DS_JOURNAL_COLUMNS from the journal named j, with ?1 bound to
 * PARAMETER.  For readers that find records through other tables (the
 * auditor's trace, trace.h).
 */
#define DS_JOURNAL_COLUMNS \
	"j.seq, j.at, j.actor, j.object_kind, j.object_id, j.trace_id," \
	" j.event, j.old_state, j.new_state, j.evidence, j.hash"

GPtrArray *ds_journal_select (DsStore *store, const char *sql,
			      const char *parameter, GError **error);

/*
 * Recompute the chain.  FALSE with DS_ERROR_CORRUPT naming the first
 * record whose hash does not match (its seq in *bad_seq).
 */
gboolean ds_journal_verify (DsStore *store, gint64 *records,
			    gint64 *bad_seq, GError **error);

/* The last record's seq and hash; 0 and the genesis hash when empty. */
gboolean ds_journal_head (DsStore *store, gint64 *seq, char **hash,
			  GError **error);

/*
 * Anchors: the journal's head written outside the database, so that
 * records cut off its end (which leave a shorter chain that is still
 * whole) are found.  ds_journal_anchor appends the head as a line
 * "SEQ HASH TIME" to the append-only file PATH (0640, created when
 * missing), unless the last line names it already or the journal is
 * empty; the head's seq and hash in *SEQ and *HASH when asked for.
 * ds_journal_check_anchors checks every line of PATH (a missing file
 * has none): the record it names must exist and have its hash.
 * FALSE with DS_ERROR_CORRUPT naming the file, line and records:
 * "journal cut" when the journal ends before an anchored record.
 * *ANCHORS counts the lines, *LAST_SEQ is the highest anchored seq.
 */
gboolean ds_journal_anchor (DsStore *store, const char *path, gint64 *seq,
			    char **hash, GError **error);
gboolean ds_journal_check_anchors (DsStore *store, const char *path,
				   gint64 *anchors, gint64 *last_seq,
				   GError **error);

G_END_DECLS

#endif
