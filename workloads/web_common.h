/* web_common.h — plumbing shared by the three web workloads (web_page.c, web_video.c,
 * web_stream.c): URLs, easy handles, clocks, per-phase metric writing. Internal. */
#ifndef MT_WEB_COMMON_H
#define MT_WEB_COMMON_H

#include <curl/curl.h>
#include <stdint.h>

#include "migtorture/plugin.h"
#include "migtorture/qos.h"
#include "web_model.h"

/* Monotonic ns since the cell's t0 (the time base of series and phases). */
int64_t mt_web_now(const struct mt_ctx *ctx);

/* The URL of path on the site: base is the `url` option when set, else ctx->guest_url.
 * path may itself be absolute (http://...), then it is used as is. Returns 0 and a malloc'd
 * *out, or MT_EINVAL when no base is known. */
int mt_web_url(const struct mt_params *p, const struct mt_ctx *ctx, const char *path,
	       char **out, struct mt_error *err);

/* A GET easy handle for url with the given timeouts (0 = none), no signals, no redirects,
 * body discarded unless the caller sets its own WRITEFUNCTION. NULL on ENOMEM. */
CURL *mt_web_easy(const char *url, int64_t connect_timeout_ns, int64_t timeout_ns);

/* Whether a finished transfer succeeded (CURLE_OK and HTTP 2xx/3xx, or 206). Fills why with
 * the failure ("HTTP 503", curl's text) when it did not. */
int mt_web_ok(CURL *easy, CURLcode rc, char *why, size_t whylen);

/* Writes <prefix>.mean, .p50, .p99, .max (and .min when with_min) of v[0..n) (NAN entries
 * ignored) into c; all absent with `absent_why` when there is no value. Returns 0 or ENOMEM. */
int mt_web_put_summary(struct mt_cell_result *c, const char *prefix, const double *v, size_t n,
		       int with_min, const char *absent_why);

/* Sets <path> to num, or absent "phase not reached" when reached == 0. */
int mt_web_put_phase_num(struct mt_cell_result *c, const char *path, int reached, double num);

#endif
