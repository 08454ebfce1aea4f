/* runner_dryrun.c — --dry-run: every cell's checks, lab, driver and planned events as text, in
 * the order their anchors resolve; reads lab.json at most, touches nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "labresolve.h"
#include "runner_priv.h"
#include "timeline.h"

static void print_anchor(FILE *f, const struct mt_tl_event *ev)
{
	char at[64];

	switch (ev->anchor) {
	case MT_ANCHOR_START:
		snprintf(at, sizeof(at), "t=%+.3fs", rn_secs(ev->offset_ns));
		break;
	case MT_ANCHOR_HOP_DONE:
		snprintf(at, sizeof(at), "hop %d done%+.3fs", ev->hop - 1, rn_secs(ev->offset_ns));
		break;
	case MT_ANCHOR_MIGRATED:
		snprintf(at, sizeof(at), "migrated%+.3fs", rn_secs(ev->offset_ns));
		break;
	case MT_ANCHOR_PHASE: {
		char ph[48];

		mt_timeline_anchor_text(ev, ph, sizeof(ph));
		snprintf(at, sizeof(at), "%s%+.3fs", ph, rn_secs(ev->offset_ns));
		break;
	}
	default:
		snprintf(at, sizeof(at), "?%+.3fs", rn_secs(ev->offset_ns));
	}
	fprintf(f, "  %-22s ", at);
}

/* --dry-run: every action with its planned time; nothing touched, no journal, no files. */
void rn_dry_run(const struct mt_scenario *s, const struct mt_plan *plan, FILE *f)
{
	for (size_t i = 0; i < plan->ncells; i++) {
		const struct mt_cell *cell = &plan->cells[i];

		fprintf(f, "cell %zu/%zu %s (repeat %d, seed %" PRIu64 ")\n", i + 1, plan->ncells,
			cell->name, cell->repeat, cell->seed);
		struct mt_labres lab = { 0 };
		struct mt_error err = { 0 };

		/* reading lab.json touches nothing; without a lab, say so and go on */
		if (mt_labres_cell(cell, &lab, &err) < 0)
			fprintf(f, "  note: %s\n", err.msg);
		for (size_t k = 0; k < cell->nspecs; k++) {
			const struct mt_spec *sp = &cell->specs[k];
			const struct mt_host *h;

			h = rn_spec_host(s, cell, &lab, sp, 0, &err);
			fprintf(f, "  check %s %s on host %s%s%s%s\n", rn_cls_name(sp->cls), sp->kind,
				h && h->name ? h->name : rn_spec_host_name(cell, &lab, sp, 0),
				!h ? " (UNKNOWN HOST)" : h->kind == MT_HOST_SSH ? " (ssh)" : "",
				h && h->netns ? " in netns " : "", h && h->netns ? h->netns : "");
		}
		if (lab.uses_lab)
			fprintf(f, "  lab: %s -> %s, guest %s\n", lab.src_uri ? lab.src_uri : "?",
				lab.dst_uri ? lab.dst_uri : "?",
				lab.guest_addr ? lab.guest_addr : "?");
		else if (cell->guest)
			fprintf(f, "  guest %s (%s)\n", lab.guest_addr ? lab.guest_addr : "?",
				lab.guest_url ? lab.guest_url : "?");
		mt_labres_free(&lab);
		if (cell->migrate_count > 0 && cell->ndomains > 1)
			fprintf(f, "  prepare driver %s for each of %d domains (%s ...), %d at a "
				"time: %s -> %s, %d hop%s, timeout %.0fs\n",
				cell->driver ? cell->driver : "?", cell->ndomains, cell->domain,
				cell->migrate_concurrency, cell->source ? cell->source : "?",
				cell->dest ? cell->dest : "?", cell->migrate_count,
				cell->migrate_count == 1 ? "" : "s", rn_secs(cell->migrate_timeout_ns));
		else if (cell->migrate_count > 0)
			fprintf(f, "  prepare driver %s: %s -> %s, domain %s, %d hop%s, timeout %.0fs\n",
				cell->driver ? cell->driver : "?", cell->source ? cell->source : "?",
				cell->dest ? cell->dest : "?", cell->domain ? cell->domain : "?",
				cell->migrate_count, cell->migrate_count == 1 ? "" : "s",
				rn_secs(cell->migrate_timeout_ns));
		/* In the order anchors resolve: start, the hops' phases (when they come), each
		 * hop's completion, then the end. */
		for (size_t pass = 0; pass < 4 * cell->nevents; pass++) {
			static const enum mt_tl_anchor order[] = { MT_ANCHOR_START, MT_ANCHOR_PHASE,
								   MT_ANCHOR_HOP_DONE,
								   MT_ANCHOR_MIGRATED };
			const struct mt_tl_event *ev = &cell->events[pass % cell->nevents];
			char *what;

			if (ev->anchor != order[pass / cell->nevents])
				continue;
			what = mt_timeline_what(cell, ev);

			print_anchor(f, ev);
			fprintf(f, "%s", what ? what : "?");
			if (ev->kind == MT_TL_MIGRATE_START)
				fprintf(f, " (%s -> %s)", ev->hop % 2 ? cell->dest : cell->source,
					ev->hop % 2 ? cell->source : cell->dest);
			else if (ev->spec >= 0 && (size_t)ev->spec < cell->nspecs)
				fprintf(f, ": %s (host %s)", cell->specs[ev->spec].text,
					cell->specs[ev->spec].host ? cell->specs[ev->spec].host
								   : "local");
			fputc('\n', f);
			free(what);
		}
		fprintf(f, "  teardown: stop what runs, collect, undo every journal entry\n");
	}
}
