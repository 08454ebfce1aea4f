/* nova_clouds.c — one cloud of a clouds.yaml (libyaml events), and the OS_* environment.
 *
 * clouds.yaml is openstacksdk's format: clouds: NAME: {auth: {auth_url, username, password,
 * project_name, user_domain_name, project_domain_name, application_credential_id,
 * application_credential_secret, ...}, region_name, interface, verify, cacert}. Only scalars
 * under clouds.NAME and clouds.NAME.auth are read; anything else is skipped. Values are never
 * echoed into error messages (they may be secrets).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "nova_priv.h"

#define MAXDEPTH 16

static void set_once(char **field, const char *v)
{
	if (*field || !v)
		return;
	*field = strdup(v);
}

/* A scalar at clouds.NAME.<key> or clouds.NAME.auth.<key>. */
static void take(struct mt_nova_creds *c, int in_auth, const char *key, const char *v)
{
	if (in_auth) {
		static const struct { const char *k; size_t off; } map[] = {
#define F(k, f) { k, offsetof(struct mt_nova_creds, f) }
			F("auth_url", auth_url), F("username", username), F("user_id", user_id),
			F("password", password), F("user_domain_name", user_domain_name),
			F("user_domain_id", user_domain_id), F("project_name", project_name),
			F("project_id", project_id), F("tenant_name", project_name),
			F("project_domain_name", project_domain_name),
			F("project_domain_id", project_domain_id),
			F("application_credential_id", app_cred_id),
			F("application_credential_name", app_cred_name),
			F("application_credential_secret", app_cred_secret),
#undef F
		};
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(key, map[i].k) == 0)
				set_once((char **)((char *)c + map[i].off), v);
		return;
	}
	if (strcmp(key, "region_name") == 0)
		set_once(&c->region, v);
	else if (strcmp(key, "interface") == 0)
		set_once(&c->interface, v);
	else if (strcmp(key, "cacert") == 0)
		set_once(&c->cacert, v);
	else if (strcmp(key, "verify") == 0)
		c->verify = !(strcmp(v, "false") == 0 || strcmp(v, "False") == 0 ||
			      strcmp(v, "no") == 0 || strcmp(v, "0") == 0);
}

int mt_nova_clouds_read(const char *path, const char *name, struct mt_nova_creds *c,
			struct mt_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	FILE *f = fopen(path, "re");
	/* keys[d]: the key of the mapping entry at depth d; expecting_key[d]: next scalar is a
	 * key of the mapping at depth d. */
	char *keys[MAXDEPTH] = { 0 };
	int expecting_key[MAXDEPTH] = { 0 };
	int depth = -1, rc = 0, done = 0, found = 0, skip = 0;

	c->verify = 1;
	if (!f)
		return mt_err(err, MT_EIO, "%s: cannot read the clouds file", path);
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = mt_err(err, MT_EINVAL, "%s:%zu: %s", path,
				    parser.problem_mark.line + 1,
				    parser.problem ? parser.problem : "invalid YAML");
			break;
		}
		/* A list value (and all it holds) is nothing we read: skip to its end. */
		if (skip) {
			if (ev.type == YAML_SEQUENCE_START_EVENT ||
			    ev.type == YAML_MAPPING_START_EVENT)
				skip++;
			else if (ev.type == YAML_SEQUENCE_END_EVENT ||
				 ev.type == YAML_MAPPING_END_EVENT)
				skip--;
			if (!skip && depth >= 0)
				expecting_key[depth] = 1;
			yaml_event_delete(&ev);
			continue;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (++depth >= MAXDEPTH) {
				rc = mt_err(err, MT_EINVAL, "%s:%zu: nested too deeply", path,
					    ev.start_mark.line + 1);
				done = 1;
				break;
			}
			expecting_key[depth] = 1;
			break;
		case YAML_MAPPING_END_EVENT:
			free(keys[depth]);
			keys[depth] = NULL;
			depth--;
			if (depth >= 0)
				expecting_key[depth] = 1;
			break;
		case YAML_SEQUENCE_START_EVENT:
			skip = 1;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;

			if (depth < 0)
				break;
			if (expecting_key[depth]) {
				free(keys[depth]);
				keys[depth] = strdup(v);
				expecting_key[depth] = 0;
				break;
			}
			expecting_key[depth] = 1;
			if (depth >= 2 && keys[0] && strcmp(keys[0], "clouds") == 0 && keys[1] &&
			    strcmp(keys[1], name) == 0) {
				found = 1;
				if (depth == 2)
					take(c, 0, keys[2], v);
				else if (depth == 3 && strcmp(keys[2], "auth") == 0)
					take(c, 1, keys[3], v);
			}
			break;
		}
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (depth >= 2 && keys[0] && keys[1] && strcmp(keys[0], "clouds") == 0 &&
		    strcmp(keys[1], name) == 0)
			found = 1;
		yaml_event_delete(&ev);
	}
	for (int i = 0; i < MAXDEPTH; i++)
		free(keys[i]);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc == 0 && !found)
		rc = mt_err(err, MT_EINVAL, "%s: no cloud '%s' under clouds:", path, name);
	return rc;
}

void mt_nova_creds_from_env(struct mt_nova_creds *c, const char *(*g)(const char *))
{
	const char *v;

	set_once(&c->auth_url, g("OS_AUTH_URL"));
	set_once(&c->username, g("OS_USERNAME"));
	set_once(&c->user_id, g("OS_USER_ID"));
	set_once(&c->password, g("OS_PASSWORD"));
	set_once(&c->user_domain_name, g("OS_USER_DOMAIN_NAME"));
	set_once(&c->user_domain_id, g("OS_USER_DOMAIN_ID"));
	set_once(&c->project_name, g("OS_PROJECT_NAME"));
	set_once(&c->project_id, g("OS_PROJECT_ID"));
	set_once(&c->project_domain_name, g("OS_PROJECT_DOMAIN_NAME"));
	set_once(&c->project_domain_id, g("OS_PROJECT_DOMAIN_ID"));
	set_once(&c->app_cred_id, g("OS_APPLICATION_CREDENTIAL_ID"));
	set_once(&c->app_cred_name, g("OS_APPLICATION_CREDENTIAL_NAME"));
	set_once(&c->app_cred_secret, g("OS_APPLICATION_CREDENTIAL_SECRET"));
	set_once(&c->region, g("OS_REGION_NAME"));
	set_once(&c->interface, g("OS_INTERFACE"));
	set_once(&c->cacert, g("OS_CACERT"));
	if ((v = g("OS_INSECURE")) && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
		c->verify = 0;
}

char *mt_nova_clouds_find(const char *explicit_path)
{
	const char *env = getenv("OS_CLIENT_CONFIG_FILE"), *home = getenv("HOME");
	char buf[4096];

	if (explicit_path && *explicit_path)
		return strdup(explicit_path);
	if (env && *env && access(env, R_OK) == 0)
		return strdup(env);
	if (access("clouds.yaml", R_OK) == 0)
		return strdup("clouds.yaml");
	if (home) {
		snprintf(buf, sizeof(buf), "%s/.config/openstack/clouds.yaml", home);
		if (access(buf, R_OK) == 0)
			return strdup(buf);
	}
	if (access("/etc/openstack/clouds.yaml", R_OK) == 0)
		return strdup("/etc/openstack/clouds.yaml");
	return NULL;
}
