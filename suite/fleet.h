/* fleet.h — several VMs moved in one migration hop through one driver (`domain = web web2`,
 * `migrate.concurrency = K`; docs/evacuation.md). The runner drives a fleet as it drives any
 * driver: mt_fleet_ops behind the driver's own name and options. Each VM has the driver's own
 * state and a result of its own, folded into the cell's under vm.NAME. at collect. */
#ifndef MT_FLEET_H
#define MT_FLEET_H

#include <stddef.h>

#include "migtorture/plugin.h"

#define MT_FLEET_MAX 16 /* VMs a cell may name */

/* Splits a `domain` value at blanks into malloc'd names (*names NULL-terminated, free with
 * mt_domains_free). Returns how many (0 for a blank value), or -1 on ENOMEM. */
int mt_domains_split(const char *list, char ***names);
void mt_domains_free(char **names);
/* Sorts a NULL-terminated list of malloc'd names in place and keeps each name once (the
 * repeats freed): how a host's VMs are listed for migrate.evacuate. */
void mt_domains_sort(char **names);

/* The ops a fleet cell runs with: the fleet's life cycle under inner's name, options, check
 * and supported (*out is filled; it must outlive the state). prepare is NULL: a fleet state is
 * made by mt_fleet_prepare, which needs the inner driver and the names. */
void mt_fleet_ops(const struct mt_driver_ops *inner, struct mt_driver_ops *out);

/* Prepares inner once per name (ctx copied, its domain the name, its result the VM's own);
 * ctx must stay valid (and is re-read: t0, vm_uri) until release. At most concurrency hops run
 * at once (≥ 1), the rest wait in the order named. 0, or the first VM's prepare error (named),
 * nothing left prepared. */
int mt_fleet_prepare(const struct mt_driver_ops *inner, const struct mt_params *p,
		     struct mt_ctx *ctx, char *const *names, int concurrency, void **state,
		     struct mt_error *err);

#endif
