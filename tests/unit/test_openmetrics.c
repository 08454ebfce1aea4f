/* test_openmetrics.c — OpenMetrics names, units and the bounded series count, on a results
 * file shaped like a lab run (fixtures/results/lab-seed.json: every family the plugins write). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"
#include "test_util.h"

#define FIXTURE MT_FIXTURES "/results/lab-seed.json"

/* The fixture rendered; *run keeps the model for the caller to change and render again. */
static char *render(struct mt_run_result *run)
{
	struct mt_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(mt_report_openmetrics(run, f, &err) == 0, "%s", err.msg);
	fclose(f);
	return buf;
}

static char *render_fixture(struct mt_run_result *run)
{
	struct mt_error err = { 0 };

	memset(run, 0, sizeof(*run));
	ck_assert_msg(mt_result_read_file(FIXTURE, run, &err) == 0, "%s", err.msg);
	return render(run);
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	return n >= sl && strncmp(s + n - sl, suffix, sl) == 0;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The value of the sample line starting with prefix, or NAN. */
static double sample(const char *x, const char *prefix)
{
	const char *p = strstr(x, prefix);

	return p ? strtod(p + strlen(prefix), NULL) : NAN;
}

/* Every family name ends in a base unit, "_info", or is a count or ratio Prometheus's lint
 * accepts: no bits, no abbreviations, no "_count" or "_total" on a gauge. */
START_TEST(names_and_units)
{
	static const char *const ok_ends[] = {
		"_seconds", "_bytes", "_bytes_per_second", "_ratio", "_info", "_iterations",
		"_hops_completed", "_stalls", "_verdict", "_exit_status",
	};
	static const char *const banned[] = {
		"bits", "_ms_", "_bps_", "_pct_", "_bytes_seconds", "_s_",
	};
	static const char *const reserved[] = { "_count", "_total", "_sum", "_bucket" };
	struct mt_run_result run;
	char *x = render_fixture(&run), *line, *save = NULL, *copy = strdup(x);
	size_t families = 0;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n, i;
		int ok = 0;

		if (strncmp(line, "# TYPE ", 7) != 0)
			continue;
		families++;
		n = strcspn(line + 7, " ");
		ck_assert_msg(strncmp(line + 7 + n, " gauge", 6) == 0, "%s", line);
		for (i = 0; i < sizeof(ok_ends) / sizeof(ok_ends[0]); i++)
			ok |= ends_with(line + 7, n, ok_ends[i]);
		ck_assert_msg(ok, "no base unit: %s", line);
		for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++) {
			char name[256];

			snprintf(name, sizeof(name), "%.*s_", (int)n, line + 7);
			ck_assert_msg(!strstr(name, banned[i]), "'%s' in %s", banned[i], line);
		}
		for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			ck_assert_msg(!ends_with(line + 7, n, reserved[i]), "gauge %s", line);
	}
	ck_assert_uint_ge(families, 40);
	/* bit/s → bytes/s, converted: 352.5 Mbit/s is 44.0625 MB/s */
	ck_assert_double_eq(sample(x, "migtorture_qos_baseline_video_throughput_mean_bytes_per_second"
				      "{section=\"offline-video\",cell=\"offline-video\",repeat=\"0\"} "),
			    44062500);
	/* a rate in bytes/s stays bytes/s (it was exported as _bytes_seconds) */
	ck_assert_double_eq(sample(x, "migtorture_stress_guest_dirty_rate_bytes_per_second"
				      "{section=\"no-video\",cell=\"no-video\",repeat=\"0\"} "),
			    16200000);
	ck_assert_double_eq(sample(x, "migtorture_qos_during_stream_stalls"
				      "{section=\"online-video\",cell=\"online-video\",repeat=\"1\"} "), 1);
	ck_assert_double_eq(sample(x, "migtorture_qos_during_loss_ratio"
				      "{section=\"no-video\",cell=\"no-video\",repeat=\"0\"} "), 0.045);
	ck_assert_double_eq(sample(x, "migtorture_downtime_guest_stall_seconds"
				      "{section=\"no-video\",cell=\"no-video\",repeat=\"1\"} "), 0.08925);
	free(copy);
	free(x);
	mt_run_result_free(&run);
}
END_TEST

/* Words are labels of info gauges; a word key holding a number (older results) is left out. */
START_TEST(words_are_info_labels)
{
	struct mt_run_result run;
	char *x = render_fixture(&run);

	ck_assert_ptr_nonnull(strstr(x, "# TYPE migtorture_migration_job_operation_info gauge\n"
		"migtorture_migration_job_operation_info{section=\"no-video\",cell=\"no-video\","
		"repeat=\"0\",operation=\"migration_out\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_migration_direction_info{section=\"no-video\","
		"cell=\"no-video\",repeat=\"1\",direction=\"dest->source\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(x, ",source=\"udp\"} 1\n"));
	ck_assert_ptr_null(strstr(x, "final_host")); /* not a key metric */
	free(x);
	ck_assert_int_eq(mt_cell_set_num(&run.cells[0], "migration.job.operation", 5), 0);
	x = render(&run);
	ck_assert_int_eq(count(x, "operation=\""), (int)run.ncells - 1);
	ck_assert_ptr_null(strstr(x, "migtorture_migration_job_operation{"));
	free(x);
	mt_run_result_free(&run);
}
END_TEST

/* At most 49 key series plus verdict and duration per cell and repeat, whatever the plugins
 * wrote; families are declared once and their samples are contiguous. */
START_TEST(bounded_and_contiguous)
{
	struct mt_run_result run;
	char *x = render_fixture(&run), *line, *save = NULL, *copy = strdup(x);
	char seen[128][160], cur[160] = "";
	size_t nseen = 0, samples = 0, i;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[160];

		if (line[0] == '#')
			continue;
		samples++;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, "{ "), line);
		if (strcmp(name, cur) == 0)
			continue;
		for (i = 0; i < nseen; i++)
			ck_assert_msg(strcmp(seen[i], name) != 0, "%s not contiguous", name);
		ck_assert_uint_lt(nseen, 128);
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
		snprintf(cur, sizeof(cur), "%s", name);
	}
	/* 6 cells, 40 series each with verdict and duration (a video cell has no page loads,
	 * ...), and 2 of the run */
	ck_assert_uint_le(samples, run.ncells * 51 + 2);
	ck_assert_uint_eq(samples, 242);
	free(copy);
	free(x);
	mt_run_result_free(&run);
}
END_TEST

/* A cell of several VMs: each VM's figures join their family with a vm label, contiguous with
 * the other cells'; the cell's own evacuation time is a family of its own. */
START_TEST(several_vms_are_labelled)
{
	struct mt_run_result run;
	char *x = render_fixture(&run);
	const char *fam = "migtorture_migration_total_time_seconds";
	char want[256];

	free(x);
	ck_assert_int_eq(mt_cell_set_num(&run.cells[0], "vm.web2.migration.total_time_ms", 1500), 0);
	ck_assert_int_eq(mt_cell_set_num(&run.cells[0], "migration.evacuation_time_ms", 2500), 0);
	ck_assert_int_eq(mt_cell_set_num(&run.cells[0], "vm.web-3.downtime.network_outage_ms", 75),
			 0);
	x = render(&run);
	snprintf(want, sizeof(want), "%s{section=\"%s\",cell=\"%s\",repeat=\"%d\",vm=\"web2\"} 1.5\n",
		 fam, run.cells[0].section, run.cells[0].name, run.cells[0].repeat);
	ck_assert_msg(strstr(x, want), "no %s", want);
	ck_assert_ptr_nonnull(strstr(x, ",vm=\"web-3\"} 0.075\n"));
	ck_assert_ptr_nonnull(strstr(x, "migtorture_migration_evacuation_time_seconds{"));
	ck_assert_int_eq(count(x, "# TYPE migtorture_migration_total_time_seconds gauge"), 1);
	ck_assert_ptr_null(strstr(x, "migtorture_vm_"));
	free(x);
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("openmetrics");
	TCase *tc = tcase_create("openmetrics");

	tcase_add_test(tc, names_and_units);
	tcase_add_test(tc, words_are_info_labels);
	tcase_add_test(tc, bounded_and_contiguous);
	tcase_add_test(tc, several_vms_are_labelled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
