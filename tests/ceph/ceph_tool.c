/* ceph_tool.c — drives the OSD faults and the ceph probe outside a VM run, for tests/ceph:
 *
 *   ceph_tool state                               one JSON line: health, OSDs, flags, PGs
 *   ceph_tool wait-ok SECONDS                     waits for HEALTH_OK; prints the ms it took
 *   ceph_tool epoch                               the OSD map's current epoch
 *   ceph_tool maps FROM                           one JSON line per OSD map epoch after FROM:
 *       {"epoch":N,"modified_ms":M,"flags":"..."} (M: the monitors' commit time, Unix ms)
 *   ceph_tool fault [--journal J] [--hold S] [--expect E] [--park] SPEC...
 *       applies each SPEC ("osd-out id=1 conf=...") in order through the registry and the
 *       journal, like the runner; measures apply→effect (E: down:N, out:N, in:N, flag:F,
 *       none), keeps the faults on for S seconds after the effect while the loop runs (thrash
 *       timers, the ceph probe), undoes them through the journal (newest first), and measures undo→HEALTH_OK.
 *       --park: after applying, print "applied" and wait forever (the SIGKILLed-runner test).
 *       --probe "OPTS": runs the ceph probe around it all; its metrics join the output.
 *   Connection for state/wait-ok: --conf C --keyring K (or the descriptor via --ceph D).
 * Prints one JSON line of figures; exits like migtorture (0, 2 usage, 3 infrastructure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migtorture/ceph.h"
#include "migtorture/journal.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * MT_NS_PER_S + ts.tv_nsec;
}

static const char *conf, *keyring;

static int connect_cluster(struct mt_ceph **c, struct mt_error *err)
{
	struct mt_ceph_opts o = { conf, keyring, "admin", 10 * MT_NS_PER_S };

	return mt_ceph_open(&o, c, err);
}

static int effect_seen(struct mt_ceph *c, const char *e, struct mt_error *err)
{
	struct mt_ceph_state st;
	int id, i;

	if (strcmp(e, "none") == 0)
		return 1;
	if (mt_ceph_state(c, &st, err) < 0)
		return -1;
	if (strncmp(e, "flag:", 5) == 0)
		return mt_ceph_flag_set(&st, e + 5);
	id = atoi(strchr(e, ':') ? strchr(e, ':') + 1 : "-1");
	i = mt_ceph_osd_index(&st, id);
	if (i < 0)
		return 0;
	if (strncmp(e, "down:", 5) == 0)
		return !st.osds[i].up;
	if (strncmp(e, "out:", 4) == 0)
		return !st.osds[i].in;
	if (strncmp(e, "in:", 3) == 0)
		return st.osds[i].in;
	return 0;
}

static int cmd_state(struct mt_error *err)
{
	struct mt_ceph *c = NULL;
	struct mt_ceph_state st;
	int rc = connect_cluster(&c, err);

	if (rc == 0)
		rc = mt_ceph_state(c, &st, err);
	if (rc == 0) {
		printf("{\"health\":\"%s\",\"osds\":%d,\"up\":%d,\"in\":%d,\"flags\":\"%s\","
		       "\"pgs\":\"%s\",\"osd\":[", st.health, st.num_osds, st.num_up, st.num_in,
		       st.flags, st.pg_summary);
		for (size_t i = 0; i < st.nosds; i++)
			printf("%s{\"id\":%d,\"up\":%d,\"in\":%d}", i ? "," : "", st.osds[i].id,
			       st.osds[i].up, st.osds[i].in);
		printf("]}\n");
	}
	mt_ceph_close(c);
	return rc;
}

static int cmd_wait_ok(int secs, struct mt_error *err)
{
	struct mt_ceph *c = NULL;
	int64_t waited = 0;
	int rc = connect_cluster(&c, err);

	if (rc == 0)
		rc = mt_ceph_wait(c, MT_CEPH_WAIT_HEALTH_OK, secs * MT_NS_PER_S, &waited, err);
	if (rc == 0)
		printf("{\"health_ok_ms\":%.0f}\n", (double)waited / 1e6);
	mt_ceph_close(c);
	return rc;
}

static int cmd_maps(long from, int only_epoch, struct mt_error *err)
{
	struct mt_ceph *c = NULL;
	struct mt_ceph_state st;
	int rc = connect_cluster(&c, err);

	if (rc == 0)
		rc = mt_ceph_state(c, &st, err);
	if (rc == 0 && only_epoch)
		printf("%u\n", st.epoch);
	for (unsigned e = (unsigned)from + 1; rc == 0 && !only_epoch && e <= st.epoch; e++) {
		struct mt_ceph_osdmap m;

		rc = mt_ceph_osdmap_at(c, e, &m, err);
		if (rc == 0)
			printf("{\"epoch\":%u,\"modified_ms\":%.3f,\"flags\":\"%s\"}\n", m.epoch,
			       (double)m.modified_wall_ns / 1e6, m.flags);
	}
	mt_ceph_close(c);
	return rc;
}

#define MAXF 8

static int cmd_fault(int argc, char **argv, struct mt_error *err)
{
	const char *jpath = "/tmp/ceph_tool.journal", *expect = "none";
	double hold = 0;
	int park = 0, rc = 0, nf = 0, i, probe = 0;
	const struct mt_workload_ops *pops = mt_find_probe("ceph");
	struct mt_params pp = { 0 };
	void *pstate = NULL;
	struct mt_journal *j = NULL;
	struct mt_loop *loop = NULL;
	struct mt_run_result run = { 0 };
	struct mt_cell_result *cell;
	struct mt_host host = { .name = "local", .kind = MT_HOST_LOCAL };
	struct mt_ctx ctx = { 0 };
	struct mt_phases ph = { -1, -1, -1 };
	struct { const struct mt_fault_ops *ops; struct mt_params p; void *state; } f[MAXF];
	struct mt_ceph *c = NULL;
	int64_t t_apply, t_effect = -1, t_undo, t_undone, waited = 0;
	uint64_t first;
	unsigned undone = 0, failed = 0;

	memset(f, 0, sizeof(f));
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--journal") == 0 && i + 1 < argc)
			jpath = argv[++i];
		else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc)
			hold = atof(argv[++i]);
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else if (strcmp(argv[i], "--park") == 0)
			park = 1;
		else if (strcmp(argv[i], "--probe") == 0 && i + 1 < argc)
			probe = 1, rc = mt_params_parse(pops->base.options, argv[++i], 1, &pp, err);
		else
			return mt_err(err, MT_EINVAL, "fault: unknown option %s", argv[i]);
	}
	for (; i < argc && nf < MAXF; i++, nf++) {
		char kind[64];
		const char *sp = strchr(argv[i], ' ');
		size_t kl = sp ? (size_t)(sp - argv[i]) : strlen(argv[i]);

		snprintf(kind, sizeof(kind), "%.*s", (int)kl, argv[i]);
		f[nf].ops = mt_find_fault(kind);
		if (!f[nf].ops)
			return mt_err(err, MT_EINVAL, "no fault '%s'", kind);
		rc = mt_params_parse(f[nf].ops->base.options, sp ? sp + 1 : "", 1, &f[nf].p, err);
		if (rc < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	if (!nf)
		return mt_err(err, MT_EINVAL, "fault: no SPEC");
	if ((rc = mt_journal_open(jpath, &j, err)) < 0 || (rc = mt_loop_new(&loop, err)) < 0)
		goto out;
	cell = mt_run_add_cell(&run, "ceph_tool");
	ctx = (struct mt_ctx){ .loop = loop, .journal = j, .host = &host, .result = cell,
			       .t0_ns = now_ns(), .seed = 42, .cell_name = "ceph_tool",
			       .phases = &ph };
	mt_journal_set_t0(j, ctx.t0_ns);
	first = mt_journal_last_id(j) + 1;
	if (!park && (rc = connect_cluster(&c, err)) < 0)
		goto out;
	if (probe) {
		rc = pops->start(&pp, &ctx, &pstate, err);
		if (rc < 0)
			goto out;
		mt_loop_run(loop, now_ns() + 1500 * MT_NS_PER_MS, err); /* a baseline sample */
	}
	t_apply = now_ns();
	for (i = 0; i < nf; i++) {
		rc = f[i].ops->apply(&f[i].p, &ctx, &f[i].state, err);
		if (rc < 0) {
			struct mt_error uerr = { 0 };
			mt_journal_undo_range(j, first, mt_journal_last_id(j), NULL, NULL, NULL,
					      &uerr);
			goto out;
		}
	}
	if (park) {
		printf("applied\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	while (t_effect < 0 && now_ns() - t_apply < 30 * MT_NS_PER_S) {
		int e = effect_seen(c, expect, err);
		if (e < 0) {
			rc = err->code;
			break;
		}
		if (e)
			t_effect = now_ns();
		else
			usleep(100000);
	}
	/* The fault holds for S seconds from when it was seen to take effect (the monitors
	 * commit a change up to ~1 s after the command: paxos propose interval). */
	if (hold > 0)
		mt_loop_run(loop, (t_effect > 0 ? t_effect : t_apply) + (int64_t)(hold * 1e9), err);
	for (i = nf - 1; i >= 0; i--) {
		if (f[i].ops->collect)
			f[i].ops->collect(f[i].state, &ctx, err);
		if (f[i].ops->release)
			f[i].ops->release(f[i].state);
		f[i].state = NULL;
	}
	t_undo = now_ns();
	/* what the runner's timeline records when a fault goes off (the probe times from it) */
	mt_cell_add_event(cell, t_undo - ctx.t0_ns, t_undo - ctx.t0_ns, "fault.off tool", NULL, 0);
	rc = mt_journal_undo_range(j, first, mt_journal_last_id(j), NULL, &undone, &failed, err);
	t_undone = now_ns();
	if (rc == 0)
		rc = mt_ceph_wait(c, MT_CEPH_WAIT_HEALTH_OK, 120 * MT_NS_PER_S, &waited, err);
	if (probe) {
		struct mt_error perr = { 0 };

		mt_loop_run(loop, now_ns() + 1500 * MT_NS_PER_MS, &perr);
		pops->stop(pstate, &ctx, &perr);
		pops->collect(pstate, &ctx, &perr);
		pops->release(pstate);
		pstate = NULL;
		for (size_t k = 0; k < cell->nseries; k++)
			fprintf(stderr, "series %s: %zu samples\n", cell->series[k].name,
				cell->series[k].n);
	}
	/* Undo ends with 2 s of confirmed active+clean (mt_ceph_wait's settle window): the
	 * cluster was clean when that window began. HEALTH_OK is then timed the same way. */
	{
		double undo_ms = (double)(t_undone - t_undo) / 1e6;
		double clean_ms = undo_ms >= 2000 ? undo_ms - 2000 : undo_ms;

		printf("{\"apply_to_effect_ms\":%.0f,\"undo_ms\":%.0f,\"undo_to_clean_ms\":%.0f,"
		       "\"undo_to_health_ok_ms\":%.0f,\"undone\":%u,\"failed\":%u",
		       t_effect < 0 ? -1.0 : (double)(t_effect - t_apply) / 1e6, undo_ms, clean_ms,
		       clean_ms + (double)waited / 1e6, undone, failed);
	}
	for (size_t m = 0; m < cell->nmetrics; m++)
		if (cell->metrics[m].kind == MT_METRIC_NUM)
			printf(",\"%s\":%g", cell->metrics[m].path, cell->metrics[m].num);
	printf(",\"events\":%zu}\n", cell->nevents);
	if (rc == 0 && t_effect < 0 && strcmp(expect, "none") != 0)
		rc = mt_err(err, MT_EINFRA, "effect %s not seen within 30 s", expect);
out:
	for (i = 0; i < nf; i++) {
		if (f[i].state && f[i].ops->release)
			f[i].ops->release(f[i].state);
		mt_params_free(&f[i].p);
	}
	if (pstate)
		pops->release(pstate);
	mt_params_free(&pp);
	mt_ceph_close(c);
	mt_loop_free(loop);
	mt_journal_close(j);
	mt_run_result_free(&run);
	return rc;
}

int main(int argc, char **argv)
{
	struct mt_error err = { 0 };
	int i = 1, rc;

	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		if (strcmp(argv[i], "--conf") == 0)
			conf = argv[i + 1];
		else if (strcmp(argv[i], "--keyring") == 0)
			keyring = argv[i + 1];
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: ceph_tool [--conf C --keyring K] state|wait-ok S|epoch|maps FROM|fault ...\n");
		return 2;
	}
	if (strcmp(argv[i], "state") == 0)
		rc = cmd_state(&err);
	else if (strcmp(argv[i], "wait-ok") == 0 && i + 1 < argc)
		rc = cmd_wait_ok(atoi(argv[i + 1]), &err);
	else if (strcmp(argv[i], "epoch") == 0)
		rc = cmd_maps(0, 1, &err);
	else if (strcmp(argv[i], "maps") == 0 && i + 1 < argc)
		rc = cmd_maps(atol(argv[i + 1]), 0, &err);
	else if (strcmp(argv[i], "fault") == 0)
		rc = cmd_fault(argc - i - 1, argv + i + 1, &err);
	else
		rc = mt_err(&err, MT_EINVAL, "unknown command %s", argv[i]);
	if (rc < 0) {
		fprintf(stderr, "ceph_tool: %s\n", err.msg);
		return mt_err_exit_status(rc);
	}
	return 0;
}
