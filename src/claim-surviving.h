/*
 * claim-surviving.h -- balances the law's order leaves on invoices the
 * ERP shows paid, journaled when they arise.
 *
 * A payment that names an invoice and covers it pays it in full as the
 * ERP sees it.  When an earlier document claimed costs or interest for
 * that invoice, the law's order (§ 367 BGB, art. 85 CO: costs, then
 * interest, then principal; art. 1343-1 Code civil: interest first)
 * gives part of the payment to those, and principal stays owed; without
 * such an order the costs and interest stay owed beside the paid
 * principal.  Case 2 of the field cases: they survive until paid or
 * waived.
 *
 * What becomes of such a balance:
 *
 *   - no dunning step of its own chases it: the planner goes by the
 *     ERP's open items, and a notice for the cents that interest on a
 *     late payment usually leaves would cost more than it brings;
 *   - every later letter to the customer claims it, and `dunspool
 *     claim` lists it (claim-letter.h, claim.h: "surviving");
 *   - so that it is never lost silently, the cycle that first sees the
 *     payment journals "balance-survives" on the invoice, once, with
 *     what is left, under the last document that claimed its costs or
 *     interest: `dunspool trace` of the invoice or the customer shows
 *     it there, and `dunspool waive --invoice INVOICE` clears it.
 *
 * The balance is what the customer's letters claim (the policy of the
 * last letter sent, as `dunspool claim` without options): principal
 * owed, interest owed and the open compensation of the invoice.
 *
 * Reads only.  The events go into the plan, and the planner journals
 * them with its others, once per invoice (ds_planner_record_events), so
 * that a re-run of a date adds nothing.
 */
#ifndef DS_CLAIM_SURVIVING_H
#define DS_CLAIM_SURVIVING_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "planner.h"
#include "store.h"

G_BEGIN_DECLS

/*
 * For each payment the plan's events receive (payment-received) that
 * leaves a balance on the invoice it names, add a "balance-survives"
 * event about the invoice to plan->events.  Reads the reference rate
 * tables only when a payment needs a claim computed.
 */
gboolean ds_claim_surviving_plan (DsStore *store, const DsConfig *config,
				  DsPlan *plan, DsDate as_of,
				  GError **error);

G_END_DECLS

#endif
