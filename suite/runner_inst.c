/* runner_inst.c — the life cycle of a cell's workload, stress and probe instances: their ops
 * by class, and starting and stopping them inside their host, or for host stress on an ssh
 * host through its agent (as a fault is: runner_fault.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/journal.h"
#include "labref.h"
#include "remote.h"
#include "runner_priv.h"

struct rn_life rn_life_of(const struct mt_spec *sp)
{
	const struct mt_fault_ops *f;
	const struct mt_workload_ops *w;

	if (!sp->ops)
		return (struct rn_life){ 0 };
	if (sp->cls != MT_SPEC_FAULT) { /* workloads, stress and probes share one ops type */
		w = mt_workload_of(sp->ops);
		return (struct rn_life){ w->base.supported, w->start, w->stop, w->collect,
					 w->release };
	}
	f = mt_fault_of(sp->ops);
	return (struct rn_life){ f->base.supported, f->apply, NULL, f->collect, f->release };
}

/* Host stress on an ssh host: the agent starts it; its stress-ng group and temp dir are in
 * this run's journal (host = the ssh host) before it runs. A failed start takes back what it
 * journalled, as a failed fault apply does. */
static int remote_start(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	struct mt_remote_apply_info info;
	uint64_t before = mt_journal_last_id(c->r->journal), last;
	int rc;

	rc = rn_remote_apply(c, in, &info, err);
	last = mt_journal_last_id(c->r->journal);
	if (rc < 0) {
		struct mt_error uerr = { 0 };

		if (err->code == 0)
			mt_err(err, rc, "start failed (%s)", mt_err_name(rc));
		rn_fail(c, rc, "stress %s: %s", in->spec->kind, err->msg);
		if (last > before && mt_journal_undo_range(c->r->journal, before + 1, last, NULL,
							   NULL, NULL, &uerr) < 0)
			rn_fail(c, uerr.code, "stress %s: %s", in->spec->kind, uerr.msg);
		return rc;
	}
	rn_say(c, "stress %s started on %s (round trip %.1f ms)", in->spec->kind, in->host->name,
	       (double)info.rtt_ns / 1e6);
	in->has_state = 1;
	in->running = 1;
	return 0;
}

int rn_inst_start(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	struct rn_life l = rn_life_of(in->spec);
	int saved, rc;

	if (in->running || in->has_state)
		return 0;
	if (in->remote)
		return remote_start(c, in, err);
	if (!l.start)
		return rn_fail(c, MT_EINFRA, "%s %s has no start", rn_cls_name(in->spec->cls),
			       in->spec->kind);
	rc = rn_enter(c, in, &saved, err);
	if (rc < 0)
		return rc;
	rc = l.start(&in->spec->params, &in->ctx, &in->state, err);
	rn_leave(c, saved);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "start failed (%s)", mt_err_name(rc));
		if (in->state && l.release)
			l.release(in->state);
		in->state = NULL;
		return rn_fail(c, rc, "%s %s: %s", rn_cls_name(in->spec->cls), in->spec->kind, err->msg);
	}
	in->has_state = 1;
	in->running = 1;
	return 0;
}

int rn_inst_stop(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	struct rn_life l = rn_life_of(in->spec);
	int saved, rc = 0;

	if (!in->running)
		return 0;
	in->running = 0;
	if (in->remote) {
		/* The agent stops it and collects in one round trip (stress-ng reports its totals
		 * when it ends); the cell's phases go with it. The handle is released at teardown. */
		int64_t t = mt_loop_now(c->loop);

		/* with vm=, into that VM's result like a local instance's (rn_inst_vm_fold) */
		rc = mt_remote_collect_phases(in->remote, in->rhandle, &c->phases,
					      in->vmres ? in->vmres : c->res, err);
		rn_remote_metric(c, in, "collect_rtt_ms", (double)(mt_loop_now(c->loop) - t) / 1e6);
		if (rc < 0)
			return rn_fail(c, rc, "stress %s: stop: %s", in->spec->kind, err->msg);
		return 0;
	}
	if (!l.stop)
		return 0;
	rc = rn_enter(c, in, &saved, err);
	if (rc < 0)
		return rc;
	rc = l.stop(in->state, &in->ctx, err);
	rn_leave(c, saved);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "stop failed (%s)", mt_err_name(rc));
		return rn_fail(c, rc, "%s %s: stop: %s", rn_cls_name(in->spec->cls), in->spec->kind,
			       err->msg);
	}
	return 0;
}

/* vm's address in the cell's vm_guests (NAME=ADDRESS ...), malloc'd, or NULL. */
static char *vm_guest_listed(const struct mt_cell *cell, const char *vm)
{
	const char *p = mt_param_str(&cell->core, "vm_guests");
	size_t vl = strlen(vm);

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n > vl + 1 && strncmp(p, vm, vl) == 0 && p[vl] == '=')
			return strndup(p + vl + 1, n - vl - 1);
		p += n;
	}
	return NULL;
}

int rn_inst_vm_bind(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	const char *vm = in->spec->vm;
	struct mt_labref_guest g = { 0 };
	int rc;

	if (!vm)
		return 1;
	in->ctx.domain = vm;
	if (in->spec->cls == MT_SPEC_FAULT)
		return 1; /* its VM's hop anchors it; it acts on its own target (a QEMU's domain) */
	if ((in->vm_addr = vm_guest_listed(c->cell, vm))) {
		if (!(in->vm_url = mt_guest_web_root(in->vm_addr)) ||
		    !(in->vmres = mt_run_add_cell(&in->vmrun, vm)))
			return rn_fail(c, MT_ENOMEM, "out of memory");
		in->ctx.guest_addr = in->vm_addr;
		in->ctx.guest_url = in->vm_url;
		in->ctx.result = in->vmres;
		return 1;
	}
	if (!c->lab.uses_lab) {
		c->skipped = 1;
		rn_skip_reason(c, "%s %s: vm=%s: no address for it (vm_guests = %s=ADDRESS; the "
			       "lab finds its own guests)", rn_cls_name(in->spec->cls),
			       in->spec->kind, vm, vm);
		return 0;
	}
	rc = mt_labref_guest(NULL, vm, &g, err);
	if (rc == 0 && (!g.name || strcmp(g.name, vm) != 0)) {
		mt_labref_guest_free(&g);
		c->skipped = 1;
		rn_skip_reason(c, "%s %s: vm=%s: no lab guest runs as %s (mt-lab up --guests N)",
			       rn_cls_name(in->spec->cls), in->spec->kind, vm, vm);
		return 0;
	}
	if (rc == 0 && ((g.ip && !(in->vm_addr = strdup(g.ip))) ||
			(g.http_url && !(in->vm_url = strdup(g.http_url))) ||
			!(in->vmres = mt_run_add_cell(&in->vmrun, vm))))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
	mt_labref_guest_free(&g);
	if (rc < 0)
		return rn_fail(c, rc, "vm=%s: %s", vm, err->msg);
	in->ctx.guest_addr = in->vm_addr;
	in->ctx.guest_url = in->vm_url;
	in->ctx.result = in->vmres;
	return 1;
}

void rn_inst_vm_fold(struct rn_cellrun *c, struct rn_inst *in)
{
	char prefix[128];

	if (!in->vmres)
		return;
	mt_vm_prefix(in->spec->vm, prefix, sizeof(prefix));
	if (mt_cell_absorb(c->res, in->vmres, prefix, in->spec->vm) < 0)
		rn_fail(c, MT_ENOMEM, "vm=%s: cannot keep its results", in->spec->vm);
	mt_run_result_free(&in->vmrun);
	memset(&in->vmrun, 0, sizeof(in->vmrun));
	in->vmres = NULL;
	in->ctx.result = c->res;
}

void rn_inst_vm_free(struct rn_inst *in)
{
	mt_run_result_free(&in->vmrun);
	memset(&in->vmrun, 0, sizeof(in->vmrun));
	in->vmres = NULL;
	free(in->vm_addr);
	free(in->vm_url);
	in->vm_addr = in->vm_url = NULL;
}
