/*
 * check_spool.c -- files move through the spool by rename only, are
 * never half-written, overwritten or lost, and input that is not a plain
 * text file is refused with its reason beside it (and its line in the
 * log when there is one).  A file a writer still has open in new/ waits
 * for the writer; a dot-name is left alone and told about once.
 */
#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include "ds-error.h"
#include "import.h"
#include "spool.h"
#include "testutil.h"

/* The log records written, as "PRIORITY DOMAIN: MESSAGE". */
static GPtrArray *records;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields,
		gsize n_fields, gpointer user_data)
{
	const char *values[3] = { "", "", "" };
	static const char *const keys[3] = {
		"PRIORITY", "GLIB_DOMAIN", "MESSAGE"
	};

	for (gsize i = 0; i < n_fields; i++)
		for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
			if (strcmp (fields[i].key, keys[k]) == 0 &&
			    fields[i].length < 0)
				values[k] = fields[i].value;
	g_ptr_array_add (records, g_strdup_printf ("%s %s: %s", values[0],
						   values[1], values[2]));
	return G_LOG_WRITER_HANDLED;
}

/* How many records hold TEXT; with PRIORITY > 0, of that priority. */
static guint
count_records (int priority, const char *text)
{
	g_autofree char *prefix = g_strdup_printf ("%d ", priority);
	guint count = 0;

	for (guint i = 0; i < records->len; i++)
		if ((priority == 0 ||
		     g_str_has_prefix (records->pdata[i], prefix)) &&
		    strstr (records->pdata[i], text) != NULL)
			count++;
	return count;
}

static char *
spool_new (void)
{
	g_autoptr (GError) error = NULL;
	char *root = ds_test_tmpdir ();

	ck_assert_msg (ds_spool_create_layout (root, &error), "%s",
		       error ? error->message : "");
	return root;
}

static void
write_bytes (const char *dir, const char *name, const char *data,
	     gsize length)
{
	g_autoptr (GBytes) bytes = g_bytes_new (data, length);
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_spool_write_file (dir, name, bytes, &error), "%s",
		       error ? error->message : "");
}

static void
write_text (const char *dir, const char *name, const char *text)
{
	write_bytes (dir, name, text, strlen (text));
}

static guint
count_entries (const char *dir)
{
	g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
	guint count = 0;

	ck_assert_ptr_nonnull (handle);
	while (g_dir_read_name (handle) != NULL)
		count++;
	return count;
}

static char *
read_text (const char *path)
{
	char *text = NULL;

	ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "%s",
		       path);
	return text;
}

static const char *const layout_dirs[] = {
	"incoming/tmp", "incoming/new", "incoming/cur", "status/tmp",
	"status/new", "corrupt", "archive", "documents", "outgoing/print",
	"outgoing/mail", "outgoing/fax",
};

START_TEST (test_spool_layout)
{
	g_autofree char *root = spool_new ();
	g_autofree char *path = g_build_filename (root, layout_dirs[_i],
						  NULL);
	struct stat status;

	ck_assert_int_eq (stat (path, &status), 0);
	ck_assert (S_ISDIR (status.st_mode));
	ck_assert_int_eq (status.st_mode & 07777, 0750);
	ck_assert (ds_spool_create_layout (root, NULL));
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_write_goes_through_tmp_into_new)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *tmp = g_build_filename (incoming, "tmp", NULL);
	g_autofree char *path = g_build_filename (incoming, "new", "a.csv",
						  NULL);
	g_autofree char *text = NULL;
	g_autoptr (GBytes) again = g_bytes_new_static ("other", 5);
	g_autoptr (GError) error = NULL;
	struct stat status;

	write_text (incoming, "a.csv", "x,y\n");
	text = read_text (path);
	ck_assert_str_eq (text, "x,y\n");
	ck_assert_int_eq (stat (path, &status), 0);
	ck_assert_int_eq (status.st_mode & 07777, 0640);
	ck_assert_uint_eq (count_entries (tmp), 0);

	ck_assert (!ds_spool_write_file (incoming, "a.csv", again, &error));
	g_free (text);
	text = read_text (path);
	ck_assert_str_eq (text, "x,y\n");
	ck_assert_uint_eq (count_entries (tmp), 0);
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_write_into_plain_directory)
{
	g_autofree char *root = spool_new ();
	g_autofree char *print = g_build_filename (root, "outgoing", "print",
						   NULL);
	g_autofree char *path = g_build_filename (print, "BATCH.csv", NULL);

	write_text (print, "BATCH.csv", "trace_id\n");
	ck_assert_uint_eq (count_entries (print), 1);
	ck_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR));
	ds_test_rmtree (root);
}
END_TEST

static const struct {
	const char *name;
	gboolean valid;
} names[] = {
	{ "invoices.csv", TRUE },
	{ "Rechnungen März.csv", TRUE },
	{ "", FALSE },
	{ ".hidden", FALSE },
	{ "../escape", FALSE },
	{ "dir/file", FALSE },
	{ "line\nbreak", FALSE },
	{ "bad\xff", FALSE },
};

START_TEST (test_spool_names)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autoptr (GBytes) bytes = g_bytes_new_static ("x\n", 2);
	g_autoptr (GError) error = NULL;

	ck_assert_int_eq (ds_spool_name_valid (names[_i].name),
			  names[_i].valid);
	ck_assert_int_eq (ds_spool_write_file (incoming, names[_i].name,
					       bytes, &error),
			  names[_i].valid);
	if (!names[_i].valid)
		ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_list_new_sorted)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *dot = g_build_filename (incoming, "new", ".part",
						 NULL);
	g_autoptr (GPtrArray) listed = NULL;

	write_text (incoming, "b.csv", "b\n");
	write_text (incoming, "a.csv", "a\n");
	write_text (incoming, "c.csv", "c\n");
	ck_assert (g_file_set_contents (dot, "x", 1, NULL));
	listed = ds_spool_list_new (incoming, NULL);
	ck_assert_uint_eq (listed->len, 3);
	ck_assert_str_eq (listed->pdata[0], "a.csv");
	ck_assert_str_eq (listed->pdata[1], "b.csv");
	ck_assert_str_eq (listed->pdata[2], "c.csv");
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_claim_once)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = NULL;
	g_autofree char *second = NULL;
	g_autofree char *expected = g_build_filename (incoming, "cur",
						      "a.csv", NULL);
	g_autoptr (GError) error = NULL;
	int lock_fd, second_fd;

	write_text (incoming, "a.csv", "a\n");
	claimed = ds_spool_claim (incoming, "a.csv", &lock_fd, &error);
	ck_assert_msg (claimed != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (claimed, expected);
	ck_assert (g_file_test (claimed, G_FILE_TEST_IS_REGULAR));
	ck_assert_int_ge (lock_fd, 0);
	second = ds_spool_claim (incoming, "a.csv", &second_fd, &error);
	ck_assert_ptr_null (second);
	ck_assert_int_eq (second_fd, -1);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
	ds_spool_release (lock_fd);
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_archive_never_overwrites)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autofree char *month = g_date_time_format (now, "%Y-%m");
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autofree char *claimed = NULL;
	g_autofree char *text = NULL;
	g_autofree char *expected = g_build_filename (root, "archive", month,
						      "daily.csv", NULL);
	g_autoptr (GError) error = NULL;
	int lock_fd;

	write_text (incoming, "daily.csv", "monday\n");
	claimed = ds_spool_claim (incoming, "daily.csv", &lock_fd, NULL);
	first = ds_spool_archive (root, claimed, &error);
	ds_spool_release (lock_fd);
	ck_assert_msg (first != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (first, expected);

	write_text (incoming, "daily.csv", "tuesday\n");
	g_free (claimed);
	claimed = ds_spool_claim (incoming, "daily.csv", &lock_fd, NULL);
	second = ds_spool_archive (root, claimed, &error);
	ds_spool_release (lock_fd);
	ck_assert (g_str_has_suffix (second, "/daily.csv.1"));
	text = read_text (first);
	ck_assert_str_eq (text, "monday\n");
	g_free (text);
	text = read_text (second);
	ck_assert_str_eq (text, "tuesday\n");
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_reject_writes_reason)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = NULL;
	g_autofree char *moved = NULL;
	g_autofree char *reason_path = NULL;
	g_autofree char *reason = NULL;
	g_autoptr (GError) error = NULL;
	int lock_fd;

	write_text (incoming, "bad.csv", "x\n");
	claimed = ds_spool_claim (incoming, "bad.csv", &lock_fd, NULL);
	ds_spool_release (lock_fd);
	moved = ds_spool_reject (root, claimed, 7, "line 7: malformed quoting",
				 &error);
	ck_assert_msg (moved != NULL, "%s", error ? error->message : "");
	ck_assert (g_str_has_suffix (moved, "/corrupt/bad.csv"));
	ck_assert (!g_file_test (claimed, G_FILE_TEST_EXISTS));
	reason_path = g_strconcat (moved, ".reason", NULL);
	reason = read_text (reason_path);
	ck_assert (strstr (reason, "file: bad.csv\n"));
	ck_assert (strstr (reason, "line: 7\n"));
	ck_assert (strstr (reason, "reason: line 7: malformed quoting\n"));
	ck_assert (strstr (reason, "rejected_at: "));
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_reject_keeps_unsafe_name_safely)
{
	g_autofree char *root = spool_new ();
	g_autofree char *path = g_build_filename (root, "incoming", "cur",
						  "bad\nname.csv", NULL);
	g_autofree char *moved = NULL;
	g_autofree char *reason_path = NULL;
	g_autofree char *reason = NULL;
	g_autoptr (GError) error = NULL;

	ck_assert (g_file_set_contents (path, "x\n", 2, NULL));
	moved = ds_spool_reject (root, path, 0, "not a spool file name",
				 &error);
	ck_assert_msg (moved != NULL, "%s", error ? error->message : "");
	ck_assert (g_str_has_suffix (moved, "/corrupt/bad_name.csv"));
	reason_path = g_strconcat (moved, ".reason", NULL);
	reason = read_text (reason_path);
	ck_assert (strstr (reason, "file: bad_name.csv\nline: 0\n"));
	ds_test_rmtree (root);
}
END_TEST

/* The log record of a refusal: the line apart, once, when there is one. */
START_TEST (test_spool_reject_logs_line_when_known)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = NULL;
	g_autofree char *moved = NULL;
	g_autofree char *whole = g_build_filename (incoming, "cur",
						   "whole.csv", NULL);
	int lock_fd;

	write_text (incoming, "bad.csv", "x\n");
	claimed = ds_spool_claim (incoming, "bad.csv", &lock_fd, NULL);
	ds_spool_release (lock_fd);
	g_ptr_array_set_size (records, 0);
	moved = ds_spool_reject (root, claimed, 7, "bad.csv: line 7: "
				 "malformed quoting", NULL);
	ck_assert_ptr_nonnull (moved);
	ck_assert_uint_eq (count_records (4, "dunspool-spool: bad.csv: moved "
					  "to corrupt: line=7: malformed "
					  "quoting"), 1);

	ck_assert (g_file_set_contents (whole, "x\n", 2, NULL));
	g_free (moved);
	moved = ds_spool_reject (root, whole, 0, "content is "
				 "application/zip, not text", NULL);
	ck_assert_ptr_nonnull (moved);
	ck_assert_uint_eq (count_records (4, "dunspool-spool: whole.csv: "
					  "moved to corrupt: content is "
					  "application/zip, not text"), 1);
	ck_assert_uint_eq (count_records (0, "line=0"), 0);
	ds_test_rmtree (root);
}
END_TEST

/* Input that is not a plain text file, and its reason. */
static void
check_refused (const char *path, gint64 limit, const char *why)
{
	g_autoptr (GError) error = NULL;

	ck_assert (!ds_spool_check_input (path, limit, NULL, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
	ck_assert_msg (strstr (error->message, why), "%s", error->message);
}

START_TEST (test_spool_refuses_symlink)
{
	g_autofree char *root = spool_new ();
	g_autofree char *target = ds_test_write (root, "target.csv", "a,b\n");
	g_autofree char *link = g_build_filename (root, "incoming", "new",
						  "link.csv", NULL);

	ck_assert_int_eq (symlink (target, link), 0);
	check_refused (link, 0, "symbolic link");
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_refuses_oversize)
{
	g_autofree char *root = spool_new ();
	g_autofree char *path = ds_test_write (root, "big.csv",
					       "0123456789\n0123456789\n");

	ck_assert (ds_spool_check_input (path, 22, NULL, NULL));
	check_refused (path, 21, "22 bytes, over the limit of 21");
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_refuses_binary)
{
	static const char zip[] = "PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0";
	g_autofree char *root = spool_new ();
	g_autofree char *path = g_build_filename (root, "export.csv", NULL);

	ck_assert (g_file_set_contents (path, zip, sizeof zip - 1, NULL));
	check_refused (path, 0, "not text");
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_refuses_fifo_directory_and_empty)
{
	g_autofree char *root = spool_new ();
	g_autofree char *fifo = g_build_filename (root, "pipe.csv", NULL);
	g_autofree char *dir = g_build_filename (root, "documents", NULL);
	g_autofree char *empty = ds_test_write (root, "empty.csv", "");
	g_autofree char *text = ds_test_write (root, "ok.csv", "a;b\n1;2\n");
	g_autofree char *mime = NULL;

	ck_assert_int_eq (mkfifo (fifo, 0600), 0);
	check_refused (fifo, 0, "a FIFO");
	check_refused (dir, 0, "a directory");
	check_refused (empty, 0, "empty file");
	ck_assert (ds_spool_check_input (text, 0, &mime, NULL));
	ck_assert (g_str_has_prefix (mime, "text/"));
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_free_space)
{
	g_autofree char *root = spool_new ();
	g_autoptr (GError) error = NULL;
	guint64 available = 0;

	ck_assert (ds_spool_check_free_space (root, 0, &available, NULL));
	ck_assert_uint_gt (available, 0);
	ck_assert (!ds_spool_check_free_space (root, G_MAXUINT64, NULL,
					       &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	ck_assert (strstr (error->message, "no new work"));
	ds_test_rmtree (root);
}
END_TEST

/* A claim whose claimer died (its lock closed) goes back at once. */
START_TEST (test_spool_requeue_unheld_claim_at_once)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = NULL;
	g_autofree char *back = g_build_filename (incoming, "new", "a.csv",
						  NULL);
	int lock_fd;

	write_text (incoming, "a.csv", "a\n");
	claimed = ds_spool_claim (incoming, "a.csv", &lock_fd, NULL);
	ck_assert_ptr_nonnull (claimed);
	ds_spool_release (lock_fd);
	ck_assert (ds_spool_requeue_stale (incoming, 3600, NULL));
	ck_assert (!g_file_test (claimed, G_FILE_TEST_EXISTS));
	ck_assert (g_file_test (back, G_FILE_TEST_IS_REGULAR));
	ds_test_rmtree (root);
}
END_TEST

/* A claim whose lock is held stays, however old it is. */
START_TEST (test_spool_requeue_leaves_held_claim)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = NULL;
	int lock_fd;

	write_text (incoming, "a.csv", "a\n");
	claimed = ds_spool_claim (incoming, "a.csv", &lock_fd, NULL);
	ck_assert_int_ge (lock_fd, 0);
	ck_assert (ds_spool_requeue_stale (incoming, 3600, NULL));
	ck_assert (g_file_test (claimed, G_FILE_TEST_IS_REGULAR));
	ck_assert (ds_spool_requeue_stale (incoming, 0, NULL));
	ck_assert (g_file_test (claimed, G_FILE_TEST_IS_REGULAR));
	ds_spool_release (lock_fd);
	ds_test_rmtree (root);
}
END_TEST

/*
 * Another process claims a file and holds it: it is not requeued while
 * that process lives, and is requeued at once when it is killed.
 */
START_TEST (test_spool_requeue_when_claimer_killed)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *claimed = g_build_filename (incoming, "cur", "a.csv",
						     NULL);
	g_autofree char *back = g_build_filename (incoming, "new", "a.csv",
						  NULL);
	int ready[2];
	char byte;
	pid_t child;
	int status;

	write_text (incoming, "a.csv", "a\n");
	ck_assert (pipe (ready) == 0);
	child = fork ();
	ck_assert (child >= 0);
	if (child == 0) {
		int lock_fd;
		char *path = ds_spool_claim (incoming, "a.csv", &lock_fd,
					     NULL);

		close (ready[0]);
		if (write (ready[1], path && lock_fd >= 0 ? "y" : "n", 1) !=
		    1)
			_exit (1);
		for (;;)
			pause ();
	}
	close (ready[1]);
	ck_assert_int_eq (read (ready[0], &byte, 1), 1);
	ck_assert_int_eq (byte, 'y');
	close (ready[0]);

	ck_assert (ds_spool_requeue_stale (incoming, 0, NULL));
	ck_assert (g_file_test (claimed, G_FILE_TEST_IS_REGULAR));
	ck_assert (!g_file_test (back, G_FILE_TEST_EXISTS));

	ck_assert (kill (child, SIGKILL) == 0);
	ck_assert (waitpid (child, &status, 0) == child);
	ck_assert (ds_spool_requeue_stale (incoming, 3600, NULL));
	ck_assert (!g_file_test (claimed, G_FILE_TEST_EXISTS));
	ck_assert (g_file_test (back, G_FILE_TEST_IS_REGULAR));
	ds_test_rmtree (root);
}
END_TEST

/* What cannot be lock-tested (a link) goes back by age only. */
START_TEST (test_spool_requeue_untestable_by_age)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *link = g_build_filename (incoming, "cur", "l.csv",
						  NULL);
	g_autofree char *back = g_build_filename (incoming, "new", "l.csv",
						  NULL);

	ck_assert (symlink ("/etc/passwd", link) == 0);
	ck_assert (ds_spool_requeue_stale (incoming, 3600, NULL));
	ck_assert (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
	ck_assert (ds_spool_requeue_stale (incoming, 0, NULL));
	ck_assert (!g_file_test (link, G_FILE_TEST_IS_SYMLINK));
	ck_assert (g_file_test (back, G_FILE_TEST_IS_SYMLINK));
	ds_test_rmtree (root);
}
END_TEST

static const char *
report_for (GPtrArray *reports, const char *name, DsImportReport **found)
{
	for (guint i = 0; i < reports->len; i++) {
		DsImportReport *report = reports->pdata[i];
		g_autofree char *base = g_path_get_basename (report->path);

		if (strcmp (base, name) == 0) {
			*found = report;
			return report->path;
		}
	}
	ck_abort_msg ("no report for %s", name);
	return NULL;
}

/* The bundled ledger and three bad files dropped in incoming/new. */
START_TEST (test_spool_import_incoming)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autofree char *profiles = ds_test_srcpath ("data/profiles");
	g_autofree char *new_dir = g_build_filename (incoming, "new", NULL);
	g_autofree char *cur_dir = g_build_filename (incoming, "cur", NULL);
	g_autofree char *link = g_build_filename (new_dir, "link.csv", NULL);
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;
	DsSpoolOptions options = { profiles, 1 << 20, 0, 0 };
	static const char *const bundled[] = {
		"WA_Fn-UseC_-Accounts-Receivable.csv", "customers.csv",
		"entities.csv",
	};
	DsImportReport *report = NULL;
	g_autofree char *reason_path = NULL;
	g_autofree char *reason = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS (bundled); i++) {
		g_autofree char *relative = g_build_filename (
			"data/ibm-ar", bundled[i], NULL);
		g_autofree char *source = ds_test_srcpath (relative);
		g_autofree char *text = read_text (source);

		write_text (incoming, bundled[i], text);
	}
	write_bytes (incoming, "binary.csv", "\x7f" "ELF\x02\x01\x01\0\0\0",
		     10);
	write_text (incoming, "header.csv", "foo,bar\n1,2\n");
	ck_assert_int_eq (symlink (db, link), 0);

	ck_assert_msg (ds_spool_import_incoming (store, root, &options,
						  &reports, &error),
		       "%s", error ? error->message : "");
	ck_assert_uint_eq (reports->len, 6);
	for (gsize i = 0; i < G_N_ELEMENTS (bundled); i++) {
		const char *path = report_for (reports, bundled[i], &report);

		ck_assert (!report->refused);
		ck_assert (strstr (path, "/archive/"));
		ck_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR));
	}
	report_for (reports, "WA_Fn-UseC_-Accounts-Receivable.csv", &report);
	ck_assert_int_eq (report->accepted, 2466);

	ck_assert (strstr (report_for (reports, "binary.csv", &report),
			   "/corrupt/"));
	ck_assert (strstr (report->refusal, "not text"));
	ck_assert (strstr (report_for (reports, "link.csv", &report),
			   "/corrupt/"));
	ck_assert (strstr (report->refusal, "symbolic link"));
	reason_path = g_strconcat (report_for (reports, "header.csv",
					       &report), ".reason", NULL);
	reason = read_text (reason_path);
	ck_assert (strstr (reason, "line: 1\n"));
	ck_assert (strstr (reason, "not that of a known record kind"));
	ck_assert_uint_eq (count_entries (new_dir), 0);
	ck_assert_uint_eq (count_entries (cur_dir), 0);
	ck_assert (g_file_test (db, G_FILE_TEST_IS_REGULAR));
	ck_assert_uint_eq (count_records (4, "header.csv: moved to corrupt: "
					  "line=1: the header is not"), 1);
	ck_assert_uint_eq (count_records (4, "binary.csv: moved to corrupt: "
					  "content is"), 1);
	ck_assert_uint_eq (count_records (0, "line=0"), 0);
	ds_test_rmtree (root);
}
END_TEST

static gint64
count_table (DsStore *store, const char *table)
{
	g_autofree char *sql = g_strdup_printf ("SELECT COUNT (*) FROM %s",
						table);
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store, sql,
							       NULL);

	ck_assert_int_eq (sqlite3_step (statement), SQLITE_ROW);
	return sqlite3_column_int64 (statement, 0);
}

/*
 * A writer that writes a file in place in incoming/new (not through
 * tmp/) and still has it open: the file is left alone, nothing of it
 * imported, until the writer closes it; then it comes in whole.
 */
START_TEST (test_spool_leaves_file_open_for_writing)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autofree char *path = g_build_filename (incoming, "new",
						  "entities.csv", NULL);
	g_autofree char *cur_dir = g_build_filename (incoming, "cur", NULL);
	g_autofree char *source = ds_test_srcpath ("data/ibm-ar/entities.csv");
	g_autofree char *text = read_text (source);
	const char *rest = strchr (strchr (text, '\n') + 1, '\n') + 1;
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GError) error = NULL;
	DsSpoolOptions options = { NULL, 1 << 20, 0, 0 };
	DsImportReport *report;
	int ready[2], go[2];
	char byte;
	pid_t writer;
	int status;

	/* The writer: the header and one row, then the rest when told. */
	ck_assert (pipe (ready) == 0 && pipe (go) == 0);
	writer = fork ();
	ck_assert (writer >= 0);
	if (writer == 0) {
		int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0640);
		gsize head = rest - text;

		if (fd < 0 || write (fd, text, head) != (ssize_t) head ||
		    write (ready[1], "y", 1) != 1 ||
		    read (go[0], &byte, 1) != 1 ||
		    write (fd, rest, strlen (rest)) !=
		    (ssize_t) strlen (rest) || close (fd) != 0)
			_exit (1);
		_exit (0);
	}
	ck_assert_int_eq (read (ready[0], &byte, 1), 1);

	g_ptr_array_set_size (records, 0);
	ck_assert_msg (ds_spool_import_incoming (store, root, &options,
						  &reports, &error),
		       "%s", error ? error->message : "");
	ck_assert_uint_eq (reports->len, 0);
	ck_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR));
	ck_assert_uint_eq (count_entries (cur_dir), 0);
	ck_assert_int_eq (count_table (store, "entities"), 0);
	ck_assert_uint_eq (count_records (7, "entities.csv: left in new/ for "
					  "now: another process has it open "
					  "for writing"), 1);

	ck_assert_int_eq (write (go[1], "y", 1), 1);
	ck_assert (waitpid (writer, &status, 0) == writer);
	ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
	g_clear_pointer (&reports, g_ptr_array_unref);
	ck_assert_msg (ds_spool_import_incoming (store, root, &options,
						  &reports, &error),
		       "%s", error ? error->message : "");
	ck_assert_uint_eq (reports->len, 1);
	report = reports->pdata[0];
	ck_assert (!report->refused);
	ck_assert_int_eq (report->accepted, 4);
	ck_assert_int_eq (count_table (store, "entities"), 4);
	ck_assert (strstr (report->path, "/archive/"));
	ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
	ds_test_rmtree (root);
}
END_TEST

/*
 * A file with 23 rows rejected: archived with NAME.rejected beside it,
 * every row error in it, one a line; what the log shows of them says
 * where the rest are.  A file without rejected rows gets no such note.
 */
START_TEST (test_spool_import_writes_every_rejected_row)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GString) text = g_string_new (
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone\n"
		"DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,,,,,\n");
	DsSpoolOptions options = { NULL, 1 << 20, 0, 0 };
	DsImportReport *report = NULL;
	g_autofree char *expected_path = NULL;
	g_autofree char *rejected = NULL;
	g_autofree char *shown = NULL;
	g_auto (GStrv) lines = NULL;
	g_autofree char *clean = NULL;

	for (int i = 1; i <= 23; i++)
		g_string_append_printf (text, "X%02d,,Street 1,1,City,DE,,,,,"
					"\n", i);
	write_text (incoming, "rows.csv", text->str);
	write_text (incoming, "clean.csv",
		    "entity_id,name,street,postal_code,city,country,iban,"
		    "bic,vat_id,email,phone\n"
		    "FR01,Nord SA,1 rue Neuve,75002,Paris,FR,,,,,\n");
	g_ptr_array_set_size (records, 0);
	ck_assert (ds_spool_import_incoming (store, root, &options, &reports,
					     NULL));
	ck_assert_uint_eq (reports->len, 2);

	report_for (reports, "rows.csv", &report);
	ck_assert_int_eq (report->rejected, 23);
	ck_assert (strstr (report->path, "/archive/") != NULL);
	expected_path = g_strconcat (report->path, ".rejected", NULL);
	ck_assert_str_eq (report->rejected_path, expected_path);
	rejected = read_text (report->rejected_path);
	lines = g_strsplit (rejected, "\n", -1);
	ck_assert_uint_eq (g_strv_length (lines), 1 + 23 + 1);
	ck_assert_str_eq (lines[0], "line\tfield\treason");
	ck_assert_str_eq (lines[1], "3\tname\tmissing value");
	ck_assert_str_eq (lines[23], "25\tname\tmissing value");
	ck_assert_str_eq (lines[24], "");
	ck_assert_uint_eq (count_records (0, "rows.csv: archived: to="), 1);
	ck_assert_uint_eq (count_records (0, "rejected=/"), 1);

	shown = ds_import_report_format (report, 5);
	ck_assert_msg (strstr (shown, "  and 18 more rejected rows: all 23 "
			       "in ") != NULL, "%s", shown);
	ck_assert (strstr (shown, report->rejected_path) != NULL);

	report_for (reports, "clean.csv", &report);
	ck_assert (report->rejected_path == NULL);
	clean = g_strconcat (report->path, ".rejected", NULL);
	ck_assert (!g_file_test (clean, G_FILE_TEST_EXISTS));
	ds_test_rmtree (root);
}
END_TEST

/* A column nobody reads: the file comes in, the log names the column. */
START_TEST (test_spool_import_warns_of_unknown_columns)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	g_autoptr (GPtrArray) reports = NULL;
	DsSpoolOptions options = { NULL, 1 << 20, 0, 0 };
	DsImportReport *report;

	write_text (incoming, "entities.csv",
		    "entity_id,name,street,postal_code,city,country,iban,bic,"
		    "vat_id,email,phone,Notiz\n"
		    "DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,"
		    "DE89370400440532013000,COBADEFFXXX,DE000000000,"
		    "f@example.de,+49,neu\n");
	g_ptr_array_set_size (records, 0);
	ck_assert (ds_spool_import_incoming (store, root, &options, &reports,
					     NULL));
	ck_assert_uint_eq (reports->len, 1);
	report = reports->pdata[0];
	ck_assert_int_eq (report->accepted, 1);
	ck_assert (strstr (report->path, "/archive/"));
	ck_assert_str_eq (report->unknown_columns[0], "Notiz");
	ck_assert_uint_eq (count_records (4, "dunspool-import: entities.csv: "
					  "warning: line=1: unknown column, "
					  "not read: \"Notiz\""), 1);
	ds_test_rmtree (root);
}
END_TEST

/*
 * A dot-name in incoming/new is a writer's temporary file: left where it
 * is, told about once at info level (not at every scan), and once at
 * notice level when nobody has written to it for an hour.  A new file of
 * the same name is told about again.
 */
START_TEST (test_spool_dot_file_told_once)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autofree char *dot = g_build_filename (incoming, "new",
						 ".ledger.csv", NULL);
	g_autofree char *corrupt = g_build_filename (root, "corrupt", NULL);
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	DsSpoolOptions options = { NULL, 1 << 20, 0, 0 };
	static const char *const told = "dunspool-spool: .ledger.csv: left "
		"in new/: a name with a leading '.' is a writer's "
		"temporary file, not read";
	static const char *const lingering = "dunspool-spool: .ledger.csv: "
		"left in new/: last written 720";
	struct utimbuf two_hours_ago;

	ck_assert (g_file_set_contents (dot, "entity_id\n", -1, NULL));
	g_ptr_array_set_size (records, 0);
	for (int scan = 0; scan < 3; scan++)
		ck_assert (ds_spool_import_incoming (store, root, &options,
						     NULL, NULL));
	ck_assert_uint_eq (count_records (6, told), 1);
	ck_assert_uint_eq (count_records (5, ".ledger.csv"), 0);
	ck_assert (g_file_test (dot, G_FILE_TEST_IS_REGULAR));
	ck_assert_uint_eq (count_entries (corrupt), 0);

	two_hours_ago.actime = two_hours_ago.modtime = time (NULL) - 7200;
	ck_assert (utime (dot, &two_hours_ago) == 0);
	for (int scan = 0; scan < 3; scan++)
		ck_assert (ds_spool_import_incoming (store, root, &options,
						     NULL, NULL));
	ck_assert_uint_eq (count_records (5, lingering), 1);
	ck_assert_uint_eq (count_records (5, " s ago: a name with a leading "
					  "'.'"), 1);
	ck_assert_uint_eq (count_records (6, told), 1);

	/* Gone at a scan, then back: a new file to tell about. */
	ck_assert (g_unlink (dot) == 0);
	ck_assert (ds_spool_import_incoming (store, root, &options, NULL,
					     NULL));
	ck_assert (g_file_set_contents (dot, "entity_id\n", -1, NULL));
	ck_assert (ds_spool_import_incoming (store, root, &options, NULL,
					     NULL));
	ck_assert_uint_eq (count_records (6, told), 2);
	ds_test_rmtree (root);
}
END_TEST

START_TEST (test_spool_no_work_when_disk_full)
{
	g_autofree char *root = spool_new ();
	g_autofree char *incoming = g_build_filename (root, "incoming", NULL);
	g_autofree char *db = g_build_filename (root, "db.sqlite", NULL);
	g_autofree char *waiting = g_build_filename (incoming, "new",
						     "entities.csv", NULL);
	g_autoptr (DsStore) store = ds_store_open (db, NULL);
	g_autoptr (GError) error = NULL;
	DsSpoolOptions options = { NULL, 0, G_MAXUINT64, 0 };

	write_text (incoming, "entities.csv", "a\n");
	ck_assert (!ds_spool_import_incoming (store, root, &options, NULL,
					       &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	ck_assert (g_file_test (waiting, G_FILE_TEST_IS_REGULAR));
	ds_test_rmtree (root);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("spool");
	TCase *moves = tcase_create ("moves");
	TCase *input = tcase_create ("input");
	SRunner *runner;
	int failed;

	records = g_ptr_array_new_with_free_func (g_free);
	g_log_set_writer_func (capture_writer, NULL, NULL);
	tcase_add_loop_test (moves, test_spool_layout, 0,
			     G_N_ELEMENTS (layout_dirs));
	tcase_add_test (moves, test_spool_write_goes_through_tmp_into_new);
	tcase_add_test (moves, test_spool_write_into_plain_directory);
	tcase_add_loop_test (moves, test_spool_names, 0, G_N_ELEMENTS (names));
	tcase_add_test (moves, test_spool_list_new_sorted);
	tcase_add_test (moves, test_spool_claim_once);
	tcase_add_test (moves, test_spool_archive_never_overwrites);
	tcase_add_test (moves, test_spool_reject_writes_reason);
	tcase_add_test (moves, test_spool_reject_keeps_unsafe_name_safely);
	tcase_add_test (moves, test_spool_reject_logs_line_when_known);
	tcase_add_test (moves, test_spool_requeue_unheld_claim_at_once);
	tcase_add_test (moves, test_spool_requeue_leaves_held_claim);
	tcase_add_test (moves, test_spool_requeue_when_claimer_killed);
	tcase_add_test (moves, test_spool_requeue_untestable_by_age);
	tcase_add_test (input, test_spool_refuses_symlink);
	tcase_add_test (input, test_spool_refuses_oversize);
	tcase_add_test (input, test_spool_refuses_binary);
	tcase_add_test (input, test_spool_refuses_fifo_directory_and_empty);
	tcase_add_test (input, test_spool_free_space);
	tcase_set_timeout (input, 60);
	tcase_add_test (input, test_spool_import_incoming);
	tcase_add_test (input, test_spool_no_work_when_disk_full);
	tcase_add_test (input, test_spool_leaves_file_open_for_writing);
	tcase_add_test (input, test_spool_dot_file_told_once);
	tcase_add_test (input, test_spool_import_warns_of_unknown_columns);
	tcase_add_test (input, test_spool_import_writes_every_rejected_row);
	suite_add_tcase (suite, moves);
	suite_add_tcase (suite, input);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
