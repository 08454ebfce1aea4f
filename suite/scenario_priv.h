/* scenario_priv.h — the parsed scenario as the loader keeps it, and the helpers shared by the
 * scenario and plan files (private to suite/):
 *   scenario_read.c    bytes → checked text → sections and entries (libinih, line numbers)
 *   scenario.c         load: per-entry validation, hosts, then a dry expansion of every cell
 *   scenario_options.c the core key table and the spec common keys
 *   spec.c             "KIND k=v ... [at=] [for=] [host=] + ..." → struct mt_spec
 *   scenario_cell.c    one job section + axis choice → a fully resolved struct mt_cell
 *   plan_timeline.c    the planned timeline of a cell
 *   plan.c, plan_output.c, scenario_doc.c
 */
#ifndef MT_SCENARIO_PRIV_H
#define MT_SCENARIO_PRIV_H

#include <stddef.h>

#include "migtorture/scenario.h"

enum sc_kind { SC_GLOBAL, SC_JOB, SC_MATRIX, SC_HOST };

/* One `key = value` line. */
struct sc_entry {
	char *key;
	char *value;  /* as written, trimmed (inih strips spaces and inline comments) */
	int line;
	char **alts;  /* axis alternatives (trimmed), or NULL when the value is not an axis */
	size_t nalts;
};

struct sc_section {
	char *name; /* "global", "matrix", "faults", "host:NAME", or a job name */
	enum sc_kind kind;
	int line;   /* of the [header] */
	struct sc_entry *entries;
	size_t nentries;
};

struct mt_scenario_priv {
	struct sc_section *secs;
	size_t nsecs;
};

/* An axis of a job section: the entry that declares it (file order). */
struct sc_axis {
	const struct sc_section *sec;
	const struct sc_entry *e;
};

/* --- scenario_read.c --- */
/* Reads a whole regular file into a NUL-terminated malloc'd buffer (caller frees). Missing,
 * unreadable files and directories fail with MT_EINVAL naming the file. */
int mt_sc_read_file(const char *path, char **buf, size_t *len, struct mt_error *err);
/* Refuses empty (no section or key at all), binary (NUL byte) and non-UTF-8 text. */
int mt_sc_check_text(const char *text, size_t len, const char *name, struct mt_error *err);
/* Splits text into sections and entries with libinih; fills priv (which must be zeroed).
 * Syntax errors, unknown/duplicate sections and keys outside a section fail with FILE:LINE. */
int mt_sc_parse_ini(const char *text, const char *name, struct mt_scenario_priv *priv,
		    struct mt_error *err);
void mt_sc_priv_free(struct mt_scenario_priv *priv);

/* --- scenario_options.c --- */
enum sc_keyclass { SC_KEY_CORE, SC_KEY_SPEC, SC_KEY_THRESHOLD, SC_KEY_DRIVER };
/* What a key is: a spec list, a threshold, a driver's migrate.* key, or a core key; -1 when
 * unknown (neither core nor migrate.*). */
int mt_sc_key_class(const char *key);
/* The spec class of a spec key ("workload" → MT_SPEC_WORKLOAD ...). */
enum mt_spec_class mt_sc_spec_class(const char *key);
const char *mt_sc_spec_class_name(enum mt_spec_class c); /* "workload", "stress", ... */
/* Host section keys ([host:NAME]). */
const struct mt_option *mt_sc_host_options(void);

/* --- spec.c --- */
/* Parses a spec list (`none`, or specs joined by ` + `) written at line for class cls and
 * appends each to *specs. Errors (no file:line; the caller adds it) name the key or kind. */
int mt_spec_list_parse(const struct mt_scenario *s, enum mt_spec_class cls, const char *text,
		       int line, struct mt_spec **specs, size_t *nspecs, struct mt_error *err);
void mt_spec_free(struct mt_spec *sp);
/* 1 when name is a host a spec may name: local, a [host:NAME] section, or a lab host. */
int mt_sc_host_known(const struct mt_scenario *s, const char *name);
/* Fills err for a host name that mt_sc_host_known refused, as the value of key (with a "did you
 * mean" when one is close) and returns MT_EINVAL. */
int mt_sc_bad_host(const struct mt_scenario *s, const char *key, const char *name,
		   struct mt_error *err);
/* Splits text on `sep` characters outside double quotes: '|' for axes. Each piece is trimmed
 * and malloc'd; *out is a malloc'd array. Returns 0 or MT_ENOMEM. */
int mt_sc_split(const char *text, char sep, char ***out, size_t *n);
void mt_sc_strv_free(char **v, size_t n);
/* Collapses whitespace runs to one space and trims (malloc'd; NULL on no memory). */
char *mt_sc_compact(const char *text);

/* --- scenario_cell.c --- */
/* The job sections in file order; when there are none, one NULL entry stands for the
 * implicit "global" cell set. Returns the count (≥ 1) and fills *jobs (malloc'd). */
size_t mt_sc_jobs(const struct mt_scenario *s, const struct sc_section ***jobs);
/* The axes of job (NULL = implicit global) in file order; *axes is malloc'd. */
int mt_sc_axes(const struct mt_scenario *s, const struct sc_section *job, struct sc_axis **axes,
	       size_t *naxes);
/* Resolves one cell: [global] < job section < [matrix], choice[i] picking axes[i]'s value.
 * cell must be zeroed; on error it is left for mt_sc_cell_free. */
int mt_sc_resolve(const struct mt_scenario *s, const struct sc_section *job,
		  const struct sc_axis *axes, size_t naxes, const size_t *choice, int repeat,
		  uint64_t run_seed, struct mt_cell *cell, struct mt_error *err);
void mt_sc_cell_free(struct mt_cell *c);

/* --- plan_timeline.c --- */
/* Fills cell->events from the resolved settings and specs (sorted). MT_EINVAL when the
 * timeline would end past the longest cell planned (a huge at=/for=/warmup: offsets that
 * would overflow); *line is then the spec's line, or 0 when the cell's settings are at fault. */
int mt_sc_timeline(struct mt_cell *c, int *line, struct mt_error *err);
/* Planned duration of a cell with migrations taking no time. */
int64_t mt_sc_cell_estimate(const struct mt_cell *c);

#endif
