/* libvirt_phases.c — a migration hop's phases queued for the runner's anchors (plugin.h
 * phase_fd/phase_next): the queue both drivers hand the runner, and for a driver that does not
 * call libvirt to migrate (nova: Nova's compute drives libvirt on the hosts) the source host's
 * libvirt events that fill it.
 *
 * The source's libvirtd reports what it does to the domain whoever asked: a new pre-copy pass
 * (MIGRATION_ITERATION), the pause for the final copy or post-copy's switch (LIFECYCLE
 * suspended, detail MIGRATED / POSTCOPY). A watch holds one connection to it with those
 * callbacks for one domain, and queues each as an mt_phase_event of the hop it was armed for;
 * the runner takes them through an eventfd. The libvirt driver has its own connections and
 * callbacks and uses the queue alone (arm, push, suspended, stop). Callbacks run on libvirt's event thread (libvirt_events.c) and hold a reference each,
 * dropped by libvirt once a callback can no longer run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "libvirt_priv.h"
#include "migtorture/units.h"

#define MAX_QUEUED 256

struct mt_lv_phasewatch {
	atomic_int refs;     /* owner + one per registered callback */
	pthread_mutex_t mu;  /* guards everything below but efd */
	int efd;             /* readable while the queue holds events */
	virConnectPtr conn;  /* the hop's source; NULL between hops */
	int cb_life, cb_iter;
	char *domain;
	int hop, armed, switched;
	struct mt_phase_event q[MAX_QUEUED];
	int n, lost;
};

static void unref(void *opaque)
{
	struct mt_lv_phasewatch *w = opaque;

	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&w->mu);
	if (w->efd >= 0)
		close(w->efd);
	free(w->domain);
	free(w);
}

/* Queues a phase of the armed hop (caller holds mu). */
static void push(struct mt_lv_phasewatch *w, enum mt_hop_phase ph, double value, int64_t t_ns)
{
	uint64_t one = 1;

	if (!w->armed)
		return;
	if (w->n == MAX_QUEUED) {
		w->lost++;
		return;
	}
	w->q[w->n++] = (struct mt_phase_event){ .hop = w->hop, .phase = ph, .value = value,
						  .t_ns = t_ns };
	/* An eventfd write of 1 fails only when the counter would overflow: then it is set. */
	(void)!write(w->efd, &one, sizeof(one));
}

static int ours(struct mt_lv_phasewatch *w, virDomainPtr dom)
{
	const char *name = dom ? virDomainGetName(dom) : NULL;

	return name && w->domain && strcmp(name, w->domain) == 0;
}

/* The source suspended the domain (caller holds mu): the switch-over, the first time in a hop
 * — the final copy, or post-copy's switch (libvirt reports which). */
static void suspended(struct mt_lv_phasewatch *w, int detail, int64_t t)
{
	if (detail != VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED &&
	    detail != VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY)
		return;
	if (!w->switched)
		push(w, MT_PHASE_SWITCHOVER, 0, t);
	w->switched = 1;
	if (detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY)
		push(w, MT_PHASE_POSTCOPY, 0, t);
}

static void on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
			 void *opaque)
{
	struct mt_lv_phasewatch *w = opaque;
	int64_t t = mt_now_ns();

	(void)conn;
	if (event != VIR_DOMAIN_EVENT_SUSPENDED)
		return;
	pthread_mutex_lock(&w->mu);
	if (ours(w, dom))
		suspended(w, detail, t);
	pthread_mutex_unlock(&w->mu);
}

static void on_iteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
	struct mt_lv_phasewatch *w = opaque;
	int64_t t = mt_now_ns();

	(void)conn;
	pthread_mutex_lock(&w->mu);
	if (ours(w, dom))
		push(w, MT_PHASE_ITERATION, iteration, t);
	pthread_mutex_unlock(&w->mu);
}

static int add_cb(struct mt_lv_phasewatch *w, virConnectPtr c, int id,
		  virConnectDomainEventGenericCallback cb)
{
	int cid;

	atomic_fetch_add(&w->refs, 1);
	cid = virConnectDomainEventRegisterAny(c, NULL, id, cb, w, unref);
	if (cid < 0)
		atomic_fetch_sub(&w->refs, 1);
	return cid;
}

struct mt_lv_phasewatch *mt_lv_phasewatch_new(struct mt_error *err)
{
	struct mt_lv_phasewatch *w = calloc(1, sizeof(*w));

	if (!w) {
		mt_err(err, MT_ENOMEM, "out of memory");
		return NULL;
	}
	atomic_init(&w->refs, 1);
	pthread_mutex_init(&w->mu, NULL);
	w->cb_life = w->cb_iter = -1;
	if ((w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		mt_err(err, MT_EIO, "eventfd: %s", strerror(errno));
		unref(w);
		return NULL;
	}
	return w;
}

int mt_lv_phasewatch_fd(const struct mt_lv_phasewatch *w)
{
	return w ? w->efd : -1;
}

void mt_lv_phasewatch_stop(struct mt_lv_phasewatch *w)
{
	virConnectPtr c;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->armed = 0;
	c = w->conn;
	w->conn = NULL;
	pthread_mutex_unlock(&w->mu);
	if (!c)
		return;
	if (w->cb_life >= 0)
		virConnectDomainEventDeregisterAny(c, w->cb_life);
	if (w->cb_iter >= 0)
		virConnectDomainEventDeregisterAny(c, w->cb_iter);
	w->cb_life = w->cb_iter = -1;
	virConnectClose(c);
}

void mt_lv_phasewatch_arm(struct mt_lv_phasewatch *w, int hop)
{
	uint64_t v;

	if (!w)
		return;
	mt_lv_phasewatch_stop(w);
	pthread_mutex_lock(&w->mu);
	w->hop = hop;
	w->switched = 0;
	w->n = w->lost = 0; /* what an earlier hop left untaken is stale */
	(void)!read(w->efd, &v, sizeof(v));
	w->armed = 1;
	pthread_mutex_unlock(&w->mu);
}

int mt_lv_phasewatch_start(struct mt_lv_phasewatch *w, const char *uri, const char *domain,
			   struct mt_error *err)
{
	virConnectPtr c;
	char *d;
	int rc;

	if (w->conn)
		return mt_err(err, MT_EINVAL, "phase watch: already connected");
	if ((rc = mt_lv_events_init(err)) != 0)
		return rc;
	if (!(d = strdup(domain)))
		return mt_err(err, MT_ENOMEM, "out of memory");
	if (!(c = virConnectOpen(uri))) {
		rc = mt_err(err, MT_EINFRA, "cannot connect to %s: %s", uri,
			    virGetLastErrorMessage());
		free(d);
		return rc;
	}
	virConnectSetKeepAlive(c, 5, 3);
	pthread_mutex_lock(&w->mu);
	free(w->domain);
	w->domain = d;
	w->conn = c;
	pthread_mutex_unlock(&w->mu);
	w->cb_life = add_cb(w, c, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
			    VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle));
	w->cb_iter = add_cb(w, c, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
			    VIR_DOMAIN_EVENT_CALLBACK(on_iteration));
	if (w->cb_life < 0 || w->cb_iter < 0) {
		rc = mt_err(err, MT_EINFRA, "%s: cannot watch domain events: %s", uri,
			    virGetLastErrorMessage());
		mt_lv_phasewatch_stop(w);
		return rc;
	}
	return 0;
}

void mt_lv_phasewatch_push(struct mt_lv_phasewatch *w, enum mt_hop_phase ph, double value,
			   int64_t t_ns)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	push(w, ph, value, t_ns);
	pthread_mutex_unlock(&w->mu);
}

void mt_lv_phasewatch_suspended(struct mt_lv_phasewatch *w, int detail, int64_t t_ns)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	suspended(w, detail, t_ns);
	pthread_mutex_unlock(&w->mu);
}

int mt_lv_phasewatch_lost(struct mt_lv_phasewatch *w)
{
	int n;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	n = w->lost;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int mt_lv_phasewatch_next(struct mt_lv_phasewatch *w, struct mt_phase_event *ev)
{
	uint64_t v;
	int got = 0;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	if (w->n > 0) {
		*ev = w->q[0];
		memmove(w->q, w->q + 1, (size_t)(w->n - 1) * sizeof(w->q[0]));
		w->n--;
		got = 1;
	}
	if (w->n == 0)
		(void)!read(w->efd, &v, sizeof(v)); /* drained: not readable until the next push */
	pthread_mutex_unlock(&w->mu);
	return got;
}

void mt_lv_phasewatch_free(struct mt_lv_phasewatch *w)
{
	if (!w)
		return;
	mt_lv_phasewatch_stop(w);
	unref(w);
}
