/*
 * scorer-features.c -- feature rows as of a date.  See scorer-features.h.
 *
 * A row is computed from the invoice and from its customer's other
 * invoices, each of which is looked at through the ledger-history "as of"
 * functions only: settled before D, open on D, disputed on D; and from
 * the dunning history's "as of" answers (scorer-dunning.c).  That is the
 * whole of the leakage rule, and it lives in those two files.
 */
#include "scorer-features.h"

#include <math.h>
#include <string.h>

#include "money.h"

#define DS_SCORER_FEATURES_VERSION 2
#define RECENT_SETTLED 3	/* "recent" is the last three settled */
#define RECENT_LATE 5		/* the recent late ratio: last five */
#define NEW_INVOICE_DAYS 30	/* invoices issued within this window */

enum {
	FEATURE_AMOUNT,
	FEATURE_TERMS_DAYS,
	FEATURE_ELECTRONIC,
	FEATURE_DISPUTED,
	FEATURE_ISSUE_WEEKDAY,
	FEATURE_ISSUE_MONTHDAY,
	FEATURE_DUE_WEEKDAY,
	FEATURE_DUE_MONTHDAY,
	FEATURE_AGE_DAYS,
	FEATURE_DAYS_TO_DUE,
	FEATURE_HISTORY_COUNT,
	FEATURE_HISTORY_LATE_COUNT,
	FEATURE_HISTORY_LATE_RATIO,
	FEATURE_HISTORY_MEAN_DAYS_LATE,
	FEATURE_HISTORY_MEDIAN_DAYS_LATE,
	FEATURE_HISTORY_MEAN_DELAY,
	FEATURE_HISTORY_MEDIAN_DELAY,
	FEATURE_HISTORY_MEAN_DAYS_TO_SETTLE,
	FEATURE_HISTORY_MEDIAN_DAYS_TO_SETTLE,
	FEATURE_HISTORY_SD_DAYS_TO_SETTLE,
	FEATURE_RECENT_MEAN_DAYS_TO_SETTLE,
	FEATURE_RECENT_MEAN_DELAY,
	FEATURE_RECENT_LATE_RATIO,
	FEATURE_TREND_DAYS_TO_SETTLE,
	FEATURE_LAST_DAYS_TO_SETTLE,
	FEATURE_DAYS_SINCE_LAST_PAYMENT,
	FEATURE_TENURE_DAYS,
	FEATURE_HISTORY_DISPUTED_RATIO,
	FEATURE_DISPUTED_MEAN_DAYS_TO_SETTLE,
	FEATURE_UNDISPUTED_MEAN_DAYS_TO_SETTLE,
	FEATURE_SAME_BILLING_COUNT,
	FEATURE_SAME_BILLING_MEAN_DAYS_TO_SETTLE,
	FEATURE_SIMILAR_COUNT,
	FEATURE_SIMILAR_MEAN_DAYS_TO_SETTLE,
	FEATURE_SIMILAR_RECENT_DAYS_TO_SETTLE,
	FEATURE_AMOUNT_RATIO,
	FEATURE_PAYMENT_MODAL_WEEKDAY,
	FEATURE_PAYMENT_WEEKDAY_SHARE,
	FEATURE_OPEN_COUNT,
	FEATURE_OPEN_AMOUNT,
	FEATURE_OVERDUE_COUNT,
	FEATURE_OVERDUE_AMOUNT,
	FEATURE_OLDEST_OVERDUE_DAYS,
	FEATURE_NEW_INVOICES,
	FEATURE_COUNTRY_DE,
	FEATURE_COUNTRY_FR,
	FEATURE_COUNTRY_GB,
	FEATURE_COUNTRY_US,
	FEATURE_COUNTRY_CH,
	FEATURE_DUNNING_EMAIL,
	FEATURE_DUNNING_LETTER,
	FEATURE_DUNNING_REGISTERED,
	FEATURE_DUNNING_FAX,
	FEATURE_DAYS_SINCE_LAST_ACTION,
	FEATURE_LAST_DELIVERY_OUTCOME,
	FEATURE_CUSTOMER_DUNNING_EMAIL,
	FEATURE_CUSTOMER_DUNNING_LETTER,
	FEATURE_CUSTOMER_DUNNING_REGISTERED,
	FEATURE_CUSTOMER_DUNNING_FAX,
	FEATURE_CUSTOMER_DAYS_SINCE_LAST_ACTION,
	FEATURE_CUSTOMER_LAST_DELIVERY_OUTCOME,
	FEATURE_PROMISES_KEPT,
	FEATURE_PROMISES_BROKEN,
	FEATURE_COUNT
};

static const DsFeature features[FEATURE_COUNT] = {
	[FEATURE_AMOUNT] = { "amount", "invoice amount" },
	[FEATURE_TERMS_DAYS] = { "terms_days", "payment terms in days" },
	[FEATURE_ELECTRONIC] = { "electronic", "billed electronically" },
	[FEATURE_DISPUTED] = { "disputed", "under dispute" },
	[FEATURE_ISSUE_WEEKDAY] = { "issue_weekday",
				    "weekday of issue (1 = Monday)" },
	[FEATURE_ISSUE_MONTHDAY] = { "issue_monthday",
				     "day of month of issue" },
	[FEATURE_DUE_WEEKDAY] = { "due_weekday",
				  "weekday of the due date" },
	[FEATURE_DUE_MONTHDAY] = { "due_monthday",
				   "day of month of the due date" },
	[FEATURE_AGE_DAYS] = { "age_days", "days since issue" },
	[FEATURE_DAYS_TO_DUE] = { "days_to_due",
				  "days until due (negative: overdue)" },
	[FEATURE_HISTORY_COUNT] = { "history_count",
				    "invoices the customer has paid" },
	[FEATURE_HISTORY_LATE_COUNT] = { "history_late_count",
					 "invoices the customer paid late" },
	[FEATURE_HISTORY_LATE_RATIO] = { "history_late_ratio",
					 "share of invoices paid late" },
	[FEATURE_HISTORY_MEAN_DAYS_LATE] = { "history_mean_days_late",
					     "mean days paid after due" },
	[FEATURE_HISTORY_MEDIAN_DAYS_LATE] = { "history_median_days_late",
					       "median days paid after due" },
	[FEATURE_HISTORY_MEAN_DELAY] = { "history_mean_delay",
		"mean days between due date and payment" },
	[FEATURE_HISTORY_MEDIAN_DELAY] = { "history_median_delay",
		"median days between due date and payment" },
	[FEATURE_HISTORY_MEAN_DAYS_TO_SETTLE] = {
		"history_mean_days_to_settle", "mean days to pay" },
	[FEATURE_HISTORY_MEDIAN_DAYS_TO_SETTLE] = {
		"history_median_days_to_settle", "median days to pay" },
	[FEATURE_HISTORY_SD_DAYS_TO_SETTLE] = {
		"history_sd_days_to_settle",
		"spread (standard deviation) of days to pay" },
	[FEATURE_RECENT_MEAN_DAYS_TO_SETTLE] = {
		"recent_mean_days_to_settle",
		"mean days to pay, last three invoices" },
	[FEATURE_RECENT_MEAN_DELAY] = { "recent_mean_delay",
		"mean days after due, last three invoices" },
	[FEATURE_RECENT_LATE_RATIO] = { "recent_late_ratio",
		"share paid late, last five invoices" },
	[FEATURE_TREND_DAYS_TO_SETTLE] = { "trend_days_to_settle",
		"recent minus overall mean days to pay" },
	[FEATURE_LAST_DAYS_TO_SETTLE] = { "last_days_to_settle",
		"days to pay of the last invoice paid" },
	[FEATURE_DAYS_SINCE_LAST_PAYMENT] = { "days_since_last_payment",
		"days since the customer last paid an invoice" },
	[FEATURE_TENURE_DAYS] = { "tenure_days",
		"days since the customer's first invoice" },
	[FEATURE_HISTORY_DISPUTED_RATIO] = { "history_disputed_ratio",
		"share of paid invoices that were disputed" },
	[FEATURE_DISPUTED_MEAN_DAYS_TO_SETTLE] = {
		"disputed_mean_days_to_settle",
		"mean days to pay disputed invoices" },
	[FEATURE_UNDISPUTED_MEAN_DAYS_TO_SETTLE] = {
		"undisputed_mean_days_to_settle",
		"mean days to pay undisputed invoices" },
	[FEATURE_SAME_BILLING_COUNT] = { "same_billing_count",
		"paid invoices billed the same way (paper, electronic)" },
	[FEATURE_SAME_BILLING_MEAN_DAYS_TO_SETTLE] = {
		"same_billing_mean_days_to_settle",
		"mean days to pay invoices billed the same way" },
	[FEATURE_SIMILAR_COUNT] = { "similar_count",
		"paid invoices billed the same way and alike in dispute" },
	[FEATURE_SIMILAR_MEAN_DAYS_TO_SETTLE] = {
		"similar_mean_days_to_settle",
		"mean days to pay those similar invoices" },
	[FEATURE_SIMILAR_RECENT_DAYS_TO_SETTLE] = {
		"similar_recent_days_to_settle",
		"mean days to pay the last three similar invoices" },
	[FEATURE_AMOUNT_RATIO] = { "amount_ratio",
		"amount against the customer's mean invoice" },
	[FEATURE_PAYMENT_MODAL_WEEKDAY] = { "payment_modal_weekday",
		"weekday the customer pays on most" },
	[FEATURE_PAYMENT_WEEKDAY_SHARE] = { "payment_weekday_share",
		"share of payments made on that weekday" },
	[FEATURE_OPEN_COUNT] = { "open_count",
				 "other invoices open" },
	[FEATURE_OPEN_AMOUNT] = { "open_amount",
				  "amount of other invoices open" },
	[FEATURE_OVERDUE_COUNT] = { "overdue_count",
				    "other invoices overdue" },
	[FEATURE_OVERDUE_AMOUNT] = { "overdue_amount",
				     "amount of other invoices overdue" },
	[FEATURE_OLDEST_OVERDUE_DAYS] = { "oldest_overdue_days",
		"days overdue of the oldest overdue invoice" },
	[FEATURE_NEW_INVOICES] = { "new_invoices",
		"other invoices issued in the last 30 days" },
	[FEATURE_COUNTRY_DE] = { "country_de", "customer in Germany" },
	[FEATURE_COUNTRY_FR] = { "country_fr", "customer in France" },
	[FEATURE_COUNTRY_GB] = { "country_gb",
				 "customer in the United Kingdom" },
	[FEATURE_COUNTRY_US] = { "country_us",
				 "customer in the United States" },
	[FEATURE_COUNTRY_CH] = { "country_ch", "customer in Switzerland" },
	[FEATURE_DUNNING_EMAIL] = { "dunning_email",
		"e-mails sent about this invoice" },
	[FEATURE_DUNNING_LETTER] = { "dunning_letter",
		"letters sent about this invoice" },
	[FEATURE_DUNNING_REGISTERED] = { "dunning_registered",
		"registered letters sent about this invoice" },
	[FEATURE_DUNNING_FAX] = { "dunning_fax",
		"faxes sent about this invoice" },
	[FEATURE_DAYS_SINCE_LAST_ACTION] = { "days_since_last_action",
		"days since the last document about this invoice" },
	[FEATURE_LAST_DELIVERY_OUTCOME] = { "last_delivery_outcome",
		"last delivery outcome for this invoice (0 unknown, "
		"1 delivered, 2 bounced, 3 returned)" },
	[FEATURE_CUSTOMER_DUNNING_EMAIL] = { "customer_dunning_email",
		"e-mails sent to the customer" },
	[FEATURE_CUSTOMER_DUNNING_LETTER] = { "customer_dunning_letter",
		"letters sent to the customer" },
	[FEATURE_CUSTOMER_DUNNING_REGISTERED] = {
		"customer_dunning_registered",
		"registered letters sent to the customer" },
	[FEATURE_CUSTOMER_DUNNING_FAX] = { "customer_dunning_fax",
		"faxes sent to the customer" },
	[FEATURE_CUSTOMER_DAYS_SINCE_LAST_ACTION] = {
		"customer_days_since_last_action",
		"days since the last document to the customer" },
	[FEATURE_CUSTOMER_LAST_DELIVERY_OUTCOME] = {
		"customer_last_delivery_outcome",
		"last delivery outcome for the customer (0 unknown, "
		"1 delivered, 2 bounced, 3 returned)" },
	[FEATURE_PROMISES_KEPT] = { "promises_kept",
		"promises to pay the customer kept" },
	[FEATURE_PROMISES_BROKEN] = { "promises_broken",
		"promises to pay the customer broke" },
};

/* One of the customer's invoices paid before D, as the history saw it. */
typedef struct {
	DsDate issue;
	DsDate due;
	DsDate settled;
	double amount;
	gboolean disputed;
	DsBilling billing;
} PastInvoice;

const DsFeature *
ds_scorer_features_list (guint *count)
{
	if (count != NULL)
		*count = FEATURE_COUNT;
	return features;
}

guint
ds_scorer_features_count (void)
{
	return FEATURE_COUNT;
}

const char *
ds_scorer_features_schema (void)
{
	static gsize schema;

	if (g_once_init_enter (&schema)) {
		GString *text = g_string_new (NULL);

		g_string_printf (text, "dunspool-features/%d:",
				 DS_SCORER_FEATURES_VERSION);
		for (guint i = 0; i < FEATURE_COUNT; i++)
			g_string_append_printf (text, "%s%s", i ? "," : "",
						features[i].name);
		g_once_init_leave (&schema,
				   (gsize) g_string_free (text, FALSE));
	}
	return (const char *) schema;
}

DsFeatureMatrix *
ds_feature_matrix_new (const DsDunningHistory *dunning)
{
	DsFeatureMatrix *matrix = g_new0 (DsFeatureMatrix, 1);

	matrix->dunning = dunning;
	matrix->schema = g_strdup (ds_scorer_features_schema ());
	matrix->columns = FEATURE_COUNT;
	matrix->values = g_array_new (FALSE, FALSE, sizeof (float));
	matrix->invoices = g_ptr_array_new ();
	matrix->as_of = g_array_new (FALSE, FALSE, sizeof (DsDate));
	return matrix;
}

void
ds_feature_matrix_free (DsFeatureMatrix *matrix)
{
	if (matrix == NULL)
		return;
	g_free (matrix->schema);
	g_array_unref (matrix->values);
	g_ptr_array_unref (matrix->invoices);
	g_array_unref (matrix->as_of);
	g_free (matrix);
}

const float *
ds_feature_matrix_row (const DsFeatureMatrix *matrix, guint row)
{
	g_return_val_if_fail (row < matrix->rows, NULL);
	return &g_array_index (matrix->values, float,
			       (gsize) row * matrix->columns);
}

static double
major_units (gint64 minor, const char *currency)
{
	return (double) minor / pow (10, ds_currency_exponent (currency));
}

static int
weekday (DsDate date)
{
	GDate day;

	g_date_clear (&day, 1);
	g_date_set_julian (&day, date);
	return g_date_get_weekday (&day);
}

static int
monthday (DsDate date)
{
	GDate day;

	g_date_clear (&day, 1);
	g_date_set_julian (&day, date);
	return g_date_get_day (&day);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
	double left = *(const double *) a, right = *(const double *) b;

	return (left > right) - (left < right);
}

static double
mean (const double *values, guint count)
{
	double sum = 0;

	if (count == 0)
		return NAN;
	for (guint i = 0; i < count; i++)
		sum += values[i];
	return sum / count;
}

static double
median (const double *values, guint count)
{
	g_autofree double *sorted = NULL;

	if (count == 0)
		return NAN;
	sorted = g_memdup2 (values, count * sizeof (double));
	qsort (sorted, count, sizeof (double), compare_double);
	if (count % 2 == 1)
		return sorted[count / 2];
	return (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

static double
standard_deviation (const double *values, guint count)
{
	double centre = mean (values, count), sum = 0;

	if (count < 2)
		return NAN;
	for (guint i = 0; i < count; i++)
		sum += (values[i] - centre) * (values[i] - centre);
	return sqrt (sum / (count - 1));
}

/* Paid invoices in the order they were paid; ties by issue date. */
static int
compare_by_settled (gconstpointer a, gconstpointer b)
{
	const PastInvoice *left = a, *right = b;

	if (left->settled != right->settled)
		return left->settled < right->settled ? -1 : 1;
	if (left->issue != right->issue)
		return left->issue < right->issue ? -1 : 1;
	return 0;
}

/*
 * The customer's invoices paid before `as_of`, other than `invoice`,
 * sorted by payment date.  g_array_sort is stable, so invoices paid and
 * issued on the same days keep list order: issue date, then id.
 */
static GArray *
past_invoices (const DsHistoryInvoice *invoice, DsDate as_of)
{
	GPtrArray *all = invoice->customer->invoices;
	GArray *past = g_array_new (FALSE, FALSE, sizeof (PastInvoice));

	for (guint i = 0; i < all->len; i++) {
		const DsHistoryInvoice *other = g_ptr_array_index (all, i);
		PastInvoice entry;

		if (other == invoice || other->issue_date > as_of)
			continue;
		entry.settled = ds_history_invoice_settled (other, as_of);
		if (entry.settled == DS_DATE_NONE)
			continue;
		entry.issue = other->issue_date;
		entry.due = other->due_date;
		entry.amount = major_units (other->amount, other->currency);
		entry.disputed = other->dispute_opened != DS_DATE_NONE &&
				 other->dispute_opened <= as_of;
		entry.billing = other->billing;
		g_array_append_val (past, entry);
	}
	g_array_sort (past, compare_by_settled);
	return past;
}

/*
 * Customers who move from paper to electronic bills pay faster from then
 * on, and disputed invoices take longer: the history of invoices like
 * this one says more than the history of all of them.
 */
static void
add_similar (float *row, const DsHistoryInvoice *invoice, DsDate as_of,
	     const GArray *past)
{
	gboolean disputed = ds_history_invoice_disputed (invoice, as_of);
	guint same = 0, similar = 0;
	double same_sum = 0, similar_sum = 0, recent_sum = 0;
	guint recent = 0;

	for (guint i = past->len; i-- > 0;) {
		const PastInvoice *entry = &g_array_index (past, PastInvoice,
							   i);
		double days = (double) entry->settled - entry->issue;

		if (entry->billing != invoice->billing)
			continue;
		same++;
		same_sum += days;
		if (entry->disputed != disputed)
			continue;
		similar++;
		similar_sum += days;
		if (recent < RECENT_SETTLED) {
			recent++;
			recent_sum += days;
		}
	}
	row[FEATURE_SAME_BILLING_COUNT] = same;
	row[FEATURE_SAME_BILLING_MEAN_DAYS_TO_SETTLE] = same ?
		same_sum / same : NAN;
	row[FEATURE_SIMILAR_COUNT] = similar;
	row[FEATURE_SIMILAR_MEAN_DAYS_TO_SETTLE] = similar ?
		similar_sum / similar : NAN;
	row[FEATURE_SIMILAR_RECENT_DAYS_TO_SETTLE] = recent ?
		recent_sum / recent : NAN;
}

static void
add_history (float *row, const DsHistoryInvoice *invoice, DsDate as_of)
{
	g_autoptr (GArray) past = past_invoices (invoice, as_of);
	guint count = past->len, late = 0, disputed = 0, recent_late = 0;
	g_autofree double *to_settle = g_new (double, count + 1);
	g_autofree double *delay = g_new (double, count + 1);
	g_autofree double *days_late = g_new (double, count + 1);
	g_autofree double *amounts = g_new (double, count + 1);
	double disputed_sum = 0, undisputed_sum = 0;
	guint weekdays[8] = { 0 };
	guint modal = 0;

	for (guint i = 0; i < count; i++) {
		const PastInvoice *entry = &g_array_index (past, PastInvoice,
							   i);

		to_settle[i] = (double) entry->settled - entry->issue;
		delay[i] = (double) entry->settled - entry->due;
		days_late[i] = MAX (delay[i], 0);
		amounts[i] = entry->amount;
		late += entry->settled > entry->due;
		if (i + RECENT_LATE >= count)
			recent_late += entry->settled > entry->due;
		disputed += entry->disputed;
		if (entry->disputed)
			disputed_sum += to_settle[i];
		else
			undisputed_sum += to_settle[i];
		weekdays[weekday (entry->settled)]++;
	}
	for (guint day = 1; day <= 7; day++)
		if (weekdays[day] > weekdays[modal])
			modal = day;

	row[FEATURE_HISTORY_COUNT] = count;
	row[FEATURE_HISTORY_LATE_COUNT] = late;
	row[FEATURE_HISTORY_LATE_RATIO] = count ? (double) late / count : NAN;
	row[FEATURE_HISTORY_MEAN_DAYS_LATE] = mean (days_late, count);
	row[FEATURE_HISTORY_MEDIAN_DAYS_LATE] = median (days_late, count);
	row[FEATURE_HISTORY_MEAN_DELAY] = mean (delay, count);
	row[FEATURE_HISTORY_MEDIAN_DELAY] = median (delay, count);
	row[FEATURE_HISTORY_MEAN_DAYS_TO_SETTLE] = mean (to_settle, count);
	row[FEATURE_HISTORY_MEDIAN_DAYS_TO_SETTLE] = median (to_settle,
							     count);
	row[FEATURE_HISTORY_SD_DAYS_TO_SETTLE] = standard_deviation (
		to_settle, count);

	{
		guint recent = MIN (count, RECENT_SETTLED);
		guint recent_rate = MIN (count, RECENT_LATE);
		double recent_mean = mean (to_settle + count - recent,
					   recent);

		row[FEATURE_RECENT_MEAN_DAYS_TO_SETTLE] = recent_mean;
		row[FEATURE_RECENT_MEAN_DELAY] = mean (delay + count - recent,
						       recent);
		row[FEATURE_RECENT_LATE_RATIO] = recent_rate ?
			(double) recent_late / recent_rate : NAN;
		row[FEATURE_TREND_DAYS_TO_SETTLE] =
			recent_mean - mean (to_settle, count);
	}

	row[FEATURE_LAST_DAYS_TO_SETTLE] = count ? to_settle[count - 1] : NAN;
	row[FEATURE_DAYS_SINCE_LAST_PAYMENT] = count ? (double) as_of -
		g_array_index (past, PastInvoice, count - 1).settled : NAN;
	row[FEATURE_HISTORY_DISPUTED_RATIO] = count ?
		(double) disputed / count : NAN;
	row[FEATURE_DISPUTED_MEAN_DAYS_TO_SETTLE] = disputed ?
		disputed_sum / disputed : NAN;
	row[FEATURE_UNDISPUTED_MEAN_DAYS_TO_SETTLE] = count > disputed ?
		undisputed_sum / (count - disputed) : NAN;
	row[FEATURE_AMOUNT_RATIO] = count ? major_units (invoice->amount,
		invoice->currency) / mean (amounts, count) : NAN;
	row[FEATURE_PAYMENT_MODAL_WEEKDAY] = count ? modal : NAN;
	row[FEATURE_PAYMENT_WEEKDAY_SHARE] = count ?
		(double) weekdays[modal] / count : NAN;
	add_similar (row, invoice, as_of, past);
}

/* The customer's other invoices known on `as_of`: open, overdue, new. */
static void
add_exposure (float *row, const DsHistoryInvoice *invoice, DsDate as_of)
{
	GPtrArray *all = invoice->customer->invoices;
	guint open = 0, overdue = 0, recent = 0;
	double open_amount = 0, overdue_amount = 0, oldest = 0;
	DsDate first = invoice->issue_date;

	for (guint i = 0; i < all->len; i++) {
		const DsHistoryInvoice *other = g_ptr_array_index (all, i);
		double amount;

		if (other->issue_date > as_of)
			continue;
		first = MIN (first, other->issue_date);
		if (other == invoice)
			continue;
		if (other->issue_date + NEW_INVOICE_DAYS > as_of)
			recent++;
		if (!ds_history_invoice_open (other, as_of))
			continue;
		amount = major_units (other->amount -
				      ds_history_invoice_paid (other, as_of),
				      other->currency);
		open++;
		open_amount += amount;
		if (other->due_date < as_of) {
			overdue++;
			overdue_amount += amount;
			oldest = MAX (oldest,
				      (double) as_of - other->due_date);
		}
	}
	row[FEATURE_OPEN_COUNT] = open;
	row[FEATURE_OPEN_AMOUNT] = open_amount;
	row[FEATURE_OVERDUE_COUNT] = overdue;
	row[FEATURE_OVERDUE_AMOUNT] = overdue_amount;
	row[FEATURE_OLDEST_OVERDUE_DAYS] = oldest;
	row[FEATURE_NEW_INVOICES] = recent;
	row[FEATURE_TENURE_DAYS] = (double) as_of - first;
}

static void
add_invoice (float *row, const DsHistoryInvoice *invoice, DsDate as_of)
{
	const char *country = invoice->customer->country;

	row[FEATURE_AMOUNT] = major_units (invoice->amount,
					   invoice->currency);
	row[FEATURE_TERMS_DAYS] = (double) invoice->due_date -
				  invoice->issue_date;
	row[FEATURE_ELECTRONIC] =
		invoice->billing == DS_BILLING_UNKNOWN ? NAN :
		invoice->billing == DS_BILLING_ELECTRONIC;
	row[FEATURE_DISPUTED] = ds_history_invoice_disputed (invoice, as_of);
	row[FEATURE_ISSUE_WEEKDAY] = weekday (invoice->issue_date);
	row[FEATURE_ISSUE_MONTHDAY] = monthday (invoice->issue_date);
	row[FEATURE_DUE_WEEKDAY] = weekday (invoice->due_date);
	row[FEATURE_DUE_MONTHDAY] = monthday (invoice->due_date);
	row[FEATURE_AGE_DAYS] = (double) as_of - invoice->issue_date;
	row[FEATURE_DAYS_TO_DUE] = (double) invoice->due_date - as_of;
	row[FEATURE_COUNTRY_DE] = g_strcmp0 (country, "DE") == 0;
	row[FEATURE_COUNTRY_FR] = g_strcmp0 (country, "FR") == 0;
	row[FEATURE_COUNTRY_GB] = g_strcmp0 (country, "GB") == 0;
	row[FEATURE_COUNTRY_US] = g_strcmp0 (country, "US") == 0;
	row[FEATURE_COUNTRY_CH] = g_strcmp0 (country, "CH") == 0;
}

/* Actions by channel, days since the last, and its outcome. */
static void
add_dunning_summary (float *row, guint first,
		     const DsDunningSummary *summary)
{
	for (guint i = 0; i < DS_DUNNING_CHANNELS; i++)
		row[first + i] = summary->actions[i];
	row[first + DS_DUNNING_CHANNELS] = summary->days_since_last_action;
	row[first + DS_DUNNING_CHANNELS + 1] = summary->last_outcome;
}

/*
 * What was done before D about the invoice and its customer, and the
 * customer's promises judged by then (scorer-dunning.h).
 */
static void
add_dunning (float *row, const DsHistoryInvoice *invoice, DsDate as_of,
	     const DsDunningHistory *dunning)
{
	DsDunningSummary summary;
	guint kept, broken;

	/* The columns of a summary follow DsDunningChannel's order. */
	G_STATIC_ASSERT (DS_DUNNING_EMAIL == 0 && DS_DUNNING_LETTER == 1 &&
			 DS_DUNNING_REGISTERED == 2 && DS_DUNNING_FAX == 3);
	G_STATIC_ASSERT (FEATURE_DUNNING_FAX == FEATURE_DUNNING_EMAIL + 3);
	G_STATIC_ASSERT (FEATURE_LAST_DELIVERY_OUTCOME ==
			 FEATURE_DUNNING_EMAIL + DS_DUNNING_CHANNELS + 1);
	G_STATIC_ASSERT (FEATURE_CUSTOMER_LAST_DELIVERY_OUTCOME ==
			 FEATURE_CUSTOMER_DUNNING_EMAIL +
			 DS_DUNNING_CHANNELS + 1);

	ds_dunning_invoice_summary (dunning, invoice->invoice_id, as_of,
				    &summary);
	add_dunning_summary (row, FEATURE_DUNNING_EMAIL, &summary);
	ds_dunning_customer_summary (dunning, invoice->customer->customer_id,
				     as_of, &summary);
	add_dunning_summary (row, FEATURE_CUSTOMER_DUNNING_EMAIL, &summary);
	ds_dunning_promises (dunning, invoice->customer, as_of, &kept,
			     &broken);
	row[FEATURE_PROMISES_KEPT] = kept;
	row[FEATURE_PROMISES_BROKEN] = broken;
}

void
ds_scorer_features_add (DsFeatureMatrix *matrix,
			const DsHistoryInvoice *invoice, DsDate as_of)
{
	float row[FEATURE_COUNT];

	g_return_if_fail (invoice->issue_date <= as_of);

	for (guint i = 0; i < FEATURE_COUNT; i++)
		row[i] = NAN;
	add_invoice (row, invoice, as_of);
	add_history (row, invoice, as_of);
	add_exposure (row, invoice, as_of);
	add_dunning (row, invoice, as_of, matrix->dunning);

	g_array_append_vals (matrix->values, row, FEATURE_COUNT);
	g_ptr_array_add (matrix->invoices, (gpointer) invoice);
	g_array_append_val (matrix->as_of, as_of);
	matrix->rows++;
}

DsFeatureMatrix *
ds_scorer_features_open_items (const DsLedgerHistory *history,
			       const DsDunningHistory *dunning, DsDate as_of)
{
	GPtrArray *invoices = ds_ledger_history_invoices (history);
	DsFeatureMatrix *matrix = ds_feature_matrix_new (dunning);

	g_return_val_if_fail (as_of <= ds_ledger_history_known_on (history),
			      matrix);
	g_return_val_if_fail (dunning == NULL ||
			      as_of <= ds_dunning_history_known_on (dunning),
			      matrix);

	for (guint i = 0; i < invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (invoices,
								     i);

		if (ds_history_invoice_open (invoice, as_of))
			ds_scorer_features_add (matrix, invoice, as_of);
	}
	return matrix;
}
