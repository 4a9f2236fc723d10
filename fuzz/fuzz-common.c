/*
 * fuzz-common.c -- see fuzz.h.
 */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static char *directory;

static void
remove_directory (void)
{
	g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *path = g_build_filename (directory, name,
							  NULL);

		if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
			g_autofree char *command = g_strdup_printf (
				"rm -rf '%s'", path);

			if (system (command) != 0)
				g_printerr ("fuzz: cannot remove %s\n", path);
		} else {
			g_unlink (path);
		}
	}
	g_rmdir (directory);
}

const char *
fuzz_directory (void)
{
	if (directory == NULL) {
		g_autoptr (GError) error = NULL;

		directory = g_dir_make_tmp ("dunspool-fuzz-XXXXXX", &error);
		if (directory == NULL) {
			g_printerr ("fuzz: %s\n", error->message);
			abort ();
		}
		atexit (remove_directory);
	}
	return directory;
}

char *
fuzz_write_file (const char *name, const uint8_t *data, size_t size)
{
	g_autoptr (GError) error = NULL;
	char *path = g_build_filename (fuzz_directory (), name, NULL);

	if (!g_file_set_contents (path, (const char *) data, size, &error)) {
		g_printerr ("fuzz: %s\n", error->message);
		abort ();
	}
	return path;
}

static GLogWriterOutput
drop_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
	  gpointer user_data)
{
	return G_LOG_WRITER_HANDLED;
}

void
fuzz_quiet (void)
{
	static gboolean done;

	if (!done && g_getenv ("DUNSPOOL_FUZZ_VERBOSE") == NULL)
		g_log_set_writer_func (drop_log, NULL, NULL);
	done = TRUE;
}
