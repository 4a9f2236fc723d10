/*
 * log.c -- structured log records.  See log.h.
 *
 * The MESSAGE_IDs below are fixed for good: the journal catalog
 * (doc/dunspool.catalog) and operators' saved searches use them.  A new
 * event kind gets a new id (`systemd-id128 new`) and a catalog entry;
 * an id is never reused for another meaning.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>

static const char *const message_ids[DS_LOG_EVENT_COUNT] = {
	[DS_LOG_DOCUMENT_PLANNED] = "a70f0930188f41069d6d9ceb67eb6119",
	[DS_LOG_DOCUMENT_RENDERED] = "a5612ec19f9847f79538131d18977407",
	[DS_LOG_DOCUMENT_DISPATCHED] = "fc89faf9347144e8bf49b0f90a23456b",
	[DS_LOG_DOCUMENT_ACTION_REQUIRED] = "6d675dd2eee148f9be76e3aef8690c40",
	[DS_LOG_DOCUMENT_STATE] = "ff4310405b194af1857d8e13e1477796",
	[DS_LOG_ATTEMPT_STATE] = "5356134a22e540328e150cb3d4212530",
	[DS_LOG_IMPORT] = "348e758bdd5d4523a9e880379156282e",
	[DS_LOG_INPUT_REFUSED] = "7d59b49cc7ab433f94b0ce0285775961",
	[DS_LOG_BATCH] = "29d1d03ce666429d98b2fd9c2cc112c6",
	[DS_LOG_CYCLE] = "b0249b6e8f434558a33f485869f3557c",
	[DS_LOG_DAEMON] = "d24a1f5720ff4520b03bfedac93acf14",
	[DS_LOG_SPOOL] = "a80b14c03b4a4431a5027ca87a0312a1",
	[DS_LOG_SCORER] = "c4eff56ed2f149d4bdc0ca96f49c11e5",
	[DS_LOG_NO_SPACE] = "ede107dbc1bc4351926ab64c9628ee0e",
};

const char *
ds_log_message_id (DsLogEvent event)
{
	g_return_val_if_fail (event < DS_LOG_EVENT_COUNT, NULL);
	return message_ids[event];
}

gboolean
ds_log_debtor_data_allowed (void)
{
	return g_strcmp0 (g_getenv ("DUNSPOOL_LOG_DEBTOR_DATA"), "1") == 0;
}

/* syslog(3) priorities, as g_log_structured would give them. */
static const char *
level_priority (GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "3";
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		return "4";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "5";
	if (level & G_LOG_LEVEL_INFO)
		return "6";
	return "7";
}

static gboolean reported[DS_LOG_EVENT_COUNT];

void
ds_log_set_reported (DsLogEvent event)
{
	g_return_if_fail (event < DS_LOG_EVENT_COUNT);
	reported[event] = TRUE;
}

/* TRUE when the program's own report already tells the reader. */
static gboolean
reported_elsewhere (DsLogEvent event, GLogLevelFlags level)
{
	return reported[event] &&
	       (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) == 0 &&
	       !g_log_writer_is_journald (fileno (stderr));
}

static void
add_field (GLogField *fields, gsize *n_fields, const char *key,
	   const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	fields[*n_fields].key = key;
	fields[*n_fields].value = value;
	fields[*n_fields].length = -1;
	(*n_fields)++;
}

void
ds_log_event_full (const char *domain, const char *file, const char *line,
		   const char *function, GLogLevelFlags level,
		   DsLogEvent event, const DsLogFields *about,
		   const char *format, ...)
{
	static const DsLogFields nothing = { 0 };
	g_autofree char *message = NULL;
	g_autofree char *attempt = NULL;
	GLogField fields[13];
	gsize n_fields = 0;
	va_list args;

	g_return_if_fail (event < DS_LOG_EVENT_COUNT);
	if (reported_elsewhere (event, level))
		return;
	if (about == NULL)
		about = &nothing;
	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);

	/* Debtor data only where the administrator can expect it. */
	if (about->debtor != NULL && *about->debtor != '\0' &&
	    ((level & G_LOG_LEVEL_DEBUG) || ds_log_debtor_data_allowed ())) {
		char *longer = g_strdup_printf ("%s: %s", message,
						about->debtor);

		g_free (message);
		message = longer;
	}
	if (about->attempt > 0)
		attempt = g_strdup_printf ("%" G_GINT64_FORMAT,
					   about->attempt);

	add_field (fields, &n_fields, "MESSAGE", message);
	add_field (fields, &n_fields, "PRIORITY", level_priority (level));
	add_field (fields, &n_fields, "MESSAGE_ID", message_ids[event]);
	add_field (fields, &n_fields, "GLIB_DOMAIN", domain);
	add_field (fields, &n_fields, "DUNSPOOL_TRACE_ID", about->trace_id);
	add_field (fields, &n_fields, "DUNSPOOL_ATTEMPT", attempt);
	add_field (fields, &n_fields, "DUNSPOOL_CHANNEL", about->channel);
	add_field (fields, &n_fields, "DUNSPOOL_STATE", about->state);
	add_field (fields, &n_fields, "CODE_FILE", file);
	add_field (fields, &n_fields, "CODE_LINE", line);
	add_field (fields, &n_fields, "CODE_FUNC", function);
	g_log_structured_array (level, fields, n_fields);
}

/* The event kind of a journal record; FALSE: not one to log. */
static gboolean
journal_event_kind (const char *object_kind, const char *event,
		    const char *new_state, DsLogEvent *kind)
{
	static const struct {
		const char *object_kind;
		const char *event;	/* NULL: any */
		DsLogEvent kind;
	} kinds[] = {
		{ "document", "planned", DS_LOG_DOCUMENT_PLANNED },
		{ "document", "rendered", DS_LOG_DOCUMENT_RENDERED },
		{ "document", "dispatched", DS_LOG_DOCUMENT_DISPATCHED },
		{ "document", NULL, DS_LOG_DOCUMENT_STATE },
		{ "attempt", NULL, DS_LOG_ATTEMPT_STATE },
		{ "batch", NULL, DS_LOG_BATCH },
		{ "import", NULL, DS_LOG_IMPORT },
		{ "cycle", NULL, DS_LOG_CYCLE },
	};

	if (g_strcmp0 (object_kind, "document") == 0 &&
	    (g_strcmp0 (new_state, "action-required") == 0 ||
	     g_strcmp0 (new_state, "invalid") == 0)) {
		*kind = DS_LOG_DOCUMENT_ACTION_REQUIRED;
		return TRUE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
		if (g_strcmp0 (object_kind, kinds[i].object_kind) != 0 ||
		    (kinds[i].event != NULL &&
		     g_strcmp0 (event, kinds[i].event) != 0))
			continue;
		*kind = kinds[i].kind;
		return TRUE;
	}
	return FALSE;
}

void
ds_log_journal_record (const char *object_kind, const char *object_id,
		       const char *trace_id, const char *event,
		       const char *old_state, const char *new_state,
		       const char *evidence)
{
	DsLogEvent kind;
	gint64 attempt = 0;
	g_autofree char *subject = NULL;

	if (!journal_event_kind (object_kind, event, new_state, &kind))
		return;
	if (kind == DS_LOG_ATTEMPT_STATE)
		attempt = g_ascii_strtoll (object_id, NULL, 10);

	/* The object id first: the document's when there is one. */
	if (g_strcmp0 (object_kind, "document") == 0)
		subject = g_strdup (object_id);
	else if (trace_id != NULL)
		subject = g_strdup_printf ("%s: %s %s", trace_id, object_kind,
					   object_id);
	else
		subject = g_strdup_printf ("%s: %s", object_id, object_kind);
	ds_log_event_full ("dunspool-journal", __FILE__,
			   G_STRINGIFY (__LINE__), G_STRFUNC,
			   G_LOG_LEVEL_INFO, kind,
			   &(DsLogFields) { .trace_id = trace_id,
					    .attempt = attempt,
					    .state = new_state,
					    .debtor = evidence },
			   "%s: %s: %s -> %s", subject, event,
			   old_state ? old_state : "-",
			   new_state ? new_state : "-");
}
