/* fakes.h — fake plugins for runner/timeline tests (included by one test file each; never
 * shipped). Every call is appended to a trace (name and monotonic time), fault undo records
 * also go to a file so a forked runner's undo can be seen by the parent, and hand-built cells
 * avoid depending on the scenario parser. */
#ifndef MT_TEST_FAKES_H
#define MT_TEST_FAKES_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "migtorture/scenario.h"

#define MS 1000000LL

/* ---- the trace ---- */
struct trace_rec {
	char name[64];
	int64_t t_ns;
};
static struct trace_rec trace[256];
static size_t ntrace;
static char undo_file[512];     /* fault undo appends "undo:<tag>\n" here */
static int applied_fd = -1;     /* fault apply writes one byte here (signal test) */
static struct mt_phases seen_phases = { -2, -2, -2 };

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void tr(const char *fmt, const char *a)
{
	if (ntrace < sizeof(trace) / sizeof(trace[0])) {
		snprintf(trace[ntrace].name, sizeof(trace[ntrace].name), "%s%s", fmt, a ? a : "");
		trace[ntrace].t_ns = mono();
		ntrace++;
	}
}

/* Index of the first trace record named name, or -1. */
__attribute__((unused)) static int trace_find(const char *name)
{
	for (size_t i = 0; i < ntrace; i++)
		if (strcmp(trace[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Where each fake fault was applied, "TAG@HOST" (apart from the trace, whose length tests
 * count). */
static char onhost[16][96];
static size_t nonhost;

/* Every fake takes one key, tag (the tests set it to the spec's text). */
static const struct mt_option fake_opts[] = {
	{ "tag", MT_OPT_STR, NULL, "name in the trace", NULL, 0, 0, 0 },
	{ "dev", MT_OPT_STR, NULL, "a device name (for the blast-radius test)", NULL, 0, 0, 0 },
	MT_OPTION_END,
};

/* ---- faults ---- */
static int fake_fault_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			    struct mt_error *err)
{
	const char *tag = mt_params_str(p, "tag", "?");
	char undo[256];
	uint64_t id;
	int rc;
	snprintf(undo, sizeof(undo), "{\"tag\":\"%s\"}", tag);
	rc = mt_journal_begin(ctx->journal, "fake-fault", ctx->host, undo, &id, err);
	if (rc < 0)
		return rc;
	tr("apply:", tag);
	if (nonhost < sizeof(onhost) / sizeof(onhost[0]))
		snprintf(onhost[nonhost++], sizeof(onhost[0]), "%s@%s", tag,
			 ctx->host && ctx->host->name ? ctx->host->name : "?");
	if (applied_fd >= 0 && write(applied_fd, "a", 1) != 1)
		return mt_err(err, MT_EIO, "fake: write");
	rc = mt_journal_applied(ctx->journal, id, mono() - ctx->t0_ns, err);
	*state = strdup(tag);
	return rc;
}

static int fake_fault_undo(const char *undo_json, struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const cJSON *t = o ? cJSON_GetObjectItemCaseSensitive(o, "tag") : NULL;
	int rc = 0;

	if (!cJSON_IsString(t)) {
		rc = mt_err(err, MT_EINVAL, "fake: no tag");
	} else {
		FILE *f = undo_file[0] ? fopen(undo_file, "a") : NULL;

		tr("undo:", t->valuestring);
		if (f) {
			fprintf(f, "undo:%s\n", t->valuestring);
			fclose(f);
		}
	}
	cJSON_Delete(o);
	return rc;
}

static int fake_fault_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	(void)ctx;
	(void)err;
	tr("collect:", state);
	return 0;
}

static void fake_fault_release(void *state)
{
	free(state);
}

static int fake_unsup_supported(const struct mt_params *p, const struct mt_ctx *ctx,
				char *why, size_t len)
{
	(void)p;
	(void)ctx;
	snprintf(why, len, "fake says no");
	return MT_EUNSUPPORTED;
}

static int fake_err_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			  struct mt_error *err)
{
	uint64_t id;
	int rc;

	(void)p;
	(void)state;
	/* Journals, then fails half-way: the runner must take the entry back. */
	rc = mt_journal_begin(ctx->journal, "fake-fault", ctx->host, "{\"tag\":\"half\"}", &id,
			      err);
	if (rc < 0)
		return rc;
	tr("apply:", "half");
	return mt_err(err, MT_EINFRA, "fake apply failed");
}

static const struct mt_fault_ops fake_fault = {
	.base.options = fake_opts, .base.name = "fake-fault", .base.summary = "test", .apply = fake_fault_apply,
	.undo = fake_fault_undo, .collect = fake_fault_collect, .release = fake_fault_release,
};
static const struct mt_fault_ops fake_unsup = {
	.base.options = fake_opts, .base.name = "fake-unsup", .base.summary = "test", .base.supported = fake_unsup_supported,
	.apply = fake_fault_apply, .undo = fake_fault_undo,
};
static const struct mt_fault_ops fake_err = {
	.base.options = fake_opts, .base.name = "fake-err", .base.summary = "test", .apply = fake_err_apply, .undo = fake_fault_undo,
};

/* A fault whose target recovers some time after undo (like Ceph after an OSD fault): the
 * runner undoes it with undo_nowait and polls settle from its loop. settle_polls polls until
 * it settles; settle_fail makes it fail instead. */
static int settle_polls = 3, settle_fail;

static int fake_settle_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			     struct mt_error *err)
{
	const char *tag = mt_params_str(p, "tag", "?");
	char undo[256];
	uint64_t id;
	int rc;

	snprintf(undo, sizeof(undo), "{\"tag\":\"%s\"}", tag);
	rc = mt_journal_begin(ctx->journal, "fake-settle", ctx->host, undo, &id, err);
	if (rc < 0)
		return rc;
	tr("apply:", tag);
	*state = strdup(tag);
	return 0;
}

static int fake_settle_nowait(const char *undo_json, struct mt_error *err)
{
	(void)err;
	tr("nowait:", undo_json);
	return 0;
}

static int fake_settle(const char *undo_json, void **h, int cancel, struct mt_error *err)
{
	long n = (long)(intptr_t)*h;

	(void)undo_json;
	if (cancel) {
		*h = NULL;
		return 0;
	}
	tr("settle", "");
	*h = (void *)(intptr_t)(n + 1);
	if (n + 1 < settle_polls)
		return 0;
	if (settle_fail)
		return mt_err(err, MT_ETIMEOUT, "fake: still recovering");
	return 1;
}

static const struct mt_fault_ops fake_settle_fault = {
	.base.options = fake_opts, .base.name = "fake-settle", .base.summary = "test", .apply = fake_settle_apply,
	.undo = fake_fault_undo, .undo_nowait = fake_settle_nowait, .settle = fake_settle,
	.collect = fake_fault_collect, .release = fake_fault_release,
};

/* ---- workloads and probes ---- */
static int fake_wl_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			 struct mt_error *err)
{
	(void)ctx;
	(void)err;
	tr("start:", mt_params_str(p, "tag", "wl"));
	*state = strdup(mt_params_str(p, "tag", "wl"));
	return 0;
}

static int fake_wl_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	(void)ctx;
	(void)err;
	tr("stop:", state);
	return 0;
}

static int fake_wl_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	(void)err;
	tr("collect:", state);
	seen_phases = *ctx->phases;
	return mt_cell_set_num(ctx->result, "fake.collected_count", 1);
}

static int fake_probe_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			    struct mt_error *err)
{
	(void)ctx;
	(void)err;
	tr("start:", mt_params_str(p, "tag", "probe"));
	*state = strdup(mt_params_str(p, "tag", "probe"));
	return 0;
}

static const struct mt_workload_ops fake_wl = {
	.base.options = fake_opts, .base.name = "fake-wl", .base.summary = "test", .start = fake_wl_start, .stop = fake_wl_stop,
	.collect = fake_wl_collect, .release = free,
};
static const struct mt_workload_ops fake_probe = {
	.base.options = fake_opts, .base.name = "fake-probe", .base.summary = "test", .start = fake_probe_start, .stop = fake_wl_stop,
	.collect = fake_fault_collect, .release = free,
};

/* ---- a driver: each hop ends hop_ms after it started (or never, when hang) ---- */
static int64_t hop_ms = 20;
static int drv_hang;
/* Per domain (several in a cell: fleet.h): when each hop started and finished, and a domain
 * whose hops fail to start. */
static struct { char dom[16]; int64_t start, end; int rc; } dom_rec[16];
static size_t ndom_rec;
static const char *drv_fail_domain;
static int drv_force_on_abort; /* abort completes the hop instead (nova force_complete) */

/* Its phases: pass 1 as the hop starts, the switch-over half-way (plugin.h phase_fd). */
struct fake_drv {
	struct mt_ctx *ctx;
	int p[2];
	uint64_t timer, sw_timer;
	int aborted, polls, hop;
	int pfd;                   /* eventfd of queued phases */
	struct mt_phase_event pq[8];
	int npq;
};

static void fake_drv_phase(struct fake_drv *d, enum mt_hop_phase ph, double value)
{
	uint64_t one = 1;

	if (d->npq < 8)
		d->pq[d->npq++] = (struct mt_phase_event){ .hop = d->hop, .phase = ph, .value = value,
						    .t_ns = mono() };
	if (write(d->pfd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static int fake_drv_switch(struct mt_loop *loop, int64_t now, void *arg)
{
	struct fake_drv *d = arg;

	(void)loop;
	(void)now;
	d->sw_timer = 0;
	fake_drv_phase(d, MT_PHASE_SWITCHOVER, 0);
	return 0;
}

static int fake_drv_prepare(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			    struct mt_error *err)
{
	struct fake_drv *d = calloc(1, sizeof(*d));

	(void)p;
	if (!d)
		return mt_err(err, MT_ENOMEM, "oom");
	d->ctx = ctx;
	d->p[0] = d->p[1] = -1;
	d->pfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*state = d;
	tr("prepare", "");
	return 0;
}

static int fake_drv_fire(struct mt_loop *loop, int64_t now, void *arg)
{
	struct fake_drv *d = arg;

	(void)loop;
	(void)now;
	d->timer = 0;
	return write(d->p[1], "d", 1) == 1 ? 0 : MT_EIO;
}

static int fake_drv_start(void *state, const struct mt_migrate_req *req, int *done_fd,
			  struct mt_error *err)
{
	struct fake_drv *d = state;
	char name[32];

	snprintf(name, sizeof(name), "%d %s>%s", req->hop, req->from, req->to);
	tr("hop.start:", name);
	if (ndom_rec < sizeof(dom_rec) / sizeof(dom_rec[0])) {
		snprintf(dom_rec[ndom_rec].dom, sizeof(dom_rec[0].dom), "%s",
			 d->ctx->domain ? d->ctx->domain : "?");
		dom_rec[ndom_rec].start = mono();
		dom_rec[ndom_rec].end = -1;
		ndom_rec++;
	}
	if (drv_fail_domain && d->ctx->domain && !strcmp(drv_fail_domain, d->ctx->domain))
		return mt_err(err, MT_EINFRA, "fake: %s cannot move", d->ctx->domain);
	if (pipe(d->p) < 0)
		return mt_err(err, MT_EIO, "pipe");
	*done_fd = d->p[0];
	d->hop = req->hop;
	fake_drv_phase(d, MT_PHASE_ITERATION, 1);
	if (mt_loop_add_timer(d->ctx->loop, mono() + hop_ms * MS / 2, 0, fake_drv_switch, d,
			      &d->sw_timer, err) < 0)
		return MT_EIO;
	if (drv_hang)
		return 0;
	return mt_loop_add_timer(d->ctx->loop, mono() + hop_ms * MS, 0, fake_drv_fire, d,
				 &d->timer, err);
}

static int fake_drv_phase_fd(void *state)
{
	return ((struct fake_drv *)state)->pfd;
}

static int fake_drv_phase_next(void *state, struct mt_phase_event *ev)
{
	struct fake_drv *d = state;
	uint64_t v;

	if (!d->npq) {
		if (read(d->pfd, &v, sizeof(v)) < 0) { /* cleared; nothing queued */ }
		return 0;
	}
	*ev = d->pq[0];
	memmove(&d->pq[0], &d->pq[1], (size_t)(d->npq - 1) * sizeof(d->pq[0]));
	d->npq--;
	return 1;
}

static int fake_drv_poll(void *state, struct mt_ctx *ctx, int64_t now)
{
	(void)ctx;
	(void)now;
	((struct fake_drv *)state)->polls++;
	return 0;
}

static int fake_drv_finish(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct fake_drv *d = state;
	char b;
	int aborted = d->aborted;

	(void)ctx;
	if (read(d->p[0], &b, 1) != 1)
		return mt_err(err, MT_EIO, "fake: read");
	close(d->p[0]);
	close(d->p[1]);
	d->p[0] = d->p[1] = -1;
	d->aborted = 0;
	tr("hop.finish", "");
	for (size_t i = ndom_rec; i-- > 0;)
		if (ctx->domain && !strcmp(dom_rec[i].dom, ctx->domain)) {
			dom_rec[i].end = mono();
			(void)mt_cell_set_num(ctx->result, "migration.total_time_ms",
					      (double)(dom_rec[i].end - dom_rec[i].start) / 1e6);
			/* bytes that differ per VM: the i-th hop recorded moved i + 1 MB */
			(void)mt_cell_set_num(ctx->result, "migration.transferred_bytes",
					      1e6 * (double)(i + 1));
			break;
		}
	if (aborted)
		return mt_err(err, MT_EINFRA, "fake migration aborted");
	return mt_cell_set_num(ctx->result, "migration.fake_polls_count", d->polls);
}

static int fake_drv_abort(void *state, struct mt_error *err)
{
	struct fake_drv *d = state;

	(void)err;
	tr("abort", "");
	d->aborted = !drv_force_on_abort;
	if (d->timer)
		mt_loop_del_timer(d->ctx->loop, d->timer);
	d->timer = 0;
	return write(d->p[1], "x", 1) == 1 ? 0 : MT_EIO;
}

static int fake_drv_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	(void)state;
	(void)ctx;
	(void)err;
	tr("drv.collect", "");
	return 0;
}

static void fake_drv_release(void *state)
{
	struct fake_drv *d = state;

	if (!d)
		return;
	if (d->p[0] >= 0)
		close(d->p[0]);
	if (d->p[1] >= 0)
		close(d->p[1]);
	if (d->sw_timer)
		mt_loop_del_timer(d->ctx->loop, d->sw_timer);
	if (d->pfd >= 0)
		close(d->pfd);
	free(d);
}

/* Where the fake VM runs when a cell starts (NULL: on the source); for locate. */
static const char *fake_vm_at;

static int fake_drv_locate(void *state, const char *a, const char *b, int *where,
			   struct mt_error *err)
{
	(void)state;
	(void)err;
	*where = fake_vm_at && b && !strcmp(fake_vm_at, b);
	(void)a;
	return 0;
}

static const struct mt_driver_ops fake_drv = {
	.base.name = "fake-drv", .base.summary = "test", .prepare = fake_drv_prepare,
	.start = fake_drv_start, .poll = fake_drv_poll, .finish = fake_drv_finish,
	.abort = fake_drv_abort, .collect = fake_drv_collect, .release = fake_drv_release,
	.locate = fake_drv_locate, .phase_fd = fake_drv_phase_fd, .phase_next = fake_drv_phase_next,
};

static void register_fakes(void)
{
	mt_registry_reset_extra();
	mt_registry_add_fault(&fake_fault);
	mt_registry_add_fault(&fake_unsup);
	mt_registry_add_fault(&fake_err);
	mt_registry_add_fault(&fake_settle_fault);
	mt_registry_add_workload(&fake_wl);
	mt_registry_add_probe(&fake_probe);
	mt_registry_add_driver(&fake_drv);
}

/* ---- hand-built cells ---- */
#define MAXSPEC 8
#define MAXEV 24

struct tcell {
	struct mt_cell cell;
	struct mt_spec specs[MAXSPEC];
	struct mt_tl_event evs[MAXEV];
};

static void tcell_init(struct tcell *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->cell.name = (char *)name;
	t->cell.section = (char *)"test";
	t->cell.specs = t->specs;
	t->cell.events = t->evs;
	t->cell.driver = (char *)"fake-drv";
	t->cell.driver_ops = &fake_drv;
	t->cell.source = (char *)"hosta";
	t->cell.dest = (char *)"hostb";
	t->cell.domain = (char *)"web";
	t->cell.seed = 42;
}

/* Adds a spec; its text doubles as the fault's tag (passed to apply through *state). */
__attribute__((unused)) static int tspec(struct tcell *t, enum mt_spec_class cls, const char *kind, const void *ops,
		 const char *text)
{
	struct mt_spec *s = &t->specs[t->cell.nspecs];

	s->cls = cls;
	s->kind = (char *)kind;
	s->ops = ops;
	s->text = (char *)text;
	s->host = (char *)"local";
	s->for_ns = -1;
	if (mt_params_set(&s->params, fake_opts, "tag", text, 0, NULL) < 0)
		abort();
	return (int)t->cell.nspecs++;
}

static void tcell_free(struct tcell *t)
{
	for (size_t i = 0; i < t->cell.nspecs; i++)
		mt_params_free(&t->specs[i].params);
}

static void tev(struct tcell *t, enum mt_tl_anchor a, int64_t off_ms, enum mt_tl_kind k,
		int spec, int hop)
{
	t->evs[t->cell.nevents++] = (struct mt_tl_event){
		.anchor = a, .offset_ns = off_ms * MS, .kind = k, .spec = spec, .hop = hop,
		.label = (char *)(k == MT_TL_PHASE ? "baseline" : NULL) };
}

/* The recorded event named what (first one), or NULL. */
__attribute__((unused)) static const struct mt_event_rec *rec_find(const struct mt_cell_result *c, const char *what)
{
	for (size_t i = 0; i < c->nevents; i++)
		if (strcmp(c->events[i].what, what) == 0)
			return &c->events[i];
	return NULL;
}

__attribute__((unused)) static int rec_index(const struct mt_cell_result *c, const char *what)
{
	for (size_t i = 0; i < c->nevents; i++)
		if (strcmp(c->events[i].what, what) == 0)
			return (int)i;
	return -1;
}

#endif
