/* osd.c — the Ceph OSD faults: osd-down, osd-out, osd-in, osd-flag, osd-stop, osd-kill.
 *
 * All talk to the monitors through librados (migtorture/ceph.h), never the `ceph` CLI. Each
 * apply reads the cluster first (so a nonexistent OSD or a min_in violation is refused before
 * anything changes), journals an undo record of idempotent restore steps, then acts and checks
 * the monitor's status text as well as its return code. Undo (osd_common.c) restores
 * processes, in/out, noup and flags, then waits for every PG active+clean (wait_clean).
 *
 * osd-stop / osd-kill: mode=lab signals the daemon whose pid file the lab descriptor
 * (lab/ceph/ceph-status --json) names — SIGSTOP (undo: SIGCONT) or SIGKILL (undo: start it
 * again with the descriptor's start_argv). mode=cephadm asks the orchestrator through the mgr
 * (`orch daemon stop|start osd.N`); that path is untested here (no cephadm cluster).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osd_common.h"

#include "migtorture/units.h"

#define OSD_ID { "id", MT_OPT_INT, NULL, "OSD id", NULL, 0, 1000000, MT_OPTF_REQUIRED }
#define OSD_MIN_IN { "min_in", MT_OPT_INT, "2", \
	"refuse when fewer OSDs than this would stay up and in", NULL, 0, 1000000, 0 }

static const char *const modes[] = { "lab", "cephadm", NULL };
static const char *const flags[] = { "noout", "noup", "nodown", "noin", "pause", "norecover",
				     "nobackfill", NULL };

static const struct mt_option down_opts[] = {
	OSD_ID, OSD_MIN_IN,
	{ "hold", MT_OPT_BOOL, "no", "keep it down until undo (osd add-noup); otherwise the "
	  "OSD marks itself up again within seconds", NULL, 0, 0, 0 },
	MT_OSD_COMMON_OPTIONS, MT_OPTION_END
};
static const struct mt_option out_opts[] = { OSD_ID, OSD_MIN_IN, MT_OSD_COMMON_OPTIONS,
					     MT_OPTION_END };
static const struct mt_option in_opts[] = { OSD_ID, MT_OSD_COMMON_OPTIONS, MT_OPTION_END };
static const struct mt_option flag_opts[] = {
	{ "flag", MT_OPT_ENUM, NULL, "cluster flag to set (pause blocks all client I/O)", flags,
	  0, 0, MT_OPTF_REQUIRED },
	MT_OSD_COMMON_OPTIONS, MT_OPTION_END
};
static const struct mt_option proc_opts[] = {
	OSD_ID, OSD_MIN_IN,
	{ "mode", MT_OPT_ENUM, "lab", "lab: signal the daemon's pid from the descriptor; "
	  "cephadm: orch daemon stop/start through the mgr (untested)", modes, 0, 0, 0 },
	MT_OSD_COMMON_OPTIONS, MT_OPTION_END
};

enum osd_kind { K_DOWN, K_OUT, K_IN, K_FLAG, K_STOP, K_KILL };

static const char *kind_name(enum osd_kind k)
{
	static const char *const n[] = { "osd-down", "osd-out", "osd-in", "osd-flag",
					 "osd-stop", "osd-kill" };
	return n[k];
}

static int supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
		     size_t whylen)
{
	/* Only whether there is a cluster to talk to: connecting here would cost a timeout
	 * per cell; apply reports an unreachable cluster as an infrastructure error. */
	const struct mt_value *mode = mt_params_get(p, "mode");

	return mt_osd_where(p, mode && strcmp(mode->text, "lab") == 0, why, whylen);
}

/* The action itself, once journalled. */
static int act(enum osd_kind k, const struct mt_params *p, const struct mt_osd_conn *cn,
	       struct mt_ceph *c, int id, int pid, struct mt_error *err)
{
	static const char *const down_ok[] = { "marked down", "is already down", NULL };
	static const char *const out_ok[] = { "marked out", "is already out", NULL };
	static const char *const in_ok[] = { "marked in", "is already in", NULL };
	int rc;

	switch (k) {
	case K_DOWN:
		if (mt_param_i64(p, "hold")) {
			rc = mt_osd_cmd_ids(c, "osd add-noup", id, NULL, err);
			if (rc < 0)
				return rc;
		}
		return mt_osd_cmd_ids(c, "osd down", id, down_ok, err);
	case K_OUT:
		return mt_osd_cmd_ids(c, "osd out", id, out_ok, err);
	case K_IN:
		return mt_osd_cmd_ids(c, "osd in", id, in_ok, err);
	case K_FLAG:
		return mt_osd_cmd_flag(c, "osd set", mt_param_str(p, "flag"), err);
	case K_STOP:
	case K_KILL:
		if (strcmp(mt_param_str(p, "mode"), "cephadm") == 0) {
			char cmd[160], *outs = NULL;

			snprintf(cmd, sizeof(cmd), "{\"prefix\":\"orch daemon\",\"action\":"
				 "\"stop\",\"name\":\"osd.%d\"}", id);
			rc = mt_ceph_command(c, 1, cmd, NULL, &outs, err);
			free(outs);
			return rc;
		}
		if (kill(pid, k == K_STOP ? SIGSTOP : SIGKILL) < 0)
			return mt_err(err, MT_EINFRA, "%s: signal osd.%d (pid %d): %m",
				      kind_name(k), id, pid);
		return 0;
	}
	return mt_err(err, MT_EINVAL, "osd: unknown fault");
}

static int apply_kind(enum osd_kind k, const struct mt_params *p, struct mt_ctx *ctx,
		      void **state, struct mt_error *err)
{
	struct mt_osd_conn cn;
	struct mt_ceph *c = NULL;
	struct mt_ceph_state st;
	struct mt_error uerr = { 0 };
	cJSON *undo = NULL, *steps = NULL;
	char *undo_txt = NULL;
	int id = k == K_FLAG ? -1 : (int)mt_param_i64(p, "id"), pid = 0, rc;
	/* mode is osd-stop/osd-kill's only: other kinds' tables lack it. */
	int cephadm = (k == K_STOP || k == K_KILL) &&
		      strcmp(mt_param_str(p, "mode"), "cephadm") == 0;
	unsigned long long stime = 0;
	uint64_t jid = 0;
	const char *name = kind_name(k);

	*state = NULL;
	mt_osd_conn_from_params(p, &cn);
	rc = mt_osd_connect(&cn, &c, err);
	if (rc < 0)
		goto out;
	rc = mt_ceph_state(c, &st, err);
	if (rc < 0)
		goto out;
	if (k != K_FLAG && (rc = mt_osd_check_exists(&st, id, err)) < 0)
		goto out;
	if ((k == K_DOWN || k == K_OUT || k == K_STOP || k == K_KILL) &&
	    (rc = mt_osd_check_min_in(&st, id, (int)mt_param_i64(p, "min_in"), name,
				      err)) < 0)
		goto out;
	if ((k == K_STOP || k == K_KILL) && !cephadm) {
		rc = mt_osd_lab_pid(cn.desc, id, &pid, &stime, err);
		if (rc < 0)
			goto out;
		if (pid <= 0) {
			rc = mt_err(err, MT_EINFRA, "%s: osd.%d is not running here (pid file of "
				    "%s)", name, id, cn.desc);
			goto out;
		}
	}
	/* The undo record: what to restore, from the state read above. */
	undo = mt_osd_undo_new(name, &cn, &steps);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	{
		int i = k == K_FLAG ? -1 : mt_ceph_osd_index(&st, id);

		switch (k) {
		case K_DOWN:
			if (mt_param_i64(p, "hold"))
				mt_osd_step_osd(steps, "rm-noup", id);
			break;
		case K_OUT:
			if (st.osds[i].in)
				mt_osd_step_osd(steps, "in", id);
			break;
		case K_IN:
			if (!st.osds[i].in)
				mt_osd_step_osd(steps, "out", id);
			break;
		case K_FLAG:
			if (!mt_ceph_flag_set(&st, mt_param_str(p, "flag")))
				mt_osd_step_unset(steps, mt_param_str(p, "flag"));
			break;
		case K_STOP:
			if (cephadm)
				mt_osd_step_orch_start(steps, id);
			else
				mt_osd_step_cont(steps, pid, stime);
			break;
		case K_KILL:
			if (cephadm)
				mt_osd_step_orch_start(steps, id);
			else if ((rc = mt_osd_step_revive(steps, cn.desc, id, err)) < 0)
				goto out;
			break;
		}
	}
	undo_txt = cJSON_PrintUnformatted(undo);
	rc = mt_osd_journal(ctx, name, undo, &jid, err);
	undo = NULL;
	if (rc < 0)
		goto out;
	rc = act(k, p, &cn, c, id, pid, err);
	if (rc < 0) {
		mt_err_prefix(err, "%s", name);
		/* Take back whatever half happened; close the entry only if that worked. */
		if (undo_txt && mt_osd_undo_run(undo_txt, &uerr) == 0)
			mt_journal_end(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, 0, &uerr);
		goto out;
	}
	rc = mt_journal_applied(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, err);
out:
	cJSON_Delete(undo);
	free(undo_txt);
	mt_ceph_close(c);
	return rc;
}

static int undo(const char *undo_json, struct mt_error *err)
{
	return mt_osd_undo_run(undo_json, err);
}

#define OSD_FAULT(sym, K, nm, opts, sum) \
	static int apply_##sym(const struct mt_params *p, struct mt_ctx *ctx, void **state, \
			       struct mt_error *err) \
	{ \
		return apply_kind(K, p, ctx, state, err); \
	} \
	const struct mt_fault_ops mt_fault_##sym = { \
		.base = { .name = nm, .summary = sum, .options = opts, .supported = supported }, \
		.apply = apply_##sym, .undo = undo, .undo_nowait = mt_osd_undo_nowait, \
		.settle = mt_osd_settle, \
	};

OSD_FAULT(osd_down, K_DOWN, "osd-down", down_opts,
	  "mark a Ceph OSD down (librados; hold=yes keeps it down until undo)")
OSD_FAULT(osd_out, K_OUT, "osd-out", out_opts,
	  "mark a Ceph OSD out (data moves away); undo marks it in and waits for active+clean")
OSD_FAULT(osd_in, K_IN, "osd-in", in_opts,
	  "mark a Ceph OSD in; undo marks it out again if it was out")
OSD_FAULT(osd_flag, K_FLAG, "osd-flag", flag_opts,
	  "set a Ceph OSD map flag (noout, noup, nodown, noin, pause, norecover, nobackfill)")
OSD_FAULT(osd_stop, K_STOP, "osd-stop", proc_opts,
	  "SIGSTOP a Ceph OSD daemon (lab) or orch daemon stop (cephadm); undo resumes it")
OSD_FAULT(osd_kill, K_KILL, "osd-kill", proc_opts,
	  "SIGKILL a Ceph OSD daemon (lab) or orch daemon stop (cephadm); undo restarts it")
