/*
 * cli-scorer.c -- verbs of the scorer and what it drives: score,
 * evaluate, agenda, task done, report channels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agenda.h"
#include "channel-stats.h"
#include "cli.h"
#include "evaluate.h"
#include "feedback.h"
#include "scorer.h"

int
ds_cli_verb_evaluate (int argc, char **argv)
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

	if (!ds_cli_parse ("evaluate", options, &argc, &argv, 0, 0,
		    &status))
		return status;
	if (split_text != NULL &&
	    !ds_cli_parse_date (split_text, "--split", &settings.split))
		return DS_CLI_EXIT_USAGE;
	settings.threads = threads;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL ||
	    !ds_evaluate_run (instance->store, &settings, &evaluation,
			      &error))
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_evaluation_to_json (evaluation));
	else
		ds_evaluation_print (evaluation, stdout);
	ds_evaluation_free (evaluation);
	return EXIT_SUCCESS;
}

int
ds_cli_verb_score (int argc, char **argv)
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

	if (!ds_cli_parse ("score", options, &argc, &argv, 0, 0,
		    &status))
		return status;
	settings.as_of = ds_date_today_utc ();
	if (as_of_text != NULL &&
	    !ds_cli_parse_date (as_of_text, "--as-of", &settings.as_of))
		return DS_CLI_EXIT_USAGE;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	model = ds_instance_model_path (instance);
	if (retrain) {
		DsScorerParams params;
		g_autoptr (DsScorer) scorer = NULL;

		ds_scorer_params_init (&params);
		scorer = ds_scorer_retrain (instance->store, settings.as_of,
					    &params, model, &error);

		if (scorer == NULL)
			return ds_cli_fail (error);
	}
	settings.model_path = model;
	settings.threads = 1;
	settings.explain = explain;
	settings.train_if_missing = TRUE;
	if (!ds_score_run (instance->store, &settings, &report, &error))
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_score_report_to_json (report));
	else
		ds_score_report_print (report, stdout);
	ds_score_report_free (report);
	return EXIT_SUCCESS;
}

int
ds_cli_verb_agenda (int argc, char **argv)
{
	static char *date_text, *collector;
	const GOptionEntry options[] = {
		{ "collector", 0, 0, G_OPTION_ARG_STRING, &collector,
		  "Only this collector's list", "NAME" },
		{ "date", 0, 0, G_OPTION_ARG_STRING, &date_text,
		  "The day of the agenda (today)", "YYYY-MM-DD" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsAgenda) agenda = NULL;
	DsDate date = ds_date_today_utc ();
	int status;

	if (!ds_cli_parse ("agenda", options, &argc, &argv, 0, 0, &status))
		return status;
	if (date_text != NULL &&
	    !ds_cli_parse_date (date_text, "--date", &date))
		return DS_CLI_EXIT_USAGE;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	agenda = ds_agenda_build (instance, date, collector, &error);
	if (agenda == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_agenda_to_json (agenda));
	else
		ds_agenda_print (agenda, stdout);
	return EXIT_SUCCESS;
}

static int
task_usage (const char *why)
{
	g_printerr ("dunspool: task: %s\n", why);
	return DS_CLI_EXIT_USAGE;
}

static void
print_task_done (gint64 task_id, const char *outcome)
{
	g_autoptr (JsonBuilder) builder = NULL;

	if (!ds_cli_json) {
		printf ("task %" G_GINT64_FORMAT ": done: outcome=%s\n",
			task_id, outcome);
		return;
	}
	builder = json_builder_new ();
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "task_id");
	json_builder_add_int_value (builder, task_id);
	json_builder_set_member_name (builder, "state");
	json_builder_add_string_value (builder, "done");
	json_builder_set_member_name (builder, "outcome");
	json_builder_add_string_value (builder, outcome);
	json_builder_end_object (builder);
	ds_cli_print_json (json_builder_get_root (builder));
}

/*
 * `dunspool task done ID --outcome OUTCOME [--note TEXT]`, and with
 * --outcome promise also [--until DATE [--amount DECIMAL] [--date DATE]]
 * to record the promise.
 */
int
ds_cli_verb_task (int argc, char **argv)
{
	static char *outcome, *note, *until_text, *amount, *date_text;
	const GOptionEntry options[] = {
		{ "outcome", 0, 0, G_OPTION_ARG_STRING, &outcome,
		  "reached, no-answer, promise or done", "OUTCOME" },
		{ "note", 0, 0, G_OPTION_ARG_STRING, &note,
		  "Free text for the journal", "TEXT" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until_text,
		  "promise: the date promised, recorded in the ledger",
		  "YYYY-MM-DD" },
		{ "amount", 0, 0, G_OPTION_ARG_STRING, &amount,
		  "promise: the amount promised (the call's total)",
		  "DECIMAL" },
		{ "date", 0, 0, G_OPTION_ARG_STRING, &date_text,
		  "promise: the day it was made (today)", "YYYY-MM-DD" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	DsDate until = DS_DATE_NONE, made_on = ds_date_today_utc ();
	gint64 task_id;
	gboolean done;
	int status;

	if (!ds_cli_parse ("task", options, &argc, &argv, 2, 2, &status))
		return status;
	if (strcmp (argv[1], "done") != 0)
		return task_usage ("unknown action (known: done)");
	if (!g_ascii_string_to_signed (argv[2], 10, 1, G_MAXINT64, &task_id,
				       NULL))
		return task_usage ("the task id is a positive number");
	if (!ds_feedback_task_outcome_known (outcome))
		return task_usage ("--outcome must be reached, no-answer, "
				   "promise or done");
	if ((until_text != NULL || amount != NULL || date_text != NULL) &&
	    (strcmp (outcome, "promise") != 0 || until_text == NULL))
		return task_usage ("--until, --amount and --date record a "
				   "promise: --outcome promise --until DATE");
	if ((until_text != NULL &&
	     !ds_cli_parse_date (until_text, "--until", &until)) ||
	    (date_text != NULL &&
	     !ds_cli_parse_date (date_text, "--date", &made_on)))
		return DS_CLI_EXIT_USAGE;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	done = until == DS_DATE_NONE ?
	       ds_feedback_close_task (instance->store, task_id, outcome,
				       note, &error) :
	       ds_feedback_close_task_with_promise (instance->store, task_id,
						    note, made_on, until,
						    amount, &error);
	if (!done)
		return ds_cli_fail (error);
	print_task_done (task_id, outcome);
	return EXIT_SUCCESS;
}

/* `dunspool report channels`; the other reports are not built yet. */
int
ds_cli_verb_report (int argc, char **argv)
{
	static char *as_of_text;
	const GOptionEntry options[] = {
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "Figures as known on this date (today)", "YYYY-MM-DD" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsChannelStats) stats = NULL;
	DsDate as_of = ds_date_today_utc ();
	int status;

	if (!ds_cli_parse ("report", options, &argc, &argv, 1, 1, &status))
		return status;
	if (strcmp (argv[1], "channels") != 0) {
		g_printerr ("dunspool: report %s: unknown report "
			    "(known: channels)\n", argv[1]);
		return DS_CLI_EXIT_USAGE;
	}
	if (as_of_text != NULL &&
	    !ds_cli_parse_date (as_of_text, "--as-of", &as_of))
		return DS_CLI_EXIT_USAGE;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	stats = ds_channel_stats_build (instance->store, as_of, &error);
	if (stats == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_channel_stats_to_json (stats));
	else
		ds_channel_stats_print (stats, stdout);
	return EXIT_SUCCESS;
}
