/* credentials.c — does a run name credential files? Then its results are for root only. */
#include "migtorture/host.h"
#include "migtorture/option.h"
#include "runner_priv.h"

/* Any value parsed against an option flagged secret, given explicitly. */
static int params_secret(const struct mt_params *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->vals[i].opt && (p->vals[i].opt->flags & MT_OPTF_SECRET) &&
		    !p->vals[i].is_default && p->vals[i].text && *p->vals[i].text)
			return 1;
	return 0;
}

int mt_run_names_credentials(const struct mt_scenario *s, const struct mt_plan *plan)
{
	for (size_t i = 0; s && i < s->nhosts; i++)
		if (s->hosts[i].ssh_identity && *s->hosts[i].ssh_identity)
			return 1;
	for (size_t c = 0; plan && c < plan->ncells; c++) {
		const struct mt_cell *cell = &plan->cells[c];
		if (params_secret(&cell->core) || params_secret(&cell->migrate))
			return 1;
		for (size_t k = 0; k < cell->nspecs; k++)
			if (params_secret(&cell->specs[k].params))
				return 1;
	}
	return 0;
}
