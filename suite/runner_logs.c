/* runner_logs.c — the hypervisors' logs of a cell. At its start the size of every log of
 * source_host and dest_host (the libvirt daemon's, the domain's QEMU log, its serial console);
 * at its end what was written since — the last logs.max bytes — into
 * OUTDIR/logs/NNN-CELL/HOST-ROLE.log, named in results.json as logs.HOST.ROLE.file. A local or
 * namespace host's files are read here (the paths its [host:] keys or lab.json give); an ssh
 * host's through its agent, which reads only what its agent.conf [logs] names.
 * docs/results.md, "Logs of a cell". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logread.h"
#include "remote.h"
#include "runner_priv.h"

/* The host a source_host/dest_host names; its lab host by default when the hypervisor is one. */
static const char *host_name(const struct rn_cellrun *c, int dest)
{
	const char *key = mt_param_str(&c->cell->core, dest ? "dest_host" : "source_host");
	const char *uri = dest ? c->cell->dest : c->cell->source;

	if (key)
		return key;
	return uri && strncmp(uri, "lab:", 4) == 0 ? uri : NULL;
}

static const char *local_pattern(const struct mt_host *h, enum mt_log_role role)
{
	return role == MT_LOG_LIBVIRTD ? h->log_libvirtd
	       : role == MT_LOG_QEMU  ? h->log_qemu
				      : h->log_console;
}

/* The component a host name is in a metric path: dots would nest it. */
static void metric_name(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s", name);
	for (char *p = out; *p; p++)
		if (*p == '.')
			*p = '_';
}

static void log_absent(struct rn_cellrun *c, const struct rn_log *l, const char *why)
{
	char path[160], hn[64];

	metric_name(l->host->name, hn, sizeof(hn));
	snprintf(path, sizeof(path), "logs.%s.%s", hn, mt_log_role_name(l->role));
	mt_cell_set_absent(c->res, path, why);
}

/* One log's start: its size now (-1: no file yet), or why it cannot be kept. */
static void log_begin(struct rn_cellrun *c, struct rn_log *l)
{
	struct mt_error err = { 0 };
	const char *pat;

	l->start = -1;
	if (l->host->kind == MT_HOST_SSH) {
		struct mt_remote_log out;
		struct mt_remote *rs = NULL;

		if (mt_remote_get(l->host, &rs, &err) < 0 ||
		    mt_remote_log(rs, mt_log_role_name(l->role), c->cell->domain, -1, 0, &out,
				  &err) < 0) {
			snprintf(l->why, sizeof(l->why), "%.290s", err.msg);
			return;
		}
		l->start = out.size;
		return;
	}
	pat = local_pattern(l->host, l->role);
	if (!pat) {
		snprintf(l->why, sizeof(l->why), "host '%.64s' names no %s log (log_%s)",
			 l->host->name, mt_log_role_name(l->role), mt_log_role_name(l->role));
		return;
	}
	if (mt_log_path(pat, c->cell->domain, l->path, sizeof(l->path), &err) < 0 ||
	    mt_log_size(l->path, &l->start, &err) < 0)
		snprintf(l->why, sizeof(l->why), "%.290s", err.msg);
}

/* Reads [from, size) in chunks into fd. */
static int copy_range(struct rn_cellrun *c, struct rn_log *l, struct mt_remote *rs,
		      int64_t from, int64_t size, int fd, int64_t *copied, struct mt_error *err)
{
	*copied = 0;
	while (from < size) {
		size_t want = (size_t)(size - from) < MT_LOG_CHUNK_MAX ? (size_t)(size - from)
									  : MT_LOG_CHUNK_MAX;
		char *buf = NULL;
		size_t len = 0;
		int64_t now = 0;
		int rotated = 0, rc;

		if (rs) {
			struct mt_remote_log out;

			rc = mt_remote_log(rs, mt_log_role_name(l->role), c->cell->domain, from,
					   want, &out, err);
			buf = out.data;
			len = out.len;
			rotated = out.rotated;
		} else {
			rc = mt_log_read(l->path, from, want, &buf, &len, &now, &rotated, err);
		}
		if (rc == 0 && len > 0 && write(fd, buf, len) != (ssize_t)len)
			rc = mt_err(err, MT_EIO, "writing a log: %s", strerror(errno));
		free(buf);
		if (rc < 0)
			return rc;
		*copied += (int64_t)len;
		if (len == 0 || rotated) /* it shrank meanwhile: keep what there is */
			break;
		from += (int64_t)len;
	}
	return 0;
}

/* One log's end: the part the cell wrote, its last `cap` bytes, into dir. */
static void log_end(struct rn_cellrun *c, struct rn_log *l, const char *dir, const char *reldir,
		    uint64_t cap)
{
	struct mt_error err = { 0 };
	char file[PATH_MAX], rel[PATH_MAX], metric[200], hn[64], why[300];
	int64_t size = -1, from, copied = 0, dropped = 0;
	struct mt_remote *rs = NULL;
	int ssh = l->host->kind == MT_HOST_SSH, fd, rc;

	if (ssh) {
		struct mt_remote_log out = { .size = -1 };

		rc = mt_remote_get(l->host, &rs, &err);
		if (rc == 0)
			rc = mt_remote_log(rs, mt_log_role_name(l->role), c->cell->domain, -1, 0,
					   &out, &err);
		size = out.size;
	} else {
		rc = mt_log_size(l->path, &size, &err);
	}
	if (rc < 0) {
		log_absent(c, l, err.msg);
		return;
	}
	if (size < 0) {
		snprintf(why, sizeof(why), "host '%.64s' has no %s log %.200s", l->host->name,
			 mt_log_role_name(l->role), ssh ? "(agent.conf [logs])" : l->path);
		log_absent(c, l, why);
		return;
	}
	from = l->start < 0 || l->start > size ? 0 : l->start;
	if ((uint64_t)(size - from) > cap) {
		dropped = size - from - (int64_t)cap;
		from = size - (int64_t)cap;
	}
	metric_name(l->host->name, hn, sizeof(hn));
	if (snprintf(rel, sizeof(rel), "%s/%s-%s.log", reldir, hn, mt_log_role_name(l->role)) >=
		    (int)sizeof(rel) ||
	    snprintf(file, sizeof(file), "%s/%s-%s.log", dir, hn, mt_log_role_name(l->role)) >=
		    (int)sizeof(file)) {
		log_absent(c, l, "the output directory's path is too long");
		return;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  c->r->results_mode);
	if (fd < 0) {
		snprintf(why, sizeof(why), "%.200s: %.90s", file, strerror(errno));
		log_absent(c, l, why);
		return;
	}
	rc = copy_range(c, l, rs, from, size, fd, &copied, &err);
	if (close(fd) < 0 && rc == 0)
		rc = mt_err(&err, MT_EIO, "%s: %s", file, strerror(errno));
	if (rc < 0) {
		unlink(file);
		log_absent(c, l, err.msg);
		return;
	}
	snprintf(metric, sizeof(metric), "logs.%s.%s.file", hn, mt_log_role_name(l->role));
	mt_cell_set_str(c->res, metric, rel);
	snprintf(metric, sizeof(metric), "logs.%s.%s.kept_bytes", hn, mt_log_role_name(l->role));
	mt_cell_set_num(c->res, metric, (double)copied);
	snprintf(metric, sizeof(metric), "logs.%s.%s.dropped_bytes", hn, mt_log_role_name(l->role));
	mt_cell_set_num(c->res, metric, (double)dropped);
}

/* 1 when a log of the same host and role, or the same local file, is already listed (the
 * lab's two hosts share the guest's console file). */
static int listed(const struct rn_cellrun *c, const struct rn_log *l)
{
	for (size_t i = 0; i < c->nlogs; i++) {
		const struct rn_log *o = &c->logs[i];

		if (o->host == l->host && o->role == l->role)
			return 1;
		if (o->path[0] && strcmp(o->path, l->path) == 0)
			return 1;
	}
	return 0;
}

void rn_logs_begin(struct rn_cellrun *c)
{
	struct mt_error err = { 0 };

	c->nlogs = 0;
	if (mt_param_u64(&c->cell->core, "logs.max") == 0 || !c->r->o->outdir)
		return;
	for (int dest = 0; dest < 2; dest++) {
		const char *name = host_name(c, dest);
		const struct mt_host *h;

		if (!name)
			continue;
		mt_err_clear(&err);
		if (!(h = rn_host_by_name(c, name, &err))) {
			rn_say(c, "logs: %s host '%s': %s", dest ? "dest" : "source", name, err.msg);
			continue;
		}
		for (int role = 0; role < MT_LOG_NROLES; role++) {
			struct rn_log l = { .host = h, .role = (enum mt_log_role)role };

			log_begin(c, &l);
			if (listed(c, &l) || c->nlogs >= RN_MAX_LOGS)
				continue;
			c->logs[c->nlogs++] = l;
		}
	}
}

/* A plugin's own log (stress-ng's) arrives as a metric PREFIX.log_text — from an agent too,
 * which has no way to the output directory —: it becomes the file PREFIX-with-dashes.log,
 * named by PREFIX.log_file. */
static void texts_to_files(struct rn_cellrun *c, const char *dir, const char *reldir)
{
	for (size_t i = 0; i < c->res->nmetrics;) {
		const struct mt_metric *m = &c->res->metrics[i];
		size_t n = strlen(m->path);
		char prefix[160], name[180], file[PATH_MAX], rel[PATH_MAX], key[200];
		int fd, ok;

		if (m->kind != MT_METRIC_STR || n <= 9 || strcmp(m->path + n - 9, ".log_text") ||
		    n - 9 >= sizeof(prefix)) {
			i++;
			continue;
		}
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 9), m->path);
		snprintf(name, sizeof(name), "%s.log", prefix);
		for (char *p = name; p < name + strlen(name) - 4; p++)
			if (*p == '.')
				*p = '-';
		snprintf(key, sizeof(key), "%s.log_file", prefix);
		ok = snprintf(file, sizeof(file), "%s/%s", dir, name) < (int)sizeof(file) &&
		     snprintf(rel, sizeof(rel), "%s/%s", reldir, name) < (int)sizeof(rel);
		fd = ok ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			       c->r->results_mode) : -1;
		mt_log_sanitize(m->str, strlen(m->str)); /* as written by the plugin, or an agent */
		ok = fd >= 0 && write(fd, m->str, strlen(m->str)) == (ssize_t)strlen(m->str);
		if (fd >= 0 && close(fd) < 0)
			ok = 0;
		if (ok) {
			mt_cell_set_str(c->res, key, rel);
		} else {
			if (fd >= 0) /* a log is whole or gone: never half of one (a full disk) */
				unlink(file);
			mt_cell_set_absent(c->res, key, "could not be written to the output directory");
		}
		/* the set above may have moved the array: look the text up again */
		snprintf(key, sizeof(key), "%s.log_text", prefix);
		mt_cell_unset(c->res, key);
	}
}

/* A plugin's log text is dropped when the cell keeps no logs. */
static void drop_texts(struct rn_cellrun *c)
{
	for (size_t i = 0; i < c->res->nmetrics;) {
		const char *p = c->res->metrics[i].path;
		size_t n = strlen(p);

		if (n > 9 && strcmp(p + n - 9, ".log_text") == 0) {
			char key[200];

			snprintf(key, sizeof(key), "%.199s", p);
			mt_cell_unset(c->res, key);
		} else {
			i++;
		}
	}
}

static int has_texts(const struct rn_cellrun *c)
{
	for (size_t i = 0; i < c->res->nmetrics; i++) {
		size_t n = strlen(c->res->metrics[i].path);

		if (n > 9 && strcmp(c->res->metrics[i].path + n - 9, ".log_text") == 0)
			return 1;
	}
	return 0;
}

void rn_logs_end(struct rn_cellrun *c)
{
	uint64_t cap = mt_param_u64(&c->cell->core, "logs.max");
	char reldir[160], dir[PATH_MAX];
	size_t k, idx = (size_t)(c->res - c->r->run->cells);

	if (cap == 0 || !c->r->o->outdir) {
		drop_texts(c);
		return;
	}
	if (c->nlogs == 0 && !has_texts(c))
		return;
	k = (size_t)snprintf(reldir, sizeof(reldir), "logs/%03zu-", idx);
	for (const char *p = c->cell->name; *p && k < 100; p++)
		reldir[k++] = (strchr("/ =#:+*?\"'<>|\\", *p) || (unsigned char)*p < 0x20 ||
			       (unsigned char)*p >= 0x7f) ? '_' : *p;
	reldir[k] = '\0';
	snprintf(dir, sizeof(dir), "%s/logs", c->r->o->outdir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (snprintf(dir, sizeof(dir), "%s/%s", c->r->o->outdir, reldir),
	     mkdir(dir, 0755) < 0 && errno != EEXIST)) {
		for (size_t i = 0; i < c->nlogs; i++)
			log_absent(c, &c->logs[i], strerror(errno));
		c->nlogs = 0;
		drop_texts(c);
		return;
	}
	texts_to_files(c, dir, reldir);
	for (size_t i = 0; i < c->nlogs; i++) {
		if (c->logs[i].why[0])
			log_absent(c, &c->logs[i], c->logs[i].why);
		else
			log_end(c, &c->logs[i], dir, reldir, cap);
	}
	c->nlogs = 0;
	/* A cell that kept nothing leaves no directory (ENOTEMPTY otherwise: fine). */
	if (rmdir(dir) == 0) {
		snprintf(dir, sizeof(dir), "%s/logs", c->r->o->outdir);
		rmdir(dir);
	}
}
