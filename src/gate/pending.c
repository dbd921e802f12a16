/*
 * pending.c - settlements whose outcome is not known (pending.h).
 *
 * A settle request that left and got no verdict back (late, cut, 5xx,
 * garbage) may have moved the money.  The gate then keeps the claim in
 * flight, the receipt draft and the response that was paid for (the
 * "kept response", recover.h), and tells the client to retry the same
 * payment.  Whoever comes next - the payer's retry or x402-gate
 * --recover - asks the chain:
 *   used                  -> find the transaction, commit the claim (the
 *                            single point: one of two racing retries
 *                            wins), write the receipt once, serve;
 *   unused, still usable  -> still pending;
 *   unused, expired       -> release the claim, drop draft and response.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "log.h"
#include "pending.h"

void
pending_hash(uint8_t out[32], const char *hdr)
{
	x402_keccak256(out, hdr, strlen(hdr));
}

int
pending_rpc(struct route *r, struct x402_rpc **rpc, struct x402_detail *d)
{
	struct x402_http_opts ho;
	const char *url = r->c.recover_rpc_url[0] ? r->c.recover_rpc_url :
	    r->c.rpc_url;

	*rpc = NULL;
	if (url[0] == '\0')
		return 0;
	memset(&ho, 0, sizeof(ho));
	ho.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	ho.timeout_ms = (long)r->c.rpc_timeout * 1000;
	ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
	return x402_rpc_new(rpc, url, &ho, d);
}

int
pending_keep(struct route *r, const struct x402_claim_token *tok,
    const char *hdr, int64_t until, int status, const char *type,
    const void *body, size_t len)
{
	struct x402_kept k;
	struct x402_detail d;
	int e;

	memset(&k, 0, sizeof(k));
	k.status = status;
	k.until = until;
	pending_hash(k.hdr_hash, hdr);
	snprintf(k.type, sizeof(k.type), "%s", type);
	if ((e = x402_kept_put(r->drafts, &d, tok->id, &k, body, len)) != 0)
		X402_LOG_ERR("route %s: CANNOT KEEP THE RESPONSE of a pending "
		    "settlement: %s; a retry will be refused", r->name, d.msg);
	return e;
}

/*
 * The claim of key as it is now: settled by another taker (a retry that
 * won the commit)?  Out: tx.  Returns PENDING_SERVE or PENDING_WAIT.
 */
static int
settled_meanwhile(struct route *r, const struct x402_claim_key *key,
    char tx[X402_CLAIM_TXMAX + 1])
{
	struct x402_claim_state cur;
	struct x402_detail d;

	if (x402_claim_state(r->claims, &cur, &d, key) != 0 ||
	    cur.status != X402_CLAIM_SETTLED)
		return PENDING_WAIT;
	snprintf(tx, X402_CLAIM_TXMAX + 1, "%s",
	    strncmp(cur.tx, "0x", 2) == 0 ? cur.tx : "");
	return PENDING_SERVE;
}

/*
 * The authorization of the in-flight claim st was used on chain: find
 * the transaction, commit the claim with it, write the receipt from the
 * draft.  Out: tx ("" when the transaction is outside the searched range).
 * Returns PENDING_SERVE, or PENDING_WAIT (left for later: logged).
 */
static int
land(struct route *r, struct x402_rpc *rpc, const struct x402_claim_state *st,
    char tx[X402_CLAIM_TXMAX + 1], const char *by, time_t now)
{
	struct x402_receipt rc;
	struct x402_recover_tx f;
	struct x402_detail d;
	char name[X402_SPOOL_NAMEMAX + 1];
	int64_t watch, mtime;
	long pid;
	int e, ret = PENDING_WAIT;

	tx[0] = '\0';
	memset(&f, 0, sizeof(f));
	if ((e = x402_draft_get(r->drafts, &rc, &pid, &watch, &mtime, &d,
	    st->token.id)) != 0) {
		/* Another retry committed and wrote the receipt meanwhile? */
		if (settled_meanwhile(r, &st->key, tx) == PENDING_SERVE)
			return PENDING_SERVE;
		X402_LOG_ERR("route %s: pending: settled on chain, but the "
		    "receipt draft: %s", r->name, d.msg);
		return PENDING_WAIT;
	}
	if ((e = x402_recover_find(rpc, &f, &d, &rc,
	    r->c.recover_blocks)) != 0) {
		X402_LOG_ERR("route %s: pending: cannot look for the "
		    "settlement: %s: %s", r->name, x402_strerror(e), d.msg);
		goto out;
	}
	if (!f.found && strcmp(rc.scheme, "upto") == 0) {
		X402_LOG_ERR("route %s: pending: used on chain, but the amount "
		    "cannot be told from the last %llu blocks; left", r->name,
		    (unsigned long long)r->c.recover_blocks);
		goto out;
	}
	if (f.found) {
		(void)x402_hex_encode(tx, X402_CLAIM_TXMAX + 1, f.tx, 32,
		    X402_HEX_PREFIX_REQUIRED);
		rc.amount = f.amount;
	}
	snprintf(rc.transaction, sizeof(rc.transaction), "%s", tx);
	/* The commit is the single point: one taker writes the receipt. */
	e = x402_claim_commit(r->claims, &d, &st->token,
	    tx[0] ? tx : "recovered");
	if (e == X402_ERR_DUPLICATE) {
		/* The other taker won: it writes the receipt. */
		(void)settled_meanwhile(r, &st->key, tx);
		ret = PENDING_SERVE;
		goto out;
	}
	if (e != 0) {
		X402_LOG_ERR("route %s: pending: cannot commit the claim: %s",
		    r->name, d.msg);
		goto out;
	}
	ret = PENDING_SERVE;
	if (gate_put_receipt(r, name, &rc, by, now) != 0) {
		X402_LOG_ERR("route %s: pending: CANNOT WRITE THE RECEIPT of "
		    "tx %s; the draft stays for x402-gate --recover", r->name,
		    tx[0] ? tx : "(not found)");
		goto out;
	}
	if (x402_draft_drop(r->drafts, &d, st->token.id) != 0)
		X402_LOG_WARN("route %s: pending: cannot remove a receipt "
		    "draft: %s", r->name, d.msg);
	X402_LOG_INFO("route %s: pending settlement landed (%s): tx %s, "
	    "receipt %s", r->name, by, tx[0] ? tx : "(not found in range)",
	    name);
out:
	x402_receipt_free(&rc);
	return ret;
}

/* Releases a pending claim whose authorization can no longer be used. */
static int
expire(struct route *r, const struct x402_claim_state *st)
{
	struct x402_detail d;

	if (x402_claim_release(r->claims, &d, &st->token) != 0) {
		X402_LOG_ERR("route %s: pending: cannot release an expired "
		    "claim: %s", r->name, d.msg);
		return PENDING_WAIT;
	}
	if (x402_draft_drop(r->drafts, &d, st->token.id) != 0)
		X402_LOG_WARN("route %s: pending: %s", r->name, d.msg);
	if (x402_kept_drop(r->drafts, &d, st->token.id) != 0)
		X402_LOG_WARN("route %s: pending: %s", r->name, d.msg);
	X402_LOG_INFO("route %s: pending settlement never landed and its "
	    "authorization expired: released", r->name);
	return PENDING_RELEASED;
}

int
pending_resolve(struct route *r, struct x402_rpc *rpc,
    const struct x402_claim_state *st, int permit2, int64_t until,
    char tx[X402_CLAIM_TXMAX + 1], const char *by, time_t now)
{
	struct x402_detail d;
	int used = 0, e, late;

	tx[0] = '\0';
	if (rpc == NULL)
		return PENDING_WAIT;
	/*
	 * The time first: unused at a moment past the last second the token
	 * accepts it (plus the skew allowed) means unused forever.
	 */
	late = until < INT64_MAX - PENDING_EXPIRY_MARGIN - 86400 &&
	    (int64_t)now > until + (int64_t)r->c.clock_skew +
	    PENDING_EXPIRY_MARGIN;
	if ((e = x402_recover_used(rpc, &used, &d, permit2, st->key.asset,
	    st->key.payer, st->key.nonce)) != 0) {
		X402_LOG_ERR("route %s: pending: cannot ask the chain: %s: %s",
		    r->name, x402_strerror(e), d.msg);
		return PENDING_WAIT;
	}
	if (used)
		return land(r, rpc, st, tx, by, now);
	return late ? expire(r, st) : PENDING_WAIT;
}

int
pending_retry(struct route *r, struct pending_hit *h,
    const struct x402_claim_key *key, const char *hdr, int permit2)
{
	struct x402_claim_state st;
	struct x402_rpc *rpc = NULL;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN], hh[32];
	int e, ret = PENDING_NONE;

	h->tx[0] = '\0';
	if (x402_claim_id(id, key) != 0)
		return PENDING_NONE;
	memcpy(h->id, id, sizeof(h->id));
	e = x402_kept_get(r->drafts, &h->k, &h->body, &d, id);
	if (e != 0) {
		if (e != X402_ERR_NOTFOUND)
			X402_LOG_ERR("route %s: pending: %s", r->name, d.msg);
		return PENDING_NONE;
	}
	/* Only the very payment that was kept is served its response. */
	pending_hash(hh, hdr);
	if (x402_memeq_ct(hh, h->k.hdr_hash, sizeof(hh)) != 0)
		return PENDING_NONE;
	e = x402_claim_state(r->claims, &st, &d, key);
	if (e == X402_ERR_NOTFOUND)
		return PENDING_NONE;	/* released: a stale response */
	if (e != 0) {
		X402_LOG_ERR("route %s: pending: claim store: %s", r->name,
		    d.msg);
		return PENDING_WAIT;
	}
	if (st.status == X402_CLAIM_SETTLED) {
		snprintf(h->tx, sizeof(h->tx), "%s",
		    strncmp(st.tx, "0x", 2) == 0 ? st.tx : "");
		return PENDING_SERVE;
	}
	if ((e = pending_rpc(r, &rpc, &d)) != 0) {
		X402_LOG_ERR("route %s: pending: RPC node: %s", r->name, d.msg);
		return PENDING_WAIT;
	}
	if (rpc == NULL)
		X402_LOG_WARN("route %s: pending settlement: no RPC node to "
		    "ask ([recover] rpc_url); x402-gate --recover must resolve "
		    "it", r->name);
	ret = pending_resolve(r, rpc, &st, permit2, h->k.until, h->tx,
	    "the payer's retry", time(NULL));
	x402_rpc_free(rpc);
	return ret;
}

int
pending_used(struct route *r, int *used, const struct x402_claim_key *key,
    int permit2)
{
	struct x402_rpc *rpc = NULL;
	struct x402_detail d;
	int e;

	*used = 0;
	if ((e = pending_rpc(r, &rpc, &d)) != 0 || rpc == NULL)
		goto out;
	e = x402_recover_used(rpc, used, &d, permit2, key->asset, key->payer,
	    key->nonce);
out:
	if (e != 0)
		X402_LOG_ERR("route %s: cannot ask the chain about the "
		    "authorization: %s: %s", r->name, x402_strerror(e), d.msg);
	x402_rpc_free(rpc);
	return e;
}
