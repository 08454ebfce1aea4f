/* test_agent_util.h — the `migtorture agent` binary driven over pipes, as the runner drives it
 * over ssh: the unit tests of the agent's policy, its stress and its protocol share these.
 * Every helper that can fail aborts the calling Check test. */
#ifndef MT_TEST_AGENT_UTIL_H
#define MT_TEST_AGENT_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "jsonl.h"

struct tu_agent {
	pid_t pid;
	int to, from;         /* its stdin, its stdout */
	struct mt_jsonl rd;
	cJSON *begins;        /* every journal "begin" record it sent, in order */
};

/* Starts argv (argv[0] the binary, e.g. { MT_BINARY, "agent", "--config", …, NULL }) with
 * pipes on stdin and stdout; its stderr goes to /dev/null unless MTT_AGENT_STDERR is set. */
void tu_agent_start(struct tu_agent *a, char *const argv[]);

/* Writes text as is (no newline added) and returns the next answer, acknowledging journal
 * records meanwhile as the runner does and keeping the "begin" ones in a->begins. The caller
 * frees the answer (cJSON_Delete). */
cJSON *tu_agent_send(struct tu_agent *a, const char *text, size_t len);

/* tu_agent_send of json plus a newline. */
cJSON *tu_agent_req(struct tu_agent *a, const char *json);

/* Sends hello with this build's version and asserts it is accepted; with policy not NULL, that
 * the answer names that policy file. */
void tu_agent_hello(struct tu_agent *a, const char *policy);

/* Closes its stdin (its dead-man switch), waits for it and frees what tu_agent_start made;
 * returns its wait status. */
int tu_agent_end(struct tu_agent *a);

#endif
