/*
 * price.h - prices as text to integer atomic units, exactly.
 *
 * Accepted forms (no floating point anywhere):
 *   "$0.01"      dollars, for a USD-pegged asset: 10000 at 6 decimals
 *   "0.01"       whole-token units with a decimal point: 10000 at 6 decimals
 *   "0.01 USDC"  the same with the asset's symbol after one space; the
 *                symbol must match `symbol` (case-sensitive) when given
 *   "10000"      no "$", no point, no symbol: already atomic units
 * More fractional digits than `decimals` is X402_ERR_PRECISION (never a
 * rounding).  Empty text, a sign, an exponent, spaces other than the one
 * before a symbol, or any stray character is X402_ERR_SYNTAX; above
 * 2^256-1 is X402_ERR_RANGE.  The detail says which.
 */
#ifndef X402_PRICE_H
#define X402_PRICE_H

#include <stddef.h>

#include "error.h"
#include "u256.h"

#define X402_PRICE_MAXLEN 100	/* longest price text accepted */

/*
 * Parses in[0..inlen) for an asset with `decimals` (0..77) decimal places
 * and the given symbol (NULL: any symbol is refused).  Out: *atomic.
 */
int x402_price_parse(x402_u256 *atomic, struct x402_detail *d,
    const char *in, size_t inlen, unsigned decimals, const char *symbol)
    X402_WARN_UNUSED;

/*
 * Formats atomic units as a decimal token amount with no trailing zeros
 * ("0.01", "2.01", "1", "0.000001").  Needs outcap >= 81.  Returns the
 * length or X402_ERR_LIMIT / X402_ERR_INVAL.
 */
int x402_price_format(char *out, size_t outcap, const x402_u256 *atomic,
    unsigned decimals);

#endif /* X402_PRICE_H */
