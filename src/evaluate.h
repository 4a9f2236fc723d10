/*
 * evaluate.h -- `dunspool evaluate`: a time-split backtest of the scorer
 * against simple baselines.
 *
 * The ledger is split at a date (2013-07-01 by default).  The scorer is
 * trained on the invoices issued and paid before it, and tested on the
 * invoices issued from it on, each with its features as of its own issue
 * date, the dunning columns from whatever dunning history the store
 * holds (none on a fresh import; the documents of the demo's replay in
 * its instance).  The figures:
 *
 *   model       AUC, log loss, accuracy, precision, recall, F1 and
 *               calibration bins for "paid late" (after the due date);
 *               mean absolute error in days of the expected payment date
 *   baselines   the customer's past late ratio as the probability of
 *               paying late; the due date moved by the customer's past
 *               mean delay as the payment date; the due date itself
 *   capture     the share of the late amount among the 20% of test
 *               invoices scored riskiest, against the 20% oldest
 *
 * Training uses the fixed parameters of ds_scorer_params_init with the
 * thread count of the options, so the figures reproduce exactly.
 */
#ifndef DS_EVALUATE_H
#define DS_EVALUATE_H

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "date.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_EVALUATE_BINS 10
#define DS_EVALUATE_TARGET_AUC 0.91
#define DS_EVALUATE_TARGET_MAE_DAYS 4.5

typedef struct {
	DsDate split;		/* DS_DATE_NONE: 2013-07-01 */
	int threads;		/* 0: 1 */
} DsEvaluateOptions;

/* Figures for "paid late"; NaN where they do not apply. */
typedef struct {
	double auc;
	double log_loss;
	double accuracy;
	double precision;
	double recall;
	double f1;
	double mae_days;	/* expected payment date, in days */
} DsEvaluationFigures;

typedef struct {
	double from, to;	/* predicted probability in [from, to) */
	guint count;
	double predicted;	/* mean predicted probability */
	double observed;	/* share paid late */
} DsCalibrationBin;

typedef struct {
	DsDate split;
	guint train_invoices;
	guint test_invoices;
	double test_late_share;
	DsEvaluationFigures model;
	DsCalibrationBin calibration[DS_EVALUATE_BINS];
	DsEvaluationFigures customer_late_ratio;
	DsEvaluationFigures customer_mean_delay;
	DsEvaluationFigures due_date;
	double capture_model;
	double capture_oldest_first;
	gboolean targets_met;
} DsEvaluation;

void ds_evaluation_free (DsEvaluation *evaluation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEvaluation, ds_evaluation_free)

gboolean ds_evaluate_run (DsStore *store, const DsEvaluateOptions *options,
			  DsEvaluation **result, GError **error);
void ds_evaluation_print (const DsEvaluation *evaluation, FILE *out);
JsonNode *ds_evaluation_to_json (const DsEvaluation *evaluation);

G_END_DECLS

#endif
