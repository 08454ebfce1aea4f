/* migtorture/option.h — the declarative option table (fio style) and parsed parameters.
 *
 * One table per owner (the scenario's own keys, and each plugin's `key=value` parameters) is the
 * single source for parsing, validation, `--help` text and docs/scenario-reference.md.
 * Values are converted once, at parse time, into base units (units.h) and kept in mt_params.
 */
#ifndef MIGTORTURE_OPTION_H
#define MIGTORTURE_OPTION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum mt_opt_type {
	MT_OPT_STR,      /* free text */
	MT_OPT_INT,      /* integer, [min, max] */
	MT_OPT_DOUBLE,   /* number, [min, max] */
	MT_OPT_BOOL,     /* yes/no */
	MT_OPT_DURATION, /* → ns (int64); [min, max] in ns when max > 0 */
	MT_OPT_SIZE,     /* → bytes (uint64) */
	MT_OPT_BITRATE,  /* → bit/s (uint64) */
	MT_OPT_BYTERATE, /* → bytes/s (uint64) */
	MT_OPT_PERCENT,  /* → percent 0..100 (double) */
	MT_OPT_ENUM,     /* one of choices[] */
};

struct mt_option {
	const char *name;            /* key, e.g. "delay" or "migrate.bandwidth" */
	enum mt_opt_type type;
	const char *def;             /* default as text (parsed like input), or NULL: no default */
	const char *help;            /* one line for --help and the reference */
	const char *const *choices;  /* MT_OPT_ENUM: NULL-terminated */
	double min, max;             /* range in base units; both 0 = unchecked */
	unsigned flags;              /* MT_OPTF_* */
};

#define MT_OPTF_REQUIRED 0x1u /* must be given (no default) */
#define MT_OPTF_AXIS 0x2u     /* may be an axis `a | b | c` (scenario keys only) */
#define MT_OPTF_SECRET 0x4u   /* never printed: a path to a credential is allowed, not a value */
#define MT_OPTF_MULTI 0x8u    /* may repeat; values accumulate */

/* A table ends with an entry whose name is NULL. */
#define MT_OPTION_END { NULL, MT_OPT_STR, NULL, NULL, NULL, 0, 0, 0 }

/* One parsed value. */
struct mt_value {
	const struct mt_option *opt; /* the table row it was parsed against */
	char *text;                  /* the text as written (owned) */
	union {
		int64_t i;   /* INT, BOOL, DURATION (ns) */
		uint64_t u;  /* SIZE, BITRATE, BYTERATE */
		double d;    /* DOUBLE, PERCENT */
	} v;
	int line;       /* where it was written (0 = default) */
	int is_default; /* 1 when it came from opt->def */
};

/* Parsed `key=value` parameters of one plugin instance (or one section's keys). Owns its values. */
struct mt_params {
	const struct mt_option *table; /* what they were parsed against */
	struct mt_value *vals;
	size_t n;
	size_t cap; /* allocated rows of vals */
};

/* Parses one value against opt. On error returns MT_EINVAL with err->msg
 * "key 'x': expected a duration like 250ms, got 'abc'" (no file:line; the caller adds it). */
int mt_option_parse_value(const struct mt_option *opt, const char *text, struct mt_value *out,
			  struct mt_error *err);

/* Looks a key up in a table; NULL if unknown. */
const struct mt_option *mt_option_find(const struct mt_option *table, const char *name);

/* The closest known key (Levenshtein ≤ 3) for a "did you mean" hint, or NULL. */
const char *mt_option_suggest(const struct mt_option *table, const char *name);

/* Parses "key=value key2=value2 ..." (whitespace separated; values may be "quoted") against
 * table into p (which must be zeroed or freed before), then fills defaults and checks required
 * keys. Errors name the key; the caller prefixes "file:line: ". */
int mt_params_parse(const struct mt_option *table, const char *text, int line,
		    struct mt_params *p, struct mt_error *err);

/* Sets one key (replacing an earlier value). */
int mt_params_set(struct mt_params *p, const struct mt_option *table, const char *key,
		  const char *text, int line, struct mt_error *err);

/* Adds each table default that p lacks; then fails if a MT_OPTF_REQUIRED key is missing. */
int mt_params_finish(struct mt_params *p, const struct mt_option *table, struct mt_error *err);

/* Deep copy (dst must be zeroed). */
int mt_params_copy(struct mt_params *dst, const struct mt_params *src);

void mt_params_free(struct mt_params *p);

/* Lookups: return the value or NULL when the key is absent. */
const struct mt_value *mt_params_get(const struct mt_params *p, const char *key);
/* Convenience getters with a fallback when absent. */
const char *mt_params_str(const struct mt_params *p, const char *key, const char *fallback);
int64_t mt_params_i64(const struct mt_params *p, const char *key, int64_t fallback);
uint64_t mt_params_u64(const struct mt_params *p, const char *key, uint64_t fallback);
double mt_params_dbl(const struct mt_params *p, const char *key, double fallback);

/* The same without a fallback of the caller's: a key the table gives a default has it in one
 * place only. The value, else the default of p's table (parsed as the table says, also for
 * params that were never finished), else 0 / NULL. */
const char *mt_param_str(const struct mt_params *p, const char *key);
int64_t mt_param_i64(const struct mt_params *p, const char *key);
uint64_t mt_param_u64(const struct mt_params *p, const char *key);
double mt_param_dbl(const struct mt_params *p, const char *key);

/* Canonical text "k=v k2=v2" (values as written, sorted by table order) for plans and names;
 * MT_OPTF_SECRET values printed as "***". Returns a malloc'd string. */
char *mt_params_format(const struct mt_params *p);

/* Writes a Markdown table of an option table (for docs/scenario-reference.md) or plain
 * text (for --help) to f. */
#include <stdio.h>
void mt_option_table_markdown(const struct mt_option *table, FILE *f);
void mt_option_table_help(const struct mt_option *table, FILE *f);

#endif
