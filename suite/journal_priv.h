/* journal_priv.h — journal internals shared with the runner and the tests (not a contract). */
#ifndef MT_JOURNAL_PRIV_H
#define MT_JOURNAL_PRIV_H

#include "migtorture/journal.h"

/* Fields of /proc/PID/stat: state (3), process group (5), start time in clock ticks (22).
 * Any pointer may be NULL. Returns 0, or MT_ENOTFOUND when there is no such process. */
int mt_proc_stat(int pid, char *state, int *pgrp, unsigned long long *start);

/* Lines read at open that did not parse (a write torn by a crash). */
unsigned mt_journal_bad_lines(const struct mt_journal *j);

#endif
