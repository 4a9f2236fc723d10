/*
 * channel-stats.c -- per channel and segment figures.  See
 * channel-stats.h.
 *
 * One pass over the decisions: each is looked up once in the ledger
 * history (loaded as known on the report's date) and once in its
 * document's attempts, and added to its row and to its group.
 */
#include "channel-stats.h"

#include <math.h>
#include <string.h>

#include "document.h"
#include "feedback.h"
#include "ledger-history.h"
#include "policy.h"

const int ds_channel_stats_windows[DS_CHANNEL_STATS_WINDOWS] = {
	7, 14, 30,
};

typedef struct {
	DsChannelStatsRow row;
	GArray *days;		/* int, to the payment, of the paid */
} Tally;

static void
tally_free (Tally *tally)
{
	g_free (tally->row.action);
	g_free (tally->row.segment);
	g_array_unref (tally->days);
	g_free (tally);
}

void
ds_channel_stats_free (DsChannelStats *stats)
{
	if (stats == NULL)
		return;
	g_ptr_array_unref (stats->rows);
	g_ptr_array_unref (stats->groups);
	g_free (stats);
}

static Tally *
tally_for (GHashTable *tallies, const char *action, const char *segment)
{
	g_autofree char *key = g_strdup_printf ("%s/%s", action, segment);
	Tally *tally = g_hash_table_lookup (tallies, key);

	if (tally != NULL)
		return tally;
	tally = g_new0 (Tally, 1);
	tally->row.action = g_strdup (action);
	tally->row.segment = g_strdup (segment);
	tally->days = g_array_new (FALSE, FALSE, sizeof (int));
	g_hash_table_insert (tallies, g_steal_pointer (&key), tally);
	return tally;
}

/* When all the record's invoices were paid, known on `as_of`; NONE. */
static DsDate
paid_on (const DsLedgerHistory *history, const DsPolicyRecord *record,
	 DsDate as_of)
{
	DsDate last = DS_DATE_NONE;

	for (guint i = 0; i < record->invoices->len; i++) {
		const DsDocumentItem *item = g_ptr_array_index (
			record->invoices, i);
		const DsHistoryInvoice *invoice = ds_ledger_history_find (
			history, item->invoice_id);
		DsDate settled = invoice != NULL ?
			ds_history_invoice_settled (invoice, as_of + 1) :
			DS_DATE_NONE;

		if (settled == DS_DATE_NONE)
			return DS_DATE_NONE;
		last = MAX (last, settled);
	}
	return last;
}

/* A call counts as delivered when its collector reached the customer. */
static gboolean
call_reached (DsStore *store, const char *trace_id, gboolean *result,
	      GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT count(*) FROM tasks WHERE trace_id = ?"
		" AND kind = '" DS_TASK_CALL "'"
		" AND outcome IN ('reached', 'promise')", error);

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, trace_id);
	if (sqlite3_step (statement) != SQLITE_ROW)
		return ds_store_fail (store, error, "call outcome");
	*result = sqlite3_column_int64 (statement, 0) > 0;
	return TRUE;
}

static gboolean
delivered (DsStore *store, const char *trace_id, gboolean *result,
	   GError **error)
{
	g_autoptr (GPtrArray) attempts = NULL;

	*result = FALSE;
	if (trace_id == NULL)
		return TRUE;
	if (!call_reached (store, trace_id, result, error))
		return FALSE;
	if (*result)
		return TRUE;
	attempts = ds_attempt_list_for_trace (store, trace_id, error);
	if (attempts == NULL)
		return FALSE;
	for (guint i = 0; i < attempts->len; i++) {
		const DsAttempt *attempt = g_ptr_array_index (attempts, i);

		if (g_strcmp0 (attempt->state, "delivered") == 0 ||
		    g_strcmp0 (attempt->state, "delivered-assumed") == 0 ||
		    g_strcmp0 (attempt->state, "signed") == 0)
			*result = TRUE;
	}
	return TRUE;
}

static gint64
record_amount (const DsPolicyRecord *record)
{
	gint64 amount = 0;

	for (guint i = 0; i < record->invoices->len; i++)
		amount += ((const DsDocumentItem *) g_ptr_array_index (
			record->invoices, i))->open_amount;
	return amount;
}

static void
add_record (Tally *tally, const DsPolicyRecord *record, DsDate paid,
	    gboolean reached, DsDate as_of)
{
	DsChannelStatsRow *row = &tally->row;
	int days = paid != DS_DATE_NONE ?
		   (int) ((gint64) paid - (gint64) record->decided_on) : -1;

	row->decisions++;
	row->delivered += reached;
	row->cost += record->cost;
	for (int i = 0; i < DS_CHANNEL_STATS_WINDOWS; i++) {
		int window = ds_channel_stats_windows[i];

		if ((gint64) record->decided_on + window > (gint64) as_of)
			continue;
		row->matured[i]++;
		row->paid[i] += days >= 0 && days <= window;
	}
	if (days >= 0)
		g_array_append_val (tally->days, days);
	if (days >= 0 && days <= 30)
		row->collected += record_amount (record);
}

static int
compare_ints (gconstpointer a, gconstpointer b)
{
	return *(const int *) a - *(const int *) b;
}

static int
compare_rows (gconstpointer a, gconstpointer b)
{
	const DsChannelStatsRow *x = *(const DsChannelStatsRow *const *) a;
	const DsChannelStatsRow *y = *(const DsChannelStatsRow *const *) b;
	int order = strcmp (x->action, y->action);

	return order != 0 ? order : strcmp (x->segment, y->segment);
}

/* The rows of the tallies, with their medians, sorted. */
static GPtrArray *
finish (GHashTable *tallies)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);
	GHashTableIter iter;
	Tally *tally;

	g_hash_table_iter_init (&iter, tallies);
	while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tally)) {
		DsChannelStatsRow *row = g_new (DsChannelStatsRow, 1);
		GArray *days = tally->days;

		*row = tally->row;
		row->action = g_strdup (tally->row.action);
		row->segment = g_strdup (tally->row.segment);
		row->median_days = NAN;
		g_array_sort (days, compare_ints);
		if (days->len > 0)
			row->median_days = days->len % 2 ?
				g_array_index (days, int, days->len / 2) :
				(g_array_index (days, int, days->len / 2 - 1) +
				 g_array_index (days, int, days->len / 2)) /
				2.0;
		g_ptr_array_add (rows, row);
	}
	g_ptr_array_sort (rows, compare_rows);
	return rows;
}

static void
row_free (DsChannelStatsRow *row)
{
	g_free (row->action);
	g_free (row->segment);
	g_free (row);
}

DsChannelStats *
ds_channel_stats_build (DsStore *store, DsDate as_of, GError **error)
{
	g_autoptr (GPtrArray) records = ds_policy_records (store, as_of,
							   error);
	g_autoptr (DsLedgerHistory) history = NULL;
	g_autoptr (GHashTable) rows = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, (GDestroyNotify) tally_free);
	g_autoptr (GHashTable) groups = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, (GDestroyNotify) tally_free);
	DsChannelStats *stats;

	if (records == NULL)
		return NULL;
	history = ds_ledger_history_load (store, as_of, error);
	if (history == NULL)
		return NULL;
	for (guint i = 0; i < records->len; i++) {
		const DsPolicyRecord *record = g_ptr_array_index (records, i);
		const char *action = ds_policy_action_name (record->action);
		DsDate paid = paid_on (history, record, as_of);
		gboolean reached;

		if (!delivered (store, record->trace_id, &reached, error))
			return NULL;
		add_record (tally_for (rows, action, record->segment), record,
			    paid, reached, as_of);
		add_record (tally_for (groups, "all", record->control ?
				       "control" : "policy"),
			    record, paid, reached, as_of);
	}
	stats = g_new0 (DsChannelStats, 1);
	stats->as_of = as_of;
	stats->rows = finish (rows);
	stats->groups = finish (groups);
	g_ptr_array_set_free_func (stats->rows, (GDestroyNotify) row_free);
	g_ptr_array_set_free_func (stats->groups, (GDestroyNotify) row_free);
	return stats;
}

/* ---- output ----------------------------------------------------------- */

static double
share (gint64 part, gint64 whole)
{
	return whole > 0 ? 100.0 * part / whole : NAN;
}

static double
cost_per_unit (const DsChannelStatsRow *row)
{
	return row->collected > 0 ? (double) row->cost / row->collected :
	       NAN;
}

/* A figure in a column of WIDTH, "-" where there is none (NaN). */
static void
print_figure (FILE *out, int width, int decimals, double value)
{
	if (isnan (value))
		fprintf (out, " %*s", width, "-");
	else
		fprintf (out, " %*.*f", width, decimals, value);
}

static void
print_rows (GPtrArray *rows, FILE *out)
{
	fprintf (out, "%-10s %-8s %9s %6s %6s %6s %6s %7s %9s\n", "action",
		 "segment", "decisions", "deliv%", "7d%", "14d%", "30d%",
		 "median", "cost/unit");
	for (guint i = 0; i < rows->len; i++) {
		const DsChannelStatsRow *row = g_ptr_array_index (rows, i);

		fprintf (out, "%-10s %-8s %9" G_GINT64_FORMAT, row->action,
			 row->segment, row->decisions);
		print_figure (out, 6, 1, share (row->delivered,
						row->decisions));
		for (int w = 0; w < DS_CHANNEL_STATS_WINDOWS; w++)
			print_figure (out, 6, 1, share (row->paid[w],
							row->matured[w]));
		print_figure (out, 7, 1, row->median_days);
		print_figure (out, 9, 4, cost_per_unit (row));
		fputc ('\n', out);
	}
}

void
ds_channel_stats_print (const DsChannelStats *stats, FILE *out)
{
	char date[DS_DATE_ISO_LEN];

	ds_date_format_iso (stats->as_of, date);
	fprintf (out, "channels as of %s\n\n", date);
	print_rows (stats->rows, out);
	fprintf (out, "\ncontrol group against the policy\n\n");
	print_rows (stats->groups, out);
}

static void
add_number (JsonBuilder *builder, const char *name, double value)
{
	json_builder_set_member_name (builder, name);
	if (isnan (value))
		json_builder_add_null_value (builder);
	else
		json_builder_add_double_value (builder,
					       round (value * 1e4) / 1e4);
}

static void
add_rows (JsonBuilder *builder, const char *name, GPtrArray *rows)
{
	json_builder_set_member_name (builder, name);
	json_builder_begin_array (builder);
	for (guint i = 0; i < rows->len; i++) {
		const DsChannelStatsRow *row = g_ptr_array_index (rows, i);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "action");
		json_builder_add_string_value (builder, row->action);
		json_builder_set_member_name (builder, "segment");
		json_builder_add_string_value (builder, row->segment);
		json_builder_set_member_name (builder, "decisions");
		json_builder_add_int_value (builder, row->decisions);
		add_number (builder, "delivered_pct",
			    share (row->delivered, row->decisions));
		add_number (builder, "paid_7d_pct",
			    share (row->paid[0], row->matured[0]));
		add_number (builder, "paid_14d_pct",
			    share (row->paid[1], row->matured[1]));
		add_number (builder, "paid_30d_pct",
			    share (row->paid[2], row->matured[2]));
		add_number (builder, "median_days_to_payment",
			    row->median_days);
		add_number (builder, "cost_per_unit_collected",
			    cost_per_unit (row));
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

JsonNode *
ds_channel_stats_to_json (const DsChannelStats *stats)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *date = ds_date_to_iso (stats->as_of);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "as_of");
	json_builder_add_string_value (builder, date);
	add_rows (builder, "channels", stats->rows);
	add_rows (builder, "groups", stats->groups);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
