/* journal_stub.h — test-local stand-in for the journal (suite/journal.c, branch `run`, had not
 * landed when these tests were written). Include in exactly one file of a test binary. It keeps
 * the last undo record and counts applied marks so tests can drive undo from the record, the
 * way recover does. Delete this and link the real journal once suite/journal.c exists.
 */
#ifndef MT_TEST_JOURNAL_STUB_H
#define MT_TEST_JOURNAL_STUB_H

#include <stdlib.h>
#include <string.h>

#include "migtorture/journal.h"

static char *stub_undo;        /* last undo record (owned) */
static char stub_kind[32];
static uint64_t stub_next_id;
static int stub_applied;       /* mt_journal_applied calls */
static int stub_ended;         /* mt_journal_end calls */
static int64_t stub_t_applied;

int mt_journal_begin(struct mt_journal *j, const char *kind, const struct mt_host *host,
		     const char *undo_json, uint64_t *id, struct mt_error *err)
{
	(void)j;
	(void)host;
	free(stub_undo);
	stub_undo = strdup(undo_json);
	if (!stub_undo)
		return mt_err(err, MT_ENOMEM, "stub journal: out of memory");
	strncpy(stub_kind, kind, sizeof(stub_kind) - 1);
	*id = ++stub_next_id;
	return 0;
}

int mt_journal_applied(struct mt_journal *j, uint64_t id, int64_t t_ns, struct mt_error *err)
{
	(void)j;
	(void)id;
	(void)err;
	stub_applied++;
	stub_t_applied = t_ns;
	return 0;
}

int mt_journal_end(struct mt_journal *j, uint64_t id, int64_t t_ns, int rc,
		   struct mt_error *err)
{
	(void)j;
	(void)id;
	(void)t_ns;
	(void)rc;
	(void)err;
	stub_ended++;
	return 0;
}

#endif
