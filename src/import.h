/*
 * import.h -- read ledger files into the ledger.
 *
 * A ledger file is CSV (RFC 4180): UTF-8 with or without a byte-order
 * mark, comma or semicolon (read from the header line unless the profile
 * says), quoted fields that may hold delimiters, quotes and line breaks.
 * Its kind comes from its header, never from its name: the columns of a
 * native record kind, or the signature of a mapping profile (profile.h).
 *
 * Promises:
 *  - Every row is accounted for: accepted (new), updated, unchanged, or
 *    rejected with its line (the physical line the row starts on), the
 *    field and the reason.  An unknown customer, invoice or entity, a
 *    key given twice in one file, a date that does not match the
 *    declared format (an ambiguous one like 03/04/2024 when none is
 *    declared), an amount that does not parse, a currency other than the
 *    customer's: each rejects its row, never a default.
 *  - Every column is accounted for: a header column that neither the
 *    native kind nor the profile knows is named in a warning (report and
 *    log); the file is read all the same.
 *  - One file is one transaction: its rows, its record in the imports
 *    table with the row errors, and one journal record ("import", the
 *    file's SHA-256, "imported") commit together or not at all.
 *  - Importing the same bytes again changes nothing and says so.  A file
 *    whose earlier import rejected rows is read again in full, so that
 *    rows rejected for a customer imported since are taken then.
 *  - A file that is not a regular file, is empty, is not UTF-8 text
 *    (binary), has malformed quoting or no known header is refused as a
 *    whole, with the line where that was found: nothing of it is written.
 *
 * Never: guesses a date order or a decimal separator, replaces a
 * missing date by today, deletes a ledger record.
 */
#ifndef DS_IMPORT_H
#define DS_IMPORT_H

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "ds-error.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
	int line;
	char *field;		/* the column; NULL: about the whole row */
	char *reason;
} DsImportError;

typedef struct {
	char *path;
	char *kind;		/* the rows' kind; NULL: refused before */
	char *profile;		/* NULL: the native format */
	char *sha256;
	char *imported_at;	/* this import, or the earlier one */
	gboolean already_imported;	/* the same bytes: nothing done */
	gboolean refused;	/* nothing of the file was written */
	DsErrorCode refusal_code;	/* INPUT: the file is bad; CONFIG:
					   the profile; TEMPORARY, PERMANENT:
					   the database */
	int refusal_line;	/* 0: not about one line */
	char *refusal;		/* why, when refused */
	gint64 accepted;
	gint64 updated;
	gint64 unchanged;
	gint64 rejected;
	GPtrArray *errors;	/* DsImportError, by line */
	int header_line;
	char **unknown_columns;	/* header columns not read: a warning;
				   NULL or empty: none */
	char *rejected_path;	/* where every row error was written (the
				   spool's NAME.rejected); NULL: nowhere */
} DsImportReport;

/* An empty report, for callers that refuse a file before importing. */
DsImportReport *ds_import_report_new (const char *path);
void ds_import_report_free (DsImportReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsImportReport, ds_import_report_free)

/*
 * Import one file.  PROFILE_NAME NULL: a profile in PROFILE_DIR whose
 * signature the header holds, else the native format.  TRUE when the file
 * was read (some rows may be rejected: see the report) or had been
 * already; FALSE when it was refused (DS_ERROR_INPUT, or DS_ERROR_CONFIG
 * for a broken profile) or the database failed (DS_ERROR_TEMPORARY or
 * PERMANENT: try again later).  *report is set in every case.
 */
gboolean ds_import_file (DsStore *store, const char *path,
			 const char *profile_dir, const char *profile_name,
			 DsImportReport **report, GError **error);

/*
 * Import several files (NULL-terminated), in the order their kinds
 * depend on each other: entities, customers, invoices, ..., promises,
 * then as given.  A refused file does not stop the others.  FALSE only
 * when the database failed, which stops at that file.  *reports holds
 * one DsImportReport per file handled, in the order handled.
 */
gboolean ds_import_files (DsStore *store, const char *const *paths,
			  const char *profile_dir, const char *profile_name,
			  GPtrArray **reports, GError **error);

/*
 * "invoices.csv: invoices: 10 rows: 9 accepted, ..., 1 rejected", a
 * line naming the unknown columns if any, and a line per row error, at
 * most MAX_ERRORS of them (0: all; DS_IMPORT_ROWS_NONE: none).  When
 * that leaves some out, a last line says how many and where all of
 * them are: the report's rejected_path, else `dunspool import --errors
 * SHA256` (the first 12 hex digits), which lists them from the
 * database.
 */
#define DS_IMPORT_ROWS_NONE G_MAXUINT
char *ds_import_report_format (const DsImportReport *report,
			       guint max_errors);
void ds_import_report_print (const DsImportReport *report, FILE *out,
			     guint max_errors);

/*
 * Every row error of the report, for the spool's NAME.rejected:
 * tab-separated UTF-8 text, a first row naming the columns "line",
 * "field" and "reason", then one row per rejected row in line order,
 * the field empty when the reason is about the whole row.  Control
 * characters in a field or reason are escaped (ds-error.h), so each
 * row is one line.  NULL when no row was rejected.
 */
char *ds_import_report_rejected_rows (const DsImportReport *report);

/*
 * The report of an earlier import, from the database, with every row
 * error it kept: FILE_OR_SHA256 is a file (its bytes are hashed, as an
 * import does) or the SHA-256 of one, or at least its first 8 hex
 * digits.  DS_ERROR_NOT_FOUND when no import of it is known;
 * DS_ERROR_INPUT when neither a file nor hex digits, or when the digits
 * start more than one file's SHA-256.
 */
DsImportReport *ds_import_report_load (DsStore *store,
				       const char *file_or_sha256,
				       GError **error);

/* Add the report as one JSON object at the builder's position. */
void ds_import_report_add_json (const DsImportReport *report,
				JsonBuilder *builder);

G_END_DECLS

#endif
