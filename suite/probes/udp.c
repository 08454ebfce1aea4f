/* udp.c — the `udp` probe: requests to mt-guest in the VM, replies with the guest's stamps and
 * its stall monitor's newest clock gaps (wire format: include/migtorture/guest_proto.h).
 *
 * Runs from the current network namespace (the runner enters the client's). Schedule, timeout
 * and QoS are the shared echo engine's (echo.h); this file adds the socket, the wire format and
 * the guest stall bookkeeping:
 *   series  probe.udp.rtt_ms (NAN = lost), probe.udp.guest_stall_ms (t = gap start on the host
 *           clock, estimated from the reply that first carried it)
 *   metrics qos.h's set (qos.* when primary: udp outranks icmp and http),
 *           downtime.guest_stall_ms = longest guest gap overlapping the migration phase,
 *           probe.udp.<phase>.guest_stall_ms, probe.udp.guest_stalls (count), probe.udp.
 *           guest_replies, probe.udp.guest_clock_step_ms (guest clock fallen behind the host's
 *           from baseline to after); absent with a reason when mt-guest never answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migtorture/guest_proto.h"
#include "echo.h"
#include "grow.h"
#include "migtorture/stats.h"
#include "migtorture/units.h"

/* One guest clock gap as the guest reported it, and where it is placed on the host's clock
 * (absolute monotonic ns; filled at collect time by place_gaps). */
struct gap {
	int64_t guest_start_ns, len_ns;
	size_t carrier;   /* index in offs of the reply that first carried it */
	int64_t start_ns; /* host clock */
};

struct udp {
	struct mt_echo e;
	struct sockaddr_in dst;
	uint32_t instance;   /* mt-guest instance we are tracking (0 = none yet) */
	uint32_t gap_next;   /* gaps with seq < gap_next are already recorded */
	size_t guest_replies, gaps_missed;
	struct gap *gaps;
	size_t ngaps, capgaps;
	/* Per reply, NTP style: host receive time (absolute), host−guest clock offset and the
	 * round-trip delay without the guest's own residence (the offset's error is ≤ delay/2). */
	struct off { int64_t host_ns, off_ns, delay_ns; uint32_t instance; } *offs;
	size_t noffs, capoffs;
};

static const char *const qos_modes[] = { "auto", "yes", "no", NULL };

static const struct mt_option udp_options[] = {
	{ "addr", MT_OPT_STR, NULL, "IPv4 address of mt-guest (default: the VM under test)", NULL,
	  0, 0, 0 },
	{ "port", MT_OPT_INT, "7777", "UDP port mt-guest listens on", NULL, 1, 65535, 0 },
	{ "interval", MT_OPT_DURATION, "10ms", "time between requests (1ms .. 10s)", NULL,
	  1e6, 10e9, 0 },
	{ "timeout", MT_OPT_DURATION, "1s", "a reply later than this counts as lost", NULL,
	  1e6, 60e9, 0 },
	{ "qos", MT_OPT_ENUM, "auto",
	  "write qos.* from this probe: auto (udp > icmp > http), yes, no", qos_modes, 0, 0, 0 },
	MT_OPTION_END
};

static int udp_check(const struct mt_params *p, struct mt_error *err)
{
	const char *addr = mt_param_str(p, "addr");
	struct in_addr a;

	if (addr && inet_pton(AF_INET, addr, &a) != 1)
		return mt_err(err, MT_EINVAL, "key 'addr': expected an IPv4 address, got '%s'",
			      addr);
	return 0;
}

static int udp_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			 size_t whylen)
{
	struct in_addr a;
	const char *addr = mt_echo_target(p, ctx);

	if (!addr) {
		snprintf(why, whylen, "udp probe: no target address (set addr= or the guest's)");
		return MT_EUNSUPPORTED;
	}
	if (inet_pton(AF_INET, addr, &a) != 1) {
		snprintf(why, whylen, "udp probe: '%s' is not an IPv4 address", addr);
		return MT_EUNSUPPORTED;
	}
	return 0;
}

static int udp_send(struct mt_echo *e, uint32_t seq)
{
	unsigned char b[MT_GP_SIZE];
	struct mt_gp_probe q = { seq, (uint64_t)e->send_ns[seq] };

	mt_gp_encode_probe(b, &q);
	if (send(e->fd, b, sizeof(b), MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static int add_gap(struct udp *u, int64_t guest_start_ns, int64_t len_ns, size_t carrier)
{
	if (mt_grow((void **)&u->gaps, &u->capgaps, u->ngaps, sizeof(*u->gaps)) < 0)
		return MT_ENOMEM;
	u->gaps[u->ngaps].guest_start_ns = guest_start_ns;
	u->gaps[u->ngaps].len_ns = len_ns;
	u->gaps[u->ngaps].carrier = carrier;
	u->gaps[u->ngaps].start_ns = 0;
	u->ngaps++;
	return 0;
}

/* Records the gaps of reply r not seen before; carrier = the index r's offset will get. */
static void take_gaps(struct udp *u, const struct mt_gp_reply *r, size_t carrier)
{
	uint32_t hi = u->gap_next;

	if (r->instance != u->instance) {
		/* First reply of this mt-guest (or it restarted): gaps from before we started
		 * probing are not ours to attribute. */
		u->instance = r->instance;
		u->gap_next = r->gap_total;
		return;
	}
	if (r->gap_total > u->gap_next + r->ngaps)
		u->gaps_missed += r->gap_total - u->gap_next - r->ngaps;
	for (unsigned i = 0; i < r->ngaps; i++) {
		const struct mt_gp_gap *g = &r->gaps[i];

		if (g->seq < u->gap_next)
			continue;
		if (add_gap(u, (int64_t)g->start_mono_ns, (int64_t)g->len_us * 1000, carrier) < 0)
			continue; /* out of memory: that gap is missed */
		if (g->seq + 1 > hi)
			hi = g->seq + 1;
	}
	u->gap_next = hi;
}

/* Remembers the clock offset seen in one reply (best effort: skipped on ENOMEM). */
static void add_offset(struct udp *u, int64_t host_ns, int64_t off_ns, int64_t delay_ns,
		       uint32_t instance)
{
	if (mt_grow((void **)&u->offs, &u->capoffs, u->noffs, sizeof(*u->offs)) < 0)
		return;
	u->offs[u->noffs].host_ns = host_ns;
	u->offs[u->noffs].off_ns = off_ns;
	u->offs[u->noffs].delay_ns = delay_ns;
	u->offs[u->noffs].instance = instance;
	u->noffs++;
}

/* Places every gap on the host clock with the best offset (smallest delay, NTP's rule) among
 * the replies in the 2 s from the one that carried it: replies after the gap, so a guest
 * clock that stood still during the gap is mapped with the post-gap relation. The carrier
 * itself is usually a bad sample (its request waited in the stalled guest's queue). */
static void place_gaps(struct udp *u)
{
	for (size_t i = 0; i < u->ngaps; i++) {
		struct gap *g = &u->gaps[i];
		size_t c = g->carrier < u->noffs ? g->carrier : u->noffs - 1, best = c;

		for (size_t j = c; j < u->noffs && u->offs[j].host_ns - u->offs[c].host_ns <
				   2 * MT_NS_PER_S; j++)
			if (u->offs[j].instance == u->offs[c].instance &&
			    u->offs[j].delay_ns < u->offs[best].delay_ns)
				best = j;
		g->start_ns = g->guest_start_ns + u->offs[best].off_ns;
	}
}

static void udp_one(struct mt_echo *e, const unsigned char *b, size_t len, int64_t now)
{
	struct udp *u = e->owner;
	struct mt_gp_reply r;
	int64_t s, rx, tx;

	if (mt_gp_decode_reply(b, len, &r) < 0 || r.seq >= e->n ||
	    r.client_send_ns != (uint64_t)e->send_ns[r.seq]) {
		e->strays++;
		return;
	}
	u->guest_replies++;
	take_gaps(u, &r, u->noffs);
	/* NTP on-wire: host−guest offset = ((s − rx) + (now − tx)) / 2, delay = (now − s) −
	 * (tx − rx). */
	s = e->send_ns[r.seq];
	rx = (int64_t)r.rx_mono_ns;
	tx = (int64_t)r.tx_mono_ns;
	add_offset(u, now, ((s - rx) + (now - tx)) / 2, (now - s) - (tx - rx), r.instance);
	mt_echo_reply(e, r.seq, now);
}

static void udp_readable(struct mt_echo *e)
{
	mt_echo_recv_all(e, udp_one);
}

static const struct mt_echo_class udp_class = { "udp", udp_send, udp_readable };

static int udp_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err)
{
	struct udp *u = calloc(1, sizeof(*u));
	const char *addr = NULL;
	int rc = 0;

	if (!u)
		return mt_err(err, MT_ENOMEM, "udp probe: out of memory");
	rc = mt_echo_setup(&u->e, &udp_class, u, p, ctx, &u->dst, &addr, err);
	if (rc < 0)
		goto out;
	u->dst.sin_port = htons((uint16_t)mt_param_i64(p, "port"));
	/* Connected: the kernel filters other sources for us and we send without an address. */
	u->e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->e.fd < 0 || connect(u->e.fd, (struct sockaddr *)&u->dst, sizeof(u->dst)) < 0) {
		rc = mt_err(err, MT_EINFRA, "udp probe: socket to %s: %s", addr, strerror(errno));
		goto out;
	}
	rc = mt_echo_start(&u->e, ctx, err);
out:
	if (rc < 0) {
		mt_echo_close(&u->e);
		free(u);
		u = NULL;
	}
	*state = u;
	return rc;
}

static int udp_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct udp *u = state;

	mt_echo_stop(&u->e);
	return 0;
}

/* Longest gap (ms) overlapping [from, to) on the host clock (relative to t0); 0 if none. */
static double stall_in(const struct udp *u, int64_t t0, int64_t from, int64_t to)
{
	double best = 0;

	for (size_t i = 0; i < u->ngaps; i++) {
		int64_t s = u->gaps[i].start_ns - t0, e = s + u->gaps[i].len_ns;

		if (e > from && s < to && u->gaps[i].len_ns / 1e6 > best)
			best = u->gaps[i].len_ns / 1e6;
	}
	return best;
}

/* Median host−guest offset (ns) of the replies received in [from, to) since t0 from mt-guest
 * instance inst; NAN when there are none. */
static double median_offset(const struct udp *u, int64_t t0, int64_t from, int64_t to,
			    uint32_t inst)
{
	double *v = malloc((u->noffs ? u->noffs : 1) * sizeof(*v)), m;
	size_t n = 0;

	if (!v)
		return NAN;
	for (size_t i = 0; i < u->noffs; i++) {
		int64_t t = u->offs[i].host_ns - t0;

		if (t >= from && t < to && u->offs[i].instance == inst)
			v[n++] = (double)u->offs[i].off_ns;
	}
	m = mt_percentile(v, n, 50);
	free(v);
	return m;
}

/* probe.udp.guest_clock_step_ms: how far the guest's CLOCK_MONOTONIC fell behind the host's
 * from baseline to after (median offsets). A guest whose clock stands still while the VM is
 * paused shows the pause here even when its stall monitor cannot see it. */
static int clock_step(const struct udp *u, struct mt_ctx *ctx)
{
	int64_t bf, bt, af, at;
	double b, a;
	const char *path = "probe.udp.guest_clock_step_ms";

	if (mt_qos_phase_bounds(ctx->phases, MT_QOS_BASELINE, &bf, &bt) < 0 ||
	    mt_qos_phase_bounds(ctx->phases, MT_QOS_AFTER, &af, &at) < 0)
		return mt_cell_set_absent(ctx->result, path, "no after-migration phase");
	b = median_offset(u, ctx->t0_ns, bf, bt, u->instance);
	a = median_offset(u, ctx->t0_ns, af, at, u->instance);
	if (isnan(a) || isnan(b))
		return mt_cell_set_absent(ctx->result, path,
					  "no mt-guest reply in baseline or after phase");
	return mt_cell_set_num(ctx->result, path, (a - b) / MT_NS_PER_MS);
}

static int collect_stalls(struct udp *u, struct mt_ctx *ctx)
{
	struct mt_cell_result *c = ctx->result;
	struct mt_series *ser = mt_cell_series(c, "probe.udp.guest_stall_ms", "ms");
	int64_t from, to;
	char path[128];
	int rc = 0;

	if (!ser)
		return MT_ENOMEM;
	if (u->noffs)
		place_gaps(u);
	for (size_t i = 0; i < u->ngaps; i++)
		rc |= mt_series_add(ser, u->gaps[i].start_ns - ctx->t0_ns, u->gaps[i].len_ns / 1e6);
	rc |= mt_cell_set_num(c, "probe.udp.guest_replies", (double)u->guest_replies);
	if (u->guest_replies == 0) {
		rc |= mt_cell_set_absent(c, "downtime.guest_stall_ms", "no reply from mt-guest");
		rc |= mt_cell_set_absent(c, "probe.udp.guest_stalls", "no reply from mt-guest");
		return rc ? MT_ENOMEM : 0;
	}
	rc |= mt_cell_set_num(c, "probe.udp.guest_stalls", (double)u->ngaps);
	rc |= clock_step(u, ctx);
	rc |= mt_cell_set_num(c, "probe.udp.guest_stalls_missed", (double)u->gaps_missed);
	for (int p = 0; p < MT_QOS_NPHASES; p++) {
		snprintf(path, sizeof(path), "probe.udp.%s.guest_stall_ms", mt_qos_phase_name(p));
		if (mt_qos_phase_bounds(ctx->phases, p, &from, &to) < 0)
			rc |= mt_cell_set_absent(c, path, "phase not reached");
		else
			rc |= mt_cell_set_num(c, path, stall_in(u, ctx->t0_ns, from, to));
		if (p == MT_QOS_DURING && mt_qos_phase_bounds(ctx->phases, p, &from, &to) < 0)
			rc |= mt_cell_set_absent(c, "downtime.guest_stall_ms",
						 "no migration phase in this cell");
		else if (p == MT_QOS_DURING)
			rc |= mt_cell_set_num(c, "downtime.guest_stall_ms",
					      stall_in(u, ctx->t0_ns, from, to));
	}
	return rc ? MT_ENOMEM : 0;
}

static int udp_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct udp *u = state;
	int rc;

	mt_echo_stop(&u->e);
	rc = mt_echo_collect(&u->e, ctx, err);
	if (rc < 0)
		return rc;
	if (collect_stalls(u, ctx) < 0)
		return mt_err(err, MT_ENOMEM, "udp probe: out of memory");
	return 0;
}

static void udp_release(void *state)
{
	struct udp *u = state;

	if (!u)
		return;
	/* Normally stopped already; if not, leave the loop (it outlives its plugins). */
	mt_echo_close(&u->e);
	free(u->gaps);
	free(u->offs);
	free(u);
}

const struct mt_workload_ops mt_probe_udp = {
	/* the primary before all: it carries the guest's own clock stamps */
	.qos_rank = 3,
	.base.name = "udp",
	.base.summary = "UDP echo to mt-guest: RTT, jitter, loss, network outage and guest stalls",
	.base.options = udp_options,
	.base.check = udp_check,
	.base.supported = udp_supported,
	.start = udp_start,
	.stop = udp_stop,
	.collect = udp_collect,
	.release = udp_release,
};
