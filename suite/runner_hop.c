/* runner_hop.c — a cell's migration hops through its driver: start (ping-pong direction),
 * poll while running, done (the driver's fd), timeout (abort, then a bounded grace); and,
 * before t0, where the VM runs (a cell starts from wherever the previous one left it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "migtorture/journal.h"
#include "migtorture/loop.h"
#include "fleet.h"
#include "labresolve.h"
#include "runner_priv.h"
#include "timeline.h"

void rn_hop_unwatch(struct rn_cellrun *c)
{
	if (c->done_fd >= 0)
		mt_loop_del_fd(c->loop, c->done_fd);
	c->done_fd = -1;
	mt_loop_del_timer(c->loop, c->poll_id);
	mt_loop_del_timer(c->loop, c->timeout_id);
	mt_loop_del_timer(c->loop, c->grace_id);
	c->poll_id = c->timeout_id = c->grace_id = 0;
}

void rn_phase_unwatch(struct rn_cellrun *c)
{
	if (c->phase_fd >= 0)
		mt_loop_del_fd(c->loop, c->phase_fd);
	c->phase_fd = -1;
}

/* The running hop reached a phase: the events anchored there are scheduled from the moment
 * it was measured (not from now), so the loop's wake-up counts in their lag. */
static int hop_phase(struct rn_cellrun *c, const struct mt_phase_event *ev)
{
	struct mt_error err = { 0 };

	if (c->tearing_down || !c->tl)
		return 0;
	if (mt_timeline_phase(c->tl, ev, &err) < 0)
		return rn_fail(c, err.code, "timeline: %s", err.msg);
	return 0;
}

static int on_phase(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct rn_cellrun *c = arg;
	struct mt_phase_event ev;
	int rc = 0;

	(void)loop;
	(void)fd;
	(void)events;
	/* The hop's own phases only; one may arrive after the hop ended (libvirt delivers
	 * events asynchronously), and is scheduled from its measured time all the same. */
	for (;;) {
		ev = (struct mt_phase_event){ 0 }; /* a driver leaves vm and unnamed unset */
		if (c->drv->phase_next(c->dstate, &ev) != 1)
			break;
		if (rc == 0 && ev.hop == c->hop && (c->hop_running || c->hops_done > ev.hop))
			rc = hop_phase(c, &ev);
	}
	return rc;
}

/* From the first hop on, the driver's phase events wake the loop (it is prepared for good by
 * then: rn_orient may prepare it again before t0). */
static int phase_watch(struct rn_cellrun *c, struct mt_error *err)
{
	int fd, rc;

	if (c->phase_fd >= 0 || !c->drv->phase_fd || !c->drv->phase_next)
		return 0;
	fd = c->drv->phase_fd(c->dstate);
	if (fd < 0)
		return 0;
	rc = mt_loop_add_fd(c->loop, fd, EPOLLIN, on_phase, c, err);
	if (rc == 0)
		c->phase_fd = fd;
	return rc;
}

/* migrate.evacuate: every VM on the source, else (a cell before moved them all) on the
 * destination, where the cell then starts from (rn_orient). */
static int evacuees(struct rn_cellrun *c, char ***names, struct mt_error *err)
{
	const char *hosts[2] = { c->lab.src_uri, c->lab.dst_uri };
	int rc = 0;

	*names = NULL;
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (!hosts[i])
			continue;
		rc = c->inner->list_running(&c->lab.migrate, &c->dctx, hosts[i], names, err);
		if (rc == 0 && *names && (*names)[0])
			return 0;
		mt_domains_free(*names);
		*names = NULL;
	}
	if (rc < 0)
		return rc;
	return mt_err(err, MT_ENOTFOUND, "migrate.evacuate: no VM runs on %s or %s",
		      hosts[0] ? hosts[0] : "?", hosts[1] ? hosts[1] : "?");
}

int rn_drv_prepare(struct rn_cellrun *c, struct mt_error *err)
{
	char **names = NULL, list[MT_ERRMSG_MAX] = "";
	int rc, n = 0;

	if (!c->inner)
		return c->drv->prepare(&c->lab.migrate, &c->dctx, &c->dstate, err);
	if (!c->cell->migrate_evacuate)
		return mt_fleet_prepare(c->inner, &c->lab.migrate, &c->dctx, c->cell->domains,
					c->cell->migrate_concurrency, &c->dstate, err);
	if ((rc = evacuees(c, &names, err)) < 0)
		return rc;
	while (names[n])
		n++;
	if (n > MT_FLEET_MAX) {
		mt_domains_free(names);
		return mt_err(err, MT_EINVAL, "migrate.evacuate: %d VMs to move, at most %d", n,
			      MT_FLEET_MAX);
	}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", i ? " " : "", names[i]);
	}
	(void)mt_cell_set_str(c->res, "migration.evacuated", list);
	rc = mt_fleet_prepare(c->inner, &c->lab.migrate, &c->dctx, names,
			      c->cell->migrate_concurrency, &c->dstate, err);
	mt_domains_free(names);
	return rc;
}

/* Every plugin instance's view of where the VM runs (ctx->vm_uri). */
void rn_set_vm_uri(struct rn_cellrun *c, const char *uri)
{
	c->dctx.vm_uri = uri;
	for (size_t i = 0; i < c->nin; i++)
		c->in[i].ctx.vm_uri = uri;
}

/* A driver that reports MT_EUNSUPPORTED when a hop starts or ends (libvirt refused the
 * parameter combination only once asked, e.g. QEMU's "Postcopy is not yet compatible with
 * multifd") skips the cell with that reason instead of failing it: the combination cannot
 * run on this host, which is a skip like any other supported() "no", not an error. */
static int hop_unsupported(struct rn_cellrun *c, int hop, const char *msg)
{
	if (!c->failed && !c->skipped) {
		c->skipped = 1;
		rn_skip_reason(c, "driver %s: migration hop %d: %s", c->drv->base.name, hop, msg);
	}
	mt_loop_stop(c->loop);
	return 0;
}

/* Before a hop starts: the driver's journal entry for it, if it has one (plugin.h). */
static int hop_journal_begin(struct rn_cellrun *c, const struct mt_migrate_req *req,
			     struct mt_error *err)
{
	const char *kind = NULL;
	char *undo = NULL;
	int rc;

	c->hop_jid = 0;
	if (!c->drv->hop_record)
		return 0;
	rc = c->drv->hop_record(c->dstate, req, &kind, &undo, err);
	if (rc == 0)
		rc = mt_journal_begin(c->r->journal, kind, NULL, undo, &c->hop_jid, err);
	free(undo);
	return rc;
}

/* The hop has ended (or never started): nothing of it is left to undo. */
static void hop_journal_end(struct rn_cellrun *c)
{
	struct mt_error err = { 0 };

	if (c->hop_jid && mt_journal_end(c->r->journal, c->hop_jid, mt_loop_now(c->loop) - c->t0,
					 0, &err) < 0)
		rn_say(c, "warning: journal: %s", err.msg);
	c->hop_jid = 0;
}

static int on_hop_done(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct rn_cellrun *c = arg;
	struct mt_error err = { 0 };
	int64_t now = mt_loop_now(loop);
	char what[64];
	int rc, prc;

	(void)fd;
	(void)events;
	rn_hop_unwatch(c);
	c->hop_running = 0;
	rc = c->drv->finish(c->dstate, &c->dctx, &err);
	hop_journal_end(c);
	/* hopN.done: the hop ended, whichever way (its outcome is recorded below) */
	prc = hop_phase(c, &(struct mt_phase_event){ .hop = c->hop, .phase = MT_PHASE_DONE,
						     .t_ns = now });
	if (prc < 0)
		return prc;
	if (rc < 0 && err.code == 0)
		mt_err(&err, rc, "migration failed (%s)", mt_err_name(rc));
	snprintf(what, sizeof(what), "migrate.done hop %d", c->hop);
	mt_cell_add_event(c->res, -1, now - c->t0, what, rc < 0 ? err.msg : NULL, rc);
	rn_say(c, "%s rc %d%s%s", what, rc, rc < 0 ? ": " : "", rc < 0 ? err.msg : "");
	if (c->tearing_down) {
		mt_loop_stop(loop);
		return 0;
	}
	if (c->timed_out && rc < 0)
		return rn_fail(c, MT_ETIMEOUT, "migration hop %d did not finish within %.0f s and was "
			       "aborted: %s", c->hop, rn_secs(c->cell->migrate_timeout_ns), err.msg);
	/* Completed after its timeout: the driver forced it to (nova migrate.on_timeout =
	 * force_complete) or it ended before the abort took. The VM did move, so the hop counts;
	 * the timeline's migrate.abort event shows the timeout, the thresholds judge the rest. */
	if (c->timed_out)
		rn_say(c, "hop %d completed after its timeout", c->hop);
	if (rc == MT_EUNSUPPORTED)
		return hop_unsupported(c, c->hop, err.msg);
	if (rc < 0)
		return rn_fail(c, rc, "migration hop %d: %s", c->hop, err.msg);
	c->hops_done++;
	/* The VM now runs at the hop's destination (ping-pong: odd hops come back). */
	rn_set_vm_uri(c, c->hop % 2 ? c->lab.src_uri : c->lab.dst_uri);
	if (c->hops_done >= c->cell->migrate_count)
		c->phases.after_start_ns = now - c->t0;
	rc = mt_timeline_hop_done(c->tl, c->hop, now, &err);
	if (rc < 0)
		return rn_fail(c, rc, "timeline: %s", err.msg);
	return 0;
}

static int on_hop_poll(struct mt_loop *loop, int64_t now, void *arg)
{
	struct rn_cellrun *c = arg;

	(void)loop;
	/* A failed poll loses samples, not the migration: the final statistics decide. */
	if (c->drv->poll && c->drv->poll(c->dstate, &c->dctx, now) < 0)
		rn_say(c, "warning: driver %s: poll failed", c->drv->base.name);
	return 0;
}

static int on_hop_grace(struct mt_loop *loop, int64_t now, void *arg)
{
	struct rn_cellrun *c = arg;

	(void)loop;
	(void)now;
	c->grace_id = 0;
	return rn_fail(c, MT_ETIMEOUT, "migration hop %d did not finish within %.0f s and did not "
		       "end %.0f s after the abort", c->hop, rn_secs(c->cell->migrate_timeout_ns),
		       rn_secs(MT_RUN_ABORT_GRACE_NS));
}

static int on_hop_timeout(struct mt_loop *loop, int64_t now, void *arg)
{
	struct rn_cellrun *c = arg;
	struct mt_error err = { 0 };
	char what[64];
	int rc = 0;

	c->timeout_id = 0;
	c->timed_out = 1;
	if (c->drv->abort)
		rc = c->drv->abort(c->dstate, &err);
	snprintf(what, sizeof(what), "migrate.abort hop %d", c->hop);
	mt_cell_add_event(c->res, -1, now - c->t0, what, rc < 0 ? err.msg : "migrate.timeout",
			  rc);
	rn_say(c, "%s (timeout)", what);
	/* The driver ends the hop (done_fd) once the abort took; wait for that, not forever. */
	if (mt_loop_add_timer(loop, now + MT_RUN_ABORT_GRACE_NS, 0, on_hop_grace, c, &c->grace_id,
			      &err) < 0)
		return rn_fail(c, err.code, "%s", err.msg);
	return 0;
}

int rn_hop_start(struct rn_cellrun *c, int hop, struct mt_error *err)
{
	struct mt_migrate_req req;
	int64_t now, t_req;
	int rc, fd = -1;

	if (!c->drv || !c->prepared)
		return rn_fail(c, MT_EINFRA, "migration hop %d: no prepared driver", hop);
	if (c->hop_running || hop != c->hops_done)
		return rn_fail(c, MT_EINFRA, "migration hop %d planned out of order", hop);
	/* Ping-pong: even hops go source → dest, odd ones back. */
	req.hop = hop;
	req.from = hop % 2 ? c->lab.dst_uri : c->lab.src_uri;
	req.to = hop % 2 ? c->lab.src_uri : c->lab.dst_uri;
	rc = phase_watch(c, err);
	if (rc < 0)
		return rn_fail(c, rc, "migration hop %d: %s", hop, err->msg);
	rc = hop_journal_begin(c, &req, err);
	if (rc < 0)
		return rn_fail(c, rc, "migration hop %d: journal: %s", hop, err->msg);
	t_req = mt_loop_now(c->loop);
	rc = c->drv->start(c->dstate, &req, &fd, err);
	if (rc < 0) {
		hop_journal_end(c);
		if (err->code == 0)
			mt_err(err, rc, "start failed (%s)", mt_err_name(rc));
		if (rc == MT_EUNSUPPORTED)
			return hop_unsupported(c, hop, err->msg);
		return rn_fail(c, rc, "migration hop %d: %s", hop, err->msg);
	}
	now = mt_loop_now(c->loop);
	if (c->hop_jid) {
		struct mt_error jerr = { 0 };

		if (mt_journal_applied(c->r->journal, c->hop_jid, now - c->t0, &jerr) < 0)
			rn_say(c, "warning: journal: %s", jerr.msg);
	}
	c->hop = hop;
	c->hop_running = 1;
	c->timed_out = 0;
	/* hopN.start: when it was asked for */
	rc = hop_phase(c, &(struct mt_phase_event){ .hop = hop, .phase = MT_PHASE_START,
						    .t_ns = t_req });
	if (rc < 0)
		return rc;
	if (hop == 0)
		c->phases.during_start_ns = now - c->t0;
	rc = mt_loop_add_fd(c->loop, fd, EPOLLIN, on_hop_done, c, err);
	if (rc < 0)
		return rn_fail(c, rc, "migration hop %d: %s", hop, err->msg);
	c->done_fd = fd;
	if (c->drv->poll) {
		rc = mt_loop_add_timer(c->loop, now + MT_RUN_POLL_NS, MT_RUN_POLL_NS, on_hop_poll, c,
				       &c->poll_id, err);
		if (rc < 0)
			return rn_fail(c, rc, "%s", err->msg);
	}
	if (c->cell->migrate_timeout_ns > 0) {
		rc = mt_loop_add_timer(c->loop, now + c->cell->migrate_timeout_ns, 0,
				       on_hop_timeout, c, &c->timeout_id, err);
		if (rc < 0)
			return rn_fail(c, rc, "%s", err->msg);
	}
	return 0;
}

/* Starts the cell from wherever the VM runs: a one-hop cell leaves it on the destination, so
 * the next cell migrates it back (dest → source) rather than failing. The driver is prepared
 * again with the roles swapped; the direction is recorded. */
int rn_orient(struct rn_cellrun *c, struct mt_error *err)
{
	int where = 0, rc;

	if (!c->drv->locate || !c->lab.src_uri || !c->lab.dst_uri)
		return 0;
	rc = c->drv->locate(c->dstate, c->lab.src_uri, c->lab.dst_uri, &where, err);
	if (rc < 0)
		return rn_fail(c, rc, "driver %s: %s", c->drv->base.name, err->msg);
	mt_cell_set_str(c->res, "migration.direction", where ? "dest->source" : "source->dest");
	if (!where)
		return 0;
	if (c->drv->release)
		c->drv->release(c->dstate);
	c->dstate = NULL;
	c->prepared = 0;
	if ((rc = mt_labres_swap(&c->lab, err)) < 0)
		return rn_fail(c, rc, "%s", err->msg);
	c->turned = 1;
	rn_set_vm_uri(c, c->lab.src_uri); /* the guest workloads talk to where the VM is */
	rc = rn_drv_prepare(c, err);
	if (rc < 0)
		return rn_fail(c, rc, "driver %s: prepare: %s", c->drv->base.name, err->msg);
	c->prepared = 1;
	/* host=source|dest follow the hops: this cell's first hop is dest -> source. */
	rc = rn_rebind_roles(c, err);
	if (rc <= 0)
		return rc < 0 ? rc : 0;
	mt_cell_add_event(c->res, -1, 0, "migrate.orient",
			  "the VM runs on the destination: this cell migrates it back", 0);
	return 0;
}
