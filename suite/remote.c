/* remote.c — sessions to ssh hosts and the runner's half of the agent protocol (remote.h,
 * docs/remote-hosts.md).
 *
 * Why it looks like this:
 * - One ssh process per host for the whole run: one ssh call per action costs 150–200 ms
 *   even multiplexed (docs/lab.md, "Measured facts"); a request over an open session costs
 *   one network round trip plus the action.
 * - The ssh process runs in its own process group with default signal dispositions: a ^C at
 *   the terminal reaches the runner (which must still undo over the session), not ssh.
 * - ssh's stderr is read into a small tail buffer, so a failed connection is reported with
 *   ssh's own words ("Host key verification failed.") and nothing reaches the terminal.
 * - SIGPIPE is ignored once a session exists: a dead agent shows as EPIPE on write.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "grow.h"
#include "jsonl.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "remote.h"
#include "migtorture/units.h"

extern char **environ;

#define OPEN_TIMEOUT_MS 30000  /* ssh connect + login + agent start (UML is slow) */
#define CALL_TIMEOUT_MS 60000  /* one action, including its journal round trips */
#define CLOCK_PINGS 5

struct idmap {
	uint64_t agent, runner;
};

/* Where the far side's journal records go. */
struct jsink {
	struct mt_journal *j;
	const struct mt_host *host;
};

struct mt_remote {
	struct mt_remote *next;
	char *key;             /* mt_host_to_json of the host: what identifies the session */
	char *name;
	pid_t pid;
	int to_fd, from_fd, err_fd; /* child's stdin, stdout, stderr (our ends) */
	struct mt_jsonl rd;
	char errtail[512];     /* the last bytes ssh/agent wrote to stderr */
	size_t errlen;
	uint64_t next_id;
	int broken;
	int64_t setup_ns, rtt_min_ns, offset_ns; /* offset: runner mono - agent mono */
	struct idmap *map;
	size_t nmap, capmap;
	struct jsink sink;     /* the last apply's: for records sent outside a request */
};

static struct mt_remote *sessions;
static int use_exec;

void mt_remote_set_exec(int exec)
{
	use_exec = exec;
}

int mt_remote_pid(const struct mt_remote *s)
{
	return s->pid;
}

int64_t mt_remote_setup_ns(const struct mt_remote *s)
{
	return s->setup_ns;
}

int64_t mt_remote_rtt_min_ns(const struct mt_remote *s)
{
	return s->rtt_min_ns;
}

int64_t mt_remote_clock_error_ns(const struct mt_remote *s)
{
	return s->rtt_min_ns / 2;
}

/* ---- the process ---- */

static void drain_stderr(struct mt_remote *s)
{
	char buf[256];
	ssize_t n;

	if (s->err_fd < 0)
		return;
	while ((n = read(s->err_fd, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)n; /* < sizeof(errtail): keep the newest bytes */

		if (s->errlen + k >= sizeof(s->errtail)) {
			size_t drop = s->errlen + k - (sizeof(s->errtail) - 1);

			memmove(s->errtail, s->errtail + drop, s->errlen - drop);
			s->errlen -= drop;
		}
		memcpy(s->errtail + s->errlen, buf, k);
		s->errlen += k;
		s->errtail[s->errlen] = '\0';
	}
	if (n == 0) {
		close(s->err_fd);
		s->err_fd = -1;
	}
}

/* ssh's last words — its last two lines, as one — for messages ("" when it said nothing). */
static const char *last_words(struct mt_remote *s)
{
	char *p, *start = s->errtail;
	int lines = 0;

	drain_stderr(s);
	while (s->errlen && (s->errtail[s->errlen - 1] == '\n' || s->errtail[s->errlen - 1] == '\r'))
		s->errtail[--s->errlen] = '\0';
	for (p = s->errtail + s->errlen; p > s->errtail; p--)
		if (p[-1] == '\n' && ++lines == 2) {
			start = p;
			break;
		}
	for (p = start; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return start;
}

static int reap(pid_t pid, int ms)
{
	for (int waited = 0;; waited += 20) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (waited >= ms)
			return 0;
		usleep(20000);
	}
}

/* Ends the process: pipes closed (EOF = the agent's dead-man switch over ssh), then wait,
 * SIGTERM, SIGKILL — by PID, only our own child. */
static void end_process(struct mt_remote *s, int grace_ms)
{
	if (s->to_fd >= 0)
		close(s->to_fd);
	s->to_fd = -1;
	if (s->pid > 0) {
		if (!reap(s->pid, grace_ms)) {
			kill(s->pid, SIGTERM);
			if (!reap(s->pid, 2000)) {
				kill(s->pid, SIGKILL);
				reap(s->pid, 2000);
			}
		}
		s->pid = -1;
	}
	drain_stderr(s);
	if (s->from_fd >= 0)
		close(s->from_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	s->from_fd = s->err_fd = -1;
	s->broken = 1;
}

static void session_free(struct mt_remote *s)
{
	if (!s)
		return;
	end_process(s, 0);
	mt_jsonl_free(&s->rd);
	free(s->map);
	free(s->key);
	free(s->name);
	free(s);
}

/* ssh runs the remote command through the login shell: only plain path characters. */
static int shell_safe(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-:@",
			    *s))
			return 0;
	return 1;
}

static int build_argv(const struct mt_host *h, const char **argv, size_t max, char *kh,
		      size_t khlen, struct mt_error *err)
{
	const char *bin = h->remote_binary && h->remote_binary[0] ? h->remote_binary : "migtorture";
	size_t n = 0;

	if (!shell_safe(bin))
		return mt_err(err, MT_EINVAL, "host '%s': remote_binary '%s' holds characters a "
			      "remote shell would interpret", h->name, bin);
	if (use_exec) {
		argv[n++] = bin;
		argv[n++] = "agent";
		argv[n] = NULL;
		return 0;
	}
	if (!h->ssh_address || !h->ssh_address[0] || h->ssh_address[0] == '-')
		return mt_err(err, MT_EINVAL, "host '%s': no usable ssh address", h->name);
	argv[n++] = "ssh";
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=yes";
	argv[n++] = "-o";
	argv[n++] = "ConnectTimeout=10";
	argv[n++] = "-o";
	argv[n++] = "ServerAliveInterval=5";
	argv[n++] = "-o";
	argv[n++] = "ServerAliveCountMax=3";
	argv[n++] = "-o";
	argv[n++] = "LogLevel=ERROR";
	if (h->ssh_known_hosts) {
		snprintf(kh, khlen, "UserKnownHostsFile=%s", h->ssh_known_hosts);
		argv[n++] = "-o";
		argv[n++] = kh;
	}
	if (h->ssh_identity) {
		argv[n++] = "-o";
		argv[n++] = "IdentitiesOnly=yes";
		argv[n++] = "-i";
		argv[n++] = h->ssh_identity;
	}
	argv[n++] = "-l";
	argv[n++] = h->ssh_user && h->ssh_user[0] ? h->ssh_user : "root";
	argv[n++] = "--";
	argv[n++] = h->ssh_address;
	argv[n++] = bin;
	argv[n++] = "agent";
	argv[n] = NULL;
	if (n >= max)
		abort(); /* the array is sized for every option above */
	return 0;
}

static int spawn(struct mt_remote *s, const struct mt_host *h, struct mt_error *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	const char *argv[40];
	char kh[4200];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int rc, fa_ok = 0, at_ok = 0;

	rc = build_argv(h, argv, sizeof(argv) / sizeof(argv[0]), kh, sizeof(kh), err);
	if (rc < 0)
		return rc;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		rc = mt_err(err, MT_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa) || posix_spawnattr_init(&at)) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	fa_ok = at_ok = 1;
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	/* Own process group (no terminal ^C), nothing blocked, default SIGPIPE/INT/TERM. */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	signal(SIGPIPE, SIG_IGN);
	rc = use_exec ? posix_spawn(&s->pid, argv[0], &fa, &at, (char *const *)argv, environ)
		      : posix_spawnp(&s->pid, argv[0], &fa, &at, (char *const *)argv, environ);
	if (rc != 0) {
		s->pid = -1;
		rc = mt_err(err, MT_EINFRA, "host '%s': cannot run %s: %s", h->name, argv[0],
			    strerror(rc));
		goto out;
	}
	s->to_fd = in[1];
	s->from_fd = out[0];
	s->err_fd = er[0];
	in[1] = out[0] = er[0] = -1;
	fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
	mt_jsonl_init(&s->rd, s->from_fd);
out:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (er[i] >= 0)
			close(er[i]);
	}
	return rc;
}

/* ---- requests ---- */

/* Marks the session broken with a message naming the host and ssh's last words. */
static int broke(struct mt_remote *s, int code, const char *what, struct mt_error *err)
{
	char msg[MT_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", what);
	end_process(s, 200);
	const char *lw = last_words(s);

	return mt_err(err, code ? code : MT_EINFRA, "host '%s': session lost: %s%s%s", s->name,
		      msg, lw[0] ? "; ssh/agent said: " : "", lw);
}

static int map_add(struct mt_remote *s, uint64_t agent, uint64_t runner)
{
	if (mt_grow((void **)&s->map, &s->capmap, s->nmap, sizeof(*s->map)) < 0)
		return MT_ENOMEM;
	s->map[s->nmap++] = (struct idmap){ agent, runner };
	return 0;
}

static uint64_t map_find(const struct mt_remote *s, uint64_t agent)
{
	for (size_t i = s->nmap; i-- > 0;)
		if (s->map[i].agent == agent)
			return s->map[i].runner;
	return 0;
}


/* One journal record from the agent: recorded here (fsync'd), then acknowledged. */
static int on_journal(struct mt_remote *s, const cJSON *m, struct jsink *js,
		      struct mt_error *err)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(m, "journal");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
	const cJSON *undo = cJSON_GetObjectItemCaseSensitive(m, "undo");
	long long seq = mt_jsonl_get_i64(m, "seq");
	uint64_t aid = (uint64_t)mt_jsonl_get_i64(m, "local_id"), rid = 0;
	int64_t t_ns = mt_jsonl_get_i64(m, "t_ns");
	struct mt_error jerr = { 0 };
	cJSON *ack = NULL;
	char *us = NULL;
	int rc = 0;

	int want_ack = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ack"));

	/* Outside an apply: the journal and host of the session's last apply (one runner
	 * journal per run). */
	if (!js && s->sink.j)
		js = &s->sink;
	if (!js || !cJSON_IsString(op)) {
		jerr.code = MT_EINFRA;
		snprintf(jerr.msg, sizeof(jerr.msg), "journal record before any apply");
	} else if (strcmp(op->valuestring, "begin") == 0) {
		us = cJSON_IsObject(undo) ? cJSON_PrintUnformatted(undo) : NULL;
		if (!cJSON_IsString(kind) || !us)
			mt_err(&jerr, MT_EINFRA, "journal begin without kind or undo");
		else if (mt_journal_begin(js->j, kind->valuestring, js->host, us, &rid, &jerr) == 0 &&
			 map_add(s, aid, rid) < 0)
			mt_err(&jerr, MT_ENOMEM, "out of memory");
	} else if ((rid = map_find(s, aid)) == 0) {
		mt_err(&jerr, MT_EINFRA, "journal %s for unknown entry %llu", op->valuestring,
		       (unsigned long long)aid);
	} else if (strcmp(op->valuestring, "applied") == 0) {
		mt_journal_applied(js->j, rid, t_ns, &jerr);
	} else if (strcmp(op->valuestring, "end") == 0) {
		mt_journal_end(js->j, rid, t_ns, (int)mt_jsonl_get_i64(m, "rc"), &jerr);
	} else {
		mt_err(&jerr, MT_EINFRA, "unknown journal op '%s'", op->valuestring);
	}
	if (!want_ack) {
		/* Sent while we were not listening: recorded, nothing to answer. */
		if (jerr.code)
			fprintf(stderr, "migtorture: host '%s': journal record: %s\n", s->name,
				jerr.msg);
		goto out;
	}
	ack = cJSON_CreateObject();
	if (!ack || mt_jsonl_add_i64(ack, "ack", seq) < 0 ||
	    !cJSON_AddBoolToObject(ack, "ok", jerr.code == 0) ||
	    (rid && mt_jsonl_add_i64(ack, "id", (long long)rid) < 0) ||
	    (jerr.code && !cJSON_AddStringToObject(ack, "error", jerr.msg))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = mt_jsonl_write(s->to_fd, ack, err);
	if (rc < 0)
		rc = broke(s, MT_EINFRA, err->msg, err);
out:
	cJSON_Delete(ack);
	free(us);
	return rc;
}

/* Sends req (an "id" is added) and waits for its answer, serving journal records meanwhile.
 * *resp is the answer when it says ok; an answer with ok false becomes the error. */
static int call(struct mt_remote *s, cJSON *req, int timeout_ms, struct jsink *js,
		cJSON **resp, int64_t *rtt, struct mt_error *err)
{
	uint64_t id = ++s->next_id;
	long long t_send, deadline;
	int rc;

	*resp = NULL;
	if (s->broken)
		return mt_err(err, MT_EINFRA, "host '%s': session is closed", s->name);
	if (mt_jsonl_add_i64(req, "id", (long long)id) < 0)
		return mt_err(err, MT_ENOMEM, "out of memory");
	t_send = mt_now_ns();
	deadline = t_send + (long long)timeout_ms * 1000000;
	rc = mt_jsonl_write(s->to_fd, req, err);
	if (rc < 0)
		return broke(s, MT_EINFRA, err->msg, err);
	for (;;) {
		long long left = deadline - mt_now_ns();
		char *line = NULL;
		cJSON *m;
		const cJSON *ok;

		drain_stderr(s);
		if (left <= 0)
			return broke(s, MT_ETIMEOUT, "no answer in time", err);
		rc = mt_jsonl_read(&s->rd, (int)(left / 1000000) + 1, &line, err);
		if (rc == 0)
			return broke(s, MT_EINFRA, "the far side closed the connection", err);
		if (rc == MT_ETIMEOUT)
			continue;
		if (rc < 0)
			return broke(s, rc, err->msg, err);
		m = cJSON_Parse(line);
		free(line);
		if (!m || !cJSON_IsObject(m)) {
			cJSON_Delete(m);
			return broke(s, MT_EINFRA, "the far side sent a line that is not JSON", err);
		}
		if (cJSON_GetObjectItemCaseSensitive(m, "journal")) {
			rc = on_journal(s, m, js, err);
			cJSON_Delete(m);
			if (rc < 0)
				return rc;
			continue;
		}
		if ((uint64_t)mt_jsonl_get_i64(m, "id") != id) {
			cJSON_Delete(m);
			return broke(s, MT_EINFRA, "answer to another request", err);
		}
		if (rtt)
			*rtt = mt_now_ns() - t_send;
		ok = cJSON_GetObjectItemCaseSensitive(m, "ok");
		if (!cJSON_IsTrue(ok)) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "error");
			int code = (int)mt_jsonl_get_i64(m, "code");

			rc = mt_err(err, code < 0 ? code : MT_EINFRA, "host '%s': %s", s->name,
				    cJSON_IsString(e) ? e->valuestring : "request failed");
			cJSON_Delete(m);
			return rc;
		}
		*resp = m;
		return 0;
	}
}

static cJSON *request(const char *what)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "req", what)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* A request with no other member; the answer is dropped. */
static int simple(struct mt_remote *s, const char *what, int timeout_ms, cJSON **resp,
		  int64_t *rtt, struct mt_error *err)
{
	cJSON *req = request(what), *r = NULL;
	int rc;

	if (!req)
		return mt_err(err, MT_ENOMEM, "out of memory");
	rc = call(s, req, timeout_ms, NULL, &r, rtt, err);
	cJSON_Delete(req);
	if (resp)
		*resp = r;
	else
		cJSON_Delete(r);
	return rc;
}

/* One clock exchange: keeps the offset from the round trip with the smallest delay. */
int64_t mt_remote_ping(struct mt_remote *s, struct mt_error *err)
{
	long long t_send = mt_now_ns();
	int64_t rtt = 0, mono;
	cJSON *r = NULL;
	int rc = simple(s, "clock", CALL_TIMEOUT_MS, &r, &rtt, err);

	if (rc < 0)
		return rc;
	mono = mt_jsonl_get_i64(r, "mono_ns");
	cJSON_Delete(r);
	if (s->rtt_min_ns == 0 || rtt < s->rtt_min_ns) {
		s->rtt_min_ns = rtt;
		s->offset_ns = t_send + rtt / 2 - mono;
	}
	return rtt;
}

static int hello(struct mt_remote *s, struct mt_error *err)
{
	cJSON *req = request("hello"), *r = NULL;
	int rc;

	if (!req || !cJSON_AddNumberToObject(req, "proto", MT_REMOTE_PROTO) ||
	    !cJSON_AddStringToObject(req, "version", mt_version())) {
		cJSON_Delete(req);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	rc = call(s, req, OPEN_TIMEOUT_MS, NULL, &r, NULL, err);
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

static int session_open(const struct mt_host *h, const char *key, struct mt_remote **out,
			struct mt_error *err)
{
	struct mt_remote *s = calloc(1, sizeof(*s));
	long long t = mt_now_ns();
	int rc = 0;

	*out = NULL;
	if (!s) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	s->pid = -1;
	s->to_fd = s->from_fd = s->err_fd = -1;
	s->key = strdup(key);
	s->name = strdup(h->name ? h->name : "?");
	if (!s->key || !s->name) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = spawn(s, h, err);
	if (rc < 0)
		goto out;
	rc = hello(s, err);
	for (int i = 0; rc == 0 && i < CLOCK_PINGS; i++)
		rc = (int)(mt_remote_ping(s, err) < 0 ? err->code : 0);
	if (rc < 0)
		goto out;
	s->setup_ns = mt_now_ns() - t;
	*out = s;
	s = NULL;
out:
	session_free(s);
	return rc;
}

int mt_remote_get(const struct mt_host *host, struct mt_remote **out, struct mt_error *err)
{
	char *key = mt_host_to_json(host);
	struct mt_remote **pp, *s;
	int rc = 0;

	*out = NULL;
	if (!key)
		return mt_err(err, MT_ENOMEM, "out of memory");
	/* A broken session stays in the table (callers may still hold it; it answers "closed")
	 * until mt_remote_close_all; its agent already undid what it applied (dead-man). */
	for (pp = &sessions; (s = *pp) != NULL; pp = &s->next) {
		if (!strcmp(s->key, key) && !s->broken) {
			*out = s;
			goto out;
		}
	}
	rc = session_open(host, key, &s, err);
	if (rc < 0)
		goto out;
	s->next = sessions;
	sessions = s;
	*out = s;
out:
	free(key);
	return rc;
}

/* The plugin's parameters as [[key, text], ...]: values as written, defaults left to the
 * far side's table. */
static cJSON *params_json(const struct mt_params *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && p && i < p->n; i++) {
		const struct mt_value *v = &p->vals[i];
		cJSON *pair;

		if (v->is_default || !v->opt || !v->opt->name)
			continue;
		pair = cJSON_CreateArray();
		if (!pair || !cJSON_AddItemToArray(a, pair) ||
		    !cJSON_AddItemToArray(pair, cJSON_CreateString(v->opt->name)) ||
		    !cJSON_AddItemToArray(pair, cJSON_CreateString(v->text ? v->text : ""))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *kind_request(struct mt_remote *s, const char *what, const char *kind,
			   const struct mt_params *p)
{
	cJSON *req = request(what), *pa = params_json(p);

	if (!req || !pa || !cJSON_AddStringToObject(req, "kind", kind) ||
	    !cJSON_AddStringToObject(req, "host", s->name)) {
		cJSON_Delete(req);
		cJSON_Delete(pa);
		return NULL;
	}
	cJSON_AddItemToObject(req, "params", pa);
	return req;
}

int mt_remote_supported(struct mt_remote *s, const char *kind, const struct mt_params *p,
			char *why, size_t whylen, struct mt_error *err)
{
	cJSON *req = kind_request(s, "supported", kind, p), *r = NULL;
	const cJSON *w;
	int rc;

	if (!req)
		return mt_err(err, MT_ENOMEM, "out of memory");
	rc = call(s, req, CALL_TIMEOUT_MS, NULL, &r, NULL, err);
	if (rc == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "supported"))) {
		w = cJSON_GetObjectItemCaseSensitive(r, "why");
		snprintf(why, whylen, "%s", cJSON_IsString(w) ? w->valuestring : "not supported");
		rc = MT_EUNSUPPORTED;
	}
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

int mt_remote_apply(struct mt_remote *s, const char *kind, const struct mt_params *p,
		    struct mt_journal *j, const struct mt_host *host, int64_t t0_ns,
		    const char *cell, uint64_t seed, uint64_t *handle,
		    struct mt_remote_apply_info *info, struct mt_error *err)
{
	cJSON *req = kind_request(s, "apply", kind, p), *r = NULL;
	struct jsink js = { j, host };
	int64_t rtt = 0, at;
	int rc;

	*handle = 0;
	info->rtt_ns = 0;
	info->applied_ns = -1;
	info->error_ns = s->rtt_min_ns / 2;
	/* The far side's faults time themselves against the cell's t0 in its own clock. */
	if (!req || mt_jsonl_add_i64(req, "t0_ns", t0_ns ? t0_ns - s->offset_ns : 0) < 0 ||
	    !cJSON_AddStringToObject(req, "cell", cell ? cell : "") ||
	    mt_jsonl_add_i64(req, "seed", (long long)seed) < 0) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	s->sink = js;
	rc = call(s, req, CALL_TIMEOUT_MS, &js, &r, &rtt, err);
	info->rtt_ns = rtt;
	if (rc < 0)
		goto out;
	*handle = (uint64_t)mt_jsonl_get_i64(r, "handle");
	at = mt_jsonl_get_i64(r, "applied_ns");
	if (cJSON_GetObjectItemCaseSensitive(r, "applied_ns") && t0_ns)
		info->applied_ns = at;
out:
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

static cJSON *handle_request(const char *what, uint64_t handle)
{
	cJSON *req = request(what);

	if (req && mt_jsonl_add_i64(req, "handle", (long long)handle) < 0) {
		cJSON_Delete(req);
		req = NULL;
	}
	return req;
}

int mt_remote_stress_kind(const char *kind)
{
	static const char *const kinds[] = { "host-cpu", "host-vm", "host-memrate" };

	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i], kind) == 0)
			return 1;
	return 0;
}

int mt_remote_collect(struct mt_remote *s, uint64_t handle, struct mt_cell_result *res,
		      struct mt_error *err)
{
	return mt_remote_collect_phases(s, handle, NULL, res, err);
}

int mt_remote_collect_phases(struct mt_remote *s, uint64_t handle,
			     const struct mt_phases *phases, struct mt_cell_result *res,
			     struct mt_error *err)
{
	cJSON *req = handle_request("collect", handle), *r = NULL, *ph;
	const cJSON *x;
	int rc, arc = 0;

	if (!req)
		return mt_err(err, MT_ENOMEM, "out of memory");
	if (phases) {
		/* Both sides count from the cell's t0 (apply's t0_ns): no mapping needed. */
		ph = cJSON_AddObjectToObject(req, "phases");
		if (!ph || mt_jsonl_add_i64(ph, "during_start_ns", phases->during_start_ns) < 0 ||
		    mt_jsonl_add_i64(ph, "after_start_ns", phases->after_start_ns) < 0 ||
		    mt_jsonl_add_i64(ph, "end_ns", phases->end_ns) < 0) {
			cJSON_Delete(req);
			return mt_err(err, MT_ENOMEM, "out of memory");
		}
	}
	rc = call(s, req, CALL_TIMEOUT_MS, NULL, &r, NULL, err);
	if (rc < 0)
		goto out;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "metrics")) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(x, "path");
		const cJSON *num = cJSON_GetObjectItemCaseSensitive(x, "num");
		const cJSON *str = cJSON_GetObjectItemCaseSensitive(x, "str");
		const cJSON *absent = cJSON_GetObjectItemCaseSensitive(x, "absent");

		if (!cJSON_IsString(path))
			continue;
		if (cJSON_IsNumber(num))
			arc |= mt_cell_set_num(res, path->valuestring, num->valuedouble);
		else if (cJSON_IsString(str))
			arc |= mt_cell_set_str(res, path->valuestring, str->valuestring);
		else if (cJSON_IsString(absent))
			arc |= mt_cell_set_absent(res, path->valuestring, absent->valuestring);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "events")) {
		const cJSON *what = cJSON_GetObjectItemCaseSensitive(x, "what");
		const cJSON *detail = cJSON_GetObjectItemCaseSensitive(x, "detail");

		if (cJSON_IsString(what))
			arc |= mt_cell_add_event(res, mt_jsonl_get_i64(x, "planned_ns"),
						 mt_jsonl_get_i64(x, "actual_ns"), what->valuestring,
						 cJSON_IsString(detail) ? detail->valuestring : NULL,
						 (int)mt_jsonl_get_i64(x, "rc"));
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(r, "series")) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "name");
		const cJSON *unit = cJSON_GetObjectItemCaseSensitive(x, "unit");
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(x, "t_ns");
		const cJSON *vs = cJSON_GetObjectItemCaseSensitive(x, "v");
		struct mt_series *ser;
		int k = 0, nt = cJSON_GetArraySize(ts);

		if (!cJSON_IsString(name) || nt != cJSON_GetArraySize(vs))
			continue;
		ser = mt_cell_series(res, name->valuestring,
				     cJSON_IsString(unit) ? unit->valuestring : "");
		if (!ser) {
			arc = 1;
			continue;
		}
		for (const cJSON *t = ts ? ts->child : NULL, *v = vs ? vs->child : NULL;
		     t && v && k < nt; t = t->next, v = v->next, k++) {
			int64_t tn;

			if (mt_json_i64(t, INT64_MIN, INT64_MAX, &tn) < 0) {
				arc = 1; /* a time no clock gives: not stored */
				continue;
			}
			arc |= mt_series_add(ser, tn, cJSON_IsNumber(v) ? v->valuedouble : NAN);
		}
	}
	if (arc)
		rc = mt_err(err, MT_EINFRA, "host '%s': a remote metric could not be stored",
			    s->name);
out:
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

int mt_remote_release(struct mt_remote *s, uint64_t handle, struct mt_error *err)
{
	cJSON *req = handle_request("release", handle), *r = NULL;
	int rc;

	if (!req)
		return mt_err(err, MT_ENOMEM, "out of memory");
	rc = call(s, req, CALL_TIMEOUT_MS, NULL, &r, NULL, err);
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

int mt_remote_log(struct mt_remote *s, const char *role, const char *domain, int64_t offset,
		  size_t max, struct mt_remote_log *out, struct mt_error *err)
{
	cJSON *req = request("log"), *r = NULL;
	const cJSON *d;
	int64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	out->size = -1;
	if (!req || !cJSON_AddStringToObject(req, "role", role) ||
	    (domain && !cJSON_AddStringToObject(req, "domain", domain)) ||
	    mt_jsonl_add_i64(req, "offset", offset) < 0 ||
	    mt_jsonl_add_i64(req, "max", (long long)max) < 0) {
		cJSON_Delete(req);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	rc = call(s, req, CALL_TIMEOUT_MS, NULL, &r, NULL, err);
	cJSON_Delete(req);
	if (rc < 0)
		return rc;
	if (mt_json_i64(cJSON_GetObjectItemCaseSensitive(r, "size"), -1, INT64_MAX, &out->size) <
	    0) {
		rc = mt_err(err, MT_EINFRA, "host '%s': log answer without a size", s->name);
		goto out;
	}
	d = cJSON_GetObjectItemCaseSensitive(r, "data");
	if (offset >= 0) {
		if (!cJSON_IsString(d) ||
		    mt_json_i64(cJSON_GetObjectItemCaseSensitive(r, "from"), 0, INT64_MAX, &v) < 0 ||
		    strlen(d->valuestring) > max) {
			rc = mt_err(err, MT_EINFRA, "host '%s': log answer without its data", s->name);
			goto out;
		}
		out->from = v;
		out->rotated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "rotated"));
		out->len = strlen(d->valuestring);
		if (!(out->data = strdup(d->valuestring)))
			rc = mt_err(err, MT_ENOMEM, "out of memory");
	}
out:
	cJSON_Delete(r);
	return rc;
}

int mt_remote_undo(const struct mt_host *host, const char *kind, const char *undo_json,
		   char *note, size_t notelen, struct mt_error *err)
{
	struct mt_remote *s = NULL;
	cJSON *req = NULL, *r = NULL, *u = NULL;
	const cJSON *n;
	int rc;

	if (note && notelen)
		note[0] = '\0';
	rc = mt_remote_get(host, &s, err);
	if (rc < 0)
		goto out;
	req = request("undo");
	u = cJSON_Parse(undo_json);
	if (!req || !u || !cJSON_AddStringToObject(req, "kind", kind)) {
		rc = mt_err(err, u || !undo_json ? MT_ENOMEM : MT_EINVAL, "undo record of '%s'",
			    kind);
		goto out;
	}
	cJSON_AddItemToObject(req, "undo", u);
	u = NULL;
	rc = call(s, req, CALL_TIMEOUT_MS, NULL, &r, NULL, err);
	if (rc == 0 && note && (n = cJSON_GetObjectItemCaseSensitive(r, "note")) &&
	    cJSON_IsString(n))
		snprintf(note, notelen, "on %s: %s", s->name, n->valuestring);
	else if (rc == 0 && note)
		snprintf(note, notelen, "on %s", s->name);
out:
	cJSON_Delete(u);
	cJSON_Delete(req);
	cJSON_Delete(r);
	return rc;
}

void mt_remote_close_all(void)
{
	while (sessions) {
		struct mt_remote *s = sessions;
		struct mt_error err = { 0 };

		sessions = s->next;
		if (!s->broken)
			simple(s, "bye", 10000, NULL, NULL, &err);
		/* The agent exits after answering bye; ssh follows. */
		end_process(s, 5000);
		session_free(s);
	}
}

void mt_remote_drop_all(void)
{
	while (sessions) {
		struct mt_remote *s = sessions;

		sessions = s->next;
		end_process(s, 10000);
		session_free(s);
	}
}
