/*
 * config.c -- read and check dunspool.conf.  See config.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"

static const char *const channel_names[DS_CHANNEL_COUNT] = {
	[DS_CHANNEL_EMAIL] = "email",
	[DS_CHANNEL_LETTER] = "letter",
	[DS_CHANNEL_REGISTERED] = "registered",
	[DS_CHANNEL_FAX] = "fax",
};

const char *
ds_channel_name (DsChannel channel)
{
	g_return_val_if_fail (channel < DS_CHANNEL_COUNT, "?");
	return channel_names[channel];
}

gboolean
ds_channel_from_name (const char *name, DsChannel *channel)
{
	for (int i = 0; i < DS_CHANNEL_COUNT; i++) {
		if (g_strcmp0 (name, channel_names[i]) == 0) {
			*channel = i;
			return TRUE;
		}
	}
	return FALSE;
}

static const char default_text[] =
	"# dunspool.conf -- configuration of one dunspool instance.\n"
	"# Every key is documented in dunspool.conf(5).  Relative paths\n"
	"# are relative to the instance root.\n"
	"\n"
	"[instance]\n"
	"database = var/dunspool.db\n"
	"spool = spool\n"
	"templates = templates\n"
	"profiles = profiles\n"
	"# the daemon's daily cycle, UTC\n"
	"cycle_time = 06:00\n"
	"# the daemon rescans the spool this often besides watching it\n"
	"rescan_seconds = 60\n"
	"max_input_bytes = 67108864\n"
	"min_free_bytes = 104857600\n"
	"\n"
	"[mail]\n"
	"# smtp: hand messages to the relay; pickup: write them as .eml\n"
	"# files into spool/outgoing/mail for another program to send\n"
	"driver = pickup\n"
	"#relay = smtp://127.0.0.1:25\n"
	"#username = dunspool\n"
	"#password_file = /etc/dunspool/smtp-password\n"
	"starttls = false\n"
	"# right-hand side of Message-IDs and of the bounce address\n"
	"domain = dunspool.invalid\n"
	"page_limit = 10\n"
	"\n"
	"[fax]\n"
	"# spool: fax jobs into spool/outgoing/fax for a fax server\n"
	"driver = spool\n"
	"page_limit = 5\n"
	"\n"
	"[letter]\n"
	"page_limit = 10\n"
	"\n"
	"[strategy]\n"
	"name = default\n"
	"steps = reminder;first;second;final\n"
	"\n"
	"# offset: days after the invoice's due date (negative: before it)\n"
	"# gap: at least so many days after the previous step's document\n"
	"# deadline: days of the new payment deadline printed; 0 for none\n"
	"# channels: in order of preference; the first the customer can\n"
	"#   receive is taken (email needs an address and electronic\n"
	"#   billing, fax a number)\n"
	"[step reminder]\n"
	"offset = 3\n"
	"channels = email;letter\n"
	"deadline = 0\n"
	"\n"
	"[step first]\n"
	"offset = 14\n"
	"gap = 10\n"
	"channels = letter\n"
	"deadline = 10\n"
	"\n"
	"[step second]\n"
	"offset = 28\n"
	"gap = 12\n"
	"channels = fax;letter\n"
	"deadline = 10\n"
	"\n"
	"[step final]\n"
	"offset = 42\n"
	"gap = 12\n"
	"channels = registered\n"
	"deadline = 7\n";

const char *
ds_config_default_text (void)
{
	return default_text;
}

static gboolean
config_fail (GError **error, const DsConfig *config, const char *group,
	     const char *key, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s: [%s] %s: %s",
		     config->path, group, key, why);
	return FALSE;
}

static gboolean
read_string (GKeyFile *file, DsConfig *config, const char *group,
	     const char *key, gboolean optional, char **out,
	     GError **error)
{
	g_autoptr (GError) local = NULL;

	*out = g_key_file_get_string (file, group, key, &local);
	if (*out != NULL)
		g_strstrip (*out);
	if (*out == NULL && optional)
		return TRUE;
	if (*out == NULL || **out == '\0')
		return config_fail (error, config, group, key,
				    "missing or empty");
	return TRUE;
}

static gboolean
read_int (GKeyFile *file, DsConfig *config, const char *group,
	  const char *key, gint64 min, gint64 max, gint64 *out,
	  GError **error)
{
	g_autofree char *text = NULL;
	char *end = NULL;

	if (!read_string (file, config, group, key, FALSE, &text, error))
		return FALSE;
	*out = g_ascii_strtoll (text, &end, 10);
	if (*end != '\0' || *out < min || *out > max) {
		g_autofree char *why = g_strdup_printf (
			"\"%s\" is not a whole number from %" G_GINT64_FORMAT
			" to %" G_GINT64_FORMAT, text, min, max);

		return config_fail (error, config, group, key, why);
	}
	return TRUE;
}

static gboolean
read_bool (GKeyFile *file, DsConfig *config, const char *group,
	   const char *key, gboolean *out, GError **error)
{
	g_autofree char *text = NULL;

	if (!read_string (file, config, group, key, FALSE, &text, error))
		return FALSE;
	if (strcmp (text, "true") == 0 || strcmp (text, "false") == 0) {
		*out = text[0] == 't';
		return TRUE;
	}
	return config_fail (error, config, group, key,
			    "must be true or false");
}

static char *
resolve_path (const DsConfig *config, char *path)
{
	char *absolute;

	if (path == NULL || g_path_is_absolute (path))
		return path;
	absolute = g_build_filename (config->root, path, NULL);
	g_free (path);
	return absolute;
}

static void
step_free (DsStep *step)
{
	g_free (step->name);
	g_free (step);
}

static gboolean
read_channels (GKeyFile *file, DsConfig *config, const char *group,
	       DsStep *step, GError **error)
{
	g_auto (GStrv) names = g_key_file_get_string_list (
		file, group, "channels", NULL, NULL);

	if (names == NULL || names[0] == NULL)
		return config_fail (error, config, group, "channels",
				    "missing or empty");
	for (int i = 0; names[i] != NULL; i++) {
		DsChannel channel;

		g_strstrip (names[i]);
		if (!ds_channel_from_name (names[i], &channel) ||
		    step->n_channels == DS_CHANNEL_COUNT) {
			g_autofree char *why = g_strdup_printf (
				"\"%s\" is not one of email, letter, "
				"registered, fax (each once)", names[i]);

			return config_fail (error, config, group,
					    "channels", why);
		}
		step->channels[step->n_channels++] = channel;
	}
	return TRUE;
}

static gboolean
read_step (GKeyFile *file, DsConfig *config, const char *name,
	   const DsStep *previous, GError **error)
{
	g_autofree char *group = g_strdup_printf ("step %s", name);
	DsStep *step = g_new0 (DsStep, 1);
	gint64 offset, gap, deadline;

	g_ptr_array_add (config->steps, step);
	step->name = g_strdup (name);
	if (!g_key_file_has_group (file, group))
		return config_fail (error, config, group, "offset",
				    "the strategy names this step but "
				    "there is no such group");
	if (!read_int (file, config, group, "offset", -365, 3650, &offset,
		       error) ||
	    !read_int (file, config, group, "deadline", 0, 365, &deadline,
		       error) ||
	    !read_channels (file, config, group, step, error))
		return FALSE;
	gap = previous ? offset - previous->offset_days : 0;
	if (g_key_file_has_key (file, group, "gap", NULL) &&
	    !read_int (file, config, group, "gap", 0, 3650, &gap, error))
		return FALSE;
	if (previous != NULL && offset <= previous->offset_days)
		return config_fail (error, config, group, "offset",
				    "must be later than the previous step's");
	step->offset_days = offset;
	step->gap_days = gap;
	step->deadline_days = deadline;
	return TRUE;
}

static gboolean
read_strategy (GKeyFile *file, DsConfig *config, GError **error)
{
	g_auto (GStrv) names = NULL;

	if (!read_string (file, config, "strategy", "name", FALSE,
			  &config->strategy, error))
		return FALSE;
	names = g_key_file_get_string_list (file, "strategy", "steps", NULL,
					    NULL);
	if (names == NULL || names[0] == NULL)
		return config_fail (error, config, "strategy", "steps",
				    "missing or empty");
	for (int i = 0; names[i] != NULL; i++) {
		const DsStep *previous = i > 0 ?
			g_ptr_array_index (config->steps, i - 1) : NULL;

		g_strstrip (names[i]);
		if (!g_regex_match_simple ("^[a-z][a-z0-9_-]*$", names[i],
					   0, 0))
			return config_fail (error, config, "strategy",
					    "steps", "a step name must be "
					    "lowercase letters, digits, - _");
		if (!read_step (file, config, names[i], previous, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
read_cycle_time (GKeyFile *file, DsConfig *config, GError **error)
{
	g_autofree char *text = NULL;
	unsigned hour, minute;
	char extra;

	if (!read_string (file, config, "instance", "cycle_time", FALSE,
			  &text, error))
		return FALSE;
	if (sscanf (text, "%2u:%2u%c", &hour, &minute, &extra) != 2 ||
	    hour > 23 || minute > 59)
		return config_fail (error, config, "instance", "cycle_time",
				    "must be HH:MM (UTC)");
	config->cycle_hour = hour;
	config->cycle_minute = minute;
	return TRUE;
}

static gboolean
read_instance (GKeyFile *file, DsConfig *config, GError **error)
{
	gint64 rescan;

	if (!read_string (file, config, "instance", "database", FALSE,
			  &config->database, error) ||
	    !read_string (file, config, "instance", "spool", FALSE,
			  &config->spool, error) ||
	    !read_string (file, config, "instance", "templates", FALSE,
			  &config->templates, error) ||
	    !read_string (file, config, "instance", "profiles", FALSE,
			  &config->profiles, error) ||
	    !read_cycle_time (file, config, error) ||
	    !read_int (file, config, "instance", "rescan_seconds", 1, 86400,
		       &rescan, error) ||
	    !read_int (file, config, "instance", "max_input_bytes", 1,
		       G_MAXINT64, &config->max_input_bytes, error) ||
	    !read_int (file, config, "instance", "min_free_bytes", 0,
		       G_MAXINT64, &config->min_free_bytes, error))
		return FALSE;
	config->rescan_seconds = rescan;
	config->database = resolve_path (config, config->database);
	config->spool = resolve_path (config, config->spool);
	config->templates = resolve_path (config, config->templates);
	config->profiles = resolve_path (config, config->profiles);
	return TRUE;
}

static gboolean
read_page_limit (GKeyFile *file, DsConfig *config, const char *group,
		 int *limit, GError **error)
{
	gint64 value;

	if (!read_int (file, config, group, "page_limit", 1, 1000, &value,
		       error))
		return FALSE;
	*limit = value;
	return TRUE;
}

static gboolean
read_channel_settings (GKeyFile *file, DsConfig *config, GError **error)
{
	if (!read_string (file, config, "mail", "driver", FALSE,
			  &config->mail_driver, error) ||
	    !read_string (file, config, "mail", "relay", TRUE,
			  &config->mail_relay, error) ||
	    !read_string (file, config, "mail", "username", TRUE,
			  &config->mail_username, error) ||
	    !read_string (file, config, "mail", "password_file", TRUE,
			  &config->mail_password_file, error) ||
	    !read_bool (file, config, "mail", "starttls",
			&config->mail_starttls, error) ||
	    !read_string (file, config, "mail", "domain", FALSE,
			  &config->mail_domain, error) ||
	    !read_page_limit (file, config, "mail",
			      &config->page_limit_email, error) ||
	    !read_string (file, config, "fax", "driver", FALSE,
			  &config->fax_driver, error) ||
	    !read_page_limit (file, config, "fax", &config->page_limit_fax,
			      error) ||
	    !read_page_limit (file, config, "letter",
			      &config->page_limit_letter, error))
		return FALSE;
	if (strcmp (config->mail_driver, "smtp") != 0 &&
	    strcmp (config->mail_driver, "pickup") != 0)
		return config_fail (error, config, "mail", "driver",
				    "must be smtp or pickup");
	if (strcmp (config->mail_driver, "smtp") == 0 &&
	    config->mail_relay == NULL)
		return config_fail (error, config, "mail", "relay",
				    "the smtp driver needs a relay URL");
	if (strcmp (config->fax_driver, "spool") != 0)
		return config_fail (error, config, "fax", "driver",
				    "only the spool driver exists so far");
	return TRUE;
}

DsConfig *
ds_config_load (const char *root, const char *path, GError **error)
{
	g_autoptr (GKeyFile) file = g_key_file_new ();
	g_autoptr (DsConfig) config = g_new0 (DsConfig, 1);

	config->path = g_strdup (path);
	config->root = g_strdup (root);
	config->steps = g_ptr_array_new_with_free_func (
		(GDestroyNotify) step_free);
	if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE,
					error)) {
		g_prefix_error (error, "%s: ", path);
		return NULL;
	}
	if (!read_instance (file, config, error) ||
	    !read_channel_settings (file, config, error) ||
	    !read_strategy (file, config, error))
		return NULL;
	return g_steal_pointer (&config);
}

void
ds_config_free (DsConfig *config)
{
	if (config == NULL)
		return;
	g_free (config->path);
	g_free (config->root);
	g_free (config->database);
	g_free (config->spool);
	g_free (config->templates);
	g_free (config->profiles);
	g_free (config->mail_driver);
	g_free (config->mail_relay);
	g_free (config->mail_username);
	g_free (config->mail_password_file);
	g_free (config->mail_domain);
	g_free (config->fax_driver);
	g_free (config->strategy);
	if (config->steps != NULL)
		g_ptr_array_unref (config->steps);
	g_free (config);
}

const DsStep *
ds_config_step (const DsConfig *config, int index)
{
	if (index < 0 || (guint) index >= config->steps->len)
		return NULL;
	return g_ptr_array_index (config->steps, index);
}
