/*
 * profile.c -- the native columns, mapping profiles and their binding to
 * a header.  See profile.h.
 *
 * A profile is checked completely when it is loaded: every group and key
 * known, every template well formed, every field a record needs mapped,
 * formats among those date.h and money.h read.  Binding to a header can
 * then fail only on the header: a missing or repeated column.
 */
#define G_LOG_DOMAIN "dunspool-profile"

#include "profile.h"

#include <string.h>

#include "ds-error.h"

static const char *const kind_names[DS_RECORD_KIND_COUNT] = {
	[DS_RECORD_ENTITIES] = "entities",
	[DS_RECORD_CUSTOMERS] = "customers",
	[DS_RECORD_INVOICES] = "invoices",
	[DS_RECORD_INSTALMENTS] = "instalments",
	[DS_RECORD_PAYMENTS] = "payments",
	[DS_RECORD_CREDIT_NOTES] = "credit_notes",
	[DS_RECORD_DISPUTES] = "disputes",
	[DS_RECORD_PROMISES] = "promises",
};

static const DsFieldSpec entity_fields[DS_ENTITY_FIELD_COUNT] = {
	[DS_ENTITY_FIELD_ID] = { "entity_id", TRUE },
	[DS_ENTITY_FIELD_NAME] = { "name", TRUE },
	[DS_ENTITY_FIELD_STREET] = { "street", TRUE },
	[DS_ENTITY_FIELD_POSTAL_CODE] = { "postal_code", TRUE },
	[DS_ENTITY_FIELD_CITY] = { "city", TRUE },
	[DS_ENTITY_FIELD_COUNTRY] = { "country", TRUE },
	[DS_ENTITY_FIELD_IBAN] = { "iban", TRUE },
	[DS_ENTITY_FIELD_BIC] = { "bic", TRUE },
	[DS_ENTITY_FIELD_VAT_ID] = { "vat_id", TRUE },
	[DS_ENTITY_FIELD_EMAIL] = { "email", TRUE },
	[DS_ENTITY_FIELD_PHONE] = { "phone", TRUE },
	[DS_ENTITY_FIELD_JURISDICTION] = { "jurisdiction", FALSE },
	[DS_ENTITY_FIELD_LETTER_PROFILE] = { "letter_profile", FALSE },
};

static const DsFieldSpec customer_fields[DS_CUSTOMER_FIELD_COUNT] = {
	[DS_CUSTOMER_FIELD_ID] = { "customer_id", TRUE },
	[DS_CUSTOMER_FIELD_NAME] = { "name", TRUE },
	[DS_CUSTOMER_FIELD_CONTACT] = { "contact", TRUE },
	[DS_CUSTOMER_FIELD_STREET] = { "street", TRUE },
	[DS_CUSTOMER_FIELD_POSTAL_CODE] = { "postal_code", TRUE },
	[DS_CUSTOMER_FIELD_CITY] = { "city", TRUE },
	[DS_CUSTOMER_FIELD_COUNTRY] = { "country", TRUE },
	[DS_CUSTOMER_FIELD_LANGUAGE] = { "language", TRUE },
	[DS_CUSTOMER_FIELD_CURRENCY] = { "currency", TRUE },
	[DS_CUSTOMER_FIELD_ENTITY] = { "entity", TRUE },
	[DS_CUSTOMER_FIELD_EMAIL] = { "email", TRUE },
	[DS_CUSTOMER_FIELD_FAX] = { "fax", TRUE },
	[DS_CUSTOMER_FIELD_PHONE] = { "phone", FALSE },
	[DS_CUSTOMER_FIELD_B2B] = { "b2b", FALSE },
	[DS_CUSTOMER_FIELD_TAGS] = { "tags", FALSE },
	[DS_CUSTOMER_FIELD_COLLECTOR] = { "collector", FALSE },
	[DS_CUSTOMER_FIELD_PAPERLESS_SINCE] = { "paperless_since", FALSE },
};

static const DsFieldSpec invoice_fields[DS_INVOICE_FIELD_COUNT] = {
	[DS_INVOICE_FIELD_ID] = { "invoice_id", TRUE },
	[DS_INVOICE_FIELD_CUSTOMER] = { "customer_id", TRUE },
	[DS_INVOICE_FIELD_ISSUE_DATE] = { "issue_date", TRUE },
	[DS_INVOICE_FIELD_DUE_DATE] = { "due_date", TRUE },
	[DS_INVOICE_FIELD_CURRENCY] = { "currency", TRUE },
	[DS_INVOICE_FIELD_AMOUNT] = { "amount", TRUE },
	[DS_INVOICE_FIELD_TAX_AMOUNT] = { "tax_amount", FALSE },
	[DS_INVOICE_FIELD_REFERENCE] = { "reference", FALSE },
	[DS_INVOICE_FIELD_BILLING] = { "billing", FALSE },
};

static const DsFieldSpec instalment_fields[DS_INSTALMENT_FIELD_COUNT] = {
	[DS_INSTALMENT_FIELD_INVOICE] = { "invoice_id", TRUE },
	[DS_INSTALMENT_FIELD_NUMBER] = { "number", TRUE },
	[DS_INSTALMENT_FIELD_DUE_DATE] = { "due_date", TRUE },
	[DS_INSTALMENT_FIELD_AMOUNT] = { "amount", TRUE },
};

static const DsFieldSpec payment_fields[DS_PAYMENT_FIELD_COUNT] = {
	[DS_PAYMENT_FIELD_ID] = { "payment_id", TRUE },
	[DS_PAYMENT_FIELD_CUSTOMER] = { "customer_id", TRUE },
	[DS_PAYMENT_FIELD_DATE] = { "date", TRUE },
	[DS_PAYMENT_FIELD_CURRENCY] = { "currency", TRUE },
	[DS_PAYMENT_FIELD_AMOUNT] = { "amount", TRUE },
	[DS_PAYMENT_FIELD_INVOICE] = { "invoice_id", FALSE },
};

static const DsFieldSpec credit_note_fields[DS_CREDIT_NOTE_FIELD_COUNT] = {
	[DS_CREDIT_NOTE_FIELD_ID] = { "credit_note_id", TRUE },
	[DS_CREDIT_NOTE_FIELD_CUSTOMER] = { "customer_id", TRUE },
	[DS_CREDIT_NOTE_FIELD_DATE] = { "date", TRUE },
	[DS_CREDIT_NOTE_FIELD_CURRENCY] = { "currency", TRUE },
	[DS_CREDIT_NOTE_FIELD_AMOUNT] = { "amount", TRUE },
	[DS_CREDIT_NOTE_FIELD_INVOICE] = { "invoice_id", FALSE },
	[DS_CREDIT_NOTE_FIELD_STATUS] = { "status", FALSE },
};

static const DsFieldSpec dispute_fields[DS_DISPUTE_FIELD_COUNT] = {
	[DS_DISPUTE_FIELD_INVOICE] = { "invoice_id", TRUE },
	[DS_DISPUTE_FIELD_OPENED] = { "opened", TRUE },
	[DS_DISPUTE_FIELD_RESOLVED] = { "resolved", FALSE },
	[DS_DISPUTE_FIELD_REASON] = { "reason", FALSE },
};

static const DsFieldSpec promise_fields[DS_PROMISE_FIELD_COUNT] = {
	[DS_PROMISE_FIELD_ID] = { "promise_id", TRUE },
	[DS_PROMISE_FIELD_CUSTOMER] = { "customer_id", TRUE },
	[DS_PROMISE_FIELD_PROMISED_DATE] = { "promised_date", TRUE },
	[DS_PROMISE_FIELD_AMOUNT] = { "amount", TRUE },
	[DS_PROMISE_FIELD_INVOICE] = { "invoice_id", FALSE },
	[DS_PROMISE_FIELD_MADE_ON] = { "made_on", FALSE },
};

static const struct {
	const DsFieldSpec *fields;
	guint n_fields;
} kind_fields[DS_RECORD_KIND_COUNT] = {
	[DS_RECORD_ENTITIES] = { entity_fields, DS_ENTITY_FIELD_COUNT },
	[DS_RECORD_CUSTOMERS] = { customer_fields, DS_CUSTOMER_FIELD_COUNT },
	[DS_RECORD_INVOICES] = { invoice_fields, DS_INVOICE_FIELD_COUNT },
	[DS_RECORD_INSTALMENTS] = { instalment_fields,
				    DS_INSTALMENT_FIELD_COUNT },
	[DS_RECORD_PAYMENTS] = { payment_fields, DS_PAYMENT_FIELD_COUNT },
	[DS_RECORD_CREDIT_NOTES] = { credit_note_fields,
				     DS_CREDIT_NOTE_FIELD_COUNT },
	[DS_RECORD_DISPUTES] = { dispute_fields, DS_DISPUTE_FIELD_COUNT },
	[DS_RECORD_PROMISES] = { promise_fields, DS_PROMISE_FIELD_COUNT },
};

/* The date formats date.h reads that a profile may declare. */
static const char *const date_formats[] = {
	"YYYY-MM-DD", "D/M/YYYY", "M/D/YYYY", "D.M.YYYY",
	"DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY",
};

const char *
ds_record_kind_name (DsRecordKind kind)
{
	g_return_val_if_fail (kind < DS_RECORD_KIND_COUNT, NULL);
	return kind_names[kind];
}

gboolean
ds_record_kind_from_name (const char *name, DsRecordKind *kind)
{
	for (int i = 0; i < DS_RECORD_KIND_COUNT; i++) {
		if (g_strcmp0 (name, kind_names[i]) == 0) {
			*kind = i;
			return TRUE;
		}
	}
	return FALSE;
}

const DsFieldSpec *
ds_record_kind_fields (DsRecordKind kind, guint *n_fields)
{
	g_return_val_if_fail (kind < DS_RECORD_KIND_COUNT, NULL);
	*n_fields = kind_fields[kind].n_fields;
	return kind_fields[kind].fields;
}

static int
field_index (DsRecordKind kind, const char *name)
{
	for (guint i = 0; i < kind_fields[kind].n_fields; i++)
		if (strcmp (kind_fields[kind].fields[i].name, name) == 0)
			return i;
	return -1;
}

/* A currency left unmapped in a profile is the customer's. */
static gboolean
field_defaults_to_customer (DsRecordKind kind, guint field)
{
	return (kind == DS_RECORD_INVOICES &&
		field == DS_INVOICE_FIELD_CURRENCY) ||
	       (kind == DS_RECORD_PAYMENTS &&
		field == DS_PAYMENT_FIELD_CURRENCY) ||
	       (kind == DS_RECORD_CREDIT_NOTES &&
		field == DS_CREDIT_NOTE_FIELD_CURRENCY);
}

/* Templates: literal text with {Column} references. */

typedef struct {
	char *literal;		/* NULL for a reference */
	char *column;		/* the name referred to */
	int index;		/* its position in the header */
} TemplatePart;

static void
template_part_clear (gpointer data)
{
	TemplatePart *part = data;

	g_free (part->literal);
	g_free (part->column);
}

static GArray *
template_parse (const char *text, GError **error)
{
	g_autoptr (GArray) parts = g_array_new (FALSE, TRUE,
						sizeof (TemplatePart));
	const char *p = text;

	g_array_set_clear_func (parts, template_part_clear);
	while (*p != '\0') {
		const char *open = strchr (p, '{');
		const char *close = strchr (p, '}');
		TemplatePart part = { NULL, NULL, -1 };

		if (close != NULL && (open == NULL || close < open)) {
			g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
				     "\"%s\": '}' without '{'", text);
			return NULL;
		}
		if (open != p) {
			gsize length = open ? (gsize) (open - p) : strlen (p);

			part.literal = g_strndup (p, length);
			g_array_append_val (parts, part);
			p += length;
			continue;
		}
		close = strchr (open, '}');
		part.column = close ? g_strstrip (g_strndup (open + 1,
					close - open - 1)) : NULL;
		if (part.column == NULL || *part.column == '\0' ||
		    strchr (part.column, '{') != NULL) {
			g_free (part.column);
			g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
				     "\"%s\": a '{' must enclose one column "
				     "name and close with '}'", text);
			return NULL;
		}
		g_array_append_val (parts, part);
		p = close + 1;
	}
	return g_steal_pointer (&parts);
}

/* Loading profiles. */

static void
profile_record_free (gpointer data)
{
	DsProfileRecord *record = data;

	for (int i = 0; i < DS_FIELD_MAX; i++)
		g_free (record->fields[i]);
	g_strfreev (record->conditions);
	g_free (record);
}

void
ds_profile_free (DsProfile *profile)
{
	if (profile == NULL)
		return;
	g_free (profile->name);
	g_free (profile->path);
	g_free (profile->description);
	g_strfreev (profile->signature);
	g_strfreev (profile->ignore);
	g_free (profile->date_format);
	g_clear_pointer (&profile->records, g_ptr_array_unref);
	g_free (profile);
}

static gboolean
config_fail (GError **error, const DsProfile *profile, const char *group,
	     const char *key, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s: [%s] %s: %s",
		     profile->path, group, key ? key : "", why);
	return FALSE;
}

/* A separator key: a character, or a word for the invisible ones. */
static gboolean
read_separator (GKeyFile *file, DsProfile *profile, const char *key,
		const char *allowed, char *out, GError **error)
{
	g_autofree char *value = g_key_file_get_value (file, "profile", key,
						       NULL);

	if (value == NULL)
		return TRUE;
	g_strstrip (value);
	if (*value == '\0' || strcmp (value, "none") == 0)
		*out = 0;
	else if (strcmp (value, "space") == 0)
		*out = ' ';
	else if (value[1] == '\0' && strchr (allowed, value[0]) != NULL)
		*out = value[0];
	else
		return config_fail (error, profile, "profile", key,
				    "not one of the separators allowed");
	return TRUE;
}

static gboolean
read_date_format (GKeyFile *file, DsProfile *profile, GError **error)
{
	g_autofree char *value = g_key_file_get_string (file, "profile",
							"date_format", NULL);

	profile->date_format = g_strdup ("YYYY-MM-DD");
	if (value == NULL)
		return TRUE;
	g_strstrip (value);
	for (gsize i = 0; i < G_N_ELEMENTS (date_formats); i++) {
		if (strcmp (value, date_formats[i]) == 0) {
			g_free (profile->date_format);
			profile->date_format = g_strdup (value);
			profile->date_format_declared = TRUE;
			return TRUE;
		}
	}
	return config_fail (error, profile, "profile", "date_format",
			    "not a date format dunspool reads");
}

static gboolean
read_profile_group (GKeyFile *file, DsProfile *profile, GError **error)
{
	static const char *const known[] = {
		"description", "signature", "date_format", "decimal",
		"thousands", "delimiter", "ignore",
	};
	g_auto (GStrv) keys = g_key_file_get_keys (file, "profile", NULL,
						   NULL);
	char decimal = '.';

	for (int i = 0; keys != NULL && keys[i] != NULL; i++)
		if (!g_strv_contains ((const char *const *) known, keys[i]))
			return config_fail (error, profile, "profile",
					    keys[i], "unknown key");
	profile->description = g_key_file_get_string (file, "profile",
						      "description", NULL);
	profile->signature = g_key_file_get_string_list (file, "profile",
							 "signature", NULL,
							 NULL);
	for (int i = 0; profile->signature && profile->signature[i]; i++)
		g_strstrip (profile->signature[i]);
	profile->ignore = g_key_file_get_string_list (file, "profile",
						      "ignore", NULL, NULL);
	for (int i = 0; profile->ignore && profile->ignore[i]; i++)
		g_strstrip (profile->ignore[i]);
	profile->number_format.thousands = 0;
	if (!read_date_format (file, profile, error) ||
	    !read_separator (file, profile, "decimal", ".,", &decimal,
			     error) ||
	    !read_separator (file, profile, "thousands", ".,'",
			     &profile->number_format.thousands, error) ||
	    !read_separator (file, profile, "delimiter", ",;",
			     &profile->delimiter, error))
		return FALSE;
	if (decimal == 0 || decimal == profile->number_format.thousands)
		return config_fail (error, profile, "profile", "decimal",
				    "needs a decimal separator other than "
				    "the thousands separator");
	profile->number_format.decimal = decimal;
	return TRUE;
}

static gboolean
read_record_field (GKeyFile *file, DsProfile *profile, const char *group,
		   DsProfileRecord *record, const char *key, GError **error)
{
	int field = field_index (record->kind, key);
	g_autofree char *value = NULL;
	g_autoptr (GArray) parts = NULL;
	g_autoptr (GError) parse_error = NULL;

	if (field < 0)
		return config_fail (error, profile, group, key,
				    "not a field of this record kind");
	value = g_key_file_get_string (file, group, key, error);
	if (value == NULL)
		return FALSE;
	g_strstrip (value);
	parts = template_parse (value, &parse_error);
	if (parts == NULL)
		return config_fail (error, profile, group, key,
				    parse_error->message);
	g_free (record->fields[field]);		/* a key given twice */
	record->fields[field] = g_steal_pointer (&value);
	return TRUE;
}

static gboolean
read_record_group (GKeyFile *file, DsProfile *profile, const char *group,
		   GError **error)
{
	g_autoptr (GPtrArray) holder = g_ptr_array_new_with_free_func (
		profile_record_free);
	DsProfileRecord *record = g_new0 (DsProfileRecord, 1);
	g_auto (GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);
	guint n_fields = 0;
	const DsFieldSpec *fields;

	g_ptr_array_add (holder, record);
	if (!ds_record_kind_from_name (group, &record->kind))
		return config_fail (error, profile, group, NULL,
				    "not a record kind");
	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (strcmp (keys[i], "only_when") == 0) {
			g_strfreev (record->conditions);
			record->conditions = g_key_file_get_string_list (
				file, group, keys[i], NULL, NULL);
			continue;
		}
		if (!read_record_field (file, profile, group, record,
					keys[i], error))
			return FALSE;
	}
	fields = ds_record_kind_fields (record->kind, &n_fields);
	for (guint i = 0; i < n_fields; i++) {
		if (!fields[i].required || record->fields[i] != NULL ||
		    field_defaults_to_customer (record->kind, i))
			continue;
		return config_fail (error, profile, group, fields[i].name,
				    "a required field is not mapped");
	}
	for (guint i = 0; i < profile->records->len; i++)
		if (((DsProfileRecord *) profile->records->pdata[i])->kind ==
		    record->kind)
			return config_fail (error, profile, group, NULL,
					    "record kind given twice");
	g_ptr_array_add (profile->records, g_ptr_array_steal_index (holder,
								    0));
	return TRUE;
}

static int
compare_records (gconstpointer a, gconstpointer b)
{
	const DsProfileRecord *first = *(DsProfileRecord *const *) a;
	const DsProfileRecord *second = *(DsProfileRecord *const *) b;

	return (int) first->kind - (int) second->kind;
}

DsProfile *
ds_profile_load_file (const char *path, GError **error)
{
	g_autoptr (GKeyFile) file = g_key_file_new ();
	g_autoptr (DsProfile) profile = g_new0 (DsProfile, 1);
	g_autoptr (GError) load_error = NULL;
	g_autofree char *base = g_path_get_basename (path);
	g_auto (GStrv) groups = NULL;

	profile->path = g_strdup (path);
	profile->name = g_strdup (base);
	if (g_str_has_suffix (profile->name, ".conf"))
		profile->name[strlen (profile->name) - 5] = '\0';
	profile->records = g_ptr_array_new_with_free_func (
		profile_record_free);
	profile->number_format = ds_number_format_plain;
	if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE,
					&load_error)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG, "%s: %s",
			     path, load_error->message);
		return NULL;
	}
	if (!g_key_file_has_group (file, "profile")) {
		config_fail (error, profile, "profile", NULL,
			     "the group is missing");
		return NULL;
	}
	if (!read_profile_group (file, profile, error))
		return NULL;
	groups = g_key_file_get_groups (file, NULL);
	for (int i = 0; groups[i] != NULL; i++)
		if (strcmp (groups[i], "profile") != 0 &&
		    !read_record_group (file, profile, groups[i], error))
			return NULL;
	g_ptr_array_sort (profile->records, compare_records);
	return g_steal_pointer (&profile);
}

static gboolean
profile_name_valid (const char *name)
{
	if (name == NULL || *name == '\0')
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
			return FALSE;
	return TRUE;
}

DsProfile *
ds_profile_load (const char *dir, const char *name, GError **error)
{
	g_autofree char *file = g_strconcat (name, ".conf", NULL);
	g_autofree char *path = NULL;

	if (!profile_name_valid (name)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "\"%s\" is not a profile name", name);
		return NULL;
	}
	path = g_build_filename (dir, file, NULL);
	if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "no profile \"%s\" in %s", name, dir);
		return NULL;
	}
	return ds_profile_load_file (path, error);
}

/* Header columns by their name, ignoring ASCII case. */
static int
header_find (char **header, guint n_columns, const char *name)
{
	for (guint i = 0; i < n_columns; i++)
		if (g_ascii_strcasecmp (header[i], name) == 0)
			return i;
	return -1;
}

static gboolean
signature_matches (const DsProfile *profile, char **header,
		   guint n_columns)
{
	if (profile->signature == NULL || profile->signature[0] == NULL)
		return FALSE;
	for (int i = 0; profile->signature[i] != NULL; i++)
		if (header_find (header, n_columns,
				 profile->signature[i]) < 0)
			return FALSE;
	return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
profile_names (const char *dir, GError **error)
{
	g_autoptr (GError) open_error = NULL;
	g_autoptr (GDir) handle = g_dir_open (dir, 0, &open_error);
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	if (handle == NULL) {
		g_ptr_array_unref (names);
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "profiles: %s", open_error->message);
		return NULL;
	}
	while ((name = g_dir_read_name (handle)) != NULL)
		if (g_str_has_suffix (name, ".conf") && name[0] != '.')
			g_ptr_array_add (names, g_strdup (name));
	g_ptr_array_sort (names, compare_names);
	return names;
}

DsProfile *
ds_profile_detect (const char *dir, char **header, guint n_columns,
		   GError **error)
{
	g_autoptr (GPtrArray) names = profile_names (dir, error);
	g_autoptr (DsProfile) best = NULL;
	gboolean tie = FALSE;

	if (names == NULL)
		return NULL;
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename (
			dir, names->pdata[i], NULL);
		g_autoptr (DsProfile) profile = ds_profile_load_file (path,
								      error);
		guint length, best_length;

		if (profile == NULL)
			return NULL;
		if (!signature_matches (profile, header, n_columns))
			continue;
		length = g_strv_length (profile->signature);
		best_length = best ? g_strv_length (best->signature) : 0;
		if (length == best_length)
			tie = TRUE;
		if (length > best_length) {
			g_clear_pointer (&best, ds_profile_free);
			best = g_steal_pointer (&profile);
			tie = FALSE;
		}
	}
	if (best == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_NOT_FOUND,
			     "no profile in %s recognises this header", dir);
		return NULL;
	}
	if (tie) {
		g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
			     "several profiles in %s recognise this header "
			     "equally well: name one", dir);
		return NULL;
	}
	return g_steal_pointer (&best);
}

/* Binding to a header. */

typedef struct {
	GArray *parts;		/* TemplatePart; NULL: not mapped */
	int single;		/* the one column of "{Column}", or -1 */
	GString *value;		/* the last value built from parts */
	char *source;		/* column name or field name */
} BoundField;

typedef struct {
	int column;
	char *value;		/* NULL: the column is non-empty */
} BoundCondition;

typedef struct {
	DsRecordKind kind;
	BoundField fields[DS_FIELD_MAX];
	GArray *conditions;	/* BoundCondition */
} BoundRecord;

struct _DsMapping {
	GPtrArray *records;	/* BoundRecord */
	guint n_columns;
	gboolean *column_known;	/* per header column: read or ignored */
};

static void
bound_condition_clear (gpointer data)
{
	g_free (((BoundCondition *) data)->value);
}

static void
bound_record_free (gpointer data)
{
	BoundRecord *record = data;

	for (int i = 0; i < DS_FIELD_MAX; i++) {
		g_clear_pointer (&record->fields[i].parts, g_array_unref);
		if (record->fields[i].value != NULL)
			g_string_free (record->fields[i].value, TRUE);
		g_free (record->fields[i].source);
	}
	g_clear_pointer (&record->conditions, g_array_unref);
	g_free (record);
}

void
ds_mapping_free (DsMapping *mapping)
{
	if (mapping == NULL)
		return;
	g_ptr_array_unref (mapping->records);
	g_free (mapping->column_known);
	g_free (mapping);
}

static BoundRecord *
bound_record_new (DsRecordKind kind)
{
	BoundRecord *record = g_new0 (BoundRecord, 1);

	record->kind = kind;
	for (int i = 0; i < DS_FIELD_MAX; i++)
		record->fields[i].single = -1;
	record->conditions = g_array_new (FALSE, TRUE,
					  sizeof (BoundCondition));
	g_array_set_clear_func (record->conditions, bound_condition_clear);
	return record;
}

static gboolean
missing_column (GError **error, const char *column, const char *where)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "no column \"%s\" (%s)", column, where);
	return FALSE;
}

static gboolean
bind_template (DsMapping *mapping, BoundField *field, const char *template,
	       const char *field_name, const char *profile_name,
	       char **header, guint n_columns, GError **error)
{
	field->parts = template_parse (template, error);
	if (field->parts == NULL)
		return FALSE;
	for (guint i = 0; i < field->parts->len; i++) {
		TemplatePart *part = &g_array_index (field->parts,
						     TemplatePart, i);

		if (part->column == NULL)
			continue;
		part->index = header_find (header, n_columns, part->column);
		if (part->index < 0) {
			g_autofree char *where = g_strdup_printf (
				"profile %s, field %s", profile_name,
				field_name);

			return missing_column (error, part->column, where);
		}
		mapping->column_known[part->index] = TRUE;
	}
	if (field->parts->len == 1 &&
	    g_array_index (field->parts, TemplatePart, 0).column != NULL) {
		field->single = g_array_index (field->parts, TemplatePart,
					       0).index;
		field->source = g_strdup (header[field->single]);
	} else {
		field->value = g_string_new (NULL);
		field->source = g_strdup (field_name);
	}
	return TRUE;
}

static gboolean
bind_conditions (DsMapping *mapping, BoundRecord *bound, char **conditions,
		 const char *profile_name, char **header, guint n_columns,
		 GError **error)
{
	for (int i = 0; conditions != NULL && conditions[i] != NULL; i++) {
		g_auto (GStrv) sides = g_strsplit (conditions[i], "=", 2);
		BoundCondition condition = { -1, NULL };

		g_strstrip (sides[0]);
		condition.column = header_find (header, n_columns, sides[0]);
		if (condition.column < 0) {
			g_autofree char *where = g_strdup_printf (
				"profile %s, only_when", profile_name);

			return missing_column (error, sides[0], where);
		}
		mapping->column_known[condition.column] = TRUE;
		if (sides[1] != NULL)
			condition.value = g_strdup (g_strstrip (sides[1]));
		g_array_append_val (bound->conditions, condition);
	}
	return TRUE;
}

static gboolean
mapping_add_profile_record (DsMapping *mapping,
			    const DsProfileRecord *record,
			    const char *profile_name, char **header,
			    guint n_columns, GError **error)
{
	BoundRecord *bound = bound_record_new (record->kind);
	guint n_fields = 0;
	const DsFieldSpec *fields = ds_record_kind_fields (record->kind,
							   &n_fields);

	g_ptr_array_add (mapping->records, bound);
	for (guint i = 0; i < n_fields; i++) {
		if (record->fields[i] == NULL)
			continue;
		if (!bind_template (mapping, &bound->fields[i],
				    record->fields[i], fields[i].name,
				    profile_name, header, n_columns, error))
			return FALSE;
	}
	return bind_conditions (mapping, bound, record->conditions,
				profile_name, header, n_columns, error);
}

static gboolean
kind_matches_header (DsRecordKind kind, char **header, guint n_columns)
{
	guint n_fields = 0;
	const DsFieldSpec *fields = ds_record_kind_fields (kind, &n_fields);

	for (guint i = 0; i < n_fields; i++)
		if (fields[i].required &&
		    header_find (header, n_columns, fields[i].name) < 0)
			return FALSE;
	return TRUE;
}

static gboolean
native_kind (char **header, guint n_columns, DsRecordKind *kind,
	     GError **error)
{
	int found = -1;

	for (int i = 0; i < DS_RECORD_KIND_COUNT; i++) {
		if (!kind_matches_header (i, header, n_columns))
			continue;
		if (found >= 0) {
			g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
				     "the header fits both %s and %s",
				     kind_names[found], kind_names[i]);
			return FALSE;
		}
		found = i;
	}
	if (found < 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "the header is not that of a known record "
			     "kind or profile");
		return FALSE;
	}
	*kind = found;
	return TRUE;
}

static gboolean
mapping_add_native (DsMapping *mapping, char **header, guint n_columns,
		    GError **error)
{
	DsRecordKind kind;
	BoundRecord *bound;
	guint n_fields = 0;
	const DsFieldSpec *fields;

	if (!native_kind (header, n_columns, &kind, error))
		return FALSE;
	bound = bound_record_new (kind);
	g_ptr_array_add (mapping->records, bound);
	fields = ds_record_kind_fields (kind, &n_fields);
	for (guint i = 0; i < n_fields; i++) {
		int column = header_find (header, n_columns, fields[i].name);

		if (column < 0)
			continue;
		mapping->column_known[column] = TRUE;
		bound->fields[i].single = column;
		bound->fields[i].source = g_strdup (header[column]);
	}
	return TRUE;
}

static gboolean
header_valid (char **header, guint n_columns, GError **error)
{
	for (guint i = 0; i < n_columns; i++) {
		if (*header[i] == '\0')
			continue;
		if (header_find (header, i, header[i]) >= 0) {
			g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
				     "column \"%s\" appears twice",
				     header[i]);
			return FALSE;
		}
	}
	return TRUE;
}

/* The profile's signature and ignore list: columns it knows. */
static void
mark_profile_columns (DsMapping *mapping, const DsProfile *profile,
		      char **header, guint n_columns)
{
	char **const lists[] = { profile->signature, profile->ignore };

	for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
		for (int j = 0; lists[i] != NULL && lists[i][j] != NULL; j++) {
			int column = header_find (header, n_columns,
						  lists[i][j]);

			if (column >= 0)
				mapping->column_known[column] = TRUE;
		}
}

DsMapping *
ds_mapping_new (const DsProfile *profile, char **header, guint n_columns,
		GError **error)
{
	g_autoptr (DsMapping) mapping = g_new0 (DsMapping, 1);

	mapping->records = g_ptr_array_new_with_free_func (bound_record_free);
	mapping->n_columns = n_columns;
	mapping->column_known = g_new0 (gboolean, MAX (n_columns, 1));
	if (!header_valid (header, n_columns, error))
		return NULL;
	if (profile != NULL)
		mark_profile_columns (mapping, profile, header, n_columns);
	if (profile == NULL || profile->records->len == 0) {
		if (!mapping_add_native (mapping, header, n_columns, error))
			return NULL;
		return g_steal_pointer (&mapping);
	}
	for (guint i = 0; i < profile->records->len; i++)
		if (!mapping_add_profile_record (mapping,
						 profile->records->pdata[i],
						 profile->name, header,
						 n_columns, error))
			return NULL;
	return g_steal_pointer (&mapping);
}

guint
ds_mapping_n_records (const DsMapping *mapping)
{
	return mapping->records->len;
}

DsRecordKind
ds_mapping_kind (const DsMapping *mapping, guint record)
{
	const BoundRecord *bound = mapping->records->pdata[record];

	return bound->kind;
}

gboolean
ds_mapping_applies (const DsMapping *mapping, guint record, char **row)
{
	const BoundRecord *bound = mapping->records->pdata[record];

	for (guint i = 0; i < bound->conditions->len; i++) {
		const BoundCondition *condition = &g_array_index (
			bound->conditions, BoundCondition, i);
		const char *text = row[condition->column];

		if (condition->value == NULL ? *text == '\0' :
		    g_ascii_strcasecmp (text, condition->value) != 0)
			return FALSE;
	}
	return TRUE;
}

const char *
ds_mapping_value (DsMapping *mapping, guint record, guint field,
		  char **row)
{
	BoundRecord *bound = mapping->records->pdata[record];
	BoundField *bound_field = &bound->fields[field];

	if (bound_field->single >= 0)
		return row[bound_field->single];
	if (bound_field->parts == NULL)
		return NULL;
	g_string_truncate (bound_field->value, 0);
	for (guint i = 0; i < bound_field->parts->len; i++) {
		const TemplatePart *part = &g_array_index (
			bound_field->parts, TemplatePart, i);

		if (part->literal != NULL) {
			g_string_append (bound_field->value, part->literal);
			continue;
		}
		if (*row[part->index] == '\0')
			return "";
		g_string_append (bound_field->value, row[part->index]);
	}
	return bound_field->value->str;
}

char **
ds_mapping_unknown_columns (const DsMapping *mapping, char **header)
{
	GPtrArray *unknown = g_ptr_array_new ();

	for (guint i = 0; i < mapping->n_columns; i++)
		if (!mapping->column_known[i] && *header[i] != '\0')
			g_ptr_array_add (unknown, g_strdup (header[i]));
	g_ptr_array_add (unknown, NULL);
	return (char **) g_ptr_array_free (unknown, FALSE);
}

const char *
ds_mapping_source (const DsMapping *mapping, guint record, guint field)
{
	const BoundRecord *bound = mapping->records->pdata[record];
	guint n_fields = 0;
	const DsFieldSpec *fields = ds_record_kind_fields (bound->kind,
							   &n_fields);

	if (bound->fields[field].source != NULL)
		return bound->fields[field].source;
	return fields[field].name;
}
