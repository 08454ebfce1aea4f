/* web_common.c — shared plumbing of the web workloads (see web_common.h). */
#include "web_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migtorture/stats.h"

int64_t mt_web_now(const struct mt_ctx *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - ctx->t0_ns;
}

int mt_web_url(const struct mt_params *p, const struct mt_ctx *ctx, const char *path,
	       char **out, struct mt_error *err)
{
	const char *base = mt_param_str(p, "url");
	size_t bl;

	*out = NULL;
	if (path && strstr(path, "://")) {
		*out = strdup(path);
		return *out ? 0 : mt_err(err, MT_ENOMEM, "out of memory");
	}
	if (!base || !*base)
		base = ctx->guest_url;
	if (!base || !*base)
		return mt_err(err, MT_EINVAL,
			      "no URL: set url=http://host:port or give the cell a guest URL");
	if (!path)
		path = "/";
	bl = strlen(base);
	/* join without doubling or dropping the slash */
	if (bl && base[bl - 1] == '/' && path[0] == '/')
		bl--;
	if (asprintf(out, "%.*s%s%s", (int)bl, base, (path[0] == '/' || bl == 0) ? "" : "/",
		     path) < 0) {
		*out = NULL;
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	return 0;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

CURL *mt_web_easy(const char *url, int64_t connect_timeout_ns, int64_t timeout_ns)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "migtorture/" MT_VERSION);
	if (connect_timeout_ns > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)((connect_timeout_ns + 999999) / 1000000));
	if (timeout_ns > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)((timeout_ns + 999999) / 1000000));
	return e;
}

int mt_web_ok(CURL *easy, CURLcode rc, char *why, size_t whylen)
{
	long code = 0;

	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 400) {
		snprintf(why, whylen, "HTTP %ld", code);
		return 0;
	}
	return 1;
}

int mt_web_put_summary(struct mt_cell_result *c, const char *prefix, const double *v, size_t n,
		       int with_min, const char *absent_why)
{
	static const char *const key[] = { "mean", "p50", "p99", "max", "min" };
	size_t have = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		have += !isnan(v[i]);
	for (size_t k = 0; k < (with_min ? 5u : 4u) && rc == 0; k++) {
		char path[256];
		double x;

		snprintf(path, sizeof(path), "%s.%s", prefix, key[k]);
		if (!have) {
			rc = mt_cell_set_absent(c, path, absent_why);
			continue;
		}
		switch (k) {
		case 0: x = mt_mean(v, n); break;
		case 1: x = mt_percentile(v, n, 50); break;
		case 2: x = mt_percentile(v, n, 99); break;
		case 3: x = mt_max(v, n); break;
		default: x = mt_min(v, n); break;
		}
		rc = mt_cell_set_num(c, path, x);
	}
	return rc;
}

int mt_web_put_phase_num(struct mt_cell_result *c, const char *path, int reached, double num)
{
	if (!reached)
		return mt_cell_set_absent(c, path, "phase not reached");
	return mt_cell_set_num(c, path, num);
}
