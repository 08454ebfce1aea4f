/* option.c — one value against one option-table row: type conversion, range and choices.
 *
 * The key=value text parser and the mt_params container live in params.c; the table writers
 * (--help, Markdown) in option_doc.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/option.h"
#include "migtorture/units.h"
#include "option_priv.h"
#include "suggest.h"

const struct mt_option *mt_option_find(const struct mt_option *table, const char *name)
{
	if (!table || !name)
		return NULL;
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

const char *mt_option_suggest(const struct mt_option *table, const char *name)
{
	const char *cands[256];
	size_t n = 0;

	if (!table || !name)
		return NULL;
	for (; table->name && n < sizeof(cands) / sizeof(cands[0]); table++)
		cands[n++] = table->name;
	return mt_suggest_name(name, cands, n);
}

static int parse_enum(const struct mt_option *opt, const char *text, struct mt_value *out,
		      char *why, size_t whylen)
{
	char list[512];

	for (size_t i = 0; opt->choices && opt->choices[i]; i++) {
		if (strcmp(opt->choices[i], text) == 0) {
			out->v.i = (int64_t)i;
			return 0;
		}
	}
	mt_option_range_text(opt, list, sizeof(list));
	snprintf(why, whylen, "expected %s, got '%s'", list, text);
	return MT_EINVAL;
}

/* Converts text by type into out->v; fills why on error. No range check here. */
static int convert(const struct mt_option *opt, const char *text, struct mt_value *out,
		   char *why, size_t whylen)
{
	long long ll;
	int b, rc;

	switch (opt->type) {
	case MT_OPT_STR:
		return 0;
	case MT_OPT_INT:
		rc = mt_parse_int(text, LLONG_MIN, LLONG_MAX, &ll, why, whylen);
		if (rc == 0) {
			out->v.i = ll;
		} else {
			/* say the row's range, not the whole of long long */
			char what[160];

			mt_option_range_text(opt, what, sizeof(what));
			snprintf(why, whylen, "expected %s, got '%s'", what, text);
		}
		return rc;
	case MT_OPT_DOUBLE:
		return mt_parse_double(text, &out->v.d, why, whylen);
	case MT_OPT_BOOL:
		rc = mt_parse_bool(text, &b, why, whylen);
		if (rc == 0)
			out->v.i = b;
		return rc;
	case MT_OPT_DURATION:
		return mt_parse_duration(text, &out->v.i, why, whylen);
	case MT_OPT_SIZE:
		return mt_parse_size(text, &out->v.u, why, whylen);
	case MT_OPT_BITRATE:
		return mt_parse_bitrate(text, &out->v.u, why, whylen);
	case MT_OPT_BYTERATE:
		return mt_parse_byterate(text, &out->v.u, why, whylen);
	case MT_OPT_PERCENT:
		return mt_parse_percent(text, &out->v.d, why, whylen);
	case MT_OPT_ENUM:
		return parse_enum(opt, text, out, why, whylen);
	}
	snprintf(why, whylen, "expected a known option type, got '%s'", text);
	return MT_EINVAL;
}

static int range_checked(const struct mt_option *opt)
{
	switch (opt->type) {
	case MT_OPT_STR:
	case MT_OPT_BOOL:
	case MT_OPT_ENUM:
		return 0;
	default:
		return opt->min != 0 || opt->max != 0;
	}
}

static int check_range(const struct mt_option *opt, const char *text, const struct mt_value *v,
		       char *why, size_t whylen)
{
	char what[160];
	double x;

	if (!range_checked(opt))
		return 0;
	x = mt_value_dbl(v);
	if (x >= opt->min && (x <= opt->max || !mt_option_has_max(opt)))
		return 0;
	mt_option_range_text(opt, what, sizeof(what));
	snprintf(why, whylen, "expected %s, got '%s'", what, text);
	return MT_EINVAL;
}

int mt_option_parse_value(const struct mt_option *opt, const char *text, struct mt_value *out,
			  struct mt_error *err)
{
	char why[600] = "";
	int rc;

	memset(out, 0, sizeof(*out));
	out->opt = opt;
	if (!text)
		text = "";
	rc = convert(opt, text, out, why, sizeof(why));
	if (rc == 0)
		rc = check_range(opt, text, out, why, sizeof(why));
	if (rc) {
		memset(out, 0, sizeof(*out));
		return mt_err(err, MT_EINVAL, "key '%s': %s", opt->name, why);
	}
	out->text = strdup(text);
	if (!out->text)
		return mt_err(err, MT_ENOMEM, "key '%s': out of memory", opt->name);
	return 0;
}
