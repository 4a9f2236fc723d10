/*
 * csv-reader.c -- CSV rows with their lines.  See csv-reader.h.
 */
#include "csv-reader.h"

#include <csv.h>
#include <string.h>

#include "ds-error.h"

typedef struct {
	DsCsvRowFunc func;
	gpointer user_data;
	GPtrArray *fields;
	guint row_line;		/* 0: between rows */
	gboolean stopped;
	GError *error;
} CsvReader;

static char *
field_clean (const void *text, size_t length)
{
	return g_strstrip (length ? g_strndup (text, length) : g_strdup (""));
}

static void
csv_field_cb (void *text, size_t length, void *data)
{
	CsvReader *reader = data;

	if (!reader->stopped)
		g_ptr_array_add (reader->fields, field_clean (text, length));
}

static gboolean
fields_blank (GPtrArray *fields)
{
	for (guint i = 0; i < fields->len; i++)
		if (*(const char *) fields->pdata[i] != '\0')
			return FALSE;
	return TRUE;
}

static void
csv_row_cb (int terminator, void *data)
{
	CsvReader *reader = data;

	if (!reader->stopped && !fields_blank (reader->fields) &&
	    !reader->func (reader->row_line,
			   (char **) reader->fields->pdata,
			   reader->fields->len, reader->user_data,
			   &reader->error))
		reader->stopped = TRUE;
	g_ptr_array_set_size (reader->fields, 0);
	reader->row_line = 0;
}

/* The end of the physical line at START: after its LF or CR. */
static gsize
line_end (const char *data, gsize length, gsize start)
{
	for (gsize i = start; i < length; i++)
		if (data[i] == '\n' || data[i] == '\r')
			return i + 1;
	return length;
}

static gboolean
chunk_blank (const char *chunk, gsize size)
{
	for (gsize i = 0; i < size; i++)
		if (!strchr (" \t\r\n", chunk[i]))
			return FALSE;
	return TRUE;
}

static gboolean
input_fail (GError **error, int line, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "line %d: %s", line,
		     why);
	return FALSE;
}

gboolean
ds_csv_read (const char *data, gsize length, char delimiter,
	     DsCsvRowFunc func, gpointer user_data, GError **error)
{
	struct csv_parser parser;
	CsvReader reader = { func, user_data, NULL, 0, FALSE, NULL };
	guint line = 1;
	gsize start = 0;
	gboolean ok = TRUE;

	if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "CSV parser: out of memory");
		return FALSE;
	}
	csv_set_delim (&parser, delimiter);
	reader.fields = g_ptr_array_new_with_free_func (g_free);

	while (ok && start < length && !reader.stopped) {
		gsize end = line_end (data, length, start);
		char last = data[end - 1];

		if (reader.row_line == 0 &&
		    !chunk_blank (data + start, end - start))
			reader.row_line = line;
		if (csv_parse (&parser, data + start, end - start,
			       csv_field_cb, csv_row_cb, &reader) !=
		    end - start)
			ok = input_fail (&reader.error, line,
					 "malformed quoting");
		if (last == '\n' || (last == '\r' &&
				     (end == length || data[end] != '\n')))
			line++;
		start = end;
	}
	if (ok && !reader.stopped &&
	    csv_fini (&parser, csv_field_cb, csv_row_cb, &reader) != 0)
		input_fail (&reader.error, reader.row_line,
			    "a quoted field is not closed");
	csv_free (&parser);
	g_ptr_array_unref (reader.fields);
	if (reader.error != NULL) {
		g_propagate_error (error, reader.error);
		return FALSE;
	}
	return TRUE;
}

char
ds_csv_detect_delimiter (const char *data, gsize length)
{
	gsize start = 0;
	gsize commas = 0, semicolons = 0;
	gboolean quoted = FALSE;

	while (start < length) {
		gsize end = line_end (data, length, start);

		if (!chunk_blank (data + start, end - start)) {
			for (gsize i = start; i < end; i++) {
				if (data[i] == '"')
					quoted = !quoted;
				else if (!quoted && data[i] == ',')
					commas++;
				else if (!quoted && data[i] == ';')
					semicolons++;
			}
			break;
		}
		start = end;
	}
	return semicolons > commas ? ';' : ',';
}
