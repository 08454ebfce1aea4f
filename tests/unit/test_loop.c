/* test_loop.c — the event loop: timer order at equal instants, fd callbacks, deadline, stop,
 * periodic timers, timer removal, callback errors and SIGTERM through the signalfd. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "migtorture/loop.h"
#include "test_util.h"

#define MS 1000000LL

struct rec {
	int order[64];
	int n;
	struct mt_loop *loop;
	uint64_t ids[8];
};

struct targ {
	struct rec *r;
	int tag;
	int stop_after; /* stop the loop after this many records (0 = never) */
	int rc;         /* returned by the callback */
};

static int tcb(struct mt_loop *loop, int64_t now, void *arg)
{
	struct targ *a = arg;

	(void)now;
	a->r->order[a->r->n++] = a->tag;
	if (a->stop_after && a->r->n >= a->stop_after)
		mt_loop_stop(loop);
	return a->rc;
}

START_TEST(equal_instants_fire_in_insertion_order)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct rec r = { 0 };
	struct targ a[6];
	int64_t t;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	t = mt_loop_now(loop) + 20 * MS;
	/* Interleave two instants; the later instant is inserted first. */
	for (int i = 0; i < 6; i++) {
		a[i] = (struct targ){ &r, i, 6, 0 };
		ck_assert_int_eq(mt_loop_add_timer(loop, (i % 2) ? t + 5 * MS : t, 0, tcb, &a[i],
						   NULL, &err), 0);
	}
	ck_assert_int_eq(mt_loop_run(loop, mt_loop_now(loop) + 2000 * MS, &err), 0);
	ck_assert_int_eq(r.n, 6);
	{
		int want[6] = { 0, 2, 4, 1, 3, 5 };

		for (int i = 0; i < 6; i++)
			ck_assert_int_eq(r.order[i], want[i]);
	}
	mt_loop_free(loop);
}
END_TEST

/* Many timers at the same past instant: the heap must still keep insertion order. */
START_TEST(many_equal_past_timers_keep_order)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct rec r = { 0 };
	struct targ a[40];
	int64_t t;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	t = mt_loop_now(loop) - 5 * MS;
	for (int i = 0; i < 40; i++) {
		a[i] = (struct targ){ &r, i, 40, 0 };
		ck_assert_int_eq(mt_loop_add_timer(loop, t, 0, tcb, &a[i], NULL, &err), 0);
	}
	ck_assert_int_eq(mt_loop_run(loop, mt_loop_now(loop) + 2000 * MS, &err), 0);
	ck_assert_int_eq(r.n, 40);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(r.order[i], i);
	mt_loop_free(loop);
}
END_TEST

struct fdarg {
	int calls;
	char got;
};

static int fdcb(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct fdarg *f = arg;

	ck_assert(events & EPOLLIN);
	ck_assert_int_eq(read(fd, &f->got, 1), 1);
	f->calls++;
	mt_loop_del_fd(loop, fd);
	mt_loop_stop(loop);
	return 0;
}

static int writer(struct mt_loop *loop, int64_t now, void *arg)
{
	(void)loop;
	(void)now;
	ck_assert_int_eq(write(*(int *)arg, "x", 1), 1);
	return 0;
}

START_TEST(fd_callback_runs)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct fdarg f = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	ck_assert_int_eq(mt_loop_add_fd(loop, p[0], EPOLLIN, fdcb, &f, &err), 0);
	ck_assert_int_lt(mt_loop_add_fd(loop, p[0], EPOLLIN, fdcb, &f, &err), 0);
	ck_assert_int_eq(mt_loop_add_timer(loop, mt_loop_now(loop) + 10 * MS, 0, writer, &p[1],
					   NULL, &err), 0);
	ck_assert_int_eq(mt_loop_run(loop, mt_loop_now(loop) + 2000 * MS, &err), 0);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(f.got, 'x');
	mt_loop_free(loop);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(deadline_returns_with_nothing_to_do)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct rec r = { 0 };
	struct targ late = { &r, 1, 0, 0 };
	int64_t start, dl;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	start = mt_loop_now(loop);
	dl = start + 30 * MS;
	/* A timer after the deadline must not fire. */
	ck_assert_int_eq(mt_loop_add_timer(loop, start + 5000 * MS, 0, tcb, &late, NULL, &err),
			 0);
	ck_assert_int_eq(mt_loop_run(loop, dl, &err), 0);
	ck_assert_int_ge(mt_loop_now(loop), dl);
	ck_assert_int_eq(r.n, 0);
	mt_loop_free(loop);
}
END_TEST

START_TEST(stop_and_periodic_and_del)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct rec r = { 0 };
	struct targ per = { &r, 7, 3, 0 }, gone = { &r, 9, 0, 0 };
	uint64_t gid;
	int64_t now;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	now = mt_loop_now(loop);
	ck_assert_int_eq(mt_loop_add_timer(loop, now + 2 * MS, 2 * MS, tcb, &per, NULL, &err), 0);
	ck_assert_int_eq(mt_loop_add_timer(loop, now + 1 * MS, 0, tcb, &gone, &gid, &err), 0);
	mt_loop_del_timer(loop, gid);
	ck_assert_int_eq(mt_loop_run(loop, now + 5000 * MS, &err), 0);
	/* Stopped by the third tick, well before the deadline; the removed timer never ran. */
	ck_assert_int_eq(r.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(r.order[i], 7);
	ck_assert_int_lt(mt_loop_now(loop), now + 4000 * MS);
	mt_loop_free(loop);
}
END_TEST

START_TEST(callback_error_stops_loop)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	struct rec r = { 0 };
	struct targ bad = { &r, 1, 0, MT_EINFRA }, after = { &r, 2, 0, 0 };
	int64_t now;

	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	now = mt_loop_now(loop);
	ck_assert_int_eq(mt_loop_add_timer(loop, now + 1 * MS, 0, tcb, &bad, NULL, &err), 0);
	ck_assert_int_eq(mt_loop_add_timer(loop, now + 1 * MS, 0, tcb, &after, NULL, &err), 0);
	ck_assert_int_eq(mt_loop_run(loop, now + 2000 * MS, &err), MT_EINFRA);
	ck_assert_int_eq(err.code, MT_EINFRA);
	ck_assert_int_eq(r.n, 1);
	mt_loop_free(loop);
}
END_TEST

START_TEST(sigterm_interrupts_loop)
{
	struct mt_loop *loop;
	struct mt_error err = { 0 };
	sigset_t old;
	int64_t now;

	ck_assert_int_eq(mt_signals_block(&old, &err), 0);
	ck_assert_int_eq(mt_loop_new(&loop, &err), 0);
	now = mt_loop_now(loop);
	ck_assert_int_eq(kill(getpid(), SIGTERM), 0);
	ck_assert_int_eq(mt_loop_run(loop, now + 3000 * MS, &err), MT_EINTR);
	ck_assert_int_eq(mt_loop_signal(loop), SIGTERM);
	ck_assert_int_eq(mt_signals_pending(), 0);
	/* A signal arriving outside a loop stays pending until asked for. */
	ck_assert_int_eq(kill(getpid(), SIGINT), 0);
	ck_assert_int_eq(mt_signals_pending(), SIGINT);
	ck_assert_int_eq(mt_signals_pending(), 0);
	mt_loop_free(loop);
	mt_signals_restore(&old);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, equal_instants_fire_in_insertion_order);
	tcase_add_test(tc, many_equal_past_timers_keep_order);
	tcase_add_test(tc, fd_callback_runs);
	tcase_add_test(tc, deadline_returns_with_nothing_to_do);
	tcase_add_test(tc, stop_and_periodic_and_del);
	tcase_add_test(tc, callback_error_stops_loop);
	tcase_add_test(tc, sigterm_interrupts_loop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
