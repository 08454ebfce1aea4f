/* fuzz_stress.c — the stress workloads' parsers on arbitrary bytes (first byte picks): the
 * stress-ng YAML line parser and metric names, the guest dirtier's status/history JSON and the
 * rates over it, the guest agent's exec-status reply and base64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/guest_agent.h"
#include "workloads/guest_rate.h"
#include "workloads/stress_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_sng_report r;
	struct mt_dirty_hist h;
	char *s, *out = NULL, name[128];
	double v, scale;
	int ex, code;

	if (size < 1 || size > 65536)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: /* not NUL-terminated on purpose: the parser takes a length */
		if (mt_sng_yaml_parse((const char *)data + 1, size - 1, &r, NULL) == 0) {
			for (size_t i = 0; i < r.n; i++) {
				mt_sng_metric_name(r.m[i].key, name, sizeof(name), &scale);
				(void)mt_sng_find(&r, r.m[i].stressor, r.m[i].key);
			}
			mt_sng_report_free(&r);
		}
		break;
	case 1:
		if (mt_dirty_hist_parse(s, (int64_t)size * 1000, &h) == 0) {
			if (h.n)
				(void)mt_dirty_rate(&h, h.t_ns[0] - 5, h.t_ns[h.n - 1] / 2, 1, &v);
			mt_dirty_hist_free(&h);
		}
		break;
	case 2:
		if (mt_ga_parse_status(s, &ex, &code, &out) == 0)
			free(out);
		break;
	default:
		free(mt_base64_decode(s, NULL));
		break;
	}
	free(s);
	return 0;
}
