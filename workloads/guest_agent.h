/* guest_agent.h — run a program inside the VM through the QEMU guest agent (libvirt's
 * virDomainQemuAgentCommand: guest-exec, then guest-exec-status until it exited). Internal to
 * workloads/.
 *
 * Calls block (the agent answers in 2–40 ms, 130–190 ms right after a migration under TCG:
 * docs/lab.md, "Measured facts"): use them at start/stop/collect, not on the loop's hot path.
 */
#ifndef MT_WORKLOADS_GUEST_AGENT_H
#define MT_WORKLOADS_GUEST_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/error.h"

struct mt_ga {
	void *conn;  /* virConnectPtr */
	void *dom;   /* virDomainPtr */
	char *uri;   /* what conn is connected to */
	char *domain;
};

/* Connects to uri (NULL = libvirt's default) and looks domain up; reconnects when uri changed
 * since the last call (the VM migrated), otherwise keeps the connection. MT_EINFRA with
 * libvirt's message on failure. */
int mt_ga_attach(struct mt_ga *ga, const char *uri, const char *domain, struct mt_error *err);
void mt_ga_close(struct mt_ga *ga);

/* Runs path with argv[] (argv[0] is NOT the program name: the arguments only, NULL-terminated)
 * in the guest and waits up to timeout_ns for it to exit. *exitcode gets its exit code (-1
 * when it was killed by a signal), *out its stdout (malloc'd, NUL-terminated; may be NULL
 * when not wanted). MT_ETIMEOUT when it did not exit in time, MT_EINFRA for agent errors. */
int mt_ga_exec(struct mt_ga *ga, const char *path, const char *const argv[], int64_t timeout_ns,
	       int *exitcode, char **out, struct mt_error *err);

struct mt_params;
struct mt_ctx;

/* The `supported` hook of every workload that runs mt-guest through the agent (guest-dirty,
 * guest-cpu, guest-disk): 0 when the cell names a domain (ctx->domain) to run it in, else
 * MT_EUNSUPPORTED with the reason in why[whylen]. p is not used. It does not contact the
 * agent: whether the agent answers is found out at start. */
int mt_ga_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
		    size_t whylen);

/* --- pure helpers (tested without a VM) --- */

/* The guest-exec command's JSON (malloc'd) or NULL. */
char *mt_ga_exec_json(const char *path, const char *const argv[]);
/* Parses a guest-exec-status reply: *exited, *exitcode, *out (decoded base64 out-data,
 * malloc'd, NUL-terminated; NULL when none). 0 or MT_EINVAL. */
int mt_ga_parse_status(const char *reply, int *exited, int *exitcode, char **out);
/* Decodes base64 src into a malloc'd NUL-terminated buffer; NULL on bad input or ENOMEM. */
char *mt_base64_decode(const char *src, size_t *len);

#endif
