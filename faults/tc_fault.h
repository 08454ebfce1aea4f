/* tc_fault.h — the journal/restore discipline shared by the qdisc faults (netem, tbf).
 * Private to faults/. A qdisc fault supplies only a message builder; this file does:
 *   read prior qdisc + link state → journal undo record → (ingress: ifb + redirect) →
 *   send the fault's qdisc → mt_journal_applied.
 * Undo record (JSON, names only, replayable on another process or host):
 *   {"v":1,"fault":"tbf","dev":"veth0","parent":"root|ingress","target":"veth0|mtifb…",
 *    "prior":{qdisc record of target's root},"link":{"up":true,"mtu":1500},
 *    "ingress":null|{"ifb":"mtifb…","prior":{qdisc record of dev's ingress},"prio":19796}}
 * "link" is recorded for the timeline and reports only: undo never touches the link's state
 * (that is link-down/link-flap's job). One ingress fault per device at a time (the ifb name is
 * derived from the device name).
 */
#ifndef MT_FAULTS_TC_FAULT_H
#define MT_FAULTS_TC_FAULT_H

#include <netlink/netlink.h>

#include "migtorture/plugin.h"

/* Builds the fault's RTM_NEWQDISC request for the root of ifindex with handle MT_TC_HANDLE
 * (flags NLM_F_CREATE | NLM_F_REPLACE). *msg is owned by the caller. */
typedef int (*mt_tcq_build_fn)(const struct mt_params *p, int ifindex, struct nl_msg **msg,
			       struct mt_error *err);

/* Applies a qdisc fault named fault (the ops name, also the journal kind) per the rules above.
 * p must hold "dev" and "parent" (root|ingress). */
int mt_tcq_fault_apply(const char *fault, mt_tcq_build_fn build, const struct mt_params *p,
		       struct mt_ctx *ctx, struct mt_error *err);

/* Undoes from the record alone; idempotent. */
int mt_tcq_fault_undo(const char *undo_json, struct mt_error *err);

/* What a qdisc fault keeps between apply and collect: where its qdisc is. The netlink
 * socket is opened at apply, inside the host's network namespace, and stays bound to it:
 * collect may run from another namespace (the runner enters hosts only around apply). */
struct mt_tcq_state {
	char kind[16];   /* "netem", "tbf": the metric prefix */
	char dev[64];    /* the device the scenario named (metric path) */
	char target[64]; /* where the qdisc sits: dev, or its ifb for parent=ingress */
	int ifindex;     /* of target, at apply */
	struct nl_sock *sk;
};

/* After a successful mt_tcq_fault_apply, in the same namespace: *state = a new mt_tcq_state
 * for p (free with mt_tcq_state_free). Returns 0, MT_ENOMEM or MT_EINFRA. */
int mt_tcq_state_new(const char *fault, const struct mt_params *p, void **state,
		     struct mt_error *err);
void mt_tcq_state_free(void *state);

/* The fault's own qdisc counters, read before undo, so a run shows what the fault did
 * (a fault that silently does nothing is visible): fault.KIND.DEV.{sent_packets,
 * sent_bytes, dropped_packets, overlimits} (counts, bytes), from the kernel's TCA_STATS2 of
 * our handle on the target. netem counts its random losses as drops; tbf its over-rate
 * drops. Absent (with the reason) when our qdisc is no longer there. Returns 0 or MT_E*. */
int mt_tcq_fault_collect(void *state, struct mt_ctx *ctx, struct mt_error *err);

/* Name of the ifb device used for dev's ingress ("mtifb" + 8 hex digits of a hash of dev). */
void mt_tcq_ifb_name(const char *dev, char *buf, size_t len);

#endif
