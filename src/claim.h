/*
 * claim.h -- what would be claimed from one customer on a date, itemised.
 *
 * A claim nets everything the customer paid or was credited against what
 * they owe, then adds what the creditor's law allows on top: statutory
 * interest per rate period, the fees of dunning steps, and the fixed
 * compensation per late invoice.  It is what a letter prints as its item
 * table, its fee and interest lines and its total, and what `dunspool
 * claim` shows.
 *
 * Two layers.  ds_claim_compute_input() is pure: it works on a
 * DsClaimInput held in memory and touches no database, file or clock.
 * ds_claim_compute() reads that input from the store (ledger-claim.h)
 * and calls it.  Recording what a document claimed and waiving costs
 * live in ledger-claim.h and ds_claim_waive() below.
 *
 * What the computation promises:
 *
 *  - Netting.  Credits (payments and open credit notes; cancelled credit
 *    notes are ignored) are applied on their dates, in date order, credit
 *    notes before payments on the same day.  A credit note reduces the
 *    principal of its invoice (or, without one, the oldest items).  A
 *    payment for an invoice goes to that invoice, what is left over to the
 *    oldest overdue items, and what is still left is unapplied cash that
 *    nets the total.  Invoices with instalments are claimed part by part,
 *    each from its own due date.  Only items in the customer's currency
 *    are claimed; others are named in the notes.
 *
 *  - Legal order.  When a payment arrives for an invoice that an earlier
 *    document already claimed with costs or interest, it is allocated in
 *    the order the creditor's law sets: Germany § 367 BGB and Switzerland
 *    art. 85 CO costs, then interest, then principal; France art. 1343-1
 *    Code civil interest, then principal, then costs.  Elsewhere, and for
 *    invoices never claimed, a payment goes to principal.
 *
 *  - Interest (interest.h) runs on each overdue part's open principal from
 *    the day after its due date through the payment or the as-of date;
 *    one line per rate period and principal, each rounded half-up.
 *    Disputed invoices earn none here and are not claimed.
 *
 *  - What is claimed: the principal of the parts overdue on the as-of
 *    date.  A reminder ahead of the due date (policy ahead_days) also
 *    claims, whole, the parts falling due within its days: case 7, a
 *    reminder five days before 2024-06-20 asks for the invoice's open
 *    amount on 2024-06-15, without interest or compensation, which only
 *    a late invoice owes.
 *
 *  - Surviving balances.  When the credits that name an invoice pay it
 *    in full but the law's order gave part of them to the costs and
 *    interest an earlier document claimed, the principal left is still
 *    owed: the item is "surviving", claimed like an overdue one.  The
 *    ERP sees the invoice paid, so no dunning step of its own chases it;
 *    every letter to the customer claims it (claim-letter.h) until it
 *    is paid or waived.
 *
 *  - Costs survive payment of the principal: fees and compensation that
 *    earlier documents claimed stay open until paid or waived.  A waiver
 *    removes the cost (or the interest of an invoice up to the waiver
 *    date) from the claim from the start, as if it had never been claimed,
 *    so that a payment it had absorbed goes to the principal instead.
 *
 *  - Fixed compensation, once per late invoice and never twice (a waived
 *    one is not claimed again, nor one for an invoice whose interest was
 *    waived): EUR 40 under directive 2011/7/EU, § 288
 *    (5) BGB and art. D441-5 Code de commerce; under the UK Late Payment
 *    Act GBP 40, 70 or 100 by the size of the debt (under 1,000, under
 *    10,000, more).  Business debtors only; none in CH and US.
 *
 * Money is gint64 minor units of the claim's currency throughout.
 */
#ifndef DS_CLAIM_H
#define DS_CLAIM_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "calendar.h"
#include "date.h"
#include "interest.h"
#include "rates.h"
#include "store.h"

G_BEGIN_DECLS

/* ---- input ------------------------------------------------------------ */

typedef struct {
	int number;			/* 1, 2, ... */
	DsDate due_date;
	gint64 amount;
} DsClaimInstalment;

typedef struct {
	char *invoice_id;
	char *reference;		/* may be NULL */
	char *currency;
	DsDate issue_date;
	DsDate due_date;
	gint64 amount;
	gboolean disputed;		/* a dispute open on the as-of date */
	GArray *instalments;		/* of DsClaimInstalment; empty: none */
} DsClaimInvoice;

typedef enum {
	DS_CLAIM_CREDIT_PAYMENT,
	DS_CLAIM_CREDIT_NOTE,
} DsClaimCreditKind;

typedef struct {
	char *credit_id;
	DsClaimCreditKind kind;
	char *currency;
	DsDate date;
	gint64 amount;
	char *invoice_id;		/* NULL: not allocated */
	gboolean cancelled;		/* credit notes only */
} DsClaimCredit;

typedef enum {
	DS_CLAIM_COST_FEE,		/* a dunning step's fee */
	DS_CLAIM_COST_COMPENSATION,	/* fixed compensation, per invoice */
	DS_CLAIM_COST_INTEREST,		/* interest an earlier document
					   printed: a record that the invoice
					   was claimed, never a cost */
} DsClaimCostKind;

/*
 * A cost.  In the input, one claimed by an earlier document; in a
 * DsClaim, also the ones this claim adds (cost_id 0, trace_id NULL).
 */
typedef struct {
	gint64 cost_id;			/* 0: added by this claim */
	DsClaimCostKind kind;
	char *trace_id;			/* the document; NULL: this claim */
	char *invoice_id;		/* compensation, interest: its
					   invoice */
	GStrv invoices;			/* fee: the invoices its document
					   claimed; NULL: all */
	DsDate claimed_on;
	gint64 amount;
	char *basis;			/* "§ 288 (5) BGB", "step first" */
	gboolean waived;
	/* In a DsClaim only: */
	gint64 paid;
	gint64 open;			/* amount - paid; 0 when waived */
} DsClaimCost;

typedef struct {
	char *customer_id;
	char *currency;			/* the customer's */
	char *jurisdiction;		/* the creditor entity's */
	gboolean b2b;
	GPtrArray *invoices;		/* of DsClaimInvoice */
	GPtrArray *credits;		/* of DsClaimCredit */
	GPtrArray *costs;		/* of DsClaimCost, earlier documents */
	GHashTable *interest_waived;	/* invoice id -> DsDate through */
} DsClaimInput;

DsClaimInput *ds_claim_input_new (const char *customer_id,
				  const char *currency,
				  const char *jurisdiction, gboolean b2b);
void ds_claim_input_free (DsClaimInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsClaimInput, ds_claim_input_free)

/* Builders; strings are copied, the returned records stay owned. */
DsClaimInvoice *ds_claim_input_add_invoice (DsClaimInput *input,
					    const char *invoice_id,
					    DsDate issue_date,
					    DsDate due_date, gint64 amount);
void ds_claim_invoice_add_instalment (DsClaimInvoice *invoice, int number,
				      DsDate due_date, gint64 amount);
DsClaimCredit *ds_claim_input_add_credit (DsClaimInput *input,
					  DsClaimCreditKind kind,
					  const char *credit_id, DsDate date,
					  gint64 amount,
					  const char *invoice_id);
DsClaimCost *ds_claim_input_add_cost (DsClaimInput *input,
				      DsClaimCostKind kind, gint64 cost_id,
				      const char *trace_id,
				      const char *invoice_id,
				      DsDate claimed_on, gint64 amount);
void ds_claim_input_waive_interest (DsClaimInput *input,
				    const char *invoice_id, DsDate through);

/* ---- policy ----------------------------------------------------------- */

typedef struct {
	const DsRateTables *rates;	/* required when interest is on */
	gint64 step_fee;		/* this step's fee; 0: none */
	const char *step;		/* its name, for the fee's basis */
	gboolean interest;		/* claim interest at this step */
	gboolean compensation;		/* claim fixed compensation */
	int contract_rate_bp;		/* where no statutory rate applies
					   (US); -1: none configured */
	int deadline_days;		/* new payment deadline; 0: none */
	DsDate settled_since;		/* also claim interest and compensation
					   of invoices paid late on or after
					   this day; DS_CLAIM_SETTLED_ANY:
					   all; NONE: only of those an
					   earlier document claimed */
	const DsCalendar *calendar;	/* the creditor's working days: a
					   due date on a day off is payable
					   on the next working day (§ 193
					   BGB, Art. 78 OR); NULL: none */
	int ahead_days;			/* a reminder ahead of the due
					   date: also claim the parts
					   falling due within so many days
					   after the as-of date; 0: none */
} DsClaimPolicy;

#define DS_CLAIM_SETTLED_ANY ((DsDate) 1)

/*
 * Interest and compensation on, invoices paid late included whenever
 * they were paid (DS_CLAIM_SETTLED_ANY), no fee, no contract rate, no
 * deadline.
 */
void ds_claim_policy_init (DsClaimPolicy *policy, const DsRateTables *rates);

/* ---- result ----------------------------------------------------------- */

typedef enum {
	DS_CLAIM_ITEM_OVERDUE,
	DS_CLAIM_ITEM_NOT_DUE,
	DS_CLAIM_ITEM_SETTLED,		/* principal paid; interest or costs
					   may remain */
	DS_CLAIM_ITEM_DISPUTED,		/* listed, never claimed */
	DS_CLAIM_ITEM_DUE_SOON,		/* not due yet, falls due within
					   the policy's ahead_days: its
					   principal is claimed */
	DS_CLAIM_ITEM_SURVIVING,	/* paid in full by the credits
					   naming it, but the law's order
					   left principal owed: claimed */
} DsClaimItemState;

/* One invoice, or one instalment of it. */
typedef struct {
	char *invoice_id;
	int instalment;			/* 0: the whole invoice */
	int instalments;		/* the invoice's; 0: none */
	char *reference;
	DsDate issue_date;
	DsDate due_date;
	gint64 amount;
	gint64 credited;		/* credit notes */
	gint64 paid;			/* payments to principal */
	gint64 open;			/* principal still owed */
	gint64 interest;		/* interest still owed, not waived */
	int days_overdue;		/* on the as-of date; 0 if not due */
	DsDate settled_on;		/* NONE while open */
	DsClaimItemState state;
} DsClaimItem;

typedef enum {
	DS_CLAIM_TO_PRINCIPAL,
	DS_CLAIM_TO_INTEREST,
	DS_CLAIM_TO_COST,
	DS_CLAIM_TO_UNAPPLIED,
} DsClaimTarget;

/* What one credit paid off: the netting the letter lists. */
typedef struct {
	char *credit_id;
	DsClaimCreditKind kind;
	DsDate date;
	DsClaimTarget target;
	char *invoice_id;		/* principal, interest, compensation */
	int instalment;
	DsClaimCostKind cost_kind;	/* DS_CLAIM_TO_COST */
	char *trace_id;			/* DS_CLAIM_TO_COST */
	gint64 amount;
} DsClaimApplication;

typedef struct {
	char *invoice_id;
	int instalment;
	gboolean waived;		/* listed, not claimed */
	DsInterestLine line;
} DsClaimInterest;

typedef struct {
	char *customer_id;
	char *currency;
	char *jurisdiction;
	gboolean b2b;
	DsDate as_of;
	DsDate deadline;		/* NONE: none printed */
	char *interest_basis;		/* the rule, or why there is none */
	GPtrArray *items;		/* of DsClaimItem, by due date */
	GPtrArray *credits;		/* of DsClaimCredit that were netted */
	GPtrArray *applications;	/* of DsClaimApplication */
	GPtrArray *interest;		/* of DsClaimInterest */
	GPtrArray *costs;		/* of DsClaimCost */
	GPtrArray *notes;		/* of char *, for people */
	gint64 principal;		/* principal claimed: of the items
					   ds_claim_item_claimed() says */
	gint64 interest_total;		/* interest claimed */
	gint64 fees;			/* fees open, with this step's */
	gint64 compensation;		/* compensation open, with new */
	gint64 unapplied;		/* unapplied cash, netted */
	gint64 total;			/* the sum of the above less unapplied;
					   negative: a credit balance */
} DsClaim;

void ds_claim_free (DsClaim *claim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsClaim, ds_claim_free)

/* The pure layer: no database. */
DsClaim *ds_claim_compute_input (const DsClaimInput *input, DsDate as_of,
				 const DsClaimPolicy *policy,
				 GError **error);

/* The same, reading the customer's records from the store. */
DsClaim *ds_claim_compute (DsStore *store, const char *customer_id,
			   DsDate as_of, const DsClaimPolicy *policy,
			   GError **error);

/*
 * Waive what a customer owes beyond principal on `on`: every open fee
 * and compensation and the interest up to that day, of one invoice
 * (invoice_id; its compensation, its interest and the fees of documents
 * that claimed it) or of all (NULL).  One waiver row and one journal
 * record per cost or invoice, all in one transaction (joining the
 * caller's, if any).  The waiver reaches back (see above): a payment the
 * law's order gave to what is waived goes to principal, so a surviving
 * principal that only costs and interest left owed is cleared with them.
 * *waived (may be NULL) is how much the claim on `on` went down.
 */
gboolean ds_claim_waive (DsStore *store, const char *customer_id,
			 const char *invoice_id, DsDate on,
			 const char *reason, const DsClaimPolicy *policy,
			 gint64 *waived, GError **error);

/* The claim as text for the terminal; the JSON of DESIGN § 10. */
void ds_claim_print (const DsClaim *claim, FILE *out);
JsonNode *ds_claim_to_json (const DsClaim *claim);

const char *ds_claim_item_state_name (DsClaimItemState state);
const char *ds_claim_cost_kind_name (DsClaimCostKind kind);

/* Whether an item's open principal is claimed (the claim's principal). */
gboolean ds_claim_item_claimed (const DsClaimItem *item);

G_END_DECLS

#endif
