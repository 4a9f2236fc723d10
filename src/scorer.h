/*
 * scorer.h -- the collection scorer: two gradient-boosted tree models
 * (libxgboost's C API) over the feature rows of scorer-features.h.
 *
 *   late    probability that the invoice is paid after its due date
 *   delay   days from issue to payment, so the expected payment date
 *
 * A scorer is trained from a ledger history up to a cutoff date, saved
 * as one JSON file holding both models and the feature schema they were
 * trained on, and loaded again.  The schema is checked when a model is
 * loaded and again on every batch it scores: libxgboost would silently
 * accept a matrix with too few columns and answer nonsense.  Saving
 * writes a temporary file, syncs it and renames it over the old model, so
 * a reader sees the old model or the new one, never a mixture.
 *
 * Training is deterministic: a fixed seed, and the thread count set
 * explicitly on every booster (never libxgboost's default of all cores).
 *
 * Scores come with their reasons: per-feature contributions (SHAP values
 * from the trees), in log-odds for "late" and in days for "delay".
 */
#ifndef DS_SCORER_H
#define DS_SCORER_H

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "date.h"
#include "scorer-dunning.h"
#include "scorer-features.h"
#include "ledger-history.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct _DsScorer DsScorer;

typedef struct {
	int threads;		/* libxgboost nthread, >= 1 */
	guint seed;
	guint late_rounds;
	guint delay_rounds;
	guint max_depth;
	double learning_rate;
	double min_child_weight;
	double subsample;
	double column_sample;
} DsScorerParams;

/* The parameters `dunspool evaluate` reports its figures with. */
void ds_scorer_params_init (DsScorerParams *params);

/*
 * One training example: a feature row and what became known about the
 * invoice by the cutoff.  `settled` is the payment date if paid before
 * the cutoff, else DS_DATE_NONE (still open then).
 */
typedef struct {
	DsFeatureMatrix *features;	/* owned */
	GArray *settled;		/* DsDate per row */
	DsDate cutoff;
} DsTrainingSet;

/* Rows read their dunning columns from `dunning` (may be NULL). */
DsTrainingSet *ds_training_set_new (DsDate cutoff,
				    const DsDunningHistory *dunning);
void ds_training_set_free (DsTrainingSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsTrainingSet, ds_training_set_free)

/* Add `invoice` with its features as of its issue date. */
void ds_training_set_add (DsTrainingSet *set,
			  const DsHistoryInvoice *invoice);

/*
 * Train both models.  "delay" learns from the rows paid before the
 * cutoff.  "late" learns from those, and from the rows still open at the
 * cutoff whose due date had passed by then (known late); rows still open
 * and not yet due are unknown and left out.
 *
 * Why "delay" leaves the open rows out rather than taking them as
 * right-censored (survival:aft with label_lower_bound the days elapsed
 * by the cutoff, plus one, and label_upper_bound +inf), measured with
 * `dunspool evaluate --json` on the bundled ledger, the backtest also
 * training on the 84 invoices issued before 2013-07-01 and open then:
 *
 *   open rows left out (kept)              MAE  4.22 days, AUC 0.9222
 *   right-censored, upper bound +inf       MAE 143.4 days
 *   the same, max_delta_step 0.3 / 1       MAE 42.3 / 140.9 days
 *   interval-censored, upper = lower + 60  MAE  5.04 days
 *   interval-censored, upper = lower + 30  MAE  8.57 days
 *
 * (AUC 0.9211 when "late" also takes the 15 of them already overdue.)
 * The open rows are all recent; the features that grow with calendar
 * time (tenure, counts) single them out, and the censored likelihood,
 * whose curvature vanishes for them, pushes their leaves up without
 * bound -- and the later invoices scored fall into the same leaves.
 */
DsScorer *ds_scorer_train (const DsTrainingSet *set,
			   const DsScorerParams *params, GError **error);

/*
 * Train on every invoice issued before `as_of` in the store, with the
 * ledger and dunning history as known on the day before it, and save the
 * scorer atomically to `path` (NULL: not saved).
 */
DsScorer *ds_scorer_retrain (DsStore *store, DsDate as_of,
			     const DsScorerParams *params, const char *path,
			     GError **error);

/* DS_ERROR_NOT_FOUND if absent; DS_ERROR_PERMANENT for another schema. */
DsScorer *ds_scorer_load (const char *path, int threads, GError **error);
gboolean ds_scorer_save (DsScorer *scorer, const char *path,
			 GError **error);
void ds_scorer_free (DsScorer *scorer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsScorer, ds_scorer_free)

const char *ds_scorer_schema (const DsScorer *scorer);
DsDate ds_scorer_trained_until (const DsScorer *scorer);

/*
 * Predictions for every row of `matrix`: arrays of `matrix->rows`
 * doubles (either may be NULL).  Fails with DS_ERROR_PERMANENT when the
 * matrix does not follow the scorer's schema.
 */
gboolean ds_scorer_predict (DsScorer *scorer, const DsFeatureMatrix *matrix,
			    double *late_probability, double *days_to_settle,
			    GError **error);

/*
 * Per-feature contributions, rows x (columns + 1) doubles each, the last
 * column of a row being the bias: log-odds for late, days for delay.
 */
gboolean ds_scorer_contributions (DsScorer *scorer,
				  const DsFeatureMatrix *matrix,
				  double *late, double *delay,
				  GError **error);

/*
 * Predictions for every invoice open on `as_of` in `history` and
 * `dunning` (both loaded with known_on >= as_of), in the order of
 * ds_scorer_features_open_items.  The feature rows are built and
 * predicted a chunk at a time, so that the memory taken beyond the
 * history stays small however many invoices are open: a GArray of
 * DsPrediction.
 */
typedef struct {
	const DsHistoryInvoice *invoice;	/* borrowed from history */
	double late_probability;
	double days_to_settle;	/* predicted, from issue */
} DsPrediction;

GArray *ds_scorer_predict_open_items (DsScorer *scorer,
				      const DsLedgerHistory *history,
				      const DsDunningHistory *dunning,
				      DsDate as_of, GError **error);

/* One invoice's score as of a date, with its strongest reasons. */
typedef struct {
	guint feature;		/* index into ds_scorer_features_list () */
	double value;		/* NaN: unknown */
	double late;		/* contribution, log-odds */
	double delay;		/* contribution, days */
} DsScoreReason;

typedef struct {
	char *invoice_id;
	char *customer_id;
	char *currency;
	gint64 open;		/* open amount on as_of */
	DsDate as_of;
	DsDate due_date;
	double late_probability;	/* the model's, even once overdue */
	double days_to_settle;	/* predicted, from issue */
	DsDate expected_payment;	/* never before as_of */
	double late_base;	/* the models' bias: log-odds, */
	double delay_base;	/* days; the reasons add to these */
	GArray *reasons;	/* DsScoreReason, strongest first */
} DsScore;

void ds_score_free (DsScore *score);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsScore, ds_score_free)

/*
 * Score every row of `matrix` in one batch: a GPtrArray of DsScore in row
 * order, each with its `reasons` strongest reasons (0: none).
 */
GPtrArray *ds_scorer_score (DsScorer *scorer, const DsFeatureMatrix *matrix,
			    guint reasons, GError **error);

/* The planner's call: every invoice open on `as_of`, as known then. */
GPtrArray *ds_scorer_score_open_items (DsScorer *scorer, DsStore *store,
				       DsDate as_of, guint reasons,
				       GError **error);

/* `dunspool score [--explain INVOICE]`. */
typedef struct {
	const char *model_path;
	DsDate as_of;
	int threads;
	const char *explain;	/* an invoice id, or NULL for all open */
	gboolean train_if_missing;	/* retrain and save when no model */
} DsScoreOptions;

typedef struct {
	DsDate as_of;
	DsDate trained_until;
	char *explain;		/* the invoice explained, or NULL */
	GPtrArray *scores;	/* DsScore */
} DsScoreReport;

void ds_score_report_free (DsScoreReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsScoreReport, ds_score_report_free)

gboolean ds_score_run (DsStore *store, const DsScoreOptions *options,
		       DsScoreReport **result, GError **error);
void ds_score_report_print (const DsScoreReport *report, FILE *out);
JsonNode *ds_score_report_to_json (const DsScoreReport *report);

G_END_DECLS

#endif
