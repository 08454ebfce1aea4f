/* cli.c — placeholder until the CLI lands (foundation issue). */
#include <stdio.h>

#include "cli.h"
#include "migtorture/error.h"

int mt_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "migtorture: not implemented yet\n");
	return MT_EXIT_USAGE;
}
