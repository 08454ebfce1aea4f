/* cmd_report.c — `migtorture report` and `migtorture compare` (issue 3 item 3, issue 10). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "migtorture/report.h"
#include "migtorture/threshold.h"

static const struct {
	const char *name;
	mt_report_fn fn;
} formats[] = {
	{ "json", mt_report_json },
	{ "junit", mt_report_junit },
	{ "openmetrics", mt_report_openmetrics },
	{ "html", mt_report_html },
};

static void report_usage(FILE *f)
{
	fputs("usage: migtorture report RESULTS.json [MORE.json...] [--format FORMAT] [-o FILE]\n"
	      "Renders results files (shards are joined) offline.\n"
	      "  -f, --format FORMAT  json (default), junit, openmetrics, html\n"
	      "  -o, --output FILE    write FILE atomically instead of standard output\n"
	      "  -h, --help           this text\n"
	      "Exit status: 0 rendered; 2 usage error or unreadable results; 3 write failed.\n",
	      f);
}

int mt_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_run_result run = { 0 }, more = { 0 };
	struct mt_error err = { 0 };
	const char *out = NULL;
	mt_report_fn fn = mt_report_json;
	size_t i;
	int c, rc = 0, status = 0;

	optind = 0; /* glibc: full re-initialisation, argv[0] is the subcommand */
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fn = NULL;
			for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
				if (strcmp(optarg, formats[i].name) == 0)
					fn = formats[i].fn;
			if (!fn) {
				fprintf(stderr, "migtorture report: unknown format '%s' (expected json, "
						"junit, openmetrics or html)\n", optarg);
				return MT_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return MT_EXIT_PASS;
		default:
			report_usage(stderr);
			return MT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("migtorture report: expected at least one results file\n", stderr);
		report_usage(stderr);
		return MT_EXIT_USAGE;
	}
	rc = mt_result_read_file(argv[optind], &run, &err);
	for (i = (size_t)optind + 1; !rc && i < (size_t)argc; i++) {
		rc = mt_result_read_file(argv[i], &more, &err);
		if (!rc && mt_run_merge(&run, &more))
			rc = mt_err(&err, MT_ENOMEM, "out of memory joining %s", argv[i]);
		mt_run_result_free(&more);
	}
	if (rc) {
		fprintf(stderr, "migtorture report: %s\n", err.msg);
		status = MT_EXIT_USAGE;
		goto out;
	}
	if (argc - optind > 1) {
		/* joined shards: the verdict is that of all cells together */
		mt_run_update_verdict(&run);
		free(run.shard);
		run.shard = NULL;
	}
	rc = out ? mt_report_write_file(out, fn, &run, &err) : fn(&run, stdout, &err);
	if (rc) {
		fprintf(stderr, "migtorture report: %s\n", err.msg);
		status = rc == MT_EINVAL ? MT_EXIT_USAGE : MT_EXIT_INFRA;
	}
out:
	mt_run_result_free(&run);
	return status;
}

static void compare_usage(FILE *f)
{
	fputs("usage: migtorture compare BASE.json NEW.json [--tolerance PCT]\n"
	      "Compares the medians over repeats of every cell and metric.\n"
	      "  -t, --tolerance PCT  allowed change in the worse direction, e.g. 10% (default)\n"
	      "  -h, --help           this text\n"
	      "Exit status: 0 no regression; 1 a metric regressed; 2 usage or unreadable input.\n",
	      f);
}

int mt_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tolerance", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_run_result base = { 0 }, cur = { 0 };
	struct mt_error err = { 0 };
	double tol = 10;
	size_t reg = 0;
	char *end;
	int c, status = MT_EXIT_USAGE;

	optind = 0;
	while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tol = strtod(optarg, &end);
			if (end == optarg || (*end && strcmp(end, "%") != 0) || !(tol >= 0) ||
			    tol > 1e6) {
				fprintf(stderr, "migtorture compare: --tolerance: expected a percentage "
						"like 10%%, got '%s'\n", optarg);
				return MT_EXIT_USAGE;
			}
			break;
		case 'h':
			compare_usage(stdout);
			return MT_EXIT_PASS;
		default:
			compare_usage(stderr);
			return MT_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs("migtorture compare: expected BASE.json and NEW.json\n", stderr);
		compare_usage(stderr);
		return MT_EXIT_USAGE;
	}
	if (mt_result_read_file(argv[optind], &base, &err) ||
	    mt_result_read_file(argv[optind + 1], &cur, &err)) {
		fprintf(stderr, "migtorture compare: %s\n", err.msg);
		goto out;
	}
	if (mt_report_compare(&base, &cur, tol, stdout, &reg, &err)) {
		fprintf(stderr, "migtorture compare: %s\n", err.msg);
		goto out;
	}
	status = reg ? MT_EXIT_FAIL : MT_EXIT_PASS;
out:
	mt_run_result_free(&base);
	mt_run_result_free(&cur);
	return status;
}
