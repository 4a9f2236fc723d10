/*
 * document.h -- dunning documents and their attempts, as stored.
 *
 * A document is one dunning step for one customer listing the invoices
 * it is about; its idempotency key is made of the strategy, the step and
 * the sorted invoice ids, never of the run date, so that planning the
 * same thing twice finds the first document instead of making a second.
 * An invoice in instalments is dunned one instalment at a time, each
 * with its own steps: its item names the instalment, and the key reads
 * "INV-7#2" for it (an invoice without instalments keeps its bare id).
 * Its trace id is derived from that key and the instance key
 * (store.h): the same key gives the same id in one instance, and
 * another id in another, so that two instances dunning the same ledger
 * under one mail domain do not share VERP addresses or Message-IDs.
 * A stored document keeps the id it was stored with: ids are looked up,
 * never derived again.  An attempt is one try to deliver a document
 * through one channel.
 *
 * An event document (event-documents.h) is made because of one ledger
 * event: its strategy is DS_DOCUMENT_EVENT_STRATEGY, its step the kind
 * (acknowledgement, promise-confirmation, dispute-notice), its step
 * index -1, and event_object names the event's object ("payment:P7",
 * "promise:PR1", "dispute:INV1@2024-03-01").  Its key is made of the
 * kind, the customer and that object, so that one event makes at most
 * one document however often it is read; the invoices it lists are
 * shown, not counted as steps taken.
 *
 * Every state change goes through ds_document_move / ds_attempt_move,
 * which check the transition against states.c and append the journal
 * record in the same transaction.  A move to the state an object is
 * already in, or out of a terminal state, changes nothing and is
 * journaled as "ignored" with the evidence.  Feedback goes through
 * ds_attempt_report, which also journals news the attempt is already
 * past as "ignored".
 */
#ifndef DS_DOCUMENT_H
#define DS_DOCUMENT_H

#include <glib.h>

#include "config.h"
#include "date.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_TRACE_ID_LEN 13	/* "DS" + 10 base32 + NUL */
#define DS_DOCUMENT_EVENT_STRATEGY "event"

typedef struct {
	char *invoice_id;
	gint64 open_amount;
	int days_overdue;
	int instalment;		/* whose steps these are; 0: the invoice */
} DsDocumentItem;

typedef struct {
	char *trace_id;
	char *idempotency_key;
	char *customer_id;
	char *entity_id;
	char *strategy;
	char *step;
	int step_index;
	DsChannel channel;
	DsDate as_of;
	char *state;
	char *language;
	char *currency;
	gint64 total;
	DsDate deadline;
	char *pdf_path;
	char *pdf_sha256;
	int pages;
	char *reason;
	GPtrArray *items;	/* of DsDocumentItem */
	char *event_object;	/* an event document's object; NULL: a
				   dunning step */
} DsDocument;

void ds_document_free (DsDocument *document);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsDocument, ds_document_free)

void ds_document_item_free (DsDocumentItem *item);

/* Fill idempotency_key and trace_id from strategy, step and items, or
 * for an event document from its kind, customer and event object; the
 * trace id under the instance key of `store`. */
void ds_document_derive_ids (DsStore *store, DsDocument *document);

gboolean ds_document_exists (DsStore *store, const char *idempotency_key);

/*
 * Store a new document in state "scheduled" with its items, record the
 * step as taken for each invoice (not for an event document), and
 * journal it as "planned".
 */
gboolean ds_document_insert (DsStore *store, DsDocument *document,
			     const char *evidence, GError **error);

DsDocument *ds_document_get (DsStore *store, const char *trace_id,
			     GError **error);

/*
 * The customer's last dunning document sent (dispatched or closed; no
 * event document, no call) dated on or before AS_OF; NULL with
 * DS_ERROR_NOT_FOUND when there is none.
 */
DsDocument *ds_document_last_sent (DsStore *store, const char *customer_id,
				   DsDate as_of, GError **error);

/*
 * Trace ids of the documents about an invoice or a customer, or made
 * for a ledger event's object (a promise, dispute or payment id; see
 * event-documents.h), oldest first.  Empty when none.
 */
GPtrArray *ds_document_list_for (DsStore *store, const char *id,
				 GError **error);
/* Documents still moving (all: every document), oldest first. */
GPtrArray *ds_document_list_queue (DsStore *store, gboolean all,
				   GError **error);
gint64 ds_document_count (DsStore *store);

/* Trace ids of documents in `state`, oldest first. */
GPtrArray *ds_document_list_in_state (DsStore *store, const char *state,
				      GError **error);

gboolean ds_document_move (DsStore *store, const char *trace_id,
			   const char *to, const char *event,
			   const char *evidence, GError **error);

gboolean ds_document_set_pdf (DsStore *store, const char *trace_id,
			      const char *path, const char *sha256,
			      int pages, GError **error);
/* The total the letter claims, once its claim is computed: the planned
 * total counts the open items only. */
gboolean ds_document_set_total (DsStore *store, const char *trace_id,
				gint64 total, GError **error);
gboolean ds_document_set_reason (DsStore *store, const char *trace_id,
				 const char *reason, GError **error);

/*
 * Date a document made later than planned (requeued from
 * action-required, or produced after a failed day) on `as_of`, its
 * payment deadline moved by as many days and then to a working day of
 * `calendar` (may be NULL); the steps it takes count from the new date.
 * Journaled as "redated" with both dates.
 */
gboolean ds_document_redate (DsStore *store, DsDocument *document,
			     DsDate as_of, const DsCalendar *calendar,
			     GError **error);

/*
 * The step an invoice last took under a strategy: -1 for none.  For an
 * invoice in instalments, the step its instalment `instalment` last
 * took (each instalment starts at the strategy's first step); 0 for an
 * invoice without instalments.  Unsent
 * when its document waits for the operator (action-required, or held
 * in the queue): the next step waits for it.  A document merely
 * scheduled is made by the same cycle, or redated by the next one.
 */
typedef struct {
	int step_index;
	DsDate taken_on;
	DsDate deadline;
	char *trace_id;
	gboolean unsent;
} DsStepTaken;

gboolean ds_document_last_step (DsStore *store, const char *invoice_id,
				int instalment, const char *strategy,
				DsStepTaken *taken, GError **error);

/* Attempts. */
typedef struct {
	gint64 attempt_id;
	char *trace_id;
	DsChannel channel;
	char *driver;
	char *state;
	char *batch_id;
	char *provider_id;
	int tries;
	char *detail;		/* e-mail: "to=a@x, b@y" when the attempt
				   is for these of the customer's
				   addresses only; NULL: for all */
} DsAttempt;

void ds_attempt_free (DsAttempt *attempt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsAttempt, ds_attempt_free)

gboolean ds_attempt_create (DsStore *store, const char *trace_id,
			    DsChannel channel, const char *driver,
			    gint64 *attempt_id, GError **error);
/* The same, with the attempt's detail (DsAttempt), journaled with it. */
gboolean ds_attempt_create_detailed (DsStore *store, const char *trace_id,
				     DsChannel channel, const char *driver,
				     const char *detail, gint64 *attempt_id,
				     GError **error);
DsAttempt *ds_attempt_get (DsStore *store, gint64 attempt_id,
			   GError **error);
GPtrArray *ds_attempt_list_for_trace (DsStore *store, const char *trace_id,
				      GError **error);
gboolean ds_attempt_move (DsStore *store, gint64 attempt_id,
			  const char *to, const char *evidence,
			  GError **error);

/*
 * Feedback about an attempt (a mailroom's confirmation, a carrier's
 * tracking, a returned envelope, a bounce, a fax server's or a
 * provider's state), judged as states.h says: moved when the tables
 * allow it (*moved TRUE); journaled as "ignored" when it is late or
 * repeated (*moved FALSE); DS_ERROR_STATE naming the attempt, its
 * document and the states it skips when it is wrong.
 */
gboolean ds_attempt_report (DsStore *store, gint64 attempt_id,
			    const char *to, const char *evidence,
			    gboolean *moved, GError **error);
gboolean ds_attempt_set_batch (DsStore *store, gint64 attempt_id,
			       const char *batch_id, GError **error);
gboolean ds_attempt_set_provider_id (DsStore *store, gint64 attempt_id,
				     const char *provider_id,
				     GError **error);

/* The attempt a provider id (a carrier's tracking number) names: 0 when
 * none does. */
gboolean ds_attempt_find_by_provider_id (DsStore *store,
					 const char *provider_id,
					 gint64 *attempt_id, GError **error);

/* Attempts of DRIVER in STATE, oldest first: a GArray of gint64. */
GArray *ds_attempt_list_by_driver (DsStore *store, const char *driver,
				   const char *state, GError **error);

/* Attempts in STATE last changed before BEFORE (UTC ISO time), oldest
 * first: a GArray of gint64. */
GArray *ds_attempt_list_stale (DsStore *store, const char *state,
			       const char *before, GError **error);

/* When a deferred attempt is tried next (UTC ISO time; NULL: now). */
gboolean ds_attempt_set_next_try (DsStore *store, gint64 attempt_id,
				  const char *next_try_at, GError **error);

/*
 * Attempts the dispatcher submits itself (every driver but "print"),
 * oldest first: queued ones, and deferred ones whose next try is due at
 * `now` (UTC ISO time).  A GArray of gint64.
 */
GArray *ds_attempt_list_due (DsStore *store, const char *now,
			     GError **error);

G_END_DECLS

#endif
