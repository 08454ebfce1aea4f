/* logread.c — a hypervisor log's role, path and the piece a cell wrote (logread.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "logread.h"
#include "utf8.h"

static const char *const role_names[MT_LOG_NROLES] = { "libvirtd", "qemu", "console" };

const char *mt_log_role_name(enum mt_log_role role)
{
	return (unsigned)role < MT_LOG_NROLES ? role_names[role] : "?";
}

int mt_log_role_parse(const char *name)
{
	for (int i = 0; name && i < MT_LOG_NROLES; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

int mt_log_domain_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 200 || name[0] == '.')
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") ==
	       n;
}

int mt_log_path(const char *pattern, const char *domain, char *out, size_t len,
		struct mt_error *err)
{
	static const char key[] = "{domain}";
	const char *p = pattern, *hit;
	size_t used = 0;

	if (!pattern || pattern[0] != '/' || strstr(pattern, "/../") ||
	    (strlen(pattern) >= 3 && !strcmp(pattern + strlen(pattern) - 3, "/..")))
		return mt_err(err, MT_EINVAL, "log path '%s': not an absolute path without '..'",
			      pattern ? pattern : "");
	if (strstr(pattern, key) && !mt_log_domain_ok(domain))
		return mt_err(err, MT_EINVAL, "domain name '%s' cannot stand in a log path",
			      domain ? domain : "");
	while ((hit = strstr(p, key))) {
		size_t a = (size_t)(hit - p), b = strlen(domain);

		if (used + a + b >= len)
			return mt_err(err, MT_EINVAL, "log path '%s': too long", pattern);
		memcpy(out + used, p, a);
		memcpy(out + used + a, domain, b);
		used += a + b;
		p = hit + sizeof(key) - 1;
	}
	if (used + strlen(p) >= len)
		return mt_err(err, MT_EINVAL, "log path '%s': too long", pattern);
	memcpy(out + used, p, strlen(p) + 1);
	return 0;
}

int mt_log_size(const char *path, int64_t *size, struct mt_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT) {
			*size = -1;
			return 0;
		}
		return mt_err(err, MT_EIO, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return mt_err(err, MT_EINVAL, "%s: not a regular file", path);
	*size = (int64_t)st.st_size;
	return 0;
}


void mt_log_sanitize(char *b, size_t n)
{
	unsigned char *p = (unsigned char *)b;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') ||
			    p[i] == 0x7f)
				p[i] = '?';
			i++;
		} else if ((k = mt_utf8_len(p + i, n - i))) {
			i += k;
		} else {
			p[i++] = '?';
		}
	}
}

int mt_log_read(const char *path, int64_t from, size_t max, char **buf, size_t *len,
		int64_t *size, int *rotated, struct mt_error *err)
{
	struct stat st;
	char *b = NULL;
	size_t want, got = 0;
	ssize_t n;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	*rotated = 0;
	if (max > MT_LOG_CHUNK_MAX)
		max = MT_LOG_CHUNK_MAX;
	/* O_NONBLOCK: a FIFO planted under the name must not hang the reader. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return mt_err(err, errno == ENOENT ? MT_ENOTFOUND : MT_EIO, "%s: %s", path,
			      strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = mt_err(err, MT_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	*size = (int64_t)st.st_size;
	if (from < 0 || from > *size) {
		*rotated = from > *size;
		from = 0;
	}
	want = (size_t)(*size - from) < max ? (size_t)(*size - from) : max;
	if (!(b = malloc(want + 1))) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	n = mt_pread_full(fd, b, want, (off_t)from);
	if (n < 0) {
		rc = mt_err(err, MT_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	got = (size_t)n;
	mt_log_sanitize(b, got);
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}
