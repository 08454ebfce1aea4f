/* compare.c — regression comparison of two results files (include/migtorture/report.h).
 * Medians over repeats are compared because they are robust to one bad repeat; the table is
 * plain text with aligned columns (or one JSON object for scripts), one row per (cell,
 * metric), in the order of the new run followed by what only the base had. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "migtorture/report.h"
#include "migtorture/summary.h"

enum dir { DIR_INFO = 0, DIR_LOWER, DIR_HIGHER };

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Direction of "better" for a metric path, from its unit-carrying component. */
static enum dir direction(const char *path)
{
	static const char *const lower[] = { "_ms", "_s", "_us", "_ns", "_pct", "_bytes", "_count",
					     "iterations" };
	static const char *const higher[] = { "_bps", "_bytes_s", "mbps", "_ratio" };
	const char *end = path + strlen(path), *start;
	char comp[256];
	size_t i, len;

	/* the last component that carries a direction decides (rtt_ms.p99 → rtt_ms) */
	while (end > path) {
		start = end;
		while (start > path && start[-1] != '.')
			start--;
		len = (size_t)(end - start);
		if (len < sizeof(comp)) {
			memcpy(comp, start, len);
			comp[len] = '\0';
			if (ends_with(comp, "_pages_s"))
				return DIR_INFO; /* a workload property, not a result */
			for (i = 0; i < sizeof(higher) / sizeof(higher[0]); i++)
				if (ends_with(comp, higher[i]))
					return DIR_HIGHER;
			for (i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
				if (ends_with(comp, lower[i]))
					return DIR_LOWER;
		}
		end = start > path ? start - 1 : path;
	}
	return DIR_INFO;
}

struct row {
	const char *cell, *metric, *verdict;
	char base[32], cur[32], change[32];
	double base_v, cur_v, change_v; /* NAN when none */
};

static const struct mt_cell_summary *find_cell(const struct mt_run_summary *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncells; i++)
		if (strcmp(s->cells[i].name, name) == 0)
			return &s->cells[i];
	return NULL;
}

static const struct mt_metric_summary *find_metric(const struct mt_cell_summary *c,
						   const char *path)
{
	size_t i;

	for (i = 0; c && i < c->nmetrics; i++)
		if (strcmp(c->metrics[i].path, path) == 0)
			return &c->metrics[i];
	return NULL;
}

static void fmt_val(char *buf, size_t len, const struct mt_metric_summary *m)
{
	if (!m || isnan(m->s.median))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.6g", m->s.median);
}

/* Fills r for one metric; returns 1 when it is a regression. */
static int judge(struct row *r, const struct mt_metric_summary *b,
		 const struct mt_metric_summary *n, double tol)
{
	double bv = b ? b->s.median : NAN, nv = n ? n->s.median : NAN, ch;
	enum dir d = direction(b ? b->path : n->path);
	int worse;

	fmt_val(r->base, sizeof(r->base), b);
	fmt_val(r->cur, sizeof(r->cur), n);
	snprintf(r->change, sizeof(r->change), "-");
	r->base_v = bv;
	r->cur_v = nv;
	r->change_v = NAN;
	if (isnan(bv) && isnan(nv)) {
		r->verdict = "no values";
		return 0;
	}
	if (isnan(bv)) {
		r->verdict = "new";
		return 0;
	}
	if (isnan(nv)) {
		r->verdict = "gone";
		return 0;
	}
	if (bv == nv)
		ch = 0;
	else if (bv == 0)
		ch = nv > 0 ? INFINITY : -INFINITY;
	else
		ch = (nv - bv) / fabs(bv) * 100.0;
	r->change_v = ch;
	if (isinf(ch))
		snprintf(r->change, sizeof(r->change), "%s", ch > 0 ? "+inf%" : "-inf%");
	else
		snprintf(r->change, sizeof(r->change), "%+.1f%%", ch);
	if (d == DIR_INFO) {
		r->verdict = "info";
		return 0;
	}
	worse = d == DIR_LOWER ? ch > tol : ch < -tol;
	if (worse) {
		r->verdict = "regression";
		return 1;
	}
	if (d == DIR_LOWER ? ch < -tol : ch > tol)
		r->verdict = "improved";
	else
		r->verdict = "ok";
	return 0;
}

/* Appends the row judging metric path of cell (b: the base's summary, n: the new run's; either
 * may be NULL) and counts a regression in *reg. Returns 0 or MT_ENOMEM. */
static int add_row(struct row **rows, size_t *nrows, size_t *cap, const char *cell,
		   const char *path, const struct mt_metric_summary *b,
		   const struct mt_metric_summary *n, double tol, size_t *reg)
{
	if (mt_grow((void **)rows, cap, *nrows, sizeof(**rows)) < 0)
		return MT_ENOMEM;
	(*rows)[*nrows].cell = cell;
	(*rows)[*nrows].metric = path;
	*reg += (size_t)judge(&(*rows)[*nrows], b, n, tol);
	(*nrows)++;
	return 0;
}

/* A number for the JSON form: null for NaN, ±1e999 for ±Inf (docs/results.md's convention). */
static cJSON *json_num(double v)
{
	if (isnan(v))
		return cJSON_CreateNull();
	if (isinf(v))
		return cJSON_CreateRaw(v > 0 ? "1e999" : "-1e999");
	return cJSON_CreateNumber(v);
}

/* The rows as one JSON object (mt_report_compare_json). 0 or MT_ENOMEM. */
static int put_json(FILE *f, const struct row *rows, size_t nrows, size_t reg, double tol)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "metrics");
	char *text = NULL;
	int ok = o && arr;

	for (size_t i = 0; ok && i < nrows; i++) {
		cJSON *r = cJSON_CreateObject();

		ok = r && cJSON_AddItemToArray(arr, r);
		if (!ok) {
			cJSON_Delete(r);
			break;
		}
		ok = cJSON_AddStringToObject(r, "cell", rows[i].cell) &&
		     cJSON_AddStringToObject(r, "metric", rows[i].metric) &&
		     cJSON_AddItemToObject(r, "base_median", json_num(rows[i].base_v)) &&
		     cJSON_AddItemToObject(r, "new_median", json_num(rows[i].cur_v)) &&
		     cJSON_AddItemToObject(r, "change_pct", json_num(rows[i].change_v)) &&
		     cJSON_AddStringToObject(r, "verdict", rows[i].verdict);
	}
	ok = ok && cJSON_AddNumberToObject(o, "compared", (double)nrows) &&
	     cJSON_AddNumberToObject(o, "regressions", (double)reg) &&
	     cJSON_AddNumberToObject(o, "tolerance_pct", tol) && (text = cJSON_Print(o));
	if (ok)
		fprintf(f, "%s\n", text);
	free(text);
	cJSON_Delete(o);
	return ok ? 0 : MT_ENOMEM;
}

/* The comparison of both forms: the rows, then text or JSON. */
static int compare(const struct mt_run_result *base, const struct mt_run_result *cur,
		   double tolerance_pct, int json, FILE *f, size_t *regressions,
		   struct mt_error *err)
{
	struct mt_run_summary sb = { 0 }, sn = { 0 };
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0, i, j, reg = 0, w[2] = { 4, 6 };
	const struct mt_cell_summary *cb, *cn;
	int rc = 0;

	if (!base || !cur || !f || !regressions)
		return mt_err(err, MT_EINVAL, "compare: missing argument");
	if (isnan(tolerance_pct) || tolerance_pct < 0)
		return mt_err(err, MT_EINVAL, "compare: tolerance must be a percentage >= 0");
	rc = mt_run_summarise(base, &sb, err);
	if (!rc)
		rc = mt_run_summarise(cur, &sn, err);
	if (rc)
		goto out;
	/* everything in the new run, then what only the base had */
	for (i = 0; i < sn.ncells; i++) {
		cn = &sn.cells[i];
		cb = find_cell(&sb, cn->name);
		for (j = 0; j < cn->nmetrics; j++)
			if ((rc = add_row(&rows, &nrows, &cap, cn->name, cn->metrics[j].path,
					  find_metric(cb, cn->metrics[j].path), &cn->metrics[j],
					  tolerance_pct, &reg)))
				goto nomem;
		for (j = 0; cb && j < cb->nmetrics; j++)
			if (!find_metric(cn, cb->metrics[j].path) &&
			    (rc = add_row(&rows, &nrows, &cap, cb->name, cb->metrics[j].path,
					  &cb->metrics[j], NULL, tolerance_pct, &reg)))
				goto nomem;
	}
	for (i = 0; i < sb.ncells; i++) {
		cb = &sb.cells[i];
		if (find_cell(&sn, cb->name))
			continue;
		for (j = 0; j < cb->nmetrics; j++)
			if ((rc = add_row(&rows, &nrows, &cap, cb->name, cb->metrics[j].path,
					  &cb->metrics[j], NULL, tolerance_pct, &reg)))
				goto nomem;
	}
	for (i = 0; i < nrows; i++) {
		if (strlen(rows[i].cell) > w[0])
			w[0] = strlen(rows[i].cell);
		if (strlen(rows[i].metric) > w[1])
			w[1] = strlen(rows[i].metric);
	}
	*regressions = reg;
	if (json) {
		if ((rc = put_json(f, rows, nrows, reg, tolerance_pct)))
			goto nomem;
	} else {
		fprintf(f, "%-*s  %-*s  %12s  %12s  %9s  %s\n", (int)w[0], "cell", (int)w[1],
			"metric", "base median", "new median", "change", "verdict");
		for (i = 0; i < nrows; i++)
			fprintf(f, "%-*s  %-*s  %12s  %12s  %9s  %s\n", (int)w[0], rows[i].cell,
				(int)w[1], rows[i].metric, rows[i].base, rows[i].cur,
				rows[i].change, rows[i].verdict);
		fprintf(f, "%zu metric%s compared, %zu regression%s (tolerance %g%%)\n", nrows,
			nrows == 1 ? "" : "s", reg, reg == 1 ? "" : "s", tolerance_pct);
	}
	if (fflush(f) == EOF || ferror(f))
		rc = mt_err(err, MT_EIO, "compare: write failed: %s", strerror(errno));
	goto out;
nomem:
	rc = mt_err(err, MT_ENOMEM, "compare: out of memory");
out:
	free(rows);
	mt_run_summary_free(&sb);
	mt_run_summary_free(&sn);
	return rc;
}

int mt_report_compare(const struct mt_run_result *base, const struct mt_run_result *cur,
		      double tolerance_pct, FILE *f, size_t *regressions, struct mt_error *err)
{
	return compare(base, cur, tolerance_pct, 0, f, regressions, err);
}

int mt_report_compare_json(const struct mt_run_result *base, const struct mt_run_result *cur,
			   double tolerance_pct, FILE *f, size_t *regressions,
			   struct mt_error *err)
{
	return compare(base, cur, tolerance_pct, 1, f, regressions, err);
}
