/* html.c — one self-contained HTML report (XHTML + inline SVG, no network, no script).
 *
 * Rendered from the result model only. Sections: run facts; the summary of every cell over its
 * repeats (median and 95 % CI of the key metrics); the threshold table; box plots across
 * repeats; a heat map when the matrix has two axes; per cell and repeat a timeline of the probe
 * and throughput series with the migration interval and fault windows shaded and the three
 * downtimes marked. Well-formed XML so `xmllint --noout` checks it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migtorture/report.h"
#include "migtorture/stats.h"
#include "svg.h"

/* Key metrics shown in the summary, the box plots and the heat map, in this order. */
static const struct {
	const char *path;
	const char *title;
} key_metrics[] = {
	{ "migration.total_time_ms", "migration time (ms)" },
	{ "downtime.hypervisor_downtime_ms", "hypervisor downtime (ms)" },
	{ "downtime.guest_stall_ms", "guest stall (ms)" },
	{ "downtime.network_outage_ms", "network outage (ms)" },
	{ "migration.transferred_bytes", "transferred (bytes)" },
	{ "qos.during.rtt_ms.p99", "RTT p99 during (ms)" },
	{ "qos.during.jitter_ms", "jitter during (ms)" },
	{ "qos.during.loss_pct", "loss during (%)" },
};
#define NKEYS (sizeof(key_metrics) / sizeof(key_metrics[0]))

static const char style[] =
	"body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"h3{font-size:1em}table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".pass{color:#080}.fail{color:#c00;font-weight:bold}.skip{color:#888}"
	".error{color:#a50;font-weight:bold}"
	"svg.plot{background:#fff;margin:4px 0}.frame{fill:none;stroke:#999}"
	".grid{stroke:#eee}.tick{font-size:10px;fill:#555}.label{font-size:11px;fill:#333}"
	".mark{font-size:10px;fill:#333}.s0{fill:none;stroke:#1f77b4;stroke-width:1}"
	".s1{fill:none;stroke:#ff7f0e;stroke-width:1}.s2{fill:none;stroke:#2ca02c;stroke-width:1}"
	".s3{fill:none;stroke:#9467bd;stroke-width:1}"
	".mig{fill:#fdd;opacity:.6}.fault{fill:#ddf;opacity:.5}.lost{stroke:#c00}"
	".dt{stroke:#c00;stroke-dasharray:3,2}"
	".box rect{fill:#cde;stroke:#456}.box line{stroke:#456}.box .median{stroke:#c00}"
	".legend span{margin-right:1em}";

static void esc(const char *s, FILE *f)
{
	mt_xml_escape(s ? s : "", f);
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

static void num(double v, FILE *f)
{
	if (!isfinite(v))
		fputs("–", f);
	else if (fabs(v) >= 1e6)
		fprintf(f, "%.4g", v);
	else if (fabs(v) >= 100)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.3g", v);
}

/* Values of metric path over the repeats of the cell named name (NUM metrics only). */
static size_t collect(const struct mt_run_result *run, const char *name, const char *path,
		      double *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < run->ncells && n < max; i++) {
		const struct mt_metric *m;

		if (strcmp(run->cells[i].name, name))
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

static void facts(const struct mt_run_result *run, FILE *f)
{
	char a[64], b[64];
	size_t cnt[5] = { 0 };

	for (size_t i = 0; i < run->ncells; i++)
		cnt[run->cells[i].verdict <= MT_VERDICT_ERROR ? run->cells[i].verdict : 0]++;
	fmt_wall(run->started_wall_ns, a, sizeof(a));
	fmt_wall(run->finished_wall_ns, b, sizeof(b));
	fputs("<table><tr><th>verdict</th><td class=\"", f);
	esc(mt_verdict_name(run->verdict), f);
	fputs("\">", f);
	esc(mt_verdict_name(run->verdict), f);
	fprintf(f, "%s (exit %d)</td></tr>\n", run->interrupted ? ", interrupted" : "",
		run->exit_status);
	fprintf(f, "<tr><th>cells</th><td>%zu: %zu pass, %zu fail, %zu skip, %zu error</td></tr>\n",
		run->ncells, cnt[MT_VERDICT_PASS], cnt[MT_VERDICT_FAIL], cnt[MT_VERDICT_SKIP],
		cnt[MT_VERDICT_ERROR]);
	fputs("<tr><th>scenario</th><td>", f);
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
	fputs("<h2>Summary over repeats (median ± 95 % CI)</h2>\n<table><tr><th>cell</th>"
	      "<th>verdicts</th>", f);
	for (size_t k = 0; k < NKEYS; k++) {
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
		fprintf(f, "</td><td>%zu/%zu/%zu/%zu</td>", cnt[MT_VERDICT_PASS], cnt[MT_VERDICT_FAIL],
			cnt[MT_VERDICT_SKIP], cnt[MT_VERDICT_ERROR]);
		for (size_t k = 0; k < NKEYS; k++) {
			size_t n = collect(run, name, key_metrics[k].path, v, run->ncells);

			fputs("<td class=\"n\">", f);
			if (n) {
				num(mt_percentile(v, n, 50), f);
				if (n > 1) {
					fputs(" ± ", f);
					num(mt_ci95(v, n), f);
				}
			} else {
				fputs("–", f);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p>verdicts: pass/fail/skip/error</p>\n", f);
	free(v);
}

static void thresholds(const struct mt_run_result *run, FILE *f)
{
	size_t total = 0;

	for (size_t i = 0; i < run->ncells; i++)
		total += run->cells[i].nchecks;
	fputs("<h2>Thresholds</h2>\n", f);
	if (!total) {
		fputs("<p>No thresholds were evaluated.</p>\n", f);
		return;
	}
	fputs("<table><tr><th>cell</th><th>repeat</th><th>threshold</th><th>value</th>"
	      "<th>limit</th><th>result</th></tr>\n", f);
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		for (size_t j = 0; j < c->nchecks; j++) {
			const struct mt_check *k = &c->checks[j];
			const char *cls = k->held > 0 ? "pass" : k->held == 0 ? "fail" : "error";

			fputs("<tr><td>", f);
			esc(c->name, f);
			fprintf(f, "</td><td class=\"n\">%d</td><td>", c->repeat);
			esc(k->expr, f);
			fputs("</td><td class=\"n\">", f);
			num(k->value, f);
			fputs("</td><td class=\"n\">", f);
			num(k->limit, f);
			fprintf(f, "</td><td class=\"%s\">%s", cls, cls);
			if (k->why) {
				fputs(": ", f);
				esc(k->why, f);
			}
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void boxplots(const struct mt_run_result *run, const size_t *first, size_t ncell,
		     FILE *f)
{
	double *v = malloc(sizeof(double) * (run->ncells + 1));
	int header = 0;

	if (!v)
		return;
	for (size_t k = 0; k < NKEYS; k++) {
		double lo = INFINITY, hi = -INFINITY;
		struct mt_svg g;
		size_t any = 0;

		for (size_t c = 0; c < ncell; c++) {
			size_t n = collect(run, run->cells[first[c]].name, key_metrics[k].path, v,
					   run->ncells);

			for (size_t i = 0; i < n; i++) {
				lo = fmin(lo, v[i]);
				hi = fmax(hi, v[i]);
			}
			any += n;
		}
		if (!any)
			continue;
		if (!header++)
			fputs("<h2>Across repeats</h2>\n", f);
		fputs("<h3>", f);
		esc(key_metrics[k].title, f);
		fputs("</h3>\n", f);
		lo = lo > 0 ? 0 : lo;
		mt_svg_begin(&g, f, 140 + 70 * (int)ncell, 200, 0, (double)ncell, lo,
			     hi + (hi - lo) * 0.05);
		g.no_xticks = 1;
		mt_svg_axes(&g, "cell (row of the summary table)", key_metrics[k].title);
		for (size_t c = 0; c < ncell; c++) {
			size_t n = collect(run, run->cells[first[c]].name, key_metrics[k].path, v,
					   run->ncells);
			double q[5];

			if (!n)
				continue;
			qsort(v, n, sizeof(*v), cmp_dbl);
			q[0] = v[0];
			q[1] = mt_percentile(v, n, 25);
			q[2] = mt_percentile(v, n, 50);
			q[3] = mt_percentile(v, n, 75);
			q[4] = v[n - 1];
			mt_svg_box(&g, (double)c + 0.5, 0.3, q, run->cells[first[c]].name);
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
				   "text-anchor=\"middle\">%zu</text>\n",
				mt_svg_x(&g, (double)c + 0.5), g.h - g.mb + 14, c + 1);
		}
		mt_svg_end(&g);
	}
	free(v);
}

/* Cells that measured something: pass or fail (skip, error and not-run cells may lack the
 * matrix's axes and have no metrics). */
static int judged(const struct mt_cell_result *c)
{
	return c->verdict == MT_VERDICT_PASS || c->verdict == MT_VERDICT_FAIL;
}

/* Value of dimension d of cell c: with_section makes the section dimension 0 and shifts the
 * axes by one. */
static const char *dim_val(const struct mt_cell_result *c, int with_section, size_t d)
{
	if (with_section && d == 0)
		return c->section ? c->section : "";
	return c->axes[d - (with_section ? 1 : 0)].val;
}

/* The heat map: when the matrix has exactly two dimensions (the section, when there are
 * several, counts as one, then each axis), one table per key metric present: rows = first
 * dimension, columns = second, cell = median over repeats. */
static void heatmap(const struct mt_run_result *run, FILE *f)
{
	const struct mt_cell_result *c0 = NULL;
	const char **rows = NULL, **cols = NULL;
	size_t nr = 0, nc = 0;
	int with_section = 0;
	double *v = NULL;

	for (size_t i = 0; !c0 && i < run->ncells; i++)
		if (judged(&run->cells[i]))
			c0 = &run->cells[i];
	if (!c0)
		return;
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (!judged(c))
			continue;
		if (c->naxes != c0->naxes)
			return;
		for (size_t a = 0; a < c->naxes; a++)
			if (strcmp(c->axes[a].key, c0->axes[a].key))
				return;
		if (strcmp(c->section ? c->section : "", c0->section ? c0->section : ""))
			with_section = 1;
	}
	if (c0->naxes + (size_t)with_section != 2)
		return;
	rows = calloc(run->ncells, sizeof(*rows));
	cols = calloc(run->ncells, sizeof(*cols));
	v = malloc(sizeof(double) * run->ncells);
	if (!rows || !cols || !v)
		goto out;
	for (size_t i = 0; i < run->ncells; i++) {
		const char *rv, *cv;
		size_t j;

		if (!judged(&run->cells[i]))
			continue;
		rv = dim_val(&run->cells[i], with_section, 0);
		cv = dim_val(&run->cells[i], with_section, 1);
		for (j = 0; j < nr && strcmp(rows[j], rv); j++)
			;
		if (j == nr)
			rows[nr++] = rv;
		for (j = 0; j < nc && strcmp(cols[j], cv); j++)
			;
		if (j == nc)
			cols[nc++] = cv;
	}
	fputs("<h2>Heat map: ", f);
	esc(with_section ? "section" : c0->axes[0].key, f);
	fputs(" × ", f);
	esc(c0->axes[with_section ? 0 : 1].key, f);
	fputs("</h2>\n", f);
	for (size_t k = 0; k < NKEYS; k++) {
		double lo = INFINITY, hi = -INFINITY;
		double *med = calloc(nr * nc, sizeof(double));

		if (!med)
			break;
		for (size_t r = 0; r < nr; r++)
			for (size_t cc = 0; cc < nc; cc++) {
				size_t n = 0;

				for (size_t i = 0; i < run->ncells; i++) {
					const struct mt_cell_result *c = &run->cells[i];
					const struct mt_metric *m;

					if (!judged(c) ||
					    strcmp(dim_val(c, with_section, 0), rows[r]) ||
					    strcmp(dim_val(c, with_section, 1), cols[cc]))
						continue;
					m = mt_cell_metric(c, key_metrics[k].path);
					if (m && m->kind == MT_METRIC_NUM && isfinite(m->num))
						v[n++] = m->num;
				}
				med[r * nc + cc] = n ? mt_percentile(v, n, 50) : NAN;
				if (n) {
					lo = fmin(lo, med[r * nc + cc]);
					hi = fmax(hi, med[r * nc + cc]);
				}
			}
		if (isfinite(lo)) {
			fputs("<h3>", f);
			esc(key_metrics[k].title, f);
			fputs("</h3>\n<table><tr><th></th>", f);
			for (size_t cc = 0; cc < nc; cc++) {
				fputs("<th>", f);
				esc(cols[cc], f);
				fputs("</th>", f);
			}
			fputs("</tr>\n", f);
			for (size_t r = 0; r < nr; r++) {
				fputs("<tr><th>", f);
				esc(rows[r], f);
				fputs("</th>", f);
				for (size_t cc = 0; cc < nc; cc++) {
					double x = med[r * nc + cc];
					double t = hi > lo ? (x - lo) / (hi - lo) : 0;
					int red = isfinite(x) ? 255 : 240;
					int gb = isfinite(x) ? (int)(235 - 150 * t) : 240;

					fprintf(f, "<td class=\"n\" style=\"background:rgb(%d,%d,%d)\">",
						red, gb, gb);
					num(x, f);
					fputs("</td>", f);
				}
				fputs("</tr>\n", f);
			}
			fputs("</table>\n", f);
		}
		free(med);
	}
out:
	free(rows);
	free(cols);
	free(v);
}

/* Migration interval of a cell from its executed timeline: first "migrate.start hop N" to the
 * last "migrate.done hop N" / "phase after"; NAN when absent. Times in seconds since cell start. */
static void migration_span(const struct mt_cell_result *c, double *a, double *b)
{
	*a = *b = NAN;
	for (size_t i = 0; i < c->nevents; i++) {
		const char *w = c->events[i].what ? c->events[i].what : "";
		double t = (double)c->events[i].actual_ns / 1e9;

		if (!strncmp(w, "migrate.start", 13) && !isfinite(*a))
			*a = t;
		else if (!strncmp(w, "migrate.done", 12) || !strncmp(w, "migrate.end", 11) ||
			 !strncmp(w, "migrate.fail", 12) || !strcmp(w, "phase after"))
			*b = t;
	}
	if (isfinite(*a) && !isfinite(*b)) {
		const struct mt_metric *m = mt_cell_metric(c, "migration.total_time_ms");

		if (m && m->kind == MT_METRIC_NUM)
			*b = *a + m->num / 1000;
	}
}

/* Fault windows: "fault.on KIND" paired with the next "fault.off KIND" of the same detail (the
 * spec text); a fault never switched off lasts to the end of the cell. */
static void fault_spans(struct mt_svg *g, const struct mt_cell_result *c, double end_s)
{
	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_event_rec *on = &c->events[i];
		double off = end_s;

		if (!on->what || strncmp(on->what, "fault.on", 8))
			continue;
		for (size_t j = i + 1; j < c->nevents; j++) {
			const struct mt_event_rec *e = &c->events[j];

			if (e->what && !strncmp(e->what, "fault.off", 9) &&
			    !strcmp(e->detail ? e->detail : "", on->detail ? on->detail : "")) {
				off = (double)e->actual_ns / 1e9;
				break;
			}
		}
		mt_svg_span(g, (double)on->actual_ns / 1e9, off, "fault",
			    on->detail ? on->detail : "fault");
	}
}

/* One plot of every series whose unit is unit (at most 4), shaded and marked. */
static void series_plot(const struct mt_cell_result *c, const char *unit, const char *ylabel,
			FILE *f)
{
	static const char *const dts[] = { "downtime.hypervisor_downtime_ms",
					   "downtime.guest_stall_ms",
					   "downtime.network_outage_ms" };
	static const char *const dtn[] = { "hypervisor", "guest stall", "network outage" };
	const struct mt_series *sel[4];
	size_t nsel = 0, maxn = 0;
	double xmax = 0, ymax = 0, ma, mb;
	struct mt_svg g;
	double *x;

	for (size_t i = 0; i < c->nseries && nsel < 4; i++)
		if (c->series[i].unit && !strcmp(c->series[i].unit, unit) && c->series[i].n)
			sel[nsel++] = &c->series[i];
	if (!nsel)
		return;
	for (size_t s = 0; s < nsel; s++) {
		maxn = sel[s]->n > maxn ? sel[s]->n : maxn;
		for (size_t i = 0; i < sel[s]->n; i++) {
			xmax = fmax(xmax, (double)sel[s]->t_ns[i] / 1e9);
			if (isfinite(sel[s]->v[i]))
				ymax = fmax(ymax, sel[s]->v[i]);
		}
	}
	xmax = fmax(xmax, (double)c->duration_ns / 1e9);
	x = malloc(sizeof(double) * maxn);
	if (!x)
		return;
	fputs("<p class=\"legend\">", f);
	for (size_t s = 0; s < nsel; s++) {
		fprintf(f, "<span class=\"s%zu\" style=\"color:%s\">■ ", s,
			(const char *[]){ "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd" }[s]);
		esc(sel[s]->name, f);
		fputs("</span>", f);
	}
	fputs("</p>\n", f);
	mt_svg_begin(&g, f, 900, 220, 0, xmax > 0 ? xmax : 1, 0, ymax > 0 ? ymax * 1.05 : 1);
	migration_span(c, &ma, &mb);
	if (isfinite(ma))
		mt_svg_span(&g, ma, isfinite(mb) ? mb : ma, "mig", "migration");
	fault_spans(&g, c, xmax);
	mt_svg_axes(&g, "time since cell start (s)", ylabel);
	for (size_t s = 0; s < nsel; s++) {
		char cls[24];

		for (size_t i = 0; i < sel[s]->n; i++)
			x[i] = (double)sel[s]->t_ns[i] / 1e9;
		snprintf(cls, sizeof(cls), "s%zu", s);
		mt_svg_polyline(&g, x, sel[s]->v, sel[s]->n, cls);
		mt_svg_lost(&g, x, sel[s]->v, sel[s]->n);
	}
	/* the three downtimes, drawn ending where the migration ended */
	for (size_t d = 0; d < 3 && isfinite(mb); d++) {
		const struct mt_metric *m = mt_cell_metric(c, dts[d]);
		char label[64];

		if (!m || m->kind != MT_METRIC_NUM)
			continue;
		snprintf(label, sizeof(label), "%s %.0f ms", dtn[d], m->num);
		mt_svg_vline(&g, mb - m->num / 1000, "dt", d == 0 ? label : NULL);
		if (d)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"mark\">%s</text>\n",
				mt_svg_x(&g, mb) + 3, g.mt + 12 + 12 * (int)d, label);
	}
	mt_svg_end(&g);
	free(x);
}

static void cell_detail(const struct mt_cell_result *c, FILE *f)
{
	static const char *const dts[] = { "downtime.hypervisor_downtime_ms",
					   "downtime.guest_stall_ms",
					   "downtime.network_outage_ms" };
	const char *v = mt_verdict_name(c->verdict);

	fputs("<h3>", f);
	esc(c->name, f);
	fprintf(f, " — repeat %d — <span class=\"%s\">%s</span></h3>\n", c->repeat, v, v);
	if (c->reason) {
		fputs("<p>", f);
		esc(c->reason, f);
		fputs("</p>\n", f);
	}
	fputs("<p>downtime: ", f);
	for (size_t d = 0; d < 3; d++) {
		const struct mt_metric *m = mt_cell_metric(c, dts[d]);

		esc(dts[d] + 9, f);
		fputs(" = ", f);
		if (m && m->kind == MT_METRIC_NUM)
			fprintf(f, "%.1f ms", m->num);
		else if (m && m->kind == MT_METRIC_ABSENT) {
			fputs("absent (", f);
			esc(m->str, f);
			fputs(")", f);
		} else
			fputs("not measured", f);
		fputs(d < 2 ? "; " : "", f);
	}
	fputs("</p>\n", f);
	series_plot(c, "ms", "delay (ms)", f);
	series_plot(c, "bit/s", "throughput (bit/s)", f);
	series_plot(c, "bytes", "bytes", f);
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
	facts(run, f);
	summary(run, first, ncell, f);
	thresholds(run, f);
	boxplots(run, first, ncell, f);
	heatmap(run, f);
	fputs("<h2>Cells</h2>\n", f);
	for (size_t i = 0; i < run->ncells; i++)
		cell_detail(&run->cells[i], f);
	fputs("</body></html>\n", f);
	free(first);
	if (ferror(f))
		return mt_err(err, MT_EIO, "writing the HTML report failed");
	return 0;
}
