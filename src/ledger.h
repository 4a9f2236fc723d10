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
	char *email;		/* "a@x, b@y": one address or more */
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
	char *invoice_id;
	int number;		/* 1, 2, ... within the invoice */
	DsDate due_date;
	gint64 amount;		/* in the invoice's currency */
} DsInstalment;

typedef struct {
	char *payment_id;
	char *customer_id;
	DsDate date;
	char *currency;
	gint64 amount;
	char *invoice_id;	/* NULL: not allocated (unapplied cash) */
} DsPayment;

typedef enum {
	DS_CREDIT_NOTE_OPEN,
	DS_CREDIT_NOTE_CANCELLED,
} DsCreditNoteStatus;

typedef struct {
	char *credit_note_id;
	char *customer_id;
	DsDate date;
	char *currency;
	gint64 amount;
	char *invoice_id;	/* NULL: not allocated */
	DsCreditNoteStatus status;
} DsCreditNote;

typedef struct {
	char *invoice_id;
	DsDate opened;
	DsDate resolved;	/* NONE: still open */
	char *reason;
} DsDispute;

typedef struct {
	char *promise_id;
	char *customer_id;
	DsDate promised_date;
	gint64 amount;		/* in the customer's currency */
	char *invoice_id;	/* NULL: the customer's balance */
	DsDate made_on;		/* NONE: not known */
} DsPromise;

/* One file the import module has read, by the SHA-256 of its bytes. */
typedef struct {
	char *file_sha256;
	char *file_name;
	char *kind;
	char *profile;		/* NULL: native format */
	char *imported_at;	/* UTC ISO 8601 */
	gint64 accepted;
	gint64 updated;
	gint64 unchanged;
	gint64 rejected;
} DsLedgerImport;

/* One row an import rejected. */
typedef struct {
	int line;		/* the physical line the row starts on */
	char *field;		/* NULL: about the whole row */
	char *reason;
} DsLedgerImportError;

typedef struct {
	DsInvoice invoice;
	gint64 paid;		/* payments and credit notes allocated */
	gint64 open;		/* amount - paid */
	gboolean disputed;	/* a dispute open on that date */
	/*
	 * What dunning goes by.  For an invoice without instalments, its
	 * due date and open amount.  For one in instalments, the due date
	 * of the first instalment not yet covered by what was paid, and
	 * what of the instalments due on the date is still unpaid (case 4:
	 * 1,000.00 in two parts, the first overdue: 500.00).  `instalment`
	 * is the number of the instalment `due` belongs to, 0 for an
	 * invoice without instalments: each instalment takes its own
	 * dunning steps, one instalment at a time.
	 */
	DsDate due;
	gint64 due_open;
	int instalment;
	int instalments;	/* how many the invoice is in; 0: none */
	gint64 next_open;	/* in instalments: what `due` asks for, the
				   instalment with those before it, less
				   what was paid */
} DsOpenItem;

void ds_entity_free (DsEntity *entity);
void ds_customer_free (DsCustomer *customer);
void ds_invoice_clear (DsInvoice *invoice);

/*
 * The addresses of an e-mail list as the ledger holds a customer's
 * (separated by ',' or ';', blanks around them ignored), in their
 * order, empty elements left out; an empty vector for NULL.
 */
GStrv ds_email_list_split (const char *list);
void ds_open_item_free (DsOpenItem *item);

/*
 * The amount a document asks for: what is due and unpaid (for an
 * invoice in instalments, the parts fallen due), or, before anything is
 * due (a reminder ahead of the due date), what falls due next: the
 * whole open amount, or for an invoice in instalments the next
 * instalment's unpaid part, as the claim has it (claim.h).
 */
gint64 ds_open_item_claimed (const DsOpenItem *item);
void ds_invoice_free (DsInvoice *invoice);
void ds_instalment_free (DsInstalment *instalment);
void ds_payment_free (DsPayment *payment);
void ds_credit_note_free (DsCreditNote *credit_note);
void ds_dispute_free (DsDispute *dispute);
void ds_promise_free (DsPromise *promise);
void ds_ledger_import_free (DsLedgerImport *import);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsEntity, ds_entity_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsCustomer, ds_customer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsOpenItem, ds_open_item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsInvoice, ds_invoice_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsInstalment, ds_instalment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsPayment, ds_payment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsCreditNote, ds_credit_note_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsDispute, ds_dispute_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsPromise, ds_promise_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsLedgerImport, ds_ledger_import_free)

const char *ds_billing_name (DsBilling billing);	/* NULL: unknown */

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
gboolean ds_ledger_put_instalment (DsStore *store,
				   const DsInstalment *instalment,
				   DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_credit_note (DsStore *store,
				    const DsCreditNote *credit_note,
				    DsLedgerOutcome *outcome, GError **error);
gboolean ds_ledger_put_promise (DsStore *store, const DsPromise *promise,
				DsLedgerOutcome *outcome, GError **error);

/*
 * A writer keeps the prepared statements of a run of writes, so that an
 * import of a million rows prepares each statement once; the put
 * functions above are one-write writers.  A record is inserted when its
 * key is new, updated when a stored column differs, and left alone (and
 * reported unchanged) otherwise; an update never deletes, so what hangs
 * off a record (the disputes of an invoice) survives its correction.
 * Writers do not check references: the caller looks them up first with
 * the lookups below, which see the caller's uncommitted writes.
 */
typedef struct _DsLedgerWriter DsLedgerWriter;

DsLedgerWriter *ds_ledger_writer_new (DsStore *store);
void ds_ledger_writer_free (DsLedgerWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsLedgerWriter, ds_ledger_writer_free)

gboolean ds_ledger_writer_put_entity (DsLedgerWriter *writer,
				      const DsEntity *entity,
				      DsLedgerOutcome *outcome,
				      GError **error);
gboolean ds_ledger_writer_put_customer (DsLedgerWriter *writer,
					const DsCustomer *customer,
					DsLedgerOutcome *outcome,
					GError **error);
gboolean ds_ledger_writer_put_invoice (DsLedgerWriter *writer,
				       const DsInvoice *invoice,
				       DsLedgerOutcome *outcome,
				       GError **error);
gboolean ds_ledger_writer_put_instalment (DsLedgerWriter *writer,
					  const DsInstalment *instalment,
					  DsLedgerOutcome *outcome,
					  GError **error);
gboolean ds_ledger_writer_put_payment (DsLedgerWriter *writer,
				       const DsPayment *payment,
				       DsLedgerOutcome *outcome,
				       GError **error);
gboolean ds_ledger_writer_put_credit_note (DsLedgerWriter *writer,
					   const DsCreditNote *credit_note,
					   DsLedgerOutcome *outcome,
					   GError **error);
gboolean ds_ledger_writer_put_dispute (DsLedgerWriter *writer,
				       const DsDispute *dispute,
				       DsLedgerOutcome *outcome,
				       GError **error);
gboolean ds_ledger_writer_put_promise (DsLedgerWriter *writer,
				       const DsPromise *promise,
				       DsLedgerOutcome *outcome,
				       GError **error);

/*
 * Lookups for checking references before a write: FALSE with
 * DS_ERROR_NOT_FOUND when there is no such record, another code when the
 * database failed.  Out strings are newly allocated; pass NULL for any
 * not wanted.
 */
gboolean ds_ledger_writer_find_entity (DsLedgerWriter *writer,
				       const char *entity_id, GError **error);
gboolean ds_ledger_writer_find_customer (DsLedgerWriter *writer,
					 const char *customer_id,
					 char **currency, GError **error);
/*
 * The customer's invoices, payments and credit notes in a currency
 * other than CURRENCY: their number in *count, the first by id and its
 * currency (NULL and 0 when there is none).
 */
gboolean ds_ledger_writer_in_other_currency (DsLedgerWriter *writer,
					     const char *customer_id,
					     const char *currency,
					     char **record_id,
					     char **record_currency,
					     gint64 *count, GError **error);
/*
 * What of an invoice its instalments other than NUMBER leave for that
 * one (G_MAXINT64 when the invoice is not stored yet).
 */
gboolean ds_ledger_writer_instalment_room (DsLedgerWriter *writer,
					   const char *invoice_id,
					   int number, gint64 *room,
					   GError **error);
gboolean ds_ledger_writer_find_invoice (DsLedgerWriter *writer,
					const char *invoice_id,
					char **customer_id, char **currency,
					GError **error);

/*
 * Where the rows came from.  Putting an import record replaces an
 * earlier record of the same file and drops its row errors; the errors
 * of the new record are added after it, through a writer.
 */
DsLedgerImport *ds_ledger_get_import (DsStore *store, const char *sha256,
				      GError **error);
/* The one import whose SHA-256 starts with SHA256_PREFIX (lower-case
 * hex); DS_ERROR_INPUT when several do. */
DsLedgerImport *ds_ledger_find_import (DsStore *store,
				       const char *sha256_prefix,
				       GError **error);
/* The rows an import of SHA256 rejected, by line: DsLedgerImportError. */
GPtrArray *ds_ledger_import_errors (DsStore *store, const char *sha256,
				    GError **error);
gboolean ds_ledger_put_import (DsStore *store, const DsLedgerImport *import,
			       GError **error);
gboolean ds_ledger_writer_put_import_error (DsLedgerWriter *writer,
					    const char *sha256, int line,
					    const char *field,
					    const char *reason,
					    GError **error);

/* Reads.  NULL with DS_ERROR_NOT_FOUND when there is no such record. */
DsEntity *ds_ledger_get_entity (DsStore *store, const char *entity_id,
				GError **error);
DsCustomer *ds_ledger_get_customer (DsStore *store, const char *customer_id,
				    GError **error);
gboolean ds_ledger_customer_exists (DsStore *store, const char *customer_id);
gboolean ds_ledger_entity_exists (DsStore *store, const char *entity_id);
DsInvoice *ds_ledger_get_invoice (DsStore *store, const char *invoice_id,
				  GError **error);

/* Instalments of an invoice by number: a GPtrArray of DsInstalment. */
GPtrArray *ds_ledger_instalments (DsStore *store, const char *invoice_id,
				  GError **error);

/*
 * A customer's records dated on or before `as_of`, by date then id:
 * GPtrArrays of DsPayment, DsCreditNote (cancelled ones included, with
 * their status) and DsPromise (by promised date; a promise counts from
 * the day it was made, or always when that is not known).
 */
GPtrArray *ds_ledger_payments (DsStore *store, const char *customer_id,
			       DsDate as_of, GError **error);
GPtrArray *ds_ledger_credit_notes (DsStore *store, const char *customer_id,
				   DsDate as_of, GError **error);
GPtrArray *ds_ledger_promises (DsStore *store, const char *customer_id,
			       DsDate as_of, GError **error);

/* The disputes of an invoice by opening date: a GPtrArray of DsDispute. */
GPtrArray *ds_ledger_disputes (DsStore *store, const char *invoice_id,
			       GError **error);

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
