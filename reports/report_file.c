/* report_file.c — atomic write of a rendered report (textfile collectors and CI artefact
 * readers must never see half a file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migtorture/report.h"

int mt_report_write_file(const char *path, mt_report_fn fn, const struct mt_run_result *run,
			 struct mt_error *err)
{
	return mt_report_write_file_mode(path, fn, run, 0644, err);
}

int mt_report_write_file_mode(const char *path, mt_report_fn fn, const struct mt_run_result *run,
			      mode_t mode, struct mt_error *err)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd = -1, rc = 0;
	FILE *f = NULL;
	size_t plen;

	if (!path || !*path || !fn || !run)
		return mt_err(err, MT_EINVAL, "report: no path, renderer or run");
	plen = strlen(path);
	tmp = malloc(plen + 16);
	dir = strdup(path);
	if (!tmp || !dir) {
		rc = mt_err(err, MT_ENOMEM, "report: out of memory");
		goto out;
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = mt_err(err, MT_EIO, "report: cannot create a temp file next to %s: %s", path,
			    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = mt_err(err, MT_EIO, "report: fdopen: %s", strerror(errno));
		goto out;
	}
	fd = -1; /* owned by f now */
	rc = fn(run, f, err);
	if (rc)
		goto out;
	if (fflush(f) || fchmod(fileno(f), mode) || fsync(fileno(f))) {
		rc = mt_err(err, MT_EIO, "report: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		rc = mt_err(err, MT_EIO, "report: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path)) {
		rc = mt_err(err, MT_EIO, "report: cannot rename %s to %s: %s", tmp, path,
			    strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		rc = mt_err(err, MT_EIO, "report: cannot sync directory %s: %s", dir,
			    strerror(errno));
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}
