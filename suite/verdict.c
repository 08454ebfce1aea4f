/* verdict.c — HOOK: cell verdicts and the run's exit status.
 *
 * Threshold evaluation (issue 10) replaces the body of mt_run_finish_verdicts; the runner calls
 * it in one place only (before every results.json write). Keep it idempotent.
 */
#include "runner_priv.h"

int mt_run_finish_verdicts(const struct mt_plan *plan, struct mt_run_result *run)
{
	size_t nskip = 0, nerr = 0, nfail = 0;

	(void)plan; /* thresholds: plan->cells[i].thresholds for run->cells[i] */
	for (size_t i = 0; i < run->ncells; i++) {
		struct mt_cell_result *c = &run->cells[i];

		if (c->verdict == MT_VERDICT_NONE)
			mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL);
		nskip += c->verdict == MT_VERDICT_SKIP;
		nerr += c->verdict == MT_VERDICT_ERROR;
		nfail += c->verdict == MT_VERDICT_FAIL;
	}
	if (nerr) {
		run->verdict = MT_VERDICT_ERROR;
		run->exit_status = MT_EXIT_INFRA;
	} else if (run->ncells > 0 && nskip == run->ncells) {
		run->verdict = MT_VERDICT_SKIP;
		run->exit_status = MT_EXIT_ALLSKIP;
	} else if (nfail) {
		run->verdict = MT_VERDICT_FAIL;
		run->exit_status = MT_EXIT_FAIL;
	} else {
		run->verdict = MT_VERDICT_PASS;
		run->exit_status = MT_EXIT_PASS;
	}
	return run->exit_status;
}
