/* cli.c — the migtorture command line: subcommands from one table.
 *
 * The table below is the single source for getopt_long, each command's --help and the man page
 * (`migtorture --man` prints roff; docs/migtorture.1 is that output, checked by a test).
 * Exit statuses (docs/architecture.md §9) are printed in --help.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_cmds.h"
#include "migtorture/error.h"
#include "migtorture/runner.h"

static const struct mt_cli_opt plan_opts[] = {
	{ "json", 0, NULL, "print the plan as JSON" },
	{ "seed", 0, "N", "run seed (default: the scenario's seed, else 1)" },
	{ "repeat", 0, "N", "override every section's repeat count" },
	{ "shard", 0, "I/N", "keep only shard I of N (1-based, round-robin over cells)" },
	{ "only", 0, "GLOB", "keep only cells whose name matches GLOB (fnmatch)" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt run_opts[] = {
	{ "output", 'o', "DIR", "output directory (default: ./migtorture-results)" },
	{ "seed", 0, "N", "run seed (default: the scenario's seed, else 1)" },
	{ "repeat", 0, "N", "override every section's repeat count" },
	{ "shard", 0, "I/N", "run only shard I of N (1-based, round-robin over cells)" },
	{ "only", 0, "GLOB", "run only cells whose name matches GLOB (fnmatch)" },
	{ "dry-run", 0, NULL, "print every action with its planned time; touch nothing" },
	{ "force", 0, NULL, "write into an existing non-empty output directory" },
	{ "journal", 0, "PATH", "fault journal (default: $MT_JOURNAL or /var/lib/migtorture/journal)" },
	{ "allow-host-faults", 0, NULL, "allow faults on targets outside the lab and the allow-list" },
	{ "realtime", 0, "PRIO", "run the event loop at SCHED_FIFO PRIO (1-99; root or CAP_SYS_NICE): "
				 "events on time on a loaded host; what it starts runs normally" },
	{ "quiet", 'q', NULL, "print only errors and the final verdict" },
	{ "verbose", 'v', NULL, "print more (repeat for more)" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt report_opts[] = {
	{ "format", 'f', "FMT", "json (canonical), junit, openmetrics, html, markdown" },
	{ "output", 'o', "FILE", "write to FILE (atomically) instead of standard output" },
	{ "trend", 0, "DIR", "one HTML page of key metrics over every results file in DIR "
			     "(DIR/*.json, DIR/*/results.json), oldest first" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt compare_opts[] = {
	{ "tolerance", 't', "PCT", "a metric worse by more than PCT of the base regresses (10%)" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt recover_opts[] = {
	{ "journal", 0, "PATH", "fault journal (default: $MT_JOURNAL or /var/lib/migtorture/journal)" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt agent_opts[] = {
	{ "journal", 0, "PATH",
	  "the agent's own journal (default: $MT_AGENT_JOURNAL or /run/migtorture/agent.journal)" },
	{ "config", 0, "PATH",
	  "what the agent may change on this host (default: $MT_AGENT_CONF or "
	  "/etc/migtorture/agent.conf; none: every change is refused)" },
	{ NULL, 0, NULL, NULL },
};

static const struct mt_cli_opt none_opts[] = {
	{ NULL, 0, NULL, NULL },
};

const struct mt_cli_cmd mt_cli_cmds[] = {
	{ "validate", "FILE", "check a scenario file; print 'FILE: valid, N cells', or its "
	  "file:line errors (exit 2)", none_opts, mt_cmd_validate },
	{ "plan", "FILE", "print the expanded cells and their timelines", plan_opts, mt_cmd_plan },
	{ "run", "FILE", "run a scenario and write results.json", run_opts, mt_cmd_run },
	{ "report", "RESULTS.json [MORE.json ...] | --trend DIR",
	  "render results (works offline); several files (shards) are joined", report_opts,
	  mt_cmd_report },
	{ "compare", "BASE.json NEW.json",
	  "compare two results; exit 1 when a metric regressed beyond the tolerance", compare_opts,
	  mt_cmd_compare },
	{ "recover", "", "undo every fault a crashed run left behind (idempotent)", recover_opts,
	  mt_cmd_recover },
	{ "lab", "up|down|status [ARGS]", "the embedded lab (see docs/lab.md); ARGS go to it",
	  none_opts, mt_cmd_lab },
	{ "agent", "",
	  "serve a runner over ssh: JSON lines on stdin/stdout; undoes everything when the "
	  "connection ends (docs/remote-hosts.md)", agent_opts, mt_cmd_agent },
	{ "reference", "", "print the scenario file reference (Markdown) from the option tables",
	  none_opts, mt_cmd_reference },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char exit_text[] =
	"Exit status:\n"
	"  0  all thresholds held\n"
	"  1  a threshold failed (compare: a metric regressed)\n"
	"  2  usage or scenario error\n"
	"  3  infrastructure error (lab, driver, or a fault could not be applied or undone)\n"
	"  4  every cell was skipped\n"
	"  130/143  interrupted by SIGINT/SIGTERM (faults undone, partial results written)\n";

static void print_opts(const struct mt_cli_opt *o, FILE *f)
{
	for (; o->name; o++) {
		char lhs[64];

		if (o->short_name)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s\n", lhs, o->help);
	}
}

void mt_cli_usage(FILE *f)
{
	fprintf(f, "Usage: migtorture [--version] [--help] COMMAND [ARGS]\n\n"
		   "Live-migrates a web-serving VM while injecting stress, network and storage\n"
		   "faults, and measures what the migration cost and what the VM's users felt.\n\n"
		   "Commands:\n");
	for (const struct mt_cli_cmd *c = mt_cli_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'migtorture COMMAND --help' describes a command.\n\n%s", exit_text);
}

void mt_cli_cmd_usage(const struct mt_cli_cmd *c, FILE *f)
{
	fprintf(f, "Usage: migtorture %s [OPTIONS] %s\n%s.\n\nOptions:\n", c->name, c->args,
		c->summary);
	print_opts(c->opts, f);
	fprintf(f, "  %-28s %s\n\n%s", "-h, --help", "show this help", exit_text);
}

/* roff-escapes s (a leading dot or quote, backslashes, hyphens as \-). */
static void roff(const char *s, FILE *f)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f); /* else roff reads the line as a request */
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void mt_cli_man(FILE *f)
{
	fputs(".\\\" Generated by `migtorture --man` from the command table in suite/cli.c.\n"
	      ".TH MIGTORTURE 1 \"\" \"migtorture " MT_VERSION "\" \"User Commands\"\n"
	      ".SH NAME\nmigtorture \\- live\\-migration torture tests with faults and QoS "
	      "measurements\n.SH SYNOPSIS\n.B migtorture\n.RI [ \\-\\-version ] "
	      "[ \\-\\-help ] COMMAND [ ARGS ]\n.SH DESCRIPTION\n"
	      "migtorture live\\-migrates a web\\-serving virtual machine while it injects "
	      "CPU/memory stress, network impairment and Ceph OSD faults, and measures "
	      "migration time, downtime (hypervisor, guest stall, network outage), bytes "
	      "transferred and QoS (delay, throughput, jitter, loss). Scenario files are "
	      "described in docs/scenario\\-reference.md (\\fBmigtorture reference\\fR).\n"
	      ".SH COMMANDS\n",
	      f);
	for (const struct mt_cli_cmd *c = mt_cli_cmds; c->name; c++) {
		fputs(".TP\n.B ", f);
		roff(c->name, f);
		if (c->args[0]) {
			fputs(" \\fI", f);
			roff(c->args, f);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(c->summary, f);
		fputs(".\n", f);
		for (const struct mt_cli_opt *o = c->opts; o->name; o++) {
			fputs(".RS\n.TP\n.B ", f);
			if (o->short_name)
				fprintf(f, "\\-%c, ", o->short_name);
			fputs("\\-\\-", f);
			roff(o->name, f);
			if (o->arg) {
				fputs(" \\fI", f);
				roff(o->arg, f);
				fputs("\\fR", f);
			}
			fputc('\n', f);
			roff(o->help, f);
			fputs("\n.RE\n", f);
		}
	}
	fputs(".SH EXIT STATUS\n.TP\n0\nall thresholds held\n.TP\n1\na threshold failed\n"
	      ".TP\n2\nusage or scenario error\n.TP\n3\ninfrastructure error (lab, driver, or a "
	      "fault could not be applied or undone)\n.TP\n4\nevery cell was skipped\n.TP\n"
	      "130, 143\ninterrupted by SIGINT or SIGTERM; faults undone, partial results "
	      "written\n.SH FILES\n.TP\n/var/lib/migtorture/journal\nthe fault journal "
	      "(override with \\fBMT_JOURNAL\\fR)\n.TP\n/etc/migtorture/agent.conf\nwhat "
	      "\\fBmigtorture agent\\fR may change on its host; without it, nothing "
	      "(override with \\fB\\-\\-config\\fR or \\fBMT_AGENT_CONF\\fR; "
	      "docs/remote-hosts.md)\n.TP\n/run/migtorture/lab/lab.json\nthe "
	      "embedded lab's descriptor\n.TP\n/usr/share/migtorture/lab\nthe lab scripts "
	      "\\fBlab\\fR runs (the migtorture\\-lab package)\n.TP\n"
	      "/usr/libexec/migtorture/mt\\-guest\nthe in\\-guest helper \\fBlab up\\fR puts "
	      "into the lab guest (the migtorture\\-guest package)\n.SH ENVIRONMENT\n.TP\n"
	      "MT_LAB_DIR\nthe lab scripts' directory instead of the installed one (a source "
	      "tree's lab/)\n.TP\nMT_GUEST_BIN\nthe in\\-guest helper instead of the installed "
	      "one (a build tree's workloads/guest/mt\\-guest)\n.SH SEE ALSO\n.BR virsh (1),\n"
	      ".BR tc (8),\n.BR stress\\-ng (1)\n",
	      f);
}

/* Builds getopt_long's tables from a command's option table. The short option string starts
 * with ':' (report missing arguments); GNU permutation lets options follow operands
 * (`run FILE -o DIR`). */
static int build_getopt(const struct mt_cli_opt *opts, struct option *lo, size_t maxlo,
			char *so, size_t maxso)
{
	size_t n = 0, s = 0;

	so[s++] = ':';
	for (const struct mt_cli_opt *o = opts; o->name; o++) {
		if (n + 2 >= maxlo || s + 4 >= maxso)
			return -1;
		lo[n].name = o->name;
		lo[n].has_arg = o->arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = o->short_name ? o->short_name : 256 + (int)n;
		n++;
		if (o->short_name) {
			so[s++] = (char)o->short_name;
			if (o->arg)
				so[s++] = ':';
		}
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	so[s++] = 'h';
	so[s] = '\0';
	return 0;
}

int mt_cli_parse(const struct mt_cli_cmd *c, int argc, char **argv, struct mt_cli_args *a)
{
	struct option lo[40];
	char so[96];
	int ch;

	memset(a, 0, sizeof(*a));
	if (build_getopt(c->opts, lo, 40, so, sizeof(so)) < 0)
		return MT_EXIT_USAGE;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		const char *name = NULL;

		if (ch == 'h') {
			mt_cli_cmd_usage(c, stdout);
			a->help = 1;
			return 0;
		}
		if (ch == '?' || ch == ':') {
			fprintf(stderr, "migtorture %s: %s option '%s'\n", c->name,
				ch == '?' ? "unknown" : "missing argument for",
				argv[optind - 1]);
			fprintf(stderr, "Try 'migtorture %s --help'.\n", c->name);
			return MT_EXIT_USAGE;
		}
		for (size_t i = 0; c->opts[i].name; i++)
			if (lo[i].val == ch)
				name = c->opts[i].name;
		if (!name)
			return MT_EXIT_USAGE;
		if (a->nset >= MT_CLI_MAXOPTS)
			return MT_EXIT_USAGE;
		a->set[a->nset].name = name;
		a->set[a->nset].val = optarg;
		a->nset++;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return 0;
}

const char *mt_cli_get(const struct mt_cli_args *a, const char *name)
{
	const char *v = NULL;

	for (size_t i = 0; i < a->nset; i++)
		if (strcmp(a->set[i].name, name) == 0)
			v = a->set[i].val ? a->set[i].val : "";
	return v; /* the last one given wins */
}

int mt_cli_count(const struct mt_cli_args *a, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < a->nset; i++)
		n += strcmp(a->set[i].name, name) == 0;
	return n;
}

int mt_cli_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		mt_cli_usage(stderr);
		return MT_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		mt_cli_usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("migtorture %s\n", mt_version());
		return 0;
	}
	if (!strcmp(cmd, "--man")) {
		mt_cli_man(stdout);
		return 0;
	}
	for (const struct mt_cli_cmd *c = mt_cli_cmds; c->name; c++)
		if (!strcmp(cmd, c->name))
			return c->run(c, argc - 1, argv + 1);
	fprintf(stderr, "migtorture: unknown command '%s'\nTry 'migtorture --help'.\n", cmd);
	return MT_EXIT_USAGE;
}
