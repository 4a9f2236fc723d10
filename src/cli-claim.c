/*
 * cli-claim.c -- the claim verb: what would be claimed, itemised.
 *
 * Without options: what the customer's letters claim, carried to the
 * date -- netting, the costs earlier documents claimed, and interest and
 * compensation as the step of the last dunning letter sent claims them
 * (no new fee); for a customer no letter went to, what the law allows.
 * With --law: what the law allows on the date -- statutory (or
 * contract) interest and compensation, also of invoices paid late.  With
 * --step NAME: what a new letter of that step would claim from the
 * customer's whole account, under the step's fee, interest and
 * compensation settings and the [claims] rules of dunspool.conf.
 *
 * The waive verb is the operator's act that clears what a customer owes
 * beyond principal (fees, compensation, interest up to the date), of one
 * invoice or of all: one waiver row and one journal record each, in one
 * transaction (claim.h, ds_claim_waive).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "claim-letter.h"
#include "claim.h"
#include "document.h"
#include "ds-error.h"
#include "ledger.h"
#include "money.h"
#include "rates.h"

int
ds_cli_verb_claim (int argc, char **argv)
{
	static char *as_of_text;
	static gboolean no_interest;
	static char *step_name;
	static gboolean paid_late;
	static gboolean law;
	const GOptionEntry options[] = {
		{ "law", 0, 0, G_OPTION_ARG_NONE, &law,
		  "What the law allows, whatever the letters claimed",
		  NULL },
		{ "paid-late", 0, 0, G_OPTION_ARG_NONE, &paid_late,
		  "Also claim interest and compensation on invoices paid "
		  "late that no letter claimed them for (default: as "
		  "[claims] paid_late says)", NULL },
		{ "step", 0, 0, G_OPTION_ARG_STRING, &step_name,
		  "As a letter of this strategy step would claim", "NAME" },
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
	if (law && step_name != NULL) {
		g_printerr ("dunspool claim: --law and --step ask different "
			    "questions; give one\n");
		return DS_CLI_EXIT_USAGE;
	}
	instance = ds_cli_open_instance (&error);
	rates = instance ? ds_rate_tables_load (rates_dir, &error) : NULL;
	if (rates == NULL)
		return ds_cli_fail (error);
	if (!ds_claim_letter_rules_policy (instance->store, instance->config,
					   argv[1], rates, &policy, &error))
		return ds_cli_fail (error);
	if (step_name == NULL && !law &&
	    !ds_claim_letter_customer_policy (instance->store,
					      instance->config, argv[1],
					      as_of, rates, &policy, &error))
		return ds_cli_fail (error);
	if (step_name != NULL) {
		const DsStep *step = ds_claim_letter_find_step (
			instance->config, step_name);

		if (step == NULL) {
			g_printerr ("dunspool claim: no step \"%s\" in "
				    "any strategy\n", step_name);
			return DS_CLI_EXIT_USAGE;
		}
		const DsCalendar *calendar = policy.calendar;

		ds_claim_letter_step_policy (instance->config, step, rates,
					     &policy);
		policy.calendar = calendar;
	}
	if (paid_late)
		policy.settled_since = DS_CLAIM_SETTLED_ANY;
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

int
ds_cli_verb_waive (int argc, char **argv)
{
	static char *on_text;
	static char *invoice_id;
	static char *reason;
	const GOptionEntry options[] = {
		{ "invoice", 0, 0, G_OPTION_ARG_STRING, &invoice_id,
		  "Only what this invoice carries (all when absent)", "ID" },
		{ "on", 0, 0, G_OPTION_ARG_STRING, &on_text,
		  "The waiver's date (today)", "YYYY-MM-DD" },
		{ "reason", 0, 0, G_OPTION_ARG_STRING, &reason,
		  "Why, for the journal (required)", "TEXT" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsRateTables) rates = NULL;
	g_autofree char *rates_dir = ds_rate_tables_default_dir ();
	g_autofree char *amount = NULL;
	g_autoptr (DsCustomer) customer = NULL;
	DsClaimPolicy policy;
	DsDate on = ds_date_today_utc ();
	gint64 waived = 0;
	int status;

	if (!ds_cli_parse ("waive", options, &argc, &argv, 1, 1, &status))
		return status;
	if (on_text != NULL && !ds_cli_parse_date (on_text, "--on", &on))
		return DS_CLI_EXIT_USAGE;
	if (reason == NULL || *reason == '\0') {
		g_printerr ("dunspool waive: --reason is required\n");
		return DS_CLI_EXIT_USAGE;
	}
	instance = ds_cli_open_instance (&error);
	rates = instance ? ds_rate_tables_load (rates_dir, &error) : NULL;
	if (rates == NULL)
		return ds_cli_fail (error);
	if (!ds_claim_letter_rules_policy (instance->store, instance->config,
					   argv[1], rates, &policy, &error))
		return ds_cli_fail (error);
	if (!ds_claim_waive (instance->store, argv[1], invoice_id, on,
			     reason, &policy, &waived, &error))
		return ds_cli_fail (error);
	customer = ds_ledger_get_customer (instance->store, argv[1], &error);
	if (customer == NULL)
		return ds_cli_fail (error);
	if (waived == 0) {
		/* an act that changed nothing, as dunspool(1) says */
		g_printerr ("dunspool waive: %s%s%s: nothing to waive\n",
			    argv[1], invoice_id ? " of " : "",
			    invoice_id ? invoice_id : "");
		return EXIT_FAILURE;
	}
	amount = ds_money_to_decimal (waived, customer->currency);
	printf ("%s: waived %s %s%s%s\n", argv[1], amount,
		customer->currency, invoice_id ? " of " : "",
		invoice_id ? invoice_id : "");
	return EXIT_SUCCESS;
}
