/*
 * ds-error.c -- the DS_ERROR quark and what is read from its errors.
 * See ds-error.h.
 */
#include "ds-error.h"

#include <stdio.h>

G_DEFINE_QUARK (dunspool-error-quark, ds_error)

int
ds_error_input_line (const GError *error)
{
	int line = 0;

	if (error == NULL || error->domain != DS_ERROR ||
	    error->code != DS_ERROR_INPUT ||
	    sscanf (error->message, "line %d:", &line) != 1 || line < 0)
		return 0;
	return line;
}
