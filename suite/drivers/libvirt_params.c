/* libvirt_params.c — one hop's virTypedParameter list and VIR_MIGRATE_* flags from the config,
 * and the combinations libvirt or QEMU refuse (a skip with their reason, never a crash).
 *
 * Pure: no connection is needed, so the mapping is unit-tested offline.
 */
#include <stdio.h>
#include <string.h>

#include "libvirt_priv.h"

int mt_lv_unsupported(const struct mt_lv_config *c, char *why, size_t whylen)
{
	const char *r = NULL;
	char buf[160];

	/* The texts are libvirt's (libvirt-domain.c, qemu_migration.c, qemu_migration_params.c)
	 * or QEMU's (migration/options.c) own messages for the same check, so a skip reads the
	 * same whether we caught it here or the daemon did. */
	if (c->tunnelled && c->mode == MT_LV_DIRECT)
		r = "cannot perform tunnelled migration without using peer2peer flag";
	else if (c->postcopy && !c->live)
		r = "post-copy migration is not supported with non-live or paused migration";
	else if (c->postcopy && c->tunnelled)
		r = "post-copy is not supported with tunnelled migration";
	else if ((c->compression == MT_LV_COMP_ZSTD || c->compression == MT_LV_COMP_ZLIB) &&
		 c->parallel == 0) {
		snprintf(buf, sizeof(buf),
			 "Compression method '%s' is only supported with parallel migration",
			 mt_lv_compression_name(c->compression));
		r = buf;
	} else if (c->compression == MT_LV_COMP_XBZRLE && c->parallel > 0)
		r = "Multifd is not compatible with xbzrle";
	if (!r)
		return 0;
	if (why && whylen)
		snprintf(why, whylen, "%s", r);
	return MT_EUNSUPPORTED;
}

unsigned long long mt_lv_bandwidth_mib(uint64_t Bps)
{
	unsigned long long mib;

	if (Bps == 0)
		return 0;
	mib = (Bps + (1u << 19)) >> 20; /* nearest whole MiB/s */
	return mib ? mib : 1;
}

unsigned long long mt_lv_downtime_ms(int64_t ns)
{
	unsigned long long ms = ns > 0 ? (unsigned long long)((ns + 999999) / 1000000) : 1;

	return ms ? ms : 1;
}

void mt_lv_data_uri(const struct mt_lv_config *c, int hop, char *buf, size_t len)
{
	const char *addr = (hop % 2 == 0) ? c->dest_address : c->source_address;

	if (!len)
		return;
	buf[0] = '\0';
	/* A tunnelled stream goes through libvirtd's own connection: libvirt refuses a URI. */
	if (c->tunnelled || !addr || !*addr)
		return;
	/* IPv6 literals need brackets inside a URI. */
	if (strchr(addr, ':') && addr[0] != '[')
		snprintf(buf, len, "tcp://[%s]", addr);
	else
		snprintf(buf, len, "tcp://%s", addr);
}

int mt_lv_build(const struct mt_lv_config *c, int hop, virTypedParameterPtr *params,
		int *nparams, unsigned int *flags, struct mt_error *err)
{
	virTypedParameterPtr p = NULL;
	int n = 0, max = 0, rc = 0;
	unsigned int f = 0;
	char uri[300], why[200];

	*params = NULL;
	*nparams = 0;
	*flags = 0;
	/* virTypedParamsAdd* touch libvirt's thread-local error state, which crashes (free of an
	 * invalid pointer) until the library is initialised; virInitialize is idempotent. */
	if (virInitialize() < 0) {
		rc = mt_err(err, MT_EINFRA, "libvirt: %s", virGetLastErrorMessage());
		goto out;
	}
	if (mt_lv_unsupported(c, why, sizeof(why))) {
		rc = mt_err(err, MT_EUNSUPPORTED, "%s", why);
		goto out;
	}
	if (c->mode == MT_LV_P2P)
		f |= VIR_MIGRATE_PEER2PEER;
	if (c->live)
		f |= VIR_MIGRATE_LIVE;
	if (c->tunnelled)
		f |= VIR_MIGRATE_TUNNELLED;
	if (c->persistent)
		f |= VIR_MIGRATE_PERSIST_DEST;
	if (c->undefine_source)
		f |= VIR_MIGRATE_UNDEFINE_SOURCE;
	if (c->postcopy)
		f |= VIR_MIGRATE_POSTCOPY;
	if (c->auto_converge)
		f |= VIR_MIGRATE_AUTO_CONVERGE;
	if (c->parallel > 0)
		f |= VIR_MIGRATE_PARALLEL;
	if (c->compression != MT_LV_COMP_NONE)
		f |= VIR_MIGRATE_COMPRESSED;
	/* Abort on a soft error (e.g. I/O) instead of carrying on with a degraded guest. */
	f |= VIR_MIGRATE_ABORT_ON_ERROR;

	mt_lv_data_uri(c, hop, uri, sizeof(uri));
	if (uri[0] && virTypedParamsAddString(&p, &n, &max, VIR_MIGRATE_PARAM_URI, uri) < 0)
		goto nomem;
	if (c->bandwidth_Bps) {
		unsigned long long mib = mt_lv_bandwidth_mib(c->bandwidth_Bps);

		if (virTypedParamsAddULLong(&p, &n, &max, VIR_MIGRATE_PARAM_BANDWIDTH, mib) < 0)
			goto nomem;
		/* Without this the post-copy phase runs uncapped, which breaks the cap's meaning. */
		if (c->postcopy &&
		    virTypedParamsAddULLong(&p, &n, &max, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY,
					    mib) < 0)
			goto nomem;
	}
	if (c->auto_converge) {
		if (c->ac_initial_pct >= 0 &&
		    virTypedParamsAddInt(&p, &n, &max, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL,
					 c->ac_initial_pct) < 0)
			goto nomem;
		if (c->ac_increment_pct >= 0 &&
		    virTypedParamsAddInt(&p, &n, &max, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT,
					 c->ac_increment_pct) < 0)
			goto nomem;
	}
	if (c->parallel > 0 &&
	    virTypedParamsAddInt(&p, &n, &max, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
				 c->parallel) < 0)
		goto nomem;
	if (c->compression != MT_LV_COMP_NONE) {
		if (virTypedParamsAddString(&p, &n, &max, VIR_MIGRATE_PARAM_COMPRESSION,
					    mt_lv_compression_name(c->compression)) < 0)
			goto nomem;
		if (c->compression == MT_LV_COMP_XBZRLE && c->xbzrle_cache_bytes &&
		    virTypedParamsAddULLong(&p, &n, &max,
					    VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE,
					    c->xbzrle_cache_bytes) < 0)
			goto nomem;
	}
	*params = p;
	*nparams = n;
	*flags = f;
	p = NULL;
	goto out;
nomem:
	rc = mt_err(err, MT_ENOMEM, "building migration parameters: %s",
		    virGetLastErrorMessage());
out:
	if (p)
		virTypedParamsFree(p, n);
	return rc;
}

int mt_lv_classify_error(int vir_code, const char *msg)
{
	switch (vir_code) {
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
	case VIR_ERR_OPERATION_UNSUPPORTED:
	case VIR_ERR_CONFIG_UNSUPPORTED:
	case VIR_ERR_NO_SUPPORT:
	/* libvirt's migration parameter checks (e.g. "Compression method 'zstd' is only
	 * supported with parallel migration") report INVALID_ARG: only our params reach it. */
	case VIR_ERR_INVALID_ARG:
		return MT_EUNSUPPORTED;
	default:
		break;
	}
	/* QEMU refusing a capability/parameter combination arrives as an internal error that
	 * names the QMP command (e.g. "Postcopy is not yet compatible with multifd"). */
	if (msg && (strstr(msg, "migrate-set-capabilities") ||
		    strstr(msg, "migrate-set-parameters")))
		return MT_EUNSUPPORTED;
	return MT_EINFRA;
}
