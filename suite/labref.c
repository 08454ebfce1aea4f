/* labref.c — `lab:NAME` → the lab host's libvirt URI and addresses, from lab.json (cJSON). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "labref.h"

#define LAB_JSON_DEFAULT "/run/migtorture/lab/lab.json"
#define LAB_JSON_MAX (4 * 1024 * 1024)

const char *mt_labref_path(void)
{
	const char *p = getenv("MT_LAB_JSON");

	return p && *p ? p : LAB_JSON_DEFAULT;
}

int mt_labref_is_ref(const char *s)
{
	return s && strncmp(s, "lab:", 4) == 0;
}

/* Reads and parses the descriptor; refuses a lab that is not up. */
static int load(cJSON **out, struct mt_error *err)
{
	const char *path = mt_labref_path();
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;
	cJSON *root = NULL;
	const cJSON *st;
	int rc = 0;

	*out = NULL;
	if (!(f = fopen(path, "rbe"))) {
		rc = mt_err(err, MT_EINFRA, "lab descriptor %s: %s (is the lab up? run "
			    "`migtorture lab up`, or set MT_LAB_JSON)", path, strerror(errno));
		goto out;
	}
	if (!(buf = malloc(LAB_JSON_MAX + 1))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	n = fread(buf, 1, LAB_JSON_MAX, f);
	if (ferror(f)) {
		rc = mt_err(err, MT_EINFRA, "lab descriptor %s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	if (!(root = cJSON_Parse(buf)) || !cJSON_IsObject(root)) {
		rc = mt_err(err, MT_EINFRA, "lab descriptor %s: not a JSON object", path);
		goto out;
	}
	st = cJSON_GetObjectItemCaseSensitive(root, "state");
	if (cJSON_IsString(st) && strcmp(st->valuestring, "up") != 0) {
		rc = mt_err(err, MT_EINFRA, "lab descriptor %s: the lab is %s, not up (run "
			    "`migtorture lab up`)", path, st->valuestring);
		goto out;
	}
	*out = root;
	root = NULL;
out:
	cJSON_Delete(root);
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* Copies obj[key] when it is a non-empty string; *dst stays NULL otherwise. */
static int copy_str(const cJSON *obj, const char *key, char **dst)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*dst = NULL;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return 0;
	*dst = strdup(v->valuestring);
	return *dst ? 0 : MT_ENOMEM;
}

int mt_labref_host(const char *ref, struct mt_labref_host *out, struct mt_error *err)
{
	const char *name = mt_labref_is_ref(ref) ? ref + 4 : ref;
	cJSON *root = NULL;
	const cJSON *h, *ssh, *logs;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!name || !*name)
		return mt_err(err, MT_EINVAL, "lab reference '%s': no host name", ref ? ref : "");
	if ((rc = load(&root, err)) != 0)
		goto out;
	h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "hosts"),
					     name);
	if (!cJSON_IsObject(h)) {
		rc = mt_err(err, MT_ENOTFOUND, "lab reference '%s': the lab (%s) has no host '%s'",
			    ref, mt_labref_path(), name);
		goto out;
	}
	ssh = cJSON_GetObjectItemCaseSensitive(h, "ssh");
	logs = cJSON_GetObjectItemCaseSensitive(h, "logs");
	if (!(out->name = strdup(name)) || copy_str(h, "libvirt_uri", &out->libvirt_uri) ||
	    copy_str(h, "migration_ip", &out->migration_ip) || copy_str(h, "netns", &out->netns) ||
	    copy_str(ssh, "address", &out->ssh_address) || copy_str(ssh, "user", &out->ssh_user) ||
	    copy_str(ssh, "identity_file", &out->ssh_identity) ||
	    copy_str(ssh, "known_hosts_file", &out->ssh_known_hosts) ||
	    copy_str(logs, "libvirtd", &out->log_libvirtd) ||
	    copy_str(logs, "qemu", &out->log_qemu) || copy_str(logs, "console", &out->log_console))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	if (rc)
		mt_labref_host_free(out);
	return rc;
}

void mt_labref_host_free(struct mt_labref_host *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->libvirt_uri);
	free(h->migration_ip);
	free(h->netns);
	free(h->ssh_address);
	free(h->ssh_user);
	free(h->ssh_identity);
	free(h->ssh_known_hosts);
	free(h->log_libvirtd);
	free(h->log_qemu);
	free(h->log_console);
	memset(h, 0, sizeof(*h));
}

int mt_labref_guest_ref(const char *s, int *index)
{
	char *end;
	long n = 1;

	if (!s || strncmp(s, "lab:guest", 9) != 0)
		return 0;
	if (s[9]) {
		if (s[9] < '1' || s[9] > '9')
			return 0;
		n = strtol(s + 9, &end, 10);
		if (*end || n > MT_LAB_MAX_GUESTS)
			return 0;
	}
	if (index)
		*index = (int)n - 1;
	return 1;
}

/* The guest objects of a descriptor: its `guests` list, or its `guest` alone. */
static const cJSON *guest_at(const cJSON *root, int i, int *count)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "guests");
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(root, "guest");

	if (cJSON_IsArray(list)) {
		*count = cJSON_GetArraySize(list);
		return cJSON_GetArrayItem(list, i);
	}
	*count = cJSON_IsObject(one) ? 1 : 0;
	return i == 0 && *count ? one : NULL;
}

int mt_labref_guest(const char *ref, const char *domain, struct mt_labref_guest *out,
		    struct mt_error *err)
{
	cJSON *root = NULL;
	const cJSON *g = NULL, *name;
	int rc, idx = 0, n = 0;

	memset(out, 0, sizeof(*out));
	if (ref && !mt_labref_guest_ref(ref, &idx))
		return mt_err(err, MT_EINVAL, "'%s' is not a lab guest (lab:guest, lab:guestN)",
			      ref);
	if ((rc = load(&root, err)) != 0)
		goto out;
	if (!ref && domain) /* the guest running as domain, if the lab has one */
		for (int i = 0; (g = guest_at(root, i, &n)) != NULL; i++) {
			name = cJSON_GetObjectItemCaseSensitive(g, "name");
			if (cJSON_IsString(name) && strcmp(name->valuestring, domain) == 0)
				break;
		}
	if (!g)
		g = guest_at(root, idx, &n);
	if (!cJSON_IsObject(g)) {
		rc = n ? mt_err(err, MT_ENOTFOUND, "lab reference '%s': the lab (%s) has %d "
				"guest%s (mt-lab up --guests N)", ref ? ref : "lab:guest",
				mt_labref_path(), n, n == 1 ? "" : "s")
		       : mt_err(err, MT_ENOTFOUND, "lab descriptor %s: no guest",
				mt_labref_path());
		goto out;
	}
	if (copy_str(g, "name", &out->name) || copy_str(g, "ip", &out->ip) ||
	    copy_str(g, "http_url", &out->http_url) || copy_str(g, "host", &out->host))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	if (rc)
		mt_labref_guest_free(out);
	return rc;
}

void mt_labref_guest_free(struct mt_labref_guest *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->ip);
	free(g->http_url);
	free(g->host);
	memset(g, 0, sizeof(*g));
}

int mt_labref_resolve_uri(const char *s, char **uri, struct mt_error *err)
{
	struct mt_labref_host h;
	int rc;

	*uri = NULL;
	if (!mt_labref_is_ref(s)) {
		if (!s || !(*uri = strdup(s)))
			return mt_err(err, s ? MT_ENOMEM : MT_EINVAL, s ? "out of memory" : "no URI");
		return 0;
	}
	if ((rc = mt_labref_host(s, &h, err)) != 0)
		return rc;
	if (!h.libvirt_uri) {
		rc = mt_err(err, MT_ENOTFOUND, "lab reference '%s': host has no libvirt_uri", s);
	} else {
		*uri = h.libvirt_uri;
		h.libvirt_uri = NULL;
	}
	mt_labref_host_free(&h);
	return rc;
}
