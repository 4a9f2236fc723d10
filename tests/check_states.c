/*
 * check_states.c -- every transition of the three machines, allowed and
 * refused, and terminal states that never move.
 */
#include <check.h>
#include <stdlib.h>

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
	suite_add_tcase (suite, tc);
	runner = srunner_create (suite);
	srunner_run_all (runner, CK_NORMAL);
	failed = srunner_ntests_failed (runner);
	srunner_free (runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
