/* u256.c - 256-bit unsigned arithmetic on 64-bit limbs. */
#include "autoconfig.h"

#include <string.h>

#include "u256.h"

void
x402_u256_set_u64(x402_u256 *v, uint64_t n)
{
	memset(v, 0, sizeof(*v));
	v->w[0] = n;
}

int
x402_u256_get_u64(const x402_u256 *v, uint64_t *out)
{
	if (v->w[1] | v->w[2] | v->w[3])
		return 0;
	*out = v->w[0];
	return 1;
}

int
x402_u256_is_zero(const x402_u256 *v)
{
	return (v->w[0] | v->w[1] | v->w[2] | v->w[3]) == 0;
}

int
x402_u256_cmp(const x402_u256 *a, const x402_u256 *b)
{
	int i;

	for (i = 3; i >= 0; i--) {
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

int
x402_u256_add(x402_u256 *r, const x402_u256 *a, const x402_u256 *b)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t s = a->w[i] + b->w[i];
		uint64_t c1 = s < a->w[i];
		uint64_t t = s + carry;
		uint64_t c2 = t < s;

		r->w[i] = t;
		carry = c1 | c2;
	}
	return carry ? X402_ERR_RANGE : 0;
}

int
x402_u256_sub(x402_u256 *r, const x402_u256 *a, const x402_u256 *b)
{
	uint64_t borrow = 0;
	int i;

	if (x402_u256_cmp(a, b) < 0)
		return X402_ERR_RANGE;
	for (i = 0; i < 4; i++) {
		uint64_t d = a->w[i] - b->w[i];
		uint64_t b1 = a->w[i] < b->w[i];
		uint64_t t = d - borrow;
		uint64_t b2 = d < borrow;

		r->w[i] = t;
		borrow = b1 | b2;
	}
	return 0;
}

int
x402_u256_mul_u64(x402_u256 *r, const x402_u256 *a, uint64_t m)
{
	unsigned __int128 carry = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned __int128 p = (unsigned __int128)a->w[i] * m + carry;

		r->w[i] = (uint64_t)p;
		carry = p >> 64;
	}
	return carry ? X402_ERR_RANGE : 0;
}

int
x402_u256_divmod_u64(x402_u256 *q, uint64_t *rem, const x402_u256 *a,
    uint64_t d)
{
	unsigned __int128 r = 0;
	int i;

	if (d == 0)
		return X402_ERR_INVAL;
	for (i = 3; i >= 0; i--) {
		unsigned __int128 cur = (r << 64) | a->w[i];

		q->w[i] = (uint64_t)(cur / d);
		r = cur % d;
	}
	if (rem != NULL)
		*rem = (uint64_t)r;
	return 0;
}

int
x402_u256_parse_dec(x402_u256 *v, const char *in, size_t inlen)
{
	x402_u256 acc, digit;
	size_t i;

	if (in == NULL || inlen == 0)
		return X402_ERR_SYNTAX;
	x402_u256_set_u64(&acc, 0);
	for (i = 0; i < inlen; i++) {
		if (in[i] < '0' || in[i] > '9')
			return X402_ERR_SYNTAX;
	}
	for (i = 0; i < inlen; i++) {
		if (x402_u256_mul_u64(&acc, &acc, 10) != 0)
			return X402_ERR_RANGE;
		x402_u256_set_u64(&digit, (uint64_t)(in[i] - '0'));
		if (x402_u256_add(&acc, &acc, &digit) != 0)
			return X402_ERR_RANGE;
	}
	*v = acc;
	return 0;
}

int
x402_u256_parse_hex(x402_u256 *v, const char *in, size_t inlen)
{
	x402_u256 acc;
	size_t i, n;

	if (in == NULL || inlen < 3 || in[0] != '0' ||
	    (in[1] != 'x' && in[1] != 'X'))
		return X402_ERR_SYNTAX;
	n = inlen - 2;
	for (i = 2; i < inlen; i++) {
		char c = in[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return X402_ERR_SYNTAX;
	}
	/* Leading zeros do not count against the 64-digit limit. */
	i = 2;
	while (n > 64 && in[i] == '0') {
		i++;
		n--;
	}
	if (n > 64)
		return X402_ERR_RANGE;
	memset(&acc, 0, sizeof(acc));
	for (; i < inlen; i++) {
		char c = in[i];
		uint64_t d = c <= '9' ? (uint64_t)(c - '0') :
		    (uint64_t)((c | 0x20) - 'a' + 10);
		size_t pos = inlen - 1 - i;	/* nibble index from the right */

		acc.w[pos / 16] |= d << (4 * (pos % 16));
	}
	*v = acc;
	return 0;
}

int
x402_u256_format_dec(char *out, size_t outcap, const x402_u256 *v)
{
	char buf[X402_U256_DECLEN + 1];
	x402_u256 t = *v;
	size_t n = 0, i;

	if (out == NULL || outcap < X402_U256_DECLEN + 1)
		return X402_ERR_LIMIT;
	do {
		uint64_t rem;

		if (x402_u256_divmod_u64(&t, &rem, &t, 10) != 0)
			return X402_ERR_INTERNAL;
		buf[n++] = (char)('0' + rem);
	} while (!x402_u256_is_zero(&t));
	for (i = 0; i < n; i++)
		out[i] = buf[n - 1 - i];
	out[n] = '\0';
	return (int)n;
}

int
x402_u256_format_hex(char *out, size_t outcap, const x402_u256 *v)
{
	static const char digits[] = "0123456789abcdef";
	size_t p = 0;
	int i, started = 0;

	if (out == NULL || outcap < 67)
		return X402_ERR_LIMIT;
	out[p++] = '0';
	out[p++] = 'x';
	for (i = 63; i >= 0; i--) {
		unsigned d = (unsigned)(v->w[i / 16] >> (4 * (i % 16))) & 15;

		if (d != 0 || started || i == 0) {
			out[p++] = digits[d];
			started = 1;
		}
	}
	out[p] = '\0';
	return (int)p;
}

void
x402_u256_to_be(uint8_t out[32], const x402_u256 *v)
{
	int i;

	for (i = 0; i < 32; i++)
		out[31 - i] = (uint8_t)(v->w[i / 8] >> (8 * (i % 8)));
}

void
x402_u256_from_be(x402_u256 *v, const uint8_t in[32])
{
	int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < 32; i++)
		v->w[i / 8] |= (uint64_t)in[31 - i] << (8 * (i % 8));
}
