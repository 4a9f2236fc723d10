/*
 * production.h -- turn a scheduled document into a validated PDF.
 *
 * Production renders one scheduled document, stores the PDF read-only
 * under documents/YYYY-MM/TRACE.pdf with its SHA-256 in the journal, and
 * validates it: scheduled -> rendered -> validated -> ready.  A document
 * that cannot be rendered or fails validation goes to action-required
 * with its reason and is never sent; one whose every item was settled in
 * the meantime is superseded.  The bytes validated are the bytes stored,
 * and the dispatcher sends the stored bytes.
 */
#ifndef DS_PRODUCTION_H
#define DS_PRODUCTION_H

#include <glib.h>

#include "document.h"
#include "instance.h"
#include "channel-email.h"
#include "render.h"

G_BEGIN_DECLS

typedef struct {
	DsInstance *instance;
	DsRenderer *renderer;
	GHashTable *open_items;	/* invoice id -> DsOpenItem on the date */
	DsDate as_of;
} DsProduction;

/* The outcome for the cycle's tally: the document's new state. */
gboolean ds_production_run (DsProduction *production,
			    const char *trace_id, char **final_state,
			    GError **error);

/* Stored PDF bytes, checked against the recorded SHA-256. */
GBytes *ds_production_load_pdf (const DsDocument *document, GError **error);

/* The e-mail carrying a rendered document, envelope and all. */
GBytes *ds_production_compose_email (DsInstance *instance,
				     const DsDocument *document,
				     const DsEntity *entity,
				     const DsCustomer *customer,
				     const DsRendered *rendered,
				     GError **error);

/*
 * Fill the envelope fields of `email` for a document to `customer`:
 * sender, VERP return path, every address of the customer's list as a
 * recipient.  The strings it points to are returned in `return_path`,
 * `pdf_name` and `to`, for the caller to free.
 */
void ds_production_email_envelope (DsInstance *instance,
				   const DsDocument *document,
				   const DsEntity *entity,
				   const DsCustomer *customer,
				   DsEmail *email, char **return_path,
				   char **pdf_name, GStrv *to);

/* The stored message of an e-mail document, checked like the PDF. */
GBytes *ds_production_load_email (const DsDocument *document,
				  GError **error);

int ds_production_page_limit (const DsConfig *config, DsChannel channel);

G_END_DECLS

#endif
