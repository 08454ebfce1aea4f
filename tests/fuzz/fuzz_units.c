/* fuzz_units.c — every unit parser on arbitrary text (first byte picks the parser). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], buf[64];
	char *s;
	int64_t ns;
	uint64_t u;
	double d;
	long long ll;
	int b;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0:
		if (!mt_parse_duration(s, &ns, why, sizeof(why)))
			mt_fmt_duration(ns, buf, sizeof(buf));
		break;
	case 1:
		if (!mt_parse_size(s, &u, why, sizeof(why)))
			mt_fmt_size(u, buf, sizeof(buf));
		break;
	case 2:
		if (!mt_parse_bitrate(s, &u, why, sizeof(why)))
			mt_fmt_bitrate(u, buf, sizeof(buf));
		break;
	case 3: mt_parse_byterate(s, &u, why, sizeof(why)); break;
	case 4: mt_parse_percent(s, &d, why, sizeof(why)); break;
	case 5: mt_parse_int(s, -1000, 1000, &ll, why, sizeof(why)); break;
	case 6: mt_parse_double(s, &d, why, sizeof(why)); break;
	default: mt_parse_bool(s, &b, why, sizeof(why)); break;
	}
	free(s);
	return 0;
}
