/*
 * settle_local.c - the `local` settlement strategy: offline verification,
 * optional on-chain checks, and transferWithAuthorization sent from a
 * relayer key over JSON-RPC; for upto (Permit2) the x402 upto proxy's
 * settle from the same key.  Rules and STATE_DIR layout: settle.h.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "recover.h"
#include "rpc.h"
#include "settle.h"
#include "tx.h"

#define RECORD_VERSION "x402-local-pending-v1"	/* EIP-3009 only */
#define RECORD_VERSION2 "x402-local-pending-v2"	/* + "method" */
#define RAW_MAX 4096		/* bytes of one signed transaction */
#define CALL_RET_MAX 1024	/* eth_call return data we read */

struct local {
	const struct x402_sig_ctx *sig;
	struct x402_rpc *rpc;
	uint8_t key[X402_SECKEY_LEN];
	uint8_t relayer[X402_ADDR_LEN];
	char dir[X402_LOCAL_STATE_DIR_MAX + 1];
	unsigned receipt_timeout_ms, poll_ms, skew;
	int check_chain;
	x402_u256 fee_cap, prio_cap;
	uint64_t gas_limit, chain_id;
	struct x402_rpc_receipt rcpt;	/* large: kept off the stack */
};

static const struct x402_settler_ops local_ops;

/*
 * What one settlement moves: value from payer to `to` in asset, under a
 * single-use nonce that is EIP-3009's authorization nonce or Permit2's
 * unordered nonce (big-endian), for the journal and reconciliation.
 */
struct move {
	int permit2;			/* 0: EIP-3009, 1: Permit2 (upto) */
	const char *network;		/* the payment's */
	const uint8_t *asset, *payer, *to;
	x402_u256 value;
	uint8_t nonce[32];
};

/* ---- small file helpers -------------------------------------------------- */

static int
path_join(char *out, size_t cap, struct x402_detail *d, const char *dir,
    const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		return x402_fail(d, X402_ERR_LIMIT, "local: path too long");
	return 0;
}

static int
fsync_dir(struct x402_detail *d, const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return x402_fail(d, X402_ERR_IO, "local: open %s: %s", dir,
		    strerror(errno));
	if (fsync(fd) == -1)
		r = x402_fail(d, X402_ERR_IO, "local: fsync %s: %s", dir,
		    strerror(errno));
	(void)close(fd);
	return r;
}

static int
mkdir_owner(struct x402_detail *d, const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return x402_fail(d, X402_ERR_IO, "local: mkdir %s: %s", dir,
		    strerror(errno));
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return x402_fail(d, X402_ERR_IO, "local: %s is not a "
		    "directory", dir);
	return 0;
}

/*
 * Writes data[0..len) to dir/name durably: a temporary file, fsync, then
 * link() (exclusive: X402_ERR_EXISTS when name exists) or rename()
 * (replace), then fsync of dir.
 */
static int
write_durable(struct x402_detail *d, const char *dir, const char *name,
    const char *data, size_t len, int exclusive)
{
	char tmp[PATH_MAX], dst[PATH_MAX], tname[96];
	size_t off = 0;
	ssize_t w;
	int fd = -1, r;

	snprintf(tname, sizeof(tname), ".tmp.%ld.%.64s", (long)getpid(),
	    name);
	if ((r = path_join(tmp, sizeof(tmp), d, dir, tname)) != 0 ||
	    (r = path_join(dst, sizeof(dst), d, dir, name)) != 0)
		return r;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return x402_fail(d, X402_ERR_IO, "local: create %s: %s", tmp,
		    strerror(errno));
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			r = x402_fail(d, X402_ERR_IO, "local: write %s: %s",
			    tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		r = x402_fail(d, X402_ERR_IO, "local: fsync %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (exclusive) {
		if (link(tmp, dst) == -1) {
			r = errno == EEXIST ? x402_fail(d, X402_ERR_EXISTS,
			    "local: %s exists", dst) : x402_fail(d,
			    X402_ERR_IO, "local: link %s: %s", dst,
			    strerror(errno));
			goto out;
		}
	} else if (rename(tmp, dst) == -1) {
		r = x402_fail(d, X402_ERR_IO, "local: rename %s: %s", dst,
		    strerror(errno));
		goto out;
	}
	r = fsync_dir(d, dir);
 out:
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	return r;
}

/* Reads at most cap-1 bytes of path into buf (NUL-terminated). */
static int
read_small(struct x402_detail *d, char *buf, size_t cap, size_t *len,
    const char *path)
{
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? X402_ERR_NOTFOUND : x402_fail(d,
		    X402_ERR_IO, "local: open %s: %s", path,
		    strerror(errno));
	for (;;) {
		if (off + 1 >= cap) {
			r = x402_fail(d, X402_ERR_LIMIT, "local: %s over %zu "
			    "bytes", path, cap - 1);
			break;
		}
		n = read(fd, buf + off, cap - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = x402_fail(d, X402_ERR_IO, "local: read %s: %s",
			    path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	(void)close(fd);
	buf[off] = '\0';
	*len = off;
	return r;
}

static int
unlink_record(struct x402_detail *d, const char *dir, const char *id)
{
	char pend[PATH_MAX], path[PATH_MAX];
	int r;

	if ((r = path_join(pend, sizeof(pend), d, dir, "pending")) != 0 ||
	    (r = path_join(path, sizeof(path), d, pend, id)) != 0)
		return r;
	if (unlink(path) == -1 && errno != ENOENT)
		return x402_fail(d, X402_ERR_IO, "local: unlink %s: %s", path,
		    strerror(errno));
	return fsync_dir(d, pend);
}

/* ---- chain reads ------------------------------------------------------- */

/*
 * eth_call of one word-returning view of a contract (the token, Permit2,
 * the proxy): calldata in call (consumed: freed here), the 32-byte return
 * word in word.
 */
static int
token_word(struct local *l, uint8_t word[32], struct x402_detail *d,
    const uint8_t token[20], struct x402_buf *call, int r, const char *what)
{
	struct x402_buf ret;

	x402_buf_init(&ret, CALL_RET_MAX);
	if (r != 0)
		goto out;
	if ((r = x402_rpc_eth_call(l->rpc, &ret, token,
	    (const uint8_t *)call->p, call->len, "latest", d)) != 0)
		goto out;
	if (ret.len != 32) {
		r = x402_fail(d, X402_ERR_BADREPLY, "local: %s returned %zu "
		    "bytes, not one word", what, ret.len);
		goto out;
	}
	memcpy(word, ret.p, 32);
 out:
	x402_buf_free(call);
	x402_buf_free(&ret);
	return r;
}

/* balanceOf(owner) of the token.  Out: *bal. */
static int
balance_of(struct local *l, x402_u256 *bal, struct x402_detail *d,
    const uint8_t token[20], const uint8_t owner[20])
{
	struct x402_buf call;
	uint8_t w[32];
	int r;

	x402_buf_init(&call, 256);
	r = x402_abi_balance_of(&call, owner);
	if ((r = token_word(l, w, d, token, &call, r, "balanceOf")) != 0)
		return r;
	x402_u256_from_be(bal, w);
	return 0;
}

/* allowance(owner, Permit2) of the token.  Out: *v. */
static int
permit2_allowance(struct local *l, x402_u256 *v, struct x402_detail *d,
    const uint8_t token[20], const uint8_t owner[20])
{
	struct x402_buf call;
	uint8_t w[32];
	int r;

	x402_buf_init(&call, 256);
	r = x402_abi_allowance(&call, owner, x402_permit2_address);
	if ((r = token_word(l, w, d, token, &call, r, "allowance")) != 0)
		return r;
	x402_u256_from_be(v, w);
	return 0;
}

/* The single-use nonce of a journal record: used on chain?  Out: *used. */
static int
move_used(struct local *l, int *used, struct x402_detail *d,
    const struct x402_local_record *rec)
{
	return x402_recover_used(l->rpc, used, d, rec->permit2, rec->asset,
	    rec->payer, rec->nonce);
}

/*
 * Why an upto settle(amount) would revert, in the official diagnostic's
 * order: the proxy not deployed (PERMIT2() answers no word), balance
 * short, Permit2 allowance short, then the nonce (bitmap bit set); *reason
 * is X402_R_PERMIT2_SIMULATION when none of these explains it.
 */
static int
upto_diagnose(struct local *l, const char **reason, struct x402_detail *d,
    const struct x402_offer *o, const struct x402_upto_payload *u,
    const x402_u256 *amount)
{
	static const uint8_t sel[4] = { 0x6a, 0xfd, 0xd8, 0x50 }; /* PERMIT2() */
	struct x402_buf call, ret;
	uint8_t n[32];
	x402_u256 v;
	int used = 0, r;

	*reason = NULL;
	x402_buf_init(&call, 64);
	x402_buf_init(&ret, CALL_RET_MAX);
	if ((r = x402_buf_add(&call, sel, sizeof(sel))) != 0 ||
	    (r = x402_rpc_eth_call(l->rpc, &ret, x402_upto_proxy_address,
	    (const uint8_t *)call.p, call.len, "latest", d)) != 0)
		goto out;
	if (ret.len != 32) {
		*reason = X402_R_PERMIT2_PROXY;
		goto out;
	}
	if ((r = balance_of(l, &v, d, o->asset->address, u->from)) != 0)
		goto out;
	if (x402_u256_cmp(&v, amount) < 0) {
		*reason = X402_R_PERMIT2_BALANCE;
		goto out;
	}
	if ((r = permit2_allowance(l, &v, d, o->asset->address,
	    u->from)) != 0)
		goto out;
	if (x402_u256_cmp(&v, amount) < 0) {
		*reason = X402_R_PERMIT2_ALLOWANCE;
		goto out;
	}
	x402_u256_to_be(n, &u->permit.nonce);
	if ((r = x402_recover_used(l->rpc, &used, d, 1, o->asset->address,
	    u->from, n)) != 0)
		goto out;
	*reason = used ? X402_R_PERMIT2_NONCE : X402_R_PERMIT2_SIMULATION;
 out:
	x402_buf_free(&call);
	x402_buf_free(&ret);
	return r;
}

/*
 * The on-chain checks shared by verify and the estimate diagnostic:
 * *reason is NULL when both pass, else the reason code (nonce used
 * first, then balance, as the official diagnostic orders them).
 */
static int
chain_checks(struct local *l, const char **reason, struct x402_detail *d,
    const struct x402_offer *o, const struct x402_eip3009_auth *a,
    const char *balance_reason)
{
	x402_u256 bal;
	int used = 0, r;

	*reason = NULL;
	if ((r = x402_recover_used(l->rpc, &used, d, 0, o->asset->address,
	    a->from, a->nonce)) != 0)
		return r;
	if (used) {
		*reason = X402_R_NONCE_USED;
		return 0;
	}
	if ((r = balance_of(l, &bal, d, o->asset->address, a->from)) != 0)
		return r;
	if (x402_u256_cmp(&bal, &a->value) < 0)
		*reason = balance_reason;
	return 0;
}

/* Does text contain word, ignoring ASCII case? */
static int
has_word(const char *text, const char *word)
{
	size_t i, j, n = strlen(word);

	for (i = 0; text[i] != '\0'; i++) {
		for (j = 0; j < n && text[i + j] != '\0'; j++) {
			char a = text[i + j], b = word[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

/* Is the node's error a revert (execution failed), not a node problem? */
static int
is_revert(const struct x402_rpc_error *e)
{
	if (!e->present)
		return 0;
	return e->code == 3 || has_word(e->message, "revert") ||
	    has_word(e->message, "execution");
}

/* The node refused a send because the nonce is taken. */
static int
is_nonce_conflict(const struct x402_rpc_error *e)
{
	return e->present && (has_word(e->message, "nonce too low") ||
	    has_word(e->message, "nonce is too low") ||
	    has_word(e->message, "replacement transaction underpriced") ||
	    has_word(e->message, "already imported") ||
	    has_word(e->message, "nonce has already been used"));
}

static int
is_already_known(const struct x402_rpc_error *e)
{
	return e->present && (has_word(e->message, "already known") ||
	    has_word(e->message, "known transaction") ||
	    has_word(e->message, "already in mempool"));
}

/* ---- fees and nonces --------------------------------------------------- */

/*
 * EIP-1559 fees: base fee and priority from eth_feeHistory (or
 * eth_gasPrice and eth_maxPriorityFeePerGas when the node has no fee
 * history), maxFee = 2 * base + priority, then the caps.
 */
static int
fees(struct local *l, x402_u256 *max_fee, x402_u256 *prio,
    struct x402_detail *d)
{
	x402_u256 base, t;
	int r;

	r = x402_rpc_fee_history(l->rpc, &base, prio, 4, 50, d);
	if (r == X402_ERR_UPSTREAM) {
		if ((r = x402_rpc_gas_price(l->rpc, &base, d)) != 0)
			return r;
		if (x402_rpc_max_priority_fee(l->rpc, prio, NULL) != 0)
			x402_u256_set_u64(prio, 0);
	} else if (r != 0)
		return r;
	if (x402_u256_is_zero(prio) &&
	    x402_rpc_max_priority_fee(l->rpc, &t, NULL) == 0)
		*prio = t;
	if (!x402_u256_is_zero(&l->prio_cap) &&
	    x402_u256_cmp(prio, &l->prio_cap) > 0)
		*prio = l->prio_cap;
	if (x402_u256_mul_u64(max_fee, &base, 2) != 0 ||
	    x402_u256_add(max_fee, max_fee, prio) != 0)
		return x402_fail(d, X402_ERR_BADREPLY, "local: fee overflow");
	if (!x402_u256_is_zero(&l->fee_cap)) {
		if (x402_u256_cmp(&base, &l->fee_cap) >= 0)
			return x402_fail(d, X402_ERR_SETTLE, "local: base fee "
			    "is at or above max_fee_per_gas_cap; not sent");
		if (x402_u256_cmp(max_fee, &l->fee_cap) > 0)
			*max_fee = l->fee_cap;
		/* The tip cannot exceed what is left above the base fee. */
		if (x402_u256_sub(&t, max_fee, &base) == 0 &&
		    x402_u256_cmp(prio, &t) > 0)
			*prio = t;
	}
	return 0;
}

static int
lock_relayer(struct local *l, int *fd, struct x402_detail *d)
{
	char path[PATH_MAX];
	int r;

	*fd = -1;
	if ((r = path_join(path, sizeof(path), d, l->dir, "relayer.lock")) != 0)
		return r;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return x402_fail(d, X402_ERR_IO, "local: open %s: %s", path,
		    strerror(errno));
	while (flock(*fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		r = x402_fail(d, X402_ERR_IO, "local: flock %s: %s", path,
		    strerror(errno));
		(void)close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

static void
unlock_relayer(int fd)
{
	if (fd != -1) {
		(void)flock(fd, LOCK_UN);
		(void)close(fd);
	}
}

/* The last recorded nonce.  Out: *has (0: no record), *last. */
static int
read_nonce_record(struct local *l, int *has, uint64_t *last,
    struct x402_detail *d)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long long v;
	size_t n;
	int r;

	*has = 0;
	if ((r = path_join(path, sizeof(path), d, l->dir,
	    "relayer.nonce")) != 0)
		return r;
	r = read_small(d, buf, sizeof(buf), &n, path);
	if (r == X402_ERR_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	errno = 0;
	if (n < 2 || buf[0] < '0' || buf[0] > '9' ||
	    (v = strtoull(buf, &end, 10), errno != 0) || strcmp(end, "\n"))
		return x402_fail(d, X402_ERR_SYNTAX, "local: %s is not one "
		    "decimal line", path);
	*has = 1;
	*last = v;
	return 0;
}

static int
write_nonce_record(struct local *l, uint64_t nonce, struct x402_detail *d)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)nonce);

	return write_durable(d, l->dir, "relayer.nonce", buf, (size_t)n, 0);
}

/* The next nonce (lock held): see settle.h. */
static int
next_nonce(struct local *l, uint64_t *nonce, struct x402_detail *d)
{
	uint64_t pending, last = 0;
	int has, r;

	if ((r = x402_rpc_get_transaction_count(l->rpc, &pending, l->relayer,
	    "pending", d)) != 0)
		return r;
	if ((r = read_nonce_record(l, &has, &last, d)) != 0)
		return r;
	*nonce = pending;
	if (has && last < UINT64_MAX && last + 1 > pending &&
	    last + 1 - pending <= X402_LOCAL_NONCE_LAG)
		*nonce = last + 1;
	return 0;
}

/* ---- the journal --------------------------------------------------------- */

static void
hex32(char out[67], const uint8_t b[32])
{
	(void)x402_hex_encode(out, 67, b, 32, X402_HEX_PREFIX_REQUIRED);
}

static int
record_write(struct local *l, struct x402_detail *d, const char *id,
    const struct move *m, const uint8_t txhash[32], uint64_t txnonce,
    const struct x402_buf *raw, int exclusive)
{
	char pend[PATH_MAX], asset[43], payer[43], to[43], val[80], non[67],
	    tx[67], *rawhex = NULL;
	struct x402_buf b;
	size_t rawcap = raw->len * 2 + 3;
	int r;

	x402_buf_init(&b, X402_LOCAL_RECORD_MAX);
	if ((r = path_join(pend, sizeof(pend), d, l->dir, "pending")) != 0)
		goto out;
	if ((rawhex = malloc(rawcap)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "local: out of memory");
		goto out;
	}
	(void)x402_hex_encode(rawhex, rawcap, (const uint8_t *)raw->p,
	    raw->len, X402_HEX_PREFIX_REQUIRED);
	x402_addr_format(asset, m->asset);
	x402_addr_format(payer, m->payer);
	x402_addr_format(to, m->to);
	(void)x402_u256_format_dec(val, sizeof(val), &m->value);
	hex32(non, m->nonce);
	hex32(tx, txhash);
	/* EIP-3009 records keep the v1 layout, readable by older builds;
	 * Permit2 records are v2, which older builds leave alone. */
	if ((r = x402_buf_printf(&b, "version %s\n%snetwork %s\nasset %s\n"
	    "payer %s\nto %s\nvalue %s\nnonce %s\ntx %s\ntxnonce %llu\n"
	    "time %lld\nraw %s\n", m->permit2 ? RECORD_VERSION2 :
	    RECORD_VERSION, m->permit2 ? "method permit2\n" : "", m->network,
	    asset, payer, to, val, non, tx, (unsigned long long)txnonce,
	    (long long)time(NULL), rawhex)) != 0) {
		x402_fail(d, r, "local: journal record too long");
		goto out;
	}
	r = write_durable(d, pend, id, b.p, b.len, exclusive);
 out:
	free(rawhex);
	x402_buf_free(&b);
	return r;
}

/* X402_ERR_PENDING when the authorization already has a journal record. */
static int
record_exists(struct local *l, struct x402_detail *d, const char *id)
{
	char pend[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int r;

	if ((r = path_join(pend, sizeof(pend), d, l->dir, "pending")) != 0 ||
	    (r = path_join(path, sizeof(path), d, pend, id)) != 0)
		return r;
	if (lstat(path, &st) == 0)
		return x402_fail(d, X402_ERR_PENDING, "local: a settlement of "
		    "this authorization is already journaled; reconcile it");
	if (errno != ENOENT)
		return x402_fail(d, X402_ERR_IO, "local: stat %s: %s", path,
		    strerror(errno));
	return 0;
}

/* Finds "\nkey " in text (which starts with a line) and returns its value. */
static const char *
record_field(const char *text, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *p = text, *e;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			p += kl + 1;
			e = strchr(p, '\n');
			*vlen = e != NULL ? (size_t)(e - p) : strlen(p);
			return p;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/*
 * Parses a journal record.  Out: *rec, raw (the signed transaction).
 * Returns 0 or X402_ERR_SYNTAX.
 */
static int
record_parse(struct x402_local_record *rec, struct x402_buf *raw,
    const char *text)
{
	const char *v;
	char num[32];
	size_t n, got;

	if ((v = record_field(text, "version", &n)) == NULL)
		return X402_ERR_SYNTAX;
	if (n == strlen(RECORD_VERSION) && memcmp(v, RECORD_VERSION, n) == 0)
		rec->permit2 = 0;
	else if (n == strlen(RECORD_VERSION2) &&
	    memcmp(v, RECORD_VERSION2, n) == 0) {
		if ((v = record_field(text, "method", &n)) == NULL)
			return X402_ERR_SYNTAX;
		if (n == 7 && memcmp(v, "permit2", 7) == 0)
			rec->permit2 = 1;
		else if (n == 7 && memcmp(v, "eip3009", 7) == 0)
			rec->permit2 = 0;
		else
			return X402_ERR_SYNTAX;
	} else
		return X402_ERR_SYNTAX;
	if ((v = record_field(text, "network", &n)) == NULL || n == 0 ||
	    n > X402_NET_CAIP2_MAX)
		return X402_ERR_SYNTAX;
	memcpy(rec->network, v, n);
	rec->network[n] = '\0';
	if ((v = record_field(text, "asset", &n)) == NULL ||
	    x402_addr_parse(rec->asset, v, n) != 0 ||
	    (v = record_field(text, "payer", &n)) == NULL ||
	    x402_addr_parse(rec->payer, v, n) != 0 ||
	    (v = record_field(text, "to", &n)) == NULL ||
	    x402_addr_parse(rec->to, v, n) != 0 ||
	    (v = record_field(text, "value", &n)) == NULL ||
	    x402_u256_parse_dec(&rec->value, v, n) != 0 ||
	    (v = record_field(text, "nonce", &n)) == NULL ||
	    x402_hex_decode_exact(rec->nonce, 32, v, n) != 0 ||
	    (v = record_field(text, "tx", &n)) == NULL ||
	    x402_hex_decode_exact(rec->tx_hash, 32, v, n) != 0)
		return X402_ERR_SYNTAX;
	if ((v = record_field(text, "txnonce", &n)) == NULL || n == 0 ||
	    n >= sizeof(num) || strspn(v, "0123456789") < n)
		return X402_ERR_SYNTAX;
	memcpy(num, v, n);
	num[n] = '\0';
	rec->tx_nonce = strtoull(num, NULL, 10);
	if ((v = record_field(text, "time", &n)) == NULL || n == 0 ||
	    n >= sizeof(num) || strspn(v, "0123456789") < n)
		return X402_ERR_SYNTAX;
	memcpy(num, v, n);
	num[n] = '\0';
	rec->time = (int64_t)strtoll(num, NULL, 10);
	if ((v = record_field(text, "raw", &n)) == NULL ||
	    x402_buf_reserve(raw, n / 2) != 0 ||
	    x402_hex_decode((uint8_t *)raw->p, raw->cap - 1, &got, v, n,
	    X402_HEX_PREFIX_REQUIRED) != 0 || got == 0)
		return X402_ERR_SYNTAX;
	raw->len = got;
	raw->p[got] = '\0';
	return 0;
}

/* ---- receipts ------------------------------------------------------------ */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Polls for the receipt of txhash.  Returns 0 with l->rcpt.found set when
 * it arrived, X402_ERR_PENDING when the timeout passed without one.
 */
static int
wait_receipt(struct local *l, struct x402_detail *d, const uint8_t txhash[32])
{
	uint64_t deadline = now_ms() + l->receipt_timeout_ms;
	int r;

	for (;;) {
		r = x402_rpc_get_transaction_receipt(l->rpc, &l->rcpt, txhash,
		    d);
		if (r == 0 && l->rcpt.found)
			return 0;
		/* A failed poll is not a verdict: keep trying until the
		 * deadline, then report the transaction as pending. */
		if (now_ms() >= deadline)
			return x402_fail(d, X402_ERR_PENDING, "local: no "
			    "receipt within %u ms%s", l->receipt_timeout_ms,
			    r != 0 ? " (node errors while polling)" : "");
		sleep_ms(l->poll_ms);
	}
}

/* Does the receipt hold Transfer(from, to, value) from the token? */
static int
receipt_has_transfer(const struct x402_rpc_receipt *rc,
    const uint8_t token[20], const uint8_t from[20], const uint8_t to[20],
    const x402_u256 *value)
{
	struct x402_abi_log lg;
	size_t i;

	for (i = 0; i < rc->nlogs; i++) {
		memset(&lg, 0, sizeof(lg));
		memcpy(lg.address, rc->logs[i].address, 20);
		lg.ntopics = rc->logs[i].ntopics;
		memcpy(lg.topics, rc->logs[i].topics,
		    lg.ntopics * sizeof(lg.topics[0]));
		lg.data = rc->logs[i].data;
		lg.datalen = rc->logs[i].datalen;
		if (x402_abi_log_is_transfer(&lg, token, from, to, value))
			return 1;
	}
	return 0;
}

/* ---- verify and settle --------------------------------------------------- */

static void
verdict(struct x402_settlement *out, const char *reason)
{
	out->success = 0;
	snprintf(out->error_reason, sizeof(out->error_reason), "%s", reason);
}

/*
 * eth_estimateGas of call to `to` from the relayer: the simulation.
 * Out: *gas, or *reverted = 1 (the call would revert: nothing to send).
 */
static int
simulate(struct local *l, uint64_t *gas, int *reverted, struct x402_detail *d,
    const uint8_t to[20], const struct x402_buf *call)
{
	const struct x402_rpc_error *e;
	struct x402_detail dd;
	int r;

	*reverted = 0;
	r = x402_rpc_estimate_gas(l->rpc, gas, l->relayer, to,
	    (const uint8_t *)call->p, call->len, &dd);
	if (r == 0)
		return 0;
	e = x402_rpc_last_error(l->rpc);
	if (r != X402_ERR_UPSTREAM || !is_revert(e)) {
		if (d != NULL)
			*d = dd;
		return r;
	}
	*reverted = 1;
	return 0;
}

/*
 * The gas limit of the transaction: the configured one (nothing asked),
 * or the simulation's estimate plus X402_LOCAL_GAS_MARGIN_PCT.  Out:
 * *gas, or *reverted = 1.
 */
static int
estimate(struct local *l, uint64_t *gas, int *reverted,
    struct x402_detail *d, const uint8_t to[20], const struct x402_buf *call)
{
	uint64_t g;
	int r;

	*reverted = 0;
	if (l->gas_limit != 0) {
		*gas = l->gas_limit;
		return 0;
	}
	if ((r = simulate(l, &g, reverted, d, to, call)) != 0 || *reverted)
		return r;
	if (g > UINT64_MAX / (100 + X402_LOCAL_GAS_MARGIN_PCT))
		return x402_fail(d, X402_ERR_BADREPLY, "local: gas estimate "
		    "out of range");
	*gas = g * (100 + X402_LOCAL_GAS_MARGIN_PCT) / 100;
	return 0;
}

/*
 * The upto verify: x402_verify_upto offline, then, when check_chain is
 * set, the official facilitator's simulation of the proxy's settle for
 * the maximum from the relayer (the witness's facilitator), with
 * upto_diagnose saying why when it would revert.
 */
static int
local_verify_upto(struct local *l, struct x402_verify_result *res,
    struct x402_detail *d, const struct x402_settle_request *req)
{
	const struct x402_upto_payload *u = &req->payment->upto;
	const struct x402_offer *o = req->offer;
	const char *reason = NULL;
	struct x402_buf call;
	uint64_t gas;
	int r, reverted;

	x402_buf_init(&call, 1024);
	if ((r = x402_verify_upto(res, l->sig, req->payment, o, req->now,
	    l->skew)) != 0 || !res->valid || !l->check_chain)
		goto out;
	if ((r = x402_abi_upto_settle(&call, &u->permit, &o->amount, u->from,
	    u->sig)) != 0) {
		x402_fail(d, r, "local: encoding the upto settle");
		goto out;
	}
	if ((r = simulate(l, &gas, &reverted, d, x402_upto_proxy_address,
	    &call)) != 0 || !reverted)
		goto out;
	if ((r = upto_diagnose(l, &reason, d, o, u, &o->amount)) != 0)
		goto out;
	if (reason != NULL) {
		res->valid = 0;
		snprintf(res->reason, sizeof(res->reason), "%s", reason);
	}
 out:
	x402_buf_free(&call);
	return r;
}

/*
 * The transfer itself, simulated against the chain as the official
 * facilitator does (eth_estimateGas from the relayer): whatever the
 * token would refuse (its own time comparison, a cancelled
 * authorization, a paused token) is refused before the command runs.
 * Out: *reason, X402_R_SIMULATION when it would revert, else NULL.
 */
static int
simulate_exact(struct local *l, const char **reason, struct x402_detail *d,
    const struct x402_offer *o, const struct x402_payment *p)
{
	struct x402_buf call;
	uint64_t gas;
	int r, reverted = 0;

	*reason = NULL;
	x402_buf_init(&call, 1024);
	if ((r = x402_abi_transfer_with_authorization(&call, &p->exact.auth,
	    p->exact.sig)) != 0) {
		x402_fail(d, r, "local: encoding transferWithAuthorization");
		goto out;
	}
	if ((r = simulate(l, &gas, &reverted, d, o->asset->address,
	    &call)) == 0 && reverted)
		*reason = X402_R_SIMULATION;
out:
	x402_buf_free(&call);
	return r;
}

/*
 * Our transfer reverted, or would: when the authorization was used on
 * chain by someone else's transaction (the same signed authorization
 * submitted first), the payment to payTo happened all the same.  Only
 * once the chain was seen to hold it unused for this request (verify's
 * chain checks, or settle's own estimate): otherwise any authorization
 * ever settled to payTo could be replayed for a free run.  Finds
 * that transaction (the token's AuthorizationUsed log) and reports the
 * settlement as a success with it.  *taken = 1 then; 0 when the
 * authorization is unused, cancelled or its transaction is not found.
 */
static int
taken_elsewhere(struct local *l, struct x402_settlement *out, int *taken,
    struct x402_detail *d, const struct x402_payment *p,
    const struct x402_offer *o)
{
	const struct x402_eip3009_auth *a = &p->exact.auth;
	struct x402_recover_tx f;
	struct x402_receipt rc;
	uint8_t tx[32];
	int used = 0, r;

	*taken = 0;
	if ((r = x402_recover_used(l->rpc, &used, d, 0, o->asset->address,
	    a->from, a->nonce)) != 0 || !used)
		return r;
	memset(&rc, 0, sizeof(rc));
	snprintf(rc.scheme, sizeof(rc.scheme), "exact");
	snprintf(rc.network, sizeof(rc.network), "%s", o->net->caip2);
	memcpy(rc.asset, o->asset->address, X402_ADDR_LEN);
	memcpy(rc.payer, a->from, X402_ADDR_LEN);
	memcpy(rc.pay_to, a->to, X402_ADDR_LEN);
	memcpy(rc.nonce, a->nonce, 32);
	rc.amount = a->value;
	rc.max_amount = a->value;
	if ((r = x402_recover_find(l->rpc, &f, d, &rc,
	    X402_LOCAL_FIND_BLOCKS)) != 0 || !f.found)
		return r;
	memcpy(tx, f.tx, sizeof(tx));
	if ((r = x402_recover_tx_amount(l->rpc, &f, d, tx, &rc)) != 0 ||
	    !f.found || x402_u256_cmp(&f.amount, &a->value) != 0)
		return r;
	memset(out->error_reason, 0, sizeof(out->error_reason));
	hex32(out->transaction, f.tx);
	out->success = 1;
	*taken = 1;
	return 0;
}

static int
local_verify(void *impl, struct x402_verify_result *res,
    struct x402_detail *d, const struct x402_settle_request *req)
{
	struct local *l = impl;
	const struct x402_payment *p = req->payment;
	const char *reason;
	int r;

	if (req->offer->scheme == X402_SCHEME_UPTO)
		return local_verify_upto(l, res, d, req);
	if ((r = x402_verify_exact(res, l->sig, p, req->offer,
	    req->domain_separator, req->now, l->skew)) != 0 || !res->valid)
		return r;
	if (!l->check_chain)
		return 0;
	if ((r = chain_checks(l, &reason, d, req->offer, &p->exact.auth,
	    X402_R_BALANCE)) != 0)
		return r;
	if (reason != NULL && strcmp(reason, X402_R_NONCE_USED) == 0) {
		struct x402_settlement st;
		int taken = 0;

		/* Submitted by someone else first: paid to payTo all the
		 * same (the claim store stops a second use here). */
		memset(&st, 0, sizeof(st));
		if ((r = taken_elsewhere(l, &st, &taken, d, p,
		    req->offer)) != 0)
			return r;
		if (taken)
			return 0;
	}
	if (reason == NULL && (r = simulate_exact(l, &reason, d, req->offer,
	    p)) != 0)
		return r;
	if (reason != NULL) {
		res->valid = 0;
		snprintf(res->reason, sizeof(res->reason), "%s", reason);
	}
	return 0;
}

static int
auth_id(char id[65], struct x402_detail *d, const struct x402_offer *o,
    const struct move *m)
{
	struct x402_claim_key k;
	uint8_t b[X402_CLAIM_ID_LEN];

	memset(&k, 0, sizeof(k));
	snprintf(k.network, sizeof(k.network), "%s", o->net->caip2);
	memcpy(k.asset, m->asset, 20);
	memcpy(k.payer, m->payer, 20);
	memcpy(k.nonce, m->nonce, 32);
	if (x402_claim_id(b, &k) != 0)
		return x402_fail(d, X402_ERR_INVAL, "local: bad network id");
	(void)x402_hex_encode(id, 65, b, sizeof(b), X402_HEX_PREFIX_NONE);
	return 0;
}

/*
 * Signs and sends the transaction under the relayer lock, journal first.
 * Out: txhash.  Returns 0 (sent), X402_ERR_PENDING (fate unknown, journal
 * kept), X402_ERR_EXISTS -> mapped by the caller, or another error with
 * nothing sent (journal removed).
 */
static int
send_tx(struct local *l, uint8_t txhash[32], struct x402_detail *d,
    const char *id, const struct move *m, struct x402_tx1559 *tx)
{
	const struct x402_rpc_error *e;
	struct x402_buf raw;
	uint8_t got[32];
	int fd = -1, r, tries, journaled = 0;

	x402_buf_init(&raw, RAW_MAX);
	if ((r = lock_relayer(l, &fd, d)) != 0)
		goto out;
	for (tries = 0; ; tries++) {
		if ((r = next_nonce(l, &tx->nonce, d)) != 0)
			goto out;
		x402_buf_reset(&raw);
		if ((r = x402_tx_sign(l->sig, &raw, txhash, tx, l->key)) != 0) {
			x402_fail(d, r, "local: signing the transaction failed");
			goto out;
		}
		if ((r = write_nonce_record(l, tx->nonce, d)) != 0)
			goto out;
		if ((r = record_write(l, d, id, m, txhash, tx->nonce, &raw,
		    !journaled)) != 0) {
			if (r == X402_ERR_EXISTS)
				r = x402_fail(d, X402_ERR_PENDING, "local: a "
				    "settlement of this authorization is "
				    "already journaled; reconcile it");
			goto out;
		}
		journaled = 1;
		r = x402_rpc_send_raw_transaction(l->rpc, got,
		    (const uint8_t *)raw.p, raw.len, d);
		if (r == 0)
			break;
		e = x402_rpc_last_error(l->rpc);
		if (r == X402_ERR_UPSTREAM && is_already_known(e)) {
			r = 0;
			break;
		}
		if (r == X402_ERR_UPSTREAM && is_nonce_conflict(e) &&
		    tries < X402_LOCAL_NONCE_RETRIES) {
			/* Taken by a transaction this host did not record:
			 * the node's pending count now covers it. */
			if (tx->nonce > 0 &&
			    (r = write_nonce_record(l, tx->nonce - 1, d)) != 0)
				goto out;
			continue;
		}
		if (r == X402_ERR_UPSTREAM) {
			/* Refused: nothing is pending.  Hand the nonce back. */
			(void)write_nonce_record(l, tx->nonce > 0 ?
			    tx->nonce - 1 : 0, NULL);
			goto out;
		}
		/* NET, TIMEOUT, BADREPLY: the node may have it. */
		x402_fail(d, X402_ERR_PENDING, "local: the send's fate is "
		    "unknown (%s); journal kept", x402_strerror(r));
		r = X402_ERR_PENDING;
		goto out;
	}
	/* The receipt is looked up by our own hash of the signed bytes;
	 * a node naming another hash (got) is not trusted for it. */
	r = 0;
 out:
	/* Failed before or after a refused send: nothing is pending. */
	if (r != 0 && r != X402_ERR_PENDING && journaled)
		(void)unlink_record(NULL, l->dir, id);
	unlock_relayer(fd);
	x402_buf_free(&raw);
	return r;
}

/*
 * The common tail of both settlements: journal, fees, send, receipt, the
 * Transfer(payer -> to, value) log of the asset.  call goes to `to`,
 * gas is the estimate.  failed_reason names a reverted transaction.
 */
static int
send_and_confirm(struct local *l, struct x402_settlement *out,
    struct x402_detail *d, const char *id, const struct move *m,
    const uint8_t to[20], const struct x402_buf *call, uint64_t gas,
    const char *failed_reason)
{
	struct x402_tx1559 tx;
	uint8_t txhash[32];
	int r;

	memset(&tx, 0, sizeof(tx));
	tx.chain_id = l->chain_id;
	memcpy(tx.to, to, 20);
	tx.data = (const uint8_t *)call->p;
	tx.data_len = call->len;
	tx.gas_limit = gas;
	if ((r = fees(l, &tx.max_fee_per_gas, &tx.max_priority_fee_per_gas,
	    d)) != 0)
		return r;
	if ((r = send_tx(l, txhash, d, id, m, &tx)) != 0)
		return r;
	hex32(out->transaction, txhash);
	if ((r = wait_receipt(l, d, txhash)) != 0)
		return r;	/* PENDING: the journal stays */
	if (l->rcpt.status != 1)
		verdict(out, failed_reason);
	else if (!receipt_has_transfer(&l->rcpt, m->asset, m->payer, m->to,
	    &m->value))
		verdict(out, X402_R_EVENT_MISMATCH);
	else
		out->success = 1;
	/* Mined: the outcome is final. */
	(void)unlink_record(NULL, l->dir, id);
	return 0;
}

/*
 * upto: the offline checks again, then the actual amount (req->amount, or
 * the maximum when none is given): zero succeeds with no transaction,
 * above the signed maximum is X402_R_UPTO_EXCEEDS; otherwise the proxy's
 * settle(permit, amount, owner, witness, signature) from the relayer.
 */
static int
local_settle_upto(struct local *l, struct x402_settlement *out,
    struct x402_detail *d, const struct x402_settle_request *req)
{
	const struct x402_payment *p = req->payment;
	const struct x402_offer *o = req->offer;
	const struct x402_upto_payload *u = &p->upto;
	struct x402_verify_result vr;
	struct x402_buf call;
	struct move m;
	const char *reason = NULL;
	uint64_t gas = 0;
	char id[65];
	int r, reverted;

	x402_buf_init(&call, 1024);
	x402_addr_format(out->payer, u->from);
	snprintf(out->network, sizeof(out->network), "%s", p->network);
	memset(&m, 0, sizeof(m));
	m.permit2 = 1;
	m.network = p->network;
	m.asset = o->asset->address;
	m.payer = u->from;
	m.to = u->permit.witness_to;
	m.value = req->has_amount ? req->amount : o->amount;
	x402_u256_to_be(m.nonce, &u->permit.nonce);

	if ((r = x402_verify_upto(&vr, l->sig, p, o, req->now,
	    l->skew)) != 0)
		goto out;
	if (!vr.valid) {
		verdict(out, vr.reason);
		goto out;
	}
	if (x402_u256_is_zero(&m.value)) {
		/* Nothing used, nothing moves: no transaction (§8.1). */
		out->success = 1;
		out->has_amount = 1;
		goto out;
	}
	if (x402_u256_cmp(&m.value, &u->permit.amount) > 0) {
		verdict(out, X402_R_UPTO_EXCEEDS);
		goto out;
	}
	if ((r = auth_id(id, d, o, &m)) != 0 ||
	    (r = record_exists(l, d, id)) != 0)
		goto out;
	if ((r = x402_abi_upto_settle(&call, &u->permit, &m.value, u->from,
	    u->sig)) != 0) {
		x402_fail(d, r, "local: encoding the upto settle");
		goto out;
	}
	if ((r = estimate(l, &gas, &reverted, d, x402_upto_proxy_address,
	    &call)) != 0)
		goto out;
	if (reverted) {
		if ((r = upto_diagnose(l, &reason, d, o, u, &m.value)) == 0)
			verdict(out, reason);
		goto out;
	}
	if ((r = send_and_confirm(l, out, d, id, &m, x402_upto_proxy_address,
	    &call, gas, X402_R_TX_STATE)) != 0)
		goto out;
	if (out->success) {
		out->has_amount = 1;
		out->amount = m.value;
	}
 out:
	x402_buf_free(&call);
	return r;
}

static int
local_settle(void *impl, struct x402_settlement *out, struct x402_detail *d,
    const struct x402_settle_request *req)
{
	struct local *l = impl;
	const struct x402_payment *p = req->payment;
	const struct x402_offer *o = req->offer;
	const struct x402_eip3009_auth *a = &p->exact.auth;
	struct x402_verify_result vr;
	struct x402_buf call;
	struct move m;
	const char *reason = NULL;
	uint64_t gas = 0;
	char id[65];
	int r, reverted, taken = 0;

	if (o->scheme == X402_SCHEME_UPTO)
		return local_settle_upto(l, out, d, req);
	x402_buf_init(&call, 1024);
	x402_addr_format(out->payer, a->from);
	snprintf(out->network, sizeof(out->network), "%s", p->network);
	memset(&m, 0, sizeof(m));
	m.network = p->network;
	m.asset = o->asset->address;
	m.payer = a->from;
	m.to = a->to;
	m.value = a->value;
	memcpy(m.nonce, a->nonce, 32);

	if ((r = x402_verify_exact(&vr, l->sig, p, o, req->domain_separator,
	    req->now, l->skew)) != 0)
		goto out;
	if (!vr.valid) {
		verdict(out, vr.reason);
		goto out;
	}
	if ((r = auth_id(id, d, o, &m)) != 0)
		goto out;
	if ((r = record_exists(l, d, id)) != 0)
		goto out;
	if ((r = x402_abi_transfer_with_authorization(&call, a,
	    p->exact.sig)) != 0) {
		x402_fail(d, r, "local: encoding transferWithAuthorization");
		goto out;
	}
	if ((r = estimate(l, &gas, &reverted, d, o->asset->address,
	    &call)) != 0)
		goto out;
	if (reverted) {
		/* The transfer would revert: say why, send nothing. */
		if ((r = chain_checks(l, &reason, d, o, a,
		    X402_R_INSUFFICIENT_BALANCE)) != 0)
			goto out;
		if (l->check_chain && reason != NULL &&
		    strcmp(reason, X402_R_NONCE_USED) == 0 &&
		    ((r = taken_elsewhere(l, out, &taken, d, p, o)) != 0 ||
		    taken))
			goto out;
		verdict(out, reason != NULL ? reason : X402_R_SIMULATION);
		goto out;
	}
	r = send_and_confirm(l, out, d, id, &m, o->asset->address, &call,
	    gas, X402_R_TX_FAILED);
	if (r == 0 && !out->success && (l->check_chain || l->gas_limit == 0) &&
	    strcmp(out->error_reason, X402_R_TX_FAILED) == 0) {
		char ours[67];

		/* Reverted: someone else's transaction may have used it. */
		memcpy(ours, out->transaction, sizeof(ours));
		if ((r = taken_elsewhere(l, out, &taken, d, p, o)) != 0) {
			/* Unknown whether the money moved: pending. */
			r = x402_fail(d, X402_ERR_PENDING, "local: our "
			    "transaction %s reverted and the chain cannot "
			    "say whether the authorization was used", ours);
			memcpy(out->transaction, ours, sizeof(ours));
		} else if (!taken)
			memcpy(out->transaction, ours, sizeof(ours));
	}
 out:
	x402_buf_free(&call);
	return r;
}

static void
local_free(void *impl)
{
	struct local *l = impl;

	if (l == NULL)
		return;
	x402_rpc_free(l->rpc);
	x402_wipe(l->key, sizeof(l->key));
	free(l);
}

static const struct x402_settler_ops local_ops = {
	"local", local_verify, local_settle, local_free,
};

int
x402_settler_new_local(struct x402_settler **out,
    const struct x402_sig_ctx *sig, const struct x402_local_opts *o,
    struct x402_detail *d)
{
	struct x402_settler *s = NULL;
	struct local *l = NULL;
	char pend[PATH_MAX];
	uint64_t chain;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || sig == NULL || o == NULL || o->rpc_url == NULL ||
	    o->relayer_key_file == NULL || o->state_dir == NULL ||
	    o->state_dir[0] == '\0' || o->expected_chain_id == 0)
		return x402_fail(d, X402_ERR_INVAL, "local: rpc_url, "
		    "relayer_key_file, state_dir and expected_chain_id are "
		    "required");
	if (strlen(o->state_dir) > X402_LOCAL_STATE_DIR_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "local: state_dir over %d "
		    "bytes", X402_LOCAL_STATE_DIR_MAX);
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "local: out of memory");
		goto out;
	}
	l->sig = sig;
	snprintf(l->dir, sizeof(l->dir), "%s", o->state_dir);
	l->receipt_timeout_ms = o->receipt_timeout_ms != 0 ?
	    o->receipt_timeout_ms : X402_LOCAL_RECEIPT_TIMEOUT_MS;
	l->poll_ms = o->poll_ms != 0 ? o->poll_ms : X402_LOCAL_POLL_MS;
	l->skew = o->clock_skew;
	l->check_chain = o->check_chain;
	l->fee_cap = o->max_fee_per_gas_cap;
	l->prio_cap = o->max_priority_fee_cap;
	l->gas_limit = o->gas_limit;
	l->chain_id = o->expected_chain_id;

	if ((r = x402_sig_key_load(sig, l->key, d, o->relayer_key_file)) != 0)
		goto out;
	if ((r = x402_sig_key_address(sig, l->relayer, l->key)) != 0) {
		x402_fail(d, r, "local: relayer key has no address");
		goto out;
	}
	if ((r = mkdir_owner(d, l->dir)) != 0 ||
	    (r = path_join(pend, sizeof(pend), d, l->dir, "pending")) != 0 ||
	    (r = mkdir_owner(d, pend)) != 0)
		goto out;
	if ((r = x402_rpc_new(&l->rpc, o->rpc_url, &o->http, d)) != 0)
		goto out;
	if ((r = x402_rpc_chain_id(l->rpc, &chain, d)) != 0)
		goto out;
	if (chain != o->expected_chain_id) {
		r = x402_fail(d, X402_ERR_CHAIN, "local: node is on chain %llu, "
		    "expected %llu", (unsigned long long)chain,
		    (unsigned long long)o->expected_chain_id);
		goto out;
	}
	s->ops = &local_ops;
	s->impl = l;
	*out = s;
	s = NULL;
	l = NULL;
	r = 0;
 out:
	local_free(l);
	free(s);
	return r;
}

int
x402_local_relayer(const struct x402_settler *s, uint8_t addr[X402_ADDR_LEN])
{
	if (s == NULL || s->ops != &local_ops || s->impl == NULL)
		return X402_ERR_INVAL;
	memcpy(addr, ((const struct local *)s->impl)->relayer, X402_ADDR_LEN);
	return 0;
}

/* ---- reconciliation ------------------------------------------------------ */

/* Is txhash known to the node (pending in its pool or mined)? */
static int
tx_known(struct local *l, int *known, struct x402_detail *d,
    const uint8_t txhash[32])
{
	json_object *res = NULL;
	char params[72];
	int r;

	snprintf(params, sizeof(params), "[\"0x");
	(void)x402_hex_encode(params + 4, sizeof(params) - 4, txhash, 32,
	    X402_HEX_PREFIX_NONE);
	strcat(params, "\"]");
	r = x402_rpc_call(l->rpc, &res, "eth_getTransactionByHash", params, d);
	*known = r == 0 && res != NULL;
	json_object_put(res);
	return r;
}

static int
reconcile_one(struct local *l, struct x402_detail *d,
    struct x402_local_record *rec, const struct x402_buf *raw,
    enum x402_local_outcome *outcome)
{
	const struct x402_rpc_error *e;
	uint8_t got[32];
	int r, used, known;

	if ((r = x402_rpc_get_transaction_receipt(l->rpc, &l->rcpt,
	    rec->tx_hash, d)) != 0)
		return r;
	if (l->rcpt.found) {
		rec->status = l->rcpt.status;
		*outcome = l->rcpt.status == 1 ? X402_LOCAL_SETTLED :
		    X402_LOCAL_FAILED;
		return 0;
	}
	if ((r = move_used(l, &used, d, rec)) != 0)
		return r;
	if (used) {
		*outcome = X402_LOCAL_OTHER;
		return 0;
	}
	if ((r = tx_known(l, &known, d, rec->tx_hash)) != 0)
		return r;
	if (known) {
		*outcome = X402_LOCAL_INFLIGHT;
		return 0;
	}
	r = x402_rpc_send_raw_transaction(l->rpc, got, (const uint8_t *)raw->p,
	    raw->len, d);
	e = x402_rpc_last_error(l->rpc);
	if (r == 0 || (r == X402_ERR_UPSTREAM && is_already_known(e))) {
		*outcome = X402_LOCAL_INFLIGHT;
		return 0;
	}
	if (r == X402_ERR_UPSTREAM && e->present) {
		*outcome = X402_LOCAL_DROPPED;
		return 0;
	}
	return r;
}

int
x402_local_reconcile(struct x402_settler *s, struct x402_detail *d,
    unsigned min_age, x402_local_reconcile_fn fn, void *arg)
{
	struct x402_local_record rec;
	enum x402_local_outcome outcome;
	struct x402_buf raw;
	struct dirent *de;
	struct local *l;
	DIR *dir = NULL;
	char pend[PATH_MAX], path[PATH_MAX], *text = NULL, bad[80] = "";
	size_t n;
	int r = 0, rr;

	x402_buf_init(&raw, RAW_MAX);
	if (s == NULL || s->ops != &local_ops || fn == NULL)
		return x402_fail(d, X402_ERR_INVAL, "local: not a local settler");
	l = s->impl;
	if ((text = malloc(X402_LOCAL_RECORD_MAX + 1)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "local: out of memory");
		goto out;
	}
	if ((r = path_join(pend, sizeof(pend), d, l->dir, "pending")) != 0)
		goto out;
	if ((dir = opendir(pend)) == NULL) {
		r = x402_fail(d, X402_ERR_IO, "local: opendir %s: %s", pend,
		    strerror(errno));
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strlen(de->d_name) != 64 ||
		    strspn(de->d_name, "0123456789abcdef") != 64)
			continue;	/* ".", "..", temporaries */
		if ((r = path_join(path, sizeof(path), d, pend,
		    de->d_name)) != 0)
			goto out;
		memset(&rec, 0, sizeof(rec));
		memcpy(rec.id, de->d_name, 65);
		x402_buf_reset(&raw);
		rr = read_small(NULL, text, X402_LOCAL_RECORD_MAX + 1, &n, path);
		if (rr == X402_ERR_NOTFOUND)
			continue;	/* finished meanwhile */
		if (rr != 0 || record_parse(&rec, &raw, text) != 0) {
			snprintf(bad, sizeof(bad), "%s", de->d_name);
			continue;
		}
		if (min_age > 0 && rec.time > (int64_t)time(NULL) - min_age)
			continue;
		if ((r = reconcile_one(l, d, &rec, &raw, &outcome)) != 0)
			goto out;
		if ((r = fn(arg, &rec, outcome)) != 0)
			goto out;
		if (outcome != X402_LOCAL_INFLIGHT &&
		    (r = unlink_record(d, l->dir, rec.id)) != 0)
			goto out;
	}
	if (bad[0] != '\0')
		r = x402_fail(d, X402_ERR_SYNTAX, "local: unreadable journal "
		    "record pending/%s (left in place)", bad);
 out:
	if (dir != NULL)
		(void)closedir(dir);
	free(text);
	x402_buf_free(&raw);
	return r;
}
