/*
 * check_log.c -- log records carry the ids as journald fields, a fixed
 * MESSAGE_ID per event kind that the catalog explains, and no debtor
 * data at info level or above unless the administrator asks for it.
 */
#define G_LOG_DOMAIN "dunspool-test"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "testutil.h"

/* The last record written, field by field. */
static GHashTable *last_record;
static GLogLevelFlags last_level;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields,
		gsize n_fields, gpointer user_data)
{
	g_hash_table_remove_all (last_record);
	for (gsize i = 0; i < n_fields; i++) {
		gsize length = fields[i].length < 0 ?
			strlen (fields[i].value) : (gsize) fields[i].length;

		g_hash_table_insert (last_record, g_strdup (fields[i].key),
				     g_strndup (fields[i].value, length));
	}
	last_level = level;
	return G_LOG_WRITER_HANDLED;
}

static const char *
field (const char *key)
{
	return g_hash_table_lookup (last_record, key);
}

START_TEST (test_log_fields_for_journald)
{
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_ATTEMPT_STATE,
		      &(DsLogFields) { .trace_id = "DS6KAQTAHM4M",
				       .attempt = 17, .channel = "email",
				       .state = "handed-off" },
		      "%s: attempt %d: handed-off", "DS6KAQTAHM4M", 17);

	ck_assert_str_eq (field ("MESSAGE"),
			  "DS6KAQTAHM4M: attempt 17: handed-off");
	ck_assert_str_eq (field ("MESSAGE_ID"),
			  ds_log_message_id (DS_LOG_ATTEMPT_STATE));
	ck_assert_str_eq (field ("DUNSPOOL_TRACE_ID"), "DS6KAQTAHM4M");
	ck_assert_str_eq (field ("DUNSPOOL_ATTEMPT"), "17");
	ck_assert_str_eq (field ("DUNSPOOL_CHANNEL"), "email");
	ck_assert_str_eq (field ("DUNSPOOL_STATE"), "handed-off");
	ck_assert_str_eq (field ("GLIB_DOMAIN"), "dunspool-test");
	ck_assert_str_eq (field ("PRIORITY"), "5");
	ck_assert_str_eq (field ("CODE_FILE"), __FILE__);
	ck_assert_int_eq (last_level, G_LOG_LEVEL_MESSAGE);
}
END_TEST

START_TEST (test_log_absent_ids_are_no_fields)
{
	ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_CYCLE, NULL,
		      "cycle %s: failed", "2024-01-15");

	ck_assert_str_eq (field ("MESSAGE"), "cycle 2024-01-15: failed");
	ck_assert_str_eq (field ("PRIORITY"), "4");
	ck_assert_ptr_null (field ("DUNSPOOL_TRACE_ID"));
	ck_assert_ptr_null (field ("DUNSPOOL_ATTEMPT"));
	ck_assert_ptr_null (field ("DUNSPOOL_CHANNEL"));
	ck_assert_ptr_null (field ("DUNSPOOL_STATE"));
}
END_TEST

/* Debtor data: (level, DUNSPOOL_LOG_DEBTOR_DATA, shown). */
static const struct {
	GLogLevelFlags level;
	const char *allowed;
	gboolean shown;
} debtor_cases[] = {
	{ G_LOG_LEVEL_WARNING, NULL, FALSE },
	{ G_LOG_LEVEL_MESSAGE, NULL, FALSE },
	{ G_LOG_LEVEL_INFO, NULL, FALSE },
	{ G_LOG_LEVEL_INFO, "0", FALSE },
	{ G_LOG_LEVEL_DEBUG, NULL, TRUE },
	{ G_LOG_LEVEL_MESSAGE, "1", TRUE },
	{ G_LOG_LEVEL_WARNING, "1", TRUE },
};

START_TEST (test_log_debtor_data_only_when_asked)
{
	const char *debtor = "J\xc3\xbcrgen Gro\xc3\x9f, EUR 1050.00";
	GHashTableIter iter;
	gpointer key, value;

	if (debtor_cases[_i].allowed != NULL)
		g_setenv ("DUNSPOOL_LOG_DEBTOR_DATA",
			  debtor_cases[_i].allowed, TRUE);
	else
		g_unsetenv ("DUNSPOOL_LOG_DEBTOR_DATA");
	ds_log_event (debtor_cases[_i].level,
		      DS_LOG_DOCUMENT_ACTION_REQUIRED,
		      &(DsLogFields) { .trace_id = "DS1", .debtor = debtor },
		      "%s: action required: missing glyph", "DS1");

	ck_assert_int_eq (strstr (field ("MESSAGE"), "J\xc3\xbcrgen") != NULL,
			  debtor_cases[_i].shown);
	ck_assert_int_eq (strstr (field ("MESSAGE"), "1050") != NULL,
			  debtor_cases[_i].shown);
	g_hash_table_iter_init (&iter, last_record);
	while (g_hash_table_iter_next (&iter, &key, &value))
		if (strcmp (key, "MESSAGE") != 0)
			ck_assert_ptr_null (strstr (value, "rgen"));
}
END_TEST

/* Journal records: (kind, id, trace, event, new state) to event kind
 * and message; NULL message: not logged. */
static const struct {
	const char *object_kind;
	const char *object_id;
	const char *trace_id;
	const char *event;
	const char *new_state;
	DsLogEvent kind;
	const char *message;
} journal_cases[] = {
	{ "document", "DS1", "DS1", "planned", "scheduled",
	  DS_LOG_DOCUMENT_PLANNED, "DS1: planned: - -> scheduled" },
	{ "document", "DS1", "DS1", "rendered", "rendered",
	  DS_LOG_DOCUMENT_RENDERED, "DS1: rendered: - -> rendered" },
	{ "document", "DS1", "DS1", "dispatched", "dispatched",
	  DS_LOG_DOCUMENT_DISPATCHED, "DS1: dispatched: - -> dispatched" },
	{ "document", "DS1", "DS1", "validated", "action-required",
	  DS_LOG_DOCUMENT_ACTION_REQUIRED,
	  "DS1: validated: - -> action-required" },
	{ "document", "DS1", "DS1", "ready", "ready",
	  DS_LOG_DOCUMENT_STATE, "DS1: ready: - -> ready" },
	{ "attempt", "17", "DS1", "handed-off", "handed-off",
	  DS_LOG_ATTEMPT_STATE, "DS1: attempt 17: handed-off: - -> "
	  "handed-off" },
	{ "batch", "DE01-20240203-1", NULL, "created", "created",
	  DS_LOG_BATCH, "DE01-20240203-1: batch: created: - -> created" },
	{ "import", "f5d488ea", NULL, "imported", NULL, DS_LOG_IMPORT,
	  "f5d488ea: import: imported: - -> -" },
	{ "cycle", "2024-02-03", NULL, "cycle-run", NULL, DS_LOG_CYCLE,
	  "2024-02-03: cycle: cycle-run: - -> -" },
	{ "invoice", "A1", NULL, "dispute-opened", NULL, 0, NULL },
};

START_TEST (test_log_journal_records)
{
	g_unsetenv ("DUNSPOOL_LOG_DEBTOR_DATA");
	g_hash_table_remove_all (last_record);
	ds_log_journal_record (journal_cases[_i].object_kind,
			       journal_cases[_i].object_id,
			       journal_cases[_i].trace_id,
			       journal_cases[_i].event, NULL,
			       journal_cases[_i].new_state,
			       "smtp: 250 ok for J\xc3\xbcrgen");

	if (journal_cases[_i].message == NULL) {
		ck_assert_ptr_null (field ("MESSAGE"));
		return;
	}
	ck_assert_str_eq (field ("MESSAGE"), journal_cases[_i].message);
	ck_assert_str_eq (field ("MESSAGE_ID"),
			  ds_log_message_id (journal_cases[_i].kind));
	ck_assert_str_eq (field ("GLIB_DOMAIN"), "dunspool-journal");
	ck_assert_str_eq (field ("PRIORITY"), "6");
	ck_assert_str_eq (field ("DUNSPOOL_TRACE_ID") ?
			  field ("DUNSPOOL_TRACE_ID") : "",
			  journal_cases[_i].trace_id ?
			  journal_cases[_i].trace_id : "");
}
END_TEST

/* Every event kind: a distinct id, 32 hex digits, in the catalog. */
START_TEST (test_log_message_ids_in_catalog)
{
	g_autofree char *path = ds_test_srcpath ("doc/dunspool.catalog");
	g_autofree char *catalog = NULL;
	g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash,
							 g_str_equal);

	ck_assert (g_file_get_contents (path, &catalog, NULL, NULL));
	for (int event = 0; event < DS_LOG_EVENT_COUNT; event++) {
		const char *id = ds_log_message_id (event);
		g_autofree char *entry = g_strdup_printf ("\n-- %s\n", id);

		ck_assert_uint_eq (strlen (id), 32);
		ck_assert_uint_eq (strspn (id, "0123456789abcdef"), 32);
		ck_assert (!g_hash_table_contains (seen, id));
		g_hash_table_add (seen, (gpointer) id);
		ck_assert_msg (strstr (catalog, entry) != NULL,
			       "%s not in %s", id, path);
	}
}
END_TEST

static Suite *
log_suite (void)
{
	Suite *suite = suite_create ("log");
	TCase *tc = tcase_create ("core");

	tcase_add_test (tc, test_log_fields_for_journald);
	tcase_add_test (tc, test_log_absent_ids_are_no_fields);
	tcase_add_loop_test (tc, test_log_debtor_data_only_when_asked, 0,
			     G_N_ELEMENTS (debtor_cases));
	tcase_add_loop_test (tc, test_log_journal_records, 0,
			     G_N_ELEMENTS (journal_cases));
	tcase_add_test (tc, test_log_message_ids_in_catalog);
	suite_add_tcase (suite, tc);
	return suite;
}

int
main (void)
{
	SRunner *runner = srunner_create (log_suite ());
	int failed;

	last_record = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					     g_free);
	g_log_set_writer_func (capture_writer, NULL, NULL);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
