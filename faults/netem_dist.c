/* netem_dist.c — netem distribution tables (see netem_dist.h).
 *
 * Same arithmetic as iproute2's NIST Net derived generators (public domain), so the tables
 * equal the .dist files tc ships (the unit test compares them when they are installed):
 *  - normal: walk x over [-10, 10.05) in steps of 0.00005, record x at index
 *    rint(16384 * Phi(x)); keep every 4th index, scaled by 8192.
 *  - pareto (a = 3): 1 / u^(1/a) - 1.5, scaled by 4/3 * 8192, for u = i/65536, i = 65536 down
 *    in steps of 16.
 *  - paretonormal: (normal + 3 * pareto) / 4 per entry.
 */
#include "netem_dist.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_sched.h>

#include "migtorture/error.h"

#define FULL 16384 /* iproute2's TABLESIZE before taking every 4th entry */

static double phi(double x)
{
	return 0.5 + 0.5 * erf(x / sqrt(2.0));
}

static int clamp16(long v)
{
	return v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : (int)v;
}

/* Inverse normal CDF sampled at FULL+1 points. The accumulation in x is kept as iproute2 does
 * it (x += step), so rounding matches its tables bit for bit. */
static void normal_full(double *table)
{
	for (double x = -10.0; x < 10.05; x += .00005) {
		long i = lrint(FULL * phi(x));
		table[i] = x;
	}
}

/* Pareto entry for index i of the 4096-entry table. */
static int pareto_at(int i)
{
	double u = (double)(65536 - 16 * i) / 65536.0;
	double v = (1.0 / pow(u, 1.0 / 3.0) - 1.5) * (4.0 / 3.0) * NETEM_DIST_SCALE;

	if (v > 32767)
		v = 32767;
	return (int)lrint(v);
}

int mt_netem_dist_table(const char *name, int16_t *out)
{
	double *full = NULL; /* 131 KB: off the stack */
	int normal = strcmp(name, "normal") == 0, pareto = strcmp(name, "pareto") == 0;
	int pn = strcmp(name, "paretonormal") == 0;

	if (!normal && !pareto && !pn)
		return MT_EINVAL;
	if (normal || pn) {
		full = calloc(FULL + 1, sizeof(*full));
		if (!full)
			return MT_ENOMEM;
		normal_full(full);
	}
	for (int k = 0; k < MT_NETEM_DIST_LEN; k++) {
		long nv = normal || pn ? lrint(full[4 * k] * NETEM_DIST_SCALE) : 0;
		long v;

		if (normal)
			v = clamp16(nv);
		else if (pareto)
			v = pareto_at(k);
		else
			v = clamp16((nv + 3 * pareto_at(k)) / 4);
		out[k] = (int16_t)v;
	}
	free(full);
	return 0;
}
