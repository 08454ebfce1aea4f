/* json.c — the canonical results.json writer, the single source of every report
 * (docs/architecture.md §8).
 *
 * Schema version 1 is documented key by key in docs/results.md. Choices that keep the round
 * trip lossless (reports/json_read.c reads exactly what this writes):
 *  - doubles are printed with the fewest digits (15..17) that strtod() reads back to the same
 *    bits; cJSON's own printer compares with an epsilon and may drop the last ulp.
 *    NaN is written as null, ±Inf as the number tokens 1e999 / -1e999 (valid JSON syntax;
 *    strtod and Python read them as ±Inf), -0 as -0.0.
 *  - 64-bit seeds and wall-clock ns are decimal strings (JSON numbers lose precision above
 *    2^53 in most readers). Relative ns (timeline, durations, series t_ns) are JSON integers
 *    while |x| <= 2^53 (104 days) and decimal strings beyond; the reader accepts both.
 *  - *_ms, late_ms, t_ms and the "started"/"finished" RFC 3339 strings are derived from the
 *    *_ns fields for people and plotting tools; the reader ignores them.
 *  - metric paths nest ("migration.total_time_ms" → {"migration":{"total_time_ms":..}}); an
 *    absent metric is {"absent":"reason"}; the model refuses paths that would collide.
 * Output is deterministic: same model, same bytes (model order, no hash order).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "migtorture/report.h"
#include "migtorture/result.h"
#include "migtorture/units.h"

#define MAX_EXACT_INT (1LL << 53)

#ifndef MT_VERSION
#define MT_VERSION "unknown"
#endif

/* A number item printed exactly (see the file comment). NULL on ENOMEM. */
static cJSON *num_item(double d)
{
	char buf[40];
	int prec;

	if (isnan(d))
		return cJSON_CreateNull();
	if (isinf(d))
		return cJSON_CreateRaw(d > 0 ? "1e999" : "-1e999");
	if (d == 0 && signbit(d))
		return cJSON_CreateRaw("-0.0");
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return cJSON_CreateRaw(buf);
}

/* Relative ns: an integer while exact in a double, else a decimal string. */
static cJSON *i64_item(int64_t x)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)x);
	if (x >= -MAX_EXACT_INT && x <= MAX_EXACT_INT)
		return cJSON_CreateRaw(buf);
	return cJSON_CreateString(buf);
}

static cJSON *dec_str_item(long long x, int is_unsigned)
{
	char buf[32];

	if (is_unsigned)
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)x);
	else
		snprintf(buf, sizeof(buf), "%lld", x);
	return cJSON_CreateString(buf);
}

static cJSON *str_item(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* RFC 3339 UTC with ns, or null for 0 (never set) and out-of-range times. */
static cJSON *time_item(int64_t ns)
{
	char buf[64];
	long long sec = ns / MT_NS_PER_S, frac = ns % MT_NS_PER_S;
	struct tm tm;
	time_t t;
	size_t k;

	if (ns == 0)
		return cJSON_CreateNull();
	if (frac < 0) {
		frac += MT_NS_PER_S;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		return cJSON_CreateNull();
	k = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (k == 0)
		return cJSON_CreateNull();
	snprintf(buf + k, sizeof(buf) - k, ".%09lldZ", frac);
	return cJSON_CreateString(buf);
}

/* Adds item under key; clears *ok when item is NULL or the add fails (item freed). */
static void add(cJSON *obj, const char *key, cJSON *item, int *ok)
{
	if (!item) {
		*ok = 0;
		return;
	}
	if (!obj || !cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		*ok = 0;
	}
}

static void push(cJSON *arr, cJSON *item, int *ok)
{
	if (!item) {
		*ok = 0;
		return;
	}
	if (!arr || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		*ok = 0;
	}
}

static cJSON *kv_object(const struct mt_kv *kv, size_t n, int *ok)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; o && i < n; i++)
		add(o, kv[i].key ? kv[i].key : "", str_item(kv[i].val), ok);
	if (!o)
		*ok = 0;
	return o;
}

static double ns_to_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* Places one metric leaf into the nested metrics object. 0, or -1 on a path clash/ENOMEM. */
static int put_metric(cJSON *root, const struct mt_metric *m)
{
	char *path, *comp, *dot;
	cJSON *node = root, *child, *leaf;
	int ok = 1;

	if (!m->path || !*m->path)
		return -1;
	path = strdup(m->path);
	if (!path)
		return -1;
	comp = path;
	while ((dot = strchr(comp, '.'))) {
		*dot = '\0';
		child = cJSON_GetObjectItemCaseSensitive(node, comp);
		if (!child) {
			child = cJSON_CreateObject();
			add(node, comp, child, &ok);
			if (!ok)
				goto out;
		} else if (!cJSON_IsObject(child) ||
			   cJSON_GetObjectItemCaseSensitive(child, "absent")) {
			ok = 0; /* a leaf is already here: the model was built around its checks */
			goto out;
		}
		node = child;
		comp = dot + 1;
	}
	if (cJSON_GetObjectItemCaseSensitive(node, comp)) {
		ok = 0;
		goto out;
	}
	switch (m->kind) {
	case MT_METRIC_NUM:
		leaf = num_item(m->num);
		break;
	case MT_METRIC_STR:
		leaf = str_item(m->str ? m->str : "");
		break;
	case MT_METRIC_ABSENT:
	default:
		leaf = cJSON_CreateObject();
		add(leaf, "absent", cJSON_CreateString(m->str ? m->str : "not measured"), &ok);
		break;
	}
	add(node, comp, leaf, &ok);
out:
	free(path);
	return ok ? 0 : -1;
}

static cJSON *series_object(const struct mt_series *s, int *ok)
{
	cJSON *o = cJSON_CreateObject(), *tms, *tns, *v;
	size_t i;

	add(o, "unit", str_item(s->unit ? s->unit : ""), ok);
	tms = cJSON_CreateArray();
	tns = cJSON_CreateArray();
	v = cJSON_CreateArray();
	add(o, "t_ms", tms, ok);
	add(o, "t_ns", tns, ok);
	add(o, "v", v, ok);
	for (i = 0; *ok && i < s->n; i++) {
		push(tms, num_item(ns_to_ms(s->t_ns[i])), ok);
		push(tns, i64_item(s->t_ns[i]), ok);
		push(v, num_item(s->v[i]), ok);
	}
	if (!o)
		*ok = 0;
	return o;
}

static cJSON *cell_object(const struct mt_cell_result *c, int *ok)
{
	cJSON *o = cJSON_CreateObject(), *a, *e, *m, *s;
	size_t i;

	add(o, "name", str_item(c->name ? c->name : ""), ok);
	add(o, "section", str_item(c->section), ok);
	add(o, "axes", kv_object(c->axes, c->naxes, ok), ok);
	add(o, "repeat", i64_item(c->repeat), ok);
	add(o, "seed", dec_str_item((long long)c->seed, 1), ok);
	add(o, "verdict", cJSON_CreateString(mt_verdict_name(c->verdict)), ok);
	add(o, "reason", str_item(c->reason), ok);
	add(o, "started", time_item(c->started_wall_ns), ok);
	add(o, "started_wall_ns", dec_str_item(c->started_wall_ns, 0), ok);
	add(o, "duration_ms", num_item(ns_to_ms(c->duration_ns)), ok);
	add(o, "duration_ns", i64_item(c->duration_ns), ok);

	a = cJSON_CreateArray();
	add(o, "timeline", a, ok);
	for (i = 0; *ok && i < c->nevents; i++) {
		const struct mt_event_rec *ev = &c->events[i];

		e = cJSON_CreateObject();
		push(a, e, ok);
		add(e, "planned_ms", num_item(ns_to_ms(ev->planned_ns)), ok);
		add(e, "actual_ms", num_item(ns_to_ms(ev->actual_ns)), ok);
		/* an anchored event that never ran has no lateness */
		add(e, "late_ms", num_item(ev->actual_ns < 0 ? NAN
				  : ((double)ev->actual_ns - (double)ev->planned_ns) / 1e6), ok);
		add(e, "planned_ns", i64_item(ev->planned_ns), ok);
		add(e, "actual_ns", i64_item(ev->actual_ns), ok);
		add(e, "what", str_item(ev->what ? ev->what : ""), ok);
		add(e, "detail", str_item(ev->detail), ok);
		add(e, "rc", i64_item(ev->rc), ok);
		if (ev->anchor) {
			/* -1: the anchor never came (null in JSON, like a lost sample) */
			add(e, "anchor", str_item(ev->anchor), ok);
			add(e, "anchor_ms", num_item(ev->anchor_ns < 0 ? NAN
					       : ns_to_ms(ev->anchor_ns)), ok);
			add(e, "effect_ms", num_item(ev->effect_ns < 0 ? NAN
					       : ns_to_ms(ev->effect_ns)), ok);
			add(e, "trigger_lag_ms",
			    num_item(ev->effect_ns < 0 ? NAN
				     : ((double)ev->effect_ns - (double)ev->planned_ns) / 1e6), ok);
			add(e, "anchor_ns", i64_item(ev->anchor_ns), ok);
			add(e, "effect_ns", i64_item(ev->effect_ns), ok);
		}
	}

	m = cJSON_CreateObject();
	add(o, "metrics", m, ok);
	for (i = 0; *ok && i < c->nmetrics; i++)
		if (put_metric(m, &c->metrics[i]))
			*ok = 0;

	s = cJSON_CreateObject();
	add(o, "series", s, ok);
	for (i = 0; *ok && i < c->nseries; i++)
		add(s, c->series[i].name ? c->series[i].name : "", series_object(&c->series[i], ok),
		    ok);

	a = cJSON_CreateArray();
	add(o, "checks", a, ok);
	for (i = 0; *ok && i < c->nchecks; i++) {
		const struct mt_check *k = &c->checks[i];

		e = cJSON_CreateObject();
		push(a, e, ok);
		add(e, "expr", str_item(k->expr ? k->expr : ""), ok);
		add(e, "held", k->held < 0 ? cJSON_CreateNull() : cJSON_CreateBool(k->held > 0), ok);
		add(e, "value", num_item(k->value), ok);
		add(e, "limit", num_item(k->limit), ok);
		add(e, "why", str_item(k->why), ok);
	}
	if (!o)
		*ok = 0;
	return o;
}

/*
 * Serialises run to canonical JSON (pretty-printed with tabs when pretty != 0).
 * Returns a malloc'd string the caller frees with free(), or NULL when out of memory or when
 * the model cannot be represented (metric paths that collide, possible only when the
 * metrics array was filled by hand instead of through mt_cell_set_*).
 */
char *mt_result_to_json(const struct mt_run_result *run, int pretty)
{
	cJSON *root = NULL, *o, *a;
	size_t i, cnt[5] = { 0 };
	char *text = NULL;
	int ok = 1;

	if (!run)
		return NULL;
	root = cJSON_CreateObject();
	add(root, "schema_version", i64_item(MT_RESULT_SCHEMA_VERSION), &ok);
	o = cJSON_CreateObject();
	add(root, "tool", o, &ok);
	add(o, "name", cJSON_CreateString("migtorture"), &ok);
	add(o, "version", str_item(run->tool_version ? run->tool_version : MT_VERSION), &ok);
	add(root, "run_id", str_item(run->run_id ? run->run_id : ""), &ok);
	add(root, "facts", kv_object(run->facts, run->nfacts, &ok), &ok);
	o = cJSON_CreateObject();
	add(root, "scenario", o, &ok);
	add(o, "path", str_item(run->scenario_path), &ok);
	add(o, "sha256", str_item(run->scenario_sha256), &ok);
	add(root, "seed", dec_str_item((long long)run->seed, 1), &ok);
	add(root, "shard", str_item(run->shard), &ok);
	add(root, "started", time_item(run->started_wall_ns), &ok);
	add(root, "started_wall_ns", dec_str_item(run->started_wall_ns, 0), &ok);
	add(root, "finished", time_item(run->finished_wall_ns), &ok);
	add(root, "finished_wall_ns", dec_str_item(run->finished_wall_ns, 0), &ok);
	add(root, "verdict", cJSON_CreateString(mt_verdict_name(run->verdict)), &ok);
	add(root, "exit_status", i64_item(run->exit_status), &ok);
	add(root, "interrupted", cJSON_CreateBool(run->interrupted != 0), &ok);

	for (i = 0; i < run->ncells; i++) {
		unsigned v = (unsigned)run->cells[i].verdict;

		if (v < 5)
			cnt[v]++;
	}
	o = cJSON_CreateObject();
	add(root, "summary", o, &ok);
	add(o, "cells", i64_item((int64_t)run->ncells), &ok);
	add(o, "pass", i64_item((int64_t)cnt[MT_VERDICT_PASS]), &ok);
	add(o, "fail", i64_item((int64_t)cnt[MT_VERDICT_FAIL]), &ok);
	add(o, "skip", i64_item((int64_t)cnt[MT_VERDICT_SKIP]), &ok);
	add(o, "error", i64_item((int64_t)cnt[MT_VERDICT_ERROR]), &ok);

	a = cJSON_CreateArray();
	add(root, "cells", a, &ok);
	for (i = 0; ok && i < run->ncells; i++)
		push(a, cell_object(&run->cells[i], &ok), &ok);

	if (ok && root)
		text = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

/*
 * Writes run (pretty JSON plus a final newline) to path atomically: the same temp file, fsync,
 * 0644, rename and directory fsync as every report (mt_report_write_file), with the canonical
 * JSON renderer. On failure path is untouched. The caller keeps ownership of run.
 */
int mt_result_write_file(const struct mt_run_result *run, const char *path,
			 struct mt_error *err)
{
	return mt_result_write_file_mode(run, path, 0644, err);
}

int mt_result_write_file_mode(const struct mt_run_result *run, const char *path, mode_t mode,
			      struct mt_error *err)
{
	if (!run || !path || !*path)
		return mt_err(err, MT_EINVAL, "results: no run or no path to write");
	return mt_report_write_file_mode(path, mt_report_json, run, mode, err);
}
