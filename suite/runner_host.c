/* runner_host.c — where a spec runs: its [host:NAME] section, this machine, a lab host or the
 * cell's client; whether a fault may act there (the blast radius); and entering that host's
 * network namespace around each plugin call. */
#include <string.h>

#include "blast.h"
#include "labresolve.h"
#include "runner_priv.h"

const struct mt_host rn_local_host = { .name = "local", .kind = MT_HOST_LOCAL };

/* A [host:NAME] section, "local", or a lab host; NULL (err set) for anything else. */
static const struct mt_host *resolve_host(const struct mt_scenario *s, struct mt_labres *lab,
					  const char *name, struct mt_error *err)
{
	const struct mt_host *h = name ? mt_scenario_host(s, name) : NULL;

	if (h)
		return h;
	if (!name || strcmp(name, "local") == 0)
		return &rn_local_host;
	if (mt_labres_is_lab_name(name))
		return mt_labres_host(lab, name, err);
	mt_err(err, MT_ENOTFOUND, "no [host:%s] section", name);
	return NULL;
}

const struct mt_host *rn_host_by_name(struct rn_cellrun *c, const char *name,
				      struct mt_error *err)
{
	return resolve_host(c->r->s, &c->lab, name, err);
}

/* The blast radius (blast.h): a fault may act on a lab host, on what the scenario's targets
 * allow, or anywhere with --allow-host-faults. */
int rn_fault_in_radius(const struct rn_cellrun *c, const struct rn_inst *in)
{
	const struct mt_host *h = in->host;

	if (c->r->o->allow_host_faults)
		return 1;
	if (h >= c->lab.hosts && h < c->lab.hosts + MT_LABRES_MAXHOSTS)
		return 1;
	return mt_blast_allowed(mt_param_str(&c->cell->core, "targets"), h->name,
				mt_param_str(&in->spec->params, "dev"));
}

/* Probes and web workloads that name no host run where the VM's users are: the cell's
 * `client`, else the lab's client when the cell uses the lab; stress and faults stay where
 * they say. */
static int runs_on_client(const struct mt_spec *sp)
{
	return (sp->cls == MT_SPEC_PROBE || sp->cls == MT_SPEC_WORKLOAD) &&
	       (!sp->host || !strcmp(sp->host, "local"));
}

/* The name a spec's host is looked up by (for messages too): its own, or the client's. */
const char *rn_spec_host_name(const struct mt_cell *cell, const struct mt_labres *lab,
			      const struct mt_spec *sp)
{
	if (runs_on_client(sp) && cell->client)
		return cell->client;
	if (runs_on_client(sp) && lab->uses_lab)
		return "lab:client";
	return sp->host ? sp->host : "local";
}

/* Where a spec runs, or NULL (err set) when that host is not available here. A `client` that
 * names the lab resolves through lab.json even for a cell that does not migrate in the lab
 * (a nova cell whose users sit in the lab's client namespace). */
const struct mt_host *rn_spec_host(const struct mt_scenario *s, const struct mt_cell *cell,
				   struct mt_labres *lab, const struct mt_spec *sp,
				   struct mt_error *err)
{
	if (runs_on_client(sp) && !cell->client && lab->uses_lab)
		return &lab->client;
	return resolve_host(s, lab, rn_spec_host_name(cell, lab, sp), err);
}

/* Entering an instance's host around each plugin call. */
int rn_enter(struct rn_cellrun *c, struct rn_inst *in, int *saved, struct mt_error *err)
{
	int rc = mt_host_enter(in->host, saved, err);

	if (rc < 0)
		rn_fail(c, rc, "%s %s: %s", rn_cls_name(in->spec->cls), in->spec->kind, err->msg);
	return rc;
}

void rn_leave(struct rn_cellrun *c, int saved)
{
	struct mt_error err = { 0 };

	if (mt_host_leave(saved, &err) < 0)
		rn_fail(c, MT_EINFRA, "%s", err.msg);
}
