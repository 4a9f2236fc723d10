/*
 * ds-error.h -- the one error domain of dunspool.
 *
 * Every recoverable failure in dunspool is a GError in DS_ERROR.  The code
 * says what the caller may do about it, which is the distinction the daemon
 * is built on: a TEMPORARY failure is tried again later (a lock, a full
 * disk, a relay that answered 4xx), a PERMANENT one is not (a relay that
 * answered 5xx, a document that can never be rendered).  INPUT marks data
 * we were given that is wrong; its message names the file, the line, the
 * field and the reason, on one line: a value it quotes goes through
 * ds_error_escape_controls.  Bugs are assertions, never error codes.
 */
#ifndef DS_ERROR_H
#define DS_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define DS_ERROR (ds_error_quark ())

typedef enum {
	DS_ERROR_TEMPORARY,	/* try again later */
	DS_ERROR_PERMANENT,	/* trying again will not help */
	DS_ERROR_INPUT,		/* bad input: file, line, field, why */
	DS_ERROR_NOT_FOUND,	/* no such object */
	DS_ERROR_CONFIG,	/* configuration: file, line, key, why */
	DS_ERROR_CORRUPT,	/* stored data does not verify */
	DS_ERROR_STATE,		/* transition not allowed from this state */
} DsErrorCode;

GQuark ds_error_quark (void);

/*
 * The line an INPUT error is about: N when its message starts with
 * "line N: ", 0 when it names none (it is about the whole file).
 */
int ds_error_input_line (const GError *error);

/*
 * MESSAGE without a leading "NAME: " (most refusals of a file name it,
 * and a report that names the file already need not say it twice).
 */
const char *ds_error_after_name (const char *message, const char *name);

/*
 * TEXT fit for one line of a reason that quotes what it was given (a
 * CSV field may hold line breaks): a line feed, carriage return or tab
 * as \n, \r, \t, any other control character as \xNN (C1 controls
 * and the Unicode line and paragraph separators as \uNNNN), a byte
 * that is not UTF-8 as \xNN; everything else, a backslash too, as it
 * is, so that escaping twice changes nothing.  NULL for NULL.
 */
char *ds_error_escape_controls (const char *text);

G_END_DECLS

#endif
