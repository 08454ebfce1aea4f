/* plan.c — sections × axes × repeats → cells in run order, per-cell seeds, then --only and
 * --shard. Order: job sections in file order; within one, the product of its axes in file
 * order with the first axis varying slowest; within one combination, repeats 0..R-1. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "scenario_priv.h"

/* Beyond this a matrix is a typo, not a plan: 10000 cells of ~25 s are three days of lab time
 * (shard or split it). Also keeps plan building fast on hostile input (the fuzzer found
 * 99998 cells taking 10 s under ASan). */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MT_PLAN_MAX_CELLS 10000
#else
/* Fuzzing: every cell resolves every entry, so a 16 KiB input of 800 thresholds × 512 cells
 * took 11 s under ASan, past libFuzzer's 10 s timeout, and 64 cells × 1150 thresholds still
 * 2 s of a core that six targets share three to one. 16 cells (4 axes) still reach every
 * matrix path, including this cap's own error. */
#define MT_PLAN_MAX_CELLS 16
#endif

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t splitmix64(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mt_cell_seed(uint64_t run_seed, const char *cell_name, int repeat)
{
	return splitmix64(run_seed ^ fnv1a64(cell_name ? cell_name : "") ^ (uint64_t)repeat);
}

/* Build state: the plan being filled and the filters' counters. */
struct builder {
	const struct mt_scenario *s;
	const struct mt_plan_opts *o;
	struct mt_plan *p;
	size_t cap;
	size_t max;     /* cell cap: o->max_cells, else MT_PLAN_MAX_CELLS */
	size_t matched; /* cells that passed --only so far (the shard round-robin index) */
	struct mt_error *err;
};

static int keep(struct builder *b, const struct mt_cell *c)
{
	if (b->o->only && fnmatch(b->o->only, c->name, 0) != 0)
		return 0;
	b->matched++;
	if (b->o->shard_count > 0 &&
	    (int)((b->matched - 1) % (size_t)b->o->shard_count) != b->o->shard_index - 1)
		return 0;
	return 1;
}

static int too_many(struct builder *b)
{
	return mt_err(b->err, MT_EINVAL,
		      "%s: more than %zu cells (sections x axes x repeat), expected fewer",
		      b->s->path, b->max);
}

/* Takes over *c (zeroed afterwards) when it is kept; frees it otherwise. */
static int push(struct builder *b, struct mt_cell *c)
{
	struct mt_plan *p = b->p;

	if (++p->total_cells > b->max) {
		mt_sc_cell_free(c);
		return too_many(b);
	}
	if (!keep(b, c)) {
		mt_sc_cell_free(c);
		return 0;
	}
	if (mt_grow((void **)&p->cells, &b->cap, p->ncells, sizeof(*p->cells)) < 0) {
		mt_sc_cell_free(c);
		return mt_err(b->err, MT_ENOMEM, "out of memory");
	}
	p->estimated_ns += mt_sc_cell_estimate(c);
	p->cells[p->ncells++] = *c;
	memset(c, 0, sizeof(*c));
	return 0;
}

/* All repeats of one axis combination. */
static int combination(struct builder *b, const struct sc_section *job,
		       const struct sc_axis *axes, size_t naxes, const size_t *choice)
{
	struct mt_cell c = { 0 };
	int rc, reps;

	rc = mt_sc_resolve(b->s, job, axes, naxes, choice, 0, b->o->seed, &c, b->err);
	if (rc) {
		mt_sc_cell_free(&c);
		return rc;
	}
	reps = b->o->repeat > 0 ? b->o->repeat : (int)mt_param_i64(&c.core, "repeat");
	if (b->p->total_cells + (size_t)reps > b->max) {
		mt_sc_cell_free(&c); /* fail before resolving a million repeats */
		return too_many(b);
	}
	rc = push(b, &c);
	for (int r = 1; r < reps && rc == 0; r++) {
		rc = mt_sc_resolve(b->s, job, axes, naxes, choice, r, b->o->seed, &c, b->err);
		if (rc)
			mt_sc_cell_free(&c);
		else
			rc = push(b, &c);
	}
	return rc;
}

/* Number of axis combinations, saturating just above the cap. */
static size_t product(const struct sc_axis *axes, size_t naxes, size_t max)
{
	size_t n = 1;

	for (size_t i = 0; i < naxes; i++) {
		n *= axes[i].e->nalts;
		if (n > max)
			return max + 1;
	}
	return n;
}

/* Walks the product of the axes like an odometer: the last axis turns fastest. */
static int job_cells(struct builder *b, const struct sc_section *job)
{
	struct sc_axis *axes = NULL;
	size_t naxes = 0, *choice = NULL;
	int rc = mt_sc_axes(b->s, job, &axes, &naxes);

	if (rc) {
		rc = mt_err(b->err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (product(axes, naxes, b->max) > b->max) {
		rc = too_many(b);
		goto out;
	}
	choice = calloc(naxes + 1, sizeof(*choice));
	if (!choice) {
		rc = mt_err(b->err, MT_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		size_t i = naxes;

		rc = combination(b, job, axes, naxes, choice);
		if (rc)
			goto out;
		while (i > 0 && ++choice[i - 1] == axes[i - 1].e->nalts)
			choice[--i] = 0;
		if (i == 0)
			break;
	}
out:
	free(axes);
	free(choice);
	return rc;
}

int mt_plan_build(const struct mt_scenario *s, const struct mt_plan_opts *o,
		  struct mt_plan **out, struct mt_error *err)
{
	struct builder b = { .s = s, .o = o, .p = calloc(1, sizeof(struct mt_plan)), .err = err,
			     .max = o->max_cells > 0 && o->max_cells < MT_PLAN_MAX_CELLS
					    ? o->max_cells : MT_PLAN_MAX_CELLS };
	const struct sc_section **jobs = NULL;
	size_t njobs;
	int rc = 0;

	*out = NULL;
	if (!b.p)
		return mt_err(err, MT_ENOMEM, "out of memory");
	b.p->seed = o->seed;
	njobs = mt_sc_jobs(s, &jobs);
	if (!jobs) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < njobs && rc == 0; i++)
		rc = job_cells(&b, jobs[i]);
out:
	free(jobs);
	if (rc) {
		mt_plan_free(b.p);
		return rc;
	}
	*out = b.p;
	return 0;
}

void mt_plan_free(struct mt_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ncells; i++)
		mt_sc_cell_free(&p->cells[i]);
	free(p->cells);
	free(p);
}
