/*
 * eip712.h - EIP-712 typed-data hashes for the messages x402 signs.
 *
 * Rules:
 *  - Every function writes a 32-byte hash into a caller-owned array and
 *    cannot fail: inputs are already-parsed fixed-size values.
 *  - Addresses are 20 raw bytes (case does not exist here); uint256 fields
 *    are x402_u256; bytes32 fields are 32 raw bytes.
 *  - digest = keccak256(0x19 0x01 || domainSeparator || structHash).
 */
#ifndef X402_EIP712_H
#define X402_EIP712_H

#include <stdint.h>

#include "codec.h"
#include "u256.h"

#define X402_EIP712_NAME_MAX 64		/* bytes, without the NUL */
#define X402_EIP712_VERSION_MAX 16

struct x402_eip712_domain {
	char name[X402_EIP712_NAME_MAX + 1];
	char version[X402_EIP712_VERSION_MAX + 1];
	int has_version;	/* 0 for Permit2's (name, chainId, contract) */
	uint64_t chain_id;
	uint8_t verifying_contract[X402_ADDR_LEN];
};

/* EIP-3009 TransferWithAuthorization. */
struct x402_eip3009_auth {
	uint8_t from[X402_ADDR_LEN];
	uint8_t to[X402_ADDR_LEN];
	x402_u256 value;
	x402_u256 valid_after;
	x402_u256 valid_before;
	uint8_t nonce[32];
};

/* ERC-2612 Permit. */
struct x402_permit {
	uint8_t owner[X402_ADDR_LEN];
	uint8_t spender[X402_ADDR_LEN];
	x402_u256 value;
	x402_u256 nonce;
	x402_u256 deadline;
};

/*
 * Permit2 PermitWitnessTransferFrom with the x402 witness: exact
 * (Witness(address to,uint256 validAfter)) or upto (Witness(address to,
 * address facilitator,uint256 validAfter)).
 */
struct x402_permit2 {
	uint8_t token[X402_ADDR_LEN];
	x402_u256 amount;
	uint8_t spender[X402_ADDR_LEN];
	x402_u256 nonce;
	x402_u256 deadline;
	uint8_t witness_to[X402_ADDR_LEN];
	uint8_t witness_facilitator[X402_ADDR_LEN];	/* upto only */
	x402_u256 witness_valid_after;
	int upto;
};

/* The type hashes this module uses (for tests and diagnostics). */
enum x402_eip712_type {
	X402_EIP712_T_DOMAIN = 0,	/* name, version, chain, contract */
	X402_EIP712_T_DOMAIN_NOVERSION,	/* name, chain, contract: Permit2 */
	X402_EIP712_T_EIP3009,		/* TransferWithAuthorization */
	X402_EIP712_T_PERMIT,		/* ERC-2612 Permit */
	X402_EIP712_T_TOKEN_PERMISSIONS,
	X402_EIP712_T_WITNESS_EXACT,
	X402_EIP712_T_WITNESS_UPTO,
	X402_EIP712_T_PERMIT2_EXACT,	/* PermitWitnessTransferFrom */
	X402_EIP712_T_PERMIT2_UPTO,	/* the same, upto witness */
	X402_EIP712_T_COUNT
};

/*
 * Returns the 32-byte type hash of t (static storage), or NULL if t is
 * out of range.
 */
const uint8_t *x402_eip712_typehash(enum x402_eip712_type t);

/*
 * The domain separator: the type with version when dom->has_version, else
 * Permit2's EIP712Domain(string name,uint256 chainId,address
 * verifyingContract).  name and version are read up to their NUL or their
 * maximum length, whichever comes first.  Out: out.
 */
void x402_eip712_domain_separator(uint8_t out[32],
    const struct x402_eip712_domain *dom);

/* hashStruct(TransferWithAuthorization).  Out: out. */
void x402_eip712_eip3009_hash(uint8_t out[32],
    const struct x402_eip3009_auth *a);

/* hashStruct(Permit).  Out: out. */
void x402_eip712_permit_hash(uint8_t out[32], const struct x402_permit *p);

/*
 * hashStruct(PermitWitnessTransferFrom) with the exact witness, or the
 * upto witness when p->upto (witness_facilitator is ignored otherwise).
 * Out: out.
 */
void x402_eip712_permit2_hash(uint8_t out[32], const struct x402_permit2 *p);

/* The final digest that is signed.  Out: out. */
void x402_eip712_digest(uint8_t out[32], const uint8_t domain_separator[32],
    const uint8_t struct_hash[32]);

#endif /* X402_EIP712_H */
