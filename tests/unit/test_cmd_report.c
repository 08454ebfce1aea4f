/* test_cmd_report.c — the report and compare subcommands over real files, shards joined. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_report.h"
#include "migtorture/report.h"
#include "migtorture/threshold.h"

static char dir[] = "/tmp/mt-test-cmdreport-XXXXXX";
static char shard1[128], shard2[128], slower[128];

static void write_shard(const char *path, const char *cell, double total, enum mt_verdict v)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	struct mt_cell_result *c;

	run.run_id = strdup("r1");
	run.shard = strdup("1/2");
	c = mt_run_add_cell(&run, cell);
	c->section = strdup("web");
	c->verdict = v;
	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", total), 0);
	run.verdict = v;
	ck_assert_msg(mt_result_write_file(&run, path, &err) == 0, "%s", err.msg);
	mt_run_result_free(&run);
}

/* Fresh input files for each test (assertions only work inside tests). */
static void shards(void)
{
	write_shard(shard1, "web/a", 1000, MT_VERDICT_PASS);
	write_shard(shard2, "web/b", 1000, MT_VERDICT_FAIL);
	write_shard(slower, "web/a", 1200, MT_VERDICT_PASS);
}

static int run_cmd(int (*cmd)(int, char **), char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return cmd(argc, argv);
}

START_TEST(test_report_join_and_formats)
{
	struct mt_run_result back = { 0 };
	struct mt_error err = { 0 };
	char out[160];
	char *a1[] = { "report", shard1, shard2, "--format", "json", "-o", out, NULL };
	char *a2[] = { "report", "--format=junit", shard1, "-o", out, NULL };
	char *a3[] = { "report", shard1, "--format", "pdf", NULL };
	char *a4[] = { "report", NULL };
	char *a5[] = { "report", "/nonexistent/results.json", NULL };
	char *a6[] = { "report", "-f", "openmetrics", "-o", out, shard2, NULL };
	char *a7[] = { "report", "-f", "html", "-o", out, shard1, shard2, NULL };

	shards();
	snprintf(out, sizeof(out), "%s/out", dir);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a1), 0);
	ck_assert_msg(mt_result_read_file(out, &back, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(back.ncells, 2);
	ck_assert_str_eq(back.cells[0].name, "web/a");
	ck_assert_str_eq(back.cells[1].name, "web/b");
	ck_assert_int_eq(back.verdict, MT_VERDICT_FAIL); /* recomputed over both shards */
	ck_assert_int_eq(back.exit_status, MT_EXIT_FAIL);
	ck_assert_ptr_null(back.shard);
	mt_run_result_free(&back);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a2), 0);
	ck_assert_int_eq(access(out, R_OK), 0);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a3), MT_EXIT_USAGE);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a4), MT_EXIT_USAGE);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a5), MT_EXIT_USAGE);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a6), 0);
	ck_assert_int_eq(run_cmd(mt_cmd_report, a7), 0);
	unlink(out);
}
END_TEST

START_TEST(test_compare_cmd)
{
	char *same[] = { "compare", shard1, shard1, NULL };
	char *worse[] = { "compare", shard1, slower, NULL };
	char *loose[] = { "compare", "--tolerance", "50%", shard1, slower, NULL };
	char *badtol[] = { "compare", "-t", "ten", shard1, slower, NULL };
	char *one[] = { "compare", shard1, NULL };

	shards();

	ck_assert_int_eq(run_cmd(mt_cmd_compare, same), 0);
	ck_assert_int_eq(run_cmd(mt_cmd_compare, worse), 1); /* 1000 → 1200 ms: +20 % */
	ck_assert_int_eq(run_cmd(mt_cmd_compare, loose), 0);
	ck_assert_int_eq(run_cmd(mt_cmd_compare, badtol), 2);
	ck_assert_int_eq(run_cmd(mt_cmd_compare, one), 2);
}
END_TEST

START_TEST(test_merge)
{
	struct mt_run_result a = { 0 }, b = { 0 };
	int i;

	for (i = 0; i < 20; i++)
		mt_run_add_cell(&a, "a");
	mt_run_add_cell(&b, "b");
	ck_assert_int_eq(mt_cell_set_num(&b.cells[0], "x_ms", 1), 0);
	ck_assert_int_eq(mt_run_merge(&a, &b), 0);
	ck_assert_uint_eq(a.ncells, 21);
	ck_assert_uint_eq(b.ncells, 0);
	ck_assert_ptr_null(b.cells);
	ck_assert(mt_cell_metric(&a.cells[20], "x_ms")->num == 1);
	ck_assert_int_eq(mt_run_merge(&a, &a), MT_EINVAL);
	ck_assert_int_eq(mt_run_merge(&a, &b), 0); /* nothing to move */
	mt_run_result_free(&a);
	mt_run_result_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cmd_report");
	TCase *tc = tcase_create("cmd_report");

	tcase_add_test(tc, test_report_join_and_formats);
	tcase_add_test(tc, test_compare_cmd);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(shard1, sizeof(shard1), "%s/shard1.json", dir);
	snprintf(shard2, sizeof(shard2), "%s/shard2.json", dir);
	snprintf(slower, sizeof(slower), "%s/slower.json", dir);
	sr = srunner_create(suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(shard1);
	unlink(shard2);
	unlink(slower);
	rmdir(dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
