/* compare.c — `migtorture compare BASE.json NEW.json`: per cell and metric, the change of the
 * median over repeats and a regression verdict (Rally's performance_degradation, generalised).
 *
 * Direction comes from the metric's name: rates and throughputs (…_bps, …bps, mbps, goodput,
 * throughput, achieved_ratio) are better when higher; everything else this suite measures
 * (times, downtimes, delays, jitter, loss, bytes, stalls) is better when lower. A change is a
 * regression when it is worse by more than the tolerance (percent of the base) AND by more than
 * the absolute floor (so 0.1 ms → 0.2 ms is not "+100 %"). String metrics regress when they
 * change away from "ok"; a cell whose verdict goes from pass to anything else regresses.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/compare.h"
#include "migtorture/stats.h"

static int higher_is_better(const char *path)
{
	static const char *const words[] = { "bps", "goodput", "throughput", "achieved_ratio",
					     "bogo_ops", "received" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(path, words[i]))
			return 1;
	return 0;
}

/* Median of the NUM values of path over the repeats of cell name; NAN if none. */
static double median_of(const struct mt_run_result *r, const char *name, const char *path,
			double *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ncells; i++) {
		const struct mt_metric *m;

		if (strcmp(r->cells[i].name, name))
			continue;
		m = mt_cell_metric(&r->cells[i], path);
		if (m && m->kind == MT_METRIC_NUM && isfinite(m->num))
			buf[n++] = m->num;
	}
	return n ? mt_percentile(buf, n, 50) : NAN;
}

/* The first STR value of path in cell name, or NULL. */
static const char *str_of(const struct mt_run_result *r, const char *name, const char *path)
{
	for (size_t i = 0; i < r->ncells; i++) {
		const struct mt_metric *m;

		if (strcmp(r->cells[i].name, name))
			continue;
		m = mt_cell_metric(&r->cells[i], path);
		if (m && m->kind == MT_METRIC_STR)
			return m->str;
	}
	return NULL;
}

/* 1 when every repeat of name passed in r (and there is at least one). */
static int all_pass(const struct mt_run_result *r, const char *name)
{
	int seen = 0;

	for (size_t i = 0; i < r->ncells; i++) {
		if (strcmp(r->cells[i].name, name))
			continue;
		seen = 1;
		if (r->cells[i].verdict != MT_VERDICT_PASS)
			return 0;
	}
	return seen;
}

static int seen_before(const struct mt_run_result *r, size_t upto, const char *name,
		       const char *path)
{
	for (size_t i = 0; i < upto; i++) {
		if (strcmp(r->cells[i].name, name))
			continue;
		if (!path || mt_cell_metric(&r->cells[i], path))
			return 1;
	}
	return 0;
}

int mt_compare(const struct mt_run_result *base, const struct mt_run_result *cur,
	       const struct mt_compare_opts *o, FILE *f, struct mt_compare_counts *counts,
	       struct mt_error *err)
{
	size_t nmax = (base->ncells > cur->ncells ? base->ncells : cur->ncells) + 1;
	double *buf = malloc(sizeof(double) * nmax);

	if (!buf)
		return mt_err(err, MT_ENOMEM, "out of memory");
	memset(counts, 0, sizeof(*counts));
	fprintf(f, "%-40s %-38s %12s %12s %9s  %s\n", "cell", "metric", "base", "new", "change",
		"verdict");
	for (size_t i = 0; i < cur->ncells; i++) {
		const struct mt_cell_result *c = &cur->cells[i];

		if (seen_before(cur, i, c->name, NULL))
			continue; /* one row set per cell name, over its repeats */
		if (!seen_before(base, base->ncells, c->name, NULL)) {
			fprintf(f, "%-40s %-38s %12s %12s %9s  %s\n", c->name, "-", "-", "-", "-",
				"new cell");
			counts->new_cells++;
			continue;
		}
		if (all_pass(base, c->name) && !all_pass(cur, c->name)) {
			fprintf(f, "%-40s %-38s %12s %12s %9s  %s\n", c->name, "verdict", "pass",
				mt_verdict_name(c->verdict), "-", "REGRESSION");
			counts->regressions++;
		}
		for (size_t j = 0; j < cur->ncells; j++) {
			const struct mt_cell_result *cj = &cur->cells[j];

			if (strcmp(cj->name, c->name))
				continue;
			for (size_t k = 0; k < cj->nmetrics; k++) {
				const struct mt_metric *m = &cj->metrics[k];
				const char *verdict = "ok";
				double b, n, chg;
				int worse;

				if (o->metric_glob && fnmatch(o->metric_glob, m->path, 0))
					continue;
				if (j > i && seen_before(cur, j, c->name, m->path))
					continue; /* this path was handled with an earlier repeat */
				if (m->kind == MT_METRIC_STR) {
					const char *bs = str_of(base, c->name, m->path);

					if (!bs || !strcmp(bs, m->str))
						continue;
					worse = !strcmp(bs, "ok");
					fprintf(f, "%-40s %-38s %12s %12s %9s  %s\n", c->name, m->path,
						bs, m->str, "-", worse ? "REGRESSION" : "changed");
					counts->compared++;
					counts->regressions += worse;
					continue;
				}
				if (m->kind != MT_METRIC_NUM)
					continue;
				b = median_of(base, c->name, m->path, buf);
				n = median_of(cur, c->name, m->path, buf);
				if (!isfinite(b) || !isfinite(n))
					continue;
				counts->compared++;
				chg = b != 0 ? (n - b) / fabs(b) * 100 : (n == 0 ? 0 : INFINITY);
				worse = higher_is_better(m->path) ? n < b : n > b;
				if (worse && fabs(chg) > o->tolerance_pct &&
				    fabs(n - b) > o->abs_floor) {
					verdict = "REGRESSION";
					counts->regressions++;
				} else if (!worse && fabs(chg) > o->tolerance_pct &&
					   fabs(n - b) > o->abs_floor) {
					verdict = "improved";
					counts->improvements++;
				} else if (!o->all_rows) {
					continue;
				}
				fprintf(f, "%-40s %-38s %12.4g %12.4g %+8.1f%%  %s\n", c->name,
					m->path, b, n, chg, verdict);
			}
		}
	}
	for (size_t i = 0; i < base->ncells; i++)
		if (!seen_before(base, i, base->cells[i].name, NULL) &&
		    !seen_before(cur, cur->ncells, base->cells[i].name, NULL)) {
			fprintf(f, "%-40s %-38s %12s %12s %9s  %s\n", base->cells[i].name, "-", "-",
				"-", "-", "missing in new");
			counts->missing_cells++;
		}
	fprintf(f, "%zu metrics compared: %zu regressions, %zu improvements (tolerance %.3g %%)\n",
		counts->compared, counts->regressions, counts->improvements, o->tolerance_pct);
	free(buf);
	return 0;
}
