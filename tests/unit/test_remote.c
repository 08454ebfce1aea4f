/* test_remote.c — the remote-host protocol without ssh: the runner's session code (suite/
 * remote.c) talks to `migtorture agent` spawned directly (mt_remote_set_exec: same protocol,
 * same code path, no sshd). The ssh transport itself is tested by tests/netns/remote_ssh.sh.
 *
 * The agent reads an agent.conf the test writes (MT_AGENT_CONF) allowing the qdisc and link
 * faults on the test's own devices; what it refuses is tests/unit/test_agent_policy.c's.
 *
 * Without root: hello/version check, supported, errors of the far side. With root (else, the
 * others passing, the binary exits 77 with the reason), every test in its own forked process unshares a fresh,
 * anonymous network namespace with a veth pair mtr0/mtr1 (gone with the process): apply tbf
 * through the agent → the runner's journal has the entry with the ssh host before the qdisc
 * exists; the pipes closed without `bye` (a killed runner) → the agent's dead-man switch puts
 * the qdisc back; an agent SIGKILLed → `recover` undoes through a new agent session.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "faults/tc_qdisc.h"
#include "migtorture/journal.h"
#include "migtorture/option.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "remote.h"
#include "test_util.h"

extern char **environ;

static char tmpdir[64];
static char rjournal[128], ajournal[128], aconf[128];

/* What the agent may change here: the test's veth pair and a device that is not there (the
 * plugin's own error is what that test checks). */
static const char agent_conf[] = "[allow]\n"
				 "faults = tbf netem link-down link-flap\n"
				 "interfaces = mtr0 mtr1 mtt-*\n";

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct mt_host host_r = {
	.name = "r", .kind = MT_HOST_SSH, .ssh_address = "198.18.200.1",
	.ssh_user = "root", .remote_binary = MT_BINARY,
};

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "remote");
	snprintf(rjournal, sizeof(rjournal), "%s/runner.journal", tmpdir);
	snprintf(ajournal, sizeof(ajournal), "%s/agent.journal", tmpdir);
	setenv("MT_AGENT_JOURNAL", ajournal, 1); /* the spawned agent's own journal */
	snprintf(aconf, sizeof(aconf), "%s/agent.conf", tmpdir);
	{
		FILE *f = fopen(aconf, "w");

		ck_assert_ptr_nonnull(f);
		fputs(agent_conf, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	setenv("MT_AGENT_CONF", aconf, 1);
	mt_remote_set_exec(1);
}

static void teardown(void)
{
	mt_remote_close_all();
	tu_rm_rf(tmpdir);
}

/* A fresh namespace with the veth pair mtr0/mtr1, both up. */
static void netns_up(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *veth, *peer, *chg;
	struct nl_cache *cache = NULL;

	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(nl_connect(sk, NETLINK_ROUTE), 0);
	veth = rtnl_link_veth_alloc();
	ck_assert_ptr_nonnull(veth);
	rtnl_link_set_name(veth, "mtr0");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "mtr1");
	ck_assert_int_eq(rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL), 0);
	rtnl_link_put(peer);
	rtnl_link_veth_release(veth);
	ck_assert_int_eq(rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache), 0);
	for (int i = 0; i < 2; i++) {
		struct rtnl_link *l = rtnl_link_get_by_name(cache, i ? "mtr1" : "mtr0");

		ck_assert_ptr_nonnull(l);
		chg = rtnl_link_alloc();
		rtnl_link_set_flags(chg, IFF_UP);
		ck_assert_int_eq(rtnl_link_change(sk, l, chg, 0), 0);
		rtnl_link_put(chg);
		rtnl_link_put(l);
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
}

static void root_kind(const char *dev, char *kind, size_t len)
{
	struct mt_tcq_snap s = { 0 };
	struct mt_error err = { 0 };
	struct nl_sock *sk = NULL;

	ck_assert_int_eq(mt_tcq_socket(&sk, &err), 0);
	ck_assert_msg(mt_tcq_read(sk, dev, TC_H_ROOT, &s, &err) == 0, "%s", err.msg);
	snprintf(kind, len, "%s", s.is_default ? "default" : s.kind);
	mt_tcq_snap_free(&s);
	nl_socket_free(sk);
}

/* tbf params as the scenario parser would give them. */
static void tbf_params(struct mt_params *p)
{
	const struct mt_fault_ops *ops = mt_find_fault("tbf");
	struct mt_error err = { 0 };

	ck_assert_ptr_nonnull(ops);
	ck_assert_msg(mt_params_parse(ops->base.options, "dev=mtr0 rate=10mbit", 1, p, &err) == 0, "%s",
		      err.msg);
}

/* Applies tbf through the agent; checks the runner's journal holds it, host = r (ssh). */
static uint64_t apply_tbf(struct mt_remote *s, struct mt_journal *j)
{
	const struct mt_journal_entry *e;
	struct mt_remote_apply_info info;
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	int64_t t0 = now_ns();
	uint64_t handle = 0;
	char kind[32];
	size_t n = 0;

	tbf_params(&p);
	ck_assert_msg(mt_remote_apply(s, "tbf", &p, j, &host_r, t0, "cell", 1, &handle, &info,
				      &err) == 0, "%s", err.msg);
	mt_params_free(&p);
	ck_assert_uint_ne(handle, 0);
	printf("test_remote: apply round trip %.3f ms, applied at %+.3f ms of t0 (clock error "
	       "<= %.3f ms)\n", info.rtt_ns / 1e6, info.applied_ns / 1e6, info.error_ns / 1e6);
	/* It took effect between t0 and the answer, on the runner's clock within the bound. */
	ck_assert_int_ge(info.applied_ns, -info.error_ns);
	ck_assert_int_le(info.applied_ns, now_ns() - t0 + info.error_ns);
	root_kind("mtr0", kind, sizeof(kind));
	ck_assert_str_eq(kind, "tbf");
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].kind, "tbf");
	ck_assert_int_eq(e[0].applied, 1);
	ck_assert_ptr_nonnull(strstr(e[0].host_json, "\"kind\":\"ssh\""));
	ck_assert_ptr_nonnull(strstr(e[0].host_json, "\"name\":\"r\""));
	ck_assert_ptr_nonnull(strstr(e[0].undo_json, "\"dev\":\"mtr0\""));
	return handle;
}

/* ---- without root ---- */

/* Runs the agent with one request line and returns its first answer line. */
static void agent_once(const char *line, char *answer, size_t len)
{
	int in[2], out[2];
	char *argv[] = { MT_BINARY, "agent", NULL };
	posix_spawn_file_actions_t fa;
	struct pollfd p;
	pid_t pid;
	ssize_t got = 0;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	ck_assert_int_eq(posix_spawn(&pid, MT_BINARY, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	ck_assert_int_eq(write(in[1], line, strlen(line)), (ssize_t)strlen(line));
	p = (struct pollfd){ .fd = out[0], .events = POLLIN };
	while (got < (ssize_t)len - 1 && poll(&p, 1, 10000) == 1) {
		ssize_t r = read(out[0], answer + got, len - 1 - (size_t)got);

		if (r <= 0)
			break;
		got += r;
		if (memchr(answer, '\n', (size_t)got))
			break;
	}
	answer[got > 0 ? got : 0] = '\0';
	close(in[1]);
	close(out[0]);
	waitpid(pid, NULL, 0);
}

START_TEST(version_mismatch_is_refused)
{
	char ans[2048];

	agent_once("{\"req\":\"hello\",\"id\":1,\"proto\":1,\"version\":\"0.0.0-other\"}\n", ans,
		   sizeof(ans));
	ck_assert_msg(strstr(ans, "\"ok\":false") && strstr(ans, "version mismatch") &&
		      strstr(ans, "0.0.0-other"), "answer: %s", ans);
	/* Nothing before hello. */
	agent_once("{\"req\":\"apply\",\"id\":1,\"kind\":\"tbf\"}\n", ans, sizeof(ans));
	ck_assert_msg(strstr(ans, "send hello first"), "answer: %s", ans);
	/* Not JSON. */
	agent_once("tc qdisc add dev lo root netem\n", ans, sizeof(ans));
	ck_assert_msg(strstr(ans, "\"ok\":false") && strstr(ans, "JSON object"), "answer: %s",
		      ans);
}
END_TEST

START_TEST(session_supported_and_errors)
{
	struct mt_remote *s = NULL, *again = NULL;
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_journal *j = NULL;
	struct mt_remote_apply_info info;
	uint64_t handle;
	char why[256] = "";
	size_t n = 0;
	const struct mt_journal_entry *e;

	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	printf("test_remote: session setup %.3f ms, best round trip %.3f ms\n",
	       mt_remote_setup_ns(s) / 1e6, mt_remote_rtt_min_ns(s) / 1e6);
	ck_assert_int_gt(mt_remote_rtt_min_ns(s), 0);
	/* One session per host. */
	ck_assert_int_eq(mt_remote_get(&host_r, &again, &err), 0);
	ck_assert_ptr_eq(again, s);
	tbf_params(&p);
	ck_assert_msg(mt_remote_supported(s, "tbf", &p, why, sizeof(why), &err) == 0, "%s",
		      err.msg);
	/* A kind the agent lacks: an error naming it. */
	ck_assert_int_eq(mt_remote_supported(s, "no-such-fault", &p, why, sizeof(why), &err),
			 MT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such-fault"));
	/* Apply on a device that is not there: the far side's error, nothing journalled. */
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(mt_find_fault("tbf")->base.options, "dev=mtt-nonexist "
					 "rate=1mbit", 1, &p, &err), 0);
	ck_assert_int_eq(mt_journal_open(rjournal, &j, &err), 0);
	ck_assert_int_ne(mt_remote_apply(s, "tbf", &p, j, &host_r, now_ns(), "c", 1, &handle,
					 &info, &err), 0);
	ck_assert_msg(strstr(err.msg, "mtt-nonexist") && strstr(err.msg, "host 'r'"), "%s",
		      err.msg);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	/* The session survives a failed request. */
	ck_assert_int_gt(mt_remote_ping(s, &err), 0);
	mt_journal_close(j);
	mt_params_free(&p);
}
END_TEST

/* ---- with root, in a namespace of the test's own ---- */

START_TEST(apply_collect_undo_through_agent)
{
	struct mt_remote *s = NULL;
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_cell_result *cell;
	unsigned undone = 0, failed = 0;
	uint64_t handle;
	char kind[32];
	int64_t t;

	netns_up();
	ck_assert_int_eq(mt_journal_open(rjournal, &j, &err), 0);
	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	handle = apply_tbf(s, j);
	cell = mt_run_add_cell(&run, "c");
	ck_assert_msg(mt_remote_collect(s, handle, cell, &err) == 0, "%s", err.msg);
	/* The tbf's qdisc counters came back from the far side (a numeric metric, not absent:
	 * the agent once lost the fault's state because a journal ack returned 1, not 0). */
	{
		const struct mt_metric *m = mt_cell_metric(cell, "fault.tbf.mtr0.sent_packets");

		ck_assert_msg(m && m->kind == MT_METRIC_NUM, "no fault.tbf.mtr0.sent_packets: %s",
			      m && m->str ? m->str : "missing");
	}
	ck_assert_msg(mt_remote_release(s, handle, &err) == 0, "%s", err.msg);
	/* A released handle is gone. */
	ck_assert_int_eq(mt_remote_release(s, handle, &err), MT_ENOTFOUND);
	/* The runner's undo goes through the same session (journal → remote.c). */
	t = now_ns();
	ck_assert_msg(mt_journal_undo_all(j, &undone, &failed, &err) == 0, "%s", err.msg);
	printf("test_remote: undo over the session %.3f ms\n", (now_ns() - t) / 1e6);
	ck_assert_uint_eq(undone, 1);
	ck_assert_uint_eq(failed, 0);
	root_kind("mtr0", kind, sizeof(kind));
	ck_assert_str_eq(kind, "default");
	mt_remote_close_all();
	mt_run_result_free(&run);
	mt_journal_close(j);
}
END_TEST

/* A fault with timers on the far side: link-flap runs in the agent's loop between requests;
 * collect brings its events, metrics and series back in the cell's time; its "applied"
 * record, made when the kernel reported the link down, reaches the runner's journal too. */
START_TEST(link_flap_timers_run_on_the_far_side)
{
	const struct mt_fault_ops *ops = mt_find_fault("link-flap");
	struct mt_remote *s = NULL;
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_cell_result *cell;
	struct mt_remote_apply_info info;
	struct mt_params p = { 0 };
	const struct mt_journal_entry *e;
	const struct mt_metric *m;
	int64_t t0;
	uint64_t handle = 0;
	size_t n = 0, downs = 0, ups = 0;
	unsigned undone = 0;

	netns_up();
	ck_assert_ptr_nonnull(ops);
	ck_assert_msg(mt_params_parse(ops->base.options, "dev=mtr0 down=150ms period=300ms count=2", 1,
				      &p, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(mt_journal_open(rjournal, &j, &err), 0);
	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	t0 = now_ns();
	ck_assert_msg(mt_remote_apply(s, "link-flap", &p, j, &host_r, t0, "cell", 1, &handle,
				      &info, &err) == 0, "%s", err.msg);
	usleep(900 * 1000); /* two flaps: down 0–150 ms, 300–450 ms */
	cell = mt_run_add_cell(&run, "c");
	ck_assert_msg(mt_remote_collect(s, handle, cell, &err) == 0, "%s", err.msg);
	m = mt_cell_metric(cell, "fault.link.mtr0.transitions");
	ck_assert_ptr_nonnull(m);
	ck_assert_double_eq(m->num, 4);
	for (size_t i = 0; i < cell->nevents; i++) {
		const struct mt_event_rec *ev = &cell->events[i];

		if (strncmp(ev->what, "fault.link.", 11))
			continue;
		downs += strstr(ev->what, "down") != NULL;
		ups += strstr(ev->what, ".up ") != NULL || strstr(ev->what, "link.up") != NULL;
		/* In the cell's time (the runner's clock): within the 900 ms we waited. */
		ck_assert_int_ge(ev->actual_ns, 0);
		ck_assert_int_le(ev->actual_ns, 900 * 1000000LL);
	}
	ck_assert_uint_eq(downs, 2);
	ck_assert_uint_eq(ups, 2);
	ck_assert_ptr_nonnull(mt_cell_series(cell, "fault.link.mtr0.up", "bool"));
	ck_assert_uint_ge(mt_cell_series(cell, "fault.link.mtr0.up", "bool")->n, 4);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].kind, "link-flap");
	ck_assert_int_eq(e[0].applied, 1);
	ck_assert_msg(mt_remote_release(s, handle, &err) == 0, "%s", err.msg);
	ck_assert_msg(mt_journal_undo_all(j, &undone, NULL, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(undone, 1);
	mt_remote_close_all();
	mt_params_free(&p);
	mt_run_result_free(&run);
	mt_journal_close(j);
}
END_TEST

/* supported() runs on the far side and names the host as the runner calls it. */
START_TEST(netem_supported_names_the_remote_host)
{
	const struct mt_fault_ops *ops = mt_find_fault("netem");
	struct mt_remote *s = NULL;
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };
	char why[512] = "";
	int rc;

	netns_up();
	ck_assert_ptr_nonnull(ops);
	ck_assert_int_eq(mt_params_parse(ops->base.options, "dev=mtr0 delay=20ms", 1, &p, &err), 0);
	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	rc = mt_remote_supported(s, "netem", &p, why, sizeof(why), &err);
	printf("test_remote: netem supported() through the agent: %d %s\n", rc, why);
	/* This kernel lacks sch_netem (then the reason names host r); one that has it says 0. */
	ck_assert(rc == 0 || rc == MT_EUNSUPPORTED);
	if (rc == MT_EUNSUPPORTED)
		ck_assert_msg(strstr(why, "sch_netem") && strstr(why, " r"), "%s", why);
	mt_params_free(&p);
}
END_TEST

START_TEST(dead_man_switch_undoes_on_disconnect)
{
	struct mt_remote *s = NULL;
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	const struct mt_journal_entry *e;
	unsigned undone = 0, failed = 0;
	size_t n = 0;
	char kind[32];
	int64_t t;

	netns_up();
	ck_assert_int_eq(mt_journal_open(rjournal, &j, &err), 0);
	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	apply_tbf(s, j);
	/* The runner dies: its ends of the pipes close, no bye. The agent undoes by itself. */
	t = now_ns();
	mt_remote_drop_all();
	printf("test_remote: dead-man switch: pipes closed → agent gone (qdisc restored) in "
	       "%.3f ms\n", (now_ns() - t) / 1e6);
	root_kind("mtr0", kind, sizeof(kind));
	ck_assert_str_eq(kind, "default");
	/* The runner's journal still has it open (it never saw the undo); recover-style undo
	 * opens a new session and is idempotent. */
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(mt_journal_undo_all(j, &undone, &failed, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(undone, 1);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	mt_journal_close(j);
}
END_TEST

START_TEST(recover_undoes_through_new_session)
{
	struct mt_remote *s = NULL;
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	char kind[32], other[160];
	FILE *log;
	char *buf = NULL;
	size_t blen = 0;
	int pid;

	netns_up();
	ck_assert_int_eq(mt_journal_open(rjournal, &j, &err), 0);
	ck_assert_msg(mt_remote_get(&host_r, &s, &err) == 0, "%s", err.msg);
	apply_tbf(s, j);
	/* Agent and runner both die hard: no dead-man run, the qdisc stays. */
	pid = mt_remote_pid(s);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	mt_remote_drop_all();
	mt_journal_close(j);
	root_kind("mtr0", kind, sizeof(kind));
	ck_assert_str_eq(kind, "tbf");
	/* The next agent gets a fresh journal of its own (else it would undo the leftover at
	 * start): what recover does must be what takes the qdisc back. */
	snprintf(other, sizeof(other), "%s/agent2.journal", tmpdir);
	setenv("MT_AGENT_JOURNAL", other, 1);
	log = open_memstream(&buf, &blen);
	ck_assert_msg(mt_recover(rjournal, log, &err) == 0, "%s", err.msg);
	fclose(log);
	printf("%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "1 undone, 0 failed"));
	ck_assert_ptr_nonnull(strstr(buf, "on r"));
	free(buf);
	root_kind("mtr0", kind, sizeof(kind));
	ck_assert_str_eq(kind, "default");
	unlink(other);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("remote");
	TCase *t = tcase_create("noroot"), *r = tcase_create("netns");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(r, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_set_timeout(r, 60);
	tcase_add_test(t, version_mismatch_is_refused);
	tcase_add_test(t, session_supported_and_errors);
	tcase_add_test(r, apply_collect_undo_through_agent);
	tcase_add_test(r, link_flap_timers_run_on_the_far_side);
	tcase_add_test(r, netem_supported_names_the_remote_host);
	tcase_add_test(r, dead_man_switch_undoes_on_disconnect);
	tcase_add_test(r, recover_undoes_through_new_session);
	suite_add_tcase(s, t);
	/* With root, a namespace that cannot be set up fails its test (netns_up asserts). */
	if (geteuid() == 0)
		suite_add_tcase(s, r);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed)
		return 1;
	/* The tests without root passed; the namespace half did not run: a skip, not a pass. */
	if (geteuid() != 0) {
		printf("SKIP: the namespace tests need root (network namespaces, qdiscs)\n");
		return 77;
	}
	return 0;
}
