/*
 * keccak.c - Keccak-f[1600] and the Keccak-256 sponge (rate 136 bytes).
 * Written from the Keccak reference description; little-endian lanes.
 */
#include "autoconfig.h"

#include <string.h>

#include "error.h"
#include "keccak.h"

#define RATE 136

static const uint64_t rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

#define ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/*
 * Keccak-f[1600] on the 25 lanes st[x + 5 * y].  Each round is written
 * out: theta's column parities c and their mix d, then rho (rotate lane
 * x + 5y by its fixed offset) and pi (to lane y + 5 * ((2x + 3y) mod 5)) in
 * one step into b, then chi back into a and iota; no indexing modulo 5.
 */
static void
keccakf(uint64_t st[25])
{
	uint64_t a[25], b[25], c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
	int round;

	memcpy(a, st, sizeof(a));
	for (round = 0; round < 24; round++) {
		c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
		c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
		c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
		c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
		c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
		d0 = c4 ^ ROTL(c1, 1);
		d1 = c0 ^ ROTL(c2, 1);
		d2 = c1 ^ ROTL(c3, 1);
		d3 = c2 ^ ROTL(c4, 1);
		d4 = c3 ^ ROTL(c0, 1);
		b[0] = a[0] ^ d0;
		b[10] = ROTL(a[1] ^ d1, 1);
		b[20] = ROTL(a[2] ^ d2, 62);
		b[5] = ROTL(a[3] ^ d3, 28);
		b[15] = ROTL(a[4] ^ d4, 27);
		b[16] = ROTL(a[5] ^ d0, 36);
		b[1] = ROTL(a[6] ^ d1, 44);
		b[11] = ROTL(a[7] ^ d2, 6);
		b[21] = ROTL(a[8] ^ d3, 55);
		b[6] = ROTL(a[9] ^ d4, 20);
		b[7] = ROTL(a[10] ^ d0, 3);
		b[17] = ROTL(a[11] ^ d1, 10);
		b[2] = ROTL(a[12] ^ d2, 43);
		b[12] = ROTL(a[13] ^ d3, 25);
		b[22] = ROTL(a[14] ^ d4, 39);
		b[23] = ROTL(a[15] ^ d0, 41);
		b[8] = ROTL(a[16] ^ d1, 45);
		b[18] = ROTL(a[17] ^ d2, 15);
		b[3] = ROTL(a[18] ^ d3, 21);
		b[13] = ROTL(a[19] ^ d4, 8);
		b[14] = ROTL(a[20] ^ d0, 18);
		b[24] = ROTL(a[21] ^ d1, 2);
		b[9] = ROTL(a[22] ^ d2, 61);
		b[19] = ROTL(a[23] ^ d3, 56);
		b[4] = ROTL(a[24] ^ d4, 14);
		a[0] = b[0] ^ (~b[1] & b[2]);
		a[1] = b[1] ^ (~b[2] & b[3]);
		a[2] = b[2] ^ (~b[3] & b[4]);
		a[3] = b[3] ^ (~b[4] & b[0]);
		a[4] = b[4] ^ (~b[0] & b[1]);
		a[5] = b[5] ^ (~b[6] & b[7]);
		a[6] = b[6] ^ (~b[7] & b[8]);
		a[7] = b[7] ^ (~b[8] & b[9]);
		a[8] = b[8] ^ (~b[9] & b[5]);
		a[9] = b[9] ^ (~b[5] & b[6]);
		a[10] = b[10] ^ (~b[11] & b[12]);
		a[11] = b[11] ^ (~b[12] & b[13]);
		a[12] = b[12] ^ (~b[13] & b[14]);
		a[13] = b[13] ^ (~b[14] & b[10]);
		a[14] = b[14] ^ (~b[10] & b[11]);
		a[15] = b[15] ^ (~b[16] & b[17]);
		a[16] = b[16] ^ (~b[17] & b[18]);
		a[17] = b[17] ^ (~b[18] & b[19]);
		a[18] = b[18] ^ (~b[19] & b[15]);
		a[19] = b[19] ^ (~b[15] & b[16]);
		a[20] = b[20] ^ (~b[21] & b[22]);
		a[21] = b[21] ^ (~b[22] & b[23]);
		a[22] = b[22] ^ (~b[23] & b[24]);
		a[23] = b[23] ^ (~b[24] & b[20]);
		a[24] = b[24] ^ (~b[20] & b[21]);
		a[0] ^= rc[round];
	}
	memcpy(st, a, sizeof(a));
}

static void
xor_byte(uint64_t st[25], size_t pos, uint8_t b)
{
	st[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void
x402_keccak_init(struct x402_keccak *k)
{
	memset(k, 0, sizeof(*k));
}

/* The little-endian 64-bit lane at p (compilers make this one load). */
static uint64_t
load_lane(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

void
x402_keccak_update(struct x402_keccak *k, const void *p, size_t len)
{
	const uint8_t *in = p;
	size_t i;

	/* Bytes up to a lane boundary. */
	while (len > 0 && k->pos % 8 != 0) {
		xor_byte(k->st, k->pos++, *in++);
		len--;
		if (k->pos == RATE) {
			keccakf(k->st);
			k->pos = 0;
		}
	}
	/* Whole blocks, lane by lane. */
	while (k->pos == 0 && len >= RATE) {
		for (i = 0; i < RATE / 8; i++)
			k->st[i] ^= load_lane(in + 8 * i);
		keccakf(k->st);
		in += RATE;
		len -= RATE;
	}
	/* Whole lanes, then the last bytes. */
	while (len >= 8) {
		k->st[k->pos / 8] ^= load_lane(in);
		k->pos += 8;
		in += 8;
		len -= 8;
		if (k->pos == RATE) {
			keccakf(k->st);
			k->pos = 0;
		}
	}
	while (len > 0) {
		xor_byte(k->st, k->pos++, *in++);
		len--;
	}
}

void
x402_keccak_final(struct x402_keccak *k, uint8_t out[X402_KECCAK256_LEN])
{
	int i;

	xor_byte(k->st, k->pos, 0x01);
	xor_byte(k->st, RATE - 1, 0x80);
	keccakf(k->st);
	for (i = 0; i < X402_KECCAK256_LEN; i++)
		out[i] = (uint8_t)(k->st[i / 8] >> (8 * (i % 8)));
	x402_wipe(k, sizeof(*k));
}

void
x402_keccak256(uint8_t out[X402_KECCAK256_LEN], const void *p, size_t len)
{
	struct x402_keccak k;

	x402_keccak_init(&k);
	x402_keccak_update(&k, p, len);
	x402_keccak_final(&k, out);
}
