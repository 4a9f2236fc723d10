/*
 * production.c -- render, store and validate documents.
 * See production.h.
 *
 * Money: the letter's items and total are the document's claim
 * (claim-letter.h) on its date: netting, interest and the step's fee and
 * compensation as the configuration sets them.  The claim is recorded
 * (ds_ledger_claim_record) in the transaction that makes the document
 * ready, so a document that fails validation claims nothing and a
 * re-run never records a fee or compensation twice.  A document in
 * another currency than its customer's is printed with its open items
 * only, as the claim covers the customer's currency.
 *
 * A document produced later than planned (requeued from
 * action-required, or left scheduled by a failed day) is dated on the
 * production day first (ds_document_redate): a letter never carries a
 * date from before it was made.
 */
#define G_LOG_DOMAIN "dunspool-production"

#include "production.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "claim-letter.h"
#include "ds-error.h"
#include "event-documents.h"
#include "journal.h"
#include "ledger-claim.h"
#include "channel-email.h"
#include "log.h"
#include "spool.h"

int
ds_production_page_limit (const DsConfig *config, DsChannel channel)
{
	switch (channel) {
	case DS_CHANNEL_EMAIL:
		return config->page_limit_email;
	case DS_CHANNEL_FAX:
		return config->page_limit_fax;
	default:
		return config->page_limit_letter;
	}
}

static char *
sha256_hex (GBytes *bytes)
{
	return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

/* The letter's items, from the document and the ledger on the date. */
static GPtrArray *
letter_items (const DsProduction *production, const DsDocument *document,
	      gint64 *total)
{
	GPtrArray *items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_item_free);

	*total = 0;
	for (guint i = 0; i < document->items->len; i++) {
		DsDocumentItem *entry = g_ptr_array_index (document->items,
							   i);
		DsOpenItem *open = g_hash_table_lookup (
			production->open_items, entry->invoice_id);
		DsLetterItem *item;

		if (open == NULL)
			continue;	/* settled since it was planned */
		item = g_new0 (DsLetterItem, 1);
		item->invoice_id = g_strdup (entry->invoice_id);
		item->reference = g_strdup (open->invoice.reference);
		item->issue_date = open->invoice.issue_date;
		item->due_date = open->due;
		item->amount = open->invoice.amount;
		item->paid = open->paid;
		item->open = ds_open_item_claimed (open);
		item->days_overdue = (gint64) document->as_of -
				     (gint64) open->due;
		*total += item->open;
		g_ptr_array_add (items, item);
	}
	return items;
}

/* The letter's items from the claim: everything it claims, no dispute. */
static GPtrArray *
claim_items (const DsClaim *claim)
{
	GPtrArray *items = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_item_free);

	for (guint i = 0; i < claim->items->len; i++) {
		const DsClaimItem *entry = claim->items->pdata[i];
		DsLetterItem *item;

		if (entry->state == DS_CLAIM_ITEM_DISPUTED ||
		    entry->state == DS_CLAIM_ITEM_NOT_DUE)
			continue;
		item = g_new0 (DsLetterItem, 1);
		item->invoice_id = g_strdup (entry->invoice_id);
		item->reference = g_strdup (entry->reference);
		item->issue_date = entry->issue_date;
		item->due_date = entry->due_date;
		item->amount = entry->amount;
		item->paid = entry->paid + entry->credited;
		item->open = entry->open;
		item->days_overdue = entry->days_overdue;
		item->instalment = entry->instalment;
		item->instalments = entry->instalments;
		g_ptr_array_add (items, item);
	}
	return items;
}

static DsLetterCharge *
charge_new (GPtrArray *charges, DsLetterChargeKind kind,
	    const char *invoice_id, gint64 amount)
{
	DsLetterCharge *charge = g_new0 (DsLetterCharge, 1);

	charge->kind = kind;
	charge->invoice_id = g_strdup (invoice_id);
	charge->amount = amount;
	g_ptr_array_add (charges, charge);
	return charge;
}

/*
 * Netting: what went to principal explains the items' paid column;
 * what went to interest or costs is deducted from the interest, fee
 * and compensation lines below, which are printed as claimed; unapplied
 * cash from the total.  So every payment the letter names adds up to
 * what the customer paid.
 */
static void
netting_charges (const DsClaim *claim, GPtrArray *charges)
{
	for (guint i = 0; i < claim->applications->len; i++) {
		const DsClaimApplication *application =
			claim->applications->pdata[i];
		DsLetterChargeKind kind =
			application->kind == DS_CLAIM_CREDIT_NOTE ?
			DS_LETTER_CHARGE_CREDIT_NOTE :
			DS_LETTER_CHARGE_PAYMENT;
		DsLetterCharge *charge;

		if (application->target == DS_CLAIM_TO_UNAPPLIED)
			kind = DS_LETTER_CHARGE_UNAPPLIED;
		charge = charge_new (charges, kind, application->invoice_id,
				     -application->amount);
		charge->id = g_strdup (application->credit_id);
		charge->date = application->date;
		if (application->target == DS_CLAIM_TO_PRINCIPAL) {
			charge->included = TRUE;
			charge->amount = application->amount;
		}
	}
}

/* "base rate 3.62% + 9 points (§ 288 (2) BGB)" -> "§ 288 (2) BGB" */
static char *
interest_law (const char *basis)
{
	const char *open = basis ? strstr (basis, " (") : NULL;

	if (open == NULL || !g_str_has_suffix (basis, ")"))
		return g_strdup (basis);
	return g_strndup (open + 2, strlen (open + 2) - 1);
}

static void
interest_charges (const DsClaim *claim, GPtrArray *charges)
{
	for (guint i = 0; i < claim->interest->len; i++) {
		const DsClaimInterest *interest = claim->interest->pdata[i];
		const DsInterestLine *line = &interest->line;
		DsLetterCharge *charge;

		if (interest->waived || line->amount == 0)
			continue;
		charge = charge_new (charges, DS_LETTER_CHARGE_INTEREST,
				     interest->invoice_id, line->amount);
		charge->from = line->from;
		charge->to = line->to;
		charge->days = line->days;
		charge->rate_bp = line->rate_bp;
		charge->principal = line->principal;
		charge->basis = interest_law (line->basis);
	}
}

/*
 * Fees, then compensation, as claimed (what was paid on them is in the
 * netting); earlier ones with the date they were first claimed.
 */
static void
cost_charges (const DsClaim *claim, GPtrArray *charges,
	      DsClaimCostKind kind)
{
	for (guint i = 0; i < claim->costs->len; i++) {
		const DsClaimCost *cost = claim->costs->pdata[i];
		DsLetterCharge *charge;

		if (cost->kind != kind || cost->waived ||
		    cost->open + cost->paid <= 0)
			continue;
		charge = charge_new (charges, kind == DS_CLAIM_COST_FEE ?
				     DS_LETTER_CHARGE_FEE :
				     DS_LETTER_CHARGE_COMPENSATION,
				     cost->invoice_id,
				     cost->open + cost->paid);
		if (cost->cost_id != 0)
			charge->date = cost->claimed_on;
		if (kind == DS_CLAIM_COST_COMPENSATION)
			charge->basis = g_strdup (cost->basis);
	}
}

static GPtrArray *
claim_charges (const DsClaim *claim)
{
	GPtrArray *charges = g_ptr_array_new_with_free_func (
		(GDestroyNotify) ds_letter_charge_free);

	netting_charges (claim, charges);
	interest_charges (claim, charges);
	cost_charges (claim, charges, DS_CLAIM_COST_FEE);
	cost_charges (claim, charges, DS_CLAIM_COST_COMPENSATION);
	return charges;
}

static DsClaim *
document_claim (DsProduction *production, const DsDocument *document,
		const DsCustomer *customer, GError **error)
{
	const DsConfig *config = production->instance->config;
	const DsRateTables *rates = NULL;

	if (g_strcmp0 (customer->currency, document->currency) != 0)
		return NULL;
	if (ds_claim_letter_needs_rates (config, document)) {
		rates = ds_rate_tables_default (error);
		if (rates == NULL)
			return NULL;
	}
	return ds_claim_letter_compute (production->instance->store, config,
					document, rates, error);
}

/*
 * A file at PATH from an earlier production of this document: one cut
 * off by a crash before the store recorded it, or one that failed
 * validation and is made again after a requeue.  Only a document in
 * production writes there, and its record gets the new file's hash, so
 * the old file goes.
 */
static gboolean
remove_unrecorded (const char *path, GError **error)
{
	if (g_unlink (path) == 0 || errno == ENOENT)
		return TRUE;
	g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY, "%s: %s", path,
		     g_strerror (errno));
	return FALSE;
}

static gboolean
store_pdf (DsProduction *production, const DsDocument *document,
	   GBytes *pdf, char **path, GError **error)
{
	int year, month, day;
	g_autofree char *month_dir = NULL;
	g_autofree char *directory = NULL;
	g_autofree char *name = g_strdup_printf ("%s.pdf",
						 document->trace_id);

	ds_date_to_ymd (document->as_of, &year, &month, &day);
	month_dir = g_strdup_printf ("documents/%04d-%02d", year, month);
	directory = ds_instance_spool_path (production->instance, month_dir);
	if (g_mkdir_with_parents (directory, 0750) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_TEMPORARY, "%s: %s",
			     directory, g_strerror (errno));
		return FALSE;
	}
	*path = g_build_filename (directory, name, NULL);
	if (!remove_unrecorded (*path, error) ||
	    !ds_spool_write_file (directory, name, pdf, error))
		return FALSE;
	g_chmod (*path, 0440);
	return TRUE;
}

/* Fail the document into action-required, keeping the reason. */
static gboolean
require_action (DsStore *store, const char *trace_id, const char *reason,
		char **final_state, GError **error)
{
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_DOCUMENT_ACTION_REQUIRED,
		      &(DsLogFields) { .trace_id = trace_id,
				       .state = "action-required" },
		      "%s: action required: %s", trace_id, reason);
	*final_state = g_strdup ("action-required");
	return ds_document_set_reason (store, trace_id, reason, error) &&
	       ds_document_move (store, trace_id, "action-required", NULL,
				 reason, error);
}

static gboolean
record_pdf (DsProduction *production, DsDocument *document, GBytes *pdf,
	    int pages, GError **error)
{
	DsStore *store = production->instance->store;
	g_autofree char *path = NULL;
	g_autofree char *sha256 = sha256_hex (pdf);
	g_autofree char *evidence = NULL;

	if (!store_pdf (production, document, pdf, &path, error))
		return FALSE;
	evidence = g_strdup_printf ("sha256=%s pages=%d bytes=%zu", sha256,
				    pages, g_bytes_get_size (pdf));
	if (!ds_store_begin (store, error))
		return FALSE;
	if (!ds_document_set_pdf (store, document->trace_id, path, sha256,
				  pages, error) ||
	    !ds_document_move (store, document->trace_id, "rendered", NULL,
			       evidence, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	g_free (document->pdf_path);
	document->pdf_path = g_steal_pointer (&path);
	g_free (document->pdf_sha256);
	document->pdf_sha256 = g_steal_pointer (&sha256);
	return ds_store_commit (store, error);
}

/* A letter and the records it points to, owned together. */
typedef struct {
	DsLetter letter;
	DsEntity *entity;
	DsCustomer *customer;
	GPtrArray *items;
	DsClaim *claim;		/* NULL: another currency, open items */
	GPtrArray *charges;	/* of DsLetterCharge */
	gboolean settled;	/* every item of the document settled */
	DsEventLetter *event;	/* an event document's; else NULL */
} LetterData;

static void
letter_data_clear (LetterData *data)
{
	ds_entity_free (data->entity);
	ds_customer_free (data->customer);
	ds_claim_free (data->claim);
	ds_event_letter_free (data->event);
	if (data->charges != NULL)
		g_ptr_array_unref (data->charges);
	if (data->items != NULL)
		g_ptr_array_unref (data->items);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LetterData, letter_data_clear)

static const char *
template_name (const DsProduction *production, const DsDocument *document)
{
	const DsStrategy *strategy = ds_config_find_strategy (
		production->instance->config, document->strategy);
	const DsStep *step = strategy ?
		ds_strategy_step (strategy, document->step_index) : NULL;

	return step ? step->template_name : document->step;
}

static gboolean
letter_data_load (DsProduction *production, const DsDocument *document,
		  LetterData *data, GError **error)
{
	DsStore *store = production->instance->store;
	DsLetter *letter = &data->letter;

	data->entity = ds_ledger_get_entity (store, document->entity_id,
					     error);
	if (data->entity == NULL)
		return FALSE;
	data->customer = ds_ledger_get_customer (store,
						 document->customer_id, error);
	if (data->customer == NULL)
		return FALSE;
	if (document->event_object != NULL) {
		/* An event letter: what happened, no claim (see
		   event-documents.h). */
		data->event = ds_event_letter_load (store, document,
						    production->open_items,
						    error);
		if (data->event == NULL)
			return FALSE;
		data->items = g_ptr_array_ref (data->event->items);
		letter->total = data->event->total;
		letter->event = &data->event->event;
	} else {
		data->items = letter_items (production, document,
					    &letter->total);
		data->settled = data->items->len == 0;
	}
	if (data->event == NULL && !data->settled &&
	    g_strcmp0 (data->customer->currency, document->currency) == 0) {
		data->claim = document_claim (production, document,
					      data->customer, error);
		if (data->claim == NULL)
			return FALSE;
		g_ptr_array_unref (data->items);
		data->items = claim_items (data->claim);
		data->charges = claim_charges (data->claim);
		letter->charges = data->charges;
		letter->total = data->claim->total;
	}
	letter->entity = data->entity;
	letter->customer = data->customer;
	letter->trace_id = document->trace_id;
	letter->step = template_name (production, document);
	letter->language = document->language;
	letter->date = document->as_of;
	letter->deadline = document->deadline;
	letter->registered = document->channel == DS_CHANNEL_REGISTERED;
	letter->currency = document->currency;
	letter->items = data->items;
	return TRUE;
}

static gboolean
validate (DsProduction *production, const DsDocument *document,
	  const LetterData *data, const DsRendered *rendered,
	  char **final_state, GError **error)
{
	DsStore *store = production->instance->store;
	int limit = ds_production_page_limit (production->instance->config,
					      document->channel);
	g_autoptr (GError) local = NULL;

	if (!ds_render_validate (&data->letter, rendered, limit, &local))
		return require_action (store, document->trace_id,
				       local->message, final_state, error);
	if (!ds_store_begin (store, error))
		return FALSE;
	if ((data->claim != NULL &&
	     !ds_ledger_claim_record (store, document->trace_id, data->claim,
				      error)) ||
	    !ds_document_move (store, document->trace_id, "validated", NULL,
			       NULL, error) ||
	    !ds_document_move (store, document->trace_id, "ready", NULL,
			       ds_channel_name (document->channel), error) ||
	    !ds_store_commit (store, error)) {
		ds_store_rollback (store);
		return FALSE;
	}
	*final_state = g_strdup ("ready");
	return TRUE;
}

/*
 * The e-mail document's whole message is composed here, once, and kept
 * beside the PDF as TRACE.eml: what the dispatcher sends is exactly what
 * was produced and recorded.
 */
static gboolean
store_email (DsProduction *production, const DsDocument *document,
	     const LetterData *data, const DsRendered *rendered,
	     GError **error)
{
	g_autoptr (GBytes) message = NULL;
	g_autofree char *directory = g_path_get_dirname (document->pdf_path);
	g_autofree char *name = g_strdup_printf ("%s.eml",
						 document->trace_id);
	g_autofree char *path = g_build_filename (directory, name, NULL);
	g_autofree char *sha256 = NULL;
	g_autofree char *evidence = NULL;

	message = ds_production_compose_email (production->instance,
					       document, data->entity,
					       data->customer, rendered,
					       error);
	if (message == NULL || !remove_unrecorded (path, error) ||
	    !ds_spool_write_file (directory, name, message, error))
		return FALSE;
	g_chmod (path, 0440);
	sha256 = sha256_hex (message);
	evidence = g_strdup_printf ("message sha256=%s bytes=%zu", sha256,
				    g_bytes_get_size (message));
	{
		DsJournalEntry entry = {
			.object_kind = "document",
			.object_id = document->trace_id,
			.trace_id = document->trace_id,
			.event = "composed", .new_state = "rendered",
			.old_state = "rendered", .evidence = evidence,
		};

		return ds_journal_append (production->instance->store,
					  &entry, error);
	}
}

gboolean
ds_production_run (DsProduction *production, const char *trace_id,
		   char **final_state, GError **error)
{
	DsStore *store = production->instance->store;
	g_autoptr (DsDocument) document = ds_document_get (store, trace_id,
							   error);
	g_auto (LetterData) data = { 0 };
	g_autoptr (DsRendered) rendered = NULL;
	g_autoptr (GError) local = NULL;

	if (document == NULL)
		return FALSE;
	if (document->as_of < production->as_of &&
	    !ds_document_redate (store, document, production->as_of,
				 ds_config_calendar (
					 production->instance->config,
					 document->entity_id), error))
		return FALSE;
	if (!letter_data_load (production, document, &data, &local)) {
		/* An event the ledger no longer holds, or ledger data the
		 * claim cannot take (instalments that do not add up to
		 * their invoice): not sent, for the operator to see. */
		if ((document->event_object != NULL &&
		     g_error_matches (local, DS_ERROR, DS_ERROR_NOT_FOUND)) ||
		    g_error_matches (local, DS_ERROR, DS_ERROR_INPUT))
			return require_action (store, trace_id,
					       local->message, final_state,
					       error);
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	if (data.settled) {
		*final_state = g_strdup ("superseded");
		return ds_document_move (store, trace_id, "superseded", NULL,
					 "every item settled before "
					 "hand-off", error);
	}
	if (data.claim != NULL && data.letter.total != document->total &&
	    !ds_document_set_total (store, trace_id, data.letter.total,
				    error))
		return FALSE;
	rendered = ds_renderer_render (production->renderer, &data.letter,
				       &local);
	if (rendered == NULL)
		return require_action (store, trace_id, local->message,
				       final_state, error);
	if (!record_pdf (production, document, rendered->pdf,
			 rendered->pages, error))
		return FALSE;
	if (document->channel == DS_CHANNEL_EMAIL &&
	    !store_email (production, document, &data, rendered, &local))
		return require_action (store, trace_id, local->message,
				       final_state, error);
	return validate (production, document, &data, rendered, final_state,
			 error);
}

GBytes *
ds_production_load_pdf (const DsDocument *document, GError **error)
{
	g_autofree char *contents = NULL;
	g_autofree char *sha256 = NULL;
	g_autoptr (GBytes) bytes = NULL;
	gsize length;

	if (document->pdf_path == NULL) {
		g_set_error (error, DS_ERROR, DS_ERROR_STATE,
			     "%s has no stored PDF", document->trace_id);
		return NULL;
	}
	if (!g_file_get_contents (document->pdf_path, &contents, &length,
				  error))
		return NULL;
	bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
	sha256 = sha256_hex (bytes);
	if (g_strcmp0 (sha256, document->pdf_sha256) != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "%s: stored PDF %s does not match its recorded "
			     "SHA-256", document->trace_id,
			     document->pdf_path);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

void
ds_production_email_envelope (DsInstance *instance,
			      const DsDocument *document,
			      const DsEntity *entity,
			      const DsCustomer *customer, DsEmail *email,
			      char **return_path, char **pdf_name, GStrv *to)
{
	const char *domain = instance->config->mail_domain;

	*return_path = g_strdup_printf ("bounces+%s@%s", document->trace_id,
					domain);
	*pdf_name = g_strdup_printf ("%s.pdf", document->trace_id);
	*to = ds_email_list_split (customer->email);
	email->trace_id = document->trace_id;
	email->from_name = entity->name;
	email->from_address = entity->email;
	email->return_path = *return_path;
	email->to_name = customer->contact ? customer->contact
					   : customer->name;
	email->pdf_name = *pdf_name;
	email->message_domain = domain;
	email->to = (const char *const *) *to;
}

GBytes *
ds_production_compose_email (DsInstance *instance,
			     const DsDocument *document,
			     const DsEntity *entity,
			     const DsCustomer *customer,
			     const DsRendered *rendered, GError **error)
{
	g_autofree char *return_path = NULL;
	g_autofree char *pdf_name = NULL;
	g_auto (GStrv) to = NULL;
	DsEmail email = { 0 };

	if (entity->email == NULL || *entity->email == '\0') {
		g_set_error (error, DS_ERROR, DS_ERROR_INPUT,
			     "entity %s has no e-mail address to send from "
			     "(entities.csv, field email)", entity->entity_id);
		return NULL;
	}
	ds_production_email_envelope (instance, document, entity, customer,
				      &email, &return_path, &pdf_name, &to);
	email.subject = rendered->subject;
	email.text = rendered->text;
	email.html = rendered->html;
	email.pdf = rendered->pdf;
	return ds_email_compose (&email, error);
}

GBytes *
ds_production_load_email (const DsDocument *document, GError **error)
{
	g_autofree char *directory = g_path_get_dirname (document->pdf_path);
	g_autofree char *name = g_strdup_printf ("%s.eml",
						 document->trace_id);
	g_autofree char *path = g_build_filename (directory, name, NULL);
	g_autofree char *contents = NULL;
	gsize length;

	if (!g_file_get_contents (path, &contents, &length, error))
		return NULL;
	return g_bytes_new_take (g_steal_pointer (&contents), length);
}
