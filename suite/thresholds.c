/* thresholds.c — parse threshold expressions and judge a run's cells with them.
 * The grammar and the rules are in include/migtorture/threshold.h. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/stats.h"
#include "migtorture/threshold.h"

static const char *const agg_names[] = { "", "median", "mean", "p95", "max", "min" };
static const char *const cmp_names[] = { "<=", "<", ">=", ">", "==", "!=" };

const char *mt_agg_name(enum mt_agg a)
{
	return (unsigned)a < sizeof(agg_names) / sizeof(agg_names[0]) ? agg_names[a] : "";
}

const char *mt_cmp_name(enum mt_cmp op)
{
	return (unsigned)op < sizeof(cmp_names) / sizeof(cmp_names[0]) ? cmp_names[op] : "?";
}

/* --- units ------------------------------------------------------------------------------ */

struct unit_mult {
	const char *name;
	double mult;
};

/* Durations in ns. */
static const struct unit_mult time_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 }, { NULL, 0 },
};
static const struct unit_mult byte_units[] = {
	{ "B", 1 },
	{ "K", 1024.0 }, { "k", 1024.0 }, { "KB", 1024.0 }, { "kB", 1024.0 }, { "KiB", 1024.0 },
	{ "M", 1048576.0 }, { "MB", 1048576.0 }, { "MiB", 1048576.0 },
	{ "G", 1073741824.0 }, { "GB", 1073741824.0 }, { "GiB", 1073741824.0 },
	{ "T", 1099511627776.0 }, { "TB", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	{ NULL, 0 },
};
static const struct unit_mult pct_units[] = { { "%", 1 }, { NULL, 0 } };

/* Unit class and the metric's own multiplier (in the class base: ns, bytes, bit/s, %) from
 * the path: the last component with a known suffix decides (p99/max/... carry none). */
static enum mt_unit_class unit_of(const char *path, double *base, const char **disp)
{
	static const struct {
		const char *suffix;
		enum mt_unit_class cls;
		double base;
		const char *disp;
	} sfx[] = {
		/* rates first: "_pages_s" is pages per second, not seconds */
		{ "_pages_s", MT_UNIT_NONE, 1, "pages/s" },
		{ "_bytes_s", MT_UNIT_BYTE_RATE, 1, "bytes/s" },
		{ "_bps", MT_UNIT_BPS, 1, "bit/s" },
		{ "_pct", MT_UNIT_PCT, 1, "%" },
		{ "_bytes", MT_UNIT_BYTES, 1, "bytes" },
		{ "_ns", MT_UNIT_TIME, 1, "ns" },
		{ "_us", MT_UNIT_TIME, 1e3, "us" },
		{ "_ms", MT_UNIT_TIME, 1e6, "ms" },
		{ "_s", MT_UNIT_TIME, 1e9, "s" },
	};
	const char *end = path + strlen(path), *start;
	size_t len, i, sl;

	while (end > path) {
		start = end;
		while (start > path && start[-1] != '.')
			start--;
		len = (size_t)(end - start);
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			sl = strlen(sfx[i].suffix);
			if (len > sl && strncmp(end - sl, sfx[i].suffix, sl) == 0) {
				*base = sfx[i].base;
				*disp = sfx[i].disp;
				return sfx[i].cls;
			}
		}
		end = start > path ? start - 1 : path;
	}
	*base = 1;
	*disp = "";
	return MT_UNIT_NONE;
}

/* Multiplier of a bit-rate unit: [kKMGT](bit|bit/s|bps|b/s) or a bare prefix. */
static int bps_mult(const char *u, double *mult)
{
	static const char *const rest[] = { "", "bit", "bit/s", "bps", "b/s" };
	double p = 1;
	size_t i;

	switch (*u) {
	case 'k': case 'K': p = 1e3; u++; break;
	case 'M': p = 1e6; u++; break;
	case 'G': p = 1e9; u++; break;
	case 'T': p = 1e12; u++; break;
	default: break;
	}
	for (i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		if (strcmp(u, rest[i]) == 0) {
			*mult = p;
			return 0;
		}
	}
	return -1;
}

static int table_mult(const struct unit_mult *t, const char *u, double *mult)
{
	for (; t->name; t++) {
		if (strcmp(t->name, u) == 0) {
			*mult = t->mult;
			return 0;
		}
	}
	return -1;
}

/* Multiplier of a byte rate: a size unit, "/s" optional ("50MiB/s", "50MiB"). */
static int byte_rate_mult(const char *u, double *mult)
{
	char unit[16];
	size_t n = strlen(u);

	if (n >= 2 && strcmp(u + n - 2, "/s") == 0)
		n -= 2;
	if (n == 0 || n >= sizeof(unit))
		return -1;
	memcpy(unit, u, n);
	unit[n] = '\0';
	return table_mult(byte_units, unit, mult);
}

/* Converts "VALUE[unit]" to the metric's unit. 0 or -1 with *expect describing the form. */
static int convert(const char *text, enum mt_unit_class cls, double base, double *out,
		   const char **expect)
{
	static const char *const expects[] = {
		[MT_UNIT_NONE] = "a plain number (the metric's name carries no unit)",
		[MT_UNIT_TIME] = "a duration like 250ms or 1.5s",
		[MT_UNIT_PCT] = "a percentage like 2% or 0.5",
		[MT_UNIT_BYTES] = "a size like 512MiB or 2G",
		[MT_UNIT_BPS] = "a bit rate like 100Mbit or 1G",
		[MT_UNIT_BYTE_RATE] = "a byte rate like 50MiB/s or 2G/s",
	};
	const char *p = text;
	double num, mult = 1;
	char *end;
	int rc = -1;

	*expect = expects[cls];
	/* strtod alone would also take "inf", "nan" and hex: only decimal numbers here */
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	num = strtod(text, &end);
	if (end == text || !isfinite(num))
		return -1;
	for (p = text; p < end; p++)
		if (*p == 'x' || *p == 'X')
			return -1;
	if (*end == '\0') {
		*out = num; /* bare: already in the metric's unit */
		return 0;
	}
	switch (cls) {
	case MT_UNIT_TIME:
		rc = table_mult(time_units, end, &mult);
		break;
	case MT_UNIT_PCT:
		rc = table_mult(pct_units, end, &mult);
		break;
	case MT_UNIT_BYTES:
		rc = table_mult(byte_units, end, &mult);
		break;
	case MT_UNIT_BPS:
		rc = bps_mult(end, &mult);
		break;
	case MT_UNIT_BYTE_RATE:
		rc = byte_rate_mult(end, &mult);
		break;
	case MT_UNIT_NONE:
	default:
		rc = -1;
		break;
	}
	if (rc)
		return -1;
	*out = num * mult / base;
	return 0;
}

/* --- parsing ---------------------------------------------------------------------------- */

static int is_path_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* METRIC[.AGG] at the start of t->expr into t->full, t->path and t->agg; *rest: what follows. */
static int parse_metric(struct mt_threshold *t, const char **rest, struct mt_error *err)
{
	const char *p, *dot;
	size_t len;

	for (p = t->expr; is_path_char((unsigned char)*p); p++)
		;
	len = (size_t)(p - t->expr);
	if (len == 0)
		return mt_err(err, MT_EINVAL,
			      "threshold '%s': expected a metric name at the start (letters, digits, "
			      "'_', '-', '.')",
			      t->expr);
	memcpy(t->full, t->expr, len);
	t->full[len] = '\0';
	if (t->full[0] == '.' || t->full[len - 1] == '.' || strstr(t->full, ".."))
		return mt_err(err, MT_EINVAL, "threshold '%s': metric '%s' has an empty component",
			      t->expr, t->full);
	memcpy(t->path, t->full, len + 1);
	dot = strrchr(t->full, '.');
	for (size_t i = 1; dot && i < sizeof(agg_names) / sizeof(agg_names[0]); i++) {
		if (strcmp(dot + 1, agg_names[i]) == 0) {
			t->agg = (enum mt_agg)i;
			t->path[dot - t->full] = '\0';
			break;
		}
	}
	*rest = p;
	return 0;
}

/* The comparison operator at p (after blanks) into t->op; *rest: what follows it. */
static int parse_op(struct mt_threshold *t, const char *p, const char **rest,
		    struct mt_error *err)
{
	static const struct {
		const char *text;
		enum mt_cmp op;
	} ops[] = { { "<=", MT_CMP_LE }, { ">=", MT_CMP_GE }, { "==", MT_CMP_EQ },
		    { "!=", MT_CMP_NE }, { "<", MT_CMP_LT },  { ">", MT_CMP_GT } };
	const char *q = NULL;

	while (isspace((unsigned char)*p))
		p++;
	for (size_t i = 0; !q && i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (strncmp(p, ops[i].text, n) == 0)
			t->op = ops[i].op, q = p + n;
	}
	if (!q)
		return mt_err(err, MT_EINVAL,
			      "threshold '%s': expected an operator (<=, <, >=, >, ==, !=) after "
			      "'%s', got '%s'%s",
			      t->expr, t->full, *p ? p : "end of text",
			      *p == '=' ? " (did you mean '=='?)" : "");
	if (*q == '=' || *q == '<' || *q == '>' || *q == '!')
		return mt_err(err, MT_EINVAL, "threshold '%s': unknown operator '%.3s'", t->expr,
			      p);
	*rest = q;
	return 0;
}

/* The value at q (after blanks): a word (for == and != on a string metric) or a number in the
 * metric's unit class, converted to the metric's own unit. */
static int parse_value(struct mt_threshold *t, const char *q, struct mt_error *err)
{
	const char *e, *expect;
	double base;

	while (isspace((unsigned char)*q))
		q++;
	if (!*q)
		return mt_err(err, MT_EINVAL, "threshold '%s': expected a value after '%s'",
			      t->expr, mt_cmp_name(t->op));
	for (e = q; *e; e++)
		if (isspace((unsigned char)*e))
			return mt_err(err, MT_EINVAL,
				      "threshold '%s': unexpected text after the value: '%s'",
				      t->expr, e);
	t->unit_class = unit_of(t->path, &base, &t->unit);
	if (!isalpha((unsigned char)*q) && *q != '_') {
		if (convert(q, t->unit_class, base, &t->value, &expect))
			return mt_err(err, MT_EINVAL,
				      "threshold '%s': value '%s' for %s: expected %s", t->expr, q,
				      t->path, expect);
		return 0;
	}
	for (e = q; *e; e++)
		if (!isalnum((unsigned char)*e) && *e != '_' && *e != '-' && *e != '.')
			return mt_err(err, MT_EINVAL,
				      "threshold '%s': value '%s' is neither a number nor a word",
				      t->expr, q);
	if (t->op != MT_CMP_EQ && t->op != MT_CMP_NE)
		return mt_err(err, MT_EINVAL,
			      "threshold '%s': a word value ('%s') can only be compared with == or "
			      "!=",
			      t->expr, q);
	t->is_word = 1;
	snprintf(t->word, sizeof(t->word), "%s", q);
	return 0;
}

int mt_threshold_parse(const char *expr, struct mt_threshold *out, struct mt_error *err)
{
	struct mt_threshold t;
	const char *p = NULL, *q = NULL;
	size_t len;
	int rc;

	if (!expr || !out)
		return mt_err(err, MT_EINVAL, "threshold: nothing to parse");
	memset(&t, 0, sizeof(t));
	t.value = NAN;
	while (isspace((unsigned char)*expr))
		expr++;
	len = strlen(expr);
	while (len && isspace((unsigned char)expr[len - 1]))
		len--;
	if (len == 0)
		return mt_err(err, MT_EINVAL,
			      "threshold: empty expression; expected METRIC[.AGG] OP VALUE, e.g. "
			      "network_outage_ms.p95 <= 1s");
	if (len >= sizeof(t.expr))
		return mt_err(err, MT_EINVAL, "threshold '%.40s...': longer than %d characters",
			      expr, MT_THRESHOLD_LEN - 1);
	memcpy(t.expr, expr, len);
	t.expr[len] = '\0';
	rc = parse_metric(&t, &p, err);
	if (rc == 0)
		rc = parse_op(&t, p, &q, err);
	if (rc == 0)
		rc = parse_value(&t, q, err);
	if (rc == 0)
		*out = t;
	return rc;
}

int mt_threshold_parse_list(const char *text, struct mt_threshold **out, size_t *n,
			    struct mt_error *err)
{
	struct mt_threshold *arr = NULL, *tmp;
	const char *p = text, *comma;
	char buf[MT_THRESHOLD_LEN];
	size_t cnt = 0, len;
	int rc = 0;

	if (!text || !out || !n)
		return mt_err(err, MT_EINVAL, "threshold: nothing to parse");
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len >= sizeof(buf)) {
			rc = mt_err(err, MT_EINVAL, "threshold '%.40s...': longer than %d characters",
				    p, MT_THRESHOLD_LEN - 1);
			goto out;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		tmp = realloc(arr, (cnt + 1) * sizeof(*arr));
		if (!tmp) {
			rc = mt_err(err, MT_ENOMEM, "threshold: out of memory");
			goto out;
		}
		arr = tmp;
		rc = mt_threshold_parse(buf, &arr[cnt], err);
		if (rc)
			goto out;
		cnt++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = arr;
	*n = cnt;
	arr = NULL;
out:
	free(arr);
	return rc;
}

/* --- evaluation ------------------------------------------------------------------------- */

static int cmp_holds(enum mt_cmp op, double v, double lim)
{
	switch (op) {
	case MT_CMP_LE: return v <= lim;
	case MT_CMP_LT: return v < lim;
	case MT_CMP_GE: return v >= lim;
	case MT_CMP_GT: return v > lim;
	case MT_CMP_EQ: return v == lim;
	case MT_CMP_NE: return v != lim;
	default: return 0;
	}
}

/* 1 when metric path p is name or ends with ".name". */
static int path_matches(const char *p, const char *name)
{
	size_t lp = strlen(p), ln = strlen(name);

	if (lp == ln)
		return strcmp(p, name) == 0;
	return lp > ln && p[lp - ln - 1] == '.' && strcmp(p + lp - ln, name) == 0;
}

/* Paths the name resolves to in cell c, appended to *paths (deduplicated): the exact path if
 * it exists, else every suffix match. Returns the number found in c, or -1 on ENOMEM. */
static int resolve(const struct mt_cell_result *c, const char *name, const char ***paths,
		   size_t *np)
{
	const char **tmp;
	size_t i, j;
	int found = 0, exact;

	exact = mt_cell_metric(c, name) != NULL;
	for (i = 0; i < c->nmetrics; i++) {
		const char *p = c->metrics[i].path;

		if (exact ? strcmp(p, name) != 0 : !path_matches(p, name))
			continue;
		found++;
		for (j = 0; j < *np; j++)
			if (strcmp((*paths)[j], p) == 0)
				break;
		if (j < *np)
			continue;
		tmp = realloc(*paths, (*np + 1) * sizeof(**paths));
		if (!tmp)
			return -1;
		*paths = tmp;
		tmp[(*np)++] = p;
	}
	return found;
}

static double aggregate(enum mt_agg a, const double *v, size_t n)
{
	switch (a) {
	case MT_AGG_MEDIAN: return mt_percentile(v, n, 50);
	case MT_AGG_MEAN: return mt_mean(v, n);
	case MT_AGG_P95: return mt_percentile(v, n, 95);
	case MT_AGG_MAX: return mt_max(v, n);
	case MT_AGG_MIN: return mt_min(v, n);
	case MT_AGG_NONE:
	default: return v && n ? v[0] : NAN;
	}
}

/* The check's expr: as written, plus the resolved path when it differs. */
static void check_expr(const struct mt_threshold *t, const char *path, const char *used,
		       char *buf, size_t len)
{
	if (strcmp(path, used) == 0)
		snprintf(buf, len, "%s", t->expr);
	else
		snprintf(buf, len, "%s [%s]", t->expr, path);
}

/* Records that cell c cannot evaluate t on path: held -1. */
static int add_error(struct mt_cell_result *c, const struct mt_threshold *t, const char *path,
		     const char *used, const char *why)
{
	char ex[2 * MT_THRESHOLD_LEN + 4];

	check_expr(t, path, used, ex, sizeof(ex));
	return mt_cell_add_check(c, ex, -1, NAN, t->value, why);
}

/* Value of path in c for a numeric threshold: 0 with *v, or -1 with why filled. */
static int numeric_value(const struct mt_cell_result *c, const char *path, double *v,
			 char *why, size_t len)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	if (!m) {
		snprintf(why, len, "metric %s not produced by this cell", path);
		return -1;
	}
	if (m->kind == MT_METRIC_ABSENT) {
		snprintf(why, len, "metric %s absent: %s", path, m->str ? m->str : "no reason");
		return -1;
	}
	if (m->kind == MT_METRIC_STR) {
		snprintf(why, len, "metric %s is the word '%s', not a number", path,
			 m->str ? m->str : "");
		return -1;
	}
	if (isnan(m->num)) {
		snprintf(why, len, "metric %s has no value (NaN)", path);
		return -1;
	}
	*v = m->num;
	return 0;
}

/* Judges one threshold over one group of repeats (cells g[0..ng)). */
static int eval_one(struct mt_cell_result **g, size_t ng, const struct mt_threshold *t)
{
	char why[512], ex[2 * MT_THRESHOLD_LEN + 4];
	const char **paths = NULL, *used;
	enum mt_agg agg = t->agg;
	double *vals = NULL, v, aggv;
	size_t np = 0, i, k, nv, cnt;
	int rc = 0, held, *has = NULL;

	/* METRIC.AGG naming an existing metric is that metric, judged per repeat */
	used = t->path;
	if (agg != MT_AGG_NONE) {
		for (i = 0; i < ng; i++) {
			const struct mt_metric *m = mt_cell_metric(g[i], t->full);

			if (m || resolve(g[i], t->full, &paths, &np) > 0) {
				agg = MT_AGG_NONE;
				used = t->full;
				break;
			}
		}
		free(paths);
		paths = NULL;
		np = 0;
	}
	for (i = 0; i < ng; i++) {
		if (resolve(g[i], used, &paths, &np) < 0) {
			rc = MT_ENOMEM;
			goto out;
		}
	}
	if (np == 0) {
		snprintf(why, sizeof(why), "metric %s not produced by this cell", used);
		for (i = 0; i < ng && !rc; i++)
			rc = add_error(g[i], t, used, used, why);
		goto out;
	}
	vals = malloc(ng * sizeof(*vals));
	has = malloc(ng * sizeof(*has));
	if (!vals || !has) {
		rc = MT_ENOMEM;
		goto out;
	}
	for (k = 0; k < np && !rc; k++) {
		const char *path = paths[k];

		check_expr(t, path, used, ex, sizeof(ex));
		if (t->is_word) {
			for (i = 0; i < ng && !rc; i++) {
				const struct mt_metric *m = mt_cell_metric(g[i], path);

				if (agg != MT_AGG_NONE) {
					rc = add_error(g[i], t, path, used,
						       "an aggregation over repeats needs a number, "
						       "not a word");
				} else if (!m || m->kind != MT_METRIC_STR) {
					if (!m || m->kind == MT_METRIC_ABSENT)
						numeric_value(g[i], path, &v, why, sizeof(why));
					else
						snprintf(why, sizeof(why),
							 "metric %s is a number, not a word", path);
					rc = add_error(g[i], t, path, used, why);
				} else {
					held = (strcmp(m->str, t->word) == 0) == (t->op == MT_CMP_EQ);
					snprintf(why, sizeof(why), "%s is '%s', not %s '%s'", path,
						 m->str, t->op == MT_CMP_EQ ? "==" : "!=", t->word);
					rc = mt_cell_add_check(g[i], ex, held, NAN, NAN,
							       held ? NULL : why);
				}
			}
			continue;
		}
		/* numeric: collect each repeat's value; repeats without one are errors */
		nv = 0;
		for (i = 0; i < ng && !rc; i++) {
			has[i] = numeric_value(g[i], path, &vals[nv], why, sizeof(why)) == 0;
			if (has[i])
				nv++;
			else
				rc = add_error(g[i], t, path, used, why);
		}
		if (rc || nv == 0)
			continue;
		/* per repeat (no agg) or one aggregate for all */
		aggv = agg == MT_AGG_NONE ? NAN : aggregate(agg, vals, nv);
		cnt = nv;
		nv = 0;
		for (i = 0; i < ng && !rc; i++) {
			if (!has[i])
				continue;
			v = agg == MT_AGG_NONE ? vals[nv] : aggv;
			nv++;
			held = cmp_holds(t->op, v, t->value);
			if (agg == MT_AGG_NONE)
				snprintf(why, sizeof(why), "%s = %.6g%s%s, not %s %.6g%s%s", path,
					 v, *t->unit ? " " : "", t->unit, mt_cmp_name(t->op),
					 t->value, *t->unit ? " " : "", t->unit);
			else
				snprintf(why, sizeof(why),
					 "%s %s over %zu repeats = %.6g%s%s, not %s %.6g%s%s", path,
					 mt_agg_name(agg), cnt, v, *t->unit ? " " : "",
					 t->unit, mt_cmp_name(t->op), t->value,
					 *t->unit ? " " : "", t->unit);
			rc = mt_cell_add_check(g[i], ex, held, v, t->value, held ? NULL : why);
		}
	}
out:
	free(paths);
	free(vals);
	free(has);
	return rc;
}

/* Verdict of a judged cell from its checks. */
static int judge(struct mt_cell_result *c)
{
	char reason[1024];
	const struct mt_check *err = NULL, *fail = NULL;
	size_t i;

	for (i = 0; i < c->nchecks; i++) {
		if (c->checks[i].held < 0 && !err)
			err = &c->checks[i];
		if (c->checks[i].held == 0 && !fail)
			fail = &c->checks[i];
	}
	if (err) {
		snprintf(reason, sizeof(reason), "%s: %s", err->expr, err->why ? err->why : "");
		return mt_cell_set_verdict(c, MT_VERDICT_ERROR, reason);
	}
	if (fail) {
		snprintf(reason, sizeof(reason), "%s: %s", fail->expr, fail->why ? fail->why : "");
		return mt_cell_set_verdict(c, MT_VERDICT_FAIL, reason);
	}
	if (c->verdict == MT_VERDICT_FAIL)
		return 0; /* failed for another reason (kept) */
	return mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL);
}

static int in_section(const struct mt_cell_result *c, const char *section)
{
	if (!section)
		return 1;
	return c->section && strcmp(c->section, section) == 0;
}

int mt_threshold_evaluate(struct mt_run_result *run, const char *section,
			  const struct mt_threshold *t, size_t n, struct mt_error *err)
{
	struct mt_cell_result **g = NULL;
	unsigned char *done = NULL;
	size_t i, j, k, ng;
	int rc = 0;

	if (!run || (n && !t))
		return mt_err(err, MT_EINVAL, "threshold: no run or no thresholds");
	if (!run->ncells)
		return 0;
	g = malloc(run->ncells * sizeof(*g));
	done = calloc(run->ncells, 1);
	if (!g || !done) {
		rc = mt_err(err, MT_ENOMEM, "threshold: out of memory");
		goto out;
	}
	for (i = 0; i < run->ncells; i++) {
		struct mt_cell_result *c = &run->cells[i];

		if (done[i] || !in_section(c, section) || c->verdict == MT_VERDICT_SKIP ||
		    c->verdict == MT_VERDICT_ERROR)
			continue;
		/* the group: every judged repeat with the same cell name */
		ng = 0;
		for (j = i; j < run->ncells; j++) {
			struct mt_cell_result *d = &run->cells[j];

			if (done[j] || !in_section(d, section) || d->verdict == MT_VERDICT_SKIP ||
			    d->verdict == MT_VERDICT_ERROR || strcmp(d->name, c->name) != 0)
				continue;
			done[j] = 1;
			g[ng++] = d;
		}
		for (k = 0; k < n && !rc; k++)
			rc = eval_one(g, ng, &t[k]);
		for (j = 0; j < ng && !rc; j++)
			rc = judge(g[j]);
		if (rc) {
			rc = mt_err(err, MT_ENOMEM, "threshold: out of memory");
			goto out;
		}
	}
out:
	free(g);
	free(done);
	return rc;
}

int mt_threshold_evaluate_group(struct mt_cell_result **g, size_t ng,
				const struct mt_threshold *t, size_t n, struct mt_error *err)
{
	size_t k, j, m = 0;
	int rc = 0;

	if ((ng && !g) || (n && !t))
		return mt_err(err, MT_EINVAL, "threshold: no cells or no thresholds");
	/* skip and error repeats measured nothing trustworthy: not judged, not aggregated */
	for (j = 0; j < ng; j++)
		if (g[j]->verdict != MT_VERDICT_SKIP && g[j]->verdict != MT_VERDICT_ERROR)
			g[m++] = g[j];
	for (k = 0; k < n && !rc; k++)
		rc = eval_one(g, m, &t[k]);
	for (j = 0; j < m && !rc; j++)
		rc = judge(g[j]);
	return rc ? mt_err(err, MT_ENOMEM, "threshold: out of memory") : 0;
}

int mt_run_update_verdict(struct mt_run_result *run)
{
	size_t i, skip = 0, err = 0, fail = 0;

	if (!run)
		return MT_EXIT_USAGE;
	for (i = 0; i < run->ncells; i++) {
		switch (run->cells[i].verdict) {
		case MT_VERDICT_SKIP: skip++; break;
		case MT_VERDICT_ERROR: err++; break;
		case MT_VERDICT_FAIL: fail++; break;
		default: break;
		}
	}
	if (skip == run->ncells) {
		run->verdict = MT_VERDICT_SKIP;
		run->exit_status = MT_EXIT_ALLSKIP;
	} else if (err) {
		run->verdict = MT_VERDICT_ERROR;
		run->exit_status = MT_EXIT_INFRA;
	} else if (fail) {
		run->verdict = MT_VERDICT_FAIL;
		run->exit_status = MT_EXIT_FAIL;
	} else {
		run->verdict = MT_VERDICT_PASS;
		run->exit_status = MT_EXIT_PASS;
	}
	return run->exit_status;
}
