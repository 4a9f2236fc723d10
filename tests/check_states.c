/*
 * check_states.c -- every transition of the three machines, allowed and
 * refused, and terminal states that never move; feedback judged as a
 * move, as late or repeated news, or as a report that skips a state.
 */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "states.h"

static const struct {
	DsMachine machine;
	const char *from;
	const char *to;
	gboolean allowed;
} transitions[] = {
	{ DS_MACHINE_DOCUMENT, "scheduled", "rendered", TRUE },
	{ DS_MACHINE_DOCUMENT, "scheduled", "action-required", TRUE },
	{ DS_MACHINE_DOCUMENT, "rendered", "validated", TRUE },
	{ DS_MACHINE_DOCUMENT, "rendered", "invalid", TRUE },
	{ DS_MACHINE_DOCUMENT, "validated", "ready", TRUE },
	{ DS_MACHINE_DOCUMENT, "ready", "dispatched", TRUE },
	{ DS_MACHINE_DOCUMENT, "ready", "held", TRUE },
	{ DS_MACHINE_DOCUMENT, "held", "ready", TRUE },
	{ DS_MACHINE_DOCUMENT, "dispatched", "closed", TRUE },
	{ DS_MACHINE_DOCUMENT, "scheduled", "superseded", TRUE },
	{ DS_MACHINE_DOCUMENT, "scheduled", "dispatched", FALSE },
	{ DS_MACHINE_DOCUMENT, "rendered", "ready", FALSE },
	{ DS_MACHINE_DOCUMENT, "action-required", "ready", FALSE },
	{ DS_MACHINE_DOCUMENT, "dispatched", "superseded", FALSE },
	{ DS_MACHINE_DOCUMENT, "closed", "scheduled", FALSE },
	{ DS_MACHINE_DOCUMENT, "ready", "no-such-state", FALSE },
	{ DS_MACHINE_ATTEMPT, "queued", "submitting", TRUE },
	{ DS_MACHINE_ATTEMPT, "submitting", "handed-off", TRUE },
	{ DS_MACHINE_ATTEMPT, "submitting", "unknown-outcome", TRUE },
	{ DS_MACHINE_ATTEMPT, "submitting", "deferred", TRUE },
	{ DS_MACHINE_ATTEMPT, "deferred", "submitting", TRUE },
	{ DS_MACHINE_ATTEMPT, "handed-off", "bounced-hard", TRUE },
	{ DS_MACHINE_ATTEMPT, "handed-off", "printed", TRUE },
	{ DS_MACHINE_ATTEMPT, "printed", "posted", TRUE },
	{ DS_MACHINE_ATTEMPT, "posted", "notice-left", TRUE },
	{ DS_MACHINE_ATTEMPT, "notice-left", "unclaimed", TRUE },
	{ DS_MACHINE_ATTEMPT, "unclaimed", "returned", TRUE },
	{ DS_MACHINE_ATTEMPT, "queued", "handed-off", FALSE },
	{ DS_MACHINE_ATTEMPT, "unknown-outcome", "submitting", FALSE },
	{ DS_MACHINE_ATTEMPT, "delivered", "bounced-hard", FALSE },
	{ DS_MACHINE_ATTEMPT, "returned", "posted", FALSE },
	{ DS_MACHINE_ATTEMPT, "posted", "printed", FALSE },
	{ DS_MACHINE_BATCH, "created", "printed", TRUE },
	{ DS_MACHINE_BATCH, "printed", "posted", TRUE },
	{ DS_MACHINE_BATCH, "created", "posted", FALSE },
	{ DS_MACHINE_BATCH, "posted", "printed", FALSE },
};

/*
 * Every edge of every machine, written out again here: each pair of
 * known states is allowed exactly when it is listed.
 */
typedef struct {
	const char *from;
	const char *to;		/* space-separated */
} Edges;

static const char *const document_states[] = {
	"scheduled", "rendered", "validated", "action-required", "invalid",
	"held", "ready", "dispatched", "closed", "superseded", "cancelled",
	"task",
};
static const Edges document_edges[] = {
	{ "scheduled", "rendered action-required task superseded "
		       "cancelled" },
	{ "rendered", "validated action-required invalid superseded "
		      "cancelled" },
	{ "validated", "ready held superseded cancelled" },
	{ "action-required", "scheduled superseded cancelled" },
	{ "held", "ready superseded cancelled" },
	{ "ready", "dispatched held superseded cancelled" },
	{ "dispatched", "closed" },
	{ "task", "closed superseded cancelled" },
};
static const char *const attempt_states[] = {
	"queued", "held", "submitting", "deferred", "unknown-outcome",
	"handed-off", "cancel-requested", "bounced-soft", "printed",
	"posted", "notice-left", "unclaimed", "delivered-assumed",
	"delivered", "bounced-hard", "partial", "failed", "cancelled",
	"expired", "returned", "signed",
};
static const Edges attempt_edges[] = {
	{ "queued", "submitting held cancelled" },
	{ "held", "queued cancelled" },
	{ "submitting", "handed-off deferred unknown-outcome failed" },
	{ "deferred", "submitting held cancelled expired" },
	{ "unknown-outcome", "handed-off failed deferred" },
	{ "handed-off", "delivered bounced-soft bounced-hard partial failed "
			"printed cancel-requested" },
	{ "cancel-requested", "cancelled printed delivered partial failed" },
	{ "bounced-soft", "delivered bounced-hard" },
	{ "printed", "posted returned" },
	{ "posted", "delivered-assumed returned notice-left signed" },
	{ "notice-left", "signed unclaimed" },
	{ "unclaimed", "returned" },
	{ "delivered-assumed", "returned" },
};
static const char *const batch_states[] = {
	"created", "printed", "posted",
};
static const Edges batch_edges[] = {
	{ "created", "printed" },
	{ "printed", "posted" },
};

static gboolean
listed (const Edges *edges, gsize n_edges, const char *from, const char *to)
{
	for (gsize i = 0; i < n_edges; i++) {
		g_auto (GStrv) targets = NULL;

		if (strcmp (edges[i].from, from) != 0)
			continue;
		targets = g_strsplit (edges[i].to, " ", -1);
		return g_strv_contains ((const char *const *) targets, to);
	}
	return FALSE;
}

static void
check_machine (DsMachine machine, const char *const *states, gsize n_states,
	       const Edges *edges, gsize n_edges)
{
	for (gsize i = 0; i < n_states; i++) {
		gboolean leaves = FALSE;

		ck_assert_msg (ds_state_known (machine, states[i]), "%s",
			       states[i]);
		for (gsize j = 0; j < n_states; j++) {
			gboolean expected = listed (edges, n_edges, states[i],
						    states[j]);

			leaves |= expected;
			ck_assert_msg (ds_state_allowed (machine, states[i],
							 states[j]) ==
				       expected, "%s -> %s", states[i],
				       states[j]);
		}
		ck_assert_msg (ds_state_terminal (machine, states[i]) ==
			       !leaves, "%s terminal", states[i]);
	}
}

START_TEST (test_states_every_pair)
{
	check_machine (DS_MACHINE_DOCUMENT, document_states,
		       G_N_ELEMENTS (document_states), document_edges,
		       G_N_ELEMENTS (document_edges));
	check_machine (DS_MACHINE_ATTEMPT, attempt_states,
		       G_N_ELEMENTS (attempt_states), attempt_edges,
		       G_N_ELEMENTS (attempt_edges));
	check_machine (DS_MACHINE_BATCH, batch_states,
		       G_N_ELEMENTS (batch_states), batch_edges,
		       G_N_ELEMENTS (batch_edges));
}
END_TEST

START_TEST (test_states_transition)
{
	ck_assert_msg (ds_state_allowed (transitions[_i].machine,
					 transitions[_i].from,
					 transitions[_i].to) ==
		       transitions[_i].allowed, "%s -> %s",
		       transitions[_i].from, transitions[_i].to);
}
END_TEST

START_TEST (test_states_terminal)
{
	const char *terminal[] = {
		"delivered", "bounced-hard", "failed", "cancelled",
		"expired", "returned", "signed", "partial",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (terminal); i++)
		ck_assert_msg (ds_state_terminal (DS_MACHINE_ATTEMPT,
						  terminal[i]), "%s",
			       terminal[i]);
	ck_assert (ds_state_terminal (DS_MACHINE_DOCUMENT, "closed"));
	ck_assert (!ds_state_terminal (DS_MACHINE_DOCUMENT, "ready"));
	ck_assert (!ds_state_terminal (DS_MACHINE_ATTEMPT, "posted"));
	/* a prefix of a state's name is not that state */
	ck_assert (!ds_state_allowed (DS_MACHINE_ATTEMPT, "handed-off",
				      "bounced"));
}
END_TEST

/* Feedback: what a mailroom, a carrier or a provider may tell. */
static const struct {
	DsMachine machine;
	const char *from;
	const char *to;
	DsStateReport expected;
	const char *refusal;	/* when refused: the message */
} reports[] = {
	{ DS_MACHINE_BATCH, "created", "printed", DS_STATE_REPORT_MOVES },
	{ DS_MACHINE_BATCH, "printed", "posted", DS_STATE_REPORT_MOVES },
	{ DS_MACHINE_BATCH, "posted", "posted", DS_STATE_REPORT_STALE },
	{ DS_MACHINE_BATCH, "posted", "printed", DS_STATE_REPORT_STALE },
	{ DS_MACHINE_BATCH, "printed", "printed", DS_STATE_REPORT_STALE },
	{ DS_MACHINE_BATCH, "created", "posted", DS_STATE_REPORT_REFUSED,
	  "created -> posted is not allowed: it skips printed" },
	{ DS_MACHINE_BATCH, "created", "lost", DS_STATE_REPORT_REFUSED,
	  "created -> lost is not allowed" },
	{ DS_MACHINE_ATTEMPT, "handed-off", "printed",
	  DS_STATE_REPORT_MOVES },
	{ DS_MACHINE_ATTEMPT, "posted", "printed", DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "delivered-assumed", "posted",
	  DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "notice-left", "posted",
	  DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "unclaimed", "notice-left",
	  DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "bounced-soft", "bounced-soft",
	  DS_STATE_REPORT_STALE },
	/* A terminal state takes no news at all. */
	{ DS_MACHINE_ATTEMPT, "returned", "signed", DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "bounced-hard", "bounced-soft",
	  DS_STATE_REPORT_STALE },
	{ DS_MACHINE_ATTEMPT, "handed-off", "posted",
	  DS_STATE_REPORT_REFUSED,
	  "handed-off -> posted is not allowed: it skips printed" },
	{ DS_MACHINE_ATTEMPT, "handed-off", "returned",
	  DS_STATE_REPORT_REFUSED,
	  "handed-off -> returned is not allowed: it skips printed" },
	{ DS_MACHINE_ATTEMPT, "printed", "notice-left",
	  DS_STATE_REPORT_REFUSED,
	  "printed -> notice-left is not allowed: it skips posted" },
	{ DS_MACHINE_ATTEMPT, "notice-left", "returned",
	  DS_STATE_REPORT_REFUSED,
	  "notice-left -> returned is not allowed: it skips unclaimed" },
	{ DS_MACHINE_ATTEMPT, "queued", "posted", DS_STATE_REPORT_REFUSED,
	  "queued -> posted is not allowed: it skips submitting, "
	  "handed-off, printed" },
	{ DS_MACHINE_ATTEMPT, "delivered-assumed", "notice-left",
	  DS_STATE_REPORT_REFUSED,
	  "delivered-assumed -> notice-left is not allowed" },
	{ DS_MACHINE_ATTEMPT, "printed", "cancelled", DS_STATE_REPORT_REFUSED,
	  "printed -> cancelled is not allowed" },
};

START_TEST (test_states_judge_report)
{
	DsStateReport judged = ds_state_judge_report (reports[_i].machine,
						      reports[_i].from,
						      reports[_i].to);
	g_autofree char *refusal = NULL;

	ck_assert_msg (judged == reports[_i].expected, "%s -> %s: %d",
		       reports[_i].from, reports[_i].to, judged);
	if (reports[_i].refusal == NULL)
		return;
	refusal = ds_state_refusal (reports[_i].machine, reports[_i].from,
				    reports[_i].to);
	ck_assert_str_eq (refusal, reports[_i].refusal);
}
END_TEST

int
main (void)
{
	Suite *suite = suite_create ("states");
	TCase *tc = tcase_create ("core");
	SRunner *runner;
	int failed;

	tcase_add_loop_test (tc, test_states_transition, 0,
			     G_N_ELEMENTS (transitions));
	tcase_add_test (tc, test_states_terminal);
	tcase_add_test (tc, test_states_every_pair);
	tcase_add_loop_test (tc, test_states_judge_report, 0,
			     G_N_ELEMENTS (reports));
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
