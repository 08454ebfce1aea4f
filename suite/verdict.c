/* verdict.c — cell verdicts, thresholds and the run's exit status.
 *
 * Called before every results.json write, so it must be idempotent: a cell name's thresholds
 * are evaluated once, when all its planned repeats have run (aggregates such as .p95 need them
 * all), and never again (a group whose cells carry checks is done). Until then its cells show
 * the runner's verdict (pass, skip, error). Thresholds were validated when the scenario was
 * loaded (file:line errors), so a parse failure here is an internal error, reported as such.
 */
#include <stdlib.h>
#include <string.h>

#include "migtorture/threshold.h"
#include "runner_priv.h"

static size_t planned_repeats(const struct mt_plan *plan, const char *name, size_t *first)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->ncells; i++)
		if (!strcmp(plan->cells[i].name, name)) {
			if (!n)
				*first = i;
			n++;
		}
	return n;
}

/* Judges the group of run cells named name with the thresholds of plan cell pc. */
static int judge_group(const struct mt_cell *pc, struct mt_run_result *run, const char *name,
		       struct mt_cell_result **g)
{
	struct mt_threshold *t = calloc(pc->nthresholds ? pc->nthresholds : 1, sizeof(*t));
	struct mt_error err = { 0 };
	size_t ng = 0;
	int rc = 0;

	if (!t)
		return MT_ENOMEM;
	for (size_t k = 0; k < pc->nthresholds && !rc; k++)
		rc = mt_threshold_parse(pc->thresholds[k].expr, &t[k], &err);
	for (size_t i = 0; i < run->ncells; i++)
		if (!strcmp(run->cells[i].name, name))
			g[ng++] = &run->cells[i];
	if (rc) {
		for (size_t i = 0; i < ng; i++)
			mt_cell_set_verdict(g[i], MT_VERDICT_ERROR, err.msg);
	} else {
		rc = mt_threshold_evaluate_group(g, ng, t, pc->nthresholds, &err);
	}
	free(t);
	return rc;
}

int mt_run_finish_verdicts(const struct mt_plan *plan, struct mt_run_result *run)
{
	struct mt_cell_result **g = malloc((run->ncells + 1) * sizeof(*g));

	for (size_t i = 0; i < run->ncells; i++)
		if (run->cells[i].verdict == MT_VERDICT_NONE)
			mt_cell_set_verdict(&run->cells[i], MT_VERDICT_PASS, NULL);
	for (size_t i = 0; g && plan && i < run->ncells; i++) {
		const char *name = run->cells[i].name;
		size_t first = 0, have = 0, planned = planned_repeats(plan, name, &first);
		int judged = 0, seen = 0;

		for (size_t j = 0; j < run->ncells; j++) {
			if (strcmp(run->cells[j].name, name))
				continue;
			seen |= j < i; /* handled with its first repeat */
			have++;
			judged |= run->cells[j].nchecks > 0;
		}
		if (seen || judged || !planned || have < planned ||
		    !plan->cells[first].nthresholds)
			continue;
		judge_group(&plan->cells[first], run, name, g);
	}
	free(g);
	return mt_run_update_verdict(run);
}
