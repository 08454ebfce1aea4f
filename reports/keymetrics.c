/* keymetrics.c — the one list of key metrics, shared by the HTML page (summary, plots, heat
 * map), JUnit, Markdown, the trend page and the terminal summary, so that every report answers
 * the same question first (docs/results.md). */
#include "keymetrics.h"

#define P MT_KM_PAGE
#define M MT_KM_MARKDOWN
#define T MT_KM_TREND

const struct mt_key_metric mt_key_metrics[] = {
	{ "migration.total_time_ms", "migration time", "migration", MT_KM_ALL },
	{ "downtime.hypervisor_downtime_ms", "hypervisor downtime", "downtime", MT_KM_ALL },
	{ "downtime.guest_stall_ms", "guest stall", "guest stall", MT_KM_ALL },
	{ "downtime.network_outage_ms", "network outage", "net outage", MT_KM_ALL },
	{ "migration.transferred_bytes", "transferred", "transferred", MT_KM_ALL },
	{ "qos.during.rtt_ms.p50", "delay p50 during", NULL, M },
	{ "qos.during.rtt_ms.p99", "RTT p99 during", NULL, P | T },
	{ "qos.during.jitter_ms", "jitter during", NULL, P | M },
	{ "qos.during.loss_pct", "loss during", "loss", MT_KM_ALL },
	{ "qos.during.video.throughput_bps.mean", "video goodput during", NULL, M },
	{ "qos.baseline.video.throughput_bps.mean", "video goodput before", NULL, M },
	{ "qos.during.stream.stall_ms", "stream stall during", NULL, M },
	{ "qos.during.page.load_ms.p50", "page load p50 during", NULL, M },
};
const size_t mt_nkey_metrics = sizeof(mt_key_metrics) / sizeof(mt_key_metrics[0]);
