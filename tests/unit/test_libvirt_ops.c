/* test_libvirt_ops.c — the libvirt driver's life cycle without a hypervisor.
 *
 * libvirt's test:///default driver cannot migrate, which is exactly what this needs: the hop
 * runs in the driver thread, fails with libvirt's own "not supported" error, done_fd fires, and
 * finish() turns it into a skip (MT_EUNSUPPORTED) that keeps libvirt's text. Also: a missing or
 * stopped domain and an unreachable daemon are errors with libvirt's message, abort without a
 * hop is harmless, and collect() records where the domain runs. No real migration is tested
 * here (tests/lab/driver_migrate.sh does that on the lab).
 */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "test_util.h"

extern const struct mt_driver_ops mt_driver_libvirt;
static const struct mt_driver_ops *d = &mt_driver_libvirt;

#define TEST_URI "test:///default"

struct fixture {
	struct mt_run_result run;
	struct mt_cell_result *cell;
	struct mt_ctx ctx;
	struct mt_params p;
	void *state;
};

static void setup(struct fixture *f, const char *domain, const char *params)
{
	struct mt_error err = { 0 };

	memset(f, 0, sizeof(*f));
	f->cell = mt_run_add_cell(&f->run, "cell");
	f->ctx.result = f->cell;
	f->ctx.domain = domain;
	f->ctx.t0_ns = mt_now_ns();
	ck_assert_int_eq(mt_params_parse(d->base.options, params, 1, &f->p, &err), 0);
	ck_assert_msg(d->prepare(&f->p, &f->ctx, &f->state, &err) == 0, "%s", err.msg);
}

static void teardown(struct fixture *f)
{
	d->release(f->state);
	mt_params_free(&f->p);
	mt_run_result_free(&f->run);
}

static const struct mt_metric *metric(struct fixture *f, const char *path)
{
	return mt_cell_metric(f->cell, path);
}

START_TEST(hop_fails_unsupported_with_libvirt_text)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_migrate_req req = { 0, TEST_URI, TEST_URI };
	struct pollfd pfd;
	const struct mt_metric *m;
	int fd = -1, rc;

	setup(&f, "test", "migrate.bandwidth=16MiB/s migrate.max_downtime=100ms");
	ck_assert_msg(d->start(f.state, &req, &fd, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(fd, 0);
	/* a second start while the hop runs is refused */
	rc = d->start(f.state, &req, &(int){ -1 }, &err);
	ck_assert_int_eq(rc, MT_EINVAL);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while ((rc = poll(&pfd, 1, 50)) == 0)
		ck_assert_int_eq(d->poll(f.state, &f.ctx, mt_now_ns()), 0);
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(d->poll(f.state, &f.ctx, mt_now_ns()), 0);
	rc = d->finish(f.state, &f.ctx, &err);
	ck_assert_msg(rc == MT_EUNSUPPORTED, "rc %d: %s", rc, err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, TEST_URI));
	ck_assert_ptr_nonnull(strstr(err.msg, "support")); /* libvirt's own words */
	m = metric(&f, "migration.error");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MT_METRIC_STR);
	ck_assert_ptr_nonnull(metric(&f, "migration.driver_elapsed_ms"));
	/* the domain stayed where it was */
	m = metric(&f, "migration.final_host");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->str, TEST_URI);
	/* finish twice is a usage error, not a hang */
	ck_assert_int_eq(d->finish(f.state, &f.ctx, &err), MT_EINVAL);
	ck_assert_int_eq(d->collect(f.state, &f.ctx, &err), 0);
	ck_assert_double_eq(metric(&f, "migration.hops_completed")->num, 0);
	ck_assert_double_eq(metric(&f, "migration.bandwidth_cap_bytes_s")->num, 16.0 * 1048576);
	ck_assert_str_eq(metric(&f, "migration.final_host")->str, TEST_URI);
	teardown(&f);
}
END_TEST

START_TEST(missing_domain_is_an_error_with_libvirt_message)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_migrate_req req = { 0, TEST_URI, TEST_URI };
	int fd = -1;

	setup(&f, "no-such-vm", "");
	ck_assert_int_eq(d->start(f.state, &req, &fd, &err), MT_EINFRA);
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such-vm"));
	ck_assert_ptr_nonnull(strstr(err.msg, "not found"));
	ck_assert_int_eq(d->abort(f.state, &err), 0);
	ck_assert_int_eq(d->collect(f.state, &f.ctx, &err), 0);
	ck_assert_int_eq(metric(&f, "migration.final_host")->kind, MT_METRIC_ABSENT);
	teardown(&f);
}
END_TEST

START_TEST(stopped_domain_is_an_error)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_migrate_req req = { 0, TEST_URI, TEST_URI };
	virConnectPtr c;
	virDomainPtr dom;
	int fd = -1;

	setup(&f, "test", "");
	/* test:///default is one shared driver instance per process: stop its domain */
	c = virConnectOpen(TEST_URI);
	ck_assert_ptr_nonnull(c);
	dom = virDomainLookupByName(c, "test");
	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	ck_assert_int_eq(d->start(f.state, &req, &fd, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not running"));
	virDomainFree(dom);
	virConnectClose(c);
	teardown(&f);
}
END_TEST

START_TEST(unreachable_daemon_is_an_error)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_migrate_req req = { 0, "qemu+unix:///system?socket=/nonexistent/mt-sock",
				      TEST_URI };
	int fd = -1;

	setup(&f, "test", "");
	ck_assert_int_eq(d->start(f.state, &req, &fd, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot connect"));
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/mt-sock"));
	teardown(&f);
}
END_TEST

START_TEST(refused_combination_skips_before_the_thread)
{
	struct fixture f;
	struct mt_error err = { 0 };
	struct mt_migrate_req req = { 0, TEST_URI, TEST_URI };
	int fd = -1;

	setup(&f, "test", "migrate.postcopy=on migrate.tunnelled=yes");
	ck_assert_int_eq(d->start(f.state, &req, &fd, &err), MT_EUNSUPPORTED);
	ck_assert_str_eq(err.msg, "post-copy is not supported with tunnelled migration");
	ck_assert_int_eq(fd, -1);
	teardown(&f);
}
END_TEST

START_TEST(prepare_needs_a_domain)
{
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	struct mt_ctx ctx = { 0 };
	void *state = (void *)1;

	ck_assert_int_eq(mt_params_parse(d->base.options, "", 1, &p, &err), 0);
	ck_assert_int_eq(d->prepare(&p, &ctx, &state, &err), MT_EINVAL);
	ck_assert_ptr_null(state);
	d->release(NULL);
	mt_params_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt_ops");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, hop_fails_unsupported_with_libvirt_text);
	tcase_add_test(t, missing_domain_is_an_error_with_libvirt_message);
	tcase_add_test(t, stopped_domain_is_an_error);
	tcase_add_test(t, unreachable_daemon_is_an_error);
	tcase_add_test(t, refused_combination_skips_before_the_thread);
	tcase_add_test(t, prepare_needs_a_domain);
	suite_add_tcase(s, t);
	return tu_run(s);
}
