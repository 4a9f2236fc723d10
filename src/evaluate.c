/*
 * evaluate.c -- the time-split backtest.  See evaluate.h.
 *
 * The whole ledger and the dunning history are read once, as finally
 * known; every feature row is then built as of its invoice's issue date
 * through scorer-features.c, which counts nothing dated on or after that
 * day.  Outcomes (the payment date,
 * late or not) are read from the final ledger for scoring the test only.
 */
#include "evaluate.h"

#include <math.h>
#include <string.h>

#include "ds-error.h"
#include "scorer-features.h"
#include "ledger-history.h"
#include "scorer.h"

#define CAPTURE_SHARE 0.2
#define LOG_LOSS_FLOOR 1e-15

/* The test rows with their outcomes and every predictor's answers. */
typedef struct {
	guint rows;
	const DsHistoryInvoice **invoices;
	gboolean *late;
	DsDate *settled;
	double *model_late;
	double *model_days;
	double *ratio_late;	/* customer's past late ratio */
	double *delay_days;	/* due + customer's past mean delay */
	double *due_days;	/* the due date */
} TestRows;

void
ds_evaluation_free (DsEvaluation *evaluation)
{
	g_free (evaluation);
}

static void
test_rows_clear (TestRows *test)
{
	g_free (test->invoices);
	g_free (test->late);
	g_free (test->settled);
	g_free (test->model_late);
	g_free (test->model_days);
	g_free (test->ratio_late);
	g_free (test->delay_days);
	g_free (test->due_days);
}

/* ---- metrics ---------------------------------------------------------- */

typedef struct {
	double score;
	gboolean positive;
} Ranked;

static int
compare_ranked (gconstpointer a, gconstpointer b)
{
	const Ranked *left = a, *right = b;

	return (left->score > right->score) - (left->score < right->score);
}

/* Area under the ROC curve: Mann-Whitney U with ties at half weight. */
static double
auc (const double *score, const gboolean *positive, guint count)
{
	g_autofree Ranked *ranked = g_new (Ranked, count);
	double positive_ranks = 0;
	guint positives = 0;

	for (guint i = 0; i < count; i++) {
		ranked[i].score = score[i];
		ranked[i].positive = positive[i];
		positives += positive[i];
	}
	qsort (ranked, count, sizeof *ranked, compare_ranked);
	for (guint i = 0; i < count;) {
		guint end = i, tied_positives = 0;

		while (end < count && ranked[end].score == ranked[i].score)
			tied_positives += ranked[end++].positive;
		/* Ranks i+1 .. end share their mean. */
		positive_ranks += tied_positives * (i + 1 + end) / 2.0;
		i = end;
	}
	if (positives == 0 || positives == count)
		return NAN;
	return (positive_ranks - positives * (positives + 1) / 2.0) /
	       ((double) positives * (count - positives));
}

static void
classification (DsEvaluationFigures *figures, const double *probability,
		const gboolean *late, guint count)
{
	guint true_positive = 0, false_positive = 0, false_negative = 0;
	guint correct = 0;
	double loss = 0;

	for (guint i = 0; i < count; i++) {
		double p = CLAMP (probability[i], LOG_LOSS_FLOOR,
				  1 - LOG_LOSS_FLOOR);
		gboolean said_late = probability[i] >= 0.5;

		loss -= late[i] ? log (p) : log (1 - p);
		correct += said_late == late[i];
		true_positive += said_late && late[i];
		false_positive += said_late && !late[i];
		false_negative += !said_late && late[i];
	}
	figures->auc = auc (probability, late, count);
	figures->log_loss = loss / count;
	figures->accuracy = (double) correct / count;
	figures->precision = true_positive + false_positive ?
		(double) true_positive / (true_positive + false_positive) : 0;
	figures->recall = true_positive + false_negative ?
		(double) true_positive / (true_positive + false_negative) : 0;
	figures->f1 = figures->precision + figures->recall > 0 ?
		2 * figures->precision * figures->recall /
		(figures->precision + figures->recall) : 0;
}

/* Days from issue, rounded to a date, against the actual payment date. */
static double
date_error (const TestRows *test, const double *days_to_settle)
{
	double sum = 0;

	for (guint i = 0; i < test->rows; i++) {
		DsDate expected = test->invoices[i]->issue_date +
				  (DsDate) lround (MAX (days_to_settle[i], 0));

		sum += fabs ((double) expected - test->settled[i]);
	}
	return sum / test->rows;
}

static void
calibration (DsCalibrationBin *bins, const TestRows *test)
{
	double predicted_sum[DS_EVALUATE_BINS] = { 0 };
	guint late[DS_EVALUATE_BINS] = { 0 };

	for (guint bin = 0; bin < DS_EVALUATE_BINS; bin++) {
		bins[bin].from = (double) bin / DS_EVALUATE_BINS;
		bins[bin].to = (double) (bin + 1) / DS_EVALUATE_BINS;
		bins[bin].count = 0;
	}
	for (guint i = 0; i < test->rows; i++) {
		guint bin = MIN ((guint) (test->model_late[i] *
					  DS_EVALUATE_BINS),
				 DS_EVALUATE_BINS - 1);

		bins[bin].count++;
		predicted_sum[bin] += test->model_late[i];
		late[bin] += test->late[i];
	}
	for (guint bin = 0; bin < DS_EVALUATE_BINS; bin++) {
		guint count = bins[bin].count;

		bins[bin].predicted = count ? predicted_sum[bin] / count : NAN;
		bins[bin].observed = count ? (double) late[bin] / count : NAN;
	}
}

/* ---- worklist capture ------------------------------------------------- */

typedef struct {
	const TestRows *test;
	const double *score;	/* NULL: oldest first */
} CaptureOrder;

static int
compare_capture (gconstpointer a, gconstpointer b, gpointer data)
{
	const CaptureOrder *order = data;
	guint left = *(const guint *) a, right = *(const guint *) b;
	const DsHistoryInvoice *x = order->test->invoices[left];
	const DsHistoryInvoice *y = order->test->invoices[right];

	if (order->score != NULL &&
	    order->score[left] != order->score[right])
		return order->score[left] > order->score[right] ? -1 : 1;
	if (x->due_date != y->due_date)
		return x->due_date < y->due_date ? -1 : 1;
	return strcmp (x->invoice_id, y->invoice_id);
}

/* Share of the late amount in the first 20% of the test in that order. */
static double
capture (const TestRows *test, const double *score)
{
	CaptureOrder order = { test, score };
	g_autofree guint *index = g_new (guint, test->rows);
	guint take = (guint) ceil (test->rows * CAPTURE_SHARE);
	double late_total = 0, late_taken = 0;

	for (guint i = 0; i < test->rows; i++) {
		index[i] = i;
		if (test->late[i])
			late_total += test->invoices[i]->amount;
	}
	g_qsort_with_data (index, test->rows, sizeof *index,
			   compare_capture, &order);
	for (guint i = 0; i < take; i++)
		if (test->late[index[i]])
			late_taken += test->invoices[index[i]]->amount;
	return late_total > 0 ? late_taken / late_total : NAN;
}

/* ---- the backtest ----------------------------------------------------- */

static DsTrainingSet *
training_set (const DsLedgerHistory *history,
	      const DsDunningHistory *dunning, DsDate split)
{
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	DsTrainingSet *set = ds_training_set_new (split, dunning);

	for (guint i = 0; i < invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);
		DsDate settled = ds_history_invoice_settled (invoice,
							     DS_DATE_NONE);

		if (invoice->issue_date < split && settled != DS_DATE_NONE &&
		    settled < split)
			ds_training_set_add (set, invoice);
	}
	return set;
}

static double
training_late_share (const DsTrainingSet *set)
{
	guint late = 0;

	for (guint i = 0; i < set->features->rows; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			set->features->invoices, i);

		late += g_array_index (set->settled, DsDate, i) >
			invoice->due_date;
	}
	return set->features->rows ? (double) late / set->features->rows : 0;
}

/*
 * The test invoices, paid ones only (an invoice still open has no
 * outcome to compare with), with their features as of their issue date.
 */
static DsFeatureMatrix *
test_features (const DsLedgerHistory *history,
	       const DsDunningHistory *dunning, DsDate split)
{
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	DsFeatureMatrix *matrix = ds_feature_matrix_new (dunning);

	for (guint i = 0; i < invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);

		if (invoice->issue_date >= split &&
		    ds_history_invoice_settled (invoice, DS_DATE_NONE) !=
		    DS_DATE_NONE)
			ds_scorer_features_add (matrix, invoice,
					 invoice->issue_date);
	}
	return matrix;
}

static guint
feature_index (const char *name)
{
	guint count;
	const DsFeature *list = ds_scorer_features_list (&count);

	for (guint i = 0; i < count; i++)
		if (strcmp (list[i].name, name) == 0)
			return i;
	g_assert_not_reached ();
}

/* The baselines read the customer's history from the same rows. */
static void
baselines (TestRows *test, const DsFeatureMatrix *matrix, double prior)
{
	guint ratio = feature_index ("history_late_ratio");
	guint delay = feature_index ("history_mean_delay");

	for (guint i = 0; i < test->rows; i++) {
		const float *row = ds_feature_matrix_row (matrix, i);
		const DsHistoryInvoice *invoice = test->invoices[i];
		double terms = (double) invoice->due_date -
			       invoice->issue_date;

		test->ratio_late[i] = isnan (row[ratio]) ? prior : row[ratio];
		test->due_days[i] = terms;
		test->delay_days[i] = terms + (isnan (row[delay]) ? 0 :
					       row[delay]);
	}
}

static void
test_rows_init (TestRows *test, const DsFeatureMatrix *matrix)
{
	guint count = matrix->rows;

	test->rows = count;
	test->invoices = g_new (const DsHistoryInvoice *, count);
	test->late = g_new (gboolean, count);
	test->settled = g_new (DsDate, count);
	test->model_late = g_new (double, count);
	test->model_days = g_new (double, count);
	test->ratio_late = g_new (double, count);
	test->delay_days = g_new (double, count);
	test->due_days = g_new (double, count);
	for (guint i = 0; i < count; i++) {
		test->invoices[i] = g_ptr_array_index (matrix->invoices, i);
		test->settled[i] = ds_history_invoice_settled (
			test->invoices[i], DS_DATE_NONE);
		test->late[i] = test->settled[i] > test->invoices[i]->due_date;
	}
}

static void
figures (DsEvaluation *evaluation, const TestRows *test)
{
	guint late = 0;

	for (guint i = 0; i < test->rows; i++)
		late += test->late[i];
	evaluation->test_late_share = (double) late / test->rows;

	classification (&evaluation->model, test->model_late, test->late,
			test->rows);
	evaluation->model.mae_days = date_error (test, test->model_days);
	calibration (evaluation->calibration, test);

	classification (&evaluation->customer_late_ratio, test->ratio_late,
			test->late, test->rows);
	evaluation->customer_late_ratio.mae_days = NAN;

	evaluation->customer_mean_delay = (DsEvaluationFigures) {
		NAN, NAN, NAN, NAN, NAN, NAN,
		date_error (test, test->delay_days) };
	evaluation->due_date = (DsEvaluationFigures) {
		NAN, NAN, NAN, NAN, NAN, NAN,
		date_error (test, test->due_days) };

	evaluation->capture_model = capture (test, test->model_late);
	evaluation->capture_oldest_first = capture (test, NULL);

	evaluation->targets_met =
		evaluation->model.auc >= DS_EVALUATE_TARGET_AUC &&
		evaluation->model.mae_days <= DS_EVALUATE_TARGET_MAE_DAYS &&
		evaluation->model.auc > evaluation->customer_late_ratio.auc &&
		evaluation->model.mae_days <
		evaluation->customer_mean_delay.mae_days &&
		evaluation->model.mae_days < evaluation->due_date.mae_days;
}

gboolean
ds_evaluate_run (DsStore *store, const DsEvaluateOptions *options,
		 DsEvaluation **result, GError **error)
{
	g_autoptr (DsEvaluation) evaluation = g_new0 (DsEvaluation, 1);
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsTrainingSet) set = NULL;
	g_autoptr (DsFeatureMatrix) matrix = NULL;
	g_autoptr (DsScorer) scorer = NULL;
	DsScorerParams params;
	TestRows test = { 0 };
	gboolean ok;

	evaluation->split = options->split != DS_DATE_NONE ? options->split :
			    ds_date_from_ymd (2013, 7, 1);
	ds_scorer_params_init (&params);
	params.threads = MAX (options->threads, 1);

	history = ds_ledger_history_load (store,
					  ds_date_from_ymd (9999, 12, 31),
					  error);
	if (history == NULL)
		return FALSE;
	dunning = ds_dunning_history_load (
		store, ds_ledger_history_known_on (history), error);
	if (dunning == NULL)
		return FALSE;
	set = training_set (history, dunning, evaluation->split);
	matrix = test_features (history, dunning, evaluation->split);
	evaluation->train_invoices = set->features->rows;
	evaluation->test_invoices = matrix->rows;
	if (matrix->rows == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "evaluate: no paid invoice issued from the "
			     "split date on to test with");
		return FALSE;
	}

	scorer = ds_scorer_train (set, &params, error);
	if (scorer == NULL)
		return FALSE;
	test_rows_init (&test, matrix);
	ok = ds_scorer_predict (scorer, matrix, test.model_late,
				test.model_days, error);
	if (ok) {
		baselines (&test, matrix, training_late_share (set));
		figures (evaluation, &test);
	}
	test_rows_clear (&test);
	if (!ok)
		return FALSE;
	*result = g_steal_pointer (&evaluation);
	return TRUE;
}

/* ---- output ----------------------------------------------------------- */

void
ds_evaluation_print (const DsEvaluation *evaluation, FILE *out)
{
	char split[DS_DATE_ISO_LEN];
	const DsEvaluationFigures *model = &evaluation->model;

	ds_date_format_iso (evaluation->split, split);
	fprintf (out, "split %s: trained on %u invoices issued and paid "
		 "before it, tested on %u issued from it (%.1f%% late)\n\n",
		 split, evaluation->train_invoices,
		 evaluation->test_invoices,
		 100 * evaluation->test_late_share);
	fprintf (out, "%-28s %7s %8s %8s %8s %8s %6s %9s\n", "", "AUC",
		 "logloss", "accuracy", "precision", "recall", "F1",
		 "MAE days");
	fprintf (out, "%-28s %7.4f %8.4f %8.4f %8.4f %8.4f %6.4f %9.2f\n",
		 "model", model->auc, model->log_loss, model->accuracy,
		 model->precision, model->recall, model->f1,
		 model->mae_days);
	fprintf (out, "%-28s %7.4f %8.4f %8.4f %8.4f %8.4f %6.4f %9s\n",
		 "customer's past late ratio",
		 evaluation->customer_late_ratio.auc,
		 evaluation->customer_late_ratio.log_loss,
		 evaluation->customer_late_ratio.accuracy,
		 evaluation->customer_late_ratio.precision,
		 evaluation->customer_late_ratio.recall,
		 evaluation->customer_late_ratio.f1, "-");
	fprintf (out, "%-28s %7s %8s %8s %8s %8s %6s %9.2f\n",
		 "customer's past mean delay", "-", "-", "-", "-", "-", "-",
		 evaluation->customer_mean_delay.mae_days);
	fprintf (out, "%-28s %7s %8s %8s %8s %8s %6s %9.2f\n",
		 "due date as payment date", "-", "-", "-", "-", "-", "-",
		 evaluation->due_date.mae_days);

	fprintf (out, "\ncalibration (predicted probability of paying "
		 "late):\n%-12s %6s %10s %9s\n", "bin", "count", "predicted",
		 "observed");
	for (guint bin = 0; bin < DS_EVALUATE_BINS; bin++) {
		const DsCalibrationBin *b = &evaluation->calibration[bin];

		if (b->count == 0) {
			fprintf (out, "%.1f-%.1f %*s %6u %10s %9s\n", b->from,
				 b->to, 4, "", 0u, "-", "-");
			continue;
		}
		fprintf (out, "%.1f-%.1f %*s %6u %10.3f %9.3f\n", b->from,
			 b->to, 4, "", b->count, b->predicted, b->observed);
	}

	fprintf (out, "\nworklist capture, share of the late amount in the "
		 "top 20%%:\n  riskiest first %.1f%%   oldest first %.1f%%\n",
		 100 * evaluation->capture_model,
		 100 * evaluation->capture_oldest_first);
	fprintf (out, "\ntargets (AUC >= %.2f, MAE <= %.1f days, better than "
		 "every baseline): %s\n", DS_EVALUATE_TARGET_AUC,
		 DS_EVALUATE_TARGET_MAE_DAYS,
		 evaluation->targets_met ? "met" : "NOT met");
}

/*
 * Figures go out rounded to six decimals: enough to compare runs, and
 * free of the binary noise that would make equal runs look different.
 */
static void
add_figure (JsonBuilder *builder, const char *name, double value)
{
	json_builder_set_member_name (builder, name);
	if (isnan (value))
		json_builder_add_null_value (builder);
	else
		json_builder_add_double_value (builder,
					       round (value * 1e6) / 1e6);
}

static void
add_calibration (JsonBuilder *builder, const DsEvaluation *evaluation)
{
	json_builder_set_member_name (builder, "calibration");
	json_builder_begin_array (builder);
	for (guint bin = 0; bin < DS_EVALUATE_BINS; bin++) {
		const DsCalibrationBin *b = &evaluation->calibration[bin];

		json_builder_begin_object (builder);
		add_figure (builder, "from", b->from);
		add_figure (builder, "to", b->to);
		json_builder_set_member_name (builder, "count");
		json_builder_add_int_value (builder, b->count);
		add_figure (builder, "predicted", b->predicted);
		add_figure (builder, "observed", b->observed);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
add_model (JsonBuilder *builder, const DsEvaluation *evaluation)
{
	const DsEvaluationFigures *model = &evaluation->model;

	json_builder_set_member_name (builder, "model");
	json_builder_begin_object (builder);
	add_figure (builder, "auc", model->auc);
	add_figure (builder, "log_loss", model->log_loss);
	add_figure (builder, "accuracy", model->accuracy);
	add_figure (builder, "precision", model->precision);
	add_figure (builder, "recall", model->recall);
	add_figure (builder, "f1", model->f1);
	add_figure (builder, "mae_days", model->mae_days);
	add_calibration (builder, evaluation);
	json_builder_end_object (builder);
}

static void
add_baselines (JsonBuilder *builder, const DsEvaluation *evaluation)
{
	const DsEvaluationFigures *ratio = &evaluation->customer_late_ratio;

	json_builder_set_member_name (builder, "baselines");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "customer_late_ratio");
	json_builder_begin_object (builder);
	add_figure (builder, "auc", ratio->auc);
	add_figure (builder, "log_loss", ratio->log_loss);
	add_figure (builder, "accuracy", ratio->accuracy);
	add_figure (builder, "f1", ratio->f1);
	json_builder_end_object (builder);
	json_builder_set_member_name (builder, "customer_mean_delay");
	json_builder_begin_object (builder);
	add_figure (builder, "mae_days",
		    evaluation->customer_mean_delay.mae_days);
	json_builder_end_object (builder);
	json_builder_set_member_name (builder, "due_date");
	json_builder_begin_object (builder);
	add_figure (builder, "mae_days", evaluation->due_date.mae_days);
	json_builder_end_object (builder);
	json_builder_end_object (builder);
}

JsonNode *
ds_evaluation_to_json (const DsEvaluation *evaluation)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *split = ds_date_to_iso (evaluation->split);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "split");
	json_builder_add_string_value (builder, split);
	json_builder_set_member_name (builder, "train_invoices");
	json_builder_add_int_value (builder, evaluation->train_invoices);
	json_builder_set_member_name (builder, "test_invoices");
	json_builder_add_int_value (builder, evaluation->test_invoices);
	add_figure (builder, "test_late_share", evaluation->test_late_share);
	add_model (builder, evaluation);
	add_baselines (builder, evaluation);
	json_builder_set_member_name (builder, "capture_top20");
	json_builder_begin_object (builder);
	add_figure (builder, "model", evaluation->capture_model);
	add_figure (builder, "oldest_first", evaluation->capture_oldest_first);
	json_builder_end_object (builder);
	json_builder_set_member_name (builder, "targets_met");
	json_builder_add_boolean_value (builder, evaluation->targets_met);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
