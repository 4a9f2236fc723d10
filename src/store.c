/*
 * store.c -- open the instance database and keep its schema current.
 *
 * The schema is the list of migrations below, applied in order and never
 * edited once released: a change to the schema is a new migration at the
 * end.  PRAGMA user_version holds the number of migrations applied.
 *
 * The files the database names (document PDFs, print batches) live in
 * the spool and are stored relative to it, so that a copied or restored
 * instance names its own files: the store is opened with the spool as
 * its files root, turns a path under it into a relative one on the way
 * in and resolves a relative one against it on the way out.  A path
 * outside the root stays absolute.  Migration 7 rewrites the absolute
 * paths of an older database through the SQL function
 * ds_stored_path (), which does the same; opened without a files root,
 * it leaves them as they are.
 *
 * Money columns hold integer minor units beside a currency column; date
 * columns hold ISO "YYYY-MM-DD" text; time columns hold UTC ISO 8601 text
 * ending in "Z".  The journal table refuses UPDATE and DELETE by trigger:
 * it is appended to and never changed.
 */
#include "store.h"

#include <string.h>

#include "date.h"
#include "ds-error.h"

struct _DsStore {
	sqlite3 *db;
	int depth;		/* nesting of ds_store_begin */
	char *files_root;	/* the spool, absolute; or NULL */
	char *instance_key;	/* 64 hex digits, see store.h */
};

static const char *const migrations[] = {
	/* 1: the ledger, documents, attempts, batches and the journal. */
	"CREATE TABLE entities ("
	" entity_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" street TEXT NOT NULL, postal_code TEXT NOT NULL,"
	" city TEXT NOT NULL, country TEXT NOT NULL,"
	" iban TEXT, bic TEXT, vat_id TEXT, email TEXT, phone TEXT,"
	" jurisdiction TEXT, letter_profile TEXT);"
	"CREATE TABLE customers ("
	" customer_id TEXT PRIMARY KEY, name TEXT NOT NULL, contact TEXT,"
	" street TEXT, postal_code TEXT, city TEXT, country TEXT NOT NULL,"
	" language TEXT NOT NULL, currency TEXT NOT NULL,"
	" entity_id TEXT NOT NULL REFERENCES entities,"
	" email TEXT, fax TEXT, phone TEXT, b2b INTEGER NOT NULL DEFAULT 1,"
	" tags TEXT, collector TEXT, paperless_since TEXT);"
	"CREATE TABLE invoices ("
	" invoice_id TEXT PRIMARY KEY,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" issue_date TEXT NOT NULL, due_date TEXT NOT NULL,"
	" currency TEXT NOT NULL, amount INTEGER NOT NULL,"
	" tax_amount INTEGER, reference TEXT,"
	" billing TEXT CHECK (billing IN ('paper', 'electronic')));"
	"CREATE INDEX invoices_customer ON invoices (customer_id);"
	"CREATE TABLE instalments ("
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" number INTEGER NOT NULL, due_date TEXT NOT NULL,"
	" amount INTEGER NOT NULL, PRIMARY KEY (invoice_id, number));"
	"CREATE TABLE payments ("
	" payment_id TEXT PRIMARY KEY,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" date TEXT NOT NULL, currency TEXT NOT NULL,"
	" amount INTEGER NOT NULL, invoice_id TEXT REFERENCES invoices);"
	"CREATE INDEX payments_invoice ON payments (invoice_id);"
	"CREATE INDEX payments_customer ON payments (customer_id, date);"
	"CREATE TABLE credit_notes ("
	" credit_note_id TEXT PRIMARY KEY,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" date TEXT NOT NULL, currency TEXT NOT NULL,"
	" amount INTEGER NOT NULL, invoice_id TEXT REFERENCES invoices,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open', 'cancelled')));"
	"CREATE TABLE disputes ("
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" opened TEXT NOT NULL, resolved TEXT, reason TEXT,"
	" PRIMARY KEY (invoice_id, opened));"
	"CREATE TABLE promises ("
	" promise_id TEXT PRIMARY KEY,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" promised_date TEXT NOT NULL, amount INTEGER NOT NULL,"
	" invoice_id TEXT REFERENCES invoices, made_on TEXT);"
	"CREATE TABLE imports ("
	" file_sha256 TEXT PRIMARY KEY, file_name TEXT NOT NULL,"
	" kind TEXT NOT NULL, profile TEXT, imported_at TEXT NOT NULL,"
	" accepted INTEGER NOT NULL, updated INTEGER NOT NULL,"
	" unchanged INTEGER NOT NULL, rejected INTEGER NOT NULL);"
	"CREATE TABLE import_errors ("
	" file_sha256 TEXT NOT NULL REFERENCES imports,"
	" line INTEGER NOT NULL, field TEXT, reason TEXT NOT NULL);"
	"CREATE TABLE documents ("
	" trace_id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" entity_id TEXT NOT NULL REFERENCES entities,"
	" strategy TEXT NOT NULL, step TEXT NOT NULL,"
	" step_index INTEGER NOT NULL, channel TEXT NOT NULL,"
	" as_of TEXT NOT NULL, state TEXT NOT NULL, language TEXT NOT NULL,"
	" currency TEXT NOT NULL, total INTEGER NOT NULL, deadline TEXT,"
	" pdf_path TEXT, pdf_sha256 TEXT, pages INTEGER, reason TEXT,"
	" created_at TEXT NOT NULL);"
	"CREATE INDEX documents_customer ON documents (customer_id);"
	"CREATE INDEX documents_state ON documents (state);"
	"CREATE TABLE document_items ("
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" open_amount INTEGER NOT NULL, days_overdue INTEGER NOT NULL,"
	" PRIMARY KEY (trace_id, invoice_id));"
	"CREATE INDEX document_items_invoice ON document_items (invoice_id);"
	"CREATE TABLE invoice_steps ("
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" strategy TEXT NOT NULL, step_index INTEGER NOT NULL,"
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" taken_on TEXT NOT NULL,"
	" PRIMARY KEY (invoice_id, strategy, step_index));"
	"CREATE TABLE batches ("
	" batch_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL,"
	" day TEXT NOT NULL, state TEXT NOT NULL,"
	" pdf_path TEXT NOT NULL, manifest_path TEXT NOT NULL,"
	" pdf_sha256 TEXT NOT NULL, documents INTEGER NOT NULL,"
	" pages INTEGER NOT NULL, created_at TEXT NOT NULL);"
	"CREATE TABLE attempts ("
	" attempt_id INTEGER PRIMARY KEY,"
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" channel TEXT NOT NULL, driver TEXT NOT NULL,"
	" state TEXT NOT NULL, batch_id TEXT REFERENCES batches,"
	" provider_id TEXT, tries INTEGER NOT NULL DEFAULT 0,"
	" next_try_at TEXT, detail TEXT,"
	" created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
	"CREATE INDEX attempts_trace ON attempts (trace_id);"
	"CREATE INDEX attempts_state ON attempts (state);"
	"CREATE TABLE journal ("
	" seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
	" object_kind TEXT NOT NULL, object_id TEXT NOT NULL,"
	" trace_id TEXT, event TEXT NOT NULL,"
	" old_state TEXT, new_state TEXT, evidence TEXT,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX journal_object ON journal (object_kind, object_id);"
	"CREATE INDEX journal_trace ON journal (trace_id);"
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal"
	" BEGIN SELECT RAISE (ABORT, 'journal is append-only'); END;"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal"
	" BEGIN SELECT RAISE (ABORT, 'journal is append-only'); END;",
	/*
	 * 2: what each document claimed beyond principal (fees, fixed
	 * compensation, interest as printed) and the operator's waivers;
	 * see ledger-claim.h.  Waivers are never updated or deleted.
	 */
	"CREATE TABLE claim_costs ("
	" cost_id INTEGER PRIMARY KEY,"
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" invoice_id TEXT REFERENCES invoices,"
	" kind TEXT NOT NULL"
	"  CHECK (kind IN ('fee', 'compensation', 'interest')),"
	" claimed_on TEXT NOT NULL, currency TEXT NOT NULL,"
	" amount INTEGER NOT NULL, basis TEXT);"
	"CREATE UNIQUE INDEX claim_costs_once"
	" ON claim_costs (trace_id, kind, ifnull (invoice_id, ''));"
	"CREATE INDEX claim_costs_customer ON claim_costs (customer_id);"
	"CREATE TABLE claim_waivers ("
	" waiver_id INTEGER PRIMARY KEY,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" kind TEXT NOT NULL CHECK (kind IN ('cost', 'interest')),"
	" cost_id INTEGER REFERENCES claim_costs,"
	" invoice_id TEXT REFERENCES invoices,"
	" waived_on TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT,"
	" created_at TEXT NOT NULL,"
	" CHECK ((kind = 'cost') = (cost_id IS NOT NULL)),"
	" CHECK ((kind = 'interest') = (invoice_id IS NOT NULL)));"
	"CREATE INDEX claim_waivers_customer ON claim_waivers (customer_id);"
	"CREATE TRIGGER claim_waivers_no_update BEFORE UPDATE ON claim_waivers"
	" BEGIN SELECT RAISE (ABORT, 'waivers are append-only'); END;"
	"CREATE TRIGGER claim_waivers_no_delete BEFORE DELETE ON claim_waivers"
	" BEGIN SELECT RAISE (ABORT, 'waivers are append-only'); END;",
	/*
	 * 3: collectors' tasks opened by feedback (a returned letter: research
	 * the address); see feedback.h.  A task is closed, never deleted.
	 */
	"CREATE TABLE tasks ("
	" task_id INTEGER PRIMARY KEY,"
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" customer_id TEXT NOT NULL REFERENCES customers,"
	" collector TEXT, kind TEXT NOT NULL, reason TEXT,"
	" state TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (state IN ('open', 'done')),"
	" created_at TEXT NOT NULL);"
	"CREATE UNIQUE INDEX tasks_once ON tasks (trace_id, kind);"
	"CREATE INDEX tasks_state ON tasks (state, collector);",
	/*
	 * 4: the next-best-action decisions and what came of them (see
	 * policy.h): one row per document and day decided, its invoices,
	 * and per segment, channel and step the successes and failures
	 * counted from resolved decisions.
	 */
	"CREATE TABLE policy_decisions ("
	" decision_id INTEGER PRIMARY KEY,"
	" idempotency_key TEXT NOT NULL, decided_on TEXT NOT NULL,"
	" trace_id TEXT, customer_id TEXT NOT NULL REFERENCES customers,"
	" segment TEXT NOT NULL, step TEXT NOT NULL, action TEXT NOT NULL,"
	" verdict TEXT NOT NULL, control INTEGER NOT NULL,"
	" propensity REAL NOT NULL, currency TEXT NOT NULL,"
	" total INTEGER NOT NULL, cost INTEGER NOT NULL,"
	" alternatives TEXT NOT NULL,"
	" outcome TEXT CHECK (outcome IN ('paid', 'unpaid', 'failed')),"
	" paid_on TEXT, resolved_on TEXT,"
	" UNIQUE (idempotency_key, decided_on));"
	"CREATE INDEX policy_decisions_open"
	" ON policy_decisions (outcome, decided_on);"
	"CREATE TABLE policy_decision_items ("
	" decision_id INTEGER NOT NULL REFERENCES policy_decisions,"
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" open_amount INTEGER NOT NULL,"
	" PRIMARY KEY (decision_id, invoice_id));"
	"CREATE TABLE channel_responses ("
	" segment TEXT NOT NULL, action TEXT NOT NULL, step TEXT NOT NULL,"
	" successes INTEGER NOT NULL DEFAULT 0,"
	" failures INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (segment, action, step));",
	/*
	 * 5: the CUPS request a print batch was sent as (batch.h), so that
	 * its completion can be asked for.
	 */
	"ALTER TABLE batches ADD COLUMN print_request TEXT;",
	/*
	 * 6: event documents (event-documents.h): a document made because
	 * of a ledger event names the event's object ("payment:P7",
	 * "promise:PR1", "dispute:INV1@2024-03-01"); NULL for a dunning
	 * step.  One document per kind and object, ever.
	 */
	"ALTER TABLE documents ADD COLUMN event_object TEXT;"
	"CREATE UNIQUE INDEX documents_event ON documents (step, event_object)"
	" WHERE event_object IS NOT NULL;",
	/*
	 * 7: document and batch files relative to the spool (the store's
	 * files root), so that a copy of the instance names its own files.
	 */
	"UPDATE documents SET pdf_path = ds_stored_path (pdf_path)"
	" WHERE pdf_path IS NOT NULL;"
	"UPDATE batches SET pdf_path = ds_stored_path (pdf_path),"
	" manifest_path = ds_stored_path (manifest_path);",
	/*
	 * 8: a done task keeps its outcome (reached, no-answer, promise,
	 * done; settled when the cycle closed a call whose invoices were
	 * all paid), which the channel report reads for calls.
	 */
	"ALTER TABLE tasks ADD COLUMN outcome TEXT;",
	/*
	 * 9: an invoice in instalments takes its steps per instalment:
	 * invoice_steps gains the instalment (0: an invoice without) in its
	 * key, rebuilt as SQLite changes no key in place, and a document's
	 * item names the instalment it chases.  A step taken before names
	 * the instalment whose due date its item counted the days overdue
	 * from (the latest due by then, for a document redated since).
	 */
	"CREATE TABLE invoice_steps_new ("
	" invoice_id TEXT NOT NULL REFERENCES invoices,"
	" strategy TEXT NOT NULL, step_index INTEGER NOT NULL,"
	" trace_id TEXT NOT NULL REFERENCES documents,"
	" taken_on TEXT NOT NULL,"
	" instalment INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (invoice_id, strategy, instalment, step_index));"
	"INSERT INTO invoice_steps_new (invoice_id, strategy, step_index,"
	" trace_id, taken_on, instalment)"
	" SELECT s.invoice_id, s.strategy, s.step_index, s.trace_id,"
	"  s.taken_on, COALESCE ("
	"   (SELECT n.number FROM instalments n, documents d,"
	"     document_items i"
	"    WHERE d.trace_id = s.trace_id AND i.trace_id = s.trace_id"
	"    AND i.invoice_id = s.invoice_id AND n.invoice_id = s.invoice_id"
	"    AND n.due_date <= date (d.as_of, (- i.days_overdue) || ' days')"
	"    ORDER BY n.due_date DESC, n.number LIMIT 1),"
	"   (SELECT MIN (n.number) FROM instalments n"
	"    WHERE n.invoice_id = s.invoice_id), 0)"
	" FROM invoice_steps s;"
	"DROP TABLE invoice_steps;"
	"ALTER TABLE invoice_steps_new RENAME TO invoice_steps;"
	"ALTER TABLE document_items ADD COLUMN"
	" instalment INTEGER NOT NULL DEFAULT 0;"
	"UPDATE document_items SET instalment = (SELECT s.instalment"
	" FROM invoice_steps s WHERE s.trace_id = document_items.trace_id"
	" AND s.invoice_id = document_items.invoice_id)"
	" WHERE EXISTS (SELECT 1 FROM invoice_steps s"
	" WHERE s.trace_id = document_items.trace_id"
	" AND s.invoice_id = document_items.invoice_id);",
	/*
	 * 10: the instance key (store.h), 256 random bits as 64 lower-case
	 * hex digits, made once: by `dunspool init` with the new database,
	 * or on the first open of an older one.  randomblob () draws from
	 * SQLite's ChaCha20 generator, seeded from the system's
	 * /dev/urandom.  The documents stored before keep their trace ids.
	 */
	"CREATE TABLE instance ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" instance_key TEXT NOT NULL CHECK (length (instance_key) = 64));"
	"INSERT INTO instance (id, instance_key)"
	" VALUES (1, lower (hex (randomblob (32))));",
	/*
	 * 11: the auditor's trace (trace.h).  A print batch's manifest
	 * (BATCH.csv) has its SHA-256 kept beside the PDF's, as its
	 * "created" journal record has it, so that `trace --verify`
	 * checks both; NULL for a batch made before, whose manifest's
	 * hash was never recorded.  Event documents are found by the
	 * object they were made for (`trace PROMISE_ID`).
	 */
	"ALTER TABLE batches ADD COLUMN manifest_sha256 TEXT;"
	"CREATE INDEX documents_event_object ON documents (event_object)"
	" WHERE event_object IS NOT NULL;",
};

gboolean
ds_store_fail (DsStore *store, GError **error, const char *what)
{
	int code = sqlite3_extended_errcode (store->db);
	gboolean busy = (code & 0xff) == SQLITE_BUSY ||
			(code & 0xff) == SQLITE_LOCKED ||
			(code & 0xff) == SQLITE_FULL;

	g_set_error (error, DS_ERROR,
		     busy ? DS_ERROR_TEMPORARY : DS_ERROR_PERMANENT,
		     "%s: %s", what, sqlite3_errmsg (store->db));
	return FALSE;
}

gboolean
ds_store_exec (DsStore *store, const char *sql, GError **error)
{
	if (sqlite3_exec (store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ds_store_fail (store, error, "database");
	return TRUE;
}

sqlite3_stmt *
ds_store_prepare (DsStore *store, const char *sql, GError **error)
{
	sqlite3_stmt *statement = NULL;

	if (sqlite3_prepare_v2 (store->db, sql, -1, &statement, NULL) !=
	    SQLITE_OK) {
		ds_store_fail (store, error, "prepare");
		return NULL;
	}
	return statement;
}

int
ds_store_schema_version (DsStore *store)
{
	g_autoptr (sqlite3_stmt) statement =
		ds_store_prepare (store, "PRAGMA user_version", NULL);

	if (statement == NULL || sqlite3_step (statement) != SQLITE_ROW)
		return -1;
	return sqlite3_column_int (statement, 0);
}

static gboolean
migrate (DsStore *store, GError **error)
{
	int version = ds_store_schema_version (store);

	if (version > (int) G_N_ELEMENTS (migrations)) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "database schema %d is newer than this program "
			     "(%d)", version, (int) G_N_ELEMENTS (migrations));
		return FALSE;
	}
	for (; version < (int) G_N_ELEMENTS (migrations); version++) {
		g_autofree char *bump = g_strdup_printf (
			"PRAGMA user_version = %d", version + 1);

		if (!ds_store_begin (store, error))
			return FALSE;
		if (!ds_store_exec (store, migrations[version], error) ||
		    !ds_store_exec (store, bump, error) ||
		    !ds_store_commit (store, error)) {
			ds_store_rollback (store);
			g_prefix_error (error, "migration %d: ", version + 1);
			return FALSE;
		}
	}
	return TRUE;
}

char *
ds_store_stored_path (DsStore *store, const char *path)
{
	g_autofree char *canonical = NULL;
	const char *rest;
	gsize root_length;

	if (path == NULL)
		return NULL;
	if (store->files_root == NULL || !g_path_is_absolute (path))
		return g_strdup (path);
	canonical = g_canonicalize_filename (path, NULL);
	root_length = strlen (store->files_root);
	if (strncmp (canonical, store->files_root, root_length) != 0 ||
	    canonical[root_length] != G_DIR_SEPARATOR ||
	    canonical[root_length + 1] == '\0')
		return g_strdup (path);
	rest = canonical + root_length + 1;
	return g_strdup (rest);
}

char *
ds_store_file_path (DsStore *store, const char *stored)
{
	if (stored == NULL)
		return NULL;
	if (store->files_root == NULL || g_path_is_absolute (stored))
		return g_strdup (stored);
	return g_build_filename (store->files_root, stored, NULL);
}

char *
ds_store_column_path (DsStore *store, sqlite3_stmt *statement, int column)
{
	return ds_store_file_path (store, (const char *) sqlite3_column_text (
		statement, column));
}

/* SQL ds_stored_path (PATH): ds_store_stored_path, for migration 7. */
static void
sql_stored_path (sqlite3_context *context, int count, sqlite3_value **value)
{
	DsStore *store = sqlite3_user_data (context);
	g_autofree char *stored = NULL;

	g_assert (count == 1);
	if (sqlite3_value_type (value[0]) == SQLITE_NULL) {
		sqlite3_result_null (context);
		return;
	}
	stored = ds_store_stored_path (store, (const char *)
				       sqlite3_value_text (value[0]));
	sqlite3_result_text (context, stored, -1, SQLITE_TRANSIENT);
}

/* The key migration 10 made, kept for the life of the connection. */
static gboolean
read_instance_key (DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement = ds_store_prepare (store,
		"SELECT instance_key FROM instance WHERE id = 1", error);
	const char *key = NULL;
	int step;

	if (statement == NULL)
		return FALSE;
	step = sqlite3_step (statement);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return ds_store_fail (store, error, "instance key");
	if (step == SQLITE_ROW)
		key = (const char *) sqlite3_column_text (statement, 0);
	if (key == NULL || strlen (key) != 64 ||
	    strspn (key, "0123456789abcdef") != 64) {
		g_set_error (error, DS_ERROR, DS_ERROR_PERMANENT,
			     "table instance, field instance_key: missing or "
			     "not 64 lower-case hex digits; the database is "
			     "damaged");
		return FALSE;
	}
	store->instance_key = g_strdup (key);
	return TRUE;
}

DsStore *
ds_store_open (const char *path, GError **error)
{
	return ds_store_open_in (path, NULL, error);
}

DsStore *
ds_store_open_in (const char *path, const char *files_root, GError **error)
{
	g_autoptr (DsStore) store = g_new0 (DsStore, 1);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOFOLLOW;

	if (files_root != NULL)
		store->files_root = g_canonicalize_filename (files_root,
							     NULL);
	if (sqlite3_open_v2 (path, &store->db, flags, NULL) != SQLITE_OK) {
		ds_store_fail (store, error, path);
		return NULL;
	}
	sqlite3_busy_timeout (store->db, 30000);
	sqlite3_create_function (store->db, "ds_stored_path", 1,
				 SQLITE_UTF8 | SQLITE_DETERMINISTIC, store,
				 sql_stored_path, NULL, NULL);
	if (!ds_store_exec (store, "PRAGMA journal_mode = WAL;"
			    "PRAGMA synchronous = FULL;"
			    "PRAGMA foreign_keys = ON;", error) ||
	    !migrate (store, error) || !read_instance_key (store, error)) {
		g_prefix_error (error, "%s: ", path);
		return NULL;
	}
	return g_steal_pointer (&store);
}

void
ds_store_close (DsStore *store)
{
	if (store == NULL)
		return;
	sqlite3_close_v2 (store->db);
	g_free (store->files_root);
	g_free (store->instance_key);
	g_free (store);
}

sqlite3 *
ds_store_db (DsStore *store)
{
	return store->db;
}

const char *
ds_store_instance_key (DsStore *store)
{
	return store->instance_key;
}

gboolean
ds_store_begin (DsStore *store, GError **error)
{
	if (store->depth == 0 &&
	    !ds_store_exec (store, "BEGIN IMMEDIATE", error))
		return FALSE;
	store->depth++;
	return TRUE;
}

gboolean
ds_store_commit (DsStore *store, GError **error)
{
	g_return_val_if_fail (store->depth > 0, FALSE);

	if (store->depth == 1 && !ds_store_exec (store, "COMMIT", error))
		return FALSE;
	store->depth--;
	return TRUE;
}

void
ds_store_rollback (DsStore *store)
{
	if (store->depth == 0)
		return;
	store->depth = 0;
	sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
ds_store_check_integrity (DsStore *store, GError **error)
{
	g_autoptr (sqlite3_stmt) statement =
		ds_store_prepare (store, "PRAGMA integrity_check", error);
	const char *verdict;

	if (statement == NULL)
		return FALSE;
	if (sqlite3_step (statement) != SQLITE_ROW)
		return ds_store_fail (store, error, "integrity_check");
	verdict = (const char *) sqlite3_column_text (statement, 0);
	if (g_strcmp0 (verdict, "ok") != 0) {
		g_set_error (error, DS_ERROR, DS_ERROR_CORRUPT,
			     "integrity_check: %s", verdict);
		return FALSE;
	}
	return TRUE;
}

void
ds_store_bind_text (sqlite3_stmt *statement, int index, const char *value)
{
	if (value == NULL)
		sqlite3_bind_null (statement, index);
	else
		sqlite3_bind_text (statement, index, value, -1,
				   SQLITE_TRANSIENT);
}

void
ds_store_bind_date (sqlite3_stmt *statement, int index, guint32 date)
{
	char text[DS_DATE_ISO_LEN];

	if (date == DS_DATE_NONE) {
		sqlite3_bind_null (statement, index);
		return;
	}
	ds_date_format_iso (date, text);
	sqlite3_bind_text (statement, index, text, -1, SQLITE_TRANSIENT);
}

char *
ds_store_column_text (sqlite3_stmt *statement, int column)
{
	return g_strdup ((const char *) sqlite3_column_text (statement,
							     column));
}

guint32
ds_store_column_date (sqlite3_stmt *statement, int column)
{
	const char *text = (const char *) sqlite3_column_text (statement,
							       column);
	DsDate date = DS_DATE_NONE;

	if (text != NULL && !ds_date_parse_iso (text, &date, NULL)) {
		g_warning ("stored date \"%s\" is not ISO", text);
		return DS_DATE_NONE;
	}
	return date;
}
