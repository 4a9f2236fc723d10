/*
 * demo.h -- the main job on the bundled real ledger.
 *
 * The demo creates an instance in a directory, imports the bundled IBM
 * receivables ledger (data/ibm-ar) through the ibm-ar profile, replays
 * the daily cycle from 2012-01-01 to 2014-01-10 with the pickup e-mail
 * driver and print batches, and sums up what happened.  The scorer takes
 * over the decisions from the plain rules once the ledger holds enough
 * settled invoices to learn from (policy.h); the summary says when and
 * how often.  A directory the
 * demo made before (it leaves a .dunspool-demo mark) is replaced; any
 * other non-empty directory is refused.
 */
#ifndef DS_DEMO_H
#define DS_DEMO_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cycle.h"
#include "date.h"
#include "policy.h"

G_BEGIN_DECLS

typedef struct {
	gint64 invoices;
	gint64 payments;
	gint64 documents;
	gint64 by_channel[DS_CHANNEL_COUNT];
	gint64 batches;
	gint64 failures;
	gint64 action_required;
	gint64 disputed_skipped;
	double seconds;
	DsPolicyCounts scorer;	/* the next best action's decisions */
	DsDate model_trained_on;	/* the last model's cutoff; NONE */
} DsDemoSummary;

gboolean ds_demo_run (const char *directory, DsDate from, DsDate to,
		      DsDemoSummary *summary, GError **error);

void ds_demo_summary_print (const DsDemoSummary *summary, FILE *out);
JsonNode *ds_demo_summary_to_json (const DsDemoSummary *summary);

G_END_DECLS

#endif
