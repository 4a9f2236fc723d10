/*
 * cli.h -- what the verbs of the dunspool CLI share.
 *
 * Each verb is a function from its arguments (argv[0] is the verb) to an
 * exit status: 0 success, 1 failure, 2 usage error.  Verbs only parse
 * their options and call the library; they live in cli-*.c by the part
 * of dunspool they drive, and dunspool.c holds the table of them.
 */
#ifndef DS_CLI_H
#define DS_CLI_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "date.h"
#include "instance.h"

G_BEGIN_DECLS

#define DS_CLI_EXIT_USAGE 2

/* --json was given: print one JSON document on stdout. */
extern gboolean ds_cli_json;

/* --root, else $DUNSPOOL_ROOT, else the installed default. */
const char *ds_cli_root (void);

/*
 * Parse a verb's options (--root and --json included) and check the
 * count of arguments left; on FALSE, *status is the exit status to
 * return (the reason was printed).  max_args -1: no limit.
 */
gboolean ds_cli_parse (const char *verb, const GOptionEntry *extra,
		       int *argc, char ***argv, int min_args, int max_args,
		       int *status);

/* Print "dunspool: MESSAGE" on stderr; returns EXIT_FAILURE. */
int ds_cli_fail (GError *error);
/* Print and release the node, pretty, on stdout. */
void ds_cli_print_json (JsonNode *root);
/* An ISO date for an option, or FALSE after saying why. */
gboolean ds_cli_parse_date (const char *text, const char *option,
			    DsDate *date);
DsInstance *ds_cli_open_instance (GError **error);

/* The verb table's entries, for usage and --help. */
typedef struct {
	const char *name;
	const char *parameters;
	const char *summary;
	int (*run) (int argc, char **argv);
} DsCliVerb;

const DsCliVerb *ds_cli_find_verb (const char *name);

/* cli-ledger.c */
int ds_cli_verb_init (int argc, char **argv);
int ds_cli_verb_import (int argc, char **argv);
int ds_cli_verb_run (int argc, char **argv);
int ds_cli_verb_replay (int argc, char **argv);
int ds_cli_verb_demo (int argc, char **argv);

/* cli-documents.c */
int ds_cli_verb_trace (int argc, char **argv);
int ds_cli_verb_queue (int argc, char **argv);
int ds_cli_verb_batch (int argc, char **argv);
int ds_cli_verb_status (int argc, char **argv);

/* cli-scorer.c */
int ds_cli_verb_score (int argc, char **argv);
int ds_cli_verb_evaluate (int argc, char **argv);
int ds_cli_verb_agenda (int argc, char **argv);
int ds_cli_verb_task (int argc, char **argv);
int ds_cli_verb_report (int argc, char **argv);

/* cli-claim.c */
int ds_cli_verb_claim (int argc, char **argv);
int ds_cli_verb_waive (int argc, char **argv);

G_END_DECLS

#endif
