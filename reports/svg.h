/* svg.h — inline-SVG helpers private to reports/ (see svg.c). */
#ifndef MT_REPORTS_SVG_H
#define MT_REPORTS_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "xml.h"

struct mt_svg {
	FILE *f;
	int w, h;             /* pixels */
	int ml, mr, mt, mb;   /* margins */
	double x0, x1, y0, y1; /* data ranges */
	int no_xticks;         /* categorical x axis: the caller labels it */
};


void mt_svg_begin(struct mt_svg *g, FILE *f, int w, int h, double x0, double x1, double y0,
		  double y1);
double mt_svg_x(const struct mt_svg *g, double x);
double mt_svg_y(const struct mt_svg *g, double y);
void mt_svg_axes(struct mt_svg *g, const char *xlabel, const char *ylabel);
/* A shaded vertical band from xa to xb (clipped), with a tooltip. */
void mt_svg_span(struct mt_svg *g, double xa, double xb, const char *cls, const char *title);
void mt_svg_vline(struct mt_svg *g, double x, const char *cls, const char *label);
/* A line through (x[i], y[i]); non-finite values break it. */
void mt_svg_polyline(struct mt_svg *g, const double *x, const double *y, size_t n,
		     const char *cls);
/* Ticks on the x axis where y is not finite (lost samples). */
void mt_svg_lost(struct mt_svg *g, const double *x, const double *y, size_t n);
/* A box plot at xc: q = {min, p25, median, p75, max}. */
void mt_svg_box(struct mt_svg *g, double xc, double half, const double q[5], const char *title);
/* A dot at (x, y) with a tooltip (NULL: none); non-finite coordinates draw nothing. */
void mt_svg_point(struct mt_svg *g, double x, double y, const char *cls, const char *title);
/* A straight line between two data points (a fit line). */
void mt_svg_segment(struct mt_svg *g, double xa, double ya, double xb, double yb,
		    const char *cls);
/* A category name under the x axis at data x, slanted; the caller reserves the bottom margin. */
void mt_svg_category(struct mt_svg *g, double x, const char *text);
void mt_svg_end(struct mt_svg *g);

#endif
