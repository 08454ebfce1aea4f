/* timeline.h — runs a cell's planned events on the loop (private to the runner and bench).
 *
 * Anchors resolve as the cell goes: START events are scheduled by mt_timeline_start; the
 * events anchored on HOP_DONE (hop k: after hop k-1 completed) and on MIGRATED (after the last
 * hop) are scheduled when the runner reports a hop's completion (mt_timeline_hop_done). A cell
 * without migration (migrate_count 0) resolves MIGRATED at warmup + migrate.at, the moment its
 * first hop would have started, so its cool-down still ends it.
 *
 * Order: events due at the same instant run in the order documented in scenario.h (phase,
 * fault off, probe start, workload start, fault on, migration start, workload stop, probe stop,
 * cell end; then spec index, then plan order). The timeline sorts each anchor's events that
 * way and adds their timers in that order; the loop fires equal due times in insertion order.
 *
 * Events anchored on a migration phase (MT_ANCHOR_PHASE: "hop0.switchover+20ms") are scheduled
 * when the runner reports the phase (mt_timeline_phase), from the moment it was measured.
 *
 * Every executed event is recorded into the cell result (planned and actual offset since t0,
 * "what", detail, rc); an anchored one also with its anchor, the anchor's time and when it
 * took effect. An event whose callback fails stops the loop with that error.
 */
#ifndef MT_TIMELINE_H
#define MT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/loop.h"
#include "migtorture/plugin.h"
#include "migtorture/result.h"
#include "migtorture/scenario.h"

struct mt_timeline;

/* An event that was due but rightly did nothing (a fault's on after its own off). */
#define MT_TL_NOTHING 1

/* Runs one event. planned_ns/actual_ns are offsets since t0; *effect_ns (-1 on entry) may be
 * set to when the action took effect, since t0 (a fault's applied time). Returns 0, MT_E*
 * with err, or MT_TL_NOTHING with err saying why nothing was done (the event's detail). A
 * migration start returning 0 may leave in err->msg where the hop really went (its detail in
 * place of the plan's label). */
typedef int (*mt_tl_exec_fn)(void *arg, const struct mt_tl_event *ev, int64_t planned_ns,
			     int64_t actual_ns, int64_t *effect_ns, struct mt_error *err);

/* The cell (its events, specs and migration settings) and res must outlive the timeline. */
int mt_timeline_new(struct mt_timeline **out, struct mt_loop *loop, const struct mt_cell *cell,
		    struct mt_cell_result *res, mt_tl_exec_fn fn, void *arg,
		    struct mt_error *err);
void mt_timeline_free(struct mt_timeline *tl);

/* Sets t0 (absolute monotonic ns) and schedules the START-anchored events. */
int mt_timeline_start(struct mt_timeline *tl, int64_t t0_ns, struct mt_error *err);

/* Hop `hop` completed at done_ns (absolute): schedules the HOP_DONE events of hop + 1 and,
 * after the last hop, the MIGRATED events. */
int mt_timeline_hop_done(struct mt_timeline *tl, int hop, int64_t done_ns,
			 struct mt_error *err);

/* Hop ph->hop reached ph->phase (value: the pass for ITERATION, remaining bytes for
 * REMAINING) at ph->t_ns (absolute, when the driver learnt it): schedules the events anchored
 * there. In a cell of several VMs an event whose spec names vm= follows only that VM's phases
 * (ph->vm); the others follow the hop as a whole and the first VM's (ph->vm NULL or
 * ph->unnamed). */
int mt_timeline_phase(struct mt_timeline *tl, const struct mt_phase_event *ph,
		      struct mt_error *err);

/* End of cell, before cancel: records each anchored event that did not run — its phase never
 * came (planned and anchor -1), or the cell ended before the offset after it (actual -1) —
 * and the cell's anchor.reached, anchor.missed and anchor.trigger_lag_max_ms. */
int mt_timeline_close_anchors(struct mt_timeline *tl);

/* "hop0.switchover": the anchor of a PHASE event, without its offset. */
void mt_timeline_anchor_text(const struct mt_tl_event *ev, char *buf, size_t len);

/* Removes every event not yet run (teardown). */
void mt_timeline_cancel(struct mt_timeline *tl);

/* Events scheduled but not yet run. */
size_t mt_timeline_pending(const struct mt_timeline *tl);

/* "fault.on netem", "migrate.start hop 1", "phase during": the event's record name (malloc'd). */
char *mt_timeline_what(const struct mt_cell *cell, const struct mt_tl_event *ev);

#endif
