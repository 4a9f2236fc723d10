/*
 * config.h -- dunspool.conf, read once into plain settings.
 *
 * The configuration is a GKeyFile (INI) file; dunspool.conf(5) and the
 * header of config.c document every key.  Loading checks every value it
 * reads and fails with DS_ERROR_CONFIG naming the file, the line, the
 * group and the key, and why; nothing silently falls back to a default
 * except the keys documented as optional.  Relative paths are taken
 * relative to the instance root.
 *
 * Strategies are ordered lists of steps.  A step is due for an invoice
 * OFFSET days after its due date (negative for a reminder before it) or,
 * with relative_to = previous, OFFSET days after the previous step's
 * document; never sooner than GAP days after the previous step's document,
 * nor before the payment deadline printed on that document has passed.
 * Segments assign strategies to invoices by rules over the customer and
 * the invoice; the first segment that matches wins, and an invoice no
 * segment matches follows the [strategy] group's strategy.  Limits,
 * calendars and exclusion rules are read here and applied by the planner.
 */
#ifndef DS_CONFIG_H
#define DS_CONFIG_H

#include <glib.h>

#include "calendar.h"

G_BEGIN_DECLS

typedef enum {
	DS_CHANNEL_EMAIL,
	DS_CHANNEL_LETTER,
	DS_CHANNEL_REGISTERED,
	DS_CHANNEL_FAX,
	DS_CHANNEL_CALL,	/* a collector's call: a task, no document
				   is produced (planner.h) */
	DS_CHANNEL_COUNT
} DsChannel;

const char *ds_channel_name (DsChannel channel);
gboolean ds_channel_from_name (const char *name, DsChannel *channel);

typedef struct {
	char *name;		/* reminder, first, ... */
	char *template_name;	/* the renderer's template; default: name */
	gboolean from_previous;	/* offset runs from the previous step's
				   document, not from the due date */
	int offset_days;	/* from the due date or the previous step */
	int gap_days;		/* at least this long after the previous */
	int deadline_days;	/* new payment deadline; 0: none printed */
	DsChannel channels[DS_CHANNEL_COUNT];
	int n_channels;		/* in order of preference */
	gint64 fee;		/* minor units of the claim's currency;
				   0: none */
	gboolean interest;	/* claim statutory interest at this step */
	gboolean compensation;	/* claim the fixed compensation */
} DsStep;

typedef struct {
	char *name;
	GPtrArray *steps;	/* of DsStep, in order */
	char *escalation;	/* after the final step: legal, agency;
				   NULL: none */
	int escalation_days;	/* that long after the final step's
				   document (and its deadline) */
} DsStrategy;

/* A match rule; every condition given must hold.  NULL/-1: any. */
typedef struct {
	char *name;
	const DsStrategy *strategy;
	GStrv entities;		/* creditor entity ids */
	GStrv countries;	/* the customer's country */
	GStrv tags;		/* the customer has one of these tags */
	GStrv currencies;	/* the invoice's currency */
	int b2b;		/* -1: any, 0: consumers, 1: businesses */
	gint64 amount_min;	/* the invoice's open amount, minor units */
	gint64 amount_max;
} DsSegment;

typedef struct {
	int touches;		/* documents per customer per period;
				   0: no limit */
	int period_days;
	int min_gap_days;	/* between two documents to a customer on
				   different days; 0: none */
	int daily[DS_CHANNEL_COUNT];	/* documents per channel per day;
					   0: no limit */
} DsLimits;

typedef struct {
	int promise_grace_days;	/* chasing resumes this long after the
				   promised date */
	char *blocked_tag;	/* customer tag that stops all chasing;
				   TAG:INVOICE stops one invoice */
	GHashTable *minimum;	/* currency -> gint64 *: invoices whose open
				   amount is below are not chased */
	GHashTable *write_off;	/* currency -> gint64 *: a surviving
				   balance at or below is written off when
				   it arises (claim-surviving.h); a
				   currency not listed: never */
	gboolean skip_credit_balance;	/* customers whose net balance is
					   a credit are not chased */
	gboolean paid_late;	/* letters also claim interest and
				   compensation of invoices paid late
				   that no document claimed before */
	int contract_rate_bp;	/* where no statutory rate applies;
				   -1: none */
} DsRules;

/* [events]: documents made because of ledger events (event-documents.h). */
typedef struct {
	gboolean acknowledge_payments;	/* a payment received */
	gboolean confirm_promises;	/* a promise to pay made */
	gboolean dispute_notices;	/* a dispute opened: chasing paused */
	DsChannel channels[DS_CHANNEL_COUNT];
	int n_channels;			/* in order of preference */
} DsEventSettings;

typedef struct {
	char *path;		/* the file read, for messages */
	char *root;		/* instance root */

	char *database;
	char *spool;
	char *templates;
	char *profiles;
	int cycle_hour;		/* the daemon's daily cycle, UTC */
	int cycle_minute;
	gint64 max_input_bytes;
	gint64 min_free_bytes;
	int rescan_seconds;

	char *mail_driver;	/* smtp | pickup */
	char *mail_relay;	/* smtp://host:port */
	char *mail_username;
	char *mail_password_file;
	gboolean mail_starttls;
	char *mail_domain;	/* Message-ID and VERP domain */

	char *fax_driver;	/* spool, hylafax, http */
	char *fax_url;		/* http: the gateway's base URL */
	char *fax_token_file;	/* http: its bearer token, or NULL */
	int page_limit_email;
	int page_limit_fax;
	int page_limit_letter;

	char *strategy;		/* the default strategy's name */
	GPtrArray *steps;	/* its steps: of DsStep, in order */
	GPtrArray *strategies;	/* of DsStrategy, the default first */
	GPtrArray *segments;	/* of DsSegment, in order of matching */
	DsLimits limits;
	DsRules rules;
	GHashTable *calendars;	/* entity id ("" default) -> DsCalendar */
	DsEventSettings events;
} DsConfig;

DsConfig *ds_config_load (const char *root, const char *path,
			  GError **error);
void ds_config_free (DsConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsConfig, ds_config_free)

/* A step of the default strategy, or NULL past its end. */
const DsStep *ds_config_step (const DsConfig *config, int index);

/* A step of a strategy, or NULL past its end. */
const DsStep *ds_strategy_step (const DsStrategy *strategy, int index);

/* The default strategy and one by name (NULL: none). */
const DsStrategy *ds_config_default_strategy (const DsConfig *config);
const DsStrategy *ds_config_find_strategy (const DsConfig *config,
					   const char *name);

/* The calendar of an entity, else the default one, else NULL. */
const DsCalendar *ds_config_calendar (const DsConfig *config,
				      const char *entity_id);

/* The text of a new instance's dunspool.conf. */
const char *ds_config_default_text (void);

G_END_DECLS

#endif
