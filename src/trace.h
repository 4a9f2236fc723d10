/*
 * trace.h -- what the auditor and the mailroom read: one document's,
 * invoice's or customer's whole story, the queue, and the proof check.
 *
 * Output goes to a FILE for people or to a JsonBuilder for programs;
 * money in JSON is a decimal string beside its currency.  Nothing here
 * changes the store.
 */
#ifndef DS_TRACE_H
#define DS_TRACE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "store.h"

G_BEGIN_DECLS

/*
 * The documents an id names: a trace id; or every document about an
 * invoice or a customer, or made for a promise, dispute or payment
 * (ds_document_list_for).  NOT_FOUND when there is none.
 */
GPtrArray *ds_trace_resolve (DsStore *store, const char *id,
			     GError **error);

/*
 * The whole story of an id, as `dunspool trace ID` tells it: the
 * documents it names (ds_trace_resolve), each with its own journal
 * records (those with its trace id), and the records about the id
 * that are no document's, by seq.  Those are the records whose object
 * is
 *
 *   an invoice    the invoice; its promises (a promise naming it), its
 *                 disputes (INVOICE@OPENED) and its payments; and the
 *                 customer's "decided" records without a document (the
 *                 scorer chose to wait) whose decision covered it
 *   a customer    the customer; its invoices, promises, disputes and
 *                 payments
 *   any other id  that object: a promise, dispute or payment
 *
 * An id that names several things (an invoice and a customer of one
 * id) tells all their stories.  NOT_FOUND when there are neither
 * documents nor records.  Records about imports, cycles and batches
 * belong to no invoice: the documents' own records name the batch.
 */
typedef struct {
	char *id;
	GPtrArray *trace_ids;	/* of char *, oldest first */
	GPtrArray *records;	/* of DsJournalRecord; may be NULL */
} DsTraceStory;

void ds_trace_story_free (DsTraceStory *story);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsTraceStory, ds_trace_story_free)

DsTraceStory *ds_trace_story (DsStore *store, const char *id,
			      GError **error);

gboolean ds_trace_print (DsStore *store, const DsTraceStory *story,
			 FILE *out, GError **error);
gboolean ds_trace_to_json (DsStore *store, const DsTraceStory *story,
			   JsonBuilder *builder, GError **error);

/* Documents: trace id, customer, step, channel, state, last attempt. */
gboolean ds_queue_print (DsStore *store, GPtrArray *trace_ids, FILE *out,
			 GError **error);
gboolean ds_queue_to_json (DsStore *store, GPtrArray *trace_ids,
			   JsonBuilder *builder, GError **error);

/*
 * Recompute the journal's hash chain, check the journal against the
 * anchors in ANCHOR_PATH (NULL: no anchors; see
 * ds_journal_check_anchors), and recompute the SHA-256 of every file
 * the journal vouches for:
 *
 *   documents/   each document's PDF, against its last "rendered"
 *                record (its row must hold the same hash); each e-mail
 *                (TRACE.eml), against its last "composed" record
 *   outgoing/print  each batch's PDF and manifest, against its
 *                "created" record (a manifest only where that record
 *                has its hash: batches made since schema 11); the
 *                batch's row must hold the same hashes
 *
 * A batch's file that is missing is a fault while the batch awaits
 * printing; once the journal has the batch printed (or posted), the
 * mailroom may have taken its files away, and a missing one is told,
 * not a fault.  A file present and altered is always a fault.  A batch
 * file still under its hidden name (a run cut short before naming it;
 * batch.h) is checked under that name.
 *
 * FALSE with DS_ERROR_CORRUPT naming the altered record, the cut or
 * mismatched anchor, and the first altered or missing file found;
 * each problem is printed to `out`, then a line per part checked.
 */
gboolean ds_trace_verify (DsStore *store, const char *anchor_path,
			  FILE *out, GError **error);

G_END_DECLS

#endif
