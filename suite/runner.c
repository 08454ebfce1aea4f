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
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "migtorture/journal.h"
#include "migtorture/loop.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "blast.h"
#include "labresolve.h"
#include "progress.h"
#include "remote.h"
#include "runner_priv.h"
#include "timeline.h"

struct runner {
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
struct inst {
	const struct mt_spec *spec;
	const struct mt_host *host;
	struct mt_ctx ctx;
	void *state;
	int has_state;   /* start/apply succeeded: collect and release are due */
	int running;     /* started (or fault on) and not yet stopped (off) */
	uint64_t jfirst, jlast; /* a fault's journal entries */
	struct mt_remote *remote; /* ssh host: the session its agent runs in (faults only) */
	uint64_t rhandle;         /* the agent's name for the applied fault */
	/* A fault off whose target is still recovering (mt_fault_ops.settle): polled from the
	 * loop until it settles, so the cell's probes and timeline keep running meanwhile. */
	struct cellrun *cr;
	char *settle_json;
	void *settle_h;
	uint64_t settle_timer;
	int64_t settle_start;
};

struct cellrun {
	struct runner *r;
	const struct mt_cell *cell;
	size_t index;
	struct mt_cell_result *res;
	struct mt_loop *loop;
	struct mt_timeline *tl;
	int64_t t0;
	struct mt_phases phases;
	struct inst *in;
	size_t nin;
	/* migration */
	const struct mt_driver_ops *drv;
	void *dstate;
	struct mt_ctx dctx;
	int prepared;
	int hop_running, hop, hops_done, done_fd, timed_out, tearing_down;
	uint64_t poll_id, timeout_id, grace_id;
	struct mt_labres lab;   /* the cell's lab: references, resolved */
	int settling;         /* faults whose settle is pending */
	int settle_waiting;   /* teardown runs the loop until settling is 0 */
	/* outcome */
	int failed, skipped, interrupted;
	char reason[MT_ERRMSG_MAX];
};

static const struct mt_host local_host = { .name = "local", .kind = MT_HOST_LOCAL };

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

/* The first failure of a cell wins; it becomes the error verdict's one-line reason. */
static int fail(struct cellrun *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct cellrun *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		c->failed = 1;
		va_start(ap, fmt);
		vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
		va_end(ap);
		/* One line: the verdict reason is printed as such. */
		for (char *p = c->reason; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	return code;
}

/* The skip reason (one line). */
static void skip_reason(struct cellrun *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void skip_reason(struct cellrun *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	for (char *p = c->reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void say(struct cellrun *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct cellrun *c, const char *fmt, ...)
{
	va_list ap;

	if (c->r->o->verbose <= 0)
		return;
	fprintf(stderr, "[%9.3fs] ", c->t0 ? secs(mt_loop_now(c->loop) - c->t0) : 0.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *cls_name(enum mt_spec_class cls)
{
	switch (cls) {
	case MT_SPEC_WORKLOAD: return "workload";
	case MT_SPEC_STRESS: return "stress";
	case MT_SPEC_PROBE: return "probe";
	case MT_SPEC_FAULT: return "fault";
	}
	return "?";
}

/* A [host:NAME] section, "local", or a lab host; NULL (err set) for anything else. */
static const struct mt_host *resolve_host(const struct mt_scenario *s, struct mt_labres *lab,
					  const char *name, struct mt_error *err)
{
	const struct mt_host *h = name ? mt_scenario_host(s, name) : NULL;

	if (h)
		return h;
	if (!name || strcmp(name, "local") == 0)
		return &local_host;
	if (mt_labres_is_lab_name(name))
		return mt_labres_host(lab, name, err);
	mt_err(err, MT_ENOTFOUND, "no [host:%s] section", name);
	return NULL;
}

/* The blast radius (blast.h): a fault may act on a lab host, on what the scenario's targets
 * allow, or anywhere with --allow-host-faults. */
static int fault_in_radius(const struct cellrun *c, const struct inst *in)
{
	const struct mt_host *h = in->host;

	if (c->r->o->allow_host_faults)
		return 1;
	if (h >= c->lab.hosts && h < c->lab.hosts + MT_LABRES_MAXHOSTS)
		return 1;
	return mt_blast_allowed(mt_params_str(&c->cell->core, "targets", NULL), h->name,
				mt_params_str(&in->spec->params, "dev", NULL));
}

/* Probes and web workloads that name no host run where the VM's users are: the cell's
 * `client`, else the lab's client when the cell uses the lab; stress and faults stay where
 * they say. */
static int runs_on_client(const struct mt_spec *sp)
{
	return (sp->cls == MT_SPEC_PROBE || sp->cls == MT_SPEC_WORKLOAD) &&
	       (!sp->host || !strcmp(sp->host, "local"));
}

/* The name a spec's host is looked up by (for messages too): its own, or the client's. */
static const char *spec_host_name(const struct mt_cell *cell, const struct mt_labres *lab,
				  const struct mt_spec *sp)
{
	if (runs_on_client(sp) && cell->client)
		return cell->client;
	if (runs_on_client(sp) && lab->uses_lab)
		return "lab:client";
	return sp->host ? sp->host : "local";
}

/* Where a spec runs, or NULL (err set) when that host is not available here. A `client` that
 * names the lab resolves through lab.json even for a cell that does not migrate in the lab
 * (a nova cell whose users sit in the lab's client namespace). */
static const struct mt_host *spec_host(const struct mt_scenario *s, const struct mt_cell *cell,
				       struct mt_labres *lab, const struct mt_spec *sp,
				       struct mt_error *err)
{
	if (runs_on_client(sp) && !cell->client && lab->uses_lab)
		return &lab->client;
	return resolve_host(s, lab, spec_host_name(cell, lab, sp), err);
}

/* ---- the ops of an instance, whatever its class ---- */

struct life {
	int (*supported)(const struct mt_params *, const struct mt_ctx *, char *, size_t);
	int (*start)(const struct mt_params *, struct mt_ctx *, void **, struct mt_error *);
	int (*stop)(void *, struct mt_ctx *, struct mt_error *);
	int (*collect)(void *, struct mt_ctx *, struct mt_error *);
	void (*release)(void *);
};

static struct life life_of(const struct mt_spec *sp)
{
	struct life l = { 0 };

	if (!sp->ops)
		return l;
	switch (sp->cls) {
	case MT_SPEC_WORKLOAD:
	case MT_SPEC_STRESS: {
		const struct mt_workload_ops *w = sp->ops;

		l = (struct life){ w->supported, w->start, w->stop, w->collect, w->release };
		break;
	}
	case MT_SPEC_PROBE: {
		const struct mt_probe_ops *p = sp->ops;

		l = (struct life){ p->supported, p->start, p->stop, p->collect, p->release };
		break;
	}
	case MT_SPEC_FAULT: {
		const struct mt_fault_ops *f = sp->ops;

		l = (struct life){ f->supported, f->apply, NULL, f->collect, f->release };
		break;
	}
	}
	return l;
}

/* ---- entering an instance's host around each plugin call ---- */

static int enter(struct cellrun *c, struct inst *in, int *saved, struct mt_error *err)
{
	int rc = mt_host_enter(in->host, saved, err);

	if (rc < 0)
		fail(c, rc, "%s %s: %s", cls_name(in->spec->cls), in->spec->kind, err->msg);
	return rc;
}

static void leave(struct cellrun *c, int saved)
{
	struct mt_error err = { 0 };

	if (mt_host_leave(saved, &err) < 0)
		fail(c, MT_EINFRA, "%s", err.msg);
}

/* ---- faults on ssh hosts: the same life cycle, carried out by the host's agent ---- */

/* Metric path component for a host or kind name: dots would nest. */
static void path_part(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "?");
	for (char *p = dst; *p; p++)
		if (*p == '.')
			*p = '_';
}

static void remote_metric(struct cellrun *c, struct inst *in, const char *what, double ms)
{
	char path[256], h[64], k[64];

	path_part(h, sizeof(h), in->host->name);
	path_part(k, sizeof(k), in->spec->kind);
	if (what[0] == '.')
		snprintf(path, sizeof(path), "remote.%s%s", h, what);
	else
		snprintf(path, sizeof(path), "remote.%s.%s.%s", h, k, what);
	mt_cell_set_num(c->res, path, ms);
}

static int remote_apply(struct cellrun *c, struct inst *in, struct mt_error *err)
{
	struct mt_remote_apply_info info;
	char detail[256], what[96];
	int rc;

	rc = mt_remote_apply(in->remote, in->spec->kind, &in->spec->params, c->r->journal,
			     in->host, c->t0, c->cell->name, c->cell->seed, &in->rhandle, &info,
			     err);
	remote_metric(c, in, "apply_rtt_ms", (double)info.rtt_ns / 1e6);
	remote_metric(c, in, ".clock_error_ms", (double)info.error_ns / 1e6);
	if (rc == 0 && info.applied_ns >= 0) {
		/* When it took effect on the far side, on this cell's clock (± error_ns). */
		snprintf(detail, sizeof(detail), "on %s (ssh): round trip %.2f ms, clock error "
			 "<= %.3f ms", in->host->name, (double)info.rtt_ns / 1e6,
			 (double)info.error_ns / 1e6);
		snprintf(what, sizeof(what), "fault.applied %s", in->spec->kind);
		mt_cell_add_event(c->res, -1, info.applied_ns, what, detail, 0);
		say(c, "fault %s applied on %s at %+.3fs (round trip %.1f ms)", in->spec->kind,
		    in->host->name, secs(info.applied_ns), (double)info.rtt_ns / 1e6);
	}
	return rc;
}

/* ---- faults ---- */

static int fault_on(struct cellrun *c, struct inst *in, struct mt_error *err)
{
	const struct mt_fault_ops *f = in->spec->ops;
	uint64_t before = mt_journal_last_id(c->r->journal);
	int saved, rc;

	if (in->running)
		return 0;
	if (in->remote) {
		rc = remote_apply(c, in, err);
	} else {
		rc = enter(c, in, &saved, err);
		if (rc < 0)
			return rc;
		rc = f->apply(&in->spec->params, &in->ctx, &in->state, err);
		leave(c, saved);
	}
	in->jfirst = before + 1;
	in->jlast = mt_journal_last_id(c->r->journal);
	if (rc < 0) {
		struct mt_error uerr = { 0 };

		if (err->code == 0)
			mt_err(err, rc, "apply failed (%s)", mt_err_name(rc));
		fail(c, rc, "fault %s: %s", in->spec->kind, err->msg);
		/* What it journalled before failing is taken back now. */
		if (in->jlast >= in->jfirst &&
		    mt_journal_undo_range(c->r->journal, in->jfirst, in->jlast, NULL, NULL, NULL,
					  &uerr) < 0)
			fail(c, uerr.code, "fault %s: %s", in->spec->kind, uerr.msg);
		if (in->state && f->release)
			f->release(in->state);
		in->state = NULL;
		return rc;
	}
	if (in->jlast < in->jfirst)
		say(c, "warning: fault %s journalled nothing", in->spec->kind);
	in->has_state = 1;
	in->running = 1;
	return 0;
}

/* ---- asynchronous settle after a fault's undo (mt_fault_ops.settle) ---- */

#define MT_RUN_SETTLE_POLL_NS (250LL * 1000000)

static void settle_end(struct cellrun *c, struct inst *in, int rc, const struct mt_error *e)
{
	const struct mt_fault_ops *f = in->spec->ops;
	int64_t now = mt_loop_now(c->loop);
	char what[96], detail[MT_ERRMSG_MAX + 64], path[160];

	mt_loop_del_timer(c->loop, in->settle_timer);
	in->settle_timer = 0;
	f->settle(in->settle_json, &in->settle_h, 1, NULL);
	free(in->settle_json);
	in->settle_json = NULL;
	c->settling--;
	snprintf(what, sizeof(what), "fault.settled %s", in->spec->kind);
	if (rc == 1) {
		snprintf(detail, sizeof(detail), "recovered %.3f s after undo",
			 (double)(now - in->settle_start) / 1e9);
		snprintf(path, sizeof(path), "fault.%s.undo_to_settled_ms", in->spec->kind);
		mt_cell_set_num(c->res, path, (double)(now - in->settle_start) / 1e6);
		rc = 0;
	} else {
		snprintf(detail, sizeof(detail), "%s", e && e->msg[0] ? e->msg : "settle failed");
		if (rc == 0)
			rc = MT_ETIMEOUT;
		fail(c, rc, "fault %s: after undo: %s", in->spec->kind, detail);
	}
	mt_cell_add_event(c->res, -1, now - c->t0, what, detail, rc);
	if (c->settling == 0 && c->settle_waiting)
		mt_loop_stop(c->loop);
}

static int on_settle(struct mt_loop *loop, int64_t now, void *arg)
{
	struct inst *in = arg;
	struct cellrun *c = in->cr;
	struct mt_error err = { 0 };
	int saved, rc;

	(void)loop;
	(void)now;
	rc = enter(c, in, &saved, &err);
	if (rc == 0) {
		const struct mt_fault_ops *f = in->spec->ops;

		rc = f->settle(in->settle_json, &in->settle_h, 0, &err);
		leave(c, saved);
	}
	if (rc != 0)
		settle_end(c, in, rc, &err);
	return 0;
}

/* Starts polling in's settle (takes json). A timer that cannot be set falls back to one
 * blocking poll loop here, so a settle is never skipped. */
static void settle_begin(struct cellrun *c, struct inst *in, char *json)
{
	struct mt_error err = { 0 };
	int64_t now = mt_loop_now(c->loop);

	in->cr = c;
	in->settle_json = json;
	in->settle_h = NULL;
	in->settle_start = now;
	c->settling++;
	if (mt_loop_add_timer(c->loop, now, MT_RUN_SETTLE_POLL_NS, on_settle, in,
			      &in->settle_timer, &err) < 0)
		settle_end(c, in, MT_EINFRA, &err);
}

/* Teardown: runs the loop (probes still running) until every pending settle ended; each is
 * bounded by its own timeout. A signal cancels what is left (the run's undo then waits). */
static void settle_wait(struct cellrun *c)
{
	struct mt_error err = { 0 };

	if (c->settling <= 0)
		return;
	say(c, "waiting for %d fault(s) to settle after undo", c->settling);
	c->settle_waiting = 1;
	while (c->settling > 0) {
		int rc = mt_loop_run(c->loop, mt_loop_now(c->loop) + 3600LL * 1000000000, &err);

		if (rc == MT_EINTR) {
			if (!c->r->signo)
				c->r->signo = mt_loop_signal(c->loop);
			c->interrupted = 1;
			break;
		}
		if (rc < 0)
			break;
	}
	c->settle_waiting = 0;
	for (size_t i = 0; i < c->nin && c->settling > 0; i++)
		if (c->in[i].settle_json) {
			struct mt_error e = { 0 };

			mt_err(&e, MT_EINTR, "cancelled before the target settled");
			settle_end(c, &c->in[i], MT_EINTR, &e);
		}
}

/* Fault off: its metrics, its state (timers) released, then its journal entries undone. */
static int fault_off(struct cellrun *c, struct inst *in, struct mt_error *err)
{
	const struct mt_fault_ops *f = in->spec->ops;
	int rc = 0, r2;

	if (!in->running)
		return 0;
	in->running = 0;
	if (in->remote) {
		r2 = mt_remote_collect(in->remote, in->rhandle, c->res, err);
		if (r2 == 0)
			r2 = mt_remote_release(in->remote, in->rhandle, err);
		if (r2 < 0)
			rc = fail(c, r2, "fault %s: collect: %s", in->spec->kind, err->msg);
	} else {
		if (f->collect) {
			r2 = f->collect(in->state, &in->ctx, err);
			if (r2 < 0)
				rc = fail(c, r2, "fault %s: collect: %s", in->spec->kind,
					  err->msg);
		}
		if (f->release)
			f->release(in->state);
	}
	in->state = NULL;
	in->has_state = 0;
	if (in->jlast >= in->jfirst) {
		struct mt_error uerr = { 0 };
		int64_t t = mt_loop_now(c->loop);

		int async = !in->remote && f->undo_nowait && f->settle;
		char *sj = async ? mt_journal_undo_json(c->r->journal, in->jfirst, in->jlast,
							 f->name)
				 : NULL;

		mt_journal_set_nowait(c->r->journal, sj != NULL);
		r2 = mt_journal_undo_range(c->r->journal, in->jfirst, in->jlast, NULL, NULL, NULL,
					   &uerr);
		mt_journal_set_nowait(c->r->journal, 0);
		if (r2 == 0 && sj)
			settle_begin(c, in, sj); /* takes sj */
		else
			free(sj);
		if (in->remote) {
			/* Undone on the far side within this round trip: the midpoint is the
			 * estimate, half of it the error bound. */
			int64_t rtt = mt_loop_now(c->loop) - t;
			char detail[160], what[96];

			remote_metric(c, in, "undo_rtt_ms", (double)rtt / 1e6);
			snprintf(detail, sizeof(detail), "on %s (ssh): round trip %.2f ms, midpoint",
				 in->host->name, (double)rtt / 1e6);
			snprintf(what, sizeof(what), "fault.undone %s", in->spec->kind);
			mt_cell_add_event(c->res, -1, t + rtt / 2 - c->t0, what, detail, r2);
		}
		if (r2 < 0) {
			mt_err(err, r2, "%s", uerr.msg);
			rc = fail(c, r2, "fault %s: %s", in->spec->kind, uerr.msg);
		}
	}
	return rc;
}

/* ---- workloads, stress and probes ---- */

static int inst_start(struct cellrun *c, struct inst *in, struct mt_error *err)
{
	struct life l = life_of(in->spec);
	int saved, rc;

	if (in->running || in->has_state)
		return 0;
	if (!l.start)
		return fail(c, MT_EINFRA, "%s %s has no start", cls_name(in->spec->cls),
			    in->spec->kind);
	rc = enter(c, in, &saved, err);
	if (rc < 0)
		return rc;
	rc = l.start(&in->spec->params, &in->ctx, &in->state, err);
	leave(c, saved);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "start failed (%s)", mt_err_name(rc));
		if (in->state && l.release)
			l.release(in->state);
		in->state = NULL;
		return fail(c, rc, "%s %s: %s", cls_name(in->spec->cls), in->spec->kind, err->msg);
	}
	in->has_state = 1;
	in->running = 1;
	return 0;
}

static int inst_stop(struct cellrun *c, struct inst *in, struct mt_error *err)
{
	struct life l = life_of(in->spec);
	int saved, rc = 0;

	if (!in->running)
		return 0;
	in->running = 0;
	if (!l.stop)
		return 0;
	rc = enter(c, in, &saved, err);
	if (rc < 0)
		return rc;
	rc = l.stop(in->state, &in->ctx, err);
	leave(c, saved);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "stop failed (%s)", mt_err_name(rc));
		return fail(c, rc, "%s %s: stop: %s", cls_name(in->spec->cls), in->spec->kind,
			    err->msg);
	}
	return 0;
}

/* ---- migration ---- */

static void hop_unwatch(struct cellrun *c)
{
	if (c->done_fd >= 0)
		mt_loop_del_fd(c->loop, c->done_fd);
	c->done_fd = -1;
	mt_loop_del_timer(c->loop, c->poll_id);
	mt_loop_del_timer(c->loop, c->timeout_id);
	mt_loop_del_timer(c->loop, c->grace_id);
	c->poll_id = c->timeout_id = c->grace_id = 0;
}

/* Every plugin instance's view of where the VM runs (ctx->vm_uri). */
static void set_vm_uri(struct cellrun *c, const char *uri)
{
	c->dctx.vm_uri = uri;
	for (size_t i = 0; i < c->nin; i++)
		c->in[i].ctx.vm_uri = uri;
}

/* A driver that reports MT_EUNSUPPORTED when a hop starts or ends (libvirt refused the
 * parameter combination only once asked, e.g. QEMU's "Postcopy is not yet compatible with
 * multifd") skips the cell with that reason instead of failing it (DESIGN §3). */
static int hop_unsupported(struct cellrun *c, int hop, const char *msg)
{
	if (!c->failed && !c->skipped) {
		c->skipped = 1;
		skip_reason(c, "driver %s: migration hop %d: %s", c->drv->name, hop, msg);
	}
	mt_loop_stop(c->loop);
	return 0;
}

static int on_hop_done(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct cellrun *c = arg;
	struct mt_error err = { 0 };
	int64_t now = mt_loop_now(loop);
	char what[64];
	int rc;

	(void)fd;
	(void)events;
	hop_unwatch(c);
	c->hop_running = 0;
	rc = c->drv->finish(c->dstate, &c->dctx, &err);
	if (rc < 0 && err.code == 0)
		mt_err(&err, rc, "migration failed (%s)", mt_err_name(rc));
	snprintf(what, sizeof(what), "migrate.done hop %d", c->hop);
	mt_cell_add_event(c->res, -1, now - c->t0, what, rc < 0 ? err.msg : NULL, rc);
	say(c, "%s rc %d%s%s", what, rc, rc < 0 ? ": " : "", rc < 0 ? err.msg : "");
	if (c->tearing_down) {
		mt_loop_stop(loop);
		return 0;
	}
	if (c->timed_out && rc < 0)
		return fail(c, MT_ETIMEOUT, "migration hop %d did not finish within %.0f s and was "
			    "aborted: %s", c->hop, secs(c->cell->migrate_timeout_ns), err.msg);
	/* Completed after its timeout: the driver forced it to (nova migrate.on_timeout =
	 * force_complete) or it ended before the abort took. The VM did move, so the hop counts;
	 * the timeline's migrate.abort event shows the timeout, the thresholds judge the rest. */
	if (c->timed_out)
		say(c, "hop %d completed after its timeout", c->hop);
	if (rc == MT_EUNSUPPORTED)
		return hop_unsupported(c, c->hop, err.msg);
	if (rc < 0)
		return fail(c, rc, "migration hop %d: %s", c->hop, err.msg);
	c->hops_done++;
	/* The VM now runs at the hop's destination (ping-pong: odd hops come back). */
	set_vm_uri(c, c->hop % 2 ? c->lab.src_uri : c->lab.dst_uri);
	if (c->hops_done >= c->cell->migrate_count)
		c->phases.after_start_ns = now - c->t0;
	rc = mt_timeline_hop_done(c->tl, c->hop, now, &err);
	if (rc < 0)
		return fail(c, rc, "timeline: %s", err.msg);
	return 0;
}

static int on_hop_poll(struct mt_loop *loop, int64_t now, void *arg)
{
	struct cellrun *c = arg;

	(void)loop;
	/* A failed poll loses samples, not the migration: the final statistics decide. */
	if (c->drv->poll && c->drv->poll(c->dstate, &c->dctx, now) < 0)
		say(c, "warning: driver %s: poll failed", c->drv->name);
	return 0;
}

static int on_hop_grace(struct mt_loop *loop, int64_t now, void *arg)
{
	struct cellrun *c = arg;

	(void)loop;
	(void)now;
	c->grace_id = 0;
	return fail(c, MT_ETIMEOUT, "migration hop %d did not finish within %.0f s and did not "
		    "end %.0f s after the abort", c->hop, secs(c->cell->migrate_timeout_ns),
		    secs(MT_RUN_ABORT_GRACE_NS));
}

static int on_hop_timeout(struct mt_loop *loop, int64_t now, void *arg)
{
	struct cellrun *c = arg;
	struct mt_error err = { 0 };
	char what[64];
	int rc = 0;

	c->timeout_id = 0;
	c->timed_out = 1;
	if (c->drv->abort)
		rc = c->drv->abort(c->dstate, &err);
	snprintf(what, sizeof(what), "migrate.abort hop %d", c->hop);
	mt_cell_add_event(c->res, -1, now - c->t0, what, rc < 0 ? err.msg : "migrate.timeout",
			  rc);
	say(c, "%s (timeout)", what);
	/* The driver ends the hop (done_fd) once the abort took; wait for that, not forever. */
	if (mt_loop_add_timer(loop, now + MT_RUN_ABORT_GRACE_NS, 0, on_hop_grace, c, &c->grace_id,
			      &err) < 0)
		return fail(c, err.code, "%s", err.msg);
	return 0;
}

static int hop_start(struct cellrun *c, int hop, struct mt_error *err)
{
	struct mt_migrate_req req;
	int64_t now;
	int rc, fd = -1;

	if (!c->drv || !c->prepared)
		return fail(c, MT_EINFRA, "migration hop %d: no prepared driver", hop);
	if (c->hop_running || hop != c->hops_done)
		return fail(c, MT_EINFRA, "migration hop %d planned out of order", hop);
	/* Ping-pong: even hops go source → dest, odd ones back. */
	req.hop = hop;
	req.from = hop % 2 ? c->lab.dst_uri : c->lab.src_uri;
	req.to = hop % 2 ? c->lab.src_uri : c->lab.dst_uri;
	rc = c->drv->start(c->dstate, &req, &fd, err);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "start failed (%s)", mt_err_name(rc));
		if (rc == MT_EUNSUPPORTED)
			return hop_unsupported(c, hop, err->msg);
		return fail(c, rc, "migration hop %d: %s", hop, err->msg);
	}
	now = mt_loop_now(c->loop);
	c->hop = hop;
	c->hop_running = 1;
	c->timed_out = 0;
	if (hop == 0)
		c->phases.during_start_ns = now - c->t0;
	rc = mt_loop_add_fd(c->loop, fd, EPOLLIN, on_hop_done, c, err);
	if (rc < 0)
		return fail(c, rc, "migration hop %d: %s", hop, err->msg);
	c->done_fd = fd;
	if (c->drv->poll) {
		rc = mt_loop_add_timer(c->loop, now + MT_RUN_POLL_NS, MT_RUN_POLL_NS, on_hop_poll, c,
				       &c->poll_id, err);
		if (rc < 0)
			return fail(c, rc, "%s", err->msg);
	}
	if (c->cell->migrate_timeout_ns > 0) {
		rc = mt_loop_add_timer(c->loop, now + c->cell->migrate_timeout_ns, 0,
				       on_hop_timeout, c, &c->timeout_id, err);
		if (rc < 0)
			return fail(c, rc, "%s", err->msg);
	}
	return 0;
}

/* ---- the timeline's callback ---- */

static int exec_event(void *arg, const struct mt_tl_event *ev, int64_t planned, int64_t actual,
		      struct mt_error *err)
{
	struct cellrun *c = arg;
	struct inst *in = ev->spec >= 0 ? &c->in[ev->spec] : NULL;
	int rc = 0;

	if (c->r->o->verbose > 0) {
		char *what = mt_timeline_what(c->cell, ev);

		say(c, "%s (planned %+.3fs)", what ? what : "?", secs(planned));
		free(what);
	}
	(void)actual;
	switch (ev->kind) {
	case MT_TL_PHASE:
		break;
	case MT_TL_PROBE_START:
	case MT_TL_WORKLOAD_START:
		rc = in ? inst_start(c, in, err) : 0;
		break;
	case MT_TL_WORKLOAD_STOP:
	case MT_TL_PROBE_STOP:
		rc = in ? inst_stop(c, in, err) : 0;
		break;
	case MT_TL_FAULT_ON:
		rc = in ? fault_on(c, in, err) : 0;
		break;
	case MT_TL_FAULT_OFF:
		rc = in ? fault_off(c, in, err) : 0;
		break;
	case MT_TL_MIGRATE_START:
		rc = hop_start(c, ev->hop, err);
		break;
	case MT_TL_CELL_END:
		mt_loop_stop(c->loop);
		break;
	}
	if (rc < 0 && err->code == 0)
		mt_err(err, rc, "%s", c->reason);
	return rc;
}

/* ---- a cell ---- */

/* supported() of every plugin of the cell: 1 = all can run, 0 = skip (reason set), < 0 error. */
static int check_supported(struct cellrun *c)
{
	char why[512];

	for (size_t i = 0; i < c->nin; i++) {
		struct inst *in = &c->in[i];
		struct life l = life_of(in->spec);
		struct mt_error err = { 0 };
		int saved, rc;

		if (in->host->kind == MT_HOST_SSH) {
			if (in->spec->cls != MT_SPEC_FAULT) {
				skip_reason(c, "%s %s: host '%s' is remote (ssh): only faults run on "
					    "ssh hosts so far", cls_name(in->spec->cls),
					    in->spec->kind, in->host->name);
				return 0;
			}
			why[0] = '\0';
			rc = mt_remote_get(in->host, &in->remote, &err);
			if (rc < 0)
				return fail(c, rc, "fault %s: %s", in->spec->kind, err.msg);
			remote_metric(c, in, ".session_setup_ms",
				      (double)mt_remote_setup_ns(in->remote) / 1e6);
			remote_metric(c, in, ".rtt_min_ms",
				      (double)mt_remote_rtt_min_ns(in->remote) / 1e6);
			rc = mt_remote_supported(in->remote, in->spec->kind, &in->spec->params,
						 why, sizeof(why), &err);
			if (rc == MT_EUNSUPPORTED) {
				skip_reason(c, "fault %s: %s", in->spec->kind, why);
				return 0;
			}
			if (rc < 0)
				return fail(c, rc, "fault %s: supported(): %s", in->spec->kind,
					    err.msg);
			continue;
		}
		if (!l.supported)
			continue;
		why[0] = '\0';
		rc = enter(c, in, &saved, &err);
		if (rc < 0)
			return rc;
		rc = l.supported(&in->spec->params, &in->ctx, why, sizeof(why));
		leave(c, saved);
		if (rc == MT_EUNSUPPORTED) {
			skip_reason(c, "%s %s: %s", cls_name(in->spec->cls),
				 in->spec->kind, why[0] ? why : "not supported here");
			return 0;
		}
		if (rc < 0)
			return fail(c, rc, "%s %s: supported(): %s", cls_name(in->spec->cls),
				    in->spec->kind, why[0] ? why : mt_err_name(rc));
	}
	if (c->drv && c->drv->supported) {
		int rc;

		why[0] = '\0';
		rc = c->drv->supported(&c->cell->migrate, &c->dctx, why, sizeof(why));
		if (rc == MT_EUNSUPPORTED) {
			skip_reason(c, "driver %s: %s", c->drv->name,
				 why[0] ? why : "not supported here");
			return 0;
		}
		if (rc < 0)
			return fail(c, rc, "driver %s: supported(): %s", c->drv->name,
				    why[0] ? why : mt_err_name(rc));
	}
	return 1;
}

static int cell_setup(struct cellrun *c, struct mt_error *err)
{
	const struct mt_cell *cell = c->cell;
	struct mt_ctx base = { 0 };
	int has_end = 0;

	for (size_t i = 0; i < cell->nevents; i++)
		has_end |= cell->events[i].kind == MT_TL_CELL_END;
	if (!has_end)
		return fail(c, MT_EINVAL, "the plan of cell %s has no cell end", cell->name);
	/* An event acts on a spec of the matching class only (the ops are cast by class). */
	for (size_t i = 0; i < cell->nevents; i++) {
		const struct mt_tl_event *ev = &cell->events[i];
		enum mt_spec_class cls;
		int want;

		if (ev->spec < 0)
			continue;
		if ((size_t)ev->spec >= cell->nspecs)
			return fail(c, MT_EINVAL, "cell %s: event %zu names spec %d of %zu",
				    cell->name, i, ev->spec, cell->nspecs);
		cls = cell->specs[ev->spec].cls;
		switch (ev->kind) {
		case MT_TL_FAULT_ON:
		case MT_TL_FAULT_OFF:
			want = cls == MT_SPEC_FAULT;
			break;
		case MT_TL_WORKLOAD_START:
		case MT_TL_WORKLOAD_STOP:
			want = cls == MT_SPEC_WORKLOAD || cls == MT_SPEC_STRESS;
			break;
		case MT_TL_PROBE_START:
		case MT_TL_PROBE_STOP:
			want = cls == MT_SPEC_PROBE;
			break;
		default:
			want = 1;
		}
		if (!want)
			return fail(c, MT_EINVAL, "cell %s: event %s does not fit %s spec '%s'",
				    cell->name, mt_tl_kind_name(ev->kind), cls_name(cls),
				    cell->specs[ev->spec].kind);
	}
	c->in = calloc(cell->nspecs ? cell->nspecs : 1, sizeof(*c->in));
	if (!c->in)
		return fail(c, MT_ENOMEM, "out of memory");
	c->nin = cell->nspecs;
	base.loop = c->loop;
	base.journal = c->r->journal;
	base.host = &local_host;
	base.result = c->res;
	base.seed = cell->seed;
	base.cell_name = cell->name;
	base.outdir = c->r->o->outdir;
	base.phases = &c->phases;
	base.domain = cell->domain;
	if (mt_labres_cell(cell, &c->lab, err) < 0) {
		/* Only `guest = lab:guest` reads lab.json for a cell outside the lab: without
		 * a lab its probes have no target here, which is a skip like an absent host. */
		if (c->lab.uses_lab || err->code == MT_ENOMEM)
			return fail(c, err->code, "%s", err->msg);
		c->skipped = 1;
		skip_reason(c, "guest '%s' is not available here: %s", cell->guest, err->msg);
		return 0;
	}
	base.guest_addr = c->lab.guest_addr;
	base.guest_url = c->lab.guest_url;
	base.vm_uri = c->lab.src_uri;
	base.verbose = c->r->o->verbose;
	c->dctx = base;
	for (size_t i = 0; i < cell->nspecs; i++) {
		struct inst *in = &c->in[i];

		in->spec = &cell->specs[i];
		in->ctx = base;
		in->host = spec_host(c->r->s, cell, &c->lab, in->spec, err);
		if (!in->host) {
			/* A host this machine cannot reach (no [host:] section, or the lab is
			 * not up): the cell cannot run here; skip, naming the host. */
			c->skipped = 1;
			skip_reason(c, "%s %s: host '%s' is not available here: %s",
				    cls_name(in->spec->cls), in->spec->kind,
				    spec_host_name(cell, &c->lab, in->spec), err->msg);
			return 0;
		}
		in->ctx.host = in->host;
		if (in->spec->cls == MT_SPEC_FAULT && !fault_in_radius(c, in))
			return fail(c, MT_EINVAL, "fault %s on host %s%s%s is outside the lab and not "
				    "in the scenario's targets: add it to targets or run with "
				    "--allow-host-faults", in->spec->kind, in->host->name,
				    mt_params_get(&in->spec->params, "dev") ? " dev " : "",
				    mt_params_str(&in->spec->params, "dev", ""));
		if (!in->spec->ops)
			return fail(c, MT_ENOTFOUND, "no %s plugin '%s' in this build",
				    cls_name(in->spec->cls), in->spec->kind);
		if (in->spec->cls == MT_SPEC_FAULT && !((const struct mt_fault_ops *)
							 in->spec->ops)->apply)
			return fail(c, MT_EINFRA, "fault %s has no apply", in->spec->kind);
	}
	if (cell->migrate_count > 0) {
		c->drv = cell->driver_ops ? cell->driver_ops : mt_find_driver(cell->driver);
		if (!c->drv)
			return fail(c, MT_ENOTFOUND, "no migration driver '%s' in this build",
				    cell->driver ? cell->driver : "(none)");
		if (!c->drv->start || !c->drv->finish || !c->drv->prepare)
			return fail(c, MT_EINFRA, "driver %s lacks prepare/start/finish",
				    c->drv->name);
	}
	(void)err;
	return 0;
}

/* Stops, collects, undoes and releases everything of the cell; always runs. */
static void cell_teardown(struct cellrun *c)
{
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	int64_t now;

	if (c->tl)
		mt_timeline_cancel(c->tl);
	if (c->hop_running) {
		/* Abort the hop and wait (bounded) for the driver to end it. */
		c->tearing_down = 1;
		mt_loop_del_timer(c->loop, c->poll_id);
		mt_loop_del_timer(c->loop, c->timeout_id);
		mt_loop_del_timer(c->loop, c->grace_id);
		c->poll_id = c->timeout_id = c->grace_id = 0;
		if (c->drv->abort && c->drv->abort(c->dstate, &err) < 0)
			fail(c, err.code, "migration hop %d: abort: %s", c->hop, err.msg);
		mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0, "migrate.abort",
				  "cell teardown", 0);
		mt_err_clear(&err);
		if (mt_loop_run(c->loop, mt_loop_now(c->loop) + 10LL * 1000000000, &err) ==
		    MT_EINTR && !c->r->signo)
			c->r->signo = mt_loop_signal(c->loop);
		if (c->hop_running) {
			hop_unwatch(c);
			fail(c, MT_ETIMEOUT, "migration hop %d did not end after abort", c->hop);
		}
		mt_err_clear(&err);
	}
	/* Faults turned off by the timeline may still be settling: probes watch that too. */
	settle_wait(c);
	now = mt_loop_now(c->loop);
	if (c->t0)
		c->phases.end_ns = now - c->t0;
	/* Workloads and stress first, then probes: probes watch to the end. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = c->nin; i-- > 0;) {
			struct inst *in = &c->in[i];
			int is_probe = in->spec->cls == MT_SPEC_PROBE;

			if (in->spec->cls == MT_SPEC_FAULT || is_probe != pass || !in->running)
				continue;
			mt_err_clear(&err);
			inst_stop(c, in, &err);
			mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0,
					  is_probe ? "probe.stop" : "workload.stop", in->spec->kind,
					  err.code);
		}
	}
	/* Collect: probes and workloads see the final phases; faults still on go off. */
	for (size_t i = 0; i < c->nin; i++) {
		struct inst *in = &c->in[i];
		struct life l = life_of(in->spec);

		mt_err_clear(&err);
		if (in->spec->cls == MT_SPEC_FAULT) {
			if (in->running) {
				fault_off(c, in, &err);
				mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0,
						  "fault.off", in->spec->kind, err.code);
			}
			continue;
		}
		if (in->has_state && l.collect && l.collect(in->state, &in->ctx, &err) < 0)
			fail(c, err.code ? err.code : MT_EINFRA, "%s %s: collect: %s",
			     cls_name(in->spec->cls), in->spec->kind, err.msg);
	}
	settle_wait(c); /* faults that were still on at the cell's end */
	if (c->prepared && c->drv->collect) {
		mt_err_clear(&err);
		if (c->drv->collect(c->dstate, &c->dctx, &err) < 0)
			fail(c, err.code ? err.code : MT_EINFRA, "driver %s: collect: %s",
			     c->drv->name, err.msg);
	}
	/* Whatever is still open (spawned processes, a fault whose off failed) goes now. */
	mt_err_clear(&err);
	if (mt_journal_undo_all(c->r->journal, &undone, &failed, &err) < 0)
		fail(c, err.code, "undo: %s", err.msg);
	for (size_t i = 0; i < c->nin; i++) {
		struct inst *in = &c->in[i];
		struct life l = life_of(in->spec);

		if (in->remote) {
			if (in->has_state)
				mt_remote_release(in->remote, in->rhandle, &err);
		} else if (in->has_state && l.release) {
			l.release(in->state);
		}
		in->state = NULL;
		in->has_state = 0;
	}
	if (c->prepared && c->drv->release)
		c->drv->release(c->dstate);
	c->prepared = 0;
	c->dstate = NULL;
}

/* Starts the cell from wherever the VM runs: a one-hop cell leaves it on the destination, so
 * the next cell migrates it back (dest → source) rather than failing. The driver is prepared
 * again with the roles swapped; the direction is recorded. */
static int orient(struct cellrun *c, struct mt_error *err)
{
	int where = 0, rc;

	if (!c->drv->locate || !c->lab.src_uri || !c->lab.dst_uri)
		return 0;
	rc = c->drv->locate(c->dstate, c->lab.src_uri, c->lab.dst_uri, &where, err);
	if (rc < 0)
		return fail(c, rc, "driver %s: %s", c->drv->name, err->msg);
	mt_cell_set_str(c->res, "migration.direction", where ? "dest->source" : "source->dest");
	if (!where)
		return 0;
	if (c->drv->release)
		c->drv->release(c->dstate);
	c->dstate = NULL;
	c->prepared = 0;
	if ((rc = mt_labres_swap(&c->lab, err)) < 0)
		return fail(c, rc, "%s", err->msg);
	set_vm_uri(c, c->lab.src_uri); /* the guest workloads talk to where the VM is */
	rc = c->drv->prepare(&c->lab.migrate, &c->dctx, &c->dstate, err);
	if (rc < 0)
		return fail(c, rc, "driver %s: prepare: %s", c->drv->name, err->msg);
	c->prepared = 1;
	mt_cell_add_event(c->res, -1, 0, "migrate.orient",
			  "the VM runs on the destination: this cell migrates it back", 0);
	return 0;
}

/* How often the progress line is refreshed while a cell runs. */
#define MT_RUN_PROGRESS_NS (250 * 1000000LL)

static int on_progress(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct cellrun *c = arg;

	(void)loop;
	mt_progress_poll(c->r->progress, c->res, now_ns - c->t0);
	return 0;
}

static void run_cell(struct runner *r, size_t index)
{
	const struct mt_cell *cell = &r->plan->cells[index];
	struct cellrun c = { .r = r, .cell = cell, .index = index, .done_fd = -1 };
	struct mt_error err = { 0 };
	int64_t start_mono;
	int rc;

	c.phases = (struct mt_phases){ -1, -1, -1 };
	c.res = mt_run_add_cell(r->run, cell->name);
	if (!c.res) {
		mt_err(&r->first, MT_ENOMEM, "out of memory");
		return;
	}
	c.res->started_wall_ns = wall_ns();
	c.res->repeat = cell->repeat;
	c.res->seed = cell->seed;
	if (cell->section && !(c.res->section = strdup(cell->section)))
		fail(&c, MT_ENOMEM, "out of memory");
	for (size_t i = 0; i < cell->naxes; i++)
		if (mt_cell_add_axis(c.res, cell->axes[i].key, cell->axes[i].val) < 0)
			fail(&c, MT_ENOMEM, "out of memory");
	rc = mt_loop_new(&c.loop, &err);
	if (rc < 0) {
		fail(&c, rc, "%s", err.msg);
		goto verdict;
	}
	start_mono = mt_loop_now(c.loop);
	if (c.failed || cell_setup(&c, &err) < 0 || c.skipped)
		goto verdict;
	rc = mt_timeline_new(&c.tl, c.loop, cell, c.res, exec_event, &c, &err);
	if (rc < 0) {
		fail(&c, rc, "%s", err.msg);
		goto verdict;
	}
	rc = check_supported(&c);
	if (rc <= 0) {
		c.skipped = rc == 0;
		goto teardown;
	}
	if (c.drv) {
		rc = c.drv->prepare(&c.lab.migrate, &c.dctx, &c.dstate, &err);
		if (rc < 0) {
			if (c.dstate && c.drv->release)
				c.drv->release(c.dstate);
			c.dstate = NULL;
			if (rc == MT_EUNSUPPORTED) {
				c.skipped = 1;
				skip_reason(&c, "driver %s: %s", c.drv->name, err.msg);
			} else {
				fail(&c, rc, "driver %s: prepare: %s", c.drv->name, err.msg);
			}
			goto teardown;
		}
		c.prepared = 1;
		if (orient(&c, &err) < 0)
			goto teardown;
	}
	c.t0 = mt_loop_now(c.loop);
	mt_journal_set_t0(r->journal, c.t0);
	for (size_t i = 0; i < c.nin; i++)
		c.in[i].ctx.t0_ns = c.t0;
	c.dctx.t0_ns = c.t0;
	say(&c, "cell %s: start", cell->name);
	if (r->progress &&
	    mt_loop_add_timer(c.loop, c.t0, MT_RUN_PROGRESS_NS, on_progress, &c, NULL, &err) < 0)
		mt_err_clear(&err); /* progress is a convenience, never a reason to fail */
	rc = mt_timeline_start(c.tl, c.t0, &err);
	if (rc < 0) {
		fail(&c, rc, "timeline: %s", err.msg);
		goto teardown;
	}
	mt_err_clear(&err);
	rc = mt_loop_run(c.loop, 0, &err);
	if (rc == MT_EINTR) {
		c.interrupted = 1;
		r->signo = mt_loop_signal(c.loop);
	} else if (rc < 0) {
		fail(&c, rc, "%s", err.msg);
	}
teardown:
	cell_teardown(&c);
	c.res->duration_ns = mt_loop_now(c.loop) - (c.t0 ? c.t0 : start_mono);
verdict:
	if (c.interrupted && !c.failed)
		fail(&c, MT_EINTR, "interrupted by %s; everything undone",
		     r->signo == SIGINT ? "SIGINT" : "SIGTERM");
	if (c.failed)
		mt_cell_set_verdict(c.res, MT_VERDICT_ERROR, c.reason);
	else if (c.skipped)
		mt_cell_set_verdict(c.res, MT_VERDICT_SKIP, c.reason);
	mt_journal_set_t0(r->journal, 0);
	mt_timeline_free(c.tl);
	mt_loop_free(c.loop);
	free(c.in);
	mt_labres_free(&c.lab);
}

/* ---- the run ---- */

static int write_results(struct runner *r)
{
	struct mt_error err = { 0 };
	int rc;

	r->run->finished_wall_ns = wall_ns();
	mt_run_finish_verdicts(r->plan, r->run);
	/* A run-level infrastructure error (e.g. a results write that failed before) is exit 3;
	 * an interruption is 128 + signal whatever else happened. */
	if (r->first.code) {
		r->run->verdict = MT_VERDICT_ERROR;
		r->run->exit_status = MT_EXIT_INFRA;
	}
	if (r->signo) {
		r->run->interrupted = 1;
		r->run->exit_status = 128 + r->signo;
	}
	rc = mt_result_write_file_mode(r->run, r->results_path, r->results_mode, &err);
	if (rc < 0 && r->first.code == 0) {
		mt_err(&r->first, rc, "writing %s: %s", r->results_path, err.msg);
		if (!r->signo)
			r->run->exit_status = MT_EXIT_INFRA;
	}
	return rc;
}

/* mkdir -p; refuses a non-empty existing directory unless force. */
static int prepare_outdir(const char *dir, int force, struct mt_error *err)
{
	char buf[PATH_MAX];
	struct dirent *de;
	int nonempty = 0;
	DIR *d;

	if (!dir || !dir[0])
		return mt_err(err, MT_EINVAL, "no output directory");
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return mt_err(err, MT_EINVAL, "output directory path too long");
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				nonempty = 1;
		closedir(d);
		if (nonempty && !force)
			return mt_err(err, MT_EINVAL, "output directory %s exists and is not empty; "
				      "choose another with -o or pass --force", dir);
		return 0;
	}
	if (errno != ENOENT)
		return mt_err(err, MT_EIO, "output directory %s: %s", dir, strerror(errno));
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
	return 0;
}

static int fill_facts(struct mt_run_result *run, const struct mt_scenario *s,
		      const struct mt_plan *plan)
{
	char host[256] = "unknown", id[128], stamp[32];
	struct utsname u;
	uint32_t rnd = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	gethostname(host, sizeof(host) - 1);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid() ^ (uint32_t)now;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id, sizeof(id), "%s-%08" PRIx32, stamp, rnd);
	run->schema_version = MT_RESULT_SCHEMA_VERSION;
	if (!run->tool_version && !(run->tool_version = strdup(mt_version())))
		rc = MT_ENOMEM;
	if (!run->run_id && !(run->run_id = strdup(id)))
		rc = MT_ENOMEM;
	if (s && s->path && !run->scenario_path && !(run->scenario_path = strdup(s->path)))
		rc = MT_ENOMEM;
	if (s && !run->scenario_sha256 && !(run->scenario_sha256 = strdup(s->sha256)))
		rc = MT_ENOMEM;
	if (!run->seed)
		run->seed = plan->seed;
	run->started_wall_ns = wall_ns();
	if (mt_run_add_fact(run, "hostname", host) < 0)
		rc = MT_ENOMEM;
	if (uname(&u) == 0 &&
	    (mt_run_add_fact(run, "kernel", u.release) < 0 ||
	     mt_run_add_fact(run, "kernel_version", u.version) < 0 ||
	     mt_run_add_fact(run, "machine", u.machine) < 0))
		rc = MT_ENOMEM;
	return rc;
}

static void print_anchor(FILE *f, const struct mt_tl_event *ev)
{
	char at[64];

	switch (ev->anchor) {
	case MT_ANCHOR_START:
		snprintf(at, sizeof(at), "t=%+.3fs", secs(ev->offset_ns));
		break;
	case MT_ANCHOR_HOP_DONE:
		snprintf(at, sizeof(at), "hop %d done%+.3fs", ev->hop - 1, secs(ev->offset_ns));
		break;
	case MT_ANCHOR_MIGRATED:
		snprintf(at, sizeof(at), "migrated%+.3fs", secs(ev->offset_ns));
		break;
	default:
		snprintf(at, sizeof(at), "?%+.3fs", secs(ev->offset_ns));
	}
	fprintf(f, "  %-22s ", at);
}

/* --dry-run: every action with its planned time; nothing touched, no journal, no files. */
static void dry_run(const struct mt_scenario *s, const struct mt_plan *plan, FILE *f)
{
	for (size_t i = 0; i < plan->ncells; i++) {
		const struct mt_cell *cell = &plan->cells[i];

		fprintf(f, "cell %zu/%zu %s (repeat %d, seed %" PRIu64 ")\n", i + 1, plan->ncells,
			cell->name, cell->repeat, cell->seed);
		struct mt_labres lab = { 0 };
		struct mt_error err = { 0 };

		/* reading lab.json touches nothing; without a lab, say so and go on */
		if (mt_labres_cell(cell, &lab, &err) < 0)
			fprintf(f, "  note: %s\n", err.msg);
		for (size_t k = 0; k < cell->nspecs; k++) {
			const struct mt_spec *sp = &cell->specs[k];
			const struct mt_host *h;

			h = spec_host(s, cell, &lab, sp, &err);
			fprintf(f, "  check %s %s on host %s%s%s%s\n", cls_name(sp->cls), sp->kind,
				h && h->name ? h->name : spec_host_name(cell, &lab, sp),
				!h ? " (UNKNOWN HOST)" : h->kind == MT_HOST_SSH ? " (ssh)" : "",
				h && h->netns ? " in netns " : "", h && h->netns ? h->netns : "");
		}
		if (lab.uses_lab)
			fprintf(f, "  lab: %s -> %s, guest %s\n", lab.src_uri ? lab.src_uri : "?",
				lab.dst_uri ? lab.dst_uri : "?",
				lab.guest_addr ? lab.guest_addr : "?");
		else if (cell->guest)
			fprintf(f, "  guest %s (%s)\n", lab.guest_addr ? lab.guest_addr : "?",
				lab.guest_url ? lab.guest_url : "?");
		mt_labres_free(&lab);
		if (cell->migrate_count > 0)
			fprintf(f, "  prepare driver %s: %s -> %s, domain %s, %d hop%s, timeout %.0fs\n",
				cell->driver ? cell->driver : "?", cell->source ? cell->source : "?",
				cell->dest ? cell->dest : "?", cell->domain ? cell->domain : "?",
				cell->migrate_count, cell->migrate_count == 1 ? "" : "s",
				secs(cell->migrate_timeout_ns));
		/* In the order anchors resolve: start, then each hop's completion, then the end. */
		for (size_t pass = 0; pass < 3 * cell->nevents; pass++) {
			static const enum mt_tl_anchor order[] = { MT_ANCHOR_START,
								   MT_ANCHOR_HOP_DONE,
								   MT_ANCHOR_MIGRATED };
			const struct mt_tl_event *ev = &cell->events[pass % cell->nevents];
			char *what;

			if (ev->anchor != order[pass / cell->nevents])
				continue;
			what = mt_timeline_what(cell, ev);

			print_anchor(f, ev);
			fprintf(f, "%s", what ? what : "?");
			if (ev->kind == MT_TL_MIGRATE_START)
				fprintf(f, " (%s -> %s)", ev->hop % 2 ? cell->dest : cell->source,
					ev->hop % 2 ? cell->source : cell->dest);
			else if (ev->spec >= 0 && (size_t)ev->spec < cell->nspecs)
				fprintf(f, ": %s (host %s)", cell->specs[ev->spec].text,
					cell->specs[ev->spec].host ? cell->specs[ev->spec].host
								   : "local");
			fputc('\n', f);
			free(what);
		}
		fprintf(f, "  teardown: stop what runs, collect, undo every journal entry\n");
	}
}

/* --realtime: the calling thread (the one that runs the loop) goes to SCHED_FIFO prio, with
 * SCHED_RESET_ON_FORK so that neither stress-ng nor the plugins' threads inherit it (a CPU hog
 * at FIFO would take a core from the guest it is meant to share with). Saves the old policy in
 * *old for restore_scheduling. Records the policy as the run fact "scheduling". */
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

int mt_run_plan(const struct mt_scenario *s, const struct mt_plan *plan,
		const struct mt_run_opts *o, struct mt_run_result *run, struct mt_error *err)
{
	struct sched_param old_param = { 0 };
	int old_policy = -1;
	struct runner r = { .s = s, .plan = plan, .o = o, .run = run };
	const struct mt_journal_entry *open_e;
	const char *jpath = o->journal_path ? o->journal_path : mt_default_journal_path();
	sigset_t oldmask;
	int blocked = 0, status = MT_EXIT_INFRA, rc;
	size_t nopen = 0;

	if (o->dry_run) {
		dry_run(s, plan, stdout);
		return MT_EXIT_PASS;
	}
	r.results_mode = mt_run_names_credentials(s, plan) ? 0600 : 0644;
	rc = prepare_outdir(o->outdir, o->force, err);
	if (rc < 0) {
		status = mt_err_exit_status(rc);
		goto out;
	}
	if (snprintf(r.results_path, sizeof(r.results_path), "%s/results.json", o->outdir) >=
	    (int)sizeof(r.results_path)) {
		mt_err(err, MT_EINVAL, "output directory path too long");
		status = MT_EXIT_USAGE;
		goto out;
	}
	rc = mt_signals_block(&oldmask, err);
	if (rc < 0)
		goto out;
	blocked = 1;
	if (fill_facts(run, s, plan) < 0) {
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
	rc = mt_journal_open(jpath, &r.journal, err);
	if (rc < 0)
		goto out;
	mt_journal_set_run(r.journal, run->run_id);
	r.progress = mt_progress_new(stderr, o->verbose, plan->ncells, plan->estimated_ns);
	/* Leftovers of a crashed run would falsify every measurement: refuse, name the fix. */
	rc = mt_journal_open_entries(r.journal, &open_e, &nopen, err);
	if (rc < 0)
		goto out;
	if (nopen) {
		mt_err(err, MT_EINFRA, "journal %s has %zu open entr%s from an earlier run: run "
		       "`migtorture recover` first", jpath, nopen, nopen == 1 ? "y" : "ies");
		goto out;
	}
	if (write_results(&r) < 0) {
		mt_err(err, r.first.code, "%s", r.first.msg);
		goto out;
	}
	for (size_t i = 0; i < plan->ncells && !r.signo; i++) {
		r.signo = mt_signals_pending();
		if (r.signo)
			break;
		mt_progress_cell_start(r.progress, i, plan->cells[i].name, plan->cells[i].repeat);
		run_cell(&r, i);
		write_results(&r);
		if (run->ncells == i + 1)
			mt_progress_cell_end(r.progress, &run->cells[run->ncells - 1]);
	}
	if (!r.signo)
		r.signo = mt_signals_pending();
	{
		/* Belt and braces: nothing of this run stays open. */
		struct mt_error uerr = { 0 };

		if (mt_journal_undo_all(r.journal, NULL, NULL, &uerr) < 0 && !r.first.code)
			r.first = uerr;
		/* One session per ssh host for the whole run: bye now. */
		mt_remote_close_all();
	}
	write_results(&r);
	status = run->exit_status;
	if (r.first.code) {
		*err = r.first;
	} else if (r.signo) {
		mt_err(err, MT_EINTR, "interrupted by %s: faults undone, partial results in %s",
		       r.signo == SIGINT ? "SIGINT" : "SIGTERM", r.results_path);
	} else {
		/* The first cell error, for the CLI's one line. */
		for (size_t i = 0; i < run->ncells; i++)
			if (run->cells[i].verdict == MT_VERDICT_ERROR) {
				mt_err(err, MT_EINFRA, "cell %s: %s", run->cells[i].name,
				       run->cells[i].reason ? run->cells[i].reason : "error");
				break;
			}
	}
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
