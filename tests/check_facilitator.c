/*
 * check_facilitator.c - the facilitator client and settle strategy.
 *
 * Built twice: tests/check_facilitator (faults against the canned test
 * server) and, with X402_CHAIN_SUITE, tests/check_facilitator_chain (real
 * payments through the official facilitator on a local anvil chain; skipped
 * with 77 unless X402_CHAIN_TESTS=1 and node is available).
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cdp.h"
#include "codec.h"
#include "eip712.h"
#include "facilitator.h"
#include "json.h"
#include "network.h"
#include "protocol.h"
#include "settle.h"
#include "sig.h"
#include "testserver.h"
#include "testutil.h"

#define SECRET_SIG "0xfeedface"
#define PAYMENT_JSON "{\"x402Version\":2,\"payload\":{\"sig\":\"" SECRET_SIG \
	"\"}}"
#define REQ_JSON "{\"amount\":\"1000\"}"
#define FAC_PAYER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define FAC_TX "0x" \
	"1111111111111111111111111111111111111111111111111111111111111111"

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;

	ck_assert_int_eq(x402_json_parse(&o, NULL, s, strlen(s), 16), 0);
	return o;
}

#ifndef X402_CHAIN_SUITE

static struct ts_server srv;

static void
srv_up(void)
{
	ts_start(&srv);
}

static void
srv_down(void)
{
	ts_stop(&srv);
}

/* A client for /fac/<c> of the test server, short timeouts. */
static struct x402_facilitator *
mkfac(const char *c, struct x402_cdp_key *auth)
{
	struct x402_http_opts o = { 0 };
	struct x402_facilitator *f = NULL;
	char url[256];

	o.connect_timeout_ms = 500;
	o.timeout_ms = 700;
	snprintf(url, sizeof(url), "%s/fac/%s", srv.base, c);
	ck_assert_int_eq(x402_facilitator_new(&f, NULL, url, &o, auth), 0);
	return f;
}

/*
 * Each canned reply and what verify / settle must make of it: the return,
 * and for a verdict the valid/success flag and reason.
 */
static const struct fault {
	const char *c;
	int vr, valid;
	const char *vreason;
	int sr, success;
	const char *sreason;
} faults[] = {
	{ "ok", 0, 1, "", 0, 1, "" },
	{ "nulls", 0, 1, "", 0, 0, "unexpected_settle_error" },
	{ "invalid", 0, 0, "some_future_reason", 0, 0, "some_settle_reason" },
	{ "e500json", 0, 0, "unexpected_error", 0, 0, "unexpected_error" },
	{ "e400other", X402_ERR_UPSTREAM, 0, "", X402_ERR_UPSTREAM, 0, "" },
	{ "e500html", X402_ERR_UPSTREAM, 0, "", X402_ERR_UPSTREAM, 0, "" },
	{ "nosuchcase", X402_ERR_UPSTREAM, 0, "", X402_ERR_UPSTREAM, 0, "" },
	{ "garbage", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "array", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "badtype", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "badpayer", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "notx", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "shorttx", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "nonet", X402_ERR_BADREPLY, 0, "", X402_ERR_BADREPLY, 0, "" },
	{ "hang", X402_ERR_TIMEOUT, 0, "", X402_ERR_TIMEOUT, 0, "" },
	{ "close", X402_ERR_NET, 0, "", X402_ERR_NET, 0, "" },
};

START_TEST(test_faults)
{
	const struct fault *t = &faults[_i];
	struct x402_facilitator *f = mkfac(t->c, NULL);
	struct json_object *pay = parse(PAYMENT_JSON), *req = parse(REQ_JSON);
	struct json_object *raw = (struct json_object *)1;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_detail d = { "" };
	int r;

	r = x402_facilitator_verify(f, &vr, &d, 2, pay, req);
	ck_assert_msg(r == t->vr, "%s verify: %d (%s), want %d", t->c, r,
	    d.msg, t->vr);
	ck_assert_ptr_null(strstr(d.msg, "feedface"));
	if (r == 0) {
		ck_assert_int_eq(vr.valid, t->valid);
		ck_assert_str_eq(vr.reason, t->vreason);
	} else
		ck_assert_msg(d.msg[0] != '\0', "%s: no detail", t->c);
	r = x402_facilitator_settle(f, &st, &raw, &d, 2, pay, req);
	ck_assert_msg(r == t->sr, "%s settle: %d (%s), want %d", t->c, r,
	    d.msg, t->sr);
	ck_assert_ptr_null(strstr(d.msg, "feedface"));
	if (r == 0) {
		ck_assert_ptr_nonnull(raw);
		ck_assert_int_eq(st.success, t->success);
		ck_assert_str_eq(st.error_reason, t->sreason);
		json_object_put(raw);
	} else
		ck_assert_ptr_null(raw);
	json_object_put(pay);
	json_object_put(req);
	x402_facilitator_free(f);
}
END_TEST

START_TEST(test_details)
{
	struct x402_facilitator *f = mkfac("ok", NULL);
	struct json_object *pay = parse(PAYMENT_JSON), *req = parse(REQ_JSON);
	struct json_object *raw = NULL;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_detail d;
	char s[100];

	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 2, pay, req), 0);
	ck_assert_int_eq(vr.valid, 1);
	ck_assert_str_eq(vr.message, "");
	tu_assert_hex(vr.payer, 20, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
	ck_assert_int_eq(x402_facilitator_settle(f, &st, &raw, &d, 1, pay,
	    req), 0);
	ck_assert_int_eq(st.success, 1);
	ck_assert_str_eq(st.transaction, FAC_TX);
	ck_assert_str_eq(st.network, "eip155:84532");
	ck_assert_str_eq(st.payer, FAC_PAYER);
	ck_assert_int_eq(st.has_amount, 1);
	ck_assert_int_eq(x402_u256_format_dec(s, sizeof(s), &st.amount), 3);
	ck_assert_str_eq(s, "750");
	/* The raw reply keeps what the struct does not (extensions). */
	ck_assert(json_object_object_get_ex(raw, "extensions", NULL));
	json_object_put(raw);
	/* raw may be NULL. */
	ck_assert_int_eq(x402_facilitator_settle(f, &st, NULL, &d, 2, pay,
	    req), 0);
	x402_facilitator_free(f);

	f = mkfac("invalid", NULL);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 2, pay, req), 0);
	ck_assert_str_eq(vr.message, "the message");
	tu_assert_hex(vr.payer, 20, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
	x402_facilitator_free(f);

	/* 300-byte reason: cut to 127 bytes before a split character. */
	f = mkfac("longreason", NULL);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 2, pay, req), 0);
	ck_assert_int_eq(vr.valid, 0);
	ck_assert_uint_eq(strlen(vr.reason), 127);
	x402_facilitator_free(f);

	/* Status and excerpt in an upstream detail; no control bytes. */
	f = mkfac("e500html", NULL);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 2, pay, req),
	    X402_ERR_UPSTREAM);
	ck_assert_ptr_nonnull(strstr(d.msg, "HTTP 500"));
	ck_assert_ptr_nonnull(strstr(d.msg, "<html><body>Internal ? Server"));
	x402_facilitator_free(f);
	f = mkfac("e400other", NULL);
	ck_assert_int_eq(x402_facilitator_settle(f, &st, NULL, &d, 2, pay,
	    req), X402_ERR_UPSTREAM);
	ck_assert_ptr_nonnull(strstr(d.msg, "HTTP 400"));
	ck_assert_ptr_nonnull(strstr(d.msg, "invalid_request"));
	x402_facilitator_free(f);

	/* Bad arguments. */
	f = mkfac("ok", NULL);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 3, pay, req),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, &d, 2, NULL, req),
	    X402_ERR_INVAL);
	x402_facilitator_free(f);
	json_object_put(pay);
	json_object_put(req);
}
END_TEST

START_TEST(test_nothing_listening)
{
	struct x402_http_opts o = { 0 };
	struct x402_facilitator *f = NULL;
	struct json_object *pay = parse(PAYMENT_JSON), *req = parse(REQ_JSON);
	const struct x402_facilitator_supported *sup;
	struct x402_verify_result vr;
	struct x402_settlement st;
	char url[64];

	o.connect_timeout_ms = 500;
	o.timeout_ms = 700;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ts_free_port());
	ck_assert_int_eq(x402_facilitator_new(&f, NULL, url, &o, NULL), 0);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, NULL, 2, pay, req),
	    X402_ERR_NET);
	ck_assert_int_eq(x402_facilitator_settle(f, &st, NULL, NULL, 2, pay,
	    req), X402_ERR_NET);
	ck_assert_int_eq(x402_facilitator_supported(f, &sup, NULL),
	    X402_ERR_NET);
	x402_facilitator_free(f);
	json_object_put(pay);
	json_object_put(req);
}
END_TEST

START_TEST(test_new)
{
	struct x402_facilitator *f = (struct x402_facilitator *)1;
	struct x402_detail d;
	char big[X402_FACILITATOR_URL_MAX + 10];

	ck_assert_int_eq(x402_facilitator_new(&f, &d, NULL, NULL, NULL),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_facilitator_new(&f, &d, "ftp://h/x", NULL,
	    NULL), X402_ERR_INVAL);
	ck_assert_int_eq(x402_facilitator_new(&f, &d, "https://", NULL,
	    NULL), X402_ERR_INVAL);
	ck_assert_int_eq(x402_facilitator_new(&f, &d, "http:///", NULL,
	    NULL), X402_ERR_INVAL);
	ck_assert_int_eq(x402_facilitator_new(&f, &d, "https://h/x?k=1",
	    NULL, NULL), X402_ERR_INVAL);
	ck_assert_ptr_null(strstr(d.msg, "k=1"));
	ck_assert_int_eq(x402_facilitator_new(&f, &d, "https://h/ x", NULL,
	    NULL), X402_ERR_INVAL);
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "https://", 8);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(x402_facilitator_new(&f, &d, big, NULL, NULL),
	    X402_ERR_LIMIT);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(x402_facilitator_new(&f, &d,
	    X402_FACILITATOR_URL_CDP "/", NULL, NULL), 0);
	x402_facilitator_free(f);
	x402_facilitator_free(NULL);
}
END_TEST

/* What the client sends: body verbatim, headers, trailing slashes. */
START_TEST(test_wire)
{
	struct json_object *pay = parse(PAYMENT_JSON), *req = parse(REQ_JSON);
	struct x402_facilitator *f;
	struct x402_verify_result vr;
	struct x402_cdp_key *k = NULL;
	EVP_PKEY *ed;
	uint8_t raw[64];
	size_t n = 32;
	char b64[128], url[256];
	struct x402_http_opts o = { 0 };

	o.timeout_ms = 2000;
	snprintf(url, sizeof(url), "%s/fac/echo///", srv.base);
	ck_assert_int_eq(x402_facilitator_new(&f, NULL, url, &o, NULL), 0);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, NULL, 2, pay, req),
	    0);
	ck_assert_str_eq(vr.reason, "ct=1,auth=0,cc=0");
	ck_assert_str_eq(vr.message, "{\"x402Version\":2,\"paymentPayload\":"
	    PAYMENT_JSON ",\"paymentRequirements\":" REQ_JSON "}");
	x402_facilitator_free(f);

	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ck_assert_int_eq(EVP_PKEY_get_raw_private_key(ed, raw, &n), 1);
	n = 32;
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(ed, raw + 32, &n), 1);
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), NULL, raw, 64),
	    0);
	ck_assert_int_eq(x402_cdp_key_new(&k, NULL, "kid", b64), 0);
	f = mkfac("echo", k);
	ck_assert_int_eq(x402_facilitator_verify(f, &vr, NULL, 1, pay, req),
	    0);
	ck_assert_str_eq(vr.reason, "ct=1,auth=1,cc=1");
	ck_assert_str_eq(vr.message, "{\"x402Version\":1,\"paymentPayload\":"
	    PAYMENT_JSON ",\"paymentRequirements\":" REQ_JSON "}");
	x402_facilitator_free(f);
	EVP_PKEY_free(ed);
	json_object_put(pay);
	json_object_put(req);
}
END_TEST

START_TEST(test_supported)
{
	struct ts_server shared = srv;
	struct x402_facilitator *f;
	const struct x402_facilitator_supported *sup, *sup2;
	int yes = -1;

	ts_start(&srv);		/* a private server, stopped below */
	f = mkfac("ok", NULL);

	ck_assert_int_eq(x402_facilitator_supported(f, &sup, NULL), 0);
	ck_assert_uint_eq(sup->nkinds, 2);
	ck_assert_int_eq(sup->kinds[0].version, 2);
	ck_assert_str_eq(sup->kinds[0].scheme, "exact");
	ck_assert_str_eq(sup->kinds[0].network, "eip155:84532");
	ck_assert_ptr_null(sup->kinds[0].extra);
	ck_assert_int_eq(sup->kinds[1].version, 1);
	ck_assert_str_eq(sup->kinds[1].network, "base-sepolia");
	ck_assert_ptr_nonnull(sup->kinds[1].extra);
	ck_assert_ptr_nonnull(sup->signers);
	ck_assert_ptr_nonnull(sup->root);
	/* Cached: no request once the server is gone. */
	ts_stop(&srv);
	ck_assert_int_eq(x402_facilitator_supported(f, &sup2, NULL), 0);
	ck_assert_ptr_eq(sup, sup2);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "exact",
	    "eip155:84532"), 0);
	ck_assert_int_eq(yes, 1);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 1, "exact",
	    "base-sepolia"), 0);
	ck_assert_int_eq(yes, 1);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "exact",
	    "base-sepolia"), 0);
	ck_assert_int_eq(yes, 0);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 1, "exact",
	    "eip155:84532"), 0);
	ck_assert_int_eq(yes, 0);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "upto",
	    "eip155:84532"), 0);
	ck_assert_int_eq(yes, 0);
	x402_facilitator_free(f);
	srv = shared;
}
END_TEST

static const struct {
	const char *c;
	int r;
} sup_faults[] = {
	{ "garbage", X402_ERR_BADREPLY },
	{ "badtype", X402_ERR_BADREPLY },
	{ "array", X402_ERR_BADREPLY },
	{ "e500json", X402_ERR_UPSTREAM },
	{ "hang", X402_ERR_TIMEOUT },
	{ "close", X402_ERR_NET },
};

START_TEST(test_supported_faults)
{
	struct x402_facilitator *f = mkfac(sup_faults[_i].c, NULL);
	const struct x402_facilitator_supported *sup;
	int yes = -1;

	ck_assert_int_eq(x402_facilitator_supported(f, &sup, NULL),
	    sup_faults[_i].r);
	ck_assert_ptr_null(sup);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "exact",
	    "eip155:84532"), sup_faults[_i].r);
	ck_assert_int_eq(yes, 0);
	x402_facilitator_free(f);
}
END_TEST

/* The settle strategy: dispatch, upto amount in a copy, raw reply. */
START_TEST(test_settler)
{
	struct json_object *req = parse(REQ_JSON), *raw, *echo, *sent, *rq;
	struct x402_settle_request sr;
	struct x402_payment p;
	struct x402_offer off;
	struct x402_settler *s = NULL;
	struct x402_verify_result vr;
	struct x402_settlement st;
	const char *amt;

	memset(&p, 0, sizeof(p));
	memset(&off, 0, sizeof(off));
	memset(&sr, 0, sizeof(sr));
	p.version = 2;
	p.root = parse(PAYMENT_JSON);
	sr.payment = &p;
	sr.offer = &off;
	sr.requirement = req;
	sr.has_amount = 1;
	x402_u256_set_u64(&sr.amount, 750);

	ck_assert_int_eq(x402_settler_new_facilitator(&s, mkfac("echo", NULL),
	    NULL), 0);
	ck_assert_str_eq(s->ops->name, "facilitator");
	ck_assert_ptr_null(x402_settler_facilitator_reply(s));
	ck_assert_int_eq(x402_settler_verify(s, &vr, NULL, &sr), 0);
	/* verify sends the requirement as advertised. */
	ck_assert_ptr_nonnull(strstr(vr.message, REQ_JSON));
	ck_assert_int_eq(x402_settler_settle(s, &st, NULL, &sr), 0);
	raw = x402_settler_facilitator_reply(s);
	ck_assert_ptr_nonnull(raw);
	ck_assert(json_object_object_get_ex(raw, "echo", &echo));
	sent = parse(json_object_get_string(echo));
	ck_assert(json_object_object_get_ex(sent, "paymentRequirements", &rq));
	ck_assert_int_eq(x402_json_string(&amt, NULL, NULL, rq, "r", "amount",
	    10), 0);
	ck_assert_str_eq(amt, "750");
	ck_assert(json_object_object_get_ex(sent, "paymentPayload", &rq));
	ck_assert(json_object_equal(rq, p.root));
	json_object_put(sent);
	/* The caller's requirement is untouched. */
	ck_assert_int_eq(x402_json_string(&amt, NULL, NULL, req, "r", "amount",
	    10), 0);
	ck_assert_str_eq(amt, "1000");
	x402_settler_free(s);

	/* ok: the reply's amount wins; exact (no amount) sends as is. */
	ck_assert_int_eq(x402_settler_new_facilitator(&s, mkfac("ok", NULL),
	    NULL), 0);
	sr.has_amount = 0;
	ck_assert_int_eq(x402_settler_settle(s, &st, NULL, &sr), 0);
	ck_assert_int_eq(st.success, 1);
	ck_assert_int_eq(st.has_amount, 1);
	ck_assert_str_eq(st.transaction, FAC_TX);
	x402_settler_free(s);
	ck_assert_int_eq(x402_settler_new_facilitator(&s, NULL, NULL),
	    X402_ERR_INVAL);
	ck_assert_ptr_null(s);
	x402_settler_free(NULL);
	x402_payment_free(&p);
	json_object_put(req);
}
END_TEST

static Suite *
facilitator_suite(void)
{
	Suite *s = suite_create("facilitator");
	TCase *tc = tcase_create("faults");

	tcase_add_unchecked_fixture(tc, srv_up, srv_down);
	tcase_add_loop_test(tc, test_faults, 0,
	    (int)(sizeof(faults) / sizeof(faults[0])));
	tcase_add_test(tc, test_details);
	tcase_add_test(tc, test_nothing_listening);
	tcase_add_test(tc, test_new);
	tcase_add_test(tc, test_wire);
	tcase_add_test(tc, test_supported);
	tcase_add_loop_test(tc, test_supported_faults, 0,
	    (int)(sizeof(sup_faults) / sizeof(sup_faults[0])));
	tcase_add_test(tc, test_settler);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(facilitator_suite)

#else /* X402_CHAIN_SUITE */
#include "chain_part.inc"
#endif
