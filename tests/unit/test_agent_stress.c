/* test_agent_stress.c — host stress through `migtorture agent`, within its agent.conf.
 *
 * The check on requests built here ([allow] stress, [limits] stress_workers_max, undo of
 * "process" records), then the real agent binary spoken to over pipes as the runner does
 * (journal records acknowledged): host-cpu is applied (a stress-ng group runs), collected
 * (stopped, metrics back) and released; an undo naming a process the agent did not start is
 * refused and that process lives on; an undo of the agent's own stress-ng (what the runner's
 * teardown or `recover` sends) ends it; kinds and worker counts the file does not allow are
 * refused; and the dead-man switch (stdin closed) stops a stress that still runs.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent_policy.h"
#include "journal_priv.h"
#include "jsonl.h"
#include "test_agent_util.h"
#include "test_util.h"
#include "migtorture/runner.h"
#include "migtorture/units.h"

extern char **environ;

static char tmpdir[64], conf_path[128], journal_path[128];


static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mtt-agentstress-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(conf_path, sizeof(conf_path), "%s/agent.conf", tmpdir);
	snprintf(journal_path, sizeof(journal_path), "%s/agent.journal", tmpdir);
	tu_write(conf_path, "w", "[allow]\n"
			      "faults = tbf\n"
			      "interfaces = mta*\n"
			      "stress = host-cpu\n"
			      "[limits]\n"
			      "stress_workers_max = 2\n");
}

static void teardown(void)
{
	unlink(conf_path);
	unlink(journal_path);
	rmdir(tmpdir);
}

static int have_stress_ng(void)
{
	return system("command -v stress-ng >/dev/null 2>&1") == 0;
}

/* ---- the check ---- */

static int check_line(const struct mt_agent_policy *p, const char *line, int own, char *reason,
		      size_t len)
{
	struct mt_agent_req rq;
	struct mt_error err = { 0 };
	int ok;

	ck_assert_msg(mt_agent_req_parse(line, &rq, &err) == 0, "%s", err.msg);
	ck_assert_msg(mt_agent_req_resolve(&rq, &err) == 0, "%s", err.msg);
	rq.own = own;
	reason[0] = '\0';
	ok = mt_agent_policy_allows(p, &rq, NULL, reason, len);
	mt_agent_req_free(&rq);
	ck_assert_int_ge(ok, 0);
	return ok;
}

static void expect_bad(const char *text, const char *what)
{
	struct mt_agent_policy p;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_agent_policy_parse(text, "agent.conf", &p, &err), 0);
	ck_assert_msg(!p.loaded, "accepted: %s", text);
	ck_assert_msg(strstr(p.why, what), "why: %s", p.why);
	mt_agent_policy_free(&p);
}

START_TEST(check_stress_kinds_workers_and_processes)
{
	struct mt_agent_policy p;
	struct mt_error err = { 0 };
	char reason[512];

	expect_bad("[allow]\nstress = host-foo\n", "'host-foo' matches no host stress kind");
	expect_bad("[allow]\nstress = guest-cpu\n", "'guest-cpu' matches no host stress kind");
	expect_bad("[limits]\nstress_workers_max = 0\n", "not a number from 1 to 4096");
	expect_bad("[limits]\nworkers = 3\n", "unknown key 'workers' in [limits]");
	/* Without stress = nothing of the kind is allowed; the limit defaults. */
	ck_assert_int_eq(mt_agent_policy_parse("[allow]\nfaults = tbf\n", "agent.conf", &p, &err),
			 0);
	ck_assert(p.loaded);
	ck_assert_int_eq(p.stress_workers_max, MT_AGENT_STRESS_WORKERS_MAX);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"apply\",\"kind\":\"host-cpu\",\"params\":[]}",
				    0, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "stress kind 'host-cpu' is not allowed: no [allow] stress"),
		      "%s", reason);
	mt_agent_policy_free(&p);

	ck_assert_int_eq(mt_agent_policy_load(conf_path, &p, &err), 0);
	ck_assert_msg(p.loaded, "%s", p.why);
	ck_assert_int_eq(p.stress_workers_max, 2);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"apply\",\"kind\":\"host-cpu\",\"params\":"
				    "[[\"workers\",\"2\"],[\"load\",\"10%\"]]}", 0, reason,
				    sizeof(reason)), 1);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"supported\",\"kind\":\"host-vm\",\"params\":"
				    "[]}", 0, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "stress kind 'host-vm' is not in [allow] stress (host-cpu)"),
		      "%s", reason);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"apply\",\"kind\":\"host-cpu\",\"params\":"
				    "[[\"workers\",\"3\"]]}", 0, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "host-cpu workers=3 is more than [limits] "
			     "stress_workers_max = 2"), "%s", reason);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 2) {
		ck_assert_int_eq(check_line(&p, "{\"req\":\"apply\",\"kind\":\"host-cpu\","
					    "\"params\":[[\"workers\",\"0\"]]}", 0, reason,
					    sizeof(reason)), 0);
		ck_assert_ptr_nonnull(strstr(reason, "one worker per CPU"));
	}
	/* A process record is undone only as one of the agent's own journal. */
	ck_assert_int_eq(check_line(&p, "{\"req\":\"undo\",\"kind\":\"process\",\"undo\":"
				    "{\"pid\":4242,\"pgid\":0,\"start_time\":1,\"what\":\"x\"}}", 0,
				    reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "this process is not one this agent started"), "%s",
		      reason);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"undo\",\"kind\":\"process\",\"undo\":"
				    "{\"pid\":4242,\"pgid\":0,\"start_time\":1,\"what\":\"x\"}}", 1,
				    reason, sizeof(reason)), 1);
	ck_assert_int_eq(check_line(&p, "{\"req\":\"undo\",\"kind\":\"tmpdir\",\"undo\":"
				    "{\"path\":\"/tmp/mt-x\",\"dev\":1,\"ino\":2}}", 0, reason,
				    sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "nothing is removed"), "%s", reason);
	mt_agent_policy_free(&p);
}
END_TEST

/* ---- the agent binary ---- */

/* The agent of this build, with the test's policy and journal. */
static void agent_start(struct tu_agent *a)
{
	char *argv[] = { MT_BINARY, "agent", "--config", conf_path, "--journal", journal_path,
			 NULL };

	tu_agent_start(a, argv);
}

static void expect_ok(cJSON *r)
{
	char *s = cJSON_PrintUnformatted(r);

	ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "answer: %s", s);
	free(s);
}

static void expect_refused(cJSON *r, const char *want)
{
	const cJSON *e = cJSON_GetObjectItem(r, "error");
	char *s = cJSON_PrintUnformatted(r);

	ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(r, "ok")) && cJSON_IsString(e) &&
		      strstr(e->valuestring, want), "answer: %s (wanted '%s')", s, want);
	printf("test_agent_stress: refused: %s\n", e->valuestring);
	free(s);
	cJSON_Delete(r);
}

/* The undo record (as text) of the newest "begin" of kind. */
static char *last_begin(struct tu_agent *a, const char *kind)
{
	for (int i = cJSON_GetArraySize(a->begins); i-- > 0;) {
		const cJSON *b = cJSON_GetArrayItem(a->begins, i);

		if (!strcmp(cJSON_GetObjectItem(b, "kind")->valuestring, kind))
			return cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "undo"));
	}
	ck_abort_msg("no journal begin of %s", kind);
	return NULL;
}

static int record_pid(const char *undo)
{
	cJSON *u = cJSON_Parse(undo);
	int pid = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "pid"));

	cJSON_Delete(u);
	return pid;
}

/* A live (not zombie) process with pid? */
static int running(int pid)
{
	char state = 0;

	return mt_proc_stat(pid, &state, NULL, NULL) == 0 && state != 'Z' && state != 'X';
}

static int is_stress_ng(int pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	return strncmp(comm, "stress-ng", 9) == 0;
}

static uint64_t apply_cpu(struct tu_agent *a, int id)
{
	char buf[512];
	cJSON *r;
	uint64_t h;

	snprintf(buf, sizeof(buf), "{\"req\":\"apply\",\"id\":%d,\"kind\":\"host-cpu\",\"host\":"
		 "\"r\",\"cell\":\"c\",\"seed\":1,\"t0_ns\":%lld,\"params\":[[\"workers\",\"1\"],"
		 "[\"load\",\"10%%\"]]}", id, (long long)mt_now_ns());
	r = tu_agent_req(a, buf);
	expect_ok(r);
	h = (uint64_t)mt_jsonl_get_i64(r, "handle");
	ck_assert_uint_gt(h, 0);
	cJSON_Delete(r);
	return h;
}

static cJSON *handle_req(struct tu_agent *a, const char *what, int id, uint64_t h)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"req\":\"%s\",\"id\":%d,\"handle\":%llu%s}", what, id,
		 (unsigned long long)h,
		 strcmp(what, "collect") ? "" : ",\"phases\":{\"during_start_ns\":-1,"
						"\"after_start_ns\":-1,\"end_ns\":-1}");
	return tu_agent_req(a, buf);
}

static cJSON *undo_req(struct tu_agent *a, int id, const char *kind, const char *undo)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"req\":\"undo\",\"id\":%d,\"kind\":\"%s\",\"undo\":%s}", id,
		 kind, undo);
	return tu_agent_req(a, buf);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int wait_gone(int pid, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (!running(pid))
			return 1;
		sleep_ms(20);
	}
	return !running(pid);
}

START_TEST(agent_runs_host_stress_within_its_file)
{
	struct tu_agent a;
	char *proc, *dir, forged[256], dpath[256];
	unsigned long long start = 0;
	pid_t sleeper;
	char *sargv[] = { "sleep", "60", NULL };
	const cJSON *m, *x;
	int pid, found = 0, status = 0;
	uint64_t h;
	cJSON *r, *d;

	if (!have_stress_ng()) {
		printf("test_agent_stress: SKIP: stress-ng is not installed\n");
		return;
	}
	agent_start(&a);
	tu_agent_hello(&a, NULL);

	/* supported, apply: a stress-ng group runs, journalled (tmpdir, process). */
	r = tu_agent_req(&a, "{\"req\":\"supported\",\"id\":2,\"kind\":\"host-cpu\",\"params\":"
			  "[[\"workers\",\"1\"],[\"load\",\"10%\"]]}");
	expect_ok(r);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "supported")));
	cJSON_Delete(r);
	h = apply_cpu(&a, 3);
	proc = last_begin(&a, "process");
	pid = record_pid(proc);
	ck_assert_msg(running(pid) && is_stress_ng(pid), "no stress-ng at pid %d", pid);
	sleep_ms(1500);

	/* collect stops it (once) and brings its metrics back; release frees it. */
	r = handle_req(&a, "collect", 4, h);
	expect_ok(r);
	m = cJSON_GetObjectItem(r, "metrics");
	cJSON_ArrayForEach(x, m) {
		const char *path = cJSON_GetObjectItem(x, "path")->valuestring;

		if (!strcmp(path, "stress.host.cpu.run_s") ||
		    !strcmp(path, "stress.host.cpu.bogo_ops"))
			found++;
	}
	ck_assert_msg(found == 2, "stress metrics missing: %s", cJSON_PrintUnformatted(m));
	cJSON_Delete(r);
	ck_assert(wait_gone(pid, 2000));
	r = handle_req(&a, "collect", 5, h); /* again: not stopped twice */
	expect_ok(r);
	cJSON_Delete(r);
	r = handle_req(&a, "release", 6, h);
	expect_ok(r);
	cJSON_Delete(r);
	/* Its record once more (recover after the runner died): already done, nothing sent. */
	r = undo_req(&a, 7, "process", proc);
	expect_ok(r);
	ck_assert_str_eq(cJSON_GetObjectItem(r, "note")->valuestring,
			 "already undone by this agent");
	cJSON_Delete(r);
	free(proc);

	/* A forged record naming a process of the test's own: refused, the process lives. */
	ck_assert_int_eq(posix_spawnp(&sleeper, "sleep", NULL, NULL, sargv, environ), 0);
	sleep_ms(100);
	ck_assert_int_eq(mt_proc_stat(sleeper, NULL, NULL, &start), 0);
	snprintf(forged, sizeof(forged), "{\"pid\":%d,\"pgid\":0,\"start_time\":%llu,\"what\":"
		 "\"stress-ng\"}", sleeper, start);
	expect_refused(undo_req(&a, 8, "process", forged), "is not one this agent started");
	snprintf(forged, sizeof(forged), "{\"pid\":%d,\"pgid\":%d,\"start_time\":%llu,\"what\":"
		 "\"stress-ng\"}", sleeper, sleeper, start);
	expect_refused(undo_req(&a, 9, "process", forged), "nothing is signalled");
	sleep_ms(200);
	ck_assert_msg(running(sleeper), "the agent signalled a process it did not start");

	/* Refusals: a kind and a worker count the file does not allow. */
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":10,\"kind\":\"host-vm\","
				 "\"params\":[[\"workers\",\"1\"]]}"),
		       "stress kind 'host-vm' is not in [allow] stress (host-cpu)");
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":11,\"kind\":\"host-cpu\","
				 "\"params\":[[\"workers\",\"3\"]]}"),
		       "workers=3 is more than [limits] stress_workers_max = 2");

	/* The agent's own stress, undone from its record (the runner's teardown or recover
	 * after a SIGKILLed runner): stress-ng ends, and so does its temp dir. */
	h = apply_cpu(&a, 12);
	proc = last_begin(&a, "process");
	dir = last_begin(&a, "tmpdir");
	pid = record_pid(proc);
	ck_assert(running(pid) && is_stress_ng(pid));
	r = undo_req(&a, 13, "process", proc);
	expect_ok(r);
	cJSON_Delete(r);
	ck_assert_msg(wait_gone(pid, 3000), "the agent's own stress-ng survived its undo");
	d = cJSON_Parse(dir);
	snprintf(dpath, sizeof(dpath), "%s", cJSON_GetObjectItem(d, "path")->valuestring);
	cJSON_Delete(d);
	r = undo_req(&a, 14, "tmpdir", dir);
	expect_ok(r);
	cJSON_Delete(r);
	ck_assert_int_ne(access(dpath, F_OK), 0);
	r = handle_req(&a, "release", 15, h);
	expect_ok(r);
	cJSON_Delete(r);
	free(proc);
	free(dir);

	/* The dead-man switch: stdin ends while a stress runs → the agent stops it. */
	apply_cpu(&a, 16);
	proc = last_begin(&a, "process");
	pid = record_pid(proc);
	ck_assert(running(pid));
	status = tu_agent_end(&a);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(wait_gone(pid, 2000), "stress-ng survived the agent's dead-man switch");
	free(proc);

	ck_assert_msg(running(sleeper), "the test's sleep did not survive");
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_stress");
	TCase *t = tcase_create("stress");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, check_stress_kinds_workers_and_processes);
	tcase_add_test(t, agent_runs_host_stress_within_its_file);
	suite_add_tcase(s, t);
	return tu_run(s);
}
