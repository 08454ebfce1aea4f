/* migtorture/stats.h — small statistics shared by probes, drivers and reports.
 * All functions take plain arrays; NAN entries are ignored unless said otherwise. */
#ifndef MIGTORTURE_STATS_H
#define MIGTORTURE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Percentile p in [0,100] by linear interpolation between closest ranks (NIST / numpy
 * "linear"); NAN when there are no values. Does not modify v. */
double mt_percentile(const double *v, size_t n, double p);
double mt_mean(const double *v, size_t n);
double mt_stddev(const double *v, size_t n); /* sample standard deviation (n-1) */
double mt_min(const double *v, size_t n);
double mt_max(const double *v, size_t n);
/* Half-width of the 95 % confidence interval of the mean (Student t). NAN when n < 2. */
double mt_ci95(const double *v, size_t n);

/* RFC 3550 §6.4.1 interarrival jitter: J += (|D| - J)/16 over consecutive received packets,
 * where D = (R_i - R_j) - (S_i - S_j). send/recv in ns; returns the final J in ns.
 * Entries with recv < 0 (lost) are skipped. */
double mt_jitter_rfc3550(const int64_t *send_ns, const int64_t *recv_ns, size_t n);

/* Least-squares fit y = a + b x; returns 0 and slope, intercept and r² (NAN if undefined). */
int mt_linfit(const double *x, const double *y, size_t n, double *slope, double *intercept,
	      double *r2);

#endif
