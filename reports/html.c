/* html.c — one self-contained HTML report (XHTML + inline SVG, no network, no script).
 *
 * Rendered from the result model only, in the order a reader asks: the verdict and what
 * failed; the per-scenario summary (median ± 95 % CI of the key metrics, in ms/s, MiB,
 * Mbit/s); plots across scenarios (html_plots.c); the thresholds grouped per threshold and
 * scenario (html_thresholds.c); a heat map when the matrix has two axes; the run's facts; then
 * per cell and repeat its timelines (html_timeline.c). Well-formed XML so `xmllint --noout`
 * checks it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html_priv.h"
#include "keymetrics.h"
#include "migtorture/report.h"
#include "migtorture/stats.h"
#include "svg.h"
#include "units_fmt.h"

#define NKEYS mt_nkey_metrics
#define key_metrics mt_key_metrics

static const char style[] =
	"body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"h3{font-size:1em}table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".pass{color:#080}.fail{color:#c00;font-weight:bold}.skip{color:#888}"
	".error{color:#a50;font-weight:bold}"
	".verdict{font-size:1.4em;padding:.4em .8em;border:2px solid;display:inline-block}"
	"svg.plot{background:#fff;margin:4px 0}.frame{fill:none;stroke:#999}"
	".grid{stroke:#eee}.tick{font-size:10px;fill:#555}.label{font-size:11px;fill:#333}"
	".cat{font-size:10px;fill:#333}"
	".mark{font-size:10px;fill:#333}.s0{fill:none;stroke:#1f77b4;stroke-width:1}"
	".s1{fill:none;stroke:#ff7f0e;stroke-width:1}.s2{fill:none;stroke:#2ca02c;stroke-width:1}"
	".s3{fill:none;stroke:#9467bd;stroke-width:1}"
	".mig{fill:#fdd;opacity:.6}.fault{fill:#ddf;opacity:.5}.lost{stroke:#c00}"
	".dt0{fill:#c00;opacity:.35}.dt1{fill:#e8a000;opacity:.4}.dt2{fill:#606;opacity:.3}"
	"span.dt0{color:#c00}span.dt1{color:#e8a000}span.dt2{color:#606}"
	".fev{stroke:#33a;stroke-dasharray:2,2}.anc{stroke:#a3a;stroke-dasharray:6,3}.osd{stroke:#080;stroke-width:2}"
	".fit{stroke:#000;stroke-width:1.5;stroke-dasharray:6,3}"
	".p0,.c0{fill:#1f77b4;color:#1f77b4}.p1,.c1{fill:#ff7f0e;color:#ff7f0e}"
	".p2,.c2{fill:#2ca02c;color:#2ca02c}.p3,.c3{fill:#d62728;color:#d62728}"
	".p4,.c4{fill:#9467bd;color:#9467bd}.p5,.c5{fill:#8c564b;color:#8c564b}"
	".p6,.c6{fill:#e377c2;color:#e377c2}.p7,.c7{fill:#7f7f7f;color:#7f7f7f}"
	".figs{display:flex;flex-wrap:wrap;gap:1em}.fig h3{margin:.3em 0}"
	".box rect{fill:#cde;stroke:#456}.box line{stroke:#456}.box .median{stroke:#c00}"
	"span.mig{color:#f99}span.fault{color:#99e}.fig{max-width:440px}"
	".legend span{margin-right:1em}tr.thd td{border-top:none}";

static void esc(const char *s, FILE *f)
{
	mt_xml_escape(s ? s : "", f);
}

void mt_html_esc(const char *s, FILE *f)
{
	esc(s, f);
}

static void fmt_wall(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;

	if (ns <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int mt_html_judged(const struct mt_cell_result *c)
{
	return c->verdict == MT_VERDICT_PASS || c->verdict == MT_VERDICT_FAIL;
}

size_t mt_html_collect(const struct mt_run_result *run, const char *name, const char *path,
		       double *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < run->ncells && n < max; i++) {
		const struct mt_metric *m;

		if (strcmp(run->cells[i].name, name) || !mt_html_judged(&run->cells[i]))
			continue;
		m = mt_cell_metric(&run->cells[i], path);
		if (m && m->kind == MT_METRIC_NUM && isfinite(m->num))
			out[n++] = m->num;
	}
	return n;
}

/* Distinct cell names in run order; returns how many (indexes into run->cells). */
static size_t distinct(const struct mt_run_result *run, size_t *first)
{
	size_t n = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!strcmp(run->cells[first[j]].name, run->cells[i].name))
				break;
		if (j == n)
			first[n++] = i;
	}
	return n;
}

/* The first screen's answer: run verdict, cell counts, and which cells did not pass. */
static void verdict(const struct mt_run_result *run, FILE *f)
{
	const char *v = mt_verdict_name(run->verdict);
	size_t cnt[5] = { 0 }, shown = 0;

	for (size_t i = 0; i < run->ncells; i++)
		cnt[run->cells[i].verdict <= MT_VERDICT_ERROR ? run->cells[i].verdict : 0]++;
	fprintf(f, "<p id=\"verdict\" class=\"verdict %s\">Verdict: %s%s (exit status %d)</p>\n",
		v, v, run->interrupted ? ", interrupted: results are partial" : "",
		run->exit_status);
	fprintf(f, "<p>%zu cells (cell × repeat): %zu pass, %zu fail, %zu skip, %zu error.</p>\n",
		run->ncells, cnt[MT_VERDICT_PASS], cnt[MT_VERDICT_FAIL], cnt[MT_VERDICT_SKIP],
		cnt[MT_VERDICT_ERROR]);
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const char *cv = mt_verdict_name(c->verdict);

		if (c->verdict != MT_VERDICT_FAIL && c->verdict != MT_VERDICT_ERROR)
			continue;
		if (!shown++)
			fputs("<ul class=\"failed\">", f);
		if (shown > 20) {
			fputs("<li>… and more (see the thresholds below)</li>", f);
			break;
		}
		fprintf(f, "<li><span class=\"%s\">%s</span> ", cv, cv);
		esc(c->name, f);
		fprintf(f, " #%d", c->repeat);
		if (c->reason) {
			fputs(": ", f);
			esc(c->reason, f);
		}
		fputs("</li>", f);
	}
	if (shown)
		fputs("</ul>\n", f);
}

static void facts(const struct mt_run_result *run, FILE *f)
{
	char a[64], b[64];

	fmt_wall(run->started_wall_ns, a, sizeof(a));
	fmt_wall(run->finished_wall_ns, b, sizeof(b));
	fputs("<h2 id=\"facts\">Run facts</h2>\n<table><tr><th>scenario</th><td>", f);
	esc(run->scenario_path, f);
	fputs(" (sha256 ", f);
	esc(run->scenario_sha256, f);
	fprintf(f, ")</td></tr>\n<tr><th>seed</th><td>%llu</td></tr>\n",
		(unsigned long long)run->seed);
	fprintf(f, "<tr><th>started</th><td>%s</td></tr><tr><th>finished</th><td>%s</td></tr>\n",
		a, b);
	fputs("<tr><th>tool</th><td>migtorture ", f);
	esc(run->tool_version, f);
	fputs("</td></tr><tr><th>run id</th><td>", f);
	esc(run->run_id, f);
	fputs("</td></tr>\n", f);
	if (run->shard) {
		fputs("<tr><th>shard</th><td>", f);
		esc(run->shard, f);
		fputs("</td></tr>\n", f);
	}
	for (size_t i = 0; i < run->nfacts; i++) {
		fputs("<tr><th>", f);
		esc(run->facts[i].key, f);
		fputs("</th><td>", f);
		esc(run->facts[i].val, f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void summary(const struct mt_run_result *run, const size_t *first, size_t ncell,
		    FILE *f)
{
	double *v = malloc(sizeof(double) * (run->ncells + 1));

	if (!v)
		return;
	fputs("<h2 id=\"summary\">Scenarios (median over repeats ± 95 % CI)</h2>\n<table>"
	      "<tr><th>scenario</th><th>repeats: pass/fail/skip/error</th>", f);
	for (size_t k = 0; k < NKEYS; k++) {
		if (!(key_metrics[k].in & MT_KM_PAGE))
			continue;
		fputs("<th>", f);
		esc(key_metrics[k].title, f);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t c = 0; c < ncell; c++) {
		const char *name = run->cells[first[c]].name;
		size_t cnt[5] = { 0 };

		for (size_t i = 0; i < run->ncells; i++)
			if (!strcmp(run->cells[i].name, name))
				cnt[run->cells[i].verdict <= MT_VERDICT_ERROR ? run->cells[i].verdict :
										0]++;
		fputs("<tr><td>", f);
		esc(name, f);
		fprintf(f, "</td><td class=\"%s\">%zu/%zu/%zu/%zu</td>",
			cnt[MT_VERDICT_FAIL] ? "fail" : cnt[MT_VERDICT_ERROR] ? "error" : "pass",
			cnt[MT_VERDICT_PASS], cnt[MT_VERDICT_FAIL], cnt[MT_VERDICT_SKIP],
			cnt[MT_VERDICT_ERROR]);
		for (size_t k = 0; k < NKEYS; k++) {
			size_t n;
			char buf[96];

			if (!(key_metrics[k].in & MT_KM_PAGE))
				continue;
			n = mt_html_collect(run, name, key_metrics[k].path, v, run->ncells);

			mt_hfmt_pm(key_metrics[k].path, n ? mt_percentile(v, n, 50) : NAN,
				   n > 1 ? mt_ci95(v, n) : NAN, buf, sizeof(buf));
			fputs("<td class=\"n\">", f);
			esc(buf, f);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p>Only repeats that measured (pass or fail) count; – = not measured. "
	      "The ± is the half-width of the 95 % confidence interval of the mean.</p>\n", f);
	free(v);
}

/* Value of dimension d of cell c: with_section makes the section dimension 0 and shifts the
 * axes by one. */
static const char *dim_val(const struct mt_cell_result *c, int with_section, size_t d)
{
	if (with_section && d == 0)
		return c->section ? c->section : "";
	return c->axes[d - (with_section ? 1 : 0)].val;
}

/* The heat map's grid: its two dimensions' values in order of first appearance. */
struct heat {
	const struct mt_run_result *run;
	int with_section;          /* the section is the first dimension */
	const char **rows, **cols;
	size_t nr, nc;
	double *v;                 /* scratch: one value per cell */
};

/* The first judged cell when every judged cell has the same axes and, with the section when
 * several sections vary (*with_section), exactly two dimensions; else NULL. */
static const struct mt_cell_result *heat_shape(const struct mt_run_result *run,
					       int *with_section)
{
	const struct mt_cell_result *c0 = NULL;

	*with_section = 0;
	for (size_t i = 0; !c0 && i < run->ncells; i++)
		if (mt_html_judged(&run->cells[i]))
			c0 = &run->cells[i];
	if (!c0)
		return NULL;
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (!mt_html_judged(c))
			continue;
		if (c->naxes != c0->naxes)
			return NULL;
		for (size_t a = 0; a < c->naxes; a++)
			if (strcmp(c->axes[a].key, c0->axes[a].key))
				return NULL;
		if (strcmp(c->section ? c->section : "", c0->section ? c0->section : ""))
			*with_section = 1;
	}
	return c0->naxes + (size_t)*with_section == 2 ? c0 : NULL;
}

static void heat_add(const char **list, size_t *n, const char *val)
{
	size_t j;

	for (j = 0; j < *n && strcmp(list[j], val); j++)
		;
	if (j == *n)
		list[(*n)++] = val;
}

/* Median over repeats of key metric k in every grid cell (NAN where none); [lo, hi] their
 * range (lo infinite when there is no value at all). */
static void heat_medians(struct heat *h, size_t k, double *med, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t r = 0; r < h->nr; r++)
		for (size_t cc = 0; cc < h->nc; cc++) {
			size_t n = 0;

			for (size_t i = 0; i < h->run->ncells; i++) {
				const struct mt_cell_result *c = &h->run->cells[i];
				const struct mt_metric *m;

				if (!mt_html_judged(c) ||
				    strcmp(dim_val(c, h->with_section, 0), h->rows[r]) ||
				    strcmp(dim_val(c, h->with_section, 1), h->cols[cc]))
					continue;
				m = mt_cell_metric(c, key_metrics[k].path);
				if (m && m->kind == MT_METRIC_NUM && isfinite(m->num))
					h->v[n++] = m->num;
			}
			med[r * h->nc + cc] = n ? mt_percentile(h->v, n, 50) : NAN;
			if (n) {
				*lo = fmin(*lo, med[r * h->nc + cc]);
				*hi = fmax(*hi, med[r * h->nc + cc]);
			}
		}
}

/* One key metric's table, each cell shaded from white (lo) to red (hi). */
static void heat_table(const struct heat *h, size_t k, const double *med, double lo, double hi,
		       FILE *f)
{
	fputs("<h3>", f);
	esc(key_metrics[k].title, f);
	fputs(" (median over repeats)", f);
	fputs("</h3>\n<table><tr><th></th>", f);
	for (size_t cc = 0; cc < h->nc; cc++) {
		fputs("<th>", f);
		esc(h->cols[cc], f);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t r = 0; r < h->nr; r++) {
		fputs("<tr><th>", f);
		esc(h->rows[r], f);
		fputs("</th>", f);
		for (size_t cc = 0; cc < h->nc; cc++) {
			double x = med[r * h->nc + cc];
			double t = hi > lo ? (x - lo) / (hi - lo) : 0;
			char buf[64];
			int red = isfinite(x) ? 255 : 240;
			int gb = isfinite(x) ? (int)(235 - 150 * t) : 240;

			fprintf(f, "<td class=\"n\" style=\"background:rgb(%d,%d,%d)\">", red, gb,
				gb);
			mt_hfmt(key_metrics[k].path, x, buf, sizeof(buf));
			esc(buf, f);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The heat map: when the matrix has exactly two dimensions (the section, when there are
 * several, counts as one, then each axis), one table per key metric present: rows = first
 * dimension, columns = second, cell = median over repeats. */
static void heatmap(const struct mt_run_result *run, FILE *f)
{
	struct heat h = { .run = run };
	const struct mt_cell_result *c0 = heat_shape(run, &h.with_section);

	if (!c0)
		return;
	h.rows = calloc(run->ncells, sizeof(*h.rows));
	h.cols = calloc(run->ncells, sizeof(*h.cols));
	h.v = malloc(sizeof(double) * run->ncells);
	if (!h.rows || !h.cols || !h.v)
		goto out;
	for (size_t i = 0; i < run->ncells; i++) {
		if (!mt_html_judged(&run->cells[i]))
			continue;
		heat_add(h.rows, &h.nr, dim_val(&run->cells[i], h.with_section, 0));
		heat_add(h.cols, &h.nc, dim_val(&run->cells[i], h.with_section, 1));
	}
	fputs("<h2>Heat map: ", f);
	esc(h.with_section ? "section" : c0->axes[0].key, f);
	fputs(" × ", f);
	esc(c0->axes[h.with_section ? 0 : 1].key, f);
	fputs("</h2>\n", f);
	for (size_t k = 0; k < NKEYS; k++) {
		double lo, hi, *med;

		if (!(key_metrics[k].in & MT_KM_PAGE))
			continue;
		med = calloc(h.nr * h.nc, sizeof(double));
		if (!med)
			break;
		heat_medians(&h, k, med, &lo, &hi);
		if (isfinite(lo))
			heat_table(&h, k, med, lo, hi, f);
		free(med);
	}
out:
	free(h.rows);
	free(h.cols);
	free(h.v);
}

int mt_report_html(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	size_t *first = malloc(sizeof(size_t) * (run->ncells + 1));
	size_t ncell;

	if (!first)
		return mt_err(err, MT_ENOMEM, "out of memory");
	ncell = distinct(run, first);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n"
	      "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
	      "<meta charset=\"UTF-8\"/><title>migtorture: ", f);
	esc(run->scenario_path, f);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>migtorture report: ", style);
	esc(run->scenario_path ? run->scenario_path : run->run_id, f);
	fputs("</h1>\n", f);
	verdict(run, f);
	summary(run, first, ncell, f);
	mt_html_plots(run, first, ncell, f);
	mt_html_thresholds(run, f);
	heatmap(run, f);
	facts(run, f);
	fputs("<h2 id=\"cells\">Cells</h2>\n", f);
	for (size_t i = 0; i < run->ncells; i++)
		mt_html_cell(&run->cells[i], f);
	fputs("</body></html>\n", f);
	free(first);
	if (ferror(f))
		return mt_err(err, MT_EIO, "writing the HTML report failed");
	return 0;
}
