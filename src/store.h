/*
 * store.h -- the SQLite database of one dunspool instance.
 *
 * The store owns the database connection and its schema.  Opening it sets
 * WAL mode, foreign keys and a busy timeout (the CLI and the daemon share
 * the file), then brings the schema up to date by applying the numbered
 * migrations in store.c that have not been applied yet, each in its own
 * transaction, recording the version in PRAGMA user_version.
 *
 * Every database holds its instance key: 256 random bits made once,
 * when the database is created (or, for a database from before, when
 * this version first opens it), and never changed.  It keeps two
 * instances apart where they make ids from the same ledger (the trace
 * ids of document.h).  A copy of the database (a backup restored, an
 * instance moved) keeps it, and with it the ids it would make.
 *
 * Only the modules that own tables use the raw connection: ledger (the
 * receivables records), journal, and the document and attempt stores.
 * Everything else calls those modules, so that a second backend could
 * replace SQLite without the rest of the code changing.
 */
#ifndef DS_STORE_H
#define DS_STORE_H

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

typedef struct _DsStore DsStore;

DsStore *ds_store_open (const char *path, GError **error);
/*
 * Open with FILES_ROOT (the spool) as the root the stored file paths are
 * relative to; ds_store_open has none and keeps paths as given.
 */
DsStore *ds_store_open_in (const char *path, const char *files_root,
			   GError **error);
void ds_store_close (DsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsStore, ds_store_close)

sqlite3 *ds_store_db (DsStore *store);
int ds_store_schema_version (DsStore *store);
/* The instance key: 64 lower-case hex digits, read when opened. */
const char *ds_store_instance_key (DsStore *store);

/* Transactions nest: only the outermost begin and commit touch SQLite. */
gboolean ds_store_begin (DsStore *store, GError **error);
gboolean ds_store_commit (DsStore *store, GError **error);
void ds_store_rollback (DsStore *store);

/* Prepare, or fail with the SQLite message in DS_ERROR_TEMPORARY. */
sqlite3_stmt *ds_store_prepare (DsStore *store, const char *sql,
				GError **error);
/* Set a GError from the connection's last error. */
gboolean ds_store_fail (DsStore *store, GError **error, const char *what);
gboolean ds_store_exec (DsStore *store, const char *sql, GError **error);

/*
 * Column helpers for the modules that own tables.  Text NULL binds NULL;
 * a date binds as ISO "YYYY-MM-DD", DS_DATE_NONE as NULL.  Reading, a
 * NULL text is NULL (column_text returns a copy), and a NULL date is
 * DS_DATE_NONE, as is a stored date that does not parse (with a
 * warning: the database was written by dunspool, so that is damage).
 */
void ds_store_bind_text (sqlite3_stmt *statement, int index,
			 const char *value);
void ds_store_bind_date (sqlite3_stmt *statement, int index,
			 guint32 date);
char *ds_store_column_text (sqlite3_stmt *statement, int column);
guint32 ds_store_column_date (sqlite3_stmt *statement, int column);

/*
 * File paths in the database: ds_store_stored_path gives what to store
 * for PATH (relative to the files root when under it, else PATH);
 * ds_store_file_path gives the file a stored path names now (resolved
 * against the files root when relative).  Both return NULL for NULL.
 * ds_store_column_path is ds_store_file_path of a text column.
 */
char *ds_store_stored_path (DsStore *store, const char *path);
char *ds_store_file_path (DsStore *store, const char *stored);
char *ds_store_column_path (DsStore *store, sqlite3_stmt *statement,
			    int column);

/* PRAGMA integrity_check says "ok". */
gboolean ds_store_check_integrity (DsStore *store, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS

#endif
