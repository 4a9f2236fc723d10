/*
 * check_hybrid_mail.c -- the http letter driver against a hybrid-mail
 * provider stand-in on loopback (tests/http-provider.py, resource
 * letters): idempotent upload of the stored PDF, provider states walked
 * along the letter's path and journaled, a returned letter opening the
 * collector's task, late news ignored, and cancel before and after the
 * provider's production point.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "hybrid-mail.h"
#include "import.h"
#include "instance.h"
#include "production.h"
#include "queue.h"
#include "testprovider.h"
#include "testutil.h"

static char *directory;
static DsInstance *instance;
static DsTestProvider provider;
static DsHttpService service;
static char *trace_id;
static GBytes *pdf;

/* C2 writes to a letter; its document and PDF are what we upload. */
static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autofree char *e = NULL, *c = NULL, *i = NULL;
	g_autofree char *plan = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (GPtrArray) list = NULL;
	g_autoptr (DsDocument) document = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };
	const char *paths[4];
	DsDate day;

	directory = ds_test_tmpdir ();
	root = g_build_filename (directory, "instance", NULL);
	ck_assert (ds_instance_create (root, &error));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	e = ds_test_write (directory, "entities.csv",
		"entity_id,name,street,postal_code,city,country,iban,bic,"
		"vat_id,email,phone\n"
		"DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,"
		"DE,DE89370400440532013000,COBADEFFXXX,DE000000000,"
		"forderungen@example.de,+49 221 99 000000\n");
	c = ds_test_write (directory, "customers.csv",
		"customer_id,name,contact,street,postal_code,city,country,"
		"language,currency,entity,email,fax,paperless_since\n"
		"C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,"
		"Łódzka 5,40212,Düsseldorf,DE,de,EUR,DE01,,,\n");
	i = ds_test_write (directory, "invoices.csv",
		"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
		"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n");
	paths[0] = e;
	paths[1] = c;
	paths[2] = i;
	paths[3] = NULL;
	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, &error));
	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert (cycle != NULL);
	ck_assert (ds_cycle_run (cycle, day, &tally, &error));
	list = ds_document_list_for (instance->store, "C2", NULL);
	trace_id = g_strdup (list->pdata[0]);
	document = ds_document_get (instance->store, trace_id, NULL);
	pdf = ds_production_load_pdf (document, &error);
	ck_assert (pdf != NULL);

	/* The provider: this letter is produced, mailed, then returned. */
	plan = g_strdup_printf ("{\"%s\": [[\"accepted\", 0, \"\"],"
				" [\"in_production\", 0, \"\"],"
				" [\"mailed\", 0, \"\"],"
				" [\"returned\", 0, \"addressee unknown\"]]}",
				trace_id);
	g_free (ds_test_write (directory, "plan.json", plan));
	{
		g_autofree char *plan_path = g_build_filename (
			directory, "plan.json", NULL);

		ds_test_provider_start (&provider, directory, "letters",
					(const char *const[]) {
			"--plan", plan_path, "--token", "t0k3n", NULL });
	}
	service.url = provider.url;
	service.token = "t0k3n";
}

static void
teardown (void)
{
	ds_test_provider_stop (&provider);
	g_bytes_unref (pdf);
	g_free (trace_id);
	ds_instance_free (instance);
	ds_test_rmtree (directory);
	g_free (directory);
}

/* A new letter attempt with the provider, handed off as LETTER_ID. */
static gint64
handed_off_attempt (char **letter_id)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *key = NULL;
	gint64 attempt_id;

	ck_assert (ds_attempt_create (instance->store, trace_id,
				      DS_CHANNEL_LETTER, "http", &attempt_id,
				      NULL));
	key = g_strdup_printf ("%s-%" G_GINT64_FORMAT, trace_id, attempt_id);
	*letter_id = ds_hybrid_mail_submit (&service, key, trace_id, pdf, 1,
					    FALSE, &error);
	ck_assert_msg (*letter_id != NULL, "%s",
		       error ? error->message : "");
	ck_assert (ds_attempt_move (instance->store, attempt_id,
				    "submitting", NULL, NULL));
	ck_assert (ds_attempt_set_provider_id (instance->store, attempt_id,
					       *letter_id, NULL));
	ck_assert (ds_attempt_move (instance->store, attempt_id,
				    "handed-off", "uploaded", NULL));
	return attempt_id;
}

static char *
state_of (gint64 attempt_id)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (instance->store,
							attempt_id, NULL);

	return g_strdup (attempt->state);
}

static void
poll_and_record (gint64 attempt_id, const char *letter_id,
		 const char *expected_provider, const char *expected_state)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *said = ds_hybrid_mail_poll (&service, letter_id,
						     &error);
	g_autofree char *state = NULL;

	ck_assert_msg (said != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (said, expected_provider);
	ck_assert_msg (ds_hybrid_mail_record (instance->store, attempt_id,
					      said, &error), "%s",
		       error ? error->message : "");
	state = state_of (attempt_id);
	ck_assert_str_eq (state, expected_state);
}

START_TEST (test_hybrid_mail_upload_is_idempotent)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *first = ds_hybrid_mail_submit (
		&service, "K-1", trace_id, pdf, 1, FALSE, &error);
	g_autofree char *again = ds_hybrid_mail_submit (
		&service, "K-1", trace_id, pdf, 1, FALSE, NULL);
	DsHttpService stranger = { provider.url, "wrong", 0 };
	g_autoptr (GError) refused = NULL;

	ck_assert_msg (first != NULL, "%s", error ? error->message : "");
	ck_assert_str_eq (first, again);
	ck_assert_uint_eq (ds_test_provider_count (&provider), 1);
	ck_assert (ds_hybrid_mail_submit (&stranger, "K-2", trace_id, pdf, 1,
					  FALSE, &refused) == NULL);
	ck_assert (g_error_matches (refused, DS_ERROR, DS_ERROR_PERMANENT));
}
END_TEST

START_TEST (test_hybrid_mail_states_walk_the_letter_path)
{
	g_autofree char *letter_id = NULL;
	gint64 attempt_id = handed_off_attempt (&letter_id);
	g_autoptr (GPtrArray) tasks = NULL;
	g_autoptr (GError) error = NULL;

	poll_and_record (attempt_id, letter_id, "accepted", "handed-off");
	poll_and_record (attempt_id, letter_id, "in_production",
			 "handed-off");
	poll_and_record (attempt_id, letter_id, "mailed", "posted");
	poll_and_record (attempt_id, letter_id, "returned", "returned");
	tasks = ds_feedback_open_tasks (instance, NULL);
	ck_assert_uint_eq (tasks->len, 1);
	/* Late news: journaled, nothing moves back. */
	ck_assert (ds_hybrid_mail_record (instance->store, attempt_id,
					  "mailed", NULL));
	{
		g_autofree char *state = state_of (attempt_id);

		ck_assert_str_eq (state, "returned");
	}
	ck_assert (!ds_hybrid_mail_record (instance->store, attempt_id,
					   "lost-in-space", &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_INPUT));
}
END_TEST

/* Delivered, then an old "mailed" again: late, past it, ignored. */
START_TEST (test_hybrid_mail_late_news_for_a_letter_past_it)
{
	g_autofree char *letter_id = NULL;
	gint64 attempt_id = handed_off_attempt (&letter_id);
	g_autoptr (GError) error = NULL;
	g_autofree char *state = NULL;

	ck_assert (ds_hybrid_mail_record (instance->store, attempt_id,
					  "delivered", NULL));
	ck_assert_msg (ds_hybrid_mail_record (instance->store, attempt_id,
					      "mailed", &error), "%s",
		       error ? error->message : "");
	state = state_of (attempt_id);
	ck_assert_str_eq (state, "delivered-assumed");
}
END_TEST

START_TEST (test_hybrid_mail_cancel_before_production)
{
	g_autofree char *letter_id = NULL;
	gint64 attempt_id = handed_off_attempt (&letter_id);
	g_autoptr (GError) error = NULL;
	g_autofree char *said = NULL;
	g_autofree char *state = NULL;
	guint changed = 0;

	/* The operator's cancel is a request until the provider agrees. */
	ck_assert (ds_queue_act (instance, trace_id, DS_QUEUE_CANCEL, NULL,
				 &changed, NULL));
	state = state_of (attempt_id);
	ck_assert_str_eq (state, "cancel-requested");
	ck_assert_msg (ds_hybrid_mail_cancel (&service, letter_id, &error),
		       "%s", error ? error->message : "");
	said = ds_hybrid_mail_poll (&service, letter_id, NULL);
	ck_assert_str_eq (said, "cancelled");
	ck_assert (ds_hybrid_mail_record (instance->store, attempt_id, said,
					  NULL));
	g_free (state);
	state = state_of (attempt_id);
	ck_assert_str_eq (state, "cancelled");
}
END_TEST

START_TEST (test_hybrid_mail_cancel_after_production_refused)
{
	g_autofree char *letter_id = NULL;
	gint64 attempt_id = handed_off_attempt (&letter_id);
	g_autoptr (GError) error = NULL;
	g_autofree char *said = NULL;

	/* Past "accepted": the provider is producing it. */
	g_free (ds_hybrid_mail_poll (&service, letter_id, NULL));
	said = ds_hybrid_mail_poll (&service, letter_id, NULL);
	ck_assert_str_eq (said, "in_production");
	ck_assert (ds_queue_act (instance, trace_id, DS_QUEUE_CANCEL, NULL,
				 NULL, NULL));
	ck_assert (!ds_hybrid_mail_cancel (&service, letter_id, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_STATE));
	/* It goes out anyway: the request resolves to printed, posted. */
	poll_and_record (attempt_id, letter_id, "mailed", "posted");
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("hybrid-mail");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_hybrid_mail_upload_is_idempotent);
	tcase_add_test (tc, test_hybrid_mail_states_walk_the_letter_path);
	tcase_add_test (tc, test_hybrid_mail_late_news_for_a_letter_past_it);
	tcase_add_test (tc, test_hybrid_mail_cancel_before_production);
	tcase_add_test (tc, test_hybrid_mail_cancel_after_production_refused);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
