/* test_guest_dirty.c — mt-guest's guest stress run here on the host: the dirtier holds its
 * rate (±10 %, measured with this test's own clock over 5 s: the accuracy it promises), verify
 * passes on a running dirtier and catches one flipped byte with its offset, the cpu load starts
 * and stops. Runs the real static binary (MT_GUEST_BINARY). */
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

extern char **environ;

static char tmpdir[256], state[300];

static void setup(void)
{
	tu_tmpdir(tmpdir, sizeof(tmpdir), "stress-guest");
	snprintf(state, sizeof(state), "%s/dirty", tmpdir);
}

/* Everything under tmpdir goes (a killed runner leaves stress-ng's report dir behind). */
static void teardown(void)
{
	tu_rm_rf(tmpdir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs mt-guest with args (NULL-terminated), stdout into out; returns the exit status. */
static int run(char *out, size_t outlen, ...)
{
	char *argv[24];
	va_list ap;
	int n = 0, fds[2], st = -1;
	size_t len = 0;
	ssize_t r;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	argv[n++] = MT_GUEST_BINARY;
	va_start(ap, outlen);
	while (n < 23 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	/* CLOEXEC: a detaching mt-guest must not keep our pipe open (dup2 clears it on fd 1) */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (len + 1 < outlen && (r = read(fds[0], out + len, outlen - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(fds[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double field(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(json, k);
	ck_assert_msg(p != NULL, "no %s in %s", key, json);
	return strtod(p + strlen(k), NULL);
}

START_TEST(rate_accuracy)
{
	char out[4096];
	double b1, b2, t1, t2, rate, want = 100.0 * 1048576;

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "64M", "--rate", "100M/s",
			     "--state", state, NULL), 0);
	usleep(300000);
	t1 = now_s();
	ck_assert_int_eq(run(out, sizeof(out), "dirty-status", "--state", state, NULL), 0);
	b1 = field(out, "bytes");
	sleep(5);
	t2 = now_s();
	ck_assert_int_eq(run(out, sizeof(out), "dirty-status", "--state", state, NULL), 0);
	b2 = field(out, "bytes");
	rate = (b2 - b1) / (t2 - t1);
	printf("dirty 64M at 100M/s: %.2f MiB/s over %.2f s (%.2f %% off); dirtier says %.2f MiB/s\n",
	       rate / 1048576, t2 - t1, 100 * (rate - want) / want,
	       field(out, "achieved_bps") / 1048576);
	ck_assert_int_eq(run(out, sizeof(out), "stop", "--state", state, NULL), 0);
	ck_assert_double_eq(field(out, "running"), 0);
	ck_assert_msg(rate > 0.9 * want && rate < 1.1 * want, "achieved %.0f B/s, set %.0f", rate,
		      want);
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", state, NULL), 0);
}
END_TEST

/* Verify during writing: pages caught mid-write are retried, never reported lost. */
START_TEST(verify_while_running)
{
	char out[4096];

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "4M", "--rate", "400M/s",
			     "--pattern", "random", "--state", state, NULL), 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_msg(run(out, sizeof(out), "verify", "--state", state, NULL) == 0, "%s",
			      out);
		ck_assert_ptr_nonnull(strstr(out, "\"memory_integrity\":\"ok\""));
		usleep(20000);
	}
	ck_assert_int_eq(run(out, sizeof(out), "stop", "--state", state, NULL), 0);
	ck_assert(field(out, "bytes") > 0);
}
END_TEST

START_TEST(flipped_byte)
{
	char out[4096];
	unsigned char c;
	off_t at;
	int fd;

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--foreground", "--seconds", "1", "--size",
			     "1M", "--rate", "10M/s", "--state", state, NULL), 0);
	ck_assert_double_eq(field(out, "running"), 0);
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", state, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"memory_integrity\":\"ok\""));
	ck_assert_int_eq(run(out, sizeof(out), "dirty-status", "--state", state, NULL), 0);
	/* one byte in page 5 */
	at = (off_t)field(out, "data_offset") + 5 * 4096 + 100;
	fd = open(state, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, at), 1);
	c ^= 0x10;
	ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
	close(fd);
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", state, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"memory_integrity\":\"lost\""));
	ck_assert_double_eq(field(out, "lost_pages"), 1);
	ck_assert_double_eq(field(out, "first_offset"), 5 * 4096);
}
END_TEST

/* A byte flipped behind a RUNNING dirtier: its next pass would heal the page, so it checks
 * each page before rewriting it and keeps the count (the lost-write case of a migration). */
START_TEST(flipped_byte_while_running)
{
	char out[4096];
	unsigned char c;
	off_t at;
	int fd;

	/* 1 MiB at 1 MiB/s: 256 page writes a second, so the flip (one pread/pwrite) races a
	 * write of that very page with odds of about 1 in 4000 */
	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "1M", "--rate", "1M/s",
			     "--state", state, NULL), 0);
	ck_assert_int_eq(run(out, sizeof(out), "dirty-status", "--state", state, NULL), 0);
	at = (off_t)field(out, "data_offset") + 7 * 4096 + 33;
	fd = open(state, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, at), 1);
	c ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
	close(fd);
	usleep(1300000); /* more than one full pass: page 7 has been rewritten since */
	ck_assert_int_eq(run(out, sizeof(out), "stop", "--state", state, NULL), 0);
	ck_assert_double_eq(field(out, "lost_seen"), 1);
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", state, NULL), 1);
	ck_assert_double_eq(field(out, "lost_pages"), 1);
	ck_assert_double_eq(field(out, "first_offset"), 7 * 4096);
	/* --remove releases the state once the dirtier is gone */
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", state, "--remove", NULL), 1);
	ck_assert(access(state, F_OK) != 0);
}
END_TEST

/* Removing the state file ends the dirtier (a test's cleanup, or rm in the guest). */
START_TEST(removed_state_ends_dirtier)
{
	char out[4096], path[64], st = 0;
	int pid, gone = 0;

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "1M",
			     "--rate", "1M/s", "--state", state, NULL), 0);
	pid = (int)field(out, "pid");
	ck_assert_int_eq(unlink(state), 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 100 && !gone; i++) {
		FILE *f = fopen(path, "r");

		gone = !f || (fscanf(f, "%*d %*s %c", &st) == 1 && (st == 'Z' || st == 'X'));
		if (f)
			fclose(f);
		usleep(20000);
	}
	ck_assert_msg(gone, "dirtier %d still running after its state was removed", pid);
}
END_TEST

/* A dirtier left running (its host side died) is stopped by the next start on that state. */
START_TEST(restart_stops_previous)
{
	char out[4096], path[64], st = 0;
	int first;
	FILE *f;

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "1M", "--rate", "1M/s",
			     "--state", state, NULL), 0);
	first = (int)field(out, "pid");
	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "2M", "--rate", "1M/s",
			     "--state", state, NULL), 0);
	ck_assert_int_ne((int)field(out, "pid"), first);
	snprintf(path, sizeof(path), "/proc/%d/stat", first);
	f = fopen(path, "r");
	if (f) { /* gone, or a zombie nobody reaped yet */
		ck_assert_int_eq(fscanf(f, "%*d %*s %c", &st), 1);
		fclose(f);
		ck_assert_msg(st == 'Z' || st == 'X', "first dirtier %d still running (%c)", first,
			      st);
	}
	ck_assert_int_eq(run(out, sizeof(out), "stop", "--state", state, NULL), 0);
	ck_assert_double_eq(field(out, "pages"), 512);
}
END_TEST

START_TEST(cpu_load)
{
	char out[4096], pf[320];

	snprintf(pf, sizeof(pf), "%s/cpu.pid", tmpdir);
	ck_assert_int_eq(run(out, sizeof(out), "cpu", "--seconds", "60", "--workers", "1", "--load", "20",
			     "--pidfile", pf, NULL), 0);
	ck_assert(access(pf, F_OK) == 0);
	usleep(1000000);
	ck_assert_int_eq(run(out, sizeof(out), "stop", "--pidfile", pf, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"stopped\":true"));
	printf("cpu --load 20: %.2f s CPU in %.2f s\n", field(out, "cpu_s"), field(out, "seconds"));
	ck_assert(field(out, "cpu_s") > 0);
	ck_assert(access(pf, F_OK) != 0);
	ck_assert_int_eq(run(out, sizeof(out), "cpu", "--workers", "0", NULL), 2);
}
END_TEST

START_TEST(usage_errors)
{
	char out[512];

	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--seconds", "60",
			     "--size", "lots", "--state", state, NULL),
			 2);
	ck_assert_int_eq(run(out, sizeof(out), "dirty", "--pattern", "zigzag", NULL), 2);
	ck_assert_int_eq(run(out, sizeof(out), "verify", "--state", "/nonexistent/x", NULL), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_dirty");
	TCase *tc = tcase_create("mt-guest");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rate_accuracy);
	tcase_add_test(tc, verify_while_running);
	tcase_add_test(tc, flipped_byte);
	tcase_add_test(tc, flipped_byte_while_running);
	tcase_add_test(tc, restart_stops_previous);
	tcase_add_test(tc, removed_state_ends_dirtier);
	tcase_add_test(tc, cpu_load);
	tcase_add_test(tc, usage_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
