/* test_guest_disk.c — guest-disk's host side without a VM: mt-guest disk-status JSON turned into
 * the latency series, stall figures per phase, and refusals of output that is not a status.
 * Also runs the real mt-guest disk probe on a file (no VM, no block device needed). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "workloads/guest_disk.h"

#define S(x) ((int64_t)((x) * 1e9))

START_TEST(stalls_and_phases)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "c");
	struct mt_phases ph = { S(10), S(20), S(30) };
	/* guest clock = host + 100 s; writes at host 5 s (2 ms), 12 s (5200 ms: a pause),
	 * 15 s (150 ms), 25 s (99 ms: under the 100 ms threshold) */
	static const char js[] = "{\"writes\":4,\"errors\":0,\"interval_ms\":10,"
				 "\"now_mono_ns\":130000000000,\"running\":false,\"samples\":["
				 "[105000000000,2000,0],[112000000000,5200000,0],"
				 "[115000000000,150000,0],[125000000000,99000,0]]}";
	const struct mt_series *s;

	ck_assert_int_eq(mt_guest_disk_put(c, &ph, js, S(30), S(0.1)), 0);
	ck_assert_double_eq(mt_cell_metric(c, "guest_disk.writes_count")->num, 4);
	ck_assert_double_eq(mt_cell_metric(c, "guest_disk.stall_count")->num, 2);
	ck_assert_double_eq_tol(mt_cell_metric(c, "guest_disk.longest_stall_ms")->num, 5200, 1e-9);
	ck_assert_double_eq_tol(mt_cell_metric(c, "guest_disk.stall_total_ms")->num, 5350, 1e-9);
	ck_assert_double_eq(mt_cell_metric(c, "guest_disk.during.stall_count")->num, 2);
	ck_assert_double_eq(mt_cell_metric(c, "guest_disk.baseline.stall_count")->num, 0);
	ck_assert_double_eq(mt_cell_metric(c, "guest_disk.after.longest_stall_ms")->num, 0);
	ck_assert_double_eq_tol(mt_cell_metric(c, "guest_disk.latency_max_ms")->num, 5200, 1e-9);
	/* 2, 99, 150, 5200 ms: percentiles interpolate between ranks (stats.h), as everywhere */
	ck_assert_double_eq_tol(mt_cell_metric(c, "guest_disk.latency_p50_ms")->num, 124.5, 1e-9);
	ck_assert_double_eq_tol(mt_cell_metric(c, "guest_disk.latency_p99_ms")->num, 5048.5, 1e-9);
	s = &c->series[0];
	ck_assert_str_eq(s->name, "guest_disk.latency_ms");
	ck_assert_uint_eq(s->n, 4);
	ck_assert_int_eq(s->t_ns[0], S(5));
	ck_assert_int_eq(s->t_ns[1], S(12));
	mt_run_result_free(&run);
}
END_TEST

START_TEST(not_a_status)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "c");

	ck_assert_int_eq(mt_guest_disk_put(c, NULL, "nope", 0, 1), MT_EINVAL);
	ck_assert_int_eq(mt_guest_disk_put(c, NULL, "{\"writes\":1}", 0, 1), MT_EINVAL);
	ck_assert_int_eq(mt_guest_disk_put(c, NULL,
					   "{\"writes\":1,\"errors\":0,\"now_mono_ns\":1,"
					   "\"samples\":[[1,\"x\",0]]}",
					   0, 1),
			 MT_EINVAL);
	mt_run_result_free(&run);
}
END_TEST

#ifdef MT_GUEST_BINARY
static char *run_guest(const char *const argv[], int *code)
{
	int fd[2];
	static char buf[1 << 16];
	size_t n = 0;
	ssize_t r;
	pid_t p;
	int st;

	ck_assert_int_eq(pipe(fd), 0);
	p = fork();
	if (p == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]); /* else the detached probe would hold the pipe open */
		execv(MT_GUEST_BINARY, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	while ((r = read(fd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd[0]);
	buf[n] = '\0';
	waitpid(p, &st, 0);
	*code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

/* The real probe on a scratch file (O_DIRECT works on tmpfs? not always: use the build dir's
 * file system, which is ext4/overlay here), then the pattern round trip. */
START_TEST(probe_on_a_file)
{
	char dir[] = "/var/tmp/mt-gdisk.XXXXXX", dev[64], state[80], sum1[64];
	const char *probe[] = { "mt-guest", "disk", "--dev", dev, "--offset", "0", "--state", state,
				"--interval-ms", "5", NULL };
	const char *status[] = { "mt-guest", "disk-stop", "--state", state, NULL };
	const char *fill[] = { "mt-guest", "disk-fill", "--dev", dev, "--offset", "1M", "--size",
			       "2M", "--seed", "3", NULL };
	const char *sum[] = { "mt-guest", "disk-sum", "--dev", dev, "--offset", "1M", "--size",
			      "2M", NULL };
	FILE *f;
	char *out;
	int code;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dev, sizeof(dev), "%s/disk", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	f = fopen(dev, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 4 << 20), 0);
	fclose(f);
	out = run_guest(probe, &code);
	if (code == 1) { /* no O_DIRECT on this file system */
		unlink(dev);
		rmdir(dir);
		return;
	}
	ck_assert_msg(code == 0 && strstr(out, "\"pid\":"), "disk: %d %s", code, out);
	usleep(300000);
	out = run_guest(status, &code);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(strstr(out, "\"writes\":") && !strstr(out, "\"writes\":0,"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"errors\":0,"));
	out = run_guest(fill, &code);
	ck_assert_int_eq(code, 0);
	snprintf(sum1, sizeof(sum1), "%.40s", out);
	out = run_guest(sum, &code);
	ck_assert_int_eq(code, 0);
	ck_assert_msg(strncmp(out, sum1, 40) == 0, "fill %s vs sum %s", sum1, out);
	unlink(dev);
	unlink(state);
	rmdir(dir);
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("guest_disk");
	TCase *tc = tcase_create("host side");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, stalls_and_phases);
	tcase_add_test(tc, not_a_status);
#ifdef MT_GUEST_BINARY
	tcase_add_test(tc, probe_on_a_file);
#endif
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
