/* test_journal.c — the fault journal: apply → simulated crash → recover (newest first,
 * idempotent), torn last line, the lock, a missing plugin, remote hosts, and the built-in
 * "process" kind (kills a spawned process group, never a recycled PID). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "journal_priv.h"
#include "jsonl.h"
#include "migtorture/journal.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "test_util.h"

extern char **environ;

static char tmpdir[256];
static char undo_log[300];

/* A fake fault whose undo appends its record's "tag" to undo_log. */
static int fake_undo(const char *undo_json, struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const cJSON *t = o ? cJSON_GetObjectItemCaseSensitive(o, "tag") : NULL;
	FILE *f;
	int rc = 0;

	if (!cJSON_IsString(t)) {
		rc = mt_err(err, MT_EINVAL, "fake: no tag");
		goto out;
	}
	f = fopen(undo_log, "a");
	if (!f) {
		rc = mt_err(err, MT_EIO, "fake: %s", strerror(errno));
		goto out;
	}
	fprintf(f, "%s\n", t->valuestring);
	fclose(f);
out:
	cJSON_Delete(o);
	return rc;
}

static const struct mt_fault_ops fake_fault = {
	.base.name = "fake-journal", .base.summary = "test fault", .undo = fake_undo,
};

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "run-journal");
	snprintf(undo_log, sizeof(undo_log), "%s/undo.log", tmpdir);
	mt_registry_reset_extra();
	ck_assert_int_eq(mt_registry_add_fault(&fake_fault), 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphaned test processes come back to us */
}

static void teardown(void)
{
	tu_rm_rf(tmpdir);
	mt_registry_reset_extra();
}

static void jpath(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/state/deeper/%s", tmpdir, name);
}

static void begin_fake(struct mt_journal *j, const char *tag, uint64_t *id)
{
	struct mt_error err = { 0 };
	char undo[128];

	snprintf(undo, sizeof(undo), "{\"tag\":\"%s\"}", tag);
	ck_assert_msg(mt_journal_begin(j, "fake-journal", NULL, undo, id, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(mt_journal_applied(j, *id, 1000, &err), 0);
}

START_TEST(crash_then_recover_newest_first_and_idempotent)
{
	struct mt_error err = { 0 };
	char path[512];
	struct stat st;
	pid_t pid;
	int status;

	jpath(path, sizeof(path), "journal");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mt_journal *j;
		uint64_t a, b;

		if (mt_journal_open(path, &j, &err) < 0)
			_exit(10);
		begin_fake(j, "first", &a);
		begin_fake(j, "second", &b);
		raise(SIGKILL); /* crash before any undo */
		_exit(11);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_str_eq(tu_slurp(undo_log), "");

	ck_assert_msg(mt_recover(path, NULL, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(tu_slurp(undo_log), "second\nfirst\n");
	/* A second recover finds nothing open and undoes nothing. */
	ck_assert_msg(mt_recover(path, NULL, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(tu_slurp(undo_log), "second\nfirst\n");
}
END_TEST

START_TEST(torn_last_line_is_tolerated)
{
	struct mt_error err = { 0 };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	char path[512];
	uint64_t id;
	size_t n;
	FILE *f;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	begin_fake(j, "whole", &id);
	ck_assert_int_eq(id, 1);
	mt_journal_close(j);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("{\"op\":\"open\",\"id\":2,\"kind\":\"fake-jo", f); /* crash mid-write */
	fclose(f);

	ck_assert_msg(mt_journal_open(path, &j, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_journal_bad_lines(j), 1);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].undo_json, "{\"tag\":\"whole\"}");
	ck_assert_int_eq(e[0].applied, 1);
	/* A record written after the torn line starts on a line of its own. */
	begin_fake(j, "after", &id);
	ck_assert_int_eq(id, 2);
	mt_journal_close(j);

	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_bad_lines(j), 1);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(e[0].id, 2);
	ck_assert_int_eq(e[1].id, 1);
	mt_journal_close(j);
}
END_TEST

START_TEST(lock_refuses_a_second_user)
{
	struct mt_error err = { 0 };
	struct mt_journal *j, *j2 = NULL;
	char path[512];
	uint64_t id;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	begin_fake(j, "held", &id);
	ck_assert_int_eq(mt_journal_open(path, &j2, &err), MT_EINFRA);
	ck_assert_ptr_null(j2);
	ck_assert_ptr_nonnull(strstr(err.msg, "in use"));
	/* recover refuses while the runner holds it, and undoes nothing. */
	ck_assert_int_eq(mt_recover(path, NULL, &err), MT_EINFRA);
	ck_assert_str_eq(tu_slurp(undo_log), "");
	mt_journal_close(j);
	ck_assert_int_eq(mt_recover(path, NULL, &err), 0);
	ck_assert_str_eq(tu_slurp(undo_log), "held\n");
}
END_TEST

START_TEST(missing_plugin_and_remote_host_stay_open)
{
	struct mt_error err = { 0 };
	struct mt_host ssh = { .name = "router", .kind = MT_HOST_SSH, .ssh_address = "198.18.0.9",
			       .ssh_identity = "/root/.ssh/id_ed25519" };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	unsigned undone = 9, failed = 9;
	uint64_t a, b, c;
	char path[512];
	size_t n;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_begin(j, "no-such-fault", NULL, "{}", &a, &err), 0);
	ck_assert_int_eq(mt_journal_begin(j, "fake-journal", &ssh, "{\"tag\":\"remote\"}", &b,
					  &err), 0);
	begin_fake(j, "local", &c);
	ck_assert_int_lt(mt_journal_begin(j, "fake-journal", NULL, "[1]", &c, &err), 0);
	ck_assert_int_lt(mt_journal_undo_all(j, &undone, &failed, &err), 0);
	ck_assert_uint_eq(undone, 1);
	ck_assert_uint_eq(failed, 2);
	ck_assert_str_eq(tu_slurp(undo_log), "local\n");
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(e[0].id, b);
	ck_assert_ptr_nonnull(strstr(e[0].host_json, "\"ssh\""));
	ck_assert_ptr_nonnull(strstr(e[0].host_json, "/root/.ssh/id_ed25519"));
	ck_assert_int_eq(e[1].id, a);
	mt_journal_close(j);
	/* Still open after a re-read: a failed undo is recorded, not closed. */
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	mt_journal_close(j);
}
END_TEST

/* A namespace deleted under an open entry (the lab torn down after a crash) took the change
 * with it: recover closes the entry as "target gone" and exits 3, so runs are not blocked. */
START_TEST(gone_netns_is_closed_as_target_gone)
{
	struct mt_error err = { 0 };
	char ns[64], path[512];
	struct mt_host gone = { .name = "hosta", .kind = MT_HOST_LOCAL, .netns = ns };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	uint64_t id;
	size_t n;
	int rc;

	snprintf(ns, sizeof(ns), "mt-unit-no-such-ns-%d", (int)getpid());
	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_begin(j, "fake-journal", &gone, "{\"tag\":\"gone\"}", &id,
					  &err), 0);
	ck_assert_int_eq(mt_journal_applied(j, id, 1000, &err), 0);
	mt_journal_close(j);

	rc = mt_recover(path, NULL, &err);
	ck_assert_int_eq(rc, MT_EINFRA);
	ck_assert_int_eq(mt_err_exit_status(rc), 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "target gone"));
	ck_assert_str_eq(tu_slurp(undo_log), ""); /* nothing was run in the caller's namespace */
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 0); /* closed on disk */
	mt_journal_close(j);
	mt_err_clear(&err);
	ck_assert_msg(mt_recover(path, NULL, &err) == 0, "%s", err.msg);
}
END_TEST

/* Numbers in the journal are range-checked before they become integers: 1e300 as a time or
 * an id is refused, not converted (undefined behaviour; UBSan's float-cast-overflow). */
START_TEST(huge_numbers_are_rejected)
{
	struct mt_error err = { 0 };
	const struct mt_journal_entry *e;
	struct mt_journal *j;
	char path[512];
	size_t n;
	FILE *f;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	mt_journal_close(j);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("{\"op\":\"open\",\"id\":1,\"kind\":\"fake-journal\",\"host\":{},"
	      "\"undo\":{\"tag\":\"x\"}}\n", f);
	fputs("{\"op\":\"applied\",\"id\":1,\"t_ns\":1e300}\n", f);
	fputs("{\"op\":\"open\",\"id\":1e300,\"kind\":\"fake-journal\",\"host\":{},"
	      "\"undo\":{\"tag\":\"y\"}}\n", f);
	fputs("{\"op\":\"open\",\"id\":-1e300,\"kind\":\"fake-journal\",\"host\":{},"
	      "\"undo\":{\"tag\":\"z\"}}\n", f);
	fclose(f);
	ck_assert_msg(mt_journal_open(path, &j, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_journal_bad_lines(j), 2); /* the two ids no integer holds */
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(e[0].applied, 1);
	ck_assert_int_eq(e[0].t_applied_ns, -1); /* unknown, not a wrapped or saturated value */
	mt_journal_close(j);
}
END_TEST

/* The helper every peer and journal number goes through (the agent protocol too). */
START_TEST(json_i64_checks_the_range_first)
{
	cJSON *o = cJSON_Parse("{\"big\":1e300,\"neg\":-1e300,\"edge\":9223372036854775808,"
			       "\"ok\":42.9,\"s\":\"7\",\"min\":-9223372036854775808}");
	int64_t v = 5;

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "big"), INT64_MIN, INT64_MAX, &v),
			 MT_EINVAL);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "neg"), INT64_MIN, INT64_MAX, &v),
			 MT_EINVAL);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "edge"), INT64_MIN, INT64_MAX, &v),
			 MT_EINVAL); /* 2^63: one past INT64_MAX */
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "s"), INT64_MIN, INT64_MAX, &v),
			 MT_EINVAL);
	ck_assert_int_eq(mt_json_i64(NULL, INT64_MIN, INT64_MAX, &v), MT_EINVAL);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "ok"), 0, 41, &v), MT_EINVAL);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "ok"), 0, 42, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(mt_json_i64(cJSON_GetObjectItem(o, "min"), INT64_MIN, 0, &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(mt_jsonl_get_i64(o, "big"), 0);
	ck_assert_int_eq(mt_jsonl_get_i64(o, "ok"), 42);
	cJSON_Delete(o);
}
END_TEST

START_TEST(undo_range_only_touches_its_entries)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	uint64_t a, b, c, mark;
	char path[512];
	unsigned u, f;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	begin_fake(j, "a", &a);
	mark = mt_journal_last_id(j);
	begin_fake(j, "b", &b);
	begin_fake(j, "c", &c);
	ck_assert_int_eq(mt_journal_undo_range(j, mark + 1, mt_journal_last_id(j), NULL, &u, &f,
					       &err), 0);
	ck_assert_uint_eq(u, 2);
	ck_assert_str_eq(tu_slurp(undo_log), "c\nb\n");
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 1);
	ck_assert_str_eq(tu_slurp(undo_log), "c\nb\na\n");
	mt_journal_close(j);
}
END_TEST

static pid_t spawn_group(const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	posix_spawnattr_t at;
	pid_t pid;

	ck_assert_int_eq(posix_spawnattr_init(&at), 0);
	ck_assert_int_eq(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP), 0);
	ck_assert_int_eq(posix_spawnattr_setpgroup(&at, 0), 0);
	ck_assert_int_eq(posix_spawn(&pid, "/bin/sh", NULL, &at, argv, environ), 0);
	posix_spawnattr_destroy(&at);
	usleep(100000); /* let the shell start its children */
	return pid;
}

static int group_gone(pid_t pgid)
{
	while (waitpid(-1, NULL, WNOHANG) > 0) /* reap orphans handed to us */
		;
	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

/* The "tmpdir" kind: undo removes the recorded tree (not what a symlink in it points to),
 * leaves a directory that replaced it alone, and refuses a path that is not an mt-* one. */
/* An entry never marked applied (killed mid-apply: its command may still be queued at a
 * service such as a Ceph monitor) is undone twice, the second time after a pause; an applied
 * one once. */
START_TEST(unapplied_entry_is_undone_again)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	char path[512];
	unsigned u, f;
	uint64_t id;
	struct timespec a, b;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	begin_fake(j, "applied", &id);
	ck_assert_int_eq(mt_journal_begin(j, "fake-journal", NULL, "{\"tag\":\"inflight\"}", &id,
					  &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_uint_eq(u, 2);
	ck_assert_str_eq(tu_slurp(undo_log), "inflight\napplied\ninflight\n");
	ck_assert(b.tv_sec - a.tv_sec >= 2);
	mt_journal_close(j);
}
END_TEST

START_TEST(tmpdir_kind_removes_only_its_tree)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	char path[512], a[512], b[512], bold[512], p[600], outside[512];
	unsigned u, f;
	uint64_t id;
	struct stat st;
	FILE *fp;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	snprintf(a, sizeof(a), "%s/mt-a", tmpdir);
	snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub", a);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub/file", a);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fclose(fp);
	snprintf(p, sizeof(p), "%s/keep", outside);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fclose(fp);
	snprintf(p, sizeof(p), "%s/link", a);
	ck_assert_int_eq(symlink(outside, p), 0);
	ck_assert_msg(mt_journal_tmpdir(j, NULL, a, &id, &err) == 0, "%s", err.msg);
	/* b is replaced by another directory after it was journalled */
	snprintf(b, sizeof(b), "%s/mt-b", tmpdir);
	snprintf(bold, sizeof(bold), "%s/mt-b.old", tmpdir);
	ck_assert_int_eq(mkdir(b, 0700), 0);
	ck_assert_msg(mt_journal_tmpdir(j, NULL, b, &id, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(rename(b, bold), 0);
	ck_assert_int_eq(mkdir(b, 0700), 0);
	ck_assert_int_eq(mt_journal_tmpdir(j, NULL, "/tmp/not-ours", &id, &err), MT_EINVAL);
	ck_assert_int_eq(mt_journal_tmpdir(j, NULL, "mt-relative", &id, &err), MT_EINVAL);
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 2);
	ck_assert_uint_eq(f, 0);
	ck_assert_int_ne(lstat(a, &st), 0);
	snprintf(p, sizeof(p), "%s/keep", outside);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(stat(bold, &st), 0);
	/* idempotent: a second undo of nothing open, and of a dir already gone, is fine */
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 0);
	mt_journal_close(j);
}
END_TEST

/* Every journal kind is found by its name, and none shares a name with a fault plugin: the
 * journal dispatches an entry's undo by its kind alone, so a clash would run the wrong one. */
START_TEST(journal_kinds_are_registered_apart_from_faults)
{
	static const char *const names[] = { "process", "tmpdir" };
	const struct mt_fault_ops *const *f = mt_fault_registry();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct mt_journal_kind *k = mt_find_journal_kind(names[i]);

		ck_assert_ptr_nonnull(k);
		ck_assert_str_eq(k->name, names[i]);
		ck_assert_ptr_nonnull(k->undo);
	}
	ck_assert_ptr_null(mt_find_journal_kind("netem"));
	ck_assert_ptr_null(mt_find_journal_kind(NULL));
	for (size_t i = 0; f[i]; i++)
		ck_assert_msg(mt_find_journal_kind(f[i]->base.name) == NULL,
			      "fault '%s' has a journal kind's name", f[i]->base.name);
}
END_TEST

/* The one /proc/PID/stat reader: this process's own fields, as the kernel and libc give them. */
START_TEST(procstat_reads_this_process)
{
	struct mt_procstat st;
	unsigned long long start = 0;
	char state = 0;
	int pgrp = 0;

	ck_assert_int_eq(mt_procstat_read(getpid(), &st), 0);
	ck_assert_int_eq(st.state, 'R');
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_int_eq(st.pgrp, getpgrp());
	ck_assert_uint_gt(st.start, 0);
	ck_assert_int_eq(mt_proc_stat(getpid(), &state, &pgrp, &start), 0);
	ck_assert_int_eq(state, 'R');
	ck_assert_int_eq(pgrp, getpgrp());
	ck_assert_uint_eq(start, st.start);
	ck_assert_int_eq(mt_procstat_read(INT_MAX, &st), MT_ENOTFOUND);
	ck_assert_int_eq(mt_group_alive(getpgrp()), getpgrp() > 1);
	ck_assert_int_eq(mt_group_alive(1), 0);
}
END_TEST

START_TEST(process_kind_kills_the_group)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	char path[512];
	unsigned u, f;
	uint64_t id;
	pid_t pid;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	/* A leader and a background member; the member must die too. */
	pid = spawn_group("sleep 30 & exec sleep 31");
	ck_assert_msg(mt_journal_process(j, NULL, pid, "sleep", &id, &err) == 0, "%s", err.msg);
	ck_assert(!group_gone(pid));
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 1);
	ck_assert(group_gone(pid));
	mt_journal_close(j);
}
END_TEST

START_TEST(process_kind_escalates_to_sigkill)
{
	struct mt_error err = { 0 };
	struct mt_journal *j;
	char path[512];
	unsigned u, f;
	uint64_t id;
	pid_t pid;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	pid = spawn_group("trap '' TERM; sleep 30; true");
	ck_assert_int_eq(mt_journal_process(j, NULL, pid, "stubborn", &id, &err), 0);
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 1);
	ck_assert(group_gone(pid));
	mt_journal_close(j);
}
END_TEST

START_TEST(process_kind_never_signals_a_recycled_pid)
{
	struct mt_error err = { 0 };
	unsigned long long start;
	struct mt_journal *j;
	char path[512], undo[256];
	unsigned u, f;
	uint64_t id;
	char state;
	pid_t pid;

	jpath(path, sizeof(path), "journal");
	ck_assert_int_eq(mt_journal_open(path, &j, &err), 0);
	pid = spawn_group("exec sleep 30");
	ck_assert_int_eq(mt_proc_stat(pid, NULL, NULL, &start), 0);
	/* The journal saw an older process under the same number. */
	snprintf(undo, sizeof(undo), "{\"pid\":%d,\"pgid\":%d,\"start_time\":%llu,\"what\":\"x\"}",
		 pid, pid, start - 1);
	ck_assert_int_eq(mt_journal_begin(j, "process", NULL, undo, &id, &err), 0);
	ck_assert_int_eq(mt_journal_undo_all(j, &u, &f, &err), 0);
	ck_assert_uint_eq(u, 1); /* closed: the journalled process is gone */
	usleep(50000);
	ck_assert_int_eq(mt_proc_stat(pid, &state, NULL, NULL), 0);
	ck_assert_int_ne(state, 'Z'); /* still running: not signalled */
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	mt_journal_close(j);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, crash_then_recover_newest_first_and_idempotent);
	tcase_add_test(tc, torn_last_line_is_tolerated);
	tcase_add_test(tc, lock_refuses_a_second_user);
	tcase_add_test(tc, missing_plugin_and_remote_host_stay_open);
	tcase_add_test(tc, gone_netns_is_closed_as_target_gone);
	tcase_add_test(tc, huge_numbers_are_rejected);
	tcase_add_test(tc, json_i64_checks_the_range_first);
	tcase_add_test(tc, undo_range_only_touches_its_entries);
	tcase_add_test(tc, tmpdir_kind_removes_only_its_tree);
	tcase_add_test(tc, unapplied_entry_is_undone_again);
	tcase_add_test(tc, journal_kinds_are_registered_apart_from_faults);
	tcase_add_test(tc, procstat_reads_this_process);
	tcase_add_test(tc, process_kind_kills_the_group);
	tcase_add_test(tc, process_kind_escalates_to_sigkill);
	tcase_add_test(tc, process_kind_never_signals_a_recycled_pid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
