/* labresolve.c — per-cell resolution of `lab:` references (see labresolve.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "labref.h"
#include "migtorture/host.h"
#include "labresolve.h"

static const char *const lab_names[] = { "hosta", "hostb", "client", "router", NULL };

int mt_labres_is_lab_name(const char *name)
{
	if (!name)
		return 0;
	if (mt_labref_is_ref(name))
		return 1;
	for (size_t i = 0; lab_names[i]; i++)
		if (!strcmp(name, lab_names[i]))
			return 1;
	return 0;
}

/* Sets key in p from val unless the scenario already gave it. */
static int default_param(struct mt_params *p, const char *key, const char *val,
			 struct mt_error *err)
{
	const struct mt_value *v = mt_params_get(p, key);

	if (!val || !p->table || !mt_option_find(p->table, key))
		return 0;
	if (v && !v->is_default)
		return 0;
	return mt_params_set(p, p->table, key, val, 0, err);
}

/* A lab guest's address and URL from lab.json (mt_labref_guest: by ref, else by domain). */
static int lab_guest(struct mt_labres *r, const char *ref, const char *domain,
		     struct mt_error *err)
{
	struct mt_labref_guest g = { 0 };
	int rc;

	if ((rc = mt_labref_guest(ref, domain, &g, err)) < 0)
		goto out;
	r->guest_addr = g.ip ? strdup(g.ip) : NULL;
	r->guest_url = g.http_url ? strdup(g.http_url) : NULL;
	if ((g.ip && !r->guest_addr) || (g.http_url && !r->guest_url))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	mt_labref_guest_free(&g);
	return rc < 0 ? rc : 0;
}

/* A literal address (checked when the scenario was loaded): the address itself, and its web
 * root, bracketed for IPv6 as URLs require (RFC 3986). */
char *mt_guest_web_root(const char *addr)
{
	size_t len = strlen(addr) + sizeof("http://[]/");
	char *url = malloc(len);

	if (url)
		snprintf(url, len, strchr(addr, ':') ? "http://[%s]/" : "http://%s/", addr);
	return url;
}

static int literal_guest(const char *addr, struct mt_labres *r, struct mt_error *err)
{
	r->guest_addr = strdup(addr);
	r->guest_url = mt_guest_web_root(addr);
	if (!r->guest_addr || !r->guest_url)
		return mt_err(err, MT_ENOMEM, "out of memory");
	return 0;
}

/* Where the VM's users reach it: the scenario's `guest`, else, for a lab cell, the lab guest
 * that is the cell's domain (the first when none is), else nowhere (probes that need a target
 * say so themselves). */
static int resolve_guest(const struct mt_cell *cell, struct mt_labres *r, struct mt_error *err)
{
	if (cell->guest && !mt_labref_guest_ref(cell->guest, NULL))
		return literal_guest(cell->guest, r, err);
	if (cell->guest)
		return lab_guest(r, cell->guest, NULL, err);
	if (r->uses_lab)
		return lab_guest(r, NULL, cell->domain, err);
	return 0;
}

/* A lab cell: the hosts' URIs, their migration addresses as the driver's defaults, and the
 * lab's client namespace for what runs where the VM's users are. */
static int resolve_lab(const struct mt_cell *cell, struct mt_labres *r, struct mt_error *err)
{
	struct mt_labref_host src = { 0 }, dst = { 0 }, cli = { 0 };
	int rc = 0;

	if ((rc = mt_labref_resolve_uri(cell->source, &r->src_uri, err)) < 0 ||
	    (rc = mt_labref_resolve_uri(cell->dest, &r->dst_uri, err)) < 0)
		goto out;
	if (mt_labref_is_ref(cell->source) && (rc = mt_labref_host(cell->source, &src, err)) < 0)
		goto out;
	if (mt_labref_is_ref(cell->dest) && (rc = mt_labref_host(cell->dest, &dst, err)) < 0)
		goto out;
	if ((rc = default_param(&r->migrate, "migrate.source_address", src.migration_ip, err)) ||
	    (rc = default_param(&r->migrate, "migrate.dest_address", dst.migration_ip, err)))
		goto out;
	if ((rc = mt_labref_host("client", &cli, err)) < 0)
		goto out;
	r->client.name = strdup("client");
	r->client.kind = MT_HOST_LOCAL;
	r->client.netns = cli.netns ? strdup(cli.netns) : NULL;
	if (!r->client.name || (cli.netns && !r->client.netns))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	mt_labref_host_free(&src);
	mt_labref_host_free(&dst);
	mt_labref_host_free(&cli);
	return rc < 0 ? rc : 0;
}

int mt_labres_cell(const struct mt_cell *cell, struct mt_labres *r, struct mt_error *err)
{
	int rc = 0;

	r->uses_lab = mt_labref_is_ref(cell->source) || mt_labref_is_ref(cell->dest);
	if ((rc = mt_params_copy(&r->migrate, &cell->migrate)) < 0) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (r->uses_lab) {
		rc = resolve_lab(cell, r, err);
	} else {
		r->src_uri = cell->source ? strdup(cell->source) : NULL;
		r->dst_uri = cell->dest ? strdup(cell->dest) : NULL;
		if ((cell->source && !r->src_uri) || (cell->dest && !r->dst_uri))
			rc = mt_err(err, MT_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = resolve_guest(cell, r, err);
out:
	return rc < 0 ? rc : 0;
}

int mt_labres_swap(struct mt_labres *r, struct mt_error *err)
{
	const struct mt_value *sv = mt_params_get(&r->migrate, "migrate.source_address");
	const struct mt_value *dv = mt_params_get(&r->migrate, "migrate.dest_address");
	char *st = sv && sv->text ? strdup(sv->text) : NULL;
	char *dt = dv && dv->text ? strdup(dv->text) : NULL;
	char *u = r->src_uri;
	int rc = 0;

	r->src_uri = r->dst_uri;
	r->dst_uri = u;
	if ((sv && sv->text && !st) || (dv && dv->text && !dt))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
	else if (dt && (rc = mt_params_set(&r->migrate, r->migrate.table,
					  "migrate.source_address", dt, 0, err)) < 0)
		;
	else if (st)
		rc = mt_params_set(&r->migrate, r->migrate.table, "migrate.dest_address", st, 0,
				   err);
	free(st);
	free(dt);
	return rc < 0 ? rc : 0;
}

/* The agent's binary on a lab host: the lab's hosts see this machine's / (the router mounts
 * it read-only through hostfs), so the running binary's own path works there.
 * MT_LAB_AGENT_BINARY overrides it: an ASan build cannot run inside the UML router (UML's user
 * address space ends below ASan's shadow memory), so the sanitizer stage of scripts/test points
 * it at the normal build's binary. */
static char *self_binary(void)
{
	const char *env = getenv("MT_LAB_AGENT_BINARY");
	char buf[PATH_MAX];
	ssize_t n;

	if (env && env[0])
		return strdup(env);
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return strdup("migtorture");
	buf[n] = '\0';
	return strdup(buf);
}

/* A lab host as an mt_host: the router is a UML kernel whose qdiscs live behind its sshd, an
 * ssh host with the lab's own key and known_hosts; the others are namespaces here. */
static int fill_host(struct mt_host *out, const char *bare, const struct mt_labref_host *h,
		     struct mt_error *err)
{
	int ssh = h->ssh_address != NULL || !strcmp(bare, "router");

	out->name = strdup(bare);
	out->kind = ssh ? MT_HOST_SSH : MT_HOST_LOCAL;
	if (!out->name)
		return mt_err(err, MT_ENOMEM, "out of memory");
	if (!ssh) {
		if ((h->netns && !(out->netns = strdup(h->netns))) ||
		    (h->log_libvirtd && !(out->log_libvirtd = strdup(h->log_libvirtd))) ||
		    (h->log_qemu && !(out->log_qemu = strdup(h->log_qemu))) ||
		    (h->log_console && !(out->log_console = strdup(h->log_console))))
			return mt_err(err, MT_ENOMEM, "out of memory");
		return 0;
	}
	if (!h->ssh_address)
		return mt_err(err, MT_EINFRA, "lab host '%s': lab.json (%s) has no "
			      "hosts.%s.ssh.address", bare, mt_labref_path(), bare);
	out->ssh_address = strdup(h->ssh_address);
	out->ssh_user = strdup(h->ssh_user ? h->ssh_user : "root");
	out->ssh_identity = h->ssh_identity ? strdup(h->ssh_identity) : NULL;
	out->ssh_known_hosts = h->ssh_known_hosts ? strdup(h->ssh_known_hosts) : NULL;
	out->remote_binary = self_binary();
	if (!out->ssh_address || !out->ssh_user || (h->ssh_identity && !out->ssh_identity) ||
	    (h->ssh_known_hosts && !out->ssh_known_hosts) || !out->remote_binary)
		return mt_err(err, MT_ENOMEM, "out of memory");
	return 0;
}

const struct mt_host *mt_labres_host(struct mt_labres *r, const char *name,
				     struct mt_error *err)
{
	const char *bare = mt_labref_is_ref(name) ? name + 4 : name;
	struct mt_labref_host h = { 0 };
	struct mt_host *out;
	int rc;

	for (size_t i = 0; i < r->nhosts; i++)
		if (!strcmp(r->hosts[i].name, bare))
			return &r->hosts[i];
	if (r->nhosts == MT_LABRES_MAXHOSTS) {
		mt_err(err, MT_EINFRA, "too many lab hosts in one cell");
		return NULL;
	}
	if (mt_labref_host(bare, &h, err) < 0)
		return NULL;
	out = &r->hosts[r->nhosts];
	memset(out, 0, sizeof(*out));
	rc = fill_host(out, bare, &h, err);
	mt_labref_host_free(&h);
	if (rc < 0) {
		mt_host_free(out);
		return NULL;
	}
	r->nhosts++;
	return out;
}

void mt_labres_free(struct mt_labres *r)
{
	free(r->src_uri);
	free(r->dst_uri);
	mt_params_free(&r->migrate);
	mt_host_free(&r->client);
	free(r->guest_addr);
	free(r->guest_url);
	for (size_t i = 0; i < r->nhosts; i++)
		mt_host_free(&r->hosts[i]);
	memset(r, 0, sizeof(*r));
}
