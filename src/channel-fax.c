/*
 * channel-fax.c -- TIFF G3 conversion and check, the hylafax driver and
 * the fax policy.  See channel-fax.h.
 */
#define G_LOG_DOMAIN "dunspool-fax"

#include "channel-fax.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "document.h"
#include "ds-error.h"
#include "http-json.h"

#define FAX_MAX_PAGES 1000	/* a TIFF claiming more is refused */

/* -- conversion -------------------------------------------------------- */

/* HEADER as a PostScript string body: ASCII, \ ( ) escaped. */
static char *
postscript_text (const char *header)
{
	g_autofree char *ascii = g_str_to_ascii (header, "C");
	GString *text = g_string_new (NULL);

	for (const char *p = ascii; *p != '\0'; p++) {
		if (*p == '\\' || *p == '(' || *p == ')')
			g_string_append_c (text, '\\');
		g_string_append_c (text, g_ascii_isprint (*p) ? *p : ' ');
	}
	return g_string_free (text, FALSE);
}

/*
 * An EndPage procedure drawing the header and "n/PAGES" at the top left
 * of every page before Ghostscript rasterises it.
 */
static char *
header_procedure (const char *header, int pages)
{
	g_autofree char *text = postscript_text (header);

	return g_strdup_printf (
		"<< /EndPage { exch /dsn exch def 2 ne dup {"
		" gsave /Helvetica findfont 9 scalefont setfont"
		" 20 830 moveto (%s  ) show dsn 1 add 8 string cvs show"
		" (/%d) show grestore } if } bind >> setpagedevice",
		text, pages);
}

static gboolean
run_ghostscript (const char *pdf_path, const char *tiff_path,
		 const char *procedure, GError **error)
{
	g_autofree char *output = g_strdup_printf ("-sOutputFile=%s",
						   tiff_path);
	const char *argv[] = {
		"gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
		"-sDEVICE=tiffg3", "-r204x196", "-sPAPERSIZE=a4",
		"-dFIXEDMEDIA", "-dPDFFitPage", output, "-c", procedure,
		"-f", pdf_path, NULL
	};
	g_autofree char *errors = NULL;
	g_autoptr (GError) local = NULL;
	int status;

	if (!g_spawn_sync (NULL, (char **) argv, NULL,
			   G_SPAWN_SEARCH_PATH |
			   G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			   &errors, &status, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "ghostscript: %s", local->message);
		return FALSE;
	}
	if (!g_spawn_check_wait_status (status, NULL)) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "ghostscript failed: %s",
			     errors ? g_strstrip (errors) : "");
		return FALSE;
	}
	return TRUE;
}

GBytes *
ds_fax_convert (GBytes *pdf, int pages, const char *header, GError **error)
{
	g_autofree char *directory = g_dir_make_tmp ("dunspool-fax-XXXXXX",
						     error);
	g_autofree char *pdf_path = NULL;
	g_autofree char *tiff_path = NULL;
	g_autofree char *procedure = header_procedure (header, pages);
	g_autofree char *contents = NULL;
	g_autoptr (GBytes) tiff = NULL;
	gsize length = 0;
	gboolean ok;

	if (directory == NULL)
		return NULL;
	pdf_path = g_build_filename (directory, "document.pdf", NULL);
	tiff_path = g_build_filename (directory, "document.tif", NULL);
	ok = g_file_set_contents (pdf_path, g_bytes_get_data (pdf, NULL),
				  g_bytes_get_size (pdf), error) &&
	     run_ghostscript (pdf_path, tiff_path, procedure, error) &&
	     g_file_get_contents (tiff_path, &contents, &length, error);
	g_unlink (pdf_path);
	g_unlink (tiff_path);
	g_rmdir (directory);
	if (!ok)
		return NULL;
	tiff = g_bytes_new_take (g_steal_pointer (&contents), length);
	if (!ds_fax_check_tiff (tiff, pages, NULL, error))
		return NULL;
	return g_steal_pointer (&tiff);
}

/* -- the TIFF check ---------------------------------------------------- */

typedef struct {
	const guint8 *data;
	gsize length;
	gboolean big_endian;
} TiffReader;

static gboolean
tiff_u16 (const TiffReader *tiff, gsize offset, guint32 *value)
{
	const guint8 *p = tiff->data + offset;

	if (offset + 2 > tiff->length)
		return FALSE;
	*value = tiff->big_endian ? (p[0] << 8) | p[1] : (p[1] << 8) | p[0];
	return TRUE;
}

static gboolean
tiff_u32 (const TiffReader *tiff, gsize offset, guint32 *value)
{
	guint32 high, low;

	if (!tiff_u16 (tiff, offset, tiff->big_endian ? &high : &low) ||
	    !tiff_u16 (tiff, offset + 2, tiff->big_endian ? &low : &high))
		return FALSE;
	*value = (high << 16) | low;
	return TRUE;
}

/* ImageWidth (tag 256, SHORT or LONG) of the IFD at OFFSET; its next. */
static gboolean
tiff_ifd (const TiffReader *tiff, guint32 offset, guint32 *width,
	  guint32 *next)
{
	guint32 entries;

	*width = 0;
	if (!tiff_u16 (tiff, offset, &entries))
		return FALSE;
	for (guint32 i = 0; i < entries; i++) {
		gsize entry = offset + 2 + 12 * (gsize) i;
		guint32 tag, type;

		if (!tiff_u16 (tiff, entry, &tag) ||
		    !tiff_u16 (tiff, entry + 2, &type))
			return FALSE;
		if (tag != 256)
			continue;
		if (type == 3 && !tiff_u16 (tiff, entry + 8, width))
			return FALSE;
		if (type == 4 && !tiff_u32 (tiff, entry + 8, width))
			return FALSE;
	}
	return tiff_u32 (tiff, offset + 2 + 12 * (gsize) entries, next);
}

gboolean
ds_fax_check_tiff (GBytes *bytes, int pages, int *found, GError **error)
{
	TiffReader tiff = { 0 };
	guint32 magic, offset, width;
	int count = 0;

	tiff.data = g_bytes_get_data (bytes, &tiff.length);
	if (tiff.length < 8 || (memcmp (tiff.data, "II", 2) != 0 &&
				memcmp (tiff.data, "MM", 2) != 0))
		goto bad;
	tiff.big_endian = tiff.data[0] == 'M';
	if (!tiff_u16 (&tiff, 2, &magic) || magic != 42 ||
	    !tiff_u32 (&tiff, 4, &offset))
		goto bad;
	for (; offset != 0; count++) {
		if (count == FAX_MAX_PAGES ||
		    !tiff_ifd (&tiff, offset, &width, &offset))
			goto bad;
		if (width != DS_FAX_WIDTH) {
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "fax page %d is %u pixels wide, not %d",
				     count + 1, width, DS_FAX_WIDTH);
			return FALSE;
		}
	}
	if (found != NULL)
		*found = count;
	if (count != pages) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "fax has %d pages, the PDF %d", count, pages);
		return FALSE;
	}
	return TRUE;

bad:
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "fax image is not a readable TIFF");
	return FALSE;
}

/* -- hylafax ----------------------------------------------------------- */

/* A fax server's command: failures are the server's, temporary. */
static gboolean
run_command (const char *const *argv, char **environment, char **output,
	     GError **error)
{
	g_autofree char *errors = NULL;
	g_autoptr (GError) local = NULL;
	int status;

	if (!g_spawn_sync (NULL, (char **) argv, environment,
			   G_SPAWN_SEARCH_PATH, NULL, NULL, output, &errors,
			   &status, &local)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s: %s", argv[0], local->message);
		return FALSE;
	}
	if (!g_spawn_check_wait_status (status, NULL)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "%s failed: %s", argv[0],
			     errors ? g_strstrip (errors) : "");
		return FALSE;
	}
	return TRUE;
}

char *
ds_fax_hylafax_submit (const char *number, const char *tiff_path,
		       GError **error)
{
	const char *argv[] = {
		"sendfax", "-n", "-d", number, tiff_path, NULL
	};
	g_autofree char *output = NULL;
	g_autoptr (GMatchInfo) match = NULL;
	g_autoptr (GRegex) request = g_regex_new (
		"request id is ([0-9]+)", 0, 0, NULL);

	if (number == NULL || *number == '\0' ||
	    strspn (number, "+0123456789 -()/") != strlen (number)) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "fax number \"%s\" is not dialable",
			     number ? number : "");
		return NULL;
	}
	if (!run_command (argv, NULL, &output, error))
		return NULL;
	if (!g_regex_match (request, output, 0, &match)) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "sendfax gave no request id: %s",
			     g_strstrip (output));
		return NULL;
	}
	return g_match_info_fetch (match, 1);
}

gboolean
ds_fax_hylafax_remove (const char *job_id, GError **error)
{
	const char *argv[] = { "faxrm", job_id, NULL };
	g_autofree char *output = NULL;
	g_autoptr (GError) local = NULL;

	if (run_command (argv, NULL, &output, &local))
		return TRUE;
	/* faxrm says why in words; whatever it is, the job stays. */
	g_set_error (error, DS_ERROR, DS_ERROR_STATE, "%s", local->message);
	return FALSE;
}

void
ds_fax_status_clear (DsFaxStatus *status)
{
	g_clear_pointer (&status->status, g_free);
}

/* The status texts of HylaFAX that name a fault of the line. */
static gboolean
line_fault (const char *status)
{
	static const char *const faults[] = {
		"busy", "no answer", "no carrier", "dropped", "no response",
		"no local dialtone", "hangup",
	};
	g_autofree char *lower = g_ascii_strdown (status, -1);

	for (gsize i = 0; i < G_N_ELEMENTS (faults); i++)
		if (strstr (lower, faults[i]) != NULL)
			return TRUE;
	return FALSE;
}

static DsFaxOutcome
job_outcome (const DsFaxStatus *status)
{
	switch (status->state) {
	case 'D':
		if (status->pages_total > 0 &&
		    status->pages_sent >= status->pages_total)
			return DS_FAX_DELIVERED;
		return status->pages_sent > 0 ? DS_FAX_PARTIAL
					      : DS_FAX_FAILED;
	case 'F':
		return line_fault (status->status) ? DS_FAX_LINE_FAULT
						   : DS_FAX_FAILED;
	default:
		return DS_FAX_PENDING;
	}
}

/* One faxstat line "JOB|STATE|SENT:TOTAL|STATUS". */
static gboolean
parse_job_line (const char *line, const char *job_id, DsFaxStatus *status)
{
	g_auto (GStrv) fields = g_strsplit (line, "|", 4);
	g_auto (GStrv) pages = NULL;

	if (g_strv_length (fields) != 4 ||
	    strcmp (g_strstrip (fields[0]), job_id) != 0)
		return FALSE;
	pages = g_strsplit (fields[2], ":", 2);
	status->state = g_strstrip (fields[1])[0];
	status->pages_sent = atoi (pages[0]);
	status->pages_total = pages[1] ? atoi (pages[1]) : 0;
	status->status = g_strdup (g_strstrip (fields[3]));
	status->outcome = job_outcome (status);
	return TRUE;
}

gboolean
ds_fax_hylafax_poll (const char *job_id, DsFaxStatus *status,
		     GError **error)
{
	const char *argv[] = { "faxstat", "-s", "-d", NULL };
	g_autofree char *output = NULL;
	g_auto (GStrv) lines = NULL;
	/* faxstat takes its job format from the environment. */
	g_auto (GStrv) environment = g_environ_setenv (
		g_get_environ (), "JOBFMT", "%j|%a|%P|%s", TRUE);

	memset (status, 0, sizeof *status);
	if (!run_command (argv, environment, &output, error))
		return FALSE;
	lines = g_strsplit (output, "\n", -1);
	for (char **line = lines; *line != NULL; line++)
		if (parse_job_line (*line, job_id, status))
			return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
		     "faxstat knows no job %s", job_id);
	return FALSE;
}

/* -- http: a REST fax gateway ------------------------------------------ */

static JsonNode *
submit_body (const char *number, const char *trace_id, GBytes *tiff,
	     int pages)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *document = ds_http_json_base64 (tiff);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "to");
	json_builder_add_string_value (builder, number);
	json_builder_set_member_name (builder, "trace_id");
	json_builder_add_string_value (builder, trace_id);
	json_builder_set_member_name (builder, "pages");
	json_builder_add_int_value (builder, pages);
	json_builder_set_member_name (builder, "content_type");
	json_builder_add_string_value (builder, "image/tiff");
	json_builder_set_member_name (builder, "document");
	json_builder_add_string_value (builder, document);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}

char *
ds_fax_http_submit (const DsFaxGateway *gateway, const char *key,
		    const char *number, const char *trace_id, GBytes *tiff,
		    int pages, GError **error)
{
	g_autoptr (JsonNode) body = submit_body (number, trace_id, tiff,
						 pages);
	g_autoptr (JsonObject) answer = ds_http_json_request (
		gateway, "POST", "/faxes", key, body, error);
	const char *fax_id;

	if (answer == NULL)
		return NULL;
	fax_id = json_object_get_string_member_with_default (answer, "id",
							     NULL);
	if (fax_id == NULL || *fax_id == '\0') {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "fax gateway: no fax id in the answer");
		return NULL;
	}
	return g_strdup (fax_id);
}

gboolean
ds_fax_http_poll (const DsFaxGateway *gateway, const char *fax_id,
		  DsFaxStatus *status, GError **error)
{
	g_autofree char *escaped = g_uri_escape_string (fax_id, NULL, FALSE);
	g_autofree char *path = g_strconcat ("/faxes/", escaped, NULL);
	g_autoptr (JsonObject) answer = NULL;
	const char *state;

	memset (status, 0, sizeof *status);
	answer = ds_http_json_request (gateway, "GET", path, NULL, NULL,
				       error);
	if (answer == NULL)
		return FALSE;
	state = json_object_get_string_member_with_default (answer, "state",
							    "");
	status->state = strcmp (state, "delivered") == 0 ? 'D' :
			strcmp (state, "failed") == 0 ? 'F' : 'R';
	status->pages_sent = json_object_get_int_member_with_default (
		answer, "pages_sent", 0);
	status->pages_total = json_object_get_int_member_with_default (
		answer, "pages_total", 0);
	status->status = g_strdup_printf ("%s %s", state,
		json_object_get_string_member_with_default (answer, "reason",
							    ""));
	g_strstrip (status->status);
	status->outcome = job_outcome (status);
	return TRUE;
}

/* -- the policy -------------------------------------------------------- */

const char *
ds_fax_outcome_state (DsFaxOutcome outcome)
{
	switch (outcome) {
	case DS_FAX_PENDING: return NULL;
	case DS_FAX_DELIVERED: return "delivered";
	case DS_FAX_PARTIAL: return "partial";
	case DS_FAX_FAILED: return "failed";
	case DS_FAX_LINE_FAULT: return "failed";
	}
	g_assert_not_reached ();
}

static guint
fax_calls (GPtrArray *attempts)
{
	guint calls = 0;

	for (guint i = 0; i < attempts->len; i++)
		calls += ((DsAttempt *) g_ptr_array_index (attempts,
				i))->channel == DS_CHANNEL_FAX;
	return calls;
}

/*
 * What follows a fax that did not get through: another call after a
 * line fault while calls remain, else a letter; nothing when the
 * operator had asked to cancel it.
 */
static gboolean
follow_up (DsStore *store, const DsAttempt *attempt, GPtrArray *attempts,
	   DsFaxOutcome outcome, const char *evidence, GError **error)
{
	gint64 next_id;

	if (outcome == DS_FAX_DELIVERED ||
	    strcmp (attempt->state, "cancel-requested") == 0)
		return TRUE;
	if (outcome == DS_FAX_LINE_FAULT &&
	    fax_calls (attempts) < DS_FAX_MAX_CALLS) {
		g_message ("%s: fax line fault, calling again: %s",
			   attempt->trace_id, evidence);
		return ds_attempt_create (store, attempt->trace_id,
					  DS_CHANNEL_FAX, attempt->driver,
					  &next_id, error);
	}
	return ds_dispatch_escalate_to_letter (store, attempt->trace_id,
					       evidence, error);
}

gboolean
ds_fax_record_outcome (DsStore *store, gint64 attempt_id,
		       const DsFaxStatus *status, GError **error)
{
	const char *to = ds_fax_outcome_state (status->outcome);
	g_autoptr (DsAttempt) attempt = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autofree char *evidence = NULL;
	gboolean moves;

	if (to == NULL)
		return TRUE;
	attempt = ds_attempt_get (store, attempt_id, error);
	if (attempt == NULL)
		return FALSE;
	attempts = ds_attempt_list_for_trace (store, attempt->trace_id,
					      error);
	if (attempts == NULL)
		return FALSE;
	evidence = g_strdup_printf ("job=%s state=%c pages=%d:%d status=%s",
				    attempt->provider_id ?
				    attempt->provider_id : "-",
				    status->state ? status->state : '-',
				    status->pages_sent, status->pages_total,
				    status->status ? status->status : "-");
	/* Late news (journaled as ignored) has no consequence. */
	if (!ds_store_begin (store, error))
		return FALSE;
	if (ds_attempt_report (store, attempt_id, to, evidence, &moves,
			       error) &&
	    (!moves || follow_up (store, attempt, attempts, status->outcome,
				  evidence, error)))
		return ds_store_commit (store, error);
	ds_store_rollback (store);
	return FALSE;
}
