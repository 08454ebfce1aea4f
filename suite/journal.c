/* journal.c — the fault journal (format in include/migtorture/journal.h).
 *
 * Why it looks like this:
 * - One JSON object per line, appended with O_APPEND in a single write and fsync'd, so a
 *   crash leaves at worst one torn last line. Reading skips lines that do not parse; opening
 *   for writing first ends a torn line with '\n' so the next record starts on its own line.
 * - An exclusive flock on the journal file for as long as it is open: two runners never share
 *   a journal, and `recover` cannot undo what a live runner is still using.
 * - The lock makes this process the only writer, so the entry table read at open is kept in
 *   memory and updated with every record written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "grow.h"
#include "fileio.h"
#include "journal_priv.h"
#include "jsonl.h"
#include "remote.h"
#include "migtorture/journal.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"

/* A journal whose entries are all closed is emptied at open once it is larger than this. */
#define MT_JOURNAL_COMPACT_BYTES (1024 * 1024)

struct jent {
	uint64_t id;
	char *kind, *host_json, *undo_json;
	int applied;
	int64_t t_applied_ns;
	int closed;
};

struct mt_journal {
	char *path;
	int fd;
	char *run_id;
	int64_t t0_ns;          /* 0 = unknown (recover): times are then written as -1 */
	struct jent *e;
	size_t n, cap;
	uint64_t max_id;
	unsigned bad_lines;     /* lines that did not parse (a torn write) */
	struct mt_journal_entry *view; /* mt_journal_open_entries' answer */
	mt_journal_fwd_fn fwd;  /* proxy journal: records also go to the runner */
	void *fwd_arg;
	int nowait;             /* mt_journal_set_nowait */
	mt_journal_gate_fn gate; /* mt_journal_set_undo_gate */
	void *gate_arg;
	unsigned gone;          /* entries closed because their target no longer exists */
};

int64_t mt_journal_rel_now(const struct mt_journal *j)
{
	return j->t0_ns ? mt_now_ns() - j->t0_ns : -1;
}

/* mkdir -p of path's parent directory, mode 0700 for what it creates. */
static int make_parent(const char *path, struct mt_error *err)
{
	char buf[PATH_MAX];
	char *slash;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return mt_err(err, MT_EINVAL, "journal path too long");
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
	return 0;
}

static void fsync_parent(const char *path)
{
	char buf[PATH_MAX];
	char *slash;
	int fd;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash)
		snprintf(buf, sizeof(buf), ".");
	else if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static struct jent *find(struct mt_journal *j, uint64_t id)
{
	for (size_t i = j->n; i-- > 0;)
		if (j->e[i].id == id)
			return &j->e[i];
	return NULL;
}

static int add_entry(struct mt_journal *j, uint64_t id, const char *kind, const char *host,
		     const char *undo)
{
	struct jent *e;

	if (mt_grow((void **)&j->e, &j->cap, j->n, sizeof(*j->e)) < 0)
		return MT_ENOMEM;
	e = &j->e[j->n];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->kind = strdup(kind);
	e->host_json = strdup(host);
	e->undo_json = strdup(undo);
	if (!e->kind || !e->host_json || !e->undo_json) {
		free(e->kind);
		free(e->host_json);
		free(e->undo_json);
		return MT_ENOMEM;
	}
	j->n++;
	if (id > j->max_id)
		j->max_id = id;
	return 0;
}

/* A non-negative integer member; 0 when absent or not one (ids start at 1, pids at 2). */
static uint64_t get_u64(const cJSON *o, const char *k)
{
	int64_t v = 0;

	if (mt_json_i64(cJSON_GetObjectItemCaseSensitive(o, k), 0, INT64_MAX, &v) < 0)
		return 0;
	return (uint64_t)v;
}

/* Applies one parsed line to the table. Lines it does not understand are ignored. */
static int replay_line(struct mt_journal *j, const char *line)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *op, *kind, *host, *undo;
	char *hs = NULL, *us = NULL;
	struct jent *e;
	uint64_t id;
	int rc = 0;

	if (!o || !cJSON_IsObject(o)) {
		j->bad_lines++;
		goto out;
	}
	op = cJSON_GetObjectItemCaseSensitive(o, "op");
	id = get_u64(o, "id");
	if (!cJSON_IsString(op) || id == 0) {
		j->bad_lines++;
		goto out;
	}
	if (strcmp(op->valuestring, "open") == 0) {
		kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
		host = cJSON_GetObjectItemCaseSensitive(o, "host");
		undo = cJSON_GetObjectItemCaseSensitive(o, "undo");
		if (!cJSON_IsString(kind) || !cJSON_IsObject(host) || !cJSON_IsObject(undo)) {
			j->bad_lines++;
			goto out;
		}
		hs = cJSON_PrintUnformatted(host);
		us = cJSON_PrintUnformatted(undo);
		if (!hs || !us) {
			rc = MT_ENOMEM;
			goto out;
		}
		rc = add_entry(j, id, kind->valuestring, hs, us);
	} else if ((e = find(j, id)) != NULL) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t_ns");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rc");

		if (strcmp(op->valuestring, "applied") == 0) {
			int64_t tv;

			e->applied = 1;
			e->t_applied_ns = mt_json_i64(t, INT64_MIN, INT64_MAX, &tv) == 0 ? tv : -1;
		} else if (strcmp(op->valuestring, "close") == 0) {
			/* A failed undo (rc < 0) leaves the entry open. */
			if (!cJSON_IsNumber(r) || r->valueint == 0)
				e->closed = 1;
		}
	}
out:
	free(hs);
	free(us);
	cJSON_Delete(o);
	return rc;
}

/* Reads the whole file into the table; returns its size in *size. */
static int replay(struct mt_journal *j, off_t *size, int *torn, struct mt_error *err)
{
	struct stat st;
	char *buf = NULL, *p, *end;
	ssize_t got = 0;
	int rc = 0;

	*torn = 0;
	if (fstat(j->fd, &st) < 0) {
		rc = mt_err(err, MT_EIO, "stat %s: %s", j->path, strerror(errno));
		goto out;
	}
	*size = st.st_size;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = mt_err(err, MT_ENOMEM, "out of memory reading %s", j->path);
		goto out;
	}
	got = mt_pread_full(j->fd, buf, (size_t)st.st_size, 0);
	if (got < 0) {
		rc = mt_err(err, MT_EIO, "read %s: %s", j->path, strerror(errno));
		goto out;
	}
	buf[got] = '\0';
	*size = got;
	*torn = got > 0 && buf[got - 1] != '\n';
	for (p = buf; p < buf + got; p = end + 1) {
		end = memchr(p, '\n', (size_t)(buf + got - p));
		if (!end)
			end = buf + got;
		*end = '\0';
		if (end > p && replay_line(j, p) < 0) {
			rc = mt_err(err, MT_ENOMEM, "out of memory reading %s", j->path);
			goto out;
		}
	}
out:
	free(buf);
	return rc;
}

static int write_all(struct mt_journal *j, const char *s, size_t len, struct mt_error *err)
{
	if (mt_write_full(j->fd, s, len) < 0)
		return mt_err(err, MT_EIO, "write %s: %s", j->path, strerror(errno));
	if (fsync(j->fd) < 0)
		return mt_err(err, MT_EIO, "fsync %s: %s", j->path, strerror(errno));
	return 0;
}

/* Appends one record (the object is consumed) as a single line and fsyncs. */
static int append(struct mt_journal *j, cJSON *o, struct mt_error *err)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	char *line = NULL;
	size_t len;
	int rc;

	if (!s) {
		rc = mt_err(err, MT_ENOMEM, "out of memory writing the journal");
		goto out;
	}
	len = strlen(s);
	line = malloc(len + 2);
	if (!line) {
		rc = mt_err(err, MT_ENOMEM, "out of memory writing the journal");
		goto out;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	rc = write_all(j, line, len + 1, err);
out:
	free(line);
	free(s);
	cJSON_Delete(o);
	return rc;
}

static size_t count_open(const struct mt_journal *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->n; i++)
		n += !j->e[i].closed;
	return n;
}

int mt_journal_open(const char *path, struct mt_journal **out, struct mt_error *err)
{
	struct mt_journal *j = NULL;
	int created = 0, torn = 0, rc = 0;
	off_t size = 0;

	*out = NULL;
	if (!path || !path[0])
		return mt_err(err, MT_EINVAL, "no journal path");
	rc = make_parent(path, err);
	if (rc < 0)
		goto out;
	j = calloc(1, sizeof(*j));
	if (j)
		j->fd = -1;
	if (!j || !(j->path = strdup(path))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (j->fd >= 0)
		created = 1;
	else if (errno == EEXIST)
		j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0) {
		rc = mt_err(err, MT_EIO, "open journal %s: %s", path, strerror(errno));
		goto out;
	}
	if (created)
		fsync_parent(path);
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK
			     ? mt_err(err, MT_EINFRA,
				      "journal %s is in use by a running migtorture; wait for it "
				      "to end (or stop it) first", path)
			     : mt_err(err, MT_EIO, "lock %s: %s", path, strerror(errno));
		goto out;
	}
	rc = replay(j, &size, &torn, err);
	if (rc < 0)
		goto out;
	if (count_open(j) == 0 && size > MT_JOURNAL_COMPACT_BYTES) {
		/* Nothing open: the history is not needed to undo anything. */
		if (ftruncate(j->fd, 0) == 0)
			fsync(j->fd);
	} else if (torn) {
		rc = write_all(j, "\n", 1, err); /* end the torn line */
		if (rc < 0)
			goto out;
	}
	*out = j;
	j = NULL;
out:
	mt_journal_close(j);
	return rc;
}

void mt_journal_close(struct mt_journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->e[i].kind);
		free(j->e[i].host_json);
		free(j->e[i].undo_json);
	}
	free(j->e);
	free(j->view);
	free(j->run_id);
	free(j->path);
	if (j->fd >= 0)
		close(j->fd); /* also releases the lock */
	free(j);
}

const char *mt_journal_path(const struct mt_journal *j)
{
	return j->path;
}

void mt_journal_set_run(struct mt_journal *j, const char *run_id)
{
	char *r = run_id ? strdup(run_id) : NULL;

	free(j->run_id);
	j->run_id = r;
}

void mt_journal_set_forward(struct mt_journal *j, mt_journal_fwd_fn fn, void *arg)
{
	j->fwd = fn;
	j->fwd_arg = arg;
}

void mt_journal_set_undo_gate(struct mt_journal *j, mt_journal_gate_fn fn, void *arg)
{
	j->gate = fn;
	j->gate_arg = arg;
}

void mt_journal_set_t0(struct mt_journal *j, int64_t t0_ns)
{
	j->t0_ns = t0_ns;
}

uint64_t mt_journal_last_id(const struct mt_journal *j)
{
	return j->max_id;
}

int64_t mt_journal_applied_time(const struct mt_journal *j, uint64_t first_id,
				uint64_t last_id)
{
	int64_t t = -1;

	for (size_t i = 0; j && i < j->n; i++)
		if (j->e[i].id >= first_id && j->e[i].id <= last_id && j->e[i].applied &&
		    j->e[i].t_applied_ns > t)
			t = j->e[i].t_applied_ns;
	return t;
}

unsigned mt_journal_gone(const struct mt_journal *j)
{
	return j ? j->gone : 0;
}

unsigned mt_journal_bad_lines(const struct mt_journal *j)
{
	return j->bad_lines;
}

int mt_journal_begin(struct mt_journal *j, const char *kind, const struct mt_host *host,
		     const char *undo_json, uint64_t *id, struct mt_error *err)
{
	char *hs = mt_host_to_json(host);
	cJSON *o = NULL, *ho = NULL, *uo = NULL;
	uint64_t nid = j->max_id + 1;
	char wall[32];
	int rc = 0;

	if (!kind || !kind[0] || !undo_json) {
		rc = mt_err(err, MT_EINVAL, "journal: an entry needs a kind and an undo record");
		goto out;
	}
	uo = cJSON_Parse(undo_json);
	if (!uo || !cJSON_IsObject(uo)) {
		rc = mt_err(err, MT_EINVAL, "journal: undo record of '%s' is not a JSON object",
			    kind);
		goto out;
	}
	ho = hs ? cJSON_Parse(hs) : NULL;
	o = cJSON_CreateObject();
	if (!ho || !o || !cJSON_AddStringToObject(o, "op", "open") ||
	    !cJSON_AddNumberToObject(o, "id", (double)nid) ||
	    !cJSON_AddStringToObject(o, "kind", kind)) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_AddItemToObject(o, "host", ho);
	ho = NULL;
	cJSON_AddItemToObject(o, "undo", uo);
	uo = NULL;
	/* An integer, not a double in exponent form: ns since the epoch need 19 digits. */
	snprintf(wall, sizeof(wall), "%lld", (long long)mt_wall_ns());
	if (!cJSON_AddRawToObject(o, "t_wall_ns", wall) ||
	    !cJSON_AddStringToObject(o, "run", j->run_id ? j->run_id : "")) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	/* Table first (so a failed write is still undone by this process), then the file. */
	if (add_entry(j, nid, kind, hs, undo_json) < 0) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = append(j, o, err);
	o = NULL;
	if (rc < 0) {
		j->n--; /* not on disk: the change must not be made */
		free(j->e[j->n].kind);
		free(j->e[j->n].host_json);
		free(j->e[j->n].undo_json);
		goto out;
	}
	if (j->fwd) {
		rc = j->fwd(j->fwd_arg, "begin", nid, kind, undo_json, 0, 0, err);
		if (rc < 0) {
			/* The runner did not record it: no change may be made; close ours. */
			struct mt_error lerr = { 0 };
			mt_journal_fwd_fn fwd = j->fwd;

			j->fwd = NULL; /* the runner never saw this entry */
			mt_journal_end(j, nid, mt_journal_rel_now(j), 0, &lerr);
			j->fwd = fwd;
			goto out;
		}
	}
	if (id)
		*id = nid;
out:
	cJSON_Delete(o);
	cJSON_Delete(ho);
	cJSON_Delete(uo);
	free(hs);
	return rc;
}

static int record(struct mt_journal *j, const char *op, uint64_t id, int64_t t_ns, int with_rc,
		  int rcv, struct mt_error *err)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "op", op) ||
	    !cJSON_AddNumberToObject(o, "id", (double)id) ||
	    !cJSON_AddNumberToObject(o, "t_ns", (double)t_ns) ||
	    (with_rc && !cJSON_AddNumberToObject(o, "rc", rcv))) {
		cJSON_Delete(o);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	return append(j, o, err);
}

int mt_journal_applied(struct mt_journal *j, uint64_t id, int64_t t_ns, struct mt_error *err)
{
	struct jent *e = find(j, id);
	int rc;

	if (!e)
		return mt_err(err, MT_ENOTFOUND, "journal: no entry %llu", (unsigned long long)id);
	rc = record(j, "applied", id, t_ns, 0, 0, err);
	if (rc == 0) {
		e->applied = 1;
		e->t_applied_ns = t_ns;
	}
	if (rc == 0 && j->fwd)
		rc = j->fwd(j->fwd_arg, "applied", id, e->kind, NULL, t_ns, 0, err);
	return rc;
}

int mt_journal_end(struct mt_journal *j, uint64_t id, int64_t t_ns, int rcv,
		   struct mt_error *err)
{
	struct jent *e = find(j, id);
	int rc;

	if (!e)
		return mt_err(err, MT_ENOTFOUND, "journal: no entry %llu", (unsigned long long)id);
	rc = record(j, "close", id, t_ns, 1, rcv, err);
	if (rc == 0 && rcv == 0)
		e->closed = 1;
	if (rc == 0 && j->fwd)
		rc = j->fwd(j->fwd_arg, "end", id, e->kind, NULL, t_ns, rcv, err);
	return rc;
}

int mt_journal_open_entries(struct mt_journal *j, const struct mt_journal_entry **entries,
			    size_t *n, struct mt_error *err)
{
	size_t k = 0, no = count_open(j);

	free(j->view);
	j->view = NULL;
	*entries = NULL;
	*n = 0;
	if (no == 0)
		return 0;
	j->view = calloc(no, sizeof(*j->view));
	if (!j->view)
		return mt_err(err, MT_ENOMEM, "out of memory");
	/* The table is in file order, which is id order: walk it backwards. */
	for (size_t i = j->n; i-- > 0;) {
		const struct jent *e = &j->e[i];

		if (e->closed)
			continue;
		j->view[k++] = (struct mt_journal_entry){ e->id, e->kind, e->host_json,
							  e->undo_json, e->applied,
							  e->t_applied_ns };
	}
	*entries = j->view;
	*n = k;
	return 0;
}

/* Canonical text of a JSON object, so records written by two processes compare equal. */
static char *canon_json(const char *json)
{
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	char *s = cJSON_IsObject(o) ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

int mt_journal_find_record(struct mt_journal *j, const char *kind, const char *undo_json)
{
	char *want = canon_json(undo_json);
	int found = 0;

	for (size_t i = 0; want && i < j->n && found != 1; i++) {
		const struct jent *e = &j->e[i];
		char *have;

		if (strcmp(e->kind, kind) != 0)
			continue;
		have = canon_json(e->undo_json);
		if (have && strcmp(have, want) == 0)
			found = e->closed ? 2 : 1;
		free(have);
	}
	free(want);
	return found;
}

/* A fault entry that was never marked applied may have its change still in flight: the
 * runner was killed (or failed) right after sending it to a service that queues it (a Ceph
 * monitor: measured, recover's "osd in" was answered "already in" and the dead runner's queued
 * "osd out" landed after it, leaving the OSD out). Such entries are undone once more after this
 * long (undo is idempotent by contract). */
#define MT_JOURNAL_INFLIGHT_NS (3000 * 1000000LL)

/* Undoes one entry in the place its host names. *again (may be NULL) is set when the entry is
 * a local fault never marked applied (see MT_JOURNAL_INFLIGHT_NS). *gone is set (and 0
 * returned) when the entry's network namespace no longer exists: the change went with it. */
static int undo_entry(const struct mt_journal *j, const struct jent *e, char *note,
		      size_t notelen, struct mt_error *err, int *again, int *gone)
{
	const struct mt_journal_kind *jk;
	const struct mt_fault_ops *ops;
	const char *undo_json = e->undo_json;
	char *gated = NULL, reason[MT_ERRMSG_MAX];
	struct mt_error herr = { 0 };
	struct mt_host h = { 0 };
	int saved = -1, rc;

	note[0] = '\0';
	if (j->gate) {
		rc = j->gate(j->gate_arg, e->kind, e->host_json, e->undo_json, &gated, reason,
			     sizeof(reason));
		if (rc <= 0) {
			rc = mt_err(err, rc < 0 ? rc : MT_EINFRA, "%s",
				    rc < 0 ? "out of memory" : reason);
			goto out;
		}
		if (gated)
			undo_json = gated;
	}
	rc = mt_host_from_json(e->host_json, &h, err);
	if (rc < 0)
		goto out;
	if (h.kind == MT_HOST_SSH) {
		/* The host's agent undoes it (a session is opened when none is). */
		rc = mt_remote_undo(&h, e->kind, undo_json, note, notelen, err);
		goto out;
	}
	if ((jk = mt_find_journal_kind(e->kind)) != NULL) {
		rc = jk->undo(undo_json, note, notelen, err);
		goto out;
	}
	if (again)
		*again = !e->applied;
	ops = mt_find_fault(e->kind);
	if (!ops || !ops->undo) {
		rc = mt_err(err, MT_ENOTFOUND, "no fault plugin '%s' in this build to undo it",
			    e->kind);
		goto out;
	}
	rc = mt_host_enter(&h, &saved, &herr);
	if (rc == MT_ENOTFOUND) {
		/* Deleting a namespace removes every qdisc and link in it, so there is nothing
		 * left to undo; kept open, the entry would refuse every later run for good. */
		snprintf(note, notelen, "target gone (%.300s): closed, nothing left to undo",
			 herr.msg);
		*gone = 1;
		if (again)
			*again = 0;
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		mt_err(err, rc, "%s", herr.msg);
		goto out;
	}
	if (j->nowait && ops->undo_nowait && ops->settle)
		rc = ops->undo_nowait(undo_json, err);
	else
		rc = ops->undo(undo_json, err);
	if (rc < 0 && err && err->code == 0)
		mt_err(err, rc, "undo failed (%s)", mt_err_name(rc));
	{
		struct mt_error lerr = { 0 };
		int lrc = mt_host_leave(saved, &lerr);

		if (lrc < 0 && rc == 0)
			rc = mt_err(err, lrc, "%s", lerr.msg);
	}
out:
	mt_host_free(&h);
	free(gated);
	return rc;
}

int mt_journal_undo_range(struct mt_journal *j, uint64_t first_id, uint64_t last_id,
			  FILE *log, unsigned *undone, unsigned *failed, struct mt_error *err)
{
	uint64_t *ids = NULL;
	size_t n = 0, nagain = 0;
	int first_rc = 0;
	unsigned nu = 0, nf = 0;

	ids = malloc((j->n ? j->n : 1) * sizeof(*ids));
	if (!ids) {
		first_rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = j->n; i-- > 0;)
		if (!j->e[i].closed && j->e[i].id >= first_id && j->e[i].id <= last_id)
			ids[n++] = j->e[i].id;
	/* Newest first: a later change may sit on top of an earlier one. */
	for (size_t k = 0; k < n; k++) {
		const struct jent *e = find(j, ids[k]);
		struct mt_error lerr = { 0 };
		char note[512];
		int again = 0, gone = 0;
		int rc = undo_entry(j, e, note, sizeof(note), &lerr, &again, &gone);
		int wrc;

		wrc = mt_journal_end(j, ids[k], mt_journal_rel_now(j), rc, rc < 0 ? NULL : &lerr);
		if (rc == 0 && wrc < 0)
			rc = wrc; /* undone, but the close is not on disk: recover redoes it */
		e = find(j, ids[k]);
		if (rc < 0) {
			nf++;
			if (log)
				fprintf(log, "journal entry %llu (%s): undo FAILED: %s\n",
					(unsigned long long)e->id, e->kind, lerr.msg);
			if (first_rc == 0)
				first_rc = mt_err(err, rc, "undo of journal entry %llu (%s): %s",
						  (unsigned long long)e->id, e->kind, lerr.msg);
		} else {
			nu++;
			j->gone += (unsigned)gone;
			if (log)
				fprintf(log, "journal entry %llu (%s): undone%s%s\n",
					(unsigned long long)e->id, e->kind, note[0] ? ": " : "",
					note);
			if (again)
				ids[nagain++] = ids[k]; /* k only grows: ids[<= k] are done with */
		}
	}
	if (nagain) {
		struct timespec ts = { MT_JOURNAL_INFLIGHT_NS / 1000000000LL,
				       MT_JOURNAL_INFLIGHT_NS % 1000000000LL };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	for (size_t k = 0; k < nagain; k++) {
		const struct jent *e = find(j, ids[k]);
		struct mt_error lerr = { 0 };
		char note[512];
		int gone = 0;
		int rc = undo_entry(j, e, note, sizeof(note), &lerr, NULL, &gone);

		if (log)
			fprintf(log, "journal entry %llu (%s): never marked applied: undone again "
				"after %.0f s%s%s\n", (unsigned long long)e->id, e->kind,
				MT_JOURNAL_INFLIGHT_NS / 1e9, rc < 0 ? ": FAILED: " : "",
				rc < 0 ? lerr.msg : "");
		if (rc < 0 && first_rc == 0)
			first_rc = mt_err(err, rc, "second undo of journal entry %llu (%s): %s",
					  (unsigned long long)e->id, e->kind, lerr.msg);
	}
out:
	if (undone)
		*undone = nu;
	if (failed)
		*failed = nf;
	free(ids);
	return first_rc;
}

int mt_journal_undo_all(struct mt_journal *j, unsigned *undone, unsigned *failed,
			struct mt_error *err)
{
	return mt_journal_undo_range(j, 0, UINT64_MAX, NULL, undone, failed, err);
}

void mt_journal_set_nowait(struct mt_journal *j, int on)
{
	if (j)
		j->nowait = on;
}

char *mt_journal_undo_json(struct mt_journal *j, uint64_t first_id, uint64_t last_id,
			   const char *kind)
{
	for (size_t i = j ? j->n : 0; i-- > 0;) {
		const struct jent *e = &j->e[i];

		if (!e->closed && e->id >= first_id && e->id <= last_id && e->kind &&
		    strcmp(e->kind, kind) == 0)
			return strdup(e->undo_json);
	}
	return NULL;
}
