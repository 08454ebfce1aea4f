/* guest_stress.c — `guest-dirty` and `guest-cpu`: stress inside the VM, run by mt-guest and
 * driven through the QEMU guest agent (guest_agent.c) of the host the VM runs on right now
 * (ctx->vm_uri, kept current by the runner across hops).
 *
 * guest-dirty: start runs `mt-guest dirty` (it detaches once its region is filled); stop runs
 * `mt-guest stop`, then `dirty-status --samples` (its 100 ms history, shifted onto the host's
 * clock by the midpoint of that agent call), then `verify --remove`. The dirtier checks every
 * page before rewriting it, so one verify at the end covers every hop of the cell. Results:
 *   memory_integrity                           "ok" | "corrupt" (the name docs/results.md defines)
 *   stress.guest.memory_integrity              "ok" | "lost" (mt-guest verify's word)
 *   stress.guest.lost_pages, stress.guest.first_lost_offset_bytes
 *   stress.guest.dirty_rate_set_bytes_s        the rate asked for
 *   stress.guest.dirty_rate_bytes_s            achieved, over the migration (during) phase when
 *                                              there was one, else over the whole run
 *   stress.guest.dirty.<phase>.rate_bytes_s    achieved per phase (baseline, during, after)
 *   stress.guest.libvirt_dirty_rate_bytes_s    mean of the driver's migration.dirty_rate_pages_s
 *                                              samples > 0 during the migration × page_size
 *   stress.guest.dirty_rate_ratio              libvirt / guest over the span of those samples
 *   series stress.guest.dirty_rate_bytes_s     per second
 * guest-cpu: `mt-guest cpu` / `mt-guest stop --pidfile`; stress.guest.cpu.achieved_load_pct.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "guest_agent.h"
#include "guest_rate.h"
#include "migtorture/plugin.h"
#include "migtorture/qos.h"
#include "migtorture/units.h"

#define GS_CALL_NS (30LL * 1000000000) /* a short mt-guest command, including TCG slowness */

static const char *const patterns[] = { "seq", "random", NULL };

static const struct mt_option dirty_options[] = {
	{ "size", MT_OPT_SIZE, "64M", "memory region the dirtier writes (guest RAM, tmpfs)", NULL,
	  4096, 0, 0 },
	{ "rate", MT_OPT_BYTERATE, "100M/s", "page write rate", NULL, 4096, 0, 0 },
	{ "pattern", MT_OPT_ENUM, "seq", "page order: seq (sweep) or random", patterns, 0, 0, 0 },
	{ "check", MT_OPT_BOOL, "yes",
	  "check each page against its checksum before rewriting it (catches lost writes that "
	  "the next pass would heal; costs one page read per write)", NULL, 0, 0, 0 },
	{ "binary", MT_OPT_STR, "/bin/mt-guest", "mt-guest inside the guest", NULL, 0, 0, 0 },
	{ "state", MT_OPT_STR, "/run/mt-dirty", "the dirtier's state file inside the guest", NULL,
	  0, 0, 0 },
	{ "page_size", MT_OPT_SIZE, "4K", "guest page size (libvirt's dirty rate is in pages/s)",
	  NULL, 512, 1 << 30, 0 },
	{ "start_timeout", MT_OPT_DURATION, "120s", "filling the region may take this long",
	  NULL, 1e9, 3600e9, 0 },
	MT_OPTION_END
};

static const struct mt_option cpu_options[] = {
	{ "workers", MT_OPT_INT, "1", "busy threads in the guest", NULL, 1, 256, 0 },
	{ "load", MT_OPT_PERCENT, "100%", "busy share of every 100 ms per thread", NULL, 0, 100,
	  0 },
	{ "binary", MT_OPT_STR, "/bin/mt-guest", "mt-guest inside the guest", NULL, 0, 0, 0 },
	{ "pidfile", MT_OPT_STR, "/run/mt-cpu.pid", "pid file inside the guest", NULL, 0, 0, 0 },
	MT_OPTION_END
};

struct gs {
	struct mt_ga ga;
	int is_dirty;
	char *binary, *state;   /* state: dirty state file, or cpu pid file */
	double rate_Bps, page_size; /* guest-dirty only: its table has the keys */
	int workers;                /* guest-cpu only */
	int running;
	char *stop_out, *status_out, *verify_out; /* what stop got back, parsed at collect */
	int verify_rc;
	int64_t status_host_ns;  /* host time (since t0) the status was read, mid-call */
	char stop_err[300];
};

static void gs_release(void *state)
{
	struct gs *g = state;

	if (!g)
		return;
	mt_ga_close(&g->ga);
	free(g->binary);
	free(g->state);
	free(g->stop_out);
	free(g->status_out);
	free(g->verify_out);
	free(g);
}

/* Runs mt-guest with args in the VM wherever it is now; rc 0 needs exit code 0 unless
 * any_exit. */
static int guest_run(struct gs *g, struct mt_ctx *ctx, const char *const args[], int64_t tmo,
		     int any_exit, int *code, char **out, struct mt_error *err)
{
	int c = -1, rc = mt_ga_attach(&g->ga, ctx->vm_uri, ctx->domain, err);

	if (rc == 0)
		rc = mt_ga_exec(&g->ga, g->binary, args, tmo, &c, out, err);
	if (code)
		*code = c;
	if (rc == 0 && c != 0 && !any_exit)
		rc = mt_err(err, MT_EINFRA, "guest: %s %s exited %d%s%.200s", g->binary, args[0], c,
			    out && *out && **out ? ": " : "", out && *out ? *out : "");
	return rc;
}

static int gs_new(struct mt_ctx *ctx, const struct mt_params *p, int is_dirty, struct gs **out,
		  struct mt_error *err)
{
	struct gs *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return mt_err(err, MT_ENOMEM, "out of memory");
	g->is_dirty = is_dirty;
	g->binary = strdup(mt_param_str(p, "binary"));
	g->state = strdup(mt_param_str(p, is_dirty ? "state" : "pidfile"));
	if (!g->binary || !g->state) {
		gs_release(g);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	(void)ctx;
	*out = g;
	return 0;
}

static int dirty_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		       struct mt_error *err)
{
	char size[32], rate[32];
	const char *args[16];
	struct gs *g;
	char *out = NULL;
	int n = 0, rc;

	*state = NULL;
	rc = gs_new(ctx, p, 1, &g, err);
	if (rc < 0)
		return rc;
	g->rate_Bps = (double)mt_param_u64(p, "rate");
	g->page_size = (double)mt_param_u64(p, "page_size");
	snprintf(size, sizeof(size), "%" PRIu64, mt_param_u64(p, "size"));
	snprintf(rate, sizeof(rate), "%.0f", g->rate_Bps);
	args[n++] = "dirty";
	args[n++] = "--size";
	args[n++] = size;
	args[n++] = "--rate";
	args[n++] = rate;
	args[n++] = "--pattern";
	args[n++] = mt_param_str(p, "pattern");
	args[n++] = "--state";
	args[n++] = g->state;
	if (!mt_param_i64(p, "check"))
		args[n++] = "--no-check";
	args[n] = NULL;
	rc = guest_run(g, ctx, args, mt_param_i64(p, "start_timeout"), 0, NULL, &out, err);
	if (rc < 0)
		goto out;
	if (ctx->verbose > 0)
		fprintf(stderr, "guest-dirty: started in %s: %s", ctx->domain, out ? out : "\n");
	g->running = 1;
	*state = g;
	g = NULL;
out:
	free(out);
	gs_release(g);
	return rc;
}

static int dirty_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gs *g = state;
	const char *stop[] = { "stop", "--state", g->state, NULL };
	const char *status[] = { "dirty-status", "--state", g->state, "--samples", NULL };
	const char *verify[] = { "verify", "--state", g->state, "--remove", NULL };
	int64_t a, b;
	int rc, rc2;

	if (!g->running)
		return 0;
	g->running = 0;
	rc = guest_run(g, ctx, stop, GS_CALL_NS, 0, NULL, &g->stop_out, err);
	a = mt_now_ns();
	rc2 = guest_run(g, ctx, status, GS_CALL_NS, 0, NULL, &g->status_out,
			rc < 0 ? &(struct mt_error){ 0 } : err);
	b = mt_now_ns();
	g->status_host_ns = (a + b) / 2 - ctx->t0_ns;
	if (rc == 0)
		rc = rc2;
	/* Exit 1 = pages lost: a result, not an error. */
	rc2 = guest_run(g, ctx, verify, GS_CALL_NS * 4, 1, &g->verify_rc, &g->verify_out,
			rc < 0 ? &(struct mt_error){ 0 } : err);
	if (rc == 0)
		rc = rc2;
	if (rc == 0 && g->verify_rc != 0 && g->verify_rc != 1)
		rc = mt_err(err, MT_EINFRA, "guest: mt-guest verify exited %d", g->verify_rc);
	return rc;
}

static double jnum(const cJSON *o, const char *k, double fallback)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(x) ? x->valuedouble : fallback;
}

static int dirty_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gs *g = state;
	int rc = mt_guest_dirty_put(ctx->result, ctx->phases, g->verify_out, g->status_out,
				    g->status_host_ns, g->rate_Bps, g->page_size);

	if (rc < 0)
		return mt_err(err, rc, "guest-dirty: out of memory");
	return 0;
}

static int cpu_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err)
{
	char workers[16], load[16];
	const char *args[] = { "cpu", "--workers", workers, "--load", load, "--pidfile", NULL,
			       NULL };
	struct gs *g;
	int rc;

	*state = NULL;
	rc = gs_new(ctx, p, 0, &g, err);
	if (rc < 0)
		return rc;
	g->workers = (int)mt_param_i64(p, "workers");
	snprintf(workers, sizeof(workers), "%d", g->workers);
	snprintf(load, sizeof(load), "%.0f", mt_param_dbl(p, "load"));
	args[6] = g->state;
	rc = guest_run(g, ctx, args, GS_CALL_NS, 0, NULL, NULL, err);
	if (rc < 0) {
		gs_release(g);
		return rc;
	}
	g->running = 1;
	*state = g;
	return 0;
}

static int cpu_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gs *g = state;
	const char *args[] = { "stop", "--pidfile", g->state, NULL };

	if (!g->running)
		return 0;
	g->running = 0;
	return guest_run(g, ctx, args, GS_CALL_NS, 0, NULL, &g->stop_out, err);
}

static int cpu_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gs *g = state;
	cJSON *o = g->stop_out ? cJSON_Parse(g->stop_out) : NULL;
	double cpu = o ? jnum(o, "cpu_s", -1) : -1, secs = o ? jnum(o, "seconds", -1) : -1;
	int rc;

	if (cpu >= 0 && secs > 0)
		rc = mt_cell_set_num(ctx->result, "stress.guest.cpu.achieved_load_pct",
				     100 * cpu / secs / g->workers);
	else
		rc = mt_cell_set_absent(ctx->result, "stress.guest.cpu.achieved_load_pct",
					"mt-guest stop reported no CPU time");
	cJSON_Delete(o);
	if (rc < 0)
		return mt_err(err, rc, "guest-cpu: out of memory");
	return 0;
}

const struct mt_workload_ops mt_workload_guest_dirty = {
	.base.name = "guest-dirty",
	.base.summary = "mt-guest dirties guest pages at a set rate (checksum per page) via the guest "
		   "agent; memory integrity and achieved vs libvirt dirty rate",
	.base.options = dirty_options,
	.base.supported = mt_ga_supported,
	.start = dirty_start,
	.stop = dirty_stop,
	.collect = dirty_collect,
	.release = gs_release,
};

const struct mt_workload_ops mt_workload_guest_cpu = {
	.base.name = "guest-cpu",
	.base.summary = "mt-guest keeps N guest threads busy P % of the time via the guest agent",
	.base.options = cpu_options,
	.base.supported = mt_ga_supported,
	.start = cpu_start,
	.stop = cpu_stop,
	.collect = cpu_collect,
	.release = gs_release,
};
