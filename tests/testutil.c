/*
 * testutil.c -- helpers for the Check suites.  See testutil.h.
 */
#include "testutil.h"

#include <glib/gstdio.h>
#include <stdlib.h>

char *
ds_test_tmpdir (void)
{
	g_autoptr (GError) error = NULL;
	char *path = g_dir_make_tmp ("dunspool-test-XXXXXX", &error);

	if (path == NULL)
		g_error ("temporary directory: %s", error->message);
	return path;
}

void
ds_test_rmtree (const char *path)
{
	g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		g_unlink (path);
		return;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
			ds_test_rmtree (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

char *
ds_test_srcpath (const char *relative)
{
	const char *top = g_getenv ("DS_TOP_SRCDIR");

	return g_build_filename (top ? top : DS_TOP_SRCDIR, relative, NULL);
}

char *
ds_test_write (const char *dir, const char *name, const char *contents)
{
	g_autoptr (GError) error = NULL;
	char *path = g_build_filename (dir, name, NULL);

	if (!g_file_set_contents (path, contents, -1, &error))
		g_error ("%s: %s", path, error->message);
	return path;
}
