/*
 * font.h -- TrueType fonts: which characters a font has, how wide they
 * are, and the small font that one document embeds.
 *
 * A DsFont is one TrueType file mapped read-only and parsed once: its
 * Unicode cmap (BMP, format 4), advance widths and glyph outlines.  It
 * answers "does this font draw this character" without guessing: a
 * character the cmap does not map, or one outside the BMP (which the PDF
 * library cannot address), is missing.
 *
 * Widths are in thousandths of an em rounded down, exactly as libharu
 * computes them, so that text measured here measures the same when drawn.
 *
 * ds_font_subset() builds a complete, valid TrueType file holding only the
 * glyphs for the given characters (and the components of composite
 * glyphs), with a compact cmap, metrics, the hinting tables and the name
 * records kept.  This is what keeps a letter small: libharu 2.3 embeds
 * every table of the font it is given, so we give it a font of only what
 * the letter uses.  The same characters always give the same bytes.
 *
 * A DsFont is immutable after loading and may be shared between threads.
 */
#ifndef DS_FONT_H
#define DS_FONT_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DsFont DsFont;

DsFont *ds_font_load (const char *path, GError **error);
void ds_font_free (DsFont *font);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsFont, ds_font_free)

/* The PostScript name, e.g. "DejaVuSans-Bold", for messages. */
const char *ds_font_name (const DsFont *font);

gboolean ds_font_has (const DsFont *font, gunichar character);

/* Advance width in 1/1000 em; a missing character has the .notdef's. */
int ds_font_advance (const DsFont *font, gunichar character);

/* Width in points of `length` bytes of UTF-8 (-1: up to the NUL). */
double ds_font_text_width (const DsFont *font, const char *text,
			   gssize length, double size);

/*
 * A TrueType file with the glyphs of `characters` (any order, duplicates
 * allowed, every one present in the font).  DS_ERROR_PERMANENT when a
 * character is missing or the font cannot be cut.
 */
GBytes *ds_font_subset (const DsFont *font, const gunichar *characters,
			gsize count, GError **error);

G_END_DECLS

#endif
