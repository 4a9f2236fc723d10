/*
 * claim-letter.h -- what one dunning document claims.
 *
 * A document is about some of a customer's invoices (those due for its
 * step).  Its claim is the customer's claim on the document's date
 * (claim.h) under the policy of its step -- the step's fee, interest and
 * compensation switches from the configuration, the contract rate and
 * the paid-late rule of [claims] -- cut down to the document:
 *
 *   - the items, interest lines and netting of the document's invoices
 *     (for a step ahead of the due date, their whole open amount: case
 *     7; ds_claim_letter_step_ahead);
 *   - the surviving balances no step chases, as `dunspool claim` lists
 *     them: items the ERP sees paid whose principal the law's order
 *     left owed (claim.h, "surviving"), and items whose principal is
 *     paid but whose interest an earlier document claimed (or, with
 *     paid_late = true, any paid late).  They stay claimable until paid
 *     or waived, on every letter that follows, so that the letter and
 *     the claim of its date agree;
 *   - every fee and compensation earlier documents claimed that is still
 *     open: costs survive payment of the principal.  One paid off stays
 *     only beside an item it belongs to, with the payments that went to
 *     it, so that the letter shows where each payment went;
 *   - new compensation only for the document's invoices, and the step's
 *     fee only when one of them is overdue;
 *   - unapplied cash nets the total, as it nets the customer's account.
 *
 * Policy for invoices already paid late (DS_CLAIM_SETTLED_ANY vs NONE):
 * letters use NONE unless [claims] paid_late = true.  Interest on an
 * invoice paid late that no document ever claimed is lawful in most
 * jurisdictions but surprises a customer who paid; a credit manager who
 * wants it claimed says so.  `dunspool claim` shows what the law allows
 * (ANY) and says so.
 *
 * The totals of the returned claim are those of what is kept.  Nothing
 * is written: production records the claim with ds_ledger_claim_record()
 * once the document is ready to go, in the same transaction.
 */
#ifndef DS_CLAIM_LETTER_H
#define DS_CLAIM_LETTER_H

#include <glib.h>

#include "claim.h"
#include "config.h"
#include "document.h"
#include "store.h"

G_BEGIN_DECLS

/* The policy of a document's step; rates may be NULL when the step
   claims no interest. */
void ds_claim_letter_policy (const DsConfig *config,
			     const DsDocument *document,
			     const DsRateTables *rates,
			     DsClaimPolicy *policy);

/* The same for a step (NULL: no fee, interest or compensation). */
void ds_claim_letter_step_policy (const DsConfig *config,
				  const DsStep *step,
				  const DsRateTables *rates,
				  DsClaimPolicy *policy);

/*
 * The law's policy under the instance's rules for a customer, before
 * any step: the contract rate, [claims] paid_late, and the calendar of
 * the customer's creditor entity (for due dates).
 */
gboolean ds_claim_letter_rules_policy (DsStore *store,
				       const DsConfig *config,
				       const char *customer_id,
				       const DsRateTables *rates,
				       DsClaimPolicy *policy,
				       GError **error);

/*
 * A step ahead of the due date (a negative offset from it) claims the
 * invoices falling due within its days: those days, else 0.
 */
int ds_claim_letter_step_ahead (const DsStep *step);

/*
 * What the customer's letters claim, carried to a date (`dunspool
 * claim` without options): the policy of the step of the last dunning
 * letter sent by `as_of`, with no new fee and no new deadline.  No
 * letter yet: POLICY is left as the caller set it (the law's).
 */
gboolean ds_claim_letter_customer_policy (DsStore *store,
					  const DsConfig *config,
					  const char *customer_id,
					  DsDate as_of,
					  const DsRateTables *rates,
					  DsClaimPolicy *policy,
					  GError **error);

/* The first step of that name in any strategy; NULL: none. */
const DsStep *ds_claim_letter_find_step (const DsConfig *config,
					 const char *name);

/* Whether the document's step claims interest (and so needs rates). */
gboolean ds_claim_letter_needs_rates (const DsConfig *config,
				      const DsDocument *document);

DsClaim *ds_claim_letter_compute (DsStore *store, const DsConfig *config,
				  const DsDocument *document,
				  const DsRateTables *rates, GError **error);

/* Cut a claim down to the invoices given (see above) and re-sum it. */
void ds_claim_letter_restrict (DsClaim *claim,
			       const char *const *invoice_ids);

G_END_DECLS

#endif
