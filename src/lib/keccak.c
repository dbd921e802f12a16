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

static const unsigned rotc[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};

static const unsigned piln[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

#define ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static void
keccakf(uint64_t st[25])
{
	uint64_t bc[5], t;
	int round, i, j;

	for (round = 0; round < 24; round++) {
		for (i = 0; i < 5; i++)
			bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^
			    st[i + 20];
		for (i = 0; i < 5; i++) {
			t = bc[(i + 4) % 5] ^ ROTL(bc[(i + 1) % 5], 1);
			for (j = 0; j < 25; j += 5)
				st[j + i] ^= t;
		}
		t = st[1];
		for (i = 0; i < 24; i++) {
			j = piln[i];
			bc[0] = st[j];
			st[j] = ROTL(t, rotc[i]);
			t = bc[0];
		}
		for (j = 0; j < 25; j += 5) {
			for (i = 0; i < 5; i++)
				bc[i] = st[j + i];
			for (i = 0; i < 5; i++)
				st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
		}
		st[0] ^= rc[round];
	}
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

void
x402_keccak_update(struct x402_keccak *k, const void *p, size_t len)
{
	const uint8_t *in = p;

	/* Whole lanes when aligned to a lane boundary. */
	while (len > 0) {
		if (k->pos % 8 == 0 && len >= 8 && k->pos + 8 <= RATE) {
			uint64_t lane = 0;
			int i;

			for (i = 7; i >= 0; i--)
				lane = (lane << 8) | in[i];
			k->st[k->pos / 8] ^= lane;
			k->pos += 8;
			in += 8;
			len -= 8;
		} else {
			xor_byte(k->st, k->pos++, *in++);
			len--;
		}
		if (k->pos == RATE) {
			keccakf(k->st);
			k->pos = 0;
		}
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
