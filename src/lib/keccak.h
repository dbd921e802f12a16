/*
 * keccak.h - Keccak-256 as Ethereum uses it (original Keccak padding 0x01,
 * not the SHA3-256 padding 0x06).
 *
 * Rules: a context is caller-owned and needs no cleanup; the one-shot
 * function writes exactly 32 bytes.
 */
#ifndef X402_KECCAK_H
#define X402_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define X402_KECCAK256_LEN 32

struct x402_keccak {
	uint64_t st[25];
	size_t pos;		/* bytes absorbed into the current block */
};

/* Starts a hash.  Out: *k. */
void x402_keccak_init(struct x402_keccak *k);

/* Absorbs len bytes at p (p may be NULL when len is 0). */
void x402_keccak_update(struct x402_keccak *k, const void *p, size_t len);

/* Finishes and writes the 32-byte digest to out; *k is wiped. */
void x402_keccak_final(struct x402_keccak *k, uint8_t out[X402_KECCAK256_LEN]);

/* One-shot Keccak-256 of len bytes at p into out. */
void x402_keccak256(uint8_t out[X402_KECCAK256_LEN], const void *p,
    size_t len);

#endif /* X402_KECCAK_H */
