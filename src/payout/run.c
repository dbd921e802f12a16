/*
 * run.c - one payout run: count receipts into the ledger, then pay.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "payout.h"
#include "protocol.h"
#include "receipt.h"
#include "seen.h"
#include "spool.h"
#include "tx.h"

#define CHUNK		4096		/* receipts per ledger step */

/* ---- test hook ------------------------------------------------------- */

void
po_crash_point(const char *name)
{
	static int init;
	static char want[32];
	static long left;
	const char *e, *colon;

	if (!init) {
		init = 1;
		e = getenv("X402_PAYOUT_CRASH_AT");
		if (e != NULL && (colon = strchr(e, ':')) != NULL &&
		    (size_t)(colon - e) < sizeof(want)) {
			memcpy(want, e, (size_t)(colon - e));
			want[colon - e] = '\0';
			left = strtol(colon + 1, NULL, 10);
		}
	}
	if (left > 0 && strcmp(name, want) == 0 && --left == 0) {
		X402_LOG_WARN("test hook: killed at %s", name);
		kill(getpid(), SIGKILL);
	}
}

/* ---- counting -------------------------------------------------------- */

struct counter {
	struct po_ctx *c;
	int rows[PO_PAYEES_MAX];	/* conf payee -> ledger row */
	uint64_t counted, quarantined;
	time_t last_progress;
	/* verify = chain */
	struct po_seen seen;
	struct x402_rpc_receipt *rcpt;	/* scratch (large) */
	int64_t min_time;		/* oldest block time accepted */
	uint64_t block;			/* block of block_time (cache) */
	int64_t block_time;
};

/* ---- chain check of a receipt ---------------------------------------- */

/* keccak256("Transfer(address,address,uint256)") */
static const uint8_t transfer_topic[32] = {
	0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0,
	0x68, 0xfc, 0x37, 0x8d, 0xaa, 0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4,
	0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef,
};

/*
 * The timestamp of block `number` (or of the latest block when number is
 * UINT64_MAX).  Returns 0 or an RPC error.
 */
static int
block_time(struct po_ctx *c, int64_t *t, uint64_t number,
    struct x402_detail *d)
{
	char block[24] = "latest";
	uint64_t v;
	int r;

	if (number != UINT64_MAX)
		snprintf(block, sizeof(block), "0x%llx",
		    (unsigned long long)number);
	if ((r = x402_rpc_block_time(c->rpc, &v, block, d)) != 0)
		return r;
	if (v > INT64_MAX)
		return x402_fail(d, X402_ERR_BADREPLY, "block %s: timestamp "
		    "out of range", block);
	*t = (int64_t)v;
	return 0;
}

/*
 * Finds the transfer a receipt claims: in its transaction, a successful
 * Transfer(payer -> wallet, amount) log of the asset not counted before.
 * Returns 0 (*logi, *when set), a negative error with the reason in *d
 * (quarantine the receipt), or 1 with *d set (the chain could not be
 * asked: stop the run, quarantine nothing).
 */
static int
verify_chain(struct counter *k, struct x402_detail *d,
    const struct x402_receipt *rc, uint8_t tx[32], uint32_t *logi,
    int64_t *when)
{
	struct po_ctx *c = k->c;
	struct x402_rpc_receipt *t = k->rcpt;
	uint8_t word[32];
	static const uint8_t zero[20];
	size_t i, dup = 0;
	int r;

	if (memcmp(rc->payer, zero, 20) == 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "payer is the zero "
		    "address (a mint, not a payment)");
	if (x402_hex_decode_exact(tx, 32, rc->transaction,
	    strlen(rc->transaction)) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "no settlement "
		    "transaction to verify");
	r = x402_rpc_get_transaction_receipt(c->rpc, t, tx, d);
	if (r == X402_ERR_LIMIT || r == X402_ERR_BADREPLY)
		return x402_fail(d, r, "transaction %s: %s", rc->transaction,
		    d->msg);
	if (r != 0)
		return 1;
	if (!t->found)
		return x402_fail(d, X402_ERR_NOTFOUND, "transaction %s is not "
		    "on chain", rc->transaction);
	if (t->status != 1)
		return x402_fail(d, X402_ERR_PROTOCOL, "transaction %s "
		    "reverted", rc->transaction);
	if (t->block_number != k->block || k->block == 0) {
		if (block_time(c, &k->block_time, t->block_number, d) != 0)
			return 1;
		k->block = t->block_number;
	}
	if (k->block_time < k->min_time || k->block_time < k->seen.horizon)
		return x402_fail(d, X402_ERR_RANGE, "transaction %s settled "
		    "at %lld, before verify_window (or before %lld, the "
		    "oldest transfer the seen set still vouches for)",
		    rc->transaction, (long long)k->block_time,
		    (long long)k->seen.horizon);
	x402_u256_to_be(word, &rc->amount);
	for (i = 0; i < t->nlogs; i++) {
		const struct x402_rpc_log *l = &t->logs[i];

		if (memcmp(l->address, rc->asset, 20) != 0 ||
		    l->ntopics != 3 || memcmp(l->topics[0], transfer_topic,
		    32) != 0 || memcmp(l->topics[1] + 12, rc->payer, 20) != 0 ||
		    memcmp(l->topics[2] + 12, rc->pay_to, 20) != 0 ||
		    l->datalen != 32 || memcmp(l->data, word, 32) != 0)
			continue;
		if (po_seen_has(&k->seen, tx, (uint32_t)i)) {
			dup++;
			continue;
		}
		*logi = (uint32_t)i;
		*when = k->block_time;
		return 0;
	}
	if (dup > 0)
		return x402_fail(d, X402_ERR_DUPLICATE, "transaction %s: its "
		    "transfer was already counted (a copy of a receipt)",
		    rc->transaction);
	return x402_fail(d, X402_ERR_PROTOCOL, "transaction %s has no "
	    "transfer of %s from the payer to the wallet",
	    rc->transaction, "the receipt's amount");
}

static void
progress(struct counter *k, int final)
{
	time_t now;

	if (!k->c->progress)
		return;
	now = time(NULL);
	if (!final && now == k->last_progress)
		return;
	k->last_progress = now;
	fprintf(stderr, "\rx402-payout: %llu receipts counted, %llu "
	    "quarantined%s", (unsigned long long)k->counted,
	    (unsigned long long)k->quarantined, final ? "\n" : "");
}

/*
 * Checks and credits one receipt.  Returns 0, or an error with the
 * reason in *d (the receipt is to be quarantined).
 */
static int
credit(struct counter *k, struct x402_detail *d, const char *text,
    size_t len)
{
	struct po_ctx *c = k->c;
	struct po_ledger *l = &c->ledger;
	struct x402_receipt rc;
	const struct po_split *rule;
	x402_u256 shares[PO_PAYEES_MAX], retain;
	char a[X402_ADDR_STRLEN + 1];
	uint8_t tx[32];
	uint32_t day, logi = 0;
	int64_t when = 0;
	size_t i;
	int r, check;

	memset(&rc, 0, sizeof(rc));
	if ((r = x402_receipt_parse(&rc, d, text, len)) != 0)
		goto out;
	if (strcmp(rc.network, c->net->caip2) != 0 &&
	    strcmp(rc.network, c->net->v1_name) != 0) {
		r = x402_fail(d, X402_ERR_PROTOCOL, "receipt network %s is "
		    "not %s", rc.network, c->net->caip2);
		goto out;
	}
	if (memcmp(rc.asset, c->asset->address, 20) != 0) {
		x402_addr_format(a, rc.asset);
		r = x402_fail(d, X402_ERR_PROTOCOL, "receipt asset %s is not "
		    "the configured %s", a, c->asset->symbol);
		goto out;
	}
	if (memcmp(rc.pay_to, c->conf->wallet, 20) != 0) {
		x402_addr_format(a, rc.pay_to);
		r = x402_fail(d, X402_ERR_PROTOCOL, "receipt paid %s, not the "
		    "payout wallet", a);
		goto out;
	}
	if (rc.time < 0) {
		r = x402_fail(d, X402_ERR_PROTOCOL, "negative time");
		goto out;
	}
	check = c->conf->verify == PO_VERIFY_CHAIN &&
	    !x402_u256_is_zero(&rc.amount);
	if (check && (r = verify_chain(k, d, &rc, tx, &logi, &when)) != 0)
		goto out;
	rule = po_conf_rule(c->conf, rc.route);
	if ((r = po_split_apply(shares, &retain, rule, &rc.amount)) != 0) {
		r = x402_fail(d, r, "amount too large to split");
		goto out;
	}
	day = (uint32_t)(rc.time / 86400);
	/* Overflow of a u256 total is not reachable with real money. */
	if ((r = x402_u256_add(&l->received, &l->received, &rc.amount)) ||
	    (r = x402_u256_add(&l->retained, &l->retained, &retain)) ||
	    (r = x402_u256_add(&l->bal[0].earned, &l->bal[0].earned,
	    &retain)) || (r = po_ledger_day_add(l, day, 0, 0, &retain)))
		goto fatal;
	for (i = 0; i < rule->nshares; i++) {
		struct po_bal *b = &l->bal[k->rows[rule->shares[i].payee]];

		if ((r = x402_u256_add(&b->owed, &b->owed, &shares[i])) ||
		    (r = x402_u256_add(&b->earned, &b->earned, &shares[i])) ||
		    (r = po_ledger_day_add(l, day,
		    (size_t)k->rows[rule->shares[i].payee], 0, &shares[i])))
			goto fatal;
	}
	if (check && (r = po_seen_add(&k->seen, tx, logi, when,
	    l->seq + 1)) != 0)
		goto fatal;
	l->receipts++;
	r = 0;
	goto out;
fatal:
	r = x402_fail(d, X402_ERR_INTERNAL, "ledger arithmetic failed: %s",
	    x402_strerror(r));
	r = 1;	/* positive: stop the run, do not quarantine */
out:
	x402_receipt_free(&rc);
	return r;
}

static int
quarantine(struct counter *k, struct x402_spool *sp, const char *name,
    const char *why)
{
	struct x402_detail d;
	int r;

	X402_LOG_WARN("receipt %s quarantined: %s", name, why);
	if ((r = x402_spool_quarantine(sp, &d, name, why)) != 0) {
		X402_LOG_ERR("quarantine %s: %s", name, d.msg);
		return r;
	}
	k->quarantined++;
	k->c->ledger.quarantined++;
	return 0;
}

/*
 * Receipts left in cur/ by a run that was killed: those the ledger has
 * counted are removed, the others go back to new/ to be counted.
 */
static int
recover_cur(struct po_ctx *c, struct x402_spool *sp)
{
	struct x402_buf names;
	struct x402_detail d;
	size_t n = 0, done = 0, back = 0;
	char *p, *nl;
	int r;

	x402_buf_init(&names, 64u << 20);
	if ((r = x402_spool_stale(sp, &names, &n, &d, X402_SPOOL_CUR,
	    time(NULL), 0)) != 0) {
		X402_LOG_ERR("spool %s: %s", c->conf->spool, d.msg);
		goto out;
	}
	for (p = names.p; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (po_ledger_counted_has(&c->ledger, p)) {
			r = x402_spool_done(sp, &d, p);
			done++;
		} else {
			r = x402_spool_requeue(sp, &d, p);
			back++;
		}
		if (r != 0 && r != X402_ERR_NOTFOUND) {
			X402_LOG_ERR("spool: %s", d.msg);
			goto out;
		}
	}
	if ((r = x402_spool_sync(sp, &d, X402_SPOOL_CUR)) != 0 ||
	    (r = x402_spool_sync(sp, &d, X402_SPOOL_NEW)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		goto out;
	}
	if (n > 0)
		X402_LOG_INFO("recovered %zu receipts left claimed: %zu "
		    "already counted, %zu to count", n, done, back);
	c->ledger.ncounted = 0;
	r = 0;
out:
	x402_buf_free(&names);
	return r;
}

/* verify = chain: the seen set and the window, from the chain's clock. */
static int
verify_setup(struct counter *k)
{
	struct po_ctx *c = k->c;
	struct x402_detail d;
	int64_t now = 0;
	int r;

	if (c->conf->verify != PO_VERIFY_CHAIN)
		return 0;
	if ((k->rcpt = malloc(sizeof(*k->rcpt))) == NULL)
		return X402_ERR_NOMEM;
	if ((r = block_time(c, &now, UINT64_MAX, &d)) != 0) {
		X402_LOG_ERR("verify = chain: cannot read the chain's "
		    "time: %s", d.msg);
		return r;
	}
	k->min_time = now - (int64_t)c->conf->verify_window;
	if ((r = po_seen_open(&k->seen, &d, c->statefd, c->ledger.seen_step,
	    k->min_time, c->dry_run)) != 0)
		X402_LOG_ERR("state: %s", d.msg);
	return r;
}

static int
setup_rows(struct counter *k)
{
	const struct po_conf *cf = k->c->conf;
	size_t i;
	int row;

	for (i = 0; i < cf->npayees; i++) {
		row = po_ledger_row(&k->c->ledger, cf->payees[i].name,
		    cf->payees[i].addr);
		if (row < 0) {
			X402_LOG_ERR("ledger: too many payees");
			return row;
		}
		k->rows[i] = row;
	}
	return 0;
}

/* Dry run: reads the records of an area without touching them. */
static int
count_dry_area(struct counter *k, struct x402_spool *sp,
    enum x402_spool_area area, const char *sub)
{
	struct x402_detail d;
	struct x402_buf names, b;
	size_t n = 0;
	char *p, *nl;
	int r;

	x402_buf_init(&names, 64u << 20);
	x402_buf_init(&b, X402_RECEIPT_MAX);
	if ((r = x402_spool_stale(sp, &names, &n, &d, area, time(NULL),
	    0)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		goto out;
	}
	for (p = names.p; p != NULL && (nl = strchr(p, '\n')) != NULL;
	    p = nl + 1) {
		*nl = '\0';
		if (po_ledger_counted_has(&k->c->ledger, p))
			continue;
		r = x402_spool_read(sp, &b, &d, area, p);
		if (r == X402_ERR_NOTFOUND || r == X402_ERR_PERM)
			continue;	/* gone meanwhile, or not a record */
		if (r == 0 && (r = credit(k, &d, b.p, b.len)) > 0)
			goto out;
		if (r < 0) {
			printf("would quarantine %s/%s: %s\n", sub, p, d.msg);
			k->quarantined++;
		} else
			k->counted++;
	}
	r = 0;
out:
	x402_buf_free(&names);
	x402_buf_free(&b);
	return r;
}

int
po_count(struct po_ctx *c)
{
	struct counter k;
	struct x402_spool *sp = NULL;
	struct x402_detail d;
	struct x402_buf content;
	char name[X402_SPOOL_NAMEMAX + 1];
	size_t i;
	int r, inchunk;

	memset(&k, 0, sizeof(k));
	k.c = c;
	k.seen.fd = -1;
	x402_buf_init(&content, X402_RECEIPT_MAX);
	if ((r = setup_rows(&k)) != 0)
		goto out;
	if ((r = verify_setup(&k)) != 0)
		goto out;
	if ((r = x402_spool_open(&sp, &d, c->conf->spool)) != 0) {
		X402_LOG_ERR("spool: %s", d.msg);
		goto out;
	}
	if (c->dry_run) {
		if ((r = count_dry_area(&k, sp, X402_SPOOL_CUR, "cur")) == 0)
			r = count_dry_area(&k, sp, X402_SPOOL_NEW, "new");
		printf("would count %llu new receipts (%llu to quarantine)\n",
		    (unsigned long long)k.counted,
		    (unsigned long long)k.quarantined);
		goto out;
	}
	if ((r = recover_cur(c, sp)) != 0)
		goto out;
	for (;;) {
		inchunk = 0;
		while (c->ledger.ncounted < CHUNK) {
			r = x402_spool_claim_next(sp, name, sizeof(name),
			    &content, &d);
			if (r == X402_ERR_NOTFOUND)
				break;
			po_crash_point("claim");
			if (r != 0 && name[0] != '\0') {
				if ((r = quarantine(&k, sp, name, d.msg)) != 0)
					goto out;
				inchunk++;
				continue;
			}
			if (r != 0) {
				X402_LOG_ERR("spool: %s", d.msg);
				goto out;
			}
			r = credit(&k, &d, content.p, content.len);
			if (r > 0) {
				X402_LOG_ERR("%s", d.msg);
				r = X402_ERR_INTERNAL;
				goto out;
			}
			if (r < 0) {
				if ((r = quarantine(&k, sp, name, d.msg)) != 0)
					goto out;
				inchunk++;
				continue;
			}
			if ((r = po_ledger_counted_add(&c->ledger, name)) != 0)
				goto out;
			k.counted++;
			inchunk++;
			progress(&k, 0);
		}
		if (inchunk == 0)
			break;
		/* A chunk that only quarantined is saved too: the ledger's
		 * count of quarantined receipts is what status shows. */
		if ((r = po_seen_flush(&k.seen, &d)) != 0) {
			X402_LOG_ERR("%s", d.msg);
			goto out;
		}
		po_crash_point("before-count");
		/* This save commits the seen records tagged seq + 1 (see
		 * seen.h): only a save of a count step, in a process that
		 * loaded the seen set, moves seen_step. */
		if (c->conf->verify == PO_VERIFY_CHAIN)
			c->ledger.seen_step = c->ledger.seq + 1;
		if ((r = po_ledger_save(&c->ledger, &d, c->statefd)) != 0) {
			X402_LOG_ERR("ledger: %s", d.msg);
			goto out;
		}
		po_crash_point("counted");
		for (i = 0; i < c->ledger.ncounted; i++) {
			if ((r = x402_spool_done(sp, &d,
			    c->ledger.counted[i])) != 0 &&
			    r != X402_ERR_NOTFOUND) {
				X402_LOG_ERR("spool: %s", d.msg);
				goto out;
			}
			po_crash_point("done");
		}
		if (c->ledger.ncounted > 0 &&
		    (r = x402_spool_sync(sp, &d, X402_SPOOL_CUR)) != 0) {
			X402_LOG_ERR("%s", d.msg);
			goto out;
		}
		c->ledger.ncounted = 0;
	}
	r = 0;
	progress(&k, 1);
	if (k.counted > 0 || k.quarantined > 0)
		X402_LOG_INFO("counted %llu receipts, quarantined %llu",
		    (unsigned long long)k.counted,
		    (unsigned long long)k.quarantined);
out:
	x402_buf_free(&content);
	x402_spool_close(sp);
	po_seen_close(&k.seen);
	free(k.rcpt);
	return r;
}

/* ---- chain ----------------------------------------------------------- */

static int
token_u256(struct po_ctx *c, x402_u256 *v, struct x402_buf *call,
    struct x402_detail *d)
{
	struct x402_buf ret;
	int r;

	x402_buf_init(&ret, 4096);
	r = x402_rpc_eth_call(c->rpc, &ret, c->asset->address,
	    (const uint8_t *)call->p, call->len, "latest", d);
	if (r == 0 && x402_abi_decode_uint256(v, (const uint8_t *)ret.p,
	    ret.len) != 0)
		r = x402_fail(d, X402_ERR_BADREPLY, "token call: not a "
		    "uint256");
	x402_buf_free(&ret);
	return r;
}

static int
wallet_balance(struct po_ctx *c, x402_u256 *v, struct x402_detail *d)
{
	struct x402_buf call;
	int r;

	x402_buf_init(&call, 256);
	if ((r = x402_abi_balance_of(&call, c->conf->wallet)) == 0)
		r = token_u256(c, v, &call, d);
	x402_buf_free(&call);
	return r;
}

static int
auth_used(struct po_ctx *c, int *used, const struct po_xfer *x,
    struct x402_detail *d)
{
	struct x402_buf call;
	x402_u256 v;
	int r;

	x402_buf_init(&call, 256);
	if ((r = x402_abi_authorization_state(&call, x->auth.from,
	    x->auth.nonce)) == 0 && (r = token_u256(c, &v, &call, d)) == 0)
		*used = !x402_u256_is_zero(&v);
	x402_buf_free(&call);
	return r;
}

static void
fmt_amount(char *out, size_t cap, const x402_u256 *v)
{
	(void)x402_u256_format_dec(out, cap, v);
}

/* Sends x as the wallet's own transaction.  Journals the hash first. */
static int
send_rpc(struct po_ctx *c, struct po_batch *bt, struct po_xfer *x,
    struct x402_detail *d)
{
	struct x402_buf data, raw;
	struct x402_tx1559 tx;
	x402_u256 prio, t;
	uint64_t gas, nonce;
	int r;

	x402_buf_init(&data, 1024);
	x402_buf_init(&raw, 4096);
	memset(&tx, 0, sizeof(tx));
	if ((r = x402_abi_transfer_with_authorization(&data, &x->auth,
	    x->sig)) != 0)
		goto out;
	if ((r = x402_rpc_estimate_gas(c->rpc, &gas, c->conf->wallet,
	    c->asset->address, (const uint8_t *)data.p, data.len, d)) != 0)
		goto out;
	if ((r = x402_rpc_get_transaction_count(c->rpc, &nonce,
	    c->conf->wallet, "pending", d)) != 0 ||
	    (r = x402_rpc_suggest_fees(c->rpc, &t, &prio, d)) != 0)
		goto out;
	tx.chain_id = c->net->chain_id;
	tx.nonce = nonce;
	tx.max_priority_fee_per_gas = prio;
	tx.max_fee_per_gas = t;
	tx.gas_limit = gas + gas / 4 + 10000;
	memcpy(tx.to, c->asset->address, 20);
	tx.data = (const uint8_t *)data.p;
	tx.data_len = data.len;
	if ((r = x402_tx_sign(c->sig, &raw, x->tx, &tx, c->seckey)) != 0)
		goto out;
	x->has_tx = 1;
	x->state = PO_X_SENT;
	x->time = (uint64_t)time(NULL);
	if ((r = po_batch_save(bt, d, c->batchfd)) != 0)
		goto out;
	po_crash_point("before-send");
	r = x402_rpc_send_raw_transaction(c->rpc, x->tx,
	    (const uint8_t *)raw.p, raw.len, d);
	po_crash_point("sent");
out:
	x402_buf_free(&data);
	x402_buf_free(&raw);
	return r;
}

/* Submits x to the facilitator's /settle as an x402 v2 payment. */
static int
send_facilitator(struct po_ctx *c, struct po_batch *bt, struct po_xfer *x,
    struct x402_detail *d)
{
	struct x402_offer o;
	struct x402_settlement st;
	struct json_object *req = NULL, *pay = NULL, *auth, *pl, *res;
	char s[X402_U256_DECLEN + 1], a[X402_ADDR_STRLEN + 1];
	char h[2 * X402_SIG_LEN + 3], url[96];
	int r;

	memset(&o, 0, sizeof(o));
	o.scheme = X402_SCHEME_EXACT;
	o.net = c->net;
	o.asset = c->asset;
	o.amount = x->auth.value;
	memcpy(o.pay_to, x->auth.to, 20);
	o.max_timeout_seconds = 300;
	if ((r = x402_offer_v2_json(&req, &o)) != 0)
		goto out;
	pay = json_object_new_object();
	auth = json_object_new_object();
	pl = json_object_new_object();
	res = json_object_new_object();
	x402_addr_format(a, x->auth.from);
	json_object_object_add(auth, "from", json_object_new_string(a));
	x402_addr_format(a, x->auth.to);
	json_object_object_add(auth, "to", json_object_new_string(a));
	fmt_amount(s, sizeof(s), &x->auth.value);
	json_object_object_add(auth, "value", json_object_new_string(s));
	fmt_amount(s, sizeof(s), &x->auth.valid_after);
	json_object_object_add(auth, "validAfter", json_object_new_string(s));
	fmt_amount(s, sizeof(s), &x->auth.valid_before);
	json_object_object_add(auth, "validBefore", json_object_new_string(s));
	(void)x402_hex_encode(h, sizeof(h), x->auth.nonce, 32,
	    X402_HEX_PREFIX_REQUIRED);
	json_object_object_add(auth, "nonce", json_object_new_string(h));
	json_object_object_add(pl, "authorization", auth);
	(void)x402_hex_encode(h, sizeof(h), x->sig, X402_SIG_LEN,
	    X402_HEX_PREFIX_REQUIRED);
	json_object_object_add(pl, "signature", json_object_new_string(h));
	snprintf(url, sizeof(url), "https://x402-payout.invalid/batch/%llu",
	    (unsigned long long)bt->id);
	json_object_object_add(res, "url", json_object_new_string(url));
	json_object_object_add(res, "description",
	    json_object_new_string("x402-payout"));
	json_object_object_add(res, "mimeType", json_object_new_string(""));
	json_object_object_add(pay, "x402Version", json_object_new_int(2));
	json_object_object_add(pay, "payload", pl);
	json_object_object_add(pay, "accepted", json_object_get(req));
	json_object_object_add(pay, "resource", res);
	x->state = PO_X_SENT;
	x->time = (uint64_t)time(NULL);
	if ((r = po_batch_save(bt, d, c->batchfd)) != 0)
		goto out;
	po_crash_point("before-send");
	r = x402_facilitator_settle(c->fac, &st, NULL, d, 2, pay, req);
	po_crash_point("sent");
	if (r != 0)
		goto out;
	if (!st.success) {
		r = x402_fail(d, X402_ERR_SETTLE, "facilitator refused: %s",
		    st.error_reason);
		goto out;
	}
	if (x402_hex_decode_exact(x->tx, 32, st.transaction,
	    strlen(st.transaction)) == 0)
		x->has_tx = 1;
out:
	json_object_put(req);
	json_object_put(pay);
	return r;
}

/* Waits until x's authorization is used on chain. */
static int
confirm(struct po_ctx *c, struct po_xfer *x, struct x402_detail *d)
{
	struct x402_rpc_receipt *rc = NULL;
	time_t end = time(NULL) + (time_t)c->conf->timeout;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int used = 0, r;

	if ((rc = malloc(sizeof(*rc))) == NULL)
		return X402_ERR_NOMEM;
	for (;;) {
		if ((r = auth_used(c, &used, x, d)) != 0)
			goto out;
		if (used)
			break;
		if (x->has_tx && c->conf->method == PO_METHOD_RPC) {
			if ((r = x402_rpc_get_transaction_receipt(c->rpc, rc,
			    x->tx, d)) != 0)
				goto out;
			if (rc->found && rc->status == 0) {
				/* reverted: used meanwhile, or refused */
				if ((r = auth_used(c, &used, x, d)) != 0)
					goto out;
				if (used)
					break;
				r = x402_fail(d, X402_ERR_SETTLE, "transfer "
				    "to %s reverted", x->name);
				goto out;
			}
		}
		if (time(NULL) >= end) {
			r = x402_fail(d, X402_ERR_PENDING, "transfer to %s "
			    "not confirmed within %llu s", x->name,
			    (unsigned long long)c->conf->timeout);
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	r = 0;
out:
	free(rc);
	return r;
}

static int
finish_batch(struct po_ctx *c, uint64_t id)
{
	struct po_batch *bt;
	struct po_ledger *l = &c->ledger;
	struct x402_detail d;
	char amt[X402_U256_DECLEN + 1], txh[67];
	x402_u256 vb;
	size_t i;
	int r, used, row;
	uint64_t now;

	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return X402_ERR_NOMEM;
	if ((r = po_batch_load(bt, &d, c->batchfd, id)) != 0) {
		X402_LOG_ERR("open batch %llu: %s", (unsigned long long)id,
		    d.msg);
		goto out;
	}
	for (i = 0; i < bt->n; i++) {
		struct po_xfer *x = &bt->x[i];

		if (x->state == PO_X_PAID)
			continue;
		fmt_amount(amt, sizeof(amt), &x->auth.value);
		if ((r = auth_used(c, &used, x, &d)) != 0)
			goto chainerr;
		if (!used) {
			now = (uint64_t)time(NULL);
			x402_u256_set_u64(&vb, now + 30);
			if (x402_u256_cmp(&x->auth.valid_before, &vb) <= 0) {
				X402_LOG_ERR("batch %llu: the authorization "
				    "to %s expired unsent; it can no longer "
				    "be paid by this batch",
				    (unsigned long long)id, x->name);
				r = X402_ERR_SETTLE;
				goto out;
			}
			if (c->conf->method == PO_METHOD_RPC)
				r = send_rpc(c, bt, x, &d);
			else
				r = send_facilitator(c, bt, x, &d);
			if (r != 0 && r != X402_ERR_UPSTREAM &&
			    r != X402_ERR_SETTLE)
				goto chainerr;
			if (r != 0)
				X402_LOG_WARN("batch %llu: %s: %s (checking "
				    "the chain)", (unsigned long long)id,
				    x->name, d.msg);
			if ((r = confirm(c, x, &d)) != 0)
				goto chainerr;
		}
		po_crash_point("confirmed");
		x->state = PO_X_PAID;
		x->time = (uint64_t)time(NULL);
		if ((r = po_batch_save(bt, &d, c->batchfd)) != 0) {
			X402_LOG_ERR("%s", d.msg);
			goto out;
		}
		if (x->has_tx)
			(void)x402_hex_encode(txh, sizeof(txh), x->tx, 32,
			    X402_HEX_PREFIX_REQUIRED);
		else
			snprintf(txh, sizeof(txh), "(by an earlier run)");
		X402_LOG_INFO("batch %llu: paid %s %s, tx %s",
		    (unsigned long long)id, x->name, amt, txh);
		po_crash_point("between");
	}
	po_crash_point("close");
	now = (uint64_t)time(NULL);
	for (i = 0; i < bt->n; i++) {
		struct po_xfer *x = &bt->x[i];

		if ((row = po_ledger_row(l, x->name, NULL)) < 0 ||
		    x402_u256_sub(&l->bal[row].inflight, &l->bal[row].inflight,
		    &x->auth.value) != 0 ||
		    x402_u256_add(&l->bal[row].paid, &l->bal[row].paid,
		    &x->auth.value) != 0 ||
		    po_ledger_day_add(l, (uint32_t)(now / 86400), (size_t)row,
		    1, &x->auth.value) != 0) {
			X402_LOG_ERR("batch %llu: ledger does not match the "
			    "journal for %s", (unsigned long long)id, x->name);
			r = X402_ERR_INTERNAL;
			goto out;
		}
	}
	l->open_batch = 0;
	if ((r = po_ledger_save(l, &d, c->statefd)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		goto out;
	}
	po_crash_point("closed");
	bt->closed = now;
	if ((r = po_batch_save(bt, &d, c->batchfd)) != 0)
		X402_LOG_WARN("%s (the ledger has it closed)", d.msg);
	X402_LOG_INFO("batch %llu closed: %zu transfers",
	    (unsigned long long)id, bt->n);
	r = 0;
	goto out;
chainerr:
	X402_LOG_ERR("batch %llu: %s: %s (batch stays open; the next run "
	    "finishes it)", (unsigned long long)id, x402_strerror(r), d.msg);
out:
	free(bt);
	return r;
}

int
po_batch_repair(struct po_ctx *c)
{
	struct po_ledger *l = &c->ledger;
	struct po_batch *bt;
	struct x402_detail d;
	char name[24];
	int r = 0;

	/* A journal the ledger never took up: nothing of it was sent. */
	po_batch_filename(name, l->next_batch);
	if (unlinkat(c->batchfd, name, 0) == 0) {
		X402_LOG_INFO("dropped unsent batch journal %s", name);
		if (fsync(c->batchfd) != 0)
			return X402_ERR_IO;
	}
	if (l->open_batch != 0 || l->next_batch <= 1 || c->dry_run)
		return 0;
	/* The last batch closed in the ledger but perhaps not its journal. */
	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return X402_ERR_NOMEM;
	if (po_batch_load(bt, &d, c->batchfd, l->next_batch - 1) == 0 &&
	    bt->closed == 0) {
		bt->closed = (uint64_t)time(NULL);
		r = po_batch_save(bt, &d, c->batchfd);
	}
	free(bt);
	return r;
}

int
po_pay(struct po_ctx *c)
{
	struct po_ledger *l = &c->ledger;
	const struct po_conf *cf = c->conf;
	struct po_batch *bt = NULL;
	struct x402_detail d;
	x402_u256 total, bal, min, shortv;
	char s1[X402_U256_DECLEN + 1], s2[X402_U256_DECLEN + 1];
	char s3[X402_U256_DECLEN + 1], a[X402_ADDR_STRLEN + 1];
	size_t i;
	int r, row;
	uint64_t now;

	if (l->open_batch != 0) {
		if (c->dry_run) {
			printf("would finish open batch %llu first\n",
			    (unsigned long long)l->open_batch);
		} else if ((r = finish_batch(c, l->open_batch)) != 0)
			return r;
	}
	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return X402_ERR_NOMEM;
	x402_u256_set_u64(&total, 0);
	now = (uint64_t)time(NULL);
	bt->id = l->next_batch;
	bt->created = now;
	snprintf(bt->network, sizeof(bt->network), "%s", c->net->caip2);
	memcpy(bt->asset, c->asset->address, 20);
	for (i = 0; i < cf->npayees; i++) {
		const struct po_payee_conf *p = &cf->payees[i];
		struct po_xfer *x;

		if ((row = po_ledger_row(l, p->name, p->addr)) < 0) {
			r = row;
			goto out;
		}
		x402_u256_set_u64(&min, p->minimum);
		if (x402_u256_is_zero(&l->bal[row].owed) ||
		    x402_u256_cmp(&l->bal[row].owed, &min) < 0)
			continue;
		x = &bt->x[bt->n++];
		snprintf(x->name, sizeof(x->name), "%s", p->name);
		memcpy(x->auth.from, cf->wallet, 20);
		memcpy(x->auth.to, p->addr, 20);
		x->auth.value = l->bal[row].owed;
		x402_u256_set_u64(&x->auth.valid_after, 0);
		x402_u256_set_u64(&x->auth.valid_before, now + cf->valid_for);
		po_batch_nonce(x->auth.nonce, l->instance, bt->id, p->addr);
		x->time = now;
		if ((r = x402_u256_add(&total, &total, &x->auth.value)) != 0)
			goto out;
	}
	if (bt->n == 0) {
		if (c->dry_run)
			printf("nothing to pay: no payee has reached its "
			    "minimum\n");
		X402_LOG_DEBUG("nothing to pay");
		r = 0;
		goto out;
	}
	fmt_amount(s1, sizeof(s1), &total);
	r = wallet_balance(c, &bal, &d);
	if (r != 0) {
		X402_LOG_ERR("cannot read the wallet's balance: %s: %s",
		    x402_strerror(r), d.msg);
		if (!c->dry_run)
			goto out;
	} else if (x402_u256_cmp(&bal, &total) < 0) {
		x402_addr_format(a, cf->wallet);
		if (x402_u256_sub(&shortv, &total, &bal) != 0)
			x402_u256_set_u64(&shortv, 0);
		fmt_amount(s2, sizeof(s2), &bal);
		fmt_amount(s3, sizeof(s3), &shortv);
		X402_LOG_ERR("wallet %s holds %s %s but batch %llu needs %s: "
		    "short by %s; nothing sent", a, s2, c->asset->symbol,
		    (unsigned long long)bt->id, s1, s3);
		if (c->dry_run)
			printf("wallet short by %s: would stop here\n", s3);
		r = X402_ERR_RANGE;
		goto out;
	}
	if (c->dry_run) {
		printf("would pay batch %llu: %zu payees, total %s\n",
		    (unsigned long long)bt->id, bt->n, s1);
		for (i = 0; i < bt->n; i++) {
			x402_addr_format(a, bt->x[i].auth.to);
			fmt_amount(s2, sizeof(s2), &bt->x[i].auth.value);
			printf("  %-16s %s %s\n", bt->x[i].name, a, s2);
		}
		r = 0;
		goto out;
	}
	for (i = 0; i < bt->n; i++)
		if ((r = po_batch_sign(&bt->x[i], c->sig, c->domsep,
		    c->seckey)) != 0) {
			X402_LOG_ERR("signing failed: %s", x402_strerror(r));
			goto out;
		}
	if ((r = po_batch_save(bt, &d, c->batchfd)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		goto out;
	}
	po_crash_point("journal");
	for (i = 0; i < bt->n; i++) {
		struct po_xfer *x = &bt->x[i];

		row = po_ledger_row(l, x->name, NULL);
		if (row < 0 || x402_u256_sub(&l->bal[row].owed,
		    &l->bal[row].owed, &x->auth.value) != 0 ||
		    x402_u256_add(&l->bal[row].inflight,
		    &l->bal[row].inflight, &x->auth.value) != 0) {
			r = X402_ERR_INTERNAL;
			goto out;
		}
	}
	l->open_batch = bt->id;
	l->next_batch = bt->id + 1;
	if ((r = po_ledger_save(l, &d, c->statefd)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		goto out;
	}
	X402_LOG_INFO("batch %llu: paying %zu payees, total %s %s",
	    (unsigned long long)bt->id, bt->n, s1, c->asset->symbol);
	po_crash_point("committed");
	r = finish_batch(c, bt->id);
out:
	free(bt);
	return r;
}
