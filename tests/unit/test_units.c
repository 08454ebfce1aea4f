/* test_units.c — the unit parsers and formatters (units.h): every unit, fractions, overflow,
 * negative, missing/wrong unit, trailing junk, empty; and the "expected ..., got '...'" text. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/error.h"
#include "migtorture/units.h"
#include "test_util.h"

struct dcase { const char *in; int64_t ns; };
struct ucase { const char *in; uint64_t v; };

static const struct dcase dur_ok[] = {
	{ "10ns", 10 },
	{ "100us", 100000 },
	{ "250ms", 250000000 },
	{ "1.5s", 1500000000 },
	{ "0.001s", 1000000 },
	{ "2m", 120000000000LL },
	{ "1h", 3600000000000LL },
	{ "0.5h", 1800000000000LL },
	{ "0s", 0 },
	{ ".5s", 500000000 },
	{ "1.0000000005s", 1000000000 }, /* below 1 ns truncates */
	{ "9223372036854775807ns", INT64_MAX },
	{ "2562047h", 2562047LL * 3600 * 1000000000LL },
};

static const char *const dur_bad[] = {
	"", "250", "abc", "-1s", "10 ms", "10msx", "10S", "1.5.5s", "s", ".s", "10ms ",
	"9223372036854775808ns", "2562048h", "99999999999999999999999999999999999h", "1e3s",
};

START_TEST(duration_ok)
{
	char why[256];
	int64_t ns = -7;

	ck_assert_int_eq(mt_parse_duration(dur_ok[_i].in, &ns, why, sizeof(why)), 0);
	ck_assert_msg(ns == dur_ok[_i].ns, "%s -> %lld, want %lld", dur_ok[_i].in, (long long)ns,
		      (long long)dur_ok[_i].ns);
}
END_TEST

START_TEST(duration_bad)
{
	char why[256] = "", want[256];
	int64_t ns = 42;

	ck_assert_int_eq(mt_parse_duration(dur_bad[_i], &ns, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(ns, 42); /* untouched on error */
	snprintf(want, sizeof(want), "expected a duration like 250ms, got '%s'", dur_bad[_i]);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "'%s': why='%s'", dur_bad[_i], why);
}
END_TEST

START_TEST(duration_overflow_says_too_large)
{
	char why[256];
	int64_t ns;

	ck_assert_int_eq(mt_parse_duration("9999999h", &ns, why, sizeof(why)), MT_EINVAL);
	ck_assert_str_eq(why, "expected a duration like 250ms, got '9999999h' (too large)");
}
END_TEST

static const struct ucase size_ok[] = {
	{ "4096", 4096 },
	{ "10B", 10 },
	{ "1K", 1024 },
	{ "1KB", 1024 },
	{ "512KiB", 512 * 1024 },
	{ "64M", 64ULL << 20 },
	{ "64m", 64ULL << 20 },
	{ "1MiB", 1ULL << 20 },
	{ "2GiB", 2ULL << 30 },
	{ "2G", 2ULL << 30 },
	{ "1T", 1ULL << 40 },
	{ "1.5K", 1536 },
	{ "0", 0 },
	{ "18446744073709551615", UINT64_MAX },
	{ "16777215.99TiB", 18446744062714435338ULL },
};

static const char *const size_bad[] = {
	"", "-1", "1X", "10 MiB", "1Kbit", "MiB", "18446744073709551616", "16777216TiB", "1KiBx",
};

START_TEST(size_ok_t)
{
	char why[256];
	uint64_t v = 7;

	ck_assert_int_eq(mt_parse_size(size_ok[_i].in, &v, why, sizeof(why)), 0);
	ck_assert_msg(v == size_ok[_i].v, "%s -> %llu", size_ok[_i].in, (unsigned long long)v);
}
END_TEST

START_TEST(size_bad_t)
{
	char why[256] = "", want[256];
	uint64_t v;

	ck_assert_int_eq(mt_parse_size(size_bad[_i], &v, why, sizeof(why)), MT_EINVAL);
	snprintf(want, sizeof(want), "expected a size like 64MiB, got '%s'", size_bad[_i]);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "why='%s'", why);
}
END_TEST

static const struct ucase bitrate_ok[] = {
	{ "1000bit", 1000 },
	{ "500kbit", 500000 },
	{ "10mbit", 10000000 },
	{ "10Mbit", 10000000 },
	{ "10Mbit/s", 10000000 },
	{ "1gbit", 1000000000 },
	{ "1G", 1000000000 },
	{ "2M", 2000000 },
	{ "64k", 64000 },
	{ "100kbit/s", 100000 },
	{ "1.5mbit", 1500000 },
	{ "12MiB/s", 12ULL * 1048576 * 8 },
	{ "12MB/s", 12ULL * 1048576 * 8 },
	{ "1B/s", 8 },
};

static const char *const bitrate_bad[] = {
	"", "1000", "-1mbit", "10 mbit", "10mbitx", "10X", "mbit", "99999999999999999999Tbit",
	"3000000000000000000GiB/s",
};

START_TEST(bitrate_ok_t)
{
	char why[256];
	uint64_t v = 7;

	ck_assert_int_eq(mt_parse_bitrate(bitrate_ok[_i].in, &v, why, sizeof(why)), 0);
	ck_assert_msg(v == bitrate_ok[_i].v, "%s -> %llu", bitrate_ok[_i].in,
		      (unsigned long long)v);
}
END_TEST

START_TEST(bitrate_bad_t)
{
	char why[256] = "", want[256];
	uint64_t v;

	ck_assert_int_eq(mt_parse_bitrate(bitrate_bad[_i], &v, why, sizeof(why)), MT_EINVAL);
	snprintf(want, sizeof(want), "expected a bit rate like 10mbit or 12MiB/s, got '%s'",
		 bitrate_bad[_i]);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "why='%s'", why);
}
END_TEST

static const struct ucase byterate_ok[] = {
	{ "200M/s", 200ULL << 20 },
	{ "50MiB/s", 50ULL << 20 },
	{ "1G/s", 1ULL << 30 },
	{ "100KiB/s", 100ULL << 10 },
	{ "10B/s", 10 },
	{ "1.5MiB/s", 3ULL << 19 },
};

static const char *const byterate_bad[] = { "", "200M", "200", "-1M/s", "1Mbit/s", "5X/s" };

START_TEST(byterate_ok_t)
{
	char why[256];
	uint64_t v;

	ck_assert_int_eq(mt_parse_byterate(byterate_ok[_i].in, &v, why, sizeof(why)), 0);
	ck_assert_msg(v == byterate_ok[_i].v, "%s -> %llu", byterate_ok[_i].in,
		      (unsigned long long)v);
}
END_TEST

START_TEST(byterate_bad_t)
{
	char why[256] = "";
	uint64_t v;

	ck_assert_int_eq(mt_parse_byterate(byterate_bad[_i], &v, why, sizeof(why)), MT_EINVAL);
	ck_assert_msg(strncmp(why, "expected a byte rate like 50MiB/s, got '", 40) == 0, "why='%s'",
		      why);
}
END_TEST

START_TEST(percent)
{
	char why[256];
	double p;

	ck_assert_int_eq(mt_parse_percent("5%", &p, why, sizeof(why)), 0);
	ck_assert_double_eq_tol(p, 5.0, 1e-12);
	ck_assert_int_eq(mt_parse_percent("0.5%", &p, why, sizeof(why)), 0);
	ck_assert_double_eq_tol(p, 0.5, 1e-12);
	ck_assert_int_eq(mt_parse_percent("100%", &p, why, sizeof(why)), 0);
	ck_assert_double_eq_tol(p, 100.0, 1e-12);
	ck_assert_int_eq(mt_parse_percent("0%", &p, why, sizeof(why)), 0);
	ck_assert_double_eq_tol(p, 0.0, 1e-12);
	ck_assert_int_eq(mt_parse_percent("5", &p, why, sizeof(why)), MT_EINVAL);
	ck_assert_str_eq(why, "expected a percentage 0..100 like 5%, got '5'");
	ck_assert_int_eq(mt_parse_percent("100.1%", &p, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_percent("-1%", &p, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_percent("5%%", &p, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_percent("", &p, why, sizeof(why)), MT_EINVAL);
}
END_TEST

START_TEST(ints_doubles_bools)
{
	char why[256];
	long long v;
	double d;
	int b;

	ck_assert_int_eq(mt_parse_int("42", 1, 100, &v, why, sizeof(why)), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(mt_parse_int("-3", -5, 5, &v, why, sizeof(why)), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(mt_parse_int("0", 1, 100, &v, why, sizeof(why)), MT_EINVAL);
	ck_assert_str_eq(why, "expected an integer 1..100, got '0'");
	ck_assert_int_eq(mt_parse_int("12x", 0, 100, &v, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_int("", 0, 100, &v, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_int("99999999999999999999", 0, 100, &v, why, sizeof(why)),
			 MT_EINVAL);
	ck_assert_int_eq(mt_parse_double("0.25", &d, why, sizeof(why)), 0);
	ck_assert_double_eq(d, 0.25);
	ck_assert_int_eq(mt_parse_double("inf", &d, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_double("nan", &d, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_double("1.5x", &d, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq(mt_parse_bool("yes", &b, why, sizeof(why)), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(mt_parse_bool("Off", &b, why, sizeof(why)), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(mt_parse_bool("maybe", &b, why, sizeof(why)), MT_EINVAL);
	ck_assert_str_eq(why, "expected yes or no, got 'maybe'");
}
END_TEST

START_TEST(why_may_be_null_or_short)
{
	char why[8];
	int64_t ns;

	ck_assert_int_eq(mt_parse_duration("x", &ns, NULL, 0), MT_EINVAL);
	ck_assert_int_eq(mt_parse_duration("x", &ns, why, sizeof(why)), MT_EINVAL);
	ck_assert_int_eq((int)strlen(why), 7);
}
END_TEST

START_TEST(formatters)
{
	char b[64];

	mt_fmt_duration(1500000000, b, sizeof(b));
	ck_assert_str_eq(b, "1.5s");
	mt_fmt_duration(250000000, b, sizeof(b));
	ck_assert_str_eq(b, "250ms");
	mt_fmt_duration(0, b, sizeof(b));
	ck_assert_str_eq(b, "0s");
	mt_fmt_duration(120000000000LL, b, sizeof(b));
	ck_assert_str_eq(b, "2m");
	mt_fmt_duration(100000000000LL, b, sizeof(b));
	ck_assert_str_eq(b, "100s");
	mt_fmt_duration(1234, b, sizeof(b));
	ck_assert_str_eq(b, "1.234us");
	mt_fmt_duration(-1500000000, b, sizeof(b));
	ck_assert_str_eq(b, "-1.5s");
	mt_fmt_size(64ULL << 20, b, sizeof(b));
	ck_assert_str_eq(b, "64MiB");
	mt_fmt_size(1536, b, sizeof(b));
	ck_assert_str_eq(b, "1.5KiB");
	mt_fmt_size(1000, b, sizeof(b));
	ck_assert_str_eq(b, "1000B");
	mt_fmt_size(0, b, sizeof(b));
	ck_assert_str_eq(b, "0B");
	mt_fmt_bitrate(10000000, b, sizeof(b));
	ck_assert_str_eq(b, "10Mbit/s");
	mt_fmt_bitrate(1500, b, sizeof(b));
	ck_assert_str_eq(b, "1.5kbit/s");
}
END_TEST

/* What the formatters print parses back to the same value. */
START_TEST(format_round_trip)
{
	static const int64_t ds[] = { 1, 999, 1500, 2500000, 61000000000LL, 5400000000000LL };
	static const uint64_t ss[] = { 1, 1023, 1536, 3ULL << 29, 5ULL << 40 };
	char b[64], why[128];

	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		int64_t back;

		mt_fmt_duration(ds[i], b, sizeof(b));
		ck_assert_int_eq(mt_parse_duration(b, &back, why, sizeof(why)), 0);
		ck_assert_msg(back == ds[i], "%s", b);
	}
	for (size_t i = 0; i < sizeof(ss) / sizeof(ss[0]); i++) {
		uint64_t back;

		mt_fmt_size(ss[i], b, sizeof(b));
		ck_assert_int_eq(mt_parse_size(b, &back, why, sizeof(why)), 0);
		ck_assert_msg(back == ss[i], "%s", b);
	}
}
END_TEST

START_TEST(clocks)
{
	int64_t a = mt_now_ns(), b = mt_now_ns();

	ck_assert(a > 0 && b >= a);
	/* after 2020-01-01 in ns */
	ck_assert(mt_wall_ns() > 1577836800LL * 1000000000LL);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static Suite *units_suite(void)
{
	Suite *s = suite_create("units");
	TCase *t = tcase_create("parse");

	tcase_add_loop_test(t, duration_ok, 0, N(dur_ok));
	tcase_add_loop_test(t, duration_bad, 0, N(dur_bad));
	tcase_add_test(t, duration_overflow_says_too_large);
	tcase_add_loop_test(t, size_ok_t, 0, N(size_ok));
	tcase_add_loop_test(t, size_bad_t, 0, N(size_bad));
	tcase_add_loop_test(t, bitrate_ok_t, 0, N(bitrate_ok));
	tcase_add_loop_test(t, bitrate_bad_t, 0, N(bitrate_bad));
	tcase_add_loop_test(t, byterate_ok_t, 0, N(byterate_ok));
	tcase_add_loop_test(t, byterate_bad_t, 0, N(byterate_bad));
	tcase_add_test(t, percent);
	tcase_add_test(t, ints_doubles_bools);
	tcase_add_test(t, why_may_be_null_or_short);
	suite_add_tcase(s, t);
	t = tcase_create("format");
	tcase_add_test(t, formatters);
	tcase_add_test(t, format_round_trip);
	tcase_add_test(t, clocks);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return tu_run(units_suite());
}
