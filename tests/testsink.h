/*
 * testsink.h -- tests/smtp-sink.py as a test's SMTP server: started on a
 * free loopback port in a test's directory, stopped at its end, and the
 * messages and envelopes it received read back.
 */
#ifndef DS_TESTSINK_H
#define DS_TESTSINK_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
	GPid pid;
	int stdin_fd;
	int port;
	char *maildir;
	char *url;
} DsTestSink;

/* Start the sink in DIR with extra OPTIONS (NULL-terminated). */
void ds_test_sink_start (DsTestSink *sink, const char *dir,
			 const char *const *options);
void ds_test_sink_stop (DsTestSink *sink);
/* Messages received so far. */
guint ds_test_sink_count (DsTestSink *sink);
/* Message NUMBER's file: "eml" (the message) or "json" (its envelope). */
GBytes *ds_test_sink_file (DsTestSink *sink, int number,
			   const char *extension);
/* The envelope: "mail_from", "rcpt_tos", "refused". */
JsonObject *ds_test_sink_envelope (DsTestSink *sink, int number);

#endif
