/* result.c — building and freeing the result model (include/migtorture/result.h).
 *
 * Everything here is plain memory management: arrays grow geometrically (amortised O(1)
 * appends, probes push thousands of samples), strings are copied, and the model owns all of
 * its memory until mt_run_result_free().
 *
 * Pointer stability: a struct mt_cell_result * returned by mt_run_add_cell() is valid until
 * the next mt_run_add_cell() on the same run (the cell array may move); a struct mt_series *
 * from mt_cell_series() is valid until the next series is CREATED in the same cell. Hold
 * indexes, or look them up again, across those calls.
 *
 * Metric paths are validated because JSON nests them (docs/architecture.md §8): a path must be
 * non-empty dot-separated components, no component may be "absent" (that key marks absent
 * metrics in JSON), and no path may be a prefix component-wise of another one ("a.b" and
 * "a.b.c" cannot both be leaves). Violations return MT_EINVAL rather than producing JSON that
 * cannot be read back.
 */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "migtorture/result.h"


/* strdup that maps NULL to NULL; *ok is cleared on allocation failure. */
static char *dup_or_null(const char *s, int *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = 0;
	return d;
}

const char *mt_verdict_name(enum mt_verdict v)
{
	switch (v) {
	case MT_VERDICT_PASS: return "pass";
	case MT_VERDICT_FAIL: return "fail";
	case MT_VERDICT_SKIP: return "skip";
	case MT_VERDICT_ERROR: return "error";
	case MT_VERDICT_NONE:
	default: return "none";
	}
}

int mt_verdict_parse(const char *s, enum mt_verdict *v)
{
	static const enum mt_verdict all[] = { MT_VERDICT_NONE, MT_VERDICT_PASS, MT_VERDICT_FAIL,
					       MT_VERDICT_SKIP, MT_VERDICT_ERROR };
	size_t i;

	if (!s || !v)
		return MT_EINVAL;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, mt_verdict_name(all[i])) == 0) {
			*v = all[i];
			return 0;
		}
	}
	return MT_EINVAL;
}

struct mt_cell_result *mt_run_add_cell(struct mt_run_result *run, const char *name)
{
	struct mt_cell_result *c;

	if (!run || !name)
		return NULL;
	if (mt_grow((void **)&run->cells, &run->capcells, run->ncells, sizeof(*run->cells)))
		return NULL;
	c = &run->cells[run->ncells];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	if (!c->name)
		return NULL;
	run->ncells++;
	return c;
}

/* Sets key=val in a kv array (replacing an existing key). Shared by facts and axes. */
static int kv_set(struct mt_kv **arr, size_t *n, const char *key, const char *val)
{
	struct mt_kv *p;
	char *v;
	size_t i;

	if (!key || !val)
		return MT_EINVAL;
	v = strdup(val);
	if (!v)
		return MT_ENOMEM;
	for (i = 0; i < *n; i++) {
		if (strcmp((*arr)[i].key, key) == 0) {
			free((*arr)[i].val);
			(*arr)[i].val = v;
			return 0;
		}
	}
	/* kv arrays are short (a dozen facts, a few axes): grow by one */
	p = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!p) {
		free(v);
		return MT_ENOMEM;
	}
	*arr = p;
	p[*n].key = strdup(key);
	if (!p[*n].key) {
		free(v);
		return MT_ENOMEM;
	}
	p[*n].val = v;
	(*n)++;
	return 0;
}

int mt_run_add_fact(struct mt_run_result *run, const char *key, const char *val)
{
	if (!run)
		return MT_EINVAL;
	return kv_set(&run->facts, &run->nfacts, key, val);
}

int mt_cell_add_axis(struct mt_cell_result *c, const char *key, const char *val)
{
	if (!c)
		return MT_EINVAL;
	return kv_set(&c->axes, &c->naxes, key, val);
}

/* 1 when path is a well-formed metric path (see the file comment). */
static int path_ok(const char *path)
{
	const char *p = path, *dot;
	size_t len;

	if (!path || !*path)
		return 0;
	for (;;) {
		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return 0;
		if (len == 6 && strncmp(p, "absent", 6) == 0)
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

/* 1 when a is a component-wise prefix of b or b of a (but not equal). */
static int path_prefix_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return 0;
	if (la < lb)
		return strncmp(a, b, la) == 0 && b[la] == '.';
	return strncmp(a, b, lb) == 0 && a[lb] == '.';
}

/* Finds or creates the metric slot for path; returns NULL and sets *rc on failure. */
static struct mt_metric *metric_slot(struct mt_cell_result *c, const char *path, int *rc)
{
	struct mt_metric *m;
	size_t i;

	*rc = MT_EINVAL;
	if (!c || !path_ok(path))
		return NULL;
	for (i = 0; i < c->nmetrics; i++) {
		if (strcmp(c->metrics[i].path, path) == 0)
			return &c->metrics[i];
		if (path_prefix_clash(c->metrics[i].path, path))
			return NULL;
	}
	*rc = MT_ENOMEM;
	if (mt_grow((void **)&c->metrics, &c->capmetrics, c->nmetrics, sizeof(*c->metrics)))
		return NULL;
	m = &c->metrics[c->nmetrics];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	if (!m->path)
		return NULL;
	m->kind = MT_METRIC_ABSENT;
	c->nmetrics++;
	return m;
}

int mt_cell_set_num(struct mt_cell_result *c, const char *path, double v)
{
	struct mt_metric *m;
	int rc;

	m = metric_slot(c, path, &rc);
	if (!m)
		return rc;
	free(m->str);
	m->str = NULL;
	m->kind = MT_METRIC_NUM;
	m->num = v;
	return 0;
}

/* Common body of set_str and set_absent: kind with a copied string. */
static int set_text(struct mt_cell_result *c, const char *path, enum mt_metric_kind kind,
		    const char *s)
{
	struct mt_metric *m;
	char *d;
	int rc;

	if (!s)
		return MT_EINVAL;
	d = strdup(s);
	if (!d)
		return MT_ENOMEM;
	m = metric_slot(c, path, &rc);
	if (!m) {
		free(d);
		return rc;
	}
	free(m->str);
	m->str = d;
	m->kind = kind;
	m->num = 0;
	return 0;
}

int mt_cell_set_str(struct mt_cell_result *c, const char *path, const char *s)
{
	return set_text(c, path, MT_METRIC_STR, s);
}

int mt_cell_set_absent(struct mt_cell_result *c, const char *path, const char *reason)
{
	return set_text(c, path, MT_METRIC_ABSENT, reason ? reason : "not measured");
}

int mt_cell_unset(struct mt_cell_result *c, const char *path)
{
	for (size_t i = 0; c && path && i < c->nmetrics; i++) {
		if (strcmp(c->metrics[i].path, path) != 0)
			continue;
		free(c->metrics[i].path);
		free(c->metrics[i].str);
		memmove(&c->metrics[i], &c->metrics[i + 1],
			(c->nmetrics - i - 1) * sizeof(c->metrics[0]));
		c->nmetrics--;
		return 1;
	}
	return 0;
}

const struct mt_metric *mt_cell_metric(const struct mt_cell_result *c, const char *path)
{
	size_t i;

	if (!c || !path)
		return NULL;
	for (i = 0; i < c->nmetrics; i++)
		if (strcmp(c->metrics[i].path, path) == 0)
			return &c->metrics[i];
	return NULL;
}

int mt_cell_add_event(struct mt_cell_result *c, int64_t planned_ns, int64_t actual_ns,
		      const char *what, const char *detail, int rc)
{
	struct mt_event_rec *e;
	int ok = 1;

	if (!c || !what)
		return MT_EINVAL;
	if (mt_grow((void **)&c->events, &c->capevents, c->nevents, sizeof(*c->events)))
		return MT_ENOMEM;
	e = &c->events[c->nevents];
	memset(e, 0, sizeof(*e));
	e->planned_ns = planned_ns;
	e->actual_ns = actual_ns;
	e->rc = rc;
	e->what = dup_or_null(what, &ok);
	e->detail = dup_or_null(detail, &ok);
	if (!ok) {
		free(e->what);
		free(e->detail);
		memset(e, 0, sizeof(*e));
		return MT_ENOMEM;
	}
	c->nevents++;
	return 0;
}

int mt_cell_event_anchor(struct mt_cell_result *c, const char *anchor, int64_t anchor_ns,
			 int64_t effect_ns)
{
	struct mt_event_rec *e;
	char *a;

	if (!c || !c->nevents || !anchor)
		return MT_EINVAL;
	if (!(a = strdup(anchor)))
		return MT_ENOMEM;
	e = &c->events[c->nevents - 1];
	free(e->anchor);
	e->anchor = a;
	e->anchor_ns = anchor_ns;
	e->effect_ns = effect_ns;
	return 0;
}

struct mt_series *mt_cell_series(struct mt_cell_result *c, const char *name, const char *unit)
{
	struct mt_series *s;
	int ok = 1;
	size_t i;

	if (!c || !name)
		return NULL;
	for (i = 0; i < c->nseries; i++)
		if (strcmp(c->series[i].name, name) == 0)
			return &c->series[i];
	if (mt_grow((void **)&c->series, &c->capseries, c->nseries, sizeof(*c->series)))
		return NULL;
	s = &c->series[c->nseries];
	memset(s, 0, sizeof(*s));
	s->name = dup_or_null(name, &ok);
	s->unit = dup_or_null(unit ? unit : "", &ok);
	if (!ok) {
		free(s->name);
		free(s->unit);
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	c->nseries++;
	return s;
}

int mt_series_add(struct mt_series *s, int64_t t_ns, double v)
{
	size_t ncap;
	int64_t *t;
	double *vv;

	if (!s)
		return MT_EINVAL;
	if (s->n >= s->cap) {
		ncap = s->cap ? s->cap * 2 : 64;
		if (ncap > SIZE_MAX / sizeof(double))
			return MT_ENOMEM;
		/* grow both arrays; if the second fails the first is merely larger */
		t = realloc(s->t_ns, ncap * sizeof(*t));
		if (!t)
			return MT_ENOMEM;
		s->t_ns = t;
		vv = realloc(s->v, ncap * sizeof(*vv));
		if (!vv)
			return MT_ENOMEM;
		s->v = vv;
		s->cap = ncap;
	}
	s->t_ns[s->n] = t_ns;
	s->v[s->n] = v;
	s->n++;
	return 0;
}

int mt_cell_add_check(struct mt_cell_result *c, const char *expr, int held, double value,
		      double limit, const char *why)
{
	struct mt_check *k;
	int ok = 1;

	if (!c || !expr)
		return MT_EINVAL;
	if (mt_grow((void **)&c->checks, &c->capchecks, c->nchecks, sizeof(*c->checks)))
		return MT_ENOMEM;
	k = &c->checks[c->nchecks];
	memset(k, 0, sizeof(*k));
	k->expr = dup_or_null(expr, &ok);
	k->why = dup_or_null(why, &ok);
	if (!ok) {
		free(k->expr);
		free(k->why);
		memset(k, 0, sizeof(*k));
		return MT_ENOMEM;
	}
	k->held = held > 0 ? 1 : (held < 0 ? -1 : 0);
	k->value = value;
	k->limit = limit;
	c->nchecks++;
	return 0;
}

int mt_cell_set_verdict(struct mt_cell_result *c, enum mt_verdict v, const char *reason)
{
	char *r = NULL;

	if (!c)
		return MT_EINVAL;
	if (reason) {
		r = strdup(reason);
		if (!r)
			return MT_ENOMEM;
	}
	free(c->reason);
	c->reason = r;
	c->verdict = v;
	return 0;
}

static void kv_free(struct mt_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

static void cell_free(struct mt_cell_result *c)
{
	size_t i;

	free(c->name);
	free(c->section);
	free(c->reason);
	kv_free(c->axes, c->naxes);
	for (i = 0; i < c->nevents; i++) {
		free(c->events[i].what);
		free(c->events[i].detail);
		free(c->events[i].anchor);
	}
	free(c->events);
	for (i = 0; i < c->nmetrics; i++) {
		free(c->metrics[i].path);
		free(c->metrics[i].str);
	}
	free(c->metrics);
	for (i = 0; i < c->nseries; i++) {
		free(c->series[i].name);
		free(c->series[i].unit);
		free(c->series[i].t_ns);
		free(c->series[i].v);
	}
	free(c->series);
	for (i = 0; i < c->nchecks; i++) {
		free(c->checks[i].expr);
		free(c->checks[i].why);
	}
	free(c->checks);
}

void mt_run_result_free(struct mt_run_result *run)
{
	size_t i;

	if (!run)
		return;
	free(run->tool_version);
	free(run->run_id);
	kv_free(run->facts, run->nfacts);
	free(run->scenario_path);
	free(run->scenario_sha256);
	free(run->shard);
	for (i = 0; i < run->ncells; i++)
		cell_free(&run->cells[i]);
	free(run->cells);
	/* leave a zeroed, reusable struct so a double free is harmless */
	memset(run, 0, sizeof(*run));
}

int mt_run_merge(struct mt_run_result *dst, struct mt_run_result *src)
{
	size_t need;

	if (!dst || !src || dst == src)
		return MT_EINVAL;
	if (!src->ncells)
		return 0;
	need = dst->ncells + src->ncells;
	if (need < dst->ncells)
		return MT_ENOMEM;
	if (mt_grow((void **)&dst->cells, &dst->capcells, need - 1, sizeof(*dst->cells)))
		return MT_ENOMEM;
	/* cells own their members: a shallow move transfers them */
	memcpy(&dst->cells[dst->ncells], src->cells, src->ncells * sizeof(*src->cells));
	dst->ncells = need;
	free(src->cells);
	src->cells = NULL;
	src->ncells = src->capcells = 0;
	return 0;
}
