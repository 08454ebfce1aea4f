/* test_summary.c — statistics over repeats and the cross-cell fit. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/summary.h"
#include "test_util.h"

#define CLOSE(a, b, eps) ck_assert_msg(fabs((a) - (b)) <= (eps), "%.17g != %.17g", (double)(a), (double)(b))

static void cell(struct mt_run_result *run, const char *name, enum mt_verdict v, double bytes,
		 double downtime)
{
	struct mt_cell_result *c = mt_run_add_cell(run, name);

	ck_assert_ptr_nonnull(c);
	c->section = strdup("s");
	c->verdict = v;
	if (!isnan(bytes))
		ck_assert_int_eq(mt_cell_set_num(c, "migration.transferred_bytes", bytes), 0);
	if (isnan(downtime))
		ck_assert_int_eq(mt_cell_set_absent(c, "migration.downtime_ms", "job failed"), 0);
	else
		ck_assert_int_eq(mt_cell_set_num(c, "migration.downtime_ms", downtime), 0);
}

START_TEST(test_summary)
{
	struct mt_run_result run = { 0 };
	struct mt_run_summary s = { 0 };
	struct mt_error err = { 0 };
	const struct mt_metric_summary *m;

	/* "a": downtimes 2, 4, 4, 4, 5, 5, 7, 9 (mean 5, sd 2.13809, median 4.5,
	 * p95 rank 6.65 → 7 + 0.65*2 = 8.3), plus one absent, one skipped and one error repeat */
	cell(&run, "a", MT_VERDICT_PASS, 1, 2);
	cell(&run, "b", MT_VERDICT_PASS, 1, 100);
	cell(&run, "a", MT_VERDICT_PASS, 1, 4);
	cell(&run, "a", MT_VERDICT_FAIL, 1, 4);
	cell(&run, "a", MT_VERDICT_PASS, 1, 4);
	cell(&run, "a", MT_VERDICT_PASS, 1, 5);
	cell(&run, "a", MT_VERDICT_PASS, 1, 5);
	cell(&run, "a", MT_VERDICT_PASS, 1, 7);
	cell(&run, "a", MT_VERDICT_PASS, 1, 9);
	cell(&run, "a", MT_VERDICT_PASS, 1, NAN);
	cell(&run, "a", MT_VERDICT_SKIP, NAN, NAN);
	cell(&run, "a", MT_VERDICT_ERROR, 1, 1000);

	ck_assert_int_eq(mt_run_summarise(&run, &s, &err), 0);
	ck_assert_uint_eq(s.ncells, 2);
	ck_assert_str_eq(s.cells[0].name, "a");
	ck_assert_str_eq(s.cells[1].name, "b");
	ck_assert_uint_eq(s.cells[0].repeats, 11);
	ck_assert_uint_eq(s.cells[0].pass, 8);
	ck_assert_uint_eq(s.cells[0].fail, 1);
	ck_assert_uint_eq(s.cells[0].skip, 1);
	ck_assert_uint_eq(s.cells[0].error, 1);
	ck_assert_uint_eq(s.cells[0].nmetrics, 2);
	m = &s.cells[0].metrics[1];
	ck_assert_str_eq(m->path, "migration.downtime_ms");
	ck_assert_uint_eq(m->s.n, 8);
	ck_assert_uint_eq(m->nmissing, 1);
	CLOSE(m->s.min, 2, 0);
	CLOSE(m->s.max, 9, 0);
	CLOSE(m->s.mean, 5, 1e-12);
	CLOSE(m->s.median, 4.5, 1e-12);
	CLOSE(m->s.p95, 8.3, 1e-12);
	CLOSE(m->s.stddev, 2.1380899352993950, 1e-12);
	CLOSE(m->s.ci95, 1.78748, 1e-4);
	ck_assert_uint_eq(s.cells[1].metrics[1].s.n, 1);
	ck_assert(isnan(s.cells[1].metrics[1].s.ci95));
	mt_run_summary_free(&s);
	mt_run_summary_free(&s);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_fit)
{
	struct mt_run_result run = { 0 };
	double b, a, r2;
	size_t n;

	/* downtime = 10 ms + 2 ms per GiB exactly, plus cells that must not count */
	cell(&run, "x", MT_VERDICT_PASS, 1073741824.0, 12);
	cell(&run, "y", MT_VERDICT_FAIL, 2147483648.0, 14);
	cell(&run, "z", MT_VERDICT_PASS, 4294967296.0, 18);
	cell(&run, "z", MT_VERDICT_PASS, NAN, 18);            /* no x */
	cell(&run, "z", MT_VERDICT_PASS, 5e9, NAN);           /* y absent */
	cell(&run, "w", MT_VERDICT_ERROR, 1e9, 5000);         /* error: untrusted */
	ck_assert_int_eq(mt_run_fit(&run, "migration.transferred_bytes", "migration.downtime_ms",
				    &b, &a, &r2, &n), 0);
	ck_assert_uint_eq(n, 3);
	CLOSE(b * 1073741824.0, 2, 1e-9);
	CLOSE(a, 10, 1e-9);
	CLOSE(r2, 1, 1e-12);
	ck_assert_int_eq(mt_run_fit(&run, "nope", "migration.downtime_ms", &b, &a, &r2, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert(isnan(b) && isnan(r2));
	ck_assert_int_eq(mt_run_fit(&run, NULL, "y", &b, &a, &r2, &n), MT_EINVAL);
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("summary");

	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_fit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
