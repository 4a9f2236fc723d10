/*
 * iso-codes.h -- is a country, language or currency code a real one?
 *
 * The lists are Debian's iso-codes data (ISO 3166-1 alpha-2 countries,
 * ISO 639-1 languages, ISO 4217 currencies), read once per process from
 * the directory configure found (ISO_CODES_JSON_DIR) and kept for its
 * life.  A list that cannot be read is an error, never an empty list:
 * an import must not accept every code because a file went missing.
 */
#ifndef DS_ISO_CODES_H
#define DS_ISO_CODES_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	DS_ISO_COUNTRY,		/* "DE": ISO 3166-1 alpha-2 */
	DS_ISO_LANGUAGE,	/* "de": ISO 639-1 */
	DS_ISO_CURRENCY,	/* "EUR": ISO 4217 */
	DS_ISO_LIST_COUNT
} DsIsoList;

/* Sets *known; FALSE with `error` set when the list cannot be read. */
gboolean ds_iso_code_known (DsIsoList list, const char *code,
			    gboolean *known, GError **error);

G_END_DECLS

#endif
