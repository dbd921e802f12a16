/*
 * settle.h - one interface over the ways a payment is verified and
 * settled, so the gate does not care which is configured:
 *   - facilitator: any x402 facilitator's /verify and /settle (v1 and v2,
 *     optional Coinbase CDP JWT auth);
 *   - local: offline verification (verify.h), optional on-chain checks,
 *     and settlement by sending transferWithAuthorization from a relayer
 *     key over JSON-RPC.
 *
 * Rules:
 *  - A settler is made once per process from configuration and used for
 *    every request; it is not shared between threads.
 *  - verify and settle return 0 when they reached a verdict (res->valid /
 *    out->success say which, with the reason code verbatim) and a negative
 *    X402_ERR_* when they could not: X402_ERR_NET (peer unreachable),
 *    X402_ERR_TIMEOUT, X402_ERR_UPSTREAM (peer answered an error status),
 *    X402_ERR_BADREPLY (peer answered garbage), X402_ERR_PENDING (a
 *    transaction was sent and is not confirmed: never treat as paid, never
 *    resend blindly).  The gate maps these to 502/503/504.
 *  - Nothing here is told the payment is unique: the caller claims the
 *    authorization (claim.h) before settle.
 */
#ifndef X402_SETTLE_H
#define X402_SETTLE_H

#include <stdint.h>

#include <json-c/json.h>

#include "error.h"
#include "protocol.h"
#include "verify.h"

/* What one verify or settle call is about. */
struct x402_settle_request {
	const struct x402_payment *payment;	/* decoded and matched */
	const struct x402_offer *offer;		/* the offer it matched */
	struct json_object *requirement;	/* as advertised, in the
						   payment's version (v1 or
						   v2 shape), borrowed */
	const uint8_t *domain_separator;	/* offer's, or NULL */
	uint64_t now;				/* seconds */
	int has_amount;				/* upto: settle this amount */
	x402_u256 amount;
};

struct x402_settler_ops {
	const char *name;			/* "facilitator", "local" */
	int (*verify)(void *impl, struct x402_verify_result *res,
	    struct x402_detail *d, const struct x402_settle_request *req);
	int (*settle)(void *impl, struct x402_settlement *out,
	    struct x402_detail *d, const struct x402_settle_request *req);
	void (*free)(void *impl);
};

struct x402_settler {
	const struct x402_settler_ops *ops;
	void *impl;
};

/* Dispatchers; see the rules above for the returns. */
int x402_settler_verify(struct x402_settler *s, struct x402_verify_result *res,
    struct x402_detail *d, const struct x402_settle_request *req)
    X402_WARN_UNUSED;
int x402_settler_settle(struct x402_settler *s, struct x402_settlement *out,
    struct x402_detail *d, const struct x402_settle_request *req)
    X402_WARN_UNUSED;

/* Frees the implementation and the settler.  NULL allowed. */
void x402_settler_free(struct x402_settler *s);

/* ---- strategy: facilitator (settle_facilitator.c) ---------------------- */

struct x402_facilitator;

/*
 * A settler that forwards to a facilitator (facilitator.h): verify and
 * settle send the payment's root JSON verbatim with req->requirement;
 * when req->has_amount (upto), settle sends a copy of the requirement
 * with "amount" set to req->amount.  f: ownership ALWAYS transferred
 * (freed here on failure).  Returns 0 or X402_ERR_NOMEM / X402_ERR_INVAL.
 * Out: *out (x402_settler_free).
 */
int x402_settler_new_facilitator(struct x402_settler **out,
    struct x402_facilitator *f, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * The raw JSON reply of the last settle through a facilitator settler
 * (for the receipt), borrowed until the next settle or the free; NULL
 * when there was none or s is not a facilitator settler.
 */
struct json_object *x402_settler_facilitator_reply(
    const struct x402_settler *s);

#endif /* X402_SETTLE_H */
