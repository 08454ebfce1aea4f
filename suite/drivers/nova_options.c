/* nova_options.c — the nova driver's migrate.* keys (single source for parsing, --help, docs).
 *
 * The scenario names a cloud (an entry of a clouds.yaml), never a password: credentials come
 * from that file or from the OS_* environment only.
 */
#include <stdlib.h>
#include <string.h>

#include "nova_priv.h"

static const char *const targets[] = { "named", "scheduler", NULL };
static const char *const blocks[] = { "auto", "true", "false", NULL };
static const char *const timeouts[] = { "abort", "force_complete", NULL };

#define AX MT_OPTF_AXIS
const struct mt_option mt_nova_options[] = {
	{ "migrate.cloud", MT_OPT_STR, NULL,
	  "cloud name in clouds.yaml (else $OS_CLOUD, else the OS_* environment alone)",
	  NULL, 0, 0, 0 },
	{ "migrate.clouds_yaml", MT_OPT_STR, NULL,
	  "path of the clouds.yaml (default: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, "
	  "~/.config/openstack/, /etc/openstack/)", NULL, 0, 0, 0 },
	{ "migrate.microversion", MT_OPT_STR, "2.80",
	  "compute API microversion sent with every Nova request (≥ 2.25 for "
	  "block_migration auto)", NULL, 0, 0, AX },
	{ "migrate.target", MT_OPT_ENUM, "named",
	  "named: os-migrateLive names the destination compute (source/dest are Nova host "
	  "names); scheduler: host null, Nova's scheduler chooses", targets, 0, 0, AX },
	{ "migrate.block_migration", MT_OPT_ENUM, "auto",
	  "os-migrateLive block_migration: auto (Nova decides from shared storage), true, false",
	  blocks, 0, 0, AX },
	{ "migrate.on_timeout", MT_OPT_ENUM, "abort",
	  "what migrate.timeout does: abort (DELETE the migration) or force_complete "
	  "(pause the guest and finish)", timeouts, 0, 0, AX },
	{ "migrate.poll", MT_OPT_DURATION, "500ms",
	  "interval between GET /servers/{id}/migrations progress polls", NULL, 100e6, 60e9, 0 },
	{ "migrate.insecure", MT_OPT_BOOL, "no",
	  "turn TLS certificate verification off (like openstack --insecure)", NULL, 0, 0, 0 },
	{ "migrate.libvirt_uris", MT_OPT_STR, NULL,
	  "libvirt URIs of the compute nodes as 'HOST=URI HOST2=URI2': adds libvirt's completed "
	  "job statistics (hypervisor downtime, libvirt's own time) next to Nova's",
	  NULL, 0, 0, 0 },
	MT_OPTION_END
};
#undef AX

void mt_nova_config_free(struct mt_nova_config *c)
{
	if (!c)
		return;
	free(c->cloud);
	free(c->clouds_yaml);
	free(c->microversion);
	free(c->block);
	free(c->libvirt_uris);
	memset(c, 0, sizeof(*c));
}

static int dup_opt(const struct mt_params *p, const char *key, char **out)
{
	const char *s = mt_param_str(p, key);

	*out = NULL;
	if (!s || !*s)
		return 0;
	return (*out = strdup(s)) ? 0 : MT_ENOMEM;
}

int mt_nova_config_from_params(const struct mt_params *p, struct mt_nova_config *c,
			       struct mt_error *err)
{
	/* No params (or never parsed, so empty): every key at its table default. */
	const struct mt_params none = { .table = mt_nova_options };
	const char *mv;
	int maj = 0, min = 0;

	memset(c, 0, sizeof(*c));
	if (!p || !p->table)
		p = &none;
	if (dup_opt(p, "migrate.cloud", &c->cloud) ||
	    dup_opt(p, "migrate.clouds_yaml", &c->clouds_yaml) ||
	    dup_opt(p, "migrate.microversion", &c->microversion) ||
	    dup_opt(p, "migrate.block_migration", &c->block) ||
	    dup_opt(p, "migrate.libvirt_uris", &c->libvirt_uris)) {
		mt_nova_config_free(c);
		return mt_err(err, MT_ENOMEM, "out of memory");
	}
	mv = c->microversion;
	if (sscanf(mv, "%d.%d", &maj, &min) != 2 || maj != 2 || min < 1) {
		mt_err(err, MT_EINVAL, "key 'migrate.microversion': expected 2.N, got '%s'", mv);
		mt_nova_config_free(c); /* mv pointed into c */
		return MT_EINVAL;
	}
	if (strcmp(c->block, "auto") == 0 && min < 25) {
		mt_err(err, MT_EINVAL, "key 'migrate.block_migration': auto needs "
		       "migrate.microversion ≥ 2.25 (got %s)", mv);
		mt_nova_config_free(c);
		return MT_EINVAL;
	}
	c->scheduler = strcmp(mt_param_str(p, "migrate.target"), "scheduler") == 0;
	c->force_on_timeout = strcmp(mt_param_str(p, "migrate.on_timeout"), "force_complete") == 0;
	c->insecure = mt_param_i64(p, "migrate.insecure") != 0;
	c->poll_ns = mt_param_i64(p, "migrate.poll");
	return 0;
}
