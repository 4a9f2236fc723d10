/*
 * dunspool.c -- the operator CLI: one verb per job.
 *
 * This file holds the table of verbs and dispatches to them; each verb
 * (cli-*.c) only parses its options and calls the library.  Every verb
 * takes --root DIR (default /etc/dunspool, or $DUNSPOOL_ROOT) and, where
 * it prints data, --json for one JSON document on stdout.  Diagnostics
 * go to stderr.  Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"

static const DsCliVerb verbs[] = {
	{ "init", "[DIR]", "Create an instance: config, spool, database.",
	  ds_cli_verb_init },
	{ "import", "FILE...", "Import ledger files now.",
	  ds_cli_verb_import },
	{ "run", "", "Run one full daily cycle.", ds_cli_verb_run },
	{ "replay", "", "Run the daily cycle day by day over a history.",
	  ds_cli_verb_replay },
	{ "demo", "[DIR]", "The bundled real ledger, end to end.",
	  ds_cli_verb_demo },
	{ "score", "", "Scores of the open invoices and their reasons.",
	  ds_cli_verb_score },
	{ "evaluate", "", "Backtest the scorer on a time split.",
	  ds_cli_verb_evaluate },
	{ "agenda", "", "The collectors' worklist of the day.",
	  ds_cli_verb_agenda },
	{ "task", "done ID", "Close a collector's task with its outcome.",
	  ds_cli_verb_task },
	{ "report", "channels", "What each channel brought in.",
	  ds_cli_verb_report },
	{ "claim", "CUSTOMER", "What would be claimed, itemised.",
	  ds_cli_verb_claim },
	{ "waive", "CUSTOMER", "Waive fees, compensation and interest.",
	  ds_cli_verb_waive },
	{ "trace", "ID", "A document's, invoice's or customer's story.",
	  ds_cli_verb_trace },
	{ "queue", "ACTION [TRACE_ID...]", "list, show, hold, release, "
	  "requeue, cancel, reconcile, flush.", ds_cli_verb_queue },
	{ "batch", "ACTION [ID]", "list, show, print, printed, posted.",
	  ds_cli_verb_batch },
	{ "status", "FILE...", "Apply feedback files: bounces, mailroom, "
	  "carrier.", ds_cli_verb_status },
};

const DsCliVerb *
ds_cli_find_verb (const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
		if (strcmp (verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static int
usage (FILE *out)
{
	fprintf (out, "usage: dunspool VERB [--root DIR] [--json] ...\n\n");
	for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
		fprintf (out, "  %-8s %-32s %s\n", verbs[i].name,
			 verbs[i].parameters, verbs[i].summary);
	fprintf (out, "\nEach verb takes --help.\n");
	return out == stdout ? EXIT_SUCCESS : DS_CLI_EXIT_USAGE;
}

/*
 * `dunspool --root DIR queue list` reads as well as `dunspool queue list
 * --root DIR`: options before the verb are moved after it, where the
 * verb's own parser reads them.
 */
static void
move_verb_first (int argc, char **argv)
{
	int leading = 1;
	char *verb;

	while (leading < argc && argv[leading][0] == '-' &&
	       strcmp (argv[leading], "--help") != 0 &&
	       strcmp (argv[leading], "-h") != 0) {
		if ((strcmp (argv[leading], "--root") == 0 ||
		     strcmp (argv[leading], "-r") == 0) &&
		    leading + 1 < argc)
			leading++;
		leading++;
	}
	if (leading == 1 || leading >= argc)
		return;
	verb = argv[leading];
	memmove (argv + 2, argv + 1, (leading - 1) * sizeof *argv);
	argv[1] = verb;
}

int
main (int argc, char **argv)
{
	const DsCliVerb *verb;
	g_autofree char *user = NULL;

	setlocale (LC_ALL, "");
	/* Info and debug records too: stdout carries --json documents. */
	g_log_writer_default_set_use_stderr (TRUE);
	if (argc < 2)
		return usage (stderr);
	move_verb_first (argc, argv);
	if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
		return usage (stdout);
	verb = ds_cli_find_verb (argv[1]);
	if (verb == NULL) {
		g_printerr ("dunspool: unknown verb \"%s\"\n", argv[1]);
		return usage (stderr);
	}
	user = g_strdup_printf ("cli:%s", g_get_user_name ());
	ds_journal_set_actor (user);
	return verb->run (argc - 1, argv + 1);
}
