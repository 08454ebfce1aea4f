/* loop.c — the one event loop a cell runs in: epoll + ONE timerfd + a signalfd.
 *
 * Timers live in a binary min-heap ordered by (due time, insertion sequence); the timerfd is
 * armed (TFD_TIMER_ABSTIME, CLOCK_MONOTONIC) for the heap's top before each epoll_wait. The
 * sequence number makes the order deterministic: timers due at the same instant fire in the
 * order they were added. A periodic timer re-enters the heap with a new sequence number.
 *
 * fd registrations are individually allocated so the epoll data pointer stays valid; one
 * removed during a batch of events is only marked dead and freed after the batch, so a later
 * event of the same batch never touches freed memory.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"
#include "migtorture/loop.h"

struct mt_timer {
	int64_t due_ns;
	int64_t interval_ns;
	uint64_t seq; /* insertion order: the tie-break for equal due times */
	uint64_t id;
	mt_timer_cb cb;
	void *arg;
	size_t idx;   /* position in the heap */
	int cancelled;
};

struct mt_fdreg {
	int fd;
	unsigned events;
	mt_fd_cb cb;
	void *arg;
	int dead;
	struct mt_fdreg *next; /* live list, or the graveyard while dead */
};

struct mt_loop {
	int epfd, tfd, sfd;
	struct mt_timer **heap;
	size_t nheap, capheap;
	uint64_t next_seq, next_id;
	int64_t armed_ns;        /* what the timerfd is armed for; -1 = disarmed */
	struct mt_timer *firing; /* the timer whose callback is running */
	struct mt_fdreg *fds;    /* live registrations */
	struct mt_fdreg *graveyard;
	int in_batch;
	int stop;
	int signo;
};

/* Sentinels for the loop's own fds in epoll data. */
static char tag_timer, tag_signal;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mt_loop_now(const struct mt_loop *loop)
{
	(void)loop;
	return now_ns();
}

/* ---- heap ---- */

static int before(const struct mt_timer *a, const struct mt_timer *b)
{
	if (a->due_ns != b->due_ns)
		return a->due_ns < b->due_ns;
	return a->seq < b->seq;
}

static void heap_swap(struct mt_loop *l, size_t i, size_t j)
{
	struct mt_timer *t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->idx = i;
	l->heap[j]->idx = j;
}

static void heap_up(struct mt_loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(l->heap[i], l->heap[p]))
			break;
		heap_swap(l, i, p);
		i = p;
	}
}

static void heap_down(struct mt_loop *l, size_t i)
{
	for (;;) {
		size_t a = 2 * i + 1, b = a + 1, m = i;

		if (a < l->nheap && before(l->heap[a], l->heap[m]))
			m = a;
		if (b < l->nheap && before(l->heap[b], l->heap[m]))
			m = b;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

static int heap_push(struct mt_loop *l, struct mt_timer *t)
{
	if (mt_grow((void **)&l->heap, &l->capheap, l->nheap, sizeof(*l->heap)) < 0)
		return MT_ENOMEM;
	t->seq = l->next_seq++;
	t->idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->idx);
	return 0;
}

static void heap_remove(struct mt_loop *l, size_t i)
{
	l->nheap--;
	if (i != l->nheap) {
		heap_swap(l, i, l->nheap);
		heap_down(l, i);
		heap_up(l, i);
	}
}

/* ---- life cycle ---- */

int mt_loop_new(struct mt_loop **out, struct mt_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct mt_loop *l = calloc(1, sizeof(*l));
	sigset_t set;
	int rc = 0;

	*out = NULL;
	if (!l)
		return mt_err(err, MT_ENOMEM, "out of memory");
	l->epfd = l->tfd = l->sfd = -1;
	l->armed_ns = -1;
	l->next_id = 1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		rc = mt_err(err, MT_EIO, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0) {
		rc = mt_err(err, MT_EIO, "timerfd_create: %s", strerror(errno));
		goto out;
	}
	ev.data.ptr = &tag_timer;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0) {
		rc = mt_err(err, MT_EIO, "epoll_ctl(timerfd): %s", strerror(errno));
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	l->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0) {
		rc = mt_err(err, MT_EIO, "signalfd: %s", strerror(errno));
		goto out;
	}
	ev.data.ptr = &tag_signal;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sfd, &ev) < 0) {
		rc = mt_err(err, MT_EIO, "epoll_ctl(signalfd): %s", strerror(errno));
		goto out;
	}
	*out = l;
	l = NULL;
out:
	mt_loop_free(l);
	return rc;
}

static void free_fdlist(struct mt_fdreg *r)
{
	while (r) {
		struct mt_fdreg *n = r->next;

		free(r);
		r = n;
	}
}

void mt_loop_free(struct mt_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free_fdlist(l->fds);
	free_fdlist(l->graveyard);
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

/* ---- fds ---- */

static struct mt_fdreg *find_fd(struct mt_loop *l, int fd)
{
	for (struct mt_fdreg *r = l->fds; r; r = r->next)
		if (r->fd == fd)
			return r;
	return NULL;
}

int mt_loop_add_fd(struct mt_loop *l, int fd, unsigned events, mt_fd_cb cb, void *arg,
		   struct mt_error *err)
{
	struct epoll_event ev = { .events = events };
	struct mt_fdreg *r;

	if (fd < 0 || !cb)
		return mt_err(err, MT_EINVAL, "loop: bad fd watch (fd %d)", fd);
	if (find_fd(l, fd))
		return mt_err(err, MT_EINVAL, "loop: fd %d is already watched", fd);
	r = calloc(1, sizeof(*r));
	if (!r)
		return mt_err(err, MT_ENOMEM, "out of memory");
	r->fd = fd;
	r->events = events;
	r->cb = cb;
	r->arg = arg;
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(r);
		return mt_err(err, MT_EIO, "epoll_ctl(add fd %d): %s", fd, strerror(e));
	}
	r->next = l->fds;
	l->fds = r;
	return 0;
}

int mt_loop_mod_fd(struct mt_loop *l, int fd, unsigned events)
{
	struct mt_fdreg *r = find_fd(l, fd);
	struct epoll_event ev = { .events = events };

	if (!r)
		return MT_ENOTFOUND;
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return MT_EIO;
	r->events = events;
	return 0;
}

void mt_loop_del_fd(struct mt_loop *l, int fd)
{
	struct mt_fdreg **pp;

	for (pp = &l->fds; *pp; pp = &(*pp)->next) {
		struct mt_fdreg *r = *pp;

		if (r->fd != fd)
			continue;
		*pp = r->next;
		/* The fd may already be closed by its owner: then epoll dropped it itself. */
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		r->dead = 1;
		r->next = l->graveyard;
		l->graveyard = r;
		if (!l->in_batch) {
			free_fdlist(l->graveyard);
			l->graveyard = NULL;
		}
		return;
	}
}

/* ---- timers ---- */

int mt_loop_add_timer(struct mt_loop *l, int64_t first_ns, int64_t interval_ns,
		      mt_timer_cb cb, void *arg, uint64_t *id, struct mt_error *err)
{
	struct mt_timer *t;
	int rc;

	if (!cb || interval_ns < 0)
		return mt_err(err, MT_EINVAL, "loop: bad timer");
	t = calloc(1, sizeof(*t));
	if (!t)
		return mt_err(err, MT_ENOMEM, "out of memory");
	t->due_ns = first_ns;
	t->interval_ns = interval_ns;
	t->cb = cb;
	t->arg = arg;
	t->id = l->next_id++;
	rc = heap_push(l, t);
	if (rc < 0) {
		free(t);
		return mt_err(err, rc, "out of memory");
	}
	if (id)
		*id = t->id;
	return 0;
}

void mt_loop_del_timer(struct mt_loop *l, uint64_t id)
{
	if (id == 0)
		return;
	if (l->firing && l->firing->id == id) {
		l->firing->cancelled = 1; /* freed when its callback returns */
		return;
	}
	for (size_t i = 0; i < l->nheap; i++) {
		if (l->heap[i]->id == id) {
			struct mt_timer *t = l->heap[i];

			heap_remove(l, i);
			free(t);
			return;
		}
	}
}

/* Arms the timerfd for the earlier of the heap's top and the deadline (0 = none). */
static int arm(struct mt_loop *l, int64_t deadline_ns)
{
	int64_t when = l->nheap ? l->heap[0]->due_ns : -1;
	struct itimerspec its;

	if (deadline_ns > 0 && (when < 0 || deadline_ns < when))
		when = deadline_ns;
	if (when == l->armed_ns)
		return 0;
	memset(&its, 0, sizeof(its));
	if (when >= 0) {
		/* 0 would disarm: a due time of 0 (long past) fires at once as 1 ns. */
		int64_t w = when > 0 ? when : 1;

		its.it_value.tv_sec = w / 1000000000;
		its.it_value.tv_nsec = w % 1000000000;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return MT_EIO;
	l->armed_ns = when;
	return 0;
}

/* Fires every timer due by now, earliest first (ties: insertion order). A timer added by a
 * callback for an instant already past fires in the same pass, after the ones already due. */
static int fire_due(struct mt_loop *l)
{
	int64_t now = now_ns();

	while (l->nheap && l->heap[0]->due_ns <= now && !l->stop) {
		struct mt_timer *t = l->heap[0];
		int rc;

		heap_remove(l, 0);
		l->firing = t;
		rc = t->cb(l, now, t->arg);
		l->firing = NULL;
		if (t->interval_ns > 0 && !t->cancelled) {
			/* Keep the phase; ticks missed while the loop was busy are skipped. */
			do
				t->due_ns += t->interval_ns;
			while (t->due_ns <= now);
			if (heap_push(l, t) < 0) {
				free(t);
				return MT_ENOMEM;
			}
		} else {
			free(t);
		}
		if (rc < 0)
			return rc;
		now = now_ns();
	}
	return 0;
}

void mt_loop_stop(struct mt_loop *l)
{
	l->stop = 1;
}

int mt_loop_signal(const struct mt_loop *l)
{
	return l->signo;
}

static int read_signal(struct mt_loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (!l->signo)
			l->signo = (int)si.ssi_signo;
	}
	return l->signo ? MT_EINTR : 0;
}

int mt_loop_run(struct mt_loop *l, int64_t deadline_ns, struct mt_error *err)
{
	struct epoll_event evs[16];
	int rc = 0;

	l->signo = 0;
	while (!l->stop) {
		int n;

		if (deadline_ns > 0 && now_ns() >= deadline_ns)
			break;
		if (arm(l, deadline_ns) < 0) {
			rc = mt_err(err, MT_EIO, "timerfd_settime: %s", strerror(errno));
			break;
		}
		n = epoll_wait(l->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = mt_err(err, MT_EIO, "epoll_wait: %s", strerror(errno));
			break;
		}
		l->in_batch = 1;
		for (int i = 0; i < n && !l->stop && rc == 0; i++) {
			void *p = evs[i].data.ptr;

			if (p == &tag_signal) {
				rc = read_signal(l);
				if (rc < 0)
					mt_err(err, MT_EINTR, "interrupted by %s",
					       l->signo == SIGINT ? "SIGINT" : "SIGTERM");
			} else if (p == &tag_timer) {
				uint64_t ticks;

				/* Nonblocking: EAGAIN when re-armed after it fired is fine. */
				if (read(l->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN) {
					rc = mt_err(err, MT_EIO, "timerfd read: %s",
						    strerror(errno));
					break;
				}
				l->armed_ns = -1;
				rc = fire_due(l);
			} else {
				struct mt_fdreg *r = p;

				if (!r->dead)
					rc = r->cb(l, r->fd, evs[i].events, r->arg);
			}
		}
		l->in_batch = 0;
		free_fdlist(l->graveyard);
		l->graveyard = NULL;
		/* Timers also come due while fd callbacks run: fire them without a wake-up. */
		if (rc == 0 && !l->stop)
			rc = fire_due(l);
		if (rc < 0) {
			/* Keep a message the callback already wrote into err (the same buffer). */
			if (err && err->code != rc)
				mt_err(err, rc, "loop callback failed (%s)", mt_err_name(rc));
			break;
		}
	}
	l->stop = 0;
	return rc;
}

/* ---- signals ---- */

static void term_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int mt_signals_block(sigset_t *old, struct mt_error *err)
{
	sigset_t set;
	int e;

	term_set(&set);
	e = pthread_sigmask(SIG_BLOCK, &set, old);
	if (e)
		return mt_err(err, MT_EIO, "pthread_sigmask: %s", strerror(e));
	return 0;
}

void mt_signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int mt_signals_pending(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set, pend;

	term_set(&set);
	if (sigpending(&pend) < 0)
		return 0;
	if (!sigismember(&pend, SIGINT) && !sigismember(&pend, SIGTERM))
		return 0;
	{
		int s = sigtimedwait(&set, NULL, &zero);

		return s > 0 ? s : 0;
	}
}
