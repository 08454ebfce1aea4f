/* test_json.c — results.json: lossless round trip, canonical output, refusal of bad input. */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migtorture/result.h"
#include "test_util.h"

/* A run that exercises every field and the awkward values. */
static void build_rich(struct mt_run_result *run)
{
	struct mt_cell_result *c;
	struct mt_series *s;
	int i;

	run->tool_version = strdup("0.1.0-test");
	run->run_id = strdup("20261125T151600Z-abcd");
	run->scenario_path = strdup("scenarios/seed.ini");
	run->scenario_sha256 = strdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	run->seed = UINT64_MAX; /* needs all 64 bits */
	run->shard = strdup("2/3");
	run->started_wall_ns = 1795000000123456789LL;
	run->finished_wall_ns = 1795000099987654321LL;
	run->verdict = MT_VERDICT_FAIL;
	run->exit_status = 1;
	run->interrupted = 1;
	ck_assert_int_eq(mt_run_add_fact(run, "hostname", "lab-1"), 0);
	ck_assert_int_eq(mt_run_add_fact(run, "kernel", "6.1.0-28-amd64 \"quoted\" \\ back"), 0);

	c = mt_run_add_cell(run, "offline-video/fault=netem délai=20ms ☃");
	ck_assert_ptr_nonnull(c);
	c->section = strdup("offline-video");
	c->repeat = 2;
	c->seed = 0x8000000000000001ULL;
	c->started_wall_ns = 1795000001000000001LL;
	c->duration_ns = 61234567891LL;
	ck_assert_int_eq(mt_cell_add_axis(c, "fault", "netem delay=20ms\tjitter=5ms"), 0);
	ck_assert_int_eq(mt_cell_add_axis(c, "stress", "none"), 0);
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_FAIL, "qos.during.loss_pct.max 3.5 > 2"), 0);
	ck_assert_int_eq(mt_cell_add_event(c, 0, 120000, "phase during", NULL, 0), 0);
	ck_assert_int_eq(mt_cell_add_event(c, 5000000000LL, 5000812345LL, "fault.on netem",
					   "delay=20ms", 0), 0);
	ck_assert_int_eq(mt_cell_add_event(c, INT64_MAX, INT64_MIN, "migrate.start", "huge", MT_EINFRA), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.total_time_ms", 812.3456789012345), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "migration.transferred_bytes", 1073741824.0), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "downtime.hypervisor_downtime_ms", 0.1), 0);
	ck_assert_int_eq(mt_cell_set_absent(c, "downtime.guest_stall_ms", "guest helper not running"), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.p99", 1e-300), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.rtt_ms.max", INFINITY), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.jitter_ms", -0.0), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.during.loss_pct", NAN), 0);
	ck_assert_int_eq(mt_cell_set_num(c, "qos.after.throughput_bps", 9.87654321e9), 0);
	ck_assert_int_eq(mt_cell_set_str(c, "memory_integrity", "ok ✓"), 0);
	s = mt_cell_series(c, "probe.udp.rtt_ms", "ms");
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(mt_series_add(s, (int64_t)i * 20000000 + 7, i % 5 == 3 ? NAN : 0.1 * i), 0);
	ck_assert_int_eq(mt_series_add(s, 9007199254740993LL, -INFINITY), 0); /* > 2^53 */
	ck_assert_ptr_nonnull(mt_cell_series(c, "migration.remaining_bytes", "bytes"));
	ck_assert_int_eq(mt_cell_add_check(c, "qos.during.loss_pct.max <= 2%", 0, 3.5, 2, "3.5 > 2"), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "downtime.guest_stall_ms <= 1s", -1, NAN, 1000,
					   "metric absent: guest helper not running"), 0);
	ck_assert_int_eq(mt_cell_add_check(c, "memory_integrity == ok", 1, NAN, NAN, NULL), 0);

	c = mt_run_add_cell(run, "no-video/skip");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(mt_cell_set_verdict(c, MT_VERDICT_SKIP, "sch_netem missing"), 0);
	c = mt_run_add_cell(run, "");
	ck_assert_ptr_nonnull(c);
	c->verdict = MT_VERDICT_ERROR;
}

/* Same bits, NaN == NaN. */
static int same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

static void ck_str_eqn(const char *a, const char *b)
{
	if (!a || !b)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void assert_same(const struct mt_run_result *a, const struct mt_run_result *b)
{
	size_t i, j, k;

	ck_str_eqn(a->tool_version, b->tool_version);
	ck_str_eqn(a->run_id, b->run_id);
	ck_str_eqn(a->scenario_path, b->scenario_path);
	ck_str_eqn(a->scenario_sha256, b->scenario_sha256);
	ck_str_eqn(a->shard, b->shard);
	ck_assert(a->seed == b->seed);
	ck_assert(a->started_wall_ns == b->started_wall_ns);
	ck_assert(a->finished_wall_ns == b->finished_wall_ns);
	ck_assert_int_eq(a->verdict, b->verdict);
	ck_assert_int_eq(a->exit_status, b->exit_status);
	ck_assert_int_eq(a->interrupted, b->interrupted);
	ck_assert_uint_eq(a->nfacts, b->nfacts);
	for (i = 0; i < a->nfacts; i++) {
		ck_assert_str_eq(a->facts[i].key, b->facts[i].key);
		ck_assert_str_eq(a->facts[i].val, b->facts[i].val);
	}
	ck_assert_uint_eq(a->ncells, b->ncells);
	for (i = 0; i < a->ncells; i++) {
		const struct mt_cell_result *x = &a->cells[i], *y = &b->cells[i];

		ck_str_eqn(x->name, y->name);
		ck_str_eqn(x->section, y->section);
		ck_str_eqn(x->reason, y->reason);
		ck_assert_int_eq(x->repeat, y->repeat);
		ck_assert(x->seed == y->seed);
		ck_assert_int_eq(x->verdict, y->verdict);
		ck_assert(x->started_wall_ns == y->started_wall_ns);
		ck_assert(x->duration_ns == y->duration_ns);
		ck_assert_uint_eq(x->naxes, y->naxes);
		for (j = 0; j < x->naxes; j++) {
			ck_assert_str_eq(x->axes[j].key, y->axes[j].key);
			ck_assert_str_eq(x->axes[j].val, y->axes[j].val);
		}
		ck_assert_uint_eq(x->nevents, y->nevents);
		for (j = 0; j < x->nevents; j++) {
			ck_assert(x->events[j].planned_ns == y->events[j].planned_ns);
			ck_assert(x->events[j].actual_ns == y->events[j].actual_ns);
			ck_str_eqn(x->events[j].what, y->events[j].what);
			ck_str_eqn(x->events[j].detail, y->events[j].detail);
			ck_assert_int_eq(x->events[j].rc, y->events[j].rc);
		}
		ck_assert_uint_eq(x->nmetrics, y->nmetrics);
		for (j = 0; j < x->nmetrics; j++) {
			const struct mt_metric *m = mt_cell_metric(y, x->metrics[j].path);

			ck_assert_msg(m != NULL, "metric %s lost", x->metrics[j].path);
			ck_assert_int_eq(m->kind, x->metrics[j].kind);
			if (m->kind == MT_METRIC_NUM)
				ck_assert_msg(same_double(m->num, x->metrics[j].num), "%s: %.17g != %.17g",
					      m->path, m->num, x->metrics[j].num);
			else
				ck_assert_str_eq(m->str, x->metrics[j].str);
		}
		ck_assert_uint_eq(x->nseries, y->nseries);
		for (j = 0; j < x->nseries; j++) {
			ck_assert_str_eq(x->series[j].name, y->series[j].name);
			ck_assert_str_eq(x->series[j].unit, y->series[j].unit);
			ck_assert_uint_eq(x->series[j].n, y->series[j].n);
			for (k = 0; k < x->series[j].n; k++) {
				ck_assert(x->series[j].t_ns[k] == y->series[j].t_ns[k]);
				ck_assert(same_double(x->series[j].v[k], y->series[j].v[k]));
			}
		}
		ck_assert_uint_eq(x->nchecks, y->nchecks);
		for (j = 0; j < x->nchecks; j++) {
			ck_str_eqn(x->checks[j].expr, y->checks[j].expr);
			ck_str_eqn(x->checks[j].why, y->checks[j].why);
			ck_assert_int_eq(x->checks[j].held, y->checks[j].held);
			ck_assert(same_double(x->checks[j].value, y->checks[j].value));
			ck_assert(same_double(x->checks[j].limit, y->checks[j].limit));
		}
	}
}

START_TEST(test_round_trip)
{
	struct mt_run_result a = { 0 }, b = { 0 };
	struct mt_error err = { 0 };
	char *t1, *t2;

	build_rich(&a);
	t1 = mt_result_to_json(&a, 1);
	ck_assert_ptr_nonnull(t1);
	ck_assert_msg(mt_result_from_json(t1, &b, &err) == 0, "%s", err.msg);
	assert_same(&a, &b);
	ck_assert_int_eq(b.schema_version, 1);
	/* canonical: re-serialising the read model gives the same bytes */
	t2 = mt_result_to_json(&b, 1);
	ck_assert_str_eq(t1, t2);
	/* the documented shape */
	ck_assert_ptr_nonnull(strstr(t1, "\"seed\":\t\"18446744073709551615\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"guest_stall_ms\":\t{\n"));
	ck_assert_ptr_nonnull(strstr(t1, "\"absent\":\t\"guest helper not running\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"started\":\t\"2026-11-18T"));
	ck_assert_ptr_nonnull(strstr(t1, ".123456789Z\""));
	ck_assert_ptr_nonnull(strstr(t1, "\"loss_pct\":\tnull"));
	ck_assert_ptr_nonnull(strstr(t1, "\"late_ms\":\t0.812345"));
	ck_assert_ptr_nonnull(strstr(t1, "\"fail\":\t1"));
	free(t2);
	free(t1);
	mt_run_result_free(&b);

	/* compact form reads back too */
	t1 = mt_result_to_json(&a, 0);
	ck_assert_ptr_nonnull(t1);
	ck_assert_ptr_null(strchr(t1, '\n'));
	ck_assert_msg(mt_result_from_json(t1, &b, &err) == 0, "%s", err.msg);
	assert_same(&a, &b);
	free(t1);
	mt_run_result_free(&b);
	mt_run_result_free(&a);
}
END_TEST

START_TEST(test_empty_run)
{
	struct mt_run_result a = { 0 }, b = { 0 };
	struct mt_error err = { 0 };
	char *t;

	t = mt_result_to_json(&a, 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "\"schema_version\":1"));
	ck_assert_ptr_nonnull(strstr(t, "\"cells\":[]"));
	ck_assert_ptr_nonnull(strstr(t, "\"started\":null"));
	ck_assert_msg(mt_result_from_json(t, &b, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(b.ncells, 0);
	ck_assert_str_eq(b.tool_version, MT_VERSION);
	free(t);
	mt_run_result_free(&b);
}
END_TEST

/* Each malformed document with a word its error message must contain. */
static const struct {
	const char *text, *want;
} bad_docs[] = {
	{ "", "syntax error at line 1" },
	{ "{", "syntax error" },
	{ "{\"schema_version\":1,\n\"x\":}", "line 2 column 5" },
	{ "[]", "expected an object at the top, got an array" },
	{ "{}", "schema_version: required key is missing" },
	{ "{\"schema_version\":2}", "schema_version 2 is not supported" },
	{ "{\"schema_version\":0}", "schema_version 0 is not supported" },
	{ "{\"schema_version\":\"1x\"}", "schema_version: expected an integer" },
	{ "{\"schema_version\":1.5}", "schema_version: expected an integer" },
	{ "{\"schema_version\":1e300}", "schema_version: expected an integer" },
	{ "{\"schema_version\":1} x", "unexpected text after the document" },
	{ "{\"schema_version\":1}", "tool: required key is missing" },
	{ "{\"schema_version\":1,\"tool\":[]}", "tool: expected an object, got an array" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":5}", "run_id: expected a string, got a number" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"-1\"}", "seed: expected an unsigned" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"18446744073709551616\"}", "seed: expected" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"facts\":{\"a\":1}}", "facts.a: expected a string" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"meh\"}", "verdict: expected pass" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\"}", "exit_status: required" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":3000000000}", "exit_status: expected an integer" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0}", "cells: required" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"interrupted\":1,\"cells\":[]}", "interrupted: expected true or false" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"cells\":{}}", "cells: expected an array" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"cells\":[3]}", "cells[0]: expected an object" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"cells\":[{}]}", "cells[0].name: required" },
	{ "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"cells\":[{\"name\":\"a\",\"repeat\":0}]}", "cells[0].verdict: required" },
};

#define OKHEAD "{\"schema_version\":1,\"tool\":{},\"run_id\":\"r\",\"seed\":\"1\",\"verdict\":\"pass\",\"exit_status\":0,\"cells\":[{\"name\":\"a\",\"repeat\":0,\"verdict\":\"pass\","
static const struct {
	const char *cell, *want;
} bad_cells[] = {
	{ "\"timeline\":[{\"planned_ns\":1}]}]}", "cells[0].timeline[0].actual_ns: required" },
	{ "\"timeline\":[{\"planned_ns\":1,\"actual_ns\":\"x\",\"what\":\"w\"}]}]}", "timeline[0].actual_ns: expected an integer" },
	{ "\"timeline\":{}}]}", "cells[0].timeline: expected an array" },
	{ "\"metrics\":{\"a\":[1]}}]}", "metrics.a: expected a number, string, null or object, got an array" },
	{ "\"metrics\":{\"a\":{\"absent\":\"r\",\"b\":1}}}]}", "metrics.a: an absent metric" },
	{ "\"metrics\":{\"a\":{\"absent\":1}}}]}", "metrics.a: an absent metric" },
	{ "\"metrics\":{\"a.b\":1}}]}", "contains '.'" },
	{ "\"metrics\":{\"absent\":\"x\"}}]}", "invalid or colliding metric path" },
	{ "\"metrics\":{\"a\":true}}]}", "got a boolean" },
	{ "\"series\":{\"s\":{\"t_ns\":[1,2],\"v\":[1]}}}]}", "t_ns has 2 entries but v has 1" },
	{ "\"series\":{\"s\":{\"t_ns\":[1.5],\"v\":[1]}}}]}", "series.s.t_ns[0]: expected an integer" },
	{ "\"series\":{\"s\":{\"t_ns\":[1],\"v\":[\"1\"]}}}]}", "series.s.v[0]: expected a number or null" },
	{ "\"series\":{\"s\":{\"t_ns\":[1],\"v\":[1]},\"s\":{\"t_ns\":[],\"v\":[]}}}]}", "duplicate key 's'" },
	{ "\"series\":{\"s\":{\"v\":[]}}}]}", "expected arrays t_ns and v" },
	{ "\"checks\":[{\"held\":1,\"expr\":\"x\"}]}]}", "checks[0].held: expected true, false or null" },
	{ "\"checks\":[{\"held\":true}]}]}", "checks[0].expr: required" },
	{ "\"checks\":[{\"expr\":\"e\",\"value\":\"1\"}]}]}", "checks[0].value: expected a number or null" },
	{ "\"axes\":{\"a\":null}}]}", "axes.a: expected a string, got null" },
	{ "\"seed\":-1}]}", "cells[0].seed: expected an unsigned" },
	{ "\"duration_ns\":1e300}]}", "duration_ns: expected an integer" },
	{ "\"repeat\":1}]}", "duplicate key 'repeat'" },
};

START_TEST(test_refuses_bad)
{
	struct mt_run_result r = { 0 };
	struct mt_error err = { 0 };
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		mt_err_clear(&err);
		ck_assert_msg(mt_result_from_json(bad_docs[i].text, &r, &err) == MT_EINVAL,
			      "doc %zu accepted", i);
		ck_assert_msg(strstr(err.msg, bad_docs[i].want) != NULL, "doc %zu: '%s' lacks '%s'",
			      i, err.msg, bad_docs[i].want);
		ck_assert_ptr_null(r.cells); /* nothing half-built is handed back */
		ck_assert_ptr_null(r.run_id);
	}
	for (i = 0; i < sizeof(bad_cells) / sizeof(bad_cells[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", OKHEAD, bad_cells[i].cell);
		mt_err_clear(&err);
		ck_assert_msg(mt_result_from_json(buf, &r, &err) == MT_EINVAL, "cell %zu accepted", i);
		ck_assert_msg(strstr(err.msg, bad_cells[i].want) != NULL, "cell %zu: '%s' lacks '%s'",
			      i, err.msg, bad_cells[i].want);
		ck_assert_uint_eq(r.ncells, 0);
	}
	/* the head itself is fine: the table above tests what it claims */
	snprintf(buf, sizeof(buf), "%s%s", OKHEAD, "\"seed\":\"7\"}]}");
	ck_assert_msg(mt_result_from_json(buf, &r, &err) == 0, "%s", err.msg);
	ck_assert(r.cells[0].seed == 7);
	mt_run_result_free(&r);
}
END_TEST

/* Every truncation and a sweep of single-byte corruptions must fail cleanly or parse. */
START_TEST(test_no_crash_on_garbage)
{
	struct mt_run_result a = { 0 }, r = { 0 };
	struct mt_error err;
	static const char repl[] = "\"{}[]:,0-e.9ntfl\\";
	size_t len, i, j;
	char *t, *buf;
	int ok = 0;

	build_rich(&a);
	t = mt_result_to_json(&a, 0);
	ck_assert_ptr_nonnull(t);
	len = strlen(t);
	buf = malloc(len + 1);
	for (i = 0; i < len; i += 3) {
		memcpy(buf, t, i);
		buf[i] = '\0';
		ck_assert_int_ne(mt_result_from_json(buf, &r, &err), 0);
		ck_assert_ptr_null(r.cells);
	}
	for (i = 0; i < len; i += 7) {
		for (j = 0; j < sizeof(repl) - 1; j += 4) {
			memcpy(buf, t, len + 1);
			buf[i] = repl[j];
			if (mt_result_from_json(buf, &r, &err) == 0)
				ok++;
			mt_run_result_free(&r);
		}
	}
	ck_assert_int_gt(ok, 0); /* some corruptions are harmless (inside strings) */
	free(buf);
	free(t);
	mt_run_result_free(&a);
}
END_TEST

START_TEST(test_write_read_file)
{
	char dir[] = "/tmp/mt-test-json-XXXXXX", path[256], bad[300];
	struct mt_run_result a = { 0 }, b = { 0 };
	struct mt_error err = { 0 };
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/results.json", dir);
	build_rich(&a);
	ck_assert_msg(mt_result_write_file(&a, path, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_result_write_file(&a, path, &err), 0); /* overwrite */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	d = opendir(dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	ck_assert_int_eq(n, 1); /* no temp file left behind */
	ck_assert_msg(mt_result_read_file(path, &b, &err) == 0, "%s", err.msg);
	assert_same(&a, &b);
	mt_run_result_free(&b);

	snprintf(bad, sizeof(bad), "%s/missing/results.json", dir);
	ck_assert_int_eq(mt_result_write_file(&a, bad, &err), MT_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot create a temp file"));
	ck_assert_int_eq(mt_result_read_file(bad, &b, &err), MT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing/results.json"));

	f = fopen(path, "w");
	fputs("{\"schema_version\":1", f);
	fputc('\0', f);
	fclose(f);
	ck_assert_int_eq(mt_result_read_file(path, &b, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL byte"));
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(mt_result_read_file(path, &b, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty file"));
	f = fopen(path, "w");
	fputs("{\"schema_version\":3}", f);
	fclose(f);
	ck_assert_int_eq(mt_result_read_file(path, &b, &err), MT_EINVAL);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "schema_version 3 is not supported"));
	ck_assert_int_eq(mt_result_read_file(dir, &b, &err), MT_EIO);

	unlink(path);
	rmdir(dir);
	mt_run_result_free(&a);
}
END_TEST

/* The compact example in docs/results.md must be a valid document (docs and code in step). */
START_TEST(test_docs_example)
{
	struct mt_run_result r = { 0 };
	struct mt_error err = { 0 };
	char *doc, *start, *end;
	long n;
	FILE *f = fopen(MT_SOURCE_DIR "/docs/results.md", "r");

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	doc = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(doc, 1, (size_t)n, f), n);
	fclose(f);
	start = strstr(doc, "```json\n");
	ck_assert_ptr_nonnull(start);
	start += 8;
	end = strstr(start, "\n```");
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	ck_assert_msg(mt_result_from_json(start, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(r.ncells, 1);
	ck_assert(r.started_wall_ns == 1795619760123456789LL);
	ck_assert_int_eq(mt_cell_metric(&r.cells[0], "downtime.guest_stall_ms")->kind, MT_METRIC_ABSENT);
	ck_assert_uint_eq(r.cells[0].series[0].n, 2);
	ck_assert(isnan(r.cells[0].series[0].v[1]));
	mt_run_result_free(&r);
	free(doc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_empty_run);
	tcase_add_test(tc, test_refuses_bad);
	tcase_add_test(tc, test_no_crash_on_garbage);
	tcase_add_test(tc, test_write_read_file);
	tcase_add_test(tc, test_docs_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
