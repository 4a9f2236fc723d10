/*
 * interest.c -- statutory interest per rate period.  See interest.h.
 *
 * Computing interest is two steps: cut the days into rate periods after
 * the rule's fixing (periods_*), then price each period on its own and
 * round it (ds_interest_amount).  Keeping them apart is what lets a claim
 * print one line per period with the rate and its basis.
 */
#include "interest.h"

#include <string.h>

#include "ds-error.h"

#define DAY_BASIS 365
#define BP_PER_UNIT 10000

typedef struct {
	const char *jurisdiction;
	gboolean b2b;
	DsInterestRule rule;
} StatutoryRule;

static const StatutoryRule statutory_rules[] = {
	{ "DE", TRUE, { DS_RATE_FIXING_DAILY, DS_RATE_TABLE_DE_BASE,
			"base rate", 900, "§ 288 (2) BGB" } },
	{ "DE", FALSE, { DS_RATE_FIXING_DAILY, DS_RATE_TABLE_DE_BASE,
			 "base rate", 500, "§ 288 (1) BGB" } },
	{ "FR", TRUE, { DS_RATE_FIXING_HALF_YEAR, DS_RATE_TABLE_ECB,
			"ECB rate", 1000, "art. L441-10 Code de commerce" } },
	{ "GB", TRUE, { DS_RATE_FIXING_DEBT, DS_RATE_TABLE_BOE,
			"Bank Rate", 800, "Late Payment of Commercial Debts "
			"(Interest) Act 1998" } },
	{ "EU", TRUE, { DS_RATE_FIXING_HALF_YEAR, DS_RATE_TABLE_ECB,
			"ECB rate", 800, "directive 2011/7/EU" } },
	{ "CH", TRUE, { DS_RATE_FIXING_CONSTANT, NULL, NULL, 500,
			"art. 104 Code of Obligations" } },
	{ "CH", FALSE, { DS_RATE_FIXING_CONSTANT, NULL, NULL, 500,
			 "art. 104 Code of Obligations" } },
};

/* Euro-area countries with no rule of their own above: the EU floor. */
static const char *const euro_area[] = {
	"AT", "BE", "CY", "EE", "ES", "FI", "GR", "HR", "IE", "IT", "LT",
	"LU", "LV", "MT", "NL", "PT", "SI", "SK",
};

static const struct {
	const char *jurisdiction;
	const char *why;
} no_consumer_rate[] = {
	{ "FR", "the French rate of art. L441-10 applies between businesses "
		"only (the taux d'intérêt légal for consumers is not in "
		"the rate tables)" },
	{ "GB", "the Late Payment Act applies between businesses only" },
	{ "EU", "directive 2011/7/EU applies between businesses only" },
};

const char *
ds_interest_jurisdiction (const char *jurisdiction)
{
	if (g_strcmp0 (jurisdiction, "UK") == 0)
		return "GB";
	for (gsize i = 0; i < G_N_ELEMENTS (euro_area); i++)
		if (g_strcmp0 (jurisdiction, euro_area[i]) == 0)
			return "EU";
	return jurisdiction;
}

gboolean
ds_interest_rule_statutory (const char *jurisdiction, gboolean b2b,
			    DsInterestRule *rule, const char **why_none)
{
	const char *code = ds_interest_jurisdiction (jurisdiction);

	for (gsize i = 0; i < G_N_ELEMENTS (statutory_rules); i++) {
		if (g_strcmp0 (code, statutory_rules[i].jurisdiction) == 0 &&
		    b2b == statutory_rules[i].b2b) {
			*rule = statutory_rules[i].rule;
			return TRUE;
		}
	}
	for (gsize i = 0; i < G_N_ELEMENTS (no_consumer_rate); i++) {
		if (g_strcmp0 (code, no_consumer_rate[i].jurisdiction) == 0) {
			*why_none = no_consumer_rate[i].why;
			return FALSE;
		}
	}
	if (g_strcmp0 (code, "US") == 0)
		*why_none = "there is no statutory late-payment rate in the "
			    "US; only a configured contract rate applies";
	else
		*why_none = "dunspool knows no statutory late-payment rate "
			    "for this jurisdiction";
	return FALSE;
}

/*
 * § 288 (2) BGB was base rate + 8 points for claims from contracts made
 * before 29 July 2014 and is + 9 since (Art. 229 § 34 EGBGB); the old
 * rule is cited as "a. F." (alte Fassung).  The invoice's issue date
 * stands for the contract's.
 */
void
ds_interest_rule_for_invoice (DsInterestRule *rule, DsDate issue_date)
{
	if (g_strcmp0 (rule->table, DS_RATE_TABLE_DE_BASE) == 0 &&
	    rule->margin_bp == 900 &&
	    issue_date < ds_date_from_ymd (2014, 7, 29)) {
		rule->margin_bp = 800;
		rule->law = "§ 288 (2) BGB a. F.";
	}
}

void
ds_interest_rule_contract (DsInterestRule *rule, int rate_bp)
{
	rule->fixing = DS_RATE_FIXING_CONSTANT;
	rule->table = NULL;
	rule->reference = NULL;
	rule->margin_bp = rate_bp;
	rule->law = "contract rate";
}

/* "9 points", "8.5 points" */
static char *
points_text (int margin_bp)
{
	if (margin_bp % 100 == 0)
		return g_strdup_printf ("%d points", margin_bp / 100);
	return g_strdup_printf ("%d.%02d points", margin_bp / 100,
				ABS (margin_bp % 100));
}

char *
ds_interest_rule_describe (const DsInterestRule *rule)
{
	g_autofree char *points = points_text (rule->margin_bp);
	g_autofree char *rate = ds_rate_format (rule->margin_bp);
	static const char *const fixing_text[] = {
		[DS_RATE_FIXING_DAILY] = "as it changes",
		[DS_RATE_FIXING_HALF_YEAR] = "in force on 1 January and "
					     "1 July, per half-year",
		[DS_RATE_FIXING_DEBT] = "in force on the 31 December or "
					"30 June before the debt fell "
					"overdue, for its whole life",
	};

	if (rule->fixing == DS_RATE_FIXING_CONSTANT)
		return g_strdup_printf ("%s: %s a year, %s, %s", rule->law,
					rate, DS_INTEREST_DAY_COUNT,
					DS_INTEREST_ROUNDING);
	return g_strdup_printf ("%s: %s + %s, the %s %s; %s, %s", rule->law,
				rule->reference, points, rule->reference,
				fixing_text[rule->fixing],
				DS_INTEREST_DAY_COUNT, DS_INTEREST_ROUNDING);
}

void
ds_interest_line_free (DsInterestLine *line)
{
	if (line == NULL)
		return;
	g_free (line->basis);
	g_free (line);
}

gboolean
ds_interest_amount (gint64 principal, int rate_bp, int days,
		    gint64 *amount, GError **error)
{
	const guint64 divisor = (guint64) DAY_BASIS * BP_PER_UNIT;
	guint64 product;

	g_return_val_if_fail (principal >= 0 && rate_bp >= 0 && days >= 0,
			      FALSE);

	if (!g_uint64_checked_mul (&product, (guint64) principal,
				   (guint64) rate_bp) ||
	    !g_uint64_checked_mul (&product, product, (guint64) days) ||
	    product > G_MAXUINT64 - divisor / 2) {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "interest on %" G_GINT64_FORMAT " minor units "
			     "over %d days is too large to compute",
			     principal, days);
		return FALSE;
	}
	*amount = (gint64) ((product + divisor / 2) / divisor);
	return TRUE;
}

/* A run of days with one rate, before it is priced. */
typedef struct {
	DsDate from;
	DsDate to;
	int reference_bp;
	DsDate fixed_on;		/* the day the reference was read */
	gboolean unchecked;
} Period;

static DsDate
half_year_start (DsDate date)
{
	int year, month, day;

	ds_date_to_ymd (date, &year, &month, &day);
	return ds_date_from_ymd (year, month <= 6 ? 1 : 7, 1);
}

static DsDate
half_year_end (DsDate date)
{
	int year, month, day;

	ds_date_to_ymd (date, &year, &month, &day);
	return month <= 6 ? ds_date_from_ymd (year, 6, 30) :
			    ds_date_from_ymd (year, 12, 31);
}

/* The GB reference day: 31 December or 30 June before the overdue day. */
static DsDate
debt_reference_day (DsDate overdue_since)
{
	int year, month, day;

	ds_date_to_ymd (overdue_since, &year, &month, &day);
	return month <= 6 ? ds_date_from_ymd (year - 1, 12, 31) :
			    ds_date_from_ymd (year, 6, 30);
}

static gboolean
past_checked (const DsRateTable *table, DsDate date)
{
	DsDate checked = ds_rate_table_checked_through (table);

	return checked != DS_DATE_NONE && date > checked;
}

/*
 * The end of the period that starts on `from` and the day its reference
 * is read, after the rule's fixing.
 */
static void
period_bounds (const DsInterestRule *rule, const DsRateTable *table,
	       DsDate overdue_since, DsDate from, DsDate to,
	       DsDate *end, DsDate *fixed_on)
{
	DsDate next;

	*end = to;
	switch (rule->fixing) {
	case DS_RATE_FIXING_DAILY:
		*fixed_on = from;
		next = ds_rate_table_next_change (table, from);
		if (next != DS_DATE_NONE && next - 1 < to)
			*end = next - 1;
		break;
	case DS_RATE_FIXING_HALF_YEAR:
		*fixed_on = half_year_start (from);
		*end = MIN (to, half_year_end (from));
		break;
	case DS_RATE_FIXING_DEBT:
		*fixed_on = debt_reference_day (overdue_since);
		break;
	case DS_RATE_FIXING_CONSTANT:
	default:
		*fixed_on = from;
		break;
	}
}

static void
append_period (GArray *periods, const Period *period)
{
	Period *last = periods->len == 0 ? NULL :
		&g_array_index (periods, Period, periods->len - 1);

	if (last != NULL && last->reference_bp == period->reference_bp &&
	    last->to + 1 == period->from) {
		last->to = period->to;
		last->unchecked |= period->unchecked;
		return;
	}
	g_array_append_val (periods, *period);
}

/* Cut `from` .. `to` into runs of one reference rate. */
static GArray *
rate_periods (const DsInterestRule *rule, const DsRateTables *tables,
	      DsDate overdue_since, DsDate from, DsDate to, GError **error)
{
	g_autoptr (GArray) periods = g_array_new (FALSE, FALSE,
						  sizeof (Period));
	const DsRateTable *table = NULL;

	if (rule->fixing != DS_RATE_FIXING_CONSTANT) {
		table = ds_rate_tables_get (tables, rule->table, error);
		if (table == NULL)
			return NULL;
	}
	while (from <= to) {
		Period period = { .from = from, .reference_bp = 0 };

		period_bounds (rule, table, overdue_since, from, to,
			       &period.to, &period.fixed_on);
		if (table != NULL) {
			if (!ds_rate_table_at (table, period.fixed_on,
					       &period.reference_bp, error))
				return NULL;
			period.unchecked = past_checked (
				table, rule->fixing == DS_RATE_FIXING_DAILY ?
				period.to : period.fixed_on);
		}
		append_period (periods, &period);
		from = period.to + 1;
	}
	return g_steal_pointer (&periods);
}

static char *
period_basis (const DsInterestRule *rule, const Period *period)
{
	g_autofree char *reference = ds_rate_format (period->reference_bp);
	g_autofree char *points = points_text (rule->margin_bp);
	g_autofree char *rate = ds_rate_format (rule->margin_bp);
	char fixed_on[DS_DATE_ISO_LEN];

	ds_date_format_iso (period->fixed_on, fixed_on);
	switch (rule->fixing) {
	case DS_RATE_FIXING_DAILY:
		return g_strdup_printf ("%s %s + %s (%s)", rule->reference,
					reference, points, rule->law);
	case DS_RATE_FIXING_HALF_YEAR:
	case DS_RATE_FIXING_DEBT:
		return g_strdup_printf ("%s %s on %s + %s (%s)",
					rule->reference, reference, fixed_on,
					points, rule->law);
	case DS_RATE_FIXING_CONSTANT:
	default:
		return g_strdup_printf ("%s (%s)", rate, rule->law);
	}
}

GPtrArray *
ds_interest_compute (const DsInterestRule *rule, const DsRateTables *tables,
		     gint64 principal, DsDate overdue_since, DsDate from,
		     DsDate to, GError **error)
{
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_interest_line_free);
	g_autoptr (GArray) periods = NULL;

	if (from > to)
		return g_steal_pointer (&lines);
	periods = rate_periods (rule, tables, overdue_since, from, to, error);
	if (periods == NULL)
		return NULL;

	for (guint i = 0; i < periods->len; i++) {
		const Period *period = &g_array_index (periods, Period, i);
		g_autoptr (DsInterestLine) line = g_new0 (DsInterestLine, 1);

		line->from = period->from;
		line->to = period->to;
		line->days = (int) (period->to - period->from) + 1;
		/* A statutory rate below zero is not charged at all. */
		line->rate_bp = MAX (0, period->reference_bp +
					rule->margin_bp);
		line->principal = principal;
		line->basis = period_basis (rule, period);
		line->unchecked = period->unchecked;
		if (!ds_interest_amount (principal, line->rate_bp,
					 line->days, &line->amount, error))
			return NULL;
		g_ptr_array_add (lines, g_steal_pointer (&line));
	}
	return g_steal_pointer (&lines);
}
