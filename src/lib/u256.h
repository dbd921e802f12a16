/*
 * u256.h - unsigned 256-bit integers for money and EVM words.
 *
 * Rules:
 *  - A value is a caller-owned struct of four 64-bit limbs, least
 *    significant first.  No function allocates.
 *  - Arithmetic that could overflow reports it (X402_ERR_RANGE) and leaves
 *    the output unspecified; nothing wraps silently.
 *  - Text in is strict: decimal is [0-9]+ (no sign, no spaces, no
 *    exponent, leading zeros allowed); hex is "0x" + 1..64 hex digits.
 */
#ifndef X402_U256_H
#define X402_U256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
	uint64_t w[4];
} x402_u256;

/* Longest decimal text of a u256 (78 digits), without the NUL. */
#define X402_U256_DECLEN 78

/* *v = n. */
void x402_u256_set_u64(x402_u256 *v, uint64_t n);

/* Returns 1 if v fits in 64 bits and writes it to *out, else 0. */
int x402_u256_get_u64(const x402_u256 *v, uint64_t *out);

/* Returns 1 if v is zero. */
int x402_u256_is_zero(const x402_u256 *v);

/* Returns -1, 0 or 1 as a <, ==, > b. */
int x402_u256_cmp(const x402_u256 *a, const x402_u256 *b);

/* *r = a + b.  Returns 0 or X402_ERR_RANGE on overflow.  r may alias. */
int x402_u256_add(x402_u256 *r, const x402_u256 *a, const x402_u256 *b)
    X402_WARN_UNUSED;

/* *r = a - b.  Returns 0 or X402_ERR_RANGE if b > a.  r may alias. */
int x402_u256_sub(x402_u256 *r, const x402_u256 *a, const x402_u256 *b)
    X402_WARN_UNUSED;

/* *r = a * m.  Returns 0 or X402_ERR_RANGE.  r may alias a. */
int x402_u256_mul_u64(x402_u256 *r, const x402_u256 *a, uint64_t m)
    X402_WARN_UNUSED;

/*
 * *q = a / d, *rem = a % d (rem may be NULL).  Returns 0 or X402_ERR_INVAL
 * when d is 0.  q may alias a.
 */
int x402_u256_divmod_u64(x402_u256 *q, uint64_t *rem, const x402_u256 *a,
    uint64_t d) X402_WARN_UNUSED;

/*
 * Parses decimal text in[0..inlen).  Returns 0, X402_ERR_SYNTAX (empty,
 * sign, stray character) or X402_ERR_RANGE (above 2^256-1).
 */
int x402_u256_parse_dec(x402_u256 *v, const char *in, size_t inlen)
    X402_WARN_UNUSED;

/* Parses "0x" hex text (1..64 digits).  Same returns as above. */
int x402_u256_parse_hex(x402_u256 *v, const char *in, size_t inlen)
    X402_WARN_UNUSED;

/*
 * Formats v in decimal without leading zeros.  Needs outcap >= 79.
 * Returns the length written (excluding the NUL) or X402_ERR_LIMIT.
 */
int x402_u256_format_dec(char *out, size_t outcap, const x402_u256 *v);

/* Formats v as "0x" + minimal lowercase hex ("0x0" for zero); outcap >= 67. */
int x402_u256_format_hex(char *out, size_t outcap, const x402_u256 *v);

/* Big-endian 32-byte word (ABI encoding) to and from a value. */
void x402_u256_to_be(uint8_t out[32], const x402_u256 *v);
void x402_u256_from_be(x402_u256 *v, const uint8_t in[32]);

#endif /* X402_U256_H */
