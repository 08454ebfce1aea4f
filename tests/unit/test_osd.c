/* test_osd.c — the Ceph OSD faults and the ceph probe without a cluster: registration, option
 * checking (flags, required id, the keyring kept secret), the flag/min_in/exists checks, the
 * probe's time-to-HEALTH_OK, and that an unreadable conf or an unreachable monitor fails
 * with a clear error before anything is journalled. The live cluster tests are tests/ceph. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faults/osd_common.h"
#include "migtorture/ceph.h"
#include "migtorture/journal.h"
#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "test_util.h"

double mt_ceph_probe_ok_after(const int64_t *t_ns, const double *health, size_t n,
			      int64_t off_ns);

START_TEST(registered)
{
	const char *names[] = { "osd-down", "osd-out", "osd-in", "osd-flag", "osd-stop",
				"osd-kill", "osd-thrash" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct mt_fault_ops *f = mt_find_fault(names[i]);
		ck_assert_msg(f != NULL, "%s not registered", names[i]);
		ck_assert_ptr_nonnull(f->apply);
		ck_assert_ptr_nonnull(f->undo);
	}
	ck_assert_ptr_nonnull(mt_find_probe("ceph"));
}
END_TEST

START_TEST(options)
{
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	const struct mt_fault_ops *flag = mt_find_fault("osd-flag");
	const struct mt_fault_ops *down = mt_find_fault("osd-down");
	char *txt;

	ck_assert_int_eq(mt_params_parse(flag->base.options, "flag=bogus", 1, &p, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "flag"));
	mt_params_free(&p);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(mt_params_parse(down->base.options, "hold=yes", 1, &p, &err), MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "id"));
	mt_params_free(&p);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(mt_params_parse(down->base.options, "id=1 keyring=/etc/ceph/k", 1, &p, &err),
			 0);
	ck_assert_int_eq(mt_params_i64(&p, "wait_clean", 0), 120 * MT_NS_PER_S);
	txt = mt_params_format(&p);
	ck_assert_ptr_null(strstr(txt, "/etc/ceph/k")); /* MT_OPTF_SECRET */
	free(txt);
	mt_params_free(&p);
}
END_TEST

START_TEST(flags_and_checks)
{
	struct mt_ceph_state st = { 0 };
	struct mt_error err = { 0 };

	snprintf(st.flags, sizeof(st.flags), "pauserd,pausewr,noout_x,sortbitwise");
	ck_assert_int_eq(mt_ceph_flag_set(&st, "pause"), 1);
	ck_assert_int_eq(mt_ceph_flag_set(&st, "noout"), 0); /* whole words only */
	snprintf(st.flags, sizeof(st.flags), "pauserd,noout");
	ck_assert_int_eq(mt_ceph_flag_set(&st, "pause"), 0);
	ck_assert_int_eq(mt_ceph_flag_set(&st, "noout"), 1);

	st.nosds = 3;
	for (int i = 0; i < 3; i++) {
		st.osds[i].id = i;
		st.osds[i].up = st.osds[i].in = 1;
	}
	ck_assert_int_eq(mt_osd_check_exists(&st, 2, &err), 0);
	ck_assert_int_eq(mt_osd_check_exists(&st, 9, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "osd.9 does not exist"));
	ck_assert_ptr_nonnull(strstr(err.msg, "0,1,2"));
	ck_assert_int_eq(mt_osd_check_min_in(&st, 1, 2, "osd-out", &err), 0);
	st.osds[2].up = 0; /* one already down: taking osd.1 leaves only osd.0 */
	ck_assert_int_eq(mt_osd_check_min_in(&st, 1, 2, "osd-out", &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "min_in=2"));
}
END_TEST

START_TEST(probe_ok_after)
{
	int64_t t[] = { 0, 1000000000, 2000000000, 3000000000, 4000000000 };
	double h[] = { 0, 1, 1, 0, 0 };

	ck_assert(mt_ceph_probe_ok_after(t, h, 5, 1500000000) == 1500.0);
	ck_assert(mt_ceph_probe_ok_after(t, h, 3, 1500000000) < 0);
}
END_TEST

/* supported(): a cell without any cluster to talk to is skipped with the reason. */
START_TEST(supported_reason)
{
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	const struct mt_fault_ops *kill = mt_find_fault("osd-kill");
	const struct mt_fault_ops *out = mt_find_fault("osd-out");
	char why[512] = "";

	ck_assert_int_eq(mt_params_parse(kill->base.options, "id=1 ceph=/nonexistent/ceph.json", 1, &p,
					 &err), 0);
	ck_assert_int_eq(kill->base.supported(&p, NULL, why, sizeof(why)), MT_EUNSUPPORTED);
	ck_assert_msg(strstr(why, "/nonexistent/ceph.json"), "why: %s", why);
	mt_params_free(&p);
	memset(&p, 0, sizeof(p));
	/* an explicit conf is enough for the monitor faults (reachability is apply's business) */
	ck_assert_int_eq(mt_params_parse(out->base.options, "id=1 conf=/x/ceph.conf ceph=", 1, &p,
					 &err), 0);
	ck_assert_int_eq(out->base.supported(&p, NULL, why, sizeof(why)), 0);
	mt_params_free(&p);
}
END_TEST

/* apply against a cluster that is not there: error, and the journal stays empty. */
static void refused(const char *spec_opts, int want, const char *msg_part)
{
	char dir[] = "/tmp/mtt-osd-XXXXXX", jpath[300];
	const struct mt_fault_ops *f = mt_find_fault("osd-out");
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_journal *j = NULL;
	struct mt_host host = { .name = "local", .kind = MT_HOST_LOCAL };
	struct mt_ctx ctx = { 0 };
	void *state = NULL;
	const struct mt_journal_entry *e;
	size_t n = 99;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(jpath, sizeof(jpath), "%s/journal", dir);
	ck_assert_int_eq(mt_journal_open(jpath, &j, &err), 0);
	ctx.journal = j;
	ctx.host = &host;
	ck_assert_int_eq(mt_params_parse(f->base.options, spec_opts, 1, &p, &err), 0);
	ck_assert_int_eq(f->apply(&p, &ctx, &state, &err), want);
	ck_assert_msg(strstr(err.msg, msg_part), "message: %s", err.msg);
	ck_assert_int_eq(mt_journal_last_id(j), 0);
	ck_assert_int_eq(mt_journal_open_entries(j, &e, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	mt_params_free(&p);
	mt_journal_close(j);
	unlink(jpath);
	rmdir(dir);
}

START_TEST(missing_conf)
{
	refused("id=1 conf=/nonexistent/ceph.conf ceph=", MT_EINFRA, "/nonexistent/ceph.conf");
}
END_TEST

/* The OSD map's "modified" stamp is when the monitors committed a change: the instant a
 * guest's stall is judged against, so its parse is exact to the microsecond. */
START_TEST(map_stamp)
{
	int64_t ns = 0;
	char d[128];

	ck_assert_int_eq(mt_ceph_parse_stamp("2026-12-06T06:20:31.123456+0000", &ns), 0);
	ck_assert_int_eq(ns, 1796538031123456000LL);
	ck_assert_int_eq(mt_ceph_parse_stamp("2026-12-06T07:20:31.123456+0100", &ns), 0);
	ck_assert_int_eq(ns, 1796538031123456000LL);
	ck_assert_int_eq(mt_ceph_parse_stamp("2026-12-06T06:20:31Z", &ns), 0);
	ck_assert_int_eq(ns, 1796538031000000000LL);
	ck_assert_int_eq(mt_ceph_parse_stamp("2026-12-06 06:20", &ns), -1);
	ck_assert_int_eq(mt_ceph_parse_stamp("2026-12-06T06:20:31.5+01", &ns), -1);
	mt_ceph_flags_diff("sortbitwise,recovery_deletes",
			   "pauserd,pausewr,sortbitwise,recovery_deletes", d, sizeof(d));
	ck_assert_str_eq(d, "+pauserd +pausewr");
	mt_ceph_flags_diff("noout,pauserd,pausewr,sortbitwise", "noout,sortbitwise", d, sizeof(d));
	ck_assert_str_eq(d, "-pauserd -pausewr");
	mt_ceph_flags_diff("noout", "noup", d, sizeof(d));
	ck_assert_str_eq(d, "+noup -noout");
	mt_ceph_flags_diff("a,b", "b,a", d, sizeof(d));
	ck_assert_str_eq(d, "");
}
END_TEST

START_TEST(unreachable_mon)
{
	char conf[] = "/tmp/mtt-osd-conf-XXXXXX", opts[200];
	int fd = mkstemp(conf);
	struct timespec a, b;

	ck_assert_int_ge(fd, 0);
	/* loopback port 1: nothing listens, so the monitor never answers */
	ck_assert_int_gt(dprintf(fd, "[global]\nmon_host = 127.0.0.1:1\n"), 0);
	close(fd);
	snprintf(opts, sizeof(opts), "id=1 conf=%s timeout=1s ceph=", conf);
	clock_gettime(CLOCK_MONOTONIC, &a);
	refused(opts, MT_ETIMEOUT, "answered within 1 s");
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* bounded by the timeout (generous margin: librados rounds to its tick) */
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 15);
	unlink(conf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("osd");
	TCase *tc = tcase_create("osd");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, registered);
	tcase_add_test(tc, options);
	tcase_add_test(tc, flags_and_checks);
	tcase_add_test(tc, probe_ok_after);
	tcase_add_test(tc, supported_reason);
	tcase_add_test(tc, missing_conf);
	tcase_add_test(tc, unreachable_mon);
	tcase_add_test(tc, map_stamp);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
