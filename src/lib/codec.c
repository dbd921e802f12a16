/* codec.c - hex, base64, EIP-55. */
#include "autoconfig.h"

#include <string.h>

#include "codec.h"
#include "keccak.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
has_prefix(const char *in, size_t inlen)
{
	return inlen >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X');
}

int
x402_hex_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen, enum x402_hex_prefix prefix)
{
	size_t i, n;

	if (in == NULL || outlen == NULL)
		return X402_ERR_INVAL;
	if (has_prefix(in, inlen)) {
		if (prefix == X402_HEX_PREFIX_NONE)
			return X402_ERR_SYNTAX;
		in += 2;
		inlen -= 2;
	} else if (prefix == X402_HEX_PREFIX_REQUIRED)
		return X402_ERR_SYNTAX;
	if (inlen % 2 != 0)
		return X402_ERR_SYNTAX;
	n = inlen / 2;
	if (n > outcap)
		return X402_ERR_LIMIT;
	for (i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return X402_ERR_SYNTAX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = n;
	return 0;
}

int
x402_hex_decode_exact(uint8_t *out, size_t n, const char *in, size_t inlen)
{
	size_t got;
	int r;

	if (in == NULL)
		return X402_ERR_INVAL;
	if (!has_prefix(in, inlen))
		return X402_ERR_SYNTAX;
	if (inlen != 2 + 2 * n) {
		/* Tell a bad digit from a bad length where we can. */
		return X402_ERR_RANGE;
	}
	r = x402_hex_decode(out, n, &got, in, inlen, X402_HEX_PREFIX_REQUIRED);
	if (r != 0)
		return r;
	return got == n ? 0 : X402_ERR_RANGE;
}

int
x402_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t inlen,
    enum x402_hex_prefix prefix)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, p = 0, need;

	need = 2 * inlen + 1 + (prefix == X402_HEX_PREFIX_NONE ? 0 : 2);
	if (out == NULL || outcap < need || inlen > (SIZE_MAX - 3) / 2)
		return X402_ERR_LIMIT;
	if (prefix != X402_HEX_PREFIX_NONE) {
		out[p++] = '0';
		out[p++] = 'x';
	}
	for (i = 0; i < inlen; i++) {
		out[p++] = digits[in[i] >> 4];
		out[p++] = digits[in[i] & 15];
	}
	out[p] = '\0';
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
x402_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int
x402_base64_encode(char *out, size_t outcap, size_t *outlen,
    const uint8_t *in, size_t inlen)
{
	size_t i, p = 0, need;

	if (inlen > (SIZE_MAX / 4) * 3 - 3)
		return X402_ERR_LIMIT;
	need = x402_base64_len(inlen) + 1;
	if (out == NULL || outcap < need)
		return X402_ERR_LIMIT;
	for (i = 0; i + 2 < inlen; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		out[p++] = b64[v >> 18];
		out[p++] = b64[(v >> 12) & 63];
		out[p++] = b64[(v >> 6) & 63];
		out[p++] = b64[v & 63];
	}
	if (i < inlen) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < inlen)
			v |= (uint32_t)in[i + 1] << 8;
		out[p++] = b64[v >> 18];
		out[p++] = b64[(v >> 12) & 63];
		out[p++] = i + 1 < inlen ? b64[(v >> 6) & 63] : '=';
		out[p++] = '=';
	}
	out[p] = '\0';
	if (outlen != NULL)
		*outlen = p;
	return 0;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
x402_base64_decode(uint8_t *out, size_t outcap, size_t *outlen,
    const char *in, size_t inlen)
{
	size_t i, p = 0, n = inlen, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (in == NULL || outlen == NULL)
		return X402_ERR_INVAL;
	/* Padding: only at the very end, only to a multiple of four. */
	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && inlen % 4 != 0)
		return X402_ERR_SYNTAX;
	if (n % 4 == 1)
		return X402_ERR_SYNTAX;
	if (pad > 0 && (n + pad) % 4 != 0)
		return X402_ERR_SYNTAX;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > outcap)
		return X402_ERR_LIMIT;
	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0)
			return X402_ERR_SYNTAX;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[p++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*outlen = p;
	return 0;
}

int
x402_addr_parse(uint8_t addr[X402_ADDR_LEN], const char *in, size_t inlen)
{
	char canon[X402_ADDR_STRLEN + 1];
	int lower = 0, upper = 0, r;
	size_t i;

	if (in == NULL || inlen != X402_ADDR_STRLEN || in[0] != '0' ||
	    in[1] != 'x')
		return X402_ERR_SYNTAX;
	r = x402_hex_decode_exact(addr, X402_ADDR_LEN, in, inlen);
	if (r != 0)
		return X402_ERR_SYNTAX;
	for (i = 2; i < inlen; i++) {
		if (in[i] >= 'a' && in[i] <= 'f')
			lower = 1;
		else if (in[i] >= 'A' && in[i] <= 'F')
			upper = 1;
	}
	if (!(lower && upper))
		return 0;
	x402_addr_format(canon, addr);
	return memcmp(canon, in, X402_ADDR_STRLEN) == 0 ? 0 : X402_ERR_CHECKSUM;
}

void
x402_addr_format(char out[X402_ADDR_STRLEN + 1],
    const uint8_t addr[X402_ADDR_LEN])
{
	uint8_t h[X402_KECCAK256_LEN];
	int i;

	(void)x402_hex_encode(out, X402_ADDR_STRLEN + 1, addr, X402_ADDR_LEN,
	    X402_HEX_PREFIX_REQUIRED);
	/* EIP-55 hashes the lowercase hex without "0x". */
	x402_keccak256(h, out + 2, 40);
	for (i = 0; i < 40; i++) {
		char *c = &out[2 + i];
		int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;

		if (*c >= 'a' && *c <= 'f' && nib >= 8)
			*c = (char)(*c - 'a' + 'A');
	}
}
