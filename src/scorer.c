/*
 * scorer.c -- train, save, load and apply the collection scorer.  See
 * scorer.h.
 *
 * The model file is one JSON document:
 *
 *   { "format": "dunspool-scorer", "version": 1,
 *     "schema": "dunspool-features/1:amount,...",
 *     "trained_until": "2013-07-01",
 *     "late": { libxgboost model }, "delay": { libxgboost model } }
 *
 * Each booster also carries the schema as its "dunspool_schema"
 * attribute, and its number of features is compared with the schema's
 * on load, so a file stitched together from two trainings is refused as
 * surely as one from another version.
 *
 * "delay" is an accelerated-failure-time model (log-logistic) of the days
 * from issue to payment, plus one since a survival time must be positive,
 * fitted on the invoices paid before the cutoff (scorer.h says why the
 * open ones are not given as censored).  Its contributions are in log
 * days; reasons report them converted to days at the predicted value.
 */
#define G_LOG_DOMAIN "dunspool-scorer"

#include "scorer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <xgboost/c_api.h>

#include "ds-error.h"
#include "log.h"
#include "money.h"

#define SCORER_FORMAT "dunspool-scorer"
#define SCORER_VERSION 1
#define SCHEMA_ATTRIBUTE "dunspool_schema"

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (DMatrixHandle, XGDMatrixFree, NULL)

struct _DsScorer {
	BoosterHandle late;
	BoosterHandle delay;
	char *schema;
	DsDate trained_until;
	int threads;
};

void
ds_scorer_params_init (DsScorerParams *params)
{
	*params = (DsScorerParams) {
		.threads = 1,
		.seed = 20130701,
		.late_rounds = 200,
		.delay_rounds = 200,
		.max_depth = 4,
		.learning_rate = 0.03,
		.min_child_weight = 2,
		.subsample = 0.8,
		.column_sample = 0.8,
	};
}

static gboolean
xgboost_ok (int status, const char *what, GError **error)
{
	if (status == 0)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT, "xgboost: %s: %s",
		     what, XGBGetLastError ());
	return FALSE;
}

void
ds_scorer_free (DsScorer *scorer)
{
	if (scorer == NULL)
		return;
	if (scorer->late != NULL)
		XGBoosterFree (scorer->late);
	if (scorer->delay != NULL)
		XGBoosterFree (scorer->delay);
	g_free (scorer->schema);
	g_free (scorer);
}

const char *
ds_scorer_schema (const DsScorer *scorer)
{
	return scorer->schema;
}

DsDate
ds_scorer_trained_until (const DsScorer *scorer)
{
	return scorer->trained_until;
}

/* ---- training sets ---------------------------------------------------- */

DsTrainingSet *
ds_training_set_new (DsDate cutoff, const DsDunningHistory *dunning)
{
	DsTrainingSet *set = g_new0 (DsTrainingSet, 1);

	set->features = ds_feature_matrix_new (dunning);
	set->settled = g_array_new (FALSE, FALSE, sizeof (DsDate));
	set->cutoff = cutoff;
	return set;
}

void
ds_training_set_free (DsTrainingSet *set)
{
	if (set == NULL)
		return;
	ds_feature_matrix_free (set->features);
	g_array_unref (set->settled);
	g_free (set);
}

void
ds_training_set_add (DsTrainingSet *set, const DsHistoryInvoice *invoice)
{
	DsDate settled = ds_history_invoice_settled (invoice, set->cutoff);

	g_return_if_fail (invoice->issue_date < set->cutoff);

	ds_scorer_features_add (set->features, invoice, invoice->issue_date);
	g_array_append_val (set->settled, settled);
}

/* ---- boosters --------------------------------------------------------- */

static gboolean
booster_set (BoosterHandle booster, const char *name, const char *value,
	     GError **error)
{
	return xgboost_ok (XGBoosterSetParam (booster, name, value), name,
			   error);
}

static gboolean
booster_set_threads (BoosterHandle booster, int threads, GError **error)
{
	char text[16];

	g_return_val_if_fail (threads >= 1, FALSE);
	g_snprintf (text, sizeof text, "%d", threads);
	return booster_set (booster, "nthread", text, error);
}

static gboolean
booster_set_double (BoosterHandle booster, const char *name, double value,
		    GError **error)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE];

	return booster_set (booster, name,
			    g_ascii_dtostr (text, sizeof text, value), error);
}

static gboolean
booster_configure (BoosterHandle booster, const DsScorerParams *params,
		   GError **error)
{
	char seed[16];

	g_snprintf (seed, sizeof seed, "%u", params->seed);
	return booster_set_threads (booster, params->threads, error) &&
	       booster_set (booster, "seed", seed, error) &&
	       booster_set (booster, "tree_method", "hist", error) &&
	       booster_set_double (booster, "max_depth", params->max_depth,
				   error) &&
	       booster_set_double (booster, "eta", params->learning_rate,
				   error) &&
	       booster_set_double (booster, "min_child_weight",
				   params->min_child_weight, error) &&
	       booster_set_double (booster, "subsample", params->subsample,
				   error) &&
	       booster_set_double (booster, "colsample_bytree",
				   params->column_sample, error) &&
	       booster_set (booster, "validate_parameters", "1", error);
}

/* A matrix of the selected rows; NULL selection means every row. */
static DMatrixHandle
matrix_select (const DsFeatureMatrix *features, const GArray *rows,
	       GError **error)
{
	g_autoptr (GArray) values = NULL;
	DMatrixHandle handle = NULL;
	const float *data;
	guint count;

	if (rows == NULL) {
		data = (const float *) features->values->data;
		count = features->rows;
	} else {
		values = g_array_sized_new (FALSE, FALSE, sizeof (float),
					    rows->len * features->columns);
		for (guint i = 0; i < rows->len; i++)
			g_array_append_vals (values, ds_feature_matrix_row (
				features, g_array_index (rows, guint, i)),
					     features->columns);
		data = (const float *) values->data;
		count = rows->len;
	}
	if (!xgboost_ok (XGDMatrixCreateFromMat (data, count,
						 features->columns, NAN,
						 &handle), "matrix", error))
		return NULL;
	return handle;
}

static gboolean
matrix_set_labels (DMatrixHandle matrix, const char *field,
		   const float *labels, guint count, GError **error)
{
	return xgboost_ok (XGDMatrixSetFloatInfo (matrix, field, labels,
						  count), field, error);
}

static gboolean
booster_boost (BoosterHandle booster, DMatrixHandle matrix, guint rounds,
	       GError **error)
{
	for (guint round = 0; round < rounds; round++)
		if (!xgboost_ok (XGBoosterUpdateOneIter (booster, round,
							 matrix), "train",
				 error))
			return FALSE;
	return TRUE;
}

static BoosterHandle
booster_new (DMatrixHandle matrix, const DsScorerParams *params,
	     GError **error)
{
	BoosterHandle booster = NULL;
	DMatrixHandle matrices[] = { matrix };

	if (!xgboost_ok (XGBoosterCreate (matrices, 1, &booster), "create",
			 error))
		return NULL;
	if (!booster_configure (booster, params, error) ||
	    !xgboost_ok (XGBoosterSetAttr (booster, SCHEMA_ATTRIBUTE,
					   ds_scorer_features_schema ()),
			 "schema", error)) {
		XGBoosterFree (booster);
		return NULL;
	}
	return booster;
}

/*
 * "late": paid after due, as known at the cutoff.  An invoice still open
 * at the cutoff whose due date had passed is known to be late; one not
 * yet due is unknown and left out.
 */
static gboolean
train_late (DsScorer *scorer, const DsTrainingSet *set,
	    const DsScorerParams *params, GError **error)
{
	g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint));
	g_autoptr (GArray) labels = g_array_new (FALSE, FALSE,
						 sizeof (float));
	g_auto (DMatrixHandle) matrix = NULL;

	for (guint i = 0; i < set->features->rows; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			set->features->invoices, i);
		DsDate settled = g_array_index (set->settled, DsDate, i);
		float late;

		if (settled != DS_DATE_NONE)
			late = settled > invoice->due_date;
		else if (invoice->due_date < set->cutoff)
			late = 1;
		else
			continue;
		g_array_append_val (rows, i);
		g_array_append_val (labels, late);
	}

	matrix = matrix_select (set->features, rows, error);
	if (matrix == NULL ||
	    !matrix_set_labels (matrix, "label", (float *) labels->data,
				labels->len, error))
		return FALSE;
	scorer->late = booster_new (matrix, params, error);
	return scorer->late != NULL &&
	       booster_set (scorer->late, "objective", "binary:logistic",
			    error) &&
	       booster_set (scorer->late, "eval_metric", "auc", error) &&
	       booster_boost (scorer->late, matrix, params->late_rounds,
			      error);
}

static double
mean_float (const float *values, guint count)
{
	double sum = 0;

	for (guint i = 0; i < count; i++)
		sum += values[i];
	return count ? sum / count : 1;
}

/*
 * "delay": days from issue to payment plus one, for the invoices paid
 * before the cutoff (exact times: both bounds the same); the invoices
 * still open are left out, as measured in scorer.h.  The trees start
 * from the mean so that the first rounds are not spent climbing from
 * libxgboost's 0.5.
 */
static gboolean
train_delay (DsScorer *scorer, const DsTrainingSet *set,
	     const DsScorerParams *params, GError **error)
{
	g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint));
	g_autoptr (GArray) days = g_array_new (FALSE, FALSE, sizeof (float));
	g_auto (DMatrixHandle) matrix = NULL;

	for (guint i = 0; i < set->features->rows; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			set->features->invoices, i);
		DsDate settled = g_array_index (set->settled, DsDate, i);
		float time;

		if (settled == DS_DATE_NONE)
			continue;
		time = MAX ((float) settled - invoice->issue_date + 1, 1);
		g_array_append_val (rows, i);
		g_array_append_val (days, time);
	}
	if (rows->len == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "no invoice paid before the cutoff");
		return FALSE;
	}

	matrix = matrix_select (set->features, rows, error);
	if (matrix == NULL ||
	    !matrix_set_labels (matrix, "label_lower_bound",
				(float *) days->data, days->len, error) ||
	    !matrix_set_labels (matrix, "label_upper_bound",
				(float *) days->data, days->len, error))
		return FALSE;
	scorer->delay = booster_new (matrix, params, error);
	return scorer->delay != NULL &&
	       booster_set (scorer->delay, "objective", "survival:aft",
			    error) &&
	       booster_set (scorer->delay, "aft_loss_distribution",
			    "logistic", error) &&
	       booster_set (scorer->delay, "aft_loss_distribution_scale",
			    "1.0", error) &&
	       booster_set_double (scorer->delay, "base_score",
				   mean_float ((float *) days->data,
					       days->len), error) &&
	       booster_boost (scorer->delay, matrix, params->delay_rounds,
			      error);
}

DsScorer *
ds_scorer_train (const DsTrainingSet *set, const DsScorerParams *params,
		 GError **error)
{
	g_autoptr (DsScorer) scorer = g_new0 (DsScorer, 1);

	if (set->features->rows == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "scorer: nothing to train on before the cutoff");
		return NULL;
	}
	scorer->schema = g_strdup (ds_scorer_features_schema ());
	scorer->trained_until = set->cutoff;
	scorer->threads = params->threads;
	if (!train_late (scorer, set, params, error) ||
	    !train_delay (scorer, set, params, error)) {
		g_prefix_error (error, "scorer: ");
		return NULL;
	}
	return g_steal_pointer (&scorer);
}

DsScorer *
ds_scorer_retrain (DsStore *store, DsDate as_of,
		   const DsScorerParams *params, const char *path,
		   GError **error)
{
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsTrainingSet) set = NULL;
	g_autoptr (DsScorer) scorer = NULL;
	GPtrArray *invoices;

	/* What was known on the day before as_of, and nothing more. */
	history = ds_ledger_history_load (store, as_of - 1, error);
	if (history == NULL)
		return NULL;
	dunning = ds_dunning_history_load (store, as_of - 1, error);
	if (dunning == NULL)
		return NULL;
	set = ds_training_set_new (as_of, dunning);
	invoices = ds_ledger_history_invoices (history);
	for (guint i = 0; i < invoices->len; i++)
		ds_training_set_add (set, g_ptr_array_index (invoices, i));

	scorer = ds_scorer_train (set, params, error);
	if (scorer == NULL ||
	    (path != NULL && !ds_scorer_save (scorer, path, error)))
		return NULL;
	return g_steal_pointer (&scorer);
}

/* ---- the model file --------------------------------------------------- */

static JsonNode *
booster_to_json (BoosterHandle booster, GError **error)
{
	const char *bytes = NULL;
	bst_ulong length = 0;
	g_autofree char *text = NULL;

	if (!xgboost_ok (XGBoosterSaveModelToBuffer (
			booster, "{\"format\": \"json\"}", &length, &bytes),
			 "save", error))
		return NULL;
	text = g_strndup (bytes, length);
	return json_from_string (text, error);
}

/*
 * Write `contents` beside `path`, sync it, rename it over `path`, then
 * sync the directory so that the rename itself survives a crash.
 */
static gboolean
replace_file (const char *path, const char *contents, gsize length,
	      GError **error)
{
	g_autofree char *directory = g_path_get_dirname (path);
	int fd;

	if (!g_file_set_contents_full (path, contents, length,
				       G_FILE_SET_CONTENTS_CONSISTENT |
				       G_FILE_SET_CONTENTS_DURABLE, 0644,
				       error))
		return FALSE;
	fd = g_open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0 || fsync (fd) != 0) {
		int saved = errno;

		if (fd >= 0)
			close (fd);
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: sync: %s", directory, g_strerror (saved));
		return FALSE;
	}
	close (fd);
	return TRUE;
}

gboolean
ds_scorer_save (DsScorer *scorer, const char *path, GError **error)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autoptr (JsonNode) root = NULL;
	g_autofree char *text = NULL;
	g_autofree char *until = ds_date_to_iso (scorer->trained_until);
	JsonNode *late = booster_to_json (scorer->late, error);
	JsonNode *delay = late ? booster_to_json (scorer->delay, error) : NULL;
	gsize length;

	if (delay == NULL) {
		if (late != NULL)
			json_node_unref (late);
		g_prefix_error (error, "%s: ", path);
		return FALSE;
	}
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "format");
	json_builder_add_string_value (builder, SCORER_FORMAT);
	json_builder_set_member_name (builder, "version");
	json_builder_add_int_value (builder, SCORER_VERSION);
	json_builder_set_member_name (builder, "schema");
	json_builder_add_string_value (builder, scorer->schema);
	json_builder_set_member_name (builder, "trained_until");
	json_builder_add_string_value (builder, until);
	json_builder_set_member_name (builder, "late");
	json_builder_add_value (builder, late);
	json_builder_set_member_name (builder, "delay");
	json_builder_add_value (builder, delay);
	json_builder_end_object (builder);

	root = json_builder_get_root (builder);
	text = json_to_string (root, FALSE);
	length = strlen (text);
	if (!replace_file (path, text, length, error)) {
		g_prefix_error (error, "scorer: ");
		return FALSE;
	}
	return TRUE;
}

static gboolean
schema_refused (const char *path, const char *what, const char *found,
		GError **error)
{
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s: %s was trained on features \"%.60s\", this program "
		     "builds \"%.60s\": retrain the scorer (dunspool score "
		     "--retrain; the daemon retrains by itself)", path, what,
		     found ? found : "(none)", ds_scorer_features_schema ());
	return FALSE;
}

/* Load one booster and check that it is of our schema. */
static BoosterHandle
booster_from_json (JsonObject *object, const char *member, const char *path,
		   int threads, GError **error)
{
	JsonNode *node = json_object_get_member (object, member);
	g_autofree char *text = NULL;
	BoosterHandle booster = NULL;
	const char *attribute = NULL;
	int found = 0;
	bst_ulong columns = 0;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "%s: no \"%s\" model", path, member);
		return NULL;
	}
	text = json_to_string (node, FALSE);
	if (!xgboost_ok (XGBoosterCreate (NULL, 0, &booster), "create",
			 error))
		return NULL;
	if (!xgboost_ok (XGBoosterLoadModelFromBuffer (booster, text,
						       strlen (text)),
			 member, error) ||
	    !xgboost_ok (XGBoosterGetAttr (booster, SCHEMA_ATTRIBUTE,
					   &attribute, &found), member,
			 error) ||
	    !xgboost_ok (XGBoosterGetNumFeature (booster, &columns), member,
			 error))
		goto fail;
	if (!found || strcmp (attribute, ds_scorer_features_schema ()) != 0 ||
	    columns != ds_scorer_features_count ()) {
		schema_refused (path, member, found ? attribute : NULL,
				error);
		goto fail;
	}
	if (!booster_set_threads (booster, threads, error))
		goto fail;
	return booster;

fail:
	XGBoosterFree (booster);
	return NULL;
}

static JsonNode *
read_model_file (const char *path, GError **error)
{
	g_autofree char *contents = NULL;
	g_autoptr (GError) local = NULL;
	gsize length;
	JsonNode *root;

	if (!g_file_get_contents (path, &contents, &length, &local)) {
		g_set_error (error, DS_ERROR,
			     g_error_matches (local, G_FILE_ERROR,
					      G_FILE_ERROR_NOENT) ?
			     DS_ERROR_NOT_FOUND : DS_ERROR_TEMPORARY,
			     "scorer: %s", local->message);
		return NULL;
	}
	root = json_from_string (contents, &local);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "scorer: %s: not a model file: %s", path,
			     local ? local->message : "not an object");
		if (root != NULL)
			json_node_unref (root);
		return NULL;
	}
	return root;
}

DsScorer *
ds_scorer_load (const char *path, int threads, GError **error)
{
	g_autoptr (JsonNode) root = read_model_file (path, error);
	g_autoptr (DsScorer) scorer = NULL;
	JsonObject *object;
	const char *schema, *until;

	if (root == NULL)
		return NULL;
	object = json_node_get_object (root);
	if (g_strcmp0 (json_object_get_string_member_with_default (
			object, "format", ""), SCORER_FORMAT) != 0 ||
	    json_object_get_int_member_with_default (object, "version", 0) !=
	    SCORER_VERSION) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "scorer: %s: not a %s file of version %d: "
			     "retrain the scorer (dunspool score --retrain)",
			     path, SCORER_FORMAT, SCORER_VERSION);
		return NULL;
	}
	schema = json_object_get_string_member_with_default (object,
							     "schema", "");
	if (strcmp (schema, ds_scorer_features_schema ()) != 0) {
		schema_refused (path, "the scorer", schema, error);
		return NULL;
	}

	scorer = g_new0 (DsScorer, 1);
	scorer->schema = g_strdup (schema);
	scorer->threads = threads;
	until = json_object_get_string_member_with_default (
		object, "trained_until", "");
	if (!ds_date_parse_iso (until, &scorer->trained_until, error)) {
		g_prefix_error (error, "scorer: %s: trained_until: ", path);
		return NULL;
	}
	scorer->late = booster_from_json (object, "late", path, threads,
					  error);
	if (scorer->late == NULL)
		return NULL;
	scorer->delay = booster_from_json (object, "delay", path, threads,
					   error);
	if (scorer->delay == NULL)
		return NULL;
	return g_steal_pointer (&scorer);
}

/* ---- prediction ------------------------------------------------------- */

/* Every batch: the columns the model was trained on, and all of them. */
static gboolean
check_batch (const DsScorer *scorer, const DsFeatureMatrix *matrix,
	     GError **error)
{
	if (g_strcmp0 (matrix->schema, scorer->schema) != 0 ||
	    matrix->columns != ds_scorer_features_count () ||
	    matrix->values->len != (gsize) matrix->rows * matrix->columns) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "scorer: batch of %u columns \"%.60s\" does not "
			     "match the model's \"%.60s\"", matrix->columns,
			     matrix->schema ? matrix->schema : "(none)",
			     scorer->schema);
		return FALSE;
	}
	return TRUE;
}

static gboolean
booster_predict (BoosterHandle booster, DMatrixHandle matrix, int mask,
		 gsize expected, double *out, GError **error)
{
	const float *result = NULL;
	bst_ulong length = 0;

	if (!xgboost_ok (XGBoosterPredict (booster, matrix, mask, 0, 0,
					   &length, &result), "predict",
			 error))
		return FALSE;
	if (length != expected) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "xgboost: predict: %" G_GUINT64_FORMAT
			     " values for %" G_GSIZE_FORMAT " expected",
			     (guint64) length, expected);
		return FALSE;
	}
	for (gsize i = 0; i < expected; i++)
		out[i] = result[i];
	return TRUE;
}

/* Rows per libxgboost matrix when predicting: bounds its copy. */
#define PREDICT_CHUNK 65536

static gboolean
predict_chunk (DsScorer *scorer, const DsFeatureMatrix *matrix,
	       guint first, guint count, double *late_probability,
	       double *days_to_settle, GError **error)
{
	g_auto (DMatrixHandle) handle = NULL;

	if (!xgboost_ok (XGDMatrixCreateFromMat (
			ds_feature_matrix_row (matrix, first), count,
			matrix->columns, NAN, &handle), "matrix", error))
		return FALSE;
	if (late_probability != NULL &&
	    !booster_predict (scorer->late, handle, 0, count,
			      late_probability + first, error))
		return FALSE;
	if (days_to_settle != NULL &&
	    !booster_predict (scorer->delay, handle, 0, count,
			      days_to_settle + first, error))
		return FALSE;
	return TRUE;
}

gboolean
ds_scorer_predict (DsScorer *scorer, const DsFeatureMatrix *matrix,
		   double *late_probability, double *days_to_settle,
		   GError **error)
{
	if (!check_batch (scorer, matrix, error))
		return FALSE;
	for (guint first = 0; first < matrix->rows; first += PREDICT_CHUNK)
		if (!predict_chunk (scorer, matrix, first,
				    MIN (PREDICT_CHUNK, matrix->rows - first),
				    late_probability, days_to_settle, error))
			return FALSE;
	if (days_to_settle == NULL)
		return TRUE;
	for (guint i = 0; i < matrix->rows; i++)
		days_to_settle[i] = MAX (days_to_settle[i] - 1, 0);
	return TRUE;
}

/*
 * Contributions of "delay" come in log days.  Scale them by the slope of
 * exp between the bias and the prediction, so that they add up to the
 * predicted days less the bias in days and a reason reads "adds 4 days".
 */
static void
delay_contributions_to_days (double *row, guint columns)
{
	double bias = row[columns], margin = 0, scale;

	for (guint i = 0; i <= columns; i++)
		margin += row[i];
	scale = margin == bias ? exp (bias) :
		(exp (margin) - exp (bias)) / (margin - bias);
	for (guint i = 0; i < columns; i++)
		row[i] *= scale;
	row[columns] = exp (bias) - 1;
}

gboolean
ds_scorer_contributions (DsScorer *scorer, const DsFeatureMatrix *matrix,
			 double *late, double *delay, GError **error)
{
	g_auto (DMatrixHandle) handle = NULL;
	gsize width = matrix->columns + 1;

	if (!check_batch (scorer, matrix, error))
		return FALSE;
	if (matrix->rows == 0)
		return TRUE;
	handle = matrix_select (matrix, NULL, error);
	if (handle == NULL)
		return FALSE;
	if (late != NULL &&
	    !booster_predict (scorer->late, handle, 4, matrix->rows * width,
			      late, error))
		return FALSE;
	if (delay == NULL)
		return TRUE;
	if (!booster_predict (scorer->delay, handle, 4, matrix->rows * width,
			      delay, error))
		return FALSE;
	for (guint i = 0; i < matrix->rows; i++)
		delay_contributions_to_days (delay + i * width,
					     matrix->columns);
	return TRUE;
}

/* ---- scores and their reasons ----------------------------------------- */

void
ds_score_free (DsScore *score)
{
	if (score == NULL)
		return;
	g_free (score->invoice_id);
	g_free (score->customer_id);
	g_free (score->currency);
	if (score->reasons != NULL)
		g_array_unref (score->reasons);
	g_free (score);
}

static int
compare_reasons (gconstpointer a, gconstpointer b)
{
	const DsScoreReason *left = a, *right = b;
	double x = fabs (left->late), y = fabs (right->late);

	if (x != y)
		return x > y ? -1 : 1;
	x = fabs (left->delay);
	y = fabs (right->delay);
	if (x != y)
		return x > y ? -1 : 1;
	return (left->feature > right->feature) -
	       (left->feature < right->feature);
}

/* The strongest `count` reasons, by their weight on "late". */
static GArray *
score_reasons (const float *values, const double *late, const double *delay,
	       guint columns, guint count)
{
	GArray *reasons = g_array_sized_new (FALSE, FALSE,
					     sizeof (DsScoreReason), columns);

	for (guint i = 0; i < columns; i++) {
		DsScoreReason reason = { i, values[i], late[i], delay[i] };

		g_array_append_val (reasons, reason);
	}
	g_array_sort (reasons, compare_reasons);
	g_array_set_size (reasons, MIN (count, columns));
	return reasons;
}

static DsScore *
score_new (const DsFeatureMatrix *matrix, guint row, double late,
	   double days)
{
	const DsHistoryInvoice *invoice = g_ptr_array_index (
		matrix->invoices, row);
	DsDate as_of = g_array_index (matrix->as_of, DsDate, row);
	DsScore *score = g_new0 (DsScore, 1);
	DsDate expected = invoice->issue_date + (DsDate) lround (days);

	score->invoice_id = g_strdup (invoice->invoice_id);
	score->customer_id = g_strdup (invoice->customer->customer_id);
	score->currency = g_strdup (invoice->currency);
	score->open = invoice->amount -
		      ds_history_invoice_paid (invoice, as_of);
	score->as_of = as_of;
	score->due_date = invoice->due_date;
	score->late_probability = late;
	score->days_to_settle = days;
	score->expected_payment = MAX (expected, as_of);
	return score;
}

GPtrArray *
ds_scorer_score (DsScorer *scorer, const DsFeatureMatrix *matrix,
		 guint reasons, GError **error)
{
	gsize rows = MAX (matrix->rows, 1), width = matrix->columns + 1;
	g_autoptr (GPtrArray) scores = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_score_free);
	g_autofree double *late = g_new (double, rows);
	g_autofree double *days = g_new (double, rows);
	g_autofree double *late_parts = NULL;
	g_autofree double *delay_parts = NULL;

	if (!ds_scorer_predict (scorer, matrix, late, days, error))
		return NULL;
	if (reasons > 0) {
		late_parts = g_new (double, rows * width);
		delay_parts = g_new (double, rows * width);
		if (!ds_scorer_contributions (scorer, matrix, late_parts,
					      delay_parts, error))
			return NULL;
	}
	for (guint row = 0; row < matrix->rows; row++) {
		DsScore *score = score_new (matrix, row, late[row],
					    days[row]);

		if (reasons > 0) {
			const double *l = late_parts + row * width;
			const double *d = delay_parts + row * width;

			score->late_base = l[matrix->columns];
			score->delay_base = d[matrix->columns];
			score->reasons = score_reasons (
				ds_feature_matrix_row (matrix, row), l, d,
				matrix->columns, reasons);
		}
		g_ptr_array_add (scores, score);
	}
	return g_steal_pointer (&scores);
}

GPtrArray *
ds_scorer_score_open_items (DsScorer *scorer, DsStore *store, DsDate as_of,
			    guint reasons, GError **error)
{
	g_autoptr (DsLedgerHistory) history = ds_ledger_history_load (
		store, as_of, error);
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsFeatureMatrix) matrix = NULL;

	if (history == NULL)
		return NULL;
	dunning = ds_dunning_history_load (store, as_of, error);
	if (dunning == NULL)
		return NULL;
	matrix = ds_scorer_features_open_items (history, dunning, as_of);
	return ds_scorer_score (scorer, matrix, reasons, error);
}

/* Predict the rows of `matrix` and append them to `predictions`. */
static gboolean
flush_predictions (DsScorer *scorer, const DsFeatureMatrix *matrix,
		   GArray *predictions, GError **error)
{
	g_autofree double *late = g_new (double, MAX (matrix->rows, 1));
	g_autofree double *days = g_new (double, MAX (matrix->rows, 1));

	if (!ds_scorer_predict (scorer, matrix, late, days, error))
		return FALSE;
	for (guint row = 0; row < matrix->rows; row++) {
		DsPrediction prediction = {
			g_ptr_array_index (matrix->invoices, row), late[row],
			days[row],
		};

		g_array_append_val (predictions, prediction);
	}
	return TRUE;
}

GArray *
ds_scorer_predict_open_items (DsScorer *scorer,
			      const DsLedgerHistory *history,
			      const DsDunningHistory *dunning, DsDate as_of,
			      GError **error)
{
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	g_autoptr (GArray) predictions = g_array_new (FALSE, FALSE,
		sizeof (DsPrediction));
	g_autoptr (DsFeatureMatrix) matrix = ds_feature_matrix_new (dunning);

	for (guint i = 0; i < invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);

		if (!ds_history_invoice_open (invoice, as_of))
			continue;
		ds_scorer_features_add (matrix, invoice, as_of);
		if (matrix->rows < PREDICT_CHUNK)
			continue;
		if (!flush_predictions (scorer, matrix, predictions, error))
			return NULL;
		g_clear_pointer (&matrix, ds_feature_matrix_free);
		matrix = ds_feature_matrix_new (dunning);
	}
	if (!flush_predictions (scorer, matrix, predictions, error))
		return NULL;
	return g_steal_pointer (&predictions);
}

/* ---- dunspool score --------------------------------------------------- */

#define SCORE_REASONS 3

void
ds_score_report_free (DsScoreReport *report)
{
	if (report == NULL)
		return;
	g_free (report->explain);
	if (report->scores != NULL)
		g_ptr_array_unref (report->scores);
	g_free (report);
}

static DsScorer *
score_model (DsStore *store, const DsScoreOptions *options, DsDate as_of,
	     GError **error)
{
	g_autoptr (GError) local = NULL;
	DsScorerParams params;
	DsScorer *scorer;
	int threads = MAX (options->threads, 1);

	ds_scorer_params_init (&params);
	params.threads = threads;
	scorer = ds_scorer_load (options->model_path, threads, &local);
	if (scorer != NULL && scorer->trained_until > as_of) {
		/* It knows how later invoices were paid: score as of then
		 * with a model of what was known then, kept in memory. */
		ds_scorer_free (scorer);
		return ds_scorer_retrain (store, as_of, &params, NULL,
					  error);
	}
	if (scorer != NULL || !options->train_if_missing ||
	    !g_error_matches (local, DS_ERROR, DS_ERROR_NOT_FOUND)) {
		if (scorer == NULL)
			g_propagate_error (error, g_steal_pointer (&local));
		return scorer;
	}
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SCORER, NULL,
		      "scorer: no model at %s: training one",
		      options->model_path);
	return ds_scorer_retrain (store, as_of, &params, options->model_path,
				  error);
}

/* Riskiest first, then by id, so that equal runs print equal lists. */
static int
compare_scores (gconstpointer a, gconstpointer b)
{
	const DsScore *left = *(DsScore *const *) a;
	const DsScore *right = *(DsScore *const *) b;

	if (left->late_probability != right->late_probability)
		return left->late_probability > right->late_probability ?
		       -1 : 1;
	return strcmp (left->invoice_id, right->invoice_id);
}

static DsFeatureMatrix *
score_matrix (const DsLedgerHistory *history, const DsDunningHistory *dunning,
	      const DsScoreOptions *options, DsDate as_of, GError **error)
{
	const DsHistoryInvoice *invoice;
	DsFeatureMatrix *matrix;

	if (options->explain == NULL)
		return ds_scorer_features_open_items (history, dunning, as_of);
	invoice = ds_ledger_history_find (history, options->explain);
	if (invoice == NULL) {
		g_autofree char *date = ds_date_to_iso (as_of);

		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no invoice %s issued on or before %s",
			     options->explain, date);
		return NULL;
	}
	matrix = ds_feature_matrix_new (dunning);
	ds_scorer_features_add (matrix, invoice, as_of);
	return matrix;
}

gboolean
ds_score_run (DsStore *store, const DsScoreOptions *options,
	      DsScoreReport **result, GError **error)
{
	g_autoptr (DsScoreReport) report = g_new0 (DsScoreReport, 1);
	g_autoptr (DsScorer) scorer = NULL;
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsFeatureMatrix) matrix = NULL;
	DsDate as_of = options->as_of != DS_DATE_NONE ? options->as_of :
		       ds_date_today_utc ();

	scorer = score_model (store, options, as_of, error);
	if (scorer == NULL)
		return FALSE;
	history = ds_ledger_history_load (store, as_of, error);
	if (history == NULL)
		return FALSE;
	dunning = ds_dunning_history_load (store, as_of, error);
	if (dunning == NULL)
		return FALSE;
	matrix = score_matrix (history, dunning, options, as_of, error);
	if (matrix == NULL)
		return FALSE;

	report->as_of = as_of;
	report->trained_until = scorer->trained_until;
	report->explain = g_strdup (options->explain);
	report->scores = ds_scorer_score (scorer, matrix,
					  options->explain ?
					  matrix->columns : SCORE_REASONS,
					  error);
	if (report->scores == NULL)
		return FALSE;
	g_ptr_array_sort (report->scores, compare_scores);
	*result = g_steal_pointer (&report);
	return TRUE;
}

static void
print_value (FILE *out, double value)
{
	if (isnan (value))
		fprintf (out, "%10s", "unknown");
	else
		fprintf (out, "%10.6g", value);
}

static void
print_explanation (const DsScore *score, FILE *out)
{
	const DsFeature *features = ds_scorer_features_list (NULL);
	g_autofree char *open = ds_money_to_decimal (score->open,
						     score->currency);
	char due[DS_DATE_ISO_LEN], expected[DS_DATE_ISO_LEN];

	ds_date_format_iso (score->due_date, due);
	ds_date_format_iso (score->expected_payment, expected);
	fprintf (out, "invoice %s, customer %s: due %s, open %s %s\n",
		 score->invoice_id, score->customer_id, due, open,
		 score->currency);
	fprintf (out, "paid late: %.1f%% (base %+.3f log-odds)\n",
		 100 * score->late_probability, score->late_base);
	fprintf (out, "expected payment: %s, %.1f days from issue "
		 "(base %.1f days)\n\n", expected, score->days_to_settle,
		 score->delay_base);
	fprintf (out, "%-34s %10s %9s %8s\n", "reason", "value",
		 "late", "days");
	for (guint i = 0; i < score->reasons->len; i++) {
		const DsScoreReason *reason = &g_array_index (
			score->reasons, DsScoreReason, i);

		fprintf (out, "%-34s ", features[reason->feature].name);
		print_value (out, reason->value);
		fprintf (out, " %+9.3f %+8.2f  %s\n", reason->late,
			 reason->delay, features[reason->feature].description);
	}
}

static void
print_scores (const DsScoreReport *report, FILE *out)
{
	const DsFeature *features = ds_scorer_features_list (NULL);

	fprintf (out, "%-12s %-12s %-10s %12s %-3s %6s %-10s %s\n",
		 "invoice", "customer", "due", "open", "", "late", "expected",
		 "reasons");
	for (guint i = 0; i < report->scores->len; i++) {
		const DsScore *score = g_ptr_array_index (report->scores, i);
		g_autofree char *open = ds_money_to_decimal (score->open,
							     score->currency);
		char due[DS_DATE_ISO_LEN], expected[DS_DATE_ISO_LEN];

		ds_date_format_iso (score->due_date, due);
		ds_date_format_iso (score->expected_payment, expected);
		fprintf (out, "%-12s %-12s %-10s %12s %-3s %5.1f%% %-10s",
			 score->invoice_id, score->customer_id, due, open,
			 score->currency, 100 * score->late_probability,
			 expected);
		for (guint r = 0; r < score->reasons->len; r++) {
			const DsScoreReason *reason = &g_array_index (
				score->reasons, DsScoreReason, r);

			fprintf (out, "%s %s %+.2f", r ? "," : "",
				 features[reason->feature].name,
				 reason->late);
		}
		fputc ('\n', out);
	}
}

void
ds_score_report_print (const DsScoreReport *report, FILE *out)
{
	char as_of[DS_DATE_ISO_LEN], until[DS_DATE_ISO_LEN];

	ds_date_format_iso (report->as_of, as_of);
	ds_date_format_iso (report->trained_until, until);
	fprintf (out, "as of %s, model trained on the ledger before %s\n",
		 as_of, until);
	if (report->explain != NULL && report->scores->len == 1) {
		print_explanation (g_ptr_array_index (report->scores, 0), out);
		return;
	}
	fprintf (out, "%u open invoices, riskiest first; reasons in "
		 "log-odds of paying late\n\n", report->scores->len);
	print_scores (report, out);
}

static void
add_double (JsonBuilder *builder, const char *name, double value)
{
	json_builder_set_member_name (builder, name);
	if (isnan (value))
		json_builder_add_null_value (builder);
	else
		json_builder_add_double_value (builder,
					       round (value * 1e6) / 1e6);
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, value);
}

static void
add_reasons (JsonBuilder *builder, const DsScore *score)
{
	const DsFeature *features = ds_scorer_features_list (NULL);

	json_builder_set_member_name (builder, "reasons");
	json_builder_begin_array (builder);
	for (guint i = 0; i < score->reasons->len; i++) {
		const DsScoreReason *reason = &g_array_index (
			score->reasons, DsScoreReason, i);

		json_builder_begin_object (builder);
		add_string (builder, "feature",
			    features[reason->feature].name);
		add_string (builder, "description",
			    features[reason->feature].description);
		add_double (builder, "value", reason->value);
		add_double (builder, "late_log_odds", reason->late);
		add_double (builder, "delay_days", reason->delay);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
add_score (JsonBuilder *builder, const DsScore *score)
{
	g_autofree char *open = ds_money_to_decimal (score->open,
						     score->currency);
	g_autofree char *due = ds_date_to_iso (score->due_date);
	g_autofree char *expected = ds_date_to_iso (score->expected_payment);

	json_builder_begin_object (builder);
	add_string (builder, "invoice_id", score->invoice_id);
	add_string (builder, "customer_id", score->customer_id);
	add_string (builder, "due_date", due);
	add_string (builder, "open", open);
	add_string (builder, "currency", score->currency);
	add_double (builder, "late_probability", score->late_probability);
	add_double (builder, "days_to_settle", score->days_to_settle);
	add_string (builder, "expected_payment_date", expected);
	add_double (builder, "late_base_log_odds", score->late_base);
	add_double (builder, "delay_base_days", score->delay_base);
	add_reasons (builder, score);
	json_builder_end_object (builder);
}

JsonNode *
ds_score_report_to_json (const DsScoreReport *report)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *as_of = ds_date_to_iso (report->as_of);
	g_autofree char *until = ds_date_to_iso (report->trained_until);

	json_builder_begin_object (builder);
	add_string (builder, "as_of", as_of);
	add_string (builder, "trained_until", until);
	if (report->explain != NULL)
		add_string (builder, "explain", report->explain);
	json_builder_set_member_name (builder, "scores");
	json_builder_begin_array (builder);
	for (guint i = 0; i < report->scores->len; i++)
		add_score (builder, g_ptr_array_index (report->scores, i));
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
