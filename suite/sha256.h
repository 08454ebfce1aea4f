/* sha256.h — SHA-256 (FIPS 180-4) for the scenario file hash (private to suite/). None of the
 * libraries already linked (libvirt, libnl, curl, cJSON, inih) exports one. */
#ifndef MT_SHA256_H
#define MT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct mt_sha256 {
	uint32_t h[8];
	uint64_t len;      /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void mt_sha256_init(struct mt_sha256 *c);
void mt_sha256_update(struct mt_sha256 *c, const void *data, size_t len);
void mt_sha256_final(struct mt_sha256 *c, uint8_t out[32]);

/* One-shot: hex digest of data into hex[65] (lower case, NUL-terminated). */
void mt_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
