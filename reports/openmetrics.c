/* openmetrics.c — Prometheus/OpenMetrics text for node_exporter's textfile collector.
 *
 * Names and units are described in include/migtorture/report.h. Every family is a gauge
 * (one run's measurements, not counters), its samples are contiguous (OpenMetrics requires
 * it), and families appear in the order their first sample appears in the run, so the output
 * is deterministic.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"

#define NAME_MAX_LEN 512

/* Unit suffixes in metric names (docs/architecture.md §8) and their Prometheus base units.
 * Order matters: "_pages_s" is a rate, checked before "_s". */
static const struct {
	const char *suffix, *base;
	double scale;
} units[] = {
	{ "_pages_s", "pages_per_second", 1 },
	{ "_bps", "bits_per_second", 1 },
	{ "_pct", "ratio", 0.01 },
	{ "_bytes", "bytes", 1 },
	{ "_ns", "seconds", 1e-9 },
	{ "_us", "seconds", 1e-6 },
	{ "_ms", "seconds", 1e-3 },
	{ "_s", "seconds", 1 },
};

/* Appends c to out as a metric-name character. */
static void name_put(char *out, size_t *n, size_t len, char c)
{
	int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

	if (*n + 1 < len)
		out[(*n)++] = ok ? c : '_';
	out[*n] = '\0';
}

/* migtorture_<path with '.'→'_' and the unit suffix moved to the end>; *scale converts the
 * value to the base unit. */
static void om_name(const char *path, char *out, size_t len, double *scale)
{
	const char *end = path + strlen(path), *start, *cut = NULL, *base = NULL, *p;
	size_t n = 0, i, sl, clen = 0;

	*scale = 1;
	/* the last component carrying a unit suffix decides (p99, max, ... carry none) */
	while (end > path && !cut) {
		start = end;
		while (start > path && start[-1] != '.')
			start--;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			sl = strlen(units[i].suffix);
			if ((size_t)(end - start) > sl && strncmp(end - sl, units[i].suffix, sl) == 0) {
				cut = end - sl;
				clen = sl;
				base = units[i].base;
				*scale = units[i].scale;
				break;
			}
		}
		end = start > path ? start - 1 : path;
	}
	snprintf(out, len, "migtorture_");
	n = strlen(out);
	for (p = path; *p; p++) {
		if (p == cut) {
			p += clen - 1;
			continue;
		}
		name_put(out, &n, len, *p);
	}
	if (base) {
		name_put(out, &n, len, '_');
		for (p = base; *p; p++)
			name_put(out, &n, len, *p);
	}
}

/* Label value escaping of the text format: backslash, double quote, newline. */
static void label_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void help_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void value_put(FILE *f, double v)
{
	char buf[40];
	int prec;

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

static void labels_put(FILE *f, const struct mt_cell_result *c)
{
	fputs("{section=\"", f);
	label_put(f, c->section ? c->section : "");
	fputs("\",cell=\"", f);
	label_put(f, c->name ? c->name : "");
	fprintf(f, "\",repeat=\"%d\"", c->repeat);
}

static void family_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	help_put(f, help);
	fprintf(f, "\n# TYPE %s gauge\n", name);
}

static int reportable(const struct mt_metric *m)
{
	return m->kind == MT_METRIC_NUM && !isnan(m->num) && m->path;
}

int mt_report_openmetrics(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	char name[NAME_MAX_LEN], help[NAME_MAX_LEN + 64], **fam = NULL, **tmp;
	size_t nfam = 0, total = 0, i, j, k, at, *idx = NULL;
	double scale;
	int rc = 0;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report openmetrics: no run or no stream");
	for (i = 0; i < run->ncells; i++)
		total += run->cells[i].nmetrics;
	idx = malloc((total ? total : 1) * sizeof(*idx));
	if (!idx) {
		rc = mt_err(err, MT_ENOMEM, "report openmetrics: out of memory");
		goto out;
	}
	/* family of every metric, computed once */
	for (i = 0, at = 0; i < run->ncells; i++) {
		for (j = 0; j < run->cells[i].nmetrics; j++, at++) {
			const struct mt_metric *m = &run->cells[i].metrics[j];

			idx[at] = SIZE_MAX;
			if (!reportable(m))
				continue;
			om_name(m->path, name, sizeof(name), &scale);
			for (k = 0; k < nfam; k++)
				if (strcmp(fam[k], name) == 0)
					break;
			if (k == nfam) {
				tmp = realloc(fam, (nfam + 1) * sizeof(*fam));
				if (!tmp || !(tmp[nfam] = strdup(name))) {
					fam = tmp ? tmp : fam;
					rc = mt_err(err, MT_ENOMEM, "report openmetrics: out of memory");
					goto out;
				}
				fam = tmp;
				nfam++;
			}
			idx[at] = k;
		}
	}
	for (k = 0; k < nfam; k++) {
		int head = 0;

		for (i = 0, at = 0; i < run->ncells; i++) {
			const struct mt_cell_result *c = &run->cells[i];

			for (j = 0; j < c->nmetrics; j++, at++) {
				if (idx[at] != k)
					continue;
				om_name(c->metrics[j].path, name, sizeof(name), &scale);
				if (!head) {
					snprintf(help, sizeof(help), "migtorture metric %s (base units)",
						 c->metrics[j].path);
					family_head(f, fam[k], help);
					head = 1;
				}
				fputs(fam[k], f);
				labels_put(f, c);
				fputs("} ", f);
				value_put(f, c->metrics[j].num * scale);
				fputc('\n', f);
			}
		}
	}

	family_head(f, "migtorture_cell_verdict", "verdict of each cell and repeat (1 = this one)");
	for (i = 0; i < run->ncells; i++) {
		fputs("migtorture_cell_verdict", f);
		labels_put(f, &run->cells[i]);
		fprintf(f, ",verdict=\"%s\"} 1\n", mt_verdict_name(run->cells[i].verdict));
	}
	family_head(f, "migtorture_cell_duration_seconds", "wall time of each cell and repeat");
	for (i = 0; i < run->ncells; i++) {
		fputs("migtorture_cell_duration_seconds", f);
		labels_put(f, &run->cells[i]);
		fputs("} ", f);
		value_put(f, (double)run->cells[i].duration_ns / 1e9);
		fputc('\n', f);
	}
	family_head(f, "migtorture_run_exit_status",
		    "exit status of the run (0 pass, 1 fail, 2 usage, 3 infrastructure, 4 all "
		    "skipped)");
	fprintf(f, "migtorture_run_exit_status %d\n", run->exit_status);
	if (run->finished_wall_ns) {
		family_head(f, "migtorture_run_finished_timestamp_seconds",
			    "when the run finished (Unix time)");
		fputs("migtorture_run_finished_timestamp_seconds ", f);
		value_put(f, (double)run->finished_wall_ns / 1e9);
		fputc('\n', f);
	}
	fputs("# EOF\n", f);
	if (fflush(f) == EOF || ferror(f))
		rc = mt_err(err, MT_EIO, "report openmetrics: write failed: %s", strerror(errno));
out:
	for (k = 0; k < nfam; k++)
		free(fam[k]);
	free(fam);
	free(idx);
	return rc;
}
