/*
 * price.h - prices as text to integer atomic units, exactly.
 *
 * Accepted forms (no floating point anywhere):
 *   "$0.01"      dollars, for a USD-pegged asset: 10000 at 6 decimals
 *   "0.01"       whole-token units with a decimal point: 10000 at 6 decimals
 *   "0.01 USDC"  the same with the asset's symbol after one space; the
 *                symbol must match `symbol` (case-sensitive) when given
 *   "1 USDC"     whole-token units (a symbol alone makes it token units)
 *   "10000"      no "$", no point, no symbol: already atomic units
 *
 * Grammar: [ "$" ] DIGITS [ "." DIGITS ] [ " " SYMBOL ], where DIGITS is
 * one or more ASCII '0'..'9', at most one of "$" and " SYMBOL" appears,
 * and the text is at most X402_PRICE_MAXLEN bytes.  So:
 *  - an integer part is required (".5" is refused: write "0.5"), and a
 *    point needs a digit after it ("1." is refused);
 *  - leading zeros are allowed ("$00.10" is 100000 at 6 decimals);
 *  - fractional digits beyond `decimals` are accepted only when they are
 *    all zeros ("$0.0100000" is 10000 at 6 decimals: the value is the
 *    same); any non-zero digit there is X402_ERR_PRECISION, never a
 *    rounding;
 *  - "$" says nothing about the asset: the caller must only accept "$"
 *    prices for USD-pegged assets (1 dollar = 1 token).
 * Errors: empty text, a sign, an exponent, a comma, a hex prefix,
 * leading, trailing or doubled spaces, "$$", non-ASCII (unicode digits)
 * or any stray byte is X402_ERR_SYNTAX; a symbol other than `symbol` is
 * X402_ERR_SYNTAX; text over X402_PRICE_MAXLEN is X402_ERR_LIMIT; a value
 * above 2^256-1 is X402_ERR_RANGE; decimals > 77 is X402_ERR_INVAL.  The
 * detail names the problem and its byte offset.
 */
#ifndef X402_PRICE_H
#define X402_PRICE_H

#include <stddef.h>

#include "error.h"
#include "u256.h"

#define X402_PRICE_MAXLEN 100	/* longest price text accepted */
#define X402_PRICE_MAXDEC 77	/* most decimals an asset may have */
#define X402_PRICE_FMTLEN 81	/* buffer that holds any formatted price */

/*
 * Parses in[0..inlen) for an asset with `decimals` (0..77) decimal places
 * and the given symbol (NULL or "": any symbol is refused).
 * Returns 0 or an error above.  Out: *atomic (untouched on error).
 */
int x402_price_parse(x402_u256 *atomic, struct x402_detail *d,
    const char *in, size_t inlen, unsigned decimals, const char *symbol)
    X402_WARN_UNUSED;

/*
 * Formats atomic units as a decimal token amount with no trailing zeros
 * and no leading zeros but one ("0.01", "2.01", "1", "0.000001").  The
 * text is NUL-terminated.  X402_PRICE_FMTLEN bytes always suffice; a
 * smaller buffer works when the text fits.  Returns the length (without
 * the NUL), X402_ERR_LIMIT or X402_ERR_INVAL (decimals > 77).
 * To read the text back with x402_price_parse, prefix "$" or append
 * " SYMBOL": a bare integer such as "1" reads as atomic units.
 */
int x402_price_format(char *out, size_t outcap, const x402_u256 *atomic,
    unsigned decimals);

#endif /* X402_PRICE_H */
