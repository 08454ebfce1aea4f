/* fuzz_scenario.c — scenario INI text → load → plan → JSON; must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "migtorture/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_scenario *s = NULL;
	struct mt_plan *p = NULL;
	/* The plan's cell cap is 64 in fuzzing builds (suite/plan.c): loading checks every cell
	 * and a large matrix is slow, not wrong. */
	struct mt_plan_opts o = { .seed = 1 };
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
