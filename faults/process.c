/* process.c — the process faults: process-pause (SIGSTOP for the fault's duration, SIGCONT on
 * undo), process-kill (one signal; undo starts a killed daemon again) and service-restart (the
 * daemon stopped for the fault's duration, started on undo).
 *
 * The target is a role resolved on the fault's host, or a pid file (process_target.h): never a
 * pid from the scenario. Each apply journals the pid with its start time, and the daemon's start
 * recipe (service.h), before it signals; undo resumes that pid only while its start time is the
 * journalled one, and starts a daemon only by its recipe and only when none of its role runs,
 * so `recover` after a SIGKILLed runner resumes a paused daemon or starts a stopped one and
 * never signals a process that has taken its pid since. docs/faults.md has the rules.
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
	  "the QEMU of the domain (-name guest=DOMAIN); libvirtd = virtqemud or libvirtd; the " \
	  "other daemons by their command name (neutron-linuxbridge-agent: neutron-linuxbr, " \
	  "rabbitmq: beam.smp running rabbit, mariadb: mariadbd or mysqld); unit = the main " \
	  "process of the systemd service unit=. Roles are looked up in the host's network " \
	  "namespace", mt_proc_role_names, 0, 0, 0 }, \
	{ "pidfile", MT_OPT_STR, NULL, "absolute path of a file holding the pid (role=pidfile)", \
	  NULL, 0, 0, 0 }, \
	{ "domain", MT_OPT_STR, NULL, "domain whose QEMU role=qemu names (default: the cell's " \
	  "domain; needed on ssh hosts)", NULL, 0, 0, 0 }, \
	{ "id", MT_OPT_STR, NULL, "role ceph-mon or ceph-osd: the daemon's id (--id ID on its " \
	  "command line), when the host runs several", NULL, 0, 0, 0 }, \
	{ "unit", MT_OPT_STR, NULL, "role=unit: the systemd service (NAME.service)", NULL, 0, 0, \
	  0 }

static const struct mt_option pause_options[] = { TARGET_OPTIONS, MT_OPTION_END };
static const struct mt_option restart_options[] = {
	TARGET_OPTIONS,
	{ "stop_timeout", MT_OPT_DURATION, "10s", "after SIGTERM, how long the daemon may take to "
	  "exit before SIGKILL (systemd: its own stop timeout applies)", NULL, 0.1e9, 300e9, 0 },
	MT_OPTION_END
};
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
	char recipe[192]; /* the start recipe's text ("none" for a QEMU) */
	int pid;
	const char *signal;
	int64_t t_ns; /* when it was signalled (service-restart: when it had exited), since t0 */
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
	const char *id = mt_param_str(p, "id");
	const char *unit = mt_param_str(p, "unit");

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
	if (id && (role < 0 || !mt_proc_role_has_id((enum mt_proc_role)role)))
		return mt_err(err, MT_EINVAL, "key 'id': only with role=ceph-mon or ceph-osd");
	if (id && !mt_proc_id_ok(id))
		return mt_err(err, MT_EINVAL, "key 'id': '%s' is not a Ceph daemon id (letters, "
			      "digits, . _ -)", id);
	if (role == MT_PROC_UNIT && !unit)
		return mt_err(err, MT_EINVAL, "key 'unit': role=unit needs unit=NAME.service");
	if (unit && role != MT_PROC_UNIT)
		return mt_err(err, MT_EINVAL, "key 'unit': only with role=unit");
	if (unit && !mt_proc_unit_ok(unit))
		return mt_err(err, MT_EINVAL, "key 'unit': '%s' is not a systemd service name "
			      "(NAME.service)", unit);
	return 0;
}

/* service-restart: a daemon, something its host can start again. */
static int restart_check(const struct mt_params *p, struct mt_error *err)
{
	int role = mt_proc_role_parse(mt_param_str(p, "role"));

	if (role == MT_PROC_QEMU)
		return mt_err(err, MT_EINVAL, "key 'role': a QEMU is not a service (libvirt starts "
			      "domains): use process-kill role=qemu");
	return target_check(p, err);
}

static void target_of(const struct mt_params *p, const struct mt_ctx *ctx,
		      struct mt_proc_target *t)
{
	t->role = (enum mt_proc_role)mt_proc_role_parse(mt_param_str(p, "role"));
	t->pidfile = mt_param_str(p, "pidfile");
	t->domain = t->role == MT_PROC_QEMU ? mt_params_str(p, "domain", ctx ? ctx->domain : NULL)
					     : NULL;
	t->id = mt_param_str(p, "id");
	t->unit = mt_param_str(p, "unit");
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

void mt_process_record_target(struct mt_proc_record *r, const struct mt_proc_target *t)
{
	r->t.role = t->role;
	r->t.pidfile = r->t.domain = r->t.id = r->t.unit = NULL;
	if (t->pidfile)
		r->t.pidfile = strncpy(r->pidfile, t->pidfile, sizeof(r->pidfile) - 1);
	if (t->domain)
		r->t.domain = strncpy(r->domain, t->domain, sizeof(r->domain) - 1);
	if (t->id)
		r->t.id = strncpy(r->id, t->id, sizeof(r->id) - 1);
	if (t->unit)
		r->t.unit = strncpy(r->unit, t->unit, sizeof(r->unit) - 1);
}

char *mt_process_record_json(const struct mt_proc_record *r)
{
	const struct mt_proc_target *t = &r->t;
	const struct mt_service_recipe *rc = &r->recipe;
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o && cJSON_AddNumberToObject(o, "v", 1) && cJSON_AddStringToObject(o, "fault", r->fault) &&
	    cJSON_AddStringToObject(o, "role", mt_proc_role_names[t->role]) &&
	    (!t->pidfile || cJSON_AddStringToObject(o, "pidfile", t->pidfile)) &&
	    (!t->domain || cJSON_AddStringToObject(o, "domain", t->domain)) &&
	    (!t->id || cJSON_AddStringToObject(o, "id", t->id)) &&
	    (!t->unit || cJSON_AddStringToObject(o, "unit", t->unit)) &&
	    cJSON_AddNumberToObject(o, "pid", r->pid) &&
	    cJSON_AddNumberToObject(o, "start_time", (double)r->start) &&
	    cJSON_AddStringToObject(o, "signal", r->signal) &&
	    cJSON_AddStringToObject(o, "recipe", mt_recipe_kind_name(rc->kind)) &&
	    (rc->kind == MT_RECIPE_NONE || cJSON_AddStringToObject(o, "service", rc->name)) &&
	    (rc->kind != MT_RECIPE_LAB || cJSON_AddStringToObject(o, "lab_host", rc->host)))
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

/* Waits until pid (with start) has exited, up to timeout_ns; 1 when it has. */
static int wait_gone(int pid, unsigned long long start, int64_t timeout_ns)
{
	int64_t end = mt_now_ns() + timeout_ns;

	for (;;) {
		char st = mt_proc_state(pid, start);

		if (st == 0 || st == 'Z' || st == 'X')
			return 1;
		if (mt_now_ns() > end)
			return 0;
		nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
	}
}

/* service-restart's stop: `systemctl stop` for a unit, else SIGTERM and, after stop_timeout,
 * SIGKILL; returns once the pid is gone. */
static int stop_daemon(const struct mt_proc_record *r, int64_t stop_timeout_ns, char *signame,
		       size_t len, struct mt_error *err)
{
	char what[96];
	int rc = mt_service_stop(&r->recipe, err);

	mt_proc_target_text(&r->t, what, sizeof(what));
	if (rc == MT_EUNSUPPORTED) {
		snprintf(signame, len, "TERM");
		if (kill(r->pid, SIGTERM) < 0 && errno != ESRCH)
			return mt_err(err, MT_EINFRA, "service-restart: SIGTERM to %s (pid %d): %s",
				      what, r->pid, strerror(errno));
		if (!wait_gone(r->pid, r->start, stop_timeout_ns)) {
			snprintf(signame, len, "KILL");
			if (mt_proc_is_target(&r->t, r->pid, r->start))
				kill(r->pid, SIGKILL);
		}
		rc = 0;
	} else {
		snprintf(signame, len, "systemctl stop");
	}
	if (rc == 0 && !wait_gone(r->pid, r->start, 5 * MT_NS_PER_S))
		rc = mt_err(err, MT_EINFRA, "service-restart: %s (pid %d) still runs after it was "
			    "stopped", what, r->pid);
	return rc;
}

/* The fault's one apply: resolve, find the start recipe, journal, act. sig 0 = stop the
 * daemon (service-restart). */
static int apply_signal(const char *fault, int sig, const char *signame,
			const struct mt_params *p, struct mt_ctx *ctx, void **state,
			struct mt_error *err)
{
	struct mt_proc_target t;
	struct mt_proc_record *r = calloc(1, sizeof(*r));
	struct proc_state *s = calloc(1, sizeof(*s));
	struct mt_error uerr = { 0 };
	char *undo = NULL;
	uint64_t jid = 0;
	int rc;

	*state = NULL;
	if (!s || !r) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
		goto out;
	}
	target_of(p, ctx, &t);
	rc = mt_proc_resolve(&t, &r->pid, &r->start, err);
	if (rc < 0)
		goto out;
	snprintf(r->fault, sizeof(r->fault), "%s", fault);
	snprintf(r->signal, sizeof(r->signal), "%s", sig ? signame : "TERM");
	mt_process_record_target(r, &t);
	/* Found before anything is signalled: the way back is known, or nothing is stopped. */
	if (mt_proc_role_is_service(t.role) || t.role == MT_PROC_PIDFILE)
		mt_service_recipe_of(r->pid, &r->recipe);
	if (!mt_proc_recipe_fits(&r->t, &r->recipe))
		memset(&r->recipe, 0, sizeof(r->recipe));
	s->fault = fault;
	s->pid = r->pid;
	s->signal = signame;
	mt_proc_target_text(&t, s->target, sizeof(s->target));
	mt_service_recipe_text(&r->recipe, s->recipe, sizeof(s->recipe));
	if (!sig && r->recipe.kind == MT_RECIPE_NONE) {
		rc = mt_err(err, MT_EUNSUPPORTED, "%s: %s (pid %d) has no start recipe (not a "
			    "systemd service, not a lab daemon): nothing was stopped", fault,
			    s->target, r->pid);
		goto out;
	}
	undo = mt_process_record_json(r);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
		goto out;
	}
	rc = mt_journal_begin(ctx->journal, fault, ctx->host, undo, &jid, err);
	if (rc < 0)
		goto out;
	/* Checked again right before the signal: between the lookup and now the pid may have
	 * ended and been reused. */
	if (!mt_proc_is_target(&t, r->pid, r->start)) {
		rc = mt_err(err, MT_ENOTFOUND, "%s: %s (pid %d) ended before it was signalled",
			    fault, s->target, r->pid);
		mt_journal_end(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, 0, &uerr);
		goto out;
	}
	if (!sig) {
		char how[32];

		rc = stop_daemon(r, mt_param_i64(p, "stop_timeout"), how, sizeof(how),
				 err);
		s->signal = strcmp(how, "KILL") == 0 ? "KILL" : strcmp(how, "TERM") == 0 ? "TERM"
											: "stop";
		if (rc < 0)
			goto out; /* the entry stays open: undo starts what may have stopped */
	} else if (kill(r->pid, sig) < 0) {
		rc = mt_err(err, MT_EINFRA, "%s: SIG%s to %s (pid %d): %s", fault, signame,
			    s->target, r->pid, strerror(errno));
		/* Nothing was signalled: the entry is closed as undone. */
		mt_journal_end(ctx->journal, jid, mt_now_ns() - ctx->t0_ns, 0, &uerr);
		goto out;
	}
	if (sig == SIGSTOP)
		wait_stopped(r->pid, r->start);
	s->t_ns = mt_now_ns() - ctx->t0_ns;
	rc = mt_journal_applied(ctx->journal, jid, s->t_ns, err);
	if (rc == 0) {
		*state = s;
		s = NULL;
	}
out:
	free(s);
	free(r);
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

static int restart_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			 struct mt_error *err)
{
	return apply_signal("service-restart", 0, "TERM", p, ctx, state, err);
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

/* The string field k of u copied into buf (len), or "" when absent; -1 when present but not
 * a string or too long. */
static int record_str(const cJSON *u, const char *k, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, k);

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return -1;
	snprintf(buf, len, "%s", v->valuestring);
	return 0;
}

/* A record's recipe: absent (records written before recipes) or "none" → none; otherwise its
 * fields well formed, and one that may start the record's target (mt_proc_recipe_fits). */
static int record_recipe(const cJSON *u, struct mt_proc_record *r)
{
	char kind[16];
	int k;

	if (record_str(u, "recipe", kind, sizeof(kind)) < 0)
		return -1;
	k = kind[0] ? mt_recipe_kind_parse(kind) : MT_RECIPE_NONE;
	if (k < 0)
		return -1;
	r->recipe.kind = (enum mt_recipe_kind)k;
	if (k == MT_RECIPE_NONE)
		return 0;
	if (record_str(u, "service", r->recipe.name, sizeof(r->recipe.name)) < 0 ||
	    (k == MT_RECIPE_LAB &&
	     record_str(u, "lab_host", r->recipe.host, sizeof(r->recipe.host)) < 0))
		return -1;
	if (!mt_service_recipe_ok(&r->recipe) || !mt_proc_recipe_fits(&r->t, &r->recipe))
		return -1;
	return 0;
}

int mt_process_record_parse(const char *undo_json, struct mt_proc_record *r)
{
	cJSON *u = cJSON_Parse(undo_json);
	const cJSON *rl = cJSON_GetObjectItemCaseSensitive(u, "role");
	int role = cJSON_IsString(rl) ? mt_proc_role_parse(rl->valuestring) : -1, rc = MT_EINVAL;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(u) || role < 0 || record_pid(u, &r->pid, &r->start) < 0 ||
	    record_str(u, "fault", r->fault, sizeof(r->fault)) < 0 ||
	    record_str(u, "signal", r->signal, sizeof(r->signal)) < 0 ||
	    record_str(u, "pidfile", r->pidfile, sizeof(r->pidfile)) < 0 ||
	    record_str(u, "domain", r->domain, sizeof(r->domain)) < 0 ||
	    record_str(u, "id", r->id, sizeof(r->id)) < 0 ||
	    record_str(u, "unit", r->unit, sizeof(r->unit)) < 0)
		goto out;
	r->t.role = (enum mt_proc_role)role;
	if (role == MT_PROC_PIDFILE) {
		if (r->pidfile[0] != '/')
			goto out;
		r->t.pidfile = r->pidfile;
	} else if (role == MT_PROC_QEMU) {
		if (!mt_proc_domain_ok(r->domain))
			goto out;
		r->t.domain = r->domain;
	} else if (role == MT_PROC_UNIT) {
		if (!mt_proc_unit_ok(r->unit))
			goto out;
		r->t.unit = r->unit;
	}
	if (r->id[0]) {
		if (!mt_proc_role_has_id(r->t.role) || !mt_proc_id_ok(r->id))
			goto out;
		r->t.id = r->id;
	}
	if (record_recipe(u, r) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(u);
	return rc;
}

/* Resumes the journalled pid while it is still that process (same start time) and one that
 * may be signalled. Gone or recycled: nothing to resume, success. */
static int pause_undo(const char *undo_json, struct mt_error *err)
{
	struct mt_proc_record r;
	struct mt_error serr = { 0 };

	if (mt_process_record_parse(undo_json, &r) < 0)
		return mt_err(err, MT_EINVAL, "process-pause: bad undo record");
	if (mt_proc_start_time(r.pid) != r.start)
		return 0;
	if (mt_proc_safe(r.pid, &serr) < 0)
		return mt_err(err, MT_EINVAL, "process-pause undo: %s", serr.msg);
	if (kill(r.pid, SIGCONT) < 0 && errno != ESRCH)
		return mt_err(err, MT_EINFRA, "process-pause undo: SIGCONT %d: %s", r.pid,
			      strerror(errno));
	return 0;
}

/* A killed or stopped daemon is started again by its recorded recipe, once its pid is gone
 * and no process of its role runs on the host (a supervisor may have restarted it already);
 * a process without a recipe (a QEMU) is not undone: the entry closes. */
static int start_undo(const char *fault, const char *undo_json, struct mt_error *err)
{
	struct mt_proc_record r;
	struct mt_error rerr = { 0 };
	char what[96];
	int pid = 0, rc;
	unsigned long long start = 0;

	if (mt_process_record_parse(undo_json, &r) < 0)
		return mt_err(err, MT_EINVAL, "%s: bad undo record", fault);
	if (r.recipe.kind == MT_RECIPE_NONE)
		return 0;
	mt_proc_target_text(&r.t, what, sizeof(what));
	if (mt_proc_is_target(&r.t, r.pid, r.start)) {
		/* Still running: a signal it survived (HUP), or a stop that did not finish. */
		if (strcmp(fault, "service-restart") != 0)
			return 0;
		/* The runner died between its SIGTERM and the SIGKILL stop_timeout would have
		 * sent (the lab's virtlogd does not exit on SIGTERM): finish the stop as the
		 * fault would have, then start it, so it is neither left dying nor stopped. A
		 * systemd unit's stop is systemd's to finish. */
		if (!wait_gone(r.pid, r.start, 2 * MT_NS_PER_S) &&
		    r.recipe.kind != MT_RECIPE_SYSTEMD && mt_proc_safe(r.pid, &rerr) == 0 &&
		    mt_proc_is_target(&r.t, r.pid, r.start))
			kill(r.pid, SIGKILL);
		if (!wait_gone(r.pid, r.start, 10 * MT_NS_PER_S))
			return mt_err(err, MT_EINFRA, "%s undo: %s (pid %d) has not exited, so it "
				      "is not started again", fault, what, r.pid);
	}
	rc = mt_proc_resolve(&r.t, &pid, &start, &rerr);
	if (rc == 0 || rc == MT_EINVAL)
		return 0; /* one (or several) of the role runs again: nothing to start */
	rc = mt_service_start(&r.recipe, err);
	return rc;
}

static int kill_undo(const char *undo_json, struct mt_error *err)
{
	return start_undo("process-kill", undo_json, err);
}

static int restart_undo(const char *undo_json, struct mt_error *err)
{
	return start_undo("service-restart", undo_json, err);
}

/* Metrics fault.<fault>.<role>.pid / .t_ms / .signal / .recipe, and one event at the signal. */
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
	snprintf(path, sizeof(path), "fault.%s.%s.recipe", s->fault, role);
	mt_cell_set_str(ctx->result, path, s->recipe);
	if (strcmp(s->signal, "stop") == 0)
		snprintf(what, sizeof(what), "fault.%s stopped %s pid %d", s->fault, s->target,
			 s->pid);
	else
		snprintf(what, sizeof(what), "fault.%s SIG%s %s pid %d", s->fault, s->signal,
			 s->target, s->pid);
	mt_cell_add_event(ctx->result, s->t_ns, s->t_ns, what, NULL, 0);
	return 0;
}

static void proc_release(void *state)
{
	free(state);
}

const struct mt_fault_ops mt_fault_process_pause = {
	.base.name = "process-pause",
	.base.summary = "SIGSTOP a process (by role, pid file or systemd unit) for the fault's "
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
	.base.summary = "send a signal (KILL by default) to a process (by role, pid file or "
			"systemd unit); undo starts a killed daemon again by its start recipe "
			"(systemd, the lab's); a QEMU is not restarted",
	.base.options = kill_options,
	.base.check = target_check,
	.base.supported = proc_supported,
	.apply = kill_apply,
	.undo = kill_undo,
	.collect = proc_collect,
	.release = proc_release,
};

const struct mt_fault_ops mt_fault_service_restart = {
	.base.name = "service-restart",
	.base.summary = "stop a daemon (systemctl stop, or SIGTERM then SIGKILL) for the fault's "
			"duration; undo starts it by its start recipe (systemd, the lab's)",
	.base.options = restart_options,
	.base.check = restart_check,
	.base.supported = proc_supported,
	.apply = restart_apply,
	.undo = restart_undo,
	.collect = proc_collect,
	.release = proc_release,
};
