/* test_fault_live.c — the network faults against this machine's kernel, as root, inside
 * network namespaces the test creates (needs root: exits 77 with the reason otherwise).
 *
 * Every test runs in its own forked process (Check's fork mode), which unshares two fresh,
 * anonymous network namespaces ("A" = the process's own, "B" = the far end) joined by a veth
 * pair mta0 (198.18.77.1/24, in A) ↔ mtb0 (198.18.77.2/24, in B). Anonymous namespaces die
 * with the process, so nothing is left behind even when a test fails or crashes.
 *
 * Covered: tbf 10 mbit → TCP and UDP goodput 9–10 Mbit/s; undo restores a pre-existing tbf exactly
 * (bytes and field by field) and is idempotent; tbf on ingress through an ifb and back (and a
 * shared clsact left in place); netem
 * supported() (skip reason on a kernel without sch_netem, apply/undo where it has one);
 * link-flap timing from netlink events within 10 ms; partition blocks and undo unblocks.
 * Timing bounds are the faults' stated accuracy (see each test).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/attr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <nftables/libnftables.h>

#include "faults/tc_fault.h"
#include "faults/tc_qdisc.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"


#define ADDR_A "198.18.77.1"
#define ADDR_B "198.18.77.2"

int64_t mt_link_event_ns(void *state, size_t i);

static int ns_a = -1, ns_b = -1;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Address, netmask /24 and IFF_UP on dev, in the calling thread's namespace. */
static void if_config(const char *dev, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (addr) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		ck_assert_msg(ioctl(fd, SIOCSIFADDR, &ifr) == 0, "addr %s: %s", dev, strerror(errno));
		inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
		ck_assert_int_eq(ioctl(fd, SIOCSIFNETMASK, &ifr), 0);
	}
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

static void *make_ns(void *arg)
{
	int *fd = arg;

	*fd = -1;
	if (unshare(CLONE_NEWNET) == 0)
		*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return NULL;
}

/* Builds A (this process) and B, and the veth pair between them. */
static void lab_up(void)
{
	pthread_t t;
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *veth, *peer;

	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ns_a = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ns_a, 0);
	/* B: a thread unshares alone; its namespace lives on through the fd. */
	ck_assert_int_eq(pthread_create(&t, NULL, make_ns, &ns_b), 0);
	pthread_join(t, NULL);
	ck_assert_int_ge(ns_b, 0);

	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	veth = rtnl_link_veth_alloc();
	ck_assert_ptr_nonnull(veth);
	rtnl_link_set_name(veth, "mta0");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "mtb0");
	rtnl_link_set_ns_fd(peer, ns_b);
	ck_assert_int_eq(rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL), 0);
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	nl_socket_free(sk);

	if_config("lo", NULL);
	if_config("mta0", ADDR_A);
	ck_assert_int_eq(setns(ns_b, CLONE_NEWNET), 0);
	if_config("lo", NULL);
	if_config("mtb0", ADDR_B);
	ck_assert_int_eq(setns(ns_a, CLONE_NEWNET), 0);
}

/* A ctx for one fault, with a loop and a result cell. */
struct fixture {
	struct mt_loop *loop;
	struct mt_journal *journal; /* the real journal, in a temporary directory */
	char jdir[64], jpath[96];
	char *undo;                 /* copy of the newest open entry's undo record */
	struct mt_run_result run;
	struct mt_ctx ctx;
	struct mt_host host;
};

/* A failed assertion ends the test process at once: remove the journal's directory then too. */
static char cleanup_dir[64], cleanup_path[96];

static void remove_journal_dir(void)
{
	if (cleanup_path[0])
		unlink(cleanup_path);
	if (cleanup_dir[0])
		rmdir(cleanup_dir);
}

static void fixture_init(struct fixture *f)
{
	struct mt_error err = { 0 };

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(mt_loop_new(&f->loop, &err), 0);
	snprintf(f->jdir, sizeof(f->jdir), "/tmp/mtt-netem-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->jdir));
	snprintf(f->jpath, sizeof(f->jpath), "%s/journal", f->jdir);
	snprintf(cleanup_dir, sizeof(cleanup_dir), "%s", f->jdir);
	snprintf(cleanup_path, sizeof(cleanup_path), "%s", f->jpath);
	atexit(remove_journal_dir);
	ck_assert_msg(mt_journal_open(f->jpath, &f->journal, &err) == 0, "%s", err.msg);
	f->host.name = "local";
	f->host.kind = MT_HOST_LOCAL;
	f->ctx.journal = f->journal;
	f->ctx.loop = f->loop;
	f->ctx.host = &f->host;
	f->ctx.result = mt_run_add_cell(&f->run, "live");
	f->ctx.t0_ns = now_ns();
	f->ctx.cell_name = "live";
	mt_journal_set_t0(f->journal, f->ctx.t0_ns);
}

static void fixture_free(struct fixture *f)
{
	mt_journal_close(f->journal);
	unlink(f->jpath);
	rmdir(f->jdir);
	free(f->undo);
	mt_run_result_free(&f->run);
	mt_loop_free(f->loop);
}

static size_t nopen(struct fixture *f)
{
	const struct mt_journal_entry *e;
	size_t n = 0;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_journal_open_entries(f->journal, &e, &n, &err), 0);
	return n;
}

/* The newest open journal entry (valid until the next journal call). */
static const struct mt_journal_entry *newest(struct fixture *f)
{
	const struct mt_journal_entry *e;
	size_t n = 0;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_journal_open_entries(f->journal, &e, &n, &err), 0);
	ck_assert_uint_ge(n, 1);
	return &e[0];
}

/* A copy of the newest open entry's undo record, kept in the fixture. */
static const char *undo_of(struct fixture *f)
{
	free(f->undo);
	f->undo = strdup(newest(f)->undo_json);
	ck_assert_ptr_nonnull(f->undo);
	return f->undo;
}

/* Undoes every open entry the way the runner and `migtorture recover` do. */
static void undo_all(struct fixture *f)
{
	unsigned undone = 0, failed = 0;
	struct mt_error err = { 0 };

	ck_assert_msg(mt_journal_undo_all(f->journal, &undone, &failed, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_ge(undone, 1);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_eq(nopen(f), 0);
}

/* Parses, checks and applies fault `name` with text; returns apply's rc. */
static int apply(struct fixture *f, const char *name, const char *text, void **state,
		 struct mt_error *err)
{
	const struct mt_fault_ops *ops = mt_find_fault(name);
	struct mt_params p = { 0 };
	int rc;

	ck_assert_ptr_nonnull(ops);
	ck_assert_msg(mt_params_parse(ops->base.options, text, 1, &p, err) == 0, "%s", err->msg);
	ck_assert_msg(!ops->base.check || ops->base.check(&p, err) == 0, "%s", err->msg);
	rc = ops->apply(&p, &f->ctx, state, err);
	mt_params_free(&p);
	return rc;
}

static void read_root(const char *dev, struct mt_tcq_snap *s)
{
	struct nl_sock *sk;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	ck_assert_msg(mt_tcq_read(sk, dev, TC_H_ROOT, s, &err) == 0, "%s", err.msg);
	nl_socket_free(sk);
}

static void read_at(const char *dev, uint32_t parent, struct mt_tcq_snap *s)
{
	struct nl_sock *sk;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	ck_assert_msg(mt_tcq_read(sk, dev, parent, s, &err) == 0, "%s", err.msg);
	nl_socket_free(sk);
}

/* The tbf parameters as the kernel reports them. */
struct tbf_fields {
	uint32_t rate, prate, limit, buffer, mtu, burst;
};

static struct tbf_fields tbf_decode(const struct mt_tcq_snap *s)
{
	struct nlattr *tb[TCA_TBF_MAX + 1];
	struct tbf_fields f = { 0 };
	struct tc_tbf_qopt q;

	ck_assert_str_eq(s->kind, "tbf");
	ck_assert_int_eq(nla_parse(tb, TCA_TBF_MAX, (struct nlattr *)s->opts, (int)s->optlen,
				   NULL), 0);
	ck_assert_ptr_nonnull(tb[TCA_TBF_PARMS]);
	memcpy(&q, nla_data(tb[TCA_TBF_PARMS]), sizeof(q));
	f.rate = q.rate.rate;
	f.prate = q.peakrate.rate;
	f.limit = q.limit;
	f.buffer = q.buffer;
	f.mtu = q.mtu;
	f.burst = tb[TCA_TBF_BURST] ? nla_get_u32(tb[TCA_TBF_BURST]) : 0;
	return f;
}

/* --- goodput: receiver thread in B ------------------------------------------------------ */

/* The receiver judges the rate by the kernel's account, not by when its own recv() returned:
 * a receiver thread descheduled for a few hundred ms on this shared machine finds that much
 * data queued and, timed by its own clock, reads 11 Mbit/s through a 10 Mbit/s tbf (seen once
 * in CI) — or, when the stall falls on the window's end, 8–9 Mbit/s. TCP: the connection's
 * bytes received in order, counted between two clock reads at most 1 ms apart. UDP: each
 * datagram's kernel arrival time (SO_TIMESTAMPNS), taken after the egress tbf. The rate by
 * the receiver's own clock is printed beside it, to show what a stall did. */
struct rx {
	int udp;
	int fd;              /* listening (TCP) or bound (UDP) socket in B */
	double goodput_bps;  /* over [1 s, 4 s] after the first byte, by the kernel's times */
	double app_bps;      /* what recv() returned over the receiver's own clock */
	int ok;
	volatile int done;   /* tells the sender to stop */
};

/* TCP: the bytes the connection has received in order (what was read, plus what waits unread:
 * FIONREAD) and a time within 1 ms of counting them; 0 when the two clock reads around the
 * count were further apart (the thread was preempted). */
static int tcp_sample(int fd, uint64_t read_so_far, int64_t *t, uint64_t *bytes)
{
	int queued = 0;
	int64_t t0 = now_ns(), t1;

	if (ioctl(fd, FIONREAD, &queued) != 0 || queued < 0)
		return -1;
	t1 = now_ns();
	if (t1 - t0 > 1000000)
		return 0;
	*t = t0 + (t1 - t0) / 2;
	*bytes = read_so_far + (uint64_t)queued;
	return 1;
}

/* UDP: one datagram and the kernel's arrival time of it (CLOCK_REALTIME). */
static ssize_t udp_recv(int fd, void *buf, size_t len, int64_t *t)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &mh, 0);

	*t = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	return n;
}

static void *rx_main(void *arg)
{
	struct rx *r = arg;
	static char buf[65536];
	struct timeval tv = { .tv_sec = 2 };
	int one = 1, big = 8 << 20;
	int fd = r->udp ? r->fd : accept(r->fd, NULL, NULL);
	int64_t t_first = 0, t1 = 0, app_t1 = 0;
	uint64_t total = 0, b1 = 0, app_b1 = 0;

	if (fd < 0)
		goto out;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (r->udp) {
		/* Room for a stalled receiver: a datagram the socket drops is not the fault's. */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0)
			goto out;
	}
	for (;;) {
		int64_t t = 0;
		uint64_t bytes = 0;
		ssize_t n;

		if (r->udp) {
			n = udp_recv(fd, buf, sizeof(buf), &t);
			if (n <= 0 || !t)
				break;
			total += (uint64_t)n;
			bytes = total;
		} else {
			int got;

			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			total += (uint64_t)n;
			got = tcp_sample(fd, total, &t, &bytes);
			if (got < 0)
				break;
			if (!got)
				continue;
		}
		if (!t_first)
			t_first = t;
		/* Skip slow start: the window opens 1 s after the first byte. */
		if (!t1 && t - t_first >= 1 * MT_NS_PER_S) {
			t1 = t;
			b1 = bytes;
			app_t1 = now_ns();
			app_b1 = total - (uint64_t)n; /* what had been read before this window */
		}
		if (t1 && t - t_first >= 4 * MT_NS_PER_S) {
			r->goodput_bps = (double)(bytes - b1) * 8.0 / ((double)(t - t1) / 1e9);
			r->app_bps = (double)(total - app_b1) * 8.0 / ((double)(now_ns() - app_t1) / 1e9);
			r->ok = 1;
			break;
		}
	}
	if (!r->udp)
		close(fd);
out:
	r->done = 1;
	return NULL;
}

/* TCP or UDP (1400-byte datagrams, as fast as the socket takes them) from A to B for ~4 s;
 * returns the goodput by the kernel's times, and in *app_bps by the receiver's clock. */
static double goodput(int udp, double *app_bps)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5201) };
	struct timeval tv = { .tv_sec = 10 };
	struct rx r = { .udp = udp };
	pthread_t t;
	static char buf[65536];
	size_t chunk = udp ? 1400 : sizeof(buf);
	int one = 1, fd;
	int64_t deadline;

	inet_pton(AF_INET, ADDR_B, &sa.sin_addr);
	ck_assert_int_eq(setns(ns_b, CLONE_NEWNET), 0); /* the socket stays in B */
	r.fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	setsockopt(r.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (!udp)
		ck_assert_int_eq(listen(r.fd, 1), 0);
	ck_assert_int_eq(setns(ns_a, CLONE_NEWNET), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, rx_main, &r), 0);

	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(buf, 'x', sizeof(buf));
	deadline = now_ns() + 8 * MT_NS_PER_S;
	while (!r.done && now_ns() < deadline) {
		if (udp) {
			/* ~2 datagrams per 0.5 ms ≈ 30+ Mbit/s offered: the link stays full without
			 * spinning a core (a full qdisc drops silently). */
			send(fd, buf, chunk, MSG_NOSIGNAL);
			send(fd, buf, chunk, MSG_NOSIGNAL);
			usleep(500);
		} else if (send(fd, buf, chunk, MSG_NOSIGNAL) < 0) {
			break;
		}
	}
	close(fd);
	pthread_join(t, NULL);
	close(r.fd);
	ck_assert_msg(r.ok, "receiver did not see 4 s of data");
	*app_bps = r.app_bps;
	return r.goodput_bps;
}

/* The bound: 9–10 Mbit/s, by the kernel's count (see struct rx). A stall of the UDP sender
 * on this shared 2-core machine leaves the link idle and loses tokens for good (the bucket
 * holds 4 ms), which reads as 8.2–8.8 Mbit/s now and then (seen 3 times in ~40 runs under
 * load) — not a property of the fault. Above the rate the same holds the other way for
 * parent=ingress: packets the ifb's tbf has released still wait for the ifb's tasklet and
 * the softirq that delivers them (both deferred on a loaded host), so a window that opens on
 * such a backlog counts it inside (a CI run: 11.04 Mbit/s, i.e. ~0.5 s of traffic more than
 * the rate in 3 s, where a 4 ms bucket can release 5 KB). So a reading outside 9..10 is
 * measured again, up to 3 times; a tbf that shapes wrong reads so every time. Every
 * measurement is printed. */
static void assert_goodput_10mbit(const char *what, int udp)
{
	double g = 0, app = 0;

	for (int attempt = 1; attempt <= 3; attempt++) {
		g = goodput(udp, &app);
		fprintf(stderr, "%s: %s goodput %.3f Mbit/s (run %d; %.3f by the receiver's clock)\n",
			what, udp ? "UDP" : "TCP", g / 1e6, attempt, app / 1e6);
		if (g >= 9.0e6 && g <= 10.0e6)
			return;
	}
	ck_abort_msg("%s: goodput %.3f Mbit/s outside 9..10 in 3 runs", what, g / 1e6);
}

/* --- tests ------------------------------------------------------------------------------ */

/* tbf 10 mbit → 9–10 Mbit/s measured. TCP payload is at most 1448/1514 of the L2 rate tbf
 * counts (9.56 Mbit/s), so 9–10 needs no extra margin. */
START_TEST(tbf_goodput_10mbit)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_tcq_snap s = { 0 };
	void *st = NULL;

	lab_up();
	fixture_init(&f);
	ck_assert_msg(apply(&f, "tbf", "dev=mta0 rate=10mbit", &st, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(newest(&f)->kind, "tbf");
	ck_assert(newest(&f)->applied);
	assert_goodput_10mbit("tbf rate=10mbit", 0);
	assert_goodput_10mbit("tbf rate=10mbit", 1);
	/* collect reads the fault's own qdisc counters: ≥ 2 × 4 s at ~10 Mbit/s went through
	 * it, and the UDP run offered 30+ Mbit/s, so tbf dropped some. */
	ck_assert_int_eq(mt_find_fault("tbf")->collect(st, &f.ctx, &err), 0);
	{
		const struct mt_metric *sp = mt_cell_metric(f.ctx.result,
							    "fault.tbf.mta0.sent_packets");
		const struct mt_metric *sb = mt_cell_metric(f.ctx.result,
							    "fault.tbf.mta0.sent_bytes");
		const struct mt_metric *dp = mt_cell_metric(f.ctx.result,
							    "fault.tbf.mta0.dropped_packets");

		ck_assert(sp && sb && dp && sp->kind == MT_METRIC_NUM && dp->kind == MT_METRIC_NUM);
		fprintf(stderr, "tbf counters: %.0f packets, %.0f bytes sent, %.0f dropped\n",
			sp->num, sb->num, dp->num);
		ck_assert(sp->num >= 3000 && sb->num >= 5e6 && dp->num > 0);
	}
	mt_find_fault("tbf")->release(st);

	undo_all(&f);
	read_root("mta0", &s);
	ck_assert(s.is_default); /* veth's noqueue is back */
	mt_tcq_snap_free(&s);
	fixture_free(&f);
}
END_TEST

/* Undo restores a pre-existing, non-default qdisc exactly, and undo is idempotent. */
START_TEST(tbf_undo_restores_prior)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_tcq_snap orig = { 0 }, during = { 0 }, after = { 0 };
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_sock *sk;
	struct tbf_fields a, b, d;
	void *st = NULL;

	lab_up();
	fixture_init(&f);
	/* Someone's tbf 1: at 5 mbit, burst 6000, limit 30000 was there first. */
	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	rtnl_tc_set_ifindex(TC_CAST(q), (int)if_nametoindex("mta0"));
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), 0x10000);
	ck_assert_int_eq(rtnl_tc_set_kind(TC_CAST(q), "tbf"), 0);
	rtnl_qdisc_tbf_set_rate(q, 625000, 6000, 0);
	rtnl_qdisc_tbf_set_limit(q, 30000);
	ck_assert_int_eq(rtnl_qdisc_add(sk, q, NLM_F_CREATE), 0);
	rtnl_qdisc_put(q);
	nl_socket_free(sk);
	read_root("mta0", &orig);
	ck_assert(!orig.is_default);
	ck_assert_uint_eq(orig.handle, 0x10000);

	ck_assert_msg(apply(&f, "tbf", "dev=mta0 rate=10mbit burst=10000 latency=20ms", &st,
			    &err) == 0, "%s", err.msg);
	mt_find_fault("tbf")->release(st); /* its counters are not used here */
	read_root("mta0", &during);
	ck_assert_uint_eq(during.handle, MT_TC_HANDLE);
	d = tbf_decode(&during);
	ck_assert_uint_eq(d.rate, 1250000);

	undo_of(&f);
	for (int round = 0; round < 2; round++) { /* the second undo must change nothing */
		if (round == 0)
			undo_all(&f); /* through the journal, as recover would */
		else
			ck_assert_msg(mt_find_fault("tbf")->undo(f.undo, &err) == 0, "%s", err.msg);
		read_root("mta0", &after);
		ck_assert_uint_eq(after.handle, orig.handle);
		ck_assert_str_eq(after.kind, orig.kind);
		a = tbf_decode(&orig);
		b = tbf_decode(&after);
		ck_assert_uint_eq(b.rate, a.rate);
		ck_assert_uint_eq(b.rate, 625000);
		ck_assert_uint_eq(b.limit, a.limit);
		ck_assert_uint_eq(b.limit, 30000);
		ck_assert_uint_eq(b.buffer, a.buffer);
		ck_assert_uint_eq(b.mtu, a.mtu);
		ck_assert_uint_eq(b.prate, a.prate);
		ck_assert_uint_eq(b.burst, a.burst);
		ck_assert(mt_tcq_snap_equal(&orig, &after)); /* and every other option byte */
		mt_tcq_snap_free(&after);
	}
	mt_tcq_snap_free(&orig);
	mt_tcq_snap_free(&during);
	fixture_free(&f);
}
END_TEST

/* parent=ingress: ifb + ingress qdisc + redirect appear, and all go away on undo. */
START_TEST(tbf_ingress_via_ifb)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_tcq_snap s = { 0 };
	char ifb[IFNAMSIZ];
	void *st = NULL;

	lab_up();
	fixture_init(&f);
	mt_tcq_ifb_name("mtb0", ifb, sizeof(ifb));
	/* Shape what B receives, on B's side. */
	ck_assert_int_eq(setns(ns_b, CLONE_NEWNET), 0);
	ck_assert_msg(apply(&f, "tbf", "dev=mtb0 parent=ingress rate=10mbit", &st, &err) == 0,
		      "%s", err.msg);
	mt_find_fault("tbf")->release(st); /* its counters are not used here */
	ck_assert_uint_ne(if_nametoindex(ifb), 0);
	read_at("mtb0", TC_H_INGRESS, &s);
	ck_assert(s.present);
	ck_assert_str_eq(s.kind, "ingress");
	mt_tcq_snap_free(&s);
	read_root(ifb, &s);
	ck_assert_str_eq(s.kind, "tbf");
	mt_tcq_snap_free(&s);
	ck_assert_int_eq(setns(ns_a, CLONE_NEWNET), 0);
	assert_goodput_10mbit("tbf parent=ingress rate=10mbit", 0);

	ck_assert_int_eq(setns(ns_b, CLONE_NEWNET), 0);
	undo_of(&f);
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			undo_all(&f);
		else
			ck_assert_msg(mt_find_fault("tbf")->undo(f.undo, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(if_nametoindex(ifb), 0);
		read_at("mtb0", TC_H_INGRESS, &s);
		ck_assert(!s.present);
		mt_tcq_snap_free(&s);
	}
	ck_assert_int_eq(setns(ns_a, CLONE_NEWNET), 0);
	fixture_free(&f);
}
END_TEST

/* Filters attached at parent of dev (in the current namespace). */
static int count_filters(const char *dev, uint32_t parent)
{
	struct nl_sock *sk;
	struct nl_cache *cache = NULL;
	struct mt_error err = { 0 };
	int n;

	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	ck_assert_int_eq(rtnl_cls_alloc_cache(sk, (int)if_nametoindex(dev), parent, &cache), 0);
	n = nl_cache_nitems(cache);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return n;
}

/* An ingress hook someone else owns (clsact) is shared: undo removes only our filter. */
START_TEST(ingress_shared_clsact_kept)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_tcq_snap s = { 0 };
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_sock *sk;
	const uint32_t ingress_hook = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	char ifb[IFNAMSIZ];
	void *st = NULL;

	lab_up();
	fixture_init(&f);
	mt_tcq_ifb_name("mta0", ifb, sizeof(ifb));
	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	rtnl_tc_set_ifindex(TC_CAST(q), (int)if_nametoindex("mta0"));
	rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
	rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_CLSACT, 0));
	ck_assert_int_eq(rtnl_tc_set_kind(TC_CAST(q), "clsact"), 0);
	ck_assert_int_eq(rtnl_qdisc_add(sk, q, NLM_F_CREATE), 0);
	rtnl_qdisc_put(q);
	nl_socket_free(sk);
	ck_assert_int_eq(count_filters("mta0", ingress_hook), 0);

	ck_assert_msg(apply(&f, "tbf", "dev=mta0 parent=ingress rate=20mbit", &st, &err) == 0,
		      "%s", err.msg);
	mt_find_fault("tbf")->release(st); /* its counters are not used here */
	ck_assert_int_gt(count_filters("mta0", ingress_hook), 0);
	read_root(ifb, &s);
	ck_assert_str_eq(s.kind, "tbf");
	mt_tcq_snap_free(&s);

	undo_all(&f);
	ck_assert_uint_eq(if_nametoindex(ifb), 0);
	ck_assert_int_eq(count_filters("mta0", ingress_hook), 0);
	read_at("mta0", TC_H_INGRESS, &s);
	ck_assert(s.present);
	ck_assert_str_eq(s.kind, "clsact"); /* still there */
	mt_tcq_snap_free(&s);
	fixture_free(&f);
}
END_TEST

/* supported() never touches a link it did not make: one already named like its scratch link
 * keeps its index and its root qdisc, and the probe still answers (with the next name). */
START_TEST(netem_probe_spares_an_existing_link)
{
	const struct mt_fault_ops *ops = mt_find_fault("netem");
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = rtnl_link_alloc();
	struct mt_tcq_snap s = { 0 };
	struct fixture f;
	char mine[IFNAMSIZ], next[IFNAMSIZ], why[256] = "";
	unsigned idx;
	int rc = -1;

	lab_up();
	fixture_init(&f);
	snprintf(mine, sizeof(mine), "mtprobe%da", (int)getpid());
	snprintf(next, sizeof(next), "mtprobe%db", (int)getpid());
	ck_assert_ptr_nonnull(sk);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	rtnl_link_set_name(l, mine);
	for (size_t i = 0; i < 3 && rc < 0; i++) {
		static const char *const kinds[] = { "dummy", "ifb", "veth" };
		rtnl_link_set_type(l, kinds[i]);
		rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (rc < 0) {
		fprintf(stderr, "SKIP netem_probe_spares_an_existing_link: no scratch link type\n");
		goto out;
	}
	idx = if_nametoindex(mine);
	ck_assert_uint_ne(idx, 0);
	rc = ops->base.supported(NULL, &f.ctx, why, sizeof(why));
	ck_assert_msg(rc == 0 || strstr(why, "kernel lacks sch_netem"), "%d %s", rc, why);
	ck_assert_uint_eq(if_nametoindex(mine), idx); /* still there, the same link */
	read_root(mine, &s);
	ck_assert(!s.present || strcmp(s.kind, "netem") != 0); /* no netem was put on it */
	mt_tcq_snap_free(&s);
	ck_assert_uint_eq(if_nametoindex(next), 0);   /* the probe's own link is gone */
	rtnl_link_delete(sk, l);
out:
	rtnl_link_put(l);
	nl_socket_free(sk);
	fixture_free(&f);
}
END_TEST

/* supported(): the scratch-link probe gives the documented skip reason on a kernel without
 * sch_netem; where netem exists, apply and undo work for real. */
START_TEST(netem_supported_probe)
{
	const struct mt_fault_ops *ops = mt_find_fault("netem");
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_tcq_snap s = { 0 };
	char why[256] = "";
	void *st = NULL;
	int rc;

	lab_up();
	fixture_init(&f);
	rc = ops->base.supported(NULL, &f.ctx, why, sizeof(why));
	fprintf(stderr, "netem supported(): %d %s\n", rc, why);
	/* the probe link is gone either way */
	for (char c = 'a'; c <= 'c'; c++) {
		char n[IFNAMSIZ];
		snprintf(n, sizeof(n), "mtprobe%d%c", (int)getpid(), c);
		ck_assert_uint_eq(if_nametoindex(n), 0);
	}
	if (rc == MT_EUNSUPPORTED) {
		ck_assert_str_eq(why, "kernel lacks sch_netem on local; use the lab router or a "
				      "host whose kernel has it");
		/* apply fails cleanly: the entry is closed and nothing changed */
		ck_assert_int_ne(apply(&f, "netem", "dev=mta0 delay=20ms", &st, &err), 0);
		ck_assert_uint_eq(mt_journal_last_id(f.journal), 1); /* it was journalled */
		ck_assert_uint_eq(nopen(&f), 0);                       /* and closed */
		read_root("mta0", &s);
		ck_assert(s.is_default);
		mt_tcq_snap_free(&s);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_msg(apply(&f, "netem", "dev=mta0 delay=20ms loss=1%", &st, &err) == 0,
			      "%s", err.msg);
		mt_find_fault("netem")->release(st); /* its counters are not used here */
		read_root("mta0", &s);
		ck_assert_str_eq(s.kind, "netem");
		mt_tcq_snap_free(&s);
		undo_all(&f);
		read_root("mta0", &s);
		ck_assert(s.is_default);
		mt_tcq_snap_free(&s);
	}
	fixture_free(&f);
}
END_TEST

/* One run of link-flap down=300ms period=600ms count=3 on mta0: checks what it records and
 * returns the worst deviations, from the kernel's link events, of the down time and of each
 * transition from its plan. Leaves the fault released and its entry undone. */
static void flap_once(struct fixture *f, int64_t *worst_down, int64_t *worst_plan)
{
	const struct mt_fault_ops *ops = mt_find_fault("link-flap");
	const int64_t down = 300 * MT_NS_PER_MS, period = 600 * MT_NS_PER_MS;
	struct mt_error err = { 0 };
	const struct mt_metric *m;
	const struct mt_series *ser = NULL;
	void *st = NULL;
	int64_t start = now_ns();

	*worst_down = *worst_plan = 0;
	ck_assert_msg(apply(f, "link-flap", "dev=mta0 down=300ms period=600ms count=3", &st,
			    &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_loop_run(f->loop, start + 3 * period + 200 * MT_NS_PER_MS, &err), 0);
	ck_assert_int_eq(ops->collect(st, &f->ctx, &err), 0);
	ck_assert(newest(f)->applied);
	ck_assert_int_gt(newest(f)->t_applied_ns, 0);
	for (size_t k = 0; k < 6; k++) {
		int64_t ev = mt_link_event_ns(st, k);
		int64_t planned = start + (int64_t)(k / 2) * period + (int64_t)(k % 2) * down;
		ck_assert_msg(ev > 0, "transition %zu not seen", k);
		if (llabs(ev - planned) > *worst_plan)
			*worst_plan = llabs(ev - planned);
		if (k % 2) {
			int64_t d = ev - mt_link_event_ns(st, k - 1);
			if (llabs(d - down) > *worst_down)
				*worst_down = llabs(d - down);
		}
	}
	ck_assert_int_eq(mt_link_event_ns(st, 6), -1); /* exactly 3 flaps */
	m = mt_cell_metric(f->ctx.result, "fault.link.mta0.transitions");
	ck_assert_ptr_nonnull(m);
	ck_assert_double_eq(m->num, 6);
	m = mt_cell_metric(f->ctx.result, "fault.link.mta0.down_ms.mean");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MT_METRIC_NUM);
	ck_assert(fabs(m->num - 300) <= 100);
	for (size_t i = 0; i < f->ctx.result->nseries; i++)
		if (strcmp(f->ctx.result->series[i].name, "fault.link.mta0.up") == 0)
			ser = &f->ctx.result->series[i];
	ck_assert_ptr_nonnull(ser);
	ck_assert_uint_eq(ser->n, 6);
	ck_assert_double_eq(ser->v[0], 0);
	ck_assert_double_eq(ser->v[5], 1);
	ck_assert_int_eq(f->ctx.result->nevents, 6);
	ops->release(st);
	/* Undo from the record: the link is up already, so this changes nothing. */
	ck_assert_int_eq(ops->undo(undo_of(f), &err), 0);
	undo_all(f);
}

/* Link flap timing within 10 ms — measured from the kernel's own link events, both
 * the down time (event to event) and each transition against its planned time.
 * The machine is shared (2 cores, several builds): a stall of our process of tens of ms shows
 * up now and then (seen once in ~30 runs: 57 ms) and says nothing about the fault. So the
 * bound must hold in one of up to 3 runs; every run is printed. */
START_TEST(link_flap_timing)
{
	struct fixture f;
	struct mt_error err = { 0 };
	void *st = NULL;
	int64_t wd = 0, wp = 0;
	int ok = 0;

	lab_up();
	for (int attempt = 1; attempt <= 3 && !ok; attempt++) {
		fixture_init(&f);
		flap_once(&f, &wd, &wp);
		fprintf(stderr, "link-flap down=300ms x3 (run %d): worst |down - 300ms| %.3f ms, "
			"worst |event - plan| %.3f ms\n", attempt, wd / 1e6, wp / 1e6);
		ok = wd <= 10 * MT_NS_PER_MS && wp <= 10 * MT_NS_PER_MS;
		if (!ok && attempt < 3)
			fixture_free(&f);
	}
	ck_assert_msg(ok, "3 runs off by more than 10 ms (last: down %.3f ms, plan %.3f ms)",
		      wd / 1e6, wp / 1e6);

	/* link-down, and undo after a "crash" while down (record only) → up again. */
	{
		struct nl_sock *sk;
		struct rtnl_link *l = NULL;
		ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
		ck_assert_msg(apply(&f, "link-down", "dev=mta0", &st, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(rtnl_link_get_kernel(sk, 0, "mta0", &l), 0);
		ck_assert(!(rtnl_link_get_flags(l) & IFF_UP));
		rtnl_link_put(l);
		mt_find_fault("link-down")->release(st);
		ck_assert_str_eq(newest(&f)->kind, "link-down");
		undo_of(&f);
		undo_all(&f);
		ck_assert_int_eq(mt_find_fault("link-down")->undo(f.undo, &err), 0);
		ck_assert_int_eq(rtnl_link_get_kernel(sk, 0, "mta0", &l), 0);
		ck_assert(rtnl_link_get_flags(l) & IFF_UP);
		rtnl_link_put(l);
		nl_socket_free(sk);
	}
	fixture_free(&f);
}
END_TEST

/* Is one UDP datagram sent on tx to to_addr:9999 received on rx within timeout_us? */
static int udp_passes_within(int tx, int rx, const char *to_addr, long timeout_us)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };
	char buf[16];
	struct timeval tv = { .tv_sec = timeout_us / 1000000, .tv_usec = timeout_us % 1000000 };

	inet_pton(AF_INET, to_addr, &sa.sin_addr);
	setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* A drop in the sender's output hook fails the send itself (EPERM). */
	if (sendto(tx, "ping", 4, 0, (struct sockaddr *)&sa, sizeof(sa)) != 4)
		return 0;
	return recv(rx, buf, sizeof(buf), 0) == 4;
}

/* Expecting it through: generous (first packet needs ARP, the machine is shared). */
static int udp_passes(int tx, int rx, const char *to)
{
	return udp_passes_within(tx, rx, to, 2000000);
}
/* Expecting it dropped: a dropped datagram never arrives, so a short wait cannot mislead. */
static int udp_blocked(int tx, int rx, const char *to)
{
	return !udp_passes_within(tx, rx, to, 300000);
}

static int bound_udp(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9999) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int nft_table_exists(const char *table)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	char cmd[128];
	int rc;

	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	snprintf(cmd, sizeof(cmd), "list table inet %s", table);
	rc = nft_run_cmd_from_buffer(nft, cmd);
	nft_ctx_free(nft);
	return rc == 0;
}

START_TEST(partition_blocks_and_undo_unblocks)
{
	const struct mt_fault_ops *ops = mt_find_fault("partition");
	struct fixture f;
	struct mt_error err = { 0 };
	void *st = NULL;
	int ra, rb;
	char table[64];
	cJSON *u;

	lab_up();
	fixture_init(&f);
	ra = bound_udp(ADDR_A);
	ck_assert_int_eq(setns(ns_b, CLONE_NEWNET), 0);
	rb = bound_udp(ADDR_B);
	ck_assert_int_eq(setns(ns_a, CLONE_NEWNET), 0);

	ck_assert(udp_passes(ra, rb, ADDR_B));
	ck_assert(udp_passes(rb, ra, ADDR_A));
	ck_assert_msg(apply(&f, "partition", "a=" ADDR_A " b=198.18.77.0/30,2001:db8::1", &st,
			    &err) == 0, "%s", err.msg);
	ck_assert_str_eq(newest(&f)->kind, "partition");
	ck_assert(newest(&f)->applied);
	u = cJSON_Parse(undo_of(&f));
	snprintf(table, sizeof(table), "%s", cJSON_GetObjectItem(u, "table")->valuestring);
	cJSON_Delete(u);
	ck_assert(strncmp(table, "mt_partition_", 13) == 0);
	ck_assert(nft_table_exists(table));
	ck_assert(udp_blocked(ra, rb, ADDR_B)); /* A → B dropped (output) */
	ck_assert(udp_blocked(rb, ra, ADDR_A)); /* B → A dropped (input) */

	undo_all(&f);
	ck_assert(!nft_table_exists(table));
	ck_assert(udp_passes(ra, rb, ADDR_B));
	ck_assert(udp_passes(rb, ra, ADDR_A));
	ck_assert_msg(ops->undo(f.undo, &err) == 0, "second undo: %s", err.msg);
	close(ra);
	close(rb);
	fixture_free(&f);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("SKIP: needs root (creates network namespaces, veth, qdiscs, nftables)\n");
		return 77;
	}
	s = suite_create("fault_live");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tbf_goodput_10mbit);
	tcase_add_test(tc, tbf_undo_restores_prior);
	tcase_add_test(tc, tbf_ingress_via_ifb);
	tcase_add_test(tc, ingress_shared_clsact_kept);
	tcase_add_test(tc, netem_supported_probe);
	tcase_add_test(tc, netem_probe_spares_an_existing_link);
	tcase_add_test(tc, link_flap_timing);
	tcase_add_test(tc, partition_blocks_and_undo_unblocks);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK); /* each test: fresh namespaces, gone at exit */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
