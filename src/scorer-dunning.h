/*
 * scorer-dunning.h -- what dunspool itself did about an invoice and its
 * customer, and what came of it, as the scorer's features see it on a
 * date: the dunning history.
 *
 * A DsDunningHistory is read from the store in one pass, bounded by a
 * date like the ledger history (ledger-history.h), and then answers "as
 * of D" questions, counting only what was known strictly before D:
 *
 *   actions    the documents (dunning steps) dated before D, by the
 *              channel they were planned for, for one invoice (through
 *              its document items) or one customer; a document counts
 *              from its date whatever became of it later, so that no
 *              later state change can reach back into an earlier row
 *   outcomes   the delivery outcomes the channels reported for those
 *              documents' attempts: delivered (delivered, delivered-
 *              assumed, signed), bounced (bounced-soft, bounced-hard,
 *              failed) and returned (returned, unclaimed).  An outcome
 *              is known from the UTC day of its journal record, and not
 *              before its document's date.  A replay stamps its journal
 *              with the wall clock, so the outcomes it records are
 *              later than every day it replays and never counted there:
 *              that is the truth of what was known, not a gap
 *   promises   the customer's promises to pay whose window (the promised
 *              date plus DS_DUNNING_PROMISE_GRACE_DAYS) ended before D:
 *              kept when what they covered was paid by the end of the
 *              window, else broken.  A promise naming an invoice covers
 *              that invoice; one naming none covers the customer's
 *              account, every invoice issued by the end of the window
 *              (as ledger-events.c judges them, except that unallocated
 *              payments, which the ledger history does not read, do not
 *              count).  A promise is known from the day after it was
 *              made (from its promised date when the day it was made is
 *              not recorded).  The grace is fixed rather than taken from
 *              the configuration, so that a column means the same in
 *              every instance a model is carried to.
 *
 * Channels are told by name ("email", "letter", "registered", "fax");
 * documents of any other channel (calls) count in no column, and the
 * documents events made (acknowledgements, confirmations, dispute
 * notices: event-documents.h) are no dunning action and count in none.
 */
#ifndef DS_SCORER_DUNNING_H
#define DS_SCORER_DUNNING_H

#include <glib.h>

#include "date.h"
#include "ledger-history.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_DUNNING_PROMISE_GRACE_DAYS 5

typedef enum {
	DS_DUNNING_EMAIL,
	DS_DUNNING_LETTER,
	DS_DUNNING_REGISTERED,
	DS_DUNNING_FAX,
	DS_DUNNING_CHANNELS
} DsDunningChannel;

/* The last delivery outcome as a feature value (NaN: nothing sent). */
typedef enum {
	DS_DUNNING_OUTCOME_UNKNOWN = 0,	/* sent, nothing reported yet */
	DS_DUNNING_OUTCOME_DELIVERED = 1,
	DS_DUNNING_OUTCOME_BOUNCED = 2,
	DS_DUNNING_OUTCOME_RETURNED = 3,
} DsDunningOutcome;

typedef struct _DsDunningHistory DsDunningHistory;

/*
 * Read every document dated on or before `known_on`, the delivery
 * outcomes journaled on or before it, and the promises made on or
 * before it.
 */
DsDunningHistory *ds_dunning_history_load (DsStore *store, DsDate known_on,
					   GError **error);
void ds_dunning_history_free (DsDunningHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsDunningHistory, ds_dunning_history_free)

DsDate ds_dunning_history_known_on (const DsDunningHistory *history);

typedef struct {
	guint actions[DS_DUNNING_CHANNELS];	/* documents before D */
	double days_since_last_action;	/* NaN: none */
	double last_outcome;	/* DsDunningOutcome; NaN: none sent */
} DsDunningSummary;

/*
 * What was done about one invoice, or one customer, before `as_of`.
 * `history` may be NULL: nothing was done.
 */
void ds_dunning_invoice_summary (const DsDunningHistory *history,
				 const char *invoice_id, DsDate as_of,
				 DsDunningSummary *summary);
void ds_dunning_customer_summary (const DsDunningHistory *history,
				  const char *customer_id, DsDate as_of,
				  DsDunningSummary *summary);

/*
 * The customer's promises whose window ended before `as_of`, judged
 * against the payments in `customer` (of a ledger history loaded with
 * known_on >= as_of - 1).
 */
void ds_dunning_promises (const DsDunningHistory *history,
			  const DsHistoryCustomer *customer, DsDate as_of,
			  guint *kept, guint *broken);

G_END_DECLS

#endif
