/* render.c — the table of report formats, and rendering one to a path or standard output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migtorture/report.h"

static const struct mt_report_format formats[] = {
	{ "json", "canonical results JSON (the single source)", mt_report_json },
	{ "junit", "JUnit XML: one testcase per cell and repeat", mt_report_junit },
	{ "openmetrics", "Prometheus/OpenMetrics textfile, base units", mt_report_openmetrics },
	{ "html", "one self-contained HTML file with inline SVG plots", mt_report_html },
	{ "markdown", "the summary table (median ± CI) and the bytes-vs-downtime fits",
	  mt_report_markdown },
	{ "summary", "the run summary run prints: per scenario medians, verdict, exit status",
	  mt_report_summary },
	{ NULL, NULL, NULL },
};

const struct mt_report_format *mt_report_find(const char *name)
{
	for (const struct mt_report_format *f = formats; name && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const char *mt_report_formats(void)
{
	return "json, junit, openmetrics, html, markdown, summary";
}

int mt_report_render(const char *name, const struct mt_run_result *run, const char *path,
		     struct mt_error *err)
{
	return mt_report_render_mode(name, run, path, 0644, err);
}

int mt_report_render_mode(const char *name, const struct mt_run_result *run, const char *path,
			  mode_t mode, struct mt_error *err)
{
	const struct mt_report_format *fmt = mt_report_find(name);
	int rc;

	if (!fmt)
		return mt_err(err, MT_EINVAL, "unknown report format '%s' (expected %s)",
			      name ? name : "", mt_report_formats());
	if (path && strcmp(path, "-") != 0)
		return mt_report_write_file_mode(path, fmt->render, run, mode, err);
	rc = fmt->render(run, stdout, err);
	if (!rc && fflush(stdout))
		rc = mt_err(err, MT_EIO, "writing standard output: %s", strerror(errno));
	return rc;
}
