/* mt_guest_dirty.c — guest stress subcommands of mt-guest: the memory dirtier, its integrity
 * check, and a CPU load.
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
 *       changed before rewriting them, unless --no-check): {"memory_integrity":"ok",...} (exit 0) or
 *       {"memory_integrity":"lost","lost_pages":N,"first_offset":X} (exit 1).
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
#include <pthread.h>
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

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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

/* --- sizes and rates: 64M, 1G, 100M/s (K/M/G = 1024-based, like migtorture's units) --- */

int mtg_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1;

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1024.0; end++; break;
	case 'm': case 'M': mul = 1048576.0; end++; break;
	case 'g': case 'G': mul = 1073741824.0; end++; break;
	default: break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (strcmp(end, "/s") == 0)
		end += 2;
	if (*end)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
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

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

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
	int64_t t0 = mono(), last = t0, next_sample = t0 + SAMPLE_NS;
	int64_t end = seconds > 0 ? t0 + seconds * 1000000000LL : INT64_MAX;
	double credit = 0; /* pages we may write now */

	atomic_store(&h->start_mono_ns, t0);
	record_sample(h, t0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_flag) {
		int64_t t = mono(), dt = t - last;

		if (t >= end)
			break;
		if (dt > MAX_DEBT_NS)
			dt = MAX_DEBT_NS;
		credit += (double)h->rate_Bps * (double)dt / 1e9 / PAGE;
		last = t;
		while (credit >= 1 && !stop_flag) {
			uint64_t p = h->pattern ? xorshift(&rng) % h->npages : seqp++ % h->npages;

			write_page(h, p);
			atomic_fetch_add_explicit(&h->bytes, PAGE, memory_order_relaxed);
			credit -= 1;
		}
		t = mono();
		atomic_store_explicit(&h->last_mono_ns, t, memory_order_relaxed);
		while (t >= next_sample) {
			struct stat st;

			record_sample(h, t);
			next_sample += SAMPLE_NS;
			/* State file removed (rm, or a test's cleanup): nobody can read us any more. */
			if (fstat(fd, &st) == 0 && st.st_nlink == 0)
				stop_flag = 1;
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
	t0 = mono();
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
	       secs > 0 ? bytes / secs : 0.0, mono(), start, h->data_off,
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

struct dopts {
	const char *state, *pidfile;
	uint64_t size, rate;
	int pattern, foreground, samples, nocheck, remove;
	int64_t seconds;
	uint64_t seed;
	int workers;
	double load;
};

static int parse(int argc, char **argv, int from, struct dopts *o)
{
	for (int i = from; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--foreground") || !strcmp(a, "-f")) {
			o->foreground = 1;
			continue;
		}
		if (!strcmp(a, "--samples")) {
			o->samples = 1;
			continue;
		}
		if (!strcmp(a, "--no-check")) {
			o->nocheck = 1;
			continue;
		}
		if (!strcmp(a, "--remove")) {
			o->remove = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "mt-guest: '%s' needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--state")) {
			o->state = v;
		} else if (!strcmp(a, "--pidfile")) {
			o->pidfile = v;
		} else if (!strcmp(a, "--size")) {
			if (mtg_parse_size(v, &o->size) < 0 || o->size < PAGE) {
				fprintf(stderr, "mt-guest: --size: expected e.g. 64M, got '%s'\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--rate")) {
			if (mtg_parse_size(v, &o->rate) < 0) {
				fprintf(stderr, "mt-guest: --rate: expected e.g. 100M/s, got '%s'\n",
					v);
				return 2;
			}
		} else if (!strcmp(a, "--pattern")) {
			if (strcmp(v, "seq") && strcmp(v, "random")) {
				fprintf(stderr, "mt-guest: --pattern: seq or random, got '%s'\n", v);
				return 2;
			}
			o->pattern = !strcmp(v, "random");
		} else if (!strcmp(a, "--seconds")) {
			o->seconds = strtoll(v, NULL, 10);
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--workers")) {
			o->workers = atoi(v);
		} else if (!strcmp(a, "--load")) {
			o->load = strtod(v, NULL);
		} else {
			fprintf(stderr, "mt-guest: unknown option '%s'\n", a);
			return 2;
		}
	}
	return 0;
}

/* fork; the parent waits for *ready (shared memory) then prints and exits. Returns in the
 * child (0) after setsid and stdio to /dev/null, or -1. */
static int detach_after_ready(_Atomic uint32_t *ready, const char *state, int *is_parent)
{
	pid_t p = fork();
	int fd;

	*is_parent = 0;
	if (p < 0)
		return -1;
	if (p > 0) {
		/* Up to 120 s: filling 128 MiB under TCG takes a few seconds. */
		for (int i = 0; i < 12000 && !atomic_load(ready); i++) {
			if (waitpid(p, NULL, WNOHANG) == p)
				break;
			usleep(10000);
		}
		*is_parent = 1;
		if (!atomic_load(ready)) {
			fprintf(stderr, "mt-guest: the background process did not get ready\n");
			return -1;
		}
		printf("{\"pid\":%d,\"state\":\"%s\"}\n", (int)p, state ? state : "");
		return 0;
	}
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return chdir("/");
}

static int wait_exit(pid_t pid, int ms);

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
	    !wait_exit(pid, 5000)) {
		kill(pid, SIGKILL);
		wait_exit(pid, 2000);
	}
	munmap(old, len);
}

int mtg_cmd_dirty(int argc, char **argv, int from)
{
	struct dopts o = { .state = default_dirty_state, .size = 64u << 20, .rate = 100u << 20 };
	struct sigaction sa = { .sa_handler = on_stop };
	uint64_t meta_off, data_off, npages;
	struct dirty_hdr *h;
	size_t len;
	int fd, rc, is_parent;
	void *p;

	o.seed = (uint64_t)mono() ^ ((uint64_t)getpid() << 32);
	if ((rc = parse(argc, argv, from, &o)) != 0)
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
	atomic_store(&h->magic, DIRTY_MAGIC);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o.foreground) {
		if (detach_after_ready(&h->ready, o.state, &is_parent) < 0)
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

	if ((rc = parse(argc, argv, from, &o)) != 0)
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

	if ((rc = parse(argc, argv, from, &o)) != 0)
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

/* --- stop --- */

/* Gone, or a zombie (a detached process's parent is init, which may reap it late). */
static int proc_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t r;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static int wait_exit(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (proc_gone(pid))
			return 1;
		usleep(10000);
	}
	return proc_gone(pid);
}

/* utime+stime (s) and age (s) of pid from /proc; -1 when unreadable. */
static int cpu_share(pid_t pid, double *cpu_s, double *age_s)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, start;
	double up;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
			 "%*d %*d %*d %*d %llu", &ut, &st, &start) != 3)
		return -1;
	f = fopen("/proc/uptime", "re");
	if (!f || fscanf(f, "%lf", &up) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	*cpu_s = (double)(ut + st) / hz;
	*age_s = up - (double)start / hz;
	return 0;
}

int mtg_cmd_stop(int argc, char **argv, int from)
{
	struct dopts o = { 0 };
	struct dirty_hdr *h = NULL;
	size_t len = 0;
	pid_t pid = 0;
	int rc;

	if ((rc = parse(argc, argv, from, &o)) != 0)
		return rc;
	if (o.state) {
		h = state_open(o.state, &len);
		if (!h) {
			fprintf(stderr, "mt-guest: %s: no dirtier state\n", o.state);
			return 2;
		}
		pid = (pid_t)atomic_load(&h->pid);
		if (!atomic_load(&h->running))
			pid = 0;
	} else if (o.pidfile) {
		FILE *f = fopen(o.pidfile, "re");
		int v = 0;

		if (!f || fscanf(f, "%d", &v) != 1) {
			fprintf(stderr, "mt-guest: %s: no pid\n", o.pidfile);
			if (f)
				fclose(f);
			return 2;
		}
		fclose(f);
		pid = v;
	} else {
		fprintf(stderr, "mt-guest: stop needs --state or --pidfile\n");
		return 2;
	}
	if (pid > 1) {
		double cpu = 0, age = 0;
		int have = !h && cpu_share(pid, &cpu, &age) == 0;

		kill(pid, SIGTERM);
		if (!wait_exit(pid, 5000)) {
			kill(pid, SIGKILL);
			wait_exit(pid, 2000);
		}
		if (!h)
			printf("{\"pid\":%d,\"stopped\":true,\"cpu_s\":%.3f,\"seconds\":%.3f}\n",
			       (int)pid, have ? cpu : -1, have ? age : -1);
	} else if (!h) {
		printf("{\"stopped\":false}\n");
	}
	if (h) {
		print_status(h, 0);
		munmap(h, len);
	}
	if (o.pidfile)
		unlink(o.pidfile);
	return 0;
}

/* --- cpu load --- */

static double cpu_load = 100;

static void *burn(void *arg)
{
	const int64_t period = 100000000LL;
	volatile uint64_t x = (uintptr_t)arg;

	(void)arg;
	while (!stop_flag) {
		int64_t t = mono(), busy_end = t + (int64_t)(period * cpu_load / 100);
		struct timespec rest;

		while (mono() < busy_end)
			for (int i = 0; i < 1000; i++)
				x = x * 6364136223846793005ULL + 1;
		t = t + period - mono();
		if (t > 0) {
			rest.tv_sec = t / 1000000000LL;
			rest.tv_nsec = t % 1000000000LL;
			nanosleep(&rest, NULL);
		}
	}
	return NULL;
}

int mtg_cmd_cpu(int argc, char **argv, int from)
{
	struct dopts o = { .workers = 1, .load = 100 };
	struct sigaction sa = { .sa_handler = on_stop };
	_Atomic uint32_t *ready;
	pthread_t th[256];
	int n, rc, is_parent;

	if ((rc = parse(argc, argv, from, &o)) != 0)
		return rc;
	if (o.workers < 1 || o.workers > 256 || o.load < 0 || o.load > 100) {
		fprintf(stderr, "mt-guest: cpu: --workers 1..256, --load 0..100\n");
		return 2;
	}
	cpu_load = o.load;
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (ready == MAP_FAILED)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!o.foreground) {
		if (detach_after_ready(ready, o.pidfile, &is_parent) < 0)
			return 1;
		if (is_parent)
			return 0;
	}
	if (o.pidfile) {
		FILE *f = fopen(o.pidfile, "w");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	for (n = 0; n < o.workers; n++)
		if (pthread_create(&th[n], NULL, burn, (void *)(uintptr_t)(n + 1)) != 0)
			break;
	atomic_store(ready, 1);
	/* The signal may land in any thread: poll the flag (and the optional end). */
	for (int64_t end = o.seconds > 0 ? mono() + o.seconds * 1000000000LL : INT64_MAX;
	     !stop_flag && mono() < end;)
		usleep(50000);
	stop_flag = 1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
