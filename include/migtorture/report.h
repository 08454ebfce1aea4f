/* migtorture/report.h — renderers of the result model (docs/architecture.md §10: every report
 * is rendered from results.json, so `migtorture report RESULTS.json --format X` works offline).
 *
 * Each renderer writes one whole document to f and returns 0, MT_EIO when writing to f
 * failed, or MT_ENOMEM. They read run only (never libvirt, libnl or the lab) and never close
 * f. Use mt_report_write_file() to write one to a path atomically.
 */
#ifndef MIGTORTURE_REPORT_H
#define MIGTORTURE_REPORT_H

#include <stdio.h>

#include "error.h"
#include "result.h"

typedef int (*mt_report_fn)(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* Canonical results JSON (schema of docs/results.md), pretty-printed, final newline.
 * `report --format json` re-emits a results file through this. */
int mt_report_json(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* JUnit XML for CI (Jenkins, GitLab): one <testsuite> per scenario section, one <testcase>
 * per cell × repeat (classname = section, name = "cell#repeat", time in s). fail →
 * <failure> with each failed threshold, its value and limit; skip (and not-run cells) →
 * <skipped message=reason>; error → <error message=reason>. Text is XML-escaped; control
 * characters and invalid UTF-8 become U+FFFD so the document is always well-formed. */
int mt_report_junit(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* Prometheus / OpenMetrics text for node_exporter's textfile collector. Only the key metrics
 * of each cell (a fixed table in reports/openmetrics.c, the rule in docs/results.md) become
 * gauges migtorture_<path>_<base unit>{section,cell,repeat}, so the series count is bounded
 * (at most 49 per cell and repeat, 2 per run); everything else stays in results.json. Base
 * units: *_ms/_us/_ns/_s → _seconds, *_bytes → _bytes, *_bytes_s → _bytes_per_second,
 * *_bps → _bytes_per_second (÷ 8), *_pct → _ratio (0..1); the unit moves to the end
 * (qos.during.rtt_ms.p99 → migtorture_qos_during_rtt_p99_seconds); a "_count" becomes the
 * plural (stall_count → stalls). Words become migtorture_<path>_info{...,<last component>=
 * "word"} 1. Absent and NaN metrics are left out. Also migtorture_cell_verdict{...,verdict} 1,
 * migtorture_cell_duration_seconds, migtorture_run_exit_status,
 * migtorture_run_finished_timestamp_seconds. Ends with "# EOF". */
int mt_report_openmetrics(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* The run summary `migtorture run` prints at its end (reports/terminal.c): per scenario (job
 * section, in order of appearance) its worst verdict, passed/total repeats and the medians over
 * its pass and fail repeats of migration time, the three downtimes (hypervisor, guest stall,
 * network outage), bytes transferred and packet loss during the migration, in ms/s, MiB and %
 * ("-" when not measured); then the verdict counts and mt_report_verdict's line. Also
 * `migtorture report RESULTS.json --format summary`. */
int mt_report_summary(const struct mt_run_result *run, FILE *f, struct mt_error *err);
/* One line: "verdict: pass, exit status 0 (all thresholds held)" (run -q prints only this). */
int mt_report_verdict(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* One self-contained XHTML file with inline SVG, no network (reports/html.c). */
int mt_report_html(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* `migtorture compare BASE.json NEW.json [--tolerance 10%]` (Rally performance_degradation
 * style): for every cell name and numeric metric present in either run, compares the medians
 * over repeats (skip/error repeats left out) and writes one line per metric to f:
 * cell, metric, base, new, change in %, verdict. Direction comes from the name: lower is
 * better for durations (_ms _s _us _ns), _pct, _bytes, *_count, iterations; higher is better
 * for _bps, _bytes_s, mbps, _ratio; other metrics are listed as "info" and never regress. A change worse
 * than tolerance_pct (e.g. 10 for 10 %) is "regression"; better by more than it "improved";
 * a base of 0 that became worse counts as an unbounded change. Metrics only in one run are
 * "new"/"gone" (not regressions). *regressions receives the count (the CLI exits 1 when > 0).
 * Returns 0, MT_EINVAL (negative or NaN tolerance), MT_ENOMEM or MT_EIO. */
int mt_report_compare(const struct mt_run_result *base, const struct mt_run_result *cur,
		      double tolerance_pct, FILE *f, size_t *regressions, struct mt_error *err);
/* The same comparison as one JSON object (`compare --json`): {"metrics": [{"cell", "metric",
 * "base_median", "new_median", "change_pct", "verdict"}, ...], "compared", "regressions",
 * "tolerance_pct"}; a missing value or change is null, an unbounded change ±1e999. */
int mt_report_compare_json(const struct mt_run_result *base, const struct mt_run_result *cur,
			   double tolerance_pct, FILE *f, size_t *regressions,
			   struct mt_error *err);

/* Markdown: per cell the median ± CI95 of migration time, the three downtimes, bytes and QoS
 * during migration, then fits of downtime and migration time against transferred bytes. */
int mt_report_markdown(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* One HTML page of key metrics across runs (e.g. many nights): runs are sorted in place by
 * start time; per key metric one plot with a line per cell name (median over repeats). */
int mt_report_trend(struct mt_run_result *runs, size_t nruns, FILE *f, struct mt_error *err);

/* Renders run with fn into path atomically: temp file in the same directory, fsync, mode
 * 0644, rename, fsync of the directory. On failure path is untouched. */
int mt_report_write_file(const char *path, mt_report_fn fn, const struct mt_run_result *run,
			 struct mt_error *err);
/* The same with the file's mode given: 0600 for results that name credential files (only root
 * reads them), 0644 otherwise. The mode is set on the temp file, before the rename. */
int mt_report_write_file_mode(const char *path, mt_report_fn fn, const struct mt_run_result *run,
			      mode_t mode, struct mt_error *err);

/* The table of formats `migtorture report --format` knows (reports/render.c). */
struct mt_report_format {
	const char *name;     /* "json", "junit", "openmetrics", "html" */
	const char *summary;
	mt_report_fn render;
};

/* The format named name, or NULL. */
const struct mt_report_format *mt_report_find(const char *name);
/* "json, junit, openmetrics, html, markdown, summary" — for messages. */
const char *mt_report_formats(void);
/* Renders run in format name to path (atomically), or to stdout when path is NULL or "-". */
int mt_report_render(const char *name, const struct mt_run_result *run, const char *path,
		     struct mt_error *err);
/* The same, a file written with mode (see mt_report_write_file_mode). */
int mt_report_render_mode(const char *name, const struct mt_run_result *run, const char *path,
			  mode_t mode, struct mt_error *err);

#endif
