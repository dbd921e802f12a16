/*
 * claim.h - exactly-once claims on a payment authorization, shared by all
 * worker processes of a host.
 *
 * A claim is keyed by (network, asset, payer, nonce): the EIP-3009
 * authorization itself.  The gate acquires the claim before it runs the
 * command; a second request with the same authorization, in flight or
 * already settled, gets X402_ERR_DUPLICATE and never runs anything.
 *
 *   acquire -> in flight --release--> gone (the command failed, the payer
 *                  |                        may retry the same payment)
 *                  +------commit----> settled (a transaction, or a marker
 *                                     of the caller's: x402-gate commits
 *                                     "none" for an upto charge of zero and
 *                                     "unsettled" when the command ran and
 *                                     its reply went unsettled)
 *
 * The store keeps a settled claim until someone deletes it; it is needed
 * only while the authorization could still be presented, i.e. until its
 * validBefore, which x402-gate bounds by maxTimeoutSeconds + clock skew
 * (docs/SECURITY.md, "Untrusted output").
 *
 * Rules:
 *  - The store is reached only through struct x402_claim_store, which
 *    calls a backend through struct x402_claim_ops.  The file backend
 *    (x402_claim_open) is the one there is; a networked one (PostgreSQL,
 *    Redis) plugs in with x402_claim_store_new and callers do not change.
 *  - The backend sees the claim id, keccak256 of the key, never user text
 *    in a name: the file backend's files are DIR/<64 hex digits>.
 *  - `network` must be the canonical CAIP-2 id ("eip155:8453"): the same
 *    authorization named "base" and "eip155:8453" would be two claims.
 *    The caller normalises it (network.h); 1..X402_CLAIM_NETMAX bytes of
 *    [A-Za-z0-9:_.-], else X402_ERR_INVAL.
 *  - acquire hands out a token (the id plus a random owner tag written
 *    into the claim); release and commit take the token and refuse a
 *    claim held by another owner (X402_ERR_BUSY), so a worker can only
 *    end its own claim.
 *  - Claims never expire by themselves.  x402_claim_stale lists in-flight
 *    claims whose worker is gone; it releases nothing, because a worker
 *    that crashed may have settled on chain first.  Recovery must ask the
 *    chain (authorizationState(payer, nonce) on the asset) and then
 *    commit (used) or release (unused) with the listed token.
 *
 * File backend (one directory on a local file system, mode 0770 less the
 * umask when created; its parent must exist):
 *  - DIR/<id> holds two text lines: "inflight PID TIME OWNER" or
 *    "settled TX TIME OWNER", then "NETWORK ASSET PAYER NONCE" (hex), so
 *    recovery can find the authorization on chain.
 *  - acquire writes and fsyncs a temporary DIR/.tmp.*, then link()s it to
 *    DIR/<id> - atomic across processes like O_CREAT|O_EXCL, but a claim
 *    is never seen empty, even after a crash - and fsyncs DIR.
 *  - commit writes a temporary, fsyncs it, rename()s it over DIR/<id> and
 *    fsyncs DIR.  release unlinks DIR/<id> and fsyncs DIR.  Both check
 *    the claim and change it under an exclusive flock of DIR, so of two
 *    holders of one token (a pending claim taken over by two retries)
 *    exactly one commits; the other gets X402_ERR_DUPLICATE.
 *  - The liveness test of a PID (x402_claim_worker_gone: kill(pid, 0)
 *    fails with ESRCH, or the PID now names a process that started after
 *    the claim) is only meaningful on the host that wrote it.
 */
#ifndef X402_CLAIM_H
#define X402_CLAIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "codec.h"
#include "error.h"

#define X402_CLAIM_NETMAX 64	/* longest network id */
#define X402_CLAIM_TXMAX 128	/* longest settlement transaction id */
#define X402_CLAIM_NONCE_LEN 32
#define X402_CLAIM_ID_LEN 32	/* keccak256 of the key */
#define X402_CLAIM_OWNER_LEN 16

/* What identifies an authorization.  Caller-owned. */
struct x402_claim_key {
	char network[X402_CLAIM_NETMAX + 1];	/* CAIP-2, NUL-terminated */
	uint8_t asset[X402_ADDR_LEN];		/* token contract */
	uint8_t payer[X402_ADDR_LEN];		/* authorization `from` */
	uint8_t nonce[X402_CLAIM_NONCE_LEN];	/* authorization nonce */
};

/* Proof of holding a claim, from acquire or from the stale list. */
struct x402_claim_token {
	uint8_t id[X402_CLAIM_ID_LEN];
	uint8_t owner[X402_CLAIM_OWNER_LEN];
};

enum x402_claim_status {
	X402_CLAIM_INFLIGHT = 1,
	X402_CLAIM_SETTLED = 2,
};

/* A claim as stored.  Caller-owned. */
struct x402_claim_state {
	enum x402_claim_status status;
	struct x402_claim_token token;
	struct x402_claim_key key;
	long pid;			/* in flight: the worker */
	int64_t since;			/* unix time of acquire or commit */
	char tx[X402_CLAIM_TXMAX + 1];	/* settled: the transaction, else "" */
};

/*
 * A backend.  Each function returns 0 or an X402_ERR_*, with the same
 * meaning as the x402_claim_* function of the same name; `impl` is the
 * backend's own state.  The front end validates arguments and computes
 * ids, owners, pids and times before calling.
 *  create: store st (in flight) unless st->token.id exists (DUPLICATE).
 *  remove: delete the in-flight claim of tok (NOTFOUND, BUSY, DUPLICATE).
 *  settle: replace the in-flight claim of tok by st (settled), atomically.
 *  get:    read the claim with this id (NOTFOUND).
 *  each:   call fn for every claim until it returns non-zero (returned).
 *  close:  free impl (NULL allowed).
 */
struct x402_claim_ops {
	int (*create)(void *impl, struct x402_detail *d,
	    const struct x402_claim_state *st);
	int (*remove)(void *impl, struct x402_detail *d,
	    const struct x402_claim_token *tok);
	int (*settle)(void *impl, struct x402_detail *d,
	    const struct x402_claim_state *st);
	int (*get)(void *impl, struct x402_claim_state *out,
	    struct x402_detail *d, const uint8_t id[X402_CLAIM_ID_LEN]);
	int (*each)(void *impl, struct x402_detail *d,
	    int (*fn)(void *arg, const struct x402_claim_state *st),
	    void *arg);
	void (*close)(void *impl);
};

struct x402_claim_store;

/* Callback for x402_claim_stale: non-zero stops the listing. */
typedef int (*x402_claim_fn)(void *arg, const struct x402_claim_state *st);

/*
 * Opens the file backend at dir, creating dir when missing.  Returns 0,
 * X402_ERR_IO (path and errno in the detail), X402_ERR_INVAL or
 * X402_ERR_NOMEM.  Out: *store, for x402_claim_close.
 */
int x402_claim_open(struct x402_claim_store **store, struct x402_detail *d,
    const char *dir) X402_WARN_UNUSED;

/*
 * Wraps a backend.  On success the store owns impl (ops->close frees it).
 * Returns 0, X402_ERR_INVAL or X402_ERR_NOMEM.  Out: *store.
 */
int x402_claim_store_new(struct x402_claim_store **store,
    struct x402_detail *d, const struct x402_claim_ops *ops, void *impl)
    X402_WARN_UNUSED;

/* Closes the store and its backend.  NULL allowed. */
void x402_claim_close(struct x402_claim_store *store);

/*
 * The claim id: keccak256("x402-claim-v1" 0x00 || len(network) as one
 * byte || network || asset || payer || nonce).  Returns 0 or
 * X402_ERR_INVAL (bad network).  Out: id.
 */
int x402_claim_id(uint8_t id[X402_CLAIM_ID_LEN],
    const struct x402_claim_key *key) X402_WARN_UNUSED;

/*
 * Claims the authorization for this process.  Returns 0,
 * X402_ERR_DUPLICATE (in flight elsewhere or settled: refuse the
 * request), X402_ERR_IO, X402_ERR_INVAL.  Out: *tok, for release/commit.
 */
int x402_claim_acquire(struct x402_claim_store *store,
    struct x402_claim_token *tok, struct x402_detail *d,
    const struct x402_claim_key *key) X402_WARN_UNUSED;

/*
 * Ends an in-flight claim without settlement (the command failed; the
 * payer may send the same authorization again).  Returns 0,
 * X402_ERR_NOTFOUND, X402_ERR_BUSY (another owner's claim),
 * X402_ERR_DUPLICATE (already settled: never released), X402_ERR_IO.
 */
int x402_claim_release(struct x402_claim_store *store, struct x402_detail *d,
    const struct x402_claim_token *tok) X402_WARN_UNUSED;

/*
 * Marks an in-flight claim settled by transaction tx (1..X402_CLAIM_TXMAX
 * printable ASCII, no spaces), durably.  Returns 0, X402_ERR_NOTFOUND,
 * X402_ERR_BUSY, X402_ERR_DUPLICATE (already settled), X402_ERR_INVAL,
 * X402_ERR_IO.
 */
int x402_claim_commit(struct x402_claim_store *store, struct x402_detail *d,
    const struct x402_claim_token *tok, const char *tx) X402_WARN_UNUSED;

/*
 * Reads the claim on key.  Returns 0, X402_ERR_NOTFOUND (no claim),
 * X402_ERR_IO, X402_ERR_SYNTAX (unreadable claim), X402_ERR_INVAL.
 * Out: *out.
 */
int x402_claim_state(struct x402_claim_store *store,
    struct x402_claim_state *out, struct x402_detail *d,
    const struct x402_claim_key *key) X402_WARN_UNUSED;

/*
 * Whether the worker that acquired a claim at unix time `since` is gone
 * from this host: no process has its pid (kill(pid, 0) fails with ESRCH),
 * or the pid now names a process that started more than 2 s after `since`
 * (the pid was reused; start time from /proc/PID/stat and /proc/stat
 * btime).  Returns 1 (gone) or 0 (alive, unknown, or not ours to judge:
 * EPERM, pid <= 0).
 */
int x402_claim_worker_gone(long pid, int64_t since);

/*
 * Calls fn(arg, st) for each in-flight claim at least min_age seconds
 * older than now whose worker is gone (x402_claim_worker_gone).
 * Releases nothing (see the rules).  Returns 0, fn's non-zero value, or
 * the backend's error.
 */
int x402_claim_stale(struct x402_claim_store *store, struct x402_detail *d,
    time_t now, unsigned min_age, x402_claim_fn fn, void *arg)
    X402_WARN_UNUSED;

#endif /* X402_CLAIM_H */
