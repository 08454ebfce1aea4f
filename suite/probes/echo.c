/* echo.c — the request/response engine shared by the udp and icmp probes (see echo.h).
 *
 * Runs entirely in the cell's event loop: a periodic timer sends, an fd callback receives. No
 * callback ever returns an error for network trouble — loss is what we measure, not a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "migtorture/units.h"

/* Receive buffers of one probe: a batch of datagrams and their control messages (kept per
 * probe, not static, so probes in different threads' loops never share them). */
#define BATCH 16
#define DGRAM_MAX 1500
struct mt_echo_rx {
	unsigned char bufs[BATCH][DGRAM_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) + 64];
		struct cmsghdr align;
	} ctl[BATCH];
};

static int grow(struct mt_echo *e)
{
	size_t cap = e->cap ? e->cap * 2 : 4096;
	int64_t *s, *r;
	uint8_t *m;

	s = realloc(e->send_ns, cap * sizeof(*s));
	if (!s)
		return MT_ENOMEM;
	e->send_ns = s;
	r = realloc(e->recv_ns, cap * sizeof(*r));
	if (!r)
		return MT_ENOMEM;
	e->recv_ns = r;
	m = realloc(e->mark, cap * sizeof(*m));
	if (!m)
		return MT_ENOMEM;
	e->mark = m;
	e->cap = cap;
	return 0;
}

static int on_tick(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct mt_echo *e = arg;
	uint32_t seq;
	int rc;

	if (e->n == e->cap && grow(e) < 0)
		return 0; /* out of memory: stop sampling rather than stop the cell */
	if (e->n >= UINT32_MAX)
		return 0;
	if (e->drain_on_tick)
		e->cls->readable(e); /* replies since the last tick, each with its kernel stamp */
	seq = (uint32_t)e->n;
	e->recv_ns[seq] = -1;
	e->mark[seq] = 0;
	e->send_ns[seq] = mt_now_ns();
	e->n++;
	rc = e->cls->send(e, seq);
	if (rc < 0)
		e->send_errors++;
	return 0;
}

static int on_readable(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct mt_echo *e = arg;

	e->cls->readable(e);
	return 0;
}

int mt_echo_start(struct mt_echo *e, struct mt_ctx *ctx, struct mt_error *err)
{
	int rc;

	e->ctx = ctx;
	if (!e->rx && !(e->rx = malloc(sizeof(*e->rx))))
		return mt_err(err, MT_ENOMEM, "probe %s: out of memory", e->cls->name);
	/* Kernel receive timestamps. With them, when a reply is read does not matter, so replies
	 * are drained at the next tick rather than waking the loop once per reply: at 1 kHz that
	 * halves the probe's wake-ups and syscalls (bench/probe-cost). Without them (refused), the
	 * read time is the receive time and every reply must be read at once. */
	e->drain_on_tick = setsockopt(e->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 },
				      sizeof(int)) == 0 && !getenv("MT_PROBE_WAKE_PER_REPLY");
	if (!e->send_ns && (rc = grow(e)) < 0)
		return mt_err(err, rc, "probe %s: out of memory", e->cls->name);
	if (!e->drain_on_tick) {
		rc = mt_loop_add_fd(ctx->loop, e->fd, EPOLLIN, on_readable, e, err);
		if (rc < 0)
			goto out;
		e->fd_on = 1;
	}
	rc = mt_loop_add_timer(ctx->loop, mt_now_ns(), e->interval_ns, on_tick, e, &e->timer_id,
			       err);
	if (rc < 0) {
		if (e->fd_on)
			mt_loop_del_fd(ctx->loop, e->fd);
		e->fd_on = 0;
		goto out;
	}
	e->timer_on = 1;
out:
	return rc;
}

int mt_echo_reply(struct mt_echo *e, uint32_t seq, int64_t recv_ns)
{
	if (seq >= e->n) {
		e->strays++;
		return 0;
	}
	if (e->recv_ns[seq] >= 0) {
		e->duplicates++;
		if ((e->mark[seq] & MT_ECHO_DUPS) < MT_ECHO_DUPS)
			e->mark[seq]++;
		return 0;
	}
	if (recv_ns - e->send_ns[seq] > e->timeout_ns) {
		e->late++;
		return 0;
	}
	e->recv_ns[seq] = recv_ns;
	if (e->have_high && seq < e->high_seq) {
		e->reordered++;
		e->mark[seq] |= MT_ECHO_OVERTAKEN;
	} else
		e->high_seq = seq;
	e->have_high = 1;
	return 1;
}


static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The kernel's receive time of msg (SCM_TIMESTAMPNS, CLOCK_REALTIME) on the monotonic clock,
 * or now_ns when there is none. Using the kernel's stamp keeps the probe's own scheduling
 * delays (a loaded host) out of RTTs and outages. */
static int64_t rx_time(const struct msghdr *msg, int64_t now_ns, int64_t real_minus_mono)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			int64_t t;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			t = ts_ns(&ts) - real_minus_mono;
			return t < now_ns ? t : now_ns;
		}
	return now_ns;
}

void mt_echo_recv_all(struct mt_echo *e,
		      void (*one)(struct mt_echo *e, const unsigned char *b, size_t len,
				  int64_t now_ns))
{
	struct mt_echo_rx *rx = e->rx;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (int errs = 0; errs < 64;) {
		struct timespec rt, mo;
		int64_t now, off;
		int n;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = rx->bufs[i];
			iov[i].iov_len = DGRAM_MAX;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = rx->ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(rx->ctl[i].buf);
		}
		n = recvmmsg(e->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			errs++; /* EINTR, or a queued ICMP error: try again */
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &mo);
		clock_gettime(CLOCK_REALTIME, &rt);
		now = ts_ns(&mo);
		off = ts_ns(&rt) - now;
		for (int i = 0; i < n; i++)
			one(e, rx->bufs[i], msgs[i].msg_len, rx_time(&msgs[i].msg_hdr, now, off));
		if (n < BATCH)
			break; /* drained (more arriving later wakes the loop again) */
	}
}

void mt_echo_stop(struct mt_echo *e)
{
	if (e->timer_on) {
		mt_loop_del_timer(e->ctx->loop, e->timer_id);
		e->timer_on = 0;
	}
	if (e->fd_on || e->drain_on_tick)
		e->cls->readable(e); /* what already arrived still counts */
	if (e->fd_on) {
		mt_loop_del_fd(e->ctx->loop, e->fd);
		e->fd_on = 0;
	}
	if (!e->stop_ns && e->ctx)
		e->stop_ns = mt_now_ns();
}

int mt_echo_samples(const struct mt_echo *e, int64_t t0_ns, struct mt_qos_sample **out,
		    size_t *n, size_t *unresolved, struct mt_error *err)
{
	int64_t stop = e->stop_ns ? e->stop_ns : mt_now_ns();
	size_t keep = e->n;
	struct mt_qos_sample *s;

	/* Requests younger than the timeout at the last read have an unknown fate: all of them
	 * go, answered or not, so the cut does not depend on the outcomes (no bias). */
	while (keep > 0 && stop - e->send_ns[keep - 1] < e->timeout_ns)
		keep--;
	if (unresolved)
		*unresolved = e->n - keep;
	*out = NULL;
	*n = 0;
	if (keep == 0)
		return 0;
	s = malloc(keep * sizeof(*s));
	if (!s)
		return mt_err(err, MT_ENOMEM, "probe %s: out of memory", e->cls->name);
	for (size_t i = 0; i < keep; i++) {
		s[i].send_ns = e->send_ns[i] - t0_ns;
		s[i].recv_ns = e->recv_ns[i] < 0 ? MT_QOS_LOST : e->recv_ns[i] - t0_ns;
	}
	*out = s;
	*n = keep;
	return 0;
}

void mt_echo_marks(const struct mt_echo *e, size_t n, size_t *dups, size_t *reordered)
{
	*dups = *reordered = 0;
	for (size_t i = 0; i < n && i < e->n; i++) {
		*dups += e->mark[i] & MT_ECHO_DUPS;
		*reordered += (e->mark[i] & MT_ECHO_OVERTAKEN) != 0;
	}
}

/* probe.<name>.<key> = v */
static int counter(struct mt_cell_result *c, const char *name, const char *key, size_t v)
{
	char path[128];

	snprintf(path, sizeof(path), "probe.%s.%s", name, key);
	return mt_cell_set_num(c, path, (double)v);
}

int mt_echo_collect(struct mt_echo *e, struct mt_ctx *ctx, struct mt_error *err)
{
	struct mt_qos_sample *s = NULL;
	char series[128];
	size_t n = 0, recvd = 0, unresolved = 0, dups = 0, reordered = 0;
	int rc, primary;

	rc = mt_echo_samples(e, ctx->t0_ns, &s, &n, &unresolved, err);
	if (rc < 0)
		goto out;
	snprintf(series, sizeof(series), "probe.%s.rtt_ms", e->cls->name);
	rc = mt_qos_write_series(ctx->result, series, s, n, err);
	if (rc < 0)
		goto out;
	primary = mt_qos_claim_primary(ctx->result, e->cls->name, e->qos_mode);
	if (primary < 0) {
		rc = mt_err(err, primary, "probe %s: out of memory", e->cls->name);
		goto out;
	}
	rc = mt_qos_write_metrics(ctx->result, e->cls->name, primary, ctx->phases, s, n,
				  e->interval_ns, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		recvd += s[i].recv_ns != MT_QOS_LOST;
	mt_echo_marks(e, n, &dups, &reordered);
	if (counter(ctx->result, e->cls->name, "sent", n) < 0 ||
	    counter(ctx->result, e->cls->name, "received", recvd) < 0 ||
	    counter(ctx->result, e->cls->name, "lost", n - recvd) < 0 ||
	    counter(ctx->result, e->cls->name, "unresolved", unresolved) < 0 ||
	    counter(ctx->result, e->cls->name, "send_errors", e->send_errors) < 0 ||
	    counter(ctx->result, e->cls->name, "late", e->late) < 0 ||
	    counter(ctx->result, e->cls->name, "duplicates", dups) < 0 ||
	    counter(ctx->result, e->cls->name, "reordered", reordered) < 0)
		rc = mt_err(err, MT_ENOMEM, "probe %s: out of memory", e->cls->name);
out:
	free(s);
	return rc;
}

void mt_echo_release(struct mt_echo *e)
{
	free(e->send_ns);
	free(e->recv_ns);
	free(e->mark);
	free(e->rx);
	e->rx = NULL;
	e->mark = NULL;
	e->send_ns = e->recv_ns = NULL;
	e->n = e->cap = 0;
}

const char *mt_echo_target(const struct mt_params *p, const struct mt_ctx *ctx)
{
	const char *addr = mt_param_str(p, "addr");

	return addr ? addr : ctx->guest_addr;
}

int mt_echo_setup(struct mt_echo *e, const struct mt_echo_class *cls, void *owner,
		  const struct mt_params *p, const struct mt_ctx *ctx, struct sockaddr_in *dst,
		  const char **addr, struct mt_error *err)
{
	const char *a = mt_echo_target(p, ctx);

	e->cls = cls;
	e->owner = owner;
	e->fd = -1;
	e->interval_ns = mt_param_i64(p, "interval");
	e->timeout_ns = mt_param_i64(p, "timeout");
	e->qos_mode = mt_param_str(p, "qos");
	dst->sin_family = AF_INET;
	if (addr)
		*addr = a;
	if (!a || inet_pton(AF_INET, a, &dst->sin_addr) != 1)
		return mt_err(err, MT_EINVAL, "%s probe: no valid target address", cls->name);
	return 0;
}

void mt_echo_close(struct mt_echo *e)
{
	mt_echo_stop(e);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	mt_echo_release(e);
}
