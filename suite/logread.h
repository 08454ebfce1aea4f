/* logread.h — reading a hypervisor's log files for a cell: which logs a host has (roles), where
 * they are (path patterns), and the part a cell wrote (from an offset, capped). Shared by the
 * runner (local and namespace hosts) and `migtorture agent` (ssh hosts); not a public contract.
 * docs/results.md, "Logs of a cell", says what a run keeps. */
#ifndef MT_LOGREAD_H
#define MT_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "migtorture/error.h"

enum mt_log_role { MT_LOG_LIBVIRTD, MT_LOG_QEMU, MT_LOG_CONSOLE, MT_LOG_NROLES };

/* The biggest piece one read returns (an agent answer carries one, escaped, under 1 MiB). */
#define MT_LOG_CHUNK_MAX (128 * 1024)

/* "libvirtd", "qemu", "console"; and back (-1 for anything else). */
const char *mt_log_role_name(enum mt_log_role role);
int mt_log_role_parse(const char *name);

/* 1 when name can stand in a path: 1..200 of [A-Za-z0-9_.+-], not starting with '.' (a libvirt
 * domain name as the log file names it; never "..", never a '/'). */
int mt_log_domain_ok(const char *name);

/* A pattern is an absolute path in which "{domain}" stands for the domain's name. Fills out
 * with pattern for domain. MT_EINVAL when the pattern is not absolute, holds a "/../", or the
 * domain is not mt_log_domain_ok; out too small: MT_EINVAL. */
int mt_log_path(const char *pattern, const char *domain, char *out, size_t len,
		struct mt_error *err);

/* The file's size now, or -1 when it does not exist (MT_EIO for any other failure). */
int mt_log_size(const char *path, int64_t *size, struct mt_error *err);

/* Control characters (but tab, newline, carriage return) and bytes that are not UTF-8 in the
 * n bytes at b become '?'. */
void mt_log_sanitize(char *b, size_t n);

/* Reads [from, size) of path, at most max bytes (max ≤ MT_LOG_CHUNK_MAX), into *buf (malloc'd,
 * NUL-terminated, *len bytes). Control characters other than tab, newline and carriage return,
 * and bytes that are not UTF-8, become '?', so the text is safe in JSON, a terminal and a
 * browser (a chunk boundary may split a character: its bytes become '?' too). *size gets the file's size
 * now; from beyond it (the file was truncated or rotated) reads from 0 and sets *rotated.
 * A missing file: MT_ENOTFOUND. */
int mt_log_read(const char *path, int64_t from, size_t max, char **buf, size_t *len,
		int64_t *size, int *rotated, struct mt_error *err);

#endif
