/* html_timeline.c — one cell × repeat of the HTML report: its verdict, the three downtimes and
 * timelines of its series with the migration, the faults and the downtimes drawn where they
 * happened.
 *
 * Where: the migration API call returns well after the guest resumed (the destination's
 * start-up and libvirt's bookkeeping come after the switchover), so a downtime drawn ending
 * at migrate.done sits seconds late. Each downtime is placed from what the run recorded:
 *   hypervisor  ends at the switchover — an event "migrate.switchover" when the run has one,
 *               else the first job-stats sample with no memory left to send
 *               (series migration.memory_remaining_bytes), else the end of the call;
 *   guest stall the longest gap in series probe.udp.guest_stall_ms (t = gap start);
 *   network     the longest run of lost samples of the primary probe's RTT series
 *               (udp > icmp > http), from the last reply before to the first after.
 * The placement used is named in the plot's legend (docs/results.md "Other renderings").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html_priv.h"
#include "svg.h"
#include "units_fmt.h"

static const char *const dt_path[] = { "downtime.hypervisor_downtime_ms",
				       "downtime.guest_stall_ms",
				       "downtime.network_outage_ms" };
static const char *const dt_name[] = { "hypervisor downtime", "guest stall", "network outage" };

/* A downtime placed on the cell's clock (seconds since cell start). */
struct placed {
	double a, b;     /* NAN when it cannot be drawn */
	const char *how; /* what placed it */
};

static double ev_s(const struct mt_event_rec *e)
{
	return (double)e->actual_ns / 1e9;
}

static int starts(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/* Migration interval: first "migrate.start" to the last "migrate.done|end|fail|abort" or
 * "phase after"; NAN when absent. */
static void migration_span(const struct mt_cell_result *c, double *a, double *b)
{
	*a = *b = NAN;
	for (size_t i = 0; i < c->nevents; i++) {
		const char *w = c->events[i].what;

		if (starts(w, "migrate.start") && !isfinite(*a))
			*a = ev_s(&c->events[i]);
		else if (starts(w, "migrate.done") || starts(w, "migrate.end") ||
			 starts(w, "migrate.fail") || starts(w, "migrate.abort") ||
			 (w && !strcmp(w, "phase after") && !isfinite(*b)))
			*b = ev_s(&c->events[i]);
	}
	if (isfinite(*a) && !isfinite(*b)) {
		const struct mt_metric *m = mt_cell_metric(c, "migration.total_time_ms");

		if (m && m->kind == MT_METRIC_NUM)
			*b = *a + m->num / 1000;
	}
}

static const struct mt_series *series(const struct mt_cell_result *c, const char *name)
{
	for (size_t i = 0; i < c->nseries; i++)
		if (c->series[i].name && !strcmp(c->series[i].name, name) && c->series[i].n)
			return &c->series[i];
	return NULL;
}

/* End of the memory transfer: the first job-stats sample with nothing left after one with
 * something left. NAN when the series does not show it. */
static double transfer_end(const struct mt_cell_result *c)
{
	const struct mt_series *s = series(c, "migration.memory_remaining_bytes");
	int had = 0;

	for (size_t i = 0; s && i < s->n; i++) {
		if (!isfinite(s->v[i]))
			continue;
		if (s->v[i] > 0)
			had = 1;
		else if (had)
			return (double)s->t_ns[i] / 1e9;
	}
	return NAN;
}

static struct placed place_hypervisor(const struct mt_cell_result *c, double d_s, double mig_end)
{
	struct placed p = { NAN, NAN, NULL };
	double t;

	for (size_t i = 0; i < c->nevents; i++)
		if (starts(c->events[i].what, "migrate.switchover")) {
			p.b = ev_s(&c->events[i]);
			p.how = "at the switchover event";
			break;
		}
	if (!p.how && isfinite(t = transfer_end(c))) {
		p.b = t;
		p.how = "ending where the memory transfer ended (job stats)";
	}
	if (!p.how && isfinite(mig_end)) {
		p.b = mig_end;
		p.how = "ending at the end of the migration call (no job stats: placement approximate)";
	}
	if (p.how)
		p.a = p.b - d_s;
	return p;
}

static struct placed place_stall(const struct mt_cell_result *c)
{
	const struct mt_series *s = series(c, "probe.udp.guest_stall_ms");
	struct placed p = { NAN, NAN, NULL };
	double best = -1;

	for (size_t i = 0; s && i < s->n; i++)
		if (isfinite(s->v[i]) && s->v[i] > best) {
			best = s->v[i];
			p.a = (double)s->t_ns[i] / 1e9;
			p.b = p.a + s->v[i] / 1000;
			p.how = "the longest gap mt-guest reported";
		}
	return p;
}

static struct placed place_outage(const struct mt_cell_result *c)
{
	static const char *const probes[] = { "probe.udp.rtt_ms", "probe.icmp.rtt_ms",
					      "probe.http.rtt_ms" };
	struct placed p = { NAN, NAN, NULL };

	for (size_t k = 0; k < 3 && !p.how; k++) {
		const struct mt_series *s = series(c, probes[k]);
		double best = 0, last_ok = NAN;
		size_t i = 0;

		while (s && i < s->n) {
			size_t j = i;

			if (isfinite(s->v[i])) {
				last_ok = (double)s->t_ns[i] / 1e9;
				i++;
				continue;
			}
			while (j < s->n && !isfinite(s->v[j]))
				j++;
			/* the outage runs from the last reply before the losses to the first after */
			{
				double a = isfinite(last_ok) ? last_ok : (double)s->t_ns[i] / 1e9;
				double b = j < s->n ? (double)s->t_ns[j] / 1e9 :
						      (double)s->t_ns[j - 1] / 1e9;

				if (b - a > best) {
					best = b - a;
					p.a = a;
					p.b = b;
					p.how = probes[k];
				}
			}
			i = j;
		}
	}
	return p;
}

/* The downtimes of c placed on its clock; NAN spans for those not measured or not placeable. */
static void place_all(const struct mt_cell_result *c, struct placed out[3])
{
	double ma, mb;

	migration_span(c, &ma, &mb);
	for (size_t d = 0; d < 3; d++) {
		const struct mt_metric *m = mt_cell_metric(c, dt_path[d]);

		out[d] = (struct placed){ NAN, NAN, NULL };
		if (!m || m->kind != MT_METRIC_NUM || !isfinite(m->num))
			continue;
		out[d] = d == 0 ? place_hypervisor(c, m->num / 1000, mb) :
			 d == 1 ? place_stall(c) :
				  place_outage(c);
	}
}

/* Fault windows: "fault.on KIND" to the next "fault.off KIND" with the same detail (the spec
 * text), shaded; a fault never switched off lasts to the end. "fault.applied"/"fault.undone"
 * (when the fault acted) and "ceph.osdmap" (a new OSD map epoch) are marked as lines. */
static void fault_marks(struct mt_svg *g, const struct mt_cell_result *c, double end_s)
{
	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_event_rec *on = &c->events[i];
		double off = end_s;

		if (on->actual_ns < 0)
			continue; /* anchored on a phase that never came: it never ran */
		if (starts(on->what, "fault.applied") || starts(on->what, "fault.undone")) {
			mt_svg_vline(g, ev_s(on), "fev", NULL);
			continue;
		}
		/* a migration phase something was anchored on, once per phase and time */
		if (on->anchor && on->anchor_ns >= 0) {
			int seen = 0;

			for (size_t j = 0; j < i && !seen; j++)
				seen = c->events[j].anchor && c->events[j].anchor_ns == on->anchor_ns &&
				       !strcmp(c->events[j].anchor, on->anchor);
			if (!seen)
				mt_svg_vline(g, (double)on->anchor_ns / 1e9, "anc", on->anchor);
		}
		if (starts(on->what, "ceph.osdmap")) {
			double x = mt_svg_x(g, ev_s(on));

			fprintf(g->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				      "class=\"osd\"><title>", x, g->mt, x, g->mt + 10);
			mt_html_esc(on->detail ? on->detail : on->what, g->f);
			fputs("</title></line>\n", g->f);
			continue;
		}
		if (!starts(on->what, "fault.on"))
			continue;
		for (size_t j = i + 1; j < c->nevents; j++) {
			const struct mt_event_rec *e = &c->events[j];

			if (starts(e->what, "fault.off") && e->actual_ns >= 0 &&
			    !strcmp(e->detail ? e->detail : "", on->detail ? on->detail : "")) {
				off = ev_s(e);
				break;
			}
		}
		mt_svg_span(g, ev_s(on), off, "fault", on->detail ? on->detail : "fault");
	}
}

static const char *const colors[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd" };

/* One plot of every series whose unit is unit (at most 4), shaded and marked. */
static void series_plot(const struct mt_cell_result *c, const struct placed dt[3],
			const char *unit, const char *ylabel, FILE *f)
{
	const struct mt_series *sel[4];
	size_t nsel = 0, maxn = 0;
	double xmax = 0, ymax = 0, ma, mb;
	struct mt_hscale sc;
	struct mt_svg g;
	char yl[96];
	double *x, *y;

	for (size_t i = 0; i < c->nseries && nsel < 4; i++)
		if (c->series[i].unit && !strcmp(c->series[i].unit, unit) && c->series[i].n)
			sel[nsel++] = &c->series[i];
	if (!nsel)
		return;
	for (size_t s = 0; s < nsel; s++) {
		maxn = sel[s]->n > maxn ? sel[s]->n : maxn;
		for (size_t i = 0; i < sel[s]->n; i++) {
			xmax = fmax(xmax, (double)sel[s]->t_ns[i] / 1e9);
			if (isfinite(sel[s]->v[i]))
				ymax = fmax(ymax, sel[s]->v[i]);
		}
	}
	xmax = fmax(xmax, (double)c->duration_ns / 1e9);
	sc = mt_hscale_pick(mt_hunit_of_series(unit), ymax);
	snprintf(yl, sizeof(yl), "%s%s%s%s", ylabel, *sc.sym ? " (" : "", sc.sym,
		 *sc.sym ? ")" : "");
	x = malloc(sizeof(double) * maxn);
	y = malloc(sizeof(double) * maxn);
	if (!x || !y)
		goto out;
	fputs("<p class=\"legend\"><span class=\"key mig\">▮ migration call</span>"
	      "<span class=\"key fault\">▮ fault window</span>", f);
	for (size_t s = 0; s < nsel; s++) {
		fprintf(f, "<span style=\"color:%s\">■ ", colors[s]);
		mt_html_esc(sel[s]->name, f);
		fputs("</span>", f);
	}
	fputs("</p>\n", f);
	mt_svg_begin(&g, f, 900, 220, 0, xmax > 0 ? xmax : 1, 0,
		     ymax > 0 ? ymax / sc.div * 1.05 : 1);
	migration_span(c, &ma, &mb);
	if (isfinite(ma))
		mt_svg_span(&g, ma, isfinite(mb) ? mb : ma, "mig", "migration call");
	fault_marks(&g, c, xmax);
	for (size_t d = 0; d < 3; d++)
		if (isfinite(dt[d].a)) {
			char cls[8];

			snprintf(cls, sizeof(cls), "dt%zu", d);
			mt_svg_span(&g, dt[d].a, dt[d].b, cls, dt_name[d]);
		}
	mt_svg_axes(&g, "time since cell start (s)", yl);
	for (size_t s = 0; s < nsel; s++) {
		char cls[24];

		for (size_t i = 0; i < sel[s]->n; i++) {
			x[i] = (double)sel[s]->t_ns[i] / 1e9;
			y[i] = sel[s]->v[i] / sc.div;
		}
		snprintf(cls, sizeof(cls), "s%zu", s);
		mt_svg_polyline(&g, x, y, sel[s]->n, cls);
		mt_svg_lost(&g, x, y, sel[s]->n);
	}
	mt_svg_end(&g);
out:
	free(x);
	free(y);
}

/* The downtimes as text, each with where the timeline draws it. */
static void downtime_text(const struct mt_cell_result *c, const struct placed dt[3], FILE *f)
{
	fputs("<ul class=\"dts\">", f);
	for (size_t d = 0; d < 3; d++) {
		const struct mt_metric *m = mt_cell_metric(c, dt_path[d]);
		char buf[64];

		fprintf(f, "<li><span class=\"k dt%zu\">■</span> ", d);
		mt_html_esc(dt_name[d], f);
		fputs(": ", f);
		if (m && m->kind == MT_METRIC_NUM) {
			mt_hfmt(dt_path[d], m->num, buf, sizeof(buf));
			mt_html_esc(buf, f);
			if (isfinite(dt[d].a)) {
				char t[32];

				mt_hfmt_plain(dt[d].a, t, sizeof(t));
				fprintf(f, " — drawn from %s s, ", t);
				mt_html_esc(dt[d].how, f);
			} else {
				fputs(" — not placed (no series shows it)", f);
			}
		} else if (m && m->kind == MT_METRIC_ABSENT) {
			fputs("absent (", f);
			mt_html_esc(m->str, f);
			fputs(")", f);
		} else {
			fputs("not measured", f);
		}
		fputs("</li>", f);
	}
	fputs("</ul>\n", f);
}

/* Actions anchored on migration phases: the anchor's time, when the action was due and took
 * effect, and the lag; one whose phase never came says so. */
static void anchor_table(const struct mt_cell_result *c, FILE *f)
{
	int any = 0;

	for (size_t i = 0; i < c->nevents; i++) {
		const struct mt_event_rec *e = &c->events[i];
		char a[32], p[32], x[32], l[32];

		if (!e->anchor)
			continue;
		if (!any++)
			fputs("<table class=\"anchors\"><tr><th>action</th><th>anchor</th>"
			      "<th>anchor at (ms)</th><th>due (ms)</th><th>took effect (ms)</th>"
			      "<th>lag (ms)</th></tr>\n", f);
		fputs("<tr><td>", f);
		mt_html_esc(e->what, f);
		fputs("</td><td>", f);
		mt_html_esc(e->anchor, f);
		if (e->effect_ns < 0) {
			fputs("</td><td colspan=\"4\">", f);
			mt_html_esc(e->detail ? e->detail : "not run", f);
			fputs("</td></tr>\n", f);
			continue;
		}
		mt_hfmt_plain((double)e->anchor_ns / 1e6, a, sizeof(a));
		mt_hfmt_plain((double)e->planned_ns / 1e6, p, sizeof(p));
		mt_hfmt_plain((double)e->effect_ns / 1e6, x, sizeof(x));
		mt_hfmt_plain((double)(e->effect_ns - e->planned_ns) / 1e6, l, sizeof(l));
		fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", a, p, x, l);
	}
	if (any)
		fputs("</table>\n", f);
}

/* The hypervisors' logs the cell kept (logs.HOST.ROLE.file, relative to the output directory,
 * where run writes this page too), as links. */
static void log_links(const struct mt_cell_result *c, FILE *f)
{
	int any = 0;

	for (size_t i = 0; i < c->nmetrics; i++) {
		const struct mt_metric *m = &c->metrics[i];
		size_t n = strlen(m->path);
		char what[128], kept[160];
		const struct mt_metric *b;

		if (m->kind != MT_METRIC_STR)
			continue;
		if (!strncmp(m->path, "logs.", 5) && n > 10 && !strcmp(m->path + n - 5, ".file"))
			snprintf(what, sizeof(what), "%.*s", (int)(n - 10), m->path + 5);
		else if (n > 9 && !strcmp(m->path + n - 9, ".log_file")) /* a plugin's own */
			snprintf(what, sizeof(what), "%.*s", (int)(n - 9), m->path);
		else
			continue;
		for (char *p = what; *p; p++)
			if (*p == '.')
				*p = ' ';
		snprintf(kept, sizeof(kept), "%.*s.kept_bytes", (int)(n - 5), m->path);
		b = mt_cell_metric(c, kept);
		fputs(any ? ", " : "<p class=\"logs\">Logs of the cell: ", f);
		fputs("<a href=\"", f);
		mt_html_esc(m->str, f);
		fputs("\">", f);
		mt_html_esc(what, f);
		fputs("</a>", f);
		if (b && b->kind == MT_METRIC_NUM) {
			char buf[64];

			mt_hfmt(kept, b->num, buf, sizeof(buf));
			fputs(" (", f);
			mt_html_esc(buf, f);
			fputs(")", f);
		}
		any = 1;
	}
	if (any)
		fputs("</p>\n", f);
}

void mt_html_cell(const struct mt_cell_result *c, FILE *f)
{
	const char *v = mt_verdict_name(c->verdict);
	struct placed dt[3];

	fputs("<h3>", f);
	mt_html_esc(c->name, f);
	fprintf(f, " — repeat %d — <span class=\"%s\">%s</span></h3>\n", c->repeat, v, v);
	if (c->reason) {
		fputs("<p>", f);
		mt_html_esc(c->reason, f);
		fputs("</p>\n", f);
	}
	place_all(c, dt);
	downtime_text(c, dt, f);
	anchor_table(c, f);
	log_links(c, f);
	series_plot(c, dt, "ms", "delay", f);
	series_plot(c, dt, "bit/s", "throughput", f);
	series_plot(c, dt, "Mbit/s", "throughput", f);
	series_plot(c, dt, "bytes", "bytes", f);
}
