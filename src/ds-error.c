/*
 * ds-error.c -- the DS_ERROR quark.  See ds-error.h.
 */
#include "ds-error.h"

G_DEFINE_QUARK (dunspool-error-quark, ds_error)
