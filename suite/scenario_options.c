/* scenario_options.c — the scenario's own key table (the single source for parsing, --help and
 * docs/scenario-reference.md), the keys every spec takes, and the [host:NAME] keys. */
#include <stdint.h>
#include <string.h>

#include "scenario_priv.h"

#define AX MT_OPTF_AXIS
#define S_NS 1e9

static const struct mt_option core_options[] = {
	{ "driver", MT_OPT_STR, "libvirt", "migration driver (a registered driver's name)", NULL,
	  0, 0, 0 },
	{ "source", MT_OPT_STR, "lab:hosta",
	  "where the VM runs first: lab:hosta, or a libvirt URI such as qemu+ssh://root@hv1/system",
	  NULL, 0, 0, 0 },
	{ "dest", MT_OPT_STR, "lab:hostb", "where it migrates to (same forms as source)", NULL, 0,
	  0, 0 },
	{ "domain", MT_OPT_STR, "web",
	  "name of the VM (libvirt domain / server) under test; several, blank-separated (at most "
	  "16), all move in every hop, migrate.concurrency at a time (docs/evacuation.md)", NULL,
	  0, 0, 0 },
	{ "guest", MT_OPT_STR, NULL,
	  "the VM's address as its users see it, the target of probes and web workloads: "
	  "lab:guest, lab:guestN (the lab's Nth guest, mt-lab up --guests), or an IPv4/IPv6 "
	  "address (default, when source or dest is a lab: host: the lab guest that is the "
	  "domain, else the first; else none)",
	  NULL, 0, 0, 0 },
	{ "vm_guests", MT_OPT_STR, NULL,
	  "with several domains: each VM's address as its users see it, NAME=ADDRESS "
	  "blank-separated, the target of the probes and workloads that name it with vm= (in a "
	  "lab cell a VM not listed is the lab guest running as that domain)", NULL, 0, 0, 0 },
	{ "client", MT_OPT_STR, NULL,
	  "where probes and web workloads that name no host run: local, a lab host (client, "
	  "lab:client, ...) or a [host:NAME] section (default: the lab's client when source or "
	  "dest is a lab: host, else local)",
	  NULL, 0, 0, 0 },
	{ "source_host", MT_OPT_STR, NULL,
	  "where the source hypervisor runs, for its logs: a [host:NAME] section or a lab host "
	  "(default: the lab host when source is lab:NAME, else none: no logs of it kept)",
	  NULL, 0, 0, 0 },
	{ "dest_host", MT_OPT_STR, NULL, "where the destination hypervisor runs (as source_host)",
	  NULL, 0, 0, 0 },
	{ "logs.max", MT_OPT_SIZE, "256KiB",
	  "each cell keeps, of every log of source_host and dest_host, at most the last this "
	  "many bytes written during the cell (0 keeps none)", NULL, 0, 64.0 * 1024 * 1024, 0 },
	{ "repeat", MT_OPT_INT, "1", "how many times each cell runs", NULL, 1, 1000000, 0 },
	{ "warmup", MT_OPT_DURATION, "10s",
	  "baseline time after probes and workloads start, before faults and migration", NULL, 0,
	  0, AX },
	{ "cooldown", MT_OPT_DURATION, "10s",
	  "time after the last migration hop before everything stops", NULL, 0, 0, AX },
	{ "seed", MT_OPT_INT, NULL,
	  "run seed ([global] only; --seed overrides); each cell derives its own from it", NULL,
	  0, 9223372036854775807.0, 0 },
	{ "description", MT_OPT_STR, NULL, "free text shown in plans and reports", NULL, 0, 0, 0 },
	{ "threshold", MT_OPT_STR, NULL,
	  "pass/fail expressions such as network_outage_ms.p95 <= 5s (comma-separated or repeated)",
	  NULL, 0, 0, MT_OPTF_MULTI },
	{ "targets", MT_OPT_STR, NULL,
	  "allow-list of what faults may touch (hosts, links, OSDs), as text", NULL, 0, 0, 0 },
	{ "workload", MT_OPT_STR, NULL, "client workloads: spec list (see below)", NULL, 0, 0,
	  AX | MT_OPTF_MULTI },
	{ "probe", MT_OPT_STR, NULL, "measurement probes: spec list", NULL, 0, 0,
	  AX | MT_OPTF_MULTI },
	{ "stress", MT_OPT_STR, NULL, "host or guest stress (workload plugins): spec list", NULL,
	  0, 0, AX | MT_OPTF_MULTI },
	{ "fault", MT_OPT_STR, NULL, "faults: spec list; at= counts from the end of warm-up", NULL,
	  0, 0, AX | MT_OPTF_MULTI },
	{ "migrate.at", MT_OPT_DURATION, "0s", "first migration hop starts this long after warm-up",
	  NULL, 0, 0, AX },
	{ "migrate.count", MT_OPT_INT, "1",
	  "migration hops (ping-pong source→dest→source...); 0 = no migration", NULL, 0, 1000,
	  AX },
	{ "migrate.interval", MT_OPT_DURATION, "5s",
	  "pause between one hop's completion and the next hop", NULL, 0, 0, AX },
	{ "migrate.timeout", MT_OPT_DURATION, "120s", "a hop running longer is aborted", NULL,
	  1 * S_NS, 0, AX },
	{ "migrate.concurrency", MT_OPT_INT, "1",
	  "with several domains: how many of them migrate at once in a hop (the rest wait their "
	  "turn, in the order named)", NULL, 1, 16, AX },
	{ "migrate.evacuate", MT_OPT_BOOL, "no",
	  "every VM running on the source when the cell starts moves in each hop, whatever "
	  "domain names (a host drained for maintenance; the driver lists them)", NULL, 0, 0,
	  AX },
	MT_OPTION_END,
};

static const struct mt_option spec_options[] = {
	{ "at", MT_OPT_DURATION, "0s",
	  "start offset: faults from the end of warm-up, others from the cell start; or a "
	  "migration phase hopN.PHASE[+DURATION] (docs/anchors.md)", NULL, 0, 0, 0 },
	{ "for", MT_OPT_DURATION, NULL,
	  "how long it lasts (default: until the cell ends), or until a migration phase "
	  "hopN.PHASE[+DURATION]", NULL, 1, 0, 0 },
	{ "host", MT_OPT_STR, "local",
	  "where it acts: local, a [host:NAME] section, a lab host (hosta, hostb, client, "
	  "router, or lab:NAME), or source / dest: the cell's migration source or destination "
	  "as the hop runs it (hop N for at=hopN.*, else the cell's first hop)",
	  NULL, 0, 0, 0 },
	{ "vm", MT_OPT_STR, NULL,
	  "in a cell that migrates several domains, the one this spec belongs to: at= and for= "
	  "phases (hopN.PHASE) are that VM's own hop's; a probe or workload serves or watches it "
	  "(in the lab: the lab guest running as that domain) and its figures go under vm.NAME. "
	  "(docs/evacuation.md)", NULL, 0, 0, 0 },
	MT_OPTION_END,
};

static const char *const host_kinds[] = { "local", "ssh", NULL };

static const struct mt_option host_options[] = {
	{ "kind", MT_OPT_ENUM, "local", "local (optionally in a network namespace) or ssh",
	  host_kinds, 0, 0, 0 },
	{ "netns", MT_OPT_STR, NULL, "local: network namespace name under /run/netns", NULL, 0, 0,
	  0 },
	{ "address", MT_OPT_STR, NULL, "ssh: address or host name", NULL, 0, 0, 0 },
	{ "user", MT_OPT_STR, "root", "ssh: login user", NULL, 0, 0, 0 },
	{ "identity", MT_OPT_STR, NULL, "ssh: path of the private key file", NULL, 0, 0,
	  MT_OPTF_SECRET },
	{ "known_hosts", MT_OPT_STR, NULL, "ssh: known_hosts file (host keys are checked)", NULL,
	  0, 0, 0 },
	{ "remote_binary", MT_OPT_STR, "migtorture", "ssh: path of migtorture on the far side",
	  NULL, 0, 0, 0 },
	{ "log_libvirtd", MT_OPT_STR, NULL,
	  "local: the libvirt daemon's log file, kept per cell when this host is source_host or "
	  "dest_host (an ssh host's agent.conf [logs] says where its logs are)", NULL, 0, 0, 0 },
	{ "log_qemu", MT_OPT_STR, "/var/log/libvirt/qemu/{domain}.log",
	  "local: the domain's QEMU log ({domain} stands for its name)", NULL, 0, 0, 0 },
	{ "log_console", MT_OPT_STR, NULL,
	  "local: the domain's serial console log (a <serial> <log file=...>), {domain} as above",
	  NULL, 0, 0, 0 },
	MT_OPTION_END,
};

const struct mt_option *mt_scenario_options(void)
{
	return core_options;
}

const struct mt_option *mt_spec_common_options(void)
{
	return spec_options;
}

const struct mt_option *mt_sc_host_options(void)
{
	return host_options;
}

static const char *const spec_keys[] = { "workload", "stress", "probe", "fault" };
static const enum mt_spec_class spec_classes[] = { MT_SPEC_WORKLOAD, MT_SPEC_STRESS,
						   MT_SPEC_PROBE, MT_SPEC_FAULT };

int mt_sc_key_class(const char *key)
{
	for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		if (strcmp(key, spec_keys[i]) == 0)
			return SC_KEY_SPEC;
	if (strcmp(key, "threshold") == 0)
		return SC_KEY_THRESHOLD;
	if (mt_option_find(core_options, key))
		return SC_KEY_CORE;
	if (strncmp(key, "migrate.", 8) == 0 && key[8])
		return SC_KEY_DRIVER;
	return -1;
}

enum mt_spec_class mt_sc_spec_class(const char *key)
{
	for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
		if (strcmp(key, spec_keys[i]) == 0)
			return spec_classes[i];
	return MT_SPEC_WORKLOAD;
}

const char *mt_sc_spec_class_name(enum mt_spec_class c)
{
	switch (c) {
	case MT_SPEC_WORKLOAD: return "workload";
	case MT_SPEC_STRESS: return "stress";
	case MT_SPEC_PROBE: return "probe";
	case MT_SPEC_FAULT: return "fault";
	}
	return "?";
}
