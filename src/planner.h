/*
 * planner.h -- decide which dunning documents are due on a date.
 *
 * The planner reads the open items as of a date and the steps already
 * taken, and proposes one document per customer, step and currency,
 * listing every invoice of that customer that is due for that step.  It
 * changes nothing: the cycle stores what it proposes.
 *
 * Rules, in the order they apply to an invoice:
 *   - a disputed invoice is never chased;
 *   - an invoice takes at most one step per cycle: the next one it has
 *     not taken, never several at once, never skipping one that was due
 *     (after downtime, the first run takes the step that fell due);
 *   - a step is due OFFSET days after the due date, and not before GAP
 *     days have passed since the previous step's document nor before
 *     the deadline printed on it has passed;
 *   - a pre-due step (negative offset) is only ever taken before the due
 *     date; an invoice that reaches us later passes it by;
 *   - the channel is the first of the step's channels the customer can
 *     receive: e-mail needs an address and electronic billing, fax a
 *     number, letters a postal address.
 *   - a document whose idempotency key exists already is not proposed.
 */
#ifndef DS_PLANNER_H
#define DS_PLANNER_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "ledger.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
	GPtrArray *documents;	/* of DsDocument, not yet stored */
	GHashTable *open_items;	/* invoice id -> DsOpenItem */
	GHashTable *customers;	/* customer id -> DsCustomer */
	gint64 open;		/* open items seen */
	gint64 disputed;	/* of which disputed, not chased */
} DsPlan;

void ds_plan_free (DsPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsPlan, ds_plan_free)

DsPlan *ds_planner_plan (DsStore *store, const DsConfig *config,
			 DsDate as_of, GError **error);

/* Whether the customer can receive on the channel on that date. */
gboolean ds_planner_channel_possible (const DsCustomer *customer,
				      const DsOpenItem *item,
				      DsChannel channel, DsDate as_of);

G_END_DECLS

#endif
