/* stress_check — checks and tables over results.json for the stress lab test and the
 * dirty-sweep benchmark (C, so CI needs neither jq nor python).
 *   stress_check dirty RESULTS.json SET_BPS TOL_PCT   every cell with guest-dirty: no error,
 *                                                     memory integrity "ok", libvirt's dirty
 *                                                     rate within TOL_PCT of SET_BPS
 *   stress_check table RESULTS.json                   one row per cell: section, stress,
 *                                                     total time, downtime, dirty rates
 *   stress_check selftest                             the checks against synthetic results
 * Exits 0 when every check held, 1 when one failed, 2 on usage or unreadable input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/result.h"

static double num(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	return m && m->kind == MT_METRIC_NUM ? m->num : NAN;
}

static const char *str(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	return m && m->kind == MT_METRIC_STR ? m->str : m && m->kind == MT_METRIC_ABSENT ?
		"absent" : "-";
}

static const char *axis(const struct mt_cell_result *c, const char *key)
{
	for (size_t i = 0; i < c->naxes; i++)
		if (!strcmp(c->axes[i].key, key))
			return c->axes[i].val;
	return "-";
}

/* Returns the number of failed checks. */
static int check_dirty(const struct mt_run_result *run, double set, double tol, int quiet)
{
	int failed = 0, seen = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const char *integ = str(c, "stress.guest.memory_integrity");
		double lv = num(c, "stress.guest.libvirt_dirty_rate_bytes_s");
		double g = num(c, "stress.guest.dirty_rate_bytes_s");
		int bad = 0;

		if (!mt_cell_metric(c, "stress.guest.dirty_rate_set_bytes_s") &&
		    strcmp(integ, "-") == 0)
			continue; /* no guest-dirty in this cell */
		seen++;
		if (c->verdict == MT_VERDICT_ERROR || c->verdict == MT_VERDICT_SKIP) {
			if (!quiet)
				printf("FAIL %s: %s: %s\n", c->name, mt_verdict_name(c->verdict),
				       c->reason ? c->reason : "");
			failed++;
			continue;
		}
		if (strcmp(integ, "ok") != 0) {
			if (!quiet)
				printf("FAIL %s: memory integrity %s (lost pages %.0f, first at %.0f)\n",
				       c->name, integ, num(c, "stress.guest.lost_pages"),
				       num(c, "stress.guest.first_lost_offset_bytes"));
			bad = 1;
		}
		if (!(fabs(lv - set) <= tol / 100 * set)) {
			if (!quiet)
				printf("FAIL %s: libvirt dirty rate %.1f MiB/s, set %.1f MiB/s (±%.0f %%)\n",
				       c->name, lv / 1048576, set / 1048576, tol);
			bad = 1;
		}
		if (!quiet)
			printf("%s %s: integrity %s, guest %.1f MiB/s, libvirt %.1f MiB/s, ratio %.3f, "
			       "total %.0f ms, downtime %.0f ms\n", bad ? "    " : "ok  ", c->name,
			       integ, g / 1048576, lv / 1048576,
			       num(c, "stress.guest.dirty_rate_ratio"),
			       num(c, "migration.total_time_ms"), num(c, "migration.downtime_ms"));
		failed += bad;
	}
	if (seen == 0) {
		if (!quiet)
			printf("FAIL: no cell ran guest-dirty\n");
		failed++;
	}
	return failed;
}

static void table(const struct mt_run_result *run)
{
	printf("%-16s %-34s %10s %10s %10s %10s %9s %s\n", "section", "stress", "total_ms",
	       "downtime_ms", "guest_MiBs", "libvirt_MiBs", "integrity", "verdict");
	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		printf("%-16s %-34.34s %10.0f %10.0f %10.1f %10.1f %9s %s\n", c->section,
		       axis(c, "stress"), num(c, "migration.total_time_ms"),
		       num(c, "migration.downtime_ms"),
		       num(c, "stress.guest.dirty_rate_bytes_s") / 1048576,
		       num(c, "stress.guest.libvirt_dirty_rate_bytes_s") / 1048576,
		       str(c, "stress.guest.memory_integrity"), mt_verdict_name(c->verdict));
	}
}

static int selftest(void)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c;
	int bad = 0;

	c = mt_run_add_cell(&run, "good");
	mt_cell_set_num(c, "stress.guest.dirty_rate_set_bytes_s", 50 * 1048576.0);
	mt_cell_set_str(c, "stress.guest.memory_integrity", "ok");
	mt_cell_set_num(c, "stress.guest.libvirt_dirty_rate_bytes_s", 45 * 1048576.0);
	c->verdict = MT_VERDICT_PASS;
	bad |= check_dirty(&run, 50 * 1048576.0, 25, 1) != 0;
	mt_cell_set_num(c, "stress.guest.libvirt_dirty_rate_bytes_s", 30 * 1048576.0);
	bad |= check_dirty(&run, 50 * 1048576.0, 25, 1) != 1;
	mt_cell_set_num(c, "stress.guest.libvirt_dirty_rate_bytes_s", 50 * 1048576.0);
	mt_cell_set_str(c, "stress.guest.memory_integrity", "lost");
	bad |= check_dirty(&run, 50 * 1048576.0, 25, 1) != 1;
	mt_cell_set_str(c, "stress.guest.memory_integrity", "ok");
	c->verdict = MT_VERDICT_ERROR;
	bad |= check_dirty(&run, 50 * 1048576.0, 25, 1) != 1;
	mt_run_result_free(&run);
	memset(&run, 0, sizeof(run));
	c = mt_run_add_cell(&run, "no-stress");
	bad |= check_dirty(&run, 50 * 1048576.0, 25, 1) != 1; /* nothing checked is a failure */
	mt_run_result_free(&run);
	printf("selftest %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	int rc;

	if (argc == 2 && !strcmp(argv[1], "selftest"))
		return selftest();
	if (argc < 3 || (strcmp(argv[1], "dirty") && strcmp(argv[1], "table")) ||
	    (!strcmp(argv[1], "dirty") && argc != 5)) {
		fprintf(stderr, "usage: stress_check dirty RESULTS SET_BPS TOL_PCT | table RESULTS "
				"| selftest\n");
		return 2;
	}
	if (mt_result_read_file(argv[2], &run, &err) < 0) {
		fprintf(stderr, "stress_check: %s\n", err.msg);
		return 2;
	}
	if (!strcmp(argv[1], "table")) {
		table(&run);
		rc = 0;
	} else {
		rc = check_dirty(&run, strtod(argv[3], NULL), strtod(argv[4], NULL), 0) ? 1 : 0;
	}
	mt_run_result_free(&run);
	return rc;
}
