/* libvirt_events.c — libvirt's default event loop, in its own thread, once per process.
 *
 * Domain events (MIGRATION_ITERATION, JOB_COMPLETED) and connection keepalives need a running
 * libvirt event loop. The run loop is ours (epoll), libvirt's is not pluggable into it without
 * re-implementing virEventRegisterImpl, so libvirt gets a thread of its own (threads only where
 * a library forces them: docs/architecture.md §4). The implementation must be registered before
 * the first connection is opened; the thread lives until the process exits.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "libvirt_priv.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_msg[256];

static void *event_thread(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			break; /* only on internal failure; nothing sensible left to do */
	return NULL;
}

/* libvirt prints every error to stderr unless a handler is set; the driver reports libvirt's
 * message itself (virGetLastErrorMessage), once, where it belongs. */
static void quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

int mt_lv_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, int detached)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void init_once(void)
{
	pthread_t t;

	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
		init_rc = MT_EINFRA;
		snprintf(init_msg, sizeof(init_msg), "libvirt event loop: %s",
			 virGetLastErrorMessage());
		return;
	}
	virSetErrorFunc(NULL, quiet_errors);
	if (mt_lv_thread_start(&t, event_thread, NULL, 1) != 0) {
		init_rc = MT_EINFRA;
		snprintf(init_msg, sizeof(init_msg), "libvirt event loop: cannot start thread");
	}
}

int mt_lv_events_init(struct mt_error *err)
{
	pthread_once(&once, init_once);
	if (init_rc)
		return mt_err(err, init_rc, "%s", init_msg);
	return 0;
}
