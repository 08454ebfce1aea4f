/* fuzz_threshold.c — threshold expressions (`threshold = EXPR, EXPR…`): one and a list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/threshold.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	struct mt_threshold th, *list = NULL;
	struct mt_error e = { 0 };
	size_t cnt = 0;

	if (!s)
		return 0;
	memcpy(s, d, n);
	s[n] = 0;
	mt_threshold_parse(s, &th, &e);
	if (mt_threshold_parse_list(s, &list, &cnt, &e) == 0)
		free(list);
	free(s);
	return 0;
}
