/* test_web.c — the pure parts of the web workloads: goodput bucketing, the playout buffer
 * (exact stall count/time from a synthetic arrival schedule, split by phase with qos.h's
 * bounds), page assets. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/qos.h"
#include "workloads/web_model.h"
#include "test_util.h"

#define S(x) ((int64_t)((x) * 1e9))
#define MS(x) ((int64_t)(x) * 1000000LL)

START_TEST(overlap)
{
	ck_assert_int_eq(mt_web_overlap(0, 10, 5, 20), 5);
	ck_assert_int_eq(mt_web_overlap(5, 20, 0, 10), 5);
	ck_assert_int_eq(mt_web_overlap(0, 10, 10, 20), 0);
	ck_assert_int_eq(mt_web_overlap(2, 3, 0, INT64_MAX), 1);
}
END_TEST

START_TEST(goodput_buckets)
{
	struct mt_goodput g = { 0 };

	mt_goodput_init(&g, MS(100));
	ck_assert_int_eq(mt_goodput_add(&g, 0, 1250), 0);
	ck_assert_int_eq(mt_goodput_add(&g, MS(100) - 1, 1250), 0);
	ck_assert_int_eq(mt_goodput_add(&g, MS(100), 125), 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_double_eq_tol(mt_goodput_bps(&g, 0), 200000.0, 1e-6);
	ck_assert_double_eq_tol(mt_goodput_bps(&g, 1), 10000.0, 1e-6);
	/* a far bucket grows the array; the gap reads as zero goodput */
	ck_assert_int_eq(mt_goodput_add(&g, S(100), 1), 0);
	ck_assert_uint_eq(g.n, 1001);
	ck_assert_double_eq_tol(mt_goodput_bps(&g, 500), 0.0, 1e-9);
	ck_assert_double_eq_tol(mt_goodput_bps(&g, 1000), 80.0, 1e-9);
	mt_goodput_free(&g);
}
END_TEST

/* Buckets of 100 ms; measured 0.25 s .. 1.05 s; phases split at 0.5 s and 0.75 s. */
START_TEST(goodput_phase_split)
{
	struct mt_goodput g = { 0 };
	struct mt_phases ph = { MS(500), MS(750), MS(1050) };
	double v[16];
	size_t n[3];

	mt_goodput_init(&g, MS(100));
	for (int i = 0; i < 11; i++) /* bucket i carries (i + 1) × 125 bytes = (i + 1) × 10 kbit/s */
		ck_assert_int_eq(mt_goodput_add(&g, MS(100) * i + 1, 125u * (i + 1)), 0);
	for (int p = 0; p < MT_QOS_NPHASES; p++) {
		int64_t a, b;

		ck_assert_int_eq(mt_qos_phase_bounds(&ph, p, &a, &b), 0);
		n[p] = mt_goodput_window(&g, MS(250), MS(1050), a, b, v);
		if (p == MT_QOS_BASELINE) {
			/* [0.3, 0.4) and [0.4, 0.5): [0.2, 0.3) is cut by the window start */
			ck_assert_uint_eq(n[p], 2);
			ck_assert_double_eq_tol(v[0], 40000.0, 1e-6);
			ck_assert_double_eq_tol(v[1], 50000.0, 1e-6);
		} else if (p == MT_QOS_DURING) {
			/* [0.5, 0.6), [0.6, 0.7); [0.7, 0.8) is cut by the phase end at 0.75 */
			ck_assert_uint_eq(n[p], 2);
			ck_assert_double_eq_tol(v[1], 70000.0, 1e-6);
		} else {
			/* [0.8, 0.9), [0.9, 1.0); [1.0, 1.1) is cut by the window end */
			ck_assert_uint_eq(n[p], 2);
			ck_assert_double_eq_tol(v[0], 90000.0, 1e-6);
		}
	}
	/* a window shorter than one bucket has none */
	ck_assert_uint_eq(mt_goodput_window(&g, MS(310), MS(390), 0, INT64_MAX, v), 0);
	mt_goodput_free(&g);
}
END_TEST

/* seg 2 s, start-up 2 s (one segment). Arrivals at 1, 2, 3, 8, 9, 13 s; end at 14 s.
 * level: 1s→2 (play starts, start-up 1 s), 2s→1+2=3, 3s→2+2=4, empties at 7 s (stall),
 * 8s→2 resume (stall 1 s), 9s→1+2=3, empties at 12 s (stall), 13s→2 resume (stall 1 s),
 * 14s→1. */
static void schedule(struct mt_playout *p)
{
	const double arr[] = { 1, 2, 3, 8, 9, 13 };

	mt_playout_init(p, S(2), S(2), 0);
	for (size_t i = 0; i < sizeof(arr) / sizeof(arr[0]); i++)
		ck_assert_int_eq(mt_playout_arrival(p, S(arr[i])), 0);
	ck_assert_int_eq(mt_playout_finish(p, S(14)), 0);
}

START_TEST(playout_exact)
{
	struct mt_playout p;
	unsigned c;
	int64_t tot;

	schedule(&p);
	ck_assert(p.play_start_ns == S(1));
	ck_assert_uint_eq(p.nstalls, 2);
	ck_assert(p.stalls[0].start_ns == S(7) && p.stalls[0].end_ns == S(8));
	ck_assert(p.stalls[1].start_ns == S(12) && p.stalls[1].end_ns == S(13));
	ck_assert(p.level_ns == S(1));
	mt_playout_stalls_in(&p, 0, INT64_MAX, &c, &tot);
	ck_assert_uint_eq(c, 2);
	ck_assert(tot == S(2));
	mt_playout_free(&p);
}
END_TEST

START_TEST(playout_phase_split)
{
	struct mt_playout p;
	struct mt_phases ph = { S(6.5), S(12.5), S(14) };
	unsigned c[3];
	int64_t t[3];

	schedule(&p);
	for (int i = 0; i < MT_QOS_NPHASES; i++) {
		int64_t a, b;

		ck_assert_int_eq(mt_qos_phase_bounds(&ph, i, &a, &b), 0);
		mt_playout_stalls_in(&p, a, b, &c[i], &t[i]);
	}
	/* the stall at 12 s begins during and runs 0.5 s into after */
	ck_assert_uint_eq(c[MT_QOS_BASELINE], 0);
	ck_assert_uint_eq(c[MT_QOS_DURING], 2);
	ck_assert_uint_eq(c[MT_QOS_AFTER], 0);
	ck_assert(t[MT_QOS_BASELINE] == 0);
	ck_assert(t[MT_QOS_DURING] == S(1.5));
	ck_assert(t[MT_QOS_AFTER] == S(0.5));
	mt_playout_free(&p);
}
END_TEST

START_TEST(playout_open_stall_and_refill)
{
	struct mt_playout p;
	unsigned c;
	int64_t tot;

	/* start-up needs two segments: the first alone does not start playback */
	mt_playout_init(&p, S(2), S(4), S(1));
	ck_assert_int_eq(mt_playout_arrival(&p, S(2)), 0);
	ck_assert(p.play_start_ns == -1);
	ck_assert(mt_playout_when_level(&p, 0) == INT64_MAX);
	ck_assert_int_eq(mt_playout_arrival(&p, S(3)), 0);
	ck_assert(p.play_start_ns == S(3)); /* start-up delay 2 s after the first request */
	ck_assert(mt_playout_when_level(&p, S(1)) == S(6));
	/* nothing more arrives: stall from 7 s, still open when measured at 10 s */
	ck_assert_int_eq(mt_playout_advance(&p, S(10)), 0);
	mt_playout_stalls_in(&p, 0, INT64_MAX, &c, &tot);
	ck_assert_uint_eq(c, 1);
	ck_assert(tot == S(3));
	/* one segment is not enough to resume (needs 4 s buffered) */
	ck_assert_int_eq(mt_playout_arrival(&p, S(11)), 0);
	ck_assert_int_eq(p.playing, 0);
	ck_assert_int_eq(mt_playout_arrival(&p, S(12)), 0);
	ck_assert_int_eq(p.playing, 1);
	ck_assert(p.stalls[0].end_ns == S(12));
	mt_playout_free(&p);
}
END_TEST

START_TEST(page_assets)
{
	const char *html =
		"<html><head><link rel=\"stylesheet\" href=\"style.css\">\n"
		"<script src='/js/app.js'></script>\n"
		"<link rel=icon href=\"favicon.ico?v=2\"></head><body>\n"
		"<img src=\"logo.png\"> <img src=\"logo.png\"> <img src=\"http://other/x.png\">\n"
		"<img src=\"//cdn/x.png\"> <a href=\"page2.html\">n</a> <a href=\"/docs/\">d</a>\n"
		"<a href=\"#top\">t</a> <a href=\"mailto:a@b\">m</a> <img data-src=\"no.png\">\n"
		"<img src=\"data:image/png;base64,xx\"> <a href=\"/video.bin\">v</a>\n"
		"<video src=\"movie.mp4\"><source src=\"m.webm\"></video>\n"
		"<p title='src=\"x.png\"'>see src=\"y.png\" in text</p></body></html>";
	char **v = NULL;
	int n = mt_web_find_assets(html, strlen(html), &v);

	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(v[0], "style.css");
	ck_assert_str_eq(v[1], "/js/app.js");
	ck_assert_str_eq(v[2], "favicon.ico?v=2");
	ck_assert_str_eq(v[3], "logo.png");
	mt_web_strv_free(v, (size_t)n);
}
END_TEST

/* The lab guest's page (copy of lab/guest/www/index.html): its three assets, not the 20 MiB
 * video or the /live/ page it links to. */
START_TEST(lab_page_assets)
{
	char buf[8192], **v = NULL;
	FILE *f = fopen(MT_FIXTURES "/web/lab-index.html", "r");
	size_t len;
	int n;

	ck_assert_ptr_nonnull(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	n = mt_web_find_assets(buf, len, &v);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(v[0], "/style.css");
	ck_assert_str_eq(v[1], "/app.js");
	ck_assert_str_eq(v[2], "/logo.png");
	mt_web_strv_free(v, (size_t)n);
}
END_TEST

START_TEST(resolve_and_expand)
{
	char *s;

	s = mt_web_resolve("http://198.18.0.1:8080/site/index.html", "style.css");
	ck_assert_str_eq(s, "http://198.18.0.1:8080/site/style.css");
	free(s);
	s = mt_web_resolve("http://198.18.0.1:8080/site/index.html?x=/y", "./a.js");
	ck_assert_str_eq(s, "http://198.18.0.1:8080/site/a.js");
	free(s);
	s = mt_web_resolve("http://198.18.0.1/site/index.html", "/root.png");
	ck_assert_str_eq(s, "http://198.18.0.1/root.png");
	free(s);
	s = mt_web_resolve("http://198.18.0.1", "a.png");
	ck_assert_str_eq(s, "http://198.18.0.1/a.png");
	free(s);
	s = mt_web_expand("/cgi-bin/seg?n={n}&kbps={kbps}&dur={dur}", 12, 2000, 2);
	ck_assert_str_eq(s, "/cgi-bin/seg?n=12&kbps=2000&dur=2");
	free(s);
	s = mt_web_expand("/seg/{n}.bin{x}", 0, 1, 1);
	ck_assert_str_eq(s, "/seg/0.bin{x}");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, overlap);
	tcase_add_test(tc, goodput_buckets);
	tcase_add_test(tc, goodput_phase_split);
	tcase_add_test(tc, playout_exact);
	tcase_add_test(tc, playout_phase_split);
	tcase_add_test(tc, playout_open_stall_and_refill);
	tcase_add_test(tc, page_assets);
	tcase_add_test(tc, lab_page_assets);
	tcase_add_test(tc, resolve_and_expand);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
