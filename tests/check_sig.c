/*
 * check_sig.c - signing and recovery against the known answers of the
 * protocol notes (§10.1, §10.2), the refusal table of x402_sig_recover,
 * and key files.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "eip712.h"
#include "sig.h"
#include "testutil.h"

#define ANVIL0_KEY \
	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define ANVIL1_KEY \
	"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define ANVIL0 "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define ANVIL1 "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define CURVE_N \
	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

#define SPEC_DIGEST \
	"0xf256992871671abcb27ff92885a7afa46218724e5fc0bac35d050115aa1d22e6"
#define SPEC_SIG \
	"0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a128325976417" \
	"3608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b571c"

static struct x402_sig_ctx *ctx;

static void
setup(void)
{
	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
	ck_assert_ptr_nonnull(ctx);
}

static void
teardown(void)
{
	x402_sig_ctx_free(ctx);
	ctx = NULL;
}

static void
assert_addr(const uint8_t a[X402_ADDR_LEN], const char *want)
{
	char s[X402_ADDR_STRLEN + 1];

	x402_addr_format(s, a);
	ck_assert_str_eq(s, want);
}

/* §10.2: anvil #0 signs each digest; RFC 6979 fixes the signature. */
static const struct {
	const char *what, *digest, *sig;
} kats[] = {
	{ "KAT-1 EIP-3009 Base Sepolia (v=27)",
	  "0x50708d3bf7216e1aeabe7bf22081b9f36c7c287530f92510318f13a03d89dc86",
	  "0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3"
	  "157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b" },
	{ "KAT-2 EIP-3009 Base mainnet (v=28)",
	  "0x7e9613714edd92ad20fa5b252ec168245031911a3438dd20225f083b6a688f8a",
	  "0xa70a7d235fd4218a3ed6625525892efed6fd1ac6a193ba612bb9da921620bce7"
	  "4885a8f7f56d2dc2f46005b7d6a089ae3469455a911004b6c4a6ab600677f56c1c" },
	{ "KAT-3 Permit2 exact",
	  "0x21528e1468aac114016416353e2309329f217dc180b21baa1d81cde941095685",
	  "0x3b029ad182a14cdb81c9eb44f935279e124e88afdc4043ed1183345aba6781b9"
	  "5cd297107e2808d8ea2722260e88856b5a13a6db23e38a30e2604dca9e1ce1da1b" },
	{ "KAT-4 Permit2 upto",
	  "0x22340f12e045f90a2bdf0bb39dd61d8c4674579544873480e8af265f383d4837",
	  "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e"
	  "120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1b" },
	{ "KAT-5 ERC-2612 Permit",
	  "0xe2db779272323e5c8ed39d50df110b6a6ac461006ce1bb2a640171ef93646ad5",
	  "0x8de4440e2d9b902b3107520d1a155659233f6f6721f192de9d5cee4eeeccbe4e"
	  "4c5391237ecf6aac1a3823871915b7516743b8c2fe54fabffbb87e9c394ca9981b" },
};

START_TEST(sign_and_recover_kats)
{
	uint8_t key[32], dg[32], sig[X402_SIG_LEN], addr[X402_ADDR_LEN];

	tu_hex(key, sizeof(key), ANVIL0_KEY);
	tu_hex(dg, sizeof(dg), kats[_i].digest);
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), 0);
	tu_assert_hex(sig, X402_SIG_LEN, kats[_i].sig);
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), 0);
	assert_addr(addr, ANVIL0);
	/* The same with v written as 0/1. */
	sig[64] -= 27;
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), 0);
	assert_addr(addr, ANVIL0);
	x402_wipe(key, sizeof(key));
}
END_TEST

START_TEST(kats_cover_both_v)
{
	uint8_t s1[X402_SIG_LEN], s2[X402_SIG_LEN];

	tu_hex(s1, sizeof(s1), kats[0].sig);
	tu_hex(s2, sizeof(s2), kats[1].sig);
	ck_assert_uint_eq(s1[64], 27);
	ck_assert_uint_eq(s2[64], 28);
}
END_TEST

START_TEST(spec_example_recovers)
{
	struct x402_eip712_domain dom;
	uint8_t dg[32], ds[32], sh[32], sig[X402_SIG_LEN];
	uint8_t addr[X402_ADDR_LEN];
	struct x402_eip3009_auth a;
	const char *nonce = "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc"
	    "5d04a71a4462f13480";

	tu_hex(dg, sizeof(dg), SPEC_DIGEST);
	tu_hex(sig, sizeof(sig), SPEC_SIG);
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), 0);
	assert_addr(addr, "0x857b06519E91e3A54538791bDbb0E22373e36b66");

	/* The same message under the name "USD Coin": another signer. */
	memset(&dom, 0, sizeof(dom));
	strcpy(dom.name, "USD Coin");
	strcpy(dom.version, "2");
	dom.has_version = 1;
	dom.chain_id = 84532;
	ck_assert_int_eq(x402_addr_parse(dom.verifying_contract,
	    "0x036CbD53842c5426634e7929541eC2318f3dCF7e", 42), 0);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(x402_addr_parse(a.from,
	    "0x857b06519E91e3A54538791bDbb0E22373e36b66", 42), 0);
	ck_assert_int_eq(x402_addr_parse(a.to,
	    "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", 42), 0);
	x402_u256_set_u64(&a.value, 10000);
	x402_u256_set_u64(&a.valid_after, 1740672089);
	x402_u256_set_u64(&a.valid_before, 1740672154);
	tu_hex(a.nonce, sizeof(a.nonce), nonce);
	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_eip3009_hash(sh, &a);
	x402_eip712_digest(dg, ds, sh);
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), 0);
	assert_addr(addr, "0xED07B31Fa76779c7A25BA712fB1bFBECefa2ad7e");
}
END_TEST

/* r = n - r style arithmetic: out = n - in, big-endian 32 bytes. */
static void
n_minus(uint8_t out[32], const uint8_t in[32])
{
	uint8_t n[32];
	int i, borrow = 0;

	tu_hex(n, sizeof(n), CURVE_N);
	for (i = 31; i >= 0; i--) {
		int d = n[i] - in[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	ck_assert_int_eq(borrow, 0);
}

enum mangle { M_V, M_R_ZERO, M_S_ZERO, M_R_N, M_S_N, M_HIGH_S, M_S_MAX };

static const struct {
	const char *what;
	enum mangle how;
	uint8_t v;
} refusals[] = {
	{ "v=26", M_V, 26 }, { "v=29", M_V, 29 }, { "v=2", M_V, 2 },
	{ "v=255", M_V, 255 }, { "v=3", M_V, 3 }, { "v=30", M_V, 30 },
	{ "r=0", M_R_ZERO, 0 }, { "s=0", M_S_ZERO, 0 },
	{ "r=n", M_R_N, 0 }, { "s=n", M_S_N, 0 },
	{ "s=2^256-1", M_S_MAX, 0 },
	{ "high s (n - s, v flipped)", M_HIGH_S, 0 },
};

START_TEST(recover_refusals)
{
	uint8_t dg[32], sig[X402_SIG_LEN], addr[X402_ADDR_LEN];

	tu_hex(dg, sizeof(dg), kats[0].digest);
	tu_hex(sig, sizeof(sig), kats[0].sig);
	/* Valid before mangling. */
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), 0);
	switch (refusals[_i].how) {
	case M_V:
		sig[64] = refusals[_i].v;
		break;
	case M_R_ZERO:
		memset(sig, 0, 32);
		break;
	case M_S_ZERO:
		memset(sig + 32, 0, 32);
		break;
	case M_R_N:
		tu_hex(sig, 32, CURVE_N);
		break;
	case M_S_N:
		tu_hex(sig + 32, 32, CURVE_N);
		break;
	case M_S_MAX:
		memset(sig + 32, 0xff, 32);
		break;
	case M_HIGH_S:
		n_minus(sig + 32, sig + 32);
		sig[64] = sig[64] == 27 ? 28 : 27;
		break;
	}
	ck_assert_msg(x402_sig_recover(ctx, addr, dg, sig) == X402_ERR_SIG,
	    "%s accepted", refusals[_i].what);
}
END_TEST

/*
 * recid 2 and 3 (x = r + n) are real for tiny r: find an r where raw
 * libsecp256k1 recovers with recid 2, so refusing v = 2 and v = 29 is a
 * decision of x402_sig_recover and not an accident of the curve.
 */
START_TEST(recid_2_and_3_refused)
{
	secp256k1_context *raw;
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;
	uint8_t dg[32], sig[X402_SIG_LEN], addr[X402_ADDR_LEN];
	int found = 0, i;

	raw = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	ck_assert_ptr_nonnull(raw);
	memset(dg, 0x42, sizeof(dg));
	memset(sig, 0, sizeof(sig));
	sig[63] = 1;			/* s = 1 */
	for (i = 1; i < 64 && !found; i++) {
		sig[31] = (uint8_t)i;	/* r = i */
		if (secp256k1_ecdsa_recoverable_signature_parse_compact(raw,
		    &rs, sig, 2) && secp256k1_ecdsa_recover(raw, &pk, &rs, dg))
			found = 1;
	}
	secp256k1_context_destroy(raw);
	ck_assert_msg(found, "no small r with a recid-2 point");
	sig[64] = 2;
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), X402_ERR_SIG);
	sig[64] = 29;
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), X402_ERR_SIG);
	sig[64] = 3;
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), X402_ERR_SIG);
	sig[64] = 30;
	ck_assert_int_eq(x402_sig_recover(ctx, addr, dg, sig), X402_ERR_SIG);
}
END_TEST

START_TEST(flipped_digest_bit)
{
	uint8_t dg[32], sig[X402_SIG_LEN], addr[X402_ADDR_LEN];
	int i, r;

	tu_hex(sig, sizeof(sig), kats[0].sig);
	for (i = 0; i < 256; i += 37) {
		tu_hex(dg, sizeof(dg), kats[0].digest);
		dg[i / 8] ^= (uint8_t)(1u << (i % 8));
		r = x402_sig_recover(ctx, addr, dg, sig);
		ck_assert(r == 0 || r == X402_ERR_SIG);
		if (r == 0) {
			char s[X402_ADDR_STRLEN + 1];

			x402_addr_format(s, addr);
			ck_assert_str_ne(s, ANVIL0);
		}
	}
}
END_TEST

START_TEST(key_addresses)
{
	uint8_t key[32], addr[X402_ADDR_LEN];

	tu_hex(key, sizeof(key), ANVIL0_KEY);
	ck_assert_int_eq(x402_sig_key_address(ctx, addr, key), 0);
	assert_addr(addr, ANVIL0);
	tu_hex(key, sizeof(key), ANVIL1_KEY);
	ck_assert_int_eq(x402_sig_key_address(ctx, addr, key), 0);
	assert_addr(addr, ANVIL1);
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(x402_sig_key_address(ctx, addr, key),
	    X402_ERR_CRYPTO);
	tu_hex(key, sizeof(key), CURVE_N);
	ck_assert_int_eq(x402_sig_key_address(ctx, addr, key),
	    X402_ERR_CRYPTO);
}
END_TEST

START_TEST(sign_refuses_bad_keys)
{
	uint8_t key[32], dg[32], sig[X402_SIG_LEN];

	memset(dg, 0x11, sizeof(dg));
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), X402_ERR_CRYPTO);
	tu_hex(key, sizeof(key), CURVE_N);
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), X402_ERR_CRYPTO);
}
END_TEST

START_TEST(generate_round_trip)
{
	uint8_t k1[32], k2[32], a1[X402_ADDR_LEN], a2[X402_ADDR_LEN];
	uint8_t dg[32], sig[X402_SIG_LEN];

	ck_assert_int_eq(x402_sig_key_generate(ctx, k1), 0);
	ck_assert_int_eq(x402_sig_key_generate(ctx, k2), 0);
	ck_assert_mem_ne(k1, k2, 32);
	ck_assert_int_eq(x402_sig_key_address(ctx, a1, k1), 0);
	memset(dg, 0xa5, sizeof(dg));
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, k1), 0);
	ck_assert(sig[64] == 27 || sig[64] == 28);
	ck_assert_int_eq(x402_sig_recover(ctx, a2, dg, sig), 0);
	ck_assert_mem_eq(a1, a2, X402_ADDR_LEN);
	x402_wipe(k1, sizeof(k1));
	x402_wipe(k2, sizeof(k2));
}
END_TEST

/* Key files ------------------------------------------------------------ */

static char dir[64];

static void
dir_setup(void)
{
	setup();
	strcpy(dir, "/tmp/check_sig.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	DIR *dh;
	struct dirent *e;
	char p[sizeof(dir) + 256 + 2];

	/* The directory holds files and at most empty directories. */
	ck_assert_ptr_nonnull(dh = opendir(dir));
	while ((e = readdir(dh)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			ck_assert_int_eq(rmdir(p), 0);
	}
	closedir(dh);
	ck_assert_int_eq(rmdir(dir), 0);
	teardown();
}

/* Writes content to dir/name with the given mode; returns the path. */
static const char *
put(const char *name, const char *content, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

static const struct {
	const char *what, *content;
	mode_t mode;
	int want;
} keyfiles[] = {
	{ "bare, 0600", ANVIL0_KEY + 2, 0600, 0 },
	{ "0x + newline, 0600", ANVIL0_KEY "\n", 0600, 0 },
	{ "spaces around, 0400", "  \t" ANVIL0_KEY "\r\n\n", 0400, 0 },
	{ "uppercase 0X", "0XAC0974BEC39A17E36BA4A6B4D238FF944BACB478CBED5EFCA"
	  "E784D7BF4F2FF80", 0600, 0 },
	{ "0640", ANVIL0_KEY, 0640, X402_ERR_PERM },
	{ "0604", ANVIL0_KEY, 0604, X402_ERR_PERM },
	{ "0644", ANVIL0_KEY, 0644, X402_ERR_PERM },
	{ "0610", ANVIL0_KEY, 0610, X402_ERR_PERM },
	{ "0601", ANVIL0_KEY, 0601, X402_ERR_PERM },
	{ "bad digit", "0xzc0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784"
	  "d7bf4f2ff80", 0600, X402_ERR_SYNTAX },
	{ "63 digits", "0xc0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784"
	  "d7bf4f2ff80", 0600, X402_ERR_SYNTAX },
	{ "65 digits", ANVIL0_KEY "0", 0600, X402_ERR_SYNTAX },
	{ "space inside", "0xac0974bec39a17e36ba4a6b4d238ff94 4bacb478cbed5efca"
	  "e784d7bf4f2ff80", 0600, X402_ERR_SYNTAX },
	{ "0x only", "0x\n", 0600, X402_ERR_SYNTAX },
	{ "empty", "", 0600, X402_ERR_SYNTAX },
	{ "two keys", ANVIL0_KEY "\n" ANVIL1_KEY "\n", 0600, X402_ERR_SYNTAX },
	{ "zero key", "0x0000000000000000000000000000000000000000000000000000"
	  "000000000000", 0600, X402_ERR_CRYPTO },
	{ "key = n", CURVE_N, 0600, X402_ERR_CRYPTO },
	{ "key = 2^256-1", "fffffffffffffffffffffffffffffffffffffffffffffffff"
	  "fffffffffffffff", 0600, X402_ERR_CRYPTO },
};

START_TEST(key_file_table)
{
	uint8_t key[32], want[32];
	struct x402_detail d;
	const char *path;
	int r;

	path = put("key", keyfiles[_i].content, keyfiles[_i].mode);
	memset(key, 0xee, sizeof(key));
	x402_detail_clear(&d);
	r = x402_sig_key_load(ctx, key, &d, path);
	ck_assert_msg(r == keyfiles[_i].want, "%s: got %d (%s) want %d",
	    keyfiles[_i].what, r, d.msg, keyfiles[_i].want);
	if (r == 0) {
		tu_hex(want, sizeof(want), ANVIL0_KEY);
		ck_assert_mem_eq(key, want, 32);
	} else {
		memset(want, 0, sizeof(want));
		ck_assert_mem_eq(key, want, 32);
		ck_assert_ptr_nonnull(strstr(d.msg, path));
		/* The detail never carries the key text. */
		ck_assert_ptr_null(strstr(d.msg, "ac0974"));
	}
	if (r == X402_ERR_PERM) {
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o",
		    (unsigned)keyfiles[_i].mode);
		ck_assert_ptr_nonnull(strstr(d.msg, mode));
	}
}
END_TEST

START_TEST(key_file_not_regular)
{
	uint8_t key[32];
	struct x402_detail d;
	char p[128], target[128];

	/* A symbolic link to a good key file. */
	snprintf(target, sizeof(target), "%s", put("good", ANVIL0_KEY, 0600));
	ck_assert_int_eq(x402_sig_key_load(ctx, key, NULL, target), 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	ck_assert_int_eq(symlink(target, p), 0);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, &d, p), X402_ERR_PERM);
	ck_assert_ptr_nonnull(strstr(d.msg, p));

	/* A directory, even one with a safe mode. */
	snprintf(p, sizeof(p), "%s/sub", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, &d, p), X402_ERR_PERM);

	/* A FIFO must neither hang nor be read. */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, &d, p), X402_ERR_PERM);

	/* Missing. */
	snprintf(p, sizeof(p), "%s/none", dir);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, &d, p), X402_ERR_IO);
	ck_assert_ptr_nonnull(strstr(d.msg, p));
}
END_TEST

START_TEST(key_file_cap)
{
	char big[400];
	uint8_t key[32];
	const char *p;

	/* 256 bytes: the key plus whitespace padding is still accepted. */
	memset(big, ' ', sizeof(big));
	memcpy(big, ANVIL0_KEY, strlen(ANVIL0_KEY));
	big[256] = '\0';
	p = put("pad256", big, 0600);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, NULL, p), 0);
	big[256] = ' ';
	big[257] = '\0';
	p = put("pad257", big, 0600);
	ck_assert_int_eq(x402_sig_key_load(ctx, key, NULL, p), X402_ERR_LIMIT);
}
END_TEST

START_TEST(ctx_free_null)
{
	x402_sig_ctx_free(NULL);
	ck_assert_int_eq(x402_sig_ctx_new(NULL), X402_ERR_INVAL);
}
END_TEST

#define N(a) (sizeof(a) / sizeof((a)[0]))

static Suite *
s_(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("core");
	TCase *tf = tcase_create("keyfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, sign_and_recover_kats, 0, N(kats));
	tcase_add_test(tc, kats_cover_both_v);
	tcase_add_test(tc, spec_example_recovers);
	tcase_add_loop_test(tc, recover_refusals, 0, N(refusals));
	tcase_add_test(tc, recid_2_and_3_refused);
	tcase_add_test(tc, flipped_digest_bit);
	tcase_add_test(tc, key_addresses);
	tcase_add_test(tc, sign_refuses_bad_keys);
	tcase_add_test(tc, generate_round_trip);
	tcase_add_test(tc, ctx_free_null);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, dir_setup, dir_teardown);
	tcase_add_loop_test(tf, key_file_table, 0, N(keyfiles));
	tcase_add_test(tf, key_file_not_regular);
	tcase_add_test(tf, key_file_cap);
	suite_add_tcase(s, tf);
	return s;
}

TU_MAIN(s_)
