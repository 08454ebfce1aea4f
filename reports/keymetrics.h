/* keymetrics.h — the metrics every human-facing report leads with, private to reports/. */
#ifndef MT_REPORTS_KEYMETRICS_H
#define MT_REPORTS_KEYMETRICS_H

#include <stddef.h>

struct mt_key_metric {
	const char *path;  /* metric path (unit from its suffix) */
	const char *title; /* column/axis title without unit */
};

/* The key metrics in display order: migration time, the three downtimes, bytes, QoS. */
extern const struct mt_key_metric mt_key_metrics[];
extern const size_t mt_nkey_metrics;

#endif
