/* test_plan.c — matrix expansion (count and order), per-cell seeds (fixed values, differences),
 * --only and --shard, precedence of [global] / job / [matrix], the planned timeline with events
 * at equal offsets, and the plan's JSON and text forms. Plugins are fakes (fake_plugins.h). */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_plugins.h"
#include "migtorture/scenario.h"

#define FIX MT_FIXTURES "/scenarios/"

static struct mt_scenario *load(const char *path)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;

	ck_assert_msg(mt_scenario_load(path, &s, &err) == 0, "%s", err.msg);
	return s;
}

static struct mt_scenario *load_text(const char *txt)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;

	ck_assert_msg(mt_scenario_load_buffer(txt, strlen(txt), "t.ini", &s, &err) == 0, "%s",
		      err.msg);
	return s;
}

static struct mt_plan *plan(const struct mt_scenario *s, struct mt_plan_opts o)
{
	struct mt_error err = { 0 };
	struct mt_plan *p = NULL;

	ck_assert_msg(mt_plan_build(s, &o, &p, &err) == 0, "%s", err.msg);
	return p;
}

static const char *const m_sections[] = { "no-video", "online-video" };
static const char *const m_stress[] = { "none", "t-host-cpu workers=2",
					"t-guest-vm dirty=200M/s" };
static const char *const m_fault[] = { "none", "t-netem delay=20ms at=0s for=30s" };

START_TEST(matrix_count_and_order)
{
	struct mt_scenario *s = load(FIX "matrix.ini");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	char want[256];

	ck_assert_int_eq((int)p->ncells, 24);
	ck_assert_int_eq((int)p->total_cells, 24);
	for (size_t i = 0; i < 24; i++) {
		const struct mt_cell *c = &p->cells[i];
		size_t sec = i / 12, st = (i / 4) % 3, f = (i / 2) % 2;

		snprintf(want, sizeof(want), "%s/stress=%s/fault=%s", m_sections[sec], m_stress[st],
			 m_fault[f]);
		ck_assert_str_eq(c->name, want);
		ck_assert_str_eq(c->section, m_sections[sec]);
		ck_assert_int_eq(c->repeat, (int)(i % 2));
		ck_assert_int_eq((int)c->naxes, 2);
		ck_assert_str_eq(c->axes[0].key, "stress");
		ck_assert_str_eq(c->axes[0].val, m_stress[st]);
		ck_assert_str_eq(c->axes[1].key, "fault");
		ck_assert_str_eq(c->axes[1].val, m_fault[f]);
		/* probe from [global], the job's workload, then what the matrix adds */
		ck_assert_int_eq((int)c->nspecs, 2 + (st > 0) + (f > 0));
		ck_assert_str_eq(c->specs[0].kind, "t-udp");
		ck_assert(c->warmup_ns == 5000000000LL);
	}
	mt_plan_free(p);
	/* --repeat overrides the file's repeat */
	p = plan(s, (struct mt_plan_opts){ .seed = 1, .repeat = 1 });
	ck_assert_int_eq((int)p->ncells, 12);
	ck_assert_int_eq(p->cells[11].repeat, 0);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(seeds_fixed_values)
{
	/* independent of the implementation: computed once with a separate splitmix64/FNV-1a */
	ck_assert(mt_cell_seed(1, "no-video", 0) == 8159436180996075082ULL);
	ck_assert(mt_cell_seed(1, "no-video", 1) == 6446191147891180808ULL);
	ck_assert(mt_cell_seed(1, "online-video", 0) == 4306701256985868284ULL);
	ck_assert(mt_cell_seed(0, "", 0) == 14087677454934409008ULL);
	ck_assert(mt_cell_seed(42, "no-video/stress=none/fault=none", 3) ==
		  509576794443453020ULL);
}
END_TEST

START_TEST(seeds_stable_and_distinct)
{
	struct mt_scenario *s = load(FIX "matrix.ini");
	struct mt_plan *a = plan(s, (struct mt_plan_opts){ .seed = 1 });
	struct mt_plan *b = plan(s, (struct mt_plan_opts){ .seed = 1 });
	struct mt_plan *c = plan(s, (struct mt_plan_opts){ .seed = 2 });

	for (size_t i = 0; i < a->ncells; i++) {
		ck_assert(a->cells[i].seed == b->cells[i].seed);
		ck_assert(a->cells[i].seed != c->cells[i].seed);
		ck_assert(a->cells[i].seed ==
			  mt_cell_seed(1, a->cells[i].name, a->cells[i].repeat));
		for (size_t j = 0; j < i; j++)
			ck_assert(a->cells[i].seed != a->cells[j].seed);
	}
	ck_assert(a->cells[0].seed == mt_cell_seed(1, "no-video/stress=none/fault=none", 0));
	mt_plan_free(a);
	mt_plan_free(b);
	mt_plan_free(c);
	mt_scenario_free(s);
}
END_TEST

START_TEST(only_glob)
{
	struct mt_scenario *s = load(FIX "matrix.ini");
	struct mt_plan *p;

	p = plan(s, (struct mt_plan_opts){ .seed = 1, .only = "online-video/*" });
	ck_assert_int_eq((int)p->ncells, 12);
	ck_assert_int_eq((int)p->total_cells, 24);
	ck_assert_str_eq(p->cells[0].section, "online-video");
	mt_plan_free(p);
	p = plan(s, (struct mt_plan_opts){ .seed = 1, .only = "*/fault=none" });
	ck_assert_int_eq((int)p->ncells, 12);
	for (size_t i = 0; i < p->ncells; i++)
		ck_assert_str_eq(p->cells[i].axes[1].val, "none");
	mt_plan_free(p);
	p = plan(s, (struct mt_plan_opts){ .seed = 1, .only = "no-video/stress=none/*" });
	ck_assert_int_eq((int)p->ncells, 4);
	mt_plan_free(p);
	p = plan(s, (struct mt_plan_opts){ .seed = 1, .only = "nothing*" });
	ck_assert_int_eq((int)p->ncells, 0);
	ck_assert(p->estimated_ns == 0);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(shards_partition_round_robin)
{
	struct mt_scenario *s = load(FIX "matrix.ini");
	struct mt_plan *all = plan(s, (struct mt_plan_opts){ .seed = 1 });
	int seen[24] = { 0 };

	for (int k = 1; k <= 3; k++) {
		struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1, .shard_index = k,
								   .shard_count = 3 });

		ck_assert_int_eq((int)p->ncells, 8);
		ck_assert_int_eq((int)p->total_cells, 24);
		for (size_t i = 0; i < p->ncells; i++) {
			size_t idx = 3 * i + (size_t)(k - 1); /* round-robin in plan order */

			ck_assert_str_eq(p->cells[i].name, all->cells[idx].name);
			ck_assert_int_eq(p->cells[i].repeat, all->cells[idx].repeat);
			ck_assert(p->cells[i].seed == all->cells[idx].seed);
			seen[idx]++;
		}
		mt_plan_free(p);
	}
	for (int i = 0; i < 24; i++)
		ck_assert_int_eq(seen[i], 1);
	/* --only first, then the shard over what matched */
	{
		struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1, .shard_index = 2,
								   .shard_count = 5,
								   .only = "online-video/*" });

		ck_assert_int_eq((int)p->ncells, 3); /* matched #2, #7, #12 of 12 */
		ck_assert_str_eq(p->cells[0].name, all->cells[13].name);
		ck_assert_str_eq(p->cells[1].name, all->cells[18].name);
		ck_assert_str_eq(p->cells[2].name, all->cells[23].name);
		mt_plan_free(p);
	}
	mt_plan_free(all);
	mt_scenario_free(s);
}
END_TEST

struct ev {
	enum mt_tl_anchor a;
	int64_t off_ms;
	const char *kind;
	int spec, hop;
};

START_TEST(timeline_order)
{
	static const struct ev want[] = {
		{ MT_ANCHOR_START, 0, "phase", -1, -1 },	   /* baseline */
		{ MT_ANCHOR_START, 0, "phase", -1, -1 },	   /* during */
		{ MT_ANCHOR_START, 0, "probe.start", 4, -1 },
		{ MT_ANCHOR_START, 0, "workload.start", 2, -1 },
		{ MT_ANCHOR_START, 0, "workload.start", 3, -1 },
		{ MT_ANCHOR_START, 0, "fault.on", 0, -1 },
		{ MT_ANCHOR_START, 0, "migrate.start", -1, 0 },
		{ MT_ANCHOR_START, 10000, "fault.off", 0, -1 },
		{ MT_ANCHOR_START, 10000, "fault.on", 1, -1 },
		{ MT_ANCHOR_START, 10000, "workload.stop", 3, -1 },
		{ MT_ANCHOR_MIGRATED, 0, "phase", -1, -1 },	   /* after */
		{ MT_ANCHOR_MIGRATED, 3000, "workload.stop", 2, -1 },
		{ MT_ANCHOR_MIGRATED, 3000, "probe.stop", 4, -1 },
		{ MT_ANCHOR_MIGRATED, 3000, "cell.end", -1, -1 },
		{ MT_ANCHOR_HOP_DONE, 2000, "migrate.start", -1, 1 },
		{ MT_ANCHOR_HOP_DONE, 2000, "migrate.start", -1, 2 },
	};
	struct mt_scenario *s = load(FIX "timeline.ini");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	const struct mt_cell *c = &p->cells[0];

	ck_assert_int_eq((int)p->ncells, 1);
	ck_assert_int_eq((int)c->nevents, (int)(sizeof(want) / sizeof(want[0])));
	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_tl_event *e = &c->events[i];

		ck_assert_msg(e->anchor == want[i].a && e->offset_ns == want[i].off_ms * 1000000 &&
				      strcmp(mt_tl_kind_name(e->kind), want[i].kind) == 0 &&
				      e->spec == want[i].spec && e->hop == want[i].hop,
			      "event %zu: %d %lld %s %d %d", i, e->anchor, (long long)e->offset_ns,
			      mt_tl_kind_name(e->kind), e->spec, e->hop);
	}
	ck_assert_str_eq(c->events[0].label, "baseline");
	ck_assert_str_eq(c->events[1].label, "during");
	ck_assert_str_eq(c->events[10].label, "after");
	ck_assert_str_eq(c->events[6].label, "hop 0: lab:hosta -> lab:hostb");
	ck_assert_str_eq(c->events[14].label, "hop 1: lab:hostb -> lab:hosta");
	ck_assert_str_eq(c->events[5].label, "t-netem delay=1ms at=0s for=10s");
	ck_assert_int_eq((int)c->nthresholds, 2);
	ck_assert_str_eq(c->thresholds[1].expr, "loss_pct <= 2");
	ck_assert_int_eq(c->thresholds[1].line, 14);
	ck_assert_int_eq(c->specs[1].line, 11);
	ck_assert(c->specs[1].for_ns == -1);
	/* latest START event (10 s) is past warm-up + cooldown + 2 intervals (7 s) */
	ck_assert(p->estimated_ns == 10000000000LL);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(timeline_without_migration)
{
	struct mt_scenario *s = load_text("[global]\ndriver = t-virt\nwarmup = 2s\ncooldown = 1s\n"
					  "migrate.count = 0\nmigrate.at = 500ms\n"
					  "[x]\nprobe = t-udp\nfault = t-netem delay=1ms at=1s\n");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	const struct mt_cell *c = &p->cells[0];

	/* baseline, probe start, fault on, probe stop, cell end; no migration, no during/after */
	ck_assert_int_eq((int)c->nevents, 5);
	ck_assert(c->events[4].offset_ns == 3500000000LL); /* warmup + migrate.at + cooldown */
	ck_assert_str_eq(mt_tl_kind_name(c->events[4].kind), "cell.end");
	ck_assert_str_eq(mt_tl_kind_name(c->events[2].kind), "fault.on");
	ck_assert(c->events[2].offset_ns == 3000000000LL);
	for (size_t i = 0; i < c->nevents; i++) {
		ck_assert_int_eq(c->events[i].anchor, MT_ANCHOR_START);
		ck_assert(c->events[i].kind != MT_TL_MIGRATE_START);
	}
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(precedence_and_driver_axis)
{
	struct mt_scenario *s = load_text(
		"[global]\ndriver = t-virt\nprobe = t-udp\nworkload = t-web-page\n"
		"migrate.bandwidth = 100MiB/s | 200MiB/s\nmigrate.count = 2\n"
		"[a]\nworkload = t-video-stream\nprobe = t-udp interval=20ms\n"
		"[matrix]\nprobe = t-http\nmigrate.count = 1\n");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	const struct mt_cell *c = &p->cells[1];

	ck_assert_int_eq((int)p->ncells, 2);
	ck_assert_str_eq(c->name, "a/migrate.bandwidth=200MiB/s");
	ck_assert(mt_params_u64(&c->migrate, "migrate.bandwidth", 0) == 200ULL << 20);
	ck_assert_str_eq(mt_params_str(&c->migrate, "migrate.postcopy", ""), "off"); /* default */
	/* job replaces [global]'s workload and probe; [matrix] adds a probe, replaces count */
	ck_assert_int_eq((int)c->nspecs, 3);
	ck_assert_str_eq(c->specs[0].kind, "t-video-stream");
	ck_assert_str_eq(c->specs[1].kind, "t-udp");
	ck_assert_int_eq(mt_params_i64(&c->specs[1].params, "interval", 0), 20000000);
	ck_assert_str_eq(c->specs[2].kind, "t-http");
	ck_assert_int_eq(c->migrate_count, 1);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(plan_json)
{
	struct mt_scenario *s = load(FIX "matrix.ini");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	char *js = mt_plan_to_json(p, 1), *compact = mt_plan_to_json(p, 0), seed[32];
	cJSON *root = cJSON_Parse(js), *cells, *c0, *spec, *ev;
	int n = 0;

	ck_assert_ptr_nonnull(root);
	ck_assert_ptr_null(strchr(js, '\t'));
	ck_assert_ptr_nonnull(strstr(js, "\"section\": \"no-video\""));
	for (const char *q = js; (q = strstr(q, "\"repeat\":")); q++)
		n++;
	ck_assert_int_eq(n, 24);
	cells = cJSON_GetObjectItem(root, "cells");
	ck_assert_int_eq(cJSON_GetArraySize(cells), 24);
	ck_assert_str_eq(cJSON_GetObjectItem(root, "seed")->valuestring, "1");
	c0 = cJSON_GetArrayItem(cells, 3);
	ck_assert_str_eq(cJSON_GetObjectItem(c0, "name")->valuestring, p->cells[3].name);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)p->cells[3].seed);
	ck_assert_str_eq(cJSON_GetObjectItem(c0, "seed")->valuestring, seed);
	ck_assert_str_eq(cJSON_GetObjectItem(c0, "driver")->valuestring, "t-virt");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "axes"), "fault")->valuestring,
			 "t-netem delay=20ms at=0s for=30s");
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "migrate"), "count")->valueint,
			 1);
	spec = cJSON_GetArrayItem(cJSON_GetObjectItem(c0, "specs"), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(spec, "kind")->valuestring, "t-netem");
	ck_assert_str_eq(cJSON_GetObjectItem(spec, "params")->valuestring, "delay=20ms");
	ck_assert_double_eq(cJSON_GetObjectItem(spec, "for_ms")->valuedouble, 30000);
	ck_assert_str_eq(cJSON_GetObjectItem(spec, "host")->valuestring, "local");
	ck_assert_int_eq(cJSON_GetObjectItem(spec, "line")->valueint, 10);
	ev = cJSON_GetArrayItem(cJSON_GetObjectItem(c0, "timeline"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(ev, "anchor")->valuestring, "start");
	ck_assert_str_eq(cJSON_GetObjectItem(ev, "kind")->valuestring, "phase");
	ck_assert_double_eq(cJSON_GetObjectItem(ev, "offset_ms")->valuedouble, 0);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(ev, "label"));
	cJSON_Delete(root);
	root = cJSON_Parse(compact);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "cells")), 24);
	cJSON_Delete(root);
	free(js);
	free(compact);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(plan_text)
{
	struct mt_scenario *s = load(FIX "timeline.ini");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mt_plan_print(p, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "plan: 1 cell (of 1)"));
	ck_assert_ptr_nonnull(strstr(buf, "[1] t  repeat 0"));
	ck_assert_ptr_nonnull(strstr(buf, "migrated+3s"));
	ck_assert_ptr_nonnull(strstr(buf, "hop_done+2s"));
	ck_assert_ptr_nonnull(strstr(buf, "fault.on"));
	free(buf);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(too_many_cells)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	char txt[4096];
	int n = snprintf(txt, sizeof(txt), "[global]\ndriver = t-virt\nrepeat = 1000000\n"
					    "warmup = 1s | 2s\n");

	struct mt_plan_opts o = { .seed = 1 };
	struct mt_plan *p = NULL;

	/* loading checks each cell once (repeat 1); planning counts the repeats */
	ck_assert_int_eq(mt_scenario_load_buffer(txt, (size_t)n, "big.ini", &s, &err), 0);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), MT_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.msg, "big.ini: more than 10000 cells (sections x axes x repeat), "
				  "expected fewer");
	mt_scenario_free(s);
	/* 2^17 axis combinations: refused at load, before any cell is built */
	n = snprintf(txt, sizeof(txt), "[global]\ndriver = t-virt\n");
	for (int i = 0; i < 17; i++)
		n += snprintf(txt + n, sizeof(txt) - (size_t)n, "warmup = 1s | 2s\n");
	s = NULL;
	ck_assert_int_eq(mt_scenario_load_buffer(txt, (size_t)n, "axes.ini", &s, &err), MT_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, "more than 10000 cells"), "%s", err.msg);
}
END_TEST

/* at=/for= as migration phases: parsed, printed back, and refused with what was expected. */
START_TEST(phase_syntax)
{
	static const struct { const char *in, *out; int hop, phase; double arg; int64_t off; } ok[] = {
		{ "hop0.switchover", "hop0.switchover", 0, MT_PHASE_SWITCHOVER, 0, 0 },
		{ "hop1.iteration=3+20ms", "hop1.iteration=3+20ms", 1, MT_PHASE_ITERATION, 3,
		  20000000 },
		{ "hop*.remaining<=64MiB", "hop*.remaining<=64MiB", MT_HOP_ALL,
		  MT_PHASE_REMAINING, 67108864.0, 0 },
		{ "hop2.done+1.5s", "hop2.done+1.5s", 2, MT_PHASE_DONE, 0, 1500000000 },
		{ "hop0.start", "hop0.start", 0, MT_PHASE_START, 0, 0 },
		{ "hop0.postcopy+0s", "hop0.postcopy", 0, MT_PHASE_POSTCOPY, 0, 0 },
	};
	static const char *const bad[] = {
		"hop0", "hopx.start", "hop-1.start", "hop0.switch", "hop0.iteration",
		"hop0.iteration<=3", "hop0.iteration=0", "hop0.remaining=5MiB", "hop0.remaining<=",
		"hop0.start-5ms", "hop0.start+abc", "hop0.done=3", "hop0.start+-1s",
	};
	struct mt_phase_ref r;
	char why[512], buf[96];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(mt_phase_parse(ok[i].in, &r, why, sizeof(why)) == 0, "%s: %s",
			      ok[i].in, why);
		ck_assert_int_eq(r.set, 1);
		ck_assert_int_eq(r.hop, ok[i].hop);
		ck_assert_int_eq((int)r.phase, ok[i].phase);
		ck_assert(r.arg == ok[i].arg);
		ck_assert(r.offset_ns == ok[i].off);
		mt_phase_format(&r, r.hop, buf, sizeof(buf));
		ck_assert_str_eq(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mt_phase_parse(bad[i], &r, why, sizeof(why)) == MT_EINVAL, "%s",
			      bad[i]);
		ck_assert_msg(strstr(why, "expected a duration or a migration phase"), "%s", why);
		ck_assert_int_eq(r.set, 0);
	}
}
END_TEST

/* Anchored specs become PHASE events: hop* once per hop, for= after the same phase; the plan
 * prints them as written; a phase the cell cannot reach is refused at its line. */
START_TEST(phase_timeline)
{
	struct mt_scenario *s = load_text("[global]\ndriver = t-virt\nwarmup = 1s\ncooldown = 1s\n"
					  "migrate.count = 2\n"
					  "[x]\nfault = t-netem delay=1ms at=hop*.switchover+20ms "
					  "for=500ms\nprobe = t-udp at=hop1.start for=hop1.done\n");
	struct mt_plan *p = plan(s, (struct mt_plan_opts){ .seed = 1 });
	const struct mt_cell *c = &p->cells[0];
	int on[2] = { 0, 0 }, off[2] = { 0, 0 }, pstart = 0, pstop = 0;
	char *js = mt_plan_to_json(p, 0), *txt = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&txt, &len);

	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_tl_event *e = &c->events[i];

		if (e->anchor != MT_ANCHOR_PHASE)
			continue;
		ck_assert(e->hop == 0 || e->hop == 1);
		if (e->kind == MT_TL_FAULT_ON) {
			ck_assert_int_eq((int)e->phase, MT_PHASE_SWITCHOVER);
			ck_assert(e->offset_ns == 20000000);
			on[e->hop]++;
		} else if (e->kind == MT_TL_FAULT_OFF) {
			ck_assert(e->offset_ns == 520000000); /* switchover + 20ms + for */
			off[e->hop]++;
		} else if (e->kind == MT_TL_PROBE_START) {
			ck_assert_int_eq((int)e->phase, MT_PHASE_START);
			pstart++;
		} else if (e->kind == MT_TL_PROBE_STOP) {
			ck_assert_int_eq((int)e->phase, MT_PHASE_DONE);
			pstop++;
		}
	}
	ck_assert_int_eq(on[0] + on[1] * 10 + off[0] * 100 + off[1] * 1000, 1111);
	ck_assert_int_eq(pstart * 10 + pstop, 11);
	ck_assert_ptr_nonnull(js);
	ck_assert_msg(strstr(js, "\"when\":\"hop1.switchover+20ms\""), "%s", js);
	ck_assert_msg(strstr(js, "\"at\":\"hop*.switchover+20ms\""), "%s", js);
	mt_plan_print(p, f);
	fclose(f);
	ck_assert_msg(strstr(txt, "hop0.switchover+20ms") && strstr(txt, "hop1.done"), "%s", txt);
	free(txt);
	free(js);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(phase_refused)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "fault = t-netem delay=1ms at=hop2.switchover", "the cell makes 2 hops" },
		{ "probe = t-udp at=hop*.start", "only a fault can" },
		{ "fault = t-netem delay=1ms at=hop*.start for=hop0.done", "for= must be" },
		{ "fault = t-netem delay=1ms at=1s for=hop*.done", "at= must be hop*" },
		{ "fault = t-netem delay=1ms at=hop0.switch", "unknown phase" },
	};
	char txt[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mt_error err = { 0 };
		struct mt_scenario *s = NULL;
		int n = snprintf(txt, sizeof(txt), "[global]\ndriver = t-virt\nmigrate.count = 2\n"
				 "[x]\n%s\n", bad[i].spec);

		ck_assert_int_eq(mt_scenario_load_buffer(txt, (size_t)n, "t.ini", &s, &err),
				 MT_EINVAL);
		ck_assert_msg(strstr(err.msg, "t.ini:5:") && strstr(err.msg, bad[i].why), "%s",
			      err.msg);
	}
	{
		/* hop* on 1000 hops, six times: 12000 events, refused at the spec that passes 10000 */
		struct mt_error err = { 0 };
		struct mt_scenario *s = NULL;
		int n = snprintf(txt, sizeof(txt), "[global]\ndriver = t-virt\nmigrate.count = 1000\n"
				 "[x]\nfault = ");

		for (int k = 0; k < 6; k++)
			n += snprintf(txt + n, sizeof(txt) - (size_t)n, "%st-netem delay=1ms "
				      "at=hop*.start for=1ms", k ? " + " : "");
		n += snprintf(txt + n, sizeof(txt) - (size_t)n, "\n");
		ck_assert_int_eq(mt_scenario_load_buffer(txt, (size_t)n, "t.ini", &s, &err),
				 MT_EINVAL);
		ck_assert_msg(strstr(err.msg, "t.ini:5:") &&
			      strstr(err.msg, "more than 10000 events"), "%s", err.msg);
	}
	{
		struct mt_error err = { 0 };
		struct mt_scenario *s = NULL;
		const char *t0 = "[global]\ndriver = t-virt\nmigrate.count = 0\n"
				 "[x]\nfault = t-netem delay=1ms at=hop0.start\n";

		ck_assert_int_eq(mt_scenario_load_buffer(t0, strlen(t0), "t.ini", &s, &err),
				 MT_EINVAL);
		ck_assert_msg(strstr(err.msg, "migrates nothing"), "%s", err.msg);
	}
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *t = tcase_create("plan");

	tcase_add_test(t, matrix_count_and_order);
	tcase_add_test(t, seeds_fixed_values);
	tcase_add_test(t, seeds_stable_and_distinct);
	tcase_add_test(t, only_glob);
	tcase_add_test(t, shards_partition_round_robin);
	tcase_add_test(t, timeline_order);
	tcase_add_test(t, timeline_without_migration);
	tcase_add_test(t, precedence_and_driver_axis);
	tcase_add_test(t, plan_json);
	tcase_add_test(t, plan_text);
	tcase_add_test(t, too_many_cells);
	tcase_add_test(t, phase_syntax);
	tcase_add_test(t, phase_timeline);
	tcase_add_test(t, phase_refused);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int failed;

	fake_plugins_register();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mt_registry_reset_extra();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
