/*
 * policy.c -- the next best action.  See policy.h.
 *
 * Owns the tables policy_decisions, policy_decision_items and
 * channel_responses (migration 4 in store.c); nothing else writes them.
 *
 * The random numbers: a GRand seeded from SHA-256 of "KEY@DATE".  One
 * draw per alternative decides; the propensity is the share of a further
 * settings.propensity_draws rounds of draws from the same posteriors in
 * which the chosen alternative is again worth most.  Beta draws are made
 * from two Gamma draws (Marsaglia and Tsang), so nothing but GLib is
 * needed and every platform draws the same numbers.
 */
#define G_LOG_DOMAIN "dunspool-policy"

#include "policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"
#include "journal.h"
#include "ledger-history.h"
#include "planner.h"

static gboolean learn_from (DsStore *store, const DsPolicySettings *settings,
			    const DsLedgerHistory *known, DsDate as_of,
			    guint *resolved, GError **error);

struct _DsPolicy {
	DsInstance *instance;	/* borrowed */
	DsPolicySettings settings;
	char *model_path;
	DsScorer *scorer;
	DsDate prepared_on;
	GArray *risks;		/* InvoiceRisk by id; NULL: rules */
	GStringChunk *risk_ids;	/* the ids the risks point to */
	GHashTable *responses;	/* "segment/action/step" -> gint64[2] */
};

/*
 * All the decisions need of a score: the late probability of each open
 * invoice, kept in a sorted array (16 bytes and the id per invoice)
 * rather than as DsScore objects, so that a day with a million open
 * invoices costs tens of megabytes, not hundreds.
 */
typedef struct {
	const char *invoice_id;
	double late_probability;
} InvoiceRisk;

/* ---- settings --------------------------------------------------------- */

void
ds_policy_settings_init (DsPolicySettings *settings)
{
	memset (settings, 0, sizeof *settings);
	settings->control_share = 0.15;
	settings->horizon_days = 30;
	settings->cost[DS_CHANNEL_EMAIL] = 5;
	settings->cost[DS_CHANNEL_FAX] = 30;
	settings->cost[DS_CHANNEL_LETTER] = 120;
	settings->cost[DS_CHANNEL_REGISTERED] = 550;
	settings->cost[DS_CHANNEL_CALL] = 400;	/* a collector's ten minutes */
	settings->min_settled = 200;
	settings->retrain_days = 30;
	settings->max_wait_days = 14;
	settings->prior_channel[0] = 3;
	settings->prior_channel[1] = 2;
	settings->prior_wait[0] = 2;
	settings->prior_wait[1] = 3;
	settings->propensity_draws = 200;
	settings->high_risk = 0.5;
	settings->low_risk = 0.2;
}

static gboolean
setting_fail (const DsConfig *config, const char *key, const char *why,
	      GError **error)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s: [policy] %s: %s",
		     config->path, key, why);
	return FALSE;
}

/* An optional number in [low, high]; absent keeps *value. */
static gboolean
read_number (GKeyFile *file, const DsConfig *config, const char *key,
	     double low, double high, double *value, GError **error)
{
	g_autofree char *text = g_key_file_get_string (file, "policy", key,
						       NULL);
	char *end = NULL;
	double number;

	if (text == NULL)
		return TRUE;
	number = g_ascii_strtod (g_strstrip (text), &end);
	if (end == text || *end != '\0' || !isfinite (number) ||
	    number < low || number > high)
		return setting_fail (config, key, "not a number in range",
				     error);
	*value = number;
	return TRUE;
}

static gboolean
read_integer (GKeyFile *file, const DsConfig *config, const char *key,
	      double low, double high, int *value, GError **error)
{
	double number = *value;

	if (!read_number (file, config, key, low, high, &number, error))
		return FALSE;
	if (number != floor (number))
		return setting_fail (config, key, "not a whole number", error);
	*value = (int) number;
	return TRUE;
}

/* "successes;failures", both positive. */
static gboolean
read_prior (GKeyFile *file, const DsConfig *config, const char *key,
	    double prior[2], GError **error)
{
	g_autofree char *text = g_key_file_get_string (file, "policy", key,
						       NULL);
	g_auto (GStrv) parts = NULL;

	if (text == NULL)
		return TRUE;
	parts = g_strsplit (g_strstrip (text), ";", 0);
	if (g_strv_length (parts) != 2)
		return setting_fail (config, key, "want SUCCESSES;FAILURES",
				     error);
	for (int i = 0; i < 2; i++) {
		char *end = NULL;

		prior[i] = g_ascii_strtod (g_strstrip (parts[i]), &end);
		if (end == parts[i] || *end != '\0' || !(prior[i] > 0) ||
		    prior[i] > 1e6)
			return setting_fail (config, key,
					     "want two positive numbers",
					     error);
	}
	return TRUE;
}

static gboolean
read_costs (GKeyFile *file, const DsConfig *config,
	    DsPolicySettings *settings, GError **error)
{
	for (int channel = 0; channel < DS_CHANNEL_COUNT; channel++) {
		g_autofree char *key = g_strdup_printf (
			"cost_%s", ds_channel_name (channel));
		double cost = settings->cost[channel] / 100.0;

		if (!read_number (file, config, key, 0, 1e6, &cost, error))
			return FALSE;
		settings->cost[channel] = (gint64) llround (cost * 100);
	}
	return TRUE;
}

gboolean
ds_policy_settings_load (const DsConfig *config,
			 DsPolicySettings *settings, GError **error)
{
	g_autoptr (GKeyFile) file = g_key_file_new ();
	double draws, settled;

	ds_policy_settings_init (settings);
	if (!g_key_file_load_from_file (file, config->path, G_KEY_FILE_NONE,
					error))
		return FALSE;
	draws = settings->propensity_draws;
	settled = settings->min_settled;
	return read_number (file, config, "control_share", 0, 1,
			    &settings->control_share, error) &&
	       read_integer (file, config, "horizon_days", 1, 365,
			     &settings->horizon_days, error) &&
	       read_costs (file, config, settings, error) &&
	       read_number (file, config, "min_settled", 1, 1e9, &settled,
			    error) &&
	       read_integer (file, config, "retrain_days", 1, 3650,
			     &settings->retrain_days, error) &&
	       read_integer (file, config, "max_wait_days", 0, 365,
			     &settings->max_wait_days, error) &&
	       read_prior (file, config, "prior_channel",
			   settings->prior_channel, error) &&
	       read_prior (file, config, "prior_wait", settings->prior_wait,
			   error) &&
	       read_number (file, config, "propensity_draws", 1, 100000,
			    &draws, error) &&
	       read_number (file, config, "high_risk", 0, 1,
			    &settings->high_risk, error) &&
	       read_number (file, config, "low_risk", 0, 1,
			    &settings->low_risk, error) &&
	       ((settings->min_settled = (guint) settled),
		(settings->propensity_draws = (guint) draws), TRUE);
}

/* ---- names ------------------------------------------------------------ */

const char *
ds_policy_verdict_name (DsPolicyVerdict verdict)
{
	static const char *const names[] = {
		"rules", "keep", "change", "skip", "pre-due",
	};

	return names[verdict];
}

const char *
ds_policy_action_name (int action)
{
	return action == DS_POLICY_WAIT ? "wait" : ds_channel_name (action);
}

/* ---- the control group ------------------------------------------------ */

/* The first 8 bytes of SHA-256 of `text`, as a number. */
static guint64
stable_hash (const char *text)
{
	g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize length = sizeof digest;
	guint64 bits = 0;

	g_checksum_update (checksum, (const guchar *) text, -1);
	g_checksum_get_digest (checksum, digest, &length);
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | digest[i];
	return bits;
}

gboolean
ds_policy_is_control (const DsPolicySettings *settings,
		      const char *customer_id)
{
	g_autofree char *text = g_strconcat ("dunspool-control/", customer_id,
					     NULL);
	/* The top 53 bits as a fraction in [0, 1). */
	double position = (stable_hash (text) >> 11) / 9007199254740992.0;

	return position < settings->control_share;
}

/* ---- sampling --------------------------------------------------------- */

static double
draw_normal (GRand *rand)
{
	double u = g_rand_double (rand);
	double v = g_rand_double (rand);

	return sqrt (-2.0 * log (1.0 - u)) * cos (2.0 * G_PI * v);
}

/* Gamma (shape, 1) by Marsaglia and Tsang; shape < 1 by boosting. */
static double
draw_gamma (GRand *rand, double shape)
{
	double d, c;

	if (shape < 1.0)
		return draw_gamma (rand, shape + 1.0) *
		       pow (1.0 - g_rand_double (rand), 1.0 / shape);
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt (9.0 * d);
	for (;;) {
		double x = draw_normal (rand);
		double v = 1.0 + c * x;
		double u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = 1.0 - g_rand_double (rand);
		if (log (u) < 0.5 * x * x + d - d * v + d * log (v))
			return d * v;
	}
}

static double
draw_beta (GRand *rand, double successes, double failures)
{
	double x = draw_gamma (rand, successes);
	double y = draw_gamma (rand, failures);

	return x / (x + y);
}

static GRand *
decision_rand (const char *key, DsDate as_of)
{
	char date[DS_DATE_ISO_LEN];
	g_autofree char *text = NULL;
	guint64 bits;
	guint32 seed[2];

	ds_date_format_iso (as_of, date);
	text = g_strdup_printf ("%s@%s", key, date);
	bits = stable_hash (text);
	seed[0] = (guint32) (bits >> 32);
	seed[1] = (guint32) bits;
	return g_rand_new_with_seed_array (seed, 2);
}

/* ---- the response statistics ------------------------------------------ */

static char *
response_key (const char *segment, int action, const char *step)
{
	return g_strdup_printf ("%s/%s/%s", segment,
				ds_policy_action_name (action), step);
}

static GHashTable *
responses_load (DsStore *store, GError **error)
{
	g_autoptr (GHashTable) responses = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT segment, action, step, successes, failures"
		" FROM channel_responses", error);
	int status;

	if (statement == NULL)
		return NULL;
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 *counts = g_new (gint64, 2);

		counts[0] = sqlite3_column_int64 (statement, 3);
		counts[1] = sqlite3_column_int64 (statement, 4);
		g_hash_table_insert (responses, g_strdup_printf ("%s/%s/%s",
			sqlite3_column_text (statement, 0),
			sqlite3_column_text (statement, 1),
			sqlite3_column_text (statement, 2)), counts);
	}
	if (status != SQLITE_DONE) {
		ds_store_fail (store, error, "channel_responses");
		return NULL;
	}
	return g_steal_pointer (&responses);
}

gboolean
ds_policy_responses (DsStore *store, const char *segment, int action,
		     const char *step, gint64 *successes, gint64 *failures,
		     GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT successes, failures FROM channel_responses"
		" WHERE segment = ? AND action = ? AND step = ?", error);
	int status;

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, segment, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text (statement, 2, ds_policy_action_name (action), -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 3, step, -1, SQLITE_TRANSIENT);
	*successes = *failures = 0;
	status = sqlite3_step (statement);
	if (status == SQLITE_ROW) {
		*successes = sqlite3_column_int64 (statement, 0);
		*failures = sqlite3_column_int64 (statement, 1);
	} else if (status != SQLITE_DONE) {
		return ds_store_fail (store, error, "channel_responses");
	}
	return TRUE;
}

/* ---- the policy ------------------------------------------------------- */

DsPolicy *
ds_policy_new (DsInstance *instance, GError **error)
{
	g_autoptr (DsPolicy) policy = g_new0 (DsPolicy, 1);

	policy->instance = instance;
	if (!ds_policy_settings_load (instance->config, &policy->settings,
				      error))
		return NULL;
	policy->model_path = ds_instance_model_path (instance);
	return g_steal_pointer (&policy);
}

void
ds_policy_free (DsPolicy *policy)
{
	if (policy == NULL)
		return;
	ds_scorer_free (policy->scorer);
	g_clear_pointer (&policy->risks, g_array_unref);
	g_clear_pointer (&policy->risk_ids, g_string_chunk_free);
	g_clear_pointer (&policy->responses, g_hash_table_unref);
	g_free (policy->model_path);
	g_free (policy);
}

const DsPolicySettings *
ds_policy_settings (const DsPolicy *policy)
{
	return &policy->settings;
}

static int
compare_risks (gconstpointer a, gconstpointer b)
{
	const InvoiceRisk *left = a, *right = b;

	return strcmp (left->invoice_id, right->invoice_id);
}

static void
risks_clear (DsPolicy *policy)
{
	g_clear_pointer (&policy->risks, g_array_unref);
	g_clear_pointer (&policy->risk_ids, g_string_chunk_free);
}

static void
risks_begin (DsPolicy *policy, guint count)
{
	risks_clear (policy);
	policy->risks = g_array_sized_new (FALSE, FALSE,
					   sizeof (InvoiceRisk), count);
	policy->risk_ids = g_string_chunk_new (64 * 1024);
}

static void
risks_add (DsPolicy *policy, const char *invoice_id, double late)
{
	InvoiceRisk risk = {
		g_string_chunk_insert (policy->risk_ids, invoice_id), late,
	};

	g_array_append_val (policy->risks, risk);
}

static const InvoiceRisk *
risk_find (const DsPolicy *policy, const char *invoice_id)
{
	InvoiceRisk key = { invoice_id, 0 };

	return bsearch (&key, policy->risks->data, policy->risks->len,
			sizeof (InvoiceRisk), compare_risks);
}

void
ds_policy_use_scores (DsPolicy *policy, GPtrArray *scores)
{
	risks_clear (policy);
	if (scores == NULL)
		return;
	risks_begin (policy, scores->len);
	for (guint i = 0; i < scores->len; i++) {
		const DsScore *score = g_ptr_array_index (scores, i);

		risks_add (policy, score->invoice_id,
			   score->late_probability);
	}
	g_array_sort (policy->risks, compare_risks);
}

/* The day's predictions, made a chunk of feature rows at a time. */
static gboolean
use_predictions (DsPolicy *policy, const DsLedgerHistory *history,
		 const DsDunningHistory *dunning, DsDate as_of,
		 GError **error)
{
	g_autoptr (GArray) predictions = ds_scorer_predict_open_items (
		policy->scorer, history, dunning, as_of, error);

	if (predictions == NULL)
		return FALSE;
	risks_begin (policy, predictions->len);
	for (guint i = 0; i < predictions->len; i++) {
		const DsPrediction *prediction = &g_array_index (
			predictions, DsPrediction, i);

		risks_add (policy, prediction->invoice->invoice_id,
			   prediction->late_probability);
	}
	g_array_sort (policy->risks, compare_risks);
	return TRUE;
}

DsDate
ds_policy_model_trained_until (const DsPolicy *policy)
{
	return policy->scorer != NULL && policy->risks != NULL ?
	       ds_scorer_trained_until (policy->scorer) : DS_DATE_NONE;
}

/* ---- preparing a day -------------------------------------------------- */

static guint
count_settled (const DsLedgerHistory *history, DsDate as_of)
{
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	guint settled = 0;

	for (guint i = 0; i < invoices->len; i++)
		if (ds_history_invoice_settled (g_ptr_array_index (invoices,
								   i),
						as_of) != DS_DATE_NONE)
			settled++;
	return settled;
}

/*
 * A model for a day before the one on disk was trained until (a re-run
 * of a past day): trained as ds_scorer_retrain would have, but kept in
 * memory, so that the newer model on disk stays.
 */
static DsScorer *
train_for_past_day (DsStore *store, DsDate as_of,
		    const DsScorerParams *params, GError **error)
{
	g_autoptr (DsLedgerHistory) history = ds_ledger_history_load (
		store, as_of - 1, error);
	g_autoptr (DsDunningHistory) dunning = NULL;
	g_autoptr (DsTrainingSet) set = NULL;
	GPtrArray *invoices;

	if (history == NULL)
		return NULL;
	dunning = ds_dunning_history_load (store, as_of - 1, error);
	if (dunning == NULL)
		return NULL;
	set = ds_training_set_new (as_of, dunning);
	invoices = ds_ledger_history_invoices (history);
	for (guint i = 0; i < invoices->len; i++)
		ds_training_set_add (set, g_ptr_array_index (invoices, i));
	return ds_scorer_train (set, params, error);
}

/*
 * The model for `as_of`: the one on disk unless it is missing, older
 * than the schedule allows, or trained on days after `as_of` (a model
 * must not know the future of the day it plans).  NULL without an error
 * while the history is too short to learn from.
 */
static gboolean
refresh_scorer (DsPolicy *policy, const DsLedgerHistory *history,
		DsDate as_of, GError **error)
{
	DsStore *store = policy->instance->store;
	DsDate trained;
	DsScorerParams params;

	if (policy->scorer == NULL) {
		g_autoptr (GError) local = NULL;

		policy->scorer = ds_scorer_load (policy->model_path, 1,
						 &local);
		if (policy->scorer == NULL &&
		    !g_error_matches (local, DS_ERROR, DS_ERROR_NOT_FOUND))
			g_message ("model %s: retraining: %s",
				   policy->model_path, local->message);
	}
	trained = policy->scorer != NULL ?
		  ds_scorer_trained_until (policy->scorer) : DS_DATE_NONE;
	if (trained != DS_DATE_NONE && trained <= as_of &&
	    (gint64) as_of < (gint64) trained + policy->settings.retrain_days)
		return TRUE;
	g_clear_pointer (&policy->scorer, ds_scorer_free);
	if (count_settled (history, as_of) < policy->settings.min_settled)
		return TRUE;
	ds_scorer_params_init (&params);
	params.threads = 1;
	if (trained != DS_DATE_NONE && trained > as_of)
		policy->scorer = train_for_past_day (store, as_of, &params,
						     error);
	else
		policy->scorer = ds_scorer_retrain (store, as_of, &params,
						    policy->model_path,
						    error);
	if (policy->scorer != NULL) {
		g_autofree char *date = ds_date_to_iso (as_of);

		g_message ("model: retrained until=%s", date);
	}
	return policy->scorer != NULL;
}

gboolean
ds_policy_prepare (DsPolicy *policy, DsDate as_of, GError **error)
{
	DsStore *store = policy->instance->store;
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (DsDunningHistory) dunning = NULL;

	if (policy->prepared_on == as_of)
		return TRUE;
	history = ds_ledger_history_load (store, as_of, error);
	if (history == NULL ||
	    !learn_from (store, &policy->settings, history, as_of, NULL,
			 error))
		return FALSE;
	g_clear_pointer (&policy->responses, g_hash_table_unref);
	policy->responses = responses_load (store, error);
	if (policy->responses == NULL ||
	    !refresh_scorer (policy, history, as_of, error))
		return FALSE;
	risks_clear (policy);
	if (policy->scorer != NULL) {
		dunning = ds_dunning_history_load (store, as_of, error);
		if (dunning == NULL ||
		    !use_predictions (policy, history, dunning, as_of, error))
			return FALSE;
	}
	policy->prepared_on = as_of;
	return TRUE;
}

/* ---- deciding --------------------------------------------------------- */

/* The riskiest item's band; "unscored" when no item has a score. */
static const char *
segment_of (const DsPolicy *policy, const DsDocument *document)
{
	double risk = -1;

	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *item = g_ptr_array_index (
			document->items, i);
		const InvoiceRisk *score = risk_find (policy,
						      item->invoice_id);

		if (score != NULL)
			risk = MAX (risk, score->late_probability);
	}
	if (risk < 0)
		return "unscored";
	if (risk >= policy->settings.high_risk)
		return "high";
	return risk < policy->settings.low_risk ? "low" : "medium";
}

/* Every item of the document may go by the channel. */
static gboolean
channel_possible (const DsDocument *document, const DsCustomer *customer,
		  GHashTable *open_items, DsChannel channel)
{
	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *entry = g_ptr_array_index (
			document->items, i);
		const DsOpenItem *item = g_hash_table_lookup (
			open_items, entry->invoice_id);

		if (item == NULL ||
		    !ds_planner_channel_possible (customer, item, channel,
						  document->as_of))
			return FALSE;
	}
	return TRUE;
}

/* The first day this document was waited on; NONE: never. */
static gboolean
first_wait (DsStore *store, const char *key, DsDate *first,
	    GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT min (decided_on) FROM policy_decisions"
		" WHERE idempotency_key = ? AND action = 'wait'", error);
	const char *text;

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step (statement) != SQLITE_ROW)
		return ds_store_fail (store, error, "policy_decisions");
	text = (const char *) sqlite3_column_text (statement, 0);
	*first = DS_DATE_NONE;
	if (text != NULL && !ds_date_parse_iso (text, first, error))
		return FALSE;
	return TRUE;
}

/* The document's step in its strategy; NULL for an escalation. */
static const DsStep *
step_of (const DsPolicy *policy, const DsDocument *document)
{
	const DsStrategy *strategy = ds_config_find_strategy (
		policy->instance->config, document->strategy);

	return strategy != NULL ?
	       ds_strategy_step (strategy, document->step_index) : NULL;
}

static gboolean
pre_due (const DsPolicy *policy, const DsDocument *document)
{
	const DsStep *step = step_of (policy, document);

	return step != NULL && step->offset_days < 0 &&
	       !step->from_previous;
}

/*
 * The alternatives: the step's channels the customer can receive, then
 * "wait" while the document may still be postponed.  A pre-due reminder
 * goes only to a high-risk document; otherwise waiting is all there is.
 */
static gboolean
list_alternatives (DsPolicy *policy, const DsDocument *document,
		   const DsCustomer *customer, GHashTable *open_items,
		   DsPolicyDecision *decision, GError **error)
{
	const DsStep *step = step_of (policy, document);
	gboolean early = pre_due (policy, document);
	DsDate first = DS_DATE_NONE;

	decision->alternatives_count = 0;
	for (int i = 0; step != NULL && i < step->n_channels; i++) {
		if (early && strcmp (decision->segment, "high") != 0)
			break;
		if (channel_possible (document, customer, open_items,
				      step->channels[i]))
			decision->alternatives[decision->alternatives_count++]
				.action = step->channels[i];
	}
	if (!early && !first_wait (policy->instance->store,
				   document->idempotency_key, &first, error))
		return FALSE;
	if (early || decision->alternatives_count == 0 ||
	    first == DS_DATE_NONE ||
	    (gint64) document->as_of - (gint64) first <
	    policy->settings.max_wait_days)
		decision->alternatives[decision->alternatives_count++]
			.action = DS_POLICY_WAIT;
	return TRUE;
}

static double
draw_rate (DsPolicy *policy, GRand *rand, const char *segment, int action,
	   const char *step)
{
	g_autofree char *key = response_key (segment, action, step);
	const gint64 *counts = g_hash_table_lookup (policy->responses, key);
	const double *prior = action == DS_POLICY_WAIT ?
			      policy->settings.prior_wait :
			      policy->settings.prior_channel;

	return draw_beta (rand, prior[0] + (counts ? counts[0] : 0),
			  prior[1] + (counts ? counts[1] : 0));
}

/* One round of draws: the values, and the index worth most. */
static guint
draw_round (DsPolicy *policy, GRand *rand, const DsDocument *document,
	    DsPolicyDecision *decision)
{
	double wait = draw_rate (policy, rand, decision->segment,
				 DS_POLICY_WAIT, document->step);
	guint best = 0;

	for (guint i = 0; i < decision->alternatives_count; i++) {
		DsPolicyAlternative *option = &decision->alternatives[i];

		if (option->action == DS_POLICY_WAIT) {
			option->rate = wait;
			option->value = 0;
		} else {
			option->rate = draw_rate (policy, rand,
						  decision->segment,
						  option->action,
						  document->step);
			option->value = document->total *
					(option->rate - wait) -
					policy->settings.cost[option->action];
		}
		if (option->value > decision->alternatives[best].value)
			best = i;
	}
	return best;
}

static void
decide_by_sampling (DsPolicy *policy, const DsDocument *document,
		    DsPolicyDecision *decision)
{
	g_autoptr (GRand) rand = decision_rand (document->idempotency_key,
						document->as_of);
	DsPolicyAlternative kept[DS_CHANNEL_COUNT + 1];
	guint again = 0;

	decision->chosen = draw_round (policy, rand, document, decision);
	memcpy (kept, decision->alternatives, sizeof kept);
	for (guint i = 0; i < policy->settings.propensity_draws; i++)
		if (draw_round (policy, rand, document, decision) ==
		    decision->chosen)
			again++;
	memcpy (decision->alternatives, kept, sizeof kept);
	decision->propensity = (double) again /
			       policy->settings.propensity_draws;
}

static void
decide_by_rules (const DsDocument *document, DsPolicyDecision *decision)
{
	decision->verdict = DS_POLICY_RULES;
	decision->channel = document->channel;
	decision->alternatives_count = 1;
	decision->alternatives[0].action = document->channel;
	decision->alternatives[0].rate = NAN;
	decision->alternatives[0].value = NAN;
	decision->chosen = 0;
	decision->propensity = 1.0;
}

static void
set_verdict (const DsPolicy *policy, const DsDocument *document,
	     DsPolicyDecision *decision)
{
	int action = decision->alternatives[decision->chosen].action;

	if (action == DS_POLICY_WAIT) {
		decision->verdict = DS_POLICY_SKIP;
		decision->channel = document->channel;
		return;
	}
	decision->channel = action;
	if (pre_due (policy, document))
		decision->verdict = DS_POLICY_PRE_DUE;
	else if ((DsChannel) action == document->channel)
		decision->verdict = DS_POLICY_KEEP;
	else
		decision->verdict = DS_POLICY_CHANGE;
}

/* ---- recording -------------------------------------------------------- */

/* "email:12.30 letter:40.10 wait:0.00" in major units. */
static char *
format_alternatives (const DsPolicyDecision *decision)
{
	GString *text = g_string_new (NULL);

	for (guint i = 0; i < decision->alternatives_count; i++) {
		const DsPolicyAlternative *option =
			&decision->alternatives[i];

		if (i > 0)
			g_string_append_c (text, ' ');
		g_string_append (text, ds_policy_action_name (option->action));
		if (!isnan (option->value))
			g_string_append_printf (text, ":%.2f/%.3f",
						option->value / 100.0,
						option->rate);
	}
	return g_string_free (text, FALSE);
}

static gboolean
insert_items (DsStore *store, gint64 decision_id,
	      const DsDocument *document, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"INSERT INTO policy_decision_items"
		" (decision_id, invoice_id, open_amount) VALUES (?, ?, ?)",
		error);

	if (statement == NULL)
		return FALSE;
	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *item = g_ptr_array_index (
			document->items, i);

		sqlite3_reset (statement);
		sqlite3_bind_int64 (statement, 1, decision_id);
		sqlite3_bind_text (statement, 2, item->invoice_id, -1,
				   SQLITE_STATIC);
		sqlite3_bind_int64 (statement, 3, item->open_amount);
		if (sqlite3_step (statement) != SQLITE_DONE)
			return ds_store_fail (store, error,
					      "policy_decision_items");
	}
	return TRUE;
}

static gboolean
journal_decision (DsStore *store, const DsDocument *document,
		  const DsPolicyDecision *decision, const char *alternatives,
		  GError **error)
{
	int action = decision->alternatives[decision->chosen].action;
	g_autofree char *evidence = g_strdup_printf (
		"key=%s step=%s segment=%s control=%d verdict=%s chosen=%s "
		"p=%.3f alternatives=%s", document->idempotency_key,
		document->step, decision->segment, decision->control,
		ds_policy_verdict_name (decision->verdict),
		ds_policy_action_name (action), decision->propensity,
		alternatives);
	DsJournalEntry entry = {
		.object_kind = "customer", .object_id = document->customer_id,
		.trace_id = action == DS_POLICY_WAIT ? NULL :
			    document->trace_id,
		.event = "decided", .evidence = evidence,
	};

	return ds_journal_append (store, &entry, error);
}

/*
 * Record the decision once per key and day, with its journal record in
 * the same transaction; a re-run finds the row and records nothing.
 */
static gboolean
record_decision (DsPolicy *policy, const DsDocument *document,
		 const DsPolicyDecision *decision, GError **error)
{
	DsStore *store = policy->instance->store;
	int action = decision->alternatives[decision->chosen].action;
	g_autofree char *alternatives = format_alternatives (decision);
	char date[DS_DATE_ISO_LEN];
	g_autoptr (sqlite3_stmt) statement = NULL;

	ds_date_format_iso (document->as_of, date);
	if (!ds_store_begin (store, error))
		return FALSE;
	statement = ds_store_prepare (store,
		"INSERT OR IGNORE INTO policy_decisions (idempotency_key,"
		" decided_on, trace_id, customer_id, segment, step, action,"
		" verdict, control, propensity, currency, total, cost,"
		" alternatives) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?)", error);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_text (statement, 1, document->idempotency_key, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, date, -1, SQLITE_STATIC);
	if (action != DS_POLICY_WAIT)
		sqlite3_bind_text (statement, 3, document->trace_id, -1,
				   SQLITE_STATIC);
	sqlite3_bind_text (statement, 4, document->customer_id, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 5, decision->segment, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 6, document->step, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 7, ds_policy_action_name (action), -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 8,
			   ds_policy_verdict_name (decision->verdict), -1,
			   SQLITE_STATIC);
	sqlite3_bind_int (statement, 9, decision->control);
	sqlite3_bind_double (statement, 10, decision->propensity);
	sqlite3_bind_text (statement, 11, document->currency, -1,
			   SQLITE_STATIC);
	sqlite3_bind_int64 (statement, 12, document->total);
	sqlite3_bind_int64 (statement, 13, action == DS_POLICY_WAIT ? 0 :
			    policy->settings.cost[action]);
	sqlite3_bind_text (statement, 14, alternatives, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_DONE) {
		ds_store_fail (store, error, "policy_decisions");
		goto fail;
	}
	if (sqlite3_changes (ds_store_db (store)) == 1 &&
	    (!insert_items (store, sqlite3_last_insert_rowid (
				    ds_store_db (store)), document, error) ||
	     !journal_decision (store, document, decision, alternatives,
				error)))
		goto fail;
	return ds_store_commit (store, error);
fail:
	ds_store_rollback (store);
	return FALSE;
}

static const char *
segment_name (const char *text)
{
	static const char *const names[] = {
		"low", "medium", "high", "unscored",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
		if (g_strcmp0 (text, names[i]) == 0)
			return names[i];
	return "unscored";
}

/*
 * The decision recorded for the document on its date, if any: a re-run
 * of a day takes it as it was, whatever was learned since.
 */
static gboolean
recorded_decision (DsPolicy *policy, const DsDocument *document,
		   DsPolicyDecision *decision, gboolean *found,
		   GError **error)
{
	DsStore *store = policy->instance->store;
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT action, verdict, control, propensity, segment"
		" FROM policy_decisions"
		" WHERE idempotency_key = ? AND decided_on = ?", error);
	char date[DS_DATE_ISO_LEN];
	const char *verdict;
	DsChannel channel;
	int status;

	*found = FALSE;
	if (statement == NULL)
		return FALSE;
	ds_date_format_iso (document->as_of, date);
	sqlite3_bind_text (statement, 1, document->idempotency_key, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, date, -1, SQLITE_STATIC);
	status = sqlite3_step (statement);
	if (status == SQLITE_DONE)
		return TRUE;
	if (status != SQLITE_ROW)
		return ds_store_fail (store, error, "policy_decisions");
	*found = TRUE;
	decision->alternatives_count = 1;
	decision->alternatives[0].action = DS_POLICY_WAIT;
	decision->alternatives[0].rate = NAN;
	decision->alternatives[0].value = NAN;
	if (ds_channel_from_name ((const char *) sqlite3_column_text (
			statement, 0), &channel))
		decision->alternatives[0].action = channel;
	decision->channel = decision->alternatives[0].action ==
			    DS_POLICY_WAIT ? document->channel : channel;
	verdict = (const char *) sqlite3_column_text (statement, 1);
	decision->verdict = DS_POLICY_RULES;
	for (int v = DS_POLICY_RULES; v <= DS_POLICY_PRE_DUE; v++)
		if (g_strcmp0 (verdict, ds_policy_verdict_name (v)) == 0)
			decision->verdict = v;
	decision->control = sqlite3_column_int (statement, 2);
	decision->propensity = sqlite3_column_double (statement, 3);
	decision->segment = segment_name ((const char *) sqlite3_column_text (
		statement, 4));
	return TRUE;
}

gboolean
ds_policy_decide (DsPolicy *policy, const DsDocument *document,
		  const DsCustomer *customer, GHashTable *open_items,
		  DsPolicyDecision *decision, GError **error)
{
	gboolean found;

	g_return_val_if_fail (document->idempotency_key != NULL, FALSE);

	memset (decision, 0, sizeof *decision);
	if (!recorded_decision (policy, document, decision, &found, error))
		return FALSE;
	if (found)
		return TRUE;
	decision->control = ds_policy_is_control (&policy->settings,
						  document->customer_id);
	decision->segment = policy->risks != NULL ?
			    segment_of (policy, document) : "unscored";
	if (decision->control || policy->risks == NULL ||
	    policy->responses == NULL || step_of (policy, document) == NULL) {
		decide_by_rules (document, decision);
	} else {
		if (!list_alternatives (policy, document, customer,
					open_items, decision, error))
			return FALSE;
		decide_by_sampling (policy, document, decision);
		set_verdict (policy, document, decision);
	}
	/*
	 * No channel reaches the customer: waiting would hide that
	 * forever; the planned document goes on to say so.
	 */
	if (decision->verdict == DS_POLICY_SKIP &&
	    decision->alternatives_count == 1 && !pre_due (policy, document))
		decide_by_rules (document, decision);
	return record_decision (policy, document, decision, error);
}

/* ---- learning --------------------------------------------------------- */

typedef struct {
	gint64 decision_id;
	DsDate decided_on;
	char *trace_id;
	char *segment;
	char *step;
	char *action;
	GPtrArray *invoices;	/* char * */
} OpenDecision;

static void
open_decision_free (OpenDecision *decision)
{
	g_free (decision->trace_id);
	g_free (decision->segment);
	g_free (decision->step);
	g_free (decision->action);
	g_ptr_array_unref (decision->invoices);
	g_free (decision);
}

/* The unresolved decisions made before `as_of`, with their invoices. */
static GPtrArray *
open_decisions (DsStore *store, DsDate as_of, GError **error)
{
	char date[DS_DATE_ISO_LEN];
	g_autoptr (GPtrArray) decisions = g_ptr_array_new_with_free_func (
		(GDestroyNotify) open_decision_free);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.decision_id, d.decided_on, d.trace_id, d.segment,"
		" d.step, d.action, i.invoice_id FROM policy_decisions d"
		" JOIN policy_decision_items i USING (decision_id)"
		" WHERE d.outcome IS NULL AND d.decided_on < ?"
		" ORDER BY d.decision_id, i.invoice_id", error);
	OpenDecision *last = NULL;
	int status;

	if (statement == NULL)
		return NULL;
	ds_date_format_iso (as_of, date);
	sqlite3_bind_text (statement, 1, date, -1, SQLITE_STATIC);
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64 (statement, 0);

		if (last == NULL || last->decision_id != id) {
			last = g_new0 (OpenDecision, 1);
			last->decision_id = id;
			ds_date_parse_iso ((const char *) sqlite3_column_text (
				statement, 1), &last->decided_on, NULL);
			last->trace_id = ds_store_column_text (statement, 2);
			last->segment = ds_store_column_text (statement, 3);
			last->step = ds_store_column_text (statement, 4);
			last->action = ds_store_column_text (statement, 5);
			last->invoices = g_ptr_array_new_with_free_func (
				g_free);
			g_ptr_array_add (decisions, last);
		}
		g_ptr_array_add (last->invoices,
				 ds_store_column_text (statement, 6));
	}
	if (status != SQLITE_DONE) {
		ds_store_fail (store, error, "policy_decisions");
		return NULL;
	}
	return g_steal_pointer (&decisions);
}

/* The attempt of the decision's document failed, bounced or came back. */
static gboolean
attempt_failed (DsStore *store, const char *trace_id, gboolean *failed,
		GError **error)
{
	static const char *const bad[] = {
		"failed", "bounced-hard", "returned", "expired", "unclaimed",
	};
	g_autoptr (GPtrArray) attempts = NULL;

	*failed = FALSE;
	if (trace_id == NULL)
		return TRUE;
	attempts = ds_attempt_list_for_trace (store, trace_id, error);
	if (attempts == NULL)
		return FALSE;
	for (guint i = 0; i < attempts->len; i++) {
		const DsAttempt *attempt = g_ptr_array_index (attempts, i);

		for (gsize j = 0; j < G_N_ELEMENTS (bad); j++)
			if (g_strcmp0 (attempt->state, bad[j]) == 0)
				*failed = TRUE;
	}
	/* Any later attempt that delivered makes up for a failed one. */
	for (guint i = 0; i < attempts->len; i++) {
		const DsAttempt *attempt = g_ptr_array_index (attempts, i);

		if (g_strcmp0 (attempt->state, "delivered") == 0 ||
		    g_strcmp0 (attempt->state, "delivered-assumed") == 0 ||
		    g_strcmp0 (attempt->state, "signed") == 0)
			*failed = FALSE;
	}
	return TRUE;
}

/*
 * When every invoice of the decision was paid, as known before `as_of`:
 * the last payment's date; NONE while any is open.
 */
static DsDate
decision_paid_on (const DsLedgerHistory *history,
		  const OpenDecision *decision, DsDate as_of)
{
	DsDate paid = DS_DATE_NONE;

	for (guint i = 0; i < decision->invoices->len; i++) {
		const DsHistoryInvoice *invoice = ds_ledger_history_find (
			history, g_ptr_array_index (decision->invoices, i));
		DsDate settled = invoice != NULL ?
			ds_history_invoice_settled (invoice, as_of) :
			DS_DATE_NONE;

		if (settled == DS_DATE_NONE)
			return DS_DATE_NONE;
		paid = MAX (paid, settled);
	}
	return paid;
}

static gboolean
resolve (DsStore *store, const OpenDecision *decision, const char *outcome,
	 DsDate paid_on, DsDate as_of, GError **error)
{
	g_autoptr (sqlite3_stmt) update = ds_store_prepare (store,
		"UPDATE policy_decisions SET outcome = ?, paid_on = ?,"
		" resolved_on = ? WHERE decision_id = ?", error);
	g_autoptr (sqlite3_stmt) count = ds_store_prepare (store,
		"INSERT INTO channel_responses (segment, action, step,"
		" successes, failures) VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (segment, action, step) DO UPDATE SET"
		" successes = successes + excluded.successes,"
		" failures = failures + excluded.failures", error);
	gboolean success = strcmp (outcome, "paid") == 0;
	char paid[DS_DATE_ISO_LEN], resolved[DS_DATE_ISO_LEN];

	if (update == NULL || count == NULL)
		return FALSE;
	ds_date_format_iso (paid_on, paid);
	ds_date_format_iso (as_of, resolved);
	sqlite3_bind_text (update, 1, outcome, -1, SQLITE_STATIC);
	if (paid_on != DS_DATE_NONE)
		sqlite3_bind_text (update, 2, paid, -1, SQLITE_STATIC);
	sqlite3_bind_text (update, 3, resolved, -1, SQLITE_STATIC);
	sqlite3_bind_int64 (update, 4, decision->decision_id);
	sqlite3_bind_text (count, 1, decision->segment, -1, SQLITE_STATIC);
	sqlite3_bind_text (count, 2, decision->action, -1, SQLITE_STATIC);
	sqlite3_bind_text (count, 3, decision->step, -1, SQLITE_STATIC);
	sqlite3_bind_int (count, 4, success ? 1 : 0);
	sqlite3_bind_int (count, 5, success ? 0 : 1);
	if (sqlite3_step (update) != SQLITE_DONE ||
	    sqlite3_step (count) != SQLITE_DONE)
		return ds_store_fail (store, error, "channel_responses");
	return TRUE;
}

/* Resolve one decision if its outcome is known on `as_of`. */
static gboolean
learn_one (DsStore *store, const DsLedgerHistory *history,
	   const DsPolicySettings *settings, const OpenDecision *decision,
	   DsDate as_of, guint *resolved, GError **error)
{
	DsDate end = decision->decided_on + settings->horizon_days;
	DsDate paid = decision_paid_on (history, decision, as_of);
	gboolean failed;

	if (paid != DS_DATE_NONE && paid <= end) {
		(*resolved)++;
		return resolve (store, decision, "paid", paid, as_of, error);
	}
	if (as_of <= end)
		return TRUE;	/* the horizon has not run yet */
	if (!attempt_failed (store, decision->trace_id, &failed, error))
		return FALSE;
	(*resolved)++;
	return resolve (store, decision, failed ? "failed" : "unpaid", paid,
			as_of, error);
}

/* ds_policy_learn with the history as known on `as_of` (NULL: load). */
static gboolean
learn_from (DsStore *store, const DsPolicySettings *settings,
	    const DsLedgerHistory *known, DsDate as_of, guint *resolved,
	    GError **error)
{
	g_autoptr (GPtrArray) decisions = open_decisions (store, as_of,
							  error);
	g_autoptr (DsLedgerHistory) loaded = NULL;
	const DsLedgerHistory *history = known;
	guint count = 0;

	if (decisions == NULL)
		return FALSE;
	if (decisions->len > 0 && history == NULL)
		history = loaded = ds_ledger_history_load (store, as_of,
							   error);
	if (decisions->len > 0 && history == NULL)
		return FALSE;
	if (!ds_store_begin (store, error))
		return FALSE;
	for (guint i = 0; i < decisions->len; i++)
		if (!learn_one (store, history, settings,
				g_ptr_array_index (decisions, i), as_of,
				&count, error)) {
			ds_store_rollback (store);
			return FALSE;
		}
	if (!ds_store_commit (store, error))
		return FALSE;
	if (resolved != NULL)
		*resolved = count;
	return TRUE;
}

gboolean
ds_policy_learn (DsStore *store, const DsPolicySettings *settings,
		 DsDate as_of, guint *resolved, GError **error)
{
	return learn_from (store, settings, NULL, as_of, resolved, error);
}

/* ---- counts ----------------------------------------------------------- */

gboolean
ds_policy_count (DsStore *store, DsPolicyCounts *counts, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT count (*), total (control),"
		" total (verdict = 'rules'), total (action = 'wait'),"
		" total (verdict = 'change'),"
		" min (CASE WHEN verdict != 'rules' THEN decided_on END)"
		" FROM policy_decisions", error);
	const char *first;

	memset (counts, 0, sizeof *counts);
	if (statement == NULL)
		return FALSE;
	if (sqlite3_step (statement) != SQLITE_ROW)
		return ds_store_fail (store, error, "policy_decisions");
	counts->decisions = sqlite3_column_int64 (statement, 0);
	counts->control = sqlite3_column_int64 (statement, 1);
	counts->rules = sqlite3_column_int64 (statement, 2);
	counts->skipped = sqlite3_column_int64 (statement, 3);
	counts->changed = sqlite3_column_int64 (statement, 4);
	first = (const char *) sqlite3_column_text (statement, 5);
	if (first != NULL && !ds_date_parse_iso (first,
						 &counts->first_scored,
						 error))
		return FALSE;
	return TRUE;
}

/* ---- records ---------------------------------------------------------- */

void
ds_policy_record_free (DsPolicyRecord *record)
{
	if (record == NULL)
		return;
	g_free (record->trace_id);
	g_free (record->customer_id);
	g_free (record->segment);
	g_free (record->step);
	g_free (record->currency);
	g_ptr_array_unref (record->invoices);
	g_free (record);
}

static DsPolicyRecord *
record_from_row (sqlite3_stmt *statement)
{
	DsPolicyRecord *record = g_new0 (DsPolicyRecord, 1);
	const char *action = (const char *) sqlite3_column_text (statement,
								 5);
	DsChannel channel;

	record->trace_id = ds_store_column_text (statement, 1);
	record->customer_id = ds_store_column_text (statement, 2);
	record->segment = ds_store_column_text (statement, 3);
	record->step = ds_store_column_text (statement, 4);
	record->action = ds_channel_from_name (action, &channel) ?
			 (int) channel : DS_POLICY_WAIT;
	record->control = sqlite3_column_int (statement, 6);
	ds_date_parse_iso ((const char *) sqlite3_column_text (statement, 7),
			   &record->decided_on, NULL);
	record->currency = ds_store_column_text (statement, 8);
	record->total = sqlite3_column_int64 (statement, 9);
	record->cost = sqlite3_column_int64 (statement, 10);
	record->invoices = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	return record;
}

GPtrArray *
ds_policy_records (DsStore *store, DsDate as_of, GError **error)
{
	char date[DS_DATE_ISO_LEN];
	g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_policy_record_free);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.decision_id, d.trace_id, d.customer_id, d.segment,"
		" d.step, d.action, d.control, d.decided_on, d.currency,"
		" d.total, d.cost, i.invoice_id, i.open_amount"
		" FROM policy_decisions d"
		" JOIN policy_decision_items i USING (decision_id)"
		" WHERE d.decided_on <= ?"
		" ORDER BY d.decision_id, i.invoice_id", error);
	DsPolicyRecord *last = NULL;
	gint64 last_id = -1;
	int status;

	if (statement == NULL)
		return NULL;
	ds_date_format_iso (as_of, date);
	sqlite3_bind_text (statement, 1, date, -1, SQLITE_STATIC);
	while ((status = sqlite3_step (statement)) == SQLITE_ROW) {
		DsDocumentItem *item = g_new0 (DsDocumentItem, 1);

		if (sqlite3_column_int64 (statement, 0) != last_id) {
			last_id = sqlite3_column_int64 (statement, 0);
			last = record_from_row (statement);
			g_ptr_array_add (records, last);
		}
		item->invoice_id = ds_store_column_text (statement, 11);
		item->open_amount = sqlite3_column_int64 (statement, 12);
		g_ptr_array_add (last->invoices, item);
	}
	if (status != SQLITE_DONE) {
		ds_store_fail (store, error, "policy_decisions");
		return NULL;
	}
	return g_steal_pointer (&records);
}
