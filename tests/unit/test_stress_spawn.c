/* test_stress_spawn.c — stress-ng as a journalled process group: start/stop through the
 * host-cpu workload leaves nothing behind and yields metrics; a runner killed with SIGKILL
 * leaves nothing either (PR_SET_PDEATHSIG), and without the backstop `recover` kills the group
 * from the journal. Prints spawn and kill times (measured, not asserted). Needs stress-ng: exits
 * 77 without it. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "migtorture/journal.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "workloads/proc_spawn.h"
#include "test_util.h"

static char tmpdir[256], jfile[300];
static struct mt_host local = { .name = "local", .kind = MT_HOST_LOCAL };

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "stress");
	snprintf(jfile, sizeof(jfile), "%s/journal", tmpdir);
	setenv("TMPDIR", tmpdir, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans come back to us: reaped, not zombies */
}

/* Everything under tmpdir goes (a killed runner leaves stress-ng's report dir behind). */
static void teardown(void)
{
	tu_rm_rf(tmpdir);
}

/* Waits up to ms for group pgid to be gone; returns how long it took (ms) or -1. */
static double wait_gone(int pgid, int ms)
{
	int64_t t = mono();

	for (int i = 0; i <= ms / 10; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!mt_spawn_group_alive(pgid))
			return (mono() - t) / 1e6;
		usleep(10000);
	}
	return -1;
}

/* mt-stress-ng-* directories in tmpdir (TMPDIR of the workloads under test). */
static size_t stress_dirs(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "mt-stress-ng-", 13) == 0;
	closedir(d);
	return n;
}

static size_t open_entries(void)
{
	struct mt_error err = { 0 };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	size_t n = 99;

	ck_assert_msg(mt_journal_open(jfile, &j, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	mt_journal_close(j);
	return n;
}

START_TEST(host_cpu_start_stop_collect)
{
	const struct mt_workload_ops *w = mt_find_workload("host-cpu");
	struct mt_run_result run = { 0 };
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_phases ph = { -1, -1, -1 };
	struct mt_ctx ctx = { 0 };
	struct mt_journal *j;
	const struct mt_metric *m;
	void *st = NULL;
	int64_t t;
	int pid;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(mt_params_parse(w->base.options, "workers=2 load=20%", 1, &p, &err), 0);
	ck_assert_int_eq(mt_journal_open(jfile, &j, &err), 0);
	ctx.journal = j;
	ctx.host = &local;
	ctx.result = mt_run_add_cell(&run, "c");
	ctx.t0_ns = mono();
	ctx.phases = &ph;
	ck_assert_int_eq(w->base.supported(&p, &ctx, (char[128]){ 0 }, 128), 0);
	ck_assert_msg(w->start(&p, &ctx, &st, &err) == 0, "%s", err.msg);
	{
		const struct mt_journal_entry *e;
		size_t n = 0;

		/* newest first: the process group, then its temp dir (journalled before exec) */
		ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
		ck_assert_uint_eq(n, 2);
		ck_assert_str_eq(e[0].kind, "process");
		ck_assert_str_eq(e[1].kind, "tmpdir");
		ck_assert_int_eq(sscanf(strstr(e[0].undo_json, "\"pid\":") + 6, "%d", &pid), 1);
	}
	ck_assert_int_eq(getpgid(pid), pid);
	usleep(1500000);
	ck_assert(mt_spawn_group_alive(pid));
	t = mono();
	ck_assert_msg(w->stop(st, &ctx, &err) == 0, "%s", err.msg);
	printf("host-cpu: stop (SIGINT, report written, group gone) took %.1f ms\n",
	       (mono() - t) / 1e6);
	ck_assert(!mt_spawn_group_alive(pid));
	{
		const struct mt_journal_entry *e;
		size_t n = 9;

		/* stopped: the group's entry closed; the temp dir stays until release */
		ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(e[0].kind, "tmpdir");
	}
	ck_assert_msg(w->collect(st, &ctx, &err) == 0, "%s", err.msg);
	m = mt_cell_metric(ctx.result, "stress.host.cpu.bogo_ops");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MT_METRIC_NUM);
	ck_assert(m->num > 0);
	m = mt_cell_metric(ctx.result, "stress.host.cpu.bogo_ops_s_real");
	ck_assert_ptr_nonnull(m);
	/* no migration: all baseline; the group's CPU time over it (2 workers at 20 %) */
	ck_assert_int_eq(mt_cell_metric(ctx.result, "stress.host.cpu.baseline.cpu_cores")->kind,
			 MT_METRIC_NUM);
	printf("host-cpu workers=2 load=20%%: baseline %.2f cores\n",
	       mt_cell_metric(ctx.result, "stress.host.cpu.baseline.cpu_cores")->num);
	ck_assert(mt_cell_metric(ctx.result, "stress.host.cpu.baseline.cpu_cores")->num > 0);
	ck_assert(mt_cell_metric(ctx.result, "stress.host.cpu.baseline.cpu_cores")->num <= 2.5);
	ck_assert_int_eq(mt_cell_metric(ctx.result, "stress.host.cpu.during.cpu_cores")->kind,
			 MT_METRIC_ABSENT);
	printf("host-cpu workers=2 load=20%%: bogo_ops %.0f, %.1f/s real, cpu/instance %.1f %%, "
	       "spawn %.2f ms\n",
	       mt_cell_metric(ctx.result, "stress.host.cpu.bogo_ops")->num, m->num,
	       mt_cell_metric(ctx.result, "stress.host.cpu.cpu_usage_per_instance_pct")->num,
	       mt_cell_metric(ctx.result, "stress.host.cpu.spawn_ms")->num);
	w->release(st);
	{
		const struct mt_journal_entry *e;
		size_t n = 9;

		ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(stress_dirs(), 0);
	}
	mt_params_free(&p);
	mt_journal_close(j);
	mt_run_result_free(&run);
}
END_TEST

/* Starts kind with params, runs ~1 s, stops; returns stop's rc, the cell in *run. */
static int run_kind(const char *kind, const char *params, struct mt_run_result *run,
		    struct mt_error *err)
{
	const struct mt_workload_ops *w = mt_find_workload(kind);
	struct mt_params p = { 0 };
	struct mt_phases ph = { -1, -1, -1 };
	struct mt_ctx ctx = { 0 };
	struct mt_journal *j;
	void *st = NULL;
	int rc;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(mt_params_parse(w->base.options, params, 1, &p, err), 0);
	ck_assert_int_eq(mt_journal_open(jfile, &j, err), 0);
	ctx.journal = j;
	ctx.host = &local;
	ctx.result = mt_run_add_cell(run, kind);
	ctx.t0_ns = mono();
	ctx.phases = &ph;
	ck_assert_msg(w->start(&p, &ctx, &st, err) == 0, "%s", err->msg);
	usleep(1200000);
	rc = w->stop(st, &ctx, err);
	if (rc == 0)
		ck_assert_msg(w->collect(st, &ctx, err) == 0, "%s", err->msg);
	w->release(st);
	mt_params_free(&p);
	mt_journal_close(j);
	return rc;
}

START_TEST(host_vm_and_memrate)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	const struct mt_metric *m;

	ck_assert_msg(run_kind("host-vm", "bytes=8M method=write64", &run, &err) == 0, "%s",
		      err.msg);
	m = mt_cell_metric(&run.cells[0], "stress.host.vm.bogo_ops");
	ck_assert(m && m->kind == MT_METRIC_NUM && m->num > 0);
	ck_assert_msg(run_kind("host-memrate", "rate=16M/s bytes=4M", &run, &err) == 0, "%s",
		      err.msg);
	m = mt_cell_metric(&run.cells[1], "stress.host.memrate.achieved_ratio");
	ck_assert(m && m->kind == MT_METRIC_NUM);
	printf("host-memrate rate=16M/s: achieved %.2f MiB/s (ratio %.3f)\n",
	       mt_cell_metric(&run.cells[1], "stress.host.memrate.achieved_write_bytes_s")->num /
		       1048576, m->num);
	ck_assert(m->num > 0.5 && m->num < 1.5);
	ck_assert_uint_eq(open_entries(), 0);
	mt_run_result_free(&run);
}
END_TEST

/* stress-ng refusing its arguments ends before stop: stop says so, with stress-ng's words. */
START_TEST(early_exit_is_an_error)
{
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };

	ck_assert_int_eq(run_kind("host-vm", "bytes=8M method=no-such-method", &run, &err),
			 MT_EINFRA);
	ck_assert_msg(strstr(err.msg, "ended before stop") != NULL, "%s", err.msg);
	printf("bad vm method: %s\n", err.msg);
	ck_assert_uint_eq(open_entries(), 0);
	mt_run_result_free(&run);
}
END_TEST

/* The "runner": starts stress-ng (through host-cpu, or bare without PDEATHSIG), reports the
 * leader's pid on fd, then waits to be killed. */
static void runner_child(int fd, int no_pdeathsig)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	int pid = 0;

	if (mt_journal_open(jfile, &j, &err) < 0)
		_exit(1);
	if (no_pdeathsig) {
		/* -t 60: without the backstop, a test that dies early must not leave it forever */
		const char *argv[] = { "stress-ng", "--cpu", "2", "--cpu-load", "10", "-t", "60",
				       NULL };
		struct mt_spawned sp;

		if (mt_spawn_group(argv, -1, j, &local, "stress-ng", MT_SPAWN_NO_PDEATHSIG, &sp,
				   &err) < 0)
			_exit(2);
		pid = sp.pid;
	} else {
		const struct mt_workload_ops *w = mt_find_workload("host-cpu");
		struct mt_params p = { 0 };
		struct mt_ctx ctx = { .journal = j, .host = &local, .t0_ns = mono() };
		struct mt_run_result run = { 0 };
		const struct mt_journal_entry *e;
		size_t n = 0;
		void *st;

		ctx.result = mt_run_add_cell(&run, "c");
		if (mt_params_parse(w->base.options, "workers=2 load=10%", 1, &p, &err) < 0 ||
		    w->start(&p, &ctx, &st, &err) < 0 ||
		    mt_journal_open_entries(j, &e, &n, &err) < 0 || n != 2)
			_exit(3);
		sscanf(strstr(e[0].undo_json, "\"pid\":") + 6, "%d", &pid);
	}
	(void)!write(fd, &pid, sizeof(pid));
	for (;;)
		pause();
}

static int start_runner(int no_pdeathsig, pid_t *runner)
{
	int fds[2], pid = 0;

	ck_assert_int_eq(pipe(fds), 0);
	*runner = fork();
	ck_assert_int_ge(*runner, 0);
	if (*runner == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a timed-out test */
		runner_child(fds[1], no_pdeathsig);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &pid, sizeof(pid)), (ssize_t)sizeof(pid));
	close(fds[0]);
	ck_assert_int_gt(pid, 1);
	usleep(500000); /* let stress-ng fork its workers */
	ck_assert(mt_spawn_group_alive(pid));
	return pid;
}

START_TEST(runner_sigkill_pdeathsig)
{
	pid_t runner;
	int pid = start_runner(0, &runner);
	double ms;

	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	ms = wait_gone(pid, 5000);
	ck_assert_msg(ms >= 0, "stress-ng group %d outlived its SIGKILLed runner", pid);
	printf("runner SIGKILLed: stress-ng group gone after %.1f ms (PDEATHSIG)\n", ms);
	/* The entries stay open (nobody closed them); recover finds the group gone (success)
	 * and removes the temp dir the killed runner could not. */
	ck_assert_uint_eq(open_entries(), 2);
	ck_assert_uint_eq(stress_dirs(), 1);
	ck_assert_int_eq(mt_recover(jfile, NULL, &(struct mt_error){ 0 }), 0);
	ck_assert_uint_eq(open_entries(), 0);
	ck_assert_uint_eq(stress_dirs(), 0);
}
END_TEST

START_TEST(runner_sigkill_recover)
{
	struct mt_error err = { 0 };
	pid_t runner;
	int pid = start_runner(1, &runner);
	int64_t t;
	double ms;

	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	usleep(300000);
	/* Without the backstop the group survives its runner: only the journal can end it. */
	ck_assert(mt_spawn_group_alive(pid));
	ck_assert_uint_eq(open_entries(), 1);
	t = mono();
	ck_assert_msg(mt_recover(jfile, stdout, &err) == 0, "%s", err.msg);
	ms = wait_gone(pid, 3000);
	ck_assert_msg(ms >= 0, "recover left stress-ng group %d running", pid);
	printf("recover killed the stress-ng group in %.1f ms\n", (mono() - t) / 1e6);
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

/* The runner's exit on SIGTERM (migtorture run, the real CLI) stops stress-ng with its group
 * and closes the journal entry. */
START_TEST(runner_sigterm_stops_group)
{
	char ini[320], out[320], line[1024];
	/* source/dest that are not lab: references, so no lab is needed (no hop runs) */
	const char *text = "[global]\nwarmup = 60s\ncooldown = 1s\nmigrate.count = 0\n"
			   "source = test:///default\ndest = test:///default\n"
			   "[cpu]\nstress = host-cpu workers=1 load=5%\n";
	char *argv[] = { (char *)MT_BINARY, "run", ini, "-o", out, "--journal", jfile, NULL };
	int pid = 0, st = 0;
	pid_t runner;
	FILE *f;

	snprintf(ini, sizeof(ini), "%s/s.ini", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	f = fopen(ini, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	runner = fork();
	ck_assert_int_ge(runner, 0);
	if (runner == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(nul, 1);
		dup2(nul, 2);
		execv(MT_BINARY, argv);
		_exit(127);
	}
	/* wait for the journal's process record */
	for (int i = 0; i < 500 && !pid; i++) {
		usleep(10000);
		f = fopen(jfile, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "\"kind\":\"process\"") && strstr(line, "\"pid\":"))
				sscanf(strstr(line, "\"pid\":") + 6, "%d", &pid);
		if (f)
			fclose(f);
	}
	ck_assert_msg(pid > 1, "no stress-ng in the journal");
	usleep(300000);
	ck_assert(mt_spawn_group_alive(pid));
	kill(runner, SIGTERM);
	ck_assert_int_eq(waitpid(runner, &st, 0), runner);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 143, "runner status %d", st);
	ck_assert(!mt_spawn_group_alive(pid));
	ck_assert_uint_eq(open_entries(), 0);
	tu_rm_rf(out);
	unlink(ini);
}
END_TEST

/* A missing program is a clear error and leaves no journal entry open. */
START_TEST(missing_program)
{
	const char *argv[] = { "mt-no-such-program-xyz", NULL };
	struct mt_error err = { 0 };
	struct mt_spawned sp;
	struct mt_journal *j;

	ck_assert_int_eq(mt_journal_open(jfile, &j, &err), 0);
	ck_assert_int_eq(mt_spawn_group(argv, -1, j, &local, "x", 0, &sp, &err), MT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "mt-no-such-program-xyz"));
	mt_journal_close(j);
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

/* exec failing after the journal entry was written closes it again. */
START_TEST(exec_failure_closes_entry)
{
	char prog[320];
	const char *argv[] = { prog, NULL };
	struct mt_error err = { 0 };
	struct mt_spawned sp;
	struct mt_journal *j;
	FILE *f;

	/* executable bits but no known format: execve fails with ENOEXEC after journalling */
	snprintf(prog, sizeof(prog), "%s/notaprogram", tmpdir);
	f = fopen(prog, "w");
	ck_assert_ptr_nonnull(f);
	fputs("\x01\x02 not an executable\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(prog, 0755), 0);
	ck_assert_int_eq(mt_journal_open(jfile, &j, &err), 0);
	ck_assert_int_eq(mt_spawn_group(argv, -1, j, &local, "x", 0, &sp, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "exec"));
	ck_assert_int_eq(sp.pid, 0);
	mt_journal_close(j);
	unlink(prog);
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

int main(void)
{
	char path[4096];
	Suite *s = suite_create("stress_spawn");
	TCase *tc = tcase_create("spawn");
	SRunner *sr;
	int nf;

	if (mt_spawn_which("stress-ng", path, sizeof(path)) < 0) {
		printf("SKIP: stress-ng not installed (Debian package stress-ng)\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, host_cpu_start_stop_collect);
	tcase_add_test(tc, runner_sigkill_pdeathsig);
	tcase_add_test(tc, runner_sigkill_recover);
	tcase_add_test(tc, runner_sigterm_stops_group);
	tcase_add_test(tc, host_vm_and_memrate);
	tcase_add_test(tc, early_exit_is_an_error);
	tcase_add_test(tc, missing_program);
	tcase_add_test(tc, exec_failure_closes_entry);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
