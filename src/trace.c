/*
 * trace.c -- trace, queue and verification output.  See trace.h.
 */
#include "trace.h"

#include <string.h>

#include "batch.h"
#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "money.h"
#include "spool.h"

/* The trace ids of the letters in print batch ID, in order. */
static GPtrArray *
documents_of_batch (DsStore *store, const char *id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT DISTINCT trace_id FROM attempts WHERE batch_id = ?"
		" ORDER BY trace_id", error);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
	int step;

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, id);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (list, ds_store_column_text (statement, 0));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "attempts");
		return NULL;
	}
	return g_steal_pointer (&list);
}

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
	if (list != NULL && list->len == 0) {
		g_ptr_array_unref (list);
		list = documents_of_batch (store, id, error);
	}
	if (list == NULL)
		return NULL;
	if (list->len == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: no document, invoice, customer or print "
			     "batch with documents by that id", id);
		return NULL;
	}
	return g_steal_pointer (&list);
}

void
ds_trace_story_free (DsTraceStory *story)
{
	if (story == NULL)
		return;
	g_free (story->id);
	if (story->trace_ids != NULL)
		g_ptr_array_unref (story->trace_ids);
	if (story->records != NULL)
		g_ptr_array_unref (story->records);
	g_free (story);
}

/*
 * The records about ?1 as trace.h lists them.  The objects first, each
 * found through the journal's (object_kind, object_id) index; then the
 * decisions to wait on an invoice, whose record names the decision's
 * key ("key=KEY step=...") and whose decision row lists the invoices.
 */
static const char records_about_sql[] =
	"WITH objects (kind, id) AS ("
	"  VALUES ('invoice', ?1), ('customer', ?1), ('promise', ?1),"
	"  ('dispute', ?1), ('payment', ?1), ('batch', ?1)"
	" UNION SELECT 'invoice', invoice_id FROM invoices"
	"  WHERE customer_id = ?1"
	" UNION SELECT 'promise', promise_id FROM promises"
	"  WHERE customer_id = ?1 OR invoice_id = ?1"
	" UNION SELECT 'dispute', d.invoice_id || '@' || d.opened"
	"  FROM disputes d JOIN invoices i USING (invoice_id)"
	"  WHERE i.invoice_id = ?1 OR i.customer_id = ?1"
	" UNION SELECT 'payment', payment_id FROM payments"
	"  WHERE customer_id = ?1 OR invoice_id = ?1)"
	" SELECT " DS_JOURNAL_COLUMNS " FROM objects o"
	" JOIN journal j ON j.object_kind = o.kind AND j.object_id = o.id"
	" UNION"
	" SELECT " DS_JOURNAL_COLUMNS " FROM invoices i"
	" JOIN journal j ON j.object_kind = 'customer'"
	"  AND j.object_id = i.customer_id"
	" WHERE i.invoice_id = ?1 AND j.event = 'decided'"
	" AND j.trace_id IS NULL AND EXISTS (SELECT 1"
	"  FROM policy_decisions pd JOIN policy_decision_items pi"
	"  ON pi.decision_id = pd.decision_id AND pi.invoice_id = ?1"
	"  WHERE pd.idempotency_key = substr (j.evidence, 5,"
	"   instr (j.evidence, ' step=') - 5))"
	" ORDER BY 1";

/* The records about ID that are none of TRACE_IDS' own. */
static GPtrArray *
records_beside (DsStore *store, const char *id, GPtrArray *trace_ids,
		GError **error)
{
	g_autoptr (GPtrArray) records = ds_journal_select (
		store, records_about_sql, id, error);
	g_autoptr (GHashTable) told = g_hash_table_new (g_str_hash,
							g_str_equal);

	if (records == NULL)
		return NULL;
	for (guint i = 0; i < trace_ids->len; i++)
		g_hash_table_add (told, trace_ids->pdata[i]);
	for (guint i = records->len; i-- > 0;) {
		const DsJournalRecord *record = records->pdata[i];

		if (record->trace_id != NULL &&
		    g_hash_table_contains (told, record->trace_id))
			g_ptr_array_remove_index (records, i);
	}
	return g_steal_pointer (&records);
}

DsTraceStory *
ds_trace_story (DsStore *store, const char *id, GError **error)
{
	g_autoptr (DsTraceStory) story = g_new0 (DsTraceStory, 1);
	g_autoptr (GError) missing = NULL;

	story->id = g_strdup (id);
	story->trace_ids = ds_trace_resolve (store, id, &missing);
	if (story->trace_ids == NULL) {
		if (!g_error_matches (missing, DS_ERROR, DS_ERROR_NOT_FOUND)) {
			g_propagate_error (error, g_steal_pointer (&missing));
			return NULL;
		}
		story->trace_ids = g_ptr_array_new_with_free_func (g_free);
	}
	story->records = records_beside (store, id, story->trace_ids, error);
	if (story->records == NULL)
		return NULL;
	if (story->trace_ids->len == 0 && story->records->len == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: no document, and no journal record about "
			     "an invoice, customer, promise, dispute, "
			     "payment or print batch, by that id", id);
		return NULL;
	}
	return g_steal_pointer (&story);
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

/* One record on one line; the object's id where it says more. */
static void
print_record (const DsJournalRecord *record, gboolean with_id, FILE *out)
{
	fprintf (out, "  %6" G_GINT64_FORMAT " %s %-9s %-3s %s %s -> %s  "
		 "%s  [%s]\n", record->seq, record->at, record->object_kind,
		 with_id ? record->object_id : "", record->event,
		 or_dash (record->old_state), or_dash (record->new_state),
		 or_dash (record->evidence), record->actor);
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

		/* a document's own records need not repeat its id */
		print_record (record, strcmp (record->object_kind,
					      "document") != 0, out);
	}
	fputc ('\n', out);
	return TRUE;
}

gboolean
ds_trace_print (DsStore *store, const DsTraceStory *story, FILE *out,
		GError **error)
{
	GPtrArray *records = story->records;

	for (guint i = 0; i < story->trace_ids->len; i++)
		if (!print_one (store, g_ptr_array_index (story->trace_ids, i),
				out, error))
			return FALSE;
	if (records == NULL || records->len == 0)
		return TRUE;
	if (story->trace_ids->len == 0)
		fprintf (out, "journal records about %s:\n", story->id);
	else
		fprintf (out, "journal records about %s that belong to none "
			 "of the documents above:\n", story->id);
	for (guint i = 0; i < records->len; i++)
		print_record (g_ptr_array_index (records, i), TRUE, out);
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
ds_trace_to_json (DsStore *store, const DsTraceStory *story,
		  JsonBuilder *builder, GError **error)
{
	g_autoptr (GPtrArray) none = g_ptr_array_new ();

	json_builder_begin_object (builder);
	add_string (builder, "id", story->id);
	json_builder_set_member_name (builder, "documents");
	json_builder_begin_array (builder);
	for (guint i = 0; i < story->trace_ids->len; i++) {
		const char *trace_id = g_ptr_array_index (story->trace_ids,
							  i);
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
	/* the records about the id that are no document's */
	events_json (builder, story->records ? story->records : none);
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

/* -- verification ------------------------------------------------------ */

/* What the file checks found; each problem is printed as it is found. */
typedef struct {
	FILE *out;
	gboolean intact;
	char *first_bad;	/* the first altered or missing file */
	gint64 pdfs;		/* document PDFs intact */
	gint64 messages;	/* stored e-mails intact */
	gint64 batch_files;	/* batch PDFs and manifests intact */
	gint64 removed;		/* batch files taken away after printing */
	gint64 unrecorded;	/* manifests whose hash was never recorded */
} FileCheck;

static void
file_fault (FileCheck *check, const char *owner, const char *path,
	    const char *what)
{
	fprintf (check->out, "%s: %s %s\n", owner, path, what);
	if (check->first_bad == NULL)
		check->first_bad = g_strdup (path);
	check->intact = FALSE;
}

/* PATH against RECORDED; counted in *INTACT when it matches. */
static void
check_file (FileCheck *check, const char *owner, const char *path,
	    const char *recorded, gint64 *intact)
{
	g_autofree char *sha256 = ds_spool_file_sha256 (path, NULL);

	if (sha256 != NULL && g_strcmp0 (sha256, recorded) == 0)
		(*intact)++;
	else
		file_fault (check, owner, path, sha256 != NULL ?
			    "altered: SHA-256 differs" : "missing");
}

/* The value of KEY among EVIDENCE's "KEY=VALUE" words, or NULL. */
static char *
evidence_value (const char *evidence, const char *key)
{
	g_auto (GStrv) words = g_strsplit (evidence ? evidence : "", " ",
					   -1);
	gsize length = strlen (key);

	for (char **word = words; *word != NULL; word++)
		if (strncmp (*word, key, length) == 0 &&
		    (*word)[length] == '=')
			return g_strdup (*word + length + 1);
	return NULL;
}

/*
 * The stored PDFs, against the SHA-256 of each one's last "rendered"
 * record; the documents table must hold the same (it is what `trace`
 * shows, and the chain does not vouch for it).
 */
static gboolean
verify_pdfs (DsStore *store, FileCheck *check, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.trace_id, d.pdf_path, d.pdf_sha256, j.evidence"
		" FROM documents d LEFT JOIN journal j ON j.seq ="
		" (SELECT MAX (seq) FROM journal"
		"  WHERE trace_id = d.trace_id AND event = 'rendered')"
		" WHERE d.pdf_path IS NOT NULL ORDER BY d.trace_id", error);
	int step;

	if (statement == NULL)
		return FALSE;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *trace_id = (const char *)
			sqlite3_column_text (statement, 0);
		g_autofree char *path = ds_store_column_path (store,
							      statement, 1);
		const char *kept = (const char *)
			sqlite3_column_text (statement, 2);
		g_autofree char *recorded = evidence_value (
			(const char *) sqlite3_column_text (statement, 3),
			"sha256");

		if (recorded == NULL)
			file_fault (check, trace_id, path, "has no "
				    "\"rendered\" record with its SHA-256 in "
				    "the journal");
		else if (g_strcmp0 (kept, recorded) != 0)
			file_fault (check, trace_id, path, "has a SHA-256 in "
				    "the documents table that is not its "
				    "journal record's");
		check_file (check, trace_id, path, recorded, &check->pdfs);
	}
	return step == SQLITE_DONE ||
	       ds_store_fail (store, error, "verify documents");
}

/*
 * The stored e-mails (TRACE.eml beside the PDF), against the SHA-256
 * the journal recorded when each was composed (its last "composed"
 * record): the bytes handed to the relay are the bytes validated.
 */
static gboolean
verify_messages (DsStore *store, FileCheck *check, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT d.trace_id, d.pdf_path, j.evidence FROM documents d"
		" JOIN journal j ON j.seq = (SELECT MAX (seq) FROM journal"
		"  WHERE trace_id = d.trace_id AND event = 'composed')"
		" WHERE d.pdf_path IS NOT NULL ORDER BY d.trace_id", error);
	int step;

	if (statement == NULL)
		return FALSE;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *trace_id = (const char *)
			sqlite3_column_text (statement, 0);
		g_autofree char *pdf = ds_store_column_path (store, statement,
							     1);
		g_autofree char *directory = g_path_get_dirname (pdf);
		g_autofree char *name = g_strdup_printf ("%s.eml", trace_id);
		g_autofree char *path = g_build_filename (directory, name,
							  NULL);
		g_autofree char *recorded = evidence_value (
			(const char *) sqlite3_column_text (statement, 2),
			"sha256");

		check_file (check, trace_id, path, recorded,
			    &check->messages);
	}
	return step == SQLITE_DONE ||
	       ds_store_fail (store, error, "verify e-mails");
}

/*
 * One of a batch's files against the hash its "created" record holds
 * (RECORDED) and the one its row keeps (KEPT; NULL: none kept).
 * PRINTED: the journal has the batch printed, so the mailroom may have
 * taken the file away.
 */
static void
check_batch_file (FileCheck *check, const char *batch_id,
		  const char *path, const char *recorded, const char *kept,
		  gboolean printed)
{
	g_autofree char *hidden = NULL;
	g_autofree char *sha256 = ds_spool_file_sha256 (path, NULL);
	const char *read = path;

	if (kept != NULL && g_strcmp0 (kept, recorded) != 0)
		file_fault (check, batch_id, path, "has a SHA-256 in the "
			    "batches table that is not its journal "
			    "record's");
	if (sha256 == NULL) {
		hidden = ds_batch_hidden_path (path);
		sha256 = ds_spool_file_sha256 (hidden, NULL);
		read = hidden;
	}
	if (sha256 == NULL && printed) {
		fprintf (check->out, "%s: %s gone after printing: not "
			 "checked\n", batch_id, path);
		check->removed++;
	} else if (sha256 == NULL) {
		file_fault (check, batch_id, path, "missing (the batch is "
			    "not printed yet)");
	} else if (strcmp (sha256, recorded) != 0) {
		file_fault (check, batch_id, read,
			    "altered: SHA-256 differs");
	} else {
		check->batch_files++;
		if (read != path)
			fprintf (check->out, "%s: %s intact, not named yet: "
				 "the next batch run names it\n", batch_id,
				 read);
	}
}

/*
 * The print batches: each one's PDF and manifest against its "created"
 * record (its first).  Printed means a "printed" or "posted" record in
 * the journal, not the state in the batches table, which the chain
 * does not vouch for.
 */
static gboolean
verify_batches (DsStore *store, FileCheck *check, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT b.batch_id, b.pdf_path, b.pdf_sha256,"
		" b.manifest_path, b.manifest_sha256, j.evidence,"
		" EXISTS (SELECT 1 FROM journal p WHERE p.object_kind ="
		"  'batch' AND p.object_id = b.batch_id"
		"  AND p.event IN ('printed', 'posted'))"
		" FROM batches b LEFT JOIN journal j ON j.seq ="
		" (SELECT MIN (seq) FROM journal WHERE object_kind = 'batch'"
		"  AND object_id = b.batch_id AND event = 'created')"
		" ORDER BY b.day, b.batch_id", error);
	int step;

	if (statement == NULL)
		return FALSE;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		const char *batch_id = (const char *)
			sqlite3_column_text (statement, 0);
		g_autofree char *pdf = ds_store_column_path (store,
							     statement, 1);
		g_autofree char *manifest = ds_store_column_path (
			store, statement, 3);
		const char *evidence = (const char *)
			sqlite3_column_text (statement, 5);
		g_autofree char *pdf_sha256 = evidence_value (evidence,
							      "sha256");
		g_autofree char *manifest_sha256 = evidence_value (
			evidence, "manifest_sha256");
		gboolean printed = sqlite3_column_int (statement, 6);

		if (pdf_sha256 == NULL) {
			file_fault (check, batch_id, pdf, "has no \"created\" "
				    "record with its SHA-256 in the journal");
			continue;
		}
		check_batch_file (check, batch_id, pdf, pdf_sha256,
				  (const char *) sqlite3_column_text (
					  statement, 2), printed);
		if (manifest_sha256 == NULL)
			check->unrecorded++;
		else
			check_batch_file (check, batch_id, manifest,
					  manifest_sha256,
					  (const char *) sqlite3_column_text (
						  statement, 4), printed);
	}
	return step == SQLITE_DONE ||
	       ds_store_fail (store, error, "verify batches");
}

static void
print_files (const FileCheck *check)
{
	fprintf (check->out, "files: %" G_GINT64_FORMAT " document PDFs, %"
		 G_GINT64_FORMAT " e-mails, %" G_GINT64_FORMAT " batch "
		 "files intact", check->pdfs, check->messages,
		 check->batch_files);
	if (check->removed > 0)
		fprintf (check->out, "; %" G_GINT64_FORMAT " batch files "
			 "gone after printing", check->removed);
	if (check->unrecorded > 0)
		fprintf (check->out, "; %" G_GINT64_FORMAT " manifests "
			 "without a recorded hash, not checked",
			 check->unrecorded);
	fputc ('\n', check->out);
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
			"first altered or missing file: %s", bad_file));
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
	g_autofree char *head = NULL;
	FileCheck files = { .out = out, .intact = TRUE };
	gint64 records = 0, bad_seq = 0, head_seq = 0;
	gint64 anchors = 0, anchored_seq = 0;
	gboolean chain_ok = ds_journal_verify (store, &records, &bad_seq,
					       &chain);
	gboolean anchors_ok = anchor_path == NULL ||
		ds_journal_check_anchors (store, anchor_path, &anchors,
					  &anchored_seq, &anchoring);
	gboolean checked = verify_pdfs (store, &files, error) &&
			   verify_messages (store, &files, error) &&
			   verify_batches (store, &files, error);
	gboolean intact;

	if (!checked) {
		g_free (files.first_bad);
		return FALSE;
	}
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
	print_files (&files);
	intact = chain_ok && anchors_ok && files.intact;
	if (!intact)
		verify_failed (chain_ok ? NULL : chain->message,
			       anchors_ok ? NULL : anchoring->message,
			       files.first_bad, error);
	g_free (files.first_bad);
	return intact;
}
