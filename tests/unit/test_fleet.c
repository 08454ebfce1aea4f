/* test_fleet.c — several domains in one cell (fleet.h): at most migrate.concurrency hops at
 * once, the rest in the order named as soon as one ends; one VM that cannot move does not stop
 * the others and names itself in the cell's error; every VM's figures under vm.NAME., the
 * hop's whole under migration.; the scenario's `domain` list checked at load. */
#include <check.h>
#include <math.h>

#include "fakes.h"
#include "fleet.h"
#include "test_util.h"

static char tmpdir[256], outdir[300], jpath[300];

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "fleet");
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	snprintf(jpath, sizeof(jpath), "%s/journal", tmpdir);
	register_fakes();
	ndom_rec = 0;
	drv_fail_domain = NULL;
	hop_ms = 60;
}

static void teardown(void)
{
	tu_rm_rf(tmpdir);
	mt_registry_reset_extra();
	hop_ms = 20;
}

static int64_t rec_of(const char *dom, int end)
{
	for (size_t i = 0; i < ndom_rec; i++)
		if (!strcmp(dom_rec[i].dom, dom))
			return end ? dom_rec[i].end : dom_rec[i].start;
	return -2;
}

static double num(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	ck_assert_msg(m && m->kind == MT_METRIC_NUM, "no number at %s", path);
	return m->num;
}

/* Runs one cell migrating domains (NULL-terminated) once, k at a time; returns its exit. */
static int run_fleet(char **domains, int k, struct mt_run_result *run)
{
	struct mt_error err = { 0 };
	struct tcell t;
	struct mt_scenario s = { .path = (char *)"fake.ini" };
	struct mt_plan plan = { .seed = 7, .ncells = 1, .total_cells = 1 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	int n = 0, rc;

	while (domains[n])
		n++;
	tcell_init(&t, "fleet");
	t.cell.domain = domains[0];
	t.cell.domains = domains;
	t.cell.ndomains = n;
	t.cell.migrate_concurrency = k;
	t.cell.warmup_ns = 5 * MS;
	t.cell.cooldown_ns = 5 * MS;
	t.cell.migrate_count = 1;
	t.cell.migrate_timeout_ns = 5000 * MS;
	tev(&t, MT_ANCHOR_START, 5, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 5, MT_TL_CELL_END, -1, -1);
	plan.cells = &t.cell;
	rc = mt_run_plan(&s, &plan, &o, run, &err);
	tcell_free(&t);
	for (size_t i = 0; i < ndom_rec; i++)
		printf("  %s: start %.1f ms, end %.1f ms\n", dom_rec[i].dom,
		       (double)(dom_rec[i].start - dom_rec[0].start) / 1e6,
		       (double)(dom_rec[i].end - dom_rec[0].start) / 1e6);
	return rc;
}

/* Three VMs, two at a time: a and b start together, c only once one of them ended. */
START_TEST(two_at_a_time_the_third_waits)
{
	char *doms[] = { "a", "b", "c", NULL };
	struct mt_run_result run = { 0 };
	const struct mt_cell_result *c;
	int64_t first_end;

	ck_assert_int_eq(run_fleet(doms, 2, &run), MT_EXIT_PASS);
	c = &run.cells[0];
	ck_assert_msg(c->verdict == MT_VERDICT_PASS, "%s", c->reason ? c->reason : "");
	ck_assert_int_eq((int)ndom_rec, 3);
	ck_assert_str_eq(dom_rec[0].dom, "a");
	ck_assert_str_eq(dom_rec[1].dom, "b");
	ck_assert_str_eq(dom_rec[2].dom, "c");
	/* b did not wait for a; c waited for the first to end (and started at once after) */
	ck_assert_int_lt(rec_of("b", 0) - rec_of("a", 0), 30 * MS);
	first_end = rec_of("a", 1) < rec_of("b", 1) ? rec_of("a", 1) : rec_of("b", 1);
	ck_assert_int_ge(rec_of("c", 0), first_end);
	ck_assert_int_lt(rec_of("c", 0) - first_end, 30 * MS);
	ck_assert_int_eq((int)num(c, "migration.vms"), 3);
	ck_assert_int_eq((int)num(c, "migration.vms_migrated"), 3);
	ck_assert_int_eq((int)num(c, "migration.vms_failed"), 0);
	ck_assert_int_eq((int)num(c, "migration.concurrency_max"), 2);
	ck_assert_int_eq((int)num(c, "migration.hops_completed"), 1);
	/* two rounds of a 60 ms hop at least: the whole, not the slowest VM alone */
	ck_assert_double_ge(num(c, "migration.evacuation_time_ms"), 120);
	ck_assert_double_ge(num(c, "migration.evacuation_time_ms"),
			    num(c, "migration.slowest_vm_time_ms"));
	ck_assert_ptr_nonnull(mt_cell_metric(c, "migration.slowest_vm"));
	/* each VM's own figures, apart */
	ck_assert_ptr_nonnull(mt_cell_metric(c, "vm.a.migration.fake_polls_count"));
	ck_assert_ptr_nonnull(mt_cell_metric(c, "vm.c.migration.fake_polls_count"));
	ck_assert_ptr_null(mt_cell_metric(c, "migration.fake_polls_count"));
	/* the cell's own figure is the worst VM's */
	ck_assert_double_eq(num(c, "migration.total_time_ms"),
			    fmax(fmax(num(c, "vm.a.migration.total_time_ms"),
				      num(c, "vm.b.migration.total_time_ms")),
				 num(c, "vm.c.migration.total_time_ms")));
	/* its bytes, all the VMs' together */
	ck_assert_double_eq(num(c, "migration.transferred_bytes"),
			    num(c, "vm.a.migration.transferred_bytes") +
				    num(c, "vm.b.migration.transferred_bytes") +
				    num(c, "vm.c.migration.transferred_bytes"));
	ck_assert_double_eq(num(c, "migration.transferred_bytes"), 6e6);
	mt_run_result_free(&run);
}
END_TEST

/* A VM name with dots (a Nova server named like a host) keeps its figures apart: under
 * vm.NAME. with the dots as '_', and the cell's worst and summed figures count it. */
START_TEST(dotted_names_stay_apart)
{
	char *doms[] = { "web.example.org", "b", NULL };
	struct mt_run_result run = { 0 };
	const struct mt_cell_result *c;
	char buf[64];

	ck_assert_str_eq(mt_vm_prefix("web.example.org", buf, sizeof(buf)), "vm.web_example_org.");
	ck_assert_str_eq(mt_vm_prefix("b", buf, sizeof(buf)), "vm.b.");
	ck_assert_int_eq(run_fleet(doms, 2, &run), MT_EXIT_PASS);
	c = &run.cells[0];
	ck_assert_double_eq(num(c, "migration.total_time_ms"),
			    fmax(num(c, "vm.web_example_org.migration.total_time_ms"),
				 num(c, "vm.b.migration.total_time_ms")));
	ck_assert_double_eq(num(c, "migration.transferred_bytes"),
			    num(c, "vm.web_example_org.migration.transferred_bytes") +
				    num(c, "vm.b.migration.transferred_bytes"));
	ck_assert_ptr_null(mt_cell_metric(c, "vm.web.example.org.migration.total_time_ms"));
	mt_run_result_free(&run);
}
END_TEST

/* One at a time: each starts after the one before it ended. */
START_TEST(one_at_a_time_in_order)
{
	char *doms[] = { "a", "b", "c", NULL };
	struct mt_run_result run = { 0 };

	ck_assert_int_eq(run_fleet(doms, 1, &run), MT_EXIT_PASS);
	ck_assert_int_eq((int)ndom_rec, 3);
	ck_assert_int_ge(rec_of("b", 0), rec_of("a", 1));
	ck_assert_int_ge(rec_of("c", 0), rec_of("b", 1));
	ck_assert_int_eq((int)num(&run.cells[0], "migration.concurrency_max"), 1);
	ck_assert_double_ge(num(&run.cells[0], "migration.evacuation_time_ms"), 180);
	mt_run_result_free(&run);
}
END_TEST

/* b cannot move: a and c still do, the cell is an error naming b and why. */
START_TEST(one_failure_does_not_stop_the_others)
{
	char *doms[] = { "a", "b", "c", NULL };
	struct mt_run_result run = { 0 };
	const struct mt_cell_result *c;

	drv_fail_domain = "b";
	ck_assert_int_eq(run_fleet(doms, 1, &run), MT_EXIT_INFRA);
	c = &run.cells[0];
	ck_assert_int_eq(c->verdict, MT_VERDICT_ERROR);
	ck_assert_msg(c->reason && strstr(c->reason, "b: fake: b cannot move") &&
		      strstr(c->reason, "1 of 3 VMs"), "reason: %s", c->reason ? c->reason : "");
	ck_assert_int_ge(rec_of("a", 1), 0);
	ck_assert_int_ge(rec_of("c", 1), 0);
	ck_assert_int_eq((int)num(c, "migration.vms_migrated"), 2);
	ck_assert_int_eq((int)num(c, "migration.vms_failed"), 1);
	ck_assert_int_eq((int)num(c, "migration.hops_completed"), 0);
	mt_run_result_free(&run);
}
END_TEST

/* A probe that names its VM (vm=web2) aims at that VM's address (vm_guests) and writes under
 * vm.web2.; one without vm= keeps the cell's own. */
static char seen_addr[64];

static int addr_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	(void)p;
	(void)err;
	if (ctx->guest_addr && ctx->domain && !strcmp(ctx->domain, "web2"))
		snprintf(seen_addr, sizeof(seen_addr), "%s", ctx->guest_addr);
	*state = NULL;
	return mt_cell_set_num(ctx->result, "probe.addr.started_count", 1);
}

static const struct mt_workload_ops addr_probe = {
	.base.options = fake_opts, .base.name = "addr-probe", .base.summary = "test",
	.start = addr_start,
};

START_TEST(vm_probe_aims_at_its_vm)
{
	char *doms[] = { "web", "web2", NULL };
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	struct tcell t;
	struct mt_scenario s = { .path = (char *)"fake.ini" };
	struct mt_plan plan = { .seed = 7, .ncells = 1, .total_cells = 1 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	int a, b;

	seen_addr[0] = '\0';
	mt_registry_add_probe(&addr_probe);
	tcell_init(&t, "vmprobe");
	t.cell.domains = doms;
	t.cell.ndomains = 2;
	t.cell.migrate_concurrency = 2;
	t.cell.warmup_ns = 5 * MS;
	t.cell.cooldown_ns = 5 * MS;
	t.cell.migrate_count = 1;
	t.cell.migrate_timeout_ns = 5000 * MS;
	ck_assert_int_eq(mt_params_set(&t.cell.core, mt_scenario_options(), "vm_guests",
				       "web=198.18.0.20 web2=198.18.0.21", 0, &err), 0);
	a = tspec(&t, MT_SPEC_PROBE, "addr-probe", &addr_probe, "A");
	b = tspec(&t, MT_SPEC_PROBE, "addr-probe", &addr_probe, "B");
	t.specs[b].vm = (char *)"web2";
	tev(&t, MT_ANCHOR_START, 0, MT_TL_PROBE_START, a, -1);
	tev(&t, MT_ANCHOR_START, 0, MT_TL_PROBE_START, b, -1);
	tev(&t, MT_ANCHOR_START, 5, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_MIGRATED, 5, MT_TL_CELL_END, -1, -1);
	plan.cells = &t.cell;
	ck_assert_int_eq(mt_run_plan(&s, &plan, &o, &run, &err), MT_EXIT_PASS);
	ck_assert_str_eq(seen_addr, "198.18.0.21");
	ck_assert_ptr_nonnull(mt_cell_metric(&run.cells[0], "probe.addr.started_count"));
	ck_assert_ptr_nonnull(mt_cell_metric(&run.cells[0], "vm.web2.probe.addr.started_count"));
	ck_assert_ptr_null(mt_cell_metric(&run.cells[0], "vm.web.probe.addr.started_count"));
	mt_params_free(&t.cell.core);
	tcell_free(&t);
	mt_run_result_free(&run);
}
END_TEST

/* The recorded event whose detail (its spec's text) is text, or NULL. */
static const struct mt_event_rec *rec_of_spec(const struct mt_cell_result *c, const char *text)
{
	for (size_t i = 0; i < c->nevents; i++)
		if (c->events[i].detail && strcmp(c->events[i].detail, text) == 0)
			return &c->events[i];
	return NULL;
}

/* Anchors per VM, one at a time (web, then web2; each hop 60 ms, its switch-over half-way):
 * a fault without vm= follows the first VM named, one with vm=web2 web2's own start,
 * switch-over and end, which come only after web's hop ended. */
START_TEST(anchors_follow_their_vm)
{
	char *doms[] = { "web", "web2", NULL };
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	struct tcell t;
	struct mt_scenario s = { .path = (char *)"fake.ini" };
	struct mt_plan plan = { .seed = 7, .ncells = 1, .total_cells = 1 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1,
				   .allow_host_faults = 1 };
	const struct mt_event_rec *sw, *sw2, *st1, *st2, *dn1, *dn2;
	const struct mt_cell_result *c;
	const char *texts[] = { "sw", "sw web2", "start web2", "done web", "done web2",
				"start web" };
	int k[6];

	tcell_init(&t, "vmanchors");
	t.cell.domains = doms;
	t.cell.ndomains = 2;
	t.cell.migrate_concurrency = 1;
	t.cell.warmup_ns = 5 * MS;
	t.cell.cooldown_ns = 5 * MS;
	t.cell.migrate_count = 1;
	t.cell.migrate_timeout_ns = 5000 * MS;
	for (int i = 0; i < 6; i++)
		k[i] = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, texts[i]);
	t.specs[k[1]].vm = (char *)"web2";
	t.specs[k[2]].vm = (char *)"web2";
	t.specs[k[3]].vm = (char *)"web";
	t.specs[k[4]].vm = (char *)"web2";
	t.specs[k[5]].vm = (char *)"web";
	tev(&t, MT_ANCHOR_START, 5, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[0], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_SWITCHOVER;
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[1], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_SWITCHOVER;
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[2], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_START;
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[3], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_DONE;
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[4], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_DONE;
	tev(&t, MT_ANCHOR_PHASE, 0, MT_TL_FAULT_ON, k[5], 0);
	t.evs[t.cell.nevents - 1].phase = MT_PHASE_START;
	tev(&t, MT_ANCHOR_MIGRATED, 20, MT_TL_CELL_END, -1, -1);
	plan.cells = &t.cell;
	ck_assert_int_eq(mt_run_plan(&s, &plan, &o, &run, &err), MT_EXIT_PASS);
	c = &run.cells[0];
	for (size_t i = 0; i < c->nevents; i++)
		if (c->events[i].anchor)
			printf("  %s [%s]: anchor %s at %.1f ms, ran %.1f ms\n", c->events[i].what,
			       c->events[i].detail, c->events[i].anchor,
			       (double)c->events[i].anchor_ns / 1e6,
			       (double)c->events[i].actual_ns / 1e6);
	sw = rec_of_spec(c, "sw");
	sw2 = rec_of_spec(c, "sw web2");
	st2 = rec_of_spec(c, "start web2");
	dn1 = rec_of_spec(c, "done web");
	dn2 = rec_of_spec(c, "done web2");
	st1 = rec_of_spec(c, "start web");
	ck_assert(sw && sw2 && st1 && st2 && dn1 && dn2);
	ck_assert(sw->actual_ns >= 0 && sw2->actual_ns >= 0 && st2->actual_ns >= 0 &&
		  dn1->actual_ns >= 0 && dn2->actual_ns >= 0);
	ck_assert_int_eq((int)num(c, "anchor.missed"), 0);
	ck_assert_str_eq(sw2->anchor, "hop0.switchover (web2)");
	ck_assert_str_eq(sw->anchor, "hop0.switchover");
	/* web's switch-over, inside web's hop; web2's start only when web's hop had ended */
	ck_assert_int_lt(sw->anchor_ns, dn1->anchor_ns);
	ck_assert_int_ge(st2->anchor_ns, dn1->anchor_ns);
	/* web2's switch-over, half-way through its own hop: after its start, before its end */
	ck_assert_int_ge(sw2->anchor_ns - st2->anchor_ns, 25 * MS);
	ck_assert_int_lt(sw2->anchor_ns, dn2->anchor_ns);
	ck_assert_int_ge(dn2->anchor_ns - st2->anchor_ns, 55 * MS);
	/* against the fake driver's own record of when each hop really started */
	printf("  web2 started %.2f ms after web (driver), %.2f ms (anchors)\n",
	       (double)(rec_of("web2", 0) - rec_of("web", 0)) / 1e6,
	       (double)(st2->anchor_ns - st1->anchor_ns) / 1e6);
	ck_assert_int_lt(llabs((rec_of("web2", 0) - rec_of("web", 0)) -
			       (st2->anchor_ns - st1->anchor_ns)), 2 * MS);
	tcell_free(&t);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(domain_list_split_and_checked)
{
	char **v = NULL;
	char bad[4096] = "[global]\ndriver = fake-drv\ndomain = web web2 web\n";
	struct mt_scenario *s = NULL;
	struct mt_plan *plan = NULL;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_domains_split("  web\tweb2  web3 ", &v), 3);
	ck_assert_str_eq(v[0], "web");
	ck_assert_str_eq(v[2], "web3");
	ck_assert_ptr_null(v[3]);
	mt_domains_free(v);
	ck_assert_int_eq(mt_domains_split("   ", &v), 0);
	mt_domains_free(v);
	/* named twice: the file and line of the key */
	if (mt_scenario_load_buffer(bad, strlen(bad), "b.ini", &s, &err) == 0) {
		struct mt_plan_opts po = { .seed = 1 };

		ck_assert_int_eq(mt_plan_build(s, &po, &plan, &err), MT_EINVAL);
	}
	ck_assert_msg(strstr(err.msg, "b.ini:3: key 'domain': 'web' is named twice"), "%s",
		      err.msg);
	mt_plan_free(plan);
	mt_scenario_free(s);
	s = NULL;
	plan = NULL;
	snprintf(bad, sizeof(bad), "[global]\ndriver = fake-drv\ndomain = web web2\n"
		 "vm_guests = web2=198.18.0.300\n");
	ck_assert_int_eq(mt_scenario_load_buffer(bad, strlen(bad), "g.ini", &s, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "g.ini:4: key 'vm_guests': expected NAME=ADDRESS pairs"),
		      "%s", err.msg);
	mt_scenario_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("fleet");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, two_at_a_time_the_third_waits);
	tcase_add_test(tc, one_at_a_time_in_order);
	tcase_add_test(tc, one_failure_does_not_stop_the_others);
	tcase_add_test(tc, domain_list_split_and_checked);
	tcase_add_test(tc, vm_probe_aims_at_its_vm);
	tcase_add_test(tc, anchors_follow_their_vm);
	tcase_add_test(tc, dotted_names_stay_apart);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
