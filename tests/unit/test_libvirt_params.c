/* test_libvirt_params.c — the libvirt driver without a hypervisor: every migrate.* option →
 * typed parameters and flags, refused combinations, job-stats keys → metric names with units,
 * completed-job recording and the achieved ratio, polled series, error classification.
 * Typed parameter arrays are built by hand (libvirt's test:///default cannot migrate). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/libvirt_priv.h"
#include "migtorture/plugin.h"

extern const struct mt_driver_ops mt_driver_libvirt;

/* Parses text against the driver's table into a config; asserts success. */
static void cfg_of(const char *text, struct mt_lv_config *c)
{
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };

	ck_assert_msg(mt_params_parse(mt_lv_options, text, 1, &p, &err) == 0, "%s: %s", text,
		      err.msg);
	ck_assert_msg(mt_lv_config_from_params(&p, c, &err) == 0, "%s: %s", text, err.msg);
	mt_params_free(&p);
}

/* Builds hop params for text; returns the flags, fills *params and *n (caller frees). */
static unsigned int build_of(const char *text, int hop, virTypedParameterPtr *params, int *n)
{
	struct mt_lv_config c;
	struct mt_error err = { 0 };
	unsigned int flags = 0;

	cfg_of(text, &c);
	ck_assert_msg(mt_lv_build(&c, hop, params, n, &flags, &err) == 0, "%s: %s", text,
		      err.msg);
	mt_lv_config_free(&c);
	return flags;
}

static unsigned long long get_ull(virTypedParameterPtr p, int n, const char *key)
{
	unsigned long long v = 0;

	ck_assert_msg(virTypedParamsGetULLong(p, n, key, &v) == 1, "missing %s", key);
	return v;
}

static int get_int(virTypedParameterPtr p, int n, const char *key)
{
	int v = 0;

	ck_assert_msg(virTypedParamsGetInt(p, n, key, &v) == 1, "missing %s", key);
	return v;
}

static const char *get_str(virTypedParameterPtr p, int n, const char *key)
{
	const char *v = NULL;

	ck_assert_msg(virTypedParamsGetString(p, n, key, &v) == 1, "missing %s", key);
	return v;
}

static int has(virTypedParameterPtr p, int n, const char *key)
{
	return virTypedParamsGet(p, n, key) != NULL;
}

START_TEST(defaults_are_live_p2p_without_params)
{
	virTypedParameterPtr p;
	int n;
	unsigned int f = build_of("", 0, &p, &n);

	ck_assert_uint_eq(f, VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE | VIR_MIGRATE_ABORT_ON_ERROR);
	ck_assert_int_eq(n, 0);
	virTypedParamsFree(p, n);
}
END_TEST

/* Params never finished hold no defaults: the config still gets the table's (live yes,
 * the flags no), not a fallback of the reader's. */
START_TEST(unfinished_params_take_the_table_defaults)
{
	struct mt_params p = { 0 };
	struct mt_lv_config c;
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_params_set(&p, mt_lv_options, "migrate.parallel", "2", 1, &err), 0);
	ck_assert_ptr_null(mt_params_get(&p, "migrate.live"));
	ck_assert_int_eq(mt_lv_config_from_params(&p, &c, &err), 0);
	ck_assert_int_eq(c.mode, MT_LV_P2P);
	ck_assert_int_eq(c.live, 1);
	ck_assert_int_eq(c.auto_converge, 0);
	ck_assert_int_eq(c.tunnelled, 0);
	ck_assert_int_eq(c.parallel, 2);
	ck_assert_uint_eq(c.bandwidth_Bps, 0);
	mt_lv_config_free(&c);
	mt_params_free(&p);
}
END_TEST

START_TEST(mode_live_tunnelled_persistent_undefine_flags)
{
	virTypedParameterPtr p;
	int n;
	unsigned int f;

	f = build_of("migrate.mode=direct migrate.live=no", 0, &p, &n);
	ck_assert_uint_eq(f & (VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE), 0);
	virTypedParamsFree(p, n);
	f = build_of("migrate.tunnelled=yes migrate.persistent=yes migrate.undefine_source=yes",
		     0, &p, &n);
	ck_assert(f & VIR_MIGRATE_TUNNELLED);
	ck_assert(f & VIR_MIGRATE_PERSIST_DEST);
	ck_assert(f & VIR_MIGRATE_UNDEFINE_SOURCE);
	ck_assert(f & VIR_MIGRATE_PEER2PEER);
	virTypedParamsFree(p, n);
}
END_TEST

START_TEST(bandwidth_in_whole_mib)
{
	virTypedParameterPtr p;
	int n;

	build_of("migrate.bandwidth=16MiB/s", 0, &p, &n);
	ck_assert_uint_eq(get_ull(p, n, VIR_MIGRATE_PARAM_BANDWIDTH), 16);
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY));
	virTypedParamsFree(p, n);
	/* post-copy gets the same cap, or its phase would run uncapped */
	build_of("migrate.bandwidth=16MiB/s migrate.postcopy=on", 0, &p, &n);
	ck_assert_uint_eq(get_ull(p, n, VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY), 16);
	virTypedParamsFree(p, n);
	ck_assert_uint_eq(mt_lv_bandwidth_mib(0), 0);
	ck_assert_uint_eq(mt_lv_bandwidth_mib(1048576), 1);
	ck_assert_uint_eq(mt_lv_bandwidth_mib(1468006), 1); /* 1.4 MiB/s */
	ck_assert_uint_eq(mt_lv_bandwidth_mib(1677721), 2); /* 1.6 MiB/s */
	ck_assert_uint_eq(mt_lv_bandwidth_mib(100), 1);     /* never 0 = "unlimited" */
}
END_TEST

START_TEST(bandwidth_below_one_mib_refused)
{
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };

	ck_assert_int_eq(mt_params_parse(mt_lv_options, "migrate.bandwidth=512KiB/s", 1, &p, &err),
			 MT_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "migrate.bandwidth"));
	mt_params_free(&p);
}
END_TEST

START_TEST(max_downtime_to_ms)
{
	struct mt_lv_config c;

	cfg_of("migrate.max_downtime=250ms", &c);
	ck_assert_int_eq(c.max_downtime_ns, 250000000);
	ck_assert_uint_eq(mt_lv_downtime_ms(c.max_downtime_ns), 250);
	ck_assert_uint_eq(mt_lv_downtime_ms(1500000), 2); /* 1.5 ms rounds up */
	mt_lv_config_free(&c);
	cfg_of("", &c);
	ck_assert_int_eq(c.max_downtime_ns, -1);
	mt_lv_config_free(&c);
}
END_TEST

START_TEST(postcopy_switch_points)
{
	struct mt_lv_config c;
	struct mt_params p = { 0 };
	struct mt_error err = { 0 };
	virTypedParameterPtr tp;
	int n;

	ck_assert(build_of("migrate.postcopy=on", 0, &tp, &n) & VIR_MIGRATE_POSTCOPY);
	virTypedParamsFree(tp, n);
	ck_assert(!(build_of("migrate.postcopy=off", 0, &tp, &n) & VIR_MIGRATE_POSTCOPY));
	virTypedParamsFree(tp, n);
	cfg_of("migrate.postcopy=on migrate.postcopy_after=5s", &c);
	ck_assert_int_eq(c.postcopy_after_ns, 5000000000LL);
	ck_assert_int_eq(c.postcopy_after_iterations, -1);
	mt_lv_config_free(&c);
	cfg_of("migrate.postcopy=on migrate.postcopy_after_iterations=3", &c);
	ck_assert_int_eq(c.postcopy_after_iterations, 3);
	ck_assert_int_eq(c.postcopy_after_ns, -1);
	mt_lv_config_free(&c);
	/* both switch points: the author must choose */
	ck_assert_int_eq(mt_params_parse(mt_lv_options, "migrate.postcopy=on "
					 "migrate.postcopy_after=5s "
					 "migrate.postcopy_after_iterations=3", 1, &p, &err), 0);
	ck_assert_int_eq(mt_lv_config_from_params(&p, &c, &err), MT_EINVAL);
	ck_assert_int_eq(mt_driver_libvirt.base.check(&p, &err), MT_EINVAL);
	mt_params_free(&p);
}
END_TEST

START_TEST(auto_converge_params_only_when_on)
{
	virTypedParameterPtr p;
	int n;
	unsigned int f;

	f = build_of("migrate.auto_converge=yes migrate.auto_converge_initial=20% "
		     "migrate.auto_converge_increment=10%", 0, &p, &n);
	ck_assert(f & VIR_MIGRATE_AUTO_CONVERGE);
	ck_assert_int_eq(get_int(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL), 20);
	ck_assert_int_eq(get_int(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT), 10);
	virTypedParamsFree(p, n);
	/* tuning a feature that is off (a matrix makes that happen) is ignored, not sent */
	f = build_of("migrate.auto_converge=no migrate.auto_converge_initial=20%", 0, &p, &n);
	ck_assert(!(f & VIR_MIGRATE_AUTO_CONVERGE));
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL));
	virTypedParamsFree(p, n);
}
END_TEST

START_TEST(parallel_connections)
{
	virTypedParameterPtr p;
	int n;
	unsigned int f;

	f = build_of("migrate.parallel=4", 0, &p, &n);
	ck_assert(f & VIR_MIGRATE_PARALLEL);
	ck_assert_int_eq(get_int(p, n, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS), 4);
	virTypedParamsFree(p, n);
	f = build_of("migrate.parallel=0", 0, &p, &n);
	ck_assert(!(f & VIR_MIGRATE_PARALLEL));
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS));
	virTypedParamsFree(p, n);
}
END_TEST

START_TEST(compression_methods)
{
	virTypedParameterPtr p;
	int n;
	unsigned int f;
	struct mt_params pp = { 0 };
	struct mt_error err = { 0 };

	f = build_of("migrate.compression=xbzrle migrate.xbzrle_cache=64MiB", 0, &p, &n);
	ck_assert(f & VIR_MIGRATE_COMPRESSED);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_COMPRESSION), "xbzrle");
	ck_assert_uint_eq(get_ull(p, n, VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE), 67108864);
	virTypedParamsFree(p, n);
	f = build_of("migrate.compression=zstd migrate.parallel=2 migrate.xbzrle_cache=64MiB",
		     0, &p, &n);
	ck_assert(f & VIR_MIGRATE_COMPRESSED);
	ck_assert(f & VIR_MIGRATE_PARALLEL);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_COMPRESSION), "zstd");
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE));
	virTypedParamsFree(p, n);
	f = build_of("migrate.compression=zlib migrate.parallel=2", 0, &p, &n);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_COMPRESSION), "zlib");
	virTypedParamsFree(p, n);
	f = build_of("migrate.compression=none", 0, &p, &n);
	ck_assert(!(f & VIR_MIGRATE_COMPRESSED));
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_COMPRESSION));
	virTypedParamsFree(p, n);
	ck_assert_int_eq(mt_params_parse(mt_lv_options, "migrate.compression=lz4", 1, &pp, &err),
			 MT_EINVAL);
	mt_params_free(&pp);
}
END_TEST

START_TEST(data_uri_follows_the_hop)
{
	virTypedParameterPtr p;
	int n;
	char buf[64];
	struct mt_lv_config c;

	build_of("migrate.source_address=198.19.0.1 migrate.dest_address=198.19.0.2", 0, &p, &n);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_URI), "tcp://198.19.0.2");
	virTypedParamsFree(p, n);
	build_of("migrate.source_address=198.19.0.1 migrate.dest_address=198.19.0.2", 1, &p, &n);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_URI), "tcp://198.19.0.1");
	virTypedParamsFree(p, n);
	build_of("migrate.source_address=198.19.0.1 migrate.dest_address=198.19.0.2", 2, &p, &n);
	ck_assert_str_eq(get_str(p, n, VIR_MIGRATE_PARAM_URI), "tcp://198.19.0.2");
	virTypedParamsFree(p, n);
	/* tunnelled: libvirt refuses a data URI */
	build_of("migrate.dest_address=198.19.0.2 migrate.tunnelled=yes", 0, &p, &n);
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_URI));
	virTypedParamsFree(p, n);
	/* no address known: libvirt picks */
	build_of("migrate.dest_address=198.19.0.2", 1, &p, &n);
	ck_assert(!has(p, n, VIR_MIGRATE_PARAM_URI));
	virTypedParamsFree(p, n);
	cfg_of("migrate.dest_address=2001:db8::2", &c);
	mt_lv_data_uri(&c, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "tcp://[2001:db8::2]");
	mt_lv_config_free(&c);
}
END_TEST

/* Each refused combination: supported() and build() agree, and the reason is libvirt's text. */
START_TEST(unsupported_combinations)
{
	static const struct {
		const char *text, *reason;
	} cases[] = {
		{ "migrate.postcopy=on migrate.tunnelled=yes",
		  "post-copy is not supported with tunnelled migration" },
		{ "migrate.postcopy=on migrate.live=no",
		  "post-copy migration is not supported with non-live or paused migration" },
		{ "migrate.compression=zstd",
		  "Compression method 'zstd' is only supported with parallel migration" },
		{ "migrate.compression=zlib migrate.parallel=0",
		  "Compression method 'zlib' is only supported with parallel migration" },
		{ "migrate.compression=xbzrle migrate.parallel=2",
		  "Multifd is not compatible with xbzrle" },
		{ "migrate.mode=direct migrate.tunnelled=yes",
		  "cannot perform tunnelled migration without using peer2peer flag" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mt_params p = { 0 };
		struct mt_error err = { 0 };
		struct mt_lv_config c;
		virTypedParameterPtr tp = NULL;
		int n = 0;
		unsigned int f;
		char why[256] = "";

		ck_assert_int_eq(mt_params_parse(mt_lv_options, cases[i].text, 1, &p, &err), 0);
		ck_assert_int_eq(mt_driver_libvirt.base.check(&p, &err), 0);
		ck_assert_int_eq(mt_driver_libvirt.base.supported(&p, NULL, why, sizeof(why)),
				 MT_EUNSUPPORTED);
		ck_assert_str_eq(why, cases[i].reason);
		ck_assert_int_eq(mt_lv_config_from_params(&p, &c, &err), 0);
		ck_assert_int_eq(mt_lv_build(&c, 0, &tp, &n, &f, &err), MT_EUNSUPPORTED);
		ck_assert_str_eq(err.msg, cases[i].reason);
		ck_assert_ptr_null(tp);
		mt_lv_config_free(&c);
		mt_params_free(&p);
	}
}
END_TEST

START_TEST(supported_combinations)
{
	const char *ok[] = {
		"",
		"migrate.postcopy=on migrate.auto_converge=yes",
		"migrate.compression=zstd migrate.parallel=4",
		"migrate.compression=xbzrle",
		"migrate.tunnelled=yes migrate.persistent=yes",
		"migrate.mode=direct migrate.live=no",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct mt_params p = { 0 };
		struct mt_error err = { 0 };
		char why[256] = "";

		ck_assert_int_eq(mt_params_parse(mt_lv_options, ok[i], 1, &p, &err), 0);
		ck_assert_msg(mt_driver_libvirt.base.supported(&p, NULL, why, sizeof(why)) == 0,
			      "%s: %s", ok[i], why);
		mt_params_free(&p);
	}
}
END_TEST

START_TEST(error_classification)
{
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_ARGUMENT_UNSUPPORTED, "x"), MT_EUNSUPPORTED);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_OPERATION_UNSUPPORTED, NULL),
			 MT_EUNSUPPORTED);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_INVALID_ARG, "Compression method"),
			 MT_EUNSUPPORTED);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_INTERNAL_ERROR,
					      "internal error: unable to execute QEMU command "
					      "'migrate-set-capabilities': Postcopy is not yet "
					      "compatible with multifd"), MT_EUNSUPPORTED);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_OPERATION_INVALID,
					      "Requested operation is not valid: domain is not "
					      "running"), MT_EINFRA);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_OPERATION_FAILED,
					      "operation failed: job 'migration out' failed"),
			 MT_EINFRA);
	ck_assert_int_eq(mt_lv_classify_error(VIR_ERR_SYSTEM_ERROR, "Connection refused"),
			 MT_EINFRA);
}
END_TEST

START_TEST(job_keys_map_to_unit_names)
{
	char buf[128];
	size_t n = 0;

	/* every row: unique key, unique metric, a unit, and the unit visible in the name */
	for (const struct mt_lv_key *k = mt_lv_keys; k->key; k++, n++) {
		ck_assert_ptr_nonnull(k->metric);
		ck_assert_ptr_nonnull(k->unit);
		ck_assert_ptr_eq(mt_lv_key_find(k->key), k);
		for (const struct mt_lv_key *j = k + 1; j->key; j++) {
			ck_assert_str_ne(j->key, k->key);
			ck_assert_str_ne(j->metric, k->metric);
		}
	}
	ck_assert_uint_ge(n, 36); /* every VIR_DOMAIN_JOB_* stats key of libvirt 11.3 */
	mt_lv_key_metric("migration.", VIR_DOMAIN_JOB_TIME_ELAPSED, buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.job.time_elapsed_ms");
	mt_lv_key_metric("migration.", VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.job.memory_dirty_rate_pages_s");
	mt_lv_key_metric("migration.", VIR_DOMAIN_JOB_MEMORY_BPS, buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.job.memory_bytes_s");
	mt_lv_key_metric("migration.hop1.", VIR_DOMAIN_JOB_DISK_PROCESSED, buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.hop1.job.disk_processed_bytes");
	mt_lv_key_metric("migration.", VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.job.auto_converge_throttle_pct");
	/* unknown (newer libvirt) keys are kept raw, as one path component */
	ck_assert_ptr_null(mt_lv_key_find("memory_future.thing"));
	mt_lv_key_metric("migration.", "memory_future.thing", buf, sizeof(buf));
	ck_assert_str_eq(buf, "migration.job.memory_future_thing");
}
END_TEST

#define ULL(k, v) { .field = k, .type = VIR_TYPED_PARAM_ULLONG, .value.ul = (v) }

/* A completed idle migration as libvirt 11 reports it (values from the lab notes' range). */
static virTypedParameter completed[] = {
	{ .field = VIR_DOMAIN_JOB_OPERATION, .type = VIR_TYPED_PARAM_INT, .value.i = 4 },
	ULL(VIR_DOMAIN_JOB_TIME_ELAPSED, 8000),
	ULL(VIR_DOMAIN_JOB_DOWNTIME, 120),
	ULL(VIR_DOMAIN_JOB_DOWNTIME_NET, 110),
	ULL(VIR_DOMAIN_JOB_SETUP_TIME, 7),
	ULL(VIR_DOMAIN_JOB_DATA_PROCESSED, 134217728),
	ULL(VIR_DOMAIN_JOB_MEMORY_PROCESSED, 134000000),
	ULL(VIR_DOMAIN_JOB_MEMORY_TOTAL, 268435456),
	ULL(VIR_DOMAIN_JOB_MEMORY_ITERATION, 3),
	ULL(VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 250),
	{ .field = VIR_DOMAIN_JOB_SUCCESS, .type = VIR_TYPED_PARAM_BOOLEAN, .value.b = 1 },
	{ .field = "vendor_new_counter", .type = VIR_TYPED_PARAM_LLONG, .value.l = -7 },
};
#define NCOMPLETED ((int)(sizeof(completed) / sizeof(completed[0])))

static double num(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	ck_assert_msg(m != NULL, "no metric %s", path);
	ck_assert_msg(m->kind == MT_METRIC_NUM, "%s is not a number", path);
	return m->num;
}

static const char *absent(const struct mt_cell_result *c, const char *path)
{
	const struct mt_metric *m = mt_cell_metric(c, path);

	ck_assert_msg(m != NULL, "no metric %s", path);
	ck_assert_msg(m->kind == MT_METRIC_ABSENT, "%s is not absent", path);
	ck_assert_ptr_nonnull(m->str);
	return m->str;
}

START_TEST(completed_stats_recorded)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "cell");
	struct mt_lv_config cfg;

	cfg_of("migrate.bandwidth=16MiB/s", &cfg);
	ck_assert_int_eq(mt_lv_record_completed(c, "migration.", "downtime.", completed,
						NCOMPLETED, &cfg), 0);
	/* the summary */
	ck_assert_double_eq(num(c, "migration.total_time_ms"), 8000);
	ck_assert_double_eq(num(c, "migration.setup_time_ms"), 7);
	ck_assert_double_eq(num(c, "migration.downtime_ms"), 120);
	ck_assert_double_eq(num(c, "migration.downtime_net_ms"), 110);
	ck_assert_double_eq(num(c, "migration.transferred_bytes"), 134217728);
	ck_assert_double_eq(num(c, "migration.memory_bytes"), 134000000);
	ck_assert_double_eq(num(c, "migration.iterations"), 3);
	ck_assert_double_eq(num(c, "migration.dirty_rate_pages_s"), 250);
	ck_assert_double_eq(num(c, "downtime.hypervisor_downtime_ms"), 120);
	/* 128 MiB in 8 s at 16 MiB/s = exactly the cap */
	ck_assert_double_eq_tol(num(c, "migration.achieved_ratio"), 1.0, 1e-12);
	/* not reported → absent with the reason, never zero */
	ck_assert_ptr_nonnull(strstr(absent(c, "migration.disk_bytes"), "disk_processed"));
	ck_assert_ptr_nonnull(strstr(absent(c, "migration.postcopy_requests"),
				     "memory_postcopy_requests"));
	/* every raw key kept */
	ck_assert_double_eq(num(c, "migration.job.time_elapsed_ms"), 8000);
	ck_assert_double_eq(num(c, "migration.job.memory_total_bytes"), 268435456);
	ck_assert_str_eq(mt_cell_metric(c, "migration.job.operation")->str, "migration_in");
	ck_assert_double_eq(num(c, "migration.job.success_bool"), 1);
	ck_assert_double_eq(num(c, "migration.job.vendor_new_counter"), -7);
	mt_lv_config_free(&cfg);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(later_hops_and_missing_cap)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "cell");
	struct mt_lv_config cfg;

	cfg_of("", &cfg);
	ck_assert_int_eq(mt_lv_record_completed(c, "migration.hop1.", "downtime.hop1.", completed,
						NCOMPLETED, &cfg), 0);
	ck_assert_double_eq(num(c, "migration.hop1.total_time_ms"), 8000);
	ck_assert_double_eq(num(c, "downtime.hop1.hypervisor_downtime_ms"), 120);
	ck_assert_double_eq(num(c, "migration.hop1.job.downtime_ms"), 120);
	ck_assert_ptr_null(mt_cell_metric(c, "migration.total_time_ms"));
	ck_assert_ptr_nonnull(strstr(absent(c, "migration.hop1.achieved_ratio"), "no cap"));
	mt_lv_config_free(&cfg);
	mt_run_result_free(&run);
}
END_TEST

START_TEST(achieved_ratio_and_cap)
{
	struct mt_lv_config c;
	double r = -1;
	char why[128] = "";

	ck_assert_int_eq(mt_lv_achieved_ratio(64.0 * 1048576, 16.0 * 1048576, 8000, &r, why,
					      sizeof(why)), 0);
	ck_assert_double_eq_tol(r, 0.5, 1e-12);
	ck_assert_int_eq(mt_lv_achieved_ratio(1e6, 0, 8000, &r, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "migrate.bandwidth"));
	ck_assert_int_eq(mt_lv_achieved_ratio(1e6, 1e6, 0, &r, why, sizeof(why)), -1);
	ck_assert_int_eq(mt_lv_achieved_ratio(NAN, 1e6, 10, &r, why, sizeof(why)), -1);
	/* the cap is the smaller of the libvirt limit (whole MiB/s) and the link */
	cfg_of("migrate.bandwidth=16MiB/s migrate.link_rate=100mbit", &c);
	ck_assert_double_eq(mt_lv_cap_Bps(&c), 12.5e6);
	mt_lv_config_free(&c);
	cfg_of("migrate.bandwidth=16MiB/s migrate.link_rate=1G", &c);
	ck_assert_double_eq(mt_lv_cap_Bps(&c), 16.0 * 1048576);
	mt_lv_config_free(&c);
	cfg_of("migrate.link_rate=80mbit", &c);
	ck_assert_double_eq(mt_lv_cap_Bps(&c), 10e6);
	mt_lv_config_free(&c);
	cfg_of("", &c);
	ck_assert_double_eq(mt_lv_cap_Bps(&c), 0);
	mt_lv_config_free(&c);
}
END_TEST

START_TEST(polled_sample_series)
{
	struct mt_run_result run = { 0 };
	struct mt_cell_result *c = mt_run_add_cell(&run, "cell");
	virTypedParameter running[] = {
		ULL(VIR_DOMAIN_JOB_MEMORY_REMAINING, 1000),
		ULL(VIR_DOMAIN_JOB_MEMORY_PROCESSED, 2000),
		ULL(VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, 30),
		ULL(VIR_DOMAIN_JOB_MEMORY_ITERATION, 2),
		ULL(VIR_DOMAIN_JOB_MEMORY_BPS, 12500000), /* 100 Mbit/s */
		ULL(VIR_DOMAIN_JOB_DOWNTIME, 300),
	};
	const char *names[] = { "migration.memory_remaining_bytes",
				"migration.memory_processed_bytes", "migration.dirty_rate_pages_s",
				"migration.iteration", "migration.mbps",
				"migration.expected_downtime_ms" };
	const double want[] = { 1000, 2000, 30, 2, 100, 300 };

	ck_assert_int_eq(mt_lv_record_sample(c, 5, running, 6), 0);
	ck_assert_int_eq(mt_lv_record_sample(c, 55, running, 1), 0);
	ck_assert_uint_eq(c->nseries, 6);
	for (size_t i = 0; i < 6; i++) {
		const struct mt_series *s = NULL;

		for (size_t j = 0; j < c->nseries; j++)
			if (strcmp(c->series[j].name, names[i]) == 0)
				s = &c->series[j];
		ck_assert_msg(s != NULL, "no series %s", names[i]);
		ck_assert_uint_eq(s->n, i == 0 ? 2 : 1);
		ck_assert_int_eq(s->t_ns[0], 5);
		ck_assert_double_eq_tol(s->v[0], want[i], 1e-9);
	}
	mt_run_result_free(&run);
}
END_TEST

START_TEST(params_copy_roundtrip)
{
	virTypedParameter src[] = {
		ULL("a", 1),
		{ .field = "b", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *)"text" },
		{ .field = "c", .type = VIR_TYPED_PARAM_DOUBLE, .value.d = 2.5 },
		{ .field = "d", .type = VIR_TYPED_PARAM_BOOLEAN, .value.b = 1 },
	};
	virTypedParameterPtr dst = NULL;
	int n = 0;
	double v;

	ck_assert_int_eq(mt_lv_params_copy(src, 4, &dst, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_ne(dst[1].value.s, src[1].value.s);
	ck_assert_str_eq(dst[1].value.s, "text");
	ck_assert_int_eq(mt_lv_get_num(dst, n, "c", &v), 0);
	ck_assert_double_eq(v, 2.5);
	ck_assert_int_eq(mt_lv_get_num(dst, n, "d", &v), 0);
	ck_assert_double_eq(v, 1);
	ck_assert_int_eq(mt_lv_get_num(dst, n, "b", &v), -1);
	ck_assert_int_eq(mt_lv_get_num(dst, n, "zz", &v), -1);
	virTypedParamsFree(dst, n);
}
END_TEST

START_TEST(registered_with_its_table)
{
	const struct mt_driver_ops *d = mt_find_driver("libvirt");

	ck_assert_ptr_eq(d, &mt_driver_libvirt);
	ck_assert_ptr_eq(d->base.options, mt_lv_options);
	for (const struct mt_option *o = d->base.options; o->name; o++)
		ck_assert_msg(strncmp(o->name, "migrate.", 8) == 0, "%s", o->name);
	ck_assert_ptr_nonnull(d->start);
	ck_assert_ptr_nonnull(d->poll);
	ck_assert_ptr_nonnull(d->finish);
	ck_assert_ptr_nonnull(d->abort);
	/* the core keys belong to the scenario, not the driver */
	ck_assert_ptr_null(mt_option_find(d->base.options, "migrate.timeout"));
	ck_assert_ptr_null(mt_option_find(d->base.options, "migrate.count"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("libvirt_params");
	TCase *t = tcase_create("core");

	tcase_add_test(t, defaults_are_live_p2p_without_params);
	tcase_add_test(t, unfinished_params_take_the_table_defaults);
	tcase_add_test(t, mode_live_tunnelled_persistent_undefine_flags);
	tcase_add_test(t, bandwidth_in_whole_mib);
	tcase_add_test(t, bandwidth_below_one_mib_refused);
	tcase_add_test(t, max_downtime_to_ms);
	tcase_add_test(t, postcopy_switch_points);
	tcase_add_test(t, auto_converge_params_only_when_on);
	tcase_add_test(t, parallel_connections);
	tcase_add_test(t, compression_methods);
	tcase_add_test(t, data_uri_follows_the_hop);
	tcase_add_test(t, unsupported_combinations);
	tcase_add_test(t, supported_combinations);
	tcase_add_test(t, error_classification);
	tcase_add_test(t, job_keys_map_to_unit_names);
	tcase_add_test(t, completed_stats_recorded);
	tcase_add_test(t, later_hops_and_missing_cap);
	tcase_add_test(t, achieved_ratio_and_cap);
	tcase_add_test(t, polled_sample_series);
	tcase_add_test(t, params_copy_roundtrip);
	tcase_add_test(t, registered_with_its_table);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
