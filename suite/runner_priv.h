/* runner_priv.h — runner internals, private to suite/ and the tests (not a contract).
 *
 * mt_run_plan is split by job; docs/architecture.md describes the run as a whole:
 *   runner.c        the run: outdir, journal, signals, scheduling, one cell after the other
 *   runner_cell.c   a cell's set-up (checks, instances, hosts, driver), supported(), teardown
 *   runner_host.c   where a spec runs (host resolution, blast radius), entering that host
 *   runner_inst.c   workloads, stress and probes: start and stop
 *   runner_fault.c  faults on and off, locally or through an ssh host's agent
 *   runner_settle.c polling a fault's target after its undo until it recovered
 *   runner_hop.c    migration hops: start, poll, done, timeout; where the VM starts
 *   runner_event.c  the timeline's callback: one planned event → the job above that does it
 *   runner_output.c results.json, the run's facts, the output directory
 *   runner_logs.c   the hypervisors' logs a cell keeps
 *   runner_dryrun.c --dry-run: the plan as text, nothing touched
 *   runner_msg.c    a cell's first failure, its skip reason, verbose lines
 *   credentials.c   does the run name credential files (results.json mode)
 *   verdict.c       verdicts, thresholds and the run's exit status
 */
#ifndef MT_RUNNER_PRIV_H
#define MT_RUNNER_PRIV_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "migtorture/runner.h"
#include "migtorture/scenario.h"
#include "labresolve.h"
#include "logread.h"

struct mt_journal;
struct mt_loop;
struct mt_progress;
struct mt_remote;
struct mt_remote_apply_info;
struct mt_timeline;

/* Turns what the cells measured into verdicts and returns the command's exit status
 * (MT_EXIT_*). Called before every write of results.json (after each cell, at the end, on
 * interruption), so it must be idempotent. run->cells[i] is the result of plan->cells[i] for
 * every i < run->ncells (a cell cut short by a signal is included). A cell the runner left
 * without a verdict passes, unless its thresholds (judged once all its planned repeats ran)
 * fail it. Exit 4 when every cell was skipped, else 3 if any is `error`, 1 if any failed,
 * else 0. suite/verdict.c. */
int mt_run_finish_verdicts(const struct mt_plan *plan, struct mt_run_result *run);

/* How often a running migration hop is polled, and how long a hop may take to end after an
 * abort before the cell gives up on it. */
#define MT_RUN_POLL_NS (50LL * 1000000)
#define MT_RUN_ABORT_GRACE_NS (30LL * 1000000000)

/* 1 when the scenario names a credential file: an ssh identity of a [host:NAME] section or any
 * MT_OPTF_SECRET option (e.g. a Ceph keyring=) set in a cell's specs, core or migrate keys.
 * Such a run's results.json is written 0600, since it names where the secrets are and what
 * they unlock. suite/credentials.c. */
int mt_run_names_credentials(const struct mt_scenario *s, const struct mt_plan *plan);

/* ---- the run and its cells (runner*.c) ---- */

/* The run: what every cell shares (the journal, results.json, the first run-level error). */
struct rn_runner {
	const struct mt_scenario *s;
	const struct mt_plan *plan;
	const struct mt_run_opts *o;
	struct mt_run_result *run;
	struct mt_journal *journal;
	char results_path[PATH_MAX];
	mode_t results_mode;    /* 0600 when the scenario names credential files, else 0644 */
	int signo;              /* the signal that interrupted the run, or 0 */
	struct mt_error first;  /* first run-level (infrastructure) error */
	struct mt_progress *progress;
};

/* One plugin instance of the cell (a spec). */
struct rn_inst {
	const struct mt_spec *spec;
	const struct mt_host *host;
	struct mt_ctx ctx;
	void *state;
	int has_state;   /* start/apply succeeded: collect and release are due */
	int running;     /* started (or fault on) and not yet stopped (off) */
	int ons, offs;   /* a fault's on and off events executed (or passed over) so far */
	uint64_t jfirst, jlast; /* a fault's journal entries */
	int64_t applied_ns;     /* when the fault last took effect (since t0), or -1 */
	struct mt_remote *remote; /* ssh host: the session its agent runs in (faults, host
				   * stress) */
	uint64_t rhandle;         /* the agent's name for the applied fault or started stress */
	/* A fault off whose target is still recovering (mt_fault_ops.settle): polled from the
	 * loop until it settles, so the cell's probes and timeline keep running meanwhile. */
	struct rn_cellrun *cr;
	char *settle_json;
	void *settle_h;
	uint64_t settle_timer;
	int64_t settle_start;
	/* vm=: the VM it serves (in a cell of several): its target and a result of its own,
	 * folded into the cell's under vm.NAME. after collect */
	char *vm_addr, *vm_url;
	struct mt_run_result vmrun;
	struct mt_cell_result *vmres;
};

/* A hypervisor log kept for the cell (runner_logs.c). */
struct rn_log {
	const struct mt_host *host; /* source_host or dest_host (the scenario's or the lab's) */
	enum mt_log_role role;
	char path[PATH_MAX];        /* local host: the file; "" on an ssh host */
	int64_t start;              /* its size when the cell started; -1: no file then */
	char why[300];              /* why it is not kept, or "" */
};
#define RN_MAX_LOGS (2 * MT_LOG_NROLES)

/* One cell while it runs: its loop, timeline, instances, migration hop and outcome. */
struct rn_cellrun {
	struct rn_runner *r;
	const struct mt_cell *cell;
	size_t index;
	struct mt_cell_result *res;
	struct mt_loop *loop;
	struct mt_timeline *tl;
	int64_t t0;
	struct mt_phases phases;
	struct rn_inst *in;
	size_t nin;
	/* migration */
	const struct mt_driver_ops *drv;
	/* several domains: drv points at fleet, which runs inner once per VM (fleet.h) */
	const struct mt_driver_ops *inner;
	struct mt_driver_ops fleet;
	void *dstate;
	struct mt_ctx dctx;
	int prepared;
	int turned;             /* rn_orient swapped source and dest: the VM began on dest */
	int hop_running, hop, hops_done, done_fd, timed_out, tearing_down;
	uint64_t hop_jid;             /* the running hop's journal entry (0: none) */
	int phase_fd;                 /* the driver's phase events, watched from the first hop */
	uint64_t poll_id, timeout_id, grace_id;
	struct mt_labres lab;   /* the cell's lab: references, resolved */
	int settling;         /* faults whose settle is pending */
	int settle_waiting;   /* teardown runs the loop until settling is 0 */
	struct rn_log logs[RN_MAX_LOGS]; /* the hypervisors' logs the cell keeps */
	size_t nlogs;
	/* outcome */
	int failed, skipped, interrupted;
	char reason[MT_ERRMSG_MAX];
};

/* The ops of an instance, whatever its class (a fault's apply is its start; it has no stop). */
struct rn_life {
	int (*supported)(const struct mt_params *, const struct mt_ctx *, char *, size_t);
	int (*start)(const struct mt_params *, struct mt_ctx *, void **, struct mt_error *);
	int (*stop)(void *, struct mt_ctx *, struct mt_error *);
	int (*collect)(void *, struct mt_ctx *, struct mt_error *);
	void (*release)(void *);
};

static inline double rn_secs(int64_t ns)
{
	return (double)ns / 1e9;
}

/* runner_msg.c */

/* Records the cell's failure reason (one line; the first failure wins, it becomes the error
 * verdict's reason) and returns code, so callers write `return rn_fail(c, rc, ...)`. */
int rn_fail(struct rn_cellrun *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets the cell's skip reason (one line); the caller sets c->skipped where it decides. */
void rn_skip_reason(struct rn_cellrun *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A verbose line on stderr, stamped with the cell's time since t0; silent below -v. */
void rn_say(struct rn_cellrun *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "workload", "stress", "probe" or "fault", for messages. */
const char *rn_cls_name(enum mt_spec_class cls);

/* runner_host.c */

/* The host of specs that name none and are not the client's: this machine. */
extern const struct mt_host rn_local_host;
/* 1 when fault instance in may act on its host: a lab host, a host in the scenario's
 * `targets`, or any host with --allow-host-faults (blast.h). */
int rn_fault_in_radius(const struct rn_cellrun *c, const struct rn_inst *in);
/* Binds in to its host (flipped: see rn_spec_host_name) and checks the blast radius: 1, 0
 * when the host is not available here (the cell is skipped, the reason given), or the
 * rn_fail code. */
int rn_bind_host(struct rn_cellrun *c, struct rn_inst *in, int flipped, struct mt_error *err);
/* After the cell turned around (rn_orient): every host=source|dest instance moves to the
 * other host and supported() runs again. 1, 0 (skipped) or the rn_fail code. */
int rn_rebind_roles(struct rn_cellrun *c, struct mt_error *err);
/* Does the spec say host=source or host=dest? */
int rn_spec_host_is_role(const struct mt_spec *sp);
/* The name a spec's host is looked up by (for messages too): its own, the client's, or for
 * host=source|dest the cell's source or dest as hop N runs it (flipped: the cell runs its hops
 * the other way round, its VM having started on the destination). */
const char *rn_spec_host_name(const struct mt_cell *cell, const struct mt_labres *lab,
			      const struct mt_spec *sp, int flipped);
/* Where a spec runs, or NULL (err set) when that host is not available here. */
const struct mt_host *rn_spec_host(const struct mt_scenario *s, const struct mt_cell *cell,
				   struct mt_labres *lab, const struct mt_spec *sp, int flipped,
				   struct mt_error *err);
/* The host a cell-level key names (source_host, dest_host): a [host:NAME] section, "local" or
 * a lab host; NULL (err set) for anything else. */
const struct mt_host *rn_host_by_name(struct rn_cellrun *c, const char *name,
				      struct mt_error *err);
/* Around every local plugin call: enter in's host (its network namespace) and leave it again
 * (*saved carries what to go back to). A failure fails the cell. */
int rn_enter(struct rn_cellrun *c, struct rn_inst *in, int *saved, struct mt_error *err);
void rn_leave(struct rn_cellrun *c, int saved);

/* runner_inst.c */

/* vm=NAME: points in's ctx at that VM (its domain; for a probe, workload or stress also its
 * lab guest and a result of its own — a fault only follows its VM's hop). 1, 0
 * when the VM has no address here (the cell is skipped, the reason given), or the rn_fail
 * code. rn_inst_vm_fold: that result into the cell's (after collect); rn_inst_vm_free. */
int rn_inst_vm_bind(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err);
void rn_inst_vm_fold(struct rn_cellrun *c, struct rn_inst *in);
void rn_inst_vm_free(struct rn_inst *in);

/* The life-cycle ops of a spec's plugin, whatever its class; all NULL without ops. */
struct rn_life rn_life_of(const struct mt_spec *sp);
/* Starts (stops) a workload, stress or probe instance; a no-op when it already runs (does not
 * run). A failure fails the cell and is returned (< 0, err set). */
int rn_inst_start(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err);
int rn_inst_stop(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err);

/* runner_fault.c */

/* Sets the cell metric remote.HOST.KIND.what (what starting with '.': remote.HOST.what), in ms,
 * for a fault that runs through an ssh host's agent. */
void rn_remote_metric(struct rn_cellrun *c, struct rn_inst *in, const char *what, double ms);
/* Applies in (a fault or host stress on an ssh host) through its agent session and records the
 * round trip and clock error as remote.* metrics. Returns mt_remote_apply's result. */
int rn_remote_apply(struct rn_cellrun *c, struct rn_inst *in, struct mt_remote_apply_info *info,
		    struct mt_error *err);
/* Fault on: applies it (here or through its host's agent) and remembers its journal entries;
 * a failed apply takes back what it journalled. A no-op when it is on. Fails the cell on error. */
int rn_fault_on(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err);
/* Fault off: collects its metrics, releases its state, undoes its journal entries (and starts
 * polling its settle when the plugin has one). A no-op when it is off. */
int rn_fault_off(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err);

/* runner_settle.c */

/* Starts polling in's settle on the cell's loop (takes json, the undo record). */
void rn_settle_begin(struct rn_cellrun *c, struct rn_inst *in, char *json);
/* Teardown: runs the loop until every pending settle ended (a signal cancels the rest). */
void rn_settle_wait(struct rn_cellrun *c);

/* runner_logs.c */

/* At the cell's start: where each log of source_host and dest_host ends now (nothing kept
 * when logs.max is 0). At its end, after the teardown: what each log gained, its last
 * logs.max bytes, into OUTDIR/logs/NNN-CELL/, named by the cell's logs.HOST.ROLE metrics (an
 * absent metric with the reason for a log that could not be kept). Never fail the cell. */
void rn_logs_begin(struct rn_cellrun *c);
void rn_logs_end(struct rn_cellrun *c);

/* runner_hop.c */

/* Starts migration hop number hop (in order) and watches it: done fd, poll and timeout. */
int rn_hop_start(struct rn_cellrun *c, int hop, struct mt_error *err);
/* Stops watching the running hop (its done fd and timers). */
void rn_hop_unwatch(struct rn_cellrun *c);
/* Stops watching the driver's phase events (before the driver is released). */
void rn_phase_unwatch(struct rn_cellrun *c);
/* The driver's prepare (a fleet's for several domains) into c->dstate: 0 or its error. */
int rn_drv_prepare(struct rn_cellrun *c, struct mt_error *err);
/* Every plugin instance's view of where the VM runs (ctx->vm_uri). */
void rn_set_vm_uri(struct rn_cellrun *c, const char *uri);
/* After prepare: finds where the VM runs and, when on the destination, swaps the roles so
 * the cell migrates it back (prepares the driver again). Fails the cell on error. */
int rn_orient(struct rn_cellrun *c, struct mt_error *err);

/* runner_event.c */

/* The timeline's callback (mt_tl_exec_fn); arg is the struct rn_cellrun. */
int rn_exec_event(void *arg, const struct mt_tl_event *ev, int64_t planned, int64_t actual,
		  int64_t *effect, struct mt_error *err);

/* runner_cell.c */

/* Checks the cell's plan, resolves hosts and the lab, fills c->in and finds the driver.
 * < 0 = error (cell failed), 0 with c->skipped set = skip (reason set), else 0. */
int rn_cell_setup(struct rn_cellrun *c, struct mt_error *err);
/* supported() of every plugin of the cell: 1 = all can run, 0 = skip (reason set), < 0 error. */
int rn_check_supported(struct rn_cellrun *c);
/* Stops, collects, undoes and releases everything of the cell; always runs. */
void rn_cell_teardown(struct rn_cellrun *c);

/* runner_output.c */

/* Verdicts and exit status, then results.json (atomically). A failed write is the run's
 * first error unless one came before. */
int rn_write_results(struct rn_runner *r);
/* mkdir -p; refuses a non-empty existing directory unless force. */
int rn_prepare_outdir(const char *dir, int force, struct mt_error *err);
/* Points the symlink `latest` next to dir (in its parent) at dir, relative and replaced
 * atomically, so that the newest run is found without its name. Never replaces anything but
 * a symlink. 0, or -1 with the reason in why (the run goes on: only the link is missing). */
int rn_link_latest(const char *dir, char *why, size_t len);
/* The run's identity (id, versions, scenario hash, seed, start) and host facts. 0 or
 * MT_ENOMEM. */
int rn_fill_facts(struct mt_run_result *run, const struct mt_scenario *s,
		  const struct mt_plan *plan);

/* runner_dryrun.c */

/* --dry-run: every action with its planned time; nothing touched, no journal, no files. */
void rn_dry_run(const struct mt_scenario *s, const struct mt_plan *plan, FILE *f);

#endif
