/*
 * config.c -- read and check dunspool.conf.  See config.h.
 *
 * The groups and keys, as the default text below also shows them:
 *
 * [instance]   database, spool, templates, profiles, cycle_time (HH:MM
 *              UTC), rescan_seconds, max_input_bytes, min_free_bytes.
 * [mail]       driver (smtp | pickup), relay, username, password_file,
 *              starttls, domain, page_limit.   [fax] driver, page_limit.
 *              [letter] page_limit.
 * [rules]      optional.  promise_grace (days after a promised date
 *              before chasing resumes; 5), blocked_tag (a customer tag
 *              that stops all chasing of the customer, and TAG:INVOICE
 *              of one invoice; "blocked"), minimum ("EUR 5.00;GBP 5.00":
 *              invoices whose open amount is below are not chased;
 *              none), write_off (the same form: a surviving balance at
 *              or below is waived when it arises, claim-surviving.h;
 *              none), skip_credit_balance (true: customers whose net
 *              balance is a credit are not chased; true).
 * [claims]     optional.  paid_late (false: a letter claims interest and
 *              compensation of an invoice already paid only when an
 *              earlier document claimed them -- costs survive payment;
 *              true: of every invoice paid late; false), contract_rate
 *              (percent a year where no statutory rate applies, US;
 *              none).
 * [limits]     optional, 0 meaning no limit.  touches and period
 *              (documents per customer within so many days), min_gap
 *              (days between documents to a customer on different
 *              days), email, letter, registered, fax (documents per
 *              channel per day).  Documents over a limit wait for a
 *              later day, the smallest first; the planner says so in
 *              its log.
 * [calendar] and [calendar ENTITY]   optional; the entity's own, else
 *              the default one; none: every day works.  working_days
 *              (mon;tue;wed;thu;fri), holidays (DE, FR, GB, US, CH: the
 *              shipped data/holidays file; or a file path), time_zone
 *              (IANA name; UTC), send_window (HH:MM-HH:MM; all day).
 * [strategy]   the default strategy: name, steps (the step groups in
 *              order), escalation (legal | agency: a hand-over task
 *              after the final step; optional), escalation_days (after
 *              the final step's document and its deadline; 14).
 * [strategy NAME]   further strategies: steps, escalation,
 *              escalation_days.
 * [step NAME]  offset (days from the due date, negative before it; or,
 *              relative_to = previous, from the previous step's
 *              document), relative_to (due | previous; due), gap (days
 *              after the previous step's document; the difference of
 *              offsets), deadline (days of the payment deadline printed;
 *              0 none), channels (in order of preference), template
 *              (default: the step's name), fee (an amount with two
 *              decimals in the claim's currency; 0.00), interest and
 *              compensation (true | false; false).
 * [events]     optional.  acknowledge_payments (a letter or e-mail
 *              acknowledging each payment received; false),
 *              confirm_promises (confirming each promise to pay, its
 *              date and amount; true), dispute_notices (telling the
 *              customer that chasing of a disputed invoice is paused;
 *              true), channels (in order of preference; email;letter).
 * [segment NAME]   in the order they appear, first match wins: strategy
 *              (required), and any of entity, country, tags, currency
 *              (lists), b2b (true | false), amount_min, amount_max (the
 *              invoice's open amount, two decimals).  Risk bands are not
 *              a segment condition yet.
 *
 * Every error names the file, the line of the key (or of its group when
 * the key is missing, none when the group is), the group and the key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds-error.h"
#include "instance.h"
#include "money.h"

static const char *const channel_names[DS_CHANNEL_COUNT] = {
	[DS_CHANNEL_EMAIL] = "email",
	[DS_CHANNEL_LETTER] = "letter",
	[DS_CHANNEL_REGISTERED] = "registered",
	[DS_CHANNEL_FAX] = "fax",
	[DS_CHANNEL_CALL] = "call",
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
	"# spool: fax jobs into spool/outgoing/fax for a fax server;\n"
	"# hylafax: TIFF G3 through sendfax, followed with faxstat;\n"
	"# http: TIFF G3 to a REST fax gateway (url, token_file)\n"
	"#url = https://fax.example/api\n"
	"#token_file = /etc/dunspool/fax-token\n"
	"driver = spool\n"
	"page_limit = 5\n"
	"\n"
	"[letter]\n"
	"page_limit = 10\n"
	"\n"
	"# What is not chased.  promise_grace: days after a promised\n"
	"# date before chasing resumes (then \"promise-broken\" is\n"
	"# journaled and the next step taken).  blocked_tag: a customer\n"
	"# tag that stops chasing the customer; TAG:INVOICE one invoice.\n"
	"# minimum: invoices whose open amount is below are not chased.\n"
	"# write_off: when a payment settles an invoice in full as the ERP\n"
	"# sees it, but the law's order (§ 367 BGB, art. 85 CO) gave part\n"
	"# of it to costs and interest an earlier letter claimed, what\n"
	"# survives (principal, interest, costs) is waived at once and\n"
	"# journaled \"written-off\" if at or below the amount of its\n"
	"# currency; otherwise, and in a currency not listed, every later\n"
	"# letter claims it until paid or waived.  Empty: none.\n"
	"[rules]\n"
	"promise_grace = 5\n"
	"blocked_tag = blocked\n"
	"#minimum = EUR 5.00;GBP 5.00;CHF 5.00;USD 5.00\n"
	"write_off = EUR 1.00;GBP 1.00;CHF 1.00;USD 1.00\n"
	"skip_credit_balance = true\n"
	"\n"
	"# What letters claim besides principal.  paid_late = false:\n"
	"# interest and compensation of an invoice already paid only when\n"
	"# an earlier document claimed them (costs survive payment); true:\n"
	"# of every invoice paid late.  contract_rate: percent a year where\n"
	"# the law sets no rate (US); none when absent.\n"
	"[claims]\n"
	"paid_late = false\n"
	"#contract_rate = 8.00\n"
	"\n"
	"# Action limits, 0 for none: touches documents per customer\n"
	"# within period days; min_gap days between documents to one\n"
	"# customer; documents per channel per day (call: calls, a\n"
	"# collector's task each; a call is a touch too).  What is over a\n"
	"# limit waits for a later day.\n"
	"[limits]\n"
	"touches = 0\n"
	"period = 30\n"
	"min_gap = 0\n"
	"email = 0\n"
	"letter = 0\n"
	"registered = 0\n"
	"fax = 0\n"
	"call = 0\n"
	"\n"
	"# Calendars: [calendar] for every entity, [calendar ENTITY] for\n"
	"# one.  Without one every day works.  No step is taken on a day\n"
	"# that does not work: it is taken on the next working day, and a\n"
	"# printed deadline moves to the next working day.  holidays: DE,\n"
	"# FR, GB, US, CH (shipped, 2012-2027) or a file \"date,name\".\n"
	"#[calendar DE01]\n"
	"#working_days = mon;tue;wed;thu;fri\n"
	"#holidays = DE\n"
	"#time_zone = Europe/Berlin\n"
	"#send_window = 08:00-18:00\n"
	"\n"
	"# Segments, first match wins; an invoice none matches follows\n"
	"# the default strategy.  Conditions: entity, country, tags,\n"
	"# currency\n"
	"# (lists), b2b, amount_min, amount_max (open amount).\n"
	"#[segment consumers]\n"
	"#b2b = false\n"
	"#strategy = gentle\n"
	"#[strategy gentle]\n"
	"#steps = reminder;first;final\n"
	"\n"
	"# Documents made because of ledger events, once per event:\n"
	"# acknowledge_payments: each payment received; confirm_promises:\n"
	"# each promise to pay, with its date and amount; dispute_notices:\n"
	"# each dispute opened, saying chasing of the invoice is paused.\n"
	"# channels: the first the customer can receive (email needs an\n"
	"# address, fax a number, letters a postal address).\n"
	"[events]\n"
	"acknowledge_payments = false\n"
	"confirm_promises = true\n"
	"dispute_notices = true\n"
	"channels = email;letter\n"
	"\n"
	"# The default strategy.  escalation: legal or agency, a hand-over\n"
	"# task escalation_days after the final step's document and its\n"
	"# deadline, while the invoice stays open.\n"
	"[strategy]\n"
	"name = default\n"
	"steps = reminder;first;second;final\n"
	"#escalation = legal\n"
	"#escalation_days = 14\n"
	"\n"
	"# offset: days after the invoice's due date (negative: before it)\n"
	"#   or, with relative_to = previous, after the previous step\n"
	"# gap: at least so many days after the previous step's document\n"
	"# deadline: days of the new payment deadline printed; 0 for none\n"
	"# channels: in order of preference; the first the customer can\n"
	"#   receive is taken (email needs an address and electronic\n"
	"#   billing, fax a number, call a phone number: a call is a\n"
	"#   task on the collector's agenda, not a document)\n"
	"# template: the letter template, the step's name when absent\n"
	"# fee: this step's dunning fee, two decimals, claim's currency\n"
	"# interest, compensation: claim statutory interest and the fixed\n"
	"#   compensation per late invoice at this step\n"
	"[step reminder]\n"
	"offset = 3\n"
	"channels = email;letter\n"
	"deadline = 0\n"
	"fee = 0.00\n"
	"interest = false\n"
	"compensation = false\n"
	"\n"
	"[step first]\n"
	"offset = 14\n"
	"gap = 10\n"
	"channels = letter\n"
	"deadline = 10\n"
	"fee = 0.00\n"
	"interest = true\n"
	"compensation = true\n"
	"\n"
	"[step second]\n"
	"offset = 28\n"
	"gap = 12\n"
	"channels = fax;letter\n"
	"deadline = 10\n"
	"fee = 0.00\n"
	"interest = true\n"
	"compensation = true\n"
	"\n"
	"[step final]\n"
	"offset = 42\n"
	"gap = 12\n"
	"channels = registered\n"
	"deadline = 7\n"
	"fee = 0.00\n"
	"interest = true\n"
	"compensation = true\n"
	"\n"
	"# A call, say after the second notice: name it in steps\n"
	"# (reminder;first;second;call;final) and the collector calls\n"
	"# customers with a phone number; the others get the letter of\n"
	"# the template named.\n"
	"#[step call]\n"
	"#offset = 7\n"
	"#relative_to = previous\n"
	"#channels = call;letter\n"
	"#template = second\n"
	"#deadline = 0\n"
	"\n"
	"# The collectors' agenda (dunspool agenda): a day's minutes of a\n"
	"# collector (by name in [collectors], such as \"anna = 300\"),\n"
	"# and per kind of task its minutes and the share of the amount\n"
	"# at stake it is expected to bring in.\n"
	"#[agenda]\n"
	"#capacity = 240\n"
	"#minutes_call = 10\n"
	"#yield_call = 0.2\n";

const char *
ds_config_default_text (void)
{
	return default_text;
}

/*
 * The line of `key` in `group`, of the group's header when the key is
 * absent, 0 when neither is found.  GKeyFile keeps no line numbers, so
 * the file is scanned again; only ever on the way to an error.
 */
static int
config_line (const char *path, const char *group, const char *key)
{
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	g_autofree char *header = g_strdup_printf ("[%s]", group);
	gboolean inside = FALSE;
	int group_line = 0;

	if (!g_file_get_contents (path, &contents, NULL, NULL))
		return 0;
	lines = g_strsplit (contents, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		const char *line = g_strstrip (lines[i]);
		size_t length = strlen (key);

		if (*line == '[') {
			inside = strcmp (line, header) == 0;
			if (inside && group_line == 0)
				group_line = i + 1;
			continue;
		}
		if (inside && strncmp (line, key, length) == 0 &&
		    (line[length] == '=' || line[length] == ' ' ||
		     line[length] == '\t'))
			return i + 1;
	}
	return group_line;
}

static gboolean
config_fail (GError **error, const DsConfig *config, const char *group,
	     const char *key, const char *why)
{
	int line = config_line (config->path, group, key);

	if (line > 0)
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s:%d: [%s] %s: %s", config->path, line, group,
			     key, why);
	else
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s: [%s] %s: %s", config->path, group, key,
			     why);
	return FALSE;
}

/* An error about a whole group, at the line of its header. */
static gboolean
group_fail (GError **error, const DsConfig *config, const char *group,
	    const char *why)
{
	int line = config_line (config->path, group, "[");

	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s:%d: [%s]: %s",
		     config->path, line, group, why);
	return FALSE;
}

/*
 * Every key the loader looked at, as "GROUP\x1fKEY", so that a key it
 * never looked at can be reported as unknown: a misspelt key must not
 * leave a setting at its default without a word.  Set only while
 * ds_config_load runs; loading happens on one thread.
 */
static GHashTable *keys_read;
static GHashTable *groups_read;

static void
key_read (const char *group, const char *key)
{
	if (keys_read == NULL)
		return;
	g_hash_table_add (keys_read, g_strconcat (group, "\x1f", key, NULL));
	g_hash_table_add (groups_read, g_strdup (group));
}

static gboolean
read_string (GKeyFile *file, DsConfig *config, const char *group,
	     const char *key, gboolean optional, char **out,
	     GError **error)
{
	g_autoptr (GError) local = NULL;

	key_read (group, key);
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

/* An optional whole number: `fallback` when the key is absent. */
static gboolean
read_int_or (GKeyFile *file, DsConfig *config, const char *group,
	     const char *key, gint64 min, gint64 max, gint64 fallback,
	     int *out, GError **error)
{
	gint64 value = fallback;

	if (g_key_file_has_key (file, group, key, NULL) &&
	    !read_int (file, config, group, key, min, max, &value, error))
		return FALSE;
	*out = value;
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

static gboolean
read_bool_or (GKeyFile *file, DsConfig *config, const char *group,
	      const char *key, gboolean fallback, gboolean *out,
	      GError **error)
{
	*out = fallback;
	return !g_key_file_has_key (file, group, key, NULL) ||
	       read_bool (file, config, group, key, out, error);
}

/* An amount with two decimals, "5.00", as minor units; absent: 0. */
static gboolean
read_amount (GKeyFile *file, DsConfig *config, const char *group,
	     const char *key, const char *currency, gint64 *out,
	     GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr (GError) local = NULL;

	*out = 0;
	if (!read_string (file, config, group, key, TRUE, &text, error))
		return FALSE;
	if (text == NULL)
		return TRUE;
	if (!ds_money_parse (text, currency, &ds_number_format_plain, out,
			     &local) || *out < 0)
		return config_fail (error, config, group, key,
				    local ? local->message
					  : "must not be negative");
	return TRUE;
}

/* A list; NULL when the key is absent.  Entries are stripped. */
static GStrv
read_list (GKeyFile *file, const char *group, const char *key)
{
	GStrv list = g_key_file_get_string_list (file, group, key, NULL,
						 NULL);

	key_read (group, key);
	for (int i = 0; list != NULL && list[i] != NULL; i++)
		g_strstrip (list[i]);
	return list;
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

/* ---- strategies and steps ------------------------------------------ */

static void
step_free (DsStep *step)
{
	g_free (step->name);
	g_free (step->template_name);
	g_free (step);
}

static void
strategy_free (DsStrategy *strategy)
{
	g_free (strategy->name);
	g_ptr_array_unref (strategy->steps);
	g_free (strategy->escalation);
	g_free (strategy);
}

static gboolean
step_has_channel (const DsStep *step, DsChannel channel)
{
	for (int i = 0; i < step->n_channels; i++)
		if (step->channels[i] == channel)
			return TRUE;
	return FALSE;
}

static gboolean
read_channels (GKeyFile *file, DsConfig *config, const char *group,
	       DsStep *step, GError **error)
{
	g_auto (GStrv) names = read_list (file, group, "channels");

	if (names == NULL || names[0] == NULL)
		return config_fail (error, config, group, "channels",
				    "missing or empty");
	for (int i = 0; names[i] != NULL; i++) {
		DsChannel channel;

		if (!ds_channel_from_name (names[i], &channel) ||
		    step->n_channels == DS_CHANNEL_COUNT ||
		    step_has_channel (step, channel)) {
			g_autofree char *why = g_strdup_printf (
				"\"%s\" is not one of email, letter, "
				"registered, fax, call (each once)", names[i]);

			return config_fail (error, config, group,
					    "channels", why);
		}
		step->channels[step->n_channels++] = channel;
	}
	return TRUE;
}

static gboolean
read_relative_to (GKeyFile *file, DsConfig *config, const char *group,
		  DsStep *step, gboolean first, GError **error)
{
	g_autofree char *text = NULL;

	if (!read_string (file, config, group, "relative_to", TRUE, &text,
			  error))
		return FALSE;
	if (text == NULL || strcmp (text, "due") == 0)
		return TRUE;
	if (strcmp (text, "previous") != 0)
		return config_fail (error, config, group, "relative_to",
				    "must be due or previous");
	if (first)
		return config_fail (error, config, group, "relative_to",
				    "the first step has no previous step");
	step->from_previous = TRUE;
	return TRUE;
}

static gboolean
read_step_money (GKeyFile *file, DsConfig *config, const char *group,
		 DsStep *step, GError **error)
{
	return read_amount (file, config, group, "fee", "EUR", &step->fee,
			    error) &&
	       read_bool_or (file, config, group, "interest", FALSE,
			     &step->interest, error) &&
	       read_bool_or (file, config, group, "compensation", FALSE,
			     &step->compensation, error);
}

/*
 * Offsets from the due date must grow from step to step; an offset from
 * the previous step must not be negative.  The gap defaults to what
 * separates the two offsets.
 */
static gboolean
check_timing (DsConfig *config, const char *group, DsStep *step,
	      const DsStep *previous, gboolean has_gap, GError **error)
{
	if (step->from_previous) {
		if (step->offset_days < 0)
			return config_fail (error, config, group, "offset",
					    "an offset from the previous "
					    "step cannot be negative");
		if (!has_gap)
			step->gap_days = step->offset_days;
		return TRUE;
	}
	if (previous != NULL && !previous->from_previous &&
	    step->offset_days <= previous->offset_days)
		return config_fail (error, config, group, "offset",
				    "must be later than the previous step's");
	if (!has_gap)
		step->gap_days = previous && !previous->from_previous ?
				 step->offset_days - previous->offset_days : 0;
	return TRUE;
}

static gboolean
read_step (GKeyFile *file, DsConfig *config, DsStrategy *strategy,
	   const char *name, GError **error)
{
	g_autofree char *group = g_strdup_printf ("step %s", name);
	const DsStep *previous = strategy->steps->len > 0 ?
		g_ptr_array_index (strategy->steps,
				   strategy->steps->len - 1) : NULL;
	DsStep *step = g_new0 (DsStep, 1);
	gint64 offset, deadline;
	int gap;
	gboolean has_gap = g_key_file_has_key (file, group, "gap", NULL);

	g_ptr_array_add (strategy->steps, step);
	step->name = g_strdup (name);
	if (!g_key_file_has_group (file, group))
		return config_fail (error, config, group, "offset",
				    "the strategy names this step but "
				    "there is no such group");
	if (!read_int (file, config, group, "offset", -365, 3650, &offset,
		       error) ||
	    !read_int (file, config, group, "deadline", 0, 365, &deadline,
		       error) ||
	    !read_int_or (file, config, group, "gap", 0, 3650, 0, &gap,
			  error) ||
	    !read_channels (file, config, group, step, error) ||
	    !read_relative_to (file, config, group, step, previous == NULL,
			       error) ||
	    !read_string (file, config, group, "template", TRUE,
			  &step->template_name, error) ||
	    !read_step_money (file, config, group, step, error))
		return FALSE;
	if (step->template_name == NULL)
		step->template_name = g_strdup (name);
	step->offset_days = offset;
	step->gap_days = gap;
	step->deadline_days = deadline;
	return check_timing (config, group, step, previous, has_gap, error);
}

static gboolean
read_escalation (GKeyFile *file, DsConfig *config, const char *group,
		 DsStrategy *strategy, GError **error)
{
	if (!read_string (file, config, group, "escalation", TRUE,
			  &strategy->escalation, error) ||
	    !read_int_or (file, config, group, "escalation_days", 0, 3650,
			  14, &strategy->escalation_days, error))
		return FALSE;
	if (strategy->escalation != NULL &&
	    strcmp (strategy->escalation, "legal") != 0 &&
	    strcmp (strategy->escalation, "agency") != 0)
		return config_fail (error, config, group, "escalation",
				    "must be legal or agency");
	return TRUE;
}

static gboolean
read_one_strategy (GKeyFile *file, DsConfig *config, const char *group,
		   const char *name, GError **error)
{
	g_auto (GStrv) names = read_list (file, group, "steps");
	DsStrategy *strategy = g_new0 (DsStrategy, 1);

	strategy->name = g_strdup (name);
	strategy->steps = g_ptr_array_new_with_free_func (
		(GDestroyNotify) step_free);
	g_ptr_array_add (config->strategies, strategy);
	if (names == NULL || names[0] == NULL)
		return config_fail (error, config, group, "steps",
				    "missing or empty");
	for (int i = 0; names[i] != NULL; i++) {
		if (!g_regex_match_simple ("^[a-z][a-z0-9_-]*$", names[i],
					   0, 0))
			return config_fail (error, config, group, "steps",
					    "a step name must be lowercase "
					    "letters, digits, - _");
		if (!read_step (file, config, strategy, names[i], error))
			return FALSE;
	}
	return read_escalation (file, config, group, strategy, error);
}

/* [strategy] first, then every [strategy NAME] in file order. */
static gboolean
read_strategies (GKeyFile *file, DsConfig *config, GError **error)
{
	g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);
	const DsStrategy *first;

	if (!read_string (file, config, "strategy", "name", FALSE,
			  &config->strategy, error) ||
	    !read_one_strategy (file, config, "strategy", config->strategy,
				error))
		return FALSE;
	for (int i = 0; groups[i] != NULL; i++) {
		const char *name = groups[i] + strlen ("strategy ");

		if (!g_str_has_prefix (groups[i], "strategy "))
			continue;
		if (ds_config_find_strategy (config, name) != NULL)
			return config_fail (error, config, groups[i],
					    "steps", "a strategy of this "
					    "name exists already");
		if (!read_one_strategy (file, config, groups[i], name,
					error))
			return FALSE;
	}
	first = g_ptr_array_index (config->strategies, 0);
	config->steps = g_ptr_array_ref (first->steps);
	return TRUE;
}

/* ---- segments ------------------------------------------------------ */

static void
segment_free (DsSegment *segment)
{
	g_free (segment->name);
	g_strfreev (segment->entities);
	g_strfreev (segment->countries);
	g_strfreev (segment->tags);
	g_strfreev (segment->currencies);
	g_free (segment);
}

static gboolean
read_segment_bounds (GKeyFile *file, DsConfig *config, const char *group,
		     DsSegment *segment, GError **error)
{
	segment->amount_min = segment->amount_max = -1;
	if (g_key_file_has_key (file, group, "amount_min", NULL) &&
	    !read_amount (file, config, group, "amount_min", "EUR",
			  &segment->amount_min, error))
		return FALSE;
	if (g_key_file_has_key (file, group, "amount_max", NULL) &&
	    !read_amount (file, config, group, "amount_max", "EUR",
			  &segment->amount_max, error))
		return FALSE;
	if (segment->amount_max >= 0 &&
	    segment->amount_min > segment->amount_max)
		return config_fail (error, config, group, "amount_max",
				    "is below amount_min");
	return TRUE;
}

static gboolean
read_segment (GKeyFile *file, DsConfig *config, const char *group,
	      GError **error)
{
	DsSegment *segment = g_new0 (DsSegment, 1);
	g_autofree char *strategy = NULL;

	segment->name = g_strdup (group + strlen ("segment "));
	g_ptr_array_add (config->segments, segment);
	if (!read_string (file, config, group, "strategy", FALSE, &strategy,
			  error))
		return FALSE;
	segment->strategy = ds_config_find_strategy (config, strategy);
	if (segment->strategy == NULL)
		return config_fail (error, config, group, "strategy",
				    "no strategy of this name");
	segment->entities = read_list (file, group, "entity");
	segment->countries = read_list (file, group, "country");
	segment->tags = read_list (file, group, "tags");
	segment->currencies = read_list (file, group, "currency");
	segment->b2b = -1;
	if (g_key_file_has_key (file, group, "b2b", NULL)) {
		gboolean b2b;

		if (!read_bool (file, config, group, "b2b", &b2b, error))
			return FALSE;
		segment->b2b = b2b;
	}
	return read_segment_bounds (file, config, group, segment, error);
}

static gboolean
read_segments (GKeyFile *file, DsConfig *config, GError **error)
{
	g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);

	for (int i = 0; groups[i] != NULL; i++)
		if (g_str_has_prefix (groups[i], "segment ") &&
		    !read_segment (file, config, groups[i], error))
			return FALSE;
	return TRUE;
}

/* ---- rules, claims, limits ---------------------------------------- */

/* KEY = "EUR 5.00;GBP 5.00" of [rules] into AMOUNTS, currency -> gint64 *. */
static gboolean
read_currency_amounts (GKeyFile *file, DsConfig *config, const char *key,
		       GHashTable *amounts, GError **error)
{
	g_auto (GStrv) entries = read_list (file, "rules", key);

	for (int i = 0; entries != NULL && entries[i] != NULL; i++) {
		g_auto (GStrv) parts = g_strsplit (entries[i], " ", 2);
		gint64 *amount = g_new0 (gint64, 1);

		if (g_strv_length (parts) != 2 ||
		    !ds_currency_valid (parts[0]) ||
		    !ds_money_parse (g_strstrip (parts[1]), parts[0],
				     &ds_number_format_plain, amount, NULL) ||
		    *amount < 0) {
			g_free (amount);
			return config_fail (error, config, "rules", key,
					    "entries are \"CUR AMOUNT\", as "
					    "EUR 5.00, the amount not "
					    "negative");
		}
		g_hash_table_replace (amounts, g_strdup (parts[0]), amount);
	}
	return TRUE;
}

static gboolean
read_rules (GKeyFile *file, DsConfig *config, GError **error)
{
	DsRules *rules = &config->rules;

	rules->minimum = g_hash_table_new_full (g_str_hash, g_str_equal,
						g_free, g_free);
	rules->write_off = g_hash_table_new_full (g_str_hash, g_str_equal,
						  g_free, g_free);
	if (!read_int_or (file, config, "rules", "promise_grace", 0, 365, 5,
			  &rules->promise_grace_days, error) ||
	    !read_string (file, config, "rules", "blocked_tag", TRUE,
			  &rules->blocked_tag, error) ||
	    !read_bool_or (file, config, "rules", "skip_credit_balance",
			   TRUE, &rules->skip_credit_balance, error) ||
	    !read_currency_amounts (file, config, "minimum",
				    rules->minimum, error) ||
	    !read_currency_amounts (file, config, "write_off",
				    rules->write_off, error))
		return FALSE;
	if (rules->blocked_tag == NULL)
		rules->blocked_tag = g_strdup ("blocked");
	return TRUE;
}

static gboolean
read_claims (GKeyFile *file, DsConfig *config, GError **error)
{
	DsRules *rules = &config->rules;
	gint64 rate_bp;

	rules->contract_rate_bp = -1;
	if (!read_bool_or (file, config, "claims", "paid_late", FALSE,
			   &rules->paid_late, error))
		return FALSE;
	if (!g_key_file_has_key (file, "claims", "contract_rate", NULL))
		return TRUE;
	if (!read_amount (file, config, "claims", "contract_rate", "EUR",
			  &rate_bp, error))
		return FALSE;
	if (rate_bp > 10000)
		return config_fail (error, config, "claims", "contract_rate",
				    "a percentage from 0.00 to 100.00");
	rules->contract_rate_bp = rate_bp;
	return TRUE;
}

static gboolean
read_limits (GKeyFile *file, DsConfig *config, GError **error)
{
	DsLimits *limits = &config->limits;

	if (!read_int_or (file, config, "limits", "touches", 0, 1000, 0,
			  &limits->touches, error) ||
	    !read_int_or (file, config, "limits", "period", 1, 3650, 30,
			  &limits->period_days, error) ||
	    !read_int_or (file, config, "limits", "min_gap", 0, 3650, 0,
			  &limits->min_gap_days, error))
		return FALSE;
	for (int i = 0; i < DS_CHANNEL_COUNT; i++)
		if (!read_int_or (file, config, "limits", ds_channel_name (i),
				  0, G_MAXINT, 0, &limits->daily[i], error))
			return FALSE;
	return TRUE;
}

/* [events]: every key optional; the channels checked as a step's. */
static gboolean
read_events (GKeyFile *file, DsConfig *config, GError **error)
{
	DsEventSettings *events = &config->events;
	DsStep channels = { 0 };

	if (!read_bool_or (file, config, "events", "acknowledge_payments",
			   FALSE, &events->acknowledge_payments, error) ||
	    !read_bool_or (file, config, "events", "confirm_promises", TRUE,
			   &events->confirm_promises, error) ||
	    !read_bool_or (file, config, "events", "dispute_notices", TRUE,
			   &events->dispute_notices, error))
		return FALSE;
	if (!g_key_file_has_key (file, "events", "channels", NULL)) {
		events->channels[0] = DS_CHANNEL_EMAIL;
		events->channels[1] = DS_CHANNEL_LETTER;
		events->n_channels = 2;
		return TRUE;
	}
	if (!read_channels (file, config, "events", &channels, error))
		return FALSE;
	for (int i = 0; i < channels.n_channels; i++)
		if (channels.channels[i] == DS_CHANNEL_CALL)
			return config_fail (error, config, "events",
					    "channels", "a call makes no "
					    "document; email, letter, "
					    "registered or fax");
	memcpy (events->channels, channels.channels,
		sizeof events->channels);
	events->n_channels = channels.n_channels;
	return TRUE;
}

/* ---- calendars ----------------------------------------------------- */

/* A country code names a shipped file; anything else is a path. */
static char *
holidays_path (const DsConfig *config, const char *value)
{
	if (g_regex_match_simple ("^[A-Z]{2}$", value, 0, 0)) {
		g_autofree char *relative = g_strdup_printf (
			"data/holidays/%s.csv", value);

		return ds_data_path (relative);
	}
	return resolve_path (config, g_strdup (value));
}

static gboolean
read_calendar_holidays (GKeyFile *file, DsConfig *config,
			const char *group, DsCalendar *calendar,
			GError **error)
{
	g_autofree char *value = NULL;
	g_autofree char *path = NULL;
	g_autoptr (GError) local = NULL;

	if (!read_string (file, config, group, "holidays", TRUE, &value,
			  error))
		return FALSE;
	if (value == NULL)
		return TRUE;
	path = holidays_path (config, value);
	if (!ds_calendar_load_holidays (calendar, path, &local))
		return config_fail (error, config, group, "holidays",
				    local->message);
	return TRUE;
}

static gboolean
read_calendar (GKeyFile *file, DsConfig *config, const char *group,
	       GError **error)
{
	g_autoptr (DsCalendar) calendar = ds_calendar_new ();
	g_auto (GStrv) days = read_list (file, group, "working_days");
	g_autofree char *window = NULL;
	g_autofree char *zone = NULL;
	const char *why = NULL;
	const char *entity = strchr (group, ' ');
	char *mon_fri[] = { "mon", "tue", "wed", "thu", "fri", NULL };

	if (!ds_calendar_set_working_days (calendar,
					   days ? days : mon_fri, &why))
		return config_fail (error, config, group, "working_days",
				    why);
	if (!read_string (file, config, group, "send_window", TRUE, &window,
			  error) ||
	    !read_string (file, config, group, "time_zone", TRUE, &zone,
			  error))
		return FALSE;
	if (window && !ds_calendar_set_send_window (calendar, window, &why))
		return config_fail (error, config, group, "send_window", why);
	if (zone && !ds_calendar_set_time_zone (calendar, zone, &why))
		return config_fail (error, config, group, "time_zone", why);
	if (!read_calendar_holidays (file, config, group, calendar, error))
		return FALSE;
	g_hash_table_replace (config->calendars,
			      g_strdup (entity ? entity + 1 : ""),
			      g_steal_pointer (&calendar));
	return TRUE;
}

static gboolean
read_calendars (GKeyFile *file, DsConfig *config, GError **error)
{
	g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);

	config->calendars = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free,
		(GDestroyNotify) ds_calendar_free);
	for (int i = 0; groups[i] != NULL; i++)
		if ((strcmp (groups[i], "calendar") == 0 ||
		     g_str_has_prefix (groups[i], "calendar ")) &&
		    !read_calendar (file, config, groups[i], error))
			return FALSE;
	return TRUE;
}

/* ---- instance and channels ----------------------------------------- */

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
	if (strcmp (config->fax_driver, "spool") != 0 &&
	    strcmp (config->fax_driver, "hylafax") != 0 &&
	    strcmp (config->fax_driver, "http") != 0)
		return config_fail (error, config, "fax", "driver",
				    "must be spool, hylafax or http");
	if (!read_string (file, config, "fax", "url", TRUE,
			  &config->fax_url, error) ||
	    !read_string (file, config, "fax", "token_file", TRUE,
			  &config->fax_token_file, error))
		return FALSE;
	if (strcmp (config->fax_driver, "http") == 0 &&
	    config->fax_url == NULL)
		return config_fail (error, config, "fax", "url",
				    "the http driver needs the gateway's "
				    "URL");
	return TRUE;
}

/*
 * Groups read by other modules from the same file, each checking its own
 * values: [agenda] and [collectors] (agenda.c), [policy] (policy.c).
 */
static const char *const groups_read_elsewhere[] = {
	"agenda", "collectors", "policy", NULL,
};

/* Every key in the file was read by some part of the loader. */
static gboolean
check_unknown_keys (GKeyFile *file, DsConfig *config, GError **error)
{
	g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);

	for (int i = 0; groups[i] != NULL; i++) {
		if (g_strv_contains (groups_read_elsewhere, groups[i]))
			continue;
		g_auto (GStrv) keys = g_key_file_get_keys (file, groups[i],
							   NULL, NULL);

		if (!g_hash_table_contains (groups_read, groups[i]))
			return group_fail (error, config, groups[i],
					   "unknown group (misspelt, or a "
					   "step no strategy names?)");

		for (int k = 0; keys != NULL && keys[k] != NULL; k++) {
			g_autofree char *both = g_strconcat (
				groups[i], "\x1f", keys[k], NULL);

			if (!g_hash_table_contains (keys_read, both))
				return config_fail (error, config, groups[i],
						    keys[k], "unknown key "
						    "(misspelt, or in the "
						    "wrong group?)");
		}
	}
	return TRUE;
}

/*
 * GKeyFile keeps the last of two values given for one key, which would
 * leave a setting the administrator believes in without effect: a key
 * given twice in a group (or in two headers of the same group) is an
 * error naming both lines.
 */
static gboolean
check_repeated_keys (const DsConfig *config, GError **error)
{
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GHashTable) first_line = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *group = g_strdup ("");

	if (!g_file_get_contents (config->path, &contents, NULL, error))
		return FALSE;
	lines = g_strsplit (contents, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip (lines[i]);
		char *equals = strchr (line, '=');
		g_autofree char *both = NULL;
		gpointer seen;

		if (*line == '[' && line[strlen (line) - 1] == ']') {
			g_free (group);
			group = g_strndup (line + 1, strlen (line) - 2);
			continue;
		}
		if (*line == '#' || equals == NULL)
			continue;
		*equals = '\0';
		both = g_strconcat (group, "\x1f", g_strchomp (line), NULL);
		seen = g_hash_table_lookup (first_line, both);
		if (seen != NULL) {
			g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
				     "%s:%d: [%s] %s: given twice (first on "
				     "line %d); remove one", config->path,
				     i + 1, group, line,
				     GPOINTER_TO_INT (seen));
			return FALSE;
		}
		g_hash_table_insert (first_line, g_steal_pointer (&both),
				     GINT_TO_POINTER (i + 1));
	}
	return TRUE;
}

DsConfig *
ds_config_load (const char *root, const char *path, GError **error)
{
	g_autoptr (GKeyFile) file = g_key_file_new ();
	g_autoptr (DsConfig) config = g_new0 (DsConfig, 1);
	gboolean loaded;

	config->path = g_strdup (path);
	config->root = g_strdup (root);
	config->strategies = g_ptr_array_new_with_free_func (
		(GDestroyNotify) strategy_free);
	config->segments = g_ptr_array_new_with_free_func (
		(GDestroyNotify) segment_free);
	if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE,
					error)) {
		g_prefix_error (error, "%s: ", path);
		return NULL;
	}
	if (!check_repeated_keys (config, error))
		return NULL;
	keys_read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
					   NULL);
	groups_read = g_hash_table_new_full (g_str_hash, g_str_equal,
					     g_free, NULL);
	loaded = read_instance (file, config, error) &&
		 read_channel_settings (file, config, error) &&
		 read_rules (file, config, error) &&
		 read_claims (file, config, error) &&
		 read_limits (file, config, error) &&
		 read_events (file, config, error) &&
		 read_calendars (file, config, error) &&
		 read_strategies (file, config, error) &&
		 read_segments (file, config, error) &&
		 check_unknown_keys (file, config, error);
	g_clear_pointer (&keys_read, g_hash_table_unref);
	g_clear_pointer (&groups_read, g_hash_table_unref);
	return loaded ? g_steal_pointer (&config) : NULL;
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
	g_free (config->fax_url);
	g_free (config->fax_token_file);
	g_free (config->strategy);
	g_clear_pointer (&config->steps, g_ptr_array_unref);
	g_clear_pointer (&config->segments, g_ptr_array_unref);
	g_clear_pointer (&config->strategies, g_ptr_array_unref);
	g_clear_pointer (&config->calendars, g_hash_table_unref);
	g_clear_pointer (&config->rules.minimum, g_hash_table_unref);
	g_clear_pointer (&config->rules.write_off, g_hash_table_unref);
	g_free (config->rules.blocked_tag);
	g_free (config);
}

const DsStep *
ds_strategy_step (const DsStrategy *strategy, int index)
{
	if (index < 0 || (guint) index >= strategy->steps->len)
		return NULL;
	return g_ptr_array_index (strategy->steps, index);
}

const DsStep *
ds_config_step (const DsConfig *config, int index)
{
	return ds_strategy_step (ds_config_default_strategy (config), index);
}

const DsStrategy *
ds_config_default_strategy (const DsConfig *config)
{
	return g_ptr_array_index (config->strategies, 0);
}

const DsStrategy *
ds_config_find_strategy (const DsConfig *config, const char *name)
{
	for (guint i = 0; i < config->strategies->len; i++) {
		const DsStrategy *strategy = config->strategies->pdata[i];

		if (g_strcmp0 (strategy->name, name) == 0)
			return strategy;
	}
	return NULL;
}

const DsCalendar *
ds_config_calendar (const DsConfig *config, const char *entity_id)
{
	const DsCalendar *calendar = NULL;

	if (entity_id != NULL)
		calendar = g_hash_table_lookup (config->calendars, entity_id);
	if (calendar == NULL)
		calendar = g_hash_table_lookup (config->calendars, "");
	return calendar;
}
