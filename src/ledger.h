/*
 * ledger.h -- the receivables records: entities, customers, invoices,
 * instalments, payments, credit notes, disputes and promises to pay.
 *
 * The ledger is what the ERP told us, kept as told: the import module
 * writes it, everything else reads it.  Reads are "as of" a date: an
 * invoice exists from its issue date, a payment counts from its date, a
 * dispute from its opening until its resolution.  This is what lets a
 * replay run the daily cycle over a history imported in one go, and what
 * keeps the scorer's features free of anything not yet known.
 *
 * Money is integer minor units in the record's currency; dates are
 * DsDate.  Strings are UTF-8 as imported; NULL where the source had none.
 */
#ifndef DS_LEDGER_H
#define DS_LEDGER_H

#include <glib.h>

#include "date.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
	char *entity_id;
	char *name;
	char *street;
	char *postal_code;
	char *city;
	char *country;		/* ISO 3166 alpha-2 */
	char *iban;
	char *bic;
	char *vat_id;
	char *email;
	char *phone;
	char *jurisdiction;	/* DE, FR, GB, US, CH; NULL: the country */
	char *letter_profile;	/* din5008b, din5008a, nfz11001, us10 */
} DsEntity;

typedef struct {
	char *customer_id;
	char *name;
	char *contact;
	char *street;
	char *postal_code;
	char *city;
	char *country;
	char *language;		/* de, en, fr */
	char *currency;
	char *entity_id;
	char *email;
	char *fax;
	char *phone;
	gboolean b2b;
	char *tags;		/* comma-separated */
	char *collector;
	DsDate paperless_since;	/* electronic billing from; NONE: never */
} DsCustomer;

typedef enum {
	DS_BILLING_UNKNOWN,
	DS_BILLING_PAPER,
	DS_BILLING_ELECTRONIC,
} DsBilling;

typedef struct {
	char *invoice_id;
	char *customer_id;
	DsDate issue_date;
	DsDate due_date;
	char *currency;
	gint64 amount;
	gint64 tax_amount;
	char *reference;
	DsBilling billing;
} DsInvoice;

/* One invoice as it stands on a date, for the planner and the letters. */
typedef struct {
	DsInvoice invoice;
	gint64 paid;		/* payments and credit notes allocated */
	gint64 open;		/* amount - paid */
	gboolean disputed;	/* a dispute open on that date */
} DsOpenItem;

void ds_entity_free (DsEntity *entity);
void ds_customer_free (DsCustomer *customer);
void ds_invoice_clear (DsInvoice *invoice);
void ds_open_item_free (DsOpenItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEntity, ds_entity_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsCustomer, ds_customer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsOpenItem, ds_open_item_free)

/*
 * Writes, for the import module.  Each returns the outcome for the row so
 * that every row is accounted for; the caller holds the transaction.
 */
typedef enum {
	DS_LEDGER_INSERTED,
	DS_LEDGER_UPDATED,
	DS_LEDGER_UNCHANGED,
} DsLedgerOutcome;

gboolean ds_ledger_put_entity (DsStore *store, const DsEntity *entity,
			       DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_customer (DsStore *store, const DsCustomer *customer,
				 DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_invoice (DsStore *store, const DsInvoice *invoice,
				DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_payment (DsStore *store, const char *payment_id,
				const char *customer_id, DsDate date,
				const char *currency, gint64 amount,
				const char *invoice_id,
				DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_dispute (DsStore *store, const char *invoice_id,
				DsDate opened, DsDate resolved,
				const char *reason, DsLedgerOutcome *outcome,
				GError **error);

/* Reads.  NULL with DS_ERROR_NOT_FOUND when there is no such record. */
DsEntity *ds_ledger_get_entity (DsStore *store, const char *entity_id,
				GError **error);
DsCustomer *ds_ledger_get_customer (DsStore *store, const char *customer_id,
				    GError **error);
gboolean ds_ledger_customer_exists (DsStore *store, const char *customer_id);
gboolean ds_ledger_entity_exists (DsStore *store, const char *entity_id);

/*
 * Invoices issued on or before `as_of` with an open amount on that date,
 * of every customer, ordered by customer then due date then invoice id:
 * a GPtrArray of DsOpenItem.
 */
GPtrArray *ds_ledger_open_items (DsStore *store, DsDate as_of,
				 GError **error);

/* Counts for the demo summary: invoices and payments dated <= as_of. */
gint64 ds_ledger_count_invoices (DsStore *store, DsDate as_of);
gint64 ds_ledger_count_payments (DsStore *store, DsDate as_of);

G_END_DECLS

#endif
