/*
 * recover.h - what is needed to complete the record of a payment whose
 * worker died between settlement and receipt (x402-gate --recover).
 *
 * Two parts:
 *  - Receipt drafts.  When the gate claims an authorization it also
 *    writes, durably, the receipt it will write once settled, less the
 *    transaction: route, time, version, scheme, network, asset, payer,
 *    payTo, amount and maxAmount, nonce, resource.  The draft is removed
 *    once the receipt is durable in the spool (or the claim released).
 *    A draft that outlives its worker is what recovery completes.
 *  - Chain questions: was the authorization used (EIP-3009
 *    authorizationState(payer, nonce) on the asset; Permit2
 *    nonceBitmap(owner, nonce >> 8) bit nonce & 255 for upto), and by
 *    which transaction and for how much (eth_getLogs over a bounded block
 *    range; a transaction receipt's Transfer log).
 *
 * Rules:
 *  - Drafts live in one directory of their own (mode 0770 less the umask
 *    when created; its parent must exist), one file per claim:
 *    DIR/<claim id as 64 hex digits>, never user text in a name.  A draft
 *    holds "x402-draft 1 PID WATCH\n" (the worker that wrote it; WATCH 0,
 *    or the unix time until which recovery keeps watching the chain for
 *    an authorization whose claim it released) and then the receipt JSON
 *    (receipt.h) with an empty transaction and no settlement, and a
 *    newline.  Written tmp + fsync + rename + fsync of
 *    the directory; removed by unlink + fsync of the directory.
 *  - The draft store is separate from the claim store on purpose: the
 *    claim backend interface (claim.h) stays the key and the state only.
 *  - The chain helpers never guess: an answer they cannot be sure of is
 *    an error or "not found", never an amount.
 */
#ifndef X402_RECOVER_H
#define X402_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "claim.h"
#include "error.h"
#include "receipt.h"
#include "rpc.h"
#include "u256.h"

#define X402_DRAFT_MAX 8192		/* bytes of one draft file */
#define X402_RECOVER_BLOCKS_MAX 1000000	/* widest eth_getLogs range */
#define X402_RECOVER_LOGS_MAX 64	/* logs read from one eth_getLogs */

struct x402_drafts;

/*
 * Opens (creating when missing) the draft directory dir.  Returns 0,
 * X402_ERR_IO (path and errno in the detail), X402_ERR_LIMIT (path too
 * long), X402_ERR_INVAL or X402_ERR_NOMEM.  Out: *ds (x402_drafts_close).
 */
int x402_drafts_open(struct x402_drafts **ds, struct x402_detail *d,
    const char *dir) X402_WARN_UNUSED;

/* Closes the store.  NULL allowed. */
void x402_drafts_close(struct x402_drafts *ds);

/*
 * Writes the draft of claim id durably, replacing any earlier one.
 * In: pid (the worker, > 0), watch (0, or the unix time until which a
 * released authorization is watched), rc (transaction and settlement
 * ignored).
 * Returns 0, X402_ERR_IO, X402_ERR_LIMIT (over X402_DRAFT_MAX),
 * X402_ERR_NOMEM or X402_ERR_INVAL.
 */
int x402_draft_put(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN], long pid, int64_t watch,
    const struct x402_receipt *rc) X402_WARN_UNUSED;

/*
 * Reads the draft of claim id.  Returns 0, X402_ERR_NOTFOUND (none),
 * X402_ERR_IO, X402_ERR_SYNTAX (unreadable: the id in the detail).
 * Out: *rc (x402_receipt_free), *pid, *watch, *mtime (unix seconds of
 * the file).
 */
int x402_draft_get(struct x402_drafts *ds, struct x402_receipt *rc,
    long *pid, int64_t *watch, int64_t *mtime, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN]) X402_WARN_UNUSED;

/*
 * Removes the draft of claim id, durably.  Returns 0, X402_ERR_NOTFOUND
 * or X402_ERR_IO.
 */
int x402_draft_drop(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN]) X402_WARN_UNUSED;

/* Callback of x402_draft_each: non-zero stops the walk (and is returned). */
typedef int (*x402_draft_fn)(void *arg,
    const uint8_t id[X402_CLAIM_ID_LEN]);

/*
 * Calls fn for the id of every draft (files of any other name are
 * skipped).  Returns 0, fn's value or X402_ERR_IO.
 */
int x402_draft_each(struct x402_drafts *ds, struct x402_detail *d,
    x402_draft_fn fn, void *arg) X402_WARN_UNUSED;

/*
 * Kept responses.  A settlement left pending (the settle request left and
 * no verdict came back) keeps, beside the draft, the response that was
 * paid for, so that a retry of the same payment gets it once the chain
 * shows the transfer, and never runs the command again:
 *  - DIR/<claim id as 64 hex digits>.kept holds "x402-kept 1 STATUS UNTIL
 *    LEN\n", the keccak256 of the payment header as 64 hex digits and
 *    "\n", the content type and "\n", then LEN bytes of body; written as
 *    drafts are (tmp + fsync + rename + fsync of the directory).
 *  - UNTIL is the unix time after which the authorization can no longer
 *    be used (validBefore, or the Permit2 deadline): the record is kept
 *    at least that long, then recovery may remove it.
 *  - x402_draft_drop leaves it: a landed payment is still served from it.
 *  - STATUS 0 (with an empty body) marks "paid, the command not run yet"
 *    (settle = before).  Exactly one retry takes the run
 *    (x402_kept_take: DIR/<id>.run created with O_EXCL), runs the
 *    command and replaces the record with its response; the .run mark
 *    stays until x402_kept_drop, so no later retry can take it again.
 */
#define X402_KEPT_TYPE_MAX 255		/* bytes of a content type */
#define X402_KEPT_BODY_MAX (64 * 1024 * 1024)	/* bytes of one body */

struct x402_kept {
	int status;				/* 100..599, 0: not run */
	int64_t until;				/* unix seconds */
	uint8_t hdr_hash[32];			/* keccak256(header) */
	char type[X402_KEPT_TYPE_MAX + 1];	/* printable ASCII, not "" */
};

/*
 * Writes the kept response of claim id durably, replacing any earlier
 * one.  body: len bytes (at most X402_KEPT_BODY_MAX), borrowed.  Returns
 * 0, X402_ERR_IO, X402_ERR_LIMIT, X402_ERR_NOMEM or X402_ERR_INVAL.
 */
int x402_kept_put(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN], const struct x402_kept *k,
    const void *body, size_t len) X402_WARN_UNUSED;

/*
 * Reads the kept response of claim id.  body: an initialised buffer
 * whose maximum bounds the body (X402_ERR_LIMIT when it is longer).
 * Returns 0, X402_ERR_NOTFOUND, X402_ERR_IO, X402_ERR_LIMIT,
 * X402_ERR_SYNTAX (unreadable) or X402_ERR_INVAL.  Out: *k, body; on
 * X402_ERR_LIMIT *k is filled all the same (a buffer of maximum 0 reads
 * the head only).
 */
int x402_kept_get(struct x402_drafts *ds, struct x402_kept *k,
    struct x402_buf *body, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN]) X402_WARN_UNUSED;

/* Removes the kept response of claim id and its .run mark.  Returns 0,
 * X402_ERR_NOTFOUND or X402_ERR_IO. */
int x402_kept_drop(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN]) X402_WARN_UNUSED;

/*
 * Takes the run of the kept response of claim id (status 0): durably
 * marks it taken; of any number of callers, one ever gets 0.  Returns 0,
 * X402_ERR_DUPLICATE (taken already), X402_ERR_IO or X402_ERR_INVAL.
 */
int x402_kept_take(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN]) X402_WARN_UNUSED;

/* Calls fn for the id of every kept response.  Returns 0, fn's value or
 * X402_ERR_IO. */
int x402_kept_each(struct x402_drafts *ds, struct x402_detail *d,
    x402_draft_fn fn, void *arg) X402_WARN_UNUSED;

/*
 * Asks the chain whether an authorization was used: for permit2 != 0
 * Permit2's nonceBitmap(payer, nonce >> 8) bit (nonce & 255) at
 * x402_permit2_address, else the EIP-3009 authorizationState(payer,
 * nonce) of asset; both at "latest".  Returns 0 or the RPC's error
 * (X402_ERR_BADREPLY when the answer is not one word).  Out: *used (0/1).
 */
int x402_recover_used(struct x402_rpc *rpc, int *used, struct x402_detail *d,
    int permit2, const uint8_t asset[X402_ADDR_LEN],
    const uint8_t payer[X402_ADDR_LEN], const uint8_t nonce[32])
    X402_WARN_UNUSED;

/* What x402_recover_find found. */
struct x402_recover_tx {
	int found;		/* 1: tx and amount are set */
	uint8_t tx[32];
	x402_u256 amount;	/* the Transfer to payTo */
	uint64_t block;
};

/*
 * Looks for the transaction that used the authorization of draft rc in
 * the last `blocks` blocks (1..X402_RECOVER_BLOCKS_MAX): for "exact" the
 * token's AuthorizationUsed(payer, nonce) log (exactly one can exist),
 * the amount being rc->amount; for "upto" the Transfer(payer, payTo)
 * logs of the asset, and only when there is exactly one (else not
 * found: two payments from one payer cannot be told apart), its value,
 * which must not exceed rc->max_amount.  Returns 0 (out->found says), the
 * RPC's error, X402_ERR_BADREPLY (a malformed log) or X402_ERR_INVAL.
 */
int x402_recover_find(struct x402_rpc *rpc, struct x402_recover_tx *out,
    struct x402_detail *d, const struct x402_receipt *rc, uint64_t blocks)
    X402_WARN_UNUSED;

/*
 * The value of the Transfer(payer, payTo) log of asset in transaction tx,
 * for a settled claim whose amount the draft does not know (upto).
 * Returns 0 (out->found = 0 when the node does not know the transaction,
 * it reverted, or it holds no such log, or more than one), or the RPC's
 * error.  Out: *out (tx copied).
 */
int x402_recover_tx_amount(struct x402_rpc *rpc, struct x402_recover_tx *out,
    struct x402_detail *d, const uint8_t tx[32],
    const struct x402_receipt *rc) X402_WARN_UNUSED;

#endif /* X402_RECOVER_H */
