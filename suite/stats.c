/* stats.c — the small statistics of include/migtorture/stats.h.
 *
 * NaN entries are "no sample" (a lost probe reply, an absent repeat) and are skipped
 * everywhere; a statistic of nothing is NaN, never 0 (absent is not zero,
 * docs/architecture.md §8). Sums use two passes around the mean so that large offsets (ns
 * timestamps, byte counts) do not eat the precision of the spread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/error.h"
#include "migtorture/stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double mt_percentile(const double *v, size_t n, double p)
{
	double *s = NULL, h, r = NAN;
	size_t i, m = 0, lo;

	if (!v || !n || isnan(p) || p < 0 || p > 100)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	if (!m)
		goto out;
	qsort(s, m, sizeof(*s), cmp_double);
	/* numpy "linear": rank h = (m-1)p/100, interpolate between floor(h) and the next */
	h = (double)(m - 1) * p / 100.0;
	lo = (size_t)floor(h);
	if (lo >= m - 1)
		r = s[m - 1];
	else
		r = s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
out:
	free(s);
	return r;
}

/* Mean and count of the non-NaN entries. */
static double mean_n(const double *v, size_t n, size_t *cnt)
{
	double sum = 0;
	size_t i, m = 0;

	for (i = 0; v && i < n; i++) {
		if (!isnan(v[i])) {
			sum += v[i];
			m++;
		}
	}
	*cnt = m;
	return m ? sum / (double)m : NAN;
}

double mt_mean(const double *v, size_t n)
{
	size_t m;

	return mean_n(v, n, &m);
}

double mt_stddev(const double *v, size_t n)
{
	double mean, ss = 0, d;
	size_t i, m;

	mean = mean_n(v, n, &m);
	if (m < 2)
		return NAN;
	for (i = 0; i < n; i++) {
		if (!isnan(v[i])) {
			d = v[i] - mean;
			ss += d * d;
		}
	}
	return sqrt(ss / (double)(m - 1));
}

double mt_min(const double *v, size_t n)
{
	double r = NAN;
	size_t i;

	for (i = 0; v && i < n; i++)
		if (!isnan(v[i]) && (isnan(r) || v[i] < r))
			r = v[i];
	return r;
}

double mt_max(const double *v, size_t n)
{
	double r = NAN;
	size_t i;

	for (i = 0; v && i < n; i++)
		if (!isnan(v[i]) && (isnan(r) || v[i] > r))
			r = v[i];
	return r;
}

/* Two-sided 95 % quantile t(0.975, df) for df = 1..30 (standard tables, 4 decimals). */
static const double t975[31] = {
	NAN,    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788,  2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796,
	2.0739, 2.0687,  2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

/* t(0.975, df): the table for small df, else the Cornish-Fisher expansion around the normal
 * quantile (error < 1e-4 for df > 30). */
static double t_quantile_975(size_t df)
{
	const double z = 1.959963984540054;
	double d = (double)df, z3 = z * z * z, z5 = z3 * z * z;

	if (df < sizeof(t975) / sizeof(t975[0]))
		return t975[df];
	return z + (z3 + z) / (4 * d) + (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d);
}

double mt_ci95(const double *v, size_t n)
{
	size_t m;
	double sd;

	mean_n(v, n, &m);
	if (m < 2)
		return NAN;
	sd = mt_stddev(v, n);
	return t_quantile_975(m - 1) * sd / sqrt((double)m);
}

double mt_jitter_rfc3550(const int64_t *send_ns, const int64_t *recv_ns, size_t n)
{
	double j = 0, d;
	size_t i, prev = 0, got = 0;

	for (i = 0; send_ns && recv_ns && i < n; i++) {
		if (recv_ns[i] < 0)
			continue; /* lost: the next received packet pairs with the last one */
		if (got) {
			/* in double: ns differences of a run fit exactly (< 2^53 ns) */
			d = ((double)recv_ns[i] - (double)recv_ns[prev]) -
			    ((double)send_ns[i] - (double)send_ns[prev]);
			j += (fabs(d) - j) / 16.0;
		}
		prev = i;
		got++;
	}
	return got >= 2 ? j : NAN;
}

int mt_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept,
	      double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, b, a, dx, dy;
	size_t i, m = 0;

	if (!x || !y || !slope || !intercept || !r2)
		return MT_EINVAL;
	*slope = *intercept = *r2 = NAN;
	for (i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		mx += x[i];
		my += y[i];
		m++;
	}
	if (m < 2)
		return 0;
	mx /= (double)m;
	my /= (double)m;
	for (i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		dx = x[i] - mx;
		dy = y[i] - my;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (sxx == 0)
		return 0; /* vertical: no slope */
	b = sxy / sxx;
	a = my - b * mx;
	*slope = b;
	*intercept = a;
	/* r² = 1 - SSres/SStot = Sxy²/(Sxx Syy); undefined when y is constant */
	if (syy > 0)
		*r2 = (sxy * sxy) / (sxx * syy);
	return 0;
}
