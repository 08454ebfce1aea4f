/* option_doc.c — describing option tables to people: range texts for error messages, the
 * plain-text table for --help and the Markdown table for docs/scenario-reference.md. */
#include <stdio.h>
#include <string.h>

#include "migtorture/option.h"
#include "migtorture/units.h"
#include "option_priv.h"

int mt_option_has_max(const struct mt_option *opt)
{
	return opt->max > opt->min;
}

const char *mt_option_type_name(enum mt_opt_type t)
{
	switch (t) {
	case MT_OPT_STR: return "text";
	case MT_OPT_INT: return "integer";
	case MT_OPT_DOUBLE: return "number";
	case MT_OPT_BOOL: return "bool";
	case MT_OPT_DURATION: return "duration";
	case MT_OPT_SIZE: return "size";
	case MT_OPT_BITRATE: return "bit rate";
	case MT_OPT_BYTERATE: return "byte rate";
	case MT_OPT_PERCENT: return "percent";
	case MT_OPT_ENUM: return "choice";
	}
	return "?";
}

/* Article + noun + example for the expected-texts: matches the unit parsers' wording. */
static const char *type_phrase(enum mt_opt_type t)
{
	switch (t) {
	case MT_OPT_INT: return "an integer";
	case MT_OPT_DOUBLE: return "a number";
	case MT_OPT_DURATION: return "a duration";
	case MT_OPT_SIZE: return "a size";
	case MT_OPT_BITRATE: return "a bit rate";
	case MT_OPT_BYTERATE: return "a byte rate";
	case MT_OPT_PERCENT: return "a percentage";
	default: return "a value";
	}
}

void mt_option_fmt_bound(const struct mt_option *opt, double v, char *buf, size_t len)
{
	char tmp[64];

	switch (opt->type) {
	case MT_OPT_DURATION:
		mt_fmt_duration((int64_t)v, buf, len);
		return;
	case MT_OPT_SIZE:
		mt_fmt_size((uint64_t)v, buf, len);
		return;
	case MT_OPT_BYTERATE:
		mt_fmt_size((uint64_t)v, tmp, sizeof(tmp));
		snprintf(buf, len, "%s/s", tmp);
		return;
	case MT_OPT_BITRATE:
		mt_fmt_bitrate((uint64_t)v, buf, len);
		return;
	case MT_OPT_PERCENT:
		snprintf(buf, len, "%g%%", v);
		return;
	case MT_OPT_INT:
		/* the top of int64 does not survive a double: name it exactly */
		if (v >= 9223372036854775807.0)
			snprintf(buf, len, "9223372036854775807");
		else
			snprintf(buf, len, "%.0f", v);
		return;
	default:
		snprintf(buf, len, "%.15g", v);
		return;
	}
}

void mt_option_range_text(const struct mt_option *opt, char *buf, size_t len)
{
	char lo[64], hi[64];

	if (opt->type == MT_OPT_ENUM) {
		size_t off = (size_t)snprintf(buf, len, "one of ");

		for (size_t i = 0; opt->choices && opt->choices[i] && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
						opt->choices[i]);
		return;
	}
	mt_option_fmt_bound(opt, opt->min, lo, sizeof(lo));
	mt_option_fmt_bound(opt, opt->max, hi, sizeof(hi));
	if (opt->min == 0 && opt->max == 0)
		snprintf(buf, len, "%s", type_phrase(opt->type));
	else if (!mt_option_has_max(opt))
		snprintf(buf, len, "%s of at least %s", type_phrase(opt->type), lo);
	else
		snprintf(buf, len, "%s between %s and %s", type_phrase(opt->type), lo, hi);
}

/* The "Values" column: range, choices or the type's accepted units. */
static void values_text(const struct mt_option *opt, char *buf, size_t len)
{
	char lo[64], hi[64];

	if (opt->type == MT_OPT_ENUM || opt->type == MT_OPT_BOOL) {
		if (opt->type == MT_OPT_BOOL)
			snprintf(buf, len, "yes, no");
		else
			mt_option_range_text(opt, buf, len);
		if (opt->type == MT_OPT_ENUM && strncmp(buf, "one of ", 7) == 0)
			memmove(buf, buf + 7, strlen(buf + 7) + 1);
		return;
	}
	if (opt->min == 0 && opt->max == 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	mt_option_fmt_bound(opt, opt->min, lo, sizeof(lo));
	mt_option_fmt_bound(opt, opt->max, hi, sizeof(hi));
	if (mt_option_has_max(opt))
		snprintf(buf, len, "%s .. %s", lo, hi);
	else
		snprintf(buf, len, "≥ %s", lo);
}

static void flags_text(const struct mt_option *opt, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", (opt->flags & MT_OPTF_REQUIRED) ? " required" : "",
		 (opt->flags & MT_OPTF_AXIS) ? " axis" : "",
		 (opt->flags & MT_OPTF_MULTI) ? " repeatable" : "",
		 (opt->flags & MT_OPTF_SECRET) ? " secret" : "");
}

/* Markdown cells must not contain '|' or newlines. */
static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

void mt_option_table_markdown(const struct mt_option *table, FILE *f)
{
	char vals[512], flags[64];

	fputs("| Key | Type | Default | Values | Flags | Description |\n", f);
	fputs("|---|---|---|---|---|---|\n", f);
	for (; table && table->name; table++) {
		values_text(table, vals, sizeof(vals));
		flags_text(table, flags, sizeof(flags));
		fprintf(f, "| `%s` | %s | ", table->name, mt_option_type_name(table->type));
		if (table->def && *table->def) {
			fputc('`', f);
			md_cell(f, table->def);
			fputc('`', f);
		}
		fputs(" | ", f);
		md_cell(f, vals);
		fprintf(f, " |%s | ", flags[0] ? flags : "");
		md_cell(f, table->help);
		fputs(" |\n", f);
	}
}

void mt_option_table_help(const struct mt_option *table, FILE *f)
{
	char vals[512], flags[64], left[96];

	for (; table && table->name; table++) {
		values_text(table, vals, sizeof(vals));
		flags_text(table, flags, sizeof(flags));
		snprintf(left, sizeof(left), "%s=%s", table->name,
			 mt_option_type_name(table->type));
		fprintf(f, "  %-28s %s", left, table->help ? table->help : "");
		if (table->def && *table->def)
			fprintf(f, " (default %s)", table->def);
		if (vals[0])
			fprintf(f, " [%s]", vals);
		if (flags[0])
			fprintf(f, " {%s}", flags + 1);
		fputc('\n', f);
	}
}
