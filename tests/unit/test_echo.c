/* test_echo.c — the request/response engine of the udp and icmp probes (suite/probes/echo.c):
 * reply bookkeeping (late, duplicate, stray) and the unbiased tail cut. No sockets, no loop. */
#include <check.h>
#include <stdlib.h>

#include "probes/echo.h"
#include "test_util.h"

#define MS 1000000LL

static const struct mt_echo_class fake = { "fake", NULL, NULL };

/* n requests every 10 ms from t = 1 s (absolute), none answered yet. */
static void make(struct mt_echo *e, size_t n, int64_t timeout)
{
	*e = (struct mt_echo){ .cls = &fake, .fd = -1, .interval_ns = 10 * MS,
			       .timeout_ns = timeout };
	e->send_ns = malloc(n * sizeof(int64_t));
	e->recv_ns = malloc(n * sizeof(int64_t));
	e->mark = calloc(n, 1);
	ck_assert(e->send_ns && e->recv_ns && e->mark);
	e->n = e->cap = n;
	for (size_t i = 0; i < n; i++) {
		e->send_ns[i] = 1000 * MS + (int64_t)i * 10 * MS;
		e->recv_ns[i] = -1;
	}
}

START_TEST(test_reply_rules)
{
	struct mt_echo e;

	make(&e, 10, 100 * MS);
	ck_assert_int_eq(mt_echo_reply(&e, 3, e.send_ns[3] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 3, e.send_ns[3] + 2 * MS), 0); /* duplicate */
	ck_assert_uint_eq(e.duplicates, 1);
	ck_assert_int_eq(mt_echo_reply(&e, 4, e.send_ns[4] + 101 * MS), 0); /* too late */
	ck_assert_uint_eq(e.late, 1);
	ck_assert_int_eq(e.recv_ns[4], -1);
	ck_assert_int_eq(mt_echo_reply(&e, 10, e.send_ns[9]), 0); /* never sent */
	ck_assert_uint_eq(e.strays, 1);
	ck_assert_int_eq(e.recv_ns[3], e.send_ns[3] + 1 * MS); /* the first reply stays */
	mt_echo_release(&e);
}
END_TEST

START_TEST(test_reordered)
{
	/* Replies arrive 0, 2, 1, 3, 5, 4, 4(dup), 9(late): 1 and 4 were overtaken (RFC 4737
	 * §3.3: below the highest accepted so far); the duplicate and the late reply are not
	 * reordered, and the late 9 does not raise the mark (6, 7 in order afterwards). */
	struct mt_echo e;

	make(&e, 10, 100 * MS);
	ck_assert_int_eq(mt_echo_reply(&e, 0, e.send_ns[0] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 2, e.send_ns[2] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 1, e.send_ns[2] + 2 * MS), 1);
	ck_assert_uint_eq(e.reordered, 1);
	ck_assert_int_eq(mt_echo_reply(&e, 3, e.send_ns[3] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 5, e.send_ns[5] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 4, e.send_ns[5] + 2 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 4, e.send_ns[5] + 3 * MS), 0);
	ck_assert_int_eq(mt_echo_reply(&e, 9, e.send_ns[9] + 200 * MS), 0);
	ck_assert_int_eq(mt_echo_reply(&e, 6, e.send_ns[6] + 1 * MS), 1);
	ck_assert_int_eq(mt_echo_reply(&e, 7, e.send_ns[7] + 1 * MS), 1);
	ck_assert_uint_eq(e.reordered, 2);
	ck_assert_uint_eq(e.duplicates, 1);
	ck_assert_uint_eq(e.late, 1);
	mt_echo_release(&e);
}
END_TEST

START_TEST(test_tail_cut_is_outcome_blind)
{
	/* 100 requests (1.00 .. 1.99 s), stopped at 2.00 s, timeout 200 ms: everything sent after
	 * 1.80 s goes — answered or not — so dropping it cannot bias the loss. */
	struct mt_echo e;
	struct mt_qos_sample *s;
	size_t n, unres;
	struct mt_error err = { 0 };

	make(&e, 100, 200 * MS);
	for (size_t i = 0; i < 100; i++)
		if (i % 2 == 0) /* even ones answered */
			mt_echo_reply(&e, (uint32_t)i, e.send_ns[i] + 1 * MS);
	e.stop_ns = 2000 * MS;
	ck_assert_int_eq(mt_echo_samples(&e, 1000 * MS, &s, &n, &unres, &err), 0);
	ck_assert_uint_eq(n, 81); /* sent at ≤ 1.80 s: 1.80 s is exactly one timeout old */
	ck_assert_uint_eq(unres, 19);
	ck_assert_int_eq(s[0].send_ns, 0); /* relative to t0 = 1 s */
	ck_assert_int_eq(s[0].recv_ns, 1 * MS);
	ck_assert_int_eq(s[1].recv_ns, MT_QOS_LOST);
	free(s);
	/* Stopped long after the last send: nothing is unresolved. */
	e.stop_ns = 5000 * MS;
	ck_assert_int_eq(mt_echo_samples(&e, 1000 * MS, &s, &n, &unres, &err), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_uint_eq(unres, 0);
	free(s);
	mt_echo_release(&e);
}
END_TEST

START_TEST(test_marks_count_resolved_only)
{
	/* 100 requests, the last 19 unresolved at stop (as above). Duplicates and overtaken
	 * replies in the tail stay in the running totals but not in the resolved counts, so
	 * duplicates / received is the share among the same replies. */
	struct mt_echo e;
	struct mt_qos_sample *s;
	size_t n, unres, dups, reo;
	struct mt_error err = { 0 };

	make(&e, 100, 200 * MS);
	for (uint32_t i = 0; i < 100; i++)
		if (i != 10 && i != 90)
			mt_echo_reply(&e, i, e.send_ns[i] + 1 * MS);
	mt_echo_reply(&e, 10, e.send_ns[11] + 2 * MS); /* overtaken by 11 */
	mt_echo_reply(&e, 90, e.send_ns[91] + 2 * MS); /* overtaken, in the tail */
	for (int k = 0; k < 3; k++)
		mt_echo_reply(&e, 5, e.send_ns[5] + 3 * MS); /* three duplicates of 5 */
	mt_echo_reply(&e, 95, e.send_ns[95] + 3 * MS); /* a duplicate in the tail */
	for (int k = 0; k < 200; k++)
		mt_echo_reply(&e, 7, e.send_ns[7] + 3 * MS); /* saturates, never wraps */
	ck_assert_uint_eq(e.duplicates, 204);
	ck_assert_uint_eq(e.reordered, 2);
	e.stop_ns = 2000 * MS;
	ck_assert_int_eq(mt_echo_samples(&e, 1000 * MS, &s, &n, &unres, &err), 0);
	ck_assert_uint_eq(n, 81);
	mt_echo_marks(&e, n, &dups, &reo);
	ck_assert_uint_eq(dups, 3 + MT_ECHO_DUPS);
	ck_assert_uint_eq(reo, 1);
	mt_echo_marks(&e, 100, &dups, &reo);
	ck_assert_uint_eq(dups, 3 + MT_ECHO_DUPS + 1);
	ck_assert_uint_eq(reo, 2);
	free(s);
	mt_echo_release(&e);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("echo");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reply_rules);
	tcase_add_test(tc, test_reordered);
	tcase_add_test(tc, test_tail_cut_is_outcome_blind);
	tcase_add_test(tc, test_marks_count_resolved_only);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
