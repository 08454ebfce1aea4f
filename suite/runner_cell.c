/* runner_cell.c — a cell's set-up and teardown: the plan's events checked against their specs,
 * hosts and lab resolved, one instance per spec, the driver found; every plugin's supported();
 * and the teardown that always runs (abort a hop, stop, collect, undo, release), so a cell
 * never leaves anything behind for the next. */
#include <stdlib.h>

#include "migtorture/journal.h"
#include "migtorture/loop.h"
#include "labresolve.h"
#include "remote.h"
#include "fleet.h"
#include "runner_priv.h"
#include "timeline.h"

/* supported() of every plugin of the cell: 1 = all can run, 0 = skip (reason set), < 0 error. */
int rn_check_supported(struct rn_cellrun *c)
{
	char why[512];

	for (size_t i = 0; i < c->nin; i++) {
		struct rn_inst *in = &c->in[i];
		struct rn_life l = rn_life_of(in->spec);
		struct mt_error err = { 0 };
		int saved, rc;

		if (in->host->kind == MT_HOST_SSH) {
			const char *cls = rn_cls_name(in->spec->cls);

			/* Faults and host stress run through the host's agent; nothing else
			 * does yet. */
			if (in->spec->cls != MT_SPEC_FAULT &&
			    !(in->spec->cls == MT_SPEC_STRESS &&
			      mt_remote_stress_kind(in->spec->kind))) {
				rn_skip_reason(c, "%s %s: host '%s' is remote (ssh): only faults "
					       "run on ssh hosts so far", rn_cls_name(in->spec->cls),
					       in->spec->kind, in->host->name);
				return 0;
			}
			why[0] = '\0';
			rc = mt_remote_get(in->host, &in->remote, &err);
			if (rc < 0)
				return rn_fail(c, rc, "%s %s: %s", cls, in->spec->kind, err.msg);
			rn_remote_metric(c, in, ".session_setup_ms",
					 (double)mt_remote_setup_ns(in->remote) / 1e6);
			rn_remote_metric(c, in, ".rtt_min_ms",
					 (double)mt_remote_rtt_min_ns(in->remote) / 1e6);
			rc = mt_remote_supported(in->remote, in->spec->kind, &in->spec->params,
						 why, sizeof(why), &err);
			if (rc == MT_EUNSUPPORTED) {
				rn_skip_reason(c, "%s %s: %s", cls, in->spec->kind, why);
				return 0;
			}
			if (rc < 0)
				return rn_fail(c, rc, "%s %s: supported(): %s", cls, in->spec->kind,
					       err.msg);
			continue;
		}
		if (!l.supported)
			continue;
		why[0] = '\0';
		rc = rn_enter(c, in, &saved, &err);
		if (rc < 0)
			return rc;
		rc = l.supported(&in->spec->params, &in->ctx, why, sizeof(why));
		rn_leave(c, saved);
		if (rc == MT_EUNSUPPORTED) {
			rn_skip_reason(c, "%s %s: %s", rn_cls_name(in->spec->cls),
				 in->spec->kind, why[0] ? why : "not supported here");
			return 0;
		}
		if (rc < 0)
			return rn_fail(c, rc, "%s %s: supported(): %s", rn_cls_name(in->spec->cls),
				       in->spec->kind, why[0] ? why : mt_err_name(rc));
	}
	if (c->drv && c->drv->base.supported) {
		int rc;

		why[0] = '\0';
		rc = c->drv->base.supported(&c->cell->migrate, &c->dctx, why, sizeof(why));
		if (rc == MT_EUNSUPPORTED) {
			rn_skip_reason(c, "driver %s: %s", c->drv->base.name,
				 why[0] ? why : "not supported here");
			return 0;
		}
		if (rc < 0)
			return rn_fail(c, rc, "driver %s: supported(): %s", c->drv->base.name,
				       why[0] ? why : mt_err_name(rc));
	}
	return 1;
}

int rn_cell_setup(struct rn_cellrun *c, struct mt_error *err)
{
	const struct mt_cell *cell = c->cell;
	struct mt_ctx base = { 0 };
	int has_end = 0;

	for (size_t i = 0; i < cell->nevents; i++)
		has_end |= cell->events[i].kind == MT_TL_CELL_END;
	if (!has_end)
		return rn_fail(c, MT_EINVAL, "the plan of cell %s has no cell end", cell->name);
	/* An event acts on a spec of the matching class only (the ops are cast by class). */
	for (size_t i = 0; i < cell->nevents; i++) {
		const struct mt_tl_event *ev = &cell->events[i];
		enum mt_spec_class cls;
		int want;

		if (ev->spec < 0)
			continue;
		if ((size_t)ev->spec >= cell->nspecs)
			return rn_fail(c, MT_EINVAL, "cell %s: event %zu names spec %d of %zu",
				       cell->name, i, ev->spec, cell->nspecs);
		cls = cell->specs[ev->spec].cls;
		switch (ev->kind) {
		case MT_TL_FAULT_ON:
		case MT_TL_FAULT_OFF:
			want = cls == MT_SPEC_FAULT;
			break;
		case MT_TL_WORKLOAD_START:
		case MT_TL_WORKLOAD_STOP:
			want = cls == MT_SPEC_WORKLOAD || cls == MT_SPEC_STRESS;
			break;
		case MT_TL_PROBE_START:
		case MT_TL_PROBE_STOP:
			want = cls == MT_SPEC_PROBE;
			break;
		default:
			want = 1;
		}
		if (!want)
			return rn_fail(c, MT_EINVAL, "cell %s: event %s does not fit %s spec '%s'",
				       cell->name, mt_tl_kind_name(ev->kind), rn_cls_name(cls),
				       cell->specs[ev->spec].kind);
	}
	c->in = calloc(cell->nspecs ? cell->nspecs : 1, sizeof(*c->in));
	if (!c->in)
		return rn_fail(c, MT_ENOMEM, "out of memory");
	c->nin = cell->nspecs;
	base.loop = c->loop;
	base.journal = c->r->journal;
	base.host = &rn_local_host;
	base.result = c->res;
	base.run = c->r->run;
	base.seed = cell->seed;
	base.cell_name = cell->name;
	base.outdir = c->r->o->outdir;
	base.phases = &c->phases;
	base.domain = cell->domain;
	if (mt_labres_cell(cell, &c->lab, err) < 0) {
		/* Only `guest = lab:guest[N]` reads lab.json for a cell outside the lab: without
		 * a lab its probes have no target here, which is a skip like an absent host. */
		if (c->lab.uses_lab || err->code == MT_ENOMEM)
			return rn_fail(c, err->code, "%s", err->msg);
		c->skipped = 1;
		rn_skip_reason(c, "guest '%s' is not available here: %s", cell->guest, err->msg);
		return 0;
	}
	base.guest_addr = c->lab.guest_addr;
	base.guest_url = c->lab.guest_url;
	base.vm_uri = c->lab.src_uri;
	base.verbose = c->r->o->verbose;
	c->dctx = base;
	for (size_t i = 0; i < cell->nspecs; i++) {
		struct rn_inst *in = &c->in[i];
		int rc;

		in->spec = &cell->specs[i];
		in->ctx = base;
		rc = rn_bind_host(c, in, 0, err);
		if (rc <= 0)
			return rc;
		rc = rn_inst_vm_bind(c, in, err);
		if (rc <= 0)
			return rc;
		if (!in->spec->ops)
			return rn_fail(c, MT_ENOTFOUND, "no %s plugin '%s' in this build",
				       rn_cls_name(in->spec->cls), in->spec->kind);
		if (in->spec->cls == MT_SPEC_FAULT && !mt_fault_of(in->spec->ops)->apply)
			return rn_fail(c, MT_EINFRA, "fault %s has no apply", in->spec->kind);
	}
	if (cell->migrate_count > 0) {
		c->drv = cell->driver_ops ? cell->driver_ops : mt_find_driver(cell->driver);
		if (!c->drv)
			return rn_fail(c, MT_ENOTFOUND, "no migration driver '%s' in this build",
				       cell->driver ? cell->driver : "(none)");
		if (!c->drv->start || !c->drv->finish || !c->drv->prepare)
			return rn_fail(c, MT_EINFRA, "driver %s lacks prepare/start/finish",
				       c->drv->base.name);
		if (cell->ndomains > 1 || cell->migrate_evacuate) {
			c->inner = c->drv;
			mt_fleet_ops(c->inner, &c->fleet);
			c->drv = &c->fleet;
		}
	}
	(void)err;
	return 0;
}

int rn_bind_host(struct rn_cellrun *c, struct rn_inst *in, int flipped, struct mt_error *err)
{
	in->host = rn_spec_host(c->r->s, c->cell, &c->lab, in->spec, flipped, err);
	in->remote = NULL;
	if (!in->host) {
		/* A host this machine cannot reach (no [host:] section, or the lab is not up): the
		 * cell cannot run here; skip, naming the host. */
		c->skipped = 1;
		rn_skip_reason(c, "%s %s: host '%s' is not available here: %s",
			       rn_cls_name(in->spec->cls), in->spec->kind,
			       rn_spec_host_name(c->cell, &c->lab, in->spec, flipped), err->msg);
		return 0;
	}
	in->ctx.host = in->host;
	if (in->spec->cls == MT_SPEC_FAULT && !rn_fault_in_radius(c, in))
		return rn_fail(c, MT_EINVAL, "fault %s on host %s%s%s is outside the lab and not in "
			       "the scenario's targets: add it to targets or run with "
			       "--allow-host-faults", in->spec->kind, in->host->name,
			       mt_params_get(&in->spec->params, "dev") ? " dev " : "",
			       mt_params_str(&in->spec->params, "dev", ""));
	return 1;
}

int rn_rebind_roles(struct rn_cellrun *c, struct mt_error *err)
{
	size_t moved = 0;

	for (size_t i = 0; i < c->nin; i++)
		if (rn_spec_host_is_role(c->in[i].spec)) {
			int rc = rn_bind_host(c, &c->in[i], 1, err);

			if (rc <= 0)
				return rc < 0 ? rc : 0;
			moved++;
		}
	/* supported() again, on the hosts they moved to */
	return moved ? rn_check_supported(c) : 1;
}

/* Stops, collects, undoes and releases everything of the cell; always runs. */
void rn_cell_teardown(struct rn_cellrun *c)
{
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	int64_t now;

	if (c->tl && mt_timeline_close_anchors(c->tl) < 0)
		rn_fail(c, MT_ENOMEM, "out of memory");
	if (c->tl)
		mt_timeline_cancel(c->tl);
	if (c->hop_running) {
		/* Abort the hop and wait (bounded) for the driver to end it. */
		c->tearing_down = 1;
		mt_loop_del_timer(c->loop, c->poll_id);
		mt_loop_del_timer(c->loop, c->timeout_id);
		mt_loop_del_timer(c->loop, c->grace_id);
		c->poll_id = c->timeout_id = c->grace_id = 0;
		if (c->drv->abort && c->drv->abort(c->dstate, &err) < 0)
			rn_fail(c, err.code, "migration hop %d: abort: %s", c->hop, err.msg);
		mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0, "migrate.abort",
				  "cell teardown", 0);
		mt_err_clear(&err);
		if (mt_loop_run(c->loop, mt_loop_now(c->loop) + 10LL * 1000000000, &err) ==
		    MT_EINTR && !c->r->signo)
			c->r->signo = mt_loop_signal(c->loop);
		if (c->hop_running) {
			rn_hop_unwatch(c);
			rn_fail(c, MT_ETIMEOUT, "migration hop %d did not end after abort", c->hop);
		}
		mt_err_clear(&err);
	}
	/* Faults turned off by the timeline may still be settling: probes watch that too. */
	rn_settle_wait(c);
	now = mt_loop_now(c->loop);
	if (c->t0)
		c->phases.end_ns = now - c->t0;
	/* Workloads and stress first, then probes: probes watch to the end. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = c->nin; i-- > 0;) {
			struct rn_inst *in = &c->in[i];
			int is_probe = in->spec->cls == MT_SPEC_PROBE;

			if (in->spec->cls == MT_SPEC_FAULT || is_probe != pass || !in->running)
				continue;
			mt_err_clear(&err);
			rn_inst_stop(c, in, &err);
			mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0,
					  is_probe ? "probe.stop" : "workload.stop", in->spec->kind,
					  err.code);
		}
	}
	/* Collect: probes and workloads see the final phases; faults still on go off. */
	for (size_t i = 0; i < c->nin; i++) {
		struct rn_inst *in = &c->in[i];
		struct rn_life l = rn_life_of(in->spec);

		mt_err_clear(&err);
		if (in->spec->cls == MT_SPEC_FAULT) {
			if (in->running) {
				rn_fault_off(c, in, &err);
				mt_cell_add_event(c->res, -1, mt_loop_now(c->loop) - c->t0,
						  "fault.off", in->spec->kind, err.code);
			}
			continue;
		}
		/* On an ssh host the agent collected when it stopped the stress (no state here). */
		if (in->remote)
			continue;
		if (in->has_state && l.collect && l.collect(in->state, &in->ctx, &err) < 0)
			rn_fail(c, err.code ? err.code : MT_EINFRA, "%s %s: collect: %s",
				rn_cls_name(in->spec->cls), in->spec->kind, err.msg);
		rn_inst_vm_fold(c, in);
	}
	rn_settle_wait(c); /* faults that were still on at the cell's end */
	if (c->prepared && c->drv->collect) {
		mt_err_clear(&err);
		if (c->drv->collect(c->dstate, &c->dctx, &err) < 0)
			rn_fail(c, err.code ? err.code : MT_EINFRA, "driver %s: collect: %s",
				c->drv->base.name, err.msg);
	}
	/* Whatever is still open (spawned processes, a fault whose off failed) goes now. */
	mt_err_clear(&err);
	if (mt_journal_undo_all(c->r->journal, &undone, &failed, &err) < 0)
		rn_fail(c, err.code, "undo: %s", err.msg);
	for (size_t i = 0; i < c->nin; i++) {
		struct rn_inst *in = &c->in[i];
		struct rn_life l = rn_life_of(in->spec);

		if (in->remote) {
			if (in->has_state)
				mt_remote_release(in->remote, in->rhandle, &err);
		} else if (in->has_state && l.release) {
			l.release(in->state);
		}
		in->state = NULL;
		in->has_state = 0;
	}
	rn_phase_unwatch(c);
	if (c->prepared && c->drv->release)
		c->drv->release(c->dstate);
	c->prepared = 0;
	c->dstate = NULL;
	rn_logs_end(c);
}
