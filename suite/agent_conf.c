/* agent_conf.c — reading the agent's agent.conf into its policy (agent_policy.h; the format is
 * in docs/remote-hosts.md).
 *
 * Why it looks like this: a problem anywhere in the file refuses every change, with the file
 * and line in the reason, rather than allowing what the readable part says: a typo in a list
 * must not widen or narrow it silently. The Debian build of inih reports no line numbers, so
 * inih reads through a reader of ours that hands over one line per call and counts them.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_policy.h"
#include "../faults/process_target.h"
#include "remote.h"

#define POLICY_FILE_MAX (64 * 1024)

const char *mt_agent_policy_default_path(void)
{
	const char *p = getenv("MT_AGENT_CONF");

	return p && *p ? p : "/etc/migtorture/agent.conf";
}

void mt_agent_policy_free(struct mt_agent_policy *p)
{
	for (size_t i = 0; i < p->nfaults; i++)
		free(p->faults[i]);
	for (size_t i = 0; i < p->nifaces; i++)
		free(p->ifaces[i]);
	for (size_t i = 0; i < p->nstress; i++)
		free(p->stress[i]);
	for (size_t i = 0; i < p->nprocs; i++)
		free(p->procs[i]);
	free(p->procs);
	free(p->faults);
	free(p->ifaces);
	free(p->stress);
	free(p->osds);
	free(p->ceph_desc);
	free(p->ceph_conf);
	free(p->ceph_keyring);
	for (int i = 0; i < MT_LOG_NROLES; i++)
		free(p->logs[i]);
	memset(p, 0, sizeof(*p));
}

/* ---- reading the file ---- */

struct load {
	struct mt_agent_policy *p;
	const char *text; /* what the reader hands inih, one line per call */
	int line;         /* the line being read: the handler's, as it runs before the next */
	int err_line;     /* the first problem, 0 when none */
	char err[400];
	int oom;
};

static void problem(struct load *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct load *ld, const char *fmt, ...)
{
	va_list ap;

	if (ld->err_line)
		return;
	ld->err_line = ld->line;
	va_start(ap, fmt);
	vsnprintf(ld->err, sizeof(ld->err), fmt, ap);
	va_end(ap);
}

/* inih's reader: one line per call, counted (the Debian build reports no line numbers). */
static char *reader(char *str, int num, void *stream)
{
	struct load *ld = stream;
	size_t n = 0;

	if (!*ld->text)
		return NULL;
	while (ld->text[n] && ld->text[n] != '\n')
		n++;
	ld->line++;
	if (n + 2 > (size_t)num) {
		problem(ld, "a line longer than %d characters (continue a list on an indented "
			"next line)", num - 2);
		n = 0;
		str[0] = '\0';
	} else {
		memcpy(str, ld->text, n);
		str[n] = '\0';
	}
	while (ld->text[0] && ld->text[0] != '\n')
		ld->text++;
	if (ld->text[0] == '\n')
		ld->text++;
	return str;
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return MT_ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return MT_ENOMEM;
	(*n)++;
	return 0;
}

static int fault_glob_matches_any(const char *glob)
{
	for (const struct mt_fault_ops *const *r = mt_fault_registry(); *r; r++)
		if (fnmatch(glob, (*r)->base.name, 0) == 0)
			return 1;
	return 0;
}

/* Host stress kinds an agent runs (remote.h): the workloads a stress glob may name. */
static int stress_glob_matches_any(const char *glob)
{
	for (const struct mt_workload_ops *const *r = mt_workload_registry(); *r; r++)
		if (mt_remote_stress_kind((*r)->base.name) && fnmatch(glob, (*r)->base.name, 0) == 0)
			return 1;
	return 0;
}

/* A systemd unit pattern: a glob of letters, digits and :_.@-*?[] ending in .service. */
static int unit_pattern(const char *tok)
{
	size_t n = strlen(tok);

	if (n <= 8 || n > 128 || strcmp(tok + n - 8, ".service") != 0 || tok[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)tok[i]) && !strchr(":_.@-*?[]", tok[i]))
			return 0;
	return 1;
}

/* [allow] processes: a role the process faults resolve themselves (qemu, libvirtd, ceph-osd
 * ...; not pidfile or unit, which name no process by themselves), a systemd unit pattern
 * (NAME.service, for role=unit), or an absolute glob of pid files without . or .. components
 * (a pid file names what is signalled, so the file decides where those may be). */
static int add_process(struct load *ld, const char *tok)
{
	int role = mt_proc_role_parse(tok);

	if ((role < 0 || role == MT_PROC_PIDFILE || role == MT_PROC_UNIT) && !unit_pattern(tok) &&
	    (tok[0] != '/' || strlen(tok) > 256 || strstr(tok, "/./") || strstr(tok, "/../") ||
	     strstr(tok, "//") || (strlen(tok) >= 2 && !strcmp(tok + strlen(tok) - 2, "/.")) ||
	     (strlen(tok) >= 3 && !strcmp(tok + strlen(tok) - 3, "/.."))))
		problem(ld, "processes: '%.64s' is neither a role (qemu, libvirtd, ceph-osd ...), "
			"a systemd unit (NAME.service) nor an absolute pid file pattern", tok);
	else
		return push(&ld->p->procs, &ld->p->nprocs, tok);
	return 0;
}

static int add_osds(struct load *ld, const char *tok)
{
	struct mt_agent_policy *p = ld->p;
	long lo, hi;
	char *end;
	int *nv;

	if (strcmp(tok, "*") == 0) {
		p->osd_any = 1;
		return 0;
	}
	errno = 0;
	lo = strtol(tok, &end, 10);
	hi = lo;
	if (end != tok && *end == '-')
		hi = strtol(end + 1, &end, 10);
	if (errno || end == tok || *end || lo < 0 || hi < lo || hi > 1000000 || hi - lo > 4096) {
		problem(ld, "osds: '%s' is not an OSD id, a range like 0-3, or *", tok);
		return 0;
	}
	nv = realloc(p->osds, (p->nosds + (size_t)(hi - lo) + 1) * sizeof(*nv));
	if (!nv)
		return MT_ENOMEM;
	p->osds = nv;
	for (long i = lo; i <= hi; i++)
		p->osds[p->nosds++] = (int)i;
	return 0;
}

/* One list value: items split on blanks and commas. */
static int add_list(struct load *ld, const char *key, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	int rc = 0;

	if (!copy)
		return MT_ENOMEM;
	for (char *t = strtok_r(copy, " \t,", &save); t && rc == 0;
	     t = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(key, "faults") == 0) {
			if (!fault_glob_matches_any(t))
				problem(ld, "faults: '%s' matches no fault kind of this build "
					"(migtorture reference lists them)", t);
			else
				rc = push(&ld->p->faults, &ld->p->nfaults, t);
		} else if (strcmp(key, "stress") == 0) {
			if (!stress_glob_matches_any(t))
				problem(ld, "stress: '%s' matches no host stress kind (host-cpu, "
					"host-vm, host-memrate)", t);
			else
				rc = push(&ld->p->stress, &ld->p->nstress, t);
		} else if (strcmp(key, "interfaces") == 0) {
			if (strlen(t) > 64)
				problem(ld, "interfaces: '%.64s...' is too long for an interface "
					"name or pattern", t);
			else
				rc = push(&ld->p->ifaces, &ld->p->nifaces, t);
		} else if (strcmp(key, "processes") == 0) {
			rc = add_process(ld, t);
		} else {
			rc = add_osds(ld, t);
		}
	}
	free(copy);
	return rc;
}

static int set_path(struct load *ld, char **dst, const char *key, const char *value)
{
	if (*dst) {
		problem(ld, "[ceph] %s is given twice", key);
		return 0;
	}
	if (value[0] != '/') {
		problem(ld, "[ceph] %s: '%s' is not an absolute path", key, value);
		return 0;
	}
	*dst = strdup(value);
	return *dst ? 0 : MT_ENOMEM;
}

/* [logs] ROLE = an absolute path pattern ({domain} stands for the domain's name). */
static int set_log(struct load *ld, const char *key, const char *value)
{
	int role = mt_log_role_parse(key);
	struct mt_error e = { 0 };
	char path[512];

	if (role < 0) {
		problem(ld, "unknown key '%s' in [logs] (known: libvirtd, qemu, console)", key);
		return 0;
	}
	if (ld->p->logs[role]) {
		problem(ld, "[logs] %s is given twice", key);
		return 0;
	}
	if (mt_log_path(value, "domain", path, sizeof(path), &e) < 0) {
		problem(ld, "[logs] %s: '%s' is not an absolute path (without '..'; {domain} "
			"stands for the domain)", key, value);
		return 0;
	}
	ld->p->logs[role] = strdup(value);
	return ld->p->logs[role] ? 0 : MT_ENOMEM;
}

/* [limits] stress_workers_max: a whole number, 1 to 4096 (stress-ng's own limit). */
static void set_workers_max(struct load *ld, const char *value)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < 1 || v > 4096)
		problem(ld, "stress_workers_max: '%s' is not a number from 1 to 4096", value);
	else
		ld->p->stress_workers_max = v;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	struct mt_agent_policy *p = ld->p;
	int rc = 0;

	if (strcmp(section, "allow") == 0) {
		if (!strcmp(name, "faults") || !strcmp(name, "interfaces") || !strcmp(name, "osds") ||
		    !strcmp(name, "stress") || !strcmp(name, "processes"))
			rc = add_list(ld, name, value);
		else
			problem(ld, "unknown key '%s' in [allow] (known: faults, interfaces, osds, "
				"processes, stress)", name);
	} else if (strcmp(section, "limits") == 0) {
		if (strcmp(name, "stress_workers_max") == 0)
			set_workers_max(ld, value);
		else
			problem(ld, "unknown key '%s' in [limits] (known: stress_workers_max)", name);
	} else if (strcmp(section, "ceph") == 0) {
		if (strcmp(name, "descriptor") == 0)
			rc = set_path(ld, &p->ceph_desc, name, value);
		else if (strcmp(name, "conf") == 0)
			rc = set_path(ld, &p->ceph_conf, name, value);
		else if (strcmp(name, "keyring") == 0)
			rc = set_path(ld, &p->ceph_keyring, name, value);
		else
			problem(ld, "unknown key '%s' in [ceph] (known: descriptor, conf, keyring)",
				name);
	} else if (strcmp(section, "logs") == 0) {
		rc = set_log(ld, name, value);
	} else if (section[0]) {
		problem(ld, "unknown section [%s] (known: [allow], [limits], [ceph], [logs])",
			section);
	} else {
		problem(ld, "'%s' outside a section ([allow], [limits], [ceph] or [logs])", name);
	}
	if (rc < 0)
		ld->oom = 1;
	return 1; /* the first problem is kept; reading on costs nothing */
}

/* The OSD faults' own default descriptor path (their "ceph" option). */
static const char *default_desc(void)
{
	const struct mt_fault_ops *o = mt_find_fault("osd-down");
	const struct mt_option *opt = o ? mt_option_find(o->base.options, "ceph") : NULL;

	return opt && opt->def ? opt->def : "/run/migtorture/ceph/ceph.json";
}

int mt_agent_policy_parse(const char *text, const char *name, struct mt_agent_policy *p,
			  struct mt_error *err)
{
	struct load ld = { .p = p, .text = text };
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", name);
	p->stress_workers_max = MT_AGENT_STRESS_WORKERS_MAX;
	rc = ini_parse_stream(reader, &ld, handler, &ld);
	if (rc == -2 || ld.oom) {
		mt_agent_policy_free(p);
		return mt_err(err, MT_ENOMEM, "agent policy: out of memory");
	}
	if (rc > 0 && (!ld.err_line || rc < ld.err_line)) {
		ld.err_line = rc;
		snprintf(ld.err, sizeof(ld.err), "not `key = value`, `[section]` or a comment");
	}
	if (!p->ceph_desc && !(p->ceph_desc = strdup(default_desc()))) {
		mt_agent_policy_free(p);
		return mt_err(err, MT_ENOMEM, "agent policy: out of memory");
	}
	if (ld.err_line) {
		snprintf(p->why, sizeof(p->why), "%s:%d: %s; every change is refused until it is "
			 "fixed", name, ld.err_line, ld.err);
		return 0;
	}
	p->loaded = 1;
	return 0;
}

int mt_agent_policy_load(const char *path, struct mt_agent_policy *p, struct mt_error *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;
	int rc, saved;

	if (!f) {
		saved = errno;
		memset(p, 0, sizeof(*p));
		snprintf(p->path, sizeof(p->path), "%s", path);
		if (saved == ENOENT)
			snprintf(p->why, sizeof(p->why), "no %s on this host, so this agent changes "
				 "nothing here (docs/remote-hosts.md)", path);
		else
			snprintf(p->why, sizeof(p->why), "cannot read %s: %s; every change is "
				 "refused", path, strerror(saved));
		return 0;
	}
	buf = malloc(POLICY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return mt_err(err, MT_ENOMEM, "agent policy: out of memory");
	}
	n = fread(buf, 1, POLICY_FILE_MAX + 1, f);
	fclose(f);
	buf[n > POLICY_FILE_MAX ? POLICY_FILE_MAX : n] = '\0';
	if (n > POLICY_FILE_MAX || memchr(buf, '\0', n)) {
		memset(p, 0, sizeof(*p));
		snprintf(p->path, sizeof(p->path), "%s", path);
		snprintf(p->why, sizeof(p->why), "%s is not a short text file; every change is "
			 "refused", path);
		free(buf);
		return 0;
	}
	rc = mt_agent_policy_parse(buf, path, p, err);
	free(buf);
	return rc;
}
