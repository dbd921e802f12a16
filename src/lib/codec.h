/*
 * codec.h - hex, base64 and EIP-55 addresses.
 *
 * Rules:
 *  - Outputs come first, each buffer followed by its capacity, then inputs
 *    with their lengths.  Text outputs are always NUL-terminated.
 *  - Decoders never read past inlen and never write past the capacity: a
 *    too-small output is X402_ERR_LIMIT, not a truncation.
 *  - Hex in: optional or required "0x"/"0X" prefix, either case.  Hex out:
 *    lowercase, "0x" prefix when asked.
 *  - Base64 out: standard alphabet, padded.  Base64 in: standard alphabet,
 *    padded or unpadded; URL-safe characters, whitespace and misplaced
 *    padding are refused (X402_ERR_SYNTAX).
 *  - Addresses in: "0x" + 40 hex digits, all-lowercase, all-uppercase, or
 *    mixed case with a correct EIP-55 checksum (else X402_ERR_CHECKSUM).
 *    Addresses out: EIP-55 checksummed.
 */
#ifndef X402_CODEC_H
#define X402_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define X402_ADDR_LEN 20
#define X402_ADDR_STRLEN 42	/* "0x" + 40, without the NUL */

enum x402_hex_prefix {
	X402_HEX_PREFIX_OPTIONAL = 0,
	X402_HEX_PREFIX_REQUIRED = 1,
	X402_HEX_PREFIX_NONE = 2,	/* encode only: no "0x" */
};

/*
 * Decodes hex text.  Returns 0, X402_ERR_SYNTAX (bad digit, odd length,
 * missing required prefix) or X402_ERR_LIMIT (more than outcap bytes).
 * Out: out[0..*outlen).  In: in[0..inlen), prefix rule.
 */
int x402_hex_decode(uint8_t *out, size_t outcap, size_t *outlen,
    const char *in, size_t inlen, enum x402_hex_prefix prefix)
    X402_WARN_UNUSED;

/*
 * Decodes hex text that must hold exactly n bytes ("0x" required).
 * Returns 0, X402_ERR_SYNTAX or X402_ERR_RANGE (wrong length).
 */
int x402_hex_decode_exact(uint8_t *out, size_t n, const char *in,
    size_t inlen) X402_WARN_UNUSED;

/*
 * Encodes inlen bytes as lowercase hex, with "0x" unless prefix is
 * X402_HEX_PREFIX_NONE.  Needs outcap >= 2*inlen + 3.  Returns 0 or
 * X402_ERR_LIMIT.
 */
int x402_hex_encode(char *out, size_t outcap, const uint8_t *in,
    size_t inlen, enum x402_hex_prefix prefix);

/* Length of the padded base64 text for n bytes, without the NUL. */
size_t x402_base64_len(size_t n);

/*
 * Encodes standard padded base64.  Needs outcap >= x402_base64_len(inlen)+1.
 * Returns 0 or X402_ERR_LIMIT.  Out: out (NUL-terminated), *outlen if not
 * NULL.
 */
int x402_base64_encode(char *out, size_t outcap, size_t *outlen,
    const uint8_t *in, size_t inlen);

/*
 * Decodes standard base64, padded or not.  Returns 0, X402_ERR_SYNTAX or
 * X402_ERR_LIMIT (output larger than outcap).  outcap >= inlen*3/4 + 3 is
 * always enough.
 */
int x402_base64_decode(uint8_t *out, size_t outcap, size_t *outlen,
    const char *in, size_t inlen) X402_WARN_UNUSED;

/*
 * Parses an address (rules above).  Returns 0, X402_ERR_SYNTAX or
 * X402_ERR_CHECKSUM.  Out: addr.
 */
int x402_addr_parse(uint8_t addr[X402_ADDR_LEN], const char *in,
    size_t inlen) X402_WARN_UNUSED;

/* Formats an address with its EIP-55 checksum.  Out: out (43 bytes). */
void x402_addr_format(char out[X402_ADDR_STRLEN + 1],
    const uint8_t addr[X402_ADDR_LEN]);

#endif /* X402_CODEC_H */
