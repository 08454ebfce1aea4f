/* test_process_fault.c — process-pause and process-kill (faults/process.c) on real children.
 *
 * Each test spawns its own target in a process group of its own (`sleep 60`, or a shell
 * whose argv looks like a QEMU of a test domain, or a copy of sleep called virtqemud), names it
 * by a pid file or a role, and reads /proc to see what the plugin did: paused ('T') and
 * resumed, killed with the chosen signal, resumed by the journal's recover after the "runner"
 * dropped it, and never signalled when the journalled start time is not the process's.
 * Targets the plugin must refuse (pid 1, this process, its own group, a kernel thread) leave
 * no journal entry. role=libvirtd runs (as root) in a network namespace of the test's own, so
 * the daemons of other namespaces (the lab's) are not found; so do the other daemon roles
 * (bash started through a link named like the daemon) and service-restart, whose lab start
 * recipe runs a stand-in mt-lab that records the argv it was given.
 */
#include <check.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults/process_target.h"
#include "procstat.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "test_util.h"

extern char **environ;

static char tmpdir[64], journal_path[128], pidfile[128];
static struct mt_journal *jr;
static struct mt_run_result run;
static struct mt_ctx ctx;
static const struct mt_host local = { .name = "local", .kind = MT_HOST_LOCAL };
static int child;

static void setup(void)
{
	struct mt_error err = { 0 };

	tu_tmpdir(tmpdir, sizeof(tmpdir), "procfault");
	snprintf(journal_path, sizeof(journal_path), "%s/journal", tmpdir);
	snprintf(pidfile, sizeof(pidfile), "%s/target.pid", tmpdir);
	ck_assert_msg(mt_journal_open(journal_path, &jr, &err) == 0, "%s", err.msg);
	memset(&run, 0, sizeof(run));
	memset(&ctx, 0, sizeof(ctx));
	ctx.journal = jr;
	ctx.host = &local;
	ctx.result = mt_run_add_cell(&run, "cell");
	ctx.t0_ns = mt_now_ns();
	ctx.cell_name = "cell";
	child = 0;
}

static void teardown(void)
{
	if (child > 0) {
		kill(-child, SIGKILL);
		kill(-child, SIGCONT);
		waitpid(child, NULL, 0);
	}
	if (jr)
		mt_journal_close(jr);
	jr = NULL;
	mt_run_result_free(&run);
	tu_rm_rf(tmpdir);
}

/* Spawns argv (path: the program) as the leader of a new process group. */
static int spawn_group(const char *path, char *const argv[])
{
	posix_spawnattr_t attr;
	int pid = 0, rc;

	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&pid, path, NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	ck_assert_msg(rc == 0, "posix_spawn %s: %s", path, strerror(rc));
	return pid;
}

static int spawn_sleep(void)
{
	char *const argv[] = { "sleep", "60", NULL };

	return spawn_group("/bin/sleep", argv);
}

static void write_pid(int pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d\n", pid);
	tu_write(pidfile, "w", text);
}

/* /proc state of pid, waiting up to 2 s for it to become (want) or stop being (!want) 'T'. */
static char state_after(int pid, int want_stopped)
{
	char s = 0;

	for (int i = 0; i < 200; i++) {
		if (mt_proc_stat(pid, &s, NULL, NULL) < 0)
			return 0;
		if ((s == 'T') == want_stopped)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	return s;
}

static const struct mt_fault_ops *fault(const char *name)
{
	const struct mt_fault_ops *o = mt_find_fault(name);

	ck_assert_ptr_nonnull(o);
	return o;
}

static int parse(const struct mt_fault_ops *o, const char *text, struct mt_params *p,
		 struct mt_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = mt_params_parse(o->base.options, text, 1, p, err);
	if (rc == 0 && o->base.check)
		rc = o->base.check(p, err);
	return rc;
}

/* Applies o with text as its parameters; the state is released here. */
static int apply(const struct mt_fault_ops *o, const char *text, struct mt_error *err)
{
	struct mt_params p;
	void *state = NULL;
	int rc = parse(o, text, &p, err);

	ck_assert_msg(rc == 0, "%s: %s", text, err->msg);
	rc = o->apply(&p, &ctx, &state, err);
	if (rc == 0 && o->collect)
		o->collect(state, &ctx, err);
	if (o->release)
		o->release(state);
	mt_params_free(&p);
	return rc;
}

static size_t open_entries(void)
{
	const struct mt_journal_entry *e;
	struct mt_error err = { 0 };
	size_t n = 0;

	ck_assert_int_eq(mt_journal_open_entries(jr, &e, &n, &err), 0);
	return n;
}

static char *newest_undo(const char *kind)
{
	char *u = mt_journal_undo_json(jr, 0, UINT64_MAX, kind);

	ck_assert_ptr_nonnull(u);
	return u;
}

START_TEST(pause_stops_and_undo_resumes)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char text[192];

	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s", pidfile);
	ck_assert_msg(apply(o, text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(child, 1), 'T');
	ck_assert_uint_eq(open_entries(), 1);
	ck_assert_ptr_nonnull(mt_cell_metric(ctx.result, "fault.process-pause.pidfile.pid"));
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(undone, 1);
	ck_assert_int_ne(state_after(child, 0), 'T');
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

/* The runner was SIGKILLed while the target was paused: `migtorture recover`, a process of
 * its own with only the journal, resumes it and closes the entry. */
START_TEST(recover_after_a_lost_runner_resumes)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	char text[192];
	char *const argv[] = { MT_BINARY, "recover", "--journal", journal_path, NULL };
	int pid = 0, status = 0;

	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s", pidfile);
	ck_assert_msg(apply(o, text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(child, 1), 'T');
	mt_journal_close(jr);
	jr = NULL;
	unlink(pidfile); /* what named it is gone; the journalled pid and start time suffice */
	ck_assert_int_eq(posix_spawn(&pid, MT_BINARY, NULL, NULL, argv, environ), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "recover: status %d", status);
	ck_assert_int_ne(state_after(child, 0), 'T');
	ck_assert_msg(mt_journal_open(journal_path, &jr, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

/* An undo record whose start time is not the process's (the pid was recycled) signals nothing;
 * the true one resumes it. */
START_TEST(mismatched_start_time_is_never_signalled)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	unsigned long long start = 0;
	char text[192], forged[512];
	char *undo;

	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s", pidfile);
	ck_assert_msg(apply(o, text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(child, 1), 'T');
	ck_assert_int_eq(mt_proc_stat(child, NULL, NULL, &start), 0);
	snprintf(forged, sizeof(forged), "{\"v\":1,\"fault\":\"process-pause\",\"role\":\"pidfile\","
		 "\"pidfile\":\"%s\",\"pid\":%d,\"start_time\":%llu,\"signal\":\"STOP\"}", pidfile,
		 child, start + 1);
	ck_assert_int_eq(o->undo(forged, &err), 0);
	nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
	ck_assert_int_eq(state_after(child, 1), 'T');
	/* Not a record of this fault at all: refused as bad, nothing signalled. */
	ck_assert_int_eq(o->undo("{\"pid\":\"12\"}", &err), MT_EINVAL);
	ck_assert_int_eq(o->undo("{\"role\":\"pidfile\",\"pidfile\":\"/x\",\"pid\":1e300,"
				 "\"start_time\":1}", &err), MT_EINVAL);
	undo = newest_undo("process-pause");
	ck_assert_int_eq(o->undo(undo, &err), 0);
	ck_assert_int_ne(state_after(child, 0), 'T');
	free(undo);
}
END_TEST

static int reaped_signal(int pid)
{
	int status = 0;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	return WTERMSIG(status);
}

START_TEST(kill_sends_the_named_signal)
{
	const struct mt_fault_ops *o = fault("process-kill");
	const struct mt_metric *m;
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char text[192];

	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s signal=TERM", pidfile);
	ck_assert_msg(apply(o, text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(reaped_signal(child), SIGTERM);
	m = mt_cell_metric(ctx.result, "fault.process-kill.pidfile.pid");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(mt_cell_metric(ctx.result, "fault.process-kill.pidfile.signal"));
	ck_assert_ptr_nonnull(mt_cell_metric(ctx.result, "fault.process-kill.pidfile.t_ms"));
	/* Journalled before the kill, closed cleanly by its no-op undo. */
	ck_assert_uint_eq(open_entries(), 1);
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(open_entries(), 0);

	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s", pidfile);
	ck_assert_msg(apply(o, text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(reaped_signal(child), SIGKILL);
	child = 0;
}
END_TEST

START_TEST(bad_signal_name_is_a_parse_error)
{
	const struct mt_fault_ops *o = fault("process-kill");
	struct mt_error err = { 0 };
	struct mt_params p;

	ck_assert_int_eq(parse(o, "pidfile=/run/x.pid signal=SIGKILL", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "signal"), "%s", err.msg);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "pidfile=/run/x.pid signal=FOO", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "'signal'"), "%s", err.msg);
	mt_params_free(&p);
	/* No pid= key: a target is a role or a pid file. */
	ck_assert_int_eq(parse(o, "pid=1234", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "role=pidfile", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "pidfile"), "%s", err.msg);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "pidfile=run/x.pid", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "role=qemu domain=a;b", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "'domain'"), "%s", err.msg);
	mt_params_free(&p);
}
END_TEST

/* pid 1, this process, its group and a kernel thread: refused before anything is journalled. */
START_TEST(unsafe_targets_are_refused)
{
	const struct mt_fault_ops *o = fault("process-kill");
	struct mt_error err = { 0 };
	char text[192];
	char *const argv[] = { "sleep", "60", NULL };
	int same_group;

	snprintf(text, sizeof(text), "pidfile=%s signal=HUP", pidfile);
	write_pid(1);
	ck_assert_int_eq(apply(o, text, &err), MT_EINVAL);
	write_pid(getpid());
	ck_assert_int_eq(apply(o, text, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "itself"), "%s", err.msg);
	write_pid(2); /* kthreadd */
	ck_assert_int_eq(apply(o, text, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "kernel thread"), "%s", err.msg);
	/* The flag the check reads (PF_KTHREAD, field 9): kthreadd has it, this process not. */
	{
		struct mt_procstat st;

		ck_assert_int_eq(mt_procstat_read(2, &st), 0);
		ck_assert(st.flags & 0x00200000UL);
		ck_assert_int_eq(mt_procstat_read(getpid(), &st), 0);
		ck_assert(!(st.flags & 0x00200000UL));
		ck_assert_int_eq(st.ppid, getppid());
		ck_assert_int_eq(st.pgrp, getpgrp());
	}
	/* A child left in this process's group. */
	ck_assert_int_eq(posix_spawn(&same_group, "/bin/sleep", NULL, NULL, argv, environ), 0);
	write_pid(same_group);
	ck_assert_int_eq(apply(o, text, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "process group"), "%s", err.msg);
	kill(same_group, SIGKILL);
	waitpid(same_group, NULL, 0);
	ck_assert_uint_eq(open_entries(), 0);
	ck_assert_uint_eq(mt_journal_last_id(jr), 0);
	/* A pid file naming nothing that runs; a FIFO in its place is not waited on. */
	tu_write(pidfile, "w", "not a pid\n");
	ck_assert_int_eq(apply(o, text, &err), MT_ENOTFOUND);
	unlink(pidfile);
	ck_assert_int_eq(mkfifo(pidfile, 0600), 0);
	ck_assert_int_eq(apply(o, text, &err), MT_ENOTFOUND);
}
END_TEST

/* role=qemu finds the process whose argv is a QEMU's with -name guest=DOMAIN, and only it. */
START_TEST(role_qemu_finds_the_domains_process)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char dom[64], name[128], text[160], path[64];

	snprintf(dom, sizeof(dom), "mtt-dom-%d", (int)getpid());
	snprintf(name, sizeof(name), "guest=%s,debug-threads=on", dom);
	{
		char *const argv[] = { "qemu-system-x86_64", "-c", "sleep 60; exit 0", "-name",
				       name, NULL };
		child = spawn_group("/bin/sh", argv);
	}
	ctx.domain = dom;
	/* posix_spawn returns once the child exists; its command line is the shell's after exec. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", child);
	for (int i = 0; i < 100 && !strstr(tu_slurp(path), "qemu"); i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	ck_assert_msg(apply(o, "role=qemu", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(child, 1), 'T');
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(state_after(child, 0), 'T');
	/* A domain whose name only starts like it is another domain. */
	snprintf(text, sizeof(text), "role=qemu domain=%.40s-", dom);
	ck_assert_int_eq(apply(o, text, &err), MT_ENOTFOUND);
}
END_TEST

/* A bash started through a link called name (so its comm is name), with args after its script
 * as its command line's tail; it sleeps in a child, so it stays name until signalled. */
/* A bash named name running script with args ($1...) as the leader of a new group. */
static int spawn_named_script(const char *name, const char *script, const char *const *args)
{
	char link[160];
	char *argv[16] = { (char *)name, "-c", (char *)script, (char *)name };
	size_t n = 4;

	snprintf(link, sizeof(link), "%s/%s", tmpdir, name);
	if (access(link, X_OK) != 0)
		ck_assert_int_eq(symlink("/bin/bash", link), 0);
	for (size_t i = 0; args && args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return spawn_group(link, argv);
}

static int spawn_named(const char *name, const char *const *args)
{
	return spawn_named_script(name, "sleep 60; :", args);
}

static void wait_comm(int pid, const char *want);

/* The daemon roles by command name and, for Ceph, by id=: two ceph-osd daemons need id=, and
 * id=4 pauses that one only; rabbitmq is the Erlang VM running rabbit, not any beam.smp. */
START_TEST(daemon_roles_by_command_and_id)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	int osd3, osd4, beam;

	if (geteuid() != 0) {
		printf("test_process_fault: SKIP daemon roles: needs root for a namespace\n");
		return;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	osd3 = spawn_named("ceph-osd", (const char *const[]){ "-f", "--id", "3", NULL });
	osd4 = spawn_named("ceph-osd", (const char *const[]){ "-f", "--id=4", NULL });
	child = osd3;
	wait_comm(osd3, "ceph-osd");
	wait_comm(osd4, "ceph-osd");
	ck_assert_int_eq(apply(o, "role=ceph-osd", &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "more than one process") && strstr(err.msg, "id="), "%s",
		      err.msg);
	ck_assert_msg(apply(o, "role=ceph-osd id=4", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(osd4, 1), 'T');
	ck_assert_int_ne(state_after(osd3, 0), 'T');
	ck_assert_ptr_nonnull(mt_cell_metric(ctx.result, "fault.process-pause.ceph-osd.pid"));
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(state_after(osd4, 0), 'T');
	ck_assert_int_eq(apply(o, "role=ceph-osd id=5", &err), MT_ENOTFOUND);
	ck_assert_int_eq(apply(o, "role=ceph-mon", &err), MT_ENOTFOUND);
	/* An Erlang VM that is not rabbit's is not rabbitmq. */
	beam = spawn_named("beam.smp", (const char *const[]){ "-root", "/x", NULL });
	wait_comm(beam, "beam.smp");
	ck_assert_int_eq(apply(o, "role=rabbitmq", &err), MT_ENOTFOUND);
	kill(-beam, SIGKILL);
	waitpid(beam, NULL, 0);
	beam = spawn_named("beam.smp", (const char *const[]){ "-s", "rabbit", "boot", NULL });
	wait_comm(beam, "beam.smp");
	ck_assert_msg(apply(o, "role=rabbitmq", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(beam, 1), 'T');
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	for (int pid, i = 0; i < 2; i++) {
		pid = i ? beam : osd4;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}
END_TEST

/* A stand-in for the lab's mt-lab in MT_LAB_DIR: it appends its arguments to calls.txt and, for
 * start-daemon, starts a new "libvirtd" as the lab would. The lab test (tests/lab/failures.sh)
 * runs the real one; here the argv the recipe builds is the contract. */
static void fake_lab(const char *dir)
{
	char path[192], text[1024];

	snprintf(path, sizeof(path), "%s/mt-lab", dir);
	snprintf(text, sizeof(text),
		 "#!/bin/bash\necho \"$*\" >> %s/calls.txt\n"
		 "[ \"$1\" = start-daemon ] || exit 2\n"
		 "setsid %s/libvirtd -c 'sleep 60; :' libvirtd -d -p %s/lab/$2/run/$3.pid "
		 "</dev/null >/dev/null 2>&1 &\necho $! > %s/restarted.pid\n",
		 dir, dir, dir, dir);
	tu_write(path, "w", text);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* The lab recipe tests' set-up, as root: a network namespace of the test's own (no real lab
 * daemon is found in it), MT_LAB_STATE under tmpdir (its path in state) and MT_LAB_DIR holding
 * the stand-in mt-lab. 0, after saying so, when not root: the caller skips. */
static int lab_recipe_fixture(char *state, size_t len, const char *what)
{
	if (geteuid() != 0) {
		printf("test_process_fault: SKIP %s: needs root for a namespace\n", what);
		return 0;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	snprintf(state, len, "%s/lab", tmpdir);
	setenv("MT_LAB_STATE", state, 1);
	setenv("MT_LAB_DIR", tmpdir, 1);
	fake_lab(tmpdir);
	return 1;
}

/* What the stand-in mt-lab left in tmpdir: calls.txt (its argv, a line per call) or
 * restarted.pid. */
static const char *lab_file(const char *name)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return tu_slurp(path);
}

/* service-restart of a lab daemon: the recipe is found from its -p pid file under the lab's
 * state, journalled before the stop; the stop is SIGTERM (it exits), and undo — here `recover`
 * after the runner is gone — runs `mt-lab start-daemon HOST DAEMON` and nothing else. */
START_TEST(service_restart_uses_the_lab_recipe)
{
	const struct mt_fault_ops *o = fault("service-restart");
	const struct mt_metric *m;
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char state[160], pf[224], *undo;
	int status = 0, again;

	if (!lab_recipe_fixture(state, sizeof(state), "service-restart"))
		return;
	snprintf(pf, sizeof(pf), "%s/hostz/run/libvirtd.pid", state);
	child = spawn_named("libvirtd", (const char *const[]){ "-d", "-p", pf, NULL });
	wait_comm(child, "libvirtd");
	ck_assert_msg(apply(o, "role=libvirtd stop_timeout=2s", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* its sleep lives on in the group (and holds ctest's output pipe): gone with it */
	kill(-child, SIGKILL);
	child = 0;
	m = mt_cell_metric(ctx.result, "fault.service-restart.libvirtd.recipe");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->str, "lab hostz libvirtd");
	ck_assert_uint_eq(open_entries(), 1);
	undo = newest_undo("service-restart");
	ck_assert_msg(strstr(undo, "\"recipe\":\"lab\"") && strstr(undo, "\"lab_host\":\"hostz\""),
		      "%s", undo);
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(undone, 1);
	ck_assert_str_eq(lab_file("calls.txt"), "start-daemon hostz libvirtd\n");
	again = atoi(lab_file("restarted.pid"));
	ck_assert_int_gt(again, 1);
	wait_comm(again, "libvirtd");
	/* Undo again (recover twice): one runs, nothing more is started. */
	ck_assert_int_eq(o->undo(undo, &err), 0);
	free(undo);
	ck_assert_str_eq(lab_file("calls.txt"), "start-daemon hostz libvirtd\n");
	kill(-again, SIGKILL);
	unsetenv("MT_LAB_STATE");
	unsetenv("MT_LAB_DIR");
}
END_TEST

/* The runner is SIGKILLed while it waits for a daemon that ignores SIGTERM (the lab's virtlogd
 * did not exit on it) to exit: `recover` finishes the stop as the fault would have (SIGKILL,
 * after a short grace) and starts the daemon by its recipe, once; found by
 * torture_lab_crash_recover, where recover used to give up ("has not exited") and leave the
 * entry open. */
START_TEST(recover_finishes_an_interrupted_stop)
{
	const struct mt_fault_ops *o = fault("service-restart");
	struct mt_error err = { 0 };
	char state[160], pf[224];
	char *const argv[] = { MT_BINARY, "recover", "--journal", journal_path, NULL };
	int runner, pid = 0, status = 0, again;

	if (!lab_recipe_fixture(state, sizeof(state), "interrupted stop"))
		return;
	snprintf(pf, sizeof(pf), "%s/hostz/run/libvirtd.pid", state);
	child = spawn_named_script("libvirtd", "trap '' TERM; sleep 60; :",
				   (const char *const[]){ "-d", "-p", pf, NULL });
	wait_comm(child, "libvirtd");
	runner = fork();
	ck_assert_int_ge(runner, 0);
	if (runner == 0)
		_exit(apply(o, "role=libvirtd stop_timeout=60s", &err) == 0 ? 0 : 1);
	/* the runner's entry reaches the journal file before its SIGTERM */
	for (int i = 0; i < 200 && !strstr(tu_slurp(journal_path), "service-restart"); i++)
		usleep(10000);
	ck_assert_ptr_nonnull(strstr(tu_slurp(journal_path), "service-restart"));
	usleep(300000); /* SIGTERM sent: the runner waits out its stop_timeout */
	kill(runner, SIGKILL);
	ck_assert_int_eq(waitpid(runner, NULL, 0), runner);
	ck_assert_int_eq(kill(child, 0), 0); /* it ignored SIGTERM: still there */
	mt_journal_close(jr);
	jr = NULL;
	ck_assert_int_eq(posix_spawn(&pid, MT_BINARY, NULL, NULL, argv, environ), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "recover: status %d", status);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	kill(-child, SIGKILL);
	child = 0;
	ck_assert_str_eq(lab_file("calls.txt"), "start-daemon hostz libvirtd\n");
	again = atoi(lab_file("restarted.pid"));
	ck_assert_int_gt(again, 1);
	kill(-again, SIGKILL);
	ck_assert_msg(mt_journal_open(journal_path, &jr, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(open_entries(), 0);
	unsetenv("MT_LAB_STATE");
	unsetenv("MT_LAB_DIR");
}
END_TEST

/* The OpenStack lab's nova-compute: its recipe is found from the per-host config file os-up
 * wrote (--config-file OS/etc/nova/compute-HOST.conf), and undo runs `mt-lab start-daemon HOST
 * nova-compute`; a nova-compute with another config file has no recipe and is not stopped. */
START_TEST(service_restart_of_an_openstack_compute)
{
	const struct mt_fault_ops *o = fault("service-restart");
	const struct mt_metric *m;
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char state[160], os[160], conf[224], nova[224];
	int status = 0;

	if (!lab_recipe_fixture(state, sizeof(state), "OpenStack recipe"))
		return;
	snprintf(os, sizeof(os), "%s/os", tmpdir);
	setenv("MT_OS_STATE", os, 1);
	snprintf(nova, sizeof(nova), "%s/etc/nova/nova.conf", os);
	/* a compute's config file outside the lab's state: started by someone else */
	snprintf(conf, sizeof(conf), "%s/etc/nova/compute-hostz.conf", tmpdir);
	child = spawn_named("nova-compute", (const char *const[]){ "--config-file", nova,
		"--config-file", conf, NULL });
	wait_comm(child, "nova-compute");
	ck_assert_int_eq(apply(o, "role=nova-compute", &err), MT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "no start recipe"), "%s", err.msg);
	ck_assert_int_ne(state_after(child, 0), 0);
	kill(-child, SIGKILL);
	waitpid(child, NULL, 0);
	snprintf(conf, sizeof(conf), "%s/etc/nova/compute-hostz.conf", os);
	child = spawn_named("nova-compute", (const char *const[]){ "--config-file", nova,
		"--config-file", conf, NULL });
	wait_comm(child, "nova-compute");
	ck_assert_msg(apply(o, "role=nova-compute stop_timeout=2s", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	kill(-child, SIGKILL);
	child = 0;
	m = mt_cell_metric(ctx.result, "fault.service-restart.nova-compute.recipe");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->str, "lab hostz nova-compute");
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(undone, 1);
	ck_assert_str_eq(lab_file("calls.txt"), "start-daemon hostz nova-compute\n");
	kill(-atoi(lab_file("restarted.pid")), SIGKILL);
	unsetenv("MT_OS_STATE");
	unsetenv("MT_LAB_STATE");
	unsetenv("MT_LAB_DIR");
}
END_TEST

/* A QEMU is no service; a daemon with no recipe (started by hand) is not stopped at all; a
 * killed QEMU's record starts nothing. */
START_TEST(service_restart_needs_a_recipe)
{
	const struct mt_fault_ops *o = fault("service-restart");
	struct mt_error err = { 0 };
	struct mt_params p;
	char text[192];

	ck_assert_int_eq(parse(o, "role=qemu", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "not a service"), "%s", err.msg);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "role=unit", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "role=unit unit=../../x", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(o, "role=libvirtd id=3", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	child = spawn_sleep();
	write_pid(child);
	snprintf(text, sizeof(text), "pidfile=%s", pidfile);
	ck_assert_int_eq(apply(o, text, &err), MT_EUNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "no start recipe") && strstr(err.msg, "nothing was stopped"),
		      "%s", err.msg);
	ck_assert_int_ne(state_after(child, 0), 0); /* still there: never signalled */
	ck_assert_uint_eq(open_entries(), 0);
}
END_TEST

/* Records whose recipe does not fit their target are refused whole: a forged one cannot start
 * another service through an allowed role. */
START_TEST(record_recipes_must_fit_the_role)
{
	struct mt_proc_record r;
	char *json;

	ck_assert_int_eq(mt_process_record_parse(
		"{\"fault\":\"process-kill\",\"role\":\"nova-compute\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"systemd\",\"service\":\"nova-compute.service\"}", &r), 0);
	ck_assert_int_eq(r.recipe.kind, MT_RECIPE_SYSTEMD);
	json = mt_process_record_json(&r);
	ck_assert_msg(strstr(json, "\"service\":\"nova-compute.service\""), "%s", json);
	free(json);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"ceph-osd\",\"id\":\"3\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"systemd\",\"service\":\"ceph-osd@3.service\"}", &r), 0);
	ck_assert_str_eq(r.t.id, "3");
	/* Another service under an allowed role, a lab daemon under another role, a bad host. */
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"nova-compute\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"systemd\",\"service\":\"sshd.service\"}", &r), MT_EINVAL);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"mariadb\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"lab\",\"service\":\"libvirtd\",\"lab_host\":\"hosta\"}", &r), MT_EINVAL);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"libvirtd\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"lab\",\"service\":\"libvirtd\",\"lab_host\":\"../a\"}", &r), MT_EINVAL);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"unit\",\"unit\":\"a.service\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"systemd\",\"service\":\"b.service\"}", &r), MT_EINVAL);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"qemu\",\"domain\":\"web\",\"pid\":99,\"start_time\":5,"
		"\"recipe\":\"lab\",\"service\":\"libvirtd\",\"lab_host\":\"hosta\"}", &r), MT_EINVAL);
	ck_assert_int_eq(mt_process_record_parse(
		"{\"role\":\"libvirtd\",\"id\":\"3\",\"pid\":99,\"start_time\":5}", &r), MT_EINVAL);
}
END_TEST

/* Waits until /proc/PID/comm is want (after the spawned child's exec). */
static void wait_comm(int pid, const char *want)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 200 && strncmp(tu_slurp(path), want, strlen(want)) != 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	ck_assert_msg(strncmp(tu_slurp(path), want, strlen(want)) == 0, "comm: %s",
		      tu_slurp(path));
}

/* role=libvirtd: the one virtqemud or libvirtd of this network namespace; two are refused. */
START_TEST(role_libvirtd_finds_the_namespaces_daemon)
{
	const struct mt_fault_ops *o = fault("process-pause");
	struct mt_error err = { 0 };
	unsigned undone = 0, failed = 0;
	char link[128];
	char *const argv[] = { "virtqemud", "60", NULL };
	int second;

	if (geteuid() != 0) {
		printf("test_process_fault: SKIP role=libvirtd: needs root for a namespace\n");
		return;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	/* comm is the name the program was started by: a link to sleep called virtqemud. */
	snprintf(link, sizeof(link), "%s/virtqemud", tmpdir);
	ck_assert_int_eq(symlink("/bin/sleep", link), 0);
	child = spawn_group(link, argv);
	wait_comm(child, "virtqemud");
	ck_assert_msg(apply(o, "role=libvirtd", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(state_after(child, 1), 'T');
	ck_assert_msg(mt_journal_undo_all(jr, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(state_after(child, 0), 'T');
	second = spawn_group(link, argv);
	wait_comm(second, "virtqemud");
	ck_assert_int_eq(apply(o, "role=libvirtd", &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "more than one process"), "%s", err.msg);
	ck_assert_int_ne(state_after(child, 0), 'T');
	kill(-second, SIGKILL);
	waitpid(second, NULL, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("process_fault");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pause_stops_and_undo_resumes);
	tcase_add_test(tc, recover_after_a_lost_runner_resumes);
	tcase_add_test(tc, mismatched_start_time_is_never_signalled);
	tcase_add_test(tc, kill_sends_the_named_signal);
	tcase_add_test(tc, bad_signal_name_is_a_parse_error);
	tcase_add_test(tc, unsafe_targets_are_refused);
	tcase_add_test(tc, role_qemu_finds_the_domains_process);
	tcase_add_test(tc, role_libvirtd_finds_the_namespaces_daemon);
	tcase_add_test(tc, daemon_roles_by_command_and_id);
	tcase_add_test(tc, service_restart_uses_the_lab_recipe);
	tcase_add_test(tc, service_restart_needs_a_recipe);
	tcase_add_test(tc, recover_finishes_an_interrupted_stop);
	tcase_add_test(tc, service_restart_of_an_openstack_compute);
	tcase_add_test(tc, record_recipes_must_fit_the_role);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
