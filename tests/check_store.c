/*
 * check_store.c -- the database opens, migrates once, keeps the journal
 * append-only, and holds an instance key of its own.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "testutil.h"

START_TEST (test_store_migrates_once)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autoptr (GError) error = NULL;
	DsStore *store = ds_store_open (path, &error);
	int version;

	ck_assert_msg (store != NULL, "%s", error ? error->message : "");
	version = ds_store_schema_version (store);
	ck_assert_int_ge (version, 1);
	ds_store_close (store);

	store = ds_store_open (path, &error);
	ck_assert (store != NULL);
	ck_assert_int_eq (ds_store_schema_version (store), version);
	ck_assert (ds_store_check_integrity (store, NULL));
	ds_store_close (store);
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_store_journal_append_only)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autoptr (DsStore) store = ds_store_open (path, NULL);
	g_autoptr (GError) error = NULL;

	ck_assert (ds_store_exec (store,
		"INSERT INTO journal (at, actor, object_kind, object_id,"
		" event, prev_hash, hash) VALUES ('t', 'a', 'k', 'o', 'e',"
		" 'p', 'h')", NULL));
	ck_assert (!ds_store_exec (store, "UPDATE journal SET actor = 'x'",
				   &error));
	ck_assert (strstr (error->message, "append-only") != NULL);
	ck_assert (!ds_store_exec (store, "DELETE FROM journal", NULL));
	ds_test_rmtree (dir);
}
END_TEST

START_TEST (test_store_nested_transactions)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autoptr (DsStore) store = ds_store_open (path, NULL);

	ck_assert (ds_store_begin (store, NULL));
	ck_assert (ds_store_begin (store, NULL));
	ck_assert (ds_store_commit (store, NULL));
	ck_assert (!sqlite3_get_autocommit (ds_store_db (store)));
	ck_assert (ds_store_commit (store, NULL));
	ck_assert (sqlite3_get_autocommit (ds_store_db (store)));
	ds_test_rmtree (dir);
}
END_TEST

static gboolean
is_key (const char *key)
{
	return key != NULL && strlen (key) == 64 &&
	       strspn (key, "0123456789abcdef") == 64;
}

/* Each new database makes a key of its own and keeps it. */
START_TEST (test_store_instance_key)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autofree char *other_path = g_build_filename (dir, "other.sqlite",
							NULL);
	g_autofree char *key = NULL;
	DsStore *store = ds_store_open (path, NULL);
	DsStore *other = ds_store_open (other_path, NULL);

	ck_assert (store != NULL && other != NULL);
	key = g_strdup (ds_store_instance_key (store));
	ck_assert_msg (is_key (key), "%s", key);
	ck_assert (is_key (ds_store_instance_key (other)));
	ck_assert_str_ne (ds_store_instance_key (other), key);
	ds_store_close (store);
	ds_store_close (other);

	store = ds_store_open (path, NULL);
	ck_assert_str_eq (ds_store_instance_key (store), key);
	ds_store_close (store);
	ds_test_rmtree (dir);
}
END_TEST

/* A database from before the key gains one when it is opened. */
START_TEST (test_store_instance_key_migrated)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autoptr (GError) error = NULL;
	DsStore *store = ds_store_open (path, NULL);
	int version = ds_store_schema_version (store);

	ck_assert (ds_store_exec (store, DS_TEST_UNDO_AFTER_10
				  "DROP TABLE instance;"
				  "PRAGMA user_version = 9;", NULL));
	ds_store_close (store);
	store = ds_store_open (path, &error);
	ck_assert_msg (store != NULL, "%s", error ? error->message : "");
	ck_assert_int_eq (ds_store_schema_version (store), version);
	ck_assert (is_key (ds_store_instance_key (store)));
	ck_assert (ds_store_check_integrity (store, NULL));
	ds_store_close (store);
	ds_test_rmtree (dir);
}
END_TEST

/* A key that is not 64 hex digits: the open fails, naming it. */
START_TEST (test_store_instance_key_damaged)
{
	g_autofree char *dir = ds_test_tmpdir ();
	g_autofree char *path = g_build_filename (dir, "db.sqlite", NULL);
	g_autoptr (GError) error = NULL;
	DsStore *store = ds_store_open (path, NULL);

	ck_assert (ds_store_exec (store, "UPDATE instance SET instance_key ="
				  " 'X' || substr (instance_key, 2)", NULL));
	ds_store_close (store);
	store = ds_store_open (path, &error);
	ck_assert (store == NULL);
	ck_assert_msg (strstr (error->message, path) != NULL &&
		       strstr (error->message, "table instance, field "
			       "instance_key") != NULL, "%s",
		       error->message);
	ds_test_rmtree (dir);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("store");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_add_test (tc, test_store_migrates_once);
	tcase_add_test (tc, test_store_journal_append_only);
	tcase_add_test (tc, test_store_nested_transactions);
	tcase_add_test (tc, test_store_instance_key);
	tcase_add_test (tc, test_store_instance_key_migrated);
	tcase_add_test (tc, test_store_instance_key_damaged);
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
