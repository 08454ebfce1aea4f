/* recover.c — `migtorture recover`: undo what a crashed run left open in the journal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal_priv.h"
#include "migtorture/journal.h"
#include "migtorture/runner.h"
#include "remote.h"

const char *mt_default_journal_path(void)
{
	const char *p = getenv("MT_JOURNAL");

	return p && p[0] ? p : "/var/lib/migtorture/journal";
}

const char *mt_version(void)
{
	return MT_VERSION;
}

int mt_recover(const char *journal_path, FILE *f, struct mt_error *err)
{
	const char *path = journal_path ? journal_path : mt_default_journal_path();
	const struct mt_journal_entry *e;
	struct mt_journal *j = NULL;
	unsigned undone = 0, failed = 0, gone = 0;
	struct stat st;
	size_t n = 0;
	int rc = 0;

	/* No journal: nothing ever ran here; do not create one. */
	if (stat(path, &st) < 0 && errno == ENOENT) {
		if (f)
			fprintf(f, "journal %s: nothing to recover\n", path);
		goto out;
	}
	/* Opening takes the lock: refused while a live runner holds it. */
	rc = mt_journal_open(path, &j, err);
	if (rc < 0)
		goto out;
	rc = mt_journal_open_entries(j, &e, &n, err);
	if (rc < 0)
		goto out;
	if (n == 0) {
		if (f)
			fprintf(f, "journal %s: nothing open\n", path);
		goto out;
	}
	if (f)
		fprintf(f, "journal %s: %zu open entr%s, undoing newest first\n", path, n,
			n == 1 ? "y" : "ies");
	rc = mt_journal_undo_range(j, 0, UINT64_MAX, f, &undone, &failed, err);
	gone = mt_journal_gone(j);
	if (f)
		fprintf(f, "recover: %u undone, %u failed%s\n", undone, failed,
			gone ? " (target gone for some: see above)" : "");
	/* Closed, so runs may start again; still exit 3: something removed the target under the
	 * journal (docs/architecture.md §7). */
	if (rc == 0 && gone)
		rc = mt_err(err, MT_EINFRA, "%u journal entr%s closed with the target gone "
			    "(network namespace removed): nothing left to undo", gone,
			    gone == 1 ? "y" : "ies");
out:
	mt_remote_close_all(); /* sessions opened to undo entries of ssh hosts */
	mt_journal_close(j);
	return rc;
}
