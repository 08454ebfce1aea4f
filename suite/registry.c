/* registry.c — the one table of shipped plugins per kind (stress-ng style X-macros).
 *
 * To add a plugin: define `const struct mt_<kind>_ops mt_<kind>_<name>` in its own file and add
 * one X(...) line below. The shipped tables hold only real plugins; tests may add fakes at run
 * time with mt_registry_add_* (kept in a separate, test-only list).
 */
#include <stdlib.h>
#include <string.h>

#include "journal_priv.h"
#include "migtorture/plugin.h"

#define MT_FAULTS(X) \
	X(mt_fault_netem) \
	X(mt_fault_tbf) \
	X(mt_fault_link_down) \
	X(mt_fault_link_flap) \
	X(mt_fault_partition) \
	X(mt_fault_osd_down) \
	X(mt_fault_osd_out) \
	X(mt_fault_osd_in) \
	X(mt_fault_osd_flag) \
	X(mt_fault_osd_stop) \
	X(mt_fault_osd_kill) \
	X(mt_fault_osd_thrash) \
	X(mt_fault_process_pause) \
	X(mt_fault_process_kill) \
	X(mt_fault_service_restart)
#define MT_WORKLOADS(X) \
	X(mt_workload_web_page) \
	X(mt_workload_video_download) \
	X(mt_workload_video_stream) \
	X(mt_workload_host_cpu) \
	X(mt_workload_host_vm) \
	X(mt_workload_host_memrate) \
	X(mt_workload_guest_dirty) \
	X(mt_workload_guest_cpu) \
	X(mt_workload_guest_disk)
#define MT_PROBES(X) \
	X(mt_probe_udp) \
	X(mt_probe_icmp) \
	X(mt_probe_http) \
	X(mt_probe_ceph)
#define MT_DRIVERS(X) X(mt_driver_libvirt) X(mt_driver_nova)
/* What the journal undoes itself (journal_priv.h): not options of a scenario, so not plugins. */
#define MT_JOURNAL_KINDS(X) \
	X(mt_journal_kind_process) X(mt_journal_kind_tmpdir) X(mt_journal_kind_lv_migration)

#define X(sym) extern const struct mt_fault_ops sym;
MT_FAULTS(X)
#undef X
#define X(sym) extern const struct mt_workload_ops sym;
MT_WORKLOADS(X)
#undef X
#define X(sym) extern const struct mt_workload_ops sym;
MT_PROBES(X)
#undef X
#define X(sym) extern const struct mt_driver_ops sym;
MT_DRIVERS(X)
#undef X

#define X(sym) extern const struct mt_journal_kind sym;
MT_JOURNAL_KINDS(X)
#undef X

#define X(sym) &sym,
static const struct mt_journal_kind *const journal_kinds[] = { MT_JOURNAL_KINDS(X) NULL };
static const struct mt_fault_ops *const shipped_faults[] = { MT_FAULTS(X) NULL };
static const struct mt_workload_ops *const shipped_workloads[] = { MT_WORKLOADS(X) NULL };
static const struct mt_workload_ops *const shipped_probes[] = { MT_PROBES(X) NULL };
static const struct mt_driver_ops *const shipped_drivers[] = { MT_DRIVERS(X) NULL };
#undef X

/* A registry view: the shipped table followed by test-added extras, NULL-terminated. */
struct reg {
	const void *const *shipped;
	const void **all; /* shipped + extra + NULL, rebuilt when extras change */
	size_t nextra;
};

static struct reg faults = { (const void *const *)shipped_faults, NULL, 0 };
static struct reg workloads = { (const void *const *)shipped_workloads, NULL, 0 };
static struct reg probes = { (const void *const *)shipped_probes, NULL, 0 };
static struct reg drivers = { (const void *const *)shipped_drivers, NULL, 0 };

static size_t count(const void *const *t)
{
	size_t n = 0;
	while (t[n])
		n++;
	return n;
}

static const void *const *view(struct reg *r)
{
	return r->all ? (const void *const *)r->all : r->shipped;
}

static int add(struct reg *r, const void *ops)
{
	const void *const *cur = view(r);
	size_t n = count(cur);
	const void **all = malloc((n + 2) * sizeof(*all));

	if (!all)
		return MT_ENOMEM;
	memcpy(all, cur, n * sizeof(*all));
	all[n] = ops;
	all[n + 1] = NULL;
	free(r->all);
	r->all = all;
	r->nextra++;
	return 0;
}

/* Every ops struct begins with its struct mt_plugin (plugin.h), so each is one. */
static const void *find(struct reg *r, const char *name)
{
	const void *const *t = view(r);

	if (!name)
		return NULL;
	for (size_t i = 0; t[i]; i++)
		if (strcmp(((const struct mt_plugin *)t[i])->name, name) == 0)
			return t[i];
	return NULL;
}

const struct mt_plugin *mt_plugin_at(enum mt_plugin_kind kind, size_t i)
{
	static struct reg *const regs[MT_PLUGIN_NKINDS] = { &drivers, &workloads, &probes,
							    &faults };
	const void *const *t;

	if ((unsigned)kind >= MT_PLUGIN_NKINDS)
		return NULL;
	t = view(regs[kind]);
	return i < count(t) ? (const struct mt_plugin *)t[i] : NULL;
}

const struct mt_fault_ops *mt_find_fault(const char *n) { return find(&faults, n); }
const struct mt_workload_ops *mt_find_workload(const char *n) { return find(&workloads, n); }
const struct mt_workload_ops *mt_find_probe(const char *n) { return find(&probes, n); }
const struct mt_driver_ops *mt_find_driver(const char *n) { return find(&drivers, n); }

const struct mt_journal_kind *mt_find_journal_kind(const char *n)
{
	for (size_t i = 0; n && journal_kinds[i]; i++)
		if (strcmp(journal_kinds[i]->name, n) == 0)
			return journal_kinds[i];
	return NULL;
}

const struct mt_fault_ops *const *mt_fault_registry(void)
{
	return (const struct mt_fault_ops *const *)view(&faults);
}
const struct mt_workload_ops *const *mt_workload_registry(void)
{
	return (const struct mt_workload_ops *const *)view(&workloads);
}
const struct mt_workload_ops *const *mt_probe_registry(void)
{
	return (const struct mt_workload_ops *const *)view(&probes);
}
const struct mt_driver_ops *const *mt_driver_registry(void)
{
	return (const struct mt_driver_ops *const *)view(&drivers);
}

int mt_registry_add_fault(const struct mt_fault_ops *o) { return add(&faults, o); }
int mt_registry_add_workload(const struct mt_workload_ops *o) { return add(&workloads, o); }
int mt_registry_add_probe(const struct mt_workload_ops *o) { return add(&probes, o); }
int mt_registry_add_driver(const struct mt_driver_ops *o) { return add(&drivers, o); }

void mt_registry_reset_extra(void)
{
	struct reg *all[] = { &faults, &workloads, &probes, &drivers };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		free(all[i]->all);
		all[i]->all = NULL;
		all[i]->nextra = 0;
	}
}
