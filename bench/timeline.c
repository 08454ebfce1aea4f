/* bench/timeline — how late timeline events fire.
 *
 * Plans N events (default 2000) at random 1–5 ms spacing (seeded, so runs are comparable),
 * runs them through the real timeline on the real loop, and prints the lateness of every
 * executed event (actual − planned, as recorded in the cell result) as p50 / p99 / max in µs.
 * Goal: p99 < 1 ms on an idle machine.
 *
 * usage: timeline [-n EVENTS] [-a MIN_MS] [-b MAX_MS] [-s SEED] [-r]
 *   -r  run under SCHED_FIFO (root): separates timer lateness from CPU contention on a
 *       busy machine (the runner itself does not do this)
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/loop.h"
#include "migtorture/result.h"
#include "migtorture/scenario.h"
#include "migtorture/stats.h"
#include "timeline.h"

static int on_event(void *arg, const struct mt_tl_event *ev, int64_t planned, int64_t actual,
		    int64_t *effect, struct mt_error *err)
{
	(void)planned;
	(void)actual;
	(void)effect;
	(void)err;
	if (ev->kind == MT_TL_CELL_END)
		mt_loop_stop(arg);
	return 0;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	long n = 2000, amin = 1, amax = 5;
	uint64_t seed = 1;
	struct mt_cell cell = { 0 };
	struct mt_cell_result res = { 0 };
	struct mt_error err = { 0 };
	struct mt_timeline *tl = NULL;
	struct mt_loop *loop = NULL;
	double *late = NULL;
	int64_t off = 0;
	int opt, rc = 1, rt = 0;

	while ((opt = getopt(argc, argv, "n:a:b:s:rh")) != -1) {
		switch (opt) {
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'a': amin = strtol(optarg, NULL, 10); break;
		case 'b': amax = strtol(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'r': rt = 1; break;
		default:
			fprintf(stderr, "usage: %s [-n EVENTS] [-a MIN_MS] [-b MAX_MS] [-s SEED] [-r]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || amin < 0 || amax < amin) {
		fprintf(stderr, "timeline: bad arguments\n");
		return 2;
	}
	if (rt) {
		struct sched_param sp = { .sched_priority = 10 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
			perror("timeline: sched_setscheduler");
			return 1;
		}
	}
	cell.name = (char *)"bench";
	cell.events = calloc((size_t)n + 1, sizeof(*cell.events));
	late = calloc((size_t)n + 1, sizeof(*late));
	if (!cell.events || !late)
		goto out;
	for (long i = 0; i < n; i++) {
		/* spacing uniform in [amin, amax] ms, µs resolution */
		off += (amin * 1000 + (int64_t)(rnd(&seed) % (uint64_t)((amax - amin) * 1000 + 1))) *
		       1000;
		cell.events[i] = (struct mt_tl_event){ .anchor = MT_ANCHOR_START, .offset_ns = off,
						       .kind = MT_TL_PHASE, .spec = -1, .hop = -1,
						       .label = (char *)"tick" };
	}
	cell.events[n] = (struct mt_tl_event){ .anchor = MT_ANCHOR_START,
					       .offset_ns = off + 1000000,
					       .kind = MT_TL_CELL_END, .spec = -1, .hop = -1 };
	cell.nevents = (size_t)n + 1;
	if (mt_loop_new(&loop, &err) < 0 ||
	    mt_timeline_new(&tl, loop, &cell, &res, on_event, loop, &err) < 0 ||
	    mt_timeline_start(tl, mt_loop_now(loop) + 10000000, &err) < 0 ||
	    mt_loop_run(loop, 0, &err) < 0) {
		fprintf(stderr, "timeline: %s\n", err.msg);
		goto out;
	}
	for (size_t i = 0; i < res.nevents; i++)
		late[i] = (double)(res.events[i].actual_ns - res.events[i].planned_ns) / 1000.0;
	printf("events %zu, spacing %ld-%ld ms, planned span %.1f s, scheduler %s\n", res.nevents,
	       amin, amax, (double)off / 1e9, rt ? "SCHED_FIFO" : "normal");
	printf("lateness_us p50 %.1f p99 %.1f max %.1f mean %.1f min %.1f\n",
	       mt_percentile(late, res.nevents, 50), mt_percentile(late, res.nevents, 99),
	       mt_max(late, res.nevents), mt_mean(late, res.nevents),
	       mt_min(late, res.nevents));
	printf("goal p99 < 1000 us: %s\n", mt_percentile(late, res.nevents, 99) < 1000 ? "met"
										       : "MISSED");
	rc = 0;
out:
	mt_timeline_free(tl);
	mt_loop_free(loop);
	for (size_t i = 0; i < res.nevents; i++) {
		free(res.events[i].what);
		free(res.events[i].detail);
	}
	free(res.events);
	free(cell.events);
	free(late);
	return rc;
}
