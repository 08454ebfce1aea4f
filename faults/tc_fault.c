/* tc_fault.c — journal-first apply and restoring undo for the qdisc faults (see tc_fault.h). */
#include "tc_fault.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <netlink/route/action.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "tc_qdisc.h"
#include "migtorture/units.h"

/* Priority of our ingress redirect filter: identifies it among others on a shared ingress. */
#define MT_TC_FILTER_PRIO 0x4d54

void mt_tcq_ifb_name(const char *dev, char *buf, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a: stable across processes and hosts */

	for (const char *c = dev; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	snprintf(buf, len, "mtifb%08x", h);
}

/* Creates the ifb (up), an ingress qdisc on dev when none is there, and a u32 match-all filter
 * redirecting everything to the ifb. */
static int ingress_setup(struct nl_sock *sk, const char *dev, const char *ifb,
			 const struct mt_tcq_snap *prior_ing, struct mt_error *err)
{
	struct rtnl_link *link = rtnl_link_alloc();
	struct rtnl_cls *cls = NULL;
	struct rtnl_act *act = NULL;
	struct nl_msg *msg = NULL;
	uint32_t fparent = TC_H_MAKE(TC_H_INGRESS, 0);
	int rc = 0, nrc;
	unsigned ifb_idx, dev_idx = if_nametoindex(dev);

	if (!link) {
		rc = mt_err(err, MT_ENOMEM, "ifb: out of memory");
		goto out;
	}
	rtnl_link_set_name(link, ifb);
	rtnl_link_set_type(link, "ifb");
	rtnl_link_set_flags(link, IFF_UP);
	nrc = rtnl_link_add(sk, link, NLM_F_CREATE);
	if (nrc < 0 && nrc != -NLE_EXIST) {
		rc = mt_err(err, MT_EINFRA, "create ifb %s: %s (kernel needs ifb)", ifb,
			    nl_geterror(nrc));
		goto out;
	}
	ifb_idx = if_nametoindex(ifb);
	if (!ifb_idx || !dev_idx) {
		rc = mt_err(err, MT_ENOTFOUND, "ingress: %s or %s vanished", dev, ifb);
		goto out;
	}
	if (!prior_ing->present) {
		struct rtnl_qdisc *q = rtnl_qdisc_alloc();
		if (!q) {
			rc = mt_err(err, MT_ENOMEM, "ingress qdisc: out of memory");
			goto out;
		}
		rtnl_tc_set_ifindex(TC_CAST(q), (int)dev_idx);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
		rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_INGRESS, 0));
		nrc = rtnl_tc_set_kind(TC_CAST(q), "ingress");
		if (nrc >= 0)
			nrc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg);
		rtnl_qdisc_put(q);
		if (nrc < 0) {
			rc = mt_err(err, MT_EINFRA, "ingress qdisc on %s: %s", dev, nl_geterror(nrc));
			goto out;
		}
		rc = mt_tcq_send(sk, msg, "add ingress qdisc", err);
		msg = NULL;
		if (rc < 0)
			goto out;
	} else if (strcmp(prior_ing->kind, "clsact") == 0) {
		fparent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	}
	cls = rtnl_cls_alloc();
	act = rtnl_act_alloc();
	if (!cls || !act) {
		rc = mt_err(err, MT_ENOMEM, "ingress filter: out of memory");
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(cls), (int)dev_idx);
	rtnl_tc_set_parent(TC_CAST(cls), fparent);
	rtnl_cls_set_prio(cls, MT_TC_FILTER_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	if ((nrc = rtnl_tc_set_kind(TC_CAST(cls), "u32")) < 0 ||
	    (nrc = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0)) < 0 || /* match everything */
	    (nrc = rtnl_u32_set_cls_terminal(cls)) < 0 ||
	    (nrc = rtnl_tc_set_kind(TC_CAST(act), "mirred")) < 0 ||
	    (nrc = rtnl_mirred_set_action(act, TCA_EGRESS_REDIR)) < 0 ||
	    (nrc = rtnl_mirred_set_policy(act, TC_ACT_STOLEN)) < 0 ||
	    (nrc = rtnl_mirred_set_ifindex(act, ifb_idx)) < 0 ||
	    (nrc = rtnl_u32_add_action(cls, act)) < 0 ||
	    (nrc = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL)) < 0) {
		rc = mt_err(err, MT_EINFRA, "ingress redirect %s → %s: %s", dev, ifb,
			    nl_geterror(nrc));
		goto out;
	}
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	if (link)
		rtnl_link_put(link);
	return rc;
}

/* Removes what ingress_setup added, leaving any pre-existing ingress/clsact qdisc alone. */
static int ingress_teardown(struct nl_sock *sk, const char *dev, const char *ifb,
			    const struct mt_tcq_snap *prior_ing, struct mt_error *err)
{
	struct rtnl_link *link = NULL;
	int rc = 0, nrc;
	unsigned dev_idx = if_nametoindex(dev);

	if (dev_idx && !prior_ing->present) {
		rc = mt_tcq_delete(sk, dev, TC_H_INGRESS, err);
		if (rc < 0)
			goto out;
	} else if (dev_idx) {
		struct rtnl_cls *cls = rtnl_cls_alloc();
		if (!cls) {
			rc = mt_err(err, MT_ENOMEM, "ingress filter: out of memory");
			goto out;
		}
		rtnl_tc_set_ifindex(TC_CAST(cls), (int)dev_idx);
		rtnl_tc_set_parent(TC_CAST(cls), strcmp(prior_ing->kind, "clsact") == 0
				   ? TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
				   : TC_H_MAKE(TC_H_INGRESS, 0));
		rtnl_cls_set_prio(cls, MT_TC_FILTER_PRIO);
		rtnl_cls_set_protocol(cls, ETH_P_ALL);
		rtnl_tc_set_kind(TC_CAST(cls), "u32");
		nrc = rtnl_cls_delete(sk, cls, 0);
		rtnl_cls_put(cls);
		if (nrc < 0 && nrc != -NLE_OBJ_NOTFOUND && nrc != -NLE_NOADDR) {
			rc = mt_err(err, MT_EINFRA, "delete ingress filter on %s: %s", dev,
				    nl_geterror(nrc));
			goto out;
		}
	}
	if (if_nametoindex(ifb)) {
		link = rtnl_link_alloc();
		if (!link) {
			rc = mt_err(err, MT_ENOMEM, "ifb: out of memory");
			goto out;
		}
		rtnl_link_set_name(link, ifb);
		nrc = rtnl_link_delete(sk, link);
		if (nrc < 0 && nrc != -NLE_NODEV && nrc != -NLE_OBJ_NOTFOUND) {
			rc = mt_err(err, MT_EINFRA, "delete %s: %s", ifb, nl_geterror(nrc));
			goto out;
		}
	}
out:
	if (link)
		rtnl_link_put(link);
	return rc;
}

/* Builds the undo record; the target's prior qdisc is read now, before any change. */
static int make_undo(struct nl_sock *sk, const char *fault, const char *dev, int ingress,
		     const char *ifb, struct mt_tcq_snap *prior_ing, char **out,
		     struct mt_error *err)
{
	struct mt_tcq_snap prior = { 0 };
	cJSON *o = cJSON_CreateObject(), *ing;
	int rc;

	if (!o)
		return mt_err(err, MT_ENOMEM, "undo record: out of memory");
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "fault", fault);
	cJSON_AddStringToObject(o, "dev", dev);
	cJSON_AddStringToObject(o, "parent", ingress ? "ingress" : "root");
	cJSON_AddStringToObject(o, "target", ingress ? ifb : dev);
	if (ingress) {
		rc = mt_tcq_read(sk, dev, TC_H_INGRESS, prior_ing, err);
		if (rc < 0)
			goto out;
		/* The ifb does not exist yet (or is a leftover of ours): its prior is "none". */
		memset(&prior, 0, sizeof(prior));
		snprintf(prior.dev, sizeof(prior.dev), "%s", ifb);
		prior.parent = TC_H_ROOT;
		ing = cJSON_AddObjectToObject(o, "ingress");
		cJSON_AddStringToObject(ing, "ifb", ifb);
		cJSON_AddItemToObject(ing, "prior", mt_tcq_snap_to_json(prior_ing));
		cJSON_AddNumberToObject(ing, "prio", MT_TC_FILTER_PRIO);
	} else {
		rc = mt_tcq_read(sk, dev, TC_H_ROOT, &prior, err);
		if (rc < 0)
			goto out;
		cJSON_AddNullToObject(o, "ingress");
	}
	cJSON_AddItemToObject(o, "prior", mt_tcq_snap_to_json(&prior));
	{
		cJSON *l = mt_tcq_link_json(dev);
		if (l)
			cJSON_AddItemToObject(o, "link", l);
		else
			cJSON_AddNullToObject(o, "link");
	}
	*out = cJSON_PrintUnformatted(o);
	rc = *out ? 0 : mt_err(err, MT_ENOMEM, "undo record: out of memory");
out:
	mt_tcq_snap_free(&prior);
	cJSON_Delete(o);
	return rc;
}

int mt_tcq_fault_apply(const char *fault, mt_tcq_build_fn build, const struct mt_params *p,
		       struct mt_ctx *ctx, struct mt_error *err)
{
	const char *dev = mt_param_str(p, "dev");
	int ingress = strcmp(mt_param_str(p, "parent"), "ingress") == 0;
	struct nl_sock *sk = NULL;
	struct nl_msg *msg = NULL;
	struct mt_tcq_snap prior_ing = { 0 };
	struct mt_error uerr = { 0 };
	char ifb[IFNAMSIZ] = "", *undo = NULL;
	uint64_t id = 0;
	int rc, journaled = 0;

	if (!dev)
		return mt_err(err, MT_EINVAL, "%s: dev is required", fault);
	rc = mt_tcq_socket(&sk, err);
	if (rc < 0)
		goto out;
	if (!if_nametoindex(dev)) {
		rc = mt_err(err, MT_ENOTFOUND, "%s: no interface '%s' on this host", fault, dev);
		goto out;
	}
	if (ingress)
		mt_tcq_ifb_name(dev, ifb, sizeof(ifb));
	rc = make_undo(sk, fault, dev, ingress, ifb, &prior_ing, &undo, err);
	if (rc < 0)
		goto out;
	rc = mt_journal_begin(ctx->journal, fault, ctx->host, undo, &id, err);
	if (rc < 0)
		goto out;
	journaled = 1;
	if (ingress) {
		rc = ingress_setup(sk, dev, ifb, &prior_ing, err);
		if (rc < 0)
			goto fail;
	}
	rc = build(p, (int)if_nametoindex(ingress ? ifb : dev), &msg, err);
	if (rc < 0)
		goto fail;
	rc = mt_tcq_send(sk, msg, fault, err);
	msg = NULL;
	if (rc < 0) {
		mt_err_prefix(err, "%s", ingress ? ifb : dev);
		goto fail;
	}
	rc = mt_journal_applied(ctx->journal, id, mt_now_ns() - ctx->t0_ns, err);
	goto out;
fail:
	/* Take back what was done now; the entry closes only if that worked, else recover
	 * finds it open. */
	if (journaled && mt_tcq_fault_undo(undo, &uerr) == 0)
		mt_journal_end(ctx->journal, id, mt_now_ns() - ctx->t0_ns, 0, &uerr);
out:
	if (msg)
		nlmsg_free(msg);
	mt_tcq_snap_free(&prior_ing);
	free(undo);
	if (sk)
		nl_socket_free(sk);
	return rc;
}

int mt_tcq_fault_undo(const char *undo_json, struct mt_error *err)
{
	cJSON *o = cJSON_Parse(undo_json);
	const cJSON *prior, *ing, *ifb, *dev;
	struct mt_tcq_snap snap = { 0 }, ing_snap = { 0 };
	struct nl_sock *sk = NULL;
	int rc;

	if (!o)
		return mt_err(err, MT_EINVAL, "qdisc undo: record is not JSON");
	prior = cJSON_GetObjectItemCaseSensitive(o, "prior");
	ing = cJSON_GetObjectItemCaseSensitive(o, "ingress");
	dev = cJSON_GetObjectItemCaseSensitive(o, "dev");
	if (!cJSON_IsString(dev)) {
		rc = mt_err(err, MT_EINVAL, "qdisc undo: no dev in record");
		goto out;
	}
	rc = mt_tcq_snap_from_json(prior, &snap, err);
	if (rc < 0)
		goto out;
	rc = mt_tcq_socket(&sk, err);
	if (rc < 0)
		goto out;
	if (cJSON_IsObject(ing)) {
		ifb = cJSON_GetObjectItemCaseSensitive(ing, "ifb");
		rc = mt_tcq_snap_from_json(cJSON_GetObjectItemCaseSensitive(ing, "prior"),
					   &ing_snap, err);
		if (rc < 0)
			goto out;
		if (!cJSON_IsString(ifb)) {
			rc = mt_err(err, MT_EINVAL, "qdisc undo: no ifb in ingress record");
			goto out;
		}
		/* Deleting the ifb takes the fault's qdisc with it. */
		rc = ingress_teardown(sk, dev->valuestring, ifb->valuestring, &ing_snap, err);
	} else {
		rc = mt_tcq_restore(sk, &snap, err);
	}
	if (rc < 0)
		mt_err_prefix(err, "undo on %s", dev->valuestring);
out:
	mt_tcq_snap_free(&snap);
	mt_tcq_snap_free(&ing_snap);
	if (sk)
		nl_socket_free(sk);
	cJSON_Delete(o);
	return rc;
}

int mt_tcq_state_new(const char *fault, const struct mt_params *p, void **state,
		     struct mt_error *err)
{
	struct mt_tcq_state *st = calloc(1, sizeof(*st));
	const char *dev = mt_param_str(p, "dev"); /* apply, which ran first, refuses none */
	int rc;

	*state = NULL;
	if (!st)
		return mt_err(err, MT_ENOMEM, "%s: out of memory", fault);
	snprintf(st->kind, sizeof(st->kind), "%s", fault);
	snprintf(st->dev, sizeof(st->dev), "%s", dev);
	if (strcmp(mt_param_str(p, "parent"), "ingress") == 0)
		mt_tcq_ifb_name(dev, st->target, sizeof(st->target));
	else
		snprintf(st->target, sizeof(st->target), "%s", dev);
	st->ifindex = (int)if_nametoindex(st->target);
	rc = mt_tcq_socket(&st->sk, err);
	if (rc < 0) {
		free(st);
		return rc;
	}
	*state = st;
	return 0;
}

void mt_tcq_state_free(void *state)
{
	struct mt_tcq_state *st = state;

	if (!st)
		return;
	if (st->sk)
		nl_socket_free(st->sk);
	free(st);
}

int mt_tcq_fault_collect(void *state, struct mt_ctx *ctx, struct mt_error *err)
{
	static const struct { const char *key; enum rtnl_tc_stat id; } stats[] = {
		{ "sent_packets", RTNL_TC_PACKETS },
		{ "sent_bytes", RTNL_TC_BYTES },
		{ "dropped_packets", RTNL_TC_DROPS },
		{ "overlimits", RTNL_TC_OVERLIMITS },
	};
	struct mt_tcq_state *st = state;
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q = NULL;
	char path[192];
	const char *why = NULL;
	int rc = 0, nrc;

	if (!st || !st->sk || !ctx || !ctx->result)
		return 0;
	nrc = st->ifindex ? rtnl_qdisc_alloc_cache(st->sk, &cache) : 0;
	if (nrc < 0)
		return mt_err(err, MT_EINFRA, "%s %s: qdisc dump: %s", st->kind, st->dev,
			      nl_geterror(nrc));
	if (cache)
		q = rtnl_qdisc_get(cache, st->ifindex, MT_TC_HANDLE);
	if (!q)
		why = "the fault's qdisc was no longer there";
	for (size_t i = 0; rc == 0 && i < sizeof(stats) / sizeof(stats[0]); i++) {
		snprintf(path, sizeof(path), "fault.%s.%s.%s", st->kind, st->dev, stats[i].key);
		if (q)
			rc = mt_cell_set_num(ctx->result, path,
					     (double)rtnl_tc_get_stat(TC_CAST(q), stats[i].id));
		else
			rc = mt_cell_set_absent(ctx->result, path, why);
		if (rc < 0)
			rc = mt_err(err, MT_ENOMEM, "%s: out of memory", st->kind);
	}
	if (q)
		rtnl_qdisc_put(q);
	if (cache)
		nl_cache_free(cache);
	return rc;
}
