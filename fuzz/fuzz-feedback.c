/*
 * fuzz-feedback.c -- any bytes as a status file: a bounce (RFC 3464
 * delivery status), a mailroom or carrier CSV, a scan list.
 *
 * One instance per process with the bundled ledger's entities and
 * customers.  Each input is written as a file and applied.  Promises
 * checked: a wrong file is refused with a reason, never a crash.
 */
#include "fuzz.h"

#include "feedback.h"
#include "instance.h"

static DsInstance *
fuzz_instance (void)
{
	static DsInstance *instance;
	g_autoptr (GError) error = NULL;
	g_autofree char *root = NULL;

	if (instance != NULL)
		return instance;
	fuzz_quiet ();
	root = g_build_filename (fuzz_directory (), "instance", NULL);
	if (!ds_instance_create (root, &error) ||
	    (instance = ds_instance_open (root, &error)) == NULL) {
		g_printerr ("fuzz: %s\n", error->message);
		abort ();
	}
	return instance;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	DsInstance *instance = fuzz_instance ();
	g_autofree char *path = fuzz_write_file ("status", data, size);
	g_autoptr (DsFeedbackReport) report = ds_feedback_report_new (path);
	g_autoptr (GError) error = NULL;

	if (ds_feedback_apply_file (instance, path, report, &error))
		return 0;
	fuzz_assert (error != NULL, "refused without a reason");
	return 0;
}
