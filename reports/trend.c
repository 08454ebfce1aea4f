/* trend.c — one HTML page of key metrics across many runs (nights), oldest to newest.
 *
 * For each key metric, one plot with a line per cell name: the median over that run's
 * repeats, x = the run's index in start-time order (dates listed below the plot), and each
 * run's verdict in a table. Reads the result model only; the CLI collects the files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migtorture/report.h"
#include "migtorture/stats.h"
#include "keymetrics.h"
#include "svg.h"
#include "units_fmt.h"

/* "migration time (ms)": a key metric's title with the unit its values are plotted in (raw, as
 * results.json holds them: the axis spans nights of different magnitudes). */
static void trend_title(const struct mt_key_metric *k, char *buf, size_t len)
{
	static const char *const unit[] = { [MT_HU_MS] = "ms", [MT_HU_BYTES] = "bytes",
					     [MT_HU_BPS] = "bit/s", [MT_HU_MBPS] = "Mbit/s",
					     [MT_HU_PCT] = "%" };
	enum mt_hunit u = mt_hunit_of_path(k->path);

	if ((size_t)u < sizeof(unit) / sizeof(unit[0]) && unit[u])
		snprintf(buf, len, "%s (%s)", k->title, unit[u]);
	else
		snprintf(buf, len, "%s", k->title);
}

static int by_start(const void *a, const void *b)
{
	const struct mt_run_result *x = a, *y = b;

	return (x->started_wall_ns > y->started_wall_ns) - (x->started_wall_ns < y->started_wall_ns);
}

static double run_median(const struct mt_run_result *r, const char *cell, const char *path)
{
	double v[256];
	size_t n = 0;

	for (size_t i = 0; i < r->ncells && n < 256; i++) {
		const struct mt_metric *m;

		if (strcmp(r->cells[i].name, cell))
			continue;
		m = mt_cell_metric(&r->cells[i], path);
		if (m && m->kind == MT_METRIC_NUM && isfinite(m->num))
			v[n++] = m->num;
	}
	return n ? mt_percentile(v, n, 50) : NAN;
}

/* Distinct cell names over all runs, in first-seen order (pointers into the runs). */
static size_t cell_names(const struct mt_run_result *runs, size_t nruns, const char ***out)
{
	const char **names = NULL;
	size_t n = 0, cap = 0;

	for (size_t r = 0; r < nruns; r++)
		for (size_t i = 0; i < runs[r].ncells; i++) {
			const char *nm = runs[r].cells[i].name;
			size_t j;

			for (j = 0; j < n && strcmp(names[j], nm); j++)
				;
			if (j < n)
				continue;
			if (n == cap) {
				const char **g = realloc(names, (cap ? cap * 2 : 16) * sizeof(*g));

				if (!g) {
					free(names);
					*out = NULL;
					return 0;
				}
				names = g;
				cap = cap ? cap * 2 : 16;
			}
			names[n++] = nm;
		}
	*out = names;
	return n;
}

int mt_report_trend(struct mt_run_result *runs, size_t nruns, FILE *f, struct mt_error *err)
{
	static const char *const colors[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
					      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" };
	const char **names = NULL;
	size_t nnames;
	double *x = NULL, *y = NULL;

	qsort(runs, nruns, sizeof(*runs), by_start);
	nnames = cell_names(runs, nruns, &names);
	x = malloc(sizeof(double) * (nruns + 1));
	y = malloc(sizeof(double) * (nruns + 1));
	if (!x || !y || (nnames && !names)) {
		free(x);
		free(y);
		free(names);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n<html xmlns=\""
	      "http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"UTF-8\"/>"
	      "<title>migtorture trend</title><style>body{font:14px sans-serif;margin:1.5em}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
	      ".frame{fill:none;stroke:#999}.grid{stroke:#eee}.tick{font-size:10px;fill:#555}"
	      ".label{font-size:11px}.pass{color:#080}.fail,.error{color:#c00}.skip{color:#888}"
	      ".trend{fill:none;stroke-width:1.5}"
	      "</style></head><body>\n", f);
	fprintf(f, "<h1>migtorture trend: %zu runs</h1>\n<table><tr><th>#</th><th>started</th>"
		   "<th>scenario</th><th>verdict</th><th>cells</th></tr>\n", nruns);
	for (size_t r = 0; r < nruns; r++) {
		time_t t = (time_t)(runs[r].started_wall_ns / 1000000000LL);
		char when[40] = "-";
		struct tm tm;
		const char *v = mt_verdict_name(runs[r].verdict);

		if (runs[r].started_wall_ns > 0 && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		fprintf(f, "<tr><td>%zu</td><td>%s</td><td>", r + 1, when);
		mt_xml_escape(runs[r].scenario_path, f);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>%zu</td></tr>\n", v, v, runs[r].ncells);
	}
	fputs("</table>\n", f);
	for (size_t k = 0; k < mt_nkey_metrics; k++) {
		const struct mt_key_metric *km = &mt_key_metrics[k];
		char title[128];
		double hi = 0;
		int any = 0;
		struct mt_svg g;

		if (!(km->in & MT_KM_TREND))
			continue;
		trend_title(km, title, sizeof(title));
		for (size_t c = 0; c < nnames; c++)
			for (size_t r = 0; r < nruns; r++) {
				double v = run_median(&runs[r], names[c], km->path);

				if (isfinite(v)) {
					hi = fmax(hi, v);
					any = 1;
				}
			}
		if (!any)
			continue;
		fputs("<h2>", f);
		mt_xml_escape(title, f);
		fputs("</h2>\n", f);
		mt_svg_begin(&g, f, 900, 240, 0.5, (double)nruns + 0.5, 0, hi * 1.05);
		mt_svg_axes(&g, "run (table above)", title);
		for (size_t c = 0; c < nnames; c++) {
			for (size_t r = 0; r < nruns; r++) {
				x[r] = (double)r + 1;
				y[r] = run_median(&runs[r], names[c], km->path);
			}
			fprintf(f, "<g style=\"stroke:%s\">", colors[c % 8]);
			mt_svg_polyline(&g, x, y, nruns, "trend");
			fputs("</g>\n", f);
		}
		mt_svg_end(&g);
		fputs("<p>", f);
		for (size_t c = 0; c < nnames; c++) {
			fprintf(f, "<span style=\"color:%s\">■ ", colors[c % 8]);
			mt_xml_escape(names[c], f);
			fputs("</span> ", f);
		}
		fputs("</p>\n", f);
	}
	fputs("</body></html>\n", f);
	free(x);
	free(y);
	free(names);
	if (ferror(f))
		return mt_err(err, MT_EIO, "writing the trend report failed");
	return 0;
}
