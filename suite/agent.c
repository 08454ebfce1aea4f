/* agent.c — `migtorture agent`: the far side of an ssh host (docs/remote-hosts.md).
 *
 * Reads one JSON request per line on stdin, answers one JSON line per request on stdout, and
 * acts on the machine it runs on with the same fault plugins the runner has.
 *
 * Why it looks like this:
 * - Its journal is a proxy: every record a fault makes is written to the agent's own journal
 *   (on this machine's disk) and then sent to the runner, which writes and fsyncs its own
 *   entry (host = this ssh host) before it acknowledges. Only then does the fault change
 *   anything: the undo is on both disks first.
 * - Dead-man switch: when stdin ends (the runner died, ssh dropped) or SIGTERM/SIGINT arrives,
 *   the agent releases every fault and undoes every entry of its own journal still open, then
 *   exits. A journal left open by an agent that was SIGKILLed is undone by the next agent at
 *   start. The runner's journal keeps its copies open, so `migtorture recover` undoes them
 *   again through a new session — harmless, undo is idempotent.
 * - Runs an event loop (the faults' timers, e.g. link flaps, fire between requests); stdin is
 *   one of its fds. stdout is kept for the protocol only: fd 1 is pointed at stderr so a stray
 *   printf cannot corrupt it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "journal_priv.h"
#include "jsonl.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "remote.h"

#define ACK_TIMEOUT_MS 60000

/* One applied fault. Allocated on its own: the plugin may keep &ctx (timers use it). */
struct ainst {
	uint64_t handle;
	const struct mt_fault_ops *ops;
	struct mt_params p;
	struct mt_ctx ctx;
	void *state;
	struct mt_run_result run; /* its own cell: what the fault records, until collect */
	struct mt_host host;      /* this machine, under the name the runner gave it */
};

struct agent {
	struct mt_loop *loop;
	struct mt_journal *j;
	struct mt_jsonl rd;
	int out;
	int hello;
	int dead;          /* stdin ended or a signal: the dead-man switch runs */
	int quit;          /* bye */
	int error;         /* protocol broken: exit non-zero */
	struct ainst **in;
	size_t nin;
	uint64_t next_handle;
	long long seq;
	int64_t last_applied; /* t_ns of the last "applied" forwarded during this apply */
	int applying;         /* inside an apply request: journal records wait for the ack */
	struct mt_phases phases;
};

static const struct mt_host agent_host = { .name = "local", .kind = MT_HOST_LOCAL };

static void answer_err(struct agent *a, cJSON *resp, int code, const char *msg)
{
	cJSON_AddFalseToObject(resp, "ok");
	cJSON_AddNumberToObject(resp, "code", code < 0 ? code : MT_EINFRA);
	cJSON_AddStringToObject(resp, "error", msg);
	(void)a;
}

/* ---- the proxy journal ---- */

static int forward(void *arg, const char *op, uint64_t id, const char *kind, const char *undo,
		   int64_t t_ns, int rcv, struct mt_error *err)
{
	struct agent *a = arg;
	cJSON *m = cJSON_CreateObject(), *u = undo ? cJSON_Parse(undo) : NULL;
	long long seq = ++a->seq;
	int sync = a->applying, rc = 0;

	/* Outside an apply (a fault's timer or event, e.g. a link's "applied" when the kernel
	 * reports it) the runner is not listening: the record is sent without waiting and read
	 * with its next request. A new entry needs the runner's disk first: only inside apply. */
	if (!sync && strcmp(op, "begin") == 0) {
		rc = mt_err(err, MT_EINFRA, "a new journal entry outside apply cannot be recorded "
			    "by the runner first");
		goto out;
	}
	if (!m || !cJSON_AddStringToObject(m, "journal", op) || mt_jsonl_add_i64(m, "seq", seq) ||
	    !cJSON_AddBoolToObject(m, "ack", sync) ||
	    mt_jsonl_add_i64(m, "local_id", (long long)id) ||
	    !cJSON_AddStringToObject(m, "kind", kind ? kind : "") ||
	    mt_jsonl_add_i64(m, "t_ns", t_ns) || !cJSON_AddNumberToObject(m, "rc", rcv)) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (u) {
		cJSON_AddItemToObject(m, "undo", u);
		u = NULL;
	}
	if (strcmp(op, "applied") == 0)
		a->last_applied = t_ns;
	rc = mt_jsonl_write(a->out, m, err);
	if (rc < 0) {
		a->dead = 1;
		if (!sync)
			mt_loop_stop(a->loop);
		goto out;
	}
	if (!sync)
		goto out;
	/* The runner answers with an ack before anything else. */
	for (;;) {
		char *line = NULL;
		cJSON *r;
		const cJSON *e;

		rc = mt_jsonl_read(&a->rd, ACK_TIMEOUT_MS, &line, err);
		if (rc == 0) {
			a->dead = 1;
			rc = mt_err(err, MT_EINFRA, "runner went away before acknowledging");
			goto out;
		}
		if (rc < 0) {
			a->dead = 1;
			mt_err_prefix(err, "waiting for the runner's journal ack");
			goto out;
		}
		r = cJSON_Parse(line);
		free(line);
		if (!r || mt_jsonl_get_i64(r, "ack") != seq) {
			cJSON_Delete(r);
			a->error = a->dead = 1;
			rc = mt_err(err, MT_EINFRA, "protocol: expected the ack of journal record %lld",
				    seq);
			goto out;
		}
		e = cJSON_GetObjectItemCaseSensitive(r, "error");
		/* rc still holds mt_jsonl_read's 1 (a line): the journal calls return 0 on success,
		 * and faults that go on only when their journal call gave 0 (tbf, netem: their
		 * state for collect) lost their counters behind the agent while it leaked out. */
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")))
			rc = mt_err(err, MT_EINFRA, "runner's journal: %s",
				    cJSON_IsString(e) ? e->valuestring : "refused");
		else
			rc = 0;
		cJSON_Delete(r);
		break;
	}
out:
	cJSON_Delete(m);
	cJSON_Delete(u);
	return rc;
}

/* ---- requests ---- */

static int parse_params(const struct mt_fault_ops *ops, const cJSON *pairs, struct mt_params *p,
			struct mt_error *err)
{
	const cJSON *pair;
	int rc = 0;

	cJSON_ArrayForEach(pair, pairs) {
		const cJSON *k = cJSON_GetArrayItem(pair, 0), *v = cJSON_GetArrayItem(pair, 1);

		if (!cJSON_IsString(k) || !cJSON_IsString(v))
			return mt_err(err, MT_EINVAL, "params: expected [key, text] pairs");
		rc = mt_params_set(p, ops->options, k->valuestring, v->valuestring, 0, err);
		if (rc < 0)
			return rc;
	}
	rc = mt_params_finish(p, ops->options, err);
	if (rc == 0 && ops->check)
		rc = ops->check(p, err);
	return rc;
}

static const struct mt_fault_ops *find_ops(const cJSON *req, struct mt_error *err)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(req, "kind");
	const struct mt_fault_ops *ops = cJSON_IsString(k) ? mt_find_fault(k->valuestring) : NULL;

	if (!ops)
		mt_err(err, MT_ENOTFOUND, "no fault plugin '%s' in the agent's build (%s)",
		       cJSON_IsString(k) ? k->valuestring : "?", mt_version());
	return ops;
}

static void base_ctx(struct agent *a, struct mt_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->loop = a->loop;
	ctx->journal = a->j;
	ctx->host = &agent_host;
	ctx->phases = &a->phases;
}

/* This machine as a local host named as the runner calls it ("router"), so plugins' messages
 * ("kernel lacks sch_netem on router") name the host the user wrote. */
static void req_host(const cJSON *req, char *name, size_t len, struct mt_host *h)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(req, "host");

	snprintf(name, len, "%s", cJSON_IsString(n) && n->valuestring[0] ? n->valuestring
									   : "local");
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->kind = MT_HOST_LOCAL;
}

static int do_hello(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, "version");
	int proto = (int)mt_jsonl_get_i64(req, "proto");
	char host[256] = "";

	if (proto != MT_REMOTE_PROTO || !cJSON_IsString(v) || strcmp(v->valuestring, mt_version()))
		return mt_err(err, MT_EINFRA, "version mismatch: the runner is migtorture %s "
			      "(protocol %d), this agent is %s (protocol %d); install the same "
			      "version on both sides", cJSON_IsString(v) ? v->valuestring : "?",
			      proto, mt_version(), MT_REMOTE_PROTO);
	a->hello = 1;
	gethostname(host, sizeof(host) - 1);
	cJSON_AddNumberToObject(resp, "proto", MT_REMOTE_PROTO);
	cJSON_AddStringToObject(resp, "version", mt_version());
	cJSON_AddStringToObject(resp, "hostname", host);
	cJSON_AddNumberToObject(resp, "pid", getpid());
	cJSON_AddStringToObject(resp, "agent_journal", mt_journal_path(a->j));
	return 0;
}

static int do_supported(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	const struct mt_fault_ops *ops = find_ops(req, err);
	struct mt_params p = { 0 };
	struct mt_ctx ctx;
	struct mt_host h;
	char why[512] = "", hname[128];
	int rc;

	if (!ops)
		return err->code;
	rc = parse_params(ops, cJSON_GetObjectItemCaseSensitive(req, "params"), &p, err);
	if (rc < 0)
		goto out;
	base_ctx(a, &ctx);
	req_host(req, hname, sizeof(hname), &h);
	ctx.host = &h;
	rc = ops->supported ? ops->supported(&p, &ctx, why, sizeof(why)) : 0;
	if (rc == MT_EUNSUPPORTED) {
		cJSON_AddFalseToObject(resp, "supported");
		cJSON_AddStringToObject(resp, "why", why[0] ? why : "not supported here");
		rc = 0;
	} else if (rc < 0) {
		mt_err(err, rc, "supported(): %s", why[0] ? why : mt_err_name(rc));
	} else {
		cJSON_AddTrueToObject(resp, "supported");
	}
out:
	mt_params_free(&p);
	return rc;
}

static void inst_free(struct ainst *in)
{
	if (!in)
		return;
	if (in->state && in->ops && in->ops->release)
		in->ops->release(in->state);
	mt_params_free(&in->p);
	mt_run_result_free(&in->run);
	free((char *)in->ctx.cell_name);
	free(in->host.name);
	free(in);
}

static int do_apply(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	const struct mt_fault_ops *ops = find_ops(req, err);
	const cJSON *cell = cJSON_GetObjectItemCaseSensitive(req, "cell");
	struct ainst *in = NULL, **nin;
	char hname[128];
	int rc;

	if (!ops)
		return err->code;
	if (!ops->apply)
		return mt_err(err, MT_EINFRA, "fault %s has no apply", ops->name);
	in = calloc(1, sizeof(*in));
	if (!in)
		return mt_err(err, MT_ENOMEM, "out of memory");
	in->ops = ops;
	rc = parse_params(ops, cJSON_GetObjectItemCaseSensitive(req, "params"), &in->p, err);
	if (rc < 0)
		goto out;
	base_ctx(a, &in->ctx);
	req_host(req, hname, sizeof(hname), &in->host);
	in->host.name = strdup(hname);
	in->ctx.host = &in->host;
	in->ctx.result = mt_run_add_cell(&in->run, "remote");
	in->ctx.t0_ns = mt_jsonl_get_i64(req, "t0_ns");
	in->ctx.seed = (uint64_t)mt_jsonl_get_i64(req, "seed");
	in->ctx.cell_name = strdup(cJSON_IsString(cell) ? cell->valuestring : "");
	nin = realloc(a->in, (a->nin + 1) * sizeof(*nin));
	if (!in->ctx.result || !in->ctx.cell_name || !in->host.name || !nin) {
		if (nin)
			a->in = nin;
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	a->in = nin;
	a->last_applied = -1;
	mt_journal_set_t0(a->j, in->ctx.t0_ns);
	a->applying = 1;
	rc = ops->apply(&in->p, &in->ctx, &in->state, err);
	a->applying = 0;
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "apply failed (%s)", mt_err_name(rc));
		goto out;
	}
	in->handle = ++a->next_handle;
	a->in[a->nin++] = in;
	mt_jsonl_add_i64(resp, "handle", (long long)in->handle);
	if (a->last_applied != -1)
		mt_jsonl_add_i64(resp, "applied_ns", a->last_applied);
	in = NULL;
out:
	inst_free(in);
	return rc;
}

static struct ainst *find_inst(struct agent *a, const cJSON *req, struct mt_error *err)
{
	uint64_t h = (uint64_t)mt_jsonl_get_i64(req, "handle");

	for (size_t i = 0; i < a->nin; i++)
		if (a->in[i]->handle == h)
			return a->in[i];
	mt_err(err, MT_ENOTFOUND, "no applied fault with handle %llu", (unsigned long long)h);
	return NULL;
}

/* The cell's metrics and events as JSON (what collect added to the scratch cell). */
static void put_results(const struct mt_cell_result *c, cJSON *resp)
{
	cJSON *ms = cJSON_AddArrayToObject(resp, "metrics");
	cJSON *es = cJSON_AddArrayToObject(resp, "events");
	cJSON *ss = cJSON_AddArrayToObject(resp, "series");

	for (size_t i = 0; ms && i < c->nmetrics; i++) {
		const struct mt_metric *m = &c->metrics[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(ms, o))
			break;
		cJSON_AddStringToObject(o, "path", m->path);
		if (m->kind == MT_METRIC_NUM)
			cJSON_AddNumberToObject(o, "num", m->num);
		else
			cJSON_AddStringToObject(o, m->kind == MT_METRIC_STR ? "str" : "absent",
						m->str ? m->str : "");
	}
	for (size_t i = 0; es && i < c->nevents; i++) {
		const struct mt_event_rec *e = &c->events[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(es, o))
			break;
		mt_jsonl_add_i64(o, "planned_ns", e->planned_ns);
		mt_jsonl_add_i64(o, "actual_ns", e->actual_ns);
		cJSON_AddStringToObject(o, "what", e->what);
		if (e->detail)
			cJSON_AddStringToObject(o, "detail", e->detail);
		cJSON_AddNumberToObject(o, "rc", e->rc);
	}
	for (size_t i = 0; ss && i < c->nseries; i++) {
		const struct mt_series *x = &c->series[i];
		cJSON *o = cJSON_CreateObject(), *t, *v;

		if (!o || !cJSON_AddItemToArray(ss, o))
			break;
		cJSON_AddStringToObject(o, "name", x->name);
		cJSON_AddStringToObject(o, "unit", x->unit ? x->unit : "");
		t = cJSON_AddArrayToObject(o, "t_ns");
		v = cJSON_AddArrayToObject(o, "v");
		for (size_t k = 0; t && v && k < x->n; k++) {
			/* NaN (a lost sample) is not JSON: null. */
			cJSON_AddItemToArray(t, cJSON_CreateNumber((double)x->t_ns[k]));
			cJSON_AddItemToArray(v, x->v[k] == x->v[k] ? cJSON_CreateNumber(x->v[k])
								  : cJSON_CreateNull());
		}
	}
}

/* The fault's metrics, events and series (everything it recorded since apply). */
static int do_collect(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	struct ainst *in = find_inst(a, req, err);
	int rc = 0;

	if (!in)
		return err->code;
	if (in->ops->collect)
		rc = in->ops->collect(in->state, &in->ctx, err);
	put_results(in->ctx.result, resp);
	return rc;
}

static void release_inst(struct agent *a, size_t i)
{
	inst_free(a->in[i]);
	a->in[i] = a->in[--a->nin];
}

static int do_release(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	struct ainst *in = find_inst(a, req, err);

	(void)resp;
	if (!in)
		return err->code;
	for (size_t i = 0; i < a->nin; i++)
		if (a->in[i] == in)
			release_inst(a, i);
	return 0;
}

/* Canonical text of a JSON object, for comparing undo records written by two processes. */
static char *canon(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

static int do_undo(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	const struct mt_fault_ops *ops = find_ops(req, err);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(req, "undo");
	const struct mt_journal_entry *e;
	char *us = NULL, *cu = NULL;
	unsigned closed = 0;
	size_t n = 0;
	int rc;

	if (!ops)
		return err->code;
	if (!ops->undo)
		return mt_err(err, MT_EINFRA, "fault %s has no undo", ops->name);
	us = cJSON_IsObject(u) ? cJSON_PrintUnformatted(u) : NULL;
	if (!us)
		return mt_err(err, MT_EINVAL, "undo: no undo record");
	rc = ops->undo(us, err);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "undo failed (%s)", mt_err_name(rc));
		goto out;
	}
	/* The same change in our own journal is done with: the dead-man must not redo it. */
	cu = canon(us);
	if (cu && mt_journal_open_entries(a->j, &e, &n, err) == 0) {
		uint64_t ids[64];
		size_t k = 0;

		for (size_t i = 0; i < n && k < 64; i++) {
			char *ce = canon(e[i].undo_json);

			if (ce && strcmp(e[i].kind, ops->name) == 0 && strcmp(ce, cu) == 0)
				ids[k++] = e[i].id;
			free(ce);
		}
		/* The runner closes its own entry from our answer: not forwarded. */
		mt_journal_set_forward(a->j, NULL, NULL);
		for (size_t i = 0; i < k; i++) {
			struct mt_error lerr = { 0 };

			if (mt_journal_end(a->j, ids[i], -1, 0, &lerr) == 0)
				closed++;
		}
		mt_journal_set_forward(a->j, forward, a);
	}
	cJSON_AddStringToObject(resp, "note", closed ? "undone" : "undone (no open entry here)");
out:
	free(us);
	free(cu);
	return rc;
}

/* Releases every fault and undoes what this agent's journal still has open. */
static unsigned dead_man(struct agent *a)
{
	unsigned undone = 0, failed = 0;
	struct mt_error err = { 0 };

	while (a->nin)
		release_inst(a, a->nin - 1);
	mt_journal_set_forward(a->j, NULL, NULL);
	mt_journal_set_t0(a->j, 0);
	if (mt_journal_undo_range(a->j, 0, UINT64_MAX, stderr, &undone, &failed, &err) < 0)
		fprintf(stderr, "migtorture agent: dead-man undo: %s\n", err.msg);
	return undone;
}

static void handle_line(struct agent *a, const char *line)
{
	cJSON *req = cJSON_Parse(line), *resp = cJSON_CreateObject();
	const cJSON *what;
	struct mt_error err = { 0 };
	int rc = 0;

	if (!resp)
		goto out;
	if (!req || !cJSON_IsObject(req)) {
		answer_err(a, resp, MT_EINVAL, "protocol: a request must be a JSON object");
		goto send;
	}
	mt_jsonl_add_i64(resp, "id", mt_jsonl_get_i64(req, "id"));
	what = cJSON_GetObjectItemCaseSensitive(req, "req");
	if (!cJSON_IsString(what)) {
		answer_err(a, resp, MT_EINVAL, "protocol: no \"req\"");
		goto send;
	}
	if (!a->hello && strcmp(what->valuestring, "hello")) {
		answer_err(a, resp, MT_EINVAL, "protocol: send hello first");
		goto send;
	}
	if (!strcmp(what->valuestring, "hello"))
		rc = do_hello(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "clock"))
		rc = 0;
	else if (!strcmp(what->valuestring, "supported"))
		rc = do_supported(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "apply"))
		rc = do_apply(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "collect"))
		rc = do_collect(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "release"))
		rc = do_release(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "undo"))
		rc = do_undo(a, req, resp, &err);
	else if (!strcmp(what->valuestring, "bye")) {
		cJSON_AddNumberToObject(resp, "undone", dead_man(a));
		a->quit = 1;
	} else
		rc = mt_err(&err, MT_EINVAL, "protocol: unknown request '%s'", what->valuestring);
	if (rc < 0) {
		answer_err(a, resp, rc, err.msg[0] ? err.msg : mt_err_name(rc));
	} else {
		cJSON_AddTrueToObject(resp, "ok");
		/* Every answer carries the agent's clocks (the runner maps times with them). */
		mt_jsonl_add_i64(resp, "mono_ns", mt_jsonl_mono_ns());
		mt_jsonl_add_i64(resp, "wall_ns", mt_jsonl_wall_ns());
	}
send:
	if (!a->dead && mt_jsonl_write(a->out, resp, &err) < 0)
		a->dead = 1;
out:
	cJSON_Delete(req);
	cJSON_Delete(resp);
}

static int on_stdin(struct mt_loop *loop, int fd, unsigned events, void *arg)
{
	struct agent *a = arg;
	struct mt_error err = { 0 };
	char *line = NULL;
	int rc;

	(void)fd;
	(void)events;
	rc = mt_jsonl_fill(&a->rd, &err);
	if (rc < 0 && rc != MT_ETIMEOUT) {
		fprintf(stderr, "migtorture agent: %s\n", err.msg);
		a->dead = 1;
	}
	while (!a->dead && !a->quit && mt_jsonl_next(&a->rd, &line) == 1) {
		handle_line(a, line);
		free(line);
	}
	if (a->rd.eof)
		a->dead = 1;
	if (a->dead || a->quit)
		mt_loop_stop(loop);
	return 0;
}

/* The agent's journal: $MT_AGENT_JOURNAL, else /run/migtorture/agent.journal (tmpfs on the lab
 * router; /run is writable where / is not). */
const char *mt_agent_default_journal(void)
{
	const char *p = getenv("MT_AGENT_JOURNAL");

	return p && *p ? p : "/run/migtorture/agent.journal";
}

int mt_agent_run(int in_fd, int out_fd, const char *journal_path, struct mt_error *err)
{
	struct agent a = { .out = out_fd };
	const struct mt_journal_entry *e;
	sigset_t old;
	size_t n = 0;
	int blocked = 0, rc;

	a.phases = (struct mt_phases){ -1, -1, -1 };
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN); /* sshd may send it; stdin's end is what counts */
	mt_jsonl_init(&a.rd, in_fd);
	rc = mt_journal_open(journal_path ? journal_path : mt_agent_default_journal(), &a.j, err);
	if (rc < 0)
		goto out;
	/* Left open by an agent that could not run its dead-man switch (SIGKILL, power). */
	if (mt_journal_open_entries(a.j, &e, &n, err) == 0 && n) {
		fprintf(stderr, "migtorture agent: %zu entr%s left open by an earlier agent: "
			"undoing\n", n, n == 1 ? "y" : "ies");
		dead_man(&a);
	}
	/* From here on, what the faults journal also goes to the runner. */
	mt_journal_set_forward(a.j, forward, &a);
	rc = mt_signals_block(&old, err);
	if (rc < 0)
		goto out;
	blocked = 1;
	rc = mt_loop_new(&a.loop, err);
	if (rc < 0)
		goto out;
	rc = mt_loop_add_fd(a.loop, in_fd, EPOLLIN, on_stdin, &a, err);
	if (rc < 0)
		goto out;
	rc = mt_loop_run(a.loop, 0, err);
	if (rc == MT_EINTR || rc < 0) {
		if (rc < 0 && rc != MT_EINTR)
			fprintf(stderr, "migtorture agent: %s\n", err->msg);
		a.dead = 1;
		rc = 0;
	}
	if (a.dead && !a.quit) {
		long long t = mt_jsonl_mono_ns();
		unsigned u = dead_man(&a);

		fprintf(stderr, "migtorture agent: connection to the runner lost: dead-man switch "
			"undid %u entr%s in %.1f ms\n", u, u == 1 ? "y" : "ies",
			(double)(mt_jsonl_mono_ns() - t) / 1e6);
	}
	if (a.error)
		rc = mt_err(err, MT_EINFRA, "protocol error");
out:
	while (a.nin)
		release_inst(&a, a.nin - 1);
	free(a.in);
	mt_loop_free(a.loop);
	mt_journal_close(a.j);
	mt_jsonl_free(&a.rd);
	if (blocked)
		mt_signals_restore(&old);
	return rc;
}
