/* driver_check.c — checks a results.json from tests/lab/driver_migrate.sh (no jq needed).
 *
 *   driver_check labvalue LAB.json DOTTED.PATH   print a string/number from the lab descriptor
 *   driver_check idle RESULTS.json FINAL_URI     the idle A→B→A cells (section "idle")
 *   driver_check capped RESULTS.json BYTES_S     the bandwidth-capped cell (section "capped")
 *   driver_check modes RESULTS.json FINAL_URI    every cell passed (two hops, back on the
 *                                                source) or was skipped with a reason
 *   driver_check selftest                        the checks against synthetic results
 *
 * Reads results through the project's own reader (mt_result_read_file), so the file is also
 * validated against the schema. Prints one line per failed check and the measured figures;
 * exits 0 when every check held, 1 when one failed, 2 on usage or unreadable input.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "migtorture/result.h"

static int failures;
static int quiet;

static void fail(const char *cell, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(const char *cell, const char *fmt, ...)
{
	va_list ap;

	failures++;
	if (quiet)
		return;
	printf("FAIL %s: ", cell);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The numeric metric, or NAN (and a failure) when missing, absent or not a number. */
static double need(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	if (!m || m->kind != MT_METRIC_NUM) {
		fail(c->name, "%s missing", path);
		if (m && m->kind == MT_METRIC_ABSENT && !quiet)
			printf("     absent: %s\n", m->str ? m->str : "");
		return NAN;
	}
	return m->num;
}

static double opt_num(const struct mt_cell_result *c, const char *path, double fallback)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	return m && m->kind == MT_METRIC_NUM ? m->num : fallback;
}

static const struct mt_series *series(const struct mt_cell_result *c, const char *name)
{
	for (size_t i = 0; i < c->nseries; i++)
		if (strcmp(c->series[i].name, name) == 0)
			return &c->series[i];
	return NULL;
}

/* One completed hop: stats present and consistent. prefix "migration." or "migration.hopN.". */
static void check_hop(const struct mt_cell_result *c, const char *prefix, const char *dt_path,
		      int compressed)
{
	char p[160];
	double total, down, xfer, memtot, constant, page, hv;

#define P(name) (snprintf(p, sizeof(p), "%s%s", prefix, name), p)
	total = need(c, P("total_time_ms"));
	down = need(c, P("downtime_ms"));
	xfer = need(c, P("transferred_bytes"));
	need(c, P("setup_time_ms"));
	need(c, P("memory_bytes"));
	memtot = need(c, P("job.memory_total_bytes"));
	constant = opt_num(c, P("job.memory_constant_pages"), 0);
	page = opt_num(c, P("job.memory_page_size_bytes"), 4096);
	hv = need(c, dt_path);
	if (!(total > 0))
		fail(c->name, "%stotal_time_ms = %g, expected > 0", prefix, total);
	if (!(down >= 0 && down < total))
		fail(c->name, "%sdowntime_ms = %g, expected 0 <= downtime < total %g", prefix, down,
		     total);
	/* RAM in use = pages that were not constant (zero) pages; all of it must have moved
	 * (compressed cells send fewer bytes than that, by design) */
	if (!(xfer > 0 && (compressed || xfer >= memtot - constant * page)))
		fail(c->name, "%stransferred_bytes = %g, expected >= RAM in use %g", prefix, xfer,
		     memtot - constant * page);
	if (!(hv == down))
		fail(c->name, "%s = %g, expected the hop's downtime_ms %g", dt_path, hv, down);
	if (!quiet)
		printf("     %-22s total %8.1f ms  downtime %6.1f ms  transferred %6.1f MiB\n",
		       prefix, total, down, xfer / 1048576.0);
#undef P
}

/* Where a cell's VM must end after an even number of hops: where it started. uris is
 * "SOURCE" or "SOURCE,DEST"; a cell that found the VM on the destination (the runner's
 * migration.direction = dest->source) started there. Returns a static buffer or NULL. */
static const char *expected_final(const struct mt_cell_result *c, const char *uris)
{
	static char buf[1024];
	const struct mt_metric *d = mt_cell_metric(c, "migration.direction");
	const char *comma;

	if (!uris)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", uris);
	comma = strchr(uris, ',');
	if (!comma)
		return buf;
	if (d && d->kind == MT_METRIC_STR && !strcmp(d->str, "dest->source"))
		snprintf(buf, sizeof(buf), "%s", comma + 1);
	else
		buf[comma - uris] = '\0';
	return buf;
}

static int check_idle(const struct mt_run_result *run, const char *final_uri)
{
	int ncells = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const struct mt_metric *fh;
		const char *want;
		const struct mt_series *s;

		if (!c->section || strcmp(c->section, "idle") != 0)
			continue;
		ncells++;
		if (!quiet)
			printf("cell %s: %s%s%s\n", c->name, mt_verdict_name(c->verdict),
			       c->reason ? " — " : "", c->reason ? c->reason : "");
		if (c->verdict != MT_VERDICT_PASS)
			fail(c->name, "verdict %s, expected pass", mt_verdict_name(c->verdict));
		if (need(c, "migration.hops_completed") != 2)
			fail(c->name, "hops_completed = %g, expected 2",
			     opt_num(c, "migration.hops_completed", NAN));
		check_hop(c, "migration.", "downtime.hypervisor_downtime_ms", 0);
		check_hop(c, "migration.hop1.", "downtime.hop1.hypervisor_downtime_ms", 0);
		s = series(c, "migration.memory_remaining_bytes");
		if (!s || s->n < 1)
			fail(c->name, "series migration.memory_remaining_bytes has no samples");
		fh = mt_cell_metric(c, "migration.final_host");
		want = expected_final(c, final_uri);
		if (!fh || fh->kind != MT_METRIC_STR || (want && strcmp(fh->str, want)))
			fail(c->name, "migration.final_host is %s, expected %s",
			     fh && fh->str ? fh->str : "(missing)", want ? want : "");
	}
	if (ncells < 3)
		fail("idle", "%d idle cells, expected 3 (repeat = 3)", ncells);
	return failures ? 1 : 0;
}

static int check_capped(const struct mt_run_result *run, double bw)
{
	int ncells = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const char *prefixes[] = { "migration.", "migration.hop1." };

		if (!c->section || strcmp(c->section, "capped") != 0)
			continue;
		ncells++;
		if (!quiet)
			printf("cell %s: %s%s%s\n", c->name, mt_verdict_name(c->verdict),
			       c->reason ? " — " : "", c->reason ? c->reason : "");
		if (c->verdict != MT_VERDICT_PASS)
			fail(c->name, "verdict %s, expected pass", mt_verdict_name(c->verdict));
		for (int h = 0; h < 2; h++) {
			char p[160];
			double total, xfer, ideal, ratio;

			snprintf(p, sizeof(p), "%stotal_time_ms", prefixes[h]);
			total = need(c, p);
			snprintf(p, sizeof(p), "%stransferred_bytes", prefixes[h]);
			xfer = need(c, p);
			snprintf(p, sizeof(p), "%sachieved_ratio", prefixes[h]);
			ratio = need(c, p);
			ideal = xfer / bw * 1000.0;
			/* a capped migration moves its bytes at about the cap: total time within
			 * 20 % of transferred / bandwidth */
			if (!(total >= 0.8 * ideal && total <= 1.2 * ideal))
				fail(c->name, "%stotal_time_ms %g not within 20%% of %g ms",
				     prefixes[h], total, ideal);
			if (!(fabs(ratio - ideal / total) < 1e-6 * (1 + ratio)))
				fail(c->name, "%sachieved_ratio %g, expected %g", prefixes[h], ratio,
				     ideal / total);
			if (!quiet)
				printf("     %-22s total %8.1f ms  ideal %8.1f ms  ratio %.3f  "
				       "transferred %.1f MiB\n", prefixes[h], total, ideal, ratio,
				       xfer / 1048576.0);
		}
	}
	if (ncells < 1)
		fail("capped", "%d capped cells, expected at least 1", ncells);
	return failures ? 1 : 0;
}

/* A post-copy cell switched to post-copy at each of its two hops, without an error from
 * libvirt (a switch QEMU refused still ends in a passing pre-copy hop). */
static void check_postcopy(const struct mt_cell_result *c)
{
	int ok = 0;

	for (size_t e = 0; e < c->nevents; e++) {
		const struct mt_event_rec *ev = &c->events[e];

		if (strcmp(ev->what, "migrate.postcopy") != 0)
			continue;
		if (ev->rc != 0)
			fail(c->name, "the switch to post-copy at %.3f s failed: %s",
			     ev->actual_ns / 1e9, ev->detail ? ev->detail : "(no detail)");
		else
			ok++;
	}
	if (!quiet)
		printf("cell %s: %d switch(es) to post-copy\n", c->name, ok);
	if (ok != 2)
		fail(c->name, "%d successful switches to post-copy, expected 2 (one per hop)", ok);
}

/* driver-modes.ini: no cell may end in error; a skip must say why. */
static int check_modes(const struct mt_run_result *run, const char *final_uri)
{
	int npass = 0;

	for (size_t i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];
		const struct mt_metric *fh;
		const char *want;
		int compressed;

		if (!quiet)
			printf("cell %s: %s%s%s\n", c->name, mt_verdict_name(c->verdict),
			       c->reason ? " — " : "", c->reason ? c->reason : "");
		if (c->verdict == MT_VERDICT_SKIP) {
			if (!c->reason || !*c->reason)
				fail(c->name, "skipped without a reason");
			continue;
		}
		if (c->verdict != MT_VERDICT_PASS) {
			fail(c->name, "verdict %s, expected pass or skip", mt_verdict_name(c->verdict));
			continue;
		}
		npass++;
		compressed = strstr(c->name, "zstd") || strstr(c->name, "zlib") ||
			     strstr(c->name, "xbzrle");
		if (opt_num(c, "migration.hops_completed", -1) != 2)
			fail(c->name, "hops_completed = %g, expected 2",
			     opt_num(c, "migration.hops_completed", NAN));
		check_hop(c, "migration.", "downtime.hypervisor_downtime_ms", compressed);
		check_hop(c, "migration.hop1.", "downtime.hop1.hypervisor_downtime_ms", compressed);
		if (strncmp(c->name, "postcopy", 8) == 0)
			check_postcopy(c);
		fh = mt_cell_metric(c, "migration.final_host");
		want = expected_final(c, final_uri);
		if (!fh || fh->kind != MT_METRIC_STR || (want && strcmp(fh->str, want)))
			fail(c->name, "migration.final_host is %s, expected %s",
			     fh && fh->str ? fh->str : "(missing)", want ? want : "");
	}
	if (npass < 1)
		fail("modes", "no cell passed (%zu cells)", run->ncells);
	return failures ? 1 : 0;
}

static int labvalue(const char *file, const char *path)
{
	FILE *f = fopen(file, "rb");
	static char buf[1 << 20];
	size_t n;
	cJSON *root, *it;
	char key[256], *s, *dot;
	int rc = 1;

	if (!f)
		return 2;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (!(root = cJSON_Parse(buf)))
		return 2;
	it = root;
	snprintf(key, sizeof(key), "%s", path);
	for (s = key; it && s; s = dot) {
		dot = strchr(s, '.');
		if (dot)
			*dot++ = '\0';
		it = cJSON_GetObjectItemCaseSensitive(it, s);
	}
	if (cJSON_IsString(it)) {
		printf("%s\n", it->valuestring);
		rc = 0;
	} else if (cJSON_IsNumber(it)) {
		printf("%.17g\n", it->valuedouble);
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

/* --- self-test: synthetic results through the real writer and reader --- */

static void fake_hop(struct mt_cell_result *c, const char *prefix, const char *dt, double total,
		     double down, double xfer)
{
	char p[160];

#define S(name, v) (snprintf(p, sizeof(p), "%s%s", prefix, name), mt_cell_set_num(c, p, v))
	S("total_time_ms", total);
	S("downtime_ms", down);
	S("transferred_bytes", xfer);
	S("setup_time_ms", 5);
	S("memory_bytes", xfer);
	S("job.memory_total_bytes", 268435456);
	S("job.memory_constant_pages", 40000);
	S("job.memory_page_size_bytes", 4096);
	S("achieved_ratio", xfer / (16.0 * 1048576 * total / 1000.0));
#undef S
	mt_cell_set_num(c, dt, down);
}

static int selftest_run(double down0, double total_capped)
{
	char path[] = "/tmp/driver_check_XXXXXX";
	struct mt_run_result run = { 0 }, back = { 0 };
	struct mt_error err = { 0 };
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return 2;
	close(fd);
	run.schema_version = MT_RESULT_SCHEMA_VERSION;
	run.tool_version = strdup("selftest");
	run.run_id = strdup("selftest");
	for (int r = 0; r < 3; r++) {
		char name[32];
		struct mt_cell_result *c;

		snprintf(name, sizeof(name), "idle#%d", r);
		c = mt_run_add_cell(&run, name);
		c->section = strdup("idle");
		c->repeat = r;
		mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL);
		mt_cell_set_num(c, "migration.hops_completed", 2);
		mt_cell_set_str(c, "migration.final_host", "qemu:///a");
		mt_series_add(mt_cell_series(c, "migration.memory_remaining_bytes", "bytes"), 1, 5);
		fake_hop(c, "migration.", "downtime.hypervisor_downtime_ms", 900, down0, 1.3e8);
		fake_hop(c, "migration.hop1.", "downtime.hop1.hypervisor_downtime_ms", 800, 90,
			 1.3e8);
	}
	{
		struct mt_cell_result *c = mt_run_add_cell(&run, "capped");

		c->section = strdup("capped");
		mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL);
		fake_hop(c, "migration.", "downtime.hypervisor_downtime_ms", total_capped, 100,
			 128.0 * 1048576);
		fake_hop(c, "migration.hop1.", "downtime.hop1.hypervisor_downtime_ms", 8100, 100,
			 128.0 * 1048576);
	}
	rc = mt_result_write_file(&run, path, &err);
	if (rc == 0)
		rc = mt_result_read_file(path, &back, &err);
	unlink(path);
	if (rc) {
		printf("selftest: %s\n", err.msg);
		mt_run_result_free(&run);
		return 2;
	}
	failures = 0;
	check_idle(&back, "qemu:///a");
	check_capped(&back, 16.0 * 1048576);
	mt_run_result_free(&run);
	mt_run_result_free(&back);
	return failures;
}

/* driver-modes: a pass and a skip with a reason hold; an error cell and a post-copy switch
 * libvirt refused are caught. */
static int selftest_modes(enum mt_verdict third, int switch_rc)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c;

	c = mt_run_add_cell(&run, "postcopy");
	mt_cell_set_verdict(c, MT_VERDICT_PASS, NULL);
	mt_cell_add_event(c, 2000000000, 2000000000, "migrate.postcopy", NULL, 0);
	mt_cell_add_event(c, 9000000000, 9000000000, "migrate.postcopy",
			  switch_rc ? "Enable postcopy with migrate_set_capability" : NULL, switch_rc);
	mt_cell_set_num(c, "migration.hops_completed", 2);
	mt_cell_set_str(c, "migration.final_host", "qemu:///a");
	fake_hop(c, "migration.", "downtime.hypervisor_downtime_ms", 900, 50, 1.3e8);
	fake_hop(c, "migration.hop1.", "downtime.hop1.hypervisor_downtime_ms", 900, 50, 1.3e8);
	c = mt_run_add_cell(&run, "multifd-zstd");
	mt_cell_set_verdict(c, MT_VERDICT_SKIP, "Multifd is not compatible with xbzrle");
	c = mt_run_add_cell(&run, "third");
	mt_cell_set_verdict(c, third, third == MT_VERDICT_SKIP ? "why" : "broken");
	failures = 0;
	check_modes(&run, "qemu:///a");
	mt_run_result_free(&run);
	return failures;
}

/* A cell that started on the destination must end there (direction dest->source). */
static int selftest_direction(const char *final_host)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "dir");
	const char *want;
	int bad;

	mt_cell_set_str(c, "migration.direction", "dest->source");
	mt_cell_set_str(c, "migration.final_host", final_host);
	want = expected_final(c, "qemu:///a,qemu:///b");
	bad = !want || strcmp(want, final_host) != 0;
	mt_run_result_free(&run);
	return bad;
}

static int selftest(void)
{
	int ok = 1;

	quiet = getenv("DRIVER_CHECK_VERBOSE") == NULL;
	ok &= selftest_run(100, 8000) == 0;   /* consistent: no failure */
	ok &= selftest_run(1000, 8000) > 0;   /* downtime >= total: caught */
	ok &= selftest_run(100, 12000) > 0;   /* 12 s for 128 MiB at 16 MiB/s: caught */
	ok &= selftest_modes(MT_VERDICT_SKIP, 0) == 0;
	ok &= selftest_modes(MT_VERDICT_ERROR, 0) > 0;
	ok &= selftest_modes(MT_VERDICT_SKIP, MT_EINFRA) > 0; /* a refused switch: caught */
	ok &= selftest_direction("qemu:///b") == 0; /* started on b, ended on b */
	ok &= selftest_direction("qemu:///a") == 1; /* caught */
	quiet = 0;
	printf("selftest %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	int rc;

	if (argc == 2 && strcmp(argv[1], "selftest") == 0)
		return selftest();
	if (argc == 4 && strcmp(argv[1], "labvalue") == 0)
		return labvalue(argv[2], argv[3]);
	if (argc != 4 || (strcmp(argv[1], "idle") && strcmp(argv[1], "capped") &&
			  strcmp(argv[1], "modes"))) {
		fprintf(stderr, "usage: driver_check idle|modes RESULTS.json FINAL_URI | capped "
			"RESULTS.json BYTES_PER_S | labvalue LAB.json PATH | selftest\n");
		return 2;
	}
	if (mt_result_read_file(argv[2], &run, &err) != 0) {
		fprintf(stderr, "driver_check: %s\n", err.msg);
		return 2;
	}
	if (strcmp(argv[1], "idle") == 0)
		rc = check_idle(&run, argv[3]);
	else if (strcmp(argv[1], "modes") == 0)
		rc = check_modes(&run, argv[3]);
	else
		rc = check_capped(&run, strtod(argv[3], NULL));
	mt_run_result_free(&run);
	printf("%s: %s\n", argv[1], rc ? "FAILED" : "ok");
	return rc;
}
