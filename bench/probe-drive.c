/* probe-drive.c — runs one probe standalone for a while in the current network namespace and
 * prints its own CPU use and the probe's figures, for bench/probe-cost.
 *
 *   mt-probe-drive PROBE "key=value ..." SECONDS
 *   mt-probe-drive wake-loop|wake-sleep INTERVAL SECONDS
 *
 * CPU is the process's exact runtime (CLOCK_PROCESS_CPUTIME_ID) over the run, printed as %
 * of one core. Output: one line of key=value pairs. The two wake-* modes are the floors a
 * probe's cost stands on: waking every INTERVAL and doing nothing, through the cell's own
 * loop (epoll + timerfd, what a probe's tick costs without the probe) and through a bare
 * clock_nanosleep (what the host's kernel and hypervisor charge for a wake-up at all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migtorture/loop.h"
#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "migtorture/units.h"

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time of this process in ns (CLOCK_PROCESS_CPUTIME_ID: the scheduler's exact runtime,
 * not /proc's tick-sampled utime+stime, which misattributes short wake-ups at 1 kHz). */
static int64_t cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void show(const struct mt_cell_result *c, const char *probe, const char *key)
{
	char path[128];
	const struct mt_metric *m;

	snprintf(path, sizeof(path), "probe.%s.%s", probe, key);
	m = mt_cell_metric(c, path);
	if (m && m->kind == MT_METRIC_NUM)
		printf(" %s=%.3f", key, m->num);
}

static int nothing(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	(void)loop;
	(void)now_ns;
	(*(long *)arg)++;
	return 0;
}

/* The floors: wake every interval for secs, doing nothing; prints the CPU it cost. */
static int wake_floor(const char *mode, const char *interval, double secs)
{
	struct mt_error err = { 0 };
	struct mt_loop *loop = NULL;
	int64_t iv, c0, t0, t1, c1;
	long wakes = 0;
	uint64_t id;
	char why[128];

	if (mt_parse_duration(interval, &iv, why, sizeof(why)) < 0 || iv <= 0) {
		fprintf(stderr, "mt-probe-drive: %s: %s\n", interval, why);
		return 2;
	}
	c0 = cpu_ns();
	t0 = mono();
	if (strcmp(mode, "wake-loop") == 0) {
		if (mt_loop_new(&loop, &err) < 0 ||
		    mt_loop_add_timer(loop, t0, iv, nothing, &wakes, &id, &err) < 0 ||
		    mt_loop_run(loop, t0 + (int64_t)(secs * 1e9), &err) < 0) {
			fprintf(stderr, "mt-probe-drive: %s\n", err.msg);
			mt_loop_free(loop);
			return 1;
		}
		mt_loop_free(loop);
	} else {
		for (int64_t next = t0; next < t0 + (int64_t)(secs * 1e9); next += iv, wakes++) {
			struct timespec ts = { next / 1000000000LL, next % 1000000000LL };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
				;
		}
	}
	t1 = mono();
	c1 = cpu_ns();
	printf("probe=%s cpu_pct=%.2f wakes=%ld\n", mode,
	       100.0 * (double)(c1 - c0) / (double)(t1 - t0), wakes);
	return 0;
}

int main(int argc, char **argv)
{
	const struct mt_workload_ops *ops;
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_loop *loop = NULL;
	struct mt_ctx ctx = { 0 };
	void *state = NULL;
	int64_t c0, c1;
	int64_t t0, t1;
	double secs;
	int rc = 1;

	if (argc == 4 && (!strcmp(argv[1], "wake-loop") || !strcmp(argv[1], "wake-sleep")))
		return wake_floor(argv[1], argv[2], atof(argv[3]));
	if (argc != 4 || !(ops = mt_find_probe(argv[1]))) {
		fprintf(stderr, "usage: mt-probe-drive udp|icmp \"key=value ...\" SECONDS\n"
			"       mt-probe-drive wake-loop|wake-sleep INTERVAL SECONDS\n");
		return 2;
	}
	secs = atof(argv[3]);
	if (mt_params_parse(ops->base.options, argv[2], 1, &p, &err) < 0 || mt_loop_new(&loop, &err) < 0)
		goto out;
	ctx.loop = loop;
	ctx.result = mt_run_add_cell(&run, "bench");
	ctx.cell_name = "bench";
	c0 = cpu_ns();
	t0 = ctx.t0_ns = mono();
	if (ops->start(&p, &ctx, &state, &err) < 0 ||
	    mt_loop_run(loop, t0 + (int64_t)(secs * 1e9), &err) < 0 ||
	    ops->stop(state, &ctx, &err) < 0 || ops->collect(state, &ctx, &err) < 0)
		goto out;
	t1 = mono();
	c1 = cpu_ns();
	printf("probe=%s cpu_pct=%.2f", argv[1],
	       100.0 * (double)(c1 - c0) / (double)(t1 - t0));
	show(ctx.result, argv[1], "sent");
	show(ctx.result, argv[1], "baseline.loss_pct");
	show(ctx.result, argv[1], "baseline.rtt_ms.p50");
	show(ctx.result, argv[1], "baseline.rtt_ms.p99");
	printf("\n");
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "mt-probe-drive: %s\n", err.msg);
	if (state)
		ops->release(state);
	mt_loop_free(loop);
	mt_params_free(&p);
	mt_run_result_free(&run);
	return rc;
}
