/* svg.c — tiny inline-SVG drawing helpers for the HTML report: axes, polylines, shaded spans,
 * box plots and heat-map cells. Output is well-formed XML (the report is checked by xmllint). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg.h"


/* Tick label v in fixed notation with as many decimals as the step needs (0.2 → 1, 5 → 0). */
static void tick_text(double v, double step, char *buf, size_t len)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-9)
		v = 0;
	snprintf(buf, len, "%.*f", dec > 9 ? 9 : dec, v);
}

/* A "nice" step (1, 2, 5 × 10^k) giving about n ticks over span. */
static double nice_step(double span, int n)
{
	double raw = span / (n > 0 ? n : 1), mag, r;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

void mt_svg_begin(struct mt_svg *g, FILE *f, int w, int h, double x0, double x1, double y0,
		  double y1)
{
	memset(g, 0, sizeof(*g));
	g->f = f;
	g->w = w;
	g->h = h;
	g->ml = 56;
	g->mr = 12;
	g->mt = 20; /* room for the y axis title above the frame */
	g->mb = 28;
	if (!(x1 > x0)) /* degenerate ranges still draw */
		x1 = x0 + 1;
	if (!(y1 > y0))
		y1 = y0 + 1;
	g->x0 = x0;
	g->x1 = x1;
	g->y0 = y0;
	g->y1 = y1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" class=\"plot\">\n", w, h, w, h);
}

double mt_svg_x(const struct mt_svg *g, double x)
{
	return g->ml + (x - g->x0) / (g->x1 - g->x0) * (g->w - g->ml - g->mr);
}

double mt_svg_y(const struct mt_svg *g, double y)
{
	return g->h - g->mb - (y - g->y0) / (g->y1 - g->y0) * (g->h - g->mt - g->mb);
}

void mt_svg_axes(struct mt_svg *g, const char *xlabel, const char *ylabel)
{
	FILE *f = g->f;
	double step, v;

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n",
		g->ml, g->mt, g->w - g->ml - g->mr, g->h - g->mt - g->mb);
	step = nice_step(g->y1 - g->y0, 4);
	/* tick labels in fixed notation: callers scale data to display units first */
	for (v = ceil(g->y0 / step) * step; v <= g->y1 + step * 1e-9; v += step) {
		double y = mt_svg_y(g, v);
		char t[48];

		tick_text(v, step, t, sizeof(t));
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
			   "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
			g->ml, y, g->w - g->mr, y, g->ml - 4, y + 4, t);
	}
	/* about one x tick per 90 px, so that labels never run into each other */
	step = nice_step(g->x1 - g->x0, (g->w - g->ml - g->mr) / 90 > 2 ? (g->w - g->ml - g->mr) / 90 : 2);
	for (v = ceil(g->x0 / step) * step; !g->no_xticks && v <= g->x1 + step * 1e-9; v += step) {
		double x = mt_svg_x(g, v);
		char t[48];

		tick_text(v, step, t, sizeof(t));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
			x, g->h - g->mb + 14, t);
	}
	if (xlabel) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"end\">", g->w - g->mr,
			g->h - 2);
		mt_xml_escape(xlabel, f);
		fputs("</text>\n", f);
	}
	if (ylabel) {
		fprintf(f, "<text x=\"4\" y=\"%d\" class=\"label\">", g->mt - 6);
		mt_xml_escape(ylabel, f);
		fputs("</text>\n", f);
	}
}

void mt_svg_span(struct mt_svg *g, double xa, double xb, const char *cls, const char *title)
{
	double a = mt_svg_x(g, xa < g->x0 ? g->x0 : xa), b = mt_svg_x(g, xb > g->x1 ? g->x1 : xb);

	if (b < a)
		return;
	fprintf(g->f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"%s\">", a,
		g->mt, b - a < 1 ? 1 : b - a, g->h - g->mt - g->mb, cls);
	if (title) {
		fputs("<title>", g->f);
		mt_xml_escape(title, g->f);
		fputs("</title>", g->f);
	}
	fputs("</rect>\n", g->f);
}

void mt_svg_vline(struct mt_svg *g, double x, const char *cls, const char *label)
{
	double px = mt_svg_x(g, x);

	if (x < g->x0 || x > g->x1)
		return;
	fprintf(g->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"%s\"/>\n", px, g->mt,
		px, g->h - g->mb, cls);
	if (label) {
		fprintf(g->f, "<text x=\"%.1f\" y=\"%d\" class=\"mark\">", px + 3, g->mt + 12);
		mt_xml_escape(label, g->f);
		fputs("</text>\n", g->f);
	}
}

void mt_svg_polyline(struct mt_svg *g, const double *x, const double *y, size_t n,
		     const char *cls)
{
	int open = 0;

	/* NAN breaks the line: a lost sample is a gap, not a zero */
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i])) {
			if (open)
				fputs("\"/>\n", g->f);
			open = 0;
			continue;
		}
		if (!open)
			fprintf(g->f, "<polyline class=\"%s\" points=\"", cls);
		fprintf(g->f, "%s%.1f,%.1f", open ? " " : "", mt_svg_x(g, x[i]),
			mt_svg_y(g, y[i] > g->y1 ? g->y1 : y[i]));
		open = 1;
	}
	if (open)
		fputs("\"/>\n", g->f);
}

void mt_svg_lost(struct mt_svg *g, const double *x, const double *y, size_t n)
{
	/* lost samples as small ticks on the x axis */
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]) && !isfinite(y[i]))
			fprintf(g->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				      "class=\"lost\"/>\n",
				mt_svg_x(g, x[i]), g->h - g->mb, mt_svg_x(g, x[i]), g->h - g->mb - 6);
}

void mt_svg_box(struct mt_svg *g, double xc, double half, const double q[5], const char *title)
{
	/* q: min, p25, median, p75, max */
	double l = mt_svg_x(g, xc - half), r = mt_svg_x(g, xc + half), m = mt_svg_x(g, xc);

	fprintf(g->f, "<g class=\"box\"><title>");
	mt_xml_escape(title, g->f);
	fprintf(g->f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
		      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"median\"/></g>\n",
		m, mt_svg_y(g, q[0]), m, mt_svg_y(g, q[4]), l, mt_svg_y(g, q[3]), r - l,
		fabs(mt_svg_y(g, q[1]) - mt_svg_y(g, q[3])) < 1 ? 1 :
								  fabs(mt_svg_y(g, q[1]) - mt_svg_y(g, q[3])),
		l, mt_svg_y(g, q[2]), r, mt_svg_y(g, q[2]));
}

void mt_svg_point(struct mt_svg *g, double x, double y, const char *cls, const char *title)
{
	if (!isfinite(x) || !isfinite(y))
		return;
	fprintf(g->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"%s\">", mt_svg_x(g, x),
		mt_svg_y(g, y), cls);
	if (title) {
		fputs("<title>", g->f);
		mt_xml_escape(title, g->f);
		fputs("</title>", g->f);
	}
	fputs("</circle>\n", g->f);
}

void mt_svg_segment(struct mt_svg *g, double xa, double ya, double xb, double yb,
		    const char *cls)
{
	if (!isfinite(xa) || !isfinite(ya) || !isfinite(xb) || !isfinite(yb))
		return;
	fprintf(g->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n",
		mt_svg_x(g, xa), mt_svg_y(g, ya), mt_svg_x(g, xb), mt_svg_y(g, yb), cls);
}

void mt_svg_category(struct mt_svg *g, double x, const char *text)
{
	double px = mt_svg_x(g, x);
	int py = g->h - g->mb + 12;

	/* slanted so that long scenario names do not overlap their neighbours */
	fprintf(g->f, "<text x=\"%.1f\" y=\"%d\" class=\"cat\" text-anchor=\"end\" "
		      "transform=\"rotate(-30 %.1f %d)\">", px, py, px, py);
	mt_xml_escape(text, g->f);
	fputs("</text>\n", g->f);
}

void mt_svg_end(struct mt_svg *g)
{
	fputs("</svg>\n", g->f);
}
