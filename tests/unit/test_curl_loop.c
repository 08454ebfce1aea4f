/* test_curl_loop.c — libcurl multi on mt_loop, without root: a tiny HTTP server living in the
 * same loop on 127.0.0.1 (an ephemeral port) answers by path. Checks that every transfer comes
 * back exactly once (completed, timed out, or aborted), that curl's timers reach the loop, and
 * that the http probe and web-page run through their registered ops on loopback. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migtorture/curl_loop.h"
#include "migtorture/loop.h"
#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "test_util.h"

/* ---- a one-loop HTTP/1.0 server: reads a request head, answers by path, closes ---- */

enum mode { ANSWER, SILENT, FAIL503 };

struct conn {
	int fd;
	char buf[2048];
	size_t len;
	struct server *srv;
};

struct server {
	struct mt_loop *loop;
	int lfd;
	int port;
	enum mode mode;
	unsigned requests;
	struct conn *conns[256];
	size_t nconns;
};

static const char page[] = "<html><link href=\"a.css\" rel=stylesheet><img src='/img/b.png'>"
			   "<a href=\"next.html\">n</a></html>";

static void conn_close(struct conn *c)
{
	mt_loop_del_fd(c->srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

static int on_conn(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;
	char path[256] = "", out[1024];
	const char *body = NULL, *status = "200 OK";
	ssize_t n;
	int len;

	(void)loop;
	(void)events;
	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		conn_close(c);
		return 0;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (!strstr(c->buf, "\r\n\r\n"))
		return 0;
	c->srv->requests++;
	if (c->srv->mode == SILENT)
		return 0; /* keep the connection open, never answer */
	sscanf(c->buf, "GET %255s", path);
	if (c->srv->mode == FAIL503)
		status = "503 Service Unavailable", body = "busy";
	else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		body = page;
	else if (strcmp(path, "/a.css") == 0 || strcmp(path, "/img/b.png") == 0)
		body = "xxxx";
	else
		status = "404 Not Found", body = "no";
	len = snprintf(out, sizeof(out), "HTTP/1.0 %s\r\nContent-Length: %zu\r\n\r\n%s", status,
		       strlen(body), body);
	if (write(fd, out, (size_t)len) != len)
		fprintf(stderr, "short write\n");
	conn_close(c);
	return 0;
}

static int on_accept(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct server *s = arg;
	struct conn *c;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c || s->nconns == sizeof(s->conns) / sizeof(s->conns[0])) {
		free(c);
		close(cfd);
		return 0;
	}
	c->fd = cfd;
	c->srv = s;
	s->conns[s->nconns++] = c;
	return mt_loop_add_fd(loop, cfd, EPOLLIN, on_conn, c, NULL);
}

static void server_start(struct server *s, struct mt_loop *loop, enum mode mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->mode = mode;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->lfd, 512), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	ck_assert_int_eq(mt_loop_add_fd(loop, s->lfd, EPOLLIN, on_accept, s, NULL), 0);
}

static void server_stop(struct server *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i]->fd >= 0)
			conn_close(s->conns[i]);
		free(s->conns[i]);
	}
	mt_loop_del_fd(s->loop, s->lfd);
	close(s->lfd);
}

/* ---- curl_loop ---- */

struct tally {
	struct mt_loop *loop;
	struct mt_curl_loop *cl;
	unsigned done, ok, timedout, aborted, other, expect;
	int readd_rc;
};

static void on_done(CURL *easy, CURLcode rc, int64_t now_ns, void *arg)
{
	struct tally *t = arg;
	long code = 0;

	(void)now_ns;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	t->done++;
	if (rc == CURLE_OK && code == 200)
		t->ok++;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		t->timedout++;
	else if (rc == CURLE_ABORTED_BY_CALLBACK) {
		t->aborted++;
		/* adding while the glue is aborting is refused: the handle stays ours */
		t->readd_rc = mt_curl_loop_add(t->cl, easy, on_done, t, NULL);
	} else
		t->other++;
	curl_easy_cleanup(easy);
	if (t->expect && t->done == t->expect)
		mt_loop_stop(t->loop);
}

static size_t sink(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

static CURL *easy_for(int port, const char *path, long timeout_ms)
{
	char url[128];
	CURL *e = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	return e;
}

START_TEST(many_transfers_complete_once)
{
	struct mt_loop *loop;
	struct server srv;
	struct tally t = { 0 };
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	server_start(&srv, loop, ANSWER);
	ck_assert_int_eq(mt_curl_loop_new(loop, &t.cl, &err), 0);
	t.loop = loop;
	t.expect = 60;
	for (unsigned i = 0; i < t.expect; i++) {
		CURL *e = easy_for(srv.port, "/index.html", 5000);

		ck_assert_int_eq(mt_curl_loop_add(t.cl, e, on_done, &t, &err), 0);
	}
	ck_assert_uint_eq(mt_curl_loop_running(t.cl), 60);
	ck_assert_int_eq(mt_loop_run(loop, mt_loop_now(loop) + 10000000000LL, &err), 0);
	ck_assert_uint_eq(t.done, 60);
	ck_assert_uint_eq(t.ok, 60);
	ck_assert_uint_eq(srv.requests, 60);
	ck_assert_uint_eq(mt_curl_loop_running(t.cl), 0);
	ck_assert_int_eq(mt_curl_loop_error(t.cl, &err), 0);
	mt_curl_loop_free(t.cl);
	server_stop(&srv);
	mt_loop_free(loop);
}
END_TEST

START_TEST(timeout_and_abort)
{
	struct mt_loop *loop;
	struct server srv;
	struct tally t = { 0 };
	struct mt_error err = { 0 };
	CURL *e;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	server_start(&srv, loop, SILENT);
	ck_assert_int_eq(mt_curl_loop_new(loop, &t.cl, &err), 0);
	t.loop = loop;
	/* one transfer with a 100 ms timeout: only curl's timer (through the loop) can end it */
	e = easy_for(srv.port, "/", 100);
	ck_assert_int_eq(mt_curl_loop_add(t.cl, e, on_done, &t, &err), 0);
	for (int i = 0; i < 4; i++) {
		e = easy_for(srv.port, "/", 60000);
		ck_assert_int_eq(mt_curl_loop_add(t.cl, e, on_done, &t, &err), 0);
	}
	ck_assert_int_eq(mt_loop_run(loop, mt_loop_now(loop) + 600000000LL, &err), 0);
	ck_assert_uint_eq(t.timedout, 1);
	ck_assert_uint_eq(t.done, 1);
	ck_assert_uint_eq(srv.requests, 5);
	/* the other four are still waiting: abort hands each back exactly once */
	mt_curl_loop_abort_all(t.cl);
	ck_assert_uint_eq(t.aborted, 4);
	ck_assert_uint_eq(t.done, 5);
	ck_assert_int_eq(t.readd_rc, MT_EINVAL);
	ck_assert_uint_eq(mt_curl_loop_running(t.cl), 0);
	mt_curl_loop_free(t.cl);
	server_stop(&srv);
	mt_loop_free(loop);
}
END_TEST

/* ---- plugins on loopback ---- */

struct outcome {
	struct mt_run_result run;
	struct mt_cell_result *cell;
};

static double num(const struct outcome *o, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(o->cell, path);

	ck_assert_msg(m != NULL, "metric %s missing", path);
	ck_assert_msg(m->kind == MT_METRIC_NUM, "metric %s not a number (%s)", path,
		      m->str ? m->str : "");
	return m->num;
}

/* Runs a probe (probe != 0) or workload for secs against an in-loop server in mode. */
static void drive(int probe, const char *name, const char *params, enum mode mode, double secs,
		  struct outcome *o)
{
	const struct mt_workload_ops *po = probe ? mt_find_probe(name) : NULL;
	const struct mt_workload_ops *wo = probe ? NULL : mt_find_workload(name);
	const struct mt_option *opts = po ? po->base.options : wo ? wo->base.options : NULL;
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };
	struct mt_loop *loop;
	struct server srv;
	struct mt_phases ph = { -1, -1, -1 };
	struct mt_ctx ctx = { 0 };
	char url[64];
	void *state = NULL;
	int64_t len = (int64_t)(secs * 1e9);

	ck_assert_msg(opts != NULL, "%s not registered", name);
	memset(o, 0, sizeof(*o));
	o->cell = mt_run_add_cell(&o->run, "loopback");
	ck_assert_int_eq(mt_params_parse(opts, params, 0, &p, &err), 0);
	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	server_start(&srv, loop, mode);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
	ctx.loop = loop;
	ctx.result = o->cell;
	ctx.t0_ns = mt_loop_now(loop);
	ctx.phases = &ph;
	ctx.guest_url = url;
	ck_assert_msg((po ? po->start(&p, &ctx, &state, &err) : wo->start(&p, &ctx, &state, &err)) ==
			      0,
		      "start: %s", err.msg);
	ck_assert_int_eq(mt_loop_run(loop, ctx.t0_ns + len, &err), 0);
	ck_assert_int_eq(po ? po->stop(state, &ctx, &err) : wo->stop(state, &ctx, &err), 0);
	ph.during_start_ns = len / 2; /* a migration from the middle on, never completed */
	ck_assert_msg((po ? po->collect(state, &ctx, &err) : wo->collect(state, &ctx, &err)) == 0,
		      "collect: %s", err.msg);
	if (po)
		po->release(state);
	else
		wo->release(state);
	server_stop(&srv);
	mt_loop_free(loop);
	mt_params_free(&p);
}

START_TEST(http_probe_loopback)
{
	struct outcome o;
	double sent;

	drive(1, "http", "interval=10ms timeout=200ms", ANSWER, 1.0, &o);
	sent = num(&o, "probe.http.baseline.sent") + num(&o, "probe.http.during.sent");
	ck_assert(sent >= 40); /* 80 due before the last timeout; generous for a loaded host */
	ck_assert(num(&o, "probe.http.baseline.loss_pct") == 0);
	ck_assert(num(&o, "downtime.http_outage_ms") < 1000);
	/* the migration never completed: no "after" phase, absent rather than zero */
	ck_assert_int_eq(mt_cell_metric(o.cell, "probe.http.after.sent")->kind, MT_METRIC_ABSENT);
	mt_run_result_free(&o.run);

	drive(1, "http", "interval=20ms timeout=200ms", FAIL503, 0.5, &o);
	ck_assert(num(&o, "probe.http.baseline.loss_pct") == 100);
	ck_assert(num(&o, "probe.http.status_errors") >= 5);
	ck_assert_str_eq(mt_cell_metric(o.cell, "probe.http.last_error")->str, "HTTP 503");
	mt_run_result_free(&o.run);
}
END_TEST

START_TEST(web_page_loopback)
{
	struct outcome o;

	drive(0, "web-page", "interval=50ms", ANSWER, 1.0, &o);
	ck_assert(num(&o, "web.page.loads") >= 5);
	ck_assert(num(&o, "web.page.failures") == 0);
	mt_run_result_free(&o.run);

	/* an asset list naming a missing file: every load fails with the 404 */
	drive(0, "web-page", "interval=50ms assets=/a.css,/nope.js", ANSWER, 0.5, &o);
	ck_assert(num(&o, "web.page.loads") >= 2);
	ck_assert(num(&o, "web.page.failures") == num(&o, "web.page.loads"));
	ck_assert_str_eq(mt_cell_metric(o.cell, "web.page.last_error")->str, "asset: HTTP 404");
	mt_run_result_free(&o.run);
}
END_TEST

START_TEST(no_url_is_an_error)
{
	const struct mt_workload_ops *wo = mt_find_workload("video-download");
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };
	struct mt_loop *loop;
	struct mt_ctx ctx = { 0 };
	void *state = NULL;

	ck_assert_ptr_nonnull(wo);
	ck_assert_int_eq(mt_params_parse(wo->base.options, "", 0, &p, &err), 0);
	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	ctx.loop = loop;
	ck_assert_int_eq(wo->start(&p, &ctx, &state, &err), MT_EINVAL);
	ck_assert_ptr_null(state);
	ck_assert(strstr(err.msg, "url") != NULL);
	mt_loop_free(loop);
	mt_params_free(&p);
}
END_TEST

START_TEST(stream_check_refuses_bad_buffer)
{
	const struct mt_workload_ops *wo = mt_find_workload("video-stream");
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };

	ck_assert_ptr_nonnull(wo);
	ck_assert_int_eq(mt_params_parse(wo->base.options, "segment=4s buffer=2s", 0, &p, &err), 0);
	ck_assert_int_eq(wo->base.check(&p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(wo->base.options, "startup=20s buffer=10s", 0, &p, &err), 0);
	ck_assert_int_eq(wo->base.check(&p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(wo->base.options, "bitrate=2M segment=2s buffer=10s", 0, &p,
					 &err),
			 0);
	ck_assert_int_eq(wo->base.check(&p, &err), 0);
	ck_assert_uint_eq(mt_params_u64(&p, "bitrate", 0), 2000000);
	mt_params_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("curl_loop");
	TCase *tc = tcase_create("loopback");

	tcase_add_test(tc, many_transfers_complete_once);
	tcase_add_test(tc, timeout_and_abort);
	tcase_add_test(tc, http_probe_loopback);
	tcase_add_test(tc, web_page_loopback);
	tcase_add_test(tc, no_url_is_an_error);
	tcase_add_test(tc, stream_check_refuses_bad_buffer);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
