/* runner_inst.c — the life cycle of a cell's workload, stress and probe instances: their ops
 * by class, and starting and stopping them inside their host. (Faults: runner_fault.c.) */
#include "runner_priv.h"

struct rn_life rn_life_of(const struct mt_spec *sp)
{
	struct rn_life l = { 0 };

	if (!sp->ops)
		return l;
	switch (sp->cls) {
	case MT_SPEC_WORKLOAD:
	case MT_SPEC_STRESS: {
		const struct mt_workload_ops *w = sp->ops;

		l = (struct rn_life){ w->supported, w->start, w->stop, w->collect, w->release };
		break;
	}
	case MT_SPEC_PROBE: {
		const struct mt_probe_ops *p = sp->ops;

		l = (struct rn_life){ p->supported, p->start, p->stop, p->collect, p->release };
		break;
	}
	case MT_SPEC_FAULT: {
		const struct mt_fault_ops *f = sp->ops;

		l = (struct rn_life){ f->supported, f->apply, NULL, f->collect, f->release };
		break;
	}
	}
	return l;
}

int rn_inst_start(struct rn_cellrun *c, struct rn_inst *in, struct mt_error *err)
{
	struct rn_life l = rn_life_of(in->spec);
	int saved, rc;

	if (in->running || in->has_state)
		return 0;
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
