/* migtorture/units.h — values with units, parsed once and stored in base units.
 *
 * Like iproute2's tc: parse at input time, keep integers in base units (ns, bytes, bit/s,
 * bytes/s), convert only for display. Binary prefixes (KiB, MiB, GiB) are powers of 1024;
 * decimal ones (k, M, G) powers of 1000, except for sizes where K/M/G without 'i' follow the
 * fio/stress-ng habit of 1024 (documented in docs/scenario-reference.md).
 *
 * Every parser returns 0 or MT_EINVAL and writes a short "expected ..." text into why.
 */
#ifndef MIGTORTURE_UNITS_H
#define MIGTORTURE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define MT_NS_PER_US 1000LL
#define MT_NS_PER_MS 1000000LL
#define MT_NS_PER_S 1000000000LL

/* "250ms", "1.5s", "2m", "1h", "100us", "10ns". A bare number is refused (ambiguous).
 * Range 0 .. about 292 years; negative refused. */
int mt_parse_duration(const char *s, int64_t *ns, char *why, size_t whylen);

/* "64M", "2GiB", "4096", "512KiB", "10B". Bare numbers are bytes. */
int mt_parse_size(const char *s, uint64_t *bytes, char *why, size_t whylen);

/* Network rates in bit/s: "10mbit", "10Mbit/s", "2M", "500kbit", "1G", "1000bit".
 * Also "12MiB/s"/"12MB/s" as bytes per second converted to bits (× 8). */
int mt_parse_bitrate(const char *s, uint64_t *bps, char *why, size_t whylen);

/* Data rates in bytes/s: "200M/s", "50MiB/s", "1G/s", "100KiB/s" (binary prefixes). */
int mt_parse_byterate(const char *s, uint64_t *Bps, char *why, size_t whylen);

/* "5%", "0.5%", "100%". Range 0..100 inclusive; stored as percent (double). */
int mt_parse_percent(const char *s, double *pct, char *why, size_t whylen);

/* Plain integer with range check; refuses trailing junk and overflow. */
int mt_parse_int(const char *s, long long min, long long max, long long *out, char *why,
		 size_t whylen);

/* Plain floating-point number, finite. */
int mt_parse_double(const char *s, double *out, char *why, size_t whylen);

/* "yes/no/true/false/on/off/1/0". */
int mt_parse_bool(const char *s, int *out, char *why, size_t whylen);

/* Human formatting for messages and plans: "1.5s", "250ms", "64MiB", "10Mbit/s". */
void mt_fmt_duration(int64_t ns, char *buf, size_t len);
void mt_fmt_size(uint64_t bytes, char *buf, size_t len);
void mt_fmt_bitrate(uint64_t bps, char *buf, size_t len);

/* CLOCK_MONOTONIC in ns; CLOCK_REALTIME in ns. */
int64_t mt_now_ns(void);
int64_t mt_wall_ns(void);

#endif
