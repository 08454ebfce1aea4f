/* runner_settle.c — after a fault's undo, polling its target until it has recovered
 * (mt_fault_ops.settle, e.g. Ceph back to active+clean) on the cell's loop, so probes and the
 * timeline keep running meanwhile; teardown waits for what is still settling. */
#include <stdio.h>
#include <stdlib.h>

#include "migtorture/loop.h"
#include "runner_priv.h"

#define MT_RUN_SETTLE_POLL_NS (250LL * 1000000)

static void settle_end(struct rn_cellrun *c, struct rn_inst *in, int rc, const struct mt_error *e)
{
	const struct mt_fault_ops *f = mt_fault_of(in->spec->ops);
	int64_t now = mt_loop_now(c->loop);
	char what[96], detail[MT_ERRMSG_MAX + 64], path[160];

	mt_loop_del_timer(c->loop, in->settle_timer);
	in->settle_timer = 0;
	f->settle(in->settle_json, &in->settle_h, 1, NULL);
	free(in->settle_json);
	in->settle_json = NULL;
	c->settling--;
	snprintf(what, sizeof(what), "fault.settled %s", in->spec->kind);
	if (rc == 1) {
		snprintf(detail, sizeof(detail), "recovered %.3f s after undo",
			 (double)(now - in->settle_start) / 1e9);
		snprintf(path, sizeof(path), "fault.%s.undo_to_settled_ms", in->spec->kind);
		mt_cell_set_num(c->res, path, (double)(now - in->settle_start) / 1e6);
		rc = 0;
	} else {
		snprintf(detail, sizeof(detail), "%s", e && e->msg[0] ? e->msg : "settle failed");
		if (rc == 0)
			rc = MT_ETIMEOUT;
		rn_fail(c, rc, "fault %s: after undo: %s", in->spec->kind, detail);
	}
	mt_cell_add_event(c->res, -1, now - c->t0, what, detail, rc);
	if (c->settling == 0 && c->settle_waiting)
		mt_loop_stop(c->loop);
}

static int on_settle(struct mt_loop *loop, int64_t now, void *arg)
{
	struct rn_inst *in = arg;
	struct rn_cellrun *c = in->cr;
	struct mt_error err = { 0 };
	int saved, rc;

	(void)loop;
	(void)now;
	rc = rn_enter(c, in, &saved, &err);
	if (rc == 0) {
		const struct mt_fault_ops *f = mt_fault_of(in->spec->ops);

		rc = f->settle(in->settle_json, &in->settle_h, 0, &err);
		rn_leave(c, saved);
	}
	if (rc != 0)
		settle_end(c, in, rc, &err);
	return 0;
}

/* Starts polling in's settle (takes json). A poll timer that cannot be set ends the settle at
 * once as an infrastructure error that fails the cell: a settle is never skipped silently. */
void rn_settle_begin(struct rn_cellrun *c, struct rn_inst *in, char *json)
{
	struct mt_error err = { 0 };
	int64_t now = mt_loop_now(c->loop);

	in->cr = c;
	in->settle_json = json;
	in->settle_h = NULL;
	in->settle_start = now;
	c->settling++;
	if (mt_loop_add_timer(c->loop, now, MT_RUN_SETTLE_POLL_NS, on_settle, in,
			      &in->settle_timer, &err) < 0)
		settle_end(c, in, MT_EINFRA, &err);
}

/* Teardown: runs the loop (probes still running) until every pending settle ended; each is
 * bounded by its own timeout. A signal cancels what is left (the run's undo then waits). */
void rn_settle_wait(struct rn_cellrun *c)
{
	struct mt_error err = { 0 };

	if (c->settling <= 0)
		return;
	rn_say(c, "waiting for %d fault(s) to settle after undo", c->settling);
	c->settle_waiting = 1;
	while (c->settling > 0) {
		int rc = mt_loop_run(c->loop, mt_loop_now(c->loop) + 3600LL * 1000000000, &err);

		if (rc == MT_EINTR) {
			if (!c->r->signo)
				c->r->signo = mt_loop_signal(c->loop);
			c->interrupted = 1;
			break;
		}
		if (rc < 0)
			break;
	}
	c->settle_waiting = 0;
	for (size_t i = 0; i < c->nin && c->settling > 0; i++)
		if (c->in[i].settle_json) {
			struct mt_error e = { 0 };

			mt_err(&e, MT_EINTR, "cancelled before the target settled");
			settle_end(c, &c->in[i], MT_EINTR, &e);
		}
}
