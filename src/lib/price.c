/* price.c - price text to atomic units and back, by exact digit strings. */
#include "autoconfig.h"

#include <string.h>

#include "price.h"

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Returns the number of digits starting at in[i]. */
static size_t
span_digits(const char *in, size_t inlen, size_t i)
{
	size_t n = 0;

	while (i + n < inlen && isdig(in[i + n]))
		n++;
	return n;
}

int
x402_price_parse(x402_u256 *atomic, struct x402_detail *d,
    const char *in, size_t inlen, unsigned decimals, const char *symbol)
{
	/* Integer digits, then exactly `decimals` fractional digits. */
	char digits[X402_PRICE_MAXLEN + X402_PRICE_MAXDEC + 1];
	const char *ip, *fp = NULL;
	size_t i = 0, il, fl = 0, nd, k, symlen;
	int dollar = 0, tokens, r;
	x402_u256 v;

	if (atomic == NULL || (in == NULL && inlen > 0))
		return x402_fail(d, X402_ERR_INVAL, "price: NULL argument");
	if (decimals > X402_PRICE_MAXDEC)
		return x402_fail(d, X402_ERR_INVAL,
		    "price: %u decimals (at most %d)", decimals,
		    X402_PRICE_MAXDEC);
	if (inlen == 0)
		return x402_fail(d, X402_ERR_SYNTAX, "price: empty");
	if (inlen > X402_PRICE_MAXLEN)
		return x402_fail(d, X402_ERR_LIMIT,
		    "price: %zu bytes (at most %d)", inlen, X402_PRICE_MAXLEN);
	if (in[0] == '$') {
		dollar = 1;
		i = 1;
	}
	il = span_digits(in, inlen, i);
	if (il == 0)
		return x402_fail(d, X402_ERR_SYNTAX, i == inlen ?
		    "price: no digits" : "price: expected a digit at offset "
		    "%zu (an integer part is required)", i);
	ip = in + i;
	i += il;
	if (i < inlen && in[i] == '.') {
		i++;
		fl = span_digits(in, inlen, i);
		if (fl == 0)
			return x402_fail(d, X402_ERR_SYNTAX, "price: expected "
			    "a digit after the point at offset %zu", i);
		fp = in + i;
		i += fl;
	}
	symlen = 0;
	if (i < inlen && in[i] == ' ') {
		if (dollar)
			return x402_fail(d, X402_ERR_SYNTAX, "price: \"$\" "
			    "and a symbol together");
		i++;
		symlen = inlen - i;
		if (symlen == 0)
			return x402_fail(d, X402_ERR_SYNTAX,
			    "price: trailing space");
		if (symbol == NULL || symbol[0] == '\0')
			return x402_fail(d, X402_ERR_SYNTAX, "price: a symbol "
			    "is not accepted for this asset");
		if (strlen(symbol) != symlen ||
		    memcmp(symbol, in + i, symlen) != 0)
			return x402_fail(d, X402_ERR_SYNTAX, "price: symbol "
			    "at offset %zu is not %s", i, symbol);
		i = inlen;
	}
	if (i < inlen)
		return x402_fail(d, X402_ERR_SYNTAX, "price: unexpected byte "
		    "0x%02x at offset %zu", (unsigned char)in[i], i);

	tokens = dollar || fp != NULL || symlen > 0;
	if (!tokens)
		decimals = 0;
	/* Fractional digits past the asset's decimals must be zeros. */
	for (k = decimals; k < fl; k++) {
		if (fp[k] != '0')
			return x402_fail(d, X402_ERR_PRECISION, "price: more "
			    "than %u decimal places", decimals);
	}
	memcpy(digits, ip, il);
	nd = il;
	for (k = 0; k < decimals; k++)
		digits[nd++] = k < fl ? fp[k] : '0';
	if ((r = x402_u256_parse_dec(&v, digits, nd)) != 0)
		return x402_fail(d, r, r == X402_ERR_RANGE ?
		    "price: above 2^256-1 atomic units" : "price: bad digits");
	*atomic = v;
	return 0;
}

int
x402_price_format(char *out, size_t outcap, const x402_u256 *atomic,
    unsigned decimals)
{
	/* The value's digits, left-padded with zeros to decimals + 1. */
	char pad[X402_PRICE_MAXDEC + X402_U256_DECLEN + 2];
	size_t n, z, ilen, flen, need;
	int r;

	if (out == NULL || atomic == NULL || decimals > X402_PRICE_MAXDEC)
		return X402_ERR_INVAL;
	z = decimals + 1;
	memset(pad, '0', z);
	if ((r = x402_u256_format_dec(pad + z, sizeof(pad) - z, atomic)) < 0)
		return r;
	n = (size_t)r;
	if (n < z) {	/* keep exactly decimals + 1 digits */
		memmove(pad, pad + n, z);
		n = z;
	} else
		memmove(pad, pad + z, n + 1);
	ilen = n - decimals;
	flen = decimals;
	while (flen > 0 && pad[ilen + flen - 1] == '0')
		flen--;
	need = ilen + (flen > 0 ? flen + 1 : 0);
	if (need + 1 > outcap)
		return X402_ERR_LIMIT;
	memcpy(out, pad, ilen);
	if (flen > 0) {
		out[ilen] = '.';
		memcpy(out + ilen + 1, pad + ilen, flen);
	}
	out[need] = '\0';
	return (int)need;
}
