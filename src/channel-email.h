/*
 * channel-email.h -- the e-mail channel: compose and submit one message.
 *
 * Composition builds an RFC 5322 message with GMime: multipart/mixed of a
 * multipart/alternative (text/plain, text/html, UTF-8, quoted-printable)
 * and the PDF (base64), headers encoded per RFC 2047/2231, CRLF line ends,
 * a Message-ID made from the trace id and a return path carrying the trace
 * id (VERP) so that a bounce finds its document.  No ledger text can add
 * or alter a header: CR, LF and NUL are removed from every header value.
 *
 * Two drivers submit it: "smtp" hands it to the configured relay through
 * libcurl (each recipient's reply kept apart) and "pickup" writes it as
 * TRACE.eml into a directory (tmp, fsync, rename).
 */
#ifndef DS_CHANNEL_EMAIL_H
#define DS_CHANNEL_EMAIL_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	const char *trace_id;
	const char *from_name;
	const char *from_address;
	const char *return_path;	/* envelope sender, VERP */
	const char *const *to;		/* NULL-terminated addresses */
	const char *to_name;		/* display name, may be NULL */
	const char *subject;
	const char *text;		/* LF or CRLF line ends */
	const char *html;		/* may be NULL */
	GBytes *pdf;			/* may be NULL */
	const char *pdf_name;		/* attachment file name */
	const char *message_domain;	/* right side of the Message-ID */
} DsEmail;

/* The whole message, CRLF line ends, ready for the wire. */
GBytes *ds_email_compose (const DsEmail *email, GError **error);

typedef struct {
	char *address;
	int code;		/* SMTP reply code for this recipient */
	char *reply;		/* the server's text */
} DsRecipientResult;

typedef struct {
	GPtrArray *accepted;	/* of DsRecipientResult */
	GPtrArray *refused;	/* of DsRecipientResult */
	char *message_id;
} DsEmailResult;

void ds_email_result_free (DsEmailResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEmailResult, ds_email_result_free)

typedef struct {
	const char *url;		/* smtp://host:port or smtps:// */
	const char *username;		/* NULL: no authentication */
	const char *password;
	gboolean starttls;		/* require STARTTLS */
	long timeout_seconds;
} DsSmtpRelay;

/*
 * Send through the relay.  Returns NULL with DS_ERROR_TEMPORARY (4xx, no
 * connection) or DS_ERROR_PERMANENT (5xx for every recipient); a result
 * whose `refused` is not empty when some recipients were refused.
 */
DsEmailResult *ds_email_send_smtp (const DsSmtpRelay *relay,
				   const DsEmail *email, GBytes *message,
				   GError **error);

/* Write DIRECTORY/TRACE.eml through DIRECTORY/../tmp or a temp name. */
gboolean ds_email_write_pickup (const char *directory, const char *trace_id,
				GBytes *message, GError **error);

G_END_DECLS

#endif
