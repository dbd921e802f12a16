/*
 * pay.c - `x402 pay`: request a URL, and on 402 pay one offered
 * requirement within the user's limits (allowed scheme, network and
 * recipient, at most --max), then retry once with the signed
 * authorization.
 *
 * Two schemes are paid: exact (an EIP-3009 authorization of the price)
 * and upto (notes §8.1: a Permit2 PermitWitnessTransferFrom of a maximum,
 * spender the x402 upto proxy, witness {payTo, facilitator, validAfter};
 * the server settles what was used, at most the maximum).  --max applies
 * to the amount signed: the price, or the maximum.  When both are offered
 * and --scheme does not choose, exact is preferred (its price is known
 * before paying and it needs no Permit2 allowance).  With an RPC URL the
 * payer's balance (and for upto its Permit2 allowance) is checked before
 * anything is signed.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#define MAX_HEADERS	32	/* -H */
#define MAX_NETS	16	/* --network */
#define MAX_PAYTO	16	/* --pay-to-allow */
#define MAX_CANDS	16	/* offers considered */
#define VALID_AFTER_BACK 600	/* validAfter = now - 600 (notes §4.4) */

/* Which schemes --scheme allows. */
#define SCHEME_EXACT	1
#define SCHEME_UPTO	2

struct opts {
	const char *method;
	const char *url;
	const char *hdrs[MAX_HEADERS + 3];
	size_t nhdrs;
	const char *data;
	struct x402_buf file;	/* --data-binary @FILE */
	int have_file;
	const char *out;
	const char *key;
	const char *max;
	const char *proxy;
	const char *conf;
	const struct x402_network *nets[MAX_NETS];
	const char *netnames[MAX_NETS];
	size_t nnets;
	uint8_t payto[MAX_PAYTO][X402_ADDR_LEN];
	size_t npayto;
	const char *rpc;
	long timeout_s;
	int schemes;		/* SCHEME_* bits */
	int include;
	int verbose;
};

/* One offered requirement, as read and as judged. */
struct cand {
	int version;
	int upto;				/* 1: scheme upto */
	struct json_object *req;		/* borrowed */
	const struct x402_network *net;
	const struct x402_asset *asset;		/* NULL: not in our table */
	uint8_t pay_to[X402_ADDR_LEN];
	uint8_t token[X402_ADDR_LEN];		/* the asset */
	x402_u256 amount;			/* price; upto: maximum */
	int64_t max_timeout;
	struct x402_eip712_domain dom;		/* exact only */
	uint8_t facilitator[X402_ADDR_LEN];	/* upto only */
	char why[256];				/* refusal, or "" */
};

/* A string member, or "" when absent or not a string. */
static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int X402_PRINTF(2, 3)
refuse(struct cand *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Reads and judges one requirement against the policy. */
static int
judge(struct cand *c, const struct opts *op, const struct x402_networks *t)
{
	const char *scheme = str(c->req, "scheme");
	const char *network = str(c->req, "network");
	const char *amount = str(c->req, c->version == 1 ?
	    "maxAmountRequired" : "amount");
	const char *asset = str(c->req, "asset");
	const char *payto = str(c->req, "payTo");
	struct json_object *extra = NULL;
	struct x402_detail d = { "" };
	x402_u256 max;
	size_t i;
	int ok;

	const char *method;

	if (strcmp(scheme, "exact") == 0 && (op->schemes & SCHEME_EXACT))
		c->upto = 0;
	else if (strcmp(scheme, "upto") == 0 && (op->schemes & SCHEME_UPTO))
		c->upto = 1;
	else if (strcmp(scheme, "exact") == 0 || strcmp(scheme, "upto") == 0)
		return refuse(c, "scheme %s not allowed (--scheme)", scheme);
	else
		return refuse(c, "scheme \"%s\" (exact and upto are paid)",
		    cli_safe(scheme));
	if (c->upto && c->version != 2)
		return refuse(c, "upto in x402 version %d (only 2 has it)",
		    c->version);
	if ((c->net = x402_networks_find(t, network)) == NULL)
		return refuse(c, "unknown network \"%s\"",
		    cli_safe(network));
	if (op->nnets > 0) {
		for (ok = 0, i = 0; i < op->nnets; i++)
			ok |= op->nets[i] == c->net;
		if (!ok)
			return refuse(c, "network %s not allowed (--network)",
			    c->net->caip2);
	}
	if (x402_addr_parse(c->token, asset, strlen(asset)) != 0)
		return refuse(c, "bad asset \"%s\"", cli_safe(asset));
	c->asset = x402_network_asset(c->net, asset);
	json_object_object_get_ex(c->req, "extra", &extra);
	method = str(extra, "assetTransferMethod");
	if (c->upto) {
		/* Permit2 works with any ERC-20; the proxy needs its
		 * facilitator in the witness. */
		if (strcmp(method, "permit2") != 0)
			return refuse(c, "upto with transfer method \"%s\" "
			    "(only permit2 is paid)", cli_safe(method));
		if (x402_addr_parse(c->facilitator,
		    str(extra, "facilitatorAddress"),
		    strlen(str(extra, "facilitatorAddress"))) != 0)
			return refuse(c, "upto without a valid "
			    "extra.facilitatorAddress");
	} else {
		if (strcmp(method, "") != 0 && strcmp(method, "eip3009") != 0)
			return refuse(c, "transfer method \"%s\" (only "
			    "EIP-3009 is paid for exact)", cli_safe(method));
		if (c->asset != NULL &&
		    c->asset->transfer != X402_TRANSFER_EIP3009)
			return refuse(c, "%s is not an EIP-3009 token", asset);
		if (cli_req_domain(&c->dom, &d, t, c->req) != 0)
			return refuse(c, "%s", d.msg);
	}
	if (x402_addr_parse(c->pay_to, payto, strlen(payto)) != 0)
		return refuse(c, "bad payTo \"%s\"", cli_safe(payto));
	if (op->npayto > 0) {
		for (ok = 0, i = 0; i < op->npayto; i++)
			ok |= memcmp(op->payto[i], c->pay_to,
			    X402_ADDR_LEN) == 0;
		if (!ok)
			return refuse(c, "payTo %s not allowed "
			    "(--pay-to-allow)", payto);
	}
	if (x402_json_int(&c->max_timeout, &d, c->req, "requirement",
	    "maxTimeoutSeconds") != 0 || c->max_timeout <= 0 ||
	    c->max_timeout > 7 * 86400)
		return refuse(c, "bad maxTimeoutSeconds%s", "");
	if (x402_u256_parse_dec(&c->amount, amount, strlen(amount)) != 0 ||
	    x402_u256_is_zero(&c->amount))
		return refuse(c, "bad amount \"%.40s\"", cli_safe(amount));
	/* --max in this asset's atomic units; "$" only for usd assets. */
	if (op->max[0] == '$' && (c->asset == NULL || !c->asset->usd))
		return refuse(c, "--max in dollars, but asset %s is not "
		    "known to be dollar-pegged", asset);
	if (x402_price_parse(&max, &d, op->max, strlen(op->max),
	    c->asset ? c->asset->decimals : 0,
	    c->asset ? c->asset->symbol : NULL) != 0)
		return refuse(c, "--max cannot be read for asset %s (give "
		    "atomic units)", asset);
	if (x402_u256_cmp(&c->amount, &max) > 0) {
		char a[X402_U256_DECLEN + 1], m[X402_U256_DECLEN + 1];

		x402_u256_format_dec(a, sizeof(a), &c->amount);
		x402_u256_format_dec(m, sizeof(m), &max);
		return refuse(c, "%s %s over --max %s", c->upto ? "maximum" :
		    "price", a, m);
	}
	return 0;
}

/* "1000 (0.001 USDC)": v in c's asset. */
static void
fmt_amount(char *out, size_t cap, const struct cand *c, const x402_u256 *v)
{
	char a[X402_U256_DECLEN + 1], tok[X402_PRICE_FMTLEN];

	x402_u256_format_dec(a, sizeof(a), v);
	if (c->asset != NULL && x402_price_format(tok, sizeof(tok),
	    v, c->asset->decimals) >= 0)
		snprintf(out, cap, "%s (%s %s)", a, tok, c->asset->symbol);
	else
		snprintf(out, cap, "%s", a);
}

static int
add_str(struct json_object *o, const char *k, const char *v)
{
	return x402_json_add_string(o, k, v);
}

/*
 * The signed `payload` of an exact offer: an EIP-3009 authorization of
 * the price to payTo.  Out: *out (caller puts).
 */
static int
exact_payload(struct json_object **out, const struct cand *c,
    const struct x402_sig_ctx *ctx, const uint8_t key[X402_SECKEY_LEN],
    const uint8_t from[X402_ADDR_LEN])
{
	struct x402_eip3009_auth auth;
	struct json_object *payload = NULL, *au;
	uint8_t sep[32], sh[32], dg[32], sig[X402_SIG_LEN];
	char buf[160];
	uint64_t now = (uint64_t)time(NULL);
	int e;

	*out = NULL;
	memset(&auth, 0, sizeof(auth));
	memcpy(auth.from, from, X402_ADDR_LEN);
	memcpy(auth.to, c->pay_to, X402_ADDR_LEN);
	auth.value = c->amount;
	x402_u256_set_u64(&auth.valid_after, now - VALID_AFTER_BACK);
	x402_u256_set_u64(&auth.valid_before, now +
	    (uint64_t)c->max_timeout);
	if (getrandom(auth.nonce, sizeof(auth.nonce), 0) !=
	    (ssize_t)sizeof(auth.nonce))
		return X402_ERR_IO;
	x402_eip712_domain_separator(sep, &c->dom);
	x402_eip712_eip3009_hash(sh, &auth);
	x402_eip712_digest(dg, sep, sh);
	if ((e = x402_sig_sign(ctx, sig, dg, key)) != 0)
		goto out;

	/* Key order of the official clients (notes §10.3). */
	e = X402_ERR_NOMEM;
	if ((payload = json_object_new_object()) == NULL ||
	    x402_json_put(payload, "authorization",
	    au = json_object_new_object()) != 0)
		goto out;
	x402_addr_format(buf, auth.from);
	if (add_str(au, "from", buf) != 0)
		goto out;
	x402_addr_format(buf, auth.to);
	if (add_str(au, "to", buf) != 0)
		goto out;
	x402_u256_format_dec(buf, sizeof(buf), &auth.value);
	if (add_str(au, "value", buf) != 0)
		goto out;
	x402_u256_format_dec(buf, sizeof(buf), &auth.valid_after);
	if (add_str(au, "validAfter", buf) != 0)
		goto out;
	x402_u256_format_dec(buf, sizeof(buf), &auth.valid_before);
	if (add_str(au, "validBefore", buf) != 0)
		goto out;
	x402_hex_encode(buf, sizeof(buf), auth.nonce, 32,
	    X402_HEX_PREFIX_REQUIRED);
	if (add_str(au, "nonce", buf) != 0)
		goto out;
	x402_hex_encode(buf, sizeof(buf), sig, sizeof(sig),
	    X402_HEX_PREFIX_REQUIRED);
	if (add_str(payload, "signature", buf) != 0)
		goto out;
	*out = payload;
	payload = NULL;
	e = 0;
 out:
	x402_wipe(sig, sizeof(sig));
	json_object_put(payload);
	return e;
}

/*
 * The signed `payload` of an upto offer, as the official upto client
 * builds it (notes §8.1): a Permit2 PermitWitnessTransferFrom of the
 * maximum, spender the upto proxy, a random 256-bit nonce, deadline now +
 * maxTimeoutSeconds, witness {payTo, facilitatorAddress, now - 600}.
 * Out: *out (caller puts).
 */
static int
upto_payload(struct json_object **out, const struct cand *c,
    const struct x402_sig_ctx *ctx, const uint8_t key[X402_SECKEY_LEN],
    const uint8_t from[X402_ADDR_LEN])
{
	struct x402_upto_payload u;
	struct x402_permit2 *pm = &u.permit;
	const char *asset = str(c->req, "asset");
	uint8_t nonce[32];
	uint64_t now = (uint64_t)time(NULL);
	int e;

	*out = NULL;
	memset(&u, 0, sizeof(u));
	pm->upto = 1;
	memcpy(u.from, from, X402_ADDR_LEN);
	if (x402_addr_parse(pm->token, asset, strlen(asset)) != 0)
		return X402_ERR_INVAL;
	pm->amount = c->amount;
	memcpy(pm->spender, x402_upto_proxy_address, X402_ADDR_LEN);
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return X402_ERR_IO;
	x402_u256_from_be(&pm->nonce, nonce);
	x402_u256_set_u64(&pm->deadline, now + (uint64_t)c->max_timeout);
	memcpy(pm->witness_to, c->pay_to, X402_ADDR_LEN);
	memcpy(pm->witness_facilitator, c->facilitator, X402_ADDR_LEN);
	x402_u256_set_u64(&pm->witness_valid_after, now - VALID_AFTER_BACK);
	if ((e = x402_upto_sign(ctx, &u, c->net->chain_id, key)) == 0)
		e = x402_upto_payload_json(out, &u);
	x402_wipe(&u.sig, sizeof(u.sig));
	return e;
}

/*
 * Signs c for key and builds the payment header value (base64) into *hdr.
 * In verbose mode prints the payment without its signature first.
 */
static int
sign_payment(struct x402_buf *hdr, const struct cand *c,
    struct json_object *pr, const struct x402_sig_ctx *ctx,
    const uint8_t key[X402_SECKEY_LEN], const uint8_t from[X402_ADDR_LEN],
    int verbose)
{
	struct json_object *root = NULL, *payload = NULL, *copy = NULL, *v;
	int e;

	if ((e = c->upto ? upto_payload(&payload, c, ctx, key, from) :
	    exact_payload(&payload, c, ctx, key, from)) != 0)
		return e;
	/* Key order of the official clients (notes §10.3). */
	e = X402_ERR_NOMEM;
	if ((root = json_object_new_object()) == NULL ||
	    x402_json_put(root, "x402Version",
	    json_object_new_int(c->version)) != 0)
		goto out;
	if (c->version == 1 && (add_str(root, "scheme", "exact") != 0 ||
	    add_str(root, "network", str(c->req, "network")) != 0))
		goto out;
	e = x402_json_put(root, "payload", payload);
	payload = NULL;
	if (e != 0)
		goto out;
	e = X402_ERR_NOMEM;
	if (c->version == 2) {
		if (json_object_object_get_ex(pr, "extensions", &v) &&
		    x402_json_put(root, "extensions", json_object_get(v)) != 0)
			goto out;
		if (json_object_object_get_ex(pr, "resource", &v) &&
		    x402_json_put(root, "resource", json_object_get(v)) != 0)
			goto out;
		if (x402_json_put(root, "accepted",
		    json_object_get(c->req)) != 0)
			goto out;
	}
	if (verbose) {
		/* A copy, shown without its signature. */
		if (json_object_deep_copy(root, &copy, NULL) != 0)
			goto out;
		if (json_object_object_get_ex(copy, "payload", &v))
			json_object_object_del(v, "signature");
		fprintf(stderr, "> %s (decoded; signature left out):\n",
		    c->version == 2 ? "PAYMENT-SIGNATURE" : "X-PAYMENT");
		cli_pretty(stderr, copy);
	}
	e = x402_protocol_b64json(hdr, root);
 out:
	json_object_put(copy);
	json_object_put(payload);
	json_object_put(root);
	return e;
}

/* Maps an x402_http_request error to an exit code, printing it. */
static int
transport_error(int e, const struct x402_detail *d)
{
	cli_err("%s", d->msg[0] ? d->msg : x402_strerror(e));
	switch (e) {
	case X402_ERR_NET:
	case X402_ERR_TIMEOUT:
		return CLI_TRANSPORT;
	case X402_ERR_UNSUPPORTED:
	case X402_ERR_INVAL:
		return CLI_USAGE;
	default:
		return CLI_OTHER;
	}
}

/* Writes the response (headers with -i, then the body) like curl. */
static int
write_response(const struct opts *op, const struct x402_http_response *r)
{
	FILE *f = stdout;
	int ok = 1;

	if (op->out != NULL && (f = fopen(op->out, "wb")) == NULL) {
		cli_err("%s: %s", op->out, strerror(errno));
		return -1;
	}
	if (op->include && r->headers.len > 0)
		ok &= fwrite(r->headers.p, 1, r->headers.len, f) ==
		    r->headers.len;
	if (r->body.len > 0)
		ok &= fwrite(r->body.p, 1, r->body.len, f) == r->body.len;
	ok &= fflush(f) == 0;
	/* A body on stdout that does not end a line: end it on stderr, so
	 * what follows starts on a new line; the body stays as it came. */
	if (f == stdout && r->body.len > 0 && r->body.p[r->body.len - 1] !=
	    '\n')
		fputc('\n', stderr);
	if (f != stdout)
		ok &= fclose(f) == 0;
	if (!ok)
		cli_err("%s: write error", op->out ? op->out : "stdout");
	return ok ? 0 : -1;
}

/* A response header's base64 JSON, or NULL. */
static struct json_object *
header_json(const struct x402_http_response *r, const char *name)
{
	struct json_object *o = NULL;
	struct x402_detail d;
	char *v;

	if ((v = malloc(X402_PAYMENT_HEADER_MAX + 1)) == NULL)
		return NULL;
	if (x402_http_response_header(v, X402_PAYMENT_HEADER_MAX + 1, r,
	    name) != 0 || cli_b64json(&o, &d, v, strlen(v)) != 0)
		o = NULL;
	free(v);
	return o;
}

/* Appends the elements of the array acc as version-v candidates. */
static void
add_offers(struct cand *cands, size_t *ncand, size_t max,
    struct json_object *acc, int v)
{
	size_t i, n = json_object_array_length(acc);

	for (i = 0; i < n && *ncand < max; i++) {
		memset(&cands[*ncand], 0, sizeof(cands[*ncand]));
		cands[*ncand].version = v;
		cands[*ncand].req = json_object_array_get_idx(acc, i);
		(*ncand)++;
	}
}

/*
 * Reads the offers of a 402 reply: the v2 PAYMENT-REQUIRED header first,
 * then a v1 JSON body.  Returns how many were put in cands (at most
 * max); *pr and *body (caller frees, NULL when absent) own the JSON the
 * candidates borrow.  Nothing is judged here.
 */
static size_t
read_offers(struct cand *cands, size_t max, struct json_object **pr,
    struct json_object **body, const struct x402_http_response *r1,
    int verbose)
{
	struct x402_detail d = { "" };
	struct json_object *acc;
	size_t ncand = 0;

	*pr = NULL;
	*body = NULL;
	if ((*pr = header_json(r1, "PAYMENT-REQUIRED")) != NULL &&
	    json_object_object_get_ex(*pr, "accepts", &acc) &&
	    json_object_is_type(acc, json_type_array)) {
		if (verbose) {
			fprintf(stderr, "< HTTP 402, PAYMENT-REQUIRED:\n");
			cli_pretty(stderr, *pr);
		}
		add_offers(cands, &ncand, max, acc, 2);
	}
	if (r1->body.len > 0 && x402_json_parse(body, &d, r1->body.p,
	    r1->body.len, X402_JSON_MAX_DEPTH) == 0 &&
	    json_object_object_get_ex(*body, "x402Version", &acc) &&
	    json_object_is_type(acc, json_type_int) &&
	    json_object_get_int(acc) == 1 &&
	    json_object_object_get_ex(*body, "accepts", &acc) &&
	    json_object_is_type(acc, json_type_array)) {
		if (verbose) {
			fprintf(stderr, "< HTTP 402, v1 body:\n");
			cli_pretty(stderr, *body);
		}
		add_offers(cands, &ncand, max, acc, 1);
	}
	return ncand;
}

/* Why the server refused the paid retry, on stderr. */
static void
report_rejection(const struct x402_http_response *r)
{
	struct json_object *pr = header_json(r, "PAYMENT-REQUIRED");
	struct json_object *st = header_json(r, "PAYMENT-RESPONSE");
	struct json_object *body = NULL;
	struct x402_detail d;
	const char *why = "";

	if (st == NULL)
		st = header_json(r, "X-PAYMENT-RESPONSE");
	if (r->body.len > 0 && r->body.p[0] == '{' &&
	    x402_json_parse(&body, &d, r->body.p, r->body.len,
	    X402_JSON_MAX_DEPTH) != 0)
		body = NULL;
	if (st != NULL && str(st, "errorReason")[0] != '\0')
		why = str(st, "errorReason");
	else if (pr != NULL && str(pr, "error")[0] != '\0')
		why = str(pr, "error");
	else if (body != NULL && str(body, "error")[0] != '\0')
		why = str(body, "error");
	cli_err("payment rejected: HTTP %ld%s%s", r->status,
	    why[0] ? ": " : "", cli_safe(why));
	json_object_put(pr);
	json_object_put(st);
	json_object_put(body);
}

/*
 * "paid 1000 (0.001 USDC) on eip155:84532, tx 0x..., to 0x..."; for upto
 * "paid 220 (0.00022 USDC) of at most 50000 (0.05 USDC) on ...", the
 * amount the server reports settled (PAYMENT-RESPONSE amount).
 */
static void
report_settlement(const struct x402_http_response *r, const struct cand *c)
{
	struct json_object *st = header_json(r, c->version == 2 ?
	    "PAYMENT-RESPONSE" : "X-PAYMENT-RESPONSE");
	char amt[200], max[200], to[X402_ADDR_STRLEN + 1], tx[80];
	const char *settled = str(st, "amount");
	x402_u256 v;

	fmt_amount(max, sizeof(max), c, &c->amount);
	x402_addr_format(to, c->pay_to);
	snprintf(tx, sizeof(tx), "%s", st ? cli_safe(str(st, "transaction")) :
	    "");
	if (!c->upto) {
		fprintf(stderr, "paid %s on %s, tx %s, to %s\n", max,
		    c->net->caip2, tx[0] ? tx : "(no settlement header)", to);
		goto out;
	}
	if (settled[0] == '\0' ||
	    x402_u256_parse_dec(&v, settled, strlen(settled)) != 0 ||
	    x402_u256_cmp(&v, &c->amount) > 0) {
		fprintf(stderr, "paid at most %s on %s, tx %s, to %s "
		    "(settled amount %s)\n", max, c->net->caip2,
		    tx[0] ? tx : "(none)", to, st == NULL ?
		    "unknown: no settlement header" : settled[0] == '\0' ?
		    "not reported" : "unreadable");
		goto out;
	}
	fmt_amount(amt, sizeof(amt), c, &v);
	if (x402_u256_is_zero(&v))
		fprintf(stderr, "paid 0 of at most %s on %s, no transaction "
		    "(nothing used), to %s\n", max, c->net->caip2, to);
	else
		fprintf(stderr, "paid %s of at most %s on %s, tx %s, to %s\n",
		    amt, max, c->net->caip2, tx[0] ? tx : "(none)", to);
 out:
	json_object_put(st);
}

static int
parse_opts(struct opts *op, int argc, char **argv,
    const struct x402_networks **tp, struct x402_networks **t)
{
	enum { O_DATA_BINARY = 256, O_KEY, O_MAX, O_NETWORK, O_PAYTO,
	    O_PROXY, O_NETWORKS, O_SCHEME, O_RPC };
	static const struct option lo[] = {
		{ "request", required_argument, NULL, 'X' },
		{ "header", required_argument, NULL, 'H' },
		{ "data", required_argument, NULL, 'd' },
		{ "data-binary", required_argument, NULL, O_DATA_BINARY },
		{ "output", required_argument, NULL, 'o' },
		{ "include", no_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-time", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, O_KEY },
		{ "max", required_argument, NULL, O_MAX },
		{ "network", required_argument, NULL, O_NETWORK },
		{ "pay-to-allow", required_argument, NULL, O_PAYTO },
		{ "proxy", required_argument, NULL, O_PROXY },
		{ "networks", required_argument, NULL, O_NETWORKS },
		{ "scheme", required_argument, NULL, O_SCHEME },
		{ "rpc", required_argument, NULL, O_RPC },
		{ NULL, 0, NULL, 0 }
	};
	const char *payto[MAX_PAYTO];
	size_t i, npayto = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "X:H:d:o:ivm:", lo, NULL)) !=
	    -1) {
		switch (c) {
		case 'X': op->method = optarg; break;
		case 'H':
			if (op->nhdrs == MAX_HEADERS) {
				cli_err("more than %d -H", MAX_HEADERS);
				return -1;
			}
			if (strncasecmp(optarg, "X-PAYMENT:", 10) == 0 ||
			    strncasecmp(optarg, "PAYMENT-SIGNATURE:", 18) ==
			    0) {
				cli_err("-H: the payment header is x402 pay's "
				    "to write");
				return -1;
			}
			op->hdrs[op->nhdrs++] = optarg;
			break;
		case 'd': op->data = optarg; break;
		case O_DATA_BINARY:
			if (optarg[0] != '@') {
				op->data = optarg;
				break;
			}
			if (op->have_file)
				x402_buf_free(&op->file);
			if (cli_read_file(&op->file, optarg + 1,
			    CLI_INPUT_MAX) != 0)
				return -1;
			op->have_file = 1;
			break;
		case 'o': op->out = optarg; break;
		case 'i': op->include = 1; break;
		case 'v': op->verbose = 1; break;
		case 'm':
			op->timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || op->timeout_s < 1 ||
			    op->timeout_s > 600) {
				cli_err("-m: 1..600 seconds");
				return -1;
			}
			break;
		case O_KEY: op->key = optarg; break;
		case O_MAX: op->max = optarg; break;
		case O_NETWORK:
			if (op->nnets == MAX_NETS) {
				cli_err("more than %d --network", MAX_NETS);
				return -1;
			}
			op->netnames[op->nnets++] = optarg;
			break;
		case O_PAYTO:
			if (npayto == MAX_PAYTO) {
				cli_err("more than %d --pay-to-allow",
				    MAX_PAYTO);
				return -1;
			}
			payto[npayto++] = optarg;
			break;
		case O_PROXY: op->proxy = optarg; break;
		case O_NETWORKS: op->conf = optarg; break;
		case O_SCHEME:
			if (strcmp(optarg, "exact") == 0)
				op->schemes = SCHEME_EXACT;
			else if (strcmp(optarg, "upto") == 0)
				op->schemes = SCHEME_UPTO;
			else {
				cli_err("--scheme: exact or upto");
				return -1;
			}
			break;
		case O_RPC: op->rpc = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc - 1) {
		cli_err("pay: one URL is required");
		return -1;
	}
	op->url = argv[optind];
	if (op->max == NULL) {
		cli_err("pay: --max PRICE is required (e.g. --max '$0.01')");
		return -1;
	}
	if (op->data != NULL && op->have_file) {
		cli_err("pay: -d and --data-binary @FILE together");
		return -1;
	}
	if (op->method == NULL)
		op->method = op->data || op->have_file ? "POST" : "GET";
	for (i = 0; i < npayto; i++) {
		if (x402_addr_parse(op->payto[i], payto[i],
		    strlen(payto[i])) != 0) {
			cli_err("--pay-to-allow: bad address \"%s\"",
			    payto[i]);
			return -1;
		}
	}
	op->npayto = npayto;
	if (cli_networks(t, op->conf) != 0)
		return -2;
	*tp = *t;
	for (i = 0; i < op->nnets; i++) {
		if ((op->nets[i] = x402_networks_find(*t,
		    op->netnames[i])) == NULL) {
			cli_err("--network: unknown network \"%s\"",
			    op->netnames[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * With an RPC URL (--rpc or X402_RPC_URL): refuses (CLI_POLICY) a payment
 * the payer cannot fund (balance under the amount signed) or, for upto,
 * has not let Permit2 move (allowance under the maximum), before anything
 * is signed.  Without one, CLI_OK: the server's verification decides.
 * Out: *rpc (the caller frees it).
 */
static int
check_funds(struct x402_rpc **rpc, const struct opts *op,
    const struct cand *c, const uint8_t from[X402_ADDR_LEN])
{
	x402_u256 bal, allow;
	char have[200], need[200];
	int rc;

	if ((rc = cli_rpc_open(rpc, op->rpc, op->proxy, op->timeout_s,
	    c->net->chain_id)) != CLI_OK || *rpc == NULL)
		return rc;
	if ((rc = cli_token_state(*rpc, &bal, c->upto ? &allow : NULL,
	    c->token, from, x402_permit2_address)) != CLI_OK)
		return rc;
	fmt_amount(need, sizeof(need), c, &c->amount);
	if (x402_u256_cmp(&bal, &c->amount) < 0) {
		fmt_amount(have, sizeof(have), c, &bal);
		cli_err("refusing to pay: balance %s is below the %s %s",
		    have, c->upto ? "maximum" : "price", need);
		return CLI_POLICY;
	}
	if (c->upto && x402_u256_cmp(&allow, &c->amount) < 0) {
		fmt_amount(have, sizeof(have), c, &allow);
		cli_err("refusing to pay: the Permit2 allowance %s is below "
		    "the maximum %s; the upto scheme needs one: x402 approve "
		    "--network %s --asset %s --amount AMOUNT", have, need,
		    c->net->caip2, str(c->req, "asset"));
		return CLI_POLICY;
	}
	return CLI_OK;
}

int
cmd_pay(int argc, char **argv)
{
	struct opts op;
	struct x402_networks *t = NULL;
	const struct x402_networks *tc = NULL;
	struct x402_sig_ctx *ctx = NULL;
	struct x402_http *h = NULL;
	struct x402_http_opts ho;
	struct x402_http_response r1, r2;
	struct x402_detail d = { "" };
	struct json_object *pr = NULL, *body = NULL;
	struct cand cands[MAX_CANDS], *pick = NULL;
	struct x402_buf hdr, line;
	uint8_t key[X402_SECKEY_LEN], from[X402_ADDR_LEN];
	const void *data = NULL;
	size_t datalen = 0, ncand = 0, i;
	struct x402_rpc *rpc = NULL;
	int rc = CLI_OTHER, e, v, http_up = 0;

	memset(&op, 0, sizeof(op));
	op.schemes = SCHEME_EXACT | SCHEME_UPTO;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(key, 0, sizeof(key));
	x402_buf_init(&hdr, X402_PAYMENT_HEADER_MAX);
	x402_buf_init(&line, X402_HTTP_HEADER_MAX);
	if ((e = parse_opts(&op, argc, argv, &tc, &t)) != 0) {
		rc = e == -2 ? CLI_OTHER : CLI_USAGE;
		goto out;
	}
	if ((e = x402_sig_ctx_new(&ctx)) != 0) {
		cli_err("%s", x402_strerror(e));
		goto out;
	}
	if ((rc = cli_key_load(ctx, key, from, op.key, "pay")) != CLI_OK)
		goto out;
	rc = CLI_OTHER;
	if (op.have_file) {
		data = op.file.p ? op.file.p : "";
		datalen = op.file.len;
	} else if (op.data != NULL) {
		data = op.data;
		datalen = strlen(op.data);
	}

	if (x402_http_global_init() != 0) {
		cli_err("cannot initialise libcurl");
		goto out;
	}
	http_up = 1;
	memset(&ho, 0, sizeof(ho));
	ho.proxy = op.proxy;
	ho.timeout_ms = op.timeout_s * 1000;
	ho.max_response = 256 * 1024 * 1024;
	if ((e = x402_http_new(&h, &ho, &d)) != 0) {
		cli_err("%s", d.msg);
		goto out;
	}
	op.hdrs[op.nhdrs] = NULL;
	if ((e = x402_http_request(h, &r1, op.method, op.url, op.hdrs, data,
	    datalen, &d)) != 0) {
		rc = transport_error(e, &d);
		goto out;
	}
	if (r1.status != 402) {
		if (write_response(&op, &r1) != 0)
			goto out;
		if (r1.status >= 200 && r1.status < 300)
			rc = CLI_OK;
		else {
			cli_err("HTTP %ld (no payment was asked for)",
			    r1.status);
			rc = CLI_OTHER;
		}
		goto out;
	}

	ncand = read_offers(cands, MAX_CANDS, &pr, &body, &r1, op.verbose);
	if (ncand == 0) {
		cli_err("HTTP 402 without x402 payment requirements");
		rc = CLI_POLICY;
		goto out;
	}
	for (i = 0; i < ncand; i++) {
		if (!json_object_is_type(cands[i].req, json_type_object)) {
			snprintf(cands[i].why, sizeof(cands[i].why),
			    "not an object");
			continue;
		}
		/* The first acceptable exact offer, else the first upto. */
		if (judge(&cands[i], &op, tc) == 0 && (pick == NULL ||
		    (pick->upto && !cands[i].upto)))
			pick = &cands[i];
	}
	if (pick == NULL) {
		cli_err("refusing to pay: no acceptable offer");
		for (i = 0; i < ncand; i++)
			fprintf(stderr, "  offer %zu (v%d): %s\n", i + 1,
			    cands[i].version, cands[i].why);
		rc = CLI_POLICY;
		goto out;
	}

	if ((rc = check_funds(&rpc, &op, pick, from)) != CLI_OK)
		goto out;
	rc = CLI_OTHER;
	if ((e = sign_payment(&hdr, pick, pr, ctx, key, from,
	    op.verbose)) != 0) {
		cli_err("signing: %s", x402_strerror(e));
		goto out;
	}
	v = pick->version;
	if (x402_buf_printf(&line, "%s: %s", v == 2 ? "PAYMENT-SIGNATURE" :
	    "X-PAYMENT", hdr.p) != 0) {
		cli_err("payment header too long");
		goto out;
	}
	op.hdrs[op.nhdrs] = line.p;
	op.hdrs[op.nhdrs + 1] = "Access-Control-Expose-Headers: "
	    "PAYMENT-RESPONSE,X-PAYMENT-RESPONSE";
	op.hdrs[op.nhdrs + 2] = NULL;
	if ((e = x402_http_request(h, &r2, op.method, op.url, op.hdrs, data,
	    datalen, &d)) != 0) {
		rc = transport_error(e, &d);
		cli_err("the payment was sent; the server may have settled "
		    "it");
		goto out;
	}
	if (r2.status < 200 || r2.status > 299) {
		report_rejection(&r2);
		if (write_response(&op, &r2) != 0)
			goto out;
		rc = CLI_REJECTED;
		goto out;
	}
	report_settlement(&r2, pick);
	if (write_response(&op, &r2) != 0)
		goto out;
	rc = CLI_OK;
 out:
	x402_wipe(key, sizeof(key));
	x402_buf_free(&hdr);
	x402_buf_free(&line);
	x402_buf_free(&op.file);
	json_object_put(pr);
	json_object_put(body);
	x402_http_response_free(&r1);
	x402_http_response_free(&r2);
	x402_http_free(h);
	x402_rpc_free(rpc);
	if (http_up)
		x402_http_global_cleanup();
	x402_sig_ctx_free(ctx);
	x402_networks_free(t);
	return rc;
}
