/*
 * batch.h -- the mailroom's print batches.
 *
 * Letters and registered letters wait as queued attempts until the
 * day's batch is built: one batch per entity and day, its letters sorted
 * for postage by country and postal code, written to outgoing/print as
 * BATCH.pdf (the stored PDFs of its documents, unchanged, one after the
 * other) and BATCH.csv (the manifest: sequence, trace id, customer,
 * country, postal code, first page, pages, registered).  Both files'
 * SHA-256 are kept with the batch and in its "created" journal record,
 * against which `trace --verify` checks them (trace.h).  The attempts
 * then stand handed-off to the mailroom, who confirm the batch printed
 * and posted (`dunspool batch printed|posted ID`), which moves the batch
 * and every attempt in it, and journals each.  Once a batch is printed
 * its files have done their work: the mailroom may take them out of
 * outgoing/print (each letter's proof is its own stored PDF).
 *
 * A batch's files get their names only once the batch is recorded:
 * until then they are dot-names, which the mailroom never reads, and a
 * run cut short leaves nothing the mailroom could print while its
 * letters are batched again (the next run removes or names what it
 * finds).
 */
#ifndef DS_BATCH_H
#define DS_BATCH_H

#include <glib.h>

#include "date.h"
#include "instance.h"

G_BEGIN_DECLS

/* Build the batches of `day` from the queued print attempts. */
gboolean ds_batch_build (DsInstance *instance, DsDate day,
			 gint64 *batches, GError **error);

/*
 * Move a batch and its attempts to "printed" or "posted": the
 * operator's command.  A batch that is there already, or that the move
 * would take past a state (created -> posted), is DS_ERROR_STATE; an
 * attempt of the batch already past STATE keeps its state (journaled
 * as ignored).  DS_ERROR_NOT_FOUND for an unknown batch.
 */
gboolean ds_batch_mark (DsInstance *instance, const char *batch_id,
			const char *state, GError **error);

/*
 * The same as feedback (a mailroom's status file), judged as states.h
 * says: moved (*moved TRUE); late or repeated, the batch at STATE or
 * past it, journaled as "ignored" with EVIDENCE (*moved FALSE); or
 * DS_ERROR_STATE when it skips a state, saying which.
 */
gboolean ds_batch_report (DsInstance *instance, const char *batch_id,
			  const char *state, const char *evidence,
			  gboolean *moved, GError **error);

/*
 * The cups driver: send the batch PDF to PRINTER with lp(1), titled by
 * the batch id; the request id CUPS gives is kept and journaled.  A
 * batch already sent is not sent again (DS_ERROR_STATE).
 */
gboolean ds_batch_print (DsInstance *instance, const char *batch_id,
			 const char *printer, char **request_id,
			 GError **error);

/*
 * Batches sent to CUPS and still "created" whose request lpstat(1)
 * lists as completed become "printed" (as ds_batch_mark).  *printed:
 * how many.
 */
gboolean ds_batch_poll_printed (DsInstance *instance, gint64 *printed,
				GError **error);

/* ".NAME" beside NAME: where a batch file lies until it is named. */
char *ds_batch_hidden_path (const char *path);

typedef struct {
	char *batch_id;
	char *entity_id;
	DsDate day;
	char *state;
	char *pdf_path;
	char *manifest_path;
	int documents;
	int pages;
} DsBatch;

void ds_batch_free (DsBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsBatch, ds_batch_free)

/* Every batch, newest first: a GPtrArray of DsBatch. */
GPtrArray *ds_batch_list (DsInstance *instance, GError **error);
gint64 ds_batch_count (DsInstance *instance);

G_END_DECLS

#endif
