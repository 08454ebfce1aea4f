/* labresolve.h — what a cell's `lab:` references mean, resolved once per cell (runner only).
 *
 * A cell "uses the lab" when its source or destination is a `lab:NAME` reference. Then:
 *  - source/dest become the lab hosts' libvirt URIs, and the driver's migrate.source_address /
 *    migrate.dest_address default to the hosts' migration addresses;
 *  - probes and web workloads that name no host run in the lab's client namespace;
 *  - the guest's address and URL (ctx->guest_addr / guest_url) come from lab.json;
 *  - spec hosts `hosta`, `lab:hosta`, `client`, ... are the lab's namespaces (local hosts),
 *    and `router` is the UML router, an ssh host.
 * Otherwise everything passes through unchanged.
 *
 * The cell's `guest` key overrides the guest: `lab:guest` is the lab's (for any cell, e.g. a
 * nova cell whose VM is the lab guest), a literal address is aimed at as is, with
 * http://ADDR/ (http://[ADDR]/ for IPv6) as its URL. The cell's `client` key is the runner's
 * to resolve (it may name a [host:NAME] section, which only the scenario knows).
 */
#ifndef MT_LABRESOLVE_H
#define MT_LABRESOLVE_H

#include "migtorture/error.h"
#include "migtorture/host.h"
#include "migtorture/option.h"
#include "migtorture/scenario.h"

#define MT_LABRES_MAXHOSTS 8

struct mt_labres {
	int uses_lab;
	char *src_uri, *dst_uri;   /* what the driver connects to */
	struct mt_params migrate;  /* the cell's migrate.* keys plus the resolved addresses */
	struct mt_host client;     /* where probes and web workloads run (uses_lab only) */
	char *guest_addr, *guest_url;
	struct mt_host hosts[MT_LABRES_MAXHOSTS]; /* lab hosts named by specs, resolved lazily */
	size_t nhosts;
};

/* Resolves the cell's references into r (zeroed by the caller; free it with mt_labres_free
 * even on error). Errors: MT_EINFRA when the cell uses the lab, or says guest = lab:guest,
 * and the lab is not up (the message says how to start it). */
int mt_labres_cell(const struct mt_cell *cell, struct mt_labres *r, struct mt_error *err);

/* Turns the cell around: source and destination (URIs and the driver's migration addresses)
 * change places, for a VM that runs on the destination when the cell starts. */
int mt_labres_swap(struct mt_labres *r, struct mt_error *err);

/* The lab host a spec names (`hosta`, `lab:hosta`, `client`, `router`, ...), or NULL with err
 * set when it is not a lab host or the lab is not up. Owned by r. */
const struct mt_host *mt_labres_host(struct mt_labres *r, const char *name,
				     struct mt_error *err);

/* 1 when name could only mean a lab host (`lab:X` or one of the lab's host names). */
int mt_labres_is_lab_name(const char *name);

void mt_labres_free(struct mt_labres *r);

/* The web root of a guest at addr as a URL wants it — "http://ADDR/", an IPv6 address
 * bracketed (RFC 3986) — malloc'd, or NULL when out of memory. */
char *mt_guest_web_root(const char *addr);

#endif
