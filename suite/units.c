/* units.c — values with units: parse once into base units (iproute2 tc style), format for humans.
 *
 * Numbers are parsed as decimal text (digits, optional '.' and fraction) and scaled with 128-bit
 * integer arithmetic, so "1.5s" is exactly 1500000000 ns and overflow is detected, never wrapped.
 *
 * Prefix rule (documented in docs/scenario-reference.md): quantities of BYTES are 1024-based
 * whatever the spelling (K = KB = KiB = 1024; fio/stress-ng habit), quantities of BITS are
 * 1000-based (k = kbit = 1000; tc habit). So "64M" is 64 MiB, "10M" as a bit rate is 10^7 bit/s,
 * and "12MB/s" as a bit rate is 12 * 1048576 * 8 bit/s.
 *
 * Every parser fills why with "expected <what>, got '<text>'" on error and returns MT_EINVAL.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "migtorture/error.h"
#include "migtorture/units.h"

__extension__ typedef unsigned __int128 mt_u128;

/* A parsed decimal "123.45": integer part, fraction digits as an integer, and their count. */
struct decimal {
	mt_u128 ip;
	mt_u128 frac;
	int fdigits;
};

#define FRAC_DIGITS_MAX 18 /* digits kept after the point; more are truncated (sub-unit noise) */
#define INT_DIGITS_MAX 30  /* keeps ip within 128 bits; more is overflow anyway */

static int fail(char *why, size_t whylen, const char *expected, const char *got)
{
	if (why && whylen)
		snprintf(why, whylen, "expected %s, got '%s'", expected, got ? got : "");
	return MT_EINVAL;
}

/* Overflow keeps the "expected ..., got '...'" shape and says why the value was refused. */
static int too_large(char *why, size_t whylen, const char *expected, const char *got)
{
	if (why && whylen)
		snprintf(why, whylen, "expected %s, got '%s' (too large)", expected, got);
	return MT_EINVAL;
}

/* Reads digits[.digits] at s; *end points after it. Returns 0, or -1 when no digit was read
 * or the integer part is absurdly long. */
static int read_decimal(const char *s, const char **end, struct decimal *d)
{
	const char *p = s;
	int ndig = 0;

	memset(d, 0, sizeof(*d));
	while (isdigit((unsigned char)*p)) {
		if (++ndig > INT_DIGITS_MAX)
			return -1;
		d->ip = d->ip * 10 + (mt_u128)(*p++ - '0');
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (d->fdigits < FRAC_DIGITS_MAX) {
				d->frac = d->frac * 10 + (mt_u128)(*p - '0');
				d->fdigits++;
			}
			ndig++;
			p++;
		}
	}
	*end = p;
	return ndig > 0 ? 0 : -1;
}

/* value = d * num / den, truncated; -1 when it exceeds max. */
static int scale(const struct decimal *d, uint64_t num, uint64_t den, uint64_t max,
		 uint64_t *out)
{
	mt_u128 pow = 1, v;

	for (int i = 0; i < d->fdigits; i++)
		pow *= 10;
	if (d->ip > (mt_u128)max)
		return -1;
	v = d->ip * num / den + d->frac * num / den / pow;
	if (v > (mt_u128)max)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t num, den; /* base units = value * num / den */
};

/* Finds the unit spelled exactly like u (case-sensitive when cs, else not). */
static const struct unit *find_unit(const struct unit *t, const char *u, int cs)
{
	for (; t->name; t++)
		if (cs ? strcmp(t->name, u) == 0 : strcasecmp(t->name, u) == 0)
			return t;
	return NULL;
}

/* Shared path: sign check, decimal, unit lookup, scale. */
static int parse_with_units(const char *s, const struct unit *table, int cs, uint64_t max,
			    const char *expected, uint64_t *out, char *why, size_t whylen)
{
	struct decimal d;
	const struct unit *u;
	const char *end;

	if (!s || !*s)
		return fail(why, whylen, expected, s);
	if (*s == '-')
		return fail(why, whylen, expected, s); /* negative: never meaningful here */
	if (*s == '+')
		s++;
	if (read_decimal(s, &end, &d) < 0)
		return fail(why, whylen, expected, s);
	u = find_unit(table, end, cs);
	if (!u)
		return fail(why, whylen, expected, s);
	if (scale(&d, u->num, u->den, max, out) < 0)
		return too_large(why, whylen, expected, s);
	return 0;
}

static const struct unit duration_units[] = {
	{ "ns", 1, 1 },
	{ "us", MT_NS_PER_US, 1 },
	{ "ms", MT_NS_PER_MS, 1 },
	{ "s", MT_NS_PER_S, 1 },
	{ "m", 60 * MT_NS_PER_S, 1 },
	{ "h", 3600 * MT_NS_PER_S, 1 },
	{ NULL, 0, 0 },
};

int mt_parse_duration(const char *s, int64_t *ns, char *why, size_t whylen)
{
	uint64_t v;
	int rc;

	/* case-sensitive: "m" is minutes, "M" would be a size prefix somewhere else */
	rc = parse_with_units(s, duration_units, 1, INT64_MAX, "a duration like 250ms", &v, why,
			      whylen);
	if (rc == 0)
		*ns = (int64_t)v;
	return rc;
}

#define KI 1024ULL
static const struct unit size_units[] = {
	{ "", 1, 1 },		{ "B", 1, 1 },
	{ "K", KI, 1 },		{ "KB", KI, 1 },	{ "KiB", KI, 1 },
	{ "M", KI * KI, 1 },	{ "MB", KI * KI, 1 },	{ "MiB", KI * KI, 1 },
	{ "G", KI * KI * KI, 1 }, { "GB", KI * KI * KI, 1 }, { "GiB", KI * KI * KI, 1 },
	{ "T", KI * KI * KI * KI, 1 }, { "TB", KI * KI * KI * KI, 1 },
	{ "TiB", KI * KI * KI * KI, 1 },
	{ NULL, 0, 0 },
};

int mt_parse_size(const char *s, uint64_t *bytes, char *why, size_t whylen)
{
	/* case-insensitive: "64m", "64MiB" and "64mib" all mean 64 MiB (bytes are never bits) */
	return parse_with_units(s, size_units, 0, UINT64_MAX, "a size like 64MiB", bytes, why,
				whylen);
}

static const struct unit byterate_units[] = {
	{ "B/s", 1, 1 },
	{ "K/s", KI, 1 },		{ "KB/s", KI, 1 },		{ "KiB/s", KI, 1 },
	{ "M/s", KI * KI, 1 },		{ "MB/s", KI * KI, 1 },		{ "MiB/s", KI * KI, 1 },
	{ "G/s", KI * KI * KI, 1 },	{ "GB/s", KI * KI * KI, 1 },	{ "GiB/s", KI * KI * KI, 1 },
	{ "T/s", KI * KI * KI * KI, 1 }, { "TB/s", KI * KI * KI * KI, 1 },
	{ "TiB/s", KI * KI * KI * KI, 1 },
	{ NULL, 0, 0 },
};

int mt_parse_byterate(const char *s, uint64_t *Bps, char *why, size_t whylen)
{
	return parse_with_units(s, byterate_units, 1, UINT64_MAX, "a byte rate like 50MiB/s", Bps,
				why, whylen);
}

#define K10 1000ULL
static const struct unit bitrate_units[] = {
	/* bits, decimal prefixes; "M" alone means megabit like tc's "mbit" */
	{ "bit", 1, 1 },		{ "bit/s", 1, 1 },
	{ "k", K10, 1 },		{ "kbit", K10, 1 },		{ "kbit/s", K10, 1 },
	{ "M", K10 * K10, 1 },		{ "mbit", K10 * K10, 1 },	{ "Mbit/s", K10 * K10, 1 },
	{ "G", K10 * K10 * K10, 1 },	{ "gbit", K10 * K10 * K10, 1 },
	{ "Gbit/s", K10 * K10 * K10, 1 },
	{ "T", K10 * K10 * K10 * K10, 1 }, { "tbit", K10 * K10 * K10 * K10, 1 },
	{ "Tbit/s", K10 * K10 * K10 * K10, 1 },
	{ NULL, 0, 0 },
};

static const struct unit *bitrate_unit(const char *u)
{
	const struct unit *b = NULL;
	char low[16];
	size_t i;

	/* "K", "Kbit", "Mbit", "mbit/s": prefix letter case does not matter for bits */
	for (i = 0; u[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)u[i]);
	low[i] = '\0';
	if (u[i])
		return NULL;
	for (b = bitrate_units; b->name; b++) {
		char name[16];
		size_t j;

		for (j = 0; b->name[j]; j++)
			name[j] = (char)tolower((unsigned char)b->name[j]);
		name[j] = '\0';
		if (strcmp(name, low) == 0)
			return b;
	}
	return NULL;
}

int mt_parse_bitrate(const char *s, uint64_t *bps, char *why, size_t whylen)
{
	static const char expected[] = "a bit rate like 10mbit or 12MiB/s";
	struct decimal d;
	const struct unit *u;
	const char *end;
	uint64_t v;

	if (!s || !*s || *s == '-')
		return fail(why, whylen, expected, s);
	if (read_decimal(*s == '+' ? s + 1 : s, &end, &d) < 0)
		return fail(why, whylen, expected, s);
	u = find_unit(byterate_units, end, 1); /* "12MB/s": bytes per second, times 8 */
	if (u) {
		if (scale(&d, u->num, u->den, UINT64_MAX / 8, &v) < 0)
			return too_large(why, whylen, expected, s);
		*bps = v * 8;
		return 0;
	}
	u = bitrate_unit(end);
	if (!u)
		return fail(why, whylen, expected, s);
	if (scale(&d, u->num, u->den, UINT64_MAX, bps) < 0)
		return too_large(why, whylen, expected, s);
	return 0;
}

int mt_parse_percent(const char *s, double *pct, char *why, size_t whylen)
{
	static const char expected[] = "a percentage 0..100 like 5%";
	struct decimal d;
	const char *end;
	uint64_t milli;

	if (!s || !*s || *s == '-')
		return fail(why, whylen, expected, s);
	if (read_decimal(*s == '+' ? s + 1 : s, &end, &d) < 0 || strcmp(end, "%") != 0)
		return fail(why, whylen, expected, s);
	/* parts per 10^9 of a percent keep "0.5%" exact enough; range 0..100 */
	if (scale(&d, 1000000000ULL, 1, 100 * 1000000000ULL, &milli) < 0)
		return fail(why, whylen, expected, s);
	*pct = (double)milli / 1e9;
	return 0;
}

int mt_parse_int(const char *s, long long min, long long max, long long *out, char *why,
		 size_t whylen)
{
	char expected[96];
	char *end;
	long long v;

	snprintf(expected, sizeof(expected), "an integer %lld..%lld", min, max);
	if (!s || !*s || isspace((unsigned char)*s))
		return fail(why, whylen, expected, s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return fail(why, whylen, expected, s);
	*out = v;
	return 0;
}

int mt_parse_double(const char *s, double *out, char *why, size_t whylen)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return fail(why, whylen, "a number like 0.5", s);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return fail(why, whylen, "a number like 0.5", s);
	*out = v;
	return 0;
}

int mt_parse_bool(const char *s, int *out, char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	for (int i = 0; s && yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail(why, whylen, "yes or no", s);
}

/* Prints v / unit with up to `decimals` digits when that is exact, trailing zeros removed.
 * Returns 0 when printed, -1 when v/unit is not exact at that precision. */
static int fmt_exact(uint64_t v, uint64_t unit, int decimals, const char *suffix, char *buf,
		     size_t len)
{
	uint64_t rem = v % unit, pow = 1, frac;
	char fbuf[32];
	int n;

	for (int i = 0; i < decimals; i++)
		pow *= 10;
	if ((mt_u128)rem * pow % unit != 0)
		return -1;
	frac = (uint64_t)((mt_u128)rem * pow / unit);
	if (frac == 0) {
		snprintf(buf, len, "%llu%s", (unsigned long long)(v / unit), suffix);
		return 0;
	}
	n = snprintf(fbuf, sizeof(fbuf), "%0*llu", decimals, (unsigned long long)frac);
	while (n > 0 && fbuf[n - 1] == '0')
		fbuf[--n] = '\0';
	snprintf(buf, len, "%llu.%s%s", (unsigned long long)(v / unit), fbuf, suffix);
	return 0;
}

/* Largest unit (table from large to small) that shows v exactly with ≤ decimals digits. */
static void fmt_units(uint64_t v, const struct unit *big_first, int decimals, char *buf,
		      size_t len)
{
	const struct unit *u = big_first;

	for (; u->name; u++)
		if ((v >= u->num || u[1].name == NULL) &&
		    fmt_exact(v, u->num, decimals, u->name, buf, len) == 0)
			return;
	snprintf(buf, len, "%llu", (unsigned long long)v); /* unreachable: last unit is 1 */
}

void mt_fmt_duration(int64_t ns, char *buf, size_t len)
{
	static const struct unit t[] = {
		{ "h", 3600 * MT_NS_PER_S, 1 }, { "m", 60 * MT_NS_PER_S, 1 },
		{ "s", MT_NS_PER_S, 1 },	 { "ms", MT_NS_PER_MS, 1 },
		{ "us", MT_NS_PER_US, 1 },	 { "ns", 1, 1 },
		{ NULL, 0, 0 },
	};

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ns < 0) {
		/* only for messages about negative differences: "-1.5s" */
		char tmp[64];

		fmt_units((uint64_t)(-(ns + 1)) + 1, t, 3, tmp, sizeof(tmp));
		snprintf(buf, len, "-%s", tmp);
		return;
	}
	fmt_units((uint64_t)ns, t, 3, buf, len);
}

void mt_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct unit t[] = {
		{ "TiB", KI * KI * KI * KI, 1 }, { "GiB", KI * KI * KI, 1 },
		{ "MiB", KI * KI, 1 },		  { "KiB", KI, 1 },
		{ "B", 1, 1 },			  { NULL, 0, 0 },
	};

	fmt_units(bytes, t, 2, buf, len);
}

void mt_fmt_bitrate(uint64_t bps, char *buf, size_t len)
{
	static const struct unit t[] = {
		{ "Tbit/s", K10 * K10 * K10 * K10, 1 }, { "Gbit/s", K10 * K10 * K10, 1 },
		{ "Mbit/s", K10 * K10, 1 },		 { "kbit/s", K10, 1 },
		{ "bit/s", 1, 1 },			 { NULL, 0, 0 },
	};

	fmt_units(bps, t, 3, buf, len);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * MT_NS_PER_S + ts.tv_nsec;
}

int64_t mt_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t mt_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
