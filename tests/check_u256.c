/* check_u256.c - 256-bit arithmetic and strict text forms. */
#include <check.h>
#include <string.h>

#include "u256.h"
#include "testutil.h"

#define MAXDEC "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define MAXHEX "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static x402_u256
dec(const char *s)
{
	x402_u256 v;

	ck_assert_int_eq(x402_u256_parse_dec(&v, s, strlen(s)), 0);
	return v;
}

static void
assert_dec(const x402_u256 *v, const char *want)
{
	char out[X402_U256_DECLEN + 1];

	ck_assert_int_eq(x402_u256_format_dec(out, sizeof(out), v),
	    (int)strlen(want));
	ck_assert_str_eq(out, want);
}

static const char *const dec_ok[] = {
	"0", "1", "10000", "18446744073709551615", "18446744073709551616",
	"340282366920938463463374607431768211456", MAXDEC,
};

START_TEST(decimal_roundtrip)
{
	x402_u256 v = dec(dec_ok[_i]);

	assert_dec(&v, dec_ok[_i]);
}
END_TEST

static const struct {
	const char *in;
	int err;
} dec_bad[] = {
	{ "", X402_ERR_SYNTAX }, { "-1", X402_ERR_SYNTAX },
	{ "+1", X402_ERR_SYNTAX }, { "1e3", X402_ERR_SYNTAX },
	{ " 1", X402_ERR_SYNTAX }, { "1 ", X402_ERR_SYNTAX },
	{ "1.0", X402_ERR_SYNTAX }, { "0x10", X402_ERR_SYNTAX },
	{ "115792089237316195423570985008687907853269984665640564039457584007913129639936",
	  X402_ERR_RANGE },
	{ "1000000000000000000000000000000000000000000000000000000000000000000000000000000",
	  X402_ERR_RANGE },
};

START_TEST(decimal_refusals)
{
	x402_u256 v;

	ck_assert_int_eq(x402_u256_parse_dec(&v, dec_bad[_i].in,
	    strlen(dec_bad[_i].in)), dec_bad[_i].err);
}
END_TEST

START_TEST(leading_zeros)
{
	x402_u256 v = dec("000000000000000000000000000000000000000000000000000000000000000000000000000000000042");
	char hx[67];

	assert_dec(&v, "42");
	ck_assert_int_eq(x402_u256_parse_hex(&v, "0x00000000000000000000000000000000000000000000000000000000000000000000ff", 72), 0);
	assert_dec(&v, "255");
	ck_assert_int_gt(x402_u256_format_hex(hx, sizeof(hx), &v), 0);
	ck_assert_str_eq(hx, "0xff");
}
END_TEST

START_TEST(hex_forms)
{
	x402_u256 v;
	char hx[67];

	ck_assert_int_eq(x402_u256_parse_hex(&v, MAXHEX, strlen(MAXHEX)), 0);
	assert_dec(&v, MAXDEC);
	ck_assert_int_eq(x402_u256_format_hex(hx, sizeof(hx), &v), 66);
	ck_assert_str_eq(hx, MAXHEX);
	ck_assert_int_eq(x402_u256_parse_hex(&v, "0x67c08c9a", 10), 0);
	assert_dec(&v, "1740672154");
	x402_u256_set_u64(&v, 0);
	x402_u256_format_hex(hx, sizeof(hx), &v);
	ck_assert_str_eq(hx, "0x0");
	ck_assert_int_eq(x402_u256_parse_hex(&v, "0x", 2), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_u256_parse_hex(&v, "ff", 2), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_u256_parse_hex(&v, "0xfg", 4), X402_ERR_SYNTAX);
	{
		const char *over = "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

		ck_assert_int_eq(x402_u256_parse_hex(&v, over, strlen(over)),
		    X402_ERR_RANGE);
	}
}
END_TEST

START_TEST(arithmetic)
{
	x402_u256 a = dec("18446744073709551615"), b, r, max = dec(MAXDEC);
	uint64_t rem, small;

	x402_u256_set_u64(&b, 1);
	ck_assert_int_eq(x402_u256_add(&r, &a, &b), 0);
	assert_dec(&r, "18446744073709551616");
	ck_assert_int_eq(x402_u256_get_u64(&r, &small), 0);
	ck_assert_int_eq(x402_u256_get_u64(&a, &small), 1);
	ck_assert(small == UINT64_MAX);
	ck_assert_int_eq(x402_u256_add(&r, &max, &b), X402_ERR_RANGE);
	ck_assert_int_eq(x402_u256_sub(&r, &b, &a), X402_ERR_RANGE);
	ck_assert_int_eq(x402_u256_sub(&r, &max, &max), 0);
	ck_assert(x402_u256_is_zero(&r));
	r = dec("18446744073709551616");
	ck_assert_int_eq(x402_u256_sub(&r, &r, &b), 0);	/* borrow across limbs */
	assert_dec(&r, "18446744073709551615");
	ck_assert_int_eq(x402_u256_mul_u64(&r, &a, 1000000), 0);
	assert_dec(&r, "18446744073709551615000000");
	ck_assert_int_eq(x402_u256_mul_u64(&r, &max, 2), X402_ERR_RANGE);
	ck_assert_int_eq(x402_u256_divmod_u64(&r, &rem, &max, 10000), 0);
	ck_assert_uint_eq(rem, 9935);
	assert_dec(&r, "11579208923731619542357098500868790785326998466564056403945758400791312963");
	ck_assert_int_eq(x402_u256_divmod_u64(&r, &rem, &max, 0), X402_ERR_INVAL);
	ck_assert_int_eq(x402_u256_cmp(&a, &max), -1);
	ck_assert_int_eq(x402_u256_cmp(&max, &a), 1);
	ck_assert_int_eq(x402_u256_cmp(&a, &a), 0);
}
END_TEST

START_TEST(big_endian_words)
{
	uint8_t be[32];
	x402_u256 v = dec("10000"), w;

	x402_u256_to_be(be, &v);
	tu_assert_hex(be, 32, "0x0000000000000000000000000000000000000000000000000000000000002710");
	x402_u256_from_be(&w, be);
	ck_assert_int_eq(x402_u256_cmp(&v, &w), 0);
	v = dec(MAXDEC);
	x402_u256_to_be(be, &v);
	x402_u256_from_be(&w, be);
	ck_assert_int_eq(x402_u256_cmp(&v, &w), 0);
}
END_TEST

static Suite *
u256_suite(void)
{
	Suite *s = suite_create("u256");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, decimal_roundtrip, 0,
	    sizeof(dec_ok) / sizeof(dec_ok[0]));
	tcase_add_loop_test(tc, decimal_refusals, 0,
	    sizeof(dec_bad) / sizeof(dec_bad[0]));
	tcase_add_test(tc, leading_zeros);
	tcase_add_test(tc, hex_forms);
	tcase_add_test(tc, arithmetic);
	tcase_add_test(tc, big_endian_words);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(u256_suite)
