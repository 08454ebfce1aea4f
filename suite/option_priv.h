/* option_priv.h — helpers shared by option.c, params.c and option_doc.c (private to suite/). */
#ifndef MT_OPTION_PRIV_H
#define MT_OPTION_PRIV_H

#include <stddef.h>

#include "migtorture/option.h"

/* Range semantics of a table row: min and max both 0 = unchecked; otherwise value >= min, and
 * value <= max only when max > min (so {1, 0} means "at least 1", as the duration rows use). */
int mt_option_has_max(const struct mt_option *opt);

/* A parsed numeric value (v->opt set, not MT_OPT_STR) as a double in its base units: what the
 * range check compares and mt_params_dbl returns. */
double mt_value_dbl(const struct mt_value *v);

/* "a duration between 1ms and 10s", "an integer of at least 1", "one of a, b" ...; the
 * expected-text used in range errors and in the reference tables. */
void mt_option_range_text(const struct mt_option *opt, char *buf, size_t len);

/* Short type name for help and docs: "duration", "size", "bit rate", ... */
const char *mt_option_type_name(enum mt_opt_type t);

/* Formats a base-unit bound of opt's type ("10s", "64MiB", "5%", "3"). */
void mt_option_fmt_bound(const struct mt_option *opt, double v, char *buf, size_t len);

#endif
