/*
 * cli-documents.c -- verbs of the mailroom and the auditor: trace, queue,
 * batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "batch.h"
#include "document.h"
#include "ds-error.h"
#include "trace.h"

int
ds_cli_verb_trace (int argc, char **argv)
{
	static gboolean verify;
	const GOptionEntry options[] = {
		{ "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
		  "Recompute the journal chain and the stored PDFs' hashes",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) trace_ids = NULL;
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
	if (verify && argc == 1)
		return ds_trace_verify (instance->store, stdout, &error) ?
		       EXIT_SUCCESS : ds_cli_fail (error);
	trace_ids = ds_trace_resolve (instance->store, argv[1], &error);
	if (trace_ids == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_trace_to_json (instance->store, trace_ids, builder,
				       &error))
			return ds_cli_fail (error);
		ds_cli_print_json (json_builder_get_root (builder));
	} else if (!ds_trace_print (instance->store, trace_ids, stdout,
				    &error)) {
		return ds_cli_fail (error);
	}
	if (verify)
		return ds_trace_verify (instance->store, stdout, &error) ?
		       EXIT_SUCCESS : ds_cli_fail (error);
	return EXIT_SUCCESS;
}

int
ds_cli_verb_queue (int argc, char **argv)
{
	static gboolean all;
	const GOptionEntry options[] = {
		{ "all", 'a', 0, G_OPTION_ARG_NONE, &all,
		  "list: every document, not only those still moving",
		  NULL },
		{ NULL }
	};
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (GPtrArray) trace_ids = NULL;
	int status;

	if (!ds_cli_parse ("queue", options, &argc, &argv, 1, 2,
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
	} else {
		g_printerr ("dunspool queue: list | show TRACE_ID\n");
		return DS_CLI_EXIT_USAGE;
	}
	if (trace_ids == NULL)
		return ds_cli_fail (error);
	if (ds_cli_json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		if (!ds_queue_to_json (instance->store, trace_ids, builder,
				       &error))
			return ds_cli_fail (error);
		ds_cli_print_json (json_builder_get_root (builder));
		return EXIT_SUCCESS;
	}
	if (strcmp (argv[1], "show") == 0)
		return ds_trace_print (instance->store, trace_ids, stdout,
				       &error) ? EXIT_SUCCESS : ds_cli_fail (error);
	return ds_queue_print (instance->store, trace_ids, stdout, &error) ?
	       EXIT_SUCCESS : ds_cli_fail (error);
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

int
ds_cli_verb_batch (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (DsInstance) instance = NULL;
	const char *action;
	int status;

	if (!ds_cli_parse ("batch", NULL, &argc, &argv, 1, 2, &status))
		return status;
	instance = ds_cli_open_instance (&error);
	if (instance == NULL)
		return ds_cli_fail (error);
	action = argv[1];
	if (strcmp (action, "list") == 0 && argc == 2)
		return batch_list (instance, NULL);
	if (strcmp (action, "show") == 0 && argc == 3)
		return batch_list (instance, argv[2]);
	if ((strcmp (action, "printed") == 0 ||
	     strcmp (action, "posted") == 0) && argc == 3) {
		if (!ds_batch_mark (instance, argv[2], action, &error))
			return ds_cli_fail (error);
		printf ("%s: %s\n", argv[2], action);
		return EXIT_SUCCESS;
	}
	g_printerr ("dunspool batch: list | show ID | printed ID | "
		    "posted ID\n");
	return DS_CLI_EXIT_USAGE;
}
