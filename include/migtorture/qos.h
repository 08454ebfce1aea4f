/* migtorture/qos.h — QoS math shared by every request/response probe (udp, icmp, http).
 *
 * A probe keeps one mt_qos_sample per request it sent and hands the array to these functions at
 * collect time. They split the samples into the cell's phases (plugin.h: baseline / during /
 * after), summarise each phase (RTT mean/p50/p99/max, RFC 3550 jitter, loss), find the network
 * outage, and write metrics and the RTT series into the cell result. Pure functions of their
 * inputs (no clocks, no I/O): unit-testable on synthetic sequences.
 *
 * CONTRACT for probe authors
 *  - Times are CLOCK_MONOTONIC ns relative to ctx->t0_ns (like series and phases).
 *  - A sample is one request: send_ns = when it was sent; recv_ns = when its successful reply
 *    arrived, or MT_QOS_LOST (< 0) when it got none within the probe's timeout (a reply that
 *    arrives later than the timeout counts as lost). A failed send is a lost sample.
 *  - Pass samples in send order. Leave out every request sent less than one timeout before
 *    the probe last read its socket (answered or not): their fate is unknown, and keeping only
 *    the answered ones would bias loss low. So the last `timeout` of a probe's run is not
 *    counted (the cell's cool-down covers it).
 *  - A sample belongs to the phase containing its send time.
 *  - Metric names (docs/architecture.md §8; absent-with-reason when not measurable, never zero):
 *      <prefix>.<phase>.rtt_ms.{mean,p50,p99,max,sd}  <prefix>.<phase>.jitter_ms
 *      <prefix>.<phase>.loss_pct  <prefix>.<phase>.{sent,received}
 *      <prefix>.<phase>.network_outage_ms
 *    where prefix is "probe.<name>" (always) and "qos" (only for the primary probe), plus the
 *    cell-level "probe.<name>.network_outage_ms" and, for the primary, "downtime.network_outage_ms".
 *  - Primary probe: one probe per cell owns qos.* and downtime.network_outage_ms. Precedence
 *    by each probe plugin's qos_rank: udp > icmp > http > anything else (udp carries the
 *    guest's own stamps; icmp needs no agent; http measures the web server, not the path). mt_qos_claim_primary() decides and records the
 *    owner in the string metric "qos.source".
 *
 * NETWORK OUTAGE (definition, error ≤ one interval I):
 *   Let r_1 ≤ r_2 ≤ ... be the arrival times of the successful replies (sorted), k(i) the request
 *   answered by r_i and s_k send times. The outage is the longest of
 *     r_{i+1} − r_i − (s_{k(i)+1} − s_{k(i)})   (interior: gap between consecutive replies,
 *                                 minus the spacing to the next request sent, answered or not —
 *                                 I on a regular schedule; I when k(i) was the last request)
 *     s_first_answered − s_0     (leading: requests lost from the start)
 *     s_last_sent − s_last_answered  (trailing: requests lost up to the end)
 *   clamped at 0. For a path that delivers nothing during [T, T+O) the lost requests are those
 *   sent in that window, so the interior term lies in (O − I, O + I); for a responder that is
 *   stalled for O and answers its queue on resume it lies in (O − I − rtt, O], widened by how
 *   late the probe itself sent (an outage is seen only while a request is outstanding).
 *   Reply-time based (not loss-count based) so late replies (queued while the responder was
 *   stalled) count as outage too. Subtracting the actual spacing to the next request (not the nominal I) keeps a
 *   probe that was itself not scheduled (sent nothing for a while) from reporting an outage.
 *   Noise floor: receive-time jitter (use kernel receive timestamps where possible).
 *   Per phase, an outage belongs to the phase containing its start (the reply before it).
 */
#ifndef MIGTORTURE_QOS_H
#define MIGTORTURE_QOS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "plugin.h"
#include "result.h"

#define MT_QOS_LOST (-1LL)

struct mt_qos_sample {
	int64_t send_ns; /* monotonic ns since ctx->t0_ns */
	int64_t recv_ns; /* monotonic ns since ctx->t0_ns, or MT_QOS_LOST */
};

enum mt_qos_phase { MT_QOS_BASELINE = 0, MT_QOS_DURING, MT_QOS_AFTER, MT_QOS_NPHASES };

/* "baseline", "during", "after"; NULL for anything else. */
const char *mt_qos_phase_name(int phase);

/* The phase containing t_ns (ns since t0), or -1 when t_ns is before 0, at/after ph->end_ns
 * (when end_ns ≥ 0), or in a phase that was not reached. ph == NULL means "no migration
 * information": everything from 0 on is baseline. during_start_ns < 0: all baseline;
 * after_start_ns < 0: during lasts to the end. */
int mt_qos_phase_of(const struct mt_phases *ph, int64_t t_ns);

/* [*from_ns, *to_ns) of phase (to = INT64_MAX when open-ended). Returns 0, or MT_ENOTFOUND when
 * the phase was not reached (then from/to are untouched). */
int mt_qos_phase_bounds(const struct mt_phases *ph, int phase, int64_t *from_ns,
			int64_t *to_ns);

/* Summary of the samples sent in [from_ns, to_ns). NAN marks what could not be computed. */
struct mt_qos_summary {
	size_t sent;        /* samples in the window */
	size_t received;    /* answered within the timeout */
	double loss_pct;    /* 100 (sent - received) / sent; NAN when sent == 0 */
	double rtt_mean_ms; /* over the answered samples; NAN when received == 0 */
	double rtt_p50_ms;
	double rtt_p99_ms;
	double rtt_max_ms;
	double jitter_ms;   /* RFC 3550 §6.4.1 over answered samples in send order; NAN if < 2 */
	double rtt_sd_ms;   /* sample standard deviation (n-1) of the RTTs (ping's mdev is the
			     * same spread with n); NAN if < 2 answered */
};

/* Fills *out for the samples with send time in [from_ns, to_ns). Percentiles, sd and jitter
 * come from stats.h (mt_percentile, mt_stddev, mt_jitter_rfc3550). Returns 0 or MT_ENOMEM. */
int mt_qos_summarize(const struct mt_qos_sample *s, size_t n, int64_t from_ns, int64_t to_ns,
		     struct mt_qos_summary *out, struct mt_error *err);

/* The longest outage (definition above) among those starting in [from_ns, to_ns); pass
 * INT64_MIN/INT64_MAX for the whole sequence. interval_ns is the probe's nominal interval.
 * Fills len_ns (≥ 0) and start_ns (since t0). Returns 0, MT_ENOTFOUND when no sample was
 * answered at all (outage not measurable), or MT_ENOMEM. */
struct mt_qos_outage {
	int64_t len_ns;
	int64_t start_ns;
};
int mt_qos_outage(const struct mt_qos_sample *s, size_t n, int64_t interval_ns, int64_t from_ns,
		  int64_t to_ns, struct mt_qos_outage *out, struct mt_error *err);

/* Precedence rank of a probe name for the primary rule: its plugin's qos_rank (udp 3, icmp 2,
 * http 1), 0 for a name the registry has no probe of. */
int mt_qos_rank(const char *probe);

/* Decides whether `probe` writes qos.*: mode "yes" always, "no" never, "auto" (or NULL) when
 * the cell has no "qos.source" yet or it names a lower-ranked probe. When it claims, sets the
 * string metric "qos.source" = probe. Returns 1 (claimed), 0 (not), or MT_ENOMEM. */
int mt_qos_claim_primary(struct mt_cell_result *c, const char *probe, const char *mode);

/* Appends every sample to series name (unit "ms"): t = send time, v = RTT in ms or NAN when
 * lost. The series is created if needed. Returns 0 or MT_ENOMEM. */
int mt_qos_write_series(struct mt_cell_result *c, const char *name,
			const struct mt_qos_sample *s, size_t n, struct mt_error *err);

/* Writes the per-phase metrics and the cell-level outage named in the contract above under
 * "probe.<probe>." and, when primary != 0, also "qos." and "downtime.network_outage_ms".
 * ph may be NULL (all baseline). Returns 0 or MT_ENOMEM. */
int mt_qos_write_metrics(struct mt_cell_result *c, const char *probe, int primary,
			 const struct mt_phases *ph, const struct mt_qos_sample *s, size_t n,
			 int64_t interval_ns, struct mt_error *err);

#endif
