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
 * - Whoever speaks to it may only do what this host's agent.conf allows (agent_policy.h): every
 *   supported, apply and undo is checked before anything is done, the agent's own undo too.
 *   A refusal is an error answer with the reason, and a line on stderr and in syslog (stderr
 *   goes back to the runner over ssh; syslog stays on this host). A line over
 *   MT_AGENT_LINE_MAX or one that is not a JSON request is answered with an error and the
 *   agent goes on reading.
 * - Host stress (host-cpu, host-vm, host-memrate) runs through the same requests: apply starts
 *   the workload, collect stops it (once) and collects, release frees it. Its stress-ng group
 *   and temp dir are journalled like a fault's change; the peer may undo such a "process" or
 *   "tmpdir" entry only by repeating a record of this agent's own journal, so a pid the peer
 *   names is never signalled on its word.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "agent_policy.h"
#include "journal_priv.h"
#include "jsonl.h"
#include "logread.h"
#include "migtorture/plugin.h"
#include "migtorture/runner.h"
#include "remote.h"
#include "migtorture/units.h"

#define ACK_TIMEOUT_MS 60000

/* One applied fault or started stress. Allocated on its own: the plugin may keep &ctx (timers
 * use it). */
struct ainst {
	uint64_t handle;
	const struct mt_fault_ops *ops;      /* a fault, or */
	const struct mt_workload_ops *wops;  /* a host stress workload */
	int stopped;                         /* wops: stop ran (collect stops it once) */
	struct mt_phases phases;             /* wops: the cell's phases, as collect sent them */
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
	struct mt_agent_policy policy;
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

/* A refusal, on this host's record: stderr (which ssh carries back to the runner) and syslog
 * (which stays here). */
static void log_refusal(const char *what, const char *kind, const char *reason)
{
	fprintf(stderr, "migtorture agent: %s%s%s: %s\n", what, kind ? " " : "", kind ? kind : "",
		reason);
	syslog(LOG_WARNING, "%s%s%s: %s", what, kind ? " " : "", kind ? kind : "", reason);
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
	/* Which file says what this host allows, and whether it allows anything at all. */
	cJSON_AddStringToObject(resp, "policy", a->policy.path);
	if (!a->policy.loaded)
		cJSON_AddStringToObject(resp, "policy_refuses_all", a->policy.why);
	return 0;
}

static int do_supported(struct agent *a, struct mt_agent_req *rq, cJSON *resp,
			struct mt_error *err)
{
	int (*supported)(const struct mt_params *, const struct mt_ctx *, char *, size_t) =
		rq->wops ? rq->wops->base.supported : rq->ops->base.supported;
	struct mt_ctx ctx;
	struct mt_host h;
	char why[512] = "", hname[128];
	int rc;

	base_ctx(a, &ctx);
	req_host(rq->json, hname, sizeof(hname), &h);
	ctx.host = &h;
	rc = supported ? supported(&rq->params, &ctx, why, sizeof(why)) : 0;
	if (rc == MT_EUNSUPPORTED) {
		cJSON_AddFalseToObject(resp, "supported");
		cJSON_AddStringToObject(resp, "why", why[0] ? why : "not supported here");
		rc = 0;
	} else if (rc < 0) {
		mt_err(err, rc, "supported(): %s", why[0] ? why : mt_err_name(rc));
	} else {
		cJSON_AddTrueToObject(resp, "supported");
	}
	return rc;
}

static void inst_free(struct ainst *in)
{
	if (!in)
		return;
	/* A stress still running is killed with its group by its release. */
	if (in->state && in->ops && in->ops->release)
		in->ops->release(in->state);
	else if (in->state && in->wops && in->wops->release)
		in->wops->release(in->state);
	mt_params_free(&in->p);
	mt_run_result_free(&in->run);
	free((char *)in->ctx.cell_name);
	free(in->host.name);
	free(in);
}

static int do_apply(struct agent *a, struct mt_agent_req *rq, cJSON *resp, struct mt_error *err)
{
	const struct mt_fault_ops *ops = rq->ops;
	const struct mt_workload_ops *wops = rq->wops;
	const cJSON *cell = cJSON_GetObjectItemCaseSensitive(rq->json, "cell");
	struct ainst *in = NULL, **nin;
	char hname[128];
	int rc;

	if (wops ? !wops->start || !wops->stop : !ops->apply)
		return mt_err(err, MT_EINFRA, "%s has no apply", rq->kind);
	in = calloc(1, sizeof(*in));
	if (!in)
		return mt_err(err, MT_ENOMEM, "out of memory");
	in->ops = wops ? NULL : ops;
	in->wops = wops;
	in->phases = (struct mt_phases){ -1, -1, -1 };
	in->p = rq->params; /* taken over: the parameters the check saw are the ones applied */
	memset(&rq->params, 0, sizeof(rq->params));
	base_ctx(a, &in->ctx);
	req_host(rq->json, hname, sizeof(hname), &in->host);
	in->host.name = strdup(hname);
	in->ctx.host = &in->host;
	in->ctx.result = mt_run_add_cell(&in->run, "remote");
	in->ctx.t0_ns = mt_jsonl_get_i64(rq->json, "t0_ns");
	in->ctx.seed = (uint64_t)mt_jsonl_get_i64(rq->json, "seed");
	in->ctx.cell_name = strdup(cJSON_IsString(cell) ? cell->valuestring : "");
	if (wops)
		in->ctx.phases = &in->phases;
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
	rc = wops ? wops->start(&in->p, &in->ctx, &in->state, err)
		  : ops->apply(&in->p, &in->ctx, &in->state, err);
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
	mt_err(err, MT_ENOTFOUND, "no applied fault or stress with handle %llu",
	       (unsigned long long)h);
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

/* The phases the runner sent with collect (ns since t0; absent members stay -1). */
static void read_phases(const cJSON *req, struct mt_phases *ph)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(req, "phases");

	if (!cJSON_IsObject(o))
		return;
	if (cJSON_GetObjectItemCaseSensitive(o, "during_start_ns"))
		ph->during_start_ns = mt_jsonl_get_i64(o, "during_start_ns");
	if (cJSON_GetObjectItemCaseSensitive(o, "after_start_ns"))
		ph->after_start_ns = mt_jsonl_get_i64(o, "after_start_ns");
	if (cJSON_GetObjectItemCaseSensitive(o, "end_ns"))
		ph->end_ns = mt_jsonl_get_i64(o, "end_ns");
}

/* The fault's metrics, events and series (everything it recorded since apply). A stress is
 * stopped first, once: stress-ng reports its totals only when it ends. */
static int do_collect(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	struct ainst *in = find_inst(a, req, err);
	int rc = 0, rc2;

	if (!in)
		return err->code;
	if (in->wops) {
		read_phases(req, &in->phases);
		if (!in->stopped) {
			in->stopped = 1;
			rc = in->wops->stop(in->state, &in->ctx, err);
		}
		if (in->wops->collect) {
			struct mt_error cerr = { 0 };

			rc2 = in->wops->collect(in->state, &in->ctx, rc < 0 ? &cerr : err);
			if (rc == 0)
				rc = rc2;
		}
	} else if (in->ops->collect) {
		rc = in->ops->collect(in->state, &in->ctx, err);
	}
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

/* log: a piece of one of this host's logs. The path is agent.conf's [logs] pattern for the
 * role (the policy check refused roles it does not name); the peer chooses only the domain
 * (a plain name), where to start and how much (at most MT_LOG_CHUNK_MAX). offset -1 asks for
 * the size alone (-1 when the file does not exist yet). */
static int do_log(struct agent *a, const cJSON *req, cJSON *resp, struct mt_error *err)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(req, "role");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(req, "domain");
	int role = mt_log_role_parse(cJSON_IsString(r) ? r->valuestring : NULL), rotated = 0, rc;
	int64_t off, max, size = -1;
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;

	if (role < 0 || !a->policy.logs[role])
		return mt_err(err, MT_EINVAL, "log: no such log here");
	if (mt_json_i64(cJSON_GetObjectItemCaseSensitive(req, "offset"), -1, INT64_MAX, &off) < 0 ||
	    mt_json_i64(cJSON_GetObjectItemCaseSensitive(req, "max"), 0, MT_LOG_CHUNK_MAX, &max) < 0)
		return mt_err(err, MT_EINVAL, "log: offset must be -1 or more, max 0 to %d",
			      MT_LOG_CHUNK_MAX);
	if ((rc = mt_log_path(a->policy.logs[role], cJSON_IsString(d) ? d->valuestring : NULL,
			      path, sizeof(path), err)) < 0)
		return rc;
	if (off < 0) {
		if ((rc = mt_log_size(path, &size, err)) < 0)
			return rc;
	} else if ((rc = mt_log_read(path, off, (size_t)max, &buf, &len, &size, &rotated,
				     err)) < 0) {
		return rc;
	}
	mt_jsonl_add_i64(resp, "size", size);
	if (buf) {
		mt_jsonl_add_i64(resp, "from", rotated ? 0 : off);
		if (rotated)
			cJSON_AddTrueToObject(resp, "rotated");
		rc = cJSON_AddStringToObject(resp, "data", buf) ? 0
			: mt_err(err, MT_ENOMEM, "out of memory");
	}
	free(buf);
	return rc;
}

/* Canonical text of a JSON object, for comparing undo records written by two processes. */
static char *canon(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

/* local_undo: the record the policy check rebuilt from the peer's (what runs here); the
 * peer's own text names the entries of this agent's journal it closes. A "process" or
 * "tmpdir" record passed the check only as one of this agent's own (rq->own): an open entry
 * is undone by the journal's built-in undo, a closed one is already done with. */
static int do_undo(struct agent *a, struct mt_agent_req *rq, const char *local_undo, cJSON *resp,
		   struct mt_error *err)
{
	const struct mt_fault_ops *ops = rq->ops;
	const struct mt_journal_entry *e;
	char *cu = NULL, note[256] = "";
	unsigned closed = 0;
	size_t n = 0;
	int rc;

	if (rq->jkind && rq->own != 1) {
		cJSON_AddStringToObject(resp, "note", "already undone by this agent");
		return 0;
	}
	if (rq->jkind)
		rc = rq->jkind->undo(rq->undo_json, note, sizeof(note), err);
	else if (!ops->undo)
		return mt_err(err, MT_EINFRA, "fault %s has no undo", ops->base.name);
	else
		rc = ops->undo(local_undo ? local_undo : rq->undo_json, err);
	if (rc < 0) {
		if (err->code == 0)
			mt_err(err, rc, "undo failed (%s)", mt_err_name(rc));
		goto out;
	}
	/* The same change in our own journal is done with: the dead-man must not redo it. */
	cu = canon(rq->undo_json);
	if (cu && mt_journal_open_entries(a->j, &e, &n, err) == 0) {
		uint64_t ids[64];
		size_t k = 0;

		for (size_t i = 0; i < n && k < 64; i++) {
			char *ce = canon(e[i].undo_json);

			if (ce && strcmp(e[i].kind, rq->kind) == 0 && strcmp(ce, cu) == 0)
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
	if (note[0])
		cJSON_AddStringToObject(resp, "note", note);
	else
		cJSON_AddStringToObject(resp, "note", closed ? "undone"
							     : "undone (no open entry here)");
out:
	free(cu);
	return rc;
}

/* The policy on the agent's own journal: an entry is undone only when it is a change on this
 * machine that the policy allows, with the record the check rebuilt. */
static int journal_gate(void *arg, const char *kind, const char *host_json,
			const char *undo_json, char **run_json, char *reason, size_t len)
{
	struct agent *a = arg;
	struct mt_host h;
	struct mt_error err = { 0 };
	int ok;

	if (mt_host_from_json(host_json, &h, &err) < 0 || h.kind != MT_HOST_LOCAL || h.netns) {
		snprintf(reason, len, "journal entry of %s is not for this machine", kind);
		ok = 0;
	} else if (mt_find_journal_kind(kind)) {
		/* A process or temp dir of this agent's own journal: one it started or made. */
		ok = 1;
	} else {
		ok = mt_agent_policy_allows_undo(&a->policy, kind, undo_json, run_json, reason,
						 len);
	}
	mt_host_free(&h);
	if (ok == 0)
		log_refusal("journal undo", kind, reason);
	return ok;
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

/* The answer to a line that was not served; id 0 when the line had none. */
static void answer_refused(struct agent *a, const cJSON *req, int code, const char *msg)
{
	cJSON *resp = cJSON_CreateObject();
	struct mt_error err = { 0 };

	if (!resp)
		return;
	mt_jsonl_add_i64(resp, "id", req ? mt_jsonl_get_i64(req, "id") : 0);
	answer_err(a, resp, code, msg);
	if (!a->dead && mt_jsonl_write(a->out, resp, &err) < 0)
		a->dead = 1;
	cJSON_Delete(resp);
}

/* One request: read, checked against the policy, then served. */
static void handle_line(struct agent *a, const char *line)
{
	struct mt_agent_req rq;
	struct mt_error err = { 0 };
	char reason[MT_ERRMSG_MAX], *local_undo = NULL;
	cJSON *resp = NULL;
	int rc = mt_agent_req_parse(line, &rq, &err), ok;

	if (rc < 0) {
		log_refusal("request", NULL, err.msg);
		answer_refused(a, rq.json, rc, err.msg);
		goto out;
	}
	if (!a->hello && strcmp(rq.what, "hello")) {
		answer_refused(a, rq.json, MT_EINVAL, "protocol: send hello first");
		goto out;
	}
	rc = mt_agent_req_resolve(&rq, &err);
	if (rc < 0) {
		answer_refused(a, rq.json, rc, err.msg);
		goto out;
	}
	if (rq.jkind)
		rq.own = mt_journal_find_record(a->j, rq.kind, rq.undo_json);
	ok = mt_agent_policy_allows(&a->policy, &rq, &local_undo, reason, sizeof(reason));
	if (ok < 0)
		snprintf(reason, sizeof(reason), "out of memory");
	if (ok <= 0) {
		log_refusal(rq.what, rq.kind, reason);
		answer_refused(a, rq.json, MT_EINFRA, reason);
		goto out;
	}
	if (rq.ops && rq.params.table &&
	    (rc = mt_agent_policy_localize(&a->policy, rq.kind, &rq.params, &err)) < 0) {
		answer_refused(a, rq.json, rc, err.msg);
		goto out;
	}
	resp = cJSON_CreateObject();
	if (!resp)
		goto out;
	mt_jsonl_add_i64(resp, "id", mt_jsonl_get_i64(rq.json, "id"));
	if (!strcmp(rq.what, "hello"))
		rc = do_hello(a, rq.json, resp, &err);
	else if (!strcmp(rq.what, "clock"))
		rc = 0;
	else if (!strcmp(rq.what, "supported"))
		rc = do_supported(a, &rq, resp, &err);
	else if (!strcmp(rq.what, "apply"))
		rc = do_apply(a, &rq, resp, &err);
	else if (!strcmp(rq.what, "collect"))
		rc = do_collect(a, rq.json, resp, &err);
	else if (!strcmp(rq.what, "release"))
		rc = do_release(a, rq.json, resp, &err);
	else if (!strcmp(rq.what, "undo"))
		rc = do_undo(a, &rq, local_undo, resp, &err);
	else if (!strcmp(rq.what, "log"))
		rc = do_log(a, rq.json, resp, &err);
	else if (!strcmp(rq.what, "bye")) {
		cJSON_AddNumberToObject(resp, "undone", dead_man(a));
		a->quit = 1;
	} else
		rc = mt_err(&err, MT_EINVAL, "protocol: unknown request '%s'", rq.what);
	if (rc < 0) {
		answer_err(a, resp, rc, err.msg[0] ? err.msg : mt_err_name(rc));
	} else {
		cJSON_AddTrueToObject(resp, "ok");
		/* Every answer carries the agent's clocks (the runner maps times with them). */
		mt_jsonl_add_i64(resp, "mono_ns", mt_now_ns());
		mt_jsonl_add_i64(resp, "wall_ns", mt_wall_ns());
	}
	if (!a->dead && mt_jsonl_write(a->out, resp, &err) < 0)
		a->dead = 1;
out:
	free(local_undo);
	mt_agent_req_free(&rq);
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
	while (!a->dead && !a->quit && (rc = mt_jsonl_next(&a->rd, &line)) != 0) {
		if (rc == MT_EINVAL) {
			char msg[128];

			snprintf(msg, sizeof(msg), "protocol: a request line longer than %d bytes "
				 "(dropped, nothing done)", MT_AGENT_LINE_MAX);
			log_refusal("request", NULL, msg);
			answer_refused(a, NULL, MT_EINVAL, msg);
			continue;
		}
		if (rc < 0)
			break;
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

int mt_agent_run(int in_fd, int out_fd, const char *journal_path, const char *policy_path,
		 struct mt_error *err)
{
	struct agent a = { .out = out_fd };
	const struct mt_journal_entry *e;
	sigset_t old;
	size_t n = 0;
	int blocked = 0, rc;

	a.phases = (struct mt_phases){ -1, -1, -1 };
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN); /* sshd may send it; stdin's end is what counts */
	openlog("migtorture-agent", LOG_PID, LOG_AUTH);
	mt_jsonl_init(&a.rd, in_fd);
	mt_jsonl_set_max(&a.rd, MT_AGENT_LINE_MAX, 1);
	rc = mt_agent_policy_load(policy_path ? policy_path : mt_agent_policy_default_path(),
				  &a.policy, err);
	if (rc < 0)
		goto out;
	if (!a.policy.loaded)
		log_refusal("every change is refused", NULL, a.policy.why);
	rc = mt_journal_open(journal_path ? journal_path : mt_agent_default_journal(), &a.j, err);
	if (rc < 0)
		goto out;
	mt_journal_set_undo_gate(a.j, journal_gate, &a);
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
		long long t = mt_now_ns();
		unsigned u = dead_man(&a);

		fprintf(stderr, "migtorture agent: connection to the runner lost: dead-man switch "
			"undid %u entr%s in %.1f ms\n", u, u == 1 ? "y" : "ies",
			(double)(mt_now_ns() - t) / 1e6);
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
	mt_agent_policy_free(&a.policy);
	closelog();
	if (blocked)
		mt_signals_restore(&old);
	return rc;
}
