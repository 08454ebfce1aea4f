/* migtorture/report.h — renderers of a results file (reports/). Each reads only the result
 * model (result.h), so `migtorture report` works offline on another machine. */
#ifndef MIGTORTURE_REPORT_H
#define MIGTORTURE_REPORT_H

#include <stdio.h>

#include "error.h"
#include "result.h"

typedef int (*mt_report_fn)(const struct mt_run_result *run, FILE *f, struct mt_error *err);

struct mt_report_format {
	const char *name;     /* "json", "junit", "openmetrics", ... */
	const char *summary;
	mt_report_fn render;
};

int mt_report_json(const struct mt_run_result *run, FILE *f, struct mt_error *err);
int mt_report_junit(const struct mt_run_result *run, FILE *f, struct mt_error *err);
int mt_report_openmetrics(const struct mt_run_result *run, FILE *f, struct mt_error *err);
/* One self-contained XHTML file with inline SVG (reports/html.c). */
int mt_report_html(const struct mt_run_result *run, FILE *f, struct mt_error *err);

/* The format named name, or NULL. */
const struct mt_report_format *mt_report_find(const char *name);
/* "json, junit, openmetrics" — for messages. */
const char *mt_report_formats(void);
/* Renders run in format name to path (atomically: temp file + rename), or to stdout when path
 * is NULL or "-". */
int mt_report_render(const char *name, const struct mt_run_result *run, const char *path,
		     struct mt_error *err);

#endif
