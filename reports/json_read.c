/* json_read.c — reads results.json (schema version 1) back into the result model.
 *
 * This reader faces files from other machines, other versions and fuzzers: every cJSON item's
 * type is checked before use, every integer is range-checked, and every failure names the key
 * path ("cells[2].timeline[0].planned_ns: expected an integer, got a string"). Unknown keys
 * are ignored (additions within version 1 stay readable); derived keys (summary, *_ms, t_ms,
 * "started"/"finished") are ignored because the *_ns fields are authoritative.
 * Required: schema_version, tool, run_id, seed, verdict, exit_status, cells; per cell name,
 * repeat, verdict; per event planned_ns, actual_ns, what; per check expr. Everything else is
 * optional but must have its documented type when present (null counts as absent).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "migtorture/result.h"

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53 */
#define MAX_RESULTS_FILE (1024L * 1024 * 1024)

static const char *type_name(const cJSON *it)
{
	if (!it)
		return "nothing";
	if (cJSON_IsNull(it))
		return "null";
	if (cJSON_IsBool(it))
		return "a boolean";
	if (cJSON_IsNumber(it))
		return "a number";
	if (cJSON_IsString(it))
		return "a string";
	if (cJSON_IsArray(it))
		return "an array";
	if (cJSON_IsObject(it))
		return "an object";
	return "an unknown type";
}

static int bad(struct mt_error *err, const char *ctx, const char *key, const char *want,
	       const cJSON *got)
{
	return mt_err(err, MT_EINVAL, "results JSON: %s%s%s: expected %s, got %s", ctx,
		      *ctx && key ? "." : "", key ? key : "", want, type_name(got));
}

/* The member key of obj, or NULL when missing or null. */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(it) ? NULL : it;
}

static int missing(struct mt_error *err, const char *ctx, const char *key)
{
	return mt_err(err, MT_EINVAL, "results JSON: %s%s%s: required key is missing", ctx,
		      *ctx ? "." : "", key);
}

/* Optional/required string member, copied into *dst (left NULL when absent). */
static int rd_str(const cJSON *obj, const char *key, int required, char **dst, const char *ctx,
		  struct mt_error *err)
{
	const cJSON *it = member(obj, key);

	if (!it)
		return required ? missing(err, ctx, key) : 0;
	if (!cJSON_IsString(it) || !it->valuestring)
		return bad(err, ctx, key, "a string", it);
	free(*dst);
	*dst = strdup(it->valuestring);
	return *dst ? 0 : mt_err(err, MT_ENOMEM, "results JSON: out of memory");
}

/* A decimal integer string into [min,max]; 0 or -1. */
static int dec_parse(const char *s, int is_unsigned, long long min, long long max,
		     long long *out)
{
	char *end;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	if (is_unsigned) {
		unsigned long long u;

		if (*s == '-')
			return -1;
		u = strtoull(s, &end, 10);
		if (errno || *end)
			return -1;
		*out = (long long)u;
		return 0;
	}
	*out = strtoll(s, &end, 10);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

/* An integer member: a JSON integer (exact, |x| <= 2^53) or a decimal string. */
static int rd_i64(const cJSON *obj, const char *key, int required, long long min,
		  long long max, long long *dst, const char *ctx, struct mt_error *err)
{
	const cJSON *it = member(obj, key);
	double d;

	if (!it)
		return required ? missing(err, ctx, key) : 0;
	if (cJSON_IsNumber(it)) {
		d = it->valuedouble;
		if (d != floor(d) || fabs(d) > MAX_EXACT_INT || d < (double)min || d > (double)max)
			return bad(err, ctx, key, "an integer in range", it);
		*dst = (long long)d;
		return 0;
	}
	if (cJSON_IsString(it) && dec_parse(it->valuestring, 0, min, max, dst) == 0)
		return 0;
	return bad(err, ctx, key, "an integer (or decimal string) in range", it);
}

/* 64-bit unsigned seed: decimal string (or an exact JSON integer). */
static int rd_u64(const cJSON *obj, const char *key, int required, uint64_t *dst,
		  const char *ctx, struct mt_error *err)
{
	const cJSON *it = member(obj, key);
	long long v;

	if (!it)
		return required ? missing(err, ctx, key) : 0;
	if (cJSON_IsString(it) && dec_parse(it->valuestring, 1, 0, 0, &v) == 0) {
		*dst = (uint64_t)v;
		return 0;
	}
	if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= MAX_EXACT_INT &&
	    it->valuedouble == floor(it->valuedouble)) {
		*dst = (uint64_t)it->valuedouble;
		return 0;
	}
	return bad(err, ctx, key, "an unsigned 64-bit decimal string", it);
}

static int rd_int(const cJSON *obj, const char *key, int required, int *dst, const char *ctx,
		  struct mt_error *err)
{
	long long v = *dst;
	int rc = rd_i64(obj, key, required, INT_MIN, INT_MAX, &v, ctx, err);

	if (rc == 0)
		*dst = (int)v;
	return rc;
}

static int rd_ns(const cJSON *obj, const char *key, int required, int64_t *dst,
		 const char *ctx, struct mt_error *err)
{
	long long v = *dst;
	int rc = rd_i64(obj, key, required, LLONG_MIN, LLONG_MAX, &v, ctx, err);

	if (rc == 0)
		*dst = v;
	return rc;
}

/* A number item: number, or null for NaN. */
static int num_of(const cJSON *it, double *dst)
{
	if (cJSON_IsNull(it)) {
		*dst = NAN;
		return 0;
	}
	if (cJSON_IsNumber(it)) {
		*dst = it->valuedouble;
		return 0;
	}
	return -1;
}

static int rd_num(const cJSON *obj, const char *key, double *dst, const char *ctx,
		  struct mt_error *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it) {
		*dst = NAN;
		return 0;
	}
	if (num_of(it, dst))
		return bad(err, ctx, key, "a number or null", it);
	return 0;
}

static int rd_verdict(const cJSON *obj, enum mt_verdict *v, const char *ctx,
		      struct mt_error *err)
{
	const cJSON *it = member(obj, "verdict");

	if (!it)
		return missing(err, ctx, "verdict");
	if (!cJSON_IsString(it) || mt_verdict_parse(it->valuestring, v))
		return mt_err(err, MT_EINVAL,
			      "results JSON: %s%sverdict: expected pass, fail, skip, error or none",
			      ctx, *ctx ? "." : "");
	return 0;
}

/* Reads an object of string values through set(); optional. */
static int rd_kv(const cJSON *obj, const char *key, void *target,
		 int (*set)(void *, const char *, const char *), const char *ctx,
		 struct mt_error *err)
{
	const cJSON *o = member(obj, key), *it;
	int rc;

	if (!o)
		return 0;
	if (!cJSON_IsObject(o))
		return bad(err, ctx, key, "an object", o);
	cJSON_ArrayForEach(it, o)
	{
		if (!it->string || !cJSON_IsString(it) || !it->valuestring)
			return mt_err(err, MT_EINVAL,
				      "results JSON: %s%s%s.%s: expected a string, got %s", ctx,
				      *ctx ? "." : "", key, it->string ? it->string : "?",
				      type_name(it));
		rc = set(target, it->string, it->valuestring);
		if (rc)
			return mt_err(err, rc, "results JSON: out of memory");
	}
	return 0;
}

static int set_fact(void *run, const char *k, const char *v)
{
	return mt_run_add_fact(run, k, v);
}

static int set_axis(void *cell, const char *k, const char *v)
{
	return mt_cell_add_axis(cell, k, v);
}

/* Walks a metrics object recursively; prefix is the dotted path so far ("" at the top). */
static int rd_metrics(const cJSON *o, const char *prefix, struct mt_cell_result *c,
		      const char *ctx, struct mt_error *err)
{
	const cJSON *it, *ab;
	char *path = NULL;
	size_t len;
	int rc = 0;

	cJSON_ArrayForEach(it, o)
	{
		if (!it->string || !*it->string || strchr(it->string, '.')) {
			rc = mt_err(err, MT_EINVAL,
				    "results JSON: %s.metrics: key '%s%s%s' is empty or contains '.'",
				    ctx, prefix, *prefix ? "." : "", it->string ? it->string : "");
			goto out;
		}
		free(path);
		len = strlen(prefix) + strlen(it->string) + 2;
		path = malloc(len);
		if (!path) {
			rc = mt_err(err, MT_ENOMEM, "results JSON: out of memory");
			goto out;
		}
		snprintf(path, len, "%s%s%s", prefix, *prefix ? "." : "", it->string);

		ab = cJSON_GetObjectItemCaseSensitive(it, "absent");
		if (cJSON_IsNumber(it) || cJSON_IsNull(it)) {
			rc = mt_cell_set_num(c, path, cJSON_IsNull(it) ? NAN : it->valuedouble);
		} else if (cJSON_IsString(it) && it->valuestring) {
			rc = mt_cell_set_str(c, path, it->valuestring);
		} else if (cJSON_IsObject(it) && ab) {
			if (!cJSON_IsString(ab) || !ab->valuestring || cJSON_GetArraySize(it) != 1) {
				rc = mt_err(err, MT_EINVAL,
					    "results JSON: %s.metrics.%s: an absent metric is "
					    "{\"absent\":\"reason\"} and nothing else",
					    ctx, path);
				goto out;
			}
			rc = mt_cell_set_absent(c, path, ab->valuestring);
		} else if (cJSON_IsObject(it)) {
			rc = rd_metrics(it, path, c, ctx, err);
			if (rc)
				goto out;
			continue;
		} else {
			rc = mt_err(err, MT_EINVAL,
				    "results JSON: %s.metrics.%s: expected a number, string, null "
				    "or object, got %s",
				    ctx, path, type_name(it));
			goto out;
		}
		if (rc) {
			rc = mt_err(err, rc, "results JSON: %s.metrics.%s: %s", ctx, path,
				    rc == MT_ENOMEM ? "out of memory"
						    : "invalid or colliding metric path");
			goto out;
		}
	}
out:
	free(path);
	return rc;
}

static int rd_series(const cJSON *o, struct mt_cell_result *c, const char *ctx,
		     struct mt_error *err)
{
	const cJSON *it, *tns, *v, *t, *x;
	struct mt_series *s;
	char sctx[512];
	char *unit = NULL;
	long long tv;
	double d;
	int rc = 0, i, n;
	size_t j;

	cJSON_ArrayForEach(it, o)
	{
		snprintf(sctx, sizeof(sctx), "%s.series.%s", ctx, it->string ? it->string : "?");
		if (!it->string || !cJSON_IsObject(it)) {
			rc = bad(err, sctx, NULL, "an object", it);
			goto out;
		}
		free(unit);
		unit = NULL;
		rc = rd_str(it, "unit", 0, &unit, sctx, err);
		if (rc)
			goto out;
		tns = cJSON_GetObjectItemCaseSensitive(it, "t_ns");
		v = cJSON_GetObjectItemCaseSensitive(it, "v");
		if (!cJSON_IsArray(tns) || !cJSON_IsArray(v)) {
			rc = mt_err(err, MT_EINVAL,
				    "results JSON: %s: expected arrays t_ns and v", sctx);
			goto out;
		}
		n = cJSON_GetArraySize(tns);
		if (n != cJSON_GetArraySize(v)) {
			rc = mt_err(err, MT_EINVAL,
				    "results JSON: %s: t_ns has %d entries but v has %d", sctx, n,
				    cJSON_GetArraySize(v));
			goto out;
		}
		for (j = 0; j < c->nseries; j++) {
			if (strcmp(c->series[j].name, it->string) == 0) {
				rc = mt_err(err, MT_EINVAL, "results JSON: %s: duplicate series",
					    sctx);
				goto out;
			}
		}
		s = mt_cell_series(c, it->string, unit ? unit : "");
		if (!s) {
			rc = mt_err(err, MT_ENOMEM, "results JSON: out of memory");
			goto out;
		}
		/* walk both arrays in step: indexing a cJSON array is O(i) */
		t = tns->child;
		x = v->child;
		for (i = 0; i < n && t && x; i++, t = t->next, x = x->next) {
			tv = 0;
			if (cJSON_IsNumber(t) && t->valuedouble == floor(t->valuedouble) &&
			    fabs(t->valuedouble) <= MAX_EXACT_INT)
				tv = (long long)t->valuedouble;
			else if (!cJSON_IsString(t) ||
				 dec_parse(t->valuestring, 0, LLONG_MIN, LLONG_MAX, &tv)) {
				rc = mt_err(err, MT_EINVAL,
					    "results JSON: %s.t_ns[%d]: expected an integer, got %s",
					    sctx, i, type_name(t));
				goto out;
			}
			if (num_of(x, &d)) {
				rc = mt_err(err, MT_EINVAL,
					    "results JSON: %s.v[%d]: expected a number or null, got %s",
					    sctx, i, type_name(x));
				goto out;
			}
			rc = mt_series_add(s, tv, d);
			if (rc) {
				rc = mt_err(err, rc, "results JSON: out of memory");
				goto out;
			}
		}
	}
out:
	free(unit);
	return rc;
}

static int rd_event(const cJSON *e, struct mt_cell_result *c, const char *ctx,
		    struct mt_error *err)
{
	int64_t planned = 0, actual = 0, anchor_ns = -1, effect_ns = -1;
	char *what = NULL, *detail = NULL, *anchor = NULL;
	int rcv = 0, rc;

	if (!cJSON_IsObject(e))
		return bad(err, ctx, NULL, "an object", e);
	rc = rd_ns(e, "planned_ns", 1, &planned, ctx, err);
	if (!rc)
		rc = rd_ns(e, "actual_ns", 1, &actual, ctx, err);
	if (!rc)
		rc = rd_str(e, "what", 1, &what, ctx, err);
	if (!rc)
		rc = rd_str(e, "detail", 0, &detail, ctx, err);
	if (!rc)
		rc = rd_int(e, "rc", 0, &rcv, ctx, err);
	if (!rc)
		rc = rd_str(e, "anchor", 0, &anchor, ctx, err);
	if (!rc && anchor)
		rc = rd_ns(e, "anchor_ns", 1, &anchor_ns, ctx, err);
	if (!rc && anchor)
		rc = rd_ns(e, "effect_ns", 1, &effect_ns, ctx, err);
	if (!rc && mt_cell_add_event(c, planned, actual, what, detail, rcv))
		rc = mt_err(err, MT_ENOMEM, "results JSON: out of memory");
	if (!rc && anchor && mt_cell_event_anchor(c, anchor, anchor_ns, effect_ns))
		rc = mt_err(err, MT_ENOMEM, "results JSON: out of memory");
	free(what);
	free(detail);
	free(anchor);
	return rc;
}

static int rd_check(const cJSON *k, struct mt_cell_result *c, const char *ctx,
		    struct mt_error *err)
{
	const cJSON *h;
	char *expr = NULL, *why = NULL;
	double value, limit;
	int held, rc;

	if (!cJSON_IsObject(k))
		return bad(err, ctx, NULL, "an object", k);
	h = cJSON_GetObjectItemCaseSensitive(k, "held");
	if (cJSON_IsBool(h))
		held = cJSON_IsTrue(h) ? 1 : 0;
	else if (!h || cJSON_IsNull(h))
		held = -1;
	else
		return bad(err, ctx, "held", "true, false or null", h);
	rc = rd_str(k, "expr", 1, &expr, ctx, err);
	if (!rc)
		rc = rd_str(k, "why", 0, &why, ctx, err);
	if (!rc)
		rc = rd_num(k, "value", &value, ctx, err);
	if (!rc)
		rc = rd_num(k, "limit", &limit, ctx, err);
	if (!rc && mt_cell_add_check(c, expr, held, value, limit, why))
		rc = mt_err(err, MT_ENOMEM, "results JSON: out of memory");
	free(expr);
	free(why);
	return rc;
}

/* Reads an array member and calls fn on each element with ctx "base.key[i]". */
static int rd_array(const cJSON *obj, const char *key, const char *base,
		    int (*fn)(const cJSON *, struct mt_cell_result *, const char *,
			      struct mt_error *),
		    struct mt_cell_result *c, struct mt_error *err)
{
	const cJSON *a = member(obj, key), *it;
	char ctx[512];
	int i = 0, rc;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return bad(err, base, key, "an array", a);
	cJSON_ArrayForEach(it, a)
	{
		snprintf(ctx, sizeof(ctx), "%s.%s[%d]", base, key, i++);
		rc = fn(it, c, ctx, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int rd_cell(const cJSON *o, struct mt_run_result *run, int idx, struct mt_error *err)
{
	const cJSON *name = member(o, "name"), *m, *s;
	struct mt_cell_result *c;
	char ctx[64];
	int rc;

	snprintf(ctx, sizeof(ctx), "cells[%d]", idx);
	if (!cJSON_IsObject(o))
		return bad(err, ctx, NULL, "an object", o);
	if (!name)
		return missing(err, ctx, "name");
	if (!cJSON_IsString(name) || !name->valuestring)
		return bad(err, ctx, "name", "a string", name);
	c = mt_run_add_cell(run, name->valuestring);
	if (!c)
		return mt_err(err, MT_ENOMEM, "results JSON: out of memory");
	rc = rd_str(o, "section", 0, &c->section, ctx, err);
	if (!rc)
		rc = rd_kv(o, "axes", c, set_axis, ctx, err);
	if (!rc)
		rc = rd_int(o, "repeat", 1, &c->repeat, ctx, err);
	if (!rc)
		rc = rd_u64(o, "seed", 0, &c->seed, ctx, err);
	if (!rc)
		rc = rd_verdict(o, &c->verdict, ctx, err);
	if (!rc)
		rc = rd_str(o, "reason", 0, &c->reason, ctx, err);
	if (!rc)
		rc = rd_ns(o, "started_wall_ns", 0, &c->started_wall_ns, ctx, err);
	if (!rc)
		rc = rd_ns(o, "duration_ns", 0, &c->duration_ns, ctx, err);
	if (!rc)
		rc = rd_array(o, "timeline", ctx, rd_event, c, err);
	if (!rc && (m = member(o, "metrics"))) {
		if (!cJSON_IsObject(m))
			rc = bad(err, ctx, "metrics", "an object", m);
		else
			rc = rd_metrics(m, "", c, ctx, err);
	}
	if (!rc && (s = member(o, "series"))) {
		if (!cJSON_IsObject(s))
			rc = bad(err, ctx, "series", "an object", s);
		else
			rc = rd_series(s, c, ctx, err);
	}
	if (!rc)
		rc = rd_array(o, "checks", ctx, rd_check, c, err);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses duplicate keys anywhere in the tree (cJSON keeps both and would silently use the
 * first). Sorting keeps this O(n log n) on hostile input; recursion is bounded by cJSON's
 * nesting limit. */
static int no_dup_keys(const cJSON *node, struct mt_error *err)
{
	const char **keys = NULL;
	const cJSON *it;
	size_t n = 0, i;
	int rc = 0;

	if (cJSON_IsObject(node)) {
		n = (size_t)cJSON_GetArraySize(node);
		keys = n ? malloc(n * sizeof(*keys)) : NULL;
		if (n && !keys)
			return mt_err(err, MT_ENOMEM, "results JSON: out of memory");
		i = 0;
		cJSON_ArrayForEach(it, node)
			keys[i++] = it->string ? it->string : "";
		if (n > 1)
			qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 1; i < n; i++) {
			if (strcmp(keys[i - 1], keys[i]) == 0) {
				rc = mt_err(err, MT_EINVAL, "results JSON: duplicate key '%s'",
					    keys[i]);
				goto out;
			}
		}
	}
	cJSON_ArrayForEach(it, node)
	{
		rc = no_dup_keys(it, err);
		if (rc)
			goto out;
	}
out:
	free(keys);
	return rc;
}

/* Byte offset → "line L column C" for syntax errors. */
static void where(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int from_json_len(const char *text, size_t len, struct mt_run_result *run,
			 struct mt_error *err)
{
	const cJSON *it, *tool, *sc, *cells;
	const char *end = NULL;
	cJSON *root = NULL;
	long long ver = 0;
	int line, col, i = 0, rc = 0;

	if (!text || !run)
		return mt_err(err, MT_EINVAL, "results JSON: no text or no run");
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;

		where(text, off, &line, &col);
		rc = mt_err(err, MT_EINVAL, "results JSON: syntax error at line %d column %d", line,
			    col);
		goto out;
	}
	for (; end && end < text + len && *end; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			where(text, (size_t)(end - text), &line, &col);
			rc = mt_err(err, MT_EINVAL,
				    "results JSON: unexpected text after the document at line %d "
				    "column %d",
				    line, col);
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		rc = mt_err(err, MT_EINVAL, "results JSON: expected an object at the top, got %s",
			    type_name(root));
		goto out;
	}
	rc = no_dup_keys(root, err);
	if (rc)
		goto out;
	/* the version decides how to read the rest, so it comes first */
	rc = rd_i64(root, "schema_version", 1, LLONG_MIN / 2, LLONG_MAX / 2, &ver, "", err);
	if (rc)
		goto out;
	if (ver != MT_RESULT_SCHEMA_VERSION) {
		rc = mt_err(err, MT_EINVAL,
			    "results JSON: schema_version %lld is not supported (this migtorture "
			    "reads version %d)",
			    ver, MT_RESULT_SCHEMA_VERSION);
		goto out;
	}
	run->schema_version = (int)ver;
	tool = member(root, "tool");
	if (!tool) {
		rc = missing(err, "", "tool");
		goto out;
	}
	if (!cJSON_IsObject(tool)) {
		rc = bad(err, "", "tool", "an object", tool);
		goto out;
	}
	rc = rd_str(tool, "version", 0, &run->tool_version, "tool", err);
	if (!rc)
		rc = rd_str(root, "run_id", 1, &run->run_id, "", err);
	if (!rc)
		rc = rd_kv(root, "facts", run, set_fact, "", err);
	if (!rc && (sc = member(root, "scenario"))) {
		if (!cJSON_IsObject(sc))
			rc = bad(err, "", "scenario", "an object", sc);
		if (!rc)
			rc = rd_str(sc, "path", 0, &run->scenario_path, "scenario", err);
		if (!rc)
			rc = rd_str(sc, "sha256", 0, &run->scenario_sha256, "scenario", err);
	}
	if (!rc)
		rc = rd_u64(root, "seed", 1, &run->seed, "", err);
	if (!rc)
		rc = rd_str(root, "shard", 0, &run->shard, "", err);
	if (!rc)
		rc = rd_ns(root, "started_wall_ns", 0, &run->started_wall_ns, "", err);
	if (!rc)
		rc = rd_ns(root, "finished_wall_ns", 0, &run->finished_wall_ns, "", err);
	if (!rc)
		rc = rd_verdict(root, &run->verdict, "", err);
	if (!rc)
		rc = rd_int(root, "exit_status", 1, &run->exit_status, "", err);
	if (rc)
		goto out;
	it = member(root, "interrupted");
	if (it) {
		if (!cJSON_IsBool(it)) {
			rc = bad(err, "", "interrupted", "true or false", it);
			goto out;
		}
		run->interrupted = cJSON_IsTrue(it) ? 1 : 0;
	}
	cells = member(root, "cells");
	if (!cells) {
		rc = missing(err, "", "cells");
		goto out;
	}
	if (!cJSON_IsArray(cells)) {
		rc = bad(err, "", "cells", "an array", cells);
		goto out;
	}
	cJSON_ArrayForEach(it, cells)
	{
		rc = rd_cell(it, run, i++, err);
		if (rc)
			goto out;
	}
out:
	cJSON_Delete(root);
	if (rc)
		mt_run_result_free(run); /* never hand back half a run */
	return rc;
}

/*
 * Parses results JSON text (NUL-terminated) into run, which the caller zeroed. On success the
 * caller owns run's members (mt_run_result_free); on failure run is freed and zeroed and err
 * names the offending key path or the syntax error position.
 */
int mt_result_from_json(const char *text, struct mt_run_result *run, struct mt_error *err)
{
	if (!text)
		return mt_err(err, MT_EINVAL, "results JSON: no text");
	return from_json_len(text, strlen(text), run, err);
}

/*
 * Reads and parses the results file at path (at most 1 GiB) into run (zeroed by the caller);
 * ownership and failure behave as mt_result_from_json. Errors are prefixed with the path.
 */
int mt_result_read_file(const char *path, struct mt_run_result *run, struct mt_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd = -1, rc = 0;

	if (!path || !run)
		return mt_err(err, MT_EINVAL, "results: no path or no run");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = mt_err(err, errno == ENOENT ? MT_ENOTFOUND : MT_EIO, "%s: cannot open: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = mt_err(err, MT_EIO, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > MAX_RESULTS_FILE) {
		rc = mt_err(err, MT_EINVAL, "%s: larger than 1 GiB, refusing to read it", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* read what is there; the file may be shorter than stat said */
	r = mt_pread_full(fd, buf, (size_t)st.st_size, 0);
	if (r < 0) {
		rc = mt_err(err, MT_EIO, "%s: read failed: %s", path, strerror(errno));
		goto out;
	}
	len = (size_t)r;
	buf[len] = '\0';
	if (len == 0) {
		rc = mt_err(err, MT_EINVAL, "%s: empty file", path);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		rc = mt_err(err, MT_EINVAL, "%s: binary data (NUL byte), not a results file", path);
		goto out;
	}
	rc = from_json_len(buf, len, run, err);
	if (rc)
		mt_err_prefix(err, "%s", path);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
