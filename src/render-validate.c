/*
 * render-validate.c -- the checks a letter passes before it may be sent.
 * See ds_render_validate() in render.h.
 *
 * Validation reads the bytes that will go out, not the renderer's
 * intentions: pdftotext (poppler) extracts every word with its box, and
 * the checks run on what it returns.  So a letter that a viewer would
 * show differently from what we meant -- text outside the window, a name
 * that does not extract, a page of the wrong size -- fails here, whatever
 * the renderer believed.  Fonts are checked on the PDF objects directly.
 */
#include "render-private.h"

#include <gio/gio.h>
#include <string.h>

#include "ds-error.h"

#define TOLERANCE 0.5		/* points */

typedef struct {
	int page;
	double x0, y0, x1, y1;
	char *text;
} Word;

typedef struct {
	GArray *sizes;		/* of double pairs: width, height */
	GPtrArray *words;	/* of Word */
	Word *current;
} Extracted;

static void
word_free (gpointer data)
{
	Word *word = data;

	g_free (word->text);
	g_free (word);
}

static gboolean
fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
	va_list args;
	g_autofree char *why = NULL;

	va_start (args, format);
	why = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, DS_ERROR, DS_ERROR_PERMANENT, why);
	return FALSE;
}

/* ---- pdftotext -bbox ---- */

static double
attribute (const char **names, const char **values, const char *name)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp (names[i], name) == 0)
			return g_ascii_strtod (values[i], NULL);
	return -1.0;
}

static void
start_cb (GMarkupParseContext *context, const char *element,
	  const char **names, const char **values, gpointer data,
	  GError **error)
{
	Extracted *out = data;

	if (strcmp (element, "page") == 0) {
		double size[2] = { attribute (names, values, "width"),
				   attribute (names, values, "height") };

		g_array_append_vals (out->sizes, size, 2);
	} else if (strcmp (element, "word") == 0) {
		Word *word = g_new0 (Word, 1);

		word->page = out->sizes->len / 2 - 1;
		word->x0 = attribute (names, values, "xMin");
		word->y0 = attribute (names, values, "yMin");
		word->x1 = attribute (names, values, "xMax");
		word->y1 = attribute (names, values, "yMax");
		word->text = g_strdup ("");
		g_ptr_array_add (out->words, word);
		out->current = word;
	}
}

static void
end_cb (GMarkupParseContext *context, const char *element, gpointer data,
	GError **error)
{
	((Extracted *) data)->current = NULL;
}

static void
text_cb (GMarkupParseContext *context, const char *text, gsize length,
	 gpointer data, GError **error)
{
	Extracted *out = data;
	char *joined;

	if (out->current == NULL)
		return;
	joined = g_strdup_printf ("%s%.*s", out->current->text, (int) length,
				  text);
	g_free (out->current->text);
	out->current->text = joined;
}

static gboolean
extract (GBytes *pdf, Extracted *out, GError **error)
{
	static const GMarkupParser parser = {
		start_cb, end_cb, text_cb, NULL, NULL,
	};
	g_autoptr (GSubprocess) process = NULL;
	g_autoptr (GBytes) output = NULL;
	g_autoptr (GBytes) errors = NULL;
	g_autoptr (GMarkupParseContext) context = NULL;
	g_autoptr (GError) local = NULL;
	gsize length;
	const char *xml;

	process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
				    G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				    G_SUBPROCESS_FLAGS_STDERR_PIPE, &local,
				    "pdftotext", "-bbox", "-enc", "UTF-8", "-",
				    "-", NULL);
	if (process == NULL ||
	    !g_subprocess_communicate (process, pdf, NULL, &output, &errors,
				       &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "pdftotext: %s", local->message);
		return FALSE;
	}
	if (!g_subprocess_get_if_exited (process) ||
	    g_subprocess_get_exit_status (process) != 0)
		return fail (error, "pdftotext cannot read the document: %.*s",
			     (int) g_bytes_get_size (errors),
			     (const char *) g_bytes_get_data (errors, NULL));

	xml = g_bytes_get_data (output, &length);
	context = g_markup_parse_context_new (&parser, 0, out, NULL);
	if (!g_markup_parse_context_parse (context, xml, length, &local) ||
	    !g_markup_parse_context_end_parse (context, &local))
		return fail (error, "pdftotext output: %s", local->message);
	return TRUE;
}

/* ---- checks ---- */

static gboolean
check_pages (const Extracted *out, int page_limit, GError **error)
{
	guint pages = out->sizes->len / 2;

	if (pages == 0)
		return fail (error, "the document has no pages");
	if (page_limit > 0 && pages > (guint) page_limit)
		return fail (error, "%u pages, the channel takes at most %d",
			     pages, page_limit);
	for (guint i = 0; i < pages; i++) {
		double width = g_array_index (out->sizes, double, 2 * i);
		double height = g_array_index (out->sizes, double, 2 * i + 1);

		if (ABS (width - DS_RENDER_PAGE_WIDTH) > 1.0 ||
		    ABS (height - DS_RENDER_PAGE_HEIGHT) > 1.0)
			return fail (error, "page %u is %.1f x %.1f pt, not "
				     "A4", i + 1, width, height);
	}
	return TRUE;
}

static gboolean
check_margins (const Extracted *out, GError **error)
{
	double margin = ds_render_mm (DS_RENDER_MIN_MARGIN) - TOLERANCE;

	for (guint i = 0; i < out->words->len; i++) {
		const Word *word = g_ptr_array_index (out->words, i);

		if (word->x0 < margin || word->y0 < margin ||
		    word->x1 > DS_RENDER_PAGE_WIDTH - margin ||
		    word->y1 > DS_RENDER_PAGE_HEIGHT - margin)
			return fail (error, "page %d: \"%s\" lies within "
				     "%.0f mm of the edge", word->page + 1,
				     word->text, DS_RENDER_MIN_MARGIN);
	}
	return TRUE;
}

/* Occurrences of the PDF name `needle` (not as a prefix of another). */
static gsize
count (const char *haystack, gsize length, const char *needle)
{
	gsize found = 0;
	gsize needle_length = strlen (needle);

	for (gsize i = 0; i + needle_length <= length; i++) {
		char next = i + needle_length < length ?
			    haystack[i + needle_length] : ' ';

		if (memcmp (haystack + i, needle, needle_length) == 0 &&
		    !g_ascii_isalnum (next))
			found++;
	}
	return found;
}

/*
 * Every font that draws glyphs (simple TrueType or Type 1, or the CID
 * font under a Type 0) has a descriptor, and every descriptor an
 * embedded font program.  A standard font named without a program fails.
 */
static gboolean
check_fonts (GBytes *pdf, GError **error)
{
	gsize length;
	const char *data = g_bytes_get_data (pdf, &length);
	gsize fonts = count (data, length, "/Subtype /TrueType") +
		      count (data, length, "/Subtype /Type1") +
		      count (data, length, "/Subtype /CIDFontType2") +
		      count (data, length, "/Subtype /CIDFontType0");
	gsize descriptors = count (data, length, "/Type /FontDescriptor");
	gsize programs = count (data, length, "/FontFile2") +
			 count (data, length, "/FontFile3") +
			 count (data, length, "/FontFile");

	if (fonts == 0)
		return fail (error, "the document has no fonts");
	if (descriptors < fonts || programs < fonts)
		return fail (error, "%zu of %zu fonts are not embedded",
			     fonts - MIN (programs, MIN (descriptors, fonts)),
			     fonts);
	return TRUE;
}

/* A hyphen a line may be broken after: extraction may drop it there. */
static gboolean
is_hyphen (gunichar character)
{
	return character == '-' || character == 0x00AD ||
	       character == 0x2010 || character == 0x2011;
}

/*
 * `text` without white space and hyphens, for comparing what extraction
 * joins or splits differently: pdftotext gives "SUB-" at a line's end
 * and "0001" on the next back as "SUB0001".
 */
static char *
squeeze (const char *text)
{
	GString *out = g_string_new (NULL);

	for (const char *p = text; p != NULL && *p != '\0';
	     p = g_utf8_next_char (p)) {
		gunichar character = g_utf8_get_char (p);

		if (!g_unichar_isspace (character) && !is_hyphen (character))
			g_string_append_unichar (out, character);
	}
	return g_string_free (out, FALSE);
}

static int
reading_order (gconstpointer a, gconstpointer b)
{
	const Word *first = *(const Word *const *) a;
	const Word *second = *(const Word *const *) b;

	if (first->page != second->page)
		return first->page < second->page ? -1 : 1;
	if (ABS (first->y1 - second->y1) > 2.0)
		return first->y1 < second->y1 ? -1 : 1;
	return first->x0 < second->x0 ? -1 : first->x0 > second->x0;
}

static char *
join_words (GPtrArray *words)
{
	GString *out = g_string_new (NULL);

	g_ptr_array_sort (words, reading_order);
	for (guint i = 0; i < words->len; i++) {
		const Word *word = g_ptr_array_index (words, i);

		g_string_append_printf (out, "%s%s", i ? " " : "", word->text);
	}
	return g_string_free (out, FALSE);
}

static gboolean
overlaps (const Word *word, double left, double top, double right,
	  double bottom)
{
	return word->x1 > left && word->x0 < right && word->y1 > top &&
	       word->y0 < bottom;
}

static gboolean
inside (const Word *word, double left, double top, double right,
	double bottom)
{
	return word->x0 >= left - TOLERANCE && word->x1 <= right + TOLERANCE &&
	       word->y0 >= top - TOLERANCE && word->y1 <= bottom + TOLERANCE;
}

/* Split the window's words into the address zone and the remark zone. */
static gboolean
window_words (const Extracted *out, const DsRenderProfile *profile,
	      GPtrArray *address, GPtrArray *remarks, GError **error)
{
	double left, top, right, bottom, address_top, unused;

	ds_render_profile_window_zone (profile, &left, &top, &right, &bottom);
	ds_render_profile_address_zone (profile, &unused, &address_top,
					&unused, &unused);
	for (guint i = 0; i < out->words->len; i++) {
		Word *word = g_ptr_array_index (out->words, i);

		if (word->page != 0 ||
		    !overlaps (word, left, top, right, bottom))
			continue;
		if (!inside (word, left, top, right, bottom))
			return fail (error, "\"%s\" crosses the edge of the "
				     "%s window", word->text,
				     profile->standard);
		if (word->y0 >= address_top - TOLERANCE)
			g_ptr_array_add (address, word);
		else if (word->y1 <= address_top + TOLERANCE)
			g_ptr_array_add (remarks, word);
		else
			return fail (error, "\"%s\" crosses into the address "
				     "zone", word->text);
	}
	return TRUE;
}

static gboolean
check_address (const DsLetter *letter, const GPtrArray *address,
	       GError **error)
{
	g_autoptr (GPtrArray) lines = ds_render_recipient_lines (letter,
								 error);
	g_autofree char *expected = NULL;
	g_autofree char *found = NULL;
	g_autofree char *words = NULL;
	g_autofree char *joined = NULL;

	if (lines == NULL)
		return FALSE;
	g_ptr_array_add (lines, NULL);
	joined = g_strjoinv (" ", (char **) lines->pdata);
	expected = squeeze (joined);
	words = join_words ((GPtrArray *) address);
	found = squeeze (words);
	if (strcmp (expected, found) != 0)
		return fail (error, "the address zone holds \"%s\", the "
			     "recipient block is \"%s\"", words, joined);
	return TRUE;
}

static gboolean
check_remarks (const DsLetter *letter, const DsRenderProfile *profile,
	       GPtrArray *remarks, GError **error)
{
	g_autofree char *line = NULL;
	g_autofree char *expected = NULL;
	g_autofree char *words = join_words (remarks);
	g_autofree char *found = squeeze (words);

	if (profile->remark_height <= 0.0) {
		if (*found != '\0')
			return fail (error, "the %s window holds \"%s\" "
				     "besides the address", profile->standard,
				     words);
		return TRUE;
	}
	line = ds_render_return_line (letter, error);
	if (line == NULL)
		return FALSE;
	expected = squeeze (line);
	if (!g_str_has_prefix (found, expected) ||
	    (!letter->registered && strcmp (found, expected) != 0))
		return fail (error, "the window's remark zone holds \"%s\", "
			     "expected the return address \"%s\"%s", words,
			     line, letter->registered ? " and a remark" : "");
	return TRUE;
}

static gboolean
check_window (const DsLetter *letter, const Extracted *out, GError **error)
{
	const DsRenderProfile *profile = ds_render_profile_for
		(letter->entity, error);
	g_autoptr (GPtrArray) address = g_ptr_array_new ();
	g_autoptr (GPtrArray) remarks = g_ptr_array_new ();

	return profile != NULL &&
	       window_words (out, profile, address, remarks, error) &&
	       check_address (letter, address, error) &&
	       check_remarks (letter, profile, remarks, error);
}

/* The next line's piece of a wrapped text: the word below `last` that
 * starts where the first piece started and continues `rest`. */
static const Word *
next_piece (GPtrArray *words, const Word *first, const Word *last,
	    const char *rest, gsize *length)
{
	const Word *best = NULL;

	for (guint i = 0; i < words->len; i++) {
		const Word *word = g_ptr_array_index (words, i);
		g_autofree char *piece = NULL;

		if (word->page != first->page || word->y0 <= last->y0 + 0.5 ||
		    ABS (word->x0 - first->x0) > 1.5 ||
		    (best != NULL && word->y0 >= best->y0))
			continue;
		piece = squeeze (word->text);
		if (*piece == '\0' || !g_str_has_prefix (rest, piece))
			continue;
		best = word;
		*length = strlen (piece);
	}
	return best;
}

/*
 * Whether TARGET (squeezed) extracts as the lines of one table cell:
 * a word that starts it, then the words below it in the same column
 * that continue it, to its end.  A wrapped cell reads across the other
 * columns in reading order, so the plain text does not hold it whole.
 */
static gboolean
extracts_in_column (GPtrArray *words, const char *target)
{
	for (guint i = 0; i < words->len; i++) {
		const Word *first = g_ptr_array_index (words, i);
		const Word *last = first;
		g_autofree char *piece = squeeze (first->text);
		const char *rest = target;
		gsize length = strlen (piece);

		if (length == 0 || !g_str_has_prefix (target, piece))
			continue;
		rest += length;
		while (*rest != '\0' && last != NULL) {
			last = next_piece (words, first, last, rest, &length);
			if (last != NULL)
				rest += length;
		}
		if (*rest == '\0')
			return TRUE;
	}
	return FALSE;
}

static gboolean
check_extractable (const DsLetter *letter, const Extracted *out,
		   GError **error)
{
	g_autoptr (GPtrArray) all = g_ptr_array_sized_new (out->words->len);
	g_autofree char *words = NULL;
	g_autofree char *text = NULL;
	g_autofree char *name = NULL;
	g_autofree char *squeezed_name = NULL;

	for (guint i = 0; i < out->words->len; i++)
		g_ptr_array_add (all, g_ptr_array_index (out->words, i));
	words = join_words (all);
	text = squeeze (words);

	if (!ds_render_text_clean (letter->customer->name, "customer.name",
				   &name, error))
		return FALSE;
	squeezed_name = squeeze (name);
	if (strstr (text, squeezed_name) == NULL)
		return fail (error, "the recipient's name \"%s\" does not "
			     "extract as text", name);
	for (guint i = 0; i < letter->items->len; i++) {
		const DsLetterItem *item = g_ptr_array_index (letter->items,
							      i);
		g_autofree char *clean = NULL;
		g_autofree char *squeezed = NULL;

		if (!ds_render_text_clean (item->invoice_id, "item.invoice",
					   &clean, error))
			return FALSE;
		squeezed = squeeze (clean);
		if (strstr (text, squeezed) == NULL &&
		    !extracts_in_column (all, squeezed))
			return fail (error, "invoice %s does not extract as "
				     "text", clean);
	}
	return TRUE;
}

gboolean
ds_render_validate (const DsLetter *letter, const DsRendered *rendered,
		    int page_limit, GError **error)
{
	Extracted out = { NULL };
	gboolean valid;

	if (rendered == NULL || rendered->pdf == NULL)
		return fail (error, "nothing was rendered");
	if (!check_fonts (rendered->pdf, error))
		return FALSE;
	out.sizes = g_array_new (FALSE, FALSE, sizeof (double));
	out.words = g_ptr_array_new_with_free_func (word_free);
	valid = extract (rendered->pdf, &out, error) &&
		check_pages (&out, page_limit, error) &&
		check_margins (&out, error) &&
		check_window (letter, &out, error) &&
		check_extractable (letter, &out, error);
	g_array_unref (out.sizes);
	g_ptr_array_unref (out.words);
	return valid;
}
