/*
 * verify.h - local (offline) verification of an `exact` EIP-3009 payment
 * against the offer it claims to pay, in the order and with the reason
 * codes of the official v2 facilitator (notes §6.2):
 *   scheme, EIP-712 domain present, network, signature, recipient,
 *   validBefore >= now + 6, validAfter <= now, value == amount; then one
 *   check of ours: validBefore <= now + maxTimeoutSeconds + skew (reason
 *   valid_before, message X402_M_TOO_FAR), what the official clients sign.
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

/* upto (notes §8.1; @x402/evm upto facilitator names). */
#define X402_R_UPTO_SCHEME "invalid_upto_evm_scheme"
#define X402_R_UPTO_NETWORK "invalid_upto_evm_network_mismatch"
#define X402_R_PERMIT2_SPENDER "invalid_permit2_spender"
#define X402_R_PERMIT2_RECIPIENT "invalid_permit2_recipient_mismatch"
#define X402_R_UPTO_FACILITATOR "upto_facilitator_mismatch"
#define X402_R_PERMIT2_DEADLINE "permit2_deadline_expired"
#define X402_R_PERMIT2_NOT_YET_VALID "permit2_not_yet_valid"
#define X402_R_PERMIT2_AMOUNT "permit2_amount_mismatch"
#define X402_R_PERMIT2_TOKEN "permit2_token_mismatch"
#define X402_R_PERMIT2_SIGNATURE "invalid_permit2_signature"
#define X402_R_PERMIT2_ALLOWANCE "permit2_allowance_required"
#define X402_R_PERMIT2_BALANCE "permit2_insufficient_balance"
#define X402_R_PERMIT2_NONCE "permit2_invalid_nonce"
#define X402_R_UPTO_EXCEEDS "invalid_upto_evm_payload_settlement_exceeds_amount"

/*
 * The message beside X402_R_VALID_BEFORE / X402_R_PERMIT2_DEADLINE when
 * the authorization lasts longer than the offer allows: validBefore (the
 * Permit2 deadline) > now + maxTimeoutSeconds + skew.
 */
#define X402_M_TOO_FAR "the authorization is valid for longer than the " \
	"offer's maxTimeoutSeconds"

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

/*
 * Verifies an `upto` Permit2 payment p (v2, decoded and matched to offer
 * o, o->scheme upto, o->amount the maximum) at time `now` with `skew`
 * seconds of allowed clock difference, in the official facilitator's
 * order (notes §8.1): scheme, network, spender == the upto proxy,
 * witness.to == payTo, witness.facilitator == o->facilitator (when
 * o->has_facilitator), deadline >= now + 6, deadline <= now +
 * maxTimeoutSeconds + skew (message X402_M_TOO_FAR), validAfter <= now,
 * permitted.amount == o->amount, token == asset, then the Permit2 EIP-712
 * signature (domain {"Permit2", chain id, Permit2 address}; a signature
 * that is not 65 bytes is refused: contract wallets cannot be checked
 * offline).  On-chain checks (allowance, balance, nonce bitmap) are the
 * settler's.  Out: *res, payer = permit2Authorization.from.
 */
int x402_verify_upto(struct x402_verify_result *res,
    const struct x402_sig_ctx *ctx, const struct x402_payment *p,
    const struct x402_offer *o, uint64_t now, unsigned skew)
    X402_WARN_UNUSED;

#endif /* X402_VERIFY_H */
