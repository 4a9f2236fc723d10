/*
 * check_email.c -- the e-mail channel: what goes on the wire is a clean,
 * well-encoded message; what the relay answers per recipient is kept; the
 * pickup file appears whole or not at all.
 *
 * The SMTP cases talk to tests/smtp-sink.py, a real SMTP server (Debian's
 * python3-aiosmtpd) that each test starts on 127.0.0.1 on a port of its
 * own choosing, and that dies with the test through its standard input.
 */
#include <check.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel-email.h"
#include "ds-error.h"
#include "testsink.h"
#include "testutil.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)

#define TRACE_ID "DS7Q2K"
#define DOMAIN "mail.example.test"

/* Case 14: bare LF line ends, a line that starts with '.', one that is
 * only '.', which would end the DATA phase if it went out unstuffed. */
static const char case14_text[] =
	"Sehr geehrter Herr Groß-Öztürk,\n"
	"\n"
	"für Rechnung 4711 sind 1.050,00 EUR offen.\n"
	".Diese Zeile beginnt mit einem Punkt.\n"
	".\n"
	"..zwei Punkte\n"
	"Mit freundlichen Grüßen\n";
static const char case14_html[] =
	"<p>Sehr geehrter Herr Groß-Öztürk,</p>\n"
	".<p>1.050,00 EUR</p>\n";
static const char *const case14_to[] = {
	"anna@example.test", "ben@example.test", "refused@example.test",
	NULL
};
static const char *const one_to[] = { "anna@example.test", NULL };

/* A PDF-like file holding every byte value, CR, LF and dot lines. */
static GBytes *
test_pdf (void)
{
	GByteArray *pdf = g_byte_array_new ();
	static const char head[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
	static const char tail[] = "\r\n.\r\n.\n%%EOF\n";

	g_byte_array_append (pdf, (const guint8 *) head, strlen (head));
	for (int round = 0; round < 40; round++)
		for (int byte = 0; byte < 256; byte++) {
			guint8 value = (guint8) (byte * 7 + round);

			g_byte_array_append (pdf, &value, 1);
		}
	g_byte_array_append (pdf, (const guint8 *) tail, strlen (tail));
	return g_byte_array_free_to_bytes (pdf);
}

static GDateTime *
test_date (void)
{
	return g_date_time_new_utc (2024, 3, 15, 9, 30, 0);
}

/* The e-mail of case 14; tests change fields from there. */
static DsEmail
test_email (GBytes *pdf, GDateTime *date)
{
	DsEmail email = {
		.trace_id = TRACE_ID,
		.from_name = "Forderungsmanagement Müller & Söhne GmbH",
		.from_address = "ar@example.test",
		.to = case14_to,
		.to_name = "Jürgen Groß-Öztürk",
		.subject = "Zahlungserinnerung: Rechnung 4711",
		.text = case14_text,
		.html = case14_html,
		.pdf = pdf,
		.pdf_name = "Mahnung-4711.pdf",
		.message_domain = DOMAIN,
		.date = date,
	};
	return email;
}

/* -- reading messages back ------------------------------------------ */

static GMimeMessage *
test_parse (GBytes *bytes)
{
	g_autoptr (GMimeStream) stream = g_mime_stream_mem_new_with_buffer (
		g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
	g_autoptr (GMimeParser) parser = NULL;
	GMimeMessage *message;

	parser = g_mime_parser_new_with_stream (stream);
	message = g_mime_parser_construct_message (parser, NULL);

	ck_assert_msg (message != NULL, "GMime cannot parse the message");
	return message;
}

/* The decoded content of a leaf part. */
static GBytes *
test_part_content (GMimeObject *object)
{
	g_autoptr (GMimeStream) stream = g_mime_stream_mem_new ();
	GMimeDataWrapper *content;
	GByteArray *array;

	content = g_mime_part_get_content (GMIME_PART (object));

	ck_assert (g_mime_data_wrapper_write_to_stream (content, stream) >= 0);
	array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
	return g_bytes_new (array->data, array->len);
}

static char *
test_crlf_to_lf (GBytes *bytes)
{
	g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL),
					   g_bytes_get_size (bytes));
	g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);

	return g_strjoinv ("\n", lines);
}

static GMimeObject *
test_child (GMimeObject *object, int index, const char *type,
	    const char *subtype)
{
	GMimeObject *child;

	ck_assert (GMIME_IS_MULTIPART (object));
	child = g_mime_multipart_get_part (GMIME_MULTIPART (object), index);
	ck_assert_msg (g_mime_content_type_is_type (
			       g_mime_object_get_content_type (child), type,
			       subtype), "part %d is not %s/%s", index, type,
		       subtype);
	return child;
}

/* The header section, up to the first empty line, as text. */
static char *
test_header_section (GBytes *bytes)
{
	const char *data = g_bytes_get_data (bytes, NULL);
	const char *end = g_strstr_len (data, g_bytes_get_size (bytes),
					"\r\n\r\n");

	ck_assert (end != NULL);
	return g_strndup (data, end - data + 2);
}

/* Every header field of the message and its parts: "Name,Name;Name". */
static void
test_header_names (GMimeObject *object, GString *names)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list (object);

	for (int i = 0; i < g_mime_header_list_get_count (headers); i++)
		g_string_append_printf (names, "%s,", g_mime_header_get_name (
			g_mime_header_list_get_header_at (headers, i)));
	g_string_append_c (names, ';');
	if (GMIME_IS_MESSAGE (object))
		test_header_names (g_mime_message_get_mime_part (
			GMIME_MESSAGE (object)), names);
	if (!GMIME_IS_MULTIPART (object))
		return;
	for (int i = 0; i < g_mime_multipart_get_count (
			GMIME_MULTIPART (object)); i++)
		test_header_names (g_mime_multipart_get_part (
			GMIME_MULTIPART (object), i), names);
}

static char *
test_header_list (GBytes *bytes)
{
	g_autoptr (GMimeMessage) message = test_parse (bytes);
	GString *names = g_string_new (NULL);

	test_header_names (GMIME_OBJECT (message), names);
	return g_string_free (names, FALSE);
}

/* Every LF follows a CR, every CR precedes an LF. */
static void
test_assert_crlf_clean (GBytes *bytes)
{
	gsize size;
	const char *data = g_bytes_get_data (bytes, &size);

	for (gsize i = 0; i < size; i++) {
		if (data[i] == '\n')
			ck_assert_msg (i > 0 && data[i - 1] == '\r',
				       "bare LF at %zu", i);
		if (data[i] == '\r')
			ck_assert_msg (i + 1 < size && data[i + 1] == '\n',
				       "bare CR at %zu", i);
	}
}

static gboolean
test_bytes_contain (GBytes *bytes, const char *needle)
{
	return g_strstr_len (g_bytes_get_data (bytes, NULL),
			     g_bytes_get_size (bytes), needle) != NULL;
}

static char *
test_json_strings (JsonObject *object, const char *member)
{
	JsonArray *array = json_object_get_array_member (object, member);
	GString *joined = g_string_new (NULL);

	for (guint i = 0; i < json_array_get_length (array); i++)
		g_string_append_printf (joined, "%s%s", i ? "," : "",
					json_array_get_string_element (array,
								       i));
	return g_string_free (joined, FALSE);
}

static DsSmtpRelay
test_relay (DsTestSink *sink)
{
	DsSmtpRelay relay = { .url = sink->url, .timeout_seconds = 10 };

	return relay;
}

/* -- composition ----------------------------------------------------- */

START_TEST (test_compose_structure)
{
	g_autoptr (GBytes) pdf = test_pdf ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) message = ds_email_compose (&email, &error);
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autofree char *headers = NULL;
	GMimeObject *body, *alternative, *attachment;

	ck_assert_msg (message != NULL, "%s", error ? error->message : "");
	test_assert_crlf_clean (message);
	parsed = test_parse (message);
	headers = test_header_section (message);

	ck_assert_str_eq (g_mime_message_get_message_id (parsed),
			  TRACE_ID "@" DOMAIN);
	ck_assert (strstr (headers, "\r\nMessage-Id: <" TRACE_ID "@" DOMAIN
			   ">\r\n") != NULL);
	ck_assert (g_str_has_prefix (headers, "Return-Path: <bounces+"
				     TRACE_ID "@" DOMAIN ">\r\n"));
	ck_assert (strstr (headers, "\r\nX-Dunspool-Trace: " TRACE_ID
			   "\r\n") != NULL);
	ck_assert (strstr (headers, "\r\nDate: Fri, 15 Mar 2024 09:30:00 "
			   "+0000\r\n") != NULL);
	ck_assert (strstr (headers, "\r\nMIME-Version: 1.0\r\n") != NULL);

	body = g_mime_message_get_mime_part (parsed);
	ck_assert (g_mime_content_type_is_type (
		g_mime_object_get_content_type (body), "multipart", "mixed"));
	alternative = test_child (body, 0, "multipart", "alternative");
	attachment = test_child (body, 1, "application", "pdf");
	for (int i = 0; i < 2; i++) {
		GMimeObject *text = test_child (alternative, i, "text",
						i == 0 ? "plain" : "html");

		ck_assert_str_eq (g_mime_object_get_content_type_parameter (
					  text, "charset"), "utf-8");
		ck_assert_int_eq (g_mime_part_get_content_encoding (
					  GMIME_PART (text)),
				  GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	}
	ck_assert_int_eq (g_mime_part_get_content_encoding (
				  GMIME_PART (attachment)),
			  GMIME_CONTENT_ENCODING_BASE64);
	ck_assert_str_eq (g_mime_object_get_disposition (attachment),
			  "attachment");
	ck_assert_str_eq (g_mime_part_get_filename (GMIME_PART (attachment)),
			  "Mahnung-4711.pdf");
}
END_TEST

START_TEST (test_compose_is_reproducible)
{
	g_autoptr (GBytes) pdf = test_pdf ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GBytes) first = ds_email_compose (&email, NULL);
	g_autoptr (GBytes) second = ds_email_compose (&email, NULL);

	ck_assert (first != NULL && second != NULL);
	ck_assert (g_bytes_equal (first, second));
}
END_TEST

START_TEST (test_compose_encodes_utf8_headers)
{
	g_autoptr (GBytes) pdf = test_pdf ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autofree char *headers = NULL;
	g_auto (GStrv) lines = NULL;
	InternetAddress *to;
	GMimeObject *attachment;

	email.subject = "Mahnung für Jürgen Groß-Öztürk";
	email.pdf_name = "Mahnung Größe.pdf";
	message = ds_email_compose (&email, NULL);
	ck_assert (message != NULL);
	headers = test_header_section (message);

	/* RFC 2047: nothing but ASCII in the header, UTF-8 words. */
	for (const char *p = headers; *p != '\0'; p++)
		ck_assert_msg ((guchar) *p < 0x80, "8-bit header: %s", p);
	ck_assert (strstr (headers, "\r\nTo: =?UTF-8?") != NULL);
	lines = g_strsplit (headers, "\r\n", -1);
	for (char **line = lines; *line != NULL; line++)
		ck_assert_msg (strlen (*line) <= 78, "long line: %s", *line);

	parsed = test_parse (message);
	to = internet_address_list_get_address (g_mime_message_get_to (parsed),
						0);
	ck_assert_str_eq (internet_address_get_name (to),
			  "Jürgen Groß-Öztürk");
	ck_assert_str_eq (internet_address_get_name (
		internet_address_list_get_address (
			g_mime_message_get_from (parsed), 0)),
		"Forderungsmanagement Müller & Söhne GmbH");
	ck_assert_str_eq (g_mime_message_get_subject (parsed),
			  "Mahnung für Jürgen Groß-Öztürk");

	/* RFC 2231: the file name as UTF-8 percent-encoding. */
	ck_assert (test_bytes_contain (message, "filename*=UTF-8''Mahnung%20"
				       "Gr%C3%B6%C3%9Fe.pdf"));
	attachment = g_mime_multipart_get_part (GMIME_MULTIPART (
		g_mime_message_get_mime_part (parsed)), 1);
	ck_assert_str_eq (g_mime_part_get_filename (GMIME_PART (attachment)),
			  "Mahnung Größe.pdf");
}
END_TEST

START_TEST (test_compose_folds_long_headers)
{
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	g_autoptr (GString) subject = g_string_new (NULL);
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autofree char *headers = NULL;
	g_auto (GStrv) lines = NULL;

	for (int i = 0; i < 30; i++)
		g_string_append (subject, "Überfällige Rechnung ");
	g_string_append (subject, "Ende");
	email.subject = subject->str;
	message = ds_email_compose (&email, NULL);
	ck_assert (message != NULL);
	headers = test_header_section (message);
	lines = g_strsplit (headers, "\r\n", -1);
	for (char **line = lines; *line != NULL; line++)
		ck_assert_msg (strlen (*line) <= 78, "long line: %s", *line);
	parsed = test_parse (message);
	ck_assert_str_eq (g_mime_message_get_subject (parsed), subject->str);
}
END_TEST

/* Text that tries to end a header line and start another. */
static const char *const injections[] = {
	"Evil\r\nBcc: victim@example.test",
	"Evil\nX-Injected: yes",
	"Evil\rContent-Type: text/evil",
	"Evil\r\n\r\nInjected body",
	"Evil\r\n Continued: folded",
	/* NUL cannot come in: a C string, and so the value, ends at it. */
};

START_TEST (test_compose_no_header_injection)
{
	g_autoptr (GDateTime) date = test_date ();
	g_autoptr (GBytes) pdf = test_pdf ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GBytes) clean = ds_email_compose (&email, NULL);
	g_autoptr (GBytes) injected = NULL;
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autofree char *clean_names = NULL;
	g_autofree char *injected_names = NULL;
	g_autofree char *headers = NULL;
	const char *value = injections[_i];

	email.from_name = value;
	email.to_name = value;
	email.subject = value;
	email.pdf_name = value;
	injected = ds_email_compose (&email, NULL);
	ck_assert (clean != NULL && injected != NULL);
	test_assert_crlf_clean (injected);

	clean_names = test_header_list (clean);
	injected_names = test_header_list (injected);
	ck_assert_str_eq (injected_names, clean_names);
	headers = test_header_section (injected);
	ck_assert (strstr (headers, "\r\nBcc:") == NULL);
	ck_assert (strstr (headers, "\r\nX-Injected:") == NULL);
	ck_assert (!test_bytes_contain (injected, "\r\nContent-Type: text/"
					"evil"));

	/* The text stays, on one line, inside its own header. */
	parsed = test_parse (injected);
	ck_assert (strchr (g_mime_message_get_subject (parsed), '\n') == NULL);
	ck_assert (strchr (g_mime_message_get_subject (parsed), '\r') == NULL);
	ck_assert (g_str_has_prefix (g_mime_message_get_subject (parsed),
				     "Evil "));
}
END_TEST

/* Addresses and trace ids are refused, not repaired. */
static const struct {
	const char *trace_id;
	const char *from_address;
	const char *to;
	const char *return_path;
	const char *message_domain;
} refused_input[] = {
	{ .to = "anna@example.test\r\nBcc: victim@example.test" },
	{ .to = "anna@example.test>\r\nRCPT TO:<victim@example.test" },
	{ .from_address = "ar@example.test\nBcc: victim@example.test" },
	{ .return_path = "bounces@example.test\r\nX: y" },
	{ .trace_id = "DS7Q2K\r\nBcc: victim@example.test" },
	{ .trace_id = "../../etc/passwd" },
	{ .trace_id = ".hidden" },
	{ .trace_id = "a/b" },
	{ .trace_id = "" },
	{ .trace_id = "DS7Q2K-0123456789-0123456789-0123456789-0123456789"
		      "-0123456789-012" },	/* 65 characters */
	{ .to = "no-at-sign" },
	{ .to = "two words@example.test" },
	{ .to = "<anna@example.test>" },
	{ .to = "Anna <anna@example.test>" },
	{ .to = "jürgen@example.test" },
	{ .to = "anna@-example.test" },
	{ .to = "anna..b@example.test" },
	{ .message_domain = "example.test\r\nBcc: x" },
	{ .message_domain = "" },
};

START_TEST (test_compose_refuses_bad_addresses)
{
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	const char *to[] = { "anna@example.test", NULL, NULL };
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
	gboolean unknown = TRUE;

	if (refused_input[_i].trace_id != NULL)
		email.trace_id = refused_input[_i].trace_id;
	if (refused_input[_i].from_address != NULL)
		email.from_address = refused_input[_i].from_address;
	if (refused_input[_i].to != NULL)
		to[1] = refused_input[_i].to;
	if (refused_input[_i].return_path != NULL)
		email.return_path = refused_input[_i].return_path;
	if (refused_input[_i].message_domain != NULL)
		email.message_domain = refused_input[_i].message_domain;
	email.to = to;

	message = ds_email_compose (&email, &error);
	ck_assert_msg (message == NULL, "case %d composed", _i);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));

	/* Nor does the SMTP driver let it near a relay. */
	g_clear_error (&error);
	{
		DsSmtpRelay relay = { .url = "smtp://127.0.0.1:1",
				      .timeout_seconds = 1 };
		g_autoptr (DsEmailResult) result = ds_email_send_smtp (
			&relay, &email, empty, &unknown, &error);

		ck_assert (result == NULL);
		ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
		ck_assert (!unknown);
	}
}
END_TEST

START_TEST (test_envelope_sender_is_verp)
{
	DsEmail email = test_email (NULL, NULL);
	g_autofree char *sender = ds_email_envelope_sender (&email);
	g_autofree char *trace_id = ds_email_verp_trace_id (sender);
	g_autofree char *explicit_sender = NULL;
	g_autofree char *none = ds_email_verp_trace_id ("ar@example.test");
	g_autofree char *unsafe = ds_email_verp_trace_id (
		"bounces+../x@example.test");

	ck_assert_str_eq (sender, "bounces+" TRACE_ID "@" DOMAIN);
	ck_assert_str_eq (trace_id, TRACE_ID);
	ck_assert (none == NULL);
	ck_assert (unsafe == NULL);
	email.return_path = "returns@example.test";
	explicit_sender = ds_email_envelope_sender (&email);
	ck_assert_str_eq (explicit_sender, "returns@example.test");
}
END_TEST

/* -- SMTP ------------------------------------------------------------ */

/* Case 14: the right answer, byte for byte, at a real SMTP server. */
START_TEST (test_smtp_case14_mail_on_the_wire)
{
	g_autofree char *dir = ds_test_tmpdir ();
	const char *const options[] = { "--refuse", "refused@*", NULL };
	g_autoptr (GBytes) pdf = test_pdf ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) message = ds_email_compose (&email, &error);
	g_autoptr (DsEmailResult) result = NULL;
	g_autoptr (GBytes) received = NULL;
	g_autoptr (JsonObject) envelope = NULL;
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autoptr (GBytes) text = NULL, html = NULL, attachment = NULL;
	g_autofree char *text_lf = NULL, *html_lf = NULL;
	g_autofree char *rcpt_tos = NULL, *sink_refused = NULL;
	DsRecipientResult *refused;
	gboolean unknown = TRUE;
	DsTestSink sink;
	DsSmtpRelay relay;

	ck_assert_msg (message != NULL, "%s", error ? error->message : "");
	/* The message does carry lines that SMTP must dot-stuff. */
	ck_assert (test_bytes_contain (message, "\r\n.Diese Zeile"));
	ck_assert (test_bytes_contain (message, "\r\n.\r\n"));

	ds_test_sink_start (&sink, dir, options);
	relay = test_relay (&sink);
	result = ds_email_send_smtp (&relay, &email, message, &unknown,
				     &error);
	ck_assert_msg (result != NULL, "%s", error ? error->message : "");
	ck_assert (!unknown);

	/* The two good recipients, and the refusal of the third. */
	ck_assert_uint_eq (result->accepted->len, 2);
	ck_assert_str_eq (((DsRecipientResult *)
			   result->accepted->pdata[0])->address,
			  "anna@example.test");
	ck_assert_str_eq (((DsRecipientResult *)
			   result->accepted->pdata[1])->address,
			  "ben@example.test");
	ck_assert_int_eq (((DsRecipientResult *)
			   result->accepted->pdata[0])->code, 250);
	ck_assert_uint_eq (result->refused->len, 1);
	refused = result->refused->pdata[0];
	ck_assert_str_eq (refused->address, "refused@example.test");
	ck_assert_int_eq (refused->code, 550);
	ck_assert (strstr (refused->reply, "recipient refused") != NULL);
	ck_assert_int_eq (result->code, 250);
	ck_assert_str_eq (result->reply, "2.0.0 OK queued as 0001");
	ck_assert_str_eq (result->message_id, "<" TRACE_ID "@" DOMAIN ">");

	/* One message, for exactly the two, from the VERP sender. */
	ck_assert_uint_eq (ds_test_sink_count (&sink), 1);
	envelope = ds_test_sink_envelope (&sink, 1);
	ck_assert_str_eq (json_object_get_string_member (envelope,
							 "mail_from"),
			  "bounces+" TRACE_ID "@" DOMAIN);
	rcpt_tos = test_json_strings (envelope, "rcpt_tos");
	ck_assert_str_eq (rcpt_tos, "anna@example.test,ben@example.test");
	sink_refused = test_json_strings (envelope, "refused");
	ck_assert_str_eq (sink_refused, "refused@example.test");

	/* CRLF on the wire; what arrived is what was composed, dot lines
	 * included. */
	received = ds_test_sink_file (&sink, 1, "eml");
	test_assert_crlf_clean (received);
	ck_assert (g_bytes_equal (received, message));

	/* Decoded, the text is the template's, the PDF the same bytes. */
	parsed = test_parse (received);
	text = test_part_content (test_child (test_child (
		g_mime_message_get_mime_part (parsed), 0, "multipart",
		"alternative"), 0, "text", "plain"));
	html = test_part_content (test_child (test_child (
		g_mime_message_get_mime_part (parsed), 0, "multipart",
		"alternative"), 1, "text", "html"));
	text_lf = test_crlf_to_lf (text);
	html_lf = test_crlf_to_lf (html);
	ck_assert_str_eq (text_lf, case14_text);
	ck_assert_str_eq (html_lf, case14_html);
	attachment = test_part_content (test_child (
		g_mime_message_get_mime_part (parsed), 1, "application",
		"pdf"));
	ck_assert (g_bytes_equal (attachment, pdf));

	ds_test_sink_stop (&sink);
	ds_test_rmtree (dir);
}
END_TEST

typedef enum {
	EXPECT_SENT,
	EXPECT_TEMPORARY,
	EXPECT_PERMANENT,
} TestExpect;

/* What the relay does, and what that must mean. */
static const struct {
	const char *name;
	const char *options[5];
	const char *to[3];
	TestExpect expect;
	gboolean unknown_outcome;
	guint stored;		/* messages the sink kept */
	guint refused;		/* when sent: recipients refused */
	int refused_code;
} outcomes[] = {
	{ "every recipient refused 550",
	  { "--refuse", "*@example.test" },
	  { "anna@example.test", "ben@example.test" },
	  EXPECT_PERMANENT, FALSE, 0, 0, 0 },
	{ "every recipient deferred 451",
	  { "--defer", "*@example.test" },
	  { "anna@example.test", "ben@example.test" },
	  EXPECT_TEMPORARY, FALSE, 0, 0, 0 },
	{ "one refused 550, one deferred 451",
	  { "--refuse", "anna@*", "--defer", "ben@*" },
	  { "anna@example.test", "ben@example.test" },
	  EXPECT_TEMPORARY, FALSE, 0, 0, 0 },
	{ "one accepted, one deferred 451",
	  { "--defer", "ben@*" },
	  { "anna@example.test", "ben@example.test" },
	  EXPECT_SENT, FALSE, 1, 1, 451 },
	{ "first refused 550, second accepted",
	  { "--refuse", "anna@*" },
	  { "anna@example.test", "ben@example.test" },
	  EXPECT_SENT, FALSE, 1, 1, 550 },
	{ "message deferred 451 after DATA",
	  { "--defer-data" },
	  { "anna@example.test" },
	  EXPECT_TEMPORARY, FALSE, 0, 0, 0 },
	{ "connection dropped after DATA",
	  { "--drop-after-data" },
	  { "anna@example.test" },
	  EXPECT_TEMPORARY, TRUE, 1, 0, 0 },
	{ "login accepted",
	  { "--auth", "dunspool:secret" },
	  { "anna@example.test" },
	  EXPECT_SENT, FALSE, 1, 0, 0 },
	{ "login refused",
	  { "--auth", "dunspool:other" },
	  { "anna@example.test" },
	  EXPECT_TEMPORARY, FALSE, 0, 0, 0 },
};

START_TEST (test_smtp_outcomes)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	gboolean unknown = !outcomes[_i].unknown_outcome;
	DsTestSink sink;
	DsSmtpRelay relay;

	email.to = outcomes[_i].to;
	message = ds_email_compose (&email, NULL);
	ds_test_sink_start (&sink, dir, outcomes[_i].options);
	relay = test_relay (&sink);
	relay.username = "dunspool";
	relay.password = "secret";
	result = ds_email_send_smtp (&relay, &email, message, &unknown,
				     &error);

	switch (outcomes[_i].expect) {
	case EXPECT_SENT:
		ck_assert_msg (result != NULL, "%s: %s", outcomes[_i].name,
			       error ? error->message : "");
		ck_assert_uint_eq (result->refused->len,
				   outcomes[_i].refused);
		if (outcomes[_i].refused > 0)
			ck_assert_int_eq (((DsRecipientResult *)
					   result->refused->pdata[0])->code,
					  outcomes[_i].refused_code);
		break;
	case EXPECT_TEMPORARY:
		ck_assert_msg (g_error_matches (error, DS_ERROR,
						DS_ERROR_TEMPORARY),
			       "%s: %s", outcomes[_i].name,
			       error ? error->message : "sent");
		break;
	case EXPECT_PERMANENT:
		ck_assert_msg (g_error_matches (error, DS_ERROR,
						DS_ERROR_PERMANENT),
			       "%s: %s", outcomes[_i].name,
			       error ? error->message : "sent");
		break;
	}
	ck_assert_msg (unknown == outcomes[_i].unknown_outcome, "%s",
		       outcomes[_i].name);
	ck_assert_uint_eq (ds_test_sink_count (&sink), outcomes[_i].stored);
	ds_test_sink_stop (&sink);
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_smtp_starttls_required_but_not_offered)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	gboolean unknown = TRUE;
	DsTestSink sink;
	DsSmtpRelay relay;

	email.to = one_to;
	message = ds_email_compose (&email, NULL);
	ds_test_sink_start (&sink, dir, NULL);
	relay = test_relay (&sink);
	relay.starttls = TRUE;
	result = ds_email_send_smtp (&relay, &email, message, &unknown,
				     &error);
	ck_assert (result == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	ck_assert (!unknown);
	ck_assert_uint_eq (ds_test_sink_count (&sink), 0);
	ds_test_sink_stop (&sink);
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_smtp_no_connection)
{
	g_autoptr (GSocket) socket = g_socket_new (
		G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
		G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (
		G_SOCKET_FAMILY_IPV4);
	g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback,
								    0);
	g_autoptr (GSocketAddress) bound = NULL;
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	g_autoptr (GBytes) message = ds_email_compose (&email, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	g_autofree char *url = NULL;
	gboolean unknown = TRUE;
	DsSmtpRelay relay = { .timeout_seconds = 5 };

	/* A port that was free a moment ago and has no listener. */
	ck_assert (g_socket_bind (socket, any, FALSE, NULL));
	bound = g_socket_get_local_address (socket, NULL);
	url = g_strdup_printf ("smtp://127.0.0.1:%u",
			       g_inet_socket_address_get_port (
				       G_INET_SOCKET_ADDRESS (bound)));
	g_socket_close (socket, NULL);
	relay.url = url;

	result = ds_email_send_smtp (&relay, &email, message, &unknown,
				     &error);
	ck_assert (result == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	ck_assert (!unknown);
}
END_TEST

/* A server that takes the connection and never greets: the timeout. */
START_TEST (test_smtp_silent_server_times_out)
{
	g_autoptr (GSocketListener) listener = g_socket_listener_new ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (NULL, date);
	g_autoptr (GBytes) message = ds_email_compose (&email, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	g_autofree char *url = NULL;
	gboolean unknown = TRUE;
	guint16 port = g_socket_listener_add_any_inet_port (listener, NULL,
							    NULL);
	DsSmtpRelay relay = { .timeout_seconds = 1 };
	gint64 start = g_get_monotonic_time ();

	ck_assert (port != 0);
	url = g_strdup_printf ("smtp://127.0.0.1:%u", port);
	relay.url = url;
	result = ds_email_send_smtp (&relay, &email, message, &unknown,
				     &error);
	ck_assert (result == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	ck_assert (!unknown);
	ck_assert_int_lt (g_get_monotonic_time () - start,
			  10 * G_USEC_PER_SEC);
}
END_TEST

/* -- pickup ---------------------------------------------------------- */

START_TEST (test_pickup_written_whole_and_parseable)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, TRACE_ID ".eml", NULL);
	g_autoptr (GBytes) pdf = test_pdf ();
	g_autoptr (GDateTime) date = test_date ();
	DsEmail email = test_email (pdf, date);
	g_autoptr (GBytes) message = ds_email_compose (&email, NULL);
	g_autoptr (GBytes) other = g_bytes_new_static ("other\r\n", 7);
	g_autoptr (GError) error = NULL;
	g_autoptr (GDir) listing = NULL;
	g_autoptr (GMimeMessage) parsed = NULL;
	g_autoptr (GBytes) attachment = NULL;
	g_autofree char *contents = NULL;
	gsize length;
	GStatBuf status;
	mode_t old_umask = umask (077);

	ck_assert_msg (ds_email_write_pickup (dir, TRACE_ID, message, &error),
		       "%s", error ? error->message : "");
	umask (old_umask);

	/* One file, its final name, mode 0640, no temporary left. */
	listing = g_dir_open (dir, 0, NULL);
	ck_assert_str_eq (g_dir_read_name (listing), TRACE_ID ".eml");
	ck_assert (g_dir_read_name (listing) == NULL);
	ck_assert (g_stat (path, &status) == 0);
	ck_assert_int_eq (status.st_mode & 07777, 0640);

	ck_assert (g_file_get_contents (path, &contents, &length, NULL));
	ck_assert_uint_eq (length, g_bytes_get_size (message));
	ck_assert (memcmp (contents, g_bytes_get_data (message, NULL),
			   length) == 0);
	{
		g_autoptr (GBytes) file = g_bytes_new (contents, length);

		parsed = test_parse (file);
	}
	ck_assert_str_eq (g_mime_message_get_message_id (parsed),
			  TRACE_ID "@" DOMAIN);
	attachment = test_part_content (test_child (
		g_mime_message_get_mime_part (parsed), 1, "application",
		"pdf"));
	ck_assert (g_bytes_equal (attachment, pdf));

	/* Again with the same bytes: no change; other bytes: refused. */
	ck_assert (ds_email_write_pickup (dir, TRACE_ID, message, NULL));
	ck_assert (!ds_email_write_pickup (dir, TRACE_ID, other, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	g_free (contents);
	ck_assert (g_file_get_contents (path, &contents, &length, NULL));
	ck_assert_uint_eq (length, g_bytes_get_size (message));
	g_dir_rewind (listing);
	ck_assert_str_eq (g_dir_read_name (listing), TRACE_ID ".eml");
	ck_assert (g_dir_read_name (listing) == NULL);
	ds_test_rmtree (dir);
}
END_TEST

static const char *const unsafe_trace_ids[] = {
	"../escape", ".hidden", "a/b", "", "a\r\nb", "a..b", "trailing.",
};

START_TEST (test_pickup_refuses_unsafe_names)
{
	g_autofree char *top = ds_test_tmpdir ();
	g_autofree char *dir = g_build_filename (top, "mail", NULL);
	g_autoptr (GBytes) message = g_bytes_new_static ("x\r\n", 3);
	g_autoptr (GError) error = NULL;
	g_autoptr (GDir) listing = NULL;

	ck_assert (g_mkdir (dir, 0750) == 0);
	ck_assert (!ds_email_write_pickup (dir, unsafe_trace_ids[_i],
					   message, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	listing = g_dir_open (dir, 0, NULL);
	ck_assert (g_dir_read_name (listing) == NULL);
	g_dir_close (g_steal_pointer (&listing));
	listing = g_dir_open (top, 0, NULL);
	ck_assert_str_eq (g_dir_read_name (listing), "mail");
	ck_assert (g_dir_read_name (listing) == NULL);
	ds_test_rmtree (top);
}
END_TEST

START_TEST (test_pickup_missing_directory)
{
	g_autofree char *top = ds_test_tmpdir ();
	g_autofree char *dir = g_build_filename (top, "absent", NULL);
	g_autoptr (GBytes) message = g_bytes_new_static ("x\r\n", 3);
	g_autoptr (GError) error = NULL;

	ck_assert (!ds_email_write_pickup (dir, TRACE_ID, message, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	ds_test_rmtree (top);
}
END_TEST

static Suite *
email_suite (void)
{
	Suite *suite = suite_create ("email");
	TCase *compose = tcase_create ("compose");
	TCase *smtp = tcase_create ("smtp");
	TCase *pickup = tcase_create ("pickup");

	tcase_add_test (compose, test_compose_structure);
	tcase_add_test (compose, test_compose_is_reproducible);
	tcase_add_test (compose, test_compose_encodes_utf8_headers);
	tcase_add_test (compose, test_compose_folds_long_headers);
	tcase_add_loop_test (compose, test_compose_no_header_injection, 0,
			     G_N_ELEMENTS (injections));
	tcase_add_loop_test (compose, test_compose_refuses_bad_addresses, 0,
			     G_N_ELEMENTS (refused_input));
	tcase_add_test (compose, test_envelope_sender_is_verp);
	suite_add_tcase (suite, compose);

	tcase_set_timeout (smtp, 60);
	tcase_add_test (smtp, test_smtp_case14_mail_on_the_wire);
	tcase_add_loop_test (smtp, test_smtp_outcomes, 0,
			     G_N_ELEMENTS (outcomes));
	tcase_add_test (smtp, test_smtp_starttls_required_but_not_offered);
	tcase_add_test (smtp, test_smtp_no_connection);
	tcase_add_test (smtp, test_smtp_silent_server_times_out);
	suite_add_tcase (suite, smtp);

	tcase_add_test (pickup, test_pickup_written_whole_and_parseable);
	tcase_add_loop_test (pickup, test_pickup_refuses_unsafe_names, 0,
			     G_N_ELEMENTS (unsafe_trace_ids));
	tcase_add_test (pickup, test_pickup_missing_directory);
	suite_add_tcase (suite, pickup);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (email_suite ());
	int failed;

	g_mime_init ();
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
