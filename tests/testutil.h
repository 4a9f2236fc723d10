/*
 * testutil.h -- what the Check suites share: fresh temporary directories
 * and the paths of the source tree's data.
 */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <glib.h>

/* A new empty directory under $TMPDIR; removed by ds_test_rmtree. */
char *ds_test_tmpdir (void);
void ds_test_rmtree (const char *path);

/* TOP_SRCDIR/relative: data, templates and cases of the source tree. */
char *ds_test_srcpath (const char *relative);

/*
 * SQL that undoes the migrations after schema 10 (store.c), for the
 * tests that take a database back to an older schema: each new
 * migration adds its undoing here, last first (tests/relocate.sh
 * keeps its own).
 */
#define DS_TEST_UNDO_AFTER_10 \
	"DROP INDEX documents_event_object;" \
	"ALTER TABLE batches DROP COLUMN manifest_sha256;"

/* Write `contents` to DIR/NAME and return the path. */
char *ds_test_write (const char *dir, const char *name, const char *contents);

#endif
