/* page.c - a plain, self-contained HTML page explaining the price. */
#include "autoconfig.h"

#include <string.h>

#include "page.h"

/* Appends s with the five HTML specials escaped. */
static int
esc(struct x402_buf *b, const char *s)
{
	int e = 0;

	for (; *s != '\0' && e == 0; s++) {
		switch (*s) {
		case '&': e = x402_buf_adds(b, "&amp;"); break;
		case '<': e = x402_buf_adds(b, "&lt;"); break;
		case '>': e = x402_buf_adds(b, "&gt;"); break;
		case '"': e = x402_buf_adds(b, "&quot;"); break;
		case '\'': e = x402_buf_adds(b, "&#39;"); break;
		default: e = x402_buf_add(b, s, 1); break;
		}
	}
	return e;
}

int
page_paywall(struct x402_buf *b, const struct route *r,
    const struct x402_resource *res)
{
	size_t i;
	int e;

	if ((e = x402_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>Payment required</title><style>body{font-family:"
	    "sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
	    "line-height:1.5}code{background:#eee;padding:0 .2em}"
	    "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	    "padding:.3em .6em;text-align:left}</style></head><body>"
	    "<h1>Payment required</h1><p>")) != 0 ||
	    (e = esc(b, r->c.description[0] ? r->c.description :
	    res->url)) != 0 ||
	    (e = x402_buf_adds(b, "</p><table><tr><th>Price</th><th>Atomic "
	    "units</th><th>Network</th><th>Asset</th></tr>")) != 0)
		return e;
	for (i = 0; i < r->noffers; i++) {
		const struct x402_offer *o = &r->offers[i];
		char amt[X402_PRICE_FMTLEN], atomic[X402_U256_DECLEN + 1];
		char addr[X402_ADDR_STRLEN + 1];

		if (x402_price_format(amt, sizeof(amt), &o->amount,
		    o->asset->decimals) < 0 ||
		    x402_u256_format_dec(atomic, sizeof(atomic),
		    &o->amount) < 0)
			return X402_ERR_INTERNAL;
		x402_addr_format(addr, o->asset->address);
		if ((e = x402_buf_printf(b, "<tr><td>%s%s %s</td><td>%s</td>"
		    "<td>", o->asset->usd ? "$" : "", amt, o->asset->symbol,
		    atomic)) != 0 || (e = esc(b, o->net->caip2)) != 0 ||
		    (e = x402_buf_printf(b, "</td><td><code>%s</code></td>"
		    "</tr>", addr)) != 0)
			return e;
	}
	return x402_buf_adds(b, "</table><p>This resource is sold with the "
	    "<a href=\"https://x402.org\">x402</a> protocol. Pay with any "
	    "x402 client, for example:</p><p><code>x402 pay --key KEYFILE "
	    "--max PRICE URL</code></p></body></html>\n");
}
