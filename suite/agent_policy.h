/* agent_policy.h — what `migtorture agent` may change on the host it runs on: its agent.conf
 * (docs/remote-hosts.md, "What an agent may change"), and the one check every request passes
 * before the agent acts on it. Not a public contract.
 *
 * The peer (whoever holds the runner's ssh key) names fault kinds, parameters and undo records;
 * the host's own file decides which kinds, interfaces, OSD ids and processes those may touch. Undo records
 * from the peer are read as typed operations and rebuilt from what this host knows (an OSD's
 * restart command comes from the host's Ceph descriptor, never from the record).
 */
#ifndef MT_AGENT_POLICY_H
#define MT_AGENT_POLICY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "migtorture/error.h"
#include "migtorture/option.h"
#include "migtorture/plugin.h"
#include "journal_priv.h"
#include "logread.h"

/* [limits] stress_workers_max when the file does not say. */
#define MT_AGENT_STRESS_WORKERS_MAX 4

/* The longest request line the agent reads (requests are small; answers may be larger). */
#define MT_AGENT_LINE_MAX (64 * 1024)

struct mt_agent_policy {
	char path[512];      /* the file it was read from */
	int loaded;          /* 0: no usable file — every change is refused with why */
	char why[600];
	char **faults;       /* [allow] faults: fnmatch globs of fault kinds */
	size_t nfaults;
	char **ifaces;       /* [allow] interfaces: fnmatch globs of interface names */
	size_t nifaces;
	int osd_any;         /* [allow] osds = * */
	int *osds;           /* [allow] osds: ids (ranges expanded) */
	size_t nosds;
	char **procs;        /* [allow] processes: roles (qemu, libvirtd) and fnmatch globs of
			      * pid files (absolute) the process-* faults may signal */
	size_t nprocs;
	char **stress;       /* [allow] stress: fnmatch globs of host stress kinds (host-cpu ...) */
	size_t nstress;
	long stress_workers_max; /* [limits] stress_workers_max: workers= of one stress at most */
	char *ceph_desc;     /* [ceph] descriptor: the lab Ceph descriptor (pids, restart commands) */
	char *ceph_conf;     /* [ceph] conf, keyring: NULL = the descriptor's, else librados' own */
	char *ceph_keyring;
	char *logs[MT_LOG_NROLES]; /* [logs] libvirtd, qemu, console: path patterns ({domain}),
				    * the only files a `log` request reads; NULL = not readable */
};

/* $MT_AGENT_CONF, else /etc/migtorture/agent.conf. */
const char *mt_agent_policy_default_path(void);

/* Reads the policy at path. A missing or unreadable file, or one with an error, gives a policy
 * that refuses every change (loaded 0, why says which and where); that is not an error of
 * this function, which fails only with MT_ENOMEM. */
int mt_agent_policy_load(const char *path, struct mt_agent_policy *p, struct mt_error *err);

/* The same from text (tests, the fuzz target); name stands for the path in messages. */
int mt_agent_policy_parse(const char *text, const char *name, struct mt_agent_policy *p,
			  struct mt_error *err);
void mt_agent_policy_free(struct mt_agent_policy *p);

/* One request line, read far enough to be checked. */
struct mt_agent_req {
	cJSON *json;                    /* the whole request (owned) */
	const char *what;               /* its "req" */
	const char *kind;               /* its "kind", or NULL */
	const struct mt_fault_ops *ops; /* the fault kind names (after mt_agent_req_resolve) */
	const struct mt_workload_ops *wops; /* or the host stress kind it names */
	/* undo of a journal kind's record ("process", "tmpdir"), not a fault's */
	const struct mt_journal_kind *jkind;
	int own;                        /* jkind: set by the agent before the check — 1 when its
					 * journal has an open entry with this very record, 2 when
					 * only closed ones, 0 when none */
	struct mt_params params;        /* supported, apply: parsed with the kind's table, check */
	char *undo_json;                /* undo: the peer's record as text (owned) */
};

/* Parses line into rq: a JSON object with a string "req". Returns 0, or MT_EINVAL with the
 * answer's text in err ("protocol: ..."); rq->json is kept when the line was a JSON object
 * (the answer repeats its "id"). Free rq with mt_agent_req_free either way. */
int mt_agent_req_parse(const char *line, struct mt_agent_req *rq, struct mt_error *err);

/* What supported, apply and undo carry: the fault kind or host stress kind (MT_ENOTFOUND when
 * this build has no such plugin), the parameters (parsed and checked as the plugin's table
 * says) or the undo object (journal kinds "process" and "tmpdir" too: jkind). Other requests:
 * nothing to do, 0. */
int mt_agent_req_resolve(struct mt_agent_req *rq, struct mt_error *err);
void mt_agent_req_free(struct mt_agent_req *rq);

/* The check before any action: 1 when policy p allows the resolved request rq, 0 when it
 * refuses (reason: one line, naming the file and the rule), MT_ENOMEM. hello, clock, collect,
 * release and bye change nothing the peer chose and are always allowed. log reads only a role
 * that [logs] names (the path is this host's; the peer names a role and a domain). A stress kind needs
 * [allow] stress and workers= within [limits] stress_workers_max. A journal kind's undo is allowed
 * only for a record of the agent's own journal (rq->own != 0): never a pid the peer chose.
 * For an allowed undo,
 * *local_undo (may be NULL when not wanted) receives the record to run — rebuilt from the
 * typed fields of the peer's and this host's own settings (malloc'd, caller frees). */
int mt_agent_policy_allows(const struct mt_agent_policy *p, const struct mt_agent_req *rq,
			   char **local_undo, char *reason, size_t len);

/* The check of one undo by kind and record alone (the agent's own journal at start and in its
 * dead-man switch). Same results and *local_undo as mt_agent_policy_allows. */
int mt_agent_policy_allows_undo(const struct mt_agent_policy *p, const char *kind,
				const char *undo_json, char **local_undo, char *reason,
				size_t len);

/* For an allowed apply or supported of an OSD fault: the host's Ceph settings ([ceph]) go
 * into params where the peer left them out, so the plugin uses this host's cluster. */
int mt_agent_policy_localize(const struct mt_agent_policy *p, const char *kind,
			     struct mt_params *params, struct mt_error *err);

#endif
