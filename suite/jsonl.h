/* jsonl.h — JSON lines over file descriptors: the framing of the remote-host protocol
 * (docs/remote-hosts.md). One JSON object per line, '\n' terminated, no line longer than
 * MT_JSONL_MAX. Used by both ends (suite/remote.c, suite/agent.c); not a public contract.
 */
#ifndef MT_JSONL_H
#define MT_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "migtorture/error.h"

#define MT_JSONL_MAX (1024 * 1024)

/* A buffered reader of lines from one fd (the fd is not owned). */
struct mt_jsonl {
	int fd;
	char *buf;
	size_t len, cap;
	int eof;
	size_t max;       /* longest line accepted (0: MT_JSONL_MAX) */
	int drop_long;    /* a longer line is dropped and reported, not an error of the stream */
	int skipping;     /* inside a dropped line: discarding up to its '\n' */
	unsigned dropped; /* dropped lines not yet reported by mt_jsonl_next */
};

void mt_jsonl_init(struct mt_jsonl *r, int fd);
void mt_jsonl_free(struct mt_jsonl *r);

/* Lines longer than max bytes (without '\n'): with drop_long 0 they break the stream
 * (mt_jsonl_fill fails); with drop_long 1 the line is discarded as it arrives — never held
 * whole — and mt_jsonl_next reports it in its place, so a reader can answer it and go on. */
void mt_jsonl_set_max(struct mt_jsonl *r, size_t max, int drop_long);

/* Takes the next complete line out of the buffer (without '\n', malloc'd into *line, caller
 * frees). Returns 1 when a line was there, 0 when not (yet), MT_EINVAL (*line NULL) in place of
 * a dropped over-long line, MT_ENOMEM. Reads nothing. */
int mt_jsonl_next(struct mt_jsonl *r, char **line);

/* One read(2) of what is available into the buffer. Returns the bytes read, 0 at end of file
 * (r->eof set), MT_EIO on a read error, MT_EINVAL when a line outgrows the maximum (unless
 * over-long lines are dropped). */
int mt_jsonl_fill(struct mt_jsonl *r, struct mt_error *err);

/* Waits up to timeout_ms (< 0: forever) for one complete line. Returns 1 with *line set, 0 at
 * end of file, MT_ETIMEOUT, MT_EINVAL for a dropped over-long line, or the errors of
 * mt_jsonl_fill. */
int mt_jsonl_read(struct mt_jsonl *r, int timeout_ms, char **line, struct mt_error *err);

/* Writes o as one line (unformatted) to fd, retrying short writes. The object is not freed. */
int mt_jsonl_write(int fd, const cJSON *o, struct mt_error *err);

/* Adds an integer member without going through a double (ns since the epoch need 19
 * digits); reads one back (0 when absent, not a number, or outside int64: see mt_json_i64). */
int mt_jsonl_add_i64(cJSON *o, const char *key, long long v);
long long mt_jsonl_get_i64(const cJSON *o, const char *key);

/* The one place numbers from a peer or a file become integers: v as an integer in [lo, hi]
 * (fractions truncated) into *out. Returns 0, or MT_EINVAL (*out untouched) when v is not a
 * number, is NaN, or lies outside the range — checked on the double, before the conversion,
 * which is undefined behaviour for a value the integer type cannot hold (1e300). */
int mt_json_i64(const cJSON *v, int64_t lo, int64_t hi, int64_t *out);

#endif
