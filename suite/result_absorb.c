/* result_absorb.c — one cell result folded into another under a prefix: how a cell that moves
 * several VMs keeps what each VM's driver recorded apart (vm.NAME.*, docs/evacuation.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/result.h"

static char *joined(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

static int absorb_metric(struct mt_cell_result *dst, const struct mt_metric *m, const char *prefix)
{
	char *path = joined(prefix, m->path);
	int rc;

	if (!path)
		return MT_ENOMEM;
	switch (m->kind) {
	case MT_METRIC_NUM:
		rc = mt_cell_set_num(dst, path, m->num);
		break;
	case MT_METRIC_STR:
		rc = mt_cell_set_str(dst, path, m->str);
		break;
	default:
		rc = mt_cell_set_absent(dst, path, m->str);
		break;
	}
	free(path);
	return rc;
}

static int absorb_series(struct mt_cell_result *dst, const struct mt_series *s, const char *prefix)
{
	char *name = joined(prefix, s->name);
	struct mt_series *d;
	int rc = 0;

	if (!name)
		return MT_ENOMEM;
	d = mt_cell_series(dst, name, s->unit);
	free(name);
	if (!d)
		return MT_ENOMEM;
	for (size_t i = 0; i < s->n && rc == 0; i++)
		rc = mt_series_add(d, s->t_ns[i], s->v[i]);
	return rc;
}

char *mt_vm_prefix(const char *vm, char *buf, size_t len)
{
	snprintf(buf, len, "vm.%s.", vm ? vm : "");
	for (char *p = buf + 3; *p && p[1]; p++) /* the name's dots; the final one stays */
		if (*p == '.')
			*p = '_';
	return buf;
}

/* The event's detail names whose it is ("web2: ..."): its `what` stays the driver's, so the
 * timeline and reports still know its kind. */
static int absorb_event(struct mt_cell_result *dst, const struct mt_event_rec *e, const char *tag)
{
	size_t n = strlen(tag) + (e->detail ? strlen(e->detail) : 0) + 3;
	char *detail = malloc(n);
	int rc;

	if (!detail)
		return MT_ENOMEM;
	snprintf(detail, n, "%s%s%s", tag, e->detail ? ": " : "", e->detail ? e->detail : "");
	rc = mt_cell_add_event(dst, e->planned_ns, e->actual_ns, e->what, detail, e->rc);
	free(detail);
	if (rc == 0 && e->anchor)
		rc = mt_cell_event_anchor(dst, e->anchor, e->anchor_ns, e->effect_ns);
	return rc;
}

int mt_cell_absorb(struct mt_cell_result *dst, const struct mt_cell_result *src,
		   const char *prefix, const char *tag)
{
	int rc = 0;

	if (!dst || !src || !prefix || !tag || dst == src)
		return MT_EINVAL;
	for (size_t i = 0; i < src->nmetrics && rc == 0; i++)
		rc = absorb_metric(dst, &src->metrics[i], prefix);
	for (size_t i = 0; i < src->nseries && rc == 0; i++)
		rc = absorb_series(dst, &src->series[i], prefix);
	for (size_t i = 0; i < src->nevents && rc == 0; i++)
		rc = absorb_event(dst, &src->events[i], tag);
	return rc;
}
