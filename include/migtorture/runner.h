/* migtorture/runner.h — running a plan: the public API the CLI calls. */
#ifndef MIGTORTURE_RUNNER_H
#define MIGTORTURE_RUNNER_H

#include "error.h"
#include "result.h"
#include "scenario.h"

struct mt_run_opts {
	const char *outdir;       /* results.json etc. go here; created */
	const char *journal_path; /* NULL = default */
	int dry_run;              /* print every action, touch nothing */
	int force;                /* allow an existing non-empty outdir */
	int verbose;              /* -v count; -1 = quiet */
	int allow_host_faults;
	int realtime_prio;        /* 0: normal scheduling; 1..99: the run's loop thread at
	                           * SCHED_FIFO with this priority (children and threads it
	                           * starts reset to normal: a stress-ng at FIFO would own a core) */
};

/* Runs every cell of plan, fills run (zeroed by the caller) and writes results.json into
 * outdir (also partial results on SIGINT/SIGTERM). Returns the exit status (MT_EXIT_*),
 * or 130/143 when interrupted. err holds the first infrastructure error, if any.
 * Fields of run the caller already set (tool_version, run_id, shard, seed, ...) are kept.
 * SIGINT/SIGTERM are blocked in the calling thread for the run (threads the plugins start
 * inherit that); the run then stops at the next safe point, undoes everything and returns.
 * Refuses (exit 3) a journal that still has open entries: `migtorture recover` first.
 * o->dry_run prints every action with its planned time to stdout and touches nothing.
 * o->realtime_prio that cannot be set (no CAP_SYS_NICE, RLIMIT_RTPRIO) is an error, exit 3:
 * the user asked for on-time events, a silent fallback would hide the lateness. */
int mt_run_plan(const struct mt_scenario *s, const struct mt_plan *plan,
		const struct mt_run_opts *o, struct mt_run_result *run, struct mt_error *err);

/* Undoes everything a crashed run left open in the journal. Returns 0 when nothing is left
 * open; prints one line per entry undone to f (may be NULL). */
int mt_recover(const char *journal_path, FILE *f, struct mt_error *err);

/* Default journal path: $MT_JOURNAL, else /var/lib/migtorture/journal. */
const char *mt_default_journal_path(void);

/* Version string, e.g. "0.1.0". */
const char *mt_version(void);

/* Source revision compiled in: `git describe --always --dirty` of the tree it was built from
 * (e.g. "e0e5b8d-dirty"), or "unknown" when not built from a git checkout. */
const char *mt_revision(void);

#endif
