/*
 * money.h -- amounts of money as integer minor units with a currency.
 *
 * dunspool never holds money in floating point.  An amount is a gint64 of
 * minor units (cents, pence, Rappen) beside an ISO 4217 code; the number
 * of decimals comes from the currency (ds_currency_exponent), never from
 * the text we parsed.  Parsing is strict: a separator in the wrong place,
 * more decimals than the currency has, or trailing junk is an error, never
 * a rounded or truncated value.
 */
#ifndef DS_MONEY_H
#define DS_MONEY_H

#include <glib.h>

G_BEGIN_DECLS

/* How a source writes numbers: "1.355,90" is { ',', '.' }. */
typedef struct {
	char decimal;		/* '.' or ',' */
	char thousands;		/* 0 for none, or ',', '.', ' ', '\'' */
} DsNumberFormat;

extern const DsNumberFormat ds_number_format_plain;	/* { '.', 0 } */

gboolean ds_currency_valid (const char *code);
int ds_currency_exponent (const char *code);

gboolean ds_money_parse (const char *text, const char *currency,
			 const DsNumberFormat *format, gint64 *minor,
			 GError **error);

/* "1355.90": the JSON and CSV form, '.' decimal point, no grouping. */
char *ds_money_to_decimal (gint64 minor, const char *currency);

/* "1.355,90" for a letter in German; grouping every three digits. */
char *ds_money_format (gint64 minor, const char *currency,
		       const DsNumberFormat *format);

G_END_DECLS

#endif
