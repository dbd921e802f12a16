/*
 * check_eip712.c - EIP-712 hashes against the known answers of the
 * protocol notes (§10.1 spec example, §10.2 KAT-1..KAT-5, §10.3 v2 client
 * payload) and the typehash table, recomputed from the type strings.
 */
#include <check.h>
#include <string.h>

#include "eip712.h"
#include "keccak.h"
#include "testutil.h"

#define ANVIL0 "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define ANVIL1 "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define SPEC_FROM "0x857b06519E91e3A54538791bDbb0E22373e36b66"
#define PAYTO "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
#define NONCE "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"
#define USDC_BASE_SEPOLIA "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
#define USDC_BASE "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
#define PERMIT2 "0x000000000022D473030F116dDEE9F6B43aC78BA3"
#define EXACT_PROXY "0x402085c248EeA27D92E8b30b2C58ed07f9E20001"
#define UPTO_PROXY "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
#define P2_NONCE "332470071780363485906001980312899256682520618219580058400" \
	"77069883511451257277"

static void
addr(uint8_t out[X402_ADDR_LEN], const char *s)
{
	ck_assert_msg(x402_addr_parse(out, s, strlen(s)) == 0,
	    "bad fixture address %s", s);
}

static x402_u256
dec(const char *s)
{
	x402_u256 v;

	ck_assert_msg(x402_u256_parse_dec(&v, s, strlen(s)) == 0,
	    "bad fixture number %s", s);
	return v;
}

static struct x402_eip712_domain
domain(const char *name, const char *version, uint64_t chain,
    const char *contract)
{
	struct x402_eip712_domain d;

	memset(&d, 0, sizeof(d));
	ck_assert_uint_lt(strlen(name), sizeof(d.name));
	strcpy(d.name, name);
	if (version != NULL) {
		ck_assert_uint_lt(strlen(version), sizeof(d.version));
		strcpy(d.version, version);
		d.has_version = 1;
	}
	d.chain_id = chain;
	addr(d.verifying_contract, contract);
	return d;
}

/* §10.2 typehash table: type string, expected hash, library constant. */
static const struct {
	enum x402_eip712_type t;
	const char *type;
	const char *hash;
} typehashes[] = {
	{ X402_EIP712_T_DOMAIN,
	  "EIP712Domain(string name,string version,uint256 chainId,"
	  "address verifyingContract)",
	  "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f" },
	{ X402_EIP712_T_DOMAIN_NOVERSION,
	  "EIP712Domain(string name,uint256 chainId,address verifyingContract)",
	  "0x8cad95687ba82c2ce50e74f7b754645e5117c3a5bec8151c0726d5857980a866" },
	{ X402_EIP712_T_EIP3009,
	  "TransferWithAuthorization(address from,address to,uint256 value,"
	  "uint256 validAfter,uint256 validBefore,bytes32 nonce)",
	  "0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267" },
	{ X402_EIP712_T_PERMIT,
	  "Permit(address owner,address spender,uint256 value,uint256 nonce,"
	  "uint256 deadline)",
	  "0x6e71edae12b1b97f4d1f60370fef10105fa2faae0126114a169c64845d6126c9" },
	{ X402_EIP712_T_TOKEN_PERMISSIONS,
	  "TokenPermissions(address token,uint256 amount)",
	  "0x618358ac3db8dc274f0cd8829da7e234bd48cd73c4a740aede1adec9846d06a1" },
	{ X402_EIP712_T_WITNESS_EXACT,
	  "Witness(address to,uint256 validAfter)",
	  "0xd97b3239a7f32295517bd14cb074edfdd188dfe5eb42f802bb26d4fd1eb12c37" },
	{ X402_EIP712_T_WITNESS_UPTO,
	  "Witness(address to,address facilitator,uint256 validAfter)",
	  "0xd4171c445a74218b01d4fd8af34ff1106580ea1e36ff837e64484bfaa2253b75" },
	{ X402_EIP712_T_PERMIT2_EXACT,
	  "PermitWitnessTransferFrom(TokenPermissions permitted,"
	  "address spender,uint256 nonce,uint256 deadline,Witness witness)"
	  "TokenPermissions(address token,uint256 amount)"
	  "Witness(address to,uint256 validAfter)",
	  "0xebc156cd23678a74c94df13d772ef5478420637f0c94bd10d509e1dc98f521c7" },
	{ X402_EIP712_T_PERMIT2_UPTO,
	  "PermitWitnessTransferFrom(TokenPermissions permitted,"
	  "address spender,uint256 nonce,uint256 deadline,Witness witness)"
	  "TokenPermissions(address token,uint256 amount)"
	  "Witness(address to,address facilitator,uint256 validAfter)",
	  "0x51dff6974ad4388c499e7fcfe838d2bd767162553a144098ce20ea661d70c2ee" },
};

START_TEST(typehashes_match_type_strings)
{
	size_t i;

	ck_assert_uint_eq(sizeof(typehashes) / sizeof(typehashes[0]),
	    X402_EIP712_T_COUNT);
	for (i = 0; i < sizeof(typehashes) / sizeof(typehashes[0]); i++) {
		uint8_t h[32];
		const uint8_t *lib = x402_eip712_typehash(typehashes[i].t);
		const char *ts = typehashes[i].type;

		x402_keccak256(h, ts, strlen(ts));
		tu_assert_hex(h, 32, typehashes[i].hash);
		ck_assert_ptr_nonnull(lib);
		tu_assert_hex(lib, 32, typehashes[i].hash);
	}
	ck_assert_ptr_null(x402_eip712_typehash(X402_EIP712_T_COUNT));
	ck_assert_ptr_null(x402_eip712_typehash((enum x402_eip712_type)-1));
}
END_TEST

/* EIP-3009 cases; NULL = no published answer for that stage. */
static const struct {
	const char *what;
	const char *name;	/* version "2", EIP-3009 domains */
	uint64_t chain;
	const char *contract;
	const char *from;
	const char *valid_after, *valid_before;
	const char *domsep, *structhash, *digest;
} eip3009[] = {
	{ "10.1 spec example", "USDC", 84532, USDC_BASE_SEPOLIA, SPEC_FROM,
	  "1740672089", "1740672154",
	  "0x71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818",
	  "0x49ad644555c7bdf3ea4fc022a4940ae5589b230b1dde0065c5504fa19bbe39a4",
	  "0xf256992871671abcb27ff92885a7afa46218724e5fc0bac35d050115aa1d22e6" },
	{ "KAT-1 Base Sepolia", "USDC", 84532, USDC_BASE_SEPOLIA, ANVIL0,
	  "1740672089", "1740672154",
	  "0x71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818",
	  "0xb2438b1b8298f6129feb7c6a96cb5bee12d7e8ba27c7c27cde803071ebdc42e8",
	  "0x50708d3bf7216e1aeabe7bf22081b9f36c7c287530f92510318f13a03d89dc86" },
	{ "KAT-2 Base mainnet", "USD Coin", 8453, USDC_BASE, ANVIL0,
	  "1740672089", "1740672154",
	  "0x02fa7265e7c5d81118673727957699e4d68f74cd74b7db77da710fe8a2c7834f",
	  "0xb2438b1b8298f6129feb7c6a96cb5bee12d7e8ba27c7c27cde803071ebdc42e8",
	  "0x7e9613714edd92ad20fa5b252ec168245031911a3438dd20225f083b6a688f8a" },
	{ "10.3 v2 client payload", "USDC", 84532, USDC_BASE_SEPOLIA, ANVIL0,
	  "0", "1740672394",
	  "0x71f17a3b2ff373b803d70a5a07c046c1a2bc8e89c09ef722fcb047abe94c9818",
	  NULL,
	  "0x809748fa571b84ad57f71f813a797b7990b1f6c0d827078706acf7e85e5685a2" },
};

START_TEST(eip3009_known_answers)
{
	uint8_t ds[32], sh[32], dg[32];
	struct x402_eip712_domain dom;
	struct x402_eip3009_auth a;

	dom = domain(eip3009[_i].name, "2", eip3009[_i].chain,
	    eip3009[_i].contract);
	memset(&a, 0, sizeof(a));
	addr(a.from, eip3009[_i].from);
	addr(a.to, PAYTO);
	a.value = dec("10000");
	a.valid_after = dec(eip3009[_i].valid_after);
	a.valid_before = dec(eip3009[_i].valid_before);
	tu_hex(a.nonce, sizeof(a.nonce), NONCE);

	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_eip3009_hash(sh, &a);
	x402_eip712_digest(dg, ds, sh);
	tu_assert_hex(ds, 32, eip3009[_i].domsep);
	if (eip3009[_i].structhash != NULL)
		tu_assert_hex(sh, 32, eip3009[_i].structhash);
	tu_assert_hex(dg, 32, eip3009[_i].digest);
}
END_TEST

/* Base mainnet "USD Coin" and Base Sepolia "USDC" must never collide. */
START_TEST(domains_differ)
{
	struct x402_eip712_domain sep, main_, renamed;
	uint8_t d1[32], d2[32], d3[32], sh[32], g1[32], g2[32];

	sep = domain("USDC", "2", 84532, USDC_BASE_SEPOLIA);
	main_ = domain("USD Coin", "2", 8453, USDC_BASE);
	/* Only the name changed: still a different domain. */
	renamed = domain("USD Coin", "2", 84532, USDC_BASE_SEPOLIA);
	x402_eip712_domain_separator(d1, &sep);
	x402_eip712_domain_separator(d2, &main_);
	x402_eip712_domain_separator(d3, &renamed);
	ck_assert_mem_ne(d1, d2, 32);
	ck_assert_mem_ne(d1, d3, 32);
	memset(sh, 0x5a, sizeof(sh));
	x402_eip712_digest(g1, d1, sh);
	x402_eip712_digest(g2, d2, sh);
	ck_assert_mem_ne(g1, g2, 32);
}
END_TEST

/* Bytes after the NUL of name and version are not part of the domain. */
START_TEST(domain_reads_to_nul)
{
	struct x402_eip712_domain a, b;
	uint8_t da[32], db[32];

	a = domain("USDC", "2", 84532, USDC_BASE_SEPOLIA);
	b = a;
	memset(b.name + 5, 'X', sizeof(b.name) - 5);
	memset(b.version + 2, 'Y', sizeof(b.version) - 2);
	x402_eip712_domain_separator(da, &a);
	x402_eip712_domain_separator(db, &b);
	ck_assert_mem_eq(da, db, 32);
	/* has_version = 0 ignores version altogether. */
	a.has_version = 0;
	b = a;
	strcpy(b.version, "99");
	x402_eip712_domain_separator(da, &a);
	x402_eip712_domain_separator(db, &b);
	ck_assert_mem_eq(da, db, 32);
}
END_TEST

START_TEST(permit2_known_answers)
{
	struct x402_eip712_domain dom;
	struct x402_permit2 p;
	uint8_t ds[32], sh[32], dg[32];

	/* KAT-3: exact witness. */
	dom = domain("Permit2", NULL, 84532, PERMIT2);
	x402_eip712_domain_separator(ds, &dom);
	tu_assert_hex(ds, 32,
	    "0x010f27a92fb9a32622f44f001dc4d15706a85b33499cfc2ce9033113ab26592c");
	memset(&p, 0, sizeof(p));
	addr(p.token, USDC_BASE_SEPOLIA);
	p.amount = dec("10000");
	addr(p.spender, EXACT_PROXY);
	p.nonce = dec(P2_NONCE);
	p.deadline = dec("1740672154");
	addr(p.witness_to, PAYTO);
	p.witness_valid_after = dec("1740672089");
	/* The facilitator is not part of the exact witness. */
	addr(p.witness_facilitator, ANVIL1);
	x402_eip712_permit2_hash(sh, &p);
	tu_assert_hex(sh, 32,
	    "0xf9efd2ab5ec37a11f062cfbde5dd2654b11aa7c03eedbac1f9bf0efd67b2d8b4");
	x402_eip712_digest(dg, ds, sh);
	tu_assert_hex(dg, 32,
	    "0x21528e1468aac114016416353e2309329f217dc180b21baa1d81cde941095685");

	/* KAT-4: upto witness. */
	p.amount = dec("5000000");
	addr(p.spender, UPTO_PROXY);
	addr(p.witness_facilitator, ANVIL1);
	p.upto = 1;
	x402_eip712_permit2_hash(sh, &p);
	tu_assert_hex(sh, 32,
	    "0x52e675528d36449833912452397bab5eb465aaadd8167182ae3749f17b18aa78");
	x402_eip712_digest(dg, ds, sh);
	tu_assert_hex(dg, 32,
	    "0x22340f12e045f90a2bdf0bb39dd61d8c4674579544873480e8af265f383d4837");
}
END_TEST

START_TEST(permit_known_answer)
{
	struct x402_eip712_domain dom;
	struct x402_permit p;
	uint8_t ds[32], sh[32], dg[32];

	/* KAT-5: ERC-2612 Permit under Base Sepolia USDC. */
	dom = domain("USDC", "2", 84532, USDC_BASE_SEPOLIA);
	memset(&p, 0, sizeof(p));
	addr(p.owner, ANVIL0);
	addr(p.spender, PAYTO);
	p.value = dec("100000");
	p.nonce = dec("0");
	p.deadline = dec("1740672154");
	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_permit_hash(sh, &p);
	x402_eip712_digest(dg, ds, sh);
	tu_assert_hex(dg, 32,
	    "0xe2db779272323e5c8ed39d50df110b6a6ac461006ce1bb2a640171ef93646ad5");
}
END_TEST

static Suite *
s_(void)
{
	Suite *s = suite_create("eip712");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, typehashes_match_type_strings);
	tcase_add_loop_test(tc, eip3009_known_answers, 0,
	    sizeof(eip3009) / sizeof(eip3009[0]));
	tcase_add_test(tc, domains_differ);
	tcase_add_test(tc, domain_reads_to_nul);
	tcase_add_test(tc, permit2_known_answers);
	tcase_add_test(tc, permit_known_answer);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(s_)
