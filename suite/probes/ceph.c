/* probes/ceph.c — the `ceph` storage probe: the cluster's state every interval (1 s) through
 * librados, as series on the cell:
 *   ceph.osds_up, ceph.osds_in (count), ceph.pgs_active_clean, ceph.pgs_not_active (count),
 *   ceph.health (0 HEALTH_OK, 1 HEALTH_WARN, 2 HEALTH_ERR, NAN when the poll failed).
 * collect adds ceph.fault_off_to_health_ok_ms: from the cell's last "fault.off" event to the
 * first sample at or after it that reads HEALTH_OK (absent, with the reason, otherwise), and
 * ceph.not_ok_ms: total time health was not OK.
 * Every OSD map epoch the monitors commit while it runs becomes a "ceph.osdmap" event at the
 * map's own commit stamp (not at the poll that found it), with the flags it changed
 * ("epoch 41: +pauserd +pausewr"): when a fault really took effect for the cluster, which is
 * what a stall measured in a guest is judged against. ceph.osdmap_epochs counts them.
 * A poll blocks the loop for at most one monitor round trip (bounded by timeout). The guest's
 * own disk latency (write+fsync on its RBD disk) is the guest-disk workload's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migtorture/ceph.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"

static const struct mt_option ceph_opts[] = {
	{ "interval", MT_OPT_DURATION, "1s", "time between samples", NULL, 100e6, 60e9, 0 },
	{ "conf", MT_OPT_STR, NULL, "ceph.conf path (default: the lab descriptor's)", NULL, 0, 0,
	  0 },
	{ "keyring", MT_OPT_STR, NULL, "keyring path (default: the lab descriptor's)", NULL, 0,
	  0, MT_OPTF_SECRET },
	{ "client", MT_OPT_STR, NULL, "cephx user without 'client.' (default admin)", NULL, 0, 0,
	  0 },
	{ "ceph", MT_OPT_STR, "/run/migtorture/ceph/ceph.json", "lab Ceph descriptor", NULL, 0,
	  0, 0 },
	{ "timeout", MT_OPT_DURATION, "5s", "monitor connect/command timeout", NULL, 1e9, 600e9,
	  0 },
	MT_OPTION_END
};

#define MAXS 100000 /* > a day at 1 s */

struct cprobe {
	struct mt_ctx *ctx;
	struct mt_ceph *c;
	uint64_t timer;
	int timer_set;
	size_t n;
	int64_t *t;   /* since t0 */
	double *health;
	long errors;
	char last_err[256];
	unsigned epoch;          /* the newest map recorded; 0 before the first poll */
	char flags[256];         /* its flags */
	int64_t wall_to_mono_ns; /* CLOCK_REALTIME - the loop's clock, taken at start */
	long epochs;
};

#define MAX_EPOCHS_PER_POLL 64 /* a storm of maps is summarised, not read one by one */

/* Records the maps after p->epoch up to newest as events at their commit stamps. */
static void record_maps(struct cprobe *p, unsigned newest, const char *newest_flags)
{
	struct mt_cell_result *r = p->ctx->result;
	unsigned from = p->epoch + 1;

	if (p->epoch == 0 || newest <= p->epoch) {
		p->epoch = newest > p->epoch ? newest : p->epoch;
		snprintf(p->flags, sizeof(p->flags), "%s", newest_flags);
		return;
	}
	if (newest - p->epoch > MAX_EPOCHS_PER_POLL)
		from = newest - MAX_EPOCHS_PER_POLL + 1;
	for (unsigned e = from; e <= newest; e++) {
		struct mt_ceph_osdmap m;
		struct mt_error err = { 0 };
		char diff[256], detail[320];

		if (mt_ceph_osdmap_at(p->c, e, &m, &err) < 0) {
			p->errors++;
			snprintf(p->last_err, sizeof(p->last_err), "%.200s", err.msg);
			continue;
		}
		mt_ceph_flags_diff(p->flags, m.flags, diff, sizeof(diff));
		snprintf(detail, sizeof(detail), "epoch %u%s%s", e, diff[0] ? ": " : "", diff);
		if (r)
			mt_cell_add_event(r, -1, m.modified_wall_ns - p->wall_to_mono_ns -
					  p->ctx->t0_ns, "ceph.osdmap", detail, 0);
		snprintf(p->flags, sizeof(p->flags), "%s", m.flags);
		p->epochs++;
	}
	p->epoch = newest;
}

/* Reads conf/keyring/client from the descriptor when not given (a small JSON file). */
static void from_desc(const char *path, char *conf, char *keyring, char *client, size_t len)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	char buf[16384];
	size_t n;
	const char *keys[3] = { "\"conf\"", "\"keyring\"", "\"client\"" };
	char *dst[3] = { conf, keyring, client };

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (int i = 0; i < 3; i++) {
		char *p = strstr(buf, keys[i]), *q, *e;

		if (dst[i][0] || !p || !(q = strchr(p + strlen(keys[i]), '"')) ||
		    !(e = strchr(q + 1, '"')))
			continue;
		snprintf(dst[i], len, "%.*s", (int)(e - q - 1), q + 1);
	}
}

static double health_num(const char *h)
{
	if (strcmp(h, "HEALTH_OK") == 0)
		return 0;
	if (strcmp(h, "HEALTH_WARN") == 0)
		return 1;
	return 2;
}

static int sample(struct mt_loop *loop, int64_t now, void *arg)
{
	struct cprobe *p = arg;
	struct mt_cell_result *r = p->ctx->result;
	struct mt_ceph_state st;
	struct mt_error err = { 0 };
	int64_t t = now - p->ctx->t0_ns;
	int ok = mt_ceph_state(p->c, &st, &err) == 0;
	struct mt_series *s;

	if (!ok) {
		p->errors++;
		snprintf(p->last_err, sizeof(p->last_err), "%.200s", err.msg);
	} else {
		record_maps(p, st.epoch, st.flags);
	}
	if (p->n < MAXS) {
		p->t[p->n] = t;
		p->health[p->n] = ok ? health_num(st.health) : NAN;
		p->n++;
	}
	if (!r)
		return 0;
	/* Series pointers are re-fetched: a new series may move the others. */
	if ((s = mt_cell_series(r, "ceph.health", "state")))
		mt_series_add(s, t, ok ? health_num(st.health) : NAN);
	if ((s = mt_cell_series(r, "ceph.osds_up", "count")))
		mt_series_add(s, t, ok ? st.num_up : NAN);
	if ((s = mt_cell_series(r, "ceph.osds_in", "count")))
		mt_series_add(s, t, ok ? st.num_in : NAN);
	if ((s = mt_cell_series(r, "ceph.pgs_active_clean", "count")))
		mt_series_add(s, t, ok ? st.pgs_active_clean : NAN);
	if ((s = mt_cell_series(r, "ceph.pgs_not_active", "count")))
		mt_series_add(s, t, ok ? st.num_pgs - st.pgs_active : NAN);
	return 0;
}

static int ceph_start(const struct mt_params *pr, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct cprobe *p = calloc(1, sizeof(*p));
	char conf[512] = "", keyring[512] = "", client[64] = "";
	struct mt_ceph_opts o;
	int64_t iv = mt_param_i64(pr, "interval");
	int rc;

	*state = NULL;
	if (!p || !(p->t = calloc(MAXS, sizeof(*p->t))) ||
	    !(p->health = calloc(MAXS, sizeof(*p->health)))) {
		rc = mt_err(err, MT_ENOMEM, "ceph probe: out of memory");
		goto fail;
	}
	p->ctx = ctx;
	{
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		p->wall_to_mono_ns = (int64_t)rt.tv_sec * MT_NS_PER_S + rt.tv_nsec -
				     mt_loop_now(ctx->loop);
	}
	snprintf(conf, sizeof(conf), "%s", mt_params_str(pr, "conf", ""));
	snprintf(keyring, sizeof(keyring), "%s", mt_params_str(pr, "keyring", ""));
	snprintf(client, sizeof(client), "%s", mt_params_str(pr, "client", ""));
	if (!conf[0])
		from_desc(mt_param_str(pr, "ceph"), conf, keyring, client, sizeof(conf));
	o = (struct mt_ceph_opts){ conf[0] ? conf : NULL, keyring[0] ? keyring : NULL,
				   client[0] ? client : "admin",
				   mt_param_i64(pr, "timeout") };
	rc = mt_ceph_open(&o, &p->c, err);
	if (rc < 0) {
		mt_err_prefix(err, "ceph probe");
		goto fail;
	}
	rc = mt_loop_add_timer(ctx->loop, mt_loop_now(ctx->loop), iv, sample, p, &p->timer, err);
	if (rc < 0)
		goto fail;
	p->timer_set = 1;
	*state = p;
	return 0;
fail:
	if (p) {
		mt_ceph_close(p->c);
		free(p->t);
		free(p->health);
	}
	free(p);
	return rc;
}

static int ceph_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct cprobe *p = state;

	if (p && p->timer_set) {
		mt_loop_del_timer(ctx->loop, p->timer);
		p->timer_set = 0;
	}
	return 0;
}

/* Exposed for the unit test: ms from off_ns to the first HEALTH_OK sample at or after it,
 * or -1 when none. t_ns/health are the samples. */
double mt_ceph_probe_ok_after(const int64_t *t_ns, const double *health, size_t n,
			      int64_t off_ns);
double mt_ceph_probe_ok_after(const int64_t *t_ns, const double *health, size_t n,
			      int64_t off_ns)
{
	for (size_t i = 0; i < n; i++)
		if (t_ns[i] >= off_ns && health[i] == 0)
			return (double)(t_ns[i] - off_ns) / 1e6;
	return -1;
}

static int ceph_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct cprobe *p = state;
	struct mt_cell_result *r = ctx->result;
	int64_t off = -1;
	double not_ok = 0, ms;

	if (!p || !r)
		return 0;
	{
		/* The maps committed since the last poll (a fault's undo near the cell's end). */
		struct mt_ceph_state st;
		struct mt_error e = { 0 };

		if (mt_ceph_state(p->c, &st, &e) == 0)
			record_maps(p, st.epoch, st.flags);
	}
	mt_cell_set_num(r, "ceph.osdmap_epochs", (double)p->epochs);
	for (size_t i = 0; i < r->nevents; i++)
		if (strncmp(r->events[i].what, "fault.off", 9) == 0 && r->events[i].actual_ns > off)
			off = r->events[i].actual_ns;
	for (size_t i = 1; i < p->n; i++)
		if (p->health[i - 1] != 0)
			not_ok += (double)(p->t[i] - p->t[i - 1]) / 1e6;
	if (p->n > 1)
		mt_cell_set_num(r, "ceph.not_ok_ms", not_ok);
	else
		mt_cell_set_absent(r, "ceph.not_ok_ms", "fewer than two samples");
	mt_cell_set_num(r, "ceph.poll_errors_count", (double)p->errors);
	if (off < 0) {
		mt_cell_set_absent(r, "ceph.fault_off_to_health_ok_ms", "no fault went off");
	} else if ((ms = mt_ceph_probe_ok_after(p->t, p->health, p->n, off)) < 0) {
		mt_cell_set_absent(r, "ceph.fault_off_to_health_ok_ms",
				   "not HEALTH_OK again before the probe stopped");
	} else {
		mt_cell_set_num(r, "ceph.fault_off_to_health_ok_ms", ms);
	}
	return 0;
}

static void ceph_release(void *state)
{
	struct cprobe *p = state;

	if (!p)
		return;
	if (p->timer_set)
		mt_loop_del_timer(p->ctx->loop, p->timer);
	mt_ceph_close(p->c);
	free(p->t);
	free(p->health);
	free(p);
}

const struct mt_workload_ops mt_probe_ceph = {
	.base.name = "ceph",
	.base.summary = "Ceph cluster state every second (OSDs up/in, PGs, health) and time from "
		   "fault off to HEALTH_OK (librados)",
	.base.options = ceph_opts,
	.start = ceph_start,
	.stop = ceph_stop,
	.collect = ceph_collect,
	.release = ceph_release,
};
