/* check_codec.c - hex, base64, EIP-55, table-driven. */
#include <check.h>
#include <string.h>

#include "codec.h"
#include "testutil.h"

START_TEST(hex_roundtrip_and_refusals)
{
	uint8_t out[8];
	char txt[32];
	size_t n;

	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "0xDEADbeef",
	    10, X402_HEX_PREFIX_REQUIRED), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(x402_hex_encode(txt, sizeof(txt), out, n,
	    X402_HEX_PREFIX_REQUIRED), 0);
	ck_assert_str_eq(txt, "0xdeadbeef");
	ck_assert_int_eq(x402_hex_encode(txt, sizeof(txt), out, n,
	    X402_HEX_PREFIX_NONE), 0);
	ck_assert_str_eq(txt, "deadbeef");
	ck_assert_int_eq(x402_hex_encode(txt, 10, out, n,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "0X00", 4,
	    X402_HEX_PREFIX_REQUIRED), 0);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "00", 2,
	    X402_HEX_PREFIX_OPTIONAL), 0);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "", 0,
	    X402_HEX_PREFIX_OPTIONAL), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "00", 2,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "0x0", 3,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "0xzz", 4,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_hex_decode(out, sizeof(out), &n, "0x 0", 4,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_hex_decode(out, 2, &n, "0x000000", 8,
	    X402_HEX_PREFIX_REQUIRED), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_hex_decode_exact(out, 2, "0x0102", 6), 0);
	ck_assert_int_eq(x402_hex_decode_exact(out, 2, "0x010203", 8),
	    X402_ERR_RANGE);
	ck_assert_int_eq(x402_hex_decode_exact(out, 2, "0x01", 4),
	    X402_ERR_RANGE);
	ck_assert_int_eq(x402_hex_decode_exact(out, 2, "0102", 4),
	    X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_hex_decode_exact(out, 2, "0x01g2", 6),
	    X402_ERR_SYNTAX);
}
END_TEST

/* RFC 4648 §10 vectors. */
static const struct {
	const char *raw, *b64;
} rfc4648[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(base64_known_answers)
{
	char txt[32];
	uint8_t raw[32];
	size_t n, i;

	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t rl = strlen(rfc4648[i].raw), bl = strlen(rfc4648[i].b64);

		ck_assert_int_eq(x402_base64_encode(txt, sizeof(txt), &n,
		    (const uint8_t *)rfc4648[i].raw, rl), 0);
		ck_assert_str_eq(txt, rfc4648[i].b64);
		ck_assert_uint_eq(n, x402_base64_len(rl));
		ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n,
		    rfc4648[i].b64, bl), 0);
		ck_assert_uint_eq(n, rl);
		ck_assert_mem_eq(raw, rfc4648[i].raw, rl);
		/* Unpadded input is accepted too. */
		while (bl > 0 && rfc4648[i].b64[bl - 1] == '=')
			bl--;
		ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n,
		    rfc4648[i].b64, bl), 0);
		ck_assert_uint_eq(n, rl);
		ck_assert_mem_eq(raw, rfc4648[i].raw, rl);
	}
	/* Every byte value survives a round trip. */
	{
		uint8_t all[256], back[256];
		char enc[400];

		for (i = 0; i < 256; i++)
			all[i] = (uint8_t)i;
		ck_assert_int_eq(x402_base64_encode(enc, sizeof(enc), &n, all,
		    256), 0);
		ck_assert_int_eq(x402_base64_decode(back, sizeof(back), &n,
		    enc, strlen(enc)), 0);
		ck_assert_uint_eq(n, 256);
		ck_assert_mem_eq(all, back, 256);
		ck_assert_int_eq(x402_base64_encode(enc, x402_base64_len(256),
		    &n, all, 256), X402_ERR_LIMIT);
	}
}
END_TEST

static const char *const b64_bad[] = {
	"Zm9v YmFy",	/* whitespace */
	"Zm9v\nYmFy",
	"Zm9vYmFy\n",
	"-_8=",		/* URL-safe */
	"Zm9vY_==",
	"Zm9vY-==",
	"Zg=",		/* padding to a non-multiple of four */
	"Zg===",
	"Z===",
	"Z",		/* impossible length */
	"Zm9vY",
	"Zg==Zg==",	/* padding in the middle */
	"=Zg=",
	"Zm9v!mFy",
};

START_TEST(base64_refusals)
{
	uint8_t raw[32];
	size_t n;
	const char *s = b64_bad[_i];

	ck_assert_msg(x402_base64_decode(raw, sizeof(raw), &n, s,
	    strlen(s)) == X402_ERR_SYNTAX, "accepted %s", s);
}
END_TEST

START_TEST(base64_output_cap)
{
	uint8_t raw[2];
	size_t n;

	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n, "Zm9v", 4),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n, "Zm8=", 4),
	    0);
}
END_TEST

/* EIP-55's own examples. */
static const char *const eip55[] = {
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
	"0x036CbD53842c5426634e7929541eC2318f3dCF7e",
	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
};

START_TEST(eip55_checksums)
{
	uint8_t a[X402_ADDR_LEN];
	char out[X402_ADDR_STRLEN + 1], lower[X402_ADDR_STRLEN + 1];
	const char *s = eip55[_i];
	size_t i;

	ck_assert_int_eq(x402_addr_parse(a, s, strlen(s)), 0);
	x402_addr_format(out, a);
	/* All-lowercase and all-uppercase inputs format to the checksum. */
	for (i = 0; i < X402_ADDR_STRLEN; i++)
		lower[i] = (char)(i >= 2 && s[i] >= 'a' && s[i] <= 'f' ?
		    s[i] - 32 : s[i]);
	lower[X402_ADDR_STRLEN] = '\0';
	ck_assert_int_eq(x402_addr_parse(a, lower, X402_ADDR_STRLEN), 0);
	x402_addr_format(lower, a);
	ck_assert_str_eq(lower, out);
	for (i = 0; i < X402_ADDR_STRLEN; i++)
		lower[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	lower[X402_ADDR_STRLEN] = '\0';
	ck_assert_int_eq(x402_addr_parse(a, lower, X402_ADDR_STRLEN), 0);
	x402_addr_format(lower, a);
	ck_assert_str_eq(lower, out);
	if (_i < 4 || _i >= 8)
		ck_assert_str_eq(out, s);	/* mixed-case examples */
}
END_TEST

START_TEST(eip55_refusals)
{
	uint8_t a[X402_ADDR_LEN];
	/* One letter's case flipped breaks the checksum. */
	const char *flip = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";

	ck_assert_int_eq(x402_addr_parse(a, flip, strlen(flip)),
	    X402_ERR_CHECKSUM);
	ck_assert_int_eq(x402_addr_parse(a, "0x5aAeb6053F3E94C9b9A09f3366943"
	    "5E7Ef1BeA", 41), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_addr_parse(a, "5aAeb6053F3E94C9b9A09f33669435"
	    "E7Ef1BeAed00", 42), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_addr_parse(a, "0X5AAEB6053F3E94C9B9A09F336694"
	    "35E7EF1BEAED", 42), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_addr_parse(a, "0x5aAeb6053F3E94C9b9A09f336694"
	    "35E7Ef1BeAeg", 42), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_addr_parse(a, NULL, 0), X402_ERR_SYNTAX);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hex_roundtrip_and_refusals);
	tcase_add_test(tc, base64_known_answers);
	tcase_add_loop_test(tc, base64_refusals, 0,
	    sizeof(b64_bad) / sizeof(b64_bad[0]));
	tcase_add_test(tc, base64_output_cap);
	tcase_add_loop_test(tc, eip55_checksums, 0,
	    sizeof(eip55) / sizeof(eip55[0]));
	tcase_add_test(tc, eip55_refusals);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(codec_suite)
