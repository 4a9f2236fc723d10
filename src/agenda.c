/*
 * agenda.c -- the collectors' daily worklist.  See agenda.h.
 *
 * Reads the ledger through ledger.h and ledger-history.h, the documents
 * through document.h and the open tasks (calls, returned letters,
 * hand-overs) through feedback.h; it writes nothing.
 */
#include "agenda.h"

#include <math.h>
#include <string.h>

#include "document.h"
#include "ds-error.h"
#include "feedback.h"
#include "ledger-history.h"
#include "ledger.h"
#include "money.h"

#define UNASSIGNED "unassigned"

static const char *const kind_names[DS_AGENDA_KIND_COUNT] = {
	"promise", "returned", "dispute", "call",
};

const char *
ds_agenda_kind_name (DsAgendaKind kind)
{
	return kind_names[kind];
}

/* ---- settings --------------------------------------------------------- */

void
ds_agenda_settings_init (DsAgendaSettings *settings)
{
	memset (settings, 0, sizeof *settings);
	settings->capacity = 240;
	settings->promise_days = 30;
	settings->minutes[DS_AGENDA_PROMISE] = 10;
	settings->minutes[DS_AGENDA_RETURNED] = 15;
	settings->minutes[DS_AGENDA_DISPUTE] = 20;
	settings->minutes[DS_AGENDA_CALL] = 10;
	settings->yield[DS_AGENDA_PROMISE] = 0.5;
	settings->yield[DS_AGENDA_RETURNED] = 0.3;
	settings->yield[DS_AGENDA_DISPUTE] = 0.25;
	settings->yield[DS_AGENDA_CALL] = 0.2;
	settings->capacities = g_hash_table_new_full (g_str_hash, g_str_equal,
						      g_free, NULL);
}

void
ds_agenda_settings_clear (DsAgendaSettings *settings)
{
	g_clear_pointer (&settings->capacities, g_hash_table_unref);
}

static gboolean
number_fail (const DsConfig *config, const char *group, const char *key,
	     GError **error)
{
	g_set_error (error, DS_ERROR, DS_ERROR_CONFIG,
		     "%s: [%s] %s: not a number in range", config->path, group,
		     key);
	return FALSE;
}

/* An optional number in [low, high]; absent keeps *value. */
static gboolean
read_number (GKeyFile *file, const DsConfig *config, const char *group,
	     const char *key, double high, gboolean whole, double *value,
	     GError **error)
{
	g_autofree char *text = g_key_file_get_string (file, group, key,
						       NULL);
	char *end = NULL;
	double number;

	if (text == NULL)
		return TRUE;
	number = g_ascii_strtod (g_strstrip (text), &end);
	if (end == text || *end != '\0' || !isfinite (number) ||
	    number < 0 || number > high ||
	    (whole && number != floor (number)))
		return number_fail (config, group, key, error);
	*value = number;
	return TRUE;
}

static gboolean
read_minutes (GKeyFile *file, const DsConfig *config, const char *group,
	      const char *key, int *minutes, GError **error)
{
	double value = *minutes;

	if (!read_number (file, config, group, key, 24 * 60, TRUE, &value,
			  error))
		return FALSE;
	*minutes = (int) value;
	return TRUE;
}

static gboolean
read_kinds (GKeyFile *file, const DsConfig *config,
	    DsAgendaSettings *settings, GError **error)
{
	for (int kind = 0; kind < DS_AGENDA_KIND_COUNT; kind++) {
		const char *name = kind_names[kind];
		g_autofree char *minutes = g_strconcat ("minutes_", name,
							NULL);
		g_autofree char *yield = g_strconcat ("yield_",
						      kind_names[kind], NULL);

		if (!read_minutes (file, config, "agenda", minutes,
				   &settings->minutes[kind], error) ||
		    !read_number (file, config, "agenda", yield, 1, FALSE,
				  &settings->yield[kind], error))
			return FALSE;
		if (settings->minutes[kind] < 1)
			return number_fail (config, "agenda", minutes, error);
	}
	return TRUE;
}

static gboolean
read_collectors (GKeyFile *file, const DsConfig *config,
		 DsAgendaSettings *settings, GError **error)
{
	g_auto (GStrv) names = g_key_file_get_keys (file, "collectors", NULL,
						    NULL);

	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		int minutes = 0;

		if (!read_minutes (file, config, "collectors", names[i],
				   &minutes, error))
			return FALSE;
		g_hash_table_insert (settings->capacities,
				     g_strdup (names[i]),
				     GINT_TO_POINTER (minutes));
	}
	return TRUE;
}

gboolean
ds_agenda_settings_load (const DsConfig *config, DsAgendaSettings *settings,
			 GError **error)
{
	g_autoptr (GKeyFile) file = g_key_file_new ();

	ds_agenda_settings_init (settings);
	return g_key_file_load_from_file (file, config->path, G_KEY_FILE_NONE,
					  error) &&
	       read_minutes (file, config, "agenda", "capacity",
			     &settings->capacity, error) &&
	       read_minutes (file, config, "agenda", "promise_days",
			     &settings->promise_days, error) &&
	       read_kinds (file, config, settings, error) &&
	       read_collectors (file, config, settings, error);
}

int
ds_agenda_capacity (const DsAgendaSettings *settings, const char *collector)
{
	gpointer minutes;

	if (settings->capacities != NULL &&
	    g_hash_table_lookup_extended (settings->capacities, collector,
					  NULL, &minutes))
		return GPOINTER_TO_INT (minutes);
	return settings->capacity;
}

/* ---- tasks ------------------------------------------------------------ */

DsAgendaTask *
ds_agenda_task_new (DsAgendaKind kind, const char *collector,
		    const char *customer_id, const char *subject,
		    const char *currency, gint64 amount, DsDate since)
{
	DsAgendaTask *task = g_new0 (DsAgendaTask, 1);

	task->kind = kind;
	task->collector = g_strdup (collector != NULL && *collector != '\0' ?
				    collector : UNASSIGNED);
	task->customer_id = g_strdup (customer_id);
	task->subject = g_strdup (subject);
	task->currency = g_strdup (currency);
	task->amount = amount;
	task->since = since;
	return task;
}

void
ds_agenda_task_free (DsAgendaTask *task)
{
	if (task == NULL)
		return;
	g_free (task->collector);
	g_free (task->customer_id);
	g_free (task->subject);
	g_free (task->currency);
	g_free (task->note);
	g_free (task);
}

/* The customer's collector, looked up once per customer. */
static const char *
collector_of (DsStore *store, GHashTable *collectors,
	      const char *customer_id)
{
	g_autoptr (DsCustomer) customer = NULL;
	const char *known = g_hash_table_lookup (collectors, customer_id);

	if (known != NULL)
		return known;
	customer = ds_ledger_get_customer (store, customer_id, NULL);
	known = customer != NULL && customer->collector != NULL ?
		customer->collector : UNASSIGNED;
	g_hash_table_insert (collectors, g_strdup (customer_id),
			     g_strdup (known));
	return g_hash_table_lookup (collectors, customer_id);
}

/* What a promise covered that is still open on `date`. */
static gint64
promise_open (const DsHistoryCustomer *customer, const DsPromise *promise,
	      DsDate date, const char **subject)
{
	gint64 open = 0;

	*subject = promise->promise_id;
	for (guint i = 0; i < customer->invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			customer->invoices, i);

		if (promise->invoice_id != NULL ?
		    strcmp (promise->invoice_id, invoice->invoice_id) != 0 :
		    invoice->due_date > promise->promised_date)
			continue;
		if (ds_history_invoice_open (invoice, date))
			open += invoice->amount -
				ds_history_invoice_paid (invoice, date);
	}
	return MIN (open, promise->amount);
}

static gboolean
collect_promises (DsStore *store, const DsAgendaSettings *settings,
		  const DsHistoryCustomer *customer, const char *collector,
		  DsDate date, GPtrArray *tasks, GError **error)
{
	g_autoptr (GPtrArray) promises = ds_ledger_promises (
		store, customer->customer_id, date, error);

	if (promises == NULL)
		return FALSE;
	for (guint i = 0; i < promises->len; i++) {
		const DsPromise *promise = g_ptr_array_index (promises, i);
		const DsHistoryInvoice *first;
		const char *subject;
		gint64 open;

		if (promise->promised_date >= date ||
		    (gint64) promise->promised_date + settings->promise_days <
		    (gint64) date || customer->invoices->len == 0)
			continue;
		open = promise_open (customer, promise, date, &subject);
		first = g_ptr_array_index (customer->invoices, 0);
		if (open > 0)
			g_ptr_array_add (tasks, ds_agenda_task_new (
				DS_AGENDA_PROMISE, collector,
				customer->customer_id, subject,
				first->currency, open,
				promise->promised_date + 1));
	}
	return TRUE;
}

static void
collect_disputes (const DsHistoryCustomer *customer, const char *collector,
		  DsDate date, GPtrArray *tasks)
{
	for (guint i = 0; i < customer->invoices->len; i++) {
		const DsHistoryInvoice *invoice = g_ptr_array_index (
			customer->invoices, i);
		gint64 open;

		if (!ds_history_invoice_disputed (invoice, date) ||
		    !ds_history_invoice_open (invoice, date))
			continue;
		open = invoice->amount - ds_history_invoice_paid (invoice,
								  date);
		g_ptr_array_add (tasks, ds_agenda_task_new (
			DS_AGENDA_DISPUTE, collector, customer->customer_id,
			invoice->invoice_id, invoice->currency, open,
			invoice->dispute_opened));
	}
}

/*
 * What is still open on `date` of the invoices a call lists, less those
 * disputed by then (they are on the agenda as disputes).
 */
static gint64
call_open (const DsLedgerHistory *history, const DsDocument *document,
	   DsDate date)
{
	gint64 open = 0;

	for (guint i = 0; i < document->items->len; i++) {
		const DsDocumentItem *item = g_ptr_array_index (
			document->items, i);
		const DsHistoryInvoice *invoice = ds_ledger_history_find (
			history, item->invoice_id);

		if (invoice == NULL || !ds_history_invoice_open (invoice,
								 date) ||
		    ds_history_invoice_disputed (invoice, date))
			continue;
		open += invoice->amount - ds_history_invoice_paid (invoice,
								   date);
	}
	return open;
}

static gboolean
phone_known (DsStore *store, const char *customer_id)
{
	g_autoptr (DsCustomer) customer = ds_ledger_get_customer (
		store, customer_id, NULL);

	return customer != NULL && customer->phone != NULL &&
	       *customer->phone != '\0';
}

/*
 * One open task of the tasks table (feedback.h), as "TASK_ID TRACE_ID
 * CUSTOMER KIND", about a document of `date` or before: a call is worth
 * what is still open of its invoices (none: nothing to call about; a
 * call an operator cancelled is not listed either), any other (a
 * returned letter, a hand-over) the document's total; each arose on its
 * document's date.
 */
static gboolean
collect_stored_task (DsInstance *instance,
		     const DsLedgerHistory *history, GHashTable *collectors,
		     GStrv fields, DsDate date, GPtrArray *tasks,
		     GError **error)
{
	g_autoptr (DsDocument) document = ds_document_get (instance->store,
							   fields[1], error);
	gboolean call = strcmp (fields[3], DS_TASK_CALL) == 0;
	gint64 amount;
	DsAgendaTask *task;

	if (document == NULL)
		return FALSE;
	if (document->as_of > date ||
	    (call && g_strcmp0 (document->state, "task") != 0))
		return TRUE;
	amount = call ? call_open (history, document, date) :
		 document->total;
	if (call && amount <= 0)
		return TRUE;
	task = ds_agenda_task_new (
		call ? DS_AGENDA_CALL : DS_AGENDA_RETURNED,
		collector_of (instance->store, collectors, fields[2]),
		fields[2], fields[1], document->currency, amount,
		document->as_of);
	task->task_id = g_ascii_strtoll (fields[0], NULL, 10);
	if (call && !phone_known (instance->store, fields[2]))
		task->note = g_strdup ("no phone number");
	g_ptr_array_add (tasks, task);
	return TRUE;
}

static gboolean
collect_stored (DsInstance *instance, const DsLedgerHistory *history,
		GHashTable *collectors, DsDate date, GPtrArray *tasks,
		GError **error)
{
	g_autoptr (GPtrArray) lines = ds_feedback_open_tasks (instance,
							      error);

	if (lines == NULL)
		return FALSE;
	for (guint i = 0; i < lines->len; i++) {
		g_auto (GStrv) fields = g_strsplit (g_ptr_array_index (lines,
								       i),
						    " ", 4);

		if (g_strv_length (fields) == 4 &&
		    !collect_stored_task (instance, history, collectors,
					  fields, date, tasks, error))
			return FALSE;
	}
	return TRUE;
}

GPtrArray *
ds_agenda_collect (DsInstance *instance, const DsAgendaSettings *settings,
		   DsDate date, GError **error)
{
	DsStore *store = instance->store;
	g_autoptr (GPtrArray) tasks = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_agenda_task_free);
	g_autoptr (GHashTable) collectors = g_hash_table_new_full (
		g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (DsLedgerHistory) history = ds_ledger_history_load (
		store, date, error);
	GPtrArray *customers;

	if (history == NULL)
		return NULL;
	customers = ds_ledger_history_customers (history);
	for (guint i = 0; i < customers->len; i++) {
		const DsHistoryCustomer *customer = g_ptr_array_index (
			customers, i);
		const char *collector = collector_of (store, collectors,
						      customer->customer_id);

		if (!collect_promises (store, settings, customer, collector,
				       date, tasks, error))
			return NULL;
		collect_disputes (customer, collector, date, tasks);
	}
	if (!collect_stored (instance, history, collectors, date, tasks,
			     error))
		return NULL;
	return g_steal_pointer (&tasks);
}

/* ---- planning --------------------------------------------------------- */

void
ds_agenda_free (DsAgenda *agenda)
{
	if (agenda == NULL)
		return;
	g_ptr_array_unref (agenda->lists);
	g_free (agenda);
}

static void
agenda_list_free (DsAgendaList *list)
{
	g_free (list->collector);
	g_ptr_array_unref (list->tasks);
	g_ptr_array_unref (list->cut);
	g_free (list);
}

/* Most cash per minute first; then the larger amount; then by subject. */
static int
compare_tasks (gconstpointer a, gconstpointer b)
{
	const DsAgendaTask *x = *(const DsAgendaTask *const *) a;
	const DsAgendaTask *y = *(const DsAgendaTask *const *) b;

	if (x->cash_per_minute != y->cash_per_minute)
		return x->cash_per_minute > y->cash_per_minute ? -1 : 1;
	if (x->amount != y->amount)
		return x->amount > y->amount ? -1 : 1;
	return strcmp (x->subject, y->subject);
}

static int
compare_lists (gconstpointer a, gconstpointer b)
{
	const DsAgendaList *x = *(const DsAgendaList *const *) a;
	const DsAgendaList *y = *(const DsAgendaList *const *) b;

	return strcmp (x->collector, y->collector);
}

static DsAgendaList *
list_for (GHashTable *lists, const DsAgendaSettings *settings,
	  const char *collector)
{
	DsAgendaList *list = g_hash_table_lookup (lists, collector);

	if (list != NULL)
		return list;
	list = g_new0 (DsAgendaList, 1);
	list->collector = g_strdup (collector);
	list->capacity = ds_agenda_capacity (settings, collector);
	list->tasks = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_agenda_task_free);
	list->cut = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_agenda_task_free);
	g_hash_table_insert (lists, list->collector, list);
	return list;
}

DsAgenda *
ds_agenda_plan (const DsAgendaSettings *settings, GPtrArray *tasks,
		DsDate date, const char *collector)
{
	g_autoptr (GHashTable) lists = g_hash_table_new (g_str_hash,
							 g_str_equal);
	DsAgenda *agenda = g_new0 (DsAgenda, 1);

	agenda->date = date;
	agenda->lists = g_ptr_array_new_with_free_func (
		(GDestroyNotify) agenda_list_free);
	for (guint i = 0; i < tasks->len; i++) {
		DsAgendaTask *task = g_ptr_array_index (tasks, i);

		task->minutes = settings->minutes[task->kind];
		task->cash_per_minute = task->amount *
					settings->yield[task->kind] /
					task->minutes;
	}
	g_ptr_array_sort (tasks, compare_tasks);

	/* Fill each collector's day in order; what does not fit is cut. */
	g_ptr_array_set_free_func (tasks, NULL);
	for (guint i = 0; i < tasks->len; i++) {
		DsAgendaTask *task = g_ptr_array_index (tasks, i);
		DsAgendaList *list;

		if (collector != NULL && strcmp (collector,
						 task->collector) != 0) {
			ds_agenda_task_free (task);
			continue;
		}
		list = list_for (lists, settings, task->collector);
		if (list->minutes + task->minutes <= list->capacity) {
			list->minutes += task->minutes;
			g_ptr_array_add (list->tasks, task);
		} else {
			g_ptr_array_add (list->cut, task);
		}
	}
	g_ptr_array_unref (tasks);
	if (collector != NULL)
		list_for (lists, settings, collector);

	{
		g_autoptr (GList) values = g_hash_table_get_values (lists);

		for (GList *l = values; l != NULL; l = l->next)
			g_ptr_array_add (agenda->lists, l->data);
	}
	g_ptr_array_sort (agenda->lists, compare_lists);
	return agenda;
}

DsAgenda *
ds_agenda_build (DsInstance *instance, DsDate date, const char *collector,
		 GError **error)
{
	DsAgendaSettings settings;
	GPtrArray *tasks;
	DsAgenda *agenda = NULL;

	if (!ds_agenda_settings_load (instance->config, &settings, error)) {
		ds_agenda_settings_clear (&settings);
		return NULL;
	}
	tasks = ds_agenda_collect (instance, &settings, date, error);
	if (tasks != NULL)
		agenda = ds_agenda_plan (&settings, tasks, date, collector);
	ds_agenda_settings_clear (&settings);
	return agenda;
}

/* ---- output ----------------------------------------------------------- */

static void
print_task (const DsAgendaTask *task, FILE *out, const char *mark)
{
	g_autofree char *amount = ds_money_to_decimal (task->amount,
						       task->currency);
	g_autofree char *rate = ds_money_to_decimal (
		llround (task->cash_per_minute), task->currency);
	char since[DS_DATE_ISO_LEN];

	ds_date_format_iso (task->since, since);
	fprintf (out, "  %s%-9s %-12s %-14s %12s %s %-10s %3d min "
		 "%8s/min",
		 mark, ds_agenda_kind_name (task->kind), task->customer_id,
		 task->subject, amount, task->currency, since, task->minutes,
		 rate);
	if (task->task_id > 0)
		fprintf (out, "  task %" G_GINT64_FORMAT, task->task_id);
	if (task->note != NULL)
		fprintf (out, "  %s", task->note);
	fputc ('\n', out);
}

void
ds_agenda_print (const DsAgenda *agenda, FILE *out)
{
	char date[DS_DATE_ISO_LEN];

	ds_date_format_iso (agenda->date, date);
	for (guint i = 0; i < agenda->lists->len; i++) {
		const DsAgendaList *list = g_ptr_array_index (agenda->lists,
							      i);

		fprintf (out, "%s %s: %u tasks, %d of %d minutes, %u cut\n",
			 list->collector, date, list->tasks->len,
			 list->minutes, list->capacity, list->cut->len);
		for (guint j = 0; j < list->tasks->len; j++)
			print_task (g_ptr_array_index (list->tasks, j), out,
				    "");
		for (guint j = 0; j < list->cut->len; j++)
			print_task (g_ptr_array_index (list->cut, j), out,
				    "cut ");
	}
}

static void
add_tasks (JsonBuilder *builder, const char *name, GPtrArray *tasks)
{
	json_builder_set_member_name (builder, name);
	json_builder_begin_array (builder);
	for (guint i = 0; i < tasks->len; i++) {
		const DsAgendaTask *task = g_ptr_array_index (tasks, i);
		g_autofree char *amount = ds_money_to_decimal (task->amount,
							       task->currency);
		g_autofree char *since = ds_date_to_iso (task->since);
		g_autofree char *rate = ds_money_to_decimal (
			llround (task->cash_per_minute), task->currency);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "kind");
		json_builder_add_string_value (builder,
			ds_agenda_kind_name (task->kind));
		json_builder_set_member_name (builder, "customer_id");
		json_builder_add_string_value (builder, task->customer_id);
		json_builder_set_member_name (builder, "subject");
		json_builder_add_string_value (builder, task->subject);
		json_builder_set_member_name (builder, "amount");
		json_builder_add_string_value (builder, amount);
		json_builder_set_member_name (builder, "currency");
		json_builder_add_string_value (builder, task->currency);
		json_builder_set_member_name (builder, "since");
		json_builder_add_string_value (builder, since);
		json_builder_set_member_name (builder, "minutes");
		json_builder_add_int_value (builder, task->minutes);
		json_builder_set_member_name (builder, "cash_per_minute");
		json_builder_add_string_value (builder, rate);
		if (task->task_id > 0) {
			json_builder_set_member_name (builder, "task_id");
			json_builder_add_int_value (builder, task->task_id);
		}
		if (task->note != NULL) {
			json_builder_set_member_name (builder, "note");
			json_builder_add_string_value (builder, task->note);
		}
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
}

JsonNode *
ds_agenda_to_json (const DsAgenda *agenda)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_autofree char *date = ds_date_to_iso (agenda->date);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "date");
	json_builder_add_string_value (builder, date);
	json_builder_set_member_name (builder, "collectors");
	json_builder_begin_array (builder);
	for (guint i = 0; i < agenda->lists->len; i++) {
		const DsAgendaList *list = g_ptr_array_index (agenda->lists,
							      i);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "collector");
		json_builder_add_string_value (builder, list->collector);
		json_builder_set_member_name (builder, "capacity_minutes");
		json_builder_add_int_value (builder, list->capacity);
		json_builder_set_member_name (builder, "minutes");
		json_builder_add_int_value (builder, list->minutes);
		add_tasks (builder, "tasks", list->tasks);
		add_tasks (builder, "cut", list->cut);
		json_builder_end_object (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	return json_builder_get_root (builder);
}
