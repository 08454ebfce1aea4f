/* nova_priv.h — the `nova` driver's parts: credentials (clouds.yaml / OS_* environment),
 * Keystone v3 tokens and the service catalog, Nova request bodies and response parsing, error
 * mapping. Everything here except mt_nova_http/mt_nova_auth is pure (no I/O) so that the unit
 * tests drive it with recorded responses (tests/unit/fixtures/nova/).
 *
 * Secrets (password, application credential secret, token) live only in these structs and in
 * request bodies/headers; no function here puts them into an mt_error message.
 */
#ifndef MT_NOVA_PRIV_H
#define MT_NOVA_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/error.h"
#include "migtorture/option.h"

/* What Keystone needs to issue a token, plus how to reach the cloud. */
struct mt_nova_creds {
	char *auth_url;                 /* e.g. http://198.18.4.1:5000/v3 (with or without /v3) */
	char *username, *user_id, *password;
	char *user_domain_name, *user_domain_id;
	char *project_name, *project_id, *project_domain_name, *project_domain_id;
	char *app_cred_id, *app_cred_name, *app_cred_secret; /* application credential */
	char *region, *interface;       /* catalog selection (interface default "public") */
	char *cacert;                   /* CA bundle path, or NULL */
	int verify;                     /* TLS verification: 1 (default), 0 only when asked */
};

void mt_nova_creds_free(struct mt_nova_creds *c);

/* Reads cloud `name` from the clouds.yaml at path into c (zeroed by the caller; libyaml).
 * Errors: MT_EIO (cannot read), MT_EINVAL ("path:line: what was expected", or "no cloud NAME
 * in path"). Never copies a secret into err. */
int mt_nova_clouds_read(const char *path, const char *name, struct mt_nova_creds *c,
			struct mt_error *err);

/* Fills c from OS_* environment variables (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, ...); a
 * field already set is kept. getenv_fn is getenv, or a fake in tests. */
void mt_nova_creds_from_env(struct mt_nova_creds *c, const char *(*getenv_fn)(const char *));

/* Finds the clouds.yaml to read: explicit, else $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
 * $HOME/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml. Returns a malloc'd path or
 * NULL when none exists. */
char *mt_nova_clouds_find(const char *explicit_path);

/* 0 when c can authenticate (auth_url and either a user+password+project or an application
 * credential), else MT_EINVAL naming what is missing (never a value). */
int mt_nova_creds_check(const struct mt_nova_creds *c, struct mt_error *err);

/* The POST /v3/auth/tokens body (malloc'd JSON): password method with a project scope, or the
 * application_credential method (unscoped: the credential carries its project). */
char *mt_nova_auth_body(const struct mt_nova_creds *c);

/* auth_url + "/auth/tokens", adding "/v3" when auth_url has no version. malloc'd. */
char *mt_nova_tokens_url(const char *auth_url);

/* A parsed token response: expiry and the endpoint of one service type. */
struct mt_nova_token {
	int64_t expires_unix;   /* seconds since the epoch, 0 if absent */
	char *compute_url;      /* the compute endpoint (interface/region chosen), or NULL */
};
void mt_nova_token_free(struct mt_nova_token *t);

/* Parses a token response body: expires_at and the catalog's `type` endpoint for interface
 * (default public) and region (any when NULL). Errors: MT_EINFRA with what is missing (no such
 * service, no such interface/region — naming the ones the catalog has). */
int mt_nova_parse_token(const char *body, const char *type, const char *interface,
			const char *region, struct mt_nova_token *t, struct mt_error *err);

/* ISO 8601 as Nova/Keystone write it ("2026-11-25T19:13:51.000000Z", "2026-11-25T19:13:51",
 * "...+00:00") → milliseconds since the epoch (UTC), or -1. */
int64_t mt_nova_time_ms(const char *s);

/* The os-migrateLive action body. host NULL → the scheduler chooses. block is "auto", "true"
 * or "false" (microversion ≥ 2.25 accepts "auto"). malloc'd. */
char *mt_nova_live_body(const char *host, const char *block);

/* A server as GET /servers/{id} shows it (admin fields included). */
struct mt_nova_server {
	char *id, *name, *status, *task_state, *host, *instance_name;
};
void mt_nova_server_free(struct mt_nova_server *s);
int mt_nova_parse_server(const char *body, struct mt_nova_server *s, struct mt_error *err);

/* The id of the one server named name in a GET /servers?name=... answer (Nova matches the
 * name as a regular expression, so exact matches are filtered here). MT_ENOTFOUND when none,
 * MT_EINFRA when several. *id malloc'd. */
int mt_nova_parse_server_list(const char *body, const char *name, char **id,
			      struct mt_error *err);

/* The names in a GET /servers answer, sorted, each once (servers of one name in several projects
 * are one name: the driver then refuses it as ambiguous when it prepares), in a malloc'd
 * NULL-terminated array (mt_domains_free-compatible: each name malloc'd). MT_EINFRA without
 * 'servers'. */
int mt_nova_parse_server_names(const char *body, char ***names, struct mt_error *err);

/* One migration record (GET /servers/{id}/migrations or /os-migrations). Absent numbers: -1. */
struct mt_nova_migration {
	long long id;
	char *status, *source_compute, *dest_compute, *created_at, *updated_at, *type;
	double memory_total_bytes, memory_processed_bytes, memory_remaining_bytes;
	double disk_total_bytes, disk_processed_bytes, disk_remaining_bytes;
};
void mt_nova_migration_free(struct mt_nova_migration *m);

/* The newest live migration in a {"migrations": [...]} body (highest id), or MT_ENOTFOUND.
 * min_id: ignore records with id < min_id (an earlier hop's). */
int mt_nova_parse_migrations(const char *body, long long min_id, struct mt_nova_migration *m,
			     struct mt_error *err);

/* 1 for a migration status that will not change any more (completed, error, failed,
 * cancelled, done, aborted), else 0. ok is set to 1 for completed/done. */
int mt_nova_migration_final(const char *status, int *ok);

/* Maps an HTTP error answer to an MT_E* code and a message with Nova's (or Keystone's) own
 * text: "HTTP 409 conflictingRequest: Cannot 'os-migrateLive' instance ... while it is in
 * task_state migrating". what names the request ("POST os-migrateLive"). */
int mt_nova_http_error(long code, const char *body, const char *what, struct mt_error *err);

/* --- HTTP (nova_http.c): one blocking libcurl request --- */
struct mt_nova_http {
	int verify;           /* TLS peer and host verification */
	const char *cacert;   /* or NULL */
	long timeout_s;
};

struct mt_nova_resp {
	long code;            /* HTTP status, 0 when no answer */
	char *body;           /* NUL-terminated, may be empty */
	char *subject_token;  /* X-Subject-Token header (token requests only), or NULL */
};
void mt_nova_resp_free(struct mt_nova_resp *r);

/* Sends method url with an optional JSON body, token (X-Auth-Token) and compute microversion
 * (OpenStack-API-Version: compute X). A transport failure returns MT_EINFRA with curl's text;
 * any HTTP answer returns 0 with resp->code set. */
int mt_nova_http(const struct mt_nova_http *h, const char *method, const char *url,
		 const char *body, const char *token, const char *microversion,
		 struct mt_nova_resp *resp, struct mt_error *err);

/* --- the driver's options (nova_options.c) --- */
extern const struct mt_option mt_nova_options[];

struct mt_nova_config {
	char *cloud, *clouds_yaml, *microversion, *block, *libvirt_uris;
	int scheduler;        /* 1: no host in os-migrateLive */
	int force_on_timeout; /* 1: force_complete on timeout, 0: abort (DELETE) */
	int insecure;
	int64_t poll_ns;
};
int mt_nova_config_from_params(const struct mt_params *p, struct mt_nova_config *c,
			       struct mt_error *err);
void mt_nova_config_free(struct mt_nova_config *c);

/* The libvirt URI named for host in "hosta=URI hostb=URI" (malloc'd), or NULL. */
char *mt_nova_libvirt_uri(const char *map, const char *host);

#endif
