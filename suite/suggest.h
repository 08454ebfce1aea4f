/* suggest.h — "did you mean" hints (private to suite/). */
#ifndef MT_SUGGEST_H
#define MT_SUGGEST_H

#include <stddef.h>

/* Edit distance (insert, delete, substitute; each costs 1) between a and b. Capped at 255
 * characters per string: longer strings compare as their first 255 characters. */
int mt_levenshtein(const char *a, const char *b);

/* The candidate closest to name within distance 3 (and closer than a full rewrite), or NULL.
 * Ties go to the earlier candidate. cands[0..n) may hold NULLs, which are skipped. */
const char *mt_suggest_name(const char *name, const char *const *cands, size_t n);

#endif
