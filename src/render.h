/*
 * render.h -- dunning documents: the letter PDF and the e-mail text.
 *
 * The renderer turns one DsLetter (plain data: who writes to whom about
 * which items) into the bytes of an A4 PDF laid out after the entity's
 * letter profile, and into the subject, plain text and HTML of the e-mail
 * that carries it.  It reads templates from a directory and the DejaVu
 * fonts from DS_FONT_DIR; it writes nothing to disk and touches no
 * database.
 *
 * Templates: TEMPLATES/LANGUAGE/ holds, for each step (reminder, first,
 * second, final, or any other name a strategy uses):
 *
 *   STEP.letter  sections [subject] [salutation] [body] [closing]
 *   STEP.mail    sections [subject] [text]
 *   STEP.html    the HTML body, every value escaped
 *
 * and one file "labels" with the fixed words of the letter (column
 * headings, "Page {{page}} of {{pages}}", ...).  The language (see
 * template.h) knows customer.*, entity.*, trace_id, date, deadline,
 * total, currency, item_count, step, registered and the lists items
 * (item.invoice, item.reference, item.issue_date, item.due_date,
 * item.amount, item.paid, item.open, item.days_overdue) and charges
 * (charge.text, charge.amount: the claim's lines below the items).
 *
 * An event letter (DsLetter.event set: an acknowledgement, a promise
 * confirmation, a dispute notice; see event-documents.h) also knows
 * event.id (the payment, promise or disputed invoice), event.date (paid,
 * promise made, dispute opened), event.promised_date, event.amount,
 * event.invoice and event.reason, each empty where the event has none,
 * and asks for nothing: it has no total line and no payment details,
 * and its table is left out when it lists no invoice.  Other letters
 * see these names empty.
 *
 * Charges are the money lines of the claim between the items and the
 * total, in the letter's order: what was netted, unapplied cash,
 * interest per rate period with its basis, fees, fixed compensation.
 * Each one's text is the labels section charge-KIND (charge-payment,
 * charge-credit-note, charge-unapplied, charge-interest, charge-fee,
 * charge-compensation), which may use charge.invoice, charge.id,
 * charge.date, charge.from, charge.to, charge.days, charge.rate,
 * charge.principal and charge.basis.  Netting explains the items' paid
 * column and is printed without a sign when it went to principal
 * (DS_LETTER_CHARGE_INCLUDED); everything else adds to the total, and
 * credits and unapplied cash are negative.  Amounts carry
 * their currency code and are written as the language writes them
 * (1.355,90 EUR; 1 355,90 EUR; 1,355.90 EUR), dates likewise.  Every
 * template is parsed and checked when the renderer is made, so a broken
 * template fails ds_renderer_new(), naming file and line.
 *
 * Letter profiles (entity->letter_profile, else by the entity's country):
 * din5008b (DE, CH, AT), din5008a (GB), nfz11001 (FR, window on the
 * right), us10 (US).
 *
 * Promises: all text is NFC-normalised and every glyph is checked against
 * the embedded font before anything is drawn, so a character the font
 * lacks fails the document with DS_ERROR_PERMANENT naming the field and
 * the character, never a "?"; the recipient block lies wholly inside the
 * profile's window zone or the document fails; text too wide for its
 * column is wrapped or broken visibly, never cut.  The same input renders
 * the same bytes.  Fonts are embedded as subsets of the characters used,
 * without hinting, which keeps a one-page letter near 20 KB.
 *
 * A renderer is immutable once made: threads may share one.
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
	int instalment;		/* the row is this instalment; 0: none */
	int instalments;	/* of how many; 0: not known */
} DsLetterItem;

typedef enum {
	DS_LETTER_CHARGE_PAYMENT,	/* netted: a payment */
	DS_LETTER_CHARGE_CREDIT_NOTE,	/* netted: a credit note */
	DS_LETTER_CHARGE_UNAPPLIED,	/* unapplied cash, deducted */
	DS_LETTER_CHARGE_INTEREST,	/* one rate period */
	DS_LETTER_CHARGE_FEE,
	DS_LETTER_CHARGE_COMPENSATION,
} DsLetterChargeKind;

typedef struct {
	DsLetterChargeKind kind;
	gboolean included;	/* netting shown in the paid column: the
				   amount is printed but not added */
	char *id;		/* payment or credit note; may be NULL */
	char *invoice_id;	/* may be NULL */
	DsDate date;		/* of the credit, or when a cost was
				   first claimed */
	DsDate from;		/* interest: first and last day */
	DsDate to;
	int days;
	int rate_bp;
	gint64 principal;
	gint64 amount;		/* negative for credits */
	char *basis;		/* the law or the step; may be NULL */
} DsLetterCharge;

/* What an event letter is about; amounts in the letter's currency. */
typedef struct {
	const char *id;			/* payment, promise, invoice */
	DsDate date;			/* paid, made, opened; NONE */
	DsDate promised_date;		/* a promise's; NONE */
	gint64 amount;			/* paid or promised; 0: none */
	const char *invoice_id;		/* may be NULL */
	const char *reason;		/* a dispute's; may be NULL */
} DsLetterEvent;

typedef struct {
	const DsEntity *entity;		/* sender */
	const DsCustomer *customer;	/* recipient */
	const char *trace_id;
	const char *step;		/* template: reminder, first, ... */
	const char *language;		/* de, en, fr */
	DsDate date;			/* letter date */
	DsDate deadline;		/* new payment deadline; NONE: none */
	gboolean registered;		/* printed as registered mail */
	const char *currency;
	GPtrArray *items;		/* of DsLetterItem, owned by caller */
	GPtrArray *charges;		/* of DsLetterCharge, owned by
					   caller; NULL: none */
	gint64 total;			/* the items' open amounts and the
					   charges not included */
	const DsLetterEvent *event;	/* NULL: a dunning letter */
} DsLetter;

typedef struct {
	GBytes *pdf;
	int pages;
	char *subject;			/* the e-mail subject */
	char *text;			/* text/plain body, LF line ends */
	char *html;			/* text/html body */
} DsRendered;

void ds_letter_item_free (DsLetterItem *item);
void ds_letter_charge_free (DsLetterCharge *charge);
void ds_rendered_free (DsRendered *rendered);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRendered, ds_rendered_free)

typedef struct _DsRenderer DsRenderer;

/*
 * Load the fonts (font_dir NULL: DS_FONT_DIR) and every template under
 * template_dir.  DS_ERROR_CONFIG naming file and line for a template
 * error, DS_ERROR_PERMANENT for a font that cannot be read.
 */
DsRenderer *ds_renderer_new (const char *template_dir, const char *font_dir,
			     GError **error);
void ds_renderer_free (DsRenderer *renderer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRenderer, ds_renderer_free)

/*
 * Render one letter.  NULL with DS_ERROR_PERMANENT when it can never be
 * rendered as it is (a missing glyph, an address that does not fit, no
 * template for its language and step), DS_ERROR_TEMPORARY when the
 * system failed (out of memory or file descriptors).
 */
DsRendered *ds_renderer_render (DsRenderer *renderer, const DsLetter *letter,
				GError **error);

/*
 * Validation before dispatch (DESIGN §7), on the bytes as they will go
 * out, read back with pdftotext: every page A4; all text at least 10 mm
 * from the edges; on page 1, the address zone holds exactly the recipient
 * block, wholly inside, and the rest of the window only the return
 * address (and a remark on registered letters); at most page_limit pages
 * (0: no limit); every font embedded; the recipient's name and every
 * invoice number extractable as text.  FALSE with the reason in
 * DS_ERROR_PERMANENT when the document must not be sent;
 * DS_ERROR_TEMPORARY when pdftotext could not be run.
 */
gboolean ds_render_validate (const DsLetter *letter,
			     const DsRendered *rendered, int page_limit,
			     GError **error);

G_END_DECLS

#endif
