/*
 * ds-error.c -- the DS_ERROR quark and what is read from its errors.
 * See ds-error.h.
 */
#include "ds-error.h"

#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (dunspool-error-quark, ds_error)

int
ds_error_input_line (const GError *error)
{
	int line = 0;

	if (error == NULL || error->domain != DS_ERROR ||
	    error->code != DS_ERROR_INPUT ||
	    sscanf (error->message, "line %d:", &line) != 1 || line < 0)
		return 0;
	return line;
}

const char *
ds_error_after_name (const char *message, const char *name)
{
	gsize length = strlen (name);

	if (strncmp (message, name, length) == 0 &&
	    strncmp (message + length, ": ", 2) == 0)
		return message + length + 2;
	return message;
}

/* Append the escape of C to ESCAPED; FALSE when C stands as it is. */
static gboolean
append_escape (GString *escaped, gunichar c)
{
	const char *short_form = c == '\n' ? "\\n" : c == '\r' ? "\\r" :
				 c == '\t' ? "\\t" : NULL;

	if (short_form != NULL)
		g_string_append (escaped, short_form);
	else if (c < 0x20 || c == 0x7f)
		g_string_append_printf (escaped, "\\x%02X", c);
	else if ((c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
		g_string_append_printf (escaped, "\\u%04X", c);
	else
		return FALSE;
	return TRUE;
}

char *
ds_error_escape_controls (const char *text)
{
	GString *escaped;

	if (text == NULL)
		return NULL;
	escaped = g_string_sized_new (strlen (text));
	for (const char *p = text; *p != '\0';) {
		gunichar c = g_utf8_get_char_validated (p, -1);
		const char *next;

		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_printf (escaped, "\\x%02X",
						(guchar) *p);
			p++;
			continue;
		}
		next = g_utf8_next_char (p);
		if (!append_escape (escaped, c))
			g_string_append_len (escaped, p, next - p);
		p = next;
	}
	return g_string_free (escaped, FALSE);
}
