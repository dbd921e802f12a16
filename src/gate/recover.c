/*
 * recover.c - x402-gate --recover: complete the record of payments whose
 * worker died between settlement and receipt (recover.h, claim.h).
 *
 * For one route:
 *  1. Local settlement: x402_local_reconcile on the pending journal first
 *     (a transaction sent and not yet known gets its outcome, or is
 *     broadcast again and left pending).
 *  2. Each in-flight claim whose worker is gone (x402_claim_stale, at
 *     least [recover] min_age old) and whose draft names this route: ask
 *     the chain whether the authorization was used.  Unused: release the
 *     claim (the payer may send it again) and keep the draft marked
 *     "watch until now + [recover] watch" (0: drop it).  Used: find
 *     the transaction (the journal's, or eth_getLogs over [recover] blocks
 *     blocks), commit the claim, write the receipt marked "recovered" in
 *     its settlement, drop the draft.
 *  1b. Each pending settlement (an in-flight claim with a kept response,
 *     pending.h), whether its worker lives or not: used on chain ->
 *     commit, receipt; unused past its validBefore -> released; else
 *     left.  A kept response whose claim is gone or settled is removed
 *     once its authorization has expired (a settle = before mark, status
 *     0, too: until then the payer's retry runs the command).  Step 2
 *     leaves these claims.
 *  3. Each draft left beside a settled claim by a dead worker (killed
 *     after the commit, before the receipt was durable): when no receipt
 *     of that authorization is in the spool (new/, cur/, quarantine/) or
 *     the fallback spool, write it from the draft and the claim's
 *     transaction; then drop the draft.  A draft without a claim is
 *     dropped.  A watched draft whose authorization turns out used with
 *     no claim (a facilitator settled it late): take the claim and
 *     complete as in 2; unused past its watch: dropped.
 * A claim or draft whose worker is alive is never touched.  One log line
 * per claim.  Running it again finds nothing to do.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "log.h"
#include "pending.h"

#define STALE_MAX 4096		/* claims handled per run */
#define KNOWN_MAX 256		/* journal outcomes remembered per run */

struct known {
	uint8_t id[X402_CLAIM_ID_LEN];
	uint8_t tx[32];
};

struct ctx {
	struct route *r;
	struct x402_rpc *rpc;
	uint64_t chain_id;
	time_t now;
	char state[512];		/* local: the relayer state directory */
	struct known known[KNOWN_MAX];
	size_t nknown;
	struct x402_claim_state *list;	/* stale claims collected */
	size_t nlist;
	uint8_t (*ids)[X402_CLAIM_ID_LEN];	/* drafts collected */
	size_t nids;
	unsigned recovered, released, skipped, failed;
};

static void
hex32(char out[67], const uint8_t p[32])
{
	(void)x402_hex_encode(out, 67, p, 32, X402_HEX_PREFIX_REQUIRED);
}

/* Removes a draft whose record is complete (a failure only leaves work). */
static void
drop(struct ctx *c, const uint8_t id[X402_CLAIM_ID_LEN])
{
	struct x402_detail d;

	int e;

	if ((e = x402_draft_drop(c->r->drafts, &d, id)) != 0 &&
	    e != X402_ERR_NOTFOUND)
		X402_LOG_WARN("route %s: recover: %s", c->r->name, d.msg);
}

/* ---- step 1: the local settler's journal -------------------------------- */

static int
on_journal(void *arg, const struct x402_local_record *rec,
    enum x402_local_outcome outcome)
{
	struct ctx *c = arg;
	char tx[67];
	static const char *const what[] = { "?", "settled", "failed",
	    "used elsewhere", "dropped", "still in flight" };

	hex32(tx, rec->tx_hash);
	X402_LOG_INFO("route %s: recover: journal %s: tx %s %s", c->r->name,
	    rec->id, tx, what[outcome <= X402_LOCAL_INFLIGHT ? outcome : 0]);
	if (outcome == X402_LOCAL_SETTLED && c->nknown < KNOWN_MAX) {
		size_t got = 0;

		if (x402_hex_decode(c->known[c->nknown].id, X402_CLAIM_ID_LEN,
		    &got, rec->id, strlen(rec->id),
		    X402_HEX_PREFIX_OPTIONAL) == 0 &&
		    got == X402_CLAIM_ID_LEN) {
			memcpy(c->known[c->nknown].tx, rec->tx_hash, 32);
			c->nknown++;
		}
	}
	return 0;
}

static const uint8_t *
known_tx(const struct ctx *c, const uint8_t id[X402_CLAIM_ID_LEN])
{
	size_t i;

	for (i = 0; i < c->nknown; i++)
		if (memcmp(c->known[i].id, id, X402_CLAIM_ID_LEN) == 0)
			return c->known[i].tx;
	return NULL;
}

/* Local mode: a journal record still pending for this claim. */
static int
journal_pending(const struct ctx *c, const uint8_t id[X402_CLAIM_ID_LEN])
{
	char path[700], name[67];
	struct stat st;

	if (c->r->c.mode != MODE_LOCAL)
		return 0;
	(void)x402_hex_encode(name, sizeof(name), id, X402_CLAIM_ID_LEN,
	    X402_HEX_PREFIX_NONE);
	snprintf(path, sizeof(path), "%s/pending/%s", c->state, name);
	return stat(path, &st) == 0;
}

/* ---- receipts ----------------------------------------------------------- */

int
gate_put_receipt(struct route *r, char name[X402_SPOOL_NAMEMAX + 1],
    struct x402_receipt *rc, const char *by, time_t now)
{
	struct x402_detail d, d2;
	struct x402_spool *fb = NULL;
	struct json_object *s;
	struct x402_buf b;
	char payer[X402_ADDR_STRLEN + 1];
	int ret = -1;

	x402_addr_format(payer, rc->payer);
	s = json_object_new_object();
	if (s == NULL ||
	    x402_json_put(s, "success", json_object_new_boolean(1)) != 0 ||
	    x402_json_put(s, "recovered", json_object_new_boolean(1)) != 0 ||
	    x402_json_add_string(s, "recoveredBy", by) ||
	    x402_json_put(s, "recoveredAt",
	    json_object_new_int64((int64_t)now)) != 0 ||
	    x402_json_add_string(s, "transaction", rc->transaction) ||
	    x402_json_add_string(s, "network", rc->network) ||
	    x402_json_add_string(s, "payer", payer)) {
		json_object_put(s);
		return -1;
	}
	rc->settlement = s;
	x402_buf_init(&b, X402_RECEIPT_MAX);
	if (x402_receipt_format(&b, rc) != 0)
		goto out;
	if (x402_spool_write(r->spool, name, X402_SPOOL_NAMEMAX + 1, &d,
	    b.p, b.len) == 0) {
		ret = 0;
		goto out;
	}
	X402_LOG_ERR("route %s: recover: cannot write to the spool (%s); "
	    "trying %s", r->name, d.msg, r->c.fallback);
	if (x402_spool_open(&fb, &d2, r->c.fallback) == 0 &&
	    x402_spool_write(fb, name, X402_SPOOL_NAMEMAX + 1, &d2, b.p,
	    b.len) == 0)
		ret = 0;
	x402_spool_close(fb);
out:
	x402_buf_free(&b);
	json_object_put(s);
	rc->settlement = NULL;
	return ret;
}

/* A receipt of the same authorization in DIR/sub?  1, 0, or -1 (error). */
static int
receipt_in(const char *dir, const char *sub, const struct x402_receipt *want)
{
	char path[600], *buf = NULL;
	struct x402_receipt rc;
	struct x402_detail d;
	struct dirent *de;
	DIR *dp;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((dp = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	if ((buf = malloc(X402_RECEIPT_MAX + 1)) == NULL) {
		closedir(dp);
		return -1;
	}
	while (!found && (de = readdir(dp)) != NULL) {
		size_t n, len;
		int fd;
		ssize_t k;

		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || (n > 7 &&
		    strcmp(de->d_name + n - 7, ".reason") == 0))
			continue;
		if ((fd = openat(dirfd(dp), de->d_name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0)
			continue;
		len = 0;
		while (len < X402_RECEIPT_MAX && (k = read(fd, buf + len,
		    X402_RECEIPT_MAX - len)) > 0)
			len += (size_t)k;
		close(fd);
		if (x402_receipt_parse(&rc, &d, buf, len) == 0 &&
		    strcmp(rc.network, want->network) == 0 &&
		    memcmp(rc.asset, want->asset, X402_ADDR_LEN) == 0 &&
		    memcmp(rc.payer, want->payer, X402_ADDR_LEN) == 0 &&
		    memcmp(rc.nonce, want->nonce, 32) == 0)
			found = 1;
		x402_receipt_free(&rc);
	}
	free(buf);
	closedir(dp);
	return found;
}

static int
receipt_present(const struct ctx *c, const struct x402_receipt *rc)
{
	static const char *const subs[] = { "new", "cur", "quarantine" };
	size_t i;
	int k;

	for (i = 0; i < 3; i++) {
		if ((k = receipt_in(c->r->c.spool, subs[i], rc)) != 0)
			return k;
		if ((k = receipt_in(c->r->c.fallback, subs[i], rc)) != 0)
			return k;
	}
	return 0;
}

/* ---- step 2: stale claims ----------------------------------------------- */

static int on_our_chain(struct ctx *, const char *, const char *);
static int kept_head(struct route *, struct x402_kept *,
    const uint8_t[X402_CLAIM_ID_LEN]);
static int collect_draft(void *, const uint8_t[X402_CLAIM_ID_LEN]);

static int
collect_stale(void *arg, const struct x402_claim_state *st)
{
	struct ctx *c = arg;

	if (c->nlist >= STALE_MAX)
		return 1;
	c->list[c->nlist++] = *st;
	return 0;
}

/* Does the claim's (network, asset) belong to one of the route's offers? */
static int
route_offers(const struct route *r, const struct x402_claim_key *k)
{
	size_t i;

	for (i = 0; i < r->noffers; i++)
		if (strcmp(r->offers[i].net->caip2, k->network) == 0 &&
		    memcmp(r->offers[i].asset->address, k->asset,
		    X402_ADDR_LEN) == 0)
			return 1;
	return 0;
}

/*
 * exact: transaction tx must hold the Transfer(payer, payTo) of the
 * draft's amount, so that a receipt never says more than the chain.
 * Returns 0 (it does), 1 (it does not: logged) or -1 (the node: logged).
 */
static int
exact_checked(struct ctx *c, const uint8_t tx[32],
    const struct x402_receipt *rc, const char *id)
{
	struct x402_recover_tx g;
	struct x402_detail d;
	char amt[X402_U256_DECLEN + 1], t[67];
	int e;

	if ((e = x402_recover_tx_amount(c->rpc, &g, &d, tx, rc)) != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: cannot read the "
		    "transaction: %s: %s; left", c->r->name, id,
		    x402_strerror(e), d.msg);
		return -1;
	}
	if (g.found && x402_u256_cmp(&g.amount, &rc->amount) == 0)
		return 0;
	hex32(t, tx);
	if (x402_u256_format_dec(amt, sizeof(amt), &rc->amount) < 0)
		amt[0] = '\0';
	X402_LOG_ERR("route %s: recover: claim %s: transaction %s does not "
	    "move %s from the payer to payTo as its draft says; left",
	    c->r->name, id, t, amt);
	return 1;
}

/*
 * The authorization of claim tok (held or taken by us) was used on chain:
 * find the transaction, commit the claim, write the receipt from the
 * draft rc, drop the draft.  `why` starts the log line.
 */
static void
complete(struct ctx *c, const struct x402_claim_token *tok,
    struct x402_receipt *rc, const char *id, const char *why)
{
	struct route *r = c->r;
	struct x402_recover_tx f;
	struct x402_detail d;
	char tx[67], amt[X402_U256_DECLEN + 1];
	char name[X402_SPOOL_NAMEMAX + 1];
	const uint8_t *jtx;
	int e;

	memset(&f, 0, sizeof(f));
	if ((jtx = known_tx(c, tok->id)) != NULL) {
		if (strcmp(rc->scheme, "upto") == 0)
			e = x402_recover_tx_amount(c->rpc, &f, &d, jtx, rc);
		else {
			f.found = 1;
			memcpy(f.tx, jtx, 32);
			f.amount = rc->amount;
			e = 0;
		}
	} else
		e = x402_recover_find(c->rpc, &f, &d, rc,
		    r->c.recover_blocks);
	if (e != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: cannot look for the "
		    "settlement: %s: %s; left in flight", r->name, id,
		    x402_strerror(e), d.msg);
		c->failed++;
		return;
	}
	if (!f.found && strcmp(rc->scheme, "upto") == 0) {
		X402_LOG_ERR("route %s: recover: claim %s: used on chain, but "
		    "the settled amount cannot be told from the last %llu "
		    "blocks; left in flight", r->name, id,
		    (unsigned long long)r->c.recover_blocks);
		c->failed++;
		return;
	}
	if (f.found && strcmp(rc->scheme, "upto") != 0 &&
	    exact_checked(c, f.tx, rc, id) != 0) {
		c->failed++;
		return;
	}
	if (f.found) {
		hex32(tx, f.tx);
		rc->amount = f.amount;
	} else
		tx[0] = '\0';	/* used, transaction outside the range */
	snprintf(rc->transaction, sizeof(rc->transaction), "%s", tx);
	/* Commit first: a crash after it leaves step 3's case. */
	if ((e = x402_claim_commit(r->claims, &d, tok,
	    tx[0] ? tx : "recovered")) != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: cannot commit: %s",
		    r->name, id, d.msg);
		c->failed++;
		return;
	}
	if (gate_put_receipt(c->r, name, rc, "x402-gate --recover",
	    c->now) != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: CANNOT WRITE THE "
		    "RECOVERED RECEIPT; the draft stays for the next run",
		    r->name, id);
		c->failed++;
		return;
	}
	drop(c, tok->id);
	if (x402_u256_format_dec(amt, sizeof(amt), &rc->amount) < 0)
		amt[0] = '\0';
	X402_LOG_INFO("route %s: recover: claim %s (%s): settled on chain, tx "
	    "%s, amount %s: recovered receipt %s", r->name, id, why,
	    tx[0] ? tx : "(not found in range)", amt, name);
	c->recovered++;
}

static void
stale_one(struct ctx *c, const struct x402_claim_state *st)
{
	struct route *r = c->r;
	struct x402_receipt rc;
	struct x402_detail d;
	char id[67], why[64];
	int64_t mtime, watch;
	long pid;
	int e, has_draft, used;

	(void)x402_hex_encode(id, sizeof(id), st->token.id, X402_CLAIM_ID_LEN,
	    X402_HEX_PREFIX_NONE);
	snprintf(why, sizeof(why), "worker %ld gone", st->pid);
	e = x402_draft_get(r->drafts, &rc, &pid, &watch, &mtime, &d,
	    st->token.id);
	if (e != 0 && e != X402_ERR_NOTFOUND) {
		X402_LOG_ERR("route %s: recover: claim %s (worker %ld gone): "
		    "%s; left in flight", r->name, id, st->pid, d.msg);
		c->failed++;
		return;
	}
	has_draft = e == 0;
	if (has_draft ? strcmp(rc.route, r->name) != 0 :
	    !route_offers(r, &st->key))
		goto out;	/* another route's */
	{
		struct x402_kept k;

		if (kept_head(r, &k, st->token.id) != 0)
			goto out;	/* pending: step 1b's */
	}
	if (!on_our_chain(c, st->key.network, id))
		goto out;
	if (journal_pending(c, st->token.id)) {
		X402_LOG_INFO("route %s: recover: claim %s: its transaction is "
		    "still pending; left for the next run", r->name, id);
		c->skipped++;
		goto out;
	}
	if ((e = x402_recover_used(c->rpc, &used, &d, has_draft &&
	    strcmp(rc.scheme, "upto") == 0, st->key.asset, st->key.payer,
	    st->key.nonce)) != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: cannot ask the "
		    "chain: %s: %s; left in flight", r->name, id,
		    x402_strerror(e), d.msg);
		c->failed++;
		goto out;
	}
	if (!used) {
		/*
		 * A settlement may still be on its way (a facilitator holding
		 * it): the draft stays, marked, and later runs watch the chain
		 * for [recover] watch seconds (step 3).  A retry of the payer
		 * replaces it with its own draft.
		 */
		if (has_draft && r->c.recover_watch > 0 &&
		    (e = x402_draft_put(r->drafts, &d, st->token.id,
		    pid, (int64_t)c->now + (int64_t)r->c.recover_watch,
		    &rc)) != 0) {
			X402_LOG_ERR("route %s: recover: claim %s: %s; left in "
			    "flight", r->name, id, d.msg);
			c->failed++;
			goto out;
		}
		if ((e = x402_claim_release(r->claims, &d, &st->token)) != 0) {
			X402_LOG_ERR("route %s: recover: claim %s: cannot "
			    "release: %s", r->name, id, d.msg);
			c->failed++;
			goto out;
		}
		if (has_draft && r->c.recover_watch == 0)
			drop(c, st->token.id);
		X402_LOG_INFO("route %s: recover: claim %s (worker %ld gone): "
		    "authorization unused on chain: released, the payer may "
		    "retry%s", r->name, id, st->pid, has_draft &&
		    r->c.recover_watch > 0 ? " (watching the chain for a "
		    "late settlement)" : "");
		c->released++;
		goto out;
	}
	if (!has_draft) {
		X402_LOG_ERR("route %s: recover: claim %s (worker %ld gone): "
		    "SETTLED ON CHAIN BUT NO RECEIPT DRAFT: write the receipt "
		    "by hand; left in flight", r->name, id, st->pid);
		c->failed++;
		goto out;
	}
	complete(c, &st->token, &rc, id, why);
out:
	x402_receipt_free(&rc);
}

/* ---- step 1b: pending settlements ---------------------------------------- */

/* Reads the head of the kept response of id.  1 (there is one), 0, -1. */
static int
kept_head(struct route *r, struct x402_kept *k,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	struct x402_buf none;
	struct x402_detail d;
	int e;

	x402_buf_init(&none, 0);
	e = x402_kept_get(r->drafts, k, &none, &d, id);
	x402_buf_free(&none);
	if (e == 0 || e == X402_ERR_LIMIT)
		return 1;
	if (e == X402_ERR_NOTFOUND)
		return 0;
	X402_LOG_ERR("route %s: recover: %s", r->name, d.msg);
	return -1;
}

/* A kept response whose claim no longer waits: removed once expired. */
static void
kept_sweep(struct ctx *c, const uint8_t id[X402_CLAIM_ID_LEN],
    const struct x402_kept *k, const char *hex)
{
	struct x402_detail d;

	if (k->until >= INT64_MAX - PENDING_EXPIRY_MARGIN - 86400 ||
	    (int64_t)c->now <= k->until + (int64_t)c->r->c.clock_skew +
	    PENDING_EXPIRY_MARGIN)
		return;
	if (x402_kept_drop(c->r->drafts, &d, id) != 0)
		X402_LOG_WARN("route %s: recover: %s", c->r->name, d.msg);
	else
		X402_LOG_INFO("route %s: recover: kept response %s expired: "
		    "removed", c->r->name, hex);
}

static void
pending_one(struct ctx *c, const uint8_t id[X402_CLAIM_ID_LEN])
{
	struct route *r = c->r;
	struct x402_claim_state st;
	struct x402_claim_key key;
	struct x402_receipt rc;
	struct x402_kept k;
	struct x402_detail d;
	char hex[67], tx[X402_CLAIM_TXMAX + 1];
	int64_t mtime, watch;
	long pid;
	int e;

	(void)x402_hex_encode(hex, sizeof(hex), id, X402_CLAIM_ID_LEN,
	    X402_HEX_PREFIX_NONE);
	if (kept_head(r, &k, id) <= 0)
		return;
	e = x402_draft_get(r->drafts, &rc, &pid, &watch, &mtime, &d, id);
	if (e == X402_ERR_NOTFOUND) {
		kept_sweep(c, id, &k, hex);	/* landed: receipt written */
		return;
	}
	if (e != 0) {
		X402_LOG_ERR("route %s: recover: %s", r->name, d.msg);
		c->failed++;
		return;
	}
	if (strcmp(rc.route, r->name) != 0)
		goto out;
	memset(&key, 0, sizeof(key));
	snprintf(key.network, sizeof(key.network), "%s", rc.network);
	memcpy(key.asset, rc.asset, X402_ADDR_LEN);
	memcpy(key.payer, rc.payer, X402_ADDR_LEN);
	memcpy(key.nonce, rc.nonce, 32);
	e = x402_claim_state(r->claims, &st, &d, &key);
	if (e == X402_ERR_NOTFOUND || (e == 0 &&
	    st.status == X402_CLAIM_SETTLED)) {
		kept_sweep(c, id, &k, hex);
		goto out;
	}
	if (e != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: %s", r->name, hex,
		    d.msg);
		c->failed++;
		goto out;
	}
	if (!on_our_chain(c, rc.network, hex))
		goto out;
	switch (pending_resolve(r, c->rpc, &st, strcmp(rc.scheme, "upto") ==
	    0, k.until, tx, "x402-gate --recover", c->now)) {
	case PENDING_SERVE:
		c->recovered++;
		break;
	case PENDING_RELEASED:
		c->released++;
		break;
	default:
		X402_LOG_INFO("route %s: recover: claim %s: settlement still "
		    "pending; left", r->name, hex);
		c->skipped++;
		break;
	}
out:
	x402_receipt_free(&rc);
}

/* ---- step 3: drafts beside settled or missing claims --------------------- */

static int
collect_draft(void *arg, const uint8_t id[X402_CLAIM_ID_LEN])
{
	struct ctx *c = arg;

	if (c->nids >= STALE_MAX)
		return 1;
	memcpy(c->ids[c->nids++], id, X402_CLAIM_ID_LEN);
	return 0;
}

/* The draft's authorization on the RPC's chain?  Logs when not. */
static int
on_our_chain(struct ctx *c, const char *network, const char *id)
{
	const struct x402_network *net;

	net = x402_networks_find(c->r->networks, network);
	if (net != NULL && net->chain_id == c->chain_id)
		return 1;
	X402_LOG_WARN("route %s: recover: claim %s is on %s, not the RPC's "
	    "chain %llu; left", c->r->name, id, network,
	    (unsigned long long)c->chain_id);
	c->skipped++;
	return 0;
}

/*
 * A released authorization, watched until `watch`: settled late (a
 * facilitator that was still holding it)?  Then take the claim and
 * complete the record.  Retries of the payer replace the draft, so a
 * watched draft with a claim is a retry's business.
 */
static void
watch_one(struct ctx *c, const uint8_t idb[X402_CLAIM_ID_LEN],
    struct x402_receipt *rc, int64_t watch, const char *id)
{
	struct route *r = c->r;
	struct x402_claim_state st;
	struct x402_claim_token tok;
	struct x402_claim_key key;
	struct x402_detail d;
	int e, used;

	memset(&key, 0, sizeof(key));
	snprintf(key.network, sizeof(key.network), "%s", rc->network);
	memcpy(key.asset, rc->asset, X402_ADDR_LEN);
	memcpy(key.payer, rc->payer, X402_ADDR_LEN);
	memcpy(key.nonce, rc->nonce, 32);
	if ((e = x402_claim_state(r->claims, &st, &d, &key)) == 0) {
		if (st.status == X402_CLAIM_SETTLED) {
			drop(c, idb);
			X402_LOG_INFO("route %s: recover: claim %s: the "
			    "payer's retry settled; watch ended", r->name, id);
		}
		return;
	}
	if (e != X402_ERR_NOTFOUND) {
		X402_LOG_ERR("route %s: recover: draft %s: %s", r->name, id,
		    d.msg);
		c->failed++;
		return;
	}
	if (!on_our_chain(c, rc->network, id))
		return;
	if ((e = x402_recover_used(c->rpc, &used, &d,
	    strcmp(rc->scheme, "upto") == 0, key.asset, key.payer,
	    key.nonce)) != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: cannot ask the "
		    "chain: %s: %s", r->name, id, x402_strerror(e), d.msg);
		c->failed++;
		return;
	}
	if (!used) {
		if ((int64_t)c->now > watch) {
			drop(c, idb);
			X402_LOG_INFO("route %s: recover: claim %s: never "
			    "settled; watch ended", r->name, id);
		}
		return;
	}
	e = x402_claim_acquire(r->claims, &tok, &d, &key);
	if (e == X402_ERR_DUPLICATE)
		return;		/* a retry took it this instant */
	if (e != 0) {
		X402_LOG_ERR("route %s: recover: claim %s: %s", r->name, id,
		    d.msg);
		c->failed++;
		return;
	}
	complete(c, &tok, rc, id, "settled after its claim was released");
}

static void
draft_one(struct ctx *c, const uint8_t idb[X402_CLAIM_ID_LEN])
{
	struct route *r = c->r;
	struct x402_claim_state st;
	struct x402_claim_key key;
	struct x402_receipt rc;
	struct x402_recover_tx f;
	struct x402_detail d;
	char id[67], name[X402_SPOOL_NAMEMAX + 1];
	uint8_t txb[32];
	int64_t mtime, watch;
	long pid;
	int e, k;

	(void)x402_hex_encode(id, sizeof(id), idb, X402_CLAIM_ID_LEN,
	    X402_HEX_PREFIX_NONE);
	if ((e = x402_draft_get(r->drafts, &rc, &pid, &watch, &mtime, &d,
	    idb)) != 0) {
		if (e != X402_ERR_NOTFOUND) {
			X402_LOG_ERR("route %s: recover: %s", r->name, d.msg);
			c->failed++;
		}
		return;
	}
	if (strcmp(rc.route, r->name) != 0)
		goto out;	/* another route's */
	if (watch > 0) {
		watch_one(c, idb, &rc, watch, id);
		goto out;
	}
	if (!x402_claim_worker_gone(pid, mtime) ||
	    (int64_t)c->now - mtime < (int64_t)r->c.recover_min_age)
		goto out;	/* its worker may go on */
	memset(&key, 0, sizeof(key));
	snprintf(key.network, sizeof(key.network), "%s", rc.network);
	memcpy(key.asset, rc.asset, X402_ADDR_LEN);
	memcpy(key.payer, rc.payer, X402_ADDR_LEN);
	memcpy(key.nonce, rc.nonce, 32);
	e = x402_claim_state(r->claims, &st, &d, &key);
	if (e == X402_ERR_NOTFOUND) {
		drop(c, idb);
		X402_LOG_INFO("route %s: recover: draft %s without a claim "
		    "(released): dropped", r->name, id);
		goto out;
	}
	if (e != 0) {
		X402_LOG_ERR("route %s: recover: draft %s: %s", r->name, id,
		    d.msg);
		c->failed++;
		goto out;
	}
	if (st.status != X402_CLAIM_SETTLED)
		goto out;	/* in flight: step 2's, or a live worker's */
	if ((k = receipt_present(c, &rc)) != 0) {
		if (k < 0) {
			X402_LOG_ERR("route %s: recover: draft %s: cannot read "
			    "the spool", r->name, id);
			c->failed++;
			goto out;
		}
		drop(c, idb);
		X402_LOG_INFO("route %s: recover: draft %s: its receipt is in "
		    "the spool: dropped", r->name, id);
		goto out;
	}
	if (strcmp(st.tx, "none") == 0 ||
	    strcmp(st.tx, GATE_CLAIM_UNSETTLED) == 0) {
		/* upto with zero usage, or spent unsettled (the command's
		   own error status): nothing was charged, nothing due. */
		drop(c, idb);
		goto out;
	}
	rc.transaction[0] = '\0';
	if (strncmp(st.tx, "0x", 2) == 0 &&
	    strlen(st.tx) < sizeof(rc.transaction))
		memcpy(rc.transaction, st.tx, strlen(st.tx) + 1);
	if (strcmp(rc.scheme, "upto") != 0) {
		if (x402_hex_decode_exact(txb, 32, st.tx, strlen(st.tx)) == 0 &&
		    exact_checked(c, txb, &rc, id) != 0) {
			c->failed++;
			goto out;
		}
	} else {
		if (x402_hex_decode_exact(txb, 32, st.tx, strlen(st.tx)) != 0 ||
		    (e = x402_recover_tx_amount(c->rpc, &f, &d, txb,
		    &rc)) != 0 ||
		    !f.found) {
			X402_LOG_ERR("route %s: recover: draft %s: settled (tx "
			    "%s) but its amount cannot be read from the chain; "
			    "left", r->name, id, st.tx);
			c->failed++;
			goto out;
		}
		rc.amount = f.amount;
	}
	if (gate_put_receipt(c->r, name, &rc, "x402-gate --recover",
	    c->now) != 0) {
		X402_LOG_ERR("route %s: recover: draft %s: CANNOT WRITE THE "
		    "RECOVERED RECEIPT; left for the next run", r->name, id);
		c->failed++;
		goto out;
	}
	drop(c, idb);
	X402_LOG_INFO("route %s: recover: claim %s settled (tx %s) without a "
	    "receipt: recovered receipt %s", r->name, id, st.tx, name);
	c->recovered++;
out:
	x402_receipt_free(&rc);
}

/* ---- the run ------------------------------------------------------------ */

int
gate_recover(struct route *r)
{
	struct x402_http_opts ho;
	struct x402_detail d;
	struct ctx *c;
	const char *url = r->c.recover_rpc_url[0] ? r->c.recover_rpc_url :
	    r->c.rpc_url;
	size_t i;
	int e, ret = 1;

	if (url[0] == '\0') {
		X402_LOG_ERR("route %s: --recover needs an RPC node of the "
		    "route's chain: set [recover] rpc_url (or [local] rpc_url)",
		    r->name);
		return 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->list = calloc(STALE_MAX, sizeof(*c->list))) == NULL ||
	    (c->ids = calloc(STALE_MAX, sizeof(*c->ids))) == NULL) {
		X402_LOG_ERR("out of memory");
		goto out;
	}
	c->r = r;
	c->now = time(NULL);
	if (r->c.relayer_state[0] != '\0')
		snprintf(c->state, sizeof(c->state), "%s", r->c.relayer_state);
	else
		snprintf(c->state, sizeof(c->state), "%s/relayer", r->c.claims);
	x402_detail_clear(&d);
	if ((r->spool == NULL &&
	    (e = x402_spool_open(&r->spool, &d, r->c.spool)) != 0) ||
	    (r->claims == NULL &&
	    (e = x402_claim_open(&r->claims, &d, r->c.claims)) != 0) ||
	    (r->drafts == NULL &&
	    (e = x402_drafts_open(&r->drafts, &d, r->c.drafts)) != 0)) {
		X402_LOG_ERR("route %s: recover: %s", r->name, d.msg);
		goto out;
	}
	memset(&ho, 0, sizeof(ho));
	ho.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	ho.timeout_ms = (long)r->c.rpc_timeout * 1000;
	ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
	if ((e = x402_rpc_new(&c->rpc, url, &ho, &d)) != 0 ||
	    (e = x402_rpc_chain_id(c->rpc, &c->chain_id, &d)) != 0) {
		X402_LOG_ERR("route %s: recover: RPC node: %s: %s", r->name,
		    x402_strerror(e), d.msg);
		goto out;
	}
	if (r->c.mode == MODE_LOCAL) {
		if (r->settler == NULL && (e = route_settler(r, &d)) != 0) {
			X402_LOG_ERR("route %s: recover: local settler: %s: %s",
			    r->name, x402_strerror(e), d.msg);
			goto out;
		}
		if ((e = x402_local_reconcile(r->settler, &d,
		    (unsigned)r->c.recover_min_age, on_journal, c)) != 0) {
			X402_LOG_ERR("route %s: recover: journal: %s: %s",
			    r->name, x402_strerror(e), d.msg);
			c->failed++;
		}
	}
	if ((e = x402_kept_each(r->drafts, &d, collect_draft, c)) < 0) {
		X402_LOG_ERR("route %s: recover: kept responses: %s", r->name,
		    d.msg);
		goto out;
	}
	for (i = 0; i < c->nids; i++)
		pending_one(c, c->ids[i]);
	c->nids = 0;
	if ((e = x402_claim_stale(r->claims, &d, c->now,
	    (unsigned)r->c.recover_min_age, collect_stale, c)) < 0) {
		X402_LOG_ERR("route %s: recover: claims: %s", r->name, d.msg);
		goto out;
	}
	for (i = 0; i < c->nlist; i++)
		stale_one(c, &c->list[i]);
	if ((e = x402_draft_each(r->drafts, &d, collect_draft, c)) < 0) {
		X402_LOG_ERR("route %s: recover: drafts: %s", r->name, d.msg);
		goto out;
	}
	for (i = 0; i < c->nids; i++)
		draft_one(c, c->ids[i]);
	X402_LOG_INFO("route %s: recover: %u recovered, %u released, %u "
	    "left, %u failed", r->name, c->recovered, c->released, c->skipped,
	    c->failed);
	ret = c->failed ? 1 : 0;
out:
	if (c != NULL) {
		x402_rpc_free(c->rpc);
		free(c->list);
		free(c->ids);
		free(c);
	}
	return ret;
}
