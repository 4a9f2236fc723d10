/*
 * spool.h -- the spool directories of an instance, and the discipline
 * that moves files through them (DESIGN section 4).
 *
 *   incoming/{tmp,new,cur}  ledger exports: written to tmp, renamed into
 *   status/{tmp,new,cur}    new; claimed by renaming into cur
 *   corrupt/                files refused, each with NAME.reason
 *   archive/YYYY-MM/        files processed (UTC month of processing),
 *                           a ledger file with rows rejected with
 *                           NAME.rejected
 *   documents/              rendered PDFs
 *   outgoing/{print,mail,fax}
 *
 * Promises:
 *  - A reader never sees a half-written file: writers write a temporary
 *    name, fsync, and rename into place; the rename never replaces an
 *    existing file, and the directory is fsynced after it.
 *  - A file is claimed by one process only: the rename into cur/ either
 *    succeeds for exactly one claimer or reports DS_ERROR_NOT_FOUND.
 *  - A file another process has open for writing (written in place in
 *    new/, against the rules) is not claimed: it stays in new/ until its
 *    writer closes it.  Told by a read lease, which needs the file's
 *    owner or CAP_LEASE and a local file system; where none can be had,
 *    the file is claimed as before.  A writer that closes the file and
 *    opens it again is not caught.
 *  - A dot-name in new/ (a writer's temporary file) is never read,
 *    moved or refused; it is told about in the log once (info), and once
 *    more (notice) when nobody has written to it for an hour.
 *    The claimer holds an flock on the file from before the rename until
 *    the file is settled, so a claim left by a process that died is seen
 *    as such (nobody holds its lock) and given back at once.
 *  - A file is never deleted and never overwritten: archive/, corrupt/
 *    and cur/ take NAME, or NAME.1, NAME.2, ... when NAME is taken
 *    (corrupt/ with control characters in NAME made '_').
 *  - Input is opened with O_NOFOLLOW and checked before it is read:
 *    symbolic links, devices, directories, FIFOs, empty files, files
 *    over the size limit and content libmagic does not call text (or a
 *    mail message) are refused; so are names with a '/', a leading '.'
 *    or control characters.
 *  - No new work while free space is under the threshold.
 *
 * Directories are created 0750 and files 0640.
 */
#ifndef DS_SPOOL_H
#define DS_SPOOL_H

#include <glib.h>

#include "instance.h"
#include "store.h"

G_BEGIN_DECLS

/* Create whatever of the layout under ROOT is missing. */
gboolean ds_spool_create_layout (const char *root, GError **error);

/* A name a spool file may have. */
gboolean ds_spool_name_valid (const char *name);

/*
 * Write CONTENTS as DIR/new/NAME through DIR/tmp when DIR has them (the
 * incoming and status queues), else as DIR/NAME through a dot-name in
 * DIR.  Fails if the target exists.
 */
gboolean ds_spool_write_file (const char *dir, const char *name,
			      GBytes *contents, GError **error);

/*
 * The SHA-256 of the file at PATH as it lies on disk, in hex, read in
 * blocks (a print batch may be large); NULL with a G_FILE_ERROR naming
 * the path when it cannot be read.
 */
char *ds_spool_file_sha256 (const char *path, GError **error);

/* The names in DIR/new, sorted, dot-names left out (and told about). */
GPtrArray *ds_spool_list_new (const char *dir, GError **error);

/*
 * Claim DIR/new/NAME by renaming it into DIR/cur; the claimed path.
 * NULL with DS_ERROR_NOT_FOUND when another process claimed it first
 * (or is claiming it), or has it open for writing (logged at debug
 * level, and at notice level once when it was last written an hour ago).
 * *LOCK_FD: an open file holding an exclusive flock on the claimed file,
 * taken before the rename; -1 when the file cannot be locked (not a
 * regular file: it is refused when checked).
 * Keep it until the file is settled (archived, rejected or given back),
 * then ds_spool_release it: while it is held, no requeue takes the
 * file, and when its holder dies the claim is requeued at once.
 */
char *ds_spool_claim (const char *dir, const char *name, int *lock_fd,
		      GError **error);
void ds_spool_release (int lock_fd);

/* Give a claimed file back to DIR/new, for another try later. */
char *ds_spool_unclaim (const char *dir, const char *path, GError **error);

/*
 * Move orphaned claims from DIR/cur back to DIR/new: what a crash left
 * claimed.  A claim whose lock nobody holds goes back at once; one whose
 * lock is held stays; one that cannot be lock-tested (not a regular
 * file, not openable) goes back once MAX_AGE_SECONDS have passed since
 * it was claimed.
 */
gboolean ds_spool_requeue_stale (const char *dir, gint64 max_age_seconds,
				 GError **error);

/*
 * May PATH be read as input?  DS_ERROR_INPUT saying why not.  Limit
 * MAX_BYTES (0: none).  The MIME type libmagic gives, when asked for.
 */
gboolean ds_spool_check_input (const char *path, gint64 max_bytes,
			       char **mime_type, GError **error);

/* Move PATH into ROOT/archive/YYYY-MM/; the new path. */
char *ds_spool_archive (const char *root, const char *path, GError **error);

/*
 * The same, and write NOTE beside the archived file as NAME.SUFFIX
 * (NAME chosen so that both names are free); *NOTE_PATH: where.  A
 * note that cannot be written leaves *NOTE_PATH NULL and is logged as
 * a warning: the file is archived all the same.
 */
char *ds_spool_archive_with_note (const char *root, const char *path,
				  const char *suffix, const char *note,
				  char **note_path, GError **error);

/*
 * Move PATH into ROOT/corrupt/ and write NAME.reason beside it: the file,
 * the line (0: the whole file), why, and when.  The new path.  The log
 * record gives line=LINE when there is one.
 */
char *ds_spool_reject (const char *root, const char *path, int line,
		       const char *reason, GError **error);

/* DS_ERROR_TEMPORARY when the file system of PATH has less than
 * MIN_FREE_BYTES available; the bytes available in *available. */
gboolean ds_spool_check_free_space (const char *path, guint64 min_free_bytes,
				    guint64 *available, GError **error);

/*
 * The same for an instance: the file systems of its spool and of its
 * database, against [instance] min_free_bytes.  What every taker of new
 * work (import, status files, the daily cycle) asks first.
 */
gboolean ds_spool_check_room (DsInstance *instance, GError **error);

typedef struct {
	const char *profile_dir;	/* mapping profiles; NULL: none */
	gint64 max_input_bytes;		/* 0: no limit */
	guint64 min_free_bytes;		/* 0: no check */
	gint64 stale_claim_seconds;	/* 0: an hour */
} DsSpoolOptions;

/*
 * Import everything in ROOT/incoming/new: claim each file, check it,
 * import them together (in the order their kinds depend on each other),
 * then archive each one read, move each one refused to corrupt/ with its
 * reason, and give back those the database could not take (to try again).
 * A file read with rows rejected is archived with NAME.rejected beside
 * it: every row error, as ds_import_report_rejected_rows writes them.
 * *reports: a DsImportReport per file, its path where the file went
 * (and rejected_path where its row errors went).
 * FALSE when there is no space, or the database failed (TEMPORARY).
 */
gboolean ds_spool_import_incoming (DsStore *store, const char *root,
				   const DsSpoolOptions *options,
				   GPtrArray **reports, GError **error);

/*
 * The same for an instance, with the spool, profiles and limits of its
 * configuration, each file's report logged: what the daemon and the
 * daily cycle call.  FALSE as above.
 */
gboolean ds_spool_process_incoming (DsInstance *instance, GError **error);

G_END_DECLS

#endif
