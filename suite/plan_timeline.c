/* plan_timeline.c — the planned timeline of one cell, exactly as the comment at the top of
 * include/migtorture/scenario.h defines it. Events carry an anchor (cell start, completion of
 * the previous hop, completion of the last hop) because migration times are only known when
 * the cell runs; the run loop turns anchors into instants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_priv.h"

const char *mt_tl_kind_name(enum mt_tl_kind k)
{
	switch (k) {
	case MT_TL_PHASE: return "phase";
	case MT_TL_FAULT_OFF: return "fault.off";
	case MT_TL_PROBE_START: return "probe.start";
	case MT_TL_WORKLOAD_START: return "workload.start";
	case MT_TL_FAULT_ON: return "fault.on";
	case MT_TL_MIGRATE_START: return "migrate.start";
	case MT_TL_WORKLOAD_STOP: return "workload.stop";
	case MT_TL_PROBE_STOP: return "probe.stop";
	case MT_TL_CELL_END: return "cell.end";
	}
	return "?";
}

/* The longest cell the planner accepts. Every planned offset stays below it, so the run loop's
 * sums (monotonic now + offset, a hop's end + the interval) cannot overflow; a scenario asking
 * for more is a typo, reported at its line. */
#define MT_TL_MAX_NS (365LL * 86400 * 1000000000)

/* The most events a cell plans: hop* makes one per hop and migrate.count may be 1000, so a few
 * such specs would otherwise plan hundreds of thousands (and sort them). */
#define MT_TL_MAX_EVENTS 10000

/* a + b for durations (>= 0), or -1 when either is negative or the sum passes MT_TL_MAX_NS. */
static int64_t tl_sum(int64_t a, int64_t b)
{
	if (a < 0 || b < 0 || a > MT_TL_MAX_NS || b > MT_TL_MAX_NS - a)
		return -1;
	return a + b;
}

static int add(struct mt_cell *c, enum mt_tl_anchor a, int64_t off, enum mt_tl_kind k, int spec,
	       int hop, const char *label)
{
	struct mt_tl_event *ne = realloc(c->events, (c->nevents + 1) * sizeof(*ne));

	if (!ne)
		return MT_ENOMEM;
	c->events = ne;
	ne[c->nevents] = (struct mt_tl_event){ .anchor = a, .offset_ns = off, .kind = k,
					       .spec = spec, .hop = hop, .label = strdup(label) };
	if (!ne[c->nevents].label)
		return MT_ENOMEM;
	c->nevents++;
	return 0;
}

/* Same instant: kind order, then declaration order (spec index), then hop. */
static int cmp_event(const struct mt_tl_event *a, const struct mt_tl_event *b)
{
	if (a->anchor != b->anchor)
		return a->anchor < b->anchor ? -1 : 1;
	if (a->offset_ns != b->offset_ns)
		return a->offset_ns < b->offset_ns ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->spec != b->spec)
		return a->spec < b->spec ? -1 : 1;
	return (a->hop > b->hop) - (a->hop < b->hop);
}

/* Insertion sort: stable, so equal events keep the order they were added in (baseline before
 * during at t = 0); a cell has tens of events, not thousands. */
static void sort_stable(struct mt_tl_event *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct mt_tl_event x = v[i];
		size_t j = i;

		for (; j > 0 && cmp_event(&v[j - 1], &x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Where "the end" is: cooldown after the last hop, or after the would-be migration instant
 * when the cell migrates nothing (migrate.count = 0). Returns -1 when the cell's settings end
 * past MT_TL_MAX_NS. */
static int end_anchor(const struct mt_cell *c, enum mt_tl_anchor *a, int64_t *off)
{
	int64_t t = tl_sum(tl_sum(c->warmup_ns, c->migrate_at_ns), c->cooldown_ns);

	if (c->migrate_count > 1 &&
	    (c->migrate_interval_ns < 0 ||
	     c->migrate_interval_ns > MT_TL_MAX_NS / (c->migrate_count - 1) ||
	     tl_sum(t, (int64_t)(c->migrate_count - 1) * c->migrate_interval_ns) < 0))
		return -1;
	if (t < 0)
		return -1;
	if (c->migrate_count > 0) {
		*a = MT_ANCHOR_MIGRATED;
		*off = c->cooldown_ns;
	} else {
		*a = MT_ANCHOR_START;
		*off = t;
	}
	return 0;
}

/* An event at phase r of hop, extra after r's own offset. */
static int add_phase(struct mt_cell *c, const struct mt_phase_ref *r, int hop, int64_t extra,
		     enum mt_tl_kind k, int spec, const char *label)
{
	int64_t off = tl_sum(r->offset_ns, extra);
	int rc;

	if (off < 0)
		return MT_EINVAL;
	rc = add(c, MT_ANCHOR_PHASE, off, k, spec, hop, label);
	if (rc == 0) {
		c->events[c->nevents - 1].phase = r->phase;
		c->events[c->nevents - 1].phase_arg = r->arg;
	}
	return rc;
}

/* A phase anchor names a hop the cell makes, and hop* is not mixed with one-off times. */
static int check_phases(const struct mt_cell *c, const struct mt_spec *sp, struct mt_error *err)
{
	const struct mt_phase_ref *r[2] = { &sp->at_phase, &sp->for_phase };
	const char *key[2] = { "at", "for" };

	for (int k = 0; k < 2; k++) {
		if (!r[k]->set)
			continue;
		if (c->migrate_count <= 0)
			return mt_err(err, MT_EINVAL, "%s= names a migration phase, but the cell "
				      "migrates nothing (migrate.count = 0)", key[k]);
		if (r[k]->hop >= c->migrate_count)
			return mt_err(err, MT_EINVAL, "%s=hop%d...: the cell makes %d hop%s "
				      "(hop0..hop%d)", key[k], r[k]->hop, c->migrate_count,
				      c->migrate_count == 1 ? "" : "s", c->migrate_count - 1);
	}
	if (sp->at_phase.set && sp->at_phase.hop == MT_HOP_ALL && sp->cls != MT_SPEC_FAULT)
		return mt_err(err, MT_EINVAL, "at=hop*... repeats on every hop, which only a fault "
			      "can: a %s starts once per cell (name one hop)",
			      mt_sc_spec_class_name(sp->cls));
	if (sp->at_phase.set && sp->at_phase.hop == MT_HOP_ALL && sp->for_phase.set &&
	    sp->for_phase.hop != MT_HOP_ALL)
		return mt_err(err, MT_EINVAL, "at=hop*... repeats on every hop: for= must be a "
			      "duration or hop*... too");
	if (sp->for_phase.set && sp->for_phase.hop == MT_HOP_ALL &&
	    !(sp->at_phase.set && sp->at_phase.hop == MT_HOP_ALL))
		return mt_err(err, MT_EINVAL, "for=hop*... ends it on every hop: at= must be "
			      "hop*... too");
	return 0;
}

/* The events of a spec anchored on migration phases: per hop for hop*, else once. */
static int spec_phase_events(struct mt_cell *c, int i, enum mt_tl_kind on, enum mt_tl_kind off,
			     enum mt_tl_anchor ea, int64_t eoff, struct mt_error *err)
{
	const struct mt_spec *sp = &c->specs[i];
	int all = sp->at_phase.set && sp->at_phase.hop == MT_HOP_ALL;
	int64_t start = sp->at_ns;
	int rc = check_phases(c, sp, err);

	if (rc)
		return rc;
	if (!sp->at_phase.set && sp->cls == MT_SPEC_FAULT)
		start = tl_sum(start, c->warmup_ns);
	for (int h = all ? 0 : -1; rc == 0 && h < (all ? c->migrate_count : 0); h++) {
		int ah = all ? h : sp->at_phase.hop, fh = all ? h : sp->for_phase.hop;

		if (sp->at_phase.set)
			rc = add_phase(c, &sp->at_phase, ah, 0, on, i, sp->text);
		else if (start >= 0)
			rc = add(c, MT_ANCHOR_START, start, on, i, -1, sp->text);
		else
			rc = MT_EINVAL;
		if (rc == 0 && sp->for_phase.set)
			rc = add_phase(c, &sp->for_phase, fh, 0, off, i, sp->text);
		else if (rc == 0 && sp->for_ns >= 0)
			rc = sp->at_phase.set ? add_phase(c, &sp->at_phase, ah, sp->for_ns, off, i,
							  sp->text)
			     : tl_sum(start, sp->for_ns) < 0
				     ? MT_EINVAL
				     : add(c, MT_ANCHOR_START, tl_sum(start, sp->for_ns), off, i,
					   -1, sp->text);
	}
	/* Without for=, the cell's end stops it (a fault's open entries are undone then). */
	if (rc == 0 && !sp->for_phase.set && sp->for_ns < 0 && sp->cls != MT_SPEC_FAULT)
		rc = add(c, ea, eoff, off, i, -1, sp->text);
	if (rc == MT_EINVAL)
		return mt_err(err, MT_EINVAL, "at= and for= end past %lld days, the longest cell "
			      "planned", MT_TL_MAX_NS / 86400000000000LL);
	return rc ? mt_err(err, rc, "out of memory") : 0;
}

/* Returns 0, MT_ENOMEM, or MT_EINVAL (with err) when at= and for= end past MT_TL_MAX_NS or
 * name a phase the cell does not have. */
static int spec_events(struct mt_cell *c, int i, enum mt_tl_anchor ea, int64_t eoff,
		       struct mt_error *err)
{
	const struct mt_spec *sp = &c->specs[i];
	enum mt_tl_kind on, off;
	int64_t start = sp->at_ns, stop = -1;
	int rc;

	if (sp->at_phase.set || sp->for_phase.set) {
		on = sp->cls == MT_SPEC_FAULT ? MT_TL_FAULT_ON
		     : sp->cls == MT_SPEC_PROBE ? MT_TL_PROBE_START : MT_TL_WORKLOAD_START;
		off = sp->cls == MT_SPEC_FAULT ? MT_TL_FAULT_OFF
		      : sp->cls == MT_SPEC_PROBE ? MT_TL_PROBE_STOP : MT_TL_WORKLOAD_STOP;
		return spec_phase_events(c, i, on, off, ea, eoff, err);
	}
	if (sp->cls == MT_SPEC_FAULT)
		start = tl_sum(start, c->warmup_ns); /* faults count from the end of warm-up */
	if (start >= 0 && sp->for_ns >= 0)
		stop = tl_sum(start, sp->for_ns);
	if (start < 0 || (sp->for_ns >= 0 && stop < 0))
		return mt_err(err, MT_EINVAL, "at= and for= end past %lld days, the longest cell "
			      "planned", MT_TL_MAX_NS / 86400000000000LL);
	switch (sp->cls) {
	case MT_SPEC_FAULT:
		rc = add(c, MT_ANCHOR_START, start, MT_TL_FAULT_ON, i, -1, sp->text);
		if (rc == 0 && stop >= 0)
			rc = add(c, MT_ANCHOR_START, stop, MT_TL_FAULT_OFF, i, -1, sp->text);
		return rc; /* a fault without for= stays on until the cell end undoes it */
	case MT_SPEC_PROBE:
		on = MT_TL_PROBE_START, off = MT_TL_PROBE_STOP;
		break;
	default:
		on = MT_TL_WORKLOAD_START, off = MT_TL_WORKLOAD_STOP;
		break;
	}
	rc = add(c, MT_ANCHOR_START, start, on, i, -1, sp->text);
	if (rc == 0 && stop >= 0)
		rc = add(c, MT_ANCHOR_START, stop, off, i, -1, sp->text);
	else if (rc == 0)
		rc = add(c, ea, eoff, off, i, -1, sp->text);
	return rc;
}

static int migration_events(struct mt_cell *c)
{
	int64_t t = c->warmup_ns + c->migrate_at_ns;
	char label[512];
	int rc = 0;

	if (c->migrate_count <= 0)
		return 0;
	rc = add(c, MT_ANCHOR_START, t, MT_TL_PHASE, -1, -1, "during");
	for (int h = 0; h < c->migrate_count && rc == 0; h++) {
		/* ping-pong: even hops source → dest, odd hops back */
		snprintf(label, sizeof(label), "hop %d: %s -> %s", h, h % 2 ? c->dest : c->source,
			 h % 2 ? c->source : c->dest);
		if (h == 0)
			rc = add(c, MT_ANCHOR_START, t, MT_TL_MIGRATE_START, -1, 0, label);
		else
			rc = add(c, MT_ANCHOR_HOP_DONE, c->migrate_interval_ns, MT_TL_MIGRATE_START,
				 -1, h, label);
	}
	if (rc == 0)
		rc = add(c, MT_ANCHOR_MIGRATED, 0, MT_TL_PHASE, -1, -1, "after");
	return rc;
}

int mt_sc_timeline(struct mt_cell *c, int *line, struct mt_error *err)
{
	enum mt_tl_anchor ea;
	int64_t eoff;
	int rc;

	*line = 0;
	if (end_anchor(c, &ea, &eoff) < 0)
		return mt_err(err, MT_EINVAL, "warmup, migrate.at, the hops and cooldown end past "
			      "%lld days, the longest cell planned", MT_TL_MAX_NS / 86400000000000LL);
	rc = add(c, MT_ANCHOR_START, 0, MT_TL_PHASE, -1, -1, "baseline");
	for (size_t i = 0; i < c->nspecs && rc == 0; i++) {
		rc = spec_events(c, (int)i, ea, eoff, err);
		if (rc == 0 && c->nevents > MT_TL_MAX_EVENTS)
			rc = mt_err(err, MT_EINVAL, "the cell plans more than %d events (hop* repeats "
				    "on each of the %d hops), expected fewer", MT_TL_MAX_EVENTS,
				    c->migrate_count);
		if (rc == MT_EINVAL) {
			*line = c->specs[i].line;
			mt_err_prefix(err, "%s '%s'", mt_sc_spec_class_name(c->specs[i].cls),
				      c->specs[i].kind);
			return rc;
		}
	}
	if (rc == 0)
		rc = migration_events(c);
	if (rc == 0)
		rc = add(c, ea, eoff, MT_TL_CELL_END, -1, -1, "end");
	if (rc)
		return mt_err(err, MT_ENOMEM, "out of memory");
	sort_stable(c->events, c->nevents);
	return 0;
}

int64_t mt_sc_cell_estimate(const struct mt_cell *c)
{
	int64_t end = c->warmup_ns + c->migrate_at_ns + c->cooldown_ns;

	if (c->migrate_count > 1)
		end += (int64_t)(c->migrate_count - 1) * c->migrate_interval_ns;
	for (size_t i = 0; i < c->nevents; i++)
		if (c->events[i].anchor == MT_ANCHOR_START && c->events[i].offset_ns > end)
			end = c->events[i].offset_ns;
	return end;
}
