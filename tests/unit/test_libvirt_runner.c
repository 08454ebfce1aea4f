/* test_libvirt_runner.c — the runner with the real libvirt driver, offline (test:///default).
 *
 * test:///default cannot migrate, so this proves the plumbing between the runner and the
 * driver, not migration: a hop libvirt refuses is a SKIP carrying libvirt's words, a
 * combination refused up front is a skip too, a missing domain is an ERROR with libvirt's
 * message, and the cell records where the domain is (migration.final_host). The hop's
 * "libvirt-migration" journal entry is opened before the hop and closed when it ends, and its
 * undo (what `recover` runs after a lost runner) checks its record and answers from libvirt.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migtorture/journal.h"
#include "migtorture/result.h"
#include "migtorture/runner.h"
#include "migtorture/scenario.h"
#include "test_util.h"

static const char scenario[] =
	"[global]\n"
	"driver = libvirt\n"
	"source = test:///default\n"
	"dest = test:///default\n"
	"domain = test\n"
	"warmup = 0s\n"
	"cooldown = 0s\n"
	"migrate.count = 2\n"
	"migrate.bandwidth = 16MiB/s\n"
	"[refused-by-libvirt]\n"
	"[refused-up-front]\n"
	"migrate.postcopy = on\n"
	"migrate.tunnelled = yes\n"
	"[no-domain]\n"
	"domain = no-such-vm\n";

static const struct mt_cell_result *cell(const struct mt_run_result *run, const char *section)
{
	for (size_t i = 0; i < run->ncells; i++)
		if (run->cells[i].section && strcmp(run->cells[i].section, section) == 0)
			return &run->cells[i];
	ck_abort_msg("no cell of section %s", section);
	return NULL;
}

static const char *fact(const struct mt_run_result *run, const char *key)
{
	for (size_t i = 0; i < run->nfacts; i++)
		if (!strcmp(run->facts[i].key, key))
			return run->facts[i].val;
	return NULL;
}

START_TEST(skips_and_errors_keep_libvirt_words)
{
	char dir[64], journal[512], out[512];
	struct mt_scenario *s = NULL;
	struct mt_plan *plan = NULL;
	struct mt_plan_opts po = { .seed = 1 };
	struct mt_run_opts ro = { 0 };
	struct mt_run_result run = { 0 };
	struct mt_error err = { 0 };
	const struct mt_cell_result *c;
	const struct mt_metric *m;
	int rc;

	tu_tmpdir(dir, sizeof(dir), "lv-runner");
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	ck_assert_msg(mt_scenario_load_buffer(scenario, strlen(scenario), "test.ini", &s, &err) == 0,
		      "%s", err.msg);
	ck_assert_msg(mt_plan_build(s, &po, &plan, &err) == 0, "%s", err.msg);
	ro.outdir = out;
	ro.journal_path = journal;
	ro.verbose = -1;
	rc = mt_run_plan(s, plan, &ro, &run, &err);
	/* one error cell: infrastructure */
	ck_assert_int_eq(rc, MT_EXIT_INFRA);
	{
		char latest[PATH_MAX], target[64];
		ssize_t n;

		snprintf(latest, sizeof(latest), "%s/latest", dir);
		n = readlink(latest, target, sizeof(target) - 1);
		ck_assert_int_eq(n, 3);
		target[n] = 0;
		ck_assert_str_eq(target, "out"); /* relative: the folder can move */
	}

	c = cell(&run, "refused-by-libvirt");
	ck_assert_int_eq(c->verdict, MT_VERDICT_SKIP);
	ck_assert_ptr_nonnull(strstr(c->reason, "p2p migration is not supported"));
	m = mt_cell_metric(c, "migration.final_host");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->str, "test:///default");
	/* the host's versions became run facts; the test driver reports a hypervisor version */
	ck_assert_ptr_nonnull(fact(&run, "libvirt@test:///default"));
	ck_assert_ptr_nonnull(strchr(fact(&run, "libvirt@test:///default"), '.'));
	ck_assert_ptr_nonnull(fact(&run, "qemu@test:///default"));
	ck_assert_ptr_nonnull(fact(&run, "hostname@test:///default"));
	/* the test driver has no guest agent: absent with libvirt's reason */
	ck_assert_ptr_nonnull(fact(&run, "guest_kernel"));
	ck_assert_msg(!strncmp(fact(&run, "guest_kernel"), "unknown: ", 9), "%s",
		      fact(&run, "guest_kernel"));
	ck_assert_ptr_nonnull(fact(&run, "migtorture_revision"));
	ck_assert_ptr_nonnull(fact(&run, "cpu"));

	c = cell(&run, "refused-up-front");
	ck_assert_int_eq(c->verdict, MT_VERDICT_SKIP);
	ck_assert_ptr_nonnull(strstr(c->reason,
				     "post-copy is not supported with tunnelled migration"));

	/* each refused hop opened its entry before it started and closed it: nothing open */
	{
		const char *j = tu_slurp(journal);
		struct mt_journal *jj = NULL;
		const struct mt_journal_entry *e;
		size_t n = 9;

		ck_assert_ptr_nonnull(strstr(j, "\"kind\":\"libvirt-migration\""));
		ck_assert_ptr_nonnull(strstr(j, "\"domain\":\"test\""));
		ck_assert_int_eq(mt_journal_open(journal, &jj, &err), 0);
		ck_assert_int_eq(mt_journal_open_entries(jj, &e, &n, &err), 0);
		ck_assert_uint_eq(n, 0);
		mt_journal_close(jj);
	}

	c = cell(&run, "no-domain");
	ck_assert_int_eq(c->verdict, MT_VERDICT_ERROR);
	ck_assert_ptr_nonnull(strstr(c->reason, "no-such-vm"));
	ck_assert_ptr_nonnull(strstr(c->reason, "not found"));

	mt_run_result_free(&run);
	mt_plan_free(plan);
	mt_scenario_free(s);
	tu_rm_rf(dir);
}
END_TEST

/* Undoes one libvirt-migration entry with record undo; returns undo_all's rc, *failed set. */
static int undo_one(const char *path, const char *undo, unsigned *failed, char *msg, size_t len)
{
	struct mt_journal *j = NULL;
	struct mt_error err = { 0 };
	unsigned undone = 0;
	uint64_t id = 0;
	int rc;

	ck_assert_msg(mt_journal_open(path, &j, &err) == 0, "%s", err.msg);
	ck_assert_msg(mt_journal_begin(j, "libvirt-migration", NULL, undo, &id, &err) == 0, "%s",
		      err.msg);
	*failed = 0;
	rc = mt_journal_undo_all(j, &undone, failed, &err);
	snprintf(msg, len, "%s", err.msg);
	ck_assert_uint_eq(undone + *failed, 1);
	mt_journal_close(j);
	unlink(path);
	return rc;
}

START_TEST(undo_ends_only_what_its_record_names)
{
	char dir[64], path[512], msg[MT_ERRMSG_MAX];
	unsigned failed;

	tu_tmpdir(dir, sizeof(dir), "lv-undo");
	snprintf(path, sizeof(path), "%s/journal", dir);
	/* no such domain on the host: the migration ended (it left), nothing to end */
	ck_assert_int_eq(undo_one(path, "{\"uri\":\"test:///default\",\"domain\":\"gone\"}",
				  &failed, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(failed, 0);
	/* a host whose driver cannot report jobs (the test driver): unknown, so it stays open */
	ck_assert_int_lt(undo_one(path, "{\"uri\":\"test:///default\",\"domain\":\"test\"}",
				  &failed, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(failed, 1);
	ck_assert_msg(strstr(msg, "cannot report the jobs of 'test'"), "%s", msg);
	/* a record without a domain, with a control character, or a host that cannot be reached:
	 * the entry stays open with the reason */
	ck_assert_int_lt(undo_one(path, "{\"uri\":\"test:///default\"}", &failed, msg,
				  sizeof(msg)), 0);
	ck_assert_uint_eq(failed, 1);
	ck_assert_msg(strstr(msg, "\"domain\""), "%s", msg);
	ck_assert_int_lt(undo_one(path, "{\"uri\":\"test:///default\",\"domain\":\"te\\nst\"}",
				  &failed, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(failed, 1);
	ck_assert_int_lt(undo_one(path, "{\"uri\":\"qemu+unix:///system?socket=/nonexistent/sock\","
				  "\"domain\":\"test\"}", &failed, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(failed, 1);
	ck_assert_msg(strstr(msg, "cannot connect to qemu+unix"), "%s", msg);
	tu_rm_rf(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt_runner");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, skips_and_errors_keep_libvirt_words);
	tcase_add_test(t, undo_ends_only_what_its_record_names);
	suite_add_tcase(s, t);
	return tu_run(s);
}
