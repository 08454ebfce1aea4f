/* params.c — the mt_params container: set/replace values in table order, the "k=v k2=\"v\""
 * text parser, defaults and required keys, lookups, and the canonical text form. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "migtorture/option.h"
#include "option_priv.h"

/* Row index of opt inside table (rows outside the table sort last). */
static size_t row_of(const struct mt_option *table, const struct mt_option *opt)
{
	size_t i = 0;

	for (; table && table[i].name; i++)
		if (&table[i] == opt)
			return i;
	return (size_t)-1;
}

static void value_free(struct mt_value *v)
{
	free(v->text);
	v->text = NULL;
}

/* Inserts v (taken over) after every value whose row is <= its row: keeps table order and,
 * for MULTI keys, the order of writing. */
static int insert_sorted(struct mt_params *p, const struct mt_value *v)
{
	size_t row = row_of(p->table, v->opt), at = p->n;

	if (mt_grow((void **)&p->vals, &p->cap, p->n, sizeof(*p->vals)) < 0)
		return MT_ENOMEM;
	while (at > 0 && row_of(p->table, p->vals[at - 1].opt) > row)
		at--;
	memmove(&p->vals[at + 1], &p->vals[at], (p->n - at) * sizeof(*p->vals));
	p->vals[at] = *v;
	p->n++;
	return 0;
}

static int unknown_key(const struct mt_option *table, const char *key, struct mt_error *err)
{
	const char *hint = mt_option_suggest(table, key);
	char known[512];
	size_t off = 0;

	if (hint)
		return mt_err(err, MT_EINVAL, "key '%s': unknown key, did you mean '%s'?", key,
			      hint);
	known[0] = '\0';
	for (const struct mt_option *o = table; o && o->name && off < sizeof(known); o++)
		off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
					off ? ", " : "", o->name);
	return mt_err(err, MT_EINVAL, "key '%s': unknown key (known: %s)", key,
		      known[0] ? known : "none");
}

int mt_params_set(struct mt_params *p, const struct mt_option *table, const char *key,
		  const char *text, int line, struct mt_error *err)
{
	const struct mt_option *opt = mt_option_find(table, key);
	struct mt_value v;
	int rc;

	if (!opt)
		return unknown_key(table, key, err);
	rc = mt_option_parse_value(opt, text, &v, err);
	if (rc)
		return rc;
	v.line = line;
	if (!p->table)
		p->table = table;
	if (!(opt->flags & MT_OPTF_MULTI)) {
		for (size_t i = 0; i < p->n; i++) {
			if (p->vals[i].opt == opt) {
				value_free(&p->vals[i]);
				p->vals[i] = v;
				return 0;
			}
		}
	}
	rc = insert_sorted(p, &v);
	if (rc) {
		value_free(&v);
		return mt_err(err, rc, "key '%s': out of memory", key);
	}
	return 0;
}

int mt_params_finish(struct mt_params *p, const struct mt_option *table, struct mt_error *err)
{
	int rc;

	if (!p->table)
		p->table = table;
	for (const struct mt_option *o = table; o && o->name; o++) {
		struct mt_value v;

		if (mt_params_get(p, o->name))
			continue;
		if (o->flags & MT_OPTF_REQUIRED)
			return mt_err(err, MT_EINVAL, "key '%s': required but not given", o->name);
		if (!o->def)
			continue;
		rc = mt_option_parse_value(o, o->def, &v, err);
		if (rc) {
			mt_err_prefix(err, "bad default in option table");
			return rc;
		}
		v.is_default = 1;
		rc = insert_sorted(p, &v);
		if (rc) {
			value_free(&v);
			return mt_err(err, rc, "key '%s': out of memory", o->name);
		}
	}
	return 0;
}

/* Reads a value at *s: "quoted with \" and \\ escapes" or up to whitespace. Returns a malloc'd
 * copy and advances *s, or NULL (err filled) on an unterminated quote or no memory. */
static char *read_value(const char **s, const char *key, struct mt_error *err)
{
	const char *p = *s;
	char *out = malloc(strlen(p) + 1);
	size_t n = 0;

	if (!out) {
		mt_err(err, MT_ENOMEM, "key '%s': out of memory", key);
		return NULL;
	}
	if (*p != '"') {
		while (*p && !isspace((unsigned char)*p))
			out[n++] = *p++;
	} else {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			out[n++] = *p;
		}
		if (*p != '"') {
			free(out);
			mt_err(err, MT_EINVAL, "key '%s': expected a closing '\"', got '%s'", key,
			       *s);
			return NULL;
		}
		p++;
	}
	out[n] = '\0';
	*s = p;
	return out;
}

/* One "key=value" token at *s (no leading space). */
static int parse_pair(const struct mt_option *table, const char **s, int line,
		      struct mt_params *p, struct mt_error *err)
{
	const char *eq = *s, *val;
	char key[128], *text;
	size_t klen;
	int rc;

	while (*eq && *eq != '=' && !isspace((unsigned char)*eq))
		eq++;
	klen = (size_t)(eq - *s);
	if (*eq != '=' || klen == 0 || klen >= sizeof(key)) {
		int wl = (int)strcspn(*s, " \t\r\n");

		return mt_err(err, MT_EINVAL, "expected key=value, got '%.*s'", wl, *s);
	}
	memcpy(key, *s, klen);
	key[klen] = '\0';
	val = eq + 1;
	text = read_value(&val, key, err);
	if (!text)
		return err ? err->code : MT_EINVAL;
	rc = mt_params_set(p, table, key, text, line, err);
	free(text);
	if (rc == 0 && *val && !isspace((unsigned char)*val))
		rc = mt_err(err, MT_EINVAL, "key '%s': expected a space after the value, got '%s'",
			    key, val);
	*s = val;
	return rc;
}

int mt_params_parse(const struct mt_option *table, const char *text, int line,
		    struct mt_params *p, struct mt_error *err)
{
	const char *s = text ? text : "";
	int rc = 0;

	p->table = table;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		rc = parse_pair(table, &s, line, p, err);
		if (rc)
			goto out;
	}
	rc = mt_params_finish(p, table, err);
out:
	return rc;
}

int mt_params_copy(struct mt_params *dst, const struct mt_params *src)
{
	dst->table = src->table;
	dst->n = 0;
	dst->cap = 0;
	dst->vals = NULL;
	if (src->n == 0)
		return 0;
	dst->vals = calloc(src->n, sizeof(*dst->vals));
	if (!dst->vals)
		return MT_ENOMEM;
	dst->cap = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->vals[i] = src->vals[i];
		dst->vals[i].text = strdup(src->vals[i].text ? src->vals[i].text : "");
		if (!dst->vals[i].text) {
			mt_params_free(dst);
			return MT_ENOMEM;
		}
		dst->n++;
	}
	return 0;
}

void mt_params_free(struct mt_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		value_free(&p->vals[i]);
	free(p->vals);
	p->vals = NULL;
	p->n = 0;
	p->cap = 0;
}

const struct mt_value *mt_params_get(const struct mt_params *p, const char *key)
{
	if (!p || !key)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vals[i].opt->name, key) == 0)
			return &p->vals[i];
	return NULL;
}

const char *mt_params_str(const struct mt_params *p, const char *key, const char *fallback)
{
	const struct mt_value *v = mt_params_get(p, key);

	return v ? v->text : fallback;
}

/* Numeric getters convert between the union members by the row's type, so asking a SIZE for
 * i64 or a DURATION for u64 gives the number, not a reinterpreted bit pattern. */
int64_t mt_params_i64(const struct mt_params *p, const char *key, int64_t fallback)
{
	const struct mt_value *v = mt_params_get(p, key);

	if (!v || v->opt->type == MT_OPT_STR)
		return fallback;
	switch (v->opt->type) {
	case MT_OPT_SIZE:
	case MT_OPT_BITRATE:
	case MT_OPT_BYTERATE:
		return v->v.u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v->v.u;
	case MT_OPT_DOUBLE:
	case MT_OPT_PERCENT:
		return (int64_t)v->v.d;
	default:
		return v->v.i;
	}
}

uint64_t mt_params_u64(const struct mt_params *p, const char *key, uint64_t fallback)
{
	const struct mt_value *v = mt_params_get(p, key);

	if (!v || v->opt->type == MT_OPT_STR)
		return fallback;
	switch (v->opt->type) {
	case MT_OPT_SIZE:
	case MT_OPT_BITRATE:
	case MT_OPT_BYTERATE:
		return v->v.u;
	case MT_OPT_DOUBLE:
	case MT_OPT_PERCENT:
		return v->v.d < 0 ? 0 : (uint64_t)v->v.d;
	default:
		return v->v.i < 0 ? 0 : (uint64_t)v->v.i;
	}
}

double mt_value_dbl(const struct mt_value *v)
{
	switch (v->opt->type) {
	case MT_OPT_SIZE:
	case MT_OPT_BITRATE:
	case MT_OPT_BYTERATE:
		return (double)v->v.u;
	case MT_OPT_DOUBLE:
	case MT_OPT_PERCENT:
		return v->v.d;
	default:
		return (double)v->v.i;
	}
}

double mt_params_dbl(const struct mt_params *p, const char *key, double fallback)
{
	const struct mt_value *v = mt_params_get(p, key);

	return !v || v->opt->type == MT_OPT_STR ? fallback : mt_value_dbl(v);
}

/* Appends s to the growing buffer; with quote_if_needed, values holding spaces, quotes or
 * backslashes (or empty ones) are written "quoted" with \ escapes so the text parses back. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, int quote_if_needed)
{
	int quote = quote_if_needed && (!*s || strpbrk(s, " \t\"\\") != NULL);
	size_t need = *len + 2 * strlen(s) + 4;

	if (need > *cap) {
		char *nb = realloc(*buf, need * 2);

		if (!nb)
			return MT_ENOMEM;
		*buf = nb;
		*cap = need * 2;
	}
	if (quote)
		(*buf)[(*len)++] = '"';
	for (; *s; s++) {
		if (quote && (*s == '"' || *s == '\\'))
			(*buf)[(*len)++] = '\\';
		(*buf)[(*len)++] = *s;
	}
	if (quote)
		(*buf)[(*len)++] = '"';
	(*buf)[*len] = '\0';
	return 0;
}

char *mt_params_format(const struct mt_params *p)
{
	size_t len = 0, cap = 64;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; p && i < p->n; i++) {
		const struct mt_value *v = &p->vals[i];
		const char *text = (v->opt->flags & MT_OPTF_SECRET) ? "***" : v->text;

		if (v->is_default)
			continue; /* "as written": defaults are the table's business */
		if (append(&buf, &len, &cap, len ? " " : "", 0) ||
		    append(&buf, &len, &cap, v->opt->name, 0) ||
		    append(&buf, &len, &cap, "=", 0) || append(&buf, &len, &cap, text, 1)) {
			free(buf);
			return NULL;
		}
	}
	return buf;
}

/* The table's default of key as a value in *tmp (tmp->text owned: free it), or NULL. */
static const struct mt_value *table_default(const struct mt_params *p, const char *key,
					    struct mt_value *tmp)
{
	const struct mt_option *opt = p ? mt_option_find(p->table, key) : NULL;
	struct mt_error err = { 0 };

	memset(tmp, 0, sizeof(*tmp));
	if (!opt || !opt->def || mt_option_parse_value(opt, opt->def, tmp, &err) < 0)
		return NULL;
	tmp->opt = opt;
	return tmp;
}

const char *mt_param_str(const struct mt_params *p, const char *key)
{
	const struct mt_value *v = mt_params_get(p, key);
	const struct mt_option *opt;

	if (v)
		return v->text;
	opt = p ? mt_option_find(p->table, key) : NULL;
	return opt ? opt->def : NULL;
}

/* key's value, else its table default parsed, into *out (opt and v only: text is NULL);
 * 0 when there is neither. The numeric getters share it so the lookup order lives once. */
static int param_value(const struct mt_params *p, const char *key, struct mt_value *out)
{
	const struct mt_value *v = mt_params_get(p, key);

	if (v)
		*out = *v;
	else if (!table_default(p, key, out))
		return 0;
	else
		free(out->text);
	out->text = NULL;
	return 1;
}

int64_t mt_param_i64(const struct mt_params *p, const char *key)
{
	struct mt_value v;
	struct mt_params one = { .vals = &v, .n = 1 };

	return param_value(p, key, &v) ? mt_params_i64(&one, key, 0) : 0;
}

uint64_t mt_param_u64(const struct mt_params *p, const char *key)
{
	struct mt_value v;
	struct mt_params one = { .vals = &v, .n = 1 };

	return param_value(p, key, &v) ? mt_params_u64(&one, key, 0) : 0;
}

double mt_param_dbl(const struct mt_params *p, const char *key)
{
	struct mt_value v;
	struct mt_params one = { .vals = &v, .n = 1 };

	return param_value(p, key, &v) ? mt_params_dbl(&one, key, 0) : 0;
}
