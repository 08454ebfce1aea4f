/* host.c — where a fault or host workload acts: entering a local network namespace, and the
 * host's JSON form that the journal records (paths only: never the content of a key file). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "migtorture/host.h"

int mt_host_enter(const struct mt_host *host, int *saved_fd, struct mt_error *err)
{
	char path[PATH_MAX];
	int saved = -1, fd = -1, rc = 0;

	*saved_fd = -1;
	if (!host || host->kind != MT_HOST_LOCAL || !host->netns || !host->netns[0])
		return 0;
	if (strchr(host->netns, '/') || strcmp(host->netns, "..") == 0 ||
	    strcmp(host->netns, ".") == 0) {
		rc = mt_err(err, MT_EINVAL, "host '%s': bad netns name '%s'",
			    host->name ? host->name : "?", host->netns);
		goto out;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", host->netns);
	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		rc = mt_err(err, MT_EIO, "open /proc/self/ns/net: %s", strerror(errno));
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = mt_err(err, errno == ENOENT ? MT_ENOTFOUND : MT_EIO,
			    "host '%s': network namespace %s: %s",
			    host->name ? host->name : "?", path, strerror(errno));
		goto out;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		rc = mt_err(err, MT_EIO, "host '%s': setns %s: %s", host->name ? host->name : "?",
			    path, strerror(errno));
		goto out;
	}
	*saved_fd = saved;
	saved = -1;
out:
	if (fd >= 0)
		close(fd);
	if (saved >= 0)
		close(saved);
	return rc;
}

int mt_host_leave(int saved_fd, struct mt_error *err)
{
	int rc = 0;

	if (saved_fd < 0)
		return 0;
	if (setns(saved_fd, CLONE_NEWNET) < 0)
		rc = mt_err(err, MT_EIO, "setns back to the original namespace: %s",
			    strerror(errno));
	close(saved_fd);
	return rc;
}

static int add_str(cJSON *o, const char *k, const char *v)
{
	if (!v)
		return 0;
	return cJSON_AddStringToObject(o, k, v) ? 0 : -1;
}

char *mt_host_to_json(const struct mt_host *host)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (!o)
		return NULL;
	if (!host) {
		/* No host: the caller's own place. */
		if (add_str(o, "name", "local") || add_str(o, "kind", "local"))
			goto out;
	} else if (add_str(o, "name", host->name ? host->name : "local") ||
		   add_str(o, "kind", host->kind == MT_HOST_SSH ? "ssh" : "local") ||
		   add_str(o, "netns", host->netns) ||
		   add_str(o, "ssh_address", host->ssh_address) ||
		   add_str(o, "ssh_user", host->ssh_user) ||
		   add_str(o, "ssh_identity", host->ssh_identity) ||
		   add_str(o, "ssh_known_hosts", host->ssh_known_hosts) ||
		   add_str(o, "remote_binary", host->remote_binary)) {
		goto out;
	}
	s = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return s;
}

static int get_str(const cJSON *o, const char *k, char **dst)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return MT_EINVAL;
	*dst = strdup(v->valuestring);
	return *dst ? 0 : MT_ENOMEM;
}

int mt_host_from_json(const char *json, struct mt_host *out, struct mt_error *err)
{
	static const char *const keys[] = { "name", "netns", "ssh_address", "ssh_user",
					    "ssh_identity", "ssh_known_hosts", "remote_binary" };
	char **dst[] = { &out->name, &out->netns, &out->ssh_address, &out->ssh_user,
			 &out->ssh_identity, &out->ssh_known_hosts, &out->remote_binary };
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	const cJSON *kind;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!o || !cJSON_IsObject(o)) {
		rc = mt_err(err, MT_EINVAL, "host: not a JSON object");
		goto out;
	}
	kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	if (!kind || !cJSON_IsString(kind) ||
	    (strcmp(kind->valuestring, "local") && strcmp(kind->valuestring, "ssh"))) {
		rc = mt_err(err, MT_EINVAL, "host: \"kind\" must be \"local\" or \"ssh\"");
		goto out;
	}
	out->kind = strcmp(kind->valuestring, "ssh") == 0 ? MT_HOST_SSH : MT_HOST_LOCAL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		rc = get_str(o, keys[i], dst[i]);
		if (rc < 0) {
			mt_err(err, rc, "host: \"%s\" %s", keys[i],
			       rc == MT_ENOMEM ? "out of memory" : "must be a string");
			goto out;
		}
	}
	if (!out->name) {
		out->name = strdup("local");
		if (!out->name)
			rc = mt_err(err, MT_ENOMEM, "out of memory");
	}
out:
	if (rc < 0)
		mt_host_free(out);
	cJSON_Delete(o);
	return rc;
}

void mt_host_free(struct mt_host *h)
{
	if (!h)
		return;
	free(h->name);
	free(h->netns);
	free(h->ssh_address);
	free(h->ssh_user);
	free(h->ssh_identity);
	free(h->ssh_known_hosts);
	free(h->remote_binary);
	free(h->log_libvirtd);
	free(h->log_qemu);
	free(h->log_console);
	memset(h, 0, sizeof(*h));
}
