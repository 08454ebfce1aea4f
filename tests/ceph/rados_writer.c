/* rados_writer.c — a librados client that writes 4 KiB to one object every 10 ms for a while
 * (rados_write returns once every replica has it on disk: the write+fsync of a guest) and
 * reports the longest time any write took: a cluster-wide I/O stall (e.g. the pause flag)
 * shows as one long write.
 *   rados_writer CONF KEYRING POOL SECONDS  →  {"writes":N,"max_write_ms":M,"stalls_1s":K}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rados/librados.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	rados_t r;
	rados_ioctx_t io;
	char buf[4096];
	double end, next, max = 0;
	long n = 0, stalls = 0;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: rados_writer CONF KEYRING POOL SECONDS\n");
		return 2;
	}
	memset(buf, 'm', sizeof(buf));
	if ((rc = rados_create2(&r, "ceph", "client.admin", 0)) < 0 ||
	    (rc = rados_conf_read_file(r, argv[1])) < 0 ||
	    (rc = rados_conf_set(r, "keyring", argv[2])) < 0 ||
	    (rc = rados_conf_set(r, "client_mount_timeout", "10")) < 0 ||
	    (rc = rados_conf_set(r, "admin_socket", "")) < 0 ||
	    (rc = rados_conf_set(r, "rados_osd_op_timeout", "0")) < 0 || /* wait forever */
	    (rc = rados_connect(r)) < 0 || (rc = rados_ioctx_create(r, argv[3], &io)) < 0) {
		fprintf(stderr, "rados_writer: setup: %s\n", strerror(-rc));
		return 3;
	}
	end = now_ms() + atof(argv[4]) * 1e3;
	next = now_ms();
	while (now_ms() < end) {
		double t0 = now_ms(), dt;

		rc = rados_write(io, "mt-writer", buf, sizeof(buf), 0);
		dt = now_ms() - t0;
		if (rc < 0) {
			fprintf(stderr, "rados_writer: write: %s\n", strerror(-rc));
			break;
		}
		n++;
		if (dt > max)
			max = dt;
		if (dt >= 1000)
			stalls++;
		next += 10;
		if (next > now_ms()) {
			double w = next - now_ms();
			nanosleep(&(struct timespec){ 0, (long)(w * 1e6) }, NULL);
		} else {
			next = now_ms();
		}
	}
	printf("{\"writes\":%ld,\"max_write_ms\":%.0f,\"stalls_1s\":%ld}\n", n, max, stalls);
	rados_ioctx_destroy(io);
	rados_shutdown(r);
	return rc < 0 ? 3 : 0;
}
