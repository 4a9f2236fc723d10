/*
 * planner.h -- decide which dunning documents are due on a date.
 *
 * The planner reads the open items as of a date and the steps already
 * taken, and proposes one document per customer, step and currency,
 * listing every invoice of that customer that is due for that step, and
 * the journal events the date brings (promises broken, hand-overs after
 * the final step, and the ledger's payments, promises and disputes of
 * ledger-events.h).  It changes nothing: the cycle stores the documents
 * and ds_planner_record_events() the events.
 *
 * Rules, in the order they apply to an invoice:
 *   - a disputed invoice is never chased (counted in `disputed`);
 *   - nor one of a blocked customer (the customer tag [rules]
 *     blocked_tag), nor a blocked invoice (the customer tag
 *     BLOCKED_TAG:INVOICE), nor one whose open amount is below the
 *     [rules] minimum of its currency, nor one of a customer whose net
 *     balance (open items less unapplied cash and unallocated open
 *     credit notes, in the customer's currency) is a credit;
 *   - the invoice follows the strategy of the first segment it matches,
 *     else the default strategy;
 *   - on a day that is not a working day of the entity's calendar no
 *     step is taken: the step is taken on the next working day;
 *   - under a promise to pay (of the invoice, or of the customer's
 *     balance) chasing pauses through the promised date plus the grace
 *     days; the first day after, an invoice still open has broken it:
 *     the event "promise-broken" and the next step that is due;
 *   - an invoice takes at most one step per cycle: the next one it has
 *     not taken, never several at once, never skipping one that was due
 *     (after downtime, the first run takes the step that fell due);
 *   - a step is due OFFSET days after the due date (or after the previous
 *     step's document, relative_to = previous), and not before GAP days
 *     have passed since the previous step's document nor before the
 *     deadline printed on it has passed;
 *   - a pre-due step (negative offset) is only ever taken before the due
 *     date; an invoice that reaches us later passes it by;
 *   - an invoice the ERP shows paid takes no step, even where the law's
 *     order left a balance on it: later letters claim that balance
 *     (claim-surviving.h);
 *   - an invoice in instalments is chased one instalment at a time, the
 *     first not covered by what was paid: its due date is the one the
 *     steps count from, and each instalment takes its own steps from
 *     the strategy's first (once instalment 1 is paid, instalment 2
 *     gets its own reminder after its own due date).  While an earlier
 *     instalment is unpaid, the ones falling due after it start no
 *     sequence of their own: the earlier one's documents claim them;
 *   - after the final step, when the strategy escalates, ESCALATION_DAYS
 *     after its document and past its deadline, the event "escalated"
 *     and a hand-over task (legal or agency) for the collector, once per
 *     invoice;
 *   - the channel is the first of the step's channels the customer can
 *     receive: e-mail needs an address and electronic billing, fax a
 *     number, letters a postal address, a call a phone number; when
 *     none can, the first channel (a letter without an address becomes
 *     action-required, a call a call task marked "no phone number");
 *   - a call (channel call) is a step taken without a document to
 *     produce: ds_planner_store_document() records it like one (its
 *     idempotency key, its items, the step taken on the date, counted
 *     by the action limits as a touch) and opens a call task for the
 *     customer's collector (feedback.h) instead; it prints no deadline,
 *     charges no fee, and the next step runs from the call's date;
 *   - a document whose idempotency key exists already is not proposed;
 *   - documents over an action limit (action-limits.h) wait for a later day.
 *
 * Where a policy may choose differently (next-best action): per invoice,
 * decide() in planner.c gets the invoice, its customer, its strategy and
 * the step the rules allow, and returns the step and channel to take or
 * -1 to wait; per document, ds_planner_plan() marks the place between
 * dropping known documents and applying the action limits.
 */
#ifndef DS_PLANNER_H
#define DS_PLANNER_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "document.h"
#include "ledger.h"
#include "store.h"

G_BEGIN_DECLS

/*
 * A journal event the plan brings; recorded once per object and event.
 * An escalation also opens a collector's task (feedback.h) of kind
 * hand-over-legal or hand-over-agency, about the final document, for
 * the customer's collector, which the agenda lists.
 */
typedef struct {
	char *object_kind;	/* promise, invoice, payment, dispute */
	char *object_id;
	char *event;		/* promise-broken, escalated, ... */
	char *evidence;
	char *trace_id;		/* the document it follows; may be NULL */
	char *customer_id;
	char *task_kind;	/* NULL: no task */
} DsPlanEvent;

typedef struct {
	GPtrArray *documents;	/* of DsDocument, not yet stored */
	GPtrArray *events;	/* of DsPlanEvent */
	GHashTable *open_items;	/* invoice id -> DsOpenItem */
	GHashTable *customers;	/* customer id -> DsCustomer */
	gint64 open;		/* open items seen */
	gint64 disputed;	/* of which disputed, not chased */
	gint64 excluded;	/* blocked, below minimum, credit balance */
	gint64 paused;		/* under a promise to pay */
	gint64 not_working;	/* today is no working day for them */
	gint64 deferred;	/* documents over an action limit */
} DsPlan;

void ds_plan_free (DsPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsPlan, ds_plan_free)

DsPlan *ds_planner_plan (DsStore *store, const DsConfig *config,
			 DsDate as_of, GError **error);

/*
 * Store one proposed document: a letter, e-mail or fax as scheduled
 * for production (ds_document_insert), a call as a call task (above).
 */
gboolean ds_planner_store_document (DsStore *store, DsDocument *document,
				    const char *evidence, GError **error);

/*
 * Journal the plan's events that were not journaled before, so that a
 * re-run of the same date adds nothing.
 */
gboolean ds_planner_record_events (DsStore *store, const DsPlan *plan,
				   GError **error);

/* Whether the invoice and customer match a segment's conditions. */
gboolean ds_planner_segment_matches (const DsSegment *segment,
				     const DsCustomer *customer,
				     const DsOpenItem *item);

/* Whether the customer can receive on the channel on that date. */
gboolean ds_planner_channel_possible (const DsCustomer *customer,
				      const DsOpenItem *item,
				      DsChannel channel, DsDate as_of);

G_END_DECLS

#endif
