/*
 * settle.h - one interface over the ways a payment is verified and
 * settled, so the gate does not care which is configured:
 *   - facilitator: any x402 facilitator's /verify and /settle (v1 and v2,
 *     optional Coinbase CDP JWT auth);
 *   - local: offline verification (verify.h), optional on-chain checks,
 *     and settlement by sending transferWithAuthorization (exact) or the
 *     x402 upto proxy's settle (upto, Permit2) from a relayer key over
 *     JSON-RPC.
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
#include "http.h"
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
/* ---- local: self-settlement with a relayer key ------------------------- */

/*
 * The `local` strategy (settle_local.c): no third party.
 *  - verify: x402_verify_exact (offline), then, when check_chain is set,
 *    authorizationState(from, nonce) (used: X402_R_NONCE_USED),
 *    balanceOf(from) (short: X402_R_BALANCE) by eth_call, and the
 *    transfer itself simulated by eth_estimateGas (it would revert:
 *    X402_R_SIMULATION), as the official facilitator does.
 *  - An authorization that verify finds used on chain by a transaction
 *    that moved its value to payTo (someone else submitted it first) is
 *    valid: the payment was made; the caller's claim store is what keeps
 *    it from being used twice here, and its validBefore bounds how long
 *    it can be presented at all.
 *  - A transfer that reverts (estimated or mined) because the same
 *    authorization was used by someone else's transaction first is a
 *    success with that transaction (its AuthorizationUsed and Transfer
 *    to payTo of the value found in the last X402_LOCAL_FIND_BLOCKS
 *    blocks): the payment happened.  Only when the chain was seen to
 *    hold the authorization unused for this payment (check_chain, or
 *    for a mined revert an estimate before the send): a replay of an
 *    old settled authorization stays a refusal.  Mined, reverted, and
 *    the chain cannot be asked: X402_ERR_PENDING.
 *  - settle: the offline checks again (a payment may expire while the
 *    command runs), fees, gas, then transferWithAuthorization (v,r,s)
 *    signed by the relayer key and sent over JSON-RPC; the receipt is
 *    polled and must hold the token's Transfer(from, to, value) log.
 *    An estimate that reverts is a verdict (nonce used, balance short,
 *    simulation failed) and sends nothing.
 *  - Verdict reasons of settle besides verify's: X402_R_INSUFFICIENT_BALANCE,
 *    X402_R_SIMULATION, X402_R_TX_FAILED (mined, reverted: the transaction
 *    hash is kept), X402_R_EVENT_MISMATCH (mined without the Transfer).
 *  - upto (Permit2, notes §8.1), as the official upto facilitator: the
 *    relayer is the witness's facilitator (x402_local_relayer gives the
 *    address a route advertises as extra.facilitatorAddress).
 *    verify: x402_verify_upto, then, when check_chain is set, a
 *    simulation (eth_estimateGas) of the proxy's settle for the maximum;
 *    when it would revert, the diagnostic says why, in the official
 *    order: X402_R_PERMIT2_PROXY (no proxy), X402_R_PERMIT2_BALANCE,
 *    X402_R_PERMIT2_ALLOWANCE (the payer's ERC-20 allowance to Permit2),
 *    X402_R_PERMIT2_NONCE (the Permit2 nonceBitmap bit is set), else
 *    X402_R_PERMIT2_SIMULATION.  settle: the offline checks again; the
 *    amount is req->amount (req->has_amount) or the maximum; zero is a
 *    success with no transaction and out->amount 0; above the signed
 *    maximum is X402_R_UPTO_EXCEEDS; otherwise settle(permit, amount,
 *    owner, witness, signature) to the proxy, whose estimate reverting is
 *    the diagnostic's verdict (for the actual amount); a mined revert is
 *    X402_R_TX_STATE; the receipt must hold the token's Transfer(owner,
 *    witness.to, amount).  On success out->has_amount and out->amount.
 *  - Other returns: X402_ERR_NET/TIMEOUT/UPSTREAM/BADREPLY (the node could
 *    not be asked, or refused the transaction: nothing is pending),
 *    X402_ERR_SETTLE (the fee market is above the configured caps: nothing
 *    sent), X402_ERR_PENDING (sent, not confirmed within receipt_timeout_ms,
 *    or the send's fate is unknown: the journal record stays for
 *    x402_local_reconcile; an authorization that already has a record is
 *    never sent again by settle and gets X402_ERR_PENDING at once).
 *
 * STATE_DIR (created 0700 when missing; shared by every worker of a host,
 * local file system):
 *   relayer.lock    flock(LOCK_EX) held from reading the relayer's nonce
 *                   to eth_sendRawTransaction returning
 *   relayer.nonce   "N\n", the last transaction nonce handed out (written
 *                   tmp + fsync + rename before the send); the next nonce
 *                   is max(node's pending count, N + 1), or the node's
 *                   count alone when N + 1 is more than
 *                   X402_LOCAL_NONCE_LAG above it (earlier sends lost)
 *   pending/<id>    one journal record per authorization in flight, id =
 *                   x402_claim_id hex (network, asset, payer, nonce):
 *                   "key value" lines (version, network, asset, payer, to,
 *                   value, nonce, tx, txnonce, time, raw); version
 *                   x402-local-pending-v1 is EIP-3009, v2 adds "method
 *                   permit2" (nonce = the Permit2 nonce, big-endian,
 *                   value = the amount settled, to = witness.to); created
 *                   tmp + fsync + link before the send, replaced by rename
 *                   when a retry re-signs, removed once the outcome is final
 *
 * The relayer key is read once (owner-only file, x402_sig_key_load), kept
 * in the settler and wiped by x402_settler_free; it never appears in a
 * detail.  Disabling core dumps (setrlimit RLIMIT_CORE 0, prctl
 * PR_SET_DUMPABLE 0) is the program's job.
 */
#define X402_R_INSUFFICIENT_BALANCE "invalid_exact_evm_insufficient_balance"
#define X402_R_SIMULATION "invalid_exact_evm_transaction_simulation_failed"
#define X402_R_TX_FAILED "invalid_exact_evm_transaction_failed"
#define X402_R_EVENT_MISMATCH "invalid_exact_evm_transfer_event_mismatch"
/* upto (Permit2) settle verdicts besides verify.h's X402_R_PERMIT2_*. */
#define X402_R_PERMIT2_SIMULATION "permit2_simulation_failed"
#define X402_R_PERMIT2_PROXY "permit2_proxy_not_deployed"
#define X402_R_TX_STATE "invalid_transaction_state"

#define X402_LOCAL_NONCE_LAG 4		/* see relayer.nonce above */
#define X402_LOCAL_POLL_MS 500		/* default poll_ms */
#define X402_LOCAL_RECEIPT_TIMEOUT_MS 60000	/* default receipt_timeout_ms */
#define X402_LOCAL_GAS_MARGIN_PCT 20	/* added to eth_estimateGas */
#define X402_LOCAL_FIND_BLOCKS 10000	/* searched for another's tx */
#define X402_LOCAL_NONCE_RETRIES 2	/* re-sends after "nonce too low" */
#define X402_LOCAL_STATE_DIR_MAX 1024
#define X402_LOCAL_RECORD_MAX 8192	/* bytes of one journal record */

struct x402_local_opts {
	const char *rpc_url;		/* http(s)://, may carry an API key */
	struct x402_http_opts http;	/* timeouts, proxy, CA for the node */
	const char *relayer_key_file;	/* 64 hex, mode 0600 or stricter */
	const char *state_dir;		/* nonce lock and journal */
	unsigned receipt_timeout_ms;	/* 0: X402_LOCAL_RECEIPT_TIMEOUT_MS */
	unsigned poll_ms;		/* 0: X402_LOCAL_POLL_MS */
	int check_chain;		/* verify asks balance and nonce state */
	unsigned clock_skew;		/* seconds, for the validity window */
	x402_u256 max_fee_per_gas_cap;	/* wei; 0 = no cap */
	x402_u256 max_priority_fee_cap;	/* wei; 0 = no cap */
	uint64_t gas_limit;		/* 0 = estimate + X402_LOCAL_GAS_MARGIN_PCT */
	uint64_t expected_chain_id;	/* eth_chainId must equal it (not 0) */
};

/*
 * Makes a local settler: loads the relayer key, creates STATE_DIR and
 * STATE_DIR/pending when missing, and checks eth_chainId.  Returns 0,
 * X402_ERR_INVAL (missing option), X402_ERR_PERM / X402_ERR_IO /
 * X402_ERR_SYNTAX (key file), X402_ERR_CHAIN (chain id differs),
 * X402_ERR_NET / TIMEOUT / UPSTREAM / BADREPLY (node), X402_ERR_NOMEM.
 * Out: *out (x402_settler_free).  In: sig, borrowed for the settler's
 * life; o, copied.
 */
int x402_settler_new_local(struct x402_settler **out,
    const struct x402_sig_ctx *sig, const struct x402_local_opts *o,
    struct x402_detail *d) X402_WARN_UNUSED;

/*
 * The relayer's address (the key's), which a route with local settlement
 * advertises as its upto offers' extra.facilitatorAddress: the upto proxy
 * accepts settle only from the witness's facilitator.  Out: addr.
 * Returns 0 or X402_ERR_INVAL (not a local settler).
 */
int x402_local_relayer(const struct x402_settler *s,
    uint8_t addr[X402_ADDR_LEN]) X402_WARN_UNUSED;

/* What reconciliation found for one journal record. */
enum x402_local_outcome {
	X402_LOCAL_SETTLED = 1,	/* our transaction mined with status 1 */
	X402_LOCAL_FAILED,	/* our transaction mined and reverted */
	X402_LOCAL_OTHER,	/* tx unknown, authorization used elsewhere */
	X402_LOCAL_DROPPED,	/* tx unknown and refused again, authorization
				   unused: the payer's authorization is still
				   good; nothing resends it automatically */
	X402_LOCAL_INFLIGHT,	/* known to the node, or re-broadcast: kept */
};

/* One journal record, as read back. */
struct x402_local_record {
	char id[65];				/* file name */
	char network[X402_NET_CAIP2_MAX + 1];	/* the payment's */
	uint8_t asset[X402_ADDR_LEN];
	uint8_t payer[X402_ADDR_LEN];
	uint8_t to[X402_ADDR_LEN];
	x402_u256 value;
	uint8_t nonce[32];			/* the authorization's */
	uint8_t tx_hash[32];
	uint64_t tx_nonce;
	int64_t time;				/* written, unix seconds */
	int status;				/* receipt status when mined */
	int permit2;				/* 1: a Permit2 (upto) record:
						   its used-check is Permit2's
						   nonceBitmap bit, not
						   authorizationState */
};

/* Called once per record; non-zero stops the walk (and is returned). */
typedef int (*x402_local_reconcile_fn)(void *arg,
    const struct x402_local_record *rec, enum x402_local_outcome outcome);

/*
 * Walks STATE_DIR/pending, skipping records younger than min_age seconds
 * (a worker may still be polling them), and decides each: receipt status
 * 1: SETTLED; status 0: FAILED; no receipt and the nonce used
 * (authorizationState, or for Permit2 records the nonceBitmap bit): OTHER; no receipt, unused, unknown to the node: the stored signed
 * transaction is broadcast again (the same transaction: it cannot pay
 * twice, the authorization nonce is single-use) and the record stays
 * (INFLIGHT), or, when the node refuses it, DROPPED.  fn is called for
 * each; a final outcome's record is removed after fn returns 0.
 * Unreadable records are skipped with their name in *d at the end
 * (X402_ERR_SYNTAX returned after the walk).  Returns 0, fn's non-zero
 * value, the RPC's error, X402_ERR_IO or X402_ERR_INVAL (not a local
 * settler).
 */
int x402_local_reconcile(struct x402_settler *s, struct x402_detail *d,
    unsigned min_age, x402_local_reconcile_fn fn, void *arg)
    X402_WARN_UNUSED;

#endif /* X402_SETTLE_H */
