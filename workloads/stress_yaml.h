/* stress_yaml.h — reads the `metrics:` block of stress-ng's `--yaml FILE --metrics` report.
 *
 * A line parser, not libyaml, on purpose: stress-ng writes the file with plain fprintf (no YAML
 * emitter), one `key: value` per line at fixed indents, and a run that was killed leaves it
 * truncated — a line parser keeps every complete line before the cut, a YAML parser rejects the
 * whole document. Its odd lines are harmless to a line parser and are skipped: `date-yyyy-mm-dd:
 * 2026:11:25` (colons, a YAML 1.1 sexagesimal number), quoted strings (`version: '#1 SMP ...'`),
 * the `---` / `...` document markers, and `system-info:` keys. Only numeric values inside
 * `metrics:` are kept. Internal to workloads/ (and its unit test).
 */
#ifndef MT_WORKLOADS_STRESS_YAML_H
#define MT_WORKLOADS_STRESS_YAML_H

#include <stddef.h>

#include "migtorture/error.h"

struct mt_sng_metric {
	char stressor[48]; /* "cpu", "vm", "memrate" */
	char key[80];      /* as written: "bogo-ops-per-second-real-time", "write64-mb-per-sec" */
	double value;
};

struct mt_sng_report {
	struct mt_sng_metric *m;
	size_t n, cap;
	size_t nstressors; /* `- stressor:` records seen */
	int complete;      /* the `...` end marker was seen (the run ended normally) */
};

/* Parses text[0..len) (need not be NUL-terminated). A last line without '\n' is ignored (a
 * truncated write). Returns 0 (an empty report is not an error) or MT_ENOMEM. The caller frees
 * with mt_sng_report_free. */
int mt_sng_yaml_parse(const char *text, size_t len, struct mt_sng_report *out,
		      struct mt_error *err);

/* The same from a file; MT_EIO when it cannot be read. */
int mt_sng_yaml_read(const char *path, struct mt_sng_report *out, struct mt_error *err);

/* The value of key for stressor, or NULL. */
const struct mt_sng_metric *mt_sng_find(const struct mt_sng_report *r, const char *stressor,
					const char *key);

/* The result-file name for a stress-ng key: "bogo-ops-per-second-real-time" → "bogo_ops_s_real",
 * "write64-mb-per-sec" → "write64_bytes_s" (stress-ng's MB is 2^20 bytes: *scale = 1048576),
 * anything else with '-' turned into '_' (*scale = 1). Writes into buf. */
void mt_sng_metric_name(const char *key, char *buf, size_t len, double *scale);

void mt_sng_report_free(struct mt_sng_report *r);

#endif
