/* anchor.c — migration-phase anchors as written in at= and for= ("hop0.switchover+20ms"):
 * their names, parser and printed form, shared by the scenario reader, plan and results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/scenario.h"
#include "migtorture/units.h"

static const char *const phase_names[] = {
	[MT_PHASE_START] = "start",         [MT_PHASE_ITERATION] = "iteration",
	[MT_PHASE_REMAINING] = "remaining", [MT_PHASE_SWITCHOVER] = "switchover",
	[MT_PHASE_POSTCOPY] = "postcopy",   [MT_PHASE_DONE] = "done",
};
#define NPHASES (sizeof(phase_names) / sizeof(phase_names[0]))

/* The highest hop number an anchor may name (a cell's hops are far fewer). */
#define MT_PHASE_MAX_HOP 9999

const char *mt_hop_phase_name(enum mt_hop_phase p)
{
	return (unsigned)p < NPHASES ? phase_names[p] : NULL;
}

static int bad(char *why, size_t whylen, const char *s, const char *what)
{
	snprintf(why, whylen, "expected a duration or a migration phase hopN.PHASE[+DURATION] "
		 "(PHASE: start, iteration=K, remaining<=SIZE, switchover, postcopy, done; N a hop "
		 "or *), got '%s': %s", s, what);
	return MT_EINVAL;
}

int mt_phase_parse(const char *s, struct mt_phase_ref *r, char *why, size_t whylen)
{
	char buf[128], *p, *name, *arg = NULL, *plus;
	long long hop = MT_HOP_ALL;
	int le = 0; /* the value came after "<=" (else after "=") */
	size_t k;

	memset(r, 0, sizeof(*r));
	if (strlen(s) >= sizeof(buf))
		return bad(why, whylen, s, "too long");
	memcpy(buf, s, strlen(s) + 1);
	if (strncmp(buf, "hop", 3) != 0 || !(p = strchr(buf, '.')))
		return bad(why, whylen, s, "no 'hopN.'");
	*p = '\0';
	name = p + 1;
	if (strcmp(buf + 3, "*") != 0 &&
	    mt_parse_int(buf + 3, 0, MT_PHASE_MAX_HOP, &hop, why, whylen) < 0)
		return bad(why, whylen, s, "the hop is a number from 0 or *");
	if ((plus = strchr(name, '+'))) {
		char w[128];

		*plus = '\0';
		if (mt_parse_duration(plus + 1, &r->offset_ns, w, sizeof(w)) < 0 ||
		    r->offset_ns < 0)
			return bad(why, whylen, s, "the offset after '+' is a duration");
	}
	if (strchr(name, '-'))
		return bad(why, whylen, s, "only offsets after a phase (+) can be planned");
	if ((p = strstr(name, "<="))) {
		*p = '\0';
		arg = p + 2;
		le = 1;
	} else if ((p = strchr(name, '='))) {
		*p = '\0';
		arg = p + 1;
	}
	for (k = 0; k < NPHASES && strcmp(name, phase_names[k]) != 0; k++)
		;
	if (k == NPHASES)
		return bad(why, whylen, s, "unknown phase");
	r->phase = (enum mt_hop_phase)k;
	if (r->phase == MT_PHASE_ITERATION) {
		long long it;

		if (!arg || le || mt_parse_int(arg, 1, 1000000, &it, why, whylen) < 0)
			return bad(why, whylen, s, "iteration=K, K a pass from 1");
		r->arg = (double)it;
	} else if (r->phase == MT_PHASE_REMAINING) {
		uint64_t bytes;
		char w[128];

		if (!arg || !le || mt_parse_size(arg, &bytes, w, sizeof(w)) < 0)
			return bad(why, whylen, s, "remaining<=SIZE, e.g. remaining<=64MiB");
		r->arg = (double)bytes;
	} else if (arg) {
		return bad(why, whylen, s, "this phase takes no value");
	}
	r->hop = (int)hop;
	r->set = 1;
	return 0;
}

void mt_phase_format(const struct mt_phase_ref *r, int hop, char *buf, size_t len)
{
	char h[16], arg[48] = "", off[48] = "", v[32];

	if (hop == MT_HOP_ALL)
		snprintf(h, sizeof(h), "*");
	else
		snprintf(h, sizeof(h), "%d", hop);
	if (r->phase == MT_PHASE_ITERATION)
		snprintf(arg, sizeof(arg), "=%.0f", r->arg);
	else if (r->phase == MT_PHASE_REMAINING) {
		mt_fmt_size((uint64_t)r->arg, v, sizeof(v));
		snprintf(arg, sizeof(arg), "<=%s", v);
	}
	if (r->offset_ns > 0) {
		mt_fmt_duration(r->offset_ns, v, sizeof(v));
		snprintf(off, sizeof(off), "+%s", v);
	}
	snprintf(buf, len, "hop%s.%s%s%s", h, mt_hop_phase_name(r->phase), arg, off);
}
