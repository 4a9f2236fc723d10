/*
 * render-layout.c -- letter profiles and the composition of pages.
 * See render-private.h.
 *
 * A profile is the geometry of one envelope standard: where its window
 * is, where the letterhead, the information block and the body go, and
 * where the paper folds.  All four share the page furniture: body 25 mm
 * from the left and 20 mm from the right, footer with the legal details
 * and the page label at the bottom, nothing printed within 10 mm of an
 * edge except the fold marks.
 *
 *   profile   standard                         window (mm from top left)
 *   din5008b  DIN 5008 form B (DE, CH)         20, 45; 85 x 45
 *   din5008a  DIN 5008 form A (GB)             20, 27; 85 x 45
 *   nfz11001  NF Z 11-001, La Poste (FR)       100, 45; 90 x 45
 *   us10      #10 window envelope (US)         22.2, 57; 114.3 x 28.6
 *
 * DIN 5008 splits its window into the remark zone (17.7 mm: return
 * address, then remarks such as "Einschreiben", bottom-aligned) and the
 * address zone (27.3 mm, up to six lines).  The French window keeps 12 mm
 * for the return address.  The US #10 window (4 1/2 x 1 1/8 in, 7/8 in
 * from the left) holds the address only: the return address shows
 * through the upper window from the letterhead.  The A4 sheet, folded in
 * three, sits at the bottom of the 4 1/8 in envelope, which puts the
 * window 57 mm from the top of the sheet.
 *
 * The recipient block is set at 10 pt and wrapped to the zone; if it has
 * too many lines it is tried at 9 and 8 pt, and if it still does not fit
 * the letter fails: nothing is ever printed outside its zone.  Nothing
 * but the return address, the remark and the recipient is placed inside
 * the window.
 *
 * Composition produces a display list: text runs, rules and 2-D codes,
 * each on a page, with positions in points from the top left.  The table
 * of items flows over as many pages as it needs and repeats its header
 * on each; blocks that belong together (payment details, closing) move
 * to the next page whole.
 */
#include "render-private.h"

#include <string.h>

#include "ds-error.h"

#define ASCENT 0.93		/* DejaVu Sans, of the font size */
#define DESCENT 0.24
#define BODY_LEFT 25.0		/* mm */
#define BODY_RIGHT 20.0
#define BODY_BOTTOM 28.0	/* mm from the bottom edge */
#define CONTINUATION_TOP 15.0	/* page 2+: header baseline, mm */
#define CONTINUATION_BODY 24.0	/* page 2+: body, mm */
#define FOOTER_BASELINE 15.0	/* first footer line, mm from bottom */
#define PAGE_LABEL_BASELINE 22.0
#define MODULE_MM 0.5		/* 2-D code module size */
#define QR_MODULE_MM 0.55

static const DsRenderProfile profiles[] = {
	{ "din5008b", "DIN 5008 form B",
	  { 20.0, 45.0, 85.0, 45.0 }, 17.7, 5.0,
	  { 25.0, 12.0, 165.0, 30.0 }, { 125.0, 50.0, 75.0, 40.0 },
	  98.5, { 105.0, 210.0 } },
	{ "din5008a", "DIN 5008 form A",
	  { 20.0, 27.0, 85.0, 45.0 }, 17.7, 5.0,
	  { 25.0, 10.0, 165.0, 17.0 }, { 125.0, 32.0, 75.0, 40.0 },
	  80.5, { 87.0, 192.0 } },
	{ "nfz11001", "NF Z 11-001 (La Poste)",
	  { 100.0, 45.0, 90.0, 45.0 }, 12.0, 5.0,
	  { 20.0, 12.0, 75.0, 30.0 }, { 20.0, 50.0, 72.0, 40.0 },
	  98.5, { 99.0, 198.0 } },
	{ "us10", "US #10 window envelope",
	  { 22.2, 57.0, 114.3, 28.6 }, 0.0, 2.0,
	  { 12.0, 12.0, 82.6, 38.0 }, { 140.0, 57.0, 60.0, 40.0 },
	  95.0, { 99.0, 198.0 } },
};

static const struct {
	const char *country;
	const char *profile;
} country_profiles[] = {
	{ "DE", "din5008b" }, { "CH", "din5008b" }, { "AT", "din5008b" },
	{ "FR", "nfz11001" }, { "US", "us10" }, { "GB", "din5008a" },
};

const DsRenderProfile *
ds_render_profile_find (const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS (profiles); i++)
		if (g_strcmp0 (profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const DsRenderProfile *
ds_render_profile_for (const DsEntity *entity, GError **error)
{
	const char *name = entity->letter_profile;

	if (name == NULL || *name == '\0') {
		for (gsize i = 0; i < G_N_ELEMENTS (country_profiles); i++)
			if (g_ascii_strcasecmp (country_profiles[i].country,
						entity->country != NULL ?
						entity->country : "") == 0)
				name = country_profiles[i].profile;
	}
	if (name == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "entity %s: no letter_profile and no default for "
			     "country %s", entity->entity_id,
			     entity->country != NULL ? entity->country : "-");
		return NULL;
	}
	if (ds_render_profile_find (name) == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "entity %s: unknown letter profile \"%s\"",
			     entity->entity_id, name);
		return NULL;
	}
	return ds_render_profile_find (name);
}

void
ds_render_profile_window_zone (const DsRenderProfile *profile, double *left,
			       double *top, double *right, double *bottom)
{
	*left = ds_render_mm (profile->window.left);
	*top = ds_render_mm (profile->window.top);
	*right = ds_render_mm (profile->window.left + profile->window.width);
	*bottom = ds_render_mm (profile->window.top +
				profile->window.height);
}

void
ds_render_profile_address_zone (const DsRenderProfile *profile,
				double *left, double *top, double *right,
				double *bottom)
{
	ds_render_profile_window_zone (profile, left, top, right, bottom);
	*top += ds_render_mm (profile->remark_height);
}

/* ---- the display list ---- */

typedef struct {
	const DsRenderProfile *profile;
	const DsFont *const *fonts;
	const DsRenderContent *content;
	DsRenderLayout *layout;
	int page;
	double y;			/* cursor: top of the next line */
	double left, right, bottom;	/* body area */
} Composer;

void
ds_render_layout_free (DsRenderLayout *layout)
{
	if (layout == NULL)
		return;
	g_array_unref (layout->ops);
	g_string_chunk_free (layout->strings);
	g_free (layout);
}

static double
width_of (const Composer *c, DsRenderStyle style, double size,
	  const char *text)
{
	return ds_font_text_width (c->fonts[style], text, -1, size);
}

static void
add_text (Composer *c, DsRenderStyle style, double size, double x,
	  double baseline, const char *text)
{
	DsRenderOp op = { DS_RENDER_OP_TEXT };

	if (text == NULL || *text == '\0')
		return;
	op.page = c->page;
	op.style = style;
	op.size = size;
	op.x = x;
	op.y = baseline;
	op.text = g_string_chunk_insert_const (c->layout->strings, text);
	g_array_append_val (c->layout->ops, op);
}

static void
add_rule (Composer *c, int page, double x, double y, double x2, double y2)
{
	DsRenderOp op = { DS_RENDER_OP_LINE };

	op.page = page;
	op.x = x;
	op.y = y;
	op.x2 = x2;
	op.y2 = y2;
	g_array_append_val (c->layout->ops, op);
}

static void
add_code (Composer *c, const DsBarcode *code, double x, double y,
	  double module)
{
	DsRenderOp op = { DS_RENDER_OP_CODE };

	op.page = c->page;
	op.x = x;
	op.y = y;
	op.x2 = x + code->columns * module;
	op.y2 = y + code->rows * module;
	op.code = code;
	g_array_append_val (c->layout->ops, op);
}

/* Lines of `text` set from the top `top` down; returns the new top. */
static double
set_lines (Composer *c, GPtrArray *lines, DsRenderStyle style, double size,
	   double x, double top)
{
	for (guint i = 0; i < lines->len; i++) {
		add_text (c, style, size, x, top + ASCENT * size,
			  g_ptr_array_index (lines, i));
		top += 1.2 * size;
	}
	return top;
}

static GPtrArray *
wrap (const Composer *c, DsRenderStyle style, double size, const char *text,
      double width)
{
	return ds_render_text_wrap (c->fonts[style], size,
				    text != NULL ? text : "", width);
}

/* ---- pages ---- */

static void
new_page (Composer *c)
{
	double size = 8.0;
	double baseline = ds_render_mm (CONTINUATION_TOP);
	g_autoptr (GPtrArray) lines = NULL;

	c->page++;
	lines = wrap (c, DS_RENDER_REGULAR, size, c->content->continuation,
		      c->right - c->left);
	set_lines (c, lines, DS_RENDER_REGULAR, size, c->left,
		   baseline - ASCENT * size);
	c->y = ds_render_mm (CONTINUATION_BODY);
}

static void
ensure_space (Composer *c, double height)
{
	if (c->y + height > c->bottom)
		new_page (c);
}

/* A paragraph that may run over pages, line by line. */
static void
flow_text (Composer *c, DsRenderStyle style, double size, const char *text,
	   double space_after)
{
	g_autoptr (GPtrArray) lines = wrap (c, style, size, text,
					    c->right - c->left);

	for (guint i = 0; i < lines->len; i++) {
		ensure_space (c, 1.2 * size);
		add_text (c, style, size, c->left, c->y + ASCENT * size,
			  g_ptr_array_index (lines, i));
		c->y += 1.2 * size;
	}
	c->y += space_after;
}

/* ---- first page: letterhead, window, information block ---- */

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

static gboolean
compose_letterhead (Composer *c, GError **error)
{
	const DsRenderBox *box = &c->profile->letterhead;
	const DsRenderContent *content = c->content;
	double x = ds_render_mm (box->left);
	double width = ds_render_mm (box->width);
	double top = ds_render_mm (box->top);
	g_autoptr (GPtrArray) name = wrap (c, DS_RENDER_BOLD, 12.0,
					   content->letterhead_name, width);

	top = set_lines (c, name, DS_RENDER_BOLD, 12.0, x, top);
	for (guint i = 0; i < content->letterhead_lines->len; i++) {
		g_autoptr (GPtrArray) lines = wrap
			(c, DS_RENDER_REGULAR, 8.0,
			 g_ptr_array_index (content->letterhead_lines, i),
			 width);

		top = set_lines (c, lines, DS_RENDER_REGULAR, 8.0, x, top);
	}
	if (top > ds_render_mm (box->top + box->height))
		return fail (error, "letterhead: the sender's details do not "
			     "fit %.0f mm", box->height);
	return TRUE;
}

/*
 * Return address (7 pt) and remark (9 pt bold), bottom-aligned in the
 * window's remark zone.
 */
static gboolean
compose_remarks (Composer *c, GError **error)
{
	const DsRenderProfile *profile = c->profile;
	double left, top, right, bottom;
	double x, width, height;
	g_autoptr (GPtrArray) back = NULL;
	g_autoptr (GPtrArray) remark = NULL;

	if (profile->remark_height <= 0.0)
		return TRUE;
	ds_render_profile_window_zone (profile, &left, &top, &right, &bottom);
	bottom = top + ds_render_mm (profile->remark_height);
	x = left + ds_render_mm (profile->address_inset);
	width = right - x - ds_render_mm (2.0);
	back = wrap (c, DS_RENDER_REGULAR, 7.0, c->content->return_line,
		     width);
	remark = c->content->remark != NULL ?
		 wrap (c, DS_RENDER_BOLD, 9.0, c->content->remark, width) :
		 g_ptr_array_new_with_free_func (g_free);
	height = back->len * 8.4 + remark->len * 10.8 + 2.0;
	if (top + height > bottom)
		return fail (error, "window: return address and remark need "
			     "%.1f mm, the remark zone has %.1f mm",
			     height * 25.4 / 72.0, profile->remark_height);
	top = bottom - height;
	top = set_lines (c, back, DS_RENDER_REGULAR, 7.0, x, top);
	set_lines (c, remark, DS_RENDER_BOLD, 9.0, x, top);
	return TRUE;
}

/* The recipient block wrapped to its zone, and the size it fits at. */
static GPtrArray *
recipient_block (const DsRenderProfile *profile, const DsFont *font,
		 const GPtrArray *lines, double *size, GError **error)
{
	static const double sizes[] = { 10.0, 9.0, 8.0 };
	double left, top, right, bottom;
	double width;
	guint count = 0;

	ds_render_profile_address_zone (profile, &left, &top, &right,
					&bottom);
	width = right - left - ds_render_mm (profile->address_inset + 2.0);
	for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++) {
		GPtrArray *block = g_ptr_array_new_with_free_func (g_free);
		double height;

		for (guint i = 0; i < lines->len; i++) {
			g_autoptr (GPtrArray) wrapped = ds_render_text_wrap
				(font, sizes[s], g_ptr_array_index (lines, i),
				 width);

			for (guint k = 0; k < wrapped->len; k++)
				g_ptr_array_add (block, g_strdup
						 (g_ptr_array_index (wrapped,
								     k)));
		}
		height = (block->len - 1) * 1.2 * sizes[s] +
			 (ASCENT + DESCENT) * sizes[s] + 2.0;
		count = block->len;
		if (top + height <= bottom) {
			*size = sizes[s];
			return block;
		}
		g_ptr_array_unref (block);
	}
	fail (error, "recipient block: %u lines do not fit the %s address "
	      "zone (%.1f mm) even at 8 pt", count, profile->standard,
	      (bottom - top) * 25.4 / 72.0);
	return NULL;
}

static gboolean
compose_recipient (Composer *c, GError **error)
{
	double left, top, right, bottom;
	double size = 10.0;
	g_autoptr (GPtrArray) block = recipient_block
		(c->profile, c->fonts[DS_RENDER_REGULAR],
		 c->content->recipient_lines, &size, error);

	if (block == NULL)
		return FALSE;
	ds_render_profile_address_zone (c->profile, &left, &top, &right,
					&bottom);
	set_lines (c, block, DS_RENDER_REGULAR, size,
		   left + ds_render_mm (c->profile->address_inset),
		   top + 1.0);
	return TRUE;
}

/* Label: value pairs, the labels in a column; the data matrix right. */
static void
compose_info (Composer *c)
{
	const DsRenderBox *box = &c->profile->info;
	const DsRenderContent *content = c->content;
	const DsBarcode *code = content->trace_code;
	double x = ds_render_mm (box->left);
	double top = ds_render_mm (box->top);
	double code_size = ds_render_mm (code->columns * MODULE_MM);
	double right = ds_render_mm (box->left + box->width);
	double label_width = 0.0;
	double size = 8.0;

	add_code (c, code, right - code_size, top, ds_render_mm (MODULE_MM));
	right -= code_size + ds_render_mm (3.0);

	/* no remark zone in the window: the remark heads the block */
	if (c->profile->remark_height <= 0.0 && content->remark != NULL) {
		g_autoptr (GPtrArray) remark = wrap (c, DS_RENDER_BOLD, 9.0,
						     content->remark,
						     right - x);

		top = set_lines (c, remark, DS_RENDER_BOLD, 9.0, x, top);
	}
	for (guint i = 0; i < content->info->len; i++) {
		const DsRenderPair *pair = &g_array_index (content->info,
							   DsRenderPair, i);

		label_width = MAX (label_width, width_of
				   (c, DS_RENDER_REGULAR, size, pair->label));
	}
	label_width += ds_render_mm (2.0);
	for (guint i = 0; i < content->info->len; i++) {
		const DsRenderPair *pair = &g_array_index (content->info,
							   DsRenderPair, i);
		g_autoptr (GPtrArray) value = wrap
			(c, DS_RENDER_REGULAR, size, pair->value,
			 right - x - label_width);

		add_text (c, DS_RENDER_REGULAR, size, x,
			  top + ASCENT * size, pair->label);
		top = set_lines (c, value, DS_RENDER_REGULAR, size,
				 x + label_width, top);
	}
}

/* ---- the item table ---- */

typedef struct {
	double x[DS_RENDER_COLUMNS];
	double width[DS_RENDER_COLUMNS];
	gboolean right_aligned[DS_RENDER_COLUMNS];
} Columns;

#define TABLE_SIZE 8.0
#define REFERENCE_SIZE 7.0
#define CELL_PAD 2.0

static void
table_columns (const Composer *c, Columns *columns)
{
	/* fixed widths in mm; the invoice column takes what is left */
	static const double fixed[DS_RENDER_COLUMNS] = {
		0.0, 18.0, 18.0, 23.0, 21.0, 23.0, 17.0,
	};
	double x = c->left;
	double rest = c->right - c->left;

	for (int i = 1; i < DS_RENDER_COLUMNS; i++)
		rest -= ds_render_mm (fixed[i]);
	for (int i = 0; i < DS_RENDER_COLUMNS; i++) {
		columns->x[i] = x;
		columns->width[i] = i == 0 ? rest : ds_render_mm (fixed[i]);
		columns->right_aligned[i] = i >= DS_RENDER_COLUMN_AMOUNT;
		x += columns->width[i];
	}
}

/* One cell's lines; the invoice cell adds the reference below. */
typedef struct {
	GPtrArray *lines[DS_RENDER_COLUMNS];
	GPtrArray *reference;
	double height;
} RowLines;

static void
row_lines_clear (RowLines *row)
{
	for (int i = 0; i < DS_RENDER_COLUMNS; i++)
		g_clear_pointer (&row->lines[i], g_ptr_array_unref);
	g_clear_pointer (&row->reference, g_ptr_array_unref);
}

static void
row_lines_build (const Composer *c, const Columns *columns,
		 const char *const *cells, const char *reference,
		 DsRenderStyle style, RowLines *row)
{
	double tallest = 0.0;

	for (int i = 0; i < DS_RENDER_COLUMNS; i++) {
		double height;

		row->lines[i] = wrap (c, style, TABLE_SIZE, cells[i],
				      columns->width[i] - 2 * CELL_PAD);
		height = row->lines[i]->len * 1.2 * TABLE_SIZE;
		if (i == DS_RENDER_COLUMN_INVOICE && reference != NULL) {
			row->reference = wrap (c, DS_RENDER_REGULAR,
					       REFERENCE_SIZE, reference,
					       columns->width[i] -
					       2 * CELL_PAD);
			height += row->reference->len * 1.2 * REFERENCE_SIZE;
		}
		tallest = MAX (tallest, height);
	}
	row->height = tallest + 3.0;
}

static void
set_row (Composer *c, const Columns *columns, RowLines *row,
	 DsRenderStyle style)
{
	double top = c->y + 1.5;

	for (int i = 0; i < DS_RENDER_COLUMNS; i++) {
		double line_top = top;

		for (guint k = 0; k < row->lines[i]->len; k++) {
			const char *text = g_ptr_array_index (row->lines[i],
							      k);
			double x = columns->x[i] + CELL_PAD;

			if (columns->right_aligned[i])
				x = columns->x[i] + columns->width[i] -
				    CELL_PAD - width_of (c, style, TABLE_SIZE,
							 text);
			add_text (c, style, TABLE_SIZE, x,
				  line_top + ASCENT * TABLE_SIZE, text);
			line_top += 1.2 * TABLE_SIZE;
		}
		if (i == DS_RENDER_COLUMN_INVOICE && row->reference != NULL)
			set_lines (c, row->reference, DS_RENDER_REGULAR,
				   REFERENCE_SIZE, columns->x[i] + CELL_PAD,
				   line_top);
	}
	c->y += row->height;
}

static void
table_header (Composer *c, const Columns *columns)
{
	RowLines header = { { NULL } };

	row_lines_build (c, columns, c->content->column_labels, NULL,
			 DS_RENDER_BOLD, &header);
	set_row (c, columns, &header, DS_RENDER_BOLD);
	add_rule (c, c->page, c->left, c->y, c->right, c->y);
	c->y += 1.0;
	row_lines_clear (&header);
}

static double
header_height (const Composer *c, const Columns *columns)
{
	RowLines header = { { NULL } };
	double height;

	row_lines_build (c, columns, c->content->column_labels, NULL,
			 DS_RENDER_BOLD, &header);
	height = header.height + 1.0;
	row_lines_clear (&header);
	return height;
}

static void
compose_table (Composer *c)
{
	const GArray *rows = c->content->rows;
	Columns columns;
	double header;

	table_columns (c, &columns);
	header = header_height (c, &columns);
	ensure_space (c, header + 3 * 1.2 * TABLE_SIZE);
	table_header (c, &columns);
	for (guint i = 0; i < rows->len; i++) {
		const DsRenderRow *row = &g_array_index (rows, DsRenderRow,
							 i);
		RowLines lines = { { NULL } };

		row_lines_build (c, &columns, row->cells, row->reference,
				 DS_RENDER_REGULAR, &lines);
		if (c->y + lines.height > c->bottom) {
			new_page (c);
			table_header (c, &columns);
		}
		set_row (c, &columns, &lines, DS_RENDER_REGULAR);
		row_lines_clear (&lines);
	}
	add_rule (c, c->page, c->left, c->y, c->right, c->y);
	c->y += 2.0;
}

/* A label left and a value right-aligned under the open column. */
static void
compose_pair (Composer *c, const DsRenderPair *pair, DsRenderStyle style)
{
	double size = 9.0;
	double value_width = width_of (c, style, size, pair->value);
	double label_width = c->right - c->left - value_width -
			     ds_render_mm (5.0);
	g_autoptr (GPtrArray) label = wrap (c, style, size, pair->label,
					    label_width);
	double height = label->len * 1.2 * size;

	ensure_space (c, height + 2.0);
	add_text (c, style, size, c->right - CELL_PAD - value_width,
		  c->y + ASCENT * size, pair->value);
	c->y = set_lines (c, label, style, size, c->left, c->y);
	c->y += 2.0;
}

static void
compose_total (Composer *c, const DsRenderPair *pair)
{
	compose_pair (c, pair, DS_RENDER_BOLD);
}

/* The claim's lines: netting, interest, fees, compensation. */
static void
compose_charges (Composer *c)
{
	const GArray *charges = c->content->charges;

	for (guint i = 0; i < charges->len; i++)
		compose_pair (c, &g_array_index (charges, DsRenderPair, i),
			      DS_RENDER_REGULAR);
}

/* ---- payment details and closing ---- */

static double
pairs_height (const Composer *c, const GArray *pairs, double size,
	      double label_width, double width)
{
	double height = 0.0;

	for (guint i = 0; i < pairs->len; i++) {
		const DsRenderPair *pair = &g_array_index (pairs,
							   DsRenderPair, i);
		g_autoptr (GPtrArray) lines = wrap
			(c, DS_RENDER_REGULAR, size, pair->value,
			 width - label_width);

		height += lines->len * 1.2 * size;
	}
	return height;
}

static void
compose_payment (Composer *c)
{
	const DsRenderContent *content = c->content;
	const DsBarcode *qr = content->payment_code;
	double size = 9.0;
	double qr_size = qr != NULL ? ds_render_mm (qr->columns *
						    QR_MODULE_MM) : 0.0;
	double width = c->right - c->left -
		       (qr != NULL ? qr_size + ds_render_mm (5.0) : 0.0);
	double label_width = 0.0;
	double text_height, block;
	double top;

	for (guint i = 0; i < content->payment->len; i++)
		label_width = MAX (label_width, width_of
				   (c, DS_RENDER_REGULAR, size,
				    g_array_index (content->payment,
						   DsRenderPair, i).label));
	label_width += ds_render_mm (3.0);
	text_height = 1.2 * 10.0 + pairs_height (c, content->payment, size,
						  label_width, width);
	block = MAX (text_height, qr_size + 1.2 * 7.0 * 2);
	ensure_space (c, block + 6.0);
	c->y += 6.0;
	top = c->y;

	add_text (c, DS_RENDER_BOLD, 10.0, c->left, c->y + ASCENT * 10.0,
		  content->payment_heading);
	c->y += 1.2 * 10.0;
	for (guint i = 0; i < content->payment->len; i++) {
		const DsRenderPair *pair = &g_array_index (content->payment,
							   DsRenderPair, i);
		g_autoptr (GPtrArray) value = wrap
			(c, DS_RENDER_REGULAR, size, pair->value,
			 width - label_width);

		add_text (c, DS_RENDER_REGULAR, size, c->left,
			  c->y + ASCENT * size, pair->label);
		c->y = set_lines (c, value, DS_RENDER_REGULAR, size,
				  c->left + label_width, c->y);
	}
	if (qr != NULL) {
		double x = c->right - qr_size;
		g_autoptr (GPtrArray) caption = wrap
			(c, DS_RENDER_REGULAR, 7.0, content->qr_caption,
			 qr_size);

		add_code (c, qr, x, top, ds_render_mm (QR_MODULE_MM));
		set_lines (c, caption, DS_RENDER_REGULAR, 7.0, x,
			   top + qr_size + 1.0);
	}
	c->y = top + block;
}

static void
compose_closing (Composer *c)
{
	double size = 10.0;
	g_autoptr (GPtrArray) closing = wrap (c, DS_RENDER_REGULAR, size,
					      c->content->closing,
					      c->right - c->left);
	g_autoptr (GPtrArray) signature = wrap (c, DS_RENDER_REGULAR, size,
						c->content->signature,
						c->right - c->left);
	double height = (closing->len + signature->len + 2) * 1.2 * size;

	ensure_space (c, height + 8.0);
	c->y += 8.0;
	c->y = set_lines (c, closing, DS_RENDER_REGULAR, size, c->left,
			  c->y);
	c->y += 2 * 1.2 * size;
	c->y = set_lines (c, signature, DS_RENDER_REGULAR, size, c->left,
			  c->y);
}

/* ---- every page: footer, page label, fold marks ---- */

static gboolean
compose_furniture (Composer *c, GError **error)
{
	const DsRenderContent *content = c->content;
	int pages = c->page + 1;

	for (int page = 0; page < pages; page++) {
		double baseline = DS_RENDER_PAGE_HEIGHT -
				  ds_render_mm (FOOTER_BASELINE);
		g_autofree char *label = content->page_label
			(content->page_label_data, page + 1, pages, error);

		if (label == NULL)
			return FALSE;
		c->page = page;
		add_text (c, DS_RENDER_REGULAR, 8.0,
			  c->right - width_of (c, DS_RENDER_REGULAR, 8.0,
					       label),
			  DS_RENDER_PAGE_HEIGHT -
			  ds_render_mm (PAGE_LABEL_BASELINE), label);
		for (guint i = 0; i < content->footer_lines->len; i++) {
			g_autoptr (GPtrArray) lines = wrap
				(c, DS_RENDER_REGULAR, 7.0,
				 g_ptr_array_index (content->footer_lines, i),
				 c->right - c->left);

			set_lines (c, lines, DS_RENDER_REGULAR, 7.0, c->left,
				   baseline - ASCENT * 7.0);
			baseline += lines->len * 8.4;
		}
		for (int k = 0; k < 2; k++) {
			double y = ds_render_mm (c->profile->fold_marks[k]);

			if (y > 0.0)
				add_rule (c, page, ds_render_mm (4.0), y,
					  ds_render_mm (8.0), y);
		}
	}
	c->page = pages - 1;
	return TRUE;
}

DsRenderLayout *
ds_render_layout_compose (const DsRenderProfile *profile,
			  const DsFont *const *fonts,
			  const DsRenderContent *content, GError **error)
{
	g_autoptr (DsRenderLayout) layout = g_new0 (DsRenderLayout, 1);
	Composer c = { profile, fonts, content, layout, 0 };

	layout->ops = g_array_new (FALSE, FALSE, sizeof (DsRenderOp));
	layout->strings = g_string_chunk_new (4096);
	c.left = ds_render_mm (BODY_LEFT);
	c.right = DS_RENDER_PAGE_WIDTH - ds_render_mm (BODY_RIGHT);
	c.bottom = DS_RENDER_PAGE_HEIGHT - ds_render_mm (BODY_BOTTOM);

	if (!compose_letterhead (&c, error) || !compose_remarks (&c, error) ||
	    !compose_recipient (&c, error))
		return NULL;
	compose_info (&c);

	c.y = ds_render_mm (profile->body_top);
	flow_text (&c, DS_RENDER_BOLD, 11.0, content->subject, 12.0);
	flow_text (&c, DS_RENDER_REGULAR, 10.0, content->salutation, 6.0);
	for (guint i = 0; i < content->paragraphs->len; i++)
		flow_text (&c, DS_RENDER_REGULAR, 10.0,
			   g_ptr_array_index (content->paragraphs, i), 6.0);
	if (content->rows->len > 0 || content->total.label != NULL)
		compose_table (&c);
	compose_charges (&c);
	if (content->total.label != NULL)
		compose_total (&c, &content->total);
	if (content->deadline.label != NULL)
		compose_total (&c, &content->deadline);
	if (content->payment_heading != NULL)
		compose_payment (&c);
	compose_closing (&c);

	if (!compose_furniture (&c, error))
		return NULL;
	layout->pages = c.page + 1;
	return g_steal_pointer (&layout);
}
