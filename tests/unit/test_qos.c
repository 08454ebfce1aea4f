/* test_qos.c — the shared QoS math (suite/qos.c): RFC 3550 jitter through the phase summary,
 * percentiles, network outage from synthetic sequences with known gaps, phase boundaries,
 * metric writing and the primary-probe rule. Pure: no clocks, no sockets. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/qos.h"
#include "migtorture/result.h"
#include "test_util.h"

#define MS 1000000LL

/* n samples every interval from t=start, rtt 1 ms; lost in [lo, hi) */
static struct mt_qos_sample *seq(size_t n, int64_t interval, size_t lo, size_t hi)
{
	struct mt_qos_sample *s = calloc(n, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++) {
		s[i].send_ns = (int64_t)i * interval;
		s[i].recv_ns = (i >= lo && i < hi) ? MT_QOS_LOST : s[i].send_ns + 1 * MS;
	}
	return s;
}

static double num(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	ck_assert_msg(m != NULL, "metric %s missing", path);
	ck_assert_msg(m->kind == MT_METRIC_NUM, "metric %s is not a number", path);
	return m->num;
}

static void assert_absent(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	ck_assert_msg(m != NULL, "metric %s missing", path);
	ck_assert_msg(m->kind == MT_METRIC_ABSENT, "metric %s should be absent", path);
	ck_assert_ptr_nonnull(m->str);
}

START_TEST(test_jitter_worked_example)
{
	/* Transit times 10, 12, (lost), 11, 15, 10 ms, sent every 20 ms. RFC 3550 §6.4.1 over the
	 * received ones: |D| = 2, 1, 4, 5 → J = 0.125, 0.1796875, 0.41845703125,
	 * 0.704803466796875 ms. The lost sample must not change it (consecutive *received*). */
	static const int64_t transit[] = { 10, 12, -1, 11, 15, 10 };
	struct mt_qos_sample s[6];
	struct mt_qos_summary q;
	struct mt_error err = { 0 };

	for (size_t i = 0; i < 6; i++) {
		s[i].send_ns = (int64_t)i * 20 * MS;
		s[i].recv_ns = transit[i] < 0 ? MT_QOS_LOST : s[i].send_ns + transit[i] * MS;
	}
	ck_assert_int_eq(mt_qos_summarize(s, 6, 0, INT64_MAX, &q, &err), 0);
	ck_assert_double_eq_tol(q.jitter_ms, 0.704803466796875, 1e-9);
	ck_assert_uint_eq(q.sent, 6);
	ck_assert_uint_eq(q.received, 5);
	ck_assert_double_eq_tol(q.loss_pct, 100.0 / 6, 1e-9);
	ck_assert_double_eq_tol(q.rtt_mean_ms, 11.6, 1e-9);
	ck_assert_double_eq_tol(q.rtt_max_ms, 15, 1e-9);
	/* sd (n-1) of 10, 12, 11, 15, 10: sum of squares 17.2 / 4 */
	ck_assert_double_eq_tol(q.rtt_sd_ms, sqrt(4.3), 1e-9);
	/* Only the first three samples: the window cuts the sequence (send time in [0, 60 ms)). */
	ck_assert_int_eq(mt_qos_summarize(s, 6, 0, 60 * MS, &q, &err), 0);
	ck_assert_uint_eq(q.sent, 3);
	ck_assert_double_eq_tol(q.jitter_ms, 0.125, 1e-9);
}
END_TEST

START_TEST(test_percentiles)
{
	/* RTT 1..100 ms (shuffled): numpy-linear p50 = 50.5, p99 = 99.01. */
	struct mt_qos_sample s[100];
	struct mt_qos_summary q;
	struct mt_error err = { 0 };

	for (int i = 0; i < 100; i++) {
		int r = (i * 37) % 100 + 1; /* 37 is coprime with 100: a permutation of 1..100 */

		s[i].send_ns = (int64_t)i * 10 * MS;
		s[i].recv_ns = s[i].send_ns + r * MS;
	}
	ck_assert_int_eq(mt_qos_summarize(s, 100, 0, INT64_MAX, &q, &err), 0);
	ck_assert_double_eq_tol(q.rtt_p50_ms, 50.5, 1e-9);
	ck_assert_double_eq_tol(q.rtt_p99_ms, 99.01, 1e-9);
	ck_assert_double_eq_tol(q.rtt_mean_ms, 50.5, 1e-9);
	ck_assert_double_eq_tol(q.rtt_max_ms, 100, 1e-9);
	ck_assert_double_eq_tol(q.rtt_sd_ms, sqrt(100.0 * 101.0 / 12.0), 1e-9); /* 1..100, n-1 */
	ck_assert_double_eq_tol(q.loss_pct, 0, 1e-12);
}
END_TEST

START_TEST(test_summary_empty_and_all_lost)
{
	struct mt_qos_sample *s = seq(10, 10 * MS, 0, 10);
	struct mt_qos_summary q;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_qos_summarize(s, 10, 0, INT64_MAX, &q, &err), 0);
	ck_assert_double_eq_tol(q.loss_pct, 100, 1e-12);
	ck_assert(isnan(q.rtt_mean_ms) && isnan(q.rtt_p99_ms) && isnan(q.jitter_ms));
	ck_assert_int_eq(mt_qos_summarize(s, 10, 1000 * MS, INT64_MAX, &q, &err), 0);
	ck_assert_uint_eq(q.sent, 0);
	ck_assert(isnan(q.loss_pct));
	free(s);
}
END_TEST

/* A blackout: the requests sent in [lo, hi) are lost. The outage is exactly (hi - lo) intervals
 * when the blackout is aligned with the schedule. */
static void check_blackout(int64_t interval, size_t n, size_t lo, size_t hi)
{
	struct mt_qos_sample *s = seq(n, interval, lo, hi);
	struct mt_qos_outage o;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_qos_outage(s, n, interval, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, (int64_t)(hi - lo) * interval);
	ck_assert_int_eq(o.start_ns, s[lo - 1].recv_ns);
	free(s);
}

START_TEST(test_outage_blackout)
{
	check_blackout(10 * MS, 1000, 300, 330); /* 300 ms at 10 ms */
	check_blackout(1 * MS, 5000, 1000, 1300); /* 300 ms at 1 ms */
	check_blackout(10 * MS, 100, 50, 51);     /* one lost request = one interval */
}
END_TEST

START_TEST(test_outage_unaligned_within_one_interval)
{
	/* A 305 ms blackout starting at 3003 ms: requests sent inside it are lost. The measured
	 * outage must be within one interval of 305 ms, for several phases of the schedule. */
	const int64_t I = 10 * MS, O = 305 * MS;

	for (int64_t t0 = 3000 * MS; t0 < 3010 * MS; t0 += 1 * MS) {
		struct mt_qos_sample *s = seq(1000, I, 0, 0);
		struct mt_qos_outage o;
		struct mt_error err = { 0 };

		for (size_t i = 0; i < 1000; i++)
			if (s[i].send_ns >= t0 && s[i].send_ns < t0 + O)
				s[i].recv_ns = MT_QOS_LOST;
		ck_assert_int_eq(mt_qos_outage(s, 1000, I, INT64_MIN, INT64_MAX, &o, &err), 0);
		ck_assert_msg(llabs(o.len_ns - O) < I, "t0 %lld: outage %lld", (long long)t0,
			      (long long)o.len_ns);
		free(s);
	}
}
END_TEST

START_TEST(test_outage_stalled_responder)
{
	/* The responder stops at 3000 ms for 300 ms; requests queue and are all answered on
	 * resume (no loss at all), 10 µs apart. Outage = 300 ms (reply-time based). */
	struct mt_qos_sample *s = seq(1000, 10 * MS, 0, 0);
	struct mt_qos_outage o;
	struct mt_error err = { 0 };

	for (size_t i = 300; i < 330; i++)
		s[i].recv_ns = 3300 * MS + 1 * MS + (int64_t)(i - 300) * 10000;
	ck_assert_int_eq(mt_qos_outage(s, 1000, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 300 * MS);
	free(s);
	/* The same at 1 ms, stopped at 3000.5 ms → replies resume at 3300.5 ms. The last reply
	 * before came at 3001 ms (request 3000 + 1 ms RTT): 3300.5 − 3001 − 1 = 298.5 ms, inside
	 * the documented (O − I − rtt, O] for a stalled responder. */
	s = seq(6000, 1 * MS, 0, 0);
	for (size_t i = 3001; i < 3301; i++)
		s[i].recv_ns = 3300 * MS + MS / 2 + (int64_t)(i - 3001) * 10000;
	ck_assert_int_eq(mt_qos_outage(s, 6000, 1 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 298500000);
	free(s);
}
END_TEST

START_TEST(test_outage_sender_pause_is_not_outage)
{
	/* The probe itself was not scheduled for 40 ms: no request sent, none lost. That is not
	 * an outage of the path (the spacing to the next request sent is subtracted, not I). */
	struct mt_qos_sample *s = seq(1000, 1 * MS, 0, 0);
	struct mt_qos_outage o;
	struct mt_error err = { 0 };

	for (size_t i = 500; i < 1000; i++) {
		s[i].send_ns += 40 * MS;
		s[i].recv_ns += 40 * MS;
	}
	ck_assert_int_eq(mt_qos_outage(s, 1000, 1 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 0);
	/* A real 100 ms blackout after it is still seen in full. */
	for (size_t i = 700; i < 800; i++)
		s[i].recv_ns = MT_QOS_LOST;
	ck_assert_int_eq(mt_qos_outage(s, 1000, 1 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 100 * MS);
	free(s);
}
END_TEST

START_TEST(test_outage_reordered_replies)
{
	/* Reply 50 is delayed by 10 ms so it arrives just after reply 51: between the arrivals
	 * of 49 and 51 nothing came for 20 ms, normal spacing 10 ms → a 10 ms outage (a delay
	 * spike is an outage in the reply-time sense); arrival order, not send order, counts. */
	struct mt_qos_sample *s = seq(100, 10 * MS, 0, 0);
	struct mt_qos_outage o;
	struct mt_error err = { 0 };

	s[50].recv_ns = s[51].recv_ns + 1000;
	ck_assert_int_eq(mt_qos_outage(s, 100, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 10 * MS);
	ck_assert_int_eq(o.start_ns, s[49].recv_ns);
	free(s);
}
END_TEST

START_TEST(test_outage_edges)
{
	struct mt_qos_sample *s;
	struct mt_qos_outage o;
	struct mt_error err = { 0 };

	s = seq(100, 10 * MS, 0, 0); /* nothing lost: 0 */
	ck_assert_int_eq(mt_qos_outage(s, 100, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 0);
	free(s);
	s = seq(100, 10 * MS, 0, 5); /* the first 5 lost: 50 ms leading */
	ck_assert_int_eq(mt_qos_outage(s, 100, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 50 * MS);
	ck_assert_int_eq(o.start_ns, 0);
	free(s);
	s = seq(100, 10 * MS, 93, 100); /* the last 7 lost: 70 ms trailing */
	ck_assert_int_eq(mt_qos_outage(s, 100, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 70 * MS);
	free(s);
	s = seq(100, 10 * MS, 0, 100); /* nothing answered: not measurable */
	ck_assert_int_eq(mt_qos_outage(s, 100, 10 * MS, INT64_MIN, INT64_MAX, &o, &err),
			 MT_ENOTFOUND);
	free(s);
	/* Two gaps; windows pick the one starting inside them. */
	s = seq(1000, 10 * MS, 100, 110);
	for (size_t i = 500; i < 520; i++)
		s[i].recv_ns = MT_QOS_LOST;
	ck_assert_int_eq(mt_qos_outage(s, 1000, 10 * MS, INT64_MIN, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 200 * MS);
	ck_assert_int_eq(mt_qos_outage(s, 1000, 10 * MS, 0, 2000 * MS, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 100 * MS);
	ck_assert_int_eq(mt_qos_outage(s, 1000, 10 * MS, 2000 * MS, INT64_MAX, &o, &err), 0);
	ck_assert_int_eq(o.len_ns, 200 * MS);
	free(s);
}
END_TEST

START_TEST(test_phase_boundaries)
{
	struct mt_phases ph = { 1000 * MS, 2000 * MS, 3000 * MS };
	int64_t from, to;

	ck_assert_int_eq(mt_qos_phase_of(&ph, -1), -1);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 0), MT_QOS_BASELINE);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 1000 * MS - 1), MT_QOS_BASELINE);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 1000 * MS), MT_QOS_DURING);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 2000 * MS - 1), MT_QOS_DURING);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 2000 * MS), MT_QOS_AFTER);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 3000 * MS - 1), MT_QOS_AFTER);
	ck_assert_int_eq(mt_qos_phase_of(&ph, 3000 * MS), -1);
	/* Migration never started: everything is baseline, the others are not reached. */
	ph.during_start_ns = -1;
	ph.after_start_ns = -1;
	ck_assert_int_eq(mt_qos_phase_of(&ph, 2500 * MS), MT_QOS_BASELINE);
	ck_assert_int_eq(mt_qos_phase_bounds(&ph, MT_QOS_DURING, &from, &to), MT_ENOTFOUND);
	ck_assert_int_eq(mt_qos_phase_bounds(&ph, MT_QOS_AFTER, &from, &to), MT_ENOTFOUND);
	/* Started, never completed (still running or failed at cell end): during to the end. */
	ph.during_start_ns = 1000 * MS;
	ph.end_ns = -1;
	ck_assert_int_eq(mt_qos_phase_of(&ph, 99999 * MS), MT_QOS_DURING);
	ck_assert_int_eq(mt_qos_phase_bounds(&ph, MT_QOS_DURING, &from, &to), 0);
	ck_assert_int_eq(from, 1000 * MS);
	ck_assert_int_eq(to, INT64_MAX);
	/* No phase information at all: baseline from 0 on. */
	ck_assert_int_eq(mt_qos_phase_of(NULL, 5), MT_QOS_BASELINE);
	ck_assert_int_eq(mt_qos_phase_of(NULL, -5), -1);
	ck_assert_str_eq(mt_qos_phase_name(MT_QOS_DURING), "during");
	ck_assert_ptr_null(mt_qos_phase_name(3));
}
END_TEST

START_TEST(test_phase_split_metrics)
{
	/* 3 s at 10 ms: baseline [0,1s) clean, during [1s,2s) loses 20 of 100 with a 200 ms
	 * outage, after [2s,3s) clean. */
	struct mt_phases ph = { 1000 * MS, 2000 * MS, 3000 * MS };
	struct mt_qos_sample *s = seq(300, 10 * MS, 150, 170);
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_qos_write_metrics(c, "udp", 1, &ph, s, 300, 10 * MS, &err), 0);
	ck_assert_double_eq_tol(num(c, "qos.baseline.loss_pct"), 0, 1e-12);
	ck_assert_double_eq_tol(num(c, "qos.during.loss_pct"), 20, 1e-12);
	ck_assert_double_eq_tol(num(c, "qos.after.loss_pct"), 0, 1e-12);
	ck_assert_double_eq_tol(num(c, "qos.during.sent"), 100, 1e-12);
	ck_assert_double_eq_tol(num(c, "qos.during.network_outage_ms"), 200, 1e-9);
	ck_assert_double_eq_tol(num(c, "qos.baseline.network_outage_ms"), 0, 1e-9);
	ck_assert_double_eq_tol(num(c, "downtime.network_outage_ms"), 200, 1e-9);
	ck_assert_double_eq_tol(num(c, "probe.udp.during.rtt_ms.p50"), 1, 1e-9);
	ck_assert_double_eq_tol(num(c, "probe.udp.network_outage_ms"), 200, 1e-9);
	ck_assert_double_eq_tol(num(c, "qos.during.jitter_ms"), 0, 1e-12);
	mt_run_result_free(&run);
	free(s);
}
END_TEST

START_TEST(test_unreached_phase_absent)
{
	struct mt_phases ph = { -1, -1, 500 * MS };
	struct mt_qos_sample *s = seq(50, 10 * MS, 0, 0);
	struct mt_cell_result *c;
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };

	c = mt_run_add_cell(&run, "x");
	ck_assert_int_eq(mt_qos_write_metrics(c, "icmp", 0, &ph, s, 50, 10 * MS, &err), 0);
	ck_assert_double_eq_tol(num(c, "probe.icmp.baseline.sent"), 50, 1e-12);
	assert_absent(c, "probe.icmp.during.rtt_ms.mean");
	assert_absent(c, "probe.icmp.after.loss_pct");
	ck_assert_ptr_null(mt_cell_metric(c, "qos.baseline.loss_pct")); /* not primary */
	ck_assert_ptr_null(mt_cell_metric(c, "downtime.network_outage_ms"));
	/* No sample at all: the outage is absent, never zero. */
	ck_assert_int_eq(mt_qos_write_metrics(c, "udp", 1, &ph, s, 0, 10 * MS, &err), 0);
	assert_absent(c, "downtime.network_outage_ms");
	assert_absent(c, "qos.baseline.loss_pct");
	mt_run_result_free(&run);
	free(s);
}
END_TEST

START_TEST(test_primary_rule)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");
	const struct mt_metric *m;

	ck_assert_int_eq(mt_qos_claim_primary(c, "http", "auto"), 1);
	ck_assert_int_eq(mt_qos_claim_primary(c, "icmp", "auto"), 1); /* outranks http */
	ck_assert_int_eq(mt_qos_claim_primary(c, "http", "auto"), 0);
	ck_assert_int_eq(mt_qos_claim_primary(c, "udp", NULL), 1);
	ck_assert_int_eq(mt_qos_claim_primary(c, "icmp", "auto"), 0);
	ck_assert_int_eq(mt_qos_claim_primary(c, "udp", "no"), 0);
	m = mt_cell_metric(c, "qos.source");
	ck_assert_str_eq(m->str, "udp");
	ck_assert_int_eq(mt_qos_claim_primary(c, "http", "yes"), 1); /* forced */
	ck_assert_str_eq(mt_cell_metric(c, "qos.source")->str, "http");
	ck_assert_int_gt(mt_qos_rank("udp"), mt_qos_rank("icmp"));
	ck_assert_int_eq(mt_qos_rank("other"), 0);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_series)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");
	struct mt_qos_sample *s = seq(10, 10 * MS, 3, 4);
	struct mt_series *ser;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_qos_write_series(c, "probe.udp.rtt_ms", s, 10, &err), 0);
	ser = mt_cell_series(c, "probe.udp.rtt_ms", "ms");
	ck_assert_uint_eq(ser->n, 10);
	ck_assert_int_eq(ser->t_ns[3], 30 * MS);
	ck_assert(isnan(ser->v[3]));
	ck_assert_double_eq_tol(ser->v[4], 1.0, 1e-12);
	mt_run_result_free(&run);
	free(s);
}
END_TEST

static Suite *qos_suite(void)
{
	Suite *su = suite_create("qos");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_jitter_worked_example);
	tcase_add_test(tc, test_percentiles);
	tcase_add_test(tc, test_summary_empty_and_all_lost);
	tcase_add_test(tc, test_outage_blackout);
	tcase_add_test(tc, test_outage_unaligned_within_one_interval);
	tcase_add_test(tc, test_outage_stalled_responder);
	tcase_add_test(tc, test_outage_sender_pause_is_not_outage);
	tcase_add_test(tc, test_outage_reordered_replies);
	tcase_add_test(tc, test_outage_edges);
	tcase_add_test(tc, test_phase_boundaries);
	tcase_add_test(tc, test_phase_split_metrics);
	tcase_add_test(tc, test_unreached_phase_absent);
	tcase_add_test(tc, test_primary_rule);
	tcase_add_test(tc, test_series);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run(qos_suite());
}
