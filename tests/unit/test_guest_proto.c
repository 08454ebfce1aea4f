/* test_guest_proto.c — the mt-guest wire format (include/migtorture/guest_proto.h): round trips,
 * byte order on the wire, and refusal of anything that is not exactly our message. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "migtorture/guest_proto.h"
#include "test_util.h"

START_TEST(test_probe_round_trip)
{
	unsigned char b[MT_GP_SIZE];
	struct mt_gp_probe in = { 0xdeadbeefu, 0x0102030405060708ull }, out;

	mt_gp_encode_probe(b, &in);
	/* Network byte order: magic "MTGP", version, type, then the sequence big-endian. */
	ck_assert_int_eq(memcmp(b, "MTGP", 4), 0);
	ck_assert_int_eq(b[4], MT_GP_VERSION);
	ck_assert_int_eq(b[5], MT_GP_PROBE);
	ck_assert_int_eq(b[8], 0xde);
	ck_assert_int_eq(b[11], 0xef);
	ck_assert_int_eq(b[16], 0x01);
	ck_assert_int_eq(b[23], 0x08);
	ck_assert_int_eq(mt_gp_decode_probe(b, sizeof(b), &out), 0);
	ck_assert_uint_eq(out.seq, in.seq);
	ck_assert_uint_eq(out.client_send_ns, in.client_send_ns);
	/* A probe is not a reply, and the reverse. */
	{
		struct mt_gp_reply r;

		ck_assert_int_eq(mt_gp_decode_reply(b, sizeof(b), &r), -1);
	}
}
END_TEST

START_TEST(test_reply_round_trip)
{
	unsigned char b[MT_GP_SIZE];
	struct mt_gp_reply in, out;
	struct mt_gp_probe p;

	memset(&in, 0, sizeof(in)); /* padding too: the whole struct is compared below */
	in.seq = 7;
	in.instance = 0x11223344u;
	in.client_send_ns = 123456789012345ull;
	in.rx_real_ns = 1;
	in.rx_mono_ns = 2;
	in.tx_real_ns = 3;
	in.tx_mono_ns = 4;
	in.gap_total = 42;
	in.ngaps = MT_GP_GAPS;
	for (unsigned i = 0; i < MT_GP_GAPS; i++) {
		in.gaps[i].seq = 41 - i;
		in.gaps[i].len_us = 300000 + i;
		in.gaps[i].start_mono_ns = 1000000000ull * (i + 1);
	}
	mt_gp_encode_reply(b, &in);
	ck_assert_int_eq(mt_gp_decode_reply(b, sizeof(b), &out), 0);
	ck_assert_int_eq(memcmp(&in, &out, sizeof(in)), 0);
	ck_assert_int_eq(mt_gp_decode_probe(b, sizeof(b), &p), -1);
	/* More gaps than fit are clamped, never written past the message. */
	in.ngaps = 200;
	mt_gp_encode_reply(b, &in);
	ck_assert_int_eq(b[6], MT_GP_GAPS);
}
END_TEST

START_TEST(test_refuses_foreign)
{
	unsigned char b[MT_GP_SIZE + 1];
	struct mt_gp_probe in = { 1, 2 }, out;

	mt_gp_encode_probe(b, &in);
	ck_assert_int_eq(mt_gp_decode_probe(b, MT_GP_SIZE - 1, &out), -1); /* short */
	ck_assert_int_eq(mt_gp_decode_probe(b, MT_GP_SIZE + 1, &out), -1); /* long */
	b[4] = MT_GP_VERSION + 1;
	ck_assert_int_eq(mt_gp_decode_probe(b, MT_GP_SIZE, &out), -1);     /* other version */
	b[4] = MT_GP_VERSION;
	b[0] = 'X';
	ck_assert_int_eq(mt_gp_decode_probe(b, MT_GP_SIZE, &out), -1);     /* other magic */
	b[0] = 'M';
	ck_assert_int_eq(mt_gp_decode_probe(b, MT_GP_SIZE, &out), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("guest_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_probe_round_trip);
	tcase_add_test(tc, test_reply_round_trip);
	tcase_add_test(tc, test_refuses_foreign);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
