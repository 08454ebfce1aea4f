/* report_json.c — `report --format json`: re-emits the canonical results JSON to a stream. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "migtorture/report.h"

int mt_report_json(const struct mt_run_result *run, FILE *f, struct mt_error *err)
{
	char *text;
	int rc = 0;

	if (!run || !f)
		return mt_err(err, MT_EINVAL, "report json: no run or no stream");
	text = mt_result_to_json(run, 1);
	if (!text)
		return mt_err(err, MT_ENOMEM,
			      "report json: cannot serialise (out of memory or colliding metric "
			      "paths)");
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF)
		rc = mt_err(err, MT_EIO, "report json: write failed: %s", strerror(errno));
	free(text);
	return rc;
}
