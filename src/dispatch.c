/*
 * dispatch.c -- ready documents to channel attempts.  See dispatch.h.
 */
#define G_LOG_DOMAIN "dunspool-dispatch"

#include "dispatch.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "channel-email.h"
#include "channel-fax.h"
#include "date.h"
#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "production.h"
#include "spool.h"

/*
 * The relay's password, from a file only the service may read: a file
 * that others can read (or write) is refused, since the secret in it is
 * no longer one.  Read before anything is submitted, so that a refusal
 * leaves the attempt queued, not half-sent.
 */
/*
 * A secret from a file only the service may read: the SMTP password,
 * the fax gateway's token.  `what` names the key for messages.
 */
static gboolean
read_secret (const char *path, const char *what, char **secret,
	     GError **error)
{
	GStatBuf status;

	*secret = NULL;
	if (path == NULL)
		return TRUE;
	if (g_stat (path, &status) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s %s: %s",
			     what, path, g_strerror (errno));
		return FALSE;
	}
	if ((status.st_mode & 077) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s %s: mode %04o lets others read it; chmod "
			     "600 it", what, path,
			     (unsigned) (status.st_mode & 07777));
		return FALSE;
	}
	if (!g_file_get_contents (path, secret, NULL, error))
		return FALSE;
	g_strchomp (*secret);
	return TRUE;
}

gboolean
ds_dispatch_escalate_to_letter (DsStore *store, const char *trace_id,
				const char *why, GError **error)
{
	gint64 attempt_id;

	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_ATTEMPT_STATE,
		      &(DsLogFields) { .trace_id = trace_id,
				       .channel = "email", .state = "failed" },
		      "%s: escalating to letter: %s", trace_id, why);
	return ds_attempt_create (store, trace_id, DS_CHANNEL_LETTER, "print",
				  &attempt_id, error);
}

/*
 * A temporary failure: the attempt waits DS_DISPATCH_BACKOFF_FIRST,
 * doubled with each try up to DS_DISPATCH_BACKOFF_MAX, and expires after
 * DS_DISPATCH_MAX_TRIES tries; an expired e-mail escalates to a letter
 * like a failed one.
 */
static gboolean
defer (DsStore *store, const char *trace_id, gint64 attempt_id,
       const char *why, DsDispatchTally *tally, GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (store, attempt_id,
							error);
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (GDateTime) next = NULL;
	g_autofree char *next_text = NULL;
	g_autofree char *evidence = NULL;
	gint64 wait;

	if (attempt == NULL)
		return FALSE;
	tally->deferred++;
	if (attempt->tries >= DS_DISPATCH_MAX_TRIES) {
		evidence = g_strdup_printf ("try=%d, the last: %s",
					    attempt->tries, why);
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_ATTEMPT_STATE,
			      &(DsLogFields) { .trace_id = trace_id,
					       .attempt = attempt_id,
					       .state = "expired" },
			      "%s: expired: attempt=%" G_GINT64_FORMAT ": %s",
			      trace_id, attempt_id, why);
		return ds_attempt_move (store, attempt_id, "deferred",
					evidence, error) &&
		       ds_attempt_move (store, attempt_id, "expired",
					evidence, error) &&
		       (attempt->channel != DS_CHANNEL_EMAIL ||
			ds_dispatch_escalate_to_letter (store, trace_id, why,
							error));
	}
	wait = MIN (DS_DISPATCH_BACKOFF_MAX,
		    DS_DISPATCH_BACKOFF_FIRST << MIN (attempt->tries - 1,
						      16));
	next = g_date_time_add_seconds (now, wait);
	next_text = g_date_time_format (next, "%Y-%m-%dT%H:%M:%SZ");
	evidence = g_strdup_printf ("try=%d next=%s: %s", attempt->tries,
				    next_text, why);
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_ATTEMPT_STATE,
		      &(DsLogFields) { .trace_id = trace_id,
				       .attempt = attempt_id,
				       .state = "deferred" },
		      "%s: deferred: attempt=%" G_GINT64_FORMAT " next=%"
		      G_GINT64_FORMAT "s: %s", trace_id, attempt_id, wait,
		      why);
	if (!ds_store_begin (store, error))
		return FALSE;
	if (ds_attempt_move (store, attempt_id, "deferred", evidence,
			     error) &&
	    ds_attempt_set_next_try (store, attempt_id, next_text, error))
		return ds_store_commit (store, error);
	ds_store_rollback (store);
	return FALSE;
}

/*
 * What the relay said, for the journal: the Message-ID, the counts, and
 * each recipient it did not take with its reply, so that the record
 * shows who did not get a message the others got: "refused" for a
 * permanent reply (5xx), "deferred" for a temporary one (4xx: an
 * attempt of its own tries it again, see hand_off).
 */
/* A temporary refusal of a recipient (4xx): tried again. */
static gboolean
recipient_deferred (const DsRecipientResult *recipient)
{
	return recipient->code / 100 == 4;
}

static char *
smtp_evidence (const DsEmailResult *result)
{
	GString *evidence = g_string_new (NULL);

	g_string_printf (evidence, "message-id=%s accepted=%u refused=%u",
			 result->message_id, result->accepted->len,
			 result->refused->len);
	for (guint n = 0; n < result->refused->len; n++) {
		const DsRecipientResult *refused = result->refused->pdata[n];

		g_string_append_printf (evidence, "; %s <%s>: %d %s",
					recipient_deferred (refused) ?
					"deferred" : "refused",
					refused->address, refused->code,
					refused->reply ? refused->reply : "");
	}
	return g_string_free (evidence, FALSE);
}

/* The addresses of an attempt for some of the customer's; NULL: all. */
static GStrv
attempt_recipients (const DsAttempt *attempt)
{
	if (attempt->detail == NULL ||
	    !g_str_has_prefix (attempt->detail, "to="))
		return NULL;
	return ds_email_list_split (attempt->detail + strlen ("to="));
}

/*
 * Hand the attempt off; the recipients the relay deferred (4xx) while
 * it took the message for others get an attempt of their own, deferred
 * with the usual back-off, for the same stored message.  One
 * transaction, so that a crash loses neither.
 */
static gboolean
hand_off (DsStore *store, const DsAttempt *attempt,
	  const DsEmailResult *result, DsDispatchTally *tally,
	  GError **error)
{
	g_autofree char *evidence = smtp_evidence (result);
	g_autoptr (GString) deferred = NULL;
	g_autofree char *detail = NULL;
	g_autofree char *why = NULL;
	gint64 follow_up;

	for (guint i = 0; i < result->refused->len; i++) {
		const DsRecipientResult *refused = result->refused->pdata[i];

		if (!recipient_deferred (refused))
			continue;
		if (deferred == NULL)
			deferred = g_string_new (NULL);
		else
			g_string_append (deferred, ", ");
		g_string_append (deferred, refused->address);
	}
	if (deferred == NULL)
		return ds_attempt_move (store, attempt->attempt_id,
					"handed-off", evidence, error);
	detail = g_strdup_printf ("to=%s", deferred->str);
	why = g_strdup_printf ("deferred by the relay while attempt %"
			       G_GINT64_FORMAT " went to the others",
			       attempt->attempt_id);
	if (!ds_store_begin (store, error))
		return FALSE;
	if (ds_attempt_move (store, attempt->attempt_id, "handed-off",
			     evidence, error) &&
	    ds_attempt_create_detailed (store, attempt->trace_id,
					DS_CHANNEL_EMAIL, attempt->driver,
					detail, &follow_up, error) &&
	    ds_attempt_move (store, follow_up, "submitting", why, error) &&
	    defer (store, attempt->trace_id, follow_up, why, tally, error))
		return ds_store_commit (store, error);
	ds_store_rollback (store);
	return FALSE;
}

static gboolean
send_smtp (DsInstance *instance, const DsDocument *document,
	   GBytes *message, const char *password, gint64 attempt_id,
	   DsDispatchTally *tally, GError **error)
{
	DsStore *store = instance->store;
	const DsConfig *config = instance->config;
	g_autoptr (DsEntity) entity = ds_ledger_get_entity (
		store, document->entity_id, error);
	g_autoptr (DsCustomer) customer = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	g_autoptr (GError) local = NULL;
	g_autoptr (DsAttempt) attempt = NULL;
	g_autofree char *return_path = NULL;
	g_autofree char *pdf_name = NULL;
	g_auto (GStrv) to = NULL;
	g_auto (GStrv) some = NULL;
	DsEmail email = { 0 };
	DsSmtpRelay relay = { 0 };
	gboolean unknown_outcome = FALSE;

	if (entity == NULL)
		return FALSE;
	customer = ds_ledger_get_customer (store, document->customer_id,
					   error);
	attempt = customer ? ds_attempt_get (store, attempt_id, error) : NULL;
	if (attempt == NULL)
		return FALSE;
	ds_production_email_envelope (instance, document, entity, customer,
				      &email, &return_path, &pdf_name, &to);
	some = attempt_recipients (attempt);
	if (some != NULL)
		email.to = (const char *const *) some;
	relay.url = config->mail_relay;
	relay.username = config->mail_username;
	relay.password = password;
	relay.starttls = config->mail_starttls;
	relay.timeout_seconds = 60;

	result = ds_email_send_smtp (&relay, &email, message,
				     &unknown_outcome, &local);
	if (result == NULL && unknown_outcome) {
		/* The relay may have the message: reconcile, never resend. */
		tally->failures++;
		return ds_attempt_move (store, attempt_id, "unknown-outcome",
					local->message, error);
	}
	if (result == NULL && g_error_matches (local, DS_ERROR,
					       DS_ERROR_TEMPORARY)) {
		return defer (store, document->trace_id, attempt_id,
			      local->message, tally, error);
	}
	if (result == NULL) {
		tally->failures++;
		return ds_attempt_move (store, attempt_id, "failed",
					local->message, error) &&
		       ds_dispatch_escalate_to_letter (store,
						       document->trace_id,
						       local->message, error);
	}
	return hand_off (store, attempt, result, tally, error);
}

/* Submit an e-mail attempt (queued or deferred) through DRIVER. */
static gboolean
submit_email (DsInstance *instance, const DsDocument *document,
	      gint64 attempt_id, const char *driver, DsDispatchTally *tally,
	      GError **error)
{
	gboolean pickup = strcmp (driver, "pickup") == 0;
	g_autoptr (GBytes) message = ds_production_load_email (document,
							       error);
	g_autofree char *directory = NULL;
	g_autofree char *password = NULL;

	if (message == NULL ||
	    (!pickup && !read_secret (instance->config->mail_password_file,
				       "[mail] password_file", &password,
				       error)) ||
	    !ds_attempt_move (instance->store, attempt_id, "submitting", NULL,
			      error))
		return FALSE;
	if (!pickup)
		return send_smtp (instance, document, message, password,
				  attempt_id, tally, error);
	directory = ds_instance_spool_path (instance, "outgoing/mail");
	if (!ds_email_write_pickup (directory, document->trace_id, message,
				    error))
		return FALSE;
	return ds_attempt_move (instance->store, attempt_id, "handed-off",
				"pickup file written", error);
}

/*
 * Open the document's attempt and move the document to dispatched in one
 * transaction.  Apart, a crash between the two left a ready document
 * with a queued attempt, and the next run opened a second attempt: the
 * letter was printed twice (found by bench/crash-soak.sh).
 */
static gboolean
open_attempt (DsInstance *instance, const DsDocument *document,
	      DsChannel channel, const char *driver, const char *note,
	      gint64 *attempt_id, GError **error)
{
	DsStore *store = instance->store;

	if (!ds_store_begin (store, error))
		return FALSE;
	if (!ds_attempt_create (store, document->trace_id, channel, driver,
				attempt_id, error) ||
	    !ds_document_move (store, document->trace_id, "dispatched",
			       NULL, note, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	return ds_store_commit (store, error);
}

static gboolean
dispatch_email (DsInstance *instance, const DsDocument *document,
		DsDispatchTally *tally, GError **error)
{
	gint64 attempt_id;

	return open_attempt (instance, document, DS_CHANNEL_EMAIL,
			     instance->config->mail_driver, NULL,
			     &attempt_id, error) &&
	       submit_email (instance, document, attempt_id,
			     instance->config->mail_driver, tally, error);
}

static gboolean
submit_fax_spool (DsInstance *instance, const DsDocument *document,
		  gint64 attempt_id, GError **error)
{
	DsStore *store = instance->store;
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, document->customer_id, error);
	g_autoptr (GBytes) pdf = NULL;
	g_autoptr (GBytes) job = NULL;
	g_autofree char *directory = ds_instance_spool_path (instance,
							     "outgoing/fax");
	g_autofree char *pdf_name = g_strdup_printf ("%s.pdf",
						     document->trace_id);
	g_autofree char *job_name = g_strdup_printf ("%s.job",
						     document->trace_id);
	g_autofree char *job_text = NULL;

	if (customer == NULL)
		return FALSE;
	pdf = ds_production_load_pdf (document, error);
	if (pdf == NULL)
		return FALSE;
	job_text = g_strdup_printf ("trace_id=%s\nnumber=%s\npages=%d\n"
				    "document=%s\n", document->trace_id,
				    g_strdelimit (customer->fax, "\r\n", ' '),
				    document->pages, pdf_name);
	job = g_bytes_new_take (job_text, strlen (job_text));
	job_text = NULL;
	return ds_attempt_move (store, attempt_id, "submitting", NULL,
				error) &&
	       ds_spool_write_file (directory, pdf_name, pdf, error) &&
	       ds_spool_write_file (directory, job_name, job, error) &&
	       ds_attempt_move (store, attempt_id, "handed-off",
				"fax job spooled", error);
}

/* "Nordlicht GmbH +49 221 ... TRACE": who sends, for the fax header. */
static char *
fax_header (DsStore *store, const DsDocument *document, GError **error)
{
	g_autoptr (DsEntity) entity = ds_ledger_get_entity (
		store, document->entity_id, error);

	if (entity == NULL)
		return NULL;
	return g_strdup_printf ("%s  %s  %s", entity->name,
				entity->phone ? entity->phone : "",
				document->trace_id);
}

/*
 * The hylafax driver: the PDF as a checked TIFF G3 in outgoing/fax
 * (TRACE-ATTEMPT.tif), submitted with sendfax; the job id is kept as the
 * attempt's provider id for ds_dispatch_poll.  A document that cannot
 * become a valid fax fails the attempt, which escalates to a letter.
 */
static gboolean
submit_fax_hylafax (DsInstance *instance, const DsDocument *document,
		    gint64 attempt_id, DsDispatchTally *tally,
		    GError **error)
{
	DsStore *store = instance->store;
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, document->customer_id, error);
	g_autofree char *directory = ds_instance_spool_path (instance,
							     "outgoing/fax");
	g_autofree char *name = g_strdup_printf (
		"%s-%" G_GINT64_FORMAT ".tif", document->trace_id,
		attempt_id);
	g_autofree char *path = g_build_filename (directory, name, NULL);
	g_autofree char *header = NULL;
	g_autofree char *job = NULL;
	g_autofree char *evidence = NULL;
	g_autoptr (GBytes) pdf = NULL;
	g_autoptr (GBytes) tiff = NULL;
	g_autoptr (GError) local = NULL;

	if (customer == NULL ||
	    (header = fax_header (store, document, error)) == NULL ||
	    (pdf = ds_production_load_pdf (document, error)) == NULL ||
	    !ds_attempt_move (store, attempt_id, "submitting", NULL, error))
		return FALSE;
	tiff = ds_fax_convert (pdf, document->pages, header, &local);
	if (tiff == NULL && local->code == DS_ERROR_PERMANENT)
		return ds_attempt_move (store, attempt_id, "failed",
					local->message, error) &&
		       ds_dispatch_escalate_to_letter (store,
						       document->trace_id,
						       local->message, error);
	if (tiff == NULL ||
	    (!g_file_test (path, G_FILE_TEST_EXISTS) &&
	     !ds_spool_write_file (directory, name, tiff, &local)) ||
	    (job = ds_fax_hylafax_submit (customer->fax, path,
					  &local)) == NULL)
		return defer (store, document->trace_id, attempt_id,
			      local->message, tally, error);
	evidence = g_strdup_printf ("job=%s pages=%d", job, document->pages);
	return ds_attempt_set_provider_id (store, attempt_id, job, error) &&
	       ds_attempt_move (store, attempt_id, "handed-off", evidence,
				error);
}

/*
 * The http driver: the same checked TIFF G3 to a REST fax gateway,
 * submitted with the idempotency key TRACE-ATTEMPT so that a submission
 * whose answer was lost is not sent twice; the gateway's fax id is the
 * attempt's provider id for ds_dispatch_poll.
 */
static gboolean
submit_fax_http (DsInstance *instance, const DsDocument *document,
		 gint64 attempt_id, DsDispatchTally *tally, GError **error)
{
	DsStore *store = instance->store;
	const DsConfig *config = instance->config;
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, document->customer_id, error);
	g_autofree char *key = g_strdup_printf (
		"%s-%" G_GINT64_FORMAT, document->trace_id, attempt_id);
	g_autofree char *header = NULL;
	g_autofree char *token = NULL;
	g_autofree char *fax_id = NULL;
	g_autofree char *evidence = NULL;
	g_autoptr (GBytes) pdf = NULL;
	g_autoptr (GBytes) tiff = NULL;
	g_autoptr (GError) local = NULL;
	DsFaxGateway gateway = { config->fax_url, NULL, 0 };

	if (customer == NULL ||
	    !read_secret (config->fax_token_file, "[fax] token_file",
			  &token, error) ||
	    (header = fax_header (store, document, error)) == NULL ||
	    (pdf = ds_production_load_pdf (document, error)) == NULL ||
	    !ds_attempt_move (store, attempt_id, "submitting", NULL, error))
		return FALSE;
	gateway.token = token;
	tiff = ds_fax_convert (pdf, document->pages, header, &local);
	if (tiff == NULL && local->code == DS_ERROR_PERMANENT)
		return ds_attempt_move (store, attempt_id, "failed",
					local->message, error) &&
		       ds_dispatch_escalate_to_letter (store,
						       document->trace_id,
						       local->message, error);
	if (tiff == NULL ||
	    (fax_id = ds_fax_http_submit (&gateway, key, customer->fax,
					  document->trace_id, tiff,
					  document->pages, &local)) == NULL)
		return defer (store, document->trace_id, attempt_id,
			      local->message, tally, error);
	evidence = g_strdup_printf ("fax=%s key=%s pages=%d", fax_id, key,
				    document->pages);
	return ds_attempt_set_provider_id (store, attempt_id, fax_id,
					   error) &&
	       ds_attempt_move (store, attempt_id, "handed-off", evidence,
				error);
}

static gboolean
submit_fax (DsInstance *instance, const DsDocument *document,
	    gint64 attempt_id, const char *driver, DsDispatchTally *tally,
	    GError **error)
{
	if (strcmp (driver, "hylafax") == 0)
		return submit_fax_hylafax (instance, document, attempt_id,
					   tally, error);
	if (strcmp (driver, "http") == 0)
		return submit_fax_http (instance, document, attempt_id,
					tally, error);
	return submit_fax_spool (instance, document, attempt_id, error);
}

/*
 * The spool fax driver: TRACE.pdf and TRACE.job (key=value lines: the
 * trace id, the number to dial, the pages) for a fax server that reads
 * outgoing/fax.  The job file is written last: its presence means the
 * job is complete.
 */
static gboolean
dispatch_fax (DsInstance *instance, const DsDocument *document,
	      DsDispatchTally *tally, GError **error)
{
	const char *driver = instance->config->fax_driver;
	gint64 attempt_id;

	return open_attempt (instance, document, DS_CHANNEL_FAX, driver,
			     NULL, &attempt_id, error) &&
	       submit_fax (instance, document, attempt_id, driver, tally,
			   error);
}

static gboolean
dispatch_letter (DsInstance *instance, const DsDocument *document,
		 GError **error)
{
	gint64 attempt_id;

	return open_attempt (instance, document, document->channel, "print",
			     "queued for print", &attempt_id, error);
}

/*
 * Failures that stop one document and not the others: the channel's
 * (temporary, permanent) and a channel's configuration (a password file
 * others can read), which the attempt waits out, queued.
 */
static gboolean
per_document (const GError *error)
{
	return g_error_matches (error, DS_ERROR, DS_ERROR_TEMPORARY) ||
	       g_error_matches (error, DS_ERROR, DS_ERROR_PERMANENT) ||
	       g_error_matches (error, DS_ERROR, DS_ERROR_CONFIG);
}

static gboolean
dispatch_one (DsInstance *instance, const char *trace_id,
	      DsDispatchTally *tally, GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (instance->store,
							   trace_id, error);

	if (document == NULL)
		return FALSE;
	tally->by_channel[document->channel]++;
	switch (document->channel) {
	case DS_CHANNEL_EMAIL:
		return dispatch_email (instance, document, tally, error);
	case DS_CHANNEL_FAX:
		return dispatch_fax (instance, document, tally, error);
	case DS_CHANNEL_LETTER:
	case DS_CHANNEL_REGISTERED:
		return dispatch_letter (instance, document, error);
	case DS_CHANNEL_CALL:	/* a collector's task, never ready */
	case DS_CHANNEL_COUNT:
		break;
	}
	g_assert_not_reached ();
}

gboolean
ds_dispatch_ready (DsInstance *instance, DsDispatchTally *tally,
		   GError **error)
{
	g_autoptr (GPtrArray) ready = ds_document_list_in_state (
		instance->store, "ready", error);

	if (ready == NULL)
		return FALSE;
	for (guint i = 0; i < ready->len; i++) {
		const char *trace_id = g_ptr_array_index (ready, i);
		g_autoptr (GError) local = NULL;

		if (dispatch_one (instance, trace_id, tally, &local))
			continue;
		if (!per_document (local)) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		tally->failures++;
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_DOCUMENT_DISPATCHED,
			      &(DsLogFields) { .trace_id = trace_id },
			      "%s: dispatch failed: %s", trace_id,
			      local->message);
	}
	return TRUE;
}

static gboolean
submit_due (DsInstance *instance, gint64 attempt_id, DsDispatchTally *tally,
	    GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (instance->store,
							attempt_id, error);
	g_autoptr (DsDocument) document = NULL;

	if (attempt == NULL)
		return FALSE;
	document = ds_document_get (instance->store, attempt->trace_id,
				    error);
	if (document == NULL)
		return FALSE;
	tally->retried++;
	switch (attempt->channel) {
	case DS_CHANNEL_EMAIL:
		return submit_email (instance, document, attempt_id,
				     attempt->driver, tally, error);
	case DS_CHANNEL_FAX:
		return submit_fax (instance, document, attempt_id,
				   attempt->driver, tally, error);
	case DS_CHANNEL_LETTER:
	case DS_CHANNEL_REGISTERED:
	case DS_CHANNEL_CALL:
	case DS_CHANNEL_COUNT:
		break;
	}
	return TRUE;
}

/*
 * An attempt left "submitting" longer than any submission takes was cut
 * short by a crash: the provider may or may not have it.  It becomes
 * unknown-outcome, for reconciliation, and is never simply sent again.
 */
static gboolean
recover_stale (DsStore *store, GError **error)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (GDateTime) limit = g_date_time_add_seconds (
		now, -DS_DISPATCH_STALE_SECONDS);
	g_autofree char *before = g_date_time_format (limit,
						      "%Y-%m-%dT%H:%M:%SZ");
	g_autoptr (GArray) stale = ds_attempt_list_stale (store,
							  "submitting",
							  before, error);

	if (stale == NULL)
		return FALSE;
	for (guint i = 0; i < stale->len; i++) {
		gint64 attempt_id = g_array_index (stale, gint64, i);

		g_warning ("attempt %" G_GINT64_FORMAT ": found submitting "
			   "since before %s: unknown outcome, reconcile it",
			   attempt_id, before);
		if (!ds_attempt_move (store, attempt_id, "unknown-outcome",
				      "found submitting after an "
				      "interruption: reconcile", error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ds_dispatch_due (DsInstance *instance, gboolean flush,
		 DsDispatchTally *tally, GError **error)
{
	/* Flush: every deferred attempt is due, whatever its back-off. */
	g_autofree char *now = flush ? g_strdup ("9999-12-31T23:59:59Z") :
			       ds_time_now_utc_iso ();
	g_autoptr (GArray) due = NULL;

	if (!recover_stale (instance->store, error))
		return FALSE;
	due = ds_attempt_list_due (instance->store, now, error);
	if (due == NULL)
		return FALSE;
	for (guint i = 0; i < due->len; i++) {
		gint64 attempt_id = g_array_index (due, gint64, i);
		g_autoptr (GError) local = NULL;

		if (submit_due (instance, attempt_id, tally, &local))
			continue;
		if (!per_document (local)) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		tally->failures++;
		g_warning ("attempt %" G_GINT64_FORMAT ": retry failed: %s",
			   attempt_id, local->message);
	}
	return TRUE;
}

static gboolean
poll_hylafax (DsStore *store, gint64 attempt_id, DsDispatchTally *tally,
	      GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (store, attempt_id,
							error);
	g_auto (DsFaxStatus) status = { 0 };

	if (attempt == NULL)
		return FALSE;
	if (attempt->provider_id == NULL ||
	    !ds_fax_hylafax_poll (attempt->provider_id, &status, error))
		return FALSE;
	tally->failures += status.outcome == DS_FAX_FAILED ||
			   status.outcome == DS_FAX_PARTIAL;
	return ds_fax_record_outcome (store, attempt_id, &status, error);
}

/*
 * An operator's cancel of a fax with the server: faxrm it; if the server
 * will not (the call was made), its outcome is recorded as usual.
 */
static gboolean
cancel_hylafax (DsStore *store, gint64 attempt_id, DsDispatchTally *tally,
		GError **error)
{
	g_autoptr (DsAttempt) attempt = ds_attempt_get (store, attempt_id,
							error);
	g_autoptr (GError) local = NULL;

	if (attempt == NULL)
		return FALSE;
	if (attempt->provider_id != NULL &&
	    ds_fax_hylafax_remove (attempt->provider_id, &local))
		return ds_attempt_move (store, attempt_id, "cancelled",
					"faxrm: job removed", error);
	return poll_hylafax (store, attempt_id, tally, error);
}

static gboolean
poll_http (DsInstance *instance, gint64 attempt_id, DsDispatchTally *tally,
	   GError **error)
{
	const DsConfig *config = instance->config;
	g_autoptr (DsAttempt) attempt = ds_attempt_get (instance->store,
							attempt_id, error);
	g_autofree char *token = NULL;
	g_auto (DsFaxStatus) status = { 0 };
	DsFaxGateway gateway = { config->fax_url, NULL, 0 };

	if (attempt == NULL ||
	    !read_secret (config->fax_token_file, "[fax] token_file",
			  &token, error))
		return FALSE;
	gateway.token = token;
	if (attempt->provider_id == NULL || config->fax_url == NULL ||
	    !ds_fax_http_poll (&gateway, attempt->provider_id, &status,
			       error))
		return FALSE;
	tally->failures += status.outcome == DS_FAX_FAILED ||
			   status.outcome == DS_FAX_PARTIAL;
	return ds_fax_record_outcome (instance->store, attempt_id, &status,
				      error);
}

/* Faxes the http gateway has, handed off or asked to cancel. */
static gboolean
poll_http_gateway (DsInstance *instance, DsDispatchTally *tally,
		   GError **error)
{
	const char *const states[] = { "handed-off", "cancel-requested" };

	for (gsize s = 0; s < G_N_ELEMENTS (states); s++) {
		g_autoptr (GArray) ids = ds_attempt_list_by_driver (
			instance->store, "http", states[s], error);

		if (ids == NULL)
			return FALSE;
		for (guint i = 0; i < ids->len; i++) {
			gint64 attempt_id = g_array_index (ids, gint64, i);
			g_autoptr (GError) local = NULL;

			if (poll_http (instance, attempt_id, tally, &local))
				continue;
			if (local->domain != DS_ERROR ||
			    local->code == DS_ERROR_CORRUPT) {
				g_propagate_error (error,
						   g_steal_pointer (&local));
				return FALSE;
			}
			g_warning ("attempt %" G_GINT64_FORMAT ": poll: %s",
				   attempt_id, local->message);
		}
	}
	return TRUE;
}

gboolean
ds_dispatch_poll (DsInstance *instance, DsDispatchTally *tally,
		  GError **error)
{
	g_autoptr (GArray) handed_off = ds_attempt_list_by_driver (
		instance->store, "hylafax", "handed-off", error);
	g_autoptr (GArray) cancelling = ds_attempt_list_by_driver (
		instance->store, "hylafax", "cancel-requested", error);

	if (handed_off == NULL || cancelling == NULL)
		return FALSE;
	for (guint i = 0; i < handed_off->len + cancelling->len; i++) {
		gboolean cancel = i >= handed_off->len;
		gint64 attempt_id = cancel ?
			g_array_index (cancelling, gint64,
				       i - handed_off->len) :
			g_array_index (handed_off, gint64, i);
		g_autoptr (GError) local = NULL;

		if (cancel ? cancel_hylafax (instance->store, attempt_id,
					     tally, &local) :
		    poll_hylafax (instance->store, attempt_id, tally,
				  &local))
			continue;
		if (local->domain != DS_ERROR ||
		    local->code == DS_ERROR_CORRUPT) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		g_warning ("attempt %" G_GINT64_FORMAT ": poll: %s",
			   attempt_id, local->message);
	}
	return poll_http_gateway (instance, tally, error);
}
