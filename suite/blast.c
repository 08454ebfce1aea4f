/* blast.c — matching a fault's host and device against the scenario's allow-list. */
#include <string.h>

#include "blast.h"

/* Compares the entry [e, e+n) with "host" or "host:dev". */
static int entry_matches(const char *e, size_t n, const char *host, const char *dev)
{
	size_t hl = strlen(host);
	const char *colon = memchr(e, ':', n);

	if (!colon)
		return n == hl && !strncmp(e, host, hl); /* the whole host */
	if ((size_t)(colon - e) != hl || strncmp(e, host, hl) || !dev)
		return 0;
	return n - hl - 1 == strlen(dev) && !strncmp(colon + 1, dev, n - hl - 1);
}

int mt_blast_allowed(const char *targets, const char *host, const char *dev)
{
	const char *p = targets;

	if (!targets || !host)
		return 0;
	while (*p) {
		size_t n;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n && entry_matches(p, n, host, dev))
			return 1;
		p += n;
	}
	return 0;
}
