/* nova.c — the `nova` migration driver: live migration through the OpenStack compute API, as
 * a Nova user (an operator with the admin role) sees it.
 *
 * prepare: credentials (clouds.yaml cloud or OS_* environment; nova_clouds.c), a Keystone v3
 * token and the compute endpoint from its catalog, the server's id from its name.
 * start: a hop thread (HTTP calls block; plugin.h lets a driver block in its own thread) sends
 * os-migrateLive, then polls GET /servers/{id}/migrations (progress: memory/disk processed,
 * remaining, total) and GET /servers/{id} (task_state, host) every migrate.poll until the server
 * is idle again, then reads the migration record (GET /os-migrations) until its status is
 * final. abort (the runner's migrate.timeout) asks the thread to DELETE the running migration,
 * or to force_complete it (migrate.on_timeout). The token is reused and renewed 60 s before it
 * expires; a 401 renews it and repeats the request, at most twice per call (see call()).
 *
 * Times: total_time_ms is API-observed — from sending os-migrateLive to seeing the server idle
 * on another host; record_final_ms until Nova's migration record was final; nova_record_ms is
 * the record's own updated_at − created_at (1 s resolution in Nova's database). With
 * migrate.libvirt_uris the destination compute's libvirtd adds libvirt's completed job figures
 * (its total time, hypervisor downtime, bytes) for comparison, and the source compute's
 * libvirtd the hop's phases for anchored events (libvirt_phases.c: pre-copy passes, the
 * switch-over, post-copy; hopN.remaining<= from Nova's own memory_remaining_bytes).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "libvirt_priv.h"
#include "nova_priv.h"

#define MAX_SAMPLES 256
#define FINAL_WAIT_NS (60LL * 1000000000LL) /* server idle → migration record final */

struct sample {
	int64_t t_ns;
	double mem_total, mem_proc, mem_rem, disk_total, disk_proc, disk_rem;
};

struct nv_state {
	struct mt_nova_config cfg;
	struct mt_nova_creds creds;
	struct mt_nova_http http;
	pthread_mutex_t tok_mu;      /* token renewal (loop thread vs hop thread) */
	char *token, *compute_url;
	int64_t token_exp;           /* unix seconds */
	int n_tokens, n_unauthorized; /* tokens obtained; 401s answered by a new token (tok_mu) */
	char *name, *server_id;
	int hops_done;
	long long last_mig_id;       /* records of earlier hops are ignored */

	/* the running hop */
	int hop, running, have_thread, efd;
	pthread_t thread;
	char *from, *to;
	atomic_int abort_req;
	pthread_mutex_t mu;          /* guards samples */
	struct sample samples[MAX_SAMPLES];
	int nsamples, samples_lost;
	/* written by the hop thread before it signals efd */
	int64_t t_start_ns, t_accept_ns, t_idle_ns, t_final_ns, t_abort_ns;
	int64_t t_run_ns;            /* first poll that saw the record past accepted/queued */
	int hop_rc, abort_sent, polls;
	char msg[MT_ERRMSG_MAX];
	char *instance_name, *final_host;
	struct mt_nova_migration rec;
	struct sample last;          /* last progress seen (-1: never) */
	double lv_time_ms, lv_downtime_ms, lv_bytes, lv_mem_bytes;
	char lv_why[200];
	/* the hop's phases from the source compute's libvirtd (prepare to release) */
	struct mt_lv_phasewatch *phases;
	char phases_why[300];        /* why a hop has none ("" when watched) */
};

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000LL, ns % 1000000000LL };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* --- Keystone --- */

static int authenticate(struct nv_state *s, struct mt_error *err)
{
	struct mt_nova_resp r = { 0 };
	struct mt_nova_token t = { 0 };
	char *url = mt_nova_tokens_url(s->creds.auth_url), *body = mt_nova_auth_body(&s->creds);
	int rc;

	if (!url || !body) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = mt_nova_http(&s->http, "POST", url, body, NULL, NULL, &r, err)) < 0)
		goto out;
	if (r.code != 201 && r.code != 200) {
		rc = mt_nova_http_error(r.code, r.body, "keystone POST /v3/auth/tokens", err);
		goto out;
	}
	if (!r.subject_token) {
		rc = mt_err(err, MT_EINFRA, "keystone: token response without X-Subject-Token");
		goto out;
	}
	if ((rc = mt_nova_parse_token(r.body, "compute", s->creds.interface, s->creds.region, &t,
				      err)) < 0)
		goto out;
	free(s->token);
	s->token = r.subject_token;
	r.subject_token = NULL;
	s->n_tokens++;
	s->token_exp = t.expires_unix ? t.expires_unix : (int64_t)time(NULL) + 3600;
	free(s->compute_url);
	s->compute_url = t.compute_url;
	t.compute_url = NULL;
	/* the catalog URL may end in a slash or a project id path; requests append /servers... */
	{
		size_t n = strlen(s->compute_url);
		while (n && s->compute_url[n - 1] == '/')
			s->compute_url[--n] = '\0';
	}
out:
	if (body) {
		memset(body, 0, strlen(body)); /* it holds the password or secret */
		free(body);
	}
	free(url);
	mt_nova_token_free(&t);
	mt_nova_resp_free(&r);
	return rc;
}

static int ensure_token(struct nv_state *s, int force, struct mt_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&s->tok_mu);
	if (force || !s->token || (int64_t)time(NULL) + 60 >= s->token_exp)
		rc = authenticate(s, err);
	pthread_mutex_unlock(&s->tok_mu);
	return rc;
}

/* One compute API call: path is appended to the catalog's compute URL. A 401 renews the token
 * and asks again, at most twice: Keystone keeps revocation times in whole seconds, so a token
 * issued in the same second as the revocation (a password change, a disabled user) is revoked
 * too, and the second renewal waits 1.1 s for a token from a later second. HTTP ≥ 400 becomes
 * an error with Nova's message; *r holds the answer otherwise. */
static int call(struct nv_state *s, const char *method, const char *path, const char *body,
		struct mt_nova_resp *r, struct mt_error *err)
{
	char url[2048], what[160];
	int rc;

	for (int attempt = 0; attempt < 3; attempt++) {
		if (attempt == 2)
			sleep_ns(1100 * 1000000LL);
		if ((rc = ensure_token(s, attempt > 0, err)) < 0)
			return rc;
		snprintf(url, sizeof(url), "%s%s", s->compute_url, path);
		pthread_mutex_lock(&s->tok_mu);
		char *tok = strdup(s->token);
		pthread_mutex_unlock(&s->tok_mu);
		if (!tok)
			return mt_err(err, MT_ENOMEM, "out of memory");
		rc = mt_nova_http(&s->http, method, url, body, tok, s->cfg.microversion, r, err);
		memset(tok, 0, strlen(tok));
		free(tok);
		if (rc < 0)
			return rc;
		if (r->code != 401 || attempt == 2)
			break;
		/* Keystone revoked the token (password change, user disabled, key rotation) or
		 * it expired early: one new token, then the request again. */
		pthread_mutex_lock(&s->tok_mu);
		s->n_unauthorized++;
		pthread_mutex_unlock(&s->tok_mu);
		mt_nova_resp_free(r);
	}
	if (r->code >= 400) {
		/* the path without the query: names what was asked, not the filters */
		snprintf(what, sizeof(what), "nova %s %.*s", method, (int)strcspn(path, "?"), path);
		rc = mt_nova_http_error(r->code, r->body, what, err);
		mt_nova_resp_free(r);
		return rc;
	}
	return 0;
}

static int get_server(struct nv_state *s, struct mt_nova_server *sv, struct mt_error *err)
{
	struct mt_nova_resp r = { 0 };
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "/servers/%s", s->server_id);
	if ((rc = call(s, "GET", path, NULL, &r, err)) < 0)
		return rc;
	rc = mt_nova_parse_server(r.body, sv, err);
	mt_nova_resp_free(&r);
	return rc;
}

/* --- the hop thread --- */

static void record_progress(struct nv_state *s, const struct mt_nova_migration *m, int64_t t)
{
	struct sample x = { t, m->memory_total_bytes, m->memory_processed_bytes,
			    m->memory_remaining_bytes, m->disk_total_bytes,
			    m->disk_processed_bytes, m->disk_remaining_bytes };

	if (m->memory_total_bytes < 0 && m->memory_processed_bytes < 0)
		return;
	/* Nova shows 0 of 0 until its monitor has read libvirt's job once */
	if (m->memory_total_bytes > 0 && m->memory_remaining_bytes >= 0)
		mt_lv_phasewatch_push(s->phases, MT_PHASE_REMAINING, m->memory_remaining_bytes, t);
	s->last = x;
	pthread_mutex_lock(&s->mu);
	if (s->nsamples < MAX_SAMPLES)
		s->samples[s->nsamples++] = x;
	else
		s->samples_lost++;
	pthread_mutex_unlock(&s->mu);
}

/* Watches the hop's phases on the source compute's libvirtd, when migrate.libvirt_uris names
 * it; otherwise (or when it cannot be reached) says why in phases_why: the hop runs anyway and
 * its anchors are recorded as never come. */
static void watch_phases(struct nv_state *s)
{
	char *uri = s->cfg.libvirt_uris ? mt_nova_libvirt_uri(s->cfg.libvirt_uris, s->from) : NULL;
	struct mt_error e = { 0 };

	s->phases_why[0] = '\0';
	mt_lv_phasewatch_arm(s->phases, s->hop);
	if (!uri)
		snprintf(s->phases_why, sizeof(s->phases_why), "no libvirt URI for the source "
			 "compute '%s' in migrate.libvirt_uris", s->from);
	else if (!s->instance_name)
		snprintf(s->phases_why, sizeof(s->phases_why), "Nova did not show the instance "
			 "name (OS-EXT-SRV-ATTR:instance_name needs the admin role)");
	else if (mt_lv_phasewatch_start(s->phases, uri, s->instance_name, &e) < 0)
		snprintf(s->phases_why, sizeof(s->phases_why), "%.290s", e.msg);
	free(uri);
}

/* Sends the abort or force_complete the runner asked for, once a migration id is known. */
static void act_on_abort(struct nv_state *s, long long mig_id)
{
	struct mt_nova_resp r = { 0 };
	struct mt_error e = { 0 };
	char path[256];

	if (s->abort_sent || !atomic_load(&s->abort_req) || mig_id < 0)
		return;
	s->abort_sent = 1;
	s->t_abort_ns = mt_now_ns();
	if (s->cfg.force_on_timeout) {
		snprintf(path, sizeof(path), "/servers/%s/migrations/%lld/action", s->server_id,
			 mig_id);
		if (call(s, "POST", path, "{\"force_complete\": null}", &r, &e) < 0)
			snprintf(s->msg, sizeof(s->msg), "force_complete refused: %.900s", e.msg);
	} else {
		snprintf(path, sizeof(path), "/servers/%s/migrations/%lld", s->server_id, mig_id);
		if (call(s, "DELETE", path, NULL, &r, &e) < 0)
			snprintf(s->msg, sizeof(s->msg), "abort refused: %.900s", e.msg);
	}
	mt_nova_resp_free(&r);
}

/* libvirt's completed-job figures from the destination compute (migrate.libvirt_uris). */
static void libvirt_figures(struct nv_state *s)
{
	char *uri = mt_nova_libvirt_uri(s->cfg.libvirt_uris, s->final_host);
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	virTypedParameterPtr p = NULL;
	int n = 0, type = 0;
	unsigned long long v;

	s->lv_time_ms = s->lv_downtime_ms = s->lv_bytes = s->lv_mem_bytes = NAN;
	if (!uri) {
		snprintf(s->lv_why, sizeof(s->lv_why), "no libvirt URI for compute '%s' in "
			 "migrate.libvirt_uris", s->final_host ? s->final_host : "?");
		return;
	}
	if (!s->instance_name) {
		snprintf(s->lv_why, sizeof(s->lv_why), "Nova did not show the instance name "
			 "(OS-EXT-SRV-ATTR:instance_name needs the admin role)");
		goto out;
	}
	if (!(c = virConnectOpen(uri)) || !(d = virDomainLookupByName(c, s->instance_name)) ||
	    virDomainGetJobStats(d, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED |
				 VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED) < 0) {
		snprintf(s->lv_why, sizeof(s->lv_why), "libvirt: %s", virGetLastErrorMessage());
		goto out;
	}
	if (type == VIR_DOMAIN_JOB_NONE || n == 0) {
		snprintf(s->lv_why, sizeof(s->lv_why), "libvirt kept no completed job on %s",
			 s->final_host);
		goto out;
	}
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
		s->lv_time_ms = (double)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
		s->lv_downtime_ms = (double)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
		s->lv_bytes = (double)v;
	if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
		s->lv_mem_bytes = (double)v;
out:
	if (p)
		virTypedParamsFree(p, n);
	if (d)
		virDomainFree(d);
	if (c)
		virConnectClose(c);
	virResetLastError();
	free(uri);
}

static int hop_body(struct nv_state *s, struct mt_error *err)
{
	struct mt_nova_server sv = { 0 };
	struct mt_nova_resp r = { 0 };
	char path[512], *body = NULL;
	long long mig_id = -1;
	int rc, ok = 0;

	if ((rc = get_server(s, &sv, err)) < 0)
		goto out;
	if (strcmp(sv.status, "ACTIVE") != 0 || sv.task_state) {
		rc = mt_err(err, MT_EINFRA, "server '%s' is %s%s%s, not ACTIVE and idle", s->name,
			    sv.status, sv.task_state ? " / task_state " : "",
			    sv.task_state ? sv.task_state : "");
		goto out;
	}
	if (!s->cfg.scheduler && sv.host && strcmp(sv.host, s->from) != 0) {
		rc = mt_err(err, MT_EINFRA, "server '%s' runs on compute '%s', not on the hop's "
			    "source '%s'", s->name, sv.host, s->from);
		goto out;
	}
	free(s->instance_name);
	s->instance_name = sv.instance_name;
	sv.instance_name = NULL;
	mt_nova_server_free(&sv);

	watch_phases(s); /* before the request: the first pass starts at once */
	body = mt_nova_live_body(s->cfg.scheduler ? NULL : s->to, s->cfg.block);
	snprintf(path, sizeof(path), "/servers/%s/action", s->server_id);
	s->t_start_ns = mt_now_ns();
	rc = call(s, "POST", path, body, &r, err);
	s->t_accept_ns = mt_now_ns();
	mt_nova_resp_free(&r);
	if (rc < 0)
		goto out;

	/* Progress until the server is idle again. */
	for (;;) {
		struct mt_nova_migration m = { 0 };
		struct mt_error e = { 0 };

		sleep_ns(s->cfg.poll_ns);
		s->polls++;
		snprintf(path, sizeof(path), "/servers/%s/migrations", s->server_id);
		if (call(s, "GET", path, NULL, &r, &e) == 0 &&
		    mt_nova_parse_migrations(r.body, s->last_mig_id, &m, &e) == 0) {
			mig_id = m.id;
			record_progress(s, &m, mt_now_ns());
			/* Nova runs max_concurrent_live_migrations at once per compute; the rest
			 * wait as 'queued' (after 'accepted'): how long this one waited */
			if (!s->t_run_ns && m.status && strcmp(m.status, "accepted") != 0 &&
			    strcmp(m.status, "queued") != 0)
				s->t_run_ns = mt_now_ns();
		}
		mt_nova_resp_free(&r);
		mt_nova_migration_free(&m);
		act_on_abort(s, mig_id);
		if ((rc = get_server(s, &sv, err)) < 0)
			goto out;
		if (!sv.task_state && strcmp(sv.status, "MIGRATING") != 0)
			break;
		mt_nova_server_free(&sv);
	}
	s->t_idle_ns = mt_now_ns();
	s->final_host = sv.host ? strdup(sv.host) : NULL;

	/* The migration record: final a moment after the server is idle (post-migration). */
	snprintf(path, sizeof(path), "/os-migrations?instance_uuid=%s&migration_type=live-migration",
		 s->server_id);
	for (;;) {
		mt_nova_migration_free(&s->rec);
		if ((rc = call(s, "GET", path, NULL, &r, err)) < 0)
			goto out;
		rc = mt_nova_parse_migrations(r.body, s->last_mig_id, &s->rec, err);
		mt_nova_resp_free(&r);
		if (rc < 0)
			goto out;
		if (mt_nova_migration_final(s->rec.status, &ok))
			break;
		if (mt_now_ns() - s->t_idle_ns > FINAL_WAIT_NS) {
			rc = mt_err(err, MT_ETIMEOUT, "server idle on '%s' but migration %lld still "
				    "'%s' after 60 s", s->final_host ? s->final_host : "?",
				    s->rec.id, s->rec.status ? s->rec.status : "?");
			goto out;
		}
		sleep_ns(s->cfg.poll_ns);
	}
	s->t_final_ns = mt_now_ns();
	s->last_mig_id = s->rec.id + 1;
	if (!ok) {
		rc = mt_err(err, atomic_load(&s->abort_req) ? MT_ETIMEOUT : MT_EINFRA,
			    "nova migration %lld %s → %s ended '%s'; the server is on '%s'%s%s",
			    s->rec.id, s->rec.source_compute ? s->rec.source_compute : s->from,
			    s->rec.dest_compute ? s->rec.dest_compute : "?", s->rec.status,
			    s->final_host ? s->final_host : "?", *s->msg ? " — " : "", s->msg);
		goto out;
	}
	if (!s->final_host || strcmp(s->final_host, s->from) == 0 ||
	    (!s->cfg.scheduler && strcmp(s->final_host, s->to) != 0)) {
		rc = mt_err(err, MT_EINFRA, "nova reports migration %lld completed but the server "
			    "is on '%s' (expected '%s')", s->rec.id,
			    s->final_host ? s->final_host : "?", s->cfg.scheduler ? "not the source"
			    : s->to);
		goto out;
	}
	if (s->cfg.libvirt_uris)
		libvirt_figures(s);
out:
	mt_lv_phasewatch_stop(s->phases);
	mt_nova_server_free(&sv);
	mt_nova_resp_free(&r);
	free(body);
	return rc;
}

static void *hop_thread(void *arg)
{
	struct nv_state *s = arg;
	struct mt_error e = { 0 };
	uint64_t one = 1;

	s->hop_rc = hop_body(s, &e);
	if (s->hop_rc < 0)
		snprintf(s->msg, sizeof(s->msg), "%s", e.msg);
	(void)!write(s->efd, &one, sizeof(one));
	return NULL;
}

/* --- ops --- */

static int nv_check(const struct mt_params *p, struct mt_error *err)
{
	struct mt_nova_config c;
	int rc = mt_nova_config_from_params(p, &c, err);

	mt_nova_config_free(&c);
	return rc;
}

static const char *env_get(const char *k)
{
	return getenv(k);
}

/* Credentials from the named cloud (scenario, else $OS_CLOUD) and the OS_* environment. */
static int load_creds(struct nv_state *s, struct mt_error *err)
{
	const char *cloud = s->cfg.cloud ? s->cfg.cloud : getenv("OS_CLOUD");
	char *path = NULL;
	int rc = 0;

	s->creds.verify = 1;
	if (cloud && *cloud) {
		if (!(path = mt_nova_clouds_find(s->cfg.clouds_yaml))) {
			rc = mt_err(err, MT_EUNSUPPORTED, "nova: cloud '%s' named but no clouds.yaml "
				    "found (migrate.clouds_yaml, $OS_CLIENT_CONFIG_FILE, "
				    "./clouds.yaml, ~/.config/openstack/, /etc/openstack/)", cloud);
			goto out;
		}
		if ((rc = mt_nova_clouds_read(path, cloud, &s->creds, err)) < 0)
			goto out;
	}
	mt_nova_creds_from_env(&s->creds, env_get);
	if (!s->creds.auth_url) {
		rc = mt_err(err, MT_EUNSUPPORTED, "nova: no cloud configured (set migrate.cloud "
			    "with a clouds.yaml, or OS_CLOUD / OS_AUTH_URL)");
		goto out;
	}
	rc = mt_nova_creds_check(&s->creds, err);
out:
	free(path);
	return rc;
}

static int nv_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			size_t whylen)
{
	struct nv_state s;
	struct mt_error e = { 0 };
	int rc;

	(void)ctx;
	memset(&s, 0, sizeof(s));
	if ((rc = mt_nova_config_from_params(p, &s.cfg, &e)) == 0)
		rc = load_creds(&s, &e);
	if (rc < 0)
		snprintf(why, whylen, "%s", e.msg);
	mt_nova_creds_free(&s.creds);
	mt_nova_config_free(&s.cfg);
	return rc < 0 ? MT_EUNSUPPORTED : 0;
}

static void state_free(struct nv_state *s)
{
	if (!s)
		return;
	if (s->efd >= 0)
		close(s->efd);
	mt_lv_phasewatch_free(s->phases);
	mt_nova_config_free(&s->cfg);
	mt_nova_creds_free(&s->creds);
	if (s->token)
		memset(s->token, 0, strlen(s->token));
	free(s->token);
	free(s->compute_url);
	free(s->name);
	free(s->server_id);
	free(s->from);
	free(s->to);
	free(s->instance_name);
	free(s->final_host);
	mt_nova_migration_free(&s->rec);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->tok_mu);
	free(s);
}

/* A state that can talk to Nova: its configuration, credentials and HTTP settings (the
 * token comes with the first call). *out is NULL on error. */
static int state_new(const struct mt_params *p, struct nv_state **out, struct mt_error *err)
{
	struct nv_state *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return mt_err(err, MT_ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tok_mu, NULL);
	s->efd = -1;
	if ((rc = mt_nova_config_from_params(p, &s->cfg, err)) < 0 ||
	    (rc = load_creds(s, err)) < 0) {
		state_free(s);
		return rc;
	}
	s->http.verify = s->cfg.insecure ? 0 : s->creds.verify;
	s->http.cacert = s->creds.cacert;
	s->http.timeout_s = 60;
	*out = s;
	return 0;
}

/* text escaped for a URL's query (curl_free it), or NULL when out of memory. */
static char *url_escape(const char *text)
{
	CURL *c = curl_easy_init();
	char *esc = c ? curl_easy_escape(c, text, 0) : NULL;

	if (c)
		curl_easy_cleanup(c);
	return esc;
}

static int nv_prepare(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		      struct mt_error *err)
{
	struct nv_state *s = NULL;
	struct mt_nova_resp r = { 0 };
	char path[512], anchored[300], *esc = NULL;
	int rc;

	*state = NULL;
	if (!ctx || !ctx->domain || !*ctx->domain)
		return mt_err(err, MT_EINVAL, "nova driver: no server name (domain =)");
	if ((rc = state_new(p, &s, err)) < 0)
		return rc;
	if (!(s->phases = mt_lv_phasewatch_new(err))) {
		rc = err && err->code ? err->code : MT_EIO;
		goto out;
	}
	if (!(s->name = strdup(ctx->domain))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ensure_token(s, 1, err)) < 0)
		goto out;
	/* Nova filters names by regular expression: anchor it, then match exactly here. */
	snprintf(anchored, sizeof(anchored), "^%s$", s->name);
	if (!(esc = url_escape(anchored))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/servers?all_tenants=1&name=%s", esc);
	if ((rc = call(s, "GET", path, NULL, &r, err)) < 0 ||
	    (rc = mt_nova_parse_server_list(r.body, s->name, &s->server_id, err)) < 0)
		goto out;
	*state = s;
	s = NULL;
out:
	if (esc)
		curl_free(esc);
	mt_nova_resp_free(&r);
	state_free(s);
	return rc;
}

static int nv_start(void *state, const struct mt_migrate_req *req, int *done_fd,
		    struct mt_error *err)
{
	struct nv_state *s = state;

	*done_fd = -1;
	if (s->running)
		return mt_err(err, MT_EINVAL, "nova driver: hop %d still running", s->hop);
	if (!req || !req->from || !req->to)
		return mt_err(err, MT_EINVAL, "nova driver: hop without source or destination");
	free(s->from);
	free(s->to);
	free(s->final_host);
	s->final_host = NULL;
	mt_nova_migration_free(&s->rec);
	if (!(s->from = strdup(req->from)) || !(s->to = strdup(req->to)))
		return mt_err(err, MT_ENOMEM, "out of memory");
	s->hop = req->hop;
	s->nsamples = s->samples_lost = s->polls = s->abort_sent = 0;
	s->hop_rc = 0;
	s->msg[0] = s->lv_why[0] = '\0';
	s->t_start_ns = s->t_accept_ns = s->t_idle_ns = s->t_final_ns = s->t_abort_ns = 0;
	s->t_run_ns = 0;
	s->last = (struct sample){ -1, -1, -1, -1, -1, -1, -1 };
	s->lv_time_ms = s->lv_downtime_ms = s->lv_bytes = s->lv_mem_bytes = NAN;
	atomic_store(&s->abort_req, 0);
	if (s->efd >= 0)
		close(s->efd);
	if ((s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return mt_err(err, MT_EIO, "eventfd: %s", strerror(errno));
	if (pthread_create(&s->thread, NULL, hop_thread, s) != 0)
		return mt_err(err, MT_EINFRA, "nova driver: cannot start the hop thread");
	s->have_thread = s->running = 1;
	*done_fd = s->efd;
	return 0;
}

static void drain(struct nv_state *s, struct mt_ctx *ctx)
{
	struct mt_cell_result *r = ctx ? ctx->result : NULL;
	struct mt_series *a = NULL, *b = NULL, *d = NULL;

	pthread_mutex_lock(&s->mu);
	if (r && s->nsamples) {
		a = mt_cell_series(r, "migration.nova_memory_processed_bytes", "bytes");
		b = mt_cell_series(r, "migration.nova_memory_remaining_bytes", "bytes");
		d = mt_cell_series(r, "migration.nova_disk_processed_bytes", "bytes");
	}
	for (int i = 0; r && i < s->nsamples; i++) {
		int64_t t = s->samples[i].t_ns - ctx->t0_ns;

		if (a && s->samples[i].mem_proc >= 0)
			mt_series_add(a, t, s->samples[i].mem_proc);
		if (b && s->samples[i].mem_rem >= 0)
			mt_series_add(b, t, s->samples[i].mem_rem);
		if (d && s->samples[i].disk_proc >= 0)
			mt_series_add(d, t, s->samples[i].disk_proc);
	}
	s->nsamples = 0;
	pthread_mutex_unlock(&s->mu);
}

static int nv_poll(void *state, struct mt_ctx *ctx, int64_t now_ns)
{
	(void)now_ns;
	drain(state, ctx);
	return 0;
}

static void set_num(struct mt_cell_result *r, const char *pre, const char *k, double v,
		    const char *why)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", pre, k);
	if (v >= 0 && !isnan(v))
		mt_cell_set_num(r, path, v);
	else if (why)
		mt_cell_set_absent(r, path, why);
}

static int nv_finish(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct nv_state *s = state;
	struct mt_cell_result *r = ctx ? ctx->result : NULL;
	char pre[48], dpre[48], path[128];
	const char *noprog = "Nova showed no in-progress record with byte counts while polling";
	int64_t c_ms, u_ms;
	uint64_t val;

	if (!s->have_thread)
		return mt_err(err, MT_EINVAL, "nova driver: finish without a running hop");
	pthread_join(s->thread, NULL);
	(void)!read(s->efd, &val, sizeof(val));
	s->have_thread = s->running = 0;
	drain(s, ctx);
	if (s->hop == 0) {
		snprintf(pre, sizeof(pre), "migration.");
		snprintf(dpre, sizeof(dpre), "downtime.");
	} else {
		snprintf(pre, sizeof(pre), "migration.hop%d.", s->hop);
		snprintf(dpre, sizeof(dpre), "downtime.hop%d.", s->hop);
	}
	if (r) {
		if (s->t_accept_ns)
			set_num(r, pre, "api_accept_ms", (double)(s->t_accept_ns - s->t_start_ns) / 1e6,
				NULL);
		set_num(r, pre, "nova_polls", s->polls, NULL);
		if (s->rec.id >= 0 && s->rec.status) {
			snprintf(path, sizeof(path), "%snova_status", pre);
			mt_cell_set_str(r, path, s->rec.status);
			set_num(r, pre, "nova_migration_id", (double)s->rec.id, NULL);
		}
		if (s->final_host) {
			snprintf(path, sizeof(path), "%shost_after", pre);
			mt_cell_set_str(r, path, s->final_host);
		}
		set_num(r, pre, "memory_total_bytes", s->last.mem_total, noprog);
		set_num(r, pre, "memory_processed_bytes", s->last.mem_proc, noprog);
		set_num(r, pre, "memory_remaining_bytes", s->last.mem_rem, noprog);
		set_num(r, pre, "disk_total_bytes", s->last.disk_total, noprog);
		set_num(r, pre, "disk_processed_bytes", s->last.disk_proc, noprog);
		if (s->abort_sent) {
			/* what migrate.timeout made the driver send, and when */
			snprintf(path, sizeof(path), "%son_timeout", pre);
			mt_cell_set_str(r, path, s->cfg.force_on_timeout ? "force_complete" : "abort");
			set_num(r, pre, "timeout_action_ms",
				(double)(s->t_abort_ns - s->t_start_ns) / 1e6, NULL);
		}
	}
	if (s->hop_rc < 0) {
		if (r) {
			snprintf(path, sizeof(path), "%serror", pre);
			mt_cell_set_str(r, path, s->msg);
		}
		return mt_err(err, s->hop_rc, "%s → %s: %s", s->from, s->to, s->msg);
	}
	s->hops_done++;
	if (!r)
		return 0;
	set_num(r, pre, "total_time_ms", (double)(s->t_idle_ns - s->t_start_ns) / 1e6, NULL);
	set_num(r, pre, "record_final_ms", (double)(s->t_final_ns - s->t_start_ns) / 1e6, NULL);
	set_num(r, pre, "nova_queued_ms",
		s->t_run_ns ? (double)(s->t_run_ns - s->t_accept_ns) / 1e6 : NAN,
		"no poll saw the migration record running (it ran between two polls)");
	c_ms = mt_nova_time_ms(s->rec.created_at);
	u_ms = mt_nova_time_ms(s->rec.updated_at);
	set_num(r, pre, "nova_record_ms", c_ms >= 0 && u_ms >= c_ms ? (double)(u_ms - c_ms) : NAN,
		"the migration record has no created_at/updated_at");
	if (mt_lv_phasewatch_lost(s->phases)) /* the runner did not take them in time */
		set_num(r, pre, "phase_events_lost", mt_lv_phasewatch_lost(s->phases), NULL);
	if (*s->phases_why) {
		/* why anchors on this hop's passes and switch-over could not come */
		snprintf(path, sizeof(path), "%sphase_events", pre);
		mt_cell_set_absent(r, path, s->phases_why);
	}
	if (s->cfg.libvirt_uris) {
		const char *why = *s->lv_why ? s->lv_why : "libvirt did not report it";

		set_num(r, pre, "libvirt_total_time_ms", s->lv_time_ms, why);
		set_num(r, pre, "transferred_bytes", s->lv_bytes, why);
		set_num(r, dpre, "hypervisor_downtime_ms", s->lv_downtime_ms, why);
	} else {
		set_num(r, dpre, "hypervisor_downtime_ms", NAN, "Nova does not report downtime; "
			"name the computes' libvirt URIs in migrate.libvirt_uris");
	}
	return 0;
}

static int nv_abort(void *state, struct mt_error *err)
{
	struct nv_state *s = state;

	(void)err;
	if (!s->running)
		return 0;
	/* The hop thread sends DELETE (or force_complete) on its next poll, once it knows the
	 * migration's id; the hop then ends through done_fd as usual. */
	atomic_store(&s->abort_req, 1);
	return 0;
}

static int nv_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	struct nv_state *s = state;
	struct mt_nova_server sv = { 0 };
	struct mt_error e = { 0 };

	(void)err;
	if (!ctx || !ctx->result)
		return 0;
	mt_cell_set_num(ctx->result, "migration.hops_completed", s->hops_done);
	if (get_server(s, &sv, &e) == 0 && sv.host)
		mt_cell_set_str(ctx->result, "migration.final_host", sv.host);
	else
		mt_cell_set_absent(ctx->result, "migration.final_host",
				   *e.msg ? e.msg : "Nova did not show the server's host");
	mt_nova_server_free(&sv);
	/* After the last call: how often the cell needed a token, and how many of those were
	 * answers to a 401 (a first token, renewals before expiry, re-authentications). */
	pthread_mutex_lock(&s->tok_mu);
	mt_cell_set_num(ctx->result, "migration.nova_tokens", s->n_tokens);
	mt_cell_set_num(ctx->result, "migration.nova_unauthorized", s->n_unauthorized);
	pthread_mutex_unlock(&s->tok_mu);
	return 0;
}

static int nv_locate(void *state, const char *a, const char *b, int *where,
		     struct mt_error *err)
{
	struct nv_state *s = state;
	struct mt_nova_server sv = { 0 };
	int rc;

	if ((rc = get_server(s, &sv, err)) < 0)
		return rc;
	if (sv.host && a && strcmp(sv.host, a) == 0)
		*where = 0;
	else if (sv.host && b && strcmp(sv.host, b) == 0)
		*where = 1;
	else
		rc = mt_err(err, MT_ENOTFOUND, "server '%s' runs on compute '%s', neither %s nor %s",
			    s->name, sv.host ? sv.host : "(not shown: admin role needed)",
			    a ? a : "?", b ? b : "?");
	mt_nova_server_free(&sv);
	return rc;
}

static int nv_phase_fd(void *state)
{
	return mt_lv_phasewatch_fd(((struct nv_state *)state)->phases);
}

static int nv_phase_next(void *state, struct mt_phase_event *ev)
{
	return mt_lv_phasewatch_next(((struct nv_state *)state)->phases, ev);
}

/* migrate.evacuate: the ACTIVE servers Nova places on compute host (admin's host filter). */
static int nv_list_running(const struct mt_params *p, const struct mt_ctx *ctx, const char *host,
			   char ***names, struct mt_error *err)
{
	struct nv_state *s = NULL;
	struct mt_nova_resp r = { 0 };
	char path[512], *esc = NULL;
	int rc;

	(void)ctx;
	*names = NULL;
	if ((rc = state_new(p, &s, err)) < 0)
		return rc;
	if (!(esc = url_escape(host))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/servers?all_tenants=1&status=ACTIVE&host=%s", esc);
	if ((rc = call(s, "GET", path, NULL, &r, err)) == 0)
		rc = mt_nova_parse_server_names(r.body, names, err);
out:
	if (esc)
		curl_free(esc);
	mt_nova_resp_free(&r);
	state_free(s);
	return rc;
}

static void nv_release(void *state)
{
	struct nv_state *s = state;

	if (!s)
		return;
	if (s->have_thread) {
		/* finish() never ran (runner error path): ask for the abort, then wait. */
		atomic_store(&s->abort_req, 1);
		pthread_join(s->thread, NULL);
	}
	state_free(s);
}

const struct mt_driver_ops mt_driver_nova = {
	.base.name = "nova",
	.base.summary = "live migration through OpenStack Nova (os-migrateLive; Keystone v3, "
		   "clouds.yaml), progress from the migrations API",
	.base.options = mt_nova_options,
	.base.check = nv_check,
	.base.supported = nv_supported,
	.prepare = nv_prepare,
	.start = nv_start,
	.poll = nv_poll,
	.finish = nv_finish,
	.abort = nv_abort,
	.collect = nv_collect,
	.locate = nv_locate,
	.phase_fd = nv_phase_fd,
	.phase_next = nv_phase_next,
	.release = nv_release,
	.list_running = nv_list_running,
};
