/*
 * receipt.h - the record of one settled payment, as written to the spool
 * by the gate and read by the payout worker.
 *
 * Format: one compact JSON object (format version 1):
 *   {"receipt":1,"id":"<spool name or empty>","route":"ocr","time":<unix s>,
 *    "x402Version":2,"scheme":"exact","network":"eip155:84532",
 *    "asset":"0x..","payer":"0x..","payTo":"0x..","amount":"10000",
 *    "maxAmount":"10000","nonce":"0x..","transaction":"0x..",
 *    "resource":"https://..","settlement":{...reply as received...}}
 * Amounts are decimal strings of atomic units; addresses EIP-55.
 *
 * Rules: x402_receipt_parse is strict (every field present, typed and
 * bounded; an unknown format version refused) because a receipt moves
 * money at payout time; garbage is quarantined, never guessed at.
 */
#ifndef X402_RECEIPT_H
#define X402_RECEIPT_H

#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "codec.h"
#include "error.h"
#include "network.h"
#include "u256.h"

#define X402_RECEIPT_ROUTE_MAX 64
#define X402_RECEIPT_URL_MAX 2048
#define X402_RECEIPT_MAX (64 * 1024)	/* one receipt's JSON text */

struct x402_receipt {
	char route[X402_RECEIPT_ROUTE_MAX + 1];
	int64_t time;
	int x402_version;
	char scheme[17];
	char network[X402_NET_CAIP2_MAX + 1];
	uint8_t asset[X402_ADDR_LEN];
	uint8_t payer[X402_ADDR_LEN];
	uint8_t pay_to[X402_ADDR_LEN];
	x402_u256 amount;		/* settled */
	x402_u256 max_amount;		/* authorized (= amount for exact) */
	uint8_t nonce[32];
	char transaction[67];		/* "" when nothing was sent (upto 0) */
	char resource[X402_RECEIPT_URL_MAX + 1];
	struct json_object *settlement;	/* owned, may be NULL */
};

/* Appends the receipt's JSON to b.  Returns 0, NOMEM or LIMIT. */
int x402_receipt_format(struct x402_buf *b, const struct x402_receipt *r)
    X402_WARN_UNUSED;

/*
 * Parses a receipt.  Returns 0, X402_ERR_JSON or X402_ERR_PROTOCOL (the
 * field in *d).  Out: *r (free with x402_receipt_free, also on failure).
 */
int x402_receipt_parse(struct x402_receipt *r, struct x402_detail *d,
    const char *text, size_t len) X402_WARN_UNUSED;

void x402_receipt_free(struct x402_receipt *r);

#endif /* X402_RECEIPT_H */
