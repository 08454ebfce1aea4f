/* runner_msg.c — what a cell says: its first failure and its skip reason (both one line, as
 * the verdict's reason), and its verbose progress lines on stderr. */
#include <stdarg.h>
#include <stdio.h>

#include "migtorture/loop.h"
#include "runner_priv.h"

/* The first failure of a cell wins; it becomes the error verdict's one-line reason. */
int rn_fail(struct rn_cellrun *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		c->failed = 1;
		va_start(ap, fmt);
		vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
		va_end(ap);
		/* One line: the verdict reason is printed as such. */
		for (char *p = c->reason; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	return code;
}

/* The skip reason (one line). */
void rn_skip_reason(struct rn_cellrun *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	for (char *p = c->reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void rn_say(struct rn_cellrun *c, const char *fmt, ...)
{
	va_list ap;

	if (c->r->o->verbose <= 0)
		return;
	fprintf(stderr, "[%9.3fs] ", c->t0 ? rn_secs(mt_loop_now(c->loop) - c->t0) : 0.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *rn_cls_name(enum mt_spec_class cls)
{
	switch (cls) {
	case MT_SPEC_WORKLOAD: return "workload";
	case MT_SPEC_STRESS: return "stress";
	case MT_SPEC_PROBE: return "probe";
	case MT_SPEC_FAULT: return "fault";
	}
	return "?";
}
