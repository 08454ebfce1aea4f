/* guest_disk.h — guest-disk's results from `mt-guest disk-status --samples` (pure: tested
 * without a VM by test_guest_disk). Internal to workloads/. */
#ifndef MT_WORKLOADS_GUEST_DISK_H
#define MT_WORKLOADS_GUEST_DISK_H

#include <stdint.h>

#include "migtorture/plugin.h"
#include "migtorture/result.h"

/* Puts the series guest_disk.latency_ms and the guest_disk.* metrics (names: guest_disk.c,
 * docs/results.md) into c from the status JSON read at host time status_host_ns (since t0; the
 * guest's now_mono_ns maps to it). A write taking >= stall_ns is a stall; per-phase figures
 * when ph has a migration phase. Returns 0, MT_EINVAL (not a status) or MT_ENOMEM. */
int mt_guest_disk_put(struct mt_cell_result *c, const struct mt_phases *ph, const char *json,
		      int64_t status_host_ns, int64_t stall_ns);

#endif
