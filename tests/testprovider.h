/*
 * testprovider.h -- tests/http-provider.py as a test's REST provider (a
 * fax gateway or a hybrid-mail service): started on a free loopback port
 * in a test's directory, stopped at its end, the objects it made counted.
 */
#ifndef DS_TESTPROVIDER_H
#define DS_TESTPROVIDER_H

#include <glib.h>

typedef struct {
	GPid pid;
	int stdin_fd;
	char *url;
	char *log_dir;
} DsTestProvider;

/* Start it in DIR for RESOURCE ("faxes", "letters") with OPTIONS. */
void ds_test_provider_start (DsTestProvider *provider, const char *dir,
			     const char *resource,
			     const char *const *options);
void ds_test_provider_stop (DsTestProvider *provider);
/* Objects it made so far. */
guint ds_test_provider_count (DsTestProvider *provider);

#endif
