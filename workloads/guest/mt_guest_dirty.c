/* mt_guest_dirty.c — the memory dirtier of mt-guest and its integrity check (`cpu` and `stop`
 * are in mt_guest_load.c, shared helpers in mt_guest_util.c); all the stress subcommands:
 *
 *   mt-guest dirty --size 64M --rate 100M/s [--pattern seq|random] [--state /run/mt-dirty]
 *                  [--seconds N] [--seed N] [--no-check] [--foreground]
 *       Writes whole pages of a shared file mapping (tmpfs: guest RAM) at the set rate and
 *       keeps a 64-bit checksum per page, updated with every write. Detaches once the region
 *       is filled and prints {"pid":..,"state":..}; with --foreground it runs (for --seconds,
 *       0 = until SIGTERM/SIGINT) and prints its final status JSON. Removing the state file
 *       also ends it (checked every 100 ms).
 *   mt-guest dirty-status [--state F] [--samples]
 *       Status JSON: bytes written, achieved rate, the guest's CLOCK_MONOTONIC now (the host
 *       maps guest times onto its own with it), and with --samples the 100 ms history
 *       [[mono_ns, bytes], ...] so the host can take the rate over any interval.
 *   mt-guest verify [--state F] [--remove]
 *       Checks every page against its checksum (and counts the pages the dirtier itself found
 *       changed before rewriting them, unless --no-check): {"memory_integrity":"ok",...}
 *       (exit 0) or {"memory_integrity":"lost","lost_pages":N,"first_offset":X} (exit 1).
 *   mt-guest stop (--state F | --pidfile F)
 *       SIGTERM to the dirtier (or cpu load), waits for it; prints the dirtier's final status or
 *       the load's achieved CPU share.
 *   mt-guest cpu --workers N --load P [--seconds N] [--pidfile F] [--foreground]
 *       N threads, each busy P % of every 100 ms.
 *
 * Consistency while running: each page has a generation word used as a seqlock (odd while the
 * page is being written), so `verify` can run during the dirtier's life — a page caught mid-write
 * is retried, never reported lost. The page content is a function of (seed, page, generation),
 * but verify trusts only the stored checksum: a page whose new content the migration dropped no
 * longer matches the checksum written with it (the checksums live in other pages, dirtied far
 * more often, so losing both consistently is unlikely).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mt_guest_cmds.h"
#include "mt_guest_util.h"

#define DIRTY_MAGIC 0x4d544744u /* "MTGD" */
#define DIRTY_VERSION 1
#define PAGE 4096u
#define NSAMPLES 8192u             /* 100 ms each: 13.6 min of history, ring */
#define SAMPLE_NS 100000000LL
#define SLICE_NS 5000000LL         /* the pacing tick */
#define MAX_DEBT_NS 100000000LL    /* after a stall, catch up at most 100 ms worth */

struct sample {
	int64_t mono_ns;
	uint64_t bytes;
};

struct page_meta {
	_Atomic uint64_t gen; /* seqlock: odd while the page is written */
	_Atomic uint64_t sum;
};

struct dirty_hdr {
	uint32_t magic, version;
	uint64_t size, npages;
	uint64_t rate_Bps;
	uint64_t seed;
	uint32_t pattern; /* 0 seq, 1 random */
	_Atomic uint32_t pid;
	_Atomic uint32_t ready;   /* region filled, checksums valid */
	_Atomic uint32_t running; /* 0 once it exited */
	_Atomic uint64_t bytes;   /* page bytes written since ready (init fill excluded) */
	_Atomic int64_t start_mono_ns, last_mono_ns;
	_Atomic uint64_t nsamples; /* written so far; sample i at samples[i % NSAMPLES] */
	uint64_t meta_off, data_off;
	uint32_t check;                 /* check each page against its checksum before rewriting */
	uint32_t pad;
	_Atomic uint64_t lost_seen;     /* pages the dirtier found changed behind its back */
	_Atomic uint64_t first_lost_off;/* offset of the first of them (UINT64_MAX: none) */
	struct sample samples[NSAMPLES];
};

static const char *const default_dirty_state = "/run/mt-dirty";

/* --- the page checksum: 64-bit, word-wise, xxhash-style mixing --- */

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	return rotl(h ^ (w * 0xC2B2AE3D27D4EB4FULL), 31) * 0x9E3779B97F4A7C15ULL;
}

static inline uint64_t finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 29;
	h *= 0x165667B19E3779F9ULL;
	return h ^ (h >> 32);
}

uint64_t mtg_page_sum(const void *page, uint64_t pageno)
{
	const volatile uint64_t *w = page;
	uint64_t h = 0x27D4EB2F165667C5ULL ^ pageno;

	for (unsigned i = 0; i < PAGE / 8; i++)
		h = mix(h, w[i]);
	return finish(h);
}

/* Writes page content for (seed, pageno, gen) and returns its checksum (one pass). */
static uint64_t fill_page(void *page, uint64_t seed, uint64_t pageno, uint64_t gen)
{
	volatile uint64_t *w = page;
	uint64_t base = finish(seed ^ (pageno << 20) ^ gen), h = 0x27D4EB2F165667C5ULL ^ pageno;

	for (unsigned i = 0; i < PAGE / 8; i++) {
		uint64_t v = base + i * 0x9E3779B97F4A7C15ULL;

		w[i] = v;
		h = mix(h, v);
	}
	return finish(h);
}

/* --- the state file --- */

static size_t state_bytes(uint64_t npages, uint64_t *meta_off, uint64_t *data_off)
{
	uint64_t m = (sizeof(struct dirty_hdr) + PAGE - 1) / PAGE * PAGE;
	uint64_t d = (m + npages * sizeof(struct page_meta) + PAGE - 1) / PAGE * PAGE;

	*meta_off = m;
	*data_off = d;
	return (size_t)(d + npages * PAGE);
}

/* Maps an existing state file (read-write: verify reads the seqlock words atomically). */
static struct dirty_hdr *state_open(const char *path, size_t *len)
{
	struct dirty_hdr *h = NULL;
	struct stat st;
	void *p;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h))
		goto out;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto out;
	h = p;
	if (h->magic != DIRTY_MAGIC || h->version != DIRTY_VERSION ||
	    state_bytes(h->npages, &(uint64_t){ 0 }, &(uint64_t){ 0 }) != (size_t)st.st_size) {
		munmap(p, (size_t)st.st_size);
		h = NULL;
		errno = EINVAL;
		goto out;
	}
	*len = (size_t)st.st_size;
out:
	close(fd);
	return h;
}

static struct page_meta *meta_of(struct dirty_hdr *h)
{
	return (struct page_meta *)((char *)h + h->meta_off);
}

static char *data_of(struct dirty_hdr *h)
{
	return (char *)h + h->data_off;
}

/* --- the dirtier --- */

/* With check on, the page is first compared with its checksum: a write the migration lost
 * would otherwise be healed by this very rewrite before any verify could see it. */
static void write_page(struct dirty_hdr *h, uint64_t p)
{
	struct page_meta *m = &meta_of(h)[p];
	uint64_t g = atomic_load_explicit(&m->gen, memory_order_relaxed);
	uint64_t sum;

	if (h->check && mtg_page_sum(data_of(h) + p * PAGE, p) !=
				atomic_load_explicit(&m->sum, memory_order_relaxed)) {
		uint64_t none = UINT64_MAX;

		atomic_compare_exchange_strong(&h->first_lost_off, &none, p * PAGE);
		atomic_fetch_add(&h->lost_seen, 1);
	}

	atomic_store_explicit(&m->gen, g + 1, memory_order_relaxed); /* odd: being written */
	atomic_thread_fence(memory_order_release);
	sum = fill_page(data_of(h) + p * PAGE, h->seed, p, g + 2);
	atomic_store_explicit(&m->sum, sum, memory_order_relaxed);
	atomic_store_explicit(&m->gen, g + 2, memory_order_release);
}

static void record_sample(struct dirty_hdr *h, int64_t t)
{
	uint64_t n = atomic_load_explicit(&h->nsamples, memory_order_relaxed);

	h->samples[n % NSAMPLES].mono_ns = t;
	h->samples[n % NSAMPLES].bytes = atomic_load_explicit(&h->bytes, memory_order_relaxed);
	atomic_store_explicit(&h->nsamples, n + 1, memory_order_release);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Paces page writes: at every SLICE_NS tick, writes until bytes catch up with rate × time
 * (a stall's debt is capped at MAX_DEBT_NS so a pause does not turn into a burst). */
static void dirty_loop(struct dirty_hdr *h, int64_t seconds, int fd)
{
	struct timespec next;
	uint64_t rng = h->seed | 1, seqp = 0;
	int64_t t0 = mtg_mono(), last = t0, next_sample = t0 + SAMPLE_NS;
	int64_t end = seconds > 0 ? t0 + seconds * 1000000000LL : INT64_MAX;
	double credit = 0; /* pages we may write now */

	atomic_store(&h->start_mono_ns, t0);
	record_sample(h, t0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!mtg_stop_flag) {
		int64_t t = mtg_mono(), dt = t - last;

		if (t >= end)
			break;
		if (dt > MAX_DEBT_NS)
			dt = MAX_DEBT_NS;
		credit += (double)h->rate_Bps * (double)dt / 1e9 / PAGE;
		last = t;
		while (credit >= 1 && !mtg_stop_flag) {
			uint64_t p = h->pattern ? xorshift(&rng) % h->npages : seqp++ % h->npages;

			write_page(h, p);
			atomic_fetch_add_explicit(&h->bytes, PAGE, memory_order_relaxed);
			credit -= 1;
		}
		t = mtg_mono();
		atomic_store_explicit(&h->last_mono_ns, t, memory_order_relaxed);
		while (t >= next_sample) {
			struct stat st;

			record_sample(h, t);
			next_sample += SAMPLE_NS;
			/* State file removed (rm, or a test's cleanup): nobody can read us any more. */
			if (fstat(fd, &st) == 0 && st.st_nlink == 0)
				mtg_stop_flag = 1;
		}
		next.tv_nsec += SLICE_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		/* Behind by more than a tick (a stall): restart the schedule from now. */
		if ((int64_t)next.tv_sec * 1000000000LL + next.tv_nsec < t - SLICE_NS)
			clock_gettime(CLOCK_MONOTONIC, &next);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	t0 = mtg_mono();
	atomic_store_explicit(&h->last_mono_ns, t0, memory_order_relaxed);
	record_sample(h, t0);
}

static void print_status(struct dirty_hdr *h, int with_samples)
{
	int64_t start = atomic_load(&h->start_mono_ns), last = atomic_load(&h->last_mono_ns);
	uint64_t bytes = atomic_load(&h->bytes), n = atomic_load(&h->nsamples);
	double secs = last > start ? (last - start) / 1e9 : 0;

	printf("{\"pid\":%u,\"running\":%u,\"ready\":%u,\"size\":%" PRIu64 ",\"pages\":%" PRIu64
	       ",\"pattern\":\"%s\",\"rate_set_bps\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"seconds\":%.3f,\"achieved_bps\":%.0f,\"now_mono_ns\":%" PRId64
	       ",\"start_mono_ns\":%" PRId64 ",\"data_offset\":%" PRIu64 ",\"lost_seen\":%" PRIu64,
	       atomic_load(&h->pid), atomic_load(&h->running), atomic_load(&h->ready), h->size,
	       h->npages, h->pattern ? "random" : "seq", h->rate_Bps, bytes, secs,
	       secs > 0 ? bytes / secs : 0.0, mtg_mono(), start, h->data_off,
	       atomic_load(&h->lost_seen));
	if (with_samples) {
		uint64_t first = n > NSAMPLES ? n - NSAMPLES : 0;

		printf(",\"samples\":[");
		for (uint64_t i = first; i < n; i++)
			printf("%s[%" PRId64 ",%" PRIu64 "]", i > first ? "," : "",
			       h->samples[i % NSAMPLES].mono_ns, h->samples[i % NSAMPLES].bytes);
		printf("]");
	}
	printf("}\n");
	fflush(stdout);
}

/* A dirtier left running by an earlier run (its host side died) is stopped first: truncating
 * its file under it would make it fault, or worse, keep writing into the new region. */
static void stop_previous(const char *path)
{
	size_t len;
	struct dirty_hdr *old = state_open(path, &len);
	pid_t pid;

	if (!old)
		return;
	pid = (pid_t)atomic_load(&old->pid);
	if (atomic_load(&old->running) && pid > 1 && pid != getpid() && kill(pid, SIGTERM) == 0 &&
	    !mtg_wait_exit(pid, 5000)) {
		kill(pid, SIGKILL);
		mtg_wait_exit(pid, 2000);
	}
	munmap(old, len);
}

int mtg_cmd_dirty(int argc, char **argv, int from)
{
	struct dopts o = { .state = default_dirty_state, .size = 64u << 20, .rate = 100u << 20 };
	struct sigaction sa = { .sa_handler = mtg_on_stop };
	uint64_t meta_off, data_off, npages;
	struct dirty_hdr *h;
	size_t len;
	int fd, rc, is_parent;
	void *p;

	o.seed = (uint64_t)mtg_mono() ^ ((uint64_t)getpid() << 32);
	if ((rc = mtg_parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	npages = o.size / PAGE;
	len = state_bytes(npages, &meta_off, &data_off);
	stop_previous(o.state);
	fd = open(o.state, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
		fprintf(stderr, "mt-guest: %s: %s\n", o.state, strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mt-guest: mmap %s: %s\n", o.state, strerror(errno));
		return 1;
	}
	h = p;
	h->size = npages * PAGE;
	h->npages = npages;
	h->rate_Bps = o.rate;
	h->seed = o.seed;
	h->pattern = (uint32_t)o.pattern;
	h->meta_off = meta_off;
	h->data_off = data_off;
	h->check = !o.nocheck;
	atomic_store(&h->first_lost_off, UINT64_MAX);
	h->version = DIRTY_VERSION;
	atomic_thread_fence(memory_order_release); /* header complete before the magic */
	h->magic = DIRTY_MAGIC;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o.foreground) {
		if (mtg_detach_after_ready(&h->ready, o.state, &is_parent) < 0)
			return 1;
		if (is_parent)
			return 0;
	}
	atomic_store(&h->pid, (uint32_t)getpid());
	atomic_store(&h->running, 1);
	/* Every page gets content and a checksum first (generation 0), so verify covers it. */
	for (uint64_t i = 0; i < npages; i++)
		meta_of(h)[i].sum = fill_page(data_of(h) + i * PAGE, h->seed, i, 0);
	atomic_store(&h->ready, 1);
	dirty_loop(h, o.seconds, fd);
	close(fd);
	atomic_store(&h->running, 0);
	if (o.foreground)
		print_status(h, 0);
	return 0;
}

int mtg_cmd_dirty_status(int argc, char **argv, int from)
{
	struct dopts o = { .state = default_dirty_state };
	struct dirty_hdr *h;
	size_t len;
	int rc;

	if ((rc = mtg_parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	h = state_open(o.state, &len);
	if (!h) {
		fprintf(stderr, "mt-guest: %s: no dirtier state (%s)\n", o.state, strerror(errno));
		return 2;
	}
	print_status(h, o.samples);
	munmap(h, len);
	return 0;
}

int mtg_cmd_verify(int argc, char **argv, int from)
{
	struct dopts o = { .state = default_dirty_state };
	uint64_t lost = 0, first = UINT64_MAX, busy = 0, dirtied = 0;
	struct dirty_hdr *h;
	size_t len;
	int rc;

	if ((rc = mtg_parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	h = state_open(o.state, &len);
	if (!h || !atomic_load(&h->ready)) {
		fprintf(stderr, "mt-guest: %s: no ready dirtier state\n", o.state);
		return 2;
	}
	for (uint64_t i = 0; i < h->npages; i++) {
		struct page_meta *m = &meta_of(h)[i];
		int ok = -1;

		/* A page being written (odd or changed generation) is read again. */
		for (int tries = 0; tries < 1000 && ok < 0; tries++) {
			uint64_t g1 = atomic_load_explicit(&m->gen, memory_order_acquire), g2;
			uint64_t want = atomic_load_explicit(&m->sum, memory_order_relaxed);
			uint64_t got;

			if (g1 & 1)
				continue;
			got = mtg_page_sum(data_of(h) + i * PAGE, i);
			atomic_thread_fence(memory_order_acquire);
			g2 = atomic_load_explicit(&m->gen, memory_order_relaxed);
			if (g1 != g2 ||
			    want != atomic_load_explicit(&m->sum, memory_order_relaxed))
				continue;
			ok = got == want;
			dirtied += g1 > 0;
		}
		if (ok < 0) {
			busy++;
		} else if (!ok) {
			lost++;
			if (first == UINT64_MAX)
				first = i * PAGE;
		}
	}
	/* Pages the dirtier caught before rewriting them, plus those corrupt right now. */
	if (atomic_load(&h->lost_seen)) {
		uint64_t f = atomic_load(&h->first_lost_off);

		lost += atomic_load(&h->lost_seen);
		if (f < first)
			first = f;
	}
	if (lost)
		printf("{\"memory_integrity\":\"lost\",\"lost_pages\":%" PRIu64
		       ",\"first_offset\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"dirtied_pages\":%" PRIu64
		       ",\"busy_pages\":%" PRIu64 "}\n",
		       lost, first, h->npages, dirtied, busy);
	else
		printf("{\"memory_integrity\":\"ok\",\"pages\":%" PRIu64 ",\"dirtied_pages\":%" PRIu64
		       ",\"busy_pages\":%" PRIu64 "}\n",
		       h->npages, dirtied, busy);
	/* --remove: the state (guest RAM) is released once nobody writes it any more */
	if (o.remove && !atomic_load(&h->running))
		unlink(o.state);
	munmap(h, len);
	return lost ? 1 : 0;
}


int mtg_dirty_stop(const char *state)
{
	size_t len = 0;
	struct dirty_hdr *h = state_open(state, &len);
	pid_t pid;

	if (!h) {
		fprintf(stderr, "mt-guest: %s: no dirtier state\n", state);
		return 2;
	}
	pid = (pid_t)atomic_load(&h->pid);
	if (atomic_load(&h->running) && pid > 1) {
		kill(pid, SIGTERM);
		if (!mtg_wait_exit(pid, 5000)) {
			kill(pid, SIGKILL);
			mtg_wait_exit(pid, 2000);
		}
	}
	print_status(h, 0);
	munmap(h, len);
	return 0;
}
