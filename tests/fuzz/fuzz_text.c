/*
 * fuzz_text.c - the small text parsers: prices, u256 decimal and hex,
 * hex, base64, EIP-55 addresses.  The first byte picks the parser (and
 * the price's decimals); what parses must format and parse back to the
 * same value.
 */
#include "autoconfig.h"

#include <stdio.h>

#include "x402.h"
#include "fuzz.h"

static void
price(const char *s, size_t n, unsigned decimals)
{
	struct x402_detail d;
	char out[X402_PRICE_FMTLEN], again[X402_PRICE_FMTLEN + 8];
	x402_u256 v, w;
	int len;

	if (x402_price_parse(&v, &d, s, n, decimals, "USDC") != 0)
		return;
	if (x402_price_format(out, sizeof(out), &v, decimals) < 0)
		abort();
	len = snprintf(again, sizeof(again), "%s USDC", out);
	if (x402_price_parse(&w, &d, again, (size_t)len, decimals,
	    "USDC") != 0 || x402_u256_cmp(&v, &w) != 0) {
		fprintf(stderr, "price %s does not read back\n", out);
		abort();
	}
}

static void
u256(const char *s, size_t n, int hex)
{
	char out[X402_U256_DECLEN + 8];
	x402_u256 v, w;

	if (hex) {
		if (x402_u256_parse_hex(&v, s, n) != 0)
			return;
		if (x402_u256_format_hex(out, sizeof(out), &v) < 0 ||
		    x402_u256_parse_hex(&w, out, strlen(out)) != 0)
			abort();
	} else {
		if (x402_u256_parse_dec(&v, s, n) != 0)
			return;
		if (x402_u256_format_dec(out, sizeof(out), &v) < 0 ||
		    x402_u256_parse_dec(&w, out, strlen(out)) != 0)
			abort();
	}
	if (x402_u256_cmp(&v, &w) != 0)
		abort();
}

static void
codecs(const char *s, size_t n)
{
	uint8_t buf[FUZZ_MAX], addr[X402_ADDR_LEN];
	char back[X402_ADDR_STRLEN + 1];
	size_t len;

	(void)x402_hex_decode(buf, sizeof(buf), &len, s, n,
	    X402_HEX_PREFIX_OPTIONAL);
	(void)x402_hex_decode_exact(buf, 32, s, n);
	(void)x402_base64_decode(buf, sizeof(buf), &len, s, n);
	if (x402_addr_parse(addr, s, n) == 0) {
		x402_addr_format(back, addr);
		if (x402_addr_parse(buf, back, strlen(back)) != 0 ||
		    memcmp(buf, addr, X402_ADDR_LEN) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	if ((s = fuzz_str(data + 1, size - 1)) == NULL)
		return 0;
	switch (data[0] % 4) {
	case 0:
		price(s, size - 1, (data[0] >> 2) % 40);
		break;
	case 1:
		u256(s, size - 1, 0);
		break;
	case 2:
		u256(s, size - 1, 1);
		break;
	default:
		codecs(s, size - 1);
		break;
	}
	free(s);
	return 0;
}
