/*
 * ds-error.h -- the one error domain of dunspool.
 *
 * Every recoverable failure in dunspool is a GError in DS_ERROR.  The code
 * says what the caller may do about it, which is the distinction the daemon
 * is built on: a TEMPORARY failure is tried again later (a lock, a full
 * disk, a relay that answered 4xx), a PERMANENT one is not (a relay that
 * answered 5xx, a document that can never be rendered).  INPUT marks data
 * we were given that is wrong; its message names the file, the line, the
 * field and the reason.  Bugs are assertions, never error codes.
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

G_END_DECLS

#endif
