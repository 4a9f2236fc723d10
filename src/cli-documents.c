/*
 * cli-documents.c -- verbs of the mailroom and the auditor: trace, queue,
 * batch, status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "batch.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "queue.h"
#include "spool.h"
#include "trace.h"

int
ds_cli_verb_trace (int argc, char **argv)
{
	static gboolean verify;
	const GOptionEntry options[] = {
		{ "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
		  "Recompute the journal chain and the hashes of the stored "
		  "documents and print batches",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsTraceStory) story = NULL;
	g_autofree char *anchors = NULL;
	int status;

	if (!ds_cli_parse ("trace", options, &argc, &argv, 0, 1,
		    &status))
		return status;
	if (argc == 1 && !verify) {
		g_printerr ("dunspool trace: an ID, or --verify\n");
		return DS_CLI_EXIT_USAGE;
	}
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	anchors = ds_instance_anchor_path (instance);
	if (verify && argc == 1)
		return ds_trace_verify (instance->store, anchors, stdout,
					&error) ?
		       EXIT_SUCCESS : ds_cli_fail (error);
	story = ds_trace_story (instance->store, argv[1], &error);
	if (story == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_trace_to_json (instance->store, story, builder,
				       &error))
			return ds_cli_fail (error);
		ds_cli_print_json (json_builder_get_root (builder));
	} else if (!ds_trace_print (instance->store, story, stdout,
				    &error)) {
		return ds_cli_fail (error);
	}
	if (verify)
		return ds_trace_verify (instance->store, anchors, stdout,
					&error) ?
		       EXIT_SUCCESS : ds_cli_fail (error);
	return EXIT_SUCCESS;
}

/* The list, or with SHOW (`queue show ID`) each document's story. */
static int
queue_print (DsInstance *instance, const char *show, GPtrArray *trace_ids)
{
	g_autoptr (GError) error = NULL;
	DsTraceStory story = { .id = (char *) show, .trace_ids = trace_ids };

	if (ds_cli_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_queue_to_json (instance->store, trace_ids, builder,
				       &error))
			return ds_cli_fail (error);
		ds_cli_print_json (json_builder_get_root (builder));
		return EXIT_SUCCESS;
	}
	if (show != NULL)
		return ds_trace_print (instance->store, &story, stdout,
				       &error) ? EXIT_SUCCESS :
		       ds_cli_fail (error);
	return ds_queue_print (instance->store, trace_ids, stdout, &error) ?
	       EXIT_SUCCESS : ds_cli_fail (error);
}

/* hold, release, requeue, cancel: each TRACE_ID in turn. */
static int
queue_act (DsInstance *instance, DsQueueAction action, const char *name,
	   int count, char **trace_ids, const char *reason)
{
	int status = EXIT_SUCCESS;

	for (int i = 0; i < count; i++) {
		g_autoptr (GError) error = NULL;
		guint changed = 0;

		if (!ds_queue_act (instance, trace_ids[i], action, reason,
				   &changed, &error)) {
			status = ds_cli_fail (error);
			continue;
		}
		if (!ds_cli_json)
			printf ("%s: %s: %u changed\n", trace_ids[i], name,
				changed);
	}
	return status;
}

static int
queue_flush (DsInstance *instance)
{
	g_autoptr (GError) error = NULL;
	DsDispatchTally tally = { 0 };

	if (!ds_queue_flush (instance, &tally, &error))
		return ds_cli_fail (error);
	if (ds_cli_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "submitted");
		json_builder_add_int_value (builder, tally.retried);
		json_builder_set_member_name (builder, "deferred");
		json_builder_add_int_value (builder, tally.deferred);
		json_builder_set_member_name (builder, "failed");
		json_builder_add_int_value (builder, tally.failures);
		json_builder_end_object (builder);
		ds_cli_print_json (json_builder_get_root (builder));
	} else {
		printf ("flush: submitted=%" G_GINT64_FORMAT " deferred=%"
			G_GINT64_FORMAT " failed=%" G_GINT64_FORMAT "\n",
			tally.retried, tally.deferred, tally.failures);
	}
	return tally.failures > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int
queue_usage (void)
{
	g_printerr ("dunspool queue: list | show ID | hold TRACE_ID... | "
		    "release TRACE_ID... | requeue TRACE_ID... | "
		    "cancel TRACE_ID... | reconcile TRACE_ID... | flush\n");
	return DS_CLI_EXIT_USAGE;
}

int
ds_cli_verb_queue (int argc, char **argv)
{
	static gboolean all;
	static char *reason;
	const GOptionEntry options[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all,
		  "list: every document, not only those still moving",
		  NULL },
		{ "reason", 0, 0, G_OPTION_ARG_STRING, &reason,
		  "hold, release, requeue, cancel, reconcile: why",
		  "TEXT" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) trace_ids = NULL;
	DsQueueAction action;
	int status;

	if (!ds_cli_parse ("queue", options, &argc, &argv, 1, -1,
		    &status))
		return status;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	if (strcmp (argv[1], "list") == 0 && argc == 2) {
		trace_ids = ds_document_list_queue (instance->store, all,
						    &error);
	} else if (strcmp (argv[1], "show") == 0 && argc == 3) {
		trace_ids = ds_trace_resolve (instance->store, argv[2],
					      &error);
	} else if (strcmp (argv[1], "flush") == 0 && argc == 2) {
		return queue_flush (instance);
	} else if (ds_queue_action_from_name (argv[1], &action) &&
		   argc >= 3) {
		return queue_act (instance, action, argv[1], argc - 2,
				  argv + 2, reason);
	} else {
		return queue_usage ();
	}
	if (trace_ids == NULL)
		return ds_cli_fail (error);
	return queue_print (instance, strcmp (argv[1], "show") == 0 ?
			    argv[2] : NULL, trace_ids);
}

static JsonNode *
batches_to_json (GPtrArray *batches)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "batches");
	json_builder_begin_array (builder);
	for (guint i = 0; i < batches->len; i++) {
		DsBatch *batch = g_ptr_array_index (batches, i);
		g_autofree char *day = ds_date_to_iso (batch->day);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "batch_id");
		json_builder_add_string_value (builder, batch->batch_id);
		json_builder_set_member_name (builder, "entity_id");
		json_builder_add_string_value (builder, batch->entity_id);
		json_builder_set_member_name (builder, "day");
		json_builder_add_string_value (builder, day);
		json_builder_set_member_name (builder, "state");
		json_builder_add_string_value (builder, batch->state);
		json_builder_set_member_name (builder, "documents");
		json_builder_add_int_value (builder, batch->documents);
		json_builder_set_member_name (builder, "pages");
		json_builder_add_int_value (builder, batch->pages);
		json_builder_set_member_name (builder, "pdf");
		json_builder_add_string_value (builder, batch->pdf_path);
		json_builder_set_member_name (builder, "manifest");
		json_builder_add_string_value (builder,
					       batch->manifest_path);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

static int
batch_list (DsInstance *instance, const char *only)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) batches = ds_batch_list (instance, &error);

	if (batches == NULL)
		return ds_cli_fail (error);
	for (guint i = batches->len; only != NULL && i-- > 0;)
		if (strcmp (((DsBatch *) g_ptr_array_index (batches,
				i))->batch_id, only) != 0)
			g_ptr_array_remove_index (batches, i);
	if (only != NULL && batches->len == 0) {
		g_printerr ("dunspool batch: no batch %s\n", only);
		return EXIT_FAILURE;
	}
	if (ds_cli_json) {
		ds_cli_print_json (batches_to_json (batches));
		return EXIT_SUCCESS;
	}
	for (guint i = 0; i < batches->len; i++) {
		DsBatch *batch = g_ptr_array_index (batches, i);

		printf ("%-20s %-8s %4d documents %5d pages  %s\n",
			batch->batch_id, batch->state, batch->documents,
			batch->pages, batch->pdf_path);
	}
	return EXIT_SUCCESS;
}

/* One batch: its line, then (not with --json, which names the file)
 * its manifest as the print shop gets it. */
static int
batch_show (DsInstance *instance, const char *batch_id)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) batches = NULL;
	g_autofree char *manifest = NULL;
	int status = batch_list (instance, batch_id);

	if (status != EXIT_SUCCESS || ds_cli_json)
		return status;
	batches = ds_batch_list (instance, &error);
	for (guint i = 0; batches != NULL && i < batches->len; i++) {
		const DsBatch *batch = g_ptr_array_index (batches, i);

		if (strcmp (batch->batch_id, batch_id) != 0)
			continue;
		if (!g_file_get_contents (batch->manifest_path, &manifest,
					  NULL, &error))
			return ds_cli_fail (error);
		printf ("\n%s", manifest);
		return EXIT_SUCCESS;
	}
	return error != NULL ? ds_cli_fail (error) : EXIT_FAILURE;
}

static int
batch_print (DsInstance *instance, const char *batch_id,
	     const char *printer)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *request = NULL;

	if (printer == NULL) {
		g_printerr ("dunspool batch print: --printer NAME\n");
		return DS_CLI_EXIT_USAGE;
	}
	if (!ds_batch_print (instance, batch_id, printer, &request, &error))
		return ds_cli_fail (error);
	printf ("%s: sent to %s: request %s\n", batch_id, printer, request);
	return EXIT_SUCCESS;
}

int
ds_cli_verb_batch (int argc, char **argv)
{
	static char *printer;
	const GOptionEntry options[] = {
		{ "printer", 0, 0, G_OPTION_ARG_STRING, &printer,
		  "print: the CUPS queue to send the batch to", "NAME" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	const char *action;
	int status;

	if (!ds_cli_parse ("batch", options, &argc, &argv, 1, 2, &status))
		return status;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	action = argv[1];
	if (strcmp (action, "list") == 0 && argc == 2)
		return batch_list (instance, NULL);
	if (strcmp (action, "show") == 0 && argc == 3)
		return batch_show (instance, argv[2]);
	if ((strcmp (action, "printed") == 0 ||
	     strcmp (action, "posted") == 0) && argc == 3) {
		if (!ds_batch_mark (instance, argv[2], action, &error))
			return ds_cli_fail (error);
		printf ("%s: %s\n", argv[2], action);
		return EXIT_SUCCESS;
	}
	if (strcmp (action, "print") == 0 && argc == 3)
		return batch_print (instance, argv[2], printer);
	g_printerr ("dunspool batch: list | show ID | print ID --printer "
		    "NAME | printed ID | posted ID\n");
	return DS_CLI_EXIT_USAGE;
}

static void
add_report_json (JsonBuilder *builder, const DsFeedbackReport *report)
{
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "file");
	json_builder_add_string_value (builder, report->path);
	json_builder_set_member_name (builder, "kind");
	json_builder_add_string_value (builder, report->kind);
	json_builder_set_member_name (builder, "applied");
	json_builder_add_int_value (builder, report->applied);
	json_builder_set_member_name (builder, "ignored");
	json_builder_add_int_value (builder, report->ignored);
	json_builder_set_member_name (builder, "escalated");
	json_builder_add_int_value (builder, report->escalated);
	json_builder_set_member_name (builder, "tasks");
	json_builder_add_int_value (builder, report->tasks);
	json_builder_set_member_name (builder, "refusal");
	json_builder_add_string_value (builder, report->refusal);
	json_builder_end_object (builder);
}

/*
 * Apply status files now, where they lie: the files are read, never
 * moved (the daemon's spool does that for status/new).
 */
static int
status_maildir (DsInstance *instance, const char *maildir,
		JsonBuilder *builder)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	int status = EXIT_SUCCESS;

	if (!ds_feedback_process_maildir (instance, maildir, &reports,
					  &error))
		status = ds_cli_fail (error);
	for (guint i = 0; reports != NULL && i < reports->len; i++) {
		DsFeedbackReport *report = g_ptr_array_index (reports, i);
		g_autofree char *line = ds_feedback_report_format (report);

		add_report_json (builder, report);
		if (!ds_cli_json)
			printf ("%s\n", line);
		if (report->refused)
			status = EXIT_FAILURE;	/* as for a file named */
	}
	return status;
}

int
ds_cli_verb_status (int argc, char **argv)
{
	static char *maildir;
	const GOptionEntry options[] = {
		{ "maildir", 0, 0, G_OPTION_ARG_FILENAME, &maildir,
		  "Also apply the messages in this Maildir's new/",
		  "DIR" },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	int status;

	if (!ds_cli_parse ("status", options, &argc, &argv, 0, -1, &status))
		return status;
	if (argc == 1 && maildir == NULL) {
		g_printerr ("dunspool status: FILE..., or --maildir DIR\n");
		return DS_CLI_EXIT_USAGE;
	}
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "files");
	json_builder_begin_array (builder);
	status = maildir != NULL ?
		 status_maildir (instance, maildir, builder) : EXIT_SUCCESS;
	for (int i = 1; i < argc; i++) {
		g_autoptr (DsFeedbackReport) report =
			ds_feedback_report_new (argv[i]);
		g_autoptr (GError) local = NULL;
		g_autofree char *line = NULL;

		if (!ds_spool_check_input (argv[i],
					   instance->config->max_input_bytes,
					   NULL, &local) ||
		    !ds_feedback_apply_file (instance, argv[i], report,
					     &local)) {
			report->refused = TRUE;
			report->refusal = g_strdup (local->message);
			status = EXIT_FAILURE;
		}
		add_report_json (builder, report);
		line = ds_feedback_report_format (report);
		if (!ds_cli_json)
			printf ("%s\n", line);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	if (ds_cli_json)
		ds_cli_print_json (json_builder_get_root (builder));
	return status;
}
