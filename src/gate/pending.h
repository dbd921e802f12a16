/*
 * pending.h - settlements whose outcome is not known, and the retries of
 * their payments (pending.c).
 *
 * Rules:
 *  - A claim in flight with a kept response (recover.h) is pending: the
 *    worker that held it has answered and gone on; nobody else is
 *    working on it.  Its kept response is served only to a request that
 *    carries the very same payment header (keccak256 compared in
 *    constant time).
 *  - Only the chain decides: used -> settled (the claim commit is the
 *    single point, so two retries at once write one receipt); unused
 *    while the authorization can still be used -> still pending; unused
 *    past it -> released.
 *  - Without an RPC node ([recover] rpc_url, or [local] rpc_url) a
 *    pending claim stays pending until x402-gate --recover resolves it.
 *  - settle = before: the kept response is a mark, status 0, "paid, not
 *    run yet".  Once settled, one retry takes the run (x402_kept_take),
 *    runs the command and keeps its response, whatever it is; the others
 *    are told to retry, then get it.
 */
#ifndef GATE_PENDING_H
#define GATE_PENDING_H

#include <stdint.h>
#include <time.h>

#include "route.h"

/* Seconds past `until` before an unused authorization counts as dead. */
#define PENDING_EXPIRY_MARGIN 30
/* Retry-After of the pending answer, seconds. */
#define PENDING_RETRY_AFTER 5

enum pending_verdict {
	PENDING_NONE = 0,	/* no pending record for this payment: go on */
	PENDING_WAIT,		/* still pending: answer "retry" */
	PENDING_SERVE,		/* settled: serve the kept response */
	PENDING_RELEASED,	/* expired unused: released, go on */
};

/* What pending_retry found.  body: initialised by the caller (bound). */
struct pending_hit {
	struct x402_kept k;
	struct x402_buf body;
	char tx[X402_CLAIM_TXMAX + 1];	/* PENDING_SERVE: "" or 0x... */
	uint8_t id[X402_CLAIM_ID_LEN];	/* the claim's id */
};

/* keccak256 of a payment header. */
void pending_hash(uint8_t out[32], const char *hdr);

/*
 * An RPC client of the route's chain ([recover] rpc_url, else [local]
 * rpc_url).  Returns 0 with *rpc NULL when none is configured, or the
 * error of x402_rpc_new.  Out: *rpc (x402_rpc_free).
 */
int pending_rpc(struct route *r, struct x402_rpc **rpc, struct x402_detail *d);

/*
 * Keeps the response of the pending claim tok for retries of the payment
 * hdr, until `until` (validBefore or the Permit2 deadline).  Logs a
 * failure.  Returns 0 or the store's error.
 */
int pending_keep(struct route *r, const struct x402_claim_token *tok,
    const char *hdr, int64_t until, int status, const char *type,
    const void *body, size_t len);

/*
 * A request with the payment hdr (claim key, permit2: an upto payment):
 * is it the retry of a pending or landed settlement?  Resolves it from
 * the chain when it can.  Returns an enum pending_verdict; h->k and
 * h->body hold the kept response for PENDING_SERVE.
 */
int pending_retry(struct route *r, struct pending_hit *h,
    const struct x402_claim_key *key, const char *hdr, int permit2);

/*
 * Resolves the pending claim st (in flight) from the chain (rpc NULL:
 * PENDING_WAIT).  until: as kept.  by: who resolves, for the log and
 * the receipt.  Out: tx (PENDING_SERVE).  Returns PENDING_WAIT,
 * PENDING_SERVE or PENDING_RELEASED.
 */
int pending_resolve(struct route *r, struct x402_rpc *rpc,
    const struct x402_claim_state *st, int permit2, int64_t until,
    char tx[X402_CLAIM_TXMAX + 1], const char *by, time_t now);

/*
 * Whether the authorization of key was already used (or cancelled) on
 * chain, when the route knows an RPC node (else *used = 0).  Returns 0
 * or the RPC's error (logged).
 */
int pending_used(struct route *r, int *used, const struct x402_claim_key *key,
    int permit2);

#endif /* GATE_PENDING_H */
