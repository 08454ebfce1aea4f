/* curl_loop.c — libcurl multi on mt_loop (see include/migtorture/curl_loop.h).
 *
 * Sockets: curl calls sock_cb with CURL_POLL_IN/OUT/INOUT/REMOVE; the first time we see a socket
 * we add it to the loop, later calls modify its event mask, REMOVE deletes it (curl calls REMOVE
 * before it closes the socket, so the fd number is never stale in the loop).
 * Timer: curl asks for a single timeout (timer_cb: ms, or -1 to cancel); we keep at most one
 * one-shot loop timer armed. Completed transfers are collected with curl_multi_info_read after
 * every socket_action and handed back to their owners.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "migtorture/curl_loop.h"

struct xfer {
	CURL *easy;
	mt_curl_done_cb done;
	void *arg;
	struct xfer *prev, *next;
};

struct mt_curl_loop {
	struct mt_loop *loop;
	CURLM *multi;
	struct xfer *head;     /* every held transfer */
	size_t nrunning;
	int timer_armed;
	uint64_t timer_id;
	int aborting;          /* inside abort_all: refuse adds */
	int error;             /* sticky MT_E* from a loop callback */
	char errmsg[256];
	int netns_fd;          /* the network namespace current at creation (-1: none known) */
	ino_t netns_ino;       /* its inode, to skip setns when the thread is already there */
};

/* Identity (inode) of the calling thread's network namespace, 0 when unknown. */
static ino_t thread_netns_ino(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: curl opens sockets lazily, from loop callbacks, long after the
 * runner left the plugin's host namespace (it enters it only around start()). Open each socket
 * in the namespace the glue was created in, so a probe started for the lab's client really
 * talks from the client. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct mt_curl_loop *cl = clientp;
	curl_socket_t fd;
	int back;

	(void)purpose;
	if (cl->netns_fd < 0 || thread_netns_ino() == cl->netns_ino)
		return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (back < 0 || setns(cl->netns_fd, CLONE_NEWNET) < 0) {
		if (back >= 0)
			close(back);
		return CURL_SOCKET_BAD;
	}
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (setns(back, CLONE_NEWNET) < 0)
		abort(); /* a loop thread stuck in another namespace would falsify everything */
	close(back);
	return fd;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void unlink_xfer(struct mt_curl_loop *cl, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		cl->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	cl->nrunning--;
}

/* Hands finished transfers back to their owners. */
static void check_done(struct mt_curl_loop *cl)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cl->multi, &left))) {
		struct xfer *x;
		char *priv = NULL;
		CURL *easy;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result; /* msg is invalid after remove_handle: copy first */
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)(void *)priv;
		curl_multi_remove_handle(cl->multi, easy);
		if (!x)
			continue;
		unlink_xfer(cl, x);
		x->done(easy, rc, mt_loop_now(cl->loop), x->arg);
		free(x);
	}
}

static int fail(struct mt_curl_loop *cl, CURLMcode mc)
{
	if (!cl->error) {
		cl->error = MT_EIO;
		snprintf(cl->errmsg, sizeof(cl->errmsg), "curl multi: %s", curl_multi_strerror(mc));
	}
	return MT_EIO;
}

static int on_fd(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct mt_curl_loop *cl = arg;
	int flags = 0, running;
	CURLMcode mc;

	(void)loop;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	mc = curl_multi_socket_action(cl->multi, fd, flags, &running);
	if (mc != CURLM_OK)
		return fail(cl, mc);
	check_done(cl);
	return 0;
}

static int on_timer(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	struct mt_curl_loop *cl = arg;
	int running;
	CURLMcode mc;

	(void)loop;
	(void)now_ns;
	cl->timer_armed = 0; /* one-shot: it is gone now; timer_cb may arm a new one below */
	mc = curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if (mc != CURLM_OK)
		return fail(cl, mc);
	check_done(cl);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct mt_curl_loop *cl = arg;

	(void)multi;
	if (cl->timer_armed) {
		mt_loop_del_timer(cl->loop, cl->timer_id);
		cl->timer_armed = 0;
	}
	if (timeout_ms < 0)
		return 0;
	if (mt_loop_add_timer(cl->loop, mt_loop_now(cl->loop) + timeout_ms * 1000000LL, 0,
			      on_timer, cl, &cl->timer_id, NULL) < 0)
		return -1;
	cl->timer_armed = 1;
	return 0;
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct mt_curl_loop *cl = arg;
	unsigned ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sockp) {
			mt_loop_del_fd(cl->loop, s);
			curl_multi_assign(cl->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (!sockp) {
		if (mt_loop_add_fd(cl->loop, s, ev, on_fd, cl, NULL) < 0) {
			/* A stale registration of a recycled fd number (curl reports every
			 * close, so this is defence only): replace it. */
			mt_loop_del_fd(cl->loop, s);
			if (mt_loop_add_fd(cl->loop, s, ev, on_fd, cl, NULL) < 0)
				return -1;
		}
		/* any non-NULL marker: "registered with the loop" */
		curl_multi_assign(cl->multi, s, cl);
	} else if (mt_loop_mod_fd(cl->loop, s, ev) < 0) {
		return -1;
	}
	return 0;
}

int mt_curl_loop_new(struct mt_loop *loop, struct mt_curl_loop **out, struct mt_error *err)
{
	struct mt_curl_loop *cl = NULL;
	int rc = 0;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		rc = mt_err(err, MT_EINFRA, "curl_global_init: %s", curl_easy_strerror(global_rc));
		goto out;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	cl->loop = loop;
	cl->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cl->netns_ino = thread_netns_ino();
	cl->multi = curl_multi_init();
	if (!cl->multi) {
		rc = mt_err(err, MT_EINFRA, "curl_multi_init failed");
		goto out;
	}
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
	*out = cl;
	cl = NULL;
out:
	if (cl) {
		if (cl->multi)
			curl_multi_cleanup(cl->multi);
		if (cl->netns_fd >= 0)
			close(cl->netns_fd);
		free(cl);
	}
	return rc;
}

int mt_curl_loop_add(struct mt_curl_loop *cl, CURL *easy, mt_curl_done_cb done, void *arg,
		     struct mt_error *err)
{
	struct xfer *x;
	CURLMcode mc;

	if (cl->aborting)
		return mt_err(err, MT_EINVAL, "curl loop: add while stopping");
	x = calloc(1, sizeof(*x));
	if (!x)
		return mt_err(err, MT_ENOMEM, "out of memory");
	x->easy = easy;
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, cl);
	mc = curl_multi_add_handle(cl->multi, easy);
	if (mc != CURLM_OK) {
		free(x);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		return mt_err(err, MT_EIO, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
	}
	x->next = cl->head;
	if (cl->head)
		cl->head->prev = x;
	cl->head = x;
	cl->nrunning++;
	return 0;
}

size_t mt_curl_loop_running(const struct mt_curl_loop *cl)
{
	return cl ? cl->nrunning : 0;
}

void mt_curl_loop_abort_all(struct mt_curl_loop *cl)
{
	int64_t now;

	if (!cl)
		return;
	cl->aborting = 1;
	now = mt_loop_now(cl->loop);
	while (cl->head) {
		struct xfer *x = cl->head;

		curl_multi_remove_handle(cl->multi, x->easy);
		unlink_xfer(cl, x);
		x->done(x->easy, CURLE_ABORTED_BY_CALLBACK, now, x->arg);
		free(x);
	}
	cl->aborting = 0;
}

void mt_curl_loop_free(struct mt_curl_loop *cl)
{
	if (!cl)
		return;
	mt_curl_loop_abort_all(cl);
	cl->aborting = 1;
	/* No new timers from here on; cleanup still reports removed sockets so the loop forgets
	 * them. Cleanup closes any cached connections, calling sock_cb(REMOVE) for them. */
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, NULL);
	curl_multi_cleanup(cl->multi);
	if (cl->timer_armed)
		mt_loop_del_timer(cl->loop, cl->timer_id);
	if (cl->netns_fd >= 0)
		close(cl->netns_fd);
	free(cl);
}

int mt_curl_loop_error(const struct mt_curl_loop *cl, struct mt_error *err)
{
	if (!cl || !cl->error)
		return 0;
	return mt_err(err, cl->error, "%s", cl->errmsg);
}
