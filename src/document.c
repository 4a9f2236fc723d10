/*
 * document.c -- documents, their items and attempts in the store.
 * See document.h.
 */
#define G_LOG_DOMAIN "dunspool-document"

#include "document.h"

#include <string.h>

#include "date.h"
#include "ds-error.h"
#include "journal.h"
#include "states.h"

void
ds_document_item_free (DsDocumentItem *item)
{
	if (item == NULL)
		return;
	g_free (item->invoice_id);
	g_free (item);
}

void
ds_document_free (DsDocument *document)
{
	if (document == NULL)
		return;
	g_free (document->trace_id);
	g_free (document->idempotency_key);
	g_free (document->customer_id);
	g_free (document->entity_id);
	g_free (document->strategy);
	g_free (document->step);
	g_free (document->state);
	g_free (document->language);
	g_free (document->currency);
	g_free (document->pdf_path);
	g_free (document->pdf_sha256);
	g_free (document->reason);
	g_free (document->event_object);
	if (document->items != NULL)
		g_ptr_array_unref (document->items);
	g_free (document);
}

static int
compare_items (gconstpointer a, gconstpointer b)
{
	const DsDocumentItem *left = *(DsDocumentItem *const *) a;
	const DsDocumentItem *right = *(DsDocumentItem *const *) b;

	return strcmp (left->invoice_id, right->invoice_id);
}

/*
 * The key names what the document is about, in a form a person can read
 * in the journal; the trace id is the first 50 bits of its HMAC-SHA-256
 * under the instance key (its 64 hex digits as the HMAC key) in
 * Crockford base32, which is short enough to type from an envelope and
 * differs between instances.
 */
void
ds_document_derive_ids (DsStore *store, DsDocument *document)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	const char *instance_key = ds_store_instance_key (store);
	GString *key = g_string_new (NULL);
	guint8 digest[32];
	gsize digest_length = sizeof digest;
	g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256,
					     (const guchar *) instance_key,
					     strlen (instance_key));
	guint64 bits = 0;

	g_ptr_array_sort (document->items, compare_items);
	g_string_append_printf (key, "%s/%s/%s", document->strategy,
				document->step, document->customer_id);
	if (document->event_object != NULL)
		g_string_append_printf (key, "/%s", document->event_object);
	for (guint i = 0; document->event_object == NULL &&
			  i < document->items->len; i++) {
		DsDocumentItem *item = g_ptr_array_index (document->items, i);

		g_string_append_printf (key, "%c%s", i == 0 ? ':' : ',',
					item->invoice_id);
		if (item->instalment > 0)
			g_string_append_printf (key, "#%d",
						item->instalment);
	}
	g_hmac_update (hmac, (const guchar *) key->str, key->len);
	g_hmac_get_digest (hmac, digest, &digest_length);
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | digest[i];

	g_free (document->trace_id);
	document->trace_id = g_malloc (DS_TRACE_ID_LEN);
	document->trace_id[0] = 'D';
	document->trace_id[1] = 'S';
	for (int i = 0; i < 10; i++)
		document->trace_id[2 + i] = alphabet[(bits >> (59 - 5 * i)) &
						     31];
	document->trace_id[12] = '\0';
	g_free (document->idempotency_key);
	document->idempotency_key = g_string_free (key, FALSE);
}

/* Run a statement that returns no rows. */
static gboolean
run (DsStore *store, sqlite3_stmt *statement, const char *what,
     GError **error)
{
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, what);
	return TRUE;
}

gboolean
ds_document_exists (DsStore *store, const char *idempotency_key)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT 1 FROM documents WHERE idempotency_key = ?", NULL);

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, idempotency_key);
	return sqlite3_step (statement) == SQLITE_ROW;
}

static gboolean
insert_row (DsStore *store, const DsDocument *document, GError **error)
{
	g_autofree char *now = ds_time_now_utc_iso ();
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"INSERT INTO documents (trace_id, idempotency_key,"
		" customer_id, entity_id, strategy, step, step_index,"
		" channel, as_of, state, language, currency, total,"
		" deadline, created_at, event_object)"
		" VALUES (?,?,?,?,?,?,?,?,?,'scheduled',?,?,?,?,?,?)", error);

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, document->trace_id);
	ds_store_bind_text (statement, 2, document->idempotency_key);
	ds_store_bind_text (statement, 3, document->customer_id);
	ds_store_bind_text (statement, 4, document->entity_id);
	ds_store_bind_text (statement, 5, document->strategy);
	ds_store_bind_text (statement, 6, document->step);
	sqlite3_bind_int (statement, 7, document->step_index);
	ds_store_bind_text (statement, 8, ds_channel_name (document->channel));
	ds_store_bind_date (statement, 9, document->as_of);
	ds_store_bind_text (statement, 10, document->language);
	ds_store_bind_text (statement, 11, document->currency);
	sqlite3_bind_int64 (statement, 12, document->total);
	ds_store_bind_date (statement, 13, document->deadline);
	ds_store_bind_text (statement, 14, now);
	ds_store_bind_text (statement, 15, document->event_object);
	return run (store, statement, "insert document", error);
}

static gboolean
insert_item (DsStore *store, const DsDocument *document,
	     const DsDocumentItem *item, GError **error)
{
	g_autoptr (sqlite3_stmt) items = ds_store_prepare (store,
		"INSERT INTO document_items (trace_id, invoice_id,"
		" open_amount, days_overdue, instalment) VALUES (?,?,?,?,?)",
		error);
	g_autoptr (sqlite3_stmt) steps = ds_store_prepare (store,
		"INSERT INTO invoice_steps (invoice_id, strategy, step_index,"
		" trace_id, taken_on, instalment) VALUES (?,?,?,?,?,?)",
		error);

	if (items == NULL || steps == NULL)
		return FALSE;
	ds_store_bind_text (items, 1, document->trace_id);
	ds_store_bind_text (items, 2, item->invoice_id);
	sqlite3_bind_int64 (items, 3, item->open_amount);
	sqlite3_bind_int (items, 4, item->days_overdue);
	sqlite3_bind_int (items, 5, item->instalment);
	ds_store_bind_text (steps, 1, item->invoice_id);
	ds_store_bind_text (steps, 2, document->strategy);
	sqlite3_bind_int (steps, 3, document->step_index);
	ds_store_bind_text (steps, 4, document->trace_id);
	ds_store_bind_date (steps, 5, document->as_of);
	sqlite3_bind_int (steps, 6, item->instalment);
	return run (store, items, "insert document item", error) &&
	       (document->event_object != NULL ||
		run (store, steps, "record step taken", error));
}

gboolean
ds_document_insert (DsStore *store, DsDocument *document,
		    const char *evidence, GError **error)
{
	DsJournalEntry entry = {
		.object_kind = "document",
		.object_id = document->trace_id,
		.trace_id = document->trace_id,
		.event = "planned",
		.new_state = "scheduled",
		.evidence = evidence,
	};

	g_return_val_if_fail (document->trace_id != NULL, FALSE);
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!insert_row (store, document, error))
		goto fail;
	for (guint i = 0; i < document->items->len; i++)
		if (!insert_item (store, document,
				  g_ptr_array_index (document->items, i),
				  error))
			goto fail;
	if (!ds_journal_append (store, &entry, error))
		goto fail;
	g_free (document->state);
	document->state = g_strdup ("scheduled");
	return ds_store_commit (store, error);

fail:
	ds_store_rollback (store);
	return FALSE;
}

static gboolean
load_items (DsStore *store, DsDocument *document, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT invoice_id, open_amount, days_overdue, instalment"
		" FROM document_items WHERE trace_id = ? ORDER BY invoice_id",
		error);
	int step;

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, document->trace_id);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		DsDocumentItem *item = g_new0 (DsDocumentItem, 1);

		item->invoice_id = ds_store_column_text (statement, 0);
		item->open_amount = sqlite3_column_int64 (statement, 1);
		item->days_overdue = sqlite3_column_int (statement, 2);
		item->instalment = sqlite3_column_int (statement, 3);
		g_ptr_array_add (document->items, item);
	}
	if (step != SQLITE_DONE)
		return ds_store_fail (store, error, "document items");
	return TRUE;
}

static DsDocument *
document_from_row (DsStore *store, sqlite3_stmt *statement)
{
	DsDocument *document = g_new0 (DsDocument, 1);

	document->trace_id = ds_store_column_text (statement, 0);
	document->idempotency_key = ds_store_column_text (statement, 1);
	document->customer_id = ds_store_column_text (statement, 2);
	document->entity_id = ds_store_column_text (statement, 3);
	document->strategy = ds_store_column_text (statement, 4);
	document->step = ds_store_column_text (statement, 5);
	document->step_index = sqlite3_column_int (statement, 6);
	ds_channel_from_name ((const char *) sqlite3_column_text (statement,
								  7),
			      &document->channel);
	document->as_of = ds_store_column_date (statement, 8);
	document->state = ds_store_column_text (statement, 9);
	document->language = ds_store_column_text (statement, 10);
	document->currency = ds_store_column_text (statement, 11);
	document->total = sqlite3_column_int64 (statement, 12);
	document->deadline = ds_store_column_date (statement, 13);
	document->pdf_path = ds_store_column_path (store, statement, 14);
	document->pdf_sha256 = ds_store_column_text (statement, 15);
	document->pages = sqlite3_column_int (statement, 16);
	document->reason = ds_store_column_text (statement, 17);
	document->event_object = ds_store_column_text (statement, 18);
	document->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_document_item_free);
	return document;
}

DsDocument *
ds_document_get (DsStore *store, const char *trace_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT trace_id, idempotency_key, customer_id, entity_id,"
		" strategy, step, step_index, channel, as_of, state,"
		" language, currency, total, deadline, pdf_path, pdf_sha256,"
		" pages, reason, event_object FROM documents"
		" WHERE trace_id = ?", error);
	g_autoptr (DsDocument) document = NULL;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, trace_id);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no document %s", trace_id);
		return NULL;
	}
	document = document_from_row (store, statement);
	if (!load_items (store, document, error))
		return NULL;
	return g_steal_pointer (&document);
}

static GPtrArray *
list_strings (DsStore *store, const char *sql, const char *parameter,
	      GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, parameter);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (list, ds_store_column_text (statement, 0));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "list");
		return NULL;
	}
	return g_steal_pointer (&list);
}

GPtrArray *
ds_document_list_in_state (DsStore *store, const char *state,
			   GError **error)
{
	return list_strings (store,
		"SELECT trace_id FROM documents WHERE state = ?"
		" ORDER BY created_at, trace_id", state, error);
}

static char *
current_state (DsStore *store, const char *sql, sqlite3_int64 id,
	       const char *text_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);

	if (statement == NULL)
		return NULL;
	if (text_id != NULL)
		ds_store_bind_text (statement, 1, text_id);
	else
		sqlite3_bind_int64 (statement, 1, id);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no such object");
		return NULL;
	}
	return ds_store_column_text (statement, 0);
}

/* ENTRY as news that moves nothing: "ignored", the state kept. */
static gboolean
journal_ignored (DsStore *store, DsJournalEntry *entry, GError **error)
{
	entry->event = "ignored";
	entry->new_state = entry->old_state;
	return ds_journal_append (store, entry, error);
}

/*
 * The one way a state changes: check, update, journal, in one
 * transaction.  A refused or pointless move is journaled as "ignored"
 * when the object is terminal (late feedback), and an error otherwise.
 */
static gboolean
move (DsStore *store, DsMachine machine, const char *kind,
      const char *object_id, const char *trace_id, const char *from,
      const char *to, const char *event, const char *evidence,
      const char *update_sql, GError **error)
{
	DsJournalEntry entry = {
		.object_kind = kind, .object_id = object_id,
		.trace_id = trace_id, .event = event,
		.old_state = from, .new_state = to, .evidence = evidence,
	};

	if (!ds_state_allowed (machine, from, to)) {
		if (g_strcmp0 (from, to) == 0 ||
		    ds_state_terminal (machine, from))
			return journal_ignored (store, &entry, error);
		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "%s %s: %s -> %s is not allowed", kind,
			     object_id, from, to);
		return FALSE;
	}
	if (!ds_store_begin (store, error))
		return FALSE;
	{
		g_autoptr (sqlite3_stmt) statement =
			ds_store_prepare (store, update_sql, error);

		if (statement == NULL)
			goto fail;
		ds_store_bind_text (statement, 1, to);
		ds_store_bind_text (statement, 2, object_id);
		if (!run (store, statement, "state update", error))
			goto fail;
	}
	if (!ds_journal_append (store, &entry, error))
		goto fail;
	return ds_store_commit (store, error);

fail:
	ds_store_rollback (store);
	return FALSE;
}

gboolean
ds_document_move (DsStore *store, const char *trace_id, const char *to,
		  const char *event, const char *evidence, GError **error)
{
	g_autofree char *from = current_state (store,
		"SELECT state FROM documents WHERE trace_id = ?", 0,
		trace_id, error);

	if (from == NULL)
		return FALSE;
	return move (store, DS_MACHINE_DOCUMENT, "document", trace_id,
		     trace_id, from, to, event ? event : to, evidence,
		     "UPDATE documents SET state = ?1 WHERE trace_id = ?2",
		     error);
}

static gboolean
update_document (DsStore *store, const char *sql, const char *trace_id,
		 const char *first, const char *second, int number,
		 GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);

	if (statement == NULL)
		return FALSE;
	/* Parameters the statement does not use are left unbound. */
	ds_store_bind_text (statement, 1, trace_id);
	ds_store_bind_text (statement, 2, first);
	if (sqlite3_bind_parameter_count (statement) >= 4) {
		ds_store_bind_text (statement, 3, second);
		sqlite3_bind_int (statement, 4, number);
	}
	return run (store, statement, "update document", error);
}

gboolean
ds_document_set_pdf (DsStore *store, const char *trace_id,
		     const char *path, const char *sha256, int pages,
		     GError **error)
{
	g_autofree char *stored = ds_store_stored_path (store, path);

	return update_document (store,
		"UPDATE documents SET pdf_path = ?2, pdf_sha256 = ?3,"
		" pages = ?4 WHERE trace_id = ?1", trace_id, stored, sha256,
		pages, error);
}

gboolean
ds_document_set_total (DsStore *store, const char *trace_id, gint64 total,
		       GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"UPDATE documents SET total = ?2 WHERE trace_id = ?1", error);

	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, trace_id);
	sqlite3_bind_int64 (statement, 2, total);
	return run (store, statement, "document total", error);
}

gboolean
ds_document_set_reason (DsStore *store, const char *trace_id,
			const char *reason, GError **error)
{
	return update_document (store,
		"UPDATE documents SET reason = ?2 WHERE trace_id = ?1",
		trace_id, reason, NULL, 0, error);
}

static gboolean
redate_rows (DsStore *store, const DsDocument *document, GError **error)
{
	g_autoptr (sqlite3_stmt) row = ds_store_prepare (store,
		"UPDATE documents SET as_of = ?2, deadline = ?3"
		" WHERE trace_id = ?1", error);
	g_autoptr (sqlite3_stmt) steps = ds_store_prepare (store,
		"UPDATE invoice_steps SET taken_on = ?2 WHERE trace_id = ?1",
		error);

	if (row == NULL || steps == NULL)
		return FALSE;
	ds_store_bind_text (row, 1, document->trace_id);
	ds_store_bind_date (row, 2, document->as_of);
	ds_store_bind_date (row, 3, document->deadline);
	ds_store_bind_text (steps, 1, document->trace_id);
	ds_store_bind_date (steps, 2, document->as_of);
	return run (store, row, "redate document", error) &&
	       run (store, steps, "redate steps", error);
}

gboolean
ds_document_redate (DsStore *store, DsDocument *document, DsDate as_of,
		    const DsCalendar *calendar, GError **error)
{
	g_autofree char *from = ds_date_to_iso (document->as_of);
	g_autofree char *to = ds_date_to_iso (as_of);
	g_autofree char *evidence = g_strdup_printf ("from %s to %s", from,
						     to);
	DsJournalEntry entry = {
		.object_kind = "document",
		.object_id = document->trace_id,
		.trace_id = document->trace_id,
		.event = "redated",
		.evidence = evidence,
	};

	if (document->deadline != DS_DATE_NONE) {
		document->deadline += as_of - document->as_of;
		if (calendar != NULL)
			document->deadline = ds_calendar_next_working_day (
				calendar, document->deadline);
	}
	document->as_of = as_of;
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!redate_rows (store, document, error) ||
	    !ds_journal_append (store, &entry, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return ds_store_commit (store, error);
}

gboolean
ds_document_last_step (DsStore *store, const char *invoice_id,
		       int instalment, const char *strategy,
		       DsStepTaken *taken, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT s.step_index, s.taken_on, d.deadline, s.trace_id,"
		" d.state IN ('action-required', 'held')"
		" FROM invoice_steps s JOIN documents d USING (trace_id)"
		" WHERE s.invoice_id = ? AND s.strategy = ?"
		" AND s.instalment = ?"
		" ORDER BY s.step_index DESC LIMIT 1", error);

	memset (taken, 0, sizeof *taken);
	taken->step_index = -1;
	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, invoice_id);
	ds_store_bind_text (statement, 2, strategy);
	sqlite3_bind_int (statement, 3, instalment);
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		taken->step_index = sqlite3_column_int (statement, 0);
		taken->taken_on = ds_store_column_date (statement, 1);
		taken->deadline = ds_store_column_date (statement, 2);
		taken->trace_id = ds_store_column_text (statement, 3);
		taken->unsent = sqlite3_column_int (statement, 4) != 0;
		return TRUE;
	case SQLITE_DONE:
		return TRUE;
	default:
		return ds_store_fail (store, error, "last step");
	}
}

void
ds_attempt_free (DsAttempt *attempt)
{
	if (attempt == NULL)
		return;
	g_free (attempt->trace_id);
	g_free (attempt->driver);
	g_free (attempt->state);
	g_free (attempt->batch_id);
	g_free (attempt->provider_id);
	g_free (attempt->detail);
	g_free (attempt);
}

gboolean
ds_attempt_create (DsStore *store, const char *trace_id, DsChannel channel,
		   const char *driver, gint64 *attempt_id, GError **error)
{
	return ds_attempt_create_detailed (store, trace_id, channel, driver,
					   NULL, attempt_id, error);
}

gboolean
ds_attempt_create_detailed (DsStore *store, const char *trace_id,
			    DsChannel channel, const char *driver,
			    const char *detail, gint64 *attempt_id,
			    GError **error)
{
	g_autofree char *now = ds_time_now_utc_iso ();
	g_autofree char *id_text = NULL;
	g_autofree char *evidence = detail == NULL ?
		g_strdup (ds_channel_name (channel)) :
		g_strdup_printf ("%s %s", ds_channel_name (channel), detail);
	g_autoptr (sqlite3_stmt) statement = NULL;
	DsJournalEntry entry = {
		.object_kind = "attempt", .trace_id = trace_id,
		.event = "queued", .new_state = "queued",
		.evidence = evidence,
	};

	if (!ds_store_begin (store, error))
		return FALSE;
	statement = ds_store_prepare (store,
		"INSERT INTO attempts (trace_id, channel, driver, state,"
		" detail, created_at, updated_at)"
		" VALUES (?,?,?,'queued',?,?,?)", error);
	if (statement == NULL)
		goto fail;
	ds_store_bind_text (statement, 1, trace_id);
	ds_store_bind_text (statement, 2, ds_channel_name (channel));
	ds_store_bind_text (statement, 3, driver);
	ds_store_bind_text (statement, 4, detail);
	ds_store_bind_text (statement, 5, now);
	ds_store_bind_text (statement, 6, now);
	if (!run (store, statement, "insert attempt", error))
		goto fail;
	*attempt_id = sqlite3_last_insert_rowid (ds_store_db (store));
	id_text = g_strdup_printf ("%" G_GINT64_FORMAT, *attempt_id);
	entry.object_id = id_text;
	if (!ds_journal_append (store, &entry, error))
		goto fail;
	return ds_store_commit (store, error);

fail:
	ds_store_rollback (store);
	return FALSE;
}

#define ATTEMPT_COLUMNS \
	"attempt_id, trace_id, channel, driver, state, batch_id," \
	" provider_id, tries, detail"

static DsAttempt *
attempt_from_row (sqlite3_stmt *statement)
{
	DsAttempt *attempt = g_new0 (DsAttempt, 1);

	attempt->attempt_id = sqlite3_column_int64 (statement, 0);
	attempt->trace_id = ds_store_column_text (statement, 1);
	ds_channel_from_name ((const char *) sqlite3_column_text (statement,
								  2),
			      &attempt->channel);
	attempt->driver = ds_store_column_text (statement, 3);
	attempt->state = ds_store_column_text (statement, 4);
	attempt->batch_id = ds_store_column_text (statement, 5);
	attempt->provider_id = ds_store_column_text (statement, 6);
	attempt->tries = sqlite3_column_int (statement, 7);
	attempt->detail = ds_store_column_text (statement, 8);
	return attempt;
}

DsAttempt *
ds_attempt_get (DsStore *store, gint64 attempt_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT " ATTEMPT_COLUMNS " FROM attempts"
		" WHERE attempt_id = ?", error);

	if (statement == NULL)
		return NULL;
	sqlite3_bind_int64 (statement, 1, attempt_id);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no attempt %" G_GINT64_FORMAT, attempt_id);
		return NULL;
	}
	return attempt_from_row (statement);
}

GPtrArray *
ds_attempt_list_for_trace (DsStore *store, const char *trace_id,
			   GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT " ATTEMPT_COLUMNS " FROM attempts"
		" WHERE trace_id = ? ORDER BY attempt_id", error);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_attempt_free);
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, trace_id);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (list, attempt_from_row (statement));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "attempts");
		return NULL;
	}
	return g_steal_pointer (&list);
}

gboolean
ds_attempt_move (DsStore *store, gint64 attempt_id, const char *to,
		 const char *evidence, GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (store, attempt_id,
							error);
	g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT,
						    attempt_id);

	if (attempt == NULL)
		return FALSE;
	return move (store, DS_MACHINE_ATTEMPT, "attempt", id_text,
		     attempt->trace_id, attempt->state, to, to, evidence,
		     "UPDATE attempts SET state = ?1,"
		     " tries = tries + (?1 = 'submitting'),"
		     " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		     " WHERE attempt_id = ?2", error);
}

gboolean
ds_attempt_report (DsStore *store, gint64 attempt_id, const char *to,
		   const char *evidence, gboolean *moved, GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (store, attempt_id,
							error);
	g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT,
						    attempt_id);
	g_autofree char *why = NULL;
	DsJournalEntry entry = {
		.object_kind = "attempt", .object_id = id_text,
		.evidence = evidence,
	};

	*moved = FALSE;
	if (attempt == NULL)
		return FALSE;
	switch (ds_state_judge_report (DS_MACHINE_ATTEMPT, attempt->state,
				       to)) {
	case DS_STATE_REPORT_MOVES:
		*moved = TRUE;
		return ds_attempt_move (store, attempt_id, to, evidence,
					error);
	case DS_STATE_REPORT_STALE:
		entry.trace_id = attempt->trace_id;
		entry.old_state = attempt->state;
		return journal_ignored (store, &entry, error);
	case DS_STATE_REPORT_REFUSED:
		break;
	}
	why = ds_state_refusal (DS_MACHINE_ATTEMPT, attempt->state, to);
	g_set_error (error, DS_ERROR, DS_ERROR_STATE, "attempt %s (%s %s): %s",
		     id_text, attempt->trace_id,
		     ds_channel_name (attempt->channel), why);
	return FALSE;
}

static gboolean
update_attempt (DsStore *store, const char *sql, gint64 attempt_id,
		const char *value, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_int64 (statement, 1, attempt_id);
	ds_store_bind_text (statement, 2, value);
	return run (store, statement, "update attempt", error);
}

gboolean
ds_attempt_set_batch (DsStore *store, gint64 attempt_id,
		      const char *batch_id, GError **error)
{
	return update_attempt (store, "UPDATE attempts SET batch_id = ?2"
			       " WHERE attempt_id = ?1", attempt_id,
			       batch_id, error);
}

gboolean
ds_attempt_set_provider_id (DsStore *store, gint64 attempt_id,
			    const char *provider_id, GError **error)
{
	return update_attempt (store, "UPDATE attempts SET provider_id = ?2"
			       " WHERE attempt_id = ?1", attempt_id,
			       provider_id, error);
}

gboolean
ds_attempt_find_by_provider_id (DsStore *store, const char *provider_id,
				gint64 *attempt_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT attempt_id FROM attempts WHERE provider_id = ?"
		" ORDER BY attempt_id DESC LIMIT 1", error);

	*attempt_id = 0;
	if (statement == NULL)
		return FALSE;
	ds_store_bind_text (statement, 1, provider_id);
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		*attempt_id = sqlite3_column_int64 (statement, 0);
		return TRUE;
	case SQLITE_DONE:
		return TRUE;
	default:
		return ds_store_fail (store, error, "provider id");
	}
}

gboolean
ds_attempt_set_next_try (DsStore *store, gint64 attempt_id,
			 const char *next_try_at, GError **error)
{
	return update_attempt (store, "UPDATE attempts SET next_try_at = ?2"
			       " WHERE attempt_id = ?1", attempt_id,
			       next_try_at, error);
}

static GArray *
attempt_ids (DsStore *store, sqlite3_stmt *statement, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	int step;

	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64 (statement, 0);

		g_array_append_val (ids, id);
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "attempts");
		return NULL;
	}
	return g_steal_pointer (&ids);
}

GArray *
ds_attempt_list_by_driver (DsStore *store, const char *driver,
			   const char *state, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT attempt_id FROM attempts WHERE driver = ?"
		" AND state = ? ORDER BY attempt_id", error);

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, driver);
	ds_store_bind_text (statement, 2, state);
	return attempt_ids (store, statement, error);
}

GArray *
ds_attempt_list_stale (DsStore *store, const char *state, const char *before,
		       GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT attempt_id FROM attempts WHERE state = ?"
		" AND updated_at < ? ORDER BY attempt_id", error);

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, state);
	ds_store_bind_text (statement, 2, before);
	return attempt_ids (store, statement, error);
}

GArray *
ds_attempt_list_due (DsStore *store, const char *now, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT attempt_id FROM attempts WHERE driver != 'print' AND"
		" (state = 'queued' OR (state = 'deferred' AND"
		"  (next_try_at IS NULL OR next_try_at <= ?)))"
		" ORDER BY attempt_id", error);

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, now);
	return attempt_ids (store, statement, error);
}

GPtrArray *
ds_document_list_for (DsStore *store, const char *id, GError **error)
{
	return list_strings (store,
		"SELECT trace_id FROM documents WHERE customer_id = ?1"
		" OR trace_id IN (SELECT trace_id FROM document_items"
		"  WHERE invoice_id = ?1)"
		" OR event_object IN ('promise:' || ?1, 'dispute:' || ?1,"
		"  'payment:' || ?1)"
		" ORDER BY as_of, created_at, trace_id", id, error);
}

DsDocument *
ds_document_last_sent (DsStore *store, const char *customer_id,
		       DsDate as_of, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT trace_id FROM documents WHERE customer_id = ?1"
		" AND as_of <= ?2 AND strategy <> 'event'"
		" AND channel <> 'call' AND state IN ('dispatched', 'closed')"
		" ORDER BY as_of DESC, created_at DESC, trace_id DESC"
		" LIMIT 1", error);
	g_autofree char *trace_id = NULL;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, customer_id);
	ds_store_bind_date (statement, 2, as_of);
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		trace_id = ds_store_column_text (statement, 0);
		return ds_document_get (store, trace_id, error);
	case SQLITE_DONE:
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: no dunning letter sent by then",
			     customer_id);
		return NULL;
	default:
		ds_store_fail (store, error, "last document");
		return NULL;
	}
}

GPtrArray *
ds_document_list_queue (DsStore *store, gboolean all, GError **error)
{
	return list_strings (store, all ?
		"SELECT trace_id FROM documents WHERE ?1 IS NULL"
		" ORDER BY as_of, trace_id" :
		"SELECT trace_id FROM documents WHERE ?1 IS NULL AND"
		" (state IN ('scheduled', 'rendered', 'validated', 'ready',"
		"  'held', 'action-required') OR trace_id IN"
		"  (SELECT trace_id FROM attempts WHERE state IN ('queued',"
		"   'submitting', 'deferred', 'unknown-outcome', 'held',"
		"   'cancel-requested')"
		"   OR (channel = 'fax' AND state = 'handed-off')))"
		" ORDER BY as_of, trace_id", NULL, error);
}

gint64
ds_document_count (DsStore *store)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT count(*) FROM documents", NULL);

	if (statement == NULL || sqlite3_step (statement) != SQLITE_ROW)
		return 0;
	return sqlite3_column_int64 (statement, 0);
}
