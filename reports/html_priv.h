/* html_priv.h — the parts of the HTML report (reports/html*.c), private to reports/.
 * html.c writes the page in reading order: verdict, per-scenario summary, plots, thresholds,
 * heat map, run facts, then each cell's timeline (docs/results.md "Other renderings"). */
#ifndef MT_REPORTS_HTML_PRIV_H
#define MT_REPORTS_HTML_PRIV_H

#include <stddef.h>
#include <stdio.h>

#include "migtorture/result.h"

/* Writes s XML-escaped (NULL as ""). */
void mt_html_esc(const char *s, FILE *f);

/* Values of metric path over the repeats of the cell named name that measured something
 * (pass or fail verdict); NUM metrics only. Returns how many (at most max). */
size_t mt_html_collect(const struct mt_run_result *run, const char *name, const char *path,
		       double *out, size_t max);

/* Cells that measured something: pass or fail (skip, error and not-run cells may lack the
 * matrix's axes and have no metrics). */
int mt_html_judged(const struct mt_cell_result *c);

/* Box plots of the key metrics per scenario (cell name; first[] indexes the first repeat of
 * each of the ncell names) and scatter plots of migration time and each downtime against
 * transferred bytes with their least-squares lines. */
void mt_html_plots(const struct mt_run_result *run, const size_t *first, size_t ncell, FILE *f);

/* The threshold table: one row per threshold and scenario (worst value, counts), the checks of
 * every resolved path and repeat folded in <details>. */
void mt_html_thresholds(const struct mt_run_result *run, FILE *f);

/* One cell × repeat: verdict, downtimes, timelines with the migration, faults and downtimes
 * drawn where they happened. */
void mt_html_cell(const struct mt_cell_result *c, FILE *f);

#endif
