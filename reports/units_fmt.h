/* units_fmt.h — numbers in human units for the reports (ms/s, MiB, Mbit/s, %), private to
 * reports/. The unit comes from the metric's name suffix (docs/results.md "Conventions"). */
#ifndef MT_REPORTS_UNITS_FMT_H
#define MT_REPORTS_UNITS_FMT_H

#include <stddef.h>

/* A display unit: value shown = base value / div, followed by sym (may be ""). */
struct mt_hscale {
	double div;
	const char *sym;
};

/* Kind of the base unit of a metric path or series unit, from the last dotted component that
 * carries a unit suffix ("network_outage_ms.p95" is in ms). */
enum mt_hunit { MT_HU_COUNT, MT_HU_MS, MT_HU_BYTES, MT_HU_BPS, MT_HU_PCT, MT_HU_MBPS };

enum mt_hunit mt_hunit_of_path(const char *path);
/* The same from a series' unit text ("ms", "bytes", "bit/s", "Mbit/s", ...). */
enum mt_hunit mt_hunit_of_series(const char *unit);

/* The display unit that shows magnitude (a typical value, e.g. a median or the axis maximum)
 * with a few digits: ms below 10 s and s above, B/KiB/MiB/GiB, bit/s ... Gbit/s. */
struct mt_hscale mt_hscale_pick(enum mt_hunit u, double magnitude);

/* v with about 3 significant digits in fixed notation (never e-notation); "–" when not finite. */
void mt_hfmt_plain(double v, char *buf, size_t len);

/* v of metric path in its picked display unit: "897 ms", "12.5 s", "103.6 MiB". */
void mt_hfmt(const char *path, double v, char *buf, size_t len);

/* "median ± pm unit" with both in the display unit picked for median; pm not finite → no ±. */
void mt_hfmt_pm(const char *path, double median, double pm, char *buf, size_t len);

/* The metric path a threshold check measured, for its unit: the resolved path in the
 * expression's " [path]" suffix, else its first word (the metric, perhaps with an aggregate:
 * "network_outage_ms.p95"). Written into buf; returns buf. */
const char *mt_check_metric_path(const char *expr, char *buf, size_t len);

#endif
