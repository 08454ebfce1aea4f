/* tbf.c — the "tbf" fault: a token-bucket rate limit on an interface's egress (or ingress
 * through an ifb), through libnl-route-3. The prior qdisc is journalled and restored on undo
 * (tc_fault.c). Runs on any kernel with sch_tbf (this one has it).
 */
#include <stdio.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "tc_fault.h"
#include "tc_qdisc.h"

static const char *const tbf_parents[] = { "root", "ingress", NULL };

static const struct mt_option tbf_options[] = {
	{ "dev", MT_OPT_STR, NULL, "interface to shape (name on the fault's host)", NULL, 0, 0,
	  MT_OPTF_REQUIRED },
	{ "parent", MT_OPT_ENUM, "root", "root = egress; ingress = via an ifb + mirred redirect",
	  tbf_parents, 0, 0, 0 },
	{ "rate", MT_OPT_BITRATE, NULL, "token rate, e.g. 10mbit", NULL, 8, 8.0 * 2147483647.0,
	  MT_OPTF_REQUIRED },
	{ "burst", MT_OPT_SIZE, NULL, "bucket size (default: 4 ms of rate, at least 3028 bytes)",
	  NULL, 64, 1 << 30, 0 },
	{ "latency", MT_OPT_DURATION, NULL,
	  "longest a packet may wait (default 50ms when limit is not given)", NULL, 0,
	  60.0 * 1e9, 0 },
	{ "limit", MT_OPT_SIZE, NULL, "queue limit in bytes (instead of latency)", NULL, 64,
	  1 << 30, 0 },
	MT_OPTION_END
};

static int tbf_check(const struct mt_params *p, struct mt_error *err)
{
	if (mt_params_get(p, "latency") && mt_params_get(p, "limit"))
		return mt_err(err, MT_EINVAL, "tbf: give latency or limit, not both");
	return 0;
}

/* Default bucket: 4 ms worth of tokens (iproute2 needs burst ≥ rate/HZ; 4 ms covers HZ=250)
 * and at least two full-size Ethernet frames. */
static uint32_t tbf_burst(const struct mt_params *p, uint64_t rate_Bps)
{
	uint64_t b = mt_param_u64(p, "burst");

	if (!b) {
		b = rate_Bps / 250;
		if (b < 3028)
			b = 3028;
	}
	return (uint32_t)b;
}

/* Exposed for the offline message test (not in a public header). */
int mt_tbf_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		 struct mt_error *err);

int mt_tbf_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		 struct mt_error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	uint64_t rate_Bps = mt_param_u64(p, "rate") / 8;
	int rc = 0, nrc;

	if (!q)
		return mt_err(err, MT_ENOMEM, "tbf: out of memory");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), MT_TC_HANDLE);
	nrc = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (nrc < 0) {
		rc = mt_err(err, MT_EINFRA, "tbf: %s", nl_geterror(nrc));
		goto out;
	}
	rtnl_qdisc_tbf_set_rate(q, (int)rate_Bps, (int)tbf_burst(p, rate_Bps), 0);
	if (mt_params_get(p, "limit")) {
		rtnl_qdisc_tbf_set_limit(q, (int)mt_param_u64(p, "limit"));
	} else {
		int64_t lat_ns = mt_params_i64(p, "latency", 50 * MT_NS_PER_MS);
		nrc = rtnl_qdisc_tbf_set_limit_by_latency(q, (int)(lat_ns / MT_NS_PER_US));
		if (nrc < 0) {
			rc = mt_err(err, MT_EINVAL, "tbf latency: %s", nl_geterror(nrc));
			goto out;
		}
	}
	nrc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, msg);
	if (nrc < 0)
		rc = mt_err(err, MT_EINFRA, "tbf message: %s", nl_geterror(nrc));
out:
	rtnl_qdisc_put(q);
	return rc;
}

/* sch_tbf is in every kernel this runs on; a missing one shows as an apply error. */
static int tbf_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			 size_t whylen)
{
	return 0;
}

static int tbf_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		     struct mt_error *err)
{
	int rc;

	*state = NULL;
	rc = mt_tcq_fault_apply("tbf", mt_tbf_build, p, ctx, err);
	if (rc == 0)
		rc = mt_tcq_state_new("tbf", p, state, err);
	return rc;
}

static int tbf_undo(const char *undo_json, struct mt_error *err)
{
	return mt_tcq_fault_undo(undo_json, err);
}

const struct mt_fault_ops mt_fault_tbf = {
	.base.name = "tbf",
	.base.summary = "token-bucket rate limit on an interface (libnl; prior qdisc restored)",
	.base.options = tbf_options,
	.base.check = tbf_check,
	.base.supported = tbf_supported,
	.apply = tbf_apply,
	.undo = tbf_undo,
	.collect = mt_tcq_fault_collect,
	.release = mt_tcq_state_free,
};
