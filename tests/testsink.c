/*
 * testsink.c -- run tests/smtp-sink.py for a test.  See testsink.h.
 */
#include "testsink.h"

#include <check.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static gboolean
sink_read_port (DsTestSink *sink, const char *ready_file)
{
	g_autofree char *contents = NULL;

	if (!g_file_get_contents (ready_file, &contents, NULL, NULL))
		return FALSE;
	sink->port = atoi (contents);
	return sink->port > 0;
}

/* Wait for the port file, then for the port to take a connection. */
static void
sink_wait (DsTestSink *sink, const char *ready_file)
{
	g_autoptr (GSocketClient) client = g_socket_client_new ();
	g_autoptr (GSocketConnection) connection = NULL;
	int status;

	for (int i = 0; i < 300 && !sink_read_port (sink, ready_file);
	     i++) {
		ck_assert_msg (waitpid (sink->pid, &status, WNOHANG) == 0,
			       "smtp-sink.py exited");
		g_usleep (50 * 1000);
	}
	ck_assert_msg (sink->port > 0, "smtp-sink.py did not start");
	connection = g_socket_client_connect_to_host (client, "127.0.0.1",
						      sink->port, NULL, NULL);
	ck_assert_msg (connection != NULL, "smtp-sink.py does not accept");
}

/* Start tests/smtp-sink.py in `dir` with `options` (NULL-terminated). */
void
ds_test_sink_start (DsTestSink *sink, const char *dir,
		 const char *const *options)
{
	g_autofree char *script = ds_test_srcpath ("tests/smtp-sink.py");
	g_autofree char *ready_file = g_build_filename (dir, "port", NULL);
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	g_autoptr (GError) error = NULL;

	sink->maildir = g_build_filename (dir, "mail", NULL);
	g_ptr_array_add (argv, (char *) "/usr/bin/python3");
	g_ptr_array_add (argv, script);
	g_ptr_array_add (argv, (char *) "--port");
	g_ptr_array_add (argv, (char *) "0");
	g_ptr_array_add (argv, (char *) "--maildir");
	g_ptr_array_add (argv, sink->maildir);
	g_ptr_array_add (argv, (char *) "--ready-file");
	g_ptr_array_add (argv, ready_file);
	g_ptr_array_add (argv, (char *) "--watch-stdin");
	for (; options != NULL && *options != NULL; options++)
		g_ptr_array_add (argv, (char *) *options);
	g_ptr_array_add (argv, NULL);

	ck_assert_msg (g_spawn_async_with_pipes (
			       NULL, (char **) argv->pdata, NULL,
			       G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			       &sink->pid, &sink->stdin_fd, NULL, NULL,
			       &error), "%s", error ? error->message : "");
	sink_wait (sink, ready_file);
	sink->url = g_strdup_printf ("smtp://127.0.0.1:%d/client.test",
				     sink->port);
}

void
ds_test_sink_stop (DsTestSink *sink)
{
	int status;

	close (sink->stdin_fd);
	kill (sink->pid, SIGTERM);
	waitpid (sink->pid, &status, 0);
	g_spawn_close_pid (sink->pid);
	g_free (sink->maildir);
	g_free (sink->url);
}

guint
ds_test_sink_count (DsTestSink *sink)
{
	g_autoptr (GDir) dir = g_dir_open (sink->maildir, 0, NULL);
	const char *name;
	guint count = 0;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
		if (g_str_has_suffix (name, ".eml") && name[0] != '.')
			count++;
	return count;
}

GBytes *
ds_test_sink_file (DsTestSink *sink, int number, const char *extension)
{
	g_autofree char *name = g_strdup_printf ("%04d.%s", number,
						 extension);
	g_autofree char *path = g_build_filename (sink->maildir, name, NULL);
	g_autoptr (GError) error = NULL;
	char *contents;
	gsize length;

	ck_assert_msg (g_file_get_contents (path, &contents, &length, &error),
		       "%s", error ? error->message : "");
	return g_bytes_new_take (contents, length);
}

/* The envelope the sink recorded: "mail_from", "rcpt_tos", "refused". */
JsonObject *
ds_test_sink_envelope (DsTestSink *sink, int number)
{
	g_autoptr (GBytes) bytes = ds_test_sink_file (sink, number, "json");
	g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL),
					   g_bytes_get_size (bytes));
	JsonNode *node = json_from_string (text, NULL);
	JsonObject *object;

	ck_assert (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
	object = json_object_ref (json_node_get_object (node));
	json_node_unref (node);
	return object;
}
