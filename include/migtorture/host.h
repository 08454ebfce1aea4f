/* migtorture/host.h — where a fault or host workload acts.
 *
 * A host is `local` (optionally inside a network namespace, entered with setns) or `ssh`
 * (OpenSSH, key auth, BatchMode; one session held per run; the far side runs
 * `migtorture agent`, speaking JSON lines on stdin/stdout). Plugins act on "the current host":
 * the runner enters the namespace or forwards the action before calling them, so a plugin's
 * apply/undo code is the same for every kind of host. The journal records the host of every
 * entry (as the JSON from mt_host_to_json) so `recover` can act in the same place.
 */
#ifndef MIGTORTURE_HOST_H
#define MIGTORTURE_HOST_H

#include "error.h"

enum mt_host_kind { MT_HOST_LOCAL, MT_HOST_SSH };

struct mt_host {
	char *name;            /* "local", "hosta", "router", ... as the scenario names it */
	enum mt_host_kind kind;
	char *netns;           /* LOCAL: namespace name under /run/netns, or NULL for the caller's */
	char *ssh_address;     /* SSH: address or name */
	char *ssh_user;        /* SSH: login user (default root) */
	char *ssh_identity;    /* SSH: path of the private key file (never its content) */
	char *ssh_known_hosts; /* SSH: known_hosts file to use (StrictHostKeyChecking yes) */
	char *remote_binary;   /* SSH: path of migtorture on the far side (default "migtorture") */
	/* LOCAL: where a hypervisor here keeps its logs, as path patterns ("{domain}" stands for
	 * the domain): the daemon's, the domain's QEMU log, its serial console; NULL = none.
	 * An ssh host's agent.conf says where its own are. */
	char *log_libvirtd, *log_qemu, *log_console;
};

/* Enters host->netns in the calling thread (LOCAL only); *saved_fd receives the previous
 * namespace to give back to mt_host_leave. A host without netns is a no-op (saved_fd = -1). */
int mt_host_enter(const struct mt_host *host, int *saved_fd, struct mt_error *err);
int mt_host_leave(int saved_fd, struct mt_error *err);

/* JSON text describing the host (malloc'd), and back. Credentials are paths, never values. */
char *mt_host_to_json(const struct mt_host *host);
int mt_host_from_json(const char *json, struct mt_host *out, struct mt_error *err);

void mt_host_free(struct mt_host *host); /* frees the members, not host itself */

#endif
