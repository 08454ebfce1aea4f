/* test_nova_tls.c — the nova driver's HTTPS client against a real TLS server on loopback
 * (`openssl s_server -www` with a certificate made for the test): verification is on by
 * default and refuses a certificate nobody vouches for; the cloud's cacert makes it trusted;
 * only an explicit verify = 0 (clouds.yaml `verify: false`, OS_INSECURE, migrate.insecure)
 * turns the check off. Skipped (77) when openssl is not installed. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drivers/nova_priv.h"
#include "test_util.h"

extern char **environ;

static char dir[64], cert[128], key[128], url[64];
static pid_t server = -1;

/* Runs argv with its output to /dev/null; its exit status, -1 when it could not run. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A port nobody listens on now (the kernel picks it; a race with another binder is harmless:
 * s_server would fail and the test say so). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int can_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void setup(void)
{
	char accept[64];
	int port;

	tu_tmpdir(dir, sizeof(dir), "tls");
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	char *req[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
			"-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
			"subjectAltName=IP:127.0.0.1", NULL };
	ck_assert_int_eq(run(req), 0);
	port = free_port();
	ck_assert_int_gt(port, 0);
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	char *srv[] = { "openssl", "s_server", "-quiet", "-www", "-accept", accept, "-cert", cert,
			"-key", key, NULL };
	ck_assert_int_eq(posix_spawnp(&server, "openssl", NULL, NULL, srv, environ), 0);
	for (int i = 0; i < 100 && !can_connect(port); i++) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(can_connect(port), "openssl s_server did not listen on %s", accept);
}

static void teardown(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		server = -1;
	}
	tu_rm_rf(dir);
}

START_TEST(verification_on_by_default_refuses_unknown_ca)
{
	struct mt_nova_http h = { .verify = 1, .timeout_s = 10 };
	struct mt_nova_resp r = { 0 };
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_nova_http(&h, "GET", url, NULL, NULL, NULL, &r, &err), MT_EINFRA);
	ck_assert_msg(strstr(err.msg, "certificate") != NULL, "error: %s", err.msg);
	ck_assert_msg(strstr(err.msg, url) != NULL, "the error names the URL: %s", err.msg);
	/* NULL options (no cloud settings at all) verify as well */
	ck_assert_int_eq(mt_nova_http(NULL, "GET", url, NULL, NULL, NULL, &r, &err), MT_EINFRA);
}
END_TEST

START_TEST(cacert_makes_it_trusted)
{
	struct mt_nova_http h = { .verify = 1, .cacert = cert, .timeout_s = 10 };
	struct mt_nova_resp r = { 0 };
	struct mt_error err = { 0 };

	ck_assert_msg(mt_nova_http(&h, "GET", url, NULL, "tok", "2.80", &r, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "s_server")); /* -www's status page */
	mt_nova_resp_free(&r);
}
END_TEST

START_TEST(insecure_only_when_asked)
{
	struct mt_nova_http h = { .verify = 0, .timeout_s = 10 };
	struct mt_nova_resp r = { 0 };
	struct mt_error err = { 0 };

	ck_assert_msg(mt_nova_http(&h, "GET", url, NULL, NULL, NULL, &r, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(r.code, 200);
	mt_nova_resp_free(&r);
}
END_TEST

int main(void)
{
	char *probe[] = { "openssl", "version", NULL };
	Suite *s = suite_create("nova_tls");
	TCase *tc = tcase_create("tls");

	if (run(probe) != 0) {
		printf("SKIP: openssl not installed (the TLS tests need its s_server)\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, verification_on_by_default_refuses_unknown_ca);
	tcase_add_test(tc, cacert_makes_it_trusted);
	tcase_add_test(tc, insecure_only_when_asked);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
