/* grow.h — the one growable-array step of the library (not a public contract). */
#ifndef MT_GROW_H
#define MT_GROW_H

#include <stddef.h>

/* Makes index n of *arr (elements of elem bytes, room for *cap) writable: doubles the room
 * (from 8) until it fits, zeroes what is new. Returns 0, or MT_ENOMEM (nothing changed) when
 * the allocation fails or the size would overflow. Doubling keeps n appends O(n): a scenario
 * may repeat a key hundreds of times per cell, a journal or a timer heap grows all run. */
int mt_grow(void **arr, size_t *cap, size_t n, size_t elem);

#endif
