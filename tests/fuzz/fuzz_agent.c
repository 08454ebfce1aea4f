/* fuzz_agent.c — what the agent does with a request line before it acts: read it
 * (mt_agent_req_parse, mt_agent_req_resolve: JSON, the fault kind, the plugin's parameters
 * and check, the undo record) and check it (mt_agent_policy_allows, and for an allowed apply
 * mt_agent_policy_localize) against a policy that allows every kind, interface and OSD, and
 * against none. Nothing is applied: the check is where the agent's path stops here. The
 * first byte picks: 0 the agent.conf reader, 1 the lines through the agent's line reader
 * (mt_jsonl in drop mode, a 100-byte bound: over-long lines dropped, never delivered), any
 * other the lines split here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite/agent_policy.h"
#include "suite/jsonl.h"

#define READER_MAX 100

/* Every kind, interface and OSD, both process roles and pid files under a directory that
 * does not exist; the descriptor does not exist either, so an OSD restart is refused as it
 * would be on a host without one. */
static const char allow_all[] = "[allow]\n"
				"faults = *\n"
				"interfaces = *\n"
				"osds = *\n"
				"processes = qemu libvirtd /nonexistent/mt-fuzz/*.pid\n"
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

/* The bytes through a pipe into the agent's reader (they fit in the pipe's buffer). */
static void through_reader(const uint8_t *d, size_t n)
{
	struct mt_jsonl r;
	struct mt_error err = { 0 };
	char *line = NULL;
	int p[2], rc;

	if (pipe(p) < 0)
		return;
	if (write(p[1], d, n) != (ssize_t)n)
		abort();
	close(p[1]);
	mt_jsonl_init(&r, p[0]);
	mt_jsonl_set_max(&r, READER_MAX, 1);
	for (;;) {
		rc = mt_jsonl_next(&r, &line);
		if (rc == 1) {
			if (strlen(line) > READER_MAX)
				abort(); /* an over-long line reached the caller */
			one_line(line);
			free(line);
			continue;
		}
		if (rc == MT_EINVAL)
			continue;
		if (rc < 0 || r.eof)
			break;
		rc = mt_jsonl_fill(&r, &err);
		if (rc < 0 && rc != MT_ETIMEOUT)
			break;
	}
	mt_jsonl_free(&r);
	close(p[0]);
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
	} else if (data[0] == 1) {
		through_reader(data + 1, size - 1);
	} else {
		/* As the reader splits them (a NUL ends the line, as it ends the string). */
		for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			one_line(line);
	}
	free(s);
	return 0;
}
