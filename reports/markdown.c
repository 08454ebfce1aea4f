/* markdown.c — `report --format markdown`: the seed question's table, for docs and pull
 * requests. Per cell name the median ± 95 % CI over its judged repeats of migration time, the
 * three downtimes, bytes transferred and QoS during the migration; then least-squares fits of
 * downtime and migration time against transferred bytes across every cell and repeat — the
 * thesis' finding ("more transferred data, longer downtime and migration time") as numbers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "migtorture/report.h"
#include "migtorture/summary.h"
#include "keymetrics.h"
#include "units_fmt.h"

static const struct mt_metric_summary *find(const struct mt_cell_summary *c, const char *path)
{
	for (size_t i = 0; i < c->nmetrics; i++)
		if (!strcmp(c->metrics[i].path, path))
			return &c->metrics[i];
	return NULL;
}

/* A cell text with the table's separator escaped. */
static void cell_text(const char *s, FILE *f)
{
	for (; s && *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){ *s, 0 }, f);
}

int mt_report_markdown(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	struct mt_run_summary sum = { 0 };
	static const char *const fits[][2] = {
		{ "migration.transferred_bytes", "downtime.hypervisor_downtime_ms" },
		{ "migration.transferred_bytes", "migration.total_time_ms" },
		{ "migration.transferred_bytes", "downtime.network_outage_ms" },
	};
	int rc = mt_run_summarise(run, &sum, err);

	if (rc)
		goto out;
	fprintf(f, "| cell | repeats (pass/fail/skip/error) |");
	for (size_t k = 0; k < mt_nkey_metrics; k++)
		if (mt_key_metrics[k].in & MT_KM_MARKDOWN)
			fprintf(f, " %s |", mt_key_metrics[k].title);
	fputs("\n|---|---|", f);
	for (size_t k = 0; k < mt_nkey_metrics; k++)
		if (mt_key_metrics[k].in & MT_KM_MARKDOWN)
			fputs("---:|", f);
	fputc('\n', f);
	for (size_t i = 0; i < sum.ncells; i++) {
		const struct mt_cell_summary *c = &sum.cells[i];

		fputs("| ", f);
		cell_text(c->name, f);
		fprintf(f, " | %zu (%zu/%zu/%zu/%zu) |", c->repeats, c->pass, c->fail, c->skip,
			c->error);
		for (size_t k = 0; k < mt_nkey_metrics; k++) {
			const char *path = mt_key_metrics[k].path;
			const struct mt_metric_summary *m = find(c, path);
			char buf[96];

			if (!(mt_key_metrics[k].in & MT_KM_MARKDOWN))
				continue;
			if (!m || !m->s.n) {
				fputs(" – |", f);
				continue;
			}
			/* the unit is in each cell ("1.2 s", "104 MiB"), picked for its magnitude */
			mt_hfmt_pm(path, m->s.median, m->s.ci95, buf, sizeof(buf));
			fprintf(f, " %s |", buf);
		}
		fputc('\n', f);
	}
	fputs("\nMedian over the judged repeats ± half-width of the 95 % confidence interval of "
	      "the mean (Student t).\n\n| fit (least squares over every cell and repeat) | slope "
	      "| intercept | r² | points |\n|---|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
		double slope = NAN, icpt = NAN, r2 = NAN;
		size_t n = 0;

		mt_run_fit(run, fits[i][0], fits[i][1], &slope, &icpt, &r2, &n);
		char sl[64], ic[64];

		/* per MiB reads better than per byte */
		mt_hfmt_plain(slope * 1048576, sl, sizeof(sl));
		mt_hfmt(fits[i][1], icpt, ic, sizeof(ic));
		fprintf(f, "| %s vs transferred | %s ms/MiB | %s | %.3f | %zu |\n", fits[i][1], sl,
			ic, r2, n);
	}
out:
	mt_run_summary_free(&sum);
	if (!rc && ferror(f))
		rc = mt_err(err, MT_EIO, "writing the Markdown report failed");
	return rc;
}
