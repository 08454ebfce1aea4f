/* render.c — the table of report formats and writing one to a file atomically. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migtorture/report.h"

static const struct mt_report_format formats[] = {
	{ "json", "canonical results JSON (the single source)", mt_report_json },
	{ "junit", "JUnit XML: one testcase per cell and repeat", mt_report_junit },
	{ "openmetrics", "Prometheus/OpenMetrics textfile, base units", mt_report_openmetrics },
	{ "html", "one self-contained HTML file with inline SVG plots", mt_report_html },
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
	return "json, junit, openmetrics, html";
}

int mt_report_render(const char *name, const struct mt_run_result *run, const char *path,
		     struct mt_error *err)
{
	const struct mt_report_format *fmt = mt_report_find(name);
	char *tmp = NULL;
	FILE *f = NULL;
	int rc;

	if (!fmt)
		return mt_err(err, MT_EINVAL, "unknown report format '%s' (expected %s)",
			      name ? name : "", mt_report_formats());
	if (!path || strcmp(path, "-") == 0) {
		rc = fmt->render(run, stdout, err);
		if (!rc && fflush(stdout))
			rc = mt_err(err, MT_EIO, "writing standard output: %s", strerror(errno));
		return rc;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return mt_err(err, MT_ENOMEM, "out of memory");
	f = fopen(tmp, "w");
	if (!f) {
		rc = mt_err(err, MT_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = fmt->render(run, f, err);
	if (!rc && (fflush(f) || fsync(fileno(f))))
		rc = mt_err(err, MT_EIO, "%s: %s", tmp, strerror(errno));
	if (fclose(f) && !rc)
		rc = mt_err(err, MT_EIO, "%s: %s", tmp, strerror(errno));
	f = NULL;
	if (!rc && rename(tmp, path))
		rc = mt_err(err, MT_EIO, "rename %s: %s", path, strerror(errno));
out:
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}
