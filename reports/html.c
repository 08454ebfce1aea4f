/* html.c — one self-contained HTML report with inline SVG (issue 10, item 3; first version).
 *
 * No scripts, no external resources: the file opens offline, in a CI artefact viewer, or in a
 * mail client. The markup is written as well-formed XML (XHTML serialisation of HTML5) so the
 * test can check it with xmllint. Contents, top to bottom:
 *   run facts · verdict counts · threshold table · per cell name: statistics over repeats,
 *   then per repeat a timeline plot for every series (fault windows and the migration
 *   interval shaded, lost samples ticked, the three downtimes written next to it) ·
 *   box plots of every numeric metric across cell names · a heat map when cells have exactly
 *   two axes.
 * Timeline conventions read from the executed events: "fault.on X" … "fault.off X" is a fault
 * window; "migrate.start" … "migrate.end" / "migrate.done" / "migrate.fail" the migration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migtorture/report.h"
#include "migtorture/stats.h"
#include "migtorture/summary.h"

#define PLOT_W 720
#define PLOT_H 170
#define M_LEFT 64
#define M_RIGHT 12
#define M_TOP 22
#define M_BOTTOM 26

/* --- text --------------------------------------------------------------------------------- */

static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Escaped text; invalid UTF-8 and control characters become U+FFFD (always well-formed). */
static void esc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n;

	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", f); p++; continue;
		case '<': fputs("&lt;", f); p++; continue;
		case '>': fputs("&gt;", f); p++; continue;
		case '"': fputs("&quot;", f); p++; continue;
		case '\'': fputs("&#39;", f); p++; continue;
		case '\n': case '\t': fputc(*p, f); p++; continue;
		default: break;
		}
		n = *p < 0x20 ? 0 : utf8_len(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

static void num(FILE *f, double v)
{
	if (isnan(v))
		fputs("–", f);
	else
		fprintf(f, "%.4g", v);
}

static void when(FILE *f, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char buf[40];

	if (ns <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		fputs("–", f);
	else
		fputs(buf, f);
}

/* --- head and tables ---------------------------------------------------------------------- */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1em}"
	"td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
	"th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}.error{color:#8a4b00;"
	"font-weight:bold}.skip,.none{color:#666}"
	"svg{display:block;margin:.3em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
	"code{background:#f6f6f6;padding:0 3px}";

static void facts_table(FILE *f, const struct mt_run_result *run)
{
	size_t i;

	fputs("<table>\n<tr><th>run</th><td>", f);
	esc(f, run->run_id);
	fputs("</td></tr>\n<tr><th>scenario</th><td>", f);
	esc(f, run->scenario_path ? run->scenario_path : "–");
	if (run->scenario_sha256) {
		fputs(" <code>", f);
		esc(f, run->scenario_sha256);
		fputs("</code>", f);
	}
	fprintf(f, "</td></tr>\n<tr><th>seed</th><td>%llu</td></tr>\n",
		(unsigned long long)run->seed);
	if (run->shard) {
		fputs("<tr><th>shard</th><td>", f);
		esc(f, run->shard);
		fputs("</td></tr>\n", f);
	}
	fputs("<tr><th>started</th><td>", f);
	when(f, run->started_wall_ns);
	fputs("</td></tr>\n<tr><th>finished</th><td>", f);
	when(f, run->finished_wall_ns);
	fprintf(f, "%s</td></tr>\n", run->interrupted ? " (interrupted: partial results)" : "");
	fprintf(f, "<tr><th>verdict</th><td class=\"%s\">%s (exit status %d)</td></tr>\n",
		mt_verdict_name(run->verdict), mt_verdict_name(run->verdict), run->exit_status);
	for (i = 0; i < run->nfacts; i++) {
		fputs("<tr><th>", f);
		esc(f, run->facts[i].key);
		fputs("</th><td>", f);
		esc(f, run->facts[i].val);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void checks_table(FILE *f, const struct mt_run_result *run)
{
	size_t i, j, n = 0;

	for (i = 0; i < run->ncells; i++)
		n += run->cells[i].nchecks;
	fputs("<h2 id=\"thresholds\">Thresholds</h2>\n", f);
	if (!n) {
		fputs("<p>No thresholds were evaluated.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>cell</th><th>repeat</th><th>threshold</th><th>value</th>"
	      "<th>limit</th><th>result</th></tr>\n",
	      f);
	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		for (j = 0; j < c->nchecks; j++) {
			const struct mt_check *k = &c->checks[j];
			const char *res = k->held > 0 ? "pass" : k->held == 0 ? "fail" : "error";

			fputs("<tr><td>", f);
			esc(f, c->name);
			fprintf(f, "</td><td class=\"n\">%d</td><td><code>", c->repeat);
			esc(f, k->expr);
			fputs("</code></td><td class=\"n\">", f);
			num(f, k->value);
			fputs("</td><td class=\"n\">", f);
			num(f, k->limit);
			fprintf(f, "</td><td class=\"%s\">%s", res, res);
			if (k->why) {
				fputs(": ", f);
				esc(f, k->why);
			}
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static void stats_table(FILE *f, const struct mt_cell_summary *cs)
{
	size_t i;

	fprintf(f, "<p>%zu repeat%s: %zu pass, %zu fail, %zu skip, %zu error</p>\n", cs->repeats,
		cs->repeats == 1 ? "" : "s", cs->pass, cs->fail, cs->skip, cs->error);
	if (!cs->nmetrics)
		return;
	fputs("<table>\n<tr><th>metric</th><th>n</th><th>min</th><th>median</th><th>mean</th>"
	      "<th>stddev</th><th>p95</th><th>max</th><th>95% CI ±</th><th>missing</th></tr>\n",
	      f);
	for (i = 0; i < cs->nmetrics; i++) {
		const struct mt_metric_summary *m = &cs->metrics[i];
		const double v[] = { m->s.min, m->s.median, m->s.mean, m->s.stddev,
				     m->s.p95, m->s.max, m->s.ci95 };
		size_t k;

		fputs("<tr><td><code>", f);
		esc(f, m->path);
		fprintf(f, "</code></td><td class=\"n\">%zu</td>", m->s.n);
		for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputs("<td class=\"n\">", f);
			num(f, v[k]);
			fputs("</td>", f);
		}
		fprintf(f, "<td class=\"n\">%zu</td></tr>\n", m->nmissing);
	}
	fputs("</table>\n", f);
}

/* --- timeline plots ----------------------------------------------------------------------- */

struct window {
	int64_t from, to;
	int kind; /* 0 fault, 1 migration */
	const char *label;
};

/* Fault windows and migration intervals from the executed events (open ones end at end). */
static size_t windows(const struct mt_cell_result *c, int64_t end, struct window *w, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->nevents && n < max; i++) {
		const char *what = c->events[i].what ? c->events[i].what : "";
		int kind = -1;

		if (strncmp(what, "fault.on", 8) == 0)
			kind = 0;
		else if (strcmp(what, "migrate.start") == 0)
			kind = 1;
		if (kind < 0)
			continue;
		w[n].from = c->events[i].actual_ns;
		w[n].to = end;
		w[n].kind = kind;
		w[n].label = kind ? "migration" : what + (what[8] == ' ' ? 9 : 8);
		for (j = i + 1; j < c->nevents; j++) {
			const char *o = c->events[j].what ? c->events[j].what : "";

			if (kind == 0 && strncmp(o, "fault.off", 9) == 0 &&
			    strcmp(o + 9, what + 8) == 0) {
				w[n].to = c->events[j].actual_ns;
				break;
			}
			if (kind == 1 && (strcmp(o, "migrate.end") == 0 ||
					  strcmp(o, "migrate.done") == 0 ||
					  strcmp(o, "migrate.fail") == 0)) {
				w[n].to = c->events[j].actual_ns;
				break;
			}
		}
		n++;
	}
	return n;
}

static void plot_series(FILE *f, const struct mt_cell_result *c, const struct mt_series *s)
{
	const double pw = PLOT_W - M_LEFT - M_RIGHT, ph = PLOT_H - M_TOP - M_BOTTOM;
	struct window w[32];
	int64_t tend = c->duration_ns;
	double vmax = 0, x, y;
	size_t i, nw;
	int open = 0, k;

	for (i = 0; i < s->n; i++) {
		if (s->t_ns[i] > tend)
			tend = s->t_ns[i];
		if (!isnan(s->v[i]) && isfinite(s->v[i]) && s->v[i] > vmax)
			vmax = s->v[i];
	}
	if (tend <= 0)
		tend = 1;
	if (vmax <= 0)
		vmax = 1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\">\n",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	fputs("<title>", f);
	esc(f, s->name);
	fputs("</title>\n", f);
	nw = windows(c, tend, w, sizeof(w) / sizeof(w[0]));
	for (i = 0; i < nw; i++) {
		double x0 = M_LEFT + pw * (double)w[i].from / (double)tend;
		double x1 = M_LEFT + pw * (double)w[i].to / (double)tend;

		if (x1 < x0 + 1)
			x1 = x0 + 1;
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			   "fill-opacity=\"0.25\"><title>",
			x0, M_TOP, x1 - x0, ph, w[i].kind ? "#3b7dd8" : "#d83b3b");
		esc(f, w[i].label);
		fputs("</title></rect>\n", f);
	}
	/* axes, three y ticks, five x ticks in seconds */
	fprintf(f, "<path d=\"M%d %d V%.1f H%.1f\" stroke=\"#444\" fill=\"none\"/>\n", M_LEFT,
		M_TOP, M_TOP + ph, M_LEFT + pw);
	for (k = 0; k <= 2; k++) {
		y = M_TOP + ph - ph * k / 2.0;
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n",
			M_LEFT - 4, y + 3, vmax * k / 2.0);
	}
	for (k = 0; k <= 4; k++) {
		x = M_LEFT + pw * k / 4.0;
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.3gs</text>\n",
			x, PLOT_H - 8, (double)tend / 1e9 * k / 4.0);
	}
	fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"12\">", M_LEFT);
	esc(f, s->name);
	fputs(" (", f);
	esc(f, s->unit);
	fputs(")</text>\n", f);
	/* the line, broken at lost samples, which get a red tick on the axis */
	for (i = 0; i < s->n; i++) {
		x = M_LEFT + pw * (double)s->t_ns[i] / (double)tend;
		if (isnan(s->v[i]) || !isfinite(s->v[i])) {
			if (open)
				fputs("\"/>\n", f);
			open = 0;
			fprintf(f, "<path d=\"M%.1f %.1f v-6\" stroke=\"#b00020\"/>\n", x, M_TOP + ph);
			continue;
		}
		y = M_TOP + ph - ph * (s->v[i] < 0 ? 0 : s->v[i]) / vmax;
		if (!open)
			fputs("<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1\" points=\"", f);
		fprintf(f, "%s%.1f,%.1f", open ? " " : "", x, y);
		open = 1;
	}
	if (open)
		fputs("\"/>\n", f);
	fputs("</svg>\n", f);
}

static void downtimes(FILE *f, const struct mt_cell_result *c)
{
	static const char *const paths[] = { "downtime.hypervisor_downtime_ms",
					     "downtime.guest_stall_ms",
					     "downtime.network_outage_ms" };
	size_t i;

	fputs("<p>Downtime:", f);
	for (i = 0; i < 3; i++) {
		const struct mt_metric *m = mt_cell_metric(c, paths[i]);

		fprintf(f, " %s <b>", paths[i] + 9);
		if (m && m->kind == MT_METRIC_NUM)
			num(f, m->num);
		else if (m && m->kind == MT_METRIC_ABSENT) {
			fputs("absent (", f);
			esc(f, m->str);
			fputs(")", f);
		} else
			fputs("–", f);
		fputs("</b>", f);
		if (i < 2)
			fputs(" ·", f);
	}
	fputs("</p>\n", f);
}

/* --- box plots and heat map --------------------------------------------------------------- */

/* Values of path over the judged repeats of the cell named name (NaN when missing). */
static size_t values_of(const struct mt_run_result *run, const char *name, const char *path,
			double *v)
{
	size_t i, n = 0;

	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const struct mt_metric *m;

		if (strcmp(c->name, name) != 0 || c->verdict == MT_VERDICT_SKIP ||
		    c->verdict == MT_VERDICT_ERROR)
			continue;
		m = mt_cell_metric(c, path);
		v[n++] = m && m->kind == MT_METRIC_NUM ? m->num : NAN;
	}
	return n;
}

static void box_plot(FILE *f, const struct mt_run_result *run, const struct mt_run_summary *s,
		     const char *path, double *buf)
{
	const double row = 22, label_w = 260, pw = PLOT_W - label_w - M_RIGHT;
	double lo = INFINITY, hi = -INFINITY, q[5], x[5], y;
	size_t i, j, n, rows = 0;

	for (i = 0; i < s->ncells; i++) {
		n = values_of(run, s->cells[i].name, path, buf);
		if (isnan(mt_max(buf, n)))
			continue;
		rows++;
		if (mt_min(buf, n) < lo)
			lo = mt_min(buf, n);
		if (mt_max(buf, n) > hi)
			hi = mt_max(buf, n);
	}
	if (!rows || !isfinite(lo) || !isfinite(hi))
		return;
	if (hi == lo) {
		hi = lo + 1;
		lo = lo - 1;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		   "role=\"img\">\n<text x=\"0\" y=\"14\" font-size=\"12\">",
		PLOT_W, 40 + row * (double)rows);
	esc(f, path);
	fprintf(f, " — min %.4g, max %.4g</text>\n", lo, hi);
	rows = 0;
	for (i = 0; i < s->ncells; i++) {
		n = values_of(run, s->cells[i].name, path, buf);
		if (isnan(mt_max(buf, n)))
			continue;
		q[0] = mt_min(buf, n);
		q[1] = mt_percentile(buf, n, 25);
		q[2] = mt_percentile(buf, n, 50);
		q[3] = mt_percentile(buf, n, 75);
		q[4] = mt_max(buf, n);
		for (j = 0; j < 5; j++)
			x[j] = label_w + pw * (q[j] - lo) / (hi - lo);
		y = 28 + row * (double)rows;
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
			label_w - 6, y + 10);
		esc(f, s->cells[i].name);
		fputs("</text>\n", f);
		fprintf(f, "<path d=\"M%.1f %.1f H%.1f M%.1f %.1f H%.1f\" stroke=\"#444\"/>\n", x[0],
			y + 7, x[1], x[3], y + 7, x[4]);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"#cfe0f7\" "
			   "stroke=\"#444\"/>\n",
			x[1], y, x[3] - x[1] < 1 ? 1 : x[3] - x[1]);
		fprintf(f, "<path d=\"M%.1f %.1f v14\" stroke=\"#b00020\" stroke-width=\"2\"/>\n",
			x[2], y);
		for (j = 0; j < n; j++)
			if (!isnan(buf[j]))
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#222\"/>\n",
					label_w + pw * (buf[j] - lo) / (hi - lo), y + 7);
		rows++;
	}
	fputs("</svg>\n", f);
}

/* Index of s in list (adding it), or -1 when the list is full. */
static int intern(const char **list, size_t *n, size_t max, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return (int)i;
	if (*n >= max)
		return -1;
	list[*n] = s;
	return (int)(*n)++;
}

/* Heat map of the median of path over a two-axis matrix (cells with exactly two axes). */
static void heat_map(FILE *f, const struct mt_run_result *run, const struct mt_run_summary *s,
		     const char *path)
{
	enum { MAXV = 24 };
	const char *rows[MAXV], *cols[MAXV], *k0 = NULL, *k1 = NULL;
	double med[MAXV][MAXV], lo = INFINITY, hi = -INFINITY, t;
	size_t nr = 0, nc = 0, i, j;
	int r, c;

	for (i = 0; i < MAXV; i++)
		for (j = 0; j < MAXV; j++)
			med[i][j] = NAN;
	for (i = 0; i < s->ncells; i++) {
		const struct mt_cell_result *cell = NULL;
		size_t k;

		for (k = 0; k < run->ncells; k++)
			if (strcmp(run->cells[k].name, s->cells[i].name) == 0) {
				cell = &run->cells[k];
				break;
			}
		if (!cell || cell->naxes != 2)
			continue;
		if (!k0) {
			k0 = cell->axes[0].key;
			k1 = cell->axes[1].key;
		}
		if (strcmp(cell->axes[0].key, k0) != 0 || strcmp(cell->axes[1].key, k1) != 0)
			continue;
		r = intern(rows, &nr, MAXV, cell->axes[0].val);
		c = intern(cols, &nc, MAXV, cell->axes[1].val);
		if (r < 0 || c < 0)
			continue;
		for (k = 0; k < s->cells[i].nmetrics; k++)
			if (strcmp(s->cells[i].metrics[k].path, path) == 0)
				med[r][c] = s->cells[i].metrics[k].s.median;
		if (!isnan(med[r][c])) {
			lo = med[r][c] < lo ? med[r][c] : lo;
			hi = med[r][c] > hi ? med[r][c] : hi;
		}
	}
	if (!nr || !nc || !isfinite(lo))
		return;
	fputs("<h3>Heat map: median <code>", f);
	esc(f, path);
	fputs("</code></h3>\n<table>\n<tr><th>", f);
	esc(f, k0);
	fputs(" \\ ", f);
	esc(f, k1);
	fputs("</th>", f);
	for (j = 0; j < nc; j++) {
		fputs("<th>", f);
		esc(f, cols[j]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (i = 0; i < nr; i++) {
		fputs("<tr><th>", f);
		esc(f, rows[i]);
		fputs("</th>", f);
		for (j = 0; j < nc; j++) {
			if (isnan(med[i][j])) {
				fputs("<td class=\"n\">–</td>", f);
				continue;
			}
			/* green (low) to red (high): lower is better for the metrics we map */
			t = hi > lo ? (med[i][j] - lo) / (hi - lo) : 0;
			fprintf(f, "<td class=\"n\" style=\"background:hsl(%.0f,70%%,75%%)\">%.4g</td>",
				120.0 * (1 - t), med[i][j]);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* --- document ----------------------------------------------------------------------------- */

int mt_report_html(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	static const char *const heat_pref[] = { "migration.total_time_ms",
						 "downtime.network_outage_ms",
						 "migration.downtime_ms" };
	struct mt_run_summary s = { 0 };
	size_t i, j, k, cnt[5] = { 0 };
	const char *heat = NULL;
	double *buf = NULL;
	int rc;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report html: no run or no stream");
	rc = mt_run_summarise(run, &s, err);
	if (rc)
		goto out;
	buf = malloc((run->ncells ? run->ncells : 1) * sizeof(*buf));
	if (!buf) {
		rc = mt_err(err, MT_ENOMEM, "report html: out of memory");
		goto out;
	}
	for (i = 0; i < run->ncells; i++)
		if ((unsigned)run->cells[i].verdict < 5)
			cnt[run->cells[i].verdict]++;

	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	      "<head>\n<meta charset=\"utf-8\"/>\n<title>migtorture ",
	      f);
	esc(f, run->run_id);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>migtorture run ", style);
	esc(f, run->run_id);
	fputs("</h1>\n", f);
	fprintf(f, "<p><b>%zu</b> cells × repeats: <span class=\"pass\">%zu pass</span>, "
		   "<span class=\"fail\">%zu fail</span>, <span class=\"skip\">%zu skip</span>, "
		   "<span class=\"error\">%zu error</span>%s</p>\n",
		run->ncells, cnt[MT_VERDICT_PASS], cnt[MT_VERDICT_FAIL], cnt[MT_VERDICT_SKIP],
		cnt[MT_VERDICT_ERROR], cnt[MT_VERDICT_NONE] ? ", some not run" : "");
	facts_table(f, run);
	checks_table(f, run);

	for (i = 0; i < s.ncells; i++) {
		fprintf(f, "<h2 id=\"cell-%zu\">", i);
		esc(f, s.cells[i].name);
		fputs("</h2>\n", f);
		stats_table(f, &s.cells[i]);
		for (j = 0; j < run->ncells; j++) {
			const struct mt_cell_result *c = &run->cells[j];

			if (strcmp(c->name, s.cells[i].name) != 0)
				continue;
			fprintf(f, "<h3>repeat %d — <span class=\"%s\">%s</span>", c->repeat,
				mt_verdict_name(c->verdict), mt_verdict_name(c->verdict));
			if (c->reason) {
				fputs(": ", f);
				esc(f, c->reason);
			}
			fputs("</h3>\n", f);
			if (c->verdict == MT_VERDICT_SKIP)
				continue;
			downtimes(f, c);
			for (k = 0; k < c->nseries; k++)
				plot_series(f, c, &c->series[k]);
		}
	}

	fputs("<h2 id=\"boxplots\">Across cells</h2>\n", f);
	/* one box plot per numeric metric path, in order of first appearance */
	for (i = 0; i < s.ncells; i++) {
		for (k = 0; k < s.cells[i].nmetrics; k++) {
			const char *path = s.cells[i].metrics[k].path;
			size_t a, b, seen = 0;

			for (a = 0; a < i && !seen; a++)
				for (b = 0; b < s.cells[a].nmetrics && !seen; b++)
					seen = strcmp(s.cells[a].metrics[b].path, path) == 0;
			if (!seen)
				box_plot(f, run, &s, path, buf);
		}
	}
	for (i = 0; i < sizeof(heat_pref) / sizeof(heat_pref[0]) && !heat; i++)
		for (j = 0; j < s.ncells && !heat; j++)
			for (k = 0; k < s.cells[j].nmetrics && !heat; k++)
				if (strcmp(s.cells[j].metrics[k].path, heat_pref[i]) == 0)
					heat = heat_pref[i];
	if (heat)
		heat_map(f, run, &s, heat);
	fputs("<p><small>Generated by migtorture from results.json; no external resources."
	      "</small></p>\n</body>\n</html>\n",
	      f);
	if (fflush(f) == EOF || ferror(f))
		rc = mt_err(err, MT_EIO, "report html: write failed");
out:
	free(buf);
	mt_run_summary_free(&s);
	return rc;
}
