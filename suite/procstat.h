/* procstat.h — what the library reads of /proc/PID/stat, in one place (not a public contract).
 * A process is identified by its pid together with its start time: a pid alone may have been
 * reused by the time a journal entry is undone. */
#ifndef MT_PROCSTAT_H
#define MT_PROCSTAT_H

struct mt_procstat {
	char state;                      /* R, S, D, T, t, Z, X, ... (field 3) */
	int ppid, pgrp;                  /* fields 4 and 5 */
	unsigned long flags;             /* PF_* (field 9): PF_KTHREAD marks a kernel thread */
	unsigned long long utime, stime; /* CPU time in clock ticks (fields 14, 15) */
	unsigned long long start;        /* start time, clock ticks after boot (field 22) */
};

/* Reads pid's fields. Returns 0, MT_ENOTFOUND when there is no such process, MT_EIO when the
 * line does not parse. */
int mt_procstat_read(int pid, struct mt_procstat *st);

/* The three fields most callers need; any pointer may be NULL. Returns as mt_procstat_read. */
int mt_proc_stat(int pid, char *state, int *pgrp, unsigned long long *start);

/* 1 while any member of process group pgid runs (zombies do not count), 0 when none does or
 * pgid <= 1. An unreadable /proc counts as running: the caller must not assume it is gone. */
int mt_group_alive(int pgid);

#endif
