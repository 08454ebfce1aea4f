/* libvirt_options.c — the libvirt driver's migrate.* keys and their conversion to a config.
 *
 * The table is the single source for parsing, --help and docs (option.h). Keys that tune a
 * feature which is off (e.g. migrate.xbzrle_cache with compression=none) are accepted and
 * ignored, because a matrix axis makes such cells unavoidable; contradictions a scenario author
 * must fix (both postcopy switch keys) are refused here.
 */
#include <stdlib.h>
#include <string.h>

#include "libvirt_priv.h"

static const char *const modes[] = { "p2p", "direct", NULL };
static const char *const onoff[] = { "off", "on", NULL };
static const char *const comps[] = { "none", "xbzrle", "zstd", "zlib", NULL };

#define AX MT_OPTF_AXIS
const struct mt_option mt_lv_options[] = {
	{ "migrate.mode", MT_OPT_ENUM, "p2p",
	  "p2p: the source libvirtd drives (virDomainMigrateToURI3); direct: this client drives "
	  "both daemons (virDomainMigrate3)", modes, 0, 0, AX },
	{ "migrate.live", MT_OPT_BOOL, "yes",
	  "live migration (VIR_MIGRATE_LIVE); no = the guest is paused while it is copied",
	  NULL, 0, 0, AX },
	{ "migrate.bandwidth", MT_OPT_BYTERATE, NULL,
	  "bandwidth cap, e.g. 16MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH, whole MiB/s; also the "
	  "post-copy cap)", NULL, 1048576, 1099511627776.0, AX },
	{ "migrate.max_downtime", MT_OPT_DURATION, NULL,
	  "maximum tolerable downtime (virDomainMigrateSetMaxDowntime, ms granularity)",
	  NULL, 1e6, 3600e9, AX },
	{ "migrate.postcopy", MT_OPT_ENUM, "off",
	  "post-copy (VIR_MIGRATE_POSTCOPY); the switch happens per postcopy_after* "
	  "(default: after the first full pass)", onoff, 0, 0, AX },
	{ "migrate.postcopy_after", MT_OPT_DURATION, NULL,
	  "switch to post-copy this long after the hop started, once QEMU's migration runs "
	  "(virDomainMigrateStartPostCopy)",
	  NULL, 0, 0, AX },
	{ "migrate.postcopy_after_iterations", MT_OPT_INT, NULL,
	  "switch to post-copy once this many pre-copy passes are complete", NULL, 1, 1e6, AX },
	{ "migrate.auto_converge", MT_OPT_BOOL, "no",
	  "throttle the guest's vCPUs until it converges (VIR_MIGRATE_AUTO_CONVERGE)",
	  NULL, 0, 0, AX },
	{ "migrate.auto_converge_initial", MT_OPT_PERCENT, NULL,
	  "initial CPU throttle (VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL)", NULL, 0, 100, AX },
	{ "migrate.auto_converge_increment", MT_OPT_PERCENT, NULL,
	  "throttle increment per step (VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT)",
	  NULL, 0, 100, AX },
	{ "migrate.parallel", MT_OPT_INT, "0",
	  "multifd connections (VIR_MIGRATE_PARALLEL + PARALLEL_CONNECTIONS); 0 = off",
	  NULL, 0, 256, AX },
	{ "migrate.compression", MT_OPT_ENUM, "none",
	  "none | xbzrle | zstd | zlib (zstd/zlib are multifd methods: need migrate.parallel)",
	  comps, 0, 0, AX },
	{ "migrate.xbzrle_cache", MT_OPT_SIZE, NULL,
	  "xbzrle cache size (VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE)", NULL, 0, 0, AX },
	{ "migrate.tunnelled", MT_OPT_BOOL, "no",
	  "tunnel the data through libvirtd (VIR_MIGRATE_TUNNELLED; p2p only)", NULL, 0, 0, AX },
	{ "migrate.persistent", MT_OPT_BOOL, "no",
	  "define the domain on the destination (VIR_MIGRATE_PERSIST_DEST)", NULL, 0, 0, AX },
	{ "migrate.undefine_source", MT_OPT_BOOL, "no",
	  "undefine the domain on the source (VIR_MIGRATE_UNDEFINE_SOURCE)", NULL, 0, 0, AX },
	{ "migrate.link_rate", MT_OPT_BITRATE, NULL,
	  "capacity of the migration link if known (e.g. a tbf rate); only for "
	  "migration.achieved_ratio", NULL, 0, 0, AX },
	{ "migrate.source_address", MT_OPT_STR, NULL,
	  "source host's address on the migration network (odd hops stream to tcp://ADDR); "
	  "the runner fills it from lab.json for lab: hosts", NULL, 0, 0, 0 },
	{ "migrate.dest_address", MT_OPT_STR, NULL,
	  "destination host's address on the migration network (even hops stream to "
	  "tcp://ADDR)", NULL, 0, 0, 0 },
	MT_OPTION_END
};
#undef AX

void mt_lv_config_init(struct mt_lv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MT_LV_P2P;
	c->max_downtime_ns = -1;
	c->postcopy_after_ns = -1;
	c->postcopy_after_iterations = -1;
	c->ac_initial_pct = -1;
	c->ac_increment_pct = -1;
	c->live = 1;
}

void mt_lv_config_free(struct mt_lv_config *c)
{
	if (!c)
		return;
	free(c->source_address);
	free(c->dest_address);
	c->source_address = c->dest_address = NULL;
}

const char *mt_lv_compression_name(enum mt_lv_compression c)
{
	switch (c) {
	case MT_LV_COMP_XBZRLE: return "xbzrle";
	case MT_LV_COMP_ZSTD: return "zstd";
	case MT_LV_COMP_ZLIB: return "zlib";
	default: return "none";
	}
}

/* Index of s in a NULL-terminated list, or -1. ENUM values are compared as text so the
 * mapping does not depend on how option.c stores the choice. */
static int choice(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

static int dup_str(const struct mt_params *p, const char *key, char **out)
{
	const char *s = mt_param_str(p, key);

	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : MT_ENOMEM;
}

int mt_lv_config_from_params(const struct mt_params *p, struct mt_lv_config *c,
			     struct mt_error *err)
{
	const struct mt_value *v;
	int rc = 0, i;

	mt_lv_config_init(c);
	if (!p)
		return 0;
	i = choice(modes, mt_param_str(p, "migrate.mode"));
	if (i < 0) {
		rc = mt_err(err, MT_EINVAL, "key 'migrate.mode': expected p2p or direct");
		goto out;
	}
	c->mode = (enum mt_lv_mode)i;
	c->live = mt_param_i64(p, "migrate.live") != 0;
	c->bandwidth_Bps = mt_param_u64(p, "migrate.bandwidth");
	if ((v = mt_params_get(p, "migrate.max_downtime")))
		c->max_downtime_ns = v->v.i;
	c->postcopy = choice(onoff, mt_param_str(p, "migrate.postcopy")) == 1;
	if ((v = mt_params_get(p, "migrate.postcopy_after")))
		c->postcopy_after_ns = v->v.i;
	if ((v = mt_params_get(p, "migrate.postcopy_after_iterations")))
		c->postcopy_after_iterations = (long)v->v.i;
	if (c->postcopy_after_ns >= 0 && c->postcopy_after_iterations >= 0) {
		rc = mt_err(err, MT_EINVAL, "keys 'migrate.postcopy_after' and "
			    "'migrate.postcopy_after_iterations': give one switch point, not both");
		goto out;
	}
	c->auto_converge = mt_param_i64(p, "migrate.auto_converge") != 0;
	if ((v = mt_params_get(p, "migrate.auto_converge_initial")))
		c->ac_initial_pct = (int)(v->v.d + 0.5);
	if ((v = mt_params_get(p, "migrate.auto_converge_increment")))
		c->ac_increment_pct = (int)(v->v.d + 0.5);
	c->parallel = (int)mt_param_i64(p, "migrate.parallel");
	i = choice(comps, mt_param_str(p, "migrate.compression"));
	if (i < 0) {
		rc = mt_err(err, MT_EINVAL,
			    "key 'migrate.compression': expected none, xbzrle, zstd or zlib");
		goto out;
	}
	c->compression = (enum mt_lv_compression)i;
	c->xbzrle_cache_bytes = mt_param_u64(p, "migrate.xbzrle_cache");
	c->tunnelled = mt_param_i64(p, "migrate.tunnelled") != 0;
	c->persistent = mt_param_i64(p, "migrate.persistent") != 0;
	c->undefine_source = mt_param_i64(p, "migrate.undefine_source") != 0;
	c->link_rate_bps = mt_param_u64(p, "migrate.link_rate");
	if ((rc = dup_str(p, "migrate.source_address", &c->source_address)) ||
	    (rc = dup_str(p, "migrate.dest_address", &c->dest_address))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
out:
	if (rc)
		mt_lv_config_free(c);
	return rc;
}
