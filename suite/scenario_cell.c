/* scenario_cell.c — resolving one cell: which entries apply, in which order, and with which
 * axis alternative; the result is a struct mt_cell with every setting in base units.
 *
 * Precedence, per key: a job section replaces what [global] says for the same key (fio style);
 * [matrix]/[faults] entries apply last: they replace single-valued keys and ADD to repeatable
 * ones (spec lists, thresholds), since the matrix crosses what every job section does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "fleet.h"
#include "scenario_priv.h"
#include "suggest.h"

size_t mt_sc_jobs(const struct mt_scenario *s, const struct sc_section ***jobs)
{
	const struct mt_scenario_priv *pv = s->priv;
	const struct sc_section **j = calloc(pv->nsecs + 1, sizeof(*j));
	size_t n = 0;

	if (!j) {
		*jobs = NULL;
		return 0;
	}
	for (size_t i = 0; i < pv->nsecs; i++)
		if (pv->secs[i].kind == SC_JOB)
			j[n++] = &pv->secs[i];
	*jobs = j;
	return n ? n : 1; /* no job section: one implicit "global" cell set (j[0] == NULL) */
}

/* 1 when the job section writes key itself (then [global]'s entries for key do not apply). */
static int job_sets(const struct sc_section *job, const char *key)
{
	for (size_t i = 0; job && i < job->nentries; i++)
		if (strcmp(job->entries[i].key, key) == 0)
			return 1;
	return 0;
}

/* Calls fn on every entry that applies to job, in application order. */
static int each_entry(const struct mt_scenario *s, const struct sc_section *job,
		      int (*fn)(void *ctx, const struct sc_section *, const struct sc_entry *),
		      void *ctx)
{
	const struct mt_scenario_priv *pv = s->priv;
	static const enum sc_kind order[] = { SC_GLOBAL, SC_JOB, SC_MATRIX };
	int rc = 0;

	for (size_t k = 0; k < 3 && rc == 0; k++) {
		for (size_t i = 0; i < pv->nsecs && rc == 0; i++) {
			const struct sc_section *sec = &pv->secs[i];

			if (sec->kind != order[k] || (sec->kind == SC_JOB && sec != job))
				continue;
			for (size_t j = 0; j < sec->nentries && rc == 0; j++) {
				if (sec->kind == SC_GLOBAL && job_sets(job, sec->entries[j].key))
					continue;
				rc = fn(ctx, sec, &sec->entries[j]);
			}
		}
	}
	return rc;
}

struct axes_acc {
	struct sc_axis *v;
	size_t n;
};

static int add_axis(void *ctx, const struct sc_section *sec, const struct sc_entry *e)
{
	struct axes_acc *a = ctx;
	struct sc_axis *nv;

	if (!e->alts)
		return 0;
	nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
	if (!nv)
		return MT_ENOMEM;
	a->v = nv;
	a->v[a->n++] = (struct sc_axis){ sec, e };
	return 0;
}

static int by_line(const void *a, const void *b)
{
	const struct sc_axis *x = a, *y = b;

	return (x->e->line > y->e->line) - (x->e->line < y->e->line);
}

int mt_sc_axes(const struct mt_scenario *s, const struct sc_section *job, struct sc_axis **axes,
	       size_t *naxes)
{
	struct axes_acc a = { NULL, 0 };
	int rc = each_entry(s, job, add_axis, &a);

	if (rc) {
		free(a.v);
		return rc;
	}
	if (a.n > 1)
		qsort(a.v, a.n, sizeof(*a.v), by_line); /* file order, whatever the section */
	*axes = a.v;
	*naxes = a.n;
	return 0;
}

/* A driver key waiting for the cell's driver to be known. */
struct pending {
	const char *key, *text;
	int line;
};

struct resolve_ctx {
	const struct mt_scenario *s;
	const struct sc_axis *axes;
	size_t naxes;
	const size_t *choice;
	struct mt_cell *cell;
	struct pending *pend;
	size_t npend;
	struct mt_error *err;
};

static const char *value_of(const struct resolve_ctx *c, const struct sc_entry *e)
{
	if (!e->alts)
		return e->value;
	for (size_t i = 0; i < c->naxes; i++)
		if (c->axes[i].e == e)
			return e->alts[c->choice[i]];
	return e->alts[0]; /* unreachable: every applying axis entry is in axes */
}

static int add_thresholds(struct mt_cell *cell, const char *text, int line)
{
	char **parts = NULL;
	size_t n = 0;
	struct mt_threshold_src *nt;
	int rc = 0;

	if (mt_sc_split(text, ',', &parts, &n))
		return MT_ENOMEM;
	nt = realloc(cell->thresholds, (cell->nthresholds + n) * sizeof(*nt));
	if (!nt) {
		rc = MT_ENOMEM;
		goto out;
	}
	cell->thresholds = nt;
	for (size_t i = 0; i < n; i++) {
		nt[cell->nthresholds].expr = parts[i];
		nt[cell->nthresholds].line = line;
		parts[i] = NULL;
		cell->nthresholds++;
	}
out:
	mt_sc_strv_free(parts, n);
	return rc;
}

static int apply_entry(void *ctx, const struct sc_section *sec, const struct sc_entry *e)
{
	struct resolve_ctx *c = ctx;
	const char *text = value_of(c, e);
	int cls = mt_sc_key_class(e->key), rc = 0;

	(void)sec;
	if (cls == SC_KEY_DRIVER) {
		struct pending *np = realloc(c->pend, (c->npend + 1) * sizeof(*np));

		if (!np)
			return mt_err(c->err, MT_ENOMEM, "out of memory");
		c->pend = np;
		np[c->npend++] = (struct pending){ e->key, text, e->line };
		return 0;
	}
	rc = mt_params_set(&c->cell->core, mt_scenario_options(), e->key, text, e->line, c->err);
	if (rc == 0 && cls == SC_KEY_SPEC)
		rc = mt_spec_list_parse(c->s, mt_sc_spec_class(e->key), text, e->line,
					&c->cell->specs, &c->cell->nspecs, c->err);
	if (rc == 0 && cls == SC_KEY_THRESHOLD && add_thresholds(c->cell, text, e->line))
		rc = mt_err(c->err, MT_ENOMEM, "out of memory");
	if (rc && rc != MT_ENOMEM)
		mt_err_prefix(c->err, "%s:%d", c->s->path, e->line);
	return rc;
}

/* "did you mean" over the driver's keys and the core migrate.* keys together. */
static int unknown_driver_key(const struct mt_driver_ops *d, const char *key,
			      struct mt_error *err)
{
	const char *cands[128], *hint;
	size_t n = 0;

	for (const struct mt_option *o = d->base.options; o && o->name && n < 64; o++)
		cands[n++] = o->name;
	for (const struct mt_option *o = mt_scenario_options(); o->name && n < 128; o++)
		if (strncmp(o->name, "migrate.", 8) == 0)
			cands[n++] = o->name;
	hint = mt_suggest_name(key, cands, n);
	if (hint)
		return mt_err(err, MT_EINVAL, "key '%s': unknown key, did you mean '%s'?", key, hint);
	return mt_err(err, MT_EINVAL, "key '%s': unknown key for driver '%s'", key, d->base.name);
}

/* The driver, its migrate.* keys, defaults and check(). */
static int resolve_driver(struct resolve_ctx *c, int job_line)
{
	struct mt_cell *cell = c->cell;
	const struct mt_value *dv = mt_params_get(&cell->core, "driver");
	const struct mt_driver_ops *d;
	int line = dv && dv->line ? dv->line : job_line, rc = 0;

	cell->driver = strdup(dv ? dv->text : "libvirt");
	if (!cell->driver)
		return mt_err(c->err, MT_ENOMEM, "out of memory");
	d = mt_find_driver(cell->driver);
	if (!d)
		return mt_err(c->err, MT_EINVAL, "%s:%d: key 'driver': unknown driver '%s'%s",
			      c->s->path, line, cell->driver,
			      dv && dv->is_default ? " (the default; set driver =)" : "");
	cell->driver_ops = d;
	for (size_t i = 0; i < c->npend && rc == 0; i++) {
		line = c->pend[i].line;
		if (!mt_option_find(d->base.options, c->pend[i].key))
			rc = unknown_driver_key(d, c->pend[i].key, c->err);
		else
			rc = mt_params_set(&cell->migrate, d->base.options, c->pend[i].key,
					   c->pend[i].text, line, c->err);
	}
	if (rc == 0) {
		line = c->npend ? line : job_line;
		rc = mt_params_finish(&cell->migrate, d->base.options, c->err);
	}
	if (rc == 0 && d->base.check)
		rc = d->base.check(&cell->migrate, c->err);
	if (rc && rc != MT_ENOMEM)
		mt_err_prefix(c->err, "%s:%d", c->s->path, line);
	return rc;
}

static int copy_fields(struct mt_cell *cell)
{
	const struct mt_params *p = &cell->core;
	const char *guest, *client;

	cell->source = strdup(mt_param_str(p, "source"));
	cell->dest = strdup(mt_param_str(p, "dest"));
	/* absent stays NULL: the runner then keeps the lab-or-nothing default */
	guest = mt_param_str(p, "guest");
	client = mt_param_str(p, "client");
	cell->guest = guest ? strdup(guest) : NULL;
	cell->client = client ? strdup(client) : NULL;
	cell->warmup_ns = mt_param_i64(p, "warmup");
	cell->cooldown_ns = mt_param_i64(p, "cooldown");
	cell->migrate_at_ns = mt_param_i64(p, "migrate.at");
	cell->migrate_interval_ns = mt_param_i64(p, "migrate.interval");
	cell->migrate_timeout_ns = mt_param_i64(p, "migrate.timeout");
	cell->migrate_count = (int)mt_param_i64(p, "migrate.count");
	cell->migrate_concurrency = (int)mt_param_i64(p, "migrate.concurrency");
	cell->migrate_evacuate = mt_param_i64(p, "migrate.evacuate") != 0;
	if (!cell->source || !cell->dest || (guest && !cell->guest) ||
	    (client && !cell->client))
		return MT_ENOMEM;
	return 0;
}

/* `domain`: one VM or several, each named once; cell->domain is the first. */
static int resolve_domains(struct resolve_ctx *c, int job_line)
{
	struct mt_cell *cell = c->cell;
	const struct mt_value *dv = mt_params_get(&cell->core, "domain");
	int line = dv && dv->line ? dv->line : job_line;
	int n = mt_domains_split(mt_param_str(&cell->core, "domain"), &cell->domains);

	if (n < 0)
		return mt_err(c->err, MT_ENOMEM, "out of memory");
	cell->ndomains = n;
	if (n < 1 || n > MT_FLEET_MAX)
		return mt_err(c->err, MT_EINVAL, "%s:%d: key 'domain': expected 1 to %d VM names, "
			      "got %d", c->s->path, line, MT_FLEET_MAX, n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(cell->domains[i], cell->domains[j]) == 0)
				return mt_err(c->err, MT_EINVAL, "%s:%d: key 'domain': '%s' is "
					      "named twice", c->s->path, line, cell->domains[i]);
	if (!(cell->domain = strdup(cell->domains[0])))
		return mt_err(c->err, MT_ENOMEM, "out of memory");
	if (cell->migrate_evacuate && cell->migrate_count > 0 && cell->driver_ops &&
	    !cell->driver_ops->list_running) {
		dv = mt_params_get(&cell->core, "migrate.evacuate");
		return mt_err(c->err, MT_EINVAL, "%s:%d: key 'migrate.evacuate': driver %s cannot "
			      "list the VMs of a host", c->s->path, dv && dv->line ? dv->line :
			      job_line, cell->driver_ops->base.name);
	}
	/* an evacuation's VMs are known when it starts: any name may come */
	for (size_t i = 0; i < cell->nspecs && !cell->migrate_evacuate; i++) {
		const struct mt_spec *sp = &cell->specs[i];
		int k = 0;

		while (sp->vm && k < n && strcmp(sp->vm, cell->domains[k]) != 0)
			k++;
		if (sp->vm && k == n)
			return mt_err(c->err, MT_EINVAL, "%s:%d: %s '%s': key 'vm': '%s' is not one "
				      "of the cell's domains (%s)", c->s->path, sp->line,
				      mt_sc_spec_class_name(sp->cls), sp->kind, sp->vm,
				      mt_param_str(&cell->core, "domain"));
	}
	return 0;
}

/* "section/key=value/key2=value2" with compacted values; also fills cell->axes. */
static int name_cell(struct resolve_ctx *c, const char *section)
{
	struct mt_cell *cell = c->cell;
	size_t len = strlen(section) + 1;
	char *name;

	cell->axes = calloc(c->naxes ? c->naxes : 1, sizeof(*cell->axes));
	if (!cell->axes)
		return MT_ENOMEM;
	for (size_t i = 0; i < c->naxes; i++) {
		cell->axes[i].key = strdup(c->axes[i].e->key);
		cell->axes[i].val = mt_sc_compact(c->axes[i].e->alts[c->choice[i]]);
		cell->naxes++;
		if (!cell->axes[i].key || !cell->axes[i].val)
			return MT_ENOMEM;
		len += strlen(cell->axes[i].key) + strlen(cell->axes[i].val) + 2;
	}
	name = malloc(len);
	if (!name)
		return MT_ENOMEM;
	strcpy(name, section);
	for (size_t i = 0; i < cell->naxes; i++) {
		strcat(name, "/");
		strcat(name, cell->axes[i].key);
		strcat(name, "=");
		strcat(name, cell->axes[i].val);
	}
	cell->name = name;
	return 0;
}

int mt_sc_resolve(const struct mt_scenario *s, const struct sc_section *job,
		  const struct sc_axis *axes, size_t naxes, const size_t *choice, int repeat,
		  uint64_t run_seed, struct mt_cell *cell, struct mt_error *err)
{
	struct resolve_ctx c = { s, axes, naxes, choice, cell, NULL, 0, err };
	int job_line = job ? job->line : 1, bad_line, rc;

	cell->repeat = repeat;
	cell->section = strdup(job ? job->name : "global");
	if (!cell->section) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = each_entry(s, job, apply_entry, &c);
	if (rc)
		goto out;
	rc = mt_params_finish(&cell->core, mt_scenario_options(), err);
	if (rc) {
		mt_err_prefix(err, "%s:%d", s->path, job_line);
		goto out;
	}
	rc = resolve_driver(&c, job_line);
	if (rc == 0 && (copy_fields(cell) || name_cell(&c, cell->section)))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = resolve_domains(&c, job_line);
	if (rc)
		goto out;
	cell->seed = mt_cell_seed(run_seed, cell->name, repeat);
	rc = mt_sc_timeline(cell, &bad_line, err);
	if (rc == MT_EINVAL)
		mt_err_prefix(err, "%s:%d", s->path, bad_line ? bad_line : job_line);
out:
	free(c.pend);
	return rc;
}

void mt_sc_cell_free(struct mt_cell *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->section);
	for (size_t i = 0; i < c->naxes; i++) {
		free(c->axes[i].key);
		free(c->axes[i].val);
	}
	free(c->axes);
	mt_params_free(&c->core);
	free(c->driver);
	mt_params_free(&c->migrate);
	free(c->source);
	free(c->dest);
	free(c->domain);
	mt_domains_free(c->domains);
	free(c->guest);
	free(c->client);
	for (size_t i = 0; i < c->nspecs; i++)
		mt_spec_free(&c->specs[i]);
	free(c->specs);
	for (size_t i = 0; i < c->nevents; i++)
		free(c->events[i].label);
	free(c->events);
	for (size_t i = 0; i < c->nthresholds; i++)
		free(c->thresholds[i].expr);
	free(c->thresholds);
	memset(c, 0, sizeof(*c));
}
