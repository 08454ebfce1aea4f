/* keymetrics.c — the key metrics list shared by the HTML summary, its plots and the JUnit
 * properties, so that every report answers the same question first (docs/results.md). */
#include "keymetrics.h"

const struct mt_key_metric mt_key_metrics[] = {
	{ "migration.total_time_ms", "migration time" },
	{ "downtime.hypervisor_downtime_ms", "hypervisor downtime" },
	{ "downtime.guest_stall_ms", "guest stall" },
	{ "downtime.network_outage_ms", "network outage" },
	{ "migration.transferred_bytes", "transferred" },
	{ "qos.during.rtt_ms.p99", "RTT p99 during" },
	{ "qos.during.jitter_ms", "jitter during" },
	{ "qos.during.loss_pct", "loss during" },
};
const size_t mt_nkey_metrics = sizeof(mt_key_metrics) / sizeof(mt_key_metrics[0]);
