/*
 * verify.h - local (offline) verification of an `exact` EIP-3009 payment
 * against the offer it claims to pay, in the order and with the reason
 * codes of the official v2 facilitator (notes §6.2):
 *   scheme, EIP-712 domain present, network, signature, recipient,
 *   validBefore >= now + 6, validAfter <= now, value == amount.
 * On-chain checks (balance, nonce state) are the settlement engine's.
 *
 * Rules: the result is a verdict, not an error: x402_verify_exact returns
 * 0 when it could decide (valid or not, see result->valid) and a negative
 * X402_ERR_* only when it could not (bad arguments).  Reason codes are
 * copied into the result, since a facilitator's may be any string.
 */
#ifndef X402_VERIFY_H
#define X402_VERIFY_H

#include <stdint.h>

#include "protocol.h"
#include "sig.h"

/* Reason codes (npm @x402/evm 2.27 names). */
#define X402_R_SCHEME "invalid_exact_evm_scheme"
#define X402_R_DOMAIN "invalid_exact_evm_missing_eip712_domain"
#define X402_R_NETWORK "invalid_exact_evm_network_mismatch"
#define X402_R_SIGNATURE "invalid_exact_evm_signature"
#define X402_R_RECIPIENT "invalid_exact_evm_recipient_mismatch"
#define X402_R_VALID_BEFORE "invalid_exact_evm_payload_authorization_valid_before"
#define X402_R_VALID_AFTER "invalid_exact_evm_payload_authorization_valid_after"
#define X402_R_VALUE "invalid_exact_evm_payload_authorization_value_mismatch"
#define X402_R_VALUE_V1 "invalid_exact_evm_payload_authorization_value"
#define X402_R_SMART_WALLET "invalid_exact_evm_payload_undeployed_smart_wallet"
#define X402_R_NONCE_USED "invalid_exact_evm_nonce_already_used"
#define X402_R_BALANCE "insufficient_funds"

/* Seconds validBefore must lie beyond now (facilitators use 6). */
#define X402_VALID_BEFORE_MARGIN 6

struct x402_verify_result {
	int valid;
	char reason[X402_REASON_MAX + 1];	/* "" when valid */
	char message[X402_REASON_MAX + 1];	/* optional detail, or "" */
	uint8_t payer[X402_ADDR_LEN];		/* the signer (when known) */
};

/*
 * Verifies p (already decoded and matched to offer o) at time `now`
 * (seconds), allowing `skew` seconds of clock difference on both window
 * edges.  dom_sep is the offer's precomputed EIP-712 domain separator
 * (x402_eip712_domain_separator of x402_network_domain), or NULL to
 * compute it here.  Out: *res.
 */
int x402_verify_exact(struct x402_verify_result *res,
    const struct x402_sig_ctx *ctx, const struct x402_payment *p,
    const struct x402_offer *o, const uint8_t *dom_sep, uint64_t now,
    unsigned skew) X402_WARN_UNUSED;

#endif /* X402_VERIFY_H */
