/*
 * check_render.c -- letters render, lay out and validate as promised:
 * Unicode (case 11), unbreakable text (case 12), the envelope window
 * (case 13) and every profile's window, tables over pages, identical
 * bytes for identical input, and validation that refuses what must not
 * be sent.  Text and positions are read back with pdftotext, as an
 * auditor would.
 */
#define _GNU_SOURCE		/* memmem */
#include <check.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barcode.h"
#include "ds-error.h"
#include "render-private.h"
#include "render.h"
#include "testutil.h"

#define MM(x) ((x) * 72.0 / 25.4)

typedef struct {
	DsEntity entity;
	DsCustomer customer;
	DsLetter letter;
	GPtrArray *items;
	DsRenderer *renderer;
	char *dir;
} Fixture;

static void
add_item (Fixture *f, const char *invoice, const char *reference,
	  gint64 amount, gint64 paid)
{
	DsLetterItem *item = g_new0 (DsLetterItem, 1);

	item->invoice_id = g_strdup (invoice);
	item->reference = g_strdup (reference);
	item->issue_date = ds_date_from_ymd (2024, 1, 5);
	item->due_date = ds_date_from_ymd (2024, 2, 4);
	item->amount = amount;
	item->paid = paid;
	item->open = amount - paid;
	item->days_overdue = 30;
	g_ptr_array_add (f->items, item);
	f->letter.total += item->open;
}

static void
fixture_init (Fixture *f, guint items)
{
	g_autofree char *templates = ds_test_srcpath ("templates");
	g_autoptr (GError) error = NULL;

	memset (f, 0, sizeof *f);
	f->entity = (DsEntity) {
		.entity_id = "E1", .name = "Muster Inkasso GmbH",
		.street = "Hauptstraße 1", .postal_code = "10115",
		.city = "Berlin", .country = "DE",
		.iban = "DE89370400440532013000", .bic = "COBADEFFXXX",
		.vat_id = "DE123456789", .email = "ar@muster.example",
		.phone = "+49 30 1234567",
	};
	f->customer = (DsCustomer) {
		.customer_id = "C-1001", .name = "Beispiel AG",
		.contact = "Erika Mustermann", .street = "Lindenweg 7",
		.postal_code = "80331", .city = "München", .country = "DE",
		.language = "de", .currency = "EUR",
	};
	f->items = g_ptr_array_new_with_free_func
		((GDestroyNotify) ds_letter_item_free);
	f->letter = (DsLetter) {
		.entity = &f->entity, .customer = &f->customer,
		.trace_id = "DS7Q2K-0001", .step = "first", .language = "de",
		.date = ds_date_from_ymd (2024, 3, 5),
		.deadline = ds_date_from_ymd (2024, 3, 19),
		.currency = "EUR", .items = f->items,
	};
	for (guint i = 0; i < items; i++) {
		g_autofree char *invoice = g_strdup_printf ("INV-2024-%05u",
							    i + 1);

		add_item (f, invoice, NULL, 135590 + i, i % 3 ? 10000 : 0);
	}
	f->renderer = ds_renderer_new (templates, NULL, &error);
	ck_assert_msg (f->renderer != NULL, "%s", error ? error->message
						       : "");
	f->dir = ds_test_tmpdir ();
}

static void
fixture_clear (Fixture *f)
{
	ds_renderer_free (f->renderer);
	g_ptr_array_unref (f->items);
	ds_test_rmtree (f->dir);
	g_free (f->dir);
}

static DsRendered *
render (Fixture *f)
{
	g_autoptr (GError) error = NULL;
	DsRendered *rendered = ds_renderer_render (f->renderer, &f->letter,
						   &error);

	ck_assert_msg (rendered != NULL, "%s", error ? error->message : "");
	return rendered;
}

/* pdftotext's output for the PDF; `page` 0 for all pages. */
static char *
pdftotext (Fixture *f, GBytes *pdf, const char *mode, int page)
{
	g_autofree char *path = g_build_filename (f->dir, "letter.pdf",
						  NULL);
	g_autofree char *number = g_strdup_printf ("%d", page);
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	g_autoptr (GError) error = NULL;
	char *out = NULL;
	int status = 0;

	ck_assert (g_file_set_contents (path, g_bytes_get_data (pdf, NULL),
					g_bytes_get_size (pdf), NULL));
	g_ptr_array_add (argv, "pdftotext");
	g_ptr_array_add (argv, "-enc");
	g_ptr_array_add (argv, "UTF-8");
	g_ptr_array_add (argv, (gpointer) mode);
	if (page > 0) {
		g_ptr_array_add (argv, "-f");
		g_ptr_array_add (argv, number);
		g_ptr_array_add (argv, "-l");
		g_ptr_array_add (argv, number);
	}
	g_ptr_array_add (argv, path);
	g_ptr_array_add (argv, "-");
	g_ptr_array_add (argv, NULL);
	ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
				     G_SPAWN_SEARCH_PATH |
				     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				     &out, NULL, &status, &error),
		       "%s", error ? error->message : "");
	ck_assert_int_eq (status, 0);
	return out;
}

typedef struct {
	int page;
	double x0, y0, x1, y1;
	char text[256];
} Word;

/* The words of `pdftotext -bbox`, in the order it gives them. */
static GArray *
words_of (Fixture *f, GBytes *pdf)
{
	g_autofree char *xml = pdftotext (f, pdf, "-bbox", 0);
	GArray *words = g_array_new (FALSE, TRUE, sizeof (Word));
	int page = -1;

	for (const char *p = xml; (p = strchr (p, '<')) != NULL; p++) {
		Word word = { 0 };
		int length = 0;

		if (g_str_has_prefix (p, "<page ")) {
			page++;
			continue;
		}
		if (sscanf (p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" "
			    "yMax=\"%lf\">%n", &word.x0, &word.y0, &word.x1,
			    &word.y1, &length) != 4 || length == 0)
			continue;
		p += length;
		g_strlcpy (word.text, p, MIN ((gsize) (strchr (p, '<') - p +
						       1), sizeof word.text));
		word.page = page;
		g_array_append_val (words, word);
	}
	return words;
}

static gboolean
word_inside (const Word *word, double left, double top, double width,
	     double height)
{
	return word->x0 >= MM (left) - 0.5 && word->y0 >= MM (top) - 0.5 &&
	       word->x1 <= MM (left + width) + 0.5 &&
	       word->y1 <= MM (top + height) + 0.5;
}

static gboolean
word_overlaps (const Word *word, double left, double top, double width,
	       double height)
{
	return word->x1 > MM (left) && word->x0 < MM (left + width) &&
	       word->y1 > MM (top) && word->y0 < MM (top + height);
}

static char *
squeeze (const char *text)
{
	GString *out = g_string_new (NULL);

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
		if (!g_unichar_isspace (g_utf8_get_char (p)))
			g_string_append_unichar (out, g_utf8_get_char (p));
	return g_string_free (out, FALSE);
}

static void
assert_valid (Fixture *f, const DsRendered *rendered, int limit)
{
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_render_validate (&f->letter, rendered, limit,
					   &error),
		       "%s", error ? error->message : "");
}

/* ---- case 11: Unicode ---- */

START_TEST (test_render_unicode_extracts_as_written)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autofree char *text = NULL;

	fixture_init (&f, 2);
	f.customer.name = "Mu\xcc\x88ller Bau GmbH";	/* u + U+0308 */
	f.customer.contact = "Jürgen Groß-Öztürk";
	f.customer.street = "Łódzka 5";
	f.customer.postal_code = "90-001";
	f.customer.city = "Łódź";
	f.customer.country = "PL";
	rendered = render (&f);
	assert_valid (&f, rendered, 2);

	text = pdftotext (&f, rendered->pdf, "-raw", 0);
	ck_assert_msg (strstr (text, "Müller Bau GmbH") != NULL, "%s", text);
	ck_assert (strstr (text, "Jürgen Groß-Öztürk") != NULL);
	ck_assert (strstr (text, "Łódzka 5") != NULL);
	ck_assert (strstr (text, "90-001 Łódź") != NULL);
	ck_assert (strstr (text, "POLEN") != NULL);
	ck_assert (strstr (text, "u\xcc\x88") == NULL);
	ck_assert (strchr (text, '?') == NULL);
	ck_assert (strstr (text, "\xef\xbf\xbd") == NULL);	/* U+FFFD */
	fixture_clear (&f);
}
END_TEST

START_TEST (test_render_missing_glyph_names_field_and_character)
{
	Fixture f;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRendered) rendered = NULL;

	fixture_init (&f, 1);
	f.customer.name = "株式会社テスト";
	rendered = ds_renderer_render (f.renderer, &f.letter, &error);
	ck_assert (rendered == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert_msg (strstr (error->message, "customer.name: missing glyph "
			       "for U+682A") != NULL, "%s", error->message);
	ck_assert (strstr (error->message, "DejaVuSans") != NULL);
	fixture_clear (&f);
}
END_TEST

/* ---- case 12: unbreakable text ---- */

#define REFERENCE \
	"REF0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJK"

START_TEST (test_render_wrap_never_cuts)
{
	g_autofree char *path = g_build_filename (DS_FONT_DIR,
						  "DejaVuSans.ttf", NULL);
	g_autoptr (DsFont) font = ds_font_load (path, NULL);
	g_autoptr (GPtrArray) lines = NULL;
	GString *joined = g_string_new (NULL);

	ck_assert_int_eq (strlen (REFERENCE), 60);
	lines = ds_render_text_wrap (font, 7.0, REFERENCE, 80.0);
	ck_assert_uint_ge (lines->len, 2);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = g_ptr_array_index (lines, i);

		ck_assert (ds_font_text_width (font, line, -1, 7.0) <= 80.0);
		g_string_append (joined, line);
	}
	ck_assert_str_eq (joined->str, REFERENCE);
	g_string_free (joined, TRUE);
}
END_TEST

START_TEST (test_render_long_reference_broken_in_its_column)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GArray) words = NULL;
	g_autofree char *text = NULL;
	g_autofree char *squeezed = NULL;
	double piece_right = 0.0, date_left = G_MAXDOUBLE;
	guint pieces = 0;

	fixture_init (&f, 0);
	add_item (&f, "INV-1", REFERENCE, 100000, 0);
	rendered = render (&f);
	assert_valid (&f, rendered, 1);

	/* every character is there, in order */
	text = pdftotext (&f, rendered->pdf, "-raw", 0);
	squeezed = squeeze (text);
	ck_assert_msg (strstr (squeezed, REFERENCE) != NULL, "%s", text);

	/* on several lines, none running into the date column */
	words = words_of (&f, rendered->pdf);
	for (guint i = 0; i < words->len; i++) {
		const Word *word = &g_array_index (words, Word, i);

		if (strlen (word->text) >= 4 &&
		    strstr (REFERENCE, word->text) != NULL) {
			piece_right = MAX (piece_right, word->x1);
			pieces++;
		}
		if (strcmp (word->text, "05.01.2024") == 0)
			date_left = MIN (date_left, word->x0);
	}
	ck_assert_uint_ge (pieces, 2);
	ck_assert (piece_right < date_left);
	fixture_clear (&f);
}
END_TEST

/* An invoice number wrapped at a hyphen is still found by validation,
 * which pdftotext may give back with the hyphen dropped. */
START_TEST (test_render_long_invoice_number_passes_validation)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;

	fixture_init (&f, 0);
	add_item (&f, "INV-2024-000123-DE-SUB-0001", "PO 4711", 100000, 0);
	add_item (&f, "INV-2024-000124-DE-SUB-0002-LONGER-THAN-ITS-COLUMN",
		  "PO 4712", 50000, 0);
	rendered = render (&f);
	assert_valid (&f, rendered, 1);
	fixture_clear (&f);
}
END_TEST

/* ---- case 13: the DIN 5008 B window ---- */

START_TEST (test_render_din5008b_address_inside_window)
{
	/* address field 85 x 45 mm at 20 mm from the left, 45 from the top */
	const double left = 20.0, top = 45.0, width = 85.0, height = 45.0;
	const char *name = "Vereinigte Norddeutsche Präzisionswerkzeuge- und "
			   "Maschinenhandels GmbH";
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GArray) words = NULL;
	g_autoptr (GHashTable) name_lines = g_hash_table_new (g_direct_hash,
							      g_direct_equal);
	GString *inside = g_string_new (NULL);
	g_autofree char *found = NULL;
	g_autofree char *expected = NULL;

	fixture_init (&f, 2);
	ck_assert_int_eq (g_utf8_strlen (name, -1), 70);
	f.customer.name = (char *) name;
	rendered = render (&f);
	assert_valid (&f, rendered, 1);

	words = words_of (&f, rendered->pdf);
	for (guint i = 0; i < words->len; i++) {
		const Word *word = &g_array_index (words, Word, i);

		if (word->page != 0 ||
		    !word_overlaps (word, left, top, width, height))
			continue;
		/* nothing crosses the field's edge */
		ck_assert_msg (word_inside (word, left, top, width, height),
			       "\"%s\" crosses the address field", word->text);
		/* below the remark zone: only the recipient */
		if (word->y0 >= MM (top + 17.7) - 0.5) {
			g_string_append (inside, word->text);
			if (strstr (name, word->text) != NULL)
				g_hash_table_add (name_lines, GINT_TO_POINTER
						  ((int) word->y1));
		}
	}
	found = squeeze (inside->str);
	expected = squeeze ("Vereinigte Norddeutsche Präzisionswerkzeuge- und "
			    "Maschinenhandels GmbH Erika Mustermann "
			    "Lindenweg 7 80331 München");
	ck_assert_str_eq (found, expected);
	ck_assert_uint_ge (g_hash_table_size (name_lines), 2);	/* wrapped */
	g_string_free (inside, TRUE);
	fixture_clear (&f);
}
END_TEST

START_TEST (test_render_address_that_cannot_fit_fails)
{
	Fixture f;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRendered) rendered = NULL;
	GString *name = g_string_new (NULL);

	fixture_init (&f, 1);
	for (int i = 0; i < 12; i++)
		g_string_append (name, "Langername Handelsgesellschaft ");
	f.customer.name = name->str;
	rendered = ds_renderer_render (f.renderer, &f.letter, &error);
	ck_assert (rendered == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert_msg (strstr (error->message, "recipient block") != NULL,
		       "%s", error->message);
	g_string_free (name, TRUE);
	fixture_clear (&f);
}
END_TEST

/* ---- every profile's window ---- */

static const struct {
	const char *profile;	/* NULL: chosen by country */
	const char *country;
	double left, top, width, height;	/* the window, mm */
} windows[] = {
	{ "din5008b", "DE", 20.0, 45.0, 85.0, 45.0 },
	{ "din5008a", "GB", 20.0, 27.0, 85.0, 45.0 },
	{ "nfz11001", "FR", 100.0, 45.0, 90.0, 45.0 },
	{ "us10", "US", 22.2, 57.0, 114.3, 28.6 },
	{ NULL, "FR", 100.0, 45.0, 90.0, 45.0 },
	{ NULL, "CH", 20.0, 45.0, 85.0, 45.0 },
	{ NULL, "GB", 20.0, 27.0, 85.0, 45.0 },
};

START_TEST (test_render_profile_windows)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GArray) words = NULL;
	gboolean seen_name = FALSE, seen_street = FALSE;

	fixture_init (&f, 1);
	f.entity.letter_profile = (char *) windows[_i].profile;
	f.entity.country = (char *) windows[_i].country;
	f.customer.country = (char *) windows[_i].country;
	rendered = render (&f);
	assert_valid (&f, rendered, 1);

	words = words_of (&f, rendered->pdf);
	for (guint i = 0; i < words->len; i++) {
		const Word *word = &g_array_index (words, Word, i);
		double left = windows[_i].left, top = windows[_i].top;
		double width = windows[_i].width;
		double height = windows[_i].height;

		if (word->page != 0)
			continue;
		if (word_overlaps (word, left, top, width, height))
			ck_assert_msg (word_inside (word, left, top, width,
						    height),
				       "%s: \"%s\" crosses the window",
				       windows[_i].country, word->text);
		if (strcmp (word->text, "Beispiel") == 0)
			seen_name |= word_inside (word, left, top, width,
						  height);
		if (strcmp (word->text, "Lindenweg") == 0)
			seen_street |= word_inside (word, left, top, width,
						    height);
	}
	ck_assert_msg (seen_name && seen_street, "%s: recipient not in the "
		       "window", windows[_i].country);
	fixture_clear (&f);
}
END_TEST

/* ---- tables over pages ---- */

START_TEST (test_render_table_repeats_header_on_every_page)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autofree char *all = NULL;

	fixture_init (&f, 80);
	rendered = render (&f);
	ck_assert_int_ge (rendered->pages, 2);
	assert_valid (&f, rendered, 0);

	for (int page = 1; page <= rendered->pages; page++) {
		g_autofree char *text = pdftotext (&f, rendered->pdf, "-raw",
						   page);
		g_autofree char *label = g_strdup_printf
			("Seite %d von %d", page, rendered->pages);

		ck_assert_msg (strstr (text, "Rechnung") != NULL &&
			       strstr (text, "Fällig am") != NULL &&
			       strstr (text, "Bezahlt") != NULL,
			       "page %d has no table header", page);
		ck_assert_msg (strstr (text, label) != NULL, "page %d: no "
			       "\"%s\"", page, label);
	}
	/* every invoice, once */
	all = pdftotext (&f, rendered->pdf, "-raw", 0);
	for (guint i = 0; i < 80; i++) {
		const DsLetterItem *item = g_ptr_array_index (f.items, i);
		const char *at = strstr (all, item->invoice_id);

		ck_assert_msg (at != NULL, "%s missing", item->invoice_id);
		ck_assert (strstr (at + 1, item->invoice_id) == NULL);
	}
	fixture_clear (&f);
}
END_TEST

/* ---- determinism and size ---- */

START_TEST (test_render_same_input_same_bytes)
{
	Fixture f;
	g_autoptr (DsRendered) first = NULL;
	g_autoptr (DsRendered) second = NULL;
	g_autoptr (DsRendered) other_day = NULL;
	g_autoptr (DsRenderer) renderer = NULL;
	g_autofree char *templates = ds_test_srcpath ("templates");

	fixture_init (&f, 5);
	first = render (&f);
	second = render (&f);
	ck_assert (g_bytes_equal (first->pdf, second->pdf));
	ck_assert_str_eq (first->html, second->html);

	/* a renderer of its own changes nothing */
	renderer = ds_renderer_new (templates, NULL, NULL);
	ds_renderer_free (f.renderer);
	f.renderer = g_steal_pointer (&renderer);
	g_clear_pointer (&second, ds_rendered_free);
	second = render (&f);
	ck_assert (g_bytes_equal (first->pdf, second->pdf));

	/* the creation date is the letter's date */
	ck_assert (memmem (g_bytes_get_data (first->pdf, NULL),
			   g_bytes_get_size (first->pdf),
			   "/CreationDate (D:20240305", 25) != NULL);
	f.letter.date = ds_date_from_ymd (2024, 3, 6);
	other_day = render (&f);
	ck_assert (!g_bytes_equal (first->pdf, other_day->pdf));
	fixture_clear (&f);
}
END_TEST

START_TEST (test_render_one_page_letter_is_small)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	gsize length;
	const char *data;

	fixture_init (&f, 5);
	rendered = render (&f);
	ck_assert_int_eq (rendered->pages, 1);
	data = g_bytes_get_data (rendered->pdf, &length);
	ck_assert_uint_le (length, 40 * 1024);
	ck_assert (memmem (data, length, "/FontFile2", 10) != NULL);
	fixture_clear (&f);
}
END_TEST

/* No code page holds Greek and Polish: the font is a Unicode CID font. */
START_TEST (test_render_mixed_scripts_use_unicode_font)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autofree char *text = NULL;
	gsize length;
	const char *data;

	fixture_init (&f, 2);
	f.customer.name = "Ελληνική Εταιρεία ΑΕ";
	f.customer.street = "Łódzka 5";
	f.customer.country = "GR";
	rendered = render (&f);
	assert_valid (&f, rendered, 1);
	data = g_bytes_get_data (rendered->pdf, &length);
	ck_assert (memmem (data, length, "/Subtype /Type0", 15) != NULL);
	text = pdftotext (&f, rendered->pdf, "-raw", 0);
	ck_assert_msg (strstr (text, "Ελληνική Εταιρεία ΑΕ") != NULL, "%s",
		       text);
	ck_assert (strstr (text, "Łódzka 5") != NULL);
	ck_assert (strstr (text, "GRIECHENLAND") != NULL);
	fixture_clear (&f);
}
END_TEST

START_TEST (test_render_letter_without_trace_id_fails)
{
	Fixture f;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRendered) rendered = NULL;

	fixture_init (&f, 1);
	f.letter.trace_id = NULL;
	rendered = ds_renderer_render (f.renderer, &f.letter, &error);
	ck_assert (rendered == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert (strstr (error->message, "no trace id") != NULL);
	fixture_clear (&f);
}
END_TEST

/* ---- validation refuses what must not go out ---- */

START_TEST (test_render_validate_refuses)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree guint8 *copy = NULL;
	guint8 *at;
	gsize length;

	fixture_init (&f, 40);
	rendered = render (&f);
	ck_assert_int_ge (rendered->pages, 2);

	/* too many pages for the channel */
	ck_assert (!ds_render_validate (&f.letter, rendered, 1, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert (strstr (error->message, "at most 1") != NULL);
	g_clear_error (&error);

	/* the window holds someone else's address */
	f.customer.name = "Andere GmbH";
	ck_assert (!ds_render_validate (&f.letter, rendered, 0, &error));
	ck_assert_msg (strstr (error->message, "address zone holds") != NULL,
		       "%s", error->message);
	g_clear_error (&error);
	f.customer.name = "Beispiel AG";

	/* a font whose program is not embedded */
	copy = g_memdup2 (g_bytes_get_data (rendered->pdf, &length),
			  g_bytes_get_size (rendered->pdf));
	at = memmem (copy, length, "/FontFile2", 10);
	ck_assert (at != NULL);
	at[9] = 'X';
	g_bytes_unref (rendered->pdf);
	rendered->pdf = g_bytes_new (copy, length);
	ck_assert (!ds_render_validate (&f.letter, rendered, 0, &error));
	ck_assert_msg (strstr (error->message, "not embedded") != NULL, "%s",
		       error->message);
	fixture_clear (&f);
}
END_TEST

/* ---- the e-mail ---- */

START_TEST (test_render_mail_text_and_escaped_html)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;

	fixture_init (&f, 2);
	f.customer.contact = "Tom & <Jerry>";
	rendered = render (&f);
	ck_assert_str_eq (rendered->subject, "1. Mahnung von Muster Inkasso "
			  "GmbH: 2.611,81\xc2\xa0" "EUR offen");
	ck_assert (strstr (rendered->text, "Guten Tag Tom & <Jerry>,") !=
		   NULL);
	ck_assert (strstr (rendered->text, "- INV-2024-00001 vom 05.01.2024")
		   != NULL);
	ck_assert (strchr (rendered->text, '\r') == NULL);
	ck_assert (strstr (rendered->html, "Tom &amp; &lt;Jerry&gt;") !=
		   NULL);
	ck_assert (strstr (rendered->html, "<Jerry>") == NULL);
	ck_assert (strstr (rendered->html, "<td>INV-2024-00002</td>") !=
		   NULL);
	fixture_clear (&f);
}
END_TEST

/* ---- instalments named in the item line ---- */

static const struct {
	const char *language;
	const char *line;
} instalment_lines[] = {
	{ "de", "INV-2024-00001 (Rate 2 von 3)" },
	{ "en", "INV-2024-00001 (instalment 2 of 3)" },
	{ "fr", "INV-2024-00001 (échéance 2 sur 3)" },
};

/*
 * A row that is one instalment says which, in the PDF's invoice column,
 * the e-mail and its HTML; the row of a whole invoice says its id only.
 */
START_TEST (test_render_instalment_named)
{
	Fixture f;
	g_autoptr (DsRendered) rendered = NULL;
	g_autofree char *pdf_text = NULL;
	g_autofree char *squeezed = NULL;
	g_autofree char *line = NULL;
	DsLetterItem *item;

	fixture_init (&f, 2);
	item = g_ptr_array_index (f.items, 0);
	item->instalment = 2;
	item->instalments = 3;
	f.letter.language = instalment_lines[_i].language;
	rendered = render (&f);
	assert_valid (&f, rendered, 1);
	line = g_strdup_printf ("- %s ", instalment_lines[_i].line);
	ck_assert_msg (strstr (rendered->text, line) != NULL, "%s",
		       rendered->text);
	ck_assert (strstr (rendered->html, instalment_lines[_i].line) !=
		   NULL);
	ck_assert (strstr (rendered->text, "- INV-2024-00002 ") != NULL);
	pdf_text = pdftotext (&f, rendered->pdf, "-raw", 1);
	squeezed = squeeze (pdf_text);
	g_free (line);
	line = squeeze (instalment_lines[_i].line);
	ck_assert_msg (strstr (squeezed, line) != NULL, "%s", pdf_text);
	fixture_clear (&f);
}
END_TEST

/* Labels written before [instalment] existed still load and name it. */
START_TEST (test_render_instalment_without_label)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *source = ds_test_srcpath ("templates/en");
	g_autofree char *target = g_build_filename (dir, "en", NULL);
	g_autoptr (GDir) files = g_dir_open (source, 0, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRendered) rendered = NULL;
	Fixture f;
	const char *name;

	ck_assert (g_mkdir (target, 0700) == 0);
	while ((name = g_dir_read_name (files)) != NULL) {
		g_autofree char *from = g_build_filename (source, name, NULL);
		g_autofree char *to = g_build_filename (target, name, NULL);
		g_autofree char *text = NULL;

		ck_assert (g_file_get_contents (from, &text, NULL, NULL));
		if (strcmp (name, "labels") == 0)
			*strstr (text, "[instalment]") = '\0';
		ck_assert (g_file_set_contents (to, text, -1, NULL));
	}
	fixture_init (&f, 1);
	ds_renderer_free (f.renderer);
	f.renderer = ds_renderer_new (dir, NULL, &error);
	ck_assert_msg (f.renderer != NULL, "%s", error ? error->message : "");
	((DsLetterItem *) g_ptr_array_index (f.items, 0))->instalment = 2;
	((DsLetterItem *) g_ptr_array_index (f.items, 0))->instalments = 3;
	f.letter.language = "en";
	rendered = render (&f);
	ck_assert_msg (strstr (rendered->text, "- INV-2024-00001 (2/3) ") !=
		       NULL, "%s", rendered->text);
	fixture_clear (&f);
	ds_test_rmtree (dir);
}
END_TEST

/* ---- formats per language ---- */

static const struct {
	const char *language;
	gint64 minor;
	const char *amount;
	const char *with_code;
	const char *date;
	const char *long_date;
} formats[] = {
	{ "de", 135590, "1.355,90", "1.355,90\xc2\xa0" "EUR", "05.03.2024",
	  "5. März 2024" },
	{ "fr", 135590, "1\xc2\xa0" "355,90", "1\xc2\xa0" "355,90\xc2\xa0"
	  "EUR", "05/03/2024", "5 mars 2024" },
	{ "en", 135590, "1,355.90", "1,355.90\xc2\xa0" "EUR", "5 Mar 2024",
	  "5 March 2024" },
	{ "de", -123456789, "-1.234.567,89", "-1.234.567,89\xc2\xa0" "EUR",
	  "05.03.2024", "5. März 2024" },
};

/* A rate's sign never starts a line: "12,12" and "%" stay together. */
START_TEST (test_render_rate_keeps_its_sign)
{
	g_autofree char *path = g_build_filename (DS_FONT_DIR,
						  "DejaVuSans.ttf", NULL);
	g_autoptr (DsFont) font = ds_font_load (path, NULL);
	g_autofree char *de = ds_render_format_rate (1212, "de");
	g_autofree char *fr = ds_render_format_rate (1262, "fr");
	g_autofree char *en = ds_render_format_rate (1262, "en");
	g_autofree char *negative = ds_render_format_rate (-88, "de");
	g_autofree char *text = g_strconcat ("62 Tage zu ", de, NULL);
	g_autoptr (GPtrArray) lines = NULL;
	double width;

	ck_assert_str_eq (de, "12,12\xc2\xa0%");
	ck_assert_str_eq (fr, "12,62\xc2\xa0%");
	ck_assert_str_eq (en, "12.62%");
	ck_assert_str_eq (negative, "-0,88\xc2\xa0%");
	/* just too narrow for the whole line: the rate moves as one */
	width = ds_font_text_width (font, text, -1, 9.0) - 1.0;
	lines = ds_render_text_wrap (font, 9.0, text, width);
	ck_assert_uint_eq (lines->len, 2);
	ck_assert_str_eq (g_ptr_array_index (lines, 1), de);
}
END_TEST

START_TEST (test_render_formats_per_language)
{
	DsDate date = ds_date_from_ymd (2024, 3, 5);
	g_autofree char *amount = ds_render_format_amount
		(formats[_i].minor, "EUR", formats[_i].language, FALSE);
	g_autofree char *with_code = ds_render_format_amount
		(formats[_i].minor, "EUR", formats[_i].language, TRUE);
	g_autofree char *short_date = ds_render_format_date
		(date, formats[_i].language, FALSE);
	g_autofree char *long_date = ds_render_format_date
		(date, formats[_i].language, TRUE);

	ck_assert_str_eq (amount, formats[_i].amount);
	ck_assert_str_eq (with_code, formats[_i].with_code);
	ck_assert_str_eq (short_date, formats[_i].date);
	ck_assert_str_eq (long_date, formats[_i].long_date);
}
END_TEST

/* ---- templates and languages ---- */

START_TEST (test_render_every_language_and_step)
{
	static const char *const languages[] = { "de", "en", "fr" };
	static const char *const steps[] = {
		"reminder", "first", "second", "final",
	};
	Fixture f;

	fixture_init (&f, 3);
	for (gsize l = 0; l < G_N_ELEMENTS (languages); l++) {
		for (gsize s = 0; s < G_N_ELEMENTS (steps); s++) {
			g_autoptr (DsRendered) rendered = NULL;

			f.letter.language = languages[l];
			f.letter.step = steps[s];
			f.letter.registered = s == 3;
			rendered = render (&f);
			assert_valid (&f, rendered, 2);
			ck_assert (*rendered->subject != '\0');
			ck_assert (strstr (rendered->text, "INV-2024-00003")
				   != NULL);
		}
	}
	fixture_clear (&f);
}
END_TEST

START_TEST (test_render_no_template_for_language)
{
	Fixture f;
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRendered) rendered = NULL;

	fixture_init (&f, 1);
	f.letter.language = "it";
	rendered = ds_renderer_render (f.renderer, &f.letter, &error);
	ck_assert (rendered == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert (strstr (error->message, "no templates for language "
			   "\"it\"") != NULL);
	fixture_clear (&f);
}
END_TEST

static void
copy_file (const char *from, const char *to, const char *find,
	   const char *replace)
{
	g_autofree char *text = NULL;
	g_autoptr (GString) changed = NULL;

	ck_assert (g_file_get_contents (from, &text, NULL, NULL));
	changed = g_string_new (text);
	if (find != NULL)
		g_string_replace (changed, find, replace, 1);
	ck_assert (g_file_set_contents (to, changed->str, -1, NULL));
}

/*
 * A template that does not load spoils only the letters that need it
 * (case 16): the renderer loads, a letter of the broken step fails with
 * the file, line and reason, a letter of another step renders.
 */
START_TEST (test_render_broken_template_spoils_its_step_only)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *source = ds_test_srcpath ("templates/de");
	g_autofree char *target = g_build_filename (dir, "de", NULL);
	g_autoptr (GDir) files = g_dir_open (source, 0, NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRenderer) renderer = NULL;
	g_autoptr (DsRendered) first = NULL;
	g_autoptr (DsRendered) second = NULL;
	const char *name;
	Fixture f;

	ck_assert (g_mkdir (target, 0700) == 0);
	while ((name = g_dir_read_name (files)) != NULL) {
		g_autofree char *from = g_build_filename (source, name, NULL);
		g_autofree char *to = g_build_filename (target, name, NULL);
		gboolean broken = strcmp (name, "second.letter") == 0;

		copy_file (from, to, broken ? "{{trace_id}}" : NULL,
			   "{{trace_idd}}");
	}
	renderer = ds_renderer_new (dir, NULL, &error);
	ck_assert_msg (renderer != NULL, "%s", error ? error->message : "");
	fixture_init (&f, 2);
	first = ds_renderer_render (renderer, &f.letter, &error);
	ck_assert_msg (first != NULL, "%s", error ? error->message : "");
	f.letter.step = "second";
	second = ds_renderer_render (renderer, &f.letter, &error);
	ck_assert (second == NULL);
	ck_assert_msg (g_regex_match_simple ("template broken: .*"
					     "second\\.letter:[0-9]+: "
					     "unknown placeholder "
					     "\\{\\{trace_idd\\}\\}",
					     error->message, 0, 0),
		       "%s", error->message);
	fixture_clear (&f);
	ds_test_rmtree (dir);
}
END_TEST

/* ---- codes ---- */

START_TEST (test_render_epc_payload)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *payload = ds_barcode_epc_payload
		("Muster Inkasso GmbH", "DE89 3704 0044 0532 0130 00",
		 "COBADEFFXXX", 135590, "DS7Q2K-0001", &error);
	g_autofree char *bad = NULL;
	g_autoptr (DsBarcode) qr = NULL;
	g_autoptr (DsBarcode) matrix = ds_barcode_datamatrix ("DS7Q2K-0001",
							      NULL);

	ck_assert_str_eq (payload, "BCD\n002\n1\nSCT\nCOBADEFFXXX\n"
			  "Muster Inkasso GmbH\nDE89370400440532013000\n"
			  "EUR1355.90\n\n\nDS7Q2K-0001");
	qr = ds_barcode_qr (payload, NULL);
	ck_assert (qr != NULL && qr->columns == qr->rows);
	ck_assert (ds_barcode_dark (qr, 0, 0));	/* finder pattern */
	ck_assert (matrix != NULL && matrix->columns == matrix->rows);
	ck_assert (ds_barcode_dark (matrix, matrix->rows - 1, 0));

	bad = ds_barcode_epc_payload ("X", "not an iban", NULL, 100, NULL,
				      &error);
	ck_assert (bad == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
}
END_TEST

static Suite *
render_suite (void)
{
	Suite *suite = suite_create ("render");
	TCase *tc = tcase_create ("core");

	tcase_set_timeout (tc, 60);
	tcase_add_test (tc, test_render_unicode_extracts_as_written);
	tcase_add_test (tc,
			test_render_missing_glyph_names_field_and_character);
	tcase_add_test (tc, test_render_wrap_never_cuts);
	tcase_add_test (tc, test_render_long_reference_broken_in_its_column);
	tcase_add_test (tc, test_render_long_invoice_number_passes_validation);
	tcase_add_test (tc, test_render_din5008b_address_inside_window);
	tcase_add_test (tc, test_render_address_that_cannot_fit_fails);
	tcase_add_loop_test (tc, test_render_profile_windows, 0,
			     G_N_ELEMENTS (windows));
	tcase_add_test (tc, test_render_table_repeats_header_on_every_page);
	tcase_add_test (tc, test_render_same_input_same_bytes);
	tcase_add_test (tc, test_render_one_page_letter_is_small);
	tcase_add_test (tc, test_render_mixed_scripts_use_unicode_font);
	tcase_add_test (tc, test_render_letter_without_trace_id_fails);
	tcase_add_test (tc, test_render_validate_refuses);
	tcase_add_test (tc, test_render_mail_text_and_escaped_html);
	tcase_add_loop_test (tc, test_render_instalment_named, 0,
			     G_N_ELEMENTS (instalment_lines));
	tcase_add_test (tc, test_render_instalment_without_label);
	tcase_add_test (tc, test_render_rate_keeps_its_sign);
	tcase_add_loop_test (tc, test_render_formats_per_language, 0,
			     G_N_ELEMENTS (formats));
	tcase_add_test (tc, test_render_every_language_and_step);
	tcase_add_test (tc, test_render_no_template_for_language);
	tcase_add_test (tc, test_render_broken_template_spoils_its_step_only);
	tcase_add_test (tc, test_render_epc_payload);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (render_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
