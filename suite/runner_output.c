/* runner_output.c — what a run writes: results.json (verdicts and exit status first), the
 * run's identity and host facts, and the output directory it goes into. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "runner_priv.h"
#include "migtorture/units.h"

int rn_write_results(struct rn_runner *r)
{
	struct mt_error err = { 0 };
	int rc;

	r->run->finished_wall_ns = mt_wall_ns();
	mt_run_finish_verdicts(r->plan, r->run);
	/* A run-level infrastructure error (e.g. a results write that failed before) is exit 3;
	 * an interruption is 128 + signal whatever else happened. */
	if (r->first.code) {
		r->run->verdict = MT_VERDICT_ERROR;
		r->run->exit_status = MT_EXIT_INFRA;
	}
	if (r->signo) {
		r->run->interrupted = 1;
		r->run->exit_status = 128 + r->signo;
	}
	rc = mt_result_write_file_mode(r->run, r->results_path, r->results_mode, &err);
	if (rc < 0 && r->first.code == 0) {
		mt_err(&r->first, rc, "writing %s: %s", r->results_path, err.msg);
		if (!r->signo)
			r->run->exit_status = MT_EXIT_INFRA;
	}
	return rc;
}

/* mkdir -p; refuses a non-empty existing directory unless force. */
int rn_prepare_outdir(const char *dir, int force, struct mt_error *err)
{
	char buf[PATH_MAX];
	struct dirent *de;
	int nonempty = 0;
	DIR *d;

	if (!dir || !dir[0])
		return mt_err(err, MT_EINVAL, "no output directory");
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return mt_err(err, MT_EINVAL, "output directory path too long");
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				nonempty = 1;
		closedir(d);
		if (nonempty && !force)
			return mt_err(err, MT_EINVAL, "output directory %s exists and is not empty; "
				      "choose another with -o or pass --force", dir);
		return 0;
	}
	if (errno != ENOENT)
		return mt_err(err, MT_EIO, "output directory %s: %s", dir, strerror(errno));
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return mt_err(err, MT_EIO, "mkdir %s: %s", buf, strerror(errno));
	return 0;
}

int rn_link_latest(const char *dir, char *why, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 16], tmp[PATH_MAX + 32];
	const char *base, *parent;
	struct stat st;
	size_t n;
	char *slash;

	if (snprintf(path, sizeof(path), "%s", dir ? dir : "") >= (int)sizeof(path)) {
		snprintf(why, len, "path too long");
		return -1;
	}
	for (n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	parent = slash ? (slash == path ? "/" : path) : ".";
	if (slash)
		*slash = '\0';
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "latest")) {
		snprintf(why, len, "'%s' has no name to link to", dir);
		return -1;
	}
	snprintf(link, sizeof(link), "%s/latest", parent);
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		snprintf(why, len, "%s exists and is not a symlink", link);
		return -1;
	}
	/* symlink under a temporary name, then rename over: readers never see no link */
	snprintf(tmp, sizeof(tmp), "%s/.latest.%ld", parent, (long)getpid());
	unlink(tmp);
	if (symlink(base, tmp) < 0 || rename(tmp, link) < 0) {
		snprintf(why, len, "%s: %s", link, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The CPU's model name (first "model name" line of /proc/cpuinfo), or "unknown: REASON". */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(buf, len, "unknown: %s", f ? "no model name in /proc/cpuinfo" : strerror(errno));
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = 0;
		snprintf(buf, len, "%s", colon);
		break;
	}
	if (f)
		fclose(f);
}

int rn_fill_facts(struct mt_run_result *run, const struct mt_scenario *s,
		  const struct mt_plan *plan)
{
	char host[256] = "unknown", id[128], stamp[32], cpu[256];
	struct utsname u;
	uint32_t rnd = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	gethostname(host, sizeof(host) - 1);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid() ^ (uint32_t)now;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id, sizeof(id), "%s-%08" PRIx32, stamp, rnd);
	run->schema_version = MT_RESULT_SCHEMA_VERSION;
	if (!run->tool_version && !(run->tool_version = strdup(mt_version())))
		rc = MT_ENOMEM;
	if (!run->run_id && !(run->run_id = strdup(id)))
		rc = MT_ENOMEM;
	if (s && s->path && !run->scenario_path && !(run->scenario_path = strdup(s->path)))
		rc = MT_ENOMEM;
	if (s && !run->scenario_sha256 && !(run->scenario_sha256 = strdup(s->sha256)))
		rc = MT_ENOMEM;
	if (!run->seed)
		run->seed = plan->seed;
	run->started_wall_ns = mt_wall_ns();
	cpu_model(cpu, sizeof(cpu));
	if (mt_run_add_fact(run, "hostname", host) < 0 ||
	    mt_run_add_fact(run, "migtorture_version", mt_version()) < 0 ||
	    mt_run_add_fact(run, "migtorture_revision", mt_revision()) < 0 ||
	    mt_run_add_fact(run, "cpu", cpu) < 0)
		rc = MT_ENOMEM;
	if (uname(&u) == 0 &&
	    (mt_run_add_fact(run, "kernel", u.release) < 0 ||
	     mt_run_add_fact(run, "kernel_version", u.version) < 0 ||
	     mt_run_add_fact(run, "machine", u.machine) < 0))
		rc = MT_ENOMEM;
	return rc;
}
