/*
 * rates.c -- reference rate tables from CSV files.  See rates.h.
 *
 * A table is a sorted array of (effective date, basis points).  Lookups
 * are binary searches; tables are small (tens of rows) and loaded once
 * per process, so nothing here is cached beyond the parsed array.
 */
#include "rates.h"

#include <string.h>

#include "ds-error.h"

#define RATE_HEADER "effective_from,rate_percent"
#define CHECKED_THROUGH "# checked-through:"

typedef struct {
	DsDate effective;
	int rate_bp;
} RateRow;

struct _DsRateTable {
	char *name;
	GArray *rows;			/* of RateRow, dates increasing */
	DsDate checked_through;
};

struct _DsRateTables {
	GHashTable *by_name;		/* name -> DsRateTable */
};

static gboolean
line_fail (GError **error, const char *name, int line, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
		     "rate table %s, line %d: %s", name, line, why);
	return FALSE;
}

/*
 * "3.12", "-0.88", "5", "0.5" to basis points.  At most two decimals:
 * a published rate never has more, and a third would be a typing error
 * that must not be rounded away silently.
 */
static gboolean
parse_percent (const char *text, int *rate_bp)
{
	const char *p = text;
	gboolean negative = FALSE;
	int whole = 0, fraction = 0, decimals = 0, digits = 0;

	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	for (; g_ascii_isdigit (*p) && digits < 4; p++, digits++)
		whole = whole * 10 + (*p - '0');
	if (digits == 0 || g_ascii_isdigit (*p))
		return FALSE;
	if (*p == '.') {
		for (p++; g_ascii_isdigit (*p) && decimals < 2; p++) {
			fraction = fraction * 10 + (*p - '0');
			decimals++;
		}
		if (decimals == 0)
			return FALSE;
		if (decimals == 1)
			fraction *= 10;
	}
	if (*p != '\0')
		return FALSE;
	*rate_bp = (negative ? -1 : 1) * (whole * 100 + fraction);
	return TRUE;
}

static gboolean
parse_row (DsRateTable *table, const char *line, int number,
	   GError **error)
{
	g_auto (GStrv) fields = g_strsplit (line, ",", -1);
	RateRow row;

	if (g_strv_length (fields) != 2)
		return line_fail (error, table->name, number,
				  "expected \"date,rate_percent\"");
	g_strstrip (fields[0]);
	g_strstrip (fields[1]);
	if (!ds_date_parse_iso (fields[0], &row.effective, NULL))
		return line_fail (error, table->name, number,
				  "the date is not YYYY-MM-DD");
	if (!parse_percent (fields[1], &row.rate_bp))
		return line_fail (error, table->name, number,
				  "the rate is not a percentage with at "
				  "most two decimals");
	if (table->rows->len > 0 &&
	    g_array_index (table->rows, RateRow,
			   table->rows->len - 1).effective >= row.effective)
		return line_fail (error, table->name, number,
				  "dates must increase");
	g_array_append_val (table->rows, row);
	return TRUE;
}

static gboolean
parse_comment (DsRateTable *table, const char *line, int number,
	       GError **error)
{
	g_autofree char *date = NULL;

	if (!g_str_has_prefix (line, CHECKED_THROUGH))
		return TRUE;
	date = g_strstrip (g_strdup (line + strlen (CHECKED_THROUGH)));
	if (!ds_date_parse_iso (date, &table->checked_through, NULL))
		return line_fail (error, table->name, number,
				  "checked-through is not YYYY-MM-DD");
	return TRUE;
}

DsRateTable *
ds_rate_table_parse (const char *name, const char *text, GError **error)
{
	g_autoptr (DsRateTable) table = g_new0 (DsRateTable, 1);
	g_auto (GStrv) lines = NULL;
	gboolean header_seen = FALSE;

	if (g_str_has_prefix (text, "\xef\xbb\xbf"))	/* a UTF-8 BOM */
		text += 3;
	lines = g_strsplit (text, "\n", -1);

	table->name = g_strdup (name);
	table->rows = g_array_new (FALSE, FALSE, sizeof (RateRow));
	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);
		gboolean ok;

		if (*line == '\0')
			continue;
		if (*line == '#') {
			ok = parse_comment (table, line, i + 1, error);
		} else if (header_seen) {
			ok = parse_row (table, line, i + 1, error);
		} else {
			header_seen = strcmp (line, RATE_HEADER) == 0;
			ok = header_seen ||
			     line_fail (error, name, i + 1, "expected the "
					"header \"" RATE_HEADER "\"");
		}
		if (!ok)
			return NULL;
	}
	if (table->rows->len == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "rate table %s: no rates", name);
		return NULL;
	}
	return g_steal_pointer (&table);
}

DsRateTable *
ds_rate_table_load (const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autofree char *base = g_path_get_basename (path);
	g_autoptr (GError) local = NULL;

	if (!g_file_get_contents (path, &text, NULL, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "rate table: %s", local->message);
		return NULL;
	}
	if (g_str_has_suffix (base, ".csv"))
		base[strlen (base) - 4] = '\0';
	return ds_rate_table_parse (base, text, error);
}

void
ds_rate_table_free (DsRateTable *table)
{
	if (table == NULL)
		return;
	g_free (table->name);
	if (table->rows != NULL)
		g_array_unref (table->rows);
	g_free (table);
}

const char *
ds_rate_table_name (const DsRateTable *table)
{
	return table->name;
}

/* Index of the last row effective on or before `date`, or -1. */
static int
row_at (const DsRateTable *table, DsDate date)
{
	int low = 0, high = (int) table->rows->len - 1, found = -1;

	while (low <= high) {
		int middle = low + (high - low) / 2;

		if (g_array_index (table->rows, RateRow,
				   middle).effective <= date) {
			found = middle;
			low = middle + 1;
		} else {
			high = middle - 1;
		}
	}
	return found;
}

gboolean
ds_rate_table_at (const DsRateTable *table, DsDate date, int *rate_bp,
		  GError **error)
{
	int row = row_at (table, date);

	if (row < 0) {
		char iso[DS_DATE_ISO_LEN];

		ds_date_format_iso (date, iso);
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "rate table %s has no rate in force on %s",
			     table->name, iso);
		return FALSE;
	}
	*rate_bp = g_array_index (table->rows, RateRow, row).rate_bp;
	return TRUE;
}

DsDate
ds_rate_table_next_change (const DsRateTable *table, DsDate date)
{
	int next = row_at (table, date) + 1;

	if (next >= (int) table->rows->len)
		return DS_DATE_NONE;
	return g_array_index (table->rows, RateRow, next).effective;
}

DsDate
ds_rate_table_checked_through (const DsRateTable *table)
{
	return table->checked_through;
}

DsRateTables *
ds_rate_tables_new (void)
{
	DsRateTables *tables = g_new0 (DsRateTables, 1);

	tables->by_name = g_hash_table_new_full (
		g_str_hash, g_str_equal, NULL,
		(GDestroyNotify) ds_rate_table_free);
	return tables;
}

void
ds_rate_tables_add (DsRateTables *tables, DsRateTable *table)
{
	g_hash_table_replace (tables->by_name, table->name, table);
}

void
ds_rate_tables_free (DsRateTables *tables)
{
	if (tables == NULL)
		return;
	g_hash_table_unref (tables->by_name);
	g_free (tables);
}

DsRateTables *
ds_rate_tables_load (const char *dir, GError **error)
{
	g_autoptr (DsRateTables) tables = ds_rate_tables_new ();
	g_autoptr (GError) local = NULL;
	g_autoptr (GDir) listing = g_dir_open (dir, 0, &local);
	const char *name;

	if (listing == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "rate tables: %s", local->message);
		return NULL;
	}
	while ((name = g_dir_read_name (listing)) != NULL) {
		g_autofree char *path = NULL;
		DsRateTable *table;

		if (!g_str_has_suffix (name, ".csv"))
			continue;
		path = g_build_filename (dir, name, NULL);
		table = ds_rate_table_load (path, error);
		if (table == NULL)
			return NULL;
		ds_rate_tables_add (tables, table);
	}
	return g_steal_pointer (&tables);
}

const DsRateTable *
ds_rate_tables_get (const DsRateTables *tables, const char *name,
		    GError **error)
{
	const DsRateTable *table = tables == NULL ? NULL :
		g_hash_table_lookup (tables->by_name, name);

	if (table == NULL)
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "rate table %s is not loaded (expected %s.csv "
			     "in the rates directory)", name, name);
	return table;
}

char *
ds_rate_tables_default_dir (void)
{
	char *installed = g_build_filename (DS_DATADIR, "rates", NULL);

	if (g_file_test (installed, G_FILE_TEST_IS_DIR))
		return installed;
	g_free (installed);
	return g_build_filename (DS_TOP_SRCDIR, "data", "rates", NULL);
}

/*
 * XXX: a daemon that reloads its configuration keeps the tables it read
 * first; rates change twice a year and a restart picks them up.
 */
const DsRateTables *
ds_rate_tables_default (GError **error)
{
	static DsRateTables *tables;
	G_LOCK_DEFINE_STATIC (tables);
	const DsRateTables *result;

	G_LOCK (tables);
	if (tables == NULL) {
		g_autofree char *dir = ds_rate_tables_default_dir ();

		tables = ds_rate_tables_load (dir, error);
	}
	result = tables;
	G_UNLOCK (tables);
	return result;
}

char *
ds_rate_format (int rate_bp)
{
	int magnitude = ABS (rate_bp);

	return g_strdup_printf ("%s%d.%02d%%", rate_bp < 0 ? "-" : "",
				magnitude / 100, magnitude % 100);
}
