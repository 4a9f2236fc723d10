/*
 * render-private.h -- what the renderer's files share; no other module
 * includes it.
 *
 * The renderer works in four steps, one file each:
 *
 *   render.c         the letter's content: every string cleaned (NFC),
 *                    checked against the font it is drawn in, and named
 *                    after its field; templates expanded
 *   render-layout.c  the letter profile's geometry and the composition
 *                    of pages into a display list (DsRenderPage ops)
 *   render-pdf.c     the display list drawn with libharu into PDF bytes,
 *                    with fonts cut to what the letter uses
 *   render-validate.c  the checks before dispatch
 *
 * render-text.c holds the text tools they share: cleaning, glyph checks,
 * line breaking, and amounts, dates and countries as each language
 * writes them.
 *
 * Geometry: millimetres in the profiles (as the standards give them),
 * points everywhere else; y grows downwards from the top of the page.
 */
#ifndef DS_RENDER_PRIVATE_H
#define DS_RENDER_PRIVATE_H

#include <glib.h>

#include "barcode.h"
#include "font.h"
#include "ledger.h"
#include "render.h"

G_BEGIN_DECLS

#define DS_RENDER_PAGE_WIDTH 595.276	/* A4, points */
#define DS_RENDER_PAGE_HEIGHT 841.89
#define DS_RENDER_MIN_MARGIN 10.0	/* mm: nothing printed closer */

static inline double
ds_render_mm (double millimetres)
{
	return millimetres * 72.0 / 25.4;
}

typedef enum {
	DS_RENDER_REGULAR,
	DS_RENDER_BOLD,
	DS_RENDER_STYLES
} DsRenderStyle;

/* ---- render-text.c ---- */

/*
 * One line of plain text: NFC, runs of white space (tabs, line ends)
 * made one space, trimmed.  NULL for NULL.  DS_ERROR_PERMANENT naming
 * `field` when the text is not UTF-8.
 */
gboolean ds_render_text_clean (const char *text, const char *field,
			       char **clean, GError **error);

/* NFC, line ends kept (for template output). */
gboolean ds_render_text_clean_lines (const char *text, const char *field,
				     char **clean, GError **error);

/* Every character of `text` has a glyph in `font`, or an error naming
 * the field and the character. */
gboolean ds_render_text_check (const DsFont *font, const char *text,
			       const char *field, GError **error);

/*
 * Break `text` (one paragraph) into lines no wider than `width` points:
 * at spaces, after hyphens and slashes, and inside a word that alone is
 * too wide (never between a character and its combining marks).  No
 * character but the spaces at the breaks is dropped.  A GPtrArray of
 * char *; one empty line for empty text.
 */
GPtrArray *ds_render_text_wrap (const DsFont *font, double size,
				const char *text, double width);

/* "1.355,90" (de), "1 355,90" (fr, no-break space), "1,355.90" (en);
 * with " EUR" after it when `with_code`. */
char *ds_render_format_amount (gint64 minor, const char *currency,
			       const char *language, gboolean with_code);

/* "12.62%" (en), "12,62 %" (de, fr): a rate in basis points as the
 * language writes it, a no-break space before the sign, so that the
 * sign never starts a line. */
char *ds_render_format_rate (int rate_bp, const char *language);

/* "15.01.2024", "15/01/2024", "15 Jan 2024"; or long: "15. Januar
 * 2024", "15 janvier 2024", "15 January 2024". */
char *ds_render_format_date (DsDate date, const char *language,
			     gboolean long_form);

/* The country's name in `language`, upper case as postal rules want it;
 * the ISO code itself when we do not know the name. */
char *ds_render_country_name (const char *code, const char *language);

/* ---- render-layout.c: profiles ---- */

typedef struct {
	double left, top, width, height;	/* mm */
} DsRenderBox;

typedef struct {
	const char *name;
	const char *standard;
	DsRenderBox window;	/* the envelope window */
	double remark_height;	/* its top part: return address, remarks */
	double address_inset;	/* left clearance of the address block */
	DsRenderBox letterhead;	/* sender's name and address */
	DsRenderBox info;	/* date, references, data matrix */
	double body_top;	/* first page: where the subject goes */
	double fold_marks[2];	/* mm from the top; 0: none */
} DsRenderProfile;

const DsRenderProfile *ds_render_profile_find (const char *name);

/* The entity's letter_profile, else the one its country uses. */
const DsRenderProfile *ds_render_profile_for (const DsEntity *entity,
					      GError **error);

/* The address zone: the window below its remark part, in points. */
void ds_render_profile_address_zone (const DsRenderProfile *profile,
				     double *left, double *top,
				     double *right, double *bottom);
void ds_render_profile_window_zone (const DsRenderProfile *profile,
				    double *left, double *top,
				    double *right, double *bottom);

/* ---- the content, built by render.c ---- */

typedef struct {
	const char *label;
	const char *value;
} DsRenderPair;

typedef enum {
	DS_RENDER_COLUMN_INVOICE,
	DS_RENDER_COLUMN_ISSUE,
	DS_RENDER_COLUMN_DUE,
	DS_RENDER_COLUMN_AMOUNT,
	DS_RENDER_COLUMN_PAID,
	DS_RENDER_COLUMN_OPEN,
	DS_RENDER_COLUMN_DAYS,
	DS_RENDER_COLUMNS
} DsRenderColumn;

typedef struct {
	const char *cells[DS_RENDER_COLUMNS];
	const char *reference;		/* under the invoice; may be NULL */
} DsRenderRow;

/*
 * Everything the layout draws, already cleaned and glyph-checked; the
 * strings belong to `strings`.
 */
typedef struct {
	GStringChunk *strings;

	const char *letterhead_name;		/* bold */
	GPtrArray *letterhead_lines;		/* of const char * */
	const char *return_line;		/* small, in the window */
	const char *remark;			/* "Registered"; may be NULL */
	GPtrArray *recipient_lines;		/* before wrapping */
	GArray *info;				/* of DsRenderPair */

	const char *subject;			/* bold */
	const char *salutation;
	GPtrArray *paragraphs;			/* of const char * */
	const char *column_labels[DS_RENDER_COLUMNS];	/* bold */
	const char *reference_label;
	GArray *rows;				/* of DsRenderRow */
	GArray *charges;			/* of DsRenderPair */
	DsRenderPair total;			/* bold */
	DsRenderPair deadline;			/* bold; label NULL: none */
	const char *payment_heading;		/* bold */
	GArray *payment;			/* of DsRenderPair */
	const char *qr_caption;			/* may be NULL */
	const char *closing;
	const char *signature;
	GPtrArray *footer_lines;		/* of const char * */
	const char *continuation;		/* page 2+ header */

	/* "Page n of N", one per page once the count is known */
	char *(*page_label) (gpointer data, int page, int pages,
			     GError **error);
	gpointer page_label_data;

	DsBarcode *trace_code;
	DsBarcode *payment_code;		/* may be NULL */
} DsRenderContent;

/*
 * The recipient block before wrapping (name, contact, street, city line
 * as the recipient's country writes it, country name when abroad) and
 * the return address line, cleaned; shared with validation.
 */
GPtrArray *ds_render_recipient_lines (const DsLetter *letter,
				      GError **error);
char *ds_render_return_line (const DsLetter *letter, GError **error);

/* ---- render-layout.c: pages ---- */

typedef enum {
	DS_RENDER_OP_TEXT,
	DS_RENDER_OP_LINE,
	DS_RENDER_OP_CODE,
} DsRenderOpKind;

typedef struct {
	DsRenderOpKind kind;
	int page;			/* from 0 */
	DsRenderStyle style;
	double size;			/* points */
	double x, y;			/* text: baseline start; line: from;
					   code: top left */
	double x2, y2;			/* line: to; code: bottom right */
	const char *text;		/* in the content's strings */
	const DsBarcode *code;
} DsRenderOp;

typedef struct {
	GArray *ops;			/* of DsRenderOp */
	int pages;
	GStringChunk *strings;		/* page labels and wrapped lines */
} DsRenderLayout;

void ds_render_layout_free (DsRenderLayout *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRenderLayout, ds_render_layout_free)

/*
 * Compose the pages.  DS_ERROR_PERMANENT when the recipient block does
 * not fit its window zone or the page label fails.
 */
DsRenderLayout *ds_render_layout_compose (const DsRenderProfile *profile,
					  const DsFont *const *fonts,
					  const DsRenderContent *content,
					  GError **error);

/* ---- render-pdf.c ---- */

typedef struct {
	const char *title;
	const char *author;
	DsDate date;
} DsRenderInfo;

GBytes *ds_render_pdf (const DsRenderLayout *layout,
		       const DsFont *const *fonts, const DsRenderInfo *info,
		       GError **error);

G_END_DECLS

#endif
