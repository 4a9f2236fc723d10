/*
 * fuzz-template.c -- any bytes as a document template.
 *
 * Parsed against a small schema (plain names, one list with fields);
 * when it parses, expanded with every name set and three rows: as HTML
 * with values made of markup, and as plain text with values "x".
 * Promises checked: a malformed template is an error, never a crash; a
 * template that parsed expands whenever every name it may use is set;
 * in HTML no value adds markup (the HTML output holds exactly as many
 * < > " as the plain one, that is, the template's own).
 */
#include "fuzz.h"

#include <string.h>

#include "template.h"

static const char *const names[] = {
	"customer.name", "deadline", "total", "empty", NULL
};
static const char *const item_fields[] = {
	"item.invoice", "item.amount", NULL
};
static const DsTemplateList lists[] = {
	{ "items", item_fields },
	{ "none", item_fields },
	{ NULL, NULL }
};
static const DsTemplateSchema schema = { names, lists };

#define MARKUP "<b title=\"x\">&'"

/* Every name set (to VALUE, "empty" to ""), and three rows of items. */
static DsTemplateValues *
all_values (const char *value)
{
	DsTemplateValues *values = ds_template_values_new ();

	for (int i = 0; names[i] != NULL; i++)
		ds_template_values_set (values, names[i],
					strcmp (names[i], "empty") == 0 ?
					"" : value);
	for (int row = 0; row < 3; row++) {
		DsTemplateValues *item = ds_template_values_add_row (
			values, "items");

		for (int i = 0; item_fields[i] != NULL; i++)
			ds_template_values_set (item, item_fields[i], value);
	}
	return values;
}

static guint
count_char (const char *text, char c)
{
	guint n = 0;

	for (; *text != '\0'; text++)
		n += *text == c;
	return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup ((const char *) data, size);
	g_autoptr (DsTemplate) template = NULL;
	g_autoptr (DsTemplateValues) markup = NULL;
	g_autoptr (DsTemplateValues) plain = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *reference = NULL;
	g_autofree char *html = NULL;

	fuzz_quiet ();
	template = ds_template_parse (text, "fuzz", 1, &schema, &error);
	if (template == NULL) {
		fuzz_assert (error != NULL, "no template and no reason");
		return 0;
	}
	markup = all_values (MARKUP);
	plain = all_values ("x");
	reference = ds_template_expand (template, plain, DS_TEMPLATE_PLAIN,
					&error);
	fuzz_assert (reference != NULL, "parsed but does not expand: %s",
		     error->message);
	html = ds_template_expand (template, markup, DS_TEMPLATE_HTML,
				   &error);
	fuzz_assert (html != NULL, "parsed but no HTML: %s", error->message);
	/* The same branches are taken with either value set (both are
	 * non-empty), so any markup character beyond the template's own
	 * came from a value. */
	fuzz_assert (count_char (html, '<') == count_char (reference, '<') &&
		     count_char (html, '>') == count_char (reference, '>') &&
		     count_char (html, '"') == count_char (reference, '"'),
		     "a value added markup to HTML");
	return 0;
}
