/* runner_event.c — the timeline's callback: one planned event of a cell handed to what does
 * it (an instance start or stop, a fault on or off, a migration hop, the cell's end). */
#include <stdlib.h>

#include "migtorture/loop.h"
#include "runner_priv.h"
#include "timeline.h"

int rn_exec_event(void *arg, const struct mt_tl_event *ev, int64_t planned, int64_t actual,
		  int64_t *effect, struct mt_error *err)
{
	struct rn_cellrun *c = arg;
	struct rn_inst *in = ev->spec >= 0 ? &c->in[ev->spec] : NULL;
	int rc = 0;

	if (c->r->o->verbose > 0) {
		char *what = mt_timeline_what(c->cell, ev);

		rn_say(c, "%s (planned %+.3fs)", what ? what : "?", rn_secs(planned));
		free(what);
	}
	(void)actual;
	switch (ev->kind) {
	case MT_TL_PHASE:
		break;
	case MT_TL_PROBE_START:
	case MT_TL_WORKLOAD_START:
		rc = in ? rn_inst_start(c, in, err) : 0;
		break;
	case MT_TL_WORKLOAD_STOP:
	case MT_TL_PROBE_STOP:
		rc = in ? rn_inst_stop(c, in, err) : 0;
		break;
	case MT_TL_FAULT_ON:
		if (in && in->ons++ < in->offs) {
			/* Its own off already ran (for= on an anchor that came before at=): applying
			 * now would leave the fault on until the cell ends. */
			rc = mt_err(err, MT_TL_NOTHING, "not applied: its for= end came first");
			break;
		}
		if (in && in->running) {
			/* hop* without for=: still on from an earlier hop; its effect is not now. */
			rc = mt_err(err, MT_TL_NOTHING, "not applied again: it is still on");
			break;
		}
		rc = in ? rn_fault_on(c, in, err) : 0;
		if (rc == 0 && in)
			*effect = in->applied_ns; /* when the change took effect, not when asked */
		break;
	case MT_TL_FAULT_OFF:
		if (in)
			in->offs++;
		rc = in ? rn_fault_off(c, in, err) : 0;
		break;
	case MT_TL_MIGRATE_START:
		rc = rn_hop_start(c, ev->hop, err);
		if (rc < 0)
			break;
		/* its record says where the hop really went: the plan's label has the planned
		 * direction, and a cell that found its VM on dest turned around (rn_orient) */
		err->msg[0] = '\0';
		if (c->turned)
			snprintf(err->msg, sizeof(err->msg), "hop %d: %s -> %s", ev->hop,
				 ev->hop % 2 ? c->cell->source : c->cell->dest,
				 ev->hop % 2 ? c->cell->dest : c->cell->source);
		break;
	case MT_TL_CELL_END:
		mt_loop_stop(c->loop);
		break;
	}
	if (rc < 0 && err->code == 0)
		mt_err(err, rc, "%s", c->reason);
	return rc;
}
