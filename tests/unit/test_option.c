/* test_option.c — the option table runtime (option.h): one value by type with ranges, the
 * key=value parser with quoting, defaults, required keys, did-you-mean, getters, format, and
 * the help/Markdown writers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/option.h"
#include "test_util.h"

static const char *const shapes[] = { "square", "sine", NULL };

static const struct mt_option table[] = {
	{ "delay", MT_OPT_DURATION, "0s", "one-way delay", NULL, 0, 10e9, 0 },
	{ "jitter", MT_OPT_DURATION, NULL, "delay variation", NULL, 0, 0, 0 },
	{ "loss", MT_OPT_PERCENT, NULL, "packet loss", NULL, 0, 0, 0 },
	{ "rate", MT_OPT_BITRATE, NULL, "rate limit", NULL, 1000, 0, 0 },
	{ "size", MT_OPT_SIZE, "64M", "buffer size", NULL, 0, 0, 0 },
	{ "bw", MT_OPT_BYTERATE, NULL, "bandwidth", NULL, 0, 0, 0 },
	{ "count", MT_OPT_INT, "1", "how many", NULL, 1, 100, 0 },
	{ "ratio", MT_OPT_DOUBLE, NULL, "a ratio", NULL, 0, 1, 0 },
	{ "verify", MT_OPT_BOOL, "no", "verify pages", NULL, 0, 0, 0 },
	{ "shape", MT_OPT_ENUM, "square", "flap shape", shapes, 0, 0, 0 },
	{ "url", MT_OPT_STR, NULL, "where to fetch", NULL, 0, 0, MT_OPTF_REQUIRED },
	{ "token", MT_OPT_STR, NULL, "credential file", NULL, 0, 0, MT_OPTF_SECRET },
	{ "tag", MT_OPT_STR, NULL, "a label", NULL, 0, 0, MT_OPTF_MULTI },
	MT_OPTION_END,
};

START_TEST(parse_value_by_type)
{
	struct mt_error err = { 0 };
	struct mt_value v;

	ck_assert_int_eq(mt_option_parse_value(&table[0], "250ms", &v, &err), 0);
	ck_assert_int_eq(v.v.i, 250000000);
	ck_assert_str_eq(v.text, "250ms");
	ck_assert_ptr_eq(v.opt, &table[0]);
	free(v.text);
	ck_assert_int_eq(mt_option_parse_value(&table[4], "2GiB", &v, &err), 0);
	ck_assert(v.v.u == 2ULL << 30);
	free(v.text);
	ck_assert_int_eq(mt_option_parse_value(&table[9], "sine", &v, &err), 0);
	ck_assert_int_eq(v.v.i, 1);
	free(v.text);
	ck_assert_int_eq(mt_option_parse_value(&table[8], "yes", &v, &err), 0);
	ck_assert_int_eq(v.v.i, 1);
	free(v.text);
	ck_assert_int_eq(mt_option_parse_value(&table[2], "1.5%", &v, &err), 0);
	ck_assert_double_eq_tol(v.v.d, 1.5, 1e-12);
	free(v.text);
}
END_TEST

START_TEST(parse_value_errors)
{
	struct mt_error err = { 0 };
	struct mt_value v;

	ck_assert_int_eq(mt_option_parse_value(&table[0], "abc", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'delay': expected a duration like 250ms, got 'abc'");
	ck_assert_ptr_null(v.text);
	ck_assert_int_eq(mt_option_parse_value(&table[0], "11s", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'delay': expected a duration between 0s and 10s, got '11s'");
	ck_assert_int_eq(mt_option_parse_value(&table[6], "0", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'count': expected an integer between 1 and 100, got '0'");
	ck_assert_int_eq(mt_option_parse_value(&table[3], "999bit", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg,
			 "key 'rate': expected a bit rate of at least 1kbit/s, got '999bit'");
	ck_assert_int_eq(mt_option_parse_value(&table[9], "saw", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'shape': expected one of square, sine, got 'saw'");
	ck_assert_int_eq(mt_option_parse_value(&table[7], "1.5", &v, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'ratio': expected a number between 0 and 1, got '1.5'");
}
END_TEST

START_TEST(params_parse_defaults_quotes)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };
	const struct mt_value *v;

	ck_assert_int_eq(mt_params_parse(table,
					 "  delay=20ms url=\"http://x/a b\" loss=1%\tcount=3 ", 7,
					 &p, &err), 0);
	ck_assert_int_eq(mt_params_i64(&p, "delay", -1), 20000000);
	ck_assert_str_eq(mt_params_str(&p, "url", NULL), "http://x/a b");
	ck_assert_double_eq_tol(mt_params_dbl(&p, "loss", 0), 1.0, 1e-12);
	ck_assert_int_eq(mt_params_i64(&p, "count", 0), 3);
	/* defaults filled, marked, line 0 */
	v = mt_params_get(&p, "size");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->is_default, 1);
	ck_assert_int_eq(v->line, 0);
	ck_assert(mt_params_u64(&p, "size", 0) == 64ULL << 20);
	ck_assert_str_eq(mt_params_str(&p, "shape", NULL), "square");
	/* given values carry the line */
	ck_assert_int_eq(mt_params_get(&p, "delay")->line, 7);
	ck_assert_int_eq(mt_params_get(&p, "delay")->is_default, 0);
	/* absent without default → fallback */
	ck_assert_ptr_null(mt_params_get(&p, "jitter"));
	ck_assert_int_eq(mt_params_i64(&p, "jitter", -5), -5);
	ck_assert_str_eq(mt_params_str(&p, "jitter", "fb"), "fb");
	/* values are kept in table order */
	for (size_t i = 1; i < p.n; i++)
		ck_assert(p.vals[i - 1].opt < p.vals[i].opt);
	mt_params_free(&p);
	ck_assert_int_eq((int)p.n, 0);
}
END_TEST

START_TEST(params_escapes_replace_multi)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };

	ck_assert_int_eq(mt_params_parse(table,
					 "url=\"a \\\"q\\\" \\\\b\" count=2 count=4 tag=x tag=y",
					 1, &p, &err), 0);
	ck_assert_str_eq(mt_params_str(&p, "url", NULL), "a \"q\" \\b");
	ck_assert_int_eq(mt_params_i64(&p, "count", 0), 4); /* replaced */
	{
		int tags = 0;

		for (size_t i = 0; i < p.n; i++)
			if (strcmp(p.vals[i].opt->name, "tag") == 0)
				ck_assert_str_eq(p.vals[i].text, tags++ ? "y" : "x");
		ck_assert_int_eq(tags, 2); /* MULTI accumulates in written order */
	}
	mt_params_free(&p);
}
END_TEST

START_TEST(params_errors)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };

	ck_assert_int_eq(mt_params_parse(table, "url=x delya=20ms", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'delya': unknown key, did you mean 'delay'?");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=x zzzzzzzz=1", 1, &p, &err), MT_EINVAL);
	ck_assert_msg(strncmp(err.msg, "key 'zzzzzzzz': unknown key (known: delay, jitter", 49) == 0,
		      "%s", err.msg);
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "delay=5ms", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'url': required but not given");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=x delay", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "expected key=value, got 'delay'");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=\"open", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'url': expected a closing '\"', got '\"open'");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=\"a\"b", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'url': expected a space after the value, got 'b'");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=x =3", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "expected key=value, got '=3'");
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(table, "url=x delay=3", 1, &p, &err), MT_EINVAL);
	ck_assert_str_eq(err.msg, "key 'delay': expected a duration like 250ms, got '3'");
	mt_params_free(&p);
}
END_TEST

START_TEST(params_empty_text_only_defaults)
{
	static const struct mt_option small[] = {
		{ "a", MT_OPT_INT, "5", "a", NULL, 0, 0, 0 },
		{ "b", MT_OPT_STR, NULL, "b", NULL, 0, 0, 0 },
		MT_OPTION_END,
	};
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };
	char *s;

	ck_assert_int_eq(mt_params_parse(small, "", 1, &p, &err), 0);
	ck_assert_int_eq((int)p.n, 1);
	ck_assert_int_eq(mt_params_i64(&p, "a", 0), 5);
	s = mt_params_format(&p);
	ck_assert_str_eq(s, ""); /* defaults are not "as written" */
	free(s);
	mt_params_free(&p);
	ck_assert_int_eq(mt_params_parse(small, NULL, 1, &p, &err), 0);
	mt_params_free(&p);
}
END_TEST

START_TEST(format_and_round_trip)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 }, q = { 0 }, c = { 0 };
	char *s, *s2;

	ck_assert_int_eq(mt_params_parse(table,
					 "token=/etc/secret url=\"a b\" delay=20ms tag=\"\" tag=z", 1,
					 &p, &err), 0);
	s = mt_params_format(&p);
	ck_assert_str_eq(s, "delay=20ms url=\"a b\" token=*** tag=\"\" tag=z");
	ck_assert_int_eq(mt_params_copy(&c, &p), 0);
	s2 = mt_params_format(&c);
	ck_assert_str_eq(s, s2);
	free(s2);
	/* without the secret, the text parses back to the same text */
	ck_assert_int_eq(mt_params_parse(table, "url=\"a \\\"b\" delay=20ms", 1, &q, &err), 0);
	free(s);
	s = mt_params_format(&q);
	ck_assert_str_eq(s, "delay=20ms url=\"a \\\"b\"");
	mt_params_free(&q);
	ck_assert_int_eq(mt_params_parse(table, s, 1, &q, &err), 0);
	ck_assert_str_eq(mt_params_str(&q, "url", NULL), "a \"b");
	free(s);
	mt_params_free(&q);
	mt_params_free(&p);
	mt_params_free(&c);
}
END_TEST

START_TEST(set_and_finish)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };

	ck_assert_int_eq(mt_params_set(&p, table, "url", "u1", 3, &err), 0);
	ck_assert_int_eq(mt_params_set(&p, table, "url", "u2", 4, &err), 0);
	ck_assert_str_eq(mt_params_str(&p, "url", NULL), "u2");
	ck_assert_int_eq(mt_params_get(&p, "url")->line, 4);
	ck_assert_int_eq(mt_params_set(&p, table, "nope", "1", 5, &err), MT_EINVAL);
	ck_assert_int_eq(mt_params_finish(&p, table, &err), 0);
	ck_assert_int_eq(mt_params_i64(&p, "count", 0), 1);
	mt_params_free(&p);
}
END_TEST

/* mt_param_*: the value, else the table's default (even before finish), else 0 / NULL — the
 * default written once, in the table. */
START_TEST(param_defaults_from_the_table)
{
	struct mt_error err = { 0 };
	struct mt_params p = { 0 };

	ck_assert_int_eq(mt_params_set(&p, table, "delay", "20ms", 1, &err), 0);
	ck_assert_int_eq(mt_param_i64(&p, "delay"), 20000000);       /* the value */
	ck_assert_uint_eq(mt_param_u64(&p, "size"), 64u << 20);       /* the table's 64M */
	ck_assert_int_eq(mt_param_i64(&p, "count"), 1);
	ck_assert_int_eq(mt_param_i64(&p, "verify"), 0);
	ck_assert_str_eq(mt_param_str(&p, "shape"), "square");
	ck_assert_ptr_null(mt_param_str(&p, "url"));                 /* no default */
	ck_assert_int_eq(mt_param_i64(&p, "jitter"), 0);
	/* a table default converts by its row's type like a value does */
	ck_assert_int_eq(mt_param_i64(&p, "size"), 64 << 20);
	ck_assert(mt_param_dbl(&p, "size") == 64.0 * 1048576.0);
	ck_assert_uint_eq(mt_param_u64(&p, "delay"), 20000000);
	ck_assert(mt_param_dbl(&p, "count") == 1.0);
	ck_assert_ptr_null(mt_param_str(&p, "nope"));                /* not in the table */
	ck_assert_int_eq(mt_params_finish(&p, table, &err), MT_EINVAL); /* url is required */
	mt_params_free(&p);
	ck_assert_int_eq(mt_param_i64(NULL, "count"), 0);
}
END_TEST

START_TEST(find_and_suggest)
{
	ck_assert_ptr_eq(mt_option_find(table, "loss"), &table[2]);
	ck_assert_ptr_null(mt_option_find(table, "los"));
	ck_assert_str_eq(mt_option_suggest(table, "los"), "loss");
	ck_assert_str_eq(mt_option_suggest(table, "jiter"), "jitter");
	ck_assert_str_eq(mt_option_suggest(table, "verfy"), "verify");
	ck_assert_ptr_null(mt_option_suggest(table, "qqqqqqqqq"));
	ck_assert_ptr_null(mt_option_suggest(table, "xy"));
}
END_TEST

/* Reads what a writer printed into a malloc'd string. */
static char *capture(void (*w)(const struct mt_option *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	w(table, f);
	fclose(f);
	return buf;
}

START_TEST(writers)
{
	char *md = capture(mt_option_table_markdown), *help = capture(mt_option_table_help);

	ck_assert_ptr_nonnull(strstr(md, "| Key | Type | Default | Values | Flags | Description |"));
	ck_assert_ptr_nonnull(strstr(md, "| `delay` | duration | `0s` | 0s .. 10s | | one-way delay |"));
	ck_assert_ptr_nonnull(strstr(md, "| `shape` | choice | `square` | square, sine | | flap shape |"));
	ck_assert_ptr_nonnull(strstr(md, "| `url` | text |  |  | required | where to fetch |"));
	ck_assert_ptr_nonnull(strstr(md, "| `rate` | bit rate |  | ≥ 1kbit/s | | rate limit |"));
	ck_assert_ptr_nonnull(strstr(help, "count=integer"));
	ck_assert_ptr_nonnull(strstr(help, "how many (default 1) [1 .. 100]"));
	ck_assert_ptr_nonnull(strstr(help, "{required}"));
	free(md);
	free(help);
}
END_TEST

static Suite *option_suite(void)
{
	Suite *s = suite_create("option");
	TCase *t = tcase_create("option");

	tcase_add_test(t, parse_value_by_type);
	tcase_add_test(t, parse_value_errors);
	tcase_add_test(t, params_parse_defaults_quotes);
	tcase_add_test(t, params_escapes_replace_multi);
	tcase_add_test(t, params_errors);
	tcase_add_test(t, params_empty_text_only_defaults);
	tcase_add_test(t, format_and_round_trip);
	tcase_add_test(t, set_and_finish);
	tcase_add_test(t, param_defaults_from_the_table);
	tcase_add_test(t, find_and_suggest);
	tcase_add_test(t, writers);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return tu_run(option_suite());
}
