/*
 * daemon.h -- dunspoold's main loop.
 *
 * The daemon owns one instance and a GLib main loop.  It watches
 * incoming/new and status/new with GFileMonitors and rescans them
 * periodically (a monitor can miss events; the rescan cannot), importing
 * ledger files and applying feedback (feedback.h) as they arrive; a file
 * a scan left because a writer still had it open is scanned for again
 * when the writer closes it (the monitor's CHANGES_DONE_HINT); at
 * each rescan it also submits the deferred attempts whose back-off has
 * run out and asks the fax server about its jobs (dispatch.h);
 * it runs the daily cycle once a day at the configured UTC time (after
 * downtime, that first cycle takes every step that fell due meanwhile,
 * one per invoice); it tells systemd READY, STOPPING, its status, and
 * pings the watchdog when one is set.
 *
 * Below the free-space threshold (ds_spool_check_room) it takes no new
 * work: no scan, and the cycle is put off; it logs going short of space
 * and getting it back once each, and at each rescan runs a cycle put
 * off (for space or a temporary fault) once it can.
 *
 * Signals: TERM and INT finish the step in progress and stop (the loop
 * is single-threaded, so a handler runs only between steps); HUP reloads
 * the configuration, keeping the old one if the new one does not load;
 * USR1 runs the daily cycle for today now.
 */
#ifndef DS_DAEMON_H
#define DS_DAEMON_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DsDaemon DsDaemon;

DsDaemon *ds_daemon_new (const char *root, GError **error);
void ds_daemon_free (DsDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsDaemon, ds_daemon_free)

/* Run until TERM or INT.  FALSE when the loop stopped on an error. */
gboolean ds_daemon_run (DsDaemon *daemon, GError **error);

G_END_DECLS

#endif
