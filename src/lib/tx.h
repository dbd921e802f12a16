/*
 * tx.h - the encoding half of on-chain settlement: Solidity ABI calls and
 * return values, RLP, and signed EIP-1559 (type 0x02) transactions.  No
 * network here (see rpc.h).
 *
 * Rules:
 *  - Three prefixes live in this one module: x402_abi_* (calldata, return
 *    data, event logs), x402_rlp_* (Recursive Length Prefix) and x402_tx_*
 *    (EIP-1559 transactions).
 *  - Encoders append to a caller-owned struct x402_buf, whose maximum caps
 *    the output.  They return 0, X402_ERR_LIMIT or X402_ERR_NOMEM, and on
 *    failure leave the buffer as it was.
 *  - Decoders read return data of an exact, checked shape: short, long or
 *    malformed data is X402_ERR_SYNTAX, a value of the wrong kind is
 *    X402_ERR_RANGE, a string over the caller's capacity X402_ERR_LIMIT.
 *    Callers that got the data from a peer report X402_ERR_BADREPLY.
 *  - Addresses are 20 raw bytes, bytes32 values 32 raw bytes, uint256
 *    values x402_u256; all pointers are borrowed for the call only.
 *  - Signatures are 65 bytes r || s || v with v in {27, 28} or {0, 1}
 *    (sig.h); any other v is X402_ERR_SIG.
 */
#ifndef X402_TX_H
#define X402_TX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "codec.h"
#include "eip712.h"
#include "error.h"
#include "sig.h"
#include "u256.h"

/* ---- ABI ---------------------------------------------------------------- */

/* Function selectors: the first 4 bytes of keccak256 of the signature. */
#define X402_SEL_TRANSFER_WITH_AUTHORIZATION	0xe3ee160eUL /* ..,v,r,s */
#define X402_SEL_TRANSFER_WITH_AUTHORIZATION_BYTES 0xcf092995UL /* ..,bytes */
#define X402_SEL_BALANCE_OF			0x70a08231UL
#define X402_SEL_AUTHORIZATION_STATE		0xe94a0102UL
#define X402_SEL_TRANSFER			0xa9059cbbUL
#define X402_SEL_ALLOWANCE			0xdd62ed3eUL
#define X402_SEL_APPROVE			0x095ea7b3UL
#define X402_SEL_NAME				0x06fdde03UL
#define X402_SEL_VERSION			0x54fd4d50UL
/* x402UptoPermit2Proxy.settle(((address,uint256),uint256,uint256),uint256,
 * address,(address,address,uint256),bytes) */
#define X402_SEL_UPTO_SETTLE			0xff11e7b4UL
#define X402_SEL_NONCE_BITMAP			0x4fe02b44UL /* Permit2 */

/* Longest signature the bytes overload accepts (ERC-1271 wallets). */
#define X402_ABI_SIG_BYTES_MAX 4096

/* Event topic 0: keccak256("Transfer(address,address,uint256)"). */
extern const uint8_t x402_abi_topic_transfer[32];
/* keccak256("AuthorizationUsed(address,bytes32)") (EIP-3009). */
extern const uint8_t x402_abi_topic_authorization_used[32];

/*
 * transferWithAuthorization(address from, address to, uint256 value,
 * uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v,
 * bytes32 r, bytes32 s): appends 4 + 9 * 32 bytes of calldata.  v is
 * written as 27 or 28.  Returns 0, X402_ERR_SIG (bad v), X402_ERR_LIMIT or
 * X402_ERR_NOMEM.
 */
int x402_abi_transfer_with_authorization(struct x402_buf *out,
    const struct x402_eip3009_auth *a, const uint8_t sig[X402_SIG_LEN])
    X402_WARN_UNUSED;

/*
 * The overload transferWithAuthorization(address from, address to,
 * uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce,
 * bytes signature), for smart-contract wallets: the signature (siglen
 * bytes, at most X402_ABI_SIG_BYTES_MAX) is passed through unchanged.
 * Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM.
 */
int x402_abi_transfer_with_authorization_bytes(struct x402_buf *out,
    const struct x402_eip3009_auth *a, const uint8_t *sig, size_t siglen)
    X402_WARN_UNUSED;

/* balanceOf(address owner). */
int x402_abi_balance_of(struct x402_buf *out,
    const uint8_t owner[X402_ADDR_LEN]) X402_WARN_UNUSED;

/* authorizationState(address authorizer, bytes32 nonce) (EIP-3009). */
int x402_abi_authorization_state(struct x402_buf *out,
    const uint8_t authorizer[X402_ADDR_LEN], const uint8_t nonce[32])
    X402_WARN_UNUSED;

/* transfer(address to, uint256 value). */
int x402_abi_transfer(struct x402_buf *out, const uint8_t to[X402_ADDR_LEN],
    const x402_u256 *value) X402_WARN_UNUSED;

/* allowance(address owner, address spender). */
int x402_abi_allowance(struct x402_buf *out,
    const uint8_t owner[X402_ADDR_LEN], const uint8_t spender[X402_ADDR_LEN])
    X402_WARN_UNUSED;

/* approve(address spender, uint256 value) (ERC-20). */
int x402_abi_approve(struct x402_buf *out,
    const uint8_t spender[X402_ADDR_LEN], const x402_u256 *value)
    X402_WARN_UNUSED;

/*
 * The x402 upto proxy's settle(permit, amount, owner, witness, signature)
 * (notes §8.1): permit = ((token, permitted amount), nonce, deadline),
 * witness = (to, facilitator, validAfter), all from p; the 65-byte
 * signature is passed as `bytes`, unchanged (Permit2 checks it).  amount
 * is what moves (at most p->amount, which the proxy enforces).  Appends
 * 4 + 13 * 32 bytes.  Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM.
 */
int x402_abi_upto_settle(struct x402_buf *out, const struct x402_permit2 *p,
    const x402_u256 *amount, const uint8_t owner[X402_ADDR_LEN],
    const uint8_t sig[X402_SIG_LEN]) X402_WARN_UNUSED;

/*
 * Permit2's nonceBitmap(address owner, uint256 wordPos): the word that
 * holds the bit of an unordered nonce n is wordPos = n >> 8, bit n & 0xff.
 */
int x402_abi_nonce_bitmap(struct x402_buf *out,
    const uint8_t owner[X402_ADDR_LEN], const x402_u256 *word_pos)
    X402_WARN_UNUSED;

/* name() and version(): the selector alone. */
int x402_abi_name(struct x402_buf *out) X402_WARN_UNUSED;
int x402_abi_version(struct x402_buf *out) X402_WARN_UNUSED;

/*
 * Decodes return data that is exactly one uint256 word.  Returns 0 or
 * X402_ERR_SYNTAX (len is not 32; len 0 usually means no contract at the
 * address).  Out: *v.
 */
int x402_abi_decode_uint256(x402_u256 *v, const uint8_t *data, size_t len)
    X402_WARN_UNUSED;

/*
 * Decodes return data that is exactly one bool word.  Returns 0,
 * X402_ERR_SYNTAX (len is not 32) or X402_ERR_RANGE (word not 0 or 1).
 * Out: *b (0 or 1).
 */
int x402_abi_decode_bool(int *b, const uint8_t *data, size_t len)
    X402_WARN_UNUSED;

/*
 * Decodes return data that is one ABI string (offset 32, length, bytes
 * zero-padded to a word; nothing after) into out as a C string.  Returns
 * 0, X402_ERR_SYNTAX (wrong offset, short or trailing data, non-zero
 * padding, a NUL inside) or X402_ERR_LIMIT (string needs outcap or more
 * bytes).  Out: out[0..*outlen] and its NUL; outlen may be NULL.
 */
int x402_abi_decode_string(char *out, size_t outcap, size_t *outlen,
    const uint8_t *data, size_t len) X402_WARN_UNUSED;

/* One log entry of a transaction receipt; every pointer is borrowed. */
struct x402_abi_log {
	uint8_t address[X402_ADDR_LEN];	/* the emitting contract */
	uint8_t topics[4][32];
	size_t ntopics;			/* 0..4 */
	const uint8_t *data;
	size_t datalen;
};

/*
 * Returns 1 if log is Transfer(from, to, value) emitted by token (three
 * topics with zero-padded addresses, data exactly the 32-byte value),
 * else 0.
 */
int x402_abi_log_is_transfer(const struct x402_abi_log *log,
    const uint8_t token[X402_ADDR_LEN], const uint8_t from[X402_ADDR_LEN],
    const uint8_t to[X402_ADDR_LEN], const x402_u256 *value)
    X402_WARN_UNUSED;

/*
 * Returns 1 if log is AuthorizationUsed(authorizer, nonce) emitted by
 * token (three topics, no data), else 0.
 */
int x402_abi_log_is_authorization_used(const struct x402_abi_log *log,
    const uint8_t token[X402_ADDR_LEN],
    const uint8_t authorizer[X402_ADDR_LEN], const uint8_t nonce[32])
    X402_WARN_UNUSED;

/* ---- RLP ---------------------------------------------------------------- */

/*
 * Appends the RLP encoding of the byte string p[0..n) (p may be NULL when
 * n is 0).  Returns 0, X402_ERR_INVAL (p NULL, n > 0), X402_ERR_LIMIT or
 * X402_ERR_NOMEM.
 */
int x402_rlp_bytes(struct x402_buf *out, const uint8_t *p, size_t n)
    X402_WARN_UNUSED;

/* Appends an unsigned integer: minimal big-endian bytes, 0 is 0x80. */
int x402_rlp_u64(struct x402_buf *out, uint64_t v) X402_WARN_UNUSED;
int x402_rlp_u256(struct x402_buf *out, const x402_u256 *v) X402_WARN_UNUSED;

/*
 * Turns everything appended to out since offset start (already RLP items)
 * into one list: inserts the list prefix at start.  Nest lists by taking
 * an inner start after the outer one and closing the inner first.
 * Returns 0, X402_ERR_INVAL (start beyond the content), X402_ERR_LIMIT or
 * X402_ERR_NOMEM.
 */
int x402_rlp_list_close(struct x402_buf *out, size_t start) X402_WARN_UNUSED;

/* ---- EIP-1559 transactions ---------------------------------------------- */

/* Largest calldata a transaction may carry (geth refuses >128 KiB txs). */
#define X402_TX_DATA_MAX (120 * 1024)

/* A type-0x02 transaction; the access list is always empty. */
struct x402_tx1559 {
	uint64_t chain_id;
	uint64_t nonce;
	x402_u256 max_priority_fee_per_gas;
	x402_u256 max_fee_per_gas;
	uint64_t gas_limit;
	uint8_t to[X402_ADDR_LEN];
	x402_u256 value;
	const uint8_t *data;	/* borrowed; NULL when data_len is 0 */
	size_t data_len;	/* at most X402_TX_DATA_MAX */
};

/*
 * Appends the unsigned transaction 0x02 || rlp([chainId, nonce,
 * maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, []]).
 * Returns 0, X402_ERR_INVAL (data NULL with data_len > 0), X402_ERR_LIMIT
 * (data over X402_TX_DATA_MAX, or out full) or X402_ERR_NOMEM.
 */
int x402_tx_encode_unsigned(struct x402_buf *out,
    const struct x402_tx1559 *tx) X402_WARN_UNUSED;

/*
 * The digest a sender signs: keccak256 of the unsigned encoding.  Returns
 * 0 or the errors of x402_tx_encode_unsigned.  Out: hash.
 */
int x402_tx_signing_hash(uint8_t hash[32], const struct x402_tx1559 *tx)
    X402_WARN_UNUSED;

/*
 * Appends the signed transaction 0x02 || rlp([..the nine fields..,
 * yParity, r, s]) for a signature of its signing hash (r and s as minimal
 * integers).  The signature is not checked against the hash.  Returns 0,
 * X402_ERR_SIG (v not in {0, 1, 27, 28}) or the errors of
 * x402_tx_encode_unsigned.
 */
int x402_tx_encode_signed(struct x402_buf *out, const struct x402_tx1559 *tx,
    const uint8_t sig[X402_SIG_LEN]) X402_WARN_UNUSED;

/*
 * Signs tx with seckey and appends the raw signed transaction (the bytes
 * eth_sendRawTransaction takes) to raw.  Returns 0, X402_ERR_CRYPTO
 * (invalid key), X402_ERR_SIG or the errors of x402_tx_encode_unsigned.
 * Out: raw, txhash (keccak256 of the raw bytes, the transaction hash).
 * The key stays the caller's to wipe.
 */
int x402_tx_sign(const struct x402_sig_ctx *ctx, struct x402_buf *raw,
    uint8_t txhash[32], const struct x402_tx1559 *tx,
    const uint8_t seckey[X402_SECKEY_LEN]) X402_WARN_UNUSED;

#endif /* X402_TX_H */
