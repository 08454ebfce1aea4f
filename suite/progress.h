/* progress.h — what a run prints while it runs (docs/architecture.md §4).
 *
 * On a terminal (stderr is a TTY and CI is unset or empty): one line redrawn in place with
 * cells done/total, the current cell and phase, elapsed and an ETA. Otherwise (CI, pipes,
 * logs): one plain line per executed timeline event and per finished cell, prefixed with the
 * cell's position and time — greppable, never a carriage return. -q prints only each cell's
 * verdict when it is not pass; -v adds the events on a TTY too.
 */
#ifndef MT_PROGRESS_H
#define MT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "migtorture/result.h"

struct mt_progress;

/* f: where to print (stderr); verbose: -1 quiet, 0 normal, > 0 verbose; ncells and the plan's
 * estimate drive the ETA until the first cell finished. Returns NULL on ENOMEM (then every
 * call below is a no-op). */
struct mt_progress *mt_progress_new(FILE *f, int verbose, size_t ncells, int64_t estimated_ns);
/* A cell begins (index from 0). */
void mt_progress_cell_start(struct mt_progress *p, size_t index, const char *name, int repeat);
/* Prints what is new in the cell's executed timeline (events since the last call); now_ns is
 * the time since the cell's start. Cheap: call it from a timer and after the cell. */
void mt_progress_poll(struct mt_progress *p, const struct mt_cell_result *c, int64_t now_ns);
/* A cell ended: its verdict line. */
void mt_progress_cell_end(struct mt_progress *p, const struct mt_cell_result *c);
/* Ends the TTY line; frees p. */
void mt_progress_free(struct mt_progress *p);

#endif
