/* fuzz_results_json.c — libFuzzer harness for the results.json reader and the threshold parser.
 *
 * Property checked beyond "no crash": whatever the reader accepts, the writer serialises, the
 * reader accepts again, and the second serialisation is byte-identical (canonical form).
 * Build (from the source root; not wired into CMake yet):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DMT_VERSION='"fz"' \
 *     -Iinclude tests/fuzz/fuzz_results_json.c suite/result.c suite/error.c suite/stats.c \
 *     suite/thresholds.c reports/json.c reports/json_read.c $(pkg-config --cflags --libs libcjson) \
 *     -lm -o fuzz_results_json
 *   ./fuzz_results_json -max_len=4096 CORPUS_DIR
 * 4.2 M runs (120 s, seeded with a rendered run) found nothing on 2026-11-25.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "migtorture/result.h"
#include "migtorture/threshold.h"
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
	char *s = malloc(n + 1);
	struct mt_run_result r = {0};
	struct mt_error e;
	memcpy(s, d, n); s[n] = 0;
	if (mt_result_from_json(s, &r, &e) == 0) {
		char *t = mt_result_to_json(&r, 0);
		struct mt_run_result r2 = {0};
		if (!t || mt_result_from_json(t, &r2, &e) != 0) abort(); /* what we accept we can re-read */
		char *t2 = mt_result_to_json(&r2, 0);
		if (strcmp(t, t2)) abort();
		free(t); free(t2);
		mt_threshold_evaluate(&r2, NULL, NULL, 0, &e);
		mt_run_result_free(&r2);
	}
	mt_run_result_free(&r);
	struct mt_threshold th;
	mt_threshold_parse(s, &th, &e);
	free(s);
	return 0;
}
