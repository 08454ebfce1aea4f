/* timeline.c — a cell's planned events on the loop (see timeline.h for the rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

enum slot_state { SLOT_IDLE, SLOT_SCHEDULED, SLOT_DONE };

struct slot {
	struct mt_timeline *tl;
	size_t idx;          /* into cell->events */
	int64_t planned_ns;  /* offset since t0, known once the anchor resolved */
	int64_t anchor_ns;   /* MT_ANCHOR_PHASE: when the phase was measured, since t0 */
	uint64_t timer;
	enum slot_state state;
};

struct mt_timeline {
	struct mt_loop *loop;
	const struct mt_cell *cell;
	struct mt_cell_result *res;
	mt_tl_exec_fn fn;
	void *arg;
	int64_t t0_ns;
	struct slot *slots;
	size_t *order;      /* scratch: indices of one anchor group, sorted */
	size_t npending;
	size_t nreached;      /* anchored events run */
	int64_t max_lag_ns;   /* their largest effect - planned */
};


int mt_timeline_new(struct mt_timeline **out, struct mt_loop *loop, const struct mt_cell *cell,
		    struct mt_cell_result *res, mt_tl_exec_fn fn, void *arg,
		    struct mt_error *err)
{
	struct mt_timeline *tl = calloc(1, sizeof(*tl));
	size_t n = cell->nevents ? cell->nevents : 1;
	int rc = 0;

	*out = NULL;
	if (!tl || !(tl->slots = calloc(n, sizeof(*tl->slots))) ||
	    !(tl->order = calloc(n, sizeof(*tl->order)))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	tl->loop = loop;
	tl->cell = cell;
	tl->res = res;
	tl->fn = fn;
	tl->arg = arg;
	for (size_t i = 0; i < cell->nevents; i++) {
		const struct mt_tl_event *ev = &cell->events[i];

		if (ev->spec >= (int)cell->nspecs || ev->offset_ns < 0) {
			rc = mt_err(err, MT_EINVAL, "cell %s: event %zu (%s) is malformed",
				    cell->name ? cell->name : "?", i, mt_tl_kind_name(ev->kind));
			goto out;
		}
		tl->slots[i] = (struct slot){ tl, i, -1, -1, 0, SLOT_IDLE };
	}
	*out = tl;
	tl = NULL;
out:
	mt_timeline_free(tl);
	return rc;
}

void mt_timeline_free(struct mt_timeline *tl)
{
	if (!tl)
		return;
	mt_timeline_cancel(tl);
	free(tl->slots);
	free(tl->order);
	free(tl);
}

char *mt_timeline_what(const struct mt_cell *cell, const struct mt_tl_event *ev)
{
	const char *kind = mt_tl_kind_name(ev->kind);
	char buf[256];

	if (ev->kind == MT_TL_PHASE)
		snprintf(buf, sizeof(buf), "%s %s", kind, ev->label ? ev->label : "");
	else if (ev->kind == MT_TL_MIGRATE_START)
		snprintf(buf, sizeof(buf), "%s hop %d", kind, ev->hop);
	else if (ev->spec >= 0 && (size_t)ev->spec < cell->nspecs && cell->specs[ev->spec].kind)
		snprintf(buf, sizeof(buf), "%s %s", kind, cell->specs[ev->spec].kind);
	else
		snprintf(buf, sizeof(buf), "%s", kind);
	return strdup(buf);
}

/* Does the cell migrate several VMs (fleet.h), each with phases of its own? */
static int several(const struct mt_cell *cell)
{
	return cell->ndomains > 1 || cell->migrate_evacuate;
}

/* The anchor as recorded: the phase, and in a cell of several VMs the VM of a spec that names
 * one ("hop0.switchover (web2)"). */
static void anchor_name(const struct mt_cell *cell, const struct mt_tl_event *ev, char *buf,
			size_t len)
{
	const char *vm = ev->spec >= 0 ? cell->specs[ev->spec].vm : NULL;
	size_t l;

	mt_timeline_anchor_text(ev, buf, len);
	l = strlen(buf);
	if (vm && several(cell) && l < len)
		snprintf(buf + l, len - l, " (%s)", vm);
}

static int fire(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct slot *s = arg;
	struct mt_timeline *tl = s->tl;
	const struct mt_cell *cell = tl->cell;
	const struct mt_tl_event *ev = &cell->events[s->idx];
	struct mt_error err = { 0 };
	int64_t actual = mt_loop_now(loop) - tl->t0_ns, effect = -1;
	const char *detail = NULL;
	char *what;
	int rc, arc;

	(void)now_ns;
	s->state = SLOT_DONE;
	s->timer = 0;
	tl->npending--;
	rc = tl->fn(tl->arg, ev, s->planned_ns, actual, &effect, &err);
	if (rc == MT_TL_NOTHING) {
		rc = 0;
		detail = err.msg;
	} else if (rc < 0) {
		detail = err.msg[0] ? err.msg : mt_err_name(rc);
	}
	if (!detail && ev->spec >= 0)
		detail = cell->specs[ev->spec].text;
	else if (!detail && ev->kind == MT_TL_MIGRATE_START)
		detail = err.msg[0] ? err.msg : ev->label; /* "hop 1: hostb -> hosta" */
	what = mt_timeline_what(cell, ev);
	arc = what ? mt_cell_add_event(tl->res, s->planned_ns, actual, what, detail, rc)
		   : MT_ENOMEM;
	free(what);
	if (arc == 0 && ev->anchor == MT_ANCHOR_PHASE) {
		char anchor[96];

		if (effect < 0)
			effect = actual;
		anchor_name(cell, ev, anchor, sizeof(anchor));
		arc = mt_cell_event_anchor(tl->res, anchor, s->anchor_ns, effect);
		tl->nreached++;
		if (tl->nreached == 1 || effect - s->planned_ns > tl->max_lag_ns)
			tl->max_lag_ns = effect - s->planned_ns;
	}
	if (rc == 0 && arc < 0)
		rc = arc;
	return rc;
}

void mt_timeline_anchor_text(const struct mt_tl_event *ev, char *buf, size_t len)
{
	struct mt_phase_ref r = { 1, ev->hop, ev->phase, ev->phase_arg, 0 };

	mt_phase_format(&r, ev->hop, buf, len);
}

/* Same instant: documented kind order, then spec index, then plan order. */
static int cmp_slot(const void *a, const void *b, void *events)
{
	const struct mt_tl_event *x = &((const struct mt_tl_event *)events)[*(const size_t *)a];
	const struct mt_tl_event *y = &((const struct mt_tl_event *)events)[*(const size_t *)b];

	if (x->offset_ns != y->offset_ns)
		return x->offset_ns < y->offset_ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->spec != y->spec)
		return x->spec < y->spec ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Does the phase ph belong to the VM ev's spec serves? In a cell of one VM every phase
 * does; in a cell of several, a spec with vm= follows that VM's hop alone, one without it the
 * hop as a whole and the first VM's phases. */
static int same_vm(const struct mt_cell *cell, const struct mt_tl_event *ev,
		   const struct mt_phase_event *ph)
{
	const char *vm = ev->spec >= 0 ? cell->specs[ev->spec].vm : NULL;

	if (!vm || !several(cell))
		return !ph->vm || ph->unnamed;
	return ph->vm && strcmp(ph->vm, vm) == 0;
}

/* Is ev anchored on anchor (for HOP_DONE: of hop; for PHASE: the phase ph reached)? A pass
 * counts from its number on, remaining memory from its size down. */
static int matches(const struct mt_cell *cell, const struct mt_tl_event *ev,
		   enum mt_tl_anchor anchor, int hop, const struct mt_phase_event *ph)
{
	if (ev->anchor != anchor)
		return 0;
	if (anchor == MT_ANCHOR_HOP_DONE)
		return ev->hop == hop;
	if (anchor != MT_ANCHOR_PHASE)
		return 1;
	if (!ph || ev->hop != ph->hop || ev->phase != ph->phase || !same_vm(cell, ev, ph))
		return 0;
	if (ph->phase == MT_PHASE_ITERATION)
		return ph->value >= ev->phase_arg;
	if (ph->phase == MT_PHASE_REMAINING)
		return ph->value <= ev->phase_arg;
	return 1;
}

/* Schedules every idle event of anchor (HOP_DONE: of that hop; PHASE: matching ph) from
 * base_ns. */
static int schedule(struct mt_timeline *tl, enum mt_tl_anchor anchor, int hop,
		    const struct mt_phase_event *ph, int64_t base_ns, struct mt_error *err)
{
	const struct mt_cell *cell = tl->cell;
	size_t n = 0;

	for (size_t i = 0; i < cell->nevents; i++) {
		if (tl->slots[i].state == SLOT_IDLE && matches(cell, &cell->events[i], anchor, hop, ph))
			tl->order[n++] = i;
	}
	qsort_r(tl->order, n, sizeof(*tl->order), cmp_slot, cell->events);
	for (size_t k = 0; k < n; k++) {
		struct slot *s = &tl->slots[tl->order[k]];
		int64_t due = base_ns + cell->events[s->idx].offset_ns;
		int rc = mt_loop_add_timer(tl->loop, due, 0, fire, s, &s->timer, err);

		if (rc < 0)
			return rc;
		s->planned_ns = due - tl->t0_ns;
		s->anchor_ns = base_ns - tl->t0_ns;
		s->state = SLOT_SCHEDULED;
		tl->npending++;
	}
	return 0;
}

int mt_timeline_start(struct mt_timeline *tl, int64_t t0_ns, struct mt_error *err)
{
	int rc;

	tl->t0_ns = t0_ns;
	rc = schedule(tl, MT_ANCHOR_START, -1, NULL, t0_ns, err);
	if (rc == 0 && tl->cell->migrate_count <= 0)
		rc = schedule(tl, MT_ANCHOR_MIGRATED, -1, NULL,
			      t0_ns + tl->cell->warmup_ns + tl->cell->migrate_at_ns, err);
	return rc;
}

int mt_timeline_hop_done(struct mt_timeline *tl, int hop, int64_t done_ns,
			 struct mt_error *err)
{
	int rc = schedule(tl, MT_ANCHOR_HOP_DONE, hop + 1, NULL, done_ns, err);

	if (rc == 0 && hop + 1 >= tl->cell->migrate_count)
		rc = schedule(tl, MT_ANCHOR_MIGRATED, -1, NULL, done_ns, err);
	return rc;
}

int mt_timeline_phase(struct mt_timeline *tl, const struct mt_phase_event *ph,
		      struct mt_error *err)
{
	return schedule(tl, MT_ANCHOR_PHASE, ph->hop, ph, ph->t_ns, err);
}

int mt_timeline_close_anchors(struct mt_timeline *tl)
{
	const struct mt_cell *cell = tl->cell;
	size_t missed = 0, anchored = 0;
	int rc = 0;

	for (size_t i = 0; i < cell->nevents && rc == 0; i++) {
		const struct mt_tl_event *ev = &cell->events[i];
		struct slot *s = &tl->slots[i];
		char anchor[96], detail[192];
		char *what;

		if (ev->anchor != MT_ANCHOR_PHASE)
			continue;
		anchored++;
		if (s->state == SLOT_DONE)
			continue;
		anchor_name(cell, ev, anchor, sizeof(anchor));
		if (s->state == SLOT_SCHEDULED) {
			/* The phase came, but the cell ended before the offset after it. */
			mt_loop_del_timer(tl->loop, s->timer);
			s->timer = 0;
			tl->npending--;
			snprintf(detail, sizeof(detail), "not run: %s came at %.3f ms, the cell ended "
				 "before its offset", anchor, (double)s->anchor_ns / 1e6);
		} else {
			s->planned_ns = s->anchor_ns = -1;
			snprintf(detail, sizeof(detail), "not run: %s never came before the cell "
				 "ended", anchor);
		}
		s->state = SLOT_DONE;
		missed++;
		what = mt_timeline_what(cell, ev);
		rc = what ? mt_cell_add_event(tl->res, s->planned_ns, -1, what, detail, 0)
			  : MT_ENOMEM;
		free(what);
		if (rc == 0)
			rc = mt_cell_event_anchor(tl->res, anchor, s->anchor_ns, -1);
	}
	if (rc == 0 && anchored) {
		rc = mt_cell_set_num(tl->res, "anchor.reached", (double)tl->nreached);
		if (rc == 0)
			rc = mt_cell_set_num(tl->res, "anchor.missed", (double)missed);
		if (rc == 0 && tl->nreached)
			rc = mt_cell_set_num(tl->res, "anchor.trigger_lag_max_ms",
					     (double)tl->max_lag_ns / 1e6);
	}
	return rc;
}

void mt_timeline_cancel(struct mt_timeline *tl)
{
	for (size_t i = 0; i < tl->cell->nevents; i++) {
		struct slot *s = &tl->slots[i];

		if (s->state != SLOT_SCHEDULED)
			continue;
		mt_loop_del_timer(tl->loop, s->timer);
		s->timer = 0;
		s->state = SLOT_IDLE;
		tl->npending--;
	}
}

size_t mt_timeline_pending(const struct mt_timeline *tl)
{
	return tl->npending;
}
