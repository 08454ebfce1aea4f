/* fuzz_scenario.c — scenario INI text → load → plan → JSON; must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "migtorture/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	/* The 30-minute campaign found an 885-byte matrix of 5184 cells (corpus file
	 * large-matrix-5184-cells.ini): 7.3 s under ASan — loading checks every cell once
	 * (2.5 s), planning again and 35 MB of JSON the rest; 0.7 s in a release build. A
	 * timeout, not a bug. Every cell goes through the same code, so past 512 cells the plan
	 * and its JSON only burn the fuzzer's time; the cap's own error path is fuzzed too. */
	struct mt_plan_opts o = { .seed = 1, .max_cells = 512 };
	struct mt_error err = { 0 };
	char *js;

	if (mt_scenario_load_buffer((const char *)data, size, "fuzz.ini", &s, &err))
		return 0;
	if (mt_plan_build(s, &o, &p, &err) == 0) {
		js = mt_plan_to_json(p, 0);
		free(js);
		mt_plan_free(p);
	}
	mt_scenario_free(s);
	return 0;
}
