/* test_compare.c — regression comparison of two runs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"
#include "test_util.h"

/* Adds repeats of cell name with metric path = each value. */
static void rep(struct mt_run_result *run, const char *name, const char *path, const double *v,
		size_t n)
{
	struct mt_cell_result *c;
	size_t i, j;

	for (i = 0; i < n; i++) {
		/* reuse repeat i of the cell when it exists */
		c = NULL;
		for (j = 0; j < run->ncells; j++)
			if (strcmp(run->cells[j].name, name) == 0 && run->cells[j].repeat == (int)i)
				c = &run->cells[j];
		if (!c) {
			c = mt_run_add_cell(run, name);
			c->repeat = (int)i;
			c->verdict = MT_VERDICT_PASS;
		}
		ck_assert_int_eq(mt_cell_set_num(c, path, v[i]), 0);
	}
}

/* The line of the table for cell + metric (static buffer). */
static const char *line_of(const char *out, const char *cell, const char *metric)
{
	static char buf[512];
	const char *p = out, *e;

	while ((p = strstr(p, cell))) {
		e = strchr(p, '\n');
		if (!e)
			break;
		if ((size_t)(e - p) < sizeof(buf)) {
			memcpy(buf, p, (size_t)(e - p));
			buf[e - p] = '\0';
			if (strstr(buf, metric))
				return buf;
		}
		p = e;
	}
	return "";
}

START_TEST(test_compare)
{
	static const double t_base[] = { 800, 1000, 5000 }, t_new[] = { 1150, 1200, 1000 };
	static const double bw_base[] = { 100e6 }, bw_new[] = { 80e6 };
	static const double l_base[] = { 1.0 }, l_new[] = { 0.5 };
	static const double o_base[] = { 100 }, o_new[] = { 105 };
	static const double z_base[] = { 0 }, z_new[] = { 0.1 };
	static const double it[] = { 3 }, it2[] = { 30 };
	struct mt_run_result b = { 0 }, n = { 0 };
	struct mt_error err = { 0 };
	size_t reg = 0, len = 0;
	char *out = NULL;
	FILE *f;

	/* medians: 1000 → 1150 = +15 % on a lower-is-better duration: regression */
	rep(&b, "web", "migration.total_time_ms", t_base, 3);
	rep(&n, "web", "migration.total_time_ms", t_new, 3);
	/* throughput 100 → 80 Mbit/s = -20 % on higher-is-better: regression */
	rep(&b, "web", "qos.during.throughput_bps", bw_base, 1);
	rep(&n, "web", "qos.during.throughput_bps", bw_new, 1);
	/* loss halves: improved */
	rep(&b, "web", "qos.during.loss_pct", l_base, 1);
	rep(&n, "web", "qos.during.loss_pct", l_new, 1);
	/* +5 % within tolerance */
	rep(&b, "web", "downtime.network_outage_ms", o_base, 1);
	rep(&n, "web", "downtime.network_outage_ms", o_new, 1);
	/* from 0: unbounded change, a regression */
	rep(&b, "web", "qos.after.loss_pct", z_base, 1);
	rep(&n, "web", "qos.after.loss_pct", z_new, 1);
	/* no direction: info only */
	rep(&b, "web", "migration.dirty_rate_pages_s", it, 1);
	rep(&n, "web", "migration.dirty_rate_pages_s", it2, 1);
	/* only in one run */
	rep(&b, "gone-cell", "migration.total_time_ms", it, 1);
	rep(&n, "new-cell", "migration.total_time_ms", it, 1);

	f = open_memstream(&out, &len);
	ck_assert_msg(mt_report_compare(&b, &n, 10, f, &reg, &err) == 0, "%s", err.msg);
	fclose(f);
	ck_assert_uint_eq(reg, 3);
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "total_time_ms"), "+15.0%  regression"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "throughput_bps"), "-20.0%  regression"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "during.loss_pct"), "-50.0%  improved"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "network_outage_ms"), "+5.0%  ok"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "after.loss_pct"), "+inf%  regression"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "web", "dirty_rate_pages_s"), "info"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "new-cell", "total_time_ms"), "new"));
	ck_assert_ptr_nonnull(strstr(line_of(out, "gone-cell", "total_time_ms"), "gone"));
	ck_assert_ptr_nonnull(strstr(out, "8 metrics compared, 3 regressions (tolerance 10%)"));
	free(out);

	/* a wider tolerance lets the 15 % and 20 % through */
	out = NULL;
	f = open_memstream(&out, &len);
	ck_assert_int_eq(mt_report_compare(&b, &n, 25, f, &reg, &err), 0);
	fclose(f);
	ck_assert_uint_eq(reg, 1);
	free(out);
	/* a run against itself never regresses */
	out = NULL;
	f = open_memstream(&out, &len);
	ck_assert_int_eq(mt_report_compare(&n, &n, 0, f, &reg, &err), 0);
	fclose(f);
	ck_assert_uint_eq(reg, 0);
	free(out);
	ck_assert_int_eq(mt_report_compare(&b, &n, -1, stdout, &reg, &err), MT_EINVAL);
	mt_run_result_free(&b);
	mt_run_result_free(&n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("compare");

	tcase_add_test(tc, test_compare);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
