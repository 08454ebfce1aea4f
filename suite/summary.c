/* summary.c — statistics over repeats and fits across cells (include/migtorture/summary.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/stats.h"
#include "migtorture/summary.h"

void mt_agg_stats_of(const double *v, size_t n, struct mt_agg_stats *out)
{
	size_t i;

	out->n = 0;
	for (i = 0; v && i < n; i++)
		out->n += !isnan(v[i]);
	out->min = mt_min(v, n);
	out->median = mt_percentile(v, n, 50);
	out->mean = mt_mean(v, n);
	out->stddev = mt_stddev(v, n);
	out->p95 = mt_percentile(v, n, 95);
	out->max = mt_max(v, n);
	out->ci95 = mt_ci95(v, n);
}

static int judged(const struct mt_cell_result *c)
{
	return c->verdict != MT_VERDICT_SKIP && c->verdict != MT_VERDICT_ERROR;
}

/* Numeric value of path in c, or NAN. */
static double num_of(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	return m && m->kind == MT_METRIC_NUM ? m->num : NAN;
}

/* Adds path to cs->metrics unless present. 0 or MT_ENOMEM. */
static int add_path(struct mt_cell_summary *cs, const char *path)
{
	struct mt_metric_summary *tmp;
	size_t i;

	for (i = 0; i < cs->nmetrics; i++)
		if (strcmp(cs->metrics[i].path, path) == 0)
			return 0;
	tmp = realloc(cs->metrics, (cs->nmetrics + 1) * sizeof(*tmp));
	if (!tmp)
		return MT_ENOMEM;
	cs->metrics = tmp;
	memset(&tmp[cs->nmetrics], 0, sizeof(*tmp));
	tmp[cs->nmetrics].path = strdup(path);
	if (!tmp[cs->nmetrics].path)
		return MT_ENOMEM;
	cs->nmetrics++;
	return 0;
}

/* Fills one cell summary from the repeats of run named cs->name. */
static int summarise_cell(const struct mt_run_result *run, struct mt_cell_summary *cs)
{
	double *v = NULL;
	size_t i, j, k, nv;
	int rc = 0;

	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (strcmp(c->name, cs->name) != 0)
			continue;
		cs->repeats++;
		cs->pass += c->verdict == MT_VERDICT_PASS;
		cs->fail += c->verdict == MT_VERDICT_FAIL;
		cs->skip += c->verdict == MT_VERDICT_SKIP;
		cs->error += c->verdict == MT_VERDICT_ERROR;
		if (!judged(c))
			continue;
		for (j = 0; j < c->nmetrics && !rc; j++)
			if (c->metrics[j].kind == MT_METRIC_NUM)
				rc = add_path(cs, c->metrics[j].path);
		if (rc)
			return rc;
	}
	v = malloc((cs->repeats ? cs->repeats : 1) * sizeof(*v));
	if (!v)
		return MT_ENOMEM;
	for (k = 0; k < cs->nmetrics; k++) {
		nv = 0;
		for (i = 0; i < run->ncells; i++) {
			const struct mt_cell_result *c = &run->cells[i];

			if (strcmp(c->name, cs->name) != 0 || !judged(c))
				continue;
			v[nv] = num_of(c, cs->metrics[k].path);
			if (isnan(v[nv]))
				cs->metrics[k].nmissing++;
			nv++;
		}
		mt_agg_stats_of(v, nv, &cs->metrics[k].s);
	}
	free(v);
	return 0;
}

int mt_run_summarise(const struct mt_run_result *run, struct mt_run_summary *out,
		     struct mt_error *err)
{
	struct mt_cell_summary *cs;
	size_t i, j;
	int rc = 0;

	if (!run || !out)
		return mt_err(err, MT_EINVAL, "summary: no run");
	out->cells = calloc(run->ncells ? run->ncells : 1, sizeof(*out->cells));
	if (!out->cells)
		return mt_err(err, MT_ENOMEM, "summary: out of memory");
	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		for (j = 0; j < out->ncells; j++)
			if (strcmp(out->cells[j].name, c->name) == 0)
				break;
		if (j < out->ncells)
			continue;
		cs = &out->cells[out->ncells++];
		cs->name = strdup(c->name);
		cs->section = c->section ? strdup(c->section) : NULL;
		if (!cs->name || (c->section && !cs->section)) {
			rc = MT_ENOMEM;
			break;
		}
		rc = summarise_cell(run, cs);
		if (rc)
			break;
	}
	if (rc)
		return mt_err(err, rc, "summary: out of memory");
	return 0;
}

void mt_run_summary_free(struct mt_run_summary *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; s->cells && i < s->ncells; i++) {
		free(s->cells[i].name);
		free(s->cells[i].section);
		for (j = 0; j < s->cells[i].nmetrics; j++)
			free(s->cells[i].metrics[j].path);
		free(s->cells[i].metrics);
	}
	free(s->cells);
	memset(s, 0, sizeof(*s));
}

int mt_run_fit(const struct mt_run_result *run, const char *xpath, const char *ypath,
	       double *slope, double *intercept, double *r2, size_t *npoints)
{
	double *x = NULL, *y = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (!run || !xpath || !ypath || !slope || !intercept || !r2 || !npoints)
		return MT_EINVAL;
	*slope = *intercept = *r2 = NAN;
	*npoints = 0;
	if (!run->ncells)
		return 0;
	x = malloc(run->ncells * sizeof(*x));
	y = malloc(run->ncells * sizeof(*y));
	if (!x || !y) {
		rc = MT_ENOMEM;
		goto out;
	}
	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (!judged(c))
			continue;
		x[n] = num_of(c, xpath);
		y[n] = num_of(c, ypath);
		if (!isnan(x[n]) && !isnan(y[n]))
			n++;
	}
	*npoints = n;
	rc = mt_linfit(x, y, n, slope, intercept, r2);
out:
	free(x);
	free(y);
	return rc;
}
