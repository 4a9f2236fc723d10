/*
 * dispatch.c -- ready documents to channel attempts.  See dispatch.h.
 */
#include "dispatch.h"

#include <string.h>

#include "channel-email.h"
#include "document.h"
#include "ds-error.h"
#include "journal.h"
#include "ledger.h"
#include "production.h"
#include "spool.h"

static gboolean
read_password (const DsConfig *config, char **password, GError **error)
{
	*password = NULL;
	if (config->mail_password_file == NULL)
		return TRUE;
	if (!g_file_get_contents (config->mail_password_file, password,
				  NULL, error))
		return FALSE;
	g_strchomp (*password);
	return TRUE;
}

/* Escalation: an e-mail nobody accepted becomes a letter. */
static gboolean
escalate_to_letter (DsStore *store, const DsDocument *document,
		    const char *why, GError **error)
{
	gint64 attempt_id;

	g_message ("%s: e-mail failed, escalating to letter: %s",
		   document->trace_id, why);
	return ds_attempt_create (store, document->trace_id,
				  DS_CHANNEL_LETTER, "print", &attempt_id,
				  error);
}

static gboolean
send_smtp (DsInstance *instance, const DsDocument *document,
	   GBytes *message, gint64 attempt_id, DsDispatchTally *tally,
	   GError **error)
{
	DsStore *store = instance->store;
	const DsConfig *config = instance->config;
	g_autoptr (DsEntity) entity = ds_ledger_get_entity (
		store, document->entity_id, error);
	g_autoptr (DsCustomer) customer = NULL;
	g_autoptr (DsEmailResult) result = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *password = NULL;
	g_autofree char *return_path = NULL;
	g_autofree char *pdf_name = NULL;
	g_autofree char *evidence = NULL;
	DsEmail email = { 0 };
	DsSmtpRelay relay = { 0 };
	const char *to[2] = { NULL, NULL };
	gboolean unknown_outcome = FALSE;

	if (entity == NULL)
		return FALSE;
	customer = ds_ledger_get_customer (store, document->customer_id,
					   error);
	if (customer == NULL || !read_password (config, &password, error))
		return FALSE;
	ds_production_email_envelope (instance, document, entity, customer,
				      &email, &return_path, &pdf_name);
	to[0] = customer->email;
	email.to = to;
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
	if (result == NULL) {
		gboolean temporary = g_error_matches (local, DS_ERROR,
						      DS_ERROR_TEMPORARY);

		tally->failures += !temporary;
		if (!ds_attempt_move (store, attempt_id,
				      temporary ? "deferred" : "failed",
				      local->message, error))
			return FALSE;
		return temporary ||
		       escalate_to_letter (store, document, local->message,
					   error);
	}
	evidence = g_strdup_printf ("message-id=%s accepted=%u refused=%u",
				    result->message_id,
				    result->accepted->len,
				    result->refused->len);
	return ds_attempt_move (store, attempt_id, "handed-off", evidence,
				error);
}

static gboolean
dispatch_email (DsInstance *instance, const DsDocument *document,
		DsDispatchTally *tally, GError **error)
{
	DsStore *store = instance->store;
	gboolean pickup = strcmp (instance->config->mail_driver,
				  "pickup") == 0;
	g_autoptr (GBytes) message = ds_production_load_email (document,
							       error);
	g_autofree char *directory = NULL;
	gint64 attempt_id;

	if (message == NULL ||
	    !ds_attempt_create (store, document->trace_id, DS_CHANNEL_EMAIL,
				instance->config->mail_driver, &attempt_id,
				error) ||
	    !ds_document_move (store, document->trace_id, "dispatched",
			       NULL, NULL, error) ||
	    !ds_attempt_move (store, attempt_id, "submitting", NULL, error))
		return FALSE;
	if (!pickup)
		return send_smtp (instance, document, message, attempt_id,
				  tally, error);
	directory = ds_instance_spool_path (instance, "outgoing/mail");
	if (!ds_email_write_pickup (directory, document->trace_id, message,
				    error))
		return FALSE;
	return ds_attempt_move (store, attempt_id, "handed-off",
				"pickup file written", error);
}

/*
 * The spool fax driver: TRACE.pdf and TRACE.job (key=value lines: the
 * trace id, the number to dial, the pages) for a fax server that reads
 * outgoing/fax.  The job file is written last: its presence means the
 * job is complete.
 */
static gboolean
dispatch_fax (DsInstance *instance, const DsDocument *document,
	      GError **error)
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
	gint64 attempt_id;

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
	return ds_attempt_create (store, document->trace_id, DS_CHANNEL_FAX,
				  "spool", &attempt_id, error) &&
	       ds_document_move (store, document->trace_id, "dispatched",
				 NULL, NULL, error) &&
	       ds_attempt_move (store, attempt_id, "submitting", NULL,
				error) &&
	       ds_spool_write_file (directory, pdf_name, pdf, error) &&
	       ds_spool_write_file (directory, job_name, job, error) &&
	       ds_attempt_move (store, attempt_id, "handed-off",
				"fax job spooled", error);
}

static gboolean
dispatch_letter (DsInstance *instance, const DsDocument *document,
		 GError **error)
{
	gint64 attempt_id;

	return ds_attempt_create (instance->store, document->trace_id,
				  document->channel, "print", &attempt_id,
				  error) &&
	       ds_document_move (instance->store, document->trace_id,
				 "dispatched", NULL, "queued for print",
				 error);
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
		return dispatch_fax (instance, document, error);
	case DS_CHANNEL_LETTER:
	case DS_CHANNEL_REGISTERED:
		return dispatch_letter (instance, document, error);
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
		if (!g_error_matches (local, DS_ERROR, DS_ERROR_TEMPORARY) &&
		    !g_error_matches (local, DS_ERROR, DS_ERROR_PERMANENT)) {
			g_propagate_error (error, g_steal_pointer (&local));
			return FALSE;
		}
		tally->failures++;
		g_warning ("%s: dispatch failed: %s", trace_id,
			   local->message);
	}
	return TRUE;
}
