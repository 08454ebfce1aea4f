/* mt_guest_load.c — `mt-guest cpu` (N threads busy P % of every 100 ms) and `mt-guest stop`
 * (the dirtier by --state, the cpu load by --pidfile). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mt_guest_cmds.h"
#include "mt_guest_util.h"

int mtg_cmd_stop(int argc, char **argv, int from)
{
	struct dopts o = { 0 };
	FILE *f;
	int rc, v = 0;

	if ((rc = mtg_parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	if (o.state)
		return mtg_dirty_stop(o.state);
	if (!o.pidfile) {
		fprintf(stderr, "mt-guest: stop needs --state or --pidfile\n");
		return 2;
	}
	f = fopen(o.pidfile, "re");
	if (!f || fscanf(f, "%d", &v) != 1) {
		fprintf(stderr, "mt-guest: %s: no pid\n", o.pidfile);
		if (f)
			fclose(f);
		return 2;
	}
	fclose(f);
	if (v > 1) {
		double cpu = 0, age = 0;
		int have = mtg_cpu_share(v, &cpu, &age) == 0;

		kill(v, SIGTERM);
		if (!mtg_wait_exit(v, 5000)) {
			kill(v, SIGKILL);
			mtg_wait_exit(v, 2000);
		}
		printf("{\"pid\":%d,\"stopped\":true,\"cpu_s\":%.3f,\"seconds\":%.3f}\n", v,
		       have ? cpu : -1, have ? age : -1);
	} else {
		printf("{\"stopped\":false}\n");
	}
	unlink(o.pidfile);
	return 0;
}

static double cpu_load = 100;

static void *burn(void *arg)
{
	const int64_t period = 100000000LL;
	volatile uint64_t x = (uintptr_t)arg;

	(void)arg;
	while (!mtg_stop_flag) {
		int64_t t = mtg_mono(), busy_end = t + (int64_t)(period * cpu_load / 100);
		struct timespec rest;

		while (mtg_mono() < busy_end)
			for (int i = 0; i < 1000; i++)
				x = x * 6364136223846793005ULL + 1;
		t = t + period - mtg_mono();
		if (t > 0) {
			rest.tv_sec = t / 1000000000LL;
			rest.tv_nsec = t % 1000000000LL;
			nanosleep(&rest, NULL);
		}
	}
	return NULL;
}

int mtg_cmd_cpu(int argc, char **argv, int from)
{
	struct dopts o = { .workers = 1, .load = 100 };
	struct sigaction sa = { .sa_handler = mtg_on_stop };
	_Atomic uint32_t *ready;
	pthread_t th[256];
	int n, rc, is_parent;

	if ((rc = mtg_parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	if (o.workers < 1 || o.workers > 256 || o.load < 0 || o.load > 100) {
		fprintf(stderr, "mt-guest: cpu: --workers 1..256, --load 0..100\n");
		return 2;
	}
	cpu_load = o.load;
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (ready == MAP_FAILED)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o.foreground) {
		if (mtg_detach_after_ready(ready, o.pidfile, &is_parent) < 0)
			return 1;
		if (is_parent)
			return 0;
	}
	if (o.pidfile) {
		FILE *f = fopen(o.pidfile, "we");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	for (n = 0; n < o.workers; n++)
		if (pthread_create(&th[n], NULL, burn, (void *)(uintptr_t)(n + 1)) != 0)
			break;
	atomic_store(ready, 1);
	/* The signal may land in any thread: poll the flag (and the optional end). */
	for (int64_t end = o.seconds > 0 ? mtg_mono() + o.seconds * 1000000000LL : INT64_MAX;
	     !mtg_stop_flag && mtg_mono() < end;)
		usleep(50000);
	mtg_stop_flag = 1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
