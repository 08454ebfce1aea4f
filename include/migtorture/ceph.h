/* migtorture/ceph.h — a small librados client shared by the OSD faults and the storage probe.
 *
 * Talks to the monitors with rados_mon_command / rados_mgr_command JSON (never by running the
 * `ceph` CLI). Every call is bounded by the connection's timeout (rados_mon_op_timeout and
 * client_mount_timeout). Ceph answers some mistakes with rc 0 and a status text (e.g.
 * "osd.9 does not exist."), so callers check the status string too (mt_ceph_command_check).
 * Credentials are paths to keyrings, never keys.
 */
#ifndef MIGTORTURE_CEPH_H
#define MIGTORTURE_CEPH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct mt_ceph;

/* Where and as whom to connect. NULL conf/keyring use librados' defaults; client is the cephx
 * user without "client." (NULL: "admin"); timeout_ns bounds connect and each command. */
struct mt_ceph_opts {
	const char *conf;
	const char *keyring;
	const char *client;
	int64_t timeout_ns;
};

/* Connects. An unreachable monitor gives MT_ETIMEOUT after opts->timeout_ns with a message
 * naming the conf; other failures MT_EINFRA with librados' text. *out is owned by the caller
 * (mt_ceph_close). */
int mt_ceph_open(const struct mt_ceph_opts *opts, struct mt_ceph **out, struct mt_error *err);
void mt_ceph_close(struct mt_ceph *c);

/* Sends one JSON command to the monitors (mgr = 0) or the active mgr (mgr = 1). *outbuf and
 * *outs (may be NULL) receive the reply data and status text (malloc'd, NUL-terminated, owned
 * by the caller). A negative librados rc becomes MT_ETIMEOUT (ETIMEDOUT), MT_ENOTFOUND
 * (ENOENT) or MT_EINFRA, with the status text in the message. */
int mt_ceph_command(struct mt_ceph *c, int mgr, const char *cmd, char **outbuf, char **outs,
		    struct mt_error *err);

/* The same, then fails with MT_EINFRA when the status text contains none of the
 * NULL-terminated expect[] fragments (e.g. "marked out", "is already out"). */
int mt_ceph_command_check(struct mt_ceph *c, int mgr, const char *cmd,
			  const char *const *expect, struct mt_error *err);

#define MT_CEPH_MAX_OSDS 64

/* A snapshot of the cluster: health, OSD map and PG summary. */
struct mt_ceph_state {
	char health[16];        /* "HEALTH_OK", "HEALTH_WARN", "HEALTH_ERR" */
	char flags[256];        /* the OSD map's flags, comma-separated */
	unsigned epoch;
	int num_osds, num_up, num_in;
	int num_pgs, pgs_active_clean, pgs_active; /* active counts active+anything */
	char pg_summary[256];   /* "16 active+clean, 1 peering" */
	size_t nosds;
	struct { int id, up, in; } osds[MT_CEPH_MAX_OSDS];
};

/* Fills st from `status` and `osd dump` (two monitor commands). */
int mt_ceph_state(struct mt_ceph *c, struct mt_ceph_state *st, struct mt_error *err);

/* One OSD map epoch as the monitors committed it. */
struct mt_ceph_osdmap {
	unsigned epoch;
	int64_t modified_wall_ns; /* the map's "modified" stamp: the monitors' commit time
				     (CLOCK_REALTIME, ns) — when the change really took effect */
	char flags[256];          /* the map's flags, comma-separated */
};

/* Reads epoch's map (`osd dump` of that epoch, one monitor command). MT_ENOTFOUND when the
 * monitors no longer keep it; MT_EINFRA when the reply lacks the stamp. */
int mt_ceph_osdmap_at(struct mt_ceph *c, unsigned epoch, struct mt_ceph_osdmap *m,
		      struct mt_error *err);

/* Parses a Ceph time stamp ("2026-12-06T06:20:31.123456+0000"; the zone is optional and
 * may be "Z") into ns since the Unix epoch. 0 on success, -1 when it is not one. */
int mt_ceph_parse_stamp(const char *s, int64_t *wall_ns);

/* Writes to out the flags that differ between the comma-separated lists before and after,
 * as "+pauserd +pausewr" / "-noout" (empty when none differ). */
void mt_ceph_flags_diff(const char *before, const char *after, char *out, size_t len);

/* Index of OSD id in st->osds, or -1. */
int mt_ceph_osd_index(const struct mt_ceph_state *st, int id);

/* 1 when flag (e.g. "noout"; "pause" means pauserd and pausewr) is set in st->flags. */
int mt_ceph_flag_set(const struct mt_ceph_state *st, const char *flag);

/* 1 when every OSD that is in is up and every PG is active+clean. */
int mt_ceph_is_clean(const struct mt_ceph_state *st);

/* Polls every 250 ms until every PG is active+clean and every OSD in the map is up (mode
 * MT_CEPH_WAIT_CLEAN) or health is HEALTH_OK (MT_CEPH_WAIT_HEALTH_OK), for at most
 * timeout_ns. The state must hold for 2 s of polls (the mgr's PG stats lag a change);
 * *waited_ns (may be NULL) is when that stretch began. MT_ETIMEOUT names the last state. */
enum mt_ceph_wait { MT_CEPH_WAIT_CLEAN, MT_CEPH_WAIT_HEALTH_OK };
int mt_ceph_wait(struct mt_ceph *c, enum mt_ceph_wait what, int64_t timeout_ns,
		 int64_t *waited_ns, struct mt_error *err);

#endif
