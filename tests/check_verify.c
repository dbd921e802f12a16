/*
 * check_verify.c - offline verification against the official spec example
 * (notes §10.1) and KAT-1 (§10.2), and every refusal in its order.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "protocol.h"
#include "verify.h"
#include "testutil.h"

#define PAYTO "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
#define USDC "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
#define SPEC_FROM "0x857b06519E91e3A54538791bDbb0E22373e36b66"
#define SPEC_SIG "0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a1283259764173608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b571c"
#define NONCE "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"
#define NOW 1740672100ULL	/* inside [validAfter, validBefore - 6] */

static struct x402_network net;
static struct x402_sig_ctx *ctx;

static void
setup(void)
{
	struct x402_asset *a = &net.assets[0];

	memset(&net, 0, sizeof(net));
	strcpy(net.v1_name, "base-sepolia");
	strcpy(net.caip2, "eip155:84532");
	net.chain_id = 84532;
	strcpy(a->symbol, "USDC");
	ck_assert_int_eq(x402_addr_parse(a->address, USDC, 42), 0);
	a->decimals = 6;
	strcpy(a->eip712_name, "USDC");
	strcpy(a->eip712_version, "2");
	net.nassets = 1;
	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
}

static void
teardown(void)
{
	x402_sig_ctx_free(ctx);
	ctx = NULL;
}

static void
offer(struct x402_offer *o)
{
	memset(o, 0, sizeof(*o));
	o->scheme = X402_SCHEME_EXACT;
	o->net = &net;
	o->asset = &net.assets[0];
	x402_u256_set_u64(&o->amount, 10000);
	ck_assert_int_eq(x402_addr_parse(o->pay_to, PAYTO, 42), 0);
	o->max_timeout_seconds = 65;	/* the KAT's window */
}

/* A v1 X-PAYMENT with the given fields, decoded. */
static void
payment(struct x402_payment *p, const char *network, const char *from,
    const char *to, const char *value, const char *after,
    const char *before, const char *sig)
{
	char json[2048], b64[3000];
	struct x402_detail d;
	size_t n;

	snprintf(json, sizeof(json), "{\"x402Version\":1,\"scheme\":\"exact\","
	    "\"network\":\"%s\",\"payload\":{\"signature\":\"%s\","
	    "\"authorization\":{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"%s\","
	    "\"validAfter\":\"%s\",\"validBefore\":\"%s\",\"nonce\":\"%s\"}}}",
	    network, sig, from, to, value, after, before, NONCE);
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	ck_assert_msg(x402_payment_decode(p, &d, b64, n) == 0, "%s", d.msg);
}

START_TEST(spec_example_is_valid)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;
	char addr[43];

	offer(&o);
	payment(&p, "base-sepolia", SPEC_FROM, PAYTO, "10000", "1740672089",
	    "1740672154", SPEC_SIG);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL, NOW, 0), 0);
	ck_assert_msg(res.valid, "reason %s", res.reason);
	ck_assert_str_eq(res.reason, "");
	x402_addr_format(addr, res.payer);
	ck_assert_str_eq(addr, SPEC_FROM);
	x402_payment_free(&p);
}
END_TEST

/* Each case breaks one thing; the first failing check names it. */
static const struct {
	const char *name, *network, *from, *to, *value, *after, *before,
	    *sig, *reason;
	uint64_t now;
	int domain;	/* 1: wrong EIP-712 name in the offer */
} bad[] = {
	{ "wrong network", "base", SPEC_FROM, PAYTO, "10000", "1740672089",
	  "1740672154", SPEC_SIG, X402_R_NETWORK, NOW, 0 },
	{ "signature by another key", "base-sepolia",
	  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", PAYTO, "10000",
	  "1740672089", "1740672154", SPEC_SIG, X402_R_SIGNATURE, NOW, 0 },
	{ "value changed after signing", "base-sepolia", SPEC_FROM, PAYTO,
	  "10001", "1740672089", "1740672154", SPEC_SIG, X402_R_SIGNATURE,
	  NOW, 0 },
	{ "bit flipped in signature", "base-sepolia", SPEC_FROM, PAYTO,
	  "10000", "1740672089", "1740672154",
	  "0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a1283259764173608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b561c",
	  X402_R_SIGNATURE, NOW, 0 },
	{ "wrong EIP-712 name", "base-sepolia", SPEC_FROM, PAYTO, "10000",
	  "1740672089", "1740672154", SPEC_SIG, X402_R_SIGNATURE, NOW, 1 },
	{ "expired", "base-sepolia", SPEC_FROM, PAYTO, "10000",
	  "1740672089", "1740672154", SPEC_SIG, X402_R_VALID_BEFORE,
	  1740672154ULL, 0 },
	{ "within 6 s of expiry", "base-sepolia", SPEC_FROM, PAYTO, "10000",
	  "1740672089", "1740672154", SPEC_SIG, X402_R_VALID_BEFORE,
	  1740672149ULL, 0 },
	{ "not yet valid", "base-sepolia", SPEC_FROM, PAYTO, "10000",
	  "1740672089", "1740672154", SPEC_SIG, X402_R_VALID_AFTER,
	  1740672088ULL, 0 },
	/* The token requires block.timestamp > validAfter. */
	{ "valid from this very second", "base-sepolia", SPEC_FROM, PAYTO,
	  "10000", "1740672089", "1740672154", SPEC_SIG, X402_R_VALID_AFTER,
	  1740672089ULL, 0 },
	/* The same signature with v as 0/1: the token wants 27/28. */
	{ "v as recovery id", "base-sepolia", SPEC_FROM, PAYTO, "10000",
	  "1740672089", "1740672154",
	  "0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a1283259764173608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b5701",
	  X402_R_SIGNATURE, NOW, 0 },
};

START_TEST(refusals)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;

	offer(&o);
	if (bad[_i].domain)
		strcpy(net.assets[0].eip712_name, "USD Coin");
	payment(&p, bad[_i].network, bad[_i].from, bad[_i].to, bad[_i].value,
	    bad[_i].after, bad[_i].before, bad[_i].sig);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    bad[_i].now, 0), 0);
	ck_assert_msg(!res.valid, "%s accepted", bad[_i].name);
	ck_assert_str_eq(res.reason, bad[_i].reason);
	x402_payment_free(&p);
}
END_TEST

START_TEST(window_edges_and_skew)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;

	offer(&o);
	payment(&p, "base-sepolia", SPEC_FROM, PAYTO, "10000", "1740672089",
	    "1740672154", SPEC_SIG);
	/* validBefore == now + 6 and validAfter == now - 1 are valid. */
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672148ULL, 0), 0);
	ck_assert(res.valid);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672090ULL, 0), 0);
	ck_assert(res.valid);
	/* Two seconds of skew admit a payment two seconds early. */
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672088ULL, 2), 0);
	ck_assert(res.valid);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672087ULL, 2), 0);
	ck_assert_str_eq(res.reason, X402_R_VALID_AFTER);
	x402_payment_free(&p);
}
END_TEST

START_TEST(recipient_and_amount_on_a_signed_kat)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;

	/* The spec signature is valid; change the offer instead. */
	offer(&o);
	payment(&p, "base-sepolia", SPEC_FROM, PAYTO, "10000", "1740672089",
	    "1740672154", SPEC_SIG);
	ck_assert_int_eq(x402_addr_parse(o.pay_to,
	    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 42), 0);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL, NOW, 0), 0);
	ck_assert_str_eq(res.reason, X402_R_RECIPIENT);
	offer(&o);
	x402_u256_set_u64(&o.amount, 10001);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL, NOW, 0), 0);
	ck_assert_str_eq(res.reason, X402_R_VALUE_V1);
	x402_u256_set_u64(&o.amount, 9999);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL, NOW, 0), 0);
	ck_assert_str_eq(res.reason, X402_R_VALUE_V1);
	x402_payment_free(&p);
}
END_TEST

/* ---- upto (KAT-4, notes §10.2) ---------------------------------------- */

#define K4_FROM "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define K4_FAC "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define K4_PROXY "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"
#define K4_NONCE "33247007178036348590600198031289925668252061821958005840077069883511451257277"
#define K4_SIG "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1b"
#define OTHER "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

struct upto_fields {
	const char *network, *from, *token, *amount, *spender, *nonce;
	const char *deadline, *to, *fac, *after, *sig;
};

static const struct upto_fields k4 = {
	"eip155:84532", K4_FROM, USDC, "5000000", K4_PROXY, K4_NONCE,
	"1740672154", PAYTO, K4_FAC, "1740672089", K4_SIG
};

static void
upto_offer(struct x402_offer *o)
{
	offer(o);
	o->scheme = X402_SCHEME_UPTO;
	x402_u256_set_u64(&o->amount, 5000000);
	o->has_facilitator = 1;
	ck_assert_int_eq(x402_addr_parse(o->facilitator, K4_FAC, 42), 0);
}

/* A v2 PAYMENT-SIGNATURE for upto with the given fields; returns decode's. */
static int
upto_payment(struct x402_payment *p, struct x402_detail *d,
    const struct upto_fields *f)
{
	char json[3000], b64[4200];
	size_t n;

	snprintf(json, sizeof(json), "{\"x402Version\":2,\"payload\":{"
	    "\"signature\":\"%s\",\"permit2Authorization\":{\"from\":\"%s\","
	    "\"permitted\":{\"token\":\"%s\",\"amount\":\"%s\"},"
	    "\"spender\":\"%s\",\"nonce\":\"%s\",\"deadline\":\"%s\","
	    "\"witness\":{\"to\":\"%s\",\"facilitator\":\"%s\","
	    "\"validAfter\":\"%s\"}}},\"resource\":{\"url\":\"http://x/\","
	    "\"description\":\"\",\"mimeType\":\"\"},\"accepted\":{"
	    "\"scheme\":\"upto\",\"network\":\"%s\",\"amount\":\"5000000\","
	    "\"asset\":\"%s\",\"payTo\":\"%s\",\"maxTimeoutSeconds\":60,"
	    "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}}}",
	    f->sig, f->from, f->token, f->amount, f->spender, f->nonce,
	    f->deadline, f->to, f->fac, f->after, f->network, USDC, PAYTO);
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	return x402_payment_decode(p, d, b64, n);
}

START_TEST(upto_kat4_is_valid)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;
	struct x402_detail d;
	struct upto_fields f = k4;
	char addr[43];

	upto_offer(&o);
	ck_assert_msg(upto_payment(&p, &d, &k4) == 0, "%s", d.msg);
	ck_assert_int_eq(p.upto.permit.upto, 1);
	ck_assert_int_eq(p.upto.eoa_sig, 1);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_msg(res.valid, "reason %s", res.reason);
	x402_addr_format(addr, res.payer);
	ck_assert_str_eq(addr, K4_FROM);
	x402_payment_free(&p);

	/* The same nonce as 0x-hex (the spec example's form). */
	f.nonce = "0x498123a32ace7410e0f8321e7684c7c048aefe69db43416c333dbfec5ec989bd";
	ck_assert_msg(upto_payment(&p, &d, &f) == 0, "%s", d.msg);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_msg(res.valid, "reason %s", res.reason);
	x402_payment_free(&p);

	/* No facilitator configured (none advertised): not compared. */
	o.has_facilitator = 0;
	f = k4;
	ck_assert_int_eq(upto_payment(&p, &d, &f), 0);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_msg(res.valid, "reason %s", res.reason);
	x402_payment_free(&p);
}
END_TEST

/* Each case breaks one thing of KAT-4; §8.1's order names the first. */
static const struct {
	const char *what;
	int field;		/* which upto_fields member to replace */
	const char *value;
	const char *reason;
} upto_bad[] = {
	{ "network", 0, "eip155:8453", X402_R_UPTO_NETWORK },
	{ "spender (exact proxy)", 4, "0x402085c248EeA27D92E8b30b2C58ed07f9E20001",
	  X402_R_PERMIT2_SPENDER },
	{ "recipient", 7, OTHER, X402_R_PERMIT2_RECIPIENT },
	{ "facilitator", 8, OTHER, X402_R_UPTO_FACILITATOR },
	{ "deadline now+5", 6, "1740672105", X402_R_PERMIT2_DEADLINE },
	{ "validAfter now+1", 9, "1740672101", X402_R_PERMIT2_NOT_YET_VALID },
	{ "amount max+1", 3, "5000001", X402_R_PERMIT2_AMOUNT },
	{ "amount max-1", 3, "4999999", X402_R_PERMIT2_AMOUNT },
	{ "token", 2, OTHER, X402_R_PERMIT2_TOKEN },
	{ "from", 1, OTHER, X402_R_PERMIT2_SIGNATURE },
	{ "nonce", 5, "1", X402_R_PERMIT2_SIGNATURE },
	{ "signature byte", 10, "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1c",
	  X402_R_PERMIT2_SIGNATURE },
	{ "contract signature", 10, "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1b00",
	  X402_R_PERMIT2_SIGNATURE },
	/* Two broken: the earlier check wins. */
	{ "recipient and amount", 7, OTHER, X402_R_PERMIT2_RECIPIENT },
};

START_TEST(upto_refusals)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;
	struct x402_detail d;
	struct upto_fields f = k4;
	const char **slot = &f.network;

	slot[upto_bad[_i].field] = upto_bad[_i].value;
	if (strcmp(upto_bad[_i].what, "recipient and amount") == 0)
		f.amount = "1";
	upto_offer(&o);
	ck_assert_msg(upto_payment(&p, &d, &f) == 0, "%s", d.msg);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_msg(!res.valid && strcmp(res.reason, upto_bad[_i].reason) == 0,
	    "%s: got '%s', want '%s'", upto_bad[_i].what, res.reason,
	    upto_bad[_i].reason);
	x402_payment_free(&p);
}
END_TEST

START_TEST(upto_scheme_and_decoding)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;
	struct x402_detail d;
	struct upto_fields f = k4;

	/* An exact offer refuses an upto payment with the upto code. */
	offer(&o);
	ck_assert_int_eq(upto_payment(&p, &d, &k4), 0);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_str_eq(res.reason, X402_R_UPTO_SCHEME);
	x402_payment_free(&p);
	/* Window edges: deadline == now + 6 passes, validAfter == now too. */
	upto_offer(&o);
	f.deadline = "1740672106";
	f.after = "1740672100";
	ck_assert_int_eq(upto_payment(&p, &d, &f), 0);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert_str_eq(res.reason, X402_R_PERMIT2_SIGNATURE);	/* got past */
	x402_payment_free(&p);
	/* Malformed fields are protocol errors at decoding. */
	f = k4;
	f.nonce = "12x";
	ck_assert_int_eq(upto_payment(&p, &d, &f), X402_ERR_PROTOCOL);
	x402_payment_free(&p);
	f = k4;
	f.fac = "0x1234";
	ck_assert_int_eq(upto_payment(&p, &d, &f), X402_ERR_PROTOCOL);
	x402_payment_free(&p);
	f = k4;
	f.sig = "0x1234";
	ck_assert_int_eq(upto_payment(&p, &d, &f), X402_ERR_PROTOCOL);
	x402_payment_free(&p);
}
END_TEST

START_TEST(upto_offer_json)
{
	struct x402_offer o;
	struct json_object *j;

	upto_offer(&o);
	o.max_timeout_seconds = 300;
	ck_assert_int_eq(x402_offer_v2_json(&j, &o), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"scheme\":\"upto\",\"network\":\"eip155:84532\","
	    "\"amount\":\"5000000\",\"asset\":\"" USDC "\",\"payTo\":\""
	    PAYTO "\",\"maxTimeoutSeconds\":300,\"extra\":{\"name\":\"USDC\","
	    "\"version\":\"2\",\"assetTransferMethod\":\"permit2\","
	    "\"facilitatorAddress\":\"" K4_FAC "\"}}");
	json_object_put(j);
	/* Not for v1 clients. */
	ck_assert_int_eq(x402_offer_v1_json(&j, &o, NULL), X402_ERR_UNSUPPORTED);
}
END_TEST

/* No authorization valid for longer than maxTimeoutSeconds (+ skew). */
START_TEST(valid_before_beyond_max_timeout)
{
	struct x402_payment p;
	struct x402_offer o;
	struct x402_verify_result res;
	struct x402_detail d;
	struct upto_fields f = k4;

	offer(&o);
	o.max_timeout_seconds = 60;
	payment(&p, "base-sepolia", SPEC_FROM, PAYTO, "10000", "1740672089",
	    "1740672154", SPEC_SIG);
	/* 1740672154 > 1740672090 + 60 (a second past validAfter, which
	   the token requires) */
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672090ULL, 0), 0);
	ck_assert(!res.valid);
	ck_assert_str_eq(res.reason, X402_R_VALID_BEFORE);
	ck_assert_str_eq(res.message, X402_M_TOO_FAR);
	/* The edge, and the skew, admit it. */
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672094ULL, 0), 0);
	ck_assert(res.valid);
	ck_assert_int_eq(x402_verify_exact(&res, ctx, &p, &o, NULL,
	    1740672089ULL, 5), 0);
	ck_assert(res.valid);
	x402_payment_free(&p);

	/* upto: the Permit2 deadline, one second too far. */
	upto_offer(&o);
	f.deadline = "1740672166";	/* NOW + 65 + 1 */
	ck_assert_int_eq(upto_payment(&p, &d, &f), 0);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 0), 0);
	ck_assert(!res.valid);
	ck_assert_str_eq(res.reason, X402_R_PERMIT2_DEADLINE);
	ck_assert_str_eq(res.message, X402_M_TOO_FAR);
	ck_assert_int_eq(x402_verify_upto(&res, ctx, &p, &o, NOW, 1), 0);
	ck_assert_str_ne(res.message, X402_M_TOO_FAR);	/* got past */
	x402_payment_free(&p);
}
END_TEST

static Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, spec_example_is_valid);
	tcase_add_loop_test(tc, refusals, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, window_edges_and_skew);
	tcase_add_test(tc, recipient_and_amount_on_a_signed_kat);
	tcase_add_test(tc, upto_kat4_is_valid);
	tcase_add_loop_test(tc, upto_refusals, 0,
	    sizeof(upto_bad) / sizeof(upto_bad[0]));
	tcase_add_test(tc, upto_scheme_and_decoding);
	tcase_add_test(tc, valid_before_beyond_max_timeout);
	tcase_add_test(tc, upto_offer_json);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(verify_suite)
