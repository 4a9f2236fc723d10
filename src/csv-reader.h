/*
 * csv-reader.h -- CSV rows (libcsv) with the physical line each starts
 * on, for ledger files and status files alike.
 *
 * libcsv does not count lines, so the reader feeds it one physical line
 * at a time (a line ends at LF, CR LF or a lone CR): a row starts on the
 * first non-blank line fed after the previous row ended, and a quoted
 * line break inside a row simply feeds more lines to the same row.
 *
 * Values are trimmed of surrounding spaces; a line break inside one is
 * kept as written (CR LF, LF or CR).  Rows whose fields are all empty (the ";;;;" lines spreadsheets leave)
 * are blank lines, not rows.
 */
#ifndef DS_CSV_READER_H
#define DS_CSV_READER_H

#include <glib.h>

G_BEGIN_DECLS

/*
 * One row: LINE is the physical line it starts on, FIELDS its values
 * (owned by the reader, valid during the call).  FALSE stops the
 * reading: with ERROR set a failure, without it a stop (a caller that
 * wanted the header only).
 */
typedef gboolean (*DsCsvRowFunc) (guint line, char **fields,
				  guint n_fields, gpointer user_data,
				  GError **error);

/*
 * The delimiter of DATA's first non-blank line: the commoner of ',' and
 * ';' outside quotes, a comma when neither occurs.
 */
char ds_csv_detect_delimiter (const char *data, gsize length);

/*
 * Call FUNC for every row of DATA, fields separated by DELIMITER.
 * Malformed quoting is DS_ERROR_INPUT naming the line ("line 7:
 * malformed quoting", "line 3: a quoted field is not closed"), as is
 * what FUNC fails with.
 */
gboolean ds_csv_read (const char *data, gsize length, char delimiter,
		      DsCsvRowFunc func, gpointer user_data, GError **error);

G_END_DECLS

#endif
