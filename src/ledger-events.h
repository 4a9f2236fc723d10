/*
 * ledger-events.h -- what the ledger says happened, as journal events.
 *
 * Each cycle journals, once each, the ledger records dated within the
 * LOOKBACK days up to its date, so that the journal holds what happened
 * beside what was sent, with the customer and invoice in the evidence,
 * and a catch-up after downtime of up to LOOKBACK days misses none:
 *
 *   payment-received   object payment PAYMENT_ID, on its date;
 *   promise-made       object promise PROMISE_ID, on the day it was made
 *                      (promises without that day are not journaled);
 *   promise-kept       the same object, the day after the promised date
 *   promise-broken     plus the grace days: kept when what it covered
 *                      (the invoice named, else the customer's account)
 *                      was paid by then, broken when not (the planner
 *                      says the same when chasing resumes; the first
 *                      record stands);
 *   dispute-opened     object dispute INVOICE@OPENED, on its opening: the
 *                      invoice is paused from that day (planner.h);
 *   dispute-resolved   the same object, on its resolution: chasing
 *                      resumes with the next step that is due.
 *
 * Events are read as DsPlanEvent (planner.h), which the planner adds to
 * its plan and ds_planner_record_events() journals once per object and
 * event, so a re-run of a date adds nothing.  Reading only: the SQL here
 * reads the ledger's tables and the journal.
 *
 * The cycle also hands the events read to event-documents.h, which
 * makes, where [events] enables it, one document per payment received
 * (an acknowledgement), promise made (a confirmation) and dispute opened
 * (a notice that chasing is paused), identified by the event's object
 * as above, so that two payments on one invoice make two.
 */
#ifndef DS_LEDGER_EVENTS_H
#define DS_LEDGER_EVENTS_H

#include <glib.h>

#include "date.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_LEDGER_EVENTS_LOOKBACK 31

/*
 * Add to `events` (a GPtrArray of DsPlanEvent with its free function)
 * the events dated from as_of - LOOKBACK + 1 through as_of that the
 * journal does not hold yet, promise outcomes first.
 */
gboolean ds_ledger_events_read (DsStore *store, DsDate as_of,
				int promise_grace_days, GPtrArray *events,
				GError **error);

G_END_DECLS

#endif
