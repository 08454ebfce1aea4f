/* web_model.h — the pure parts of the web workloads (no curl, no loop, no I/O), so they can be
 * unit-tested exactly: goodput buckets, the playout buffer of the video stream,
 * and the asset list of a page.
 *
 * Internal to workloads/web_*.c (and tests/unit/test_web.c); not a public contract.
 */
#ifndef MT_WEB_MODEL_H
#define MT_WEB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/error.h"

/* Phases come from migtorture/qos.h (mt_qos_phase_of, mt_qos_phase_bounds). */

/* Length of the overlap of [a, b) with [c, d) (0 when disjoint). */
int64_t mt_web_overlap(int64_t a, int64_t b, int64_t c, int64_t d);

/* --- goodput in fixed buckets (video-download) --- */
struct mt_goodput {
	int64_t bucket_ns;  /* width of a bucket (100 ms default) */
	uint64_t *bytes;    /* bytes received in bucket i = [i*w, (i+1)*w) since cell start */
	size_t n, cap;      /* n = 1 + highest bucket touched */
};

/* Prepares g (zeroed by the caller) with a bucket width > 0. */
void mt_goodput_init(struct mt_goodput *g, int64_t bucket_ns);
/* Adds bytes received at t_ns (ns since cell start; t < 0 counts in bucket 0). Returns 0 or
 * MT_ENOMEM. */
int mt_goodput_add(struct mt_goodput *g, int64_t t_ns, uint64_t bytes);
/* Goodput of bucket i in bit/s. */
double mt_goodput_bps(const struct mt_goodput *g, size_t i);
/* Goodput (bit/s) of every bucket lying wholly inside both the measured window [from, to) and
 * the phase [a, b), in time order, into out (room for (to - from) / width + 1 values). A bucket
 * cut by the window or a phase boundary is left out: a half-measured bucket would read as a
 * dip. Returns the count. */
size_t mt_goodput_window(const struct mt_goodput *g, int64_t from_ns, int64_t to_ns, int64_t a,
			 int64_t b, double *out);
void mt_goodput_free(struct mt_goodput *g);

/* --- playout buffer (video-stream) ---
 * Media arrives in whole segments of seg_ns each. Playback starts once `startup_ns` of media is
 * buffered and drains the buffer at real time; when it empties, a stall begins, and playback
 * resumes when startup_ns is buffered again (the usual player rule). Times are ns since cell
 * start and must not decrease. */
struct mt_stall {
	int64_t start_ns, end_ns; /* end_ns = -1 while the stall lasts */
};

struct mt_playout {
	int64_t seg_ns, startup_ns;
	int64_t t_ns;         /* time the state below refers to */
	int64_t level_ns;     /* media buffered at t_ns */
	int playing;          /* 1 playing, 0 waiting (start-up or stalled) */
	int64_t req0_ns;      /* when the first segment was asked for (start-up reference) */
	int64_t play_start_ns;/* first playback start, -1 before */
	struct mt_stall *stalls; size_t nstalls, capstalls;
};

/* Starts the model at t0_ns (the first request). */
void mt_playout_init(struct mt_playout *p, int64_t seg_ns, int64_t startup_ns, int64_t t0_ns);
/* Moves time forward to t_ns: drains while playing; opens a stall at the exact moment the
 * buffer empties. Returns 0 or MT_ENOMEM. */
int mt_playout_advance(struct mt_playout *p, int64_t t_ns);
/* One whole segment arrived at t_ns. Returns 0 or MT_ENOMEM. */
int mt_playout_arrival(struct mt_playout *p, int64_t t_ns);
/* Closes an open stall at t_ns (end of measurement). */
int mt_playout_finish(struct mt_playout *p, int64_t t_ns);
/* When the buffer will have dropped to level_ns if nothing arrives (t_ns itself when it is
 * already at or below, INT64_MAX when not playing). */
int64_t mt_playout_when_level(const struct mt_playout *p, int64_t level_ns);
/* Stalls that began in [a, b) and total stall time overlapping [a, b) (open stalls count up
 * to p->t_ns). */
void mt_playout_stalls_in(const struct mt_playout *p, int64_t a, int64_t b, unsigned *count,
			  int64_t *total_ns);
void mt_playout_free(struct mt_playout *p);

/* --- page assets (web-page) --- */
/* Finds what a browser's first view of the page fetches from the same site: src= of img,
 * script, iframe, embed, input and href= of link (double or single quotes), leaving out
 * absolute URLs (a scheme or //host), fragments, mailto:/data:/javascript:, <a href>
 * (navigation) and video/audio/source (media streams). Duplicates are removed.
 * *out receives a malloc'd array of malloc'd strings (caller frees with mt_web_strv_free).
 * Returns the count (>= 0) or MT_ENOMEM. */
int mt_web_find_assets(const char *html, size_t len, char ***out);
void mt_web_strv_free(char **v, size_t n);

/* Resolves ref (as found in a page) against the page URL: "/x" → scheme://host/x,
 * "x" → directory of page + x. Returns a malloc'd URL or NULL (ENOMEM). */
char *mt_web_resolve(const char *page_url, const char *ref);

/* Replaces "{n}" in tmpl with n and "{kbps}" with kbps (a URL template for segments, e.g.
 * "/cgi-bin/seg?n={n}&kbps={kbps}&dur=2"). Returns a malloc'd string or NULL. */
char *mt_web_expand(const char *tmpl, uint64_t n, uint64_t kbps, uint64_t dur_s);

#endif
