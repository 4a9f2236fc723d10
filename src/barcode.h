/*
 * barcode.h -- the 2-D codes printed on letters, as grids of modules.
 *
 * The trace id goes on every letter as a Data Matrix (ECC 200, square)
 * so that the mailroom can scan returned envelopes; EUR payment data goes
 * on as an EPC QR code ("GiroCode", EPC069-12 version 002) that banking
 * apps read.  This module only encodes: it returns which modules are
 * dark and leaves drawing to the renderer.  Encoding is deterministic.
 */
#ifndef DS_BARCODE_H
#define DS_BARCODE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	int columns;
	int rows;
	guint8 *modules;	/* rows * columns, row-major from the top;
				   1 is dark */
} DsBarcode;

void ds_barcode_free (DsBarcode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsBarcode, ds_barcode_free)

/* Data Matrix of `data` (bytes as given); DS_ERROR_PERMANENT on failure. */
DsBarcode *ds_barcode_datamatrix (const char *data, GError **error);

/* QR code, byte mode, error correction M. */
DsBarcode *ds_barcode_qr (const char *data, GError **error);

gboolean ds_barcode_dark (const DsBarcode *code, int row, int column);

/*
 * The EPC QR payload of a SEPA credit transfer in EUR: beneficiary
 * `name` (at most 70 characters), `iban` (spaces ignored), `bic` (may be
 * NULL), the amount in cents (0.01 to 999999999.99) and an unstructured
 * remittance text (at most 140 characters).  DS_ERROR_INPUT naming the
 * field when one does not fit the standard; nothing is shortened.
 */
char *ds_barcode_epc_payload (const char *name, const char *iban,
			      const char *bic, gint64 cents,
			      const char *remittance, GError **error);

G_END_DECLS

#endif
