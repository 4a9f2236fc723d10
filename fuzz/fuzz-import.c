/*
 * fuzz-import.c -- any bytes as a ledger file for the import.
 *
 * One instance per process, with the bundled entities and customers
 * imported, so that invoice, payment and dispute rows reach the ledger
 * checks.  Each input is written as a file and imported with profile
 * detection on.  Promise checked: the import never crashes, and either
 * refuses the file (an error, nothing written) or accounts for rows.
 */
#include "fuzz.h"

#include "import.h"
#include "instance.h"

static DsInstance *
fuzz_instance (void)
{
	static DsInstance *instance;
	g_autoptr (GError) error = NULL;
	g_autofree char *root = NULL;
	g_autofree char *data = NULL;
	const char *names[] = { "entities.csv", "customers.csv" };

	if (instance != NULL)
		return instance;
	fuzz_quiet ();
	root = g_build_filename (fuzz_directory (), "instance", NULL);
	if (!ds_instance_create (root, &error) ||
	    (instance = ds_instance_open (root, &error)) == NULL) {
		g_printerr ("fuzz: %s\n", error->message);
		abort ();
	}
	data = ds_data_path ("data/ibm-ar");
	for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
		g_autofree char *path = g_build_filename (data, names[i],
							  NULL);
		g_autoptr (DsImportReport) report = NULL;

		if (!ds_import_file (instance->store, path,
				     instance->config->profiles, NULL,
				     &report, &error)) {
			g_printerr ("fuzz: %s\n", error->message);
			abort ();
		}
	}
	return instance;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	DsInstance *instance = fuzz_instance ();
	g_autofree char *path = fuzz_write_file ("input.csv", data, size);
	g_autoptr (DsImportReport) report = NULL;
	g_autoptr (GError) error = NULL;
	gboolean imported;

	imported = ds_import_file (instance->store, path,
				   instance->config->profiles, NULL, &report,
				   &error);
	fuzz_assert (report != NULL, "no report");
	fuzz_assert (imported || error != NULL, "refused without a reason");
	fuzz_assert (report->accepted >= 0 && report->rejected >= 0,
		     "negative counts");
	return 0;
}
