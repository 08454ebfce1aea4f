/* test_thresholds.c — threshold parsing, unit conversion, aggregation, verdicts, exit status. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/threshold.h"
#include "test_util.h"

static const struct {
	const char *expr, *path;
	enum mt_agg agg;
	enum mt_cmp op;
	double value;
} good[] = {
	{ "network_outage_ms.p95 <= 1s", "network_outage_ms", MT_AGG_P95, MT_CMP_LE, 1000 },
	{ "migration.total_time_ms.median < 30s", "migration.total_time_ms", MT_AGG_MEDIAN, MT_CMP_LT, 30000 },
	{ "  qos.during.loss_pct.max <= 2%  ", "qos.during.loss_pct", MT_AGG_MAX, MT_CMP_LE, 2 },
	{ "qos.during.loss_pct>=0.5", "qos.during.loss_pct", MT_AGG_NONE, MT_CMP_GE, 0.5 },
	{ "setup_time_ms <= 1500us", "setup_time_ms", MT_AGG_NONE, MT_CMP_LE, 1.5 },
	{ "downtime.guest_stall_ms.mean > 250", "downtime.guest_stall_ms", MT_AGG_MEAN, MT_CMP_GT, 250 },
	{ "total_time_ms.min != 2m", "total_time_ms", MT_AGG_MIN, MT_CMP_NE, 120000 },
	{ "migration.transferred_bytes <= 2GiB", "migration.transferred_bytes", MT_AGG_NONE, MT_CMP_LE, 2147483648.0 },
	{ "migration.memory_bytes <= 512M", "migration.memory_bytes", MT_AGG_NONE, MT_CMP_LE, 536870912.0 },
	{ "qos.during.throughput_bps >= 100Mbit", "qos.during.throughput_bps", MT_AGG_NONE, MT_CMP_GE, 1e8 },
	{ "qos.during.throughput_bps >= 1.5Gbit/s", "qos.during.throughput_bps", MT_AGG_NONE, MT_CMP_GE, 1.5e9 },
	{ "qos.during.throughput_bps >= 250kbps", "qos.during.throughput_bps", MT_AGG_NONE, MT_CMP_GE, 250e3 },
	{ "qos.during.rtt_ms.p99 <= 0.5s", "qos.during.rtt_ms.p99", MT_AGG_NONE, MT_CMP_LE, 500 },
	{ "migration.dirty_rate_pages_s < 1000", "migration.dirty_rate_pages_s", MT_AGG_NONE, MT_CMP_LT, 1000 },
	{ "migration.iterations == 3", "migration.iterations", MT_AGG_NONE, MT_CMP_EQ, 3 },
	{ "x_s <= 1500ms", "x_s", MT_AGG_NONE, MT_CMP_LE, 1.5 },
	/* bytes per second: a size per second, not a duration */
	{ "stress.guest.dirty_rate_bytes_s >= 50MiB/s", "stress.guest.dirty_rate_bytes_s", MT_AGG_NONE, MT_CMP_GE, 52428800.0 },
	{ "stress.guest.dirty_rate_bytes_s >= 2K", "stress.guest.dirty_rate_bytes_s", MT_AGG_NONE, MT_CMP_GE, 2048.0 },
	{ "x_ms >= -1", "x_ms", MT_AGG_NONE, MT_CMP_GE, -1 },
};

START_TEST(test_parse_good)
{
	struct mt_threshold t;
	struct mt_error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(mt_threshold_parse(good[i].expr, &t, &err) == 0, "%s: %s",
			      good[i].expr, err.msg);
		ck_assert_str_eq(t.path, good[i].path);
		ck_assert_int_eq(t.agg, good[i].agg);
		ck_assert_int_eq(t.op, good[i].op);
		ck_assert_int_eq(t.is_word, 0);
		ck_assert_msg(fabs(t.value - good[i].value) <= 1e-9 * fabs(good[i].value),
			      "%s: %.17g", good[i].expr, t.value);
	}
	ck_assert_int_eq(mt_threshold_parse("memory_integrity == ok", &t, &err), 0);
	ck_assert_int_eq(t.is_word, 1);
	ck_assert_str_eq(t.word, "ok");
	ck_assert_str_eq(t.path, "memory_integrity");
	ck_assert(isnan(t.value));
	ck_assert_int_eq(mt_threshold_parse("a_ms.p95 <= 1s", &t, &err), 0);
	ck_assert_str_eq(t.full, "a_ms.p95");
	ck_assert_str_eq(t.expr, "a_ms.p95 <= 1s");
	ck_assert_str_eq(t.unit, "ms");
	ck_assert_int_eq(t.unit_class, MT_UNIT_TIME);
}
END_TEST

static const struct {
	const char *expr, *want;
} bad[] = {
	{ "", "empty expression" },
	{ "   ", "empty expression" },
	{ "<= 5", "expected a metric name" },
	{ "x_ms = 5", "did you mean '=='" },
	{ "x_ms 5", "expected an operator" },
	{ "x_ms", "got 'end of text'" },
	{ "x_ms <= ", "expected a value after '<='" },
	{ "x_ms <== 1", "unknown operator" },
	{ "x_ms <= 1q", "value '1q' for x_ms: expected a duration like 250ms" },
	{ "x_ms <= 1 s", "unexpected text after the value" },
	{ "x_ms <= inf", "can only be compared with == or !=" },
	{ "x_ms <= 0x10", "expected a duration" },
	{ "x_ms <= nan%", "neither a number nor a word" },
	{ "x_pct <= 2ms", "expected a percentage" },
	{ "x_bytes <= 2parsecs", "expected a size" },
	{ "x_bps <= 2MiB", "expected a bit rate" },
	{ "x_bytes_s <= 2s", "expected a byte rate" },
	{ "x_bytes_s <= 2Mbit", "expected a byte rate" },
	{ "migration.iterations <= 5s", "expected a plain number" },
	{ "migration.dirty_rate_pages_s < 10s", "expected a plain number" },
	{ "memory_integrity < ok", "can only be compared with == or !=" },
	{ "a..b_ms <= 1", "empty component" },
	{ ".a_ms <= 1", "empty component" },
	{ "a_ms. <= 1", "empty component" },
	{ "x_ms <= 1e999", "expected a duration" },
};

START_TEST(test_parse_bad)
{
	struct mt_threshold t;
	struct mt_error err = { 0 };
	char longexpr[400];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mt_err_clear(&err);
		ck_assert_msg(mt_threshold_parse(bad[i].expr, &t, &err) == MT_EINVAL, "'%s' accepted",
			      bad[i].expr);
		ck_assert_msg(strstr(err.msg, bad[i].want) != NULL, "'%s': '%s' lacks '%s'",
			      bad[i].expr, err.msg, bad[i].want);
	}
	memset(longexpr, 'a', sizeof(longexpr) - 1);
	longexpr[sizeof(longexpr) - 1] = '\0';
	ck_assert_int_eq(mt_threshold_parse(longexpr, &t, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than"));
}
END_TEST

START_TEST(test_parse_list)
{
	struct mt_threshold *t = NULL;
	struct mt_error err = { 0 };
	size_t n = 0;

	ck_assert_int_eq(mt_threshold_parse_list("network_outage_ms.p95 <= 1000, loss_pct <= 2",
						 &t, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[1].path, "loss_pct");
	ck_assert(t[0].value == 1000);
	free(t);
	t = NULL;
	ck_assert_int_eq(mt_threshold_parse_list("a_ms <= 1s,", &t, &n, &err), MT_EINVAL);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty expression"));
	ck_assert_int_eq(mt_threshold_parse_list("a_ms <= 1s, b_pct <= 3q", &t, &n, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "'3q'"));
}
END_TEST

/* Three repeats of "web/netem" with outage 100, 900, 2000 ms, one repeat of "web/none", one
 * skipped cell. */
static void build(struct mt_run_result *run)
{
	static const double outage[] = { 100, 900, 2000 };
	struct mt_cell_result *c;
	int i;

	for (i = 0; i < 3; i++) {
		c = mt_run_add_cell(run, "web/netem");
		c->section = strdup("web");
		c->repeat = i;
		ck_assert_int_eq(mt_cell_set_num(c, "downtime.network_outage_ms", outage[i]), 0);
		ck_assert_int_eq(mt_cell_set_num(c, "qos.baseline.loss_pct", 0), 0);
		ck_assert_int_eq(mt_cell_set_num(c, "qos.during.loss_pct", i == 1 ? 3 : 1), 0);
		ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.max", 10.0 * (i + 1)), 0);
		ck_assert_int_eq(mt_cell_set_str(c, "memory_integrity", i == 2 ? "corrupt" : "ok"), 0);
		if (i == 2)
			ck_assert_int_eq(mt_cell_set_absent(c, "downtime.guest_stall_ms", "no helper"), 0);
		else
			ck_assert_int_eq(mt_cell_set_num(c, "downtime.guest_stall_ms", 50), 0);
	}
	c = mt_run_add_cell(run, "web/none");
	c->section = strdup("web");
	ck_assert_int_eq(mt_cell_set_num(c, "downtime.network_outage_ms", 20), 0);
	c = mt_run_add_cell(run, "video/none");
	c->section = strdup("video");
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_SKIP, "no sch_netem"), 0);
}

/* Evaluates one expression over a fresh run; returns the run for inspection. */
static void eval1(struct mt_run_result *run, const char *expr, const char *section)
{
	struct mt_threshold t;
	struct mt_error err = { 0 };

	memset(run, 0, sizeof(*run));
	build(run);
	ck_assert_msg(mt_threshold_parse(expr, &t, &err) == 0, "%s", err.msg);
	ck_assert_msg(mt_threshold_evaluate(run, section, &t, 1, &err) == 0, "%s", err.msg);
}

START_TEST(test_aggregation)
{
	struct mt_run_result run;
	int i;

	/* median of 100, 900, 2000 = 900 <= 1000: every repeat passes */
	eval1(&run, "network_outage_ms.median <= 1s", NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(run.cells[i].verdict, MT_VERDICT_PASS);
		ck_assert_uint_eq(run.cells[i].nchecks, 1);
		ck_assert(run.cells[i].checks[0].value == 900);
		ck_assert(run.cells[i].checks[0].limit == 1000);
		ck_assert_str_eq(run.cells[i].checks[0].expr,
				 "network_outage_ms.median <= 1s [downtime.network_outage_ms]");
	}
	ck_assert_int_eq(run.cells[3].verdict, MT_VERDICT_PASS); /* its own group: 20 */
	ck_assert(run.cells[3].checks[0].value == 20);
	ck_assert_int_eq(run.cells[4].verdict, MT_VERDICT_SKIP); /* untouched */
	ck_assert_uint_eq(run.cells[4].nchecks, 0);
	ck_assert_int_eq(mt_run_update_verdict(&run), MT_EXIT_PASS);
	mt_run_result_free(&run);

	/* p95: rank 1.9 → 900 + 0.9*1100 = 1890 > 1000: all three fail */
	eval1(&run, "network_outage_ms.p95 <= 1s", NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(run.cells[i].verdict, MT_VERDICT_FAIL);
		ck_assert(fabs(run.cells[i].checks[0].value - 1890) < 1e-9);
		ck_assert_int_eq(run.cells[i].checks[0].held, 0);
		ck_assert_ptr_nonnull(strstr(run.cells[i].reason, "p95 over 3 repeats = 1890 ms, not <= 1000 ms"));
	}
	ck_assert_int_eq(mt_run_update_verdict(&run), MT_EXIT_FAIL);
	ck_assert_int_eq(run.verdict, MT_VERDICT_FAIL);
	mt_run_result_free(&run);

	eval1(&run, "network_outage_ms.mean < 1001", NULL); /* 1000 */
	ck_assert(run.cells[0].checks[0].value == 1000);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	mt_run_result_free(&run);
	eval1(&run, "network_outage_ms.min >= 100", NULL);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_PASS);
	mt_run_result_free(&run);

	/* without aggregation each repeat stands alone: only repeat 2 (2000 ms) fails */
	eval1(&run, "network_outage_ms <= 1s", NULL);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_FAIL);
	ck_assert(run.cells[2].checks[0].value == 2000);
	mt_run_result_free(&run);

	/* rtt_ms.max is itself a metric: judged per repeat, not the max over repeats */
	eval1(&run, "qos.during.rtt_ms.max <= 25", NULL);
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_PASS); /* 20 */
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_FAIL); /* 30 */
	mt_run_result_free(&run);
	eval1(&run, "qos.during.rtt_ms.max.max <= 25", NULL); /* max over repeats = 30 */
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_FAIL);
	ck_assert(run.cells[0].checks[0].value == 30);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_missing_and_absent)
{
	struct mt_run_result run;

	/* a metric no cell produced: error, not pass */
	eval1(&run, "migration.total_time_ms <= 30s", NULL);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	ck_assert_int_eq(run.cells[0].checks[0].held, -1);
	ck_assert(isnan(run.cells[0].checks[0].value));
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "metric migration.total_time_ms not produced"));
	ck_assert_int_eq(run.cells[3].verdict, MT_VERDICT_ERROR);
	ck_assert_int_eq(mt_run_update_verdict(&run), MT_EXIT_INFRA);
	ck_assert_int_eq(run.verdict, MT_VERDICT_ERROR);
	mt_run_result_free(&run);

	/* absent in repeat 2 only: that repeat is an error; the others aggregate over 2 values */
	eval1(&run, "guest_stall_ms.max <= 100", "web");
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[2].reason, "absent: no helper"));
	/* web/none lacks it entirely */
	ck_assert_int_eq(run.cells[3].verdict, MT_VERDICT_ERROR);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_bare_name_and_words)
{
	struct mt_run_result run;

	/* loss_pct matches baseline and during: both must hold; repeat 1 has 3 % during */
	eval1(&run, "loss_pct <= 2%", NULL);
	ck_assert_uint_eq(run.cells[1].nchecks, 2);
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_FAIL);
	ck_assert_str_eq(run.cells[1].checks[1].expr, "loss_pct <= 2% [qos.during.loss_pct]");
	ck_assert_int_eq(run.cells[1].checks[0].held, 1);
	ck_assert_int_eq(run.cells[1].checks[1].held, 0);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	mt_run_result_free(&run);
	eval1(&run, "during.loss_pct <= 2", NULL);
	ck_assert_uint_eq(run.cells[1].nchecks, 1);
	mt_run_result_free(&run);

	eval1(&run, "memory_integrity == ok", "web");
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_FAIL);
	ck_assert_ptr_nonnull(strstr(run.cells[2].reason, "is 'corrupt', not == 'ok'"));
	ck_assert_int_eq(run.cells[3].verdict, MT_VERDICT_ERROR); /* not produced */
	mt_run_result_free(&run);
	eval1(&run, "memory_integrity != corrupt", NULL);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_FAIL);
	mt_run_result_free(&run);
	/* a word against a number metric is an error */
	eval1(&run, "network_outage_ms == ok", NULL);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "is a number, not a word"));
	mt_run_result_free(&run);

	/* section filter: only video cells judged (the one there is skipped) */
	eval1(&run, "network_outage_ms <= 1", "video");
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_NONE);
	ck_assert_uint_eq(run.cells[0].nchecks, 0);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_exit_status)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *a, *b;

	ck_assert_int_eq(mt_run_update_verdict(&run), MT_EXIT_ALLSKIP); /* nothing ran */
	a = mt_run_add_cell(&run, "a");
	b = mt_run_add_cell(&run, "b");
	(void)a;
	run.cells[0].verdict = MT_VERDICT_SKIP;
	run.cells[1].verdict = MT_VERDICT_SKIP;
	ck_assert_int_eq(mt_run_update_verdict(&run), 4);
	ck_assert_int_eq(run.exit_status, 4);
	ck_assert_int_eq(run.verdict, MT_VERDICT_SKIP);
	run.cells[1].verdict = MT_VERDICT_PASS;
	ck_assert_int_eq(mt_run_update_verdict(&run), 0);
	run.cells[1].verdict = MT_VERDICT_FAIL;
	ck_assert_int_eq(mt_run_update_verdict(&run), 1);
	run.cells[0].verdict = MT_VERDICT_ERROR; /* error outranks fail */
	ck_assert_int_eq(mt_run_update_verdict(&run), 3);
	ck_assert_int_eq(run.verdict, MT_VERDICT_ERROR);
	(void)b;
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("thresholds");
	TCase *tc = tcase_create("thresholds");

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_aggregation);
	tcase_add_test(tc, test_missing_and_absent);
	tcase_add_test(tc, test_bare_name_and_words);
	tcase_add_test(tc, test_exit_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
