/*
 * channel-email.c -- compose one dunning e-mail and hand it over, by SMTP
 * or into a pickup directory.  See channel-email.h for the interface.
 *
 * What it owns: the bytes of the message (ds_email_compose), one SMTP
 * transaction per call (ds_email_send_smtp) and one pickup file per call
 * (ds_email_write_pickup).  It keeps no state between calls, takes no
 * decision to retry, and never touches the ledger or the journal: the
 * dispatcher records what it returns.
 *
 * What it promises about the message:
 *   - headers: Return-Path, From, To, Subject, Date, Message-Id
 *     "<TRACE@domain>", MIME-Version, X-Dunspool-Trace; display names and
 *     the subject in RFC 2047 UTF-8 words, the attachment's file name per
 *     RFC 2231; headers folded by GMime, no line over 998 octets;
 *   - no header from data: a control character in a display name, the
 *     subject or the file name becomes a space, and an address, domain or
 *     trace id is checked against its syntax (ASCII dot-atom addresses,
 *     LDH domains) and refused with DS_ERROR_INPUT otherwise;
 *   - body: multipart/mixed { multipart/alternative { text/plain, text/html
 *     }, application/pdf }, text in UTF-8 quoted-printable, the PDF in
 *     base64; boundaries made from the trace id, which cannot occur inside
 *     quoted-printable or base64 text, so the same input gives the same
 *     bytes;
 *   - CRLF everywhere, no bare CR or LF, checked on the finished bytes.
 *
 * How each recipient's outcome is read (SMTP): libcurl's debug callback
 * (CURLOPT_VERBOSE with CURLOPT_DEBUGFUNCTION) sees every command line we
 * send (CURLINFO_HEADER_OUT) and every reply line the server sends
 * (CURLINFO_HEADER_IN).  SMTP answers commands in the order they were sent,
 * one reply each (libcurl does not pipeline, and the greeting is a reply
 * to no command), so the transcript keeps the sent commands in a list and
 * gives each complete reply to the oldest unanswered one: the reply to
 * "RCPT TO:<a>" is a's outcome, the reply to DATA is 354 or a refusal, and
 * after 354 the next reply is the relay's verdict on the message.
 * CURLOPT_MAIL_RCPT_ALLOWFAILS keeps libcurl going past refused recipients
 * as long as one was accepted.  AUTH lines are classified, never stored.
 *
 * What an outcome means:
 *   2xx to the message          a result; refused recipients listed
 *   4xx to sender/DATA/message  DS_ERROR_TEMPORARY
 *   5xx to sender/DATA/message  DS_ERROR_PERMANENT
 *   every recipient refused     PERMANENT if all were 5xx, else TEMPORARY
 *   354, then no verdict        TEMPORARY and *unknown_outcome: the relay
 *                               may have the message; reconcile first
 *   no connection, TLS, login,  TEMPORARY
 *   timeout before DATA
 *
 * The pickup file is written beside its final name as ".TRACE.eml.XXXXXX"
 * (a name that readers of the directory skip), fsynced, hard-linked to
 * TRACE.eml and the directory fsynced: a reader sees the whole file or
 * none, and an existing TRACE.eml is never replaced by other bytes.
 */
#define G_LOG_DOMAIN "dunspool-email"

#include "channel-email.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds-error.h"

/* GMime 3.2 and libcurl declare no g_autoptr cleanups of their own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeFormatOptions, g_mime_format_options_free)
typedef struct curl_slist SmtpRecipientList;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmtpRecipientList, curl_slist_free_all)

/* The option lost its third L in libcurl 8.2.0. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define EMAIL_CURLOPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define EMAIL_CURLOPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define EMAIL_TRACE_MAX 64		/* keeps "=_mix_TRACE" within 70 */
#define EMAIL_LINE_MAX 998		/* RFC 5322 2.1.1, without CRLF */
#define EMAIL_DEFAULT_TIMEOUT 60L

static gpointer
email_libraries_init (gpointer unused)
{
	g_mime_init ();
	curl_global_init (CURL_GLOBAL_DEFAULT);
	return NULL;
}

/* GMime and libcurl want one global initialisation, before any thread. */
static void
email_libraries_ensure (void)
{
	static GOnce once = G_ONCE_INIT;

	g_once (&once, email_libraries_init, NULL);
}

/* -- checking what we were given ---------------------------------------- */

/* Letters, digits, '.', '_', '-'; a letter or digit first and last. */
static gboolean
email_trace_id_valid (const char *trace_id)
{
	size_t length = trace_id ? strlen (trace_id) : 0;

	if (length == 0 || length > EMAIL_TRACE_MAX)
		return FALSE;
	if (!g_ascii_isalnum (trace_id[0]) ||
	    !g_ascii_isalnum (trace_id[length - 1]))
		return FALSE;
	for (const char *p = trace_id; *p != '\0'; p++) {
		if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
			return FALSE;
		if (p[0] == '.' && p[1] == '.')
			return FALSE;
	}
	return TRUE;
}

/* Host names: labels of letters, digits and inner hyphens. */
static gboolean
email_domain_valid (const char *domain)
{
	g_auto (GStrv) labels = NULL;

	if (domain == NULL || *domain == '\0' || strlen (domain) > 253)
		return FALSE;
	labels = g_strsplit (domain, ".", -1);
	for (char **label = labels; *label != NULL; label++) {
		size_t length = strlen (*label);

		if (length == 0 || length > 63 || (*label)[0] == '-' ||
		    (*label)[length - 1] == '-')
			return FALSE;
		for (const char *p = *label; *p != '\0'; p++)
			if (!g_ascii_isalnum (*p) && *p != '-')
				return FALSE;
	}
	return TRUE;
}

/* RFC 5322 dot-atom local part: atext and inner single dots, ASCII. */
static gboolean
email_local_part_valid (const char *local, size_t length)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";

	if (length == 0 || length > 64 || local[0] == '.' ||
	    local[length - 1] == '.')
		return FALSE;
	for (size_t i = 0; i < length; i++) {
		if (local[i] == '.' && local[i + 1] == '.')
			return FALSE;
		if (!g_ascii_isalnum (local[i]) && local[i] != '.' &&
		    strchr (atext, local[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

gboolean
ds_email_address_valid (const char *address)
{
	const char *at = address ? strrchr (address, '@') : NULL;

	if (at == NULL || strlen (address) > 254)
		return FALSE;
	return email_local_part_valid (address, at - address) &&
	       email_domain_valid (at + 1);
}

static gboolean
email_check_address (const char *field, const char *address, GError **error)
{
	if (ds_email_address_valid (address))
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "e-mail %s: not a plain ASCII address", field);
	return FALSE;
}

static gboolean
email_check_utf8 (const char *field, const char *text, GError **error)
{
	if (text == NULL || g_utf8_validate (text, -1, NULL))
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "e-mail %s: not valid UTF-8", field);
	return FALSE;
}

/* Everything composition needs is there and has its syntax. */
static gboolean
email_check_envelope (const DsEmail *email, GError **error)
{
	if (!email_trace_id_valid (email->trace_id)) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "e-mail: trace id is not a safe name");
		return FALSE;
	}
	if (!email_domain_valid (email->message_domain)) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "%s: e-mail message domain is not a host name",
			     email->trace_id);
		return FALSE;
	}
	if (!email_check_address ("sender", email->from_address, error))
		return FALSE;
	if (email->return_path != NULL &&
	    !email_check_address ("return path", email->return_path, error))
		return FALSE;
	if (email->to == NULL || email->to[0] == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "%s: e-mail without recipients", email->trace_id);
		return FALSE;
	}
	for (const char *const *to = email->to; *to != NULL; to++)
		if (!email_check_address ("recipient", *to, error))
			return FALSE;
	return TRUE;
}

/* The whole message's data: the envelope, a text part, valid UTF-8. */
static gboolean
email_check (const DsEmail *email, GError **error)
{
	if (!email_check_envelope (email, error))
		return FALSE;
	if (email->text == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "%s: e-mail without text", email->trace_id);
		return FALSE;
	}
	return email_check_utf8 ("sender name", email->from_name, error) &&
	       email_check_utf8 ("recipient name", email->to_name, error) &&
	       email_check_utf8 ("subject", email->subject, error) &&
	       email_check_utf8 ("text", email->text, error) &&
	       email_check_utf8 ("html", email->html, error) &&
	       email_check_utf8 ("file name", email->pdf_name, error);
}

/*
 * A header value from data: every run of control characters (CR, LF, TAB,
 * ... DEL) becomes one space, so that no text can end a header line.
 */
static char *
email_header_text (const char *value)
{
	GString *text = g_string_new (NULL);
	gboolean gap = FALSE;

	for (const char *p = value ? value : ""; *p != '\0'; p++) {
		if ((guchar) *p < 0x20 || *p == 0x7f) {
			gap = TRUE;
			continue;
		}
		if (gap && text->len > 0 && *p != ' ' &&
		    text->str[text->len - 1] != ' ')
			g_string_append_c (text, ' ');
		gap = FALSE;
		g_string_append_c (text, *p);
	}
	return g_string_free (text, FALSE);
}

/* The attachment's name: a header value without any directory part. */
static char *
email_file_name (const DsEmail *email)
{
	g_autofree char *clean = email_header_text (email->pdf_name);
	const char *slash = strrchr (clean, '/');
	const char *base = slash ? slash + 1 : clean;

	if (*base == '\0' || strcmp (base, ".") == 0 ||
	    strcmp (base, "..") == 0)
		return g_strdup_printf ("%s.pdf", email->trace_id);
	return g_strdup (base);
}

/* -- composition --------------------------------------------------------- */

/* LF line ends inside GMime; the writer turns every one into CRLF. */
static char *
email_unix_newlines (const char *text)
{
	GString *unix_text = g_string_sized_new (strlen (text) + 1);

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r') {
			g_string_append_c (unix_text, '\n');
			if (p[1] == '\n')
				p++;
		} else {
			g_string_append_c (unix_text, *p);
		}
	}
	return g_string_free (unix_text, FALSE);
}

static void
email_part_set_content (GMimePart *part, const void *data, size_t size,
			GMimeContentEncoding encoding)
{
	g_autoptr (GMimeStream) stream =
		g_mime_stream_mem_new_with_buffer (data, size);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream (
		stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content (part, content);
	g_mime_part_set_content_encoding (part, encoding);
	g_object_unref (content);
}

static GMimeObject *
email_text_part (const char *subtype, const char *text)
{
	g_autofree char *unix_text = email_unix_newlines (text);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype (subtype);

	g_mime_text_part_set_charset (part, "utf-8");
	email_part_set_content (GMIME_PART (part), unix_text,
				strlen (unix_text),
				GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT (part);
}

/* RFC 2231 in UTF-8, where GMime would pick the smallest charset. */
static void
email_param_utf8 (GMimeParamList *list, const char *name)
{
	GMimeParam *param = g_mime_param_list_get_parameter (list, name);

	if (param != NULL)
		g_mime_param_set_charset (param, "utf-8");
}

static GMimeObject *
email_pdf_part (const DsEmail *email)
{
	g_autofree char *file_name = email_file_name (email);
	GMimePart *part = g_mime_part_new_with_type ("application", "pdf");
	gsize size;
	const void *data = g_bytes_get_data (email->pdf, &size);

	email_part_set_content (part, data, size,
				GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition (GMIME_OBJECT (part), "attachment");
	g_mime_part_set_filename (part, file_name);
	email_param_utf8 (g_mime_content_disposition_get_parameters (
		g_mime_object_get_content_disposition (GMIME_OBJECT (part))),
		"filename");
	email_param_utf8 (g_mime_content_type_get_parameters (
		g_mime_object_get_content_type (GMIME_OBJECT (part))), "name");
	return GMIME_OBJECT (part);
}

static GMimeMultipart *
email_multipart (const char *subtype, const char *tag, const char *trace_id)
{
	GMimeMultipart *multipart;
	g_autofree char *boundary = g_strdup_printf ("=_%s_%s", tag, trace_id);

	multipart = g_mime_multipart_new_with_subtype (subtype);
	g_mime_multipart_set_boundary (multipart, boundary);
	return multipart;
}

/* Text alone, text and HTML as alternatives, then the PDF beside them. */
static GMimeObject *
email_body (const DsEmail *email)
{
	GMimeObject *body = email_text_part ("plain", email->text);

	if (email->html != NULL) {
		GMimeMultipart *alternative =
			email_multipart ("alternative", "alt",
					 email->trace_id);
		GMimeObject *html = email_text_part ("html", email->html);

		g_mime_multipart_add (alternative, body);
		g_mime_multipart_add (alternative, html);
		g_object_unref (body);
		g_object_unref (html);
		body = GMIME_OBJECT (alternative);
	}
	if (email->pdf != NULL) {
		GMimeMultipart *mixed = email_multipart ("mixed", "mix",
							 email->trace_id);
		GMimeObject *pdf = email_pdf_part (email);

		g_mime_multipart_add (mixed, body);
		g_mime_multipart_add (mixed, pdf);
		g_object_unref (body);
		g_object_unref (pdf);
		body = GMIME_OBJECT (mixed);
	}
	return body;
}

static void
email_add_mailbox (GMimeMessage *message, GMimeAddressType type,
		   const char *name, const char *address)
{
	g_autofree char *clean = email_header_text (name);
	InternetAddressList *list = g_mime_message_get_addresses (message,
								  type);
	InternetAddress *mailbox = internet_address_mailbox_new (
		*clean != '\0' ? clean : NULL, address);

	internet_address_set_charset (mailbox, "utf-8");
	internet_address_list_add (list, mailbox);
	g_object_unref (mailbox);
}

static void
email_set_headers (GMimeMessage *message, const DsEmail *email)
{
	GMimeObject *object = GMIME_OBJECT (message);
	g_autofree char *subject = email_header_text (email->subject);
	g_autofree char *sender = ds_email_envelope_sender (email);
	g_autofree char *return_path = g_strdup_printf ("<%s>", sender);
	g_autofree char *message_id = g_strdup_printf (
		"%s@%s", email->trace_id, email->message_domain);
	g_autoptr (GDateTime) date = email->date
		? g_date_time_ref (email->date) : g_date_time_new_now_utc ();

	g_mime_object_prepend_header (object, "Return-Path", return_path,
				      NULL);
	email_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM, email->from_name,
			   email->from_address);
	for (size_t i = 0; email->to[i] != NULL; i++)
		email_add_mailbox (message, GMIME_ADDRESS_TYPE_TO,
				   i == 0 ? email->to_name : NULL,
				   email->to[i]);
	g_mime_message_set_subject (message, subject, "utf-8");
	g_mime_message_set_date (message, date);
	g_mime_message_set_message_id (message, message_id);
	g_mime_object_append_header (object, "X-Dunspool-Trace",
				     email->trace_id, NULL);
}

/* CRLF and nothing else ends a line; no line is longer than RFC 5322's. */
static gboolean
email_check_wire (const guint8 *data, gsize size, const char *trace_id,
		  GError **error)
{
	gsize line_start = 0;

	for (gsize i = 0; i <= size; i++) {
		gboolean bare_cr = i < size && data[i] == '\r' &&
				   (i + 1 == size || data[i + 1] != '\n');
		gboolean bare_lf = i < size && data[i] == '\n' &&
				   (i == 0 || data[i - 1] != '\r');
		gboolean line_end = i == size || data[i] == '\n';
		gsize length = i - line_start - (i < size ? 1 : 0);

		if ((i < size && data[i] == '\0') || bare_cr || bare_lf) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "%s: composed e-mail has a bare CR, LF "
				     "or NUL at byte %" G_GSIZE_FORMAT,
				     trace_id, i);
			return FALSE;
		}
		if (!line_end)
			continue;
		if (length > EMAIL_LINE_MAX) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "%s: composed e-mail has a line of %"
				     G_GSIZE_FORMAT " octets", trace_id,
				     length);
			return FALSE;
		}
		line_start = i + 1;
	}
	return TRUE;
}

static GBytes *
email_write (GMimeMessage *message, const char *trace_id, GError **error)
{
	g_autoptr (GMimeFormatOptions) options = g_mime_format_options_new ();
	g_autoptr (GMimeStream) stream = g_mime_stream_mem_new ();
	GByteArray *array;

	g_mime_format_options_set_newline_format (options,
						  GMIME_NEWLINE_FORMAT_DOS);
	g_mime_format_options_set_param_encoding_method (
		options, GMIME_PARAM_ENCODING_METHOD_RFC2231);
	if (g_mime_object_write_to_stream (GMIME_OBJECT (message), options,
					   stream) < 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: cannot write the e-mail: %s", trace_id,
			     g_strerror (errno));
		return NULL;
	}
	array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
	if (!email_check_wire (array->data, array->len, trace_id, error))
		return NULL;
	return g_bytes_new (array->data, array->len);
}

GBytes *
ds_email_compose (const DsEmail *email, GError **error)
{
	g_autoptr (GMimeMessage) message = NULL;
	GMimeObject *body;

	g_return_val_if_fail (email != NULL, NULL);
	if (!email_check (email, error))
		return NULL;
	email_libraries_ensure ();

	message = g_mime_message_new (TRUE);
	email_set_headers (message, email);
	body = email_body (email);
	g_mime_message_set_mime_part (message, body);
	g_object_unref (body);
	return email_write (message, email->trace_id, error);
}

char *
ds_email_envelope_sender (const DsEmail *email)
{
	if (email->return_path != NULL)
		return g_strdup (email->return_path);
	return g_strdup_printf ("bounces+%s@%s", email->trace_id,
				email->message_domain);
}

char *
ds_email_verp_trace_id (const char *address)
{
	static const char prefix[] = "bounces+";
	const char *at = address ? strrchr (address, '@') : NULL;
	g_autofree char *trace_id = NULL;

	if (at == NULL || g_ascii_strncasecmp (address, prefix,
					       sizeof prefix - 1) != 0)
		return NULL;
	trace_id = g_strndup (address + sizeof prefix - 1,
			      at - address - (sizeof prefix - 1));
	if (!email_trace_id_valid (trace_id))
		return NULL;
	return g_steal_pointer (&trace_id);
}

/* -- SMTP: what the relay said to each command ------------------------- */

typedef enum {
	SMTP_STEP_OTHER,	/* greeting, EHLO, STARTTLS, AUTH, QUIT */
	SMTP_STEP_MAIL,
	SMTP_STEP_RCPT,
	SMTP_STEP_DATA,
	SMTP_STEP_MESSAGE,	/* the verdict after the final "." */
} SmtpStep;

typedef struct {
	SmtpStep step;
	DsRecipientResult *recipient;	/* SMTP_STEP_RCPT: not owned */
} SmtpCommand;

typedef struct {
	int code;
	char *text;
} SmtpReply;

typedef struct {
	GArray *commands;	/* of SmtpCommand, in the order sent */
	guint answered;		/* commands[0 .. answered) have replies */
	GString *incoming;	/* reply bytes not yet a whole line */
	GString *lines;		/* text of the multi-line reply being read */
	GPtrArray *recipients;	/* of DsRecipientResult, in RCPT order */
	SmtpReply mail;
	SmtpReply data;
	SmtpReply message;
} SmtpTranscript;

static void
email_recipient_free (DsRecipientResult *recipient)
{
	g_free (recipient->address);
	g_free (recipient->reply);
	g_free (recipient);
}

static void
smtp_transcript_init (SmtpTranscript *transcript)
{
	SmtpCommand greeting = { SMTP_STEP_OTHER, NULL };

	memset (transcript, 0, sizeof *transcript);
	transcript->commands = g_array_new (FALSE, TRUE, sizeof (SmtpCommand));
	g_array_append_val (transcript->commands, greeting);
	transcript->incoming = g_string_new (NULL);
	transcript->lines = g_string_new (NULL);
	transcript->recipients = g_ptr_array_new_with_free_func (
		(GDestroyNotify) email_recipient_free);
}

static void
smtp_transcript_clear (SmtpTranscript *transcript)
{
	g_array_unref (transcript->commands);
	g_string_free (transcript->incoming, TRUE);
	g_string_free (transcript->lines, TRUE);
	g_ptr_array_unref (transcript->recipients);
	g_free (transcript->mail.text);
	g_free (transcript->data.text);
	g_free (transcript->message.text);
}

static void
smtp_transcript_push (SmtpTranscript *transcript, SmtpStep step,
		      DsRecipientResult *recipient)
{
	SmtpCommand command = { step, recipient };

	g_array_append_val (transcript->commands, command);
}

/* One command line we sent: remember what its reply will be about. */
static void
smtp_transcript_sent (SmtpTranscript *transcript, const char *line)
{
	DsRecipientResult *recipient;
	const char *open, *close;

	if (g_ascii_strncasecmp (line, "MAIL FROM:", 10) == 0) {
		smtp_transcript_push (transcript, SMTP_STEP_MAIL, NULL);
	} else if (g_ascii_strncasecmp (line, "RCPT TO:", 8) == 0) {
		open = strchr (line, '<');
		close = open ? strchr (open, '>') : NULL;
		recipient = g_new0 (DsRecipientResult, 1);
		recipient->address = open && close
			? g_strndup (open + 1, close - open - 1)
			: g_strdup (line + 8);
		g_ptr_array_add (transcript->recipients, recipient);
		smtp_transcript_push (transcript, SMTP_STEP_RCPT, recipient);
	} else if (g_ascii_strcasecmp (line, "DATA") == 0) {
		smtp_transcript_push (transcript, SMTP_STEP_DATA, NULL);
	} else {
		smtp_transcript_push (transcript, SMTP_STEP_OTHER, NULL);
	}
}

static void
smtp_reply_set (SmtpReply *reply, int code, const char *text)
{
	reply->code = code;
	g_free (reply->text);
	reply->text = g_strdup (text);
}

/* A whole reply: give it to the oldest command still waiting for one. */
static void
smtp_transcript_answer (SmtpTranscript *transcript, int code,
			const char *text)
{
	SmtpCommand *command;

	if (transcript->answered >= transcript->commands->len)
		return;		/* unsolicited, such as a 421 at the end */
	command = &g_array_index (transcript->commands, SmtpCommand,
				  transcript->answered++);
	switch (command->step) {
	case SMTP_STEP_MAIL:
		smtp_reply_set (&transcript->mail, code, text);
		break;
	case SMTP_STEP_RCPT:
		command->recipient->code = code;
		g_free (command->recipient->reply);
		command->recipient->reply = g_strdup (text);
		break;
	case SMTP_STEP_DATA:
		smtp_reply_set (&transcript->data, code, text);
		if (code == 354)
			smtp_transcript_push (transcript, SMTP_STEP_MESSAGE,
					      NULL);
		break;
	case SMTP_STEP_MESSAGE:
		smtp_reply_set (&transcript->message, code, text);
		break;
	case SMTP_STEP_OTHER:
		break;
	}
}

/* "250-first", "250 last": a reply ends on the line with a space. */
static void
smtp_transcript_received (SmtpTranscript *transcript, const char *line)
{
	size_t length = strlen (line);

	if (length < 3 || !g_ascii_isdigit (line[0]) ||
	    !g_ascii_isdigit (line[1]) || !g_ascii_isdigit (line[2]))
		return;
	if (length > 3 && line[3] != ' ' && line[3] != '-')
		return;
	if (transcript->lines->len > 0)
		g_string_append_c (transcript->lines, ' ');
	g_string_append (transcript->lines, length > 4 ? line + 4 : "");
	if (length > 3 && line[3] == '-')
		return;
	smtp_transcript_answer (transcript,
				g_ascii_digit_value (line[0]) * 100 +
				g_ascii_digit_value (line[1]) * 10 +
				g_ascii_digit_value (line[2]),
				transcript->lines->str);
	g_string_truncate (transcript->lines, 0);
}

/* Cut `buffer` into CRLF or LF lines and hand each on. */
static void
smtp_transcript_lines (SmtpTranscript *transcript, GString *buffer,
		       void (*handle) (SmtpTranscript *, const char *))
{
	char *newline;

	while ((newline = memchr (buffer->str, '\n', buffer->len)) != NULL) {
		gsize length = newline - buffer->str;
		g_autofree char *line = g_strndup (buffer->str, length);

		g_strchomp (line);
		handle (transcript, line);
		g_string_erase (buffer, 0, length + 1);
	}
}

static int
smtp_debug_cb (CURL *curl, curl_infotype type, char *data, size_t size,
	       void *user_data)
{
	SmtpTranscript *transcript = user_data;

	if (type == CURLINFO_HEADER_OUT) {
		g_autoptr (GString) sent = g_string_new_len (data, size);

		smtp_transcript_lines (transcript, sent,
				       smtp_transcript_sent);
	} else if (type == CURLINFO_HEADER_IN) {
		g_string_append_len (transcript->incoming, data, size);
		smtp_transcript_lines (transcript, transcript->incoming,
				       smtp_transcript_received);
	}
	return 0;
}

/* -- SMTP: the transfer --------------------------------------------------- */

typedef struct {
	const guint8 *data;
	gsize size;
	gsize offset;
} SmtpUpload;

static size_t
smtp_read_cb (char *buffer, size_t size, size_t count, void *user_data)
{
	SmtpUpload *upload = user_data;
	size_t length = MIN (size * count, upload->size - upload->offset);

	memcpy (buffer, upload->data + upload->offset, length);
	upload->offset += length;
	return length;
}

static struct curl_slist *
smtp_recipient_list (const DsEmail *email)
{
	struct curl_slist *list = NULL;

	for (const char *const *to = email->to; *to != NULL; to++) {
		g_autofree char *bracketed = g_strdup_printf ("<%s>", *to);

		list = curl_slist_append (list, bracketed);
	}
	return list;
}

static void
smtp_configure (CURL *curl, const DsSmtpRelay *relay,
		const char *envelope_sender, struct curl_slist *recipients)
{
	long timeout = relay->timeout_seconds > 0
		? relay->timeout_seconds : EMAIL_DEFAULT_TIMEOUT;

	curl_easy_setopt (curl, CURLOPT_URL, relay->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt (curl, CURLOPT_PROTOCOLS,
			  (long) (CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt (curl, CURLOPT_MAIL_FROM, envelope_sender);
	curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, recipients);
	curl_easy_setopt (curl, EMAIL_CURLOPT_ALLOWFAILS, 1L);
	curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt (curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, timeout);
	if (relay->starttls)
		curl_easy_setopt (curl, CURLOPT_USE_SSL,
				  (long) CURLUSESSL_ALL);
	if (relay->username != NULL) {
		curl_easy_setopt (curl, CURLOPT_USERNAME, relay->username);
		curl_easy_setopt (curl, CURLOPT_PASSWORD,
				  relay->password ? relay->password : "");
	}
}

static GError *
smtp_refusal (int code, const char *trace_id, const char *what,
	      const char *text)
{
	return g_error_new (DS_ERROR, code >= 500 ? DS_ERROR_PERMANENT
				     : DS_ERROR_TEMPORARY,
			    "%s: relay refused %s: %d %s", trace_id, what,
			    code, text ? text : "");
}

/* When no recipient was accepted: the first one refused, or NULL. */
static GError *
smtp_all_refused (SmtpTranscript *transcript, const char *trace_id)
{
	GPtrArray *recipients = transcript->recipients;
	DsRecipientResult *first = NULL, *temporary = NULL;

	for (guint i = 0; i < recipients->len; i++) {
		DsRecipientResult *recipient = recipients->pdata[i];

		if (recipient->code < 400)
			return NULL;	/* accepted or never answered */
		if (first == NULL)
			first = recipient;
		if (temporary == NULL && recipient->code < 500)
			temporary = recipient;
	}
	if (first == NULL)
		return NULL;
	first = temporary ? temporary : first;
	return smtp_refusal (first->code, trace_id, "every recipient",
			     first->reply);
}

static DsEmailResult *
smtp_result (SmtpTranscript *transcript, const DsEmail *email)
{
	DsEmailResult *result = g_new0 (DsEmailResult, 1);

	result->accepted = g_ptr_array_new_with_free_func (
		(GDestroyNotify) email_recipient_free);
	result->refused = g_ptr_array_new_with_free_func (
		(GDestroyNotify) email_recipient_free);
	while (transcript->recipients->len > 0) {
		DsRecipientResult *recipient = g_ptr_array_steal_index (
			transcript->recipients, 0);

		g_ptr_array_add (recipient->code < 300 ? result->accepted
						       : result->refused,
				 recipient);
	}
	result->message_id = g_strdup_printf ("<%s@%s>", email->trace_id,
					      email->message_domain);
	result->code = transcript->message.code;
	result->reply = g_strdup (transcript->message.text);
	return result;
}

/* What the transcript and libcurl's code together say happened. */
static DsEmailResult *
smtp_outcome (SmtpTranscript *transcript, const DsEmail *email,
	      CURLcode code, const char *curl_message,
	      gboolean *unknown_outcome, GError **error)
{
	const char *trace_id = email->trace_id;
	GError *refusal;

	if (transcript->message.code >= 200 && transcript->message.code < 300)
		return smtp_result (transcript, email);
	if (transcript->message.code >= 400) {
		g_propagate_error (error, smtp_refusal (
			transcript->message.code, trace_id, "the message",
			transcript->message.text));
		return NULL;
	}
	if (transcript->data.code == 354) {
		*unknown_outcome = TRUE;
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: outcome unknown: no reply after the message "
			     "was sent: %s", trace_id, curl_message);
		return NULL;
	}
	if (transcript->data.code >= 400)
		refusal = smtp_refusal (transcript->data.code, trace_id,
					"DATA", transcript->data.text);
	else if (transcript->mail.code >= 400)
		refusal = smtp_refusal (transcript->mail.code, trace_id,
					"the sender", transcript->mail.text);
	else
		refusal = smtp_all_refused (transcript, trace_id);
	if (refusal == NULL && code == CURLE_OK)
		curl_message = "no reply to the message";
	if (refusal == NULL)
		refusal = g_error_new (DS_ERROR, DS_ERROR_TEMPORARY,
				       "%s: smtp: %s", trace_id, curl_message);
	g_propagate_error (error, refusal);
	return NULL;
}

DsEmailResult *
ds_email_send_smtp (const DsSmtpRelay *relay, const DsEmail *email,
		    GBytes *message, gboolean *unknown_outcome,
		    GError **error)
{
	SmtpTranscript transcript;
	SmtpUpload upload = { 0 };
	g_autoptr (SmtpRecipientList) recipients = NULL;
	g_autofree char *envelope_sender = NULL;
	g_autofree char *mail_from = NULL;
	char curl_message[CURL_ERROR_SIZE] = "";
	DsEmailResult *result;
	CURLcode code;
	CURL *curl;

	g_return_val_if_fail (relay != NULL && relay->url != NULL, NULL);
	g_return_val_if_fail (unknown_outcome != NULL, NULL);
	*unknown_outcome = FALSE;
	if (!email_check_envelope (email, error))
		return NULL;
	email_libraries_ensure ();
	curl = curl_easy_init ();
	if (curl == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: smtp: cannot start libcurl",
			     email->trace_id);
		return NULL;
	}

	envelope_sender = ds_email_envelope_sender (email);
	mail_from = g_strdup_printf ("<%s>", envelope_sender);
	recipients = smtp_recipient_list (email);
	upload.data = g_bytes_get_data (message, &upload.size);
	smtp_transcript_init (&transcript);
	smtp_configure (curl, relay, mail_from, recipients);
	curl_easy_setopt (curl, CURLOPT_READFUNCTION, smtp_read_cb);
	curl_easy_setopt (curl, CURLOPT_READDATA, &upload);
	curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE,
			  (curl_off_t) upload.size);
	curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_message);
	curl_easy_setopt (curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt (curl, CURLOPT_DEBUGFUNCTION, smtp_debug_cb);
	curl_easy_setopt (curl, CURLOPT_DEBUGDATA, &transcript);

	code = curl_easy_perform (curl);
	if (curl_message[0] == '\0')
		g_strlcpy (curl_message, curl_easy_strerror (code),
			   sizeof curl_message);
	/* The QUIT goes out here, while the transcript still listens. */
	curl_easy_cleanup (curl);

	g_debug ("%s: smtp: curl=%d mail=%d data=%d message=%d",
		 email->trace_id, code, transcript.mail.code,
		 transcript.data.code, transcript.message.code);
	result = smtp_outcome (&transcript, email, code, curl_message,
			       unknown_outcome, error);
	smtp_transcript_clear (&transcript);
	return result;
}

void
ds_email_result_free (DsEmailResult *result)
{
	if (result == NULL)
		return;
	g_ptr_array_unref (result->accepted);
	g_ptr_array_unref (result->refused);
	g_free (result->message_id);
	g_free (result->reply);
	g_free (result);
}

/* -- pickup directory ----------------------------------------------------- */

static void
pickup_fail (GError **error, int saved_errno, const char *what,
	     const char *path)
{
	int code = DS_ERROR_TEMPORARY;

	if (saved_errno == ENOENT || saved_errno == ENOTDIR ||
	    saved_errno == EACCES || saved_errno == EPERM ||
	    saved_errno == EROFS)
		code = DS_ERROR_CONFIG;
	g_set_error (error, DS_ERROR, code, "%s: %s: %s", path, what,
		     g_strerror (saved_errno));
}

static gboolean
pickup_write_all (int fd, const guint8 *data, gsize size)
{
	while (size > 0) {
		ssize_t written = write (fd, data, size);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return FALSE;
		data += written;
		size -= written;
	}
	return TRUE;
}

/* The temporary file, whole and on disk, mode 0640 whatever the umask. */
static gboolean
pickup_write_temporary (char *path, GBytes *message, GError **error)
{
	gsize size;
	const guint8 *data = g_bytes_get_data (message, &size);
	int fd = g_mkstemp_full (path, O_WRONLY | O_CLOEXEC, 0640);

	if (fd < 0) {
		pickup_fail (error, errno, "cannot create", path);
		return FALSE;
	}
	if (fchmod (fd, 0640) != 0 || !pickup_write_all (fd, data, size) ||
	    fsync (fd) != 0) {
		pickup_fail (error, errno, "cannot write", path);
		close (fd);
		g_unlink (path);
		return FALSE;
	}
	if (close (fd) != 0) {
		pickup_fail (error, errno, "cannot write", path);
		g_unlink (path);
		return FALSE;
	}
	return TRUE;
}

/* TRACE.eml exists: a second write of the same bytes is no change. */
static gboolean
pickup_same (const char *path, GBytes *message, GError **error)
{
	g_autofree char *contents = NULL;
	gsize length, size;
	const void *data = g_bytes_get_data (message, &size);

	if (!g_file_get_contents (path, &contents, &length, error))
		return FALSE;
	if (length == size && memcmp (contents, data, size) == 0)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_STATE,
		     "%s: already written with other content", path);
	return FALSE;
}

static gboolean
pickup_sync_directory (const char *directory, GError **error)
{
	int fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync (fd) != 0) {
		pickup_fail (error, errno, "cannot sync", directory);
		if (fd >= 0)
			close (fd);
		return FALSE;
	}
	close (fd);
	return TRUE;
}

gboolean
ds_email_write_pickup (const char *directory, const char *trace_id,
		       GBytes *message, GError **error)
{
	g_autofree char *name = NULL;
	g_autofree char *final_path = NULL;
	g_autofree char *temporary_path = NULL;
	int saved_errno;

	g_return_val_if_fail (directory != NULL && message != NULL, FALSE);
	if (!email_trace_id_valid (trace_id)) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "pickup: trace id is not a safe file name");
		return FALSE;
	}
	name = g_strdup_printf ("%s.eml", trace_id);
	final_path = g_build_filename (directory, name, NULL);
	temporary_path = g_strdup_printf ("%s/.%s.XXXXXX", directory, name);
	if (!pickup_write_temporary (temporary_path, message, error))
		return FALSE;

	/* link, not rename: an existing TRACE.eml is never replaced. */
	saved_errno = link (temporary_path, final_path) == 0 ? 0 : errno;
	g_unlink (temporary_path);
	if (saved_errno == EEXIST) {
		if (!pickup_same (final_path, message, error))
			return FALSE;
	} else if (saved_errno != 0) {
		pickup_fail (error, saved_errno, "cannot publish", final_path);
		return FALSE;
	}
	return pickup_sync_directory (directory, error);
}
