/*
 * facilitator.h - a client for any x402 facilitator, v1 and v2 (notes
 * §3.4, §5): POST {base}/verify, POST {base}/settle, GET {base}/supported,
 * with optional Coinbase CDP JWT authentication (cdp.h).
 *
 * Rules:
 *  - Bodies are {"x402Version":N,"paymentPayload":<the payment's JSON
 *    verbatim>,"paymentRequirements":<the requirement as advertised>}.
 *  - Every reply is parsed with x402_json_parse (strict, bounded).
 *  - Status handling (as the official TS client):
 *      2xx with a well-formed reply          -> 0, the verdict
 *      non-2xx whose JSON object has isValid (verify) / success (settle)
 *                                             -> 0, a NEGATIVE verdict
 *                                                with its reason
 *      any other non-2xx                     -> X402_ERR_UPSTREAM (status
 *                                                and a short excerpt in
 *                                                the detail)
 *      2xx that is not JSON or has the wrong shape -> X402_ERR_BADREPLY
 *      transport errors from http.h: X402_ERR_NET, X402_ERR_TIMEOUT,
 *      X402_ERR_LIMIT (reply over the size cap).
 *  - Reason codes are passed through verbatim (an open set), cut at
 *    X402_REASON_MAX bytes on a UTF-8 boundary.  A negative verdict
 *    without a reason gets "unexpected_verify_error" /
 *    "unexpected_settle_error".
 *  - Headers: Content-Type: application/json (POST); with a CDP key,
 *    Authorization: Bearer <a fresh JWT per request> and
 *    Correlation-Context naming x402-cgi.  No detail ever holds the
 *    payload, a signature or a JWT.
 *  - A facilitator is one HTTP handle: not shared between threads.
 */
#ifndef X402_FACILITATOR_H
#define X402_FACILITATOR_H

#include <stddef.h>

#include <json-c/json.h>

#include "cdp.h"
#include "error.h"
#include "http.h"
#include "protocol.h"
#include "verify.h"

#define X402_FACILITATOR_URL_MAX	2048
#define X402_FACILITATOR_KINDS_MAX	256
#define X402_FACILITATOR_JSON_DEPTH	16
#define X402_FACILITATOR_REASON_IN_MAX	4096	/* longer: a bad reply */

/* Default base URLs (notes §5.3). */
#define X402_FACILITATOR_URL_X402_ORG	"https://x402.org/facilitator"
#define X402_FACILITATOR_URL_CDP \
	"https://api.cdp.coinbase.com/platform/v2/x402"

struct x402_facilitator;

/* One entry of /supported `kinds`. */
struct x402_facilitator_kind {
	int version;				/* x402Version */
	char scheme[X402_SCHEME_MAX + 1];
	char network[X402_NET_CAIP2_MAX + 1];
	struct json_object *extra;		/* borrowed, or NULL */
};

/* What /supported said, cached in the facilitator. */
struct x402_facilitator_supported {
	struct x402_facilitator_kind *kinds;
	size_t nkinds;		/* kinds whose scheme or network is longer
				   than the fields above are left out */
	struct json_object *signers;		/* borrowed, or NULL */
	struct json_object *root;		/* the whole reply, borrowed */
};

/*
 * Makes a client.  base_url: "http(s)://host[:port][/path]" without query
 * or fragment; trailing slashes are stripped.  http: options of its HTTP
 * handle (NULL for the defaults).  auth: a CDP key or NULL; ownership is
 * ALWAYS transferred (freed here on failure).
 * Returns 0, X402_ERR_INVAL (bad URL, named without its text),
 * X402_ERR_LIMIT, X402_ERR_NOMEM.  Out: *out (x402_facilitator_free).
 */
int x402_facilitator_new(struct x402_facilitator **out, struct x402_detail *d,
    const char *base_url, const struct x402_http_opts *http,
    struct x402_cdp_key *auth) X402_WARN_UNUSED;

/* Frees the client, its key and its cache.  NULL allowed. */
void x402_facilitator_free(struct x402_facilitator *f);

/*
 * POST {base}/verify.  version: the payment's x402Version (1 or 2).
 * payment: the decoded payment's root, sent verbatim.  requirement: the
 * requirement as advertised (v1 or v2 shape).  Both borrowed.
 * Out: *res (zeroed first).  Returns 0 with a verdict, or an error as in
 * the rules above.  A payer that is not an address in a 2xx reply is
 * X402_ERR_BADREPLY.
 */
int x402_facilitator_verify(struct x402_facilitator *f,
    struct x402_verify_result *res, struct x402_detail *d, int version,
    struct json_object *payment, struct json_object *requirement)
    X402_WARN_UNUSED;

/*
 * POST {base}/settle.  Same inputs.  Out: *out (zeroed first); *raw, if
 * raw is not NULL, the parsed reply (the caller puts it; NULL when there
 * is no verdict), for the receipt.  In a 2xx reply `success` (boolean),
 * `transaction` and `network` (strings) are required; on success
 * `transaction` must be "0x" + 64 hex digits.  Returns 0 with a verdict,
 * or an error as in the rules above - except that once the request may
 * have reached the facilitator, every failure to get a verdict (timeout,
 * cut connection, non-2xx without a `success` verdict, garbage, a reply
 * over the cap) is X402_ERR_PENDING: the transfer may have happened.
 * X402_ERR_NET is left only for a request that never left.
 */
int x402_facilitator_settle(struct x402_facilitator *f,
    struct x402_settlement *out, struct json_object **raw,
    struct x402_detail *d, int version, struct json_object *payment,
    struct json_object *requirement) X402_WARN_UNUSED;

/*
 * GET {base}/supported, once: later calls return the cached answer.
 * Out: *out, borrowed from f (valid until x402_facilitator_free).
 * Returns 0, or an error as in the rules (any non-2xx is
 * X402_ERR_UPSTREAM; a reply without a `kinds` array, or a kind without
 * x402Version/scheme/network of the right types, X402_ERR_BADREPLY).
 */
int x402_facilitator_supported(struct x402_facilitator *f,
    const struct x402_facilitator_supported **out, struct x402_detail *d)
    X402_WARN_UNUSED;

/*
 * Whether /supported lists (version, scheme, network); fetches it first
 * if needed.  Out: *yes (1 or 0).  Returns 0 or the fetch's error.
 */
int x402_facilitator_supports(struct x402_facilitator *f, int *yes,
    struct x402_detail *d, int version, const char *scheme,
    const char *network) X402_WARN_UNUSED;

#endif /* X402_FACILITATOR_H */
