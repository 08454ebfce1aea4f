/* web_model.c — pure parts of the web workloads: goodput buckets, playout buffer,
 * page assets. No I/O here, so every function is exact and unit-tested (test_web.c). */
#include "web_model.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- intervals --- */

int64_t mt_web_overlap(int64_t a, int64_t b, int64_t c, int64_t d)
{
	int64_t lo = a > c ? a : c, hi = b < d ? b : d;

	return hi > lo ? hi - lo : 0;
}

/* --- goodput --- */

void mt_goodput_init(struct mt_goodput *g, int64_t bucket_ns)
{
	memset(g, 0, sizeof(*g));
	g->bucket_ns = bucket_ns > 0 ? bucket_ns : 100 * 1000000LL;
}

int mt_goodput_add(struct mt_goodput *g, int64_t t_ns, uint64_t bytes)
{
	size_t i = t_ns > 0 ? (size_t)(t_ns / g->bucket_ns) : 0;

	if (i >= g->cap) {
		size_t cap = g->cap ? g->cap : 64;
		uint64_t *b;

		while (cap <= i)
			cap *= 2;
		b = realloc(g->bytes, cap * sizeof(*b));
		if (!b)
			return MT_ENOMEM;
		memset(b + g->cap, 0, (cap - g->cap) * sizeof(*b));
		g->bytes = b;
		g->cap = cap;
	}
	g->bytes[i] += bytes;
	if (i + 1 > g->n)
		g->n = i + 1;
	return 0;
}

double mt_goodput_bps(const struct mt_goodput *g, size_t i)
{
	if (i >= g->n)
		return 0.0;
	return (double)g->bytes[i] * 8.0 * 1e9 / (double)g->bucket_ns;
}

size_t mt_goodput_window(const struct mt_goodput *g, int64_t from_ns, int64_t to_ns, int64_t a,
			 int64_t b, double *out)
{
	int64_t w = g->bucket_ns, lo = from_ns > a ? from_ns : a, hi = to_ns < b ? to_ns : b;
	size_t m = 0;

	if (lo < 0)
		lo = 0;
	if (hi <= lo)
		return 0;
	/* first whole bucket starts at or after lo; the last ends at or before hi */
	for (int64_t i = (lo + w - 1) / w; (i + 1) <= hi / w; i++)
		out[m++] = mt_goodput_bps(g, (size_t)i);
	return m;
}

void mt_goodput_free(struct mt_goodput *g)
{
	free(g->bytes);
	g->bytes = NULL;
	g->n = g->cap = 0;
}

/* --- playout buffer --- */

void mt_playout_init(struct mt_playout *p, int64_t seg_ns, int64_t startup_ns, int64_t t0_ns)
{
	memset(p, 0, sizeof(*p));
	p->seg_ns = seg_ns;
	p->startup_ns = startup_ns > 0 ? startup_ns : seg_ns;
	p->t_ns = t0_ns;
	p->req0_ns = t0_ns;
	p->play_start_ns = -1;
}

static int stall_open(struct mt_playout *p, int64_t t_ns)
{
	if (p->nstalls == p->capstalls) {
		size_t cap = p->capstalls ? p->capstalls * 2 : 16;
		struct mt_stall *s = realloc(p->stalls, cap * sizeof(*s));

		if (!s)
			return MT_ENOMEM;
		p->stalls = s;
		p->capstalls = cap;
	}
	p->stalls[p->nstalls].start_ns = t_ns;
	p->stalls[p->nstalls].end_ns = -1;
	p->nstalls++;
	return 0;
}

int mt_playout_advance(struct mt_playout *p, int64_t t_ns)
{
	int64_t dt = t_ns - p->t_ns;

	if (dt <= 0)
		return 0;
	if (p->playing) {
		if (p->level_ns >= dt) {
			p->level_ns -= dt;
		} else {
			/* The buffer ran dry part-way: the stall starts at that exact moment. */
			int64_t empty_at = p->t_ns + p->level_ns;

			p->level_ns = 0;
			p->playing = 0;
			if (stall_open(p, empty_at) < 0)
				return MT_ENOMEM;
		}
	}
	p->t_ns = t_ns;
	return 0;
}

int mt_playout_arrival(struct mt_playout *p, int64_t t_ns)
{
	int rc = mt_playout_advance(p, t_ns);

	if (rc < 0)
		return rc;
	p->level_ns += p->seg_ns;
	if (!p->playing && p->level_ns >= p->startup_ns) {
		p->playing = 1;
		if (p->play_start_ns < 0)
			p->play_start_ns = p->t_ns;
		else if (p->nstalls && p->stalls[p->nstalls - 1].end_ns < 0)
			p->stalls[p->nstalls - 1].end_ns = p->t_ns;
	}
	return 0;
}

int mt_playout_finish(struct mt_playout *p, int64_t t_ns)
{
	int rc = mt_playout_advance(p, t_ns);

	if (rc == 0 && p->nstalls && p->stalls[p->nstalls - 1].end_ns < 0)
		p->stalls[p->nstalls - 1].end_ns = p->t_ns > t_ns ? p->t_ns : t_ns;
	return rc;
}

int64_t mt_playout_when_level(const struct mt_playout *p, int64_t level_ns)
{
	if (!p->playing)
		return INT64_MAX;
	if (p->level_ns <= level_ns)
		return p->t_ns;
	return p->t_ns + (p->level_ns - level_ns);
}

void mt_playout_stalls_in(const struct mt_playout *p, int64_t a, int64_t b, unsigned *count,
			  int64_t *total_ns)
{
	unsigned c = 0;
	int64_t tot = 0;

	for (size_t i = 0; i < p->nstalls; i++) {
		int64_t s = p->stalls[i].start_ns;
		int64_t e = p->stalls[i].end_ns >= 0 ? p->stalls[i].end_ns : p->t_ns;

		if (s >= a && s < b)
			c++;
		tot += mt_web_overlap(s, e, a, b);
	}
	if (count)
		*count = c;
	if (total_ns)
		*total_ns = tot;
}

void mt_playout_free(struct mt_playout *p)
{
	free(p->stalls);
	p->stalls = NULL;
	p->nstalls = p->capstalls = 0;
}

/* --- page assets --- */

static int has_prefix_ci(const char *s, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);

	return n >= k && strncasecmp(s, pfx, k) == 0;
}

/* The name of the tag an attribute at html[i] sits in ("img", "link", ...), or "" when it is
 * not inside a tag. */
static void tag_of(const char *html, size_t i, char *tag, size_t taglen)
{
	size_t k = i, t = 0;

	tag[0] = '\0';
	while (k > 0 && html[k - 1] != '<' && html[k - 1] != '>')
		k--;
	if (k == 0 || html[k - 1] != '<')
		return;
	while (k < i && t + 1 < taglen && isalnum((unsigned char)html[k]))
		tag[t++] = (char)tolower((unsigned char)html[k++]);
	tag[t] = '\0';
}

/* Whether a reference is part of the page's own load, as a browser's first view fetches it:
 * src= of img/script/iframe/embed/input and href= of link (stylesheet, icon). Not <a href>
 * (navigation: the lab page links to the 20 MiB video), not video/audio/source (media streams
 * are the video workloads' job); and only same-site: no scheme, not //host, no fragment,
 * mailto:, data: or javascript:. */
static int is_asset(const char *tag, const char *v, size_t n, int is_href)
{
	static const char *const src_tags[] = { "img", "script", "iframe", "embed", "input", NULL };
	int tag_ok = 0;

	if (is_href) {
		tag_ok = strcmp(tag, "link") == 0;
	} else {
		for (size_t i = 0; src_tags[i] && !tag_ok; i++)
			tag_ok = strcmp(tag, src_tags[i]) == 0;
	}
	if (!tag_ok || n == 0 || v[0] == '#')
		return 0;
	if (has_prefix_ci(v, n, "//") || has_prefix_ci(v, n, "mailto:") ||
	    has_prefix_ci(v, n, "data:") || has_prefix_ci(v, n, "javascript:"))
		return 0;
	for (size_t i = 0; i < n && v[i] != '/' && v[i] != '?'; i++)
		if (v[i] == ':')
			return 0; /* has a scheme: another site */
	return 1;
}

int mt_web_find_assets(const char *html, size_t len, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		int is_href;
		size_t j, start;
		char q, tag[16];

		if (i > 0 && !isspace((unsigned char)html[i - 1]))
			continue;
		if (has_prefix_ci(html + i, len - i, "src="))
			is_href = 0, j = i + 4;
		else if (has_prefix_ci(html + i, len - i, "href="))
			is_href = 1, j = i + 5;
		else
			continue;
		if (j >= len || (html[j] != '"' && html[j] != '\''))
			continue;
		q = html[j++];
		start = j;
		while (j < len && html[j] != q && html[j] != '>')
			j++;
		if (j >= len || html[j] != q)
			continue;
		tag_of(html, i, tag, sizeof(tag));
		if (!is_asset(tag, html + start, j - start, is_href))
			continue;
		{
			int dup = 0;

			for (size_t k = 0; k < n && !dup; k++)
				dup = strlen(v[k]) == j - start &&
				      memcmp(v[k], html + start, j - start) == 0;
			if (dup)
				continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				rc = MT_ENOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		v[n] = strndup(html + start, j - start);
		if (!v[n]) {
			rc = MT_ENOMEM;
			goto out;
		}
		n++;
		i = j;
	}
out:
	if (rc < 0) {
		mt_web_strv_free(v, n);
		return rc;
	}
	*out = v;
	return (int)n;
}

void mt_web_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *mt_web_resolve(const char *page_url, const char *ref)
{
	const char *scheme = strstr(page_url, "://");
	const char *path = NULL, *last = NULL;
	char *res = NULL;
	size_t keep;

	if (!scheme)
		return NULL;
	path = strchr(scheme + 3, '/');
	if (ref[0] == '/') {
		keep = path ? (size_t)(path - page_url) : strlen(page_url);
	} else if (path) {
		const char *q = strpbrk(path, "?#");
		size_t plen = q ? (size_t)(q - path) : strlen(path);

		for (size_t i = 0; i < plen; i++)
			if (path[i] == '/')
				last = path + i;
		keep = (size_t)(last - page_url) + 1;
		if (strncmp(ref, "./", 2) == 0)
			ref += 2;
	} else {
		/* "http://host" + "x" → "http://host/x" */
		if (asprintf(&res, "%s/%s", page_url, ref) < 0)
			return NULL;
		return res;
	}
	if (asprintf(&res, "%.*s%s", (int)keep, page_url, ref) < 0)
		return NULL;
	return res;
}

char *mt_web_expand(const char *tmpl, uint64_t n, uint64_t kbps, uint64_t dur_s)
{
	size_t cap = strlen(tmpl) + 64, len = 0;
	char *o = malloc(cap);

	if (!o)
		return NULL;
	for (const char *s = tmpl; *s;) {
		char num[32];
		const char *rep = NULL;
		size_t skip = 0;

		if (strncmp(s, "{n}", 3) == 0) {
			snprintf(num, sizeof(num), "%" PRIu64, n);
			rep = num, skip = 3;
		} else if (strncmp(s, "{kbps}", 6) == 0) {
			snprintf(num, sizeof(num), "%" PRIu64, kbps);
			rep = num, skip = 6;
		} else if (strncmp(s, "{dur}", 5) == 0) {
			snprintf(num, sizeof(num), "%" PRIu64, dur_s);
			rep = num, skip = 5;
		}
		if (len + 34 >= cap) {
			char *no = realloc(o, cap * 2);

			if (!no) {
				free(o);
				return NULL;
			}
			o = no;
			cap *= 2;
		}
		if (rep) {
			memcpy(o + len, rep, strlen(rep));
			len += strlen(rep);
			s += skip;
		} else {
			o[len++] = *s++;
		}
	}
	o[len] = '\0';
	return o;
}
