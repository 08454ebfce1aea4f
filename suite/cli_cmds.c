/* cli_cmds.c — what each subcommand does, over the public API. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cli_cmds.h"
#include "migtorture/error.h"
#include "migtorture/report.h"
#include "migtorture/result.h"
#include "migtorture/runner.h"
#include "migtorture/scenario.h"
#include "migtorture/threshold.h"
#include "migtorture/units.h"

/* Prints err once, as "migtorture: message", and maps it to an exit status. */
static int fail(const struct mt_error *err)
{
	fprintf(stderr, "migtorture: %s\n", err->msg[0] ? err->msg : mt_err_name(err->code));
	return mt_err_exit_status(err->code);
}

/* Parses the plan options shared by plan and run. Returns 0 or MT_EXIT_USAGE. */
static int plan_opts_from(const struct mt_cli_args *a, struct mt_plan_opts *po, int *seed_given)
{
	const char *v;
	char why[128];
	long long n;

	memset(po, 0, sizeof(*po));
	po->seed = 1;
	*seed_given = 0;
	if ((v = mt_cli_get(a, "seed"))) {
		char *end;

		errno = 0;
		po->seed = strtoull(v, &end, 0);
		if (errno || end == v || *end || v[0] == '-') {
			fprintf(stderr, "migtorture: --seed: expected an unsigned integer, got '%s'\n",
				v);
			return MT_EXIT_USAGE;
		}
		*seed_given = 1;
	}
	if ((v = mt_cli_get(a, "repeat"))) {
		if (mt_parse_int(v, 1, 1000000, &n, why, sizeof(why))) {
			fprintf(stderr, "migtorture: --repeat: %s\n", why);
			return MT_EXIT_USAGE;
		}
		po->repeat = (int)n;
	}
	if ((v = mt_cli_get(a, "shard"))) {
		unsigned i, total;
		char tail;

		if (sscanf(v, "%u/%u%c", &i, &total, &tail) != 2 || total == 0 || i == 0 ||
		    i > total || total > 100000) {
			fprintf(stderr, "migtorture: --shard: expected I/N with 1 <= I <= N, got '%s'\n",
				v);
			return MT_EXIT_USAGE;
		}
		po->shard_index = (int)i;
		po->shard_count = (int)total;
	}
	po->only = mt_cli_get(a, "only");
	return 0;
}

/* Loads the scenario named by the single operand and builds its plan. */
static int load_and_plan(const struct mt_cli_cmd *c, const struct mt_cli_args *a,
			 struct mt_scenario **s, struct mt_plan **p, struct mt_error *err)
{
	struct mt_plan_opts po;
	int seed_given, rc;

	if (a->argc != 1) {
		fprintf(stderr, "migtorture %s: expected one scenario FILE\nTry 'migtorture %s "
				"--help'.\n", c->name, c->name);
		return MT_EXIT_USAGE;
	}
	rc = plan_opts_from(a, &po, &seed_given);
	if (rc)
		return rc;
	if (mt_scenario_load(a->argv[0], s, err))
		return fail(err);
	if (!seed_given)
		po.seed = mt_scenario_seed(*s, po.seed);
	if (mt_plan_build(*s, &po, p, err)) {
		rc = fail(err);
		mt_scenario_free(*s);
		*s = NULL;
		return rc;
	}
	return 0;
}

/* validate --json: the outcome on standard output, the error as data (its line when the
 * message has the "FILE:LINE: " form scenario errors use). Returns the exit status. */
static int validate_json(const char *file)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	struct mt_plan_opts po;
	cJSON *o = cJSON_CreateObject();
	size_t flen = strlen(file);
	char *text = NULL;
	int rc = 0, ok;

	memset(&po, 0, sizeof(po));
	if (mt_scenario_load(file, &s, &err) == 0) {
		po.seed = mt_scenario_seed(s, 1);
		mt_plan_build(s, &po, &p, &err);
	}
	rc = err.code ? mt_err_exit_status(err.code) : 0;
	ok = o && cJSON_AddStringToObject(o, "file", file) &&
	     cJSON_AddBoolToObject(o, "valid", !err.code);
	if (ok && !err.code) {
		ok = cJSON_AddNumberToObject(o, "cells", (double)p->ncells) != NULL;
	} else if (ok) {
		const char *m = err.msg;
		long line = 0;

		if (strncmp(m, file, flen) == 0 && m[flen] == ':')
			line = strtol(m + flen + 1, NULL, 10);
		ok = cJSON_AddStringToObject(o, "error", m[0] ? m : mt_err_name(err.code)) &&
		     (line > 0 ? cJSON_AddNumberToObject(o, "line", (double)line)
			       : cJSON_AddNullToObject(o, "line"));
	}
	ok = ok && cJSON_AddNumberToObject(o, "exit_status", rc) && (text = cJSON_Print(o));
	if (ok) {
		printf("%s\n", text);
	} else {
		fprintf(stderr, "migtorture: out of memory\n");
		rc = MT_EXIT_INFRA;
	}
	free(text);
	cJSON_Delete(o);
	mt_plan_free(p);
	mt_scenario_free(s);
	return rc;
}

int mt_cmd_validate(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	if (mt_cli_get(&a, "json") && a.argc == 1)
		return validate_json(a.argv[0]);
	rc = load_and_plan(c, &a, &s, &p, &err);
	if (rc)
		return rc;
	printf("%s: valid, %zu cells\n", a.argv[0], p->ncells);
	mt_plan_free(p);
	mt_scenario_free(s);
	return 0;
}

int mt_cmd_plan(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	rc = load_and_plan(c, &a, &s, &p, &err);
	if (rc)
		return rc;
	if (mt_cli_get(&a, "json")) {
		char *js = mt_plan_to_json(p, 1);

		if (!js) {
			rc = MT_EXIT_INFRA;
			fprintf(stderr, "migtorture: out of memory\n");
		} else {
			printf("%s\n", js);
			free(js);
		}
	} else {
		mt_plan_print(p, stdout);
	}
	mt_plan_free(p);
	mt_scenario_free(s);
	return rc;
}

int mt_cmd_run(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	struct mt_run_opts ro;
	struct mt_run_result run;
	const char *v;
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	rc = load_and_plan(c, &a, &s, &p, &err);
	if (rc)
		return rc;
	memset(&ro, 0, sizeof(ro));
	memset(&run, 0, sizeof(run));
	ro.outdir = mt_cli_get(&a, "output");
	if (!ro.outdir)
		ro.outdir = "migtorture-results";
	ro.journal_path = mt_cli_get(&a, "journal");
	ro.dry_run = mt_cli_get(&a, "dry-run") != NULL;
	ro.force = mt_cli_get(&a, "force") != NULL;
	ro.allow_host_faults = mt_cli_get(&a, "allow-host-faults") != NULL;
	ro.verbose = mt_cli_get(&a, "quiet") ? -1 : mt_cli_count(&a, "verbose");
	if ((v = mt_cli_get(&a, "realtime"))) {
		char why[128];
		long long n;

		if (mt_parse_int(v, 1, 99, &n, why, sizeof(why))) {
			fprintf(stderr, "migtorture: --realtime: %s\n", why);
			rc = MT_EXIT_USAGE;
			goto out;
		}
		ro.realtime_prio = (int)n;
	}
	rc = mt_run_plan(s, p, &ro, &run, &err);
	if (err.code && err.msg[0])
		fprintf(stderr, "migtorture: %s\n", err.msg);
	if (!ro.dry_run) {
		/* what the command exits with, also when the run stopped before its first cell */
		run.exit_status = rc;
		if (ro.verbose < 0)
			mt_report_verdict(&run, stdout, NULL);
		else
			mt_report_summary(&run, stdout, NULL);
	}
out:
	mt_run_result_free(&run);
	mt_plan_free(p);
	mt_scenario_free(s);
	return rc;
}

/* Reads every results file of a trend directory: DIR/NAME.json and DIR/NAME/results.json.
 * Files that are not results (other JSON) are passed over with a note; none is an error. */
static int read_trend_dir(const char *dir, struct mt_run_result **runs, size_t *n,
			  struct mt_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;

	*runs = NULL;
	*n = 0;
	if (!d)
		return mt_err(err, MT_EINVAL, "--trend %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct mt_error rerr = { 0 };
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		else if ((size_t)snprintf(path, sizeof(path), "%s/%s/results.json", dir,
					  e->d_name) >= sizeof(path) || access(path, R_OK))
			continue;
		if (*n == cap) {
			struct mt_run_result *g = realloc(*runs, (cap ? cap * 2 : 16) * sizeof(*g));

			if (!g) {
				rc = mt_err(err, MT_ENOMEM, "out of memory");
				break;
			}
			*runs = g;
			cap = cap ? cap * 2 : 16;
		}
		memset(&(*runs)[*n], 0, sizeof(**runs));
		if (mt_result_read_file(path, &(*runs)[*n], &rerr)) {
			fprintf(stderr, "migtorture report: --trend: passing over %s\n", rerr.msg);
			mt_run_result_free(&(*runs)[*n]);
			continue;
		}
		(*n)++;
	}
	closedir(d);
	if (!rc && *n == 0)
		rc = mt_err(err, MT_EINVAL, "--trend %s: no results files there", dir);
	return rc;
}

static int trend(const char *dir, const char *out)
{
	struct mt_run_result *runs = NULL;
	struct mt_error err = { 0 };
	size_t n = 0;
	int rc = read_trend_dir(dir, &runs, &n, &err);
	FILE *f = stdout;
	char *tmp = NULL;

	if (rc)
		goto out;
	if (out && strcmp(out, "-")) {
		if (asprintf(&tmp, "%s.tmp", out) < 0 || !(f = fopen(tmp, "we"))) {
			rc = mt_err(&err, MT_EIO, "%s: %s", out, strerror(errno));
			f = NULL;
			goto out;
		}
	}
	rc = mt_report_trend(runs, n, f, &err);
	if (f != stdout) {
		if (fclose(f) && !rc)
			rc = mt_err(&err, MT_EIO, "%s: %s", tmp, strerror(errno));
		if (!rc && rename(tmp, out))
			rc = mt_err(&err, MT_EIO, "%s: %s", out, strerror(errno));
		if (rc)
			unlink(tmp);
	}
out:
	for (size_t i = 0; i < n; i++)
		mt_run_result_free(&runs[i]);
	free(runs);
	free(tmp);
	return rc ? fail(&err) : 0;
}

int mt_cmd_report(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	struct mt_run_result run, more;
	const char *fmt;
	struct stat st;
	mode_t mode = 0644;
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	if (mt_cli_get(&a, "trend")) {
		if (a.argc) {
			fprintf(stderr, "migtorture report: --trend takes a directory, no files\n");
			return MT_EXIT_USAGE;
		}
		return trend(mt_cli_get(&a, "trend"), mt_cli_get(&a, "output"));
	}
	if (a.argc < 1) {
		fprintf(stderr, "migtorture report: expected RESULTS.json (several: shards joined)\n");
		return MT_EXIT_USAGE;
	}
	fmt = mt_cli_get(&a, "format");
	if (!fmt)
		fmt = "json";
	if (!mt_report_find(fmt)) {
		fprintf(stderr, "migtorture report: --format: expected one of %s, got '%s'\n",
			mt_report_formats(), fmt);
		return MT_EXIT_USAGE;
	}
	memset(&run, 0, sizeof(run));
	if (mt_result_read_file(a.argv[0], &run, &err)) {
		rc = fail(&err);
		goto out;
	}
	/* Shards of one matrix (run --shard I/N on several CI runners) join into one run whose
	 * verdict is that of all their cells together. */
	for (int i = 1; i < a.argc; i++) {
		memset(&more, 0, sizeof(more));
		if (mt_result_read_file(a.argv[i], &more, &err) == 0 && mt_run_merge(&run, &more))
			mt_err(&err, MT_ENOMEM, "out of memory joining %s", a.argv[i]);
		mt_run_result_free(&more);
		if (err.code) {
			rc = fail(&err);
			goto out;
		}
	}
	if (a.argc > 1) {
		mt_run_update_verdict(&run);
		free(run.shard);
		run.shard = NULL;
	}
	/* A report of results kept from other users (they name credential files) is kept from
	 * them too. */
	for (int i = 0; i < a.argc; i++)
		if (stat(a.argv[i], &st) == 0 && !(st.st_mode & 0044))
			mode = 0600;
	if (mt_report_render_mode(fmt, &run, mt_cli_get(&a, "output"), mode, &err))
		rc = fail(&err);
out:
	mt_run_result_free(&run);
	return rc;
}

int mt_cmd_compare(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	struct mt_run_result base, cur;
	double tolerance = 10;
	size_t regressions = 0;
	const char *v;
	char why[128];
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	if (a.argc != 2) {
		fprintf(stderr, "migtorture compare: expected BASE.json NEW.json\n");
		return MT_EXIT_USAGE;
	}
	if ((v = mt_cli_get(&a, "tolerance")) &&
	    mt_parse_percent(v, &tolerance, why, sizeof(why))) {
		fprintf(stderr, "migtorture compare: --tolerance: %s\n", why);
		return MT_EXIT_USAGE;
	}
	memset(&base, 0, sizeof(base));
	memset(&cur, 0, sizeof(cur));
	if (mt_result_read_file(a.argv[0], &base, &err) ||
	    mt_result_read_file(a.argv[1], &cur, &err)) {
		rc = fail(&err);
		goto out;
	}
	if ((mt_cli_get(&a, "json") ? mt_report_compare_json : mt_report_compare)(
		    &base, &cur, tolerance, stdout, &regressions, &err))
		rc = fail(&err);
	else
		rc = regressions ? MT_EXIT_FAIL : MT_EXIT_PASS;
out:
	mt_run_result_free(&base);
	mt_run_result_free(&cur);
	return rc;
}

int mt_cmd_recover(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	const char *j;
	int rc = mt_cli_parse(c, argc, argv, &a);

	if (rc || a.help)
		return rc;
	if (a.argc != 0) {
		fprintf(stderr, "migtorture recover: takes no operands\n");
		return MT_EXIT_USAGE;
	}
	j = mt_cli_get(&a, "journal");
	if (!j)
		j = mt_default_journal_path();
	if (mt_recover(j, stdout, &err))
		return fail(&err);
	return 0;
}

/* The far side of an ssh host: JSON lines on stdin/stdout (docs/remote-hosts.md). stdout is
 * kept for the protocol alone: fd 1 becomes a copy of stderr, so nothing else can write to it. */
int mt_cmd_agent(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	struct mt_error err = { 0 };
	int rc = mt_cli_parse(c, argc, argv, &a), out;

	if (rc || a.help)
		return rc;
	if (a.argc != 0) {
		fprintf(stderr, "migtorture agent: takes no operands\n");
		return MT_EXIT_USAGE;
	}
	fflush(stdout);
	out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	if (out < 0 || dup2(2, 1) < 0) {
		fprintf(stderr, "migtorture agent: %s\n", strerror(errno));
		return MT_EXIT_INFRA;
	}
	rc = mt_agent_run(0, out, mt_cli_get(&a, "journal"), mt_cli_get(&a, "config"), &err);
	close(out);
	if (rc < 0)
		return fail(&err);
	return 0;
}

/* Where `lab` finds its parts: $MT_LAB_DIR, $MT_GUEST_BIN and $MT_UML_PRELOAD when set (a build
 * tree, the tests),
 * else the install paths. Never the tree the binary was built in: an installed binary must not
 * depend on it. Returns the override or the default. */
static const char *lab_path(const char *env, const char *installed)
{
	const char *v = getenv(env);

	return v && v[0] ? v : installed;
}

int mt_cmd_lab(const struct mt_cli_cmd *c, int argc, char **argv)
{
	const char *dir = lab_path("MT_LAB_DIR", MT_DATA_DIR "/lab");
	const char *helper = lab_path("MT_GUEST_BIN", MT_LIBEXEC_DIR "/mt-guest");
	const char *uml = lab_path("MT_UML_PRELOAD", MT_LIBEXEC_DIR "/uml-xstate.so");
	char path[PATH_MAX];
	char **args;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		mt_cli_cmd_usage(c, argc < 2 ? stderr : stdout);
		return argc < 2 ? MT_EXIT_USAGE : 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/mt-lab", dir) >= sizeof(path) ||
	    access(path, X_OK) != 0) {
		fprintf(stderr, "migtorture lab: no lab script %s/mt-lab (the migtorture-lab "
				"package; a source tree's lab/ through MT_LAB_DIR)\n", dir);
		return MT_EXIT_INFRA;
	}
	/* The lab bakes the in-guest helper into its guest; a guest without it cannot run the
	 * guest workloads, so `up` refuses rather than build one. */
	if (access(helper, X_OK) == 0) {
		setenv("MT_GUEST_BIN", helper, 1);
	} else if (!strcmp(argv[1], "up")) {
		fprintf(stderr, "migtorture lab up: no in-guest helper %s (the migtorture-guest "
				"package; a build tree's workloads/guest/mt-guest through "
				"MT_GUEST_BIN)\n", helper);
		return MT_EXIT_INFRA;
	}
	/* The router's UML needs its preload on hosts with a large XSAVE area (lab/router/
	 * uml-xstate.c); mt-lab says so when it has none. */
	if (access(uml, R_OK) == 0)
		setenv("MT_UML_PRELOAD", uml, 1);
	/* argv is ours to reuse: "lab up --json" → "<path> up --json"; no shell involved. */
	args = argv;
	args[0] = path;
	execv(path, args);
	fprintf(stderr, "migtorture lab: cannot run %s: %s\n", path, strerror(errno));
	return MT_EXIT_INFRA;
}

int mt_cmd_reference(const struct mt_cli_cmd *c, int argc, char **argv)
{
	struct mt_cli_args a;
	int rc = mt_cli_parse(c, argc, argv, &a);

	const char *hint;

	if (rc || a.help)
		return rc;
	if (a.argc > 1) {
		fprintf(stderr, "migtorture reference: one topic at most, got %d\n", a.argc);
		return MT_EXIT_USAGE;
	}
	if (a.argc == 0) {
		mt_scenario_reference_markdown(stdout);
		return 0;
	}
	if (mt_scenario_reference_topic(a.argv[0], stdout, &hint) == 0)
		return 0;
	fprintf(stderr, "migtorture reference: '%s' is no scenario key or plugin%s%s%s\n",
		a.argv[0], hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
	return MT_EXIT_USAGE;
}
