/*
 * fuzz.h -- what the fuzz targets share.
 *
 * Each target defines LLVMFuzzerTestOneInput and is linked either with
 * libFuzzer (clang -fsanitize=fuzzer: fuzz/run.sh) or with standalone.c,
 * whose main() feeds it the files named on the command line (the
 * regression inputs under tests/fuzz/, run by the test suite).  A target
 * never aborts on bad input; it aborts only when the code under test
 * broke a promise (fuzz_assert), which both drivers report as a crash.
 */
#ifndef DS_FUZZ_H
#define DS_FUZZ_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A directory for this process, removed at exit. */
const char *fuzz_directory (void);

/* DATA written to NAME in fuzz_directory (); the path, owned by caller. */
char *fuzz_write_file (const char *name, const uint8_t *data, size_t size);

/* Quiet logging: the code under test warns about every bad input. */
void fuzz_quiet (void);

#define fuzz_assert(condition, ...) \
	do { \
		if (!(condition)) { \
			g_printerr ("fuzz: broken promise: " __VA_ARGS__); \
			g_printerr ("\n"); \
			abort (); \
		} \
	} while (0)

#endif
