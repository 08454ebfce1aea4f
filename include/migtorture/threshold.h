/* migtorture/threshold.h — pass/fail thresholds over a run's metrics (docs/architecture.md §9).
 *
 * Grammar (one expression):   METRIC[.AGG] OP VALUE
 *   METRIC  dotted metric path (docs/architecture.md §8), e.g. migration.total_time_ms or
 *           qos.during.loss_pct.
 *           A name that is not a full path matches every metric whose path ENDS with it at a
 *           component boundary: "loss_pct" checks qos.baseline.loss_pct, qos.during.loss_pct
 *           and qos.after.loss_pct (each must hold); "during.loss_pct" only the middle one.
 *           An exact full path always wins over suffix matches.
 *   AGG     median | mean | p95 | max | min — aggregated over the repeats of the same cell name.
 *           Without AGG every repeat is judged on its own value. When METRIC.AGG is itself an
 *           existing metric path (e.g. qos.during.rtt_ms.max is a per-repeat metric), it is
 *           that metric; write qos.during.rtt_ms.max.max to aggregate it over repeats.
 *   OP      <= < >= > == !=
 *   VALUE   a number, optionally with a unit converted to the metric's unit, which is taken
 *           from the suffix of its last unit-carrying component:
 *             _ns _us _ms _s   durations: ns us ms s m (minutes) h; "1s" on an _ms metric = 1000
 *             _pct             "2%" or 2
 *             _bytes           B K KB KiB M MB MiB G GB GiB T TB TiB (all powers of 1024, the
 *                              fio habit of units.h)
 *             _bps             bit rates: bit bps bit/s with k K M G T prefixes (powers of 1000)
 *           A bare number is in the metric's own unit. Metrics without a unit suffix
 *           (iterations, *_pages_s, *_ratio, ...) take bare numbers only.
 *           Or a word for string metrics, with == or != only: memory_integrity == ok.
 *
 * Evaluation: a threshold on a metric a cell did not produce, or produced as absent, is an
 * ERROR for that cell — never a pass. Cell verdict: any check that could not be evaluated →
 * error; else any failed → fail; else pass. Cells already skip/error are left alone and are
 * not part of aggregates.
 */
#ifndef MIGTORTURE_THRESHOLD_H
#define MIGTORTURE_THRESHOLD_H

#include <stddef.h>

#include "error.h"
#include "result.h"

#define MT_THRESHOLD_LEN 256

enum mt_agg { MT_AGG_NONE = 0, MT_AGG_MEDIAN, MT_AGG_MEAN, MT_AGG_P95, MT_AGG_MAX, MT_AGG_MIN };
enum mt_cmp { MT_CMP_LE, MT_CMP_LT, MT_CMP_GE, MT_CMP_GT, MT_CMP_EQ, MT_CMP_NE };
/* MT_UNIT_BYTE_RATE: `_bytes_s` keys (bytes/s), limits written as sizes per second. */
enum mt_unit_class {
	MT_UNIT_NONE = 0, MT_UNIT_TIME, MT_UNIT_PCT, MT_UNIT_BYTES, MT_UNIT_BPS, MT_UNIT_BYTE_RATE
};

struct mt_threshold {
	char expr[MT_THRESHOLD_LEN];  /* as written, trimmed */
	char full[MT_THRESHOLD_LEN];  /* METRIC[.AGG] as written */
	char path[MT_THRESHOLD_LEN];  /* METRIC without the aggregation (== full when agg NONE) */
	enum mt_agg agg;
	enum mt_cmp op;
	enum mt_unit_class unit_class;
	const char *unit;             /* display name of the metric's unit: "ms", "%", "" ... */
	int is_word;                  /* compares a string metric with word */
	double value;                 /* the limit in the metric's unit (NAN for words) */
	char word[MT_THRESHOLD_LEN];
};

/* Parses one expression into *out (no allocation). Returns 0, or MT_EINVAL with err saying
 * what was expected where, e.g. "threshold 'x <= 1q': value '1q' for x_ms: expected a
 * duration like 250ms or 1s". The caller prefixes file:line. */
int mt_threshold_parse(const char *expr, struct mt_threshold *out, struct mt_error *err);

/* Parses "EXPR, EXPR, ..." (a scenario's threshold = line). On success *out is a malloc'd
 * array of *n thresholds the caller frees with free(); on failure nothing is allocated. */
int mt_threshold_parse_list(const char *text, struct mt_threshold **out, size_t *n,
			    struct mt_error *err);

/* Evaluates thresholds t[0..n) for the cells of run whose section equals section (all cells
 * when section is NULL), grouping repeats by cell name. Adds one mt_check per (threshold,
 * matched metric) to each judged cell and sets its verdict (pass/fail/error) and reason.
 * Returns 0 or MT_ENOMEM; threshold failures are verdicts, not errors. */
int mt_threshold_evaluate(struct mt_run_result *run, const char *section,
			  const struct mt_threshold *t, size_t n, struct mt_error *err);

/* Sets run->verdict and run->exit_status from the cell verdicts (docs/architecture.md §9) and
 * returns the exit status: no cells or all skipped → 4 (skip); any error → 3; any fail → 1;
 * else 0. Cells with verdict none (not judged) count as neither pass nor fail. */
int mt_run_update_verdict(struct mt_run_result *run);

/* Evaluates thresholds t[0..n) over one group: the repeats g[0..ng) of one cell name (the
 * runner's unit: a cell's thresholds come from its section and axes). Reorders g so that the
 * judged repeats come first. Returns 0, MT_EINVAL or MT_ENOMEM. */
int mt_threshold_evaluate_group(struct mt_cell_result **g, size_t ng,
				const struct mt_threshold *t, size_t n, struct mt_error *err);

const char *mt_agg_name(enum mt_agg a); /* "median", ..., "" for NONE */
const char *mt_cmp_name(enum mt_cmp op); /* "<=", ... */

#endif
