/* blast.h — the blast radius: may this fault touch this host and device?
 * (docs/architecture.md §6)
 *
 * Faults act only on targets inside the lab's namespaces (lab hosts), or on targets the
 * scenario names in its `targets` allow-list, or anywhere with --allow-host-faults. The list is
 * comma- or space-separated entries `HOST` (anything on that host) or `HOST:DEV` (that device
 * on that host; DEV is the fault's dev= parameter), where HOST is `local` or a [host:NAME]
 * section. A fault without a dev= parameter (e.g. an OSD fault) needs a `HOST` entry.
 */
#ifndef MT_BLAST_H
#define MT_BLAST_H

#include <stddef.h>

/* 1 when targets allows host (with device dev, may be NULL), else 0. */
int mt_blast_allowed(const char *targets, const char *host, const char *dev);

#endif
