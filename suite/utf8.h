/* utf8.h — the one check of UTF-8 the project makes (scenario files, logs, XML output). */
#ifndef MT_UTF8_H
#define MT_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at p, of which left bytes may be read; 0 when it is
 * not one: a stray continuation byte, an overlong form, a surrogate, above U+10FFFF, cut short. */
size_t mt_utf8_len(const unsigned char *p, size_t left);

#endif
