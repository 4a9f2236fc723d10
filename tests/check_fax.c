/*
 * check_fax.c -- the fax channel: a stored letter PDF becomes a TIFF G3
 * with one 1728-pixel page per PDF page, and TIFFs that do not match are
 * refused; the hylafax driver against stand-in sendfax and faxstat
 * commands on PATH (tests/fax) that play busy, no answer, partial and
 * done; case 15 of the field cases: a job done with 0 of 1 pages sent
 * is not delivered, a dropped call is called again by policy; and the
 * http driver against a REST gateway stand-in on loopback
 * (tests/http-provider.py): idempotent submission, temporary and
 * permanent refusals, the states of a fax.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-fax.h"
#include "cycle.h"
#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "import.h"
#include "instance.h"
#include "production.h"
#include "queue.h"
#include "testprovider.h"
#include "testutil.h"

static const char entities_csv[] =
	"entity_id,name,street,postal_code,city,country,iban,bic,vat_id,"
	"email,phone\n"
	"DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,DE,"
	"DE89370400440532013000,COBADEFFXXX,DE000000000,"
	"forderungen@example.de,+49 221 99 000000\n";

static const char customers_csv[] =
	"customer_id,name,contact,street,postal_code,city,country,language,"
	"currency,entity,email,fax,paperless_since\n"
	"C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,Łódzka 5,"
	"40212,Düsseldorf,DE,de,EUR,DE01,,+49 211 555 0100,\n"
	"C3,Pemberton Services GmbH,Nigel Ashdown,Hauptstraße 1,10115,"
	"Berlin,DE,de,EUR,DE01,,+49 30 555 0200,\n";

static const char invoices_csv[] =
	"invoice_id,customer_id,issue_date,due_date,currency,amount\n"
	"INV-2001,C2,2024-01-02,2024-01-31,EUR,135590\n"
	"INV-3001,C3,2024-01-02,2024-01-31,EUR,7700\n";

static char *directory;
static char *fake_dir;
static DsInstance *instance;

static void
setup (void)
{
	g_autofree char *root = NULL;
	g_autofree char *e = NULL, *c = NULL, *i = NULL;
	g_autofree char *scripts = ds_test_srcpath ("tests/fax");
	g_autofree char *path = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) reports = NULL;
	g_autoptr (DsCycle) cycle = NULL;
	DsCycleTally tally = { 0 };
	const char *paths[4];
	DsDate day;

	directory = ds_test_tmpdir ();
	fake_dir = g_build_filename (directory, "fax-server", NULL);
	ck_assert (g_mkdir (fake_dir, 0700) == 0);
	g_setenv ("FAKEFAX_DIR", fake_dir, TRUE);
	path = g_strdup_printf ("%s:%s", scripts, g_getenv ("PATH"));
	g_setenv ("PATH", path, TRUE);

	root = g_build_filename (directory, "instance", NULL);
	ck_assert (ds_instance_create (root, &error));
	instance = ds_instance_open (root, &error);
	ck_assert_msg (instance != NULL, "%s", error ? error->message : "");
	e = ds_test_write (directory, "entities.csv", entities_csv);
	c = ds_test_write (directory, "customers.csv", customers_csv);
	i = ds_test_write (directory, "invoices.csv", invoices_csv);
	paths[0] = e;
	paths[1] = c;
	paths[2] = i;
	paths[3] = NULL;
	ck_assert (ds_import_files (instance->store, paths,
				    instance->config->profiles, NULL,
				    &reports, &error));
	/* Two letters with their PDFs: what the faxes will carry. */
	ck_assert (ds_date_parse_iso ("2024-02-03", &day, NULL));
	cycle = ds_cycle_new (instance, &error);
	ck_assert_msg (cycle != NULL, "%s", error ? error->message : "");
	ck_assert_msg (ds_cycle_run (cycle, day, &tally, &error), "%s",
		       error ? error->message : "");
}

static void
teardown (void)
{
	ds_instance_free (instance);
	ds_test_rmtree (directory);
	g_free (directory);
	g_free (fake_dir);
}

static DsDocument *
document_of (const char *customer_id)
{
	g_autoptr (GPtrArray) list = ds_document_list_for (instance->store,
							   customer_id,
							   NULL);

	ck_assert_uint_eq (list->len, 1);
	return ds_document_get (instance->store, list->pdata[0], NULL);
}

static GBytes *
pdf_of (const char *customer_id)
{
	g_autoptr (DsDocument) document = document_of (customer_id);
	g_autoptr (GError) error = NULL;
	GBytes *pdf = ds_production_load_pdf (document, &error);

	ck_assert_msg (pdf != NULL, "%s", error ? error->message : "");
	return pdf;
}

/* Two documents' PDFs as one two-page PDF. */
static GBytes *
two_page_pdf (void)
{
	g_autoptr (DsDocument) first = document_of ("C2");
	g_autoptr (DsDocument) second = document_of ("C3");
	g_autofree char *target = g_build_filename (directory, "two.pdf",
						    NULL);
	const char *argv[] = {
		"pdfunite", first->pdf_path, second->pdf_path, target, NULL
	};
	g_autofree char *contents = NULL;
	gsize length;
	int status;

	ck_assert (g_spawn_sync (NULL, (char **) argv, NULL,
				 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
				 &status, NULL));
	ck_assert (g_spawn_check_wait_status (status, NULL));
	ck_assert (g_file_get_contents (target, &contents, &length, NULL));
	return g_bytes_new_take (g_steal_pointer (&contents), length);
}

START_TEST (test_fax_converts_pdf_to_checked_tiff)
{
	g_autoptr (GBytes) pdf = two_page_pdf ();
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) tiff = ds_fax_convert (
		pdf, 2, "Nordlicht (Köln) \\ +49 221 99 000000 DS0", &error);
	int pages = 0;

	ck_assert_msg (tiff != NULL, "%s", error ? error->message : "");
	ck_assert (ds_fax_check_tiff (tiff, 2, &pages, NULL));
	ck_assert_int_eq (pages, 2);
	ck_assert (!ds_fax_check_tiff (tiff, 1, NULL, &error));
	ck_assert (strstr (error->message, "2 pages, the PDF 1") != NULL);
}
END_TEST

START_TEST (test_fax_page_count_must_match_pdf)
{
	g_autoptr (GBytes) pdf = pdf_of ("C2");
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) tiff = ds_fax_convert (pdf, 3, "x", &error);

	ck_assert (tiff == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	ck_assert (strstr (error->message, "1 pages, the PDF 3") != NULL);
}
END_TEST

START_TEST (test_fax_refuses_wrong_width_and_garbage)
{
	g_autoptr (DsDocument) document = document_of ("C2");
	g_autofree char *target = g_build_filename (directory, "low.tif",
						    NULL);
	g_autofree char *output = g_strdup_printf ("-sOutputFile=%s",
						   target);
	const char *argv[] = {
		"gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
		"-sDEVICE=tiffg3", "-r100", output, document->pdf_path, NULL
	};
	g_autofree char *contents = NULL;
	gsize length;
	g_autoptr (GBytes) tiff = NULL;
	g_autoptr (GBytes) garbage = g_bytes_new_static ("II*\0\xff\xff\xff"
							 "\x7f", 8);
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) garbage_error = NULL;

	ck_assert (g_spawn_sync (NULL, (char **) argv, NULL,
				 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
				 NULL, NULL));
	ck_assert (g_file_get_contents (target, &contents, &length, NULL));
	tiff = g_bytes_new_take (g_steal_pointer (&contents), length);
	ck_assert (!ds_fax_check_tiff (tiff, 1, NULL, &error));
	ck_assert_msg (strstr (error->message, "not 1728"), "%s",
		       error->message);
	ck_assert (!ds_fax_check_tiff (garbage, 1, NULL, &garbage_error));
	ck_assert (strstr (garbage_error->message, "not a readable TIFF"));
}
END_TEST

static void
server_says (const char *jobs)
{
	g_autofree char *path = g_build_filename (fake_dir, "jobs", NULL);

	ck_assert (g_file_set_contents (path, jobs, -1, NULL));
}

/* What faxstat says, and what dunspool makes of it. */
static const struct {
	const char *line;
	DsFaxOutcome outcome;
	const char *state;
} job_lines[] = {
	{ "7|F|0:1|Busy signal detected", DS_FAX_LINE_FAULT, "failed" },
	{ "7|F|0:1|No answer from remote", DS_FAX_LINE_FAULT, "failed" },
	{ "7|F|0:2|Job aborted by request", DS_FAX_FAILED, "failed" },
	{ "7|D|1:2|", DS_FAX_PARTIAL, "partial" },
	{ "7|D|2:2|", DS_FAX_DELIVERED, "delivered" },
	{ "7|D|0:1|", DS_FAX_FAILED, "failed" },
	{ "7|S|0:1|Busy signal detected", DS_FAX_PENDING, NULL },
	{ "7|R|1:2|Sending page 2", DS_FAX_PENDING, NULL },
};

START_TEST (test_fax_hylafax_job_states)
{
	g_auto (DsFaxStatus) status = { 0 };
	g_autoptr (GError) error = NULL;
	g_autofree char *jobs = g_strdup_printf ("6|D|1:1|\n%s\n",
						 job_lines[_i].line);

	server_says (jobs);
	ck_assert_msg (ds_fax_hylafax_poll ("7", &status, &error), "%s",
		       error ? error->message : "");
	ck_assert_int_eq (status.outcome, job_lines[_i].outcome);
	ck_assert_str_eq (ds_fax_outcome_state (status.outcome) ?
			  ds_fax_outcome_state (status.outcome) : "-",
			  job_lines[_i].state ? job_lines[_i].state : "-");
}
END_TEST

START_TEST (test_fax_hylafax_unknown_job)
{
	g_auto (DsFaxStatus) status = { 0 };
	g_autoptr (GError) error = NULL;

	server_says ("6|D|1:1|\n");
	ck_assert (!ds_fax_hylafax_poll ("7", &status, &error));
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_NOT_FOUND));
}
END_TEST

static gint64
fax_attempt (const char *customer_id)
{
	g_autoptr (DsDocument) document = document_of (customer_id);
	gint64 attempt_id;

	ck_assert (ds_attempt_create (instance->store, document->trace_id,
				      DS_CHANNEL_FAX, "hylafax", &attempt_id,
				      NULL));
	return attempt_id;
}

static DsAttempt *
attempt (gint64 attempt_id)
{
	DsAttempt *found = ds_attempt_get (instance->store, attempt_id, NULL);

	ck_assert (found != NULL);
	return found;
}

/* The newest attempt of a customer's document. */
static DsAttempt *
last_attempt (const char *customer_id)
{
	g_autoptr (DsDocument) document = document_of (customer_id);
	g_autoptr (GPtrArray) attempts = ds_attempt_list_for_trace (
		instance->store, document->trace_id, NULL);

	return g_ptr_array_steal_index (attempts, attempts->len - 1);
}

static void
submit_and_poll (DsDispatchTally *tally)
{
	g_autoptr (GError) error = NULL;

	ck_assert_msg (ds_dispatch_due (instance, FALSE, tally, &error),
		       "%s", error ? error->message : "");
	ck_assert_msg (ds_dispatch_poll (instance, tally, &error), "%s",
		       error ? error->message : "");
}

START_TEST (test_fax_case15_zero_pages_and_dropped_call)
{
	gint64 done_id = fax_attempt ("C2");
	gint64 dropped_id = fax_attempt ("C3");
	g_autoptr (DsAttempt) done = NULL;
	g_autoptr (DsAttempt) dropped = NULL;
	g_autoptr (DsAttempt) letter = NULL;
	g_autoptr (DsAttempt) again = NULL;
	g_autoptr (GPtrArray) queue = NULL;
	g_autofree char *log = NULL;
	g_autofree char *log_path = g_build_filename (fake_dir,
						      "sendfax.log", NULL);
	DsDispatchTally tally = { 0 };

	/* Both submitted: jobs 1 and 2, the TIFF and the number given. */
	server_says ("1|R|0:1|Dialing\n2|R|0:1|Dialing\n");
	submit_and_poll (&tally);
	done = attempt (done_id);
	ck_assert_str_eq (done->state, "handed-off");
	ck_assert_str_eq (done->provider_id, "1");
	/* the fax server holds the job: still in the queue's list */
	queue = ds_document_list_queue (instance->store, FALSE, NULL);
	ck_assert (g_ptr_array_find_with_equal_func (queue, done->trace_id,
						     g_str_equal, NULL));
	ck_assert (g_file_get_contents (log_path, &log, NULL, NULL));
	ck_assert (strstr (log, "-d +49 211 555 0100 ") != NULL);
	ck_assert (strstr (log, ".tif") != NULL);

	/* Job 1: done, 0 of 1 pages.  Job 2: the call dropped. */
	server_says ("1|D|0:1|\n2|F|0:1|No carrier detected\n");
	submit_and_poll (&tally);
	g_clear_pointer (&done, ds_attempt_free);
	done = attempt (done_id);
	ck_assert_str_eq (done->state, "failed");
	letter = last_attempt ("C2");
	ck_assert_int_eq (letter->channel, DS_CHANNEL_LETTER);

	dropped = attempt (dropped_id);
	ck_assert_str_eq (dropped->state, "failed");
	again = last_attempt ("C3");
	ck_assert_int_eq (again->channel, DS_CHANNEL_FAX);
	ck_assert_int_ne (again->attempt_id, dropped_id);

	/* The second call goes through. */
	ck_assert_str_eq (again->state, "queued");
	server_says ("3|D|1:1|\n");
	submit_and_poll (&tally);
	g_clear_pointer (&again, ds_attempt_free);
	again = last_attempt ("C3");
	ck_assert_str_eq (again->provider_id, "3");
	ck_assert_str_eq (again->state, "delivered");
}
END_TEST

START_TEST (test_fax_line_faults_end_in_letter)
{
	gint64 attempt_id = fax_attempt ("C3");
	DsDispatchTally tally = { 0 };
	g_autoptr (DsAttempt) letter = NULL;
	g_autoptr (DsAttempt) first = NULL;

	/* Every call busy: DS_FAX_MAX_CALLS calls, then a letter. */
	for (int call = 1; call <= DS_FAX_MAX_CALLS; call++) {
		g_autofree char *jobs = g_strdup_printf (
			"%d|F|0:1|Busy signal detected\n", call);

		submit_and_poll (&tally);
		server_says (jobs);
		ck_assert (ds_dispatch_poll (instance, &tally, NULL));
	}
	letter = last_attempt ("C3");
	ck_assert_int_eq (letter->channel, DS_CHANNEL_LETTER);
	first = attempt (attempt_id);
	ck_assert_str_eq (first->state, "failed");
}
END_TEST

START_TEST (test_fax_late_report_has_no_consequence)
{
	gint64 attempt_id = fax_attempt ("C3");
	g_autoptr (DsDocument) document = document_of ("C3");
	g_autoptr (GPtrArray) before = NULL;
	g_autoptr (GPtrArray) after = NULL;
	DsFaxStatus fault = { DS_FAX_LINE_FAULT, 0, 1, 'F', (char *) "busy" };
	DsDispatchTally tally = { 0 };

	server_says ("1|R|0:1|Dialing\n");
	submit_and_poll (&tally);
	ck_assert (ds_fax_record_outcome (instance->store, attempt_id,
					  &fault, NULL));
	before = ds_attempt_list_for_trace (instance->store,
					    document->trace_id, NULL);
	/* The same report again: journaled, no second call. */
	ck_assert (ds_fax_record_outcome (instance->store, attempt_id,
					  &fault, NULL));
	after = ds_attempt_list_for_trace (instance->store,
					   document->trace_id, NULL);
	ck_assert_uint_eq (after->len, before->len);
}
END_TEST

START_TEST (test_fax_server_down_defers)
{
	gint64 attempt_id = fax_attempt ("C2");
	g_autofree char *down = g_build_filename (fake_dir, "down", NULL);
	g_autoptr (DsAttempt) deferred = NULL;
	DsDispatchTally tally = { 0 };

	ck_assert (g_file_set_contents (down, "", -1, NULL));
	submit_and_poll (&tally);
	deferred = attempt (attempt_id);
	ck_assert_str_eq (deferred->state, "deferred");
	ck_assert_int_eq (tally.deferred, 1);
}
END_TEST

START_TEST (test_fax_cancel_with_faxrm)
{
	gint64 waiting_id = fax_attempt ("C2");
	gint64 sent_id = fax_attempt ("C3");
	g_autoptr (DsDocument) c2 = document_of ("C2");
	g_autoptr (DsDocument) c3 = document_of ("C3");
	g_autoptr (DsAttempt) waiting = NULL;
	g_autoptr (DsAttempt) sent = NULL;
	g_autoptr (DsAttempt) last = NULL;
	DsDispatchTally tally = { 0 };

	server_says ("1|S|0:1|Busy signal detected\n2|R|0:1|Sending\n");
	submit_and_poll (&tally);
	/* Job 1 still waits for its next dial; job 2 gets through. */
	server_says ("1|S|0:1|Busy signal detected\n2|D|1:1|\n");
	ck_assert (ds_queue_act (instance, c2->trace_id, DS_QUEUE_CANCEL,
				 NULL, NULL, NULL));
	ck_assert (ds_queue_act (instance, c3->trace_id, DS_QUEUE_CANCEL,
				 NULL, NULL, NULL));
	waiting = attempt (waiting_id);
	ck_assert_str_eq (waiting->state, "cancel-requested");
	ck_assert (ds_dispatch_poll (instance, &tally, NULL));

	g_clear_pointer (&waiting, ds_attempt_free);
	waiting = attempt (waiting_id);
	ck_assert_str_eq (waiting->state, "cancelled");
	sent = attempt (sent_id);
	ck_assert_str_eq (sent->state, "delivered");
	/* No call again and no letter for what the operator cancelled. */
	last = last_attempt ("C2");
	ck_assert_int_eq (last->attempt_id, waiting_id);
}
END_TEST

/* -- the http driver against tests/http-provider.py ---------------------- */

static GBytes *
fax_of (const char *customer_id)
{
	g_autoptr (GBytes) pdf = pdf_of (customer_id);
	g_autoptr (GError) error = NULL;
	GBytes *tiff = ds_fax_convert (pdf, 1, "Nordlicht DS0", &error);

	ck_assert_msg (tiff != NULL, "%s", error ? error->message : "");
	return tiff;
}

START_TEST (test_fax_http_idempotent_submit)
{
	DsTestProvider gateway;
	DsFaxGateway settings = { 0 };
	g_autoptr (GBytes) tiff = fax_of ("C2");
	g_autoptr (GError) error = NULL;
	g_autofree char *first = NULL, *again = NULL, *other = NULL;

	ds_test_provider_start (&gateway, directory, "faxes",
				(const char *const[]) {
		"--token", "s3cret", NULL });
	settings.url = gateway.url;
	settings.token = "wrong";
	ck_assert (ds_fax_http_submit (&settings, "DS1-1", "+4930", "DS1",
				       tiff, 1, &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT));
	g_clear_error (&error);

	settings.token = "s3cret";
	first = ds_fax_http_submit (&settings, "DS1-1", "+4930", "DS1", tiff,
				    1, &error);
	ck_assert_msg (first != NULL, "%s", error ? error->message : "");
	/* The same key again, as after a lost answer: the same fax. */
	again = ds_fax_http_submit (&settings, "DS1-1", "+4930", "DS1", tiff,
				    1, NULL);
	ck_assert_str_eq (again, first);
	other = ds_fax_http_submit (&settings, "DS1-2", "+4930", "DS1", tiff,
				    1, NULL);
	ck_assert_str_ne (other, first);
	ck_assert_uint_eq (ds_test_provider_count (&gateway), 2);
	ds_test_provider_stop (&gateway);
}
END_TEST

START_TEST (test_fax_http_unavailable_is_temporary)
{
	DsTestProvider gateway;
	DsFaxGateway settings = { 0 };
	g_autoptr (GBytes) tiff = fax_of ("C2");
	g_autoptr (GError) error = NULL;
	g_autofree char *fax_id = NULL;
	g_autofree char *url = NULL;

	ds_test_provider_start (&gateway, directory, "faxes",
				(const char *const[]) {
		"--fail-posts", "1", NULL });
	/* kept past the stop below, where nobody listens any more */
	url = g_strdup (gateway.url);
	settings.url = url;
	ck_assert (ds_fax_http_submit (&settings, "K", "+4930", "DS1", tiff,
				       1, &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
	fax_id = ds_fax_http_submit (&settings, "K", "+4930", "DS1", tiff, 1,
				     NULL);
	ck_assert (fax_id != NULL);
	ds_test_provider_stop (&gateway);

	/* Nobody listening any more: temporary too. */
	g_clear_error (&error);
	ck_assert (ds_fax_http_submit (&settings, "K", "+4930", "DS1", tiff,
				       1, &error) == NULL);
	ck_assert (g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY));
}
END_TEST

/*
 * The http driver chosen in dunspool.conf: the fax goes to the gateway
 * with its idempotency key and its outcome comes back through the poll.
 */
START_TEST (test_fax_http_driver_through_dispatch)
{
	DsTestProvider gateway;
	DsDispatchTally tally = { 0 };
	g_autoptr (DsDocument) document = document_of ("C3");
	g_autoptr (DsAttempt) sent = NULL;
	gint64 attempt_id;

	ds_test_provider_start (&gateway, directory, "faxes", NULL);
	g_free (instance->config->fax_driver);
	instance->config->fax_driver = g_strdup ("http");
	instance->config->fax_url = g_strdup (gateway.url);
	ck_assert (ds_attempt_create (instance->store, document->trace_id,
				      DS_CHANNEL_FAX, "http", &attempt_id,
				      NULL));
	submit_and_poll (&tally);
	sent = attempt (attempt_id);
	ck_assert_str_eq (sent->state, "delivered");
	ck_assert (sent->provider_id != NULL);
	ck_assert_uint_eq (ds_test_provider_count (&gateway), 1);
	ds_test_provider_stop (&gateway);
}
END_TEST

START_TEST (test_fax_http_poll_states)
{
	static const char plan[] =
		"{\"+1\": [[\"sending\", 0, \"\"], "
		"[\"failed\", 0, \"busy\"]],"
		" \"+2\": [[\"failed\", 0, \"no answer\"]],"
		" \"+3\": [[\"delivered\", 0, \"\"]],"
		" \"+4\": [[\"failed\", 0, \"rejected by callee\"]]}";
	g_autofree char *plan_path = ds_test_write (directory, "plan.json",
						    plan);
	DsTestProvider gateway;
	DsFaxGateway settings = { 0 };
	g_autoptr (GBytes) tiff = fax_of ("C2");
	const struct {
		const char *number;
		DsFaxOutcome outcome;
	} polls[] = {
		{ "+1", DS_FAX_PENDING }, { "+1", DS_FAX_LINE_FAULT },
		{ "+2", DS_FAX_LINE_FAULT }, { "+3", DS_FAX_FAILED },
		{ "+4", DS_FAX_FAILED }, { "+5", DS_FAX_DELIVERED },
	};
	g_autoptr (GHashTable) ids = g_hash_table_new_full (
		g_str_hash, g_str_equal, NULL, g_free);

	ds_test_provider_start (&gateway, directory, "faxes",
				(const char *const[]) {
		"--plan", plan_path, NULL });
	settings.url = gateway.url;
	for (gsize i = 0; i < G_N_ELEMENTS (polls); i++) {
		g_auto (DsFaxStatus) status = { 0 };
		g_autoptr (GError) error = NULL;
		char *fax_id = g_hash_table_lookup (ids, polls[i].number);

		if (fax_id == NULL) {
			fax_id = ds_fax_http_submit (&settings,
						     polls[i].number,
						     polls[i].number, "DS1",
						     tiff, 1, &error);
			ck_assert (fax_id != NULL);
			g_hash_table_insert (ids, (gpointer) polls[i].number,
					     fax_id);
		}
		ck_assert_msg (ds_fax_http_poll (&settings, fax_id, &status,
						 &error), "%s",
			       error ? error->message : "");
		ck_assert_msg (status.outcome == polls[i].outcome,
			       "%s poll %zu: %d", polls[i].number, i,
			       status.outcome);
	}
	ds_test_provider_stop (&gateway);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("fax");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_set_timeout (tc, 60);
	tcase_add_checked_fixture (tc, setup, teardown);
	tcase_add_test (tc, test_fax_converts_pdf_to_checked_tiff);
	tcase_add_test (tc, test_fax_page_count_must_match_pdf);
	tcase_add_test (tc, test_fax_refuses_wrong_width_and_garbage);
	tcase_add_loop_test (tc, test_fax_hylafax_job_states, 0,
			     G_N_ELEMENTS (job_lines));
	tcase_add_test (tc, test_fax_hylafax_unknown_job);
	tcase_add_test (tc, test_fax_case15_zero_pages_and_dropped_call);
	tcase_add_test (tc, test_fax_line_faults_end_in_letter);
	tcase_add_test (tc, test_fax_server_down_defers);
	tcase_add_test (tc, test_fax_late_report_has_no_consequence);
	tcase_add_test (tc, test_fax_cancel_with_faxrm);
	tcase_add_test (tc, test_fax_http_idempotent_submit);
	tcase_add_test (tc, test_fax_http_unavailable_is_temporary);
	tcase_add_test (tc, test_fax_http_poll_states);
	tcase_add_test (tc, test_fax_http_driver_through_dispatch);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
