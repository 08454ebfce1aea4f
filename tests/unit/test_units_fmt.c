/* test_units_fmt.c — numbers in human units for the reports: unit from the name's suffix,
 * a scale that fits the magnitude, fixed notation always. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "reports/units_fmt.h"

static const char *fmt(const char *path, double v)
{
	static char buf[96];

	mt_hfmt(path, v, buf, sizeof(buf));
	return buf;
}

START_TEST(test_units_of_path)
{
	ck_assert_int_eq(mt_hunit_of_path("downtime.network_outage_ms"), MT_HU_MS);
	ck_assert_int_eq(mt_hunit_of_path("network_outage_ms.p95"), MT_HU_MS);
	ck_assert_int_eq(mt_hunit_of_path("qos.during.rtt_ms.p99"), MT_HU_MS);
	ck_assert_int_eq(mt_hunit_of_path("migration.transferred_bytes"), MT_HU_BYTES);
	ck_assert_int_eq(mt_hunit_of_path("qos.during.video.throughput_bps.mean"), MT_HU_BPS);
	ck_assert_int_eq(mt_hunit_of_path("qos.during.loss_pct"), MT_HU_PCT);
	ck_assert_int_eq(mt_hunit_of_path("migration.dirty_rate_pages_s"), MT_HU_COUNT);
	ck_assert_int_eq(mt_hunit_of_path("migration.iterations"), MT_HU_COUNT);
	ck_assert_int_eq(mt_hunit_of_path(NULL), MT_HU_COUNT);
}
END_TEST

START_TEST(test_human)
{
	/* what a user saw as 1.086e+08 ± 600994 and 897 ± 3e+02 */
	char buf[96];

	mt_hfmt_pm("migration.transferred_bytes", 1.086e8, 600994, buf, sizeof(buf));
	ck_assert_str_eq(buf, "104 ± 0.573 MiB");
	mt_hfmt_pm("migration.total_time_ms", 897, 300, buf, sizeof(buf));
	ck_assert_str_eq(buf, "897 ± 300 ms");
	mt_hfmt_pm("migration.total_time_ms", 12500, NAN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "12.5 s");
	ck_assert_str_eq(fmt("migration.total_time_ms", 9999), "9999 ms");
	ck_assert_str_eq(fmt("qos.during.rtt_ms.p99", 0.25), "0.25 ms");
	ck_assert_str_eq(fmt("qos.during.rtt_ms.p99", 0), "0 ms");
	ck_assert_str_eq(fmt("x_bps", 94.2e6), "94.2 Mbit/s");
	ck_assert_str_eq(fmt("x_bps", 1.5e9), "1.5 Gbit/s");
	ck_assert_str_eq(fmt("x_bytes", 512), "512 B");
	ck_assert_str_eq(fmt("x_bytes", 20.0 * 1024 * 1024 * 1024), "20 GiB");
	ck_assert_str_eq(fmt("loss_pct", 2), "2 %");
	ck_assert_str_eq(fmt("migration.iterations", 1e12), "1000000000000");
	ck_assert_str_eq(fmt("x", 1e-9), "0");
	ck_assert_str_eq(fmt("x", -0.0), "0");
	ck_assert_str_eq(fmt("x_ms", NAN), "–");
	ck_assert_str_eq(fmt("x_ms", INFINITY), "–");
}
END_TEST

START_TEST(test_never_e_notation)
{
	static const char *const paths[] = { "a_ms", "a_bytes", "a_bps", "a_pct", "a" };
	char buf[96];

	for (size_t p = 0; p < 5; p++)
		for (int e = -12; e <= 15; e++) {
			mt_hfmt_pm(paths[p], 1.234 * pow(10, e), 0.567 * pow(10, e), buf, sizeof(buf));
			ck_assert_msg(!strchr(buf, 'e') && !strchr(buf, 'E'), "%s 1e%d: %s", paths[p], e,
				      buf);
		}
}
END_TEST

START_TEST(test_check_path)
{
	char buf[64];

	ck_assert_str_eq(mt_check_metric_path("network_outage_ms.p95 <= 5s "
					      "[downtime.hop1.network_outage_ms]", buf, sizeof(buf)),
			 "downtime.hop1.network_outage_ms");
	ck_assert_str_eq(mt_check_metric_path("loss_pct<=2%", buf, sizeof(buf)), "loss_pct");
	ck_assert_str_eq(mt_check_metric_path("memory_integrity == ok", buf, 5), "memo");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("units_fmt");
	TCase *tc = tcase_create("units_fmt");

	tcase_add_test(tc, test_units_of_path);
	tcase_add_test(tc, test_human);
	tcase_add_test(tc, test_never_e_notation);
	tcase_add_test(tc, test_check_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
