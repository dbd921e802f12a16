/* tx.c - ABI calldata and return data, RLP, EIP-1559 transactions. */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "keccak.h"
#include "tx.h"

#define WORD 32

const uint8_t x402_abi_topic_transfer[32] = {
	0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b,
	0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
	0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16,
	0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef,
};

const uint8_t x402_abi_topic_authorization_used[32] = {
	0x98, 0xde, 0x50, 0x35, 0x28, 0xee, 0x59, 0xb5,
	0x75, 0xef, 0x0c, 0x0a, 0x25, 0x76, 0xa8, 0x24,
	0x97, 0xbf, 0xc0, 0x29, 0xa5, 0x68, 0x5b, 0x20,
	0x9e, 0x9e, 0xc3, 0x33, 0x47, 0x9b, 0x10, 0xa5,
};

/* Drops whatever was appended to b after offset len. */
static void
truncate_to(struct x402_buf *b, size_t len)
{
	if (b->p != NULL && len <= b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

/*
 * Returns the signature's v as 27 or 28, or X402_ERR_SIG.
 */
static int
sig_v27(const uint8_t sig[X402_SIG_LEN])
{
	uint8_t v = sig[64];

	if (v == 0 || v == 1)
		return v + 27;
	if (v == 27 || v == 28)
		return v;
	return X402_ERR_SIG;
}

/* ---- ABI ---------------------------------------------------------------- */

static uint8_t *
put_selector(uint8_t *p, unsigned long sel)
{
	p[0] = (uint8_t)(sel >> 24);
	p[1] = (uint8_t)(sel >> 16);
	p[2] = (uint8_t)(sel >> 8);
	p[3] = (uint8_t)sel;
	return p + 4;
}

static uint8_t *
put_address(uint8_t *p, const uint8_t addr[X402_ADDR_LEN])
{
	memset(p, 0, WORD - X402_ADDR_LEN);
	memcpy(p + WORD - X402_ADDR_LEN, addr, X402_ADDR_LEN);
	return p + WORD;
}

static uint8_t *
put_u256(uint8_t *p, const x402_u256 *v)
{
	x402_u256_to_be(p, v);
	return p + WORD;
}

static uint8_t *
put_u64(uint8_t *p, uint64_t n)
{
	x402_u256 v;

	x402_u256_set_u64(&v, n);
	return put_u256(p, &v);
}

static uint8_t *
put_bytes32(uint8_t *p, const uint8_t b[32])
{
	memcpy(p, b, WORD);
	return p + WORD;
}

/* The six leading arguments both transferWithAuthorization overloads share. */
static uint8_t *
put_auth(uint8_t *p, const struct x402_eip3009_auth *a)
{
	p = put_address(p, a->from);
	p = put_address(p, a->to);
	p = put_u256(p, &a->value);
	p = put_u256(p, &a->valid_after);
	p = put_u256(p, &a->valid_before);
	return put_bytes32(p, a->nonce);
}

int
x402_abi_transfer_with_authorization(struct x402_buf *out,
    const struct x402_eip3009_auth *a, const uint8_t sig[X402_SIG_LEN])
{
	uint8_t cd[4 + 9 * WORD], *p;
	int v;

	if ((v = sig_v27(sig)) < 0)
		return v;
	p = put_selector(cd, X402_SEL_TRANSFER_WITH_AUTHORIZATION);
	p = put_auth(p, a);
	p = put_u64(p, (uint64_t)v);
	p = put_bytes32(p, sig);
	p = put_bytes32(p, sig + 32);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_transfer_with_authorization_bytes(struct x402_buf *out,
    const struct x402_eip3009_auth *a, const uint8_t *sig, size_t siglen)
{
	static const uint8_t zero[WORD];
	uint8_t head[4 + 8 * WORD], *p;
	size_t start = out->len, pad = (WORD - siglen % WORD) % WORD;
	int r;

	if (siglen > X402_ABI_SIG_BYTES_MAX)
		return X402_ERR_LIMIT;
	if (sig == NULL && siglen > 0)
		return X402_ERR_INVAL;
	p = put_selector(head, X402_SEL_TRANSFER_WITH_AUTHORIZATION_BYTES);
	p = put_auth(p, a);
	p = put_u64(p, 7 * WORD);	/* offset of the bytes, after 7 heads */
	p = put_u64(p, siglen);
	if ((r = x402_buf_add(out, head, (size_t)(p - head))) != 0 ||
	    (r = x402_buf_add(out, sig, siglen)) != 0 ||
	    (r = x402_buf_add(out, zero, pad)) != 0)
		truncate_to(out, start);
	return r;
}

int
x402_abi_balance_of(struct x402_buf *out, const uint8_t owner[X402_ADDR_LEN])
{
	uint8_t cd[4 + WORD], *p;

	p = put_selector(cd, X402_SEL_BALANCE_OF);
	p = put_address(p, owner);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_authorization_state(struct x402_buf *out,
    const uint8_t authorizer[X402_ADDR_LEN], const uint8_t nonce[32])
{
	uint8_t cd[4 + 2 * WORD], *p;

	p = put_selector(cd, X402_SEL_AUTHORIZATION_STATE);
	p = put_address(p, authorizer);
	p = put_bytes32(p, nonce);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_transfer(struct x402_buf *out, const uint8_t to[X402_ADDR_LEN],
    const x402_u256 *value)
{
	uint8_t cd[4 + 2 * WORD], *p;

	p = put_selector(cd, X402_SEL_TRANSFER);
	p = put_address(p, to);
	p = put_u256(p, value);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_allowance(struct x402_buf *out, const uint8_t owner[X402_ADDR_LEN],
    const uint8_t spender[X402_ADDR_LEN])
{
	uint8_t cd[4 + 2 * WORD], *p;

	p = put_selector(cd, X402_SEL_ALLOWANCE);
	p = put_address(p, owner);
	p = put_address(p, spender);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_approve(struct x402_buf *out, const uint8_t spender[X402_ADDR_LEN],
    const x402_u256 *value)
{
	uint8_t cd[4 + 2 * WORD], *p;

	p = put_selector(cd, X402_SEL_APPROVE);
	p = put_address(p, spender);
	p = put_u256(p, value);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_upto_settle(struct x402_buf *out, const struct x402_permit2 *p,
    const x402_u256 *amount, const uint8_t owner[X402_ADDR_LEN],
    const uint8_t sig[X402_SIG_LEN])
{
	static const uint8_t zero[WORD];
	uint8_t cd[4 + 12 * WORD], *q;
	size_t start = out->len;
	int r;

	q = put_selector(cd, X402_SEL_UPTO_SETTLE);
	/* Static tuples are inlined: permit (4 words), witness (3). */
	q = put_address(q, p->token);
	q = put_u256(q, &p->amount);
	q = put_u256(q, &p->nonce);
	q = put_u256(q, &p->deadline);
	q = put_u256(q, amount);
	q = put_address(q, owner);
	q = put_address(q, p->witness_to);
	q = put_address(q, p->witness_facilitator);
	q = put_u256(q, &p->witness_valid_after);
	q = put_u64(q, 10 * WORD);	/* offset of the bytes, after 10 heads */
	q = put_u64(q, X402_SIG_LEN);
	if ((r = x402_buf_add(out, cd, (size_t)(q - cd))) != 0 ||
	    (r = x402_buf_add(out, sig, X402_SIG_LEN)) != 0 ||
	    (r = x402_buf_add(out, zero, WORD - X402_SIG_LEN % WORD)) != 0)
		truncate_to(out, start);
	return r;
}

int
x402_abi_nonce_bitmap(struct x402_buf *out, const uint8_t owner[X402_ADDR_LEN],
    const x402_u256 *word_pos)
{
	uint8_t cd[4 + 2 * WORD], *p;

	p = put_selector(cd, X402_SEL_NONCE_BITMAP);
	p = put_address(p, owner);
	p = put_u256(p, word_pos);
	return x402_buf_add(out, cd, (size_t)(p - cd));
}

int
x402_abi_name(struct x402_buf *out)
{
	uint8_t cd[4];

	put_selector(cd, X402_SEL_NAME);
	return x402_buf_add(out, cd, sizeof(cd));
}

int
x402_abi_version(struct x402_buf *out)
{
	uint8_t cd[4];

	put_selector(cd, X402_SEL_VERSION);
	return x402_buf_add(out, cd, sizeof(cd));
}

int
x402_abi_decode_uint256(x402_u256 *v, const uint8_t *data, size_t len)
{
	if (data == NULL || len != WORD)
		return X402_ERR_SYNTAX;
	x402_u256_from_be(v, data);
	return 0;
}

int
x402_abi_decode_bool(int *b, const uint8_t *data, size_t len)
{
	size_t i;

	if (data == NULL || len != WORD)
		return X402_ERR_SYNTAX;
	for (i = 0; i < WORD - 1; i++)
		if (data[i] != 0)
			return X402_ERR_RANGE;
	if (data[WORD - 1] > 1)
		return X402_ERR_RANGE;
	*b = data[WORD - 1];
	return 0;
}

/*
 * Reads a word that must hold a small length or offset.  Returns 0 or
 * X402_ERR_SYNTAX (above 2^32: no real reply is that long).
 */
static int
get_len(size_t *n, const uint8_t w[WORD])
{
	size_t i;

	for (i = 0; i < WORD - 4; i++)
		if (w[i] != 0)
			return X402_ERR_SYNTAX;
	*n = (size_t)w[28] << 24 | (size_t)w[29] << 16 |
	    (size_t)w[30] << 8 | w[31];
	return 0;
}

int
x402_abi_decode_string(char *out, size_t outcap, size_t *outlen,
    const uint8_t *data, size_t len)
{
	size_t off, n, padded, i;

	if (data == NULL || len < 2 * WORD || len % WORD != 0)
		return X402_ERR_SYNTAX;
	if (get_len(&off, data) != 0 || off != WORD)
		return X402_ERR_SYNTAX;
	if (get_len(&n, data + WORD) != 0 || n > len - 2 * WORD)
		return X402_ERR_SYNTAX;
	padded = (n + WORD - 1) / WORD * WORD;
	if (len - 2 * WORD != padded)
		return X402_ERR_SYNTAX;
	for (i = n; i < padded; i++)
		if (data[2 * WORD + i] != 0)
			return X402_ERR_SYNTAX;
	if (memchr(data + 2 * WORD, 0, n) != NULL)
		return X402_ERR_SYNTAX;
	if (n >= outcap)
		return X402_ERR_LIMIT;
	memcpy(out, data + 2 * WORD, n);
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/* Returns 1 if topic is addr left-padded with zeros. */
static int
topic_is_address(const uint8_t topic[32], const uint8_t addr[X402_ADDR_LEN])
{
	static const uint8_t zero[WORD - X402_ADDR_LEN];

	return memcmp(topic, zero, sizeof(zero)) == 0 &&
	    memcmp(topic + sizeof(zero), addr, X402_ADDR_LEN) == 0;
}

int
x402_abi_log_is_transfer(const struct x402_abi_log *log,
    const uint8_t token[X402_ADDR_LEN], const uint8_t from[X402_ADDR_LEN],
    const uint8_t to[X402_ADDR_LEN], const x402_u256 *value)
{
	x402_u256 got;

	if (log->ntopics != 3 || log->datalen != WORD || log->data == NULL)
		return 0;
	if (memcmp(log->address, token, X402_ADDR_LEN) != 0 ||
	    memcmp(log->topics[0], x402_abi_topic_transfer, 32) != 0 ||
	    !topic_is_address(log->topics[1], from) ||
	    !topic_is_address(log->topics[2], to))
		return 0;
	x402_u256_from_be(&got, log->data);
	return x402_u256_cmp(&got, value) == 0;
}

int
x402_abi_log_is_authorization_used(const struct x402_abi_log *log,
    const uint8_t token[X402_ADDR_LEN],
    const uint8_t authorizer[X402_ADDR_LEN], const uint8_t nonce[32])
{
	if (log->ntopics != 3 || log->datalen != 0)
		return 0;
	return memcmp(log->address, token, X402_ADDR_LEN) == 0 &&
	    memcmp(log->topics[0], x402_abi_topic_authorization_used,
	    32) == 0 &&
	    topic_is_address(log->topics[1], authorizer) &&
	    memcmp(log->topics[2], nonce, 32) == 0;
}

/* ---- RLP ---------------------------------------------------------------- */

/*
 * Writes the prefix of an item of n payload bytes (offset 0x80 for a
 * string, 0xc0 for a list) into h.  Returns its length (1..9).
 */
static size_t
rlp_prefix(uint8_t h[9], uint8_t offset, size_t n)
{
	uint8_t be[8];
	size_t k = 0, i;
	uint64_t x = n;

	if (n <= 55) {
		h[0] = (uint8_t)(offset + n);
		return 1;
	}
	while (x > 0) {
		be[7 - k++] = (uint8_t)x;
		x >>= 8;
	}
	h[0] = (uint8_t)(offset + 55 + k);
	for (i = 0; i < k; i++)
		h[1 + i] = be[8 - k + i];
	return 1 + k;
}

int
x402_rlp_bytes(struct x402_buf *out, const uint8_t *p, size_t n)
{
	uint8_t h[9];
	size_t start = out->len;
	int r;

	if (p == NULL && n > 0)
		return X402_ERR_INVAL;
	if (n == 1 && p[0] < 0x80)
		return x402_buf_add(out, p, 1);
	if ((r = x402_buf_add(out, h, rlp_prefix(h, 0x80, n))) != 0 ||
	    (r = x402_buf_add(out, p, n)) != 0)
		truncate_to(out, start);
	return r;
}

int
x402_rlp_u64(struct x402_buf *out, uint64_t v)
{
	x402_u256 w;

	x402_u256_set_u64(&w, v);
	return x402_rlp_u256(out, &w);
}

int
x402_rlp_u256(struct x402_buf *out, const x402_u256 *v)
{
	uint8_t be[WORD];
	size_t i = 0;

	x402_u256_to_be(be, v);
	while (i < WORD && be[i] == 0)
		i++;
	return x402_rlp_bytes(out, be + i, WORD - i);
}

int
x402_rlp_list_close(struct x402_buf *out, size_t start)
{
	uint8_t h[9];
	size_t n, hl;
	int r;

	if (start > out->len)
		return X402_ERR_INVAL;
	n = out->len - start;
	hl = rlp_prefix(h, 0xc0, n);
	/* Grow by the prefix length, then slide the payload up behind it. */
	if ((r = x402_buf_add(out, h, hl)) != 0)
		return r;
	memmove(out->p + start + hl, out->p + start, n);
	memcpy(out->p + start, h, hl);
	return 0;
}

/* ---- EIP-1559 transactions ---------------------------------------------- */

#define TX_TYPE_EIP1559 0x02

/*
 * Appends the nine fields of tx, unwrapped, to out.
 */
static int
tx_fields(struct x402_buf *out, const struct x402_tx1559 *tx)
{
	size_t al;
	int r;

	if ((r = x402_rlp_u64(out, tx->chain_id)) != 0 ||
	    (r = x402_rlp_u64(out, tx->nonce)) != 0 ||
	    (r = x402_rlp_u256(out, &tx->max_priority_fee_per_gas)) != 0 ||
	    (r = x402_rlp_u256(out, &tx->max_fee_per_gas)) != 0 ||
	    (r = x402_rlp_u64(out, tx->gas_limit)) != 0 ||
	    (r = x402_rlp_bytes(out, tx->to, X402_ADDR_LEN)) != 0 ||
	    (r = x402_rlp_u256(out, &tx->value)) != 0 ||
	    (r = x402_rlp_bytes(out, tx->data, tx->data_len)) != 0)
		return r;
	al = out->len;		/* the empty access list */
	return x402_rlp_list_close(out, al);
}

/*
 * Appends 0x02 || rlp([fields..., and yParity, r, s if sig is not NULL]).
 */
static int
tx_encode(struct x402_buf *out, const struct x402_tx1559 *tx,
    const uint8_t *sig)
{
	static const uint8_t type = TX_TYPE_EIP1559;
	size_t start = out->len, list;
	int r, v = 0;

	if (tx->data == NULL && tx->data_len > 0)
		return X402_ERR_INVAL;
	if (tx->data_len > X402_TX_DATA_MAX)
		return X402_ERR_LIMIT;
	if (sig != NULL && (v = sig_v27(sig)) < 0)
		return v;
	if ((r = x402_buf_add(out, &type, 1)) != 0)
		goto out;
	list = out->len;
	if ((r = tx_fields(out, tx)) != 0)
		goto out;
	if (sig != NULL) {
		x402_u256 rr, ss;

		x402_u256_from_be(&rr, sig);
		x402_u256_from_be(&ss, sig + 32);
		if ((r = x402_rlp_u64(out, (uint64_t)(v - 27))) != 0 ||
		    (r = x402_rlp_u256(out, &rr)) != 0 ||
		    (r = x402_rlp_u256(out, &ss)) != 0)
			goto out;
	}
	r = x402_rlp_list_close(out, list);
out:
	if (r != 0)
		truncate_to(out, start);
	return r;
}

int
x402_tx_encode_unsigned(struct x402_buf *out, const struct x402_tx1559 *tx)
{
	return tx_encode(out, tx, NULL);
}

int
x402_tx_encode_signed(struct x402_buf *out, const struct x402_tx1559 *tx,
    const uint8_t sig[X402_SIG_LEN])
{
	return tx_encode(out, tx, sig);
}

int
x402_tx_signing_hash(uint8_t hash[32], const struct x402_tx1559 *tx)
{
	struct x402_buf b;
	int r;

	x402_buf_init(&b, X402_TX_DATA_MAX + 1024);
	if ((r = x402_tx_encode_unsigned(&b, tx)) != 0)
		goto out;
	x402_keccak256(hash, b.p, b.len);
out:
	x402_buf_free(&b);
	return r;
}

int
x402_tx_sign(const struct x402_sig_ctx *ctx, struct x402_buf *raw,
    uint8_t txhash[32], const struct x402_tx1559 *tx,
    const uint8_t seckey[X402_SECKEY_LEN])
{
	uint8_t digest[32], sig[X402_SIG_LEN];
	size_t start = raw->len;
	int r;

	if ((r = x402_tx_signing_hash(digest, tx)) != 0)
		goto out;
	if ((r = x402_sig_sign(ctx, sig, digest, seckey)) != 0)
		goto out;
	if ((r = x402_tx_encode_signed(raw, tx, sig)) != 0)
		goto out;
	x402_keccak256(txhash, raw->p + start, raw->len - start);
out:
	x402_wipe(sig, sizeof(sig));
	return r;
}
