/* scenario_read.c — from a file to sections and entries: read, refuse what is not a text
 * scenario, and split it with libinih while keeping exact line numbers.
 *
 * Line numbers: the Debian build of inih calls the handler without a line number
 * (INI_HANDLER_LINENO is 0 in the shipped library), so we feed inih through our own
 * ini_parse_stream reader that hands over exactly one line per call and counts them; the handler
 * runs before the next read, so the count is the handler's line. The same reader sees section
 * headers (inih does not report them), which gives their line and lets empty sections exist.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "scenario_priv.h"
#include "suggest.h"
#include "utf8.h"

#define SC_FILE_MAX (16u << 20) /* a scenario is text a person wrote: 16 MiB is plenty */
#define SC_LINE_MAX 16384       /* longest line we hand to inih (its buffer holds this) */

int mt_sc_read_file(const char *path, char **buf, size_t *len, struct mt_error *err)
{
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mt_err(err, MT_EINVAL, "%s: cannot open scenario file: %s", path,
			      strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = mt_err(err, MT_EINVAL, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = mt_err(err, MT_EINVAL, "%s: %s, expected a scenario file", path,
			    S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > SC_FILE_MAX) {
		rc = mt_err(err, MT_EINVAL, "%s: %lld bytes, expected a scenario file below 16 MiB",
			    path, (long long)st.st_size);
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = mt_err(err, MT_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	r = mt_pread_full(fd, b, (size_t)st.st_size, 0);
	if (r < 0) {
		rc = mt_err(err, MT_EINVAL, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	n = (size_t)r;
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}


int mt_sc_check_text(const char *text, size_t len, const char *name, struct mt_error *err)
{
	const unsigned char *p = (const unsigned char *)text;
	int line = 1;

	if (len == 0)
		return mt_err(err, MT_EINVAL, "%s: empty file, expected a scenario with sections",
			      name);
	for (size_t i = 0; i < len;) {
		size_t n;

		if (p[i] == '\0')
			return mt_err(err, MT_EINVAL,
				      "%s:%d: binary content (NUL byte), expected a text scenario",
				      name, line);
		n = mt_utf8_len(p + i, len - i);
		if (n == 0)
			return mt_err(err, MT_EINVAL,
				      "%s:%d: binary content (invalid UTF-8), expected a text "
				      "scenario",
				      name, line);
		if (p[i] == '\n')
			line++;
		i += n;
	}
	return 0;
}

/* State shared by the reader and the handler. */
struct loader {
	const char *pos, *end;
	const char *name;
	int line;
	struct mt_scenario_priv *priv;
	struct sc_section *cur; /* section of the lines being read, NULL before the first */
	struct mt_error *err;
	int failed;
};

static int fail_at(struct loader *ld, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error as "FILE:LINE: message" at the line being read. */
static int fail_at(struct loader *ld, int code, const char *fmt, ...)
{
	char msg[MT_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->failed = 1;
	return mt_err(ld->err, code, "%s:%d: %s", ld->name, ld->line, msg);
}

static int valid_job_name(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/* Decides the kind of a section name; fails on unknown prefixes and likely typos. */
static int section_kind(struct loader *ld, const char *name, enum sc_kind *kind)
{
	static const char *const reserved[] = { "global", "matrix", "faults" };
	const char *hint;

	if (strcmp(name, "global") == 0)
		return *kind = SC_GLOBAL, 0;
	if (strcmp(name, "matrix") == 0 || strcmp(name, "faults") == 0)
		return *kind = SC_MATRIX, 0;
	if (strncmp(name, "host:", 5) == 0) {
		if (!valid_job_name(name + 5))
			return fail_at(ld, MT_EINVAL, "section [%s]: expected a host name of letters,"
				       " digits, '.', '_', '-' after 'host:'", name);
		return *kind = SC_HOST, 0;
	}
	/* a job name a short edit away from a reserved one is almost surely a typo */
	hint = mt_suggest_name(name, reserved, 3);
	if (hint && mt_levenshtein(name, hint) <= 2)
		return fail_at(ld, MT_EINVAL, "unknown section [%s], did you mean '%s'?", name,
			       hint);
	if (strchr(name, ':'))
		return fail_at(ld, MT_EINVAL, "unknown section [%s], did you mean '%s'?", name,
			       "host:NAME");
	if (!valid_job_name(name))
		return fail_at(ld, MT_EINVAL, "section [%s]: expected a name of letters, digits, "
			       "'.', '_', '-'", name);
	return *kind = SC_JOB, 0;
}

static int add_section(struct loader *ld, const char *name)
{
	struct mt_scenario_priv *pv = ld->priv;
	struct sc_section *ns;
	enum sc_kind kind = 0; /* set by section_kind on success; 0 keeps -O2 quiet */
	char line[32];

	if (section_kind(ld, name, &kind))
		return -1;
	for (size_t i = 0; i < pv->nsecs; i++) {
		if (strcmp(pv->secs[i].name, name) == 0) {
			snprintf(line, sizeof(line), "%d", pv->secs[i].line);
			return fail_at(ld, MT_EINVAL, "section [%s] repeated (first at line %s)",
				       name, line);
		}
	}
	ns = realloc(pv->secs, (pv->nsecs + 1) * sizeof(*ns));
	if (!ns)
		return fail_at(ld, MT_ENOMEM, "out of memory");
	pv->secs = ns;
	ns = &pv->secs[pv->nsecs];
	memset(ns, 0, sizeof(*ns));
	ns->name = strdup(name);
	if (!ns->name)
		return fail_at(ld, MT_ENOMEM, "out of memory");
	ns->kind = kind;
	ns->line = ld->line;
	pv->nsecs++;
	ld->cur = ns;
	return 0;
}

/* Looks at a line for a "[name]" header and records it. Malformed headers are left to inih,
 * which reports them as syntax errors at the same line. */
static void scan_header(struct loader *ld, const char *l, size_t n)
{
	char name[256], *close;
	const char *s = l, *e = l + n;
	size_t len;

	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s == e || *s != '[')
		return;
	close = memchr(s, ']', (size_t)(e - s));
	if (!close)
		return;
	for (const char *t = close + 1; t < e && *t != ';' && *t != '#'; t++) {
		if (!isspace((unsigned char)*t)) {
			char got[128];

			snprintf(got, sizeof(got), "%.*s", (int)(e - s), s);
			got[strcspn(got, "\r\n")] = '\0';
			fail_at(ld, MT_EINVAL, "expected '[section]', got '%s'", got);
			return;
		}
	}
	s++;
	while (s < close && isspace((unsigned char)*s))
		s++;
	while (close > s && isspace((unsigned char)close[-1]))
		close--;
	len = (size_t)(close - s);
	if (len == 0 || len >= sizeof(name)) {
		fail_at(ld, MT_EINVAL, "expected a section name inside [ ]");
		return;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	add_section(ld, name);
}

/* ini_reader: exactly one line per call, counted. */
static char *reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	const char *nl;
	size_t n;

	if (ld->failed || ld->pos >= ld->end)
		return NULL;
	nl = memchr(ld->pos, '\n', (size_t)(ld->end - ld->pos));
	n = nl ? (size_t)(nl - ld->pos) + 1 : (size_t)(ld->end - ld->pos);
	ld->line++;
	if (n + 1 > (size_t)num) {
		char max[32];

		snprintf(max, sizeof(max), "%d", num - 2);
		fail_at(ld, MT_EINVAL, "line too long, expected at most %s characters", max);
		return NULL;
	}
	memcpy(str, ld->pos, n);
	str[n] = '\0';
	ld->pos += n;
	scan_header(ld, str, n);
	return ld->failed ? NULL : str;
}

static int add_entry(struct loader *ld, const char *key, const char *value)
{
	struct sc_section *sec = ld->cur;
	struct sc_entry *ne = realloc(sec->entries, (sec->nentries + 1) * sizeof(*ne));

	if (!ne)
		return fail_at(ld, MT_ENOMEM, "out of memory");
	sec->entries = ne;
	ne = &sec->entries[sec->nentries];
	memset(ne, 0, sizeof(*ne));
	ne->key = strdup(key);
	ne->value = strdup(value);
	ne->line = ld->line;
	sec->nentries++;
	if (!ne->key || !ne->value)
		return fail_at(ld, MT_ENOMEM, "out of memory");
	return 0;
}

/* ini_handler: records key = value under the current section. Always returns 1 (success to
 * inih); our own first error stops the reader instead. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;

	if (ld->failed)
		return 1;
	(void)section; /* ours is trimmed and not truncated to inih's 50 bytes: use ld->cur */
	if (!ld->cur) {
		fail_at(ld, MT_EINVAL, "key '%s' outside a section, expected it under [global]",
			name);
		return 1;
	}
	if (!*name) {
		fail_at(ld, MT_EINVAL, "expected 'key = value', got '= %s'", value ? value : "");
		return 1;
	}
	add_entry(ld, name, value ? value : "");
	return 1;
}

/* The text of line n (1-based), trimmed, for syntax messages. */
static void line_text(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;
	size_t l;

	for (int i = 1; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p) {
		snprintf(buf, len, "%s", "");
		return;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	l = strcspn(p, "\r\n");
	snprintf(buf, len, "%.*s", (int)(l > 200 ? 200 : l), p);
}

static int has_content(const struct mt_scenario_priv *pv)
{
	return pv->nsecs > 0;
}

int mt_sc_parse_ini(const char *text, const char *name, struct mt_scenario_priv *priv,
		    struct mt_error *err)
{
	struct loader ld = { 0 };
	char got[256];
	int rc;

	ld.pos = text;
	ld.end = text + strlen(text);
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		ld.pos += 3; /* a UTF-8 byte order mark (Windows editors) is not content */
	ld.name = name;
	ld.priv = priv;
	ld.err = err;
	/* Debian's inih exposes its compile-time knobs as globals; set them every time so the
	 * format does not depend on what another caller changed. */
	ini_max_line = SC_LINE_MAX;
	ini_allow_multiline = 0;     /* an indented line is a line, not a continuation */
	ini_stop_on_first_error = 1; /* its first syntax error is the one we report */
	ini_allow_no_value = 0;
	rc = ini_parse_stream(reader, &ld, handler, &ld);
	if (ld.failed)
		return err ? err->code : MT_EINVAL;
	if (rc == -2)
		return mt_err(err, MT_ENOMEM, "%s: out of memory", name);
	if (rc != 0) {
		line_text(text, rc, got, sizeof(got));
		return mt_err(err, MT_EINVAL, "%s:%d: expected 'key = value' or '[section]', got '%s'",
			      name, rc, got);
	}
	if (!has_content(priv))
		return mt_err(err, MT_EINVAL,
			      "%s: empty scenario (only comments or blank lines), expected sections "
			      "such as [global]",
			      name);
	return 0;
}

void mt_sc_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void mt_sc_priv_free(struct mt_scenario_priv *priv)
{
	if (!priv)
		return;
	for (size_t i = 0; i < priv->nsecs; i++) {
		struct sc_section *sec = &priv->secs[i];

		for (size_t j = 0; j < sec->nentries; j++) {
			free(sec->entries[j].key);
			free(sec->entries[j].value);
			mt_sc_strv_free(sec->entries[j].alts, sec->entries[j].nalts);
		}
		free(sec->entries);
		free(sec->name);
	}
	free(priv->secs);
	priv->secs = NULL;
	priv->nsecs = 0;
}
