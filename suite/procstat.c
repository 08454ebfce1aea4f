/* procstat.c — /proc/PID/stat, read once for the journal, the spawner, the OSD faults and
 * the process faults. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migtorture/error.h"
#include "procstat.h"

int mt_procstat_read(int pid, struct mt_procstat *st)
{
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MT_ENOTFOUND;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return MT_ENOTFOUND;
	buf[r] = '\0';
	/* comm (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	memset(st, 0, sizeof(*st));
	if (!p || sscanf(p + 1, " %c %d %d %*d %*d %*d %lu %*u %*u %*u %*u %llu %llu %*d %*d %*d "
			 "%*d %*d %*d %llu", &st->state, &st->ppid, &st->pgrp, &st->flags,
			 &st->utime, &st->stime, &st->start) != 7)
		return MT_EIO;
	return 0;
}

int mt_proc_stat(int pid, char *state, int *pgrp, unsigned long long *start)
{
	struct mt_procstat st;
	int rc = mt_procstat_read(pid, &st);

	if (rc < 0)
		return rc;
	if (state)
		*state = st.state;
	if (pgrp)
		*pgrp = st.pgrp;
	if (start)
		*start = st.start;
	return 0;
}

int mt_group_alive(int pgid)
{
	int alive = 0;
	DIR *d;

	if (pgid <= 1 || (kill(-pgid, 0) < 0 && errno == ESRCH))
		return 0;
	d = opendir("/proc");
	if (!d)
		return 1;
	for (struct dirent *de; !alive && (de = readdir(d)) != NULL;) {
		struct mt_procstat st;
		int p = atoi(de->d_name);

		if (p > 0 && mt_procstat_read(p, &st) == 0 && st.pgrp == pgid && st.state != 'Z' &&
		    st.state != 'X')
			alive = 1;
	}
	closedir(d);
	return alive;
}
