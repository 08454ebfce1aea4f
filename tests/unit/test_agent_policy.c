/* test_agent_policy.c — what `migtorture agent` refuses, and that a refusal changes nothing.
 *
 * The check itself (suite/agent_policy.h) on requests built here: agent.conf's errors, each
 * rule, undo records rebuilt from typed fields. Then the real agent binary, spoken to over
 * pipes as the runner does: a kind not allowed, an interface not allowed, a forged OSD undo
 * carrying its own command, an over-long line and a line that is not JSON are each answered
 * with an error, the agent goes on serving, and its journal has no entry. As root, in a
 * network namespace of the test's own (gone with the test's process), forged qdisc and link
 * undo records naming a real interface outside the policy leave that interface as it was, and
 * so do leftover entries of the agent's own journal. The process faults: a role or pid file
 * outside [allow] processes is refused, and a forged pause undo naming a stopped process of
 * the test's own that is not the allowed target leaves it stopped.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "agent_policy.h"
#include "faults/process_target.h"
#include "jsonl.h"
#include "test_agent_util.h"
#include "test_util.h"
#include "migtorture/journal.h"
#include "migtorture/runner.h"

extern char **environ;

static char tmpdir[64], conf_path[128], desc_path[128], journal_path[128];
static char marker_forged[128], marker_local[128];


/* The policy every test but the parse tests uses, and a lab-style Ceph descriptor whose
 * restart command for osd.1 leaves a marker (the host's own recipe). */
static void setup(void)
{
	char text[1024];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mtt-agentpol-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(conf_path, sizeof(conf_path), "%s/agent.conf", tmpdir);
	snprintf(desc_path, sizeof(desc_path), "%s/ceph.json", tmpdir);
	snprintf(journal_path, sizeof(journal_path), "%s/agent.journal", tmpdir);
	snprintf(marker_forged, sizeof(marker_forged), "%s/forged-ran", tmpdir);
	snprintf(marker_local, sizeof(marker_local), "%s/local-ran", tmpdir);
	snprintf(text, sizeof(text),
		 "; what the tests allow\n"
		 "[allow]\n"
		 "faults = tbf netem link-down link-flap,\n"
		 "         osd-kill osd-out osd-flag\n"
		 "interfaces = mta*\n"
		 "osds = 0-1\n"
		 "[ceph]\n"
		 "descriptor = %s\n", desc_path);
	tu_write(conf_path, "w", text);
	snprintf(text, sizeof(text),
		 "{\"conf\": \"%s/no-such-ceph.conf\", \"keyring\": \"%s/no-such.keyring\", "
		 "\"osds\": [{\"id\": 1, \"pid\": 0, \"pid_file\": \"%s/osd.1.pid\", "
		 "\"start_argv\": [\"/bin/sh\", \"-c\", \"touch %s\"]}]}",
		 tmpdir, tmpdir, tmpdir, marker_local);
	tu_write(desc_path, "w", text);
}

static void teardown(void)
{
	const char *names[] = { "agent.conf", "ceph.json", "agent.journal", "forged-ran",
				"local-ran", "bad.conf", "proc.conf", "target.pid", "link.pid" };
	char path[192];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void load(struct mt_agent_policy *p)
{
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_agent_policy_load(conf_path, p, &err), 0);
	ck_assert_msg(p->loaded, "%s", p->why);
}

/* The check on one request line: 1 allowed, 0 refused (reason), as the agent runs it. */
static int check(const struct mt_agent_policy *p, const char *line, char **local, char *reason,
		 size_t len)
{
	struct mt_agent_req rq;
	struct mt_error err = { 0 };
	int ok;

	ck_assert_msg(mt_agent_req_parse(line, &rq, &err) == 0, "%s", err.msg);
	ck_assert_msg(mt_agent_req_resolve(&rq, &err) == 0, "%s", err.msg);
	reason[0] = '\0';
	ok = mt_agent_policy_allows(p, &rq, local, reason, len);
	mt_agent_req_free(&rq);
	ck_assert_int_ge(ok, 0);
	return ok;
}

/* ---- agent.conf ---- */

static void expect_bad(const char *text, const char *where, const char *what)
{
	struct mt_agent_policy p;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_agent_policy_parse(text, "/etc/migtorture/agent.conf", &p, &err), 0);
	ck_assert_msg(!p.loaded, "accepted: %s", text);
	ck_assert_msg(strstr(p.why, where) && strstr(p.why, what), "why: %s", p.why);
	mt_agent_policy_free(&p);
}

START_TEST(conf_errors_refuse_everything)
{
	struct mt_agent_policy p;
	struct mt_error err = { 0 };
	char reason[512];

	expect_bad("[allow]\nfaults = tbff\n", "agent.conf:2:", "'tbff' matches no fault kind");
	expect_bad("[allow]\nfaults = tbf\nbogus = 1\n", "agent.conf:3:", "unknown key 'bogus'");
	expect_bad("[other]\nx = 1\n", "agent.conf:2:", "unknown section [other]");
	expect_bad("faults = tbf\n", "agent.conf:1:", "outside a section");
	expect_bad("[allow]\nosds = 3-1\n", "agent.conf:2:", "'3-1' is not an OSD id");
	expect_bad("[allow]\nthis line has no equals sign\n", "agent.conf:2:", "key = value");
	expect_bad("[ceph]\nconf = relative/ceph.conf\n", "agent.conf:2:", "not an absolute");
	{
		char longline[400];

		memset(longline, 'a', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\0';
		memcpy(longline, "[allow]\nfaults = ", 17);
		expect_bad(longline, "agent.conf:2:", "longer than");
	}
	/* No file at all: loaded, nothing allowed — and hello still is. */
	ck_assert_int_eq(mt_agent_policy_load("/nonexistent/agent.conf", &p, &err), 0);
	ck_assert(!p.loaded);
	ck_assert_ptr_nonnull(strstr(p.why, "no /nonexistent/agent.conf on this host"));
	ck_assert_int_eq(check(&p, "{\"req\":\"hello\",\"id\":1}", NULL, reason,
			       sizeof(reason)), 1);
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"id\":2,\"kind\":\"tbf\",\"params\":"
			       "[[\"dev\",\"mta0\"],[\"rate\",\"1mbit\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_str_eq(reason, "refused: no /nonexistent/agent.conf on this host, so this "
			 "agent changes nothing here (docs/remote-hosts.md)");
	mt_agent_policy_free(&p);
}
END_TEST

START_TEST(conf_reads_lists_and_ranges)
{
	struct mt_agent_policy p;

	load(&p);
	ck_assert_uint_eq(p.nfaults, 7);
	ck_assert_str_eq(p.faults[4], "osd-kill");
	ck_assert_uint_eq(p.nifaces, 1);
	ck_assert_uint_eq(p.nosds, 2);
	ck_assert_int_eq(p.osds[1], 1);
	ck_assert_str_eq(p.ceph_desc, desc_path);
	ck_assert_ptr_null(p.ceph_conf);
	mt_agent_policy_free(&p);
}
END_TEST

/* ---- the check ---- */

START_TEST(check_refuses_kind_interface_and_osd)
{
	struct mt_agent_policy p;
	char reason[512];

	load(&p);
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"tbf\",\"params\":[[\"dev\","
			       "\"mta0\"],[\"rate\",\"1mbit\"]]}", NULL, reason, sizeof(reason)),
			 1);
	/* An interface outside [allow] interfaces; a key given twice counts as the plugin
	 * reads it (the last). */
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"tbf\",\"params\":[[\"dev\","
			       "\"mta0\"],[\"dev\",\"eth0\"],[\"rate\",\"1mbit\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "interface 'eth0' is not in [allow] interfaces (mta*)") &&
		      strstr(reason, conf_path), "%s", reason);
	/* supported probes too: the same check. */
	ck_assert_int_eq(check(&p, "{\"req\":\"supported\",\"kind\":\"netem\",\"params\":[["
			       "\"dev\",\"lo\"],[\"delay\",\"1ms\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_ptr_nonnull(strstr(reason, "interface 'lo'"));
	/* A kind not in [allow] faults. */
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"partition\",\"params\":[["
			       "\"a\",\"198.18.0.1\"],[\"b\",\"198.18.0.2\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "fault kind 'partition' is not in [allow] faults (tbf netem "
			     "link-down link-flap osd-kill osd-out osd-flag)"), "%s", reason);
	/* An OSD outside [allow] osds; the descriptor the peer names is not this host's. */
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"osd-out\",\"params\":[[\"id\","
			       "\"7\"]]}", NULL, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "osd.7 is not in [allow] osds"), "%s", reason);
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"osd-out\",\"params\":[[\"id\","
			       "\"1\"],[\"ceph\",\"/tmp/evil.json\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "ceph=/tmp/evil.json is not this host's own"), "%s", reason);
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"osd-out\",\"params\":[[\"id\","
			       "\"1\"],[\"keyring\",\"/root/secret\"]]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "keyring=(a path)") && !strstr(reason, "/root/secret"), "%s",
		      reason);
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"osd-out\",\"params\":[[\"id\","
			       "\"1\"]]}", NULL, reason, sizeof(reason)), 1);
	/* An unknown request is refused before anything. */
	ck_assert_int_eq(check(&p, "{\"req\":\"exec\",\"argv\":[\"/bin/sh\"]}", NULL, reason,
			       sizeof(reason)), 0);
	ck_assert_str_eq(reason, "protocol: unknown request 'exec'");
	mt_agent_policy_free(&p);
}
END_TEST

START_TEST(check_refuses_forged_undo_records)
{
	struct mt_agent_policy p;
	char reason[512], *local = NULL;

	load(&p);
	/* A qdisc undo whose ingress ifb is somebody else's interface (undo deletes the ifb). */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"tbf\",\"undo\":{\"v\":1,\"dev\":"
			       "\"mta0\",\"parent\":\"ingress\",\"ingress\":{\"ifb\":\"eth0\","
			       "\"prior\":{\"dev\":\"mta0\"}},\"prior\":{\"dev\":\"eth0\"}}}", &local,
			       reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "ingress ifb 'eth0' is not one of the agent's"), "%s",
		      reason);
	ck_assert_ptr_null(local);
	/* A root qdisc restored on another device than the record's dev. */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"netem\",\"undo\":{\"v\":1,\"dev\":"
			       "\"mta0\",\"ingress\":null,\"prior\":{\"dev\":\"eth0\"}}}", &local,
			       reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "is on 'eth0', not on mta0"), "%s", reason);
	/* A link record for a device outside the policy. */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"link-down\",\"undo\":{\"v\":1,"
			       "\"dev\":\"eth0\",\"up\":false}}", &local, reason, sizeof(reason)),
			 0);
	ck_assert_ptr_nonnull(strstr(reason, "interface 'eth0' is not in [allow] interfaces"));
	/* An OSD restart for an OSD outside the policy. */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"osd-kill\",\"undo\":{\"v\":1,"
			       "\"steps\":[{\"do\":\"revive\",\"id\":5,\"argv\":[\"/bin/true\"]}]}}",
			       &local, reason, sizeof(reason)), 0);
	ck_assert_ptr_nonnull(strstr(reason, "osd.5 is not in [allow] osds"));
	/* An unknown step. */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"osd-out\",\"undo\":{\"v\":1,"
			       "\"steps\":[{\"do\":\"exec\",\"id\":1}]}}", &local, reason,
			       sizeof(reason)), 0);
	ck_assert_ptr_nonnull(strstr(reason, "unknown step 'exec'"));
	/* The records the qdisc faults write themselves pass (root, and ingress with its ifb). */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"tbf\",\"undo\":{\"v\":1,\"dev\":"
			       "\"mta0\",\"parent\":\"root\",\"target\":\"mta0\",\"ingress\":null,"
			       "\"prior\":{\"dev\":\"mta0\"},\"link\":null}}", &local, reason,
			       sizeof(reason)), 1);
	ck_assert_ptr_nonnull(local);
	free(local);
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"netem\",\"undo\":{\"v\":1,"
			       "\"dev\":\"mta0\",\"parent\":\"ingress\",\"target\":\"mtifb0a1b2c3d\","
			       "\"ingress\":{\"ifb\":\"mtifb0a1b2c3d\",\"prior\":{\"dev\":\"mta0\"}},"
			       "\"prior\":{\"dev\":\"mtifb0a1b2c3d\"}}}", &local, reason,
			       sizeof(reason)), 1);
	free(local);
	/* A kind not allowed, a record that is not an object. */
	ck_assert_int_eq(check(&p, "{\"req\":\"undo\",\"kind\":\"partition\",\"undo\":{\"v\":1,"
			       "\"table\":\"mt_partition_1_1\"}}", &local, reason, sizeof(reason)),
			 0);
	ck_assert_ptr_nonnull(strstr(reason, "fault kind 'partition' is not in"));
	mt_agent_policy_free(&p);
}
END_TEST

/* The restart command and pid file of an OSD revive come from this host's descriptor; the
 * connection from [ceph] and the descriptor; a "cont" of a pid that is not an allowed OSD's
 * daemon is dropped. */
START_TEST(osd_undo_is_rebuilt_from_the_host)
{
	struct mt_agent_policy p;
	char reason[512], line[1024], *local = NULL, *argv;
	cJSON *u;
	const cJSON *steps, *s;

	load(&p);
	snprintf(line, sizeof(line),
		 "{\"req\":\"undo\",\"kind\":\"osd-kill\",\"undo\":{\"v\":1,\"fault\":\"osd-kill\","
		 "\"conf\":\"/tmp/evil.conf\",\"keyring\":\"/etc/shadow\",\"client\":\"admin\","
		 "\"ceph\":\"/tmp/evil.json\",\"timeout_ns\":1e9,\"wait_clean_ns\":0,\"steps\":["
		 "{\"do\":\"cont\",\"pid\":1,\"start_time\":1},"
		 "{\"do\":\"revive\",\"id\":1,\"pid_file\":\"/tmp/evil.pid\","
		 "\"argv\":[\"/bin/sh\",\"-c\",\"touch %s\"]}]}}", marker_forged);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 1);
	ck_assert_ptr_nonnull(local);
	ck_assert_msg(!strstr(local, "evil") && !strstr(local, "shadow") &&
		      !strstr(local, "forged-ran"), "%s", local);
	u = cJSON_Parse(local);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(cJSON_GetObjectItem(u, "ceph")->valuestring, desc_path);
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(u, "conf")->valuestring,
				     "no-such-ceph.conf"));
	steps = cJSON_GetObjectItem(u, "steps");
	ck_assert_int_eq(cJSON_GetArraySize(steps), 1); /* pid 1 is no OSD daemon: dropped */
	s = cJSON_GetArrayItem(steps, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(s, "do")->valuestring, "revive");
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(s, "pid_file")->valuestring,
				     "osd.1.pid"));
	argv = cJSON_PrintUnformatted(cJSON_GetObjectItem(s, "argv"));
	ck_assert_ptr_nonnull(strstr(argv, "local-ran"));
	free(argv);
	cJSON_Delete(u);
	free(local);
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

/* An error answer whose text holds want. */
static void expect_refused(cJSON *r, const char *want)
{
	const cJSON *e = cJSON_GetObjectItem(r, "error");
	char *s = cJSON_PrintUnformatted(r);

	ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(r, "ok")) && cJSON_IsString(e) &&
		      strstr(e->valuestring, want), "answer: %s (wanted '%s')", s, want);
	printf("test_agent_policy: refused: %s\n", e->valuestring);
	free(s);
	cJSON_Delete(r);
}

/* The agent still answers: a clock request comes back ok. */
static void expect_alive(struct tu_agent *a)
{
	cJSON *r = tu_agent_req(a, "{\"req\":\"clock\",\"id\":99}");

	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	ck_assert_int_eq(mt_jsonl_get_i64(r, "id"), 99);
	cJSON_Delete(r);
}

/* Ends the agent (stdin closed: its dead-man switch) and checks that its journal recorded
 * no change at all. */
static void agent_end_nothing_journalled(struct tu_agent *a)
{
	int status = tu_agent_end(a);
	FILE *f;
	char buf[4096];
	size_t n = 0;

	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f = fopen(journal_path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	ck_assert_msg(!strstr(buf, "\"op\":\"open\""), "the agent journalled a change: %s", buf);
}

/* ---- the process faults ---- */

/* A policy that allows both process faults on the QEMU role and the test's own pid files. */
static void load_process_policy(struct mt_agent_policy *p)
{
	char text[512], path[160];
	struct mt_error err = { 0 };

	snprintf(path, sizeof(path), "%s/proc.conf", tmpdir);
	snprintf(text, sizeof(text), "[allow]\nfaults = process-* link-down\n"
		 "processes = qemu, %s/*.pid\ninterfaces = mta*\n", tmpdir);
	tu_write(path, "w", text);
	ck_assert_int_eq(mt_agent_policy_load(path, p, &err), 0);
	ck_assert_msg(p->loaded, "%s", p->why);
}

START_TEST(process_conf_errors)
{
	expect_bad("[allow]\nprocesses = sshd\n", "agent.conf:2:",
		   "'sshd' is neither a role (qemu, libvirtd, ceph-osd ...), a systemd unit "
		   "(NAME.service) nor an absolute pid file pattern");
	expect_bad("[allow]\nprocesses = unit\n", "agent.conf:2:", "'unit' is neither");
	expect_bad("[allow]\nprocesses = a/b.service\n", "agent.conf:2:", "'a/b.service'");
	expect_bad("[allow]\nprocesses = run/*.pid\n", "agent.conf:2:", "'run/*.pid'");
	expect_bad("[allow]\nprocesses = /run/../etc/*.pid\n", "agent.conf:2:", "neither");
	expect_bad("[allow]\nprocess = qemu\n", "agent.conf:2:", "unknown key 'process'");
}
END_TEST

START_TEST(process_check_refuses_role_and_pidfile)
{
	struct mt_agent_policy p, none;
	struct mt_error err = { 0 };
	char reason[512], line[512], target[160], link[160];

	load_process_policy(&p);
	snprintf(target, sizeof(target), "%s/target.pid", tmpdir);
	snprintf(link, sizeof(link), "%s/link.pid", tmpdir);
	tu_write(target, "w", "1\n");
	/* A role the file does not name. */
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"process-pause\",\"params\":"
			       "[[\"role\",\"libvirtd\"]]}", NULL, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "process role 'libvirtd' is not in [allow] processes (qemu ")
		      && strstr(reason, "proc.conf"), "%s", reason);
	ck_assert_int_eq(check(&p, "{\"req\":\"supported\",\"kind\":\"process-kill\",\"params\":"
			       "[[\"role\",\"qemu\"],[\"domain\",\"web\"]]}", NULL, reason,
			       sizeof(reason)), 1);
	/* A pid file outside the globs, below them (* stops at /), or a link leading out. */
	ck_assert_int_eq(check(&p, "{\"req\":\"apply\",\"kind\":\"process-kill\",\"params\":"
			       "[[\"pidfile\",\"/run/sshd.pid\"]]}", NULL, reason, sizeof(reason)),
			 0);
	ck_assert_msg(strstr(reason, "pid file /run/sshd.pid is not in [allow] processes"), "%s",
		      reason);
	snprintf(line, sizeof(line), "{\"req\":\"apply\",\"kind\":\"process-kill\",\"params\":"
		 "[[\"pidfile\",\"%s/sub/x.pid\"]]}", tmpdir);
	ck_assert_int_eq(check(&p, line, NULL, reason, sizeof(reason)), 0);
	ck_assert_int_eq(symlink(conf_path, link), 0);
	snprintf(line, sizeof(line), "{\"req\":\"apply\",\"kind\":\"process-kill\",\"params\":"
		 "[[\"pidfile\",\"%s\"]]}", link);
	ck_assert_int_eq(check(&p, line, NULL, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "which is not in [allow] processes"), "%s", reason);
	snprintf(line, sizeof(line), "{\"req\":\"apply\",\"kind\":\"process-kill\",\"params\":"
		 "[[\"pidfile\",\"%s\"],[\"signal\",\"TERM\"]]}", target);
	ck_assert_int_eq(check(&p, line, NULL, reason, sizeof(reason)), 1);
	mt_agent_policy_free(&p);
	/* The kind allowed, no [allow] processes: nothing to signal. */
	ck_assert_int_eq(mt_agent_policy_parse("[allow]\nfaults = process-pause\n", "a.conf", &none,
					       &err), 0);
	ck_assert(none.loaded);
	ck_assert_int_eq(check(&none, "{\"req\":\"apply\",\"kind\":\"process-pause\","
			       "\"params\":[[\"role\",\"qemu\"]]}", NULL, reason, sizeof(reason)),
			 0);
	ck_assert_msg(strstr(reason, "is not in [allow] processes ((none))"), "%s", reason);
	mt_agent_policy_free(&none);
}
END_TEST

/* Spawns `sleep 60` in a group of its own, stopped. */
static int stopped_sleep(void)
{
	char *const argv[] = { "sleep", "60", NULL };
	posix_spawnattr_t attr;
	char state = 0;
	int pid = 0;

	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	ck_assert_int_eq(posix_spawn(&pid, "/bin/sleep", NULL, &attr, argv, environ), 0);
	posix_spawnattr_destroy(&attr);
	kill(pid, SIGSTOP);
	for (int i = 0; i < 200 && state != 'T'; i++) {
		usleep(10000);
		mt_proc_stat(pid, &state, NULL, NULL);
	}
	ck_assert_int_eq(state, 'T');
	return pid;
}

static char proc_state(int pid)
{
	char state = 0;

	usleep(100000);
	mt_proc_stat(pid, &state, NULL, NULL);
	return state;
}

/* A pause undo naming a pid that is not the allowed target is refused, and the agent signals
 * nothing; the true record resumes the target. */
START_TEST(process_forged_undo_is_refused)
{
	struct mt_agent_policy p;
	struct tu_agent a;
	char reason[512], line[768], target[160], *local = NULL;
	int paused = stopped_sleep(), victim = stopped_sleep();
	unsigned long long pst = mt_proc_start_time(paused), vst = mt_proc_start_time(victim);
	cJSON *r;

	snprintf(target, sizeof(target), "%s/target.pid", tmpdir);
	snprintf(line, sizeof(line), "%d\n", paused);
	tu_write(target, "w", line);
	load_process_policy(&p);
	/* The victim's own pid and true start time, under the allowed pid file. */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-pause\",\"undo\":"
		 "{\"v\":1,\"fault\":\"process-pause\",\"role\":\"pidfile\",\"pidfile\":\"%s\","
		 "\"pid\":%d,\"start_time\":%llu,\"signal\":\"STOP\"}}", target, victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "is not the pidfile") && strstr(reason, "not signalled"),
		      "%s", reason);
	ck_assert_ptr_null(local);
	/* The same as a QEMU: the victim is none. */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-pause\",\"undo\":"
		 "{\"v\":1,\"role\":\"qemu\",\"domain\":\"web\",\"pid\":%d,"
		 "\"start_time\":%llu}}", victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "is not the qemu of web"), "%s", reason);
	/* A pid file outside the policy, a record without a start time. */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-pause\",\"undo\":"
		 "{\"role\":\"pidfile\",\"pidfile\":\"/run/x.pid\",\"pid\":%d,"
		 "\"start_time\":%llu}}", victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "pid file /run/x.pid is not in"), "%s", reason);
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-pause\",\"undo\":"
		 "{\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d}}", target, paused);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "not a process-pause record"), "%s", reason);
	/* Start recipes: one that does not fit the role, and a pid file's systemd unit that the
	 * file does not name, are refused; the lab's recipe for a pid file's daemon passes. */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-kill\",\"undo\":"
		 "{\"v\":1,\"role\":\"qemu\",\"domain\":\"web\",\"pid\":%d,\"start_time\":%llu,"
		 "\"recipe\":\"systemd\",\"service\":\"sshd.service\"}}", victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "start recipe that fits"), "%s", reason);
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-kill\",\"undo\":"
		 "{\"v\":1,\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d,"
		 "\"start_time\":%llu,\"recipe\":\"systemd\",\"service\":\"sshd.service\"}}",
		 target, victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 0);
	ck_assert_msg(strstr(reason, "unit 'sshd.service' is not in [allow]"), "%s", reason);
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-kill\",\"undo\":"
		 "{\"v\":1,\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d,"
		 "\"start_time\":%llu,\"recipe\":\"lab\",\"service\":\"libvirtd\","
		 "\"lab_host\":\"hosta\"}}", target, victim, vst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 1);
	ck_assert_msg(strstr(local, "\"lab_host\":\"hosta\"") &&
		      strstr(local, "\"fault\":\"process-kill\""), "%s", local);
	free(local);
	local = NULL;
	/* The true record is rebuilt from its typed fields (extra members dropped). */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"kind\":\"process-pause\",\"undo\":"
		 "{\"v\":1,\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d,"
		 "\"start_time\":%llu,\"argv\":[\"/bin/sh\"]}}", target, paused, pst);
	ck_assert_int_eq(check(&p, line, &local, reason, sizeof(reason)), 1);
	ck_assert_ptr_nonnull(local);
	ck_assert_msg(!strstr(local, "argv"), "%s", local);
	free(local);
	mt_agent_policy_free(&p);

	/* The agent itself, with that policy: the forged undo is answered with the refusal and
	 * the victim stays stopped; the true one resumes the target. */
	snprintf(line, sizeof(line), "[allow]\nfaults = process-pause\nprocesses = %s/*.pid\n",
		 tmpdir);
	tu_write(conf_path, "w", line);
	agent_start(&a);
	tu_agent_hello(&a, conf_path);
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"id\":2,\"kind\":\"process-pause\","
		 "\"undo\":{\"v\":1,\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d,"
		 "\"start_time\":%llu}}", target, victim, vst);
	expect_refused(tu_agent_req(&a, line), "is not the pidfile");
	ck_assert_int_eq(proc_state(victim), 'T');
	ck_assert_int_eq(proc_state(paused), 'T');
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"id\":3,\"kind\":\"process-pause\","
		 "\"undo\":{\"v\":1,\"role\":\"pidfile\",\"pidfile\":\"%s\",\"pid\":%d,"
		 "\"start_time\":%llu}}", target, paused, pst);
	r = tu_agent_req(&a, line);
	ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "%s",
		      cJSON_GetStringValue(cJSON_GetObjectItem(r, "error")));
	cJSON_Delete(r);
	ck_assert_int_ne(proc_state(paused), 'T');
	ck_assert_int_eq(proc_state(victim), 'T');
	agent_end_nothing_journalled(&a);
	kill(-paused, SIGKILL);
	kill(-victim, SIGKILL);
	kill(-victim, SIGCONT);
	waitpid(paused, NULL, 0);
	waitpid(victim, NULL, 0);
}
END_TEST

/* Through the agent: an allowed pause is journalled (the begin reaches the runner before the
 * signal) and applied; when the runner's session ends, the agent's dead-man switch resumes the
 * process from its own journal. */
START_TEST(process_pause_through_the_agent)
{
	struct tu_agent a;
	char line[512], target[160];
	int paused = stopped_sleep(), status;
	const cJSON *b;
	cJSON *r;

	kill(paused, SIGCONT);
	ck_assert_int_ne(proc_state(paused), 'T');
	snprintf(target, sizeof(target), "%s/target.pid", tmpdir);
	snprintf(line, sizeof(line), "%d\n", paused);
	tu_write(target, "w", line);
	snprintf(line, sizeof(line), "[allow]\nfaults = process-pause\nprocesses = %s/*.pid\n",
		 tmpdir);
	tu_write(conf_path, "w", line);
	agent_start(&a);
	tu_agent_hello(&a, conf_path);
	snprintf(line, sizeof(line), "{\"req\":\"apply\",\"id\":2,\"kind\":\"process-pause\","
		 "\"host\":\"r\",\"cell\":\"c\",\"seed\":1,\"t0_ns\":0,\"params\":[[\"pidfile\","
		 "\"%s\"]]}", target);
	r = tu_agent_req(&a, line);
	ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "%s",
		      cJSON_GetStringValue(cJSON_GetObjectItem(r, "error")));
	cJSON_Delete(r);
	ck_assert_int_eq(proc_state(paused), 'T');
	ck_assert_int_eq(cJSON_GetArraySize(a.begins), 1);
	b = cJSON_GetArrayItem(a.begins, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(b, "kind")->valuestring, "process-pause");
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b,
				"undo"), "pid")), paused);
	status = tu_agent_end(&a);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(proc_state(paused), 'T');
	kill(-paused, SIGKILL);
	waitpid(paused, NULL, 0);
}
END_TEST

START_TEST(agent_refuses_and_goes_on)
{
	struct tu_agent a;
	static const char head[] = "{\"req\":\"apply\",\"id\":6,\"kind\":\"tbf\",\"pad\":\"";
	char line[2048], *big;
	size_t blen = 70 * 1024;

	agent_start(&a);
	tu_agent_hello(&a, conf_path);
	/* A kind not allowed (nothing to set up: refused before the plugin runs). */
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":2,\"kind\":\"partition\","
				 "\"params\":[[\"a\",\"198.18.0.1\"],[\"b\",\"198.18.0.2\"]]}"),
		       "fault kind 'partition' is not in [allow] faults");
	/* An interface not allowed. */
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":3,\"kind\":\"tbf\",\"params\":"
				 "[[\"dev\",\"lo\"],[\"rate\",\"1mbit\"]]}"),
		       "interface 'lo' is not in [allow] interfaces (mta*)");
	/* A forged OSD undo with its own command: the host's recipe runs, never the record's.
	 * (The monitor step after it fails: there is no cluster here.) */
	snprintf(line, sizeof(line),
		 "{\"req\":\"undo\",\"id\":4,\"kind\":\"osd-kill\",\"undo\":{\"v\":1,\"steps\":["
		 "{\"do\":\"revive\",\"id\":1,\"pid_file\":\"/tmp/x.pid\",\"argv\":[\"/bin/sh\","
		 "\"-c\",\"touch %s\"]}]}}", marker_forged);
	cJSON_Delete(tu_agent_req(&a, line));
	ck_assert_int_ne(access(marker_forged, F_OK), 0);
	ck_assert_int_eq(access(marker_local, F_OK), 0);
	unlink(marker_local);
	/* The same for an OSD the policy does not name: refused before anything runs. */
	snprintf(line, sizeof(line),
		 "{\"req\":\"undo\",\"id\":5,\"kind\":\"osd-kill\",\"undo\":{\"v\":1,\"steps\":["
		 "{\"do\":\"revive\",\"id\":0,\"argv\":[\"/bin/sh\",\"-c\",\"touch %s\"]}]}}",
		 marker_forged);
	expect_refused(tu_agent_req(&a, line), "osd.0 has no restart command");
	ck_assert_int_ne(access(marker_local, F_OK), 0);
	ck_assert_int_ne(access(marker_forged, F_OK), 0);
	/* An over-long line: answered (id 0, it was never read), dropped, the agent goes on. */
	big = malloc(blen + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', blen);
	memcpy(big, head, sizeof(head) - 1);
	big[blen - 3] = '"';
	big[blen - 2] = '}';
	big[blen - 1] = '\n';
	expect_refused(tu_agent_send(&a, big, blen), "a request line longer than 65536 bytes");
	free(big);
	expect_alive(&a);
	/* Lines that are not a JSON request. */
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":7,"), "must be a JSON object");
	expect_refused(tu_agent_req(&a, "[1,2,3]"), "must be a JSON object");
	expect_refused(tu_agent_req(&a, "{\"id\":8}"), "no \"req\"");
	expect_refused(tu_agent_req(&a, "{\"req\":\"apply\",\"id\":9,\"kind\":\"tbf\",\"params\":7}"),
		       "params: expected [key, text] pairs");
	expect_alive(&a);
	agent_end_nothing_journalled(&a);
}
END_TEST

/* No agent.conf: hello is answered (with the reason), every change refused. */
START_TEST(agent_without_conf_changes_nothing)
{
	struct tu_agent a;
	char buf[256];
	cJSON *r;

	unlink(conf_path);
	agent_start(&a);
	snprintf(buf, sizeof(buf), "{\"req\":\"hello\",\"id\":1,\"proto\":1,\"version\":\"%s\"}",
		 mt_version());
	r = tu_agent_req(&a, buf);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(r, "policy_refuses_all")->valuestring,
				     "on this host"));
	cJSON_Delete(r);
	expect_refused(tu_agent_req(&a, "{\"req\":\"supported\",\"id\":2,\"kind\":\"tbf\",\"params\":"
				 "[[\"dev\",\"mta0\"],[\"rate\",\"1mbit\"]]}"),
		       "so this agent changes nothing here");
	expect_refused(tu_agent_req(&a, "{\"req\":\"undo\",\"id\":3,\"kind\":\"link-down\",\"undo\":"
				 "{\"v\":1,\"dev\":\"mta0\",\"up\":true}}"),
		       "so this agent changes nothing here");
	expect_alive(&a);
	agent_end_nothing_journalled(&a);
}
END_TEST

/* ---- as root: real interfaces in a namespace of the test's own ---- */

static void need_root(void)
{
	if (geteuid() != 0) {
		printf("test_agent_policy: SKIP namespace tests: needs root\n");
		exit(77);
	}
}

/* A veth pair a <-> b, both up. */
static void add_veth(struct nl_sock *sk, const char *a, const char *b)
{
	struct rtnl_link *veth = rtnl_link_veth_alloc(), *peer, *chg;
	struct nl_cache *cache = NULL;

	ck_assert_ptr_nonnull(veth);
	rtnl_link_set_name(veth, a);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, b);
	ck_assert_int_eq(rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL), 0);
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	ck_assert_int_eq(rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache), 0);
	for (int i = 0; i < 2; i++) {
		struct rtnl_link *l = rtnl_link_get_by_name(cache, i ? b : a);

		ck_assert_ptr_nonnull(l);
		chg = rtnl_link_alloc();
		rtnl_link_set_flags(chg, IFF_UP);
		ck_assert_int_eq(rtnl_link_change(sk, l, chg, 0), 0);
		rtnl_link_put(chg);
		rtnl_link_put(l);
	}
	nl_cache_free(cache);
}

/* 1 when name is administratively up, 0 when down, -1 when it is not there (an ioctl: /sys
 * still shows the namespace it was mounted in). */
static int link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	ck_assert_int_ge(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ? -1 : (ifr.ifr_flags & IFF_UP) != 0;
	close(fd);
	return rc;
}

START_TEST(forged_undo_leaves_other_interfaces_alone)
{
	struct nl_sock *sk;
	struct tu_agent a;
	char victim[IFNAMSIZ], allowed[IFNAMSIZ], line[1024];

	need_root();
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	sk = nl_socket_alloc();
	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	snprintf(victim, sizeof(victim), "mtv%d", (int)getpid() % 1000000);
	snprintf(allowed, sizeof(allowed), "mta%d", (int)getpid() % 1000000);
	add_veth(sk, allowed, victim);
	ck_assert_int_eq(link_up(victim), 1);
	agent_start(&a);
	tu_agent_hello(&a, conf_path);
	/* Undo of an ingress qdisc fault naming the victim as its ifb: undo would delete it. */
	snprintf(line, sizeof(line),
		 "{\"req\":\"undo\",\"id\":2,\"kind\":\"tbf\",\"undo\":{\"v\":1,\"fault\":\"tbf\","
		 "\"dev\":\"%s\",\"parent\":\"ingress\",\"target\":\"%s\",\"ingress\":{\"ifb\":"
		 "\"%s\",\"prior\":{\"dev\":\"%s\",\"parent\":\"ingress\",\"present\":false,"
		 "\"default\":false,\"kind\":\"\",\"handle\":0,\"options_hex\":\"\"},\"prio\":"
		 "19796},\"prior\":{\"dev\":\"%s\",\"parent\":\"root\",\"present\":false,"
		 "\"default\":true,\"kind\":\"\",\"handle\":0,\"options_hex\":\"\"}}}",
		 allowed, victim, victim, allowed, victim);
	expect_refused(tu_agent_req(&a, line), "is not one of the agent's");
	ck_assert_int_eq(link_up(victim), 1);
	/* Undo of a link fault naming the victim, "up": false — it would take it down. */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"id\":3,\"kind\":\"link-down\",\"undo\":"
		 "{\"v\":1,\"fault\":\"link-down\",\"dev\":\"%s\",\"up\":false}}", victim);
	expect_refused(tu_agent_req(&a, line), "is not in [allow] interfaces (mta*)");
	ck_assert_int_eq(link_up(victim), 1);
	/* The same record for the allowed interface is carried out: the check is not all "no". */
	snprintf(line, sizeof(line), "{\"req\":\"undo\",\"id\":4,\"kind\":\"link-down\",\"undo\":"
		 "{\"v\":1,\"fault\":\"link-down\",\"dev\":\"%s\",\"up\":false}}", allowed);
	{
		cJSON *r = tu_agent_req(&a, line);

		ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
		cJSON_Delete(r);
	}
	ck_assert_int_eq(link_up(allowed), 0);
	/* A fault on the victim itself. */
	snprintf(line, sizeof(line), "{\"req\":\"apply\",\"id\":5,\"kind\":\"link-down\","
		 "\"params\":[[\"dev\",\"%s\"]]}", victim);
	expect_refused(tu_agent_req(&a, line), "is not in [allow] interfaces");
	ck_assert_int_eq(link_up(victim), 1);
	agent_end_nothing_journalled(&a);
	nl_socket_free(sk);
}
END_TEST

/* What the agent's own journal holds is checked too (at start and in its dead-man switch): a
 * leftover entry for an interface outside the policy stays open and the interface as it was;
 * one for an allowed interface is undone. */
START_TEST(agent_journal_leftovers_are_checked_too)
{
	const struct mt_host here = { .name = "local", .kind = MT_HOST_LOCAL };
	struct nl_sock *sk;
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	const struct mt_journal_entry *e;
	struct tu_agent a;
	char victim[IFNAMSIZ], allowed[IFNAMSIZ], undo[256];
	uint64_t id;
	size_t n = 0;

	need_root();
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	sk = nl_socket_alloc();
	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	snprintf(victim, sizeof(victim), "mtv%d", (int)getpid() % 1000000);
	snprintf(allowed, sizeof(allowed), "mta%d", (int)getpid() % 1000000);
	add_veth(sk, allowed, victim);
	/* As if an earlier agent had been SIGKILLed with these open. */
	ck_assert_int_eq(mt_journal_open(journal_path, &j, &err), 0);
	snprintf(undo, sizeof(undo), "{\"v\":1,\"fault\":\"link-down\",\"dev\":\"%s\","
		 "\"up\":false}", victim);
	ck_assert_int_eq(mt_journal_begin(j, "link-down", &here, undo, &id, &err), 0);
	snprintf(undo, sizeof(undo), "{\"v\":1,\"fault\":\"link-down\",\"dev\":\"%s\","
		 "\"up\":false}", allowed);
	ck_assert_int_eq(mt_journal_begin(j, "link-down", &here, undo, &id, &err), 0);
	mt_journal_close(j);
	agent_start(&a);
	tu_agent_hello(&a, conf_path); /* the leftovers were dealt with before hello was answered */
	ck_assert_int_eq(link_up(victim), 1);
	ck_assert_int_eq(link_up(allowed), 0);
	tu_agent_end(&a);
	ck_assert_int_eq(link_up(victim), 1);
	ck_assert_int_eq(mt_journal_open(journal_path, &j, &err), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(e[0].undo_json, victim));
	mt_journal_close(j);
	nl_socket_free(sk);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_policy");
	TCase *t = tcase_create("policy"), *r = tcase_create("netns");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(r, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_set_timeout(r, 60);
	tcase_add_test(t, conf_errors_refuse_everything);
	tcase_add_test(t, conf_reads_lists_and_ranges);
	tcase_add_test(t, check_refuses_kind_interface_and_osd);
	tcase_add_test(t, check_refuses_forged_undo_records);
	tcase_add_test(t, osd_undo_is_rebuilt_from_the_host);
	tcase_add_test(t, process_conf_errors);
	tcase_add_test(t, process_check_refuses_role_and_pidfile);
	tcase_add_test(t, process_forged_undo_is_refused);
	tcase_add_test(t, process_pause_through_the_agent);
	tcase_add_test(t, agent_refuses_and_goes_on);
	tcase_add_test(t, agent_without_conf_changes_nothing);
	tcase_add_test(r, forged_undo_leaves_other_interfaces_alone);
	tcase_add_test(r, agent_journal_leftovers_are_checked_too);
	suite_add_tcase(s, t);
	if (geteuid() == 0)
		suite_add_tcase(s, r);
	else
		printf("test_agent_policy: SKIP the namespace tests: not root\n");
	return tu_run(s);
}
