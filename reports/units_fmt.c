/* units_fmt.c — human units for report numbers. Reports are read by people: "103.6 MiB" and
 * "12.5 s", not "1.086e+08" and "12500" (docs/results.md "Other renderings"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units_fmt.h"

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && !strncmp(s + n - k, suf, k);
}

/* Unit of one dotted component s[0..n), or -1 when it carries none. */
static int comp_unit(const char *s, size_t n)
{
	if (ends_with(s, n, "_pages_s") || ends_with(s, n, "_count"))
		return MT_HU_COUNT;
	if (ends_with(s, n, "_ms"))
		return MT_HU_MS;
	if (ends_with(s, n, "_bytes"))
		return MT_HU_BYTES;
	if (ends_with(s, n, "_bps"))
		return MT_HU_BPS;
	if (ends_with(s, n, "_pct"))
		return MT_HU_PCT;
	if (n == 4 && !strncmp(s, "mbps", 4))
		return MT_HU_MBPS;
	return -1;
}

enum mt_hunit mt_hunit_of_path(const char *path)
{
	const char *end, *dot;

	if (!path)
		return MT_HU_COUNT;
	end = path + strlen(path);
	while (end > path) {
		int u;

		for (dot = end; dot > path && dot[-1] != '.'; dot--)
			;
		if ((u = comp_unit(dot, (size_t)(end - dot))) >= 0)
			return (enum mt_hunit)u;
		end = dot > path ? dot - 1 : path;
	}
	return MT_HU_COUNT;
}

enum mt_hunit mt_hunit_of_series(const char *unit)
{
	if (!unit)
		return MT_HU_COUNT;
	if (!strcmp(unit, "ms"))
		return MT_HU_MS;
	if (!strcmp(unit, "bytes"))
		return MT_HU_BYTES;
	if (!strcmp(unit, "bit/s"))
		return MT_HU_BPS;
	if (!strcmp(unit, "Mbit/s"))
		return MT_HU_MBPS;
	if (!strcmp(unit, "%"))
		return MT_HU_PCT;
	return MT_HU_COUNT;
}

struct mt_hscale mt_hscale_pick(enum mt_hunit u, double m)
{
	m = isfinite(m) ? fabs(m) : 0;
	switch (u) {
	case MT_HU_MS:
		return m >= 10000 ? (struct mt_hscale){ 1000, "s" } : (struct mt_hscale){ 1, "ms" };
	case MT_HU_BYTES:
		if (m >= 10.0 * 1024 * 1024 * 1024)
			return (struct mt_hscale){ 1024.0 * 1024 * 1024, "GiB" };
		if (m >= 10.0 * 1024 * 1024)
			return (struct mt_hscale){ 1024.0 * 1024, "MiB" };
		if (m >= 10.0 * 1024)
			return (struct mt_hscale){ 1024, "KiB" };
		return (struct mt_hscale){ 1, "B" };
	case MT_HU_BPS:
		if (m >= 1e9)
			return (struct mt_hscale){ 1e9, "Gbit/s" };
		if (m >= 1e6)
			return (struct mt_hscale){ 1e6, "Mbit/s" };
		if (m >= 1e3)
			return (struct mt_hscale){ 1e3, "kbit/s" };
		return (struct mt_hscale){ 1, "bit/s" };
	case MT_HU_MBPS:
		return (struct mt_hscale){ 1, "Mbit/s" };
	case MT_HU_PCT:
		return (struct mt_hscale){ 1, "%" };
	case MT_HU_COUNT:
	default:
		return (struct mt_hscale){ 1, "" };
	}
}

void mt_hfmt_plain(double v, char *buf, size_t len)
{
	double a = fabs(v);
	int dec;

	if (!isfinite(v)) {
		snprintf(buf, len, "–");
		return;
	}
	/* fixed notation: large values keep every integer digit, small ones 3 significant */
	if (a >= 100 || a == 0)
		dec = 0;
	else if (a < 1e-6)
		dec = 0, v = 0;
	else
		dec = 2 - (int)floor(log10(a));
	snprintf(buf, len, "%.*f", dec, v);
	if (dec > 0) { /* 1.50 → 1.5, 2.00 → 2 */
		char *e = buf + strlen(buf);

		while (e > buf && e[-1] == '0')
			*--e = 0;
		if (e > buf && e[-1] == '.')
			*--e = 0;
	}
	if (!strcmp(buf, "-0"))
		snprintf(buf, len, "0");
}

void mt_hfmt(const char *path, double v, char *buf, size_t len)
{
	mt_hfmt_pm(path, v, NAN, buf, len);
}

void mt_hfmt_pm(const char *path, double median, double pm, char *buf, size_t len)
{
	struct mt_hscale s = mt_hscale_pick(mt_hunit_of_path(path), median);
	char a[64], b[64];

	mt_hfmt_plain(median / s.div, a, sizeof(a));
	if (!isfinite(median)) {
		snprintf(buf, len, "–");
		return;
	}
	if (isfinite(pm)) {
		mt_hfmt_plain(pm / s.div, b, sizeof(b));
		snprintf(buf, len, "%s ± %s%s%s", a, b, *s.sym ? " " : "", s.sym);
	} else {
		snprintf(buf, len, "%s%s%s", a, *s.sym ? " " : "", s.sym);
	}
}

const char *mt_check_metric_path(const char *expr, char *buf, size_t len)
{
	const char *b = expr ? strstr(expr, " [") : NULL, *e;
	size_t n;

	if (!len)
		return buf;
	if (b && (e = strchr(b + 2, ']'))) {
		b += 2;
		n = (size_t)(e - b);
	} else {
		b = expr ? expr : "";
		n = strcspn(b, " <>=!");
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, b, n);
	buf[n] = 0;
	return buf;
}
