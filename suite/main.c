/* main.c — the migtorture command: a thin shell over libmigtorture (iperf3 model). */
#include "cli.h"

int main(int argc, char **argv)
{
	return mt_cli_main(argc, argv);
}
