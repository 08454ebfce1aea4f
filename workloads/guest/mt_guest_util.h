/* mt_guest_util.h — helpers shared by mt-guest's stress subcommands (mt_guest_dirty.c,
 * mt_guest_load.c): clock, options, detaching, waiting for a process. Internal to mt-guest. */
#ifndef MT_GUEST_UTIL_H
#define MT_GUEST_UTIL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

/* Options of the stress subcommands (each uses the ones it needs). */
struct dopts {
	const char *state, *pidfile;
	uint64_t size, rate;
	int pattern, foreground, samples, nocheck, remove;
	int64_t seconds;
	uint64_t seed;
	int workers;
	double load;
};

/* Set by SIGTERM/SIGINT (mtg_on_stop); the loops poll it. */
extern volatile sig_atomic_t mtg_stop_flag;
void mtg_on_stop(int sig);

int64_t mtg_mono(void); /* CLOCK_MONOTONIC ns */

/* Parses argv[from..] into o; 0, or 2 after printing the usage error. */
int mtg_parse_opts(int argc, char **argv, int from, struct dopts *o);

/* fork; the parent waits (up to 120 s) for *ready, prints {"pid":..,"state":..} and sets
 * *is_parent; the child (setsid, stdio on /dev/null) returns 0 to carry on. -1 on failure. */
int mtg_detach_after_ready(_Atomic uint32_t *ready, const char *state, int *is_parent);

/* Waits up to ms for pid to be gone (or a zombie); 1 when it is. */
int mtg_wait_exit(pid_t pid, int ms);

/* utime+stime (s) and age (s) of pid from /proc; -1 when unreadable. */
int mtg_cpu_share(pid_t pid, double *cpu_s, double *age_s);

/* Stops the dirtier of state (SIGTERM, then SIGKILL after 5 s) and prints its final status;
 * 0, or 2 when there is no state (mt_guest_dirty.c). */
int mtg_dirty_stop(const char *state);

#endif
