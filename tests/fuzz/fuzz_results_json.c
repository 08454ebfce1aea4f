/* fuzz_results_json.c — the results.json reader (report, compare, trend read it).
 *
 * Property checked beyond "no crash": whatever the reader accepts, the writer serialises, the
 * reader accepts again, and the second serialisation is byte-identical (canonical form); every
 * report format renders it; threshold evaluation over it does not crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"
#include "migtorture/result.h"
#include "migtorture/threshold.h"

static void render_all(const struct mt_run_result *r)
{
	struct mt_error e = { 0 };
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		return;
	mt_report_json(r, null, &e);
	mt_report_junit(r, null, &e);
	mt_report_openmetrics(r, null, &e);
	mt_report_html(r, null, &e);
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1), *t, *t2;
	struct mt_run_result r = { 0 }, r2 = { 0 };
	struct mt_error e = { 0 };

	if (!s)
		return 0;
	memcpy(s, d, n);
	s[n] = 0;
	if (mt_result_from_json(s, &r, &e) == 0) {
		t = mt_result_to_json(&r, 0);
		if (!t || mt_result_from_json(t, &r2, &e) != 0)
			abort(); /* what we accept we can re-read */
		t2 = mt_result_to_json(&r2, 0);
		if (!t2 || strcmp(t, t2))
			abort(); /* canonical: a second round trip changes nothing */
		free(t);
		free(t2);
		render_all(&r2);
		mt_threshold_evaluate(&r2, NULL, NULL, 0, &e);
		mt_run_result_free(&r2);
	}
	mt_run_result_free(&r);
	free(s);
	return 0;
}
