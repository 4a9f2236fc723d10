/*
 * event-documents.h -- documents made because of ledger events.
 *
 * The ledger's events (ledger-events.h) are journaled once each; three
 * of them may also make one document to the customer, each kind where
 * dunspool.conf's [events] group enables it:
 *
 *   payment-received  an acknowledgement of the payment (its date and
 *                     amount, and the invoice it paid as it now stands);
 *   promise-made      a promise confirmation (the date and amount
 *                     promised, the invoice or the open invoices of the
 *                     customer's account it covers, and that no reminder
 *                     is sent until then); not made when the promised
 *                     date has passed by the day the event is read;
 *   dispute-opened    a dispute notice (that chasing of the invoice is
 *                     paused while the dispute is looked into); not made
 *                     when the dispute was resolved by then.
 *
 * An event document is a document (document.h) of strategy "event" whose
 * step is its kind -- acknowledgement, promise-confirmation,
 * dispute-notice, the names of its templates -- and whose event_object
 * names the payment, promise or dispute; the store holds at most one
 * document per kind and object (a unique index), and one that exists is
 * not proposed again, so a re-run of a date or a catch-up after downtime
 * makes none twice.  Events are the ones the planner read for the date,
 * that is those not yet journaled within the look-back of
 * ledger-events.h: an event journaled while its kind was disabled makes
 * no document when the kind is enabled later.
 *
 * The channel is the first of [events] channels the customer can
 * receive: e-mail needs an address (an event document claims nothing,
 * so electronic billing is not asked for), fax a number, letters a
 * postal address; none possible: the first, which production or
 * dispatch then refuses as for a step.  From there an event document
 * goes the way of every document: production renders and validates it,
 * dispatch sends it, print batches collect its letters, the journal
 * holds each move, and `dunspool queue` and `trace` show it.  It claims
 * nothing (no interest, fee or compensation is recorded), asks for no
 * payment, takes no step of a strategy and does not go through the next
 * best action; action limits count it among a customer's documents once
 * stored.
 */
#ifndef DS_EVENT_DOCUMENTS_H
#define DS_EVENT_DOCUMENTS_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "document.h"
#include "planner.h"
#include "render.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_EVENT_ACKNOWLEDGEMENT "acknowledgement"
#define DS_EVENT_PROMISE_CONFIRMATION "promise-confirmation"
#define DS_EVENT_DISPUTE_NOTICE "dispute-notice"

/*
 * Append to plan->documents the event documents that plan->events call
 * for on `as_of` and that do not exist yet, with their ids derived.
 */
gboolean ds_event_documents_plan (DsStore *store, const DsConfig *config,
				  DsPlan *plan, DsDate as_of,
				  GError **error);

/* What an event letter shows, read back from the ledger. */
typedef struct {
	DsLetterEvent event;	/* points into the strings below */
	GPtrArray *items;	/* of DsLetterItem */
	gint64 total;		/* the items' open amounts */
	char *id;
	char *invoice_id;
	char *reason;
} DsEventLetter;

void ds_event_letter_free (DsEventLetter *letter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEventLetter, ds_event_letter_free)

/*
 * The event and the invoices of an event document, as they stand on
 * `open_items` (invoice id -> DsOpenItem on the production date; an
 * invoice not there is settled).  DS_ERROR_NOT_FOUND when the ledger no
 * longer holds the event's record.
 */
DsEventLetter *ds_event_letter_load (DsStore *store,
				     const DsDocument *document,
				     GHashTable *open_items, GError **error);

G_END_DECLS

#endif
