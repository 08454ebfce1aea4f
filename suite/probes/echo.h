/* echo.h — private to suite/probes: the request/response engine the udp and icmp probes share.
 *
 * The engine owns the schedule (one request per loop timer tick), the sample table (sequence =
 * index, send and receive CLOCK_MONOTONIC times), the timeout rule and the collect step (series,
 * per-phase QoS through qos.h, counters). A probe supplies only its socket and two callbacks:
 * how to send request `seq`, and how to read replies (calling mt_echo_reply for each).
 */
#ifndef MT_PROBES_ECHO_H
#define MT_PROBES_ECHO_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "migtorture/plugin.h"
#include "migtorture/qos.h"

struct mt_echo;

/* mark[seq]: the low bits count further replies to seq (saturating), the top bit says its
 * accepted reply was overtaken (reordered). */
#define MT_ECHO_DUPS 0x7f
#define MT_ECHO_OVERTAKEN 0x80

struct mt_echo_class {
	const char *name; /* "udp" → series probe.udp.rtt_ms, metrics probe.udp.* */
	/* Sends request seq; returns 0, or a negative errno (the sample then counts as lost). */
	int (*send)(struct mt_echo *e, uint32_t seq);
	/* e->fd is readable: read every queued reply (non-blocking) and call mt_echo_reply. */
	void (*readable)(struct mt_echo *e);
};

struct mt_echo {
	const struct mt_echo_class *cls;
	void *owner;          /* the probe's own state */
	struct mt_ctx *ctx;   /* set by mt_echo_start */
	int fd;               /* the probe's socket (owned by the probe) */
	int64_t interval_ns;
	int64_t timeout_ns;
	const char *qos_mode; /* the probe's qos= (auto, yes, no) */
	/* One entry per request, index = sequence number. Absolute monotonic ns; recv -1 = none. */
	int64_t *send_ns, *recv_ns;
	uint8_t *mark;        /* per request: duplicates seen (MT_ECHO_DUPS) | MT_ECHO_OVERTAKEN */
	size_t n, cap;
	uint64_t timer_id;
	int timer_on, fd_on;
	int drain_on_tick;    /* kernel receive stamps on: replies are read at the next send
	                       * instead of waking the loop for each (half the wake-ups) */
	int64_t stop_ns;      /* when mt_echo_stop ran (0 = still running) */
	size_t send_errors, late, duplicates, strays; /* running totals, unresolved tail too */
	/* RFC 4737 §3.3: an accepted reply whose sequence number is below the highest one
	 * accepted before it (it was overtaken: netem reorder, jitter, multipath). */
	size_t reordered;
	uint32_t high_seq;    /* highest accepted sequence number (valid when have_high) */
	int have_high;
	struct mt_echo_rx *rx; /* receive buffers (echo.c) */
};

/* Registers e->fd (EPOLLIN) and a timer sending one request every interval on ctx->loop.
 * e->cls, fd, interval_ns and timeout_ns must be set. Returns 0 or MT_E*. */
/* The probe's target: its addr= key, else the guest's address (NULL when neither is set). */
const char *mt_echo_target(const struct mt_params *p, const struct mt_ctx *ctx);

/* Readies e for probe class cls (owner: the probe's state) from the keys udp and icmp share
 * (interval, timeout, qos) and parses the target into dst; e->fd is -1 until the probe opens
 * its socket. *addr (may be NULL) receives the target's text for messages. Returns 0, or
 * MT_EINVAL when there is no valid IPv4 target. */
int mt_echo_setup(struct mt_echo *e, const struct mt_echo_class *cls, void *owner,
		  const struct mt_params *p, const struct mt_ctx *ctx, struct sockaddr_in *dst,
		  const char **addr, struct mt_error *err);

int mt_echo_start(struct mt_echo *e, struct mt_ctx *ctx, struct mt_error *err);

/* Records the reply to request seq received at recv_ns. Returns 1 when it was accepted, 0 when
 * it was a stray (unknown seq), a duplicate, or arrived after the timeout (counted as lost).
 * An accepted reply with a sequence number below the highest accepted so far counts in
 * e->reordered (RFC 4737's reordered packet; duplicates and late ones never do). */
int mt_echo_reply(struct mt_echo *e, uint32_t seq, int64_t recv_ns);

/* Reads every queued datagram of e->fd (non-blocking, in batches: one recvmmsg per wake-up
 * when the queue holds fewer than a batch) and calls one() for each with the time it was read.
 * ICMP errors queued on the socket (ECONNREFUSED...) are skipped: their request is lost. */
void mt_echo_recv_all(struct mt_echo *e,
		      void (*one)(struct mt_echo *e, const unsigned char *b, size_t len,
				  int64_t now_ns));

/* Stops sending, reads the replies already queued, unregisters from the loop. Idempotent; a
 * no-op when mt_echo_start never ran. */
void mt_echo_stop(struct mt_echo *e);

/* Samples relative to t0 for qos.h: lost ones marked MT_QOS_LOST; requests sent within one
 * timeout before stop are left out (qos.h contract) and counted in *unresolved (may be NULL).
 * *out is malloc'd (caller frees); *n may be 0. Returns 0 or MT_ENOMEM. */
int mt_echo_samples(const struct mt_echo *e, int64_t t0_ns, struct mt_qos_sample **out,
		    size_t *n, size_t *unresolved, struct mt_error *err);

/* Duplicate replies and overtaken (reordered) accepted replies among requests 0 .. n-1 — the
 * resolved ones when n is mt_echo_samples' count. Every counter then covers the same requests
 * as sent: duplicates of the unresolved tail counted against the resolved replies overstated
 * the duplicate share by the tail's size (a second per 13 s at the default timeout). */
void mt_echo_marks(const struct mt_echo *e, size_t n, size_t *dups, size_t *reordered);

/* Writes the series probe.<name>.rtt_ms, the metrics of qos.h (qos.* when this probe claims
 * primary with e->qos_mode "auto"/"yes"/"no") and the counters probe.<name>.{sent,received,lost,
 * unresolved,send_errors,late,duplicates,reordered}; sent, received, lost, duplicates and
 * reordered count the resolved requests only (mt_echo_samples). Returns 0 or MT_E*. */
int mt_echo_collect(struct mt_echo *e, struct mt_ctx *ctx, struct mt_error *err);

/* Frees the sample table (not e itself, not the fd). */
void mt_echo_release(struct mt_echo *e);

/* Stops e if it runs, closes the probe's socket and frees the engine's buffers: the one end of
 * a probe that failed to start and of one released. */
void mt_echo_close(struct mt_echo *e);

#endif
