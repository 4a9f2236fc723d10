/*
 * cli-claim.c -- the claim verb: what would be claimed, itemised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "claim.h"
#include "rates.h"

int
ds_cli_verb_claim (int argc, char **argv)
{
	static char *as_of_text;
	static gboolean no_interest;
	const GOptionEntry options[] = {
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "What would be claimed on this date (today)",
		  "YYYY-MM-DD" },
		{ "no-interest", 0, 0, G_OPTION_ARG_NONE, &no_interest,
		  "Leave statutory interest and compensation out", NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsRateTables) rates = NULL;
	g_autofree char *rates_dir = ds_rate_tables_default_dir ();
	DsClaim *claim;
	DsClaimPolicy policy;
	DsDate as_of = ds_date_today_utc ();
	int status;

	if (!ds_cli_parse ("claim", options, &argc, &argv, 1, 1,
		    &status))
		return status;
	if (as_of_text != NULL &&
	    !ds_cli_parse_date (as_of_text, "--as-of", &as_of))
		return DS_CLI_EXIT_USAGE;
	instance = ds_cli_open_instance (&error);
	rates = instance ? ds_rate_tables_load (rates_dir, &error) : NULL;
	if (rates == NULL)
		return ds_cli_fail (error);
	ds_claim_policy_init (&policy, rates);
	if (no_interest) {
		policy.interest = FALSE;
		policy.compensation = FALSE;
	}
	claim = ds_claim_compute (instance->store, argv[1], as_of, &policy,
				  &error);
	if (claim == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json)
		ds_cli_print_json (ds_claim_to_json (claim));
	else
		ds_claim_print (claim, stdout);
	ds_claim_free (claim);
	return EXIT_SUCCESS;
}
