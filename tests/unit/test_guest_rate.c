/* test_guest_rate.c — the host side of guest stress without a VM: the dirtier's history on the
 * host's clock, rates over intervals, libvirt's samples, and the guest agent's JSON. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "workloads/guest_agent.h"
#include "workloads/guest_rate.h"

#define S(x) ((int64_t)((x) * 1e9))

START_TEST(history_shift_and_rate)
{
	/* guest clock 10 s ahead of "host since t0" + 8 s: samples land at 1, 1.5, 2, 3 s */
	static const char js[] =
		"{\"pid\":5,\"now_mono_ns\":10000000000,\"samples\":[[9000000000,0],"
		"[9500000000,50000000],[10000000000,100000000],[10000000000,1],"
		"[11000000000,100000000]]}";
	struct mt_dirty_hist h;
	double r;

	ck_assert_int_eq(mt_dirty_hist_parse(js, S(2), &h), 0);
	ck_assert_uint_eq(h.n, 4); /* the repeated time is dropped */
	ck_assert_int_eq(h.t_ns[0], S(1));
	ck_assert_int_eq(h.t_ns[3], S(3));
	ck_assert_int_eq(mt_dirty_rate(&h, S(1), S(2), 1, &r), 0);
	ck_assert_double_eq_tol(r, 100e6, 1e-3);
	ck_assert_int_eq(mt_dirty_rate(&h, S(1.25), S(1.75), 1, &r), 0); /* interpolated */
	ck_assert_double_eq_tol(r, 100e6, 1e-3);
	ck_assert_int_eq(mt_dirty_rate(&h, S(2), S(3), 1, &r), 0);       /* stalled second */
	ck_assert_double_eq_tol(r, 0, 1e-6);
	ck_assert_int_eq(mt_dirty_rate(&h, 0, S(100), 1, &r), 0);        /* clamped to 1..3 s */
	ck_assert_double_eq_tol(r, 50e6, 1e-3);
	ck_assert_int_eq(mt_dirty_rate(&h, S(5), S(6), 1, &r), MT_ENOTFOUND);
	ck_assert_int_eq(mt_dirty_rate(&h, S(1), S(1.1), S(0.2), &r), MT_ENOTFOUND);
	mt_dirty_hist_free(&h);
	ck_assert_int_eq(mt_dirty_hist_parse("{\"pid\":1}", 0, &h), MT_EINVAL);
	ck_assert_int_eq(mt_dirty_hist_parse("not json", 0, &h), MT_EINVAL);
	ck_assert_int_eq(mt_dirty_hist_parse("{\"now_mono_ns\":1,\"samples\":[[1,\"x\"]]}", 0, &h),
			 MT_EINVAL);
}
END_TEST

START_TEST(libvirt_positive_mean)
{
	int64_t t[] = { S(1), S(2), S(3), S(4), S(5) };
	double v[] = { 0, 0, 100, NAN, 300 };
	struct mt_series s = { .name = "migration.dirty_rate_pages_s", .n = 5, .t_ns = t, .v = v };
	int64_t f = -1, l = -1;
	double m;

	ck_assert_int_eq(mt_series_positive_mean(&s, 0, S(10), &m, &f, &l), 0);
	ck_assert_double_eq(m, 200);
	ck_assert_int_eq(f, S(3));
	ck_assert_int_eq(l, S(5));
	ck_assert_int_eq(mt_series_positive_mean(&s, 0, S(5), &m, NULL, NULL), 0); /* b excluded */
	ck_assert_double_eq(m, 100);
	ck_assert_int_eq(mt_series_positive_mean(&s, 0, S(2.5), &m, NULL, NULL), MT_ENOTFOUND);
	ck_assert_int_eq(mt_series_positive_mean(NULL, 0, S(9), &m, NULL, NULL), MT_ENOTFOUND);
}
END_TEST

START_TEST(agent_json)
{
	const char *args[] = { "dirty", "--size", "1 M\"", NULL };
	char *j = mt_ga_exec_json("/bin/mt-guest", args), *out = NULL;
	int exited, code;
	size_t n;

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(j, "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/mt-guest\","
			    "\"arg\":[\"dirty\",\"--size\",\"1 M\\\"\"],\"capture-output\":true}}");
	free(j);
	out = mt_base64_decode("eyJtZW1vcnlfaW50ZWdyaXR5Ijoib2sifQo=", &n);
	ck_assert_str_eq(out, "{\"memory_integrity\":\"ok\"}\n");
	ck_assert_uint_eq(n, 26);
	free(out);
	ck_assert_ptr_null(mt_base64_decode("abc$", NULL));
	ck_assert_int_eq(mt_ga_parse_status("{\"return\":{\"exitcode\":1,\"out-data\":"
					    "\"aGk=\",\"exited\":true}}",
					    &exited, &code, &out), 0);
	ck_assert_int_eq(exited, 1);
	ck_assert_int_eq(code, 1);
	ck_assert_str_eq(out, "hi");
	free(out);
	ck_assert_int_eq(mt_ga_parse_status("{\"return\":{\"exited\":false}}", &exited, &code,
					    &out), 0);
	ck_assert_int_eq(exited, 0);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mt_ga_parse_status("{\"error\":{}}", &exited, &code, NULL), MT_EINVAL);
}
END_TEST

/* The results guest-dirty writes, from canned mt-guest output and a libvirt series: 50 MiB/s
 * in the guest, libvirt 12800 pages/s (= 50 MiB/s) after one 0 sample → ratio 1. */
START_TEST(dirty_results)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "c");
	struct mt_phases ph = { S(10), S(20), S(30) };
	struct mt_series *lv = mt_cell_series(c, "migration.dirty_rate_pages_s", "pages/s");
	char status[4096];
	size_t n;
	const double rate = 50.0 * 1048576;
	const struct mt_metric *m;

	/* guest clock = host clock + 70 s; a sample a second from host 0 s to 30 s */
	n = (size_t)snprintf(status, sizeof(status), "{\"now_mono_ns\":100000000000,\"samples\":[");
	for (int i = 0; i <= 30; i++)
		n += (size_t)snprintf(status + n, sizeof(status) - n, "%s[%lld,%.0f]", i ? "," : "",
				      (long long)(S(70) + S(i)), rate * i);
	snprintf(status + n, sizeof(status) - n, "]}");
	ck_assert_int_eq(mt_series_add(lv, S(11), 0), 0);
	for (int i = 12; i < 20; i++)
		ck_assert_int_eq(mt_series_add(lv, S(i), 12800), 0);
	ck_assert_int_eq(mt_guest_dirty_put(c, &ph,
					    "{\"memory_integrity\":\"lost\",\"lost_pages\":3,"
					    "\"first_offset\":8192}",
					    status, S(30), rate, 4096), 0);
	ck_assert_str_eq(mt_cell_metric(c, "memory_integrity")->str, "corrupt");
	ck_assert_str_eq(mt_cell_metric(c, "stress.guest.memory_integrity")->str, "lost");
	ck_assert_double_eq(mt_cell_metric(c, "stress.guest.lost_pages")->num, 3);
	ck_assert_double_eq(mt_cell_metric(c, "stress.guest.first_lost_offset_bytes")->num, 8192);
	ck_assert_double_eq_tol(mt_cell_metric(c, "stress.guest.dirty_rate_bytes_s")->num, rate, 1);
	ck_assert_double_eq_tol(mt_cell_metric(c, "stress.guest.dirty.after.rate_bytes_s")->num, rate,
				1);
	ck_assert_double_eq_tol(mt_cell_metric(c, "stress.guest.libvirt_dirty_rate_bytes_s")->num,
				rate, 1);
	ck_assert_double_eq_tol(mt_cell_metric(c, "stress.guest.dirty_rate_ratio")->num, 1, 1e-6);
	m = mt_cell_metric(c, "stress.guest.dirty_rate_set_bytes_s");
	ck_assert_double_eq(m->num, rate);
	mt_run_result_free(&run);

	/* No migration: whole-run rate, the cross-check absent with its reason; verify said ok. */
	memset(&run, 0, sizeof(run));
	c = mt_run_add_cell(&run, "c");
	ph = (struct mt_phases){ -1, -1, S(30) };
	ck_assert_int_eq(mt_guest_dirty_put(c, &ph, "{\"memory_integrity\":\"ok\"}", status,
					    S(30), rate, 4096), 0);
	ck_assert_str_eq(mt_cell_metric(c, "memory_integrity")->str, "ok");
	ck_assert_double_eq_tol(mt_cell_metric(c, "stress.guest.dirty_rate_bytes_s")->num, rate, 1);
	ck_assert_int_eq(mt_cell_metric(c, "stress.guest.dirty_rate_ratio")->kind,
			 MT_METRIC_ABSENT);
	ck_assert_int_eq(mt_cell_metric(c, "stress.guest.dirty.during.rate_bytes_s")->kind,
			 MT_METRIC_ABSENT);
	mt_run_result_free(&run);

	/* Nothing from the guest: absent, not invented. */
	memset(&run, 0, sizeof(run));
	c = mt_run_add_cell(&run, "c");
	ck_assert_int_eq(mt_guest_dirty_put(c, &ph, NULL, NULL, 0, rate, 4096), 0);
	ck_assert_int_eq(mt_cell_metric(c, "memory_integrity")->kind, MT_METRIC_ABSENT);
	ck_assert_int_eq(mt_cell_metric(c, "stress.guest.dirty_rate_bytes_s")->kind, MT_METRIC_ABSENT);
	mt_run_result_free(&run);
}
END_TEST

/* Without a guest agent: a clear skip without a domain, a clear error with one (libvirt's test
 * driver has a domain "test" but no agent). */
START_TEST(guest_dirty_without_agent)
{
	const struct mt_workload_ops *w = mt_find_workload("guest-dirty");
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_ctx ctx = { 0 };
	char why[256] = "";
	void *st = NULL;
	int rc;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(mt_find_workload("guest-cpu"));
	ck_assert_int_eq(mt_params_parse(w->base.options, "size=1M rate=1M/s", 1, &p, &err), 0);
	ctx.result = mt_run_add_cell(&run, "c");
	ck_assert_int_eq(w->base.supported(&p, &ctx, why, sizeof(why)), MT_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(why, "domain"));
	ctx.domain = "test";
	ctx.vm_uri = "test:///default";
	ck_assert_int_eq(w->base.supported(&p, &ctx, why, sizeof(why)), 0);
	rc = w->start(&p, &ctx, &st, &err);
	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.msg, "guest agent") != NULL, "%s", err.msg);
	ctx.domain = "no-such-domain";
	ck_assert_int_eq(w->start(&p, &ctx, &st, &err), MT_EINFRA);
	ck_assert_msg(strstr(err.msg, "no-such-domain") != NULL, "%s", err.msg);
	mt_params_free(&p);
	mt_run_result_free(&run);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_rate");
	TCase *tc = tcase_create("host side");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, history_shift_and_rate);
	tcase_add_test(tc, libvirt_positive_mean);
	tcase_add_test(tc, agent_json);
	tcase_add_test(tc, guest_dirty_without_agent);
	tcase_add_test(tc, dirty_results);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
