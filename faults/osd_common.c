/* osd_common.c — connection, undo record and lab-descriptor helpers of the OSD faults. */
#include "osd_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "migtorture/units.h"
#include "procstat.h"

extern char **environ;

static cJSON *read_desc(const char *path)
{
	char *t = path && path[0] ? mt_slurp(path, 1 << 20, NULL, 1) : NULL;
	cJSON *d = t ? cJSON_Parse(t) : NULL;

	free(t);
	return d;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void mt_osd_conn_from_params(const struct mt_params *p, struct mt_osd_conn *c)
{
	const char *conf = mt_param_str(p, "conf");
	const char *keyring = mt_param_str(p, "keyring");
	const char *client = mt_param_str(p, "client");
	cJSON *d;

	memset(c, 0, sizeof(*c));
	snprintf(c->desc, sizeof(c->desc), "%s", mt_param_str(p, "ceph"));
	/* Without an explicit conf the lab descriptor says where the cluster is. */
	d = conf ? NULL : read_desc(c->desc);
	if (d) {
		conf = jstr(d, "conf");
		if (!keyring)
			keyring = jstr(d, "keyring");
		if (!client)
			client = jstr(d, "client");
	}
	snprintf(c->conf, sizeof(c->conf), "%s", conf ? conf : "");
	snprintf(c->keyring, sizeof(c->keyring), "%s", keyring ? keyring : "");
	snprintf(c->client, sizeof(c->client), "%s", client ? client : "admin");
	c->timeout_ns = mt_param_i64(p, "timeout");
	c->wait_clean_ns = mt_param_i64(p, "wait_clean");
	cJSON_Delete(d);
}

int mt_osd_where(const struct mt_params *p, int needs_desc, char *why, size_t whylen)
{
	struct mt_osd_conn c;
	cJSON *d;

	mt_osd_conn_from_params(p, &c);
	d = read_desc(c.desc);
	if (needs_desc && !d) {
		snprintf(why, whylen, "mode=lab needs the lab Ceph descriptor %s (lab up --ceph), "
			 "which is not there", c.desc[0] ? c.desc : "(ceph= is empty)");
		return MT_EUNSUPPORTED;
	}
	cJSON_Delete(d);
	if (!c.conf[0] && access("/etc/ceph/ceph.conf", R_OK) != 0) {
		snprintf(why, whylen, "no Ceph cluster: no conf=, no lab descriptor %s and no "
			 "/etc/ceph/ceph.conf", c.desc[0] ? c.desc : "(ceph= is empty)");
		return MT_EUNSUPPORTED;
	}
	return 0;
}

int mt_osd_connect(const struct mt_osd_conn *c, struct mt_ceph **out, struct mt_error *err)
{
	struct mt_ceph_opts o = { c->conf[0] ? c->conf : NULL, c->keyring[0] ? c->keyring : NULL,
				  c->client, c->timeout_ns };

	return mt_ceph_open(&o, out, err);
}

cJSON *mt_osd_undo_new(const char *fault, const struct mt_osd_conn *c, cJSON **steps)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "fault", fault);
	cJSON_AddStringToObject(o, "conf", c->conf);
	cJSON_AddStringToObject(o, "keyring", c->keyring); /* a path, never the key */
	cJSON_AddStringToObject(o, "client", c->client);
	cJSON_AddStringToObject(o, "ceph", c->desc);
	cJSON_AddNumberToObject(o, "timeout_ns", (double)c->timeout_ns);
	cJSON_AddNumberToObject(o, "wait_clean_ns", (double)c->wait_clean_ns);
	*steps = cJSON_AddArrayToObject(o, "steps");
	if (!*steps) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The connection mt_osd_undo_new wrote into undo record u (undo and settle both reconnect from
 * it): conf, keyring, client (admin when absent), timeout (10 s when absent or not positive);
 * wait_clean_ns as recorded, each caller decides what a non-positive one means. */
static void conn_from_undo(const cJSON *u, struct mt_osd_conn *c)
{
	const char *v;

	if ((v = jstr(u, "conf")))
		snprintf(c->conf, sizeof(c->conf), "%s", v);
	if ((v = jstr(u, "keyring")))
		snprintf(c->keyring, sizeof(c->keyring), "%s", v);
	snprintf(c->client, sizeof(c->client), "%s", (v = jstr(u, "client")) ? v : "admin");
	c->timeout_ns = (int64_t)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(u, "timeout_ns"));
	c->wait_clean_ns = (int64_t)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(u, "wait_clean_ns"));
	if (c->timeout_ns <= 0)
		c->timeout_ns = 10 * MT_NS_PER_S;
}

void mt_osd_step_osd(cJSON *steps, const char *what, int id)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "do", what);
	cJSON_AddNumberToObject(s, "id", id);
	cJSON_AddItemToArray(steps, s);
}

void mt_osd_step_unset(cJSON *steps, const char *flag)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "do", "unset");
	cJSON_AddStringToObject(s, "flag", flag);
	cJSON_AddItemToArray(steps, s);
}

void mt_osd_step_cont(cJSON *steps, int pid, unsigned long long start_time)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "do", "cont");
	cJSON_AddNumberToObject(s, "pid", pid);
	cJSON_AddNumberToObject(s, "start_time", (double)start_time);
	cJSON_AddItemToArray(steps, s);
}

void mt_osd_step_orch_start(cJSON *steps, int id)
{
	mt_osd_step_osd(steps, "orch-start", id);
}

static const cJSON *desc_osd(const cJSON *d, int id)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "osds")) {
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "id");
		if (cJSON_IsNumber(i) && i->valueint == id)
			return o;
	}
	return NULL;
}

int mt_osd_step_revive(cJSON *steps, const char *desc, int id, struct mt_error *err)
{
	cJSON *d = read_desc(desc), *s;
	const cJSON *o = d ? desc_osd(d, id) : NULL;
	const cJSON *argv = o ? cJSON_GetObjectItemCaseSensitive(o, "start_argv") : NULL;
	const char *pf = o ? jstr(o, "pid_file") : NULL;
	int rc = 0;

	if (!d)
		rc = mt_err(err, MT_EINFRA, "osd: cannot read the lab Ceph descriptor '%s'", desc);
	else if (!o || !cJSON_IsArray(argv) || !pf)
		rc = mt_err(err, MT_EINFRA, "osd: descriptor %s has no pid_file/start_argv for "
			    "osd.%d", desc, id);
	if (rc < 0)
		goto out;
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "do", "revive");
	cJSON_AddNumberToObject(s, "id", id);
	cJSON_AddStringToObject(s, "pid_file", pf);
	cJSON_AddItemToObject(s, "argv", cJSON_Duplicate(argv, 1));
	cJSON_AddItemToArray(steps, s);
out:
	cJSON_Delete(d);
	return rc;
}

/* /proc/PID/stat field 22 (start time in clock ticks), 0 when the process is gone. */
static unsigned long long start_time_of(int pid)
{
	unsigned long long st = 0;

	return mt_proc_stat(pid, NULL, NULL, &st) == 0 ? st : 0;
}

/* 1 when pid runs ceph-osd for osd id (its argv has "ceph-osd" and "-i <id>"). */
static int is_osd(int pid, int id)
{
	char path[64], want[16];
	char *t = NULL;
	int fd, ok = 0, prev_i = 0, has_bin = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	snprintf(want, sizeof(want), "%d", id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	t = malloc(4097);
	n = t ? read(fd, t, 4096) : -1;
	close(fd);
	if (n > 0) {
		t[n] = '\0';
		for (char *a = t; a < t + n; a += strlen(a) + 1) {
			if (strstr(a, "ceph-osd"))
				has_bin = 1;
			if (prev_i && strcmp(a, want) == 0)
				ok = 1;
			prev_i = strcmp(a, "-i") == 0 || strcmp(a, "--id") == 0;
		}
	}
	free(t);
	return ok && has_bin;
}

static int pid_from_file(const char *pf)
{
	char *t = mt_slurp(pf, 64, NULL, 1);
	int pid = t ? atoi(t) : 0;

	free(t);
	return pid;
}

int mt_osd_lab_pid(const char *desc, int id, int *pid, unsigned long long *start_time,
		   struct mt_error *err)
{
	cJSON *d = read_desc(desc);
	const cJSON *o = d ? desc_osd(d, id) : NULL;
	const char *pf = o ? jstr(o, "pid_file") : NULL;
	int rc = 0;

	*pid = 0;
	*start_time = 0;
	if (!d)
		rc = mt_err(err, MT_EINFRA, "osd: cannot read the lab Ceph descriptor '%s' "
			    "(mode=lab needs it; a cephadm cluster: mode=cephadm)", desc);
	else if (!pf)
		rc = mt_err(err, MT_EINFRA, "osd: descriptor %s names no pid_file for osd.%d",
			    desc, id);
	if (rc < 0)
		goto out;
	*pid = pid_from_file(pf);
	if (*pid > 0 && is_osd(*pid, id))
		*start_time = start_time_of(*pid);
	else
		*pid = 0;
out:
	cJSON_Delete(d);
	return rc;
}

/* Starts the daemon with the descriptor's argv unless it already runs; the daemon forks and
 * its first process exits once it is set up, which we wait for. */
static int revive(const cJSON *s, int64_t timeout_ns, struct mt_error *err)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(s, "argv"), *a;
	const char *pf = jstr(s, "pid_file");
	double idv = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
	int id = isnan(idv) ? -1 : (int)idv, pid, n = 0, status, rc = 0;
	char *av[32];
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none;
	int64_t t0 = mt_now_ns();

	pid = pf ? pid_from_file(pf) : 0;
	if (pid > 0 && is_osd(pid, id))
		return 0; /* already running: nothing to do */
	cJSON_ArrayForEach(a, argv) {
		if (!cJSON_IsString(a) || n >= 31)
			return mt_err(err, MT_EINVAL, "osd undo: bad start_argv for osd.%d", id);
		av[n++] = a->valuestring;
	}
	av[n] = NULL;
	if (n == 0)
		return mt_err(err, MT_EINVAL, "osd undo: empty start_argv for osd.%d", id);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, av[0], &fa, &attr, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return mt_err(err, MT_EINFRA, "osd undo: cannot start %s for osd.%d: %s", av[0],
			      id, strerror(rc));
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return mt_err(err, MT_EINFRA, "osd undo: waitpid: %s", strerror(errno));
		if (mt_now_ns() - t0 > timeout_ns)
			/* It is still starting; the wait for active+clean decides. */
			return 0;
		nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return mt_err(err, MT_EINFRA, "osd undo: restarting osd.%d failed (status %d)", id,
			      status);
	return 0;
}

static int cont(const cJSON *s, struct mt_error *err)
{
	double pv = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "pid"));
	double st = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "start_time"));
	int pid = isnan(pv) ? 0 : (int)pv;

	/* The recorded start time guards against a recycled pid. */
	if (pid <= 0 || (double)start_time_of(pid) != st)
		return 0;
	if (kill(pid, SIGCONT) < 0 && errno != ESRCH)
		return mt_err(err, MT_EINFRA, "osd undo: SIGCONT %d: %s", pid, strerror(errno));
	return 0;
}

int mt_osd_cmd_ids(struct mt_ceph *c, const char *prefix, int id, const char *const *expect,
		   struct mt_error *err)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "{\"prefix\":\"%s\",\"ids\":[\"%d\"]}", prefix, id);
	if (!expect) {
		char *outs = NULL;
		int rc = mt_ceph_command(c, 0, cmd, NULL, &outs, err);
		free(outs);
		return rc;
	}
	return mt_ceph_command_check(c, 0, cmd, expect, err);
}

int mt_osd_cmd_flag(struct mt_ceph *c, const char *prefix, const char *flag,
		    struct mt_error *err)
{
	static const char *const set_ok[] = { "is set", NULL };
	static const char *const unset_ok[] = { "is unset", NULL };
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "{\"prefix\":\"%s\",\"key\":\"%s\"}", prefix, flag);
	return mt_ceph_command_check(c, 0, cmd, strcmp(prefix, "osd set") == 0 ? set_ok
									   : unset_ok, err);
}

static const char *const in_ok[] = { "marked in", "is already in", NULL };
static const char *const out_ok[] = { "marked out", "is already out", NULL };

static int mon_step(struct mt_ceph *c, const cJSON *s, const char *what, struct mt_error *err)
{
	const cJSON *idj = cJSON_GetObjectItemCaseSensitive(s, "id");
	int id = cJSON_IsNumber(idj) ? idj->valueint : -1;

	if (strcmp(what, "in") == 0)
		return mt_osd_cmd_ids(c, "osd in", id, in_ok, err);
	if (strcmp(what, "out") == 0)
		return mt_osd_cmd_ids(c, "osd out", id, out_ok, err);
	if (strcmp(what, "rm-noup") == 0)
		return mt_osd_cmd_ids(c, "osd rm-noup", id, NULL, err);
	if (strcmp(what, "unset") == 0) {
		const char *f = jstr(s, "flag");
		return f ? mt_osd_cmd_flag(c, "osd unset", f, err)
			 : mt_err(err, MT_EINVAL, "osd undo: unset without flag");
	}
	if (strcmp(what, "orch-start") == 0) {
		char cmd[160];
		char *outs = NULL;
		int rc;

		snprintf(cmd, sizeof(cmd), "{\"prefix\":\"orch daemon\",\"action\":\"start\","
			 "\"name\":\"osd.%d\"}", id);
		rc = mt_ceph_command(c, 1, cmd, NULL, &outs, err);
		free(outs);
		return rc;
	}
	return mt_err(err, MT_EINVAL, "osd undo: unknown step '%s'", what);
}

static int undo_run(const char *undo_json, int wait, struct mt_error *err)
{
	cJSON *u = cJSON_Parse(undo_json);
	const cJSON *steps, *s;
	struct mt_osd_conn c = { 0 };
	struct mt_ceph *ceph = NULL;
	int rc = 0;

	if (!u)
		return mt_err(err, MT_EINVAL, "osd undo: record is not JSON");
	steps = cJSON_GetObjectItemCaseSensitive(u, "steps");
	conn_from_undo(u, &c);
	if (c.wait_clean_ns < 0)
		c.wait_clean_ns = 0;
	/* Processes first: a stopped OSD must run before the monitors can mark it up. */
	cJSON_ArrayForEach(s, steps) {
		const char *what = jstr(s, "do");

		if (!what)
			continue;
		if (strcmp(what, "cont") == 0)
			rc = cont(s, err);
		else if (strcmp(what, "revive") == 0)
			rc = revive(s, c.timeout_ns + 20 * MT_NS_PER_S, err);
		if (rc < 0)
			goto out;
	}
	rc = mt_osd_connect(&c, &ceph, err);
	if (rc < 0)
		goto out;
	cJSON_ArrayForEach(s, steps) {
		const char *what = jstr(s, "do");

		if (!what || strcmp(what, "cont") == 0 || strcmp(what, "revive") == 0)
			continue;
		rc = mon_step(ceph, s, what, err);
		if (rc < 0)
			goto out;
	}
	if (wait && c.wait_clean_ns > 0)
		rc = mt_ceph_wait(ceph, MT_CEPH_WAIT_CLEAN, c.wait_clean_ns, NULL, err);
out:
	if (rc < 0)
		mt_err_prefix(err, "undo %s", jstr(u, "fault") ? jstr(u, "fault") : "osd");
	mt_ceph_close(ceph);
	cJSON_Delete(u);
	return rc;
}

int mt_osd_undo_run(const char *undo_json, struct mt_error *err)
{
	return undo_run(undo_json, 1, err);
}

int mt_osd_undo_nowait(const char *undo_json, struct mt_error *err)
{
	return undo_run(undo_json, 0, err);
}

/* The settle of the runner's asynchronous undo: one state poll per call. */
struct osd_settle {
	struct mt_ceph *ceph;
	int64_t start, since, wait_ns;
	struct mt_ceph_state last;
};

static int64_t settle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * MT_NS_PER_S + ts.tv_nsec;
}

int mt_osd_settle(const char *undo_json, void **handle, int cancel, struct mt_error *err)
{
	struct osd_settle *st = *handle;
	int64_t t;
	int rc;

	if (cancel || !undo_json) {
		if (st)
			mt_ceph_close(st->ceph);
		free(st);
		*handle = NULL;
		return 0;
	}
	if (!st) {
		cJSON *u = cJSON_Parse(undo_json);
		struct mt_osd_conn c = { 0 };

		if (!u)
			return mt_err(err, MT_EINVAL, "osd settle: record is not JSON");
		conn_from_undo(u, &c);
		cJSON_Delete(u);
		if (!(c.wait_clean_ns > 0))
			return 1; /* wait_clean=0: nothing to wait for */
		st = calloc(1, sizeof(*st));
		if (!st)
			return mt_err(err, MT_ENOMEM, "out of memory");
		st->start = settle_now();
		st->since = -1;
		st->wait_ns = c.wait_clean_ns;
		rc = mt_osd_connect(&c, &st->ceph, err);
		if (rc < 0) {
			free(st);
			return rc;
		}
		*handle = st;
	}
	rc = mt_ceph_state(st->ceph, &st->last, err);
	if (rc < 0)
		return rc;
	t = settle_now();
	/* As mt_ceph_wait: the mgr's PG stats lag, so clean must hold for 2 s of polls. */
	if (mt_ceph_is_clean(&st->last)) {
		if (st->since < 0)
			st->since = t;
		if (t - st->since >= 2 * MT_NS_PER_S)
			return 1;
	} else {
		st->since = -1;
	}
	if (t - st->start >= st->wait_ns + (st->since >= 0 ? 2 * MT_NS_PER_S : 0))
		return mt_err(err, MT_ETIMEOUT,
			      "ceph: not active+clean %.1f s after undo (wait_clean): %s, osds %d "
			      "up / %d in of %d, pgs %s",
			      (double)st->wait_ns / 1e9, st->last.health, st->last.num_up,
			      st->last.num_in, st->last.num_osds, st->last.pg_summary);
	return 0;
}

int mt_osd_journal(struct mt_ctx *ctx, const char *kind, cJSON *undo, uint64_t *id,
		   struct mt_error *err)
{
	char *txt = undo ? cJSON_PrintUnformatted(undo) : NULL;
	int rc;

	cJSON_Delete(undo);
	if (!txt)
		return mt_err(err, MT_ENOMEM, "%s: out of memory", kind);
	rc = mt_journal_begin(ctx->journal, kind, ctx->host, txt, id, err);
	free(txt);
	return rc;
}

int mt_osd_check_exists(const struct mt_ceph_state *st, int id, struct mt_error *err)
{
	char ids[256] = "";
	size_t len = 0;

	if (mt_ceph_osd_index(st, id) >= 0)
		return 0;
	for (size_t i = 0; i < st->nosds && len < sizeof(ids); i++)
		len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%d", i ? "," : "",
					st->osds[i].id);
	return mt_err(err, MT_EINFRA, "osd.%d does not exist (the cluster has osd ids %s)", id,
		      len ? ids : "none");
}

int mt_osd_check_min_in(const struct mt_ceph_state *st, int id, int min_in, const char *fault,
			struct mt_error *err)
{
	int left = 0;

	for (size_t i = 0; i < st->nosds; i++)
		if (st->osds[i].id != id && st->osds[i].in && st->osds[i].up)
			left++;
	if (left < min_in)
		return mt_err(err, MT_EINFRA,
			      "refusing %s id=%d: it would leave %d OSD(s) up and in, fewer than "
			      "min_in=%d", fault, id, left, min_in);
	return 0;
}
