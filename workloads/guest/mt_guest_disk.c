/* mt_guest_disk.c — the in-guest disk latency probe and the disk pattern check of mt-guest.
 *
 *   mt-guest disk --dev /dev/vda [--offset 192M] [--interval-ms 10] [--block 4096]
 *                 [--state /run/mt-disk] [--foreground]
 *       Every interval: one O_DIRECT write of a block + fdatasync (a flush down to the disk's
 *       backend — RBD in the lab), its latency recorded in a ring in the state file. The writes
 *       cycle over 1 MiB from --offset. Detaches once the first write+flush completed and
 *       prints {"pid":N,"state":"..."}.
 *   mt-guest disk-status [--state F] [--samples]
 *       {"writes":N,"errors":N,"interval_ms":..,"now_mono_ns":..,"running":true|false,
 *        "inflight_start_mono_ns":T (0: no write in progress; else one that has not returned —
 *        still blocked, or killed by disk-stop while blocked),
 *        "samples":[[start_mono_ns,latency_us,errno],...]} (samples: the ring, oldest first).
 *       The host reads it through the guest agent, like `stalls` (mt-guest.c).
 *   mt-guest disk-stop [--state F]      SIGTERM the probe, wait for it, print its status line.
 *   mt-guest disk-fill --dev D --offset O --size S --seed N   write a deterministic pattern,
 *                                                              flush, print its checksum
 *   mt-guest disk-sum --dev D --offset O --size S              O_DIRECT read (not the guest's
 *                                                              page cache), print the checksum
 * The checksum is FNV-1a 64 over the bytes: {"sum":"<16 hex>","bytes":S}.
 *
 * A write that blocks (a paused cluster, an OSD's PGs peering) shows as one long latency: the
 * host counts latencies over its stall threshold as stalls (workloads/guest_disk.c).
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
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mt_guest_cmds.h"
#include "mt_guest_util.h"

#define DISK_MAGIC 0x4d544744u /* "MTGD" */
#define DISK_RING 65536u       /* 655 s of 10 ms samples */
#define DISK_SPAN (1u << 20)   /* the probe's writes cycle over 1 MiB */

struct disk_sample {
	uint64_t start_mono_ns;
	uint32_t lat_us;
	uint32_t err; /* errno of a failed write or flush, else 0 */
};

struct disk_state {
	uint32_t magic;
	uint32_t pid;
	uint32_t interval_us;
	_Atomic uint32_t ready;
	_Atomic uint64_t total;
	_Atomic uint64_t errors;
	_Atomic uint64_t inflight_ns; /* start of the write in progress, 0 between writes */
	struct disk_sample ring[DISK_RING];
};

struct disk_opts {
	const char *dev, *state;
	uint64_t offset, size, seed, block;
	int64_t interval_us;
	int foreground, samples;
};

static int disk_usage(void)
{
	fprintf(stderr, "usage: mt-guest disk --dev DEV [--offset 192M] [--interval-ms 10] "
			"[--block 4096] [--state F] [--foreground]\n"
			"       mt-guest disk-status|disk-stop [--state F] [--samples]\n"
			"       mt-guest disk-fill --dev DEV --offset O --size S --seed N\n"
			"       mt-guest disk-sum --dev DEV --offset O --size S\n");
	return 2;
}

static int disk_parse(int argc, char **argv, int from, struct disk_opts *o)
{
	o->state = "/run/mt-disk";
	o->offset = 192u << 20;
	o->block = 4096;
	o->interval_us = 10000;
	for (int i = from; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--foreground")) {
			o->foreground = 1;
			continue;
		}
		if (!strcmp(a, "--samples")) {
			o->samples = 1;
			continue;
		}
		if (!v)
			return disk_usage();
		if (!strcmp(a, "--dev")) {
			o->dev = v;
		} else if (!strcmp(a, "--state")) {
			o->state = v;
		} else if (!strcmp(a, "--offset") || !strcmp(a, "--size") ||
			   !strcmp(a, "--block")) {
			uint64_t x;

			if (mtg_parse_size(v, &x) < 0) {
				fprintf(stderr, "mt-guest: %s: expected a size, got '%s'\n", a, v);
				return 2;
			}
			*(!strcmp(a, "--offset") ? &o->offset
			  : !strcmp(a, "--size") ? &o->size
						 : &o->block) = x;
		} else if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, NULL, 10);
		} else if (!strcmp(a, "--interval-ms")) {
			char *end;
			double ms = strtod(v, &end);

			if (*end || ms < 1 || ms > 10000) {
				fprintf(stderr, "mt-guest: --interval-ms: expected 1..10000, got '%s'\n",
					v);
				return 2;
			}
			o->interval_us = (int64_t)(ms * 1000);
		} else {
			fprintf(stderr, "mt-guest: unknown option '%s'\n", a);
			return disk_usage();
		}
		i++;
	}
	if (o->block < 512 || o->block > DISK_SPAN || o->block % 512) {
		fprintf(stderr, "mt-guest: --block: expected a multiple of 512 up to 1M\n");
		return 2;
	}
	return 0;
}

static struct disk_state *disk_map(const char *path, int create)
{
	struct disk_state *st = NULL;
	int fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC,
		      0644);
	void *p;

	if (fd < 0)
		return NULL;
	if (create && ftruncate(fd, sizeof(*st)) < 0)
		goto out;
	p = mmap(NULL, sizeof(*st), create ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
		 0);
	if (p != MAP_FAILED)
		st = p;
out:
	close(fd);
	if (st && !create && st->magic != DISK_MAGIC) {
		munmap(st, sizeof(*st));
		st = NULL;
	}
	return st;
}

/* One write + flush; returns 0 or errno. */
static uint32_t disk_one(int fd, void *buf, const struct disk_opts *o, uint64_t seq)
{
	uint64_t nblocks = DISK_SPAN / o->block;
	off_t off = (off_t)(o->offset + (seq % nblocks) * o->block);

	memcpy(buf, &seq, sizeof(seq));
	if (pwrite(fd, buf, o->block, off) != (ssize_t)o->block)
		return errno ? (uint32_t)errno : EIO;
	if (fdatasync(fd) < 0)
		return (uint32_t)errno;
	return 0;
}

int mtg_cmd_disk(int argc, char **argv, int from)
{
	struct disk_opts o = { 0 };
	struct disk_state *st;
	void *buf = NULL;
	int fd, rc, is_parent = 0;
	int64_t next;
	uint64_t seq = 0;

	if ((rc = disk_parse(argc, argv, from, &o)) != 0)
		return rc;
	if (!o.dev)
		return disk_usage();
	fd = open(o.dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mt-guest: %s: %s\n", o.dev, strerror(errno));
		return 1;
	}
	if (posix_memalign(&buf, 4096, o.block)) {
		fprintf(stderr, "mt-guest: out of memory\n");
		return 1;
	}
	memset(buf, 0xd5, o.block);
	st = disk_map(o.state, 1);
	if (!st) {
		fprintf(stderr, "mt-guest: %s: %s\n", o.state, strerror(errno));
		return 1;
	}
	st->magic = DISK_MAGIC;
	st->interval_us = (uint32_t)o.interval_us;
	signal(SIGTERM, mtg_on_stop);
	signal(SIGINT, mtg_on_stop);
	if (!o.foreground) {
		if (mtg_detach_after_ready(&st->ready, o.state, &is_parent) < 0)
			return 1;
		if (is_parent)
			return 0;
	}
	st->pid = (uint32_t)getpid();
	next = mtg_mono();
	while (!mtg_stop_flag) {
		int64_t t0 = mtg_mono(), t1;
		uint32_t err, n;
		struct disk_sample *s;
		struct timespec ts;

		atomic_store(&st->inflight_ns, (uint64_t)t0);
		err = disk_one(fd, buf, &o, seq);
		t1 = mtg_mono();
		atomic_store(&st->inflight_ns, 0);
		n = (uint32_t)(atomic_load(&st->total) % DISK_RING);
		s = &st->ring[n];
		s->start_mono_ns = (uint64_t)t0;
		s->lat_us = (uint32_t)((t1 - t0) / 1000 > UINT32_MAX ? UINT32_MAX : (t1 - t0) / 1000);
		s->err = err;
		if (err)
			atomic_fetch_add(&st->errors, 1);
		atomic_fetch_add(&st->total, 1);
		atomic_store(&st->ready, 1);
		seq++;
		/* Fixed schedule, but never a burst after a long write: the next write starts one
		 * interval after the later of its slot and now. */
		next += o.interval_us * 1000;
		if (next < t1)
			next = t1;
		ts.tv_sec = next / 1000000000LL;
		ts.tv_nsec = next % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
		       !mtg_stop_flag)
			;
	}
	st->pid = 0;
	close(fd);
	free(buf);
	return 0;
}

static void disk_print(const struct disk_state *st, int samples)
{
	uint64_t total = atomic_load(&((struct disk_state *)st)->total);
	uint64_t first = total > DISK_RING ? total - DISK_RING : 0;
	int running = st->pid > 1 && kill((pid_t)st->pid, 0) == 0;

	printf("{\"writes\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"interval_ms\":%.3f,"
	       "\"now_mono_ns\":%" PRId64 ",\"running\":%s,\"inflight_start_mono_ns\":%" PRIu64,
	       total, atomic_load(&((struct disk_state *)st)->errors), st->interval_us / 1000.0,
	       mtg_mono(), running ? "true" : "false",
	       atomic_load(&((struct disk_state *)st)->inflight_ns));
	if (samples) {
		printf(",\"samples\":[");
		for (uint64_t i = first; i < total; i++) {
			const struct disk_sample *s = &st->ring[i % DISK_RING];

			printf("%s[%" PRIu64 ",%u,%u]", i > first ? "," : "", s->start_mono_ns,
			       s->lat_us, s->err);
		}
		printf("]");
	}
	printf("}\n");
}

/* The prelude of disk-status and disk-stop: parses their options into *o and maps the probe's
 * state file (o->state) read-only into *st. 0, or the exit code to return with *st NULL: 2 for
 * bad usage or no probe state there (said on stderr). The caller unmaps *st. */
static int disk_open(int argc, char **argv, int from, struct disk_opts *o,
		     struct disk_state **st)
{
	int rc = disk_parse(argc, argv, from, o);

	*st = NULL;
	if (rc != 0)
		return rc;
	*st = disk_map(o->state, 0);
	if (!*st) {
		fprintf(stderr, "mt-guest: no disk probe state at %s\n", o->state);
		return 2;
	}
	return 0;
}

int mtg_cmd_disk_status(int argc, char **argv, int from)
{
	struct disk_opts o = { 0 };
	struct disk_state *st;
	int rc = disk_open(argc, argv, from, &o, &st);

	if (rc != 0)
		goto out;
	disk_print(st, o.samples);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (st)
		munmap(st, sizeof(*st));
	return rc;
}

int mtg_cmd_disk_stop(int argc, char **argv, int from)
{
	struct disk_opts o = { 0 };
	struct disk_state *st;
	int rc = disk_open(argc, argv, from, &o, &st);

	if (rc != 0)
		goto out;
	if (st->pid > 1) {
		pid_t p = (pid_t)st->pid;

		kill(p, SIGTERM);
		/* A write blocked in the kernel (a paused cluster) ends only when it completes. */
		if (!mtg_wait_exit(p, 10000)) {
			kill(p, SIGKILL);
			mtg_wait_exit(p, 2000);
		}
	}
	disk_print(st, 0);
out:
	if (st)
		munmap(st, sizeof(*st));
	return rc;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* xorshift64*: the fill pattern, reproducible from the seed and the byte offset's block. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int disk_pattern(int argc, char **argv, int from, int fill)
{
	struct disk_opts o = { 0 };
	const size_t chunk = 1u << 20;
	uint64_t h = 0xcbf29ce484222325ULL, s, done = 0;
	void *buf = NULL;
	int fd, rc;

	if ((rc = disk_parse(argc, argv, from, &o)) != 0)
		return rc;
	if (!o.dev || !o.size || o.size % 4096 || o.offset % 4096)
		return disk_usage();
	fd = open(o.dev, (fill ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, 4096, chunk)) {
		fprintf(stderr, "mt-guest: %s: %s\n", o.dev, strerror(errno));
		return 1;
	}
	s = o.seed * 0x9e3779b97f4a7c15ULL + 1;
	while (done < o.size) {
		size_t n = o.size - done < chunk ? (size_t)(o.size - done) : chunk;
		off_t off = (off_t)(o.offset + done);

		if (fill) {
			for (size_t i = 0; i < n; i += 8) {
				uint64_t v = rnd(&s);

				memcpy((char *)buf + i, &v, 8);
			}
			if (pwrite(fd, buf, n, off) != (ssize_t)n)
				goto fail;
		} else if (pread(fd, buf, n, off) != (ssize_t)n) {
			goto fail;
		}
		h = fnv(h, buf, n);
		done += n;
	}
	if (fill && fdatasync(fd) < 0)
		goto fail;
	printf("{\"sum\":\"%016" PRIx64 "\",\"bytes\":%" PRIu64 "}\n", h, o.size);
	close(fd);
	free(buf);
	return 0;
fail:
	fprintf(stderr, "mt-guest: %s at %" PRIu64 ": %s\n", o.dev, o.offset + done,
		strerror(errno ? errno : EIO));
	close(fd);
	free(buf);
	return 1;
}

int mtg_cmd_disk_fill(int argc, char **argv, int from)
{
	return disk_pattern(argc, argv, from, 1);
}

int mtg_cmd_disk_sum(int argc, char **argv, int from)
{
	return disk_pattern(argc, argv, from, 0);
}
