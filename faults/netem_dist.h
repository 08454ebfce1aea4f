/* netem_dist.h — netem delay distribution tables, generated in code the way iproute2's
 * netem/normal.c, pareto.c and paretonormal.c generate the .dist files tc loads (private to
 * faults/; no data file needed on the fault's host). */
#ifndef MT_FAULTS_NETEM_DIST_H
#define MT_FAULTS_NETEM_DIST_H

#include <stddef.h>
#include <stdint.h>

/* Entries in every generated table (iproute2: TABLESIZE 16384, every 4th value). */
#define MT_NETEM_DIST_LEN 4096

/* Fills out[MT_NETEM_DIST_LEN] with the inverse CDF of name ("normal", "pareto",
 * "paretonormal"), scaled by NETEM_DIST_SCALE (8192) and clamped to int16. Returns 0, MT_ENOMEM, or
 * MT_EINVAL for an unknown name. */
int mt_netem_dist_table(const char *name, int16_t *out);

#endif
