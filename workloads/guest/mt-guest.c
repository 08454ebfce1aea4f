/* mt-guest — the small static helper that runs inside the VM under test.
 *
 *   mt-guest --daemon [--port 7777] [--bind ADDR] [--state PATH] [--foreground] [--pidfile P]
 *                     [--tick-us 1000] [--idle-tick-us 50000]
 *       UDP responder for the host's udp probe (wire format: include/migtorture/guest_proto.h) plus the stall
 *       monitor: a thread that sleeps 1 ms and records every span > 2 ms in which it did not
 *       see its clock. The newest gaps ride back in every reply. While no probe has come for
 *       a second it sleeps 50 ms instead (--idle-tick-us): nobody reads the gaps then, and an
 *       idle guest should not pay a thousand wake-ups a second. Detaches unless --foreground.
 *   mt-guest stalls [--state PATH]
 *       Prints the stall ring of a running (or exited) daemon as JSON lines, oldest first — for
 *       the host to read through the QEMU guest agent (guest-exec), not a control protocol.
 *
 * The ring lives in a small file mapped shared (default /run/mt-guest.state, else
 * /tmp/mt-guest.state) so `stalls` can read it from another process without talking to the
 * daemon. One writer (the monitor thread), lock-free readers (the responder, `stalls`).
 *
 * Standalone on purpose (no libmigtorture): it is copied into arbitrary Linux guests, built
 * static. Later issues add subcommands (a memory dirtier, a disk probe): add a row to
 * `commands` below and a cmd_* function; the daemon's threads are started in cmd_daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "mt_guest_cmds.h"
#include "migtorture/guest_proto.h"

#define MTG_VERSION "1"
#define RING_N 256                 /* gaps kept; the host reads them as they happen anyway */
#define STATE_MAGIC 0x4d544753u    /* "MTGS" */
#define TICK_NS 1000000LL          /* the stall monitor's default sleep (--tick-us) */
#define IDLE_TICK_NS 50000000LL    /* its sleep while no probe comes (--idle-tick-us) */
#define IDLE_AFTER_NS 1000000000LL /* no probe for this long: idle */
/* A span longer than twice the tick is recorded (2 ms at the default tick). */

struct ring_entry {
	uint32_t seq;
	uint32_t len_us;
	uint64_t start_mono_ns;
	uint64_t start_real_ns;
};

/* The shared state file's layout (native byte order: only this binary on this host reads it). */
struct state {
	uint32_t magic;
	uint32_t ring_n;
	uint32_t instance;
	uint32_t pid;
	_Atomic uint32_t total; /* gaps recorded; entry i lives at entries[i % RING_N] */
	uint32_t pad;
	struct ring_entry entries[RING_N];
};

static const char *const default_state_paths[] = { "/run/mt-guest.state",
						   "/tmp/mt-guest.state" };

static int64_t now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* --- the stall ring --- */

/* Maps the state file at path (created and sized when create != 0). Returns NULL on failure. */
/* The fallback path is in world-writable /tmp: a symlink or a file another user planted
 * there is refused (O_NOFOLLOW, then owner and type checked) instead of being truncated and
 * written, or read as our ring. */
static struct state *state_map(const char *path, int create)
{
	struct state *st = NULL;
	int fd = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC, 0644);
	struct stat sb;
	void *p;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != geteuid() && (create || sb.st_uid != 0)))
		goto out; /* a reader also trusts root's ring */
	if (create && ftruncate(fd, sizeof(*st)) < 0)
		goto out;
	p = mmap(NULL, sizeof(*st), create ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto out;
	st = p;
out:
	close(fd);
	return st;
}

/* Single writer: fill the entry first, then publish it by advancing total (release). */
static void ring_record(struct state *st, int64_t start_mono, int64_t start_real, int64_t len)
{
	uint32_t t = atomic_load_explicit(&st->total, memory_order_relaxed);
	struct ring_entry *e = &st->entries[t % RING_N];
	int64_t us = len / 1000;

	e->seq = t;
	e->len_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	e->start_mono_ns = (uint64_t)start_mono;
	e->start_real_ns = (uint64_t)start_real;
	atomic_store_explicit(&st->total, t + 1, memory_order_release);
}

/* Copies up to max newest entries (newest first) into out; returns how many. An entry that
 * the writer lapped while we copied is dropped (its seq no longer matches). */
static unsigned ring_latest(const struct state *st, struct ring_entry *out, unsigned max)
{
	uint32_t t = atomic_load_explicit(&((struct state *)st)->total, memory_order_acquire);
	unsigned n = 0;

	for (uint32_t i = 0; i < max && i < t && i < RING_N; i++) {
		uint32_t seq = t - 1 - i;

		out[n] = st->entries[seq % RING_N];
		if (out[n].seq == seq)
			n++;
	}
	return n;
}

/* --- the stall monitor thread --- */

static int64_t tick_ns = TICK_NS, idle_tick_ns = IDLE_TICK_NS;
/* CLOCK_MONOTONIC of the last probe the responder received (0: none yet) */
static _Atomic int64_t last_probe_ns;

/* The sleep in effect is chosen before each sleep, so a pause of the VM (a migration's
 * switch-over) is measured at the tick of a guest that was being probed when it stopped. */
static void *monitor_main(void *arg)
{
	struct state *st = arg;
	int64_t prev = now(CLOCK_MONOTONIC), prev_real = now(CLOCK_REALTIME);

	for (;;) {
		int64_t t, r, last = atomic_load_explicit(&last_probe_ns, memory_order_relaxed);
		int64_t tk = last && prev - last < IDLE_AFTER_NS ? tick_ns :
			     (idle_tick_ns > tick_ns ? idle_tick_ns : tick_ns);
		struct timespec ts = { tk / 1000000000LL, tk % 1000000000LL };

		nanosleep(&ts, NULL);
		t = now(CLOCK_MONOTONIC);
		r = now(CLOCK_REALTIME);
		if (t - prev > 2 * tk)
			ring_record(st, prev, prev_real, t - prev);
		prev = t;
		prev_real = r;
	}
	return NULL;
}

/* --- the UDP responder --- */

static int responder(struct state *st, int fd)
{
	unsigned char in[MT_GP_SIZE + 1], out[MT_GP_SIZE];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t flen = sizeof(from);
		struct mt_gp_probe q;
		struct mt_gp_reply r;
		struct ring_entry g[MT_GP_GAPS];
		ssize_t len = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			perror("mt-guest: recvfrom");
			return 1;
		}
		memset(&r, 0, sizeof(r));
		r.rx_real_ns = (uint64_t)now(CLOCK_REALTIME);
		r.rx_mono_ns = (uint64_t)now(CLOCK_MONOTONIC);
		if (mt_gp_decode_probe(in, (size_t)len, &q) < 0)
			continue; /* not ours (or another version): stay silent */
		atomic_store_explicit(&last_probe_ns, (int64_t)r.rx_mono_ns, memory_order_relaxed);
		r.seq = q.seq;
		r.instance = st->instance;
		r.client_send_ns = q.client_send_ns;
		r.ngaps = (uint8_t)ring_latest(st, g, MT_GP_GAPS);
		r.gap_total = atomic_load_explicit(&st->total, memory_order_acquire);
		for (unsigned i = 0; i < r.ngaps; i++) {
			r.gaps[i].seq = g[i].seq;
			r.gaps[i].len_us = g[i].len_us;
			r.gaps[i].start_mono_ns = g[i].start_mono_ns;
		}
		r.tx_real_ns = (uint64_t)now(CLOCK_REALTIME);
		r.tx_mono_ns = (uint64_t)now(CLOCK_MONOTONIC);
		mt_gp_encode_reply(out, &r);
		/* A full send buffer or an unreachable client is the client's loss to count. */
		(void)sendto(fd, out, sizeof(out), MSG_DONTWAIT, (struct sockaddr *)&from, flen);
	}
}

/* --- options --- */

struct opts {
	int port;
	const char *bind;
	const char *state;
	const char *pidfile;
	int foreground;
};

static int usage(FILE *f, int rc)
{
	fprintf(f,
		"usage: mt-guest --daemon [--port N] [--bind ADDR] [--state PATH] [--foreground]\n"
		"                         [--pidfile PATH] [--tick-us N] [--idle-tick-us N]\n"
		"       mt-guest stalls [--state PATH]\n"
		"       mt-guest dirty --size 64M --rate 100M/s [--pattern seq|random] [--state F]\n"
		"                      [--seconds N] [--seed N] [--no-check] [--foreground]\n"
		"       mt-guest dirty-status [--state F] [--samples]\n"
		"       mt-guest verify [--state F] [--remove]\n"
		"       mt-guest cpu --workers N --load P [--seconds N] [--pidfile F] [--foreground]\n"
		"       mt-guest stop (--state F | --pidfile F)\n"
		"       mt-guest disk --dev DEV [--offset 192M] [--interval-ms 10] [--state F]\n"
		"       mt-guest disk-status [--state F] [--samples] | disk-stop [--state F]\n"
		"       mt-guest disk-fill --dev DEV --offset O --size S --seed N\n"
		"       mt-guest disk-sum --dev DEV --offset O --size S\n"
		"       mt-guest --version\n"
		"  --daemon    answer the host's UDP probes (default port %d) and monitor stalls\n"
		"  stalls      print the recorded clock gaps as JSON lines, oldest first\n"
		"  dirty       write pages at a set rate, a checksum per page (default state\n"
		"              /run/mt-dirty); detaches once filled unless --foreground\n"
		"  verify      check every page against its checksum: memory_integrity ok|lost\n"
		"  cpu         N threads busy P %% of every 100 ms\n"
		"  stop        SIGTERM the dirtier (--state) or cpu load (--pidfile), print status\n"
		"  disk        write a block + fdatasync every interval, latencies in a ring\n"
		"              (default state /run/mt-disk); detaches after the first write\n"
		"  disk-fill   write a seeded pattern and print its checksum; disk-sum reads it\n"
		"              back with O_DIRECT and prints the checksum\n"
		"  --state     shared state file (default %s, else %s)\n"
		"  --tick-us   stall monitor sleep while probes come (default 1000 us); gaps > 2\n"
		"              ticks are recorded. Each tick is a wake-up: ~1 %% of a core at 1 ms.\n"
		"  --idle-tick-us  its sleep after a second without a probe (default 50000 us;\n"
		"              --tick-us or less keeps the fine tick always)\n",
		MT_GP_DEFAULT_PORT, default_state_paths[0], default_state_paths[1]);
	return rc;
}

/* Parses argv[from..]; returns 0 or 2 (usage error, message printed). */
static int parse_opts(int argc, char **argv, int from, struct opts *o)
{
	for (int i = from; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--foreground") == 0 || strcmp(a, "-f") == 0) {
			o->foreground = 1;
			continue;
		}
		if (strcmp(a, "--daemon") == 0)
			continue;
		if (!v || a[0] != '-') {
			fprintf(stderr, "mt-guest: unexpected '%s'\n", a);
			return 2;
		}
		if (strcmp(a, "--port") == 0) {
			char *end;
			long p = strtol(v, &end, 10);

			if (*end || p < 1 || p > 65535) {
				fprintf(stderr, "mt-guest: --port: expected 1..65535, got '%s'\n", v);
				return 2;
			}
			o->port = (int)p;
		} else if (strcmp(a, "--tick-us") == 0) {
			char *end;
			long us = strtol(v, &end, 10);

			if (*end || us < 100 || us > 1000000) {
				fprintf(stderr, "mt-guest: --tick-us: expected 100..1000000, got '%s'\n",
					v);
				return 2;
			}
			tick_ns = us * 1000LL;
		} else if (strcmp(a, "--idle-tick-us") == 0) {
			char *end;
			long us = strtol(v, &end, 10);

			if (*end || us < 100 || us > 1000000) {
				fprintf(stderr, "mt-guest: --idle-tick-us: expected 100..1000000, got "
					"'%s'\n", v);
				return 2;
			}
			idle_tick_ns = us * 1000LL;
		} else if (strcmp(a, "--bind") == 0) {
			o->bind = v;
		} else if (strcmp(a, "--state") == 0) {
			o->state = v;
		} else if (strcmp(a, "--pidfile") == 0) {
			o->pidfile = v;
		} else {
			fprintf(stderr, "mt-guest: unknown option '%s'\n", a);
			return 2;
		}
		i++;
	}
	return 0;
}

/* Maps the state file: o->state, else the first default that works, else anonymous memory
 * (then `stalls` cannot see it; the replies still carry the gaps). */
static struct state *open_state(const struct opts *o)
{
	struct state *st = NULL;

	if (o->state)
		return state_map(o->state, 1);
	for (size_t i = 0; !st && i < sizeof(default_state_paths) / sizeof(*default_state_paths);
	     i++)
		st = state_map(default_state_paths[i], 1);
	if (!st) {
		void *p = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);

		fprintf(stderr, "mt-guest: no writable state file; `stalls` will see nothing\n");
		st = p == MAP_FAILED ? NULL : p;
	}
	return st;
}

static uint32_t random_instance(void)
{
	uint32_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		v = (uint32_t)now(CLOCK_REALTIME) ^ ((uint32_t)getpid() << 16);
	if (fd >= 0)
		close(fd);
	return v ? v : 1;
}

/* Classic detach: fork, setsid, fork, stdio to /dev/null. */
static int detach(void)
{
	pid_t p = fork();
	int fd;

	if (p < 0)
		return -1;
	if (p > 0)
		_exit(0);
	setsid();
	p = fork();
	if (p < 0)
		return -1;
	if (p > 0)
		_exit(0);
	/* inherited on purpose, no O_CLOEXEC: with 0-2 closed this fd is the new stdin */
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

/* --- commands --- */

static int cmd_daemon(int argc, char **argv, int from)
{
	struct opts o = { .port = MT_GP_DEFAULT_PORT };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct state *st;
	pthread_t mon;
	int fd, buf = 1 << 20, rc;

	if ((rc = parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	sa.sin_port = htons((uint16_t)o.port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (o.bind && inet_pton(AF_INET, o.bind, &sa.sin_addr) != 1) {
		fprintf(stderr, "mt-guest: --bind: expected an IPv4 address, got '%s'\n", o.bind);
		return 2;
	}
	/* Bind before detaching so the boot script learns about a port clash. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("mt-guest: udp socket");
		return 1;
	}
	/* Room for a few hundred ms of 1 kHz probes queued while the guest is stalled. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	st = open_state(&o);
	if (!st) {
		perror("mt-guest: state");
		return 1;
	}
	if (!o.foreground && detach() < 0) {
		perror("mt-guest: detach");
		return 1;
	}
	memset(st, 0, sizeof(*st));
	st->magic = STATE_MAGIC;
	st->ring_n = RING_N;
	st->instance = random_instance();
	st->pid = (uint32_t)getpid();
	if (o.pidfile) {
		FILE *f = fopen(o.pidfile, "we");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	if (pthread_create(&mon, NULL, monitor_main, st) != 0) {
		fprintf(stderr, "mt-guest: cannot start the stall monitor\n");
		return 1;
	}
	return responder(st, fd);
}

static int cmd_stalls(int argc, char **argv, int from)
{
	struct opts o = { 0 };
	const struct state *st = NULL;
	uint32_t total, first;
	int rc;

	if ((rc = parse_opts(argc, argv, from, &o)) != 0)
		return rc;
	if (o.state)
		st = state_map(o.state, 0);
	for (size_t i = 0;
	     !o.state && !st && i < sizeof(default_state_paths) / sizeof(*default_state_paths); i++)
		st = state_map(default_state_paths[i], 0);
	if (!st || st->magic != STATE_MAGIC || st->ring_n != RING_N) {
		fprintf(stderr, "mt-guest: no stall state (is `mt-guest --daemon` running?)\n");
		return 1;
	}
	total = atomic_load_explicit(&((struct state *)st)->total, memory_order_acquire);
	first = total > RING_N ? total - RING_N : 0;
	for (uint32_t s = first; s < total; s++) {
		struct ring_entry e = st->entries[s % RING_N];

		if (e.seq != s)
			continue; /* lapped while printing */
		printf("{\"instance\":%u,\"seq\":%u,\"start_mono_ns\":%llu,\"start_real_ns\":%llu,"
		       "\"len_ms\":%.3f}\n",
		       st->instance, e.seq, (unsigned long long)e.start_mono_ns,
		       (unsigned long long)e.start_real_ns, e.len_us / 1000.0);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Subcommands. Guest stress lives in mt_guest_dirty.c; later issues add e.g. "disk". */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, int from);
} commands[] = {
	{ "daemon", cmd_daemon },
	{ "stalls", cmd_stalls },
	{ "dirty", mtg_cmd_dirty },
	{ "dirty-status", mtg_cmd_dirty_status },
	{ "verify", mtg_cmd_verify },
	{ "stop", mtg_cmd_stop },
	{ "cpu", mtg_cmd_cpu },
	{ "disk", mtg_cmd_disk },
	{ "disk-status", mtg_cmd_disk_status },
	{ "disk-stop", mtg_cmd_disk_stop },
	{ "disk-fill", mtg_cmd_disk_fill },
	{ "disk-sum", mtg_cmd_disk_sum },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("mt-guest %s (protocol %d)\n", MTG_VERSION, MT_GP_VERSION);
		return 0;
	}
	/* `--daemon` anywhere selects the daemon (the boot script's spelling). */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--daemon") == 0)
			return cmd_daemon(argc, argv, 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc, argv, 2);
	fprintf(stderr, "mt-guest: unknown command '%s'\n", argv[1]);
	return usage(stderr, 2);
}
