/* runner.c — mt_run_plan: every cell of a plan, one after the other, on its own event loop.
 *
 * A cell: resolve hosts → every plugin's supported() (any "no" = skip with its reason) →
 * driver prepare → t0 → the timeline drives probes, workloads, faults and migration hops →
 * cell end (or the first error, or SIGINT/SIGTERM) → teardown: abort a running hop, stop what
 * still runs, collect, take faults back through the journal, release. The teardown always
 * runs, so a cell never leaves a fault behind; the next cell starts clean.
 *
 * results.json is rewritten (atomically) after every cell, so a crash or a signal leaves the
 * results measured so far. SIGINT/SIGTERM are blocked for the whole run and read through each
 * cell loop's signalfd, or picked up between cells (mt_signals_pending).
 *
 * Besides the planned events (recorded by the timeline), the runner records what happened
 * without a plan: "migrate.done hop N", "migrate.abort hop N", and the stops/offs of its
 * teardown. Those carry planned_ns = -1. (The plan's own "phase during" mark is planned at
 * the first hop's start, and "phase after" is anchored on the last hop's completion.)
 *
 * This file is the run and the order of a cell's steps; each step lives in its own
 * runner_*.c file (runner_priv.h lists them).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/journal.h"
#include "migtorture/loop.h"
#include "migtorture/runner.h"
#include "labresolve.h"
#include "progress.h"
#include "remote.h"
#include "runner_priv.h"
#include "timeline.h"
#include "migtorture/units.h"

/* How often the progress line is refreshed while a cell runs. */
#define MT_RUN_PROGRESS_NS (250 * 1000000LL)

static int on_progress(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct rn_cellrun *c = arg;

	(void)loop;
	mt_progress_poll(c->r->progress, c->res, now_ns - c->t0);
	return 0;
}

static void run_cell(struct rn_runner *r, size_t index)
{
	const struct mt_cell *cell = &r->plan->cells[index];
	struct rn_cellrun c = { .r = r, .cell = cell, .index = index, .done_fd = -1,
				.phase_fd = -1 };
	struct mt_error err = { 0 };
	int64_t start_mono;
	int rc;

	c.phases = (struct mt_phases){ -1, -1, -1 };
	c.res = mt_run_add_cell(r->run, cell->name);
	if (!c.res) {
		mt_err(&r->first, MT_ENOMEM, "out of memory");
		return;
	}
	c.res->started_wall_ns = mt_wall_ns();
	c.res->repeat = cell->repeat;
	c.res->seed = cell->seed;
	if (cell->section && !(c.res->section = strdup(cell->section)))
		rn_fail(&c, MT_ENOMEM, "out of memory");
	for (size_t i = 0; i < cell->naxes; i++)
		if (mt_cell_add_axis(c.res, cell->axes[i].key, cell->axes[i].val) < 0)
			rn_fail(&c, MT_ENOMEM, "out of memory");
	rc = mt_loop_new(&c.loop, &err);
	if (rc < 0) {
		rn_fail(&c, rc, "%s", err.msg);
		goto verdict;
	}
	start_mono = mt_loop_now(c.loop);
	if (c.failed || rn_cell_setup(&c, &err) < 0 || c.skipped)
		goto verdict;
	rc = mt_timeline_new(&c.tl, c.loop, cell, c.res, rn_exec_event, &c, &err);
	if (rc < 0) {
		rn_fail(&c, rc, "%s", err.msg);
		goto verdict;
	}
	rc = rn_check_supported(&c);
	if (rc <= 0) {
		c.skipped = rc == 0;
		goto teardown;
	}
	if (c.drv) {
		rc = rn_drv_prepare(&c, &err);
		if (rc < 0) {
			if (c.dstate && c.drv->release)
				c.drv->release(c.dstate);
			c.dstate = NULL;
			if (rc == MT_EUNSUPPORTED) {
				c.skipped = 1;
				rn_skip_reason(&c, "driver %s: %s", c.drv->base.name, err.msg);
			} else {
				rn_fail(&c, rc, "driver %s: prepare: %s", c.drv->base.name, err.msg);
			}
			goto teardown;
		}
		c.prepared = 1;
		if (rn_orient(&c, &err) < 0 || c.skipped)
			goto teardown;
	}
	rn_logs_begin(&c);
	c.t0 = mt_loop_now(c.loop);
	mt_journal_set_t0(r->journal, c.t0);
	for (size_t i = 0; i < c.nin; i++)
		c.in[i].ctx.t0_ns = c.t0;
	c.dctx.t0_ns = c.t0;
	rn_say(&c, "cell %s: start", cell->name);
	if (r->progress &&
	    mt_loop_add_timer(c.loop, c.t0, MT_RUN_PROGRESS_NS, on_progress, &c, NULL, &err) < 0)
		mt_err_clear(&err); /* progress is a convenience, never a reason to fail */
	rc = mt_timeline_start(c.tl, c.t0, &err);
	if (rc < 0) {
		rn_fail(&c, rc, "timeline: %s", err.msg);
		goto teardown;
	}
	mt_err_clear(&err);
	rc = mt_loop_run(c.loop, 0, &err);
	if (rc == MT_EINTR) {
		c.interrupted = 1;
		r->signo = mt_loop_signal(c.loop);
	} else if (rc < 0) {
		rn_fail(&c, rc, "%s", err.msg);
	}
teardown:
	rn_cell_teardown(&c);
	c.res->duration_ns = mt_loop_now(c.loop) - (c.t0 ? c.t0 : start_mono);
verdict:
	if (c.interrupted && !c.failed)
		rn_fail(&c, MT_EINTR, "interrupted by %s; everything undone",
			r->signo == SIGINT ? "SIGINT" : "SIGTERM");
	if (c.failed)
		mt_cell_set_verdict(c.res, MT_VERDICT_ERROR, c.reason);
	else if (c.skipped)
		mt_cell_set_verdict(c.res, MT_VERDICT_SKIP, c.reason);
	mt_journal_set_t0(r->journal, 0);
	mt_timeline_free(c.tl);
	mt_loop_free(c.loop);
	for (size_t i = 0; c.in && i < c.nin; i++)
		rn_inst_vm_free(&c.in[i]);
	free(c.in);
	mt_labres_free(&c.lab);
}

/* --realtime: the calling thread (the one that runs the loop) goes to SCHED_FIFO prio, with
 * SCHED_RESET_ON_FORK so that neither stress-ng nor the plugins' threads inherit it (a CPU hog
 * at FIFO would take a core from the guest it is meant to share with). Saves the old policy and
 * parameters in *old_policy and *old_param, which mt_run_plan restores on its way out. Records
 * the policy as the run fact "scheduling". */
static int set_realtime(int prio, struct mt_run_result *run, int *old_policy,
			struct sched_param *old_param, struct mt_error *err)
{
	struct sched_param sp = { .sched_priority = prio };
	char fact[32];

	*old_policy = sched_getscheduler(0);
	if (*old_policy < 0 || sched_getparam(0, old_param) < 0)
		return mt_err(err, MT_EINFRA, "--realtime: cannot read the scheduling policy: %s",
			      strerror(errno));
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0)
		return mt_err(err, MT_EINFRA, "--realtime %d: sched_setscheduler(SCHED_FIFO): %s%s",
			      prio, strerror(errno),
			      errno == EPERM ? " (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO)" : "");
	snprintf(fact, sizeof(fact), "SCHED_FIFO %d", prio);
	if (mt_run_add_fact(run, "scheduling", fact) < 0)
		return mt_err(err, MT_ENOMEM, "out of memory");
	return 0;
}

/* The output directory, its `latest` link and the results path. Returns 0, or the exit status
 * of the failure (err set). */
static int prepare_output(struct rn_runner *r, struct mt_error *err)
{
	const struct mt_run_opts *o = r->o;
	char why[PATH_MAX + 64];
	int rc;

	r->results_mode = mt_run_names_credentials(r->s, r->plan) ? 0600 : 0644;
	rc = rn_prepare_outdir(o->outdir, o->force, err);
	if (rc < 0)
		return mt_err_exit_status(rc);
	if (rn_link_latest(o->outdir, why, sizeof(why)) < 0 && o->verbose >= 0)
		fprintf(stderr, "migtorture: no 'latest' link: %s\n", why);
	if (snprintf(r->results_path, sizeof(r->results_path), "%s/results.json", o->outdir) >=
	    (int)sizeof(r->results_path)) {
		mt_err(err, MT_EINVAL, "output directory path too long");
		return MT_EXIT_USAGE;
	}
	return 0;
}

/* Opens the journal at jpath for this run and refuses one with open entries: leftovers of a
 * crashed run would falsify every measurement. Returns 0 or MT_E*. */
static int open_journal(struct rn_runner *r, const char *jpath, struct mt_error *err)
{
	const struct mt_journal_entry *open_e;
	size_t nopen = 0;
	int rc = mt_journal_open(jpath, &r->journal, err);

	if (rc < 0)
		return rc;
	mt_journal_set_run(r->journal, r->run->run_id);
	rc = mt_journal_open_entries(r->journal, &open_e, &nopen, err);
	if (rc < 0)
		return rc;
	if (nopen)
		return mt_err(err, MT_EINFRA, "journal %s has %zu open entr%s from an earlier run: "
			      "run `migtorture recover` first", jpath, nopen,
			      nopen == 1 ? "y" : "ies");
	return 0;
}

/* Every cell of the plan in order, until a signal; results.json rewritten after each. Then
 * nothing of this run stays open: the journal is undone whole and the ssh sessions end. */
static void run_cells(struct rn_runner *r)
{
	const struct mt_plan *plan = r->plan;
	struct mt_run_result *run = r->run;
	struct mt_error uerr = { 0 };

	for (size_t i = 0; i < plan->ncells && !r->signo; i++) {
		r->signo = mt_signals_pending();
		if (r->signo)
			break;
		mt_progress_cell_start(r->progress, i, plan->cells[i].name, plan->cells[i].repeat);
		run_cell(r, i);
		rn_write_results(r);
		if (run->ncells == i + 1)
			mt_progress_cell_end(r->progress, &run->cells[run->ncells - 1]);
	}
	if (!r->signo)
		r->signo = mt_signals_pending();
	if (mt_journal_undo_all(r->journal, NULL, NULL, &uerr) < 0 && !r->first.code)
		r->first = uerr;
	mt_remote_close_all();
	rn_write_results(r);
}

/* The run's one error line for the CLI: the first infrastructure error, the signal, or the
 * first cell in error. */
static void run_error(const struct rn_runner *r, struct mt_error *err)
{
	const struct mt_run_result *run = r->run;

	if (r->first.code) {
		*err = r->first;
		return;
	}
	if (r->signo) {
		mt_err(err, MT_EINTR, "interrupted by %s: faults undone, partial results in %s",
		       r->signo == SIGINT ? "SIGINT" : "SIGTERM", r->results_path);
		return;
	}
	for (size_t i = 0; i < run->ncells; i++)
		if (run->cells[i].verdict == MT_VERDICT_ERROR) {
			mt_err(err, MT_EINFRA, "cell %s: %s", run->cells[i].name,
			       run->cells[i].reason ? run->cells[i].reason : "error");
			return;
		}
}

int mt_run_plan(const struct mt_scenario *s, const struct mt_plan *plan,
		const struct mt_run_opts *o, struct mt_run_result *run, struct mt_error *err)
{
	struct sched_param old_param = { 0 };
	int old_policy = -1;
	struct rn_runner r = { .s = s, .plan = plan, .o = o, .run = run };
	const char *jpath = o->journal_path ? o->journal_path : mt_default_journal_path();
	sigset_t oldmask;
	int blocked = 0, status = MT_EXIT_INFRA, rc;

	if (o->dry_run) {
		rn_dry_run(s, plan, stdout);
		return MT_EXIT_PASS;
	}
	rc = prepare_output(&r, err);
	if (rc) {
		status = rc;
		goto out;
	}
	rc = mt_signals_block(&oldmask, err);
	if (rc < 0)
		goto out;
	blocked = 1;
	if (rn_fill_facts(run, s, plan) < 0) {
		mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (o->realtime_prio) {
		struct sched_param cur;
		int pol;

		rc = set_realtime(o->realtime_prio, run, &pol, &cur, err);
		if (rc < 0)
			goto out;
		old_policy = pol;
		old_param = cur;
	} else if (mt_run_add_fact(run, "scheduling", "normal") < 0) {
		mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = open_journal(&r, jpath, err);
	if (rc < 0)
		goto out;
	r.progress = mt_progress_new(stderr, o->verbose, plan->ncells, plan->estimated_ns);
	if (rn_write_results(&r) < 0) {
		mt_err(err, r.first.code, "%s", r.first.msg);
		goto out;
	}
	run_cells(&r);
	status = run->exit_status;
	run_error(&r, err);
out:
	if (old_policy >= 0) /* a library caller gets its thread back as it was */
		sched_setscheduler(0, old_policy, &old_param);
	mt_progress_free(r.progress);
	mt_remote_close_all();
	mt_journal_close(r.journal);
	if (blocked)
		mt_signals_restore(&oldmask);
	return status;
}
