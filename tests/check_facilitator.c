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

#ifndef X402_CHAIN_SUITE

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;

	ck_assert_int_eq(x402_json_parse(&o, NULL, s, strlen(s), 16), 0);
	return o;
}

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

	/* At most 3x: the hang cases must still time out, not be cut off. */
	o.connect_timeout_ms = 500 * (tu_scale() < 3 ? tu_scale() : 3);
	o.timeout_ms = 700 * (tu_scale() < 3 ? tu_scale() : 3);
	snprintf(url, sizeof(url), "%s/fac/%s", srv.base, c);
	ck_assert_int_eq(x402_facilitator_new(&f, NULL, url, &o, auth), 0);
	return f;
}

/*
 * Each canned reply and what verify / settle must make of it: the return,
 * and for a verdict the valid/success flag and reason.  A settle request
 * that left and got no verdict back is PENDING: the transfer may have
 * happened.
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
	{ "e400other", X402_ERR_UPSTREAM, 0, "", X402_ERR_PENDING, 0, "" },
	{ "e500html", X402_ERR_UPSTREAM, 0, "", X402_ERR_PENDING, 0, "" },
	{ "nosuchcase", X402_ERR_UPSTREAM, 0, "", X402_ERR_PENDING, 0, "" },
	{ "garbage", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "array", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "badtype", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "badpayer", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "notx", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "shorttx", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "zerotx", 0, 1, "", 0, 1, "" },
	{ "emptytx", 0, 1, "", X402_ERR_PENDING, 0, "" },
	{ "nonet", X402_ERR_BADREPLY, 0, "", X402_ERR_PENDING, 0, "" },
	{ "hang", X402_ERR_TIMEOUT, 0, "", X402_ERR_PENDING, 0, "" },
	{ "close", X402_ERR_NET, 0, "", X402_ERR_PENDING, 0, "" },
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
	    req), X402_ERR_PENDING);
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

	/* At most 3x: the hang cases must still time out, not be cut off. */
	o.connect_timeout_ms = 500 * (tu_scale() < 3 ? tu_scale() : 3);
	o.timeout_ms = 700 * (tu_scale() < 3 ? tu_scale() : 3);
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
/*
 * Real payments through the official facilitator (tests/chain) on a local
 * anvil chain.  The fixture starts the chain and the facilitator once in
 * the parent process and stops both at the end.
 */
#define ENV_MAX 64

static char top[512], dir[64];
static char env_k[ENV_MAX][64], env_v[ENV_MAX][256];
static size_t nenv;
static pid_t fac_pid;
static char fac_url[64];
static int chain_up;

static const char *
env(const char *k)
{
	size_t i;

	for (i = 0; i < nenv; i++)
		if (strcmp(env_k[i], k) == 0)
			return env_v[i];
	ck_abort_msg("chain.env has no %s", k);
	return NULL;
}

/* Reads KEY=value lines (optional single or double quotes). */
static int
load_env(const char *path)
{
	char line[512], *eq, *v;
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL && nenv < ENV_MAX) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || (eq = strchr(line, '=')) == NULL ||
		    (size_t)(eq - line) >= sizeof(env_k[0]))
			continue;
		*eq = '\0';
		v = eq + 1;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		snprintf(env_k[nenv], sizeof(env_k[0]), "%.63s", line);
		snprintf(env_v[nenv], sizeof(env_v[0]), "%.255s", v);
		nenv++;
	}
	fclose(fp);
	return 0;
}

/* First line of a command's output. */
static int
run_line(char *out, size_t cap, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	int ok;

	if (p == NULL)
		return -1;
	ok = fgets(out, (int)cap, p) != NULL;
	if (pclose(p) != 0 || !ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static void
chain_down(void)
{
	char cmd[1024];

	if (fac_pid > 0) {
		(void)kill(fac_pid, SIGTERM);
		(void)waitpid(fac_pid, NULL, 0);
		fac_pid = 0;
	}
	if (chain_up) {
		snprintf(cmd, sizeof(cmd), "'%s/tests/chain/stop-chain.sh' "
		    "'%s'", top, dir);
		if (system(cmd) != 0)
			fprintf(stderr, "stop-chain.sh failed\n");
		chain_up = 0;
	}
	if (dir[0] != '\0' && getenv("KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)system(cmd);
	}
}

static void
setup_fail(const char *what)
{
	fprintf(stderr, "chain setup: %s (logs in %s)\n", what, dir);
	setenv("KEEP", "1", 1);
	chain_down();
	exit(99);
}

static void
chain_setup(void)
{
	char cmd[2048], ports[64], log[512], buf[4096];
	int cport, fport, i;
	FILE *fp;

	snprintf(dir, sizeof(dir), "/tmp/x402-facil-XXXXXX");
	if (mkdtemp(dir) == NULL)
		setup_fail("mkdtemp");
	snprintf(cmd, sizeof(cmd), "node '%s/tests/chain/freeport.mjs' 2 | "
	    "tr '\\n' ' '", top);
	if (run_line(ports, sizeof(ports), cmd) != 0 ||
	    sscanf(ports, "%d %d", &cport, &fport) != 2)
		setup_fail("freeport.mjs");
	snprintf(cmd, sizeof(cmd), "'%s/tests/chain/start-chain.sh' '%s' %d "
	    ">'%s/start.log' 2>&1", top, dir, cport, dir);
	chain_up = 1;
	if (system(cmd) != 0)
		setup_fail("start-chain.sh");
	snprintf(log, sizeof(log), "%s/chain.env", dir);
	if (load_env(log) != 0)
		setup_fail("chain.env");
	snprintf(log, sizeof(log), "%s/facilitator.out", dir);
	fflush(NULL);
	if ((fac_pid = fork()) < 0)
		setup_fail("fork");
	if (fac_pid == 0) {
		char port[16], js[1100], flog[300];

		if (freopen(log, "w", stdout) == NULL ||
		    dup2(fileno(stdout), 2) < 0)
			_exit(127);
		snprintf(port, sizeof(port), "%d", fport);
		snprintf(js, sizeof(js), "%s/tests/chain/facilitator.mjs", top);
		snprintf(flog, sizeof(flog), "%s/fac.jsonl", dir);
		execlp("node", "node", js, "--port", port, "--rpc",
		    env("RPC_URL"), "--key", env("FACILITATOR_KEY"), "--log",
		    flog, (char *)NULL);
		_exit(127);
	}
	snprintf(fac_url, sizeof(fac_url), "http://127.0.0.1:%d", fport);
	for (i = 0; i < 300; i++) {	/* 30 s */
		usleep(100000);
		if ((fp = fopen(log, "r")) != NULL) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

			buf[n] = '\0';
			fclose(fp);
			if (strstr(buf, "facilitator listening on") != NULL)
				return;
		}
		if (waitpid(fac_pid, NULL, WNOHANG) == fac_pid) {
			fac_pid = 0;
			setup_fail("facilitator.mjs exited");
		}
	}
	setup_fail("facilitator.mjs not ready in 30 s");
}

static void
addr_of(uint8_t a[20], const char *k)
{
	const char *s = env(k);

	ck_assert_int_eq(x402_addr_parse(a, s, strlen(s)), 0);
}

static uint64_t
balance(const char *k)
{
	char cmd[1024], line[256], *sp;

	snprintf(cmd, sizeof(cmd), "node '%s/tests/chain/balance.mjs' --rpc "
	    "'%s' --asset '%s' '%s'", top, env("RPC_URL"), env("USDC"), env(k));
	ck_assert_int_eq(run_line(line, sizeof(line), cmd), 0);
	sp = strchr(line, ' ');
	ck_assert_ptr_nonnull(sp);
	return strtoull(sp + 1, NULL, 10);
}

static struct x402_network net;
static struct x402_offer offer;

/* The local chain's network and offer, built by hand. */
static void
make_offer(void)
{
	struct x402_asset *a = &net.assets[0];

	memset(&net, 0, sizeof(net));
	snprintf(net.v1_name, sizeof(net.v1_name), "%s", env("NETWORK_V1"));
	snprintf(net.caip2, sizeof(net.caip2), "%s", env("NETWORK_V2"));
	net.chain_id = strtoull(env("CHAIN_ID"), NULL, 10);
	net.testnet = 1;
	net.nassets = 1;
	snprintf(a->symbol, sizeof(a->symbol), "USDC");
	addr_of(a->address, "USDC");
	a->decimals = 6;
	snprintf(a->eip712_name, sizeof(a->eip712_name), "%s",
	    env("USDC_NAME"));
	snprintf(a->eip712_version, sizeof(a->eip712_version), "%s",
	    env("USDC_VERSION"));
	a->transfer = X402_TRANSFER_EIP3009;
	a->usd = 1;
	memset(&offer, 0, sizeof(offer));
	offer.scheme = X402_SCHEME_EXACT;
	offer.net = &net;
	offer.asset = a;
	x402_u256_set_u64(&offer.amount, 1000);
	addr_of(offer.pay_to, "PAYTO");
	offer.max_timeout_seconds = 300;
}

static const struct x402_resource resource = {
	"http://127.0.0.1/paid", "", "", "GET"
};

/*
 * Signs an EIP-3009 authorization from PAYER to PAYTO for value and
 * decodes it as a payment header of the given version.  Out: *p, nonce.
 */
static void
make_payment(struct x402_payment *p, uint8_t nonce[32], int version,
    uint64_t value, struct json_object *req)
{
	struct x402_sig_ctx *ctx = NULL;
	struct x402_eip712_domain dom;
	struct x402_eip3009_auth au;
	struct json_object *o, *pl, *auth, *res;
	struct x402_buf b64;
	struct x402_detail d;
	uint8_t key[32], ds[32], sh[32], dg[32], sig[65];
	char a1[43], a2[43], num[80], hex[140];
	size_t n;

	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
	ck_assert_int_eq(x402_hex_decode(key, sizeof(key), &n,
	    env("PAYER_KEY"), strlen(env("PAYER_KEY")),
	    X402_HEX_PREFIX_REQUIRED), 0);
	ck_assert_uint_eq(n, 32);
	memset(&au, 0, sizeof(au));
	addr_of(au.from, "PAYER");
	memcpy(au.to, offer.pay_to, 20);
	x402_u256_set_u64(&au.value, value);
	x402_u256_set_u64(&au.valid_after, 0);
	x402_u256_set_u64(&au.valid_before, (uint64_t)time(NULL) + 300);
	ck_assert_int_eq(RAND_bytes(nonce, 32), 1);
	memcpy(au.nonce, nonce, 32);
	memset(&dom, 0, sizeof(dom));
	snprintf(dom.name, sizeof(dom.name), "USDC");
	snprintf(dom.version, sizeof(dom.version), "2");
	dom.has_version = 1;
	dom.chain_id = net.chain_id;
	memcpy(dom.verifying_contract, net.assets[0].address, 20);
	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_eip3009_hash(sh, &au);
	x402_eip712_digest(dg, ds, sh);
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), 0);
	x402_wipe(key, sizeof(key));

	auth = json_object_new_object();
	x402_addr_format(a1, au.from);
	x402_addr_format(a2, au.to);
	ck_assert_int_eq(x402_json_add_string(auth, "from", a1), 0);
	ck_assert_int_eq(x402_json_add_string(auth, "to", a2), 0);
	ck_assert(x402_u256_format_dec(num, sizeof(num), &au.value) > 0);
	ck_assert_int_eq(x402_json_add_string(auth, "value", num), 0);
	ck_assert_int_eq(x402_json_add_string(auth, "validAfter", "0"), 0);
	ck_assert(x402_u256_format_dec(num, sizeof(num), &au.valid_before) >
	    0);
	ck_assert_int_eq(x402_json_add_string(auth, "validBefore", num), 0);
	(void)x402_hex_encode(hex, sizeof(hex), nonce, 32,
	    X402_HEX_PREFIX_REQUIRED);
	ck_assert_int_eq(x402_json_add_string(auth, "nonce", hex), 0);
	pl = json_object_new_object();
	(void)x402_hex_encode(hex, sizeof(hex), sig, 65,
	    X402_HEX_PREFIX_REQUIRED);
	ck_assert_int_eq(x402_json_add_string(pl, "signature", hex), 0);
	json_object_object_add(pl, "authorization", auth);
	o = json_object_new_object();
	json_object_object_add(o, "x402Version", json_object_new_int(version));
	if (version == 1) {
		ck_assert_int_eq(x402_json_add_string(o, "scheme", "exact"), 0);
		ck_assert_int_eq(x402_json_add_string(o, "network",
		    net.v1_name), 0);
		json_object_object_add(o, "payload", pl);
	} else {
		json_object_object_add(o, "payload", pl);
		res = json_object_new_object();
		ck_assert_int_eq(x402_json_add_string(res, "url",
		    resource.url), 0);
		ck_assert_int_eq(x402_json_add_string(res, "description", ""),
		    0);
		ck_assert_int_eq(x402_json_add_string(res, "mimeType", ""), 0);
		json_object_object_add(o, "resource", res);
		json_object_object_add(o, "accepted", json_object_get(req));
	}
	/* Through the real decoder, as the gate gets it. */
	x402_buf_init(&b64, X402_PAYMENT_HEADER_MAX);
	ck_assert_int_eq(x402_protocol_b64json(&b64, o), 0);
	ck_assert_int_eq(x402_payment_decode(p, &d, b64.p, b64.len), 0);
	x402_buf_free(&b64);
	json_object_put(o);
	x402_sig_ctx_free(ctx);
}

static struct x402_settler *
mksettler(void)
{
	struct x402_facilitator *f = NULL;
	struct x402_settler *s = NULL;
	struct x402_http_opts o = { 0 };

	o.timeout_ms = 60000;
	ck_assert_int_eq(x402_facilitator_new(&f, NULL, fac_url, &o, NULL), 0);
	ck_assert_int_eq(x402_settler_new_facilitator(&s, f, NULL), 0);
	return s;
}

static int
is_hash(const char *s)
{
	size_t i;

	if (strlen(s) != 66 || strncmp(s, "0x", 2) != 0)
		return 0;
	for (i = 2; i < 66; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

/* Verifies and settles one payment; checks the payee got 1000. */
static void
pay_once(struct x402_settler *s, struct x402_payment *p,
    struct json_object *req, const char *want_net)
{
	struct x402_settle_request sr;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_detail d = { "" };
	uint8_t payer[20];
	uint64_t before = balance("PAYTO"), pbefore = balance("PAYER");
	char a[43];

	memset(&sr, 0, sizeof(sr));
	sr.payment = p;
	sr.offer = &offer;
	sr.requirement = req;
	sr.now = (uint64_t)time(NULL);
	ck_assert_msg(x402_settler_verify(s, &vr, &d, &sr) == 0, "verify: %s",
	    d.msg);
	ck_assert_msg(vr.valid, "verify invalid: %s %s", vr.reason,
	    vr.message);
	addr_of(payer, "PAYER");
	ck_assert_int_eq(memcmp(vr.payer, payer, 20), 0);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &sr) == 0, "settle: %s",
	    d.msg);
	ck_assert_msg(st.success, "settle failed: %s", st.error_reason);
	ck_assert_msg(is_hash(st.transaction), "tx %s", st.transaction);
	ck_assert_str_eq(st.network, want_net);
	x402_addr_format(a, payer);
	ck_assert_str_eq(st.payer, a);
	ck_assert_ptr_nonnull(x402_settler_facilitator_reply(s));
	ck_assert_uint_eq(balance("PAYTO"), before + 1000);
	ck_assert_uint_eq(balance("PAYER"), pbefore - 1000);
}

START_TEST(test_chain_supported)
{
	struct x402_facilitator *f = NULL;
	int yes = 0;

	ck_assert_int_eq(x402_facilitator_new(&f, NULL, fac_url, NULL, NULL),
	    0);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "exact",
	    "eip155:84532"), 0);
	ck_assert_int_eq(yes, 1);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 1, "exact",
	    "base-sepolia"), 0);
	ck_assert_int_eq(yes, 1);
	ck_assert_int_eq(x402_facilitator_supports(f, &yes, NULL, 2, "exact",
	    "eip155:8453"), 0);
	ck_assert_int_eq(yes, 0);
	x402_facilitator_free(f);
}
END_TEST

START_TEST(test_chain_v2)
{
	struct x402_settler *s = mksettler();
	struct json_object *req = NULL;
	struct x402_payment p;
	struct x402_settle_request sr;
	struct x402_settlement st;
	struct x402_verify_result vr;
	uint8_t nonce[32];

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(x402_offer_v2_json(&req, &offer), 0);
	make_payment(&p, nonce, 2, 1000, req);
	pay_once(s, &p, req, "eip155:84532");

	/* Replayed: the authorization is used. */
	memset(&sr, 0, sizeof(sr));
	sr.payment = &p;
	sr.offer = &offer;
	sr.requirement = req;
	ck_assert_int_eq(x402_settler_verify(s, &vr, NULL, &sr), 0);
	ck_assert_int_eq(vr.valid, 0);
	fprintf(stderr, "v2 replay verify: %s / %s\n", vr.reason, vr.message);
	ck_assert_str_eq(vr.reason, "invalid_exact_evm_nonce_already_used");
	ck_assert_int_eq(x402_settler_settle(s, &st, NULL, &sr), 0);
	ck_assert_int_eq(st.success, 0);
	fprintf(stderr, "v2 replay settle: %s\n", st.error_reason);
	ck_assert_str_eq(st.error_reason,
	    "invalid_exact_evm_nonce_already_used");
	x402_payment_free(&p);

	/* Signed for 999 where 1000 is asked. */
	memset(&p, 0, sizeof(p));
	make_payment(&p, nonce, 2, 999, req);
	ck_assert_int_eq(x402_settler_verify(s, &vr, NULL, &sr), 0);
	ck_assert_int_eq(vr.valid, 0);
	fprintf(stderr, "v2 wrong amount verify: %s / %s\n", vr.reason,
	    vr.message);
	ck_assert_str_eq(vr.reason,
	    "invalid_exact_evm_payload_authorization_value_mismatch");
	x402_payment_free(&p);
	json_object_put(req);
	x402_settler_free(s);
}
END_TEST

START_TEST(test_chain_v1)
{
	struct x402_settler *s = mksettler();
	struct json_object *req = NULL;
	struct x402_payment p;
	struct x402_settle_request sr;
	struct x402_settlement st;
	struct x402_verify_result vr;
	uint8_t nonce[32];

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(x402_offer_v1_json(&req, &offer, &resource), 0);
	make_payment(&p, nonce, 1, 1000, req);
	pay_once(s, &p, req, "base-sepolia");

	/* Replayed (legacy v1 verify does not check the nonce). */
	memset(&sr, 0, sizeof(sr));
	sr.payment = &p;
	sr.offer = &offer;
	sr.requirement = req;
	ck_assert_int_eq(x402_settler_verify(s, &vr, NULL, &sr), 0);
	fprintf(stderr, "v1 replay verify: valid=%d %s\n", vr.valid,
	    vr.reason);
	ck_assert_int_eq(vr.valid, 1);
	/* ... the legacy settle throws: HTTP 500 {success:false, ...}. */
	ck_assert_int_eq(x402_settler_settle(s, &st, NULL, &sr), 0);
	ck_assert_int_eq(st.success, 0);
	fprintf(stderr, "v1 replay settle: %s\n", st.error_reason);
	ck_assert_str_eq(st.error_reason, "unexpected_error");
	x402_payment_free(&p);

	memset(&p, 0, sizeof(p));
	make_payment(&p, nonce, 1, 999, req);
	ck_assert_int_eq(x402_settler_verify(s, &vr, NULL, &sr), 0);
	ck_assert_int_eq(vr.valid, 0);
	fprintf(stderr, "v1 wrong amount verify: %s / %s\n", vr.reason,
	    vr.message);
	ck_assert_str_eq(vr.reason,
	    "invalid_exact_evm_payload_authorization_value");
	x402_payment_free(&p);
	json_object_put(req);
	x402_settler_free(s);
}
END_TEST

static void
chain_fixture_up(void)
{
	chain_setup();
	make_offer();
}

static Suite *
chain_suite(void)
{
	Suite *s = suite_create("facilitator_chain");
	TCase *tc = tcase_create("chain");

	tcase_add_unchecked_fixture(tc, chain_fixture_up, chain_down);
	tcase_add_test(tc, test_chain_supported);
	tcase_add_test(tc, test_chain_v2);
	tcase_add_test(tc, test_chain_v1);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *t = getenv("X402_TOP"), *on = getenv("X402_CHAIN_TESTS");
	SRunner *sr;
	int failed;

	if (on == NULL || strcmp(on, "1") != 0) {
		printf("SKIP: real-chain facilitator tests (set "
		    "X402_CHAIN_TESTS=1)\n");
		return 77;
	}
	if (system("node --version >/dev/null 2>&1") != 0) {
		printf("SKIP: node is not available\n");
		return 77;
	}
	if (t == NULL)
		t = getenv("top_srcdir");
	snprintf(top, sizeof(top), "%s", t != NULL ? t : ".");
	sr = srunner_create(chain_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
