/*
 * sig.h - secp256k1 signatures with libsecp256k1 (recovery module).
 *
 * Rules:
 *  - One context per program, made by x402_sig_ctx_new (which self-tests
 *    once: a known key signs and recovers a known answer) and passed to
 *    every call; no globals.
 *  - Signatures are 65 bytes r(32) || s(32) || v(1).  Recovery accepts v in
 *    {27, 28} or {0, 1}; refuses high s, r or s zero or >= n, and any other
 *    v.  Signing produces low-s RFC 6979 signatures with v in {27, 28}.
 *  - Secret keys are 32 bytes in caller-owned memory; the caller wipes
 *    them (x402_wipe) when done.  Nothing here logs or keeps a key.
 *  - Every verifying call's result must be checked.
 */
#ifndef X402_SIG_H
#define X402_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "error.h"

#define X402_SIG_LEN 65
#define X402_SECKEY_LEN 32

struct x402_sig_ctx;

/*
 * Creates the context, randomizes it (getrandom) and runs the self-test.
 * Returns 0, X402_ERR_NOMEM, X402_ERR_IO (no random bytes) or
 * X402_ERR_CRYPTO (randomization or self-test failed).  Out: *out (free with
 * x402_sig_ctx_free).
 */
int x402_sig_ctx_new(struct x402_sig_ctx **out) X402_WARN_UNUSED;

/* Frees the context.  NULL allowed. */
void x402_sig_ctx_free(struct x402_sig_ctx *ctx);

/*
 * Recovers the signer's address of a 32-byte digest.  Returns 0 or
 * X402_ERR_SIG (malformed, high-s, bad v, or no key recovers).
 * Out: addr.
 */
int x402_sig_recover(const struct x402_sig_ctx *ctx,
    uint8_t addr[X402_ADDR_LEN], const uint8_t digest[32],
    const uint8_t sig[X402_SIG_LEN]) X402_WARN_UNUSED;

/*
 * Signs a 32-byte digest (RFC 6979, low s, v in {27,28}).  Returns 0 or
 * X402_ERR_CRYPTO (invalid key).  Out: sig.
 */
int x402_sig_sign(const struct x402_sig_ctx *ctx, uint8_t sig[X402_SIG_LEN],
    const uint8_t digest[32], const uint8_t seckey[X402_SECKEY_LEN])
    X402_WARN_UNUSED;

/*
 * The address of a secret key.  Returns 0 or X402_ERR_CRYPTO.
 * Out: addr.
 */
int x402_sig_key_address(const struct x402_sig_ctx *ctx,
    uint8_t addr[X402_ADDR_LEN], const uint8_t seckey[X402_SECKEY_LEN])
    X402_WARN_UNUSED;

/*
 * The address of a 64-byte uncompressed public key (x || y, no 0x04
 * prefix): the last 20 bytes of its Keccak-256.
 */
void x402_sig_pubkey_address(uint8_t addr[X402_ADDR_LEN],
    const uint8_t pub[64]);

/*
 * Reads a secret key file: 64 hex digits (optional "0x", surrounding
 * whitespace allowed), at most 256 bytes in all.  Refuses (X402_ERR_PERM)
 * a symbolic link, anything but a regular file, and any mode bit in 077.
 * The file is opened with O_NOFOLLOW and checked with fstat on that
 * descriptor.  Returns 0, X402_ERR_IO, X402_ERR_PERM, X402_ERR_LIMIT
 * (file too long), X402_ERR_SYNTAX or X402_ERR_CRYPTO (zero or >= n).
 * The detail names the file and its mode, never the key.  Every
 * temporary copy is wiped; on failure seckey is zeroed.  Out: seckey.
 */
int x402_sig_key_load(const struct x402_sig_ctx *ctx,
    uint8_t seckey[X402_SECKEY_LEN], struct x402_detail *d,
    const char *path) X402_WARN_UNUSED;

/*
 * Generates a key from getrandom(), drawing again until it is a valid
 * secp256k1 key.  Returns 0 or X402_ERR_CRYPTO / X402_ERR_IO.  Out: seckey
 * (zeroed on failure).
 */
int x402_sig_key_generate(const struct x402_sig_ctx *ctx,
    uint8_t seckey[X402_SECKEY_LEN]) X402_WARN_UNUSED;

#endif /* X402_SIG_H */
