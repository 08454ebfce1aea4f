/* test_netem_msg.c — offline: the netlink messages the netem and tbf faults build carry the
 * values the scenario asked for (no kernel involved: rtnl_qdisc_build_add_request only).
 * Expected values are computed the way the kernel reads them: delays in psched ticks through
 * libnl's nl_us2ticks, probabilities as u32 fractions of UINT32_MAX, rates in bytes/s.
 */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/utils.h>

#include "faults/netem_dist.h"
#include "faults/tc_qdisc.h"
#include "migtorture/plugin.h"
#include "test_util.h"

int mt_netem_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		   struct mt_error *err);
int mt_tbf_build(const struct mt_params *p, int ifindex, struct nl_msg **msg,
		 struct mt_error *err);

/* What a built netem message decodes to. */
struct decoded {
	struct nl_msg *msg;
	struct tcmsg tcm;
	char kind[16];
	struct tc_netem_qopt q;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	int opts_to_end; /* TCA_OPTIONS spans to the end of the message */
};

static const struct mt_option *netem_table(void)
{
	const struct mt_fault_ops *f = mt_find_fault("netem");

	ck_assert_ptr_nonnull(f);
	return f->base.options;
}

static int parse(const struct mt_option *t, const char *text, struct mt_params *p,
		 struct mt_error *err)
{
	memset(p, 0, sizeof(*p));
	return mt_params_parse(t, text, 1, p, err);
}

/* Parses text as netem parameters, runs check(), builds and decodes the message. */
static void build_netem(const char *text, struct decoded *d)
{
	struct mt_params p;
	struct mt_error err = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *tb[TCA_MAX + 1];
	int optlen, qlen = NLA_ALIGN(sizeof(struct tc_netem_qopt));

	memset(d, 0, sizeof(*d));
	ck_assert_msg(parse(netem_table(), text, &p, &err) == 0, "%s: %s", text, err.msg);
	ck_assert_msg(mt_find_fault("netem")->base.check(&p, &err) == 0, "%s: %s", text, err.msg);
	ck_assert_msg(mt_netem_build(&p, 7, &d->msg, &err) == 0, "%s: %s", text, err.msg);
	mt_params_free(&p);

	nlh = nlmsg_hdr(d->msg);
	ck_assert_int_eq(nlh->nlmsg_type, RTM_NEWQDISC);
	ck_assert(nlh->nlmsg_flags & NLM_F_CREATE);
	ck_assert(nlh->nlmsg_flags & NLM_F_REPLACE);
	memcpy(&d->tcm, nlmsg_data(nlh), sizeof(d->tcm));
	ck_assert_int_eq(nlmsg_parse(nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	ck_assert_ptr_nonnull(tb[TCA_KIND]);
	snprintf(d->kind, sizeof(d->kind), "%s", nla_get_string(tb[TCA_KIND]));
	ck_assert_ptr_nonnull(tb[TCA_OPTIONS]);
	optlen = nla_len(tb[TCA_OPTIONS]);
	ck_assert_int_ge(optlen, (int)sizeof(d->q));
	memcpy(&d->q, nla_data(tb[TCA_OPTIONS]), sizeof(d->q));
	d->opts_to_end = (char *)tb[TCA_OPTIONS] + tb[TCA_OPTIONS]->nla_len ==
			 (char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);
	if (optlen > qlen)
		ck_assert_int_eq(nla_parse(d->tb, TCA_NETEM_MAX,
					   (struct nlattr *)((char *)nla_data(tb[TCA_OPTIONS]) + qlen),
					   optlen - qlen, NULL), 0);
}

static void decoded_free(struct decoded *d)
{
	nlmsg_free(d->msg);
}

static uint32_t u32pct(double pct)
{
	return (uint32_t)llround(pct / 100.0 * (double)UINT32_MAX);
}

START_TEST(delay_in_ticks_and_header)
{
	struct decoded d;

	build_netem("dev=eth0 delay=20ms", &d);
	ck_assert_str_eq(d.kind, "netem");
	ck_assert_int_eq(d.tcm.tcm_ifindex, 7);
	ck_assert_uint_eq(d.tcm.tcm_parent, TC_H_ROOT);
	ck_assert_uint_eq(d.tcm.tcm_handle, MT_TC_HANDLE);
	ck_assert_uint_eq(d.q.latency, nl_us2ticks(20000));
	ck_assert_uint_ne(d.q.latency, 0);
	ck_assert_uint_eq(d.q.jitter, 0);
	ck_assert_uint_eq(d.q.loss, 0);
	ck_assert_ptr_null(d.tb[TCA_NETEM_CORR]);
	ck_assert(d.opts_to_end);
	decoded_free(&d);

	build_netem("dev=eth0 delay=1500us", &d);
	ck_assert_uint_eq(d.q.latency, nl_us2ticks(1500));
	decoded_free(&d);
}
END_TEST

START_TEST(jitter_and_delay_correlation)
{
	struct decoded d;
	struct tc_netem_corr c;

	build_netem("dev=eth0 delay=20ms jitter=5ms delay_corr=25%", &d);
	ck_assert_uint_eq(d.q.latency, nl_us2ticks(20000));
	ck_assert_uint_eq(d.q.jitter, nl_us2ticks(5000));
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_CORR]);
	memcpy(&c, nla_data(d.tb[TCA_NETEM_CORR]), sizeof(c));
	ck_assert_uint_eq(c.delay_corr, u32pct(25));
	ck_assert_uint_eq(c.loss_corr, 0);
	decoded_free(&d);
}
END_TEST

START_TEST(loss_u32_scale)
{
	struct decoded d;
	struct tc_netem_corr c;

	build_netem("dev=eth0 loss=1%", &d);
	ck_assert_uint_eq(d.q.loss, 42949673u); /* 1 % of 2^32-1, rounded */
	decoded_free(&d);
	build_netem("dev=eth0 loss=100%", &d);
	ck_assert_uint_eq(d.q.loss, UINT32_MAX);
	decoded_free(&d);
	/* Above INT_MAX: libnl's int setter must still carry the u32 bits (docs/lab.md,
	 * "Measured facts"). */
	build_netem("dev=eth0 loss=75% loss_corr=10%", &d);
	ck_assert_uint_eq(d.q.loss, u32pct(75));
	ck_assert_uint_gt(d.q.loss, (uint32_t)INT_MAX);
	memcpy(&c, nla_data(d.tb[TCA_NETEM_CORR]), sizeof(c));
	ck_assert_uint_eq(c.loss_corr, u32pct(10));
	decoded_free(&d);
	build_netem("dev=eth0 loss=0.5%", &d);
	ck_assert_uint_eq(d.q.loss, u32pct(0.5));
	decoded_free(&d);
}
END_TEST

START_TEST(out_of_range_refused_at_parse)
{
	struct mt_params p;
	struct mt_error err = { 0 };

	ck_assert_int_eq(parse(netem_table(), "dev=eth0 loss=140%", &p, &err), MT_EINVAL);
	ck_assert_msg(strstr(err.msg, "loss") != NULL, "message names the key: %s", err.msg);
	mt_params_free(&p);
	ck_assert_int_eq(parse(netem_table(), "dev=eth0 delay=20", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(netem_table(), "dev=eth0 delay=300s", &p, &err), MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(netem_table(), "dev=eth0 distribution=cauchy", &p, &err),
			 MT_EINVAL);
	mt_params_free(&p);
	ck_assert_int_eq(parse(netem_table(), "delay=20ms", &p, &err), MT_EINVAL); /* no dev */
	mt_params_free(&p);
}
END_TEST

START_TEST(duplicate_corrupt_reorder)
{
	struct decoded d;
	struct tc_netem_corr c;
	struct tc_netem_corrupt cr;
	struct tc_netem_reorder ro;

	build_netem("dev=eth0 delay=10ms duplicate=2% duplicate_corr=30% corrupt=0.1% "
		    "corrupt_corr=5% reorder=25% reorder_corr=50% gap=5", &d);
	ck_assert_uint_eq(d.q.duplicate, u32pct(2));
	memcpy(&c, nla_data(d.tb[TCA_NETEM_CORR]), sizeof(c));
	ck_assert_uint_eq(c.dup_corr, u32pct(30));
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_CORRUPT]);
	memcpy(&cr, nla_data(d.tb[TCA_NETEM_CORRUPT]), sizeof(cr));
	ck_assert_uint_eq(cr.probability, u32pct(0.1));
	ck_assert_uint_eq(cr.correlation, u32pct(5));
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_REORDER]);
	memcpy(&ro, nla_data(d.tb[TCA_NETEM_REORDER]), sizeof(ro));
	ck_assert_uint_eq(ro.probability, u32pct(25));
	ck_assert_uint_eq(ro.correlation, u32pct(50));
	ck_assert_uint_eq(d.q.gap, 5);
	decoded_free(&d);

	build_netem("dev=eth0 delay=10ms reorder=25%", &d); /* gap defaults to 1, as tc */
	ck_assert_uint_eq(d.q.gap, 1);
	decoded_free(&d);
}
END_TEST

START_TEST(rate_and_limit)
{
	struct decoded d;
	struct tc_netem_rate r;

	build_netem("dev=eth0 rate=10mbit", &d);
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_RATE]);
	memcpy(&r, nla_data(d.tb[TCA_NETEM_RATE]), sizeof(r));
	ck_assert_uint_eq(r.rate, 1250000); /* bytes/s */
	ck_assert_ptr_null(d.tb[TCA_NETEM_RATE64]);
	ck_assert_uint_eq(d.q.limit, 100000); /* raised default */
	decoded_free(&d);

	build_netem("dev=eth0 rate=40Gbit limit=5000", &d);
	memcpy(&r, nla_data(d.tb[TCA_NETEM_RATE]), sizeof(r));
	ck_assert_uint_eq(r.rate, UINT32_MAX);
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_RATE64]);
	ck_assert_uint_eq(nla_get_u64(d.tb[TCA_NETEM_RATE64]), 5000000000ull);
	ck_assert_uint_eq(d.q.limit, 5000);
	ck_assert(d.opts_to_end);
	decoded_free(&d);
}
END_TEST

START_TEST(distribution_tables)
{
	static const char *const names[] = { "normal", "pareto", "paretonormal" };
	/* Entries of iproute2's shipped tables (checked against the .dist files of iproute2). */
	static const int16_t first[] = { -32768, -5461, -12305 };
	static const int16_t second[] = { -28307, -5460, -11171 };
	static const int16_t last[] = { 28858, 32767, 31789 };
	int16_t *t = malloc(MT_NETEM_DIST_LEN * sizeof(*t));

	ck_assert_ptr_nonnull(t);
	for (int n = 0; n < 3; n++) {
		struct decoded d;
		char text[128];

		ck_assert_int_eq(mt_netem_dist_table(names[n], t), 0);
		ck_assert_int_eq(t[0], first[n]);
		ck_assert_int_eq(t[1], second[n]);
		ck_assert_int_eq(t[MT_NETEM_DIST_LEN - 1], last[n]);
		for (int i = 1; i < MT_NETEM_DIST_LEN; i++) /* an inverse CDF never decreases */
			ck_assert_int_ge(t[i], t[i - 1]);

		snprintf(text, sizeof(text), "dev=eth0 delay=50ms jitter=10ms distribution=%s",
			 names[n]);
		build_netem(text, &d);
		ck_assert_ptr_nonnull(d.tb[TCA_NETEM_DELAY_DIST]);
		ck_assert_int_eq(nla_len(d.tb[TCA_NETEM_DELAY_DIST]),
				 MT_NETEM_DIST_LEN * (int)sizeof(int16_t));
		ck_assert_int_eq(memcmp(nla_data(d.tb[TCA_NETEM_DELAY_DIST]), t,
					MT_NETEM_DIST_LEN * sizeof(int16_t)), 0);
		decoded_free(&d);

		/* Entry by entry against the file tc uses, where iproute2 is installed. */
		snprintf(text, sizeof(text), "/usr/lib/x86_64-linux-gnu/tc/%s.dist", names[n]);
		FILE *f = fopen(text, "r");
		if (f) {
			char line[512];
			int i = 0;
			while (fgets(line, sizeof(line), f)) {
				char *s = line, *end;
				if (line[0] == '#')
					continue;
				for (long v = strtol(s, &end, 10); end != s;
				     s = end, v = strtol(s, &end, 10)) {
					ck_assert_int_lt(i, MT_NETEM_DIST_LEN);
					ck_assert_msg(t[i] == v, "%s[%d]: %d != %ld", names[n], i,
						      t[i], v);
					i++;
				}
			}
			fclose(f);
			ck_assert_int_eq(i, MT_NETEM_DIST_LEN);
		}
	}
	ck_assert_int_eq(mt_netem_dist_table("cauchy", t), MT_EINVAL);
	free(t);

	/* A table and the attributes we append after it all arrive inside TCA_OPTIONS, with no
	 * unwritten gap (libnl's own table put left one: valgrind, scripts/valgrind). */
	struct decoded dd;
	build_netem("dev=eth0 delay=50ms jitter=10ms distribution=pareto rate=10mbit "
		    "loss_model=gemodel ge_p=1%", &dd);
	ck_assert(dd.opts_to_end);
	ck_assert_ptr_nonnull(dd.tb[TCA_NETEM_DELAY_DIST]);
	ck_assert_ptr_nonnull(dd.tb[TCA_NETEM_RATE]);
	ck_assert_ptr_nonnull(dd.tb[TCA_NETEM_LOSS]);
	ck_assert_int_eq(nla_len(dd.tb[TCA_NETEM_DELAY_DIST]),
			 MT_NETEM_DIST_LEN * (int)sizeof(int16_t));
	decoded_free(&dd);
}
END_TEST

START_TEST(gilbert_elliott_and_4state)
{
	struct decoded d;
	struct nlattr *lt[NETEM_LOSS_MAX + 1];
	struct tc_netem_gemodel ge;
	struct tc_netem_gimodel gi;

	build_netem("dev=eth0 loss_model=gemodel ge_p=1% ge_r=30% ge_bad_loss=80% "
		    "ge_good_loss=0.5%", &d);
	ck_assert_ptr_nonnull(d.tb[TCA_NETEM_LOSS]);
	ck_assert_int_eq(nla_parse_nested(lt, NETEM_LOSS_MAX, d.tb[TCA_NETEM_LOSS], NULL), 0);
	ck_assert_ptr_nonnull(lt[NETEM_LOSS_GE]);
	ck_assert_ptr_null(lt[NETEM_LOSS_GI]);
	memcpy(&ge, nla_data(lt[NETEM_LOSS_GE]), sizeof(ge));
	ck_assert_uint_eq(ge.p, u32pct(1));
	ck_assert_uint_eq(ge.r, u32pct(30));
	ck_assert_uint_eq(ge.h, UINT32_MAX - u32pct(80));
	ck_assert_uint_eq(ge.k1, u32pct(0.5));
	ck_assert_uint_eq(d.q.loss, 0);
	ck_assert(d.opts_to_end);
	decoded_free(&d);

	build_netem("dev=eth0 loss_model=4state gi_p13=2% gi_p14=0.1%", &d);
	ck_assert_int_eq(nla_parse_nested(lt, NETEM_LOSS_MAX, d.tb[TCA_NETEM_LOSS], NULL), 0);
	ck_assert_ptr_nonnull(lt[NETEM_LOSS_GI]);
	memcpy(&gi, nla_data(lt[NETEM_LOSS_GI]), sizeof(gi));
	ck_assert_uint_eq(gi.p13, u32pct(2));
	ck_assert_uint_eq(gi.p31, u32pct(98)); /* default 1 - p13 */
	ck_assert_uint_eq(gi.p32, 0);
	ck_assert_uint_eq(gi.p23, UINT32_MAX);
	ck_assert_uint_eq(gi.p14, u32pct(0.1));
	decoded_free(&d);
}
END_TEST

/* check() rejects combinations the kernel would ignore or libnl refuse. */
START_TEST(check_combinations)
{
	static const char *const bad[] = {
		"dev=e jitter=5ms",
		"dev=e delay=10ms delay_corr=10%",
		"dev=e reorder=10%",
		"dev=e delay=10ms gap=3",
		"dev=e delay=10ms reorder_corr=5%",
		"dev=e loss_corr=5%",
		"dev=e duplicate_corr=5%",
		"dev=e corrupt_corr=5%",
		"dev=e delay=10ms distribution=normal",
		"dev=e ge_p=1%",
		"dev=e loss_model=gemodel",
		"dev=e loss_model=gemodel ge_p=1% loss=2%",
		"dev=e loss_model=4state gi_p13=1% ge_p=2%",
		"dev=e loss_model=4state",
	};
	static const char *const good[] = {
		"dev=e delay=20ms jitter=5ms delay_corr=25% distribution=pareto",
		"dev=e delay=1ms reorder=10% gap=3",
		"dev=e loss=1% loss_corr=25%",
		"dev=e loss_model=gemodel ge_p=1%",
		"dev=e parent=ingress delay=5ms",
	};
	const struct mt_fault_ops *f = mt_find_fault("netem");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mt_params p;
		struct mt_error err = { 0 };
		ck_assert_msg(parse(f->base.options, bad[i], &p, &err) == 0, "%s: %s", bad[i], err.msg);
		ck_assert_msg(f->base.check(&p, &err) == MT_EINVAL, "accepted: %s", bad[i]);
		ck_assert(strlen(err.msg) > 0);
		mt_params_free(&p);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct mt_params p;
		struct mt_error err = { 0 };
		ck_assert_msg(parse(f->base.options, good[i], &p, &err) == 0, "%s: %s", good[i],
			      err.msg);
		ck_assert_msg(f->base.check(&p, &err) == 0, "%s: %s", good[i], err.msg);
		mt_params_free(&p);
	}
}
END_TEST

START_TEST(tbf_message)
{
	const struct mt_fault_ops *f = mt_find_fault("tbf");
	struct mt_params p;
	struct mt_error err = { 0 };
	struct nl_msg *msg = NULL;
	struct nlattr *tb[TCA_MAX + 1], *tt[TCA_TBF_MAX + 1];
	struct tc_tbf_qopt q;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(parse(f->base.options, "dev=eth0 rate=10mbit burst=20000 limit=100000", &p,
			       &err), 0);
	ck_assert_int_eq(f->base.check(&p, &err), 0);
	ck_assert_int_eq(mt_tbf_build(&p, 3, &msg, &err), 0);
	mt_params_free(&p);
	ck_assert_int_eq(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb, TCA_MAX, NULL), 0);
	ck_assert_str_eq(nla_get_string(tb[TCA_KIND]), "tbf");
	ck_assert_int_eq(nla_parse_nested(tt, TCA_TBF_MAX, tb[TCA_OPTIONS], NULL), 0);
	ck_assert_ptr_nonnull(tt[TCA_TBF_PARMS]);
	memcpy(&q, nla_data(tt[TCA_TBF_PARMS]), sizeof(q));
	ck_assert_uint_eq(q.rate.rate, 1250000);
	ck_assert_uint_eq(q.limit, 100000);
	ck_assert_uint_gt(q.buffer, 0);
	nlmsg_free(msg);

	ck_assert_int_eq(parse(f->base.options, "dev=eth0 rate=10mbit latency=5ms limit=1000", &p,
			       &err), 0);
	ck_assert_int_eq(f->base.check(&p, &err), MT_EINVAL);
	mt_params_free(&p);
}
END_TEST

START_TEST(qdisc_record_roundtrip)
{
	unsigned char opts[] = { 1, 2, 3, 0xfe, 0xff };
	struct mt_tcq_snap s = { .parent = TC_H_ROOT, .present = 1, .handle = 0x10000,
				 .opts = opts, .optlen = sizeof(opts) }, back;
	struct mt_error err = { 0 };
	cJSON *j;

	snprintf(s.dev, sizeof(s.dev), "veth0");
	snprintf(s.kind, sizeof(s.kind), "tbf");
	j = mt_tcq_snap_to_json(&s);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(mt_tcq_snap_from_json(j, &back, &err), 0);
	ck_assert(mt_tcq_snap_equal(&s, &back));
	ck_assert_str_eq(back.dev, "veth0");
	back.opts[4] = 0;
	ck_assert(!mt_tcq_snap_equal(&s, &back));
	mt_tcq_snap_free(&back);
	cJSON_Delete(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netem_msg");
	TCase *tc = tcase_create("msg");

	tcase_add_test(tc, delay_in_ticks_and_header);
	tcase_add_test(tc, jitter_and_delay_correlation);
	tcase_add_test(tc, loss_u32_scale);
	tcase_add_test(tc, out_of_range_refused_at_parse);
	tcase_add_test(tc, duplicate_corrupt_reorder);
	tcase_add_test(tc, rate_and_limit);
	tcase_add_test(tc, distribution_tables);
	tcase_add_test(tc, gilbert_elliott_and_4state);
	tcase_add_test(tc, check_combinations);
	tcase_add_test(tc, tbf_message);
	tcase_add_test(tc, qdisc_record_roundtrip);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
