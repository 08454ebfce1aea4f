/* web_stream.c — the `video-stream` workload (the thesis' "online video"): a segment player.
 *
 * Segments of `segment` seconds at `bitrate` are fetched one after another from a URL template
 * (the server produces them, e.g. /cgi-bin/seg?n={n}&kbps={kbps}&dur={dur}). The player keeps
 * at most `buffer` seconds ahead: it asks for the next segment as soon as it fits. Playback
 * starts once `startup` is buffered; when the buffer runs dry the player stalls until `startup`
 * is buffered again. The playout model (web_model.c) computes the exact stall instants from
 * the arrival times; a timer only samples the buffer level for the series.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/curl_loop.h"
#include "web_common.h"

static const struct mt_option stream_options[] = {
	{ "url", MT_OPT_STR, NULL, "base URL of the site (default: the cell's guest URL)", NULL,
	  0, 0, 0 },
	{ "segment_path", MT_OPT_STR, "/cgi-bin/seg?n={n}&kbps={kbps}&dur={dur}",
	  "segment URL template: {n} segment number, {kbps} bitrate in kbit/s, {dur} seconds",
	  NULL, 0, 0, 0 },
	{ "bitrate", MT_OPT_BITRATE, "2M", "video bitrate asked of the server", NULL, 1e3, 1e10,
	  0 },
	{ "segment", MT_OPT_DURATION, "2s", "media duration of one segment", NULL, 1e8, 600e9, 0 },
	{ "buffer", MT_OPT_DURATION, "10s", "most media the player buffers ahead", NULL, 1e8,
	  3600e9, 0 },
	{ "startup", MT_OPT_DURATION, "2s",
	  "media buffered before playback starts, and before it resumes after a stall", NULL,
	  1e6, 3600e9, 0 },
	{ "timeout", MT_OPT_DURATION, "10s", "a segment taking longer fails and is asked again",
	  NULL, 1e6, 600e9, 0 },
	{ "connect_timeout", MT_OPT_DURATION, "2s", "TCP connect timeout", NULL, 1e6, 600e9, 0 },
	{ "retry", MT_OPT_DURATION, "100ms", "pause before asking a failed segment again", NULL,
	  0, 60e9, 0 },
	{ "sample", MT_OPT_DURATION, "100ms", "interval of the buffer-level series", NULL, 1e6,
	  60e9, 0 },
	MT_OPTION_END
};

struct stream {
	struct mt_ctx *ctx;
	struct mt_curl_loop *cl;
	char *tmpl_url;          /* full segment URL with {n} {kbps} {dur} still in it (owned) */
	uint64_t kbps, dur_s;
	int64_t seg_ns, buffer_ns, startup_ns, timeout_ns, connect_timeout_ns, retry_ns;
	int64_t sample_ns;
	struct mt_playout model;
	struct mt_series *level; /* web.stream.buffer_s */
	uint64_t next_seg;
	uint64_t segments, failures;
	int64_t stop_ns;
	uint64_t fetch_timer, sample_timer;
	int fetch_on, sample_on;
	int stopping;
	int fatal;
	char last_error[256];
};

static int fetch(struct stream *st);

static int on_fetch_timer(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct stream *st = arg;

	(void)loop;
	(void)now_ns;
	st->fetch_on = 0;
	if (st->fatal)
		return st->fatal;
	return fetch(st);
}

static int fetch_at(struct stream *st, int64_t mono_ns)
{
	if (mt_loop_add_timer(st->ctx->loop, mono_ns, 0, on_fetch_timer, st, &st->fetch_timer,
			      NULL) < 0)
		return MT_ENOMEM;
	st->fetch_on = 1;
	return 0;
}

static int on_sample(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct stream *st = arg;
	int64_t t = now_ns - st->ctx->t0_ns;

	(void)loop;
	if (mt_playout_advance(&st->model, t) < 0 ||
	    mt_series_add(st->level, t, (double)st->model.level_ns / 1e9) < 0)
		return MT_ENOMEM;
	return st->fatal;
}

static void seg_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct stream *st = arg;
	char why[200];
	int ok = mt_web_ok(easy, rc, why, sizeof(why));
	int64_t t = now_ns - st->ctx->t0_ns, when;

	curl_easy_cleanup(easy);
	if (st->stopping || rc == CURLE_ABORTED_BY_CALLBACK)
		return;
	if (!ok) {
		st->failures++;
		snprintf(st->last_error, sizeof(st->last_error), "segment %llu: %s",
			 (unsigned long long)st->next_seg, why);
		if (fetch_at(st, now_ns + st->retry_ns) < 0)
			st->fatal = MT_ENOMEM;
		return;
	}
	st->segments++;
	st->next_seg++;
	if (mt_playout_arrival(&st->model, t) < 0 ||
	    mt_series_add(st->level, t, (double)st->model.level_ns / 1e9) < 0) {
		st->fatal = MT_ENOMEM;
		return;
	}
	/* Ask for the next segment as soon as it fits into the buffer. */
	when = mt_playout_when_level(&st->model, st->buffer_ns - st->seg_ns);
	if (st->model.level_ns + st->seg_ns <= st->buffer_ns || when == INT64_MAX)
		when = t;
	if (fetch_at(st, st->ctx->t0_ns + when) < 0)
		st->fatal = MT_ENOMEM;
}

static int fetch(struct stream *st)
{
	char *url = mt_web_expand(st->tmpl_url, st->next_seg, st->kbps, st->dur_s);
	CURL *e = NULL;
	int rc = 0;

	if (!url) {
		rc = MT_ENOMEM;
		goto out;
	}
	e = mt_web_easy(url, st->connect_timeout_ns, st->timeout_ns);
	if (!e) {
		rc = MT_ENOMEM;
		goto out;
	}
	rc = mt_curl_loop_add(st->cl, e, seg_done, st, NULL);
	if (rc == 0)
		e = NULL;
out:
	if (e)
		curl_easy_cleanup(e);
	free(url);
	return rc;
}

static void stream_release(void *state)
{
	struct stream *st = state;

	if (!st)
		return;
	st->stopping = 1;
	if (st->fetch_on)
		mt_loop_del_timer(st->ctx->loop, st->fetch_timer);
	if (st->sample_on)
		mt_loop_del_timer(st->ctx->loop, st->sample_timer);
	mt_curl_loop_free(st->cl);
	mt_playout_free(&st->model);
	free(st->tmpl_url);
	free(st);
}

static int stream_check(const struct mt_params *p, struct mt_error *err)
{
	int64_t seg = mt_param_i64(p, "segment"), buf = mt_param_i64(p, "buffer");
	int64_t startup = mt_param_i64(p, "startup");

	if (buf < seg)
		return mt_err(err, MT_EINVAL, "buffer must hold at least one segment");
	if (startup > buf)
		return mt_err(err, MT_EINVAL, "startup must not exceed buffer: playback would "
					      "never start");
	return 0;
}

static int stream_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			struct mt_error *err)
{
	struct stream *st = calloc(1, sizeof(*st));
	int64_t now = mt_loop_now(ctx->loop);
	int rc;

	*state = NULL;
	if (!st)
		return mt_err(err, MT_ENOMEM, "out of memory");
	st->ctx = ctx;
	st->kbps = mt_param_u64(p, "bitrate") / 1000;
	st->seg_ns = mt_param_i64(p, "segment");
	st->dur_s = (uint64_t)((st->seg_ns + 500000000LL) / 1000000000LL);
	st->buffer_ns = mt_param_i64(p, "buffer");
	st->startup_ns = mt_param_i64(p, "startup");
	st->timeout_ns = mt_param_i64(p, "timeout");
	st->connect_timeout_ns = mt_param_i64(p, "connect_timeout");
	st->retry_ns = mt_param_i64(p, "retry");
	st->sample_ns = mt_param_i64(p, "sample");
	st->stop_ns = -1;
	mt_playout_init(&st->model, st->seg_ns, st->startup_ns, now - ctx->t0_ns);
	rc = stream_check(p, err);
	if (rc < 0)
		goto out;
	/* the parameters are the runner's: keep our own copy of what fetch needs */
	rc = mt_web_url(p, ctx,
			mt_param_str(p, "segment_path"),
			&st->tmpl_url, err);
	if (rc < 0)
		goto out;
	st->level = mt_cell_series(ctx->result, "web.stream.buffer_s", "s");
	if (!st->level) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = mt_curl_loop_new(ctx->loop, &st->cl, err);
	if (rc < 0)
		goto out;
	rc = fetch(st);
	if (rc < 0) {
		rc = mt_err(err, rc, "video-stream: cannot ask for the first segment");
		goto out;
	}
	rc = mt_loop_add_timer(ctx->loop, now + st->sample_ns, st->sample_ns, on_sample, st,
			       &st->sample_timer, err);
	if (rc < 0)
		goto out;
	st->sample_on = 1;
	*state = st;
	st = NULL;
out:
	stream_release(st);
	return rc;
}

static int stream_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct stream *st = state;
	int rc;

	(void)ctx;
	st->stopping = 1;
	st->stop_ns = mt_web_now(st->ctx);
	if (st->fetch_on) {
		mt_loop_del_timer(st->ctx->loop, st->fetch_timer);
		st->fetch_on = 0;
	}
	if (st->sample_on) {
		mt_loop_del_timer(st->ctx->loop, st->sample_timer);
		st->sample_on = 0;
	}
	rc = mt_curl_loop_error(st->cl, err);
	mt_curl_loop_free(st->cl);
	st->cl = NULL;
	if (mt_playout_finish(&st->model, st->stop_ns) < 0 && rc == 0)
		rc = mt_err(err, MT_ENOMEM, "out of memory");
	if (rc == 0 && st->fatal)
		rc = mt_err(err, st->fatal, "video-stream: out of memory");
	return rc;
}

static int stream_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct stream *st = state;
	struct mt_cell_result *c = ctx->result;
	unsigned count;
	int64_t total;
	int rc = 0;

	if (st->model.play_start_ns >= 0)
		rc = mt_cell_set_num(c, "web.stream.startup_ms",
				     (double)(st->model.play_start_ns - st->model.req0_ns) / 1e6);
	else
		rc = mt_cell_set_absent(c, "web.stream.startup_ms", "playback never started");
	mt_playout_stalls_in(&st->model, INT64_MIN, INT64_MAX, &count, &total);
	if (rc == 0)
		rc = mt_cell_set_num(c, "web.stream.stall_count", count);
	if (rc == 0)
		rc = mt_cell_set_num(c, "web.stream.stall_ms", (double)total / 1e6);
	for (int ph = 0; ph < MT_QOS_NPHASES && rc == 0; ph++) {
		int64_t a, b;
		int reached = mt_qos_phase_bounds(ctx->phases, ph, &a, &b) == 0;
		char path[128];

		if (reached)
			mt_playout_stalls_in(&st->model, a, b, &count, &total);
		snprintf(path, sizeof(path), "qos.%s.stream.stall_count", mt_qos_phase_name(ph));
		rc = mt_web_put_phase_num(c, path, reached, count);
		snprintf(path, sizeof(path), "qos.%s.stream.stall_ms", mt_qos_phase_name(ph));
		if (rc == 0)
			rc = mt_web_put_phase_num(c, path, reached, (double)total / 1e6);
	}
	if (rc == 0 && (mt_cell_set_num(c, "web.stream.segments", (double)st->segments) < 0 ||
			mt_cell_set_num(c, "web.stream.failures", (double)st->failures) < 0 ||
			(st->last_error[0] &&
			 mt_cell_set_str(c, "web.stream.last_error", st->last_error) < 0)))
		rc = MT_ENOMEM;
	if (rc < 0)
		return mt_err(err, rc, "video-stream: out of memory");
	return 0;
}

const struct mt_workload_ops mt_workload_video_stream = {
	.base.name = "video-stream",
	.base.summary = "segment player at a set bitrate with a playout buffer: stalls per phase",
	.base.options = stream_options,
	.base.check = stream_check,
	.start = stream_start,
	.stop = stream_stop,
	.collect = stream_collect,
	.release = stream_release,
};
