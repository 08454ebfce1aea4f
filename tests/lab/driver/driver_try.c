/* driver_try.c — runs the libvirt driver's ops directly, without the runner (a developer tool).
 *
 *   driver_try SOURCE_URI DEST_URI DOMAIN HOPS [migrate.key=value ...]
 *
 * Performs HOPS ping-pong hops (even: source → dest, odd: back) exactly as the runner would:
 * prepare, start, poll every 50 ms until done_fd is readable, finish; then collect. Prints the
 * cell's metrics and series sizes; MT_TRY_JSON=FILE also writes the cell as results.json.
 * MT_TRY_TIMEOUT=SECONDS aborts a hop that runs longer (default 120). The last line,
 * "cpu_ms N wall_ms M", is this process's CPU and wall time for the hops (bench/driver-overhead
 * uses it for the cost of the stats polling).
 * Exit status: 0 all hops succeeded, 1 a hop failed, 77 a hop was skipped (unsupported),
 * 2 usage.
 */
#include <poll.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"

static int run_hops(const struct mt_driver_ops *d, void *state, struct mt_ctx *ctx,
		    const char *src, const char *dst, int hops, double timeout_s)
{
	struct mt_error err = { 0 };
	int rc = 0;

	for (int h = 0; h < hops && rc == 0; h++) {
		struct mt_migrate_req req = { h, h % 2 ? dst : src, h % 2 ? src : dst };
		struct pollfd pfd;
		int64_t t_start;
		int fd = -1, aborted = 0;

		rc = d->start(state, &req, &fd, &err);
		if (rc) {
			printf("hop %d: start: %s (%s)\n", h, err.msg, mt_err_name(rc));
			break;
		}
		t_start = mt_now_ns();
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		while (poll(&pfd, 1, 50) == 0) {
			d->poll(state, ctx, mt_now_ns());
			if (!aborted && (mt_now_ns() - t_start) / 1e9 > timeout_s) {
				aborted = 1;
				if (d->abort(state, &err))
					printf("hop %d: abort: %s\n", h, err.msg);
			}
		}
		rc = d->finish(state, ctx, &err);
		printf("hop %d %s -> %s: %s%s%s\n", h, req.from, req.to, rc ? mt_err_name(rc) : "ok",
		       rc ? ": " : "", rc ? err.msg : "");
	}
	return rc;
}

static double cpu_ms(const struct rusage *r)
{
	return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e3 +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
	const struct mt_driver_ops *d = mt_find_driver("libvirt");
	struct mt_run_result run = { 0 };
	struct mt_cell_result *cell;
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_ctx ctx = { 0 };
	char params[4096] = "", why[512] = "", *json;
	void *state = NULL;
	const char *t = getenv("MT_TRY_TIMEOUT");
	struct rusage ru0, ru1;
	double wall_ms = 0;
	int rc, hops;

	if (argc < 5 || !d) {
		fprintf(stderr, "usage: driver_try SOURCE_URI DEST_URI DOMAIN HOPS "
			"[migrate.key=value ...]\n");
		return 2;
	}
	hops = atoi(argv[4]);
	for (int i = 5; i < argc; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}
	if (mt_params_parse(d->base.options, params, 0, &p, &err)) {
		fprintf(stderr, "driver_try: %s\n", err.msg);
		return 2;
	}
	if (d->base.supported(&p, NULL, why, sizeof(why))) {
		printf("skip: %s\n", why);
		mt_params_free(&p);
		return 77;
	}
	run.schema_version = MT_RESULT_SCHEMA_VERSION;
	run.tool_version = strdup("driver_try");
	run.run_id = strdup("driver_try");
	cell = mt_run_add_cell(&run, "try");
	ctx.result = cell;
	ctx.domain = argv[3];
	if ((rc = d->prepare(&p, &ctx, &state, &err)) != 0) {
		printf("prepare: %s\n", err.msg);
		goto out;
	}
	ctx.t0_ns = mt_now_ns();
	getrusage(RUSAGE_SELF, &ru0);
	rc = run_hops(d, state, &ctx, argv[1], argv[2], hops, t ? atof(t) : 120.0);
	getrusage(RUSAGE_SELF, &ru1);
	wall_ms = (double)(mt_now_ns() - ctx.t0_ns) / 1e6;
	if (d->collect(state, &ctx, &err))
		printf("collect: %s\n", err.msg);
	for (size_t i = 0; i < cell->nmetrics; i++) {
		const struct mt_metric *m = &cell->metrics[i];

		if (m->kind == MT_METRIC_NUM)
			printf("  %-52s %.3f\n", m->path, m->num);
		else
			printf("  %-52s %s%s\n", m->path, m->kind == MT_METRIC_ABSENT ? "absent: " : "",
			       m->str ? m->str : "");
	}
	for (size_t i = 0; i < cell->nseries; i++)
		printf("  series %-45s %zu samples\n", cell->series[i].name, cell->series[i].n);
	mt_cell_set_verdict(cell, rc == 0 ? MT_VERDICT_PASS
				 : rc == MT_EUNSUPPORTED ? MT_VERDICT_SKIP : MT_VERDICT_ERROR,
			    rc ? mt_err_name(rc) : NULL);
	if (getenv("MT_TRY_JSON") && (json = mt_result_to_json(&run, 1))) {
		FILE *f = fopen(getenv("MT_TRY_JSON"), "w");

		if (f) {
			fputs(json, f);
			fclose(f);
		}
		free(json);
	}
	printf("cpu_ms %.1f wall_ms %.1f\n", cpu_ms(&ru1) - cpu_ms(&ru0), wall_ms);
out:
	if (state)
		d->release(state);
	mt_params_free(&p);
	mt_run_result_free(&run);
	return rc == 0 ? 0 : rc == MT_EUNSUPPORTED ? 77 : 1;
}
