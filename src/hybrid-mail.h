/*
 * hybrid-mail.h -- the http letter driver: a hybrid-mail provider that
 * prints, envelopes and posts the PDF itself (DESIGN section 8).
 *
 *   submit   POST URL/letters with an Idempotency-Key: JSON trace_id,
 *            pages, registered, document (the stored PDF, base64); the
 *            provider's letter id comes back.  The same key again finds
 *            the letter made the first time.
 *   poll     GET URL/letters/ID: state accepted, in_production, mailed,
 *            delivered, returned or cancelled.
 *   cancel   DELETE URL/letters/ID: cancelled while the letter is not
 *            yet in production; after that the provider answers 409
 *            (DS_ERROR_STATE) and the attempt stays cancel-requested
 *            until the letter is mailed.
 *
 * Provider states move the attempt along the letter's path, one legal
 * step at a time, each journaled with the provider's words:
 *
 *   accepted, in_production   nothing (still handed off)
 *   mailed                    printed, posted
 *   delivered                 printed, posted, delivered-assumed
 *   returned                  printed, posted, returned; and the
 *                             collector's task to research the address
 *   cancelled                 cancelled (from cancel-requested)
 *
 * A state the attempt is already past (late, duplicate) is journaled as
 * ignored.  Errors as http-json.h says.
 */
#ifndef DS_HYBRID_MAIL_H
#define DS_HYBRID_MAIL_H

#include <glib.h>

#include "http-json.h"
#include "store.h"

G_BEGIN_DECLS

char *ds_hybrid_mail_submit (const DsHttpService *provider,
			     const char *key, const char *trace_id,
			     GBytes *pdf, int pages, gboolean registered,
			     GError **error);

/* The provider's state of LETTER_ID. */
char *ds_hybrid_mail_poll (const DsHttpService *provider,
			   const char *letter_id, GError **error);

gboolean ds_hybrid_mail_cancel (const DsHttpService *provider,
				const char *letter_id, GError **error);

/*
 * Move the attempt to what PROVIDER_STATE says, as above.  DS_ERROR_INPUT
 * for a state this driver does not know.
 */
gboolean ds_hybrid_mail_record (DsStore *store, gint64 attempt_id,
				const char *provider_state, GError **error);

G_END_DECLS

#endif
