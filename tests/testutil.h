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

/* Write `contents` to DIR/NAME and return the path. */
char *ds_test_write (const char *dir, const char *name, const char *contents);

#endif
