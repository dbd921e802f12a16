/* check_keccak.c - Keccak-256 known answers (Ethereum's, not SHA3-256). */
#include <check.h>
#include <string.h>

#include "keccak.h"
#include "testutil.h"

static const struct {
	const char *msg, *hash;
} kat[] = {
	{ "", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" },
	{ "abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" },
	{ "hello", "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8" },
	{ "The quick brown fox jumps over the lazy dog",
	  "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15" },
	/* Typehashes from notes §10.2. */
	{ "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
	  "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f" },
	{ "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)",
	  "0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267" },
	/* 180 bytes: more than one 136-byte block. */
	{ "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,uint256 validAfter)",
	  "0xebc156cd23678a74c94df13d772ef5478420637f0c94bd10d509e1dc98f521c7" },
	{ "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,address facilitator,uint256 validAfter)",
	  "0x51dff6974ad4388c499e7fcfe838d2bd767162553a144098ce20ea661d70c2ee" },
};

START_TEST(known_answers)
{
	uint8_t h[32];

	x402_keccak256(h, kat[_i].msg, strlen(kat[_i].msg));
	tu_assert_hex(h, 32, kat[_i].hash);
}
END_TEST

/* Splitting the input at every point gives the same hash as one shot. */
START_TEST(incremental_equals_one_shot)
{
	uint8_t msg[300], one[32], inc[32];
	struct x402_keccak k;
	size_t len, cut;

	for (len = 0; len < sizeof(msg); len++)
		msg[len] = (uint8_t)(len * 7 + 3);
	for (len = 130; len <= 280; len += 50) {
		x402_keccak256(one, msg, len);
		for (cut = 0; cut <= len; cut++) {
			x402_keccak_init(&k);
			x402_keccak_update(&k, msg, cut);
			x402_keccak_update(&k, NULL, 0);
			x402_keccak_update(&k, msg + cut, len - cut);
			x402_keccak_final(&k, inc);
			ck_assert_mem_eq(one, inc, 32);
		}
	}
}
END_TEST

static Suite *
keccak_suite(void)
{
	Suite *s = suite_create("keccak");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, known_answers, 0, sizeof(kat) / sizeof(kat[0]));
	tcase_add_test(tc, incremental_equals_one_shot);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(keccak_suite)
