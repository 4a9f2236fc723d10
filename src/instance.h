/*
 * instance.h -- one dunspool instance: its configuration, database and
 * spool, found from a root directory.
 *
 * An instance root holds dunspool.conf; the paths in it (database, spool,
 * templates, profiles) are relative to the root unless absolute, so a
 * whole instance can live in one folder (the demo, every test) or spread
 * over the FHS places (/etc/dunspool, /var/lib/dunspool,
 * /var/spool/dunspool) with absolute paths in /etc/dunspool/dunspool.conf.
 *
 * Creating an instance never overwrites: it fails if ROOT/dunspool.conf
 * exists already.
 */
#ifndef DS_INSTANCE_H
#define DS_INSTANCE_H

#include <glib.h>

#include "config.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_DEFAULT_ROOT DS_SYSCONFDIR "/dunspool"

typedef struct {
	char *root;
	DsConfig *config;
	DsStore *store;
} DsInstance;

gboolean ds_instance_create (const char *root, GError **error);
DsInstance *ds_instance_open (const char *root, GError **error);
void ds_instance_free (DsInstance *instance);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsInstance, ds_instance_free)

/* SPOOL/relative, e.g. "outgoing/print". */
char *ds_instance_spool_path (const DsInstance *instance,
			      const char *relative);

/*
 * The journal's anchor file (journal.h), beside the database:
 * journal-anchors.
 */
char *ds_instance_anchor_path (const DsInstance *instance);

/* The scorer's model file, beside the database. */
char *ds_instance_model_path (const DsInstance *instance);

/*
 * Where the shipped data lives: $DUNSPOOL_DATADIR, else the source tree
 * when running from a build, else the installed package data directory.
 * ds_data_path ("templates") or ds_data_path ("data/ibm-ar").
 */
char *ds_data_path (const char *relative);

G_END_DECLS

#endif
