/* fake_plugins.h — plugins registered inside the scenario/plan test binaries only
 * (mt_registry_add_*). Two sets:
 *   - "t-..." fakes (t-virt, t-web-page, t-netem, ...) whose tables and check() the tests
 *     assert on: always registered, so the tests do not change when real plugins land;
 *   - stand-ins named like the real plugins seed.ini uses (libvirt, web-page, video-download,
 *     video-stream, udp, http): registered only when no real plugin of that name is shipped,
 *     so seed.ini validates before and after the real plugins are merged. */
#ifndef MT_TEST_FAKE_PLUGINS_H
#define MT_TEST_FAKE_PLUGINS_H

#include <stdlib.h>

#include "migtorture/plugin.h"

static const char *const fake_onoff[] = { "off", "on", NULL };

static const struct mt_option fake_libvirt_opts[] = {
	{ "migrate.bandwidth", MT_OPT_BYTERATE, NULL, "bandwidth cap", NULL, 0, 0, 0 },
	{ "migrate.max_downtime", MT_OPT_DURATION, NULL, "max downtime", NULL, 0, 0, 0 },
	{ "migrate.postcopy", MT_OPT_ENUM, "off", "post-copy", fake_onoff, 0, 0, 0 },
	MT_OPTION_END,
};

static int fake_libvirt_check(const struct mt_params *p, struct mt_error *err)
{
	if (mt_params_u64(p, "migrate.bandwidth", 1u << 20) < (1u << 20))
		return mt_err(err, MT_EINVAL, "key 'migrate.bandwidth': expected at least 1MiB/s");
	return 0;
}

static const struct mt_driver_ops fake_libvirt = {
	.base.name = "t-virt", .base.summary = "fake driver", .base.options = fake_libvirt_opts,
	.base.check = fake_libvirt_check,
};

static const struct mt_option fake_web_opts[] = {
	{ "url", MT_OPT_STR, NULL, "base URL", NULL, 0, 0, 0 },
	{ "interval", MT_OPT_DURATION, "200ms", "time between page loads", NULL, 1e6, 0, 0 },
	MT_OPTION_END,
};
static const struct mt_option fake_video_opts[] = {
	{ "url", MT_OPT_STR, NULL, "video URL", NULL, 0, 0, 0 },
	{ "bitrate", MT_OPT_BITRATE, "2M", "stream bit rate", NULL, 0, 0, 0 },
	MT_OPTION_END,
};
static const struct mt_option fake_cpu_opts[] = {
	{ "workers", MT_OPT_INT, "1", "stress-ng CPU workers", NULL, 1, 64, 0 },
	MT_OPTION_END,
};
static const struct mt_option fake_guest_opts[] = {
	{ "dirty", MT_OPT_BYTERATE, "100M/s", "page dirtying rate", NULL, 0, 0, 0 },
	MT_OPTION_END,
};

static const struct mt_workload_ops fake_web_page = { .base.name = "t-web-page", .base.summary = "page",
						      .base.options = fake_web_opts };
static const struct mt_workload_ops fake_video_download = { .base.name = "t-video-download",
							    .base.summary = "download",
							    .base.options = fake_video_opts };
static const struct mt_workload_ops fake_video_stream = { .base.name = "t-video-stream",
							  .base.summary = "stream",
							  .base.options = fake_video_opts };
static const struct mt_workload_ops fake_host_cpu = { .base.name = "t-host-cpu", .base.summary = "cpu",
						      .base.options = fake_cpu_opts };
static const struct mt_workload_ops fake_guest_vm = { .base.name = "t-guest-vm", .base.summary = "guest",
						      .base.options = fake_guest_opts };

static const struct mt_option fake_probe_opts[] = {
	{ "interval", MT_OPT_DURATION, "10ms", "time between requests", NULL, 1e6, 10e9, 0 },
	MT_OPTION_END,
};
static const struct mt_workload_ops fake_udp = { .base.name = "t-udp", .base.summary = "udp echo",
					      .base.options = fake_probe_opts };
static const struct mt_workload_ops fake_http = { .base.name = "t-http", .base.summary = "http get",
					       .base.options = fake_probe_opts };

static const struct mt_option fake_netem_opts[] = {
	{ "delay", MT_OPT_DURATION, NULL, "delay", NULL, 0, 0, 0 },
	{ "jitter", MT_OPT_DURATION, NULL, "jitter", NULL, 0, 0, 0 },
	{ "loss", MT_OPT_PERCENT, NULL, "loss", NULL, 0, 0, 0 },
	MT_OPTION_END,
};

static int fake_netem_check(const struct mt_params *p, struct mt_error *err)
{
	if (mt_params_get(p, "jitter") && !mt_params_get(p, "delay"))
		return mt_err(err, MT_EINVAL, "key 'jitter': expected delay= as well");
	return 0;
}

static const struct mt_fault_ops fake_netem = { .base.name = "t-netem", .base.summary = "netem",
						.base.options = fake_netem_opts,
						.base.check = fake_netem_check };
static const struct mt_option fake_osd_opts[] = {
	{ "id", MT_OPT_INT, NULL, "OSD id", NULL, 0, 0, MT_OPTF_REQUIRED },
	MT_OPTION_END,
};
static const struct mt_fault_ops fake_osd_down = { .base.name = "t-osd-down", .base.summary = "osd",
						   .base.options = fake_osd_opts };

/* Stand-ins for the real plugins seed.ini names (same names, plain tables). */
static const struct mt_option fake_real_libvirt_opts[] = {
	{ "migrate.bandwidth", MT_OPT_BYTERATE, NULL, "bandwidth cap", NULL, 0, 0, 0 },
	MT_OPTION_END,
};
static const struct mt_driver_ops real_libvirt = { .base.name = "libvirt", .base.summary = "stand-in",
						   .base.options = fake_real_libvirt_opts };
static const struct mt_workload_ops real_web_page = { .base.name = "web-page", .base.summary = "stand-in",
						      .base.options = fake_web_opts };
static const struct mt_workload_ops real_video_download = { .base.name = "video-download",
							    .base.summary = "stand-in",
							    .base.options = fake_video_opts };
static const struct mt_workload_ops real_video_stream = { .base.name = "video-stream",
							  .base.summary = "stand-in",
							  .base.options = fake_video_opts };
static const struct mt_workload_ops real_udp = { .base.name = "udp", .base.summary = "stand-in",
					      .base.options = fake_probe_opts };
static const struct mt_workload_ops real_http = { .base.name = "http", .base.summary = "stand-in",
					       .base.options = fake_probe_opts };

static void fake_plugins_register(void)
{
	int rc = 0;

	rc |= mt_registry_add_driver(&fake_libvirt);
	rc |= mt_registry_add_workload(&fake_web_page);
	rc |= mt_registry_add_workload(&fake_video_download);
	rc |= mt_registry_add_workload(&fake_video_stream);
	rc |= mt_registry_add_workload(&fake_host_cpu);
	rc |= mt_registry_add_workload(&fake_guest_vm);
	rc |= mt_registry_add_probe(&fake_udp);
	rc |= mt_registry_add_probe(&fake_http);
	rc |= mt_registry_add_fault(&fake_netem);
	rc |= mt_registry_add_fault(&fake_osd_down);
	if (!mt_find_driver("libvirt"))
		rc |= mt_registry_add_driver(&real_libvirt);
	if (!mt_find_workload("web-page"))
		rc |= mt_registry_add_workload(&real_web_page);
	if (!mt_find_workload("video-download"))
		rc |= mt_registry_add_workload(&real_video_download);
	if (!mt_find_workload("video-stream"))
		rc |= mt_registry_add_workload(&real_video_stream);
	if (!mt_find_probe("udp"))
		rc |= mt_registry_add_probe(&real_udp);
	if (!mt_find_probe("http"))
		rc |= mt_registry_add_probe(&real_http);
	if (rc)
		abort();
}

#endif
