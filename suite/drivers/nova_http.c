/* nova_http.c — one blocking HTTP request to Keystone or Nova (libcurl easy interface).
 *
 * The nova driver talks to the cloud from its own hop thread (plugin.h: a library that blocks
 * runs in the driver's thread), so the simple easy interface is the right tool here; the web
 * workloads use the loop-driven multi interface (curl_loop.c) instead. TLS verification is on
 * unless the cloud or the scenario explicitly turned it off. Tokens travel in headers only and
 * are never part of an error message.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "nova_priv.h"

#define MAX_BODY (16u << 20) /* a server or migration list is a few KiB; refuse runaway */

struct buf {
	char *p;
	size_t n;
	int overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t len = size * nmemb;
	char *np;

	if (b->n + len + 1 > MAX_BODY) {
		b->overflow = 1;
		return 0;
	}
	np = realloc(b->p, b->n + len + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, ptr, len);
	b->p = np;
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct mt_nova_resp *r = arg;
	size_t len = size * nmemb, k = strlen("X-Subject-Token:");

	if (len > k && strncasecmp(ptr, "X-Subject-Token:", k) == 0) {
		size_t a = k, e = len;

		while (a < e && (ptr[a] == ' ' || ptr[a] == '\t'))
			a++;
		while (e > a && (ptr[e - 1] == '\r' || ptr[e - 1] == '\n' || ptr[e - 1] == ' '))
			e--;
		free(r->subject_token);
		r->subject_token = strndup(ptr + a, e - a);
	}
	return len;
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void mt_nova_resp_free(struct mt_nova_resp *r)
{
	if (!r)
		return;
	free(r->body);
	if (r->subject_token)
		memset(r->subject_token, 0, strlen(r->subject_token));
	free(r->subject_token);
	memset(r, 0, sizeof(*r));
}

int mt_nova_http(const struct mt_nova_http *h, const char *method, const char *url,
		 const char *body, const char *token, const char *microversion,
		 struct mt_nova_resp *resp, struct mt_error *err)
{
	struct curl_slist *hdr = NULL;
	struct buf b = { 0 };
	char line[8300], ebuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode cc;
	int rc = 0;

	memset(resp, 0, sizeof(*resp));
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* once per process, before any handle: curl_global_init is not thread-safe everywhere */
	pthread_once(&once, global_init);
	if (!(c = curl_easy_init()))
		return mt_err(err, MT_ENOMEM, "out of memory");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (body)
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (token) {
		snprintf(line, sizeof(line), "X-Auth-Token: %s", token);
		hdr = curl_slist_append(hdr, line);
		memset(line, 0, sizeof(line));
	}
	if (microversion) {
		snprintf(line, sizeof(line), "OpenStack-API-Version: compute %s", microversion);
		hdr = curl_slist_append(hdr, line);
		snprintf(line, sizeof(line), "X-OpenStack-Nova-API-Version: %s", microversion);
		hdr = curl_slist_append(hdr, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h && h->timeout_s > 0 ? h->timeout_s : 60L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h && !h->verify ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h && !h->verify ? 0L : 2L);
	if (h && h->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = mt_err(err, MT_EINFRA, "%s %s: %s", method, url,
			    b.overflow ? "answer larger than 16 MiB" :
			    *ebuf ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
	resp->body = b.p ? b.p : strdup("");
	b.p = NULL;
	if (!resp->body)
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	free(b.p);
	for (struct curl_slist *l = hdr; l; l = l->next) /* the X-Auth-Token line's copy */
		memset(l->data, 0, strlen(l->data));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (rc)
		mt_nova_resp_free(resp);
	return rc;
}
