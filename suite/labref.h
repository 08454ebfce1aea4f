/* labref.h — resolving `lab:NAME` references through the lab descriptor (lab.json).
 *
 * The embedded lab (lab/mt-lab up) writes /run/migtorture/lab/lab.json (the environment
 * variable MT_LAB_JSON overrides the path). Scenarios name lab hosts as `lab:hosta`; the runner
 * and the CLI (never plugins: docs/architecture.md §2) turn them into libvirt URIs and migration
 * addresses here. For the libvirt driver: source/dest → libvirt_uri, and migrate.source_address /
 * migrate.dest_address ← migration_ip unless the scenario set them.
 */
#ifndef MT_LABREF_H
#define MT_LABREF_H

#include "migtorture/error.h"

struct mt_labref_host {
	char *name;         /* "hosta" */
	char *libvirt_uri;  /* hosts.NAME.libvirt_uri, or NULL when the host has none */
	char *migration_ip; /* hosts.NAME.migration_ip, or NULL */
	char *netns;        /* hosts.NAME.netns, or NULL */
	/* hosts.NAME.ssh.{address,user,identity_file,known_hosts_file} (the router), or NULL.
	 * Credentials are paths; the files are never read here. */
	char *ssh_address, *ssh_user, *ssh_identity, *ssh_known_hosts;
	/* hosts.NAME.logs.{libvirtd,qemu,console}: where the host's daemon, QEMU and console
	 * logs are, as path patterns ({domain}), or NULL */
	char *log_libvirtd, *log_qemu, *log_console;
};

struct mt_labref_guest {
	char *name;     /* guest.name (the libvirt domain) */
	char *ip;       /* guest.ip, or NULL */
	char *http_url; /* guest.http_url, or NULL */
	char *host;     /* guest.host: where it runs now ("hosta"), or NULL */
};

/* The descriptor's path: $MT_LAB_JSON, else /run/migtorture/lab/lab.json. */
const char *mt_labref_path(void);

/* 1 when s is a `lab:NAME` reference. */
int mt_labref_is_ref(const char *s);

/* Looks up the host a `lab:NAME` reference (or a bare NAME) names. out is zeroed by the call;
 * free with mt_labref_host_free. Errors: MT_EINFRA (no descriptor, unreadable, lab not up:
 * the message says how to start it), MT_ENOTFOUND (no such host), MT_ENOMEM. */
int mt_labref_host(const char *ref, struct mt_labref_host *out, struct mt_error *err);
void mt_labref_host_free(struct mt_labref_host *h);

/* Most guests `mt-lab up --guests N` starts (lab/lib/common.sh: addresses .10 to .19). */
#define MT_LAB_MAX_GUESTS 10

/* 1 when s names a lab guest: `lab:guest` (the first) or `lab:guestN`, N = 1 ..
 * MT_LAB_MAX_GUESTS (`lab:guest1` is `lab:guest`); *index (may be NULL) receives N - 1. */
int mt_labref_guest_ref(const char *s, int *index);

/* One of the lab's guests (lab.json `guests`, or its single `guest` when a descriptor has no
 * list): the one ref names (`lab:guestN`); with ref NULL, the one whose libvirt domain is
 * domain; else the first. Same errors as mt_labref_host; MT_ENOTFOUND when ref names a guest
 * beyond the lab's. */
int mt_labref_guest(const char *ref, const char *domain, struct mt_labref_guest *out,
		    struct mt_error *err);
void mt_labref_guest_free(struct mt_labref_guest *g);

/* s unchanged when it is not a lab reference, else the host's libvirt URI: *uri is malloc'd
 * either way (caller frees). */
int mt_labref_resolve_uri(const char *s, char **uri, struct mt_error *err);

#endif
