/* page.h - the HTML page a browser gets instead of a JSON 402. */
#ifndef GATE_PAGE_H
#define GATE_PAGE_H

#include "route.h"

/* No script or style from anywhere but this page itself. */
#define PAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
	"img-src data:; form-action 'self'; base-uri 'none'; " \
	"frame-ancestors 'none'"

/* Appends the paywall page for r.  Returns 0 or an X402_ERR_*. */
int page_paywall(struct x402_buf *b, const struct route *r,
    const struct x402_resource *res);

#endif /* GATE_PAGE_H */
