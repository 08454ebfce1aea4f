/* stress_yaml.c — line parser for stress-ng's YAML metrics (why not libyaml: stress_yaml.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stress_yaml.h"

static size_t indent_of(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* Splits "key: value" (after indent) into key and value copies; 0 on success. */
static int split(const char *s, size_t n, char *key, size_t klen, char *val, size_t vlen)
{
	const char *colon = memchr(s, ':', n);
	size_t kl, vl;
	const char *v;

	if (!colon || colon == s)
		return -1;
	kl = (size_t)(colon - s);
	v = colon + 1;
	while (v < s + n && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(s + n - v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
		vl--;
	if (kl >= klen || vl >= vlen)
		return -1;
	memcpy(key, s, kl);
	key[kl] = '\0';
	memcpy(val, v, vl);
	val[vl] = '\0';
	return 0;
}


/* Copies src into dst, cut to fit (names longer than the field are cut, never overflow). */
static void copy_trunc(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int add(struct mt_sng_report *r, const char *stressor, const char *key, double v)
{
	struct mt_sng_metric *m;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 32;
		void *p = realloc(r->m, cap * sizeof(*r->m));

		if (!p)
			return MT_ENOMEM;
		r->m = p;
		r->cap = cap;
	}
	m = &r->m[r->n++];
	copy_trunc(m->stressor, sizeof(m->stressor), stressor);
	copy_trunc(m->key, sizeof(m->key), key);
	m->value = v;
	return 0;
}

int mt_sng_yaml_parse(const char *text, size_t len, struct mt_sng_report *out,
		      struct mt_error *err)
{
	const char *p = text, *end = text + len;
	char stressor[48] = "";
	int in_metrics = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n, ind;
		char key[128], val[128], *e;
		const char *s;
		double v;

		if (!nl)
			break; /* a last line without newline: cut off mid-write */
		n = (size_t)(nl - p);
		s = p;
		p = nl + 1;
		ind = indent_of(s, n);
		s += ind;
		n -= ind;
		if (n == 0 || s[0] == '#')
			continue;
		if (ind == 0) {
			if (n == 3 && memcmp(s, "...", 3) == 0)
				out->complete = 1;
			in_metrics = n == 8 && memcmp(s, "metrics:", 8) == 0;
			continue;
		}
		if (!in_metrics)
			continue;
		if (n > 2 && s[0] == '-' && s[1] == ' ') {
			/* "- stressor: cpu" opens a record */
			if (split(s + 2, n - 2, key, sizeof(key), val, sizeof(val)) == 0 &&
			    strcmp(key, "stressor") == 0) {
				snprintf(stressor, sizeof(stressor), "%.47s", val);
				out->nstressors++;
			}
			continue;
		}
		if (!stressor[0] || split(s, n, key, sizeof(key), val, sizeof(val)) < 0)
			continue;
		errno = 0;
		v = strtod(val, &e);
		if (e == val || *e || errno || !isfinite(v))
			continue; /* a string or anything not a plain number */
		if (add(out, stressor, key, v) < 0) {
			mt_sng_report_free(out);
			return mt_err(err, MT_ENOMEM, "out of memory");
		}
	}
	return 0;
}

int mt_sng_yaml_read(const char *path, struct mt_sng_report *out, struct mt_error *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!f)
		return mt_err(err, MT_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				rc = mt_err(err, MT_ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
		if (len > (16u << 20)) {
			rc = mt_err(err, MT_EIO, "%s: larger than 16 MiB: not a stress-ng report",
				    path);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = mt_err(err, MT_EIO, "%s: read error", path);
		goto out;
	}
	rc = mt_sng_yaml_parse(buf ? buf : "", len, out, err);
out:
	free(buf);
	fclose(f);
	return rc;
}

const struct mt_sng_metric *mt_sng_find(const struct mt_sng_report *r, const char *stressor,
					const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->m[i].stressor, stressor) == 0 && strcmp(r->m[i].key, key) == 0)
			return &r->m[i];
	return NULL;
}

static const struct {
	const char *key, *name;
} names[] = {
	{ "bogo-ops", "bogo_ops" },
	{ "bogo-ops-per-second-real-time", "bogo_ops_s_real" },
	{ "bogo-ops-per-second-usr-sys-time", "bogo_ops_s_usr_sys" },
	{ "wall-clock-time", "wall_clock_s" },
	{ "user-time", "user_s" },
	{ "system-time", "system_s" },
	{ "cpu-usage-per-instance", "cpu_usage_per_instance_pct" },
	{ "max-rss", "max_rss_kib" },
};

void mt_sng_metric_name(const char *key, char *buf, size_t len, double *scale)
{
	static const char mbs[] = "-mb-per-sec";
	size_t kl = strlen(key), sl = sizeof(mbs) - 1;

	*scale = 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i].key) == 0) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	if (kl > sl && strcmp(key + kl - sl, mbs) == 0) {
		snprintf(buf, len, "%.*s_bytes_s", (int)(kl - sl), key);
		*scale = 1048576.0;
	} else {
		snprintf(buf, len, "%s", key);
	}
	for (char *c = buf; *c; c++)
		if (*c == '-' || *c == '.' || *c == ' ')
			*c = '_';
}

void mt_sng_report_free(struct mt_sng_report *r)
{
	free(r->m);
	memset(r, 0, sizeof(*r));
}
