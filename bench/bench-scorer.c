/*
 * bench-scorer.c -- how fast the scorer scores every open invoice of a
 * large ledger, and how much memory it takes (DESIGN §12: a daily cycle
 * over 1,000,000 open invoices in under 60 s on 2 cores, RSS under
 * 500 MB).
 *
 *   make bench/bench-scorer
 *   bench/bench-scorer --root DIR [--model FILE] [--as-of DATE]
 *                      [--threads N]
 *
 * On an instance holding a ledger (bench/run-scorer.sh imports one made
 * by bench/gen-ledger): loads the model FILE, or else trains the models
 * on the instance's history before the date, then, as the daily cycle
 * does, loads the ledger history and predicts every invoice open on the
 * date, building the feature rows a chunk at a time
 * (ds_scorer_predict_open_items).  Then, in the same process and so
 * with the peak memory rising, the other ways: all feature rows at once
 * and one batch of predictions, and a DsScore per invoice as
 * ds_scorer_score gives them.  Prints each phase's wall time, the
 * invoices scored per second, and the peak resident memory from
 * getrusage.
 *
 * With --policy, only what the daily cycle runs before its decisions:
 * ds_policy_prepare on the instance (the model at the instance's model
 * path, which must have been trained on or before the date and less
 * than the retraining interval before it), so that `/usr/bin/time -v`
 * measures the cycle's scoring path alone.
 *
 * Training on a million-invoice history takes far longer than scoring
 * it, so the script passes a model trained on the bundled sample, which
 * the synthetic ledger is calibrated to; the features do not depend on
 * the ledger a model was trained on.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "instance.h"
#include "ledger-history.h"
#include "policy.h"
#include "scorer-features.h"
#include "scorer.h"

static double
peak_megabytes (void)
{
	struct rusage usage;

	getrusage (RUSAGE_SELF, &usage);
	return usage.ru_maxrss / 1024.0;	/* kilobytes on Linux */
}

static void
phase (GTimer *timer, const char *name, guint rows)
{
	double seconds = g_timer_elapsed (timer, NULL);

	printf ("%-10s %9.2f s", name, seconds);
	if (rows > 0)
		printf ("  %10.0f invoices/s", rows / seconds);
	printf ("  peak RSS %7.1f MB\n", peak_megabytes ());
	g_timer_start (timer);
}

static int
fail (GError *error)
{
	g_printerr ("bench-scorer: %s\n", error->message);
	return EXIT_FAILURE;
}

/* The cycle's path: ds_policy_prepare, as ds_cycle_run calls it. */
static int
bench_policy (DsInstance *instance, DsDate as_of)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsPolicy) policy = ds_policy_new (instance, &error);
	g_autoptr (GTimer) timer = g_timer_new ();
	g_autoptr (DsLedgerHistory) history = NULL;
	GPtrArray *invoices;
	guint open = 0;
	double seconds, peak;

	if (policy == NULL || !ds_policy_prepare (policy, as_of, &error))
		return fail (error);
	seconds = g_timer_elapsed (timer, NULL);
	peak = peak_megabytes ();
	if (ds_policy_model_trained_until (policy) == DS_DATE_NONE) {
		g_printerr ("bench-scorer: the policy has no model for the "
			    "date: put one trained within the retraining "
			    "interval before it at the model path\n");
		return EXIT_FAILURE;
	}
	/* Counted after the measurement, from a fresh history. */
	history = ds_ledger_history_load (instance->store, as_of, &error);
	if (history == NULL)
		return fail (error);
	invoices = ds_ledger_history_invoices (history);
	for (guint i = 0; i < invoices->len; i++)
		open += ds_history_invoice_open (g_ptr_array_index (invoices,
								    i),
						 as_of);
	printf ("policy prepare: %u open invoices in %.2f s: %.0f "
		"invoices/s, peak RSS %.1f MB\n", open, seconds,
		open / seconds, peak);
	return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
	static char *root, *model_option, *as_of_text = "2014-01-01";
	static int threads = 2;
	static gboolean policy;
	const GOptionEntry options[] = {
		{ "root", 0, 0, G_OPTION_ARG_STRING, &root,
		  "The instance", "DIR" },
		{ "model", 0, 0, G_OPTION_ARG_FILENAME, &model_option,
		  "Score with this model (else train one)", "FILE" },
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "Score the invoices open on this date", "DATE" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &threads,
		  "libxgboost threads (2)", "N" },
		{ "policy", 0, 0, G_OPTION_ARG_NONE, &policy,
		  "Only the daily cycle's ds_policy_prepare", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) context = g_option_context_new (NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsScorer) scorer = NULL;
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsFeatureMatrix) matrix = NULL;
	g_autoptr (GPtrArray) scores = NULL;
	g_autoptr (GArray) predictions = NULL;
	g_autofree double *late = NULL;
	g_autofree double *days = NULL;
	double seconds;
	g_autoptr (GTimer) timer = g_timer_new ();
	g_autoptr (GTimer) total = g_timer_new ();
	g_autofree char *model = NULL;
	DsScorerParams params;
	DsDate as_of;

	g_option_context_add_main_entries (context, options, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error) ||
	    root == NULL || threads < 1 ||
	    !ds_date_parse_iso (as_of_text, &as_of, &error)) {
		g_printerr ("bench-scorer: %s\n", error ? error->message :
			    "usage: bench-scorer --root DIR [OPTION...]");
		return 2;
	}
	instance = ds_instance_open (root, &error);
	if (instance == NULL)
		return fail (error);
	if (policy)
		return bench_policy (instance, as_of);
	model = model_option != NULL ? g_strdup (model_option) :
		ds_instance_model_path (instance);

	if (model_option == NULL) {
		ds_scorer_params_init (&params);
		params.threads = threads;
		scorer = ds_scorer_retrain (instance->store, as_of, &params,
					    model, &error);
		if (scorer == NULL)
			return fail (error);
		phase (timer, "train", 0);
		g_clear_pointer (&scorer, ds_scorer_free);
	}
	scorer = ds_scorer_load (model, threads, &error);
	if (scorer == NULL)
		return fail (error);

	phase (timer, "load", 0);
	g_timer_start (total);
	history = ds_ledger_history_load (instance->store, as_of, &error);
	if (history == NULL)
		return fail (error);
	phase (timer, "history", 0);
	dunning = ds_dunning_history_load (instance->store, as_of, &error);
	if (dunning == NULL)
		return fail (error);
	predictions = ds_scorer_predict_open_items (scorer, history, dunning,
						    as_of, &error);
	if (predictions == NULL)
		return fail (error);
	phase (timer, "streamed", predictions->len);
	seconds = g_timer_elapsed (total, NULL);
	printf ("scored %u open invoices of %u in %.2f s: %.0f invoices/s, "
		"threads %d, peak RSS %.1f MB\n", predictions->len,
		ds_ledger_history_invoices (history)->len, seconds,
		predictions->len / seconds, threads, peak_megabytes ());

	/* The same in one batch: every feature row at once. */
	g_timer_start (total);
	g_timer_start (timer);
	matrix = ds_scorer_features_open_items (history, dunning, as_of);
	phase (timer, "features", matrix->rows);
	late = g_new (double, MAX (matrix->rows, 1));
	days = g_new (double, MAX (matrix->rows, 1));
	if (!ds_scorer_predict (scorer, matrix, late, days, &error))
		return fail (error);
	phase (timer, "predict", matrix->rows);

	/* What the planner's call adds: a DsScore per invoice. */
	g_timer_start (timer);
	scores = ds_scorer_score (scorer, matrix, 0, &error);
	if (scores == NULL)
		return fail (error);
	phase (timer, "DsScore", matrix->rows);
	return EXIT_SUCCESS;
}
