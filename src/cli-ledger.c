/*
 * cli-ledger.c -- verbs that build and run an instance: init, import,
 * run, replay, demo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cycle.h"
#include "demo.h"
#include "ds-error.h"
#include "import.h"
#include "log.h"

int
ds_cli_verb_init (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	const char *root;
	int status;

	if (!ds_cli_parse ("init", NULL, &argc, &argv, 0, 1, &status))
		return status;
	root = argc > 1 ? argv[1] : ds_cli_root ();
	if (!ds_instance_create (root, &error))
		return ds_cli_fail (error);
	printf ("created instance %s\n", root);
	return EXIT_SUCCESS;
}

static JsonNode *
import_reports_to_json (GPtrArray *reports)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "files");
	json_builder_begin_array (builder);
	for (guint i = 0; i < reports->len; i++)
		ds_import_report_add_json (g_ptr_array_index (reports, i),
					   builder);
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

/*
 * import --errors: each earlier import named, with every row it
 * rejected.  Exit 1 when one is not known.
 */
static int
import_list_errors (DsInstance *instance, char **names)
{
	g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_import_report_free);
	int status = EXIT_SUCCESS;

	for (char **name = names; *name != NULL; name++) {
		g_autoptr (GError) error = NULL;
		DsImportReport *report = ds_import_report_load (
			instance->store, *name, &error);

		if (report == NULL) {
			status = ds_cli_fail (error);
			continue;
		}
		g_ptr_array_add (reports, report);
		if (!ds_cli_json)
			ds_import_report_print (report, stdout, 0);
	}
	if (ds_cli_json)
		ds_cli_print_json (import_reports_to_json (reports));
	return status;
}

int
ds_cli_verb_import (int argc, char **argv)
{
	static char *profile;
	static gboolean list_errors;
	const GOptionEntry options[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
		  "Mapping profile (default: detect from the header)",
		  "NAME" },
		{ "errors", 0, 0, G_OPTION_ARG_NONE, &list_errors,
		  "Import nothing: list every row an earlier import of each "
		  "FILE (or SHA-256, or its first 8 or more hex digits) "
		  "rejected", NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	gint64 rejected = 0;
	int status;

	if (!ds_cli_parse ("import", options, &argc, &argv, 1, -1,
		    &status))
		return status;
	ds_log_set_reported (DS_LOG_IMPORT);
	ds_log_set_reported (DS_LOG_INPUT_REFUSED);
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	if (list_errors)
		return import_list_errors (instance, argv + 1);
	/* argv is NULL-terminated after the verb's options were parsed */
	if (!ds_import_files (instance->store, (const char *const *) argv + 1,
			      instance->config->profiles, profile, &reports,
			      &error))
		return ds_cli_fail (error);
	for (guint i = 0; i < reports->len; i++) {
		DsImportReport *report = g_ptr_array_index (reports, i);

		rejected += report->rejected + (report->refused ? 1 : 0);
		if (!ds_cli_json)
			ds_import_report_print (report, stdout, 20);
	}
	if (ds_cli_json)
		ds_cli_print_json (import_reports_to_json (reports));
	return rejected == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void
print_tally (const DsCycleTally *tally)
{
	printf ("planned=%" G_GINT64_FORMAT " produced=%" G_GINT64_FORMAT
		" action_required=%" G_GINT64_FORMAT " email=%"
		G_GINT64_FORMAT " letter=%" G_GINT64_FORMAT " registered=%"
		G_GINT64_FORMAT " fax=%" G_GINT64_FORMAT " call=%"
		G_GINT64_FORMAT " batches=%" G_GINT64_FORMAT " failures=%"
		G_GINT64_FORMAT "\n",
		tally->planned, tally->produced, tally->action_required,
		tally->by_channel[DS_CHANNEL_EMAIL],
		tally->by_channel[DS_CHANNEL_LETTER],
		tally->by_channel[DS_CHANNEL_REGISTERED],
		tally->by_channel[DS_CHANNEL_FAX],
		tally->by_channel[DS_CHANNEL_CALL], tally->batches,
		tally->failures);
}

static JsonNode *
tally_to_json (const DsCycleTally *tally)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "planned");
	json_builder_add_int_value (builder, tally->planned);
	json_builder_set_member_name (builder, "produced");
	json_builder_add_int_value (builder, tally->produced);
	json_builder_set_member_name (builder, "action_required");
	json_builder_add_int_value (builder, tally->action_required);
	json_builder_set_member_name (builder, "by_channel");
	json_builder_begin_object (builder);
	for (int i = 0; i < DS_CHANNEL_COUNT; i++) {
		json_builder_set_member_name (builder, ds_channel_name (i));
		json_builder_add_int_value (builder, tally->by_channel[i]);
	}
	json_builder_end_object (builder);
	json_builder_set_member_name (builder, "batches");
	json_builder_add_int_value (builder, tally->batches);
	json_builder_set_member_name (builder, "failures");
	json_builder_add_int_value (builder, tally->failures);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

static int
run_cycles (DsDate from, DsDate to)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = ds_cli_open_instance (&error);
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };

	if (instance == NULL)
		return ds_cli_fail (error);
	cycle = ds_cycle_new (instance, &error);
	if (cycle == NULL ||
	    !ds_cycle_replay (cycle, from, to, &tally, &error))
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (tally_to_json (&tally));
	else
		print_tally (&tally);
	return tally.failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
ds_cli_verb_run (int argc, char **argv)
{
	static char *as_of_text;
	const GOptionEntry options[] = {
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "Run the cycle for this date (default: today, UTC)",
		  "YYYY-MM-DD" },
		{ NULL }
	};
	DsDate as_of = ds_date_today_utc ();
	int status;

	if (!ds_cli_parse ("run", options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (as_of_text != NULL &&
	    !ds_cli_parse_date (as_of_text, "--as-of", &as_of))
		return DS_CLI_EXIT_USAGE;
	return run_cycles (as_of, as_of);
}

int
ds_cli_verb_replay (int argc, char **argv)
{
	static char *from_text, *to_text;
	const GOptionEntry options[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from_text,
		  "First day", "YYYY-MM-DD" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to_text,
		  "Last day, inclusive", "YYYY-MM-DD" },
		{ NULL }
	};
	DsDate from, to;
	int status;

	if (!ds_cli_parse ("replay", options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (from_text == NULL || to_text == NULL) {
		g_printerr ("dunspool replay: --from and --to are required\n");
		return DS_CLI_EXIT_USAGE;
	}
	if (!ds_cli_parse_date (from_text, "--from", &from) ||
	    !ds_cli_parse_date (to_text, "--to", &to))
		return DS_CLI_EXIT_USAGE;
	if (to < from) {
		g_printerr ("dunspool replay: --to is before --from\n");
		return DS_CLI_EXIT_USAGE;
	}
	return run_cycles (from, to);
}

int
ds_cli_verb_demo (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	DsDemoSummary summary = { 0 };
	const char *directory;
	int status;

	if (!ds_cli_parse ("demo", NULL, &argc, &argv, 0, 1, &status))
		return status;
	directory = argc > 1 ? argv[1] : "dunspool-demo";
	if (!ds_cli_json)
		g_printerr ("dunspool demo: replaying the bundled ledger "
			    "2012-01-01 to 2014-01-10 in %s\n", directory);
	if (!ds_demo_run (directory, ds_date_from_ymd (2012, 1, 1),
			  ds_date_from_ymd (2014, 1, 10), &summary, &error))
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_demo_summary_to_json (&summary));
	else
		ds_demo_summary_print (&summary, stdout);
	return EXIT_SUCCESS;
}
