/* libvirt_journal.c — the "libvirt-migration" journal kind: an entry held open while a hop
 * runs, so that `recover` after a lost runner ends the migration the runner left behind.
 *
 * libvirtd carries a peer-to-peer migration on after its client died, and a job left running
 * refuses every later migration of the domain ("another migration job is already running").
 * The undo does what the runner's own teardown does on a signal: abort the job on the hop's
 * source, then wait until the job has ended (an abort is refused once the final copy has begun;
 * the migration then completes), and say where the domain is. The record names only the
 * source's libvirt URI and the domain: nothing of it is executed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "libvirt_priv.h"
#include "../journal_priv.h"
#include "migtorture/units.h"

/* How long undo waits for a job to end after its abort (the runner's teardown waits 10 s for
 * the driver, then undoes; a hop that is completing needs its final copy and finish phase). */
#define MT_LV_UNDO_WAIT_NS (60 * 1000000000LL)
#define MT_LV_UNDO_POLL_NS (100 * 1000000LL)

static int undo_migration(const char *undo_json, char *note, size_t notelen,
			  struct mt_error *err);

const struct mt_journal_kind mt_journal_kind_lv_migration = { "libvirt-migration",
							      undo_migration };

char *mt_lv_migration_record(const char *uri, const char *domain)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o && uri && domain && cJSON_AddStringToObject(o, "uri", uri) &&
	    cJSON_AddStringToObject(o, "domain", domain))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A non-empty string member without control characters (it becomes a libvirt URI or name). */
static const char *get_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 4096)
		return NULL;
	for (const char *p = v->valuestring; *p; p++)
		if ((unsigned char)*p < 0x20)
			return NULL;
	return v->valuestring;
}

enum job_state { JOB_UNKNOWN, JOB_NOSUPPORT, JOB_RUNNING, JOB_NONE, JOB_LEFT };

/* The domain's job on this connection: JOB_LEFT when the domain is no longer active here (the
 * migration completed, or it was never here), JOB_UNKNOWN when libvirt did not say (a query can
 * fail while the source QEMU resumes), JOB_NOSUPPORT when its driver cannot say. */
static enum job_state job_state(virConnectPtr conn, const char *domain)
{
	virDomainPtr dom = virDomainLookupByName(conn, domain);
	virDomainJobInfo info;
	enum job_state st = JOB_UNKNOWN;
	int active;

	if (!dom) {
		virErrorPtr e = virGetLastError();

		return e && e->code == VIR_ERR_NO_DOMAIN ? JOB_LEFT : JOB_UNKNOWN;
	}
	active = virDomainIsActive(dom);
	if (active == 0)
		st = JOB_LEFT;
	else if (active == 1 && virDomainGetJobInfo(dom, &info) == 0)
		st = info.type == VIR_DOMAIN_JOB_NONE ? JOB_NONE : JOB_RUNNING;
	else if (active == 1 && virGetLastErrorCode() == VIR_ERR_NO_SUPPORT)
		st = JOB_NOSUPPORT;
	virDomainFree(dom);
	return st;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	nanosleep(&ts, NULL);
}

static int undo_migration(const char *undo_json, char *note, size_t notelen,
			  struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const char *uri = get_str(o, "uri"), *domain = get_str(o, "domain");
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	char abort_msg[256] = "";
	enum job_state st;
	int64_t deadline;
	int rc = 0;

	if (!uri || !domain) {
		rc = mt_err(err, MT_EINVAL, "libvirt-migration record: expected string members "
			    "\"uri\" and \"domain\"");
		goto out;
	}
	rc = mt_lv_events_init(err); /* libvirt initialised, its errors not printed */
	if (rc < 0)
		goto out;
	if (!(conn = virConnectOpen(uri))) {
		rc = mt_err(err, MT_EINFRA, "cannot connect to %s to end the migration of '%s': %s",
			    uri, domain, virGetLastErrorMessage());
		goto out;
	}
	st = job_state(conn, domain);
	if (st == JOB_NOSUPPORT) {
		rc = mt_err(err, MT_EUNSUPPORTED, "libvirt at %s cannot report the jobs of '%s' (%s), so "
			    "whether the migration still runs is unknown", uri, domain,
			    virGetLastErrorMessage());
		goto out;
	}
	if (st == JOB_LEFT || st == JOB_NONE) {
		snprintf(note, notelen, "no migration of '%s' runs on %s (the domain %s)", domain,
			 uri, st == JOB_LEFT ? "is not active there" : "runs there, no job");
		goto out;
	}
	if ((dom = virDomainLookupByName(conn, domain)) && virDomainAbortJob(dom) < 0)
		snprintf(abort_msg, sizeof(abort_msg), " (abort refused: %s)",
			 virGetLastErrorMessage());
	deadline = mt_now_ns() + MT_LV_UNDO_WAIT_NS;
	while ((st = job_state(conn, domain)) == JOB_RUNNING || st == JOB_UNKNOWN ||
	       st == JOB_NOSUPPORT) {
		if (mt_now_ns() >= deadline) {
			rc = mt_err(err, MT_ETIMEOUT, "the migration of '%s' from %s still runs "
				    "%lld s after its abort%s", domain, uri,
				    (long long)(MT_LV_UNDO_WAIT_NS / 1000000000), abort_msg);
			goto out;
		}
		sleep_ns(MT_LV_UNDO_POLL_NS);
	}
	snprintf(note, notelen, "the migration of '%s' %s%s: the domain %s %s", domain,
		 abort_msg[0] ? "ended" : "was aborted", abort_msg,
		 st == JOB_LEFT ? "left" : "runs on", uri);
out:
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	cJSON_Delete(o);
	return rc;
}
