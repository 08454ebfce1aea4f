/* migtorture/summary.h — statistics over repeats and fits across cells, computed from the
 * result model for reports (HTML tables, seed results, compare; docs/architecture.md §10).
 *
 * Repeats are grouped by cell name. Repeats with verdict skip or error are left out of every
 * statistic (they measured nothing, or nothing trustworthy); so are absent and NaN values,
 * which are counted in nmissing instead.
 */
#ifndef MIGTORTURE_SUMMARY_H
#define MIGTORTURE_SUMMARY_H

#include <stddef.h>

#include "error.h"
#include "result.h"

struct mt_agg_stats {
	size_t n; /* values used */
	double min, median, mean, stddev, p95, max;
	double ci95; /* half-width of the 95 % CI of the mean (Student t); NAN when n < 2 */
};

struct mt_metric_summary {
	char *path;        /* numeric metric path */
	size_t nmissing;   /* judged repeats without a value (absent, missing, NaN) */
	struct mt_agg_stats s;
};

struct mt_cell_summary {
	char *name;
	char *section;     /* of the first repeat, or NULL */
	size_t repeats;    /* all repeats, whatever their verdict */
	size_t pass, fail, skip, error;
	struct mt_metric_summary *metrics; /* in order of first appearance */
	size_t nmetrics;
};

struct mt_run_summary {
	struct mt_cell_summary *cells; /* in order of first appearance */
	size_t ncells;
};

/* Fills out (zeroed by the caller) with the statistics of v[0..n) (NaN entries skipped). */
void mt_agg_stats_of(const double *v, size_t n, struct mt_agg_stats *out);

/* Summarises run into *out (zeroed by the caller; freed with mt_run_summary_free, also on
 * failure). Returns 0 or MT_ENOMEM. */
int mt_run_summarise(const struct mt_run_result *run, struct mt_run_summary *out,
		     struct mt_error *err);
void mt_run_summary_free(struct mt_run_summary *s);

/* Least-squares fit of metric ypath against metric xpath over every judged cell × repeat that
 * has both as numbers (the seed question: downtime or total time against transferred bytes).
 * Sets slope (y unit per x unit), intercept, r² (NAN when undefined) and *npoints.
 * Returns 0, or MT_EINVAL for NULL arguments. */
int mt_run_fit(const struct mt_run_result *run, const char *xpath, const char *ypath,
	       double *slope, double *intercept, double *r2, size_t *npoints);

#endif
