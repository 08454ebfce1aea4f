/* fuzz_agent.c — what the agent does with a request line before it acts: read it
 * (mt_agent_req_parse, mt_agent_req_resolve: JSON, the fault kind, the plugin's parameters
 * and check, the undo record) and check it (mt_agent_policy_allows, and for an allowed apply
 * mt_agent_policy_localize) against a policy that allows every kind, interface and OSD, and
 * against none. Nothing is applied: the check is where the agent's path stops here. A first
 * byte 0 fuzzes the agent.conf reader with the rest instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite/agent_policy.h"

/* Every kind, interface and OSD; the descriptor does not exist, so an OSD restart is
 * refused as it would be on a host without one. */
static const char allow_all[] = "[allow]\n"
				"faults = *\n"
				"interfaces = *\n"
				"osds = *\n"
				"[ceph]\n"
				"descriptor = /nonexistent/mt-fuzz/ceph.json\n";

static struct mt_agent_policy all, none;

static void one_line(const char *line)
{
	struct mt_agent_req rq;
	struct mt_error err = { 0 };
	char reason[1024], *local = NULL;

	if (mt_agent_req_parse(line, &rq, &err) == 0 && mt_agent_req_resolve(&rq, &err) == 0) {
		if (mt_agent_policy_allows(&all, &rq, &local, reason, sizeof(reason)) == 1 &&
		    rq.params.table)
			mt_agent_policy_localize(&all, rq.kind, &rq.params, &err);
		free(local);
		local = NULL;
		if (mt_agent_policy_allows(&none, &rq, &local, reason, sizeof(reason)) == 1 &&
		    rq.what && strcmp(rq.what, "hello") && strcmp(rq.what, "clock") &&
		    strcmp(rq.what, "collect") && strcmp(rq.what, "release") &&
		    strcmp(rq.what, "bye"))
			abort(); /* the policy without a file allowed a change */
		free(local);
	}
	mt_agent_req_free(&rq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_error err = { 0 };
	char *s, *line, *save = NULL;

	if (!all.path[0] && (mt_agent_policy_parse(allow_all, "fuzz-all", &all, &err) < 0 ||
			     !all.loaded ||
			     mt_agent_policy_load("/nonexistent/mt-fuzz/agent.conf", &none,
						  &err) < 0))
		abort();
	/* The agent's reader refuses longer lines before anything reads them. */
	if (size < 1 || size > MT_AGENT_LINE_MAX)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] == 0) {
		struct mt_agent_policy p;

		if (mt_agent_policy_parse(s, "fuzz.conf", &p, &err) == 0)
			mt_agent_policy_free(&p);
	} else {
		/* As the reader splits them (a NUL ends the line, as it ends the string). */
		for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			one_line(line);
	}
	free(s);
	return 0;
}
