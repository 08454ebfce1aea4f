/* progress.c — progress lines for a run (see progress.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "migtorture/units.h"

struct mt_progress {
	FILE *f;
	int verbose;
	int tty;
	size_t ncells, index, seen_events;
	int64_t estimated_ns, run_start_ns, cell_start_ns, done_ns;
	size_t done;
	char cell[160];
	char phase[16];
	int line_open; /* a TTY line is drawn and not ended */
};

static void fmt_dur(int64_t ns, char *buf, size_t len)
{
	long s = (long)(ns / 1000000000);

	if (ns < 0)
		snprintf(buf, len, "?");
	else if (s >= 3600)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lds", s);
}

struct mt_progress *mt_progress_new(FILE *f, int verbose, size_t ncells, int64_t estimated_ns)
{
	struct mt_progress *p = calloc(1, sizeof(*p));
	const char *ci = getenv("CI");

	if (!p)
		return NULL;
	p->f = f;
	p->verbose = verbose;
	p->tty = isatty(fileno(f)) && !(ci && *ci);
	p->ncells = ncells;
	p->estimated_ns = estimated_ns;
	p->run_start_ns = mt_now_ns();
	return p;
}

/* Remaining time: the mean finished cell times the cells left, or the plan's estimate. */
static int64_t eta_ns(const struct mt_progress *p)
{
	size_t left = p->ncells - p->done;

	if (p->done)
		return (int64_t)(p->done_ns / (int64_t)p->done) * (int64_t)left;
	if (p->estimated_ns > 0 && p->ncells)
		return p->estimated_ns / (int64_t)p->ncells * (int64_t)left -
		       (mt_now_ns() - p->cell_start_ns);
	return -1;
}

static void redraw(struct mt_progress *p, int64_t now_ns)
{
	char el[16], eta[16];

	if (!p->tty || p->verbose < 0)
		return;
	fmt_dur(mt_now_ns() - p->run_start_ns, el, sizeof(el));
	fmt_dur(eta_ns(p), eta, sizeof(eta));
	fprintf(p->f, "\r\033[K[%zu/%zu] %.60s  %s +%.1fs  elapsed %s  ETA %s", p->index + 1,
		p->ncells, p->cell, p->phase, (double)now_ns / 1e9, el, eta);
	fflush(p->f);
	p->line_open = 1;
}

static void end_line(struct mt_progress *p)
{
	if (p->line_open) {
		fputs("\r\033[K", p->f);
		p->line_open = 0;
	}
}

void mt_progress_cell_start(struct mt_progress *p, size_t index, const char *name, int repeat)
{
	if (!p)
		return;
	p->index = index;
	p->seen_events = 0;
	p->cell_start_ns = mt_now_ns();
	snprintf(p->cell, sizeof(p->cell), "%s#%d", name ? name : "?", repeat);
	snprintf(p->phase, sizeof(p->phase), "setup");
	if (p->tty)
		redraw(p, 0);
	else if (p->verbose >= 0)
		fprintf(p->f, "cell %zu/%zu %s: start\n", index + 1, p->ncells, p->cell);
}

void mt_progress_poll(struct mt_progress *p, const struct mt_cell_result *c, int64_t now_ns)
{
	if (!p || !c)
		return;
	for (; p->seen_events < c->nevents; p->seen_events++) {
		const struct mt_event_rec *e = &c->events[p->seen_events];
		const char *w = e->what ? e->what : "?";

		if (!strncmp(w, "phase ", 6))
			snprintf(p->phase, sizeof(p->phase), "%s", w + 6);
		if (p->verbose < 0 || (p->tty && p->verbose == 0))
			continue;
		end_line(p);
		if (e->actual_ns < 0) /* anchored on a phase that never came: detail says so */
			fprintf(p->f, "cell %zu/%zu %s %s: %s\n", p->index + 1, p->ncells, p->cell, w,
				e->detail ? e->detail : "not run");
		else
			fprintf(p->f, "cell %zu/%zu %s +%.3fs %s%s%s%s\n", p->index + 1,
				p->ncells, p->cell, (double)e->actual_ns / 1e9, w,
				e->detail ? ": " : "", e->detail ? e->detail : "",
				e->rc < 0 ? " (FAILED)" : "");
	}
	redraw(p, now_ns);
}

void mt_progress_cell_end(struct mt_progress *p, const struct mt_cell_result *c)
{
	if (!p || !c)
		return;
	mt_progress_poll(p, c, c->duration_ns);
	p->done++;
	p->done_ns += mt_now_ns() - p->cell_start_ns;
	end_line(p);
	if (p->verbose < 0 && c->verdict == MT_VERDICT_PASS)
		return;
	fprintf(p->f, "cell %zu/%zu %s: %s%s%s (%.1f s)\n", p->index + 1, p->ncells, p->cell,
		mt_verdict_name(c->verdict), c->reason ? ": " : "", c->reason ? c->reason : "",
		(double)c->duration_ns / 1e9);
	fflush(p->f);
}

void mt_progress_free(struct mt_progress *p)
{
	if (!p)
		return;
	end_line(p);
	free(p);
}
