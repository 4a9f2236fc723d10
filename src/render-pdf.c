/*
 * render-pdf.c -- draw a composed letter with libharu.
 * See render-private.h.
 *
 * Fonts: for each style the letter uses, the font is cut to exactly the
 * characters drawn in it (font.c) and handed to libharu, which embeds it.
 * libharu 2.3 loads TrueType only from a file name, so the subset goes
 * into an anonymous memory file (memfd) that libharu opens through
 * /proc/self/fd: nothing is written to disk.
 *
 * When one Windows code page holds every character drawn in a style --
 * nearly every letter in a European language -- the font is embedded as
 * a simple TrueType font in that encoding.  Otherwise it is a CID font
 * with UTF-8 text.  The simple font is what viewers and extractors handle
 * best, and it is cheap: for a CID font libharu builds width and glyph
 * tables over all 65536 code points, which made up half the time of a
 * letter.  Either way the text extracts as the characters it shows.
 *
 * 2-D codes are drawn as 1-bit images, one pixel per module (PDF viewers
 * do not smooth images unless asked to), which costs a few hundred bytes
 * where one rectangle per module would cost kilobytes.
 *
 * Determinism: the creation date is the letter's date, libharu writes no
 * file identifier for unencrypted documents and names the font subsets
 * HPDFAA+, HPDFAB+ in load order; the same letter gives the same bytes.
 */
#define _GNU_SOURCE
#include "render-private.h"

#include <errno.h>
#include <hpdf.h>
#include <hpdf_font.h>
#include <hpdf_streams.h>
#include <hpdf_version.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ds-error.h"

typedef struct {
	HPDF_STATUS status;
	HPDF_STATUS detail;
} HaruError;

static void
error_cb (HPDF_STATUS status, HPDF_STATUS detail, void *data)
{
	HaruError *error = data;

	if (error->status == HPDF_OK) {
		error->status = status;
		error->detail = detail;
	}
}

static void
doc_free (HPDF_Doc doc)
{
	HPDF_Free (doc);
}

typedef struct _HPDF_Doc_Rec DocRec;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DocRec, doc_free)

/* The characters drawn in each style, in the order first met. */
static void
collect_characters (const DsRenderLayout *layout, GArray *used[])
{
	g_autofree guint8 *seen = g_new0 (guint8, 65536);

	for (guint i = 0; i < layout->ops->len; i++) {
		const DsRenderOp *op = &g_array_index (layout->ops,
						       DsRenderOp, i);
		DsRenderStyle style = op->style;
		guint8 bit = 1 << style;

		if (op->kind != DS_RENDER_OP_TEXT)
			continue;
		for (const char *p = op->text; *p != '\0';
		     p = g_utf8_next_char (p)) {
			gunichar character = g_utf8_get_char (p);

			if (character >= 65536 || (seen[character] & bit))
				continue;
			seen[character] |= bit;
			g_array_append_val (used[style], character);
		}
	}
}

static gunichar
highest (GArray *characters)
{
	gunichar top = 0;

	for (guint i = 0; i < characters->len; i++)
		top = MAX (top, g_array_index (characters, gunichar, i));
	return top;
}

/*
 * XXX: libharu 2.3 writes a CIDToGIDMap for all 65536 code points: 128 KB
 * to compress per CID font and letter.  The map is only read up to the
 * highest code point drawn, so we cut it there.  This reaches into
 * libharu's font record (hpdf_font.h, installed but internal); it is done
 * only for the 2.3 series and only when the map has the size 2.3 gives
 * it, and leaves the map whole otherwise.
 */
static void
shorten_cid_map (HPDF_Font font, gunichar top)
{
#if HPDF_MAJOR_VERSION == 2 && HPDF_MINOR_VERSION == 3
	HPDF_FontAttr attr = (HPDF_FontAttr) font->attr;
	HPDF_Stream stream;
	HPDF_UINT length = (top + 1) * 2;
	g_autofree HPDF_BYTE *head = NULL;

	if (attr == NULL || attr->map_stream == NULL)
		return;
	stream = attr->map_stream->stream;
	if (HPDF_Stream_Size (stream) != 65535 * 2 || length >= 65535 * 2)
		return;
	head = g_malloc (length);
	if (HPDF_Stream_Seek (stream, 0, HPDF_SEEK_SET) != HPDF_OK ||
	    HPDF_Stream_Read (stream, head, &length) != HPDF_OK)
		return;
	HPDF_MemStream_FreeData (stream);
	HPDF_Stream_Write (stream, head, length);
#endif
}

/*
 * XXX: libharu 2.3 gives UTF-8 fonts a ToUnicode stream that is really
 * an encoding CMap (begincidrange), which text extractors reject; poppler
 * then falls back on the embedded font's own cmap, others may give up.
 * We write the real one: every code drawn maps to itself, the code being
 * the character's Unicode value.  Same caveats as shorten_cid_map().
 */
static void
write_to_unicode (HPDF_Font font, GArray *characters)
{
#if HPDF_MAJOR_VERSION == 2 && HPDF_MINOR_VERSION == 3
	HPDF_Dict cmap = HPDF_Dict_GetItem (font, "ToUnicode",
					    HPDF_OCLASS_DICT);
	GString *out;

	if (cmap == NULL || cmap->stream == NULL)
		return;
	out = g_string_new ("/CIDInit /ProcSet findresource begin\n"
			    "12 dict begin\nbegincmap\n"
			    "/CIDSystemInfo << /Registry (Adobe) "
			    "/Ordering (UCS) /Supplement 0 >> def\n"
			    "/CMapName /Adobe-Identity-UCS def\n"
			    "/CMapType 2 def\n"
			    "1 begincodespacerange\n<0000> <FFFF>\n"
			    "endcodespacerange\n");
	for (guint i = 0; i < characters->len; i += 100) {
		guint count = MIN (100, characters->len - i);

		g_string_append_printf (out, "%u beginbfchar\n", count);
		for (guint k = i; k < i + count; k++) {
			gunichar code = g_array_index (characters, gunichar,
						       k);

			g_string_append_printf (out, "<%04X> <%04X>\n", code,
						code);
		}
		g_string_append (out, "endbfchar\n");
	}
	g_string_append (out, "endcmap\nCMapName currentdict /CMap "
			 "defineresource pop\nend\nend\n");
	HPDF_MemStream_FreeData (cmap->stream);
	HPDF_Stream_Write (cmap->stream, (const HPDF_BYTE *) out->str,
			   out->len);
	g_string_free (out, TRUE);
#endif
}

/* ---- single-byte encodings ---- */

/* libharu's built-in code pages, tried in this order. */
static const char *const code_pages[] = {
	"WinAnsiEncoding", "CP1250", "CP1251", "CP1253", "CP1254", "CP1257",
};
static GHashTable *code_page_bytes[G_N_ELEMENTS (code_pages)];

/* Each code page's characters, read from libharu's own tables. */
static gpointer
read_code_pages (gpointer unused)
{
	HPDF_Doc doc = HPDF_New (NULL, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (code_pages); i++) {
		HPDF_Encoder encoder = HPDF_GetEncoder (doc, code_pages[i]);
		GHashTable *bytes = g_hash_table_new (NULL, NULL);

		for (guint code = 0x20; encoder != NULL && code <= 0xFF;
		     code++) {
			gunichar character = HPDF_Encoder_GetUnicode (encoder,
								      code);

			if (character >= 0x20 &&
			    !g_hash_table_contains (bytes, GUINT_TO_POINTER
						    (character)))
				g_hash_table_insert (bytes, GUINT_TO_POINTER
						     (character),
						     GUINT_TO_POINTER (code));
		}
		code_page_bytes[i] = bytes;
	}
	HPDF_Free (doc);
	return NULL;
}

/* The first code page with all `characters`, or -1. */
static int
choose_code_page (GArray *characters)
{
	static GOnce once = G_ONCE_INIT;

	g_once (&once, read_code_pages, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (code_pages); i++) {
		guint k = 0;

		while (k < characters->len &&
		       g_hash_table_contains (code_page_bytes[i],
					      GUINT_TO_POINTER
					      (g_array_index (characters,
							      gunichar, k))))
			k++;
		if (k == characters->len)
			return (int) i;
	}
	return -1;
}

/* `text` in the font's code page (every character is in it). */
static char *
encode (GHashTable *bytes, const char *text)
{
	GString *out = g_string_sized_new (strlen (text));

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p)) {
		gpointer code = g_hash_table_lookup
			(bytes, GUINT_TO_POINTER (g_utf8_get_char (p)));

		g_string_append_c (out, (char) GPOINTER_TO_UINT (code));
	}
	return g_string_free (out, FALSE);
}

/* ---- loading ---- */

typedef struct {
	HPDF_Font font;
	GHashTable *bytes;	/* code page, NULL: UTF-8 */
} Loaded;

/* Hand the subset to libharu through a memory file; its font name. */
static const char *
load_subset (HPDF_Doc doc, const DsFont *font, GArray *characters,
	     GError **error)
{
	g_autoptr (GBytes) subset = NULL;
	char path[64];
	const char *name;
	const guint8 *data;
	gsize length, written = 0;
	int fd;

	subset = ds_font_subset (font, (const gunichar *) characters->data,
				 characters->len, error);
	if (subset == NULL)
		return NULL;
	fd = memfd_create ("dunspool-font", MFD_CLOEXEC);
	if (fd < 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "memfd_create: %s", g_strerror (errno));
		return NULL;
	}
	data = g_bytes_get_data (subset, &length);
	while (written < length) {
		ssize_t n = write (fd, data + written, length - written);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
				     "font subset: %s", g_strerror (errno));
			close (fd);
			return NULL;
		}
		written += n;
	}
	g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
	name = HPDF_LoadTTFontFromFile (doc, path, HPDF_TRUE);
	close (fd);
	if (name == NULL)
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "libharu cannot load the subset of %s",
			     ds_font_name (font));
	return name;
}

static gboolean
load_font (HPDF_Doc doc, const DsFont *font, GArray *characters,
	   gboolean *utf8_ready, Loaded *loaded, GError **error)
{
	int code_page = choose_code_page (characters);
	const char *name = load_subset (doc, font, characters, error);

	if (name == NULL)
		return FALSE;
	if (code_page >= 0) {
		loaded->bytes = code_page_bytes[code_page];
		loaded->font = HPDF_GetFont (doc, name, code_pages[code_page]);
	} else {
		if (!*utf8_ready)
			HPDF_UseUTFEncodings (doc);
		*utf8_ready = TRUE;
		loaded->font = HPDF_GetFont (doc, name, "UTF-8");
		if (loaded->font != NULL) {
			shorten_cid_map (loaded->font, highest (characters));
			write_to_unicode (loaded->font, characters);
		}
	}
	if (loaded->font == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "libharu cannot load the subset of %s",
			     ds_font_name (font));
		return FALSE;
	}
	return TRUE;
}

/*
 * libharu writes information strings byte for byte, which readers take
 * as PDFDocEncoding: Latin-1 for the letters we use.  A title that has
 * other characters is left out rather than garbled.
 */
static void
set_info_text (HPDF_Doc doc, HPDF_InfoType type, const char *text)
{
	g_autofree char *latin1 = NULL;

	if (text == NULL)
		return;
	latin1 = g_convert (text, -1, "ISO-8859-1", "UTF-8", NULL, NULL,
			    NULL);
	if (latin1 != NULL)
		HPDF_SetInfoAttr (doc, type, latin1);
}

static void
set_info (HPDF_Doc doc, const DsRenderInfo *info)
{
	HPDF_Date date = { 0 };
	int year, month, day;

	if (info->date != DS_DATE_NONE) {
		ds_date_to_ymd (info->date, &year, &month, &day);
		date.year = year;
		date.month = month;
		date.day = day;
		date.ind = 'Z';
		HPDF_SetInfoDateAttr (doc, HPDF_INFO_CREATION_DATE, date);
	}
	HPDF_SetInfoAttr (doc, HPDF_INFO_CREATOR, "dunspool");
	set_info_text (doc, HPDF_INFO_TITLE, info->title);
	set_info_text (doc, HPDF_INFO_AUTHOR, info->author);
}

/* One pixel per module, 1 bit deep, 0 black; rows padded to bytes. */
static HPDF_Image
code_image (HPDF_Doc doc, const DsBarcode *code)
{
	int stride = (code->columns + 7) / 8;
	g_autofree HPDF_BYTE *pixels = g_malloc ((gsize) stride * code->rows);

	memset (pixels, 0xFF, (gsize) stride * code->rows);
	for (int row = 0; row < code->rows; row++)
		for (int column = 0; column < code->columns; column++)
			if (ds_barcode_dark (code, row, column))
				pixels[row * stride + column / 8] &=
					~(0x80 >> (column % 8));
	return HPDF_LoadRawImageFromMem (doc, pixels, code->columns,
					 code->rows, HPDF_CS_DEVICE_GRAY, 1);
}

static void
draw_graphics (HPDF_Doc doc, HPDF_Page page, GArray *ops)
{
	for (guint i = 0; i < ops->len; i++) {
		const DsRenderOp *op = g_array_index (ops, DsRenderOp *, i);
		HPDF_Image image;

		if (op->kind == DS_RENDER_OP_LINE) {
			HPDF_Page_SetLineWidth (page, 0.5);
			HPDF_Page_MoveTo (page, op->x,
					  DS_RENDER_PAGE_HEIGHT - op->y);
			HPDF_Page_LineTo (page, op->x2,
					  DS_RENDER_PAGE_HEIGHT - op->y2);
			HPDF_Page_Stroke (page);
		} else if (op->kind == DS_RENDER_OP_CODE) {
			image = code_image (doc, op->code);
			if (image != NULL)
				HPDF_Page_DrawImage
					(page, image, op->x,
					 DS_RENDER_PAGE_HEIGHT - op->y2,
					 op->x2 - op->x, op->y2 - op->y);
		}
	}
}

static void
draw_text (HPDF_Page page, GArray *ops, const Loaded fonts[])
{
	HPDF_Font current = NULL;
	double current_size = 0.0;

	HPDF_Page_BeginText (page);
	for (guint i = 0; i < ops->len; i++) {
		const DsRenderOp *op = g_array_index (ops, DsRenderOp *, i);

		if (op->kind != DS_RENDER_OP_TEXT)
			continue;
		if (fonts[op->style].font != current ||
		    op->size != current_size) {
			current = fonts[op->style].font;
			current_size = op->size;
			HPDF_Page_SetFontAndSize (page, current, op->size);
		}
		if (fonts[op->style].bytes != NULL) {
			g_autofree char *text = encode
				(fonts[op->style].bytes, op->text);

			HPDF_Page_TextOut (page, op->x,
					   DS_RENDER_PAGE_HEIGHT - op->y,
					   text);
		} else {
			HPDF_Page_TextOut (page, op->x,
					   DS_RENDER_PAGE_HEIGHT - op->y,
					   op->text);
		}
	}
	HPDF_Page_EndText (page);
}

static GBytes *
save (HPDF_Doc doc)
{
	HPDF_UINT32 size;
	guint8 *data;

	if (HPDF_SaveToStream (doc) != HPDF_OK)
		return NULL;
	size = HPDF_GetStreamSize (doc);
	data = g_malloc (size);
	if (HPDF_ReadFromStream (doc, data, &size) != HPDF_OK &&
	    HPDF_GetError (doc) != HPDF_STREAM_EOF) {
		g_free (data);
		return NULL;
	}
	return g_bytes_new_take (data, size);
}

static gboolean
load_fonts (HPDF_Doc doc, const DsRenderLayout *layout,
	    const DsFont *const *fonts, Loaded loaded[], GError **error)
{
	GArray *used[DS_RENDER_STYLES];
	gboolean utf8_ready = FALSE;
	gboolean ok = TRUE;

	for (int style = 0; style < DS_RENDER_STYLES; style++)
		used[style] = g_array_new (FALSE, FALSE, sizeof (gunichar));
	collect_characters (layout, used);
	for (int style = 0; style < DS_RENDER_STYLES && ok; style++) {
		loaded[style] = (Loaded) { NULL, NULL };
		if (used[style]->len > 0)
			ok = load_font (doc, fonts[style], used[style],
					&utf8_ready, &loaded[style], error);
	}
	for (int style = 0; style < DS_RENDER_STYLES; style++)
		g_array_unref (used[style]);
	return ok;
}

static void
draw_pages (HPDF_Doc doc, const DsRenderLayout *layout,
	    const Loaded fonts[])
{
	g_autoptr (GPtrArray) by_page = g_ptr_array_new_with_free_func
		((GDestroyNotify) g_array_unref);

	for (int page = 0; page < layout->pages; page++)
		g_ptr_array_add (by_page, g_array_new (FALSE, FALSE,
						       sizeof (gpointer)));
	for (guint i = 0; i < layout->ops->len; i++) {
		DsRenderOp *op = &g_array_index (layout->ops, DsRenderOp, i);

		g_array_append_val (g_ptr_array_index (by_page, op->page),
				    op);
	}
	for (int number = 0; number < layout->pages; number++) {
		HPDF_Page page = HPDF_AddPage (doc);
		GArray *ops = g_ptr_array_index (by_page, number);

		HPDF_Page_SetWidth (page, DS_RENDER_PAGE_WIDTH);
		HPDF_Page_SetHeight (page, DS_RENDER_PAGE_HEIGHT);
		draw_graphics (doc, page, ops);
		draw_text (page, ops, fonts);
	}
}

GBytes *
ds_render_pdf (const DsRenderLayout *layout, const DsFont *const *fonts,
	       const DsRenderInfo *info, GError **error)
{
	HaruError haru = { HPDF_OK, 0 };
	g_autoptr (DocRec) doc = HPDF_New (error_cb, &haru);
	Loaded loaded[DS_RENDER_STYLES];
	GBytes *bytes;

	if (doc == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "libharu: cannot create a document");
		return NULL;
	}
	HPDF_SetCompressionMode (doc, HPDF_COMP_ALL);
	set_info (doc, info);
	if (!load_fonts (doc, layout, fonts, loaded, error))
		return NULL;
	draw_pages (doc, layout, loaded);
	bytes = haru.status == HPDF_OK ? save (doc) : NULL;
	if (bytes == NULL || haru.status != HPDF_OK) {
		g_clear_pointer (&bytes, g_bytes_unref);
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "libharu error 0x%04X (detail %u)",
			     (unsigned) haru.status, (unsigned) haru.detail);
		return NULL;
	}
	return bytes;
}
