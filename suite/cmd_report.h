/* cmd_report.h — the `report` and `compare` subcommands, ready for suite/cli.c to dispatch to
 * (argv[0] is the subcommand name; getopt state is reset inside). */
#ifndef MT_CMD_REPORT_H
#define MT_CMD_REPORT_H

/* migtorture report RESULTS.json [MORE.json...] [--format json|junit|openmetrics|html]
 *                   [-o FILE]
 * Renders one or more results files (shards are joined, cells in file order) to stdout or,
 * with -o, atomically to FILE. Returns 0, or MT_EXIT_USAGE / MT_EXIT_INFRA with a message on
 * stderr. */
int mt_cmd_report(int argc, char **argv);

/* migtorture compare BASE.json NEW.json [--tolerance 10%]
 * Prints the comparison table; returns 1 when a metric regressed, 0 when none did, 2 on
 * usage or unreadable input. */
int mt_cmd_compare(int argc, char **argv);

#endif
