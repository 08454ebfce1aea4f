/* suggest.c — Levenshtein distance and the "did you mean" choice used for unknown keys,
 * sections and plugin kinds. */
#include <string.h>

#include "suggest.h"

#define LEV_MAX 255

int mt_levenshtein(const char *a, const char *b)
{
	int row[LEV_MAX + 1];
	size_t la = strnlen(a, LEV_MAX), lb = strnlen(b, LEV_MAX);

	/* one row of the classic dynamic-programming table, indexed by b's prefix length */
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *mt_suggest_name(const char *name, const char *const *cands, size_t n)
{
	const char *best = NULL;
	int bestd = 4; /* suggest only within distance 3 */
	size_t ln = strlen(name);

	for (size_t i = 0; i < n; i++) {
		size_t lc;
		int d;

		if (!cands[i])
			continue;
		lc = strlen(cands[i]);
		d = mt_levenshtein(name, cands[i]);
		/* a distance equal to the longer length means nothing in common: no hint */
		if (d < bestd && (size_t)d < (ln > lc ? ln : lc)) {
			best = cands[i];
			bestd = d;
		}
	}
	return best;
}
