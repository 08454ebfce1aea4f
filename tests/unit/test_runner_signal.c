/* test_runner_signal.c — SIGTERM/SIGINT during a long cell: the fault is undone, partial
 * results.json is written with interrupted = 1, and the run returns 143/130. The runner runs
 * in a forked child so the signal hits a real process. */
#include <check.h>
#include <signal.h>
#include <sys/wait.h>

#include "fakes.h"
#include "migtorture/journal.h"
#include "test_util.h"

static char tmpdir[256], outdir[300], jpath[300];

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "run-sig");
	snprintf(outdir, sizeof(outdir), "%s/out", tmpdir);
	snprintf(jpath, sizeof(jpath), "%s/journal", tmpdir);
	snprintf(undo_file, sizeof(undo_file), "%s/undo.log", tmpdir);
	register_fakes();
}

static void teardown(void)
{
	tu_rm_rf(tmpdir);
	mt_registry_reset_extra();
}

/* Runs [quick cell, long cell with a fault on] in a child; signals it once the long cell's
 * fault is applied; returns the child's exit status. */
static int run_and_signal(int sig)
{
	struct tcell quick, slow;
	int p[2], status;
	pid_t pid;
	char b;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mt_scenario s = { .path = (char *)"fake.ini" };
		struct mt_cell cells[2];
		struct mt_plan plan = { .seed = 1, .cells = cells, .ncells = 2, .total_cells = 2 };
		struct mt_run_opts o = { .outdir = outdir, .journal_path = jpath, .verbose = -1,
					 .allow_host_faults = 1 }; /* fakes touch nothing */
		struct mt_run_result run = { 0 };
		struct mt_error err = { 0 };
		int a, w, rc;

		close(p[0]);
		tcell_init(&quick, "quick");
		w = tspec(&quick, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "Q");
		tev(&quick, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
		tev(&quick, MT_ANCHOR_START, 5, MT_TL_CELL_END, -1, -1);
		tcell_init(&slow, "slow");
		a = tspec(&slow, MT_SPEC_FAULT, "fake-fault", &fake_fault, "long");
		w = tspec(&slow, MT_SPEC_WORKLOAD, "fake-wl", &fake_wl, "S");
		tev(&slow, MT_ANCHOR_START, 0, MT_TL_WORKLOAD_START, w, -1);
		tev(&slow, MT_ANCHOR_START, 10, MT_TL_FAULT_ON, a, -1);
		tev(&slow, MT_ANCHOR_START, 60000, MT_TL_CELL_END, -1, -1);
		cells[0] = quick.cell;
		cells[1] = slow.cell;
		applied_fd = p[1];
		rc = mt_run_plan(&s, &plan, &o, &run, &err);
		mt_run_result_free(&run);
		tcell_free(&quick);
		tcell_free(&slow);
		_exit(rc);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &b, 1), 1); /* the fault is on */
	close(p[0]);
	ck_assert_int_eq(kill(pid, sig), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static const char *kname_fault_on(void)
{
	static char b[64];

	snprintf(b, sizeof(b), "%s fake-fault", mt_tl_kind_name(MT_TL_FAULT_ON));
	return b;
}

static void check_aftermath(const char *signame)
{
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	char path[400];
	size_t n;

	ck_assert_str_eq(tu_slurp(undo_file), "undo:long\n");
	snprintf(path, sizeof(path), "%s/results.json", outdir);
	ck_assert_msg(mt_result_read_file(path, &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(run.interrupted, 1);
	ck_assert_uint_eq(run.ncells, 2);
	ck_assert_int_eq(run.cells[0].verdict, MT_VERDICT_PASS);
	ck_assert_int_eq(run.cells[1].verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(run.cells[1].reason, signame));
	ck_assert_int_eq(run.exit_status, strcmp(signame, "SIGTERM") == 0 ? 143 : 130);
	ck_assert_ptr_nonnull(rec_find(&run.cells[1], kname_fault_on()));
	mt_run_result_free(&run);
	/* Nothing left open; the journal lock went with the process. */
	ck_assert_int_eq(mt_journal_open(jpath, &j, &err), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	mt_journal_close(j);
}

START_TEST(sigterm_undoes_and_writes_partial_results)
{
	ck_assert_int_eq(run_and_signal(SIGTERM), 143);
	check_aftermath("SIGTERM");
}
END_TEST

START_TEST(sigint_exits_130)
{
	ck_assert_int_eq(run_and_signal(SIGINT), 130);
	check_aftermath("SIGINT");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runner_signal");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, sigterm_undoes_and_writes_partial_results);
	tcase_add_test(tc, sigint_exits_130);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
