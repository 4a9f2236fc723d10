/*
 * rates.h -- reference interest rate tables with effective dates.
 *
 * Statutory late-payment interest follows published reference rates: the
 * ECB main refinancing rate, the German base rate, the Bank of England's
 * Bank Rate.  These are data, not code: each is a CSV file in a rates
 * directory (data/rates in the source tree, DS_DATADIR/rates installed),
 * named after the table ("ecb-mro.csv" holds the table "ecb-mro").
 *
 * File format: lines starting with '#' are comments, except one that
 * reads "# checked-through: YYYY-MM-DD", the last day the operator knows
 * the table to be complete; then the header "effective_from,rate_percent"
 * and one row per rate, "2023-07-01,3.12", dates strictly increasing.
 * A rate holds from its date until the next row's date.  Rates are held
 * as integer basis points (3.12% is 312), never as floating point, and
 * may be negative.
 *
 * Loading is strict: a malformed line, a rate with more than two
 * decimals or dates out of order fail the load with DS_ERROR_CONFIG
 * naming the file and line.  Asking for a rate before a table's first
 * row is an error too; asking after "checked-through" is not (the last
 * rate holds), but callers can tell and say so.
 */
#ifndef DS_RATES_H
#define DS_RATES_H

#include <glib.h>

#include "date.h"

G_BEGIN_DECLS

/* Tables dunspool knows by name. */
#define DS_RATE_TABLE_ECB "ecb-mro"
#define DS_RATE_TABLE_DE_BASE "de-base-rate"
#define DS_RATE_TABLE_BOE "boe-bank-rate"

typedef struct _DsRateTable DsRateTable;
typedef struct _DsRateTables DsRateTables;

/* One table from CSV text; `name` is used in messages and lookups. */
DsRateTable *ds_rate_table_parse (const char *name, const char *text,
				  GError **error);
DsRateTable *ds_rate_table_load (const char *path, GError **error);
void ds_rate_table_free (DsRateTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRateTable, ds_rate_table_free)

const char *ds_rate_table_name (const DsRateTable *table);

/* The rate in force on `date`; DS_ERROR_CONFIG before the first row. */
gboolean ds_rate_table_at (const DsRateTable *table, DsDate date,
			   int *rate_bp, GError **error);

/* The first effective date after `date`, or DS_DATE_NONE. */
DsDate ds_rate_table_next_change (const DsRateTable *table, DsDate date);

/* The "checked-through" date, or DS_DATE_NONE when the file has none. */
DsDate ds_rate_table_checked_through (const DsRateTable *table);

/* Every *.csv of a directory, each under its file's base name. */
DsRateTables *ds_rate_tables_load (const char *dir, GError **error);
DsRateTables *ds_rate_tables_new (void);
/* Takes ownership; replaces a table of the same name. */
void ds_rate_tables_add (DsRateTables *tables, DsRateTable *table);
void ds_rate_tables_free (DsRateTables *tables);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsRateTables, ds_rate_tables_free)

/* The named table, or NULL with DS_ERROR_CONFIG when it was not loaded. */
const DsRateTable *ds_rate_tables_get (const DsRateTables *tables,
				       const char *name, GError **error);

/*
 * Where the bundled tables are: DS_DATADIR/rates when installed, else
 * the source tree's data/rates (running from a build directory).
 */
char *ds_rate_tables_default_dir (void);

/*
 * The tables of the default directory, read once per process and kept
 * for it (threads may share them); NULL with `error` when they cannot
 * be read, and read again on the next call.
 */
const DsRateTables *ds_rate_tables_default (GError **error);

/* "12.62%", "-0.88%", "5.00%": basis points as a percentage. */
char *ds_rate_format (int rate_bp);

G_END_DECLS

#endif
