/* test_junit.c — JUnit XML and OpenMetrics renderers: well-formed (xmllint), counts, escaping,
 * names and units. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migtorture/report.h"
#include "test_util.h"

extern char **environ;

static char dir[] = "/tmp/mt-test-junit-XXXXXX";

static void build(struct mt_run_result *run)
{
	struct mt_cell_result *c;

	memset(run, 0, sizeof(*run));
	run->run_id = strdup("run-1");
	run->seed = 18446744073709551615ULL;
	run->exit_status = 3;
	run->finished_wall_ns = 1795000000500000000LL;
	ck_assert_int_eq(mt_run_add_fact(run, "hostname", "lab & <co>"), 0);

	c = mt_run_add_cell(run, "web/fault=netem delay=20ms");
	c->section = strdup("no-video");
	c->repeat = 0;
	c->duration_ns = 1500000000;
	c->started_wall_ns = 1795000000000000000LL;
	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", 812), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.p99", 2.5), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.loss_pct", 1.5), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.transferred_bytes", 1073741824), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.throughput_bps", 1e8), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.dirty_rate_pages_s", 1200), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.iterations", 4), 0);
	ck_assert_int_eq(mt_cell_set_absent(c, "downtime.guest_stall_ms", "no helper"), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "downtime.network_outage_ms", NAN), 0);
	ck_assert_int_eq(mt_cell_set_str(c, "memory_integrity", "ok"), 0);
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL), 0);

	c = mt_run_add_cell(run, "web/fault=netem delay=20ms");
	c->section = strdup("no-video");
	c->repeat = 1;
	c->duration_ns = 2250000000;
	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", 40000), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "migration.total_time_ms <= 30s", 0, 40000, 30000,
					   "40000 ms > 30000 ms"), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "loss_pct <= 2%", 1, 1, 2, NULL), 0);
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_FAIL, "total <time> & \"quotes\" 'x'"), 0);

	c = mt_run_add_cell(run, "video \x01 bad\xff utf8 ☃");
	c->section = strdup("offline-video");
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_SKIP, "kernel lacks sch_netem\nsecond line"), 0);
	c = mt_run_add_cell(run, "video/err");
	c->section = strdup("offline-video");
	ck_assert_int_eq(mt_cell_add_check(c, "guest_stall_ms <= 1s", -1, NAN, 1000, "metric absent"), 0);
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_ERROR, "guest_stall_ms: metric absent"), 0);
	mt_run_add_cell(run, "never-ran"); /* no section, verdict none */
}

/* Whole file as a string (caller frees); the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = tu_read(path, NULL);

	ck_assert_msg(buf != NULL, "reading %s", path);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Runs xmllint --noout [--schema xsd] path; returns its exit status. */
static int xmllint_schema(const char *path, const char *xsd)
{
	char *argv[] = { "xmllint", "--noout", (char *)path, NULL, NULL, NULL };
	int st;
	pid_t pid;

	if (xsd) {
		argv[2] = "--schema";
		argv[3] = (char *)xsd;
		argv[4] = (char *)path;
	}
	ck_assert_int_eq(posix_spawnp(&pid, "xmllint", NULL, NULL, argv, environ), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int xmllint(const char *path)
{
	return xmllint_schema(path, NULL);
}

#define XSD MT_FIXTURES "/junit-subset.xsd"

START_TEST(test_junit_wellformed)
{
	struct mt_run_result run;
	struct mt_error err = { 0 };
	char path[128], *x;

	build(&run);
	snprintf(path, sizeof(path), "%s/junit.xml", dir);
	ck_assert_msg(mt_report_write_file(path, mt_report_junit, &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(xmllint(path), 0);
	ck_assert_int_eq(xmllint_schema(path, XSD), 0);
	x = slurp(path);
	ck_assert_int_eq(count(x, "<testsuite "), 3); /* no-video, offline-video, migtorture */
	ck_assert_int_eq(count(x, "<testcase "), 5);
	ck_assert_int_eq(count(x, "<failure "), 1);
	ck_assert_int_eq(count(x, "<error "), 1);
	ck_assert_int_eq(count(x, "<skipped "), 2); /* the skip and the never-run cell */
	ck_assert_ptr_nonnull(strstr(x, "<testsuites name=\"migtorture run-1\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"2\" time=\"3.750\">"));
	ck_assert_ptr_nonnull(strstr(x, "classname=\"no-video\" name=\"web/fault=netem delay=20ms#1\" time=\"2.250\""));
	/* the failure names the threshold, its value and limit; the reason opens the body */
	ck_assert_ptr_nonnull(strstr(x, "<failure type=\"threshold\" message=\"migration.total_time_ms &lt;= 30s: value 40 s, limit 30 s\">total &lt;time&gt; &amp; &quot;quotes&quot; &#39;x&#39;\n"));
	/* key metrics as testcase properties, exact, in the unit of their name */
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"migration.total_time_ms\" value=\"812\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"migration.transferred_bytes\" value=\"1073741824\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"downtime.guest_stall_ms\" value=\"absent: no helper\"/>"));
	ck_assert_ptr_null(strstr(x, "<property name=\"downtime.network_outage_ms\"")); /* NaN */
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"migration.total_time_ms\" value=\"40000\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "threshold: migration.total_time_ms &lt;= 30s value: 40000 limit: 30000"));
	ck_assert_ptr_null(strstr(x, "threshold: loss_pct")); /* held checks are not failures */
	ck_assert_ptr_nonnull(strstr(x, "kernel lacks sch_netem&#10;second line"));
	ck_assert_ptr_nonnull(strstr(x, "video \xef\xbf\xbd bad\xef\xbf\xbd utf8 ☃#0"));
	ck_assert_ptr_nonnull(strstr(x, "classname=\"migtorture\" name=\"never-ran#0\""));
	ck_assert_ptr_nonnull(strstr(x, "<skipped message=\"not run\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "<property name=\"seed\" value=\"18446744073709551615\"/>"));
	ck_assert_ptr_nonnull(strstr(x, "hostname=\"lab &amp; &lt;co&gt;\""));
	ck_assert_ptr_nonnull(strstr(x, "timestamp=\"2026-11-18T"));
	free(x);
	unlink(path);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_junit_empty_and_broken_xml_detected)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	char path[128], *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/empty.xml", dir);
	ck_assert_int_eq(mt_report_write_file(path, mt_report_junit, &run, &err), 0);
	ck_assert_int_eq(xmllint(path), 0);
	ck_assert_int_eq(xmllint_schema(path, XSD), 0);
	x = slurp(path);
	ck_assert_ptr_nonnull(strstr(x, "tests=\"0\""));
	free(x);
	/* the schema rejects what CI readers would choke on (so the check can fail) */
	f = fopen(path, "w");
	fputs("<testsuites name=\"x\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" "
	      "time=\"1,5\"/>", f);
	fclose(f);
	ck_assert_int_eq(xmllint(path), 0);
	ck_assert_int_ne(xmllint_schema(path, XSD), 0);
	/* the checker itself rejects a broken document (so the test above can fail) */
	f = fopen(path, "w");
	fputs("<a><b></a>", f);
	fclose(f);
	ck_assert_int_ne(xmllint(path), 0);
	unlink(path);
}
END_TEST

START_TEST(test_openmetrics)
{
	struct mt_run_result run;
	struct mt_error err = { 0 };
	char path[128], *x;

	build(&run);
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	ck_assert_msg(mt_report_write_file(path, mt_report_openmetrics, &run, &err) == 0, "%s", err.msg);
	x = slurp(path);
	/* ms → seconds, one family for both repeats, samples contiguous after HELP/TYPE */
	ck_assert_ptr_nonnull(strstr(x,
		"# TYPE migtorture_migration_total_time_seconds gauge\n"
		"migtorture_migration_total_time_seconds{section=\"no-video\",cell=\"web/fault=netem delay=20ms\",repeat=\"0\"} 0.812\n"
		"migtorture_migration_total_time_seconds{section=\"no-video\",cell=\"web/fault=netem delay=20ms\",repeat=\"1\"} 40\n"));
	ck_assert_int_eq(count(x, "# TYPE migtorture_migration_total_time_seconds "), 1);
	ck_assert_ptr_nonnull(strstr(x, "migtorture_qos_during_rtt_p99_seconds{"));
	ck_assert_ptr_nonnull(strstr(x, "} 0.0025\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_qos_during_loss_ratio{section=\"no-video\",cell=\"web/fault=netem delay=20ms\",repeat=\"0\"} 0.015\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_migration_transferred_bytes{section=\"no-video\",cell=\"web/fault=netem delay=20ms\",repeat=\"0\"} 1073741824\n"));
	/* not a key metric: only in results.json (docs/results.md, OpenMetrics) */
	ck_assert_ptr_null(strstr(x, "throughput"));
	ck_assert_ptr_null(strstr(x, "dirty_rate"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_migration_iterations{"));
	ck_assert_ptr_null(strstr(x, "guest_stall")); /* absent: left out */
	ck_assert_ptr_null(strstr(x, "network_outage")); /* NaN: left out */
	/* words are labels of an info gauge */
	ck_assert_ptr_nonnull(strstr(x, "# TYPE migtorture_memory_integrity_info gauge\n"
		"migtorture_memory_integrity_info{section=\"no-video\",cell=\"web/fault=netem delay=20ms\",repeat=\"0\",memory_integrity=\"ok\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(x, "verdict=\"fail\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(x, "cell=\"never-ran\",repeat=\"0\",verdict=\"none\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_run_exit_status 3\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_run_finished_timestamp_seconds 1795000000.5\n"));
	ck_assert_int_eq(count(x, "# HELP "), count(x, "# TYPE "));
	/* ends with # EOF and a newline, nothing after */
	ck_assert_str_eq(x + strlen(x) - 6, "# EOF\n");
	free(x);
	unlink(path);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(test_report_json_and_errors)
{
	struct mt_run_result run, back = { 0 };
	struct mt_error err = { 0 };
	char path[128], bad[160];

	build(&run);
	snprintf(path, sizeof(path), "%s/again.json", dir);
	ck_assert_int_eq(mt_report_write_file(path, mt_report_json, &run, &err), 0);
	ck_assert_msg(mt_result_read_file(path, &back, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(back.ncells, 5);
	ck_assert_str_eq(back.cells[1].reason, "total <time> & \"quotes\" 'x'");
	mt_run_result_free(&back);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.xml", dir);
	ck_assert_int_eq(mt_report_write_file(bad, mt_report_junit, &run, &err), MT_EIO);
	unlink(path);
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("reports");

	tcase_add_test(tc, test_junit_wellformed);
	tcase_add_test(tc, test_junit_empty_and_broken_xml_detected);
	tcase_add_test(tc, test_openmetrics);
	tcase_add_test(tc, test_report_json_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!tu_have("xmllint")) {
		printf("SKIP: xmllint not installed (package libxml2-utils, see scripts/setup)\n");
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(suite());
	/* no fork: the temp dir is shared and removed here */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
