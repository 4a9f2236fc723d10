/*
 * action-limits.c -- action limits.  See action-limits.h.
 *
 * XXX: the queries read the documents table, which document.c owns; they
 * live here because only the limits need them, and they only read.
 */
#define G_LOG_DOMAIN "dunspool-limits"

#include "action-limits.h"

#include <sqlite3.h>

#include "document.h"

#define COUNTED "state NOT IN ('superseded', 'invalid', 'cancelled')"

typedef struct {
	DsStore *store;
	const DsLimits *limits;
	DsDate as_of;
	GHashTable *touches;	/* customer id -> count planned here */
	int planned[DS_CHANNEL_COUNT];
} Limiter;

static gint64
count_query (DsStore *store, const char *sql, const char *text,
	     DsDate from, DsDate to, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);
	char from_text[DS_DATE_ISO_LEN], to_text[DS_DATE_ISO_LEN];

	if (statement == NULL)
		return -1;
	ds_date_format_iso (from, from_text);
	ds_date_format_iso (to, to_text);
	sqlite3_bind_text (statement, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, from_text, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 3, to_text, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		ds_store_fail (store, error, "limits");
		return -1;
	}
	return sqlite3_column_int64 (statement, 0);
}

static gint64
customer_documents (DsStore *store, const char *customer_id, DsDate from,
		    DsDate to, GError **error)
{
	/* A document an event made (event-documents.h) chases nothing. */
	return count_query (store, "SELECT count(*) FROM documents"
			    " WHERE customer_id = ?1 AND as_of >= ?2"
			    " AND as_of <= ?3 AND strategy <> 'event' AND "
			    COUNTED,
			    customer_id, from, to, error);
}

static gint64
channel_documents (DsStore *store, DsChannel channel, DsDate day,
		   GError **error)
{
	return count_query (store, "SELECT count(*) FROM documents"
			    " WHERE channel = ?1 AND as_of >= ?2"
			    " AND as_of <= ?3 AND " COUNTED,
			    ds_channel_name (channel), day, day, error);
}

/* 1: within the limits, 0: over one, -1: the database failed. */
static int
document_allowed (Limiter *limiter, const DsDocument *document,
		  GError **error)
{
	const DsLimits *limits = limiter->limits;
	DsDate as_of = limiter->as_of;
	int here = GPOINTER_TO_INT (g_hash_table_lookup (
		limiter->touches, document->customer_id));
	gint64 count;

	if (limits->touches > 0) {
		count = customer_documents (limiter->store,
			document->customer_id,
			as_of - limits->period_days + 1, as_of, error);
		if (count < 0)
			return -1;
		if (count + here >= limits->touches)
			return 0;
	}
	if (limits->min_gap_days > 0) {
		count = customer_documents (limiter->store,
			document->customer_id,
			as_of - limits->min_gap_days + 1, as_of - 1, error);
		if (count != 0)
			return count < 0 ? -1 : 0;
	}
	if (limits->daily[document->channel] > 0) {
		count = channel_documents (limiter->store, document->channel,
					   as_of, error);
		if (count < 0)
			return -1;
		if (count + limiter->planned[document->channel] >=
		    limits->daily[document->channel])
			return 0;
	}
	return 1;
}

static gboolean
any_limit (const DsLimits *limits)
{
	for (int i = 0; i < DS_CHANNEL_COUNT; i++)
		if (limits->daily[i] > 0)
			return TRUE;
	return limits->touches > 0 || limits->min_gap_days > 0;
}

/* Most money first, then by customer, so a limit defers the least. */
static int
by_total (gconstpointer a, gconstpointer b)
{
	const DsDocument *first = *(const DsDocument *const *) a;
	const DsDocument *second = *(const DsDocument *const *) b;

	if (first->total != second->total)
		return first->total > second->total ? -1 : 1;
	return g_strcmp0 (first->customer_id, second->customer_id);
}

gboolean
ds_action_limits_apply (DsStore *store, const DsLimits *limits,
		 GPtrArray *documents, DsDate as_of, gint64 *deferred,
		 GError **error)
{
	g_autoptr (GHashTable) touches = g_hash_table_new (g_str_hash,
							   g_str_equal);
	Limiter limiter = { store, limits, as_of, touches, { 0 } };
	guint i = 0;

	if (any_limit (limits))
		g_ptr_array_sort (documents, by_total);

	while (i < documents->len) {
		DsDocument *document = documents->pdata[i];
		int allowed = document_allowed (&limiter, document, error);
		int here;

		if (allowed < 0)
			return FALSE;
		if (allowed == 0) {
			g_message ("%s: deferred by an action limit: "
				   "customer=%s channel=%s",
				   document->trace_id, document->customer_id,
				   ds_channel_name (document->channel));
			g_ptr_array_remove_index (documents, i);
			(*deferred)++;
			continue;
		}
		here = GPOINTER_TO_INT (g_hash_table_lookup (
			touches, document->customer_id));
		g_hash_table_insert (touches, document->customer_id,
				     GINT_TO_POINTER (here + 1));
		limiter.planned[document->channel]++;
		i++;
	}
	return TRUE;
}
