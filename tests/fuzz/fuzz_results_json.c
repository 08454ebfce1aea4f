/* fuzz_results_json.c — results JSON reader (used by report and compare): arbitrary input
 * must be refused cleanly or read; what is read must serialise and read back, and every report
 * format must render it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/report.h"
#include "migtorture/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_run_result run, again;
	struct mt_error err = { 0 };
	char *text = malloc(size + 1), *js;
	FILE *null;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&run, 0, sizeof(run));
	if (mt_result_from_json(text, &run, &err) == 0) {
		js = mt_result_to_json(&run, 0);
		if (!js)
			abort();
		memset(&again, 0, sizeof(again));
		if (mt_result_from_json(js, &again, &err))
			abort(); /* what we wrote we must read */
		mt_run_result_free(&again);
		free(js);
		null = fopen("/dev/null", "w");
		if (null) {
			mt_report_junit(&run, null, &err);
			mt_report_openmetrics(&run, null, &err);
			mt_report_html(&run, null, &err);
			fclose(null);
		}
	}
	mt_run_result_free(&run);
	free(text);
	return 0;
}
