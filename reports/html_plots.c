/* html_plots.c — the HTML report's plots across cells: a box plot per key metric with the
 * scenarios (cell names) on the x axis, and scatter plots of migration time and of each
 * downtime against transferred bytes with the least-squares line and its r² — the question
 * the suite answers first (docs/results.md "Other renderings"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html_priv.h"
#include "keymetrics.h"
#include "migtorture/stats.h"
#include "migtorture/summary.h"
#include "svg.h"
#include "units_fmt.h"

#define NCOLORS 8

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Axis title "name (unit)", or just name for counts. */
static void axis_title(const char *name, struct mt_hscale s, char *buf, size_t len)
{
	if (*s.sym)
		snprintf(buf, len, "%s (%s)", name, s.sym);
	else
		snprintf(buf, len, "%s", name);
}

/* Bottom and left margins that fit the slanted scenario names (about 6 px a character). */
static void category_margins(const struct mt_run_result *run, const size_t *first,
			     size_t ncell, int *ml, int *mb)
{
	size_t longest = 0;

	for (size_t c = 0; c < ncell; c++) {
		size_t n = strlen(run->cells[first[c]].name);

		longest = n > longest ? n : longest;
	}
	if (longest > 60)
		longest = 60;
	*mb = 24 + (int)(longest * 3.2);
	*ml = (int)(longest * 5.3) - 20;
	*ml = *ml < 64 ? 64 : *ml;
}

static void boxplot(const struct mt_run_result *run, const size_t *first, size_t ncell,
		    const struct mt_key_metric *k, double *v, FILE *f)
{
	double lo = INFINITY, hi = -INFINITY;
	struct mt_hscale sc;
	struct mt_svg g;
	size_t any = 0;
	char title[128];
	int ml, mb;

	for (size_t c = 0; c < ncell; c++) {
		size_t n = mt_html_collect(run, run->cells[first[c]].name, k->path, v, run->ncells);

		for (size_t i = 0; i < n; i++) {
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
		any += n;
	}
	if (!any)
		return;
	sc = mt_hscale_pick(mt_hunit_of_path(k->path), hi);
	axis_title(k->title, sc, title, sizeof(title));
	fputs("<div class=\"fig\"><h3>", f);
	mt_html_esc(title, f);
	fputs(" per scenario</h3>\n", f);
	lo = lo > 0 ? 0 : lo / sc.div;
	hi /= sc.div;
	category_margins(run, first, ncell, &ml, &mb);
	mt_svg_begin(&g, f, ml + 12 + 60 * (int)(ncell < 3 ? 3 : ncell), 170 + mb, 0,
		     (double)(ncell < 3 ? 3 : ncell), lo,
		     hi + (hi - lo) * 0.05);
	g.ml = ml;
	g.mb = mb;
	g.no_xticks = 1;
	mt_svg_axes(&g, NULL, title);
	for (size_t c = 0; c < ncell; c++) {
		size_t n = mt_html_collect(run, run->cells[first[c]].name, k->path, v, run->ncells);
		double q[5];

		mt_svg_category(&g, (double)c + 0.5, run->cells[first[c]].name);
		if (!n)
			continue;
		for (size_t i = 0; i < n; i++)
			v[i] /= sc.div;
		qsort(v, n, sizeof(*v), cmp_dbl);
		q[0] = v[0];
		q[1] = mt_percentile(v, n, 25);
		q[2] = mt_percentile(v, n, 50);
		q[3] = mt_percentile(v, n, 75);
		q[4] = v[n - 1];
		mt_svg_box(&g, (double)c + 0.5, 0.3, q, run->cells[first[c]].name);
	}
	mt_svg_end(&g);
	fputs("</div>\n", f);
}

/* Index of cell name among the first[] names, for its colour. */
static size_t scenario_index(const struct mt_run_result *run, const size_t *first, size_t ncell,
			     const char *name)
{
	for (size_t c = 0; c < ncell; c++)
		if (!strcmp(run->cells[first[c]].name, name))
			return c;
	return 0;
}

static int num_of(const struct mt_cell_result *c, const char *path, double *out)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	if (!m || m->kind != MT_METRIC_NUM || !isfinite(m->num))
		return 0;
	*out = m->num;
	return 1;
}

/* Scatter of ypath against transferred bytes over every judged cell × repeat, with the
 * least-squares line of mt_run_fit. */
static void scatter(const struct mt_run_result *run, const size_t *first, size_t ncell,
		    const char *ypath, const char *yname, FILE *f)
{
	static const char xpath[] = "migration.transferred_bytes";
	double xlo = INFINITY, xhi = -INFINITY, yhi = 0, slope = NAN, icpt = NAN, r2 = NAN;
	struct mt_hscale xs, ys;
	char xt[96], yt[128], a[64], b[64], tip[512];
	struct mt_svg g;
	size_t npts = 0, nfit = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		double x, y;

		if (!mt_html_judged(&run->cells[i]) || !num_of(&run->cells[i], xpath, &x) ||
		    !num_of(&run->cells[i], ypath, &y))
			continue;
		xlo = fmin(xlo, x);
		xhi = fmax(xhi, x);
		yhi = fmax(yhi, y);
		npts++;
	}
	if (!npts)
		return;
	mt_run_fit(run, xpath, ypath, &slope, &icpt, &r2, &nfit);
	xs = mt_hscale_pick(MT_HU_BYTES, xhi);
	ys = mt_hscale_pick(mt_hunit_of_path(ypath), yhi);
	axis_title("transferred", xs, xt, sizeof(xt));
	axis_title(yname, ys, yt, sizeof(yt));
	fputs("<div class=\"fig\"><h3>", f);
	mt_html_esc(yname, f);
	fputs(" against transferred bytes</h3>\n", f);
	{
		/* a little room either side of the points; ±10 % when every x is equal */
		double xa = xlo / xs.div, xb = xhi / xs.div, pad = (xb - xa) * 0.08;

		if (!(pad > 0))
			pad = xb > 0 ? xb * 0.1 : 1;
		mt_svg_begin(&g, f, 420, 260, xa - pad > 0 ? xa - pad : 0, xb + pad, 0,
			     yhi > 0 ? yhi / ys.div * 1.08 : 1);
	}
	g.mb = 34;
	g.ml = 64;
	mt_svg_axes(&g, xt, yt);
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		char cls[16];
		double x, y;

		if (!mt_html_judged(c) || !num_of(c, xpath, &x) || !num_of(c, ypath, &y))
			continue;
		mt_hfmt(xpath, x, a, sizeof(a));
		mt_hfmt(ypath, y, b, sizeof(b));
		snprintf(tip, sizeof(tip), "%s #%d: %s, %s", c->name, c->repeat, a, b);
		snprintf(cls, sizeof(cls), "p%zu", scenario_index(run, first, ncell, c->name) % NCOLORS);
		mt_svg_point(&g, x / xs.div, y / ys.div, cls, tip);
	}
	if (nfit >= 2 && isfinite(slope) && isfinite(icpt))
		mt_svg_segment(&g, xlo / xs.div, (slope * xlo + icpt) / ys.div, xhi / xs.div,
			       (slope * xhi + icpt) / ys.div, "fit");
	mt_svg_end(&g);
	/* the slope per display unit of x reads better than per byte */
	fputs("<p class=\"fitnote\">", f);
	if (nfit >= 2 && isfinite(slope)) {
		char s1[64], s2[64], s3[64];

		mt_hfmt_plain(slope * xs.div / ys.div, s1, sizeof(s1));
		mt_hfmt(ypath, icpt, s2, sizeof(s2));
		if (isfinite(r2))
			snprintf(s3, sizeof(s3), "%.2f", r2);
		else
			snprintf(s3, sizeof(s3), "undefined");
		fprintf(f, "least squares over %zu points: %s %s per %s, intercept %s, "
			   "<b>r² = %s</b>", nfit, s1, *ys.sym ? ys.sym : "", xs.sym, s2, s3);
	} else {
		fprintf(f, "%zu point%s: too few for a fit", npts, npts == 1 ? "" : "s");
	}
	fputs("</p></div>\n", f);
}

void mt_html_plots(const struct mt_run_result *run, const size_t *first, size_t ncell, FILE *f)
{
	static const char *const ys[][2] = {
		{ "migration.total_time_ms", "migration time" },
		{ "downtime.hypervisor_downtime_ms", "hypervisor downtime" },
		{ "downtime.guest_stall_ms", "guest stall" },
		{ "downtime.network_outage_ms", "network outage" },
	};
	double *v = malloc(sizeof(double) * (run->ncells + 1));

	if (!v)
		return;
	fputs("<h2 id=\"plots\">Across scenarios</h2>\n<p class=\"legend\">", f);
	for (size_t c = 0; c < ncell; c++) {
		fprintf(f, "<span class=\"c%zu\">● ", c % NCOLORS);
		mt_html_esc(run->cells[first[c]].name, f);
		fputs("</span> ", f);
	}
	fputs("</p>\n<div class=\"figs\">\n", f);
	for (size_t i = 0; i < sizeof(ys) / sizeof(ys[0]); i++)
		scatter(run, first, ncell, ys[i][0], ys[i][1], f);
	fputs("</div>\n<div class=\"figs\">\n", f);
	for (size_t k = 0; k < mt_nkey_metrics; k++)
		if (mt_key_metrics[k].in & MT_KM_PAGE)
			boxplot(run, first, ncell, &mt_key_metrics[k], v, f);
	fputs("</div>\n", f);
	free(v);
}
