/* guest_rate.c — dirtier history and rates (see guest_rate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "guest_rate.h"

void mt_dirty_hist_free(struct mt_dirty_hist *h)
{
	free(h->t_ns);
	free(h->bytes);
	memset(h, 0, sizeof(*h));
}

int mt_dirty_hist_parse(const char *json, int64_t host_now_ns, struct mt_dirty_hist *h)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *now = o ? cJSON_GetObjectItemCaseSensitive(o, "now_mono_ns") : NULL;
	const cJSON *arr = o ? cJSON_GetObjectItemCaseSensitive(o, "samples") : NULL, *e;
	int64_t shift;
	size_t n;
	int rc = 0;

	memset(h, 0, sizeof(*h));
	if (!cJSON_IsNumber(now) || !cJSON_IsArray(arr)) {
		rc = MT_EINVAL;
		goto out;
	}
	shift = host_now_ns - (int64_t)now->valuedouble;
	n = (size_t)cJSON_GetArraySize(arr);
	h->t_ns = calloc(n ? n : 1, sizeof(*h->t_ns));
	h->bytes = calloc(n ? n : 1, sizeof(*h->bytes));
	if (!h->t_ns || !h->bytes) {
		rc = MT_ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(e, arr) {
		const cJSON *t = cJSON_GetArrayItem(e, 0), *b = cJSON_GetArrayItem(e, 1);
		int64_t ht;

		if (!cJSON_IsNumber(t) || !cJSON_IsNumber(b)) {
			rc = MT_EINVAL;
			goto out;
		}
		ht = (int64_t)t->valuedouble + shift;
		if (h->n && ht <= h->t_ns[h->n - 1])
			continue; /* keep it strictly ascending */
		h->t_ns[h->n] = ht;
		h->bytes[h->n] = b->valuedouble;
		h->n++;
	}
out:
	if (rc < 0)
		mt_dirty_hist_free(h);
	cJSON_Delete(o);
	return rc;
}

/* Cumulative bytes at t (t within the history). */
static double cum_at(const struct mt_dirty_hist *h, int64_t t)
{
	size_t lo = 0, hi = h->n - 1;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (h->t_ns[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (t <= h->t_ns[lo])
		return h->bytes[lo];
	if (t >= h->t_ns[hi])
		return h->bytes[hi];
	return h->bytes[lo] + (h->bytes[hi] - h->bytes[lo]) * (double)(t - h->t_ns[lo]) /
				      (double)(h->t_ns[hi] - h->t_ns[lo]);
}

int mt_dirty_rate(const struct mt_dirty_hist *h, int64_t a, int64_t b, int64_t min_ns,
		  double *bps)
{
	if (h->n < 2)
		return MT_ENOTFOUND;
	if (a < h->t_ns[0])
		a = h->t_ns[0];
	if (b > h->t_ns[h->n - 1])
		b = h->t_ns[h->n - 1];
	if (b - a < (min_ns > 0 ? min_ns : 1))
		return MT_ENOTFOUND;
	*bps = (cum_at(h, b) - cum_at(h, a)) / ((double)(b - a) / 1e9);
	return 0;
}

int mt_series_positive_mean(const struct mt_series *s, int64_t a, int64_t b, double *mean,
			    int64_t *first_ns, int64_t *last_ns)
{
	double sum = 0;
	size_t n = 0;

	for (size_t i = 0; s && i < s->n; i++) {
		if (s->t_ns[i] < a || s->t_ns[i] >= b || !(s->v[i] > 0))
			continue;
		if (n == 0 && first_ns)
			*first_ns = s->t_ns[i];
		if (last_ns)
			*last_ns = s->t_ns[i];
		sum += s->v[i];
		n++;
	}
	if (n == 0)
		return MT_ENOTFOUND;
	*mean = sum / (double)n;
	return 0;
}
