/* libvirt_stats.c — libvirt job statistics → result metrics and series.
 *
 * Every VIR_DOMAIN_JOB_* key libvirt returns is kept: known keys get a name that carries their
 * unit (docs/architecture.md §8) under "<prefix>job."; keys this table does not know yet (a
 * newer libvirt) are kept under their raw name, so nothing is lost. The summary metrics
 * (total_time_ms, downtime_ms, ...) are derived from the same keys.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libvirt_priv.h"

const struct mt_lv_key mt_lv_keys[] = {
	{ VIR_DOMAIN_JOB_OPERATION, "operation", "word" },
	{ VIR_DOMAIN_JOB_TIME_ELAPSED, "time_elapsed_ms", "ms" },
	{ VIR_DOMAIN_JOB_TIME_ELAPSED_NET, "time_elapsed_net_ms", "ms" },
	{ VIR_DOMAIN_JOB_TIME_REMAINING, "time_remaining_ms", "ms" },
	{ VIR_DOMAIN_JOB_DOWNTIME, "downtime_ms", "ms" },
	{ VIR_DOMAIN_JOB_DOWNTIME_NET, "downtime_net_ms", "ms" },
	{ VIR_DOMAIN_JOB_SETUP_TIME, "setup_time_ms", "ms" },
	{ VIR_DOMAIN_JOB_DATA_TOTAL, "data_total_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DATA_PROCESSED, "data_processed_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DATA_REMAINING, "data_remaining_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_TOTAL, "memory_total_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_PROCESSED, "memory_processed_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_REMAINING, "memory_remaining_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_CONSTANT, "memory_constant_pages", "pages" },
	{ VIR_DOMAIN_JOB_MEMORY_NORMAL, "memory_normal_pages", "pages" },
	{ VIR_DOMAIN_JOB_MEMORY_NORMAL_BYTES, "memory_normal_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_BPS, "memory_bytes_s", "bytes/s" },
	{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, "memory_dirty_rate_pages_s", "pages/s" },
	{ VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, "memory_page_size_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_MEMORY_ITERATION, "memory_iteration_count", "count" },
	{ VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, "memory_postcopy_requests_count", "count" },
	{ VIR_DOMAIN_JOB_DISK_TOTAL, "disk_total_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DISK_PROCESSED, "disk_processed_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DISK_REMAINING, "disk_remaining_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DISK_BPS, "disk_bytes_s", "bytes/s" },
	{ VIR_DOMAIN_JOB_COMPRESSION_CACHE, "compression_cache_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_COMPRESSION_BYTES, "compression_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_COMPRESSION_PAGES, "compression_pages", "pages" },
	{ VIR_DOMAIN_JOB_COMPRESSION_CACHE_MISSES, "compression_cache_misses_pages", "pages" },
	{ VIR_DOMAIN_JOB_COMPRESSION_OVERFLOW, "compression_overflow_pages", "pages" },
	{ VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, "auto_converge_throttle_pct", "%" },
	{ VIR_DOMAIN_JOB_SUCCESS, "success_bool", "bool" },
	{ VIR_DOMAIN_JOB_ERRMSG, "errmsg", "text" },
	{ VIR_DOMAIN_JOB_DISK_TEMP_USED, "disk_temp_used_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_DISK_TEMP_TOTAL, "disk_temp_total_bytes", "bytes" },
	{ VIR_DOMAIN_JOB_VFIO_DATA_TRANSFERRED, "vfio_data_transferred_bytes", "bytes" },
	{ NULL, NULL, NULL }
};

const struct mt_lv_key *mt_lv_key_find(const char *key)
{
	for (const struct mt_lv_key *k = mt_lv_keys; key && k->key; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

void mt_lv_key_metric(const char *prefix, const char *key, char *buf, size_t len)
{
	const struct mt_lv_key *k = mt_lv_key_find(key);
	size_t at;

	snprintf(buf, len, "%sjob.%s", prefix ? prefix : "", k ? k->metric : key ? key : "unknown");
	if (k)
		return;
	/* A raw name must stay one path component: dots would nest it in the JSON. */
	at = strlen(prefix ? prefix : "") + 4;
	for (char *s = buf + (at < len ? at : len - 1); *s; s++)
		if (*s == '.' || *s == ' ')
			*s = '_';
}

const char *mt_lv_operation_name(double code)
{
	/* virDomainJobOperation, in its order; libvirt's own names, lower case */
	static const char *const names[] = {
		"unknown", "start", "save", "restore", "migration_in", "migration_out",
		"snapshot", "snapshot_revert", "dump", "backup", "snapshot_delete",
	};

	if (code >= 0 && code < (double)(sizeof(names) / sizeof(names[0])) && code == (int)code)
		return names[(int)code];
	return NULL;
}

int mt_lv_param_num(const virTypedParameter *p, double *v)
{
	switch (p->type) {
	case VIR_TYPED_PARAM_INT: *v = p->value.i; return 0;
	case VIR_TYPED_PARAM_UINT: *v = p->value.ui; return 0;
	case VIR_TYPED_PARAM_LLONG: *v = (double)p->value.l; return 0;
	case VIR_TYPED_PARAM_ULLONG: *v = (double)p->value.ul; return 0;
	case VIR_TYPED_PARAM_DOUBLE: *v = p->value.d; return 0;
	case VIR_TYPED_PARAM_BOOLEAN: *v = p->value.b ? 1 : 0; return 0;
	default: return -1;
	}
}

int mt_lv_get_num(const virTypedParameter *params, int n, const char *key, double *v)
{
	for (int i = 0; i < n; i++)
		if (strcmp(params[i].field, key) == 0)
			return mt_lv_param_num(&params[i], v);
	return -1;
}

int mt_lv_achieved_ratio(double transferred_bytes, double cap_Bps, double total_ms,
			 double *ratio, char *why, size_t whylen)
{
	if (!(cap_Bps > 0)) {
		snprintf(why, whylen, "no cap known: set migrate.bandwidth or migrate.link_rate");
		return -1;
	}
	if (!(total_ms > 0) || !isfinite(transferred_bytes)) {
		snprintf(why, whylen, "no total time or transferred bytes from libvirt");
		return -1;
	}
	*ratio = transferred_bytes / (cap_Bps * total_ms / 1000.0);
	return 0;
}

double mt_lv_cap_Bps(const struct mt_lv_config *c)
{
	double bw = c->bandwidth_Bps ? (double)mt_lv_bandwidth_mib(c->bandwidth_Bps) * 1048576.0
				     : 0;
	double link = c->link_rate_bps ? (double)c->link_rate_bps / 8.0 : 0;

	/* The effective cap is what libvirt enforces (whole MiB/s), or the link if smaller. */
	if (bw > 0 && link > 0)
		return bw < link ? bw : link;
	return bw > 0 ? bw : link;
}

/* Sets path from key, or absent with a reason naming the missing key. */
static int set_from(struct mt_cell_result *c, const char *prefix, const char *name,
		    const virTypedParameter *params, int n, const char *key, const char *hint)
{
	char path[200], why[200];
	double v;

	snprintf(path, sizeof(path), "%s%s", prefix, name);
	if (mt_lv_get_num(params, n, key, &v) == 0)
		return mt_cell_set_num(c, path, v);
	snprintf(why, sizeof(why), "libvirt did not report %s%s", key, hint ? hint : "");
	return mt_cell_set_absent(c, path, why);
}

int mt_lv_record_completed(struct mt_cell_result *c, const char *prefix, const char *dt_prefix,
			   const virTypedParameter *params, int n, const struct mt_lv_config *cfg)
{
	char path[256], why[200];
	double transferred = NAN, total = NAN, ratio;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		double v;
		int r = 0;

		mt_lv_key_metric(prefix, params[i].field, path, sizeof(path));
		/* the operation is a word: a code would be read (and exported) as a quantity */
		if (mt_lv_param_num(&params[i], &v) == 0 &&
		    strcmp(params[i].field, VIR_DOMAIN_JOB_OPERATION) == 0 && mt_lv_operation_name(v))
			r = mt_cell_set_str(c, path, mt_lv_operation_name(v));
		else if (mt_lv_param_num(&params[i], &v) == 0)
			r = mt_cell_set_num(c, path, v);
		else if (params[i].type == VIR_TYPED_PARAM_STRING)
			r = mt_cell_set_str(c, path, params[i].value.s ? params[i].value.s : "");
		/* A raw key the result model cannot hold as a path (e.g. "absent") is dropped;
		 * only running out of memory stops the recording. */
		if (r == MT_ENOMEM)
			rc = r;
	}
	if (rc ||
	    (rc = set_from(c, prefix, "total_time_ms", params, n, VIR_DOMAIN_JOB_TIME_ELAPSED,
			   NULL)) ||
	    (rc = set_from(c, prefix, "setup_time_ms", params, n, VIR_DOMAIN_JOB_SETUP_TIME,
			   NULL)) ||
	    (rc = set_from(c, prefix, "downtime_ms", params, n, VIR_DOMAIN_JOB_DOWNTIME,
			   NULL)) ||
	    (rc = set_from(c, prefix, "downtime_net_ms", params, n, VIR_DOMAIN_JOB_DOWNTIME_NET,
			   " (needs synchronised host clocks)")) ||
	    (rc = set_from(c, prefix, "transferred_bytes", params, n,
			   VIR_DOMAIN_JOB_DATA_PROCESSED, NULL)) ||
	    (rc = set_from(c, prefix, "memory_bytes", params, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED,
			   NULL)) ||
	    (rc = set_from(c, prefix, "disk_bytes", params, n, VIR_DOMAIN_JOB_DISK_PROCESSED,
			   " (no storage was copied)")) ||
	    (rc = set_from(c, prefix, "iterations", params, n, VIR_DOMAIN_JOB_MEMORY_ITERATION,
			   NULL)) ||
	    (rc = set_from(c, prefix, "dirty_rate_pages_s", params, n,
			   VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, NULL)) ||
	    (rc = set_from(c, prefix, "postcopy_requests", params, n,
			   VIR_DOMAIN_JOB_MEMORY_POSTCOPY_REQS, " (not a post-copy migration)")) ||
	    (rc = set_from(c, dt_prefix, "hypervisor_downtime_ms", params, n,
			   VIR_DOMAIN_JOB_DOWNTIME, NULL)))
		goto out;
	mt_lv_get_num(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &transferred);
	mt_lv_get_num(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &total);
	snprintf(path, sizeof(path), "%sachieved_ratio", prefix);
	if (mt_lv_achieved_ratio(transferred, cfg ? mt_lv_cap_Bps(cfg) : 0, total, &ratio, why,
				 sizeof(why)) == 0)
		rc = mt_cell_set_num(c, path, ratio);
	else
		rc = mt_cell_set_absent(c, path, why);
out:
	return rc;
}

/* The polled series: name, unit, source key, scale. */
static const struct {
	const char *name, *unit, *key;
	double scale;
} series_map[] = {
	{ "migration.memory_remaining_bytes", "bytes", VIR_DOMAIN_JOB_MEMORY_REMAINING, 1 },
	{ "migration.memory_processed_bytes", "bytes", VIR_DOMAIN_JOB_MEMORY_PROCESSED, 1 },
	{ "migration.dirty_rate_pages_s", "pages/s", VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 1 },
	{ "migration.iteration", "count", VIR_DOMAIN_JOB_MEMORY_ITERATION, 1 },
	{ "migration.mbps", "Mbit/s", VIR_DOMAIN_JOB_MEMORY_BPS, 8e-6 },
	{ "migration.expected_downtime_ms", "ms", VIR_DOMAIN_JOB_DOWNTIME, 1 },
};

int mt_lv_record_sample(struct mt_cell_result *c, int64_t t_ns, const virTypedParameter *params,
			int n)
{
	for (size_t i = 0; i < sizeof(series_map) / sizeof(series_map[0]); i++) {
		struct mt_series *s;
		double v;

		if (mt_lv_get_num(params, n, series_map[i].key, &v) != 0)
			continue;
		s = mt_cell_series(c, series_map[i].name, series_map[i].unit);
		if (!s || mt_series_add(s, t_ns, v * series_map[i].scale) != 0)
			return MT_ENOMEM;
	}
	return 0;
}

int mt_lv_params_copy(const virTypedParameter *src, int n, virTypedParameterPtr *dst, int *ndst)
{
	virTypedParameterPtr p = NULL;
	int np = 0, max = 0, rc = 0;

	if (virInitialize() < 0) /* see mt_lv_build */
		return -1;
	for (int i = 0; i < n && rc == 0; i++) {
		const virTypedParameter *s = &src[i];

		switch (s->type) {
		case VIR_TYPED_PARAM_INT:
			rc = virTypedParamsAddInt(&p, &np, &max, s->field, s->value.i);
			break;
		case VIR_TYPED_PARAM_UINT:
			rc = virTypedParamsAddUInt(&p, &np, &max, s->field, s->value.ui);
			break;
		case VIR_TYPED_PARAM_LLONG:
			rc = virTypedParamsAddLLong(&p, &np, &max, s->field, s->value.l);
			break;
		case VIR_TYPED_PARAM_ULLONG:
			rc = virTypedParamsAddULLong(&p, &np, &max, s->field, s->value.ul);
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			rc = virTypedParamsAddDouble(&p, &np, &max, s->field, s->value.d);
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			rc = virTypedParamsAddBoolean(&p, &np, &max, s->field, s->value.b);
			break;
		case VIR_TYPED_PARAM_STRING:
			rc = virTypedParamsAddString(&p, &np, &max, s->field,
						     s->value.s ? s->value.s : "");
			break;
		default:
			break; /* a type this libvirt does not define: nothing to keep */
		}
	}
	if (rc < 0) {
		virTypedParamsFree(p, np);
		return -1;
	}
	*dst = p;
	*ndst = np;
	return 0;
}
