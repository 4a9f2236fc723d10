/*
 * dunspool.c -- the operator CLI: one verb per job.
 *
 * This file only parses options and calls the library; every verb takes
 * --root DIR (default /etc/dunspool, or $DUNSPOOL_ROOT) and, where it
 * prints data, --json for one JSON document on stdout.  Diagnostics go
 * to stderr.  Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "batch.h"
#include "claim.h"
#include "cycle.h"
#include "demo.h"
#include "document.h"
#include "evaluate.h"
#include "ds-error.h"
#include "import.h"
#include "instance.h"
#include "journal.h"
#include "rates.h"
#include "scorer.h"
#include "trace.h"

#define EXIT_USAGE 2

static char *option_root;
static gboolean option_json;

static const GOptionEntry common_options[] = {
	{ "root", 'r', 0, G_OPTION_ARG_FILENAME, &option_root,
	  "Instance root holding dunspool.conf", "DIR" },
	{ "json", 0, 0, G_OPTION_ARG_NONE, &option_json,
	  "Print one JSON document on stdout", NULL },
	{ NULL }
};

typedef struct {
	const char *name;
	const char *parameters;
	const char *summary;
	int (*run) (int argc, char **argv);
} Verb;

static const char *
root_directory (void)
{
	const char *from_env = g_getenv ("DUNSPOOL_ROOT");

	if (option_root != NULL)
		return option_root;
	return from_env != NULL ? from_env : DS_DEFAULT_ROOT;
}

static int
fail (GError *error)
{
	g_printerr ("dunspool: %s\n", error->message);
	return EXIT_FAILURE;
}

/*
 * Parse the verb's options.  Returns FALSE after printing the reason
 * when the command line is wrong; *status is then the exit code.
 */
static gboolean
parse (const Verb *verb, const GOptionEntry *extra, int *argc,
       char ***argv, int min_args, int max_args, int *status)
{
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
		*status = EXIT_USAGE;
		return FALSE;
	}
	if (*argc - 1 < min_args || (max_args >= 0 &&
				     *argc - 1 > max_args)) {
		g_autofree char *help = g_option_context_get_help (
			context, TRUE, NULL);

		g_printerr ("%s", help);
		*status = EXIT_USAGE;
		return FALSE;
	}
	return TRUE;
}

static void
print_json (JsonNode *root)
{
	g_autoptr (JsonGenerator) generator = json_generator_new ();
	g_autofree char *text = NULL;

	json_generator_set_pretty (generator, TRUE);
	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, NULL);
	printf ("%s\n", text);
	json_node_unref (root);
}

static gboolean
parse_date_option (const char *text, const char *option, DsDate *date)
{
	g_autoptr (GError) error = NULL;

	if (ds_date_parse_iso (text, date, &error))
		return TRUE;
	g_printerr ("dunspool: %s: %s (want YYYY-MM-DD)\n", option,
		    error->message);
	return FALSE;
}

static DsInstance *
open_instance (GError **error)
{
	return ds_instance_open (root_directory (), error);
}

static const Verb *find_verb (const char *name);

static int
verb_init (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	const char *root;
	int status;

	if (!parse (find_verb ("init"), NULL, &argc, &argv, 0, 1, &status))
		return status;
	root = argc > 1 ? argv[1] : root_directory ();
	if (!ds_instance_create (root, &error))
		return fail (error);
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

static int
verb_import (int argc, char **argv)
{
	static char *profile;
	const GOptionEntry options[] = {
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
		  "Mapping profile (default: detect from the header)",
		  "NAME" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	gint64 rejected = 0;
	int status;

	if (!parse (find_verb ("import"), options, &argc, &argv, 1, -1,
		    &status))
		return status;
	instance = open_instance (&error);
	if (instance == NULL)
		return fail (error);
	/* argv is NULL-terminated after the verb's options were parsed */
	if (!ds_import_files (instance->store, (const char *const *) argv + 1,
			      instance->config->profiles, profile, &reports,
			      &error))
		return fail (error);
	for (guint i = 0; i < reports->len; i++) {
		DsImportReport *report = g_ptr_array_index (reports, i);

		rejected += report->rejected + (report->refused ? 1 : 0);
		if (!option_json)
			ds_import_report_print (report, stdout, 20);
	}
	if (option_json)
		print_json (import_reports_to_json (reports));
	return rejected == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void
print_tally (const DsCycleTally *tally)
{
	printf ("planned=%" G_GINT64_FORMAT " produced=%" G_GINT64_FORMAT
		" action_required=%" G_GINT64_FORMAT " email=%"
		G_GINT64_FORMAT " letter=%" G_GINT64_FORMAT " registered=%"
		G_GINT64_FORMAT " fax=%" G_GINT64_FORMAT " batches=%"
		G_GINT64_FORMAT " failures=%" G_GINT64_FORMAT "\n",
		tally->planned, tally->produced, tally->action_required,
		tally->by_channel[DS_CHANNEL_EMAIL],
		tally->by_channel[DS_CHANNEL_LETTER],
		tally->by_channel[DS_CHANNEL_REGISTERED],
		tally->by_channel[DS_CHANNEL_FAX], tally->batches,
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
	g_autoptr (DsInstance) instance = open_instance (&error);
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };

	if (instance == NULL)
		return fail (error);
	cycle = ds_cycle_new (instance, &error);
	if (cycle == NULL ||
	    !ds_cycle_replay (cycle, from, to, &tally, &error))
		return fail (error);
	if (option_json)
		print_json (tally_to_json (&tally));
	else
		print_tally (&tally);
	return tally.failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
verb_run (int argc, char **argv)
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

	if (!parse (find_verb ("run"), options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (as_of_text != NULL &&
	    !parse_date_option (as_of_text, "--as-of", &as_of))
		return EXIT_USAGE;
	return run_cycles (as_of, as_of);
}

static int
verb_replay (int argc, char **argv)
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

	if (!parse (find_verb ("replay"), options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (from_text == NULL || to_text == NULL) {
		g_printerr ("dunspool replay: --from and --to are required\n");
		return EXIT_USAGE;
	}
	if (!parse_date_option (from_text, "--from", &from) ||
	    !parse_date_option (to_text, "--to", &to))
		return EXIT_USAGE;
	if (to < from) {
		g_printerr ("dunspool replay: --to is before --from\n");
		return EXIT_USAGE;
	}
	return run_cycles (from, to);
}

static int
verb_demo (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	DsDemoSummary summary = { 0 };
	const char *directory;
	int status;

	if (!parse (find_verb ("demo"), NULL, &argc, &argv, 0, 1, &status))
		return status;
	directory = argc > 1 ? argv[1] : "dunspool-demo";
	if (!option_json)
		g_printerr ("dunspool demo: replaying the bundled ledger "
			    "2012-01-01 to 2014-01-10 in %s\n", directory);
	if (!ds_demo_run (directory, ds_date_from_ymd (2012, 1, 1),
			  ds_date_from_ymd (2014, 1, 10), &summary, &error))
		return fail (error);
	if (option_json)
		print_json (ds_demo_summary_to_json (&summary));
	else
		ds_demo_summary_print (&summary, stdout);
	return EXIT_SUCCESS;
}

static int
verb_trace (int argc, char **argv)
{
	static gboolean verify;
	const GOptionEntry options[] = {
		{ "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
		  "Recompute the journal chain and the stored PDFs' hashes",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) trace_ids = NULL;
	int status;

	if (!parse (find_verb ("trace"), options, &argc, &argv, 0, 1,
		    &status))
		return status;
	if (argc == 1 && !verify) {
		g_printerr ("dunspool trace: an ID, or --verify\n");
		return EXIT_USAGE;
	}
	instance = open_instance (&error);
	if (instance == NULL)
		return fail (error);
	if (verify && argc == 1)
		return ds_trace_verify (instance->store, stdout, &error) ?
		       EXIT_SUCCESS : fail (error);
	trace_ids = ds_trace_resolve (instance->store, argv[1], &error);
	if (trace_ids == NULL)
		return fail (error);
	if (option_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_trace_to_json (instance->store, trace_ids, builder,
				       &error))
			return fail (error);
		print_json (json_builder_get_root (builder));
	} else if (!ds_trace_print (instance->store, trace_ids, stdout,
				    &error)) {
		return fail (error);
	}
	if (verify)
		return ds_trace_verify (instance->store, stdout, &error) ?
		       EXIT_SUCCESS : fail (error);
	return EXIT_SUCCESS;
}

static int
verb_queue (int argc, char **argv)
{
	static gboolean all;
	const GOptionEntry options[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all,
		  "list: every document, not only those still moving",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) trace_ids = NULL;
	int status;

	if (!parse (find_verb ("queue"), options, &argc, &argv, 1, 2,
		    &status))
		return status;
	instance = open_instance (&error);
	if (instance == NULL)
		return fail (error);
	if (strcmp (argv[1], "list") == 0 && argc == 2) {
		trace_ids = ds_document_list_queue (instance->store, all,
						    &error);
	} else if (strcmp (argv[1], "show") == 0 && argc == 3) {
		trace_ids = ds_trace_resolve (instance->store, argv[2],
					      &error);
	} else {
		g_printerr ("dunspool queue: list | show TRACE_ID\n");
		return EXIT_USAGE;
	}
	if (trace_ids == NULL)
		return fail (error);
	if (option_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_queue_to_json (instance->store, trace_ids, builder,
				       &error))
			return fail (error);
		print_json (json_builder_get_root (builder));
		return EXIT_SUCCESS;
	}
	if (strcmp (argv[1], "show") == 0)
		return ds_trace_print (instance->store, trace_ids, stdout,
				       &error) ? EXIT_SUCCESS : fail (error);
	return ds_queue_print (instance->store, trace_ids, stdout, &error) ?
	       EXIT_SUCCESS : fail (error);
}

static JsonNode *
batches_to_json (GPtrArray *batches)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "batches");
	json_builder_begin_array (builder);
	for (guint i = 0; i < batches->len; i++) {
		DsBatch *batch = g_ptr_array_index (batches, i);
		g_autofree char *day = ds_date_to_iso (batch->day);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "batch_id");
		json_builder_add_string_value (builder, batch->batch_id);
		json_builder_set_member_name (builder, "entity_id");
		json_builder_add_string_value (builder, batch->entity_id);
		json_builder_set_member_name (builder, "day");
		json_builder_add_string_value (builder, day);
		json_builder_set_member_name (builder, "state");
		json_builder_add_string_value (builder, batch->state);
		json_builder_set_member_name (builder, "documents");
		json_builder_add_int_value (builder, batch->documents);
		json_builder_set_member_name (builder, "pages");
		json_builder_add_int_value (builder, batch->pages);
		json_builder_set_member_name (builder, "pdf");
		json_builder_add_string_value (builder, batch->pdf_path);
		json_builder_set_member_name (builder, "manifest");
		json_builder_add_string_value (builder,
					       batch->manifest_path);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

static int
batch_list (DsInstance *instance, const char *only)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) batches = ds_batch_list (instance, &error);

	if (batches == NULL)
		return fail (error);
	for (guint i = batches->len; only != NULL && i-- > 0;)
		if (strcmp (((DsBatch *) g_ptr_array_index (batches,
				i))->batch_id, only) != 0)
			g_ptr_array_remove_index (batches, i);
	if (only != NULL && batches->len == 0) {
		g_printerr ("dunspool batch: no batch %s\n", only);
		return EXIT_FAILURE;
	}
	if (option_json) {
		print_json (batches_to_json (batches));
		return EXIT_SUCCESS;
	}
	for (guint i = 0; i < batches->len; i++) {
		DsBatch *batch = g_ptr_array_index (batches, i);

		printf ("%-20s %-8s %4d documents %5d pages  %s\n",
			batch->batch_id, batch->state, batch->documents,
			batch->pages, batch->pdf_path);
	}
	return EXIT_SUCCESS;
}

static int
verb_batch (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	const char *action;
	int status;

	if (!parse (find_verb ("batch"), NULL, &argc, &argv, 1, 2, &status))
		return status;
	instance = open_instance (&error);
	if (instance == NULL)
		return fail (error);
	action = argv[1];
	if (strcmp (action, "list") == 0 && argc == 2)
		return batch_list (instance, NULL);
	if (strcmp (action, "show") == 0 && argc == 3)
		return batch_list (instance, argv[2]);
	if ((strcmp (action, "printed") == 0 ||
	     strcmp (action, "posted") == 0) && argc == 3) {
		if (!ds_batch_mark (instance, argv[2], action, &error))
			return fail (error);
		printf ("%s: %s\n", argv[2], action);
		return EXIT_SUCCESS;
	}
	g_printerr ("dunspool batch: list | show ID | printed ID | "
		    "posted ID\n");
	return EXIT_USAGE;
}

static int
verb_evaluate (int argc, char **argv)
{
	static char *split_text;
	static int threads = 1;
	const GOptionEntry options[] = {
		{ "split", 0, 0, G_OPTION_ARG_STRING, &split_text,
		  "Train before this date, test from it (2013-07-01)",
		  "YYYY-MM-DD" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &threads,
		  "Threads for libxgboost (1)", "N" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	DsEvaluation *evaluation = NULL;
	DsEvaluateOptions settings = { DS_DATE_NONE, 1 };
	int status;

	if (!parse (find_verb ("evaluate"), options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (split_text != NULL &&
	    !parse_date_option (split_text, "--split", &settings.split))
		return EXIT_USAGE;
	settings.threads = threads;
	instance = open_instance (&error);
	if (instance == NULL ||
	    !ds_evaluate_run (instance->store, &settings, &evaluation,
			      &error))
		return fail (error);
	if (option_json)
		print_json (ds_evaluation_to_json (evaluation));
	else
		ds_evaluation_print (evaluation, stdout);
	ds_evaluation_free (evaluation);
	return EXIT_SUCCESS;
}

static int
verb_score (int argc, char **argv)
{
	static char *as_of_text, *explain;
	static gboolean retrain;
	const GOptionEntry options[] = {
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "Score the invoices open on this date (today)",
		  "YYYY-MM-DD" },
		{ "explain", 0, 0, G_OPTION_ARG_STRING, &explain,
		  "Every feature's part in one invoice's score", "INVOICE" },
		{ "retrain", 0, 0, G_OPTION_ARG_NONE, &retrain,
		  "Train the models on the ledger before the date first",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autofree char *model = NULL;
	DsScoreReport *report = NULL;
	DsScoreOptions settings = { 0 };
	int status;

	if (!parse (find_verb ("score"), options, &argc, &argv, 0, 0,
		    &status))
		return status;
	settings.as_of = ds_date_today_utc ();
	if (as_of_text != NULL &&
	    !parse_date_option (as_of_text, "--as-of", &settings.as_of))
		return EXIT_USAGE;
	instance = open_instance (&error);
	if (instance == NULL)
		return fail (error);
	model = ds_instance_model_path (instance);
	if (retrain) {
		DsScorerParams params;
		g_autoptr (DsScorer) scorer = NULL;

		ds_scorer_params_init (&params);
		scorer = ds_scorer_retrain (instance->store, settings.as_of,
					    &params, model, &error);

		if (scorer == NULL)
			return fail (error);
	}
	settings.model_path = model;
	settings.threads = 1;
	settings.explain = explain;
	settings.train_if_missing = TRUE;
	if (!ds_score_run (instance->store, &settings, &report, &error))
		return fail (error);
	if (option_json)
		print_json (ds_score_report_to_json (report));
	else
		ds_score_report_print (report, stdout);
	ds_score_report_free (report);
	return EXIT_SUCCESS;
}

static int
verb_claim (int argc, char **argv)
{
	static char *as_of_text;
	static gboolean no_interest;
	const GOptionEntry options[] = {
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "What would be claimed on this date (today)",
		  "YYYY-MM-DD" },
		{ "no-interest", 0, 0, G_OPTION_ARG_NONE, &no_interest,
		  "Leave statutory interest and compensation out", NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsRateTables) rates = NULL;
	g_autofree char *rates_dir = ds_rate_tables_default_dir ();
	DsClaim *claim;
	DsClaimPolicy policy;
	DsDate as_of = ds_date_today_utc ();
	int status;

	if (!parse (find_verb ("claim"), options, &argc, &argv, 1, 1,
		    &status))
		return status;
	if (as_of_text != NULL &&
	    !parse_date_option (as_of_text, "--as-of", &as_of))
		return EXIT_USAGE;
	instance = open_instance (&error);
	rates = instance ? ds_rate_tables_load (rates_dir, &error) : NULL;
	if (rates == NULL)
		return fail (error);
	ds_claim_policy_init (&policy, rates);
	if (no_interest) {
		policy.interest = FALSE;
		policy.compensation = FALSE;
	}
	claim = ds_claim_compute (instance->store, argv[1], as_of, &policy,
				  &error);
	if (claim == NULL)
		return fail (error);
	if (option_json)
		print_json (ds_claim_to_json (claim));
	else
		ds_claim_print (claim, stdout);
	ds_claim_free (claim);
	return EXIT_SUCCESS;
}

static const Verb verbs[] = {
	{ "init", "[DIR]", "Create an instance: config, spool, database.",
	  verb_init },
	{ "import", "FILE...", "Import ledger files now.", verb_import },
	{ "run", "", "Run one full daily cycle.", verb_run },
	{ "replay", "", "Run the daily cycle day by day over a history.",
	  verb_replay },
	{ "demo", "[DIR]", "The bundled real ledger, end to end.",
	  verb_demo },
	{ "score", "", "Scores of the open invoices and their reasons.",
	  verb_score },
	{ "evaluate", "", "Backtest the scorer on a time split.",
	  verb_evaluate },
	{ "claim", "CUSTOMER", "What would be claimed, itemised.",
	  verb_claim },
	{ "trace", "ID", "A document's, invoice's or customer's story.",
	  verb_trace },
	{ "queue", "list|show [TRACE_ID]", "Documents still moving.",
	  verb_queue },
	{ "batch", "list|show|printed|posted [ID]", "Print batches.",
	  verb_batch },
};

static const Verb *
find_verb (const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
		if (strcmp (verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static int
usage (FILE *out)
{
	fprintf (out, "usage: dunspool VERB [--root DIR] [--json] ...\n\n");
	for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
		fprintf (out, "  %-8s %-32s %s\n", verbs[i].name,
			 verbs[i].parameters, verbs[i].summary);
	fprintf (out, "\nEach verb takes --help.\n");
	return out == stdout ? EXIT_SUCCESS : EXIT_USAGE;
}

int
main (int argc, char **argv)
{
	const Verb *verb;
	g_autofree char *user = NULL;

	setlocale (LC_ALL, "");
	if (argc < 2)
		return usage (stderr);
	if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
		return usage (stdout);
	verb = find_verb (argv[1]);
	if (verb == NULL) {
		g_printerr ("dunspool: unknown verb \"%s\"\n", argv[1]);
		return usage (stderr);
	}
	user = g_strdup_printf ("cli:%s", g_get_user_name ());
	ds_journal_set_actor (user);
	return verb->run (argc - 1, argv + 1);
}
