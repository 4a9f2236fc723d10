/*
 * trace.c -- trace, queue and verification output.  See trace.h.
 */
#include "trace.h"

#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "money.h"

GPtrArray *
ds_trace_resolve (DsStore *store, const char *id, GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (store, id, NULL);
	g_autoptr (GPtrArray) list = NULL;

	if (document != NULL) {
		list = g_ptr_array_new_with_free_func (g_free);
		g_ptr_array_add (list, g_strdup (id));
		return g_steal_pointer (&list);
	}
	list = ds_document_list_for (store, id, error);
	if (list == NULL)
		return NULL;
	if (list->len == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: no document, invoice or customer with "
			     "documents by that id", id);
		return NULL;
	}
	return g_steal_pointer (&list);
}

static const char *
or_dash (const char *text)
{
	return text != NULL ? text : "-";
}

static void
print_document (const DsDocument *document, FILE *out)
{
	g_autofree char *as_of = ds_date_to_iso (document->as_of);
	g_autofree char *total = ds_money_to_decimal (document->total,
						      document->currency);

	fprintf (out, "%s  customer=%s entity=%s step=%s channel=%s "
		 "state=%s\n", document->trace_id, document->customer_id,
		 document->entity_id, document->step,
		 ds_channel_name (document->channel), document->state);
	fprintf (out, "  as_of=%s total=%s %s pages=%d\n", as_of, total,
		 document->currency, document->pages);
	fprintf (out, "  pdf=%s sha256=%s\n", or_dash (document->pdf_path),
		 or_dash (document->pdf_sha256));
	if (document->reason != NULL)
		fprintf (out, "  reason: %s\n", document->reason);
	for (guint i = 0; i < document->items->len; i++) {
		DsDocumentItem *item = g_ptr_array_index (document->items,
							  i);
		g_autofree char *open = ds_money_to_decimal (
			item->open_amount, document->currency);
		g_autofree char *part = item->instalment > 0 ?
			g_strdup_printf ("#%d", item->instalment) :
			g_strdup ("");

		fprintf (out, "  item %s%s open=%s overdue=%dd\n",
			 item->invoice_id, part, open, item->days_overdue);
	}
}

static gboolean
print_one (DsStore *store, const char *trace_id, FILE *out,
	   GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   error);
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (GPtrArray) records = NULL;

	if (document == NULL)
		return FALSE;
	attempts = ds_attempt_list_for_trace (store, trace_id, error);
	records = attempts ? ds_journal_for_trace (store, trace_id, error)
			   : NULL;
	if (records == NULL)
		return FALSE;
	print_document (document, out);
	for (guint i = 0; i < attempts->len; i++) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);

		fprintf (out, "  attempt %" G_GINT64_FORMAT " %s/%s "
			 "state=%s tries=%d batch=%s provider=%s\n",
			 attempt->attempt_id,
			 ds_channel_name (attempt->channel), attempt->driver,
			 attempt->state, attempt->tries,
			 or_dash (attempt->batch_id),
			 or_dash (attempt->provider_id));
	}
	for (guint i = 0; i < records->len; i++) {
		DsJournalRecord *record = g_ptr_array_index (records, i);

		fprintf (out, "  %6" G_GINT64_FORMAT " %s %-9s %-3s %s "
			 "%s -> %s  %s  [%s]\n", record->seq, record->at,
			 record->object_kind, record->object_kind[0] == 'a' ?
			 record->object_id : "", record->event,
			 or_dash (record->old_state),
			 or_dash (record->new_state),
			 or_dash (record->evidence), record->actor);
	}
	fputc ('\n', out);
	return TRUE;
}

gboolean
ds_trace_print (DsStore *store, GPtrArray *trace_ids, FILE *out,
		GError **error)
{
	for (guint i = 0; i < trace_ids->len; i++)
		if (!print_one (store, g_ptr_array_index (trace_ids, i), out,
				error))
			return FALSE;
	return TRUE;
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name (builder, name);
	if (value == NULL)
		json_builder_add_null_value (builder);
	else
		json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_int_value (builder, value);
}

static void
document_members (JsonBuilder *builder, const DsDocument *document)
{
	g_autofree char *as_of = ds_date_to_iso (document->as_of);
	g_autofree char *total = ds_money_to_decimal (document->total,
						      document->currency);
	g_autofree char *deadline = document->deadline ?
		ds_date_to_iso (document->deadline) : NULL;

	add_string (builder, "trace_id", document->trace_id);
	add_string (builder, "customer_id", document->customer_id);
	add_string (builder, "entity_id", document->entity_id);
	add_string (builder, "step", document->step);
	add_string (builder, "channel", ds_channel_name (document->channel));
	add_string (builder, "state", document->state);
	add_string (builder, "as_of", as_of);
	add_string (builder, "total", total);
	add_string (builder, "currency", document->currency);
	add_string (builder, "deadline", deadline);
	add_int (builder, "pages", document->pages);
	add_string (builder, "pdf_path", document->pdf_path);
	add_string (builder, "pdf_sha256", document->pdf_sha256);
	add_string (builder, "reason", document->reason);
}

static void
items_json (JsonBuilder *builder, const DsDocument *document)
{
	json_builder_set_member_name (builder, "items");
	json_builder_begin_array (builder);
	for (guint i = 0; i < document->items->len; i++) {
		DsDocumentItem *item = g_ptr_array_index (document->items,
							  i);
		g_autofree char *open = ds_money_to_decimal (
			item->open_amount, document->currency);

		json_builder_begin_object (builder);
		add_string (builder, "invoice_id", item->invoice_id);
		if (item->instalment > 0)
			add_int (builder, "instalment", item->instalment);
		add_string (builder, "open", open);
		add_string (builder, "currency", document->currency);
		add_int (builder, "days_overdue", item->days_overdue);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
attempts_json (JsonBuilder *builder, GPtrArray *attempts)
{
	json_builder_set_member_name (builder, "attempts");
	json_builder_begin_array (builder);
	for (guint i = 0; i < attempts->len; i++) {
		DsAttempt *attempt = g_ptr_array_index (attempts, i);

		json_builder_begin_object (builder);
		add_int (builder, "attempt_id", attempt->attempt_id);
		add_string (builder, "channel",
			    ds_channel_name (attempt->channel));
		add_string (builder, "driver", attempt->driver);
		add_string (builder, "state", attempt->state);
		add_string (builder, "batch_id", attempt->batch_id);
		add_string (builder, "provider_id", attempt->provider_id);
		add_int (builder, "tries", attempt->tries);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
events_json (JsonBuilder *builder, GPtrArray *records)
{
	json_builder_set_member_name (builder, "events");
	json_builder_begin_array (builder);
	for (guint i = 0; i < records->len; i++) {
		DsJournalRecord *record = g_ptr_array_index (records, i);

		json_builder_begin_object (builder);
		add_int (builder, "seq", record->seq);
		add_string (builder, "at", record->at);
		add_string (builder, "actor", record->actor);
		add_string (builder, "object_kind", record->object_kind);
		add_string (builder, "object_id", record->object_id);
		add_string (builder, "event", record->event);
		add_string (builder, "old_state", record->old_state);
		add_string (builder, "new_state", record->new_state);
		add_string (builder, "evidence", record->evidence);
		add_string (builder, "hash", record->hash);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

gboolean
ds_trace_to_json (DsStore *store, GPtrArray *trace_ids,
		  JsonBuilder *builder, GError **error)
{
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "documents");
	json_builder_begin_array (builder);
	for (guint i = 0; i < trace_ids->len; i++) {
		const char *trace_id = g_ptr_array_index (trace_ids, i);
		g_autoptr (DsDocument) document = ds_document_get (
			store, trace_id, error);
		g_autoptr (GPtrArray) attempts = NULL;
		g_autoptr (GPtrArray) records = NULL;

		if (document == NULL ||
		    !(attempts = ds_attempt_list_for_trace (store, trace_id,
							    error)) ||
		    !(records = ds_journal_for_trace (store, trace_id,
						      error)))
			return FALSE;
		json_builder_begin_object (builder);
		document_members (builder, document);
		items_json (builder, document);
		attempts_json (builder, attempts);
		events_json (builder, records);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return TRUE;
}

/* The newest attempt of a document, or NULL. */
static DsAttempt *
last_attempt (GPtrArray *attempts)
{
	if (attempts->len == 0)
		return NULL;
	return g_ptr_array_index (attempts, attempts->len - 1);
}

gboolean
ds_queue_print (DsStore *store, GPtrArray *trace_ids, FILE *out,
		GError **error)
{
	fprintf (out, "%-12s %-10s %-10s %-8s %-10s %-16s %-16s\n",
		 "trace_id", "as_of", "customer", "step", "channel",
		 "document", "attempt");
	for (guint i = 0; i < trace_ids->len; i++) {
		const char *trace_id = g_ptr_array_index (trace_ids, i);
		g_autoptr (DsDocument) document = ds_document_get (
			store, trace_id, error);
		g_autoptr (GPtrArray) attempts = NULL;
		g_autofree char *as_of = NULL;
		DsAttempt *attempt;

		if (document == NULL ||
		    !(attempts = ds_attempt_list_for_trace (store, trace_id,
							    error)))
			return FALSE;
		as_of = ds_date_to_iso (document->as_of);
		attempt = last_attempt (attempts);
		fprintf (out, "%-12s %-10s %-10s %-8s %-10s %-16s %-16s\n",
			 trace_id, as_of, document->customer_id,
			 document->step,
			 ds_channel_name (attempt ? attempt->channel
						  : document->channel),
			 document->state, attempt ? attempt->state : "-");
	}
	return TRUE;
}

gboolean
ds_queue_to_json (DsStore *store, GPtrArray *trace_ids,
		  JsonBuilder *builder, GError **error)
{
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "documents");
	json_builder_begin_array (builder);
	for (guint i = 0; i < trace_ids->len; i++) {
		const char *trace_id = g_ptr_array_index (trace_ids, i);
		g_autoptr (DsDocument) document = ds_document_get (
			store, trace_id, error);
		g_autoptr (GPtrArray) attempts = NULL;
		DsAttempt *attempt;

		if (document == NULL ||
		    !(attempts = ds_attempt_list_for_trace (store, trace_id,
							    error)))
			return FALSE;
		attempt = last_attempt (attempts);
		json_builder_begin_object (builder);
		document_members (builder, document);
		if (attempt != NULL) {
			/* the channel actually in use, after escalation */
			add_string (builder, "channel",
				    ds_channel_name (attempt->channel));
			add_string (builder, "attempt_state",
				    attempt->state);
		}
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return TRUE;
}

static gboolean
verify_pdfs (DsStore *store, FILE *out, char **first_bad)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT trace_id, pdf_path, pdf_sha256 FROM documents"
		" WHERE pdf_path IS NOT NULL ORDER BY trace_id", NULL);
	gboolean intact = TRUE;

	if (statement == NULL)
		return FALSE;
	while (sqlite3_step (statement) == SQLITE_ROW) {
		const char *trace_id = (const char *)
			sqlite3_column_text (statement, 0);
		g_autofree char *path = ds_store_column_path (store,
							      statement, 1);
		const char *recorded = (const char *)
			sqlite3_column_text (statement, 2);
		g_autofree char *contents = NULL;
		g_autofree char *sha256 = NULL;
		gsize length;

		if (g_file_get_contents (path, &contents, &length, NULL))
			sha256 = g_compute_checksum_for_data (
				G_CHECKSUM_SHA256, (guchar *) contents,
				length);
		if (g_strcmp0 (sha256, recorded) == 0)
			continue;
		fprintf (out, "%s: %s %s\n", trace_id, path,
			 sha256 ? "altered: SHA-256 differs" : "missing");
		if (intact)
			*first_bad = g_strdup (path);
		intact = FALSE;
	}
	return intact;
}

/*
 * The stored e-mails (TRACE.eml beside the PDF), against the SHA-256
 * the journal recorded when each was composed (its last "composed"
 * record): the bytes handed to the relay are the bytes validated.
 */
static gboolean
verify_messages (DsStore *store, FILE *out, char **first_bad)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.trace_id, d.pdf_path, j.evidence FROM documents d"
		" JOIN journal j ON j.seq = (SELECT MAX (seq) FROM journal"
		"  WHERE trace_id = d.trace_id AND event = 'composed')"
		" WHERE d.pdf_path IS NOT NULL ORDER BY d.trace_id", NULL);
	gboolean intact = TRUE;

	if (statement == NULL)
		return FALSE;
	while (sqlite3_step (statement) == SQLITE_ROW) {
		const char *trace_id = (const char *)
			sqlite3_column_text (statement, 0);
		g_autofree char *pdf = ds_store_column_path (store, statement,
							     1);
		g_autofree char *directory = g_path_get_dirname (pdf);
		g_autofree char *name = g_strdup_printf ("%s.eml", trace_id);
		g_autofree char *path = g_build_filename (directory, name,
							  NULL);
		const char *evidence = (const char *)
			sqlite3_column_text (statement, 2);
		char recorded[65] = "";
		g_autofree char *contents = NULL;
		g_autofree char *sha256 = NULL;
		gsize length;

		if (evidence != NULL)
			sscanf (evidence, "message sha256=%64[0-9a-f]",
				recorded);
		if (g_file_get_contents (path, &contents, &length, NULL))
			sha256 = g_compute_checksum_for_data (
				G_CHECKSUM_SHA256, (guchar *) contents,
				length);
		if (g_strcmp0 (sha256, recorded) == 0)
			continue;
		fprintf (out, "%s: %s %s\n", trace_id, path,
			 sha256 ? "altered: SHA-256 differs" : "missing");
		if (intact && *first_bad == NULL)
			*first_bad = g_strdup (path);
		intact = FALSE;
	}
	return intact;
}

/* "verification failed: " and what failed, joined by "; ". */
static gboolean
verify_failed (const char *chain, const char *anchors,
	       const char *bad_file, GError **error)
{
	g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *joined = NULL;

	if (chain != NULL)
		g_ptr_array_add (parts, g_strdup (chain));
	if (anchors != NULL)
		g_ptr_array_add (parts, g_strdup (anchors));
	if (bad_file != NULL)
		g_ptr_array_add (parts, g_strdup_printf (
			"first altered file: %s", bad_file));
	g_ptr_array_add (parts, NULL);
	joined = g_strjoinv ("; ", (char **) parts->pdata);
	g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
		     "verification failed: %s", joined);
	return FALSE;
}

/*
 * The chain proves that no record was changed or taken out before the
 * last one; the anchors (journal.h), written outside the database at
 * the end of every cycle, prove that none was cut off the end.
 */
gboolean
ds_trace_verify (DsStore *store, const char *anchor_path, FILE *out,
		 GError **error)
{
	g_autoptr (GError) chain = NULL;
	g_autoptr (GError) anchoring = NULL;
	g_autofree char *bad_file = NULL;
	g_autofree char *head = NULL;
	gint64 records = 0, bad_seq = 0, head_seq = 0;
	gint64 anchors = 0, anchored_seq = 0;
	gboolean chain_ok = ds_journal_verify (store, &records, &bad_seq,
					       &chain);
	gboolean anchors_ok = anchor_path == NULL ||
		ds_journal_check_anchors (store, anchor_path, &anchors,
					  &anchored_seq, &anchoring);
	gboolean pdfs_ok = verify_pdfs (store, out, &bad_file);
	gboolean files_ok = verify_messages (store, out, &bad_file) &&
			    pdfs_ok;

	ds_journal_head (store, &head_seq, &head, NULL);
	if (!chain_ok)
		fprintf (out, "journal: %s\n", chain->message);
	else
		fprintf (out, "journal: %" G_GINT64_FORMAT " records, chain "
			 "intact; head %" G_GINT64_FORMAT " %s\n", records,
			 head_seq, head ? head : "-");
	if (!anchors_ok)
		fprintf (out, "anchors: %s\n", anchoring->message);
	else if (anchor_path != NULL)
		fprintf (out, "anchors: %" G_GINT64_FORMAT " in %s match, "
			 "the last at record %" G_GINT64_FORMAT "\n",
			 anchors, anchor_path, anchored_seq);
	if (chain_ok && anchors_ok && files_ok)
		return TRUE;
	return verify_failed (chain_ok ? NULL : chain->message,
			      anchors_ok ? NULL : anchoring->message,
			      files_ok ? NULL : bad_file, error);
}
