/* service.h — how a daemon the process faults stopped or killed is started again: a typed
 * start recipe, found on the host from the process itself before anything is signalled, and
 * journalled with the fault (faults/process.c). Never an argv from input: each recipe kind has
 * one fixed command whose only variables are validated names.
 *
 *   systemd  the process's cgroup is a systemd service's (NAME.service) and systemd runs:
 *            `systemctl stop NAME` / `systemctl start NAME`
 *   lab      a lab host's libvirtd or virtlogd (its -p pid file is the lab's), or with the
 *            OpenStack lab its nova-compute or neutron-linuxbridge-agent (its --config-file is
 *            the one os-up wrote for that host): the lab's own `mt-lab start-daemon HOST
 *            DAEMON` (lab/lib/hosts.sh, lab/openstack/lib.sh)
 *
 * A process with neither (a QEMU, a daemon started by hand) has no recipe: it is not
 * restarted, and service-restart refuses it before stopping anything.
 */
#ifndef MT_FAULTS_SERVICE_H
#define MT_FAULTS_SERVICE_H

#include <stddef.h>

#include "migtorture/error.h"

enum mt_recipe_kind { MT_RECIPE_NONE, MT_RECIPE_SYSTEMD, MT_RECIPE_LAB };

struct mt_service_recipe {
	enum mt_recipe_kind kind;
	char name[136]; /* systemd: the unit (NAME.service); lab: a daemon of lab_daemons */
	char host[32];  /* lab: the lab host (hosta) */
};

/* The recipe names of the record's "recipe" field, by kind ("none", "systemd", "lab"). */
const char *mt_recipe_kind_name(enum mt_recipe_kind k);
/* The kind called name, or -1. */
int mt_recipe_kind_parse(const char *name);

/* Is r well formed: a unit name of letters, digits and :_.@- ending in .service; a lab host
 * of lower-case letters and digits with a daemon the lab starts? 1 or 0. */
int mt_service_recipe_ok(const struct mt_service_recipe *r);

/* The recipe that starts pid's service again, read from /proc/PID (cgroup, command line);
 * kind MT_RECIPE_NONE when it has none. */
void mt_service_recipe_of(int pid, struct mt_service_recipe *r);

/* "systemd nova-compute.service", "lab hosta libvirtd", "none". */
const char *mt_service_recipe_text(const struct mt_service_recipe *r, char *buf, size_t len);

/* Stops the service by its recipe (systemd only: `systemctl stop`); MT_EUNSUPPORTED for the
 * other kinds, whose process the caller signals itself. Waits for the command. */
int mt_service_stop(const struct mt_service_recipe *r, struct mt_error *err);

/* Starts the service by its recipe and waits for the command (≤ 60 s): 0 once it reports the
 * service running; MT_EUNSUPPORTED for a record without a recipe; MT_EINFRA with the command's
 * last line of output when it failed. */
int mt_service_start(const struct mt_service_recipe *r, struct mt_error *err);

/* The main pid systemd gives for unit (0: it does not run). MT_EUNSUPPORTED where systemd
 * does not run; MT_EINVAL for a malformed unit name. */
int mt_service_main_pid(const char *unit, int *pid, struct mt_error *err);

#endif
