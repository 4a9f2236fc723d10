/*
 * profile.h -- the record kinds of the ledger input, their native CSV
 * columns, and the mapping profiles that read other sources.
 *
 * The native format (DESIGN section 5) names each field by its column:
 * ISO dates, '.' as decimal point, one header row.  A file's kind is read
 * from its header: the kind whose required columns are all present, when
 * exactly one is.
 *
 * A mapping profile is a GKeyFile, data/profiles/NAME.conf:
 *
 *   [profile]
 *   description=what source this reads
 *   signature=ColA;ColB        header columns that identify the source
 *   date_format=M/D/YYYY       YYYY-MM-DD (the default), D/M/YYYY,
 *                              M/D/YYYY, D.M.YYYY and the DD/MM forms
 *   decimal=,                  '.' (the default) or ','
 *   thousands=.                none (the default), '.', ',', space, '
 *   delimiter=;                ',' or ';'; default: read from the header
 *   ignore=Notes;DaysLate      columns of the source it does not read
 *                              on purpose: no warning about them
 *
 *   [invoices]                 one group per record each row yields
 *   only_when=Disputed=Yes     conditions: "Column" is non-empty,
 *                              "Column=Value" equal ignoring ASCII case
 *   invoice_id={invoiceNumber} a field: text with {Column} references,
 *   payment_id=ibm-{invoiceNumber}  empty when a column referred to is;
 *   currency=EUR               text without one is a fixed value
 *
 * A profile without record groups reads native columns in its own date
 * and number format.  In a record group, a currency left unmapped is the
 * customer's.  Each row yields the records of every group whose
 * conditions hold, all accepted or all rejected together.
 *
 * A DsMapping binds the native format or a profile to one file's header:
 * every reference resolved to a column index once, so that reading a row
 * is indexing.  Column names match ignoring ASCII case and surrounding
 * spaces.  A named column that nothing reads (not a column of the native
 * kind; not referred to by the profile, nor in its signature or ignore
 * list) is unknown: the import reads the file and warns about it.
 * Problems with a profile file are DS_ERROR_CONFIG naming the file,
 * group and key; a header that fits nothing is DS_ERROR_INPUT.
 */
#ifndef DS_PROFILE_H
#define DS_PROFILE_H

#include <glib.h>

#include "money.h"

G_BEGIN_DECLS

/* In dependency order: a kind refers only to kinds before it. */
typedef enum {
	DS_RECORD_ENTITIES,
	DS_RECORD_CUSTOMERS,
	DS_RECORD_INVOICES,
	DS_RECORD_INSTALMENTS,
	DS_RECORD_PAYMENTS,
	DS_RECORD_CREDIT_NOTES,
	DS_RECORD_DISPUTES,
	DS_RECORD_PROMISES,
	DS_RECORD_KIND_COUNT
} DsRecordKind;

/* The fields of each kind, in the order of the native columns. */
enum {
	DS_ENTITY_FIELD_ID,
	DS_ENTITY_FIELD_NAME,
	DS_ENTITY_FIELD_STREET,
	DS_ENTITY_FIELD_POSTAL_CODE,
	DS_ENTITY_FIELD_CITY,
	DS_ENTITY_FIELD_COUNTRY,
	DS_ENTITY_FIELD_IBAN,
	DS_ENTITY_FIELD_BIC,
	DS_ENTITY_FIELD_VAT_ID,
	DS_ENTITY_FIELD_EMAIL,
	DS_ENTITY_FIELD_PHONE,
	DS_ENTITY_FIELD_JURISDICTION,
	DS_ENTITY_FIELD_LETTER_PROFILE,
	DS_ENTITY_FIELD_COUNT
};

enum {
	DS_CUSTOMER_FIELD_ID,
	DS_CUSTOMER_FIELD_NAME,
	DS_CUSTOMER_FIELD_CONTACT,
	DS_CUSTOMER_FIELD_STREET,
	DS_CUSTOMER_FIELD_POSTAL_CODE,
	DS_CUSTOMER_FIELD_CITY,
	DS_CUSTOMER_FIELD_COUNTRY,
	DS_CUSTOMER_FIELD_LANGUAGE,
	DS_CUSTOMER_FIELD_CURRENCY,
	DS_CUSTOMER_FIELD_ENTITY,
	DS_CUSTOMER_FIELD_EMAIL,
	DS_CUSTOMER_FIELD_FAX,
	DS_CUSTOMER_FIELD_PHONE,
	DS_CUSTOMER_FIELD_B2B,
	DS_CUSTOMER_FIELD_TAGS,
	DS_CUSTOMER_FIELD_COLLECTOR,
	DS_CUSTOMER_FIELD_PAPERLESS_SINCE,
	DS_CUSTOMER_FIELD_COUNT
};

enum {
	DS_INVOICE_FIELD_ID,
	DS_INVOICE_FIELD_CUSTOMER,
	DS_INVOICE_FIELD_ISSUE_DATE,
	DS_INVOICE_FIELD_DUE_DATE,
	DS_INVOICE_FIELD_CURRENCY,
	DS_INVOICE_FIELD_AMOUNT,
	DS_INVOICE_FIELD_TAX_AMOUNT,
	DS_INVOICE_FIELD_REFERENCE,
	DS_INVOICE_FIELD_BILLING,
	DS_INVOICE_FIELD_COUNT
};

enum {
	DS_INSTALMENT_FIELD_INVOICE,
	DS_INSTALMENT_FIELD_NUMBER,
	DS_INSTALMENT_FIELD_DUE_DATE,
	DS_INSTALMENT_FIELD_AMOUNT,
	DS_INSTALMENT_FIELD_COUNT
};

enum {
	DS_PAYMENT_FIELD_ID,
	DS_PAYMENT_FIELD_CUSTOMER,
	DS_PAYMENT_FIELD_DATE,
	DS_PAYMENT_FIELD_CURRENCY,
	DS_PAYMENT_FIELD_AMOUNT,
	DS_PAYMENT_FIELD_INVOICE,
	DS_PAYMENT_FIELD_COUNT
};

enum {
	DS_CREDIT_NOTE_FIELD_ID,
	DS_CREDIT_NOTE_FIELD_CUSTOMER,
	DS_CREDIT_NOTE_FIELD_DATE,
	DS_CREDIT_NOTE_FIELD_CURRENCY,
	DS_CREDIT_NOTE_FIELD_AMOUNT,
	DS_CREDIT_NOTE_FIELD_INVOICE,
	DS_CREDIT_NOTE_FIELD_STATUS,
	DS_CREDIT_NOTE_FIELD_COUNT
};

enum {
	DS_DISPUTE_FIELD_INVOICE,
	DS_DISPUTE_FIELD_OPENED,
	DS_DISPUTE_FIELD_RESOLVED,
	DS_DISPUTE_FIELD_REASON,
	DS_DISPUTE_FIELD_COUNT
};

enum {
	DS_PROMISE_FIELD_ID,
	DS_PROMISE_FIELD_CUSTOMER,
	DS_PROMISE_FIELD_PROMISED_DATE,
	DS_PROMISE_FIELD_AMOUNT,
	DS_PROMISE_FIELD_INVOICE,
	DS_PROMISE_FIELD_MADE_ON,
	DS_PROMISE_FIELD_COUNT
};

#define DS_FIELD_MAX DS_CUSTOMER_FIELD_COUNT

typedef struct {
	const char *name;	/* the native column */
	gboolean required;	/* a native file must have the column */
} DsFieldSpec;

const char *ds_record_kind_name (DsRecordKind kind);
gboolean ds_record_kind_from_name (const char *name, DsRecordKind *kind);
const DsFieldSpec *ds_record_kind_fields (DsRecordKind kind,
					  guint *n_fields);

typedef struct {
	char *name;		/* the file name without ".conf" */
	char *path;
	char *description;
	char **signature;	/* NULL: never detected, only named */
	char *date_format;
	gboolean date_format_declared;
	DsNumberFormat number_format;
	char delimiter;		/* 0: read from the header line */
	char **ignore;		/* not read on purpose; NULL: none */
	GPtrArray *records;	/* DsProfileRecord; empty: native columns */
} DsProfile;

typedef struct {
	DsRecordKind kind;
	char *fields[DS_FIELD_MAX];	/* templates; NULL: not mapped */
	char **conditions;		/* "Column" or "Column=Value" */
} DsProfileRecord;

DsProfile *ds_profile_load_file (const char *path, GError **error);
/* DIR/NAME.conf; NAME is letters, digits, '-' and '_'. */
DsProfile *ds_profile_load (const char *dir, const char *name,
			    GError **error);
/*
 * The profile in DIR whose signature the header holds (the longest
 * signature wins), or NULL with DS_ERROR_NOT_FOUND when none does.
 */
DsProfile *ds_profile_detect (const char *dir, char **header,
			      guint n_columns, GError **error);
void ds_profile_free (DsProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsProfile, ds_profile_free)

typedef struct _DsMapping DsMapping;

/* PROFILE NULL: the native format. */
DsMapping *ds_mapping_new (const DsProfile *profile, char **header,
			   guint n_columns, GError **error);
void ds_mapping_free (DsMapping *mapping);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsMapping, ds_mapping_free)

/* The records each row yields, in dependency order; the first is the
 * row's own kind, whose key must be unique within the file. */
guint ds_mapping_n_records (const DsMapping *mapping);
DsRecordKind ds_mapping_kind (const DsMapping *mapping, guint record);

gboolean ds_mapping_applies (const DsMapping *mapping, guint record,
			     char **row);
/*
 * A field's value in ROW: NULL when the field is not mapped (its column
 * absent), else the text, which stays valid until the same field is
 * read from the next row.
 */
const char *ds_mapping_value (DsMapping *mapping, guint record, guint field,
			      char **row);
/* The column a field comes from, for messages; else the field's name. */
const char *ds_mapping_source (const DsMapping *mapping, guint record,
			       guint field);

/*
 * The named columns of HEADER (the one the mapping was made for) that
 * the mapping does not know, in header order; an empty list when it
 * knows them all.  Unnamed columns (a trailing delimiter) are left out.
 */
char **ds_mapping_unknown_columns (const DsMapping *mapping, char **header);

G_END_DECLS

#endif
