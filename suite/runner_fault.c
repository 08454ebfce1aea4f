/* runner_fault.c — turning a cell's faults on and off: locally through the plugin's apply and
 * the journal's undo, or on an ssh host through its agent (timed by the round trip). */
#include <stdio.h>
#include <stdlib.h>

#include "migtorture/journal.h"
#include "remote.h"
#include "runner_priv.h"

/* ---- faults on ssh hosts: the same life cycle, carried out by the host's agent ---- */

/* Metric path component for a host or kind name: dots would nest. */
static void path_part(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "?");
	for (char *p = dst; *p; p++)
		if (*p == '.')
			*p = '_';
}

void rn_remote_metric(struct rn_cellrun *c, struct rn_inst *in, const char *what, double ms)
{
	char path[256], h[64], k[64];

	path_part(h, sizeof(h), in->host->name);
	path_part(k, sizeof(k), in->spec->kind);
	if (what[0] == '.')
		snprintf(path, sizeof(path), "remote.%s%s", h, what);
	else
		snprintf(path, sizeof(path), "remote.%s.%s.%s", h, k, what);
	mt_cell_set_num(c->res, path, ms);
}

int rn_remote_apply(struct rn_cellrun *c, struct rn_inst *in, struct mt_remote_apply_info *info,
		    struct mt_error *err)
{
	int rc = mt_remote_apply(in->remote, in->spec->kind, &in->spec->params, c->r->journal,
				 in->host, c->t0, c->cell->name, c->cell->seed, &in->rhandle, info,
				 err);

	rn_remote_metric(c, in, "apply_rtt_ms", (double)info->rtt_ns / 1e6);
	rn_remote_metric(c, in, ".clock_error_ms", (double)info->error_ns / 1e6);
	return rc;
}

static int remote_apply(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	struct mt_remote_apply_info info;
	char detail[256], what[96];
	int rc;

	rc = rn_remote_apply(c, in, &info, err);
	if (rc == 0 && info.applied_ns >= 0) {
		/* When it took effect on the far side, on this cell's clock (± error_ns). */
		snprintf(detail, sizeof(detail), "on %s (ssh): round trip %.2f ms, clock error "
			 "<= %.3f ms", in->host->name, (double)info.rtt_ns / 1e6,
			 (double)info.error_ns / 1e6);
		in->applied_ns = info.applied_ns;
		snprintf(what, sizeof(what), "fault.applied %s", in->spec->kind);
		mt_cell_add_event(c->res, -1, info.applied_ns, what, detail, 0);
		rn_say(c, "fault %s applied on %s at %+.3fs (round trip %.1f ms)", in->spec->kind,
		       in->host->name, rn_secs(info.applied_ns), (double)info.rtt_ns / 1e6);
	}
	return rc;
}

/* ---- faults ---- */

int rn_fault_on(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	const struct mt_fault_ops *f = mt_fault_of(in->spec->ops);
	uint64_t before = mt_journal_last_id(c->r->journal);
	int saved, rc;

	if (in->running)
		return 0;
	in->applied_ns = -1;
	if (in->remote) {
		rc = remote_apply(c, in, err);
	} else {
		rc = rn_enter(c, in, &saved, err);
		if (rc < 0)
			return rc;
		rc = f->apply(&in->spec->params, &in->ctx, &in->state, err);
		rn_leave(c, saved);
	}
	in->jfirst = before + 1;
	in->jlast = mt_journal_last_id(c->r->journal);
	if (!in->remote)
		in->applied_ns = mt_journal_applied_time(c->r->journal, in->jfirst, in->jlast);
	if (rc < 0) {
		struct mt_error uerr = { 0 };

		if (err->code == 0)
			mt_err(err, rc, "apply failed (%s)", mt_err_name(rc));
		rn_fail(c, rc, "fault %s: %s", in->spec->kind, err->msg);
		/* What it journalled before failing is taken back now. */
		if (in->jlast >= in->jfirst &&
		    mt_journal_undo_range(c->r->journal, in->jfirst, in->jlast, NULL, NULL, NULL,
					  &uerr) < 0)
			rn_fail(c, uerr.code, "fault %s: %s", in->spec->kind, uerr.msg);
		if (in->state && f->release)
			f->release(in->state);
		in->state = NULL;
		return rc;
	}
	if (in->jlast < in->jfirst)
		rn_say(c, "warning: fault %s journalled nothing", in->spec->kind);
	in->has_state = 1;
	in->running = 1;
	return 0;
}

/* Fault off: its metrics, its state (timers) released, then its journal entries undone. */
int rn_fault_off(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	const struct mt_fault_ops *f = mt_fault_of(in->spec->ops);
	int rc = 0, r2;

	if (!in->running)
		return 0;
	in->running = 0;
	if (in->remote) {
		r2 = mt_remote_collect(in->remote, in->rhandle, c->res, err);
		if (r2 == 0)
			r2 = mt_remote_release(in->remote, in->rhandle, err);
		if (r2 < 0)
			rc = rn_fail(c, r2, "fault %s: collect: %s", in->spec->kind, err->msg);
	} else {
		if (f->collect) {
			r2 = f->collect(in->state, &in->ctx, err);
			if (r2 < 0)
				rc = rn_fail(c, r2, "fault %s: collect: %s", in->spec->kind,
					     err->msg);
		}
		if (f->release)
			f->release(in->state);
	}
	in->state = NULL;
	in->has_state = 0;
	if (in->jlast >= in->jfirst) {
		struct mt_error uerr = { 0 };
		int64_t t = mt_loop_now(c->loop);

		int async = !in->remote && f->undo_nowait && f->settle;
		char *sj = async ? mt_journal_undo_json(c->r->journal, in->jfirst, in->jlast,
							 f->base.name)
				 : NULL;

		mt_journal_set_nowait(c->r->journal, sj != NULL);
		r2 = mt_journal_undo_range(c->r->journal, in->jfirst, in->jlast, NULL, NULL, NULL,
					   &uerr);
		mt_journal_set_nowait(c->r->journal, 0);
		if (r2 == 0 && sj)
			rn_settle_begin(c, in, sj); /* takes sj */
		else
			free(sj);
		if (in->remote) {
			/* Undone on the far side within this round trip: the midpoint is the
			 * estimate, half of it the error bound. */
			int64_t rtt = mt_loop_now(c->loop) - t;
			char detail[160], what[96];

			rn_remote_metric(c, in, "undo_rtt_ms", (double)rtt / 1e6);
			snprintf(detail, sizeof(detail), "on %s (ssh): round trip %.2f ms, midpoint",
				 in->host->name, (double)rtt / 1e6);
			snprintf(what, sizeof(what), "fault.undone %s", in->spec->kind);
			mt_cell_add_event(c->res, -1, t + rtt / 2 - c->t0, what, detail, r2);
		}
		if (r2 < 0) {
			mt_err(err, r2, "%s", uerr.msg);
			rc = rn_fail(c, r2, "fault %s: %s", in->spec->kind, uerr.msg);
		}
	}
	return rc;
}
