/* mt_guest_util.c — helpers shared by mt-guest's stress subcommands (see mt_guest_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mt_guest_cmds.h"
#include "mt_guest_util.h"

volatile sig_atomic_t mtg_stop_flag;

void mtg_on_stop(int sig)
{
	(void)sig;
	mtg_stop_flag = 1;
}

int64_t mtg_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* --- sizes and rates: 64M, 1G, 100M/s (K/M/G = 1024-based, like migtorture's units) --- */

int mtg_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1;

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1024.0; end++; break;
	case 'm': case 'M': mul = 1048576.0; end++; break;
	case 'g': case 'G': mul = 1073741824.0; end++; break;
	default: break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (strcmp(end, "/s") == 0)
		end += 2;
	if (*end)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

int mtg_parse_opts(int argc, char **argv, int from, struct dopts *o)
{
	for (int i = from; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--foreground") || !strcmp(a, "-f")) {
			o->foreground = 1;
			continue;
		}
		if (!strcmp(a, "--samples")) {
			o->samples = 1;
			continue;
		}
		if (!strcmp(a, "--no-check")) {
			o->nocheck = 1;
			continue;
		}
		if (!strcmp(a, "--remove")) {
			o->remove = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "mt-guest: '%s' needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--state")) {
			o->state = v;
		} else if (!strcmp(a, "--pidfile")) {
			o->pidfile = v;
		} else if (!strcmp(a, "--size")) {
			if (mtg_parse_size(v, &o->size) < 0 || o->size < 4096) { /* one page */
				fprintf(stderr, "mt-guest: --size: expected e.g. 64M, got '%s'\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--rate")) {
			if (mtg_parse_size(v, &o->rate) < 0) {
				fprintf(stderr, "mt-guest: --rate: expected e.g. 100M/s, got '%s'\n",
					v);
				return 2;
			}
		} else if (!strcmp(a, "--pattern")) {
			if (strcmp(v, "seq") && strcmp(v, "random")) {
				fprintf(stderr, "mt-guest: --pattern: seq or random, got '%s'\n", v);
				return 2;
			}
			o->pattern = !strcmp(v, "random");
		} else if (!strcmp(a, "--seconds")) {
			o->seconds = strtoll(v, NULL, 10);
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--workers")) {
			o->workers = atoi(v);
		} else if (!strcmp(a, "--load")) {
			o->load = strtod(v, NULL);
		} else {
			fprintf(stderr, "mt-guest: unknown option '%s'\n", a);
			return 2;
		}
	}
	return 0;
}

int mtg_detach_after_ready(_Atomic uint32_t *ready, const char *state, int *is_parent)
{
	pid_t p = fork();
	int fd;

	*is_parent = 0;
	if (p < 0)
		return -1;
	if (p > 0) {
		/* Up to 120 s: filling 128 MiB under TCG takes a few seconds. */
		for (int i = 0; i < 12000 && !atomic_load(ready); i++) {
			if (waitpid(p, NULL, WNOHANG) == p)
				break;
			usleep(10000);
		}
		*is_parent = 1;
		if (!atomic_load(ready)) {
			fprintf(stderr, "mt-guest: the background process did not get ready\n");
			return -1;
		}
		printf("{\"pid\":%d,\"state\":\"%s\"}\n", (int)p, state ? state : "");
		return 0;
	}
	setsid();
	/* inherited on purpose, no O_CLOEXEC: with 0-2 closed this fd is the new stdin */
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return chdir("/");
}

/* Gone, or a zombie (a detached process's parent is init, which may reap it late). */
static int proc_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t r;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

int mtg_wait_exit(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (proc_gone(pid))
			return 1;
		usleep(10000);
	}
	return proc_gone(pid);
}

int mtg_cpu_share(pid_t pid, double *cpu_s, double *age_s)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, start;
	double up;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
			 "%*d %*d %*d %*d %llu", &ut, &st, &start) != 3)
		return -1;
	f = fopen("/proc/uptime", "re");
	if (!f || fscanf(f, "%lf", &up) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	*cpu_s = (double)(ut + st) / hz;
	*age_s = up - (double)start / hz;
	return 0;
}

