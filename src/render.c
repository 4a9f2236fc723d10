/*
 * render.c -- the renderer: templates and fonts, and the content of one
 * letter.  See render.h for the contract, render-private.h for how the
 * work is split.
 *
 * Content is assembled here: every value from the ledger is cleaned
 * (NFC, one line) and checked against the font that will draw it while
 * its field name is still known, so that a missing glyph is reported as
 * "customer.name: missing glyph for U+682A ..." and not as a fault of a
 * template.  Text coming out of templates and labels is checked again
 * under the template's name.  Only then is anything laid out or drawn.
 */
#define G_LOG_DOMAIN "dunspool-render"

#include "render-private.h"

#include <string.h>

#include "ds-error.h"
#include "money.h"
#include "template.h"

static const char *const letter_sections[] = {
	"subject", "salutation", "body", "closing", NULL,
};
static const char *const mail_sections[] = { "subject", "text", NULL };
static const char *const label_sections[] = {
	"page", "date", "customer-number", "reference", "invoice",
	"issue-date", "due-date", "amount", "paid", "open", "days-overdue",
	"item-reference", "total", "deadline", "payment", "payee", "iban",
	"bic", "payment-reference", "payment-amount", "qr-caption",
	"registered", "vat-id", "charge-payment", "charge-credit-note",
	"charge-unapplied", "charge-interest", "charge-fee",
	"charge-compensation", NULL,
};
/* Optional label sections: a labels file written before them works. */
#define INSTALMENT_LABEL "instalment"


#define COMMON_NAMES \
	"customer.id", "customer.name", "customer.contact", \
	"customer.street", "customer.postal_code", "customer.city", \
	"customer.country", "entity.name", "entity.street", \
	"entity.postal_code", "entity.city", "entity.country", \
	"entity.iban", "entity.bic", "entity.vat_id", "entity.email", \
	"entity.phone", "trace_id", "date", "deadline", "total", "currency", \
	"item_count", "step", "registered", "event.id", "event.date", \
	"event.promised_date", "event.amount", "event.invoice", \
	"event.reason"

static const char *const letter_names[] = { COMMON_NAMES, NULL };
static const char *const label_names[] = {
	COMMON_NAMES, "page", "pages", "charge.invoice", "charge.id",
	"charge.date", "charge.from", "charge.to", "charge.days",
	"charge.rate", "charge.principal", "charge.basis",
	"charge.included", "instalment.invoice", "instalment.number",
	"instalment.count", NULL,
};
static const char *const item_fields[] = {
	"item.invoice", "item.reference", "item.issue_date", "item.due_date",
	"item.amount", "item.paid", "item.open", "item.days_overdue",
	"item.instalment", "item.instalments", NULL,
};
static const char *const charge_fields[] = {
	"charge.text", "charge.amount", NULL,
};
static const DsTemplateList letter_lists[] = {
	{ "items", item_fields }, { "charges", charge_fields },
	{ NULL, NULL },
};
static const DsTemplateSchema letter_schema = { letter_names, letter_lists };
static const DsTemplateSchema label_schema = { label_names, letter_lists };

typedef struct {
	GHashTable *letter;	/* section name -> DsTemplate */
	GHashTable *mail;
	DsTemplate *html;
} Step;

/*
 * A template that fails to load spoils only the letters that need it:
 * the reason is kept and given when such a letter is rendered (the
 * document goes to action-required), and logged once at load.
 */
typedef struct {
	GHashTable *labels;	/* section name -> DsTemplate; NULL: broken */
	GHashTable *steps;	/* step name -> Step */
	GHashTable *broken;	/* step name -> why it did not load */
	char *labels_broken;	/* why the labels did not load, or NULL */
} Language;

struct _DsRenderer {
	char *template_dir;
	DsFont *fonts[DS_RENDER_STYLES];
	GHashTable *languages;	/* code -> Language */
};

void
ds_letter_item_free (DsLetterItem *item)
{
	if (item == NULL)
		return;
	g_free (item->invoice_id);
	g_free (item->reference);
	g_free (item);
}

void
ds_letter_charge_free (DsLetterCharge *charge)
{
	if (charge == NULL)
		return;
	g_free (charge->id);
	g_free (charge->invoice_id);
	g_free (charge->basis);
	g_free (charge);
}

void
ds_rendered_free (DsRendered *rendered)
{
	if (rendered == NULL)
		return;
	if (rendered->pdf != NULL)
		g_bytes_unref (rendered->pdf);
	g_free (rendered->subject);
	g_free (rendered->text);
	g_free (rendered->html);
	g_free (rendered);
}

/* ---- loading ---- */

static void
step_free (gpointer data)
{
	Step *step = data;

	if (step->letter != NULL)
		g_hash_table_unref (step->letter);
	if (step->mail != NULL)
		g_hash_table_unref (step->mail);
	ds_template_free (step->html);
	g_free (step);
}

static void
language_free (gpointer data)
{
	Language *language = data;

	if (language->labels != NULL)
		g_hash_table_unref (language->labels);
	g_hash_table_unref (language->steps);
	g_hash_table_unref (language->broken);
	g_free (language->labels_broken);
	g_free (language);
}

static gboolean
require_sections (GHashTable *sections, const char *path,
		  const char *const *names, GError **error)
{
	for (; *names != NULL; names++) {
		if (g_hash_table_contains (sections, *names))
			continue;
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s: no [%s] section", path, *names);
		return FALSE;
	}
	return TRUE;
}

static GHashTable *
load_sections (const char *directory, const char *name,
	       const DsTemplateSchema *schema, const char *const *required,
	       GError **error)
{
	g_autofree char *path = g_build_filename (directory, name, NULL);
	g_autoptr (GHashTable) sections = ds_template_load_sections
		(path, schema, error);

	if (sections == NULL ||
	    !require_sections (sections, path, required, error))
		return NULL;
	return g_steal_pointer (&sections);
}

static Step *
load_step (const char *directory, const char *name, GError **error)
{
	g_autofree char *letter = g_strconcat (name, ".letter", NULL);
	g_autofree char *mail = g_strconcat (name, ".mail", NULL);
	g_autofree char *html = g_strconcat (name, ".html", NULL);
	g_autofree char *html_path = g_build_filename (directory, html, NULL);
	Step *step = g_new0 (Step, 1);

	step->letter = load_sections (directory, letter, &letter_schema,
				      letter_sections, error);
	if (step->letter != NULL)
		step->mail = load_sections (directory, mail, &letter_schema,
					    mail_sections, error);
	if (step->mail != NULL)
		step->html = ds_template_load (html_path, &letter_schema,
					       error);
	if (step->html == NULL) {
		step_free (step);
		return NULL;
	}
	return step;
}

/* Every STEP.letter in a language directory, with its labels. */
static Language *
load_language (const char *directory, GError **error)
{
	Language *language = g_new0 (Language, 1);
	g_autoptr (GDir) dir = NULL;
	const char *entry;

	g_autoptr (GError) local = NULL;

	language->steps = g_hash_table_new_full (g_str_hash, g_str_equal,
						 g_free, step_free);
	language->broken = g_hash_table_new_full (g_str_hash, g_str_equal,
						  g_free, g_free);
	language->labels = load_sections (directory, "labels", &label_schema,
					  label_sections, &local);
	if (language->labels == NULL) {
		g_warning ("templates: %s", local->message);
		language->labels_broken = g_strdup (local->message);
		g_clear_error (&local);
	}
	dir = g_dir_open (directory, 0, error);
	if (dir == NULL) {
		language_free (language);
		return NULL;
	}
	while ((entry = g_dir_read_name (dir)) != NULL) {
		g_autofree char *name = NULL;
		Step *step;

		if (!g_str_has_suffix (entry, ".letter"))
			continue;
		name = g_strndup (entry, strlen (entry) - strlen (".letter"));
		step = load_step (directory, name, &local);
		if (step == NULL) {
			g_warning ("templates: %s", local->message);
			g_hash_table_insert (language->broken,
					     g_steal_pointer (&name),
					     g_strdup (local->message));
			g_clear_error (&local);
			continue;
		}
		g_hash_table_insert (language->steps, g_steal_pointer (&name),
				     step);
	}
	return language;
}

static gboolean
load_templates (DsRenderer *renderer, GError **error)
{
	g_autoptr (GDir) dir = NULL;
	g_autoptr (GError) local = NULL;
	const char *entry;

	dir = g_dir_open (renderer->template_dir, 0, &local);
	if (dir == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "templates: %s",
			     local->message);
		return FALSE;
	}
	while ((entry = g_dir_read_name (dir)) != NULL) {
		g_autofree char *path = g_build_filename
			(renderer->template_dir, entry, NULL);
		Language *language;

		if (!g_file_test (path, G_FILE_TEST_IS_DIR))
			continue;
		language = load_language (path, error);
		if (language == NULL)
			return FALSE;
		g_hash_table_insert (renderer->languages, g_strdup (entry),
				     language);
	}
	if (g_hash_table_size (renderer->languages) == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s: no language directories",
			     renderer->template_dir);
		return FALSE;
	}
	return TRUE;
}

DsRenderer *
ds_renderer_new (const char *template_dir, const char *font_dir,
		 GError **error)
{
	static const char *const files[DS_RENDER_STYLES] = {
		"DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
	};
	g_autoptr (DsRenderer) renderer = g_new0 (DsRenderer, 1);

	renderer->template_dir = g_strdup (template_dir);
	renderer->languages = g_hash_table_new_full (g_str_hash, g_str_equal,
						     g_free, language_free);
	for (int style = 0; style < DS_RENDER_STYLES; style++) {
		g_autofree char *path = g_build_filename
			(font_dir != NULL ? font_dir : DS_FONT_DIR,
			 files[style], NULL);
		g_autoptr (GError) local = NULL;

		renderer->fonts[style] = ds_font_load (path, &local);
		if (renderer->fonts[style] == NULL) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "%s", local->message);
			return NULL;
		}
	}
	if (!load_templates (renderer, error))
		return NULL;
	return g_steal_pointer (&renderer);
}

void
ds_renderer_free (DsRenderer *renderer)
{
	if (renderer == NULL)
		return;
	for (int style = 0; style < DS_RENDER_STYLES; style++)
		ds_font_free (renderer->fonts[style]);
	if (renderer->languages != NULL)
		g_hash_table_unref (renderer->languages);
	g_free (renderer->template_dir);
	g_free (renderer);
}

/* ---- the recipient block and the return address ---- */

static gboolean
is_empty (const char *text)
{
	return text == NULL || *text == '\0';
}

/* The parts that are not empty, joined by `separator`. */
static char *
join_present (const char *separator, const char *const *parts, gsize count)
{
	GString *out = g_string_new (NULL);

	for (gsize i = 0; i < count; i++) {
		if (is_empty (parts[i]))
			continue;
		if (out->len > 0)
			g_string_append (out, separator);
		g_string_append (out, parts[i]);
	}
	return g_string_free (out, FALSE);
}

#define JOIN(separator, ...) \
	join_present ((separator), (const char *const[]) { __VA_ARGS__ }, \
		      G_N_ELEMENTS (((const char *const[]) { __VA_ARGS__ })))

static gboolean
abroad (const DsLetter *letter)
{
	const char *from = letter->entity->country;
	const char *to = letter->customer->country;

	return !is_empty (to) &&
	       g_ascii_strcasecmp (to, from != NULL ? from : "") != 0;
}

/* "12345 Berlin", "Boston 02110", or for GB the town then the code. */
static void
add_city_lines (GPtrArray *lines, const DsCustomer *customer)
{
	const char *country = customer->country != NULL ? customer->country
							: "";
	const char *postal = customer->postal_code != NULL ?
			     customer->postal_code : "";
	const char *city = customer->city != NULL ? customer->city : "";

	if (g_ascii_strcasecmp (country, "GB") == 0) {
		g_ptr_array_add (lines, g_strdup (city));
		g_ptr_array_add (lines, g_strdup (postal));
	} else if (g_ascii_strcasecmp (country, "US") == 0 ||
		   g_ascii_strcasecmp (country, "CA") == 0 ||
		   g_ascii_strcasecmp (country, "AU") == 0) {
		g_ptr_array_add (lines, JOIN (" ", city, postal));
	} else {
		g_ptr_array_add (lines, JOIN (" ", postal, city));
	}
}

GPtrArray *
ds_render_recipient_lines (const DsLetter *letter, GError **error)
{
	const DsCustomer *customer = letter->customer;
	g_autoptr (GPtrArray) raw = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

	g_ptr_array_add (raw, g_strdup (customer->name));
	if (!is_empty (customer->contact))
		g_ptr_array_add (raw, g_strdup (customer->contact));
	if (!is_empty (customer->street))
		g_ptr_array_add (raw, g_strdup (customer->street));
	add_city_lines (raw, customer);
	if (abroad (letter))
		g_ptr_array_add (raw, ds_render_country_name
				 (customer->country, letter->language));

	for (guint i = 0; i < raw->len; i++) {
		char *clean = NULL;

		if (!ds_render_text_clean (g_ptr_array_index (raw, i),
					   "recipient", &clean, error))
			return NULL;
		if (clean != NULL && *clean != '\0')
			g_ptr_array_add (lines, clean);
		else
			g_free (clean);
	}
	return g_steal_pointer (&lines);
}

char *
ds_render_return_line (const DsLetter *letter, GError **error)
{
	const DsEntity *entity = letter->entity;
	g_autofree char *city = JOIN (" ", entity->postal_code, entity->city);
	g_autofree char *country = abroad (letter) ?
		ds_render_country_name (entity->country ? entity->country : "",
					letter->language) : NULL;
	g_autofree char *line = JOIN (" · ", entity->name, entity->street,
				      city, country);
	char *clean = NULL;

	if (!ds_render_text_clean (line, "return address", &clean, error))
		return NULL;
	return clean;
}

/* ---- building the content ---- */

typedef struct {
	const DsRenderer *renderer;
	const DsLetter *letter;
	const Language *language;
	const Step *step;
	DsTemplateValues *values;
	DsRenderContent *content;
	GError *error;			/* the first failure */
} Builder;

static void
content_free (DsRenderContent *content)
{
	if (content == NULL)
		return;
	g_string_chunk_free (content->strings);
	g_ptr_array_unref (content->letterhead_lines);
	g_ptr_array_unref (content->recipient_lines);
	g_array_unref (content->info);
	g_ptr_array_unref (content->paragraphs);
	g_array_unref (content->rows);
	g_array_unref (content->charges);
	g_array_unref (content->payment);
	g_ptr_array_unref (content->footer_lines);
	ds_barcode_free (content->trace_code);
	ds_barcode_free (content->payment_code);
	g_free (content);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRenderContent, content_free)

static DsRenderContent *
content_new (void)
{
	DsRenderContent *content = g_new0 (DsRenderContent, 1);

	content->strings = g_string_chunk_new (2048);
	content->letterhead_lines = g_ptr_array_new ();
	content->recipient_lines = g_ptr_array_new ();
	content->info = g_array_new (FALSE, TRUE, sizeof (DsRenderPair));
	content->paragraphs = g_ptr_array_new ();
	content->rows = g_array_new (FALSE, TRUE, sizeof (DsRenderRow));
	content->charges = g_array_new (FALSE, TRUE, sizeof (DsRenderPair));
	content->payment = g_array_new (FALSE, TRUE, sizeof (DsRenderPair));
	content->footer_lines = g_ptr_array_new ();
	return content;
}

/*
 * Clean `text` to one line, check it against the font of `style` and
 * keep it; NULL for NULL text or after the first failure.
 */
static const char *
put (Builder *b, DsRenderStyle style, const char *field, const char *text)
{
	g_autofree char *clean = NULL;

	if (b->error != NULL || text == NULL)
		return NULL;
	if (!ds_render_text_clean (text, field, &clean, &b->error) ||
	    !ds_render_text_check (b->renderer->fonts[style], clean, field,
				   &b->error))
		return NULL;
	return g_string_chunk_insert_const (b->content->strings, clean);
}

/* A ledger value: cleaned, checked in both styles, set as placeholder. */
static const char *
value (Builder *b, const char *name, const char *raw)
{
	const char *clean = put (b, DS_RENDER_REGULAR, name,
				 raw != NULL ? raw : "");

	if (clean == NULL || put (b, DS_RENDER_BOLD, name, clean) == NULL)
		return NULL;
	ds_template_values_set (b->values, name, clean);
	return clean;
}

static char *
expand_raw (Builder *b, GHashTable *sections, const char *section)
{
	const DsTemplate *template = g_hash_table_lookup (sections, section);

	if (b->error != NULL)
		return NULL;
	return ds_template_expand (template, b->values, DS_TEMPLATE_PLAIN,
				   &b->error);
}

/* A template section, cleaned to one line and checked. */
static const char *
expand (Builder *b, GHashTable *sections, const char *section,
	DsRenderStyle style)
{
	g_autofree char *text = expand_raw (b, sections, section);
	const DsTemplate *template = g_hash_table_lookup (sections, section);

	if (text == NULL)
		return NULL;
	return put (b, style, ds_template_origin (template), text);
}

static const char *
label (Builder *b, const char *section, DsRenderStyle style)
{
	return expand (b, b->language->labels, section, style);
}

/* The event.* names: empty for a dunning letter. */
static void
set_event_values (Builder *b)
{
	const DsLetterEvent *event = b->letter->event;
	const char *language = b->letter->language;

	value (b, "event.id", event ? event->id : NULL);
	value (b, "event.invoice", event ? event->invoice_id : NULL);
	value (b, "event.reason", event ? event->reason : NULL);
	ds_template_values_take (b->values, "event.date", event ?
		ds_render_format_date (event->date, language, TRUE) :
		g_strdup (""));
	ds_template_values_take (b->values, "event.promised_date", event ?
		ds_render_format_date (event->promised_date, language,
				       TRUE) : g_strdup (""));
	ds_template_values_take (b->values, "event.amount",
		event && event->amount != 0 ?
		ds_render_format_amount (event->amount, b->letter->currency,
					 language, TRUE) : g_strdup (""));
}

static void
set_values (Builder *b)
{
	const DsLetter *letter = b->letter;
	const DsCustomer *customer = letter->customer;
	const DsEntity *entity = letter->entity;
	const char *language = letter->language;

	value (b, "customer.id", customer->customer_id);
	value (b, "customer.name", customer->name);
	value (b, "customer.contact", customer->contact);
	value (b, "customer.street", customer->street);
	value (b, "customer.postal_code", customer->postal_code);
	value (b, "customer.city", customer->city);
	value (b, "customer.country", customer->country);
	value (b, "entity.name", entity->name);
	value (b, "entity.street", entity->street);
	value (b, "entity.postal_code", entity->postal_code);
	value (b, "entity.city", entity->city);
	value (b, "entity.country", entity->country);
	value (b, "entity.iban", entity->iban);
	value (b, "entity.bic", entity->bic);
	value (b, "entity.vat_id", entity->vat_id);
	value (b, "entity.email", entity->email);
	value (b, "entity.phone", entity->phone);
	value (b, "trace_id", letter->trace_id);
	ds_template_values_take (b->values, "date", ds_render_format_date
				 (letter->date, language, TRUE));
	ds_template_values_take (b->values, "deadline", ds_render_format_date
				 (letter->deadline, language, TRUE));
	ds_template_values_take (b->values, "total", ds_render_format_amount
				 (letter->total, letter->currency, language,
				  TRUE));
	ds_template_values_set (b->values, "currency", letter->currency);
	ds_template_values_take (b->values, "item_count", g_strdup_printf
				 ("%u", letter->items->len));
	ds_template_values_set (b->values, "step", letter->step);
	ds_template_values_set (b->values, "registered",
				letter->registered ? "yes" : "");
	set_event_values (b);
}

/*
 * What the invoice cell says: the invoice id, or for one instalment of
 * it the labels' [instalment] ("INV-7 (instalment 2 of 3)"); a labels
 * file without that section gets "INV-7 (2/3)".
 */
static char *
invoice_text (Builder *b, const DsLetterItem *item)
{
	g_autofree char *count = item->instalments > 0 ?
		g_strdup_printf ("%d", item->instalments) : g_strdup ("");

	if (item->instalment <= 0)
		return g_strdup (item->invoice_id);
	if (!g_hash_table_contains (b->language->labels, INSTALMENT_LABEL))
		return g_strdup_printf ("%s (%d%s%s)", item->invoice_id,
					item->instalment,
					*count != '\0' ? "/" : "", count);
	ds_template_values_set (b->values, "instalment.invoice",
				item->invoice_id);
	ds_template_values_take (b->values, "instalment.number",
				 g_strdup_printf ("%d", item->instalment));
	ds_template_values_set (b->values, "instalment.count", count);
	return expand_raw (b, b->language->labels, INSTALMENT_LABEL);
}

/* One table row and one template row per item. */
static void
add_item (Builder *b, const DsLetterItem *item)
{
	const char *language = b->letter->language;
	const char *currency = b->letter->currency;
	DsTemplateValues *row = ds_template_values_add_row (b->values,
							    "items");
	DsRenderRow cells = { { NULL } };
	g_autofree char *field = g_strdup_printf ("item %s reference",
						  item->invoice_id);
	g_autofree char *invoice = invoice_text (b, item);

	cells.cells[DS_RENDER_COLUMN_INVOICE] = put
		(b, DS_RENDER_REGULAR, "item.invoice", invoice);
	if (!is_empty (item->reference)) {
		g_autofree char *text = g_strdup_printf
			("%s %s", b->content->reference_label,
			 item->reference);

		cells.reference = put (b, DS_RENDER_REGULAR, field, text);
	}
	ds_template_values_set (row, "item.invoice",
				cells.cells[DS_RENDER_COLUMN_INVOICE]);
	ds_template_values_set (row, "item.reference",
				put (b, DS_RENDER_REGULAR, field,
				     item->reference ? item->reference : ""));

#define CELL(column, name, text) \
	do { \
		g_autofree char *cell_text = (text); \
		cells.cells[column] = put (b, DS_RENDER_REGULAR, name, \
					   cell_text); \
	} while (0)
	CELL (DS_RENDER_COLUMN_ISSUE, "item.issue_date",
	      ds_render_format_date (item->issue_date, language, FALSE));
	CELL (DS_RENDER_COLUMN_DUE, "item.due_date",
	      ds_render_format_date (item->due_date, language, FALSE));
	CELL (DS_RENDER_COLUMN_AMOUNT, "item.amount",
	      ds_render_format_amount (item->amount, currency, language,
				       FALSE));
	CELL (DS_RENDER_COLUMN_PAID, "item.paid",
	      ds_render_format_amount (item->paid, currency, language,
				       FALSE));
	CELL (DS_RENDER_COLUMN_OPEN, "item.open",
	      ds_render_format_amount (item->open, currency, language,
				       FALSE));
	CELL (DS_RENDER_COLUMN_DAYS, "item.days_overdue",
	      item->days_overdue > 0 ? g_strdup_printf
	      ("%d", item->days_overdue) : g_strdup (""));
#undef CELL
	g_array_append_val (b->content->rows, cells);

	ds_template_values_set (row, "item.issue_date",
				cells.cells[DS_RENDER_COLUMN_ISSUE]);
	ds_template_values_set (row, "item.due_date",
				cells.cells[DS_RENDER_COLUMN_DUE]);
	ds_template_values_take (row, "item.amount", ds_render_format_amount
				 (item->amount, currency, language, TRUE));
	ds_template_values_take (row, "item.paid", ds_render_format_amount
				 (item->paid, currency, language, TRUE));
	ds_template_values_take (row, "item.open", ds_render_format_amount
				 (item->open, currency, language, TRUE));
	ds_template_values_set (row, "item.days_overdue",
				cells.cells[DS_RENDER_COLUMN_DAYS]);
	ds_template_values_take (row, "item.instalment",
				 item->instalment > 0 ? g_strdup_printf
				 ("%d", item->instalment) : g_strdup (""));
	ds_template_values_take (row, "item.instalments",
				 item->instalment > 0 &&
				 item->instalments > 0 ? g_strdup_printf
				 ("%d", item->instalments) : g_strdup (""));
}

static void
add_pair (Builder *b, GArray *pairs, const char *section, const char *field,
	  const char *text)
{
	DsRenderPair pair;

	if (is_empty (text) || b->error != NULL)
		return;
	pair.label = label (b, section, DS_RENDER_REGULAR);
	pair.value = put (b, DS_RENDER_REGULAR, field, text);
	if (pair.label != NULL && pair.value != NULL)
		g_array_append_val (pairs, pair);
}

/* "DE89 3704 0044 0532 0130 00": groups of four, as printed. */
static char *
iban_grouped (const char *iban)
{
	GString *out = g_string_new (NULL);
	int count = 0;

	for (const char *p = iban; p != NULL && *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (count > 0 && count % 4 == 0)
			g_string_append_c (out, ' ');
		g_string_append_c (out, g_ascii_toupper (*p));
		count++;
	}
	return g_string_free (out, FALSE);
}

static void
build_sender (Builder *b)
{
	const DsLetter *letter = b->letter;
	const DsEntity *entity = letter->entity;
	DsRenderContent *content = b->content;
	g_autofree char *city = JOIN (" ", entity->postal_code, entity->city);
	g_autofree char *country = ds_render_country_name
		(entity->country ? entity->country : "", letter->language);
	g_autofree char *contact = JOIN (" · ", entity->phone, entity->email);
	g_autofree char *back = ds_render_return_line (letter, &b->error);
	g_autofree char *place = JOIN (" · ", city,
				       abroad (letter) ? country : NULL);

	content->letterhead_name = put (b, DS_RENDER_BOLD, "entity.name",
					entity->name);
	g_ptr_array_add (content->letterhead_lines,
			 (gpointer) put (b, DS_RENDER_REGULAR, "entity.street",
					 entity->street ? entity->street
							: ""));
	g_ptr_array_add (content->letterhead_lines,
			 (gpointer) put (b, DS_RENDER_REGULAR, "entity.city",
					 place));
	g_ptr_array_add (content->letterhead_lines,
			 (gpointer) put (b, DS_RENDER_REGULAR,
					 "entity.phone", contact));
	content->return_line = put (b, DS_RENDER_REGULAR, "return address",
				    back);
	if (letter->registered)
		content->remark = label (b, "registered", DS_RENDER_BOLD);
	content->signature = put (b, DS_RENDER_REGULAR, "entity.name",
				  entity->name);
}

static void
build_recipient (Builder *b)
{
	g_autoptr (GPtrArray) lines = NULL;

	if (b->error != NULL)
		return;
	lines = ds_render_recipient_lines (b->letter, &b->error);
	for (guint i = 0; lines != NULL && i < lines->len; i++) {
		const char *line = put (b, DS_RENDER_REGULAR, "recipient",
					g_ptr_array_index (lines, i));

		g_ptr_array_add (b->content->recipient_lines, (gpointer) line);
	}
}

static void
build_info (Builder *b)
{
	const DsLetter *letter = b->letter;
	DsRenderContent *content = b->content;

	add_pair (b, content->info, "date", "date",
		  ds_template_values_get (b->values, "date"));
	add_pair (b, content->info, "customer-number", "customer.id",
		  letter->customer->customer_id);
	add_pair (b, content->info, "reference", "trace_id",
		  letter->trace_id);
	if (b->error == NULL)
		content->trace_code = ds_barcode_datamatrix (letter->trace_id,
							     &b->error);
}

/* Body paragraphs: blank lines separate them, line ends inside join. */
static void
build_body (Builder *b)
{
	g_autofree char *raw = expand_raw (b, b->step->letter, "body");
	const DsTemplate *template = g_hash_table_lookup (b->step->letter,
							  "body");
	const char *origin = ds_template_origin (template);
	g_autofree char *text = NULL;
	g_auto (GStrv) lines = NULL;
	GString *paragraph = g_string_new (NULL);

	if (raw == NULL ||
	    !ds_render_text_clean_lines (raw, origin, &text, &b->error)) {
		g_string_free (paragraph, TRUE);
		return;
	}
	lines = g_strsplit (text, "\n", -1);
	for (guint i = 0; ; i++) {
		const char *line = lines[i];
		gboolean blank = line == NULL ||
				 strspn (line, " ") == strlen (line);

		if (!blank) {
			g_string_append_printf (paragraph, "%s%s",
						paragraph->len ? " " : "",
						line);
			continue;
		}
		if (paragraph->len > 0) {
			const char *kept = put (b, DS_RENDER_REGULAR, origin,
						paragraph->str);

			if (kept != NULL)
				g_ptr_array_add (b->content->paragraphs,
						 (gpointer) kept);
			g_string_truncate (paragraph, 0);
		}
		if (line == NULL)
			break;
	}
	g_string_free (paragraph, TRUE);
}

static const char *const charge_sections[] = {
	[DS_LETTER_CHARGE_PAYMENT] = "charge-payment",
	[DS_LETTER_CHARGE_CREDIT_NOTE] = "charge-credit-note",
	[DS_LETTER_CHARGE_UNAPPLIED] = "charge-unapplied",
	[DS_LETTER_CHARGE_INTEREST] = "charge-interest",
	[DS_LETTER_CHARGE_FEE] = "charge-fee",
	[DS_LETTER_CHARGE_COMPENSATION] = "charge-compensation",
};

static void
charge_values (Builder *b, const DsLetterCharge *charge)
{
	const char *language = b->letter->language;

	ds_template_values_set (b->values, "charge.invoice",
				charge->invoice_id);
	ds_template_values_set (b->values, "charge.id", charge->id);
	ds_template_values_set (b->values, "charge.basis", charge->basis);
	ds_template_values_set (b->values, "charge.included",
				charge->included ? "yes" : "");
	ds_template_values_take (b->values, "charge.date",
		ds_render_format_date (charge->date, language, FALSE));
	ds_template_values_take (b->values, "charge.from",
		ds_render_format_date (charge->from, language, FALSE));
	ds_template_values_take (b->values, "charge.to",
		ds_render_format_date (charge->to, language, FALSE));
	ds_template_values_take (b->values, "charge.days",
				 g_strdup_printf ("%d", charge->days));
	ds_template_values_take (b->values, "charge.rate",
				 ds_render_format_rate (charge->rate_bp,
							 language));
	ds_template_values_take (b->values, "charge.principal",
		ds_render_format_amount (charge->principal,
					 b->letter->currency, language,
					 TRUE));
}

/* One line under the table, and one row of the charges list. */
static void
add_charge (Builder *b, const DsLetterCharge *charge)
{
	DsTemplateValues *row = ds_template_values_add_row (b->values,
							    "charges");
	g_autofree char *amount = ds_render_format_amount (
		charge->amount, b->letter->currency, b->letter->language,
		TRUE);
	DsRenderPair pair;

	charge_values (b, charge);
	pair.label = label (b, charge_sections[charge->kind],
			    DS_RENDER_REGULAR);
	pair.value = put (b, DS_RENDER_REGULAR, "charge", amount);
	if (pair.label == NULL || pair.value == NULL)
		return;
	g_array_append_val (b->content->charges, pair);
	ds_template_values_set (row, "charge.text", pair.label);
	ds_template_values_set (row, "charge.amount", pair.value);
}

static void
build_table (Builder *b)
{
	static const char *const headings[DS_RENDER_COLUMNS] = {
		"invoice", "issue-date", "due-date", "amount", "paid", "open",
		"days-overdue",
	};
	const DsLetter *letter = b->letter;
	DsRenderContent *content = b->content;

	for (int i = 0; i < DS_RENDER_COLUMNS; i++)
		content->column_labels[i] = label (b, headings[i],
						   DS_RENDER_BOLD);
	content->reference_label = label (b, "item-reference",
					  DS_RENDER_REGULAR);
	for (guint i = 0; i < letter->items->len && b->error == NULL; i++)
		add_item (b, g_ptr_array_index (letter->items, i));
	for (guint i = 0; letter->charges != NULL &&
			  i < letter->charges->len && b->error == NULL; i++)
		add_charge (b, g_ptr_array_index (letter->charges, i));
	if (letter->event != NULL)
		return;		/* asks for nothing: no total */
	content->total.label = label (b, "total", DS_RENDER_BOLD);
	content->total.value = put (b, DS_RENDER_BOLD, "total",
				    ds_template_values_get (b->values,
							    "total"));
	if (letter->deadline != DS_DATE_NONE) {
		content->deadline.label = label (b, "deadline",
						 DS_RENDER_BOLD);
		content->deadline.value = put
			(b, DS_RENDER_BOLD, "deadline",
			 ds_template_values_get (b->values, "deadline"));
	}
}

/* EPC QR for EUR transfers; left out when the data does not allow one. */
static void
build_payment_code (Builder *b)
{
	const DsLetter *letter = b->letter;
	const DsEntity *entity = letter->entity;
	g_autofree char *payload = NULL;
	g_autoptr (GError) local = NULL;

	if (g_strcmp0 (letter->currency, "EUR") != 0 ||
	    is_empty (entity->iban) || b->error != NULL)
		return;
	payload = ds_barcode_epc_payload (entity->name, entity->iban,
					  entity->bic, letter->total,
					  letter->trace_id, &local);
	if (payload == NULL) {
		g_debug ("%s: no EPC QR code: %s", letter->trace_id,
			 local->message);
		return;
	}
	b->content->payment_code = ds_barcode_qr (payload, &b->error);
	b->content->qr_caption = label (b, "qr-caption", DS_RENDER_REGULAR);
}

static void
build_payment (Builder *b)
{
	const DsLetter *letter = b->letter;
	const DsEntity *entity = letter->entity;
	DsRenderContent *content = b->content;
	g_autofree char *iban = iban_grouped (entity->iban);

	content->payment_heading = label (b, "payment", DS_RENDER_BOLD);
	add_pair (b, content->payment, "payee", "entity.name", entity->name);
	add_pair (b, content->payment, "iban", "entity.iban", iban);
	add_pair (b, content->payment, "bic", "entity.bic", entity->bic);
	add_pair (b, content->payment, "payment-reference", "trace_id",
		  letter->trace_id);
	add_pair (b, content->payment, "payment-amount", "total",
		  ds_template_values_get (b->values, "total"));
	build_payment_code (b);
}

static void
build_footer (Builder *b)
{
	const DsEntity *entity = b->letter->entity;
	g_autofree char *country = ds_render_country_name
		(entity->country ? entity->country : "", b->letter->language);
	g_autofree char *city = JOIN (" ", entity->postal_code, entity->city);
	g_autofree char *address = JOIN (" · ", entity->name, entity->street,
					 city, country);
	const char *vat = label (b, "vat-id", DS_RENDER_REGULAR);
	g_autofree char *iban = iban_grouped (entity->iban);
	GString *legal = g_string_new (NULL);

	if (!is_empty (entity->vat_id))
		g_string_append_printf (legal, "%s %s", vat ? vat : "",
					entity->vat_id);
	if (!is_empty (entity->iban))
		g_string_append_printf (legal, "%sIBAN %s",
					legal->len ? " · " : "", iban);
	if (!is_empty (entity->bic))
		g_string_append_printf (legal, "%sBIC %s",
					legal->len ? " · " : "", entity->bic);
	g_ptr_array_add (b->content->footer_lines,
			 (gpointer) put (b, DS_RENDER_REGULAR, "entity",
					 address));
	g_ptr_array_add (b->content->footer_lines,
			 (gpointer) put (b, DS_RENDER_REGULAR, "entity",
					 legal->str));
	g_string_free (legal, TRUE);
}

static void
build_continuation (Builder *b)
{
	const DsLetter *letter = b->letter;
	const char *number = label (b, "customer-number", DS_RENDER_REGULAR);
	const char *reference = label (b, "reference", DS_RENDER_REGULAR);
	g_autofree char *text = NULL;

	if (b->error != NULL)
		return;
	text = g_strdup_printf ("%s · %s %s · %s %s · %s",
				letter->entity->name, number,
				letter->customer->customer_id, reference,
				letter->trace_id,
				ds_template_values_get (b->values, "date"));
	b->content->continuation = put (b, DS_RENDER_REGULAR, "continuation",
					text);
}

typedef struct {
	const DsTemplate *template;
	DsTemplateValues *values;
	const DsFont *font;
} PageLabel;

static char *
page_label_cb (gpointer data, int page, int pages, GError **error)
{
	PageLabel *page_label = data;
	g_autofree char *raw = NULL;
	char *clean = NULL;

	ds_template_values_take (page_label->values, "page",
				 g_strdup_printf ("%d", page));
	ds_template_values_take (page_label->values, "pages",
				 g_strdup_printf ("%d", pages));
	raw = ds_template_expand (page_label->template, page_label->values,
				  DS_TEMPLATE_PLAIN, error);
	if (raw == NULL ||
	    !ds_render_text_clean (raw, "page label", &clean, error))
		return NULL;
	if (!ds_render_text_check (page_label->font, clean,
				   ds_template_origin (page_label->template),
				   error)) {
		g_free (clean);
		return NULL;
	}
	return clean;
}

static void
build_content (Builder *b)
{
	DsRenderContent *content = b->content;

	set_values (b);
	build_sender (b);
	build_recipient (b);
	build_info (b);
	content->subject = expand (b, b->step->letter, "subject",
				   DS_RENDER_BOLD);
	content->salutation = expand (b, b->step->letter, "salutation",
				      DS_RENDER_REGULAR);
	build_table (b);	/* first: the body may use items */
	build_body (b);
	if (b->letter->event == NULL)
		build_payment (b);
	content->closing = expand (b, b->step->letter, "closing",
				   DS_RENDER_REGULAR);
	build_footer (b);
	build_continuation (b);
}

/* ---- the e-mail ---- */

static gboolean
render_mail (Builder *b, DsRendered *rendered, GError **error)
{
	const Step *step = b->step;
	g_autofree char *subject = NULL;
	g_autofree char *text = NULL;
	g_autofree char *html = NULL;

	subject = ds_template_expand (g_hash_table_lookup (step->mail,
							   "subject"),
				      b->values, DS_TEMPLATE_PLAIN, error);
	text = subject ? ds_template_expand (g_hash_table_lookup (step->mail,
								  "text"),
					     b->values, DS_TEMPLATE_PLAIN,
					     error) : NULL;
	html = text ? ds_template_expand (step->html, b->values,
					  DS_TEMPLATE_HTML, error) : NULL;
	if (html == NULL)
		return FALSE;
	return ds_render_text_clean (subject, "mail subject",
				     &rendered->subject, error) &&
	       ds_render_text_clean_lines (text, "mail text",
					   &rendered->text, error) &&
	       ds_render_text_clean_lines (html, "mail html",
					   &rendered->html, error);
}

/* ---- rendering ---- */

/* What every letter must carry; the rest may be empty. */
static gboolean
check_letter (const DsLetter *letter, GError **error)
{
	const char *missing = NULL;

	if (is_empty (letter->trace_id))
		missing = "trace id";
	else if (letter->entity == NULL || is_empty (letter->entity->name))
		missing = "sender";
	else if (letter->customer == NULL ||
		 is_empty (letter->customer->name))
		missing = "recipient";
	else if (letter->items == NULL)
		missing = "items";
	else if (!ds_currency_valid (letter->currency))
		missing = "currency";
	if (missing == NULL)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s: the letter has no %s",
		     letter->trace_id ? letter->trace_id : "-", missing);
	return FALSE;
}

static gboolean
find_templates (const DsRenderer *renderer, const DsLetter *letter,
		Builder *b, GError **error)
{
	const char *broken = NULL;

	b->language = g_hash_table_lookup (renderer->languages,
					   letter->language ? letter->language
							    : "");
	b->step = b->language != NULL ?
		  g_hash_table_lookup (b->language->steps,
				       letter->step ? letter->step : "") :
		  NULL;
	if (b->language != NULL && b->language->labels_broken != NULL)
		broken = b->language->labels_broken;
	else if (b->language != NULL)
		broken = g_hash_table_lookup (b->language->broken,
					      letter->step ? letter->step
							   : "");
	if (broken != NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "%s: template broken: %s", letter->trace_id,
			     broken);
		return FALSE;
	}
	if (b->step != NULL)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s: no templates for language \"%s\" step \"%s\" in %s",
		     letter->trace_id,
		     letter->language ? letter->language : "",
		     letter->step ? letter->step : "", renderer->template_dir);
	return FALSE;
}

DsRendered *
ds_renderer_render (DsRenderer *renderer, const DsLetter *letter,
		    GError **error)
{
	g_autoptr (DsRenderContent) content = content_new ();
	g_autoptr (DsTemplateValues) values = ds_template_values_new ();
	g_autoptr (DsRenderLayout) layout = NULL;
	g_autoptr (DsRendered) rendered = g_new0 (DsRendered, 1);
	Builder b = { renderer, letter, NULL, NULL, values, content, NULL };
	const DsRenderProfile *profile;
	PageLabel page_label;
	DsRenderInfo info;

	if (!check_letter (letter, error) ||
	    !find_templates (renderer, letter, &b, error))
		return NULL;
	profile = ds_render_profile_for (letter->entity, error);
	if (profile == NULL)
		return NULL;
	build_content (&b);
	if (b.error != NULL) {
		g_propagate_prefixed_error (error, b.error, "%s: ",
					    letter->trace_id);
		return NULL;
	}

	page_label.template = g_hash_table_lookup (b.language->labels,
						   "page");
	page_label.values = values;
	page_label.font = renderer->fonts[DS_RENDER_REGULAR];
	content->page_label = page_label_cb;
	content->page_label_data = &page_label;
	layout = ds_render_layout_compose
		(profile, (const DsFont *const *) renderer->fonts, content,
		 error);
	if (layout == NULL)
		return NULL;

	info.title = content->subject;
	info.author = content->letterhead_name;
	info.date = letter->date;
	rendered->pdf = ds_render_pdf (layout,
				       (const DsFont *const *) renderer->fonts,
				       &info, error);
	rendered->pages = layout->pages;
	if (rendered->pdf == NULL || !render_mail (&b, rendered, error))
		return NULL;
	return g_steal_pointer (&rendered);
}
