/*
 * standalone.c -- main() for a fuzz target without libFuzzer: runs the
 * target once on each file named on the command line (directories: on
 * each file inside), so that the inputs that once crashed a target stay
 * tests.  Without arguments, as the test suite runs it, program
 * "regress-NAME" reads $DS_TOP_SRCDIR/tests/fuzz/NAME/.  Exits 0 when
 * every input ran, 1 when an input could not be read or there was none;
 * a broken promise aborts as it would under libFuzzer.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

static guint inputs;

static int
run_file (const char *path)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *contents = NULL;
	gsize length;

	if (!g_file_get_contents (path, &contents, &length, &error)) {
		g_printerr ("%s\n", error->message);
		return 1;
	}
	LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
	inputs++;
	return 0;
}

static int
run_path (const char *path)
{
	g_autoptr (GDir) dir = NULL;
	const char *name;
	int failures = 0;

	if (!g_file_test (path, G_FILE_TEST_IS_DIR))
		return run_file (path);
	dir = g_dir_open (path, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *child = g_build_filename (path, name, NULL);

		failures += run_path (child);
	}
	return failures;
}

/* tests/fuzz/NAME for a program called regress-NAME. */
static char *
default_corpus (const char *program)
{
	g_autofree char *base = g_path_get_basename (program);
	const char *top = g_getenv ("DS_TOP_SRCDIR");
	const char *name = base;

	if (g_str_has_prefix (name, "lt-"))
		name += 3;
	if (g_str_has_prefix (name, "regress-"))
		name += strlen ("regress-");
	return g_build_filename (top ? top : ".", "tests", "fuzz", name,
				 NULL);
}

int
main (int argc, char **argv)
{
	int failures = 0;

	if (argc == 1) {
		g_autofree char *corpus = default_corpus (argv[0]);

		failures = run_path (corpus);
		printf ("%s: %u inputs\n", corpus, inputs);
	}
	for (int i = 1; i < argc; i++)
		failures += run_path (argv[i]);
	if (inputs == 0)
		failures++;
	printf ("Checks: %u, Failures: %d, Errors: 0\n", inputs,
		failures);
	return failures == 0 ? 0 : 1;
}
