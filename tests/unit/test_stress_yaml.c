/* test_stress_yaml.c — stress-ng's `--yaml --metrics` report, from files captured from
 * stress-ng 0.15.06 on this machine (tests/unit/fixtures/stress-ng/): normal end, SIGINT,
 * several stressors, memrate's per-method rates, a file cut off mid-line; plus odd lines. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/stress_yaml.h"

#define FIX(name) MT_FIXTURES "/stress-ng/" name

static double val(const struct mt_sng_report *r, const char *st, const char *key)
{
	const struct mt_sng_metric *m = mt_sng_find(r, st, key);

	return m ? m->value : NAN;
}

START_TEST(cpu_full)
{
	struct mt_sng_report r;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_sng_yaml_read(FIX("cpu.yaml"), &r, &err), 0);
	ck_assert_int_eq(r.complete, 1);
	ck_assert_uint_eq(r.nstressors, 1);
	ck_assert_uint_eq(r.n, 8);
	ck_assert_double_eq(val(&r, "cpu", "bogo-ops"), 2786);
	ck_assert_double_eq_tol(val(&r, "cpu", "bogo-ops-per-second-real-time"), 1391.477746,
				1e-9);
	ck_assert_double_eq_tol(val(&r, "cpu", "bogo-ops-per-second-usr-sys-time"), 2063.060335,
				1e-9);
	ck_assert_double_eq_tol(val(&r, "cpu", "cpu-usage-per-instance"), 67.447264, 1e-9);
	ck_assert_double_eq(val(&r, "cpu", "max-rss"), 6516);
	/* system-info is not metrics: its numbers (uptime, the odd date) are not taken */
	ck_assert_ptr_null(mt_sng_find(&r, "cpu", "uptime"));
	ck_assert_ptr_null(mt_sng_find(&r, "cpu", "date-yyyy-mm-dd"));
	mt_sng_report_free(&r);
}
END_TEST

START_TEST(cpu_sigint)
{
	struct mt_sng_report r;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_sng_yaml_read(FIX("cpu-sigint.yaml"), &r, &err), 0);
	ck_assert_int_eq(r.complete, 1);
	ck_assert_double_eq(val(&r, "cpu", "bogo-ops"), 1740);
	ck_assert_double_eq_tol(val(&r, "cpu", "wall-clock-time"), 1.507890, 1e-9);
	mt_sng_report_free(&r);
}
END_TEST

START_TEST(two_stressors)
{
	struct mt_sng_report r;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_sng_yaml_read(FIX("cpu-vm.yaml"), &r, &err), 0);
	ck_assert_uint_eq(r.nstressors, 2);
	ck_assert_uint_eq(r.n, 16);
	ck_assert_double_eq(val(&r, "cpu", "bogo-ops"), 1831);
	ck_assert_double_eq(val(&r, "vm", "bogo-ops"), 88710);
	ck_assert_double_eq(val(&r, "vm", "max-rss"), 9980);
	mt_sng_report_free(&r);
}
END_TEST

START_TEST(memrate_rates)
{
	struct mt_sng_report r;
	struct mt_error err = { 0 };
	char name[64];
	double scale;

	ck_assert_int_eq(mt_sng_yaml_read(FIX("memrate.yaml"), &r, &err), 0);
	ck_assert_uint_eq(r.n, 8 + 13);
	ck_assert_double_eq_tol(val(&r, "memrate", "write64-mb-per-sec"), 49.947948, 1e-9);
	ck_assert_double_eq(val(&r, "memrate", "bogo-ops"), 0);
	mt_sng_metric_name("write64-mb-per-sec", name, sizeof(name), &scale);
	ck_assert_str_eq(name, "write64_bytes_s");
	ck_assert_double_eq(scale, 1048576.0);
	mt_sng_metric_name("bogo-ops-per-second-real-time", name, sizeof(name), &scale);
	ck_assert_str_eq(name, "bogo_ops_s_real");
	ck_assert_double_eq(scale, 1.0);
	mt_sng_metric_name("some-new-key", name, sizeof(name), &scale);
	ck_assert_str_eq(name, "some_new_key");
	mt_sng_report_free(&r);
}
END_TEST

/* Killed while writing: every complete line before the cut counts, the half line does not. */
START_TEST(truncated)
{
	struct mt_sng_report r;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_sng_yaml_read(FIX("cpu-truncated.yaml"), &r, &err), 0);
	ck_assert_int_eq(r.complete, 0);
	ck_assert_double_eq(val(&r, "cpu", "bogo-ops"), 2786);
	ck_assert_double_eq_tol(val(&r, "cpu", "system-time"), 0.016570, 1e-9);
	ck_assert_ptr_null(mt_sng_find(&r, "cpu", "cpu-usage-per-instance"));
	ck_assert_ptr_null(mt_sng_find(&r, "cpu", "max-rss"));
	mt_sng_report_free(&r);
}
END_TEST

START_TEST(odd_lines)
{
	static const char text[] =
		"---\n"
		"system-info:\n"
		"      date-yyyy-mm-dd: 2026:11:25\n"
		"      version: '#1 SMP PREEMPT_DYNAMIC @0'\n"
		"      totalram: 25276502016\n"
		"\n"
		"metrics:\n"
		"      bogo-ops: 5\n"              /* before any stressor: ignored */
		"    - stressor: cpu  \r\n"
		"      bogo-ops: 12\r\n"
		"      note: 'text'\n"             /* a string: skipped */
		"      nan-value: nan\n"           /* not finite: skipped */
		"      partial: 12abc\n"           /* not a plain number: skipped */
		"      empty:\n"
		"    - stressor: vm\n"
		"      bogo-ops: 3e2\n"
		"other:\n"
		"      bogo-ops: 99\n"             /* outside metrics */
		"...\n";
	struct mt_sng_report r;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_sng_yaml_parse(text, sizeof(text) - 1, &r, &err), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.nstressors, 2);
	ck_assert_double_eq(val(&r, "cpu", "bogo-ops"), 12);
	ck_assert_double_eq(val(&r, "vm", "bogo-ops"), 300);
	ck_assert_int_eq(r.complete, 1);
	mt_sng_report_free(&r);

	ck_assert_int_eq(mt_sng_yaml_parse("", 0, &r, &err), 0);
	ck_assert_uint_eq(r.n, 0);
	mt_sng_report_free(&r);
	ck_assert_int_eq(mt_sng_yaml_read("/nonexistent/x.yaml", &r, &err), MT_EIO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stress_yaml");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, cpu_full);
	tcase_add_test(tc, cpu_sigint);
	tcase_add_test(tc, two_stressors);
	tcase_add_test(tc, memrate_rates);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, odd_lines);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
