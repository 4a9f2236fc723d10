/*
 * render.h -- dunning documents: the letter PDF and the e-mail text.
 *
 * The renderer turns one DsLetter (plain data: who writes to whom about
 * which items) into the bytes of an A4 PDF laid out after the entity's
 * letter profile, and into the subject, plain text and HTML of the e-mail
 * that carries it.  It reads templates from a directory
 * (TEMPLATES/LANGUAGE/STEP.*) and the DejaVu fonts from DS_FONT_DIR; it
 * writes nothing to disk and touches no database.
 *
 * Promises: all text is NFC-normalised and every glyph is checked against
 * the embedded font before anything is drawn, so a character the font
 * lacks fails the document with DS_ERROR_PERMANENT naming it, never a "?";
 * the recipient block lies wholly inside the profile's window zone or the
 * document fails; text too wide for its column is wrapped or broken
 * visibly, never cut.  The same input renders the same bytes.
 */
#ifndef DS_RENDER_H
#define DS_RENDER_H

#include <glib.h>

#include "date.h"
#include "ledger.h"

G_BEGIN_DECLS

typedef struct {
	char *invoice_id;
	char *reference;	/* may be NULL */
	DsDate issue_date;
	DsDate due_date;
	gint64 amount;
	gint64 paid;
	gint64 open;
	int days_overdue;
} DsLetterItem;

typedef struct {
	const DsEntity *entity;		/* sender */
	const DsCustomer *customer;	/* recipient */
	const char *trace_id;
	const char *step;		/* template name: reminder, first, ... */
	const char *language;		/* de, en, fr */
	DsDate date;			/* letter date */
	DsDate deadline;		/* new payment deadline; NONE: none */
	gboolean registered;		/* printed as registered mail */
	const char *currency;
	GPtrArray *items;		/* of DsLetterItem, owned by caller */
	gint64 total;			/* sum of the items' open amounts */
} DsLetter;

typedef struct {
	GBytes *pdf;
	int pages;
	char *subject;			/* the e-mail subject */
	char *text;			/* text/plain body, LF line ends */
	char *html;			/* text/html body */
} DsRendered;

void ds_letter_item_free (DsLetterItem *item);
void ds_rendered_free (DsRendered *rendered);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRendered, ds_rendered_free)

typedef struct _DsRenderer DsRenderer;

/* Load fonts and check the template directory; one per thread. */
DsRenderer *ds_renderer_new (const char *template_dir, const char *font_dir,
			     GError **error);
void ds_renderer_free (DsRenderer *renderer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRenderer, ds_renderer_free)

DsRendered *ds_renderer_render (DsRenderer *renderer, const DsLetter *letter,
				GError **error);

/*
 * Validation before dispatch (DESIGN §7): page size, margins, window
 * zone, page limit, fonts embedded, text extractable.  FALSE with the
 * reason in DS_ERROR_PERMANENT when the document must not be sent.
 */
gboolean ds_render_validate (const DsLetter *letter,
			     const DsRendered *rendered, int page_limit,
			     GError **error);

G_END_DECLS

#endif
