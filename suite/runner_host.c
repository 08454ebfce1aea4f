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

int rn_spec_host_is_role(const struct mt_spec *sp)
{
	return sp->host && (strcmp(sp->host, "source") == 0 || strcmp(sp->host, "dest") == 0);
}

/* host=source|dest: the cell's source or destination as the hop runs it. Hops alternate
 * (ping-pong), and a cell whose VM starts on its destination (flipped) runs them the other
 * way round; a spec anchored on hop N (at=hopN.*) follows hop N, any other the first hop. */
static const char *role_host(const struct mt_cell *cell, const struct mt_spec *sp, int flipped)
{
	int dest = strcmp(sp->host, "dest") == 0;
	int hop = sp->at_phase.set && sp->at_phase.hop >= 0 ? sp->at_phase.hop : 0;

	if ((hop + flipped) % 2)
		dest = !dest;
	return dest ? cell->dest : cell->source;
}

/* The name a spec's host is looked up by (for messages too): its own, the client's, or the
 * migration host its role names. */
const char *rn_spec_host_name(const struct mt_cell *cell, const struct mt_labres *lab,
			      const struct mt_spec *sp, int flipped)
{
	if (runs_on_client(sp) && cell->client)
		return cell->client;
	if (runs_on_client(sp) && lab->uses_lab)
		return "lab:client";
	if (rn_spec_host_is_role(sp))
		return role_host(cell, sp, flipped) ? role_host(cell, sp, flipped) : sp->host;
	return sp->host ? sp->host : "local";
}

/* Where a spec runs, or NULL (err set) when that host is not available here. A `client` that
 * names the lab resolves through lab.json even for a cell that does not migrate in the lab
 * (a nova cell whose users sit in the lab's client namespace). */
const struct mt_host *rn_spec_host(const struct mt_scenario *s, const struct mt_cell *cell,
				   struct mt_labres *lab, const struct mt_spec *sp, int flipped,
				   struct mt_error *err)
{
	if (runs_on_client(sp) && !cell->client && lab->uses_lab)
		return &lab->client;
	if (rn_spec_host_is_role(sp) && !role_host(cell, sp, flipped)) {
		mt_err(err, MT_EINVAL, "host=%s: the cell names no migration %s", sp->host,
		       sp->host);
		return NULL;
	}
	return resolve_host(s, lab, rn_spec_host_name(cell, lab, sp, flipped), err);
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
