/* nova_api.c — Keystone/Nova request bodies and response parsing (pure; see nova_priv.h).
 *
 * Formats follow the recorded answers of Keystone 22 and Nova 26 (Zed) in
 * tests/unit/fixtures/nova/ and the API references (identity v3 "Password authentication with
 * scoped authorization", compute "Live-Migrate Server (os-migrateLive Action)", "List
 * Migrations", "Show Migration Details").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "../fleet.h"
#include "nova_priv.h"

#define FREE(p) do { free(p); (p) = NULL; } while (0)

void mt_nova_creds_free(struct mt_nova_creds *c)
{
	if (!c)
		return;
	FREE(c->auth_url);
	FREE(c->username);
	FREE(c->user_id);
	if (c->password) /* do not leave the secret in freed memory */
		memset(c->password, 0, strlen(c->password));
	FREE(c->password);
	FREE(c->user_domain_name);
	FREE(c->user_domain_id);
	FREE(c->project_name);
	FREE(c->project_id);
	FREE(c->project_domain_name);
	FREE(c->project_domain_id);
	FREE(c->app_cred_id);
	FREE(c->app_cred_name);
	if (c->app_cred_secret)
		memset(c->app_cred_secret, 0, strlen(c->app_cred_secret));
	FREE(c->app_cred_secret);
	FREE(c->region);
	FREE(c->interface);
	FREE(c->cacert);
}

int mt_nova_creds_check(const struct mt_nova_creds *c, struct mt_error *err)
{
	if (!c->auth_url || !*c->auth_url)
		return mt_err(err, MT_EINVAL, "nova: no auth_url (clouds.yaml auth.auth_url or "
			      "OS_AUTH_URL)");
	if (c->app_cred_secret && (c->app_cred_id || (c->app_cred_name && (c->user_id ||
							c->username))))
		return 0;
	if (c->app_cred_secret)
		return mt_err(err, MT_EINVAL, "nova: an application credential needs "
			      "application_credential_id (or its name and the user)");
	if (!c->password)
		return mt_err(err, MT_EINVAL, "nova: no password and no application credential "
			      "(clouds.yaml auth or OS_PASSWORD / OS_APPLICATION_CREDENTIAL_SECRET)");
	if (!c->username && !c->user_id)
		return mt_err(err, MT_EINVAL, "nova: no username or user_id");
	if (!c->project_name && !c->project_id)
		return mt_err(err, MT_EINVAL, "nova: no project_name or project_id (live migration "
			      "needs an admin-scoped token)");
	return 0;
}

static cJSON *domain_obj(const char *id, const char *name)
{
	cJSON *d = cJSON_CreateObject();

	if (id)
		cJSON_AddStringToObject(d, "id", id);
	else
		cJSON_AddStringToObject(d, "name", name ? name : "Default");
	return d;
}

char *mt_nova_auth_body(const struct mt_nova_creds *c)
{
	cJSON *root = cJSON_CreateObject(), *auth, *ident, *methods, *m, *user;
	char *out;

	auth = cJSON_AddObjectToObject(root, "auth");
	ident = cJSON_AddObjectToObject(auth, "identity");
	methods = cJSON_AddArrayToObject(ident, "methods");
	if (c->app_cred_secret) {
		cJSON_AddItemToArray(methods, cJSON_CreateString("application_credential"));
		m = cJSON_AddObjectToObject(ident, "application_credential");
		if (c->app_cred_id) {
			cJSON_AddStringToObject(m, "id", c->app_cred_id);
		} else {
			cJSON_AddStringToObject(m, "name", c->app_cred_name);
			user = cJSON_AddObjectToObject(m, "user");
			if (c->user_id) {
				cJSON_AddStringToObject(user, "id", c->user_id);
			} else {
				cJSON_AddStringToObject(user, "name", c->username);
				cJSON_AddItemToObject(user, "domain",
						      domain_obj(c->user_domain_id,
								 c->user_domain_name));
			}
		}
		cJSON_AddStringToObject(m, "secret", c->app_cred_secret);
	} else {
		cJSON_AddItemToArray(methods, cJSON_CreateString("password"));
		m = cJSON_AddObjectToObject(ident, "password");
		user = cJSON_AddObjectToObject(m, "user");
		if (c->user_id) {
			cJSON_AddStringToObject(user, "id", c->user_id);
		} else {
			cJSON_AddStringToObject(user, "name", c->username);
			cJSON_AddItemToObject(user, "domain",
					      domain_obj(c->user_domain_id, c->user_domain_name));
		}
		cJSON_AddStringToObject(user, "password", c->password ? c->password : "");
		cJSON *scope = cJSON_AddObjectToObject(auth, "scope");
		cJSON *proj = cJSON_AddObjectToObject(scope, "project");
		if (c->project_id) {
			cJSON_AddStringToObject(proj, "id", c->project_id);
		} else {
			cJSON_AddStringToObject(proj, "name", c->project_name);
			cJSON_AddItemToObject(proj, "domain",
					      domain_obj(c->project_domain_id,
							 c->project_domain_name));
		}
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

char *mt_nova_tokens_url(const char *auth_url)
{
	size_t n = strlen(auth_url);
	char *out;

	while (n && auth_url[n - 1] == '/')
		n--;
	out = malloc(n + 20);
	if (!out)
		return NULL;
	/* clouds.yaml often names the bare identity endpoint; the v3 API lives under /v3. */
	if (n >= 3 && strncmp(auth_url + n - 3, "/v3", 3) == 0)
		snprintf(out, n + 20, "%.*s/auth/tokens", (int)n, auth_url);
	else
		snprintf(out, n + 20, "%.*s/v3/auth/tokens", (int)n, auth_url);
	return out;
}

void mt_nova_token_free(struct mt_nova_token *t)
{
	if (t)
		FREE(t->compute_url);
}

int64_t mt_nova_time_ms(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;
	double frac = 0;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	p = s + n;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	/* Nova writes naive UTC ("2026-11-25T19:13:51.000000"); Z and +00:00 mean the same. */
	if (*p && *p != 'Z' && strcmp(p, "+00:00") != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm) * 1000 + (int64_t)(frac * 1000 + 0.5);
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *dup_of(const cJSON *o, const char *key)
{
	const char *s = str_of(o, key);

	return s ? strdup(s) : NULL;
}

int mt_nova_parse_token(const char *body, const char *type, const char *interface,
			const char *region, struct mt_nova_token *t, struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *tok, *cat, *svc, *ep;
	char seen[256] = "";
	int rc = 0, found_type = 0;

	memset(t, 0, sizeof(*t));
	if (!interface || !*interface)
		interface = "public";
	tok = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (!cJSON_IsObject(tok)) {
		rc = mt_err(err, MT_EINFRA, "keystone: token response without a token object");
		goto out;
	}
	t->expires_unix = mt_nova_time_ms(str_of(tok, "expires_at"));
	t->expires_unix = t->expires_unix < 0 ? 0 : t->expires_unix / 1000;
	cat = cJSON_GetObjectItemCaseSensitive(tok, "catalog");
	cJSON_ArrayForEach(svc, cat) {
		const char *st = str_of(svc, "type");

		if (!st || strcmp(st, type) != 0)
			continue;
		found_type = 1;
		cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(svc, "endpoints")) {
			const char *itf = str_of(ep, "interface"), *reg = str_of(ep, "region_id");
			size_t l = strlen(seen);

			if (!reg)
				reg = str_of(ep, "region");
			if (itf && strcmp(itf, interface) == 0 &&
			    (!region || (reg && strcmp(reg, region) == 0))) {
				t->compute_url = dup_of(ep, "url");
				if (!t->compute_url)
					rc = mt_err(err, MT_EINFRA, "keystone: %s endpoint without "
						    "a url", type);
				goto out;
			}
			snprintf(seen + l, sizeof(seen) - l, "%s%s/%s", l ? ", " : "",
				 itf ? itf : "?", reg ? reg : "?");
		}
	}
	if (!found_type)
		rc = mt_err(err, MT_EINFRA, "keystone: the catalog has no '%s' service (is the "
			    "token scoped to a project?)", type);
	else
		rc = mt_err(err, MT_EINFRA, "keystone: no %s endpoint for interface %s%s%s; "
			    "the catalog has %s", type, interface, region ? " region " : "",
			    region ? region : "", seen);
out:
	cJSON_Delete(root);
	if (rc)
		mt_nova_token_free(t);
	return rc;
}

char *mt_nova_live_body(const char *host, const char *block)
{
	cJSON *root = cJSON_CreateObject(), *a;
	char *out;

	a = cJSON_AddObjectToObject(root, "os-migrateLive");
	if (host)
		cJSON_AddStringToObject(a, "host", host);
	else
		cJSON_AddNullToObject(a, "host");
	if (!block || strcmp(block, "auto") == 0)
		cJSON_AddStringToObject(a, "block_migration", "auto");
	else
		cJSON_AddBoolToObject(a, "block_migration", strcmp(block, "true") == 0);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

void mt_nova_server_free(struct mt_nova_server *s)
{
	if (!s)
		return;
	FREE(s->id);
	FREE(s->name);
	FREE(s->status);
	FREE(s->task_state);
	FREE(s->host);
	FREE(s->instance_name);
}

int mt_nova_parse_server(const char *body, struct mt_nova_server *s, struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *sv;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	sv = cJSON_GetObjectItemCaseSensitive(root, "server");
	if (!cJSON_IsObject(sv) || !str_of(sv, "id") || !str_of(sv, "status")) {
		rc = mt_err(err, MT_EINFRA, "nova: server response without id/status");
		goto out;
	}
	s->id = dup_of(sv, "id");
	s->name = dup_of(sv, "name");
	s->status = dup_of(sv, "status");
	s->task_state = dup_of(sv, "OS-EXT-STS:task_state");  /* null when idle */
	s->host = dup_of(sv, "OS-EXT-SRV-ATTR:host");          /* admin only */
	s->instance_name = dup_of(sv, "OS-EXT-SRV-ATTR:instance_name");
	if (!s->id || !s->status)
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	if (rc)
		mt_nova_server_free(s);
	return rc;
}

int mt_nova_parse_server_list(const char *body, const char *name, char **id,
			      struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *list, *sv;
	const char *found = NULL;
	int n = 0, rc = 0;

	*id = NULL;
	list = cJSON_GetObjectItemCaseSensitive(root, "servers");
	if (!cJSON_IsArray(list)) {
		rc = mt_err(err, MT_EINFRA, "nova: server list without 'servers'");
		goto out;
	}
	cJSON_ArrayForEach(sv, list) {
		const char *nm = str_of(sv, "name"), *i = str_of(sv, "id");

		if (i && ((nm && strcmp(nm, name) == 0) || strcmp(i, name) == 0)) {
			found = i;
			n++;
		}
	}
	if (n == 0)
		rc = mt_err(err, MT_ENOTFOUND, "nova: no server named '%s'", name);
	else if (n > 1)
		rc = mt_err(err, MT_EINFRA, "nova: %d servers are named '%s'; name one by its id",
			    n, name);
	else if (!(*id = strdup(found)))
		rc = mt_err(err, MT_ENOMEM, "out of memory");
out:
	cJSON_Delete(root);
	return rc;
}

int mt_nova_parse_server_names(const char *body, char ***names, struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *list, *sv;
	char **v = NULL;
	int n = 0, k = 0, rc = 0;

	*names = NULL;
	list = cJSON_GetObjectItemCaseSensitive(root, "servers");
	if (!cJSON_IsArray(list)) {
		rc = mt_err(err, MT_EINFRA, "nova: server list without 'servers'");
		goto out;
	}
	n = cJSON_GetArraySize(list);
	if (!(v = calloc((size_t)n + 1, sizeof(*v)))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(sv, list) {
		const char *nm = str_of(sv, "name");

		if (!nm || !*nm)
			continue;
		if (!(v[k] = strdup(nm))) {
			rc = mt_err(err, MT_ENOMEM, "out of memory");
			goto out;
		}
		k++;
	}
	mt_domains_sort(v); /* a server listed twice is moved once */
	*names = v;
	v = NULL;
out:
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	cJSON_Delete(root);
	return rc;
}

void mt_nova_migration_free(struct mt_nova_migration *m)
{
	if (!m)
		return;
	FREE(m->status);
	FREE(m->source_compute);
	FREE(m->dest_compute);
	FREE(m->created_at);
	FREE(m->updated_at);
	FREE(m->type);
}

static double num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

int mt_nova_parse_migrations(const char *body, long long min_id, struct mt_nova_migration *m,
			     struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *list, *it, *best = NULL;
	double best_id = -1;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	list = cJSON_GetObjectItemCaseSensitive(root, "migrations");
	if (!cJSON_IsArray(list)) {
		rc = mt_err(err, MT_EINFRA, "nova: migrations response without 'migrations'");
		goto out;
	}
	cJSON_ArrayForEach(it, list) {
		const char *type = str_of(it, "migration_type");
		double id = num_of(it, "id");

		/* /servers/{id}/migrations lists live migrations only and has no type field. */
		if (type && strcmp(type, "live-migration") != 0)
			continue;
		if (id < (double)min_id || id <= best_id)
			continue;
		best = it;
		best_id = id;
	}
	if (!best) {
		rc = mt_err(err, MT_ENOTFOUND, "nova: no live migration record");
		goto out;
	}
	m->id = (long long)best_id;
	m->status = dup_of(best, "status");
	m->source_compute = dup_of(best, "source_compute");
	m->dest_compute = dup_of(best, "dest_compute");
	m->created_at = dup_of(best, "created_at");
	m->updated_at = dup_of(best, "updated_at");
	m->type = dup_of(best, "migration_type");
	m->memory_total_bytes = num_of(best, "memory_total_bytes");
	m->memory_processed_bytes = num_of(best, "memory_processed_bytes");
	m->memory_remaining_bytes = num_of(best, "memory_remaining_bytes");
	m->disk_total_bytes = num_of(best, "disk_total_bytes");
	m->disk_processed_bytes = num_of(best, "disk_processed_bytes");
	m->disk_remaining_bytes = num_of(best, "disk_remaining_bytes");
out:
	cJSON_Delete(root);
	return rc;
}

int mt_nova_migration_final(const char *status, int *ok)
{
	static const char *const good[] = { "completed", "done", NULL };
	static const char *const bad[] = { "error", "failed", "cancelled", "aborted", NULL };

	*ok = 0;
	if (!status)
		return 0;
	for (int i = 0; good[i]; i++)
		if (strcmp(status, good[i]) == 0)
			return *ok = 1;
	for (int i = 0; bad[i]; i++)
		if (strcmp(status, bad[i]) == 0)
			return 1;
	return 0;
}

/* Nova: {"conflictingRequest": {"code": 409, "message": "..."}}; Keystone: {"error":
 * {"code": 401, "title": "Unauthorized", "message": "..."}}; a proxy or webob: text/HTML. */
int mt_nova_http_error(long code, const char *body, const char *what, struct mt_error *err)
{
	cJSON *root = cJSON_Parse(body ? body : ""), *first;
	const char *kind = NULL, *msg = NULL;
	char text[300] = "";
	int rc;

	first = root && cJSON_IsObject(root) ? root->child : NULL;
	if (cJSON_IsObject(first)) {
		kind = first->string;
		msg = str_of(first, "message");
		if (strcmp(kind, "error") == 0 && str_of(first, "title"))
			kind = str_of(first, "title");
	}
	if (!msg && body) {
		/* first non-empty line of a non-JSON answer, tags and all: it is what was said */
		size_t i = 0, j = 0;
		while (body[i] && isspace((unsigned char)body[i]))
			i++;
		while (body[i] && body[i] != '\n' && j + 1 < sizeof(text))
			text[j++] = body[i++];
		text[j] = '\0';
		msg = text;
	}
	if (code == 401 || code == 403)
		rc = MT_EINFRA;
	else if (code == 404)
		rc = MT_ENOTFOUND;
	else if (code == 406 || code == 501)
		rc = MT_EUNSUPPORTED; /* microversion or action not available on this cloud */
	else if (code == 400 && msg && (strstr(msg, "not supported") ||
					 strstr(msg, "Invalid microversion")))
		rc = MT_EUNSUPPORTED;
	else
		rc = MT_EINFRA; /* 400 (no valid host...), 409 (wrong state), 5xx */
	mt_err(err, rc, "%s: HTTP %ld%s%s%s%s", what, code, kind ? " " : "", kind ? kind : "",
	       msg && *msg ? ": " : "", msg ? msg : "");
	cJSON_Delete(root);
	return rc;
}

char *mt_nova_libvirt_uri(const char *map, const char *host)
{
	size_t hl;
	const char *p = map;

	if (!map || !host)
		return NULL;
	hl = strlen(host);
	while (*p) {
		const char *end;

		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ' ' && *end != ',')
			end++;
		if ((size_t)(end - p) > hl + 1 && strncmp(p, host, hl) == 0 && p[hl] == '=')
			return strndup(p + hl + 1, (size_t)(end - p) - hl - 1);
		p = end;
	}
	return NULL;
}
