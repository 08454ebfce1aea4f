/* web_video.c — the `video-download` workload (the thesis' "offline video"): download the
 * hosted video file again and again and measure goodput — application bytes received per
 * 100 ms bucket — so a migration shows as a dip with its depth and length.
 *
 * With range=SIZE the file is fetched in chunks of that size (HTTP Range, wrapping at the end
 * of the file, like a progressive player); a server that ignores Range answers 200 with the
 * whole file, which is fine: the bytes still count. A failed or stalled transfer (no byte for
 * `stall_timeout`) is counted and the download restarts after `retry`.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/curl_loop.h"
#include "web_common.h"

static const struct mt_option video_options[] = {
	{ "url", MT_OPT_STR, NULL, "base URL of the site (default: the cell's guest URL)", NULL,
	  0, 0, 0 },
	{ "path", MT_OPT_STR, "/video.bin", "path of the video file", NULL, 0, 0, 0 },
	{ "range", MT_OPT_SIZE, "0", "chunk size per request (HTTP Range); 0 = whole file", NULL,
	  0, 0, 0 },
	{ "bucket", MT_OPT_DURATION, "100ms", "width of a goodput sample", NULL, 1e6, 60e9, 0 },
	{ "connect_timeout", MT_OPT_DURATION, "2s", "TCP connect timeout", NULL, 1e6, 600e9, 0 },
	{ "stall_timeout", MT_OPT_DURATION, "10s",
	  "a transfer receiving nothing for this long is abandoned", NULL, 1e9, 3600e9, 0 },
	{ "retry", MT_OPT_DURATION, "100ms", "pause after a failed transfer", NULL, 0, 60e9, 0 },
	MT_OPTION_END
};

struct video {
	struct mt_ctx *ctx;
	struct mt_curl_loop *cl;
	char *url;
	uint64_t chunk;          /* 0 = whole file */
	uint64_t offset;         /* next Range start */
	uint64_t file_size;      /* from Content-Range, 0 = unknown */
	int64_t connect_timeout_ns, stall_timeout_ns, retry_ns;
	struct mt_goodput g;
	int64_t start_ns, stop_ns; /* since t0: the measured window */
	uint64_t bytes, transfers, failures;
	uint64_t timer_id;
	int timer_on;
	int stopping;
	int fatal;
	char last_error[256];
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct video *vd = arg;
	size_t len = size * nmemb;

	(void)ptr;
	if (mt_goodput_add(&vd->g, mt_web_now(vd->ctx), len) < 0) {
		vd->fatal = MT_ENOMEM;
		return 0;
	}
	vd->bytes += len;
	return len;
}

/* "Content-Range: bytes 0-99/20971520" gives the file size for the wrap-around. */
static size_t on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct video *vd = arg;
	size_t len = size * nitems;
	char line[256];
	const char *slash;

	if (len >= sizeof(line) || len < 15 || strncasecmp(buf, "Content-Range:", 14) != 0)
		return len;
	memcpy(line, buf, len);
	line[len] = '\0';
	slash = strrchr(line, '/');
	if (slash && slash[1] != '*')
		vd->file_size = strtoull(slash + 1, NULL, 10);
	return len;
}

static int start_transfer(struct video *vd);

static int on_timer(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct video *vd = arg;

	(void)loop;
	(void)now_ns;
	vd->timer_on = 0;
	if (vd->fatal)
		return vd->fatal;
	return start_transfer(vd);
}

static int later(struct video *vd, int64_t delay_ns)
{
	if (mt_loop_add_timer(vd->ctx->loop, mt_loop_now(vd->ctx->loop) + delay_ns, 0, on_timer,
			      vd, &vd->timer_id, NULL) < 0)
		return MT_ENOMEM;
	vd->timer_on = 1;
	return 0;
}

static void transfer_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct video *vd = arg;
	char why[200];
	long code = 0;
	int ok;

	(void)now_ns;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	ok = mt_web_ok(easy, rc, why, sizeof(why));
	curl_easy_cleanup(easy);
	if (vd->stopping || rc == CURLE_ABORTED_BY_CALLBACK)
		return;
	if (!ok) {
		vd->failures++;
		snprintf(vd->last_error, sizeof(vd->last_error), "%s", why);
		if (code == 416)
			vd->offset = 0; /* asked past the end (file shrank?): start over */
		if (later(vd, vd->retry_ns) < 0)
			vd->fatal = MT_ENOMEM;
		return;
	}
	vd->transfers++;
	if (vd->chunk) {
		vd->offset += vd->chunk;
		/* 200 = the server ignored Range and sent everything: start over */
		if (code == 200 || (vd->file_size && vd->offset >= vd->file_size))
			vd->offset = 0;
	}
	if (later(vd, 0) < 0)
		vd->fatal = MT_ENOMEM;
}

static int start_transfer(struct video *vd)
{
	CURL *e = mt_web_easy(vd->url, vd->connect_timeout_ns, 0);
	int rc;

	if (!e)
		return MT_ENOMEM;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, vd);
	/* Abandon a transfer that got nothing for stall_timeout: fewer than 1 byte/s. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(vd->stall_timeout_ns / 1000000000LL));
	if (vd->chunk) {
		char range[64];

		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, vd->offset,
			 vd->offset + vd->chunk - 1);
		curl_easy_setopt(e, CURLOPT_RANGE, range);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, vd);
	}
	rc = mt_curl_loop_add(vd->cl, e, transfer_done, vd, NULL);
	if (rc < 0)
		curl_easy_cleanup(e);
	return rc;
}

static void video_release(void *state)
{
	struct video *vd = state;

	if (!vd)
		return;
	vd->stopping = 1;
	if (vd->timer_on)
		mt_loop_del_timer(vd->ctx->loop, vd->timer_id);
	mt_curl_loop_free(vd->cl);
	mt_goodput_free(&vd->g);
	free(vd->url);
	free(vd);
}

static int video_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		       struct mt_error *err)
{
	struct video *vd = calloc(1, sizeof(*vd));
	int rc;

	*state = NULL;
	if (!vd)
		return mt_err(err, MT_ENOMEM, "out of memory");
	vd->ctx = ctx;
	vd->chunk = mt_param_u64(p, "range");
	vd->connect_timeout_ns = mt_param_i64(p, "connect_timeout");
	vd->stall_timeout_ns = mt_param_i64(p, "stall_timeout");
	vd->retry_ns = mt_param_i64(p, "retry");
	mt_goodput_init(&vd->g, mt_param_i64(p, "bucket"));
	vd->start_ns = mt_web_now(ctx);
	vd->stop_ns = -1;
	rc = mt_web_url(p, ctx, mt_param_str(p, "path"), &vd->url, err);
	if (rc < 0)
		goto out;
	rc = mt_curl_loop_new(ctx->loop, &vd->cl, err);
	if (rc < 0)
		goto out;
	rc = later(vd, 0);
	if (rc < 0) {
		rc = mt_err(err, rc, "out of memory");
		goto out;
	}
	*state = vd;
	vd = NULL;
out:
	video_release(vd);
	return rc;
}

static int video_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct video *vd = state;
	int rc;

	(void)ctx;
	vd->stopping = 1;
	vd->stop_ns = mt_web_now(vd->ctx);
	if (vd->timer_on) {
		mt_loop_del_timer(vd->ctx->loop, vd->timer_id);
		vd->timer_on = 0;
	}
	rc = mt_curl_loop_error(vd->cl, err);
	mt_curl_loop_free(vd->cl);
	vd->cl = NULL;
	if (rc == 0 && vd->fatal)
		rc = mt_err(err, vd->fatal, "video-download: out of memory");
	return rc;
}

static int video_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct video *vd = state;
	struct mt_cell_result *c = ctx->result;
	struct mt_series *s = mt_cell_series(c, "web.video.goodput_bps", "bit/s");
	int64_t w = vd->g.bucket_ns;
	int64_t stop = vd->stop_ns >= 0 ? vd->stop_ns : mt_web_now(ctx);
	/* whole buckets only: the first from the start on, the last ending before stop */
	size_t first = (size_t)((vd->start_ns + w - 1) / w), last = (size_t)(stop / w);
	double *v = calloc(last > first ? last - first + 2 : 2, sizeof(*v));
	int rc = 0;

	if (!s || !v) {
		rc = MT_ENOMEM;
		goto out;
	}
	for (size_t i = first; i < last; i++) {
		rc = mt_series_add(s, (int64_t)i * w, mt_goodput_bps(&vd->g, i));
		if (rc < 0)
			goto out;
	}
	for (int ph = 0; ph < MT_QOS_NPHASES; ph++) {
		int64_t a, b;
		int reached = mt_qos_phase_bounds(ctx->phases, ph, &a, &b) == 0;
		size_t m = reached ? mt_goodput_window(&vd->g, vd->start_ns, stop, a, b, v) : 0;
		char path[128];

		snprintf(path, sizeof(path), "qos.%s.video.throughput_bps", mt_qos_phase_name(ph));
		rc = mt_web_put_summary(c, path, v, m, 1,
					reached ? "phase shorter than one bucket"
						: "phase not reached");
		if (rc < 0)
			goto out;
	}
	if (mt_cell_set_num(c, "web.video.bytes", (double)vd->bytes) < 0 ||
	    mt_cell_set_num(c, "web.video.transfers", (double)vd->transfers) < 0 ||
	    mt_cell_set_num(c, "web.video.failures", (double)vd->failures) < 0 ||
	    (vd->last_error[0] &&
	     mt_cell_set_str(c, "web.video.last_error", vd->last_error) < 0))
		rc = MT_ENOMEM;
out:
	free(v);
	if (rc < 0)
		return mt_err(err, rc, "video-download: out of memory");
	return 0;
}

const struct mt_workload_ops mt_workload_video_download = {
	.base.name = "video-download",
	.base.summary = "download the video file in a loop: goodput in 100 ms buckets per phase",
	.base.options = video_options,
	.start = video_start,
	.stop = video_stop,
	.collect = video_collect,
	.release = video_release,
};
