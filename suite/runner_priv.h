/* runner_priv.h — runner internals shared between suite/runner.c, suite/verdict.c and tests. */
#ifndef MT_RUNNER_PRIV_H
#define MT_RUNNER_PRIV_H

#include "migtorture/result.h"
#include "migtorture/scenario.h"

/* HOOK for the thresholds issue: turns what the cells measured into verdicts and returns the
 * command's exit status (MT_EXIT_*). Called before every write of results.json (after each
 * cell, at the end, on interruption), so it must be idempotent. run->cells[i] is the result
 * of plan->cells[i] for every i < run->ncells (a cell cut short by a signal is included).
 * Today (suite/verdict.c): a cell without verdict passes; exit 3 if any cell is `error`,
 * 4 if every cell was skipped, 1 if any failed, else 0. */
int mt_run_finish_verdicts(const struct mt_plan *plan, struct mt_run_result *run);

/* How often a running migration hop is polled, and how long a hop may take to end after an
 * abort before the cell gives up on it. */
#define MT_RUN_POLL_NS (50LL * 1000000)
#define MT_RUN_ABORT_GRACE_NS (30LL * 1000000000)

/* 1 when the scenario names a credential file: an ssh identity of a [host:NAME] section or any
 * MT_OPTF_SECRET option (e.g. a Ceph keyring=) set in a cell's specs, core or migrate keys.
 * Such a run's results.json is written 0600 (issue 11 §7). suite/credentials.c. */
int mt_run_names_credentials(const struct mt_scenario *s, const struct mt_plan *plan);

#endif
