/* migtorture/compare.h — comparing two results files (regression gate). */
#ifndef MIGTORTURE_COMPARE_H
#define MIGTORTURE_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "result.h"

struct mt_compare_opts {
	double tolerance_pct;    /* worse by more than this percent of the base → regression */
	double abs_floor;        /* ... and by more than this absolute amount (metric's unit) */
	const char *metric_glob; /* compare only metric paths matching (fnmatch), or NULL */
	int all_rows;            /* print unchanged metrics too */
};

struct mt_compare_counts {
	size_t compared, regressions, improvements, new_cells, missing_cells;
};

/* Compares the medians over repeats of every metric of every cell name present in both runs,
 * prints one row per change to f, fills counts. Returns 0 or MT_ENOMEM. */
int mt_compare(const struct mt_run_result *base, const struct mt_run_result *cur,
	       const struct mt_compare_opts *o, FILE *f, struct mt_compare_counts *counts,
	       struct mt_error *err);

#endif
