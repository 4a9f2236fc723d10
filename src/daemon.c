/*
 * daemon.c -- the main loop of dunspoold.  See daemon.h.
 */
#define G_LOG_DOMAIN "dunspool-daemon"

#include "daemon.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "cycle.h"
#include "dispatch.h"
#include "ds-error.h"
#include "feedback.h"
#include "instance.h"
#include "journal.h"
#include "log.h"
#include "spool.h"


struct _DsDaemon {
	char *root;
	DsInstance *instance;
	DsCycle *cycle;
	GMainLoop *loop;
	GFileMonitor *incoming_monitor;
	GFileMonitor *status_monitor;
	guint rescan_source;
	guint cycle_source;
	guint watchdog_source;
	guint signal_sources[4];
	DsDate last_cycle;
	DsDate pending_cycle;	/* put off; DS_DATE_NONE: none */
	gboolean scan_pending;
	gboolean short_of_space;
};

static void schedule_cycle (DsDaemon *daemon);

/*
 * Is there room for new work (ds_spool_check_room)?  Going short of
 * space and getting it back are logged once each, not at every scan.
 */
static gboolean
have_room (DsDaemon *daemon)
{
	g_autoptr (GError) error = NULL;

	if (!ds_spool_check_room (daemon->instance, &error)) {
		if (!daemon->short_of_space)
			ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_NO_SPACE,
				      NULL, "short of space: %s",
				      error->message);
		if (!daemon->short_of_space)
			sd_notifyf (0, "STATUS=no new work: %s",
				    error->message);
		daemon->short_of_space = TRUE;
		return FALSE;
	}
	if (daemon->short_of_space) {
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_NO_SPACE, NULL,
			      "free space back over the threshold: "
			      "resuming work");
		sd_notify (0, "STATUS=idle");
	}
	daemon->short_of_space = FALSE;
	return TRUE;
}

static void
scan_incoming (DsDaemon *daemon)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) status_error = NULL;

	if (!have_room (daemon))
		return;

	if (!ds_spool_process_incoming (daemon->instance, &error))
		g_warning ("incoming: %s", error->message);
	if (!ds_feedback_process_status (daemon->instance, NULL,
					 &status_error))
		g_warning ("status: %s", status_error->message);
}

/*
 * Between daily cycles: deferred attempts whose back-off has run out go
 * again, and the fax server is asked about its jobs.
 */
static void
retry_due (DsDaemon *daemon)
{
	g_autoptr (GError) error = NULL;
	DsDispatchTally tally = { 0 };

	if (!ds_dispatch_due (daemon->instance, FALSE, &tally, &error) ||
	    !ds_dispatch_poll (daemon->instance, &tally, &error))
		g_warning ("dispatch: %s", error->message);
}

static void run_cycle (DsDaemon *daemon, DsDate day);

static gboolean
rescan_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;

	scan_incoming (daemon);
	if (daemon->pending_cycle != DS_DATE_NONE)
		run_cycle (daemon, daemon->pending_cycle);
	retry_due (daemon);
	return G_SOURCE_CONTINUE;
}

/* Coalesce a burst of monitor events into one scan. */
static gboolean
scan_soon_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;

	daemon->scan_pending = FALSE;
	scan_incoming (daemon);
	return G_SOURCE_REMOVE;
}

/*
 * A file renamed into new/ (MOVED_IN), or within it (RENAMED: a writer's
 * dot-name given its own), or created there; CHANGES_DONE_HINT is a
 * writer closing a file it wrote in place, which a scan left for it.
 */
static void
incoming_changed_cb (GFileMonitor *monitor, GFile *file, GFile *other,
		     GFileMonitorEvent event, gpointer user_data)
{
	DsDaemon *daemon = user_data;

	if (event != G_FILE_MONITOR_EVENT_CREATED &&
	    event != G_FILE_MONITOR_EVENT_MOVED_IN &&
	    event != G_FILE_MONITOR_EVENT_RENAMED &&
	    event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
		return;
	if (!daemon->scan_pending) {
		daemon->scan_pending = TRUE;
		g_timeout_add_seconds (1, scan_soon_cb, daemon);
	}
}

/*
 * Run the cycle for DAY.  One that cannot run for now (no room, or a
 * temporary fault) is put off and tried again at every rescan.
 */
static void
run_cycle (DsDaemon *daemon, DsDate day)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *date = ds_date_to_iso (day);
	DsCycleTally tally = { 0 };

	if (!have_room (daemon)) {
		if (daemon->pending_cycle != day)
			ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_CYCLE, NULL,
				      "cycle %s: put off until free space is "
				      "back", date);
		daemon->pending_cycle = day;
		return;
	}
	sd_notifyf (0, "STATUS=running the cycle for %s", date);
	daemon->pending_cycle = DS_DATE_NONE;
	if (!ds_cycle_run (daemon->cycle, day, &tally, &error)) {
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_CYCLE, NULL,
			      "cycle %s: failed: %s", date, error->message);
		sd_notifyf (0, "STATUS=cycle %s failed: %s", date,
			    error->message);
		if (error->domain == DS_ERROR &&
		    error->code == DS_ERROR_TEMPORARY)
			daemon->pending_cycle = day;
		return;
	}
	daemon->last_cycle = day;
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_CYCLE, NULL,
		      "cycle %s: done: planned=%" G_GINT64_FORMAT
		      " produced=%" G_GINT64_FORMAT " batches=%"
		      G_GINT64_FORMAT " failures=%" G_GINT64_FORMAT
		      " journal_head=%" G_GINT64_FORMAT ":%s", date,
		      tally.planned, tally.produced, tally.batches,
		      tally.failures, tally.journal_seq,
		      tally.journal_hash[0] ? tally.journal_hash : "-");
	sd_notifyf (0, "STATUS=idle; last cycle %s", date);
}

static gboolean
cycle_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;

	daemon->cycle_source = 0;
	run_cycle (daemon, ds_date_today_utc ());
	schedule_cycle (daemon);
	return G_SOURCE_REMOVE;
}

/* Seconds from now until the next configured cycle time, UTC. */
static guint
seconds_until_cycle (const DsConfig *config)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
	g_autoptr (GDateTime) today = g_date_time_new_utc (
		g_date_time_get_year (now), g_date_time_get_month (now),
		g_date_time_get_day_of_month (now), config->cycle_hour,
		config->cycle_minute, 0);
	g_autoptr (GDateTime) next = g_date_time_compare (today, now) > 0 ?
		g_date_time_ref (today) : g_date_time_add_days (today, 1);

	return g_date_time_difference (next, now) / G_TIME_SPAN_SECOND + 1;
}

static void
schedule_cycle (DsDaemon *daemon)
{
	guint seconds = seconds_until_cycle (daemon->instance->config);

	if (daemon->cycle_source != 0)
		g_source_remove (daemon->cycle_source);
	daemon->cycle_source = g_timeout_add_seconds (seconds, cycle_cb,
						      daemon);
	ds_log_event (G_LOG_LEVEL_INFO, DS_LOG_DAEMON, NULL,
		      "next cycle in %u s", seconds);
}

/* SIGUSR1: the daily cycle now, for today (UTC), besides the schedule. */
static gboolean
cycle_now_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;

	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_DAEMON, NULL,
		      "cycle asked for (SIGUSR1)");
	run_cycle (daemon, ds_date_today_utc ());
	return G_SOURCE_CONTINUE;
}

static gboolean
stop_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;

	sd_notify (0, "STOPPING=1");
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_DAEMON, NULL, "stopping");
	g_main_loop_quit (daemon->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
reload_cb (gpointer user_data)
{
	DsDaemon *daemon = user_data;
	g_autoptr (GError) error = NULL;
	g_autofree char *path = g_build_filename (daemon->root,
						  "dunspool.conf", NULL);
	DsConfig *config;

	sd_notify (0, "RELOADING=1");
	config = ds_config_load (daemon->root, path, &error);
	if (config == NULL) {
		ds_log_event (G_LOG_LEVEL_WARNING, DS_LOG_DAEMON, NULL,
			      "reload: keeping the old configuration: %s",
			      error->message);
	} else {
		ds_config_free (daemon->instance->config);
		daemon->instance->config = config;
		schedule_cycle (daemon);
		ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_DAEMON, NULL,
			      "reload: configuration reloaded");
	}
	sd_notify (0, "READY=1");
	return G_SOURCE_CONTINUE;
}

static gboolean
watchdog_cb (gpointer user_data)
{
	sd_notify (0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

/* incoming/new and status/new: either one changing triggers a scan. */
static GFileMonitor *
watch_directory (DsDaemon *daemon, const char *relative, GError **error)
{
	g_autofree char *path = ds_instance_spool_path (daemon->instance,
							relative);
	g_autoptr (GFile) directory = g_file_new_for_path (path);
	GFileMonitor *monitor = g_file_monitor_directory (
		directory, G_FILE_MONITOR_WATCH_MOVES, NULL, error);

	if (monitor != NULL)
		g_signal_connect (monitor, "changed",
				  G_CALLBACK (incoming_changed_cb), daemon);
	return monitor;
}

static gboolean
watch_incoming (DsDaemon *daemon, GError **error)
{
	daemon->incoming_monitor = watch_directory (daemon, "incoming/new",
						    error);
	if (daemon->incoming_monitor == NULL)
		return FALSE;
	daemon->status_monitor = watch_directory (daemon, "status/new",
						  error);
	if (daemon->status_monitor == NULL)
		return FALSE;
	daemon->rescan_source = g_timeout_add_seconds (
		daemon->instance->config->rescan_seconds, rescan_cb, daemon);
	return TRUE;
}

DsDaemon *
ds_daemon_new (const char *root, GError **error)
{
	g_autoptr (DsDaemon) daemon = g_new0 (DsDaemon, 1);
	guint64 watchdog_usec = 0;

	daemon->root = g_strdup (root);
	daemon->last_cycle = daemon->pending_cycle = DS_DATE_NONE;
	ds_journal_set_actor ("daemon");
	daemon->instance = ds_instance_open (root, error);
	if (daemon->instance == NULL)
		return NULL;
	daemon->cycle = ds_cycle_new (daemon->instance, error);
	if (daemon->cycle == NULL || !watch_incoming (daemon, error))
		return NULL;
	daemon->loop = g_main_loop_new (NULL, FALSE);
	daemon->signal_sources[0] = g_unix_signal_add (SIGTERM, stop_cb,
						       daemon);
	daemon->signal_sources[1] = g_unix_signal_add (SIGINT, stop_cb,
						       daemon);
	daemon->signal_sources[2] = g_unix_signal_add (SIGHUP, reload_cb,
						       daemon);
	daemon->signal_sources[3] = g_unix_signal_add (SIGUSR1,
						       cycle_now_cb, daemon);
	if (sd_watchdog_enabled (0, &watchdog_usec) > 0)
		daemon->watchdog_source = g_timeout_add (
			watchdog_usec / 2000, watchdog_cb, daemon);
	return g_steal_pointer (&daemon);
}

void
ds_daemon_free (DsDaemon *daemon)
{
	if (daemon == NULL)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS (daemon->signal_sources); i++)
		if (daemon->signal_sources[i] != 0)
			g_source_remove (daemon->signal_sources[i]);
	if (daemon->rescan_source != 0)
		g_source_remove (daemon->rescan_source);
	if (daemon->cycle_source != 0)
		g_source_remove (daemon->cycle_source);
	if (daemon->watchdog_source != 0)
		g_source_remove (daemon->watchdog_source);
	g_clear_object (&daemon->incoming_monitor);
	g_clear_object (&daemon->status_monitor);
	g_clear_pointer (&daemon->loop, g_main_loop_unref);
	ds_cycle_free (daemon->cycle);
	ds_instance_free (daemon->instance);
	g_free (daemon->root);
	g_free (daemon);
}

gboolean
ds_daemon_run (DsDaemon *daemon, GError **error)
{
	scan_incoming (daemon);
	schedule_cycle (daemon);
	sd_notify (0, "READY=1\nSTATUS=idle");
	ds_log_event (G_LOG_LEVEL_MESSAGE, DS_LOG_DAEMON, NULL,
		      "started: root=%s", daemon->root);
	g_main_loop_run (daemon->loop);
	return TRUE;
}
