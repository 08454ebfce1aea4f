/* netem-dist.c — prints the delay distribution table migtorture sends to the kernel for one
 * netem distribution (faults/netem_dist.c), as whitespace-separated int16 values.
 *
 *   netem-dist normal|pareto|paretonormal
 *
 * bench/netem-accuracy derives the theoretical delay spread from it: the kernel's tabledist()
 * (net/sched/sch_netem.c) returns mu + sigma * t / 8192 for a table entry t picked uniformly,
 * so the added delay's sd is sigma * sd(table) / 8192 — exactly, for the table actually used. */
#include <stdio.h>
#include <stdlib.h>

#include "netem_dist.h"

int main(int argc, char **argv)
{
	int16_t *t = malloc(MT_NETEM_DIST_LEN * sizeof(*t));
	int rc = 2;

	if (argc != 2 || !t) {
		fprintf(stderr, "usage: netem-dist normal|pareto|paretonormal\n");
		goto out;
	}
	if (mt_netem_dist_table(argv[1], t) < 0) {
		fprintf(stderr, "netem-dist: unknown distribution '%s'\n", argv[1]);
		goto out;
	}
	for (size_t i = 0; i < MT_NETEM_DIST_LEN; i++)
		printf("%d%c", t[i], i % 16 == 15 ? '\n' : ' ');
	rc = 0;
out:
	free(t);
	return rc;
}
