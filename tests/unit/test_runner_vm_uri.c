/* test_runner_vm_uri.c — ctx->vm_uri (plugin.h) follows the VM: the source at start, the
 * destination after hop 0, the source again after hop 1 (ping-pong). Guest workloads use it to
 * reach the guest agent of the host the VM runs on. */
#include <check.h>

#include "fakes.h"
#include "test_util.h"

static char tmpdir[256], outdir[300], jpath[300];
static char seen_start[64], seen_stop[64], seen_direction[64];

static int uri_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err)
{
	(void)p;
	(void)err;
	snprintf(seen_start, sizeof(seen_start), "%s", ctx->vm_uri ? ctx->vm_uri : "(null)");
	*state = NULL;
	return 0;
}

static int uri_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	(void)state;
	(void)err;
	snprintf(seen_stop, sizeof(seen_stop), "%s", ctx->vm_uri ? ctx->vm_uri : "(null)");
	return 0;
}

static const struct mt_workload_ops uri_wl = {
	.base.options = fake_opts, .base.name = "uri-wl", .base.summary = "test", .start = uri_start,
	.stop = uri_stop,
};

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "stress-uri");
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	snprintf(jpath, sizeof(jpath), "%s/journal", tmpdir);
	register_fakes();
	mt_registry_add_workload(&uri_wl);
	seen_start[0] = seen_stop[0] = seen_direction[0] = '\0';
	fake_vm_at = NULL;
}

static void teardown(void)
{
	tu_rm_rf(tmpdir);
	mt_registry_reset_extra();
}

static char seen_hop0[128];

static void run_hops(int hops)
{
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct tcell t;
	struct mt_scenario s = { .path = (char *)"fake.ini" };
	struct mt_plan plan = { .seed = 7, .ncells = 1, .total_cells = 1 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1 };
	const struct mt_event_rec *e;
	int w;

	tcell_init(&t, "uri");
	t.cell.warmup_ns = 5 * MS;
	t.cell.cooldown_ns = 5 * MS;
	t.cell.migrate_count = hops;
	t.cell.migrate_interval_ns = 5 * MS;
	t.cell.migrate_timeout_ns = 5000 * MS;
	w = tspec(&t, MT_SPEC_STRESS, "uri-wl", &uri_wl, "U");
	tev(&t, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
	tev(&t, MT_ANCHOR_START, 5, MT_TL_MIGRATE_START, -1, 0);
	if (hops > 1)
		tev(&t, MT_ANCHOR_HOP_DONE, 5, MT_TL_MIGRATE_START, -1, 1);
	tev(&t, MT_ANCHOR_MIGRATED, 5, MT_TL_WORKLOAD_STOP, w, -1);
	tev(&t, MT_ANCHOR_MIGRATED, 5, MT_TL_CELL_END, -1, -1);
	plan.cells = &t.cell;
	ck_assert_msg(mt_run_plan(&s, &plan, &o, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	snprintf(seen_direction, sizeof(seen_direction), "%s",
		 mt_cell_metric(&run.cells[0], "migration.direction") ?
			 mt_cell_metric(&run.cells[0], "migration.direction")->str : "(none)");
	e = rec_find(&run.cells[0], "migrate.start hop 0");
	snprintf(seen_hop0, sizeof(seen_hop0), "%s", e && e->detail ? e->detail : "(none)");
	printf("migrate.start hop 0: %s\n", seen_hop0);
	mt_run_result_free(&run);
	tcell_free(&t);
}

/* host=source / host=dest follow the hops: a fault anchored on hop 1 names hop 1's hosts, and
 * a cell that starts with the VM on its destination turns every role around. [host:] sections
 * of kind local stand for the two hypervisors (the lab's are not up in a unit test). */
static void run_roles(const char *expect[3])
{
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_host hosts[2] = { { .name = (char *)"ha", .kind = MT_HOST_LOCAL },
				    { .name = (char *)"hb", .kind = MT_HOST_LOCAL } };
	struct tcell t;
	struct mt_scenario s = { .path = (char *)"fake.ini", .hosts = hosts, .nhosts = 2 };
	struct mt_plan plan = { .seed = 7, .ncells = 1, .total_cells = 1 };
	struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1,
				 .allow_host_faults = 1 };
	const char *tags[3] = { "S", "D", "D1" }, *roles[3] = { "source", "dest", "dest" };

	tcell_init(&t, "roles");
	t.cell.source = (char *)"ha";
	t.cell.dest = (char *)"hb";
	t.cell.warmup_ns = 5 * MS;
	t.cell.cooldown_ns = 5 * MS;
	t.cell.migrate_count = 2;
	t.cell.migrate_interval_ns = 5 * MS;
	t.cell.migrate_timeout_ns = 5000 * MS;
	for (int i = 0; i < 3; i++) {
		int f = tspec(&t, MT_SPEC_FAULT, "fake-fault", &fake_fault, tags[i]);

		t.specs[f].host = (char *)roles[i];
		if (i == 2) { /* at=hop1.start: hop 1 runs back, its destination is the source */
			t.specs[f].at_phase.set = 1;
			t.specs[f].at_phase.hop = 1;
		}
		tev(&t, MT_ANCHOR_START, 0, MT_TL_FAULT_ON, f, -1);
	}
	tev(&t, MT_ANCHOR_START, 5, MT_TL_MIGRATE_START, -1, 0);
	tev(&t, MT_ANCHOR_HOP_DONE, 5, MT_TL_MIGRATE_START, -1, 1);
	tev(&t, MT_ANCHOR_MIGRATED, 5, MT_TL_CELL_END, -1, -1);
	plan.cells = &t.cell;
	ck_assert_msg(mt_run_plan(&s, &plan, &o, &run, &err) == MT_EXIT_PASS, "%s", err.msg);
	ck_assert_msg(run.cells[0].verdict == MT_VERDICT_PASS, "%s",
		      run.cells[0].reason ? run.cells[0].reason : "");
	for (int i = 0; i < 3; i++) {
		char want[64];

		size_t k = 0;

		snprintf(want, sizeof(want), "%s@%s", tags[i], expect[i]);
		while (k < nonhost && strcmp(onhost[k], want) != 0)
			k++;
		ck_assert_msg(k < nonhost, "%s not applied on %s", tags[i], expect[i]);
	}
	mt_run_result_free(&run);
	tcell_free(&t);
}

START_TEST(roles_follow_the_hops)
{
	run_roles((const char *[3]){ "ha", "hb", "ha" });
}
END_TEST

START_TEST(roles_turn_with_the_cell)
{
	fake_vm_at = "hb";
	run_roles((const char *[3]){ "hb", "ha", "hb" });
}
END_TEST

START_TEST(one_hop)
{
	run_hops(1);
	ck_assert_str_eq(seen_start, "hosta");
	ck_assert_str_eq(seen_stop, "hostb");
}
END_TEST

START_TEST(two_hops)
{
	run_hops(2);
	ck_assert_str_eq(seen_start, "hosta");
	ck_assert_str_eq(seen_stop, "hosta");
}
END_TEST

/* A one-hop cell before it left the VM on the destination: this cell migrates it back, and the
 * guest workloads must talk to where it is (the destination) from the start. */
START_TEST(starts_where_the_vm_is)
{
	fake_vm_at = "hostb";
	run_hops(1);
	ck_assert_str_eq(seen_direction, "dest->source");
	ck_assert_str_eq(seen_start, "hostb");
	ck_assert_str_eq(seen_stop, "hosta");
	/* the hop's record says where it went, not the plan's direction */
	ck_assert_str_eq(seen_hop0, "hop 0: hostb -> hosta");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runner_vm_uri");
	TCase *tc = tcase_create("vm_uri");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_hop);
	tcase_add_test(tc, two_hops);
	tcase_add_test(tc, starts_where_the_vm_is);
	tcase_add_test(tc, roles_follow_the_hops);
	tcase_add_test(tc, roles_turn_with_the_cell);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
