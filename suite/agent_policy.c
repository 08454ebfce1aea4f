/* agent_policy.c — the check before every action of the agent (agent_policy.h): requests read
 * far enough to be checked, and checked against the host's policy.
 *
 * Why it looks like this:
 * - Deny by default: without a usable file (agent_conf.c) every change is refused, and a fault
 *   kind this file has no rule for is refused even when [allow] faults names it.
 * - Parameters are checked after the plugin's own parsing (the values the plugin will use, a
 *   key given twice counts once), and undo records field by field in the formats the plugins
 *   document (faults/tc_fault.h, faults/link.c, faults/partition.c, faults/osd_common.h): a
 *   record is data from the peer, and the undo functions trust their input.
 * - An OSD undo is rebuilt, not passed on: its steps become typed operations ("start osd.N")
 *   resolved with this host's descriptor; a restart command or pid file in the record is
 *   never used.
 * - A process fault's target is a role, unit or pid file [allow] processes names; its undo
 *   record is read field by field and resumes only a pid that, with its start time, is still
 *   that target on this host (faults/process_target.h): a pid the peer made up is refused. A
 *   daemon is started again only by a typed recipe that fits its role (faults/service.h).
 * - Host stress is checked by kind and worker count; a "process" or "tmpdir" undo is no
 *   change the file can allow at all: only a record of the agent's own journal (rq->own,
 *   looked up by the agent) passes, so the peer cannot name a pid to signal or a tree to
 *   remove.
 */
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../faults/process_target.h"
#include "agent_policy.h"
#include "journal_priv.h"
#include "migtorture/runner.h"
#include "remote.h"

#define DESC_FILE_MAX (1 << 20)

enum family { F_NONE, F_TC, F_LINK, F_PARTITION, F_OSD_ID, F_OSD_FLAG, F_OSD_THRASH,
	      F_PROCESS };

/* The rule each shipped fault kind is checked by. */
static const struct {
	const char *kind;
	enum family fam;
} families[] = {
	{ "tbf", F_TC },           { "netem", F_TC },         { "link-down", F_LINK },
	{ "link-flap", F_LINK },   { "partition", F_PARTITION }, { "osd-down", F_OSD_ID },
	{ "osd-out", F_OSD_ID },   { "osd-in", F_OSD_ID },    { "osd-stop", F_OSD_ID },
	{ "osd-kill", F_OSD_ID },  { "osd-flag", F_OSD_FLAG }, { "osd-thrash", F_OSD_THRASH },
	{ "process-pause", F_PROCESS }, { "process-kill", F_PROCESS },
	{ "service-restart", F_PROCESS },
};

static enum family family_of(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].kind, kind) == 0)
			return families[i].fam;
	return F_NONE;
}

/* ---- requests ---- */

void mt_agent_req_free(struct mt_agent_req *rq)
{
	cJSON_Delete(rq->json);
	mt_params_free(&rq->params);
	free(rq->undo_json);
	memset(rq, 0, sizeof(*rq));
}

int mt_agent_req_parse(const char *line, struct mt_agent_req *rq, struct mt_error *err)
{
	const cJSON *w, *k;

	memset(rq, 0, sizeof(*rq));
	rq->json = cJSON_Parse(line);
	if (!rq->json || !cJSON_IsObject(rq->json)) {
		cJSON_Delete(rq->json);
		rq->json = NULL;
		return mt_err(err, MT_EINVAL, "protocol: a request must be a JSON object");
	}
	w = cJSON_GetObjectItemCaseSensitive(rq->json, "req");
	if (!cJSON_IsString(w))
		return mt_err(err, MT_EINVAL, "protocol: no \"req\"");
	rq->what = w->valuestring;
	k = cJSON_GetObjectItemCaseSensitive(rq->json, "kind");
	rq->kind = cJSON_IsString(k) ? k->valuestring : NULL;
	return 0;
}

/* params as [[key, text], ...], parsed with the plugin's table, then its check. */
static int parse_params(const struct mt_option *options,
			int (*check)(const struct mt_params *, struct mt_error *),
			const cJSON *pairs, struct mt_params *p, struct mt_error *err)
{
	const cJSON *pair;
	int rc;

	if (pairs && !cJSON_IsArray(pairs))
		return mt_err(err, MT_EINVAL, "params: expected [key, text] pairs");
	cJSON_ArrayForEach(pair, pairs) {
		const cJSON *k = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);

		if (!cJSON_IsString(k) || !cJSON_IsString(v))
			return mt_err(err, MT_EINVAL, "params: expected [key, text] pairs");
		rc = mt_params_set(p, options, k->valuestring, v->valuestring, 0, err);
		if (rc < 0)
			return rc;
	}
	rc = mt_params_finish(p, options, err);
	if (rc == 0 && check)
		rc = check(p, err);
	return rc;
}

int mt_agent_req_resolve(struct mt_agent_req *rq, struct mt_error *err)
{
	int params = !strcmp(rq->what, "supported") || !strcmp(rq->what, "apply");
	const cJSON *u;

	if (!params && strcmp(rq->what, "undo") != 0)
		return 0;
	rq->ops = rq->kind ? mt_find_fault(rq->kind) : NULL;
	/* Host stress goes through the same requests; its kinds are no fault's names. */
	if (!rq->ops && params && mt_remote_stress_kind(rq->kind))
		rq->wops = mt_find_workload(rq->kind);
	rq->jkind = params ? NULL : mt_find_journal_kind(rq->kind);
	if (!rq->ops && !rq->wops && !rq->jkind)
		return mt_err(err, MT_ENOTFOUND, "no fault plugin '%s' in the agent's build (%s)",
			      rq->kind ? rq->kind : "?", mt_version());
	if (params && rq->wops)
		return parse_params(rq->wops->base.options, rq->wops->base.check,
				    cJSON_GetObjectItemCaseSensitive(rq->json, "params"),
				    &rq->params, err);
	if (params)
		return parse_params(rq->ops->base.options, rq->ops->base.check,
				    cJSON_GetObjectItemCaseSensitive(rq->json, "params"),
				    &rq->params, err);
	u = cJSON_GetObjectItemCaseSensitive(rq->json, "undo");
	rq->undo_json = cJSON_IsObject(u) ? cJSON_PrintUnformatted(u) : NULL;
	if (!rq->undo_json)
		return mt_err(err, MT_EINVAL, "undo: no undo record");
	return 0;
}

/* ---- the check ---- */

static int refuse(const struct mt_agent_policy *p, char *reason, size_t len, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static int refuse(const struct mt_agent_policy *p, char *reason, size_t len, const char *fmt,
		  ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(reason, len, "refused by %s: %s", p->path, msg);
	return 0;
}

/* The globs of a list, as written, for messages. */
static const char *list_text(char *const *v, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", v[i]);
	return n ? buf : "(none)";
}

static int match_any(char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return 1;
	return 0;
}

static int kind_ok(const struct mt_agent_policy *p, const char *kind, char *reason, size_t len)
{
	char b[160];

	if (!match_any(p->faults, p->nfaults, kind))
		return refuse(p, reason, len, "fault kind '%s' is not in [allow] faults (%s)", kind,
			      list_text(p->faults, p->nfaults, b, sizeof(b)));
	if (family_of(kind) == F_NONE)
		return refuse(p, reason, len, "this agent has no rule to check fault kind '%s' "
			      "by, so it refuses it", kind);
	return 1;
}

/* An interface name as the kernel allows it (IFNAMSIZ, no '/' or blanks) and in the list. */
static int iface_ok(const struct mt_agent_policy *p, const char *dev, char *reason, size_t len)
{
	char b[160];

	if (!dev || !dev[0] || strlen(dev) > 15 || strpbrk(dev, "/ \t\n:") ||
	    !strcmp(dev, ".") || !strcmp(dev, ".."))
		return refuse(p, reason, len, "'%.64s' is not an interface name", dev ? dev : "");
	if (!match_any(p->ifaces, p->nifaces, dev))
		return refuse(p, reason, len, "interface '%s' is not in [allow] interfaces (%s)",
			      dev, list_text(p->ifaces, p->nifaces, b, sizeof(b)));
	return 1;
}

static int osd_ok(const struct mt_agent_policy *p, double idv, char *reason, size_t len)
{
	int id;

	/* Range first: a NaN or a huge number is not converted to int at all. */
	if (!(idv >= 0 && idv <= 1000000) || (double)(id = (int)idv) != idv)
		return refuse(p, reason, len, "'%g' is not an OSD id", idv);
	if (p->osd_any)
		return 1;
	for (size_t i = 0; i < p->nosds; i++)
		if (p->osds[i] == id)
			return 1;
	return refuse(p, reason, len, "osd.%d is not in [allow] osds", id);
}

/* A process fault's target: its role in [allow] processes, for role=unit the unit, or for
 * role=pidfile a path that a pattern of it matches, as written and with its links resolved (a
 * link in an allowed directory must not lead to another pid file). */
static int process_ok(const struct mt_agent_policy *p, const struct mt_proc_target *t,
		      char *reason, size_t len)
{
	char b[200], real[PATH_MAX];
	const char *role = mt_proc_role_names[t->role];

	if (t->role == MT_PROC_UNIT) {
		if (!t->unit || !match_any(p->procs, p->nprocs, t->unit))
			return refuse(p, reason, len, "unit '%.128s' is not in [allow] processes (%s)",
				      t->unit ? t->unit : "", list_text(p->procs, p->nprocs, b,
									 sizeof(b)));
		return 1;
	}
	if (t->role != MT_PROC_PIDFILE) {
		if (!match_any(p->procs, p->nprocs, role))
			return refuse(p, reason, len, "process role '%s' is not in [allow] processes "
				      "(%s)", role, list_text(p->procs, p->nprocs, b, sizeof(b)));
		return 1;
	}
	if (!t->pidfile || t->pidfile[0] != '/' || strstr(t->pidfile, "/.."))
		return refuse(p, reason, len, "'%.64s' is not an absolute pid file path",
			      t->pidfile ? t->pidfile : "");
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i][0] == '/' && fnmatch(p->procs[i], t->pidfile, FNM_PATHNAME) == 0) {
			if (!realpath(t->pidfile, real) || strcmp(real, t->pidfile) == 0)
				return 1;
			for (size_t k = 0; k < p->nprocs; k++)
				if (p->procs[k][0] == '/' &&
				    fnmatch(p->procs[k], real, FNM_PATHNAME) == 0)
					return 1;
			return refuse(p, reason, len, "pid file %.128s leads to %.128s, which is not "
				      "in [allow] processes (%s)", t->pidfile, real,
				      list_text(p->procs, p->nprocs, b, sizeof(b)));
		}
	return refuse(p, reason, len, "pid file %.128s is not in [allow] processes (%s)",
		      t->pidfile, list_text(p->procs, p->nprocs, b, sizeof(b)));
}

/* supported and apply of a process fault: the target its parameters name. */
static int process_params_ok(const struct mt_agent_policy *p, const struct mt_params *params,
			     char *reason, size_t len)
{
	struct mt_proc_target t = { 0 };
	int role = mt_proc_role_parse(mt_param_str(params, "role"));

	if (role < 0)
		return refuse(p, reason, len, "no such process role");
	t.role = (enum mt_proc_role)role;
	t.pidfile = mt_param_str(params, "pidfile");
	t.unit = mt_param_str(params, "unit");
	return process_ok(p, &t, reason, len);
}

/* conf=, keyring=, ceph= of an OSD fault: only this host's own ([ceph]), or left out. */
static int ceph_params_ok(const struct mt_agent_policy *p, const struct mt_params *params,
			  char *reason, size_t len)
{
	static const char *const keys[] = { "ceph", "conf", "keyring" };
	const char *want[] = { p->ceph_desc, p->ceph_conf, p->ceph_keyring };

	for (size_t i = 0; i < 3; i++) {
		const struct mt_value *v = mt_params_get(params, keys[i]);

		if (!v || v->is_default || (want[i] && v->text && strcmp(v->text, want[i]) == 0))
			continue;
		/* keyring is a credential's path: named, not printed. */
		return refuse(p, reason, len, "%s=%s is not this host's own ([ceph] %s in the "
			      "agent's file decides which cluster and key the agent uses)", keys[i],
			      i == 2 || !v->text ? "(a path)" : v->text,
			      i == 0 ? "descriptor" : keys[i]);
	}
	return 1;
}

/* supported and apply: the kind, then what its parameters point at. */
static int change_ok(const struct mt_agent_policy *p, const char *kind,
		     const struct mt_params *params, char *reason, size_t len)
{
	int ok = kind_ok(p, kind, reason, len);

	if (ok <= 0)
		return ok;
	switch (family_of(kind)) {
	case F_TC:
	case F_LINK:
		return iface_ok(p, mt_param_str(params, "dev"), reason, len);
	case F_PARTITION:
		return 1;
	case F_PROCESS:
		return process_params_ok(p, params, reason, len);
	case F_OSD_ID:
		ok = osd_ok(p, (double)mt_params_i64(params, "id", -1), reason, len);
		return ok > 0 ? ceph_params_ok(p, params, reason, len) : ok;
	case F_OSD_FLAG:
		return ceph_params_ok(p, params, reason, len);
	case F_OSD_THRASH:
		if (!p->osd_any)
			return refuse(p, reason, len, "osd-thrash acts on any OSD of the cluster: "
				      "it needs [allow] osds = *");
		return ceph_params_ok(p, params, reason, len);
	case F_NONE:
		break;
	}
	return refuse(p, reason, len, "no rule for fault kind '%s'", kind);
}

/* supported and apply of host stress: the kind, then how many workers. */
static int stress_ok(const struct mt_agent_policy *p, const char *kind,
		     const struct mt_params *params, char *reason, size_t len)
{
	long long w = mt_param_i64(params, "workers");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char b[160];

	if (!p->nstress)
		return refuse(p, reason, len, "stress kind '%s' is not allowed: no [allow] stress "
			      "in the file", kind);
	if (!match_any(p->stress, p->nstress, kind))
		return refuse(p, reason, len, "stress kind '%s' is not in [allow] stress (%s)", kind,
			      list_text(p->stress, p->nstress, b, sizeof(b)));
	/* host-cpu's workers=0 is one worker per online CPU: counted as that many. */
	if (w == 0 && ncpu > p->stress_workers_max)
		return refuse(p, reason, len, "%s workers=0 starts one worker per CPU (%ld here), "
			      "more than [limits] stress_workers_max = %ld", kind, ncpu,
			      p->stress_workers_max);
	if (w > p->stress_workers_max)
		return refuse(p, reason, len, "%s workers=%lld is more than [limits] "
			      "stress_workers_max = %ld", kind, w, p->stress_workers_max);
	return 1;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A qdisc record (faults/tc_fault.h) touches dev, and for parent=ingress the ifb derived from
 * it ("mtifb" + 8 hex digits) and dev's ingress filter: the names must say exactly that. */
static int tc_undo_ok(const struct mt_agent_policy *p, const cJSON *u, char *reason, size_t len)
{
	const char *dev = jstr(u, "dev");
	const cJSON *ing = cJSON_GetObjectItemCaseSensitive(u, "ingress");
	const char *prior_dev = jstr(cJSON_GetObjectItemCaseSensitive(u, "prior"), "dev");
	const char *target = dev;
	int ok = iface_ok(p, dev, reason, len);

	if (ok <= 0)
		return ok;
	if (cJSON_IsObject(ing)) {
		const char *ifb = jstr(ing, "ifb");
		const char *ing_dev = jstr(cJSON_GetObjectItemCaseSensitive(ing, "prior"), "dev");

		if (!ifb || strlen(ifb) != 13 || strncmp(ifb, "mtifb", 5) ||
		    strspn(ifb + 5, "0123456789abcdef") != 8)
			return refuse(p, reason, len, "undo record: ingress ifb '%.32s' is not one "
				      "of the agent's (mtifb + 8 hex digits)", ifb ? ifb : "");
		if (!ing_dev || strcmp(ing_dev, dev))
			return refuse(p, reason, len, "undo record: the ingress qdisc it restores "
				      "is not on %s", dev);
		target = ifb;
	} else if (ing && !cJSON_IsNull(ing)) {
		return refuse(p, reason, len, "undo record: 'ingress' is neither null nor an "
			      "object");
	}
	if (prior_dev && strcmp(prior_dev, target))
		return refuse(p, reason, len, "undo record: the qdisc it restores is on '%.32s', "
			      "not on %s", prior_dev, target);
	return 1;
}

static int link_undo_ok(const struct mt_agent_policy *p, const cJSON *u, char *reason,
			size_t len)
{
	if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(u, "up")))
		return refuse(p, reason, len, "undo record: no 'up' state");
	return iface_ok(p, jstr(u, "dev"), reason, len);
}

/* partition.c names its tables mt_partition_<pid>_<n>: undo deletes that table only. */
static int partition_undo_ok(const struct mt_agent_policy *p, const cJSON *u, char *reason,
			     size_t len)
{
	const char *t = jstr(u, "table");

	if (!t || strncmp(t, "mt_partition_", 13) || strlen(t) > 64 || !t[13] ||
	    strspn(t + 13, "0123456789_") != strlen(t + 13))
		return refuse(p, reason, len, "undo record: '%.64s' is not a partition table of "
			      "the agent's (mt_partition_<pid>_<n>)", t ? t : "");
	return 1;
}

/* A process fault's record, rebuilt from its typed fields. Its target must be allowed; a pause
 * is resumed only when the pid, with the start time, runs now as that target. A pid that is
 * gone (or a zombie) or has another start time passes (the undo signals nothing then), any
 * other pid is refused: the peer names only processes this host's file lets it name. A start
 * recipe must fit the target (mt_proc_recipe_fits); a pid file's systemd unit must itself be
 * in [allow] processes, so a record cannot start a service the file does not name. */
static int process_undo_local(const struct mt_agent_policy *p, const char *kind, const char *json,
			      char **out, char *reason, size_t len)
{
	struct mt_proc_record *r = malloc(sizeof(*r));
	char what[200], b[200], st;
	int ok;

	if (!r)
		return MT_ENOMEM;
	if (mt_process_record_parse(json, r) < 0 || (r->fault[0] && strcmp(r->fault, kind) != 0)) {
		ok = refuse(p, reason, len, "undo record: not a %s record (role, pid, start_time, "
			    "a start recipe that fits the role)", kind);
		goto out;
	}
	snprintf(r->fault, sizeof(r->fault), "%s", kind);
	ok = process_ok(p, &r->t, reason, len);
	if (ok <= 0)
		goto out;
	if (r->t.role == MT_PROC_PIDFILE && r->recipe.kind == MT_RECIPE_SYSTEMD &&
	    !match_any(p->procs, p->nprocs, r->recipe.name)) {
		ok = refuse(p, reason, len, "undo record: unit '%s' is not in [allow] processes "
			    "(%s)", r->recipe.name, list_text(p->procs, p->nprocs, b, sizeof(b)));
		goto out;
	}
	st = mt_proc_state(r->pid, r->start);
	if (!strcmp(kind, "process-pause") && st && st != 'Z' && st != 'X' &&
	    !mt_proc_is_target(&r->t, r->pid, r->start)) {
		ok = refuse(p, reason, len, "undo record: pid %d is not the %s on this host, so "
			    "it is not signalled", r->pid, mt_proc_target_text(&r->t, what,
										sizeof(what)));
		goto out;
	}
	if (out && !(*out = mt_process_record_json(r)))
		ok = MT_ENOMEM;
out:
	free(r);
	return ok;
}

/* ---- OSD undo records: rebuilt from typed steps and this host's descriptor ---- */

static cJSON *read_desc(const char *path)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	char *buf = NULL;
	size_t n;
	cJSON *d = NULL;

	if (!f)
		return NULL;
	buf = malloc(DESC_FILE_MAX + 1);
	if (buf) {
		n = fread(buf, 1, DESC_FILE_MAX, f);
		buf[n] = '\0';
		d = cJSON_Parse(buf);
	}
	free(buf);
	fclose(f);
	return d;
}

static const cJSON *desc_osd(const cJSON *d, int id)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "osds")) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "id");

		if (cJSON_IsNumber(i) && i->valuedouble == id)
			return o;
	}
	return NULL;
}

static int pid_in_file(const char *path)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	int pid = 0;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* "cont" resumes a stopped daemon: kept only when its pid is, by this host's descriptor, the
 * daemon of an allowed OSD. Any other pid is not ours to signal (a daemon restarted since has
 * nothing to resume): the step is dropped. */
static int keep_cont(const struct mt_agent_policy *p, const cJSON *d, double pid)
{
	const cJSON *o;
	char r[8];

	if (!(pid > 0))
		return 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "osds")) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "id");

		if (cJSON_IsNumber(i) && osd_ok(p, i->valuedouble, r, sizeof(r)) > 0 &&
		    (double)pid_in_file(jstr(o, "pid_file")) == pid)
			return 1;
	}
	return 0;
}

/* "revive" starts osd.N with the command this host's descriptor has for it. */
static int revive_step(const struct mt_agent_policy *p, const cJSON *d, int id, cJSON *steps,
		       char *reason, size_t len)
{
	const cJSON *o = d ? desc_osd(d, id) : NULL;
	const cJSON *argv = o ? cJSON_GetObjectItemCaseSensitive(o, "start_argv") : NULL, *a;
	const char *pf = o ? jstr(o, "pid_file") : NULL;
	cJSON *s, *av;
	int n = 0;

	cJSON_ArrayForEach(a, argv) {
		if (!cJSON_IsString(a))
			n = 99;
		n++;
	}
	if (!cJSON_IsArray(argv) || n == 0 || n > 31 || !pf)
		return refuse(p, reason, len, "osd.%d has no restart command (start_argv, pid_file) "
			      "in this host's descriptor %s", id, p->ceph_desc);
	s = cJSON_CreateObject();
	av = cJSON_Duplicate(argv, 1);
	if (!s || !av || !cJSON_AddStringToObject(s, "do", "revive") ||
	    !cJSON_AddNumberToObject(s, "id", id) || !cJSON_AddStringToObject(s, "pid_file", pf) ||
	    !cJSON_AddItemToObject(s, "argv", av)) {
		cJSON_Delete(s);
		return MT_ENOMEM;
	}
	cJSON_AddItemToArray(steps, s);
	return 1;
}

static int flag_known(const char *flag)
{
	const struct mt_fault_ops *o = mt_find_fault("osd-flag");
	const struct mt_option *opt = o ? mt_option_find(o->base.options, "flag") : NULL;

	for (size_t i = 0; flag && opt && opt->choices && opt->choices[i]; i++)
		if (strcmp(opt->choices[i], flag) == 0)
			return 1;
	return 0;
}

/* One step of the record, as the typed operation it names, appended to steps. */
static int osd_step(const struct mt_agent_policy *p, const cJSON *d, const cJSON *s, cJSON *steps,
		    char *reason, size_t len)
{
	const char *what = jstr(s, "do");
	double idv = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
	cJSON *o;
	int ok;

	if (!what)
		return refuse(p, reason, len, "undo record: a step without 'do'");
	if (!strcmp(what, "unset")) {
		const char *flag = jstr(s, "flag");

		if (!flag_known(flag))
			return refuse(p, reason, len, "undo record: '%.32s' is not an OSD map flag",
				      flag ? flag : "");
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddStringToObject(o, "do", "unset") ||
		    !cJSON_AddStringToObject(o, "flag", flag))
			goto oom;
		cJSON_AddItemToArray(steps, o);
		return 1;
	}
	if (!strcmp(what, "cont")) {
		double pid = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "pid"));
		double st = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "start_time"));

		if (!d || !keep_cont(p, d, pid) || st != st)
			return 1;
		o = cJSON_CreateObject();
		if (!o || !cJSON_AddStringToObject(o, "do", "cont") ||
		    !cJSON_AddNumberToObject(o, "pid", pid) ||
		    !cJSON_AddNumberToObject(o, "start_time", st))
			goto oom;
		cJSON_AddItemToArray(steps, o);
		return 1;
	}
	if (strcmp(what, "in") && strcmp(what, "out") && strcmp(what, "rm-noup") &&
	    strcmp(what, "orch-start") && strcmp(what, "revive"))
		return refuse(p, reason, len, "undo record: unknown step '%.32s'", what);
	ok = osd_ok(p, idv, reason, len);
	if (ok <= 0)
		return ok;
	if (!strcmp(what, "revive"))
		return revive_step(p, d, (int)idv, steps, reason, len);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "do", what) || !cJSON_AddNumberToObject(o, "id", idv))
		goto oom;
	cJSON_AddItemToArray(steps, o);
	return 1;
oom:
	cJSON_Delete(o);
	return MT_ENOMEM;
}

/* A number of the record within [lo, hi] (clamped), def when absent. */
static double num_in(const cJSON *u, const char *k, double lo, double hi, double def)
{
	double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, k));

	if (v != v)
		return def;
	return v < lo ? lo : v > hi ? hi : v;
}

/* A cephx user name (client.<name>): letters, digits, . _ -. */
static int client_ok(const char *c)
{
	return c && c[0] && strlen(c) < 64 &&
	       strspn(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		       strlen(c);
}

/* The record the agent runs: connection from [ceph] and the descriptor, as the plugin resolves
 * it (faults/osd_common.c), steps as typed operations. */
static int osd_undo_local(const struct mt_agent_policy *p, const char *kind, const cJSON *u,
			  char **out, char *reason, size_t len)
{
	cJSON *d = read_desc(p->ceph_desc), *o = cJSON_CreateObject(), *steps;
	const char *client = jstr(u, "client"), *conf = p->ceph_conf, *keyring = p->ceph_keyring;
	const cJSON *s, *st;
	int ok = 1;

	if (!conf && d) {
		conf = jstr(d, "conf");
		if (!keyring)
			keyring = jstr(d, "keyring");
	}
	if (client && !client_ok(client)) {
		ok = refuse(p, reason, len, "undo record: '%.32s' is not a cephx user name", client);
		goto out;
	}
	steps = o ? cJSON_CreateArray() : NULL;
	if (!steps || !cJSON_AddNumberToObject(o, "v", 1) ||
	    !cJSON_AddStringToObject(o, "fault", kind) ||
	    !cJSON_AddStringToObject(o, "conf", conf ? conf : "") ||
	    !cJSON_AddStringToObject(o, "keyring", keyring ? keyring : "") ||
	    !cJSON_AddStringToObject(o, "client", client ? client : "admin") ||
	    !cJSON_AddStringToObject(o, "ceph", p->ceph_desc) ||
	    !cJSON_AddNumberToObject(o, "timeout_ns", num_in(u, "timeout_ns", 1e9, 600e9, 10e9)) ||
	    !cJSON_AddNumberToObject(o, "wait_clean_ns",
				     num_in(u, "wait_clean_ns", 0, 3600e9, 0)) ||
	    !cJSON_AddItemToObject(o, "steps", steps)) {
		cJSON_Delete(steps);
		ok = MT_ENOMEM;
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(u, "steps");
	if (s && !cJSON_IsArray(s)) {
		ok = refuse(p, reason, len, "undo record: 'steps' is not a list");
		goto out;
	}
	cJSON_ArrayForEach(st, s) {
		ok = osd_step(p, d, st, steps, reason, len);
		if (ok <= 0)
			goto out;
	}
	if (out && !(*out = cJSON_PrintUnformatted(o)))
		ok = MT_ENOMEM;
out:
	cJSON_Delete(d);
	cJSON_Delete(o);
	return ok;
}

int mt_agent_policy_allows_undo(const struct mt_agent_policy *p, const char *kind,
				const char *undo_json, char **local_undo, char *reason,
				size_t len)
{
	cJSON *u = NULL;
	int ok;

	if (local_undo)
		*local_undo = NULL;
	if (!p->loaded) {
		snprintf(reason, len, "refused: %s", p->why);
		return 0;
	}
	if (!kind || !mt_find_fault(kind))
		return refuse(p, reason, len, "no fault kind '%.64s' in this build", kind ? kind : "");
	ok = kind_ok(p, kind, reason, len);
	if (ok <= 0)
		return ok;
	u = undo_json ? cJSON_Parse(undo_json) : NULL;
	if (!cJSON_IsObject(u)) {
		ok = refuse(p, reason, len, "the undo record of %s is not a JSON object", kind);
		goto out;
	}
	switch (family_of(kind)) {
	case F_TC:
		ok = tc_undo_ok(p, u, reason, len);
		break;
	case F_LINK:
		ok = link_undo_ok(p, u, reason, len);
		break;
	case F_PARTITION:
		ok = partition_undo_ok(p, u, reason, len);
		break;
	case F_OSD_ID:
	case F_OSD_FLAG:
	case F_OSD_THRASH:
		ok = osd_undo_local(p, kind, u, local_undo, reason, len);
		goto out;
	case F_PROCESS:
		ok = process_undo_local(p, kind, undo_json, local_undo, reason, len);
		goto out;
	case F_NONE:
		ok = refuse(p, reason, len, "no rule for fault kind '%s'", kind);
		break;
	}
	if (ok > 0 && local_undo && !(*local_undo = cJSON_PrintUnformatted(u)))
		ok = MT_ENOMEM;
out:
	cJSON_Delete(u);
	return ok;
}

int mt_agent_policy_allows(const struct mt_agent_policy *p, const struct mt_agent_req *rq,
			   char **local_undo, char *reason, size_t len)
{
	static const char *const free_reqs[] = { "hello", "clock", "collect", "release", "bye" };

	if (local_undo)
		*local_undo = NULL;
	if (!rq->what)
		return refuse(p, reason, len, "protocol: no \"req\"");
	for (size_t i = 0; i < sizeof(free_reqs) / sizeof(free_reqs[0]); i++)
		if (strcmp(rq->what, free_reqs[i]) == 0)
			return 1;
	if (strcmp(rq->what, "undo") == 0 && rq->jkind) {
		/* A process or temp dir is undone only when this agent made it: the record must
		 * be one of its own journal's, whatever the policy allows. A pid the peer names
		 * is never signalled on its word. */
		if (!rq->own)
			return refuse(p, reason, len, "undo record: this %s is not one this agent "
				      "started (its journal has no entry with this record), so "
				      "nothing is %s", rq->kind,
				      strcmp(rq->kind, "process") == 0 ? "signalled" : "removed");
		return 1;
	}
	if (strcmp(rq->what, "undo") == 0)
		return mt_agent_policy_allows_undo(p, rq->kind, rq->undo_json, local_undo, reason,
						   len);
	if (strcmp(rq->what, "log") == 0) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(rq->json, "role");
		int role = mt_log_role_parse(cJSON_IsString(r) ? r->valuestring : NULL);

		if (role < 0)
			return refuse(p, reason, len, "log: role must be libvirtd, qemu or console");
		if (!p->loaded) {
			snprintf(reason, len, "refused: %s", p->why);
			return 0;
		}
		if (!p->logs[role])
			return refuse(p, reason, len, "log: no [logs] %s in the file, so this host's "
				      "%s log is not read", mt_log_role_name(role),
				      mt_log_role_name(role));
		return 1;
	}
	if (strcmp(rq->what, "supported") && strcmp(rq->what, "apply")) {
		snprintf(reason, len, "protocol: unknown request '%.64s'", rq->what);
		return 0;
	}
	if (!p->loaded) {
		snprintf(reason, len, "refused: %s", p->why);
		return 0;
	}
	if (rq->wops && rq->kind)
		return stress_ok(p, rq->kind, &rq->params, reason, len);
	if (!rq->ops || !rq->kind)
		return refuse(p, reason, len, "no fault kind in the request");
	return change_ok(p, rq->kind, &rq->params, reason, len);
}

int mt_agent_policy_localize(const struct mt_agent_policy *p, const char *kind,
			     struct mt_params *params, struct mt_error *err)
{
	static const char *const keys[] = { "ceph", "conf", "keyring" };
	const char *have[] = { p->ceph_desc, p->ceph_conf, p->ceph_keyring };
	enum family f = family_of(kind);
	int rc = 0;

	if (f != F_OSD_ID && f != F_OSD_FLAG && f != F_OSD_THRASH)
		return 0;
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		const struct mt_value *v = mt_params_get(params, keys[i]);

		if (have[i] && (!v || v->is_default))
			rc = mt_params_set(params, params->table, keys[i], have[i], 0, err);
	}
	return rc;
}
