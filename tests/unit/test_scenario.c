/* test_scenario.c — loading scenario files: seed.ini, every error kind with its exact
 * FILE:LINE, files that are not scenarios, hosts, the file hash (with the NIST SHA-256
 * vectors), and the generated reference. Plugins are fakes registered in this binary. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_plugins.h"
#include "migtorture/scenario.h"
#include "sha256.h"

#define FIX MT_FIXTURES "/scenarios/"

/* Each bad fixture starts with "# expect: LINE: TEXT": loading must fail with MT_EINVAL and
 * the message "PATH:LINE: TEXT" exactly; TEXT ending in "..." or LINE 0 ("PATH: TEXT") are
 * prefixes. */
static const char *const bad_files[] = {
	"bad-duration.ini",	 "bare-number.ini",	   "unknown-key.ini",
	"unknown-section.ini",	 "unknown-workload.ini",   "unknown-fault.ini",
	"bad-axis.ini",		 "not-an-axis.ini",	   "bad-host.ini",
	"bad-spec-param.ini",	 "spec-check.ini",	   "unknown-driver.ini",
	"unknown-driver-key.ini", "driver-check.ini",	   "no-equals.ini",
	"key-outside.ini",	 "repeated-section.ini",   "seed-not-global.ini",
	"none-plus.ini",	 "overflow-repeat.ini",	   "bad-percent.ini",
	"unknown-host-key.ini",	 "ssh-needs-address.ini",  "bad-section-name.ini",
	"comments-only.ini",	 "header-junk.ini",	   "bad-threshold.ini",
	"empty-threshold.ini",	 "bad-guest.ini",	   "bad-client.ini",
	"bad-dest-host.ini",
};

static void read_expect(const char *path, int *line, char *text, size_t len)
{
	char buf[512];
	FILE *f = fopen(path, "r");

	ck_assert_msg(f != NULL, "fixture %s missing", path);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	ck_assert_int_eq(sscanf(buf, "# expect: %d: ", line), 1);
	snprintf(text, len, "%s", strstr(buf + 10, ": ") + 2);
}

START_TEST(bad_fixture)
{
	char path[512], text[512], want[1200];
	struct mt_error err = { 0 };
	struct mt_scenario *s = (void *)1;
	int line;

	snprintf(path, sizeof(path), FIX "%s", bad_files[_i]);
	read_expect(path, &line, text, sizeof(text));
	ck_assert_int_eq(mt_scenario_load(path, &s, &err), MT_EINVAL);
	ck_assert_ptr_null(s);
	if (line > 0 && strstr(text, "...")) {
		/* "TEXT ..." : the message starts with TEXT (the rest depends on the registry) */
		*strstr(text, "...") = '\0';
		snprintf(want, sizeof(want), "%s:%d: %s", path, line, text);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s'", err.msg);
	} else if (line > 0) {
		snprintf(want, sizeof(want), "%s:%d: %s", path, line, text);
		ck_assert_str_eq(err.msg, want);
	} else {
		snprintf(want, sizeof(want), "%s: %s", path, text);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s'", err.msg);
	}
	ck_assert_ptr_null(strchr(err.msg, '\n')); /* one line */
}
END_TEST

START_TEST(seed_ini)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan_opts o = { .seed = 1 };
	struct mt_plan *p = NULL;
	static const char *const sections[] = { "no-video", "offline-video", "online-video" };
	static const char *const workloads[] = { "web-page", "video-download", "video-stream" };

	ck_assert_msg(mt_scenario_load(MT_SOURCE_DIR "/scenarios/seed.ini", &s, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq((int)strlen(s->sha256), 64);
	ck_assert_ptr_nonnull(s->description);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	ck_assert_int_eq((int)p->ncells, 15);
	ck_assert_int_eq((int)p->total_cells, 15);
	for (size_t i = 0; i < p->ncells; i++) {
		const struct mt_cell *c = &p->cells[i];

		ck_assert_str_eq(c->section, sections[i / 5]);
		ck_assert_str_eq(c->name, sections[i / 5]);
		ck_assert_int_eq(c->repeat, (int)(i % 5));
		ck_assert_str_eq(c->driver, "libvirt");
		ck_assert_str_eq(c->source, "lab:hosta");
		ck_assert_str_eq(c->dest, "lab:hostb");
		ck_assert_str_eq(c->domain, "web");
		ck_assert(c->warmup_ns == 10000000000LL && c->cooldown_ns == 10000000000LL);
		ck_assert_int_eq((int)c->nspecs, 3); /* udp, http (from [global]), the workload */
		ck_assert_str_eq(c->specs[0].kind, "udp");
		ck_assert_str_eq(c->specs[1].kind, "http");
		ck_assert_int_eq(mt_params_i64(&c->specs[0].params, "interval", 0), 10000000);
		ck_assert_str_eq(c->specs[2].kind, workloads[i / 5]);
		ck_assert_int_eq(c->specs[2].cls, MT_SPEC_WORKLOAD);
		ck_assert_int_eq((int)c->nthresholds, 2);
		ck_assert_str_eq(c->thresholds[0].expr, "network_outage_ms.p95 <= 5s");
	}
	ck_assert(mt_params_u64(&p->cells[10].specs[2].params, "bitrate", 0) == 2000000);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(not_scenarios)
{
	char dir[] = "/tmp/mtt-parse-XXXXXX", path[600];
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	static const char bin[] = "[global]\nrepeat = 1\n\x7f" "ELF\0\0\0";
	static const char bad8[] = "[global]\n\ndescription = caf\xc3\n";
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* empty */
	snprintf(path, sizeof(path), "%s/empty.ini", dir);
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(mt_scenario_load(path, &s, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "empty"), "%s", err.msg);
	/* binary: NUL on line 3 */
	snprintf(path, sizeof(path), "%s/binary.ini", dir);
	f = fopen(path, "w");
	fwrite(bin, 1, sizeof(bin) - 1, f);
	fclose(f);
	ck_assert_int_eq(mt_scenario_load(path, &s, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, ":3: binary content (NUL byte)"), "%s", err.msg);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
	unlink(path);
	/* invalid UTF-8 on line 3 */
	ck_assert_int_eq(mt_scenario_load_buffer(bad8, sizeof(bad8) - 1, "m.ini", &s, &err),
			 MT_EINVAL);
	ck_assert_str_eq(err.msg,
			 "m.ini:3: binary content (invalid UTF-8), expected a text scenario");
	/* missing */
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	ck_assert_int_eq(mt_scenario_load(path, &s, &err), MT_EINVAL);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "No such file"),
		      "%s", err.msg);
	/* a directory */
	ck_assert_int_eq(mt_scenario_load(dir, &s, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, dir) && strstr(err.msg, "is a directory"), "%s", err.msg);
	ck_assert_ptr_null(s);
	snprintf(path, sizeof(path), "%s/empty.ini", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(buffer_errors_name_the_buffer)
{
	static const char txt[] = "[global]\nrepeat = 1\n\n\n[x]\nworkload = t-web-page interval=0s\n";
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;

	ck_assert_int_eq(mt_scenario_load_buffer(txt, sizeof(txt) - 1, "mem.ini", &s, &err),
			 MT_EINVAL);
	ck_assert_str_eq(err.msg, "mem.ini:6: workload 't-web-page': key 'interval': expected a "
				  "duration of at least 1ms, got '0s'");
	ck_assert_int_eq(mt_scenario_load_buffer("", 0, "e.ini", &s, &err), MT_EINVAL);
	ck_assert_msg(strncmp(err.msg, "e.ini: empty", 12) == 0, "%s", err.msg);
}
END_TEST

START_TEST(long_lines_and_comments)
{
	char *txt = malloc(20000), *p;
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;

	/* a 5000-character description (beyond inih's default 200) is kept whole */
	p = txt + sprintf(txt, "# c\n[global]\nrepeat = 1 ; inline comment\ndescription = ");
	memset(p, 'd', 5000);
	strcpy(p + 5000, "\n  driver = t-virt\n");
	ck_assert_msg(mt_scenario_load_buffer(txt, strlen(txt), "l.ini", &s, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq((int)strlen(s->description), 5000);
	mt_scenario_free(s);
	/* a line beyond our limit is refused at its line, not split */
	p = txt + sprintf(txt, "[global]\n\ndescription = ");
	memset(p, 'd', 17000);
	strcpy(p + 17000, "\n");
	ck_assert_int_eq(mt_scenario_load_buffer(txt, strlen(txt), "l.ini", &s, &err), MT_EINVAL);
	ck_assert_msg(strncmp(err.msg, "l.ini:3: line too long", 22) == 0, "%s", err.msg);
	free(txt);
}
END_TEST

START_TEST(hosts_and_lab_hosts)
{
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan_opts o = { .seed = 7 };
	struct mt_plan *p = NULL;
	const struct mt_host *h;

	ck_assert_msg(mt_scenario_load(FIX "hosts.ini", &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq((int)s->nhosts, 2);
	h = mt_scenario_host(s, "edge");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->kind, MT_HOST_LOCAL);
	ck_assert_str_eq(h->netns, "mtt-parse-edge");
	h = mt_scenario_host(s, "far");
	ck_assert_int_eq(h->kind, MT_HOST_SSH);
	ck_assert_str_eq(h->ssh_address, "198.18.0.2");
	ck_assert_str_eq(h->ssh_user, "root");
	ck_assert_str_eq(h->ssh_identity, "/root/.ssh/id_test");
	ck_assert_str_eq(h->remote_binary, "migtorture");
	ck_assert_ptr_null(mt_scenario_host(s, "router")); /* lab hosts are not sections */
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	/* [global] warmup axis applies to [a]; [b] replaces warmup, so it has no axis */
	ck_assert_int_eq((int)p->ncells, 3);
	ck_assert_str_eq(p->cells[0].name, "a/warmup=1s");
	ck_assert_str_eq(p->cells[1].name, "a/warmup=2s");
	ck_assert_str_eq(p->cells[2].name, "b");
	ck_assert(p->cells[2].warmup_ns == 3000000000LL);
	ck_assert_str_eq(p->cells[0].specs[0].host, "edge");
	ck_assert_str_eq(p->cells[0].specs[1].host, "lab:router");
	ck_assert_str_eq(p->cells[0].specs[2].host, "client");
	ck_assert_str_eq(p->cells[0].specs[3].host, "far");
	ck_assert_int_eq(p->cells[0].migrate_count, 0);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(global_only_file_and_seed)
{
	static const char txt[] = "[global]\nseed = 42\ndriver = t-virt\nrepeat = 2\n";
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan_opts o = { .seed = 0 };
	struct mt_plan *p = NULL;

	ck_assert_int_eq(mt_scenario_load_buffer(txt, sizeof(txt) - 1, "g.ini", &s, &err), 0);
	ck_assert(mt_scenario_seed(s, 5) == 42);
	o.seed = mt_scenario_seed(s, 5);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	ck_assert_int_eq((int)p->ncells, 2);
	ck_assert_str_eq(p->cells[0].name, "global");
	ck_assert(p->cells[0].seed == mt_cell_seed(42, "global", 0));
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(spaced_header_and_crlf)
{
	static const char txt[] = "\xef\xbb\xbf; BOM, windows line ends\r\n[ spaced ]\r\n"
				  "driver = t-virt\r\n"
				  "warmup = 2s\r\n";
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan_opts o = { .seed = 1 };
	struct mt_plan *p = NULL;

	ck_assert_msg(mt_scenario_load_buffer(txt, sizeof(txt) - 1, "w.ini", &s, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	ck_assert_str_eq(p->cells[0].name, "spaced");
	ck_assert(p->cells[0].warmup_ns == 2000000000LL);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

START_TEST(file_hash)
{
	static const char txt[] = "[global]\ndriver = t-virt\n";
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	char hex[65];

	ck_assert_int_eq(mt_scenario_load_buffer(txt, sizeof(txt) - 1, "h.ini", &s, &err), 0);
	mt_sha256_hex(txt, sizeof(txt) - 1, hex);
	ck_assert_str_eq(s->sha256, hex);
	mt_scenario_free(s);
}
END_TEST

/* FIPS 180-4 / NIST CAVS examples. */
START_TEST(sha256_vectors)
{
	char hex[65], *million = malloc(1000000);
	struct mt_sha256 c;
	uint8_t d[32];

	mt_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mt_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	mt_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	mt_sha256_hex(million, 1000000, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* fed in odd pieces: same digest */
	mt_sha256_init(&c);
	for (size_t off = 0; off < 1000000; off += 7777)
		mt_sha256_update(&c, million + off, off + 7777 > 1000000 ? 1000000 - off : 7777);
	mt_sha256_final(&c, d);
	ck_assert_int_eq(d[0], 0xcd);
	ck_assert_int_eq(d[31], 0xd0);
	free(million);
}
END_TEST

START_TEST(reference_markdown)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mt_scenario_reference_markdown(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "# Scenario file reference"));
	ck_assert_ptr_nonnull(strstr(buf, "| `warmup` | duration | `10s` |"));
	ck_assert_ptr_nonnull(strstr(buf, "| `migrate.count` | integer | `1` | 0 .. 1000 |"));
	ck_assert_ptr_nonnull(strstr(buf, "| `for` | duration |"));
	ck_assert_ptr_nonnull(strstr(buf, "### `t-netem`"));
	ck_assert_ptr_nonnull(strstr(buf, "### `t-virt`"));
	ck_assert_ptr_nonnull(strstr(buf, "| `migrate.bandwidth` | byte rate |"));
	free(buf);
}
END_TEST

/* `guest` and `client`: [global] < section, kept as written on the cell, NULL when absent
 * (the runner's lab-or-nothing default); IPv6 literals and every client form are accepted. */
START_TEST(guest_and_client_keys)
{
	static const char txt[] = "[global]\ndriver = t-virt\nsource = hosta\ndest = hostb\n"
				  "guest = 198.18.0.50\nclient = lab:client\n"
				  "[host:edge]\nkind = local\n"
				  "[v4]\n"
				  "[v6]\nguest = 2001:db8::5\nclient = edge\n"
				  "[lab]\nguest = lab:guest\nclient = local\n";
	static const char none[] = "[global]\ndriver = t-virt\n";
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;
	struct mt_plan_opts o = { .seed = 1 };
	struct mt_plan *p = NULL;

	ck_assert_msg(mt_scenario_load_buffer(txt, sizeof(txt) - 1, "gc.ini", &s, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	ck_assert_int_eq((int)p->ncells, 3);
	ck_assert_str_eq(p->cells[0].guest, "198.18.0.50");
	ck_assert_str_eq(p->cells[0].client, "lab:client");
	ck_assert_str_eq(p->cells[1].guest, "2001:db8::5");
	ck_assert_str_eq(p->cells[1].client, "edge");
	ck_assert_str_eq(p->cells[2].guest, "lab:guest");
	ck_assert_str_eq(p->cells[2].client, "local");
	mt_plan_free(p);
	mt_scenario_free(s);
	p = NULL;
	ck_assert_int_eq(mt_scenario_load_buffer(none, sizeof(none) - 1, "n.ini", &s, &err), 0);
	ck_assert_int_eq(mt_plan_build(s, &o, &p, &err), 0);
	ck_assert_ptr_null(p->cells[0].guest);
	ck_assert_ptr_null(p->cells[0].client);
	mt_plan_free(p);
	mt_scenario_free(s);
}
END_TEST

/* A bad address is refused wherever it is, with its line: an axis alternative too. */
START_TEST(guest_bad_addresses)
{
	static const char *const bad[] = { "guest = 198.18.0", "guest = web.example.org",
					   "guest = [2001:db8::5]", "guest = lab:hosta",
					   "guest = 2001:db8::5/64", "guest =  ", "guest = lab:guest11" };
	char txt[256], want[256];
	struct mt_error err = { 0 };
	struct mt_scenario *s = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(txt, sizeof(txt), "[global]\ndriver = t-virt\n\n%s\n", bad[i]);
		ck_assert_int_eq(mt_scenario_load_buffer(txt, strlen(txt), "b.ini", &s, &err),
				 MT_EINVAL);
		ck_assert_ptr_null(s);
		snprintf(want, sizeof(want), "b.ini:4: key 'guest': expected lab:guest, lab:guestN ...");
		*strstr(want, "...") = '\0';
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s: got '%s'", bad[i],
			      err.msg);
	}
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *t = tcase_create("load");

	tcase_add_loop_test(t, bad_fixture, 0, (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(t, seed_ini);
	tcase_add_test(t, not_scenarios);
	tcase_add_test(t, buffer_errors_name_the_buffer);
	tcase_add_test(t, long_lines_and_comments);
	tcase_add_test(t, hosts_and_lab_hosts);
	tcase_add_test(t, global_only_file_and_seed);
	tcase_add_test(t, spaced_header_and_crlf);
	tcase_add_test(t, file_hash);
	tcase_add_test(t, sha256_vectors);
	tcase_add_test(t, reference_markdown);
	tcase_add_test(t, guest_and_client_keys);
	tcase_add_test(t, guest_bad_addresses);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenario_suite());
	int failed;

	fake_plugins_register();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mt_registry_reset_extra();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
