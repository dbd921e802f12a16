/* check_protocol.c - 402 replies and payment headers, byte for byte. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "json.h"
#include "testutil.h"

#define PAYTO "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
#define USDC "0x036CbD53842c5426634e7929541eC2318f3dCF7e"

static struct x402_network net;

static void
setup_net(void)
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
}

static void
offer(struct x402_offer *o, unsigned timeout)
{
	setup_net();
	memset(o, 0, sizeof(*o));
	o->scheme = X402_SCHEME_EXACT;
	o->net = &net;
	o->asset = &net.assets[0];
	x402_u256_set_u64(&o->amount, 10000);
	ck_assert_int_eq(x402_addr_parse(o->pay_to, PAYTO, 42), 0);
	o->max_timeout_seconds = timeout;
}

/* notes §3.2: the official TS server's header, byte for byte. */
START_TEST(v2_header_matches_official)
{
	struct x402_offer o;
	struct x402_resource res = { "https://api.example.com/premium-data",
	    "", "", "GET" };
	struct x402_buf v1, v2;
	struct x402_detail d;

	offer(&o, 300);
	x402_buf_init(&v1, 65536);
	x402_buf_init(&v2, 65536);
	ck_assert_int_eq(x402_payment_required(&v1, &v2, &d, &res, &o, NULL, 1,
	    "X-PAYMENT header is required", "Payment required"), 0);
	ck_assert_str_eq(v2.p, "eyJ4NDAyVmVyc2lvbiI6MiwiZXJyb3IiOiJQYXltZW50IHJlcXVpcmVkIiwicmVzb3VyY2UiOnsidXJsIjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vcHJlbWl1bS1kYXRhIiwiZGVzY3JpcHRpb24iOiIiLCJtaW1lVHlwZSI6IiJ9LCJhY2NlcHRzIjpbeyJzY2hlbWUiOiJleGFjdCIsIm5ldHdvcmsiOiJlaXAxNTU6ODQ1MzIiLCJhbW91bnQiOiIxMDAwMCIsImFzc2V0IjoiMHgwMzZDYkQ1Mzg0MmM1NDI2NjM0ZTc5Mjk1NDFlQzIzMThmM2RDRjdlIiwicGF5VG8iOiIweDIwOTY5M0JjNmFmYzBDNTMyOGJBMzZGYUYwM0M1MTRFRjMxMjI4N0MiLCJtYXhUaW1lb3V0U2Vjb25kcyI6MzAwLCJleHRyYSI6eyJuYW1lIjoiVVNEQyIsInZlcnNpb24iOiIyIn19XX0=");
	x402_buf_free(&v1);
	x402_buf_free(&v2);
}
END_TEST

/* extensions go last in PAYMENT-REQUIRED, verbatim; none: no key. */
START_TEST(v2_header_extensions_last)
{
	struct x402_offer o;
	struct x402_resource res = { "https://a.example/x", "", "", "GET" };
	struct x402_buf v1, v2;
	struct x402_detail d;
	struct json_object *ext = json_tokener_parse(
	    "{\"payment-identifier\":{\"info\":{\"required\":true}}}");
	uint8_t raw[4096];
	size_t n;
	const char *tail = "}}],\"extensions\":{\"payment-identifier\":"
	    "{\"info\":{\"required\":true}}}}";

	offer(&o, 300);
	x402_buf_init(&v1, 65536);
	x402_buf_init(&v2, 65536);
	ck_assert_int_eq(x402_payment_required_ext(&v1, &v2, &d, &res, &o,
	    NULL, 1, NULL, NULL, ext), 0);
	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw) - 1, &n, v2.p,
	    v2.len), 0);
	raw[n] = '\0';
	ck_assert_uint_gt(n, strlen(tail));
	ck_assert_str_eq((char *)raw + n - strlen(tail), tail);
	ck_assert_ptr_null(strstr(v1.p, "extensions"));
	x402_buf_reset(&v1);
	x402_buf_reset(&v2);
	ck_assert_int_eq(x402_payment_required_ext(&v1, &v2, &d, &res, &o,
	    NULL, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw) - 1, &n, v2.p,
	    v2.len), 0);
	raw[n] = '\0';
	ck_assert_ptr_null(strstr((char *)raw, "extensions"));
	json_object_put(ext);
	x402_buf_free(&v1);
	x402_buf_free(&v2);
}
END_TEST

/* notes §3.1: the legacy x402-express body, byte for byte. */
START_TEST(v1_body_matches_legacy)
{
	struct x402_offer o;
	struct x402_resource res = { "http://localhost:4021/weather", "", "",
	    "GET" };
	struct x402_buf v1, v2;
	struct x402_detail d;

	offer(&o, 60);
	x402_buf_init(&v1, 65536);
	x402_buf_init(&v2, 65536);
	ck_assert_int_eq(x402_payment_required(&v1, &v2, &d, &res, &o, NULL, 1,
	    "X-PAYMENT header is required", NULL), 0);
	ck_assert_str_eq(v1.p, "{\"x402Version\":1,\"error\":\"X-PAYMENT header is required\",\"accepts\":[{\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"maxAmountRequired\":\"10000\",\"resource\":\"http://localhost:4021/weather\",\"description\":\"\",\"mimeType\":\"\",\"payTo\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"maxTimeoutSeconds\":60,\"asset\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"outputSchema\":{\"input\":{\"type\":\"http\",\"method\":\"GET\",\"discoverable\":true}},\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}}]}");
	x402_buf_free(&v1);
	x402_buf_free(&v2);
}
END_TEST

START_TEST(v1_skips_networks_without_v1_name)
{
	struct x402_offer o;
	struct x402_resource res = { "http://x/y", "", "", "GET" };
	struct x402_buf v1, v2;
	struct x402_detail d;

	offer(&o, 60);
	net.v1_name[0] = '\0';
	x402_buf_init(&v1, 65536);
	x402_buf_init(&v2, 65536);
	ck_assert_int_eq(x402_payment_required(&v1, &v2, &d, &res, &o, NULL, 1,
	    "e", NULL), 0);
	ck_assert_str_eq(v1.p, "{\"x402Version\":1,\"error\":\"e\",\"accepts\":[]}");
	ck_assert_uint_gt(v2.len, 100);
	x402_buf_free(&v1);
	x402_buf_free(&v2);
}
END_TEST

/* notes §10.3: the official v2 client's PAYMENT-SIGNATURE. */
static const char v2_sig[] = "eyJ4NDAyVmVyc2lvbiI6MiwicGF5bG9hZCI6eyJhdXRob3JpemF0aW9uIjp7ImZyb20iOiIweGYzOUZkNmU1MWFhZDg4RjZGNGNlNmFCODgyNzI3OWNmZkZiOTIyNjYiLCJ0byI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsInZhbHVlIjoiMTAwMDAiLCJ2YWxpZEFmdGVyIjoiMCIsInZhbGlkQmVmb3JlIjoiMTc0MDY3MjM5NCIsIm5vbmNlIjoiMHhmMzc0NjYxM2MyZDkyMGI1ZmRhYmMwODU2ZjJhZWIyZDRmODhlZTYwMzdiOGNjNWQwNGE3MWE0NDYyZjEzNDgwIn0sInNpZ25hdHVyZSI6IjB4ZWQwNzQyNmEzNDAxMGExODVlNWFkNmI3Njc5ZjI0OGVlMmQxMzY0MzBkYTAwMDRlNWM2NmU5OWQ3MjM5ZGU5YTM5Y2FkM2U4NjFjYzdhYTU1MmFhYTBkMjNjMDRiZDg3MTZkNDlhYjBmZmE2MjU1MWU1MDFjYWZiMGRmMmJhZTExYiJ9LCJyZXNvdXJjZSI6eyJ1cmwiOiJodHRwczovL2FwaS5leGFtcGxlLmNvbS9wcmVtaXVtLWRhdGEiLCJkZXNjcmlwdGlvbiI6IiIsIm1pbWVUeXBlIjoiIn0sImFjY2VwdGVkIjp7InNjaGVtZSI6ImV4YWN0IiwibmV0d29yayI6ImVpcDE1NTo4NDUzMiIsImFtb3VudCI6IjEwMDAwIiwiYXNzZXQiOiIweDAzNkNiRDUzODQyYzU0MjY2MzRlNzkyOTU0MWVDMjMxOGYzZENGN2UiLCJwYXlUbyI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsIm1heFRpbWVvdXRTZWNvbmRzIjozMDAsImV4dHJhIjp7Im5hbWUiOiJVU0RDIiwidmVyc2lvbiI6IjIifX19";

static const char v1_sig[] = "eyJ4NDAyVmVyc2lvbiI6MSwic2NoZW1lIjoiZXhhY3QiLCJuZXR3b3JrIjoiYmFzZS1zZXBvbGlhIiwicGF5bG9hZCI6eyJhdXRob3JpemF0aW9uIjp7ImZyb20iOiIweGYzOUZkNmU1MWFhZDg4RjZGNGNlNmFCODgyNzI3OWNmZkZiOTIyNjYiLCJ0byI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsInZhbHVlIjoiMTAwMDAiLCJ2YWxpZEFmdGVyIjoiMTc0MDY3MTQ5NCIsInZhbGlkQmVmb3JlIjoiMTc0MDY3MjE1NCIsIm5vbmNlIjoiMHhmMzc0NjYxM2MyZDkyMGI1ZmRhYmMwODU2ZjJhZWIyZDRmODhlZTYwMzdiOGNjNWQwNGE3MWE0NDYyZjEzNDgwIn0sInNpZ25hdHVyZSI6IjB4ZDQ4ZDc2MDAyMTk3ZTA4ZWQ4MmQ3OTU5ZmEwYTdhZDFlNTIwNDU4Zjc0YTk0YTE1ODQyOTFjOWU4MGQ2N2YxZTZhOTEyN2M5ODVmZjZiNjQ3ODAzYzBkYjVlZGEwZjkwMGY0YWQxZDg0OThmYzYyY2EwNGY1NDAzYjcxZjE0MmQxYyJ9fQ==";

START_TEST(decode_official_v2_payload)
{
	struct x402_payment p;
	struct x402_detail d;
	struct x402_offer o[2];
	struct json_object *acc[2];
	char txt[80];
	size_t idx = 99;

	ck_assert_int_eq(x402_payment_decode(&p, &d, v2_sig, strlen(v2_sig)),
	    0);
	ck_assert_int_eq(p.version, 2);
	ck_assert_str_eq(p.scheme, "exact");
	ck_assert_str_eq(p.network, "eip155:84532");
	ck_assert_int_eq(p.exact.eoa_sig, 1);
	x402_addr_format(txt, p.exact.auth.from);
	ck_assert_str_eq(txt, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	x402_u256_format_dec(txt, sizeof(txt), &p.exact.auth.valid_before);
	ck_assert_str_eq(txt, "1740672394");
	tu_assert_hex(p.exact.auth.nonce, 32, "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480");
	tu_assert_hex(p.exact.sig, 65, "0xed07426a34010a185e5ad6b7679f248ee2d136430da0004e5c66e99d7239de9a39cad3e861cc7aa552aaa0d23c04bd8716d49ab0ffa62551e501cafb0df2bae11b");
	/* It matches the offer it was made for, and not a dearer one. */
	offer(&o[0], 300);
	o[1] = o[0];
	x402_u256_set_u64(&o[0].amount, 20000);
	ck_assert_int_eq(x402_offer_v2_json(&acc[0], &o[0]), 0);
	ck_assert_int_eq(x402_offer_v2_json(&acc[1], &o[1]), 0);
	ck_assert_int_eq(x402_payment_match(&idx, &p, o, acc, 2), 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(x402_payment_match(&idx, &p, o, acc, 1),
	    X402_ERR_NOTFOUND);
	json_object_put(acc[0]);
	json_object_put(acc[1]);
	x402_payment_free(&p);
}
END_TEST

START_TEST(decode_official_v1_payload)
{
	struct x402_payment p;
	struct x402_detail d;
	struct x402_offer o;
	size_t idx = 99;

	ck_assert_int_eq(x402_payment_decode(&p, &d, v1_sig, strlen(v1_sig)),
	    0);
	ck_assert_int_eq(p.version, 1);
	ck_assert_str_eq(p.network, "base-sepolia");
	offer(&o, 60);
	ck_assert_int_eq(x402_payment_match(&idx, &p, &o, NULL, 1), 0);
	ck_assert_uint_eq(idx, 0);
	strcpy(net.v1_name, "base");
	ck_assert_int_eq(x402_payment_match(&idx, &p, &o, NULL, 1),
	    X402_ERR_NOTFOUND);
	x402_payment_free(&p);
}
END_TEST

/* A v2 `accepted` that differs from the offer in one field. */
START_TEST(v2_accepted_must_equal_offer)
{
	static const char *const mutate[][2] = {
		{ "\"amount\":\"10000\"", "\"amount\":\"10001\"" },
		{ "\"maxTimeoutSeconds\":300", "\"maxTimeoutSeconds\":\"300\"" },
		{ "\"maxTimeoutSeconds\":300", "\"maxTimeoutSeconds\":301" },
		{ "\"payTo\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\"",
		  "\"payTo\":\"0x209693bc6afc0c5328ba36faf03c514ef312287c\"" },
		{ "\"scheme\":\"exact\"", "\"scheme\":\"upto\"" },
		{ "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}",
		  "\"extra\":{\"name\":\"USDC\"}" },
		{ "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}",
		  "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"},\"more\":1" },
	};
	struct x402_offer o;
	struct json_object *acc;
	struct x402_payment p;
	struct x402_detail d;
	uint8_t raw[2048];
	char json[2048], b64[3000], *at;
	size_t n, idx;
	const char *from = mutate[_i][0], *to = mutate[_i][1];

	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n, v2_sig,
	    strlen(v2_sig)), 0);
	memcpy(json, raw, n);
	json[n] = '\0';
	/* Mutate inside `accepted` (the last occurrence). */
	at = NULL;
	for (char *q = strstr(json, from); q; q = strstr(q + 1, from))
		at = q;
	ck_assert_ptr_nonnull(at);
	{
		char tail[2048];

		strcpy(tail, at + strlen(from));
		strcpy(at, to);
		strcat(json, tail);
	}
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	if (strstr(to, "upto") != NULL) {
		/* An upto payment must carry a permit2Authorization. */
		ck_assert_int_eq(x402_payment_decode(&p, &d, b64, n),
		    X402_ERR_PROTOCOL);
		x402_payment_free(&p);
		return;
	}
	ck_assert_int_eq(x402_payment_decode(&p, &d, b64, n), 0);
	offer(&o, 300);
	ck_assert_int_eq(x402_offer_v2_json(&acc, &o), 0);
	ck_assert_int_eq(x402_payment_match(&idx, &p, &o, &acc, 1),
	    X402_ERR_NOTFOUND);
	json_object_put(acc);
	x402_payment_free(&p);
}
END_TEST

START_TEST(extra_keys_in_accepted_extra_are_allowed)
{
	struct x402_offer o;
	struct json_object *acc;
	struct x402_payment p;
	struct x402_detail d;
	uint8_t raw[2048];
	char json[2048], b64[3000], *at;
	size_t n, idx;
	const char *from = "\"version\":\"2\"}}}";

	ck_assert_int_eq(x402_base64_decode(raw, sizeof(raw), &n, v2_sig,
	    strlen(v2_sig)), 0);
	memcpy(json, raw, n);
	json[n] = '\0';
	at = strstr(json, from);
	ck_assert_ptr_nonnull(at);
	strcpy(at, "\"version\":\"2\",\"assetTransferMethod\":\"eip3009\"}}}");
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	ck_assert_int_eq(x402_payment_decode(&p, &d, b64, n), 0);
	offer(&o, 300);
	ck_assert_int_eq(x402_offer_v2_json(&acc, &o), 0);
	ck_assert_int_eq(x402_payment_match(&idx, &p, &o, &acc, 1), 0);
	json_object_put(acc);
	x402_payment_free(&p);
}
END_TEST

/* Bad headers: each refused with the right class of error. */
static const struct {
	const char *name;
	const char *json;	/* NULL: use raw */
	const char *raw;
	int err;
	const char *detail;	/* substring of the detail, or NULL */
} bad[] = {
	{ "version 0", "{\"x402Version\":0,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "version 3", "{\"x402Version\":3,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "version as string", "{\"x402Version\":\"1\",\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "not an object", "[1]", NULL, X402_ERR_PROTOCOL, NULL },
	{ "v2 without accepted", "{\"x402Version\":2,\"payload\":{}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "no authorization", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x00\"}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "value as number", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":10000,\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480\"}}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "nonce of 31 bytes", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"10000\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f134\"}}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "nonce of 33 bytes", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"10000\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f1348000\"}}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "negative value", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"-1\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480\"}}}", NULL, X402_ERR_PROTOCOL,
	  "authorization.value is not a decimal integer string" },
	{ "value of 2^256", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"115792089237316195423570985008687907853269984665640564039457584007913129639936\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480\"}}}", NULL, X402_ERR_PROTOCOL,
	  "authorization.value: number out of range (more than 2^256-1)" },
	{ "short signature", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x1b\",\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480\"}}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "bad checksum", "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" "1b\",\"authorization\":{\"from\":\"0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"1\",\"validAfter\":\"0\",\"validBefore\":\"1\",\"nonce\":\"0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480\"}}}", NULL, X402_ERR_PROTOCOL, NULL },
	{ "duplicate keys", "{\"x402Version\":1,\"x402Version\":2}", NULL, X402_ERR_JSON, NULL },
	{ "byte order mark", "\xef\xbb\xbf{\"x402Version\":1}", NULL, X402_ERR_JSON,
	  "a UTF-8 byte order mark at offset 0 is not allowed" },
	{ "truncated JSON", "{\"x402Version\":1,\"scheme\":\"ex", NULL, X402_ERR_JSON, NULL },
	{ "url-safe base64", NULL, "eyJ4NDAyVmVyc2lvbiI6MX0_-w==", X402_ERR_SYNTAX, NULL },
	{ "whitespace in base64", NULL, "eyJ4NDAy VmVyc2lvbiI6MX0=", X402_ERR_SYNTAX, NULL },
	{ "truncated base64", NULL, "eyJ4NDAyVmVyc2lvbiI6MX0=e", X402_ERR_SYNTAX, NULL },
	{ "empty", NULL, "", X402_ERR_PROTOCOL, NULL },
};

START_TEST(refusals)
{
	struct x402_payment p;
	struct x402_detail d;
	char b64[4096];
	const char *h = bad[_i].raw;
	size_t n;
	int r;

	if (bad[_i].json != NULL) {
		ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
		    (const uint8_t *)bad[_i].json, strlen(bad[_i].json)), 0);
		h = b64;
	}
	r = x402_payment_decode(&p, &d, h, strlen(h));
	ck_assert_msg(r == bad[_i].err, "%s: got %d (%s) want %d",
	    bad[_i].name, r, r ? d.msg : "", bad[_i].err);
	if (bad[_i].detail != NULL)
		ck_assert_msg(strstr(d.msg, bad[_i].detail) != NULL,
		    "%s: got \"%s\", want \"%s\"", bad[_i].name, d.msg,
		    bad[_i].detail);
	x402_payment_free(&p);
}
END_TEST

START_TEST(header_over_cap)
{
	struct x402_payment p;
	struct x402_detail d;
	size_t n = X402_PAYMENT_HEADER_MAX + 4;
	char *h = malloc(n);

	memset(h, 'A', n);
	ck_assert_int_eq(x402_payment_decode(&p, &d, h, n), X402_ERR_LIMIT);
	x402_payment_free(&p);
	free(h);
}
END_TEST

/* notes §10.3: the settlement header for a successful payment. */
START_TEST(settlement_header)
{
	struct x402_settlement s;
	struct x402_buf b;

	memset(&s, 0, sizeof(s));
	s.success = 1;
	strcpy(s.transaction, "0xabababababababababababababababababababababababababababababababab");
	strcpy(s.network, "eip155:84532");
	strcpy(s.payer, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_settlement_header(&b, &s), 0);
	ck_assert_str_eq(b.p, "eyJzdWNjZXNzIjp0cnVlLCJ0cmFuc2FjdGlvbiI6IjB4YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYiIsIm5ldHdvcmsiOiJlaXAxNTU6ODQ1MzIiLCJwYXllciI6IjB4ZjM5RmQ2ZTUxYWFkODhGNkY0Y2U2YUI4ODI3Mjc5Y2ZmRmI5MjI2NiJ9");
	x402_buf_free(&b);
}
END_TEST

/* ---- the upto payload a client sends (notes §8.1, KAT-4) ------------- */

#define K4_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define K4_FROM "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define K4_FAC "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define K4_NONCE "33247007178036348590600198031289925668252061821958005840077069883511451257277"
#define K4_DIGEST "0x22340f12e045f90a2bdf0bb39dd61d8c4674579544873480e8af265f383d4837"
#define K4_SIG "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1b"

/* The KAT-4 message, unsigned. */
static void
k4_payload(struct x402_upto_payload *u)
{
	struct x402_permit2 *pm = &u->permit;

	memset(u, 0, sizeof(*u));
	pm->upto = 1;
	ck_assert_int_eq(x402_addr_parse(u->from, K4_FROM, 42), 0);
	ck_assert_int_eq(x402_addr_parse(pm->token, USDC, 42), 0);
	x402_u256_set_u64(&pm->amount, 5000000);
	memcpy(pm->spender, x402_upto_proxy_address, X402_ADDR_LEN);
	ck_assert_int_eq(x402_u256_parse_dec(&pm->nonce, K4_NONCE,
	    strlen(K4_NONCE)), 0);
	x402_u256_set_u64(&pm->deadline, 1740672154);
	ck_assert_int_eq(x402_addr_parse(pm->witness_to, PAYTO, 42), 0);
	ck_assert_int_eq(x402_addr_parse(pm->witness_facilitator, K4_FAC, 42),
	    0);
	x402_u256_set_u64(&pm->witness_valid_after, 1740672089);
}

START_TEST(upto_sign_reproduces_kat4)
{
	struct x402_sig_ctx *ctx = NULL;
	struct x402_upto_payload u;
	uint8_t key[X402_SECKEY_LEN], dg[32];

	k4_payload(&u);
	x402_upto_digest(dg, &u, 84532);
	tu_assert_hex(dg, 32, K4_DIGEST);
	tu_hex(key, sizeof(key), K4_KEY);
	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
	ck_assert_int_eq(x402_upto_sign(ctx, &u, 84532, key), 0);
	ck_assert_int_eq(u.eoa_sig, 1);
	tu_assert_hex(u.sig, X402_SIG_LEN, K4_SIG);
	/* Another chain is another domain: another signature. */
	ck_assert_int_eq(x402_upto_sign(ctx, &u, 8453, key), 0);
	ck_assert_int_ne(x402_memeq_ct(u.sig, "\x95\x63\x6d\xaf", 4), 0);
	/* Not an upto permit: refused. */
	u.permit.upto = 0;
	ck_assert_int_eq(x402_upto_sign(ctx, &u, 84532, key), X402_ERR_INVAL);
	x402_wipe(key, sizeof(key));
	x402_sig_ctx_free(ctx);
}
END_TEST

/* The upto header in root with its nonce above 2^256-1: named so. */
static void
upto_nonce_out_of_range(struct json_object *root)
{
	static const char *const big[] = {
	    "115792089237316195423570985008687907853269984665640564039457584007913129639936",
	    "0x1" "0000000000000000000000000000000000000000000000000000000000000000",
	};
	struct x402_payment p;
	struct x402_detail d;
	struct x402_buf js;
	char txt[4096], b64[6000], *at;
	size_t i, n;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		x402_buf_init(&js, 8192);
		ck_assert_int_eq(x402_json_append(&js, root), 0);
		ck_assert_ptr_nonnull(at = strstr(js.p, K4_NONCE));
		snprintf(txt, sizeof(txt), "%.*s%s%s", (int)(at - js.p), js.p,
		    big[i], at + strlen(K4_NONCE));
		ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
		    (const uint8_t *)txt, strlen(txt)), 0);
		ck_assert_int_eq(x402_payment_decode(&p, &d, b64, n),
		    X402_ERR_PROTOCOL);
		ck_assert_msg(strstr(d.msg, "permit2Authorization.nonce: "
		    "number out of range (more than 2^256-1)") != NULL, "%s",
		    d.msg);
		x402_payment_free(&p);
		x402_buf_free(&js);
	}
}

/* The official client's payload, byte for byte; then decoded back. */
START_TEST(upto_payload_round_trip)
{
	static const char want[] = "{\"signature\":\"" K4_SIG "\","
	    "\"permit2Authorization\":{\"from\":\"" K4_FROM "\","
	    "\"permitted\":{\"token\":\"" USDC "\",\"amount\":\"5000000\"},"
	    "\"spender\":\"0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002\","
	    "\"nonce\":\"" K4_NONCE "\",\"deadline\":\"1740672154\","
	    "\"witness\":{\"to\":\"" PAYTO "\",\"facilitator\":\"" K4_FAC "\","
	    "\"validAfter\":\"1740672089\"}}}";
	struct x402_upto_payload u;
	struct x402_payment p;
	struct x402_detail d = { "" };
	struct json_object *pl = NULL, *root, *acc;
	struct x402_offer o;
	struct x402_buf b64, js;

	k4_payload(&u);
	tu_hex(u.sig, sizeof(u.sig), K4_SIG);
	/* Unsigned (eoa_sig 0) is refused. */
	ck_assert_int_eq(x402_upto_payload_json(&pl, &u), X402_ERR_INVAL);
	ck_assert_ptr_null(pl);
	u.eoa_sig = 1;
	ck_assert_int_eq(x402_upto_payload_json(&pl, &u), 0);
	x402_buf_init(&js, 8192);
	ck_assert_int_eq(x402_json_append(&js, pl), 0);
	ck_assert_str_eq(js.p, want);

	/* Wrapped as x402 pay sends it, then decoded by the gate's decoder. */
	offer(&o, 300);
	o.scheme = X402_SCHEME_UPTO;
	x402_u256_set_u64(&o.amount, 5000000);
	ck_assert_int_eq(x402_offer_v2_json(&acc, &o), 0);
	root = json_object_new_object();
	ck_assert_int_eq(x402_json_put(root, "x402Version",
	    json_object_new_int(2)), 0);
	ck_assert_int_eq(x402_json_put(root, "payload", pl), 0);
	ck_assert_int_eq(x402_json_put(root, "accepted", acc), 0);
	x402_buf_init(&b64, X402_PAYMENT_HEADER_MAX);
	ck_assert_int_eq(x402_protocol_b64json(&b64, root), 0);
	ck_assert_msg(x402_payment_decode(&p, &d, b64.p, b64.len) == 0, "%s",
	    d.msg);
	ck_assert_str_eq(p.scheme, "upto");
	ck_assert_int_eq(p.upto.eoa_sig, 1);
	ck_assert_mem_eq(p.upto.from, u.from, X402_ADDR_LEN);
	ck_assert_mem_eq(p.upto.sig, u.sig, X402_SIG_LEN);
	ck_assert_mem_eq(&p.upto.permit, &u.permit, sizeof(u.permit));
	x402_payment_free(&p);
	upto_nonce_out_of_range(root);
	json_object_put(root);
	x402_buf_free(&b64);
	x402_buf_free(&js);

	/* Not an upto permit: refused. */
	u.permit.upto = 0;
	ck_assert_int_eq(x402_upto_payload_json(&pl, &u), X402_ERR_INVAL);
}
END_TEST

static Suite *
protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, v2_header_matches_official);
	tcase_add_test(tc, v1_body_matches_legacy);
	tcase_add_test(tc, v2_header_extensions_last);
	tcase_add_test(tc, v1_skips_networks_without_v1_name);
	tcase_add_test(tc, decode_official_v2_payload);
	tcase_add_test(tc, decode_official_v1_payload);
	tcase_add_loop_test(tc, v2_accepted_must_equal_offer, 0, 7);
	tcase_add_test(tc, extra_keys_in_accepted_extra_are_allowed);
	tcase_add_loop_test(tc, refusals, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, header_over_cap);
	tcase_add_test(tc, settlement_header);
	tcase_add_test(tc, upto_sign_reproduces_kat4);
	tcase_add_test(tc, upto_payload_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(protocol_suite)
