/* test_html.c — the HTML report: well-formed (xmllint), self-contained, with its parts. */
#include <check.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migtorture/report.h"
#include "reports/keymetrics.h"
#include "reports/units_fmt.h"
#include "reports/xml.h"
#include "test_util.h"

extern char **environ;

static void build(struct mt_run_result *run)
{
	static const char *const faults[] = { "none", "netem delay=20ms" };
	static const char *const stress[] = { "none", "host-cpu" };
	char name[128];
	struct mt_cell_result *c;
	struct mt_series *s;
	int a, b, r, i;

	memset(run, 0, sizeof(*run));
	run->run_id = strdup("run <&> 1");
	run->started_wall_ns = 1795619760000000000LL;
	ck_assert_int_eq(mt_run_add_fact(run, "kernel", "6.1 \"x\""), 0);
	for (a = 0; a < 2; a++) {
		for (b = 0; b < 2; b++) {
			snprintf(name, sizeof(name), "web/fault=%s stress=%s", faults[a], stress[b]);
			for (r = 0; r < 3; r++) {
				c = mt_run_add_cell(run, name);
				c->section = strdup("web");
				c->repeat = r;
				c->duration_ns = 30000000000LL;
				ck_assert_int_eq(mt_cell_add_axis(c, "fault", faults[a]), 0);
				ck_assert_int_eq(mt_cell_add_axis(c, "stress", stress[b]), 0);
				ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms",
								  1000.0 * (1 + a + 2 * b) + r), 0);
				ck_assert_int_eq(mt_cell_set_absent(c, "downtime.guest_stall_ms", "no helper"), 0);
				ck_assert_int_eq(mt_cell_set_num(c, "downtime.network_outage_ms", 120 + r), 0);
				ck_assert_int_eq(mt_cell_add_event(c, 5000000000LL, 5000100000LL, "fault.on netem", NULL, 0), 0);
				ck_assert_int_eq(mt_cell_add_event(c, 10000000000LL, 10000200000LL, "migrate.start", NULL, 0), 0);
				ck_assert_int_eq(mt_cell_add_event(c, 12000000000LL, 12000100000LL, "migrate.end", NULL, 0), 0);
				ck_assert_int_eq(mt_cell_add_event(c, 20000000000LL, 20000100000LL, "fault.off netem", NULL, 0), 0);
				s = mt_cell_series(c, "probe.udp.rtt_ms", "ms");
				for (i = 0; i < 300; i++)
					ck_assert_int_eq(mt_series_add(s, (int64_t)i * 100000000, i >= 110 && i < 114 ? NAN : 0.2 + (i % 7) * 0.1), 0);
				ck_assert_int_eq(mt_cell_add_check(c, "migration.total_time_ms <= 3s", 1, 1000, 3000, NULL), 0);
				c->verdict = MT_VERDICT_PASS;
			}
		}
	}
	c = mt_run_add_cell(run, "video \xff skipped");
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_SKIP, "no <netem>"), 0);
}

static int xmllint(const char *path)
{
	char *argv[] = { "xmllint", "--noout", (char *)path, NULL };
	int st;
	pid_t pid;

	ck_assert_int_eq(posix_spawnp(&pid, "xmllint", NULL, NULL, argv, environ), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
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

START_TEST(test_html)
{
	char dir[64], path[128];
	struct mt_run_result run;
	struct mt_error err = { 0 };
	char *x;

	tu_tmpdir(dir, sizeof(dir), "test-html");
	snprintf(path, sizeof(path), "%s/report.html", dir);
	build(&run);
	ck_assert_msg(mt_report_write_file(path, mt_report_html, &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(xmllint(path), 0);
	x = tu_read(path, NULL);
	ck_assert_msg(x != NULL, "reading %s", path);

	ck_assert_ptr_nonnull(strstr(x, "<!DOCTYPE html>"));
	ck_assert_ptr_null(strstr(x, "<script")); /* self-contained, nothing to fetch */
	ck_assert_ptr_null(strstr(x, "src="));
	ck_assert_ptr_null(strstr(x, "href="));
	ck_assert_ptr_nonnull(strstr(x, "<h1>migtorture report: run &lt;&amp;&gt; 1</h1>"));
	/* 12 repeats, one RTT plot each, broken once by the 4 lost samples */
	ck_assert_int_eq(count(x, "<polyline "), 12 * 2);
	ck_assert_int_eq(count(x, "class=\"lost\""), 12 * 4);
	ck_assert_int_eq(count(x, "class=\"fault\""), 12);  /* fault window */
	ck_assert_int_eq(count(x, "class=\"mig\""), 12);    /* migration interval */
	/* the network outage drawn where the probe lost its replies: 10.9 s (last reply before
	 * samples 110..113) to 11.4 s, not at the end of the migration call */
	ck_assert_int_eq(count(x, "class=\"dt2\""), 12);
	ck_assert_ptr_nonnull(strstr(x, "network outage: 120 ms — drawn from 10.9 s, probe.udp.rtt_ms"));
	ck_assert_ptr_nonnull(strstr(x, "guest stall: absent (no helper)"));
	ck_assert_ptr_nonnull(strstr(x, "<h2>Heat map: fault × stress</h2>"));
	ck_assert_ptr_nonnull(strstr(x, "<tr><th></th><th>none</th><th>host-cpu</th></tr>"));
	ck_assert_ptr_nonnull(strstr(x, ">4001 ms</td>")); /* fault=netem, stress=host-cpu: 4000+0..2 */
	/* human units, never e-notation; the verdict before the thresholds */
	ck_assert_ptr_null(strstr(x, "e+0"));
	ck_assert_ptr_nonnull(strstr(x, ">4001 ± 2.48 ms</td>"));
	ck_assert(strstr(x, "id=\"verdict\"") < strstr(x, "<tr class=\"thr\">"));
	/* scenario names on the box plots' axis */
	ck_assert_int_eq(count(x, ">web/fault=none stress=host-cpu</text>"), 2);
	/* box plots: 4 cell names × 2 key metrics measured (total time, network outage) */
	ck_assert_int_eq(count(x, "<g class=\"box\">"), 4 * 2);
	ck_assert_ptr_nonnull(strstr(x, "video \xef\xbf\xbd skipped"));
	ck_assert_ptr_nonnull(strstr(x, "no &lt;netem&gt;"));
	/* one threshold row per scenario, its 3 repeats' checks folded below it */
	ck_assert_int_eq(count(x, "<tr class=\"thr\">"), 4);
	ck_assert_int_eq(count(x, "<td class=\"pass\">pass</td>"), 12);
	ck_assert_int_eq(count(x, "<details>"), 4);
	free(x);
	tu_rm_rf(dir);
	mt_run_result_free(&run);
}
END_TEST

/* The one escaper of HTML, SVG and JUnit: entities, whitespace as references, and U+FFFD for
 * what XML 1.0 cannot carry (a control character, a byte that is not UTF-8, U+FFFE). */
/* The one key-metrics list: every entry is shown somewhere, in a unit the formatters know, and
 * the terminal summary's entries have a short header and fit its columns. */
START_TEST(test_key_metrics_list)
{
	size_t summary = 0, page = 0;

	for (size_t k = 0; k < mt_nkey_metrics; k++) {
		const struct mt_key_metric *m = &mt_key_metrics[k];

		ck_assert_msg(m->in != 0 && (m->in & ~(unsigned)MT_KM_ALL) == 0, "%s", m->path);
		ck_assert_msg(mt_hunit_of_path(m->path) != MT_HU_COUNT, "%s: no unit", m->path);
		if (m->in & MT_KM_SUMMARY) {
			ck_assert_ptr_nonnull(m->head);
			summary++;
		}
		page += (m->in & MT_KM_PAGE) != 0;
		for (size_t j = 0; j < k; j++)
			ck_assert_str_ne(m->path, mt_key_metrics[j].path);
	}
	ck_assert_uint_eq(summary, 6);
	ck_assert_uint_eq(page, 8);
	ck_assert_str_eq(mt_key_metrics[0].path, "migration.total_time_ms");
}
END_TEST

START_TEST(test_xml_escape)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	mt_xml_escape("a<b>&\"'\n\t\r\x01\xff\xef\xbf\xbe\xc3\xa9\xed\xa0\x80z", f);
	mt_xml_escape(NULL, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(out, "a&lt;b&gt;&amp;&quot;&#39;&#10;&#9;&#13;\xef\xbf\xbd\xef\xbf\xbd"
			      "\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	free(out);
}
END_TEST

START_TEST(test_html_empty)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_int_eq(mt_report_html(&run, f, &err), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "No thresholds were evaluated."));
	ck_assert_ptr_nonnull(strstr(out, "</html>\n"));
	free(out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_html_empty);
	tcase_add_test(tc, test_xml_escape);
	tcase_add_test(tc, test_key_metrics_list);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{

	if (!tu_have("xmllint")) {
		printf("SKIP: xmllint not installed (package libxml2-utils, see scripts/setup)\n");
		return 77;
	}
	return tu_run(suite());
}
