/*
 * dunspoold.c -- the daemon's program: options, then the library's loop.
 */
#include <locale.h>
#include <stdlib.h>

#include "daemon.h"
#include "instance.h"

static char *option_root;

static const GOptionEntry options[] = {
	{ "root", 'r', 0, G_OPTION_ARG_FILENAME, &option_root,
	  "Instance root holding dunspool.conf", "DIR" },
	{ NULL }
};

int
main (int argc, char **argv)
{
	g_autoptr (GOptionContext) context = g_option_context_new (NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (DsDaemon) daemon = NULL;
	const char *root;

	setlocale (LC_ALL, "");
	g_log_writer_default_set_use_stderr (TRUE);
	g_option_context_set_summary (context,
		"The dunspool daemon: watches the spool, runs the daily "
		"cycle.");
	g_option_context_add_main_entries (context, options, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("dunspoold: %s\n", error->message);
		return 2;
	}
	root = option_root ? option_root : g_getenv ("DUNSPOOL_ROOT");
	daemon = ds_daemon_new (root ? root : DS_DEFAULT_ROOT, &error);
	if (daemon == NULL || !ds_daemon_run (daemon, &error)) {
		g_printerr ("dunspoold: %s\n", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
