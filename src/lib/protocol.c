/* protocol.c - x402 requirements, 402 replies, payment headers. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json.h"
#include "protocol.h"

#define ADDR_FIELD_MAX 42
#define NUM_FIELD_MAX 78
#define SIG_FIELD_MAX 4096	/* hex characters of a smart-wallet signature */

const uint8_t x402_permit2_address[X402_ADDR_LEN] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0xd4, 0x73, 0x03, 0x0f,
	0x11, 0x6d, 0xde, 0xe9, 0xf6, 0xb4, 0x3a, 0xc7, 0x8b, 0xa3
};
const uint8_t x402_upto_proxy_address[X402_ADDR_LEN] = {
	0x40, 0x20, 0xa4, 0xf3, 0xb7, 0xb9, 0x0c, 0xca, 0x42, 0x3b,
	0x9f, 0xab, 0xcc, 0x0c, 0xe5, 0x7c, 0x6c, 0x24, 0x00, 0x02
};

const char *
x402_scheme_name(enum x402_scheme s)
{
	return s == X402_SCHEME_UPTO ? "upto" : "exact";
}

static int
add_str(struct json_object *obj, const char *key, const char *s)
{
	return x402_json_put(obj, key, json_object_new_string(s));
}

static int
add_addr(struct json_object *obj, const char *key, const uint8_t a[20])
{
	char txt[X402_ADDR_STRLEN + 1];

	x402_addr_format(txt, a);
	return add_str(obj, key, txt);
}

static int
add_u256(struct json_object *obj, const char *key, const x402_u256 *v)
{
	char txt[X402_U256_DECLEN + 1];

	if (x402_u256_format_dec(txt, sizeof(txt), v) < 0)
		return X402_ERR_INTERNAL;
	return add_str(obj, key, txt);
}

static int
add_extra(struct json_object *obj, const struct x402_offer *o)
{
	struct json_object *extra = json_object_new_object();
	int r;

	if (extra == NULL)
		return X402_ERR_NOMEM;
	if ((r = add_str(extra, "name", o->asset->eip712_name)) != 0 ||
	    (r = add_str(extra, "version", o->asset->eip712_version)) != 0 ||
	    (o->scheme == X402_SCHEME_UPTO &&
	    (r = add_str(extra, "assetTransferMethod", "permit2")) != 0) ||
	    (o->scheme == X402_SCHEME_UPTO && o->has_facilitator &&
	    (r = add_addr(extra, "facilitatorAddress", o->facilitator)) != 0)) {
		json_object_put(extra);
		return r;
	}
	return x402_json_put(obj, "extra", extra);
}

int
x402_offer_v2_json(struct json_object **out, const struct x402_offer *o)
{
	struct json_object *req;
	int r;

	*out = NULL;
	if ((req = json_object_new_object()) == NULL)
		return X402_ERR_NOMEM;
	if ((r = add_str(req, "scheme", x402_scheme_name(o->scheme))) != 0 ||
	    (r = add_str(req, "network", o->net->caip2)) != 0 ||
	    (r = add_u256(req, "amount", &o->amount)) != 0 ||
	    (r = add_addr(req, "asset", o->asset->address)) != 0 ||
	    (r = add_addr(req, "payTo", o->pay_to)) != 0 ||
	    (r = x402_json_put(req, "maxTimeoutSeconds",
	    json_object_new_int64(o->max_timeout_seconds))) != 0 ||
	    (r = add_extra(req, o)) != 0) {
		json_object_put(req);
		return r;
	}
	*out = req;
	return 0;
}

int
x402_offer_v1_json(struct json_object **out, const struct x402_offer *o,
    const struct x402_resource *res)
{
	struct json_object *req = NULL, *schema = NULL, *input = NULL;
	int r;

	*out = NULL;
	if (o->scheme != X402_SCHEME_EXACT || o->net->v1_name[0] == '\0')
		return X402_ERR_UNSUPPORTED;
	if ((req = json_object_new_object()) == NULL ||
	    (schema = json_object_new_object()) == NULL ||
	    (input = json_object_new_object()) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	/* Key order of the legacy x402-express server. */
	if ((r = add_str(req, "scheme", "exact")) != 0 ||
	    (r = add_str(req, "network", o->net->v1_name)) != 0 ||
	    (r = add_u256(req, "maxAmountRequired", &o->amount)) != 0 ||
	    (r = add_str(req, "resource", res->url)) != 0 ||
	    (r = add_str(req, "description", res->description)) != 0 ||
	    (r = add_str(req, "mimeType", res->mime_type)) != 0 ||
	    (r = add_addr(req, "payTo", o->pay_to)) != 0 ||
	    (r = x402_json_put(req, "maxTimeoutSeconds",
	    json_object_new_int64(o->max_timeout_seconds))) != 0 ||
	    (r = add_addr(req, "asset", o->asset->address)) != 0)
		goto out;
	if ((r = add_str(input, "type", "http")) != 0 ||
	    (r = add_str(input, "method", res->method ? res->method :
	    "GET")) != 0 ||
	    (r = x402_json_put(input, "discoverable", json_object_new_boolean(1))) != 0)
		goto out;
	r = x402_json_put(schema, "input", input);
	input = NULL;
	if (r != 0)
		goto out;
	r = x402_json_put(req, "outputSchema", schema);
	schema = NULL;
	if (r != 0 || (r = add_extra(req, o)) != 0)
		goto out;
	*out = req;
	req = NULL;
out:
	json_object_put(input);
	json_object_put(schema);
	json_object_put(req);
	return r;
}

int
x402_protocol_b64json(struct x402_buf *b, struct json_object *o)
{
	const char *s;
	size_t n, w;
	int r;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return X402_ERR_NOMEM;
	if ((r = x402_buf_reserve(b, x402_base64_len(n))) != 0)
		return r;
	if (x402_base64_encode(b->p + b->len, b->cap - b->len, &w,
	    (const uint8_t *)s, n) != 0)
		return X402_ERR_INTERNAL;
	b->len += w;
	return 0;
}

int
x402_payment_required(struct x402_buf *v1_body, struct x402_buf *v2_header,
    struct x402_detail *d, const struct x402_resource *res,
    const struct x402_offer *offers, struct json_object *const *v2_accepts,
    size_t n, const char *error_v1, const char *error_v2)
{
	return x402_payment_required_ext(v1_body, v2_header, d, res, offers,
	    v2_accepts, n, error_v1, error_v2, NULL);
}

int
x402_payment_required_ext(struct x402_buf *v1_body,
    struct x402_buf *v2_header, struct x402_detail *d,
    const struct x402_resource *res, const struct x402_offer *offers,
    struct json_object *const *v2_accepts, size_t n, const char *error_v1,
    const char *error_v2, struct json_object *extensions)
{
	struct json_object *v1 = NULL, *v2 = NULL, *acc1 = NULL, *acc2 = NULL;
	struct json_object *resource = NULL, *e;
	size_t i;
	int r;

	if ((v1 = json_object_new_object()) == NULL ||
	    (v2 = json_object_new_object()) == NULL ||
	    (acc1 = json_object_new_array()) == NULL ||
	    (acc2 = json_object_new_array()) == NULL ||
	    (resource = json_object_new_object()) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = x402_offer_v1_json(&e, &offers[i], res);
		if (r == X402_ERR_UNSUPPORTED)
			continue;
		if (r != 0 || (r = json_object_array_add(acc1, e)) != 0) {
			json_object_put(e);
			r = X402_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (v2_accepts != NULL)
			e = json_object_get(v2_accepts[i]);
		else if ((r = x402_offer_v2_json(&e, &offers[i])) != 0)
			goto out;
		if (json_object_array_add(acc2, e) != 0) {
			json_object_put(e);
			r = X402_ERR_NOMEM;
			goto out;
		}
	}
	if ((r = x402_json_put(v1, "x402Version", json_object_new_int(1))) != 0 ||
	    (r = add_str(v1, "error", error_v1 ? error_v1 : "")) != 0)
		goto out;
	r = x402_json_put(v1, "accepts", acc1);
	acc1 = NULL;
	if (r != 0)
		goto out;
	if ((r = x402_json_put(v2, "x402Version", json_object_new_int(2))) != 0 ||
	    (error_v2 != NULL && (r = add_str(v2, "error", error_v2)) != 0))
		goto out;
	if ((r = add_str(resource, "url", res->url)) != 0 ||
	    (r = add_str(resource, "description", res->description)) != 0 ||
	    (r = add_str(resource, "mimeType", res->mime_type)) != 0)
		goto out;
	r = x402_json_put(v2, "resource", resource);
	resource = NULL;
	if (r != 0)
		goto out;
	r = x402_json_put(v2, "accepts", acc2);
	acc2 = NULL;
	if (r != 0)
		goto out;
	if (extensions != NULL && (r = x402_json_put(v2, "extensions",
	    json_object_get(extensions))) != 0)
		goto out;
	if ((r = x402_json_append(v1_body, v1)) != 0 ||
	    (r = x402_protocol_b64json(v2_header, v2)) != 0) {
		x402_fail(d, r, "402 reply over its size limit");
		goto out;
	}
out:
	json_object_put(resource);
	json_object_put(acc1);
	json_object_put(acc2);
	json_object_put(v1);
	json_object_put(v2);
	return r;
}

static int
get_addr(uint8_t out[20], struct x402_detail *d, struct json_object *o,
    const char *what, const char *key)
{
	const char *s;
	size_t n;
	int r;

	if ((r = x402_json_string(&s, &n, d, o, what, key, 64)) != 0)
		return r == X402_ERR_NOTFOUND ? X402_ERR_PROTOCOL : r;
	if ((r = x402_addr_parse(out, s, n)) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "%s.%s is not an "
		    "address (%s)", what, key, x402_strerror(r));
	return 0;
}

static int
get_dec(x402_u256 *v, struct x402_detail *d, struct json_object *o,
    const char *what, const char *key)
{
	const char *s;
	size_t n;
	int r;

	if ((r = x402_json_string(&s, &n, d, o, what, key,
	    NUM_FIELD_MAX)) != 0)
		return r == X402_ERR_NOTFOUND || r == X402_ERR_LIMIT ?
		    X402_ERR_PROTOCOL : r;
	if ((r = x402_u256_parse_dec(v, s, n)) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, r == X402_ERR_RANGE ?
		    "%s.%s: number out of range (more than 2^256-1)" :
		    "%s.%s is not a decimal integer string", what, key);
	return 0;
}

static int
decode_exact(struct x402_exact_payload *e, struct x402_detail *d,
    struct json_object *payload)
{
	struct json_object *auth;
	const char *s;
	size_t n;
	int r;

	if ((r = x402_json_object(&auth, d, payload, "payload",
	    "authorization")) != 0)
		return X402_ERR_PROTOCOL;
	if ((r = get_addr(e->auth.from, d, auth, "authorization", "from")) ||
	    (r = get_addr(e->auth.to, d, auth, "authorization", "to")) ||
	    (r = get_dec(&e->auth.value, d, auth, "authorization", "value")) ||
	    (r = get_dec(&e->auth.valid_after, d, auth, "authorization",
	    "validAfter")) ||
	    (r = get_dec(&e->auth.valid_before, d, auth, "authorization",
	    "validBefore")))
		return X402_ERR_PROTOCOL;
	if (x402_json_string(&s, &n, d, auth, "authorization", "nonce",
	    66) != 0)
		return X402_ERR_PROTOCOL;
	if (x402_hex_decode_exact(e->auth.nonce, 32, s, n) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "authorization.nonce "
		    "must be 0x and 64 hex digits");
	if (x402_json_string(&s, &n, d, payload, "payload", "signature",
	    SIG_FIELD_MAX) != 0)
		return X402_ERR_PROTOCOL;
	if (n == 2 + 2 * X402_SIG_LEN) {
		if (x402_hex_decode_exact(e->sig, X402_SIG_LEN, s, n) != 0)
			return x402_fail(d, X402_ERR_PROTOCOL,
			    "payload.signature is not hex");
		e->eoa_sig = 1;
	} else {
		uint8_t tmp[SIG_FIELD_MAX / 2];
		size_t got;

		if (n < 2 + 2 * X402_SIG_LEN ||
		    x402_hex_decode(tmp, sizeof(tmp), &got, s, n,
		    X402_HEX_PREFIX_REQUIRED) != 0)
			return x402_fail(d, X402_ERR_PROTOCOL,
			    "payload.signature must be 0x and at least 130 "
			    "hex digits");
		e->eoa_sig = 0;
	}
	return 0;
}

static int
decode_sig(uint8_t sig[X402_SIG_LEN], int *eoa, struct x402_detail *d,
    struct json_object *payload)
{
	uint8_t tmp[SIG_FIELD_MAX / 2];
	const char *s;
	size_t n, got;

	if (x402_json_string(&s, &n, d, payload, "payload", "signature",
	    SIG_FIELD_MAX) != 0)
		return X402_ERR_PROTOCOL;
	if (n == 2 + 2 * X402_SIG_LEN) {
		if (x402_hex_decode_exact(sig, X402_SIG_LEN, s, n) != 0)
			return x402_fail(d, X402_ERR_PROTOCOL,
			    "payload.signature is not hex");
		*eoa = 1;
		return 0;
	}
	if (n < 2 + 2 * 64 || x402_hex_decode(tmp, sizeof(tmp), &got, s, n,
	    X402_HEX_PREFIX_REQUIRED) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "payload.signature "
		    "must be 0x and at least 128 hex digits");
	*eoa = 0;
	return 0;
}

/* A uint256 given as a decimal string or as 0x-hex (the nonce). */
static int
get_dec_or_hex(x402_u256 *v, struct x402_detail *d, struct json_object *o,
    const char *what, const char *key)
{
	const char *s;
	size_t n;
	int r;

	if (x402_json_string(&s, &n, d, o, what, key, NUM_FIELD_MAX) != 0)
		return X402_ERR_PROTOCOL;
	r = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ?
	    x402_u256_parse_hex(v, s, n) : x402_u256_parse_dec(v, s, n);
	if (r != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, r == X402_ERR_RANGE ?
		    "%s.%s: number out of range (more than 2^256-1)" :
		    "%s.%s is not a uint256 (decimal or 0x-hex string)", what,
		    key);
	return 0;
}

static int
decode_upto(struct x402_upto_payload *u, struct x402_detail *d,
    struct json_object *payload)
{
	struct json_object *auth, *perm, *wit;
	struct x402_permit2 *pm = &u->permit;

	pm->upto = 1;
	if (x402_json_object(&auth, d, payload, "payload",
	    "permit2Authorization") != 0 ||
	    x402_json_object(&perm, d, auth, "permit2Authorization",
	    "permitted") != 0 ||
	    x402_json_object(&wit, d, auth, "permit2Authorization",
	    "witness") != 0)
		return X402_ERR_PROTOCOL;
	if (get_addr(u->from, d, auth, "permit2Authorization", "from") ||
	    get_addr(pm->token, d, perm, "permitted", "token") ||
	    get_dec(&pm->amount, d, perm, "permitted", "amount") ||
	    get_addr(pm->spender, d, auth, "permit2Authorization",
	    "spender") ||
	    get_dec_or_hex(&pm->nonce, d, auth, "permit2Authorization",
	    "nonce") ||
	    get_dec(&pm->deadline, d, auth, "permit2Authorization",
	    "deadline") ||
	    get_addr(pm->witness_to, d, wit, "witness", "to") ||
	    get_addr(pm->witness_facilitator, d, wit, "witness",
	    "facilitator") ||
	    get_dec(&pm->witness_valid_after, d, wit, "witness",
	    "validAfter"))
		return X402_ERR_PROTOCOL;
	return decode_sig(u->sig, &u->eoa_sig, d, payload);
}

void
x402_upto_digest(uint8_t out[32], const struct x402_upto_payload *u,
    uint64_t chain_id)
{
	struct x402_eip712_domain dom;
	uint8_t sep[32], sh[32];

	memset(&dom, 0, sizeof(dom));
	snprintf(dom.name, sizeof(dom.name), "Permit2");
	dom.has_version = 0;
	dom.chain_id = chain_id;
	memcpy(dom.verifying_contract, x402_permit2_address, X402_ADDR_LEN);
	x402_eip712_domain_separator(sep, &dom);
	x402_eip712_permit2_hash(sh, &u->permit);
	x402_eip712_digest(out, sep, sh);
}

int
x402_upto_sign(const struct x402_sig_ctx *ctx, struct x402_upto_payload *u,
    uint64_t chain_id, const uint8_t seckey[X402_SECKEY_LEN])
{
	uint8_t dg[32];
	int r;

	if (!u->permit.upto)
		return X402_ERR_INVAL;
	x402_upto_digest(dg, u, chain_id);
	if ((r = x402_sig_sign(ctx, u->sig, dg, seckey)) != 0)
		return r;
	u->eoa_sig = 1;
	return 0;
}

int
x402_upto_payload_json(struct json_object **out,
    const struct x402_upto_payload *u)
{
	const struct x402_permit2 *pm = &u->permit;
	struct json_object *pl = NULL, *auth, *perm, *wit;
	char hex[2 * X402_SIG_LEN + 3];
	int r = X402_ERR_NOMEM;

	*out = NULL;
	if (!pm->upto || !u->eoa_sig)
		return X402_ERR_INVAL;
	if ((pl = json_object_new_object()) == NULL)
		goto out;
	if (x402_hex_encode(hex, sizeof(hex), u->sig, X402_SIG_LEN,
	    X402_HEX_PREFIX_REQUIRED) < 0) {
		r = X402_ERR_INTERNAL;
		goto out;
	}
	/* Objects are added empty, then filled (the parent owns them). */
	if ((r = add_str(pl, "signature", hex)) != 0 ||
	    (r = x402_json_put(pl, "permit2Authorization",
	    auth = json_object_new_object())) != 0 ||
	    (r = add_addr(auth, "from", u->from)) != 0 ||
	    (r = x402_json_put(auth, "permitted",
	    perm = json_object_new_object())) != 0 ||
	    (r = add_addr(perm, "token", pm->token)) != 0 ||
	    (r = add_u256(perm, "amount", &pm->amount)) != 0 ||
	    (r = add_addr(auth, "spender", pm->spender)) != 0 ||
	    (r = add_u256(auth, "nonce", &pm->nonce)) != 0 ||
	    (r = add_u256(auth, "deadline", &pm->deadline)) != 0 ||
	    (r = x402_json_put(auth, "witness",
	    wit = json_object_new_object())) != 0 ||
	    (r = add_addr(wit, "to", pm->witness_to)) != 0 ||
	    (r = add_addr(wit, "facilitator", pm->witness_facilitator)) != 0 ||
	    (r = add_u256(wit, "validAfter", &pm->witness_valid_after)) != 0)
		goto out;
	*out = pl;
	pl = NULL;
out:
	json_object_put(pl);
	return r;
}

int
x402_payment_decode(struct x402_payment *p, struct x402_detail *d,
    const char *hdr, size_t len)
{
	uint8_t *raw = NULL;
	struct json_object *v = NULL;
	const char *s;
	size_t rawlen, n;
	int64_t version;
	int r;

	memset(p, 0, sizeof(*p));
	if (len == 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "empty payment header");
	if (len > X402_PAYMENT_HEADER_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "payment header longer "
		    "than %d characters", X402_PAYMENT_HEADER_MAX);
	if ((raw = malloc(len / 4 * 3 + 3)) == NULL)
		return X402_ERR_NOMEM;
	if ((r = x402_base64_decode(raw, len / 4 * 3 + 3, &rawlen, hdr,
	    len)) != 0) {
		r = x402_fail(d, X402_ERR_SYNTAX, "payment header is not "
		    "standard base64");
		goto out;
	}
	if ((r = x402_json_parse(&p->root, d, (const char *)raw, rawlen,
	    X402_JSON_MAX_DEPTH)) != 0)
		goto out;
	if (!json_object_is_type(p->root, json_type_object)) {
		r = x402_fail(d, X402_ERR_PROTOCOL, "payment is not a JSON "
		    "object");
		goto out;
	}
	if ((r = x402_json_int(&version, d, p->root, "payment",
	    "x402Version")) != 0) {
		r = X402_ERR_PROTOCOL;
		goto out;
	}
	if (version != 1 && version != 2) {
		r = x402_fail(d, X402_ERR_PROTOCOL, "x402Version %lld is not "
		    "supported (1 or 2)", (long long)version);
		goto out;
	}
	p->version = (int)version;
	if ((r = x402_json_object(&p->payload, d, p->root, "payment",
	    "payload")) != 0) {
		r = X402_ERR_PROTOCOL;
		goto out;
	}
	if (p->version == 1) {
		v = p->root;
	} else {
		if ((r = x402_json_object(&p->accepted, d, p->root, "payment",
		    "accepted")) != 0) {
			r = X402_ERR_PROTOCOL;
			goto out;
		}
		v = p->accepted;
		if (json_object_object_get_ex(p->root, "extensions",
		    &p->extensions) && p->extensions != NULL &&
		    !json_object_is_type(p->extensions, json_type_object)) {
			r = x402_fail(d, X402_ERR_PROTOCOL, "payment.extensions "
			    "must be an object");
			goto out;
		}
	}
	if (x402_json_string(&s, &n, d, v, p->version == 1 ? "payment" :
	    "accepted", "scheme", X402_SCHEME_MAX) != 0) {
		r = X402_ERR_PROTOCOL;
		goto out;
	}
	memcpy(p->scheme, s, n + 1);
	if (x402_json_string(&s, &n, d, v, p->version == 1 ? "payment" :
	    "accepted", "network", X402_NET_CAIP2_MAX) != 0) {
		r = X402_ERR_PROTOCOL;
		goto out;
	}
	memcpy(p->network, s, n + 1);
	if (strcmp(p->scheme, "exact") == 0 &&
	    (r = decode_exact(&p->exact, d, p->payload)) != 0)
		goto out;
	if (strcmp(p->scheme, "upto") == 0 && p->version == 2 &&
	    (r = decode_upto(&p->upto, d, p->payload)) != 0)
		goto out;
	r = 0;
out:
	free(raw);
	return r;
}

void
x402_payment_free(struct x402_payment *p)
{
	if (p == NULL)
		return;
	json_object_put(p->root);
	memset(p, 0, sizeof(*p));
}

/* Every key of `want` is in `got` with an equal value. */
static int
subset(struct json_object *want, struct json_object *got)
{
	struct json_object_iterator it, end;

	if (!json_object_is_type(want, json_type_object) ||
	    !json_object_is_type(got, json_type_object))
		return 0;
	it = json_object_iter_begin(want);
	end = json_object_iter_end(want);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		struct json_object *g;

		if (!json_object_object_get_ex(got,
		    json_object_iter_peek_name(&it), &g) ||
		    !json_object_equal(json_object_iter_peek_value(&it), g))
			return 0;
	}
	return 1;
}

static int
v2_matches(struct json_object *offer, struct json_object *accepted)
{
	struct json_object_iterator it, end;
	size_t core = 0;

	/* Same core keys, equal values; extra a superset of the offer's. */
	it = json_object_iter_begin(offer);
	end = json_object_iter_end(offer);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *g;

		if (!json_object_object_get_ex(accepted, k, &g))
			return 0;
		if (strcmp(k, "extra") == 0) {
			if (!subset(json_object_iter_peek_value(&it), g))
				return 0;
		} else if (!json_object_equal(json_object_iter_peek_value(&it),
		    g))
			return 0;
		core++;
	}
	/* No keys beyond the offer's (extra aside, counted above). */
	return (size_t)json_object_object_length(accepted) == core;
}

int
x402_payment_match(size_t *idx, const struct x402_payment *p,
    const struct x402_offer *offers, struct json_object *const *v2_accepts,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p->version == 1) {
			if (offers[i].scheme == X402_SCHEME_EXACT &&
			    strcmp(p->scheme, "exact") == 0 &&
			    offers[i].net->v1_name[0] != '\0' &&
			    strcmp(p->network, offers[i].net->v1_name) == 0) {
				*idx = i;
				return 0;
			}
		} else if (v2_accepts != NULL && p->accepted != NULL &&
		    v2_matches(v2_accepts[i], p->accepted)) {
			*idx = i;
			return 0;
		}
	}
	return X402_ERR_NOTFOUND;
}

int
x402_settlement_header(struct x402_buf *b64, const struct x402_settlement *s)
{
	struct json_object *o;
	int r;

	if ((o = json_object_new_object()) == NULL)
		return X402_ERR_NOMEM;
	if ((r = x402_json_put(o, "success", json_object_new_boolean(s->success))) != 0 ||
	    (!s->success && (r = add_str(o, "errorReason",
	    s->error_reason)) != 0) ||
	    (r = add_str(o, "transaction", s->transaction)) != 0 ||
	    (r = add_str(o, "network", s->network)) != 0 ||
	    (s->payer[0] != '\0' && (r = add_str(o, "payer", s->payer)) != 0) ||
	    (s->has_amount && (r = add_u256(o, "amount", &s->amount)) != 0))
		goto out;
	r = x402_protocol_b64json(b64, o);
out:
	json_object_put(o);
	return r;
}
