/*
 * eip712.c - EIP-712 typed-data hashes for the messages x402 signs.
 *
 * Every struct is ABI-encoded into a stack array of 32-byte words and
 * hashed in one call.  The typehashes are constants; tests/check_eip712.c
 * recomputes each one from its type string.
 */
#include "autoconfig.h"

#include <string.h>

#include "eip712.h"
#include "keccak.h"

#define WORD 32

/* keccak256("EIP712Domain(string name,string version,uint256 chainId,"
 * "address verifyingContract)") */
static const uint8_t domain_typehash[WORD] = {
	0x8b, 0x73, 0xc3, 0xc6, 0x9b, 0xb8, 0xfe, 0x3d,
	0x51, 0x2e, 0xcc, 0x4c, 0xf7, 0x59, 0xcc, 0x79,
	0x23, 0x9f, 0x7b, 0x17, 0x9b, 0x0f, 0xfa, 0xca,
	0xa9, 0xa7, 0x5d, 0x52, 0x2b, 0x39, 0x40, 0x0f,
};

/* keccak256("EIP712Domain(string name,uint256 chainId,"
 * "address verifyingContract)") - Permit2 */
static const uint8_t domain_noversion_typehash[WORD] = {
	0x8c, 0xad, 0x95, 0x68, 0x7b, 0xa8, 0x2c, 0x2c,
	0xe5, 0x0e, 0x74, 0xf7, 0xb7, 0x54, 0x64, 0x5e,
	0x51, 0x17, 0xc3, 0xa5, 0xbe, 0xc8, 0x15, 0x1c,
	0x07, 0x26, 0xd5, 0x85, 0x79, 0x80, 0xa8, 0x66,
};

/* keccak256("TransferWithAuthorization(address from,address to,"
 * "uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)") */
static const uint8_t eip3009_typehash[WORD] = {
	0x7c, 0x7c, 0x6c, 0xdb, 0x67, 0xa1, 0x87, 0x43,
	0xf4, 0x9e, 0xc6, 0xfa, 0x9b, 0x35, 0xf5, 0x0d,
	0x52, 0xed, 0x05, 0xcb, 0xed, 0x4c, 0xc5, 0x92,
	0xe1, 0x3b, 0x44, 0x50, 0x1c, 0x1a, 0x22, 0x67,
};

/* keccak256("Permit(address owner,address spender,uint256 value,"
 * "uint256 nonce,uint256 deadline)") */
static const uint8_t permit_typehash[WORD] = {
	0x6e, 0x71, 0xed, 0xae, 0x12, 0xb1, 0xb9, 0x7f,
	0x4d, 0x1f, 0x60, 0x37, 0x0f, 0xef, 0x10, 0x10,
	0x5f, 0xa2, 0xfa, 0xae, 0x01, 0x26, 0x11, 0x4a,
	0x16, 0x9c, 0x64, 0x84, 0x5d, 0x61, 0x26, 0xc9,
};

/* keccak256("TokenPermissions(address token,uint256 amount)") */
static const uint8_t token_permissions_typehash[WORD] = {
	0x61, 0x83, 0x58, 0xac, 0x3d, 0xb8, 0xdc, 0x27,
	0x4f, 0x0c, 0xd8, 0x82, 0x9d, 0xa7, 0xe2, 0x34,
	0xbd, 0x48, 0xcd, 0x73, 0xc4, 0xa7, 0x40, 0xae,
	0xde, 0x1a, 0xde, 0xc9, 0x84, 0x6d, 0x06, 0xa1,
};

/* keccak256("Witness(address to,uint256 validAfter)") - exact */
static const uint8_t witness_exact_typehash[WORD] = {
	0xd9, 0x7b, 0x32, 0x39, 0xa7, 0xf3, 0x22, 0x95,
	0x51, 0x7b, 0xd1, 0x4c, 0xb0, 0x74, 0xed, 0xfd,
	0xd1, 0x88, 0xdf, 0xe5, 0xeb, 0x42, 0xf8, 0x02,
	0xbb, 0x26, 0xd4, 0xfd, 0x1e, 0xb1, 0x2c, 0x37,
};

/* keccak256("Witness(address to,address facilitator,uint256 validAfter)")
 * - upto */
static const uint8_t witness_upto_typehash[WORD] = {
	0xd4, 0x17, 0x1c, 0x44, 0x5a, 0x74, 0x21, 0x8b,
	0x01, 0xd4, 0xfd, 0x8a, 0xf3, 0x4f, 0xf1, 0x10,
	0x65, 0x80, 0xea, 0x1e, 0x36, 0xff, 0x83, 0x7e,
	0x64, 0x48, 0x4b, 0xfa, 0xa2, 0x25, 0x3b, 0x75,
};

/* keccak256("PermitWitnessTransferFrom(TokenPermissions permitted,"
 * "address spender,uint256 nonce,uint256 deadline,Witness witness)"
 * "TokenPermissions(address token,uint256 amount)"
 * "Witness(address to,uint256 validAfter)") */
static const uint8_t pwtf_exact_typehash[WORD] = {
	0xeb, 0xc1, 0x56, 0xcd, 0x23, 0x67, 0x8a, 0x74,
	0xc9, 0x4d, 0xf1, 0x3d, 0x77, 0x2e, 0xf5, 0x47,
	0x84, 0x20, 0x63, 0x7f, 0x0c, 0x94, 0xbd, 0x10,
	0xd5, 0x09, 0xe1, 0xdc, 0x98, 0xf5, 0x21, 0xc7,
};

/* The same with "Witness(address to,address facilitator,uint256
 * validAfter)" as the last referenced type - upto */
static const uint8_t pwtf_upto_typehash[WORD] = {
	0x51, 0xdf, 0xf6, 0x97, 0x4a, 0xd4, 0x38, 0x8c,
	0x49, 0x9e, 0x7f, 0xcf, 0xe8, 0x38, 0xd2, 0xbd,
	0x76, 0x71, 0x62, 0x55, 0x3a, 0x14, 0x40, 0x98,
	0xce, 0x20, 0xea, 0x66, 0x1d, 0x70, 0xc2, 0xee,
};

/* Appends one 32-byte word to the encoding at *p and advances it. */
static void
put_bytes32(uint8_t **p, const uint8_t w[WORD])
{
	memcpy(*p, w, WORD);
	*p += WORD;
}

/* An address, left-padded with zeros. */
static void
put_addr(uint8_t **p, const uint8_t a[X402_ADDR_LEN])
{
	memset(*p, 0, WORD - X402_ADDR_LEN);
	memcpy(*p + WORD - X402_ADDR_LEN, a, X402_ADDR_LEN);
	*p += WORD;
}

static void
put_u256(uint8_t **p, const x402_u256 *v)
{
	x402_u256_to_be(*p, v);
	*p += WORD;
}

static void
put_u64(uint8_t **p, uint64_t n)
{
	int i;

	memset(*p, 0, WORD - 8);
	for (i = 0; i < 8; i++)
		(*p)[WORD - 1 - i] = (uint8_t)(n >> (8 * i));
	*p += WORD;
}

/* A dynamic string field: the hash of its bytes (at most max of them). */
static void
put_string(uint8_t **p, const char *s, size_t max)
{
	x402_keccak256(*p, s, strnlen(s, max));
	*p += WORD;
}

void
x402_eip712_domain_separator(uint8_t out[32],
    const struct x402_eip712_domain *dom)
{
	uint8_t enc[5 * WORD], *p = enc;

	if (dom->has_version) {
		put_bytes32(&p, domain_typehash);
		put_string(&p, dom->name, X402_EIP712_NAME_MAX);
		put_string(&p, dom->version, X402_EIP712_VERSION_MAX);
	} else {
		put_bytes32(&p, domain_noversion_typehash);
		put_string(&p, dom->name, X402_EIP712_NAME_MAX);
	}
	put_u64(&p, dom->chain_id);
	put_addr(&p, dom->verifying_contract);
	x402_keccak256(out, enc, (size_t)(p - enc));
}

void
x402_eip712_eip3009_hash(uint8_t out[32], const struct x402_eip3009_auth *a)
{
	uint8_t enc[7 * WORD], *p = enc;

	put_bytes32(&p, eip3009_typehash);
	put_addr(&p, a->from);
	put_addr(&p, a->to);
	put_u256(&p, &a->value);
	put_u256(&p, &a->valid_after);
	put_u256(&p, &a->valid_before);
	put_bytes32(&p, a->nonce);
	x402_keccak256(out, enc, sizeof(enc));
}

void
x402_eip712_permit_hash(uint8_t out[32], const struct x402_permit *pm)
{
	uint8_t enc[6 * WORD], *p = enc;

	put_bytes32(&p, permit_typehash);
	put_addr(&p, pm->owner);
	put_addr(&p, pm->spender);
	put_u256(&p, &pm->value);
	put_u256(&p, &pm->nonce);
	put_u256(&p, &pm->deadline);
	x402_keccak256(out, enc, sizeof(enc));
}

void
x402_eip712_permit2_hash(uint8_t out[32], const struct x402_permit2 *pm)
{
	uint8_t tp[3 * WORD], wit[4 * WORD], enc[6 * WORD], *p;

	/* TokenPermissions permitted */
	p = tp;
	put_bytes32(&p, token_permissions_typehash);
	put_addr(&p, pm->token);
	put_u256(&p, &pm->amount);

	/* Witness witness */
	p = wit;
	put_bytes32(&p, pm->upto ? witness_upto_typehash :
	    witness_exact_typehash);
	put_addr(&p, pm->witness_to);
	if (pm->upto)
		put_addr(&p, pm->witness_facilitator);
	put_u256(&p, &pm->witness_valid_after);

	p = enc;
	put_bytes32(&p, pm->upto ? pwtf_upto_typehash : pwtf_exact_typehash);
	x402_keccak256(p, tp, sizeof(tp));
	p += WORD;
	put_addr(&p, pm->spender);
	put_u256(&p, &pm->nonce);
	put_u256(&p, &pm->deadline);
	x402_keccak256(p, wit, (size_t)(pm->upto ? 4 : 3) * WORD);
	x402_keccak256(out, enc, sizeof(enc));
}

void
x402_eip712_digest(uint8_t out[32], const uint8_t domain_separator[32],
    const uint8_t struct_hash[32])
{
	uint8_t enc[2 + 2 * WORD];

	enc[0] = 0x19;
	enc[1] = 0x01;
	memcpy(enc + 2, domain_separator, WORD);
	memcpy(enc + 2 + WORD, struct_hash, WORD);
	x402_keccak256(out, enc, sizeof(enc));
}

const uint8_t *
x402_eip712_typehash(enum x402_eip712_type t)
{
	static const uint8_t *const table[X402_EIP712_T_COUNT] = {
		[X402_EIP712_T_DOMAIN] = domain_typehash,
		[X402_EIP712_T_DOMAIN_NOVERSION] = domain_noversion_typehash,
		[X402_EIP712_T_EIP3009] = eip3009_typehash,
		[X402_EIP712_T_PERMIT] = permit_typehash,
		[X402_EIP712_T_TOKEN_PERMISSIONS] = token_permissions_typehash,
		[X402_EIP712_T_WITNESS_EXACT] = witness_exact_typehash,
		[X402_EIP712_T_WITNESS_UPTO] = witness_upto_typehash,
		[X402_EIP712_T_PERMIT2_EXACT] = pwtf_exact_typehash,
		[X402_EIP712_T_PERMIT2_UPTO] = pwtf_upto_typehash,
	};

	if ((unsigned)t >= X402_EIP712_T_COUNT)
		return NULL;
	return table[t];
}
