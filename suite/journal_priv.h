/* journal_priv.h — journal internals shared with the runner and the tests (not a contract). */
#ifndef MT_JOURNAL_PRIV_H
#define MT_JOURNAL_PRIV_H

#include "migtorture/journal.h"
#include "procstat.h" /* mt_proc_stat: the identity a process entry records */


/* A kind of entry the journal undoes itself, for what the runner or an agent made for its own
 * use rather than as a fault: "process" (journal_process.c), "tmpdir" (journal_tmpdir.c).
 * Listed in the registry beside the fault plugins, whose undo serves every other kind. */
struct mt_journal_kind {
	const char *name;
	/* Undoes from the record alone, as a fault's undo does; note says what was done.
	 * Idempotent. Returns 0 or MT_E*. */
	int (*undo)(const char *undo_json, char *note, size_t notelen, struct mt_error *err);
};

/* The journal kind called name (registry.c), or NULL when name is a fault's or unknown. */
const struct mt_journal_kind *mt_find_journal_kind(const char *name);

/* Now on the journal's clock (ns since its t0), or -1 when it has none (recover). */
int64_t mt_journal_rel_now(const struct mt_journal *j);

/* Entries the undo functions closed as "target gone" since open: their network namespace no
 * longer exists, so nothing was left to undo (`recover` then exits 3, and runs may start). */
unsigned mt_journal_gone(const struct mt_journal *j);

/* Does j hold an entry of kind whose undo record is undo_json (compared as canonical JSON)?
 * 1: an open one, 2: only closed ones, 0: none (or undo_json is not a JSON object). */
int mt_journal_find_record(struct mt_journal *j, const char *kind, const char *undo_json);

/* Lines read at open that did not parse (a write torn by a crash). */
unsigned mt_journal_bad_lines(const struct mt_journal *j);

/* A proxy journal (the remote agent's, suite/agent.c): after a record is on this journal's own
 * disk, it is also handed to fn, which sends it to the runner and waits for its ack. op is
 * "begin" (kind and undo_json set), "applied" (t_ns) or "end" (t_ns, rc). When fn fails for
 * "begin", the local entry is closed again (nothing was changed) and mt_journal_begin fails
 * with fn's error, so the plugin makes no change the runner has not recorded. fn NULL turns
 * forwarding off (undo and the dead-man switch are never forwarded). */
typedef int (*mt_journal_fwd_fn)(void *arg, const char *op, uint64_t id, const char *kind,
				 const char *undo_json, int64_t t_ns, int rc,
				 struct mt_error *err);
void mt_journal_set_forward(struct mt_journal *j, mt_journal_fwd_fn fn, void *arg);

/* A check before every undo this journal runs (the agent's policy, suite/agent_policy.h, on
 * the agent's own journal at start and in its dead-man switch). fn returns 1 to go on —
 * setting *run_json (malloc'd) to run that record instead of the entry's — 0 to refuse with
 * reason (the entry's undo fails and it stays open), or MT_ENOMEM. fn NULL: no check. */
typedef int (*mt_journal_gate_fn)(void *arg, const char *kind, const char *host_json,
				  const char *undo_json, char **run_json, char *reason,
				  size_t len);
void mt_journal_set_undo_gate(struct mt_journal *j, mt_journal_gate_fn fn, void *arg);

#endif
