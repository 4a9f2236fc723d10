/*
 * policy.h -- the next best action for a document the planner proposes
 * (DESIGN section 6).
 *
 * The planner decides by the strategy's rules which step an invoice is
 * due for; the policy decides what doing it is worth.  Its candidates
 * are the step's channels that the customer can receive, and "wait".
 * Each is valued as the cash it is expected to bring in within the
 * horizon beyond what waiting brings, minus its cost:
 *
 *   value (channel) = total x (rate (channel) - rate (wait)) - cost
 *   value (wait)    = 0
 *
 * where a rate is the probability that the document's invoices are paid
 * within the horizon after the decision, for the document's segment (its
 * risk band from the scorer), channel and step.  Each rate has a Beta
 * posterior: a prior from the settings plus the successes and failures
 * that ds_policy_learn counted from past decisions.  The rates are drawn
 * from their posteriors (Thompson sampling), so that a channel with few
 * observations still gets tried now and then, and channels that do not
 * work for a segment lose weight.
 *
 * Promises:
 *   - a decision is reproducible: its random numbers come from a seed
 *     derived from the document's idempotency key and the date, so the
 *     same statistics decide the same, and a document waited on decides
 *     afresh the next day; a re-run of a day takes the decision recorded
 *     for the document on that day, whatever was learned since;
 *   - every decision is recorded once per key and day, and journaled
 *     with its alternatives, their values and the probability that the
 *     chosen one had of being chosen (estimated from further draws of
 *     the same posteriors), for offline evaluation of other policies;
 *   - a control group of customers (a stable hash of the customer id,
 *     settings.control_share of them) stays on the planner's rules, and
 *     so does everyone while no model is trained: the decision keeps the
 *     planner's channel with probability 1;
 *   - "wait" is offered for at most settings.max_wait_days after the
 *     first time a document was waited on, so a step is postponed, never
 *     skipped; a pre-due reminder is only sent to a high-risk document;
 *     when none of the step's channels reaches the customer, the planned
 *     document stands (rules), so that production can say why;
 *   - the journal record: object customer, event "decided", the
 *     document's trace id unless it waits, evidence "key=... step=...
 *     segment=... control=0|1 verdict=... chosen=... p=... alternatives=
 *     email:VALUE/RATE letter:VALUE/RATE wait:0.00/RATE" (values in
 *     major units).
 *
 * The scorer: ds_policy_prepare retrains the model on the schedule
 * (settings.retrain_days, once settings.min_settled invoices were
 * settled) and replaces the model file atomically; it never uses a model
 * trained on days after the one planned (for a re-run of a past day it
 * trains one in memory and leaves the file alone), and scores the open
 * items of the day a chunk of feature rows at a time
 * (ds_scorer_predict_open_items), keeping only each invoice's late
 * probability, so that its memory stays bounded by the ledger history.
 * The daemon's daily cycle calls it, so the daemon retrains on the same
 * schedule.
 *
 * Settings come from the optional [policy] group of dunspool.conf:
 *   control_share = 0.15          horizon_days = 30
 *   cost_email = 0.05  cost_fax = 0.30  cost_letter = 1.20
 *   cost_registered = 5.50        (in major units of any currency)
 *   min_settled = 200  retrain_days = 30  max_wait_days = 14
 *   prior_channel = 3;2           prior_wait = 2;3   (successes;failures)
 *   propensity_draws = 200        high_risk = 0.5    low_risk = 0.2
 *
 * XXX: costs are one figure for every currency; the bundled ledger's
 * currencies are of the same order, a ledger in JPY would need its own.
 * XXX: a changed channel is not checked again against the planner's
 * daily channel limits (config.h DsLimits); the limits see the planned
 * channel.  XXX: a "wait" is judged by the payments within the horizon
 * after it, even when a document went out later within that horizon, so
 * waiting is credited with some of the documents' effect.
 */
#ifndef DS_POLICY_H
#define DS_POLICY_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "config.h"
#include "date.h"
#include "document.h"
#include "instance.h"
#include "ledger.h"
#include "scorer.h"

G_BEGIN_DECLS

#define DS_POLICY_WAIT (-1)	/* the action "wait" beside the channels */

typedef struct {
	double control_share;
	int horizon_days;
	gint64 cost[DS_CHANNEL_COUNT];	/* minor units */
	guint min_settled;
	int retrain_days;
	int max_wait_days;
	double prior_channel[2];	/* Beta: successes, failures */
	double prior_wait[2];
	guint propensity_draws;
	double high_risk;	/* late probability from: segment "high" */
	double low_risk;	/* below: segment "low" */
} DsPolicySettings;

void ds_policy_settings_init (DsPolicySettings *settings);
/* The defaults, then the [policy] group of the configuration file. */
gboolean ds_policy_settings_load (const DsConfig *config,
				  DsPolicySettings *settings, GError **error);

/* In the control group: stays on the plain rules. */
gboolean ds_policy_is_control (const DsPolicySettings *settings,
			       const char *customer_id);

typedef enum {
	DS_POLICY_RULES,	/* control group or no model: as planned */
	DS_POLICY_KEEP,		/* the planned channel is worth most */
	DS_POLICY_CHANGE,	/* another allowed channel is */
	DS_POLICY_SKIP,		/* wait: not worth its cost today */
	DS_POLICY_PRE_DUE,	/* a reminder before the due date */
} DsPolicyVerdict;

const char *ds_policy_verdict_name (DsPolicyVerdict verdict);
/* A channel's name, or "wait". */
const char *ds_policy_action_name (int action);

typedef struct {
	int action;		/* a DsChannel or DS_POLICY_WAIT */
	double rate;		/* the drawn response rate */
	double value;		/* expected extra cash - cost, minor units */
} DsPolicyAlternative;

typedef struct {
	DsPolicyVerdict verdict;
	DsChannel channel;	/* the channel to use, unless SKIP */
	gboolean control;
	const char *segment;	/* "low", "medium", "high", "unscored" */
	double propensity;	/* of the chosen alternative */
	guint chosen;		/* index into alternatives */
	guint alternatives_count;
	DsPolicyAlternative alternatives[DS_CHANNEL_COUNT + 1];
} DsPolicyDecision;

typedef struct _DsPolicy DsPolicy;

/* A policy for an instance: its settings, database and model file. */
DsPolicy *ds_policy_new (DsInstance *instance, GError **error);
void ds_policy_free (DsPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsPolicy, ds_policy_free)

const DsPolicySettings *ds_policy_settings (const DsPolicy *policy);

/*
 * Before the decisions of a day: count the outcomes of past decisions
 * (ds_policy_learn), retrain the scorer when it is due, and score the
 * open items of `as_of`.  Calling it again for the same day does
 * nothing new.
 */
gboolean ds_policy_prepare (DsPolicy *policy, DsDate as_of,
			    GError **error);

/* The scores decisions use, by invoice id (NULL: no model, rules). */
void ds_policy_use_scores (DsPolicy *policy, GPtrArray *scores);
/* The date the model in use was trained until; NONE: none in use. */
DsDate ds_policy_model_trained_until (const DsPolicy *policy);

/*
 * The planner's hook: decide for one proposed document (its ids derived)
 * whose invoices are in `open_items` (invoice id -> DsOpenItem), for
 * `customer`.  Records and journals the decision.  The caller applies
 * it: drop the document on SKIP, else send it by decision->channel.
 */
gboolean ds_policy_decide (DsPolicy *policy, const DsDocument *document,
			   const DsCustomer *customer,
			   GHashTable *open_items,
			   DsPolicyDecision *decision, GError **error);

/*
 * Channel feedback: every decision whose horizon has run by `as_of`, or
 * whose invoices were all paid before it, becomes a success (paid within
 * the horizon) or a failure (not paid, or the attempt failed, bounced or
 * came back) of its segment, channel and step.  Each decision counts
 * once.  *resolved (may be NULL): how many were counted now.
 */
gboolean ds_policy_learn (DsStore *store, const DsPolicySettings *settings,
			  DsDate as_of, guint *resolved, GError **error);

/* The counts behind a posterior (0 and 0 when nothing was learned). */
gboolean ds_policy_responses (DsStore *store, const char *segment,
			      int action, const char *step,
			      gint64 *successes, gint64 *failures,
			      GError **error);

/* A recorded decision, for reports. */
typedef struct {
	char *trace_id;		/* NULL for "wait" */
	char *customer_id;
	char *segment;
	char *step;
	int action;		/* a DsChannel or DS_POLICY_WAIT */
	gboolean control;
	DsDate decided_on;
	char *currency;
	gint64 total;
	gint64 cost;
	GPtrArray *invoices;	/* DsDocumentItem: id and open amount */
} DsPolicyRecord;

void ds_policy_record_free (DsPolicyRecord *record);

/* Decisions made on or before `as_of`, in order: of DsPolicyRecord. */
GPtrArray *ds_policy_records (DsStore *store, DsDate as_of,
			      GError **error);

/* For the demo summary. */
typedef struct {
	gint64 decisions;	/* all recorded */
	gint64 control;		/* of which for the control group */
	gint64 rules;		/* of which on rules (control, no model) */
	gint64 skipped;		/* of which "wait" */
	gint64 changed;		/* of which another channel */
	DsDate first_scored;	/* the first decision by the model */
} DsPolicyCounts;

gboolean ds_policy_count (DsStore *store, DsPolicyCounts *counts,
			  GError **error);

G_END_DECLS

#endif
