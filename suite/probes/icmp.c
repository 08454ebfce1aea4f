/* icmp.c — the `icmp` probe: agentless echo (ping) to any VM, same schedule and QoS as udp.
 *
 * Socket: an ICMP datagram socket (SOCK_DGRAM/IPPROTO_ICMP, "ping socket": no privilege needed
 * when the caller's group is in net.ipv4.ping_group_range; the kernel sets the identifier and
 * the checksum and hands us only our own replies). When that is refused (EACCES/EPERM) it falls
 * back to SOCK_RAW, which root (CAP_NET_RAW) always has. It deliberately does not change
 * ping_group_range: that would be a change to the namespace nobody asked for, and root never
 * needs it.
 *
 * The payload carries our own 32-bit sequence and the send time, so sequences do not wrap at
 * 16 bits and stray echo replies (other pingers on a raw socket) are recognised and dropped.
 * Metrics: qos.h's set under probe.icmp.*; qos.* only when primary (no udp probe in the cell,
 * or qos=yes). No guest stall figure: that needs mt-guest (the udp probe).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"
#include "migtorture/units.h"

#define ICMP_MAGIC 0x4d544943u /* "MTIC" */
#define ICMP_PAYLOAD 56          /* like ping(8): 64-byte ICMP message */

struct icmp_probe {
	struct mt_echo e;
	struct sockaddr_in dst;
	int raw;        /* 1 = SOCK_RAW (IP header in front of replies, we set id and checksum) */
	uint16_t ident; /* raw only */
};

static const char *const qos_modes[] = { "auto", "yes", "no", NULL };

static const struct mt_option icmp_options[] = {
	{ "addr", MT_OPT_STR, NULL, "IPv4 address to ping (default: the VM under test)", NULL, 0,
	  0, 0 },
	{ "interval", MT_OPT_DURATION, "10ms", "time between echo requests (1ms .. 10s)", NULL,
	  1e6, 10e9, 0 },
	{ "timeout", MT_OPT_DURATION, "1s", "a reply later than this counts as lost", NULL, 1e6,
	  60e9, 0 },
	{ "qos", MT_OPT_ENUM, "auto",
	  "write qos.* from this probe: auto (udp > icmp > http), yes, no", qos_modes, 0, 0, 0 },
	MT_OPTION_END
};

static int icmp_check(const struct mt_params *p, struct mt_error *err)
{
	const char *addr = mt_param_str(p, "addr");
	struct in_addr a;

	if (addr && inet_pton(AF_INET, addr, &a) != 1)
		return mt_err(err, MT_EINVAL, "key 'addr': expected an IPv4 address, got '%s'",
			      addr);
	return 0;
}

/* Opens the ping socket, else a raw one. Returns the fd (and *raw), or -errno. */
static int open_icmp(int *raw)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);

	*raw = 0;
	if (fd >= 0)
		return fd;
	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	*raw = 1;
	return fd;
}

static int icmp_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			  size_t whylen)
{
	const char *addr = mt_echo_target(p, ctx);
	struct in_addr a;
	int raw, fd;

	if (!addr || inet_pton(AF_INET, addr, &a) != 1) {
		snprintf(why, whylen, "icmp probe: no IPv4 target address (set addr=)");
		return MT_EUNSUPPORTED;
	}
	fd = open_icmp(&raw);
	if (fd < 0) {
		snprintf(why, whylen,
			 "icmp probe: neither a ping socket (net.ipv4.ping_group_range) nor a raw "
			 "socket (CAP_NET_RAW) is allowed: %s", strerror(-fd));
		return MT_EUNSUPPORTED;
	}
	close(fd);
	return 0;
}

static uint16_t checksum(const void *data, size_t len)
{
	const unsigned char *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int icmp_send(struct mt_echo *e, uint32_t seq)
{
	struct icmp_probe *c = e->owner;
	unsigned char b[8 + ICMP_PAYLOAD] = { 0 };
	uint32_t v;
	uint64_t t = (uint64_t)e->send_ns[seq];

	b[0] = ICMP_ECHO;
	b[1] = 0;
	v = htons(c->raw ? c->ident : 0);
	memcpy(b + 4, &v, 2);
	v = htons((uint16_t)seq);
	memcpy(b + 6, &v, 2);
	v = htonl(ICMP_MAGIC);
	memcpy(b + 8, &v, 4);
	v = htonl(seq);
	memcpy(b + 12, &v, 4);
	v = htonl((uint32_t)(t >> 32));
	memcpy(b + 16, &v, 4);
	v = htonl((uint32_t)t);
	memcpy(b + 20, &v, 4);
	if (c->raw) {
		uint16_t ck = checksum(b, sizeof(b));

		memcpy(b + 2, &ck, 2);
	}
	if (send(e->fd, b, sizeof(b), MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void icmp_one(struct mt_echo *e, const unsigned char *b, size_t blen, int64_t now)
{
	struct icmp_probe *c = e->owner;
	const unsigned char *m = b;
	size_t len = blen;
	uint32_t seq;
	uint64_t t;

	if (c->raw) { /* raw IPv4 sockets deliver the IP header too */
		size_t ihl = len ? (size_t)(b[0] & 0x0f) * 4 : 0;

		if (len < ihl || ihl < 20) {
			e->strays++;
			return;
		}
		m += ihl;
		len -= ihl;
	}
	if (len < 8 + 16 || m[0] != ICMP_ECHOREPLY ||
	    (c->raw && (m[4] << 8 | m[5]) != c->ident) || get32(m + 8) != ICMP_MAGIC) {
		/* A raw socket sees every ICMP message of the namespace: only foreign echo
		 * replies count as strays. */
		if (!c->raw || (len >= 1 && m[0] == ICMP_ECHOREPLY))
			e->strays++;
		return;
	}
	seq = get32(m + 12);
	t = (uint64_t)get32(m + 16) << 32 | get32(m + 20);
	if (seq >= e->n || t != (uint64_t)e->send_ns[seq]) {
		e->strays++;
		return;
	}
	mt_echo_reply(e, seq, now);
}

static void icmp_readable(struct mt_echo *e)
{
	mt_echo_recv_all(e, icmp_one);
}

static const struct mt_echo_class icmp_class = { "icmp", icmp_send, icmp_readable };

static int icmp_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct icmp_probe *c = calloc(1, sizeof(*c));
	const char *addr = NULL;
	int rc = 0, fd;

	if (!c)
		return mt_err(err, MT_ENOMEM, "icmp probe: out of memory");
	rc = mt_echo_setup(&c->e, &icmp_class, c, p, ctx, &c->dst, &addr, err);
	if (rc < 0)
		goto out;
	fd = open_icmp(&c->raw);
	if (fd < 0) {
		rc = mt_err(err, MT_EINFRA, "icmp probe: socket: %s", strerror(-fd));
		goto out;
	}
	c->e.fd = fd;
	/* Distinct per instance so two raw pingers in one namespace do not take each other's. */
	c->ident = (uint16_t)(getpid() ^ (uintptr_t)c ^ (ctx->seed & 0xffff));
	if (connect(fd, (struct sockaddr *)&c->dst, sizeof(c->dst)) < 0) {
		rc = mt_err(err, MT_EINFRA, "icmp probe: connect %s: %s", addr, strerror(errno));
		goto out;
	}
	rc = mt_echo_start(&c->e, ctx, err);
out:
	if (rc < 0) {
		mt_echo_close(&c->e);
		free(c);
		c = NULL;
	}
	*state = c;
	return rc;
}

static int icmp_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct icmp_probe *c = state;

	mt_echo_stop(&c->e);
	return 0;
}

static int icmp_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct icmp_probe *c = state;

	mt_echo_stop(&c->e);
	if (mt_cell_set_str(ctx->result, "probe.icmp.socket", c->raw ? "raw" : "dgram") < 0)
		return mt_err(err, MT_ENOMEM, "icmp probe: out of memory");
	return mt_echo_collect(&c->e, ctx, err);
}

static void icmp_release(void *state)
{
	struct icmp_probe *c = state;

	if (!c)
		return;
	/* Normally stopped already; if not, leave the loop (it outlives its plugins). */
	mt_echo_close(&c->e);
	free(c);
}

const struct mt_workload_ops mt_probe_icmp = {
	.qos_rank = 2, /* needs nothing in the guest */
	.base.name = "icmp",
	.base.summary = "ICMP echo (agentless): RTT, jitter, loss and network outage",
	.base.options = icmp_options,
	.base.check = icmp_check,
	.base.supported = icmp_supported,
	.start = icmp_start,
	.stop = icmp_stop,
	.collect = icmp_collect,
	.release = icmp_release,
};
