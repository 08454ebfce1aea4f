/* terminal.c — the run summary printed when a run ends (like fio's): one line per scenario
 * (job section) with the medians people look at first, then the verdict and exit status.
 *
 * Values are in the human units of every other report (units_fmt.c: ms up to 10 s, MiB,
 * %), never in e-notation; a value no judged repeat measured is "-". Medians are over the section's pass and fail repeats,
 * as in every other report (include/migtorture/summary.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"
#include "migtorture/stats.h"
#include "keymetrics.h"
#include "units_fmt.h"

#define MAX_METRICS 8 /* the summary's metric columns at most (keymetrics.c: MT_KM_SUMMARY) */
#define NCOLS (3 + MAX_METRICS)
#define CELL_LEN 48

/* The key metrics the summary shows, in the shared order; returns how many. */
static size_t metric_cols(const struct mt_key_metric **out)
{
	size_t n = 0;

	for (size_t k = 0; k < mt_nkey_metrics && n < MAX_METRICS; k++)
		if (mt_key_metrics[k].in & MT_KM_SUMMARY)
			out[n++] = &mt_key_metrics[k];
	return n;
}

/* In the units every other report uses (units_fmt.c); an unmeasured value is an ASCII "-" so
 * the columns stay aligned on any terminal. */
static void fmt_value(double v, const char *path, char *out, size_t len)
{
	if (isfinite(v))
		mt_hfmt(path, v, out, len);
	else
		snprintf(out, len, "-");
}

static const char *exit_text(int status)
{
	switch (status) {
	case 0: return "all thresholds held";
	case 1: return "a threshold failed";
	case 2: return "usage or scenario error";
	case 3: return "infrastructure error";
	case 4: return "every cell was skipped";
	case 130: return "interrupted by SIGINT";
	case 143: return "interrupted by SIGTERM";
	default: return "unknown";
	}
}

int mt_report_verdict(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report verdict: no run or no stream");
	fprintf(f, "verdict: %s, exit status %d (%s)%s\n", mt_verdict_name(run->verdict),
		run->exit_status, exit_text(run->exit_status),
		run->interrupted ? ": partial results" : "");
	if (fflush(f) == EOF || ferror(f))
		return mt_err(err, MT_EIO, "report verdict: write failed: %s", strerror(errno));
	return 0;
}

/* The worst verdict of a section: error, fail, pass, skip, none in that order. */
static enum mt_verdict worse(enum mt_verdict a, enum mt_verdict b)
{
	static const int rank[] = {
		[MT_VERDICT_NONE] = 0, [MT_VERDICT_SKIP] = 1, [MT_VERDICT_PASS] = 2,
		[MT_VERDICT_FAIL] = 3, [MT_VERDICT_ERROR] = 4,
	};

	return rank[b] > rank[a] ? b : a;
}

/* One table row (strings) for the cells of section sec, metrics cols[0..ncols). v is scratch
 * of run->ncells. */
static void section_row(const struct mt_run_result *run, const char *sec,
			const struct mt_key_metric *const *cols, size_t ncols, double *v,
			char row[NCOLS][CELL_LEN])
{
	enum mt_verdict verdict = MT_VERDICT_NONE;
	size_t total = 0, pass = 0, i, k, n;

	for (i = 0; i < run->ncells; i++) {
		const struct mt_cell_result *c = &run->cells[i];

		if (strcmp(c->section ? c->section : "", sec) != 0)
			continue;
		total++;
		pass += c->verdict == MT_VERDICT_PASS;
		verdict = total == 1 ? c->verdict : worse(verdict, c->verdict);
	}
	snprintf(row[0], CELL_LEN, "%s", sec[0] ? sec : "(none)");
	snprintf(row[1], CELL_LEN, "%s", mt_verdict_name(verdict));
	snprintf(row[2], CELL_LEN, "%zu/%zu", pass, total);
	for (k = 0; k < ncols; k++) {
		for (i = 0, n = 0; i < run->ncells; i++) {
			const struct mt_cell_result *c = &run->cells[i];
			const struct mt_metric *m;

			if (strcmp(c->section ? c->section : "", sec) != 0 ||
			    (c->verdict != MT_VERDICT_PASS && c->verdict != MT_VERDICT_FAIL))
				continue;
			m = mt_cell_metric(c, cols[k]->path);
			if (m && m->kind == MT_METRIC_NUM && !isnan(m->num))
				v[n++] = m->num;
		}
		fmt_value(n ? mt_percentile(v, n, 50) : NAN, cols[k]->path, row[3 + k], CELL_LEN);
	}
}

static void row_put(FILE *f, char row[NCOLS][CELL_LEN], const int *width, int ncols)
{
	for (int k = 0; k < ncols; k++) {
		/* names and words left, numbers right */
		if (k < 2)
			fprintf(f, "%-*s  ", width[k], row[k]);
		else
			fprintf(f, "%*s%s", width[k], row[k], k + 1 < ncols ? "  " : "\n");
	}
}

int mt_report_summary(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	const struct mt_key_metric *cols[MAX_METRICS];
	size_t ncols = metric_cols(cols);
	char (*rows)[NCOLS][CELL_LEN] = NULL;
	const char **secs = NULL;
	double *v = NULL;
	size_t nsec = 0, i, j, pass = 0, fail = 0, skip = 0, error = 0;
	int width[NCOLS] = { 0 }, rc = 0, k;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report summary: no run or no stream");
	secs = calloc(run->ncells + 1, sizeof(*secs));
	rows = calloc(run->ncells + 1, sizeof(*rows));
	v = calloc(run->ncells + 1, sizeof(*v));
	if (!secs || !rows || !v) {
		rc = mt_err(err, MT_ENOMEM, "report summary: out of memory");
		goto out;
	}
	/* sections in order of first appearance; row 0 is the header */
	for (i = 0; i < run->ncells; i++) {
		const char *s = run->cells[i].section ? run->cells[i].section : "";

		for (j = 0; j < nsec && strcmp(secs[j], s) != 0; j++)
			;
		if (j == nsec)
			secs[nsec++] = s;
		pass += run->cells[i].verdict == MT_VERDICT_PASS;
		fail += run->cells[i].verdict == MT_VERDICT_FAIL;
		skip += run->cells[i].verdict == MT_VERDICT_SKIP;
		error += run->cells[i].verdict == MT_VERDICT_ERROR;
	}
	snprintf(rows[0][0], CELL_LEN, "scenario");
	snprintf(rows[0][1], CELL_LEN, "verdict");
	snprintf(rows[0][2], CELL_LEN, "passed");
	for (k = 0; k < (int)ncols; k++)
		snprintf(rows[0][3 + k], CELL_LEN, "%s", cols[k]->head ? cols[k]->head : cols[k]->title);
	for (j = 0; j < nsec; j++)
		section_row(run, secs[j], cols, ncols, v, rows[j + 1]);
	for (j = 0; j <= nsec; j++)
		for (k = 0; k < 3 + (int)ncols; k++)
			if ((int)strlen(rows[j][k]) > width[k])
				width[k] = (int)strlen(rows[j][k]);
	if (nsec) {
		for (j = 0; j <= nsec; j++)
			row_put(f, rows[j], width, 3 + (int)ncols);
		fputs("Medians over each scenario's judged repeats. downtime: QEMU's; guest stall: the "
		      "guest's\nclock; net outage: longest time without a probe reply; loss: probes "
		      "lost during the\nmigration.\n", f);
	}
	fprintf(f, "%zu cell%s: %zu pass, %zu fail, %zu skip, %zu error%s\n", run->ncells,
		run->ncells == 1 ? "" : "s", pass, fail, skip, error,
		run->interrupted ? " (interrupted: partial results)" : "");
	rc = mt_report_verdict(run, f, err);
out:
	free(secs);
	free(rows);
	free(v);
	return rc;
}
