/* osd_thrash.c — "osd-thrash": teuthology thrashosds style churn of the OSD map while the
 * fault is on. Every interval (a timer on the cell's loop) it either brings back an OSD it
 * took out (osd in) or, keeping at least min_in OSDs up and in, takes a random one down
 * (`osd down`, with probability chance_down; the OSD marks itself up again) or out.
 * Unlike teuthology it does not kill daemons (osd-kill does that, one at a time).
 * One journal entry, made before the first action, restores every OSD that was in at apply
 * (osd in), on the lab also restarts an OSD daemon that is no longer running, and waits for
 * active+clean: so recover works whatever the thrasher did last.
 * Each action is an event on the cell ("fault.osd-thrash out osd.1"); collect adds
 * fault.osd_thrash.{actions,down,out,in,errors}_count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osd_common.h"

#include "migtorture/units.h"

static const struct mt_option thrash_opts[] = {
	{ "interval", MT_OPT_DURATION, "5s", "time between actions", NULL, 100e6, 3600e9, 0 },
	{ "chance_down", MT_OPT_DOUBLE, "0.4", "probability an action is `osd down` rather "
	  "than `osd out`", NULL, 0, 1, 0 },
	{ "min_in", MT_OPT_INT, "2", "never leave fewer OSDs up and in", NULL, 1, 1000000, 0 },
	{ "seed", MT_OPT_INT, "0", "random seed (0 = the cell's seed)", NULL, 0, 9e15, 0 },
	MT_OSD_COMMON_OPTIONS, MT_OPTION_END
};

struct thrash {
	struct mt_ctx *ctx;
	struct mt_ceph *c;
	uint64_t timer, rng;
	int timer_set, min_in;
	double chance_down;
	int ours[MT_CEPH_MAX_OSDS]; /* 1: we marked it out */
	long n_down, n_out, n_in, n_err;
	char last_err[256];
};

static uint64_t next(struct thrash *t) /* xorshift64* */
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 2685821657736338717ULL;
}

static double unit(struct thrash *t)
{
	return (double)(next(t) >> 11) / 9007199254740992.0;
}

static void event(struct thrash *t, int64_t now, const char *what, int id, int rc,
		  const char *msg)
{
	char w[96];

	snprintf(w, sizeof(w), "fault.osd-thrash %s osd.%d", what, id);
	if (t->ctx->result)
		mt_cell_add_event(t->ctx->result, now - t->ctx->t0_ns, now - t->ctx->t0_ns, w,
				  rc < 0 ? msg : NULL, rc);
}

static int tick(struct mt_loop *loop, int64_t now, void *arg)
{
	static const char *const down_ok[] = { "marked down", "is already down", NULL };
	static const char *const out_ok[] = { "marked out", "is already out", NULL };
	static const char *const in_ok[] = { "marked in", "is already in", NULL };
	struct thrash *t = arg;
	struct mt_ceph_state st;
	struct mt_error err = { 0 };
	int out_ids[MT_CEPH_MAX_OSDS], up_ids[MT_CEPH_MAX_OSDS], nout = 0, nup = 0, id, rc;
	const char *what;

	if (mt_ceph_state(t->c, &st, &err) < 0)
		goto fail;
	for (size_t i = 0; i < st.nosds; i++) {
		if (t->ours[i] && !st.osds[i].in)
			out_ids[nout++] = (int)i;
		if (st.osds[i].in && st.osds[i].up)
			up_ids[nup++] = (int)i;
	}
	if (nout && (unit(t) < 0.5 || nup - 1 < t->min_in)) {
		int i = out_ids[next(t) % (uint64_t)nout];

		id = st.osds[i].id;
		what = "in";
		rc = mt_osd_cmd_ids(t->c, "osd in", id, in_ok, &err);
		if (rc == 0) {
			t->ours[i] = 0;
			t->n_in++;
		}
	} else if (nup - 1 >= t->min_in) {
		int i = up_ids[next(t) % (uint64_t)nup];

		id = st.osds[i].id;
		if (unit(t) < t->chance_down) {
			what = "down";
			rc = mt_osd_cmd_ids(t->c, "osd down", id, down_ok, &err);
			t->n_down += rc == 0;
		} else {
			what = "out";
			rc = mt_osd_cmd_ids(t->c, "osd out", id, out_ok, &err);
			if (rc == 0) {
				t->ours[i] = 1;
				t->n_out++;
			}
		}
	} else {
		return 0; /* nothing allowed now */
	}
	event(t, now, what, id, rc, err.msg);
	if (rc == 0)
		return 0;
fail:
	/* An action that failed is counted and reported; the thrasher keeps going. */
	t->n_err++;
	snprintf(t->last_err, sizeof(t->last_err), "%.200s", err.msg);
	return 0;
}

static int thrash_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			struct mt_error *err)
{
	struct thrash *t = calloc(1, sizeof(*t));
	struct mt_osd_conn cn;
	struct mt_ceph_state st;
	cJSON *undo = NULL, *steps = NULL;
	int64_t iv = mt_param_i64(p, "interval");
	uint64_t jid;
	int rc;

	*state = NULL;
	if (!t)
		return mt_err(err, MT_ENOMEM, "osd-thrash: out of memory");
	t->ctx = ctx;
	t->min_in = (int)mt_param_i64(p, "min_in");
	t->chance_down = mt_param_dbl(p, "chance_down");
	t->rng = (uint64_t)mt_param_i64(p, "seed");
	if (!t->rng)
		t->rng = ctx->seed ? ctx->seed : 0x9e3779b97f4a7c15ULL;
	mt_osd_conn_from_params(p, &cn);
	rc = mt_osd_connect(&cn, &t->c, err);
	if (rc < 0)
		goto fail;
	rc = mt_ceph_state(t->c, &st, err);
	if (rc < 0)
		goto fail;
	if (st.num_in < t->min_in + 1) {
		rc = mt_err(err, MT_EINFRA, "refusing osd-thrash: %d OSD(s) in, it needs more than "
			    "min_in=%d to take any out", st.num_in, t->min_in);
		goto fail;
	}
	undo = mt_osd_undo_new("osd-thrash", &cn, &steps);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "osd-thrash: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < st.nosds; i++)
		if (st.osds[i].in)
			mt_osd_step_osd(steps, "in", st.osds[i].id);
	/* On the lab's cluster (a descriptor names each OSD's pid file and argv): undo also
	 * starts an OSD daemon that is not running any more. Marked down many times in a row on
	 * a loaded machine, a daemon once stayed down for 120 s after undo (docs/ceph-results.md);
	 * a running one is left alone. Elsewhere (no descriptor) there is nothing to revive. */
	for (size_t i = 0; i < st.nosds; i++) {
		struct mt_error ignore = { 0 };

		if (st.osds[i].up)
			(void)mt_osd_step_revive(steps, cn.desc, st.osds[i].id, &ignore);
	}
	rc = mt_osd_journal(ctx, "osd-thrash", undo, &jid, err);
	if (rc < 0)
		goto fail;
	rc = mt_loop_add_timer(ctx->loop, mt_loop_now(ctx->loop) + iv, iv, tick, t, &t->timer,
			       err);
	if (rc < 0)
		goto fail; /* the runner undoes the journalled entry */
	t->timer_set = 1;
	rc = mt_journal_applied(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, err);
	if (rc < 0)
		goto fail;
	*state = t;
	return 0;
fail:
	if (t->timer_set)
		mt_loop_del_timer(ctx->loop, t->timer);
	mt_ceph_close(t->c);
	free(t);
	return rc;
}

static int thrash_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct thrash *t = state;
	struct mt_cell_result *r = ctx->result;

	if (!t || !r)
		return 0;
	mt_cell_set_num(r, "fault.osd_thrash.actions_count",
			(double)(t->n_down + t->n_out + t->n_in));
	mt_cell_set_num(r, "fault.osd_thrash.down_count", (double)t->n_down);
	mt_cell_set_num(r, "fault.osd_thrash.out_count", (double)t->n_out);
	mt_cell_set_num(r, "fault.osd_thrash.in_count", (double)t->n_in);
	mt_cell_set_num(r, "fault.osd_thrash.errors_count", (double)t->n_err);
	return 0;
}

static void thrash_release(void *state)
{
	struct thrash *t = state;

	if (!t)
		return;
	if (t->timer_set)
		mt_loop_del_timer(t->ctx->loop, t->timer);
	mt_ceph_close(t->c);
	free(t);
}

static int thrash_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			    size_t whylen)
{
	return mt_osd_where(p, 0, why, whylen);
}

static int thrash_undo(const char *undo_json, struct mt_error *err)
{
	return mt_osd_undo_run(undo_json, err);
}

/* Counts for tests and tools that drive the fault outside a runner (not a public API). */
void mt_osd_thrash_counts(const void *state, long *down, long *out, long *in, long *errs);
void mt_osd_thrash_counts(const void *state, long *down, long *out, long *in, long *errs)
{
	const struct thrash *t = state;

	*down = t ? t->n_down : 0;
	*out = t ? t->n_out : 0;
	*in = t ? t->n_in : 0;
	*errs = t ? t->n_err : 0;
}

const struct mt_fault_ops mt_fault_osd_thrash = {
	.base.name = "osd-thrash",
	.base.summary = "teuthology-style OSD churn: random osd down/out/in every interval, keeping "
		   "min_in OSDs in",
	.base.options = thrash_opts,
	.base.supported = thrash_supported,
	.apply = thrash_apply,
	.undo = thrash_undo,
	.undo_nowait = mt_osd_undo_nowait,
	.settle = mt_osd_settle,
	.collect = thrash_collect,
	.release = thrash_release,
};
