/*
 * page.c - the paywall page: description, price, a form for the route's
 * input, and the embedded wallet script (paywall/paywall.js).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "page.h"
#include "paywall_assets.h"	/* paywall_js, paywall_css (generated) */

#define HASH_B64 45		/* base64 of 32 bytes, with its NUL */

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

/* Appends pre, s escaped, post. */
static int
esc3(struct x402_buf *b, const char *pre, const char *s, const char *post)
{
	int e;

	if ((e = x402_buf_adds(b, pre)) != 0 || (e = esc(b, s)) != 0)
		return e;
	return x402_buf_adds(b, post);
}

/* "sha256-<base64>" of s into out[HASH_B64 + 7]. */
static int
csp_hash(char *out, size_t cap, const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64[HASH_B64];

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32 ||
	    x402_base64_encode(b64, sizeof(b64), NULL, md, mdlen) != 0)
		return X402_ERR_INTERNAL;
	if ((size_t)snprintf(out, cap, "'sha256-%s'", b64) >= cap)
		return X402_ERR_INTERNAL;
	return 0;
}

/* The policy, computed once per process (the assets never change). */
static int
policy(char *csp, size_t cap)
{
	static char cached[PAGE_CSP_MAX];
	char js[HASH_B64 + 16], css[HASH_B64 + 16];
	int e;

	if (cached[0] == '\0') {
		if ((e = csp_hash(js, sizeof(js), paywall_js)) != 0 ||
		    (e = csp_hash(css, sizeof(css), paywall_css)) != 0)
			return e;
		if ((size_t)snprintf(cached, sizeof(cached), "default-src "
		    "'none'; script-src %s; style-src %s; img-src data: "
		    "blob:; media-src blob:; connect-src 'self'; "
		    "form-action 'self'; base-uri 'none'; "
		    "frame-ancestors 'none'", js, css) >= sizeof(cached)) {
			cached[0] = '\0';
			return X402_ERR_INTERNAL;
		}
	}
	if ((size_t)snprintf(csp, cap, "%s", cached) >= cap)
		return X402_ERR_LIMIT;
	return 0;
}

/*
 * The offer preselected on the page: the first exact one when there is
 * one (a known price, one signature, no transaction in the wallet), else
 * the first.  The person may still choose an upto offer.
 */
static size_t
preselect(const struct route *r)
{
	size_t i;

	for (i = 0; i < r->noffers; i++)
		if (r->offers[i].scheme == X402_SCHEME_EXACT)
			return i;
	return 0;
}

/*
 * One offer: a radio button carrying what the script needs.  An upto
 * offer reads "up to $MAX, charged by usage", with its unit price.
 */
static int
offer(struct x402_buf *b, const struct route *r, size_t i, int checked)
{
	const struct x402_offer *o = &r->offers[i];
	const struct x402_network *n = o->net;
	const struct x402_asset *a = o->asset;
	char amt[X402_PRICE_FMTLEN], atomic[X402_U256_DECLEN + 1];
	char unit[X402_PRICE_FMTLEN];
	char addr[X402_ADDR_STRLEN + 1], price[X402_PRICE_FMTLEN + 40];
	const char *netname = n->v1_name[0] ? n->v1_name : n->caip2;
	int upto = o->scheme == X402_SCHEME_UPTO;
	int e;

	if (x402_price_format(amt, sizeof(amt), &o->amount,
	    a->decimals) < 0 ||
	    x402_u256_format_dec(atomic, sizeof(atomic), &o->amount) < 0)
		return X402_ERR_INTERNAL;
	unit[0] = '\0';
	if (upto && r->has_unit_price && x402_price_format(unit,
	    sizeof(unit), &r->unit_price[i], a->decimals) < 0)
		return X402_ERR_INTERNAL;
	x402_addr_format(addr, a->address);
	snprintf(price, sizeof(price), "%s%s %s", a->usd ? "$" : "", amt,
	    a->symbol);
	if ((e = x402_buf_printf(b, "<label class=\"offer\"><input "
	    "type=\"radio\" name=\"offer\" value=\"%zu\"%s", i,
	    checked ? " checked" : "")) != 0 ||
	    (e = esc3(b, " data-scheme=\"", x402_scheme_name(o->scheme),
	    "\"")) != 0 ||
	    (e = esc3(b, " data-price=\"", price, "\"")) != 0 ||
	    (e = esc3(b, " data-symbol=\"", a->symbol, "\"")) != 0 ||
	    (e = x402_buf_printf(b, " data-decimals=\"%u\" data-usd=\"%s\"",
	    a->decimals, a->usd ? "1" : "")) != 0 ||
	    (e = esc3(b, " data-chain=\"", netname, "\"")) != 0 ||
	    (e = esc3(b, " data-explorer=\"", n->explorer_tx, "\"")) != 0 ||
	    (e = esc3(b, " data-rpc=\"", r->c.wallet_rpc_url, "\"")) != 0 ||
	    (e = x402_buf_printf(b, "><span><span class=\"price\">%s%s%s%s%s"
	    "</span><span class=\"meta\">", upto ? "up to " : "",
	    a->usd ? "$" : "", amt, a->usd ? "" : " ", a->usd ? "" :
	    a->symbol)) != 0)
		return e;
	/* amounts are digits and a dot, symbols [A-Za-z0-9._-] */
	if (upto && (e = x402_buf_adds(b, "charged by usage")) != 0)
		return e;
	if (unit[0] != '\0' && (e = x402_buf_printf(b, ": %s%s %s per unit",
	    a->usd ? "$" : "", unit, a->symbol)) != 0)
		return e;
	if (upto && (e = x402_buf_adds(b, ", at most ")) != 0)
		return e;
	if ((e = x402_buf_printf(b, "%s %s &middot; %s atomic units%s "
	    "&middot; ", amt, a->symbol, atomic, upto ? " at most" : "")) != 0 ||
	    (e = esc(b, netname)) != 0 ||
	    (strcmp(netname, n->caip2) != 0 &&
	    (e = esc3(b, " (", n->caip2, ")")) != 0) ||
	    (e = x402_buf_printf(b, "%s &middot; token <code>%s</code>",
	    n->testnet ? ", a test network" : "", addr)) != 0)
		return e;
	if (upto && (e = x402_buf_adds(b, " &middot; paid through Permit2: "
	    "you sign for the maximum and are charged what the command "
	    "used")) != 0)
		return e;
	return x402_buf_adds(b, "</span></span></label>");
}

/* The form's input, by the route's input kind. */
static int
input(struct x402_buf *b, const struct route *r)
{
	const char *label = r->c.input_label;
	const char *p;
	size_t i;
	int e;

	switch (r->c.input) {
	case INPUT_TEXT:
		return esc3(b, "<label class=\"field\" for=\"input\">",
		    label[0] ? label : "Your input (text, optional)",
		    "</label><textarea id=\"input\" name=\"input\" "
		    "spellcheck=\"false\"></textarea>");
	case INPUT_FILE:
		if ((e = esc3(b, "<label class=\"field\" for=\"input\">",
		    label[0] ? label : "Your file", "</label><input "
		    "type=\"file\" id=\"input\" name=\"input\" required")) != 0)
			return e;
		if (r->c.input_accept[0] != '\0' &&
		    (e = esc3(b, " accept=\"", r->c.input_accept, "\"")) != 0)
			return e;
		return x402_buf_adds(b, ">");
	case INPUT_QUERY:
		if (label[0] != '\0' && (e = esc3(b, "<p class=\"meta\">",
		    label, "</p>")) != 0)
			return e;
		p = r->c.input_params.buf;
		for (i = 0; i < r->c.input_params.argc; i++) {
			/* names are [A-Za-z0-9_.-] (route.c) */
			if ((e = x402_buf_printf(b, "<label class=\"field\" "
			    "for=\"p-%s\">%s</label><input type=\"text\" "
			    "id=\"p-%s\" name=\"%s\" data-param>", p, p, p,
			    p)) != 0)
				return e;
			p += strlen(p) + 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The pay button: "Pay $0.001", "Pay up to $0.05", or "Pay" for a choice. */
static int
pay_label(char *out, size_t cap, const struct route *r)
{
	const struct x402_offer *o = &r->offers[0];
	char amt[X402_PRICE_FMTLEN];

	if (r->noffers != 1) {
		snprintf(out, cap, "Pay");
		return 0;
	}
	if (x402_price_format(amt, sizeof(amt), &o->amount,
	    o->asset->decimals) < 0)
		return X402_ERR_INTERNAL;
	if ((size_t)snprintf(out, cap, "Pay %s%s%s%s%s",
	    o->scheme == X402_SCHEME_UPTO ? "up to " : "",
	    o->asset->usd ? "$" : "", amt, o->asset->usd ? "" : " ",
	    o->asset->usd ? "" : o->asset->symbol) >= cap)
		return X402_ERR_INTERNAL;
	return 0;
}

static const char *const input_names[] = { "text", "none", "file",
    "query" };

int
page_paywall(struct x402_buf *b, char *csp, size_t cap,
    const struct route *r, const struct x402_resource *res,
    const char *required_b64)
{
	char paylabel[X402_PRICE_FMTLEN + 48];
	size_t i, sel;
	int e, upto = 0;

	if (r->c.input < 0 || r->c.input > INPUT_QUERY)
		return X402_ERR_INTERNAL;
	if ((e = policy(csp, cap)) != 0)
		return e;
	if ((e = x402_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\">"
	    "<link rel=\"icon\" href=\"data:,\">"
	    "<title>Payment required</title><style>")) != 0 ||
	    (e = x402_buf_adds(b, paywall_css)) != 0 ||
	    (e = x402_buf_printf(b, "</style></head><body><main id=\"x402\" "
	    "data-input=\"%s\"", input_names[r->c.input])) != 0 ||
	    /* base64 needs no escaping; esc() anyway, it costs nothing */
	    (e = esc3(b, " data-pr=\"", required_b64, "\">")) != 0 ||
	    (e = x402_buf_adds(b, "<h1>Payment required</h1>")) != 0 ||
	    (e = esc3(b, "<p class=\"desc\">", r->c.description[0] ?
	    r->c.description : res->url, "</p>")) != 0 ||
	    (e = x402_buf_printf(b, "<form id=\"form\" method=\"post\" "
	    "action=\"#\"><fieldset class=\"offers%s\"><legend>Price"
	    "</legend>", r->noffers == 1 ? " single" : "")) != 0)
		return e;
	sel = preselect(r);
	for (i = 0; i < r->noffers; i++) {
		if ((e = offer(b, r, i, i == sel)) != 0)
			return e;
		if (r->offers[i].scheme == X402_SCHEME_UPTO)
			upto = 1;
	}
	if ((e = pay_label(paylabel, sizeof(paylabel), r)) != 0)
		return e;
	if ((e = x402_buf_adds(b, "</fieldset>")) != 0 ||
	    (e = input(b, r)) != 0 ||
	    (e = x402_buf_printf(b, "<div class=\"actions\"><button "
	    "type=\"button\" id=\"connect\" disabled>Connect wallet</button>"
	    "<button type=\"submit\" id=\"pay\" disabled>%s</button></div>"
	    "</form><p id=\"wallet\" hidden></p><p id=\"status\" "
	    "role=\"status\" aria-live=\"polite\" hidden></p><section "
	    "id=\"result\" aria-live=\"polite\" hidden></section><noscript>"
	    "<p>Paying from this page needs JavaScript and a browser wallet."
	    "</p></noscript><details><summary>Other ways to pay</summary>"
	    "<p>Any x402 client can buy this, for example from a shell:</p>"
	    "<p><code>x402 pay --key KEYFILE --max PRICE ", paylabel)) != 0 ||
	    (e = esc(b, res->url)) != 0 ||
	    (e = x402_buf_adds(b, "</code></p></details></main><footer>Sold "
	    "with the x402 payment protocol. Paying signs a one-time token "
	    "transfer authorization in your wallet; ")) != 0 ||
	    (e = x402_buf_adds(b, r->c.settle == SETTLE_AFTER ? "nothing is "
	    "charged unless the command succeeds." : "the payment is taken "
	    "before the command runs.")) != 0 ||
	    (upto && (e = x402_buf_adds(b, " A price &ldquo;up to&rdquo; an "
	    "amount is paid through Permit2: you sign for that maximum and "
	    "are charged only what the command used. Permit2 needs an "
	    "allowance for the token; if yours is too small, your wallet "
	    "first asks you to approve a bounded amount, shown before it "
	    "asks, with one transaction.")) != 0) ||
	    (e = x402_buf_adds(b, "</footer><script>")) != 0 ||
	    (e = x402_buf_adds(b, paywall_js)) != 0)
		return e;
	return x402_buf_adds(b, "</script></body></html>\n");
}
