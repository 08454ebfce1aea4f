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

#include <limits.h>
#include <stddef.h>

#include "migtorture/error.h"
#include "service.h"

/* The roles, in the order of mt_proc_role_names. A daemon role is found by its command name
 * (/proc/PID/comm) in the host's network namespace; ceph-mon and ceph-osd also by id=. */
enum mt_proc_role {
	MT_PROC_PIDFILE,
	MT_PROC_QEMU,
	MT_PROC_LIBVIRTD,
	MT_PROC_VIRTLOGD,
	MT_PROC_NOVA_COMPUTE,
	MT_PROC_NEUTRON_AGENT,
	MT_PROC_CEPH_MON,
	MT_PROC_CEPH_OSD,
	MT_PROC_RABBITMQ,
	MT_PROC_MARIADB,
	MT_PROC_UNIT,
};

/* The option table's choices for role=, in enum order, NULL-terminated. */
extern const char *const mt_proc_role_names[];

struct mt_proc_target {
	enum mt_proc_role role;
	const char *pidfile; /* role pidfile: an absolute path */
	const char *domain;  /* role qemu: the libvirt domain's name */
	const char *id;      /* roles ceph-mon, ceph-osd: the daemon's id (--id / -i), or NULL */
	const char *unit;    /* role unit: a systemd service (NAME.service) */
};

/* The role called name, or -1. */
int mt_proc_role_parse(const char *name);

/* Does role take id= (ceph-mon, ceph-osd)? */
int mt_proc_role_has_id(enum mt_proc_role role);

/* Is id a Ceph daemon id this code looks for (letters, digits, . _ -, at most 64)? */
int mt_proc_id_ok(const char *id);

/* Is unit a systemd service name (letters, digits, : _ . @ -, ending in .service)? */
int mt_proc_unit_ok(const char *unit);

/* The command name of pid (/proc/PID/comm: at most 15 characters, no newline), malloc'd; NULL
 * when pid is gone or unreadable. */
char *mt_proc_comm(int pid);

/* Is role one whose process may be stopped and started again as a service (not qemu, not a
 * bare pid file)? The start recipe itself is found on the host (faults/service.h). */
int mt_proc_role_is_service(enum mt_proc_role role);

/* Is name a libvirt domain name this code will look for (letters, digits, . _ -, at most
 * 200 characters)? It is matched against QEMU command lines, so nothing else is taken. */
int mt_proc_domain_ok(const char *name);

/* May r start what t describes? A lab recipe only the lab daemon of that role; a systemd
 * recipe only the role's own units (libvirtd.service, ceph-osd@3.service ...), for role=unit
 * that unit. A pid file's daemon may have any: the agent checks its unit against its list. */
int mt_proc_recipe_fits(const struct mt_proc_target *t, const struct mt_service_recipe *r);

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
 * its command line has `-name guest=DOMAIN`; its command is the role's, with the id; it is
 * the unit's main process), else 0. Undo calls it before every signal. */
int mt_proc_is_target(const struct mt_proc_target *t, int pid, unsigned long long start);

/* A one-line description of t for messages and metrics ("qemu of web", "pidfile /run/x.pid",
 * "ceph-osd 3", "unit nova-compute.service"); its first word is the role. */
const char *mt_proc_target_text(const struct mt_proc_target *t, char *buf, size_t len);

/* A process fault's undo record (faults/process.c writes it), typed: the target, the pid and
 * its start time, the signal sent and the start recipe found before it was sent. */
struct mt_proc_record {
	char fault[32];
	struct mt_proc_target t; /* its strings point into the fields below */
	int pid;
	unsigned long long start;
	char signal[16];
	struct mt_service_recipe recipe;
	char pidfile[PATH_MAX], domain[208], id[72], unit[136];
};

/* Fills r from a record: 0, or MT_EINVAL for one that is not a process fault's (unknown role,
 * a malformed name, pid or recipe, a recipe for a role that has none). The agent's policy
 * reads the peer's records with it. */
int mt_process_record_parse(const char *undo_json, struct mt_proc_record *r);

/* The record's JSON (malloc'd), or NULL when out of memory. The one writer: the faults and
 * the agent (which rebuilds a peer's record from its typed fields) both use it. */
char *mt_process_record_json(const struct mt_proc_record *r);

/* Points r->t's strings at r's own copies of t's (truncated to fit). */
void mt_process_record_target(struct mt_proc_record *r, const struct mt_proc_target *t);

#endif
