/*
 * barcode.c -- Data Matrix through libzint, QR through libqrencode, and
 * the EPC payload.  See barcode.h.
 *
 * zint's module grid is internal to it, so the Data Matrix is read back
 * from zint's public vector output: rectangles in X-dimension units,
 * which we turn into modules.  libqrencode hands out its grid directly.
 */
#include "barcode.h"

#include <errno.h>
#include <math.h>
#include <qrencode.h>
#include <string.h>
#include <zint.h>

#include "ds-error.h"

static DsBarcode *
barcode_new (int columns, int rows)
{
	DsBarcode *code = g_new0 (DsBarcode, 1);

	code->columns = columns;
	code->rows = rows;
	code->modules = g_new0 (guint8, (gsize) columns * rows);
	return code;
}

void
ds_barcode_free (DsBarcode *code)
{
	if (code == NULL)
		return;
	g_free (code->modules);
	g_free (code);
}

gboolean
ds_barcode_dark (const DsBarcode *code, int row, int column)
{
	if (row < 0 || row >= code->rows || column < 0 ||
	    column >= code->columns)
		return FALSE;
	return code->modules[row * code->columns + column] != 0;
}

/* Mark the modules a zint vector rectangle covers. */
static void
mark_rectangle (DsBarcode *code, const struct zint_vector_rect *rect,
		double module)
{
	int column0 = (int) lround (rect->x / module);
	int row0 = (int) lround (rect->y / module);
	int columns = (int) lround (rect->width / module);
	int rows = (int) lround (rect->height / module);

	for (int row = row0; row < row0 + rows && row < code->rows; row++)
		for (int column = column0;
		     column < column0 + columns && column < code->columns;
		     column++)
			if (row >= 0 && column >= 0)
				code->modules[row * code->columns + column] =
					1;
}

DsBarcode *
ds_barcode_datamatrix (const char *data, GError **error)
{
	struct zint_symbol *symbol = ZBarcode_Create ();
	DsBarcode *code = NULL;
	double module;
	int status;

	if (symbol == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY,
			     "data matrix: out of memory");
		return NULL;
	}
	symbol->symbology = BARCODE_DATAMATRIX;
	symbol->input_mode = DATA_MODE;
	symbol->option_3 = DM_SQUARE;
	status = ZBarcode_Encode_and_Buffer_Vector
		(symbol, (const unsigned char *) data, (int) strlen (data), 0);
	if (status >= ZINT_ERROR || symbol->vector == NULL ||
	    symbol->width <= 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "data matrix of \"%s\": %s", data,
			     symbol->errtxt);
		ZBarcode_Delete (symbol);
		return NULL;
	}
	module = symbol->vector->width / symbol->width;
	code = barcode_new (symbol->width, symbol->rows);
	for (const struct zint_vector_rect *rect =
	     symbol->vector->rectangles; rect != NULL; rect = rect->next)
		mark_rectangle (code, rect, module);
	ZBarcode_Delete (symbol);
	return code;
}

DsBarcode *
ds_barcode_qr (const char *data, GError **error)
{
	QRcode *qr = QRcode_encodeData ((int) strlen (data),
					(const unsigned char *) data, 0,
					QR_ECLEVEL_M);
	DsBarcode *code;

	if (qr == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "QR code of %zu bytes: %s", strlen (data),
			     g_strerror (errno));
		return NULL;
	}
	code = barcode_new (qr->width, qr->width);
	for (int i = 0; i < qr->width * qr->width; i++)
		code->modules[i] = qr->data[i] & 1;
	QRcode_free (qr);
	return code;
}

static gboolean
epc_fail (GError **error, const char *field, const char *why)
{
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT, "EPC QR: %s %s", field,
		     why);
	return FALSE;
}

static char *
compact_upper (const char *text)
{
	GString *out = g_string_new (NULL);

	for (const char *p = text; p != NULL && *p != '\0'; p++)
		if (*p != ' ')
			g_string_append_c (out, g_ascii_toupper (*p));
	return g_string_free (out, FALSE);
}

static gboolean
iban_valid (const char *iban)
{
	gsize length = strlen (iban);

	if (length < 15 || length > 34 || !g_ascii_isalpha (iban[0]) ||
	    !g_ascii_isalpha (iban[1]))
		return FALSE;
	for (gsize i = 2; i < length; i++)
		if (!g_ascii_isalnum (iban[i]))
			return FALSE;
	return TRUE;
}

static gboolean
epc_check (const char *name, const char *account, const char *bank,
	   gint64 cents, const char *remittance, GError **error)
{
	if (name == NULL || *name == '\0' ||
	    g_utf8_strlen (name, -1) > 70)
		return epc_fail (error, "beneficiary name",
				 "must have 1 to 70 characters");
	if (!iban_valid (account))
		return epc_fail (error, "IBAN", "is not an IBAN");
	if (*bank != '\0' && strlen (bank) != 8 && strlen (bank) != 11)
		return epc_fail (error, "BIC", "must have 8 or 11 characters");
	if (cents < 1 || cents > G_GINT64_CONSTANT (99999999999))
		return epc_fail (error, "amount", "is out of range");
	if (remittance != NULL && g_utf8_strlen (remittance, -1) > 140)
		return epc_fail (error, "remittance text",
				 "has more than 140 characters");
	return TRUE;
}

/*
 * Lines: service tag, version, character set (1: UTF-8), identification,
 * BIC, name, IBAN, amount, purpose, structured reference, remittance.
 */
char *
ds_barcode_epc_payload (const char *name, const char *iban, const char *bic,
			gint64 cents, const char *remittance, GError **error)
{
	g_autofree char *account = compact_upper (iban);
	g_autofree char *bank = compact_upper (bic);

	if (!epc_check (name, account, bank, cents, remittance, error))
		return NULL;
	return g_strdup_printf ("BCD\n002\n1\nSCT\n%s\n%s\n%s\n"
				"EUR%" G_GINT64_FORMAT ".%02d\n\n\n%s",
				bank, name, account, cents / 100,
				(int) (cents % 100),
				remittance != NULL ? remittance : "");
}
