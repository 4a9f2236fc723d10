/*
 * import.c -- read ledger files into the ledger.  See import.h.
 *
 * A file goes through two stages.  Opening maps it, hashes its bytes,
 * checks that it is UTF-8, finds the delimiter and the header, and binds
 * the native format or a profile to that header; a file that fails here
 * is refused before anything is written.  Importing then reads the rows
 * inside one transaction: each row is converted into the records it
 * yields and checked against the ledger (references, currencies, keys
 * seen earlier in the file) before any of them is written, so a rejected
 * row leaves nothing behind and a written row is whole.
 *
 * Rows are read by csv-reader.h, with the physical line each starts on;
 * the line breaks inside values are made LF here, for what is stored.
 */
#define G_LOG_DOMAIN "dunspool-import"

#include "import.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel-email.h"
#include "csv-reader.h"
#include "date.h"
#include "iso-codes.h"
#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "money.h"
#include "profile.h"
#include "spool.h"

static gboolean
input_fail (GError **error, int line, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "line %d: %s", line,
		     why);
	return FALSE;
}

/* Opening a file: everything that can refuse it before a write. */

typedef struct {
	char *path;
	char *name;
	GMappedFile *mapped;
	const char *data;	/* after any byte-order mark */
	gsize length;
	char *sha256;
	char delimiter;
	int header_line;
	char **header;
	guint n_columns;
	DsProfile *profile;	/* NULL: the native format */
	DsMapping *mapping;
	char **unknown_columns;	/* of the header, known to neither */
	DsRecordKind kind;	/* of the rows' own records */
	guint order;		/* position among the files given */
} ImportSource;

static void
import_source_free (ImportSource *source)
{
	if (source == NULL)
		return;
	g_free (source->path);
	g_free (source->name);
	g_clear_pointer (&source->mapped, g_mapped_file_unref);
	g_free (source->sha256);
	g_strfreev (source->header);
	g_strfreev (source->unknown_columns);
	ds_profile_free (source->profile);
	ds_mapping_free (source->mapping);
	g_free (source);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ImportSource, import_source_free)

static gboolean
source_map (ImportSource *source, GError **error)
{
	g_autoptr (GError) map_error = NULL;
	struct stat status;
	int fd = open (source->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		       O_CLOEXEC);

	memset (&status, 0, sizeof status);
	if (fd < 0) {
		int saved = errno;

		g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "%s",
			     saved == ELOOP ? "a symbolic link" :
			     g_strerror (saved));
		return FALSE;
	}
	if (fstat (fd, &status) != 0 || !S_ISREG (status.st_mode) ||
	    status.st_size == 0) {
		gboolean empty = S_ISREG (status.st_mode);

		close (fd);
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "%s",
			     empty ? "empty file" : "not a regular file");
		return FALSE;
	}
	source->mapped = g_mapped_file_new_from_fd (fd, FALSE, &map_error);
	close (fd);
	if (source->mapped == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "%s",
			     map_error->message);
		return FALSE;
	}
	source->data = g_mapped_file_get_contents (source->mapped);
	source->length = g_mapped_file_get_length (source->mapped);
	source->sha256 = g_compute_checksum_for_data (
		G_CHECKSUM_SHA256, (const guchar *) source->data,
		source->length);
	return TRUE;
}

/* Skip a byte-order mark; refuse bytes that are not UTF-8 (or NUL). */
static gboolean
source_check_text (ImportSource *source, GError **error)
{
	const char *end;
	int line = 1;

	if (source->length >= 3 && memcmp (source->data, "\xEF\xBB\xBF",
					   3) == 0) {
		source->data += 3;
		source->length -= 3;
	}
	if (g_utf8_validate_len (source->data, source->length, &end))
		return TRUE;
	for (const char *p = source->data; p < end; p++)
		if (*p == '\n')
			line++;
	return input_fail (error, line, "not UTF-8 text");
}

/* The line breaks inside FIELDS made LF, in place (never longer). */
static void
fields_make_lf (char **fields, guint n_fields)
{
	for (guint i = 0; i < n_fields; i++) {
		char *out = fields[i];

		if (strchr (fields[i], '\r') == NULL)
			continue;
		for (const char *in = fields[i]; *in != '\0'; in++) {
			if (*in == '\r' && in[1] == '\n')
				continue;
			*out++ = *in == '\r' ? '\n' : *in;
		}
		*out = '\0';
	}
}

static gboolean
header_row_cb (guint line, char **fields, guint n_fields, gpointer data,
	       GError **error)
{
	ImportSource *source = data;

	fields_make_lf (fields, n_fields);
	source->header_line = line;
	source->n_columns = n_fields;
	source->header = g_new0 (char *, n_fields + 1);
	for (guint i = 0; i < n_fields; i++)
		source->header[i] = g_strdup (fields[i]);
	return FALSE;
}

static gboolean
source_read_header (ImportSource *source, char delimiter, GError **error)
{
	g_clear_pointer (&source->header, g_strfreev);
	source->delimiter = delimiter;
	if (!ds_csv_read (source->data, source->length, delimiter,
		       header_row_cb, source, error))
		return FALSE;
	if (source->header == NULL)
		return input_fail (error, 1, "no header row");
	return TRUE;
}

/* The named profile, one whose signature fits, or none (native). */
static gboolean
source_choose_profile (ImportSource *source, const char *profile_dir,
		       const char *profile_name, GError **error)
{
	g_autoptr (GError) detect_error = NULL;

	if (profile_name != NULL) {
		source->profile = ds_profile_load (profile_dir, profile_name,
						   error);
		return source->profile != NULL;
	}
	if (profile_dir == NULL)
		return TRUE;
	source->profile = ds_profile_detect (profile_dir, source->header,
					     source->n_columns, &detect_error);
	if (source->profile != NULL ||
	    g_error_matches (detect_error, DS_ERROR, DS_ERROR_NOT_FOUND))
		return TRUE;
	g_propagate_error (error, g_steal_pointer (&detect_error));
	return FALSE;
}

static gboolean
source_bind (ImportSource *source, GError **error)
{
	g_autoptr (GError) bind_error = NULL;

	if (source->profile != NULL && source->profile->delimiter != 0 &&
	    source->profile->delimiter != source->delimiter &&
	    !source_read_header (source, source->profile->delimiter, error))
		return FALSE;
	source->mapping = ds_mapping_new (source->profile, source->header,
					  source->n_columns, &bind_error);
	if (source->mapping == NULL)
		return input_fail (error, source->header_line,
				   bind_error->message);
	source->kind = ds_mapping_kind (source->mapping, 0);
	source->unknown_columns = ds_mapping_unknown_columns (
		source->mapping, source->header);
	return TRUE;
}

static ImportSource *
source_open (const char *path, const char *profile_dir,
	     const char *profile_name, GError **error)
{
	g_autoptr (ImportSource) source = g_new0 (ImportSource, 1);

	source->path = g_strdup (path);
	source->name = g_path_get_basename (path);
	if (!source_map (source, error) ||
	    !source_check_text (source, error) ||
	    !source_read_header (source, ds_csv_detect_delimiter (source->data,
							   source->length),
				 error) ||
	    !source_choose_profile (source, profile_dir, profile_name,
				    error) ||
	    !source_bind (source, error))
		return NULL;
	return g_steal_pointer (&source);
}

/* Reports. */

static void
import_error_free (gpointer data)
{
	DsImportError *row_error = data;

	g_free (row_error->field);
	g_free (row_error->reason);
	g_free (row_error);
}

void
ds_import_report_free (DsImportReport *report)
{
	if (report == NULL)
		return;
	g_free (report->path);
	g_free (report->kind);
	g_free (report->profile);
	g_free (report->sha256);
	g_free (report->imported_at);
	g_free (report->refusal);
	g_ptr_array_unref (report->errors);
	g_strfreev (report->unknown_columns);
	g_free (report->rejected_path);
	g_free (report);
}

DsImportReport *
ds_import_report_new (const char *path)
{
	DsImportReport *report = g_new0 (DsImportReport, 1);

	report->path = g_strdup (path);
	report->errors = g_ptr_array_new_with_free_func (import_error_free);
	return report;
}

static void
report_describe_source (DsImportReport *report, const ImportSource *source)
{
	g_free (report->sha256);
	report->sha256 = g_strdup (source->sha256);
	g_free (report->kind);
	report->kind = g_strdup (ds_record_kind_name (source->kind));
	g_free (report->profile);
	report->profile = source->profile ?
			  g_strdup (source->profile->name) : NULL;
}

/*
 * The file is read: its columns nothing reads are worth a warning, and
 * so are the columns without a name that held data (UNNAMED).
 */
static void
report_note_columns (DsImportReport *report, const ImportSource *source,
		     GPtrArray *unnamed)
{
	g_autoptr (GStrvBuilder) columns = g_strv_builder_new ();

	report->header_line = source->header_line;
	g_strv_builder_addv (columns, (const char **) source->unknown_columns);
	for (guint i = 0; unnamed != NULL && i < unnamed->len; i++)
		g_strv_builder_add (columns, unnamed->pdata[i]);
	g_strfreev (report->unknown_columns);
	report->unknown_columns = g_strv_builder_end (columns);
}

/*
 * The warning about the unknown columns, without its line: "unknown
 * columns, not read: "Fax2", "notes" (the native customers format has
 * no such columns)".  NULL when there are none.
 */
static char *
report_columns_warning (const DsImportReport *report)
{
	GString *text;
	gboolean several;

	if (report->unknown_columns == NULL ||
	    report->unknown_columns[0] == NULL)
		return NULL;
	several = report->unknown_columns[1] != NULL;
	text = g_string_new (several ? "unknown columns, not read: " :
			     "unknown column, not read: ");
	for (guint i = 0; report->unknown_columns[i] != NULL; i++) {
		g_autofree char *column = ds_error_escape_controls (
			report->unknown_columns[i]);

		g_string_append_printf (text, "%s\"%s\"", i ? ", " : "",
					column);
	}
	if (report->profile != NULL)
		g_string_append_printf (text, " (profile %s neither reads "
					"nor ignores %s: add %s to its "
					"ignore= to be quiet)",
					report->profile,
					several ? "them" : "it",
					several ? "them" : "it");
	else
		g_string_append_printf (text, " (the native %s format "
					"has no such column%s)",
					report->kind, several ? "s" : "");
	return g_string_free (text, FALSE);
}

/* Nothing of the file stays: counts and row errors go with it. */
static void
report_refuse (DsImportReport *report, const GError *error)
{
	const char *message = error ? error->message : "refused";

	report->refused = TRUE;
	report->refusal_code = error && error->domain == DS_ERROR ?
			       error->code : DS_ERROR_PERMANENT;
	report->refusal_line = ds_error_input_line (error);
	g_free (report->refusal);
	report->refusal = ds_error_escape_controls (message);
	report->accepted = report->updated = 0;
	report->unchanged = report->rejected = 0;
	g_ptr_array_set_size (report->errors, 0);
	g_clear_pointer (&report->unknown_columns, g_strfreev);
}

/* Importing the rows of one file. */

typedef struct {
	DsRecordKind kind;
	gpointer record;
} RowRecord;

static void
row_record_free (gpointer data)
{
	RowRecord *row_record = data;
	gpointer record = row_record->record;

	switch (row_record->kind) {
	case DS_RECORD_ENTITIES:
		ds_entity_free (record);
		break;
	case DS_RECORD_CUSTOMERS:
		ds_customer_free (record);
		break;
	case DS_RECORD_INVOICES:
		ds_invoice_free (record);
		break;
	case DS_RECORD_INSTALMENTS:
		ds_instalment_free (record);
		break;
	case DS_RECORD_PAYMENTS:
		ds_payment_free (record);
		break;
	case DS_RECORD_CREDIT_NOTES:
		ds_credit_note_free (record);
		break;
	case DS_RECORD_DISPUTES:
		ds_dispute_free (record);
		break;
	case DS_RECORD_PROMISES:
		ds_promise_free (record);
		break;
	case DS_RECORD_KIND_COUNT:
	default:
		g_assert_not_reached ();
	}
	g_free (row_record);
}

typedef struct {
	DsStore *store;
	ImportSource *source;
	DsImportReport *report;
	DsLedgerWriter *writer;
	const char *date_format;
	gboolean date_format_declared;
	DsNumberFormat number_format;
	GHashTable *keys;	/* key of a row's own record -> its line */
	GHashTable *currencies;	/* customer id -> currency or NULL */
	gboolean header_done;
	GPtrArray *unnamed;	/* columns without a name holding data:
				   "column 7 (no name; data on line 3)" */
	guint64 unnamed_seen;	/* bit per column (the first 64) noted */

	/* The row being read. */
	char **row;
	guint record;		/* the mapping's record being converted */
	const char *problem_field;
	GPtrArray *records;	/* RowRecord */
	const DsInvoice *row_invoice;	/* an invoice this row yields */
} ImportRun;

typedef gboolean (*ConvertFunc) (ImportRun *run, GError **error);

static const char *
field_text (ImportRun *run, guint field)
{
	return ds_mapping_value (run->source->mapping, run->record, field,
				 run->row);
}

static gboolean reject (ImportRun *run, guint field, GError **error,
			const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Reject the row for FIELD: a DS_ERROR_INPUT saying why. */
static gboolean
reject (ImportRun *run, guint field, GError **error, const char *format,
	...)
{
	va_list args;
	g_autofree char *reason = NULL;

	va_start (args, format);
	reason = g_strdup_vprintf (format, args);
	va_end (args);
	run->problem_field = ds_mapping_source (run->source->mapping,
						run->record, field);
	g_set_error_literal (error, DS_ERROR, DS_ERROR_INPUT, reason);
	return FALSE;
}

/* The field's text, NULL when it is empty or not mapped. */
static char *
optional_text (ImportRun *run, guint field)
{
	const char *text = field_text (run, field);

	return text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

static gboolean
required_text (ImportRun *run, guint field, char **text, GError **error)
{
	*text = optional_text (run, field);
	if (*text == NULL)
		return reject (run, field, error, "missing value");
	return TRUE;
}

/* A day and a month of one or two digits and a year: 03/04/2024. */
static gboolean
date_is_regional (const char *text, gboolean *ambiguous)
{
	int first = 0, second = 0, year = 0;
	char separator = 0, again = 0;
	int consumed = 0;

	if (sscanf (text, "%2d%c%2d%c%4d%n", &first, &separator, &second,
		    &again, &year, &consumed) != 5 ||
	    text[consumed] != '\0' || separator != again ||
	    strchr ("/.-", separator) == NULL)
		return FALSE;
	*ambiguous = first != second && first >= 1 && first <= 12 &&
		     second >= 1 && second <= 12;
	return TRUE;
}

static gboolean
read_date (ImportRun *run, guint field, gboolean required, DsDate *date,
	   GError **error)
{
	const char *text = field_text (run, field);
	g_autoptr (GError) parse_error = NULL;
	gboolean ambiguous = FALSE;

	*date = DS_DATE_NONE;
	if (text == NULL || *text == '\0')
		return required ? reject (run, field, error, "missing value") :
		       TRUE;
	if (ds_date_parse (text, run->date_format, date, &parse_error))
		return TRUE;
	if (!run->date_format_declared && date_is_regional (text, &ambiguous))
		return reject (run, field, error,
			       "date \"%s\" %s; declare date_format in a "
			       "mapping profile", text,
			       ambiguous ? "is ambiguous: day and month could "
			       "be either way round" : "is not YYYY-MM-DD");
	return reject (run, field, error, "%s", parse_error->message);
}

/* An amount of money, 0 and not negative when optional and empty. */
static gboolean
read_money (ImportRun *run, guint field, const char *currency,
	    gboolean required, gint64 *amount, GError **error)
{
	const char *text = field_text (run, field);
	g_autoptr (GError) parse_error = NULL;

	*amount = 0;
	if (text == NULL || *text == '\0')
		return required ? reject (run, field, error, "missing value") :
		       TRUE;
	if (!ds_money_parse (text, currency, &run->number_format, amount,
			     &parse_error))
		return reject (run, field, error, "%s", parse_error->message);
	if (*amount < 0)
		return reject (run, field, error, "amount \"%s\" is negative",
			       text);
	return TRUE;
}

static gboolean
read_integer (ImportRun *run, guint field, int *value, GError **error)
{
	const char *text = field_text (run, field);
	gint64 number = 0;

	if (text == NULL || *text == '\0')
		return reject (run, field, error, "missing value");
	if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT, &number, NULL))
		return reject (run, field, error,
			       "\"%s\" is not a whole number from 1", text);
	*value = (int) number;
	return TRUE;
}

static gboolean
read_boolean (ImportRun *run, guint field, gboolean fallback,
	      gboolean *value, GError **error)
{
	static const char *const yes[] = { "1", "yes", "y", "true", NULL };
	static const char *const no[] = { "0", "no", "n", "false", NULL };
	const char *text = field_text (run, field);
	g_autofree char *folded = NULL;

	*value = fallback;
	if (text == NULL || *text == '\0')
		return TRUE;
	folded = g_ascii_strdown (text, -1);
	if (g_strv_contains (yes, folded))
		*value = TRUE;
	else if (!g_strv_contains (no, folded))
		return reject (run, field, error, "\"%s\" is not yes or no",
			       text);
	else
		*value = FALSE;
	return TRUE;
}

static gboolean
code_valid (const char *code, gsize length, gboolean upper)
{
	if (strlen (code) != length)
		return FALSE;
	for (gsize i = 0; i < length; i++)
		if (upper ? !g_ascii_isupper (code[i]) :
			    !g_ascii_islower (code[i]))
			return FALSE;
	return TRUE;
}

/* A code of LENGTH capital (country, currency) or small letters. */
static gboolean
read_code (ImportRun *run, guint field, gboolean required, gsize length,
	   gboolean upper, char **code, GError **error)
{
	*code = optional_text (run, field);
	if (*code == NULL)
		return required ? reject (run, field, error, "missing value") :
		       TRUE;
	if (code_valid (*code, length, upper))
		return TRUE;
	return reject (run, field, error, "\"%s\" is not %zu %s letters",
		       *code, length, upper ? "capital" : "small");
}

static const struct {
	gsize length;
	gboolean upper;
	const char *standard;
} iso_shapes[DS_ISO_LIST_COUNT] = {
	[DS_ISO_COUNTRY] = { 2, TRUE, "ISO 3166-1 country" },
	[DS_ISO_LANGUAGE] = { 2, FALSE, "ISO 639-1 language" },
	[DS_ISO_CURRENCY] = { 3, TRUE, "ISO 4217 currency" },
};

/*
 * A country, language or currency code: of the right shape, and one the
 * standard lists.  "DE" for Germany, "de" for German, "EUR".
 */
static gboolean
read_iso_code (ImportRun *run, guint field, DsIsoList list, char **code,
	       GError **error)
{
	gboolean known;

	if (!read_code (run, field, TRUE, iso_shapes[list].length,
			iso_shapes[list].upper, code, error))
		return FALSE;
	if (!ds_iso_code_known (list, *code, &known, error))
		return FALSE;
	if (known)
		return TRUE;
	return reject (run, field, error, "\"%s\" is no %s code", *code,
		       iso_shapes[list].standard);
}

/* A failed lookup: NOT_FOUND rejects the row, anything else fails. */
static gboolean
lookup_failed (ImportRun *run, guint field, GError *lookup_error,
	       const char *what, const char *id, GError **error)
{
	if (!g_error_matches (lookup_error, DS_ERROR, DS_ERROR_NOT_FOUND)) {
		g_propagate_error (error, lookup_error);
		return FALSE;
	}
	g_error_free (lookup_error);
	return reject (run, field, error, "unknown %s \"%s\"", what, id);
}

/* The customer's currency, looked up once per file. */
static gboolean
find_customer (ImportRun *run, guint field, const char *customer_id,
	       const char **currency, GError **error)
{
	gpointer value = NULL;
	GError *lookup_error = NULL;
	char *found = NULL;

	if (!g_hash_table_lookup_extended (run->currencies, customer_id,
					   NULL, &value)) {
		if (!ds_ledger_writer_find_customer (run->writer, customer_id,
						     &found, &lookup_error) &&
		    !g_error_matches (lookup_error, DS_ERROR,
				      DS_ERROR_NOT_FOUND)) {
			g_propagate_error (error, lookup_error);
			return FALSE;
		}
		g_clear_error (&lookup_error);
		value = found;
		g_hash_table_insert (run->currencies,
				     g_strdup (customer_id), found);
	}
	if (value == NULL)
		return reject (run, field, error, "unknown customer \"%s\"",
			       customer_id);
	*currency = value;
	return TRUE;
}

/* An invoice of this row or of the ledger, with its customer. */
static gboolean
find_invoice (ImportRun *run, guint field, const char *invoice_id,
	      char **customer_id, char **currency, GError **error)
{
	const DsInvoice *own = run->row_invoice;
	GError *lookup_error = NULL;

	if (own != NULL && strcmp (own->invoice_id, invoice_id) == 0) {
		*customer_id = g_strdup (own->customer_id);
		*currency = g_strdup (own->currency);
		return TRUE;
	}
	if (ds_ledger_writer_find_invoice (run->writer, invoice_id,
					   customer_id, currency,
					   &lookup_error))
		return TRUE;
	return lookup_failed (run, field, lookup_error, "invoice",
			      invoice_id, error);
}

/* A record's currency: its own column, which must be the customer's,
 * or the customer's when the profile maps none. */
static gboolean
read_currency (ImportRun *run, guint field, const char *customer_currency,
	       char **currency, GError **error)
{
	const char *text = field_text (run, field);

	if (text == NULL) {
		*currency = g_strdup (customer_currency);
		return TRUE;
	}
	if (*text == '\0')
		return reject (run, field, error, "missing value");
	if (!ds_currency_valid (text))
		return reject (run, field, error,
			       "\"%s\" is not an ISO 4217 currency code",
			       text);
	if (strcmp (text, customer_currency) != 0)
		return reject (run, field, error,
			       "currency %s is not the customer's (%s)", text,
			       customer_currency);
	*currency = g_strdup (text);
	return TRUE;
}

/* An optional invoice reference: known, of the same customer and
 * currency as the record that names it. */
static gboolean
read_invoice_reference (ImportRun *run, guint field, const char *customer_id,
			const char *currency, char **invoice_id,
			GError **error)
{
	g_autofree char *owner = NULL;
	g_autofree char *invoice_currency = NULL;

	*invoice_id = optional_text (run, field);
	if (*invoice_id == NULL)
		return TRUE;
	if (!find_invoice (run, field, *invoice_id, &owner,
			   &invoice_currency, error))
		return FALSE;
	if (strcmp (owner, customer_id) != 0)
		return reject (run, field, error,
			       "invoice \"%s\" belongs to customer \"%s\"",
			       *invoice_id, owner);
	if (currency != NULL && strcmp (invoice_currency, currency) != 0)
		return reject (run, field, error,
			       "invoice \"%s\" is in %s, not %s", *invoice_id,
			       invoice_currency, currency);
	return TRUE;
}

static void
row_add (ImportRun *run, DsRecordKind kind, gpointer record)
{
	RowRecord *row_record = g_new (RowRecord, 1);

	row_record->kind = kind;
	row_record->record = record;
	g_ptr_array_add (run->records, row_record);
}

/* One converter per record kind: read, check, add to the row. */

/*
 * An address the e-mail channel will send to (ds_email_address_valid),
 * with a dotted domain.  Caught here, a typing error or an address with
 * a display name or angle brackets is a row error with its line instead
 * of a document that stops in action-required when it is sent.
 */
static gboolean
email_plausible (const char *address)
{
	const char *at = strrchr (address, '@');

	return ds_email_address_valid (address) &&
	       strchr (at + 1, '.') != NULL;
}

static gboolean
reject_address (ImportRun *run, guint field, const char *address,
		GError **error)
{
	return reject (run, field, error, "\"%s\" is not an e-mail address "
		       "(local-part@domain, plain ASCII)", address);
}

static gboolean
convert_entity (ImportRun *run, GError **error)
{
	static const char *const letter_profiles[] = {
		"din5008a", "din5008b", "nfz11001", "us10", NULL
	};
	g_autoptr (DsEntity) entity = g_new0 (DsEntity, 1);

	if (!required_text (run, DS_ENTITY_FIELD_ID, &entity->entity_id,
			    error) ||
	    !required_text (run, DS_ENTITY_FIELD_NAME, &entity->name, error) ||
	    !required_text (run, DS_ENTITY_FIELD_STREET, &entity->street,
			    error) ||
	    !required_text (run, DS_ENTITY_FIELD_POSTAL_CODE,
			    &entity->postal_code, error) ||
	    !required_text (run, DS_ENTITY_FIELD_CITY, &entity->city, error) ||
	    !read_iso_code (run, DS_ENTITY_FIELD_COUNTRY, DS_ISO_COUNTRY,
			    &entity->country, error) ||
	    !read_code (run, DS_ENTITY_FIELD_JURISDICTION, FALSE, 2, TRUE,
			&entity->jurisdiction, error))
		return FALSE;
	entity->iban = optional_text (run, DS_ENTITY_FIELD_IBAN);
	entity->bic = optional_text (run, DS_ENTITY_FIELD_BIC);
	entity->vat_id = optional_text (run, DS_ENTITY_FIELD_VAT_ID);
	entity->email = optional_text (run, DS_ENTITY_FIELD_EMAIL);
	if (entity->email != NULL && !email_plausible (entity->email))
		return reject_address (run, DS_ENTITY_FIELD_EMAIL,
				       entity->email, error);
	entity->phone = optional_text (run, DS_ENTITY_FIELD_PHONE);
	entity->letter_profile = optional_text (
		run, DS_ENTITY_FIELD_LETTER_PROFILE);
	if (entity->letter_profile != NULL &&
	    !g_strv_contains (letter_profiles, entity->letter_profile))
		return reject (run, DS_ENTITY_FIELD_LETTER_PROFILE, error,
			       "\"%s\" is not din5008a, din5008b, nfz11001 "
			       "or us10", entity->letter_profile);
	row_add (run, DS_RECORD_ENTITIES, g_steal_pointer (&entity));
	return TRUE;
}

/*
 * A customer's addresses: one or more, separated by ',' or ';' as ERPs
 * export a distribution list, each plausible, none twice, at most
 * DS_EMAIL_LIST_MAX.  Stored as "a@x, b@y" (NULL when the field is
 * empty); the document goes to all of them.
 */
#define DS_EMAIL_LIST_MAX 10

static gboolean
read_email_list (ImportRun *run, guint field, char **list, GError **error)
{
	g_autofree char *text = optional_text (run, field);
	g_auto (GStrv) addresses = ds_email_list_split (text);
	guint count = g_strv_length (addresses);

	*list = NULL;
	if (count > DS_EMAIL_LIST_MAX)
		return reject (run, field, error,
			       "%u e-mail addresses; at most %d", count,
			       DS_EMAIL_LIST_MAX);
	for (guint n = 0; n < count; n++) {
		if (!email_plausible (addresses[n]))
			return reject_address (run, field, addresses[n],
					       error);
		for (guint before = 0; before < n; before++)
			if (g_ascii_strcasecmp (addresses[before],
						addresses[n]) == 0)
				return reject (run, field, error,
					       "\"%s\" is listed twice",
					       addresses[n]);
	}
	if (count > 0)
		*list = g_strjoinv (", ", addresses);
	return TRUE;
}

/* A number a fax server can dial: 5 to 20 digits and the usual marks. */
static gboolean
fax_plausible (const char *number)
{
	int digits = 0;

	for (const char *p = number; *p != '\0'; p++) {
		if (g_ascii_isdigit (*p))
			digits++;
		else if (strchr ("+()-/. ", *p) == NULL)
			return FALSE;
	}
	return digits >= 5 && digits <= 20;
}

/*
 * A customer's currency may not change once anything of theirs is
 * booked in it: the claim is computed in the customer's currency, and
 * invoices, payments and credit notes in another would drop out of it
 * (a balance left under § 367, unapplied cash) without a word.  A
 * customer who moves to another currency is a new customer id.
 */
static gboolean
check_currency_change (ImportRun *run, const DsCustomer *customer,
		       GError **error)
{
	g_autofree char *record_id = NULL;
	g_autofree char *record_currency = NULL;
	g_autofree char *stored = NULL;
	g_autoptr (GError) lookup_error = NULL;
	gint64 booked = 0;

	/* only a change is worth the look: most rows change nothing */
	if (!ds_ledger_writer_find_customer (run->writer,
					     customer->customer_id, &stored,
					     &lookup_error)) {
		if (g_error_matches (lookup_error, DS_ERROR,
				     DS_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&lookup_error));
		return FALSE;
	}
	if (g_strcmp0 (stored, customer->currency) == 0)
		return TRUE;
	if (!ds_ledger_writer_in_other_currency (
		    run->writer, customer->customer_id, customer->currency,
		    &record_id, &record_currency, &booked, error))
		return FALSE;
	if (booked == 0)
		return TRUE;
	return reject (run, DS_CUSTOMER_FIELD_CURRENCY, error,
		       "cannot change to %s: %" G_GINT64_FORMAT " of the "
		       "customer's invoices, payments and credit notes %s "
		       "in another currency (%s in %s); a customer in a new "
		       "currency needs a new customer id",
		       customer->currency, booked, booked == 1 ? "is" : "are",
		       record_id, record_currency);
}

static gboolean
convert_customer (ImportRun *run, GError **error)
{
	g_autoptr (DsCustomer) customer = g_new0 (DsCustomer, 1);
	GError *lookup_error = NULL;

	if (!required_text (run, DS_CUSTOMER_FIELD_ID,
			    &customer->customer_id, error) ||
	    !required_text (run, DS_CUSTOMER_FIELD_NAME, &customer->name,
			    error) ||
	    !read_iso_code (run, DS_CUSTOMER_FIELD_COUNTRY, DS_ISO_COUNTRY,
			    &customer->country, error) ||
	    !read_iso_code (run, DS_CUSTOMER_FIELD_LANGUAGE,
			    DS_ISO_LANGUAGE, &customer->language, error) ||
	    !read_iso_code (run, DS_CUSTOMER_FIELD_CURRENCY,
			    DS_ISO_CURRENCY, &customer->currency, error) ||
	    !required_text (run, DS_CUSTOMER_FIELD_ENTITY,
			    &customer->entity_id, error) ||
	    !read_boolean (run, DS_CUSTOMER_FIELD_B2B, TRUE, &customer->b2b,
			   error) ||
	    !read_date (run, DS_CUSTOMER_FIELD_PAPERLESS_SINCE, FALSE,
			&customer->paperless_since, error) ||
	    !check_currency_change (run, customer, error))
		return FALSE;
	if (!ds_ledger_writer_find_entity (run->writer, customer->entity_id,
					   &lookup_error))
		return lookup_failed (run, DS_CUSTOMER_FIELD_ENTITY,
				      lookup_error, "entity",
				      customer->entity_id, error);
	customer->contact = optional_text (run, DS_CUSTOMER_FIELD_CONTACT);
	customer->street = optional_text (run, DS_CUSTOMER_FIELD_STREET);
	customer->postal_code = optional_text (run,
					       DS_CUSTOMER_FIELD_POSTAL_CODE);
	customer->city = optional_text (run, DS_CUSTOMER_FIELD_CITY);
	if (!read_email_list (run, DS_CUSTOMER_FIELD_EMAIL,
			      &customer->email, error))
		return FALSE;
	customer->fax = optional_text (run, DS_CUSTOMER_FIELD_FAX);
	if (customer->fax != NULL && !fax_plausible (customer->fax))
		return reject (run, DS_CUSTOMER_FIELD_FAX, error,
			       "\"%s\" is not a fax number (digits, with "
			       "+ ( ) - / . and spaces)", customer->fax);
	customer->phone = optional_text (run, DS_CUSTOMER_FIELD_PHONE);
	customer->tags = optional_text (run, DS_CUSTOMER_FIELD_TAGS);
	customer->collector = optional_text (run,
					     DS_CUSTOMER_FIELD_COLLECTOR);
	row_add (run, DS_RECORD_CUSTOMERS, g_steal_pointer (&customer));
	return TRUE;
}

static gboolean
read_billing (ImportRun *run, DsBilling *billing, GError **error)
{
	const char *text = field_text (run, DS_INVOICE_FIELD_BILLING);

	*billing = DS_BILLING_UNKNOWN;
	if (text == NULL || *text == '\0')
		return TRUE;
	if (g_ascii_strcasecmp (text, "paper") == 0)
		*billing = DS_BILLING_PAPER;
	else if (g_ascii_strcasecmp (text, "electronic") == 0)
		*billing = DS_BILLING_ELECTRONIC;
	else
		return reject (run, DS_INVOICE_FIELD_BILLING, error,
			       "\"%s\" is not paper or electronic", text);
	return TRUE;
}

static gboolean
convert_invoice (ImportRun *run, GError **error)
{
	g_autoptr (DsInvoice) invoice = g_new0 (DsInvoice, 1);
	const char *customer_currency = NULL;

	if (!required_text (run, DS_INVOICE_FIELD_ID, &invoice->invoice_id,
			    error) ||
	    !required_text (run, DS_INVOICE_FIELD_CUSTOMER,
			    &invoice->customer_id, error) ||
	    !find_customer (run, DS_INVOICE_FIELD_CUSTOMER,
			    invoice->customer_id, &customer_currency,
			    error) ||
	    !read_currency (run, DS_INVOICE_FIELD_CURRENCY,
			    customer_currency, &invoice->currency, error) ||
	    !read_date (run, DS_INVOICE_FIELD_ISSUE_DATE, TRUE,
			&invoice->issue_date, error) ||
	    !read_date (run, DS_INVOICE_FIELD_DUE_DATE, TRUE,
			&invoice->due_date, error) ||
	    !read_money (run, DS_INVOICE_FIELD_AMOUNT, invoice->currency,
			 TRUE, &invoice->amount, error) ||
	    !read_money (run, DS_INVOICE_FIELD_TAX_AMOUNT, invoice->currency,
			 FALSE, &invoice->tax_amount, error) ||
	    !read_billing (run, &invoice->billing, error))
		return FALSE;
	if (invoice->amount == 0)
		return reject (run, DS_INVOICE_FIELD_AMOUNT, error,
			       "an invoice of 0 claims nothing");
	if (invoice->due_date < invoice->issue_date)
		return reject (run, DS_INVOICE_FIELD_DUE_DATE, error,
			       "due before it was issued");
	invoice->reference = optional_text (run, DS_INVOICE_FIELD_REFERENCE);
	run->row_invoice = invoice;
	row_add (run, DS_RECORD_INVOICES, g_steal_pointer (&invoice));
	return TRUE;
}

static gboolean
convert_instalment (ImportRun *run, GError **error)
{
	g_autoptr (DsInstalment) instalment = g_new0 (DsInstalment, 1);
	g_autofree char *customer_id = NULL;
	g_autofree char *currency = NULL;
	gint64 room;

	if (!required_text (run, DS_INSTALMENT_FIELD_INVOICE,
			    &instalment->invoice_id, error) ||
	    !find_invoice (run, DS_INSTALMENT_FIELD_INVOICE,
			   instalment->invoice_id, &customer_id, &currency,
			   error) ||
	    !read_integer (run, DS_INSTALMENT_FIELD_NUMBER,
			   &instalment->number, error) ||
	    !read_date (run, DS_INSTALMENT_FIELD_DUE_DATE, TRUE,
			&instalment->due_date, error) ||
	    !read_money (run, DS_INSTALMENT_FIELD_AMOUNT, currency, TRUE,
			 &instalment->amount, error) ||
	    !ds_ledger_writer_instalment_room (run->writer,
					       instalment->invoice_id,
					       instalment->number, &room,
					       error))
		return FALSE;
	if (instalment->amount > room) {
		g_autofree char *left = ds_money_to_decimal (MAX (room, 0),
							     currency);

		return reject (run, DS_INSTALMENT_FIELD_AMOUNT, error,
			       "the instalments would add up to more than "
			       "the invoice: %s %s left for this one", left,
			       currency);
	}
	row_add (run, DS_RECORD_INSTALMENTS, g_steal_pointer (&instalment));
	return TRUE;
}

static gboolean
convert_payment (ImportRun *run, GError **error)
{
	g_autoptr (DsPayment) payment = g_new0 (DsPayment, 1);
	const char *customer_currency = NULL;

	if (!required_text (run, DS_PAYMENT_FIELD_ID, &payment->payment_id,
			    error) ||
	    !required_text (run, DS_PAYMENT_FIELD_CUSTOMER,
			    &payment->customer_id, error) ||
	    !find_customer (run, DS_PAYMENT_FIELD_CUSTOMER,
			    payment->customer_id, &customer_currency,
			    error) ||
	    !read_currency (run, DS_PAYMENT_FIELD_CURRENCY,
			    customer_currency, &payment->currency, error) ||
	    !read_date (run, DS_PAYMENT_FIELD_DATE, TRUE, &payment->date,
			error) ||
	    !read_money (run, DS_PAYMENT_FIELD_AMOUNT, payment->currency,
			 TRUE, &payment->amount, error) ||
	    !read_invoice_reference (run, DS_PAYMENT_FIELD_INVOICE,
				     payment->customer_id, payment->currency,
				     &payment->invoice_id, error))
		return FALSE;
	row_add (run, DS_RECORD_PAYMENTS, g_steal_pointer (&payment));
	return TRUE;
}

static gboolean
read_credit_note_status (ImportRun *run, DsCreditNoteStatus *status,
			 GError **error)
{
	const char *text = field_text (run, DS_CREDIT_NOTE_FIELD_STATUS);

	*status = DS_CREDIT_NOTE_OPEN;
	if (text == NULL || *text == '\0' ||
	    g_ascii_strcasecmp (text, "open") == 0)
		return TRUE;
	if (g_ascii_strcasecmp (text, "cancelled") == 0) {
		*status = DS_CREDIT_NOTE_CANCELLED;
		return TRUE;
	}
	return reject (run, DS_CREDIT_NOTE_FIELD_STATUS, error,
		       "\"%s\" is not open or cancelled", text);
}

static gboolean
convert_credit_note (ImportRun *run, GError **error)
{
	g_autoptr (DsCreditNote) note = g_new0 (DsCreditNote, 1);
	const char *customer_currency = NULL;

	if (!required_text (run, DS_CREDIT_NOTE_FIELD_ID,
			    &note->credit_note_id, error) ||
	    !required_text (run, DS_CREDIT_NOTE_FIELD_CUSTOMER,
			    &note->customer_id, error) ||
	    !find_customer (run, DS_CREDIT_NOTE_FIELD_CUSTOMER,
			    note->customer_id, &customer_currency, error) ||
	    !read_currency (run, DS_CREDIT_NOTE_FIELD_CURRENCY,
			    customer_currency, &note->currency, error) ||
	    !read_date (run, DS_CREDIT_NOTE_FIELD_DATE, TRUE, &note->date,
			error) ||
	    !read_money (run, DS_CREDIT_NOTE_FIELD_AMOUNT, note->currency,
			 TRUE, &note->amount, error) ||
	    !read_invoice_reference (run, DS_CREDIT_NOTE_FIELD_INVOICE,
				     note->customer_id, note->currency,
				     &note->invoice_id, error) ||
	    !read_credit_note_status (run, &note->status, error))
		return FALSE;
	row_add (run, DS_RECORD_CREDIT_NOTES, g_steal_pointer (&note));
	return TRUE;
}

static gboolean
convert_dispute (ImportRun *run, GError **error)
{
	g_autoptr (DsDispute) dispute = g_new0 (DsDispute, 1);
	g_autofree char *customer_id = NULL;
	g_autofree char *currency = NULL;

	if (!required_text (run, DS_DISPUTE_FIELD_INVOICE,
			    &dispute->invoice_id, error) ||
	    !find_invoice (run, DS_DISPUTE_FIELD_INVOICE,
			   dispute->invoice_id, &customer_id, &currency,
			   error) ||
	    !read_date (run, DS_DISPUTE_FIELD_OPENED, TRUE, &dispute->opened,
			error) ||
	    !read_date (run, DS_DISPUTE_FIELD_RESOLVED, FALSE,
			&dispute->resolved, error))
		return FALSE;
	if (dispute->resolved != DS_DATE_NONE &&
	    dispute->resolved < dispute->opened)
		return reject (run, DS_DISPUTE_FIELD_RESOLVED, error,
			       "resolved before it was opened");
	dispute->reason = optional_text (run, DS_DISPUTE_FIELD_REASON);
	row_add (run, DS_RECORD_DISPUTES, g_steal_pointer (&dispute));
	return TRUE;
}

static gboolean
convert_promise (ImportRun *run, GError **error)
{
	g_autoptr (DsPromise) promise = g_new0 (DsPromise, 1);
	const char *currency = NULL;

	if (!required_text (run, DS_PROMISE_FIELD_ID, &promise->promise_id,
			    error) ||
	    !required_text (run, DS_PROMISE_FIELD_CUSTOMER,
			    &promise->customer_id, error) ||
	    !find_customer (run, DS_PROMISE_FIELD_CUSTOMER,
			    promise->customer_id, &currency, error) ||
	    !read_date (run, DS_PROMISE_FIELD_PROMISED_DATE, TRUE,
			&promise->promised_date, error) ||
	    !read_money (run, DS_PROMISE_FIELD_AMOUNT, currency, TRUE,
			 &promise->amount, error) ||
	    !read_invoice_reference (run, DS_PROMISE_FIELD_INVOICE,
				     promise->customer_id, currency,
				     &promise->invoice_id, error) ||
	    !read_date (run, DS_PROMISE_FIELD_MADE_ON, FALSE,
			&promise->made_on, error))
		return FALSE;
	if (promise->made_on != DS_DATE_NONE &&
	    promise->made_on > promise->promised_date)
		return reject (run, DS_PROMISE_FIELD_MADE_ON, error,
			       "made after the date it promises");
	if (promise->amount == 0)
		return reject (run, DS_PROMISE_FIELD_AMOUNT, error,
			       "a promise of 0 promises nothing");
	row_add (run, DS_RECORD_PROMISES, g_steal_pointer (&promise));
	return TRUE;
}

static const ConvertFunc converters[DS_RECORD_KIND_COUNT] = {
	[DS_RECORD_ENTITIES] = convert_entity,
	[DS_RECORD_CUSTOMERS] = convert_customer,
	[DS_RECORD_INVOICES] = convert_invoice,
	[DS_RECORD_INSTALMENTS] = convert_instalment,
	[DS_RECORD_PAYMENTS] = convert_payment,
	[DS_RECORD_CREDIT_NOTES] = convert_credit_note,
	[DS_RECORD_DISPUTES] = convert_dispute,
	[DS_RECORD_PROMISES] = convert_promise,
};

/* The key of a row's own record, and the field it is read from. */
static char *
record_key (const RowRecord *row_record, guint *field)
{
	char date[DS_DATE_ISO_LEN];

	*field = 0;
	switch (row_record->kind) {
	case DS_RECORD_ENTITIES:
		return g_strdup (((DsEntity *) row_record->record)->entity_id);
	case DS_RECORD_CUSTOMERS:
		return g_strdup (((DsCustomer *)
				  row_record->record)->customer_id);
	case DS_RECORD_INVOICES:
		return g_strdup (((DsInvoice *)
				  row_record->record)->invoice_id);
	case DS_RECORD_INSTALMENTS: {
		const DsInstalment *instalment = row_record->record;

		*field = DS_INSTALMENT_FIELD_NUMBER;
		return g_strdup_printf ("%s #%d", instalment->invoice_id,
					instalment->number);
	}
	case DS_RECORD_PAYMENTS:
		return g_strdup (((DsPayment *)
				  row_record->record)->payment_id);
	case DS_RECORD_CREDIT_NOTES:
		return g_strdup (((DsCreditNote *)
				  row_record->record)->credit_note_id);
	case DS_RECORD_DISPUTES: {
		const DsDispute *dispute = row_record->record;

		*field = DS_DISPUTE_FIELD_OPENED;
		ds_date_format_iso (dispute->opened, date);
		return g_strdup_printf ("%s opened %s", dispute->invoice_id,
					date);
	}
	case DS_RECORD_PROMISES:
		return g_strdup (((DsPromise *)
				  row_record->record)->promise_id);
	case DS_RECORD_KIND_COUNT:
	default:
		g_assert_not_reached ();
	}
}

/*
 * Longest values, in characters: an id is typed from a letter, printed
 * in a table column and part of file names and keys; other text goes
 * on a letter.  Longer is a row error, not a letter that cannot be
 * rendered or a database of megabyte keys.
 */
#define ID_CHARACTERS_MAX 64
#define TEXT_CHARACTERS_MAX 1000

static gboolean
field_is_id (const char *name)
{
	return g_str_has_suffix (name, "_id") || strcmp (name, "entity") == 0;
}

/* Every field of the row's current record within its length. */
static gboolean
check_lengths (ImportRun *run, DsRecordKind kind, GError **error)
{
	guint n_fields;
	const DsFieldSpec *fields = ds_record_kind_fields (kind, &n_fields);

	for (guint field = 0; field < n_fields; field++) {
		const char *text = field_text (run, field);
		glong limit = field_is_id (fields[field].name) ?
			      ID_CHARACTERS_MAX : TEXT_CHARACTERS_MAX;
		glong length;

		if (text == NULL || strlen (text) <= (gsize) limit)
			continue;
		length = g_utf8_strlen (text, -1);
		if (length > limit)
			return reject (run, field, error, "%ld characters; "
				       "at most %ld%s", length, limit,
				       limit == ID_CHARACTERS_MAX ?
				       " in an id" : "");
	}
	return TRUE;
}

static gboolean
run_convert (ImportRun *run, GError **error)
{
	DsMapping *mapping = run->source->mapping;

	for (guint i = 0; i < ds_mapping_n_records (mapping); i++) {
		DsRecordKind kind = ds_mapping_kind (mapping, i);

		if (!ds_mapping_applies (mapping, i, run->row))
			continue;
		run->record = i;
		if (!check_lengths (run, kind, error) ||
		    !converters[kind] (run, error))
			return FALSE;
	}
	return TRUE;
}

/* A row's own record may appear once per file. */
static gboolean
run_check_key (ImportRun *run, guint line, GError **error)
{
	const RowRecord *own;
	g_autofree char *key = NULL;
	gpointer earlier;
	guint field;

	if (run->records->len == 0)
		return TRUE;
	own = run->records->pdata[0];
	if (own->kind != run->source->kind)
		return TRUE;
	key = record_key (own, &field);
	earlier = g_hash_table_lookup (run->keys, key);
	if (earlier != NULL) {
		run->record = 0;
		return reject (run, field, error,
			       "duplicate key \"%s\": also on line %u", key,
			       GPOINTER_TO_UINT (earlier));
	}
	g_hash_table_insert (run->keys, g_steal_pointer (&key),
			     GUINT_TO_POINTER (line));
	return TRUE;
}

static gboolean
write_record (DsLedgerWriter *writer, const RowRecord *row_record,
	      DsLedgerOutcome *outcome, GError **error)
{
	gconstpointer record = row_record->record;

	switch (row_record->kind) {
	case DS_RECORD_ENTITIES:
		return ds_ledger_writer_put_entity (writer, record, outcome,
						    error);
	case DS_RECORD_CUSTOMERS:
		return ds_ledger_writer_put_customer (writer, record, outcome,
						      error);
	case DS_RECORD_INVOICES:
		return ds_ledger_writer_put_invoice (writer, record, outcome,
						     error);
	case DS_RECORD_INSTALMENTS:
		return ds_ledger_writer_put_instalment (writer, record,
							outcome, error);
	case DS_RECORD_PAYMENTS:
		return ds_ledger_writer_put_payment (writer, record, outcome,
						     error);
	case DS_RECORD_CREDIT_NOTES:
		return ds_ledger_writer_put_credit_note (writer, record,
							 outcome, error);
	case DS_RECORD_DISPUTES:
		return ds_ledger_writer_put_dispute (writer, record, outcome,
						     error);
	case DS_RECORD_PROMISES:
		return ds_ledger_writer_put_promise (writer, record, outcome,
						     error);
	case DS_RECORD_KIND_COUNT:
	default:
		g_assert_not_reached ();
	}
}

/* Write the row's records: new if any is new, else updated if any is. */
static gboolean
run_write (ImportRun *run, GError **error)
{
	DsLedgerOutcome row_outcome = DS_LEDGER_UNCHANGED;

	for (guint i = 0; i < run->records->len; i++) {
		DsLedgerOutcome outcome;

		if (!write_record (run->writer, run->records->pdata[i],
				   &outcome, error))
			return FALSE;
		if (outcome == DS_LEDGER_INSERTED ||
		    (outcome == DS_LEDGER_UPDATED &&
		     row_outcome == DS_LEDGER_UNCHANGED))
			row_outcome = outcome;
	}
	if (row_outcome == DS_LEDGER_INSERTED)
		run->report->accepted++;
	else if (row_outcome == DS_LEDGER_UPDATED)
		run->report->updated++;
	else
		run->report->unchanged++;
	return TRUE;
}

static void
run_reject (ImportRun *run, guint line, const char *field,
	    const char *reason)
{
	DsImportError *row_error = g_new0 (DsImportError, 1);

	row_error->line = line;
	row_error->field = ds_error_escape_controls (field);
	row_error->reason = ds_error_escape_controls (reason);
	g_ptr_array_add (run->report->errors, row_error);
	run->report->rejected++;
}

/*
 * A column without a name (say after a trailing delimiter) is read by
 * nothing; one that holds data is noted once, with the first line.
 */
static void
note_unnamed_data (ImportRun *run, guint line, char **fields)
{
	char **header = run->source->header;

	for (guint i = 0; i < run->source->n_columns && i < 64; i++) {
		if (*header[i] != '\0' || *fields[i] == '\0' ||
		    (run->unnamed_seen & (G_GUINT64_CONSTANT (1) << i)))
			continue;
		run->unnamed_seen |= G_GUINT64_CONSTANT (1) << i;
		g_ptr_array_add (run->unnamed, g_strdup_printf (
			"column %u (no name; data on line %u)", i + 1, line));
	}
}

static gboolean
run_row (guint line, char **fields, guint n_fields, gpointer data,
	 GError **error)
{
	ImportRun *run = data;
	g_autoptr (GError) problem = NULL;

	fields_make_lf (fields, n_fields);
	if (!run->header_done) {
		run->header_done = TRUE;
		return TRUE;
	}
	if (n_fields != run->source->n_columns) {
		g_autofree char *reason = g_strdup_printf (
			"%u fields where the header has %u", n_fields,
			run->source->n_columns);

		run_reject (run, line, NULL, reason);
		return TRUE;
	}
	note_unnamed_data (run, line, fields);
	run->row = fields;
	run->problem_field = NULL;
	run->row_invoice = NULL;
	g_ptr_array_set_size (run->records, 0);
	if (run_convert (run, &problem) && run_check_key (run, line, &problem))
		return run_write (run, error);
	if (!g_error_matches (problem, DS_ERROR, DS_ERROR_INPUT)) {
		g_propagate_error (error, g_steal_pointer (&problem));
		return FALSE;
	}
	run_reject (run, line, run->problem_field, problem->message);
	return TRUE;
}

/* The imports record, its row errors and the journal record. */
static gboolean
run_record (ImportRun *run, GError **error)
{
	DsImportReport *report = run->report;
	DsLedgerImport import = {
		.file_sha256 = report->sha256,
		.file_name = run->source->name,
		.kind = report->kind,
		.profile = report->profile,
		.imported_at = report->imported_at,
		.accepted = report->accepted,
		.updated = report->updated,
		.unchanged = report->unchanged,
		.rejected = report->rejected,
	};
	g_autofree char *evidence = g_strdup_printf (
		"file=%s kind=%s profile=%s accepted=%" G_GINT64_FORMAT
		" updated=%" G_GINT64_FORMAT " unchanged=%" G_GINT64_FORMAT
		" rejected=%" G_GINT64_FORMAT, run->source->name,
		report->kind, report->profile ? report->profile : "native",
		report->accepted, report->updated, report->unchanged,
		report->rejected);
	DsJournalEntry entry = {
		.object_kind = "import",
		.object_id = report->sha256,
		.event = "imported",
		.new_state = "imported",
		.evidence = evidence,
	};

	if (!ds_ledger_put_import (run->store, &import, error))
		return FALSE;
	for (guint i = 0; i < report->errors->len; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		if (!ds_ledger_writer_put_import_error (
			    run->writer, report->sha256, row_error->line,
			    row_error->field, row_error->reason, error))
			return FALSE;
	}
	return ds_journal_append (run->store, &entry, error);
}

static void
run_clear (ImportRun *run)
{
	g_clear_pointer (&run->writer, ds_ledger_writer_free);
	g_clear_pointer (&run->keys, g_hash_table_unref);
	g_clear_pointer (&run->currencies, g_hash_table_unref);
	g_clear_pointer (&run->records, g_ptr_array_unref);
	g_clear_pointer (&run->unnamed, g_ptr_array_unref);
}

static gboolean
run_rows (ImportRun *run, GError **error)
{
	ImportSource *source = run->source;
	const DsProfile *profile = source->profile;

	run->writer = ds_ledger_writer_new (run->store);
	run->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					   NULL);
	run->currencies = g_hash_table_new_full (g_str_hash, g_str_equal,
						 g_free, g_free);
	run->records = g_ptr_array_new_with_free_func (row_record_free);
	run->date_format = profile ? profile->date_format : "YYYY-MM-DD";
	run->date_format_declared = profile && profile->date_format_declared;
	run->number_format = profile ? profile->number_format :
			     ds_number_format_plain;
	return ds_csv_read (source->data, source->length, source->delimiter,
			 run_row, run, error) &&
	       run_record (run, error);
}

/*
 * An earlier import of the same bytes, through the same profile, that
 * took every row.  The same bytes read through another profile are read
 * again: that is how an import under the wrong profile is corrected.
 */
static gboolean
source_done_before (DsStore *store, ImportSource *source,
		    DsImportReport *report, gboolean *done, GError **error)
{
	g_autoptr (GError) lookup_error = NULL;
	g_autoptr (DsLedgerImport) earlier = ds_ledger_get_import (
		store, source->sha256, &lookup_error);

	*done = FALSE;
	if (earlier == NULL) {
		if (g_error_matches (lookup_error, DS_ERROR,
				     DS_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error (error, g_steal_pointer (&lookup_error));
		return FALSE;
	}
	if (earlier->rejected > 0 ||
	    g_strcmp0 (earlier->profile, report->profile) != 0)
		return TRUE;
	*done = TRUE;
	report->already_imported = TRUE;
	report->imported_at = g_strdup (earlier->imported_at);
	return TRUE;
}

static void
log_columns_warning (const DsImportReport *report, const char *name)
{
	g_autofree char *warning = report_columns_warning (report);

	if (warning != NULL)
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_IMPORT, NULL,
			      "%s: warning: line=%d: %s", name,
			      report->header_line, warning);
}

static gboolean
source_import (DsStore *store, ImportSource *source, DsImportReport *report,
	       GError **error)
{
	ImportRun run = { store, source, report };
	gboolean done;
	gboolean ok;

	report_describe_source (report, source);
	if (!source_done_before (store, source, report, &done, error))
		return FALSE;
	if (done) {
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_IMPORT, NULL,
			      "%s: already imported: sha256=%.12s at=%s",
			      source->name, source->sha256,
			      report->imported_at);
		return TRUE;
	}
	report->imported_at = ds_time_now_utc_iso ();
	if (!ds_store_begin (store, error))
		return FALSE;
	run.unnamed = g_ptr_array_new_with_free_func (g_free);
	ok = run_rows (&run, error);
	report_note_columns (report, source, run.unnamed);
	run_clear (&run);
	if (!ok || !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_IMPORT, NULL,
		      "%s: imported: sha256=%.12s kind=%s profile=%s "
		      "accepted=%" G_GINT64_FORMAT " updated=%"
		      G_GINT64_FORMAT " unchanged=%" G_GINT64_FORMAT
		      " rejected=%" G_GINT64_FORMAT, source->name,
		      source->sha256, report->kind,
		      report->profile ? report->profile : "native",
		      report->accepted, report->updated, report->unchanged,
		      report->rejected);
	log_columns_warning (report, source->name);
	return TRUE;
}

static void
log_refusal (const DsImportReport *report)
{
	g_autofree char *name = g_path_get_basename (report->path);

	ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_INPUT_REFUSED, NULL,
		      "%s: refused: %s", name, report->refusal);
}

gboolean
ds_import_file (DsStore *store, const char *path, const char *profile_dir,
		const char *profile_name, DsImportReport **report_out,
		GError **error)
{
	g_autoptr (DsImportReport) report = ds_import_report_new (path);
	g_autoptr (ImportSource) source = NULL;
	GError *failure = NULL;
	gboolean ok;

	source = source_open (path, profile_dir, profile_name, &failure);
	ok = source != NULL && source_import (store, source, report,
					      &failure);
	if (!ok) {
		report_refuse (report, failure);
		log_refusal (report);
		g_propagate_error (error, failure);
	}
	if (report_out != NULL)
		*report_out = g_steal_pointer (&report);
	return ok;
}

/* Several files, in the order their kinds depend on each other. */

typedef struct {
	ImportSource *source;	/* NULL: refused when opened */
	DsImportReport *report;
	guint order;
} ImportJob;

static int
compare_jobs (gconstpointer a, gconstpointer b)
{
	const ImportJob *first = a;
	const ImportJob *second = b;
	int first_rank = first->source ? (int) first->source->kind : -1;
	int second_rank = second->source ? (int) second->source->kind : -1;

	if (first_rank != second_rank)
		return first_rank - second_rank;
	return (int) first->order - (int) second->order;
}

static void
import_job_clear (gpointer data)
{
	ImportJob *job = data;

	import_source_free (job->source);
	ds_import_report_free (job->report);
}

static gboolean
job_is_temporary (const GError *failure)
{
	return failure->domain == DS_ERROR &&
	       (failure->code == DS_ERROR_TEMPORARY ||
		failure->code == DS_ERROR_PERMANENT);
}

gboolean
ds_import_files (DsStore *store, const char *const *paths,
		 const char *profile_dir, const char *profile_name,
		 GPtrArray **reports_out, GError **error)
{
	g_autoptr (GArray) jobs = g_array_new (FALSE, TRUE,
					       sizeof (ImportJob));
	g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_import_report_free);
	gboolean ok = TRUE;

	g_array_set_clear_func (jobs, import_job_clear);
	for (guint i = 0; paths[i] != NULL; i++) {
		ImportJob job = { NULL, ds_import_report_new (paths[i]), i };
		g_autoptr (GError) failure = NULL;

		job.source = source_open (paths[i], profile_dir, profile_name,
					  &failure);
		if (job.source == NULL) {
			report_refuse (job.report, failure);
			log_refusal (job.report);
		}
		g_array_append_val (jobs, job);
	}
	g_array_sort (jobs, compare_jobs);

	for (guint i = 0; i < jobs->len && ok; i++) {
		ImportJob *job = &g_array_index (jobs, ImportJob, i);
		GError *failure = NULL;

		if (job->source != NULL &&
		    !source_import (store, job->source, job->report,
				    &failure)) {
			report_refuse (job->report, failure);
			log_refusal (job->report);
			if (job_is_temporary (failure)) {
				g_propagate_error (error, failure);
				ok = FALSE;
			} else {
				g_error_free (failure);
			}
		}
		g_ptr_array_add (reports, g_steal_pointer (&job->report));
	}
	if (reports_out != NULL)
		*reports_out = g_steal_pointer (&reports);
	return ok;
}

/* Telling people and programs what happened. */

char *
ds_import_report_format (const DsImportReport *report, guint max_errors)
{
	GString *text = g_string_new (report->path);
	g_autofree char *warning = NULL;
	guint shown;

	if (report->refused) {
		g_string_append_printf (text, ": refused: %s\n",
					report->refusal);
		return g_string_free (text, FALSE);
	}
	g_string_append_printf (text, ": %s", report->kind);
	if (report->profile != NULL)
		g_string_append_printf (text, " (profile %s)",
					report->profile);
	if (report->already_imported) {
		g_string_append_printf (text, ": already imported at %s: "
					"nothing changed\n",
					report->imported_at);
		return g_string_free (text, FALSE);
	}
	g_string_append_printf (text, ": %" G_GINT64_FORMAT " rows: %"
				G_GINT64_FORMAT " accepted, %" G_GINT64_FORMAT
				" updated, %" G_GINT64_FORMAT " unchanged, %"
				G_GINT64_FORMAT " rejected\n",
				report->accepted + report->updated +
				report->unchanged + report->rejected,
				report->accepted, report->updated,
				report->unchanged, report->rejected);
	warning = report_columns_warning (report);
	if (warning != NULL)
		g_string_append_printf (text, "  line %d: warning: %s\n",
					report->header_line, warning);
	shown = max_errors == 0 ? report->errors->len :
		max_errors == DS_IMPORT_ROWS_NONE ? 0 :
		MIN (max_errors, report->errors->len);
	for (guint i = 0; i < shown; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		g_string_append_printf (text, "  line %d: %s%s%s\n",
					row_error->line,
					row_error->field ? row_error->field :
					"", row_error->field ? ": " : "",
					row_error->reason);
	}
	if (shown == 0 && report->errors->len > 0 &&
	    report->rejected_path != NULL)
		g_string_append_printf (text, "  all %u rejected rows in %s\n",
					report->errors->len,
					report->rejected_path);
	else if (shown < report->errors->len && report->rejected_path != NULL)
		g_string_append_printf (text, "  and %u more rejected rows: "
					"all %u in %s\n",
					report->errors->len - shown,
					report->errors->len,
					report->rejected_path);
	else if (shown < report->errors->len)
		g_string_append_printf (text, "  and %u more rejected rows: "
					"dunspool import --errors %.12s "
					"lists them all\n",
					report->errors->len - shown,
					report->sha256);
	return g_string_free (text, FALSE);
}

char *
ds_import_report_rejected_rows (const DsImportReport *report)
{
	GString *text;

	if (report->errors->len == 0)
		return NULL;
	text = g_string_new ("line\tfield\treason\n");
	for (guint i = 0; i < report->errors->len; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		/* escaped when the row was rejected (run_reject) */
		g_string_append_printf (text, "%d\t%s\t%s\n",
					row_error->line,
					row_error->field ? row_error->field
							 : "",
					row_error->reason);
	}
	return g_string_free (text, FALSE);
}

/* Looking up an earlier import. */

/* Hex digits only, at least 8 and at most 64 of them. */
static gboolean
looks_like_sha256 (const char *text)
{
	gsize length = strlen (text);

	if (length < 8 || length > 64)
		return FALSE;
	for (gsize i = 0; i < length; i++)
		if (!g_ascii_isxdigit (text[i]))
			return FALSE;
	return TRUE;
}

/* The import FILE_OR_SHA256 names, as ds_import_report_load says. */
static DsLedgerImport *
find_import (DsStore *store, const char *file_or_sha256, GError **error)
{
	g_autofree char *sha256 = NULL;
	g_autoptr (GError) find_error = NULL;
	DsLedgerImport *import;

	if (g_file_test (file_or_sha256, G_FILE_TEST_EXISTS)) {
		sha256 = ds_spool_file_sha256 (file_or_sha256, &find_error);
		if (sha256 == NULL) {
			g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "%s",
				     find_error->message);
			return NULL;
		}
		import = ds_ledger_get_import (store, sha256, &find_error);
	} else if (looks_like_sha256 (file_or_sha256)) {
		sha256 = g_ascii_strdown (file_or_sha256, -1);
		import = ds_ledger_find_import (store, sha256, &find_error);
	} else {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "%s: no such file, nor the SHA-256 of one (at "
			     "least 8 hex digits)", file_or_sha256);
		return NULL;
	}
	if (import != NULL)
		return import;
	if (g_error_matches (find_error, DS_ERROR, DS_ERROR_NOT_FOUND))
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: never imported (sha256 %s)",
			     file_or_sha256, sha256);
	else
		g_propagate_error (error, g_steal_pointer (&find_error));
	return NULL;
}

DsImportReport *
ds_import_report_load (DsStore *store, const char *file_or_sha256,
		       GError **error)
{
	g_autoptr (DsLedgerImport) import = find_import (store,
							 file_or_sha256,
							 error);
	g_autoptr (GPtrArray) errors = NULL;
	g_autoptr (DsImportReport) report = NULL;

	if (import == NULL)
		return NULL;
	errors = ds_ledger_import_errors (store, import->file_sha256, error);
	if (errors == NULL)
		return NULL;
	report = ds_import_report_new (
		g_file_test (file_or_sha256, G_FILE_TEST_EXISTS) ?
		file_or_sha256 : import->file_name);
	report->kind = g_strdup (import->kind);
	report->profile = g_strdup (import->profile);
	report->sha256 = g_strdup (import->file_sha256);
	report->imported_at = g_strdup (import->imported_at);
	report->accepted = import->accepted;
	report->updated = import->updated;
	report->unchanged = import->unchanged;
	report->rejected = import->rejected;
	for (guint i = 0; i < errors->len; i++) {
		const DsLedgerImportError *stored = errors->pdata[i];
		DsImportError *row_error = g_new0 (DsImportError, 1);

		row_error->line = stored->line;
		row_error->field = ds_error_escape_controls (stored->field);
		row_error->reason = ds_error_escape_controls (stored->reason);
		g_ptr_array_add (report->errors, row_error);
	}
	return g_steal_pointer (&report);
}

void
ds_import_report_print (const DsImportReport *report, FILE *out,
			guint max_errors)
{
	g_autofree char *text = ds_import_report_format (report, max_errors);

	fputs (text, out);
}

static void
json_add_string (JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name (builder, name);
	if (value != NULL)
		json_builder_add_string_value (builder, value);
	else
		json_builder_add_null_value (builder);
}

static void
json_add_int (JsonBuilder *builder, const char *name, gint64 value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_int_value (builder, value);
}

/* "unknown_columns": the names; "warnings": what the text report says
 * of them, as {line, field, reason} like the row errors. */
static void
json_add_warnings (const DsImportReport *report, JsonBuilder *builder)
{
	g_autofree char *warning = report_columns_warning (report);

	json_builder_set_member_name (builder, "unknown_columns");
	json_builder_begin_array (builder);
	for (guint i = 0; report->unknown_columns != NULL &&
	     report->unknown_columns[i] != NULL; i++)
		json_builder_add_string_value (builder,
					       report->unknown_columns[i]);
	json_builder_end_array (builder);
	json_builder_set_member_name (builder, "warnings");
	json_builder_begin_array (builder);
	if (warning != NULL) {
		json_builder_begin_object (builder);
		json_add_int (builder, "line", report->header_line);
		json_add_string (builder, "field", NULL);
		json_add_string (builder, "reason", warning);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

void
ds_import_report_add_json (const DsImportReport *report,
			   JsonBuilder *builder)
{
	json_builder_begin_object (builder);
	json_add_string (builder, "path", report->path);
	json_add_string (builder, "kind", report->kind);
	json_add_string (builder, "profile", report->profile);
	json_add_string (builder, "sha256", report->sha256);
	json_add_string (builder, "imported_at", report->imported_at);
	json_builder_set_member_name (builder, "already_imported");
	json_builder_add_boolean_value (builder, report->already_imported);
	json_builder_set_member_name (builder, "refused");
	json_builder_add_boolean_value (builder, report->refused);
	if (report->refused) {
		json_add_int (builder, "refusal_line", report->refusal_line);
		json_add_string (builder, "refusal", report->refusal);
	}
	json_add_int (builder, "accepted", report->accepted);
	json_add_int (builder, "updated", report->updated);
	json_add_int (builder, "unchanged", report->unchanged);
	json_add_int (builder, "rejected", report->rejected);
	json_add_warnings (report, builder);
	json_builder_set_member_name (builder, "errors");
	json_builder_begin_array (builder);
	for (guint i = 0; i < report->errors->len; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		json_builder_begin_object (builder);
		json_add_int (builder, "line", row_error->line);
		json_add_string (builder, "field", row_error->field);
		json_add_string (builder, "reason", row_error->reason);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
}
