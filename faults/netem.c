/* netem.c — the "netem" fault: delay, jitter, distributions, loss (random, Gilbert-Elliott,
 * 4-state), duplication, reordering, corruption, rate and queue limit on an interface's egress
 * (or ingress through an ifb), through libnl-route-3.
 *
 * libnl 3.7 has setters for the classic fields; what it lacks (rate, loss models) is added as raw
 * TCA_NETEM_* attributes inside the TCA_OPTIONS libnl built (netem's options are a tc_netem_qopt
 * followed by nested attributes, all inside TCA_OPTIONS). Probabilities are u32 fractions of
 * UINT32_MAX (= 100 %), as the kernel and iproute2 use them; libnl's setters take them as int
 * (docs/lab.md, "Measured facts"), so values above INT_MAX are passed as the same bits.
 * The prior qdisc is journalled and restored on undo (tc_fault.c).
 */
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

#include "migtorture/plugin.h"
#include "migtorture/units.h"
#include "netem_dist.h"
#include "tc_fault.h"
#include "tc_qdisc.h"

static const char *const netem_parents[] = { "root", "ingress", NULL };
static const char *const netem_dists[] = { "uniform", "normal", "pareto", "paretonormal", NULL };
static const char *const netem_models[] = { "random", "gemodel", "4state", NULL };

/* Delays are sent as psched ticks in a u32 (nl_us2ticks: 15.625 ticks per µs), so 274 s is the
 * largest that fits; keep a margin. */
#define NETEM_MAX_DELAY_NS (270.0 * 1e9)

#define PCT(name, help) { name, MT_OPT_PERCENT, NULL, help, NULL, 0, 100, 0 }

static const struct mt_option netem_options[] = {
	{ "dev", MT_OPT_STR, NULL, "interface to impair (name on the fault's host)", NULL, 0, 0,
	  MT_OPTF_REQUIRED },
	{ "parent", MT_OPT_ENUM, "root", "root = egress; ingress = via an ifb + mirred redirect",
	  netem_parents, 0, 0, 0 },
	{ "delay", MT_OPT_DURATION, NULL, "added delay, e.g. 20ms", NULL, 0, NETEM_MAX_DELAY_NS, 0 },
	{ "jitter", MT_OPT_DURATION, NULL, "delay variation (needs delay)", NULL, 0,
	  NETEM_MAX_DELAY_NS, 0 },
	PCT("delay_corr", "correlation of successive delays (needs jitter)"),
	{ "distribution", MT_OPT_ENUM, "uniform", "jitter distribution (non-uniform needs jitter)",
	  netem_dists, 0, 0, 0 },
	PCT("loss", "random loss probability, e.g. 1%"),
	PCT("loss_corr", "correlation of successive random losses (needs loss)"),
	{ "loss_model", MT_OPT_ENUM, "random",
	  "random (loss=), gemodel (Gilbert-Elliott: ge_*), 4state (gi_*)", netem_models, 0, 0,
	  0 },
	PCT("ge_p", "Gilbert-Elliott: P(good → bad)"),
	PCT("ge_r", "Gilbert-Elliott: P(bad → good) (default 100%)"),
	PCT("ge_bad_loss", "Gilbert-Elliott: loss probability in the bad state, 1-h (default 100%)"),
	PCT("ge_good_loss", "Gilbert-Elliott: loss probability in the good state, k (default 0%)"),
	PCT("gi_p13", "4-state: P(gap → burst-loss)"),
	PCT("gi_p31", "4-state: P(burst-loss → gap) (default 100% - p13)"),
	PCT("gi_p32", "4-state: P(burst-loss → burst-ok) (default 0%)"),
	PCT("gi_p23", "4-state: P(burst-ok → burst-loss) (default 100%)"),
	PCT("gi_p14", "4-state: P(gap → isolated loss) (default 0%)"),
	PCT("duplicate", "duplication probability"),
	PCT("duplicate_corr", "correlation of duplications (needs duplicate)"),
	PCT("reorder", "probability a packet is sent at once (reordered; needs delay)"),
	PCT("reorder_corr", "correlation of reorderings (needs reorder)"),
	{ "gap", MT_OPT_INT, NULL, "reorder every Nth packet (needs reorder)", NULL, 1,
	  2147483647.0, 0 },
	PCT("corrupt", "single-bit corruption probability"),
	PCT("corrupt_corr", "correlation of corruptions (needs corrupt)"),
	{ "rate", MT_OPT_BITRATE, NULL, "egress rate limit inside netem, e.g. 10mbit", NULL, 8,
	  8.0 * 1e12, 0 },
	{ "limit", MT_OPT_INT, "100000",
	  "queue limit in packets (tc's 1000 overflows at high rate x delay)", NULL, 1,
	  2147483647.0, 0 },
	MT_OPTION_END
};

/* Percent (0..100) → the kernel's u32 fraction, UINT32_MAX = 100 %. */
uint32_t mt_netem_pct_u32(double pct);
uint32_t mt_netem_pct_u32(double pct)
{
	double v = pct / 100.0 * (double)UINT32_MAX;

	if (v <= 0)
		return 0;
	if (v >= (double)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)llround(v);
}

/* libnl's setters take int; the kernel field is u32. Same bits, defined conversion. */
static int u32_as_int(uint32_t v)
{
	return v <= INT_MAX ? (int)v : (int)(v - 2147483648u) + INT_MIN;
}

static int has(const struct mt_params *p, const char *k)
{
	return mt_params_get(p, k) != NULL;
}

static int needs(const struct mt_params *p, const char *k, const char *req, struct mt_error *err)
{
	if (has(p, k) && !has(p, req))
		return mt_err(err, MT_EINVAL, "netem: %s needs %s", k, req);
	return 0;
}

static int netem_check(const struct mt_params *p, struct mt_error *err)
{
	static const char *const pairs[][2] = {
		{ "jitter", "delay" },       { "delay_corr", "jitter" },
		{ "loss_corr", "loss" },     { "duplicate_corr", "duplicate" },
		{ "reorder", "delay" },      { "reorder_corr", "reorder" },
		{ "gap", "reorder" },        { "corrupt_corr", "corrupt" },
	};
	const char *model = mt_param_str(p, "loss_model");
	const char *dist = mt_param_str(p, "distribution");
	int rc;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((rc = needs(p, pairs[i][0], pairs[i][1], err)) < 0)
			return rc;
	if (strcmp(dist, "uniform") != 0 && !has(p, "jitter"))
		return mt_err(err, MT_EINVAL, "netem: distribution=%s needs jitter", dist);
	if (strcmp(model, "random") != 0 && (has(p, "loss") || has(p, "loss_corr")))
		return mt_err(err, MT_EINVAL,
			      "netem: loss/loss_corr are the random model; loss_model=%s uses its "
			      "own keys", model);
	for (size_t i = 0; p->vals && i < p->n; i++) {
		const char *k = p->vals[i].opt ? p->vals[i].opt->name : NULL;
		if (!k || p->vals[i].is_default)
			continue;
		if (strncmp(k, "ge_", 3) == 0 && strcmp(model, "gemodel") != 0)
			return mt_err(err, MT_EINVAL, "netem: %s needs loss_model=gemodel", k);
		if (strncmp(k, "gi_", 3) == 0 && strcmp(model, "4state") != 0)
			return mt_err(err, MT_EINVAL, "netem: %s needs loss_model=4state", k);
	}
	if (strcmp(model, "gemodel") == 0 && !has(p, "ge_p"))
		return mt_err(err, MT_EINVAL, "netem: loss_model=gemodel needs ge_p");
	if (strcmp(model, "4state") == 0 && !has(p, "gi_p13"))
		return mt_err(err, MT_EINVAL, "netem: loss_model=4state needs gi_p13");
	return 0;
}

/* Appends the attributes libnl cannot set, inside the message's TCA_OPTIONS. table (or NULL) is
 * the delay distribution: put here, not with rtnl_netem_set_delay_distribution_data(), because
 * libnl 3.x then grows the message by the table's size and leaves ~4 KiB of it unwritten inside
 * TCA_OPTIONS (valgrind: uninitialised bytes sent to the kernel, and our attributes after the
 * gap would be cut off by the kernel's parser). */
static int append_raw(const struct mt_params *p, const int16_t *table, struct nl_msg *msg,
		      struct mt_error *err)
{
	struct nlmsghdr *nlh;
	struct nlattr *opts = NULL, *pos, *tail;
	const char *model = mt_param_str(p, "loss_model");
	uint64_t rate_Bps = mt_param_u64(p, "rate") / 8;
	size_t tlen = MT_NETEM_DIST_LEN * sizeof(*table);
	int rem;

	/* Room first (libnl messages start at a page; expanding moves the buffer), then find
	 * TCA_OPTIONS before appending: TCA_NETEM_DELAY_DIST has the same type number. */
	if (table && nlmsg_expand(msg, NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len) + NLA_HDRLEN +
					       NLA_ALIGN(tlen) + 1024) < 0)
		goto nomem;
	nlh = nlmsg_hdr(msg);
	nlmsg_for_each_attr(pos, nlh, sizeof(struct tcmsg), rem) {
		if (nla_type(pos) == TCA_OPTIONS)
			opts = pos;
	}
	if (!opts)
		return mt_err(err, MT_EINFRA, "netem message: no TCA_OPTIONS");
	if (table && nla_put(msg, TCA_NETEM_DELAY_DIST, (int)tlen, table) < 0)
		goto nomem;
	if (rate_Bps) {
		struct tc_netem_rate r = { .rate = rate_Bps >= UINT32_MAX ? UINT32_MAX
									 : (uint32_t)rate_Bps };
		if (nla_put(msg, TCA_NETEM_RATE, sizeof(r), &r) < 0 ||
		    (rate_Bps >= UINT32_MAX && nla_put_u64(msg, TCA_NETEM_RATE64, rate_Bps) < 0))
			goto nomem;
	}
	if (strcmp(model, "gemodel") == 0) {
		struct tc_netem_gemodel ge = {
			.p = mt_netem_pct_u32(mt_param_dbl(p, "ge_p")),
			.r = mt_netem_pct_u32(mt_params_dbl(p, "ge_r", 100)),
			/* the kernel's h is P(no loss) in the bad state */
			.h = UINT32_MAX - mt_netem_pct_u32(mt_params_dbl(p, "ge_bad_loss", 100)),
			.k1 = mt_netem_pct_u32(mt_param_dbl(p, "ge_good_loss")),
		};
		struct nlattr *nest = nla_nest_start(msg, TCA_NETEM_LOSS);
		if (!nest || nla_put(msg, NETEM_LOSS_GE, sizeof(ge), &ge) < 0)
			goto nomem;
		nla_nest_end(msg, nest);
	} else if (strcmp(model, "4state") == 0) {
		double p13 = mt_param_dbl(p, "gi_p13");
		struct tc_netem_gimodel gi = {
			.p13 = mt_netem_pct_u32(p13),
			.p31 = mt_netem_pct_u32(mt_params_dbl(p, "gi_p31", 100.0 - p13)),
			.p32 = mt_netem_pct_u32(mt_param_dbl(p, "gi_p32")),
			.p14 = mt_netem_pct_u32(mt_param_dbl(p, "gi_p14")),
			.p23 = mt_netem_pct_u32(mt_params_dbl(p, "gi_p23", 100)),
		};
		struct nlattr *nest = nla_nest_start(msg, TCA_NETEM_LOSS);
		if (!nest || nla_put(msg, NETEM_LOSS_GI, sizeof(gi), &gi) < 0)
			goto nomem;
		nla_nest_end(msg, nest);
	}
	/* TCA_OPTIONS is the last top-level attribute and must span to the message's end. */
	nlh = nlmsg_hdr(msg);
	tail = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	opts->nla_len = (uint16_t)((char *)tail - (char *)opts);
	return 0;
nomem:
	return mt_err(err, MT_ENOMEM, "netem message: out of room");
}

/* Exposed for the offline message test (not in a public header). */
int mt_netem_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		   struct mt_error *err);

int mt_netem_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		   struct mt_error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	const char *dist = mt_param_str(p, "distribution");
	int16_t *table = NULL;
	int rc = 0, nrc;

	*msg = NULL;
	if (!q)
		return mt_err(err, MT_ENOMEM, "netem: out of memory");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), MT_TC_HANDLE);
	nrc = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (nrc < 0) {
		rc = mt_err(err, MT_EINFRA, "netem: %s", nl_geterror(nrc));
		goto out;
	}
	rtnl_netem_set_limit(q, (int)mt_param_i64(p, "limit"));
	if (has(p, "delay"))
		rtnl_netem_set_delay(q, (int)(mt_param_i64(p, "delay") / MT_NS_PER_US));
	if (has(p, "jitter"))
		rtnl_netem_set_jitter(q, (int)(mt_param_i64(p, "jitter") / MT_NS_PER_US));
	if (has(p, "delay_corr"))
		rtnl_netem_set_delay_correlation(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "delay_corr"))));
	if (has(p, "loss"))
		rtnl_netem_set_loss(q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "loss"))));
	if (has(p, "loss_corr"))
		rtnl_netem_set_loss_correlation(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "loss_corr"))));
	if (has(p, "duplicate"))
		rtnl_netem_set_duplicate(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "duplicate"))));
	if (has(p, "duplicate_corr"))
		rtnl_netem_set_duplicate_correlation(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "duplicate_corr"))));
	if (has(p, "reorder"))
		rtnl_netem_set_reorder_probability(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "reorder"))));
	if (has(p, "reorder_corr"))
		rtnl_netem_set_reorder_correlation(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "reorder_corr"))));
	if (has(p, "gap"))
		rtnl_netem_set_gap(q, (int)mt_param_i64(p, "gap"));
	if (has(p, "corrupt"))
		rtnl_netem_set_corruption_probability(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "corrupt"))));
	if (has(p, "corrupt_corr"))
		rtnl_netem_set_corruption_correlation(
			q, u32_as_int(mt_netem_pct_u32(mt_param_dbl(p, "corrupt_corr"))));
	if (strcmp(dist, "uniform") != 0) {
		table = malloc(MT_NETEM_DIST_LEN * sizeof(*table));
		if (!table) {
			rc = mt_err(err, MT_ENOMEM, "netem: out of memory");
			goto out;
		}
		rc = mt_netem_dist_table(dist, table);
		if (rc < 0) {
			mt_err(err, rc, "netem: distribution '%s'", dist);
			goto out;
		}
	}
	nrc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, msg);
	if (nrc < 0) {
		rc = mt_err(err, MT_EINVAL, "netem message: %s", nl_geterror(nrc));
		goto out;
	}
	rc = append_raw(p, table, *msg, err);
out:
	if (rc < 0 && *msg) {
		nlmsg_free(*msg);
		*msg = NULL;
	}
	free(table);
	rtnl_qdisc_put(q);
	return rc;
}

/* Adds netem on a scratch link (dummy, else ifb, else veth): the only reliable test for
 * sch_netem (no modules list to read when it is built in, and none to load when it is not).
 * Without a scratch link type, a loaded sch_netem module (/sys/module) is taken as yes.
 * The link is named after this process and created with NLM_F_EXCL: a link of that name that
 * already exists (someone else's) is never given a qdisc nor deleted; only the link made here
 * is removed, by its index. */
static int netem_supported(const struct mt_params *p, const struct mt_ctx *ctx, char *why,
			   size_t whylen)
{
	static const char *const kinds[] = { "dummy", "ifb", "veth" };
	const char *host = ctx && ctx->host && ctx->host->name ? ctx->host->name : "local";
	struct nl_sock *sk = NULL;
	struct rtnl_link *link = NULL;
	struct rtnl_qdisc *q = NULL;
	struct mt_error err = { 0 };
	char name[IFNAMSIZ];
	int rc = MT_EUNSUPPORTED, nrc = -NLE_EXIST;
	unsigned idx;

	if (mt_tcq_socket(&sk, &err) < 0) {
		snprintf(why, whylen, "cannot probe sch_netem on %s: %s", host, err.msg);
		goto out;
	}
	link = rtnl_link_alloc();
	q = rtnl_qdisc_alloc();
	if (!link || !q) {
		snprintf(why, whylen, "cannot probe sch_netem on %s: out of memory", host);
		goto out;
	}
	/* A dummy if the kernel has it, else an ifb or a veth (deleting one end takes both);
	 * a name already taken (another pid namespace on this network) moves to the next. */
	for (int a = 0; a < 3 && nrc == -NLE_EXIST; a++) {
		snprintf(name, sizeof(name), "mtprobe%d%c", (int)getpid(), 'a' + a);
		rtnl_link_set_name(link, name);
		nrc = -NLE_OPNOTSUPP;
		for (size_t i = 0; i < 3 && (nrc == -NLE_OPNOTSUPP || nrc == -NLE_OBJ_NOTFOUND);
		     i++) {
			rtnl_link_set_type(link, kinds[i]);
			nrc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
		}
	}
	if (nrc < 0) {
		/* A kernel without any of those link types (the lab router's UML kernel) can still
		 * show sch_netem as a loaded module. */
		if (nrc != -NLE_EXIST && access("/sys/module/sch_netem", F_OK) == 0)
			rc = 0;
		else
			snprintf(why, whylen, "cannot probe sch_netem on %s: scratch link: %s", host,
				 nl_geterror(nrc));
		goto out;
	}
	idx = if_nametoindex(name);
	rtnl_tc_set_ifindex(TC_CAST(q), (int)idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), MT_TC_HANDLE);
	rtnl_tc_set_kind(TC_CAST(q), "netem");
	rtnl_netem_set_limit(q, 1000);
	nrc = idx ? rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE) : -NLE_NODEV;
	if (nrc == -NLE_OBJ_NOTFOUND || nrc == -NLE_OPNOTSUPP)
		snprintf(why, whylen,
			 "kernel lacks sch_netem on %s; use the lab router or a host whose kernel "
			 "has it", host);
	else if (nrc < 0)
		snprintf(why, whylen, "cannot probe sch_netem on %s: %s", host, nl_geterror(nrc));
	else
		rc = 0;
	if (idx)
		rtnl_link_set_ifindex(link, (int)idx); /* exactly the link made above */
	nrc = rtnl_link_delete(sk, link);              /* takes the qdisc with it */
	(void)nrc;
out:
	if (q)
		rtnl_qdisc_put(q);
	if (link)
		rtnl_link_put(link);
	if (sk)
		nl_socket_free(sk);
	return rc;
}

static int netem_apply(const struct mt_params *p, struct mt_ctx *ctx, void **state,
		       struct mt_error *err)
{
	int rc;

	*state = NULL;
	rc = mt_tcq_fault_apply("netem", mt_netem_build, p, ctx, err);
	if (rc == 0)
		rc = mt_tcq_state_new("netem", p, state, err);
	return rc;
}

static int netem_undo(const char *undo_json, struct mt_error *err)
{
	return mt_tcq_fault_undo(undo_json, err);
}

const struct mt_fault_ops mt_fault_netem = {
	.base.name = "netem",
	.base.summary = "netem delay/jitter/loss/duplicate/reorder/corrupt/rate (libnl; prior qdisc "
		   "restored)",
	.base.options = netem_options,
	.base.check = netem_check,
	.base.supported = netem_supported,
	.apply = netem_apply,
	.undo = netem_undo,
	.collect = mt_tcq_fault_collect,
	.release = mt_tcq_state_free,
};
