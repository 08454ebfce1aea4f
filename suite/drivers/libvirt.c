/* libvirt.c — the `libvirt` migration driver: one live migration hop at a time, measured.
 *
 * Life cycle (plugin.h): prepare → start(hop) → poll… → done_fd readable → finish → … → collect
 * → release. virDomainMigrateToURI3 (p2p) / virDomainMigrate3 (direct) block for the whole
 * migration, so each hop runs in a driver thread that writes an eventfd (done_fd) when it
 * returns. Job statistics are sampled every MT_LV_SAMPLE_NS by a second per-hop thread
 * (virDomainGetJobStats can block for seconds while QEMU completes the migration — measured 1.8 s
 * on the lab — and the loop must keep probing meanwhile); poll() on the loop thread only drains
 * the samples into series and acts on them (max downtime, post-copy switch). Domain events
 * (MIGRATION_ITERATION, JOB_COMPLETED) arrive in libvirt's event thread (libvirt_events.c) and
 * are buffered under a mutex until poll/finish consume them.
 *
 * Connections are opened lazily by URI (the first hop's from/to), because the runner hands the
 * hosts over in struct mt_migrate_req, not in mt_ctx; two are cached and reused ping-pong.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "libvirt_priv.h"
#include "../fleet.h"
#include "../journal_priv.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"

#define MAX_ITER_EVENTS 256
#define MAX_SAMPLES 128                     /* queued job-stats samples (poll drains) */
#define MT_LV_SAMPLE_NS (50 * 1000000LL)    /* ≤ 50 ms: plugin.h's poll contract */
#define MT_LV_STALL_NS (2000 * 1000000LL)   /* no progress this long before an abort: stalled */

struct lv_conn {
	char *uri;
	virConnectPtr conn;
	int cb_iter, cb_done, cb_life; /* callback ids, -1 when not registered */
};

struct lv_state {
	atomic_int refs;             /* owner + one per registered event callback */
	pthread_mutex_t mu;          /* guards the event fields below */
	struct mt_lv_config cfg;
	char *domain;
	struct lv_conn conns[2];
	int hops_done;

	/* the running hop (owned by the loop thread; the worker reads these before it starts) */
	int hop, running, have_thread;
	pthread_t thread;
	int efd;
	struct lv_conn *from, *to;
	virDomainPtr dom;            /* the domain on the hop's source */
	virTypedParameterPtr mparams;
	int nmparams;
	unsigned int flags;
	int64_t t_start_ns, t_end_ns;
	int downtime_applied, postcopy_started, aborted;
	int64_t postcopy_t_ns, abort_t_ns;
	int64_t progress_t_ns;       /* last sample whose processed bytes grew, -1 before any */
	double last_processed, last_remaining, last_dirty, last_Bps, last_iter, page_size;

	/* written by the worker thread before it signals efd */
	int mig_rc, vir_code;
	char vir_msg[768];

	/* the stats thread of the running hop; its samples are queued under mu */
	pthread_t stats_thread;
	int have_stats_thread, stats_failed;
	atomic_int stats_stop;
	struct { int64_t t_ns; virTypedParameterPtr p; int n; } samples[MAX_SAMPLES];
	int nsamples, samples_lost;

	/* written by the event thread under mu */
	int ev_iteration;
	struct { int64_t t_ns; int it; } iters[MAX_ITER_EVENTS];
	int niters, iters_lost;
	virTypedParameterPtr done_params;
	int ndone, have_done;

	/* phases of the running hop for the runner's anchors (plugin.h phase_fd): queued by the
	 * event and stats threads, taken by the loop thread; freed with the state, as the event
	 * thread may still hold a reference after release */
	struct mt_lv_phasewatch *phases;
	virConnectPtr ev_src;        /* the hop's source: only its events count (under mu) */
};

static void state_unref(void *opaque)
{
	struct lv_state *s = opaque;

	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&s->mu);
	if (s->done_params)
		virTypedParamsFree(s->done_params, s->ndone);
	mt_lv_config_free(&s->cfg);
	mt_lv_phasewatch_free(s->phases);
	free(s->domain);
	free(s);
}

static int is_our_domain(struct lv_state *s, virDomainPtr dom)
{
	const char *name = dom ? virDomainGetName(dom) : NULL;

	return name && s->domain && strcmp(name, s->domain) == 0;
}

/* Event thread: the domain was suspended. On the hop's source during a migration that is the
 * switch-over — the final copy, or post-copy's switch (libvirt reports the reason). */
static void on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			 void *opaque)
{
	struct lv_state *s = opaque;
	int64_t t = mt_now_ns();

	if (event != VIR_DOMAIN_EVENT_SUSPENDED || !is_our_domain(s, dom))
		return;
	pthread_mutex_lock(&s->mu);
	if (conn == s->ev_src)
		mt_lv_phasewatch_suspended(s->phases, detail, t);
	pthread_mutex_unlock(&s->mu);
}

/* Event thread: a new pass over guest memory started. */
static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
	struct lv_state *s = opaque;
	int64_t t = mt_now_ns();

	if (!is_our_domain(s, dom))
		return;
	pthread_mutex_lock(&s->mu);
	if (conn == s->ev_src)
		mt_lv_phasewatch_push(s->phases, MT_PHASE_ITERATION, iteration, t);
	if (iteration > s->ev_iteration)
		s->ev_iteration = iteration;
	if (s->niters < MAX_ITER_EVENTS) {
		s->iters[s->niters].t_ns = mt_now_ns();
		s->iters[s->niters].it = iteration;
		s->niters++;
	} else {
		s->iters_lost++;
	}
	pthread_mutex_unlock(&s->mu);
}

/* Event thread: the job finished; params are its final statistics (copied, libvirt owns). */
static void on_job_completed(virConnectPtr conn, virDomainPtr dom, virTypedParameterPtr params,
			     int nparams, void *opaque)
{
	struct lv_state *s = opaque;
	virTypedParameterPtr copy = NULL;
	int ncopy = 0;

	(void)conn;
	if (!is_our_domain(s, dom) || mt_lv_params_copy(params, nparams, &copy, &ncopy) < 0)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->done_params)
		virTypedParamsFree(s->done_params, s->ndone);
	s->done_params = copy;
	s->ndone = ncopy;
	s->have_done = 1;
	pthread_mutex_unlock(&s->mu);
}

static void conn_close(struct lv_state *s, struct lv_conn *c)
{
	if (c->conn) {
		if (c->cb_iter >= 0)
			virConnectDomainEventDeregisterAny(c->conn, c->cb_iter);
		if (c->cb_done >= 0)
			virConnectDomainEventDeregisterAny(c->conn, c->cb_done);
		if (c->cb_life >= 0)
			virConnectDomainEventDeregisterAny(c->conn, c->cb_life);
		virConnectClose(c->conn);
	}
	(void)s;
	free(c->uri);
	memset(c, 0, sizeof(*c));
	c->cb_iter = c->cb_done = c->cb_life = -1;
}

/* Registers cb for event id on c's connection, the state holding one reference per callback
 * (dropped by libvirt through state_unref); the callback id, or -1 when libvirt refused. */
static int register_cb(struct lv_state *s, struct lv_conn *c, int id,
		       virConnectDomainEventGenericCallback cb)
{
	int cid;

	atomic_fetch_add(&s->refs, 1);
	cid = virConnectDomainEventRegisterAny(c->conn, NULL, id, cb, s, state_unref);
	if (cid < 0)
		atomic_fetch_sub(&s->refs, 1);
	return cid;
}

/* Returns the cached connection to uri, opening it (with keepalive and event callbacks) into
 * a free slot. */
static int conn_get(struct lv_state *s, const char *uri, struct lv_conn **out,
		    struct mt_error *err)
{
	struct lv_conn *c = NULL;
	int rc = 0;

	for (int i = 0; i < 2; i++)
		if (s->conns[i].uri && strcmp(s->conns[i].uri, uri) == 0) {
			*out = &s->conns[i];
			return 0;
		}
	for (int i = 0; i < 2 && !c; i++)
		if (!s->conns[i].uri)
			c = &s->conns[i];
	if (!c)
		return mt_err(err, MT_EINVAL, "libvirt driver: a third host '%s' (only ping-pong "
			      "between two hosts is supported)", uri);
	c->cb_iter = c->cb_done = c->cb_life = -1;
	if (!(c->uri = strdup(uri))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (!(c->conn = virConnectOpen(uri))) {
		rc = mt_err(err, MT_EINFRA, "cannot connect to %s: %s", uri,
			    virGetLastErrorMessage());
		goto out;
	}
	/* Keepalive makes a dead daemon an error instead of a hang (needs the event loop). */
	virConnectSetKeepAlive(c->conn, 5, 3);
	c->cb_iter = register_cb(s, c, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
				 VIR_DOMAIN_EVENT_CALLBACK(on_iteration));
	c->cb_done = register_cb(s, c, VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
				 VIR_DOMAIN_EVENT_CALLBACK(on_job_completed));
	c->cb_life = register_cb(s, c, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
				 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle));
	/* Events are an extra; polling and completed stats work without them. */
	*out = c;
out:
	if (rc)
		conn_close(s, c);
	return rc;
}

static void *migrate_thread(void *arg)
{
	struct lv_state *s = arg;
	const virError *e;
	uint64_t one = 1;
	int rc;

	if (s->cfg.mode == MT_LV_P2P) {
		rc = virDomainMigrateToURI3(s->dom, s->to->uri, s->mparams, s->nmparams, s->flags);
	} else {
		virDomainPtr d = virDomainMigrate3(s->dom, s->to->conn, s->mparams, s->nmparams,
						   s->flags);
		rc = d ? 0 : -1;
		if (d)
			virDomainFree(d);
	}
	s->t_end_ns = mt_now_ns();
	s->mig_rc = rc;
	if (rc < 0) {
		e = virGetLastError();
		s->vir_code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
		snprintf(s->vir_msg, sizeof(s->vir_msg), "%s", virGetLastErrorMessage());
	}
	/* An eventfd write of 1 cannot fail short of a bug; finish() joins anyway. */
	(void)!write(s->efd, &one, sizeof(one));
	return NULL;
}

/* Stats thread: one job-stats sample every MT_LV_SAMPLE_NS while the hop runs, stamped with
 * the midpoint of the query (the figures describe the moment libvirt answered). */
static void *stats_thread(void *arg)
{
	struct lv_state *s = arg;
	int64_t next = mt_now_ns();

	while (!atomic_load(&s->stats_stop)) {
		virTypedParameterPtr p = NULL;
		int n = 0, type = VIR_DOMAIN_JOB_NONE;
		int64_t a = mt_now_ns(), b;
		struct timespec ts;

		if (virDomainGetJobStats(s->dom, &type, &p, &n, 0) == 0 &&
		    type != VIR_DOMAIN_JOB_NONE) {
			double done, left;

			b = mt_now_ns();
			pthread_mutex_lock(&s->mu);
			/* Only while memory moves: a job in setup reports 0 bytes left. */
			if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &done) == 0 &&
			    done > 0 &&
			    mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, &left) == 0)
				mt_lv_phasewatch_push(s->phases, MT_PHASE_REMAINING, left, b);
			if (s->nsamples < MAX_SAMPLES) {
				s->samples[s->nsamples].t_ns = a + (b - a) / 2;
				s->samples[s->nsamples].p = p;
				s->samples[s->nsamples].n = n;
				s->nsamples++;
				p = NULL;
			} else {
				s->samples_lost++;
			}
			pthread_mutex_unlock(&s->mu);
		}
		if (p)
			virTypedParamsFree(p, n);
		next += MT_LV_SAMPLE_NS;
		if (next < mt_now_ns())
			next = mt_now_ns() + MT_LV_SAMPLE_NS; /* a slow query: no burst to catch up */
		ts.tv_sec = next / 1000000000LL;
		ts.tv_nsec = next % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	return NULL;
}

/* The hop is over: its phases are no longer queued (the runner may still take those queued). */
static void phase_stop(struct lv_state *s)
{
	pthread_mutex_lock(&s->mu);
	s->ev_src = NULL;
	pthread_mutex_unlock(&s->mu);
	mt_lv_phasewatch_stop(s->phases);
}

static void stats_thread_stop(struct lv_state *s)
{
	if (!s->have_stats_thread)
		return;
	atomic_store(&s->stats_stop, 1);
	pthread_join(s->stats_thread, NULL);
	s->have_stats_thread = 0;
}

/* --- ops --- */

static int lv_check(const struct mt_params *p, struct mt_error *err)
{
	struct mt_lv_config c;
	int rc = mt_lv_config_from_params(p, &c, err);

	if (rc == 0)
		mt_lv_config_free(&c);
	return rc;
}

static int lv_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			size_t whylen)
{
	struct mt_lv_config c;
	struct mt_error e = { 0 };
	int rc;

	(void)ctx;
	if ((rc = mt_lv_config_from_params(p, &c, &e)) != 0) {
		snprintf(why, whylen, "%s", e.msg);
		return rc;
	}
	rc = mt_lv_unsupported(&c, why, whylen);
	mt_lv_config_free(&c);
	return rc;
}

static int lv_prepare(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct lv_state *s = NULL;
	int rc;

	*state = NULL;
	if (!ctx || !ctx->domain || !*ctx->domain)
		return mt_err(err, MT_EINVAL, "libvirt driver: no domain given");
	if ((rc = mt_lv_events_init(err)) != 0)
		return rc;
	if (!(s = calloc(1, sizeof(*s))))
		return mt_err(err, MT_ENOMEM, "out of memory");
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->mu, NULL);
	s->efd = -1;
	s->page_size = 4096;
	for (int i = 0; i < 2; i++)
		s->conns[i].cb_iter = s->conns[i].cb_done = s->conns[i].cb_life = -1;
	if (!(s->phases = mt_lv_phasewatch_new(err))) {
		rc = err && err->code ? err->code : MT_EIO;
		goto out;
	}
	if ((rc = mt_lv_config_from_params(p, &s->cfg, err)) != 0)
		goto out;
	/* ctx->t0_ns is not known yet (the runner sets it after prepare): series and events use
	 * the ctx handed to poll/finish. */
	if (!(s->domain = strdup(ctx->domain))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	*state = s;
	s = NULL;
out:
	if (s)
		state_unref(s);
	return rc;
}

static void hop_reset(struct lv_state *s)
{
	if (s->dom)
		virDomainFree(s->dom);
	if (s->mparams)
		virTypedParamsFree(s->mparams, s->nmparams);
	s->dom = NULL;
	s->mparams = NULL;
	s->nmparams = 0;
	s->running = s->have_thread = 0;
	s->downtime_applied = s->postcopy_started = s->aborted = 0;
	s->postcopy_t_ns = s->abort_t_ns = s->progress_t_ns = -1;
	s->last_processed = s->last_remaining = s->last_dirty = s->last_Bps = s->last_iter = NAN;
	s->mig_rc = 0;
	s->vir_code = 0;
	s->vir_msg[0] = '\0';
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->nsamples; i++)
		virTypedParamsFree(s->samples[i].p, s->samples[i].n);
	s->nsamples = s->samples_lost = 0;
	s->stats_failed = 0;
	s->ev_iteration = 0;
	s->niters = s->iters_lost = 0;
	if (s->done_params)
		virTypedParamsFree(s->done_params, s->ndone);
	s->done_params = NULL;
	s->ndone = s->have_done = 0;
	pthread_mutex_unlock(&s->mu);
}

static int set_max_downtime(struct lv_state *s)
{
	return virDomainMigrateSetMaxDowntime(s->dom, mt_lv_downtime_ms(s->cfg.max_downtime_ns), 0);
}

static int lv_start(void *state, const struct mt_migrate_req *req, int *done_fd,
		    struct mt_error *err)
{
	struct lv_state *s = state;
	int rc = 0, active;

	*done_fd = -1;
	if (s->running)
		return mt_err(err, MT_EINVAL, "libvirt driver: hop %d still running", s->hop);
	if (!req || !req->from || !req->to)
		return mt_err(err, MT_EINVAL, "libvirt driver: hop without source or destination");
	hop_reset(s);
	s->hop = req->hop;
	if ((rc = conn_get(s, req->from, &s->from, err)) ||
	    (rc = conn_get(s, req->to, &s->to, err)))
		goto out;
	if (!(s->dom = virDomainLookupByName(s->from->conn, s->domain))) {
		rc = mt_err(err, MT_EINFRA, "domain '%s' on %s: %s", s->domain, req->from,
			    virGetLastErrorMessage());
		goto out;
	}
	active = virDomainIsActive(s->dom);
	if (active != 1) {
		rc = mt_err(err, MT_EINFRA, "domain '%s' is not running on %s%s%s", s->domain,
			    req->from, active < 0 ? ": " : "",
			    active < 0 ? virGetLastErrorMessage() : "");
		goto out;
	}
	if ((rc = mt_lv_build(&s->cfg, s->hop, &s->mparams, &s->nmparams, &s->flags, err)))
		goto out;
	/* Before the job starts too: an idle guest may converge before the first poll. */
	if (s->cfg.max_downtime_ns >= 0 && set_max_downtime(s) == 0)
		s->downtime_applied = 1;
	/* The previous hop's done_fd stays open until now, so a runner that removes it from its
	 * loop after finish() never touches a closed (or reused) descriptor. */
	if (s->efd >= 0)
		close(s->efd);
	if ((s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		rc = mt_err(err, MT_EIO, "eventfd: %s", strerror(errno));
		goto out;
	}
	mt_lv_phasewatch_arm(s->phases, s->hop);
	pthread_mutex_lock(&s->mu);
	s->ev_src = s->from->conn;
	pthread_mutex_unlock(&s->mu);
	s->t_start_ns = mt_now_ns();
	if (mt_lv_thread_start(&s->thread, migrate_thread, s, 0) != 0) {
		phase_stop(s);
		rc = mt_err(err, MT_EINFRA, "libvirt driver: cannot start the migration thread");
		goto out;
	}
	s->have_thread = 1;
	s->running = 1;
	atomic_store(&s->stats_stop, 0);
	/* Without the stats thread the hop still runs, unsampled: finish() says so. */
	s->have_stats_thread = mt_lv_thread_start(&s->stats_thread, stats_thread, s, 0) == 0;
	s->stats_failed = !s->have_stats_thread;
	*done_fd = s->efd;
out:
	return rc;
}

/* Moves buffered MIGRATION_ITERATION events into a series. */
static void drain_iterations(struct lv_state *s, struct mt_ctx *ctx)
{
	struct mt_series *ser = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->niters && ctx && ctx->result)
		ser = mt_cell_series(ctx->result, "migration.iteration_events", "count");
	for (int i = 0; ser && i < s->niters; i++)
		mt_series_add(ser, s->iters[i].t_ns - ctx->t0_ns, s->iters[i].it);
	s->niters = 0;
	pthread_mutex_unlock(&s->mu);
}

/* Switches to post-copy when the configured point is reached (default: first pass done). */
static void maybe_postcopy(struct lv_state *s, struct mt_ctx *ctx, int64_t now_ns)
{
	long n = s->cfg.postcopy_after_iterations;
	int due = 0, ev_it, rc;
	double it;

	if (!s->cfg.postcopy || s->postcopy_started)
		return;
	pthread_mutex_lock(&s->mu);
	ev_it = s->ev_iteration;
	pthread_mutex_unlock(&s->mu);
	it = isnan(s->last_iter) ? ev_it : fmax(s->last_iter, ev_it);
	if (s->cfg.postcopy_after_ns >= 0)
		/* ... and not before QEMU's migration runs: libvirt's begin/prepare can take longer
		 * than the delay (~1 s under TCG), and QEMU refuses a switch before its migration
		 * has started ("Enable postcopy ... before the start of migration"). */
		due = now_ns - s->t_start_ns >= s->cfg.postcopy_after_ns &&
		      (it >= 1 || !isnan(s->last_processed));
	else
		/* libvirt's counter is 1 during the first pass, so N passes done ⇔ ≥ N + 1
		 * (virsh --postcopy-after-precopy switches at 2). */
		due = it >= (double)((n >= 0 ? n : 1) + 1);
	if (!due)
		return;
	rc = virDomainMigrateStartPostCopy(s->dom, 0);
	s->postcopy_started = 1;
	s->postcopy_t_ns = now_ns;
	if (ctx && ctx->result)
		mt_cell_add_event(ctx->result, now_ns - ctx->t0_ns, now_ns - ctx->t0_ns,
				  "migrate.postcopy", rc < 0 ? virGetLastErrorMessage() : NULL,
				  rc < 0 ? MT_EINFRA : 0);
}

/* Records one job-stats sample (series, "last seen" figures) and acts on it. */
static void consume_sample(struct lv_state *s, struct mt_ctx *ctx, int64_t t_ns,
			   virTypedParameterPtr p, int n)
{
	double v;

	if (ctx && ctx->result)
		mt_lv_record_sample(ctx->result, t_ns - ctx->t0_ns, p, n);
	/* The "last seen" figures for a failed or aborted hop's message: only from samples taken
	 * while memory was moving (a job in setup, or one that just failed, reports zeros). */
	if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 0 && v > 0) {
		if (isnan(s->last_processed) || v > s->last_processed)
			s->progress_t_ns = t_ns;
		s->last_processed = v;
		if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, &v) == 0)
			s->last_remaining = v;
		if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &v) == 0)
			s->last_dirty = v;
		if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_BPS, &v) == 0)
			s->last_Bps = v;
	}
	if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &v) == 0)
		s->last_iter = v;
	if (mt_lv_get_num(p, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, &v) == 0 && v > 0)
		s->page_size = v;
}

/* Moves the stats thread's queued samples into the cell, oldest first. */
static void drain_samples(struct lv_state *s, struct mt_ctx *ctx)
{
	for (;;) {
		virTypedParameterPtr p;
		int64_t t;
		int n;

		pthread_mutex_lock(&s->mu);
		if (!s->nsamples) {
			pthread_mutex_unlock(&s->mu);
			return;
		}
		t = s->samples[0].t_ns;
		p = s->samples[0].p;
		n = s->samples[0].n;
		memmove(&s->samples[0], &s->samples[1], (size_t)(s->nsamples - 1) *
			sizeof(s->samples[0]));
		s->nsamples--;
		pthread_mutex_unlock(&s->mu);
		consume_sample(s, ctx, t, p, n);
		virTypedParamsFree(p, n);
	}
}

static int lv_poll(void *state, struct mt_ctx *ctx, int64_t now_ns)
{
	struct lv_state *s = state;

	if (!s->running)
		return 0;
	drain_iterations(s, ctx);
	drain_samples(s, ctx);
	if (s->cfg.max_downtime_ns >= 0 && !s->downtime_applied && !isnan(s->last_iter)) {
		int rc = set_max_downtime(s);

		s->downtime_applied = 1;
		if (ctx && ctx->result)
			mt_cell_add_event(ctx->result, now_ns - ctx->t0_ns, now_ns - ctx->t0_ns,
					  "migrate.max_downtime",
					  rc < 0 ? virGetLastErrorMessage() : NULL,
					  rc < 0 ? MT_EINFRA : 0);
	}
	maybe_postcopy(s, ctx, now_ns);
	return 0;
}

/* The completed job's statistics: the JOB_COMPLETED event, else the source's completed job,
 * else the destination's (an undefined transient source has none). Caller frees *p. */
static const char *completed_stats(struct lv_state *s, virTypedParameterPtr *p, int *n)
{
	int type = VIR_DOMAIN_JOB_NONE;
	virDomainPtr d;

	for (int round = 0; round < 2; round++) {
		pthread_mutex_lock(&s->mu);
		if (s->have_done) {
			*p = s->done_params;
			*n = s->ndone;
			s->done_params = NULL;
			s->ndone = s->have_done = 0;
			pthread_mutex_unlock(&s->mu);
			return "event";
		}
		pthread_mutex_unlock(&s->mu);
		if (round)
			break;
		/* KEEP_COMPLETED: leave them for other readers (virsh domjobinfo --completed). */
		if (virDomainGetJobStats(s->dom, &type, p, n, VIR_DOMAIN_JOB_STATS_COMPLETED |
					 VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED) == 0) {
			if (type != VIR_DOMAIN_JOB_NONE && *n > 0)
				return "source";
			virTypedParamsFree(*p, *n);
		}
		if ((d = virDomainLookupByName(s->to->conn, s->domain))) {
			int ok = virDomainGetJobStats(d, &type, p, n,
						      VIR_DOMAIN_JOB_STATS_COMPLETED |
						      VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED) == 0;

			virDomainFree(d);
			if (ok && type != VIR_DOMAIN_JOB_NONE && *n > 0)
				return "destination";
			if (ok)
				virTypedParamsFree(*p, *n);
		}
		/* Give the event thread a moment: the event trails the API's return. */
		nanosleep(&(struct timespec){ 0, 300 * 1000000L }, NULL);
	}
	*p = NULL;
	*n = 0;
	return NULL;
}

/* Where the domain runs now: the URI of the one connection where it is active. */
static void record_final_host(struct lv_state *s, struct mt_cell_result *r, const char *path)
{
	char buf[1024] = "";
	int nactive = 0;

	for (int i = 0; i < 2; i++) {
		virDomainPtr d;

		if (!s->conns[i].conn || !(d = virDomainLookupByName(s->conns[i].conn, s->domain)))
			continue;
		if (virDomainIsActive(d) == 1) {
			size_t l = strlen(buf);

			snprintf(buf + l, sizeof(buf) - l, "%s%s", nactive ? " " : "",
				 s->conns[i].uri);
			nactive++;
		}
		virDomainFree(d);
	}
	virResetLastError();
	if (!r)
		return;
	if (nactive == 1)
		mt_cell_set_str(r, path, buf);
	else if (nactive == 0)
		mt_cell_set_absent(r, path, "the domain runs on neither host");
	else
		mt_cell_set_absent(r, path, "the domain runs on both hosts");
}

/* Which party is gone, when libvirt's own words do not say (e.g. "client socket is closed"):
 * our connection to a dead libvirtd is closed (keepalive, EOF); a guest that crashed or was
 * killed is no longer active on the source. "" when all is there. */
static const char *failure_hint(struct lv_state *s)
{
	if (s->to && s->to->conn && virConnectIsAlive(s->to->conn) == 0)
		return " (the destination's libvirtd is gone: connection closed)";
	if (s->from && s->from->conn && virConnectIsAlive(s->from->conn) == 0)
		return " (the source's libvirtd is gone: connection closed)";
	if (s->dom) {
		/* A transient domain (the guest had migrated here) vanishes when its QEMU dies. */
		int active = virDomainIsActive(s->dom);

		if (active == 0 || (active < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN))
			return " (the guest no longer runs on the source: it crashed or was "
			       "killed)";
	}
	return "";
}

static int lv_finish(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct lv_state *s = state;
	struct mt_cell_result *r = ctx ? ctx->result : NULL;
	char prefix[48], dt_prefix[48], path[96];
	virTypedParameterPtr p = NULL;
	const char *from;
	uint64_t val;
	int n = 0, rc = 0;

	if (!s->have_thread)
		return mt_err(err, MT_EINVAL, "libvirt driver: finish without a running hop");
	pthread_join(s->thread, NULL);
	stats_thread_stop(s);
	/* Phases stay queued past the hop's end: libvirt may deliver the switch-over's event
	 * after the migration call returned (the next start or release stops them). */
	/* Already drained by the runner, or not: the join settled it either way. */
	(void)!read(s->efd, &val, sizeof(val));
	s->have_thread = 0;
	s->running = 0;
	drain_iterations(s, ctx);
	drain_samples(s, ctx);
	if (r && s->stats_failed)
		mt_cell_add_event(r, -1, mt_now_ns() - ctx->t0_ns, "migrate.stats",
				  "could not start the statistics thread: no samples", MT_EINFRA);
	if (s->hop == 0) {
		snprintf(prefix, sizeof(prefix), "migration.");
		snprintf(dt_prefix, sizeof(dt_prefix), "downtime.");
	} else {
		snprintf(prefix, sizeof(prefix), "migration.hop%d.", s->hop);
		snprintf(dt_prefix, sizeof(dt_prefix), "downtime.hop%d.", s->hop);
	}
	if (r && s->samples_lost) {
		snprintf(path, sizeof(path), "%sstats_samples_lost", prefix);
		mt_cell_set_num(r, path, s->samples_lost);
	}
	/* the runner did not take them in time: anchors may miss */
	val = (uint64_t)mt_lv_phasewatch_lost(s->phases);
	if (r && val) {
		snprintf(path, sizeof(path), "%sphase_events_lost", prefix);
		mt_cell_set_num(r, path, (double)val);
	}
	if (r) {
		snprintf(path, sizeof(path), "%sdriver_elapsed_ms", prefix);
		mt_cell_set_num(r, path, (double)(s->t_end_ns - s->t_start_ns) / 1e6);
		if (s->postcopy_started) {
			snprintf(path, sizeof(path), "%spostcopy_switch_ms", prefix);
			mt_cell_set_num(r, path, (double)(s->postcopy_t_ns - s->t_start_ns) / 1e6);
		}
	}
	if (s->mig_rc == 0) {
		s->hops_done++;
		from = completed_stats(s, &p, &n);
		if (r && from) {
			snprintf(path, sizeof(path), "%sstats_source", prefix);
			mt_cell_set_str(r, path, from);
			if (mt_lv_record_completed(r, prefix, dt_prefix, p, n, &s->cfg) != 0)
				rc = mt_err(err, MT_ENOMEM, "out of memory");
		} else if (r) {
			snprintf(path, sizeof(path), "%stotal_time_ms", prefix);
			mt_cell_set_absent(r, path, "libvirt returned no completed job statistics");
			snprintf(path, sizeof(path), "%shypervisor_downtime_ms", dt_prefix);
			mt_cell_set_absent(r, path, "libvirt returned no completed job statistics");
		}
		goto out;
	}
	/* The hop failed: keep libvirt's message; say how far it got. */
	if (r) {
		snprintf(path, sizeof(path), "%serror", prefix);
		mt_cell_set_str(r, path, s->vir_msg);
		snprintf(path, sizeof(path), "%sfinal_host", prefix);
		record_final_host(s, r, path);
		snprintf(path, sizeof(path), "%slast_processed_bytes", prefix);
		if (isnan(s->last_processed))
			mt_cell_set_absent(r, path, "no memory was copied before the hop ended");
		else
			mt_cell_set_num(r, path, s->last_processed);
		if (!isnan(s->last_remaining)) {
			snprintf(path, sizeof(path), "%slast_remaining_bytes", prefix);
			mt_cell_set_num(r, path, s->last_remaining);
		}
		if (!isnan(s->last_dirty)) {
			snprintf(path, sizeof(path), "%slast_dirty_rate_pages_s", prefix);
			mt_cell_set_num(r, path, s->last_dirty);
		}
	}
	if (s->aborted && isnan(s->last_processed)) {
		rc = mt_err(err, MT_ETIMEOUT, "aborted after %.1f s, before any memory was copied "
			    "(libvirt: %s)", (double)(s->abort_t_ns - s->t_start_ns) / 1e9,
			    s->vir_msg);
	} else if (s->aborted) {
		char rem[32] = "?", dirty[32] = "?", stall[96] = "";

		/* A migration that stopped moving (a cut link, a dead peer) says so: that is the
		 * cause; the last figures only say how far it got. */
		if (s->progress_t_ns >= 0 && s->abort_t_ns - s->progress_t_ns >= MT_LV_STALL_NS)
			snprintf(stall, sizeof(stall), "no memory moved in the last %.1f s "
				 "(migration stream stalled); ",
				 (double)(s->abort_t_ns - s->progress_t_ns) / 1e9);
		if (!isnan(s->last_remaining))
			mt_fmt_size((uint64_t)s->last_remaining, rem, sizeof(rem));
		if (!isnan(s->last_dirty))
			snprintf(dirty, sizeof(dirty), "%.1f MiB/s",
				 s->last_dirty * s->page_size / 1048576.0);
		rc = mt_err(err, MT_ETIMEOUT,
			    "aborted after %.1f s: %slast remaining %s at %s dirty rate (libvirt: %s)",
			    (double)(s->abort_t_ns - s->t_start_ns) / 1e9, stall, rem, dirty,
			    s->vir_msg);
	} else {
		rc = mt_err(err, mt_lv_classify_error(s->vir_code, s->vir_msg), "%s → %s: %s%s",
			    s->from->uri, s->to->uri, s->vir_msg, failure_hint(s));
	}
out:
	if (p)
		virTypedParamsFree(p, n);
	hop_reset(s);
	return rc;
}

static int lv_abort(void *state, struct mt_error *err)
{
	struct lv_state *s = state;

	if (!s->running || !s->dom)
		return 0;
	s->aborted = 1;
	s->abort_t_ns = mt_now_ns();
	/* In post-copy the guest already runs on the destination: libvirt refuses, and says so. */
	if (virDomainAbortJob(s->dom) < 0)
		return mt_err(err, MT_EINFRA, "cannot abort the migration of '%s': %s", s->domain,
			      virGetLastErrorMessage());
	return 0;
}

static int lv_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct lv_state *s = state;
	struct mt_cell_result *r = ctx ? ctx->result : NULL;

	if (!r)
		return 0;
	mt_cell_set_num(r, "migration.hops_completed", s->hops_done);
	if (s->cfg.bandwidth_Bps)
		mt_cell_set_num(r, "migration.bandwidth_cap_bytes_s",
				(double)mt_lv_bandwidth_mib(s->cfg.bandwidth_Bps) * 1048576.0);
	if (ctx->run) {
		virConnectPtr conns[2] = { s->conns[0].conn, s->conns[1].conn };
		const char *uris[2] = { s->conns[0].uri, s->conns[1].uri };

		if (mt_lv_record_facts(conns, uris, 2, s->domain, ctx->run) != 0)
			return mt_err(err, MT_ENOMEM, "out of memory");
	}
	if (s->conns[0].conn || s->conns[1].conn)
		record_final_host(s, r, "migration.final_host");
	else
		mt_cell_set_absent(r, "migration.final_host", "no migration was started");
	return 0;
}

/* Where the domain runs: asks both hosts (an inactive definition left behind by a migration
 * without undefine_source does not count; a running copy counts before a paused one). */
static int lv_locate(void *state, const char *a, const char *b, int *where, struct mt_error *err)
{
	struct lv_state *s = state;
	const char *uris[2] = { a, b };
	char why[512] = "";
	int found = -1, running = -1, rc;

	for (int i = 0; i < 2; i++) {
		struct lv_conn *c;
		virDomainPtr d;

		if (!uris[i])
			continue;
		if ((rc = conn_get(s, uris[i], &c, err)) != 0)
			return rc;
		d = virDomainLookupByName(c->conn, s->domain);
		if (!d) {
			/* keep libvirt's own words ("Domain not found: ...") for the message */
			snprintf(why, sizeof(why), ": %s", virGetLastErrorMessage());
			continue;
		}
		if (virDomainIsActive(d) == 1) {
			int st = 0, reason = 0;

			/* A running copy wins over a paused one: a destination libvirtd restarted
			 * mid-hop keeps the half-migrated incoming domain (paused) for a while. */
			if (virDomainGetState(d, &st, &reason, 0) == 0 && st == VIR_DOMAIN_RUNNING)
				running = i;
			if (found < 0)
				found = i;
		}
		virDomainFree(d);
	}
	if (running >= 0)
		found = running;
	if (found < 0)
		return mt_err(err, MT_ENOTFOUND, "domain '%s' runs on neither %s nor %s%s",
			      s->domain, a ? a : "?", b ? b : "?", why);
	*where = found;
	return 0;
}

static int lv_phase_fd(void *state)
{
	return mt_lv_phasewatch_fd(((struct lv_state *)state)->phases);
}

static int lv_phase_next(void *state, struct mt_phase_event *ev)
{
	return mt_lv_phasewatch_next(((struct lv_state *)state)->phases, ev);
}

static int lv_hop_record(void *state, const struct mt_migrate_req *req, const char **kind,
			 char **undo_json, struct mt_error *err)
{
	struct lv_state *s = state;

	*kind = mt_journal_kind_lv_migration.name;
	*undo_json = mt_lv_migration_record(req->from, s->domain);
	return *undo_json ? 0 : mt_err(err, MT_ENOMEM, "out of memory");
}

/* migrate.evacuate: the active domains of uri, by name (a connection of its own). */
static int lv_list_running(const struct mt_params *p, const struct mt_ctx *ctx, const char *uri,
			   char ***names, struct mt_error *err)
{
	virConnectPtr conn;
	virDomainPtr *doms = NULL;
	char **v = NULL;
	int n, rc = 0;

	(void)p;
	(void)ctx;
	*names = NULL;
	if (!(conn = virConnectOpen(uri)))
		return mt_err(err, MT_EINFRA, "cannot connect to %s: %s", uri,
			      virGetLastErrorMessage());
	n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		rc = mt_err(err, MT_EINFRA, "cannot list the domains of %s: %s", uri,
			    virGetLastErrorMessage());
		goto out;
	}
	if (!(v = calloc((size_t)n + 1, sizeof(*v)))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = virDomainGetName(doms[i]);

		if (!name || !(v[i] = strdup(name)))
			rc = mt_err(err, MT_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		mt_domains_sort(v);
		*names = v;
		v = NULL;
	}
out:
	for (int i = 0; doms && i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	virConnectClose(conn);
	return rc;
}

static void lv_release(void *state)
{
	struct lv_state *s = state;

	if (!s)
		return;
	if (s->have_thread) {
		/* finish() was never called (runner error path): stop the hop, then wait. */
		if (s->running && s->dom)
			virDomainAbortJob(s->dom);
		pthread_join(s->thread, NULL);
		s->have_thread = 0;
	}
	stats_thread_stop(s);
	phase_stop(s);
	hop_reset(s);
	if (s->efd >= 0)
		close(s->efd);
	for (int i = 0; i < 2; i++)
		conn_close(s, &s->conns[i]);
	state_unref(s);
}

const struct mt_driver_ops mt_driver_libvirt = {
	.base.name = "libvirt",
	.base.summary = "live migration through libvirt (p2p or direct), job statistics and events",
	.base.options = mt_lv_options,
	.base.check = lv_check,
	.base.supported = lv_supported,
	.prepare = lv_prepare,
	.start = lv_start,
	.poll = lv_poll,
	.finish = lv_finish,
	.abort = lv_abort,
	.collect = lv_collect,
	.locate = lv_locate,
	.hop_record = lv_hop_record,
	.phase_fd = lv_phase_fd,
	.phase_next = lv_phase_next,
	.release = lv_release,
	.list_running = lv_list_running,
};
