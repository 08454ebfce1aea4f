/* tc_qdisc.c — read, serialise and restore an interface's root/ingress qdisc (see tc_qdisc.h). */
#include "tc_qdisc.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

int mt_tcq_socket(struct nl_sock **out, struct mt_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (!sk)
		return mt_err(err, MT_ENOMEM, "netlink socket: out of memory");
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return mt_err(err, MT_EINFRA, "netlink connect: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

void mt_tcq_snap_free(struct mt_tcq_snap *s)
{
	if (!s)
		return;
	free(s->opts);
	s->opts = NULL;
	s->optlen = 0;
}

struct dump_arg {
	int ifindex;
	uint32_t parent;
	struct mt_tcq_snap *out;
	int nomem;
};

/* One RTM_NEWQDISC of the dump: keep the one attached at our parent on our device. */
static int on_qdisc(struct nl_msg *msg, void *arg)
{
	struct dump_arg *a = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct tcmsg *tcm;
	struct nlattr *tb[TCA_MAX + 1];

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return NL_OK;
	tcm = nlmsg_data(nlh);
	if (tcm->tcm_ifindex != a->ifindex || tcm->tcm_parent != a->parent)
		return NL_OK;
	if (nlmsg_parse(nlh, sizeof(*tcm), tb, TCA_MAX, NULL) < 0 || !tb[TCA_KIND])
		return NL_OK;
	a->out->present = 1;
	a->out->handle = tcm->tcm_handle;
	a->out->is_default = (a->parent == TC_H_ROOT && tcm->tcm_handle == 0);
	snprintf(a->out->kind, sizeof(a->out->kind), "%s", nla_get_string(tb[TCA_KIND]));
	free(a->out->opts);
	a->out->opts = NULL;
	a->out->optlen = 0;
	if (tb[TCA_OPTIONS] && nla_len(tb[TCA_OPTIONS]) > 0) {
		a->out->optlen = (size_t)nla_len(tb[TCA_OPTIONS]);
		a->out->opts = malloc(a->out->optlen);
		if (!a->out->opts) {
			a->nomem = 1;
			a->out->optlen = 0;
			return NL_STOP;
		}
		memcpy(a->out->opts, nla_data(tb[TCA_OPTIONS]), a->out->optlen);
	}
	return NL_OK;
}

int mt_tcq_read(struct nl_sock *sk, const char *dev, uint32_t parent, struct mt_tcq_snap *out,
		struct mt_error *err)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };
	struct dump_arg a = { 0 };
	int rc = 0, nrc;
	unsigned idx = if_nametoindex(dev);

	memset(out, 0, sizeof(*out));
	snprintf(out->dev, sizeof(out->dev), "%s", dev);
	out->parent = parent;
	if (!idx)
		return mt_err(err, MT_ENOTFOUND, "no interface '%s' here", dev);
	tcm.tcm_ifindex = (int)idx;
	a.ifindex = (int)idx;
	a.parent = parent;
	a.out = out;
	nrc = nl_send_simple(sk, RTM_GETQDISC, NLM_F_DUMP, &tcm, sizeof(tcm));
	if (nrc < 0) {
		rc = mt_err(err, MT_EINFRA, "dump qdiscs of %s: %s", dev, nl_geterror(nrc));
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_qdisc, &a);
	nrc = nl_recvmsgs_default(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	if (a.nomem) {
		rc = mt_err(err, MT_ENOMEM, "dump qdiscs of %s: out of memory", dev);
		goto out;
	}
	if (nrc < 0)
		rc = mt_err(err, MT_EINFRA, "dump qdiscs of %s: %s", dev, nl_geterror(nrc));
out:
	return rc;
}

int mt_tcq_snap_equal(const struct mt_tcq_snap *a, const struct mt_tcq_snap *b)
{
	int adef = !a->present || a->is_default, bdef = !b->present || b->is_default;

	if (adef || bdef)
		return adef == bdef;
	return a->handle == b->handle && strcmp(a->kind, b->kind) == 0 &&
	       a->optlen == b->optlen &&
	       (a->optlen == 0 || memcmp(a->opts, b->opts, a->optlen) == 0);
}

char *mt_hex_encode(const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

unsigned char *mt_hex_decode(const char *hex, size_t *n)
{
	size_t len = strlen(hex);
	unsigned char *b;

	if (len % 2)
		return NULL;
	b = malloc(len / 2 + 1); /* +1: a valid pointer even for "" */
	if (!b)
		return NULL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*n = len / 2;
	return b;
}

/* Decoded view of the options for humans and tests; restore never uses it. */
static void add_params(cJSON *o, const struct mt_tcq_snap *s)
{
	cJSON *p = NULL;

	if (!s->opts)
		return;
	if (strcmp(s->kind, "tbf") == 0) {
		struct nlattr *tb[TCA_TBF_MAX + 1];
		if (nla_parse(tb, TCA_TBF_MAX, (struct nlattr *)s->opts, (int)s->optlen, NULL) < 0 ||
		    !tb[TCA_TBF_PARMS] || nla_len(tb[TCA_TBF_PARMS]) < (int)sizeof(struct tc_tbf_qopt))
			return;
		const struct tc_tbf_qopt *q = nla_data(tb[TCA_TBF_PARMS]);
		uint64_t rate = q->rate.rate;
		if (tb[TCA_TBF_RATE64])
			rate = nla_get_u64(tb[TCA_TBF_RATE64]);
		p = cJSON_AddObjectToObject(o, "params");
		cJSON_AddNumberToObject(p, "rate_Bps", (double)rate);
		cJSON_AddNumberToObject(p, "limit_bytes", q->limit);
		cJSON_AddNumberToObject(p, "buffer_ticks", q->buffer);
		cJSON_AddNumberToObject(p, "mtu_ticks", q->mtu);
		cJSON_AddNumberToObject(p, "peakrate_Bps", q->peakrate.rate);
		if (tb[TCA_TBF_BURST])
			cJSON_AddNumberToObject(p, "burst_bytes", nla_get_u32(tb[TCA_TBF_BURST]));
	} else if (strcmp(s->kind, "netem") == 0 && s->optlen >= sizeof(struct tc_netem_qopt)) {
		const struct tc_netem_qopt *q = (const void *)s->opts;
		p = cJSON_AddObjectToObject(o, "params");
		cJSON_AddNumberToObject(p, "latency_ticks", q->latency);
		cJSON_AddNumberToObject(p, "jitter_ticks", q->jitter);
		cJSON_AddNumberToObject(p, "limit_pkts", q->limit);
		cJSON_AddNumberToObject(p, "loss_u32", q->loss);
		cJSON_AddNumberToObject(p, "gap", q->gap);
		cJSON_AddNumberToObject(p, "duplicate_u32", q->duplicate);
	}
}

cJSON *mt_tcq_snap_to_json(const struct mt_tcq_snap *s)
{
	cJSON *o = cJSON_CreateObject();
	char *hex = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "dev", s->dev);
	cJSON_AddStringToObject(o, "parent", s->parent == TC_H_INGRESS ? "ingress" : "root");
	cJSON_AddBoolToObject(o, "present", s->present);
	cJSON_AddBoolToObject(o, "default", s->is_default);
	cJSON_AddStringToObject(o, "kind", s->kind);
	cJSON_AddNumberToObject(o, "handle", s->handle);
	hex = mt_hex_encode(s->opts ? s->opts : (const unsigned char *)"", s->optlen);
	if (!hex) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "options_hex", hex);
	free(hex);
	add_params(o, s);
	return o;
}

int mt_tcq_snap_from_json(const cJSON *j, struct mt_tcq_snap *out, struct mt_error *err)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "dev");
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(j, "parent");
	const cJSON *present = cJSON_GetObjectItemCaseSensitive(j, "present");
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(j, "default");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
	const cJSON *handle = cJSON_GetObjectItemCaseSensitive(j, "handle");
	const cJSON *hex = cJSON_GetObjectItemCaseSensitive(j, "options_hex");

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsString(dev) || !cJSON_IsString(parent) || !cJSON_IsBool(present) ||
	    !cJSON_IsBool(def) || !cJSON_IsString(kind) || !cJSON_IsNumber(handle) ||
	    !cJSON_IsString(hex))
		return mt_err(err, MT_EINVAL, "qdisc record: missing or mistyped field");
	/* Range first: converting a double the type cannot hold is undefined behaviour. */
	if (!(handle->valuedouble >= 0 && handle->valuedouble <= UINT32_MAX))
		return mt_err(err, MT_EINVAL, "qdisc record: handle out of range");
	snprintf(out->dev, sizeof(out->dev), "%s", dev->valuestring);
	out->parent = strcmp(parent->valuestring, "ingress") == 0 ? TC_H_INGRESS : TC_H_ROOT;
	out->present = cJSON_IsTrue(present);
	out->is_default = cJSON_IsTrue(def);
	snprintf(out->kind, sizeof(out->kind), "%s", kind->valuestring);
	out->handle = (uint32_t)handle->valuedouble;
	out->opts = mt_hex_decode(hex->valuestring, &out->optlen);
	if (!out->opts)
		return mt_err(err, MT_EINVAL, "qdisc record: bad options_hex");
	if (out->optlen == 0) {
		free(out->opts);
		out->opts = NULL;
	}
	return 0;
}

int mt_tcq_send(struct nl_sock *sk, struct nl_msg *msg, const char *what, struct mt_error *err)
{
	int rc = nl_send_sync(sk, msg); /* frees msg */

	if (rc < 0)
		return mt_err(err, rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV ? MT_ENOTFOUND
										 : MT_EINFRA,
			      "%s: %s", what, nl_geterror(rc));
	return 0;
}

/* RTM_NEWQDISC/RTM_DELQDISC with raw kind/options, for kinds libnl may not know. */
static int raw_qdisc_msg(int type, int flags, int ifindex, uint32_t parent, uint32_t handle,
			 const char *kind, const unsigned char *opts, size_t optlen,
			 struct nl_msg **out)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
			     .tcm_parent = parent, .tcm_handle = handle };
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return MT_ENOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    (kind && nla_put_string(msg, TCA_KIND, kind) < 0) ||
	    (opts && optlen && nla_put(msg, TCA_OPTIONS, (int)optlen, opts) < 0)) {
		nlmsg_free(msg);
		return MT_ENOMEM;
	}
	*out = msg;
	return 0;
}

int mt_tcq_delete(struct nl_sock *sk, const char *dev, uint32_t parent, struct mt_error *err)
{
	struct mt_tcq_snap cur = { 0 };
	struct nl_msg *msg = NULL;
	int rc = mt_tcq_read(sk, dev, parent, &cur, err);

	if (rc == MT_ENOTFOUND) {
		mt_err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0 || !cur.present || cur.is_default)
		goto out;
	rc = raw_qdisc_msg(RTM_DELQDISC, 0, (int)if_nametoindex(dev), parent, cur.handle, NULL,
			   NULL, 0, &msg);
	if (rc < 0) {
		mt_err(err, rc, "delete qdisc on %s: out of memory", dev);
		goto out;
	}
	rc = mt_tcq_send(sk, msg, "delete qdisc", err);
	if (rc < 0)
		mt_err_prefix(err, "%s", dev);
out:
	mt_tcq_snap_free(&cur);
	return rc;
}

int mt_tcq_restore(struct nl_sock *sk, const struct mt_tcq_snap *s, struct mt_error *err)
{
	struct mt_tcq_snap cur = { 0 };
	struct nl_msg *msg = NULL;
	int rc = mt_tcq_read(sk, s->dev, s->parent, &cur, err);

	if (rc == MT_ENOTFOUND) { /* the device is gone, and its qdiscs with it */
		mt_err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0 || mt_tcq_snap_equal(&cur, s))
		goto out;
	if (!s->present || s->is_default) {
		rc = mt_tcq_delete(sk, s->dev, s->parent, err);
		goto out;
	}
	/* Same handle, other kind: the kernel would try to "change" it and refuse; remove ours
	 * first. Different handle: create-and-graft replaces whatever is there. */
	if (cur.present && !cur.is_default && cur.handle == s->handle &&
	    strcmp(cur.kind, s->kind) != 0) {
		rc = mt_tcq_delete(sk, s->dev, s->parent, err);
		if (rc < 0)
			goto out;
	}
	rc = raw_qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE,
			   (int)if_nametoindex(s->dev), s->parent, s->handle, s->kind, s->opts,
			   s->optlen, &msg);
	if (rc < 0) {
		mt_err(err, rc, "restore qdisc on %s: out of memory", s->dev);
		goto out;
	}
	rc = mt_tcq_send(sk, msg, "restore qdisc", err);
	if (rc < 0)
		mt_err_prefix(err, "%s: %s", s->dev, s->kind);
out:
	mt_tcq_snap_free(&cur);
	return rc;
}

cJSON *mt_tcq_link_json(const char *dev)
{
	struct ifreq ifr;
	cJSON *o = NULL;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	o = cJSON_CreateObject();
	if (!o)
		goto out;
	cJSON_AddBoolToObject(o, "up", (ifr.ifr_flags & IFF_UP) != 0);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		cJSON_AddNumberToObject(o, "mtu", ifr.ifr_mtu);
out:
	close(fd);
	return o;
}
