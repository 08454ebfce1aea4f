/* osd_common.h — what the OSD faults (osd.c, osd_thrash.c) share: the connection options,
 * the undo record (a list of idempotent restore steps) and the lab descriptor lookups. */
#ifndef MT_FAULTS_OSD_COMMON_H
#define MT_FAULTS_OSD_COMMON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "migtorture/ceph.h"
#include "migtorture/plugin.h"

/* The option rows every OSD fault has (conf, keyring, client, ceph, timeout, wait_clean). */
#define MT_OSD_COMMON_OPTIONS \
	{ "conf", MT_OPT_STR, NULL, "ceph.conf path (default: the lab descriptor's, else " \
	  "librados' search path)", NULL, 0, 0, 0 }, \
	{ "keyring", MT_OPT_STR, NULL, "keyring path of the cephx user (default: the lab " \
	  "descriptor's)", NULL, 0, 0, MT_OPTF_SECRET }, \
	{ "client", MT_OPT_STR, NULL, "cephx user without 'client.' (default admin)", NULL, 0, \
	  0, 0 }, \
	{ "ceph", MT_OPT_STR, "/run/migtorture/ceph/ceph.json", \
	  "lab Ceph descriptor (lab/ceph/ceph-status --json): conf, keyring, OSD pids", NULL, \
	  0, 0, 0 }, \
	{ "timeout", MT_OPT_DURATION, "10s", "monitor connect/command timeout " \
	  "(rados_mon_op_timeout)", NULL, 1e9, 600e9, 0 }, \
	{ "wait_clean", MT_OPT_DURATION, "120s", "undo waits this long for all PGs " \
	  "active+clean (0 = no wait)", NULL, 0, 3600e9, 0 }

/* Connection settings resolved from the parameters and, where absent, the descriptor. */
struct mt_osd_conn {
	char conf[512], keyring[512], client[64], desc[512];
	int64_t timeout_ns, wait_clean_ns;
};

void mt_osd_conn_from_params(const struct mt_params *p, struct mt_osd_conn *c);
/* supported(): MT_EUNSUPPORTED with the reason when there is no cluster to talk to (no conf=,
 * no descriptor, no /etc/ceph/ceph.conf) or, with needs_desc, no lab descriptor. */
int mt_osd_where(const struct mt_params *p, int needs_desc, char *why, size_t whylen);
int mt_osd_connect(const struct mt_osd_conn *c, struct mt_ceph **out, struct mt_error *err);

/* A new undo record {"v":1,"fault":..,"conf":..,..,"steps":[]}; *steps is its array. */
cJSON *mt_osd_undo_new(const char *fault, const struct mt_osd_conn *c, cJSON **steps);
/* Step builders (append to steps). */
void mt_osd_step_osd(cJSON *steps, const char *what, int id); /* "in", "out", "rm-noup" */
void mt_osd_step_unset(cJSON *steps, const char *flag);
void mt_osd_step_cont(cJSON *steps, int pid, unsigned long long start_time);
int mt_osd_step_revive(cJSON *steps, const char *desc, int id, struct mt_error *err);
void mt_osd_step_orch_start(cJSON *steps, int id);

/* Runs an undo record's steps in order on an open connection (or opens one), then waits for
 * active+clean. Idempotent. */
int mt_osd_undo_run(const char *undo_json, struct mt_error *err);
/* The same changes without the wait for active+clean (the runner's asynchronous undo), and the
 * wait as one poll per call (mt_fault_ops.settle's contract, plugin.h). */
int mt_osd_undo_nowait(const char *undo_json, struct mt_error *err);
int mt_osd_settle(const char *undo_json, void **handle, int cancel, struct mt_error *err);

/* Journals undo (cJSON, consumed) as kind, before any change. */
int mt_osd_journal(struct mt_ctx *ctx, const char *kind, cJSON *undo, uint64_t *id,
		   struct mt_error *err);

/* Refuses taking OSD id out of service when fewer than min_in in+up OSDs would remain. */
int mt_osd_check_min_in(const struct mt_ceph_state *st, int id, int min_in, const char *fault,
			struct mt_error *err);
/* MT_EINFRA naming the OSDs that exist when id is not one of them. */
int mt_osd_check_exists(const struct mt_ceph_state *st, int id, struct mt_error *err);

/* The lab descriptor's daemon for osd id: its running pid (0 when not running) and the
 * pid's start time (/proc/PID/stat field 22). */
int mt_osd_lab_pid(const char *desc, int id, int *pid, unsigned long long *start_time,
		   struct mt_error *err);

/* Simple JSON commands. */
int mt_osd_cmd_ids(struct mt_ceph *c, const char *prefix, int id, const char *const *expect,
		   struct mt_error *err);
int mt_osd_cmd_flag(struct mt_ceph *c, const char *prefix, const char *flag,
		    struct mt_error *err);

#endif
