/*
 * spool.c -- the spool directories and the moves between them.  See
 * spool.h.
 *
 * Every move is a rename that refuses to replace (renameat2 with
 * RENAME_NOREPLACE, or link and unlink where the file system lacks it),
 * followed by an fsync of the directories involved, so that after a crash
 * a file is in exactly one place and a name is never reused.
 *
 * A file another process still has open for writing is not claimed: a
 * read lease (fcntl F_SETLEASE), which the kernel refuses while any
 * process has the file open for writing, is taken and given back at
 * once, before the rename into cur/ and again after it (a writer that
 * opened the file in between is caught then, and the file goes back).
 * Files left in new/ for now, a dot-name or one still being written,
 * are told about once per file, not at every scan.
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "dunspool-spool"

#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "date.h"
#include "ds-error.h"
#include "import.h"
#include "log.h"

#define DIRECTORY_MODE 0750
#define FILE_MODE 0640
#define STALE_CLAIM_DEFAULT 3600
/* A file left in new/ this long is told about at notice level. */
#define LINGER_SECONDS 3600

static const char *const layout[] = {
	"incoming", "incoming/tmp", "incoming/new", "incoming/cur",
	"status", "status/tmp", "status/new", "status/cur",
	"corrupt", "archive", "documents",
	"outgoing", "outgoing/print", "outgoing/mail", "outgoing/fax",
};

typedef struct magic_set MagicSet;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MagicSet, magic_close)

static gboolean
system_fail (GError **error, const char *path, const char *what)
{
	int saved = errno;
	gboolean temporary = saved == ENOSPC || saved == EDQUOT ||
			     saved == EMFILE || saved == ENFILE ||
			     saved == ENOMEM || saved == EAGAIN;

	g_set_error (error, DS_ERROR,
		     temporary ? DS_ERROR_TEMPORARY : DS_ERROR_PERMANENT,
		     "%s: %s: %s", path, what, g_strerror (saved));
	return FALSE;
}

static gboolean
make_directory (const char *path, GError **error)
{
	struct stat status;

	if (mkdir (path, DIRECTORY_MODE) == 0)
		return chmod (path, DIRECTORY_MODE) == 0 ||
		       system_fail (error, path, "chmod");
	if (errno != EEXIST)
		return system_fail (error, path, "mkdir");
	if (stat (path, &status) != 0 || !S_ISDIR (status.st_mode)) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "%s: exists and is not a directory", path);
		return FALSE;
	}
	return TRUE;
}

gboolean
ds_spool_create_layout (const char *root, GError **error)
{
	if (g_mkdir_with_parents (root, DIRECTORY_MODE) != 0)
		return system_fail (error, root, "mkdir");
	for (gsize i = 0; i < G_N_ELEMENTS (layout); i++) {
		g_autofree char *path = g_build_filename (root, layout[i],
							  NULL);

		if (!make_directory (path, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ds_spool_name_valid (const char *name)
{
	if (name == NULL || *name == '\0' || *name == '.' ||
	    !g_utf8_validate (name, -1, NULL))
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || g_ascii_iscntrl (*p))
			return FALSE;
	return TRUE;
}

static gboolean
name_fail (GError **error, const char *name)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "\"%s\": not a spool file name (a '/', a leading '.' "
		     "or a control character)", name);
	return FALSE;
}

/* Make a rename (or the writing of a file) in DIR durable. */
static gboolean
sync_directory (const char *dir, GError **error)
{
	int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gboolean ok;

	if (fd < 0)
		return system_fail (error, dir, "open");
	ok = fsync (fd) == 0 || system_fail (error, dir, "fsync");
	close (fd);
	return ok;
}

/* Rename FROM to TO unless TO exists: FALSE with errno EEXIST then. */
static gboolean
rename_no_replace (const char *from, const char *to)
{
	if (renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return TRUE;
	if (errno != EINVAL && errno != ENOSYS)
		return FALSE;
	if (link (from, to) != 0)
		return FALSE;
	return unlink (from) == 0;
}

/*
 * Move PATH into DIR as NAME (NULL: its own) or NAME.1, NAME.2, ...,
 * whichever is free (and, with COMPANION, whose NAME.COMPANION is free).
 */
static char *
move_unique (const char *path, const char *dir, const char *target_name,
	     const char *companion, GError **error)
{
	g_autofree char *name = target_name ? g_strdup (target_name) :
				g_path_get_basename (path);
	g_autofree char *from_dir = g_path_get_dirname (path);

	for (guint n = 0; n < 10000; n++) {
		g_autofree char *candidate = n == 0 ? g_strdup (name) :
			g_strdup_printf ("%s.%u", name, n);
		g_autofree char *target = g_build_filename (dir, candidate,
							    NULL);
		g_autofree char *beside = companion ?
			g_strconcat (target, companion, NULL) : NULL;

		if (beside != NULL && g_file_test (beside, G_FILE_TEST_EXISTS))
			continue;
		if (rename_no_replace (path, target)) {
			if (!sync_directory (dir, error) ||
			    !sync_directory (from_dir, error))
				return NULL;
			return g_steal_pointer (&target);
		}
		if (errno == ENOENT) {
			g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
				     "%s: gone (taken by another process)",
				     path);
			return NULL;
		}
		if (errno != EEXIST) {
			system_fail (error, path, "rename");
			return NULL;
		}
	}
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s: no free name for it in %s", path, dir);
	return NULL;
}

static gboolean
write_all (int fd, const char *path, GBytes *contents, GError **error)
{
	gsize length;
	const char *data = g_bytes_get_data (contents, &length);

	while (length > 0) {
		ssize_t written = write (fd, data, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return system_fail (error, path, "write");
		data += written;
		length -= written;
	}
	return TRUE;
}

/* Write TEMPORARY durably, then move it to TARGET (never replacing). */
static gboolean
write_and_place (const char *temporary, const char *target,
		 GBytes *contents, GError **error)
{
	g_autofree char *target_dir = g_path_get_dirname (target);
	int fd = open (temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		       O_CLOEXEC, FILE_MODE);
	gboolean ok;

	if (fd < 0)
		return system_fail (error, temporary, "create");
	ok = fchmod (fd, FILE_MODE) == 0 ||
	     system_fail (error, temporary, "chmod");
	ok = ok && write_all (fd, temporary, contents, error);
	ok = ok && (fsync (fd) == 0 ||
		    system_fail (error, temporary, "fsync"));
	if (close (fd) != 0 && ok)
		ok = system_fail (error, temporary, "close");
	if (ok && !rename_no_replace (temporary, target))
		ok = system_fail (error, target, "rename into place");
	if (!ok) {
		g_unlink (temporary);
		return FALSE;
	}
	return sync_directory (target_dir, error);
}

char *
ds_spool_file_sha256 (const char *path, GError **error)
{
	g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
	FILE *file = fopen (path, "rb");
	guchar block[65536];
	size_t length;
	int failure;

	if (file == NULL)
		goto fail;
	while ((length = fread (block, 1, sizeof block, file)) > 0)
		g_checksum_update (checksum, block, length);
	failure = ferror (file) ? errno : 0;
	fclose (file);
	if (failure == 0)
		return g_strdup (g_checksum_get_string (checksum));
	errno = failure;
fail:
	g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
		     "%s: %s", path, g_strerror (errno));
	return NULL;
}

gboolean
ds_spool_write_file (const char *dir, const char *name, GBytes *contents,
		     GError **error)
{
	g_autofree char *tmp_dir = g_build_filename (dir, "tmp", NULL);
	g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
	g_autofree char *unique = NULL;
	g_autofree char *temporary = NULL;
	g_autofree char *target = NULL;

	if (!ds_spool_name_valid (name))
		return name_fail (error, name);
	unique = g_strdup_printf ("%s.%d.%" G_GINT64_FORMAT, name,
				  (int) getpid (), g_get_real_time ());
	if (g_file_test (tmp_dir, G_FILE_TEST_IS_DIR) &&
	    g_file_test (new_dir, G_FILE_TEST_IS_DIR)) {
		temporary = g_build_filename (tmp_dir, unique, NULL);
		target = g_build_filename (new_dir, name, NULL);
	} else {
		g_autofree char *hidden = g_strconcat (".", unique, NULL);

		temporary = g_build_filename (dir, hidden, NULL);
		target = g_build_filename (dir, name, NULL);
	}
	return write_and_place (temporary, target, contents, error);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/*
 * What has been told about files left in a new/ directory, so that each
 * is told about once at each level rather than at every scan.  A file is
 * known by its path and inode: a new file of the same name is told about
 * again.  Entries go when their file has gone (ds_spool_list_new).
 */
typedef struct {
	char *path;
	dev_t device;
	ino_t inode;
	GLogLevelFlags levels;	/* the levels it was told at */
} LeftFile;

G_LOCK_DEFINE_STATIC (left_files);
static GPtrArray *left_files;	/* LeftFile */

static void
left_file_free (gpointer data)
{
	LeftFile *left = data;

	g_free (left->path);
	g_free (left);
}

/* Has PATH (as STATUS) not been told about at LEVEL yet?  Now it has. */
static gboolean
left_file_first (const char *path, const struct stat *status,
		 GLogLevelFlags level)
{
	LeftFile *left = NULL;
	gboolean first;

	G_LOCK (left_files);
	if (left_files == NULL)
		left_files = g_ptr_array_new_with_free_func (left_file_free);
	for (guint i = 0; i < left_files->len && left == NULL; i++) {
		LeftFile *candidate = left_files->pdata[i];

		if (strcmp (candidate->path, path) == 0 &&
		    candidate->device == status->st_dev &&
		    candidate->inode == status->st_ino)
			left = candidate;
	}
	if (left == NULL) {
		left = g_new0 (LeftFile, 1);
		left->path = g_strdup (path);
		left->device = status->st_dev;
		left->inode = status->st_ino;
		g_ptr_array_add (left_files, left);
	}
	first = (left->levels & level) == 0;
	left->levels |= level;
	G_UNLOCK (left_files);
	return first;
}

/* Forget the files of DIR that are gone or were replaced. */
static void
left_files_prune (const char *dir)
{
	g_autofree char *prefix = g_strconcat (dir, G_DIR_SEPARATOR_S, NULL);

	G_LOCK (left_files);
	for (guint i = 0; left_files != NULL && i < left_files->len;) {
		LeftFile *left = left_files->pdata[i];
		struct stat status;

		if (g_str_has_prefix (left->path, prefix) &&
		    (lstat (left->path, &status) != 0 ||
		     status.st_dev != left->device ||
		     status.st_ino != left->inode))
			g_ptr_array_remove_index_fast (left_files, i);
		else
			i++;
	}
	G_UNLOCK (left_files);
}

/*
 * Tell about a file left in new/ for now, saying WHY: once at info level
 * (QUIET: at debug level, at every scan), and once at notice level when
 * nobody has written to it for LINGER_SECONDS.
 */
static void
left_file_tell (const char *path, const struct stat *status,
		gboolean quiet, const char *why)
{
	g_autofree char *name = g_path_get_basename (path);
	gint64 age = g_get_real_time () / G_USEC_PER_SEC -
		     (gint64) status->st_mtime;

	if (age >= LINGER_SECONDS) {
		if (left_file_first (path, status, G_LOG_LEVEL_MESSAGE))
			ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SPOOL, NULL,
				      "%s: left in new/: last written %"
				      G_GINT64_FORMAT " s ago: %s", name,
				      age, why);
		return;
	}
	if (quiet)
		ds_log_event (G_LOG_LEVEL_DEBUG, DS_LOG_SPOOL, NULL,
			      "%s: left in new/ for now: %s", name, why);
	else if (left_file_first (path, status, G_LOG_LEVEL_INFO))
		ds_log_event (G_LOG_LEVEL_INFO, DS_LOG_SPOOL, NULL,
			      "%s: left in new/: %s", name, why);
}

/* A dot-name in DIR: a writer's temporary file, never read. */
static void
tell_dot_name (const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename (dir, name, NULL);
	struct stat status;

	if (lstat (path, &status) != 0 || S_ISDIR (status.st_mode))
		return;
	left_file_tell (path, &status, FALSE,
			"a name with a leading '.' is a writer's temporary "
			"file, not read; rename it without the '.' to have "
			"it read");
}

GPtrArray *
ds_spool_list_new (const char *dir, GError **error)
{
	g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
	g_autoptr (GError) open_error = NULL;
	g_autoptr (GDir) handle = g_dir_open (new_dir, 0, &open_error);
	GPtrArray *names;
	const char *name;

	if (handle == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT, "%s",
			     open_error->message);
		return NULL;
	}
	left_files_prune (new_dir);
	names = g_ptr_array_new_with_free_func (g_free);
	while ((name = g_dir_read_name (handle)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add (names, g_strdup (name));
		else
			tell_dot_name (new_dir, name);
	g_ptr_array_sort (names, compare_names);
	return names;
}

/*
 * Open the regular file PATH (not following a link, not blocking on
 * anything) and take an exclusive flock on it without waiting.  The fd,
 * or -1 with *held TRUE when another open file holds the lock, or -1
 * with *held FALSE when the file cannot be lock-tested (gone, not a
 * regular file, not openable, replaced while opened).
 */
static int
lock_file (const char *path, gboolean *held)
{
	struct stat named, opened;
	int fd;

	*held = FALSE;
	if (lstat (path, &named) != 0 || !S_ISREG (named.st_mode))
		return -1;
	fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		   O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat (fd, &opened) != 0 || opened.st_dev != named.st_dev ||
	    opened.st_ino != named.st_ino) {
		close (fd);
		return -1;
	}
	if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
		*held = errno == EWOULDBLOCK;
		close (fd);
		return -1;
	}
	return fd;
}

typedef enum {
	WRITER_NONE,		/* nobody has the file open for writing */
	WRITER_ACTIVE,		/* somebody has */
	WRITER_UNKNOWN,		/* no lease to be had: cannot tell */
} WriterState;

/*
 * Has any process the file of FD (open read-only) open for writing?  The
 * kernel refuses a read lease with EAGAIN while one has.  Leases need
 * the file's owner or CAP_LEASE (EACCES otherwise) and a local file
 * system (EINVAL on NFS, FUSE, or with leases disabled): WRITER_UNKNOWN,
 * with the errno in *cause.
 */
static WriterState
writer_state (int fd, int *cause)
{
	*cause = 0;

	/*
	 * A writer opening the file while the lease is held breaks it and
	 * signals the holder: with SIGURG, which is ignored unless handled,
	 * rather than the default SIGIO, which would end the process.
	 */
	if (fcntl (fd, F_SETSIG, SIGURG) != 0) {
		*cause = errno;
		return WRITER_UNKNOWN;
	}
	if (fcntl (fd, F_SETLEASE, F_RDLCK) == 0) {
		fcntl (fd, F_SETLEASE, F_UNLCK);
		return WRITER_NONE;
	}
	*cause = errno;
	return *cause == EAGAIN ? WRITER_ACTIVE : WRITER_UNKNOWN;
}

/* writer_state, and what it means for the file of FD at PATH, logged. */
static WriterState
writer_check (int fd, const char *path)
{
	g_autofree char *name = g_path_get_basename (path);
	struct stat status;
	int cause;
	WriterState state = writer_state (fd, &cause);

	if (state == WRITER_UNKNOWN)
		ds_log_event (G_LOG_LEVEL_DEBUG, DS_LOG_SPOOL, NULL,
			      "%s: cannot tell whether a writer has it "
			      "open: lease: %s", name, g_strerror (cause));
	else if (state == WRITER_ACTIVE && fstat (fd, &status) == 0)
		left_file_tell (path, &status, TRUE,
				"another process has it open for writing");
	return state;
}

/* Does the open FD still name the file at PATH? */
static gboolean
same_file (int fd, const char *path)
{
	struct stat named, opened;

	return lstat (path, &named) == 0 && fstat (fd, &opened) == 0 &&
	       named.st_dev == opened.st_dev &&
	       named.st_ino == opened.st_ino;
}

static char *
being_written (GError **error, const char *path)
{
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
		     "%s: another process has it open for writing", path);
	return NULL;
}

char *
ds_spool_claim (const char *dir, const char *name, int *lock_fd,
		GError **error)
{
	g_autofree char *path = g_build_filename (dir, "new", name, NULL);
	g_autofree char *cur = g_build_filename (dir, "cur", NULL);
	gboolean held;
	char *claimed;
	WriterState writer = WRITER_UNKNOWN;
	int fd;

	g_return_val_if_fail (lock_fd != NULL, NULL);
	*lock_fd = -1;
	if (strchr (name, '/') != NULL || *name == '.' || *name == '\0') {
		name_fail (error, name);
		return NULL;
	}
	/*
	 * The lock is taken before the rename, so that the file is never
	 * in cur/ unheld while its claimer lives; the file is checked to
	 * be still the one locked (another claimer may have taken it and
	 * a new file of the same name come in meanwhile).  A file a
	 * writer still has open stays in new/, for a later scan.
	 */
	fd = lock_file (path, &held);
	if (held || (fd >= 0 && !same_file (fd, path))) {
		if (fd >= 0)
			close (fd);
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "%s: being claimed by another process", path);
		return NULL;
	}
	if (fd >= 0)
		writer = writer_check (fd, path);
	if (writer == WRITER_ACTIVE) {
		close (fd);
		return being_written (error, path);
	}
	claimed = move_unique (path, cur, NULL, NULL, error);
	if (claimed == NULL) {
		if (fd >= 0)
			close (fd);
		return NULL;
	}

	/* A writer that opened the file just before the rename. */
	if (writer == WRITER_NONE &&
	    writer_check (fd, path) == WRITER_ACTIVE) {
		g_autofree char *back = ds_spool_unclaim (dir, claimed,
							  error);

		close (fd);
		g_free (claimed);
		return back != NULL ? being_written (error, path) : NULL;
	}
	*lock_fd = fd;
	return claimed;
}

void
ds_spool_release (int lock_fd)
{
	if (lock_fd >= 0)
		close (lock_fd);
}

char *
ds_spool_unclaim (const char *dir, const char *path, GError **error)
{
	g_autofree char *new_dir = g_build_filename (dir, "new", NULL);

	return move_unique (path, new_dir, NULL, NULL, error);
}

/*
 * Give the claim at PATH in DIR/cur back to DIR/new when it is orphaned:
 * at once when it can be locked (its claimer is gone), after
 * MAX_AGE_SECONDS since the claim when it cannot be lock-tested.  A
 * claim whose lock is held stays, however old.
 */
static gboolean
requeue_orphan (const char *dir, const char *path, gint64 max_age_seconds,
		gint64 now, GError **error)
{
	g_autofree char *name = g_path_get_basename (path);
	g_autofree char *back = NULL;
	g_autoptr (GError) move_error = NULL;
	struct stat status;
	gboolean held;
	int fd = lock_file (path, &held);

	/* A rename sets ctime: the claim's time. */
	if (held || lstat (path, &status) != 0 ||
	    (fd < 0 && now - status.st_ctime < max_age_seconds)) {
		ds_spool_release (fd);
		return TRUE;
	}
	back = ds_spool_unclaim (dir, path, &move_error);
	ds_spool_release (fd);
	if (back == NULL &&
	    !g_error_matches (move_error, DS_ERROR, DS_ERROR_NOT_FOUND)) {
		g_propagate_error (error, g_steal_pointer (&move_error));
		return FALSE;
	}
	if (back != NULL && fd >= 0)
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SPOOL, NULL,
			      "%s: requeued: claimed %" G_GINT64_FORMAT
			      "s ago, its claimer gone (no lock held)", name,
			      now - (gint64) status.st_ctime);
	else if (back != NULL)
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SPOOL, NULL,
			      "%s: requeued: claimed %" G_GINT64_FORMAT
			      "s ago and never finished", name,
			      now - (gint64) status.st_ctime);
	return TRUE;
}

gboolean
ds_spool_requeue_stale (const char *dir, gint64 max_age_seconds,
			GError **error)
{
	g_autofree char *cur = g_build_filename (dir, "cur", NULL);
	g_autoptr (GDir) handle = g_dir_open (cur, 0, NULL);
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	const char *name;

	if (handle == NULL)
		return TRUE;
	while ((name = g_dir_read_name (handle)) != NULL) {
		g_autofree char *path = g_build_filename (cur, name, NULL);

		if (!requeue_orphan (dir, path, max_age_seconds, now, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
input_fail (GError **error, const char *path, const char *why)
{
	g_autofree char *name = g_path_get_basename (path);

	g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "%s: %s", name, why);
	return FALSE;
}

static const char *
file_type_name (mode_t mode)
{
	if (S_ISDIR (mode))
		return "a directory";
	if (S_ISCHR (mode) || S_ISBLK (mode))
		return "a device";
	if (S_ISFIFO (mode))
		return "a FIFO";
	if (S_ISSOCK (mode))
		return "a socket";
	return "not a regular file";
}

static gboolean
mime_is_text (const char *mime)
{
	/* message/rfc822: bounce messages dropped into status/. */
	return g_str_has_prefix (mime, "text/") ||
	       g_strcmp0 (mime, "message/rfc822") == 0 ||
	       g_strcmp0 (mime, "application/json") == 0 ||
	       g_strcmp0 (mime, "application/x-ndjson") == 0 ||
	       g_strcmp0 (mime, "application/csv") == 0;
}

/* What libmagic makes of the open file FD. */
static char *
classify (int fd, const char *path, GError **error)
{
	g_autoptr (MagicSet) magic = magic_open (MAGIC_MIME_TYPE |
						  MAGIC_ERROR);
	const char *mime;

	if (magic == NULL || magic_load (magic, NULL) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "libmagic: %s", magic ? magic_error (magic) :
			     g_strerror (errno));
		return NULL;
	}
	mime = magic_descriptor (magic, fd);
	if (mime == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: libmagic: %s", path, magic_error (magic));
		return NULL;
	}
	return g_strdup (mime);
}

static gboolean
check_open_file (int fd, const char *path, gint64 max_bytes,
		 char **mime_type, GError **error)
{
	struct stat status;
	g_autofree char *why = NULL;
	g_autofree char *mime = NULL;

	if (fstat (fd, &status) != 0)
		return system_fail (error, path, "fstat");
	if (!S_ISREG (status.st_mode))
		return input_fail (error, path,
				   file_type_name (status.st_mode));
	if (status.st_size == 0)
		return input_fail (error, path, "empty file");
	if (max_bytes > 0 && status.st_size > max_bytes) {
		why = g_strdup_printf ("%" G_GINT64_FORMAT " bytes, over the "
				       "limit of %" G_GINT64_FORMAT,
				       (gint64) status.st_size, max_bytes);
		return input_fail (error, path, why);
	}
	mime = classify (fd, path, error);
	if (mime == NULL)
		return FALSE;
	if (!mime_is_text (mime)) {
		why = g_strdup_printf ("content is %s, not text", mime);
		return input_fail (error, path, why);
	}
	if (mime_type != NULL)
		*mime_type = g_steal_pointer (&mime);
	return TRUE;
}

gboolean
ds_spool_check_input (const char *path, gint64 max_bytes, char **mime_type,
		      GError **error)
{
	g_autofree char *name = g_path_get_basename (path);
	int fd;
	gboolean ok;

	if (!ds_spool_name_valid (name))
		return name_fail (error, name);
	fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		   O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return input_fail (error, path, "a symbolic link");
	if (fd < 0)
		return system_fail (error, path, "open");
	ok = check_open_file (fd, path, max_bytes, mime_type, error);
	close (fd);
	return ok;
}

/* ROOT/archive/YYYY-MM of this UTC month, made if missing. */
static char *
archive_dir (const char *root, GError **error)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autofree char *month = g_date_time_format (now, "%Y-%m");
	g_autofree char *dir = g_build_filename (root, "archive", month,
						 NULL);

	if (!make_directory (dir, error))
		return NULL;
	return g_steal_pointer (&dir);
}

char *
ds_spool_archive (const char *root, const char *path, GError **error)
{
	g_autofree char *dir = archive_dir (root, error);

	if (dir == NULL)
		return NULL;
	return move_unique (path, dir, NULL, NULL, error);
}

char *
ds_spool_archive_with_note (const char *root, const char *path,
			    const char *suffix, const char *note,
			    char **note_path, GError **error)
{
	g_autofree char *dir = archive_dir (root, error);
	g_autofree char *moved = NULL;
	g_autofree char *base = NULL;
	g_autofree char *note_name = NULL;
	g_autoptr (GBytes) contents = NULL;
	g_autoptr (GError) note_error = NULL;

	*note_path = NULL;
	if (dir == NULL)
		return NULL;
	moved = move_unique (path, dir, NULL, suffix, error);
	if (moved == NULL)
		return NULL;

	/* The file is archived: a note that cannot be written is told. */
	base = g_path_get_basename (moved);
	note_name = g_strconcat (base, suffix, NULL);
	contents = g_bytes_new (note, strlen (note));
	if (ds_spool_write_file (dir, note_name, contents, &note_error))
		*note_path = g_build_filename (dir, note_name, NULL);
	else
		g_warning ("%s: archived without its %s: %s", moved,
			   note_name, note_error->message);
	return g_steal_pointer (&moved);
}

/* A name to keep a refused file under: its own, made valid. */
static const char *
safe_name (char *name)
{
	if (ds_spool_name_valid (name))
		return name;
	for (char *p = name; *p != '\0'; p++)
		if (*p == '.' && p == name)
			*p = '_';
		else if (g_ascii_iscntrl (*p) || (guchar) *p >= 0x80)
			*p = '_';
	return *name != '\0' ? name : "unnamed";
}

/* REASON without the "NAME: " and "line LINE: " the record says apart. */
static const char *
reason_cause (const char *reason, const char *name, int line)
{
	g_autofree char *line_prefix = g_strdup_printf ("line %d: ", line);

	reason = ds_error_after_name (reason, name);
	if (line > 0 && g_str_has_prefix (reason, line_prefix))
		reason += strlen (line_prefix);
	return reason;
}

char *
ds_spool_reject (const char *root, const char *path, int line,
		 const char *reason, GError **error)
{
	g_autofree char *corrupt = g_build_filename (root, "corrupt", NULL);
	g_autofree char *name = g_path_get_basename (path);
	g_autofree char *at = ds_time_now_utc_iso ();
	g_autofree char *moved = NULL;
	g_autofree char *moved_name = NULL;
	g_autofree char *reason_name = NULL;
	g_autofree char *one_line = ds_error_escape_controls (reason);
	char *text;
	g_autoptr (GBytes) contents = NULL;

	reason = one_line;
	moved = move_unique (path, corrupt, safe_name (name), ".reason",
			     error);
	if (moved == NULL)
		return NULL;
	moved_name = g_path_get_basename (moved);
	reason_name = g_strconcat (moved_name, ".reason", NULL);
	text = g_strdup_printf ("file: %s\nline: %d\nreason: %s\n"
				"rejected_at: %s\n", name, line, reason, at);
	contents = g_bytes_new_take (text, strlen (text));
	if (!ds_spool_write_file (corrupt, reason_name, contents, error))
		return NULL;
	if (line > 0)
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_INPUT_REFUSED, NULL,
			      "%s: moved to corrupt: line=%d: %s", name,
			      line, reason_cause (reason, name, line));
	else
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_INPUT_REFUSED, NULL,
			      "%s: moved to corrupt: %s", name,
			      reason_cause (reason, name, line));
	return g_steal_pointer (&moved);
}

gboolean
ds_spool_check_free_space (const char *path, guint64 min_free_bytes,
			   guint64 *available, GError **error)
{
	struct statvfs status;
	guint64 free_bytes;

	if (statvfs (path, &status) != 0)
		return system_fail (error, path, "statvfs");
	free_bytes = (guint64) status.f_bavail * status.f_frsize;
	if (available != NULL)
		*available = free_bytes;
	if (free_bytes < min_free_bytes) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: %" G_GUINT64_FORMAT " bytes free (%"
			     G_GUINT64_FORMAT " MB), under the threshold "
			     "min_free_bytes = %" G_GUINT64_FORMAT ": no new "
			     "work", path, free_bytes, free_bytes >> 20,
			     min_free_bytes);
		return FALSE;
	}
	return TRUE;
}

gboolean
ds_spool_check_room (DsInstance *instance, GError **error)
{
	const DsConfig *config = instance->config;
	guint64 min_free = config->min_free_bytes > 0 ?
			   (guint64) config->min_free_bytes : 0;
	g_autofree char *database_dir = g_path_get_dirname (
		config->database);

	return ds_spool_check_free_space (config->spool, min_free, NULL,
					  error) &&
	       ds_spool_check_free_space (database_dir, min_free, NULL,
					  error);
}

/* Processing the incoming queue. */

typedef struct {
	DsStore *store;
	const char *root;
	const DsSpoolOptions *options;
	char *incoming;
	GPtrArray *claimed;	/* paths in incoming/cur */
	GArray *locks;		/* int: the claims' lock fds */
	GPtrArray *reports;	/* DsImportReport */
} IncomingRun;

/* Called once every claimed file is settled: the locks go last. */
static void
incoming_run_clear (IncomingRun *run)
{
	for (guint i = 0; i < run->locks->len; i++)
		ds_spool_release (g_array_index (run->locks, int, i));
	g_array_unref (run->locks);
	g_free (run->incoming);
	g_clear_pointer (&run->claimed, g_ptr_array_unref);
	g_clear_pointer (&run->reports, g_ptr_array_unref);
}

/* A file refused before the import read it: to corrupt/, reported. */
static void
incoming_refuse (IncomingRun *run, const char *path, const char *reason)
{
	g_autoptr (DsImportReport) report = ds_import_report_new (path);
	g_autoptr (GError) move_error = NULL;
	char *moved = ds_spool_reject (run->root, path, 0, reason,
				       &move_error);

	report->refused = TRUE;
	report->refusal_code = DS_ERROR_INPUT;
	report->refusal = g_strdup (reason);
	if (moved != NULL) {
		g_free (report->path);
		report->path = moved;
	} else {
		g_warning ("%s: cannot move to corrupt: %s", path,
			   move_error->message);
	}
	g_ptr_array_add (run->reports, g_steal_pointer (&report));
}

/* Claim and check every file in incoming/new. */
static gboolean
incoming_claim (IncomingRun *run, GError **error)
{
	g_autoptr (GPtrArray) names = ds_spool_list_new (run->incoming,
							 error);

	if (names == NULL)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autoptr (GError) claim_error = NULL;
		g_autoptr (GError) check_error = NULL;
		int lock_fd;
		g_autofree char *path = ds_spool_claim (run->incoming, name,
							&lock_fd,
							&claim_error);

		if (path != NULL)
			g_array_append_val (run->locks, lock_fd);
		if (path == NULL) {
			if (!g_error_matches (claim_error, DS_ERROR,
					      DS_ERROR_NOT_FOUND))
				g_warning ("%s: cannot claim: %s", name,
					   claim_error->message);
			continue;
		}
		if (!ds_spool_check_input (path,
					   run->options->max_input_bytes,
					   NULL, &check_error)) {
			if (check_error->code != DS_ERROR_INPUT) {
				g_propagate_error (error,
						   g_steal_pointer (
							   &check_error));
				g_ptr_array_add (run->claimed,
						 g_steal_pointer (&path));
				return FALSE;
			}
			incoming_refuse (run, path, check_error->message);
			continue;
		}
		g_ptr_array_add (run->claimed, g_steal_pointer (&path));
	}
	return TRUE;
}

/*
 * A file read: to archive/, with NAME.rejected beside it when rows of
 * it were rejected, so that every row error is where the file is.
 */
static char *
incoming_archive (IncomingRun *run, DsImportReport *report, GError **error)
{
	g_autofree char *name = g_path_get_basename (report->path);
	g_autofree char *rejected = ds_import_report_rejected_rows (report);
	char *moved;

	if (rejected == NULL)
		moved = ds_spool_archive (run->root, report->path, error);
	else
		moved = ds_spool_archive_with_note (run->root, report->path,
						    ".rejected", rejected,
						    &report->rejected_path,
						    error);
	if (moved != NULL && report->rejected_path != NULL)
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SPOOL, NULL,
			      "%s: archived: to=%s rejected=%s", name, moved,
			      report->rejected_path);
	else if (moved != NULL)
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_SPOOL, NULL,
			      "%s: archived: to=%s", name, moved);
	return moved;
}

/*
 * Where a file goes after the import: archive/ when it was read,
 * corrupt/ when it is bad, back to new/ when the fault was ours (the
 * database, a profile) so that it is tried again.
 */
static void
incoming_settle (IncomingRun *run, DsImportReport *report)
{
	g_autoptr (GError) move_error = NULL;
	g_autofree char *name = g_path_get_basename (report->path);
	char *moved;

	if (!report->refused) {
		moved = incoming_archive (run, report, &move_error);
	} else if (report->refusal_code == DS_ERROR_INPUT) {
		moved = ds_spool_reject (run->root, report->path,
					 report->refusal_line,
					 report->refusal, &move_error);
	} else {
		moved = ds_spool_unclaim (run->incoming, report->path,
					  &move_error);
	}
	if (moved == NULL) {
		g_warning ("%s: left in %s: %s", name, report->path,
			   move_error->message);
		return;
	}
	g_free (report->path);
	report->path = moved;
}

static gboolean
incoming_import (IncomingRun *run, GError **error)
{
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) import_error = NULL;
	g_autoptr (GHashTable) settled = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);
	gboolean ok;

	if (run->claimed->len == 0)
		return TRUE;
	g_ptr_array_add (run->claimed, NULL);
	ok = ds_import_files (run->store,
			      (const char *const *) run->claimed->pdata,
			      run->options->profile_dir, NULL, &reports,
			      &import_error);
	g_ptr_array_remove_index (run->claimed, run->claimed->len - 1);

	for (guint i = 0; i < reports->len; i++) {
		DsImportReport *report = reports->pdata[i];

		g_hash_table_add (settled, g_strdup (report->path));
		incoming_settle (run, report);
	}
	g_ptr_array_extend_and_steal (run->reports,
				      g_steal_pointer (&reports));
	for (guint i = 0; i < run->claimed->len; i++)
		if (!g_hash_table_contains (settled, run->claimed->pdata[i]))
			ds_spool_unclaim (run->incoming,
					  run->claimed->pdata[i], NULL);
	if (!ok)
		g_propagate_error (error, g_steal_pointer (&import_error));
	return ok;
}

gboolean
ds_spool_import_incoming (DsStore *store, const char *root,
			  const DsSpoolOptions *options, GPtrArray **reports,
			  GError **error)
{
	IncomingRun run = { store, root, options, NULL, NULL, NULL, NULL };
	gint64 stale = options->stale_claim_seconds > 0 ?
		       options->stale_claim_seconds : STALE_CLAIM_DEFAULT;
	gboolean ok;

	run.incoming = g_build_filename (root, "incoming", NULL);
	run.claimed = g_ptr_array_new_with_free_func (g_free);
	run.locks = g_array_new (FALSE, FALSE, sizeof (int));
	run.reports = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_import_report_free);
	ok = ds_spool_check_free_space (root, options->min_free_bytes, NULL,
					error) &&
	     ds_spool_requeue_stale (run.incoming, stale, error);
	if (ok && !incoming_claim (&run, error)) {
		for (guint i = 0; i < run.claimed->len; i++)
			ds_spool_unclaim (run.incoming, run.claimed->pdata[i],
					  NULL);
		ok = FALSE;
	}
	ok = ok && incoming_import (&run, error);
	if (reports != NULL)
		*reports = g_steal_pointer (&run.reports);
	incoming_run_clear (&run);
	return ok;
}

/*
 * The daemon's record of an import: the report without its row errors,
 * then the first few, each naming its line and field, with the reason
 * (which may quote a name, an address or an amount) as debtor data.
 */
static void
log_import_report (const DsImportReport *report)
{
	g_autofree char *summary = ds_import_report_format (
		report, DS_IMPORT_ROWS_NONE);
	g_autofree char *name = g_path_get_basename (report->path);
	guint shown = MIN (report->errors->len, 5);

	g_message ("import: %s", g_strchomp (summary));
	for (guint i = 0; i < shown; i++) {
		const DsImportError *row_error = report->errors->pdata[i];

		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_IMPORT,
			      &(DsLogFields) { .debtor = row_error->reason },
			      "%s: line %d: %s: rejected", name,
			      row_error->line, row_error->field ?
			      row_error->field : "row");
	}
}

gboolean
ds_spool_process_incoming (DsInstance *instance, GError **error)
{
	const DsConfig *config = instance->config;
	DsSpoolOptions options = {
		.profile_dir = config->profiles,
		.max_input_bytes = config->max_input_bytes,
		.min_free_bytes = config->min_free_bytes > 0 ?
				  (guint64) config->min_free_bytes : 0,
	};
	g_autoptr (GPtrArray) reports = NULL;
	gboolean ok = ds_spool_check_room (instance, error) &&
		      ds_spool_import_incoming (instance->store,
						config->spool, &options,
						&reports, error);

	for (guint i = 0; reports != NULL && i < reports->len; i++)
		log_import_report (reports->pdata[i]);
	return ok;
}
