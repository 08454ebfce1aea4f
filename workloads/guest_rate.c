/* guest_rate.c — dirtier history and rates (see guest_rate.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "guest_rate.h"
#include "migtorture/qos.h"

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

/* --- guest-dirty's results --- */

static double jnum(const cJSON *o, const char *k, double fallback)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(x) ? x->valuedouble : fallback;
}

/* Integrity from verify's JSON. */
static int put_integrity(const char *verify_json, struct mt_cell_result *c)
{
	cJSON *v = verify_json ? cJSON_Parse(verify_json) : NULL;
	const cJSON *mi = v ? cJSON_GetObjectItemCaseSensitive(v, "memory_integrity") : NULL;
	int rc;

	if (!cJSON_IsString(mi)) {
		rc = mt_cell_set_absent(c, "stress.guest.memory_integrity",
					"mt-guest verify gave no answer");
		if (rc == 0)
			rc = mt_cell_set_absent(c, "memory_integrity",
						"mt-guest verify gave no answer");
		goto out;
	}
	rc = mt_cell_set_str(c, "stress.guest.memory_integrity", mi->valuestring);
	/* The top-level name docs/results.md promises: ok | corrupt. */
	if (rc == 0)
		rc = mt_cell_set_str(c, "memory_integrity",
				     strcmp(mi->valuestring, "ok") ? "corrupt" : "ok");
	if (rc == 0)
		rc = mt_cell_set_num(c, "stress.guest.lost_pages", jnum(v, "lost_pages", 0));
	if (rc == 0 && cJSON_GetObjectItemCaseSensitive(v, "first_offset"))
		rc = mt_cell_set_num(c, "stress.guest.first_lost_offset_bytes",
				     jnum(v, "first_offset", 0));
out:
	cJSON_Delete(v);
	return rc;
}

static int put_rates(struct mt_cell_result *c, const struct mt_phases *phases,
		     const struct mt_dirty_hist *h, double set_Bps, double page_size)
{
	const struct mt_series *lv = NULL;
	struct mt_series *s;
	double r, whole = 0, during = -1, lvm;
	int64_t a, b, f = 0, l = 0;
	char path[128];
	int rc;

	if ((rc = mt_cell_set_num(c, "stress.guest.dirty_rate_set_bytes_s", set_Bps)) < 0)
		return rc;
	if (h->n >= 2)
		(void)mt_dirty_rate(h, h->t_ns[0], h->t_ns[h->n - 1], 1, &whole);
	for (int ph = 0; ph < MT_QOS_NPHASES; ph++) {
		int reached = mt_qos_phase_bounds(phases, ph, &a, &b) == 0;

		snprintf(path, sizeof(path), "stress.guest.dirty.%s.rate_bytes_s",
			 mt_qos_phase_name(ph));
		if (reached && mt_dirty_rate(h, a, b, 200000000LL, &r) == 0) {
			rc = mt_cell_set_num(c, path, r);
			if (ph == MT_QOS_DURING)
				during = r;
		} else {
			rc = mt_cell_set_absent(c, path, reached ? "dirtier not running then"
							     : "phase not reached");
		}
		if (rc < 0)
			return rc;
	}
	rc = mt_cell_set_num(c, "stress.guest.dirty_rate_bytes_s", during >= 0 ? during : whole);
	if (rc < 0)
		return rc;
	/* Per-second series of the achieved rate. */
	s = mt_cell_series(c, "stress.guest.dirty_rate_bytes_s", "bytes/s");
	if (!s)
		return MT_ENOMEM;
	for (int64_t t = h->n ? h->t_ns[0] : 0; h->n >= 2 && t + 1000000000LL <= h->t_ns[h->n - 1];
	     t += 1000000000LL)
		if (mt_dirty_rate(h, t, t + 1000000000LL, 1, &r) == 0 &&
		    (rc = mt_series_add(s, t + 1000000000LL, r)) < 0)
			return rc;
	/* The cross-check: libvirt's dirty rate samples during the migration, against the guest's
	 * achieved rate over the span those samples cover. */
	for (size_t i = 0; i < c->nseries; i++)
		if (!strcmp(c->series[i].name, "migration.dirty_rate_pages_s"))
			lv = &c->series[i];
	if (mt_qos_phase_bounds(phases, MT_QOS_DURING, &a, &b) < 0 || !lv ||
	    mt_series_positive_mean(lv, a, b, &lvm, &f, &l) < 0) {
		const char *why = "no libvirt dirty rate during a migration";

		if ((rc = mt_cell_set_absent(c, "stress.guest.libvirt_dirty_rate_bytes_s", why)) < 0)
			return rc;
		return mt_cell_set_absent(c, "stress.guest.dirty_rate_ratio", why);
	}
	rc = mt_cell_set_num(c, "stress.guest.libvirt_dirty_rate_bytes_s", lvm * page_size);
	if (rc < 0)
		return rc;
	/* QEMU measures over >= 1 s bitmap-sync periods: the first sample covers the second
	 * before it. */
	f -= 1000000000LL;
	if (mt_dirty_rate(h, f, l, 200000000LL, &r) == 0 && r > 0)
		return mt_cell_set_num(c, "stress.guest.dirty_rate_ratio", lvm * page_size / r);
	return mt_cell_set_absent(c, "stress.guest.dirty_rate_ratio",
				  "the dirtier's history does not cover libvirt's samples");
}

int mt_guest_dirty_put(struct mt_cell_result *c, const struct mt_phases *phases,
		       const char *verify_json, const char *status_json, int64_t status_host_ns,
		       double set_Bps, double page_size)
{
	struct mt_dirty_hist h = { 0 };
	int rc = put_integrity(verify_json, c);

	if (rc == 0 && status_json && mt_dirty_hist_parse(status_json, status_host_ns, &h) == 0)
		rc = put_rates(c, phases, &h, set_Bps, page_size);
	else if (rc == 0)
		rc = mt_cell_set_absent(c, "stress.guest.dirty_rate_bytes_s", "no status from mt-guest");
	mt_dirty_hist_free(&h);
	return rc;
}
