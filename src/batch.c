/*
 * batch.c -- build and confirm print batches.  See batch.h.
 *
 * The batch PDF is made by concatenating the stored, validated PDFs with
 * qpdf's page selection (qpdf --empty --pages): what the mailroom prints
 * is what was checked, in a file qpdf writes without a warning.
 */
#define G_LOG_DOMAIN "dunspool-batch"

#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "log.h"
#include "production.h"
#include "spool.h"
#include "states.h"

typedef struct {
	gint64 attempt_id;
	char *trace_id;
	char *entity_id;
	char *customer_id;
	char *country;
	char *postal_code;
	char *pdf_path;
	int pages;
	gboolean registered;
} Letter;

static void
letter_free (Letter *letter)
{
	g_free (letter->trace_id);
	g_free (letter->entity_id);
	g_free (letter->customer_id);
	g_free (letter->country);
	g_free (letter->postal_code);
	g_free (letter->pdf_path);
	g_free (letter);
}

void
ds_batch_free (DsBatch *batch)
{
	if (batch == NULL)
		return;
	g_free (batch->batch_id);
	g_free (batch->entity_id);
	g_free (batch->state);
	g_free (batch->pdf_path);
	g_free (batch->manifest_path);
	g_free (batch);
}

/* Queued print attempts, in postage order within each entity. */
static GPtrArray *
queued_letters (DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT a.attempt_id, a.trace_id, d.entity_id, d.customer_id,"
		" c.country, coalesce (c.postal_code, ''), d.pdf_path,"
		" d.pages, a.channel = 'registered'"
		" FROM attempts a JOIN documents d USING (trace_id)"
		" JOIN customers c ON c.customer_id = d.customer_id"
		" WHERE a.state = 'queued' AND a.driver = 'print'"
		" ORDER BY d.entity_id, c.country, c.postal_code,"
		" a.trace_id", error);
	g_autoptr (GPtrArray) letters = g_ptr_array_new_with_free_func (
		(GDestroyNotify) letter_free);
	int step;

	if (statement == NULL)
		return NULL;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		Letter *letter = g_new0 (Letter, 1);

		letter->attempt_id = sqlite3_column_int64 (statement, 0);
		letter->trace_id = ds_store_column_text (statement, 1);
		letter->entity_id = ds_store_column_text (statement, 2);
		letter->customer_id = ds_store_column_text (statement, 3);
		letter->country = ds_store_column_text (statement, 4);
		letter->postal_code = ds_store_column_text (statement, 5);
		letter->pdf_path = ds_store_column_path (store, statement, 6);
		letter->pages = sqlite3_column_int (statement, 7);
		letter->registered = sqlite3_column_int (statement, 8);
		g_ptr_array_add (letters, letter);
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "queued letters");
		return NULL;
	}
	return g_steal_pointer (&letters);
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static void
append_field (GString *line, const char *value, gboolean last)
{
	if (strpbrk (value, ",\"\r\n") == NULL) {
		g_string_append (line, value);
	} else {
		g_string_append_c (line, '"');
		for (const char *p = value; *p != '\0'; p++) {
			if (*p == '"')
				g_string_append_c (line, '"');
			g_string_append_c (line, *p);
		}
		g_string_append_c (line, '"');
	}
	g_string_append (line, last ? "\r\n" : ",");
}

static GBytes *
manifest (GPtrArray *letters, guint first, guint end)
{
	GString *text = g_string_new ("sequence,trace_id,customer_id,"
				      "country,postal_code,first_page,pages,"
				      "registered\r\n");
	int page = 1;

	for (guint i = first; i < end; i++) {
		Letter *letter = g_ptr_array_index (letters, i);
		g_autofree char *sequence = g_strdup_printf ("%u",
							     i - first + 1);
		g_autofree char *first_page = g_strdup_printf ("%d", page);
		g_autofree char *pages = g_strdup_printf ("%d",
							  letter->pages);

		append_field (text, sequence, FALSE);
		append_field (text, letter->trace_id, FALSE);
		append_field (text, letter->customer_id, FALSE);
		append_field (text, letter->country, FALSE);
		append_field (text, letter->postal_code, FALSE);
		append_field (text, first_page, FALSE);
		append_field (text, pages, FALSE);
		append_field (text, letter->registered ? "yes" : "no", TRUE);
		page += letter->pages;
	}
	return g_string_free_to_bytes (text);
}

/*
 * Concatenate the stored PDFs into TARGET with qpdf.  A warning (exit
 * 3) fails too: the inputs are our own, validated, and should give
 * none.
 */
static gboolean
unite (GPtrArray *letters, guint first, guint end, const char *target,
       GError **error)
{
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	g_autofree char *contents = NULL;
	gsize length;
	int status;

	if (end - first == 1) {
		Letter *letter = g_ptr_array_index (letters, first);

		return g_file_get_contents (letter->pdf_path, &contents,
					    &length, error) &&
		       g_file_set_contents_full (target, contents, length,
			       G_FILE_SET_CONTENTS_CONSISTENT, 0640, error);
	}
	g_ptr_array_add (argv, "qpdf");
	g_ptr_array_add (argv, "--empty");
	g_ptr_array_add (argv, "--pages");
	for (guint i = first; i < end; i++)
		g_ptr_array_add (argv, ((Letter *) g_ptr_array_index (
			letters, i))->pdf_path);
	g_ptr_array_add (argv, "--");
	g_ptr_array_add (argv, (char *) target);
	g_ptr_array_add (argv, NULL);
	if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
			   G_SPAWN_SEARCH_PATH |
			   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			   NULL, &status, error) ||
	    !g_spawn_check_wait_status (status, error)) {
		g_prefix_error (error, "qpdf: ");
		return FALSE;
	}
	return TRUE;
}

static gboolean
insert_batch (DsStore *store, const DsBatch *batch, const char *sha256,
	      const char *manifest_sha256, GError **error)
{
	g_autofree char *now = ds_time_now_utc_iso ();
	g_autofree char *day = ds_date_to_iso (batch->day);
	g_autofree char *pdf = ds_store_stored_path (store, batch->pdf_path);
	g_autofree char *manifest = ds_store_stored_path (
		store, batch->manifest_path);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"INSERT INTO batches (batch_id, entity_id, day, state,"
		" pdf_path, manifest_path, pdf_sha256, manifest_sha256,"
		" documents, pages, created_at)"
		" VALUES (?,?,?,'created',?,?,?,?,?,?,?)", error);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, batch->batch_id, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, batch->entity_id, -1,
			   SQLITE_STATIC);
	sqlite3_bind_text (statement, 3, day, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 4, pdf, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 5, manifest, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 6, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 7, manifest_sha256, -1,
			   SQLITE_STATIC);
	sqlite3_bind_int (statement, 8, batch->documents);
	sqlite3_bind_int (statement, 9, batch->pages);
	sqlite3_bind_text (statement, 10, now, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "insert batch");
	return TRUE;
}

/* A batch id not used yet: ENTITY-YYYYMMDD-N. */
static char *
new_batch_id (DsStore *store, const char *entity_id, DsDate day)
{
	int year, month, date;
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT count(*) FROM batches WHERE entity_id = ?"
		" AND day = ?", NULL);
	g_autofree char *iso = ds_date_to_iso (day);
	int used = 0;

	ds_date_to_ymd (day, &year, &month, &date);
	if (statement != NULL) {
		sqlite3_bind_text (statement, 1, entity_id, -1,
				   SQLITE_STATIC);
		sqlite3_bind_text (statement, 2, iso, -1, SQLITE_STATIC);
		if (sqlite3_step (statement) == SQLITE_ROW)
			used = sqlite3_column_int (statement, 0);
	}
	return g_strdup_printf ("%s-%04d%02d%02d-%d", entity_id, year, month,
				date, used + 1);
}

/* -- files before and after the record ----------------------------------
 *
 * A batch's files are written under hidden names (".BATCH.pdf",
 * ".BATCH.csv": the mailroom never looks at dot-names) and given their
 * real names only after the batch and its letters are committed.  So a
 * process killed in between leaves either hidden files of a batch never
 * recorded, whose letters are still queued, or hidden files of a
 * recorded batch; the next batch run removes the first and names the
 * second.  The mailroom can never find a batch whose letters will be
 * batched again.
 */

char *
ds_batch_hidden_path (const char *path)
{
	g_autofree char *directory = g_path_get_dirname (path);
	g_autofree char *name = g_path_get_basename (path);
	g_autofree char *hidden = g_strconcat (".", name, NULL);

	return g_build_filename (directory, hidden, NULL);
}

static gboolean
sync_directory (const char *directory, GError **error)
{
	int fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean ok = fd >= 0 && fsync (fd) == 0;

	if (fd >= 0)
		close (fd);
	if (!ok)
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: fsync: %s", directory, g_strerror (errno));
	return ok;
}

/* HIDDEN to PATH, never replacing a file there. */
static gboolean
reveal (const char *hidden, const char *path, GError **error)
{
	if (link (hidden, path) != 0 && errno != EEXIST) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: %s", path, g_strerror (errno));
		return FALSE;
	}
	g_unlink (hidden);
	return TRUE;
}

static gboolean
batch_recorded (DsStore *store, const char *batch_id)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT 1 FROM batches WHERE batch_id = ?", NULL);

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, batch_id, -1, SQLITE_STATIC);
	return sqlite3_step (statement) == SQLITE_ROW;
}

/* What an interrupted run left in outgoing/print: named or removed. */
static gboolean
settle_hidden (DsInstance *instance, GError **error)
{
	g_autofree char *directory = ds_instance_spool_path (
		instance, "outgoing/print");
	g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const char *entry;

	while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
		if (entry[0] == '.' && (g_str_has_suffix (entry, ".pdf") ||
					g_str_has_suffix (entry, ".csv")))
			g_ptr_array_add (names, g_strdup (entry));
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *batch_id = g_strndup (name + 1,
						       strlen (name) - 5);
		g_autofree char *hidden = g_build_filename (directory, name,
							    NULL);
		g_autofree char *path = g_build_filename (directory, name + 1,
							  NULL);

		if (!batch_recorded (instance->store, batch_id)) {
			g_message ("%s: removed, its batch was never "
				   "recorded", hidden);
			g_unlink (hidden);
		} else if (!reveal (hidden, path, error)) {
			return FALSE;
		}
	}
	return names->len == 0 || sync_directory (directory, error);
}

/*
 * The batch row, its "created" record and its letters handed off, in
 * one transaction.  The record's evidence holds both files' SHA-256 as
 * written ("sha256=" the PDF's, "manifest_sha256=" the manifest's),
 * which is what `trace --verify` checks them against.
 */
static gboolean
record_batch (DsInstance *instance, DsBatch *batch, GPtrArray *letters,
	      guint first, guint end, GError **error)
{
	DsStore *store = instance->store;
	g_autofree char *hidden_pdf = ds_batch_hidden_path (
		batch->pdf_path);
	g_autofree char *hidden_csv = ds_batch_hidden_path (
		batch->manifest_path);
	g_autofree char *sha256 = ds_spool_file_sha256 (hidden_pdf, error);
	g_autofree char *manifest_sha256 = NULL;
	g_autofree char *evidence = NULL;
	DsJournalEntry entry = {
		.object_kind = "batch", .object_id = batch->batch_id,
		.event = "created", .new_state = "created",
	};

	if (sha256 == NULL ||
	    (manifest_sha256 = ds_spool_file_sha256 (hidden_csv, error)) == NULL)
		return FALSE;
	evidence = g_strdup_printf ("documents=%d pages=%d sha256=%s "
				    "manifest_sha256=%s", batch->documents,
				    batch->pages, sha256, manifest_sha256);
	entry.evidence = evidence;
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!insert_batch (store, batch, sha256, manifest_sha256, error) ||
	    !ds_journal_append (store, &entry, error))
		goto fail;
	for (guint i = first; i < end; i++) {
		Letter *letter = g_ptr_array_index (letters, i);
		g_autofree char *note = g_strdup_printf ("batch %s",
							 batch->batch_id);

		if (!ds_attempt_set_batch (store, letter->attempt_id,
					   batch->batch_id, error) ||
		    !ds_attempt_move (store, letter->attempt_id,
				      "submitting", note, error) ||
		    !ds_attempt_move (store, letter->attempt_id,
				      "handed-off", note, error))
			goto fail;
	}
	return ds_store_commit (store, error);

fail:
	ds_store_rollback (store);
	return FALSE;
}

static gboolean
build_one (DsInstance *instance, DsDate day, GPtrArray *letters,
	   guint first, guint end, GError **error)
{
	g_autoptr (DsBatch) batch = g_new0 (DsBatch, 1);
	Letter *head = g_ptr_array_index (letters, first);
	g_autofree char *directory = ds_instance_spool_path (
		instance, "outgoing/print");
	g_autofree char *pdf_name = NULL;
	g_autofree char *csv_name = NULL;
	g_autofree char *hidden_pdf = NULL;
	g_autofree char *hidden_csv = NULL;
	g_autoptr (GBytes) csv = manifest (letters, first, end);

	batch->batch_id = new_batch_id (instance->store, head->entity_id,
					day);
	batch->entity_id = g_strdup (head->entity_id);
	batch->day = day;
	batch->documents = end - first;
	for (guint i = first; i < end; i++)
		batch->pages += ((Letter *) g_ptr_array_index (letters,
							       i))->pages;
	pdf_name = g_strdup_printf ("%s.pdf", batch->batch_id);
	csv_name = g_strdup_printf ("%s.csv", batch->batch_id);
	batch->pdf_path = g_build_filename (directory, pdf_name, NULL);
	batch->manifest_path = g_build_filename (directory, csv_name, NULL);
	hidden_pdf = ds_batch_hidden_path (batch->pdf_path);
	hidden_csv = ds_batch_hidden_path (batch->manifest_path);

	if (!unite (letters, first, end, hidden_pdf, error) ||
	    !g_file_set_contents_full (hidden_csv,
				       g_bytes_get_data (csv, NULL),
				       g_bytes_get_size (csv),
				       G_FILE_SET_CONTENTS_CONSISTENT, 0640,
				       error) ||
	    !record_batch (instance, batch, letters, first, end, error) ||
	    !reveal (hidden_pdf, batch->pdf_path, error) ||
	    !reveal (hidden_csv, batch->manifest_path, error) ||
	    !sync_directory (directory, error))
		return FALSE;
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_BATCH,
		      &(DsLogFields) { .channel = "letter",
				       .state = "created" },
		      "%s: batch created: documents=%d pages=%d",
		      batch->batch_id, batch->documents, batch->pages);
	return TRUE;
}

gboolean
ds_batch_build (DsInstance *instance, DsDate day, gint64 *batches,
		GError **error)
{
	g_autoptr (GPtrArray) letters = queued_letters (instance->store,
							error);
	guint first = 0;

	if (letters == NULL || !settle_hidden (instance, error))
		return FALSE;
	while (first < letters->len) {
		Letter *head = g_ptr_array_index (letters, first);
		guint end = first + 1;

		while (end < letters->len &&
		       strcmp (((Letter *) g_ptr_array_index (letters,
				end))->entity_id, head->entity_id) == 0)
			end++;
		if (!build_one (instance, day, letters, first, end, error))
			return FALSE;
		(*batches)++;
		first = end;
	}
	return TRUE;
}

static GPtrArray *
batch_attempts (DsStore *store, const char *batch_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT attempt_id FROM attempts WHERE batch_id = ?"
		" ORDER BY attempt_id", error);
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	GPtrArray *list;
	int step;

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, batch_id, -1, SQLITE_STATIC);
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64 (statement, 0);

		g_array_append_val (ids, id);
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "batch attempts");
		return NULL;
	}
	list = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < ids->len; i++)
		g_ptr_array_add (list, g_memdup2 (&g_array_index (ids, gint64,
								   i),
						  sizeof (gint64)));
	return list;
}

static char *
batch_state (DsStore *store, const char *batch_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT state FROM batches WHERE batch_id = ?", error);

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, batch_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no batch %s", batch_id);
		return NULL;
	}
	return ds_store_column_text (statement, 0);
}

static gboolean
move_batch (DsStore *store, const char *batch_id, const char *from,
	    const char *to, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"UPDATE batches SET state = ? WHERE batch_id = ?", error);
	DsJournalEntry entry = {
		.object_kind = "batch", .object_id = batch_id, .event = to,
		.old_state = from, .new_state = to,
	};

	if (statement == NULL)
		return FALSE;
	sqlite3_bind_text (statement, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, batch_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_DONE)
		return ds_store_fail (store, error, "batch state");
	return ds_journal_append (store, &entry, error);
}

/* Why BATCH_ID in FROM does not become STATE, as a DS_ERROR_STATE. */
static gboolean
batch_refuse (const char *batch_id, const char *from, const char *state,
	      GError **error)
{
	g_autofree char *why = NULL;

	if (ds_state_judge_report (DS_MACHINE_BATCH, from, state) ==
	    DS_STATE_REPORT_STALE) {
		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "batch %s is %s already: it cannot become %s",
			     batch_id, from, state);
		return FALSE;
	}
	why = ds_state_refusal (DS_MACHINE_BATCH, from, state);
	g_set_error (error, DS_ERROR, DS_ERROR_STATE, "batch %s: %s",
		     batch_id, why);
	return FALSE;
}

/*
 * Move the batch and, each as feedback about it, its attempts: one
 * already past STATE (a letter reported posted or returned on its own)
 * keeps its state and the news is journaled as ignored.
 */
static gboolean
mark_batch (DsStore *store, const char *batch_id, const char *from,
	    const char *state, GError **error)
{
	g_autoptr (GPtrArray) attempts = batch_attempts (store, batch_id,
							 error);
	g_autofree char *note = g_strdup_printf ("batch %s %s", batch_id,
						 state);
	gboolean moved;

	if (attempts == NULL || !ds_store_begin (store, error))
		return FALSE;
	if (!move_batch (store, batch_id, from, state, error))
		goto fail;
	for (guint i = 0; i < attempts->len; i++)
		if (!ds_attempt_report (store,
					*(gint64 *) g_ptr_array_index (
						attempts, i),
					state, note, &moved, error))
			goto fail;
	return ds_store_commit (store, error);

fail:
	ds_store_rollback (store);
	return FALSE;
}

gboolean
ds_batch_mark (DsInstance *instance, const char *batch_id,
	       const char *state, GError **error)
{
	g_autofree char *from = batch_state (instance->store, batch_id,
					     error);

	if (from == NULL)
		return FALSE;
	if (!ds_state_allowed (DS_MACHINE_BATCH, from, state))
		return batch_refuse (batch_id, from, state, error);
	return mark_batch (instance->store, batch_id, from, state, error);
}

gboolean
ds_batch_report (DsInstance *instance, const char *batch_id,
		 const char *state, const char *evidence, gboolean *moved,
		 GError **error)
{
	g_autofree char *from = batch_state (instance->store, batch_id,
					     error);
	DsJournalEntry entry = {
		.object_kind = "batch", .object_id = batch_id,
		.event = "ignored", .evidence = evidence,
	};

	*moved = FALSE;
	if (from == NULL)
		return FALSE;
	switch (ds_state_judge_report (DS_MACHINE_BATCH, from, state)) {
	case DS_STATE_REPORT_MOVES:
		*moved = TRUE;
		return mark_batch (instance->store, batch_id, from, state,
				   error);
	case DS_STATE_REPORT_STALE:
		entry.old_state = entry.new_state = from;
		return ds_journal_append (instance->store, &entry, error);
	case DS_STATE_REPORT_REFUSED:
		break;
	}
	return batch_refuse (batch_id, from, state, error);
}

GPtrArray *
ds_batch_list (DsInstance *instance, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store,
		"SELECT batch_id, entity_id, day, state, pdf_path,"
		" manifest_path, documents, pages FROM batches"
		" ORDER BY day DESC, batch_id", error);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_batch_free);
	int step;

	if (statement == NULL)
		return NULL;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		DsBatch *batch = g_new0 (DsBatch, 1);

		batch->batch_id = ds_store_column_text (statement, 0);
		batch->entity_id = ds_store_column_text (statement, 1);
		ds_date_parse_iso ((const char *) sqlite3_column_text (
			statement, 2), &batch->day, NULL);
		batch->state = ds_store_column_text (statement, 3);
		batch->pdf_path = ds_store_column_path (instance->store,
							statement, 4);
		batch->manifest_path = ds_store_column_path (
			instance->store, statement, 5);
		batch->documents = sqlite3_column_int (statement, 6);
		batch->pages = sqlite3_column_int (statement, 7);
		g_ptr_array_add (list, batch);
	}
	if (step != SQLITE_DONE) {
		ds_store_fail (instance->store, error, "batches");
		return NULL;
	}
	return g_steal_pointer (&list);
}

gint64
ds_batch_count (DsInstance *instance)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (
		instance->store, "SELECT count(*) FROM batches", NULL);

	if (statement == NULL || sqlite3_step (statement) != SQLITE_ROW)
		return 0;
	return sqlite3_column_int64 (statement, 0);
}

/* -- the cups driver --------------------------------------------------- */

static char *
print_request (DsStore *store, const char *batch_id, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT print_request FROM batches WHERE batch_id = ?", error);

	if (statement == NULL)
		return NULL;
	sqlite3_bind_text (statement, 1, batch_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_ROW) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no batch %s", batch_id);
		return NULL;
	}
	return g_strdup ((const char *) sqlite3_column_text (statement, 0) ?
			 (const char *) sqlite3_column_text (statement, 0) :
			 "");
}

/* Run a CUPS command; its standard output.  Failures are temporary. */
static char *
run_cups (const char *const *argv, GError **error)
{
	g_autofree char *output = NULL;
	g_autofree char *errors = NULL;
	g_autoptr (GError) local = NULL;
	int status;

	if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
			   NULL, NULL, &output, &errors, &status, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY, "%s: %s",
			     argv[0], local->message);
		return NULL;
	}
	if (!g_spawn_check_wait_status (status, NULL)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s failed: %s", argv[0],
			     errors ? g_strstrip (errors) : "");
		return NULL;
	}
	return g_steal_pointer (&output);
}

static gboolean
keep_request (DsStore *store, const char *batch_id, const char *request,
	      const char *printer, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"UPDATE batches SET print_request = ? WHERE batch_id = ?",
		error);
	g_autofree char *evidence = g_strdup_printf ("lp printer=%s "
						     "request=%s", printer,
						     request);
	DsJournalEntry entry = {
		.object_kind = "batch", .object_id = batch_id,
		.event = "sent-to-printer", .new_state = "created",
		.evidence = evidence,
	};

	if (statement == NULL || !ds_store_begin (store, error))
		return FALSE;
	sqlite3_bind_text (statement, 1, request, -1, SQLITE_STATIC);
	sqlite3_bind_text (statement, 2, batch_id, -1, SQLITE_STATIC);
	if (sqlite3_step (statement) != SQLITE_DONE) {
		ds_store_fail (store, error, "print request");
		ds_store_rollback (store);
		return FALSE;
	}
	if (!ds_journal_append (store, &entry, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return ds_store_commit (store, error);
}

gboolean
ds_batch_print (DsInstance *instance, const char *batch_id,
		const char *printer, char **request_id, GError **error)
{
	DsStore *store = instance->store;
	g_autofree char *sent = print_request (store, batch_id, error);
	g_autofree char *state = NULL;
	g_autofree char *output = NULL;
	g_autoptr (GPtrArray) batches = NULL;
	g_autoptr (GRegex) request = g_regex_new (
		"request id is (\\S+)", 0, 0, NULL);
	g_autoptr (GMatchInfo) match = NULL;
	const char *pdf_path = NULL;

	if (sent == NULL || (state = batch_state (store, batch_id,
						  error)) == NULL)
		return FALSE;
	if (*sent != '\0' || strcmp (state, "created") != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "batch %s is %s%s%s: not sent again", batch_id,
			     state, *sent ? ", sent as " : "", sent);
		return FALSE;
	}
	batches = ds_batch_list (instance, error);
	for (guint i = 0; batches != NULL && i < batches->len; i++) {
		DsBatch *batch = g_ptr_array_index (batches, i);

		if (strcmp (batch->batch_id, batch_id) == 0)
			pdf_path = batch->pdf_path;
	}
	if (pdf_path == NULL)
		return FALSE;
	{
		const char *argv[] = {
			"lp", "-d", printer, "-t", batch_id, "-o",
			"sides=one-sided", pdf_path, NULL
		};

		output = run_cups (argv, error);
	}
	if (output == NULL)
		return FALSE;
	if (!g_regex_match (request, output, 0, &match)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "lp gave no request id: %s",
			     g_strstrip (output));
		return FALSE;
	}
	*request_id = g_match_info_fetch (match, 1);
	g_message ("%s: sent to printer %s: request=%s", batch_id, printer,
		   *request_id);
	return keep_request (store, batch_id, *request_id, printer, error);
}

/* Batches sent to CUPS and not yet printed: batch id -> request. */
static GHashTable *
batches_at_printer (DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT batch_id, print_request FROM batches"
		" WHERE state = 'created' AND print_request IS NOT NULL",
		error);
	g_autoptr (GHashTable) sent = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, g_free);
	int step;

	if (statement == NULL)
		return NULL;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_hash_table_insert (sent, ds_store_column_text (statement, 0),
				     ds_store_column_text (statement, 1));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "batches at the printer");
		return NULL;
	}
	return g_steal_pointer (&sent);
}

/* The request ids lpstat lists as completed: the first word of a line. */
static GHashTable *
completed_requests (GError **error)
{
	const char *argv[] = { "lpstat", "-W", "completed", "-o", NULL };
	g_autofree char *output = run_cups (argv, error);
	g_auto (GStrv) lines = NULL;
	GHashTable *completed;

	if (output == NULL)
		return NULL;
	completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					   NULL);
	lines = g_strsplit (output, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		g_auto (GStrv) words = g_strsplit_set (g_strstrip (*line),
						       " \t", 2);

		if (words[0] != NULL && *words[0] != '\0')
			g_hash_table_add (completed, g_strdup (words[0]));
	}
	return completed;
}

gboolean
ds_batch_poll_printed (DsInstance *instance, gint64 *printed,
		       GError **error)
{
	g_autoptr (GHashTable) sent = batches_at_printer (instance->store,
							  error);
	g_autoptr (GHashTable) completed = NULL;
	GHashTableIter iter;
	gpointer batch_id, request;

	*printed = 0;
	if (sent == NULL)
		return FALSE;
	if (g_hash_table_size (sent) == 0)
		return TRUE;
	completed = completed_requests (error);
	if (completed == NULL)
		return FALSE;
	g_hash_table_iter_init (&iter, sent);
	while (g_hash_table_iter_next (&iter, &batch_id, &request)) {
		if (!g_hash_table_contains (completed, request))
			continue;
		if (!ds_batch_mark (instance, batch_id, "printed", error))
			return FALSE;
		(*printed)++;
	}
	return TRUE;
}
