/* journal_tmpdir.c — the "tmpdir" journal kind: a private temporary directory (a
 * stress-ng --temp-path, its report and log) recorded before the program that fills it runs,
 * so a SIGKILLed runner's directory is removed by `migtorture recover`.
 *
 * The undo record names the path and the directory's device and inode: undo removes the tree
 * only when the path still is that very directory (a name reused since is left alone), never
 * follows symbolic links and never crosses into another file system (nftw FTW_PHYS|FTW_MOUNT).
 * Only basenames starting with "mt-" are accepted, so a corrupted journal cannot aim it at an
 * arbitrary directory.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "journal_priv.h"
#include "migtorture/journal.h"

static int undo_tmpdir(const char *undo_json, char *note, size_t notelen,
		       struct mt_error *err);

const struct mt_journal_kind mt_journal_kind_tmpdir = { "tmpdir", undo_tmpdir };

static int named_ours(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return path[0] == '/' && strncmp(base, "mt-", 3) == 0 && !strstr(path, "/../");
}

int mt_journal_tmpdir(struct mt_journal *j, const struct mt_host *host, const char *path,
		      uint64_t *id, struct mt_error *err)
{
	cJSON *o = cJSON_CreateObject();
	char *undo = NULL;
	struct stat st;
	uint64_t nid = 0;
	int rc;

	if (!o) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (!named_ours(path)) {
		rc = mt_err(err, MT_EINVAL, "journal: temp dir %s is not an absolute mt-* path",
			    path);
		goto out;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = mt_err(err, MT_ENOTFOUND, "journal: temp dir %s: %s", path,
			    errno ? strerror(errno) : "not a directory");
		goto out;
	}
	if (!cJSON_AddStringToObject(o, "path", path) ||
	    !cJSON_AddNumberToObject(o, "dev", (double)st.st_dev) ||
	    !cJSON_AddNumberToObject(o, "ino", (double)st.st_ino)) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	undo = cJSON_PrintUnformatted(o);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	/* It exists already: no "applied" record (that is for a change taking effect). */
	rc = mt_journal_begin(j, mt_journal_kind_tmpdir.name, host, undo, &nid, err);
	if (rc == 0 && id)
		*id = nid;
out:
	free(undo);
	cJSON_Delete(o);
	return rc;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(p) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(p) < 0 && errno != ENOENT ? -1 : 0;
}

static int undo_tmpdir(const char *undo_json, char *note, size_t notelen,
		       struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const cJSON *jp = o ? cJSON_GetObjectItemCaseSensitive(o, "path") : NULL;
	const cJSON *jd = o ? cJSON_GetObjectItemCaseSensitive(o, "dev") : NULL;
	const cJSON *ji = o ? cJSON_GetObjectItemCaseSensitive(o, "ino") : NULL;
	struct stat st;
	int rc = 0;

	if (!cJSON_IsString(jp) || !cJSON_IsNumber(jd) || !cJSON_IsNumber(ji) ||
	    !named_ours(jp->valuestring)) {
		rc = mt_err(err, MT_EINVAL, "tmpdir entry: bad undo record");
		goto out;
	}
	if (lstat(jp->valuestring, &st) < 0) {
		snprintf(note, notelen, "temp dir %s already gone", jp->valuestring);
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || (double)st.st_dev != jd->valuedouble ||
	    (double)st.st_ino != ji->valuedouble) {
		snprintf(note, notelen, "%s is another file now: left alone", jp->valuestring);
		goto out;
	}
	if (nftw(jp->valuestring, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0) {
		rc = mt_err(err, MT_EINFRA, "cannot remove temp dir %s: %s", jp->valuestring,
			    strerror(errno));
		goto out;
	}
	snprintf(note, notelen, "removed temp dir %s", jp->valuestring);
out:
	cJSON_Delete(o);
	return rc;
}
