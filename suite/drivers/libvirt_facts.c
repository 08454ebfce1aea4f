/* libvirt_facts.c — what software migrated: each host's libvirt and QEMU versions and the
 * guest's kernel, as run facts (docs/results.md "Facts"). A package upgrade on one host is a
 * common cause of a change between two nights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libvirt/libvirt-qemu.h>

#include "libvirt_priv.h"

/* libvirt's encoded version (major * 1e6 + minor * 1e3 + release) as text. */
static void version_text(unsigned long v, char *buf, size_t len)
{
	snprintf(buf, len, "%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

static int host_facts(virConnectPtr conn, const char *uri, struct mt_run_result *run)
{
	char key[600], val[256];
	unsigned long v = 0;
	char *host;

	if (virConnectGetLibVersion(conn, &v) == 0)
		version_text(v, val, sizeof(val));
	else
		snprintf(val, sizeof(val), "unknown: %s", virGetLastErrorMessage());
	snprintf(key, sizeof(key), "libvirt@%s", uri);
	if (mt_run_add_fact(run, key, val) < 0)
		return MT_ENOMEM;
	v = 0;
	if (virConnectGetVersion(conn, &v) == 0 && v)
		version_text(v, val, sizeof(val));
	else
		snprintf(val, sizeof(val), "unknown: %s",
			 v ? virGetLastErrorMessage() : "the driver reports none");
	snprintf(key, sizeof(key), "qemu@%s", uri);
	if (mt_run_add_fact(run, key, val) < 0)
		return MT_ENOMEM;
	host = virConnectGetHostname(conn);
	snprintf(key, sizeof(key), "hostname@%s", uri);
	snprintf(val, sizeof(val), "%s", host ? host : "unknown");
	free(host);
	return mt_run_add_fact(run, key, val) < 0 ? MT_ENOMEM : 0;
}

static const char *fact(const struct mt_run_result *run, const char *key)
{
	for (size_t i = 0; i < run->nfacts; i++)
		if (!strcmp(run->facts[i].key, key))
			return run->facts[i].val;
	return NULL;
}

/* The guest kernel from guest-get-osinfo: "RELEASE (PRETTY NAME)" or "unknown: REASON". */
static void guest_kernel(virDomainPtr d, char *buf, size_t len)
{
	char *r = virDomainQemuAgentCommand(d, "{\"execute\":\"guest-get-osinfo\"}", 2, 0);
	cJSON *j, *ret, *rel, *name;

	if (!r) {
		snprintf(buf, len, "unknown: %s", virGetLastErrorMessage());
		return;
	}
	j = cJSON_Parse(r);
	ret = cJSON_GetObjectItemCaseSensitive(j, "return");
	rel = cJSON_GetObjectItemCaseSensitive(ret, "kernel-release");
	name = cJSON_GetObjectItemCaseSensitive(ret, "pretty-name");
	if (cJSON_IsString(rel) && cJSON_IsString(name))
		snprintf(buf, len, "%s (%s)", rel->valuestring, name->valuestring);
	else if (cJSON_IsString(rel))
		snprintf(buf, len, "%s", rel->valuestring);
	else
		snprintf(buf, len, "unknown: guest-get-osinfo gave no kernel-release");
	cJSON_Delete(j);
	free(r);
}

int mt_lv_record_facts(virConnectPtr *conns, const char *const *uris, int n, const char *domain,
		       struct mt_run_result *run)
{
	const char *had = fact(run, "guest_kernel");
	char val[320] = "unknown: the domain runs on no host the cell connected to";
	int asked = 0;

	for (int i = 0; i < n; i++)
		if (conns[i] && uris[i] && host_facts(conns[i], uris[i], run) != 0)
			return MT_ENOMEM;
	/* once per run: the agent call may take its 2 s timeout */
	if (had && strncmp(had, "unknown", 7))
		return 0;
	for (int i = 0; i < n && !asked && domain; i++) {
		virDomainPtr d = conns[i] ? virDomainLookupByName(conns[i], domain) : NULL;

		if (d && virDomainIsActive(d) == 1) {
			guest_kernel(d, val, sizeof(val));
			asked = 1;
		}
		if (d)
			virDomainFree(d);
	}
	return mt_run_add_fact(run, "guest_kernel", val) < 0 ? MT_ENOMEM : 0;
}
