/*
 * fuzz-profile.c -- any bytes as a mapping profile.
 *
 * The profile is loaded from a file, bound to two headers (the IBM
 * sample's and the native invoices header), and every field of every
 * record it yields is read from one row, and the columns it does not
 * know are listed.  Promise checked: a broken profile is an error, never
 * a crash; a bound mapping reads any row; the unknown columns are
 * columns of the header.
 */
#include "fuzz.h"

#include "profile.h"

static const char *const ibm_header[] = {
	"countryCode", "customerID", "PaperlessDate", "invoiceNumber",
	"InvoiceDate", "DueDate", "InvoiceAmount", "Disputed", "SettledDate",
	"PaperlessBill", "DaysToSettle", "DaysLate", NULL
};
static const char *const ibm_row[] = {
	"391", "0379-NEVHP", "4/6/2013", "0000611365", "1/2/2013",
	"2/1/2013", "55.94", "Yes", "1/15/2013", "Paper", "13", "0", NULL
};
static const char *const native_header[] = {
	"invoice_id", "customer_id", "issue_date", "due_date", "currency",
	"amount", "tax_amount", "reference", NULL
};
static const char *const native_row[] = {
	"A1", "C1", "2024-01-02", "2024-02-01", "EUR", "1.355,90", "", "x",
	NULL
};

static void
read_rows (const DsProfile *profile, const char *const *header,
	   const char *const *row)
{
	g_autoptr (DsMapping) mapping = NULL;
	g_autoptr (GError) error = NULL;
	g_auto (GStrv) unknown = NULL;

	mapping = ds_mapping_new (profile, (char **) header,
				  g_strv_length ((char **) header), &error);
	if (mapping == NULL) {
		fuzz_assert (error != NULL, "no mapping and no reason");
		return;
	}
	unknown = ds_mapping_unknown_columns (mapping, (char **) header);
	for (guint i = 0; unknown[i] != NULL; i++)
		fuzz_assert (g_strv_contains (header, unknown[i]),
			     "an unknown column not of the header");
	for (guint record = 0; record < ds_mapping_n_records (mapping);
	     record++) {
		guint n_fields = 0;

		ds_record_kind_fields (ds_mapping_kind (mapping, record),
				       &n_fields);
		if (!ds_mapping_applies (mapping, record, (char **) row))
			continue;
		for (guint field = 0; field < n_fields; field++) {
			ds_mapping_value (mapping, record, field,
					  (char **) row);
			ds_mapping_source (mapping, record, field);
		}
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autofree char *path = NULL;
	g_autoptr (DsProfile) profile = NULL;
	g_autoptr (GError) error = NULL;

	fuzz_quiet ();
	path = fuzz_write_file ("fuzz.conf", data, size);
	profile = ds_profile_load_file (path, &error);
	if (profile == NULL) {
		fuzz_assert (error != NULL, "no profile and no reason");
		return 0;
	}
	read_rows (profile, ibm_header, ibm_row);
	read_rows (profile, native_header, native_row);
	return 0;
}
