/* guest_disk.c — `guest-disk`: the in-guest disk latency probe. mt-guest writes one block +
 * fdatasync on the VM's disk (the lab's RBD data disk, /dev/vda) every interval; the host starts
 * and reads it through the QEMU guest agent of wherever the VM runs now (ctx->vm_uri), the same
 * channel `mt-guest stalls` and guest-dirty use. A workload plugin (not a probe) because it
 * drives mt-guest through workloads/guest_agent.c.
 *
 * start: `mt-guest disk --dev D --offset O --interval-ms I` (detaches after its first write);
 * stop: `mt-guest disk-stop`, then `disk-status --samples`, read at a host time taken as the
 * midpoint of that agent call (the guest's clock is shifted onto the host's by it). Results:
 *   series guest_disk.latency_ms          one point per write, at its start
 *   guest_disk.writes_count, .errors_count
 *   guest_disk.latency_p50_ms, .latency_p99_ms, .latency_max_ms
 *   guest_disk.stall_count                writes that took >= stall (default 100 ms)
 *   guest_disk.longest_stall_ms           the longest of them (0 when none)
 *   guest_disk.stall_total_ms             their sum
 *   guest_disk.<phase>.stall_count, .longest_stall_ms   per phase (baseline, during, after)
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "guest_agent.h"
#include "guest_disk.h"
#include "migtorture/plugin.h"
#include "migtorture/stats.h"
#include "migtorture/qos.h"
#include "migtorture/units.h"

#define GD_CALL_NS (30LL * 1000000000)

static const struct mt_option disk_options[] = {
	{ "dev", MT_OPT_STR, "/dev/vda", "block device inside the guest (the lab's RBD disk)",
	  NULL, 0, 0, 0 },
	{ "offset", MT_OPT_SIZE, "192M", "where the probe's 1 MiB of writes lies on the device",
	  NULL, 0, 0, 0 },
	{ "interval", MT_OPT_DURATION, "10ms", "one write + fdatasync every interval", NULL, 1e6,
	  10e9, 0 },
	{ "stall", MT_OPT_DURATION, "100ms", "a write taking this long or longer is a stall",
	  NULL, 1e6, 3600e9, 0 },
	{ "binary", MT_OPT_STR, "/bin/mt-guest", "mt-guest inside the guest", NULL, 0, 0, 0 },
	{ "state", MT_OPT_STR, "/run/mt-disk", "the probe's state file inside the guest", NULL, 0,
	  0, 0 },
	MT_OPTION_END
};

struct gd {
	struct mt_ga ga;
	char *binary, *state;
	int64_t stall_ns;
	int running;
	char *status_out;
	int64_t status_host_ns;
};

static void gd_release(void *state)
{
	struct gd *g = state;

	if (!g)
		return;
	mt_ga_close(&g->ga);
	free(g->binary);
	free(g->state);
	free(g->status_out);
	free(g);
}

static int gd_run(struct gd *g, struct mt_ctx *ctx, const char *const args[], char **out,
		  struct mt_error *err)
{
	int c = -1, rc = mt_ga_attach(&g->ga, ctx->vm_uri, ctx->domain, err);

	if (rc == 0)
		rc = mt_ga_exec(&g->ga, g->binary, args, GD_CALL_NS, &c, out, err);
	if (rc == 0 && c != 0)
		rc = mt_err(err, MT_EINFRA, "guest: %s %s exited %d%s%.200s", g->binary, args[0], c,
			    out && *out && **out ? ": " : "", out && *out ? *out : "");
	return rc;
}

static int gd_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		    struct mt_error *err)
{
	char off[32], ival[32];
	const char *args[] = { "disk",	      "--dev",	 NULL, "--offset", off, "--interval-ms",
			       ival,	      "--state", NULL, NULL };
	struct gd *g = calloc(1, sizeof(*g));
	char *out = NULL;
	int rc;

	*state = NULL;
	if (!g)
		return mt_err(err, MT_ENOMEM, "out of memory");
	g->binary = strdup(mt_param_str(p, "binary"));
	g->state = strdup(mt_param_str(p, "state"));
	g->stall_ns = mt_param_i64(p, "stall");
	if (!g->binary || !g->state) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(off, sizeof(off), "%" PRIu64, mt_param_u64(p, "offset"));
	snprintf(ival, sizeof(ival), "%.3f", mt_param_i64(p, "interval") / 1e6);
	args[2] = mt_param_str(p, "dev");
	args[8] = g->state;
	rc = gd_run(g, ctx, args, &out, err);
	if (rc < 0) {
		mt_err_prefix(err, "guest-disk");
		goto out;
	}
	g->running = 1;
	*state = g;
	g = NULL;
out:
	free(out);
	gd_release(g);
	return rc;
}

static int gd_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gd *g = state;
	const char *stop[] = { "disk-stop", "--state", g->state, NULL };
	const char *status[] = { "disk-status", "--state", g->state, "--samples", NULL };
	char *out = NULL;
	int64_t a, b;
	int rc;

	if (!g->running)
		return 0;
	g->running = 0;
	rc = gd_run(g, ctx, stop, &out, err);
	free(out);
	if (rc < 0)
		return rc;
	a = mt_now_ns();
	rc = gd_run(g, ctx, status, &g->status_out, err);
	b = mt_now_ns();
	g->status_host_ns = (a + b) / 2 - ctx->t0_ns;
	return rc;
}

static int gd_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct gd *g = state;
	int rc;

	if (!g->status_out)
		return mt_cell_set_absent(ctx->result, "guest_disk.writes_count",
					  "mt-guest disk-status was not read");
	rc = mt_guest_disk_put(ctx->result, ctx->phases, g->status_out, g->status_host_ns,
			       g->stall_ns);
	if (rc == MT_EINVAL)
		return mt_err(err, rc, "guest-disk: mt-guest disk-status: unexpected output: %.120s",
			      g->status_out);
	if (rc < 0)
		return mt_err(err, rc, "guest-disk: out of memory");
	return 0;
}

int mt_guest_disk_put(struct mt_cell_result *c, const struct mt_phases *ph, const char *json,
		      int64_t status_host_ns, int64_t stall_ns)
{
	static const char *const phase[] = { "baseline", "during", "after" };
	cJSON *o = cJSON_Parse(json), *now, *samples, *writes, *errors, *e;
	struct mt_series *s;
	double *lat = NULL, longest = 0, total = 0, pl[3] = { 0 }, pc[3] = { 0 };
	size_t n = 0, stalls = 0;
	int rc = MT_EINVAL;

	now = cJSON_GetObjectItemCaseSensitive(o, "now_mono_ns");
	samples = cJSON_GetObjectItemCaseSensitive(o, "samples");
	writes = cJSON_GetObjectItemCaseSensitive(o, "writes");
	errors = cJSON_GetObjectItemCaseSensitive(o, "errors");
	if (!cJSON_IsNumber(now) || !cJSON_IsArray(samples) || !cJSON_IsNumber(writes) ||
	    !cJSON_IsNumber(errors))
		goto out;
	rc = MT_ENOMEM;
	lat = malloc(((size_t)cJSON_GetArraySize(samples) + 1) * sizeof(*lat));
	s = mt_cell_series(c, "guest_disk.latency_ms", "ms");
	if (!lat || !s)
		goto out;
	cJSON_ArrayForEach(e, samples)
	{
		const cJSON *t = cJSON_GetArrayItem(e, 0), *l = cJSON_GetArrayItem(e, 1);
		int64_t th;
		double ms;

		if (!cJSON_IsNumber(t) || !cJSON_IsNumber(l)) {
			rc = MT_EINVAL;
			goto out;
		}
		th = (int64_t)(t->valuedouble - now->valuedouble) + status_host_ns;
		ms = l->valuedouble / 1000;
		if (mt_series_add(s, th, ms) < 0)
			goto out;
		lat[n++] = ms;
		if (ms * 1e6 >= (double)stall_ns) {
			int p = -1;

			for (int q = 0; ph && q < MT_QOS_NPHASES; q++) {
				int64_t a, b;

				if (mt_qos_phase_bounds(ph, q, &a, &b) == 0 && th >= a && th < b)
					p = q;
			}
			stalls++;
			total += ms;
			longest = ms > longest ? ms : longest;
			if (p >= 0) {
				pc[p]++;
				pl[p] = ms > pl[p] ? ms : pl[p];
			}
		}
	}
	/* A write still blocked when the probe was stopped (a pause that outlasted the cell) is a
	 * stall at least as long as it had lasted by then. */
	{
		const cJSON *inf = cJSON_GetObjectItemCaseSensitive(o, "inflight_start_mono_ns");

		if (cJSON_IsNumber(inf) && inf->valuedouble > 0 &&
		    inf->valuedouble <= now->valuedouble) {
			double ms = (now->valuedouble - inf->valuedouble) / 1e6;
			int64_t th = (int64_t)(inf->valuedouble - now->valuedouble) + status_host_ns;

			if (mt_series_add(s, th, ms) < 0)
				goto out;
			lat[n++] = ms;
			if (ms * 1e6 >= (double)stall_ns) {
				stalls++;
				total += ms;
				longest = ms > longest ? ms : longest;
			}
		}
	}
	if (mt_cell_set_num(c, "guest_disk.writes_count", writes->valuedouble) < 0 ||
	    mt_cell_set_num(c, "guest_disk.errors_count", errors->valuedouble) < 0 ||
	    mt_cell_set_num(c, "guest_disk.stall_count", (double)stalls) < 0 ||
	    mt_cell_set_num(c, "guest_disk.longest_stall_ms", longest) < 0 ||
	    mt_cell_set_num(c, "guest_disk.stall_total_ms", total) < 0)
		goto out;
	for (int p = 0; ph && p < MT_QOS_NPHASES; p++) {
		char k[96];
		int64_t a, b;

		if (mt_qos_phase_bounds(ph, p, &a, &b) < 0)
			continue; /* not reached: no figure rather than a 0 */
		{

			snprintf(k, sizeof(k), "guest_disk.%s.stall_count", phase[p]);
			if (mt_cell_set_num(c, k, pc[p]) < 0)
				goto out;
			snprintf(k, sizeof(k), "guest_disk.%s.longest_stall_ms", phase[p]);
			if (mt_cell_set_num(c, k, pl[p]) < 0)
				goto out;
		}
	}
	if (n) {
		/* the project's one percentile (stats.h): interpolated, as every other p99 */
		if (mt_cell_set_num(c, "guest_disk.latency_p50_ms", mt_percentile(lat, n, 50)) < 0 ||
		    mt_cell_set_num(c, "guest_disk.latency_p99_ms", mt_percentile(lat, n, 99)) < 0 ||
		    mt_cell_set_num(c, "guest_disk.latency_max_ms", mt_max(lat, n)) < 0)
			goto out;
	} else if (mt_cell_set_absent(c, "guest_disk.latency_p50_ms", "no write completed") < 0) {
		goto out;
	}
	rc = 0;
out:
	free(lat);
	cJSON_Delete(o);
	return rc;
}

const struct mt_workload_ops mt_workload_guest_disk = {
	.base.name = "guest-disk",
	.base.summary = "mt-guest writes a block + fdatasync on the VM's disk every 10 ms via the guest "
		   "agent; write latency series, stall count and longest stall",
	.base.options = disk_options,
	.base.supported = mt_ga_supported,
	.start = gd_start,
	.stop = gd_stop,
	.collect = gd_collect,
	.release = gd_release,
};
