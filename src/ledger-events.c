/*
 * ledger-events.c -- ledger records as journal events.
 * See ledger-events.h.
 */
#include "ledger-events.h"

#include <sqlite3.h>

#include "planner.h"

#define NOT_JOURNALED(kind, id, event) \
	" AND NOT EXISTS (SELECT 1 FROM journal j" \
	" WHERE j.object_kind = '" kind "' AND j.object_id = " id \
	" AND j.event = '" event "')"

/* Each query: object id, customer id, evidence; ?1 from, ?2 through. */
static const struct {
	const char *kind;
	const char *event;
	const char *sql;
} queries[] = {
	{ "payment", "payment-received",
	  "SELECT payment_id, customer_id, 'date=' || date || ' amount='"
	  " || amount || ' ' || currency || ifnull (' invoice=' ||"
	  " invoice_id, '') FROM payments WHERE date >= ?1 AND date <= ?2"
	  NOT_JOURNALED ("payment", "payment_id", "payment-received")
	  " ORDER BY date, payment_id" },
	{ "promise", "promise-made",
	  "SELECT promise_id, customer_id, 'made=' || made_on ||"
	  " ' promised=' || promised_date || ' amount=' || amount ||"
	  " ifnull (' invoice=' || invoice_id, '') FROM promises"
	  " WHERE made_on >= ?1 AND made_on <= ?2"
	  NOT_JOURNALED ("promise", "promise_id", "promise-made")
	  " ORDER BY made_on, promise_id" },
	{ "dispute", "dispute-opened",
	  "SELECT d.invoice_id || '@' || d.opened, i.customer_id,"
	  " 'invoice=' || d.invoice_id || ' opened=' || d.opened ||"
	  " ifnull (' reason=' || d.reason, '') FROM disputes d"
	  " JOIN invoices i USING (invoice_id)"
	  " WHERE d.opened >= ?1 AND d.opened <= ?2"
	  NOT_JOURNALED ("dispute", "d.invoice_id || '@' || d.opened",
			 "dispute-opened")
	  " ORDER BY d.opened, d.invoice_id" },
	{ "dispute", "dispute-resolved",
	  "SELECT d.invoice_id || '@' || d.opened, i.customer_id,"
	  " 'invoice=' || d.invoice_id || ' resolved=' || d.resolved"
	  " FROM disputes d JOIN invoices i USING (invoice_id)"
	  " WHERE d.resolved >= ?1 AND d.resolved <= ?2"
	  NOT_JOURNALED ("dispute", "d.invoice_id || '@' || d.opened",
			 "dispute-resolved")
	  " ORDER BY d.resolved, d.invoice_id" },
};

/*
 * Promises whose window (promised date plus grace) ended the day before
 * a date in ?1..?2, with what they covered still open at its end: the
 * invoice named, else the customer's account (invoices issued less
 * payments and open credit notes).  ?3 is the grace in days.
 */
static const char promise_outcome_sql[] =
	"WITH w AS (SELECT promise_id,"
	"  date (promised_date, '+' || ?3 || ' days') AS until"
	"  FROM promises)"
	" SELECT pr.promise_id, pr.customer_id,"
	"  'promised=' || pr.promised_date || ' until=' || w.until ||"
	"  ifnull (' invoice=' || pr.invoice_id, ''),"
	"  CASE WHEN pr.invoice_id IS NOT NULL THEN"
	"   (SELECT i.amount"
	"    - ifnull ((SELECT sum (p.amount) FROM payments p"
	"      WHERE p.invoice_id = i.invoice_id AND p.date <= w.until), 0)"
	"    - ifnull ((SELECT sum (c.amount) FROM credit_notes c"
	"      WHERE c.invoice_id = i.invoice_id AND c.status = 'open'"
	"      AND c.date <= w.until), 0)"
	"    FROM invoices i WHERE i.invoice_id = pr.invoice_id)"
	"  ELSE"
	"   ifnull ((SELECT sum (i.amount) FROM invoices i"
	"    WHERE i.customer_id = pr.customer_id"
	"    AND i.issue_date <= w.until), 0)"
	"   - ifnull ((SELECT sum (p.amount) FROM payments p"
	"    WHERE p.customer_id = pr.customer_id AND p.date <= w.until), 0)"
	"   - ifnull ((SELECT sum (c.amount) FROM credit_notes c"
	"    WHERE c.customer_id = pr.customer_id AND c.status = 'open'"
	"    AND c.date <= w.until), 0)"
	"  END"
	" FROM promises pr JOIN w USING (promise_id)"
	" WHERE date (w.until, '+1 day') >= ?1"
	" AND date (w.until, '+1 day') <= ?2"
	" AND NOT EXISTS (SELECT 1 FROM journal j"
	"  WHERE j.object_kind = 'promise' AND j.object_id = pr.promise_id"
	"  AND j.event IN ('promise-kept', 'promise-broken'))"
	" ORDER BY w.until, pr.promise_id";

static DsPlanEvent *
event_new (const char *kind, const char *event, sqlite3_stmt *statement)
{
	DsPlanEvent *entry = g_new0 (DsPlanEvent, 1);

	entry->object_kind = g_strdup (kind);
	entry->event = g_strdup (event);
	entry->object_id = g_strdup ((const char *)
				     sqlite3_column_text (statement, 0));
	entry->customer_id = g_strdup ((const char *)
				       sqlite3_column_text (statement, 1));
	entry->evidence = g_strdup ((const char *)
				    sqlite3_column_text (statement, 2));
	return entry;
}

static gboolean
read_promise_outcomes (DsStore *store, const char *from,
		       const char *through, int grace_days,
		       GPtrArray *events, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		store, promise_outcome_sql, error);
	int step;

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, through, -1, SQLITE_STATIC);
	sqlite3_bind_int (statement, 3, grace_days);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		gboolean kept = sqlite3_column_int64 (statement, 3) <= 0;

		g_ptr_array_add (events, event_new ("promise",
			kept ? "promise-kept" : "promise-broken",
			statement));
	}
	if (step != SQLITE_DONE)
		return ds_store_fail (store, error, "promise outcomes");
	return TRUE;
}

gboolean
ds_ledger_events_read (DsStore *store, DsDate as_of, int grace_days,
		       GPtrArray *events, GError **error)
{
	char from[DS_DATE_ISO_LEN], through[DS_DATE_ISO_LEN];

	ds_date_format_iso (as_of - DS_LEDGER_EVENTS_LOOKBACK + 1, from);
	ds_date_format_iso (as_of, through);
	if (!read_promise_outcomes (store, from, through, grace_days, events,
				    error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS (queries); i++) {
		g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
			store, queries[i].sql, error);
		int step;

		if (statement == NULL)
			return FALSE;
		sqlite3_bind_text (statement, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text (statement, 2, through, -1, SQLITE_STATIC);
		while ((step = sqlite3_step (statement)) == SQLITE_ROW)
			g_ptr_array_add (events, event_new (queries[i].kind,
				queries[i].event, statement));
		if (step != SQLITE_DONE)
			return ds_store_fail (store, error, "ledger events");
	}
	return TRUE;
}
