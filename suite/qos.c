/* qos.c — QoS math shared by the request/response probes (contract in migtorture/qos.h).
 *
 * Pure functions over a sample array: phase split, per-phase summary, network outage, and the
 * writers that turn them into metrics and series. Percentiles and RFC 3550 jitter come from
 * stats.c; nothing here reads a clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "migtorture/qos.h"
#include "migtorture/stats.h"
#include "migtorture/units.h"

static const char *const phase_names[MT_QOS_NPHASES] = { "baseline", "during", "after" };

const char *mt_qos_phase_name(int phase)
{
	if (phase < 0 || phase >= MT_QOS_NPHASES)
		return NULL;
	return phase_names[phase];
}

int mt_qos_phase_bounds(const struct mt_phases *ph, int phase, int64_t *from_ns, int64_t *to_ns)
{
	int64_t end = INT64_MAX, from, to;

	if (!ph) {
		if (phase != MT_QOS_BASELINE)
			return MT_ENOTFOUND;
		*from_ns = 0;
		*to_ns = INT64_MAX;
		return 0;
	}
	if (ph->end_ns >= 0)
		end = ph->end_ns;
	switch (phase) {
	case MT_QOS_BASELINE:
		from = 0;
		to = ph->during_start_ns >= 0 ? ph->during_start_ns : end;
		break;
	case MT_QOS_DURING:
		if (ph->during_start_ns < 0)
			return MT_ENOTFOUND;
		from = ph->during_start_ns;
		to = ph->after_start_ns >= 0 ? ph->after_start_ns : end;
		break;
	case MT_QOS_AFTER:
		if (ph->during_start_ns < 0 || ph->after_start_ns < 0)
			return MT_ENOTFOUND;
		from = ph->after_start_ns;
		to = end;
		break;
	default:
		return MT_ENOTFOUND;
	}
	*from_ns = from;
	*to_ns = to < from ? from : to;
	return 0;
}

int mt_qos_phase_of(const struct mt_phases *ph, int64_t t_ns)
{
	for (int p = 0; p < MT_QOS_NPHASES; p++) {
		int64_t from, to;

		if (mt_qos_phase_bounds(ph, p, &from, &to) == 0 && t_ns >= from && t_ns < to)
			return p;
	}
	return -1;
}

static int answered(const struct mt_qos_sample *x)
{
	return x->recv_ns != MT_QOS_LOST && x->recv_ns >= x->send_ns;
}

int mt_qos_summarize(const struct mt_qos_sample *s, size_t n, int64_t from_ns, int64_t to_ns,
		     struct mt_qos_summary *out, struct mt_error *err)
{
	double *rtt = NULL;
	int64_t *snd = NULL, *rcv = NULL;
	size_t sent = 0, recvd = 0;
	int rc = 0;

	out->sent = out->received = 0;
	out->loss_pct = out->rtt_mean_ms = out->rtt_p50_ms = NAN;
	out->rtt_p99_ms = out->rtt_max_ms = out->jitter_ms = out->rtt_sd_ms = NAN;
	for (size_t i = 0; i < n; i++)
		if (s[i].send_ns >= from_ns && s[i].send_ns < to_ns)
			sent++;
	if (sent == 0)
		goto out;
	rtt = malloc(sent * sizeof(*rtt));
	snd = malloc(sent * sizeof(*snd));
	rcv = malloc(sent * sizeof(*rcv));
	if (!rtt || !snd || !rcv) {
		rc = mt_err(err, MT_ENOMEM, "qos: out of memory for %zu samples", sent);
		goto out;
	}
	/* Only answered samples go in (stats.h ignores NAN anyway; packing keeps it explicit). */
	for (size_t i = 0; i < n; i++) {
		if (s[i].send_ns < from_ns || s[i].send_ns >= to_ns || !answered(&s[i]))
			continue;
		rtt[recvd] = (double)(s[i].recv_ns - s[i].send_ns) / MT_NS_PER_MS;
		snd[recvd] = s[i].send_ns;
		rcv[recvd] = s[i].recv_ns;
		recvd++;
	}
	out->sent = sent;
	out->received = recvd;
	out->loss_pct = 100.0 * (double)(sent - recvd) / (double)sent;
	if (recvd > 0) {
		out->rtt_mean_ms = mt_mean(rtt, recvd);
		out->rtt_p50_ms = mt_percentile(rtt, recvd, 50);
		out->rtt_p99_ms = mt_percentile(rtt, recvd, 99);
		out->rtt_max_ms = mt_max(rtt, recvd);
	}
	if (recvd > 1)
		out->rtt_sd_ms = mt_stddev(rtt, recvd);
	/* Lost samples are left out: RFC 3550 compares consecutive *received* packets. */
	if (recvd >= 2)
		out->jitter_ms = mt_jitter_rfc3550(snd, rcv, recvd) / MT_NS_PER_MS;
out:
	free(rtt);
	free(snd);
	free(rcv);
	return rc;
}

/* A reply: arrival time and the index of the request it answers. */
struct arrival {
	int64_t recv_ns;
	size_t k;
};

static int cmp_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->recv_ns != y->recv_ns)
		return (x->recv_ns > y->recv_ns) - (x->recv_ns < y->recv_ns);
	return (x->k > y->k) - (x->k < y->k);
}

/* Offers a candidate gap: kept when it starts in the window and is the longest so far. */
static void offer(struct mt_qos_outage *best, int64_t len, int64_t start, int64_t from,
		  int64_t to)
{
	if (start < from || start >= to)
		return;
	if (len < 0)
		len = 0;
	if (best->start_ns == INT64_MIN || len > best->len_ns) {
		best->len_ns = len;
		best->start_ns = start;
	}
}

/* Interior term of the definition for consecutive arrivals a, b. */
static int64_t interior(const struct mt_qos_sample *s, size_t n, int64_t interval_ns,
			const struct arrival *a, const struct arrival *b)
{
	int64_t spacing = a->k + 1 < n ? s[a->k + 1].send_ns - s[a->k].send_ns : interval_ns;

	return b->recv_ns - a->recv_ns - spacing;
}

int mt_qos_outage(const struct mt_qos_sample *s, size_t n, int64_t interval_ns, int64_t from_ns,
		  int64_t to_ns, struct mt_qos_outage *out, struct mt_error *err)
{
	struct mt_qos_outage best = { 0, INT64_MIN };
	struct arrival *r = NULL;
	size_t m = 0, first = n, last = n;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!answered(&s[i]))
			continue;
		if (first == n)
			first = i;
		last = i;
		m++;
	}
	if (m == 0) {
		rc = mt_err(err, MT_ENOTFOUND, "no request was answered");
		goto out;
	}
	r = malloc(m * sizeof(*r));
	if (!r) {
		rc = mt_err(err, MT_ENOMEM, "qos: out of memory for %zu replies", m);
		goto out;
	}
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (answered(&s[i])) {
			r[m].recv_ns = s[i].recv_ns;
			r[m++].k = i;
		}
	/* Replies may arrive out of send order (a reordering path): gaps are between arrivals. */
	qsort(r, m, sizeof(*r), cmp_arrival);
	/* Leading: requests lost from the start; trailing: lost up to the last one sent. */
	offer(&best, s[first].send_ns - s[0].send_ns, s[0].send_ns, from_ns, to_ns);
	for (size_t i = 0; i + 1 < m; i++)
		offer(&best, interior(s, n, interval_ns, &r[i], &r[i + 1]), r[i].recv_ns, from_ns,
		      to_ns);
	offer(&best, s[n - 1].send_ns - s[last].send_ns, r[m - 1].recv_ns, from_ns, to_ns);
	if (best.start_ns == INT64_MIN) {
		/* Nothing started in the window (e.g. one long outage spanning all of it): the
		 * longest gap that covers the window's start is the outage seen there. */
		for (size_t i = 0; i + 1 < m; i++)
			if (r[i].recv_ns < from_ns && r[i + 1].recv_ns >= from_ns)
				offer(&best, interior(s, n, interval_ns, &r[i], &r[i + 1]),
				      r[i].recv_ns, INT64_MIN, INT64_MAX);
	}
	if (best.start_ns == INT64_MIN) {
		rc = mt_err(err, MT_ENOTFOUND, "no reply in the window");
		goto out;
	}
	*out = best;
out:
	free(r);
	return rc;
}

int mt_qos_rank(const char *probe)
{
	const struct mt_workload_ops *o = mt_find_probe(probe);

	return o ? o->qos_rank : 0;
}

int mt_qos_claim_primary(struct mt_cell_result *c, const char *probe, const char *mode)
{
	const struct mt_metric *cur;

	if (mode && strcmp(mode, "no") == 0)
		return 0;
	if (!mode || strcmp(mode, "yes") != 0) {
		cur = mt_cell_metric(c, "qos.source");
		if (cur && cur->kind == MT_METRIC_STR && mt_qos_rank(cur->str) >= mt_qos_rank(probe))
			return 0;
	}
	if (mt_cell_set_str(c, "qos.source", probe) < 0)
		return MT_ENOMEM;
	return 1;
}

int mt_qos_write_series(struct mt_cell_result *c, const char *name,
			const struct mt_qos_sample *s, size_t n, struct mt_error *err)
{
	struct mt_series *ser = mt_cell_series(c, name, "ms");

	if (!ser)
		return mt_err(err, MT_ENOMEM, "qos: out of memory for series %s", name);
	for (size_t i = 0; i < n; i++) {
		double v = answered(&s[i]) ? (double)(s[i].recv_ns - s[i].send_ns) / MT_NS_PER_MS
					   : NAN;

		if (mt_series_add(ser, s[i].send_ns, v) < 0)
			return mt_err(err, MT_ENOMEM, "qos: out of memory for series %s", name);
	}
	return 0;
}

/* Sets prefix.key to v, or absent with why when v is NAN. */
static int put(struct mt_cell_result *c, const char *prefix, const char *key, double v,
	       const char *why)
{
	char path[256];

	snprintf(path, sizeof(path), "%s.%s", prefix, key);
	if (isnan(v))
		return mt_cell_set_absent(c, path, why);
	return mt_cell_set_num(c, path, v);
}

/* All metrics of one phase under prefix ("probe.udp.during" or "qos.during"). */
static int put_phase(struct mt_cell_result *c, const char *prefix, int reached,
		     const struct mt_qos_summary *q, const struct mt_qos_outage *o, int have_o)
{
	const char *none = !reached ? "phase not reached"
			 : q->sent == 0 ? "no request sent in this phase"
					: "no reply in this phase";
	int rc = 0;

	/* Each put returns 0 or MT_ENOMEM; OR-ing keeps "any failed" without a branch per key. */
	rc |= put(c, prefix, "rtt_ms.mean", q->rtt_mean_ms, none);
	rc |= put(c, prefix, "rtt_ms.p50", q->rtt_p50_ms, none);
	rc |= put(c, prefix, "rtt_ms.p99", q->rtt_p99_ms, none);
	rc |= put(c, prefix, "rtt_ms.max", q->rtt_max_ms, none);
	rc |= put(c, prefix, "rtt_ms.sd", q->rtt_sd_ms,
		  q->received == 1 ? "fewer than two replies in this phase" : none);
	rc |= put(c, prefix, "jitter_ms", q->jitter_ms,
		  q->received == 1 ? "fewer than two replies in this phase" : none);
	rc |= put(c, prefix, "loss_pct", q->loss_pct, none);
	rc |= put(c, prefix, "sent", reached ? (double)q->sent : NAN, none);
	rc |= put(c, prefix, "received", reached ? (double)q->received : NAN, none);
	rc |= put(c, prefix, "network_outage_ms",
		  have_o ? (double)o->len_ns / MT_NS_PER_MS : NAN, none);
	return rc ? MT_ENOMEM : 0;
}

int mt_qos_write_metrics(struct mt_cell_result *c, const char *probe, int primary,
			 const struct mt_phases *ph, const struct mt_qos_sample *s, size_t n,
			 int64_t interval_ns, struct mt_error *err)
{
	char pfx[2][128];
	struct mt_qos_outage o;
	struct mt_error oerr; /* "no reply" is an absent metric, not an error for the caller */
	const char *why = n ? "no request was answered" : "no request sent";
	double v;
	int rc = 0, oc;

	for (int p = 0; p < MT_QOS_NPHASES; p++) {
		struct mt_qos_summary q = { 0 };
		struct mt_qos_outage po = { 0, 0 };
		int64_t from = 0, to = 0;
		int reached = mt_qos_phase_bounds(ph, p, &from, &to) == 0, have_o = 0;

		if (reached) {
			rc = mt_qos_summarize(s, n, from, to, &q, err);
			if (rc < 0)
				goto out;
			oc = mt_qos_outage(s, n, interval_ns, from, to, &po, &oerr);
			if (oc == MT_ENOMEM) {
				rc = mt_err(err, oc, "%s", oerr.msg);
				goto out;
			}
			have_o = oc == 0 && q.received > 0;
		} else {
			mt_qos_summarize(s, 0, 0, 0, &q, NULL); /* all NAN */
		}
		snprintf(pfx[0], sizeof(pfx[0]), "probe.%s.%s", probe, mt_qos_phase_name(p));
		snprintf(pfx[1], sizeof(pfx[1]), "qos.%s", mt_qos_phase_name(p));
		for (int k = 0; k < (primary ? 2 : 1); k++)
			if (put_phase(c, pfx[k], reached, &q, &po, have_o) < 0) {
				rc = mt_err(err, MT_ENOMEM, "qos: out of memory for metrics");
				goto out;
			}
	}
	/* Cell level: the longest outage anywhere in the cell. */
	oc = mt_qos_outage(s, n, interval_ns, INT64_MIN, INT64_MAX, &o, &oerr);
	if (oc == MT_ENOMEM) {
		rc = mt_err(err, oc, "%s", oerr.msg);
		goto out;
	}
	v = oc == 0 ? (double)o.len_ns / MT_NS_PER_MS : NAN;
	snprintf(pfx[0], sizeof(pfx[0]), "probe.%s", probe);
	if (put(c, pfx[0], "network_outage_ms", v, why) < 0 ||
	    (primary && put(c, "downtime", "network_outage_ms", v, why) < 0))
		rc = mt_err(err, MT_ENOMEM, "qos: out of memory for metrics");
out:
	return rc;
}
