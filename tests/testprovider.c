/*
 * testprovider.c -- a REST provider stand-in for the tests.  See
 * testprovider.h.
 */
#include "testprovider.h"

#include <check.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

void
ds_test_provider_start (DsTestProvider *provider, const char *dir,
			const char *resource, const char *const *options)
{
	g_autofree char *script = ds_test_srcpath ("tests/http-provider.py");
	g_autofree char *ready = g_build_filename (dir, "provider.port",
						   NULL);
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	g_autoptr (GError) error = NULL;
	g_autofree char *port = NULL;

	provider->log_dir = g_build_filename (dir, "provider", NULL);
	ck_assert (g_mkdir_with_parents (provider->log_dir, 0700) == 0);
	g_unlink (ready);
	g_ptr_array_add (argv, (char *) "/usr/bin/python3");
	g_ptr_array_add (argv, script);
	g_ptr_array_add (argv, (char *) "--resource");
	g_ptr_array_add (argv, (char *) resource);
	g_ptr_array_add (argv, (char *) "--log-dir");
	g_ptr_array_add (argv, provider->log_dir);
	g_ptr_array_add (argv, (char *) "--ready-file");
	g_ptr_array_add (argv, ready);
	g_ptr_array_add (argv, (char *) "--watch-stdin");
	for (; options != NULL && *options != NULL; options++)
		g_ptr_array_add (argv, (char *) *options);
	g_ptr_array_add (argv, NULL);
	ck_assert_msg (g_spawn_async_with_pipes (
			       NULL, (char **) argv->pdata, NULL,
			       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			       &provider->pid, &provider->stdin_fd, NULL,
			       NULL, &error), "%s",
		       error ? error->message : "");
	for (int i = 0; i < 200 && !g_file_get_contents (ready, &port, NULL,
							 NULL); i++)
		g_usleep (50000);
	ck_assert_msg (port != NULL, "http-provider.py did not start");
	provider->url = g_strdup_printf ("http://127.0.0.1:%d",
					 atoi (port));
}

void
ds_test_provider_stop (DsTestProvider *provider)
{
	int status;

	close (provider->stdin_fd);
	kill (provider->pid, SIGTERM);
	waitpid (provider->pid, &status, 0);
	g_spawn_close_pid (provider->pid);
	g_free (provider->url);
	g_free (provider->log_dir);
}

guint
ds_test_provider_count (DsTestProvider *provider)
{
	g_autoptr (GDir) dir = g_dir_open (provider->log_dir, 0, NULL);
	const char *name;
	guint count = 0;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
		count += g_str_has_suffix (name, ".json");
	return count;
}
