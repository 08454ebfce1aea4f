/* grow.c — the one growable-array step (grow.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "migtorture/error.h"

int mt_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2)
			return MT_ENOMEM;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return MT_ENOMEM;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return MT_ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*arr = p;
	*cap = ncap;
	return 0;
}
