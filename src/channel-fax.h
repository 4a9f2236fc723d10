/*
 * channel-fax.h -- the fax channel: the document's PDF as TIFF G3, its
 * check, the hylafax and http drivers, and the fax policy.
 *
 * Conversion runs Ghostscript (tiffg3, fine resolution 204x196 dpi, A4)
 * and stamps on top of every page a header line identifying the sender,
 * the trace id and the page.  The result is checked before it may be
 * sent: a TIFF whose page count differs from the PDF's, or whose pages
 * are not 1728 pixels wide (the ITU-T T.4 width for A4), is refused.
 *
 * The hylafax driver submits with sendfax(1) and follows the job with
 * faxstat(1), asking for the fields it needs through JOBFMT (job id,
 * state letter, pages sent:total, status text).  Job states map so:
 *
 *   D (done), every page sent          delivered
 *   D, some but not all pages sent     partial
 *   D, no page sent                    failed   (never delivered)
 *   F (failed), a line fault: busy,    failed, to be called again as
 *     no answer, no carrier, dropped   a new attempt (temporary)
 *   F, anything else                   failed
 *   any other state (pending,          still handed off
 *     sleeping, blocked, running)
 *
 * The commands are found on PATH, so a test can put stand-ins first.
 * Nothing here touches the store except ds_fax_record_outcome.
 */
#ifndef DS_CHANNEL_FAX_H
#define DS_CHANNEL_FAX_H

#include <glib.h>

#include "http-json.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_FAX_WIDTH 1728		/* pixels, A4 at 204 dpi */
#define DS_FAX_MAX_CALLS 3		/* attempts before escalation */

/*
 * The PDF as a multi-page TIFF G3 with HEADER (ASCII after
 * transliteration) on top of every page, checked against PAGES.
 */
GBytes *ds_fax_convert (GBytes *pdf, int pages, const char *header,
			GError **error);

/* DS_ERROR_PERMANENT unless TIFF holds PAGES pages, each DS_FAX_WIDTH
 * pixels wide.  *found: the pages found (may be NULL). */
gboolean ds_fax_check_tiff (GBytes *tiff, int pages, int *found,
			    GError **error);

typedef enum {
	DS_FAX_PENDING,		/* the server is still at it */
	DS_FAX_DELIVERED,
	DS_FAX_PARTIAL,
	DS_FAX_FAILED,		/* give up on fax */
	DS_FAX_LINE_FAULT,	/* failed, but another call may work */
} DsFaxOutcome;

typedef struct {
	DsFaxOutcome outcome;
	int pages_sent;
	int pages_total;
	char state;		/* the server's state letter */
	char *status;		/* its status text */
} DsFaxStatus;

void ds_fax_status_clear (DsFaxStatus *status);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DsFaxStatus, ds_fax_status_clear)

/* The attempt state an outcome moves to: NULL for pending. */
const char *ds_fax_outcome_state (DsFaxOutcome outcome);

/* sendfax -n -d NUMBER FILE; the job id HylaFAX gave. */
char *ds_fax_hylafax_submit (const char *number, const char *tiff_path,
			     GError **error);

/*
 * faxrm JOB_ID: TRUE when the server removed the job before it was
 * sent; DS_ERROR_STATE when it would not (the job is done or failed).
 */
gboolean ds_fax_hylafax_remove (const char *job_id, GError **error);

/* faxstat -s -d, the line of JOB_ID; NOT_FOUND when it has none. */
gboolean ds_fax_hylafax_poll (const char *job_id, DsFaxStatus *status,
			      GError **error);

/*
 * The http driver: a REST fax gateway.  Submission posts the checked
 * TIFF (base64 in JSON: to, trace_id, pages, content_type, document) to
 * URL/faxes with an Idempotency-Key, so that submitting again after an
 * unknown outcome finds the fax made the first time instead of sending
 * a second; the gateway's fax id comes back.  Polling reads URL/faxes/ID:
 * state queued or sending (pending), delivered or failed, pages_sent,
 * pages_total, reason; mapped as the hylafax job states above (delivered
 * with fewer pages is partial, with none failed; a reason naming a line
 * fault is a line fault).  Errors as http-json.h says.
 */
typedef DsHttpService DsFaxGateway;

char *ds_fax_http_submit (const DsFaxGateway *gateway, const char *key,
			  const char *number, const char *trace_id,
			  GBytes *tiff, int pages, GError **error);
gboolean ds_fax_http_poll (const DsFaxGateway *gateway, const char *fax_id,
			   DsFaxStatus *status, GError **error);

/*
 * Move the handed-off fax attempt ATTEMPT_ID to the outcome's state,
 * with the server's words as evidence, and apply the policy: after a
 * line fault a new fax attempt (queued, same driver) while the document
 * has had fewer than DS_FAX_MAX_CALLS; after that, or after a failure
 * or a partial send, a new letter attempt; none of this when the
 * operator had asked to cancel it.  Nothing for pending.
 */
gboolean ds_fax_record_outcome (DsStore *store, gint64 attempt_id,
				const DsFaxStatus *status, GError **error);

G_END_DECLS

#endif
