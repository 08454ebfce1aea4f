/* process_target.c — resolving and re-checking the target of a process fault
 * (process_target.h). Everything is read from /proc: the pid file's pid, each candidate's
 * command line, and its state, start time and flags (suite/procstat.h).
 */
#include "process_target.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "procstat.h"
#include "service.h"

/* include/linux/sched.h: set in the flags of every kernel thread. */
#define PF_KTHREAD 0x00200000UL
#define CMDLINE_MAX 65536

const char *const mt_proc_role_names[] = { "pidfile",  "qemu",
					   "libvirtd", "virtlogd",
					   "nova-compute", "neutron-linuxbridge-agent",
					   "ceph-mon", "ceph-osd",
					   "rabbitmq", "mariadb",
					   "unit",     NULL };

/* A daemon role: the command names (/proc/PID/comm, at most 15 characters) it runs as, one
 * argument its command line must hold (rabbitmq's Erlang VM), whether id= picks one of several. */
static const struct {
	const char *comms[3];
	const char *arg;
	int has_id;
	const char *units[3]; /* the systemd units (before @ or .service) that may run it */
} daemons[] = {
	[MT_PROC_LIBVIRTD] = { { "virtqemud", "libvirtd" }, NULL, 0, { "virtqemud", "libvirtd" } },
	[MT_PROC_VIRTLOGD] = { { "virtlogd" }, NULL, 0, { "virtlogd" } },
	[MT_PROC_NOVA_COMPUTE] = { { "nova-compute" }, NULL, 0, { "nova-compute" } },
	[MT_PROC_NEUTRON_AGENT] = { { "neutron-linuxbr" }, NULL, 0,
				    { "neutron-linuxbridge-agent" } },
	[MT_PROC_CEPH_MON] = { { "ceph-mon" }, NULL, 1, { "ceph-mon" } },
	[MT_PROC_CEPH_OSD] = { { "ceph-osd" }, NULL, 1, { "ceph-osd" } },
	[MT_PROC_RABBITMQ] = { { "beam.smp" }, "rabbit", 0, { "rabbitmq-server" } },
	[MT_PROC_MARIADB] = { { "mariadbd", "mysqld" }, NULL, 0, { "mariadb", "mysql" } },
};

static int is_daemon_role(enum mt_proc_role role)
{
	return role >= MT_PROC_LIBVIRTD && role <= MT_PROC_MARIADB;
}

int mt_proc_role_parse(const char *name)
{
	for (int i = 0; name && mt_proc_role_names[i]; i++)
		if (strcmp(mt_proc_role_names[i], name) == 0)
			return i;
	return -1;
}

int mt_proc_role_has_id(enum mt_proc_role role)
{
	return is_daemon_role(role) && daemons[role].has_id;
}

int mt_proc_role_is_service(enum mt_proc_role role)
{
	return is_daemon_role(role) || role == MT_PROC_UNIT;
}

int mt_proc_recipe_fits(const struct mt_proc_target *t, const struct mt_service_recipe *r)
{
	size_t base;

	switch (r->kind) {
	case MT_RECIPE_NONE:
		return 1;
	case MT_RECIPE_LAB:
		/* The lab starts its libvirtd and virtlogd, for their roles or their pid files. */
		return t->role == MT_PROC_PIDFILE ||
		       (is_daemon_role(t->role) && strcmp(mt_proc_role_names[t->role], r->name) == 0);
	case MT_RECIPE_SYSTEMD:
		if (t->role == MT_PROC_UNIT)
			return t->unit && strcmp(t->unit, r->name) == 0;
		if (t->role == MT_PROC_PIDFILE)
			return 1;
		if (!is_daemon_role(t->role))
			return 0;
		base = strcspn(r->name, "@.");
		for (size_t i = 0; i < 3 && daemons[t->role].units[i]; i++)
			if (strlen(daemons[t->role].units[i]) == base &&
			    strncmp(r->name, daemons[t->role].units[i], base) == 0)
				return 1;
		return 0;
	}
	return 0;
}

static int name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return 0;
	return 1;
}

int mt_proc_id_ok(const char *id)
{
	return name_ok(id, 64, "._-");
}

int mt_proc_unit_ok(const char *unit)
{
	size_t n = unit ? strlen(unit) : 0;

	return name_ok(unit, 127, ":_.@-") && n > 8 && strcmp(unit + n - 8, ".service") == 0;
}

int mt_proc_domain_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return 0;
	return 1;
}

unsigned long long mt_proc_start_time(int pid)
{
	struct mt_procstat s;

	return pid > 0 && mt_procstat_read(pid, &s) == 0 ? s.start : 0;
}

char mt_proc_state(int pid, unsigned long long start)
{
	struct mt_procstat s;

	return pid > 0 && mt_procstat_read(pid, &s) == 0 && s.start == start ? s.state : 0;
}

int mt_proc_safe(int pid, struct mt_error *err)
{
	struct mt_procstat s;

	if (pid <= 1)
		return mt_err(err, MT_EINVAL, "pid %d is init or not a process: never signalled",
			      pid);
	if (mt_procstat_read(pid, &s) < 0)
		return mt_err(err, MT_ENOTFOUND, "process %d does not exist", pid);
	if (pid == getpid() || pid == getppid())
		return mt_err(err, MT_EINVAL, "process %d is migtorture itself or its parent: "
			      "never signalled", pid);
	if (pid == getpgrp() || s.pgrp == getpgrp())
		return mt_err(err, MT_EINVAL, "process %d is in migtorture's own process group "
			      "(%d): never signalled", pid, (int)getpgrp());
	if ((s.flags & PF_KTHREAD) || pid == 2 || s.ppid == 2)
		return mt_err(err, MT_EINVAL, "process %d is a kernel thread: never signalled",
			      pid);
	return 0;
}

/* The pid a pid file holds (a decimal number, blanks around it), or 0. */
static int pidfile_pid(const char *path)
{
	char *t, *end;
	long v;
	int pid = 0;

	if (!path || path[0] != '/')
		return 0;
	t = mt_slurp(path, 64, NULL, 1);
	if (!t)
		return 0;
	errno = 0;
	v = strtol(t, &end, 10);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (!errno && end != t && !*end && v > 0 && v < (1L << 22))
		pid = (int)v;
	free(t);
	return pid;
}

/* 1 when pid's command line is a QEMU's with `-name guest=DOMAIN[,...]` (libvirt's form). */
static int is_qemu_of(int pid, const char *domain)
{
	char path[64], *t;
	size_t n = 0, dl = strlen(domain);
	int ok = 0, prev_name = 0, qemu = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	t = mt_slurp(path, CMDLINE_MAX, &n, 0);
	if (!t)
		return 0;
	for (char *a = t; a < t + n; a += strlen(a) + 1) {
		const char *base = strrchr(a, '/');

		if (a == t)
			qemu = strstr(base ? base + 1 : a, "qemu") != NULL;
		if (prev_name && strncmp(a, "guest=", 6) == 0 && strncmp(a + 6, domain, dl) == 0 &&
		    (a[6 + dl] == '\0' || a[6 + dl] == ','))
			ok = 1;
		prev_name = strcmp(a, "-name") == 0;
	}
	free(t);
	return ok && qemu;
}

char *mt_proc_comm(int pid)
{
	char path[64], *comm;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm = mt_slurp(path, 64, NULL, 0);
	if (comm)
		comm[strcspn(comm, "\n")] = '\0';
	return comm;
}

/* 1 when pid runs as one of role's commands, with its argument and, given an id, with
 * `--id ID`, `--id=ID` or `-i ID` on its command line. */
static int is_daemon(int pid, enum mt_proc_role role, const char *id)
{
	char path[64], *comm, *cmd = NULL;
	size_t n = 0;
	int ok = 0, arg_ok, id_ok, prev_id = 0;

	comm = mt_proc_comm(pid);
	if (!comm)
		return 0;
	for (size_t i = 0; i < 3 && daemons[role].comms[i]; i++)
		if (strcmp(comm, daemons[role].comms[i]) == 0)
			ok = 1;
	free(comm);
	if (!ok || (!daemons[role].arg && !id))
		return ok;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cmd = mt_slurp(path, CMDLINE_MAX, &n, 0);
	arg_ok = !daemons[role].arg;
	id_ok = !id;
	for (char *a = cmd; a && a < cmd + n; a += strlen(a) + 1) {
		if (daemons[role].arg && strcmp(a, daemons[role].arg) == 0)
			arg_ok = 1;
		if (id && ((prev_id && strcmp(a, id) == 0) ||
			   (strncmp(a, "--id=", 5) == 0 && strcmp(a + 5, id) == 0)))
			id_ok = 1;
		prev_id = strcmp(a, "--id") == 0 || strcmp(a, "-i") == 0;
	}
	free(cmd);
	return arg_ok && id_ok;
}

/* 1 when pid is in unit's cgroup (the start recipe found for it names the unit). */
static int is_unit_process(int pid, const char *unit)
{
	struct mt_service_recipe r;

	mt_service_recipe_of(pid, &r);
	return r.kind == MT_RECIPE_SYSTEMD && unit && strcmp(r.name, unit) == 0;
}

/* 1 when pid lives in the caller's network namespace: the lab runs one libvirtd per host
 * namespace (its QEMUs inherit it; during a migration both hosts have a QEMU of the domain),
 * and the runner enters the fault's host before apply. */
static int same_netns(int pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat("/proc/self/ns/net", &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static int matches_now(const struct mt_proc_target *t, int pid)
{
	switch (t->role) {
	case MT_PROC_PIDFILE:
		return pidfile_pid(t->pidfile) == pid;
	case MT_PROC_QEMU:
		return mt_proc_domain_ok(t->domain) && is_qemu_of(pid, t->domain);
	case MT_PROC_UNIT:
		return mt_proc_unit_ok(t->unit) && is_unit_process(pid, t->unit);
	default:
		return is_daemon_role(t->role) &&
		       is_daemon(pid, t->role, mt_proc_role_has_id(t->role) ? t->id : NULL);
	}
}

int mt_proc_is_target(const struct mt_proc_target *t, int pid, unsigned long long start)
{
	struct mt_procstat s;

	if (pid <= 1 || mt_procstat_read(pid, &s) < 0 || s.start != start || s.state == 'Z' ||
	    s.state == 'X')
		return 0;
	return matches_now(t, pid);
}

/* Every process of /proc that t describes; more than one is an error naming two of them. */
static int scan(const struct mt_proc_target *t, int *pid, struct mt_error *err)
{
	char buf[96];
	DIR *d = opendir("/proc");
	int found = 0, rc = 0;

	*pid = 0;
	if (!d)
		return mt_err(err, MT_EINFRA, "cannot read /proc: %s", strerror(errno));
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		int p = atoi(de->d_name);
		struct mt_procstat s;

		if (p <= 1 || mt_procstat_read(p, &s) < 0 || s.state == 'Z' || (s.flags & PF_KTHREAD))
			continue;
		if (!matches_now(t, p) || !same_netns(p))
			continue;
		if (found++) {
			rc = mt_err(err, MT_EINVAL, "%s names more than one process (%d and %d): "
				    "give %spidfile= instead",
				    mt_proc_target_text(t, buf, sizeof(buf)), *pid, p,
				    mt_proc_role_has_id(t->role) ? "id= or " : "");
			break;
		}
		*pid = p;
	}
	closedir(d);
	return rc;
}

int mt_proc_resolve(const struct mt_proc_target *t, int *pid, unsigned long long *start,
		    struct mt_error *err)
{
	char buf[96];
	int rc = 0;

	*pid = 0;
	*start = 0;
	if (t->role == MT_PROC_QEMU && !mt_proc_domain_ok(t->domain))
		return mt_err(err, MT_EINVAL, "role=qemu: '%.64s' is not a domain name (the cell "
			      "names none, or domain= is not letters, digits, . _ -)",
			      t->domain ? t->domain : "");
	if (t->id && !mt_proc_id_ok(t->id))
		return mt_err(err, MT_EINVAL, "id '%.64s' is not a Ceph daemon id", t->id);
	if (t->role == MT_PROC_PIDFILE)
		*pid = pidfile_pid(t->pidfile);
	else if (t->role == MT_PROC_UNIT && (rc = mt_service_main_pid(t->unit, pid, err)) < 0)
		return rc;
	else if (t->role != MT_PROC_UNIT && (rc = scan(t, pid, err)) < 0)
		return rc;
	if (*pid <= 0)
		return mt_err(err, MT_ENOTFOUND, "%s: no such process runs here",
			      mt_proc_target_text(t, buf, sizeof(buf)));
	rc = mt_proc_safe(*pid, err);
	if (rc < 0)
		return rc;
	*start = mt_proc_start_time(*pid);
	/* Read again after the start time: the process the description named is that one. */
	if (!*start || !mt_proc_is_target(t, *pid, *start))
		return mt_err(err, MT_ENOTFOUND, "%s: process %d ended while it was looked up",
			      mt_proc_target_text(t, buf, sizeof(buf)), *pid);
	return 0;
}

const char *mt_proc_target_text(const struct mt_proc_target *t, char *buf, size_t len)
{
	switch (t->role) {
	case MT_PROC_PIDFILE:
		snprintf(buf, len, "pidfile %s", t->pidfile ? t->pidfile : "?");
		break;
	case MT_PROC_QEMU:
		snprintf(buf, len, "qemu of %s", t->domain ? t->domain : "?");
		break;
	case MT_PROC_UNIT:
		snprintf(buf, len, "unit %s", t->unit ? t->unit : "?");
		break;
	default:
		if (mt_proc_role_has_id(t->role) && t->id)
			snprintf(buf, len, "%s %s", mt_proc_role_names[t->role], t->id);
		else
			snprintf(buf, len, "%s", mt_proc_role_names[t->role]);
	}
	return buf;
}
