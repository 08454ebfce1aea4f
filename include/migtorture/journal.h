/* migtorture/journal.h — the fault journal: every change is recorded before it is made.
 *
 * Append-only JSON lines, fsync'd after each record:
 *   {"op":"open","id":7,"kind":"tbf","host":{...},"undo":{...},"t_wall_ns":...,"run":"<run id>"}
 *   {"op":"applied","id":7,"t_ns":...}     (monotonic ns since the cell's t0: when it took effect)
 *   {"op":"close","id":7,"t_ns":...,"rc":0}
 * An entry is open from "open" until "close". `migtorture recover` (and the runner on exit or on
 * SIGINT/SIGTERM) undoes every open entry, newest first, in the place its host names, then closes
 * it. Undo must be idempotent: recover may run twice, or after a half-done undo.
 * Default location: /var/lib/migtorture/journal (override: MT_JOURNAL or --journal).
 */
#ifndef MIGTORTURE_JOURNAL_H
#define MIGTORTURE_JOURNAL_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "host.h"

struct mt_journal;

/* One record as read back (for undo and recover). Strings are owned by the journal. */
struct mt_journal_entry {
	uint64_t id;
	const char *kind;      /* fault ops name, or a journal kind of the registry: "process" (a
				* spawned process group), "tmpdir" (a private temporary
				* directory), "libvirt-migration" (a running hop) */
	const char *host_json; /* mt_host_to_json() of where it was applied */
	const char *undo_json; /* the plugin's own undo record (a JSON object as text) */
	int applied;           /* an "applied" record was seen */
	int64_t t_applied_ns;
};

/* Opens (creating with mode 0600, and its directory) the journal at path. */
int mt_journal_open(const char *path, struct mt_journal **out, struct mt_error *err);
void mt_journal_close(struct mt_journal *j);
const char *mt_journal_path(const struct mt_journal *j);

/* Records "kind on host will be changed; to undo, use undo_json" and fsyncs, BEFORE the change.
 * *id receives the entry id. undo_json must be a JSON object's text. */
int mt_journal_begin(struct mt_journal *j, const char *kind, const struct mt_host *host,
		     const char *undo_json, uint64_t *id, struct mt_error *err);
/* Records that the change took effect at t_ns (monotonic, relative to the cell's t0). */
int mt_journal_applied(struct mt_journal *j, uint64_t id, int64_t t_ns, struct mt_error *err);
/* Records that the entry was undone (rc 0) or that undo failed (rc < 0; stays open). */
int mt_journal_end(struct mt_journal *j, uint64_t id, int64_t t_ns, int rc, struct mt_error *err);

/* Lists open entries, newest first. *entries is owned by j until the next call or close. */
int mt_journal_open_entries(struct mt_journal *j, const struct mt_journal_entry **entries,
			    size_t *n, struct mt_error *err);

/* Records a spawned process group so it is killed on exit/recover (kind "process").
 * start_time is /proc/PID/stat field 22, so a recycled PID is never signalled.
 * Spawn it as the leader of its own group (POSIX_SPAWN_SETPGROUP, pgroup 0) so undo can
 * signal the whole group; otherwise only the PID is signalled. Undo: SIGTERM to the group,
 * SIGKILL after 2 s, reaping it when it is the caller's child; a process already gone is
 * success. A workload that ends its process itself may close the entry (mt_journal_end);
 * the cell's teardown closes what is left. */
int mt_journal_process(struct mt_journal *j, const struct mt_host *host, int pid,
		       const char *what, uint64_t *id, struct mt_error *err);

/* Records a private temporary directory (an existing directory, absolute path, basename
 * "mt-*") so it is removed, with everything in it, on exit/recover (kind "tmpdir"). Record it
 * before starting what writes into it. Undo removes the tree only while the path is still the
 * same directory (device and inode); a directory already gone is success. The owner removing
 * it itself closes the entry with mt_journal_end. */
int mt_journal_tmpdir(struct mt_journal *j, const struct mt_host *host, const char *path,
		      uint64_t *id, struct mt_error *err);

/* Undoes every open entry (newest first) using the registry's undo functions; continues past
 * failures, returning the first error. *undone and *failed count entries. Used by the runner's
 * cleanup, signal path and `migtorture recover`. */
int mt_journal_undo_all(struct mt_journal *j, unsigned *undone, unsigned *failed,
			struct mt_error *err);

/* The same for the open entries with first_id <= id <= last_id only (the runner undoes one
 * fault's entries at its "off" event this way), printing one line per entry to log (may be
 * NULL). An entry whose host is ssh is undone by that host's agent, over the run's session
 * (one is opened when there is none: recover; docs/remote-hosts.md). A missing plugin for an
 * entry's kind, or an unreachable host, is a failure for that entry: it stays open. */
int mt_journal_undo_range(struct mt_journal *j, uint64_t first_id, uint64_t last_id,
			  FILE *log, unsigned *undone, unsigned *failed, struct mt_error *err);

/* While on (the runner's fault "off" event), undo_range/undo_all use a fault kind's
 * undo_nowait when it has one (plugin.h): the caller then waits with the kind's settle. */
void mt_journal_set_nowait(struct mt_journal *j, int on);

/* The undo record of the newest open entry of kind with first_id <= id <= last_id, copied
 * (malloc'd), or NULL when there is none or on ENOMEM. */
char *mt_journal_undo_json(struct mt_journal *j, uint64_t first_id, uint64_t last_id,
			   const char *kind);

/* Id of the newest entry (0 when empty): entries made after this call have larger ids. */
uint64_t mt_journal_last_id(const struct mt_journal *j);
/* The latest time (since t0) an entry with first_id <= id <= last_id took effect, or -1. */
int64_t mt_journal_applied_time(const struct mt_journal *j, uint64_t first_id,
				uint64_t last_id);

/* Run id written into every "open" record (copied). */
void mt_journal_set_run(struct mt_journal *j, const char *run_id);
/* The cell's t0 (monotonic ns): undo times the journal writes itself are relative to it;
 * 0 = unknown (recover), written as -1. */
void mt_journal_set_t0(struct mt_journal *j, int64_t t0_ns);

#endif
