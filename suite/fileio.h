/* fileio.h — whole reads and writes over short transfers and EINTR (not a public contract). */
#ifndef MT_FILEIO_H
#define MT_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads up to len bytes at offset off, retrying short reads and EINTR, and stops early at the
 * end of the file (it may have shrunk since it was stat'ed). Returns the bytes read, or -1
 * with errno set. */
ssize_t mt_pread_full(int fd, void *buf, size_t len, off_t off);

/* Writes all len bytes, retrying short writes and EINTR; on a non-blocking descriptor that is
 * full (EAGAIN) it waits up to a second at a time for room. Returns 0, or -1 with errno set. */
int mt_write_full(int fd, const void *buf, size_t len);

/* A whole small file (at most max bytes), NUL-terminated and malloc'd; *len its length when len
 * is not NULL. NULL when it cannot be read or is empty, and, with regular set, when it is not a
 * regular file (a FIFO or a device put where a pid file was would block or mislead; O_NONBLOCK
 * keeps the open itself from waiting on a FIFO). For /proc files and pid files. */
char *mt_slurp(const char *path, size_t max, size_t *len, int regular);

#endif
