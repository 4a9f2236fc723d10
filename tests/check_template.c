/*
 * check_template.c -- templates substitute, loop, choose and escape, and
 * every mistake in one is an error naming its file and line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"
#include "template.h"
#include "testutil.h"

static const char *const names[] = {
	"customer.name", "total", "deadline", "note", NULL,
};
static const char *const item_fields[] = {
	"item.invoice", "item.open", NULL,
};
static const DsTemplateList lists[] = {
	{ "items", item_fields }, { NULL, NULL },
};
static const DsTemplateSchema schema = { names, lists };

static DsTemplateValues *
sample_values (guint items)
{
	DsTemplateValues *values = ds_template_values_new ();

	ds_template_values_set (values, "customer.name", "Beispiel AG");
	ds_template_values_set (values, "total", "1.355,90 EUR");
	ds_template_values_set (values, "deadline", "");
	ds_template_values_set (values, "note", "<b>Tom & \"Jerry\"</b> 'x'");
	for (guint i = 0; i < items; i++) {
		DsTemplateValues *row = ds_template_values_add_row (values,
								    "items");

		ds_template_values_take (row, "item.invoice",
					 g_strdup_printf ("INV-%u", i + 1));
		ds_template_values_take (row, "item.open",
					 g_strdup_printf ("%u,00 EUR",
							  (i + 1) * 10));
	}
	return values;
}

static char *
expand (const char *text, DsTemplateValues *values, DsTemplateEscape escape)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsTemplate) template = ds_template_parse
		(text, "test.txt", 1, &schema, &error);
	char *out;

	ck_assert_msg (template != NULL, "%s", error ? error->message : "");
	out = ds_template_expand (template, values, escape, &error);
	ck_assert_msg (out != NULL, "%s", error ? error->message : "");
	return out;
}

static const struct {
	const char *text;
	guint items;
	const char *expected;
} expansions[] = {
	/* placeholders, with and without blanks inside the braces */
	{ "Dear {{customer.name}}, you owe {{ total }}.", 0,
	  "Dear Beispiel AG, you owe 1.355,90 EUR." },
	/* a lone brace and unknown-looking text are literal */
	{ "a { b } c {x}", 0, "a { b } c {x}" },
	/* a loop, with outer names inside it */
	{ "{{#each items}}{{item.invoice}}={{item.open}} ({{customer.name}})\n"
	  "{{/each}}", 2,
	  "INV-1=10,00 EUR (Beispiel AG)\nINV-2=20,00 EUR (Beispiel AG)\n" },
	/* block tags on their own lines vanish with their line ends */
	{ "Items:\n{{#each items}}\n- {{item.invoice}}\n{{/each}}\nend", 3,
	  "Items:\n- INV-1\n- INV-2\n- INV-3\nend" },
	/* an empty list repeats nothing */
	{ "[{{#each items}}{{item.invoice}}{{/each}}]", 0, "[]" },
	/* conditions on values and on lists */
	{ "{{#if deadline}}by {{deadline}}{{else}}now{{/if}}", 0, "now" },
	{ "{{#if customer.name}}yes{{/if}}", 0, "yes" },
	{ "{{#if items}}some{{else}}none{{/if}}", 0, "none" },
	{ "{{#if items}}some{{else}}none{{/if}}", 1, "some" },
	/* comments are dropped, standalone ones with their line */
	{ "a{{! not shown }}b\n{{! a whole line }}\nc", 0, "ab\nc" },
};

START_TEST (test_template_expands)
{
	g_autoptr (DsTemplateValues) values = sample_values
		(expansions[_i].items);
	g_autofree char *out = expand (expansions[_i].text, values,
				       DS_TEMPLATE_PLAIN);

	ck_assert_str_eq (out, expansions[_i].expected);
}
END_TEST

START_TEST (test_template_html_escapes_every_value)
{
	g_autoptr (DsTemplateValues) values = sample_values (1);
	g_autofree char *html = expand ("<p>{{note}}</p>{{#each items}}"
					"<td>{{item.invoice}}</td>{{/each}}",
					values, DS_TEMPLATE_HTML);
	g_autofree char *plain = expand ("{{note}}", values,
					 DS_TEMPLATE_PLAIN);

	/* the template's own markup stays, the value's is escaped */
	ck_assert_str_eq (html, "<p>&lt;b&gt;Tom &amp; &quot;Jerry&quot;"
			  "&lt;/b&gt; &apos;x&apos;</p><td>INV-1</td>");
	ck_assert_str_eq (plain, "<b>Tom & \"Jerry\"</b> 'x'");
}
END_TEST

static const struct {
	const char *text;
	const char *message;
} broken[] = {
	{ "Hello\n\nDear {{customer.nmae}},", "test.txt:3: unknown "
	  "placeholder {{customer.nmae}}" },
	{ "{{item.invoice}}", "test.txt:1: unknown placeholder "
	  "{{item.invoice}}" },
	{ "{{#each invoices}}{{/each}}", "test.txt:1: unknown list" },
	{ "a\n{{#each items}}\nx", "test.txt:2: {{#each items}} is never "
	  "closed" },
	{ "{{/if}}", "test.txt:1: {{/if}} without its opening tag" },
	{ "{{#if total}}{{/each}}", "test.txt:1: {{/each}} without" },
	{ "a\nb {{total", "test.txt:2: \"{{\" without \"}}\"" },
	{ "{{#if}}x{{/if}}", "test.txt:1: malformed tag {{#if}}" },
	{ "{{total | upper}}", "test.txt:1: malformed tag" },
	{ "{{else}}", "test.txt:1: {{else}} outside {{#if}}" },
};

START_TEST (test_template_errors_name_file_and_line)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsTemplate) template = ds_template_parse
		(broken[_i].text, "test.txt", 1, &schema, &error);

	ck_assert (template == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	ck_assert_msg (strstr (error->message, broken[_i].message) != NULL,
		       "\"%s\" lacks \"%s\"", error->message,
		       broken[_i].message);
}
END_TEST

START_TEST (test_template_missing_value_is_an_error)
{
	g_autoptr (DsTemplateValues) values = ds_template_values_new ();
	g_autoptr (DsTemplate) template = ds_template_parse
		("x {{total}}", "test.txt", 1, &schema, NULL);
	g_autoptr (GError) error = NULL;
	g_autofree char *out = ds_template_expand (template, values,
						   DS_TEMPLATE_PLAIN, &error);

	ck_assert (out == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert (strstr (error->message, "{{total}}") != NULL);
}
END_TEST

START_TEST (test_template_sections)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = ds_test_write
		(dir, "first.letter",
		 "{{! a comment line may open the file }}\n"
		 "\n"
		 "[subject]\n"
		 "Notice for {{customer.name}}\n"
		 "\n"
		 "[body]\n"
		 "\n"
		 "Line one\n"
		 "line two\n"
		 "\n");
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) sections = ds_template_load_sections
		(path, &schema, &error);
	g_autoptr (DsTemplateValues) values = sample_values (0);
	g_autofree char *subject = NULL;
	g_autofree char *body = NULL;
	g_autofree char *origin = NULL;

	ck_assert_msg (sections != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq (g_hash_table_size (sections), 2);
	subject = ds_template_expand (g_hash_table_lookup (sections,
							   "subject"),
				      values, DS_TEMPLATE_PLAIN, NULL);
	body = ds_template_expand (g_hash_table_lookup (sections, "body"),
				   values, DS_TEMPLATE_PLAIN, NULL);
	ck_assert_str_eq (subject, "Notice for Beispiel AG");
	ck_assert_str_eq (body, "Line one\nline two");
	origin = g_strdup_printf ("%s [body]", path);
	ck_assert_str_eq (ds_template_origin (g_hash_table_lookup
					      (sections, "body")), origin);
	ds_test_rmtree (dir);
}
END_TEST

/* An error inside a section names the line of the file, not of the
 * section. */
START_TEST (test_template_section_error_line)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = ds_test_write
		(dir, "first.letter",
		 "[subject]\nok {{total}}\n\n[body]\n\nfine\n"
		 "{{customer.nmae}}\n");
	g_autofree char *expected = g_strdup_printf
		("%s:7: unknown placeholder {{customer.nmae}}", path);
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) sections = ds_template_load_sections
		(path, &schema, &error);

	ck_assert (sections == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG));
	ck_assert_str_eq (error->message, expected);
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_template_text_outside_sections)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = ds_test_write (dir, "x.mail",
					       "stray\n[subject]\nx\n");
	g_autoptr (GError) error = NULL;
	g_autoptr (GHashTable) sections = ds_template_load_sections
		(path, &schema, &error);

	ck_assert (sections == NULL);
	ck_assert (strstr (error->message, ":1: text before the first") !=
		   NULL);
	ds_test_rmtree (dir);
}
END_TEST

static Suite *
template_suite (void)
{
	Suite *suite = suite_create ("template");
	TCase *tc = tcase_create ("core");

	tcase_add_loop_test (tc, test_template_expands, 0,
			     G_N_ELEMENTS (expansions));
	tcase_add_test (tc, test_template_html_escapes_every_value);
	tcase_add_loop_test (tc, test_template_errors_name_file_and_line, 0,
			     G_N_ELEMENTS (broken));
	tcase_add_test (tc, test_template_missing_value_is_an_error);
	tcase_add_test (tc, test_template_sections);
	tcase_add_test (tc, test_template_section_error_line);
	tcase_add_test (tc, test_template_text_outside_sections);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (template_suite ());
	int failed;

	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
