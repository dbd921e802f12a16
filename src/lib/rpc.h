/*
 * rpc.h - an Ethereum JSON-RPC 2.0 client over x402_http.
 *
 * Rules:
 *  - A struct x402_rpc is one node URL, one x402_http handle (kept-alive
 *    connection) and a request id counter.  Not thread-safe: one per
 *    thread.  The URL may carry an API key: it never appears in a detail.
 *  - Replies are capped (the http layer's max_response, default
 *    X402_RPC_MAX_REPLY) and parsed strictly by json-c with a depth cap
 *    (X402_RPC_MAX_DEPTH): one JSON value, UTF-8 checked, nothing after it.
 *  - Quantities are strict "0x" hex (x402_u256_parse_hex); data is "0x" hex
 *    of whole bytes; addresses are 20 bytes, hashes 32 bytes.
 *  - Errors (distinct, so callers can choose 502/503/504 or retry):
 *      X402_ERR_NET, X402_ERR_TIMEOUT  from the http layer: no reply
 *      X402_ERR_UPSTREAM   the node answered with a JSON-RPC error object
 *                          or an HTTP status other than 200; the code,
 *                          message and revert data are in
 *                          x402_rpc_last_error() (and in the detail)
 *      X402_ERR_BADREPLY   the reply is not JSON, not a JSON-RPC 2.0
 *                          response to our id, has neither or both of
 *                          result and error, a result of the wrong type
 *                          or value, or is over the reply cap
 *      X402_ERR_LIMIT      a request argument over its cap, or a receipt
 *                          with more logs/topics/data than its struct holds
 *      X402_ERR_INVAL, X402_ERR_NOMEM  caller bug, allocation failure
 *    After X402_ERR_NET/TIMEOUT/BADREPLY the request may or may not have
 *    reached the node: a sent transaction must be looked up, not assumed
 *    lost.
 */
#ifndef X402_RPC_H
#define X402_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "u256.h"

#define X402_RPC_MAX_REPLY	(10 * 1024 * 1024)	/* default reply cap */
#define X402_RPC_MAX_DEPTH	32		/* JSON nesting of a reply */
#define X402_RPC_MAX_REQUEST	(1024 * 1024)	/* a whole request body */
#define X402_RPC_METHOD_MAX	64
#define X402_RPC_MESSAGE_MAX	256
#define X402_RPC_DATA_MAX	2048	/* hex characters of error data */
#define X402_RPC_CALL_MAX	(128 * 1024)	/* calldata, raw tx bytes */
#define X402_RPC_LOGS_MAX	32
#define X402_RPC_TOPICS_MAX	4
#define X402_RPC_LOG_DATA_MAX	1024

struct x402_rpc;

/* The JSON-RPC error of the last call (zeroed at the start of each call). */
struct x402_rpc_error {
	long http_status;	/* of the last reply; 0 when none */
	int present;		/* 1 if the reply held an error object */
	long code;		/* e.g. -32000 */
	char message[X402_RPC_MESSAGE_MAX];	/* "nonce too low", truncated */
	/* "0x..." when "data" was a hex string that fits (revert data),
	 * else "". */
	char data_hex[X402_RPC_DATA_MAX + 1];
};

struct x402_rpc_log {
	uint8_t address[20];
	size_t ntopics;
	uint8_t topics[X402_RPC_TOPICS_MAX][32];
	size_t datalen;
	uint8_t data[X402_RPC_LOG_DATA_MAX];
};

struct x402_rpc_receipt {
	int found;		/* 0: unknown or pending; nothing else is set */
	int status;		/* 1 success, 0 reverted */
	uint8_t tx_hash[32];
	uint8_t block_hash[32];
	uint64_t block_number;
	uint64_t gas_used;
	x402_u256 effective_gas_price;	/* 0 if the node omits it */
	int has_contract;	/* contract_address is set (a deployment) */
	uint8_t contract_address[20];
	size_t nlogs;
	struct x402_rpc_log logs[X402_RPC_LOGS_MAX];
};

/*
 * Creates a client for url (http:// or https://).  Returns 0,
 * X402_ERR_INVAL (bad URL or options), X402_ERR_UNSUPPORTED (scheme) or
 * X402_ERR_NOMEM.
 * Out: *out, owned by the caller (x402_rpc_free).
 * In: url, opts (NULL for the defaults; max_response 0 means
 *     X402_RPC_MAX_REPLY), both copied.
 */
int x402_rpc_new(struct x402_rpc **out, const char *url,
    const struct x402_http_opts *opts, struct x402_detail *d)
    X402_WARN_UNUSED;

/* Frees a client.  NULL allowed. */
void x402_rpc_free(struct x402_rpc *rpc);

/*
 * The error object of the last call, valid until the next call on rpc.
 * Never NULL.
 */
const struct x402_rpc_error *x402_rpc_last_error(const struct x402_rpc *rpc);

/*
 * Calls method with params.  Returns 0 or an error listed at the top.
 * Out: *result, a new json-c reference owned by the caller
 *      (json_object_put); NULL when the result is JSON null.
 * In: method ([A-Za-z0-9_], at most X402_RPC_METHOD_MAX), params_json (the
 *     JSON text of the params array or object, not checked; NULL for
 *     "[]").
 */
int x402_rpc_call(struct x402_rpc *rpc, json_object **result,
    const char *method, const char *params_json, struct x402_detail *d)
    X402_WARN_UNUSED;

/* eth_chainId.  Out: *chain_id. */
int x402_rpc_chain_id(struct x402_rpc *rpc, uint64_t *chain_id,
    struct x402_detail *d) X402_WARN_UNUSED;

/* eth_blockNumber.  Out: *number. */
int x402_rpc_block_number(struct x402_rpc *rpc, uint64_t *number,
    struct x402_detail *d) X402_WARN_UNUSED;

/*
 * The timestamp (unix seconds) of a block: eth_getBlockByNumber.  In:
 * block (as for x402_rpc_get_transaction_count).  BADREPLY when the node
 * has no such block.  Out: *time.
 */
int x402_rpc_block_time(struct x402_rpc *rpc, uint64_t *time,
    const char *block, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * EIP-1559 fees for a transaction sent now, without caps:
 * priority = eth_feeHistory's (5 blocks, 50th percentile), at least
 * 0.001 gwei; max = 2 * next base fee + priority.  (The local settler
 * has its own, with fallbacks and operator caps.)
 * Out: *max_fee, *priority_fee.
 */
int x402_rpc_suggest_fees(struct x402_rpc *rpc, x402_u256 *max_fee,
    x402_u256 *priority_fee, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * eth_getTransactionCount.  Out: *nonce.  In: addr, block ("pending",
 * "latest", "safe", "finalized", "earliest" or "0x..." quantity).
 */
int x402_rpc_get_transaction_count(struct x402_rpc *rpc, uint64_t *nonce,
    const uint8_t addr[20], const char *block, struct x402_detail *d)
    X402_WARN_UNUSED;

/* eth_getBalance.  Out: *wei.  In: addr, block (as above). */
int x402_rpc_get_balance(struct x402_rpc *rpc, x402_u256 *wei,
    const uint8_t addr[20], const char *block, struct x402_detail *d)
    X402_WARN_UNUSED;

/* eth_gasPrice.  Out: *wei. */
int x402_rpc_gas_price(struct x402_rpc *rpc, x402_u256 *wei,
    struct x402_detail *d) X402_WARN_UNUSED;

/* eth_maxPriorityFeePerGas.  Out: *wei. */
int x402_rpc_max_priority_fee(struct x402_rpc *rpc, x402_u256 *wei,
    struct x402_detail *d) X402_WARN_UNUSED;

/*
 * eth_feeHistory over the last `blocks` blocks (1..1024) at one reward
 * percentile (0..100).
 * Out: *base_fee, the base fee of the next block (the last element of
 *      baseFeePerGas); *priority_fee, the highest of the blocks' rewards
 *      at that percentile (0 when the node gives none).
 */
int x402_rpc_fee_history(struct x402_rpc *rpc, x402_u256 *base_fee,
    x402_u256 *priority_fee, unsigned blocks, unsigned percentile,
    struct x402_detail *d) X402_WARN_UNUSED;

/*
 * eth_estimateGas of a call from `from` (NULL: none) to `to` with
 * data[0..datalen).  Out: *gas.  A revert is X402_ERR_UPSTREAM with the
 * revert data in x402_rpc_last_error().
 */
int x402_rpc_estimate_gas(struct x402_rpc *rpc, uint64_t *gas,
    const uint8_t *from, const uint8_t to[20], const uint8_t *data,
    size_t datalen, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * eth_call to `to` with data[0..datalen) at block (NULL: "latest").
 * Out: ret, the decoded return data (reset first; the caller initialises
 *      it with its cap and frees it).  A revert is X402_ERR_UPSTREAM with
 *      the revert data in x402_rpc_last_error().
 */
int x402_rpc_eth_call(struct x402_rpc *rpc, struct x402_buf *ret,
    const uint8_t to[20], const uint8_t *data, size_t datalen,
    const char *block, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * eth_sendRawTransaction of raw[0..rawlen).  Out: txhash, as the node
 * returned it.  The node's refusal ("nonce too low", "already known",
 * "replacement transaction underpriced") is X402_ERR_UPSTREAM with the
 * message in x402_rpc_last_error().
 */
int x402_rpc_send_raw_transaction(struct x402_rpc *rpc, uint8_t txhash[32],
    const uint8_t *raw, size_t rawlen, struct x402_detail *d)
    X402_WARN_UNUSED;

/*
 * eth_getTransactionReceipt.  Returns 0 with rcpt->found = 0 when the node
 * does not know the transaction (or it is pending).
 * Out: *rcpt (caller-owned; large: about 38 KiB, so not on a small stack).
 */
int x402_rpc_get_transaction_receipt(struct x402_rpc *rpc,
    struct x402_rpc_receipt *rcpt, const uint8_t txhash[32],
    struct x402_detail *d) X402_WARN_UNUSED;

#endif /* X402_RPC_H */
