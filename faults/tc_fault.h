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

/* Name of the ifb device used for dev's ingress ("mtifb" + 8 hex digits of a hash of dev). */
void mt_tcq_ifb_name(const char *dev, char *buf, size_t len);

/* Monotonic now in ns (local, so the qdisc faults need nothing else from the suite). */
int64_t mt_tcq_now_ns(void);

#endif
