/* remote.h — the runner's side of ssh hosts: one session per host, speaking the JSON-lines
 * protocol of docs/remote-hosts.md with `migtorture agent` on the far side (runner, journal
 * and recover only; plugins never see it).
 *
 * A session is spawned lazily the first time a host is used:
 *   ssh -o BatchMode=yes -o StrictHostKeyChecking=yes [-o UserKnownHostsFile=F] [-i KEY]
 *       -l USER -T -- ADDRESS REMOTE_BINARY agent
 * with posix_spawn (no shell here; ssh's remote side does run REMOTE_BINARY through the login
 * shell, so the path is checked to hold only shell-safe characters). The process keeps its
 * session in a small process-wide table (the runner is one process, one run at a time), so
 * every part of a run — supported, apply, undo at the fault's "off", the journal's undo at
 * teardown — uses the same session. mt_remote_close_all ends them (`bye`, then wait, then
 * SIGTERM/SIGKILL by PID). A session that broke (EOF, timeout) is replaced by a new one the
 * next time the host is used; the far side's dead-man switch has already undone what the old
 * one applied.
 *
 * Clocks: at open the runner measures its offset to the agent's CLOCK_MONOTONIC from the
 * round trip with the smallest delay (NTP's midpoint rule); the error of every mapped time
 * is at most half that round trip (mt_remote_clock_error_ns).
 */
#ifndef MT_REMOTE_H
#define MT_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/error.h"
#include "migtorture/host.h"
#include "migtorture/journal.h"
#include "migtorture/option.h"
#include "migtorture/result.h"

#define MT_REMOTE_PROTO 1

struct mt_remote;
struct mt_phases;

/* What the runner learns about one remote apply. */
struct mt_remote_apply_info {
	int64_t rtt_ns;     /* request sent → answer read, on the runner's clock */
	int64_t applied_ns; /* when it took effect, ns since the cell's t0 (runner clock), or -1 */
	int64_t error_ns;   /* bound of applied_ns's clock mapping error (half the best RTT) */
};

/* The session to host (an MT_HOST_SSH host), opening it when there is none or the last one
 * broke. Owned by the table; valid until mt_remote_close_all. Errors: MT_EINFRA with ssh's
 * own last words (host key, permission denied, no agent binary, version mismatch). */
int mt_remote_get(const struct mt_host *host, struct mt_remote **out, struct mt_error *err);

/* supported() on the far side: 0, MT_EUNSUPPORTED with why filled, or an error. */
int mt_remote_supported(struct mt_remote *s, const char *kind, const struct mt_params *p,
			char *why, size_t whylen, struct mt_error *err);

/* apply() on the far side. Every journal record the far side's fault makes is first written
 * (and fsync'd) to j with host = the session's host, then acknowledged: the undo is on this
 * machine's disk before the remote change. t0_ns is the cell's t0 on this machine's monotonic
 * clock (0: none). *handle names the far side's fault state for collect/release. */
int mt_remote_apply(struct mt_remote *s, const char *kind, const struct mt_params *p,
		    struct mt_journal *j, const struct mt_host *host, int64_t t0_ns,
		    const char *cell, uint64_t seed, uint64_t *handle,
		    struct mt_remote_apply_info *info, struct mt_error *err);

/* collect(): the far side's metrics and events are added to res. */
int mt_remote_collect(struct mt_remote *s, uint64_t handle, struct mt_cell_result *res,
		      struct mt_error *err);
/* The same, also sending the cell's phase boundaries (ns since t0, -1 = not reached), which a
 * stress workload's per-phase metrics need; for a stress instance, collect stops it first. */
int mt_remote_collect_phases(struct mt_remote *s, uint64_t handle,
			     const struct mt_phases *phases, struct mt_cell_result *res,
			     struct mt_error *err);

/* 1 when kind is a host stress workload an agent runs (host-cpu, host-vm, host-memrate: a
 * stress-ng process group on the far side, through the same requests as a fault). */
int mt_remote_stress_kind(const char *kind);
int mt_remote_release(struct mt_remote *s, uint64_t handle, struct mt_error *err);

/* A piece of one of the far side's logs (the `log` request; its agent.conf [logs] says where
 * each role's file is). offset -1 asks only for the size (-1: no such file yet); else up to max
 * bytes (≤ MT_LOG_CHUNK_MAX) from offset, or from 0 when the file is now shorter (rotated).
 * out->data is malloc'd (caller frees). A refusal is MT_EINFRA with the host's reason. */
struct mt_remote_log {
	int64_t size, from;
	int rotated;
	char *data;
	size_t len;
};
int mt_remote_log(struct mt_remote *s, const char *role, const char *domain, int64_t offset,
		  size_t max, struct mt_remote_log *out, struct mt_error *err);

/* Undoes one journal entry on host (opening a session when needed). note gets the far side's
 * remark (may be empty). Used by the journal for entries whose host is ssh. */
int mt_remote_undo(const struct mt_host *host, const char *kind, const char *undo_json,
		   char *note, size_t notelen, struct mt_error *err);

/* Session figures: how long opening took, the best round trip, the clock error bound. */
int64_t mt_remote_setup_ns(const struct mt_remote *s);
int64_t mt_remote_rtt_min_ns(const struct mt_remote *s);
int64_t mt_remote_clock_error_ns(const struct mt_remote *s);
/* One `clock` round trip now: its RTT (ns), or a negative MT_E*. */
int64_t mt_remote_ping(struct mt_remote *s, struct mt_error *err);

/* Ends every session: `bye`, wait up to 5 s for the process, then SIGTERM, SIGKILL. */
void mt_remote_close_all(void);

/* Test hooks. exec = 1: spawn `REMOTE_BINARY agent` directly instead of through ssh (the same
 * protocol; tests without sshd). mt_remote_drop_all closes every session's pipes without
 * `bye` and reaps the processes — what a killed runner does to its agents. */
void mt_remote_set_exec(int exec);
int mt_remote_pid(const struct mt_remote *s); /* the ssh (or agent) process */
void mt_remote_drop_all(void);

#endif
