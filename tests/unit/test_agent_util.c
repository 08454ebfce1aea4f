/* test_agent_util.c — the agent binary over pipes, for the unit tests (test_agent_util.h). */
#include <check.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migtorture/runner.h"
#include "test_agent_util.h"

extern char **environ;

void tu_agent_start(struct tu_agent *a, char *const argv[])
{
	int in[2], out[2], devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	posix_spawn_file_actions_t fa;

	ck_assert_int_ge(devnull, 0);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (!getenv("MTT_AGENT_STDERR"))
		posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	ck_assert_int_eq(posix_spawn(&a->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(devnull);
	a->to = in[1];
	a->from = out[0];
	a->begins = cJSON_CreateArray();
	mt_jsonl_init(&a->rd, a->from);
}

cJSON *tu_agent_send(struct tu_agent *a, const char *text, size_t len)
{
	struct mt_error err = { 0 };
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(a->to, text + off, len - off);

		ck_assert_int_gt(w, 0);
		off += (size_t)w;
	}
	for (;;) {
		char *line = NULL, ack[128];
		const cJSON *jr;
		cJSON *o;

		ck_assert_msg(mt_jsonl_read(&a->rd, 20000, &line, &err) == 1, "no answer: %s",
			      err.msg);
		o = cJSON_Parse(line);
		ck_assert_msg(o != NULL, "not JSON: %s", line);
		free(line);
		jr = cJSON_GetObjectItem(o, "journal");
		if (!cJSON_IsString(jr))
			return o;
		if (!strcmp(jr->valuestring, "begin"))
			cJSON_AddItemToArray(a->begins, cJSON_Duplicate(o, 1));
		if (cJSON_IsTrue(cJSON_GetObjectItem(o, "ack"))) {
			snprintf(ack, sizeof(ack), "{\"ack\":%lld,\"ok\":true,\"id\":%lld}\n",
				 mt_jsonl_get_i64(o, "seq"), mt_jsonl_get_i64(o, "local_id") + 100);
			ck_assert_int_eq(write(a->to, ack, strlen(ack)), (ssize_t)strlen(ack));
		}
		cJSON_Delete(o);
	}
}

cJSON *tu_agent_req(struct tu_agent *a, const char *json)
{
	char buf[4096];
	int len = snprintf(buf, sizeof(buf), "%s\n", json);

	ck_assert_msg(len > 0 && (size_t)len < sizeof(buf), "request too long for the helper");
	return tu_agent_send(a, buf, (size_t)len);
}

void tu_agent_hello(struct tu_agent *a, const char *policy)
{
	char buf[256];
	cJSON *r;

	snprintf(buf, sizeof(buf), "{\"req\":\"hello\",\"id\":1,\"proto\":1,\"version\":\"%s\"}",
		 mt_version());
	r = tu_agent_req(a, buf);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	if (policy)
		ck_assert_str_eq(cJSON_GetObjectItem(r, "policy")->valuestring, policy);
	cJSON_Delete(r);
}

int tu_agent_end(struct tu_agent *a)
{
	int status = 0;

	close(a->to);
	ck_assert_int_eq(waitpid(a->pid, &status, 0), a->pid);
	close(a->from);
	mt_jsonl_free(&a->rd);
	cJSON_Delete(a->begins);
	a->begins = NULL;
	return status;
}
