/* jsonl.c — JSON lines over file descriptors (see jsonl.h). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "jsonl.h"
#include "migtorture/units.h"

void mt_jsonl_init(struct mt_jsonl *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

void mt_jsonl_free(struct mt_jsonl *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

void mt_jsonl_set_max(struct mt_jsonl *r, size_t max, int drop_long)
{
	r->max = max;
	r->drop_long = drop_long;
}

static size_t line_max(const struct mt_jsonl *r)
{
	return r->max ? r->max : MT_JSONL_MAX;
}

int mt_jsonl_next(struct mt_jsonl *r, char **line)
{
	char *nl;
	size_t n;

	*line = NULL;
	if (r->dropped) {
		r->dropped--;
		return MT_EINVAL;
	}
	nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
	if (!nl)
		return 0;
	n = (size_t)(nl - r->buf);
	if (r->drop_long && n > line_max(r)) {
		/* It came whole within one read: dropped here rather than while it arrived. */
		memmove(r->buf, nl + 1, r->len - n - 1);
		r->len -= n + 1;
		return MT_EINVAL;
	}
	*line = malloc(n + 1);
	if (!*line)
		return MT_ENOMEM;
	memcpy(*line, r->buf, n);
	(*line)[n] = '\0';
	memmove(r->buf, nl + 1, r->len - n - 1);
	r->len -= n + 1;
	return 1;
}

/* Drop mode, after a read: while skipping, discard up to the dropped line's '\n'; a partial
 * line (no '\n' in the buffer) that has outgrown the maximum starts skipping. Complete lines
 * before it were in the buffer first and are taken out before it is reported. */
static void drop_long_line(struct mt_jsonl *r)
{
	char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;

	if (r->skipping) {
		if (!nl) {
			r->len = 0;
			return;
		}
		r->len -= (size_t)(nl + 1 - r->buf);
		memmove(r->buf, nl + 1, r->len);
		r->skipping = 0;
		r->dropped++;
		nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
	}
	if (!nl && r->len > line_max(r)) {
		r->len = 0;
		r->skipping = 1;
	}
}

int mt_jsonl_fill(struct mt_jsonl *r, struct mt_error *err)
{
	ssize_t got;

	if (r->cap - r->len < 4096) {
		size_t lim = line_max(r) + 8192, cap = r->cap ? r->cap * 2 : 8192;
		char *nb;

		if (cap > lim)
			cap = lim;
		if (cap <= r->cap && !r->drop_long)
			return mt_err(err, MT_EINVAL, "protocol: a line longer than %zu bytes",
				      line_max(r));
		/* Drop mode at the limit: what fills it are complete lines the caller has not
		 * taken yet (a partial line is never longer than the maximum here). */
		if (cap <= r->cap && r->len == r->cap)
			return MT_ETIMEOUT;
		if (cap > r->cap) {
			nb = realloc(r->buf, cap);
			if (!nb)
				return mt_err(err, MT_ENOMEM, "out of memory");
			r->buf = nb;
			r->cap = cap;
		}
	}
	do
		got = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		if (errno == EAGAIN)
			return MT_ETIMEOUT; /* non-blocking fd: nothing there yet */
		return mt_err(err, MT_EIO, "read: %s", strerror(errno));
	}
	if (got == 0)
		r->eof = 1;
	r->len += (size_t)got;
	if (r->drop_long)
		drop_long_line(r);
	return (int)got;
}

int mt_jsonl_read(struct mt_jsonl *r, int timeout_ms, char **line, struct mt_error *err)
{
	long long end = timeout_ms < 0 ? 0 : mt_now_ns() + (long long)timeout_ms * 1000000;
	int rc;

	for (;;) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int wait = -1;

		rc = mt_jsonl_next(r, line);
		if (rc == MT_EINVAL)
			return mt_err(err, rc, "protocol: a line longer than %zu bytes (dropped)",
				      line_max(r));
		if (rc != 0)
			return rc < 0 ? mt_err(err, rc, "out of memory") : 1;
		if (r->eof)
			return 0;
		if (end) {
			long long left = end - mt_now_ns();

			if (left <= 0)
				return mt_err(err, MT_ETIMEOUT, "no answer within %d ms", timeout_ms);
			wait = (int)((left + 999999) / 1000000);
		}
		rc = poll(&p, 1, wait);
		if (rc < 0 && errno != EINTR)
			return mt_err(err, MT_EIO, "poll: %s", strerror(errno));
		if (rc <= 0)
			continue;
		rc = mt_jsonl_fill(r, err);
		if (rc < 0 && rc != MT_ETIMEOUT)
			return rc;
	}
}

int mt_jsonl_write(int fd, const cJSON *o, struct mt_error *err)
{
	char *s = cJSON_PrintUnformatted(o);
	size_t len;
	int rc = 0;

	if (!s)
		return mt_err(err, MT_ENOMEM, "out of memory");
	len = strlen(s);
	s[len] = '\n'; /* replaces the terminator: written by length */
	len++;
	if (mt_write_full(fd, s, len) < 0)
		rc = mt_err(err, MT_EIO, "write: %s", strerror(errno));
	free(s);
	return rc;
}

int mt_jsonl_add_i64(cJSON *o, const char *key, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	return cJSON_AddRawToObject(o, key, num) ? 0 : MT_ENOMEM;
}

long long mt_jsonl_get_i64(const cJSON *o, const char *key)
{
	int64_t v = 0;

	/* cJSON keeps numbers as doubles: monotonic ns are exact up to 2^53 (104 days of
	 * uptime); wall-clock ns since the epoch are rounded to 256 ns, far below what the
	 * protocol's timing claims (round trips of milliseconds). */
	if (mt_json_i64(cJSON_GetObjectItemCaseSensitive(o, key), INT64_MIN, INT64_MAX, &v) < 0)
		return 0;
	return v;
}

int mt_json_i64(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	double d;
	int64_t i;

	if (!cJSON_IsNumber(v))
		return MT_EINVAL;
	d = v->valuedouble;
	/* -2^63 and 2^63 are exact doubles; NaN fails both comparisons. */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return MT_EINVAL;
	i = (int64_t)d;
	if (i < lo || i > hi)
		return MT_EINVAL;
	*out = i;
	return 0;
}
