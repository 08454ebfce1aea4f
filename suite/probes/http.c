/* probes/http.c — the `http` probe: a NEW HTTP request every interval (10 ms default) whether or
 * not earlier ones returned, each on a fresh connection (CURLOPT_FORBID_REUSE), with short
 * connect/total timeouts. A kept-alive connection would hide an outage as one delay spike and
 * a request-after-reply loop would send nothing while the server is gone (docs/lab.md,
 * "Measured facts"); both make the outage unmeasurable, so neither is done here.
 *
 * Per request: send time, RTT (curl's total time), HTTP status, curl error. A request counts as
 * answered when curl completed it with a 2xx/3xx status within the timeout. The QoS math (phase
 * split, summaries, outage) is the shared one of migtorture/qos.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "grow.h"
#include "migtorture/curl_loop.h"
#include "migtorture/plugin.h"
#include "migtorture/qos.h"

static const char *const primary_modes[] = { "auto", "yes", "no", NULL };

static const struct mt_option http_options[] = {
	{ "url", MT_OPT_STR, NULL,
	  "full URL to probe (default: the cell's guest URL + path)", NULL, 0, 0, 0 },
	{ "path", MT_OPT_STR, "/", "path appended to the guest URL", NULL, 0, 0, 0 },
	{ "interval", MT_OPT_DURATION, "10ms",
	  "time between request starts (a new request each time, replies or not)", NULL,
	  1e6, 10e9, 0 },
	{ "connect_timeout", MT_OPT_DURATION, "500ms",
	  "TCP connect timeout of one request", NULL, 1e6, 60e9, 0 },
	{ "timeout", MT_OPT_DURATION, "1s",
	  "total timeout of one request; a later reply counts as lost", NULL, 1e6, 60e9, 0 },
	{ "max_inflight", MT_OPT_INT, "1000",
	  "requests open at once (capped below the fd limit); one over the limit is not sent "
	  "and counts as lost",
	  NULL, 1, 100000, 0 },
	{ "qos", MT_OPT_ENUM, "auto",
	  "write qos.* and downtime.network_outage_ms from this probe: auto (udp > icmp > http), yes, no",
	  primary_modes, 0, 0, 0 },
	MT_OPTION_END
};

enum req_state { REQ_OPEN, REQ_OK, REQ_FAILED, REQ_ABORTED };

struct req {
	int64_t send_ns; /* since t0 */
	int64_t rtt_ns;  /* curl's total time; valid when REQ_OK */
	long status;     /* HTTP status, 0 when none */
	int curl_rc;     /* CURLcode */
	enum req_state state;
};

struct http_probe {
	struct mt_ctx *ctx;
	struct mt_curl_loop *cl;
	char *url;
	int64_t interval_ns, connect_timeout_ns, timeout_ns;
	long max_inflight;
	char qos_mode[8];    /* copy of qos= (the parameters are the runner's) */
	uint64_t timer_id;
	int timer_on;
	int64_t stop_ns;     /* since t0, when stop ran (0 = not yet) */
	struct req *r;
	size_t n, cap;
	size_t transport_errors, status_errors, not_sent;
	char last_error[256];
};

/* Identifies one request to its done callback (the sample array may move). */
struct req_ref {
	struct http_probe *hp;
	size_t i;
};

static int64_t rel_now(const struct http_probe *hp, int64_t mono_ns)
{
	return mono_ns - hp->ctx->t0_ns;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

static void on_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct req_ref *ref = arg;
	struct http_probe *hp = ref->hp;
	struct req *q = &hp->r[ref->i];
	curl_off_t total_us = 0;

	(void)now_ns;
	q->curl_rc = rc;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &q->status);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		q->state = REQ_ABORTED;
	} else if (rc != CURLE_OK) {
		q->state = REQ_FAILED;
		hp->transport_errors++;
		snprintf(hp->last_error, sizeof(hp->last_error), "%s", curl_easy_strerror(rc));
	} else if (q->status < 200 || q->status >= 400) {
		q->state = REQ_FAILED;
		hp->status_errors++;
		snprintf(hp->last_error, sizeof(hp->last_error), "HTTP %ld", q->status);
	} else {
		/* curl's own timer: from the transfer's start to its end, free of our loop's
		 * dispatch delay. */
		curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
		q->rtt_ns = (int64_t)total_us * 1000;
		q->state = REQ_OK;
	}
	curl_easy_cleanup(easy);
	free(ref);
}

static int on_tick(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct http_probe *hp = arg;
	struct req *q;
	struct req_ref *ref = NULL;
	CURL *e = NULL;
	struct mt_error err = { 0 };
	int rc;

	(void)loop;
	rc = mt_curl_loop_error(hp->cl, &err);
	if (rc < 0)
		return rc;
	if (mt_grow((void **)&hp->r, &hp->cap, hp->n, sizeof(*hp->r)) < 0)
		return MT_ENOMEM;
	q = &hp->r[hp->n];
	memset(q, 0, sizeof(*q));
	q->send_ns = rel_now(hp, now_ns);
	q->state = REQ_FAILED;
	hp->n++;
	if (mt_curl_loop_running(hp->cl) >= (size_t)hp->max_inflight) {
		hp->not_sent++;
		snprintf(hp->last_error, sizeof(hp->last_error), "not sent: %ld requests open",
			 hp->max_inflight);
		return 0;
	}
	e = curl_easy_init();
	ref = malloc(sizeof(*ref));
	if (!e || !ref) {
		rc = MT_ENOMEM;
		goto out;
	}
	ref->hp = hp;
	ref->i = hp->n - 1;
	curl_easy_setopt(e, CURLOPT_URL, hp->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(hp->connect_timeout_ns / 1000000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(hp->timeout_ns / 1000000));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "migtorture-probe/" MT_VERSION);
	q->state = REQ_OPEN;
	rc = mt_curl_loop_add(hp->cl, e, on_done, ref, &err);
	if (rc < 0) {
		q->state = REQ_FAILED;
		goto out;
	}
	e = NULL;
	ref = NULL;
out:
	if (e)
		curl_easy_cleanup(e);
	free(ref);
	return rc;
}

static void http_release(void *state)
{
	struct http_probe *hp = state;

	if (!hp)
		return;
	if (hp->timer_on)
		mt_loop_del_timer(hp->ctx->loop, hp->timer_id);
	mt_curl_loop_free(hp->cl);
	free(hp->url);
	free(hp->r);
	free(hp);
}

static int http_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct http_probe *hp = calloc(1, sizeof(*hp));
	const char *url = mt_param_str(p, "url");
	const char *path = mt_param_str(p, "path");
	int rc = 0;

	*state = NULL;
	if (!hp)
		return mt_err(err, MT_ENOMEM, "out of memory");
	hp->ctx = ctx;
	hp->interval_ns = mt_param_i64(p, "interval");
	hp->connect_timeout_ns = mt_param_i64(p, "connect_timeout");
	hp->timeout_ns = mt_param_i64(p, "timeout");
	hp->max_inflight = (long)mt_param_i64(p, "max_inflight");
	{
		/* each open request holds a socket: stay clear of the fd limit, or connects
		 * would fail with EMFILE and read as network loss */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    (rlim_t)hp->max_inflight + 128 > rl.rlim_cur)
			hp->max_inflight = rl.rlim_cur > 256 ? (long)(rl.rlim_cur - 128) : 128;
	}
	snprintf(hp->qos_mode, sizeof(hp->qos_mode), "%s", mt_param_str(p, "qos"));
	if (url && *url) {
		hp->url = strdup(url);
	} else if (ctx->guest_url && *ctx->guest_url) {
		size_t bl = strlen(ctx->guest_url);
		int slash = bl && ctx->guest_url[bl - 1] == '/';

		if (asprintf(&hp->url, "%.*s%s%s", (int)(slash ? bl - 1 : bl), ctx->guest_url,
			     path[0] == '/' ? "" : "/", path) < 0)
			hp->url = NULL;
	} else {
		rc = mt_err(err, MT_EINVAL, "http probe: no url= and no guest URL for this cell");
		goto out;
	}
	if (!hp->url) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = mt_curl_loop_new(ctx->loop, &hp->cl, err);
	if (rc < 0)
		goto out;
	rc = mt_loop_add_timer(ctx->loop, mt_loop_now(ctx->loop), hp->interval_ns, on_tick, hp,
			       &hp->timer_id, err);
	if (rc < 0)
		goto out;
	hp->timer_on = 1;
	*state = hp;
	hp = NULL;
out:
	http_release(hp);
	return rc;
}

static int http_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct http_probe *hp = state;
	int rc;

	(void)ctx;
	if (hp->timer_on) {
		mt_loop_del_timer(hp->ctx->loop, hp->timer_id);
		hp->timer_on = 0;
	}
	hp->stop_ns = rel_now(hp, mt_loop_now(hp->ctx->loop));
	rc = mt_curl_loop_error(hp->cl, err);
	/* Requests still open are neither answered nor timed out: they end as REQ_ABORTED and
	 * collect leaves them (and everything sent after the first of them) out. */
	mt_curl_loop_free(hp->cl);
	hp->cl = NULL;
	return rc;
}

static int http_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct http_probe *hp = state;
	struct mt_cell_result *c = ctx->result;
	struct mt_qos_sample *s = NULL;
	struct mt_qos_outage o;
	size_t n = 0;
	int primary, rc = 0;

	/* qos.h contract: requests sent less than one timeout before stop have an unknown fate
	 * (left out, answered or not); so has anything from the first request curl never ended. */
	while (n < hp->n && hp->r[n].state != REQ_ABORTED && hp->r[n].state != REQ_OPEN &&
	       (hp->stop_ns == 0 || hp->stop_ns - hp->r[n].send_ns >= hp->timeout_ns))
		n++;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		s[i].send_ns = hp->r[i].send_ns;
		s[i].recv_ns = hp->r[i].state == REQ_OK ? hp->r[i].send_ns + hp->r[i].rtt_ns
						       : MT_QOS_LOST;
	}
	rc = mt_qos_write_series(c, "probe.http.rtt_ms", s, n, err);
	if (rc < 0)
		goto out;
	primary = mt_qos_claim_primary(c, "http", hp->qos_mode);
	if (primary < 0) {
		rc = mt_err(err, primary, "out of memory");
		goto out;
	}
	rc = mt_qos_write_metrics(c, "http", primary, ctx->phases, s, n, hp->interval_ns, err);
	if (rc < 0)
		goto out;
	/* The http outage under its own name, whichever probe is primary: it is the downtime a
	 * web user sees (longer than the hypervisor's: lost SYNs wait for TCP's retransmit). */
	rc = mt_qos_outage(s, n, hp->interval_ns, INT64_MIN, INT64_MAX, &o, err);
	if (rc == MT_ENOTFOUND)
		rc = mt_cell_set_absent(c, "downtime.http_outage_ms", "no request was answered");
	else if (rc == 0)
		rc = mt_cell_set_num(c, "downtime.http_outage_ms", (double)o.len_ns / 1e6);
	if (rc < 0)
		goto out;
	if (mt_cell_set_num(c, "probe.http.transport_errors", (double)hp->transport_errors) < 0 ||
	    mt_cell_set_num(c, "probe.http.status_errors", (double)hp->status_errors) < 0 ||
	    mt_cell_set_num(c, "probe.http.not_sent", (double)hp->not_sent) < 0 ||
	    (hp->last_error[0] &&
	     mt_cell_set_str(c, "probe.http.last_error", hp->last_error) < 0)) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
out:
	free(s);
	return rc;
}

const struct mt_workload_ops mt_probe_http = {
	.qos_rank = 1, /* measures the web server as much as the path */
	.base.name = "http",
	.base.summary = "HTTP GET on a fresh connection every interval (10 ms): RTT, loss, outage",
	.base.options = http_options,
	.start = http_start,
	.stop = http_stop,
	.collect = http_collect,
	.release = http_release,
};
