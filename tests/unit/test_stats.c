/* test_stats.c — statistics against values worked out by hand (numpy conventions). */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "migtorture/stats.h"
#include "test_util.h"

#define CLOSE(a, b, eps) ck_assert_msg(fabs((a) - (b)) <= (eps), "%.17g != %.17g", (double)(a), (double)(b))

START_TEST(test_percentile)
{
	/* numpy.percentile([1,2,3,4], q): rank h = 3q/100
	 *   q=50 → h=1.5 → 2.5; q=25 → h=0.75 → 1.75; q=95 → h=2.85 → 3.85 */
	static const double a[] = { 4, 1, 3, 2 }; /* unsorted on purpose */
	/* numpy.percentile([15,20,35,40,50], 40) → h=1.6 → 20 + 0.6*15 = 29; q=90 → h=3.6 → 46 */
	static const double b[] = { 50, NAN, 15, 40, 20, 35 };
	static const double one[] = { 7 };
	static const double none[] = { NAN, NAN };

	CLOSE(mt_percentile(a, 4, 50), 2.5, 1e-12);
	CLOSE(mt_percentile(a, 4, 25), 1.75, 1e-12);
	CLOSE(mt_percentile(a, 4, 95), 3.85, 1e-12);
	CLOSE(mt_percentile(a, 4, 0), 1, 0);
	CLOSE(mt_percentile(a, 4, 100), 4, 0);
	ck_assert(a[0] == 4 && a[1] == 1); /* input untouched */
	CLOSE(mt_percentile(b, 6, 40), 29, 1e-12);
	CLOSE(mt_percentile(b, 6, 90), 46, 1e-12);
	CLOSE(mt_percentile(b, 6, 50), 35, 0);
	CLOSE(mt_percentile(one, 1, 99), 7, 0);
	ck_assert(isnan(mt_percentile(none, 2, 50)));
	ck_assert(isnan(mt_percentile(a, 0, 50)));
	ck_assert(isnan(mt_percentile(a, 4, -1)));
	ck_assert(isnan(mt_percentile(a, 4, 100.5)));
	ck_assert(isnan(mt_percentile(a, 4, NAN)));
}
END_TEST

START_TEST(test_moments)
{
	/* [2,4,4,4,5,5,7,9]: mean 5, squared deviations sum 32, sample variance 32/7,
	 * sample sd = sqrt(32/7) = 2.1380899352993950 */
	static const double v[] = { 2, 4, NAN, 4, 4, 5, 5, 7, 9 };
	static const double big[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3 }; /* sd 1 despite the offset */
	static const double none[] = { NAN };

	CLOSE(mt_mean(v, 9), 5, 1e-12);
	CLOSE(mt_stddev(v, 9), 2.1380899352993950, 1e-12);
	CLOSE(mt_stddev(big, 3), 1, 1e-9);
	CLOSE(mt_min(v, 9), 2, 0);
	CLOSE(mt_max(v, 9), 9, 0);
	ck_assert(isnan(mt_mean(none, 1)));
	ck_assert(isnan(mt_min(none, 1)));
	ck_assert(isnan(mt_max(NULL, 0)));
	ck_assert(isnan(mt_stddev(v, 1)));
}
END_TEST

START_TEST(test_ci95)
{
	static const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	static const double two[] = { 1, 3 };
	double many[101];
	size_t i;

	/* n=8: t(0.975,7) = 2.3646; 2.3646 * 2.13809 / sqrt(8) = 1.78748 */
	CLOSE(mt_ci95(v, 8), 1.78748, 1e-4);
	/* n=2: sd = sqrt(2), t(0.975,1) = 12.7062 → 12.7062 * sqrt(2)/sqrt(2) */
	CLOSE(mt_ci95(two, 2), 12.7062, 1e-4);
	ck_assert(isnan(mt_ci95(v, 1)));
	/* n=101 (df 100, past the table): t = 1.98397; values 0..100 have sd 29.3002 →
	 * 1.98397 * 29.3002 / sqrt(101) = 5.78418 */
	for (i = 0; i < 101; i++)
		many[i] = (double)i;
	CLOSE(mt_ci95(many, 101), 5.78418, 2e-3);
}
END_TEST

START_TEST(test_jitter_rfc3550)
{
	/* RFC 3550 §6.4.1 worked example, packets sent every 20 ms:
	 *   i  S (ms)  R (ms)   D = (Ri-Rj)-(Si-Sj)   J += (|D|-J)/16
	 *   0    0      100          -                 0
	 *   1   20      125        25-20 =   5         0 + 5/16              = 0.3125
	 *   2   40      140        15-20 =  -5         0.3125 + 4.6875/16    = 0.60546875
	 *   3   60      170        30-20 =  10         0.60546875 + 9.39453125/16 = 1.192626953125
	 *   4   80      lost        -                  (skipped)
	 *   5  100      200        30-40 = -10         1.192626953125 + 8.807373046875/16
	 *                                                                    = 1.7430877685546875
	 * All values are exact binary fractions, so the comparison is exact. */
	static const int64_t s[] = { 0, 20000000, 40000000, 60000000, 80000000, 100000000 };
	static const int64_t r[] = { 100000000, 125000000, 140000000, 170000000, -1, 200000000 };
	static const int64_t r1[] = { -1, 5, -1 };

	ck_assert(mt_jitter_rfc3550(s, r, 4) == 1192626.953125);
	ck_assert(mt_jitter_rfc3550(s, r, 6) == 1743087.7685546875);
	ck_assert(isnan(mt_jitter_rfc3550(s, r1, 3))); /* one packet: no jitter defined */
	ck_assert(isnan(mt_jitter_rfc3550(s, r, 0)));
	ck_assert(mt_jitter_rfc3550(s, s, 6) == 0); /* constant delay: zero jitter */
}
END_TEST

START_TEST(test_linfit)
{
	/* x=[1..5], y=[2,4,5,4,5]: Sxy=6, Sxx=10 → slope 0.6, intercept 4-0.6*3 = 2.2;
	 * SSres = 2.4, SStot = 6 → r² = 0.6 */
	static const double x[] = { 1, 2, 3, 4, 5, NAN };
	static const double y[] = { 2, 4, 5, 4, 5, 100 };
	static const double yl[] = { 4, 7, 10, 13, 16 };
	static const double c[] = { 3, 3, 3 };
	double b, a, r2;

	ck_assert_int_eq(mt_linfit(x, y, 6, &b, &a, &r2), 0);
	CLOSE(b, 0.6, 1e-12);
	CLOSE(a, 2.2, 1e-12);
	CLOSE(r2, 0.6, 1e-12);
	ck_assert_int_eq(mt_linfit(x, yl, 5, &b, &a, &r2), 0); /* y = 3x + 1 exactly */
	CLOSE(b, 3, 1e-12);
	CLOSE(a, 1, 1e-12);
	CLOSE(r2, 1, 1e-12);
	ck_assert_int_eq(mt_linfit(c, y, 3, &b, &a, &r2), 0); /* x constant: undefined */
	ck_assert(isnan(b) && isnan(a) && isnan(r2));
	ck_assert_int_eq(mt_linfit(x, c, 3, &b, &a, &r2), 0); /* y constant: flat, r² undefined */
	CLOSE(b, 0, 0);
	ck_assert(isnan(r2));
	ck_assert_int_eq(mt_linfit(x, y, 1, &b, &a, &r2), 0);
	ck_assert(isnan(b));
	ck_assert_int_ne(mt_linfit(NULL, y, 1, &b, &a, &r2), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_percentile);
	tcase_add_test(tc, test_moments);
	tcase_add_test(tc, test_ci95);
	tcase_add_test(tc, test_jitter_rfc3550);
	tcase_add_test(tc, test_linfit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
