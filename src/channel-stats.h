/*
 * channel-stats.h -- `dunspool report channels`: what each channel
 * brought in, per segment, and the control group against the rest.
 *
 * Built from the policy's recorded decisions (policy.h), their
 * documents' attempts and the payments of their invoices as known on
 * the report's date.  For each group of decisions:
 *
 *   decisions    how many (for "wait": how many times it was chosen)
 *   delivered    the share whose document reached the customer (an
 *                attempt delivered, delivered-assumed or signed)
 *   paid 7/14/30 the share whose invoices were all paid within so many
 *                days of the decision, among the decisions at least so
 *                many days old
 *   median days  from the decision to the last payment, of the paid
 *   cost per unit the channel costs spent over the amount collected
 *                within 30 days (0.012: 1.2 cents per unit)
 *
 * XXX: amounts of several currencies are added as numbers.
 */
#ifndef DS_CHANNEL_STATS_H
#define DS_CHANNEL_STATS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "date.h"
#include "store.h"

G_BEGIN_DECLS

#define DS_CHANNEL_STATS_WINDOWS 3	/* 7, 14 and 30 days */

typedef struct {
	char *action;		/* channel name or "wait"; "all" */
	char *segment;		/* risk band; "control" or "policy" */
	gint64 decisions;
	gint64 delivered;
	gint64 matured[DS_CHANNEL_STATS_WINDOWS];
	gint64 paid[DS_CHANNEL_STATS_WINDOWS];
	double median_days;	/* NaN: none paid */
	gint64 cost;
	gint64 collected;	/* within 30 days */
} DsChannelStatsRow;

typedef struct {
	DsDate as_of;
	GPtrArray *rows;	/* per action and segment */
	GPtrArray *groups;	/* control against the rest */
} DsChannelStats;

void ds_channel_stats_free (DsChannelStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsChannelStats, ds_channel_stats_free)

extern const int ds_channel_stats_windows[DS_CHANNEL_STATS_WINDOWS];

DsChannelStats *ds_channel_stats_build (DsStore *store, DsDate as_of,
					GError **error);
void ds_channel_stats_print (const DsChannelStats *stats, FILE *out);
JsonNode *ds_channel_stats_to_json (const DsChannelStats *stats);

G_END_DECLS

#endif
