/*
 * settler_stub.c - BENCHMARK ONLY: a route_settler() for bench/x402-gate-stub
 * that verifies offline exactly as settlement = local does
 * (x402_verify_exact: decode already done, struct hash, digest, ecrecover,
 * amount, payee, validity window) and "settles" in-process: success at once,
 * with a transaction hash derived from the authorization's nonce.  Linked
 * in place of src/gate/settler.c; the rest of the gate (gate.c, main.c,
 * route.c: claim, fork/exec, receipt spool with fsync, reply) is the real
 * code.  It measures the gate's own cost per paid request without a chain
 * or a facilitator round trip.  Never installed.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

static int
stub_verify(void *impl, struct x402_verify_result *res, struct x402_detail *d,
    const struct x402_settle_request *req)
{
	struct route *r = impl;

	(void)d;
	return x402_verify_exact(res, r->sig, req->payment, req->offer,
	    req->domain_separator, req->now, (unsigned)r->c.clock_skew);
}

static int
stub_settle(void *impl, struct x402_settlement *out, struct x402_detail *d,
    const struct x402_settle_request *req)
{
	const struct x402_payment *p = req->payment;

	(void)impl;
	(void)d;
	memset(out, 0, sizeof(*out));
	out->success = 1;
	x402_addr_format(out->payer, p->exact.auth.from);
	x402_hex_encode(out->transaction, sizeof(out->transaction),
	    p->exact.auth.nonce, 32, X402_HEX_PREFIX_REQUIRED);
	snprintf(out->network, sizeof(out->network), "%s",
	    req->offer->net->caip2);
	return 0;
}

static void
stub_free(void *impl)
{
	(void)impl;
}

static const struct x402_settler_ops stub_ops = {
	"bench-stub", stub_verify, stub_settle, stub_free,
};

int
route_settler(struct route *r, struct x402_detail *d)
{
	struct x402_settler *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "out of memory");
	s->ops = &stub_ops;
	s->impl = r;
	r->settler = s;
	return 0;
}
