/* junit.c — JUnit XML for CI systems (Jenkins junit plugin, GitLab test reports).
 *
 * Layout: <testsuites> over one <testsuite> per scenario section (in order of first
 * appearance; cells without a section go to "migtorture"), one <testcase> per cell × repeat.
 * Element order inside <testcase> and the attributes used follow the Jenkins junit XSD, which
 * GitLab reads as well, plus a <properties> block first inside <testcase> (as pytest writes
 * it) carrying the key metrics, so that CI can chart them without parsing results.json.
 * A failure's message names the first failed threshold, its value and limit in human units.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keymetrics.h"
#include "migtorture/report.h"
#include "units_fmt.h"
#include "xml.h"

#define NO_SECTION "migtorture"


static const char *section_of(const struct mt_cell_result *c)
{
	return c->section && *c->section ? c->section : NO_SECTION;
}

/* "2026-11-25T15:16:30" (the XSD's timestamp has no zone; it is UTC). */
static int fmt_timestamp(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;

	if (ns <= 0 || !gmtime_r(&t, &tm))
		return -1;
	return strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) ? 0 : -1;
}

static void put_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("none", f);
	else
		fprintf(f, "%.6g", v);
}

/* v with the fewest digits that read back the same (machine-readable: base unit, no scaling). */
static void put_exact(FILE *f, double v)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

/* The key metrics of c as <properties> (name = metric path, its unit in the suffix; an absent
 * metric's value is "absent: REASON"). Returns how many were written; 0 writes nothing. */
static size_t put_properties(FILE *f, const struct mt_cell_result *c, int write)
{
	size_t n = 0;

	for (size_t k = 0; k < mt_nkey_metrics; k++) {
		const struct mt_metric *m = mt_cell_metric(c, mt_key_metrics[k].path);

		if (!(mt_key_metrics[k].in & MT_KM_PAGE) || !m || (m->kind == MT_METRIC_NUM && !isfinite(m->num)) ||
		    (m->kind != MT_METRIC_NUM && m->kind != MT_METRIC_ABSENT))
			continue;
		if (write) {
			if (!n)
				fputs("      <properties>\n", f);
			fputs("        <property name=\"", f);
			mt_xml_escape(mt_key_metrics[k].path, f);
			fputs("\" value=\"", f);
			if (m->kind == MT_METRIC_NUM) {
				put_exact(f, m->num);
			} else {
				fputs("absent: ", f);
				mt_xml_escape(m->str, f);
			}
			fputs("\"/>\n", f);
		}
		n++;
	}
	if (write && n)
		fputs("      </properties>\n", f);
	return n;
}

/* The failure message: the first failed threshold with its value and limit in human units
 * ("migration.total_time_ms <= 30s: value 40 s, limit 30 s"), and how many more failed; the
 * cell's reason when no check failed. */
static void put_failure_message(FILE *f, const struct mt_cell_result *c)
{
	const struct mt_check *first = NULL;
	size_t more = 0;
	char path[256], v[64], l[64];

	for (size_t i = 0; i < c->nchecks; i++)
		if (c->checks[i].held == 0 && c->checks[i].expr) {
			if (first)
				more++;
			else
				first = &c->checks[i];
		}
	if (!first) {
		mt_xml_escape(c->reason ? c->reason : "failed", f);
		return;
	}
	mt_check_metric_path(first->expr, path, sizeof(path));
	mt_hfmt(path, first->value, v, sizeof(v));
	mt_hfmt(path, first->limit, l, sizeof(l));
	mt_xml_escape(first->expr, f);
	fputs(": value ", f);
	mt_xml_escape(v, f);
	fputs(", limit ", f);
	mt_xml_escape(l, f);
	if (more)
		fprintf(f, " (and %zu more failed threshold%s)", more, more == 1 ? "" : "s");
}

static void put_testcase(FILE *f, const struct mt_cell_result *c)
{
	size_t i;

	fputs("    <testcase classname=\"", f);
	mt_xml_escape(section_of(c), f);
	fputs("\" name=\"", f);
	mt_xml_escape(c->name, f);
	fprintf(f, "#%d\" time=\"%.3f\"", c->repeat,
		c->duration_ns > 0 ? (double)c->duration_ns / 1e9 : 0.0);
	if (c->verdict == MT_VERDICT_PASS && !put_properties(f, c, 0)) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);
	put_properties(f, c, 1);
	switch (c->verdict) {
	case MT_VERDICT_PASS:
		break;
	case MT_VERDICT_SKIP:
	case MT_VERDICT_NONE:
		fputs("      <skipped message=\"", f);
		mt_xml_escape(c->verdict == MT_VERDICT_NONE ? "not run" : c->reason, f);
		fputs("\"/>\n", f);
		break;
	case MT_VERDICT_ERROR:
		fputs("      <error type=\"error\" message=\"", f);
		mt_xml_escape(c->reason ? c->reason : "error", f);
		fputs("\">", f);
		for (i = 0; i < c->nchecks; i++) {
			if (c->checks[i].held >= 0)
				continue;
			mt_xml_escape(c->checks[i].expr, f);
			fputs(": ", f);
			mt_xml_escape(c->checks[i].why ? c->checks[i].why : "not evaluated", f);
			fputs("\n", f);
		}
		fputs("</error>\n", f);
		break;
	case MT_VERDICT_FAIL:
	default:
		fputs("      <failure type=\"threshold\" message=\"", f);
		put_failure_message(f, c);
		fputs("\">", f);
		if (c->reason) {
			mt_xml_escape(c->reason, f);
			fputs("\n", f);
		}
		/* one line per failed threshold: expression, measured value, limit */
		for (i = 0; i < c->nchecks; i++) {
			const struct mt_check *k = &c->checks[i];

			if (k->held != 0)
				continue;
			fputs("threshold: ", f);
			mt_xml_escape(k->expr, f);
			fputs(" value: ", f);
			put_num(f, k->value);
			fputs(" limit: ", f);
			put_num(f, k->limit);
			if (k->why) {
				fputs(" (", f);
				mt_xml_escape(k->why, f);
				fputs(")", f);
			}
			fputs("\n", f);
		}
		fputs("</failure>\n", f);
		break;
	}
	fputs("    </testcase>\n", f);
}

struct counts {
	size_t tests, fail, err, skip;
	double time;
};

static void count(const struct mt_cell_result *c, struct counts *n)
{
	n->tests++;
	n->fail += c->verdict == MT_VERDICT_FAIL;
	n->err += c->verdict == MT_VERDICT_ERROR;
	n->skip += c->verdict == MT_VERDICT_SKIP || c->verdict == MT_VERDICT_NONE;
	n->time += c->duration_ns > 0 ? (double)c->duration_ns / 1e9 : 0;
}

static void put_counts(FILE *f, const struct counts *n)
{
	fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
		n->tests, n->fail, n->err, n->skip, n->time);
}

int mt_report_junit(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	const char *host = NULL, *sec;
	unsigned char *done = NULL;
	struct counts all = { 0 }, n;
	char ts[32];
	size_t i, j;
	int rc = 0;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report junit: no run or no stream");
	done = calloc(run->ncells ? run->ncells : 1, 1);
	if (!done)
		return mt_err(err, MT_ENOMEM, "report junit: out of memory");
	for (i = 0; i < run->nfacts; i++)
		if (run->facts[i].key && strcmp(run->facts[i].key, "hostname") == 0)
			host = run->facts[i].val;
	for (i = 0; i < run->ncells; i++)
		count(&run->cells[i], &all);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"migtorture", f);
	if (run->run_id) {
		fputs(" ", f);
		mt_xml_escape(run->run_id, f);
	}
	fputs("\"", f);
	put_counts(f, &all);
	fputs(">\n", f);
	for (i = 0; i < run->ncells; i++) {
		if (done[i])
			continue;
		sec = section_of(&run->cells[i]);
		memset(&n, 0, sizeof(n));
		for (j = i; j < run->ncells; j++)
			if (strcmp(section_of(&run->cells[j]), sec) == 0)
				count(&run->cells[j], &n);
		fputs("  <testsuite name=\"", f);
		mt_xml_escape(sec, f);
		fputs("\"", f);
		put_counts(f, &n);
		if (fmt_timestamp(run->cells[i].started_wall_ns ? run->cells[i].started_wall_ns
								 : run->started_wall_ns,
				  ts, sizeof(ts)) == 0)
			fprintf(f, " timestamp=\"%s\"", ts);
		if (host) {
			fputs(" hostname=\"", f);
			mt_xml_escape(host, f);
			fputs("\"", f);
		}
		fputs(">\n", f);
		/* run facts travel with every suite: CI tools show suites separately */
		fputs("    <properties>\n", f);
		if (run->run_id) {
			fputs("      <property name=\"run_id\" value=\"", f);
			mt_xml_escape(run->run_id, f);
			fputs("\"/>\n", f);
		}
		fprintf(f, "      <property name=\"seed\" value=\"%llu\"/>\n",
			(unsigned long long)run->seed);
		for (j = 0; j < run->nfacts; j++) {
			fputs("      <property name=\"", f);
			mt_xml_escape(run->facts[j].key, f);
			fputs("\" value=\"", f);
			mt_xml_escape(run->facts[j].val, f);
			fputs("\"/>\n", f);
		}
		fputs("    </properties>\n", f);
		for (j = i; j < run->ncells; j++) {
			if (strcmp(section_of(&run->cells[j]), sec) != 0)
				continue;
			done[j] = 1;
			put_testcase(f, &run->cells[j]);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (fflush(f) == EOF || ferror(f))
		rc = mt_err(err, MT_EIO, "report junit: write failed: %s", strerror(errno));
	free(done);
	return rc;
}
