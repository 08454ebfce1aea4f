/* test_logs.c — the hypervisor logs a cell keeps: path patterns, reading the piece a cell
 * wrote (offsets, rotation, what is made safe), agent.conf's [logs], and the agent's `log`
 * request over pipes, as the runner sends it over ssh (refusals included). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_policy.h"
#include "jsonl.h"
#include "logread.h"
#include "test_agent_util.h"
#include "test_util.h"

static char dir[64], conf[128], logpath[128], jpath[128];


static void setup(void)
{
	char text[512];

	tu_tmpdir(dir, sizeof(dir), "logs");
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/web.log", dir);
	snprintf(jpath, sizeof(jpath), "%s/agent.journal", dir);
	snprintf(text, sizeof(text), "[logs]\nqemu = %s/{domain}.log\n", dir);
	tu_write(conf, "a", text);
}

static void teardown(void)
{
	tu_rm_rf(dir);
}

START_TEST(paths_from_patterns)
{
	struct mt_error err = { 0 };
	char out[64];

	ck_assert_int_eq(mt_log_path("/var/log/libvirt/qemu/{domain}.log", "web-1", out,
				     sizeof(out), &err), 0);
	ck_assert_str_eq(out, "/var/log/libvirt/qemu/web-1.log");
	ck_assert_int_eq(mt_log_path("/run/x/{domain}/{domain}-c.log", "a.b", out, sizeof(out),
				     &err), 0);
	ck_assert_str_eq(out, "/run/x/a.b/a.b-c.log");
	ck_assert_int_eq(mt_log_path("/var/log/libvirtd.log", NULL, out, sizeof(out), &err), 0);
	/* a domain that would leave the directory, a relative or climbing pattern */
	ck_assert_int_eq(mt_log_path("/l/{domain}.log", "../../etc/shadow", out, sizeof(out),
				     &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot stand in a log path"));
	ck_assert_int_eq(mt_log_path("/l/{domain}.log", ".hidden", out, sizeof(out), &err),
			 MT_EINVAL);
	ck_assert_int_eq(mt_log_path("/l/{domain}.log", "", out, sizeof(out), &err), MT_EINVAL);
	ck_assert_int_eq(mt_log_path("l/{domain}.log", "web", out, sizeof(out), &err), MT_EINVAL);
	ck_assert_int_eq(mt_log_path("/l/../etc/passwd", "web", out, sizeof(out), &err),
			 MT_EINVAL);
	ck_assert_int_eq(mt_log_path("/l/{domain}.log", "webwebwebwebwebwebwebwebwebwebwebwebweb"
				     "webwebwebwebwebwebwebweb", out, sizeof(out), &err), MT_EINVAL);
	ck_assert_int_eq(mt_log_role_parse("qemu"), MT_LOG_QEMU);
	ck_assert_int_eq(mt_log_role_parse("shadow"), -1);
}
END_TEST

START_TEST(read_from_offset_rotation_and_safety)
{
	struct mt_error err = { 0 };
	int64_t size = 0;
	size_t len = 0;
	char *buf = NULL;
	int rotated = 0;

	ck_assert_int_eq(mt_log_size(logpath, &size, &err), 0);
	ck_assert_int_eq(size, -1);
	ck_assert_int_eq(mt_log_read(logpath, 0, 10, &buf, &len, &size, &rotated, &err), MT_ENOTFOUND);
	tu_write(logpath, "a", "before the cell\n");
	ck_assert_int_eq(mt_log_size(logpath, &size, &err), 0);
	ck_assert_int_eq(size, 16);
	tu_write(logpath, "a", "during\n");
	ck_assert_int_eq(mt_log_read(logpath, 16, 4096, &buf, &len, &size, &rotated, &err), 0);
	ck_assert_str_eq(buf, "during\n");
	ck_assert_int_eq(len, 7);
	ck_assert_int_eq(size, 23);
	ck_assert_int_eq(rotated, 0);
	free(buf);
	/* max caps the piece */
	ck_assert_int_eq(mt_log_read(logpath, 16, 3, &buf, &len, &size, &rotated, &err), 0);
	ck_assert_str_eq(buf, "dur");
	free(buf);
	/* The file was rotated (now shorter than where the cell started): from 0. */
	ck_assert_int_eq(truncate(logpath, 0), 0);
	tu_write(logpath, "a", "new\n");
	ck_assert_int_eq(mt_log_read(logpath, 16, 4096, &buf, &len, &size, &rotated, &err), 0);
	ck_assert_str_eq(buf, "new\n");
	ck_assert_int_eq(rotated, 1);
	free(buf);
	/* Terminal escapes, NUL and bytes that are not UTF-8 become '?'; UTF-8 stays. */
	ck_assert_int_eq(truncate(logpath, 0), 0);
	{
		static const char raw[] = "a\033[31mb\tc\r\n\xc3\xa9\xff\xc3(\xed\xa0\x80z";
		FILE *f = fopen(logpath, "w");

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(raw, 1, sizeof(raw) - 1, f), sizeof(raw) - 1);
		fputc('\0', f);
		fputc('!', f);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert_int_eq(mt_log_read(logpath, 0, 4096, &buf, &len, &size, &rotated, &err), 0);
	ck_assert_str_eq(buf, "a?[31mb\tc\r\n\xc3\xa9?" "?(?" "?" "?z?!");
	free(buf);
	/* not a regular file */
	ck_assert_int_eq(mt_log_read(dir, 0, 10, &buf, &len, &size, &rotated, &err), MT_EINVAL);
}
END_TEST

START_TEST(conf_logs_section)
{
	struct mt_agent_policy p;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_agent_policy_parse("[logs]\nlibvirtd = /var/log/libvirt/libvirtd.log\n"
					       "qemu = /var/log/libvirt/qemu/{domain}.log\n",
					       "agent.conf", &p, &err), 0);
	ck_assert_msg(p.loaded, "%s", p.why);
	ck_assert_str_eq(p.logs[MT_LOG_QEMU], "/var/log/libvirt/qemu/{domain}.log");
	ck_assert_ptr_null(p.logs[MT_LOG_CONSOLE]);
	mt_agent_policy_free(&p);
	ck_assert_int_eq(mt_agent_policy_parse("[logs]\nqemu = qemu/{domain}.log\n", "agent.conf",
					       &p, &err), 0);
	ck_assert(!p.loaded);
	ck_assert_ptr_nonnull(strstr(p.why, "agent.conf:2: [logs] qemu: 'qemu/{domain}.log' is "
					    "not an absolute path"));
	mt_agent_policy_free(&p);
	ck_assert_int_eq(mt_agent_policy_parse("[logs]\nshadow = /etc/shadow\n", "agent.conf", &p,
					       &err), 0);
	ck_assert(!p.loaded);
	ck_assert_ptr_nonnull(strstr(p.why, "unknown key 'shadow' in [logs]"));
	mt_agent_policy_free(&p);
}
END_TEST

static cJSON *req(struct tu_agent *a, const char *json)
{
	cJSON *r = tu_agent_req(a, json);
	char *s = cJSON_PrintUnformatted(r);

	printf("test_logs: %s -> %.200s\n", json, s);
	free(s);
	return r;
}

static void expect_error(cJSON *r, const char *want)
{
	const cJSON *e = cJSON_GetObjectItem(r, "error");

	ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(r, "ok")) && cJSON_IsString(e) &&
		      strstr(e->valuestring, want), "wanted an error with '%s'", want);
	cJSON_Delete(r);
}

START_TEST(agent_reads_only_what_its_conf_names)
{
	char *argv[] = { MT_BINARY, "agent", "--config", conf, "--journal", jpath, NULL };
	struct tu_agent a;
	cJSON *r;

	tu_agent_start(&a, argv);
	tu_agent_hello(&a, conf);
	/* No file yet: its size is -1. */
	r = req(&a, "{\"req\":\"log\",\"id\":2,\"role\":\"qemu\",\"domain\":\"web\",\"offset\":-1,"
		    "\"max\":0}");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	ck_assert_int_eq(mt_jsonl_get_i64(r, "size"), -1);
	cJSON_Delete(r);
	tu_write(logpath, "a", "0123456789");
	tu_write(logpath, "a", "during the cell\n");
	r = req(&a, "{\"req\":\"log\",\"id\":3,\"role\":\"qemu\",\"domain\":\"web\",\"offset\":10,"
		    "\"max\":131072}");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	ck_assert_int_eq(mt_jsonl_get_i64(r, "size"), 26);
	ck_assert_int_eq(mt_jsonl_get_i64(r, "from"), 10);
	ck_assert_str_eq(cJSON_GetObjectItem(r, "data")->valuestring, "during the cell\n");
	cJSON_Delete(r);
	/* A role agent.conf does not name, one that does not exist, a domain that climbs out,
	 * a piece too big: refused or an error, and the agent goes on. */
	expect_error(req(&a, "{\"req\":\"log\",\"id\":4,\"role\":\"libvirtd\",\"offset\":0,"
			     "\"max\":10}"),
		     "no [logs] libvirtd in the file");
	expect_error(req(&a, "{\"req\":\"log\",\"id\":5,\"role\":\"/etc/shadow\",\"offset\":0,"
			     "\"max\":10}"),
		     "role must be libvirtd, qemu or console");
	expect_error(req(&a, "{\"req\":\"log\",\"id\":6,\"role\":\"qemu\",\"domain\":"
			     "\"../../etc/shadow\",\"offset\":0,\"max\":10}"),
		     "cannot stand in a log path");
	expect_error(req(&a, "{\"req\":\"log\",\"id\":7,\"role\":\"qemu\",\"domain\":\"web\","
			     "\"offset\":0,\"max\":1048576}"),
		     "max 0 to 131072");
	r = req(&a, "{\"req\":\"clock\",\"id\":8}");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
	cJSON_Delete(r);
	ck_assert(WIFEXITED(tu_agent_end(&a)));
}
END_TEST

/* Without an agent.conf nothing is read, as nothing is changed. */
START_TEST(agent_without_conf_reads_nothing)
{
	char *argv[] = { MT_BINARY, "agent", "--config", conf, "--journal", jpath, NULL };
	struct tu_agent a;

	unlink(conf);
	tu_write(logpath, "a", "secret\n");
	tu_agent_start(&a, argv);
	tu_agent_hello(&a, NULL);
	expect_error(req(&a, "{\"req\":\"log\",\"id\":2,\"role\":\"qemu\",\"domain\":\"web\","
			     "\"offset\":0,\"max\":10}"),
		     "so this agent changes nothing here");
	ck_assert(WIFEXITED(tu_agent_end(&a)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logs");
	TCase *t = tcase_create("logs");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, paths_from_patterns);
	tcase_add_test(t, read_from_offset_rotation_and_safety);
	tcase_add_test(t, conf_logs_section);
	tcase_add_test(t, agent_reads_only_what_its_conf_names);
	tcase_add_test(t, agent_without_conf_reads_nothing);
	suite_add_tcase(s, t);
	return tu_run(s);
}
