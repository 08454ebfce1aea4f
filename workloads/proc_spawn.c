/* proc_spawn.c — fork/exec of a program as its own process group, journalled before it execs,
 * PR_SET_PDEATHSIG as a backstop. Why not posix_spawn: see proc_spawn.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_spawn.h"
#include "procstat.h"
#include "migtorture/units.h"

extern char **environ;

int mt_spawn_which(const char *prog, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (!prog || !prog[0])
		return MT_ENOTFOUND;
	if (strchr(prog, '/')) {
		if (access(prog, X_OK) != 0 || snprintf(buf, len, "%s", prog) >= (int)len)
			return MT_ENOTFOUND;
		return 0;
	}
	if (!path || !path[0])
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;

		if (n > 0 && snprintf(buf, len, "%.*s/%s", (int)n, path, prog) < (int)len &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		path += n;
		if (*path == ':')
			path++;
	}
	return MT_ENOTFOUND;
}

/* The child between fork and exec: async-signal-safe calls only (the runner has threads). */
static void child(const char *file, const char *const argv[], int out_fd, int go_fd,
		  int ex_fd, pid_t parent, unsigned flags)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	char go = 0;
	int e, nul;

	/* The runner's handlers (self-pipe writers) must not run here or in the program. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &dfl, NULL);
	(void)setpgid(0, 0);
	if (!(flags & MT_SPAWN_NO_PDEATHSIG)) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			goto fail;
		/* The parent may have died before prctl: then nobody would kill us. */
		if (getppid() != parent)
			_exit(127);
	}
	/* Held here until the parent has journalled us; EOF = the parent gave up. */
	while (read(go_fd, &go, 1) < 0 && errno == EINTR)
		;
	if (go != 'g')
		_exit(127);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out_fd >= 0 ? out_fd : nul, 1) < 0 ||
	    dup2(out_fd >= 0 ? out_fd : nul, 2) < 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(file, (char *const *)argv, environ);
fail:
	e = errno;
	(void)!write(ex_fd, &e, sizeof(e));
	_exit(127);
}

int mt_spawn_group(const char *const argv[], int out_fd, struct mt_journal *j,
		   const struct mt_host *host, const char *what, unsigned flags,
		   struct mt_spawned *sp, struct mt_error *err)
{
	int go[2] = { -1, -1 }, ex[2] = { -1, -1 };
	sigset_t all, old;
	char file[4096];
	int64_t t_start = mt_now_ns();
	pid_t parent = getpid(), pid;
	ssize_t r;
	int e = 0, rc = 0;

	memset(sp, 0, sizeof(*sp));
	if (!argv || !argv[0])
		return mt_err(err, MT_EINVAL, "spawn: no program");
	if (mt_spawn_which(argv[0], file, sizeof(file)) < 0)
		return mt_err(err, MT_ENOTFOUND, "%s: not found in PATH", argv[0]);
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		rc = mt_err(err, MT_EINFRA, "spawn %s: pipe: %s", argv[0], strerror(errno));
		goto out;
	}
	/* Block signals across fork so no handler runs in the child before it resets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(file, argv, out_fd, go[0], ex[1], parent, flags);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		rc = mt_err(err, MT_EINFRA, "spawn %s: fork: %s", argv[0], strerror(e));
		goto out;
	}
	/* Both sides set the group, so it is in place whichever runs first. */
	(void)setpgid(pid, pid);
	close(go[0]);
	close(ex[1]);
	go[0] = ex[1] = -1;
	sp->pid = pid;
	if (j) {
		rc = mt_journal_process(j, host, pid, what ? what : argv[0], &sp->jid, err);
		if (rc < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			sp->pid = 0;
			goto out;
		}
	}
	/* Go. Exec success closes ex[1] (CLOEXEC) with nothing written. */
	if (write(go[1], "g", 1) != 1) {
		e = errno;
		goto failed;
	}
	close(go[1]);
	go[1] = -1;
	while ((r = read(ex[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (r == 0) {
		sp->spawn_ns = mt_now_ns() - t_start;
		goto out;
	}
failed:
	waitpid(pid, &sp->status, 0);
	sp->reaped = 1;
	if (j && sp->jid) {
		struct mt_error lerr = { 0 };

		(void)mt_journal_end(j, sp->jid, 0, 0, &lerr);
	}
	sp->pid = 0;
	rc = mt_err(err, MT_EINFRA, "spawn %s: exec: %s", file, strerror(e));
out:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	return rc;
}

double mt_spawn_group_cpu_s(int pgid)
{
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long sum = 0;
	int found = 0;
	DIR *d;

	if (pgid <= 1 || hz <= 0 || !(d = opendir("/proc")))
		return -1;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		struct mt_procstat st;
		int pid = atoi(de->d_name);

		if (pid <= 0 || mt_procstat_read(pid, &st) < 0 || st.pgrp != pgid)
			continue;
		sum += st.utime + st.stime;
		found = 1;
	}
	closedir(d);
	return found ? (double)sum / (double)hz : -1;
}

int mt_spawn_group_alive(int pgid)
{
	return mt_group_alive(pgid);
}

/* Waits up to ms for pid to exit WITHOUT reaping it (it keeps the group id reserved). */
static int wait_exit_noreap(int pid, int64_t ns)
{
	int64_t end = mt_now_ns() + ns;

	for (;;) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return 1;
		if (mt_now_ns() >= end)
			return 0;
		usleep(5000);
	}
}

int mt_spawn_stop(struct mt_spawned *sp, int sig, int64_t grace_ns, struct mt_journal *j,
		  int64_t t0_ns, struct mt_error *err)
{
	siginfo_t si = { 0 };
	int rc = 0;

	if (!sp->pid)
		return 0;
	if (waitid(P_PID, (id_t)sp->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	    errno == ECHILD) {
		/* Reaped elsewhere already (the journal's undo of its "process" entry kills and
		 * reaps the group): the number may name another process by now, so nothing is
		 * signalled. */
		sp->reaped = 1;
	} else {
		if (sig > 0)
			kill(sp->pid, sig);
		if (!wait_exit_noreap(sp->pid, grace_ns > 0 ? grace_ns : 0))
			kill(sp->pid, SIGKILL);
		/* Whatever the leader left behind in its group goes too. */
		kill(-sp->pid, SIGKILL);
		if (waitpid(sp->pid, &sp->status, 0) == sp->pid)
			sp->reaped = 1;
		for (int i = 0; i < 200 && mt_spawn_group_alive(sp->pid); i++)
			usleep(5000);
		if (mt_spawn_group_alive(sp->pid))
			rc = mt_err(err, MT_EINFRA, "process group %d survived SIGKILL", sp->pid);
	}
	if (j && sp->jid) {
		struct mt_error lerr = { 0 };
		int jrc = mt_journal_end(j, sp->jid, t0_ns ? mt_now_ns() - t0_ns : 0, rc, &lerr);

		if (jrc < 0 && rc == 0)
			rc = mt_err(err, jrc, "%s", lerr.msg);
		if (rc == 0)
			sp->jid = 0;
	}
	if (rc == 0)
		sp->pid = 0;
	return rc;
}
