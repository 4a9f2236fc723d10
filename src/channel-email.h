/*
 * channel-email.h -- the e-mail channel: compose and submit one message.
 *
 * Composition builds an RFC 5322 message with GMime: multipart/mixed of a
 * multipart/alternative (text/plain, text/html, UTF-8, quoted-printable)
 * and the PDF (base64), headers encoded per RFC 2047/2231, CRLF line ends,
 * a Message-ID made from the trace id and a return path carrying the trace
 * id (VERP) so that a bounce finds its document.  No ledger text can add
 * or alter a header: control characters (CR, LF, and every other) in a
 * display name, subject or file name become a space; an address or trace
 * id holding anything but its own syntax is refused as DS_ERROR_INPUT.
 * Given the same DsEmail, including its date, composition gives the same
 * bytes.
 *
 * Two drivers submit it: "smtp" hands it to the configured relay through
 * libcurl (each recipient's reply kept apart) and "pickup" writes it as
 * TRACE.eml into a directory (temporary file, fsync, link, fsync).
 */
#ifndef DS_CHANNEL_EMAIL_H
#define DS_CHANNEL_EMAIL_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	const char *trace_id;		/* 1-64 of [A-Za-z0-9._-], see below */
	const char *from_name;		/* may be NULL */
	const char *from_address;
	const char *return_path;	/* NULL: bounces+TRACE@domain */
	const char *const *to;		/* NULL-terminated, at least one */
	const char *to_name;		/* names to[0], may be NULL */
	const char *subject;
	const char *text;		/* LF or CRLF line ends */
	const char *html;		/* may be NULL */
	GBytes *pdf;			/* may be NULL */
	const char *pdf_name;		/* NULL: TRACE.pdf */
	const char *message_domain;	/* right side of the Message-ID */
	GDateTime *date;		/* NULL: now, in UTC */
} DsEmail;

/*
 * The whole message, CRLF line ends, ready for the wire; or NULL with
 * DS_ERROR_INPUT when a field is unusable: a trace id that is not a safe
 * file name (letters, digits, '.', '_', '-', a letter or digit first and
 * last, no ".."), an address that is not a plain ASCII dot-atom
 * local@host, a message domain that is not a host name, no recipient, no
 * text, or text that is not UTF-8.  `to_name` names the first address
 * only; further addresses go without a display name.
 */
GBytes *ds_email_compose (const DsEmail *email, GError **error);

/*
 * TRUE when `address` is one the channel sends to: a plain ASCII
 * dot-atom local part (RFC 5322), '@', a host name; no display name, no
 * angle brackets, no comment.
 */
gboolean ds_email_address_valid (const char *address);

/* The envelope sender (MAIL FROM, Return-Path) of `email`, no brackets. */
char *ds_email_envelope_sender (const DsEmail *email);

/*
 * The trace id in a VERP address "bounces+TRACE@domain" as made by
 * ds_email_envelope_sender, or NULL when `address` is not one.
 */
char *ds_email_verp_trace_id (const char *address);

typedef struct {
	char *address;
	int code;		/* SMTP reply code for this recipient */
	char *reply;		/* the server's text */
} DsRecipientResult;

typedef struct {
	GPtrArray *accepted;	/* of DsRecipientResult */
	GPtrArray *refused;	/* of DsRecipientResult, 4xx or 5xx */
	char *message_id;	/* "<TRACE@domain>" */
	int code;		/* the relay's reply to the message: 250 */
	char *reply;		/* its text, e.g. "2.0.0 Ok: queued as 4F2B" */
} DsEmailResult;

void ds_email_result_free (DsEmailResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEmailResult, ds_email_result_free)

typedef struct {
	const char *url;		/* smtp[s]://host:port[/EHLO-NAME] */
	const char *username;		/* NULL: no authentication */
	const char *password;
	gboolean starttls;		/* require STARTTLS */
	long timeout_seconds;		/* per connect and per reply; 0: 60 */
} DsSmtpRelay;

/*
 * Send `message` (from ds_email_compose) through the relay, from the
 * envelope sender of `email` to its `to` addresses.  Only the envelope
 * fields of `email` are read (trace id, message domain, from address,
 * return path, to): a message composed and stored earlier is sent as it
 * was stored.
 *
 * Returns NULL with DS_ERROR_TEMPORARY when nothing was accepted but a
 * later try may be (no connection, TLS or login failure, a 4xx reply, a
 * 4xx among the refused recipients when none was accepted), or with
 * DS_ERROR_PERMANENT when the relay refused it for good (5xx to the
 * sender, to the message, or to every recipient).  Returns a result when
 * the relay took the message for at least one recipient; the others are
 * listed in `refused` with their replies.
 *
 * `*unknown_outcome` (required) is set TRUE only beside a TEMPORARY error
 * after the relay had answered 354 to DATA and no final reply came: the
 * message may have been taken, so the attempt must be reconciled, never
 * simply resubmitted.  It is FALSE in every other case.
 */
DsEmailResult *ds_email_send_smtp (const DsSmtpRelay *relay,
				   const DsEmail *email, GBytes *message,
				   gboolean *unknown_outcome, GError **error);

/*
 * Write DIRECTORY/TRACE.eml, mode 0640: a temporary ".TRACE.eml.XXXXXX"
 * in DIRECTORY, fsync, hard link to the final name, fsync DIRECTORY.  The
 * final name never holds a partial file and is never replaced: writing
 * the same bytes again succeeds, different bytes fail with DS_ERROR_STATE.
 */
gboolean ds_email_write_pickup (const char *directory, const char *trace_id,
				GBytes *message, GError **error);

G_END_DECLS

#endif
