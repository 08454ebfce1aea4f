/* test_fault_checks.c — offline: parse-time validation of the network faults' parameters and
 * the undo functions' handling of bad or stale records (no root, no kernel changes).
 */
#include <check.h>
#include <string.h>

#include "migtorture/plugin.h"
#include "test_util.h"

/* Parses text against fault's table; returns the parse rc, then check()'s. */
static int parse_check(const char *fault, const char *text, struct mt_error *err)
{
	const struct mt_fault_ops *ops = mt_find_fault(fault);
	struct mt_params p = { 0 };
	int rc;

	ck_assert_msg(ops != NULL, "fault %s registered", fault);
	rc = mt_params_parse(ops->base.options, text, 1, &p, err);
	if (rc == 0 && ops->base.check)
		rc = ops->base.check(&p, err);
	mt_params_free(&p);
	return rc;
}

START_TEST(registered_with_options)
{
	static const char *const names[] = { "netem", "tbf", "link-down", "link-flap",
					     "partition" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct mt_fault_ops *ops = mt_find_fault(names[i]);
		ck_assert_ptr_nonnull(ops);
		ck_assert_ptr_nonnull(ops->base.options);
		ck_assert_ptr_nonnull(ops->apply);
		ck_assert_ptr_nonnull(ops->undo);
		ck_assert_ptr_nonnull(ops->base.supported);
		ck_assert_ptr_nonnull(ops->base.summary);
	}
}
END_TEST

START_TEST(partition_sets)
{
	struct mt_error err = { 0 };

	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1 b=198.18.1.0/24", &err), 0);
	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1,2001:db8::1 b=2001:db8::/64",
				     &err), 0);
	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1 b=hostb", &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "hostb") != NULL, "%s", err.msg);
	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1 b=198.18.1.0/33", &err),
			 MT_EINVAL);
	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1 b=2001:db8::1", &err),
			 MT_EINVAL); /* no common family: would drop nothing */
	ck_assert_int_eq(parse_check("partition", "a=198.18.0.1", &err), MT_EINVAL);
}
END_TEST

START_TEST(link_and_tbf_ranges)
{
	struct mt_error err = { 0 };

	ck_assert_int_eq(parse_check("link-flap", "dev=m-ab down=2s", &err), 0);
	ck_assert_int_eq(parse_check("link-flap", "dev=m-ab down=2s period=5s count=4", &err), 0);
	ck_assert_int_eq(parse_check("link-flap", "dev=m-ab down=2s period=2s", &err),
			 MT_EINVAL);
	ck_assert_int_eq(parse_check("link-flap", "dev=m-ab count=0", &err), MT_EINVAL);
	ck_assert_int_eq(parse_check("link-flap", "down=2s", &err), MT_EINVAL); /* no dev */
	ck_assert_int_eq(parse_check("link-down", "dev=m-ab", &err), 0);
	ck_assert_int_eq(parse_check("tbf", "dev=m-ab rate=10mbit", &err), 0);
	ck_assert_int_eq(parse_check("tbf", "dev=m-ab", &err), MT_EINVAL); /* no rate */
	ck_assert_int_eq(parse_check("tbf", "dev=m-ab rate=fast", &err), MT_EINVAL);
	ck_assert_int_eq(parse_check("tbf", "dev=m-ab rate=10mbit parent=egress", &err),
			 MT_EINVAL);
	ck_assert_int_eq(parse_check("netem", "dev=m-ab loss=140%", &err), MT_EINVAL);
	ck_assert_int_eq(parse_check("netem", "dev=m-ab loss=-1%", &err), MT_EINVAL);
	ck_assert_int_eq(parse_check("netem", "dev=m-ab limit=0", &err), MT_EINVAL);
}
END_TEST

/* Undo refuses records it cannot read, and treats a device that is gone as nothing to do
 * (its qdiscs and state went with it): recover must not stall on it. */
START_TEST(undo_bad_and_stale_records)
{
	static const char *const faults[] = { "netem", "tbf", "link-down", "partition" };
	struct mt_error err = { 0 };

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		const struct mt_fault_ops *ops = mt_find_fault(faults[i]);
		ck_assert_int_eq(ops->undo("not json", &err), MT_EINVAL);
		ck_assert_int_eq(ops->undo("{}", &err), MT_EINVAL);
	}
	/* partition undo only ever deletes its own tables */
	ck_assert_int_eq(mt_find_fault("partition")->undo("{\"v\":1,\"table\":\"filter\"}", &err),
			 MT_EINVAL);
	ck_assert_int_eq(mt_find_fault("tbf")->undo(
				 "{\"v\":1,\"fault\":\"tbf\",\"dev\":\"mtgone0\",\"parent\":\"root\","
				 "\"target\":\"mtgone0\",\"ingress\":null,\"prior\":{\"dev\":"
				 "\"mtgone0\",\"parent\":\"root\",\"present\":true,\"default\":true,"
				 "\"kind\":\"noqueue\",\"handle\":0,\"options_hex\":\"\"}}", &err), 0);
	ck_assert_int_eq(mt_find_fault("link-down")->undo(
				 "{\"v\":1,\"fault\":\"link-down\",\"dev\":\"mtgone0\",\"up\":true}",
				 &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault_checks");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, registered_with_options);
	tcase_add_test(tc, partition_sets);
	tcase_add_test(tc, link_and_tbf_ranges);
	tcase_add_test(tc, undo_bad_and_stale_records);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
