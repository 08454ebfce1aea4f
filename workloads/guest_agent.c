/* guest_agent.c — guest-exec through the QEMU guest agent (see guest_agent.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "guest_agent.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"

static const char *lv_msg(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

void mt_ga_close(struct mt_ga *ga)
{
	if (ga->dom)
		virDomainFree(ga->dom);
	if (ga->conn)
		virConnectClose(ga->conn);
	free(ga->uri);
	free(ga->domain);
	memset(ga, 0, sizeof(*ga));
}

/* libvirt prints every error to stderr by default; ours go into mt_error instead. */
static void quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

int mt_ga_attach(struct mt_ga *ga, const char *uri, const char *domain, struct mt_error *err)
{
	virSetErrorFunc(NULL, quiet); /* process-wide, as the libvirt driver does */
	if (ga->conn && ((!uri && !ga->uri) || (uri && ga->uri && !strcmp(uri, ga->uri))) &&
	    ga->domain && domain && !strcmp(domain, ga->domain))
		return 0;
	mt_ga_close(ga);
	if (!domain)
		return mt_err(err, MT_EINVAL, "guest agent: no domain");
	ga->conn = virConnectOpen(uri);
	if (!ga->conn)
		return mt_err(err, MT_EINFRA, "guest agent: connect %s: %s", uri ? uri : "(default)",
			      lv_msg());
	ga->dom = virDomainLookupByName(ga->conn, domain);
	if (!ga->dom) {
		int rc = mt_err(err, MT_EINFRA, "guest agent: domain %s on %s: %s", domain,
				uri ? uri : "(default)", lv_msg());

		mt_ga_close(ga);
		return rc;
	}
	ga->uri = uri ? strdup(uri) : NULL;
	ga->domain = strdup(domain);
	if ((uri && !ga->uri) || !ga->domain) {
		mt_ga_close(ga);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	return 0;
}

int mt_ga_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
		    size_t whylen)
{
	(void)p;
	if (!ctx->domain) {
		snprintf(why, whylen, "no VM: the cell names no domain to run mt-guest in");
		return MT_EUNSUPPORTED;
	}
	return 0;
}

char *mt_ga_exec_json(const char *path, const char *const argv[])
{
	cJSON *o = cJSON_CreateObject(), *a = NULL, *args;
	char *s = NULL;

	if (!o || !cJSON_AddStringToObject(o, "execute", "guest-exec") ||
	    !(a = cJSON_AddObjectToObject(o, "arguments")) ||
	    !cJSON_AddStringToObject(a, "path", path) ||
	    !(args = cJSON_AddArrayToObject(a, "arg")) ||
	    !cJSON_AddBoolToObject(a, "capture-output", 1))
		goto out;
	for (size_t i = 0; argv && argv[i]; i++) {
		cJSON *x = cJSON_CreateString(argv[i]);

		if (!x || !cJSON_AddItemToArray(args, x)) {
			cJSON_Delete(x);
			goto out;
		}
	}
	s = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return s;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *mt_base64_decode(const char *src, size_t *len)
{
	size_t n = strlen(src), o = 0;
	char *out = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (src[i] == '=')
			break;
		if (src[i] == '\n' || src[i] == '\r')
			continue;
		v = b64val((unsigned char)src[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

int mt_ga_parse_status(const char *reply, int *exited, int *exitcode, char **out)
{
	cJSON *o = cJSON_Parse(reply);
	const cJSON *r = o ? cJSON_GetObjectItemCaseSensitive(o, "return") : NULL, *x;
	int rc = 0;

	*exited = 0;
	*exitcode = -1;
	if (out)
		*out = NULL;
	if (!cJSON_IsObject(r)) {
		rc = MT_EINVAL;
		goto out;
	}
	*exited = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "exited"));
	x = cJSON_GetObjectItemCaseSensitive(r, "exitcode");
	if (cJSON_IsNumber(x))
		*exitcode = x->valueint;
	x = cJSON_GetObjectItemCaseSensitive(r, "out-data");
	if (out && cJSON_IsString(x)) {
		*out = mt_base64_decode(x->valuestring, NULL);
		if (!*out)
			rc = MT_EINVAL;
	}
out:
	cJSON_Delete(o);
	return rc;
}

/* One agent command; the reply (malloc'd) or NULL with err set. */
static char *agent(struct mt_ga *ga, const char *cmd, int timeout_s, struct mt_error *err)
{
	char *r = virDomainQemuAgentCommand(ga->dom, cmd, timeout_s, 0);

	if (!r)
		mt_err(err, MT_EINFRA, "guest agent of %s: %s", ga->domain, lv_msg());
	return r;
}

int mt_ga_exec(struct mt_ga *ga, const char *path, const char *const argv[], int64_t timeout_ns,
	       int *exitcode, char **out, struct mt_error *err)
{
	char *cmd = mt_ga_exec_json(path, argv), *reply = NULL, status[96];
	int64_t end = mt_now_ns() + timeout_ns;
	cJSON *o = NULL;
	const cJSON *pid;
	int rc = 0, exited = 0, agent_s = (int)(timeout_ns / 1000000000LL) + 5;

	if (out)
		*out = NULL;
	if (!cmd) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (!ga->dom) {
		rc = mt_err(err, MT_EINFRA, "guest agent: not attached");
		goto out;
	}
	reply = agent(ga, cmd, agent_s, err);
	if (!reply) {
		rc = MT_EINFRA;
		goto out;
	}
	o = cJSON_Parse(reply);
	pid = o ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "return"),
						 "pid")
		: NULL;
	if (!cJSON_IsNumber(pid)) {
		rc = mt_err(err, MT_EINFRA, "guest-exec %s: unexpected reply %.200s", path, reply);
		goto out;
	}
	snprintf(status, sizeof(status),
		 "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%d}}", pid->valueint);
	/* Poll: 5 ms first (most commands end within the first round trip), then 20 ms. */
	for (int round = 0;; round++) {
		free(reply);
		reply = agent(ga, status, agent_s, err);
		if (!reply) {
			rc = MT_EINFRA;
			goto out;
		}
		if (mt_ga_parse_status(reply, &exited, exitcode, NULL) < 0) {
			rc = mt_err(err, MT_EINFRA, "guest-exec-status: unexpected reply %.200s",
				    reply);
			goto out;
		}
		if (exited)
			break;
		if (mt_now_ns() >= end) {
			rc = mt_err(err, MT_ETIMEOUT, "guest %s %s: still running after %.0f s",
				    path, argv && argv[0] ? argv[0] : "",
				    timeout_ns / 1e9);
			goto out;
		}
		usleep(round < 4 ? 5000 : 20000);
	}
	if (mt_ga_parse_status(reply, &exited, exitcode, out) < 0)
		rc = mt_err(err, MT_EINFRA, "guest-exec-status: bad out-data");
out:
	cJSON_Delete(o);
	free(reply);
	free(cmd);
	return rc;
}
