/*
 * money.c -- parse and print amounts of money.  See money.h.
 */
#include "money.h"

#include <string.h>

#include "ds-error.h"

const DsNumberFormat ds_number_format_plain = { '.', 0 };

/* ISO 4217 currencies whose minor unit is not a hundredth. */
static const struct {
	const char *code;
	int exponent;
} currency_exponents[] = {
	{ "BHD", 3 }, { "CLP", 0 }, { "ISK", 0 }, { "JOD", 3 },
	{ "JPY", 0 }, { "KRW", 0 }, { "KWD", 3 }, { "OMR", 3 },
	{ "TND", 3 }, { "VND", 0 },
};

gboolean
ds_currency_valid (const char *code)
{
	if (code == NULL || strlen (code) != 3)
		return FALSE;
	for (int i = 0; i < 3; i++)
		if (!g_ascii_isupper (code[i]))
			return FALSE;
	return TRUE;
}

int
ds_currency_exponent (const char *code)
{
	for (gsize i = 0; i < G_N_ELEMENTS (currency_exponents); i++)
		if (g_strcmp0 (code, currency_exponents[i].code) == 0)
			return currency_exponents[i].exponent;
	return 2;
}

/*
 * Grouping separators must stand every three digits counted from the
 * decimal point, and either everywhere or nowhere: "1.355,90" and
 * "1355,90" pass, "13.55,90" does not.
 */
static gboolean
grouping_valid (const char *integer, gsize length, char thousands)
{
	gsize run = 0;
	gboolean grouped = FALSE;

	for (gsize i = 0; i < length; i++) {
		if (integer[i] == thousands) {
			if (i == 0 || (grouped && run != 3) ||
			    (!grouped && run > 3))
				return FALSE;
			grouped = TRUE;
			run = 0;
		} else {
			run++;
		}
	}
	return !grouped || run == 3;
}

static gboolean
parse_fail (GError **error, const char *text, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "amount \"%s\": %s", text, why);
	return FALSE;
}

/* Only digits, the decimal mark once, and the thousands separator. */
static gboolean
characters_valid (const char *p, const DsNumberFormat *format)
{
	int points = 0;

	for (; *p != '\0'; p++) {
		if (*p == format->decimal)
			points++;
		else if (!g_ascii_isdigit (*p) &&
			 (format->thousands == 0 || *p != format->thousands))
			return FALSE;
	}
	return points <= 1;
}

static gboolean
not_in_format (GError **error, const char *text,
	       const DsNumberFormat *format)
{
	g_autofree char *why = format->thousands != 0 ?
		g_strdup_printf ("not a number in this file's format "
				 "(decimal mark '%c', thousands '%c')",
				 format->decimal, format->thousands) :
		g_strdup_printf ("not a number in this file's format "
				 "(decimal mark '%c', no thousands "
				 "separator)", format->decimal);

	return parse_fail (error, text, why);
}

gboolean
ds_money_parse (const char *text, const char *currency,
		const DsNumberFormat *format, gint64 *minor, GError **error)
{
	int exponent = ds_currency_exponent (currency);
	const char *p = text;
	const char *point;
	gboolean negative = FALSE;
	gint64 units = 0;
	int decimals = 0;

	if (text == NULL || *text == '\0')
		return parse_fail (error, "", "empty");
	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	point = strchr (p, format->decimal);
	if (!g_ascii_isdigit (*p))
		return parse_fail (error, text, "no digits");
	if (!characters_valid (p, format))
		return not_in_format (error, text, format);
	if (format->thousands != 0 &&
	    !grouping_valid (p, point ? (gsize) (point - p) : strlen (p),
			     format->thousands))
		return parse_fail (error, text, "misplaced digit grouping");

	for (; *p != '\0'; p++) {
		if (p == point)
			continue;
		if (format->thousands != 0 && *p == format->thousands &&
		    (point == NULL || p < point))
			continue;
		if (!g_ascii_isdigit (*p))
			return parse_fail (error, text, "not a number");
		if (point != NULL && p > point && ++decimals > exponent)
			return parse_fail (error, text,
					   "more decimals than the currency");
		if (units > (G_MAXINT64 - 9) / 10)
			return parse_fail (error, text, "too large");
		units = units * 10 + (*p - '0');
	}
	if (point != NULL && decimals == 0)
		return parse_fail (error, text, "nothing after the decimal");
	for (; decimals < exponent; decimals++) {
		if (units > G_MAXINT64 / 10)
			return parse_fail (error, text, "too large");
		units *= 10;
	}
	*minor = negative ? -units : units;
	return TRUE;
}

static char *
format_minor (gint64 minor, const char *currency, char decimal,
	      char thousands)
{
	int exponent = ds_currency_exponent (currency);
	guint64 magnitude = minor < 0 ? -(guint64) minor : (guint64) minor;
	guint64 scale = 1;
	g_autofree char *integer = NULL;
	GString *out = g_string_new (minor < 0 ? "-" : "");
	gsize length;

	for (int i = 0; i < exponent; i++)
		scale *= 10;
	integer = g_strdup_printf ("%" G_GUINT64_FORMAT, magnitude / scale);
	length = strlen (integer);
	for (gsize i = 0; i < length; i++) {
		if (thousands != 0 && i > 0 && (length - i) % 3 == 0)
			g_string_append_c (out, thousands);
		g_string_append_c (out, integer[i]);
	}
	if (exponent > 0)
		g_string_append_printf (out, "%c%0*" G_GUINT64_FORMAT,
					decimal, exponent, magnitude % scale);
	return g_string_free (out, FALSE);
}

char *
ds_money_to_decimal (gint64 minor, const char *currency)
{
	return format_minor (minor, currency, '.', 0);
}

char *
ds_money_format (gint64 minor, const char *currency,
		 const DsNumberFormat *format)
{
	return format_minor (minor, currency, format->decimal,
			     format->thousands);
}
