/* process.c — the process faults: process-pause (SIGSTOP for the fault's duration, SIGCONT on
 * undo) and process-kill (one signal, not undone).
 *
 * The target is a role resolved on the fault's host, or a pid file (process_target.h): never a
 * pid from the scenario. Each apply journals the pid with its start time before it signals,
 * and undo resumes that pid only while its start time is the journalled one, so `recover`
 * after a SIGKILLed runner resumes a paused daemon and never signals a process that has taken
 * its pid since. The safety rules and what recover does are in docs/faults.md.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "process_target.h"

/* signal=: names and numbers, one table; the option's choices are its names. */
static const char *const sig_names[] = { "KILL", "TERM", "INT", "HUP", "QUIT", "ABRT",
					 "USR1", "USR2", NULL };
static const int sig_nums[] = { SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT,
				SIGUSR1, SIGUSR2 };

#define TARGET_OPTIONS \
	{ "role", MT_OPT_ENUM, "pidfile", "which process: pidfile = the pid in pidfile=; qemu = " \
	  "the QEMU of the domain (-name guest=DOMAIN); libvirtd = virtqemud or libvirtd; roles " \
	  "are looked up in the host's network namespace", mt_proc_role_names, 0, 0, 0 }, \
	{ "pidfile", MT_OPT_STR, NULL, "absolute path of a file holding the pid (role=pidfile)", \
	  NULL, 0, 0, 0 }, \
	{ "domain", MT_OPT_STR, NULL, "domain whose QEMU role=qemu names (default: the cell's " \
	  "domain; needed on ssh hosts)", NULL, 0, 0, 0 }

static const struct mt_option pause_options[] = { TARGET_OPTIONS, MT_OPTION_END };
static const struct mt_option kill_options[] = {
	TARGET_OPTIONS,
	{ "signal", MT_OPT_ENUM, "KILL", "signal to send, by name without SIG", sig_names, 0, 0,
	  0 },
	MT_OPTION_END
};

/* What collect reports. */
struct proc_state {
	const char *fault;
	char target[96];
	int pid;
	const char *signal;
	int64_t t_ns; /* when it was signalled, since the cell's t0 */
};

static int signal_of(const char *name)
{
	for (size_t i = 0; name && sig_names[i]; i++)
		if (strcmp(sig_names[i], name) == 0)
			return sig_nums[i];
	return 0;
}

static int target_check(const struct mt_params *p, struct mt_error *err)
{
	int role = mt_proc_role_parse(mt_param_str(p, "role"));
	const char *pf = mt_param_str(p, "pidfile");
	const char *dom = mt_param_str(p, "domain");

	if (role == MT_PROC_PIDFILE && !pf)
		return mt_err(err, MT_EINVAL, "key 'pidfile': role=pidfile needs pidfile=PATH (a "
			      "pid= is not taken: the target is resolved on the host)");
	if (role != MT_PROC_PIDFILE && pf)
		return mt_err(err, MT_EINVAL, "key 'pidfile': only with role=pidfile");
	if (pf && pf[0] != '/')
		return mt_err(err, MT_EINVAL, "key 'pidfile': '%s' is not an absolute path", pf);
	if (dom && role != MT_PROC_QEMU)
		return mt_err(err, MT_EINVAL, "key 'domain': only with role=qemu");
	if (dom && !mt_proc_domain_ok(dom))
		return mt_err(err, MT_EINVAL, "key 'domain': '%s' is not a domain name (letters, "
			      "digits, . _ -)", dom);
	return 0;
}

static void target_of(const struct mt_params *p, const struct mt_ctx *ctx,
		      struct mt_proc_target *t)
{
	t->role = (enum mt_proc_role)mt_proc_role_parse(mt_param_str(p, "role"));
	t->pidfile = mt_param_str(p, "pidfile");
	t->domain = mt_params_str(p, "domain", ctx ? ctx->domain : NULL);
}

/* Resolution needs /proc of the host: every Linux has it; the target is looked up at apply. */
static int proc_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			  size_t whylen)
{
	(void)p;
	(void)ctx;
	if (access("/proc/self/stat", R_OK) != 0) {
		snprintf(why, whylen, "no /proc on this host");
		return MT_EUNSUPPORTED;
	}
	return 0;
}

/* The undo record: the target's description, its pid and start time, the signal sent. */
static char *undo_record(const char *fault, const struct mt_proc_target *t, int pid,
			 unsigned long long start, const char *signame)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o && cJSON_AddNumberToObject(o, "v", 1) && cJSON_AddStringToObject(o, "fault", fault) &&
	    cJSON_AddStringToObject(o, "role", mt_proc_role_names[t->role]) &&
	    (t->role != MT_PROC_PIDFILE || cJSON_AddStringToObject(o, "pidfile", t->pidfile)) &&
	    (t->role != MT_PROC_QEMU || cJSON_AddStringToObject(o, "domain", t->domain)) &&
	    cJSON_AddNumberToObject(o, "pid", pid) &&
	    cJSON_AddNumberToObject(o, "start_time", (double)start) &&
	    cJSON_AddStringToObject(o, "signal", signame))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Waits up to 1 s for pid to show as stopped, so "applied" is when it really was. */
static void wait_stopped(int pid, unsigned long long start)
{
	for (int i = 0; i < 100; i++) {
		char st = mt_proc_state(pid, start);

		if (st == 0 || st == 'T' || st == 't')
			return;
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
}

static int apply_signal(const char *fault, int sig, const char *signame,
			const struct mt_params *p, struct mt_ctx *ctx, void **state,
			struct mt_error *err)
{
	struct mt_proc_target t;
	struct proc_state *s = NULL;
	struct mt_error uerr = { 0 };
	unsigned long long start = 0;
	char *undo = NULL;
	uint64_t jid = 0;
	int pid = 0, rc;

	*state = NULL;
	target_of(p, ctx, &t);
	rc = mt_proc_resolve(&t, &pid, &start, err);
	if (rc < 0)
		goto out;
	s = calloc(1, sizeof(*s));
	undo = undo_record(fault, &t, pid, start, signame);
	if (!s || !undo) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
		goto out;
	}
	s->fault = fault;
	s->pid = pid;
	s->signal = signame;
	mt_proc_target_text(&t, s->target, sizeof(s->target));
	rc = mt_journal_begin(ctx->journal, fault, ctx->host, undo, &jid, err);
	if (rc < 0)
		goto out;
	/* Checked again right before the signal: between the lookup and now the pid may have
	 * ended and been reused. */
	if (!mt_proc_is_target(&t, pid, start)) {
		rc = mt_err(err, MT_ENOTFOUND, "%s: %s (pid %d) ended before it was signalled",
			    fault, s->target, pid);
		mt_journal_end(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, 0, &uerr);
		goto out;
	}
	if (kill(pid, sig) < 0) {
		rc = mt_err(err, MT_EINFRA, "%s: SIG%s to %s (pid %d): %s", fault, signame,
			    s->target, pid, strerror(errno));
		/* Nothing was signalled: the entry is closed as undone. */
		mt_journal_end(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, 0, &uerr);
		goto out;
	}
	if (sig == SIGSTOP)
		wait_stopped(pid, start);
	s->t_ns = mt_now_ns() - ctx->t0_ns;
	rc = mt_journal_applied(ctx->journal, jid, s->t_ns, err);
	if (rc == 0) {
		*state = s;
		s = NULL;
	}
out:
	free(s);
	free(undo);
	return rc;
}

static int pause_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		       struct mt_error *err)
{
	return apply_signal("process-pause", SIGSTOP, "STOP", p, ctx, state, err);
}

static int kill_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	const char *name = mt_param_str(p, "signal");
	int sig = signal_of(name);
	size_t i = 0;

	if (!sig)
		return mt_err(err, MT_EINVAL, "process-kill: key 'signal': unknown signal '%s'",
			      name ? name : "");
	/* The table's own string outlives the params (state keeps it). */
	while (strcmp(sig_names[i], name) != 0)
		i++;
	return apply_signal("process-kill", sig, sig_names[i], p, ctx, state, err);
}

/* A pid and start time of the record, checked: never converted from a NaN or a huge number. */
static int record_pid(const cJSON *u, int *pid, unsigned long long *start)
{
	double pv = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, "pid"));
	double sv = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, "start_time"));

	if (!(pv > 1 && pv <= INT_MAX) || pv != floor(pv) || !(sv > 0 && sv < 9007199254740992.0))
		return MT_EINVAL;
	*pid = (int)pv;
	*start = (unsigned long long)sv;
	return 0;
}

int mt_process_record_parse(const char *undo_json, struct mt_proc_target *t, int *pid,
			    unsigned long long *start, char *buf, size_t len)
{
	cJSON *u = cJSON_Parse(undo_json);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(u, "role");
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(u, "pidfile");
	const cJSON *dom = cJSON_GetObjectItemCaseSensitive(u, "domain");
	int role = cJSON_IsString(r) ? mt_proc_role_parse(r->valuestring) : -1, rc = MT_EINVAL;

	memset(t, 0, sizeof(*t));
	if (!cJSON_IsObject(u) || role < 0 || record_pid(u, pid, start) < 0)
		goto out;
	t->role = (enum mt_proc_role)role;
	if (role == MT_PROC_PIDFILE) {
		if (!cJSON_IsString(pf) || pf->valuestring[0] != '/' ||
		    strlen(pf->valuestring) >= len)
			goto out;
		snprintf(buf, len, "%s", pf->valuestring);
		t->pidfile = buf;
	} else if (role == MT_PROC_QEMU) {
		if (!cJSON_IsString(dom) || !mt_proc_domain_ok(dom->valuestring) ||
		    strlen(dom->valuestring) >= len)
			goto out;
		snprintf(buf, len, "%s", dom->valuestring);
		t->domain = buf;
	}
	rc = 0;
out:
	cJSON_Delete(u);
	return rc;
}

/* Resumes the journalled pid while it is still that process (same start time) and one that
 * may be signalled. Gone or recycled: nothing to resume, success. */
static int pause_undo(const char *undo_json, struct mt_error *err)
{
	struct mt_proc_target t;
	struct mt_error serr = { 0 };
	unsigned long long start = 0;
	char buf[PATH_MAX];
	int pid = 0;

	if (mt_process_record_parse(undo_json, &t, &pid, &start, buf, sizeof(buf)) < 0)
		return mt_err(err, MT_EINVAL, "process-pause: bad undo record");
	if (mt_proc_start_time(pid) != start)
		return 0;
	if (mt_proc_safe(pid, &serr) < 0)
		return mt_err(err, MT_EINVAL, "process-pause undo: %s", serr.msg);
	if (kill(pid, SIGCONT) < 0 && errno != ESRCH)
		return mt_err(err, MT_EINFRA, "process-pause undo: SIGCONT %d: %s", pid,
			      strerror(errno));
	return 0;
}

/* A signal cannot be taken back, and the process is not restarted here: the entry closes. */
static int kill_undo(const char *undo_json, struct mt_error *err)
{
	struct mt_proc_target t;
	unsigned long long start = 0;
	char buf[PATH_MAX];
	int pid = 0;

	if (mt_process_record_parse(undo_json, &t, &pid, &start, buf, sizeof(buf)) < 0)
		return mt_err(err, MT_EINVAL, "process-kill: bad undo record");
	return 0;
}

/* Metrics fault.<fault>.<role>.pid / .t_ms / .signal, and one event at the signal. */
static int proc_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct proc_state *s = state;
	char path[128], role[16], what[192];

	(void)err;
	if (!s || !ctx->result)
		return 0;
	snprintf(role, sizeof(role), "%.*s", (int)strcspn(s->target, " "), s->target);
	snprintf(path, sizeof(path), "fault.%s.%s.pid", s->fault, role);
	mt_cell_set_num(ctx->result, path, s->pid);
	snprintf(path, sizeof(path), "fault.%s.%s.t_ms", s->fault, role);
	mt_cell_set_num(ctx->result, path, (double)s->t_ns / 1e6);
	snprintf(path, sizeof(path), "fault.%s.%s.signal", s->fault, role);
	mt_cell_set_str(ctx->result, path, s->signal);
	snprintf(what, sizeof(what), "fault.%s SIG%s %s pid %d", s->fault, s->signal, s->target,
		 s->pid);
	mt_cell_add_event(ctx->result, s->t_ns, s->t_ns, what, NULL, 0);
	return 0;
}

static void proc_release(void *state)
{
	free(state);
}

const struct mt_fault_ops mt_fault_process_pause = {
	.base.name = "process-pause",
	.base.summary = "SIGSTOP a process (qemu, libvirtd or a pid file's) for the fault's "
			"duration; undo: SIGCONT",
	.base.options = pause_options,
	.base.check = target_check,
	.base.supported = proc_supported,
	.apply = pause_apply,
	.undo = pause_undo,
	.collect = proc_collect,
	.release = proc_release,
};

const struct mt_fault_ops mt_fault_process_kill = {
	.base.name = "process-kill",
	.base.summary = "send a signal (KILL by default) to a process (qemu, libvirtd or a pid "
			"file's); not undone, nothing is restarted",
	.base.options = kill_options,
	.base.check = target_check,
	.base.supported = proc_supported,
	.apply = kill_apply,
	.undo = kill_undo,
	.collect = proc_collect,
	.release = proc_release,
};
