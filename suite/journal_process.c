/* journal_process.c — the "process" journal kind: a program the runner (or an agent) started
 * for itself, such as stress-ng or a probe's helper, recorded with its start time so that
 * `recover` after a SIGKILLed runner stops exactly that process (or its group) and never a
 * process that has since taken its pid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "journal_priv.h"
#include "jsonl.h"
#include "procstat.h"
#include "migtorture/journal.h"

static int undo_process(const char *undo_json, char *note, size_t notelen,
			struct mt_error *err);

const struct mt_journal_kind mt_journal_kind_process = { "process", undo_process };

/* A member in 0..hi: 0 when absent, -1 when not such a number (never wrapped into some other,
 * valid, pid). */
static int64_t get_int(const cJSON *o, const char *k, int64_t hi)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	int64_t x;

	if (!v)
		return 0;
	return mt_json_i64(v, 0, hi, &x) == 0 ? x : -1;
}

int mt_journal_process(struct mt_journal *j, const struct mt_host *host, int pid,
		       const char *what, uint64_t *id, struct mt_error *err)
{
	unsigned long long start = 0;
	cJSON *o = cJSON_CreateObject();
	char *undo = NULL;
	uint64_t nid = 0;
	int pgrp = 0, rc;

	if (!o) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	if (pid <= 1 || mt_proc_stat(pid, NULL, &pgrp, &start) < 0) {
		rc = mt_err(err, MT_ENOTFOUND, "journal: process %d (%s) does not exist", pid,
			    what ? what : "?");
		goto out;
	}
	/* Only a group of its own is killed as a group: never the runner's own group. */
	if (pgrp != pid || pgrp == getpgrp())
		pgrp = 0;
	if (!cJSON_AddNumberToObject(o, "pid", pid) || !cJSON_AddNumberToObject(o, "pgid", pgrp) ||
	    !cJSON_AddNumberToObject(o, "start_time", (double)start) ||
	    !cJSON_AddStringToObject(o, "what", what ? what : "")) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	undo = cJSON_PrintUnformatted(o);
	if (!undo) {
		rc = mt_err(err, MT_ENOMEM, "out of memory");
		goto out;
	}
	rc = mt_journal_begin(j, mt_journal_kind_process.name, host, undo, &nid, err);
	if (rc < 0)
		goto out;
	rc = mt_journal_applied(j, nid, mt_journal_rel_now(j), err);
	if (rc == 0 && id)
		*id = nid;
out:
	free(undo);
	cJSON_Delete(o);
	return rc;
}

/* Is pid (pgid == 0) or any member of group pgid still running (zombies do not count)? */
static int still_running(int pid, int pgid)
{
	char state = 0;

	if (pgid)
		return mt_group_alive(pgid);
	return mt_proc_stat(pid, &state, NULL, NULL) == 0 && state != 'Z' && state != 'X';
}

/* Waits up to ms for the target to end, reaping pid if it is our child. */
static int wait_gone(int pid, int pgid, int ms)
{
	for (int waited = 0;; waited += 20) {
		while (waitpid(pid, NULL, WNOHANG) > 0)
			;
		if (!still_running(pid, pgid))
			return 1;
		if (waited >= ms)
			return 0;
		usleep(20000);
	}
}

static int undo_process(const char *undo_json, char *note, size_t notelen,
			struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	unsigned long long want, start = 0;
	int pid, pgid, target, rc = 0;

	if (!o) {
		rc = mt_err(err, MT_EINVAL, "process entry: bad undo record");
		goto out;
	}
	pid = (int)get_int(o, "pid", INT_MAX);
	pgid = (int)get_int(o, "pgid", INT_MAX);
	want = (unsigned long long)get_int(o, "start_time", INT64_MAX);
	if (pid <= 1 || pgid == 1 || pgid < 0) {
		rc = mt_err(err, MT_EINVAL, "process entry: bad pid %d", pid);
		goto out;
	}
	if (mt_proc_stat(pid, NULL, NULL, &start) < 0) {
		snprintf(note, notelen, "process %d already gone", pid);
		goto out;
	}
	if (start != want) {
		/* The number now names another process: ours is gone. Never signal it. */
		snprintf(note, notelen, "pid %d was recycled (start time %llu, journalled %llu): "
			 "not signalled", pid, start, want);
		goto out;
	}
	target = pgid > 0 ? -pgid : pid;
	if (kill(target, SIGTERM) < 0 && errno != ESRCH) {
		rc = mt_err(err, MT_EINFRA, "kill %d: %s", target, strerror(errno));
		goto out;
	}
	if (wait_gone(pid, pgid, 2000)) {
		snprintf(note, notelen, "terminated %s %d", pgid ? "process group" : "process",
			 pgid ? pgid : pid);
		goto out;
	}
	kill(target, SIGKILL);
	if (!wait_gone(pid, pgid, 1000)) {
		rc = mt_err(err, MT_EINFRA, "%s %d survived SIGKILL",
			    pgid ? "process group" : "process", pgid ? pgid : pid);
		goto out;
	}
	snprintf(note, notelen, "killed %s %d (SIGTERM ignored for 2 s)",
		 pgid ? "process group" : "process", pgid ? pgid : pid);
out:
	cJSON_Delete(o);
	return rc;
}
