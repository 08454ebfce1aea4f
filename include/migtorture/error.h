/* migtorture/error.h — error codes, the error buffer, and exit statuses.
 *
 * Convention (docs/architecture.md §9): functions return 0 on success or a negative MT_E* code
 * and fill a struct mt_error; the CLI prints the message once. Messages from libraries
 * (libvirt, libnl, librados, curl) are kept verbatim inside the message.
 */
#ifndef MIGTORTURE_ERROR_H
#define MIGTORTURE_ERROR_H

#include <stddef.h>

enum mt_errcode {
	MT_OK = 0,
	MT_EINVAL = -1,       /* bad usage or scenario input: exit 2 */
	MT_ENOMEM = -2,       /* allocation failed */
	MT_EIO = -3,          /* file or system call failed */
	MT_EINFRA = -4,       /* lab, driver, host or fault infrastructure failed: exit 3 */
	MT_EUNSUPPORTED = -5, /* not possible here: the cell is skipped with the reason */
	MT_ETIMEOUT = -6,     /* an operation did not finish in time */
	MT_ENOTFOUND = -7,    /* a named thing (plugin, host, metric, file) does not exist */
	MT_EINTR = -8,        /* interrupted by SIGINT/SIGTERM */
};

/* Exit statuses of the migtorture command (docs/architecture.md §9). */
enum mt_exit {
	MT_EXIT_PASS = 0,    /* all thresholds held */
	MT_EXIT_FAIL = 1,    /* a threshold failed (or compare found a regression) */
	MT_EXIT_USAGE = 2,   /* usage or scenario error */
	MT_EXIT_INFRA = 3,   /* infrastructure error: lab, driver, or a fault not applied/undone */
	MT_EXIT_ALLSKIP = 4, /* every cell was skipped */
};

#define MT_ERRMSG_MAX 1024

struct mt_error {
	int code;                 /* the MT_E* code last set, 0 when none */
	char msg[MT_ERRMSG_MAX];  /* one line, no trailing newline */
};

/* Sets err (may be NULL) to code and a printf-formatted message. Returns code, so callers can
 * write `return mt_err(err, MT_EINVAL, "...")`. */
int mt_err(struct mt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a printf-formatted context ("ctx: old message"). */
void mt_err_prefix(struct mt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Resets err to "no error". */
void mt_err_clear(struct mt_error *err);

/* Maps an MT_E* code to the command's exit status (MT_EXIT_*). */
int mt_err_exit_status(int code);

/* Short name of a code, e.g. "EINVAL"; never NULL. */
const char *mt_err_name(int code);

#endif
