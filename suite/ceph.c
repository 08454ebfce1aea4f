/* ceph.c — the librados client behind include/migtorture/ceph.h (faults/osd*.c, probes/ceph.c).
 *
 * One rados_t per mt_ceph. librados starts its own threads inside rados_connect; they live in
 * the network namespace of the calling thread, which is why the runner's host entering (setns
 * before apply/undo/start) is all it takes to reach a cluster inside a namespace.
 *
 * librados is loaded with dlopen on first use, not linked: libceph-common (which it pulls in)
 * maps a 136 MB BSS, which every migtorture process would pay — and which does not fit the lab
 * router's 128 MiB UML kernel, where `migtorture agent` runs. Without librados installed, the
 * OSD faults and the ceph probe say so (Debian package librados2) and their cells are skipped.
 */
#include "migtorture/ceph.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <rados/librados.h>

#include "migtorture/units.h"

struct mt_ceph {
	rados_t r;
	int connected;
	char conf[256];
};


/* The librados functions this client uses, resolved once. */
static struct {
	int (*create2)(rados_t *, const char *, const char *, uint64_t);
	int (*conf_read_file)(rados_t, const char *);
	int (*conf_set)(rados_t, const char *, const char *);
	int (*connect)(rados_t);
	void (*shutdown)(rados_t);
	int (*mon_command)(rados_t, const char **, size_t, const char *, size_t, char **,
			   size_t *, char **, size_t *);
	int (*mgr_command)(rados_t, const char **, size_t, const char *, size_t, char **,
			   size_t *, char **, size_t *);
	void (*buffer_free)(char *);
} rados;
static pthread_once_t rados_once = PTHREAD_ONCE_INIT;
static char rados_why[256]; /* empty when loaded */

static void rados_load(void)
{
	void *h = dlopen("librados.so.2", RTLD_NOW | RTLD_LOCAL);
	const char *miss = NULL;

	if (!h) {
		snprintf(rados_why, sizeof(rados_why), "librados not available (Debian package "
			 "librados2): %s", dlerror());
		return;
	}
#define SYM(field, name)                                                                        \
	do {                                                                                     \
		*(void **)&rados.field = dlsym(h, name);                                         \
		if (!rados.field && !miss)                                                       \
			miss = name;                                                             \
	} while (0)
	SYM(create2, "rados_create2");
	SYM(conf_read_file, "rados_conf_read_file");
	SYM(conf_set, "rados_conf_set");
	SYM(connect, "rados_connect");
	SYM(shutdown, "rados_shutdown");
	SYM(mon_command, "rados_mon_command");
	SYM(mgr_command, "rados_mgr_command");
	SYM(buffer_free, "rados_buffer_free");
#undef SYM
	if (miss)
		snprintf(rados_why, sizeof(rados_why), "librados.so.2 lacks %s", miss);
}

static int set(struct mt_ceph *c, const char *k, const char *v, struct mt_error *err)
{
	int rc = rados.conf_set(c->r, k, v);

	if (rc < 0)
		return mt_err(err, MT_EINFRA, "ceph: cannot set %s: %s", k, strerror(-rc));
	return 0;
}

int mt_ceph_open(const struct mt_ceph_opts *o, struct mt_ceph **out, struct mt_error *err)
{
	struct mt_ceph *c = calloc(1, sizeof(*c));
	char name[128], secs[32];
	int64_t t = o->timeout_ns > 0 ? o->timeout_ns : 10 * MT_NS_PER_S;
	int rc;

	*out = NULL;
	pthread_once(&rados_once, rados_load);
	if (rados_why[0]) {
		free(c);
		return mt_err(err, MT_EUNSUPPORTED, "ceph: %s", rados_why);
	}
	if (!c)
		return mt_err(err, MT_ENOMEM, "ceph: out of memory");
	snprintf(c->conf, sizeof(c->conf), "%s", o->conf ? o->conf : "(default ceph.conf)");
	snprintf(name, sizeof(name), "client.%s", o->client ? o->client : "admin");
	rc = rados.create2(&c->r, "ceph", name, 0);
	if (rc < 0) {
		rc = mt_err(err, MT_EINFRA, "ceph: rados.create2(%s): %s", name, strerror(-rc));
		free(c);
		return rc;
	}
	rc = rados.conf_read_file(c->r, o->conf);
	if (rc < 0) {
		rc = mt_err(err, MT_EINFRA, "ceph: cannot read %s: %s", c->conf, strerror(-rc));
		goto fail;
	}
	/* Whole seconds (librados parses these as seconds); at least 1. */
	snprintf(secs, sizeof(secs), "%lld", (long long)(t / MT_NS_PER_S > 0 ? t / MT_NS_PER_S : 1));
	if ((o->keyring && (rc = set(c, "keyring", o->keyring, err)) < 0) ||
	    (rc = set(c, "client_mount_timeout", secs, err)) < 0 ||
	    (rc = set(c, "rados_mon_op_timeout", secs, err)) < 0 ||
	    (rc = set(c, "admin_socket", "", err)) < 0 ||
	    (rc = set(c, "log_to_stderr", "false", err)) < 0 ||
	    (rc = set(c, "err_to_stderr", "false", err)) < 0 ||
	    (rc = set(c, "log_file", "", err)) < 0)
		goto fail;
	rc = rados.connect(c->r);
	if (rc == -ETIMEDOUT || rc == -EINTR) {
		rc = mt_err(err, MT_ETIMEOUT,
			    "ceph: no monitor of %s answered within %s s (unreachable mon_host?)",
			    c->conf, secs);
		goto fail;
	}
	if (rc < 0) {
		rc = mt_err(err, MT_EINFRA, "ceph: connect as %s with %s: %s", name, c->conf,
			    strerror(-rc));
		goto fail;
	}
	c->connected = 1;
	*out = c;
	return 0;
fail:
	rados.shutdown(c->r);
	free(c);
	return rc;
}

void mt_ceph_close(struct mt_ceph *c)
{
	if (!c)
		return;
	rados.shutdown(c->r);
	free(c);
}

/* librados buffers are not NUL-terminated: copy into our own. */
static char *dup_buf(const char *b, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		if (n)
			memcpy(s, b, n);
		s[n] = '\0';
	}
	return s;
}

int mt_ceph_command(struct mt_ceph *c, int mgr, const char *cmd, char **outbuf, char **outs,
		    struct mt_error *err)
{
	const char *cmds[1] = { cmd };
	char *ob = NULL, *os = NULL, *sb = NULL, *ss = NULL;
	size_t obl = 0, osl = 0;
	int rc;

	if (outbuf)
		*outbuf = NULL;
	if (outs)
		*outs = NULL;
	if (mgr)
		rc = rados.mgr_command(c->r, cmds, 1, "", 0, &ob, &obl, &os, &osl);
	else
		rc = rados.mon_command(c->r, cmds, 1, "", 0, &ob, &obl, &os, &osl);
	sb = dup_buf(ob, obl);
	ss = dup_buf(os, osl);
	if (ob)
		rados.buffer_free(ob);
	if (os)
		rados.buffer_free(os);
	if (!sb || !ss) {
		rc = mt_err(err, MT_ENOMEM, "ceph: out of memory");
		goto out;
	}
	/* trim the status text's trailing blanks for messages */
	for (size_t n = strlen(ss); n && (ss[n - 1] == ' ' || ss[n - 1] == '\n'); n--)
		ss[n - 1] = '\0';
	if (rc < 0) {
		int code = rc == -ETIMEDOUT ? MT_ETIMEOUT : rc == -ENOENT ? MT_ENOTFOUND
										 : MT_EINFRA;
		rc = mt_err(err, code, "ceph %s command %s: %s%s%s", mgr ? "mgr" : "mon", cmd,
			    strerror(-rc), ss[0] ? ": " : "", ss);
		goto out;
	}
	rc = 0;
	if (outbuf) {
		*outbuf = sb;
		sb = NULL;
	}
	if (outs) {
		*outs = ss;
		ss = NULL;
	}
out:
	free(sb);
	free(ss);
	return rc;
}

int mt_ceph_command_check(struct mt_ceph *c, int mgr, const char *cmd,
			  const char *const *expect, struct mt_error *err)
{
	char *outs = NULL;
	int rc = mt_ceph_command(c, mgr, cmd, NULL, &outs, err);

	if (rc < 0)
		return rc;
	rc = mt_err(err, MT_EINFRA, "ceph command %s answered \"%s\"", cmd, outs);
	for (size_t i = 0; expect[i]; i++)
		if (strstr(outs, expect[i])) {
			mt_err_clear(err);
			rc = 0;
			break;
		}
	free(outs);
	return rc;
}

static int get_json(struct mt_ceph *c, const char *cmd, cJSON **out, struct mt_error *err)
{
	char *buf = NULL;
	int rc = mt_ceph_command(c, 0, cmd, &buf, NULL, err);

	*out = NULL;
	if (rc < 0)
		return rc;
	*out = cJSON_Parse(buf);
	free(buf);
	if (!*out)
		return mt_err(err, MT_EINFRA, "ceph: reply to %s is not JSON", cmd);
	return 0;
}

static int num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valueint : 0;
}

static void fill_pgs(const cJSON *pgmap, struct mt_ceph_state *st)
{
	const cJSON *bys = cJSON_GetObjectItemCaseSensitive(pgmap, "pgs_by_state"), *e;
	size_t len = 0;

	st->num_pgs = num(pgmap, "num_pgs");
	cJSON_ArrayForEach(e, bys) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "state_name");
		int cnt = num(e, "count");

		if (!cJSON_IsString(n))
			continue;
		if (strcmp(n->valuestring, "active+clean") == 0)
			st->pgs_active_clean += cnt;
		if (strncmp(n->valuestring, "active", 6) == 0)
			st->pgs_active += cnt;
		if (len < sizeof(st->pg_summary))
			len += (size_t)snprintf(st->pg_summary + len, sizeof(st->pg_summary) - len,
						"%s%d %s", len ? ", " : "", cnt, n->valuestring);
	}
}

int mt_ceph_state(struct mt_ceph *c, struct mt_ceph_state *st, struct mt_error *err)
{
	cJSON *s = NULL, *d = NULL;
	const cJSON *h, *osds, *o, *fl;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = get_json(c, "{\"prefix\":\"status\",\"format\":\"json\"}", &s, err);
	if (rc < 0)
		goto out;
	rc = get_json(c, "{\"prefix\":\"osd dump\",\"format\":\"json\"}", &d, err);
	if (rc < 0)
		goto out;
	h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "health"),
					     "status");
	snprintf(st->health, sizeof(st->health), "%s",
		 cJSON_IsString(h) ? h->valuestring : "unknown");
	fill_pgs(cJSON_GetObjectItemCaseSensitive(s, "pgmap"), st);
	fl = cJSON_GetObjectItemCaseSensitive(d, "flags");
	snprintf(st->flags, sizeof(st->flags), "%s", cJSON_IsString(fl) ? fl->valuestring : "");
	st->epoch = (unsigned)num(d, "epoch");
	osds = cJSON_GetObjectItemCaseSensitive(d, "osds");
	cJSON_ArrayForEach(o, osds) {
		if (st->nosds >= MT_CEPH_MAX_OSDS)
			break;
		st->osds[st->nosds].id = num(o, "osd");
		st->osds[st->nosds].up = num(o, "up") != 0;
		st->osds[st->nosds].in = num(o, "in") != 0;
		st->num_up += st->osds[st->nosds].up;
		st->num_in += st->osds[st->nosds].in;
		st->nosds++;
	}
	st->num_osds = (int)st->nosds;
out:
	cJSON_Delete(s);
	cJSON_Delete(d);
	return rc;
}

int mt_ceph_osd_index(const struct mt_ceph_state *st, int id)
{
	for (size_t i = 0; i < st->nosds; i++)
		if (st->osds[i].id == id)
			return (int)i;
	return -1;
}

static int has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

int mt_ceph_flag_set(const struct mt_ceph_state *st, const char *flag)
{
	if (strcmp(flag, "pause") == 0)
		return has_word(st->flags, "pauserd") && has_word(st->flags, "pausewr");
	return has_word(st->flags, flag);
}

int mt_ceph_parse_stamp(const char *s, int64_t *wall_ns)
{
	struct tm tm = { 0 };
	char frac[10] = "", zone[8] = "";
	int64_t ns = 0, scale = 100000000, off = 0;
	time_t t;
	int n = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.' && sscanf(s + 1, "%9[0-9]%n", frac, &n) == 1)
		s += 1 + n;
	for (const char *f = frac; *f; f++, scale /= 10)
		ns += (*f - '0') * scale;
	if (sscanf(s, "%7s", zone) == 1 && strcmp(zone, "Z") != 0) {
		int hh, mm;

		if (strlen(zone) != 5 || (zone[0] != '+' && zone[0] != '-') ||
		    sscanf(zone + 1, "%2d%2d", &hh, &mm) != 2)
			return -1;
		off = (zone[0] == '-' ? -1 : 1) * (hh * 3600LL + mm * 60LL);
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*wall_ns = ((int64_t)t - off) * MT_NS_PER_S + ns;
	return 0;
}

int mt_ceph_osdmap_at(struct mt_ceph *c, unsigned epoch, struct mt_ceph_osdmap *m,
		      struct mt_error *err)
{
	char cmd[96];
	cJSON *d = NULL;
	const cJSON *mod, *fl;
	int rc;

	memset(m, 0, sizeof(*m));
	snprintf(cmd, sizeof(cmd), "{\"prefix\":\"osd dump\",\"epoch\":%u,\"format\":\"json\"}",
		 epoch);
	rc = get_json(c, cmd, &d, err);
	if (rc < 0)
		return rc;
	mod = cJSON_GetObjectItemCaseSensitive(d, "modified");
	fl = cJSON_GetObjectItemCaseSensitive(d, "flags");
	m->epoch = (unsigned)num(d, "epoch");
	snprintf(m->flags, sizeof(m->flags), "%s", cJSON_IsString(fl) ? fl->valuestring : "");
	if (!cJSON_IsString(mod) || mt_ceph_parse_stamp(mod->valuestring, &m->modified_wall_ns) < 0)
		rc = mt_err(err, MT_EINFRA, "ceph: osd map epoch %u has no readable \"modified\"",
			    epoch);
	cJSON_Delete(d);
	return rc;
}

/* Appends to out each word of a (comma-separated) missing from b, prefixed by sign. */
static void words_missing(const char *a, const char *b, char sign, char *out, size_t len)
{
	char w[64];

	for (const char *p = a; *p;) {
		size_t n = strcspn(p, ",");

		if (n > 0 && n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = '\0';
			if (!has_word(b, w)) {
				size_t used = strlen(out);

				snprintf(out + used, len - used, "%s%c%s", used ? " " : "", sign, w);
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

void mt_ceph_flags_diff(const char *before, const char *after, char *out, size_t len)
{
	if (!len)
		return;
	out[0] = '\0';
	words_missing(after, before, '+', out, len);
	words_missing(before, after, '-', out, len);
}

int mt_ceph_is_clean(const struct mt_ceph_state *st)
{
	for (size_t i = 0; i < st->nosds; i++)
		if (st->osds[i].in && !st->osds[i].up)
			return 0;
	return st->num_pgs > 0 && st->pgs_active_clean == st->num_pgs;
}

/* The PG summary and health come from the mgr's stats, which lag a change by up to a stats
 * period (1 s in the lab, 5 s by default): right after `osd in` the old "all active+clean"
 * is still shown. So the state must hold for MT_CEPH_SETTLE_NS of consecutive polls; the
 * time reported is when that stretch began. */
#define MT_CEPH_SETTLE_NS (2 * MT_NS_PER_S)

int mt_ceph_wait(struct mt_ceph *c, enum mt_ceph_wait what, int64_t timeout_ns,
		 int64_t *waited_ns, struct mt_error *err)
{
	struct mt_ceph_state st;
	int64_t t0 = mt_now_ns(), since = -1, t;
	int rc;

	for (;;) {
		rc = mt_ceph_state(c, &st, err);
		if (rc < 0)
			return rc;
		t = mt_now_ns();
		if (what == MT_CEPH_WAIT_CLEAN ? mt_ceph_is_clean(&st) : strcmp(st.health, "HEALTH_OK") == 0) {
			if (since < 0)
				since = t;
			if (t - since >= MT_CEPH_SETTLE_NS)
				break;
		} else {
			since = -1;
		}
		if (t - t0 >= timeout_ns + (since >= 0 ? MT_CEPH_SETTLE_NS : 0))
			return mt_err(err, MT_ETIMEOUT,
				      "ceph: not %s after %.1f s: %s, osds %d up / %d in of %d, "
				      "pgs %s", what == MT_CEPH_WAIT_CLEAN ? "active+clean"
				      : "HEALTH_OK", (double)timeout_ns / 1e9, st.health,
				      st.num_up, st.num_in, st.num_osds, st.pg_summary);
		nanosleep(&(struct timespec){ 0, 250 * 1000000L }, NULL);
	}
	if (waited_ns)
		*waited_ns = since - t0;
	return 0;
}
