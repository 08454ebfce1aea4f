/* proc_spawn.h — start a program as the leader of its own process group, journalled before it
 * runs, with PR_SET_PDEATHSIG as a backstop; stop it with its group. Internal to workloads/.
 *
 * Why not posix_spawn: posix_spawn cannot set PR_SET_PDEATHSIG in the child, and it cannot hold
 * the child before exec. A helper binary could do both, but it would have to be found at run
 * time (build tree, install tree, test binaries). So this file does what posix_spawn does
 * internally — fork, a few async-signal-safe calls, execve with an argv array (no shell) — and
 * adds the two things: the child sets PDEATHSIG and then waits on a pipe until the parent has
 * written the journal entry (mt_journal_process needs the pid), so the program never runs
 * unjournalled. If the parent dies before that, the pipe closes and the child exits; if it
 * dies after, the kernel sends SIGKILL (PDEATHSIG) and `recover` kills the rest of the group.
 *
 * PDEATHSIG fires when the THREAD that spawned dies, not the process: spawn from the runner's
 * main (loop) thread, which lives as long as the run.
 */
#ifndef MT_WORKLOADS_PROC_SPAWN_H
#define MT_WORKLOADS_PROC_SPAWN_H

#include <stdint.h>

#include "migtorture/error.h"
#include "migtorture/host.h"
#include "migtorture/journal.h"

#define MT_SPAWN_NO_PDEATHSIG 0x1u /* tests only: leave the backstop off to exercise recover */

struct mt_spawned {
	int pid;        /* leader of its own group (pgid == pid); 0 when not running */
	uint64_t jid;   /* its journal entry (0: none) */
	int status;     /* wait status once reaped (valid when reaped) */
	int reaped;
	int64_t spawn_ns; /* how long spawn took: fork to exec confirmed */
};

/* Runs argv[0] (looked up in PATH when it has no '/') with argv and the caller's environment,
 * stdin from /dev/null, stdout and stderr to out_fd (-1: /dev/null), in its own process group,
 * in the calling thread's network namespace. When j is non-NULL the process is recorded with
 * mt_journal_process(j, host, pid, what) BEFORE it execs. Returns 0 and fills *sp, or
 * MT_ENOTFOUND (program not in PATH; err names it), MT_EINFRA (fork/exec/journal failed; nothing
 * is left running). The caller owns the process: mt_spawn_stop it. */
int mt_spawn_group(const char *const argv[], int out_fd, struct mt_journal *j,
		   const struct mt_host *host, const char *what, unsigned flags,
		   struct mt_spawned *sp, struct mt_error *err);

/* Looks prog up in PATH (or checks it when it has a '/'). Returns 0 and writes the path into
 * buf, or MT_ENOTFOUND. */
int mt_spawn_which(const char *prog, char *buf, size_t len);

/* Stops the group: `sig` to the leader (e.g. SIGINT: stress-ng then writes its report), waits
 * up to grace_ns for the leader to exit, then SIGKILL to the whole group (the unreaped leader
 * keeps the group id from being reused meanwhile), reaps the leader, and closes the journal
 * entry (t_ns relative to t0_ns). Idempotent. Returns 0 or MT_EINFRA. */
int mt_spawn_stop(struct mt_spawned *sp, int sig, int64_t grace_ns, struct mt_journal *j,
		  int64_t t0_ns, struct mt_error *err);

/* CPU time (user + system, seconds) used so far by the live members of group pgid, from
 * /proc/PID/stat; -1 when none is alive. One /proc scan: call it at most every second or so. */
double mt_spawn_group_cpu_s(int pgid);

/* Nonzero while any process of group pgid is alive (zombies excluded). */
int mt_spawn_group_alive(int pgid);

#endif
