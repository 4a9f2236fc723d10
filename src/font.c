/*
 * font.c -- read TrueType fonts and cut the subset a document embeds.
 * See font.h.
 *
 * The file is mapped read-only and every offset read from it is checked
 * against the table it points into, so a damaged font is an error, never
 * a crash.  The subset has the thirteen tables libharu insists on -- OS/2,
 * cmap, cvt, fpgm, glyf, head, hhea, hmtx, loca, maxp, name, post, prep --
 * and drops the rest (kerning, OpenType layout, glyph names), which a PDF
 * viewer never reads.
 *
 * It also drops the hinting: the glyph programs, and cvt, fpgm and prep
 * are left empty.  In DejaVu the instructions are more than half of the
 * outline data; PDF viewers and printers rasterise unhinted TrueType
 * well (most ignore or replace the font's hints), and a one-page letter
 * must stay under 40 KB.
 *
 * Glyph numbering in the subset: 0 stays .notdef, then the characters'
 * glyphs in code point order, then glyphs that only composite glyphs use.
 * The cmap is one format 4 subtable; runs of characters closer than
 * CMAP_GAP code points share a segment, which keeps the segment count --
 * and libharu's linear segment search over all 65536 codes -- small.
 */
#include "font.h"

#include <string.h>

#include "ds-error.h"

#define CMAP_GAP 96
#define NO_GLYPH 0xFFFFu

/* Composite glyph component flags (TrueType 'glyf'). */
#define ARG_1_AND_2_ARE_WORDS 0x0001
#define WE_HAVE_A_SCALE 0x0008
#define MORE_COMPONENTS 0x0020
#define WE_HAVE_AN_X_AND_Y_SCALE 0x0040
#define WE_HAVE_A_TWO_BY_TWO 0x0080
#define WE_HAVE_INSTRUCTIONS 0x0100

typedef struct {
	const guint8 *data;
	guint32 length;
} FontTable;

/* The tables we read and embed, in the sorted order a font file lists. */
enum {
	TABLE_OS2, TABLE_CMAP, TABLE_CVT, TABLE_FPGM, TABLE_GLYF, TABLE_HEAD,
	TABLE_HHEA, TABLE_HMTX, TABLE_LOCA, TABLE_MAXP, TABLE_NAME, TABLE_POST,
	TABLE_PREP, TABLE_COUNT
};

static const char table_tags[TABLE_COUNT][5] = {
	"OS/2", "cmap", "cvt ", "fpgm", "glyf", "head", "hhea", "hmtx",
	"loca", "maxp", "name", "post", "prep",
};

struct _DsFont {
	GMappedFile *file;
	char *path;
	char *name;
	FontTable tables[TABLE_COUNT];
	guint16 units_per_em;
	guint16 glyph_count;
	guint16 metric_count;
	gboolean long_offsets;
	guint16 *glyph_of;	/* 65536 entries: BMP code point to glyph */
};

static inline guint16
get_u16 (const guint8 *p)
{
	return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
get_u32 (const guint8 *p)
{
	return (guint32) p[0] << 24 | (guint32) p[1] << 16 |
	       (guint32) p[2] << 8 | p[3];
}

static inline void
set_u16 (guint8 *p, guint16 value)
{
	p[0] = value >> 8;
	p[1] = value & 0xFF;
}

static inline void
set_u32 (guint8 *p, guint32 value)
{
	p[0] = value >> 24;
	p[1] = (value >> 16) & 0xFF;
	p[2] = (value >> 8) & 0xFF;
	p[3] = value & 0xFF;
}

static void
append_u16 (GByteArray *out, guint16 value)
{
	guint8 bytes[2];

	set_u16 (bytes, value);
	g_byte_array_append (out, bytes, 2);
}

static void
append_u32 (GByteArray *out, guint32 value)
{
	guint8 bytes[4];

	set_u32 (bytes, value);
	g_byte_array_append (out, bytes, 4);
}

static gboolean
font_fail (GError **error, const char *path, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "font %s: %s", path, why);
	return FALSE;
}

static gboolean
read_directory (DsFont *font, GError **error)
{
	const guint8 *data = (const guint8 *) g_mapped_file_get_contents
		(font->file);
	gsize size = g_mapped_file_get_length (font->file);
	guint16 count;

	if (size < 12 || get_u32 (data) != 0x00010000)
		return font_fail (error, font->path, "not a TrueType font");
	count = get_u16 (data + 4);
	if (size < 12 + (gsize) count * 16)
		return font_fail (error, font->path, "truncated directory");

	for (guint16 i = 0; i < count; i++) {
		const guint8 *record = data + 12 + i * 16;
		guint32 offset = get_u32 (record + 8);
		guint32 length = get_u32 (record + 12);

		if (offset > size || length > size - offset)
			return font_fail (error, font->path,
					  "table outside the file");
		for (int t = 0; t < TABLE_COUNT; t++) {
			if (memcmp (record, table_tags[t], 4) != 0)
				continue;
			font->tables[t].data = data + offset;
			font->tables[t].length = length;
		}
	}
	for (int t = 0; t < TABLE_COUNT; t++) {
		if (font->tables[t].data == NULL) {
			g_autofree char *why = g_strdup_printf
				("no '%s' table", table_tags[t]);

			return font_fail (error, font->path, why);
		}
	}
	return TRUE;
}

static gboolean
read_metrics (DsFont *font, GError **error)
{
	const FontTable *head = &font->tables[TABLE_HEAD];
	const FontTable *hhea = &font->tables[TABLE_HHEA];
	const FontTable *maxp = &font->tables[TABLE_MAXP];
	gsize loca_entries;

	if (head->length < 54 || hhea->length < 36 || maxp->length < 6)
		return font_fail (error, font->path, "short head/hhea/maxp");
	font->units_per_em = get_u16 (head->data + 18);
	font->long_offsets = get_u16 (head->data + 50) != 0;
	font->metric_count = get_u16 (hhea->data + 34);
	font->glyph_count = get_u16 (maxp->data + 4);

	loca_entries = (gsize) font->glyph_count + 1;
	if (font->units_per_em == 0 || font->metric_count == 0 ||
	    font->metric_count > font->glyph_count)
		return font_fail (error, font->path, "bad metrics header");
	if (font->tables[TABLE_HMTX].length <
	    (gsize) font->metric_count * 4 +
	    (gsize) (font->glyph_count - font->metric_count) * 2)
		return font_fail (error, font->path, "short hmtx");
	if (font->tables[TABLE_LOCA].length <
	    loca_entries * (font->long_offsets ? 4 : 2))
		return font_fail (error, font->path, "short loca");
	return TRUE;
}

/* The format 4 subtable of the Windows or Unicode BMP cmap, or NULL. */
static const guint8 *
find_bmp_cmap (const FontTable *cmap, guint32 *length)
{
	const guint8 *fallback = NULL;
	guint16 count;

	if (cmap->length < 4)
		return NULL;
	count = get_u16 (cmap->data + 2);
	if (cmap->length < 4 + (gsize) count * 8)
		return NULL;
	for (guint16 i = 0; i < count; i++) {
		const guint8 *record = cmap->data + 4 + i * 8;
		guint16 platform = get_u16 (record);
		guint16 encoding = get_u16 (record + 2);
		guint32 offset = get_u32 (record + 4);
		const guint8 *sub;

		if (offset > cmap->length - 4)
			continue;
		sub = cmap->data + offset;
		if (get_u16 (sub) != 4 ||
		    get_u16 (sub + 2) > cmap->length - offset)
			continue;
		if (platform == 3 && encoding == 1) {
			*length = get_u16 (sub + 2);
			return sub;
		}
		if (platform == 0 && fallback == NULL) {
			*length = get_u16 (sub + 2);
			fallback = sub;
		}
	}
	return fallback;
}

static gboolean
read_cmap (DsFont *font, GError **error)
{
	guint32 length = 0;
	const guint8 *sub = find_bmp_cmap (&font->tables[TABLE_CMAP],
					   &length);
	guint16 segments;
	const guint8 *ends, *starts, *deltas, *ranges;

	if (sub == NULL || length < 16)
		return font_fail (error, font->path, "no Unicode BMP cmap");
	segments = get_u16 (sub + 6) / 2;
	if (length < 16 + (gsize) segments * 8)
		return font_fail (error, font->path, "short cmap");
	ends = sub + 14;
	starts = ends + segments * 2 + 2;
	deltas = starts + segments * 2;
	ranges = deltas + segments * 2;

	font->glyph_of = g_new0 (guint16, 65536);
	for (guint16 s = 0; s < segments; s++) {
		guint32 start = get_u16 (starts + s * 2);
		guint32 end = get_u16 (ends + s * 2);
		guint16 delta = get_u16 (deltas + s * 2);
		guint16 range = get_u16 (ranges + s * 2);

		for (guint32 code = start; code <= end && code < 0xFFFF;
		     code++) {
			guint16 glyph;

			if (range == 0) {
				glyph = (guint16) (code + delta);
			} else {
				const guint8 *p = ranges + s * 2 + range +
						  (code - start) * 2;

				if (p + 2 > sub + length)
					break;
				glyph = get_u16 (p);
				if (glyph != 0)
					glyph = (guint16) (glyph + delta);
			}
			if (glyph < font->glyph_count)
				font->glyph_of[code] = glyph;
		}
	}
	return TRUE;
}

/* The PostScript name (name id 6) from the Windows or Mac records. */
static char *
read_name (const FontTable *name)
{
	guint16 count, strings;

	if (name->length < 6)
		return NULL;
	count = get_u16 (name->data + 2);
	strings = get_u16 (name->data + 4);
	for (guint i = 0; i < count && 6 + (i + 1) * 12 <= name->length;
	     i++) {
		const guint8 *record = name->data + 6 + i * 12;
		guint16 length = get_u16 (record + 8);
		guint32 offset = strings + get_u16 (record + 10);
		GString *text;

		if (get_u16 (record + 6) != 6 ||
		    offset + length > name->length)
			continue;
		text = g_string_new (NULL);
		if (get_u16 (record) == 3) {
			for (guint16 k = 1; k < length; k += 2)
				g_string_append_c (text,
						   name->data[offset + k]);
		} else {
			g_string_append_len (text, (const char *) name->data +
					     offset, length);
		}
		return g_string_free (text, FALSE);
	}
	return NULL;
}

DsFont *
ds_font_load (const char *path, GError **error)
{
	g_autoptr (DsFont) font = g_new0 (DsFont, 1);

	font->path = g_strdup (path);
	font->file = g_mapped_file_new (path, FALSE, error);
	if (font->file == NULL)
		return NULL;
	if (!read_directory (font, error) || !read_metrics (font, error) ||
	    !read_cmap (font, error))
		return NULL;
	font->name = read_name (&font->tables[TABLE_NAME]);
	if (font->name == NULL)
		font->name = g_path_get_basename (path);
	return g_steal_pointer (&font);
}

void
ds_font_free (DsFont *font)
{
	if (font == NULL)
		return;
	if (font->file != NULL)
		g_mapped_file_unref (font->file);
	g_free (font->glyph_of);
	g_free (font->name);
	g_free (font->path);
	g_free (font);
}

const char *
ds_font_name (const DsFont *font)
{
	return font->name;
}

static guint16
glyph_for (const DsFont *font, gunichar character)
{
	if (character >= 0xFFFF)
		return 0;
	return font->glyph_of[character];
}

gboolean
ds_font_has (const DsFont *font, gunichar character)
{
	return glyph_for (font, character) != 0;
}

static guint16
glyph_advance (const DsFont *font, guint16 glyph)
{
	const guint8 *hmtx = font->tables[TABLE_HMTX].data;

	if (glyph >= font->metric_count)
		glyph = font->metric_count - 1;
	return get_u16 (hmtx + glyph * 4);
}

static gint16
glyph_side_bearing (const DsFont *font, guint16 glyph)
{
	const guint8 *hmtx = font->tables[TABLE_HMTX].data;

	if (glyph < font->metric_count)
		return (gint16) get_u16 (hmtx + glyph * 4 + 2);
	return (gint16) get_u16 (hmtx + font->metric_count * 4 +
				 (glyph - font->metric_count) * 2);
}

int
ds_font_advance (const DsFont *font, gunichar character)
{
	guint16 glyph = glyph_for (font, character);

	return glyph_advance (font, glyph) * 1000 / font->units_per_em;
}

double
ds_font_text_width (const DsFont *font, const char *text, gssize length,
		    double size)
{
	const char *end = length < 0 ? text + strlen (text) : text + length;
	gint64 total = 0;

	for (const char *p = text; p < end; p = g_utf8_next_char (p))
		total += ds_font_advance (font, g_utf8_get_char (p));
	return total * size / 1000.0;
}

/* Where glyph `glyph` lies in 'glyf'; FALSE when loca is inconsistent. */
static gboolean
glyph_range (const DsFont *font, guint16 glyph, guint32 *offset,
	     guint32 *length)
{
	const guint8 *loca = font->tables[TABLE_LOCA].data;
	guint32 start, end;

	if (font->long_offsets) {
		start = get_u32 (loca + glyph * 4);
		end = get_u32 (loca + glyph * 4 + 4);
	} else {
		start = get_u16 (loca + glyph * 2) * 2u;
		end = get_u16 (loca + glyph * 2 + 2) * 2u;
	}
	if (end < start || end > font->tables[TABLE_GLYF].length)
		return FALSE;
	*offset = start;
	*length = end - start;
	return TRUE;
}

/*
 * Call `visit` on each component reference of a composite glyph: the
 * position of its glyph index inside `glyph`.  Returns the offset just
 * past the last component (10 for a simple glyph, where nothing is
 * visited) and sets *last_flags to the offset of the last component's
 * flags, or 0 when the glyph is malformed.
 */
typedef void (*ComponentFunc) (guint8 *index, gpointer data);

static guint32
glyph_components (guint8 *glyph, guint32 length, ComponentFunc visit,
		  gpointer data, guint32 *last_flags)
{
	guint32 p = 10;
	guint16 flags;

	*last_flags = 0;
	if (length < 10 || (gint16) get_u16 (glyph) >= 0)
		return 10;
	do {
		if (p + 4 > length)
			return 0;
		flags = get_u16 (glyph + p);
		*last_flags = p;
		if (visit != NULL)
			visit (glyph + p + 2, data);
		p += 4 + ((flags & ARG_1_AND_2_ARE_WORDS) ? 4 : 2);
		if (flags & WE_HAVE_A_SCALE)
			p += 2;
		else if (flags & WE_HAVE_AN_X_AND_Y_SCALE)
			p += 4;
		else if (flags & WE_HAVE_A_TWO_BY_TWO)
			p += 8;
	} while (flags & MORE_COMPONENTS);
	return p <= length ? p : 0;
}

/*
 * Drop the hinting program of the glyph that starts at `start` and runs
 * to the end of `glyf`.  Instructions are more than half of DejaVu's
 * outline data; viewers and printers rasterise well without them.
 */
static gboolean
strip_instructions (GByteArray *glyf, guint start)
{
	guint8 *glyph = glyf->data + start;
	guint32 length = glyf->len - start;
	guint32 end, last_flags;
	guint32 at;
	guint16 count;

	if (length < 10)
		return TRUE;
	if ((gint16) get_u16 (glyph) < 0) {
		end = glyph_components (glyph, length, NULL, NULL,
					&last_flags);
		if (end == 0)
			return FALSE;
		set_u16 (glyph + last_flags, get_u16 (glyph + last_flags) &
			 ~WE_HAVE_INSTRUCTIONS);
		g_byte_array_set_size (glyf, start + end);
		return TRUE;
	}
	at = 10 + (guint32) get_u16 (glyph) * 2;
	if (at + 2 > length)
		return FALSE;
	count = get_u16 (glyph + at);
	if (at + 2 + count > length)
		return FALSE;
	set_u16 (glyph + at, 0);
	g_byte_array_remove_range (glyf, start + at + 2, count);
	return TRUE;
}

/* Old glyph numbers in subset order, and the reverse map. */
typedef struct {
	const DsFont *font;
	GArray *kept;		/* guint16 old glyph, index = new glyph */
	guint16 *new_of;	/* glyph_count entries, NO_GLYPH if dropped */
} GlyphSet;

static void
keep_glyph (GlyphSet *set, guint16 old)
{
	guint16 new_glyph;

	if (old >= set->font->glyph_count || set->new_of[old] != NO_GLYPH)
		return;
	new_glyph = set->kept->len;
	set->new_of[old] = new_glyph;
	g_array_append_val (set->kept, old);
}

static void
keep_component_cb (guint8 *index, gpointer data)
{
	keep_glyph (data, get_u16 (index));
}

static void
renumber_component_cb (guint8 *index, gpointer data)
{
	const GlyphSet *set = data;
	guint16 old = get_u16 (index);

	set_u16 (index, old < set->font->glyph_count &&
		 set->new_of[old] != NO_GLYPH ? set->new_of[old] : 0);
}

/* Add the components of composites until nothing new comes in. */
static gboolean
close_composites (GlyphSet *set)
{
	const DsFont *font = set->font;
	const guint8 *glyf = font->tables[TABLE_GLYF].data;

	for (guint i = 0; i < set->kept->len; i++) {
		guint16 old = g_array_index (set->kept, guint16, i);
		guint32 offset, length, last_flags;
		g_autofree guint8 *copy = NULL;

		if (!glyph_range (font, old, &offset, &length))
			return FALSE;
		if (length < 10 || (gint16) get_u16 (glyf + offset) >= 0)
			continue;
		copy = g_memdup2 (glyf + offset, length);
		if (glyph_components (copy, length, keep_component_cb, set,
				      &last_flags) == 0)
			return FALSE;
	}
	return TRUE;
}

static guint32
table_checksum (const guint8 *data, gsize length)
{
	guint32 sum = 0;
	gsize i;

	for (i = 0; i + 4 <= length; i += 4)
		sum += get_u32 (data + i);
	if (i < length) {
		guint8 last[4] = { 0 };

		memcpy (last, data + i, length - i);
		sum += get_u32 (last);
	}
	return sum;
}

static void
pad4 (GByteArray *out)
{
	static const guint8 zeros[3];

	if (out->len % 4 != 0)
		g_byte_array_append (out, zeros, 4 - out->len % 4);
}

static gboolean
build_glyf_loca (const GlyphSet *set, GByteArray *glyf, GByteArray *loca)
{
	const DsFont *font = set->font;

	for (guint i = 0; i < set->kept->len; i++) {
		guint16 old = g_array_index (set->kept, guint16, i);
		guint32 offset, length, last_flags;
		guint start = glyf->len;

		append_u32 (loca, glyf->len);
		if (!glyph_range (font, old, &offset, &length))
			return FALSE;
		g_byte_array_append (glyf, font->tables[TABLE_GLYF].data +
				     offset, length);
		if (glyph_components (glyf->data + start, length,
				      renumber_component_cb, (gpointer) set,
				      &last_flags) == 0 ||
		    !strip_instructions (glyf, start))
			return FALSE;
		pad4 (glyf);
	}
	append_u32 (loca, glyf->len);
	return TRUE;
}

static void
build_hmtx (const GlyphSet *set, GByteArray *hmtx)
{
	for (guint i = 0; i < set->kept->len; i++) {
		guint16 old = g_array_index (set->kept, guint16, i);

		append_u16 (hmtx, glyph_advance (set->font, old));
		append_u16 (hmtx, (guint16) glyph_side_bearing (set->font,
								old));
	}
}

/* One cmap segment: codes start..end, glyphs either by delta or listed. */
typedef struct {
	guint16 start;
	guint16 end;
	gboolean listed;
} CmapSegment;

static gboolean
segment_is_linear (const guint16 *codes, const guint16 *glyphs,
		   guint first, guint last)
{
	for (guint i = first; i < last; i++)
		if (codes[i + 1] != codes[i] + 1 ||
		    glyphs[i + 1] != glyphs[i] + 1)
			return FALSE;
	return TRUE;
}

/*
 * Format 4 cmap of the sorted, unique `codes` to `glyphs`.  Codes closer
 * than CMAP_GAP share a segment whose glyphs are listed (0 for codes in
 * between); a run of consecutive codes and glyphs needs no list.
 */
static void
build_cmap (const guint16 *codes, const guint16 *glyphs, guint count,
	    GByteArray *cmap)
{
	g_autoptr (GArray) segments = g_array_new (FALSE, FALSE,
						   sizeof (CmapSegment));
	g_autoptr (GArray) listed = g_array_new (FALSE, TRUE,
						 sizeof (guint16));
	guint first = 0;
	guint16 segment_count, search = 1, selector = 0;
	guint length, list_index = 0;

	while (first < count) {
		guint last = first;
		CmapSegment segment;

		while (last + 1 < count &&
		       codes[last + 1] - codes[last] < CMAP_GAP)
			last++;
		segment.start = codes[first];
		segment.end = codes[last];
		segment.listed = !segment_is_linear (codes, glyphs, first,
						     last);
		g_array_append_val (segments, segment);
		first = last + 1;
	}
	segment_count = segments->len + 1;
	while (search * 2 <= segment_count) {
		search *= 2;
		selector++;
	}

	/* header, four arrays and the pad, then the glyph list */
	append_u16 (cmap, 0);
	append_u16 (cmap, 1);
	append_u16 (cmap, 3);
	append_u16 (cmap, 1);
	append_u32 (cmap, 12);
	for (guint i = 0, c = 0; i < segments->len; i++) {
		CmapSegment *segment = &g_array_index (segments, CmapSegment,
						       i);

		if (!segment->listed) {
			c += segment->end - segment->start + 1;
			continue;
		}
		for (guint code = segment->start; code <= segment->end;
		     code++) {
			guint16 glyph = 0;

			if (c < count && codes[c] == code)
				glyph = glyphs[c++];
			g_array_append_val (listed, glyph);
		}
	}
	length = 16 + segment_count * 8 + listed->len * 2;
	append_u16 (cmap, 4);
	append_u16 (cmap, (guint16) length);
	append_u16 (cmap, 0);
	append_u16 (cmap, segment_count * 2);
	append_u16 (cmap, search * 2);
	append_u16 (cmap, selector);
	append_u16 (cmap, segment_count * 2 - search * 2);
	for (guint i = 0; i < segments->len; i++)
		append_u16 (cmap, g_array_index (segments, CmapSegment,
						 i).end);
	append_u16 (cmap, 0xFFFF);
	append_u16 (cmap, 0);
	for (guint i = 0; i < segments->len; i++)
		append_u16 (cmap, g_array_index (segments, CmapSegment,
						 i).start);
	append_u16 (cmap, 0xFFFF);

	/* idDelta: linear segments map by delta, listed ones use 0 */
	for (guint i = 0, c = 0; i < segments->len; i++) {
		CmapSegment *segment = &g_array_index (segments, CmapSegment,
						       i);

		append_u16 (cmap, segment->listed ? 0 :
			    (guint16) (glyphs[c] - codes[c]));
		while (c < count && codes[c] <= segment->end)
			c++;
	}
	append_u16 (cmap, 1);

	/* idRangeOffset: from this word to the segment's first glyph */
	for (guint i = 0; i < segments->len; i++) {
		CmapSegment *segment = &g_array_index (segments, CmapSegment,
						       i);

		if (!segment->listed) {
			append_u16 (cmap, 0);
			continue;
		}
		append_u16 (cmap, (guint16) ((segment_count - i +
					      list_index) * 2));
		list_index += segment->end - segment->start + 1;
	}
	append_u16 (cmap, 0);
	for (guint i = 0; i < listed->len; i++)
		append_u16 (cmap, g_array_index (listed, guint16, i));
}

/* Name records 0-6 of the Windows Unicode English names, as they are. */
static gboolean
build_name (const FontTable *name, GByteArray *out)
{
	g_autoptr (GByteArray) strings = g_byte_array_new ();
	g_autoptr (GByteArray) records = g_byte_array_new ();
	guint16 count, base, kept = 0;

	if (name->length < 6)
		return FALSE;
	count = get_u16 (name->data + 2);
	base = get_u16 (name->data + 4);
	for (guint i = 0; i < count && 6 + (i + 1) * 12 <= name->length;
	     i++) {
		const guint8 *record = name->data + 6 + i * 12;
		guint16 length = get_u16 (record + 8);
		guint32 offset = base + get_u16 (record + 10);

		if (get_u16 (record) != 3 || get_u16 (record + 2) != 1 ||
		    get_u16 (record + 4) != 0x409 ||
		    get_u16 (record + 6) > 6 ||
		    offset + length > name->length)
			continue;
		g_byte_array_append (records, record, 8);
		append_u16 (records, length);
		append_u16 (records, strings->len);
		g_byte_array_append (strings, name->data + offset, length);
		kept++;
	}
	if (kept == 0)
		return FALSE;
	append_u16 (out, 0);
	append_u16 (out, kept);
	append_u16 (out, 6 + kept * 12);
	g_byte_array_append (out, records->data, records->len);
	g_byte_array_append (out, strings->data, strings->len);
	return TRUE;
}

static GByteArray *
copy_table (const FontTable *table)
{
	GByteArray *out = g_byte_array_sized_new (table->length);

	g_byte_array_append (out, table->data, table->length);
	return out;
}

/* Header, directory and the padded tables; head's checksum adjusted. */
static GBytes *
assemble (GByteArray *tables[TABLE_COUNT])
{
	GByteArray *file = g_byte_array_new ();
	guint32 offset = 12 + TABLE_COUNT * 16;
	guint head_offset = 0;

	append_u32 (file, 0x00010000);
	append_u16 (file, TABLE_COUNT);
	append_u16 (file, 128);		/* 16 * 2^floor(log2 13) */
	append_u16 (file, 3);
	append_u16 (file, TABLE_COUNT * 16 - 128);
	for (int t = 0; t < TABLE_COUNT; t++) {
		g_byte_array_append (file, (const guint8 *) table_tags[t], 4);
		append_u32 (file, table_checksum (tables[t]->data,
						  tables[t]->len));
		append_u32 (file, offset);
		append_u32 (file, tables[t]->len);
		if (t == TABLE_HEAD)
			head_offset = offset;
		offset += (tables[t]->len + 3) & ~3u;
	}
	for (int t = 0; t < TABLE_COUNT; t++) {
		g_byte_array_append (file, tables[t]->data, tables[t]->len);
		pad4 (file);
	}
	set_u32 (file->data + head_offset + 8,
		 0xB1B0AFBA - table_checksum (file->data, file->len));
	return g_byte_array_free_to_bytes (file);
}

static int
compare_codes (gconstpointer a, gconstpointer b)
{
	return (int) *(const guint16 *) a - (int) *(const guint16 *) b;
}

/* Sorted unique BMP characters, each mapped to its glyph; or FALSE. */
static gboolean
collect_characters (const DsFont *font, const gunichar *characters,
		    gsize count, GArray *codes, GError **error)
{
	guint kept = 0;

	for (gsize i = 0; i < count; i++) {
		guint16 code;

		if (!ds_font_has (font, characters[i])) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "font %s has no glyph for U+%04X",
				     font->name, characters[i]);
			return FALSE;
		}
		code = characters[i];
		g_array_append_val (codes, code);
	}
	g_array_sort (codes, compare_codes);
	for (guint i = 0; i < codes->len; i++)
		if (kept == 0 || g_array_index (codes, guint16, i) !=
		    g_array_index (codes, guint16, kept - 1))
			g_array_index (codes, guint16, kept++) =
				g_array_index (codes, guint16, i);
	g_array_set_size (codes, kept);
	return TRUE;
}

GBytes *
ds_font_subset (const DsFont *font, const gunichar *characters,
		gsize count, GError **error)
{
	g_autoptr (GArray) codes = g_array_new (FALSE, FALSE,
						sizeof (guint16));
	g_autoptr (GArray) glyphs = g_array_new (FALSE, FALSE,
						 sizeof (guint16));
	g_autofree guint16 *new_of = g_new (guint16, font->glyph_count);
	GlyphSet set = { font, NULL, new_of };
	GByteArray *tables[TABLE_COUNT] = { NULL };
	GBytes *result = NULL;

	if (!collect_characters (font, characters, count, codes, error))
		return NULL;
	memset (new_of, 0xFF, sizeof (guint16) * font->glyph_count);
	set.kept = g_array_new (FALSE, FALSE, sizeof (guint16));
	keep_glyph (&set, 0);
	for (guint i = 0; i < codes->len; i++) {
		guint16 old = font->glyph_of[g_array_index (codes, guint16,
							    i)];

		keep_glyph (&set, old);
		g_array_append_val (glyphs, new_of[old]);
	}
	if (!close_composites (&set)) {
		font_fail (error, font->path, "malformed composite glyph");
		goto out;
	}

	for (int t = 0; t < TABLE_COUNT; t++)
		tables[t] = g_byte_array_new ();
	if (!build_glyf_loca (&set, tables[TABLE_GLYF], tables[TABLE_LOCA]) ||
	    !build_name (&font->tables[TABLE_NAME], tables[TABLE_NAME])) {
		font_fail (error, font->path, "cannot cut a subset");
		goto out;
	}
	build_hmtx (&set, tables[TABLE_HMTX]);
	build_cmap ((const guint16 *) codes->data,
		    (const guint16 *) glyphs->data, codes->len,
		    tables[TABLE_CMAP]);

	/* tables copied whole, then the counts that changed; no hinting */
	for (int t = 0; t < TABLE_COUNT; t++) {
		if (t == TABLE_GLYF || t == TABLE_LOCA || t == TABLE_NAME ||
		    t == TABLE_HMTX || t == TABLE_CMAP || t == TABLE_CVT ||
		    t == TABLE_FPGM || t == TABLE_PREP)
			continue;
		g_byte_array_unref (tables[t]);
		tables[t] = copy_table (&font->tables[t]);
	}
	set_u32 (tables[TABLE_HEAD]->data + 8, 0);
	set_u16 (tables[TABLE_HEAD]->data + 50, 1);
	set_u16 (tables[TABLE_HHEA]->data + 34, set.kept->len);
	set_u16 (tables[TABLE_MAXP]->data + 4, set.kept->len);
	if (tables[TABLE_POST]->len >= 32) {
		g_byte_array_set_size (tables[TABLE_POST], 32);
		set_u32 (tables[TABLE_POST]->data, 0x00030000);
	}
	result = assemble (tables);
out:
	for (int t = 0; t < TABLE_COUNT; t++)
		if (tables[t] != NULL)
			g_byte_array_unref (tables[t]);
	g_array_unref (set.kept);
	return result;
}
