/* migtorture/loop.h — the one event loop (epoll + timerfd) a cell runs in.
 *
 * Probes and workloads register their sockets and periodic timers here instead of starting
 * threads (docs/architecture.md §4). Callbacks run in the loop's thread, one at a time.
 */
#ifndef MIGTORTURE_LOOP_H
#define MIGTORTURE_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "error.h"

struct mt_loop;

/* fd callback: events is the epoll mask (EPOLLIN, ...). Return < 0 to stop the loop with that
 * error (the runner records it). */
typedef int (*mt_fd_cb)(struct mt_loop *loop, int fd, unsigned events, void *arg);
/* timer callback: now_ns is the monotonic time it fired at. */
typedef int (*mt_timer_cb)(struct mt_loop *loop, int64_t now_ns, void *arg);

int mt_loop_new(struct mt_loop **out, struct mt_error *err);
void mt_loop_free(struct mt_loop *loop);

/* Watches fd for events (EPOLLIN/EPOLLOUT); one registration per fd. */
int mt_loop_add_fd(struct mt_loop *loop, int fd, unsigned events, mt_fd_cb cb, void *arg,
		   struct mt_error *err);
int mt_loop_mod_fd(struct mt_loop *loop, int fd, unsigned events);
void mt_loop_del_fd(struct mt_loop *loop, int fd);

/* Calls cb first at first_ns (absolute monotonic), then every interval_ns (0 = once).
 * *id identifies it for mt_loop_del_timer. */
int mt_loop_add_timer(struct mt_loop *loop, int64_t first_ns, int64_t interval_ns,
		      mt_timer_cb cb, void *arg, uint64_t *id, struct mt_error *err);
void mt_loop_del_timer(struct mt_loop *loop, uint64_t id);

/* Runs until mt_loop_stop, a callback error, or deadline_ns (absolute; 0 = none). Returns 0,
 * the callback's error, or MT_EINTR when a SIGINT/SIGTERM arrived (see mt_signals_*). */
int mt_loop_run(struct mt_loop *loop, int64_t deadline_ns, struct mt_error *err);
void mt_loop_stop(struct mt_loop *loop);

/* Monotonic now, ns. */
int64_t mt_loop_now(const struct mt_loop *loop);

/* The signal (SIGINT or SIGTERM) that made mt_loop_run return MT_EINTR, or 0. Every loop reads
 * SIGINT/SIGTERM through its own signalfd; that only sees them while they are blocked
 * (mt_signals_block), otherwise they keep their default action. */
int mt_loop_signal(const struct mt_loop *loop);

/* Blocks SIGINT and SIGTERM in the calling thread (the runner does this before its first
 * loop, so a signal is never lost between cells: it stays pending for the next loop or for
 * mt_signals_pending). *old receives the previous mask for mt_signals_restore.
 * Children started with posix_spawn inherit the mask: spawn them with
 * POSIX_SPAWN_SETSIGMASK and an empty mask, or they will ignore SIGTERM. */
int mt_signals_block(sigset_t *old, struct mt_error *err);
void mt_signals_restore(const sigset_t *old);
/* Consumes and returns a pending SIGINT/SIGTERM (blocked), or 0 when none is pending. */
int mt_signals_pending(void);

#endif
