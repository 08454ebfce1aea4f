/* migtorture/result.h — the result model: the single source every report is rendered from.
 *
 * A run holds cells; a cell holds its verdict, the executed timeline, metrics and series.
 * Metric paths are dotted and carry their unit in the last component (docs/architecture.md §8):
 *   "migration.total_time_ms", "qos.during.rtt_ms.p99", "downtime.guest_stall_ms".
 * A metric that could not be measured is ABSENT with a reason — never a zero.
 * JSON (json.c) nests the path: {"migration":{"total_time_ms":812.0}}; absent metrics are
 * {"absent":"reason"}. Series are {"unit":..,"t_ns":[..],"v":[..]} under "series".
 */
#ifndef MIGTORTURE_RESULT_H
#define MIGTORTURE_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* mode_t */

#include "error.h"

#define MT_RESULT_SCHEMA_VERSION 1

enum mt_verdict {
	MT_VERDICT_NONE = 0, /* not run (yet) */
	MT_VERDICT_PASS,
	MT_VERDICT_FAIL,  /* a threshold failed */
	MT_VERDICT_SKIP,  /* not possible here; reason says why */
	MT_VERDICT_ERROR, /* infrastructure failed; reason is one line */
};
const char *mt_verdict_name(enum mt_verdict v); /* "pass", "fail", "skip", "error", "none" */
int mt_verdict_parse(const char *s, enum mt_verdict *v);

enum mt_metric_kind { MT_METRIC_NUM, MT_METRIC_STR, MT_METRIC_ABSENT };

struct mt_metric {
	char *path;               /* dotted, unit in the last component */
	enum mt_metric_kind kind;
	double num;               /* NUM */
	char *str;                /* STR: the value; ABSENT: the reason */
};

struct mt_series {
	char *name;   /* e.g. "probe.udp.rtt_ms", "migration.remaining_bytes" */
	char *unit;   /* "ms", "bytes", "bit/s", "pages/s", ... */
	size_t n, cap;
	int64_t *t_ns; /* monotonic ns since the cell's t0 (end of nothing: t0 = cell start) */
	double *v;     /* NAN marks a lost sample */
};

/* One executed timeline event. */
struct mt_event_rec {
	int64_t planned_ns; /* offset in the plan, since cell start */
	int64_t actual_ns;  /* when it ran, since cell start */
	char *what;         /* "fault.on netem", "migrate.start", "phase during", ... */
	char *detail;       /* free text (e.g. the spec text, or the error) or NULL */
	int rc;             /* 0 or MT_E* */
	/* Anchored on a migration phase ("hop0.switchover"; NULL: not anchored): when the phase
	 * was measured and when the action took effect, since cell start (-1: never came). */
	char *anchor;
	int64_t anchor_ns, effect_ns;
};

/* One threshold check (filled by mt_threshold_evaluate, threshold.h). */
struct mt_check {
	char *expr;   /* as written */
	int held;     /* 1 held, 0 failed, -1 could not be evaluated (error) */
	double value; /* the measured value (NAN if none) */
	double limit; /* in base units of the metric */
	char *why;    /* failure text, or NULL */
};

struct mt_kv {
	char *key;
	char *val;
};

struct mt_cell_result {
	char *name;      /* unique cell name, e.g. "offline-video/fault=netem delay=20ms" */
	char *section;   /* the scenario section it came from */
	struct mt_kv *axes; size_t naxes; /* axis key → value text */
	int repeat;      /* 0-based repeat index */
	uint64_t seed;
	enum mt_verdict verdict;
	char *reason;    /* for skip/error/fail: one line */
	int64_t started_wall_ns;
	int64_t duration_ns;
	struct mt_event_rec *events; size_t nevents, capevents;
	struct mt_metric *metrics; size_t nmetrics, capmetrics;
	struct mt_series *series; size_t nseries, capseries;
	struct mt_check *checks; size_t nchecks, capchecks;
};

struct mt_run_result {
	int schema_version;
	char *tool_version;
	char *run_id;          /* unique per run (also in the journal) */
	struct mt_kv *facts; size_t nfacts; /* host facts: hostname, kernel, qemu, libvirt, ... */
	char *scenario_path;
	char *scenario_sha256;
	uint64_t seed;
	char *shard;           /* "I/N" or NULL */
	int64_t started_wall_ns, finished_wall_ns;
	struct mt_cell_result *cells; size_t ncells, capcells;
	enum mt_verdict verdict; /* of the whole run */
	int exit_status;         /* what the command exited with (MT_EXIT_*) */
	int interrupted;         /* 1 when cut short by a signal: partial results */
};

/* --- building (suite/result.c) ---
 * Each returns 0, MT_ENOMEM, or MT_EINVAL for a NULL argument or a metric path JSON cannot
 * nest (empty component, a component named "absent", or a path that is a component prefix of
 * another, like "a.b" next to "a.b.c"). Strings are copied; set_* replace an existing path,
 * add_fact/add_axis an existing key. Pointer stability: a cell pointer is valid until the next
 * mt_run_add_cell on that run, a series pointer until the next NEW series in that cell. */
struct mt_cell_result *mt_run_add_cell(struct mt_run_result *run, const char *name);
int mt_run_add_fact(struct mt_run_result *run, const char *key, const char *val);
int mt_cell_set_num(struct mt_cell_result *c, const char *path, double v);
int mt_cell_set_str(struct mt_cell_result *c, const char *path, const char *s);
int mt_cell_set_absent(struct mt_cell_result *c, const char *path, const char *reason);
/* Removes the metric at path: 1 when there was one, else 0. */
int mt_cell_unset(struct mt_cell_result *c, const char *path);
const struct mt_metric *mt_cell_metric(const struct mt_cell_result *c, const char *path);
int mt_cell_add_axis(struct mt_cell_result *c, const char *key, const char *val);
int mt_cell_add_event(struct mt_cell_result *c, int64_t planned_ns, int64_t actual_ns,
		      const char *what, const char *detail, int rc);
/* Marks the event added last as anchored on anchor (see struct mt_event_rec). */
int mt_cell_event_anchor(struct mt_cell_result *c, const char *anchor, int64_t anchor_ns,
			 int64_t effect_ns);
/* Returns the series named name (creating it with unit), or NULL on ENOMEM. */
struct mt_series *mt_cell_series(struct mt_cell_result *c, const char *name, const char *unit);
int mt_series_add(struct mt_series *s, int64_t t_ns, double v);
int mt_cell_add_check(struct mt_cell_result *c, const char *expr, int held, double value,
		      double limit, const char *why);
/* Sets verdict and reason (reason may be NULL). */
int mt_cell_set_verdict(struct mt_cell_result *c, enum mt_verdict v, const char *reason);

/* Copies every metric, series and event of src into dst: metric paths and series names with
 * prefix in front ("vm.web2." + "migration.total_time_ms"), events with tag at the head of
 * their detail ("web2: ..."), their kind (what) and anchors unchanged. src is not changed.
 * 0, MT_ENOMEM, or MT_EINVAL (NULL argument, dst == src, or a prefixed path dst refuses). */
/* The path prefix of one VM's figures in a cell of several: "vm.NAME." with every '.' of the
 * name as '_' (a path's components are split at dots; "web.example" → "vm.web_example."),
 * written into buf (truncated to len); returns buf. */
char *mt_vm_prefix(const char *vm, char *buf, size_t len);

int mt_cell_absorb(struct mt_cell_result *dst, const struct mt_cell_result *src,
		   const char *prefix, const char *tag);

void mt_run_result_free(struct mt_run_result *run); /* frees members, not run */

/* Moves every cell of src to the end of dst (joining shards for `migtorture report A B`);
 * src keeps its other members and has no cells afterwards. dst's facts, ids and times are
 * kept; the caller recomputes the verdict (mt_run_update_verdict, threshold.h) if needed.
 * Returns 0, MT_EINVAL or MT_ENOMEM (then nothing moved). */
int mt_run_merge(struct mt_run_result *dst, struct mt_run_result *src);

/* --- JSON (reports/json.c) --- */
/* Serialises run to JSON text (malloc'd, pretty when pretty != 0). */
char *mt_result_to_json(const struct mt_run_result *run, int pretty);
/* Parses JSON text into run (zeroed by the caller). Refuses other schema versions. */
int mt_result_from_json(const char *text, struct mt_run_result *run, struct mt_error *err);
int mt_result_read_file(const char *path, struct mt_run_result *run, struct mt_error *err);
/* Writes to path atomically (temp file in the same directory, fsync, rename). */
int mt_result_write_file(const struct mt_run_result *run, const char *path,
			 struct mt_error *err);
/* The same with the file's mode (0600 when the run names credential files; mode 0644 above). */
int mt_result_write_file_mode(const struct mt_run_result *run, const char *path, mode_t mode,
			      struct mt_error *err);

#endif
