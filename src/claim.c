/*
 * claim.c -- net, allocate, add interest and costs.  See claim.h.
 *
 * The computation replays the customer's history up to the as-of date:
 * it walks the credits in date order and, before a credit reaches an
 * invoice, accrues that invoice's interest up to the credit's date (the
 * day of a payment still earns interest).  That is what makes interest
 * follow the principal as it goes down, and what lets a payment find the
 * interest and costs that stood on its day when the law says they come
 * first.
 * After the last credit it accrues up to the as-of date, decides which
 * invoices the claim covers, adds the new fee and compensation, and sums.
 *
 * The engine keeps one Group per invoice and one Part per instalment (or
 * one for the whole invoice); each Part owns the DsClaimItem it reports
 * until the end, when listed items move into the claim.
 */
#include "claim.h"

#include <string.h>

#include "ds-error.h"
#include "journal.h"
#include "ledger-claim.h"
#include "money.h"

/* ---- the law's tables ------------------------------------------ */

typedef enum {
	STEP_COSTS,
	STEP_INTEREST,
	STEP_PRINCIPAL,
} AllocationStep;

/* Where the law orders what a payment pays first. */
static const struct {
	const char *jurisdiction;
	AllocationStep steps[3];
	const char *law;
} legal_orders[] = {
	{ "DE", { STEP_COSTS, STEP_INTEREST, STEP_PRINCIPAL }, "§ 367 BGB" },
	{ "CH", { STEP_COSTS, STEP_INTEREST, STEP_PRINCIPAL },
	  "art. 85 Code of Obligations" },
	{ "FR", { STEP_INTEREST, STEP_PRINCIPAL, STEP_COSTS },
	  "art. 1343-1 Code civil" },
};

/*
 * Fixed compensation per late invoice, business debtors only, for
 * invoices issued from the day the rule took effect: § 288 (5) BGB for
 * obligations arising after 28 July 2014 (Art. 229 § 34 EGBGB), the
 * French indemnité forfaitaire from 1 January 2013, the directive's
 * transposition date 16 March 2013, the UK fixed sums from 7 August 2002.
 */
static const struct {
	const char *jurisdiction;
	const char *currency;
	const char *law;
	int year, month, day;		/* in force from */
} compensation_rules[] = {
	{ "DE", "EUR", "§ 288 (5) BGB", 2014, 7, 29 },
	{ "FR", "EUR", "art. L441-10 and D441-5 Code de commerce",
	  2013, 1, 1 },
	{ "EU", "EUR", "art. 6 directive 2011/7/EU", 2013, 3, 16 },
	{ "GB", "GBP", "s. 5A Late Payment of Commercial Debts (Interest) "
		       "Act 1998", 2002, 8, 7 },
};

/* UK fixed sums by the size of the debt, in pence. */
static gint64
uk_fixed_sum (gint64 debt)
{
	if (debt < 100000)
		return 4000;
	if (debt < 1000000)
		return 7000;
	return 10000;
}

/* ---- input records --------------------------------------------- */

static void
invoice_free (DsClaimInvoice *invoice)
{
	g_free (invoice->invoice_id);
	g_free (invoice->reference);
	g_free (invoice->currency);
	g_array_unref (invoice->instalments);
	g_free (invoice);
}

static void
credit_free (DsClaimCredit *credit)
{
	g_free (credit->credit_id);
	g_free (credit->currency);
	g_free (credit->invoice_id);
	g_free (credit);
}

static DsClaimCredit *
credit_copy (const DsClaimCredit *credit)
{
	DsClaimCredit *copy = g_memdup2 (credit, sizeof *credit);

	copy->credit_id = g_strdup (credit->credit_id);
	copy->currency = g_strdup (credit->currency);
	copy->invoice_id = g_strdup (credit->invoice_id);
	return copy;
}

static void
cost_free (DsClaimCost *cost)
{
	g_free (cost->trace_id);
	g_free (cost->invoice_id);
	g_strfreev (cost->invoices);
	g_free (cost->basis);
	g_free (cost);
}

static DsClaimCost *
cost_copy (const DsClaimCost *cost)
{
	DsClaimCost *copy = g_memdup2 (cost, sizeof *cost);

	copy->trace_id = g_strdup (cost->trace_id);
	copy->invoice_id = g_strdup (cost->invoice_id);
	copy->invoices = g_strdupv (cost->invoices);
	copy->basis = g_strdup (cost->basis);
	return copy;
}

DsClaimInput *
ds_claim_input_new (const char *customer_id, const char *currency,
		    const char *jurisdiction, gboolean b2b)
{
	DsClaimInput *input = g_new0 (DsClaimInput, 1);

	input->customer_id = g_strdup (customer_id);
	input->currency = g_strdup (currency);
	input->jurisdiction = g_ascii_strup (jurisdiction, -1);
	input->b2b = b2b;
	input->invoices = g_ptr_array_new_with_free_func (
		(GDestroyNotify) invoice_free);
	input->credits = g_ptr_array_new_with_free_func (
		(GDestroyNotify) credit_free);
	input->costs = g_ptr_array_new_with_free_func (
		(GDestroyNotify) cost_free);
	input->interest_waived = g_hash_table_new_full (g_str_hash,
							g_str_equal, g_free,
							NULL);
	return input;
}

void
ds_claim_input_free (DsClaimInput *input)
{
	if (input == NULL)
		return;
	g_free (input->customer_id);
	g_free (input->currency);
	g_free (input->jurisdiction);
	g_ptr_array_unref (input->invoices);
	g_ptr_array_unref (input->credits);
	g_ptr_array_unref (input->costs);
	g_hash_table_unref (input->interest_waived);
	g_free (input);
}

DsClaimInvoice *
ds_claim_input_add_invoice (DsClaimInput *input, const char *invoice_id,
			    DsDate issue_date, DsDate due_date,
			    gint64 amount)
{
	DsClaimInvoice *invoice = g_new0 (DsClaimInvoice, 1);

	invoice->invoice_id = g_strdup (invoice_id);
	invoice->currency = g_strdup (input->currency);
	invoice->issue_date = issue_date;
	invoice->due_date = due_date;
	invoice->amount = amount;
	invoice->instalments = g_array_new (FALSE, FALSE,
					    sizeof (DsClaimInstalment));
	g_ptr_array_add (input->invoices, invoice);
	return invoice;
}

void
ds_claim_invoice_add_instalment (DsClaimInvoice *invoice, int number,
				 DsDate due_date, gint64 amount)
{
	DsClaimInstalment instalment = { number, due_date, amount };

	g_array_append_val (invoice->instalments, instalment);
}

DsClaimCredit *
ds_claim_input_add_credit (DsClaimInput *input, DsClaimCreditKind kind,
			   const char *credit_id, DsDate date, gint64 amount,
			   const char *invoice_id)
{
	DsClaimCredit *credit = g_new0 (DsClaimCredit, 1);

	credit->credit_id = g_strdup (credit_id);
	credit->kind = kind;
	credit->currency = g_strdup (input->currency);
	credit->date = date;
	credit->amount = amount;
	credit->invoice_id = g_strdup (invoice_id);
	g_ptr_array_add (input->credits, credit);
	return credit;
}

DsClaimCost *
ds_claim_input_add_cost (DsClaimInput *input, DsClaimCostKind kind,
			 gint64 cost_id, const char *trace_id,
			 const char *invoice_id, DsDate claimed_on,
			 gint64 amount)
{
	DsClaimCost *cost = g_new0 (DsClaimCost, 1);

	cost->cost_id = cost_id;
	cost->kind = kind;
	cost->trace_id = g_strdup (trace_id);
	cost->invoice_id = g_strdup (invoice_id);
	cost->claimed_on = claimed_on;
	cost->amount = amount;
	g_ptr_array_add (input->costs, cost);
	return cost;
}

void
ds_claim_input_waive_interest (DsClaimInput *input, const char *invoice_id,
			       DsDate through)
{
	DsDate earlier = GPOINTER_TO_UINT (
		g_hash_table_lookup (input->interest_waived, invoice_id));

	if (through > earlier)
		g_hash_table_replace (input->interest_waived,
				      g_strdup (invoice_id),
				      GUINT_TO_POINTER (through));
}

void
ds_claim_policy_init (DsClaimPolicy *policy, const DsRateTables *rates)
{
	memset (policy, 0, sizeof *policy);
	policy->rates = rates;
	policy->interest = TRUE;
	policy->compensation = TRUE;
	policy->contract_rate_bp = -1;
	policy->settled_since = DS_CLAIM_SETTLED_ANY;
}

/* ---- result records -------------------------------------------- */

static void
item_free (DsClaimItem *item)
{
	g_free (item->invoice_id);
	g_free (item->reference);
	g_free (item);
}

static void
application_free (DsClaimApplication *application)
{
	g_free (application->credit_id);
	g_free (application->invoice_id);
	g_free (application->trace_id);
	g_free (application);
}

static void
interest_free (DsClaimInterest *interest)
{
	g_free (interest->invoice_id);
	g_free (interest->line.basis);
	g_free (interest);
}

void
ds_claim_free (DsClaim *claim)
{
	if (claim == NULL)
		return;
	g_free (claim->customer_id);
	g_free (claim->currency);
	g_free (claim->jurisdiction);
	g_free (claim->interest_basis);
	g_ptr_array_unref (claim->items);
	g_ptr_array_unref (claim->credits);
	g_ptr_array_unref (claim->applications);
	g_ptr_array_unref (claim->interest);
	g_ptr_array_unref (claim->costs);
	g_ptr_array_unref (claim->notes);
	g_free (claim);
}

static DsClaim *
claim_new (const DsClaimInput *input, DsDate as_of)
{
	DsClaim *claim = g_new0 (DsClaim, 1);

	claim->customer_id = g_strdup (input->customer_id);
	claim->currency = g_strdup (input->currency);
	claim->jurisdiction = g_strdup (input->jurisdiction);
	claim->b2b = input->b2b;
	claim->as_of = as_of;
	claim->items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) item_free);
	claim->credits = g_ptr_array_new_with_free_func (
		(GDestroyNotify) credit_free);
	claim->applications = g_ptr_array_new_with_free_func (
		(GDestroyNotify) application_free);
	claim->interest = g_ptr_array_new_with_free_func (
		(GDestroyNotify) interest_free);
	claim->costs = g_ptr_array_new_with_free_func (
		(GDestroyNotify) cost_free);
	claim->notes = g_ptr_array_new_with_free_func (g_free);
	return claim;
}

static void G_GNUC_PRINTF (2, 3)
claim_note (DsClaim *claim, const char *format, ...)
{
	va_list args;

	va_start (args, format);
	g_ptr_array_add (claim->notes, g_strdup_vprintf (format, args));
	va_end (args);
}

const char *
ds_claim_item_state_name (DsClaimItemState state)
{
	static const char *const names[] = {
		[DS_CLAIM_ITEM_OVERDUE] = "overdue",
		[DS_CLAIM_ITEM_NOT_DUE] = "not-due",
		[DS_CLAIM_ITEM_SETTLED] = "settled",
		[DS_CLAIM_ITEM_DISPUTED] = "disputed",
		[DS_CLAIM_ITEM_DUE_SOON] = "due-soon",
		[DS_CLAIM_ITEM_SURVIVING] = "surviving",
	};

	return names[state];
}

gboolean
ds_claim_item_claimed (const DsClaimItem *item)
{
	return item->state == DS_CLAIM_ITEM_OVERDUE ||
	       item->state == DS_CLAIM_ITEM_DUE_SOON ||
	       item->state == DS_CLAIM_ITEM_SURVIVING;
}

const char *
ds_claim_cost_kind_name (DsClaimCostKind kind)
{
	static const char *const names[] = {
		[DS_CLAIM_COST_FEE] = "fee",
		[DS_CLAIM_COST_COMPENSATION] = "compensation",
		[DS_CLAIM_COST_INTEREST] = "interest",
	};

	return names[kind];
}

/* ---- the engine ------------------------------------------------ */

typedef struct {
	DsClaimItem *item;		/* owned until listed */
	DsDate accrued_through;		/* interest counted up to here */
	gint64 interest_open;		/* accrued, not waived, not paid */
} Part;

typedef struct {
	const DsClaimInvoice *invoice;
	GPtrArray *parts;		/* of Part, by due date */
	DsDate first_due;
	DsDate waived_through;		/* interest waived; NONE */
	gint64 named;			/* credits naming the invoice */
	gboolean in_scope;		/* this claim covers it */
	guint position;			/* in the engine's groups */
} Group;

typedef struct {
	const DsClaimInput *input;
	const DsClaimPolicy *policy;
	DsDate as_of;
	DsClaim *claim;
	GPtrArray *groups;		/* of Group, oldest due first */
	GHashTable *group_by_id;	/* invoice id -> Group */
	const char *law_code;		/* DE, FR, GB, CH, US, EU, ... */
	gboolean interest_on;
	DsInterestRule rule;
	int order;			/* index in legal_orders; -1: none */
	gboolean unchecked_noted;
} Engine;

static void
part_free (Part *part)
{
	if (part->item != NULL)
		item_free (part->item);
	g_free (part);
}

static void
group_free (Group *group)
{
	g_ptr_array_unref (group->parts);
	g_free (group);
}

static void
add_part (Group *group, const DsClaimInvoice *invoice, int number,
	  DsDate due_date, gint64 amount)
{
	Part *part = g_new0 (Part, 1);
	DsClaimItem *item = g_new0 (DsClaimItem, 1);

	item->invoice_id = g_strdup (invoice->invoice_id);
	item->instalment = number;
	item->instalments = invoice->instalments->len;
	item->reference = g_strdup (invoice->reference);
	item->issue_date = invoice->issue_date;
	item->due_date = due_date;
	item->amount = amount;
	item->open = amount;
	part->item = item;
	part->accrued_through = due_date;
	g_ptr_array_add (group->parts, part);
}

static int
part_compare (gconstpointer a, gconstpointer b)
{
	const DsClaimItem *x = (*(Part *const *) a)->item;
	const DsClaimItem *y = (*(Part *const *) b)->item;

	if (x->due_date != y->due_date)
		return x->due_date < y->due_date ? -1 : 1;
	return x->instalment - y->instalment;
}

static int
group_compare (gconstpointer a, gconstpointer b)
{
	const Group *x = *(Group *const *) a;
	const Group *y = *(Group *const *) b;

	if (x->first_due != y->first_due)
		return x->first_due < y->first_due ? -1 : 1;
	return strcmp (x->invoice->invoice_id, y->invoice->invoice_id);
}

/* Instalments must add up to the invoice: never guess the rest. */
static gboolean
check_instalments (const DsClaimInvoice *invoice, GError **error)
{
	g_autofree char *parts = NULL;
	g_autofree char *whole = NULL;
	gint64 sum = 0;

	if (invoice->instalments->len == 0)
		return TRUE;
	for (guint i = 0; i < invoice->instalments->len; i++)
		sum += g_array_index (invoice->instalments,
				      DsClaimInstalment, i).amount;
	if (sum == invoice->amount)
		return TRUE;
	parts = ds_money_to_decimal (sum, invoice->currency);
	whole = ds_money_to_decimal (invoice->amount, invoice->currency);
	g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
		     "invoice %s: its instalments add up to %s %s, the "
		     "invoice to %s %s; correct the instalments file",
		     invoice->invoice_id, parts, invoice->currency, whole,
		     invoice->currency);
	return FALSE;
}

static Group *
group_new (Engine *engine, const DsClaimInvoice *invoice)
{
	Group *group = g_new0 (Group, 1);
	GArray *instalments = invoice->instalments;

	group->invoice = invoice;
	group->parts = g_ptr_array_new_with_free_func (
		(GDestroyNotify) part_free);
	if (instalments->len == 0)
		add_part (group, invoice, 0, invoice->due_date,
			  invoice->amount);
	for (guint i = 0; i < instalments->len; i++) {
		const DsClaimInstalment *instalment =
			&g_array_index (instalments, DsClaimInstalment, i);

		add_part (group, invoice, instalment->number,
			  instalment->due_date, instalment->amount);
	}
	g_ptr_array_sort (group->parts, part_compare);
	group->first_due = ((Part *) group->parts->pdata[0])->item->due_date;
	group->waived_through = GPOINTER_TO_UINT (g_hash_table_lookup (
		engine->input->interest_waived, invoice->invoice_id));
	return group;
}

static gboolean
build_groups (Engine *engine, GError **error)
{
	const DsClaimInput *input = engine->input;

	for (guint i = 0; i < input->invoices->len; i++) {
		const DsClaimInvoice *invoice = input->invoices->pdata[i];
		Group *group;

		if (invoice->issue_date > engine->as_of)
			continue;
		if (g_strcmp0 (invoice->currency, input->currency) != 0) {
			claim_note (engine->claim, "invoice %s is in %s, not "
				    "in this %s claim", invoice->invoice_id,
				    invoice->currency, input->currency);
			continue;
		}
		if (!check_instalments (invoice, error))
			return FALSE;
		group = group_new (engine, invoice);
		g_ptr_array_add (engine->groups, group);
		g_hash_table_insert (engine->group_by_id,
				     invoice->invoice_id, group);
	}
	g_ptr_array_sort (engine->groups, group_compare);
	for (guint i = 0; i < engine->groups->len; i++)
		((Group *) engine->groups->pdata[i])->position = i;
	return TRUE;
}

/* Costs are paid in the order they were claimed. */
static int
cost_compare (gconstpointer a, gconstpointer b)
{
	const DsClaimCost *x = *(DsClaimCost *const *) a;
	const DsClaimCost *y = *(DsClaimCost *const *) b;

	if (x->claimed_on != y->claimed_on)
		return x->claimed_on < y->claimed_on ? -1 : 1;
	return x->cost_id < y->cost_id ? -1 : x->cost_id > y->cost_id;
}

/* The earlier costs, copied into the claim where payments can reach. */
static void
copy_costs (Engine *engine)
{
	const DsClaimInput *input = engine->input;

	for (guint i = 0; i < input->costs->len; i++) {
		const DsClaimCost *cost = input->costs->pdata[i];
		DsClaimCost *copy;

		if (cost->kind == DS_CLAIM_COST_INTEREST ||
		    cost->claimed_on > engine->as_of)
			continue;
		copy = cost_copy (cost);
		copy->paid = 0;
		copy->open = cost->waived ? 0 : cost->amount;
		g_ptr_array_add (engine->claim->costs, copy);
	}
	g_ptr_array_sort (engine->claim->costs, cost_compare);
}

static gboolean
cost_covers (const DsClaimCost *cost, const char *invoice_id)
{
	if (cost->kind != DS_CLAIM_COST_FEE)
		return g_strcmp0 (cost->invoice_id, invoice_id) == 0;
	return cost->invoices == NULL ||
	       g_strv_contains ((const char *const *) cost->invoices,
				invoice_id);
}

/*
 * Had an earlier document claimed this invoice with costs or interest by
 * `date`?  Only then does a payment follow the law's order: a payment for
 * an invoice nobody claimed anything beyond principal for is a payment of
 * that principal, as the ledger sees it.
 */
static gboolean
group_claimed_by (const Engine *engine, const Group *group, DsDate date)
{
	const GPtrArray *costs = engine->input->costs;

	for (guint i = 0; i < costs->len; i++) {
		const DsClaimCost *cost = costs->pdata[i];

		if (cost->claimed_on > date || cost->waived ||
		    !cost_covers (cost, group->invoice->invoice_id))
			continue;
		if (cost->kind != DS_CLAIM_COST_INTEREST ||
		    group->waived_through < cost->claimed_on)
			return TRUE;
	}
	return FALSE;
}

/* ---- interest -------------------------------------------------- */

static void
note_unchecked (Engine *engine)
{
	const DsRateTable *table;
	char through[DS_DATE_ISO_LEN];

	if (engine->unchecked_noted)
		return;
	engine->unchecked_noted = TRUE;
	table = ds_rate_tables_get (engine->policy->rates, engine->rule.table,
				    NULL);
	ds_date_format_iso (ds_rate_table_checked_through (table), through);
	claim_note (engine->claim, "the rate table %s is known only through "
		    "%s: later days use its last rate; the operator must "
		    "bring it up to date", engine->rule.table, through);
}

/*
 * The day an item is payable by: its due date, or the creditor's next
 * working day when the due date is a day off.  A payment then is on
 * time, and interest runs from the day after.
 */
static DsDate
payable_by (const Engine *engine, const DsClaimItem *item)
{
	const DsCalendar *calendar = engine->policy->calendar;

	return calendar != NULL ?
	       ds_calendar_next_working_day (calendar, item->due_date) :
	       item->due_date;
}

static gboolean
add_interest_lines (Engine *engine, Part *part, DsDate from, DsDate to,
		    gboolean waived, GError **error)
{
	DsClaimItem *item = part->item;
	DsInterestRule rule = engine->rule;
	g_autoptr (GPtrArray) lines = NULL;

	ds_interest_rule_for_invoice (&rule, item->issue_date);
	lines = ds_interest_compute (&rule, engine->policy->rates,
				     item->open, payable_by (engine, item) + 1,
				     from,
				     to, error);
	if (lines == NULL)
		return FALSE;
	for (guint i = 0; i < lines->len; i++) {
		DsInterestLine *line = lines->pdata[i];
		DsClaimInterest *interest = g_new0 (DsClaimInterest, 1);

		interest->invoice_id = g_strdup (item->invoice_id);
		interest->instalment = item->instalment;
		interest->waived = waived;
		interest->line = *line;
		line->basis = NULL;
		if (!waived)
			part->interest_open += line->amount;
		if (line->unchecked)
			note_unchecked (engine);
		g_ptr_array_add (engine->claim->interest, interest);
	}
	return TRUE;
}

/* Interest on one part from where it stopped through `date`. */
static gboolean
accrue_part (Engine *engine, Group *group, Part *part, DsDate date,
	     GError **error)
{
	DsDate from = MAX (part->accrued_through,
			   payable_by (engine, part->item)) + 1;
	DsDate waived = group->waived_through;

	if (from > date)
		return TRUE;
	part->accrued_through = date;
	if (part->item->open <= 0)
		return TRUE;
	if (waived != DS_DATE_NONE && waived >= from) {
		if (!add_interest_lines (engine, part, from,
					 MIN (date, waived), TRUE, error))
			return FALSE;
		from = waived + 1;
	}
	if (from <= date &&
	    !add_interest_lines (engine, part, from, date, FALSE, error))
		return FALSE;
	return TRUE;
}

/*
 * Bring an invoice's interest up to `date`.  Done only when a credit is
 * about to reach the invoice and at the end, so that a line ends where
 * the rate or that invoice's principal changes, never at another
 * invoice's payment.
 */
static gboolean
accrue_group (Engine *engine, Group *group, DsDate date, GError **error)
{
	if (!engine->interest_on || group->invoice->disputed)
		return TRUE;
	for (guint i = 0; i < group->parts->len; i++)
		if (!accrue_part (engine, group, group->parts->pdata[i], date,
				  error))
			return FALSE;
	return TRUE;
}

static gboolean
accrue_all (Engine *engine, DsDate date, GError **error)
{
	for (guint i = 0; i < engine->groups->len; i++)
		if (!accrue_group (engine, engine->groups->pdata[i], date,
				   error))
			return FALSE;
	return TRUE;
}

/* ---- allocation ------------------------------------------------ */

static void
record_application (Engine *engine, const DsClaimCredit *credit,
		    DsClaimTarget target, const char *invoice_id,
		    int instalment, const DsClaimCost *cost, gint64 amount)
{
	DsClaimApplication *application = g_new0 (DsClaimApplication, 1);

	application->credit_id = g_strdup (credit->credit_id);
	application->kind = credit->kind;
	application->date = credit->date;
	application->target = target;
	application->invoice_id = g_strdup (
		cost != NULL ? cost->invoice_id : invoice_id);
	application->instalment = instalment;
	if (cost != NULL) {
		application->cost_kind = cost->kind;
		application->trace_id = g_strdup (cost->trace_id);
	}
	application->amount = amount;
	g_ptr_array_add (engine->claim->applications, application);
}

static gint64
pay_principal (Engine *engine, const DsClaimCredit *credit, Group *group,
	       gint64 amount, gboolean overdue_only)
{
	for (guint i = 0; i < group->parts->len && amount > 0; i++) {
		DsClaimItem *item = ((Part *) group->parts->pdata[i])->item;
		gint64 take = MIN (amount, item->open);

		if (take <= 0 || (overdue_only &&
				  item->due_date >= credit->date))
			continue;
		item->open -= take;
		if (credit->kind == DS_CLAIM_CREDIT_NOTE)
			item->credited += take;
		else
			item->paid += take;
		if (item->open == 0)
			item->settled_on = credit->date;
		amount -= take;
		record_application (engine, credit, DS_CLAIM_TO_PRINCIPAL,
				    item->invoice_id, item->instalment, NULL,
				    take);
	}
	return amount;
}

static gint64
pay_interest (Engine *engine, const DsClaimCredit *credit, Group *group,
	      gint64 amount)
{
	for (guint i = 0; i < group->parts->len && amount > 0; i++) {
		Part *part = group->parts->pdata[i];
		gint64 take = MIN (amount, part->interest_open);

		if (take <= 0)
			continue;
		part->interest_open -= take;
		amount -= take;
		record_application (engine, credit, DS_CLAIM_TO_INTEREST,
				    part->item->invoice_id,
				    part->item->instalment, NULL, take);
	}
	return amount;
}

/* Costs in the order they were claimed. */
static gint64
pay_costs (Engine *engine, const DsClaimCredit *credit, Group *group,
	   gint64 amount)
{
	GPtrArray *costs = engine->claim->costs;

	for (guint i = 0; i < costs->len && amount > 0; i++) {
		DsClaimCost *cost = costs->pdata[i];
		gint64 take = MIN (amount, cost->open);

		if (take <= 0 || cost->claimed_on > credit->date ||
		    !cost_covers (cost, group->invoice->invoice_id))
			continue;
		cost->paid += take;
		cost->open -= take;
		amount -= take;
		record_application (engine, credit, DS_CLAIM_TO_COST, NULL, 0,
				    cost, take);
	}
	return amount;
}

/* Pay what `*amount` reaches of one invoice; the rest stays in it. */
static gboolean
pay_group (Engine *engine, const DsClaimCredit *credit, Group *group,
	   gint64 *amount, gboolean overdue_only, GError **error)
{
	if (!accrue_group (engine, group, credit->date, error))
		return FALSE;
	if (credit->kind == DS_CLAIM_CREDIT_NOTE || engine->order < 0 ||
	    !group_claimed_by (engine, group, credit->date)) {
		*amount = pay_principal (engine, credit, group, *amount,
					 overdue_only);
		return TRUE;
	}
	for (int i = 0; i < 3 && *amount > 0; i++) {
		switch (legal_orders[engine->order].steps[i]) {
		case STEP_COSTS:
			*amount = pay_costs (engine, credit, group, *amount);
			break;
		case STEP_INTEREST:
			*amount = pay_interest (engine, credit, group,
						*amount);
			break;
		case STEP_PRINCIPAL:
			*amount = pay_principal (engine, credit, group,
						 *amount, overdue_only);
			break;
		}
	}
	return TRUE;
}

/*
 * A credit goes to its invoice, then to what fell due first (§ 366 (2)
 * BGB and common practice alike), then stays unapplied.
 */
static gboolean
apply_credit (Engine *engine, const DsClaimCredit *credit, GError **error)
{
	gint64 amount = credit->amount;
	Group *named = NULL;

	if (credit->invoice_id != NULL) {
		named = g_hash_table_lookup (engine->group_by_id,
					     credit->invoice_id);
		if (named == NULL)
			claim_note (engine->claim, "%s names invoice %s, "
				    "which is not in this claim: netted as "
				    "unallocated", credit->credit_id,
				    credit->invoice_id);
		else if (!pay_group (engine, credit, named, &amount, FALSE,
				     error))
			return FALSE;
		if (named != NULL)
			named->named += credit->amount;
	}
	/* First what was overdue on the credit's date, then the rest. */
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < engine->groups->len && amount > 0;
		     i++) {
			Group *group = engine->groups->pdata[i];

			if (group == named || group->invoice->disputed)
				continue;
			if (!pay_group (engine, credit, group, &amount,
					pass == 0, error))
				return FALSE;
		}
	}
	if (amount > 0) {
		engine->claim->unapplied += amount;
		record_application (engine, credit, DS_CLAIM_TO_UNAPPLIED,
				    NULL, 0, NULL, amount);
	}
	return TRUE;
}

static int
credit_compare (gconstpointer a, gconstpointer b)
{
	const DsClaimCredit *x = *(DsClaimCredit *const *) a;
	const DsClaimCredit *y = *(DsClaimCredit *const *) b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind == DS_CLAIM_CREDIT_NOTE ? -1 : 1;
	return strcmp (x->credit_id, y->credit_id);
}

/* The credits that count, in the order they are applied. */
static GPtrArray *
usable_credits (Engine *engine)
{
	const DsClaimInput *input = engine->input;
	GPtrArray *credits = g_ptr_array_new ();

	for (guint i = 0; i < input->credits->len; i++) {
		DsClaimCredit *credit = input->credits->pdata[i];

		if (credit->cancelled || credit->date > engine->as_of)
			continue;
		if (g_strcmp0 (credit->currency, input->currency) != 0 ||
		    credit->amount <= 0) {
			claim_note (engine->claim, "%s (%s) is not netted: "
				    "only positive amounts in %s are",
				    credit->credit_id, credit->currency,
				    input->currency);
			continue;
		}
		g_ptr_array_add (credits, credit);
	}
	g_ptr_array_sort (credits, credit_compare);
	return credits;
}

static gboolean
replay_history (Engine *engine, GError **error)
{
	g_autoptr (GPtrArray) credits = usable_credits (engine);

	for (guint i = 0; i < credits->len; i++)
		if (!apply_credit (engine, credits->pdata[i], error))
			return FALSE;
	return accrue_all (engine, engine->as_of, error);
}

/* ---- what the claim covers ------------------------------------- */

/* An open part not overdue: claimed when a reminder ahead reaches it. */
static DsClaimItemState
not_due_state (const Engine *engine, const DsClaimItem *item)
{
	int ahead = engine->policy->ahead_days;

	if (ahead > 0 && item->due_date <= engine->as_of + ahead)
		return DS_CLAIM_ITEM_DUE_SOON;
	return DS_CLAIM_ITEM_NOT_DUE;
}

static DsClaimItemState
item_state (const Engine *engine, const Group *group,
	    const DsClaimItem *item)
{
	if (group->invoice->disputed)
		return DS_CLAIM_ITEM_DISPUTED;
	if (item->open == 0)
		return DS_CLAIM_ITEM_SETTLED;
	if (payable_by (engine, item) >= engine->as_of)
		return not_due_state (engine, item);
	if (group->named >= group->invoice->amount)
		return DS_CLAIM_ITEM_SURVIVING;
	return DS_CLAIM_ITEM_OVERDUE;
}

/*
 * People reading the claim learn why invoices the ERP shows paid are
 * still in it, and that no step of their own will chase them: one note
 * naming each with its principal still owed.  After the items are
 * listed, which keeps an invoice's parts together.
 */
static void
note_surviving (Engine *engine)
{
	const GPtrArray *items = engine->claim->items;
	g_autoptr (GString) invoices = g_string_new (NULL);

	for (guint i = 0; i < items->len;) {
		const char *invoice_id =
			((DsClaimItem *) items->pdata[i])->invoice_id;
		g_autofree char *open = NULL;
		gint64 principal = 0;

		for (; i < items->len; i++) {
			const DsClaimItem *item = items->pdata[i];

			if (strcmp (item->invoice_id, invoice_id) != 0)
				break;
			if (item->state == DS_CLAIM_ITEM_SURVIVING)
				principal += item->open;
		}
		if (principal == 0)
			continue;
		open = ds_money_to_decimal (principal,
					    engine->input->currency);
		g_string_append_printf (invoices, "%s%s %s",
					invoices->len > 0 ? ", " : "",
					invoice_id, open);
	}
	if (invoices->len == 0)
		return;
	claim_note (engine->claim, "paid in full as their credits name "
		    "them, but %s applied those to the costs and interest "
		    "claimed first, so principal is still owed (%s): %s; "
		    "every letter claims it, no dunning step of its own "
		    "chases it", engine->order >= 0 ?
		    legal_orders[engine->order].law : "the law",
		    engine->input->currency, invoices->str);
}

static void
settle_states (Engine *engine, Group *group)
{
	for (guint i = 0; i < group->parts->len; i++) {
		Part *part = group->parts->pdata[i];
		DsClaimItem *item = part->item;

		item->interest = part->interest_open;
		item->state = item_state (engine, group, item);
		if (item->state == DS_CLAIM_ITEM_OVERDUE ||
		    item->state == DS_CLAIM_ITEM_SURVIVING ||
		    item->state == DS_CLAIM_ITEM_DISPUTED)
			item->days_overdue = MAX (0, (int) (engine->as_of -
							    item->due_date));
	}
}

/* Overdue now, or paid after its due date. */
static gboolean
group_late (const Engine *engine, const Group *group)
{
	for (guint i = 0; i < group->parts->len; i++) {
		const DsClaimItem *item =
			((Part *) group->parts->pdata[i])->item;

		if (item->state == DS_CLAIM_ITEM_OVERDUE ||
		    item->state == DS_CLAIM_ITEM_SURVIVING ||
		    (item->state == DS_CLAIM_ITEM_SETTLED &&
		     item->settled_on > payable_by (engine, item)))
			return TRUE;
	}
	return FALSE;
}

static DsDate
group_settled_on (const Group *group)
{
	DsDate last = DS_DATE_NONE;

	for (guint i = 0; i < group->parts->len; i++) {
		const DsClaimItem *item =
			((Part *) group->parts->pdata[i])->item;

		if (item->open > 0)
			return DS_DATE_NONE;
		last = MAX (last, item->settled_on);
	}
	return last;
}

/*
 * A claim covers invoices still open, and invoices paid late whose
 * interest or costs an earlier document claimed or, by policy, that were
 * paid on or after `settled_since`, unless an operator waived their
 * interest after they were paid.
 */
static gboolean
group_in_scope (const Engine *engine, const Group *group)
{
	DsDate settled = group_settled_on (group);
	DsDate since = engine->policy->settled_since;

	if (settled == DS_DATE_NONE)
		return TRUE;
	if (!group_late (engine, group) || group->waived_through >= settled)
		return FALSE;
	return group_claimed_by (engine, group, engine->as_of) ||
	       (since != DS_DATE_NONE && settled >= since);
}

static gboolean
has_compensation (const Engine *engine, const char *invoice_id)
{
	const GPtrArray *costs = engine->input->costs;

	for (guint i = 0; i < costs->len; i++) {
		const DsClaimCost *cost = costs->pdata[i];

		if (cost->kind == DS_CLAIM_COST_COMPENSATION &&
		    cost->claimed_on <= engine->as_of &&
		    g_strcmp0 (cost->invoice_id, invoice_id) == 0)
			return TRUE;
	}
	return FALSE;
}

static DsClaimCost *
new_cost (Engine *engine, DsClaimCostKind kind, const char *invoice_id,
	  gint64 amount, char *basis)
{
	DsClaimCost *cost = g_new0 (DsClaimCost, 1);

	cost->kind = kind;
	cost->invoice_id = g_strdup (invoice_id);
	cost->claimed_on = engine->as_of;
	cost->amount = amount;
	cost->open = amount;
	cost->basis = basis;
	g_ptr_array_add (engine->claim->costs, cost);
	return cost;
}

static int
compensation_rule (const Engine *engine)
{
	for (gsize i = 0; i < G_N_ELEMENTS (compensation_rules); i++)
		if (strcmp (engine->law_code,
			    compensation_rules[i].jurisdiction) == 0)
			return (int) i;
	return -1;
}

/*
 * Once per late invoice; a waived one is not claimed again, nor one for
 * an invoice whose interest an operator waived.
 */
static void
add_compensation (Engine *engine, const Group *group)
{
	int rule = compensation_rule (engine);
	const DsClaimInvoice *invoice = group->invoice;
	gint64 amount;

	if (!engine->policy->compensation || !engine->input->b2b ||
	    rule < 0 || has_compensation (engine, invoice->invoice_id) ||
	    group->waived_through != DS_DATE_NONE)
		return;
	if (invoice->issue_date <
	    ds_date_from_ymd (compensation_rules[rule].year,
			      compensation_rules[rule].month,
			      compensation_rules[rule].day))
		return;		/* the law did not apply to it yet */
	if (strcmp (compensation_rules[rule].currency,
		    engine->input->currency) != 0) {
		claim_note (engine->claim, "no fixed compensation for %s: "
			    "the law sets it in %s, the claim is in %s",
			    invoice->invoice_id,
			    compensation_rules[rule].currency,
			    engine->input->currency);
		return;
	}
	amount = strcmp (engine->law_code, "GB") == 0 ?
		 uk_fixed_sum (invoice->amount) : 4000;
	new_cost (engine, DS_CLAIM_COST_COMPENSATION, invoice->invoice_id,
		  amount, g_strdup (compensation_rules[rule].law));
}

static void
add_step_fee (Engine *engine, GPtrArray *covered)
{
	const DsClaimPolicy *policy = engine->policy;
	DsClaimCost *fee;

	if (policy->step_fee <= 0)
		return;
	if (covered->len == 0) {
		claim_note (engine->claim, "no fee: nothing is overdue");
		return;
	}
	fee = new_cost (engine, DS_CLAIM_COST_FEE, NULL, policy->step_fee,
			policy->step != NULL ?
			g_strdup_printf ("fee of step %s", policy->step) :
			g_strdup ("dunning fee"));
	g_ptr_array_add (covered, NULL);
	fee->invoices = g_strdupv ((char **) covered->pdata);
}

/* Move listed items into the claim; sum principal and interest. */
static void
list_group (Engine *engine, Group *group)
{
	for (guint i = 0; i < group->parts->len; i++) {
		Part *part = group->parts->pdata[i];
		DsClaimItem *item = g_steal_pointer (&part->item);

		if (ds_claim_item_claimed (item))
			engine->claim->principal += item->open;
		if (item->state != DS_CLAIM_ITEM_DISPUTED)
			engine->claim->interest_total += item->interest;
		g_ptr_array_add (engine->claim->items, item);
	}
}

static gboolean
interest_dropped (const Engine *engine, const DsClaimInterest *interest)
{
	const Group *group = g_hash_table_lookup (engine->group_by_id,
						  interest->invoice_id);

	return !group->in_scope;
}

static gboolean
application_dropped (const Engine *engine,
		     const DsClaimApplication *application)
{
	const Group *group;

	if (application->target == DS_CLAIM_TO_UNAPPLIED ||
	    application->target == DS_CLAIM_TO_COST)
		return FALSE;
	group = g_hash_table_lookup (engine->group_by_id,
				     application->invoice_id);
	return !group->in_scope;
}

/* Interest lines by invoice in claim order, then part, then date. */
static int
interest_compare (gconstpointer a, gconstpointer b, gpointer data)
{
	const DsClaimInterest *x = *(DsClaimInterest *const *) a;
	const DsClaimInterest *y = *(DsClaimInterest *const *) b;
	const Engine *engine = data;
	const Group *gx = g_hash_table_lookup (engine->group_by_id,
					       x->invoice_id);
	const Group *gy = g_hash_table_lookup (engine->group_by_id,
					       y->invoice_id);

	if (gx->position != gy->position)
		return gx->position < gy->position ? -1 : 1;
	if (x->instalment != y->instalment)
		return x->instalment - y->instalment;
	return x->line.from < y->line.from ? -1 : x->line.from > y->line.from;
}

/* Keep only lines and netting about what the claim covers. */
static void
prune (Engine *engine)
{
	DsClaim *claim = engine->claim;
	g_autoptr (GHashTable) netted = g_hash_table_new (g_str_hash,
							  g_str_equal);

	for (guint i = claim->interest->len; i > 0; i--)
		if (interest_dropped (engine, claim->interest->pdata[i - 1]))
			g_ptr_array_remove_index (claim->interest, i - 1);
	g_ptr_array_sort_with_data (claim->interest, interest_compare,
				    engine);
	for (guint i = claim->applications->len; i > 0; i--) {
		DsClaimApplication *application =
			claim->applications->pdata[i - 1];

		if (application_dropped (engine, application))
			g_ptr_array_remove_index (claim->applications, i - 1);
		else
			g_hash_table_add (netted, application->credit_id);
	}
	for (guint i = 0; i < engine->input->credits->len; i++) {
		const DsClaimCredit *credit = engine->input->credits->pdata[i];

		if (g_hash_table_contains (netted, credit->credit_id))
			g_ptr_array_add (claim->credits,
					 credit_copy (credit));
	}
}

static void
sum_costs (Engine *engine)
{
	DsClaim *claim = engine->claim;

	for (guint i = 0; i < claim->costs->len; i++) {
		DsClaimCost *cost = claim->costs->pdata[i];
		const Group *group = cost->invoice_id == NULL ? NULL :
			g_hash_table_lookup (engine->group_by_id,
					     cost->invoice_id);

		if (cost->waived)
			continue;
		if (group != NULL && group->invoice->disputed)
			continue;
		if (cost->kind == DS_CLAIM_COST_FEE)
			claim->fees += cost->open;
		else
			claim->compensation += cost->open;
	}
}

static void
conclude (Engine *engine)
{
	DsClaim *claim = engine->claim;
	g_autoptr (GPtrArray) covered = g_ptr_array_new ();

	for (guint i = 0; i < engine->groups->len; i++) {
		Group *group = engine->groups->pdata[i];

		settle_states (engine, group);
		group->in_scope = group_in_scope (engine, group);
		if (!group->in_scope)
			continue;
		if (!group->invoice->disputed && group_late (engine, group)) {
			add_compensation (engine, group);
			g_ptr_array_add (covered,
					 group->invoice->invoice_id);
		}
		list_group (engine, group);
	}
	note_surviving (engine);
	add_step_fee (engine, covered);
	prune (engine);
	sum_costs (engine);
	claim->total = claim->principal + claim->interest_total +
		       claim->fees + claim->compensation - claim->unapplied;
	if (claim->total < 0)
		claim_note (claim, "the customer has a credit balance: "
			    "nothing is to be claimed");
	if (engine->policy->deadline_days > 0)
		claim->deadline = engine->as_of +
				  engine->policy->deadline_days;
}

/* ---- setting up ------------------------------------------------ */

static int
legal_order (const char *law_code)
{
	for (gsize i = 0; i < G_N_ELEMENTS (legal_orders); i++)
		if (strcmp (law_code, legal_orders[i].jurisdiction) == 0)
			return (int) i;
	return -1;
}

/* Which interest rule applies, or why none does. */
static gboolean
choose_rule (Engine *engine, GError **error)
{
	const DsClaimPolicy *policy = engine->policy;
	const DsClaimInput *input = engine->input;
	const char *why = NULL;

	if (!policy->interest) {
		engine->claim->interest_basis =
			g_strdup ("no interest is claimed at this step");
		return TRUE;
	}
	engine->interest_on = ds_interest_rule_statutory (
		input->jurisdiction, input->b2b, &engine->rule, &why);
	if (!engine->interest_on && policy->contract_rate_bp >= 0) {
		ds_interest_rule_contract (&engine->rule,
					   policy->contract_rate_bp);
		engine->interest_on = TRUE;
	}
	if (!engine->interest_on) {
		engine->claim->interest_basis = g_strdup_printf (
			"no interest: %s, and no contract rate is "
			"configured", why);
		return TRUE;
	}
	engine->claim->interest_basis =
		ds_interest_rule_describe (&engine->rule);
	if (engine->rule.table != NULL &&
	    ds_rate_tables_get (policy->rates, engine->rule.table,
				error) == NULL)
		return FALSE;
	return TRUE;
}

static void
engine_clear (Engine *engine)
{
	g_clear_pointer (&engine->groups, g_ptr_array_unref);
	g_clear_pointer (&engine->group_by_id, g_hash_table_unref);
	g_clear_pointer (&engine->claim, ds_claim_free);
}

DsClaim *
ds_claim_compute_input (const DsClaimInput *input, DsDate as_of,
			const DsClaimPolicy *policy, GError **error)
{
	Engine engine = { .input = input, .policy = policy, .as_of = as_of };
	DsClaim *claim;

	g_return_val_if_fail (as_of != DS_DATE_NONE, NULL);

	engine.claim = claim_new (input, as_of);
	engine.groups = g_ptr_array_new_with_free_func (
		(GDestroyNotify) group_free);
	engine.group_by_id = g_hash_table_new (g_str_hash, g_str_equal);
	engine.law_code = ds_interest_jurisdiction (input->jurisdiction);
	engine.order = legal_order (engine.law_code);

	if (!choose_rule (&engine, error) ||
	    !build_groups (&engine, error)) {
		engine_clear (&engine);
		return NULL;
	}
	copy_costs (&engine);
	if (!replay_history (&engine, error)) {
		engine_clear (&engine);
		return NULL;
	}
	conclude (&engine);
	claim = g_steal_pointer (&engine.claim);
	engine_clear (&engine);
	return claim;
}

DsClaim *
ds_claim_compute (DsStore *store, const char *customer_id, DsDate as_of,
		  const DsClaimPolicy *policy, GError **error)
{
	g_autoptr (DsClaimInput) input =
		ds_ledger_claim_read (store, customer_id, as_of, error);

	if (input == NULL)
		return NULL;
	return ds_claim_compute_input (input, as_of, policy, error);
}

/* ---- waivers --------------------------------------------------- */

static gboolean
waiver_matches (const DsClaimCost *cost, const char *invoice_id)
{
	return invoice_id == NULL || cost_covers (cost, invoice_id);
}

static gboolean
journal_waiver (DsStore *store, const char *object_kind,
		const char *object_id, const char *trace_id,
		const char *evidence, GError **error)
{
	DsJournalEntry entry = {
		.actor = ds_journal_actor (),
		.object_kind = object_kind,
		.object_id = object_id,
		.trace_id = trace_id,
		.event = "waived",
		.old_state = "claimed",
		.new_state = "waived",
		.evidence = evidence,
	};

	return ds_journal_append (store, &entry, error);
}

static gboolean
waive_cost (DsStore *store, const DsClaim *claim, const DsClaimCost *cost,
	    DsDate on, const char *reason, GError **error)
{
	g_autofree char *amount = ds_money_to_decimal (cost->amount,
						       claim->currency);
	g_autofree char *claimed = ds_date_to_iso (cost->claimed_on);
	g_autofree char *evidence = g_strdup_printf (
		"%s %s %s claimed on %s: %s",
		ds_claim_cost_kind_name (cost->kind), amount, claim->currency,
		claimed, reason);
	gboolean fee = cost->kind == DS_CLAIM_COST_FEE;

	return ds_ledger_claim_waive_cost (store, claim->customer_id,
					   cost->cost_id, on, reason,
					   error) &&
	       journal_waiver (store, fee ? "customer" : "invoice",
			       fee ? claim->customer_id : cost->invoice_id,
			       cost->trace_id, evidence, error);
}

static gboolean
waive_interest (DsStore *store, const DsClaim *claim,
		const char *invoice_id, gint64 accrued, DsDate on,
		const char *reason, GError **error)
{
	g_autofree char *amount = ds_money_to_decimal (accrued,
						       claim->currency);
	g_autofree char *through = ds_date_to_iso (on);
	g_autofree char *evidence = g_strdup_printf (
		"interest through %s, %s %s accrued: %s", through, amount,
		claim->currency, reason);

	return ds_ledger_claim_waive_interest (store, claim->customer_id,
					       invoice_id, on, reason,
					       error) &&
	       journal_waiver (store, "invoice", invoice_id, NULL, evidence,
			       error);
}

/* Interest accrued and not yet waived, per invoice, in claim order. */
static GPtrArray *
interest_by_invoice (const DsClaim *claim, GHashTable *accrued)
{
	GPtrArray *invoices = g_ptr_array_new ();

	for (guint i = 0; i < claim->interest->len; i++) {
		const DsClaimInterest *interest = claim->interest->pdata[i];
		gint64 *sum;

		if (interest->waived)
			continue;
		sum = g_hash_table_lookup (accrued, interest->invoice_id);
		if (sum == NULL) {
			sum = g_new0 (gint64, 1);
			g_hash_table_insert (accrued, interest->invoice_id,
					     sum);
			g_ptr_array_add (invoices, interest->invoice_id);
		}
		*sum += interest->line.amount;
	}
	return invoices;
}

/*
 * Waive the recorded costs, then the interest of each invoice once (its
 * instalments share one waiver).  What a payment already absorbed is
 * waived too: the waiver reaches back, and the payment goes to principal
 * instead.
 */
static gboolean
waive_all (DsStore *store, const DsClaim *claim, const char *invoice_id,
	   DsDate on, const char *reason, GError **error)
{
	g_autoptr (GHashTable) accrued = g_hash_table_new_full (
		g_str_hash, g_str_equal, NULL, g_free);
	g_autoptr (GPtrArray) invoices = interest_by_invoice (claim,
							      accrued);

	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		if (cost->cost_id == 0 || cost->waived ||
		    !waiver_matches (cost, invoice_id))
			continue;
		if (!waive_cost (store, claim, cost, on, reason, error))
			return FALSE;
	}
	for (guint i = 0; i < invoices->len; i++) {
		const char *id = invoices->pdata[i];

		if (invoice_id != NULL && strcmp (id, invoice_id) != 0)
			continue;
		if (!waive_interest (store, claim, id,
				     *(gint64 *) g_hash_table_lookup (accrued,
								      id),
				     on, reason, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ds_claim_waive (DsStore *store, const char *customer_id,
		const char *invoice_id, DsDate on, const char *reason,
		const DsClaimPolicy *policy, gint64 *waived, GError **error)
{
	DsClaimPolicy recorded = *policy;
	g_autoptr (DsClaim) before = NULL;
	g_autoptr (DsClaim) after = NULL;

	/* Only what was claimed is waived, never a step not yet taken. */
	recorded.step_fee = 0;
	recorded.compensation = FALSE;
	if (!ds_store_begin (store, error))
		return FALSE;
	before = ds_claim_compute (store, customer_id, on, &recorded, error);
	if (before == NULL ||
	    !waive_all (store, before, invoice_id, on, reason, error))
		goto fail;
	after = ds_claim_compute (store, customer_id, on, &recorded, error);
	if (after == NULL || !ds_store_commit (store, error))
		goto fail;
	if (waived != NULL)
		*waived = before->total - after->total;
	return TRUE;

fail:
	ds_store_rollback (store);
	return FALSE;
}

/* ---- text ------------------------------------------------------ */

/* "1050.00": money as the terminal and JSON show it. */
static char *
money (const DsClaim *claim, gint64 minor)
{
	return ds_money_to_decimal (minor, claim->currency);
}

static void
print_items (const DsClaim *claim, FILE *out)
{
	fprintf (out, "\nItems\n  %-16s %4s %-10s %12s %12s %12s %12s %5s"
		 "  %s\n", "invoice", "part", "due", "amount", "credited",
		 "paid", "open", "days", "state");
	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];
		g_autofree char *due = ds_date_to_iso (item->due_date);
		g_autofree char *amount = money (claim, item->amount);
		g_autofree char *credited = money (claim, item->credited);
		g_autofree char *paid = money (claim, item->paid);
		g_autofree char *open = money (claim, item->open);
		g_autofree char *part = item->instalment > 0 ?
			g_strdup_printf ("%d", item->instalment) :
			g_strdup ("-");

		fprintf (out, "  %-16s %4s %-10s %12s %12s %12s %12s %5d  "
			 "%s\n", item->invoice_id, part, due, amount,
			 credited, paid, open, item->days_overdue,
			 ds_claim_item_state_name (item->state));
	}
}

static const char *
target_name (const DsClaimApplication *application)
{
	static const char *const names[] = {
		[DS_CLAIM_TO_PRINCIPAL] = "principal",
		[DS_CLAIM_TO_INTEREST] = "interest",
		[DS_CLAIM_TO_COST] = "cost",
		[DS_CLAIM_TO_UNAPPLIED] = "unapplied",
	};

	if (application->target == DS_CLAIM_TO_COST)
		return ds_claim_cost_kind_name (application->cost_kind);
	return names[application->target];
}

static const char *
credit_kind_name (DsClaimCreditKind kind)
{
	return kind == DS_CLAIM_CREDIT_NOTE ? "credit-note" : "payment";
}

/* What an application paid: its invoice, or the document of a fee. */
static const char *
application_object (const DsClaimApplication *application)
{
	if (application->invoice_id != NULL)
		return application->invoice_id;
	if (application->trace_id != NULL)
		return application->trace_id;
	return "";
}

static void
print_netting (const DsClaim *claim, FILE *out)
{
	if (claim->credits->len == 0)
		return;
	fprintf (out, "\nNetted\n");
	for (guint i = 0; i < claim->credits->len; i++) {
		const DsClaimCredit *credit = claim->credits->pdata[i];
		g_autofree char *date = ds_date_to_iso (credit->date);
		g_autofree char *amount = money (claim, credit->amount);

		fprintf (out, "  %s %-11s %-16s %12s\n", date,
			 credit_kind_name (credit->kind), credit->credit_id,
			 amount);
		for (guint j = 0; j < claim->applications->len; j++) {
			const DsClaimApplication *application =
				claim->applications->pdata[j];
			g_autofree char *applied = NULL;

			if (strcmp (application->credit_id,
				    credit->credit_id) != 0)
				continue;
			applied = money (claim, application->amount);
			fprintf (out, "      to %-12s %-16s %12s\n",
				 target_name (application),
				 application_object (application), applied);
		}
	}
}

static void
print_interest (const DsClaim *claim, FILE *out)
{
	fprintf (out, "\nInterest: %s\n", claim->interest_basis);
	for (guint i = 0; i < claim->interest->len; i++) {
		const DsClaimInterest *interest = claim->interest->pdata[i];
		const DsInterestLine *line = &interest->line;
		g_autofree char *from = ds_date_to_iso (line->from);
		g_autofree char *to = ds_date_to_iso (line->to);
		g_autofree char *rate = ds_rate_format (line->rate_bp);
		g_autofree char *principal = money (claim, line->principal);
		g_autofree char *amount = money (claim, line->amount);

		fprintf (out, "  %-16s %s to %s %4d days at %7s on %12s "
			 "%10s%s  %s\n", interest->invoice_id, from, to,
			 line->days, rate, principal, amount,
			 interest->waived ? " waived" : "", line->basis);
	}
}

static void
print_costs (const DsClaim *claim, FILE *out)
{
	if (claim->costs->len == 0)
		return;
	fprintf (out, "\nFees and compensation\n");
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];
		g_autofree char *date = ds_date_to_iso (cost->claimed_on);
		g_autofree char *amount = money (claim, cost->amount);
		g_autofree char *open = money (claim, cost->open);

		fprintf (out, "  %-12s %-16s %s %12s open %12s  %s%s\n",
			 ds_claim_cost_kind_name (cost->kind),
			 cost->invoice_id != NULL ? cost->invoice_id : "",
			 date, amount, open,
			 cost->trace_id != NULL ? cost->trace_id : "new",
			 cost->waived ? " waived" : "");
		if (cost->basis != NULL)
			fprintf (out, "      %s\n", cost->basis);
	}
}

static void
print_totals (const DsClaim *claim, FILE *out)
{
	const struct {
		const char *label;
		gint64 amount;
	} rows[] = {
		{ "principal", claim->principal },
		{ "interest", claim->interest_total },
		{ "fees", claim->fees },
		{ "compensation", claim->compensation },
		{ "unapplied cash", -claim->unapplied },
		{ "total", claim->total },
	};

	fprintf (out, "\n");
	for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autofree char *amount = money (claim, rows[i].amount);

		fprintf (out, "  %-14s %14s %s\n", rows[i].label, amount,
			 claim->currency);
	}
}

void
ds_claim_print (const DsClaim *claim, FILE *out)
{
	g_autofree char *as_of = ds_date_to_iso (claim->as_of);

	fprintf (out, "Claim on %s as of %s: %s, jurisdiction %s, %s debtor\n",
		 claim->customer_id, as_of, claim->currency,
		 claim->jurisdiction, claim->b2b ? "business" : "consumer");
	print_items (claim, out);
	print_netting (claim, out);
	print_interest (claim, out);
	print_costs (claim, out);
	print_totals (claim, out);
	if (claim->deadline != DS_DATE_NONE) {
		g_autofree char *deadline = ds_date_to_iso (claim->deadline);

		fprintf (out, "  %-14s %14s\n", "pay by", deadline);
	}
	for (guint i = 0; i < claim->notes->len; i++)
		fprintf (out, "note: %s\n", (char *) claim->notes->pdata[i]);
}

/* ---- JSON ------------------------------------------------------ */

static void
json_money (JsonBuilder *builder, const DsClaim *claim, const char *name,
	    gint64 minor)
{
	g_autofree char *text = money (claim, minor);

	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, text);
}

static void
json_date (JsonBuilder *builder, const char *name, DsDate date)
{
	g_autofree char *text = ds_date_to_iso (date);

	json_builder_set_member_name (builder, name);
	if (date == DS_DATE_NONE)
		json_builder_add_null_value (builder);
	else
		json_builder_add_string_value (builder, text);
}

static void
json_string (JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name (builder, name);
	if (value == NULL)
		json_builder_add_null_value (builder);
	else
		json_builder_add_string_value (builder, value);
}

static void
json_int (JsonBuilder *builder, const char *name, gint64 value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_int_value (builder, value);
}

static void
json_instalment (JsonBuilder *builder, int instalment)
{
	json_builder_set_member_name (builder, "instalment");
	if (instalment > 0)
		json_builder_add_int_value (builder, instalment);
	else
		json_builder_add_null_value (builder);
}

static void
json_items (JsonBuilder *builder, const DsClaim *claim)
{
	json_builder_set_member_name (builder, "items");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *item = claim->items->pdata[i];

		json_builder_begin_object (builder);
		json_string (builder, "invoice_id", item->invoice_id);
		json_instalment (builder, item->instalment);
		json_string (builder, "reference", item->reference);
		json_date (builder, "issue_date", item->issue_date);
		json_date (builder, "due_date", item->due_date);
		json_money (builder, claim, "amount", item->amount);
		json_money (builder, claim, "credited", item->credited);
		json_money (builder, claim, "paid", item->paid);
		json_money (builder, claim, "open", item->open);
		json_money (builder, claim, "interest", item->interest);
		json_int (builder, "days_overdue", item->days_overdue);
		json_date (builder, "settled_on", item->settled_on);
		json_string (builder, "state",
			     ds_claim_item_state_name (item->state));
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
json_applications (JsonBuilder *builder, const DsClaim *claim,
		   const char *credit_id)
{
	json_builder_set_member_name (builder, "applied");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->applications->len; i++) {
		const DsClaimApplication *application =
			claim->applications->pdata[i];

		if (strcmp (application->credit_id, credit_id) != 0)
			continue;
		json_builder_begin_object (builder);
		json_string (builder, "to", target_name (application));
		json_string (builder, "invoice_id", application->invoice_id);
		json_instalment (builder, application->instalment);
		json_string (builder, "trace_id", application->trace_id);
		json_money (builder, claim, "amount", application->amount);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
json_netted (JsonBuilder *builder, const DsClaim *claim)
{
	json_builder_set_member_name (builder, "netted");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->credits->len; i++) {
		const DsClaimCredit *credit = claim->credits->pdata[i];

		json_builder_begin_object (builder);
		json_string (builder, "kind", credit_kind_name (credit->kind));
		json_string (builder, "id", credit->credit_id);
		json_date (builder, "date", credit->date);
		json_money (builder, claim, "amount", credit->amount);
		json_string (builder, "invoice_id", credit->invoice_id);
		json_applications (builder, claim, credit->credit_id);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
json_interest (JsonBuilder *builder, const DsClaim *claim)
{
	json_builder_set_member_name (builder, "interest");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->interest->len; i++) {
		const DsClaimInterest *interest = claim->interest->pdata[i];
		const DsInterestLine *line = &interest->line;
		g_autofree char *rate = ds_rate_format (line->rate_bp);

		rate[strlen (rate) - 1] = '\0';		/* the '%' */
		json_builder_begin_object (builder);
		json_string (builder, "invoice_id", interest->invoice_id);
		json_instalment (builder, interest->instalment);
		json_date (builder, "from", line->from);
		json_date (builder, "to", line->to);
		json_string (builder, "rate", rate);
		json_int (builder, "days", line->days);
		json_money (builder, claim, "principal", line->principal);
		json_money (builder, claim, "amount", line->amount);
		json_string (builder, "basis", line->basis);
		json_builder_set_member_name (builder, "waived");
		json_builder_add_boolean_value (builder, interest->waived);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
json_costs (JsonBuilder *builder, const DsClaim *claim)
{
	json_builder_set_member_name (builder, "costs");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];

		json_builder_begin_object (builder);
		json_string (builder, "kind",
			     ds_claim_cost_kind_name (cost->kind));
		json_string (builder, "invoice_id", cost->invoice_id);
		json_string (builder, "trace_id", cost->trace_id);
		json_date (builder, "claimed_on", cost->claimed_on);
		json_money (builder, claim, "amount", cost->amount);
		json_money (builder, claim, "paid", cost->paid);
		json_money (builder, claim, "open", cost->open);
		json_builder_set_member_name (builder, "new");
		json_builder_add_boolean_value (builder, cost->cost_id == 0);
		json_builder_set_member_name (builder, "waived");
		json_builder_add_boolean_value (builder, cost->waived);
		json_string (builder, "basis", cost->basis);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

static void
json_totals (JsonBuilder *builder, const DsClaim *claim)
{
	json_builder_set_member_name (builder, "totals");
	json_builder_begin_object (builder);
	json_money (builder, claim, "principal", claim->principal);
	json_money (builder, claim, "interest", claim->interest_total);
	json_money (builder, claim, "fees", claim->fees);
	json_money (builder, claim, "compensation", claim->compensation);
	json_money (builder, claim, "unapplied", claim->unapplied);
	json_builder_end_object (builder);
	json_money (builder, claim, "total", claim->total);
}

JsonNode *
ds_claim_to_json (const DsClaim *claim)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();

	json_builder_begin_object (builder);
	json_string (builder, "customer_id", claim->customer_id);
	json_date (builder, "as_of", claim->as_of);
	json_string (builder, "currency", claim->currency);
	json_string (builder, "jurisdiction", claim->jurisdiction);
	json_builder_set_member_name (builder, "b2b");
	json_builder_add_boolean_value (builder, claim->b2b);
	json_string (builder, "interest_basis", claim->interest_basis);
	json_items (builder, claim);
	json_netted (builder, claim);
	json_interest (builder, claim);
	json_costs (builder, claim);
	json_totals (builder, claim);
	json_date (builder, "deadline", claim->deadline);
	json_builder_set_member_name (builder, "notes");
	json_builder_begin_array (builder);
	for (guint i = 0; i < claim->notes->len; i++)
		json_builder_add_string_value (builder,
					       claim->notes->pdata[i]);
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
