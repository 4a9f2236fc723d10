/*
 * journal.c -- append to and verify the hash-chained journal.
 *
 * Hash of a record = SHA-256 (hex) of the previous record's hash followed
 * by each field as "LENGTH:VALUE;" in the order seq, at, actor,
 * object_kind, object_id, trace_id, event, old_state, new_state, evidence,
 * where an absent field is written "-;".  The length prefix keeps field
 * boundaries unambiguous; seq in the hash makes a removed record visible
 * even when its neighbours are intact.  The first record chains to
 * GENESIS_HASH.
 *
 * An anchor file holds lines "SEQ HASH AT\n" (AT UTC ISO 8601), appended
 * with O_APPEND in one write each, so that writers beside each other
 * (the daemon and the CLI) never interleave; lines need not be in seq
 * order, as each one names a record that was committed when written.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "ds-error.h"
#include "log.h"

#define GENESIS_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

static char *journal_actor;

void
ds_journal_set_actor (const char *actor)
{
	g_free (journal_actor);
	journal_actor = g_strdup (actor);
}

const char *
ds_journal_actor (void)
{
	return journal_actor ? journal_actor : "cli";
}

void
ds_journal_record_free (DsJournalRecord *record)
{
	if (record == NULL)
		return;
	g_free (record->at);
	g_free (record->actor);
	g_free (record->object_kind);
	g_free (record->object_id);
	g_free (record->trace_id);
	g_free (record->event);
	g_free (record->old_state);
	g_free (record->new_state);
	g_free (record->evidence);
	g_free (record->hash);
	g_free (record);
}

static void
hash_field (GChecksum *checksum, const char *value)
{
	g_autofree char *prefix = NULL;

	if (value == NULL) {
		g_checksum_update (checksum, (const guchar *) "-;", 2);
		return;
	}
	prefix = g_strdup_printf ("%zu:", strlen (value));
	g_checksum_update (checksum, (const guchar *) prefix, -1);
	g_checksum_update (checksum, (const guchar *) value, -1);
	g_checksum_update (checksum, (const guchar *) ";", 1);
}

static char *
record_hash (const char *prev_hash, gint64 seq, const char *at,
	     const DsJournalEntry *entry)
{
	g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
	g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT,
						     seq);

	g_checksum_update (checksum, (const guchar *) prev_hash, -1);
	hash_field (checksum, seq_text);
	hash_field (checksum, at);
	hash_field (checksum, entry->actor);
	hash_field (checksum, entry->object_kind);
	hash_field (checksum, entry->object_id);
	hash_field (checksum, entry->trace_id);
	hash_field (checksum, entry->event);
	hash_field (checksum, entry->old_state);
	hash_field (checksum, entry->new_state);
	hash_field (checksum, entry->evidence);
	return g_strdup (g_checksum_get_string (checksum));
}

/* The last record's seq and hash, or 0 and the genesis hash. */
gboolean
ds_journal_head (DsStore *store, gint64 *seq, char **hash, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
		error);

	if (statement == NULL)
		return FALSE;
	switch (sqlite3_step (statement)) {
	case SQLITE_ROW:
		*seq = sqlite3_column_int64 (statement, 0);
		*hash = g_strdup ((const char *)
				  sqlite3_column_text (statement, 1));
		return TRUE;
	case SQLITE_DONE:
		*seq = 0;
		*hash = g_strdup (GENESIS_HASH);
		return TRUE;
	default:
		return ds_store_fail (store, error, "journal tail");
	}
}

gboolean
ds_journal_append (DsStore *store, const DsJournalEntry *entry,
		   GError **error)
{
	g_autofree char *prev_hash = NULL;
	g_autofree char *hash = NULL;
	g_autofree char *at = ds_time_now_utc_iso ();
	g_autoptr (sqlite3_stmt) statement = NULL;
	DsJournalEntry stamped = *entry;
	gint64 seq = 0;

	if (stamped.actor == NULL)
		stamped.actor = ds_journal_actor ();
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!ds_journal_head (store, &seq, &prev_hash, error))
		goto fail;
	hash = record_hash (prev_hash, seq + 1, at, &stamped);

	statement = ds_store_prepare (store,
		"INSERT INTO journal (seq, at, actor, object_kind, object_id,"
		" trace_id, event, old_state, new_state, evidence,"
		" prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", error);
	if (statement == NULL)
		goto fail;
	sqlite3_bind_int64 (statement, 1, seq + 1);
	ds_store_bind_text (statement, 2, at);
	ds_store_bind_text (statement, 3, stamped.actor);
	ds_store_bind_text (statement, 4, stamped.object_kind);
	ds_store_bind_text (statement, 5, stamped.object_id);
	ds_store_bind_text (statement, 6, stamped.trace_id);
	ds_store_bind_text (statement, 7, stamped.event);
	ds_store_bind_text (statement, 8, stamped.old_state);
	ds_store_bind_text (statement, 9, stamped.new_state);
	ds_store_bind_text (statement, 10, stamped.evidence);
	ds_store_bind_text (statement, 11, prev_hash);
	ds_store_bind_text (statement, 12, hash);
	if (sqlite3_step (statement) != SQLITE_DONE) {
		ds_store_fail (store, error, "journal append");
		goto fail;
	}
	if (!ds_store_commit (store, error))
		return FALSE;
	ds_log_journal_record (stamped.object_kind, stamped.object_id,
			       stamped.trace_id, stamped.event,
			       stamped.old_state, stamped.new_state,
			       stamped.evidence);
	return TRUE;

fail:
	ds_store_rollback (store);
	return FALSE;
}

#define RECORD_COLUMNS \
	"seq, at, actor, object_kind, object_id, trace_id, event," \
	" old_state, new_state, evidence, hash, prev_hash"

static DsJournalRecord *
record_from_row (sqlite3_stmt *statement)
{
	DsJournalRecord *record = g_new0 (DsJournalRecord, 1);

	record->seq = sqlite3_column_int64 (statement, 0);
	record->at = ds_store_column_text (statement, 1);
	record->actor = ds_store_column_text (statement, 2);
	record->object_kind = ds_store_column_text (statement, 3);
	record->object_id = ds_store_column_text (statement, 4);
	record->trace_id = ds_store_column_text (statement, 5);
	record->event = ds_store_column_text (statement, 6);
	record->old_state = ds_store_column_text (statement, 7);
	record->new_state = ds_store_column_text (statement, 8);
	record->evidence = ds_store_column_text (statement, 9);
	record->hash = ds_store_column_text (statement, 10);
	return record;
}

/* Every row STATEMENT (bound already) gives, as records. */
static GPtrArray *
read_records (DsStore *store, sqlite3_stmt *statement, GError **error)
{
	g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_journal_record_free);
	int step;

	while ((step = sqlite3_step (statement)) == SQLITE_ROW)
		g_ptr_array_add (records, record_from_row (statement));
	if (step != SQLITE_DONE) {
		ds_store_fail (store, error, "journal read");
		return NULL;
	}
	return g_steal_pointer (&records);
}

static GPtrArray *
select_records (DsStore *store, const char *where, const char *first,
		const char *second, GError **error)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT " RECORD_COLUMNS " FROM journal WHERE %s"
		" ORDER BY seq", where);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, first);
	if (second != NULL)
		ds_store_bind_text (statement, 2, second);
	return read_records (store, statement, error);
}

GPtrArray *
ds_journal_select (DsStore *store, const char *sql, const char *parameter,
		   GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       error);

	if (statement == NULL)
		return NULL;
	ds_store_bind_text (statement, 1, parameter);
	return read_records (store, statement, error);
}

GPtrArray *
ds_journal_for_trace (DsStore *store, const char *trace_id, GError **error)
{
	return select_records (store, "trace_id = ?1", trace_id, NULL,
			       error);
}

GPtrArray *
ds_journal_for_object (DsStore *store, const char *object_kind,
		       const char *object_id, GError **error)
{
	return select_records (store, "object_kind = ?1 AND object_id = ?2",
			       object_kind, object_id, error);
}

static gboolean
verify_row (sqlite3_stmt *statement, const char *expected_prev,
	    gint64 expected_seq)
{
	g_autoptr (DsJournalRecord) record = record_from_row (statement);
	const char *prev_hash = (const char *)
		sqlite3_column_text (statement, 11);
	DsJournalEntry entry = {
		record->actor, record->object_kind, record->object_id,
		record->trace_id, record->event, record->old_state,
		record->new_state, record->evidence,
	};
	g_autofree char *hash = NULL;

	if (record->seq != expected_seq ||
	    g_strcmp0 (prev_hash, expected_prev) != 0)
		return FALSE;
	hash = record_hash (prev_hash, record->seq, record->at, &entry);
	return g_strcmp0 (hash, record->hash) == 0;
}

gboolean
ds_journal_verify (DsStore *store, gint64 *records, gint64 *bad_seq,
		   GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT " RECORD_COLUMNS " FROM journal ORDER BY seq", error);
	g_autofree char *prev = g_strdup (GENESIS_HASH);
	gint64 count = 0;
	int step;

	*bad_seq = 0;
	if (statement == NULL)
		return FALSE;
	while ((step = sqlite3_step (statement)) == SQLITE_ROW) {
		count++;
		if (!verify_row (statement, prev, count)) {
			*bad_seq = sqlite3_column_int64 (statement, 0);
			*records = count;
			g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
				     "journal record %" G_GINT64_FORMAT
				     " does not match its hash chain",
				     *bad_seq);
			return FALSE;
		}
		g_free (prev);
		prev = ds_store_column_text (statement, 10);
	}
	*records = count;
	if (step != SQLITE_DONE)
		return ds_store_fail (store, error, "journal verify");
	return TRUE;
}

/* -- anchors ----------------------------------------------------------- */

static gboolean
anchor_fail (GError **error, const char *path, const char *what)
{
	int saved = errno;

	g_set_error (error, DS_ERROR,
		     saved == ENOSPC || saved == EDQUOT ?
		     DS_ERROR_TEMPORARY : DS_ERROR_PERMANENT,
		     "%s: %s: %s", path, what, g_strerror (saved));
	return FALSE;
}

/* The seq of the last line of PATH, or 0 (none, or unreadable). */
static gint64
last_anchored_seq (const char *path)
{
	g_autofree char *contents = NULL;
	char *line;
	gsize length;

	if (!g_file_get_contents (path, &contents, &length, NULL) ||
	    length == 0)
		return 0;
	if (contents[length - 1] == '\n')
		contents[length - 1] = '\0';
	line = strrchr (contents, '\n');
	return g_ascii_strtoll (line ? line + 1 : contents, NULL, 10);
}

gboolean
ds_journal_anchor (DsStore *store, const char *path, gint64 *seq,
		   char **hash, GError **error)
{
	g_autofree char *head = NULL;
	g_autofree char *at = ds_time_now_utc_iso ();
	g_autofree char *line = NULL;
	gint64 head_seq;
	gsize length;
	ssize_t written;
	int fd;

	if (!ds_journal_head (store, &head_seq, &head, error))
		return FALSE;
	if (seq != NULL)
		*seq = head_seq;
	if (hash != NULL)
		*hash = g_strdup (head);
	if (head_seq == 0 || last_anchored_seq (path) == head_seq)
		return TRUE;
	line = g_strdup_printf ("%" G_GINT64_FORMAT " %s %s\n", head_seq,
				head, at);
	length = strlen (line);
	fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		   O_CLOEXEC, 0640);
	if (fd < 0)
		return anchor_fail (error, path, "open");
	written = write (fd, line, length);
	if (written != (ssize_t) length || fsync (fd) != 0) {
		if (written >= 0 && written != (ssize_t) length)
			errno = EIO;
		anchor_fail (error, path, "append");
		close (fd);
		return FALSE;
	}
	if (close (fd) != 0)
		return anchor_fail (error, path, "close");
	return TRUE;
}

/* The hash the journal holds for record SEQ; NULL when there is none. */
static char *
record_hash_at (DsStore *store, gint64 seq)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT hash FROM journal WHERE seq = ?", NULL);

	if (statement == NULL)
		return NULL;
	sqlite3_bind_int64 (statement, 1, seq);
	if (sqlite3_step (statement) != SQLITE_ROW)
		return NULL;
	return ds_store_column_text (statement, 0);
}

typedef struct {
	guint line;
	gint64 seq;
	char *hash;
	char *at;
} Anchor;

static void
anchor_clear (gpointer data)
{
	Anchor *anchor = data;

	g_free (anchor->hash);
	g_free (anchor->at);
}

/* Line NUMBER "SEQ HASH AT" of PATH into *ANCHOR. */
static gboolean
parse_anchor (const char *path, guint number, const char *line,
	      Anchor *anchor, GError **error)
{
	g_auto (GStrv) fields = g_strsplit (line, " ", -1);
	gboolean valid = g_strv_length (fields) == 3 &&
			 strlen (fields[1]) == 64;
	char *end = NULL;

	if (valid) {
		anchor->seq = g_ascii_strtoll (fields[0], &end, 10);
		valid = *end == '\0' && end != fields[0] && anchor->seq > 0;
	}
	for (const char *p = valid ? fields[1] : ""; *p != '\0'; p++)
		valid = valid && g_ascii_isxdigit (*p);
	if (!valid) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "%s: line %u: not an anchor (SEQ HASH TIME)",
			     path, number);
		return FALSE;
	}
	anchor->line = number;
	anchor->hash = g_strdup (fields[1]);
	anchor->at = g_strdup (fields[2]);
	return TRUE;
}

/* Every line of PATH: a GArray of Anchor, or NULL. */
static GArray *
read_anchors (const char *path, GError **error)
{
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GError) read_error = NULL;
	g_autoptr (GArray) anchors = g_array_new (FALSE, TRUE,
						   sizeof (Anchor));

	g_array_set_clear_func (anchors, anchor_clear);
	if (!g_file_get_contents (path, &contents, NULL, &read_error)) {
		if (g_error_matches (read_error, G_FILE_ERROR,
				     G_FILE_ERROR_NOENT))
			return g_steal_pointer (&anchors);
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT, "%s",
			     read_error->message);
		return NULL;
	}
	lines = g_strsplit (contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		Anchor anchor = { 0 };

		if (lines[i][0] == '\0' && lines[i + 1] == NULL)
			break;	/* after the last newline */
		if (!parse_anchor (path, i + 1, lines[i], &anchor, error))
			return NULL;
		g_array_append_val (anchors, anchor);
	}
	return g_steal_pointer (&anchors);
}

/* The anchor naming the highest seq, or NULL when there are none. */
static const Anchor *
highest_anchor (GArray *anchors)
{
	const Anchor *highest = NULL;

	for (guint i = 0; i < anchors->len; i++) {
		const Anchor *anchor = &g_array_index (anchors, Anchor, i);

		if (highest == NULL || anchor->seq > highest->seq)
			highest = anchor;
	}
	return highest;
}

gboolean
ds_journal_check_anchors (DsStore *store, const char *path,
			  gint64 *anchor_count, gint64 *last_seq,
			  GError **error)
{
	g_autoptr (GArray) anchors = read_anchors (path, error);
	g_autofree char *head = NULL;
	const Anchor *highest;
	gint64 head_seq;

	*anchor_count = *last_seq = 0;
	if (anchors == NULL ||
	    !ds_journal_head (store, &head_seq, &head, error))
		return FALSE;
	highest = highest_anchor (anchors);
	if (highest != NULL && highest->seq > head_seq) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "journal cut: %s line %u anchored record %"
			     G_GINT64_FORMAT " at %s, but the journal ends at "
			     "record %" G_GINT64_FORMAT ": records %"
			     G_GINT64_FORMAT " to %" G_GINT64_FORMAT
			     " are missing", path, highest->line,
			     highest->seq, highest->at, head_seq,
			     head_seq + 1, highest->seq);
		return FALSE;
	}
	for (guint i = 0; i < anchors->len; i++) {
		const Anchor *anchor = &g_array_index (anchors, Anchor, i);
		g_autofree char *stored = record_hash_at (store, anchor->seq);

		if (g_strcmp0 (stored, anchor->hash) == 0)
			continue;
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "journal record %" G_GINT64_FORMAT " differs "
			     "from its anchor (%s line %u, %s): hash %s, "
			     "anchored %s", anchor->seq, path, anchor->line,
			     anchor->at, stored ? stored : "missing",
			     anchor->hash);
		return FALSE;
	}
	*anchor_count = anchors->len;
	*last_seq = highest ? highest->seq : 0;
	return TRUE;
}
