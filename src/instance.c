/*
 * instance.c -- create and open an instance.  See instance.h.
 */
#include "instance.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ds-error.h"
#include "spool.h"

static DsInstance *instance_open (const char *root, gboolean create,
				  GError **error);

char *
ds_data_path (const char *relative)
{
	const char *override = g_getenv ("DUNSPOOL_DATADIR");
	g_autofree char *in_tree = NULL;

	if (override != NULL && *override != '\0')
		return g_build_filename (override, relative, NULL);
	in_tree = g_build_filename (DS_TOP_SRCDIR, relative, NULL);
	if (g_file_test (in_tree, G_FILE_TEST_EXISTS))
		return g_steal_pointer (&in_tree);
	return g_build_filename (DS_DATADIR, relative, NULL);
}

/* Copy every regular file of SOURCE into TARGET, one level deep. */
static gboolean
copy_tree (const char *source, const char *target, GError **error)
{
	g_autoptr (GDir) dir = g_dir_open (source, 0, error);
	const char *name;

	if (dir == NULL || g_mkdir_with_parents (target, 0750) != 0) {
		if (dir != NULL)
			g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
				     "%s: %s", target, g_strerror (errno));
		return FALSE;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree char *from = g_build_filename (source, name, NULL);
		g_autofree char *to = g_build_filename (target, name, NULL);
		g_autofree char *contents = NULL;
		gsize length;

		if (g_file_test (from, G_FILE_TEST_IS_DIR)) {
			if (!copy_tree (from, to, error))
				return FALSE;
			continue;
		}
		if (!g_file_get_contents (from, &contents, &length, error) ||
		    !g_file_set_contents_full (to, contents, length,
					       G_FILE_SET_CONTENTS_CONSISTENT,
					       0640, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ds_instance_create (const char *root, GError **error)
{
	g_autofree char *conf = g_build_filename (root, "dunspool.conf",
						  NULL);
	g_autofree char *templates = ds_data_path ("templates");
	g_autofree char *profiles = ds_data_path ("data/profiles");
	g_autofree char *own_templates = g_build_filename (root, "templates",
							   NULL);
	g_autofree char *own_profiles = g_build_filename (root, "profiles",
							  NULL);
	g_autoptr (DsInstance) instance = NULL;

	if (g_file_test (conf, G_FILE_TEST_EXISTS)) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "%s exists already: not overwriting it", conf);
		return FALSE;
	}
	if (g_mkdir_with_parents (root, 0750) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT, "%s: %s",
			     root, g_strerror (errno));
		return FALSE;
	}
	if (!copy_tree (templates, own_templates, error) ||
	    !copy_tree (profiles, own_profiles, error) ||
	    !g_file_set_contents_full (conf, ds_config_default_text (), -1,
				       G_FILE_SET_CONTENTS_CONSISTENT, 0640,
				       error))
		return FALSE;
	instance = instance_open (root, TRUE, error);
	return instance != NULL;
}

/* SQLite takes an empty file for a new database: that is not one. */
static gboolean
database_present (const char *path)
{
	GStatBuf status;

	return g_stat (path, &status) == 0 && status.st_size > 0;
}

/*
 * Open an instance.  The root is made absolute first, so that the spool
 * is, and the paths stored in the database (documents, batches, relative
 * to the spool) name the same files from any working directory.  With
 * `create` FALSE the database must exist: a mistyped path is an error,
 * not a new empty ledger.
 */
static DsInstance *
instance_open (const char *root, gboolean create, GError **error)
{
	g_autoptr (DsInstance) instance = g_new0 (DsInstance, 1);
	g_autofree char *absolute = g_canonicalize_filename (root, NULL);
	g_autofree char *conf = g_build_filename (absolute, "dunspool.conf",
						  NULL);
	g_autofree char *database_dir = NULL;

	instance->root = g_steal_pointer (&absolute);
	instance->config = ds_config_load (instance->root, conf, error);
	if (instance->config == NULL)
		return NULL;
	if (!create && !database_present (instance->config->database)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "%s: [instance] database: %s does not exist or "
			     "is empty (dunspool init creates it)", conf,
			     instance->config->database);
		return NULL;
	}
	if (!ds_spool_create_layout (instance->config->spool, error))
		return NULL;
	database_dir = g_path_get_dirname (instance->config->database);
	if (g_mkdir_with_parents (database_dir, 0750) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT, "%s: %s",
			     database_dir, g_strerror (errno));
		return NULL;
	}
	instance->store = ds_store_open_in (instance->config->database,
					    instance->config->spool, error);
	if (instance->store == NULL)
		return NULL;
	return g_steal_pointer (&instance);
}

DsInstance *
ds_instance_open (const char *root, GError **error)
{
	return instance_open (root, FALSE, error);
}

void
ds_instance_free (DsInstance *instance)
{
	if (instance == NULL)
		return;
	ds_store_close (instance->store);
	ds_config_free (instance->config);
	g_free (instance->root);
	g_free (instance);
}

char *
ds_instance_spool_path (const DsInstance *instance, const char *relative)
{
	return g_build_filename (instance->config->spool, relative, NULL);
}

char *
ds_instance_model_path (const DsInstance *instance)
{
	g_autofree char *directory = g_path_get_dirname (
		instance->config->database);

	return g_build_filename (directory, "scorer-model.json", NULL);
}

char *
ds_instance_anchor_path (const DsInstance *instance)
{
	g_autofree char *directory = g_path_get_dirname (
		instance->config->database);

	return g_build_filename (directory, "journal-anchors", NULL);
}
