/* test_timeline.c — running cells with fake plugins: order at equal offsets, anchors after
 * the driver's completion, fault off at +for, cell end at cool-down after the last hop,
 * unsupported → skip, errors → error and the next cell runs, migration timeout → abort,
 * dry run touches nothing, output directory refusal. */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fakes.h"
#include "migtorture/journal.h"
#include "test_util.h"

static char tmpdir[256], outdir[300], jpath[300];

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "run-tl");
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	snprintf(jpath, sizeof(jpath), "%s/journal", tmpdir);
	snprintf(undo_file, sizeof(undo_file), "%s/undo.log", tmpdir);
	register_fakes();
	ntrace = 0;
	drv_hang = 0;
	drv_force_on_abort = 0;
}

static void teardown(void)
{
	tu_rm_rf(tmpdir);
	mt_registry_reset_extra();
}

static int run_cells(struct tcell **cells, size_t n, struct mt_run_opts *o,
		     struct mt_run_result *run, struct mt_error *err)
{
	struct mt_scenario s = { .path = (char *)"fake.ini" };
	struct mt_cell all[8];
	struct mt_plan plan = { .seed = 7, .cells = all, .ncells = n, .total_cells = n };
	/* the fakes touch nothing: let their faults act on "local" */
	struct mt_run_opts def = { .outdir = outdir, .journal_path = jpath, .verbose = -1,
				   .allow_host_faults = 1 };

	for (size_t i = 0; i < n; i++)
		all[i] = cells[i]->cell;
	memset(run, 0, sizeof(*run));
	return mt_run_plan(&s, &plan, o ? o : &def, run, err);
}

static int trace_pos(const char *name)
{
	int i = trace_find(name);

	ck_assert_msg(i >= 0, "no '%s' in the trace", name);
	return i;
}

static char *kname(enum mt_tl_kind k, const char *tail)
{
	static char buf[16][64];
	static int n;
	char *b = buf[n++ % 16];

	snprintf(b, 64, "%s%s%s", mt_tl_kind_name(k), tail ? " " : "", tail ? tail : "");
	return b;
}

START_TEST(equal_offsets_run_in_documented_order)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	int a, b, w, p;

	tcell_init(&t, "order");
	a = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "A");
	b = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "B");
	w = tspec(&t, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "W");
	p = tspec(&t, MT_SPEC_PROBE, "fake-probe", &fake_probe, "P");
	/* Inserted deliberately out of order. */
	tev(&t, MT_ANCHOR_START, 40, MT_TL_CELL_END, -1, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_FAULT_ON, b, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_WORKLOAD_START, w, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_PROBE_START, p, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_FAULT_OFF, a, -1); /* A: at=0 for=20ms */
	tev(&t, MT_ANCHOR_START, 20, MT_TL_PHASE, -1, -1);
	tev(&t, MT_ANCHOR_START, 0, MT_TL_FAULT_ON, a, -1);
	/* No migration: MIGRATED resolves at warmup + migrate.at (0 here). */
	tev(&t, MT_ANCHOR_MIGRATED, 30, MT_TL_WORKLOAD_STOP, w, -1);

	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	ck_assert_uint_eq(run.ncells, 1);
	c = &run.cells[0];
	ck_assert_int_eq(c->verdict, MT_VERDICT_PASS);

	/* The plugins saw the documented order at t=20ms. */
	{
		const char *want[] = { "apply:A", "collect:A", "undo:A", "start:P", "start:W",
				       "apply:B", "stop:W", "stop:P", "collect:B", "undo:B",
				       "collect:W", "collect:P" };

		ck_assert_uint_eq(ntrace, sizeof(want) / sizeof(want[0]));
		for (size_t i = 0; i < ntrace; i++)
			ck_assert_str_eq(trace[i].name, want[i]);
	}
	/* The executed timeline: planned times exact, never early, in the same order. */
	{
		struct { const char *what; int64_t planned; } want[] = {
			{ kname(MT_TL_FAULT_ON, "fake-fault"), 0 },
			{ kname(MT_TL_PHASE, "baseline"), 20 * MS },
			{ kname(MT_TL_FAULT_OFF, "fake-fault"), 20 * MS },
			{ kname(MT_TL_PROBE_START, "fake-probe"), 20 * MS },
			{ kname(MT_TL_WORKLOAD_START, "fake-wl"), 20 * MS },
			{ kname(MT_TL_FAULT_ON, "fake-fault"), 20 * MS },
			{ kname(MT_TL_WORKLOAD_STOP, "fake-wl"), 30 * MS },
			{ kname(MT_TL_CELL_END, NULL), 40 * MS },
		};

		ck_assert_uint_ge(c->nevents, 8);
		for (size_t i = 0; i < 8; i++) {
			ck_assert_str_eq(c->events[i].what, want[i].what);
			ck_assert_int_eq(c->events[i].planned_ns, want[i].planned);
			ck_assert_int_ge(c->events[i].actual_ns, c->events[i].planned_ns);
			ck_assert_int_eq(c->events[i].rc, 0);
		}
		ck_assert_str_eq(c->events[2].detail, "A");
	}
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

static void tev_phase(struct tcell *t, enum mt_hop_phase ph, double arg, int64_t off_ms,
		      enum mt_tl_kind k, int spec, int hop)
{
	tev(t, MT_ANCHOR_PHASE, off_ms, k, spec, hop);
	t->evs[t->cell.nevents - 1].phase = ph;
	t->evs[t->cell.nevents - 1].phase_arg = arg;
}

/* Phase anchors with the fake driver (pass 1 as a hop starts, the switch-over half-way
 * through its 40 ms): an action anchored on a phase runs at the phase's measured time plus
 * its offset and records the anchor, when it took effect and the lag; hopN.start and
 * hopN.done come from the runner; pass 3 and post-copy never come and are recorded so. */
START_TEST(phase_anchors_run_from_the_measured_phase)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	const struct mt_event_rec *start = NULL, *sw_on = NULL, *sw_off = NULL, *it1 = NULL;
	const struct mt_event_rec *done = NULL, *hstart, *hdone;
	const struct mt_metric *m;
	int sw, it, pc, st, dn, it3;
	size_t missed = 0;

	hop_ms = 40;
	tcell_init(&t, "phases");
	t.cell.migrate_count = 1;
	sw = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "sw");
	it = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "it1");
	pc = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "pc");
	st = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "st");
	dn = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "dn");
	it3 = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "it3");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_PHASE, -1, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_MIGRATE_START, -1, 0);
	tev_phase(&t, MT_PHASE_SWITCHOVER, 0, 5, MT_TL_FAULT_ON, sw, 0);
	tev_phase(&t, MT_PHASE_SWITCHOVER, 0, 8, MT_TL_FAULT_OFF, sw, 0);
	tev_phase(&t, MT_PHASE_ITERATION, 1, 0, MT_TL_FAULT_ON, it, 0);
	tev_phase(&t, MT_PHASE_POSTCOPY, 0, 0, MT_TL_FAULT_ON, pc, 0);
	tev_phase(&t, MT_PHASE_START, 0, 2, MT_TL_FAULT_ON, st, 0);
	tev_phase(&t, MT_PHASE_DONE, 0, 1, MT_TL_FAULT_ON, dn, 0);
	tev_phase(&t, MT_PHASE_ITERATION, 3, 0, MT_TL_FAULT_ON, it3, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 30, MT_TL_CELL_END, -1, -1);

	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	hstart = rec_find(c, "migrate.start hop 0");
	hdone = rec_find(c, "migrate.done hop 0");
	ck_assert_ptr_nonnull(hstart);
	ck_assert_ptr_nonnull(hdone);
	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_event_rec *e = &c->events[i];

		if (!e->anchor)
			continue;
		printf("%s %s: anchor %s at %lld, planned %lld, actual %lld, effect %lld ns\n",
		       e->what, e->detail ? e->detail : "", e->anchor, (long long)e->anchor_ns,
		       (long long)e->planned_ns, (long long)e->actual_ns, (long long)e->effect_ns);
		if (e->actual_ns < 0) {
			missed++;
			ck_assert_int_eq(e->effect_ns, -1);
			ck_assert_int_eq(e->anchor_ns, -1);
			ck_assert_ptr_nonnull(strstr(e->detail, "never came"));
			continue;
		}
		/* when it ran: never before its anchor plus offset; effect after it ran */
		ck_assert_int_ge(e->actual_ns, e->planned_ns);
		ck_assert_int_ge(e->effect_ns, e->actual_ns);
		if (!strcmp(e->anchor, "hop0.switchover") && !strcmp(e->what, "fault.on fake-fault"))
			sw_on = e;
		else if (!strcmp(e->anchor, "hop0.switchover"))
			sw_off = e;
		else if (!strcmp(e->anchor, "hop0.iteration=1"))
			it1 = e;
		else if (!strcmp(e->anchor, "hop0.start"))
			start = e;
		else if (!strcmp(e->anchor, "hop0.done"))
			done = e;
	}
	ck_assert_ptr_nonnull(sw_on);
	ck_assert_ptr_nonnull(sw_off);
	ck_assert_ptr_nonnull(it1);
	ck_assert_ptr_nonnull(start);
	ck_assert_ptr_nonnull(done);
	ck_assert_uint_eq(missed, 2); /* post-copy and pass 3 */
	/* planned = the phase's measured time + the offset */
	ck_assert_int_eq(sw_on->planned_ns, sw_on->anchor_ns + 5 * MS);
	ck_assert_int_eq(sw_off->planned_ns, sw_off->anchor_ns + 8 * MS);
	ck_assert_int_eq(sw_on->anchor_ns, sw_off->anchor_ns);
	ck_assert_int_eq(start->planned_ns, start->anchor_ns + 2 * MS);
	ck_assert_int_eq(done->planned_ns, done->anchor_ns + 1 * MS);
	/* the switch-over lies inside the hop (half-way), pass 1 at its start */
	ck_assert_int_ge(start->anchor_ns, 10 * MS);
	ck_assert_int_ge(sw_on->anchor_ns, hstart->actual_ns + 20 * MS);
	ck_assert_int_lt(sw_on->anchor_ns, hdone->actual_ns);
	ck_assert_int_ge(it1->anchor_ns, start->anchor_ns);
	ck_assert_int_lt(it1->anchor_ns, sw_on->anchor_ns);
	ck_assert_int_eq(done->anchor_ns, hdone->actual_ns);
	m = mt_cell_metric(c, "anchor.reached");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->num == 5);
	m = mt_cell_metric(c, "anchor.missed");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->num == 2);
	ck_assert_ptr_nonnull(mt_cell_metric(c, "anchor.trigger_lag_max_ms"));
	(void)pc;
	(void)it3;
	mt_run_result_free(&run);
	tcell_free(&t);
	hop_ms = 20;
}
END_TEST

START_TEST(anchors_follow_the_drivers_completion)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	const struct mt_event_rec *h0, *h1, *d0, *d1, *end, *stop;
	int w;

	tcell_init(&t, "mig");
	t.cell.warmup_ns = 10 * MS;
	t.cell.cooldown_ns = 20 * MS;
	t.cell.migrate_count = 2;
	t.cell.migrate_interval_ns = 5 * MS;
	t.cell.migrate_timeout_ns = 5000 * MS;
	w = tspec(&t, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "W");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_HOP_DONE, 5, MT_TL_MIGRATE_START, -1, 1);
	tev(&t, MT_ANCHOR_MIGRATED, 20, MT_TL_WORKLOAD_STOP, w, -1);
	tev(&t, MT_ANCHOR_MIGRATED, 20, MT_TL_CELL_END, -1, -1);

	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	ck_assert_msg(c->verdict == MT_VERDICT_PASS, "%s", c->reason ? c->reason : "");
	h0 = rec_find(c, kname(MT_TL_MIGRATE_START, "hop 0"));
	h1 = rec_find(c, kname(MT_TL_MIGRATE_START, "hop 1"));
	d0 = rec_find(c, "migrate.done hop 0");
	d1 = rec_find(c, "migrate.done hop 1");
	end = rec_find(c, kname(MT_TL_CELL_END, NULL));
	stop = rec_find(c, kname(MT_TL_WORKLOAD_STOP, "fake-wl"));
	ck_assert(h0 && h1 && d0 && d1 && end && stop);
	ck_assert_int_eq(h0->planned_ns, 10 * MS);
	/* hop 1: interval after hop 0 completed; cell end: cool-down after the last hop. */
	ck_assert_int_eq(h1->planned_ns, d0->actual_ns + 5 * MS);
	ck_assert_int_eq(end->planned_ns, d1->actual_ns + 20 * MS);
	ck_assert_int_eq(stop->planned_ns, end->planned_ns);
	ck_assert_int_lt(rec_index(c, kname(MT_TL_WORKLOAD_STOP, "fake-wl")),
			 rec_index(c, kname(MT_TL_CELL_END, NULL)));
	ck_assert_int_ge(d0->actual_ns, h0->actual_ns);
	/* Ping-pong and one prepare. */
	ck_assert_int_lt(trace_pos("prepare"), trace_pos("hop.start:0 hosta>hostb"));
	ck_assert_int_lt(trace_pos("hop.start:0 hosta>hostb"), trace_pos("hop.start:1 hostb>hosta"));
	ck_assert_int_lt(trace_pos("collect:W"), trace_pos("drv.collect"));
	/* Phases as collect saw them: during = first hop start → last hop done. */
	ck_assert_int_ge(seen_phases.during_start_ns, h0->actual_ns);
	ck_assert_int_le(seen_phases.during_start_ns, d0->actual_ns);
	ck_assert_int_eq(seen_phases.after_start_ns, d1->actual_ns);
	ck_assert_int_ge(seen_phases.end_ns, end->actual_ns);
	ck_assert_ptr_nonnull(mt_cell_metric(c, "fake.collected_count"));
	ck_assert_ptr_nonnull(mt_cell_metric(c, "migration.fake_polls_count"));
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(fault_off_at_for)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	const struct mt_event_rec *on, *off;
	int a;

	tcell_init(&t, "for");
	t.cell.warmup_ns = 10 * MS;
	a = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "F");
	t.specs[a].at_ns = 5 * MS;
	t.specs[a].for_ns = 15 * MS;
	tev(&t, MT_ANCHOR_START, 15, MT_TL_FAULT_ON, a, -1);  /* warmup + at */
	tev(&t, MT_ANCHOR_START, 30, MT_TL_FAULT_OFF, a, -1); /* ... + for */
	tev(&t, MT_ANCHOR_START, 50, MT_TL_CELL_END, -1, -1);
	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	on = rec_find(c, kname(MT_TL_FAULT_ON, "fake-fault"));
	off = rec_find(c, kname(MT_TL_FAULT_OFF, "fake-fault"));
	ck_assert(on && off);
	ck_assert_int_eq(off->planned_ns - on->planned_ns, 15 * MS);
	ck_assert_int_ge(off->actual_ns, off->planned_ns);
	/* Undone at the off event, before the cell ended; not undone twice. */
	ck_assert_int_lt(trace_pos("undo:F"), (int)ntrace);
	ck_assert_int_eq(trace_find("undo:F"), (int)ntrace - 1);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

/* at=30ms for=hop0.done with the hop done first: the off comes before the on, which then
 * applies nothing (it would stay on until the cell ends) and says so in its detail. And a
 * second on of a fault still on (hop* without for=) applies nothing again. */
START_TEST(fault_on_after_its_own_off_applies_nothing)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	const struct mt_event_rec *on, *off;
	int a, g, ons = 0;

	tcell_init(&t, "late-on");
	a = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "F");
	g = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "G");
	tev(&t, MT_ANCHOR_START, 30, MT_TL_FAULT_ON, a, -1);
	tev(&t, MT_ANCHOR_START, 15, MT_TL_FAULT_OFF, a, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_FAULT_ON, g, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_FAULT_ON, g, -1);
	tev(&t, MT_ANCHOR_START, 50, MT_TL_CELL_END, -1, -1);
	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	ck_assert_msg(c->verdict == MT_VERDICT_PASS, "%s", c->reason ? c->reason : "");
	on = off = NULL;
	for (size_t i = 0; i < c->nevents; i++) {
		if (c->events[i].planned_ns == 30 * MS)
			on = &c->events[i];
		if (c->events[i].planned_ns == 15 * MS)
			off = &c->events[i];
	}
	ck_assert(on && off);
	ck_assert_int_lt(off->actual_ns, on->actual_ns);
	ck_assert_int_eq(on->rc, 0);
	ck_assert_msg(on->detail && strstr(on->detail, "its for= end came first"), "%s",
		      on->detail ? on->detail : "(none)");
	ck_assert_int_eq(trace_find("apply:F"), -1);
	ck_assert_int_eq(trace_find("undo:F"), -1);
	for (size_t i = 0; i < ntrace; i++)
		ons += strcmp(trace[i].name, "apply:G") == 0;
	ck_assert_int_eq(ons, 1);
	ons = 0;
	for (size_t i = 0; i < c->nevents; i++)
		if (c->events[i].planned_ns == 20 * MS) {
			ck_assert_msg(c->events[i].detail &&
				      strstr(c->events[i].detail, "still on"), "%s",
				      c->events[i].detail ? c->events[i].detail : "(none)");
			ons++;
		}
	ck_assert_int_eq(ons, 1);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

/* A fault off whose target recovers later: undone without waiting, then settled from the loop
 * while the probe keeps running; the cell waits for it before stopping the probe. */
START_TEST(settle_runs_in_the_loop)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_cell_result *c;
	const struct mt_event_rec *ev;
	const struct mt_metric *m;
	int a, p, last_settle = -1;

	settle_polls = 3;
	settle_fail = 0;
	tcell_init(&t, "settle");
	p = tspec(&t, MT_SPEC_PROBE, "fake-probe", &fake_probe, "P");
	a = tspec(&t, MT_SPEC_FAULT, "fake-settle", &fake_settle_fault, "S");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_PROBE_START, p, -1);
	tev(&t, MT_ANCHOR_START, 0, MT_TL_FAULT_ON, a, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_FAULT_OFF, a, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_CELL_END, -1, -1);
	ck_assert_msg(run_cells(cells, 1, NULL, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	ck_assert_int_ge(trace_find("nowait:{\"tag\":\"S\"}"), 0);
	ck_assert_int_lt(trace_find("undo:S"), 0); /* the blocking undo was not used */
	for (size_t i = 0; i < ntrace; i++)
		if (strcmp(trace[i].name, "settle") == 0)
			last_settle = (int)i;
	ck_assert_int_ge(last_settle, 0);
	/* 3 polls 250 ms apart: it settled after the cell's end (20 ms), and only then did the
	 * probe stop */
	ck_assert_int_lt(last_settle, trace_find("stop:P"));
	ev = rec_find(c, "fault.settled fake-settle");
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->rc, 0);
	ck_assert_int_ge(ev->actual_ns, 400 * MS);
	m = mt_cell_metric(c, "fault.fake-settle.undo_to_settled_ms");
	ck_assert_ptr_nonnull(m);
	ck_assert_double_ge(m->num, 400);
	mt_run_result_free(&run);
	tcell_free(&t);

	/* one that does not settle: the cell is an error naming why */
	settle_fail = 1;
	settle_polls = 2;
	snprintf(outdir, sizeof(outdir), "%s/out2", tmpdir);
	tcell_init(&t, "nosettle");
	a = tspec(&t, MT_SPEC_FAULT, "fake-settle", &fake_settle_fault, "S");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_FAULT_ON, a, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_FAULT_OFF, a, -1);
	tev(&t, MT_ANCHOR_START, 20, MT_TL_CELL_END, -1, -1);
	ck_assert_int_eq(run_cells(cells, 1, NULL, &run, &err), MT_EXIT_INFRA);
	ck_assert_ptr_nonnull(run.cells[0].reason);
	ck_assert_msg(strstr(run.cells[0].reason, "still recovering"), "%s", run.cells[0].reason);
	settle_fail = 0;
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(unsupported_fake_skips_with_reason)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	int a, w;

	tcell_init(&t, "unsup");
	w = tspec(&t, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "W");
	a = tspec(&t, MT_SPEC_FAULT, "fake-unsup", &fake_unsup, "U");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
	tev(&t, MT_ANCHOR_START, 0, MT_TL_FAULT_ON, a, -1);
	tev(&t, MT_ANCHOR_START, 10, MT_TL_CELL_END, -1, -1);
	ck_assert_int_eq(run_cells(cells, 1, NULL, &run, &err), MT_EXIT_ALLSKIP);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_SKIP);
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "fake says no"));
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "fake-unsup"));
	ck_assert_uint_eq(ntrace, 0); /* nothing started, nothing applied */
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(erroring_fake_errors_and_next_cell_runs)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t0, t1, *cells[] = { &t0, &t1 };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	size_t n;
	int a, w;

	tcell_init(&t0, "bad");
	w = tspec(&t0, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "W0");
	a = tspec(&t0, MT_SPEC_FAULT, "fake-err", &fake_err, "E");
	tev(&t0, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
	tev(&t0, MT_ANCHOR_START, 5, MT_TL_FAULT_ON, a, -1);
	tev(&t0, MT_ANCHOR_START, 5000, MT_TL_CELL_END, -1, -1);
	tcell_init(&t1, "good");
	w = tspec(&t1, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "W1");
	tev(&t1, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
	tev(&t1, MT_ANCHOR_START, 10, MT_TL_CELL_END, -1, -1);

	ck_assert_int_eq(run_cells(cells, 2, NULL, &run, &err), MT_EXIT_INFRA);
	ck_assert_uint_eq(run.ncells, 2);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "fake apply failed"));
	ck_assert_ptr_null(strchr(run.cells[0].reason, '\n'));
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_PASS);
	ck_assert_ptr_nonnull(strstr(err.msg, "fake apply failed"));
	/* The half-applied fault was taken back, the workload stopped, before cell 1 began. */
	ck_assert_int_lt(trace_pos("apply:half"), trace_pos("undo:half"));
	ck_assert_int_lt(trace_pos("undo:half"), trace_pos("start:W1"));
	ck_assert_int_lt(trace_pos("stop:W0"), trace_pos("start:W1"));
	/* The error is in the executed timeline too. */
	ck_assert_int_lt(rec_find(&run.cells[0], kname(MT_TL_FAULT_ON, "fake-err"))->rc, 0);
	ck_assert_int_eq(mt_journal_open(jpath, &j, &err), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	mt_journal_close(j);
	mt_run_result_free(&run);
	tcell_free(&t0);
	tcell_free(&t1);
}
END_TEST

/* A hop that completes after its timeout (the driver forced it: nova's force_complete) moved the
 * VM: it counts, the cell goes on to its end and passes; the timeline keeps the timeout. */
START_TEST(migration_forced_after_timeout_counts)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };
	const struct mt_metric *m;

	tcell_init(&t, "forced");
	drv_hang = 1;
	drv_force_on_abort = 1;
	t.cell.migrate_count = 1;
	t.cell.migrate_timeout_ns = 30 * MS;
	tev(&t, MT_ANCHOR_START, 0, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 0, MT_TL_CELL_END, -1, -1);
	ck_assert_int_eq(run_cells(cells, 1, NULL, &run, &err), MT_EXIT_PASS);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_lt(trace_pos("abort"), trace_pos("hop.finish"));
	ck_assert_ptr_nonnull(rec_find(&run.cells[0], "migrate.abort hop 0"));
	m = mt_cell_metric(&run.cells[0], "migration.fake_polls_count");
	ck_assert_ptr_nonnull(m);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(migration_timeout_aborts_with_reason)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct tcell t, *cells[] = { &t };

	tcell_init(&t, "hang");
	drv_hang = 1;
	t.cell.migrate_count = 1;
	t.cell.migrate_timeout_ns = 30 * MS;
	tev(&t, MT_ANCHOR_START, 0, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 0, MT_TL_CELL_END, -1, -1);
	ck_assert_int_eq(run_cells(cells, 1, NULL, &run, &err), MT_EXIT_INFRA);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "did not finish within"));
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "fake migration aborted"));
	ck_assert_int_lt(trace_pos("abort"), trace_pos("hop.finish"));
	ck_assert_int_eq(trace_find("drv.collect") >= 0, 1);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(dry_run_touches_nothing)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .dry_run = 1 };
	struct tcell t, *cells[] = { &t };
	char path[400], buf[4096];
	struct stat st;
	int fd, saved;
	ssize_t n;
	int a;

	tcell_init(&t, "dry");
	t.cell.migrate_count = 1;
	a = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, "delay=20ms");
	tev(&t, MT_ANCHOR_START, 1500, MT_TL_FAULT_ON, a, -1);
	tev(&t, MT_ANCHOR_START, 2000, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 10000, MT_TL_CELL_END, -1, -1);
	snprintf(path, sizeof(path), "%s/dry.txt", tmpdir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	ck_assert_int_eq(run_cells(cells, 1, &o, &run, &err), MT_EXIT_PASS);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "t=+1.500s"));
	ck_assert_ptr_nonnull(strstr(buf, kname(MT_TL_FAULT_ON, "fake-fault: delay=20ms")));
	ck_assert_ptr_nonnull(strstr(buf, "hosta -> hostb"));
	ck_assert_ptr_nonnull(strstr(buf, "migrated+10.000s"));
	ck_assert_uint_eq(ntrace, 0);
	ck_assert_int_ne(stat(outdir, &st), 0);
	ck_assert_int_ne(stat(jpath, &st), 0);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

START_TEST(non_empty_outdir_needs_force)
{
	struct mt_error err = { 0 };
	struct mt_run_result run;
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	struct tcell t, *cells[] = { &t };
	char path[400];
	FILE *f;

	tcell_init(&t, "force");
	tev(&t, MT_ANCHOR_START, 1, MT_TL_CELL_END, -1, -1);
	ck_assert_int_eq(mkdir(outdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/old.txt", outdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(run_cells(cells, 1, &o, &run, &err), MT_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "--force"));
	ck_assert_uint_eq(run.ncells, 0);
	mt_run_result_free(&run);
	o.force = 1;
	ck_assert_int_eq(run_cells(cells, 1, &o, &run, &err), MT_EXIT_PASS);
	snprintf(path, sizeof(path), "%s/results.json", outdir);
	mt_run_result_free(&run);
	ck_assert_int_eq(mt_result_read_file(path, &run, &err), 0);
	ck_assert_uint_eq(run.ncells, 1);
	ck_assert_int_eq(run.interrupted, 0);
	mt_run_result_free(&run);
	tcell_free(&t);
}
END_TEST

/* The whole path: scenario text → parser → plan → runner, with the fakes registered. */
START_TEST(scenario_text_runs_end_to_end)
{
	static const char ini[] =
		"[global]\n"
		"driver = fake-drv\n"
		"source = hosta\n"
		"dest = hostb\n"
		"warmup = 20ms\n"
		"cooldown = 20ms\n"
		"migrate.count = 2\n"
		"migrate.interval = 10ms\n"
		"migrate.timeout = 5s\n"
		"probe = fake-probe tag=P\n"
		"fault = fake-fault tag=A at=0s for=10ms + fake-fault tag=B at=5ms\n"
		"targets = local\n"
		"[one]\n"
		"workload = fake-wl tag=W\n";
	struct mt_plan_opts po = { .seed = 3 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_scenario *sc = NULL;
	struct mt_plan *plan = NULL;
	const struct mt_cell_result *c;
	const struct mt_event_rec *d1, *after, *end;

	ck_assert_msg(mt_scenario_load_buffer(ini, sizeof(ini) - 1, "e2e.ini", &sc, &err) == 0,
		      "%s", err.msg);
	ck_assert_msg(mt_plan_build(sc, &po, &plan, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(plan->ncells, 1);
	ck_assert_msg(mt_run_plan(sc, plan, &o, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	c = &run.cells[0];
	ck_assert_msg(c->verdict == MT_VERDICT_PASS, "%s", c->reason ? c->reason : "");
	ck_assert_int_eq(c->seed, plan->cells[0].seed);
	ck_assert_str_eq(run.scenario_sha256, sc->sha256);
	/* Fault A on before hop 0 at the same instant; A off at +for while B stays on. */
	ck_assert_int_lt(trace_pos("apply:A"), trace_pos("hop.start:0 hosta>hostb"));
	ck_assert_int_lt(trace_pos("apply:B"), trace_pos("undo:A"));
	ck_assert_int_lt(trace_pos("hop.start:1 hostb>hosta"), trace_pos("undo:B"));
	ck_assert_int_lt(trace_pos("stop:W"), trace_pos("stop:P"));
	d1 = rec_find(c, "migrate.done hop 1");
	after = rec_find(c, "phase after");
	end = rec_find(c, kname(MT_TL_CELL_END, NULL));
	ck_assert(d1 && after && end && rec_find(c, "phase during"));
	ck_assert_int_eq(after->planned_ns, d1->actual_ns);
	ck_assert_int_eq(end->planned_ns, d1->actual_ns + 20 * MS);
	mt_run_result_free(&run);
	mt_plan_free(plan);
	mt_scenario_free(sc);
}
END_TEST


/* Blast radius: a fault on a host outside the lab needs `targets` (or --allow-host-faults). */
START_TEST(fault_outside_targets_is_refused)
{
	static const char ini[] =
		"[global]\n"
		"driver = fake-drv\n"
		"source = hosta\n"
		"dest = hostb\n"
		"warmup = 10ms\n"
		"cooldown = 10ms\n"
		"migrate.count = 0\n"
		"fault = fake-fault tag=A dev=eth0\n"
		"targets = local:lo, other\n"
		"[one]\n";
	struct mt_plan_opts po = { .seed = 3 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_scenario *sc = NULL;
	struct mt_plan *plan = NULL;

	ck_assert_msg(mt_scenario_load_buffer(ini, sizeof(ini) - 1, "radius.ini", &sc, &err) == 0,
		      "%s", err.msg);
	ck_assert_msg(mt_plan_build(sc, &po, &plan, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_run_plan(sc, plan, &o, &run, &err), MT_EXIT_INFRA);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[0].reason, "outside the lab"));
	ck_assert_int_lt(trace_find("apply:A"), 0); /* never applied */
	mt_run_result_free(&run);
	/* the same with --allow-host-faults runs it */
	o.allow_host_faults = 1;
	o.force = 1;
	ck_assert_int_eq(mt_run_plan(sc, plan, &o, &run, &err), MT_EXIT_PASS);
	ck_assert_int_ge(trace_find("apply:A"), 0);
	mt_run_result_free(&run);
	mt_plan_free(plan);
	mt_scenario_free(sc);
}
END_TEST


/* Thresholds decide the verdicts once all repeats of a cell ran: a held one passes, a failed
 * one fails (exit 1), one on a metric no cell produced is an error (exit 3). */
static int run_thresholds(const char *thr, struct mt_run_result *run)
{
	char ini[512];
	struct mt_plan_opts po = { .seed = 3 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1,
				 .force = 1 };
	struct mt_error err = { 0 };
	struct mt_scenario *sc = NULL;
	struct mt_plan *plan = NULL;
	int rc;

	snprintf(ini, sizeof(ini),
		 "[global]\ndriver = fake-drv\nsource = hosta\ndest = hostb\nwarmup = 5ms\n"
		 "cooldown = 5ms\nmigrate.count = 0\nrepeat = 3\nthreshold = %s\n"
		 "[one]\nworkload = fake-wl tag=W\n", thr);
	ck_assert_msg(mt_scenario_load_buffer(ini, strlen(ini), "thr.ini", &sc, &err) == 0, "%s",
		      err.msg);
	ck_assert_msg(mt_plan_build(sc, &po, &plan, &err) == 0, "%s", err.msg);
	memset(run, 0, sizeof(*run));
	rc = mt_run_plan(sc, plan, &o, run, &err);
	mt_plan_free(plan);
	mt_scenario_free(sc);
	return rc;
}

START_TEST(thresholds_decide_verdicts)
{
	struct mt_run_result run;

	/* fake-wl sets fake.collected_count = 1 in every repeat */
	ck_assert_int_eq(run_thresholds("fake.collected_count.max <= 1", &run), MT_EXIT_PASS);
	ck_assert_uint_eq(run.ncells, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(run.cells[i].verdict, MT_VERDICT_PASS);
		ck_assert_uint_eq(run.cells[i].nchecks, 1); /* judged once, not per results write */
	}
	mt_run_result_free(&run);
	ck_assert_int_eq(run_thresholds("fake.collected_count < 1", &run), MT_EXIT_FAIL);
	ck_assert_int_eq(run.cells[2].verdict, MT_VERDICT_FAIL);
	ck_assert_int_eq(run.verdict, MT_VERDICT_FAIL);
	mt_run_result_free(&run);
	ck_assert_int_eq(run_thresholds("no_such_metric_ms <= 1s", &run), MT_EXIT_INFRA);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_ERROR);
	mt_run_result_free(&run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, equal_offsets_run_in_documented_order);
	tcase_add_test(tc, anchors_follow_the_drivers_completion);
	tcase_add_test(tc, phase_anchors_run_from_the_measured_phase);
	tcase_add_test(tc, fault_on_after_its_own_off_applies_nothing);
	tcase_add_test(tc, fault_off_at_for);
	tcase_add_test(tc, settle_runs_in_the_loop);
	tcase_add_test(tc, unsupported_fake_skips_with_reason);
	tcase_add_test(tc, erroring_fake_errors_and_next_cell_runs);
	tcase_add_test(tc, migration_timeout_aborts_with_reason);
	tcase_add_test(tc, migration_forced_after_timeout_counts);
	tcase_add_test(tc, dry_run_touches_nothing);
	tcase_add_test(tc, non_empty_outdir_needs_force);
	tcase_add_test(tc, scenario_text_runs_end_to_end);
	tcase_add_test(tc, fault_outside_targets_is_refused);
	tcase_add_test(tc, thresholds_decide_verdicts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
