/*
 * cli.c -- what the verbs share: common options, parsing, output.
 * See cli.h.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "ds-error.h"

static char *option_root;
gboolean ds_cli_json;

static const GOptionEntry common_options[] = {
	{ "root", 'r', 0, G_OPTION_ARG_FILENAME, &option_root,
	  "Instance root holding dunspool.conf", "DIR" },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &ds_cli_json,
	  "Print one JSON document on stdout", NULL },
	{ NULL }
};

const char *
ds_cli_root (void)
{
	const char *from_env = g_getenv ("DUNSPOOL_ROOT");

	if (option_root != NULL)
		return option_root;
	return from_env != NULL ? from_env : DS_DEFAULT_ROOT;
}

int
ds_cli_fail (GError *error)
{
	g_printerr ("dunspool: %s\n", error->message);
	return EXIT_FAILURE;
}

gboolean
ds_cli_parse (const char *name, const GOptionEntry *extra, int *argc,
       char ***argv, int min_args, int max_args, int *status)
{
	const DsCliVerb *verb = ds_cli_find_verb (name);
	g_autofree char *parameters = g_strdup_printf ("%s %s", verb->name,
						       verb->parameters);
	g_autoptr (GOptionContext) context = g_option_context_new (
		parameters);
	g_autoptr (GError) error = NULL;

	g_option_context_set_summary (context, verb->summary);
	g_option_context_add_main_entries (context, common_options, NULL);
	if (extra != NULL)
		g_option_context_add_main_entries (context, extra, NULL);
	if (!g_option_context_parse (context, argc, argv, &error)) {
		g_printerr ("dunspool %s: %s\n", verb->name, error->message);
		*status = DS_CLI_EXIT_USAGE;
		return FALSE;
	}
	if (*argc - 1 < min_args || (max_args >= 0 &&
				     *argc - 1 > max_args)) {
		g_autofree char *help = g_option_context_get_help (
			context, TRUE, NULL);

		g_printerr ("%s", help);
		*status = DS_CLI_EXIT_USAGE;
		return FALSE;
	}
	return TRUE;
}

void
ds_cli_print_json (JsonNode *root)
{
	g_autoptr (JsonGenerator) generator = json_generator_new ();
	g_autofree char *text = NULL;

	json_generator_set_pretty (generator, TRUE);
	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, NULL);
	printf ("%s\n", text);
	json_node_unref (root);
}

gboolean
ds_cli_parse_date (const char *text, const char *option, DsDate *date)
{
	g_autoptr (GError) error = NULL;

	if (ds_date_parse_iso (text, date, &error))
		return TRUE;
	g_printerr ("dunspool: %s: %s (want YYYY-MM-DD)\n", option,
		    error->message);
	return FALSE;
}

DsInstance *
ds_cli_open_instance (GError **error)
{
	return ds_instance_open (ds_cli_root (), error);
}
