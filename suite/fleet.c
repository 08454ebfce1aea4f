/* fleet.c — several VMs in one migration hop (contract in fleet.h; docs/evacuation.md).
 *
 * A hop of the fleet is a hop of every VM, in the order named, at most `concurrency` running at
 * once: the next starts as soon as one ends, whatever its outcome, so one VM that fails does
 * not stop the others. Each VM's hop is the inner driver's own (its thread, done fd, events),
 * watched on the cell's loop; the fleet's done fd fires when the last of them has ended. Each
 * VM writes into a result of its own, folded into the cell's under vm.NAME. at collect; the
 * cell gets the hop's whole: time until the last VM was moved, the slowest VM, the mean rate.
 * Each VM's phases (the inner driver's, and its own start and end) reach the runner tagged
 * with its name, so an anchor follows the hop of the VM its spec names (vm=).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fleet.h"
#include "grow.h"
#include "migtorture/journal.h"
#include "migtorture/loop.h"
#include "migtorture/result.h"

enum fl_vm_state { FL_IDLE, FL_QUEUED, FL_RUNNING, FL_DONE };

struct fl_state;

struct fl_vm {
	struct fl_state *f;
	char *name;
	void *st;                   /* the inner driver's state */
	struct mt_ctx ctx;          /* the fleet's, with this VM's domain and result */
	struct mt_run_result run;   /* holds res */
	struct mt_cell_result *res;
	enum fl_vm_state state;
	int fd;                     /* its done fd while it runs, else -1 */
	int phase_fd;               /* the inner driver's phase fd, watched on the loop, or -1 */
	int rc;                     /* this hop's outcome */
	char msg[MT_ERRMSG_MAX];
	int64_t t_start, t_end;     /* this hop: asked for, ended (absolute) */
	uint64_t jid;               /* its hop's journal entry, 0: none */
	int hops_done;
};

struct fl_state {
	const struct mt_driver_ops *in;
	struct mt_ctx *ctx;         /* the runner's (t0, vm_uri and the loop are read from it) */
	struct fl_vm *vm;
	int n, concurrency;
	int efd;
	int pfd;                    /* readable while pq holds phases for the runner */
	struct mt_phase_event *pq;  /* every VM's phases, in the order they came */
	size_t npq, cappq;
	int phases_watched;
	struct mt_migrate_req req;  /* the running hop (from/to point into the runner's lab) */
	int running, queued, hop_running;
	int64_t hop_t0, hop_t1;
	int max_running;            /* the most VMs whose hops ran at once this hop */
};

int mt_domains_split(const char *list, char ***names)
{
	char **v = calloc(MT_FLEET_MAX + 2, sizeof(*v));
	const char *p = list ? list : "";
	int n = 0;

	*names = NULL;
	if (!v)
		return -1;
	while (*p) {
		const char *b;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		b = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (n > MT_FLEET_MAX) /* the caller refuses the list: it counts one past the limit */
			continue;
		if (!(v[n] = strndup(b, (size_t)(p - b)))) {
			mt_domains_free(v);
			return -1;
		}
		n++;
	}
	*names = v;
	return n;
}

void mt_domains_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mt_domains_sort(char **names)
{
	size_t n = 0, kept = 0;

	while (names && names[n])
		n++;
	if (n == 0)
		return;
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && strcmp(names[i], names[kept - 1]) == 0)
			free(names[i]);
		else
			names[kept++] = names[i];
	}
	names[kept] = NULL;
}

/* The VM's view of the cell as it is now (t0 and vm_uri are set after prepare). */
static struct mt_ctx *vm_ctx(struct fl_vm *v)
{
	struct mt_ctx *c = v->f->ctx;

	v->ctx.loop = c->loop;
	v->ctx.journal = c->journal;
	v->ctx.run = c->run;
	v->ctx.t0_ns = c->t0_ns;
	v->ctx.phases = c->phases;
	v->ctx.vm_uri = c->vm_uri;
	v->ctx.verbose = c->verbose;
	return &v->ctx;
}

static void fl_wake(struct fl_state *f)
{
	uint64_t one = 1;

	/* An eventfd write of 1 fails only when the counter would overflow: never here. */
	(void)!write(f->efd, &one, sizeof(one));
}

/* Queues a phase of v's hop for the runner (fl_phase_next) and wakes it; unnamed: specs
 * without vm= follow it too (the first VM's own phases). Out of memory, the phase is lost:
 * what was anchored on it is recorded as never come. */
static void phase_push(struct fl_vm *v, struct mt_phase_event ev, int unnamed)
{
	struct fl_state *f = v->f;
	uint64_t one = 1;

	if (mt_grow((void **)&f->pq, &f->cappq, f->npq, sizeof(*f->pq)) < 0)
		return;
	ev.vm = v->name;
	ev.unnamed = unnamed;
	f->pq[f->npq++] = ev;
	(void)!write(f->pfd, &one, sizeof(one));
}

/* hopN.start and hopN.done of one VM: when its turn came and when its hop ended. */
static void phase_own(struct fl_vm *v, enum mt_hop_phase ph, int64_t t_ns)
{
	phase_push(v, (struct mt_phase_event){ .hop = v->f->req.hop, .phase = ph, .t_ns = t_ns },
		   0);
}

static int on_vm_phase(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct fl_vm *v = arg;
	struct mt_phase_event ev;

	(void)loop;
	(void)fd;
	(void)events;
	for (;;) {
		ev = (struct mt_phase_event){ 0 };
		if (v->f->in->phase_next(v->st, &ev) != 1)
			break;
		phase_push(v, ev, v == &v->f->vm[0]);
	}
	return 0;
}

static void vm_journal_end(struct fl_vm *v, int64_t now)
{
	struct mt_error err = { 0 };

	if (v->jid && v->ctx.journal)
		(void)mt_journal_end(v->ctx.journal, v->jid, now - v->ctx.t0_ns, 0, &err);
	v->jid = 0;
}

static int on_vm_done(struct mt_loop *loop, int fd, unsigned events, void *arg);

/* Starts the next queued VMs while fewer than `concurrency` run. A VM whose start fails has
 * ended (its rc says why) and the next one goes. */
static void launch(struct fl_state *f)
{
	for (int i = 0; i < f->n && f->running < f->concurrency; i++) {
		struct fl_vm *v = &f->vm[i];
		struct mt_error err = { 0 };
		const char *kind = NULL;
		char *undo = NULL;
		int fd = -1, rc = 0;

		if (v->state != FL_QUEUED)
			continue;
		f->queued--;
		vm_ctx(v);
		v->t_start = mt_loop_now(f->ctx->loop);
		v->jid = 0;
		/* its own journal entry, as the runner keeps one for a single VM's hop */
		if (f->in->hop_record && v->ctx.journal &&
		    (rc = f->in->hop_record(v->st, &f->req, &kind, &undo, &err)) == 0)
			rc = mt_journal_begin(v->ctx.journal, kind, NULL, undo, &v->jid, &err);
		free(undo);
		if (rc == 0)
			rc = f->in->start(v->st, &f->req, &fd, &err);
		if (rc == 0 && (rc = mt_loop_add_fd(f->ctx->loop, fd, EPOLLIN, on_vm_done, v,
						    &err)) < 0 && f->in->abort) {
			struct mt_error aerr = { 0 };

			/* not watched, so not waited for: stop it, and its finish says how it ended */
			(void)f->in->abort(v->st, &aerr);
			(void)f->in->finish(v->st, vm_ctx(v), &aerr);
		}
		phase_own(v, MT_PHASE_START, v->t_start);
		if (rc < 0) {
			v->rc = rc;
			snprintf(v->msg, sizeof(v->msg), "%s", err.code ? err.msg : mt_err_name(rc));
			v->t_end = mt_loop_now(f->ctx->loop);
			v->state = FL_DONE;
			vm_journal_end(v, v->t_end);
			phase_own(v, MT_PHASE_DONE, v->t_end);
			continue;
		}
		if (v->jid) {
			struct mt_error jerr = { 0 };

			(void)mt_journal_applied(v->ctx.journal, v->jid,
						 mt_loop_now(f->ctx->loop) - v->ctx.t0_ns, &jerr);
		}
		v->fd = fd;
		v->state = FL_RUNNING;
		f->running++;
		if (f->running > f->max_running)
			f->max_running = f->running;
	}
	if (f->hop_running && !f->running && !f->queued) {
		f->hop_t1 = mt_loop_now(f->ctx->loop);
		fl_wake(f);
	}
}

static int on_vm_done(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct fl_vm *v = arg;
	struct fl_state *f = v->f;
	struct mt_error err = { 0 };
	int rc;

	(void)fd;
	(void)events;
	mt_loop_del_fd(loop, v->fd);
	v->fd = -1;
	rc = f->in->finish(v->st, vm_ctx(v), &err);
	v->t_end = mt_loop_now(loop);
	vm_journal_end(v, v->t_end);
	phase_own(v, MT_PHASE_DONE, v->t_end);
	v->rc = rc;
	if (rc < 0)
		snprintf(v->msg, sizeof(v->msg), "%s", err.code ? err.msg : mt_err_name(rc));
	else
		v->hops_done++;
	v->state = FL_DONE;
	f->running--;
	launch(f);
	return 0;
}

static int fl_start(void *state, const struct mt_migrate_req *req, int *done_fd,
		    struct mt_error *err)
{
	struct fl_state *f = state;
	uint64_t val;

	*done_fd = -1;
	if (f->hop_running)
		return mt_err(err, MT_EINVAL, "hop %d still running", f->req.hop);
	(void)!read(f->efd, &val, sizeof(val)); /* nonblocking: drains a consumed hop's wake */
	f->req = *req;
	f->hop_running = 1;
	f->running = f->max_running = 0;
	f->queued = f->n;
	f->hop_t0 = mt_loop_now(f->ctx->loop);
	f->hop_t1 = -1;
	for (int i = 0; i < f->n; i++) {
		f->vm[i].state = FL_QUEUED;
		f->vm[i].rc = 0;
		f->vm[i].msg[0] = '\0';
		f->vm[i].t_start = f->vm[i].t_end = -1;
	}
	launch(f);
	*done_fd = f->efd;
	return 0;
}

static int fl_poll(void *state, struct mt_ctx *ctx, int64_t now_ns)
{
	struct fl_state *f = state;
	int rc = 0;

	(void)ctx;
	if (!f->in->poll)
		return 0;
	for (int i = 0; i < f->n; i++)
		if (f->vm[i].state == FL_RUNNING &&
		    f->in->poll(f->vm[i].st, vm_ctx(&f->vm[i]), now_ns) < 0)
			rc = -1;
	return rc;
}

static void set_num(struct mt_cell_result *r, const char *prefix, const char *name, double v)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", prefix, name);
	(void)mt_cell_set_num(r, path, v);
}

/* The VM's own figure at path (its result), NAN when it has none. */
static double vm_num(const struct fl_vm *v, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(v->res, path);

	return m && m->kind == MT_METRIC_NUM ? m->num : NAN;
}

/* The hop as a whole, under migration.[hopN.]: how many VMs moved, the time until the last
 * ended (evacuation_time_ms), the slowest VM, the bytes all moved and their mean rate. The
 * first failure is the hop's error, every failed VM named in it. */
static int fl_finish(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct fl_state *f = state;
	struct mt_cell_result *r = ctx ? ctx->result : NULL;
	char prefix[48], path[128], vmprefix[48], failed[MT_ERRMSG_MAX] = "";
	int nfailed = 0, nok = 0, first_rc = 0, slowest = -1;
	double bytes = 0, slow_ms = -1;
	uint64_t val;

	if (!f->hop_running)
		return mt_err(err, MT_EINVAL, "finish without a running hop");
	(void)!read(f->efd, &val, sizeof(val));
	f->hop_running = 0;
	if (f->req.hop == 0)
		snprintf(prefix, sizeof(prefix), "migration.");
	else
		snprintf(prefix, sizeof(prefix), "migration.hop%d.", f->req.hop);
	snprintf(vmprefix, sizeof(vmprefix), "%s", prefix);
	for (int i = 0; i < f->n; i++) {
		struct fl_vm *v = &f->vm[i];
		double ms = (double)(v->t_end - v->t_start) / 1e6, b;

		/* when its turn came and when it ended, on the cell's clock */
		vm_ctx(v);
		if (v->t_start >= 0) {
			set_num(v->res, prefix, "queue_wait_ms",
				(double)(v->t_start - f->hop_t0) / 1e6);
			set_num(v->res, prefix, "fleet_start_ms",
				(double)(v->t_start - v->ctx.t0_ns) / 1e6);
			set_num(v->res, prefix, "fleet_end_ms",
				(double)(v->t_end - v->ctx.t0_ns) / 1e6);
		}
		if (v->rc < 0) {
			size_t l = strlen(failed);

			if (!nfailed++)
				first_rc = v->rc;
			/* bounded per VM, so every failed VM is named */
			snprintf(failed + l, sizeof(failed) - l, "%s%.64s: %.160s", l ? "; " : "",
				 v->name, v->msg);
			continue;
		}
		nok++;
		snprintf(path, sizeof(path), "%stransferred_bytes", vmprefix);
		b = vm_num(v, path);
		if (!isnan(b))
			bytes += b;
		if (ms > slow_ms) {
			slow_ms = ms;
			slowest = i;
		}
	}
	if (r) {
		double t = (double)((f->hop_t1 >= 0 ? f->hop_t1 : mt_loop_now(f->ctx->loop)) -
				    f->hop_t0) / 1e6;

		set_num(r, prefix, "vms", f->n);
		set_num(r, prefix, "vms_migrated", nok);
		set_num(r, prefix, "vms_failed", nfailed);
		set_num(r, prefix, "concurrency_max", f->max_running);
		set_num(r, prefix, "evacuation_time_ms", t);
		if (slowest >= 0) {
			snprintf(path, sizeof(path), "%sslowest_vm", prefix);
			(void)mt_cell_set_str(r, path, f->vm[slowest].name);
			set_num(r, prefix, "slowest_vm_time_ms", slow_ms);
		}
		if (nok && bytes > 0 && t > 0) {
			set_num(r, prefix, "fleet_transferred_bytes", bytes);
			set_num(r, prefix, "fleet_mean_bytes_s", bytes / (t / 1e3));
		}
	}
	if (nfailed)
		return mt_err(err, first_rc, "%d of %d VMs did not move: %s", nfailed, f->n, failed);
	return 0;
}

/* A running hop ends soon; the queued ones never start (they end at once, aborted). */
static int fl_abort(void *state, struct mt_error *err)
{
	struct fl_state *f = state;
	int rc = 0;

	for (int i = 0; i < f->n; i++) {
		struct fl_vm *v = &f->vm[i];
		struct mt_error e = { 0 };

		if (v->state == FL_QUEUED) {
			v->state = FL_DONE;
			v->rc = MT_ETIMEOUT;
			snprintf(v->msg, sizeof(v->msg), "aborted before it started");
			f->queued--;
		} else if (v->state == FL_RUNNING && f->in->abort &&
			   f->in->abort(v->st, &e) < 0 && rc == 0) {
			rc = mt_err(err, e.code, "%s: %s", v->name, e.msg);
		}
	}
	if (f->hop_running && !f->running && !f->queued) {
		f->hop_t1 = mt_loop_now(f->ctx->loop);
		fl_wake(f);
	}
	return rc;
}

/* The cell's own figure at key, when it has none: the worst VM's (vm.NAME.key, the largest),
 * so thresholds and the summary judge the worst VM (docs/evacuation.md); or, sum set, every
 * VM's added up (the bytes the hop moved). */
static void fold_vms(const struct fl_state *f, struct mt_cell_result *r, const char *key,
		     int sum)
{
	double v = NAN;

	if (mt_cell_metric(r, key))
		return;
	for (int i = 0; i < f->n; i++) {
		char path[MT_ERRMSG_MAX];
		const struct mt_metric *m;
		size_t l;

		mt_vm_prefix(f->vm[i].name, path, sizeof(path));
		l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "%s", key);
		m = mt_cell_metric(r, path);
		if (!m || m->kind != MT_METRIC_NUM || isnan(m->num))
			continue;
		if (isnan(v))
			v = m->num;
		else if (sum)
			v += m->num;
		else if (m->num > v)
			v = m->num;
	}
	if (!isnan(v))
		(void)mt_cell_set_num(r, key, v);
}

/* Every VM's own collect, then its whole result into the cell's under vm.NAME.; the cell's
 * hops_completed counts the hops every VM made, its first hop's time and downtimes are the
 * worst VM's, its bytes all the VMs' together. */
static int fl_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct fl_state *f = state;
	int rc = 0, min_hops = -1;

	for (int i = 0; i < f->n; i++) {
		struct fl_vm *v = &f->vm[i];
		struct mt_error e = { 0 };
		char prefix[MT_ERRMSG_MAX];

		if (f->in->collect && f->in->collect(v->st, vm_ctx(v), &e) < 0 && rc == 0)
			rc = mt_err(err, e.code ? e.code : MT_EINFRA, "%s: %s", v->name, e.msg);
		if (min_hops < 0 || v->hops_done < min_hops)
			min_hops = v->hops_done;
		mt_vm_prefix(v->name, prefix, sizeof(prefix));
		if (ctx && ctx->result && mt_cell_absorb(ctx->result, v->res, prefix, v->name) < 0 &&
		    rc == 0)
			rc = mt_err(err, MT_ENOMEM, "%s: cannot keep its results", v->name);
	}
	if (ctx && ctx->result) {
		static const char *const worst[] = { "migration.total_time_ms",
						     "downtime.hypervisor_downtime_ms",
						     "downtime.network_outage_ms",
						     "downtime.guest_stall_ms" };

		(void)mt_cell_set_num(ctx->result, "migration.hops_completed",
				      min_hops < 0 ? 0 : min_hops);
		for (size_t i = 0; i < sizeof(worst) / sizeof(worst[0]); i++)
			fold_vms(f, ctx->result, worst[i], 0);
		fold_vms(f, ctx->result, "migration.transferred_bytes", 1);
	}
	return rc;
}

/* Where the fleet is: where every VM is; VMs split between the hosts are an error that names
 * where each is (the cell cannot migrate them together). */
static int fl_locate(void *state, const char *a, const char *b, int *where, struct mt_error *err)
{
	struct fl_state *f = state;
	char at[MT_ERRMSG_MAX] = "";
	int first = -1, split = 0;

	if (!f->in->locate)
		return mt_err(err, MT_EUNSUPPORTED, "the driver cannot tell where a VM runs");
	for (int i = 0; i < f->n; i++) {
		int w = 0, rc = f->in->locate(f->vm[i].st, a, b, &w, err);
		size_t l = strlen(at);

		if (rc < 0)
			return mt_err(err, rc, "%s: %s", f->vm[i].name, err->msg);
		snprintf(at + l, sizeof(at) - l, "%s%s on %s", l ? ", " : "", f->vm[i].name,
			 w ? b : a);
		if (first < 0)
			first = w;
		else if (w != first)
			split = 1;
	}
	if (split)
		return mt_err(err, MT_EINVAL, "the VMs do not run on one host (%s): migrate them "
			      "together from one host", at);
	*where = first < 0 ? 0 : first;
	return 0;
}

/* Every VM's phases through one fd: the inner drivers' are watched on the loop from the first
 * call (the runner asks once its loop runs the hops) and queued with their VM's name. */
static int fl_phase_fd(void *state)
{
	struct fl_state *f = state;

	for (int i = 0; i < f->n && !f->phases_watched; i++) {
		struct fl_vm *v = &f->vm[i];
		struct mt_error err = { 0 };
		int fd = f->in->phase_fd && f->in->phase_next ? f->in->phase_fd(v->st) : -1;

		/* a VM not watched keeps its own start and end; its driver's phases never come */
		if (fd >= 0 && mt_loop_add_fd(f->ctx->loop, fd, EPOLLIN, on_vm_phase, v, &err) == 0)
			v->phase_fd = fd;
	}
	f->phases_watched = 1;
	return f->pfd;
}

static int fl_phase_next(void *state, struct mt_phase_event *ev)
{
	struct fl_state *f = state;
	uint64_t val;

	if (f->npq == 0) {
		(void)!read(f->pfd, &val, sizeof(val)); /* drained: quiet until the next push */
		return 0;
	}
	*ev = f->pq[0];
	memmove(f->pq, f->pq + 1, (f->npq - 1) * sizeof(*f->pq));
	f->npq--;
	return 1;
}

static void fl_release(void *state)
{
	struct fl_state *f = state;

	if (!f)
		return;
	for (int i = 0; i < f->n; i++) {
		struct fl_vm *v = &f->vm[i];

		if (v->fd >= 0 && f->ctx->loop)
			mt_loop_del_fd(f->ctx->loop, v->fd);
		if (v->phase_fd >= 0 && f->ctx->loop)
			mt_loop_del_fd(f->ctx->loop, v->phase_fd);
		if (v->st && f->in->release)
			f->in->release(v->st);
		mt_run_result_free(&v->run);
		free(v->name);
	}
	if (f->efd >= 0)
		close(f->efd);
	if (f->pfd >= 0)
		close(f->pfd);
	free(f->pq);
	free(f->vm);
	free(f);
}

void mt_fleet_ops(const struct mt_driver_ops *inner, struct mt_driver_ops *out)
{
	memset(out, 0, sizeof(*out));
	out->base = inner->base;
	out->start = fl_start;
	out->poll = inner->poll ? fl_poll : NULL;
	out->finish = fl_finish;
	out->abort = fl_abort;
	out->collect = fl_collect;
	out->locate = inner->locate ? fl_locate : NULL;
	out->phase_fd = fl_phase_fd;
	out->phase_next = fl_phase_next;
	out->release = fl_release;
}

int mt_fleet_prepare(const struct mt_driver_ops *inner, const struct mt_params *p,
		     struct mt_ctx *ctx, char *const *names, int concurrency, void **state,
		     struct mt_error *err)
{
	struct fl_state *f;
	int n = 0, rc = 0;

	*state = NULL;
	while (names && names[n])
		n++;
	if (n < 1 || concurrency < 1)
		return mt_err(err, MT_EINVAL, "a fleet needs a VM and a concurrency of at least 1");
	if (!(f = calloc(1, sizeof(*f))) || !(f->vm = calloc((size_t)n, sizeof(*f->vm)))) {
		free(f);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	f->in = inner;
	f->ctx = ctx;
	f->concurrency = concurrency;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->pfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0 || f->pfd < 0) {
		rc = mt_err(err, MT_EIO, "eventfd: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++, f->n++) {
		struct fl_vm *v = &f->vm[i];

		v->f = f;
		v->fd = v->phase_fd = -1;
		v->ctx = *ctx;
		if (!(v->name = strdup(names[i])) ||
		    !(v->res = mt_run_add_cell(&v->run, names[i]))) {
			rc = mt_err(err, MT_ENOMEM, "out of memory");
			f->n++;
			goto out;
		}
		v->ctx.domain = v->name;
		v->ctx.result = v->res;
		rc = inner->prepare(p, &v->ctx, &v->st, err);
		if (rc < 0) {
			mt_err_prefix(err, "%s", v->name);
			f->n++;
			goto out;
		}
	}
out:
	if (rc < 0) {
		fl_release(f);
		return rc;
	}
	*state = f;
	return 0;
}
