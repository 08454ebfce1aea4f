/* cli_cmds.h — the command table shared by cli.c (parsing, help, man) and cli_cmds.c. */
#ifndef MT_CLI_CMDS_H
#define MT_CLI_CMDS_H

#include <stddef.h>
#include <stdio.h>

struct mt_cli_opt {
	const char *name;  /* long name */
	int short_name;    /* 0 = none */
	const char *arg;   /* argument placeholder, NULL = flag */
	const char *help;
};

#define MT_CLI_MAXOPTS 32

/* The options a command was given, in order, plus its operands. */
struct mt_cli_args {
	struct {
		const char *name;
		const char *val; /* NULL for flags */
	} set[MT_CLI_MAXOPTS];
	size_t nset;
	int argc;    /* operands */
	char **argv;
	int help;    /* --help was given and printed */
};

struct mt_cli_cmd;
typedef int (*mt_cli_fn)(const struct mt_cli_cmd *c, int argc, char **argv);

struct mt_cli_cmd {
	const char *name;
	const char *args;     /* operand synopsis */
	const char *summary;
	const struct mt_cli_opt *opts;
	mt_cli_fn run;
};

extern const struct mt_cli_cmd mt_cli_cmds[];

/* Parses a command's argv (argv[0] = command name). Returns 0 or an exit status; on --help
 * prints the command's usage and sets a->help. */
int mt_cli_parse(const struct mt_cli_cmd *c, int argc, char **argv, struct mt_cli_args *a);
/* The value of option name ("" for a flag), the last given; NULL when not given. */
const char *mt_cli_get(const struct mt_cli_args *a, const char *name);
int mt_cli_count(const struct mt_cli_args *a, const char *name);

void mt_cli_usage(FILE *f);
void mt_cli_cmd_usage(const struct mt_cli_cmd *c, FILE *f);
void mt_cli_man(FILE *f);
/* Writes a bash completion script for the commands and options above (cli_complete.c). */
void mt_cli_bash_completion(FILE *f);

int mt_cmd_validate(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_plan(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_run(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_report(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_compare(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_recover(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_lab(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_agent(const struct mt_cli_cmd *c, int argc, char **argv);
int mt_cmd_reference(const struct mt_cli_cmd *c, int argc, char **argv);

#endif
