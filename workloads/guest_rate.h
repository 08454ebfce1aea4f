/* guest_rate.h — the guest dirtier's history on the host's time line, rates over intervals, and
 * the libvirt cross-check. Pure (no VM): tested by test_guest_rate. Internal to workloads/. */
#ifndef MT_WORKLOADS_GUEST_RATE_H
#define MT_WORKLOADS_GUEST_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/plugin.h"
#include "migtorture/result.h"

/* Cumulative bytes written by the dirtier at host times (ns since the cell's t0), ascending. */
struct mt_dirty_hist {
	int64_t *t_ns;
	double *bytes;
	size_t n;
};

/* Parses `mt-guest dirty-status --samples` output. guest_now_ns is the guest's CLOCK_MONOTONIC
 * the output reports; host_now_ns (since t0) is when the host believes the guest read its clock
 * (the midpoint of the agent call): samples are shifted by their difference. Returns 0,
 * MT_EINVAL (not a status) or MT_ENOMEM. Fills *h (free with mt_dirty_hist_free). */
int mt_dirty_hist_parse(const char *json, int64_t host_now_ns, struct mt_dirty_hist *h);
void mt_dirty_hist_free(struct mt_dirty_hist *h);

/* Mean write rate (bytes/s) over [a, b) ∩ the history, interpolating the cumulative count.
 * Returns 0, or MT_ENOTFOUND when the overlap is shorter than min_ns. */
int mt_dirty_rate(const struct mt_dirty_hist *h, int64_t a, int64_t b, int64_t min_ns,
		  double *bps);

/* Mean of the series' values with a <= t < b that are > 0 (libvirt reports 0 until QEMU has
 * measured a dirty rate). Returns 0 or MT_ENOTFOUND (no such value); first_ns and last_ns (may be
 * NULL) get the times of the first and last value used. */
int mt_series_positive_mean(const struct mt_series *s, int64_t a, int64_t b, double *mean,
			    int64_t *first_ns, int64_t *last_ns);

/* guest-dirty's results into c (names: guest_stress.c, docs/results.md): integrity from
 * `mt-guest verify` JSON (NULL: absent), rates per phase and the libvirt cross-check from
 * `dirty-status --samples` JSON read at status_host_ns (since t0), with the libvirt series
 * migration.dirty_rate_pages_s already in c. Returns 0 or MT_ENOMEM/MT_EINVAL. */
int mt_guest_dirty_put(struct mt_cell_result *c, const struct mt_phases *phases,
		       const char *verify_json, const char *status_json, int64_t status_host_ns,
		       double set_Bps, double page_size);

#endif
