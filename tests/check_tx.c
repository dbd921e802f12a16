/*
 * check_tx.c - ABI, RLP and EIP-1559 transactions.  The known answers come
 * from the shared notes (§10.2 KAT-1), the Ethereum wiki (RLP) and viem
 * 2.57.20 (tests/vectors/gen-tx-vectors.mjs regenerates them).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keccak.h"
#include "sig.h"
#include "tx.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Anvil #0, the well-known test key. */
#define ANVIL0_KEY \
	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define ANVIL0 "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define PAY_TO "0x209693bc6afc0c5328ba36faf03c514ef312287c"
#define USDC "0x036cbd53842c5426634e7929541ec2318f3dcf7e"
#define KAT1_NONCE \
	"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"
#define KAT1_SIG \
	"0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3" \
	"157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b"

/* Shared notes §10.2, KAT-1 calldata, verbatim. */
#define KAT1_CALLDATA \
	    "0xe3ee160e000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279" \
	    "cfffb92266000000000000000000000000209693bc6afc0c5328ba36faf03c51" \
	    "4ef312287c000000000000000000000000000000000000000000000000000000" \
	    "0000002710000000000000000000000000000000000000000000000000000000" \
	    "0067c08c59000000000000000000000000000000000000000000000000000000" \
	    "0067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a" \
	    "4462f13480000000000000000000000000000000000000000000000000000000" \
	    "000000001bdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d1712" \
	    "39f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000" \
	    "d6e78f082f"

/* Asserts that n bytes at p, as 0x-hex, equal hex (any length). */
static void
assert_mem_hex(const void *p, size_t n, const char *hex)
{
	size_t cap = 2 * n + 3;
	char *txt = malloc(cap);

	ck_assert_ptr_nonnull(txt);
	ck_assert_int_eq(x402_hex_encode(txt, cap, p, n,
	    X402_HEX_PREFIX_REQUIRED), 0);
	ck_assert_str_eq(txt, hex);
	free(txt);
}

static void
assert_buf_hex(const struct x402_buf *b, const char *hex)
{
	assert_mem_hex(b->p, b->len, hex);
}

static void
kat1_auth(struct x402_eip3009_auth *a)
{
	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(x402_addr_parse(a->from, ANVIL0, strlen(ANVIL0)), 0);
	ck_assert_int_eq(x402_addr_parse(a->to, PAY_TO, strlen(PAY_TO)), 0);
	x402_u256_set_u64(&a->value, 10000);
	x402_u256_set_u64(&a->valid_after, 1740672089);
	x402_u256_set_u64(&a->valid_before, 1740672154);
	tu_hex(a->nonce, sizeof(a->nonce), KAT1_NONCE);
}

static void
parse_addr(uint8_t a[X402_ADDR_LEN], const char *s)
{
	ck_assert_int_eq(x402_addr_parse(a, s, strlen(s)), 0);
}

/* ---- ABI ---------------------------------------------------------------- */

static const struct {
	unsigned long sel;
	const char *sig;
} selectors[] = {
	{ X402_SEL_TRANSFER_WITH_AUTHORIZATION, "transferWithAuthorization("
	    "address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,"
	    "bytes32)" },
	{ X402_SEL_TRANSFER_WITH_AUTHORIZATION_BYTES,
	    "transferWithAuthorization(address,address,uint256,uint256,"
	    "uint256,bytes32,bytes)" },
	{ X402_SEL_BALANCE_OF, "balanceOf(address)" },
	{ X402_SEL_AUTHORIZATION_STATE, "authorizationState(address,bytes32)" },
	{ X402_SEL_TRANSFER, "transfer(address,uint256)" },
	{ X402_SEL_ALLOWANCE, "allowance(address,address)" },
	{ X402_SEL_APPROVE, "approve(address,uint256)" },
	{ X402_SEL_NAME, "name()" },
	{ X402_SEL_VERSION, "version()" },
	{ X402_SEL_UPTO_SETTLE, "settle(((address,uint256),uint256,uint256),"
	    "uint256,address,(address,address,uint256),bytes)" },
	{ X402_SEL_NONCE_BITMAP, "nonceBitmap(address,uint256)" },
};

START_TEST(selectors_and_topics_are_keccak)
{
	uint8_t h[32];
	unsigned long got;
	size_t i;

	for (i = 0; i < N(selectors); i++) {
		x402_keccak256(h, selectors[i].sig, strlen(selectors[i].sig));
		got = (unsigned long)h[0] << 24 | (unsigned long)h[1] << 16 |
		    (unsigned long)h[2] << 8 | h[3];
		ck_assert_msg(got == selectors[i].sel, "%s: 0x%08lx != 0x%08lx",
		    selectors[i].sig, got, selectors[i].sel);
	}
	x402_keccak256(h, "Transfer(address,address,uint256)", 33);
	ck_assert_mem_eq(h, x402_abi_topic_transfer, 32);
	tu_assert_hex(x402_abi_topic_transfer, 32, "0xddf252ad1be2c89b69c2b068"
	    "fc378daa952ba7f163c4a11628f55a4df523b3ef");
	x402_keccak256(h, "AuthorizationUsed(address,bytes32)", 34);
	ck_assert_mem_eq(h, x402_abi_topic_authorization_used, 32);
}
END_TEST

START_TEST(transfer_with_authorization_kat1)
{
	struct x402_eip3009_auth a;
	struct x402_buf b;
	uint8_t sig[X402_SIG_LEN];

	kat1_auth(&a);
	tu_hex(sig, sizeof(sig), KAT1_SIG);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_abi_transfer_with_authorization(&b, &a, sig), 0);
	ck_assert_uint_eq(b.len, 4 + 9 * 32);
	assert_buf_hex(&b, KAT1_CALLDATA);

	/* v given as 0 (recovery id) is written as 27. */
	x402_buf_reset(&b);
	sig[64] = 0;
	ck_assert_int_eq(x402_abi_transfer_with_authorization(&b, &a, sig), 0);
	assert_buf_hex(&b, KAT1_CALLDATA);

	/* Any other v is refused and nothing is written. */
	x402_buf_reset(&b);
	sig[64] = 2;
	ck_assert_int_eq(x402_abi_transfer_with_authorization(&b, &a, sig),
	    X402_ERR_SIG);
	sig[64] = 29;
	ck_assert_int_eq(x402_abi_transfer_with_authorization(&b, &a, sig),
	    X402_ERR_SIG);
	ck_assert_uint_eq(b.len, 0);

	/* The buffer's maximum holds. */
	sig[64] = 27;
	x402_buf_free(&b);
	x402_buf_init(&b, 4 + 9 * 32 - 1);
	ck_assert_int_eq(x402_abi_transfer_with_authorization(&b, &a, sig),
	    X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 0);
	x402_buf_free(&b);
}
END_TEST

START_TEST(transfer_with_authorization_bytes)
{
	struct x402_eip3009_auth a;
	struct x402_buf b;
	uint8_t sig[X402_SIG_LEN];
	static const uint8_t three[3] = { 0xab, 0xcd, 0xef };
	static uint8_t big[X402_ABI_SIG_BYTES_MAX + 1];

	kat1_auth(&a);
	tu_hex(sig, sizeof(sig), KAT1_SIG);
	x402_buf_init(&b, 8192);
	ck_assert_int_eq(x402_abi_transfer_with_authorization_bytes(&b, &a,
	    sig, sizeof(sig)), 0);
	/* viem encodeFunctionData, bytes overload, KAT-1 signature. */
	assert_buf_hex(&b,
	    "0xcf092995000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279"
	    "cfffb92266000000000000000000000000209693bc6afc0c5328ba36faf03c51"
	    "4ef312287c000000000000000000000000000000000000000000000000000000"
	    "0000002710000000000000000000000000000000000000000000000000000000"
	    "0067c08c59000000000000000000000000000000000000000000000000000000"
	    "0067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a"
	    "4462f13480000000000000000000000000000000000000000000000000000000"
	    "00000000e0000000000000000000000000000000000000000000000000000000"
	    "0000000041dc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d1712"
	    "39f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000"
	    "d6e78f082f1b0000000000000000000000000000000000000000000000000000"
	    "0000000000");

	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_transfer_with_authorization_bytes(&b, &a,
	    three, sizeof(three)), 0);
	assert_buf_hex(&b,
	    "0xcf092995000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279"
	    "cfffb92266000000000000000000000000209693bc6afc0c5328ba36faf03c51"
	    "4ef312287c000000000000000000000000000000000000000000000000000000"
	    "0000002710000000000000000000000000000000000000000000000000000000"
	    "0067c08c59000000000000000000000000000000000000000000000000000000"
	    "0067c08c9af3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a"
	    "4462f13480000000000000000000000000000000000000000000000000000000"
	    "00000000e0000000000000000000000000000000000000000000000000000000"
	    "0000000003abcdef000000000000000000000000000000000000000000000000"
	    "0000000000");

	/* Caps: the signature's own, then the buffer's (content kept). */
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_transfer_with_authorization_bytes(&b, &a,
	    big, sizeof(big)), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_abi_transfer_with_authorization_bytes(&b, &a,
	    NULL, 1), X402_ERR_INVAL);
	x402_buf_free(&b);
	x402_buf_init(&b, 4 + 9 * 32 + 64);
	ck_assert_int_eq(x402_buf_add(&b, "x", 1), 0);
	ck_assert_int_eq(x402_abi_transfer_with_authorization_bytes(&b, &a,
	    sig, sizeof(sig)), X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_int_eq(b.p[1], '\0');
	x402_buf_free(&b);
}
END_TEST

START_TEST(view_calls)
{
	struct x402_buf b;
	uint8_t from[X402_ADDR_LEN], to[X402_ADDR_LEN], nonce[32];
	x402_u256 v;

	parse_addr(from, ANVIL0);
	parse_addr(to, PAY_TO);
	tu_hex(nonce, sizeof(nonce), KAT1_NONCE);
	x402_u256_set_u64(&v, 10000);
	x402_buf_init(&b, 1024);

	/* viem encodeFunctionData for each. */
	ck_assert_int_eq(x402_abi_balance_of(&b, to), 0);
	assert_buf_hex(&b, "0x70a08231000000000000000000000000209693bc6afc0c53"
	    "28ba36faf03c514ef312287c");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_authorization_state(&b, from, nonce), 0);
	assert_buf_hex(&b, "0xe94a0102000000000000000000000000f39fd6e51aad88f6"
	    "f4ce6ab8827279cfffb92266f3746613c2d920b5fdabc0856f2aeb2d4f88ee60"
	    "37b8cc5d04a71a4462f13480");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_transfer(&b, to, &v), 0);
	assert_buf_hex(&b, "0xa9059cbb000000000000000000000000209693bc6afc0c53"
	    "28ba36faf03c514ef312287c00000000000000000000000000000000000000000"
	    "00000000000000000002710");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_allowance(&b, from, to), 0);
	assert_buf_hex(&b, "0xdd62ed3e000000000000000000000000f39fd6e51aad88f6"
	    "f4ce6ab8827279cfffb92266000000000000000000000000209693bc6afc0c53"
	    "28ba36faf03c514ef312287c");
	x402_buf_reset(&b);
	parse_addr(from, "0x000000000022D473030F116dDEE9F6B43aC78BA3");
	ck_assert_int_eq(x402_abi_approve(&b, from, &v), 0);
	assert_buf_hex(&b, "0x095ea7b3000000000000000000000000000000000022d473"
	    "030f116ddee9f6b43ac78ba300000000000000000000000000000000000000000"
	    "00000000000000000002710");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_name(&b), 0);
	assert_buf_hex(&b, "0x06fdde03");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_abi_version(&b), 0);
	assert_buf_hex(&b, "0x54fd4d50");
	x402_buf_free(&b);

	x402_buf_init(&b, 35);
	ck_assert_int_eq(x402_abi_balance_of(&b, to), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_abi_name(&b), 0);
	x402_buf_free(&b);
}
END_TEST

/* The upto proxy's settle and Permit2's nonceBitmap, as viem encodes them. */
START_TEST(upto_settle_calldata)
{
	struct x402_permit2 pm;
	struct x402_buf b;
	uint8_t owner[X402_ADDR_LEN], sig[X402_SIG_LEN];
	x402_u256 amount, pos;

	memset(&pm, 0, sizeof(pm));
	pm.upto = 1;
	parse_addr(pm.token, "0x036CbD53842c5426634e7929541eC2318f3dCF7e");
	x402_u256_set_u64(&pm.amount, 50000);
	ck_assert_int_eq(x402_u256_parse_dec(&pm.nonce,
	    "123456789012345678901234567890", 30), 0);
	x402_u256_set_u64(&pm.deadline, 1700000300);
	parse_addr(pm.witness_to, "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");
	parse_addr(pm.witness_facilitator,
	    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc");
	parse_addr(owner, ANVIL0);
	memset(sig, 0x11, 64);
	sig[64] = 0x1b;
	x402_u256_set_u64(&amount, 220);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_abi_upto_settle(&b, &pm, &amount, owner, sig), 0);
	assert_buf_hex(&b, "0xff11e7b4"
	    "000000000000000000000000036cbd53842c5426634e7929541ec2318f3dcf7e"
	    "000000000000000000000000000000000000000000000000000000000000c350"
	    "00000000000000000000000000000000000000018ee90ff6c373e0ee4e3f0ad2"
	    "000000000000000000000000000000000000000000000000000000006553f22c"
	    "00000000000000000000000000000000000000000000000000000000000000dc"
	    "000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
	    "000000000000000000000000a0ee7a142d267c1f36714e4a8f75612f20a79720"
	    "0000000000000000000000009965507d1a55bcc2695c58ba16fb37d819b0a4dc"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000140"
	    "0000000000000000000000000000000000000000000000000000000000000041"
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "1b00000000000000000000000000000000000000000000000000000000000000");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_u256_parse_dec(&pos,
	    "482253082079475308207947530", 27), 0);
	ck_assert_int_eq(x402_abi_nonce_bitmap(&b, owner, &pos), 0);
	assert_buf_hex(&b, "0x4fe02b44"
	    "000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
	    "0000000000000000000000000000000000000000018ee90ff6c373e0ee4e3f0a");
	x402_buf_free(&b);
	/* Capped: nothing appended. */
	x402_buf_init(&b, 100);
	ck_assert_int_eq(x402_abi_upto_settle(&b, &pm, &amount, owner, sig),
	    X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 0);
	x402_buf_free(&b);
}
END_TEST

START_TEST(decode_uint256_and_bool)
{
	uint8_t w[33];
	x402_u256 v;
	uint64_t n;
	int b;

	memset(w, 0, sizeof(w));
	w[30] = 0x27;
	w[31] = 0x10;
	ck_assert_int_eq(x402_abi_decode_uint256(&v, w, 32), 0);
	ck_assert(x402_u256_get_u64(&v, &n));
	ck_assert_uint_eq(n, 10000);
	memset(w, 0xff, 32);
	ck_assert_int_eq(x402_abi_decode_uint256(&v, w, 32), 0);
	ck_assert(!x402_u256_get_u64(&v, &n));
	ck_assert_int_eq(x402_abi_decode_uint256(&v, w, 31), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_uint256(&v, w, 33), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_uint256(&v, w, 0), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_uint256(&v, NULL, 32),
	    X402_ERR_SYNTAX);

	memset(w, 0, sizeof(w));
	b = 7;
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 32), 0);
	ck_assert_int_eq(b, 0);
	w[31] = 1;
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 32), 0);
	ck_assert_int_eq(b, 1);
	w[31] = 2;
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 32), X402_ERR_RANGE);
	w[31] = 1;
	w[0] = 1;
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 32), X402_ERR_RANGE);
	w[0] = 0;
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 31), X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_bool(&b, w, 33), X402_ERR_SYNTAX);
}
END_TEST

/* viem encodeAbiParameters([{type:'string'}], [...]). */
#define RET_USD_COIN \
	    "0x00000000000000000000000000000000000000000000000000000000000000" \
	    "2000000000000000000000000000000000000000000000000000000000000000" \
	    "0855534420436f696e0000000000000000000000000000000000000000000000" \
	    "00"
#define RET_LONG \
	    "0x00000000000000000000000000000000000000000000000000000000000000" \
	    "2000000000000000000000000000000000000000000000000000000000000000" \
	    "36416e204552432d323020746f6b656e2077686f7365206e616d65206973206c" \
	    "6f6e676572207468616e206f6e652041424920776f7264000000000000000000" \
	    "00"
#define RET_EMPTY \
	    "0x00000000000000000000000000000000000000000000000000000000000000" \
	    "2000000000000000000000000000000000000000000000000000000000000000" \
	    "00"

START_TEST(decode_string)
{
	uint8_t d[160];
	char s[64];
	size_t dl, n;

	dl = tu_hex(d, sizeof(d), RET_USD_COIN);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl), 0);
	ck_assert_str_eq(s, "USD Coin");
	ck_assert_uint_eq(n, 8);
	/* Capacity: 8 bytes and the NUL need 9. */
	ck_assert_int_eq(x402_abi_decode_string(s, 9, NULL, d, dl), 0);
	ck_assert_int_eq(x402_abi_decode_string(s, 8, NULL, d, dl),
	    X402_ERR_LIMIT);
	/* Short, trailing, bad offset, bad length, dirty padding, NUL. */
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl - 32),
	    X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl - 1),
	    X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, 0),
	    X402_ERR_SYNTAX);
	memset(d + dl, 0, 32);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl + 32),
	    X402_ERR_SYNTAX);
	d[31] = 0x40;
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl),
	    X402_ERR_SYNTAX);
	d[31] = 0x20;
	d[63] = 0x21;		/* length 33: needs two words of data */
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl),
	    X402_ERR_SYNTAX);
	d[63] = 0x08;
	d[32] = 0x01;		/* length above 2^32 */
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl),
	    X402_ERR_SYNTAX);
	d[32] = 0;
	d[64 + 8] = 'x';	/* padding not zero */
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl),
	    X402_ERR_SYNTAX);
	d[64 + 8] = 0;
	d[64 + 3] = 0;		/* "USD\0Coin" */
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl),
	    X402_ERR_SYNTAX);

	dl = tu_hex(d, sizeof(d), RET_LONG);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl), 0);
	ck_assert_str_eq(s,
	    "An ERC-20 token whose name is longer than one ABI word");
	ck_assert_uint_eq(n, 54);
	dl = tu_hex(d, sizeof(d), RET_EMPTY);
	ck_assert_int_eq(x402_abi_decode_string(s, sizeof(s), &n, d, dl), 0);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(x402_abi_decode_string(s, 0, &n, d, dl),
	    X402_ERR_LIMIT);
}
END_TEST

START_TEST(log_matching)
{
	struct x402_abi_log log;
	uint8_t usdc[X402_ADDR_LEN], from[X402_ADDR_LEN], to[X402_ADDR_LEN];
	uint8_t data[32], nonce[32];
	x402_u256 v, other;

	parse_addr(usdc, USDC);
	parse_addr(from, ANVIL0);
	parse_addr(to, PAY_TO);
	x402_u256_set_u64(&v, 10000);
	x402_u256_set_u64(&other, 10001);
	x402_u256_to_be(data, &v);

	memset(&log, 0, sizeof(log));
	memcpy(log.address, usdc, X402_ADDR_LEN);
	memcpy(log.topics[0], x402_abi_topic_transfer, 32);
	memcpy(log.topics[1] + 12, from, X402_ADDR_LEN);
	memcpy(log.topics[2] + 12, to, X402_ADDR_LEN);
	log.ntopics = 3;
	log.data = data;
	log.datalen = 32;
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 1);
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to,
	    &other), 0);
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, to, from, &v), 0);
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, from, from, to, &v), 0);
	log.topics[1][0] = 1;	/* dirty address padding */
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 0);
	log.topics[1][0] = 0;
	log.ntopics = 4;
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 0);
	log.ntopics = 3;
	log.datalen = 31;
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 0);
	log.datalen = 32;
	log.topics[0][31] ^= 1;
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 0);

	tu_hex(nonce, sizeof(nonce), KAT1_NONCE);
	memcpy(log.topics[0], x402_abi_topic_authorization_used, 32);
	memcpy(log.topics[2], nonce, 32);
	log.data = NULL;
	log.datalen = 0;
	ck_assert_int_eq(x402_abi_log_is_authorization_used(&log, usdc, from,
	    nonce), 1);
	ck_assert_int_eq(x402_abi_log_is_transfer(&log, usdc, from, to, &v), 0);
	ck_assert_int_eq(x402_abi_log_is_authorization_used(&log, usdc, to,
	    nonce), 0);
	ck_assert_int_eq(x402_abi_log_is_authorization_used(&log, to, from,
	    nonce), 0);
	log.topics[2][0] ^= 1;
	ck_assert_int_eq(x402_abi_log_is_authorization_used(&log, usdc, from,
	    nonce), 0);
}
END_TEST

/* ---- RLP ---------------------------------------------------------------- */

#define LOREM "Lorem ipsum dolor sit amet, consectetur adipisicing elit"

START_TEST(rlp_wiki_examples)
{
	struct x402_buf b;
	size_t l0, l1;
	x402_u256 v;

	x402_buf_init(&b, 1024);
	ck_assert_int_eq(x402_rlp_bytes(&b, (const uint8_t *)"dog", 3), 0);
	assert_buf_hex(&b, "0x83646f67");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, (const uint8_t *)"cat", 3), 0);
	ck_assert_int_eq(x402_rlp_bytes(&b, (const uint8_t *)"dog", 3), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	assert_buf_hex(&b, "0xc88363617483646f67");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, NULL, 0), 0);
	assert_buf_hex(&b, "0x80");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	assert_buf_hex(&b, "0xc0");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_u64(&b, 0), 0);
	assert_buf_hex(&b, "0x80");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_u64(&b, 15), 0);
	assert_buf_hex(&b, "0x0f");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_u64(&b, 1024), 0);
	assert_buf_hex(&b, "0x820400");
	x402_buf_reset(&b);
	x402_u256_set_u64(&v, 1024);
	ck_assert_int_eq(x402_rlp_u256(&b, &v), 0);
	assert_buf_hex(&b, "0x820400");

	/* [ [], [[]], [ [], [[]] ] ] */
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);	/* [] */
	l0 = b.len;						/* [[]] */
	ck_assert_int_eq(x402_rlp_list_close(&b, b.len), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, l0), 0);
	l0 = b.len;				/* [ [], [[]] ] */
	ck_assert_int_eq(x402_rlp_list_close(&b, b.len), 0);
	l1 = b.len;
	ck_assert_int_eq(x402_rlp_list_close(&b, b.len), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, l1), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, l0), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	assert_buf_hex(&b, "0xc7c0c1c0c3c0c1c0");

	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, (const uint8_t *)LOREM,
	    strlen(LOREM)), 0);
	assert_buf_hex(&b, "0xb8384c6f72656d20697073756d20646f6c6f722073697420"
	    "616d65742c20636f6e7365637465747572206164697069736963696e6720656c"
	    "6974");
	x402_buf_free(&b);
}
END_TEST

START_TEST(rlp_edges)
{
	struct x402_buf b;
	static uint8_t big[1024];
	uint8_t one;
	x402_u256 v;

	x402_buf_init(&b, 2048);
	/* A single byte below 0x80 is itself; 0x80 and up get a prefix. */
	one = 0x7f;
	ck_assert_int_eq(x402_rlp_bytes(&b, &one, 1), 0);
	one = 0x80;
	ck_assert_int_eq(x402_rlp_bytes(&b, &one, 1), 0);
	one = 0x00;
	ck_assert_int_eq(x402_rlp_bytes(&b, &one, 1), 0);
	ck_assert_int_eq(x402_rlp_u64(&b, 127), 0);
	ck_assert_int_eq(x402_rlp_u64(&b, 128), 0);
	ck_assert_int_eq(x402_rlp_u64(&b, UINT64_MAX), 0);
	assert_buf_hex(&b, "0x7f8180007f818088ffffffffffffffff");

	/* 55 bytes: short form; 56: long form; 1024: two length bytes. */
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 55), 0);
	ck_assert_uint_eq(b.len, 56);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xb7);
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 56), 0);
	ck_assert_uint_eq(b.len, 58);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xb8);
	ck_assert_uint_eq((uint8_t)b.p[1], 56);
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 1024), 0);
	ck_assert_uint_eq(b.len, 1027);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xb9);
	ck_assert_uint_eq((uint8_t)b.p[1], 0x04);
	ck_assert_uint_eq((uint8_t)b.p[2], 0x00);
	/* ...and a list around it: 0xf9 0x04 0x03. */
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	ck_assert_uint_eq(b.len, 1030);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xf9);
	ck_assert_uint_eq((uint8_t)b.p[1], 0x04);
	ck_assert_uint_eq((uint8_t)b.p[2], 0x03);
	ck_assert_uint_eq((uint8_t)b.p[3], 0xb9);
	/* A list of 55 payload bytes is short, 56 long. */
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 54), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xf7);
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 55), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), 0);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xf8);
	ck_assert_uint_eq((uint8_t)b.p[1], 56);

	/* 2^256 - 1: 32 bytes. */
	x402_buf_reset(&b);
	memset(&v, 0xff, sizeof(v));
	ck_assert_int_eq(x402_rlp_u256(&b, &v), 0);
	ck_assert_uint_eq(b.len, 33);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xa0);

	/* Refusals leave the content as it was. */
	ck_assert_int_eq(x402_rlp_list_close(&b, b.len + 1), X402_ERR_INVAL);
	ck_assert_int_eq(x402_rlp_bytes(&b, NULL, 1), X402_ERR_INVAL);
	x402_buf_free(&b);
	x402_buf_init(&b, 57);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 56), X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(x402_rlp_bytes(&b, big, 55), 0);
	ck_assert_int_eq(x402_rlp_list_close(&b, 0), X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 56);
	ck_assert_uint_eq((uint8_t)b.p[0], 0xb7);
	x402_buf_free(&b);
}
END_TEST

/* ---- EIP-1559 transactions ---------------------------------------------- */

/*
 * viem 2.57.20: serializeTransaction (unsigned), keccak256 of it,
 * privateKeyToAccount(anvil #0).signTransaction, keccak256 of the raw tx;
 * sig is the signature viem made, as r || s || (27 + yParity).
 */
static const struct txv {
	const char *label;
	uint64_t chain_id, nonce;
	const char *prio, *maxfee;
	uint64_t gas;
	const char *to, *value, *data;
	const char *unsigned_tx, *signing_hash, *sig, *raw, *hash;
} txvs[] = {
	{ "kat1", 84532, 7ULL, "0xf4240",
	    "0x77359400", 120000,
	    "0x036cbd53842c5426634e7929541ec2318f3dcf7e",
	    "0x0",
	    KAT1_CALLDATA,
	    "0x02f9015083014a3407830f424084773594008301d4c094036cbd53842c5426"
	    "634e7929541ec2318f3dcf7e80b90124e3ee160e000000000000000000000000"
	    "f39fd6e51aad88f6f4ce6ab8827279cfffb92266000000000000000000000000"
	    "209693bc6afc0c5328ba36faf03c514ef312287c000000000000000000000000"
	    "0000000000000000000000000000000000002710000000000000000000000000"
	    "0000000000000000000000000000000067c08c59000000000000000000000000"
	    "0000000000000000000000000000000067c08c9af3746613c2d920b5fdabc085"
	    "6f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000000000000000000000"
	    "000000000000000000000000000000000000001bdc53a4a579de989368a0fae2"
	    "ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace"
	    "15c2377dff501a60e1e56c291f1000d6e78f082fc0",
	    "0x01534cce5462ee15b800ea2b2e90bea32c8deb09cd9846363d90b1a69eaa22"
	    "de",
	    "0xb4e4f3eff3a073545587537bbe85e496b8297972b98b1322517888b43dcac3"
	    "f43e0ef20171907b67efdaf35e3c8d8c1d7070e30217ebbb95f8fa942348aefa"
	    "2f1b",
	    "0x02f9019383014a3407830f424084773594008301d4c094036cbd53842c5426"
	    "634e7929541ec2318f3dcf7e80b90124e3ee160e000000000000000000000000"
	    "f39fd6e51aad88f6f4ce6ab8827279cfffb92266000000000000000000000000"
	    "209693bc6afc0c5328ba36faf03c514ef312287c000000000000000000000000"
	    "0000000000000000000000000000000000002710000000000000000000000000"
	    "0000000000000000000000000000000067c08c59000000000000000000000000"
	    "0000000000000000000000000000000067c08c9af3746613c2d920b5fdabc085"
	    "6f2aeb2d4f88ee6037b8cc5d04a71a4462f13480000000000000000000000000"
	    "000000000000000000000000000000000000001bdc53a4a579de989368a0fae2"
	    "ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace"
	    "15c2377dff501a60e1e56c291f1000d6e78f082fc080a0b4e4f3eff3a0735455"
	    "87537bbe85e496b8297972b98b1322517888b43dcac3f4a03e0ef20171907b67"
	    "efdaf35e3c8d8c1d7070e30217ebbb95f8fa942348aefa2f",
	    "0xfce9c56bc982c752555a4317e59526ef92727edd61e66d832033bae787c4d3"
	    "bc",
	},
	{ "zero", 84532, 0ULL, "0x0",
	    "0x1", 21000,
	    "0x209693bc6afc0c5328ba36faf03c514ef312287c",
	    "0x0",
	    "0x",
	    "0x02e283014a3480800182520894209693bc6afc0c5328ba36faf03c514ef312"
	    "287c8080c0",
	    "0xdd80616010f805fc69038739c36e63e552bbe23903885bbd7a891dc95ee86e"
	    "4d",
	    "0xc0ef8af13d4dcb26a54be977b10e8c589a1569263017964840bd902ae698e6"
	    "082f6ccb8169874cd849a4f79e36b4a4cb53240a5dfb21569b594eb00ecd520c"
	    "291c",
	    "0x02f86583014a3480800182520894209693bc6afc0c5328ba36faf03c514ef3"
	    "12287c8080c001a0c0ef8af13d4dcb26a54be977b10e8c589a15692630179648"
	    "40bd902ae698e608a02f6ccb8169874cd849a4f79e36b4a4cb53240a5dfb2156"
	    "9b594eb00ecd520c29",
	    "0x006e0f9765bf7bef1f217ac2a4c3bb7e477e4fc327ad826a1594e29a5b71fc"
	    "ee",
	},
	{ "large", 84532, 9007199254740991ULL,
	    "0xffffffffffffffffffffffffffffffff",
	    "0x80000000000000000000000000000000"
	    "00000000000000000000000000003039", 30000000,
	    "0x209693bc6afc0c5328ba36faf03c514ef312287c",
	    "0xffffffffffffffffffffffffffffffff"
	    "ffffffffffffffffffffffffffffffff",
	    "0xababababababababababababababababababababababababababababababab"
	    "ababababababababababababababababababababababababababababab",
	    "0x02f8b883014a34871fffffffffffff90ffffffffffffffffffffffffffffff"
	    "ffa0800000000000000000000000000000000000000000000000000000000000"
	    "30398401c9c38094209693bc6afc0c5328ba36faf03c514ef312287ca0ffffff"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb83cab"
	    "abababababababababababababababababababababababababababababababab"
	    "abababababababababababababababababababababababababababc0",
	    "0x76c188a3fcb6e9c1a452acc13bfe704e5b792836ce32cdb42349c9990cf4fc"
	    "8d",
	    "0xa833bc995166973dbbd5159089716588298772b0a6685cb9d5bd04d0318d85"
	    "7978f22fc13199029c4e670c44d000ec4dced98a1d2271b4adc84048a8041884"
	    "d51b",
	    "0x02f8fb83014a34871fffffffffffff90ffffffffffffffffffffffffffffff"
	    "ffa0800000000000000000000000000000000000000000000000000000000000"
	    "30398401c9c38094209693bc6afc0c5328ba36faf03c514ef312287ca0ffffff"
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb83cab"
	    "abababababababababababababababababababababababababababababababab"
	    "abababababababababababababababababababababababababababc080a0a833"
	    "bc995166973dbbd5159089716588298772b0a6685cb9d5bd04d0318d8579a078"
	    "f22fc13199029c4e670c44d000ec4dced98a1d2271b4adc84048a8041884d5",
	    "0xd81ad3ac94a859f3cfe1e0b8e7ca5d2b7d3ad9c73d8343f48b0bacfc4997df"
	    "50",
	},
	{ "bytes", 8453, 127ULL, "0x80",
	    "0xff", 256,
	    "0x036cbd53842c5426634e7929541ec2318f3dcf7e",
	    "0x80",
	    "0x00",
	    "0x02e48221057f818081ff82010094036cbd53842c5426634e7929541ec2318f"
	    "3dcf7e818000c0",
	    "0xa7458c7041bb9dfdcb5c9d27bd56ab6ca8f68f0aa8cd31616f3fde8f19364a"
	    "e8",
	    "0x020b606efbcdfee727f75ca200b253642e96f2f7f241f6050789209984e480"
	    "6c6fff73bfef44a199b23d42cb30a7f831d6604e2b69d5b21d9a2a420b67cf82"
	    "b21b",
	    "0x02f8678221057f818081ff82010094036cbd53842c5426634e7929541ec231"
	    "8f3dcf7e818000c080a0020b606efbcdfee727f75ca200b253642e96f2f7f241"
	    "f6050789209984e4806ca06fff73bfef44a199b23d42cb30a7f831d6604e2b69"
	    "d5b21d9a2a420b67cf82b2",
	    "0xc1a6c48dc31de8a6fc6038a9d5537b3f27acfd1b708585ec1d95295374ca22"
	    "1a",
	},
	{ "short_rs", 84532, 132ULL, "0x1",
	    "0x2", 21000,
	    "0x209693bc6afc0c5328ba36faf03c514ef312287c",
	    "0x1",
	    "0x",
	    "0x02e383014a348184010282520894209693bc6afc0c5328ba36faf03c514ef3"
	    "12287c0180c0",
	    "0x89632f96a46b5b9cebf50d1ce72094f3e99c874bb7e9dd0a6d69d4cd37307c"
	    "d9",
	    "0xb569fe5d18c1d7b6ebbdf239ef3d9b5f2b430297202e89549fad42fb5fa835"
	    "1d00b989ea5de07639f7c18937f13ed669432c967663e6139c29bb4af77c5899"
	    "7b1c",
	    "0x02f86583014a348184010282520894209693bc6afc0c5328ba36faf03c514e"
	    "f312287c0180c001a0b569fe5d18c1d7b6ebbdf239ef3d9b5f2b430297202e89"
	    "549fad42fb5fa8351d9fb989ea5de07639f7c18937f13ed669432c967663e613"
	    "9c29bb4af77c58997b",
	    "0x59545c5872b9047418218f40fd3110f76e3e5d488c954d1d7876cc95e83b4f"
	    "97",
	},
};

/* Fills *tx from v; data goes to the caller's buffer d. */
static void
tx_from_vector(struct x402_tx1559 *tx, uint8_t *d, size_t dcap,
    const struct txv *v)
{
	memset(tx, 0, sizeof(*tx));
	tx->chain_id = v->chain_id;
	tx->nonce = v->nonce;
	ck_assert_int_eq(x402_u256_parse_hex(&tx->max_priority_fee_per_gas,
	    v->prio, strlen(v->prio)), 0);
	ck_assert_int_eq(x402_u256_parse_hex(&tx->max_fee_per_gas,
	    v->maxfee, strlen(v->maxfee)), 0);
	tx->gas_limit = v->gas;
	parse_addr(tx->to, v->to);
	ck_assert_int_eq(x402_u256_parse_hex(&tx->value, v->value,
	    strlen(v->value)), 0);
	tx->data_len = tu_hex(d, dcap, v->data);
	tx->data = tx->data_len > 0 ? d : NULL;
}

START_TEST(tx_unsigned_and_signing_hash)
{
	const struct txv *v = &txvs[_i];
	struct x402_tx1559 tx;
	struct x402_buf b;
	uint8_t d[512], h[32];

	tx_from_vector(&tx, d, sizeof(d), v);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_tx_encode_unsigned(&b, &tx), 0);
	assert_buf_hex(&b, v->unsigned_tx);
	ck_assert_int_eq(x402_tx_signing_hash(h, &tx), 0);
	tu_assert_hex(h, 32, v->signing_hash);
	x402_buf_free(&b);
}
END_TEST

/* The signed encoding from viem's own signature: needs no signer. */
START_TEST(tx_encode_signed)
{
	const struct txv *v = &txvs[_i];
	struct x402_tx1559 tx;
	struct x402_buf b;
	uint8_t d[512], sig[X402_SIG_LEN], h[32];

	tx_from_vector(&tx, d, sizeof(d), v);
	tu_hex(sig, sizeof(sig), v->sig);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_tx_encode_signed(&b, &tx, sig), 0);
	assert_buf_hex(&b, v->raw);
	x402_keccak256(h, b.p, b.len);
	tu_assert_hex(h, 32, v->hash);

	/* v as a recovery id (0, 1) encodes the same. */
	x402_buf_reset(&b);
	sig[64] -= 27;
	ck_assert_int_eq(x402_tx_encode_signed(&b, &tx, sig), 0);
	assert_buf_hex(&b, v->raw);
	sig[64] = 26;
	ck_assert_int_eq(x402_tx_encode_signed(&b, &tx, sig), X402_ERR_SIG);
	assert_buf_hex(&b, v->raw);
	x402_buf_free(&b);
}
END_TEST

START_TEST(tx_refusals)
{
	struct x402_tx1559 tx;
	struct x402_buf b;
	uint8_t d[512], h[32], sig[X402_SIG_LEN];
	static uint8_t big[X402_TX_DATA_MAX + 1];

	tx_from_vector(&tx, d, sizeof(d), &txvs[0]);
	tu_hex(sig, sizeof(sig), txvs[0].sig);
	x402_buf_init(&b, 4096);

	tx.data = NULL;
	ck_assert_int_eq(x402_tx_encode_unsigned(&b, &tx), X402_ERR_INVAL);
	ck_assert_int_eq(x402_tx_signing_hash(h, &tx), X402_ERR_INVAL);
	tx.data = big;
	tx.data_len = sizeof(big);
	ck_assert_int_eq(x402_tx_encode_unsigned(&b, &tx), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_tx_signing_hash(h, &tx), X402_ERR_LIMIT);
	/* The largest data allowed still hashes. */
	tx.data_len = X402_TX_DATA_MAX;
	ck_assert_int_eq(x402_tx_signing_hash(h, &tx), 0);
	ck_assert_uint_eq(b.len, 0);
	x402_buf_free(&b);

	/* A full buffer: nothing of the transaction is left behind. */
	tx_from_vector(&tx, d, sizeof(d), &txvs[0]);
	x402_buf_init(&b, 300);
	ck_assert_int_eq(x402_buf_add(&b, "ab", 2), 0);
	ck_assert_int_eq(x402_tx_encode_unsigned(&b, &tx), X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_int_eq(x402_tx_encode_signed(&b, &tx, sig), X402_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_str_eq(b.p, "ab");
	x402_buf_free(&b);
}
END_TEST

/*
 * x402_tx_sign end to end with the sig module: the signature must be
 * viem's (RFC 6979 is deterministic), so raw tx and hash match exactly.
 */
START_TEST(tx_sign_known_answers)
{
	const struct txv *v = &txvs[_i];
	struct x402_sig_ctx *ctx = NULL;
	struct x402_tx1559 tx;
	struct x402_buf b;
	uint8_t d[512], key[X402_SECKEY_LEN], h[32];

	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
	tu_hex(key, sizeof(key), ANVIL0_KEY);
	tx_from_vector(&tx, d, sizeof(d), v);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_buf_add(&b, "x", 1), 0);	/* appends */
	ck_assert_int_eq(x402_tx_sign(ctx, &b, h, &tx, key), 0);
	ck_assert_int_eq(b.p[0], 'x');
	assert_mem_hex(b.p + 1, b.len - 1, v->raw);
	tu_assert_hex(h, 32, v->hash);

	/* An invalid key (zero) is refused and writes nothing. */
	b.len = 1;
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(x402_tx_sign(ctx, &b, h, &tx, key), X402_ERR_CRYPTO);
	ck_assert_uint_eq(b.len, 1);
	x402_buf_free(&b);
	x402_sig_ctx_free(ctx);
}
END_TEST

static Suite *
tx_suite(void)
{
	Suite *s = suite_create("tx");
	TCase *tc = tcase_create("abi");
	TCase *tr = tcase_create("rlp");
	TCase *tt = tcase_create("tx");
	TCase *tsig = tcase_create("tx_sign");

	tcase_add_test(tc, selectors_and_topics_are_keccak);
	tcase_add_test(tc, transfer_with_authorization_kat1);
	tcase_add_test(tc, transfer_with_authorization_bytes);
	tcase_add_test(tc, view_calls);
	tcase_add_test(tc, upto_settle_calldata);
	tcase_add_test(tc, decode_uint256_and_bool);
	tcase_add_test(tc, decode_string);
	tcase_add_test(tc, log_matching);
	suite_add_tcase(s, tc);
	tcase_add_test(tr, rlp_wiki_examples);
	tcase_add_test(tr, rlp_edges);
	suite_add_tcase(s, tr);
	tcase_add_loop_test(tt, tx_unsigned_and_signing_hash, 0, N(txvs));
	tcase_add_loop_test(tt, tx_encode_signed, 0, N(txvs));
	tcase_add_test(tt, tx_refusals);
	suite_add_tcase(s, tt);
	/* Needs the sig module (src/lib/sig.c). */
	tcase_add_loop_test(tsig, tx_sign_known_answers, 0, N(txvs));
	suite_add_tcase(s, tsig);
	return s;
}

TU_MAIN(tx_suite)
