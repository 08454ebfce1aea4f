/* migtorture/guest_proto.h — the UDP wire format between the udp probe (host) and mt-guest (VM).
 *
 * Shared verbatim by both sides (header-only, no dependencies beyond libc) so encoder and
 * decoder cannot drift apart. Every message is exactly MT_GP_SIZE bytes, all integers in network
 * byte order, and starts with magic + version; anything else is dropped silently.
 *
 * Request (host → guest), MT_GP_SIZE bytes:
 *   0  u32 magic 'MTGP'   4 u8 version   5 u8 type = MT_GP_PROBE   6 u16 zero
 *   8  u32 seq            12 u32 zero    16 u64 client_send_ns (opaque to the guest, echoed)
 *   24 .. MT_GP_SIZE: zero padding. Requests are as large as replies so the responder never
 *   amplifies (a spoofed source cannot get more bytes reflected than it sent).
 * Reply (guest → host), MT_GP_SIZE bytes:
 *   0  u32 magic  4 u8 version  5 u8 type = MT_GP_REPLY  6 u8 ngaps  7 u8 zero
 *   8  u32 seq (echoed)        12 u32 instance (random per mt-guest start: a restart resets
 *                                   the gap sequence, the host resets its dedup state)
 *   16 u64 client_send_ns (echoed)
 *   24 u64 guest rx CLOCK_REALTIME ns   32 u64 guest rx CLOCK_MONOTONIC ns
 *   40 u64 guest tx CLOCK_REALTIME ns   48 u64 guest tx CLOCK_MONOTONIC ns
 *   56 u32 gap_total (gaps recorded since start = sequence number of the newest gap + 1)
 *   60 u32 zero
 *   64 MT_GP_GAPS × { u32 seq; u32 len_us; u64 start_mono_ns; }  newest first; ngaps valid
 *   192 end
 * A gap is a span in which the guest's stall monitor (1 ms sleeps) did not see its clock:
 * start_mono_ns = the guest's CLOCK_MONOTONIC at the last observation before it, len_us = time
 * between that observation and the next. The host dedups gaps by (instance, seq).
 *
 * Extension: new message types get new MT_GP_* type values; version changes only when an
 * existing layout changes.
 */
#ifndef MT_GUEST_PROTO_H
#define MT_GUEST_PROTO_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define MT_GP_MAGIC 0x4d544750u /* "MTGP" */
#define MT_GP_VERSION 1
#define MT_GP_PROBE 1
#define MT_GP_REPLY 2
#define MT_GP_GAPS 8
#define MT_GP_SIZE 192
#define MT_GP_DEFAULT_PORT 7777

struct mt_gp_gap {
	uint32_t seq;
	uint32_t len_us;
	uint64_t start_mono_ns;
};

struct mt_gp_probe {
	uint32_t seq;
	uint64_t client_send_ns;
};

struct mt_gp_reply {
	uint32_t seq;
	uint32_t instance;
	uint64_t client_send_ns;
	uint64_t rx_real_ns, rx_mono_ns, tx_real_ns, tx_mono_ns;
	uint32_t gap_total;
	uint8_t ngaps;
	struct mt_gp_gap gaps[MT_GP_GAPS];
};

static inline void mt_gp_put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void mt_gp_put64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline uint32_t mt_gp_get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint64_t mt_gp_get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void mt_gp_header(unsigned char *b, uint8_t type)
{
	memset(b, 0, MT_GP_SIZE);
	mt_gp_put32(b, MT_GP_MAGIC);
	b[4] = MT_GP_VERSION;
	b[5] = type;
}

/* Returns the message type, or 0 when b/len is not a valid message of this version. */
static inline int mt_gp_type(const unsigned char *b, size_t len)
{
	if (len != MT_GP_SIZE || mt_gp_get32(b) != MT_GP_MAGIC || b[4] != MT_GP_VERSION)
		return 0;
	return b[5];
}

static inline void mt_gp_encode_probe(unsigned char b[MT_GP_SIZE], const struct mt_gp_probe *m)
{
	mt_gp_header(b, MT_GP_PROBE);
	mt_gp_put32(b + 8, m->seq);
	mt_gp_put64(b + 16, m->client_send_ns);
}

/* Returns 0, or -1 when b/len is not a probe. */
static inline int mt_gp_decode_probe(const unsigned char *b, size_t len, struct mt_gp_probe *m)
{
	if (mt_gp_type(b, len) != MT_GP_PROBE)
		return -1;
	m->seq = mt_gp_get32(b + 8);
	m->client_send_ns = mt_gp_get64(b + 16);
	return 0;
}

static inline void mt_gp_encode_reply(unsigned char b[MT_GP_SIZE], const struct mt_gp_reply *m)
{
	unsigned n = m->ngaps > MT_GP_GAPS ? MT_GP_GAPS : m->ngaps;

	mt_gp_header(b, MT_GP_REPLY);
	b[6] = (unsigned char)n;
	mt_gp_put32(b + 8, m->seq);
	mt_gp_put32(b + 12, m->instance);
	mt_gp_put64(b + 16, m->client_send_ns);
	mt_gp_put64(b + 24, m->rx_real_ns);
	mt_gp_put64(b + 32, m->rx_mono_ns);
	mt_gp_put64(b + 40, m->tx_real_ns);
	mt_gp_put64(b + 48, m->tx_mono_ns);
	mt_gp_put32(b + 56, m->gap_total);
	for (unsigned i = 0; i < n; i++) {
		unsigned char *g = b + 64 + 16 * i;

		mt_gp_put32(g, m->gaps[i].seq);
		mt_gp_put32(g + 4, m->gaps[i].len_us);
		mt_gp_put64(g + 8, m->gaps[i].start_mono_ns);
	}
}

/* Returns 0, or -1 when b/len is not a reply. */
static inline int mt_gp_decode_reply(const unsigned char *b, size_t len, struct mt_gp_reply *m)
{
	if (mt_gp_type(b, len) != MT_GP_REPLY)
		return -1;
	memset(m, 0, sizeof(*m));
	m->ngaps = b[6] > MT_GP_GAPS ? MT_GP_GAPS : b[6];
	m->seq = mt_gp_get32(b + 8);
	m->instance = mt_gp_get32(b + 12);
	m->client_send_ns = mt_gp_get64(b + 16);
	m->rx_real_ns = mt_gp_get64(b + 24);
	m->rx_mono_ns = mt_gp_get64(b + 32);
	m->tx_real_ns = mt_gp_get64(b + 40);
	m->tx_mono_ns = mt_gp_get64(b + 48);
	m->gap_total = mt_gp_get32(b + 56);
	for (unsigned i = 0; i < m->ngaps; i++) {
		const unsigned char *g = b + 64 + 16 * i;

		m->gaps[i].seq = mt_gp_get32(g);
		m->gaps[i].len_us = mt_gp_get32(g + 4);
		m->gaps[i].start_mono_ns = mt_gp_get64(g + 8);
	}
	return 0;
}

#endif
