/* migtorture/plugin.h — what every plugin gets from the runner, and the registry.
 *
 * Plugins (faults/, workloads/, suite/probes/, suite/drivers/) include only include/migtorture/
 * and their own library. They never call each other; the run loop wires them
 * (docs/architecture.md §2, §5).
 */
#ifndef MIGTORTURE_PLUGIN_H
#define MIGTORTURE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "host.h"
#include "journal.h"
#include "loop.h"
#include "option.h"
#include "result.h"
#include "scenario.h"

/* Phase boundaries of a cell, monotonic ns since cell start (t = 0). A phase not reached is -1.
 * baseline = [0, during_start), during = [during_start, after_start), after = [after_start, end).
 * "during" is the migration: from the driver's start to its completion event. */
struct mt_phases {
	int64_t during_start_ns;
	int64_t after_start_ns;
	int64_t end_ns;
};

/* Everything a plugin instance may use while a cell runs. Owned by the runner. */
struct mt_ctx {
	struct mt_loop *loop;          /* register fds/timers here */
	struct mt_journal *journal;    /* record undo BEFORE changing anything */
	const struct mt_host *host;    /* where this instance acts (already entered when local) */
	struct mt_cell_result *result; /* add metrics, series, events */
	struct mt_run_result *run;     /* the run's facts (mt_run_add_fact: host versions); may
					* be NULL (dry runs, tests) */
	int64_t t0_ns;                 /* monotonic time of cell start: series are relative to it */
	uint64_t seed;                 /* per-cell seed (deterministic from run seed and cell name) */
	const char *cell_name;
	const char *outdir;            /* where the run writes files (may be NULL for dry runs) */
	const struct mt_phases *phases;/* filled as the cell progresses; final at collect time */
	/* Resolved targets the scenario named (e.g. the guest's address, the domain name). */
	const char *guest_addr;        /* IPv4 address of the VM under test, or NULL */
	const char *guest_url;         /* base HTTP URL of the VM's website, or NULL */
	const char *domain;            /* libvirt domain / server name, or NULL */
	/* libvirt URI of the host the VM runs on NOW: the source at cell start, updated by the
	 * runner after every completed hop (ping-pong), or NULL when the cell names no source.
	 * Guest workloads reach the VM's guest agent through it. */
	const char *vm_uri;
	int verbose;
};

/* --- what every plugin starts with --- */
/* The part the registry, the scenario parser, --help, the man page and `migtorture reference`
 * read, whatever the kind: each ops struct below has it as its first member, `base`. */
struct mt_plugin {
	const char *name;              /* "netem", "web-page", "udp", "libvirt", ... */
	const char *summary;           /* one line for --help and docs */
	const struct mt_option *options; /* its keys (drivers: the migrate.* keys it understands) */
	/* Optional cross-field validation at parse time (e.g. jitter needs delay). */
	int (*check)(const struct mt_params *p, struct mt_error *err);
	/* Optional: 0 when it can run here, or MT_EUNSUPPORTED with the skip reason in why. Runs on
	 * the target host, may probe (e.g. add the qdisc on a scratch dummy link). */
	int (*supported)(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			 size_t whylen);
};

/* --- faults: faults/<name>.c --- */
struct mt_fault_ops {
	struct mt_plugin base;
	/* Applies the fault. MUST journal its undo record (mt_journal_begin) before changing
	 * anything and report the moment it took effect (mt_journal_applied). *state may hold
	 * what the fault needs while it runs (e.g. a flap timer); freed by release. */
	int (*apply)(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err);
	/* Undoes from the journal's undo record alone (works in a fresh process: recover).
	 * Idempotent: undoing what is already undone returns 0. */
	int (*undo)(const char *undo_json, struct mt_error *err);
	/* Optional pair: the runner's non-blocking alternative to a slow wait inside undo. When
	 * both are set, the runner turns a local fault off with undo_nowait (the same changes as
	 * undo, without waiting for the target to recover) and then calls settle every 250 ms
	 * from its loop, so probes, workloads and the timeline keep running, until it returns 1
	 * (recovered, e.g. every Ceph PG active+clean again). 0 = not yet; < 0 = an error or its
	 * own timeout passed (the message names the state it last saw): the cell ends in error.
	 * *handle is NULL at the first call and the plugin's own; settle(..., cancel = 1, ...)
	 * frees it and returns 0. `recover` and the runner's cleanup path keep using undo. */
	int (*undo_nowait)(const char *undo_json, struct mt_error *err);
	int (*settle)(const char *undo_json, void **handle, int cancel, struct mt_error *err);
	/* Optional: adds the fault's metrics (e.g. flap times) to ctx->result. */
	int (*collect)(void *state, struct mt_ctx *ctx, struct mt_error *err);
	void (*release)(void *state);  /* optional */
};

/* --- workloads, stress and probes: one life cycle, one type ---
 * workloads/<name>.c (web clients, stress-ng, guest stress) and suite/probes/<name>.c (udp,
 * icmp, http, ceph); the registry keeps them in two tables, since a spec's key (workload,
 * stress or probe) says which one a name is looked up in. */
struct mt_workload_ops {
	struct mt_plugin base;
	int (*start)(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err);
	int (*stop)(void *state, struct mt_ctx *ctx, struct mt_error *err);
	/* After stop: metrics (per phase, using ctx->phases) and series into ctx->result. */
	int (*collect)(void *state, struct mt_ctx *ctx, struct mt_error *err);
	void (*release)(void *state);
	/* Probes: the precedence of its figures as the cell's qos.* when several probes run
	 * (the higher wins, qos.h); 0 = never the primary. Workloads leave it 0. */
	int qos_rank;
};

/* The ops struct a plugin heads: base is its first member, so the conversion is exact (C11
 * 6.7.2.1). A spec's class says which one it is (faults: fault; the rest: workload). */
static inline const struct mt_fault_ops *mt_fault_of(const struct mt_plugin *p)
{
	return (const struct mt_fault_ops *)(const void *)p;
}
static inline const struct mt_workload_ops *mt_workload_of(const struct mt_plugin *p)
{
	return (const struct mt_workload_ops *)(const void *)p;
}

/* --- migration drivers: suite/drivers/<name>.c --- */
/* One migration hop to perform. */
struct mt_migrate_req {
	int hop;          /* 0, 1, 2, ... (ping-pong: even hops source→dest, odd dest→source) */
	const char *from; /* URI or host name of the current host of the VM */
	const char *to;
};

/* A migration phase a hop reached (the anchors of scenario.h), as the driver learnt it. */
struct mt_phase_event {
	int hop;
	enum mt_hop_phase phase; /* ITERATION, REMAINING, SWITCHOVER, POSTCOPY (the runner knows
				  * START and DONE itself) */
	double value;            /* ITERATION: the pass; REMAINING: bytes left; else 0 */
	int64_t t_ns;            /* absolute CLOCK_MONOTONIC, when the driver learnt it */
	/* A cell of several VMs (the fleet sets these; a driver leaves them 0): whose hop it is,
	 * and whether specs without vm= follow it too (the first VM's own phases). */
	const char *vm;
	int unnamed;
};

struct mt_driver_ops {
	struct mt_plugin base;         /* "libvirt", "nova"; options: its migrate.* keys */
	/* Connects, checks the domain runs; no migration yet. */
	int (*prepare)(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		       struct mt_error *err);
	/* Starts one hop without blocking the loop (a library that blocks runs in the driver's
	 * own thread). *done_fd becomes readable when the hop ends (success or not). */
	int (*start)(void *state, const struct mt_migrate_req *req, int *done_fd,
		     struct mt_error *err);
	/* Called every ≤ 50 ms while a hop runs: append job statistics to series. now_ns is
	 * absolute CLOCK_MONOTONIC (as the loop gives it): series times are now_ns - ctx->t0_ns.
	 * A failed poll loses samples only; finish decides the hop's outcome. */
	int (*poll)(void *state, struct mt_ctx *ctx, int64_t now_ns);
	/* After done_fd fired: outcome of the hop (0, or the hop's error) and its final metrics
	 * (under "migration." for hop 0, "migration.hop<N>." for the others). */
	int (*finish)(void *state, struct mt_ctx *ctx, struct mt_error *err);
	/* Cancels a running hop (timeout or signal); the VM must keep running on the source. */
	int (*abort)(void *state, struct mt_error *err);
	/* End of cell: where the VM is, and any last metrics. */
	int (*collect)(void *state, struct mt_ctx *ctx, struct mt_error *err);
	/* Optional: which of two hosts (URIs) runs the domain now — *where = 0 for a, 1 for b —
	 * or MT_ENOTFOUND with the reason. The runner asks before the first hop so that a cell
	 * starts from wherever the VM is (a one-hop cell leaves it on the destination). */
	int (*locate)(void *state, const char *a, const char *b, int *where, struct mt_error *err);
	/* Optional: the journal entry of the hop req is about to start — *kind, a journal kind the
	 * registry knows, and its malloc'd undo record — held open while the hop runs, so that
	 * `recover` after a lost runner ends the migration it left running. */
	int (*hop_record)(void *state, const struct mt_migrate_req *req, const char **kind,
			  char **undo_json, struct mt_error *err);
	/* Optional: the running hop's phases as they happen, for anchored events. phase_fd (valid
	 * from prepare to release) is readable while phase events are queued — the driver's own
	 * threads queue them, so an anchor waits neither for poll nor for the loop's timers;
	 * phase_next takes the oldest: 1, or 0 when none is left. */
	int (*phase_fd)(void *state);
	int (*phase_next)(void *state, struct mt_phase_event *ev);
	void (*release)(void *state);
	/* Optional, without a state: the names of every VM running on host (a URI as the hops
	 * get them), sorted, in a malloc'd NULL-terminated array (each name malloc'd) — what
	 * migrate.evacuate moves. 0 (possibly none), or an error. */
	int (*list_running)(const struct mt_params *p, const struct mt_ctx *ctx, const char *host,
			    char ***names, struct mt_error *err);
};

/* --- the registry (suite/registry.c: one X-macro table per kind) --- */
const struct mt_fault_ops *mt_find_fault(const char *name);
const struct mt_workload_ops *mt_find_workload(const char *name);
const struct mt_workload_ops *mt_find_probe(const char *name);
const struct mt_driver_ops *mt_find_driver(const char *name);

/* Every plugin of a kind through its common part: the i-th registered (table order), NULL
 * past the end. For what reads only names, summaries and options (docs, completion). */
enum mt_plugin_kind { MT_PLUGIN_DRIVER, MT_PLUGIN_WORKLOAD, MT_PLUGIN_PROBE, MT_PLUGIN_FAULT,
		      MT_PLUGIN_NKINDS };
const struct mt_plugin *mt_plugin_at(enum mt_plugin_kind kind, size_t i);

/* NULL-terminated arrays of everything registered, in table order. */
const struct mt_fault_ops *const *mt_fault_registry(void);
const struct mt_workload_ops *const *mt_workload_registry(void);
const struct mt_workload_ops *const *mt_probe_registry(void);
const struct mt_driver_ops *const *mt_driver_registry(void);

/* Tests may add fake plugins inside the test binary (never shipped). Returns 0 or MT_ENOMEM. */
int mt_registry_add_fault(const struct mt_fault_ops *ops);
int mt_registry_add_workload(const struct mt_workload_ops *ops);
int mt_registry_add_probe(const struct mt_workload_ops *ops);
int mt_registry_add_driver(const struct mt_driver_ops *ops);
void mt_registry_reset_extra(void);

#endif
