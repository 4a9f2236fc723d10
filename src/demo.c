/*
 * demo.c -- the bundled ledger, end to end.  See demo.h.
 */
#include "demo.h"

#include <glib/gstdio.h>

#include "batch.h"
#include "document.h"
#include "ds-error.h"
#include "import.h"
#include "instance.h"
#include "ledger.h"
#include "scorer.h"

#define DEMO_MARK ".dunspool-demo"

static void
remove_tree (const char *path)
{
	g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		g_unlink (path);
		return;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test (child, G_FILE_TEST_IS_SYMLINK)) {
			g_chmod (child, 0750);
			remove_tree (child);
		} else {
			g_unlink (child);
		}
	}
	g_rmdir (path);
}

/* An empty or earlier demo directory, ready for a new instance. */
static gboolean
prepare_directory (const char *directory, GError **error)
{
	g_autofree char *mark = g_build_filename (directory, DEMO_MARK, NULL);
	g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);

	if (dir != NULL && g_dir_read_name (dir) != NULL) {
		if (!g_file_test (mark, G_FILE_TEST_EXISTS)) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "%s is not empty and was not made by "
				     "the demo: not touching it", directory);
			return FALSE;
		}
		remove_tree (directory);
	}
	if (!ds_instance_create (directory, error))
		return FALSE;
	return g_file_set_contents (mark, "made by dunspool demo\n", -1,
				    error);
}

static gboolean
import_bundled (DsInstance *instance, GError **error)
{
	g_autofree char *data = ds_data_path ("data/ibm-ar");
	const char *names[] = {
		"entities.csv", "customers.csv",
		"WA_Fn-UseC_-Accounts-Receivable.csv",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
		g_autofree char *path = g_build_filename (data, names[i],
							  NULL);
		g_autoptr (DsImportReport) report = NULL;

		if (!ds_import_file (instance->store, path,
				     instance->config->profiles, NULL,
				     &report, error))
			return FALSE;
		if (report->rejected > 0) {
			g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
				     "%s: %" G_GINT64_FORMAT " rows rejected",
				     path, report->rejected);
			return FALSE;
		}
	}
	return TRUE;
}

/* The decisions of the next best action, and the model's last cutoff. */
static gboolean
summarize_scorer (DsInstance *instance, DsDemoSummary *summary,
		  GError **error)
{
	g_autofree char *path = ds_instance_model_path (instance);
	g_autoptr (DsScorer) scorer = ds_scorer_load (path, 1, NULL);

	summary->model_trained_on = scorer != NULL ?
		ds_scorer_trained_until (scorer) : DS_DATE_NONE;
	return ds_policy_count (instance->store, &summary->scorer, error);
}

gboolean
ds_demo_run (const char *directory, DsDate from, DsDate to,
	     DsDemoSummary *summary, GError **error)
{
	g_autoptr (DsInstance) instance = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	g_autoptr (GTimer) timer = g_timer_new ();
	DsCycleTally tally = { 0 };

	if (!prepare_directory (directory, error))
		return FALSE;
	instance = ds_instance_open (directory, error);
	if (instance == NULL || !import_bundled (instance, error))
		return FALSE;
	cycle = ds_cycle_new (instance, error);
	if (cycle == NULL ||
	    !ds_cycle_replay (cycle, from, to, &tally, error))
		return FALSE;

	summary->invoices = ds_ledger_count_invoices (instance->store, to);
	summary->payments = ds_ledger_count_payments (instance->store, to);
	summary->documents = ds_document_count (instance->store);
	for (int i = 0; i < DS_CHANNEL_COUNT; i++)
		summary->by_channel[i] = tally.by_channel[i];
	summary->batches = ds_batch_count (instance);
	summary->failures = tally.failures;
	summary->action_required = tally.action_required;
	summary->disputed_skipped = tally.disputed_skipped;
	summary->seconds = g_timer_elapsed (timer, NULL);
	return summarize_scorer (instance, summary, error);
}

static void
print_scorer (const DsDemoSummary *summary, FILE *out)
{
	char first[DS_DATE_ISO_LEN], trained[DS_DATE_ISO_LEN];

	ds_date_format_iso (summary->scorer.first_scored, first);
	ds_date_format_iso (summary->model_trained_on, trained);
	fprintf (out, "scorer decisions: %" G_GINT64_FORMAT " (control %"
		 G_GINT64_FORMAT ", rules %" G_GINT64_FORMAT ", waited %"
		 G_GINT64_FORMAT ", channel changed %" G_GINT64_FORMAT ")\n"
		 "scorer from:     %s\n"
		 "model trained on: %s\n", summary->scorer.decisions,
		 summary->scorer.control, summary->scorer.rules,
		 summary->scorer.skipped, summary->scorer.changed,
		 *first ? first : "never", *trained ? trained : "never");
}

void
ds_demo_summary_print (const DsDemoSummary *summary, FILE *out)
{
	fprintf (out, "invoices:        %" G_GINT64_FORMAT "\n"
		 "payments:        %" G_GINT64_FORMAT "\n"
		 "documents:       %" G_GINT64_FORMAT "\n",
		 summary->invoices, summary->payments, summary->documents);
	for (int i = 0; i < DS_CHANNEL_COUNT; i++)
		fprintf (out, "  %-13s %" G_GINT64_FORMAT "\n",
			 ds_channel_name (i), summary->by_channel[i]);
	fprintf (out, "print batches:   %" G_GINT64_FORMAT "\n"
		 "action required: %" G_GINT64_FORMAT "\n"
		 "failures:        %" G_GINT64_FORMAT "\n"
		 "seconds:         %.1f\n", summary->batches,
		 summary->action_required, summary->failures,
		 summary->seconds);
	print_scorer (summary, out);
}

static void
add_date (JsonBuilder *builder, const char *name, DsDate date)
{
	g_autofree char *text = ds_date_to_iso (date);

	json_builder_set_member_name (builder, name);
	if (date == DS_DATE_NONE)
		json_builder_add_null_value (builder);
	else
		json_builder_add_string_value (builder, text);
}

static void
add_scorer (JsonBuilder *builder, const DsDemoSummary *summary)
{
	const DsPolicyCounts *counts = &summary->scorer;

	json_builder_set_member_name (builder, "scorer");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "decisions");
	json_builder_add_int_value (builder, counts->decisions);
	json_builder_set_member_name (builder, "control");
	json_builder_add_int_value (builder, counts->control);
	json_builder_set_member_name (builder, "rules");
	json_builder_add_int_value (builder, counts->rules);
	json_builder_set_member_name (builder, "waited");
	json_builder_add_int_value (builder, counts->skipped);
	json_builder_set_member_name (builder, "channel_changed");
	json_builder_add_int_value (builder, counts->changed);
	add_date (builder, "first_scored", counts->first_scored);
	add_date (builder, "model_trained_on", summary->model_trained_on);
	json_builder_end_object (builder);
}

JsonNode *
ds_demo_summary_to_json (const DsDemoSummary *summary)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "invoices");
	json_builder_add_int_value (builder, summary->invoices);
	json_builder_set_member_name (builder, "payments");
	json_builder_add_int_value (builder, summary->payments);
	json_builder_set_member_name (builder, "documents");
	json_builder_add_int_value (builder, summary->documents);
	json_builder_set_member_name (builder, "by_channel");
	json_builder_begin_object (builder);
	for (int i = 0; i < DS_CHANNEL_COUNT; i++) {
		json_builder_set_member_name (builder, ds_channel_name (i));
		json_builder_add_int_value (builder, summary->by_channel[i]);
	}
	json_builder_end_object (builder);
	json_builder_set_member_name (builder, "batches");
	json_builder_add_int_value (builder, summary->batches);
	json_builder_set_member_name (builder, "failures");
	json_builder_add_int_value (builder, summary->failures);
	json_builder_set_member_name (builder, "action_required");
	json_builder_add_int_value (builder, summary->action_required);
	add_scorer (builder, summary);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
