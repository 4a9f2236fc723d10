/*
 * config.h -- dunspool.conf, read once into plain settings.
 *
 * The configuration is a GKeyFile (INI) file; dunspool.conf(5) documents
 * every key.  Loading checks every value it reads and fails with
 * DS_ERROR_CONFIG naming the file, the group and the key, and why; nothing
 * silently falls back to a default except the keys documented as
 * optional.  Relative paths are taken relative to the instance root.
 *
 * The strategy is an ordered list of steps.  A step is due for an invoice
 * OFFSET days after its due date (negative for a reminder before it), and
 * never sooner than GAP days after the document of the previous step, nor
 * before the payment deadline printed on that document has passed.
 */
#ifndef DS_CONFIG_H
#define DS_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	DS_CHANNEL_EMAIL,
	DS_CHANNEL_LETTER,
	DS_CHANNEL_REGISTERED,
	DS_CHANNEL_FAX,
	DS_CHANNEL_COUNT
} DsChannel;

const char *ds_channel_name (DsChannel channel);
gboolean ds_channel_from_name (const char *name, DsChannel *channel);

typedef struct {
	char *name;		/* reminder, first, ...: also the template */
	int offset_days;	/* from the invoice's due date */
	int gap_days;		/* at least this long after the previous */
	int deadline_days;	/* new payment deadline; 0: none printed */
	DsChannel channels[DS_CHANNEL_COUNT];
	int n_channels;		/* in order of preference */
} DsStep;

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

	char *fax_driver;	/* spool */
	int page_limit_email;
	int page_limit_fax;
	int page_limit_letter;

	char *strategy;
	GPtrArray *steps;	/* of DsStep, in order */
} DsConfig;

DsConfig *ds_config_load (const char *root, const char *path,
			  GError **error);
void ds_config_free (DsConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsConfig, ds_config_free)

const DsStep *ds_config_step (const DsConfig *config, int index);

/* The text of a new instance's dunspool.conf. */
const char *ds_config_default_text (void);

G_END_DECLS

#endif
