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
 *     it there, and `dunspool waive --invoice INVOICE` clears it;
 *   - unless it is at or below [rules] write_off of its currency: then
 *     that cycle writes it off instead, a policy act an auditor sees.
 *     The invoice's costs and interest are waived from the start as
 *     `dunspool waive --invoice` does (ds_claim_waive: the payment they
 *     took goes to the principal, so nothing of the invoice is left),
 *     with the reason "written off: surviving balance 0.14 EUR at or
 *     below [rules] write_off 1.00 EUR", and "written-off" is journaled
 *     on the invoice under that last document, with the amounts, all in
 *     one transaction.  Neither `dunspool claim` nor any later letter
 *     claims it again.  Should the waiver leave anything of the invoice
 *     owed, or take more than the limit off the customer's claim (a fee
 *     shared with other invoices, part paid from their payments), it is
 *     rolled back and the balance is journaled as surviving.
 *
 * The balance is what the customer's letters claim (the policy of the
 * last letter sent, as `dunspool claim` without options): principal
 * owed, interest owed and the open costs of the invoice (its
 * compensation, the fees of documents that claimed it).
 *
 * Writes only a write-off.  The "balance-survives" events go into the
 * plan, and the planner journals them with its others, once per invoice
 * (ds_planner_record_events), so that a re-run of a date adds nothing.
 * A write-off is once per invoice too: after it nothing of the invoice
 * is owed, so a re-run (one after a crash that lost the journaling of
 * the payment included) finds nothing to write off, and one already in
 * the journal is never repeated.
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
 * leaves a balance on the invoice it names, write the balance off
 * (config->rules.write_off) or add a "balance-survives" event about the
 * invoice to plan->events.  Reads the reference rate tables only when a
 * payment needs a claim computed.
 */
gboolean ds_claim_surviving_plan (DsStore *store, const DsConfig *config,
				  DsPlan *plan, DsDate as_of,
				  GError **error);

G_END_DECLS

#endif
