/* keymetrics.h — the metrics the human-facing reports lead with, private to reports/. */
#ifndef MT_REPORTS_KEYMETRICS_H
#define MT_REPORTS_KEYMETRICS_H

#include <stddef.h>

/* Which reports show a key metric (struct mt_key_metric.in). */
enum {
	MT_KM_PAGE = 1 << 0,     /* the HTML page: summary, box plots, heat map; JUnit properties */
	MT_KM_MARKDOWN = 1 << 1, /* report --format markdown */
	MT_KM_TREND = 1 << 2,    /* the trend page across runs */
	MT_KM_SUMMARY = 1 << 3,  /* the terminal summary (its columns must fit 100 characters) */
	MT_KM_ALL = MT_KM_PAGE | MT_KM_MARKDOWN | MT_KM_TREND | MT_KM_SUMMARY,
};

struct mt_key_metric {
	const char *path;  /* metric path (unit from its suffix) */
	const char *title; /* column/axis title without unit */
	const char *head;  /* the terminal summary's short column header, or NULL */
	unsigned in;       /* MT_KM_* of the reports that show it */
};

/* Every report's key metrics in one display order: migration time, the three downtimes, bytes,
 * QoS during the migration, then the workloads' own QoS (Markdown only). A report shows the
 * entries whose `in` names it, in this order. */
extern const struct mt_key_metric mt_key_metrics[];
extern const size_t mt_nkey_metrics;

#endif
