/* plan_output.c — a plan for people (`migtorture plan`) and as JSON (`plan --json`, cJSON). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/units.h"
#include "scenario_priv.h"

static const char *anchor_name(enum mt_tl_anchor a)
{
	switch (a) {
	case MT_ANCHOR_START: return "start";
	case MT_ANCHOR_MIGRATED: return "migrated";
	case MT_ANCHOR_HOP_DONE: return "hop_done";
	case MT_ANCHOR_PHASE: return "phase";
	}
	return "?";
}

/* "+10s", "migrated+10s", "hop_done+5s", "hop0.switchover+20ms" */
static void when_text(const struct mt_tl_event *e, char *buf, size_t len)
{
	char d[32];

	mt_fmt_duration(e->offset_ns, d, sizeof(d));
	if (e->anchor == MT_ANCHOR_PHASE) {
		struct mt_phase_ref r = { 1, e->hop, e->phase, e->phase_arg, e->offset_ns };

		mt_phase_format(&r, e->hop, buf, len);
	} else if (e->anchor == MT_ANCHOR_START)
		snprintf(buf, len, "%s", d);
	else
		snprintf(buf, len, "%s+%s", anchor_name(e->anchor), d);
}

static void print_cell(const struct mt_cell *c, size_t idx, FILE *f)
{
	char est[32], when[96];

	mt_fmt_duration(mt_sc_cell_estimate(c), est, sizeof(est));
	fprintf(f, "[%zu] %s  repeat %d  seed %" PRIu64 "  ~%s\n", idx + 1, c->name, c->repeat,
		c->seed, est);
	fprintf(f, "    %s: %s -> %s, domain", c->driver, c->source, c->dest);
	for (int i = 0; c->domains && c->domains[i]; i++)
		fprintf(f, " %s", c->domains[i]);
	if (c->ndomains > 1)
		fprintf(f, " (%d at a time)", c->migrate_concurrency);
	fprintf(f, ", %d hop%s\n", c->migrate_count, c->migrate_count == 1 ? "" : "s");
	/* only when set: absent means the lab-or-nothing default, which the plan cannot see */
	if (c->guest || c->client)
		fprintf(f, "    users:%s%s%s%s\n", c->guest ? " guest " : "",
			c->guest ? c->guest : "", c->client ? " client " : "",
			c->client ? c->client : "");
	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_tl_event *e = &c->events[i];

		when_text(e, when, sizeof(when));
		fprintf(f, "    %-18s %-15s %s\n", when, mt_tl_kind_name(e->kind), e->label);
	}
	for (size_t i = 0; i < c->nthresholds; i++)
		fprintf(f, "    threshold          %s\n", c->thresholds[i].expr);
}

void mt_plan_print(const struct mt_plan *p, FILE *f)
{
	char est[32];

	mt_fmt_duration(p->estimated_ns, est, sizeof(est));
	fprintf(f, "plan: %zu cell%s (of %zu), run seed %" PRIu64 ", at least %s without "
		   "migration time\n",
		p->ncells, p->ncells == 1 ? "" : "s", p->total_cells, p->seed, est);
	for (size_t i = 0; i < p->ncells; i++)
		print_cell(&p->cells[i], i, f);
}

static cJSON *ms(int64_t ns)
{
	return cJSON_CreateNumber((double)ns / 1e6);
}

static cJSON *params_json(const struct mt_params *p)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < p->n; i++) {
		const struct mt_value *v = &p->vals[i];

		cJSON_AddItemToObject(o, v->opt->name,
				      cJSON_CreateString((v->opt->flags & MT_OPTF_SECRET) ? "***"
											 : v->text));
	}
	return o;
}

static cJSON *spec_json(const struct mt_spec *sp)
{
	cJSON *o = cJSON_CreateObject();
	char *txt = mt_params_format(&sp->params), when[96];

	cJSON_AddStringToObject(o, "class", mt_sc_spec_class_name(sp->cls));
	cJSON_AddStringToObject(o, "kind", sp->kind);
	cJSON_AddStringToObject(o, "text", sp->text);
	cJSON_AddStringToObject(o, "params", txt ? txt : "");
	cJSON_AddItemToObject(o, "values", params_json(&sp->params));
	if (sp->at_phase.set) {
		mt_phase_format(&sp->at_phase, sp->at_phase.hop, when, sizeof(when));
		cJSON_AddStringToObject(o, "at", when);
	} else {
		cJSON_AddItemToObject(o, "at_ms", ms(sp->at_ns));
	}
	if (sp->for_phase.set) {
		mt_phase_format(&sp->for_phase, sp->for_phase.hop, when, sizeof(when));
		cJSON_AddStringToObject(o, "for", when);
	} else {
		cJSON_AddItemToObject(o, "for_ms", sp->for_ns < 0 ? cJSON_CreateNull()
								  : ms(sp->for_ns));
	}
	cJSON_AddStringToObject(o, "host", sp->host);
	cJSON_AddNumberToObject(o, "line", sp->line);
	free(txt);
	return o;
}

static cJSON *event_json(const struct mt_tl_event *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "anchor", anchor_name(e->anchor));
	if (e->hop >= 0)
		cJSON_AddNumberToObject(o, "hop", e->hop);
	if (e->anchor == MT_ANCHOR_PHASE) {
		char when[96];

		when_text(e, when, sizeof(when));
		cJSON_AddStringToObject(o, "phase", mt_hop_phase_name(e->phase));
		if (e->phase == MT_PHASE_ITERATION || e->phase == MT_PHASE_REMAINING)
			cJSON_AddNumberToObject(o, "phase_arg", e->phase_arg);
		cJSON_AddStringToObject(o, "when", when);
	}
	cJSON_AddItemToObject(o, "offset_ms", ms(e->offset_ns));
	cJSON_AddStringToObject(o, "kind", mt_tl_kind_name(e->kind));
	if (e->spec >= 0)
		cJSON_AddNumberToObject(o, "spec", e->spec);
	cJSON_AddStringToObject(o, "label", e->label);
	return o;
}

static cJSON *migrate_json(const struct mt_cell *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "at_ms", ms(c->migrate_at_ns));
	cJSON_AddNumberToObject(o, "count", c->migrate_count);
	cJSON_AddItemToObject(o, "interval_ms", ms(c->migrate_interval_ns));
	cJSON_AddItemToObject(o, "timeout_ms", ms(c->migrate_timeout_ns));
	cJSON_AddItemToObject(o, "params", params_json(&c->migrate));
	return o;
}

static cJSON *cell_json(const struct mt_cell *c)
{
	cJSON *o = cJSON_CreateObject(), *axes = cJSON_CreateObject();
	cJSON *specs = cJSON_CreateArray(), *tl = cJSON_CreateArray(), *th = cJSON_CreateArray();
	char seed[32];

	snprintf(seed, sizeof(seed), "%" PRIu64, c->seed); /* 64-bit: JSON numbers lose bits */
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "section", c->section);
	for (size_t i = 0; i < c->naxes; i++)
		cJSON_AddItemToObject(axes, c->axes[i].key, cJSON_CreateString(c->axes[i].val));
	cJSON_AddItemToObject(o, "axes", axes);
	cJSON_AddNumberToObject(o, "repeat", c->repeat);
	cJSON_AddStringToObject(o, "seed", seed);
	cJSON_AddStringToObject(o, "driver", c->driver);
	cJSON_AddStringToObject(o, "source", c->source);
	cJSON_AddStringToObject(o, "dest", c->dest);
	cJSON_AddStringToObject(o, "domain", c->domain);
	if (c->ndomains > 1) {
		cJSON *d = cJSON_AddArrayToObject(o, "domains");

		for (int i = 0; d && i < c->ndomains; i++)
			cJSON_AddItemToArray(d, cJSON_CreateString(c->domains[i]));
		cJSON_AddNumberToObject(o, "concurrency", c->migrate_concurrency);
	}
	if (c->guest)
		cJSON_AddStringToObject(o, "guest", c->guest);
	if (c->client)
		cJSON_AddStringToObject(o, "client", c->client);
	cJSON_AddItemToObject(o, "warmup_ms", ms(c->warmup_ns));
	cJSON_AddItemToObject(o, "cooldown_ms", ms(c->cooldown_ns));
	cJSON_AddItemToObject(o, "migrate", migrate_json(c));
	for (size_t i = 0; i < c->nspecs; i++)
		cJSON_AddItemToArray(specs, spec_json(&c->specs[i]));
	cJSON_AddItemToObject(o, "specs", specs);
	for (size_t i = 0; i < c->nevents; i++)
		cJSON_AddItemToArray(tl, event_json(&c->events[i]));
	cJSON_AddItemToObject(o, "timeline", tl);
	for (size_t i = 0; i < c->nthresholds; i++) {
		cJSON *t = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "expr", c->thresholds[i].expr);
		cJSON_AddNumberToObject(t, "line", c->thresholds[i].line);
		cJSON_AddItemToArray(th, t);
	}
	cJSON_AddItemToObject(o, "thresholds", th);
	cJSON_AddItemToObject(o, "estimated_ms", ms(mt_sc_cell_estimate(c)));
	return o;
}

/* cJSON indents with tabs and writes "key":\tvalue; re-indent with two spaces and "key": value
 * so the output reads (and greps) like other tools' JSON. Tabs inside strings are escaped by
 * cJSON, so every raw tab is layout. */
static char *respace(char *s)
{
	size_t tabs = 0, n = 0;
	char *out;

	for (char *p = s; *p; p++)
		tabs += *p == '\t';
	out = malloc(strlen(s) + tabs + 1);
	if (!out) {
		free(s);
		return NULL;
	}
	for (char *p = s; *p; p++) {
		if (*p != '\t')
			out[n++] = *p;
		else if (p > s && p[-1] == ':')
			out[n++] = ' ';
		else
			out[n++] = ' ', out[n++] = ' ';
	}
	out[n] = '\0';
	free(s);
	return out;
}

char *mt_plan_to_json(const struct mt_plan *p, int pretty)
{
	cJSON *root = cJSON_CreateObject(), *cells = cJSON_CreateArray();
	char seed[32], *txt;

	snprintf(seed, sizeof(seed), "%" PRIu64, p->seed);
	cJSON_AddStringToObject(root, "seed", seed);
	cJSON_AddNumberToObject(root, "total_cells", (double)p->total_cells);
	cJSON_AddNumberToObject(root, "ncells", (double)p->ncells);
	cJSON_AddItemToObject(root, "estimated_ms", ms(p->estimated_ns));
	for (size_t i = 0; i < p->ncells; i++)
		cJSON_AddItemToArray(cells, cell_json(&p->cells[i]));
	cJSON_AddItemToObject(root, "cells", cells);
	txt = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (txt && pretty)
		txt = respace(txt);
	return txt;
}
