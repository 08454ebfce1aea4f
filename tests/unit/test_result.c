/* test_result.c — the result model: building, replacing, growth, validation, freeing. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/result.h"
#include "test_util.h"

START_TEST(test_verdict_names)
{
	enum mt_verdict v;
	static const char *names[] = { "none", "pass", "fail", "skip", "error" };
	size_t i;

	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(mt_verdict_name((enum mt_verdict)i), names[i]);
		ck_assert_int_eq(mt_verdict_parse(names[i], &v), 0);
		ck_assert_int_eq(v, (enum mt_verdict)i);
	}
	ck_assert_int_eq(mt_verdict_parse("PASS", &v), MT_EINVAL);
	ck_assert_int_eq(mt_verdict_parse("", &v), MT_EINVAL);
	ck_assert_int_eq(mt_verdict_parse(NULL, &v), MT_EINVAL);
	ck_assert_str_eq(mt_verdict_name((enum mt_verdict)42), "none");
}
END_TEST

START_TEST(test_cells_and_facts)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c;
	char name[32];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "cell-%d", i);
		c = mt_run_add_cell(&run, name);
		ck_assert_ptr_nonnull(c);
		c->repeat = i;
	}
	ck_assert_uint_eq(run.ncells, 100);
	ck_assert_str_eq(run.cells[57].name, "cell-57");
	ck_assert_int_eq(run.cells[99].repeat, 99);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_NONE);
	ck_assert_ptr_null(mt_run_add_cell(&run, NULL));

	ck_assert_int_eq(mt_run_add_fact(&run, "kernel", "6.1"), 0);
	ck_assert_int_eq(mt_run_add_fact(&run, "hostname", "lab"), 0);
	ck_assert_int_eq(mt_run_add_fact(&run, "kernel", "6.12"), 0); /* replaces */
	ck_assert_uint_eq(run.nfacts, 2);
	ck_assert_str_eq(run.facts[0].val, "6.12");
	ck_assert_int_eq(mt_run_add_fact(&run, NULL, "x"), MT_EINVAL);

	c = &run.cells[3];
	ck_assert_int_eq(mt_cell_add_axis(c, "fault", "netem delay=20ms"), 0);
	ck_assert_int_eq(mt_cell_add_axis(c, "stress", "none"), 0);
	ck_assert_int_eq(mt_cell_add_axis(c, "fault", "none"), 0);
	ck_assert_uint_eq(c->naxes, 2);
	ck_assert_str_eq(c->axes[0].val, "none");
	mt_run_result_free(&run);
	ck_assert_uint_eq(run.ncells, 0);
	ck_assert_ptr_null(run.cells);
	mt_run_result_free(&run); /* harmless twice */
}
END_TEST

START_TEST(test_metrics_replace)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");
	const struct mt_metric *m;

	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", 812.5), 0);
	ck_assert_int_eq(mt_cell_set_absent(c, "downtime.guest_stall_ms", "no guest helper"), 0);
	ck_assert_int_eq(mt_cell_set_str(c, "memory_integrity", "ok"), 0);
	ck_assert_uint_eq(c->nmetrics, 3);

	m = mt_cell_metric(c, "migration.total_time_ms");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MT_METRIC_NUM);
	ck_assert(m->num == 812.5);

	/* set replaces, whatever the previous kind */
	ck_assert_int_eq(mt_cell_set_num(c, "downtime.guest_stall_ms", 31), 0);
	ck_assert_int_eq(mt_cell_set_absent(c, "migration.total_time_ms", "job failed"), 0);
	ck_assert_int_eq(mt_cell_set_str(c, "memory_integrity", "corrupt"), 0);
	ck_assert_uint_eq(c->nmetrics, 3);
	m = mt_cell_metric(c, "downtime.guest_stall_ms");
	ck_assert_int_eq(m->kind, MT_METRIC_NUM);
	ck_assert(m->num == 31);
	ck_assert_ptr_null(m->str);
	m = mt_cell_metric(c, "migration.total_time_ms");
	ck_assert_int_eq(m->kind, MT_METRIC_ABSENT);
	ck_assert_str_eq(m->str, "job failed");
	ck_assert_str_eq(mt_cell_metric(c, "memory_integrity")->str, "corrupt");
	ck_assert_ptr_null(mt_cell_metric(c, "migration"));
	ck_assert_ptr_null(mt_cell_metric(c, "nope"));

	/* NaN and infinities are stored as given */
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.loss_pct", NAN), 0);
	ck_assert(isnan(mt_cell_metric(c, "qos.during.loss_pct")->num));
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_metric_paths_refused)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");

	ck_assert_int_eq(mt_cell_set_num(c, "", 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, NULL, 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, ".a", 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, "a.", 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, "a..b", 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.absent", 1), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_str(c, "a", NULL), MT_EINVAL);
	/* a leaf cannot also be an inner node (JSON nests paths) */
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.p99", 3), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms", 3), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.p99.x", 3), MT_EINVAL);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.p9", 3), 0); /* not a prefix */
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_msx", 3), 0);
	ck_assert_uint_eq(c->nmetrics, 3);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_events_checks_verdict)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");

	ck_assert_int_eq(mt_cell_add_event(c, 1000, 1500, "fault.on netem", NULL, 0), 0);
	ck_assert_int_eq(mt_cell_add_event(c, 2000, 2100, "migrate.start", "to hostb", MT_EINFRA),
			 0);
	ck_assert_int_eq(mt_cell_add_event(c, 0, 0, NULL, NULL, 0), MT_EINVAL);
	ck_assert_uint_eq(c->nevents, 2);
	ck_assert_ptr_null(c->events[0].detail);
	ck_assert_str_eq(c->events[1].detail, "to hostb");
	ck_assert_int_eq(c->events[1].rc, MT_EINFRA);
	ck_assert(c->events[1].actual_ns == 2100);

	ck_assert_int_eq(mt_cell_add_check(c, "loss_pct <= 2", 0, 3.5, 2, "3.5 > 2"), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "x < 1", 7, NAN, 1, NULL), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "y < 1", -3, NAN, 1, "missing"), 0);
	ck_assert_uint_eq(c->nchecks, 3);
	ck_assert_int_eq(c->checks[0].held, 0);
	ck_assert_int_eq(c->checks[1].held, 1);
	ck_assert_int_eq(c->checks[2].held, -1);
	ck_assert_str_eq(c->checks[0].why, "3.5 > 2");
	ck_assert_ptr_null(c->checks[1].why);

	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_FAIL, "loss_pct 3.5 > 2"), 0);
	ck_assert_int_eq(c->verdict, MT_VERDICT_FAIL);
	ck_assert_str_eq(c->reason, "loss_pct 3.5 > 2");
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL), 0);
	ck_assert_int_eq(c->verdict, MT_VERDICT_PASS);
	ck_assert_ptr_null(c->reason);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_series_growth)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "x");
	struct mt_series *s;
	size_t i;

	s = mt_cell_series(c, "probe.udp.rtt_ms", "ms");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->unit, "ms");
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(mt_series_add(s, (int64_t)i * 10000000, i % 7 ? (double)i : NAN), 0);
	ck_assert_uint_eq(s->n, 100000);
	ck_assert_uint_ge(s->cap, s->n);
	ck_assert_uint_lt(s->cap, 2 * s->n + 64); /* geometric growth, not wasteful */
	ck_assert(s->t_ns[99999] == 999990000000LL);
	ck_assert(s->v[99998] == 99998.0);
	ck_assert(isnan(s->v[7]));
	/* same name returns the same series; unit kept */
	ck_assert_ptr_eq(mt_cell_series(c, "probe.udp.rtt_ms", "s"), s);
	ck_assert_str_eq(s->unit, "ms");
	ck_assert_ptr_nonnull(mt_cell_series(c, "migration.remaining_bytes", NULL));
	ck_assert_uint_eq(c->nseries, 2);
	ck_assert_str_eq(c->series[1].unit, "");
	ck_assert_ptr_null(mt_cell_series(c, NULL, "ms"));
	ck_assert_int_eq(mt_series_add(NULL, 0, 0), MT_EINVAL);
	mt_run_result_free(&run);
}
END_TEST

/* One VM's result folded into the cell's (result_absorb.c): every kind under the prefix, the
 * source untouched, events tagged, anchors kept; a clash with what the cell has is refused. */
START_TEST(test_absorb)
{
	struct mt_run_result run = { 0 }, vm = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "cell"), *v = mt_run_add_cell(&vm, "web2");
	struct mt_series *s;
	const struct mt_metric *m;

	ck_assert_int_eq(mt_cell_set_num(v, "migration.total_time_ms", 1234), 0);
	ck_assert_int_eq(mt_cell_set_str(v, "migration.final_host", "qemu:///b"), 0);
	ck_assert_int_eq(mt_cell_set_absent(v, "downtime.guest_stall_ms", "no reply"), 0);
	s = mt_cell_series(v, "migration.remaining_bytes", "bytes");
	ck_assert_int_eq(mt_series_add(s, 5, 100), 0);
	ck_assert_int_eq(mt_series_add(s, 9, 50), 0);
	ck_assert_int_eq(mt_cell_add_event(v, -1, 7, "migrate.postcopy", NULL, 0), 0);
	ck_assert_int_eq(mt_cell_add_event(v, 3, 8, "fault.on netem", "delay", 0), 0);
	ck_assert_int_eq(mt_cell_event_anchor(v, "hop0.switchover", 6, 8), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", 99), 0);

	ck_assert_int_eq(mt_cell_absorb(c, v, "vm.web2.", "web2"), 0);
	ck_assert_double_eq(mt_cell_metric(c, "migration.total_time_ms")->num, 99);
	ck_assert_double_eq(mt_cell_metric(c, "vm.web2.migration.total_time_ms")->num, 1234);
	ck_assert_str_eq(mt_cell_metric(c, "vm.web2.migration.final_host")->str, "qemu:///b");
	m = mt_cell_metric(c, "vm.web2.downtime.guest_stall_ms");
	ck_assert_int_eq(m->kind, MT_METRIC_ABSENT);
	ck_assert_str_eq(m->str, "no reply");
	ck_assert_uint_eq(c->nseries, 1);
	ck_assert_str_eq(c->series[0].name, "vm.web2.migration.remaining_bytes");
	ck_assert_uint_eq(c->series[0].n, 2);
	ck_assert_double_eq(c->series[0].v[1], 50);
	ck_assert_uint_eq(c->nevents, 2);
	ck_assert_str_eq(c->events[0].what, "migrate.postcopy");
	ck_assert_str_eq(c->events[0].detail, "web2");
	ck_assert_str_eq(c->events[1].detail, "web2: delay");
	ck_assert_str_eq(c->events[1].anchor, "hop0.switchover");
	ck_assert_int_eq((int)c->events[1].effect_ns, 8);
	ck_assert_uint_eq(v->nmetrics, 3); /* the source is unchanged */
	/* "vm.web2" would be a component prefix of what the cell has */
	ck_assert_int_eq(mt_cell_absorb(c, v, "vm.", "x"), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "vm.web3", 1), 0);
	ck_assert_int_eq(mt_cell_absorb(c, v, "vm.web3.", "web3"), MT_EINVAL);
	ck_assert_int_eq(mt_cell_absorb(c, c, "vm.x.", "x"), MT_EINVAL);
	mt_run_result_free(&vm);
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("result");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, test_verdict_names);
	tcase_add_test(tc, test_cells_and_facts);
	tcase_add_test(tc, test_metrics_replace);
	tcase_add_test(tc, test_metric_paths_refused);
	tcase_add_test(tc, test_events_checks_verdict);
	tcase_add_test(tc, test_series_growth);
	tcase_add_test(tc, test_absorb);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
