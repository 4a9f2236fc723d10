/*
 * iso-codes.c -- the ISO code lists of Debian's iso-codes.  See
 * iso-codes.h.
 */
#include "iso-codes.h"

#include <json-glib/json-glib.h>

#include "ds-error.h"

static const struct {
	const char *file;	/* in ISO_CODES_JSON_DIR */
	const char *member;	/* the array of entries */
	const char *code;	/* the entry's member holding the code */
} list_sources[DS_ISO_LIST_COUNT] = {
	[DS_ISO_COUNTRY] = { "iso_3166-1.json", "3166-1", "alpha_2" },
	[DS_ISO_LANGUAGE] = { "iso_639-2.json", "639-2", "alpha_2" },
	[DS_ISO_CURRENCY] = { "iso_4217.json", "4217", "alpha_3" },
};

/* The code sets, loaded on first use; guarded by lists_lock. */
static GHashTable *lists[DS_ISO_LIST_COUNT];
static GMutex lists_lock;

static void
add_code (JsonArray *entries, guint index, JsonNode *node, gpointer data)
{
	DsIsoList list = GPOINTER_TO_INT (data);
	JsonObject *entry = json_node_get_object (node);
	const char *code = entry == NULL ? NULL :
		json_object_get_string_member_with_default (
			entry, list_sources[list].code, NULL);

	if (code != NULL)
		g_hash_table_add (lists[list], g_strdup (code));
}

static gboolean
load_list (DsIsoList list, GError **error)
{
	g_autofree char *path = g_build_filename (
		ISO_CODES_JSON_DIR, list_sources[list].file, NULL);
	g_autoptr (JsonParser) parser = json_parser_new ();
	JsonObject *top;
	JsonArray *entries;

	if (!json_parser_load_from_file (parser, path, error)) {
		g_prefix_error (error, "%s (iso-codes): ", path);
		return FALSE;
	}
	top = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ?
	      json_node_get_object (json_parser_get_root (parser)) : NULL;
	entries = top == NULL ? NULL : json_object_get_array_member (
		top, list_sources[list].member);
	if (entries == NULL || json_array_get_length (entries) == 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "%s (iso-codes): no \"%s\" list", path,
			     list_sources[list].member);
		return FALSE;
	}
	lists[list] = g_hash_table_new_full (g_str_hash, g_str_equal,
					     g_free, NULL);
	json_array_foreach_element (entries, add_code,
				    GINT_TO_POINTER (list));
	return TRUE;
}

gboolean
ds_iso_code_known (DsIsoList list, const char *code, gboolean *known,
		   GError **error)
{
	g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lists_lock);

	g_return_val_if_fail (list < DS_ISO_LIST_COUNT, FALSE);
	if (lists[list] == NULL && !load_list (list, error))
		return FALSE;
	*known = code != NULL && g_hash_table_contains (lists[list], code);
	return TRUE;
}
