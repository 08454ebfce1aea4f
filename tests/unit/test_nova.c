/* test_nova.c — the nova driver without a cloud: request bodies, clouds.yaml and environment
 * credentials, and parsing/error mapping of Keystone and Nova answers RECORDED from the real
 * OpenStack lab (tests/openstack/record_fixtures.sh → tests/unit/fixtures/nova/ JSON files; only
 * clouds*.yaml are hand-written). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/nova_priv.h"
#include "fleet.h"
#include "migtorture/plugin.h"
#include "test_util.h"

#define FX MT_FIXTURES "/nova/"
/* What the recorded migration ended as (record_fixtures.sh, see fixtures/nova/README). */
#define FIXTURE_AFTER_HOST "hostb"
#define FIXTURE_FINAL_STATUS "completed"
#define FIXTURE_FINAL_OK 1

/* A recorded response (fixtures/nova/NAME); caller frees. */
static char *slurp(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "nova/%s", name);
	return tu_fixture_read(rel);
}

START_TEST(auth_body_password)
{
	struct mt_nova_creds c = { 0 };
	char *b;

	c.auth_url = strdup("http://k:5000/v3");
	c.username = strdup("admin");
	c.password = strdup("pw\"quoted");
	c.project_name = strdup("admin");
	c.user_domain_name = strdup("Default");
	b = mt_nova_auth_body(&c);
	ck_assert_str_eq(b, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":"
			 "{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},"
			 "\"password\":\"pw\\\"quoted\"}}},\"scope\":{\"project\":{\"name\":"
			 "\"admin\",\"domain\":{\"name\":\"Default\"}}}}}");
	free(b);
	mt_nova_creds_free(&c);
}
END_TEST

START_TEST(auth_body_appcred)
{
	struct mt_nova_creds c = { 0 };
	struct mt_error e = { 0 };
	char *b;

	c.auth_url = strdup("http://k:5000");
	c.app_cred_id = strdup("abc");
	c.app_cred_secret = strdup("sec");
	ck_assert_int_eq(mt_nova_creds_check(&c, &e), 0);
	b = mt_nova_auth_body(&c);
	ck_assert_str_eq(b, "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],"
			 "\"application_credential\":{\"id\":\"abc\",\"secret\":\"sec\"}}}}");
	free(b);
	mt_nova_creds_free(&c);
}
END_TEST

START_TEST(creds_check_names_what_is_missing)
{
	struct mt_nova_creds c = { 0 };
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_creds_check(&c, &e), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "auth_url"));
	c.auth_url = strdup("http://k:5000");
	c.username = strdup("u");
	c.password = strdup("hunter2");
	ck_assert_int_eq(mt_nova_creds_check(&c, &e), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "project"));
	ck_assert_ptr_null(strstr(e.msg, "hunter2"));
	mt_nova_creds_free(&c);
}
END_TEST

START_TEST(tokens_url)
{
	const char *in[] = { "http://k:5000/v3", "http://k:5000/v3/", "http://k:5000",
			     "http://k:5000/", "https://k/identity/v3" };
	const char *want[] = { "http://k:5000/v3/auth/tokens", "http://k:5000/v3/auth/tokens",
			       "http://k:5000/v3/auth/tokens", "http://k:5000/v3/auth/tokens",
			       "https://k/identity/v3/auth/tokens" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *u = mt_nova_tokens_url(in[i]);
		ck_assert_str_eq(u, want[i]);
		free(u);
	}
}
END_TEST

START_TEST(token_catalog_recorded)
{
	char *b = slurp("keystone_token.json");
	struct mt_nova_token t;
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_parse_token(b, "compute", NULL, NULL, &t, &e), 0);
	ck_assert_str_eq(t.compute_url, "http://198.18.4.1:8774/v2.1");
	ck_assert(t.expires_unix > 1700000000);
	mt_nova_token_free(&t);
	ck_assert_int_eq(mt_nova_parse_token(b, "compute", "internal", "RegionOne", &t, &e), 0);
	ck_assert_str_eq(t.compute_url, "http://198.18.4.1:8774/v2.1");
	mt_nova_token_free(&t);
	ck_assert_int_eq(mt_nova_parse_token(b, "compute", "public", "Nowhere", &t, &e),
			 MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(e.msg, "public/RegionOne")); /* says what there is */
	ck_assert_int_eq(mt_nova_parse_token(b, "volumev3", NULL, NULL, &t, &e), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(e.msg, "no 'volumev3' service"));
	free(b);
	/* the application credential's token carries the catalog of its project */
	b = slurp("keystone_token_appcred.json");
	ck_assert_int_eq(mt_nova_parse_token(b, "compute", NULL, NULL, &t, &e), 0);
	ck_assert_str_eq(t.compute_url, "http://198.18.4.1:8774/v2.1");
	mt_nova_token_free(&t);
	free(b);
}
END_TEST

START_TEST(errors_recorded)
{
	struct { const char *file; long code; int rc; const char *has; } cases[] = {
		{ "keystone_401.json", 401, MT_EINFRA, "HTTP 401 Unauthorized: " },
		{ "nova_404_server.json", 404, MT_ENOTFOUND, "HTTP 404 itemNotFound: " },
		{ "nova_406_microversion.json", 406, MT_EUNSUPPORTED, "2.999" },
		{ "nova_400_nohost.json", 400, MT_EINFRA, "nohost" },
		{ "nova_409_migrating.json", 409, MT_EINFRA, "HTTP 409 conflictingRequest: " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *b = slurp(cases[i].file);
		struct mt_error e = { 0 };

		ck_assert_int_eq(mt_nova_http_error(cases[i].code, b, "nova X", &e), cases[i].rc);
		ck_assert_int_eq(e.code, cases[i].rc);
		ck_assert_msg(strstr(e.msg, cases[i].has), "%s: %s", cases[i].file, e.msg);
		ck_assert_msg(strncmp(e.msg, "nova X: HTTP ", 13) == 0, "%s", e.msg);
		free(b);
	}
}
END_TEST

START_TEST(error_not_json)
{
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_http_error(502, "\n<html><body>Bad Gateway</body></html>\n",
					    "nova GET /servers", &e), MT_EINFRA);
	ck_assert_str_eq(e.msg, "nova GET /servers: HTTP 502: <html><body>Bad Gateway</body>"
			 "</html>");
	ck_assert_int_eq(mt_nova_http_error(500, "", "x", &e), MT_EINFRA);
	ck_assert_str_eq(e.msg, "x: HTTP 500");
}
END_TEST

START_TEST(live_body)
{
	char *b = mt_nova_live_body("hostb", "auto");

	ck_assert_str_eq(b, "{\"os-migrateLive\":{\"host\":\"hostb\",\"block_migration\":\"auto\"}}");
	free(b);
	b = mt_nova_live_body(NULL, "false");
	ck_assert_str_eq(b, "{\"os-migrateLive\":{\"host\":null,\"block_migration\":false}}");
	free(b);
}
END_TEST

START_TEST(server_recorded)
{
	char *b = slurp("nova_server_active.json"), *id = NULL, *l;
	struct mt_nova_server s;
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_parse_server(b, &s, &e), 0);
	ck_assert_str_eq(s.status, "ACTIVE");
	ck_assert_ptr_null(s.task_state);
	ck_assert_str_eq(s.host, "hosta");
	ck_assert_str_eq(s.name, "web-os");
	ck_assert_ptr_nonnull(s.instance_name);
	ck_assert(strncmp(s.instance_name, "instance-", 9) == 0);
	l = slurp("nova_servers_list.json");
	ck_assert_int_eq(mt_nova_parse_server_list(l, "web-os", &id, &e), 0);
	ck_assert_str_eq(id, s.id);
	free(id);
	ck_assert_int_eq(mt_nova_parse_server_list(l, "web", &id, &e), MT_ENOTFOUND);
	ck_assert_str_eq(e.msg, "nova: no server named 'web'");
	mt_nova_server_free(&s);
	free(b);
	free(l);
	b = slurp("nova_server_migrating.json");
	ck_assert_int_eq(mt_nova_parse_server(b, &s, &e), 0);
	ck_assert_str_eq(s.status, "MIGRATING");
	ck_assert_str_eq(s.task_state, "migrating");
	mt_nova_server_free(&s);
	free(b);
	/* after the recorded migration: idle again, on FIXTURE_AFTER_HOST */
	b = slurp("nova_server_after.json");
	ck_assert_int_eq(mt_nova_parse_server(b, &s, &e), 0);
	ck_assert_str_eq(s.host, FIXTURE_AFTER_HOST);
	ck_assert_ptr_null(s.task_state);
	mt_nova_server_free(&s);
	free(b);
	ck_assert_int_eq(mt_nova_parse_server("{\"servers\": []}", &s, &e), MT_EINFRA);
}
END_TEST

/* migrate.evacuate through Nova: the names of the servers on a host, sorted, each once. */
START_TEST(server_names)
{
	char *l = slurp("nova_servers_list.json"), **v = NULL;
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_parse_server_names(l, &v, &e), 0);
	ck_assert_str_eq(v[0], "web-os");
	ck_assert_ptr_null(v[1]);
	mt_domains_free(v);
	free(l);
	ck_assert_int_eq(mt_nova_parse_server_names("{\"servers\": [{\"name\": \"b\"}, "
						    "{\"name\": \"a\"}, {\"name\": \"b\"}, "
						    "{\"id\": \"x\"}]}", &v, &e), 0);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b");
	ck_assert_ptr_null(v[2]);
	mt_domains_free(v);
	ck_assert_int_eq(mt_nova_parse_server_names("{\"servers\": []}", &v, &e), 0);
	ck_assert_ptr_null(v[0]);
	mt_domains_free(v);
	ck_assert_int_eq(mt_nova_parse_server_names("{}", &v, &e), MT_EINFRA);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(migrations_recorded)
{
	char *b = slurp("nova_server_migrations_running.json");
	struct mt_nova_migration m;
	struct mt_error e = { 0 };
	int ok;

	ck_assert_int_eq(mt_nova_parse_migrations(b, 0, &m, &e), 0);
	ck_assert_str_eq(m.source_compute, "hosta");
	ck_assert_str_eq(m.dest_compute, "hostb");
	ck_assert_str_eq(m.status, "running");
	ck_assert_int_eq(mt_nova_migration_final(m.status, &ok), 0);
	/* recorded while memory moved: 256 MiB flavor, part of it copied, disk counts 0 */
	ck_assert(m.memory_total_bytes == 268967936);
	ck_assert(m.memory_processed_bytes > 0 && m.memory_processed_bytes < m.memory_total_bytes);
	ck_assert(m.memory_remaining_bytes >= 0);
	ck_assert(m.disk_total_bytes == 0);
	mt_nova_migration_free(&m);
	/* records of earlier hops are ignored */
	ck_assert_int_eq(mt_nova_parse_migrations(b, 1000000, &m, &e), MT_ENOTFOUND);
	mt_nova_migration_free(&m);
	free(b);
	b = slurp("nova_os_migrations.json");
	ck_assert_int_eq(mt_nova_parse_migrations(b, 0, &m, &e), 0);
	ck_assert_str_eq(m.type, "live-migration");
	ck_assert_str_eq(m.status, FIXTURE_FINAL_STATUS);
	ck_assert_int_eq(mt_nova_migration_final(m.status, &ok), 1);
	ck_assert_int_eq(ok, FIXTURE_FINAL_OK);
	ck_assert(mt_nova_time_ms(m.updated_at) >= mt_nova_time_ms(m.created_at));
	ck_assert(mt_nova_time_ms(m.created_at) > 0);
	/* the newest record wins; min_id past it finds none */
	{
		long long next = m.id + 1;

		mt_nova_migration_free(&m);
		ck_assert_int_eq(mt_nova_parse_migrations(b, next, &m, &e), MT_ENOTFOUND);
		mt_nova_migration_free(&m);
	}
	free(b);
	ck_assert_int_eq(mt_nova_migration_final("cancelled", &ok), 1);
	ck_assert_int_eq(ok, 0);
	ck_assert_int_eq(mt_nova_migration_final("running", &ok), 0);
	/* another type is not a live migration */
	ck_assert_int_eq(mt_nova_parse_migrations("{\"migrations\":[{\"id\":3,\"migration_type\":"
						  "\"resize\",\"status\":\"finished\"}]}", 0, &m, &e),
			 MT_ENOTFOUND);
	mt_nova_migration_free(&m);
}
END_TEST

START_TEST(times)
{
	ck_assert_int_eq(mt_nova_time_ms("1970-01-01T00:00:01.500000"), 1500);
	ck_assert_int_eq(mt_nova_time_ms("1970-01-01T00:01:00Z"), 60000);
	ck_assert_int_eq(mt_nova_time_ms("1970-01-01T00:01:00+00:00"), 60000);
	ck_assert_int_eq(mt_nova_time_ms("1970-01-01T00:01:00+02:00"), -1);
	ck_assert_int_eq(mt_nova_time_ms("yesterday"), -1);
	ck_assert_int_eq(mt_nova_time_ms(NULL), -1);
}
END_TEST

START_TEST(clouds_yaml)
{
	struct mt_nova_creds c = { 0 };
	struct mt_error e = { 0 };

	ck_assert_int_eq(mt_nova_clouds_read(FX "clouds.yaml", "lab", &c, &e), 0);
	ck_assert_str_eq(c.auth_url, "http://198.18.4.1:5000/v3");
	ck_assert_str_eq(c.username, "admin");
	ck_assert_str_eq(c.password, "s3cret-lab-pw");
	ck_assert_str_eq(c.project_domain_name, "Default");
	ck_assert_str_eq(c.region, "RegionOne");
	ck_assert_int_eq(c.verify, 0);
	ck_assert_int_eq(mt_nova_creds_check(&c, &e), 0);
	mt_nova_creds_free(&c);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mt_nova_clouds_read(FX "clouds.yaml", "appcred", &c, &e), 0);
	ck_assert_str_eq(c.app_cred_id, "0123abcd");
	ck_assert_str_eq(c.cacert, "/etc/ssl/lab-ca.pem");
	ck_assert_int_eq(c.verify, 1);
	ck_assert_ptr_null(c.password);
	mt_nova_creds_free(&c);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mt_nova_clouds_read(FX "clouds.yaml", "nope", &c, &e), MT_EINVAL);
	ck_assert_str_eq(e.msg, FX "clouds.yaml: no cloud 'nope' under clouds:");
	mt_nova_creds_free(&c);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mt_nova_clouds_read(FX "clouds_bad.yaml", "lab", &c, &e), MT_EINVAL);
	ck_assert_msg(strncmp(e.msg, FX "clouds_bad.yaml:", strlen(FX "clouds_bad.yaml:")) == 0,
		      "%s", e.msg);
	mt_nova_creds_free(&c);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mt_nova_clouds_read(FX "missing.yaml", "lab", &c, &e), MT_EIO);
	mt_nova_creds_free(&c);
}
END_TEST

static const char *fake_env(const char *k)
{
	if (!strcmp(k, "OS_AUTH_URL"))
		return "http://env:5000";
	if (!strcmp(k, "OS_PASSWORD"))
		return "envpw";
	if (!strcmp(k, "OS_INSECURE"))
		return "true";
	return NULL;
}

START_TEST(env_fills_only_missing)
{
	struct mt_nova_creds c = { 0 };

	c.verify = 1;
	c.auth_url = strdup("http://file:5000");
	mt_nova_creds_from_env(&c, fake_env);
	ck_assert_str_eq(c.auth_url, "http://file:5000");
	ck_assert_str_eq(c.password, "envpw");
	ck_assert_int_eq(c.verify, 0);
	mt_nova_creds_free(&c);
}
END_TEST

START_TEST(options_and_registry)
{
	const struct mt_driver_ops *d = mt_find_driver("nova");
	struct mt_params p = { 0 };
	struct mt_nova_config c;
	struct mt_error e = { 0 };
	char *u;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(mt_option_find(d->base.options, "migrate.cloud"));
	ck_assert_int_eq(mt_params_parse(mt_nova_options, "migrate.microversion=2.20", 1, &p, &e),
			 0);
	ck_assert_int_eq(d->base.check(&p, &e), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "2.25"));
	mt_params_free(&p);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(mt_params_parse(mt_nova_options, "migrate.target=scheduler "
					 "migrate.on_timeout=force_complete migrate.poll=250ms",
					 1, &p, &e), 0);
	ck_assert_int_eq(mt_nova_config_from_params(&p, &c, &e), 0);
	ck_assert_int_eq(c.scheduler, 1);
	ck_assert_int_eq(c.force_on_timeout, 1);
	ck_assert_int_eq(c.poll_ns, 250000000);
	ck_assert_str_eq(c.microversion, "2.80");
	mt_nova_config_free(&c);
	mt_params_free(&p);
	/* no params at all: the table's defaults, as for params that set none */
	ck_assert_int_eq(mt_nova_config_from_params(NULL, &c, &e), 0);
	ck_assert_str_eq(c.microversion, "2.80");
	ck_assert_str_eq(c.block, "auto");
	ck_assert_ptr_null(c.cloud);
	ck_assert_int_eq(c.scheduler, 0);
	ck_assert_int_eq(c.force_on_timeout, 0);
	ck_assert_int_eq(c.poll_ns, 500000000);
	mt_nova_config_free(&c);
	u = mt_nova_libvirt_uri("hosta=qemu+unix:///system?socket=/a hostb=qemu:///b", "hostb");
	ck_assert_str_eq(u, "qemu:///b");
	free(u);
	u = mt_nova_libvirt_uri("hosta=qemu+unix:///system?socket=/a", "hostaa");
	ck_assert_ptr_null(u);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nova");
	TCase *t = tcase_create("core");

	tcase_add_test(t, auth_body_password);
	tcase_add_test(t, auth_body_appcred);
	tcase_add_test(t, creds_check_names_what_is_missing);
	tcase_add_test(t, tokens_url);
	tcase_add_test(t, token_catalog_recorded);
	tcase_add_test(t, errors_recorded);
	tcase_add_test(t, error_not_json);
	tcase_add_test(t, live_body);
	tcase_add_test(t, server_recorded);
	tcase_add_test(t, server_names);
	tcase_add_test(t, migrations_recorded);
	tcase_add_test(t, times);
	tcase_add_test(t, clouds_yaml);
	tcase_add_test(t, env_fills_only_missing);
	tcase_add_test(t, options_and_registry);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
