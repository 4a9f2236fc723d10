/*
 * gen-ledger.c -- a large synthetic ledger in the native CSV format,
 * calibrated to the bundled IBM sample (data/ibm-ar), for the scorer's
 * throughput benchmark (bench/run-scorer.sh).
 *
 *   make bench/gen-ledger
 *   bench/gen-ledger [--customers N] [--open N] [--history N]
 *                    [--as-of YYYY-MM-DD] [--seed N] DIRECTORY
 *
 * Writes entities.csv, customers.csv, invoices.csv, payments.csv and
 * disputes.csv into DIRECTORY: N customers (100,000), each with its
 * share of the open invoices (1,000,000 in all, issued in the 60 days
 * before the as-of date) and of the settled history (N per customer, 5
 * by default, issued in the year before), paid by allocated payments.
 *
 * The figures of the sample it follows (2,466 invoices, 100 customers):
 *   amount         log-normal, mean of the log 4.015, deviation 0.437
 *   terms          30 days
 *   payment delay  days after the due date: per customer a mean drawn
 *                  from N(-3.55, 10.08), per invoice that mean plus
 *                  N(0, 7.41); never paid before the issue date
 *   disputed       22.7% of invoices, paid 8 days later on average
 *   paperless      49% of customers; five countries and currencies
 * The same seed writes the same bytes.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "date.h"

typedef struct {
	const char *country, *currency, *entity, *language, *city;
} Region;

static const Region regions[] = {
	{ "DE", "EUR", "DE01", "de", "Köln" },
	{ "FR", "EUR", "FR01", "fr", "Lyon" },
	{ "GB", "GBP", "GB01", "en", "Leeds" },
	{ "US", "USD", "US01", "en", "Boston" },
	{ "CH", "CHF", "CH01", "de", "Basel" },
};

typedef struct {
	GRand *rand;
	int customers;
	int open;
	int history;
	DsDate as_of;
	FILE *invoices, *payments, *disputes;
	gint64 invoice_count, payment_count;
} Generator;

static double
draw_normal (GRand *rand)
{
	double u = g_rand_double (rand);
	double v = g_rand_double (rand);

	return sqrt (-2.0 * log (1.0 - u)) * cos (2.0 * G_PI * v);
}

static FILE *
open_csv (const char *directory, const char *name, const char *header)
{
	g_autofree char *path = g_build_filename (directory, name, NULL);
	FILE *file = fopen (path, "w");

	if (file == NULL) {
		g_printerr ("gen-ledger: %s: %s\n", path, g_strerror (errno));
		exit (EXIT_FAILURE);
	}
	fprintf (file, "%s\n", header);
	return file;
}

static void
write_entities (const char *directory)
{
	FILE *file = open_csv (directory, "entities.csv",
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone");

	for (gsize i = 0; i < G_N_ELEMENTS (regions); i++)
		fprintf (file, "%s,Bench %s Ltd,Street 1,1000,%s,%s,,,,"
			 "ar@example.com,\n", regions[i].entity,
			 regions[i].country, regions[i].city,
			 regions[i].country);
	fclose (file);
}

static void
write_customer (FILE *file, Generator *generator, int index,
		const Region *region)
{
	gboolean paperless = g_rand_double (generator->rand) < 0.49;
	char since[DS_DATE_ISO_LEN];

	ds_date_format_iso (generator->as_of - 800 +
			    g_rand_int_range (generator->rand, 0, 700),
			    since);
	fprintf (file, "B%06d,Customer %d,Contact,Road %d,%05d,%s,%s,%s,%s,"
		 "%s,ap%d@example.com,,,1,,collector%d,%s\n", index, index,
		 index % 200 + 1, index % 90000 + 10000, region->city,
		 region->country, region->language, region->currency,
		 region->entity, index, index % 20, paperless ? since : "");
}

/* One invoice; a payment and maybe a dispute when it is settled. */
static void
write_invoice (Generator *generator, int customer, const Region *region,
	       DsDate issued, double mean_delay, gboolean settled)
{
	GRand *rand = generator->rand;
	gint64 cents = (gint64) llround (exp (4.015 + 0.437 *
					      draw_normal (rand)) * 100);
	DsDate due = issued + 30;
	gboolean disputed = g_rand_double (rand) < 0.227;
	double delay = mean_delay + 7.41 * draw_normal (rand) +
		       (disputed ? 8 : 0);
	gint64 paid_on = MAX ((gint64) due + llround (delay),
			      (gint64) issued);
	char issue_text[DS_DATE_ISO_LEN], due_text[DS_DATE_ISO_LEN];
	char paid_text[DS_DATE_ISO_LEN];
	gint64 number = generator->invoice_count++;

	ds_date_format_iso (issued, issue_text);
	ds_date_format_iso (due, due_text);
	fprintf (generator->invoices, "N%09" G_GINT64_FORMAT ",B%06d,%s,%s,"
		 "%s,%" G_GINT64_FORMAT ".%02d\n", number, customer,
		 issue_text, due_text, region->currency, cents / 100,
		 (int) (cents % 100));
	if (!settled || paid_on >= generator->as_of)
		return;
	ds_date_format_iso ((DsDate) paid_on, paid_text);
	fprintf (generator->payments, "Q%09" G_GINT64_FORMAT ",B%06d,%s,%s,"
		 "%" G_GINT64_FORMAT ".%02d,N%09" G_GINT64_FORMAT "\n",
		 generator->payment_count++, customer, paid_text,
		 region->currency, cents / 100, (int) (cents % 100), number);
	if (disputed)
		fprintf (generator->disputes, "N%09" G_GINT64_FORMAT ",%s,%s,"
			 "quality\n", number, issue_text, paid_text);
}

static void
write_customers (const char *directory, Generator *generator)
{
	FILE *customers = open_csv (directory, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,phone,b2b,tags,collector,"
		"paperless_since");

	for (int c = 0; c < generator->customers; c++) {
		const Region *region = &regions[g_rand_int_range (
			generator->rand, 0, G_N_ELEMENTS (regions))];
		double mean_delay = -3.55 + 10.08 * draw_normal (
			generator->rand);
		/* spread the open invoices evenly, the remainder first */
		int open = generator->open / generator->customers +
			   (c < generator->open % generator->customers);

		write_customer (customers, generator, c, region);
		for (int i = 0; i < generator->history; i++)
			write_invoice (generator, c, region,
				       generator->as_of - 425 +
				       g_rand_int_range (generator->rand, 0,
							 330),
				       mean_delay, TRUE);
		for (int i = 0; i < open; i++)
			write_invoice (generator, c, region,
				       generator->as_of - 60 +
				       g_rand_int_range (generator->rand, 0,
							 60),
				       mean_delay, FALSE);
	}
	fclose (customers);
}

int
main (int argc, char **argv)
{
	static int customers = 100000, open = 1000000, history = 5;
	static int seed = 20131231;
	static char *as_of_text = "2014-01-01";
	const GOptionEntry options[] = {
		{ "customers", 0, 0, G_OPTION_ARG_INT, &customers,
		  "Customers (100000)", "N" },
		{ "open", 0, 0, G_OPTION_ARG_INT, &open,
		  "Open invoices (1000000)", "N" },
		{ "history", 0, 0, G_OPTION_ARG_INT, &history,
		  "Settled invoices per customer (5)", "N" },
		{ "as-of", 0, 0, G_OPTION_ARG_STRING, &as_of_text,
		  "The date the ledger is open on (2014-01-01)", "DATE" },
		{ "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed", "N" },
		{ NULL }
	};
	g_autoptr (GOptionContext) context = g_option_context_new (
		"DIRECTORY");
	g_autoptr (GError) error = NULL;
	Generator generator = { 0 };

	g_option_context_add_main_entries (context, options, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error) ||
	    argc != 2 || customers < 1 || open < 0 || history < 0 ||
	    !ds_date_parse_iso (as_of_text, &generator.as_of, &error)) {
		g_printerr ("gen-ledger: %s\n", error ? error->message :
			    "usage: gen-ledger [OPTION...] DIRECTORY");
		return 2;
	}
	g_mkdir_with_parents (argv[1], 0755);
	generator.rand = g_rand_new_with_seed (seed);
	generator.customers = customers;
	generator.open = open;
	generator.history = history;
	generator.invoices = open_csv (argv[1], "invoices.csv",
		"invoice_id,customer_id,issue_date,due_date,currency,amount");
	generator.payments = open_csv (argv[1], "payments.csv",
		"payment_id,customer_id,date,currency,amount,invoice_id");
	generator.disputes = open_csv (argv[1], "disputes.csv",
		"invoice_id,opened,resolved,reason");
	write_entities (argv[1]);
	write_customers (argv[1], &generator);
	fclose (generator.invoices);
	fclose (generator.payments);
	fclose (generator.disputes);
	g_rand_free (generator.rand);
	printf ("customers %d invoices %" G_GINT64_FORMAT " payments %"
		G_GINT64_FORMAT " (open on %s: %d)\n", customers,
		generator.invoice_count, generator.payment_count, as_of_text,
		open);
	return EXIT_SUCCESS;
}
