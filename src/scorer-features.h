/*
 * scorer-features.h -- what the scorer knows about an invoice on a date.
 *
 * A feature row describes one invoice as of a date D using only what was
 * known on D (see ledger-history.h for what "known" means): the invoice
 * itself, its customer's payment history before D, the customer's open
 * exposure on D, and the customer's country.  Nothing in a row depends on
 * an event after D; the leakage test in tests/check_scorer.c rebuilds rows
 * from a ledger with every later event deleted and requires the same
 * bytes.
 *
 * The columns are fixed and named.  Their names, in order, make the
 * schema text that a model stores beside itself; a model trained on
 * another schema is refused rather than fed columns it does not know.
 * Unknown values (a customer with no history yet) are NaN, which the
 * trees treat as missing.
 *
 * XXX: dunning history (actions by channel, last delivery outcome,
 * promises kept or broken) is not a feature yet: the bundled ledger has
 * none to learn from, and the planner that writes it is not built.
 */
#ifndef DS_SCORER_FEATURES_H
#define DS_SCORER_FEATURES_H

#include <glib.h>

#include "date.h"
#include "ledger-history.h"

G_BEGIN_DECLS

typedef struct {
	const char *name;
	const char *description;	/* for explanations, English */
} DsFeature;

/* The columns, in order. */
const DsFeature *ds_scorer_features_list (guint *count);
guint ds_scorer_features_count (void);

/* "dunspool-features/1:amount,terms_days,...": what a model must match. */
const char *ds_scorer_features_schema (void);

typedef struct {
	char *schema;		/* the schema text of the columns */
	guint columns;
	guint rows;
	GArray *values;		/* float, rows x columns, row-major */
	GPtrArray *invoices;	/* const DsHistoryInvoice *, borrowed */
	GArray *as_of;		/* DsDate per row */
} DsFeatureMatrix;

DsFeatureMatrix *ds_feature_matrix_new (void);
void ds_feature_matrix_free (DsFeatureMatrix *matrix);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsFeatureMatrix, ds_feature_matrix_free)

const float *ds_feature_matrix_row (const DsFeatureMatrix *matrix,
				    guint row);

/*
 * Append the row of `invoice` as of `as_of`.  The invoice's history must
 * have been loaded with known_on >= as_of, and the invoice must be issued
 * on or before as_of.
 */
void ds_scorer_features_add (DsFeatureMatrix *matrix,
			     const DsHistoryInvoice *invoice, DsDate as_of);

/* Every invoice open on `as_of`, by issue date then id. */
DsFeatureMatrix *ds_scorer_features_open_items (
	const DsLedgerHistory *history, DsDate as_of);

G_END_DECLS

#endif
