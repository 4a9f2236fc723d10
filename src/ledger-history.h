/*
 * ledger-history.h -- the receivables history the scorer learns from and
 * scores with, read from the ledger in one pass.
 *
 * A DsLedgerHistory holds every invoice issued on or before a date, each
 * with the dated events that settle it (payments and open credit notes
 * allocated to it) and its disputes, grouped by customer.  It is a plain
 * in-memory copy: reading it once and asking "as of D" questions of it
 * many times is what lets the evaluation build features for every
 * invoice at its own issue date, and the planner score every open invoice
 * on a day, without a query per invoice.
 *
 * The "as of" questions are answered here, in one place, so that no
 * caller can count an event that had not happened yet: an invoice is
 * known from its issue date, a payment or credit note counts from the day
 * after its date (the day D itself is not closed when D is scored), a
 * dispute counts from its opening until its resolution.
 *
 * XXX: unallocated payments (no invoice) are not read.  They settle
 * nothing until the ledger allocates them, so the history ignores them.
 */
#ifndef DS_LEDGER_HISTORY_H
#define DS_LEDGER_HISTORY_H

#include <glib.h>

#include "date.h"
#include "ledger.h"
#include "store.h"

G_BEGIN_DECLS

/* One payment or open credit note allocated to an invoice. */
typedef struct {
	DsDate date;
	gint64 amount;
} DsHistoryEvent;

typedef struct _DsHistoryCustomer DsHistoryCustomer;

typedef struct {
	char *invoice_id;
	DsHistoryCustomer *customer;	/* borrowed from the history */
	DsDate issue_date;
	DsDate due_date;
	const char *currency;	/* interned: g_intern_string */
	gint64 amount;
	DsBilling billing;
	GArray *events;		/* DsHistoryEvent by date */
	DsDate dispute_opened;	/* the first dispute; NONE: never */
	DsDate dispute_resolved;	/* NONE: not resolved */
	guint index;		/* position in its customer's list */
} DsHistoryInvoice;

struct _DsHistoryCustomer {
	char *customer_id;
	char *country;		/* ISO 3166 alpha-2 */
	char *entity_id;
	GPtrArray *invoices;	/* DsHistoryInvoice by issue date, id */
};

typedef struct _DsLedgerHistory DsLedgerHistory;

/*
 * Read every invoice issued on or before `known_on` and every payment,
 * credit note and dispute dated on or before it.
 */
DsLedgerHistory *ds_ledger_history_load (DsStore *store, DsDate known_on,
					 GError **error);
void ds_ledger_history_free (DsLedgerHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsLedgerHistory, ds_ledger_history_free)

DsDate ds_ledger_history_known_on (const DsLedgerHistory *history);

/* Customers by id; invoices of all customers by issue date, id. */
GPtrArray *ds_ledger_history_customers (const DsLedgerHistory *history);
GPtrArray *ds_ledger_history_invoices (const DsLedgerHistory *history);
const DsHistoryInvoice *ds_ledger_history_find (
	const DsLedgerHistory *history, const char *invoice_id);

/* Paid (payments and credit notes dated before `as_of`). */
gint64 ds_history_invoice_paid (const DsHistoryInvoice *invoice,
				DsDate as_of);

/*
 * The date on which the invoice was fully paid, if that happened before
 * `as_of`; DS_DATE_NONE while it was still open on `as_of`.  Pass
 * DS_DATE_NONE as `as_of` for the outcome as finally known.
 */
DsDate ds_history_invoice_settled (const DsHistoryInvoice *invoice,
				   DsDate as_of);

/* Issued on or before `as_of` and not settled before it. */
gboolean ds_history_invoice_open (const DsHistoryInvoice *invoice,
				  DsDate as_of);

/* A dispute opened on or before `as_of` and not resolved by then. */
gboolean ds_history_invoice_disputed (const DsHistoryInvoice *invoice,
				      DsDate as_of);

G_END_DECLS

#endif
