/*
 * fuzz_pay.c - the 402 reply `x402 pay` reads: the v2 PAYMENT-REQUIRED
 * header (base64 JSON) and the v1 JSON body, then every offer judged
 * against a policy (--max $1, built-in networks).  pay.c is included
 * for its static read_offers and judge.  Input: the header value up to
 * the first newline, then the body.
 */
#include "../../src/cli/pay.c"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct x402_networks *t;
	struct x402_http_response r;
	struct json_object *pr = NULL, *body = NULL;
	struct cand cands[MAX_CANDS];
	struct opts op;
	const uint8_t *nl;
	size_t hlen, n, i;

	if (size > FUZZ_MAX)
		return 0;
	if (t == NULL && x402_networks_new(&t) != 0)
		abort();
	nl = memchr(data, '\n', size);
	hlen = nl != NULL ? (size_t)(nl - data) : size;
	memset(&r, 0, sizeof(r));
	r.status = 402;
	x402_buf_init(&r.headers, X402_HTTP_RESP_HEADERS_MAX);
	x402_buf_init(&r.body, FUZZ_MAX);
	if (x402_buf_adds(&r.headers, "HTTP/1.1 402 Payment Required\r\n"
	    "PAYMENT-REQUIRED: ") != 0 ||
	    x402_buf_add(&r.headers, data, hlen) != 0 ||
	    x402_buf_adds(&r.headers, "\r\n\r\n") != 0)
		goto out;
	if (nl != NULL && size > hlen + 1 &&
	    x402_buf_add(&r.body, nl + 1, size - hlen - 1) != 0)
		goto out;
	memset(&op, 0, sizeof(op));
	op.max = "$1";
	op.schemes = SCHEME_EXACT | SCHEME_UPTO;
	n = read_offers(cands, MAX_CANDS, &pr, &body, &r, 0);
	for (i = 0; i < n; i++)
		if (json_object_is_type(cands[i].req, json_type_object))
			(void)judge(&cands[i], &op, t);
out:
	json_object_put(pr);
	json_object_put(body);
	x402_http_response_free(&r);
	return 0;
}
