/* stress_ng.c — host stress with stress-ng: `host-cpu`, `host-vm`, `host-memrate`.
 *
 * stress-ng runs on the instance's host (the runner has entered its namespace before start),
 * as the leader of its own process group, journalled before it execs, PR_SET_PDEATHSIG as a
 * backstop (proc_spawn.h says why not posix_spawn). Stop sends SIGINT to the leader — stress-ng
 * then stops its workers and writes `--yaml` — and SIGKILLs what is left of the group after 5 s.
 * The runner's teardown and `recover` kill the group through the journal's "process" entry.
 *
 * Metrics (from `--yaml --metrics`, parsed by stress_yaml.c), under stress.host.<stressor>.:
 *   bogo_ops, bogo_ops_s_real, bogo_ops_s_usr_sys, wall_clock_s, user_s, system_s,
 *   cpu_usage_per_instance_pct, max_rss_kib; memrate: <method>_bytes_s per write method,
 *   achieved_write_bytes_s (mean over write methods) and achieved_ratio (achieved / rate=).
 * stress-ng reports totals at its end only, so per phase the workload measures what it can
 * itself: the CPU time of the stress-ng group, sampled every second from /proc while the loop
 * runs → stress.host.<stressor>.<baseline|during|after>.cpu_cores (CPU-seconds per second) and
 * the series stress.host.<stressor>.cpu_cores; also .spawn_ms and .run_s. Two instances of the
 * same kind in one cell (e.g. host-cpu on two hosts) write the same names: the last wins.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_rate.h"
#include "migtorture/plugin.h"
#include "migtorture/qos.h"
#include "proc_spawn.h"
#include "stress_yaml.h"

/* The end of its log a cell keeps (stress-ng's log of a normal run is a few hundred bytes). */
#define SNG_LOG_KEEP (16 * 1024)
#include "migtorture/units.h"

#define SNG_STOP_GRACE_NS (5LL * 1000000000)
#define SNG_SAMPLE_NS 1000000000LL
#define SNG_MAX_SAMPLES 86400
#define SNG_MISSING "stress-ng not installed (Debian package stress-ng)"

enum sng_kind { SNG_CPU, SNG_VM, SNG_MEMRATE };

struct sng {
	enum sng_kind kind;
	char dir[256];        /* private temp dir: report, log, stress-ng's temp path */
	uint64_t dir_jid;     /* its journal entry ("tmpdir"), 0 when none */
	char yaml[300], log[300];
	struct mt_spawned sp;
	struct mt_journal *journal;
	int64_t t0_ns;
	double rate_Bps;      /* memrate: the set write rate */
	int early_exit;       /* the leader had ended before stop: status in sp */
	int64_t start_ns, stop_ns;
	/* the group's CPU time, sampled: t (since t0) → cumulative CPU seconds */
	struct mt_loop *loop;
	uint64_t timer;
	int64_t *cpu_t;
	double *cpu_s;
	size_t ncpu;
};

static const struct mt_option cpu_options[] = {
	{ "workers", MT_OPT_INT, "1", "stress-ng --cpu workers (0 = one per online CPU)", NULL, 0,
	  4096, 0 },
	{ "load", MT_OPT_PERCENT, "100%", "load per worker (--cpu-load)", NULL, 0, 100, 0 },
	{ "method", MT_OPT_STR, "all", "--cpu-method", NULL, 0, 0, 0 },
	MT_OPTION_END
};

static const struct mt_option vm_options[] = {
	{ "workers", MT_OPT_INT, "1", "stress-ng --vm workers", NULL, 1, 4096, 0 },
	{ "bytes", MT_OPT_SIZE, "256M", "memory per worker (--vm-bytes)", NULL, 4096, 0, 0 },
	{ "method", MT_OPT_STR, "write64", "--vm-method (write64 dirties ~6 GB/s uncapped)", NULL,
	  0, 0, 0 },
	{ "keep", MT_OPT_BOOL, "yes", "keep the mapping and re-dirty it (--vm-keep)", NULL, 0, 0,
	  0 },
	MT_OPTION_END
};

static const struct mt_option memrate_options[] = {
	{ "rate", MT_OPT_BYTERATE, NULL, "write rate per worker (--memrate-wr-mbs, MiB/s)", NULL,
	  1048576, 0, MT_OPTF_REQUIRED },
	{ "workers", MT_OPT_INT, "1", "stress-ng --memrate workers", NULL, 1, 4096, 0 },
	{ "bytes", MT_OPT_SIZE, "64M", "buffer per worker (--memrate-bytes)", NULL, 4096, 0, 0 },
	MT_OPTION_END
};

/* The stress-ng stressor of the kind: also the metric prefix stress.host.<stressor>. */
static const char *stressor(enum sng_kind k)
{
	return k == SNG_CPU ? "cpu" : k == SNG_VM ? "vm" : "memrate";
}

static int sng_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			 size_t whylen)
{
	char path[4096];

	(void)p;
	(void)ctx;
	if (mt_spawn_which("stress-ng", path, sizeof(path)) < 0) {
		/* Not a skip: the scenario asked for host stress and this host cannot give it. */
		snprintf(why, whylen, SNG_MISSING);
		return MT_ENOTFOUND;
	}
	return 0;
}

/* argv for the kind; numbers are printed into nums (the caller's storage). */
static void build_argv(enum sng_kind kind, const struct mt_params *p, const struct sng *s,
		       const char *argv[32], char nums[6][32])
{
	int n = 0;

	argv[n++] = "stress-ng";
	switch (kind) {
	case SNG_CPU:
		snprintf(nums[0], 32, "%" PRId64, mt_param_i64(p, "workers"));
		snprintf(nums[1], 32, "%.0f", mt_param_dbl(p, "load"));
		argv[n++] = "--cpu";
		argv[n++] = nums[0];
		argv[n++] = "--cpu-load";
		argv[n++] = nums[1];
		argv[n++] = "--cpu-method";
		argv[n++] = mt_param_str(p, "method");
		break;
	case SNG_VM:
		snprintf(nums[0], 32, "%" PRId64, mt_param_i64(p, "workers"));
		snprintf(nums[1], 32, "%" PRIu64, mt_param_u64(p, "bytes"));
		argv[n++] = "--vm";
		argv[n++] = nums[0];
		argv[n++] = "--vm-bytes";
		argv[n++] = nums[1];
		argv[n++] = "--vm-method";
		argv[n++] = mt_param_str(p, "method");
		if (mt_param_i64(p, "keep"))
			argv[n++] = "--vm-keep";
		break;
	case SNG_MEMRATE:
		snprintf(nums[0], 32, "%" PRId64, mt_param_i64(p, "workers"));
		snprintf(nums[1], 32, "%" PRIu64, mt_param_u64(p, "bytes"));
		/* stress-ng's MB is 2^20 bytes, like ours (units.h) */
		snprintf(nums[2], 32, "%.0f", s->rate_Bps / 1048576.0);
		argv[n++] = "--memrate";
		argv[n++] = nums[0];
		argv[n++] = "--memrate-bytes";
		argv[n++] = nums[1];
		argv[n++] = "--memrate-wr-mbs";
		argv[n++] = nums[2];
		/* Reads would only burn CPU: keep them at 1 MiB/s. */
		argv[n++] = "--memrate-rd-mbs";
		argv[n++] = "1";
		break;
	}
	argv[n++] = "--timeout";
	argv[n++] = "0"; /* until stopped */
	argv[n++] = "--yaml";
	argv[n++] = s->yaml;
	argv[n++] = "--metrics";
	argv[n++] = "--temp-path";
	argv[n++] = s->dir;
	argv[n] = NULL;
}

static void sample_cpu(struct sng *s, int64_t now_abs)
{
	double v;

	if (!s->sp.pid || s->ncpu >= SNG_MAX_SAMPLES)
		return;
	v = mt_spawn_group_cpu_s(s->sp.pid);
	if (v < 0 || (s->ncpu && v < s->cpu_s[s->ncpu - 1]))
		return; /* group gone, or a worker's time left with it: skip the sample */
	s->cpu_t[s->ncpu] = now_abs - s->t0_ns;
	s->cpu_s[s->ncpu] = v;
	s->ncpu++;
}

static int on_sample(struct mt_loop *loop, int64_t now_ns, void *arg)
{
	(void)loop;
	sample_cpu(arg, now_ns);
	return 0;
}

static void sng_release(void *state)
{
	struct sng *s = state;

	if (!s)
		return;
	if (s->timer)
		mt_loop_del_timer(s->loop, s->timer);
	free(s->cpu_t);
	free(s->cpu_s);
	if (s->sp.pid) {
		struct mt_error err = { 0 };

		(void)mt_spawn_stop(&s->sp, SIGKILL, 0, s->journal, s->t0_ns, &err);
	}
	if (s->dir[0]) {
		/* stress-ng removes its own temp dirs when it ends normally; remove what we made.
		 * The runner's teardown may have removed the whole tree through the journal
		 * already (ENOENT): then the entry is closed too. */
		unlink(s->yaml);
		unlink(s->log);
		if (rmdir(s->dir) == 0 && s->dir_jid && s->journal) {
			struct mt_error err = { 0 };

			(void)mt_journal_end(s->journal, s->dir_jid,
					     s->t0_ns ? mt_now_ns() - s->t0_ns : 0, 0, &err);
		}
	}
	free(s);
}

static int sng_start(enum sng_kind kind, const struct mt_params *p, struct mt_ctx *ctx,
		     void **state, struct mt_error *err)
{
	struct sng *s = calloc(1, sizeof(*s));
	const char *argv[32];
	char nums[6][32];
	const char *tmp = getenv("TMPDIR");
	int fd = -1, rc;

	*state = NULL;
	if (!s)
		return mt_err(err, MT_ENOMEM, "out of memory");
	s->kind = kind;
	s->journal = ctx->journal;
	s->t0_ns = ctx->t0_ns;
	s->rate_Bps = kind == SNG_MEMRATE ? (double)mt_param_u64(p, "rate") : 0;
	snprintf(s->dir, sizeof(s->dir), "%s/mt-stress-ng-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		rc = mt_err(err, MT_EINFRA, "stress-ng: mkdtemp %s: %s", s->dir, strerror(errno));
		s->dir[0] = '\0';
		goto out;
	}
	/* Journalled before stress-ng runs: a SIGKILLed runner's dir is removed by recover
	 * (the journal wants the absolute path). */
	if (s->dir[0] != '/') {
		char *abs = realpath(s->dir, NULL);

		if (!abs || strlen(abs) >= sizeof(s->dir)) {
			rc = mt_err(err, MT_EINFRA, "stress-ng: temp dir %s: %s", s->dir,
				    abs ? "path too long" : strerror(errno));
			rmdir(s->dir);
			s->dir[0] = '\0';
			free(abs);
			goto out;
		}
		snprintf(s->dir, sizeof(s->dir), "%s", abs);
		free(abs);
	}
	if (ctx->journal) {
		rc = mt_journal_tmpdir(ctx->journal, ctx->host, s->dir, &s->dir_jid, err);
		if (rc < 0) {
			rmdir(s->dir);
			s->dir[0] = '\0';
			goto out;
		}
	}
	snprintf(s->yaml, sizeof(s->yaml), "%s/report.yaml", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/stress-ng.log", s->dir);
	fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = mt_err(err, MT_EINFRA, "stress-ng: %s: %s", s->log, strerror(errno));
		goto out;
	}
	build_argv(kind, p, s, argv, nums);
	rc = mt_spawn_group(argv, fd, ctx->journal, ctx->host, "stress-ng", 0, &s->sp, err);
	if (rc == MT_ENOTFOUND)
		rc = mt_err(err, MT_ENOTFOUND, SNG_MISSING);
	if (rc < 0)
		goto out;
	s->start_ns = mt_now_ns() - ctx->t0_ns;
	/* Per-phase CPU needs the loop (absent in plain unit tests: then totals only). */
	s->cpu_t = calloc(SNG_MAX_SAMPLES, sizeof(*s->cpu_t));
	s->cpu_s = calloc(SNG_MAX_SAMPLES, sizeof(*s->cpu_s));
	if (!s->cpu_t || !s->cpu_s) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (ctx->loop) {
		s->loop = ctx->loop;
		rc = mt_loop_add_timer(ctx->loop, mt_now_ns() + SNG_SAMPLE_NS, SNG_SAMPLE_NS,
				       on_sample, s, &s->timer, err);
		if (rc < 0)
			goto out;
	}
	sample_cpu(s, mt_now_ns());
	if (ctx->verbose > 0)
		fprintf(stderr, "stress-ng: pid %d started in %.1f ms (log %s)\n", s->sp.pid,
			s->sp.spawn_ns / 1e6, s->log);
	*state = s;
	s = NULL;
out:
	if (fd >= 0)
		close(fd);
	sng_release(s);
	return rc;
}

static int cpu_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err)
{
	return sng_start(SNG_CPU, p, ctx, state, err);
}

static int vm_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		    struct mt_error *err)
{
	return sng_start(SNG_VM, p, ctx, state, err);
}

static int memrate_start(const struct mt_params *p, struct mt_ctx *ctx, void **state,
			 struct mt_error *err)
{
	return sng_start(SNG_MEMRATE, p, ctx, state, err);
}

/* The last max bytes of the log, malloc'd and NUL-terminated (NULL when empty or unreadable).
 * As written: the runner makes it safe when it stores it. */
static char *read_tail(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		size_t want = (size_t)st.st_size < max ? (size_t)st.st_size : max;

		buf = malloc(want + 1);
		n = buf ? pread(fd, buf, want, st.st_size - (off_t)want) : -1;
		if (n <= 0) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	close(fd);
	return buf;
}

/* The last line of the log (stress-ng's reason when it ended early). */
static void log_tail(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n') {
			size_t n = strnlen(line, len - 1); /* keep its start: the reason */

			memcpy(buf, line, n);
			buf[n] = '\0';
		}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static int sng_stop(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct sng *s = state;
	int rc;

	/* Ended by itself before we asked? (a bad --vm-method, out of memory, ...) */
	if (s->sp.pid) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)s->sp.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == s->sp.pid)
			s->early_exit = 1;
	}
	if (s->timer)
		mt_loop_del_timer(s->loop, s->timer);
	s->timer = 0;
	sample_cpu(s, mt_now_ns());
	s->stop_ns = mt_now_ns() - ctx->t0_ns;
	rc = mt_spawn_stop(&s->sp, SIGINT, SNG_STOP_GRACE_NS, ctx->journal, ctx->t0_ns, err);
	if (rc == 0 && s->early_exit &&
	    !(WIFEXITED(s->sp.status) && WEXITSTATUS(s->sp.status) == 0)) {
		char tail[300];

		log_tail(s->log, tail, sizeof(tail));
		rc = mt_err(err, MT_EINFRA, "stress-ng ended before stop (%s %d): %s",
			    WIFEXITED(s->sp.status) ? "exit" : "signal",
			    WIFEXITED(s->sp.status) ? WEXITSTATUS(s->sp.status)
						    : WTERMSIG(s->sp.status),
			    tail[0] ? tail : "no message");
	}
	return rc;
}

/* Writes every numeric metric of the report under stress.host.<stressor>. */
static int put_report(struct sng *s, const struct mt_sng_report *r, struct mt_cell_result *c)
{
	double wsum = 0;
	unsigned wn = 0;
	char path[256], name[128];

	for (size_t i = 0; i < r->n; i++) {
		double scale;

		mt_sng_metric_name(r->m[i].key, name, sizeof(name), &scale);
		snprintf(path, sizeof(path), "stress.host.%s.%s", r->m[i].stressor, name);
		if (mt_cell_set_num(c, path, r->m[i].value * scale) < 0)
			return MT_ENOMEM;
		if (s->kind == SNG_MEMRATE && strncmp(r->m[i].key, "write", 5) == 0 &&
		    scale != 1) {
			wsum += r->m[i].value * scale;
			wn++;
		}
	}
	if (s->kind == SNG_MEMRATE) {
		if (wn == 0)
			return mt_cell_set_absent(c, "stress.host.memrate.achieved_write_bytes_s",
						  "stress-ng reported no write rate");
		if (mt_cell_set_num(c, "stress.host.memrate.achieved_write_bytes_s", wsum / wn) <
			    0 ||
		    mt_cell_set_num(c, "stress.host.memrate.achieved_ratio",
				    s->rate_Bps > 0 ? wsum / wn / s->rate_Bps : 0) < 0)
			return MT_ENOMEM;
	}
	return 0;
}

/* stress.host.<phase>.cpu_cores and the per-second series from the CPU samples. */
static int put_cpu(struct sng *s, struct mt_ctx *ctx)
{
	struct mt_dirty_hist h = { s->cpu_t, s->cpu_s, s->ncpu };
	struct mt_cell_result *c = ctx->result;
	struct mt_series *ser;
	char path[96];
	double v;
	int rc;

	for (int ph = 0; ph < MT_QOS_NPHASES; ph++) {
		int64_t a, b;
		int reached = mt_qos_phase_bounds(ctx->phases, ph, &a, &b) == 0;

		snprintf(path, sizeof(path), "stress.host.%s.%s.cpu_cores", stressor(s->kind),
			 mt_qos_phase_name(ph));
		if (reached && mt_dirty_rate(&h, a, b, 500000000LL, &v) == 0)
			rc = mt_cell_set_num(c, path, v);
		else
			rc = mt_cell_set_absent(c, path, reached ? "stress-ng not sampled then"
							     : "phase not reached");
		if (rc < 0)
			return rc;
	}
	snprintf(path, sizeof(path), "stress.host.%s.cpu_cores", stressor(s->kind));
	ser = mt_cell_series(c, path, "cores");
	if (!ser)
		return MT_ENOMEM;
	for (size_t i = 1; i < s->ncpu; i++)
		if ((rc = mt_series_add(ser, s->cpu_t[i], (s->cpu_s[i] - s->cpu_s[i - 1]) /
							    ((s->cpu_t[i] - s->cpu_t[i - 1]) / 1e9))) < 0)
			return rc;
	return 0;
}

static int sng_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct sng *s = state;
	struct mt_cell_result *c = ctx->result;
	struct mt_sng_report r = { 0 };
	char lerrbuf[400], p1[64], p2[64], *text = NULL;
	int rc;

	snprintf(p1, sizeof(p1), "stress.host.%s.spawn_ms", stressor(s->kind));
	snprintf(p2, sizeof(p2), "stress.host.%s.run_s", stressor(s->kind));
	if (mt_cell_set_num(c, p1, s->sp.spawn_ns / 1e6) < 0 ||
	    mt_cell_set_num(c, p2, (s->stop_ns - s->start_ns) / 1e9) < 0) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (ctx->phases && (rc = put_cpu(s, ctx)) < 0) {
		rc = mt_err(err, rc, "out of memory");
		goto out;
	}
	/* Its log goes to the cell's logs (the runner moves a *.log_text into a file there). */
	if ((text = read_tail(s->log, SNG_LOG_KEEP))) {
		snprintf(p1, sizeof(p1), "stress.host.%s.log_text", stressor(s->kind));
		rc = mt_cell_set_str(c, p1, text);
		free(text);
		if (rc < 0) {
			rc = mt_err(err, MT_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = mt_sng_yaml_read(s->yaml, &r, &(struct mt_error){ 0 });
	if (rc < 0 || r.nstressors == 0) {
		snprintf(lerrbuf, sizeof(lerrbuf), "stress-ng wrote no metrics to %s", s->yaml);
		snprintf(p1, sizeof(p1), "stress.host.%s.report", stressor(s->kind));
		rc = mt_cell_set_absent(c, p1, lerrbuf);
		if (rc < 0)
			rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = put_report(s, &r, c);
	if (rc < 0)
		rc = mt_err(err, rc, "out of memory");
out:
	mt_sng_report_free(&r);
	return rc;
}

const struct mt_workload_ops mt_workload_host_cpu = {
	.base.name = "host-cpu",
	.base.summary = "stress-ng --cpu on a host: workers at a load %; bogo ops/s into the results",
	.base.options = cpu_options,
	.base.supported = sng_supported,
	.start = cpu_start,
	.stop = sng_stop,
	.collect = sng_collect,
	.release = sng_release,
};

const struct mt_workload_ops mt_workload_host_vm = {
	.base.name = "host-vm",
	.base.summary = "stress-ng --vm on a host: workers dirtying `bytes` each with a vm method",
	.base.options = vm_options,
	.base.supported = sng_supported,
	.start = vm_start,
	.stop = sng_stop,
	.collect = sng_collect,
	.release = sng_release,
};

const struct mt_workload_ops mt_workload_host_memrate = {
	.base.name = "host-memrate",
	.base.summary = "stress-ng --memrate on a host: memory writes capped at `rate` per worker",
	.base.options = memrate_options,
	.base.supported = sng_supported,
	.start = memrate_start,
	.stop = sng_stop,
	.collect = sng_collect,
	.release = sng_release,
};
