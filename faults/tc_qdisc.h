/* tc_qdisc.h — private helpers shared by the qdisc faults (netem, tbf): read an interface's
 * root or ingress qdisc exactly as the kernel dumps it, write it to JSON for the journal, and
 * put it back. Not a plugin and not a public contract: only faults/ includes this.
 *
 * Why raw bytes: the kernel's own dump of TCA_OPTIONS is what it accepts back, for every qdisc
 * kind, so "restore" does not depend on libnl knowing the kind. Decoded fields for tbf and
 * netem go into the JSON too, for people reading the journal and for tests.
 * Known limit: the kernel does not dump a netem delay distribution table, so a prior netem
 * that had one comes back with uniform jitter (every other netem field is restored).
 * Names, never ifindexes, are stored: the record must replay in a fresh process or on another
 * host's agent (the runner enters the host/namespace before undo).
 */
#ifndef MT_FAULTS_TC_QDISC_H
#define MT_FAULTS_TC_QDISC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>

#include "migtorture/error.h"

/* The handle our faults give their qdiscs ("4d54:" = "MT"), so a restore of a prior qdisc with
 * its own handle never collides with ours. */
#define MT_TC_HANDLE 0x4d540000u

/* What sat at one attach point of an interface. */
struct mt_tcq_snap {
	char dev[32];           /* interface name */
	uint32_t parent;        /* TC_H_ROOT or TC_H_INGRESS */
	int present;            /* 0: nothing there (ingress) */
	int is_default;         /* 1: kernel default (handle 0: noqueue, pfifo_fast, mq) */
	char kind[32];
	uint32_t handle;
	unsigned char *opts;    /* raw TCA_OPTIONS payload (owned), or NULL */
	size_t optlen;
};

/* Opens a NETLINK_ROUTE libnl socket in the current namespace. *out is owned by the caller
 * (nl_socket_free). */
int mt_tcq_socket(struct nl_sock **out, struct mt_error *err);

/* Reads the qdisc at parent (TC_H_ROOT or TC_H_INGRESS) of dev into *out (zeroed by the caller;
 * free with mt_tcq_snap_free). A missing device is MT_ENOTFOUND. */
int mt_tcq_read(struct nl_sock *sk, const char *dev, uint32_t parent, struct mt_tcq_snap *out,
		struct mt_error *err);
void mt_tcq_snap_free(struct mt_tcq_snap *s);

/* 1 when a and b describe the same qdisc (kind, handle, options bytes; defaults by kind). */
int mt_tcq_snap_equal(const struct mt_tcq_snap *a, const struct mt_tcq_snap *b);

/* JSON object for the journal: {"dev","parent":"root|ingress","present","default","kind",
 * "handle","options_hex","params":{decoded tbf/netem fields}}. Caller owns the result. */
cJSON *mt_tcq_snap_to_json(const struct mt_tcq_snap *s);
int mt_tcq_snap_from_json(const cJSON *j, struct mt_tcq_snap *out, struct mt_error *err);

/* Puts s back on its device: a default or absent qdisc → deletes whatever sits there now;
 * otherwise adds/replaces with s's kind, handle and raw options. Already in place → 0.
 * A device that no longer exists → 0 (nothing left to restore; its qdiscs went with it). */
int mt_tcq_restore(struct nl_sock *sk, const struct mt_tcq_snap *s, struct mt_error *err);

/* Deletes the qdisc at parent of dev if one (non-default) is there. Idempotent. */
int mt_tcq_delete(struct nl_sock *sk, const char *dev, uint32_t parent, struct mt_error *err);

/* Sends a libnl-built request message and waits for the kernel's ack. Frees msg. what names
 * the action for the error text. */
int mt_tcq_send(struct nl_sock *sk, struct nl_msg *msg, const char *what, struct mt_error *err);

/* Link state recorded next to the qdisc: {"up":bool,"mtu":N}. Caller owns the result (NULL on
 * a missing device). */
cJSON *mt_tcq_link_json(const char *dev);

/* Hex helpers for the raw bytes. mt_hex_decode returns a malloc'd buffer or NULL. */
char *mt_hex_encode(const unsigned char *b, size_t n);
unsigned char *mt_hex_decode(const char *hex, size_t *n);

#endif
