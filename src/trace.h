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
 * The documents an id names: a trace id, or every document about an
 * invoice or a customer.  NOT_FOUND when there is none.
 */
GPtrArray *ds_trace_resolve (DsStore *store, const char *id,
			     GError **error);

gboolean ds_trace_print (DsStore *store, GPtrArray *trace_ids, FILE *out,
			 GError **error);
gboolean ds_trace_to_json (DsStore *store, GPtrArray *trace_ids,
			   JsonBuilder *builder, GError **error);

/* Documents: trace id, customer, step, channel, state, last attempt. */
gboolean ds_queue_print (DsStore *store, GPtrArray *trace_ids, FILE *out,
			 GError **error);
gboolean ds_queue_to_json (DsStore *store, GPtrArray *trace_ids,
			   JsonBuilder *builder, GError **error);

/*
 * Recompute the journal's hash chain and every stored PDF's SHA-256,
 * and check the journal against the anchors in ANCHOR_PATH (NULL: no
 * anchors; see ds_journal_check_anchors).  FALSE with DS_ERROR_CORRUPT
 * naming the altered record, the cut or mismatched anchor, and the
 * first altered file found; problems are also printed to `out`.
 */
gboolean ds_trace_verify (DsStore *store, const char *anchor_path,
			  FILE *out, GError **error);

G_END_DECLS

#endif
