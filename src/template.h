/*
 * template.h -- document templates: plain text with named placeholders,
 * conditional parts and loops over lists; never executable.
 *
 * Syntax:
 *
 *   {{customer.name}}              the value of a name
 *   {{#each items}} .. {{/each}}   once per row of a list; inside, the
 *                                  row's fields ({{item.invoice}}) and
 *                                  every outer name
 *   {{#if deadline}} .. {{else}} .. {{/if}}
 *                                  by whether a value is non-empty (or a
 *                                  list has rows)
 *   {{! a comment }}               dropped
 *
 * A line that holds nothing but one block tag ({{#each}}, {{/each}},
 * {{#if}}, {{else}}, {{/if}}) or a comment disappears with its line end,
 * so blocks can stand on lines of their own.  Anything else, a lone brace
 * included, is literal text; a tag never spans lines.
 *
 * Names are checked against a schema when a template is parsed: an
 * unknown name, a field used outside its loop, an unclosed block or a
 * malformed tag is a DS_ERROR_CONFIG naming file and line, so a broken
 * template fails when it is loaded, not when a letter needs it.
 *
 * A section file holds several templates, each under a line "[name]" of
 * its own ("[subject]", "[body]", ...); before the first, only blank
 * lines and comment lines.  Blank lines around a section's text are
 * dropped, and so is its last line end.
 *
 * Expansion copies values verbatim, or for HTML with & < > " ' escaped,
 * so that no value can add markup.  Every name the template uses must
 * have been set: one that was not is a DS_ERROR_PERMANENT naming it,
 * never an empty string in its place.
 */
#ifndef DS_TEMPLATE_H
#define DS_TEMPLATE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	const char *name;		/* {{#each NAME}} */
	const char *const *fields;	/* valid inside; NULL-terminated */
} DsTemplateList;

typedef struct {
	const char *const *names;	/* NULL-terminated */
	const DsTemplateList *lists;	/* ends with { NULL, NULL }; or NULL */
} DsTemplateSchema;

typedef enum {
	DS_TEMPLATE_PLAIN,
	DS_TEMPLATE_HTML,
} DsTemplateEscape;

typedef struct _DsTemplate DsTemplate;
typedef struct _DsTemplateValues DsTemplateValues;

/* `file` and `first_line` only name the text in messages. */
DsTemplate *ds_template_parse (const char *text, const char *file,
			       int first_line, const DsTemplateSchema *schema,
			       GError **error);
DsTemplate *ds_template_load (const char *path,
			      const DsTemplateSchema *schema, GError **error);
void ds_template_free (DsTemplate *template);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsTemplate, ds_template_free)

/* "templates/de/first.letter [body]": where the template came from. */
const char *ds_template_origin (const DsTemplate *template);

/* Section name to DsTemplate (owned by the table). */
GHashTable *ds_template_load_sections (const char *path,
				       const DsTemplateSchema *schema,
				       GError **error);

char *ds_template_expand (const DsTemplate *template,
			  const DsTemplateValues *values,
			  DsTemplateEscape escape, GError **error);

DsTemplateValues *ds_template_values_new (void);
void ds_template_values_free (DsTemplateValues *values);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsTemplateValues, ds_template_values_free)

void ds_template_values_set (DsTemplateValues *values, const char *name,
			     const char *value);
void ds_template_values_take (DsTemplateValues *values, const char *name,
			      char *value);
const char *ds_template_values_get (const DsTemplateValues *values,
				    const char *name);

/* A new, empty row at the end of `list`; owned by `values`. */
DsTemplateValues *ds_template_values_add_row (DsTemplateValues *values,
					      const char *list);

G_END_DECLS

#endif
