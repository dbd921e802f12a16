/*
 * protocol.h - x402 messages on the wire, v1 and v2 (notes §2-3).
 *
 * Rules:
 *  - An offer is one entry of `accepts`: a scheme, a network and asset
 *    (borrowed from the network table), an amount in atomic units, a
 *    recipient and a timeout.  Requirements are generated from offers,
 *    always with integer amount strings and EIP-55 addresses.
 *  - One 402 serves both versions: a v1 JSON body {x402Version:1, error,
 *    accepts} (only offers a v1 client can use: exact scheme on a network
 *    with a v1 name) and the v2 PAYMENT-REQUIRED header (base64 of compact
 *    JSON).  Key order follows the official servers byte for byte.
 *  - A payment header (X-PAYMENT or PAYMENT-SIGNATURE) is decoded with
 *    caps at every step (header length, base64, JSON depth, duplicate
 *    keys, string lengths) and validated strictly by type.  The decoded
 *    payment owns its JSON tree, which is kept verbatim for a facilitator.
 */
#ifndef X402_PROTOCOL_H
#define X402_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "eip712.h"
#include "error.h"
#include "network.h"
#include "sig.h"
#include "u256.h"

#define X402_PAYMENT_HEADER_MAX 16384	/* base64 characters */
#define X402_SCHEME_MAX 16
#define X402_REASON_MAX 128

enum x402_scheme {
	X402_SCHEME_EXACT = 0,
	X402_SCHEME_UPTO = 1,
};

/*
 * Canonical Permit2 and the x402 upto proxy (notes §4.5): the same
 * address on every chain.  The upto scheme (notes §8.1) is Permit2 only:
 * the payer signs a PermitWitnessTransferFrom for the maximum with the
 * upto proxy as spender and a witness {to, facilitator, validAfter}; the
 * facilitator (the only sender the proxy accepts) later settles any
 * amount up to the maximum, once.
 */
extern const uint8_t x402_permit2_address[X402_ADDR_LEN];
extern const uint8_t x402_upto_proxy_address[X402_ADDR_LEN];

struct x402_offer {
	enum x402_scheme scheme;
	const struct x402_network *net;		/* borrowed */
	const struct x402_asset *asset;		/* borrowed */
	x402_u256 amount;			/* atomic units */
	uint8_t pay_to[X402_ADDR_LEN];
	unsigned max_timeout_seconds;
	/* upto: amount is the maximum; the facilitator that may settle */
	int has_facilitator;
	uint8_t facilitator[X402_ADDR_LEN];
};

/* What is being sold (the `resource` of a requirement). */
struct x402_resource {
	const char *url;		/* absolute URL of the request */
	const char *description;	/* "" allowed */
	const char *mime_type;		/* "" allowed */
	const char *method;		/* "GET", "POST": v1 outputSchema */
};

/* Name of a scheme ("exact", "upto"). */
const char *x402_scheme_name(enum x402_scheme s);

/*
 * The v2 requirement object of an offer: {scheme, network, amount, asset,
 * payTo, maxTimeoutSeconds, extra:{name, version}}; for upto, extra is
 * {name, version, assetTransferMethod:"permit2", facilitatorAddress} (the
 * last only when has_facilitator), as the official upto server builds it.
 * Out: *out (caller puts).  Returns 0 or X402_ERR_NOMEM.
 */
int x402_offer_v2_json(struct json_object **out, const struct x402_offer *o)
    X402_WARN_UNUSED;

/*
 * The v1 requirement object of an offer, or X402_ERR_UNSUPPORTED when v1
 * clients cannot use it (no v1 network name, or not the exact scheme).
 */
int x402_offer_v1_json(struct json_object **out, const struct x402_offer *o,
    const struct x402_resource *res) X402_WARN_UNUSED;

/*
 * Builds a 402: appends the v1 body to *v1_body and the base64 v2
 * PAYMENT-REQUIRED value to *v2_header.  v2_accepts, when not NULL, holds
 * the n v2 requirement objects already built (a route builds them once);
 * NULL builds them here.  error_v1 / error_v2 are the `error` texts (NULL
 * leaves the key out of v2, as the official server does on a retry).
 */
int x402_payment_required(struct x402_buf *v1_body,
    struct x402_buf *v2_header, struct x402_detail *d,
    const struct x402_resource *res, const struct x402_offer *offers,
    struct json_object *const *v2_accepts, size_t n, const char *error_v1,
    const char *error_v2) X402_WARN_UNUSED;

/*
 * As x402_payment_required, with a v2 `extensions` object (borrowed; NULL
 * for none) added last to PAYMENT-REQUIRED, as the official server does.
 */
int x402_payment_required_ext(struct x402_buf *v1_body,
    struct x402_buf *v2_header, struct x402_detail *d,
    const struct x402_resource *res, const struct x402_offer *offers,
    struct json_object *const *v2_accepts, size_t n, const char *error_v1,
    const char *error_v2, struct json_object *extensions) X402_WARN_UNUSED;

/* A decoded EIP-3009 `exact` payload. */
struct x402_exact_payload {
	struct x402_eip3009_auth auth;
	uint8_t sig[X402_SIG_LEN];
	int eoa_sig;		/* 1: 65-byte signature; 0: longer (smart
				   wallet, ERC-1271/6492), not in sig[] */
};

/*
 * A decoded Permit2 `upto` payload: {signature, permit2Authorization:
 * {from, permitted:{token, amount}, spender, nonce, deadline,
 * witness:{to, facilitator, validAfter}}}.  nonce is a decimal string (the
 * official clients) or 0x-hex (the spec's example).
 */
struct x402_upto_payload {
	uint8_t from[X402_ADDR_LEN];
	struct x402_permit2 permit;	/* .upto = 1 */
	uint8_t sig[X402_SIG_LEN];
	int eoa_sig;		/* 1: 65-byte signature; 0: other length */
};

/*
 * The EIP-712 digest a payer signs for u (the Permit2 domain {name
 * "Permit2", chainId, verifyingContract x402_permit2_address}, no
 * version).  Out: out.
 */
void x402_upto_digest(uint8_t out[32], const struct x402_upto_payload *u,
    uint64_t chain_id);

/*
 * Signs u (u->from must be the key's address: not checked here) for chain
 * chain_id with seckey, as the official upto client does.  Returns 0,
 * X402_ERR_INVAL (u->permit.upto not set) or X402_ERR_CRYPTO.  Out:
 * u->sig, u->eoa_sig = 1.  The key stays the caller's to wipe.
 */
int x402_upto_sign(const struct x402_sig_ctx *ctx,
    struct x402_upto_payload *u, uint64_t chain_id,
    const uint8_t seckey[X402_SECKEY_LEN]) X402_WARN_UNUSED;

/*
 * The v2 `payload` object of a signed upto payment, in the official
 * client's key order: {signature, permit2Authorization:{from, permitted:
 * {token, amount}, spender, nonce (decimal), deadline, witness:{to,
 * facilitator, validAfter}}}, addresses EIP-55.  x402_payment_decode reads
 * it back.  Returns 0, X402_ERR_INVAL (not an upto permit, or not a
 * 65-byte signature) or X402_ERR_NOMEM.  Out: *out (caller puts).
 */
int x402_upto_payload_json(struct json_object **out,
    const struct x402_upto_payload *u) X402_WARN_UNUSED;

struct x402_payment {
	int version;				/* 1 or 2 */
	char scheme[X402_SCHEME_MAX + 1];
	char network[X402_NET_CAIP2_MAX + 1];	/* v1 name or CAIP-2 */
	struct json_object *root;		/* owned */
	struct json_object *accepted;		/* v2: borrowed from root */
	struct json_object *payload;		/* borrowed from root */
	struct json_object *extensions;		/* v2, may be NULL */
	struct x402_exact_payload exact;	/* scheme "exact" */
	struct x402_upto_payload upto;		/* scheme "upto" (v2) */
};

/*
 * Decodes and validates a payment header value hdr[0..len).  Returns 0,
 * X402_ERR_LIMIT, X402_ERR_SYNTAX (base64), X402_ERR_JSON or
 * X402_ERR_PROTOCOL (wrong shape, version, types); *d says which field.
 * Out: *p (free with x402_payment_free, also after a failure).
 */
int x402_payment_decode(struct x402_payment *p, struct x402_detail *d,
    const char *hdr, size_t len) X402_WARN_UNUSED;

void x402_payment_free(struct x402_payment *p);

/*
 * Finds which offer a payment is for.  v1: same scheme and v1 network
 * name.  v2: `accepted` equals the offer's v2 requirement in every field
 * but `extra`, of which it must hold at least the advertised keys and
 * values (clients may add keys).  Returns 0 with *idx set, or
 * X402_ERR_NOTFOUND.
 */
int x402_payment_match(size_t *idx, const struct x402_payment *p,
    const struct x402_offer *offers, struct json_object *const *v2_accepts,
    size_t n) X402_WARN_UNUSED;

/* What settlement produced, for the X-PAYMENT-RESPONSE / PAYMENT-RESPONSE. */
struct x402_settlement {
	int success;
	char error_reason[X402_REASON_MAX + 1];	/* "" on success */
	char payer[X402_ADDR_STRLEN + 1];
	char transaction[67];			/* "0x" + 64, or "" */
	char network[X402_NET_CAIP2_MAX + 1];
	int has_amount;				/* upto */
	x402_u256 amount;
};

/*
 * Appends the base64 settlement header value: {success, errorReason?,
 * transaction, network, payer, amount?} in the official key order.
 */
int x402_settlement_header(struct x402_buf *b64, const struct x402_settlement *s)
    X402_WARN_UNUSED;

/*
 * Base64 of the compact JSON of o, appended to b (a header value).
 */
int x402_protocol_b64json(struct x402_buf *b, struct json_object *o)
    X402_WARN_UNUSED;

#endif /* X402_PROTOCOL_H */
