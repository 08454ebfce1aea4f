/* service.c — start recipes of the daemons the process faults stop (service.h). */
#include "service.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "migtorture/units.h"
#include "process_target.h"

extern char **environ;

#define RUN_TIMEOUT_NS (60 * MT_NS_PER_S)

static const char *const kind_names[] = { "none", "systemd", "lab", NULL };
/* The daemons the lab's start-daemon knows: each lab host's libvirtd and virtlogd
 * (lab/lib/hosts.sh) and, with the OpenStack lab, its nova-compute and L2 agent
 * (lab/openstack/lib.sh). */
static const char *const lab_daemons[] = { "libvirtd", "virtlogd", "nova-compute",
					   "neutron-linuxbridge-agent", NULL };

/* An OpenStack lab daemon by its per-host config file (os-up writes one per host):
 * --config-file OS/etc/DIR/PREFIX<host>SUFFIX on the command line of the command COMM. */
static const struct os_daemon {
	const char *comm, *name, *dir, *prefix, *suffix;
} os_daemons[] = {
	{ "nova-compute", "nova-compute", "nova", "compute-", ".conf" },
	/* the kernel keeps 15 characters of a command name */
	{ "neutron-linuxbr", "neutron-linuxbridge-agent", "neutron", "linuxbridge-", ".ini" },
};

const char *mt_recipe_kind_name(enum mt_recipe_kind k)
{
	return (unsigned)k < 3 ? kind_names[k] : "none";
}

int mt_recipe_kind_parse(const char *name)
{
	for (int i = 0; name && kind_names[i]; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int lab_host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n >= 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)h[i]) && !isdigit((unsigned char)h[i]))
			return 0;
	return 1;
}

int mt_service_recipe_ok(const struct mt_service_recipe *r)
{
	switch (r->kind) {
	case MT_RECIPE_NONE:
		return 1;
	case MT_RECIPE_SYSTEMD:
		return mt_proc_unit_ok(r->name);
	case MT_RECIPE_LAB:
		return lab_host_ok(r->host) && in_list(lab_daemons, r->name);
	}
	return 0;
}

static const char *lab_state(void)
{
	const char *s = getenv("MT_LAB_STATE");

	return s && s[0] == '/' ? s : "/run/migtorture/lab";
}

static const char *os_state(void)
{
	const char *s = getenv("MT_OS_STATE");

	return s && s[0] == '/' ? s : "/run/migtorture/openstack";
}

/* systemd: the last path component ending in .service of pid's cgroup lines (v2 "0::/PATH",
 * v1 "N:CONTROLLERS:/PATH"). */
static int recipe_systemd(int pid, struct mt_service_recipe *r)
{
	char path[64], *text;
	int found = 0;

	if (access("/run/systemd/system", F_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	text = mt_slurp(path, 16384, NULL, 0);
	for (char *line = text, *next; line && *line; line = next) {
		char *c = strchr(line, ':');

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		c = c ? strchr(c + 1, ':') : NULL;
		/* Each component of the path in turn; the deepest .service one wins. */
		for (char *comp = c ? c + 1 : NULL, *end; comp && *comp; comp = end) {
			end = comp + strcspn(comp, "/");
			if (*end)
				*end++ = '\0';
			if (mt_proc_unit_ok(comp)) {
				snprintf(r->name, sizeof(r->name), "%s", comp);
				found = 1;
			}
		}
	}
	free(text);
	if (found)
		r->kind = MT_RECIPE_SYSTEMD;
	return found;
}

/* lab: `-p STATE/HOST/run/DAEMON.pid` (or --pid-file) on the command line of a DAEMON. */
static int recipe_lab(int pid, struct mt_service_recipe *r)
{
	char path[64], *comm, *cmd, *end;
	const char *state = lab_state();
	size_t n = 0, sl = strlen(state);
	int prev_p = 0, found = 0;

	comm = mt_proc_comm(pid);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cmd = comm && in_list(lab_daemons, comm) ? mt_slurp(path, 65536, &n, 0) : NULL;
	end = cmd ? cmd + n : NULL;
	for (char *a = cmd; a && a < end && !found; a += strlen(a) + 1) {
		const char *pf = prev_p ? a : strncmp(a, "--pid-file=", 11) == 0 ? a + 11 : NULL;
		char host[32], want[PATH_MAX];
		const char *h, *slash;

		prev_p = strcmp(a, "-p") == 0 || strcmp(a, "--pid-file") == 0;
		if (!pf || strncmp(pf, state, sl) != 0 || pf[sl] != '/')
			continue;
		h = pf + sl + 1;
		slash = strchr(h, '/');
		if (!slash || (size_t)(slash - h) >= sizeof(host))
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)(slash - h), h);
		snprintf(want, sizeof(want), "%s/%s/run/%s.pid", state, host, comm);
		if (lab_host_ok(host) && strcmp(pf, want) == 0) {
			r->kind = MT_RECIPE_LAB;
			snprintf(r->host, sizeof(r->host), "%s", host);
			snprintf(r->name, sizeof(r->name), "%s", comm);
			found = 1;
		}
	}
	free(cmd);
	free(comm);
	return found;
}

/* OpenStack lab: a nova-compute or linuxbridge agent whose --config-file is the per-host one
 * os-up wrote under the OpenStack lab's state. */
static int recipe_os(int pid, struct mt_service_recipe *r)
{
	char path[64], *comm, *cmd = NULL, *end;
	const struct os_daemon *d = NULL;
	size_t n = 0;
	int prev = 0, found = 0;

	comm = mt_proc_comm(pid);
	for (size_t i = 0; comm && i < sizeof(os_daemons) / sizeof(os_daemons[0]); i++)
		if (strcmp(comm, os_daemons[i].comm) == 0)
			d = &os_daemons[i];
	free(comm);
	if (!d)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cmd = mt_slurp(path, 65536, &n, 0);
	end = cmd ? cmd + n : NULL;
	for (char *a = cmd; a && a < end && !found; a += strlen(a) + 1) {
		const char *cf = prev ? a : strncmp(a, "--config-file=", 14) == 0 ? a + 14 : NULL;
		char want[PATH_MAX], host[32];
		int len;

		prev = strcmp(a, "--config-file") == 0;
		len = snprintf(want, sizeof(want), "%s/etc/%s/%s", os_state(), d->dir, d->prefix);
		if (!cf || len <= 0 || (size_t)len >= sizeof(want) ||
		    strncmp(cf, want, (size_t)len) != 0)
			continue;
		snprintf(host, sizeof(host), "%.31s", cf + len);
		host[strcspn(host, ".")] = '\0';
		snprintf(want + len, sizeof(want) - (size_t)len, "%s%s", host, d->suffix);
		if (lab_host_ok(host) && strcmp(cf, want) == 0) {
			r->kind = MT_RECIPE_LAB;
			snprintf(r->host, sizeof(r->host), "%s", host);
			snprintf(r->name, sizeof(r->name), "%s", d->name);
			found = 1;
		}
	}
	free(cmd);
	return found;
}

void mt_service_recipe_of(int pid, struct mt_service_recipe *r)
{
	memset(r, 0, sizeof(*r));
	if (pid > 1 && !recipe_systemd(pid, r) && !recipe_lab(pid, r) && !recipe_os(pid, r))
		memset(r, 0, sizeof(*r));
}

const char *mt_service_recipe_text(const struct mt_service_recipe *r, char *buf, size_t len)
{
	switch (r->kind) {
	case MT_RECIPE_SYSTEMD:
		snprintf(buf, len, "systemd %s", r->name);
		break;
	case MT_RECIPE_LAB:
		snprintf(buf, len, "lab %s %s", r->host, r->name);
		break;
	default:
		snprintf(buf, len, "none");
	}
	return buf;
}

/* Runs argv (a fixed command with validated names) with its output on a pipe; waits for it to
 * exit (the pipe may stay open in a daemon it started) or RUN_TIMEOUT_NS. 0 on exit status 0,
 * else MT_EINFRA naming what and the last line it printed; that line also in last_out. */
static int run(char *const argv[], const char *what, char *last_out, size_t last_len,
	       struct mt_error *err)
{
	posix_spawn_file_actions_t fa;
	char out[4096], last[200] = "";
	size_t used = 0;
	int fds[2], pid = 0, status = 0, rc, exited = 0;
	int64_t deadline = mt_now_ns() + RUN_TIMEOUT_NS;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return mt_err(err, MT_EINFRA, "%s: pipe: %s", what, strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return mt_err(err, MT_EINFRA, "%s: cannot run %s: %s", what, argv[0],
			      strerror(rc));
	}
	while (!exited) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && used < sizeof(out) - 1) {
			ssize_t n = read(fds[0], out + used, sizeof(out) - 1 - used);

			used += n > 0 ? (size_t)n : 0;
		}
		exited = waitpid(pid, &status, WNOHANG) == pid;
		if (!exited && mt_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(fds[0]);
			return mt_err(err, MT_EINFRA, "%s: %s did not finish within %d s", what,
				      argv[0], (int)(RUN_TIMEOUT_NS / MT_NS_PER_S));
		}
	}
	close(fds[0]);
	out[used] = '\0';
	while (used && (out[used - 1] == '\n' || out[used - 1] == ' '))
		out[--used] = '\0';
	{
		const char *nl = strrchr(out, '\n');

		snprintf(last, sizeof(last), "%.199s", nl ? nl + 1 : out);
	}
	if (last_out)
		snprintf(last_out, last_len, "%s", last);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return mt_err(err, MT_EINFRA, "%s: %s exited %d%s%s", what, argv[0],
		      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		      last[0] ? ": " : "", last);
}

int mt_service_stop(const struct mt_service_recipe *r, struct mt_error *err)
{
	char what[200];

	if (r->kind != MT_RECIPE_SYSTEMD || !mt_service_recipe_ok(r))
		return MT_EUNSUPPORTED;
	snprintf(what, sizeof(what), "stopping %s", r->name);
	return run((char *const[]){ "systemctl", "stop", (char *)r->name, NULL }, what, NULL, 0,
		   err);
}

int mt_service_start(const struct mt_service_recipe *r, struct mt_error *err)
{
	char what[200], lab[PATH_MAX];
	const char *dir = getenv("MT_LAB_DIR");

	if (!mt_service_recipe_ok(r))
		return mt_err(err, MT_EINVAL, "start recipe: malformed");
	snprintf(what, sizeof(what), "starting %s", mt_service_recipe_text(r, lab, sizeof(lab)));
	switch (r->kind) {
	case MT_RECIPE_SYSTEMD:
		return run((char *const[]){ "systemctl", "start", (char *)r->name, NULL }, what,
			   NULL, 0, err);
	case MT_RECIPE_LAB:
		if ((size_t)snprintf(lab, sizeof(lab), "%s/mt-lab",
				     dir && dir[0] == '/' ? dir : MT_DATA_DIR "/lab") >= sizeof(lab))
			return mt_err(err, MT_EINVAL, "%s: MT_LAB_DIR too long", what);
		return run((char *const[]){ lab, "start-daemon", (char *)r->host, (char *)r->name,
					    NULL },
			   what, NULL, 0, err);
	default:
		return mt_err(err, MT_EUNSUPPORTED, "no start recipe");
	}
}

int mt_service_main_pid(const char *unit, int *pid, struct mt_error *err)
{
	char what[200], out[200], *end;
	long v;
	int rc;

	*pid = 0;
	if (!mt_proc_unit_ok(unit))
		return mt_err(err, MT_EINVAL, "unit '%.64s' is not a systemd service name", unit);
	if (access("/run/systemd/system", F_OK) != 0)
		return mt_err(err, MT_EUNSUPPORTED, "systemd does not run on this host");
	snprintf(what, sizeof(what), "main pid of %s", unit);
	rc = run((char *const[]){ "systemctl", "show", "--property=MainPID", "--value",
				  (char *)unit, NULL },
		 what, out, sizeof(out), err);
	if (rc < 0)
		return rc;
	v = strtol(out, &end, 10);
	if (end == out || *end || v < 0 || v > INT_MAX)
		return mt_err(err, MT_EINFRA, "%s: systemctl said '%.64s'", what, out);
	*pid = (int)v;
	return 0;
}
