/*
 * scorer-features.h -- what the scorer knows about an invoice on a date.
 *
 * A feature row describes one invoice as of a date D using only what was
 * known on D (see ledger-history.h and scorer-dunning.h for what "known"
 * means): the invoice itself, its customer's payment history before D,
 * the customer's open exposure on D, the customer's country, and the
 * dunning history before D -- documents sent by channel about the
 * invoice and to the customer, days since the last, the last delivery
 * outcome, and the customer's promises kept and broken.  Nothing in a row
 * depends on an event after D; the leakage test in tests/check_scorer.c
 * rebuilds rows from a ledger and store with every later event deleted
 * and requires the same bytes.
 *
 * The columns are fixed and named.  Their names, in order, make the
 * schema text that a model stores beside itself; a model trained on
 * another schema is refused rather than fed columns it does not know.
 * Unknown values (a customer with no history yet) are NaN, which the
 * trees treat as missing.
 *
 * The rows a model is trained on are taken at each invoice's issue date,
 * when nothing has been sent about the invoice yet: the invoice's own
 * dunning columns are then zero and unknown, and only the customer's
 * carry what the model can learn from.  The bundled ledger has no
 * dunning history at all until the daemon (or the demo's replay) has
 * sent documents.
 */
#ifndef DS_SCORER_FEATURES_H
#define DS_SCORER_FEATURES_H

#include <glib.h>

#include "date.h"
#include "ledger-history.h"
#include "scorer-dunning.h"

G_BEGIN_DECLS

typedef struct {
	const char *name;
	const char *description;	/* for explanations, English */
} DsFeature;

/* The columns, in order. */
const DsFeature *ds_scorer_features_list (guint *count);
guint ds_scorer_features_count (void);

/* "dunspool-features/2:amount,terms_days,...": what a model must match. */
const char *ds_scorer_features_schema (void);

typedef struct {
	char *schema;		/* the schema text of the columns */
	guint columns;
	guint rows;
	GArray *values;		/* float, rows x columns, row-major */
	GPtrArray *invoices;	/* const DsHistoryInvoice *, borrowed */
	GArray *as_of;		/* DsDate per row */
	const DsDunningHistory *dunning;	/* borrowed; NULL: none */
} DsFeatureMatrix;

/*
 * An empty matrix whose rows read their dunning columns from `dunning`
 * (loaded with known_on >= every row's as_of), or NULL when nothing was
 * ever sent.
 */
DsFeatureMatrix *ds_feature_matrix_new (const DsDunningHistory *dunning);
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
	const DsLedgerHistory *history, const DsDunningHistory *dunning,
	DsDate as_of);

G_END_DECLS

#endif
