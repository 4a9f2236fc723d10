/*
 * ledger-claim.h -- the ledger reads and writes behind a claim.
 *
 * Reads: one customer's invoices (with instalments and open disputes),
 * payments, credit notes, the fees, compensation and interest earlier
 * documents claimed, and the waivers, all as of a date, into a
 * DsClaimInput.  Writes: what a document claimed (claim_costs), and an
 * operator's waivers (claim_waivers).  These two tables are migration 2
 * of store.c.
 *
 * As-of rules: invoices issued, credits dated, costs claimed and waivers
 * made on or before the date; a dispute counts when opened on or before
 * it and not resolved by then.  Costs of documents that never went out
 * (states superseded, invalid, cancelled) are not read.
 *
 * Writes join the caller's transaction (ds_store_begin nests) and are
 * idempotent: recording the same document twice adds nothing.  Nothing
 * here writes the journal: ds_claim_waive() does, in the same
 * transaction as the waiver rows.
 */
#ifndef DS_LEDGER_CLAIM_H
#define DS_LEDGER_CLAIM_H

#include <glib.h>

#include "claim.h"
#include "store.h"

G_BEGIN_DECLS

/* NULL with DS_ERROR_NOT_FOUND when there is no such customer. */
DsClaimInput *ds_ledger_claim_read (DsStore *store, const char *customer_id,
				    DsDate as_of, GError **error);

/*
 * The last document about the invoice that went out by `as_of` and
 * claimed costs or interest for it (its compensation or interest, or
 * the document's fee), in *trace_id; NULL when none did.  Only after
 * one can the law's order take a payment for the invoice before its
 * principal.
 */
gboolean ds_ledger_claim_last_claimed (DsStore *store,
				       const char *invoice_id, DsDate as_of,
				       char **trace_id, GError **error);

/*
 * Record the fees and compensation a claim adds and the interest it
 * prints, per invoice, as claimed by document `trace_id` on the claim's
 * as-of date.  The document row must exist.
 */
gboolean ds_ledger_claim_record (DsStore *store, const char *trace_id,
				 const DsClaim *claim, GError **error);

/* One waiver row; the actor is ds_journal_actor(). */
gboolean ds_ledger_claim_waive_cost (DsStore *store,
				     const char *customer_id,
				     gint64 cost_id, DsDate on,
				     const char *reason, GError **error);
gboolean ds_ledger_claim_waive_interest (DsStore *store,
					 const char *customer_id,
					 const char *invoice_id, DsDate on,
					 const char *reason, GError **error);

G_END_DECLS

#endif
