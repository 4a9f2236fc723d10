/*
 * template.c -- parse, check and expand document templates.
 * See template.h for the language.
 *
 * A template is parsed once into a tree of nodes (literal text, value,
 * loop, condition); every name in it is checked against the schema while
 * the tree is built, with the scope of the loops around it.  Expansion
 * walks the tree; it cannot fail on a checked template except for a
 * value the caller forgot to set.
 */
#include "template.h"

#include <string.h>

#include "ds-error.h"

typedef enum {
	TAG_VALUE,
	TAG_EACH,
	TAG_END_EACH,
	TAG_IF,
	TAG_ELSE,
	TAG_END_IF,
	TAG_COMMENT,
} TagKind;

typedef struct {
	gboolean is_tag;
	TagKind kind;
	char *text;		/* literal text, or the tag's name */
	int line;
} Token;

typedef enum {
	NODE_TEXT,
	NODE_VALUE,
	NODE_EACH,
	NODE_IF,
} NodeKind;

typedef struct {
	NodeKind kind;
	char *text;		/* literal text or name */
	int line;
	GPtrArray *body;	/* EACH, IF: of Node */
	GPtrArray *otherwise;	/* IF after {{else}}; may be NULL */
	gboolean list;		/* IF: tests whether a list has rows */
} Node;

struct _DsTemplate {
	char *origin;
	char *file;
	GPtrArray *nodes;
};

struct _DsTemplateValues {
	GHashTable *strings;	/* name -> value */
	GHashTable *lists;	/* name -> GPtrArray of DsTemplateValues */
	const DsTemplateValues *parent;
};

static void
token_free (gpointer data)
{
	Token *token = data;

	g_free (token->text);
	g_free (token);
}

static void
node_free (gpointer data)
{
	Node *node = data;

	if (node == NULL)
		return;
	g_free (node->text);
	if (node->body != NULL)
		g_ptr_array_unref (node->body);
	if (node->otherwise != NULL)
		g_ptr_array_unref (node->otherwise);
	g_free (node);
}

static gboolean
fail_at (GError **error, const char *file, int line, const char *format,
	 ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail_at (GError **error, const char *file, int line, const char *format,
	 ...)
{
	va_list args;
	g_autofree char *why = NULL;

	va_start (args, format);
	why = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s:%d: %s", file,
		     line, why);
	return FALSE;
}

/* ---- tokens ---- */

static gboolean
name_valid (const char *name)
{
	if (*name == '\0')
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' &&
		    *p != '-')
			return FALSE;
	return TRUE;
}

/* What is between "{{" and "}}", already trimmed. */
static gboolean
read_tag (const char *content, Token *token)
{
	static const struct {
		const char *word;
		TagKind kind;
		gboolean takes_name;
	} forms[] = {
		{ "#each", TAG_EACH, TRUE }, { "/each", TAG_END_EACH, FALSE },
		{ "#if", TAG_IF, TRUE }, { "else", TAG_ELSE, FALSE },
		{ "/if", TAG_END_IF, FALSE },
	};

	token->is_tag = TRUE;
	if (content[0] == '!') {
		token->kind = TAG_COMMENT;
		return TRUE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS (forms); i++) {
		gsize length = strlen (forms[i].word);
		const char *rest = content + length;

		if (strncmp (content, forms[i].word, length) != 0 ||
		    (*rest != '\0' && *rest != ' '))
			continue;
		while (*rest == ' ')
			rest++;
		token->kind = forms[i].kind;
		if (forms[i].takes_name != (*rest != '\0'))
			return FALSE;
		token->text = g_strdup (rest);
		return !forms[i].takes_name || name_valid (rest);
	}
	token->kind = TAG_VALUE;
	token->text = g_strdup (content);
	return name_valid (content);
}

static void
add_text (GPtrArray *tokens, const char *text, gsize length, int line)
{
	Token *token;

	if (length == 0)
		return;
	token = g_new0 (Token, 1);
	token->text = g_strndup (text, length);
	token->line = line;
	g_ptr_array_add (tokens, token);
}

static gboolean
only_blank (const char *text)
{
	for (; *text != '\0'; text++)
		if (*text != ' ' && *text != '\t' && *text != '\r' &&
		    *text != '\n')
			return FALSE;
	return TRUE;
}

/*
 * A line with one block tag or comment and blanks around it: keep the
 * tag, drop the blanks and the line end.
 */
static void
drop_standalone (GPtrArray *tokens, guint first)
{
	guint tags = 0;
	Token *tag = NULL;

	for (guint i = first; i < tokens->len; i++) {
		Token *token = g_ptr_array_index (tokens, i);

		if (token->is_tag) {
			tags++;
			tag = token;
		} else if (!only_blank (token->text)) {
			return;
		}
	}
	if (tags != 1 || tag->kind == TAG_VALUE)
		return;
	for (guint i = tokens->len; i > first; i--) {
		Token *token = g_ptr_array_index (tokens, i - 1);

		if (!token->is_tag)
			g_ptr_array_remove_index (tokens, i - 1);
	}
}

static gboolean
tokenize_line (GPtrArray *tokens, const char *line, const char *file,
	       int number, GError **error)
{
	const char *p = line;
	const char *open;

	while ((open = strstr (p, "{{")) != NULL) {
		const char *close = strstr (open + 2, "}}");
		g_autofree char *content = NULL;
		Token *token;

		if (close == NULL)
			return fail_at (error, file, number,
					"\"{{\" without \"}}\"");
		add_text (tokens, p, open - p, number);
		content = g_strstrip (g_strndup (open + 2,
						 close - open - 2));
		token = g_new0 (Token, 1);
		token->line = number;
		g_ptr_array_add (tokens, token);
		if (!read_tag (content, token))
			return fail_at (error, file, number,
					"malformed tag {{%s}}", content);
		p = close + 2;
	}
	add_text (tokens, p, strlen (p), number);
	return TRUE;
}

static GPtrArray *
tokenize (const char *text, const char *file, int first_line,
	  GError **error)
{
	g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func
		(token_free);
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		guint first = tokens->len;
		int number = first_line + (int) i;

		if (!tokenize_line (tokens, lines[i], file, number, error))
			return NULL;
		if (lines[i + 1] != NULL)
			add_text (tokens, "\n", 1, number);
		drop_standalone (tokens, first);
	}
	return g_steal_pointer (&tokens);
}

/* ---- tree and names ---- */

typedef struct {
	const DsTemplateSchema *schema;
	const char *file;
	GPtrArray *loops;	/* of const DsTemplateList *, innermost last */
} Scope;

static const DsTemplateList *
schema_list (const DsTemplateSchema *schema, const char *name)
{
	if (schema->lists == NULL)
		return NULL;
	for (const DsTemplateList *list = schema->lists; list->name != NULL;
	     list++)
		if (strcmp (list->name, name) == 0)
			return list;
	return NULL;
}

static gboolean
in_names (const char *const *names, const char *name)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp (*names, name) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
name_known (const Scope *scope, const char *name)
{
	if (in_names (scope->schema->names, name))
		return TRUE;
	for (guint i = 0; i < scope->loops->len; i++) {
		const DsTemplateList *list = g_ptr_array_index (scope->loops,
								i);

		if (in_names (list->fields, name))
			return TRUE;
	}
	return FALSE;
}

static Node *
node_new (NodeKind kind, const Token *token)
{
	Node *node = g_new0 (Node, 1);

	node->kind = kind;
	node->text = g_strdup (token->text);
	node->line = token->line;
	if (kind == NODE_EACH || kind == NODE_IF)
		node->body = g_ptr_array_new_with_free_func (node_free);
	return node;
}

static gboolean build (Scope *scope, GPtrArray *tokens, guint *position,
		       GPtrArray *into, Node *block, GError **error);

static gboolean
build_block (Scope *scope, GPtrArray *tokens, guint *position,
	     GPtrArray *into, const Token *token, GError **error)
{
	const DsTemplateList *list = NULL;
	Node *node;
	gboolean ok;

	if (token->kind == TAG_EACH) {
		list = schema_list (scope->schema, token->text);
		if (list == NULL)
			return fail_at (error, scope->file, token->line,
					"unknown list {{#each %s}}",
					token->text);
	} else if (!name_known (scope, token->text) &&
		   schema_list (scope->schema, token->text) == NULL) {
		return fail_at (error, scope->file, token->line,
				"unknown placeholder {{#if %s}}",
				token->text);
	}
	node = node_new (token->kind == TAG_EACH ? NODE_EACH : NODE_IF,
			 token);
	node->list = token->kind == TAG_IF &&
		     !name_known (scope, token->text);
	g_ptr_array_add (into, node);
	if (list != NULL)
		g_ptr_array_add (scope->loops, (gpointer) list);
	ok = build (scope, tokens, position, node->body, node, error);
	if (list != NULL)
		g_ptr_array_remove_index (scope->loops,
					  scope->loops->len - 1);
	return ok;
}

/* Does `token` close or split `block`?  Sets *done when it closes it. */
static gboolean
end_block (Scope *scope, const Token *token, Node *block,
	   GPtrArray **into, gboolean *done, GError **error)
{
	gboolean in_each = block != NULL && block->kind == NODE_EACH;
	gboolean in_if = block != NULL && block->kind == NODE_IF;

	if (token->kind == TAG_ELSE) {
		if (!in_if || block->otherwise != NULL)
			return fail_at (error, scope->file, token->line,
					"{{else}} outside {{#if}}");
		block->otherwise = g_ptr_array_new_with_free_func (node_free);
		*into = block->otherwise;
		return TRUE;
	}
	if ((token->kind == TAG_END_EACH && !in_each) ||
	    (token->kind == TAG_END_IF && !in_if))
		return fail_at (error, scope->file, token->line,
				"{{/%s}} without its opening tag",
				token->kind == TAG_END_EACH ? "each" : "if");
	*done = TRUE;
	return TRUE;
}

static gboolean
build (Scope *scope, GPtrArray *tokens, guint *position, GPtrArray *into,
       Node *block, GError **error)
{
	while (*position < tokens->len) {
		const Token *token = g_ptr_array_index (tokens, (*position)++);
		gboolean done = FALSE;

		if (!token->is_tag) {
			g_ptr_array_add (into, node_new (NODE_TEXT, token));
			continue;
		}
		switch (token->kind) {
		case TAG_COMMENT:
			break;
		case TAG_VALUE:
			if (!name_known (scope, token->text))
				return fail_at (error, scope->file,
						token->line,
						"unknown placeholder {{%s}}",
						token->text);
			g_ptr_array_add (into, node_new (NODE_VALUE, token));
			break;
		case TAG_EACH:
		case TAG_IF:
			if (!build_block (scope, tokens, position, into,
					  token, error))
				return FALSE;
			break;
		default:
			if (!end_block (scope, token, block, &into, &done,
					error))
				return FALSE;
			if (done)
				return TRUE;
		}
	}
	if (block != NULL)
		return fail_at (error, scope->file, block->line,
				"{{#%s %s}} is never closed",
				block->kind == NODE_EACH ? "each" : "if",
				block->text);
	return TRUE;
}

DsTemplate *
ds_template_parse (const char *text, const char *file, int first_line,
		   const DsTemplateSchema *schema, GError **error)
{
	g_autoptr (GPtrArray) tokens = NULL;
	g_autoptr (GPtrArray) loops = g_ptr_array_new ();
	g_autoptr (DsTemplate) template = g_new0 (DsTemplate, 1);
	Scope scope = { schema, file, loops };
	guint position = 0;

	if (!g_utf8_validate (text, -1, NULL)) {
		fail_at (error, file, first_line, "not UTF-8");
		return NULL;
	}
	tokens = tokenize (text, file, first_line, error);
	if (tokens == NULL)
		return NULL;
	template->file = g_strdup (file);
	template->origin = g_strdup (file);
	template->nodes = g_ptr_array_new_with_free_func (node_free);
	if (!build (&scope, tokens, &position, template->nodes, NULL, error))
		return NULL;
	return g_steal_pointer (&template);
}

DsTemplate *
ds_template_load (const char *path, const DsTemplateSchema *schema,
		  GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr (GError) local = NULL;

	if (!g_file_get_contents (path, &text, NULL, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s",
			     local->message);
		return NULL;
	}
	return ds_template_parse (text, path, 1, schema, error);
}

void
ds_template_free (DsTemplate *template)
{
	if (template == NULL)
		return;
	if (template->nodes != NULL)
		g_ptr_array_unref (template->nodes);
	g_free (template->origin);
	g_free (template->file);
	g_free (template);
}

const char *
ds_template_origin (const DsTemplate *template)
{
	return template->origin;
}

/* ---- section files ---- */

/* A line that is nothing but a {{! comment }}. */
static gboolean
comment_line (const char *line)
{
	g_autofree char *copy = g_strstrip (g_strdup (line));

	return g_str_has_prefix (copy, "{{!") && g_str_has_suffix (copy, "}}")
	       && strstr (copy + 3, "}}") == copy + strlen (copy) - 2;
}

/* "[name]" on a line of its own: the name, else NULL. */
static char *
section_header (const char *line)
{
	g_autofree char *copy = g_strstrip (g_strdup (line));
	gsize length = strlen (copy);

	if (length < 3 || copy[0] != '[' || copy[length - 1] != ']')
		return NULL;
	copy[length - 1] = '\0';
	if (!name_valid (copy + 1))
		return NULL;
	return g_strdup (copy + 1);
}

/* Lines first..last (exclusive) without the blank ones at both ends. */
static gboolean
add_section (GHashTable *sections, const char *path, const char *name,
	     char **lines, int first, int last,
	     const DsTemplateSchema *schema, GError **error)
{
	g_autofree char *text = NULL;
	DsTemplate *template;

	if (g_hash_table_contains (sections, name))
		return fail_at (error, path, first, "section [%s] twice",
				name);
	while (first < last && only_blank (lines[first]))
		first++;
	while (last > first && only_blank (lines[last - 1]))
		last--;
	{
		char *saved = lines[last];

		lines[last] = NULL;
		text = g_strjoinv ("\n", lines + first);
		lines[last] = saved;
	}
	template = ds_template_parse (text, path, first + 1, schema, error);
	if (template == NULL)
		return FALSE;
	g_free (template->origin);
	template->origin = g_strdup_printf ("%s [%s]", path, name);
	g_hash_table_insert (sections, g_strdup (name), template);
	return TRUE;
}

GHashTable *
ds_template_load_sections (const char *path, const DsTemplateSchema *schema,
			   GError **error)
{
	g_autoptr (GHashTable) sections = g_hash_table_new_full
		(g_str_hash, g_str_equal, g_free,
		 (GDestroyNotify) ds_template_free);
	g_autofree char *text = NULL;
	g_autofree char *current = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GError) local = NULL;
	int start = 0, count;

	if (!g_file_get_contents (path, &text, NULL, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s",
			     local->message);
		return NULL;
	}
	lines = g_strsplit (text, "\n", -1);
	count = (int) g_strv_length (lines);
	for (int i = 0; i <= count; i++) {
		g_autofree char *name = i < count ?
					section_header (lines[i]) : NULL;

		if (name == NULL && i < count) {
			if (current == NULL && !only_blank (lines[i]) &&
			    !comment_line (lines[i])) {
				fail_at (error, path, i + 1,
					 "text before the first [section]");
				return NULL;
			}
			continue;
		}
		if (current != NULL &&
		    !add_section (sections, path, current, lines, start, i,
				  schema, error))
			return NULL;
		g_free (current);
		current = g_steal_pointer (&name);
		start = i + 1;
	}
	return g_steal_pointer (&sections);
}

/* ---- values ---- */

DsTemplateValues *
ds_template_values_new (void)
{
	DsTemplateValues *values = g_new0 (DsTemplateValues, 1);

	values->strings = g_hash_table_new_full (g_str_hash, g_str_equal,
						 g_free, g_free);
	values->lists = g_hash_table_new_full (g_str_hash, g_str_equal,
					       g_free,
					       (GDestroyNotify)
					       g_ptr_array_unref);
	return values;
}

void
ds_template_values_free (DsTemplateValues *values)
{
	if (values == NULL)
		return;
	g_hash_table_unref (values->strings);
	g_hash_table_unref (values->lists);
	g_free (values);
}

void
ds_template_values_take (DsTemplateValues *values, const char *name,
			 char *value)
{
	g_hash_table_replace (values->strings, g_strdup (name),
			      value != NULL ? value : g_strdup (""));
}

void
ds_template_values_set (DsTemplateValues *values, const char *name,
			const char *value)
{
	ds_template_values_take (values, name, g_strdup (value));
}

const char *
ds_template_values_get (const DsTemplateValues *values, const char *name)
{
	for (; values != NULL; values = values->parent) {
		const char *value = g_hash_table_lookup (values->strings,
							 name);

		if (value != NULL)
			return value;
	}
	return NULL;
}

DsTemplateValues *
ds_template_values_add_row (DsTemplateValues *values, const char *list)
{
	GPtrArray *rows = g_hash_table_lookup (values->lists, list);
	DsTemplateValues *row = ds_template_values_new ();

	if (rows == NULL) {
		rows = g_ptr_array_new_with_free_func
			((GDestroyNotify) ds_template_values_free);
		g_hash_table_insert (values->lists, g_strdup (list), rows);
	}
	row->parent = values;
	g_ptr_array_add (rows, row);
	return row;
}

static GPtrArray *
values_list (const DsTemplateValues *values, const char *name)
{
	for (; values != NULL; values = values->parent) {
		GPtrArray *rows = g_hash_table_lookup (values->lists, name);

		if (rows != NULL)
			return rows;
	}
	return NULL;
}

/* ---- expansion ---- */

static gboolean
missing (const DsTemplate *template, const Node *node, GError **error)
{
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s:%d: no value for {{%s}}", template->file, node->line,
		     node->text);
	return FALSE;
}

static gboolean expand_nodes (const DsTemplate *template, GPtrArray *nodes,
			      const DsTemplateValues *values,
			      DsTemplateEscape escape, GString *out,
			      GError **error);

static gboolean
expand_if (const DsTemplate *template, const Node *node,
	   const DsTemplateValues *values, DsTemplateEscape escape,
	   GString *out, GError **error)
{
	const char *value = NULL;
	GPtrArray *rows = NULL;
	gboolean truth;

	if (node->list) {
		rows = values_list (values, node->text);
		truth = rows != NULL && rows->len > 0;
	} else {
		value = ds_template_values_get (values, node->text);
		if (value == NULL)
			return missing (template, node, error);
		truth = *value != '\0';
	}
	if (truth)
		return expand_nodes (template, node->body, values, escape,
				     out, error);
	if (node->otherwise != NULL)
		return expand_nodes (template, node->otherwise, values,
				     escape, out, error);
	return TRUE;
}

static gboolean
expand_each (const DsTemplate *template, const Node *node,
	     const DsTemplateValues *values, DsTemplateEscape escape,
	     GString *out, GError **error)
{
	GPtrArray *rows = values_list (values, node->text);

	if (rows == NULL)
		return TRUE;	/* a list nobody added rows to is empty */
	for (guint i = 0; i < rows->len; i++)
		if (!expand_nodes (template, node->body,
				   g_ptr_array_index (rows, i), escape, out,
				   error))
			return FALSE;
	return TRUE;
}

static gboolean
expand_nodes (const DsTemplate *template, GPtrArray *nodes,
	      const DsTemplateValues *values, DsTemplateEscape escape,
	      GString *out, GError **error)
{
	for (guint i = 0; i < nodes->len; i++) {
		const Node *node = g_ptr_array_index (nodes, i);
		const char *value;

		switch (node->kind) {
		case NODE_TEXT:
			g_string_append (out, node->text);
			break;
		case NODE_VALUE:
			value = ds_template_values_get (values, node->text);
			if (value == NULL)
				return missing (template, node, error);
			if (escape == DS_TEMPLATE_HTML) {
				g_autofree char *escaped =
					g_markup_escape_text (value, -1);

				g_string_append (out, escaped);
			} else {
				g_string_append (out, value);
			}
			break;
		case NODE_EACH:
			if (!expand_each (template, node, values, escape, out,
					  error))
				return FALSE;
			break;
		case NODE_IF:
			if (!expand_if (template, node, values, escape, out,
					error))
				return FALSE;
			break;
		}
	}
	return TRUE;
}

char *
ds_template_expand (const DsTemplate *template,
		    const DsTemplateValues *values, DsTemplateEscape escape,
		    GError **error)
{
	GString *out = g_string_new (NULL);

	if (!expand_nodes (template, template->nodes, values, escape, out,
			   error)) {
		g_string_free (out, TRUE);
		return NULL;
	}
	return g_string_free (out, FALSE);
}
