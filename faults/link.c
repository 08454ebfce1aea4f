/* link.c — the "link-down" and "link-flap" faults: set an interface administratively down
 * (and up again, count times, on a timed schedule) through rtnetlink.
 *
 * When a change took effect is taken from the kernel's own RTM_NEWLINK notification (a
 * NETLINK_ROUTE socket subscribed to RTNLGRP_LINK, watched on the cell's loop), not from when
 * we asked: those times go into the journal ("applied"), the cell's series
 * "fault.link.<dev>.up" (1/0) and "fault.link.<dev>.carrier", and its events.
 * Undo record: {"v":1,"fault":"link-flap","dev":"veth0","up":true} — brings the link back to
 * its recorded admin state; idempotent.
 *
 * The flap schedule runs on the loop's timers and owns them until release(): the runner must
 * release a fault (or stop running the loop) once it has undone it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"

#ifndef IFF_LOWER_UP /* <linux/if.h> has it but clashes with <net/if.h> */
#define IFF_LOWER_UP 0x10000
#endif

static const struct mt_option down_options[] = {
	{ "dev", MT_OPT_STR, NULL, "interface to take down (name on the fault's host)", NULL, 0,
	  0, MT_OPTF_REQUIRED },
	MT_OPTION_END
};

static const struct mt_option flap_options[] = {
	{ "dev", MT_OPT_STR, NULL, "interface to flap (name on the fault's host)", NULL, 0, 0,
	  MT_OPTF_REQUIRED },
	{ "down", MT_OPT_DURATION, "2s", "how long the link stays down each time", NULL, 1e6,
	  3600e9, 0 },
	{ "period", MT_OPT_DURATION, NULL,
	  "start-to-start interval of flaps (default 2 x down; must exceed down)", NULL, 2e6,
	  7200e9, 0 },
	{ "count", MT_OPT_INT, "1", "number of flaps", NULL, 1, 100000, 0 },
	MT_OPTION_END
};

static int flap_check(const struct mt_params *p, struct mt_error *err)
{
	int64_t down = mt_param_i64(p, "down");

	if (mt_params_get(p, "period") && mt_param_i64(p, "period") <= down)
		return mt_err(err, MT_EINVAL, "link-flap: period must be longer than down");
	return 0;
}

/* Sets IFF_UP on or off (only that flag: ifi_change masks the rest) and waits for the ack.
 * ifindex 0 = look dev up now; timers pass the index found at apply because they fire after
 * the runner has left the host's network namespace (if_nametoindex would look in the wrong
 * one), while the netlink socket stays bound to the namespace it was opened in. */
static int set_up(struct nl_sock *sk, const char *dev, int ifindex, int up, struct mt_error *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = up ? IFF_UP : 0,
				 .ifi_change = IFF_UP };
	struct nl_msg *msg;
	int rc;

	ifi.ifi_index = ifindex ? ifindex : (int)if_nametoindex(dev);
	if (!ifi.ifi_index)
		return mt_err(err, MT_ENOTFOUND, "no interface '%s' here", dev);
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return mt_err(err, MT_ENOMEM, "link %s: out of memory", dev);
	}
	rc = nl_send_sync(sk, msg);
	if (rc < 0)
		return mt_err(err, MT_EINFRA, "set %s %s: %s", dev, up ? "up" : "down",
			      nl_geterror(rc));
	return 0;
}

static int open_sock(struct nl_sock **out, struct mt_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return mt_err(err, MT_ENOMEM, "netlink: out of memory");
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return mt_err(err, MT_EINFRA, "netlink connect: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

#define MAX_CHANGES 64 /* transitions timed in detail; later ones are counted only */

struct link_state {
	struct mt_ctx *ctx;
	char dev[IF_NAMESIZE];
	int ifindex;
	struct nl_sock *cmd;     /* requests */
	struct nl_sock *ev;      /* RTNLGRP_LINK notifications */
	int ev_fd;
	uint64_t journal_id;
	int journal_applied;
	/* schedule */
	int flap;                /* 0: link-down (one transition) */
	int64_t down_ns, period_ns;
	long count, done;        /* flaps planned / transitions made */
	int64_t start_ns;        /* absolute monotonic time of the first transition */
	uint64_t timer_id;
	int timer_set;
	/* what happened (absolute monotonic ns) */
	int admin_up, carrier;   /* last seen from events (-1 unknown) */
	size_t nreq, nev;
	int64_t req_ns[MAX_CHANGES]; /* when each transition was requested */
	int64_t planned_ns[MAX_CHANGES];
	int64_t ev_ns[MAX_CHANGES];  /* when the kernel reported it */
	int req_up[MAX_CHANGES];
	int error;               /* first error from a timer callback */
	struct mt_error err;
};

static int64_t rel(const struct link_state *s, int64_t abs_ns)
{
	return abs_ns - s->ctx->t0_ns;
}

/* RTM_NEWLINK for our interface: record admin and carrier changes. */
static int on_link_msg(struct nl_msg *msg, void *arg)
{
	struct link_state *s = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;
	int64_t t = mt_now_ns();
	int up, carrier;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return NL_OK;
	ifi = nlmsg_data(nlh);
	if (ifi->ifi_index != s->ifindex)
		return NL_OK;
	up = (ifi->ifi_flags & IFF_UP) != 0;
	carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
	if (up != s->admin_up) {
		s->admin_up = up;
		if (s->nev < MAX_CHANGES)
			s->ev_ns[s->nev] = t;
		s->nev++;
		if (s->ctx->result) {
			char name[96];
			snprintf(name, sizeof(name), "fault.link.%s.up", s->dev);
			mt_series_add(mt_cell_series(s->ctx->result, name, "bool"), rel(s, t), up);
		}
		if (!up && !s->journal_applied) {
			s->journal_applied = 1;
			mt_journal_applied(s->ctx->journal, s->journal_id, rel(s, t), &s->err);
		}
	}
	if (carrier != s->carrier) {
		s->carrier = carrier;
		if (s->ctx->result) {
			char name[96];
			snprintf(name, sizeof(name), "fault.link.%s.carrier", s->dev);
			mt_series_add(mt_cell_series(s->ctx->result, name, "bool"), rel(s, t),
				      carrier);
		}
	}
	return NL_OK;
}

static int on_ev_fd(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct link_state *s = arg;
	int rc = nl_recvmsgs_default(s->ev);

	/* ENOBUFS: notifications were dropped; keep going, timings may miss one change. */
	if (rc < 0 && rc != -NLE_AGAIN && rc != -NLE_NOMEM)
		return mt_err(NULL, MT_EINFRA, "link events: %s", nl_geterror(rc));
	return 0;
}

static int transition(struct link_state *s, int up, int64_t planned)
{
	size_t i = s->nreq;

	if (i < MAX_CHANGES) {
		s->planned_ns[i] = planned;
		s->req_up[i] = up;
		s->req_ns[i] = mt_now_ns();
	}
	s->nreq++;
	return set_up(s->cmd, s->dev, s->ifindex, up, &s->err);
}

/* Planned time of transition k (0-based): down at start + n*period, up at that + down. */
static int64_t planned_at(const struct link_state *s, long k)
{
	return s->start_ns + (k / 2) * s->period_ns + (k % 2) * s->down_ns;
}

static int on_timer(struct mt_loop *loop, int64_t now, void *arg)
{
	struct link_state *s = arg;
	long k = s->done;
	int rc;

	s->timer_set = 0;
	rc = transition(s, k % 2 == 1, planned_at(s, k));
	s->done++;
	if (rc < 0) {
		s->error = rc;
		return 0; /* the error is reported by collect, the cell goes on */
	}
	if (s->flap && s->done < 2 * s->count) {
		rc = mt_loop_add_timer(loop, planned_at(s, s->done), 0, on_timer, s, &s->timer_id,
				       &s->err);
		if (rc < 0)
			s->error = rc;
		else
			s->timer_set = 1;
	}
	return 0;
}

static void link_release(void *state)
{
	struct link_state *s = state;

	if (!s)
		return;
	if (s->timer_set)
		mt_loop_del_timer(s->ctx->loop, s->timer_id);
	if (s->ev) {
		if (s->ctx->loop)
			mt_loop_del_fd(s->ctx->loop, s->ev_fd);
		nl_socket_free(s->ev);
	}
	if (s->cmd)
		nl_socket_free(s->cmd);
	free(s);
}

/* Admin state through SIOCGIFFLAGS: a socket sees the caller's namespace (sysfs would show
 * the namespace it was mounted in). */
static int is_up(const char *dev, int *up)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (!if_nametoindex(dev))
		return MT_ENOTFOUND;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return MT_EIO;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = MT_EIO;
	else
		*up = (ifr.ifr_flags & IFF_UP) != 0;
	close(fd);
	return rc;
}

static int link_apply_common(const char *fault, int flap, const struct mt_params *p,
			     struct mt_ctx *ctx, void **state, struct mt_error *err)
{
	struct link_state *s = calloc(1, sizeof(*s));
	const char *dev = mt_param_str(p, "dev");
	cJSON *o = NULL;
	char *undo = NULL;
	int rc, up = 1;

	*state = NULL;
	if (!s)
		return mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
	s->ctx = ctx;
	s->flap = flap;
	s->admin_up = -1;
	s->carrier = -1;
	s->ev_fd = -1;
	snprintf(s->dev, sizeof(s->dev), "%s", dev ? dev : "");
	s->ifindex = (int)if_nametoindex(s->dev);
	if (!dev || !s->ifindex) {
		rc = mt_err(err, MT_ENOTFOUND, "%s: no interface '%s' on this host", fault,
			    dev ? dev : "");
		goto out;
	}
	rc = is_up(s->dev, &up);
	if (rc < 0) {
		mt_err(err, rc, "%s: cannot read the state of %s", fault, s->dev);
		goto out;
	}
	if (flap) {
		s->down_ns = mt_param_i64(p, "down");
		/* No table default: the help says period defaults to twice down. */
		s->period_ns = mt_params_get(p, "period") ? mt_param_i64(p, "period")
							  : 2 * s->down_ns;
		s->count = (long)mt_param_i64(p, "count");
	}
	if ((rc = open_sock(&s->cmd, err)) < 0 || (rc = open_sock(&s->ev, err)) < 0)
		goto out;
	/* Events: our own socket, no sequence checks (notifications are unsolicited). */
	nl_socket_disable_seq_check(s->ev);
	nl_socket_modify_cb(s->ev, NL_CB_VALID, NL_CB_CUSTOM, on_link_msg, s);
	if (nl_socket_add_membership(s->ev, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(s->ev) < 0) {
		rc = mt_err(err, MT_EINFRA, "%s: cannot subscribe to link events", fault);
		goto out;
	}
	s->admin_up = up;
	s->ev_fd = nl_socket_get_fd(s->ev);
	rc = mt_loop_add_fd(ctx->loop, s->ev_fd, EPOLLIN, on_ev_fd, s, err);
	if (rc < 0)
		goto out;

	o = cJSON_CreateObject();
	if (!o) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
		goto out;
	}
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "fault", fault);
	cJSON_AddStringToObject(o, "dev", s->dev);
	cJSON_AddBoolToObject(o, "up", up);
	undo = cJSON_PrintUnformatted(o);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
		goto out;
	}
	rc = mt_journal_begin(ctx->journal, fault, ctx->host, undo, &s->journal_id, err);
	if (rc < 0)
		goto out;
	/* Already down: there will be no "down" event to time; it is in effect now. */
	if (!up) {
		s->journal_applied = 1;
		rc = mt_journal_applied(ctx->journal, s->journal_id, mt_now_ns() - ctx->t0_ns, err);
		if (rc < 0)
			goto out;
	}
	/* The first transition happens now; the rest on the loop's timers. */
	s->start_ns = mt_now_ns();
	rc = transition(s, 0, s->start_ns);
	s->done = 1;
	if (rc < 0) {
		*err = s->err;
		goto out;
	}
	if (flap) {
		rc = mt_loop_add_timer(ctx->loop, planned_at(s, 1), 0, on_timer, s, &s->timer_id,
				       err);
		if (rc < 0)
			goto out;
		s->timer_set = 1;
	}
	*state = s;
	s = NULL;
out:
	cJSON_Delete(o);
	free(undo);
	link_release(s);
	return rc;
}

static int link_down_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			   struct mt_error *err)
{
	return link_apply_common("link-down", 0, p, ctx, state, err);
}

static int link_flap_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			   struct mt_error *err)
{
	return link_apply_common("link-flap", 1, p, ctx, state, err);
}

static int link_undo(const char *undo_json, struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const cJSON *dev, *up;
	struct nl_sock *sk = NULL;
	int rc, cur;

	if (!o)
		return mt_err(err, MT_EINVAL, "link undo: record is not JSON");
	dev = cJSON_GetObjectItemCaseSensitive(o, "dev");
	up = cJSON_GetObjectItemCaseSensitive(o, "up");
	if (!cJSON_IsString(dev) || !cJSON_IsBool(up)) {
		rc = mt_err(err, MT_EINVAL, "link undo: record lacks dev/up");
		goto out;
	}
	rc = is_up(dev->valuestring, &cur);
	if (rc == MT_ENOTFOUND) { /* gone: nothing to bring back */
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		mt_err(err, rc, "link undo: cannot read the state of %s", dev->valuestring);
		goto out;
	}
	if (cur == cJSON_IsTrue(up))
		goto out;
	rc = open_sock(&sk, err);
	if (rc == 0)
		rc = set_up(sk, dev->valuestring, 0, cJSON_IsTrue(up), err);
out:
	if (sk)
		nl_socket_free(sk);
	cJSON_Delete(o);
	return rc;
}

/* Metrics: transitions made, and for each completed down→up pair the measured down time
 * (kernel event to kernel event) and the largest request→event delay. */
static int link_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct link_state *s = state;
	struct mt_cell_result *c = ctx->result;
	char path[128];
	double worst_ms = 0, sum_down = 0, max_down = 0;
	size_t n = s->nreq < s->nev ? s->nreq : s->nev, pairs = 0;

	if (n > MAX_CHANGES)
		n = MAX_CHANGES;
	if (!c)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double lat = (double)(s->ev_ns[i] - s->req_ns[i]) / 1e6;
		char what[96];
		if (lat > worst_ms)
			worst_ms = lat;
		snprintf(what, sizeof(what), "fault.link.%s %s", s->req_up[i] ? "up" : "down",
			 s->dev);
		mt_cell_add_event(c, rel(s, s->planned_ns[i]), rel(s, s->ev_ns[i]), what, NULL, 0);
		if (s->req_up[i] && i > 0) {
			double d = (double)(s->ev_ns[i] - s->ev_ns[i - 1]) / 1e6;
			sum_down += d;
			if (d > max_down)
				max_down = d;
			pairs++;
		}
	}
	snprintf(path, sizeof(path), "fault.link.%s.transitions", s->dev);
	mt_cell_set_num(c, path, (double)s->nreq);
	snprintf(path, sizeof(path), "fault.link.%s.effect_delay_ms.max", s->dev);
	mt_cell_set_num(c, path, worst_ms);
	snprintf(path, sizeof(path), "fault.link.%s.down_ms.mean", s->dev);
	if (pairs)
		mt_cell_set_num(c, path, sum_down / (double)pairs);
	else
		mt_cell_set_absent(c, path, "no completed down/up pair was observed");
	snprintf(path, sizeof(path), "fault.link.%s.down_ms.max", s->dev);
	if (pairs)
		mt_cell_set_num(c, path, max_down);
	else
		mt_cell_set_absent(c, path, "no completed down/up pair was observed");
out:
	if (s->error < 0) {
		*err = s->err;
		return s->error;
	}
	return 0;
}

/* Exposed for tests: the kernel-observed time (absolute monotonic ns) of transition i, or -1. */
int64_t mt_link_event_ns(void *state, size_t i);
int64_t mt_link_event_ns(void *state, size_t i)
{
	struct link_state *s = state;

	return i < s->nev && i < MAX_CHANGES ? s->ev_ns[i] : -1;
}

static int link_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			  size_t whylen)
{
	return 0;
}

const struct mt_fault_ops mt_fault_link_down = {
	.base.name = "link-down",
	.base.summary = "interface administratively down until undone (times from netlink events)",
	.base.options = down_options,
	.base.supported = link_supported,
	.apply = link_down_apply,
	.undo = link_undo,
	.collect = link_collect,
	.release = link_release,
};

const struct mt_fault_ops mt_fault_link_flap = {
	.base.name = "link-flap",
	.base.summary = "interface down for `down`, up again, `count` times every `period`",
	.base.options = flap_options,
	.base.check = flap_check,
	.base.supported = link_supported,
	.apply = link_flap_apply,
	.undo = link_undo,
	.collect = link_collect,
	.release = link_release,
};
