/* html_thresholds.c — the HTML report's threshold table, grouped for a reader.
 *
 * A bare threshold name matches every metric path ending with it, so one line of a scenario
 * can become dozens of checks per cell (12 outage paths × 15 cells). The reader wants one row
 * per threshold and scenario: the worst value, how many checks held, failed or could not be
 * evaluated; the per-path, per-repeat checks stay available, folded in <details>.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html_priv.h"
#include "units_fmt.h"

struct group {
	const char *expr;  /* threshold text (first check's) */
	size_t elen;       /* its length without the " [resolved.path]" suffix */
	const char *cell;  /* cell name (the scenario) */
	size_t held, failed, error;
	const struct mt_check *worst;
	const char *worst_path; /* metric path the worst check measured, for its unit */
};

static size_t base_len(const char *expr)
{
	const char *b = strstr(expr, " [");

	return b ? (size_t)(b - expr) : strlen(expr);
}

/* +1 when larger values are worse (x <= limit), -1 when smaller are (x >= limit), 0 else. */
static int worse_dir(const char *expr)
{
	if (strchr(expr, '<'))
		return 1;
	if (strchr(expr, '>'))
		return -1;
	return 0;
}

/* Whether check b is worse than the current worst a. */
static int worse(const struct mt_check *a, const struct mt_check *b, int dir)
{
	int ra, rb;

	if (!a)
		return 1;
	/* failed beats not evaluated beats held */
	ra = a->held == 0 ? 2 : a->held < 0 ? 1 : 0;
	rb = b->held == 0 ? 2 : b->held < 0 ? 1 : 0;

	if (ra != rb)
		return rb > ra;
	if (!isfinite(a->value))
		return isfinite(b->value);
	if (!isfinite(b->value))
		return 0;
	return dir > 0 ? b->value > a->value : dir < 0 ? b->value < a->value : 0;
}

static void value_cell(const char *path, double v, FILE *f)
{
	char buf[96];

	mt_hfmt(path, v, buf, sizeof(buf));
	fputs("<td class=\"n\">", f);
	mt_html_esc(buf, f);
	fputs("</td>", f);
}

static const char *result_class(int held)
{
	return held > 0 ? "pass" : held == 0 ? "fail" : "error";
}

/* The folded per-check rows of group g. */
static void detail_rows(const struct mt_run_result *run, const struct group *g, FILE *f)
{
	fprintf(f, "<tr class=\"thd\"><td colspan=\"7\"><details><summary>%zu checks "
		   "(every matched path and repeat)</summary>\n<table><tr><th>repeat</th>"
		   "<th>threshold [path]</th><th>value</th><th>limit</th><th>result</th></tr>\n",
		g->held + g->failed + g->error);
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (strcmp(c->name, g->cell))
			continue;
		for (size_t j = 0; j < c->nchecks; j++) {
			const struct mt_check *k = &c->checks[j];
			char path[256];

			if (!k->expr || base_len(k->expr) != g->elen ||
			    strncmp(k->expr, g->expr, g->elen))
				continue;
			mt_check_metric_path(k->expr, path, sizeof(path));
			fprintf(f, "<tr><td class=\"n\">%d</td><td>", c->repeat);
			mt_html_esc(k->expr, f);
			fputs("</td>", f);
			value_cell(path, k->value, f);
			value_cell(path, k->limit, f);
			fprintf(f, "<td class=\"%s\">%s", result_class(k->held),
				result_class(k->held));
			if (k->why) {
				fputs(": ", f);
				mt_html_esc(k->why, f);
			}
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table></details></td></tr>\n", f);
}

/* The threshold text of g without the resolved-path suffix. */
static void expr_base(const struct group *g, FILE *f)
{
	char *e = strndup(g->expr, g->elen);

	mt_html_esc(e ? e : g->expr, f);
	free(e);
}

static int group_rank(const struct group *g)
{
	return g->failed ? 0 : g->error ? 1 : 2;
}

void mt_html_thresholds(const struct mt_run_result *run, FILE *f)
{
	struct group *gs = NULL;
	size_t ng = 0, total = 0;

	for (size_t i = 0; i < run->ncells; i++)
		total += run->cells[i].nchecks;
	fputs("<h2 id=\"thresholds\">Thresholds</h2>\n", f);
	if (!total) {
		fputs("<p>No thresholds were evaluated.</p>\n", f);
		return;
	}
	gs = calloc(total, sizeof(*gs));
	if (!gs) {
		fputs("<p>Out of memory.</p>\n", f);
		return;
	}
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		for (size_t j = 0; j < c->nchecks; j++) {
			const struct mt_check *k = &c->checks[j];
			size_t len, g;

			if (!k->expr)
				continue;
			len = base_len(k->expr);
			for (g = 0; g < ng; g++)
				if (gs[g].elen == len && !strncmp(gs[g].expr, k->expr, len) &&
				    !strcmp(gs[g].cell, c->name))
					break;
			if (g == ng) {
				gs[ng].expr = k->expr;
				gs[ng].elen = len;
				gs[ng].cell = c->name;
				ng++;
			}
			if (k->held > 0)
				gs[g].held++;
			else if (k->held == 0)
				gs[g].failed++;
			else
				gs[g].error++;
			if (worse(gs[g].worst, k, worse_dir(k->expr)))
				gs[g].worst = k;
		}
	}
	fprintf(f, "<p>%zu checks, grouped into %zu rows: one per threshold and scenario, failures "
		   "first. Each row's checks (every metric path a short name matched, every repeat) "
		   "unfold below it.</p>\n", total, ng);
	fputs("<table class=\"thr\"><tr><th>scenario</th><th>threshold</th><th>worst value</th>"
	      "<th>limit</th><th>held</th><th>failed</th><th>not evaluated</th></tr>\n", f);
	for (int rank = 0; rank < 3; rank++)
		for (size_t g = 0; g < ng; g++) {
			char path[256];

			if (group_rank(&gs[g]) != rank)
				continue;
			mt_check_metric_path(gs[g].worst->expr, path, sizeof(path));
			/* only the threshold is coloured: a table of green rows hides the red one */
			fputs("<tr class=\"thr\"><td>", f);
			mt_html_esc(gs[g].cell, f);
			fprintf(f, "</td><td class=\"%s\">",
				result_class(gs[g].failed ? 0 : gs[g].error ? -1 : 1));
			expr_base(&gs[g], f);
			fputs("</td>", f);
			value_cell(path, gs[g].worst->value, f);
			value_cell(path, gs[g].worst->limit, f);
			fprintf(f, "<td class=\"n\">%zu</td><td class=\"n%s\">%zu</td>"
				   "<td class=\"n%s\">%zu</td></tr>\n",
				gs[g].held, gs[g].failed ? " fail" : "", gs[g].failed,
				gs[g].error ? " error" : "", gs[g].error);
			detail_rows(run, &gs[g], f);
		}
	fputs("</table>\n", f);
	free(gs);
}
