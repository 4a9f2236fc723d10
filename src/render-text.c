/*
 * render-text.c -- text for letters: cleaning, glyph checks, line
 * breaking, and amounts, dates and country names per language.
 * See render-private.h.
 *
 * Everything drawn on a letter passes through here first: it is made
 * NFC (so "u" + U+0308 is the one character "ü" that the font has and
 * that pdftotext gives back), checked glyph by glyph against the font
 * that draws it, and broken into lines that fit.  A character the font
 * lacks is an error naming the field and the character; nothing is ever
 * replaced by "?" or dropped.
 */
#include "render-private.h"

#include <math.h>
#include <string.h>

#include "ds-error.h"
#include "money.h"

/* NFC; ASCII text is its own normal form and skips the tables. */
static char *
normalize (const char *text)
{
	for (const char *p = text; *p != '\0'; p++)
		if ((guchar) *p >= 0x80)
			return g_utf8_normalize (text, -1, G_NORMALIZE_NFC);
	return g_strdup (text);
}

static gboolean
clean_fail (GError **error, const char *field)
{
	g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
		     "%s: not valid UTF-8", field);
	return FALSE;
}

gboolean
ds_render_text_clean (const char *text, const char *field, char **clean,
		      GError **error)
{
	g_autofree char *normal = NULL;
	GString *out;
	gboolean space = FALSE;

	*clean = NULL;
	if (text == NULL)
		return TRUE;
	if (!g_utf8_validate (text, -1, NULL))
		return clean_fail (error, field);
	normal = normalize (text);
	out = g_string_sized_new (strlen (normal));
	for (const char *p = normal; *p != '\0'; p++) {
		if (g_ascii_isspace (*p)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			g_string_append_c (out, ' ');
		space = FALSE;
		g_string_append_c (out, *p);
	}
	*clean = g_string_free (out, FALSE);
	return TRUE;
}

gboolean
ds_render_text_clean_lines (const char *text, const char *field,
			    char **clean, GError **error)
{
	g_autofree char *normal = NULL;
	GString *out;

	*clean = NULL;
	if (text == NULL)
		return TRUE;
	if (!g_utf8_validate (text, -1, NULL))
		return clean_fail (error, field);
	normal = normalize (text);
	out = g_string_sized_new (strlen (normal));
	for (const char *p = normal; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		g_string_append_c (out, *p == '\t' ? ' ' : *p);
	}
	*clean = g_string_free (out, FALSE);
	return TRUE;
}

gboolean
ds_render_text_check (const DsFont *font, const char *text,
		      const char *field, GError **error)
{
	for (const char *p = text; p != NULL && *p != '\0';
	     p = g_utf8_next_char (p)) {
		gunichar character = g_utf8_get_char (p);
		char shown[7] = { 0 };

		if (character == '\n' || ds_font_has (font, character))
			continue;
		if (g_unichar_isprint (character))
			g_unichar_to_utf8 (character, shown);
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "%s: missing glyph for U+%04X \"%s\" in font %s",
			     field, character, shown, ds_font_name (font));
		return FALSE;
	}
	return TRUE;
}

/* ---- line breaking ---- */

static gint64
measure (const DsFont *font, const char *from, const char *to)
{
	gint64 units = 0;

	for (const char *p = from; p < to; p = g_utf8_next_char (p))
		units += ds_font_advance (font, g_utf8_get_char (p));
	return units;
}

static void
emit_line (GPtrArray *lines, const char *from, const char *to)
{
	while (to > from && to[-1] == ' ')
		to--;
	g_ptr_array_add (lines, g_strndup (from, to - from));
}

static const char *
skip_spaces (const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Split before `at`, but never between a character and its marks. */
static const char *
split_point (const char *start, const char *at)
{
	const char *split = at;

	while (split > start &&
	       g_unichar_ismark (g_utf8_get_char (split)))
		split = g_utf8_prev_char (split);
	return split > start ? split : at;
}

GPtrArray *
ds_render_text_wrap (const DsFont *font, double size, const char *text,
		     double width)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
	gint64 limit = (gint64) floor (width * 1000.0 / size + 1e-6);
	const char *start = skip_spaces (text);
	const char *break_end = NULL, *break_resume = NULL;
	gint64 used = 0;
	const char *p = start;

	while (*p != '\0') {
		gunichar character = g_utf8_get_char (p);
		const char *next = g_utf8_next_char (p);
		int advance = ds_font_advance (font, character);

		if (character == ' ') {
			break_end = p;
			break_resume = next;
		} else if (used + advance > limit && p > start) {
			const char *end, *resume;

			if (break_end != NULL && break_end > start) {
				end = break_end;
				resume = skip_spaces (break_resume);
			} else {
				end = split_point (start, p);
				resume = end;
			}
			emit_line (lines, start, end);
			start = resume;
			used = measure (font, start, p);
			break_end = NULL;
		}
		used += advance;
		if ((character == '-' || character == '/') &&
		    *next != '\0' && *next != ' ') {
			break_end = next;
			break_resume = next;
		}
		p = next;
	}
	emit_line (lines, start, p);
	return lines;
}

/* ---- amounts, dates, countries ---- */

static const DsNumberFormat number_de = { ',', '.' };
static const DsNumberFormat number_fr = { ',', ' ' };
static const DsNumberFormat number_en = { '.', ',' };

char *
ds_render_format_amount (gint64 minor, const char *currency,
			 const char *language, gboolean with_code)
{
	const DsNumberFormat *format = &number_en;
	g_autofree char *number = NULL;
	GString *out;

	if (g_strcmp0 (language, "de") == 0)
		format = &number_de;
	else if (g_strcmp0 (language, "fr") == 0)
		format = &number_fr;
	number = ds_money_format (minor, currency, format);

	/* French groups with a no-break space, so a number never breaks */
	out = g_string_new (NULL);
	for (const char *p = number; *p != '\0'; p++) {
		if (*p == ' ')
			g_string_append (out, "\u00A0");
		else
			g_string_append_c (out, *p);
	}
	if (with_code)
		g_string_append_printf (out, "\u00A0%s", currency);
	return g_string_free (out, FALSE);
}

char *
ds_render_format_rate (int rate_bp, const char *language)
{
	gboolean comma = g_strcmp0 (language, "en") != 0;
	int magnitude = ABS (rate_bp);

	return g_strdup_printf ("%s%d%c%02d%s", rate_bp < 0 ? "-" : "",
				magnitude / 100, comma ? ',' : '.',
				magnitude % 100, comma ? "\u00A0%" : "%");
}

static const char *const months_de[] = {
	"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
	"August", "September", "Oktober", "November", "Dezember",
};
static const char *const months_fr[] = {
	"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre",
};
static const char *const months_en[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

char *
ds_render_format_date (DsDate date, const char *language,
		       gboolean long_form)
{
	int year, month, day;

	if (date == DS_DATE_NONE)
		return g_strdup ("");
	ds_date_to_ymd (date, &year, &month, &day);
	if (g_strcmp0 (language, "de") == 0)
		return long_form ? g_strdup_printf ("%d. %s %d", day,
						    months_de[month - 1], year)
				 : g_strdup_printf ("%02d.%02d.%04d", day,
						    month, year);
	if (g_strcmp0 (language, "fr") == 0) {
		if (!long_form)
			return g_strdup_printf ("%02d/%02d/%04d", day, month,
						year);
		return g_strdup_printf ("%d%s %s %d", day,
					day == 1 ? "er" : "",
					months_fr[month - 1], year);
	}
	if (long_form)
		return g_strdup_printf ("%d %s %d", day, months_en[month - 1],
					year);
	return g_strdup_printf ("%d %.3s %d", day, months_en[month - 1],
				year);
}

static const struct {
	const char *code;
	const char *de;
	const char *en;
	const char *fr;
} countries[] = {
	{ "AT", "Österreich", "Austria", "Autriche" },
	{ "AU", "Australien", "Australia", "Australie" },
	{ "BE", "Belgien", "Belgium", "Belgique" },
	{ "BG", "Bulgarien", "Bulgaria", "Bulgarie" },
	{ "CA", "Kanada", "Canada", "Canada" },
	{ "CH", "Schweiz", "Switzerland", "Suisse" },
	{ "CN", "China", "China", "Chine" },
	{ "CY", "Zypern", "Cyprus", "Chypre" },
	{ "CZ", "Tschechien", "Czechia", "Tchéquie" },
	{ "DE", "Deutschland", "Germany", "Allemagne" },
	{ "DK", "Dänemark", "Denmark", "Danemark" },
	{ "EE", "Estland", "Estonia", "Estonie" },
	{ "ES", "Spanien", "Spain", "Espagne" },
	{ "FI", "Finnland", "Finland", "Finlande" },
	{ "FR", "Frankreich", "France", "France" },
	{ "GB", "Vereinigtes Königreich", "United Kingdom",
	  "Royaume-Uni" },
	{ "GR", "Griechenland", "Greece", "Grèce" },
	{ "HR", "Kroatien", "Croatia", "Croatie" },
	{ "HU", "Ungarn", "Hungary", "Hongrie" },
	{ "IE", "Irland", "Ireland", "Irlande" },
	{ "IS", "Island", "Iceland", "Islande" },
	{ "IT", "Italien", "Italy", "Italie" },
	{ "JP", "Japan", "Japan", "Japon" },
	{ "LI", "Liechtenstein", "Liechtenstein", "Liechtenstein" },
	{ "LT", "Litauen", "Lithuania", "Lituanie" },
	{ "LU", "Luxemburg", "Luxembourg", "Luxembourg" },
	{ "LV", "Lettland", "Latvia", "Lettonie" },
	{ "MC", "Monaco", "Monaco", "Monaco" },
	{ "MT", "Malta", "Malta", "Malte" },
	{ "NL", "Niederlande", "Netherlands", "Pays-Bas" },
	{ "NO", "Norwegen", "Norway", "Norvège" },
	{ "PL", "Polen", "Poland", "Pologne" },
	{ "PT", "Portugal", "Portugal", "Portugal" },
	{ "RO", "Rumänien", "Romania", "Roumanie" },
	{ "SE", "Schweden", "Sweden", "Suède" },
	{ "SI", "Slowenien", "Slovenia", "Slovénie" },
	{ "SK", "Slowakei", "Slovakia", "Slovaquie" },
	{ "TR", "Türkei", "Türkiye", "Turquie" },
	{ "US", "Vereinigte Staaten", "United States", "États-Unis" },
};

char *
ds_render_country_name (const char *code, const char *language)
{
	for (gsize i = 0; i < G_N_ELEMENTS (countries); i++) {
		const char *name;

		if (g_ascii_strcasecmp (code, countries[i].code) != 0)
			continue;
		name = countries[i].en;
		if (g_strcmp0 (language, "de") == 0)
			name = countries[i].de;
		else if (g_strcmp0 (language, "fr") == 0)
			name = countries[i].fr;
		return g_utf8_strup (name, -1);
	}
	return g_ascii_strup (code, -1);
}
