/* cli.h — the command-line front end (suite/cli.c). */
#ifndef MT_CLI_H
#define MT_CLI_H

/* Parses argv, runs the subcommand, returns the exit status (MT_EXIT_*). */
int mt_cli_main(int argc, char **argv);

#endif
