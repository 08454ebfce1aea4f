/* test_util.c — helpers the unit tests share (test_util.h). */
#include "test_util.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_tmpdir(char *buf, size_t len, const char *tag)
{
	int n = snprintf(buf, len, "/tmp/mtt-%s-XXXXXX", tag);

	ck_assert_msg(n > 0 && (size_t)n < len, "temp dir name for %s too long", tag);
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s: %s", buf, strerror(errno));
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		fprintf(stderr, "tu_rm_rf: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void tu_rm_rf(const char *path)
{
	if (!path || !path[0])
		return;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		fprintf(stderr, "tu_rm_rf: %s: %s\n", path, strerror(errno));
}

void tu_write(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_msg(fclose(f) == 0, "%s: %s", path, strerror(errno));
}

char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) { /* room for one more read and the NUL */
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				goto out;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
		errno = EIO;
		goto out;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
out:
	fclose(f);
	return buf;
}

const char *tu_slurp(const char *path)
{
	/* Still referenced at exit, so LeakSanitizer does not count it. */
	static char *last;

	free(last);
	last = tu_read(path, NULL);
	return last ? last : "";
}

const char *tu_fixture(const char *name)
{
	static char path[1024];
	int n = snprintf(path, sizeof(path), "%s/%s", MT_FIXTURES, name);

	ck_assert_msg(n > 0 && (size_t)n < sizeof(path), "fixture path for %s too long", name);
	return path;
}

char *tu_fixture_read(const char *name)
{
	const char *path = tu_fixture(name);
	char *b = tu_read(path, NULL);

	ck_assert_msg(b != NULL, "fixture %s: %s", path, strerror(errno));
	return b;
}

int tu_have(const char *prog)
{
	const char *p = getenv("PATH");
	char path[1024];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*p) {
		size_t n = strcspn(p, ":");

		if (n > 0 && snprintf(path, sizeof(path), "%.*s/%s", (int)n, p, prog) <
				     (int)sizeof(path) &&
		    access(path, X_OK) == 0)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
