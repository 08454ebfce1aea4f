/* web_page.c — the `web-page` workload (the thesis' "no video" scenario): load the page and
 * every asset it references, like a browser's first view, again and again.
 *
 * One page load = GET the page, find its same-site assets (src=/href=, or the `assets=` list),
 * GET them all in parallel, done when the last one ends. Its load time is from the page
 * request's start to the last asset's end; it fails when any request fails or the load takes
 * longer than `timeout`. A new load starts every `interval` (or at once when the previous one
 * took longer). Keep-alive is on by default (a browser's habit), so a migration shows up as
 * slow loads on surviving connections, not only as failed connects.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/curl_loop.h"
#include "web_common.h"

static const struct mt_option page_options[] = {
	{ "url", MT_OPT_STR, NULL, "base URL of the site (default: the cell's guest URL)", NULL,
	  0, 0, 0 },
	{ "page", MT_OPT_STR, "/index.html", "path of the page", NULL, 0, 0, 0 },
	{ "assets", MT_OPT_STR, "auto",
	  "auto (the page's src=/href= references), none, or a comma list of paths", NULL, 0, 0,
	  0 },
	{ "interval", MT_OPT_DURATION, "200ms",
	  "time between page load starts (at once when a load took longer)", NULL, 0, 3600e9,
	  0 },
	{ "timeout", MT_OPT_DURATION, "10s", "a page load taking longer fails", NULL, 1e6,
	  600e9, 0 },
	{ "connect_timeout", MT_OPT_DURATION, "2s", "TCP connect timeout of one request", NULL,
	  1e6, 600e9, 0 },
	{ "keepalive", MT_OPT_BOOL, "yes", "reuse connections between requests (as browsers do)",
	  NULL, 0, 0, 0 },
	MT_OPTION_END
};

struct load {
	int64_t start_ns; /* since t0 */
	int64_t load_ns;  /* -1 when it failed */
};

struct page {
	struct mt_ctx *ctx;
	struct mt_curl_loop *cl;
	char *page_url;
	char **fixed; size_t nfixed; /* assets= list (resolved URLs), or NULL for auto */
	int auto_assets;
	int64_t interval_ns, timeout_ns, connect_timeout_ns;
	int keepalive;
	/* the load in progress */
	int active;
	int64_t cur_start;  /* since t0 */
	int cur_failed;
	size_t pending;     /* requests of this load still open */
	char *body; size_t blen, bcap; /* the page's HTML (auto assets) */
	uint64_t timer_id;
	int timer_on;
	int stopping;
	struct load *loads; size_t n, cap;
	size_t failures;
	char last_error[256];
	int fatal;           /* an MT_E* that must stop the loop */
};

static int schedule_next(struct page *pg);

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct page *pg = arg;
	size_t len = size * nmemb;

	if (pg->blen + len + 1 > pg->bcap) {
		size_t cap = pg->bcap ? pg->bcap : 16384;
		char *b;

		while (cap < pg->blen + len + 1)
			cap *= 2;
		if (cap > (8u << 20))
			return len; /* a huge "page": keep what we have, still count the bytes */
		b = realloc(pg->body, cap);
		if (!b)
			return 0; /* curl fails the transfer: out of memory */
		pg->body = b;
		pg->bcap = cap;
	}
	memcpy(pg->body + pg->blen, ptr, len);
	pg->blen += len;
	pg->body[pg->blen] = '\0';
	return len;
}

static CURL *new_easy(struct page *pg, const char *url)
{
	int64_t left = pg->timeout_ns - (mt_web_now(pg->ctx) - pg->cur_start);
	CURL *e;

	if (left < 1000000)
		left = 1000000;
	e = mt_web_easy(url, pg->connect_timeout_ns, left);
	if (e && !pg->keepalive)
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	return e;
}

/* The load ended (all its requests finished): record it and plan the next. */
static void load_end(struct page *pg, int64_t now_ns)
{
	struct load *l;

	pg->active = 0;
	if (pg->stopping)
		return; /* cut off by stop: neither a success nor a failure */
	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 256;
		struct load *nl = realloc(pg->loads, cap * sizeof(*nl));

		if (!nl) {
			pg->fatal = MT_ENOMEM;
			return;
		}
		pg->loads = nl;
		pg->cap = cap;
	}
	l = &pg->loads[pg->n++];
	l->start_ns = pg->cur_start;
	l->load_ns = now_ns - pg->ctx->t0_ns - pg->cur_start;
	if (pg->cur_failed || l->load_ns > pg->timeout_ns) {
		l->load_ns = -1;
		pg->failures++;
	}
	if (schedule_next(pg) < 0)
		pg->fatal = MT_ENOMEM;
}

static void asset_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct page *pg = arg;
	char why[200];

	if (!mt_web_ok(easy, rc, why, sizeof(why)) && rc != CURLE_ABORTED_BY_CALLBACK) {
		pg->cur_failed = 1;
		snprintf(pg->last_error, sizeof(pg->last_error), "asset: %s", why);
	}
	curl_easy_cleanup(easy);
	if (--pg->pending == 0)
		load_end(pg, now_ns);
}

static int add_asset(struct page *pg, const char *url)
{
	CURL *e = new_easy(pg, url);
	int rc;

	if (!e)
		return MT_ENOMEM;
	rc = mt_curl_loop_add(pg->cl, e, asset_done, pg, NULL);
	if (rc < 0) {
		curl_easy_cleanup(e);
		return rc;
	}
	pg->pending++;
	return 0;
}

static void page_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct page *pg = arg;
	char why[200];
	char **found = NULL;
	int nfound = 0;

	pg->pending--;
	if (!mt_web_ok(easy, rc, why, sizeof(why))) {
		if (rc != CURLE_ABORTED_BY_CALLBACK) {
			pg->cur_failed = 1;
			snprintf(pg->last_error, sizeof(pg->last_error), "page: %s", why);
		}
		goto out;
	}
	if (pg->stopping)
		goto out;
	if (pg->auto_assets && pg->body) {
		nfound = mt_web_find_assets(pg->body, pg->blen, &found);
		if (nfound < 0) {
			pg->fatal = MT_ENOMEM;
			goto out;
		}
		for (int i = 0; i < nfound; i++) {
			char *u = mt_web_resolve(pg->page_url, found[i]);

			if (!u || add_asset(pg, u) < 0)
				pg->cur_failed = 1;
			free(u);
		}
	} else {
		for (size_t i = 0; i < pg->nfixed; i++)
			if (add_asset(pg, pg->fixed[i]) < 0)
				pg->cur_failed = 1;
	}
out:
	curl_easy_cleanup(easy);
	mt_web_strv_free(found, nfound > 0 ? (size_t)nfound : 0);
	if (pg->pending == 0)
		load_end(pg, now_ns);
}

static int on_timer(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct page *pg = arg;
	CURL *e;
	int rc;

	(void)loop;
	pg->timer_on = 0;
	if (pg->fatal)
		return pg->fatal;
	pg->active = 1;
	pg->cur_start = now_ns - pg->ctx->t0_ns;
	pg->cur_failed = 0;
	pg->blen = 0;
	e = new_easy(pg, pg->page_url);
	if (!e)
		return MT_ENOMEM;
	if (pg->auto_assets) {
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, pg);
	}
	rc = mt_curl_loop_add(pg->cl, e, page_done, pg, NULL);
	if (rc < 0) {
		curl_easy_cleanup(e);
		return rc;
	}
	pg->pending = 1;
	return 0;
}

static int schedule_next(struct page *pg)
{
	int64_t due = pg->ctx->t0_ns + pg->cur_start + pg->interval_ns;
	int64_t now = mt_loop_now(pg->ctx->loop);

	if (due < now)
		due = now;
	if (mt_loop_add_timer(pg->ctx->loop, due, 0, on_timer, pg, &pg->timer_id, NULL) < 0)
		return MT_ENOMEM;
	pg->timer_on = 1;
	return 0;
}

static void page_release(void *state)
{
	struct page *pg = state;

	if (!pg)
		return;
	pg->stopping = 1;
	if (pg->timer_on)
		mt_loop_del_timer(pg->ctx->loop, pg->timer_id);
	mt_curl_loop_free(pg->cl);
	mt_web_strv_free(pg->fixed, pg->nfixed);
	free(pg->page_url);
	free(pg->body);
	free(pg->loads);
	free(pg);
}

/* Splits the comma list of assets= into resolved URLs. */
static int fixed_assets(struct page *pg, const struct mt_params *p, const char *list,
			struct mt_error *err)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (!copy)
		return mt_err(err, MT_ENOMEM, "out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **v;

		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		v = realloc(pg->fixed, (pg->nfixed + 1) * sizeof(*v));
		if (!v) {
			rc = mt_err(err, MT_ENOMEM, "out of memory");
			goto out;
		}
		pg->fixed = v;
		rc = mt_web_url(p, pg->ctx, tok, &pg->fixed[pg->nfixed], err);
		if (rc < 0)
			goto out;
		pg->nfixed++;
	}
out:
	free(copy);
	return rc;
}

static int page_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct page *pg = calloc(1, sizeof(*pg));
	const char *assets = mt_param_str(p, "assets");
	int rc;

	*state = NULL;
	if (!pg)
		return mt_err(err, MT_ENOMEM, "out of memory");
	pg->ctx = ctx;
	pg->interval_ns = mt_param_i64(p, "interval");
	pg->timeout_ns = mt_param_i64(p, "timeout");
	pg->connect_timeout_ns = mt_param_i64(p, "connect_timeout");
	pg->keepalive = (int)mt_param_i64(p, "keepalive");
	rc = mt_web_url(p, ctx, mt_param_str(p, "page"), &pg->page_url, err);
	if (rc < 0)
		goto out;
	pg->auto_assets = strcmp(assets, "auto") == 0;
	if (!pg->auto_assets && strcmp(assets, "none") != 0) {
		rc = fixed_assets(pg, p, assets, err);
		if (rc < 0)
			goto out;
	}
	rc = mt_curl_loop_new(ctx->loop, &pg->cl, err);
	if (rc < 0)
		goto out;
	rc = mt_loop_add_timer(ctx->loop, mt_loop_now(ctx->loop), 0, on_timer, pg, &pg->timer_id,
			       err);
	if (rc < 0)
		goto out;
	pg->timer_on = 1;
	*state = pg;
	pg = NULL;
out:
	page_release(pg);
	return rc;
}

static int page_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct page *pg = state;
	int rc;

	(void)ctx;
	pg->stopping = 1;
	if (pg->timer_on) {
		mt_loop_del_timer(pg->ctx->loop, pg->timer_id);
		pg->timer_on = 0;
	}
	rc = mt_curl_loop_error(pg->cl, err);
	mt_curl_loop_free(pg->cl);
	pg->cl = NULL;
	if (rc == 0 && pg->fatal)
		rc = mt_err(err, pg->fatal, "web-page: out of memory");
	return rc;
}

static int page_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct page *pg = state;
	struct mt_cell_result *c = ctx->result;
	struct mt_series *s = mt_cell_series(c, "web.page.load_ms", "ms");
	double *v = calloc(pg->n ? pg->n : 1, sizeof(*v));
	int rc = 0;

	if (!s || !v) {
		rc = MT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pg->n; i++) {
		double ms = pg->loads[i].load_ns < 0 ? NAN : (double)pg->loads[i].load_ns / 1e6;

		rc = mt_series_add(s, pg->loads[i].start_ns, ms);
		if (rc < 0)
			goto out;
	}
	for (int ph = 0; ph < MT_QOS_NPHASES; ph++) {
		int64_t a, b;
		int reached = mt_qos_phase_bounds(ctx->phases, ph, &a, &b) == 0;
		size_t m = 0, fails = 0;
		char path[128];

		for (size_t i = 0; reached && i < pg->n; i++) {
			if (mt_qos_phase_of(ctx->phases, pg->loads[i].start_ns) != ph)
				continue;
			if (pg->loads[i].load_ns < 0)
				fails++;
			v[m++] = pg->loads[i].load_ns < 0 ? NAN
							  : (double)pg->loads[i].load_ns / 1e6;
		}
		snprintf(path, sizeof(path), "qos.%s.page.load_ms", mt_qos_phase_name(ph));
		rc = mt_web_put_summary(c, path, v, m, 0,
					reached ? "no successful page load in this phase"
						: "phase not reached");
		snprintf(path, sizeof(path), "qos.%s.page.loads", mt_qos_phase_name(ph));
		if (rc == 0)
			rc = mt_web_put_phase_num(c, path, reached, (double)m);
		snprintf(path, sizeof(path), "qos.%s.page.failures", mt_qos_phase_name(ph));
		if (rc == 0)
			rc = mt_web_put_phase_num(c, path, reached, (double)fails);
		if (rc < 0)
			goto out;
	}
	if (mt_cell_set_num(c, "web.page.loads", (double)pg->n) < 0 ||
	    mt_cell_set_num(c, "web.page.failures", (double)pg->failures) < 0 ||
	    (pg->last_error[0] && mt_cell_set_str(c, "web.page.last_error", pg->last_error) < 0))
		rc = MT_ENOMEM;
out:
	free(v);
	if (rc < 0)
		return mt_err(err, rc, "web-page: out of memory");
	return 0;
}

const struct mt_workload_ops mt_workload_web_page = {
	.base.name = "web-page",
	.base.summary = "load a page and its assets in a loop: page load time per phase, failures",
	.base.options = page_options,
	.start = page_start,
	.stop = page_stop,
	.collect = page_collect,
	.release = page_release,
};
