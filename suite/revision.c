/* revision.c — the source revision compiled into the binary, for results' facts and
 * --version (the header is generated at build time by cmake/revision.cmake). */
#include "migtorture/runner.h"
#include "mt_revision.h"

const char *mt_revision(void)
{
	return MT_GIT_REVISION;
}
