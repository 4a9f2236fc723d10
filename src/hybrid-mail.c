/*
 * hybrid-mail.c -- the hybrid-mail provider over HTTP.  See
 * hybrid-mail.h.
 */
#include "hybrid-mail.h"

#include <string.h>

#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "states.h"

/* What each provider state means for the attempt: the steps it takes. */
static const struct {
	const char *provider_state;
	const char *steps;		/* space-separated; "" for none */
} provider_states[] = {
	{ "accepted", "" },
	{ "in_production", "" },
	{ "mailed", "printed posted" },
	{ "delivered", "printed posted delivered-assumed" },
	{ "returned", "printed posted returned" },
	{ "cancelled", "cancelled" },
};

static JsonNode *
submit_body (const char *trace_id, GBytes *pdf, int pages,
	     gboolean registered)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *document = ds_http_json_base64 (pdf);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "trace_id");
	json_builder_add_string_value (builder, trace_id);
	json_builder_set_member_name (builder, "pages");
	json_builder_add_int_value (builder, pages);
	json_builder_set_member_name (builder, "registered");
	json_builder_add_boolean_value (builder, registered);
	json_builder_set_member_name (builder, "content_type");
	json_builder_add_string_value (builder, "application/pdf");
	json_builder_set_member_name (builder, "document");
	json_builder_add_string_value (builder, document);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

static char *
answer_string (JsonObject *answer, const char *member, GError **error)
{
	const char *value = json_object_get_string_member_with_default (
		answer, member, NULL);

	if (value == NULL || *value == '\0') {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "hybrid-mail provider: no %s in the answer",
			     member);
		return NULL;
	}
	return g_strdup (value);
}

char *
ds_hybrid_mail_submit (const DsHttpService *provider, const char *key,
		       const char *trace_id, GBytes *pdf, int pages,
		       gboolean registered, GError **error)
{
	g_autoptr (JsonNode) body = submit_body (trace_id, pdf, pages,
						 registered);
	g_autoptr (JsonObject) answer = ds_http_json_request (
		provider, "POST", "/letters", key, body, error);

	return answer ? answer_string (answer, "id", error) : NULL;
}

static char *
letter_path (const char *letter_id)
{
	g_autofree char *escaped = g_uri_escape_string (letter_id, NULL,
							FALSE);

	return g_strconcat ("/letters/", escaped, NULL);
}

char *
ds_hybrid_mail_poll (const DsHttpService *provider, const char *letter_id,
		     GError **error)
{
	g_autofree char *path = letter_path (letter_id);
	g_autoptr (JsonObject) answer = ds_http_json_request (
		provider, "GET", path, NULL, NULL, error);

	return answer ? answer_string (answer, "state", error) : NULL;
}

gboolean
ds_hybrid_mail_cancel (const DsHttpService *provider, const char *letter_id,
		       GError **error)
{
	g_autofree char *path = letter_path (letter_id);
	g_autoptr (JsonObject) answer = ds_http_json_request (
		provider, "DELETE", path, NULL, NULL, error);

	return answer != NULL;
}

static const char *
provider_steps (const char *provider_state)
{
	for (gsize i = 0; i < G_N_ELEMENTS (provider_states); i++)
		if (strcmp (provider_states[i].provider_state,
			    provider_state) == 0)
			return provider_states[i].steps;
	return NULL;
}

/*
 * Take each step the attempt has not taken yet; the last step once more
 * as feedback when none could be taken, so that late news (the attempt
 * is there or past it) is journaled as ignored.
 */
static gboolean
walk (DsStore *store, gint64 attempt_id, char **steps, const char *evidence,
      gboolean *returned, GError **error)
{
	guint n_steps = g_strv_length (steps);
	gboolean moved = FALSE;
	gboolean late;

	for (guint i = 0; i < n_steps; i++) {
		g_autoptr (DsAttempt) attempt = ds_attempt_get (store,
								attempt_id,
								error);

		if (attempt == NULL)
			return FALSE;
		if (!ds_state_allowed (DS_MACHINE_ATTEMPT, attempt->state,
				       steps[i]))
			continue;
		if (!ds_attempt_move (store, attempt_id, steps[i], evidence,
				      error))
			return FALSE;
		moved = TRUE;
		*returned = strcmp (steps[i], "returned") == 0;
	}
	if (moved)
		return TRUE;
	return ds_attempt_report (store, attempt_id, steps[n_steps - 1],
				  evidence, &late, error);
}

gboolean
ds_hybrid_mail_record (DsStore *store, gint64 attempt_id,
		       const char *provider_state, GError **error)
{
	const char *steps = provider_steps (provider_state);
	g_auto (GStrv) list = NULL;
	g_autoptr (DsAttempt) attempt = NULL;
	g_autofree char *evidence = NULL;
	gboolean returned = FALSE;
	gboolean opened;

	if (steps == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "hybrid-mail provider: unknown state \"%s\"",
			     provider_state);
		return FALSE;
	}
	if (*steps == '\0')
		return TRUE;
	attempt = ds_attempt_get (store, attempt_id, error);
	if (attempt == NULL)
		return FALSE;
	list = g_strsplit (steps, " ", -1);
	evidence = g_strdup_printf ("provider letter=%s state=%s",
				    attempt->provider_id ?
				    attempt->provider_id : "-",
				    provider_state);
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!walk (store, attempt_id, list, evidence, &returned, error) ||
	    (returned && !ds_feedback_open_task (store, attempt->trace_id,
						 "letter returned by the "
						 "provider: research the "
						 "address", &opened,
						 error))) {
		ds_store_rollback (store);
		return FALSE;
	}
	return ds_store_commit (store, error);
}
