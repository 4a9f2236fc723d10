/*
 * interest.h -- statutory late-payment interest, per rate period.
 *
 * This module knows which rate the law of a jurisdiction sets for late
 * payment, how that rate is fixed over time, and how much interest a
 * principal earns over a run of days.  It reads rates from the tables of
 * rates.h and touches nothing else: no ledger, no database, no clock.
 *
 * The rules (DS_INTEREST_* below):
 *   DE  § 288 BGB: base rate (§ 247) + 9 points between businesses,
 *       + 5 points with consumers; the base rate of each day, so a
 *       change on 1 January or 1 July splits the period.
 *   FR  art. L441-10 Code de commerce: ECB rate + 10 points, the ECB rate
 *       in force on 1 January for the first half-year and on 1 July for
 *       the second.  Businesses only.
 *   EU  directive 2011/7/EU floor for euro-area countries without a rule
 *       of their own here: ECB rate + 8 points, fixed per half-year as in
 *       France.  Businesses only.
 *   GB  Late Payment of Commercial Debts (Interest) Act 1998: Bank Rate +
 *       8 points, the Bank Rate in force on 31 December (debts falling
 *       overdue January to June) or 30 June (July to December), fixed for
 *       the whole life of the debt.  Businesses only.
 *   CH  art. 104 Code of Obligations: 5% a year.
 *   US  no statutory rate: only a contract rate from the configuration.
 *
 * Day count and rounding (the only ones used anywhere in dunspool):
 * interest runs from the day after the due date through the calculation
 * date, both days counted; act/365, that is annual rate / 365 per day in
 * every year, leap years included; each rate period's amount is rounded
 * half-up to the minor unit, and the rounded amounts are summed.  Rates
 * are integer basis points and amounts integer minor units: the amount
 * of a period is (principal x rate_bp x days + 1,825,000) / 3,650,000 in
 * 64-bit integers, checked for overflow.  A period is a run of days with
 * one rate; two half-years with the same rate make one period.
 */
#ifndef DS_INTEREST_H
#define DS_INTEREST_H

#include <glib.h>

#include "date.h"
#include "rates.h"

G_BEGIN_DECLS

#define DS_INTEREST_DAY_COUNT "act/365"
#define DS_INTEREST_ROUNDING \
	"each period rounded half-up to the cent, then summed"

typedef enum {
	DS_RATE_FIXING_DAILY,		/* the reference of each day (DE) */
	DS_RATE_FIXING_HALF_YEAR,	/* on 1 Jan / 1 Jul (FR, EU) */
	DS_RATE_FIXING_DEBT,		/* on 31 Dec / 30 Jun before, for the
					   life of the debt (GB) */
	DS_RATE_FIXING_CONSTANT,	/* one rate (CH, a contract) */
} DsRateFixing;

typedef struct {
	DsRateFixing fixing;
	const char *table;		/* rate table; NULL for CONSTANT */
	const char *reference;		/* "base rate", "ECB rate", ... */
	int margin_bp;			/* points over the reference; the
					   whole rate for CONSTANT */
	const char *law;		/* "§ 288 (2) BGB" */
} DsInterestRule;

/*
 * The statutory rule of a jurisdiction (ISO country code, "UK" for GB,
 * "EU" for the directive floor) for a business or a consumer debtor.
 * FALSE when the law sets none, with the reason in *why_none (static).
 */
/* The statutory rule as it stood for an invoice issued on that day. */
void ds_interest_rule_for_invoice (DsInterestRule *rule, DsDate issue_date);

gboolean ds_interest_rule_statutory (const char *jurisdiction, gboolean b2b,
				     DsInterestRule *rule,
				     const char **why_none);

/*
 * The code the rules are kept under: "GB" for "UK", "EU" for a euro-area
 * country without a rule of its own here, else the code as given.
 */
const char *ds_interest_jurisdiction (const char *jurisdiction);

/* A fixed contract rate, for jurisdictions without a statutory one. */
void ds_interest_rule_contract (DsInterestRule *rule, int rate_bp);

/* "§ 288 (2) BGB: base rate + 9 points" */
char *ds_interest_rule_describe (const DsInterestRule *rule);

typedef struct {
	DsDate from;			/* first day, inclusive */
	DsDate to;			/* last day, inclusive */
	int days;
	int rate_bp;
	gint64 principal;		/* minor units */
	gint64 amount;			/* minor units, rounded half-up */
	char *basis;			/* "base rate 3.62% + 9 points
					   (§ 288 (2) BGB)" */
	gboolean unchecked;		/* rate table not known this far */
} DsInterestLine;

void ds_interest_line_free (DsInterestLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsInterestLine, ds_interest_line_free)

/* principal x rate x days / 365, rounded half-up; FALSE on overflow. */
gboolean ds_interest_amount (gint64 principal, int rate_bp, int days,
			     gint64 *amount, GError **error);

/*
 * Interest on a constant principal for the days `from` through `to`, one
 * DsInterestLine per rate period, in order.  `overdue_since` is the first
 * day the debt was overdue (due date + 1): the GB rule fixes its rate by
 * it.  An empty array when `from` is after `to`.  NULL with
 * DS_ERROR_CONFIG when a table is missing or has no rate that early.
 */
GPtrArray *ds_interest_compute (const DsInterestRule *rule,
				const DsRateTables *tables, gint64 principal,
				DsDate overdue_since, DsDate from, DsDate to,
				GError **error);

G_END_DECLS

#endif
