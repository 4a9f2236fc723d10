/*
 * fuzz-email.c -- any ledger text in a composed e-mail.
 *
 * The input is split at 0x1e bytes into the fields that come from the
 * ledger or the templates: the sender's and the recipient's display
 * names, the subject, the text and HTML bodies, the PDF's file name, and
 * (when the first byte is odd) the trace id and recipient address too.
 * A NUL ends a field, as it ends any C string taken from the ledger.
 *
 * Promises checked on every message composed:
 *   - CRLF-clean: no CR without LF after it, no LF without CR before it;
 *   - the header block holds exactly the headers composition writes,
 *     each once (Return-Path, From, To, Subject, Date, Message-Id,
 *     X-Dunspool-Trace, MIME-Version, Content-Type), and every other
 *     line of it is a folded continuation;
 *   - the Message-ID is the trace id's.
 * An input that composition refuses must be refused with an error.
 */
#include "fuzz.h"

#include <string.h>

#include "channel-email.h"

#define FIELDS 8

static const char *const once[] = {
	"Return-Path", "From", "To", "Subject", "Date", "Message-Id",
	"X-Dunspool-Trace", "MIME-Version", "Content-Type", NULL
};

static gboolean
header_known (const char *name)
{
	return g_strv_contains (once, name);
}

static void
check_crlf (const char *message, gsize length)
{
	for (gsize i = 0; i < length; i++) {
		if (message[i] == '\r')
			fuzz_assert (i + 1 < length && message[i + 1] == '\n',
				     "bare CR at byte %zu", i);
		if (message[i] == '\n')
			fuzz_assert (i > 0 && message[i - 1] == '\r',
				     "bare LF at byte %zu", i);
	}
}

static void
check_headers (const char *message, gsize length, const char *trace_id)
{
	const char *end = g_strstr_len (message, length, "\r\n\r\n");
	g_autofree char *block = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GHashTable) seen = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *message_id = NULL;

	fuzz_assert (end != NULL, "no end of headers");
	block = g_strndup (message, end - message);
	lines = g_strsplit (block, "\r\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		const char *line = lines[i];
		const char *colon = strchr (line, ':');
		g_autofree char *name = NULL;

		if (line[0] == ' ' || line[0] == '\t') {
			fuzz_assert (i > 0, "headers start folded");
			continue;
		}
		fuzz_assert (colon != NULL, "header line without a name: %s",
			     line);
		name = g_strndup (line, colon - line);
		fuzz_assert (header_known (name), "unexpected header %s",
			     name);
		fuzz_assert (!g_hash_table_contains (seen, name),
			     "header %s twice", name);
		g_hash_table_add (seen, g_steal_pointer (&name));
		if (g_str_has_prefix (line, "Message-Id:"))
			message_id = g_strdup (line);
	}
	for (int i = 0; once[i] != NULL; i++)
		fuzz_assert (g_hash_table_contains (seen, once[i]),
			     "header %s missing", once[i]);
	fuzz_assert (strstr (message_id, trace_id) != NULL,
		     "Message-ID does not hold the trace id");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *copy = g_strndup ((const char *) data, size);
	g_auto (GStrv) fields = NULL;
	const char *field[FIELDS] = { 0 };
	const char *to[] = { "debtor@example.com", NULL };
	g_autoptr (GDateTime) date = g_date_time_new_utc (2024, 1, 15, 9, 0,
							 0);
	g_autoptr (GBytes) message = NULL;
	g_autoptr (GError) error = NULL;
	DsEmail email = { 0 };
	gboolean fuzz_ids = size > 0 && (data[0] & 1);
	const char *bytes;
	gsize length;

	fuzz_quiet ();
	fields = g_strsplit (size > 0 ? copy + 1 : copy, "\x1e", FIELDS);
	for (int i = 0; i < FIELDS && fields[i] != NULL; i++)
		field[i] = fields[i];
	email.trace_id = fuzz_ids && field[6] ? field[6] : "DS6KAQTAHM4M";
	email.from_name = field[0];
	email.from_address = "collections@example.com";
	if (fuzz_ids && field[7] != NULL)
		to[0] = field[7];
	email.to = to;
	email.to_name = field[1];
	email.subject = field[2] ? field[2] : "Reminder";
	email.text = field[3] ? field[3] : "text";
	email.html = field[4];
	email.pdf = g_bytes_new_static ("%PDF-1.4\n", 9);
	email.pdf_name = field[5];
	email.message_domain = "dunspool.example";
	email.date = date;

	message = ds_email_compose (&email, &error);
	g_bytes_unref (email.pdf);
	if (message == NULL) {
		fuzz_assert (error != NULL, "refused without a reason");
		return 0;
	}
	bytes = g_bytes_get_data (message, &length);
	check_crlf (bytes, length);
	check_headers (bytes, length, email.trace_id);
	return 0;
}
