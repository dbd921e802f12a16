/* check_price.c - price text to atomic units and back, table-driven. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "price.h"
#include "testutil.h"

#define U256MAX "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define U256OVER "115792089237316195423570985008687907853269984665640564039457584007913129639936"
/* 2^256-1 at 18 decimals, as token units. */
#define U256MAX18 "$115792089237316195423570985008687907853269984665640564039457.584007913129639935"

struct row {
	const char *in;
	unsigned dec;
	const char *sym;
	int err;		/* 0 or the expected X402_ERR_* */
	const char *atomic;	/* expected decimal value when err is 0 */
};

static const struct row rows[] = {
	/* the forms */
	{ "$2.01", 6, NULL, 0, "2010000" },
	{ "$0.0079", 6, NULL, 0, "7900" },
	{ "$0.01", 6, NULL, 0, "10000" },
	{ "0.01", 6, NULL, 0, "10000" },
	{ "0.01 USDC", 6, "USDC", 0, "10000" },
	{ "1 USDC", 6, "USDC", 0, "1000000" },
	{ "10000", 6, NULL, 0, "10000" },
	{ "10000", 6, "USDC", 0, "10000" },
	{ "$1", 6, NULL, 0, "1000000" },
	{ "$0.000001", 6, NULL, 0, "1" },
	{ "$0", 6, NULL, 0, "0" },
	{ "0", 6, NULL, 0, "0" },
	{ "0.0", 6, NULL, 0, "0" },
	{ "$00.10", 6, NULL, 0, "100000" },
	{ "1.5", 0, NULL, X402_ERR_PRECISION, NULL },
	{ "$3", 0, NULL, 0, "3" },
	{ "$0.0100000", 6, NULL, 0, "10000" },
	{ "$0.01000000000000000000000", 6, NULL, 0, "10000" },
	{ "$0.0000001", 6, NULL, X402_ERR_PRECISION, NULL },
	{ "$0.0000010", 6, NULL, 0, "1" },
	{ "$0.00000100001", 6, NULL, X402_ERR_PRECISION, NULL },
	/* 18 decimals */
	{ "1", 18, NULL, 0, "1" },
	{ "1.0", 18, NULL, 0, "1000000000000000000" },
	{ "0.000000000000000001 WETH", 18, "WETH", 0, "1" },
	{ "0.0000000000000000001", 18, NULL, X402_ERR_PRECISION, NULL },
	{ "123.456789012345678", 18, NULL, 0, "123456789012345678000" },
	/* the u256 boundary */
	{ U256MAX, 6, NULL, 0, U256MAX },
	{ U256OVER, 6, NULL, X402_ERR_RANGE, NULL },
	{ U256MAX18, 18, NULL, 0, U256MAX },
	{ "$115792089237316195423570985008687907853269984665640564039457."
	    "584007913129639936", 18, NULL, X402_ERR_RANGE, NULL },
	{ "$115792089237316195423570985008687907853269984665640564039458", 18,
	    NULL, X402_ERR_RANGE, NULL },
	{ "1", 77, "T", 0, "1" },
	{ "$1", 77, NULL, 0, "100000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000" },
	{ "$2", 77, NULL, X402_ERR_RANGE, NULL },
	{ "$1", 78, NULL, X402_ERR_INVAL, NULL },
	/* refusals */
	{ "", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "-1", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "+1", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "$-1", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1e3", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1E3", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "$", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "$.", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ ".5", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "$.5", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1.", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1..0", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1.0.0", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ " 1", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1 ", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1 ", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1  USDC", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1\tUSDC", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "$$1", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1$", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1,000", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "0x10", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1.0 USDT", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1.0 usdc", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1.0 USDCX", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1.0 USD", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "1.0 USDC", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "1.0 USDC", 6, "", X402_ERR_SYNTAX, NULL },
	{ "$1 USDC", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "USDC 1", 6, "USDC", X402_ERR_SYNTAX, NULL },
	{ "\xd9\xa1", 6, NULL, X402_ERR_SYNTAX, NULL },	/* ARABIC-INDIC ONE */
	{ "1\xef\xbc\x90", 6, NULL, X402_ERR_SYNTAX, NULL },	/* FULLWIDTH 0 */
	{ "\xef\xbc\x84" "1", 6, NULL, X402_ERR_SYNTAX, NULL },	/* FULLWIDTH $ */
	{ "1\n", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "NaN", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "inf", 6, NULL, X402_ERR_SYNTAX, NULL },
	{ "0001000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000", 0, NULL, X402_ERR_LIMIT,
	    NULL },	/* 101 bytes */
	{ "0000000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000001", 0, NULL, 0, "1" },
};

START_TEST(parse_table)
{
	const struct row *t = &rows[_i];
	struct x402_detail d;
	x402_u256 v, want;
	char got[X402_U256_DECLEN + 1];
	int r;

	x402_detail_clear(&d);
	x402_u256_set_u64(&v, 4242);
	r = x402_price_parse(&v, &d, t->in, strlen(t->in), t->dec, t->sym);
	ck_assert_msg(r == t->err, "row %d \"%s\": got %d (%s), want %d",
	    _i, t->in, r, d.msg, t->err);
	if (t->err != 0) {
		/* A refusal names the problem and leaves *atomic alone. */
		ck_assert_msg(strncmp(d.msg, "price: ", 7) == 0 &&
		    strlen(d.msg) > 10, "row %d: detail \"%s\"", _i, d.msg);
		ck_assert_uint_eq(v.w[0], 4242);
		return;
	}
	ck_assert_int_eq(x402_u256_parse_dec(&want, t->atomic,
	    strlen(t->atomic)), 0);
	(void)x402_u256_format_dec(got, sizeof(got), &v);
	ck_assert_msg(x402_u256_cmp(&v, &want) == 0,
	    "row %d \"%s\": got %s, want %s", _i, t->in, got, t->atomic);
}
END_TEST

START_TEST(parse_length_not_nul)
{
	x402_u256 v;

	/* Only in[0..inlen) is read. */
	ck_assert_int_eq(x402_price_parse(&v, NULL, "$0.01junk", 5, 6, NULL),
	    0);
	ck_assert_uint_eq(v.w[0], 10000);
	ck_assert_int_eq(x402_price_parse(&v, NULL, "1\0" "0", 3, 6, NULL),
	    X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_price_parse(NULL, NULL, "1", 1, 6, NULL),
	    X402_ERR_INVAL);
}
END_TEST

static const struct {
	const char *atomic;
	unsigned dec;
	const char *text;
} fmts[] = {
	{ "10000", 6, "0.01" },
	{ "2010000", 6, "2.01" },
	{ "7900", 6, "0.0079" },
	{ "1000000", 6, "1" },
	{ "1", 6, "0.000001" },
	{ "0", 6, "0" },
	{ "0", 0, "0" },
	{ "12", 0, "12" },
	{ "10", 1, "1" },
	{ "123456789012345678000", 18, "123.456789012345678" },
	{ "1", 18, "0.000000000000000001" },
	{ U256MAX, 0, U256MAX },
	{ U256MAX, 18, "115792089237316195423570985008687907853269984665640"
	    "564039457.584007913129639935" },
	{ U256MAX, 77, "1.15792089237316195423570985008687907853269984665640"
	    "564039457584007913129639935" },
	{ "1", 77, "0.000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000001" },
};

START_TEST(format_and_round_trip)
{
	x402_u256 v, back;
	char out[X402_PRICE_FMTLEN], in[X402_PRICE_FMTLEN + 1];
	int n;

	ck_assert_int_eq(x402_u256_parse_dec(&v, fmts[_i].atomic,
	    strlen(fmts[_i].atomic)), 0);
	n = x402_price_format(out, sizeof(out), &v, fmts[_i].dec);
	ck_assert_int_ge(n, 1);
	ck_assert_str_eq(out, fmts[_i].text);
	ck_assert_uint_eq((size_t)n, strlen(out));
	/* Exactly enough room works, one byte less does not. */
	ck_assert_int_eq(x402_price_format(out, (size_t)n + 1, &v,
	    fmts[_i].dec), n);
	ck_assert_int_eq(x402_price_format(out, (size_t)n, &v,
	    fmts[_i].dec), X402_ERR_LIMIT);
	/* "$" + text reads back as the same atomic value. */
	in[0] = '$';
	memcpy(in + 1, fmts[_i].text, (size_t)n + 1);
	ck_assert_int_eq(x402_price_parse(&back, NULL, in, (size_t)n + 1,
	    fmts[_i].dec, NULL), 0);
	ck_assert(x402_u256_cmp(&back, &v) == 0);
}
END_TEST

START_TEST(round_trip_sweep)
{
	/* Many values and decimals: parse(format(v)) == v, with a symbol. */
	char out[X402_PRICE_FMTLEN], in[X402_PRICE_FMTLEN + 8];
	x402_u256 v, back;
	unsigned dec;
	uint64_t x = 1;
	int i, n;

	for (dec = 0; dec <= 20; dec++) {
		x402_u256_set_u64(&v, 0);
		for (i = 0; i < 60; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			x402_u256_set_u64(&v, x >> (i % 64));
			ck_assert_int_eq(x402_u256_mul_u64(&v, &v,
			    (uint64_t)(i % 7) * 10 + 1), 0);
			n = x402_price_format(out, sizeof(out), &v, dec);
			ck_assert_int_gt(n, 0);
			ck_assert(out[n - 1] != '0' || strchr(out, '.') == NULL);
			snprintf(in, sizeof(in), "%s TOK", out);
			ck_assert_int_eq(x402_price_parse(&back, NULL, in,
			    strlen(in), dec, "TOK"), 0);
			ck_assert(x402_u256_cmp(&back, &v) == 0);
		}
	}
	ck_assert_int_eq(x402_price_format(out, sizeof(out), &v, 78),
	    X402_ERR_INVAL);
}
END_TEST

static Suite *
price_suite(void)
{
	Suite *s = suite_create("price");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_table, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, parse_length_not_nul);
	tcase_add_loop_test(tc, format_and_round_trip, 0,
	    sizeof(fmts) / sizeof(fmts[0]));
	tcase_add_test(tc, round_trip_sweep);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(price_suite)
