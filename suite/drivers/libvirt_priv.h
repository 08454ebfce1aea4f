/* libvirt_priv.h — internals shared by the libvirt driver's files (not a public contract).
 *
 * libvirt_options.c  the migrate.* option table and params → struct mt_lv_config
 * libvirt_params.c   config → virTypedParameter list + VIR_MIGRATE_* flags; unsupported combos
 * libvirt_stats.c    VIR_DOMAIN_JOB_* keys → metric names with units; series; achieved ratio
 * libvirt_events.c   the process-wide libvirt event loop thread and per-connection callbacks
 * libvirt_facts.c    run facts: each host's libvirt/QEMU versions, the guest's kernel
 * libvirt_phases.c   a migration's phases from the source's events, for a driver that does not
 *                    migrate through libvirt (nova)
 * libvirt_journal.c  the "libvirt-migration" journal kind: recover ends a lost runner's hop
 * libvirt.c          the ops table: connections, the migration thread, poll, abort, collect
 *
 * The split keeps everything that needs no hypervisor (options, params, stats) testable offline
 * (tests/unit/test_libvirt_params.c).
 */
#ifndef MT_DRIVERS_LIBVIRT_PRIV_H
#define MT_DRIVERS_LIBVIRT_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "migtorture/error.h"
#include "migtorture/option.h"
#include "migtorture/plugin.h"
#include "migtorture/result.h"

enum mt_lv_mode { MT_LV_P2P = 0, MT_LV_DIRECT = 1 };
enum mt_lv_compression { MT_LV_COMP_NONE = 0, MT_LV_COMP_XBZRLE, MT_LV_COMP_ZSTD, MT_LV_COMP_ZLIB };

/* Everything the driver's migrate.* keys say, in base units. -1 means "not given". */
struct mt_lv_config {
	enum mt_lv_mode mode;
	uint64_t bandwidth_Bps;        /* 0 = no cap */
	int64_t max_downtime_ns;       /* -1 = hypervisor default */
	int postcopy;                  /* 0/1 */
	int64_t postcopy_after_ns;     /* switch this long after the hop started, or -1 */
	long postcopy_after_iterations;/* switch once this many passes are done, or -1 */
	int auto_converge;             /* 0/1 */
	int ac_initial_pct;            /* -1 = libvirt default */
	int ac_increment_pct;          /* -1 = libvirt default */
	int parallel;                  /* multifd connections; 0 = off */
	enum mt_lv_compression compression;
	uint64_t xbzrle_cache_bytes;   /* 0 = default */
	int tunnelled, persistent, undefine_source, live;
	uint64_t link_rate_bps;        /* known capacity of the migration link, 0 = unknown */
	char *source_address;          /* migration-network address of source (owned) or NULL */
	char *dest_address;            /* ... of the destination (owned) or NULL */
};

/* --- libvirt_options.c --- */
extern const struct mt_option mt_lv_options[];
/* Defaults for every field (p2p, live, nothing else). */
void mt_lv_config_init(struct mt_lv_config *c);
/* Fills c (initialised by the call) from parsed params; strings are copied (free with
 * mt_lv_config_free). Rejects contradictions a scenario author must fix (MT_EINVAL). */
int mt_lv_config_from_params(const struct mt_params *p, struct mt_lv_config *c,
			     struct mt_error *err);
void mt_lv_config_free(struct mt_lv_config *c);
const char *mt_lv_compression_name(enum mt_lv_compression c);

/* --- libvirt_params.c --- */
/* 0 when libvirt/QEMU accept the combination, else MT_EUNSUPPORTED with the reason (quoting
 * libvirt's own message where libvirt checks it) in why. */
int mt_lv_unsupported(const struct mt_lv_config *c, char *why, size_t whylen);
/* Whole MiB/s for VIR_MIGRATE_PARAM_BANDWIDTH (rounded to nearest, at least 1); 0 = no cap. */
unsigned long long mt_lv_bandwidth_mib(uint64_t Bps);
/* virDomainMigrateSetMaxDowntime's milliseconds for a duration (rounded up, at least 1). */
unsigned long long mt_lv_downtime_ms(int64_t ns);
/* The data-stream URI for hop (even: to dest_address, odd: to source_address), "tcp://ADDR",
 * or "" when no address is known or the migration is tunnelled (libvirt picks). */
void mt_lv_data_uri(const struct mt_lv_config *c, int hop, char *buf, size_t len);
/* Builds the typed parameters and flags of one hop. *params (caller frees with
 * virTypedParamsFree(*params, *nparams)) may be NULL when there is nothing to pass. */
int mt_lv_build(const struct mt_lv_config *c, int hop, virTypedParameterPtr *params,
		int *nparams, unsigned int *flags, struct mt_error *err);

/* How a failed migrate call counts: MT_EUNSUPPORTED when libvirt or QEMU refused the
 * parameter combination (the cell is skipped with the message), else MT_EINFRA (verdict error).
 * vir_code is virErrorNumber; msg is libvirt's message (may be NULL). */
int mt_lv_classify_error(int vir_code, const char *msg);

/* --- libvirt_stats.c --- */
enum mt_lv_kind { MT_LV_NUM, MT_LV_STR };
/* One known VIR_DOMAIN_JOB_* key: its metric name (unit in the last component). */
struct mt_lv_key {
	const char *key;    /* libvirt's name, e.g. "memory_dirty_rate" */
	const char *metric; /* e.g. "memory_dirty_rate_pages_s"; kept under migration.job. */
	const char *unit;   /* for docs and series: "ms", "bytes", "pages/s", ... */
};
extern const struct mt_lv_key mt_lv_keys[]; /* ends with key == NULL */
/* The table row of key, or NULL for keys this version does not know (kept with raw name). */
const struct mt_lv_key *mt_lv_key_find(const char *key);
/* Writes "<prefix>job.<metric>" (or "<prefix>job.<rawkey>" when unknown) into buf. */
void mt_lv_key_metric(const char *prefix, const char *key, char *buf, size_t len);
/* libvirt's name of a job operation code ("migration_out"), or NULL for a code this version
 * does not know (then the code is kept as a number). */
const char *mt_lv_operation_name(double code);
/* Numeric value of a typed parameter (any numeric type, boolean as 0/1); -1 when a string. */
int mt_lv_param_num(const virTypedParameter *p, double *v);
/* Looks key up in params and returns its numeric value, or 0 on success / -1 when absent. */
int mt_lv_get_num(const virTypedParameter *params, int n, const char *key, double *v);
/* achieved ratio = transferred ÷ (cap × total time). Returns 0 and *ratio, or -1 with the
 * reason in why (no cap known, zero time). */
int mt_lv_achieved_ratio(double transferred_bytes, double cap_Bps, double total_ms,
			 double *ratio, char *why, size_t whylen);
/* The cap for the ratio: the smaller of the bandwidth limit and the link rate (bytes/s); 0 when
 * neither is known. */
double mt_lv_cap_Bps(const struct mt_lv_config *c);
/* Records the completed-job statistics of one hop into c: every key as
 * "<prefix>job.<name>_<unit>", the summary metrics ("<prefix>total_time_ms", ...), the ratio,
 * and the hypervisor downtime under dt_prefix ("downtime." or "downtime.hop<N>."). */
int mt_lv_record_completed(struct mt_cell_result *c, const char *prefix, const char *dt_prefix,
			   const virTypedParameter *params, int n, const struct mt_lv_config *cfg);
/* Appends one polled sample (t_ns since cell start) to the migration.* series. */
/* Run facts from the n connections (NULL entries skipped; uris[i] names conns[i]):
 * libvirt@URI, qemu@URI, hostname@URI, and once per run guest_kernel from the guest agent of
 * domain where it runs ("unknown: REASON" when the agent does not answer within 2 s).
 * Returns 0 or MT_ENOMEM. */
int mt_lv_record_facts(virConnectPtr *conns, const char *const *uris, int n, const char *domain,
		       struct mt_run_result *run);

int mt_lv_record_sample(struct mt_cell_result *c, int64_t t_ns, const virTypedParameter *params,
			int n);
/* Deep copy of a typed parameter list (for event payloads). 0 or -1. */
int mt_lv_params_copy(const virTypedParameter *src, int n, virTypedParameterPtr *dst, int *ndst);

/* --- libvirt_events.c --- */
/* pthread_create with every signal blocked in the new thread: the runner takes SIGINT/SIGTERM
 * through a signalfd, which only works when no thread can receive them. 0 or an errno. */
int mt_lv_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, int detached);
/* Registers libvirt's default event implementation and starts its thread, once per process.
 * Must run before the first connection is opened. */
int mt_lv_events_init(struct mt_error *err);

/* --- libvirt_phases.c --- */
/* A hop's phases (plugin.h mt_phase_event) queued for the runner, and for a driver that does not
 * migrate through libvirt itself, filled from the events of the source host's libvirtd. Armed,
 * started and stopped by one thread at a time; push/suspended/next from any thread. */
struct mt_lv_phasewatch;
/* A watch with its eventfd and no connection yet; NULL (with err) when out of memory. */
struct mt_lv_phasewatch *mt_lv_phasewatch_new(struct mt_error *err);
/* Readable while events are queued (valid until free). */
int mt_lv_phasewatch_fd(const struct mt_lv_phasewatch *w);
/* Queues what is pushed as hop's phases from now until stop (a new hop: arm again). */
void mt_lv_phasewatch_arm(struct mt_lv_phasewatch *w, int hop);
/* Connects to uri and queues domain's passes, switch-over and post-copy for the armed hop. */
int mt_lv_phasewatch_start(struct mt_lv_phasewatch *w, const char *uri, const char *domain,
			   struct mt_error *err);
/* Queues a phase learnt elsewhere (e.g. remaining bytes from an API) while armed. */
void mt_lv_phasewatch_push(struct mt_lv_phasewatch *w, enum mt_hop_phase ph, double value,
			   int64_t t_ns);
/* The source suspended the domain (a lifecycle event's detail): the switch-over and post-copy
 * phases, for a driver with callbacks of its own. */
void mt_lv_phasewatch_suspended(struct mt_lv_phasewatch *w, int detail, int64_t t_ns);
/* Events of the armed hop dropped because the runner did not take them in time. */
int mt_lv_phasewatch_lost(struct mt_lv_phasewatch *w);
/* Disarms and closes the connection; the queue keeps what it holds. */
void mt_lv_phasewatch_stop(struct mt_lv_phasewatch *w);
/* The oldest queued event: 1, or 0 when none is left. */
int mt_lv_phasewatch_next(struct mt_lv_phasewatch *w, struct mt_phase_event *ev);
void mt_lv_phasewatch_free(struct mt_lv_phasewatch *w);

/* --- libvirt_journal.c --- */
struct mt_journal_kind;
/* The undo record of a hop from uri of domain (malloc'd JSON), NULL when out of memory. */
char *mt_lv_migration_record(const char *uri, const char *domain);
extern const struct mt_journal_kind mt_journal_kind_lv_migration;

#endif
