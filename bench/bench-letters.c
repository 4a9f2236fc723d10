/*
 * bench-letters.c -- how fast letters render and how big they are
 * (DESIGN §12: a one-page letter at most 40 KB with its font embedded;
 * at least 500 standalone letters per second per core).
 *
 *   make bench/bench-letters
 *   bench/bench-letters [--letters N] [--items N] [--templates DIR]
 *
 * Renders N one-page first notices (three items, EUR, DIN 5008 B, each
 * with its own trace id so that every data matrix and QR code differs)
 * in one thread and reports letters per second of CPU time -- one core's
 * worth, whatever else the machine is doing -- and of wall time, and the
 * size of a one-page letter.  The first letter is validated as the
 * dispatcher would.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "render.h"

static double
cpu_seconds (void)
{
	struct timespec now;

	clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

static GPtrArray *
make_items (int count, gint64 *total)
{
	GPtrArray *items = g_ptr_array_new_with_free_func
		((GDestroyNotify) ds_letter_item_free);

	*total = 0;
	for (int i = 0; i < count; i++) {
		DsLetterItem *item = g_new0 (DsLetterItem, 1);

		item->invoice_id = g_strdup_printf ("RE-2024-%06d", 4711 + i);
		item->issue_date = ds_date_from_ymd (2024, 1, 3 + i);
		item->due_date = ds_date_from_ymd (2024, 2, 2 + i);
		item->amount = 135590 + 1000 * i;
		item->paid = i == 1 ? 50000 : 0;
		item->open = item->amount - item->paid;
		item->days_overdue = 31 - i;
		*total += item->open;
		g_ptr_array_add (items, item);
	}
	return items;
}

int
main (int argc, char **argv)
{
	int letters = 2000, item_count = 3;
	g_autofree char *templates = NULL;
	GOptionEntry entries[] = {
		{ "letters", 'n', 0, G_OPTION_ARG_INT, &letters,
		  "letters to render (2000)", "N" },
		{ "items", 'i', 0, G_OPTION_ARG_INT, &item_count,
		  "items per letter (3)", "N" },
		{ "templates", 't', 0, G_OPTION_ARG_FILENAME, &templates,
		  "template directory (the source tree's)", "DIR" },
		{ NULL },
	};
	g_autoptr (GOptionContext) options = g_option_context_new
		("-- letter rendering benchmark");
	g_autoptr (GError) error = NULL;
	g_autoptr (DsRenderer) renderer = NULL;
	g_autoptr (GPtrArray) items = NULL;
	DsEntity entity = {
		.entity_id = "E1", .name = "Muster Inkasso GmbH",
		.street = "Hauptstraße 1", .postal_code = "10115",
		.city = "Berlin", .country = "DE",
		.iban = "DE89370400440532013000", .bic = "COBADEFFXXX",
		.vat_id = "DE123456789", .email = "forderungen@muster.example",
		.phone = "+49 30 1234567",
	};
	DsCustomer customer = {
		.customer_id = "K-100234", .name = "Bäckerei Groß & Söhne KG",
		.contact = "Jürgen Groß-Öztürk", .street = "Lindenweg 7",
		.postal_code = "80331", .city = "München", .country = "DE",
		.language = "de", .currency = "EUR",
	};
	DsLetter letter = {
		.entity = &entity, .customer = &customer, .step = "first",
		.language = "de", .currency = "EUR",
		.date = ds_date_from_ymd (2024, 3, 5),
		.deadline = ds_date_from_ymd (2024, 3, 19),
	};
	gsize bytes = 0, total_bytes = 0;
	int pages = 0;
	double cpu, wall;
	gint64 started;

	g_option_context_add_main_entries (options, entries, NULL);
	if (!g_option_context_parse (options, &argc, &argv, &error)) {
		fprintf (stderr, "bench-letters: %s\n", error->message);
		return 2;
	}
	if (templates == NULL)
		templates = g_build_filename (DS_TOP_SRCDIR, "templates",
					      NULL);
	renderer = ds_renderer_new (templates, NULL, &error);
	if (renderer == NULL) {
		fprintf (stderr, "bench-letters: %s\n", error->message);
		return 1;
	}
	items = make_items (item_count, &letter.total);
	letter.items = items;

	cpu = cpu_seconds ();
	started = g_get_monotonic_time ();
	for (int i = 0; i < letters; i++) {
		g_autofree char *trace = g_strdup_printf ("DS24C%07d", i);
		g_autoptr (DsRendered) rendered = NULL;

		letter.trace_id = trace;
		rendered = ds_renderer_render (renderer, &letter, &error);
		if (rendered == NULL) {
			fprintf (stderr, "bench-letters: %s\n",
				 error->message);
			return 1;
		}
		if (i == 0) {
			bytes = g_bytes_get_size (rendered->pdf);
			pages = rendered->pages;
			if (!ds_render_validate (&letter, rendered, 0,
						 &error)) {
				fprintf (stderr, "bench-letters: invalid: "
					 "%s\n", error->message);
				return 1;
			}
			cpu = cpu_seconds ();
			started = g_get_monotonic_time ();
		}
		total_bytes += g_bytes_get_size (rendered->pdf);
	}
	cpu = cpu_seconds () - cpu;
	wall = (g_get_monotonic_time () - started) / 1e6;

	printf ("letters rendered:          %d (%d items, %d page%s each)\n",
		letters, item_count, pages, pages == 1 ? "" : "s");
	printf ("letters per second (CPU):  %.0f\n", (letters - 1) / cpu);
	printf ("letters per second (wall): %.0f\n", (letters - 1) / wall);
	printf ("bytes per letter:          %zu (mean %zu)\n", bytes,
		total_bytes / letters);
	return 0;
}
