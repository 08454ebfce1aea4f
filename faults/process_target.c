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

/* include/linux/sched.h: set in the flags of every kernel thread. */
#define PF_KTHREAD 0x00200000UL
#define CMDLINE_MAX 65536

const char *const mt_proc_role_names[] = { "pidfile", "qemu", "libvirtd", NULL };

/* The commands role libvirtd accepts: the modular QEMU daemon first, then the monolithic. */
static const char *const libvirt_daemons[] = { "virtqemud", "libvirtd", NULL };

int mt_proc_role_parse(const char *name)
{
	for (int i = 0; name && mt_proc_role_names[i]; i++)
		if (strcmp(mt_proc_role_names[i], name) == 0)
			return i;
	return -1;
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

/* A whole small file, NUL-terminated; *len its length. NULL when unreadable or empty, and when
 * regular is set and it is not a regular file (a FIFO or a device put where a pid file was
 * would block or mislead; O_NONBLOCK keeps the open itself from waiting on a FIFO). */
static char *slurp(const char *path, size_t max, size_t *len, int regular)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char *buf = fd >= 0 ? malloc(max + 1) : NULL;
	struct stat st;
	ssize_t n = -1;

	if (buf && (!regular || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))))
		n = mt_pread_full(fd, buf, max, 0);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

/* The pid a pid file holds (a decimal number, blanks around it), or 0. */
static int pidfile_pid(const char *path)
{
	char *t, *end;
	long v;
	int pid = 0;

	if (!path || path[0] != '/')
		return 0;
	t = slurp(path, 64, NULL, 1);
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
	t = slurp(path, CMDLINE_MAX, &n, 0);
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

/* 1 when pid's command (comm) is one of the libvirt daemons. */
static int is_libvirt_daemon(int pid)
{
	char path[64], *t;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	t = slurp(path, 64, NULL, 0);
	if (!t)
		return 0;
	t[strcspn(t, "\n")] = '\0';
	for (size_t i = 0; libvirt_daemons[i]; i++)
		if (strcmp(t, libvirt_daemons[i]) == 0)
			ok = 1;
	free(t);
	return ok;
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
	case MT_PROC_LIBVIRTD:
		return is_libvirt_daemon(pid);
	}
	return 0;
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
				    "give pidfile= instead",
				    mt_proc_target_text(t, buf, sizeof(buf)), *pid, p);
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
	if (t->role == MT_PROC_PIDFILE)
		*pid = pidfile_pid(t->pidfile);
	else if ((rc = scan(t, pid, err)) < 0)
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
	case MT_PROC_LIBVIRTD:
		snprintf(buf, len, "libvirtd");
		break;
	}
	return buf;
}
