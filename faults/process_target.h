/* process_target.h — which process the process faults (faults/process.c) act on, and the
 * checks that keep them off anything else. Shared with the agent's policy
 * (suite/agent_policy.c), which checks an undo record from the peer against the same
 * description before it lets the record run (docs/remote-hosts.md).
 *
 * A target is never a pid from input: it is a role resolved on the host (the domain's QEMU,
 * the host's libvirt daemon) or a pid file the host keeps. What the faults journal is the pid
 * with its start time (/proc/PID/stat field 22), so a pid that has been recycled since is
 * never signalled.
 */
#ifndef MT_FAULTS_PROCESS_TARGET_H
#define MT_FAULTS_PROCESS_TARGET_H

#include <stddef.h>

#include "migtorture/error.h"

enum mt_proc_role { MT_PROC_PIDFILE, MT_PROC_QEMU, MT_PROC_LIBVIRTD };

/* The option table's choices for role=, in enum order, NULL-terminated. */
extern const char *const mt_proc_role_names[];

struct mt_proc_target {
	enum mt_proc_role role;
	const char *pidfile; /* role pidfile: an absolute path */
	const char *domain;  /* role qemu: the libvirt domain's name */
};

/* The role called name, or -1. */
int mt_proc_role_parse(const char *name);

/* Is name a libvirt domain name this code will look for (letters, digits, . _ -, at most
 * 200 characters)? It is matched against QEMU command lines, so nothing else is taken. */
int mt_proc_domain_ok(const char *name);

/* The start time (/proc/PID/stat field 22) of pid, or 0 when it does not exist. */
unsigned long long mt_proc_start_time(int pid);

/* The state letter of pid (/proc/PID/stat field 3: R, S, T, Z ...) while its start time is
 * start, else 0 (gone, or the pid is another process's now). */
char mt_proc_state(int pid, unsigned long long start);

/* 0 when pid may be signalled by this process; MT_EINVAL (err says why) for pid 1 or less,
 * this process, its process group or a process in it, its parent, or a kernel thread;
 * MT_ENOTFOUND when there is no such process. */
int mt_proc_safe(int pid, struct mt_error *err);

/* Resolves t on this host (roles: in the caller's network namespace) into a pid
 * and its start time. MT_ENOTFOUND when nothing runs there, MT_EINVAL when the description
 * names more than one process or an unsafe one (mt_proc_safe), err saying which. */
int mt_proc_resolve(const struct mt_proc_target *t, int *pid, unsigned long long *start,
		    struct mt_error *err);

/* 1 when pid, started at start, runs now and is still what t describes (the pid file names it;
 * its command line has `-name guest=DOMAIN`; its command is virtqemud or libvirtd), else 0.
 * Undo calls it before every signal. */
int mt_proc_is_target(const struct mt_proc_target *t, int pid, unsigned long long start);

/* A one-line description of t for messages and metrics ("qemu of web", "pidfile /run/x.pid"). */
const char *mt_proc_target_text(const struct mt_proc_target *t, char *buf, size_t len);

/* The target, pid and start time of a process fault's undo record (faults/process.c, which
 * defines it), strings copied into buf. 0, or MT_EINVAL for a record that is not one of its
 * own. The agent's policy reads the peer's records with it. */
int mt_process_record_parse(const char *undo_json, struct mt_proc_target *t, int *pid,
			    unsigned long long *start, char *buf, size_t len);

#endif
