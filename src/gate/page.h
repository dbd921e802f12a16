/*
 * page.h - the HTML page a browser gets instead of a JSON 402.
 *
 * The page shows the route's description and price and pays with the
 * browser's wallet (EIP-1193, window.ethereum) through a small script
 * embedded in x402-gate (src/gate/paywall/paywall.js, built into
 * paywall_assets.h by make).  The script and the style sheet are inline
 * and allowed by their SHA-256 in the Content-Security-Policy: nothing
 * else runs, nothing is loaded from anywhere, the page may only talk to
 * its own origin.
 *
 * An upto offer reads "up to $MAX, charged by usage" (with the unit price
 * when the route has one); the script pays it through Permit2, asking the
 * wallet for a bounded approval first when the allowance is short.  When a
 * route offers both schemes, the first exact offer is preselected: a known
 * price, one signature and no transaction in the wallet.
 */
#ifndef GATE_PAGE_H
#define GATE_PAGE_H

#include <stddef.h>

#include "route.h"

#define PAGE_CSP_MAX 512

/*
 * Appends the paywall page for r to b and writes the Content-Security-
 * Policy the page must be served with to csp (NUL-terminated, cap bytes,
 * PAGE_CSP_MAX suffice).  required_b64 is the PAYMENT-REQUIRED header
 * value (base64 JSON) the page's script pays from.  Returns 0 or an
 * X402_ERR_*.
 */
int page_paywall(struct x402_buf *b, char *csp, size_t cap,
    const struct route *r, const struct x402_resource *res,
    const char *required_b64) X402_WARN_UNUSED;

#endif /* GATE_PAGE_H */
