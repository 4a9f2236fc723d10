/*
 * check_store.c -- the database opens, migrates once, and keeps the
 * journal append-only.
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
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
