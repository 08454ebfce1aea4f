/* migtorture/scenario.h — scenario files (fio-like INI via libinih), the matrix, the plan.
 *
 * File format (docs/architecture.md §3; every key in docs/scenario-reference.md, generated from
 * the tables):
 *   [global]            defaults inherited by every job section
 *   [NAME]              a job section (e.g. [offline-video]); at least one, or [global] alone
 *                       makes one cell set named "global"
 *   [matrix] / [faults] axes crossed with every job section
 *   [host:NAME]         a host definition (kind=local netns=... | kind=ssh address=...)
 * A value `a | b | c` of an axis-capable key (MT_OPTF_AXIS) makes an axis; cells are the product
 * of all axes, in file order (first axis varies slowest). A spec value (workload, probe, stress,
 * fault) is `KIND key=value ... [at=WHEN] [for=WHEN] [host=NAME]`, `none`, or several joined
 * by ` + `; WHEN is a duration or a migration phase, `hopN.PHASE[+DUR]` (struct mt_phase_ref). Keys named `migrate.*` other than the core ones go to the chosen driver's table.
 *
 * Timeline of a cell (monotonic, t = 0 at cell start):
 *   0                probes start, then workloads/stress (at= delays them)
 *   warmup + at      each fault on (at= relative to the end of warm-up); off at +for
 *   warmup + migrate.at          migration hop 0 starts; hop k+1 starts migrate.interval after
 *                                hop k completed (migrate.count hops, ping-pong)
 *   hop N reaches PHASE + off    what has at=/for= hopN.PHASE+off (measured, not predicted)
 *   last hop done + cooldown     workloads stop, probes stop, open faults undone, cell ends
 * Events at the same instant run in this order (then in declaration order):
 *   phase marks, fault off, probe start, workload start, fault on, migration start,
 *   workload stop, probe stop, cell end.
 */
#ifndef MIGTORTURE_SCENARIO_H
#define MIGTORTURE_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "host.h"
#include "option.h"
#include "result.h"

struct mt_plugin;
struct mt_driver_ops;

enum mt_spec_class { MT_SPEC_WORKLOAD, MT_SPEC_STRESS, MT_SPEC_PROBE, MT_SPEC_FAULT };

/* The phases of a migration hop an event can be anchored on (docs/anchors.md): the hop
 * starts; pre-copy pass K begins; the memory left to copy falls to SIZE; the source stops for
 * the final copy (or the post-copy switch); post-copy begins; the hop ends. */
enum mt_hop_phase {
	MT_PHASE_START = 0,
	MT_PHASE_ITERATION,  /* arg: the pass K (libvirt counts the first pass as 1) */
	MT_PHASE_REMAINING,  /* arg: bytes; reached when the job reports remaining <= arg */
	MT_PHASE_SWITCHOVER,
	MT_PHASE_POSTCOPY,
	MT_PHASE_DONE,
};
#define MT_HOP_ALL (-1) /* hop*: the anchor repeats on every hop */

/* A spec's at= or for= given as a migration phase: "hop0.switchover+20ms". */
struct mt_phase_ref {
	int set;                 /* 0: at=/for= is a plain duration */
	int hop;                 /* 0, 1, ... or MT_HOP_ALL */
	enum mt_hop_phase phase;
	double arg;              /* ITERATION: K; REMAINING: bytes; else 0 */
	int64_t offset_ns;       /* >= 0: after the phase is reached */
};

/* "switchover", ...; NULL for a value out of range. */
const char *mt_hop_phase_name(enum mt_hop_phase p);
/* Parses "hopN.PHASE[=K|<=SIZE][+DUR]" into r (set = 1). Returns 0, or MT_EINVAL with what
 * was expected in why. */
int mt_phase_parse(const char *s, struct mt_phase_ref *r, char *why, size_t whylen);
/* Formats r for hop (a concrete hop, or r->hop): "hop0.remaining<=64MiB+20ms". */
void mt_phase_format(const struct mt_phase_ref *r, int hop, char *buf, size_t len);

/* One plugin instance: "netem delay=20ms loss=1% at=0s for=30s host=router". */
struct mt_spec {
	enum mt_spec_class cls;
	char *text;          /* as written (normalised whitespace) */
	char *kind;          /* plugin name */
	const struct mt_plugin *ops; /* the registry's plugin (its ops by cls: mt_fault_of,
				      * mt_workload_of in plugin.h); NULL when unknown */
	struct mt_params params; /* the plugin's own keys, base units */
	int64_t at_ns;       /* start offset (faults: after warm-up; others: after cell start) */
	int64_t for_ns;      /* duration, or -1: until the cell ends */
	struct mt_phase_ref at_phase;  /* set: at= is a migration phase (at_ns unused) */
	struct mt_phase_ref for_phase; /* set: it lasts until that phase (for_ns unused) */
	char *host;          /* host name ("local" when not given) */
	char *vm;            /* vm=: the domain it serves in a cell of several, or NULL */
	int line;            /* where it was written */
};

/* Timeline events (planned). */
enum mt_tl_kind {
	MT_TL_PHASE = 0,      /* phase mark: "baseline", "during", "after" (detail in label) */
	MT_TL_FAULT_OFF = 1,
	MT_TL_PROBE_START = 2,
	MT_TL_WORKLOAD_START = 3, /* workloads and stress */
	MT_TL_FAULT_ON = 4,
	MT_TL_MIGRATE_START = 5,
	MT_TL_WORKLOAD_STOP = 6,
	MT_TL_PROBE_STOP = 7,
	MT_TL_CELL_END = 8,
};
const char *mt_tl_kind_name(enum mt_tl_kind k); /* "fault.on", "migrate.start", ... */

enum mt_tl_anchor {
	MT_ANCHOR_START = 0,     /* offset from cell start */
	MT_ANCHOR_MIGRATED = 1,  /* offset from the completion of the last migration hop */
	MT_ANCHOR_HOP_DONE = 2,  /* offset from the completion of hop (hop - 1) */
	MT_ANCHOR_PHASE = 3,     /* offset from a migration phase of hop `hop` (phase, arg) */
};

struct mt_tl_event {
	enum mt_tl_anchor anchor;
	int64_t offset_ns;
	enum mt_tl_kind kind;
	int spec;   /* index into cell->specs, or -1 */
	int hop;    /* MIGRATE_START, HOP_DONE and PHASE anchors: hop number; else -1 */
	char *label;
	enum mt_hop_phase phase; /* MT_ANCHOR_PHASE: which phase, and its K or SIZE */
	double phase_arg;
};

struct mt_threshold_src {
	char *expr; /* one expression, as written */
	int line;
};

struct mt_cell {
	char *name;           /* unique: section plus the axis values that vary */
	char *section;
	struct mt_kv *axes; size_t naxes;
	int repeat;           /* 0-based */
	uint64_t seed;        /* mt_cell_seed(run seed, name, repeat) */

	/* core settings, resolved ([global] < section < axis value) */
	struct mt_params core;         /* every core key, base units */
	char *driver;
	const struct mt_driver_ops *driver_ops;
	struct mt_params migrate;      /* the driver's own migrate.* keys */
	char *source, *dest, *domain;  /* as written (may be "lab:hosta"); domain: the first VM */
	char **domains;                /* every VM the cell migrates, NULL-terminated (≥ 1) */
	int ndomains;
	int migrate_concurrency;       /* with several domains: how many hops run at once */
	int migrate_evacuate;          /* every VM on the source moves (the driver lists them) */
	char *guest;                   /* `guest`: "lab:guest" or an IP address; NULL: not set */
	char *client;                  /* `client`: local, a lab host or a [host:] name; NULL */
	int64_t warmup_ns, cooldown_ns;
	int64_t migrate_at_ns, migrate_interval_ns, migrate_timeout_ns;
	int migrate_count;             /* hops; 0 = no migration (baseline-only cell) */

	struct mt_spec *specs; size_t nspecs;
	struct mt_tl_event *events; size_t nevents; /* sorted: anchor, offset, kind, spec */
	struct mt_threshold_src *thresholds; size_t nthresholds;
};

struct mt_scenario {
	char *path;
	char sha256[65];      /* of the file's bytes, hex */
	char *description;
	struct mt_host *hosts; size_t nhosts; /* from [host:NAME] sections */
	/* The parsed sections and axes, kept for plan building. Opaque to callers. */
	struct mt_scenario_priv *priv;
};

/* Reads and validates a scenario file. Errors: MT_EINVAL with
 * "FILE:LINE: key 'x': expected a duration like 250ms, got 'abc'" (and "did you mean"
 * for unknown keys/sections); empty, binary or unreadable files are refused cleanly. */
int mt_scenario_load(const char *path, struct mt_scenario **out, struct mt_error *err);
/* The same from memory (name is used in messages). */
int mt_scenario_load_buffer(const char *text, size_t len, const char *name,
			    struct mt_scenario **out, struct mt_error *err);
void mt_scenario_free(struct mt_scenario *s);

/* The scenario's own key table (for --help and docs/scenario-reference.md). */
const struct mt_option *mt_scenario_options(void);
/* The keys every spec takes (at, for, host). */
const struct mt_option *mt_spec_common_options(void);

struct mt_plan_opts {
	uint64_t seed;        /* run seed */
	int repeat;           /* > 0 overrides every section's repeat */
	int shard_index;      /* 1-based; 0 = no sharding */
	int shard_count;
	const char *only;     /* fnmatch glob on cell names, or NULL */
	size_t max_cells;     /* refuse larger plans (before --only/--shard); 0 or above the
	                       * built-in 10000: 10000 */
};

struct mt_plan {
	uint64_t seed;
	struct mt_cell *cells; size_t ncells; /* in run order: section, axes, repeat */
	size_t total_cells;   /* before --only and --shard */
	int64_t estimated_ns; /* sum of planned cell durations (migration time not known: 0) */
};

/* Expands sections × axes × repeats into cells, derives seeds, builds timelines, then applies
 * --only and --shard. */
int mt_plan_build(const struct mt_scenario *s, const struct mt_plan_opts *o,
		  struct mt_plan **out, struct mt_error *err);
void mt_plan_free(struct mt_plan *p);

/* Human text (plan) and JSON (plan --json; malloc'd). */
void mt_plan_print(const struct mt_plan *p, FILE *f);
char *mt_plan_to_json(const struct mt_plan *p, int pretty);

/* Deterministic per-cell seed: splitmix64(run_seed ^ fnv1a64(cell_name) ^ repeat). */
uint64_t mt_cell_seed(uint64_t run_seed, const char *cell_name, int repeat);

/* The run seed the scenario sets with `seed =` in [global], or fallback when it sets none. */
uint64_t mt_scenario_seed(const struct mt_scenario *s, uint64_t fallback);

/* Writes the scenario file reference (core keys, spec keys, every registered plugin's table)
 * as Markdown; docs/scenario-reference.md is this output. */
void mt_scenario_reference_markdown(FILE *f);

/* `migtorture reference TOPIC`: prints to f, as plain text, every core, spec or host key and
 * every plugin named topic, with type, default, values and help. Returns 0, or -1 when none is
 * (then *hint is the closest topic within edit distance 3, or NULL). */
int mt_scenario_reference_topic(const char *topic, FILE *f, const char **hint);

/* Every topic name (keys of the core, spec and host tables; plugins), once, space-separated:
 * the words bash completes `migtorture reference` to. */
void mt_scenario_reference_topics(FILE *f);

/* Finds a host by name in the scenario (NULL if none). */
const struct mt_host *mt_scenario_host(const struct mt_scenario *s, const char *name);

#endif
